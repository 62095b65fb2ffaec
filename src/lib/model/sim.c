/*
 * sim.c - one layer's memory system and stall accounting (doc/scalesim-v2.md §7.1): the ifmap and filter
 * read buffers (USER or CALC), the ofmap write buffer, the stall-adjusted SRAM traces and the
 * DRAM traces. The fused mmt_sim_run drives it straight from the demand-row generators.
 *
 * CALC-mode DRAM traces are padded on the right to the widest prefetch block, which is known
 * only at the end of the layer. Their blocks are therefore spilled to a temporary file in
 * compact binary form (addresses only, no padding) and formatted at finish, so memory stays
 * flat whatever the layer size. The spill file lives beside its DRAM trace
 * (NAME.spill.XXXXXX, unlinked as soon as it is open, so nothing is left even after a kill):
 * on the output filesystem, whose free space was checked, not in a small /tmp.
 */
#include "sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A CALC DRAM trace being collected: binary blocks in a temporary file. */
typedef struct spill {
    FILE *f;
    int64_t maxbw;
    char *name; /* the (unlinked) file's name, for messages */
    mmt_diag *diag; /* the caller's mmt_sim_opts.diag (may be NULL) */
} spill;

/* Reports the spill-file operation that just failed in sp->diag; returns its code. */
static int spill_err(const spill *sp, const char *what)
{
    return mmt__sys_diag(sp->diag, sp->name, 0,
                         "cannot %s the temporary spill file of the CALC DRAM trace", what);
}

/* Creates the spill file of the DRAM trace at path, beside it, and unlinks it at once. */
static int spill_open(spill *sp, const char *path, mmt_diag *diag)
{
    size_t n = strlen(path);
    sp->diag = diag;
    if (!(sp->name = malloc(n + 16)))
        return MMT_ENOMEM;
    memcpy(sp->name, path, n);
    memcpy(sp->name + n, ".spill.XXXXXX", 14);
    int fd = mkstemp(sp->name);
    if (fd < 0)
        return spill_err(sp, "create");
    unlink(sp->name);
    if (!(sp->f = fdopen(fd, "w+b"))) {
        int r = spill_err(sp, "open");
        close(fd);
        return r;
    }
    return 0;
}

int mmt_sim_check(const mmt_config *cfg, const mmt_geom *g, long line, mmt_diag *diag)
{
    static const char *const name[2] = {"ifmap", "filter"};
    for (int op = 0; cfg->user_bw && op < 2; op++) {
        int64_t base, end;
        mmt_geom_operand_range(g, (mmt_operand)op, &base, &end);
        if (end - base > MMT_MAX_USER_SPAN)
            return mmt__diag(diag, MMT_ERANGE, NULL, line,
                             "the %s has %" PRId64 " addresses, more than the %" PRId64
                             " (16 GiB of index) the USER-mode read buffer can hold",
                             name[op], end - base, MMT_MAX_USER_SPAN);
    }
    return 0;
}

int mmt_sim_dram_rows_min(const mmt_config *cfg, mmt_operand op, int64_t *rows)
{
    *rows = 0;
    if (cfg->user_bw || op == MMT_OP_OFMAP)
        return 0;
    int64_t words, bw;
    int r = mmt__buffer_elems(cfg, op, &words, &bw);
    if (r == 0 && bw > 0) /* rbuf_calc.c: ceil(ips / bw0) rows for the first set alone */
        *rows = mmt__ceil_div(words / 100, bw);
    return r;
}

struct mmt_sim {
    mmt_geom g;
    int user, py311;
    int v3; /* SCALE-Sim v3.0.0 semantics (doc/scalesim-v3.md) */
    mmt__rcalc *rc[2];
    mmt__ruser *ru[2];
    mmt__wbuf *wb;
    mmt_tracew *sw[3], *dw[3]; /* SRAM and DRAM trace writers (NULL: not written) */
    spill sp[2];
    mmt_diag *diag; /* mmt_sim_opts.diag: why a trace could not be written (may be NULL) */
    int64_t width[3];
    int64_t stall, last_co, steps;
    int has_sram[3];
    int64_t sram_start[3], sram_stop[3];
    char *path[6];  /* the traces' names (0..2 SRAM, 3..5 DRAM), for messages */
};

/* Names trace k (0..2 SRAM, 3..5 DRAM) in the caller's diag when writing it failed and no more
 * precise reason (the writer's own, or a spill file's) is there yet; returns r. */
static int trace_failure(mmt_sim *s, int r);
static int trace_fail(mmt_sim *s, int k, int r)
{
    if (r == 0 || r == MMT_ENOMEM)
        return r;
    trace_failure(s, r); /* a writer that failed itself names its file and reason */
    if (s->diag && !s->diag->message[0] && s->path[k])
        mmt__diag(s->diag, r, s->path[k], 0, "cannot write trace: %s", mmt_strerror(r));
    return r;
}

/* Row sink writing straight to a DRAM trace. */
static int row_to_trace(void *ud, int64_t cycle, const int64_t *vals, int64_t n)
{
    return mmt__dram_row(ud, cycle, vals, n, 0);
}

/* Block sink appending a CALC prefetch block to the spill file. */
static int block_to_spill(void *ud, int64_t first, int64_t ncyc, int64_t bw,
                          const int64_t *addrs, int64_t naddrs)
{
    spill *sp = ud;
    int64_t hdr[4] = {first, ncyc, bw, naddrs};
    if (fwrite(hdr, sizeof hdr, 1, sp->f) != 1 ||
        fwrite(addrs, sizeof *addrs, (size_t)naddrs, sp->f) != (size_t)naddrs)
        return spill_err(sp, "write");
    if (bw > sp->maxbw)
        sp->maxbw = bw;
    return 0;
}

/* Opens the trace writers the options ask for. */
static int open_traces(mmt_sim *s, const mmt_sim_opts *o)
{
    for (int k = 0; k < 6; k++) {
        const char *p = k < 3 ? o->sram_trace_path[k] : o->dram_trace_path[k - 3];
        if (p && !(s->path[k] = strdup(p)))
            return MMT_ENOMEM;
    }
    for (int op = 0; op < 3; op++) {
        int r = 0;
        if (o->sram_trace_path[op])
            r = mmt_tracew_open(o->sram_trace_path[op], o->gzip_level, &s->sw[op], o->diag);
        if (r == 0 && o->dram_trace_path[op])
            r = mmt_tracew_open(o->dram_trace_path[op], o->gzip_level, &s->dw[op], o->diag);
        if (r == 0 && s->dw[op] && op < 2 && !s->user)
            r = spill_open(&s->sp[op], o->dram_trace_path[op], o->diag);
        if (r)
            return r;
    }
    return 0;
}

/* Makes the two read buffers for the configured bandwidth mode. */
static int make_read_buffers(mmt_sim *s, const mmt_config *cfg)
{
    for (int op = 0; op < 2; op++) {
        /* Sizes and bandwidths in elements of the operand's width ([precision]; 8 bits:
         * SCALE-Sim's words, KB * 1024 and Bandwidth or the CALC base bandwidth 10). */
        int64_t words, bw;
        int r = mmt__buffer_elems(cfg, (mmt_operand)op, &words, &bw);
        if (r)
            return r;
        if (s->user) {
            mmt__plist pl;
            r = mmt__plist_init(&pl, &s->g, (mmt_operand)op);
            /* SCALE-Sim v3.0.0: the USER read bandwidths are the [layout] bank bandwidths
             * (doc/scalesim-v3.md §V3.4); v2 uses Bandwidth for all three. */
            if (s->v3) /* [precision] is refused in v3 mode: 8-bit words */
                bw = cfg->bank_bw[op];
            if (r == 0)
                r = mmt__ruser_new(&pl, words, bw, s->dw[op] ? row_to_trace : NULL, s->dw[op],
                                   &s->ru[op]);
            if (r == 0 && s->v3)
                mmt__ruser_set_v3(s->ru[op]);
        } else {
            const mmt_geom *g = &s->g;
            int64_t base, end;
            mmt_geom_operand_range(g, (mmt_operand)op, &base, &end);
            r = mmt__rcalc_new(words, bw, base, end - base, s->sp[op].f ? block_to_spill : NULL,
                               &s->sp[op], &s->rc[op]);
        }
        if (r)
            return r;
    }
    return 0;
}

int mmt_sim_new(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o, mmt_sim **out)
{
    static const mmt_sim_opts none;
    if (!o)
        o = &none;
    int v3 = cfg->version == MMT_SCALESIM_V3;
    if (cfg->user_bw && (cfg->bandwidth <= 0 || (v3 && (cfg->bank_bw[0] <= 0 ||
                                                        cfg->bank_bw[1] <= 0))))
        return MMT_EINVAL;
    if (cfg->user_bw && cfg->bandwidth > MMT_MAX_BANDWIDTH)
        return MMT_ERANGE; /* mmt_config_read refuses it with the cfg line */
    mmt_sim *s = calloc(1, sizeof *s);
    if (!s)
        return MMT_ENOMEM;
    s->g = *g;
    s->user = cfg->user_bw;
    s->py311 = o->py311_sum;
    s->v3 = v3;
    s->diag = o->diag;
    for (int op = 0; op < 3; op++)
        s->width[op] = mmt_geom_width(g, (mmt_operand)op);
    int64_t owords, obw;
    int r = mmt__buffer_elems(cfg, MMT_OP_OFMAP, &owords, &obw);
    if (r == 0)
        r = open_traces(s, o);
    if (r == 0)
        r = make_read_buffers(s, cfg);
    /* SCALE-Sim v2: in CALC mode the ofmap DRAM bandwidth is the array width C, not obw. */
    if (r == 0)
        r = mmt__wbuf_new(owords, s->user ? obw : g->C, s->dw[2] ? row_to_trace : NULL,
                          s->dw[2], &s->wb);
    if (r == 0 && v3)
        mmt__wbuf_set_v3(s->wb);
    return MMT__NEW_END(r, s, mmt_sim_free, out);
}

void mmt_sim_free(mmt_sim *s)
{
    if (!s)
        return;
    for (int op = 0; op < 3; op++) {
        mmt_tracew_abort(s->sw[op]);
        mmt_tracew_abort(s->dw[op]);
    }
    for (int op = 0; op < 2; op++) {
        mmt__rcalc_free(s->rc[op]);
        mmt__ruser_free(s->ru[op]);
        if (s->sp[op].f)
            fclose(s->sp[op].f);
        free(s->sp[op].name);
    }
    for (int k = 0; k < 6; k++)
        free(s->path[k]);
    mmt__wbuf_free(s->wb);
    free(s);
}

/* Notes the serve cycle of a row for the SRAM start/stop cycles if it has any address. */
static void note_sram(mmt_sim *s, int op, const int64_t *row, int64_t lo, int64_t hi,
                      int64_t served)
{
    for (int64_t i = lo; i < hi; i++)
        if (row[i] != -1) {
            if (!s->has_sram[op])
                s->has_sram[op] = 1, s->sram_start[op] = served;
            s->sram_stop[op] = served;
            return;
        }
}

/* After a failure r: the trace writer that failed (its error is latched) is closed, which
 * discards its file and gives the reason to the caller's diag. Returns r. */
static int trace_failure(mmt_sim *s, int r)
{
    for (int k = 0; k < 6; k++) {
        mmt_tracew **w = k < 3 ? &s->sw[k] : &s->dw[k - 3];
        if (*w && mmt__tracew_err(*w)) {
            mmt_tracew_close(*w, s->diag);
            *w = NULL;
            break;
        }
    }
    return r;
}

/* One demand row through the three buffers; entries outside [lo[op], hi[op]) are -1. */
static int step_range(mmt_sim *s, const int64_t *const rows[3], const int64_t lo[3],
                      const int64_t hi[3], int64_t served[3])
{
    int64_t c = s->steps + s->stall, r = 0;
    for (int op = 0; op < 2 && r == 0; op++) {
        if (s->user)
            r = trace_fail(s, 3 + op,
                           mmt__ruser_read(s->ru[op], rows[op], lo[op], hi[op], c, &served[op]));
        else
            r = mmt__rcalc_read(s->rc[op], rows[op], lo[op], hi[op], c), served[op] = c + 1;
    }
    if (r == 0)
        r = trace_fail(s, 5, mmt__wbuf_write(s->wb, rows[2], lo[2], hi[2], c, &served[2]));
    if (r)
        return trace_failure(s, (int)r);
    int64_t st = served[0] - c - 1;
    if (served[1] - c - 1 > st)
        st = served[1] - c - 1;
    if (served[2] - c > st)
        st = served[2] - c;
    s->stall += st;
    s->steps++;
    s->last_co = served[2];
    for (int op = 0; op < 3; op++) {
        note_sram(s, op, rows[op], lo[op], hi[op], served[op]);
        if (s->sw[op] && (r = mmt_tracew_row(s->sw[op], served[op], rows[op], s->width[op])))
            return trace_fail(s, op, (int)r);
    }
    return 0;
}

int mmt_sim_step(mmt_sim *s, const int64_t *ifmap_row, const int64_t *filter_row,
                 const int64_t *ofmap_row, int64_t served[3])
{
    const int64_t *rows[3] = {ifmap_row, filter_row, ofmap_row};
    int64_t lo[3] = {0, 0, 0};
    return step_range(s, rows, lo, s->width, served);
}

/* Formats a spilled CALC DRAM trace: every row padded with 1.0 to the widest block. */
static int write_spill(spill *sp, mmt_tracew *w)
{
    int64_t *buf = mmt__mallocn(sp->maxbw, sizeof *buf);
    if (!buf)
        return MMT_ENOMEM;
    int r = fflush(sp->f) == 0 && fseek(sp->f, 0, SEEK_SET) == 0 ? 0 : spill_err(sp, "write");
    int64_t hdr[4];
    while (r == 0 && fread(hdr, sizeof hdr, 1, sp->f) == 1) {
        int64_t ncyc = hdr[1], bw = hdr[2], left = hdr[3];
        for (int64_t i = 0; r == 0 && i < ncyc; i++) {
            int64_t n = left < bw ? left : bw;
            if (fread(buf, sizeof *buf, (size_t)n, sp->f) != (size_t)n)
                r = spill_err(sp, "read");
            for (int64_t k = n; k < bw; k++)
                buf[k] = -1;
            left -= n;
            /* SCALE-Sim v2: narrower blocks are padded with 1.0, not -1.0. */
            if (r == 0)
                r = mmt__dram_row(w, hdr[0] + i, buf, bw, sp->maxbw - bw);
        }
    }
    if (r == 0 && ferror(sp->f))
        r = spill_err(sp, "read");
    free(buf);
    return r;
}

/* Closes every trace writer (writing the spilled CALC DRAM traces first). */
static int close_traces(mmt_sim *s)
{
    int r = 0;
    for (int op = 0; op < 3; op++) {
        if (r == 0 && op < 2 && s->sp[op].f && s->dw[op])
            r = trace_fail(s, 3 + op, write_spill(&s->sp[op], s->dw[op]));
        mmt_tracew *w[2] = {s->sw[op], s->dw[op]};
        s->sw[op] = s->dw[op] = NULL;
        for (int k = 0; k < 2; k++) {
            if (!w[k])
                continue;
            if (r == 0)
                r = trace_fail(s, k ? 3 + op : op, mmt_tracew_close(w[k], s->diag));
            else if (mmt__tracew_err(w[k])) /* it failed itself: close gives the reason */
                mmt_tracew_close(w[k], s->diag);
            else
                mmt_tracew_abort(w[k]);
        }
    }
    return r;
}

/* Mean of the per-fold values of kind (0 mapping eff, 1 compute util) times 100, summed in
 * fold order like Python's sum(list) / len(list) * 100. Folds fall into at most four classes
 * (full or partial row fold, full or partial col fold), so each value is computed once; fold
 * hole (or none, -1) has one mapped PE less (v3_ws_hole). */
static double fold_mean(const mmt_geom *g, int kind, int py311, int64_t hole)
{
    double v[2][2];
    for (int pr = 0; pr < 2; pr++)
        for (int pc = 0; pc < 2; pc++) {
            int64_t f = (pc ? g->col_fold - 1 : 0) * g->row_fold + (pr ? g->row_fold - 1 : 0);
            v[pr][pc] = kind ? mmt_geom_fold_compute_util(g, f) : mmt_geom_fold_mapping_eff(g, f);
        }
    mmt_pysum_acc a;
    mmt_pysum_init(&a);
    double naive = 0.0;
    for (int64_t fc = 0; fc < g->col_fold; fc++)
        for (int64_t fr = 0; fr < g->row_fold; fr++) {
            double x = v[fr == g->row_fold - 1][fc == g->col_fold - 1];
            if (fc * g->row_fold + fr == hole) {
                int64_t ru, cu;
                mmt__geom_fold_used(g, hole, &ru, &cu);
                x = mmt__true_div((mmt__u128)(ru * cu - 1), (mmt__u128)(g->R * g->C));
            }
            if (py311)
                naive = naive + x;
            else
                mmt_pysum_add(&a, x);
        }
    double sum = py311 ? naive : mmt_pysum_result(&a);
    return sum / (double)g->folds * 100;
}

void mmt__sim_result(const mmt_geom *g, int py311, int64_t last_co, int64_t stall,
                     const int has_sram[3], const int64_t sram_start[3],
                     const int64_t sram_stop[3], const mmt__dram_stat *const dram[3],
                     mmt_layer_result *res)
{
    memset(res, 0, sizeof *res);
    res->total_cycles = last_co;
    res->stall_cycles = stall;
    res->macs = g->macs;
    mmt__u128 den = (mmt__u128)(uint64_t)last_co * (uint64_t)g->R * (uint64_t)g->C;
    /* SCALE-Sim v2 divides by zero when Total Cycles is 0; report inf instead. */
    res->overall_util = last_co > 0 ? mmt__true_div((mmt__u128)g->macs * 100, den) : INFINITY;
    res->mapping_eff = fold_mean(g, 0, py311, -1);
    res->compute_util = fold_mean(g, 1, py311, -1);
    int64_t counts[3] = {g->sram_ifmap_reads, g->sram_filter_reads, g->sram_ofmap_writes};
    for (int op = 0; op < 3; op++) {
        res->has_sram[op] = has_sram[op];
        res->sram_start[op] = has_sram[op] ? sram_start[op] : 0;
        res->sram_stop[op] = has_sram[op] ? sram_stop[op] : 0;
        res->sram_count[op] = counts[op];
        res->dram_start[op] = dram[op]->start;
        res->dram_stop[op] = dram[op]->stop;
        res->dram_count[op] = dram[op]->accesses;
    }
}

/* SCALE-Sim v3.0.0: WS mapping efficiency is (R*C - h) / (R*C) for the h entries of -1 in
 * the fold's padded filter block, so a real filter address -1 (a negative FilterOffset) counts
 * as an idle PE (doc/scalesim-v3.md §V3.7). Returns the fold holding that address (fold
 * index fc * row_fold + fr, as the folds are visited), or -1. */
static int64_t v3_ws_hole(const mmt_geom *g)
{
    int64_t lo, hi;
    mmt_geom_operand_range(g, MMT_OP_FILTER, &lo, &hi);
    if (g->df != MMT_DF_WS || lo > -1 || -1 >= hi)
        return -1;
    int64_t j = -1 - lo, k = j % g->K, n = j / g->K; /* address n*K + k + FilterOffset */
    return n / g->C * g->row_fold + k / g->R;
}

double mmt__sim_mapping_eff(const mmt_geom *g, int py311, int v3)
{
    return fold_mean(g, 0, py311, v3 ? v3_ws_hole(g) : -1);
}

/* Fills res from the finished buffers. */
static void fill_result(const mmt_sim *s, mmt_layer_result *res)
{
    const mmt__dram_stat *d[3];
    for (int op = 0; op < 2; op++)
        d[op] = s->user ? mmt__ruser_stat(s->ru[op]) : mmt__rcalc_stat(s->rc[op]);
    d[2] = mmt__wbuf_stat(s->wb);
    mmt__sim_result(&s->g, s->py311, s->last_co, s->stall, s->has_sram, s->sram_start,
                    s->sram_stop, d, res);
    int64_t hole = s->v3 ? v3_ws_hole(&s->g) : -1;
    if (hole >= 0)
        res->mapping_eff = fold_mean(&s->g, 0, s->py311, hole);
}

int mmt_sim_finish(mmt_sim *s, mmt_layer_result *res)
{
    int r = 0;
    if (s->steps == 0)
        return MMT_EINVAL;
    for (int op = 0; op < 2 && r == 0 && !s->user; op++)
        r = mmt__rcalc_finish(s->rc[op]);
    if (r == 0)
        r = trace_fail(s, 5, mmt__wbuf_drain_all(s->wb, s->last_co));
    if (r == 0)
        r = close_traces(s);
    if (r == 0)
        fill_result(s, res);
    return r;
}

/* The row engine: every demand row through the buffers. */
static int run_rows(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o,
                    mmt_layer_result *res)
{
    mmt_sim *s = NULL;
    mmt_stream *st[3] = {NULL, NULL, NULL};
    int r = mmt_sim_new(cfg, g, o, &s);
    for (int op = 0; op < 3 && r == 0; op++)
        r = mmt_stream_new(g, (mmt_operand)op, &st[op]);
    int64_t lo[3], hi[3], served[3];
    const int64_t *rows[3];
    while (r == 0) {
        int n = 0;
        for (int op = 0; op < 3; op++) {
            int k = mmt_stream_next_view(st[op], &rows[op], &lo[op], &hi[op]);
            if (k < 0)
                r = k;
            n += k == 1;
        }
        if (r || n == 0)
            break;
        r = step_range(s, rows, lo, hi, served);
    }
    if (r == 0)
        r = mmt_sim_finish(s, res);
    mmt_sim_free(s);
    for (int op = 0; op < 3; op++)
        mmt_stream_free(st[op]);
    return r;
}

int mmt_sim_run(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o,
                mmt_layer_result *res)
{
    mmt_engine e = o ? o->engine : MMT_ENGINE_AUTO;
    if (cfg->mem_policy == MMT_MEM_STREAM) { /* doc/memory.md: its own closed form */
        const char *why = mmt_sim_stream_ok(cfg, g, o);
        if (why)
            return mmt__diag(o ? o->diag : NULL, MMT_EINVAL, NULL, 0,
                             "the stream memory policy cannot run this layer: %s", why);
        return mmt__stream_run(cfg, g, o && o->py311_sum, res);
    }
    if (e == MMT_ENGINE_ROWS)
        return run_rows(cfg, g, o, res);
    if (mmt_sim_folds_ok(cfg, g, o, NULL))
        return mmt__folds_run(cfg, g, o && o->py311_sum, res);
    return e == MMT_ENGINE_FOLDS ? MMT_EINVAL : run_rows(cfg, g, o, res);
}
