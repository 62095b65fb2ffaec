/*
 * sim_folds.c - the fold engine: the fused path's reports computed fold by fold instead of
 * demand row by demand row, with results identical to the row engine (sim.c).
 *
 * What it covers (mmt_sim_folds_ok): no trace output, SCALE-Sim v2 mode, any operand width,
 * and layers whose ifmap addresses are all distinct with no -1 holes (GEMMs, and convs whose
 * windows neither overlap nor run off the ifmap). Everything else goes to the row engine.
 * This file is the CALC mode; sim_folds_user.c the USER mode.
 *
 * Why it is exact. In a fold each read operand touches one "block" of its matrix, every
 * element once, in an order that depends only on the fold's shape; blocks of different index
 * are disjoint, and a block seen again (OS ifmap per row fold, OS filter per column fold, WS
 * ifmap and IS filter per row fold) is read in the same order. The CALC buffer (doc/scalesim-v2.md §7.3)
 * hits an address exactly when it was inserted since the last window event, and an event
 * happens at every 50*ips-th miss. So the misses of a fold are a prefix of its ranks (those
 * not re-read since the last event) and, after an event inside the fold, every later rank:
 * the events fall at ranks found by arithmetic, and only the cycles of those ranks are
 * needed (rank -> row by inverting a closed-form count, row -> cycle from the stalls).
 * The ofmap write buffer (§7.4) is the real one (wbuf.c), fed only the rows that write, so
 * stalls come out as in the row engine; in CALC mode reads never stall.
 *
 * Memory: O(1) per fold beyond the write buffer, whatever the layer size.
 */
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

#define NSETS 50 /* SCALE-Sim v2: 50 active and 50 prefetch sets */

typedef __int128 i128;

/* Where a read operand's elements sit in a fold, in demand order (row, then column). */
typedef struct shape {
    int skew;            /* 1: element (t, x) exists iff ulo <= t-x < ulo+D and x < lim */
    int64_t ulo, D, lim; /* skewed operands */
    int64_t t0, w;       /* stationary operands: rows t0, t0+1, ... of w elements each */
    int64_t n;           /* elements in the fold */
} shape;

/* x(x+1)/2 for x > 0, else 0. */
static inline i128 tri(i128 x)
{
    return x > 0 ? x * (x + 1) / 2 : 0;
}

/* Elements of a skewed shape in rows < t: sum over x < lim of clamp(t-ulo-x, 0, D). */
static i128 count_before(const shape *s, int64_t t)
{
    i128 y = (i128)t - s->ulo;
    i128 a = tri(y) - tri(y - s->D), b = tri(y - s->lim) - tri(y - s->lim - s->D);
    return a - b;
}

/* Row (inside the fold, L rows) of the element of rank r. */
static int64_t row_of_rank(const shape *s, int64_t L, int64_t r)
{
    if (!s->skew)
        return s->t0 + r / s->w;
    int64_t lo = 0, hi = L; /* count_before(lo) <= r < count_before(hi) */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (count_before(s, mid) <= r)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* ---------------------------------------------------------------- CALC read buffer mirror */

/* The state of rbuf_calc.c reduced to what the reports need (doc/scalesim-v2.md §7.3). */
typedef struct calc {
    int64_t ips, Wn, bw0;    /* items per set, misses per window (50*ips), base bandwidth */
    int64_t nm, nwin, nev;   /* misses, misses since the last event, events */
    int64_t ev_fold, ev_rank; /* fold and rank of the last event */
    int64_t lps, lpe, first_cycle;
    int has_first;
    mmt__dram_stat st;
} calc;

/* PREFETCH of §7.3 (statistics only), with rbuf_calc.c's error rule. */
static int calc_prefetch(calc *b, int64_t naddrs, int64_t bw)
{
    int64_t ncyc = b->lpe - b->lps + 1;
    if (ncyc <= 0 || naddrs > ncyc * bw)
        return MMT_ERANGE; /* SCALE-Sim v2 itself fails here (no rows / reshape error) */
    b->st.accesses += naddrs;
    if (b->st.rows == 0)
        b->st.start = b->lps + 1;
    b->st.stop = b->lps + ncyc;
    b->st.rows += ncyc;
    return 0;
}

/* The window event at the Wn-th miss since the last one, issued at cycle cyc. */
static int calc_event(calc *b, int64_t cyc)
{
    int r;
    if (b->nev == 0) {
        b->lpe = b->first_cycle - 2;
        b->lps = b->lpe - mmt__ceil_div(b->Wn, b->bw0) + 1;
        r = calc_prefetch(b, b->Wn, b->bw0);
    } else {
        int64_t ncyc = b->lpe - b->lps + 1;
        if (ncyc <= 0)
            return MMT_ERANGE; /* two events in one cycle: SCALE-Sim v2 divides by zero */
        r = calc_prefetch(b, b->Wn, mmt__ceil_div(b->Wn, ncyc));
    }
    b->nev++;
    b->lps = b->lpe + 1;
    b->lpe = cyc; /* SCALE-Sim v2: the next block covers the cycles between two events */
    return r;
}

/* The end-of-layer prefetch (rbuf_calc.c's finish, from the counts). */
static int calc_finish(calc *b)
{
    int64_t cid = b->nm / b->ips;
    if (b->nm % b->ips == 0)
        cid--; /* otherwise the open set becomes set cid */
    if (b->nev == 0) {
        b->lpe = -2;
        b->lps = b->lpe - mmt__ceil_div((cid + 1) * b->ips, b->bw0) + 1;
        return calc_prefetch(b, b->nwin, b->bw0);
    }
    int64_t k = cid - NSETS * b->nev + 1, ncyc = b->lpe - b->lps + 1;
    if (ncyc <= 0)
        return MMT_ERANGE; /* SCALE-Sim v2 divides by zero here */
    return calc_prefetch(b, b->nwin, mmt__ceil_div(k * b->ips, ncyc));
}

/* ---------------------------------------------------------------- one read operand */

/* A read operand inside the current fold: its shape, buffer and the cycle queries left. */
typedef struct reader {
    calc cs;
    shape sh;
    int recur;        /* 0: every block fresh; 1: block repeats per column fold (same row
                       * fold, row_fold folds earlier); 2: repeats per row fold (prev fold) */
    int64_t next_ev;  /* rank of the next window event in this fold, -1 for none */
    int want_first;   /* fold 0: note first_cycle and the SRAM start at rank 0 */
    int want_stop;    /* last fold: note the SRAM stop at rank n-1 */
    int64_t item_row; /* row of the next query, INT64_MAX for none */
    int64_t sram_start, sram_stop;
} reader;

/* The fold's shape of operand op under dataflow df; ru rows and cu columns used. */
static void fold_shape(const mmt_geom *g, int op, int64_t ru, int64_t cu, shape *s)
{
    memset(s, 0, sizeof *s);
    int df = g->df;
    int stationary = (df == MMT_DF_WS && op == MMT_OP_FILTER) ||
                     (df == MMT_DF_IS && op == MMT_OP_IFMAP);
    if (stationary) { /* loaded in reverse row order in the first R rows: rows R-ru .. R-1 */
        s->t0 = g->R - ru;
        s->w = cu;
        s->n = ru * cu;
        return;
    }
    s->skew = 1;
    s->D = g->T;
    s->ulo = df == MMT_DF_OS ? 0 : g->R;
    /* OS: ifmap along the rows (ru), filter along the columns (cu); WS/IS: streamed along
     * the rows. */
    s->lim = df == MMT_DF_OS && op == MMT_OP_FILTER ? cu : ru;
    s->n = s->lim * s->D;
}

/* How operand op's blocks repeat (see reader.recur). */
static int recur_kind(const mmt_geom *g, int op)
{
    if (g->df == MMT_DF_OS)
        return op == MMT_OP_IFMAP ? 1 : 2;
    if (g->df == MMT_DF_WS)
        return op == MMT_OP_IFMAP ? 1 : 0;
    return op == MMT_OP_FILTER ? 1 : 0;
}

/* Number of leading ranks of fold f that miss unless an event intervenes: the ranks not
 * read since the last window event. */
static int64_t miss_prefix(const reader *rd, const mmt_geom *g, int64_t f)
{
    const calc *b = &rd->cs;
    int64_t prev = -1;
    if (rd->recur == 1 && f >= g->row_fold)
        prev = f - g->row_fold;
    else if (rd->recur == 2 && f % g->row_fold > 0)
        prev = f - 1;
    if (prev < 0)
        return rd->sh.n; /* a block never read before */
    if (b->nev == 0 || b->ev_fold < prev)
        return 0; /* all of it read since the last event */
    if (b->ev_fold == prev)
        return b->ev_rank + 1; /* the ranks after the event were read again after it */
    return rd->sh.n;
}

/* Counts fold f's misses and finds the rank of its first window event. Later events follow
 * every Wn ranks, since after an event every remaining rank of the fold misses. */
static void reader_begin(reader *rd, const mmt_geom *g, int64_t f)
{
    calc *b = &rd->cs;
    int64_t n = rd->sh.n, m0 = miss_prefix(rd, g, f), need = b->Wn - b->nwin;
    rd->next_ev = -1;
    if (m0 < need) {
        b->nm += m0;
        b->nwin += m0;
        return;
    }
    rd->next_ev = need - 1;
    int64_t after = n - need; /* ranks after the first event: all misses */
    b->nm += need + after;
    int64_t last = need - 1 + (after / b->Wn) * b->Wn;
    b->nwin = n - 1 - last;
    b->ev_fold = f;
    b->ev_rank = last;
}

/* Rank of the next query of the fold (first cycle, event, SRAM stop), or -1. */
static int64_t next_rank(const reader *rd)
{
    if (rd->want_first)
        return 0;
    if (rd->next_ev >= 0)
        return rd->next_ev;
    return rd->want_stop ? rd->sh.n - 1 : -1;
}

/* Sets item_row to the row of the next query. */
static void reader_arm(reader *rd, int64_t L)
{
    int64_t r = next_rank(rd);
    rd->item_row = r < 0 ? INT64_MAX : row_of_rank(&rd->sh, L, r);
}

/* Answers the next query, the row being issued at cycle cyc; re-arms. */
static int reader_fire(reader *rd, int64_t cyc, int64_t L)
{
    int r = 0;
    if (rd->want_first) {
        rd->want_first = 0;
        rd->cs.has_first = 1;
        rd->cs.first_cycle = cyc;
        rd->sram_start = cyc + 1; /* CALC reads are served at c+1 */
    } else if (rd->next_ev >= 0) {
        r = calc_event(&rd->cs, cyc);
        int64_t nx = rd->next_ev + rd->cs.Wn;
        rd->next_ev = nx <= rd->cs.ev_rank ? nx : -1;
    } else {
        rd->want_stop = 0;
        rd->sram_stop = cyc + 1;
    }
    reader_arm(rd, L);
    return r;
}

/* ---------------------------------------------------------------- the layer */

/* Everything one layer run needs. */
typedef struct engine {
    const mmt_geom *g;
    reader rd[2];
    mmt__ofout out;
    int64_t stall;
} engine;

/* Fires every read query at rows <= t of fold f (issued with the current stall). */
static int fire_upto(engine *E, int64_t f, int64_t t)
{
    const mmt_geom *g = E->g;
    for (int op = 0; op < 2; op++) {
        reader *rd = &E->rd[op];
        while (rd->item_row <= t) {
            int r = reader_fire(rd, f * g->L + rd->item_row + E->stall, g->L);
            if (r)
                return r;
        }
    }
    return 0;
}

/* One fold: read misses and events, the ofmap rows through the write buffer, the stalls. */
static int run_fold(engine *E, int64_t f)
{
    const mmt_geom *g = E->g;
    int64_t ru, cu;
    mmt__geom_fold_used(g, f, &ru, &cu);
    for (int op = 0; op < 2; op++) {
        reader *rd = &E->rd[op];
        fold_shape(g, op, ru, cu, &rd->sh);
        rd->want_first = f == 0;
        rd->want_stop = f == g->folds - 1;
        reader_begin(rd, g, f);
        reader_arm(rd, g->L);
    }
    /* Ofmap outputs leave from row T-1 (OS) or 2R-1 (WS, IS) of the fold on. */
    int64_t t = g->df == MMT_DF_OS ? g->T - 1 : 2 * g->R - 1;
    int r = mmt__stream_seek(E->out.of, f, t);
    for (; r == 0 && t < g->L; t++) {
        int64_t c, served;
        if ((r = fire_upto(E, f, t)) != 0)
            break;
        c = f * g->L + t + E->stall;
        if ((r = mmt__ofout_row(&E->out, c, &served)) != 0)
            break;
        E->stall += served - c; /* CALC reads never stall: the write stall is the row's */
    }
    return r ? r : fire_upto(E, f, INT64_MAX - 1);
}

int mmt__folds_run(const mmt_config *cfg, const mmt_geom *g, int py311, mmt_layer_result *res)
{
    if (cfg->user_bw)
        return mmt__folds_run_user(cfg, g, py311, res);
    engine E = {.g = g};
    int64_t owords;
    /* Sizes and bandwidths in elements of each operand's width ([precision]), as sim.c. */
    int r = mmt_precision_sram_elems(cfg, MMT_OP_OFMAP, &owords);
    for (int op = 0; op < 2 && r == 0; op++) {
        calc *b = &E.rd[op].cs;
        int64_t words, bw0;
        if ((r = mmt__buffer_elems(cfg, (mmt_operand)op, &words, &bw0)) != 0)
            return r;
        if (words < 100 || bw0 <= 0)
            return MMT_EINVAL; /* as mmt__rcalc_new */
        b->ips = words / 100;
        b->Wn = NSETS * b->ips;
        b->bw0 = bw0; /* SCALE-Sim v2: the base bandwidth, 10 (8-bit words) */
        b->lps = -2, b->lpe = -1;
        b->ev_fold = -1;
        E.rd[op].recur = recur_kind(g, op);
    }
    /* SCALE-Sim v2: in CALC mode the ofmap DRAM bandwidth is the array width C. */
    if (r == 0)
        r = mmt__wbuf_new(owords, g->C, NULL, NULL, &E.out.wb);
    if (r == 0)
        r = mmt_stream_new(g, MMT_OP_OFMAP, &E.out.of);
    for (int64_t f = 0; r == 0 && f < g->folds; f++)
        r = run_fold(&E, f);
    int64_t last_co = g->rows - 1 + E.stall; /* Total Cycles: the last row's ofmap serve */
    for (int op = 0; op < 2 && r == 0; op++)
        r = calc_finish(&E.rd[op].cs);
    if (r == 0)
        r = mmt__wbuf_drain_all(E.out.wb, last_co);
    if (r == 0) {
        int has[3] = {E.rd[0].cs.has_first, E.rd[1].cs.has_first, E.out.has};
        int64_t start[3] = {E.rd[0].sram_start, E.rd[1].sram_start, E.out.start};
        int64_t stop[3] = {E.rd[0].sram_stop, E.rd[1].sram_stop, E.out.stop};
        const mmt__dram_stat *d[3] = {&E.rd[0].cs.st, &E.rd[1].cs.st, mmt__wbuf_stat(E.out.wb)};
        mmt__sim_result(g, py311, last_co, E.stall, has, start, stop, d, res);
    }
    mmt__wbuf_free(E.out.wb);
    mmt_stream_free(E.out.of);
    return r;
}

/* 1 if every ifmap address the layer reads is distinct and none is -1 (so blocks of the
 * ifmap matrix are disjoint and each is read once per fold, as for a GEMM): the windows do
 * not overlap (stride >= filter, or a single window along that side) and none runs off the
 * ifmap. GEMM layers (one FW = W window per row) are the commonest case. */
int mmt__distinct_ifmap(const mmt_geom *g)
{
    return (g->OH == 1 || g->SH >= g->FH) && (g->OW == 1 || g->SW >= g->FW) &&
           (i128)(g->OH - 1) * g->SH + g->FH <= g->H && (i128)(g->OW - 1) * g->SW + g->FW <= g->W;
}

/* 1 if the three buffers' sizes and bandwidths in elements are ones both engines accept
 * alike (otherwise the row engine reports the error). */
static int buffers_ok(const mmt_config *cfg, const mmt_geom *g)
{
    for (int op = 0; op < 3; op++) {
        int64_t words, bw;
        if (mmt__buffer_elems(cfg, (mmt_operand)op, &words, &bw) || words <= 0 || bw <= 0 ||
            bw > MMT_MAX_BANDWIDTH)
            return 0;
        if (op == 2 || cfg->user_bw)
            continue;
        /* rbuf_calc.c needs 100 words and stops at 2^31 sets; leave such layers to it. */
        int64_t reads = op == 0 ? g->sram_ifmap_reads : g->sram_filter_reads;
        if (words < 100 || reads / (words / 100) >= INT32_MAX - 1)
            return 0;
    }
    return !cfg->user_bw || (cfg->bandwidth > 0 && cfg->bandwidth <= MMT_MAX_BANDWIDTH &&
                             mmt__folds_user_ok(cfg, g));
}

/* 1 if an operand's address range holds -1, which only a negative offset makes: SCALE-Sim
 * v2 and v3 read that real address as an idle slot (doc/scalesim-v2.md §4.1), so the operand
 * has a hole the fold engine's block counts do not know. */
static int holds_minus_one(const mmt_geom *g)
{
    for (int op = 0; op < 3; op++) {
        int64_t lo, hi;
        mmt_geom_operand_range(g, (mmt_operand)op, &lo, &hi);
        if (lo <= -1 && -1 < hi)
            return 1;
    }
    return 0;
}

int mmt_sim_folds_ok(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o,
                     const char **why)
{
    const char *no = NULL;
    for (int op = 0; o && op < 3 && !no; op++)
        if (o->dram_trace_path[op] || o->sram_trace_path[op])
            no = "traces requested";
    if (!no && cfg->version == MMT_SCALESIM_V3)
        no = "SCALE-Sim v3 mode (its buffers stall and stop differently)";
    else if (!no && holds_minus_one(g))
        no = "negative offset: an operand address is -1, which SCALE-Sim skips as idle";
    /* SCALE-Sim v2: the CALC buffer's first request is the first row with max(row) > -1,
     * which rows of negative addresses are not; the fold engine takes fold 0's first row. */
    else if (!no && !cfg->user_bw && (g->ifoff < 0 || g->filoff < 0))
        no = "negative offset: CALC read buffer with negative addresses";
    else if (!no && !mmt__distinct_ifmap(g))
        no = "conv layer whose ifmap windows overlap or run off the ifmap";
    else if (!no && !buffers_ok(cfg, g))
        no = cfg->user_bw ? "USER buffers the row engine refuses or indexes in 32 bits"
                          : "CALC buffers under 100 elements or over 2^31 prefetch sets";
    if (why)
        *why = no;
    return no == NULL;
}

const char *mmt_engine_name(mmt_engine e)
{
    return e == MMT_ENGINE_ROWS ? "rows" : e == MMT_ENGINE_FOLDS ? "folds" : "auto";
}

int mmt_engine_parse(const char *name, mmt_engine *out)
{
    static const mmt_engine all[3] = {MMT_ENGINE_AUTO, MMT_ENGINE_ROWS, MMT_ENGINE_FOLDS};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, mmt_engine_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return MMT_EINVAL;
}
