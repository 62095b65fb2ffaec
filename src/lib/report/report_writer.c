/*
 * report_writer.c - SCALE-Sim v2's three report CSVs (doc/scalesim-v2.md §8) and its per-layer console summary
 * (doc/scalesim-v2.md §1). Numbers are printed as Python prints them: ints as digits, floats in repr.
 */
#include "sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable text buffer; err latches the first allocation failure. With f set, the text is
 * written to f whenever it passes FLUSH_AT bytes (f's error flag keeps a write failure), so a report
 * of 2^20 layers never sits whole in memory (issue 8 item 10). */
#define FLUSH_AT ((size_t)64 << 10)
typedef struct text {
    char *s;
    size_t len, cap;
    int err;
    FILE *f;
} text;

/* Appends n bytes. */
static void put(text *t, const char *s, size_t n)
{
    if (t->err)
        return;
    if (t->f && t->len > FLUSH_AT) {
        fwrite(t->s, 1, t->len, t->f);
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

/* A report's layout: its header line and the row of layer i (v3: SCALE-Sim v3.0.0's). */
typedef struct layout {
    void (*head)(text *t, int v3);
    void (*row)(text *t, size_t i, const mmt_layer_result *r, int v3);
} layout;

/* COMPUTE_REPORT.csv header; v3 adds the column "Total Cycles (incl. prefetch)". */
static void compute_head(text *t, int v3)
{
    puts_(t, v3 ? "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, "
                  "Overall Util %, Mapping Efficiency %, Compute Util %,\n"
                : "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, "
                  "Compute Util %,\n");
}

/* COMPUTE_REPORT.csv row of layer i. */
static void compute_row(text *t, size_t i, const mmt_layer_result *r, int v3)
{
    char b[32];
    put(t, b, mmt_fmt_i64(b, (int64_t)i));
    if (v3)
        put_int(t, v3_total_incl_prefetch(r));
    put_int(t, r->total_cycles);
    put_int(t, r->stall_cycles);
    put_float(t, r->overall_util);
    put_float(t, r->mapping_eff);
    put_float(t, r->compute_util);
    puts_(t, ",\n");
}

/* BANDWIDTH_REPORT.csv header (the same columns in v2 and v3). */
static void bandwidth_head(text *t, int v3)
{
    (void)v3;
    puts_(t, "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, "
             "Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n");
}

/* BANDWIDTH_REPORT.csv row of layer i. */
static void bandwidth_row(text *t, size_t i, const mmt_layer_result *r, int v3)
{
    (void)v3;
    char b[32];
    put(t, b, mmt_fmt_i64(b, (int64_t)i));
    for (int op = 0; op < 3; op++)
        put_float(t, pydiv(r->sram_count[op], r->total_cycles));
    for (int op = 0; op < 3; op++)
        put_float(t, dram_bw(r, op));
    puts_(t, ",\n");
}

/* DETAILED_ACCESS_REPORT.csv header (the same columns in v2 and v3). */
static void detailed_head(text *t, int v3)
{
    (void)v3;
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
}

/* DETAILED_ACCESS_REPORT.csv row of layer i. */
static void detailed_row(text *t, size_t i, const mmt_layer_result *r, int v3)
{
    (void)v3;
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

static const layout layouts[3] = {{compute_head, compute_row},
                                  {bandwidth_head, bandwidth_row},
                                  {detailed_head, detailed_row}};

/* The whole report k for n layers. */
static void all_rows(text *t, int k, const mmt_layer_result *res, size_t n, int v3)
{
    layouts[k].head(t, v3);
    for (size_t i = 0; i < n; i++)
        layouts[k].row(t, i, &res[i], v3);
}

/* One report streamed into the atomic writer's file. */
typedef struct streamed {
    int k;
    const mmt_layer_result *res;
    size_t n;
    int v3;
} streamed;

/* Formats report k into f, flushing the text as it grows; a write error stays in f. */
static int fill_report(FILE *f, void *ud)
{
    const streamed *st = ud;
    text t = {.f = f};
    all_rows(&t, st->k, st->res, st->n, st->v3);
    if (!t.err && t.len)
        fwrite(t.s, 1, t.len, f);
    free(t.s);
    return t.err;
}

/* Writes report k to path with the atomic writer. */
static int write_streamed(const char *path, int k, const mmt_layer_result *res, size_t n, int v3,
                          mmt_diag *diag)
{
    streamed st = {k, res, n, v3};
    return mmt__write_atomic(path, fill_report, &st, diag);
}

/* The three reports into dir, each by writer (write_streamed, or write_unsynced below). */
typedef int report_fn(const char *path, int k, const mmt_layer_result *res, size_t n, int v3,
                      mmt_diag *diag);
static int write_reports(const char *dir, const mmt_layer_result *res, size_t n, mmt_scalesim v,
                         report_fn *writer, mmt_diag *diag)
{
    for (int k = 0; k < 3; k++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir,
                     mmt_output_name((mmt_output)(MMT_OUT_COMPUTE_REPORT + k))) >= (int)sizeof path)
            return mmt__diag(diag, MMT_EINVAL, dir, 0, "path too long");
        int r = writer(path, k, res, n, v == MMT_SCALESIM_V3, diag);
        if (r)
            return r;
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
    return write_reports(dir, res, n, v, write_streamed, diag);
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

/* ---------------------------------------------------------------- streamed reports */

#define NREP 4 /* the three reports and BYTES_REPORT.csv */

struct mmt_report_stream {
    int v3, nrep;          /* nrep: 3, or 4 with the bytes report */
    mmt_config cfg;        /* the widths of the bytes report */
    size_t next;           /* the index of the next layer */
    text t[NREP];          /* t[k].f: out[k]'s stream while it is open, then NULL */
    mmt__staged out[NREP]; /* the staged reports, published together by commit */
    char final[NREP][4096];
};

/* BYTES_REPORT.csv header, laid out like SCALE-Sim's reports. */
static const char bytes_head[] =
    "LayerID, SRAM IFMAP Bytes Read, SRAM Filter Bytes Read, SRAM OFMAP Bytes Written, "
    "DRAM IFMAP Bytes Read, DRAM Filter Bytes Read, DRAM OFMAP Bytes Written,\n";

/* BYTES_REPORT.csv row of layer i. */
static int bytes_row(text *t, size_t i, const mmt_config *cfg, const mmt_layer_result *r)
{
    mmt_layer_bytes b;
    char s[32];
    int e = mmt_precision_layer_bytes(cfg, r, &b);
    if (e)
        return e;
    put(t, s, mmt_fmt_i64(s, (int64_t)i));
    for (int op = 0; op < 3; op++)
        put_int(t, b.sram[op]);
    for (int op = 0; op < 3; op++)
        put_int(t, b.dram[op]);
    puts_(t, ",\n");
    return 0;
}

/* Reports a failed write of report k (the system's reason, or t's allocation error). */
static int stream_err(const mmt_report_stream *s, int k, mmt_diag *diag)
{
    if (s->t[k].err)
        return mmt__diag(diag, s->t[k].err, s->final[k], 0, "out of memory");
    return mmt__sys_diag(diag, s->final[k], 0, "cannot write");
}

int mmt_report_stream_open(const char *dir, mmt_scalesim v, const mmt_config *bytes_cfg,
                           mmt_report_stream **out, mmt_diag *diag)
{
    mmt_report_stream *s = calloc(1, sizeof *s);
    if (!s)
        return mmt__diag(diag, MMT_ENOMEM, dir, 0, "out of memory");
    s->v3 = v == MMT_SCALESIM_V3;
    s->nrep = bytes_cfg ? 4 : 3;
    if (bytes_cfg)
        s->cfg = *bytes_cfg;
    for (int k = 0; k < s->nrep; k++) {
        const char *name = mmt_output_name((mmt_output)(MMT_OUT_COMPUTE_REPORT + k));
        int r;
        if (snprintf(s->final[k], sizeof s->final[k], "%s/%s", dir, name) >=
            (int)sizeof s->final[k])
            r = mmt__diag(diag, MMT_EINVAL, dir, 0, "path too long");
        else
            r = mmt__staged_open(&s->out[k], s->final[k], 1, diag, "cannot create");
        if (r) {
            mmt_report_stream_free(s);
            return r;
        }
        s->t[k].f = s->out[k].f;
        if (k < 3)
            layouts[k].head(&s->t[k], s->v3);
        else
            puts_(&s->t[k], bytes_head);
    }
    *out = s;
    return 0;
}

int mmt_report_stream_add(mmt_report_stream *s, const mmt_layer_result *res, mmt_diag *diag)
{
    for (int k = 0; k < 3; k++)
        layouts[k].row(&s->t[k], s->next, res, s->v3);
    if (s->nrep > 3 && bytes_row(&s->t[3], s->next, &s->cfg, res) != 0)
        return mmt__diag(diag, MMT_EOVERFLOW, s->final[3], 0,
                         "layer %zu: its byte counts overflow 64 bits", s->next);
    s->next++;
    for (int k = 0; k < s->nrep; k++)
        if (s->t[k].err || ferror(s->t[k].f))
            return stream_err(s, k, diag);
    return 0;
}

/* Writes what report k still holds, flushes it to the disk and closes it (not yet published);
 * a failure fills diag and leaves the temporary to mmt_report_stream_free. */
static int stream_close(mmt_report_stream *s, int k, mmt_diag *diag)
{
    text *t = &s->t[k];
    int r = 0;
    if (t->err)
        r = mmt__diag(diag, t->err, s->final[k], 0, "out of memory");
    else if (!ferror(t->f) && fwrite(t->s ? t->s : "", 1, t->len, t->f) != t->len)
        r = mmt__sys_diag(diag, s->final[k], 0, "cannot write");
    else
        r = mmt__staged_finish(&s->out[k], 1, diag, "cannot write");
    t->f = NULL; /* closed by finish, or by the free */
    return r;
}

int mmt_report_stream_commit(mmt_report_stream *s, mmt_diag *diag)
{
    int r = 0;
    for (int k = 0; r == 0 && k < s->nrep; k++)
        r = stream_close(s, k, diag);
    for (int k = 0; r == 0 && k < s->nrep; k++)
        r = mmt__staged_publish(&s->out[k], diag, "cannot write"); /* all synced first */
    mmt_report_stream_free(s);
    return r;
}

void mmt_report_stream_free(mmt_report_stream *s)
{
    if (!s)
        return;
    for (int k = 0; k < s->nrep; k++) {
        mmt__staged_abort(&s->out[k]);
        free(s->t[k].s);
    }
    free(s);
}

int mmt_report_bytes_write(const char *dir, const mmt_config *cfg, const mmt_layer_result *res,
                           size_t n, mmt_diag *diag)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, mmt_output_name(MMT_OUT_BYTES_REPORT)) >=
        (int)sizeof path)
        return mmt__diag(diag, MMT_EINVAL, dir, 0, "path too long");
    text t = {0};
    puts_(&t, bytes_head);
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++)
        if ((r = bytes_row(&t, i, cfg, &res[i])) != 0)
            mmt__diag(diag, r, path, 0, "layer %zu: its byte counts overflow 64 bits", i);
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
    text t = {0};
    if (which < 0 || which > 2)
        return MMT_EINVAL;
    all_rows(&t, which, res, n, 0);
    if (t.err) {
        free(t.s);
        return t.err;
    }
    *out = t.s, *len = t.len;
    return 0;
}

/* Writes report k of res to path staged (temporary, rename) without flushing it to the disk. */
static int write_unsynced(const char *path, int k, const mmt_layer_result *res, size_t n, int v3,
                          mmt_diag *diag)
{
    streamed st = {k, res, n, v3};
    mmt__staged s;
    int r = mmt__staged_open(&s, path, 1, diag, "cannot create");
    if (r)
        return r;
    if ((r = fill_report(s.f, &st)) != 0)
        r = mmt__diag(diag, r, path, 0, "%s", mmt_strerror(r));
    if (r == 0)
        r = mmt__staged_finish(&s, 0, diag, "cannot write");
    if (r == 0)
        r = mmt__staged_publish(&s, diag, "cannot write");
    mmt__staged_abort(&s);
    return r;
}

int mmt_report_write_flags(const char *dir, const mmt_layer_result *res, size_t n,
                           mmt_scalesim v, unsigned flags, mmt_diag *diag)
{
    if (flags & ~(unsigned)MMT_WRITE_NOSYNC)
        return mmt__diag(diag, MMT_EINVAL, dir, 0, "unknown flags %#x", flags);
    if (!(flags & MMT_WRITE_NOSYNC))
        return mmt_report_write_version(dir, res, n, v, diag);
    return write_reports(dir, res, n, v, write_unsynced, diag);
}
