/*
 * sim_stream.c - the streaming memory policy ([memory] Policy = stream, doc/memory.md) and the
 * bounds every layer time is checked against (mmt_sim_bounds).
 *
 * SCALE-Sim's USER model fills each layer's SRAMs before cycle 0 for free and re-fetches an
 * operand that does not fit in half its SRAM in wrapping bursts (doc/scalesim-v2.md §7.2).
 * This policy is what a double-buffered accelerator does instead, in closed form per fold:
 *
 *   - operands move as fold tiles over ONE shared DRAM interface (SCALE-Sim gives each operand
 *     its own full bandwidth), in issue order (a FIFO), each tile packed at its [precision]
 *     width; the interface is the ideal memory at Bandwidth bytes per cycle, or the bandwidth
 *     and read latency the DRAM model of [memory] Dram sustains (stream_dram.c);
 *   - residency (doc/memory.md "What stays resident"): an operand that fits its SRAM is read
 *     once per layer; otherwise a tile reused by consecutive folds (OS filter) stays while it
 *     is reused if it fits half the SRAM, a tile reused across column folds (OS/WS ifmap, IS
 *     filter) is fetched again each time, and a stationary tile is used by one fold;
 *   - the tiles of fold f are queued when fold f-2 ends: a tile that fits half its SRAM goes
 *     into the half fold f-2 used (double buffering); a larger one streams through the SRAM
 *     in chunks, behind the previous fold's, as the array frees the space;
 *   - fold f runs its L demand rows from when fold f-1 ends, stretched until its data has
 *     arrived: it ends no earlier than each of its transfers plus the rows left after that
 *     operand's last element is fed (L-R for a stationary tile, C-1 for a streamed one). The
 *     first fill is therefore paid;
 *   - ofmap tiles are written when their outputs are final (OS: each fold; WS/IS: after the
 *     last row fold, partial sums kept in the ofmap SRAM while the tile fits half of it, else
 *     written and read back every row fold), behind the reads in the FIFO: they drain in the
 *     background and only delay the transfers queued after them.
 * Total Cycles = max(end of the last fold - 1, end of the last transfer); Stall Cycles = Total
 * Cycles - (demand rows - 1), the cycles beyond compute, so the reports keep their columns.
 *
 * Time is exact rational arithmetic: with the interface at num/den bytes per cycle, one unit
 * is 1/(8000 num) cycle, so a transfer of n elements of b thousandths of a bit takes n*b*den
 * units and L cycles take L*8000*num; only Total Cycles is rounded (up), once. Every time is a
 * max/plus of non-negative terms, so fewer bits are never slower and the speed-up of w-bit
 * weights is at most 8/w (tests/unit/test_stream_policy).
 */
#include "sim_internal.h"

#include <string.h>

typedef __int128 i128;

/* How an operand's fold tile depends on the fold (fc outer, fr inner). */
enum { DEP_ROW, DEP_COL, DEP_BOTH };

/* The shared DRAM interface: num/den bytes per cycle, a FIFO in units of 1/(8000 num) cycle. */
typedef struct iface {
    i128 per_cycle; /* units per cycle: 8000 * num */
    int64_t den;    /* units per millibit */
    i128 free;      /* when the interface is next free */
    i128 lat;       /* a read's latency (DRAM coupling): its data arrives this long after
                     * its slot on the interface; 0 on the ideal memory */
    const mmt__stream_hooks *hk; /* per-request DRAM (tests): transfers go there instead */
    void *hud;
} iface;

typedef mmt__stream_opstat opstat;

/* The whole-layer plan: per operand its dependence, width and SRAM in millibits. */
typedef struct plan {
    const mmt_geom *g;
    int dep[2];
    int32_t bits[3];
    i128 sram[3];                  /* SRAM capacity, millibits */
    int resident[2];               /* the whole operand fits its SRAM: read once per layer */
    i128 L, drain_stat, drain_str; /* units */
} plan;

/* Queues a transfer of n elements of op issued at `issue`; returns when its data has arrived
 * (closed form), or hands it to the per-request hooks (which report the arrival later: -1). */
static i128 xfer(iface *I, i128 issue, int64_t n, int32_t bits, opstat *st, int is_write,
                 int64_t fold, i128 drain)
{
    if (I->hk) {
        I->hk->add(I->hud, issue, n, bits, st, is_write ? 2 : st->op, fold, drain);
        return -1;
    }
    i128 start = I->free > issue ? I->free : issue;
    i128 end = start + (i128)n * bits * I->den;
    I->free = end;
    if (!st->any)
        st->any = 1, st->first = start;
    st->last = end;
    st->elems += n;
    return end + I->lat; /* pipelined: the data arrives one latency after its slot */
}

/* Elements of read operand op's tile in a fold using ru rows and cu columns. */
static int64_t tile_elems(const plan *P, int op, int64_t ru, int64_t cu)
{
    const mmt_geom *g = P->g;
    return P->dep[op] == DEP_BOTH ? ru * cu : P->dep[op] == DEP_ROW ? ru * g->T : g->T * cu;
}

/* WS/IS: whether the partial sums of a column fold (T x cu) spill: more than one row fold
 * and the tile over half the ofmap SRAM. */
static int of_spill(const plan *P, int64_t cu)
{
    const mmt_geom *g = P->g;
    return g->df != MMT_DF_OS && g->row_fold > 1 && (i128)g->T * cu * P->bits[2] * 2 > P->sram[2];
}

/* Whether read operand op is fetched for fold (fc, fr), by the residency rule. */
static int fetched(const plan *P, int op, int64_t fc, int64_t fr, int64_t tile)
{
    if (P->dep[op] == DEP_BOTH)
        return 1;
    if (P->dep[op] == DEP_ROW) /* reused across column folds */
        return fc == 0 || !P->resident[op];
    /* DEP_COL: reused by the consecutive row folds of one column fold */
    return fr == 0 || (!P->resident[op] && (i128)tile * P->bits[op] * 2 > P->sram[op]);
}

/* The plan of layer g under cfg. */
static int make_plan(const mmt_config *cfg, const mmt_geom *g, const iface *I, plan *P)
{
    static const int dep[3][2] = {{DEP_ROW, DEP_COL},   /* OS: ifmap by fr, filter by fc */
                                  {DEP_ROW, DEP_BOTH},  /* WS: filter stationary */
                                  {DEP_BOTH, DEP_ROW}}; /* IS: ifmap stationary */
    const int64_t kb[3] = {cfg->ifmap_kb, cfg->filter_kb, cfg->ofmap_kb};
    memset(P, 0, sizeof *P);
    P->g = g;
    for (int op = 0; op < 3; op++) {
        P->bits[op] = mmt_precision_bits(cfg, (mmt_operand)op);
        P->sram[op] = (i128)kb[op] * 1024 * 8000;
    }
    for (int op = 0; op < 2; op++) {
        P->dep[op] = dep[g->df][op];
        i128 total = P->dep[op] == DEP_BOTH  ? (i128)g->Sr * g->Sc
                     : P->dep[op] == DEP_ROW ? (i128)g->Sr * g->T
                                             : (i128)g->T * g->Sc;
        P->resident[op] = total * P->bits[op] <= P->sram[op];
    }
    P->L = (i128)g->L * I->per_cycle;
    int64_t ds = g->L - g->R, dt = g->C - 1;
    P->drain_stat = (i128)(ds > 0 ? ds : 0) * I->per_cycle;
    P->drain_str = (i128)(dt > 0 ? dt : 0) * I->per_cycle;
    return 0;
}

/* The transfers of the fold state machine. */
typedef struct run {
    plan P;
    iface I;
    opstat st[3];
    i128 dend[3][2]; /* per fold (mod 3): latest end + drain of its reads, and whether any */
} run;

/* Queues fold f's tile reads (readback 0) or its ofmap read-back (1), issued at t. */
static void fold_reads(run *X, int64_t f, int readback, i128 t)
{
    const mmt_geom *g = X->P.g;
    if (f >= g->folds)
        return;
    int64_t ru, cu, fc = f / g->row_fold, fr = f % g->row_fold;
    mmt__geom_fold_used(g, f, &ru, &cu);
    i128 *d = X->dend[f % 3];
    for (int op = 0; op < 2 && !readback; op++) {
        int64_t n = tile_elems(&X->P, op, ru, cu);
        if (!fetched(&X->P, op, fc, fr, n))
            continue;
        i128 drain = X->P.dep[op] == DEP_BOTH ? X->P.drain_stat : X->P.drain_str;
        i128 end = xfer(&X->I, t, n, X->P.bits[op], &X->st[op], 0, f, drain);
        if (end >= 0)
            mmt__stream_arrive(d, end + drain);
    }
    if (readback && of_spill(&X->P, cu) && fr > 0) { /* the partial sums written by fold f-1 */
        i128 end = xfer(&X->I, t, g->T * cu, X->P.bits[2], &X->st[2], 0, f, X->P.drain_str);
        if (end >= 0)
            mmt__stream_arrive(d, end + X->P.drain_str);
    }
}

/* Queues the ofmap writes of fold f, whose compute ended at t. */
static void fold_writes(run *X, int64_t f, i128 t)
{
    const mmt_geom *g = X->P.g;
    int64_t ru, cu, fr = f % g->row_fold;
    mmt__geom_fold_used(g, f, &ru, &cu);
    if (g->df == MMT_DF_OS)
        xfer(&X->I, t, ru * cu, X->P.bits[2], &X->st[2], 1, f, 0);
    else if (of_spill(&X->P, cu) || fr == g->row_fold - 1)
        xfer(&X->I, t, g->T * cu, X->P.bits[2], &X->st[2], 1, f, 0);
}

/* Runs the folds; *elast gets the end of the last fold. */
static int run_folds(run *X, i128 *elast)
{
    const mmt_geom *g = X->P.g;
    i128 e1 = 0;
    int r;
    fold_reads(X, 0, 0, 0);
    fold_reads(X, 1, 0, 0);
    for (int64_t f = 0; f < g->folds; f++) {
        i128 *d = X->dend[f % 3];
        if (X->I.hk && (r = X->I.hk->wait(X->I.hud, f, d)) != 0)
            return r; /* per-request DRAM: fold f's reads have all arrived */
        i128 e = e1 + X->P.L;
        if (d[1] && d[0] > e)
            e = d[0];
        d[0] = d[1] = 0;
        e1 = e;
        fold_reads(X, f + 2, 0, e); /* fold f's half (or chunks) free: fold f+2's tiles */
        fold_writes(X, f, e);
        fold_reads(X, f + 1, 1, e); /* the partial sums fold f wrote (spilled WS/IS) */
    }
    *elast = e1;
    return X->I.hk ? X->I.hk->wait(X->I.hud, -1, &X->I.free) : 0;
}

/* ceil(u / per) for u >= 0, or -1 beyond int64. */
static int64_t to_cycles(i128 u, i128 per)
{
    i128 c = u <= 0 ? 0 : (u + per - 1) / per;
    return c > INT64_MAX ? -1 : (int64_t)c;
}

void mmt__stream_arrive(i128 *d, i128 t)
{
    if (!d[1] || t > d[0])
        d[0] = t, d[1] = 1;
}

/* The interface the cfg gives: Bandwidth bytes per cycle on the ideal memory, or the DRAM's
 * sustained bandwidth at the clock, first-access latency paid once (doc/memory.md). */
static int iface_of(const mmt_config *cfg, iface *I)
{
    memset(I, 0, sizeof *I);
    if (!cfg->dram_path[0]) {
        if (!cfg->user_bw || cfg->bandwidth <= 0)
            return MMT_EINVAL;
        I->per_cycle = (i128)8000 * cfg->bandwidth;
        I->den = 1;
        return 0;
    }
    mmt_memory_char ch;
    int r = mmt_memory_characterise(cfg->dram_path, &ch, NULL);
    if (r)
        return r;
    /* bytes per array cycle as a rational num / 10^6 */
    double bpc = ch.sustained_gbs * 1000.0 / cfg->clock_mhz;
    if (!(bpc > 0) || bpc > 1e9 || !(cfg->clock_mhz > 0))
        return MMT_ERANGE;
    int64_t num = (int64_t)(bpc * 1e6 + 0.5);
    I->per_cycle = (i128)8000 * (num > 0 ? num : 1);
    I->den = 1000000;
    I->lat = (i128)(ch.latency_ns * cfg->clock_mhz / 1000.0 * (double)I->per_cycle) + 1;
    return 0;
}

int mmt__stream_simulate(const mmt_config *cfg, const mmt_geom *g, int py311,
                         const mmt__stream_hooks *hk, void *hud, mmt_layer_result *res)
{
    run X;
    memset(&X, 0, sizeof X);
    int r = iface_of(cfg, &X.I);
    if (r)
        return r;
    X.I.hk = hk, X.I.hud = hud;
    if (hk && (r = hk->start(hud, &X.I.per_cycle)) != 0)
        return r;
    for (int op = 0; op < 3; op++)
        X.st[op].op = op;
    make_plan(cfg, g, &X.I, &X.P);
    /* the worst case of the sums below: every fold moves a whole tile of each operand */
    double worst = (double)g->folds *
                   ((double)g->R * (double)g->T + (double)g->C * (double)g->T + (double)g->L) *
                   32000.0 * (double)X.I.den;
    if (worst > 1e36)
        return MMT_EOVERFLOW;
    i128 elast;
    if ((r = run_folds(&X, &elast)) != 0)
        return r;
    i128 end = elast - X.I.per_cycle;
    if (X.I.free > end)
        end = X.I.free;
    int64_t total = to_cycles(end, X.I.per_cycle);
    if (total < 0)
        return MMT_EOVERFLOW;
    mmt__dram_stat ds[3];
    const mmt__dram_stat *dp[3];
    int has[3] = {1, 1, 1};
    int64_t start[3] = {0, 0, to_cycles(X.P.L, X.I.per_cycle) - 1};
    int64_t stop[3] = {total, total, total};
    for (int op = 0; op < 3; op++) {
        const opstat *s = &X.st[op];
        ds[op] = (mmt__dram_stat){.start = s->any ? (int64_t)(s->first / X.I.per_cycle) : 0,
                                  .stop = s->any ? to_cycles(s->last, X.I.per_cycle) : 0,
                                  .accesses = s->elems,
                                  .rows = s->any};
        dp[op] = &ds[op];
    }
    mmt__sim_result(g, py311, total, total - (g->rows - 1), has, start, stop, dp, res);
    mmt_layer_bounds b;
    if ((r = mmt_sim_bounds(cfg, g, &b)) != 0)
        return r;
    if (total < b.bound_cycles && !hk)
        return MMT_EINVAL; /* cannot happen: the FIFO moves at least the bytes of the bound */
    return 0;
}

int mmt__stream_run(const mmt_config *cfg, const mmt_geom *g, int py311, mmt_layer_result *res)
{
    return mmt__stream_simulate(cfg, g, py311, NULL, NULL, res);
}

const char *mmt_sim_stream_ok(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o)
{
    for (int op = 0; o && op < 3; op++)
        if (o->dram_trace_path[op] || o->sram_trace_path[op])
            return "traces requested (it runs on the fused path: --no-traces)";
    if (cfg->version == MMT_SCALESIM_V3)
        return "SCALE-Sim v3 mode";
    if (!mmt__distinct_ifmap(g))
        return "conv layer whose ifmap windows overlap or run off the ifmap";
    if (!cfg->dram_path[0] && (!cfg->user_bw || cfg->bandwidth <= 0))
        return "no Dram and no USER Bandwidth";
    return NULL;
}

int mmt_sim_bounds(const mmt_config *cfg, const mmt_geom *g, mmt_layer_bounds *out)
{
    memset(out, 0, sizeof *out);
    out->compute_cycles = g->rows - 1;
    /* every operand crosses DRAM once: the distinct elements the layer reads and writes */
    int64_t base, end, n[3], bytes = 0;
    for (int op = 0; op < 3; op++) {
        mmt_geom_operand_range(g, (mmt_operand)op, &base, &end);
        n[op] = end - base;
    }
    if (mmt__distinct_ifmap(g)) /* the ifmap elements the windows read, each once */
        n[0] = n[0] < g->P * g->K ? n[0] : g->P * g->K;
    for (int op = 0; op < 3; op++) {
        int64_t b;
        if (mmt_precision_bytes(n[op], mmt_precision_bits(cfg, (mmt_operand)op), &b) ||
            mmt__add(bytes, b, &bytes))
            return MMT_EOVERFLOW;
    }
    out->bytes = bytes;
    int shared = cfg->mem_policy == MMT_MEM_STREAM || cfg->user_bw;
    if (shared && !cfg->dram_path[0] && cfg->bandwidth > 0)
        out->bytes_cycles = mmt__ceil_div(bytes, cfg->bandwidth);
    mmt_memory_char ch;
    if (cfg->dram_path[0] && cfg->clock_mhz > 0) { /* the DRAM's peak at the array clock */
        int r = mmt_memory_characterise(cfg->dram_path, &ch, NULL);
        if (r)
            return r;
        double peak = ch.peak_gbs * 1000.0 / cfg->clock_mhz; /* bytes per cycle */
        double c = (double)bytes / peak;
        if (!(c < 9e18))
            return MMT_EOVERFLOW;
        out->bytes_cycles = (int64_t)c;
        if ((double)out->bytes_cycles < c)
            out->bytes_cycles++;
    }
    out->bound_cycles =
        out->compute_cycles > out->bytes_cycles ? out->compute_cycles : out->bytes_cycles;
    return 0;
}
