/*
 * config_v3.c - the keys SCALE-Sim v3.0.0 adds to the .cfg (doc/scalesim-v3.md §V3.2).
 *
 * v3 requires every one of them even for a dense run and crashes with a Python traceback when
 * one is missing or malformed; mmtrace names the file, line and key instead. Sparsity, custom
 * layouts and Ramulator are refused: mmtrace models dense runs only and does not pretend
 * otherwise. config.c has parsed the file and read the v2 keys; this file only adds to cfg.
 */
#include "internal.h"

#include <string.h>
#include <strings.h>

/* Reads a required key that v3 passes through Python's int() (any value). */
static int get_any_int(const mmt__cfg_src *src, const char *section, const char *key,
                       int64_t *out, long *line, mmt_diag *d)
{
    char buf[512];
    int r = src->get(src->ctx, section, key, buf, sizeof buf, line, d);
    if (r)
        return r;
    r = mmt__parse_i64(buf, strlen(buf), out);
    if (r == MMT_EOVERFLOW)
        return mmt__diag(d, r, src->file, *line, "%s = %s overflows 64 bits", key, buf);
    if (r)
        return mmt__diag(d, MMT_EPARSE, src->file, *line,
                         "%s: expected an integer, got '%s' (SCALE-Sim v3 would crash)", key,
                         buf);
    return 0;
}

/* Reads a configparser getboolean() key into *on; anything else is an error, as in v3. */
static int get_bool(const mmt__cfg_src *src, const char *section, const char *key, int *on,
                    long *line, mmt_diag *d)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    char buf[512];
    int r = src->get(src->ctx, section, key, buf, sizeof buf, line, d);
    if (r)
        return r;
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(buf, yes[i]))
            return *on = 1, 0;
        if (!strcasecmp(buf, no[i]))
            return *on = 0, 0;
    }
    return mmt__diag(d, MMT_EPARSE, src->file, *line,
                     "%s: expected a boolean (true/false, yes/no, on/off, 1/0), got '%s' "
                     "(SCALE-Sim v3 would crash)",
                     key, buf);
}

/* The error for a switch that leaves the dense model. */
static int refuse(const mmt__cfg_src *src, long line, const char *key, const char *val,
                  const char *what, mmt_diag *d)
{
    return mmt__diag(d, MMT_ERANGE, src->file, line,
                     "%s = %s switches on %s, which mmtrace does not model (dense runs only; "
                     "set it to False)",
                     key, val, what);
}

/* Reads one operand's three [layout] bank keys; in USER mode checks them as v3's read buffer
 * does (doc/scalesim-v3.md §V3.4). */
static int get_banks(const mmt__cfg_src *src, mmt_config *cfg, int op, mmt_diag *d)
{
    static const char *const pre[2] = {"Ifmap", "Filter"};
    char kbw[40], knum[40], kport[40];
    snprintf(kbw, sizeof kbw, "%sSRAMBankBandwidth", pre[op]);
    snprintf(knum, sizeof knum, "%sSRAMBankNum", pre[op]);
    snprintf(kport, sizeof kport, "%sSRAMBankPort", pre[op]);
    long lbw = 0, lnum = 0, lport = 0;
    int64_t port;
    int r;
    if ((r = get_any_int(src, "layout", kbw, &cfg->bank_bw[op], &lbw, d)) ||
        (r = get_any_int(src, "layout", knum, &cfg->bank_num[op], &lnum, d)) ||
        (r = get_any_int(src, "layout", kport, &port, &lport, d)))
        return r;
    if (!cfg->user_bw) /* SCALE-Sim v3: CALC mode reads these and never uses them */
        return 0;
    if (cfg->bank_bw[op] <= 0)
        return mmt__diag(d, MMT_ERANGE, src->file, lbw,
                         "%s = %" PRId64 ": must be positive (in USER mode it is the %s DRAM "
                         "bandwidth; SCALE-Sim v3 would crash)",
                         kbw, cfg->bank_bw[op], op ? "filter" : "ifmap");
    if (cfg->bank_bw[op] > MMT_MAX_BANDWIDTH) /* the read buffer's rows are this wide */
        return mmt__diag(d, MMT_ERANGE, src->file, lbw,
                         "%s = %" PRId64 ": at most %" PRId64 " words per cycle (the %s DRAM "
                         "bandwidth in USER mode; a DRAM trace row is that wide)",
                         kbw, cfg->bank_bw[op], MMT_MAX_BANDWIDTH, op ? "filter" : "ifmap");
    if (cfg->bank_num[op] <= 0)
        return mmt__diag(d, MMT_ERANGE, src->file, lnum,
                         "%s = %" PRId64 ": must be positive (SCALE-Sim v3 would crash)", knum,
                         cfg->bank_num[op]);
    /* SCALE-Sim v3 asserts that the bank count divides the bandwidth, at the first layer. */
    if (cfg->bank_bw[op] % cfg->bank_num[op])
        return mmt__diag(d, MMT_ERANGE, src->file, lnum,
                         "%s = %" PRId64 " does not divide %s = %" PRId64
                         " (SCALE-Sim v3 fails its assertion on this)",
                         knum, cfg->bank_num[op], kbw, cfg->bank_bw[op]);
    return 0;
}

int mmt__config_v3_fill(const mmt__cfg_src *src, mmt_config *cfg, mmt_diag *d)
{
    char buf[512];
    long line = 0;
    int64_t v;
    int on, r;
    /* SCALE-Sim v3: only the exact string True enables Ramulator; any other value is off. */
    if ((r = src->get(src->ctx, "run_presets", "UseRamulatorTrace", buf, sizeof buf, &line, d)))
        return r;
    if (!strcmp(buf, "True"))
        return refuse(src, line, "UseRamulatorTrace", buf, "Ramulator DRAM latencies", d);
    /* Required, parsed, used only by the Ramulator ports. */
    if ((r = get_any_int(src, "architecture_presets", "ReadRequestBuffer", &v, &line, d)) ||
        (r = get_any_int(src, "architecture_presets", "WriteRequestBuffer", &v, &line, d)))
        return r;
    static const char *const custom[2] = {"IfmapCustomLayout", "FilterCustomLayout"};
    for (int op = 0; op < 2; op++) {
        if ((r = get_bool(src, "layout", custom[op], &on, &line, d)))
            return r;
        if (on) {
            src->get(src->ctx, "layout", custom[op], buf, sizeof buf, &line, d);
            return refuse(src, line, custom[op], buf, "a custom SRAM layout", d);
        }
    }
    for (int op = 0; op < 2; op++)
        if ((r = get_banks(src, cfg, op, d)))
            return r;
    /* SCALE-Sim v3: "true" in any case turns sparsity on; anything else is off. */
    if ((r = src->get(src->ctx, "sparsity", "SparsitySupport", buf, sizeof buf, &line, d)))
        return r;
    if (!strcasecmp(buf, "true"))
        return refuse(src, line, "SparsitySupport", buf, "sparsity", d);
    return 0;
}

int mmt__config_v3_format(const mmt__cfg_src *src)
{
    return src->has(src->ctx, "layout", NULL) || src->has(src->ctx, "sparsity", NULL) ||
           src->has(src->ctx, "run_presets", "UseRamulatorTrace") ||
           src->has(src->ctx, "architecture_presets", "ReadRequestBuffer");
}

int mmt_scalesim_parse(const char *s, mmt_scalesim *out)
{
    if (!strcmp(s, "v2"))
        return *out = MMT_SCALESIM_V2, 0;
    if (!strcmp(s, "v3"))
        return *out = MMT_SCALESIM_V3, 0;
    return MMT_EINVAL;
}
