/*
 * report.c - SCALE-Sim v2's three report CSVs (doc/scalesim-v2.md §8) and its per-layer console summary
 * (doc/scalesim-v2.md §1). Numbers are printed as Python prints them: ints as digits, floats in repr.
 */
#include "sim_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A growable text buffer; err latches the first allocation failure. With f set, the text is
 * written to f whenever it passes FLUSH_AT bytes (ioerr latches a write failure), so a report
 * of 2^20 layers never sits whole in memory (issue 8 item 10). */
#define FLUSH_AT ((size_t)64 << 10)
typedef struct text {
    char *s;
    size_t len, cap;
    int err;
    FILE *f;
    int ioerr;
} text;

/* Appends n bytes. */
static void put(text *t, const char *s, size_t n)
{
    if (t->err)
        return;
    if (t->f && t->len > FLUSH_AT) {
        t->ioerr |= fwrite(t->s, 1, t->len, t->f) != t->len;
        t->len = 0;
    }
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p) {
            t->err = MMT_ENOMEM;
            return;
        }
        t->s = p, t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* Appends a C string. */
static void puts_(text *t, const char *s)
{
    put(t, s, strlen(s));
}

/* Appends ", " and an int. */
static void put_int(text *t, int64_t v)
{
    char b[32];
    put(t, ", ", 2);
    put(t, b, mmt_fmt_i64(b, v));
}

/* Appends ", " and a float in Python repr. */
static void put_float(text *t, double v)
{
    char b[40];
    put(t, ", ", 2);
    put(t, b, mmt_fmt_pyfloat(b, v));
}

/* Python's a / b for ints: the correctly rounded quotient (inf/nan on b == 0, where SCALE-Sim
 * itself raises ZeroDivisionError). */
static double pydiv(int64_t a, int64_t b)
{
    if (b == 0)
        return a == 0 ? NAN : (a > 0 ? INFINITY : -INFINITY);
    int neg = (a < 0) != (b < 0);
    mmt__u128 ua = (mmt__u128)(a < 0 ? 0 - (uint64_t)a : (uint64_t)a);
    mmt__u128 ub = (mmt__u128)(b < 0 ? 0 - (uint64_t)b : (uint64_t)b);
    double q = mmt__true_div(ua, ub);
    return neg ? -q : q;
}

/* DRAM bandwidth of operand op: accesses over the span of its DRAM trace. */
static double dram_bw(const mmt_layer_result *r, int op)
{
    return pydiv(r->dram_count[op], r->dram_stop[op] - r->dram_start[op] + 1);
}

/* SCALE-Sim v3.0.0's "Total Cycles (incl. prefetch)": OFMAP DRAM stop minus the earlier of
 * the two read DRAM starts, with no +1 (doc/scalesim-v3.md §V3.7). */
static int64_t v3_total_incl_prefetch(const mmt_layer_result *r)
{
    int64_t start = r->dram_start[0] < r->dram_start[1] ? r->dram_start[0] : r->dram_start[1];
    return (int64_t)((uint64_t)r->dram_stop[2] - (uint64_t)start);
}

/* COMPUTE_REPORT.csv rows; v3 adds the column "Total Cycles (incl. prefetch)". */
static void compute_rows(text *t, const mmt_layer_result *res, size_t n, int v3)
{
    puts_(t, v3 ? "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, "
                  "Overall Util %, Mapping Efficiency %, Compute Util %,\n"
                : "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, "
                  "Compute Util %,\n");
    for (size_t i = 0; i < n; i++) {
        char b[32];
        put(t, b, mmt_fmt_i64(b, (int64_t)i));
        if (v3)
            put_int(t, v3_total_incl_prefetch(&res[i]));
        put_int(t, res[i].total_cycles);
        put_int(t, res[i].stall_cycles);
        put_float(t, res[i].overall_util);
        put_float(t, res[i].mapping_eff);
        put_float(t, res[i].compute_util);
        puts_(t, ",\n");
    }
}

/* BANDWIDTH_REPORT.csv rows. */
static void bandwidth_rows(text *t, const mmt_layer_result *res, size_t n, int v3)
{
    (void)v3; /* the same columns in v2 and v3 */
    puts_(t, "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, "
             "Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n");
    for (size_t i = 0; i < n; i++) {
        char b[32];
        put(t, b, mmt_fmt_i64(b, (int64_t)i));
        for (int op = 0; op < 3; op++)
            put_float(t, pydiv(res[i].sram_count[op], res[i].total_cycles));
        for (int op = 0; op < 3; op++)
            put_float(t, dram_bw(&res[i], op));
        puts_(t, ",\n");
    }
}

/* DETAILED_ACCESS_REPORT.csv rows. */
static void detailed_rows(text *t, const mmt_layer_result *res, size_t n, int v3)
{
    (void)v3; /* the same columns in v2 and v3 */
    static const char *const who[6] = {"SRAM IFMAP", "SRAM Filter", "SRAM OFMAP",
                                       "DRAM IFMAP", "DRAM Filter", "DRAM OFMAP"};
    puts_(t, "LayerID");
    for (int k = 0; k < 6; k++) {
        const char *what = k % 3 == 2 ? "Writes" : "Reads";
        char h[96];
        snprintf(h, sizeof h, ", %s Start Cycle, %s Stop Cycle, %s %s", who[k], who[k], who[k],
                 what);
        puts_(t, h);
    }
    puts_(t, ",\n");
    for (size_t i = 0; i < n; i++) {
        const mmt_layer_result *r = &res[i];
        char b[32];
        put(t, b, mmt_fmt_i64(b, (int64_t)i));
        for (int op = 0; op < 3; op++) {
            /* SCALE-Sim v2: with no valid SRAM row the start/stop stay the int 0. */
            if (r->has_sram[op]) {
                put_float(t, (double)r->sram_start[op]);
                put_float(t, (double)r->sram_stop[op]);
            } else {
                put_int(t, 0);
                put_int(t, 0);
            }
            put_int(t, r->sram_count[op]);
        }
        for (int op = 0; op < 3; op++) {
            put_float(t, (double)r->dram_start[op]);
            put_float(t, (double)r->dram_stop[op]);
            put_int(t, r->dram_count[op]);
        }
        puts_(t, ",\n");
    }
}

/* Writes the report gen formats to path as mmt__write_file_atomic does (a temporary renamed
 * into place, same messages), flushing the text as it grows. */
static int write_streamed(const char *path,
                          void (*gen)(text *, const mmt_layer_result *, size_t, int),
                          const mmt_layer_result *res, size_t n, int v3, mmt_diag *diag)
{
    char tmp[4096];
    if (mmt_temp_path(path, (long)getpid(), tmp, sizeof tmp) != 0)
        return mmt__diag(diag, MMT_EINVAL, path, 0, "path too long");
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return mmt__diag(diag, MMT_EIO, path, 0, "cannot create: %s", strerror(errno));
    text t = {.f = f};
    gen(&t, res, n, v3);
    int bad = t.ioerr || fwrite(t.s ? t.s : "", 1, t.len, f) != t.len;
    int e = errno;
    free(t.s);
    if (t.err) {
        fclose(f);
        unlink(tmp);
        return mmt__diag(diag, t.err, path, 0, "out of memory");
    }
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        e = errno ? errno : e;
        unlink(tmp);
        return mmt__diag(diag, MMT_EIO, path, 0, "cannot write: %s", strerror(e));
    }
    return 0;
}

int mmt_report_write(const char *dir, const mmt_layer_result *res, size_t n, mmt_diag *diag)
{
    return mmt_report_write_version(dir, res, n, MMT_SCALESIM_V2, diag);
}

int mmt_report_write_version(const char *dir, const mmt_layer_result *res, size_t n,
                             mmt_scalesim v, mmt_diag *diag)
{
    void (*const gen[3])(text *, const mmt_layer_result *, size_t, int) = {
        compute_rows, bandwidth_rows, detailed_rows};
    for (int k = 0; k < 3; k++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir,
                     mmt_output_name((mmt_output)(MMT_OUT_COMPUTE_REPORT + k))) >= (int)sizeof path)
            return mmt__diag(diag, MMT_EINVAL, dir, 0, "path too long");
        int r = write_streamed(path, gen[k], res, n, v == MMT_SCALESIM_V3, diag);
        if (r)
            return r;
    }
    return 0;
}

int mmt_report_console_version(char *buf, size_t cap, const mmt_layer_result *res,
                               mmt_scalesim version)
{
    if (version != MMT_SCALESIM_V3)
        return mmt_report_console(buf, cap, res);
    /* SCALE-Sim v3.0.0 adds "Total cycles" (incl. prefetch) before "Compute cycles" and the
     * three SRAM bandwidths before the DRAM ones (doc/scalesim-v3.md §V3.8). */
    int n = snprintf(buf, cap,
                     "Total cycles: %" PRId64 "\n"
                     "Compute cycles: %" PRId64 "\n"
                     "Stall cycles: %" PRId64 "\n"
                     "Overall utilization: %.2f%%\n"
                     "Mapping efficiency: %.2f%%\n"
                     "Average IFMAP SRAM BW: %.3f words/cycle\n"
                     "Average Filter SRAM BW: %.3f words/cycle\n"
                     "Average OFMAP SRAM BW: %.3f words/cycle\n"
                     "Average IFMAP DRAM BW: %.3f words/cycle\n"
                     "Average Filter DRAM BW: %.3f words/cycle\n"
                     "Average OFMAP DRAM BW: %.3f words/cycle\n",
                     v3_total_incl_prefetch(res), res->total_cycles, res->stall_cycles,
                     res->overall_util, res->mapping_eff,
                     pydiv(res->sram_count[0], res->total_cycles),
                     pydiv(res->sram_count[1], res->total_cycles),
                     pydiv(res->sram_count[2], res->total_cycles), dram_bw(res, 0),
                     dram_bw(res, 1), dram_bw(res, 2));
    if (n < 0)
        return MMT_EIO;
    return (size_t)n >= cap ? MMT_ERANGE : n;
}

int mmt_report_console(char *buf, size_t cap, const mmt_layer_result *res)
{
    int n = snprintf(buf, cap,
                     "Compute cycles: %" PRId64 "\n"
                     "Stall cycles: %" PRId64 "\n"
                     "Overall utilization: %.2f%%\n"
                     "Mapping efficiency: %.2f%%\n"
                     "Average IFMAP DRAM BW: %.3f words/cycle\n"
                     "Average Filter DRAM BW: %.3f words/cycle\n"
                     "Average OFMAP DRAM BW: %.3f words/cycle\n",
                     res->total_cycles, res->stall_cycles, res->overall_util, res->mapping_eff,
                     dram_bw(res, 0), dram_bw(res, 1), dram_bw(res, 2));
    if (n < 0)
        return MMT_EIO;
    if ((size_t)n >= cap)
        return MMT_ERANGE;
    return n;
}

int mmt_report_bytes_write(const char *dir, const mmt_config *cfg, const mmt_layer_result *res,
                           size_t n, mmt_diag *diag)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, mmt_output_name(MMT_OUT_BYTES_REPORT)) >=
        (int)sizeof path)
        return mmt__diag(diag, MMT_EINVAL, dir, 0, "path too long");
    text t = {0};
    /* Laid out like SCALE-Sim's reports: ", " between fields and ",\n" at each line's end. */
    puts_(&t, "LayerID, SRAM IFMAP Bytes Read, SRAM Filter Bytes Read, SRAM OFMAP Bytes Written, "
              "DRAM IFMAP Bytes Read, DRAM Filter Bytes Read, DRAM OFMAP Bytes Written,\n");
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        mmt_layer_bytes b;
        char s[32];
        if ((r = mmt_precision_layer_bytes(cfg, &res[i], &b)) != 0) {
            mmt__diag(diag, r, path, 0, "layer %zu: its byte counts overflow 64 bits", i);
            break;
        }
        put(&t, s, mmt_fmt_i64(s, (int64_t)i));
        for (int op = 0; op < 3; op++)
            put_int(&t, b.sram[op]);
        for (int op = 0; op < 3; op++)
            put_int(&t, b.dram[op]);
        puts_(&t, ",\n");
    }
    if (r == 0)
        r = t.err ? mmt__diag(diag, t.err, path, 0, "out of memory")
                  : mmt__write_file_atomic(path, t.s, t.len, diag);
    free(t.s);
    return r;
}

int mmt_report_format(int which, const mmt_layer_result *res, size_t n, char **out,
                      size_t *len)
{
    /* v2's columns: the layer cache stores results, not a version's layout. */
    void (*const gen[3])(text *, const mmt_layer_result *, size_t, int) = {
        compute_rows, bandwidth_rows, detailed_rows};
    text t = {0};
    if (which < 0 || which > 2)
        return MMT_EINVAL;
    gen[which](&t, res, n, 0);
    if (t.err) {
        free(t.s);
        return t.err;
    }
    *out = t.s, *len = t.len;
    return 0;
}
