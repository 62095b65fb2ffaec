/*
 * dram_run.c - the DRAM modes of mmtrace-replay as library calls: a DRAMsim3 trace replayed
 * into dram_stats.json (mmt_dram_trace_replay: `dramsim3main INI -c N -t TRACE -o OUTDIR`),
 * and every layer of a run directory timed into DRAM_TIMING_REPORT.csv (mmt_dram_run_time;
 * doc/dram.md, "Timing a run's DRAM traffic").
 */
#include <config.h>

#include "mmtrace_dram_layer.h"

#include "internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int mmt_dram_trace_replay(const char *ini, const char *trace, uint64_t cycles, const char *outdir,
                          mmt_diag *d)
{
    mmt_dram_config *c = NULL;
    mmt_dram *m = NULL;
    char *path = NULL;
    int r = mmt_dram_config_read(ini, &c, d);
    if (!r && (r = mmt_dram_new(c, NULL, NULL, &m)))
        mmt__diag(d, r, ini, 0, "%s", mmt_strerror(r));
    if (!r)
        r = mmt_dram_trace_run(m, trace, cycles, d);
    if (!r)
        r = mmt_mkdirs(outdir, d);
    if (!r && !(path = mmt__xfmt("%s/dram_stats.json", outdir)))
        r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    if (!r)
        r = mmt_dram_stats_write(m, path, d);
    free(path);
    mmt_dram_free(m);
    mmt_dram_config_free(c);
    return r;
}

/* The one .cfg file in directory dir (mmtrace-gen copies the run's cfg there) into *out. */
static int find_cfg(const char *dir, char **out, mmt_diag *d)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return mmt__sys_diag(d, dir, 0, "cannot open the run directory");
    int n = 0;
    *out = NULL;
    for (struct dirent *e; (e = readdir(dp)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".cfg") == 0 && e->d_name[0] != '.' && n++ == 0)
            *out = mmt__xfmt("%s/%s", dir, e->d_name);
    }
    closedir(dp);
    if (n == 1 && !*out)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    if (n == 1)
        return 0;
    free(*out), *out = NULL;
    return mmt__diag(d, MMT_EINVAL, dir, 0,
                     "%s .cfg file to take the operand widths from (give -c CFG)",
                     n ? "more than one" : "no");
}

/* "DIR/layerI/OP_DRAM_TRACE.csv.gz", or the plain .csv when there is no .csv.gz. */
static char *trace_path(const char *dir, size_t i, const char *op)
{
    struct stat st;
    char *p = mmt__xfmt("%s/layer%zu/%s_DRAM_TRACE.csv.gz", dir, i, op);
    if (p && stat(p, &st) != 0)
        p[strlen(p) - 3] = '\0';
    return p;
}

/* Times layer i of rundir into *r. */
static int time_layer(const mmt_dram_config *dc, const mmt_dram_layer_opts *lo, const char *rundir,
                      size_t i, mmt_dram_layer_result *r, mmt_diag *d)
{
    static const char *const ops[3] = {"IFMAP", "FILTER", "OFMAP"};
    char *paths[3];
    for (int k = 0; k < 3; k++)
        paths[k] = trace_path(rundir, i, ops[k]);
    int rc = paths[0] && paths[1] && paths[2]
                 ? mmt_dram_layer_time(dc, lo, (const char *const *)paths, r, d)
                 : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    for (int k = 0; k < 3; k++)
        free(paths[k]);
    return rc;
}

/* Times layers 0, 1, ... of rundir (while rundir/layer<i> exists) into *res (grown). */
static int time_layers(const mmt_dram_config *dc, const mmt_dram_layer_opts *lo, const char *rundir,
                       mmt_dram_layer_result **res, size_t *n, mmt_diag *d)
{
    for (size_t i = 0;; i++) {
        struct stat st;
        char *dir = mmt__xfmt("%s/layer%zu", rundir, i);
        int is_dir = dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
        free(dir);
        if (!is_dir)
            break;
        mmt_dram_layer_result *r = realloc(*res, (i + 1) * sizeof *r);
        if (!r)
            return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
        *res = r;
        int rc = time_layer(dc, lo, rundir, i, &r[i], d);
        if (rc)
            return rc;
        *n = i + 1;
    }
    if (*n == 0)
        return mmt__diag(d, MMT_ENOENT, "", 0,
                         "%s/layer0: no such directory (not a run directory with DRAM traces)",
                         rundir);
    return 0;
}

/* The run directory (DIR/<run_name> with a cfg, else DIR) and the timing options of cfg. */
static int run_of(const char *dir, int own, const mmt_config *cfg, double mhz,
                  mmt_dram_layer_opts *lo, char **rundir, mmt_diag *d)
{
    *rundir = own ? mmt__xfmt("%s", dir) : mmt__xfmt("%s/%s", dir, cfg->run_name);
    if (!*rundir)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    *lo = (mmt_dram_layer_opts){
        .clock_mhz = mhz, .offset = {cfg->ifmap_offset, cfg->filter_offset, cfg->ofmap_offset}};
    for (int k = 0; k < 3; k++)
        lo->bits[k] = mmt_precision_bits(cfg, (mmt_operand)k);
    return 0;
}

int mmt_dram_run_time(const mmt_dram_run_spec *s, mmt_dram_run_summary *out, mmt_diag *d)
{
    mmt_dram_config *dc = NULL;
    char *own_cfg = NULL, *rundir = NULL;
    const char *cfg_path = s->cfg_path;
    mmt_dram_layer_result *res = NULL;
    mmt_dram_layer_opts lo;
    mmt_config cfg;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    int r = mmt_dram_config_read(s->ini, &dc, d);
    if (!r && !cfg_path && !(r = find_cfg(s->dir, &own_cfg, d)))
        cfg_path = own_cfg;
    if (!r)
        r = mmt_config_read_version(cfg_path, s->version, &cfg, d, s->warn, s->ud);
    if (!r)
        r = run_of(s->dir, own_cfg != NULL, &cfg, s->clock_mhz, &lo, &rundir, d);
    if (!r)
        r = time_layers(dc, &lo, rundir, &res, &n, d);
    if (!r && !(out->report = mmt__xfmt("%s/DRAM_TIMING_REPORT.csv", rundir)))
        r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    if (!r)
        r = mmt_dram_layer_report_write(out->report, res, n, d);
    if (!r)
        snprintf(out->protocol, sizeof out->protocol, "%s", mmt_dram_config_protocol(dc));
    out->layers = n;
    if (r)
        free(out->report), out->report = NULL;
    free(res), free(rundir), free(own_cfg);
    mmt_dram_config_free(dc);
    return r;
}
