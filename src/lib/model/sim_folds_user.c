/*
 * sim_folds_user.c - the fold engine in USER bandwidth mode: the reports of the row engine
 * (sim.c with rbuf_user.c) computed per window move instead of per demand row.
 *
 * The USER read buffer (doc/scalesim-v2.md §7.2) is fully described by three numbers: the
 * first hashed line of its active window, the number of refills so far and the cycle of the
 * last DRAM row fetched. An address hits iff its line lies in the window; a miss moves the
 * window on by np lines (possibly several times) and fetches ceil(Pf/B) rows right after the
 * previous ones, whatever the current cycle. None of this depends on cycles: only the row's
 * serve cycle does, max(c + 1, last fetched cycle) when the row missed.
 *
 * For a layer whose operand addresses are all distinct (mmt_sim_folds_ok checks it) the line
 * of an element is a closed-form function of its position in the prefetch list (§6): its rank
 * among the non -1 entries, divided by the line size. Inside one fold a streamed (skewed)
 * operand's elements come in increasing list order, so the rows that miss are found by binary
 * search on the last line of each row; a stationary operand has at most R rows per fold,
 * each in increasing order, taken one by one. Within a row only the first and last element
 * matter (the window only moves forward, by at most its size), unless the row spans nearly
 * the whole list, where each element is tested. Rows that miss, the rows that write the
 * ofmap (through the real write buffer, wbuf.c) and the first and last rows of each operand
 * are then replayed in order to get the stalls and the SRAM start and stop cycles.
 *
 * Memory: O(1) beyond the write buffer, whatever the layer size.
 */
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

typedef __int128 i128;

/* ---------------------------------------------------------------- the prefetch list */

/* The list as a stacked a x b matrix read row-major or by anti-diagonals, with its -1 entries
 * (only in the last block: rows >= ni0, columns >= nj0). */
typedef struct ulist {
    int diag;
    int64_t a, b, h;
    int64_t ni0, nj0; /* nj0 >= b: no -1 entry */
    int64_t nonneg;   /* entries other than -1 */
} ulist;

/* x(x+1)/2 for x > 0, else 0. */
static inline i128 tri(i128 x)
{
    return x > 0 ? x * (x + 1) / 2 : 0;
}

/* Entries of an a x b matrix on anti-diagonals before d. */
static i128 dbefore(int64_t a, int64_t b, int64_t d)
{
    return tri(d) - tri((i128)d - a) - tri((i128)d - b) + tri((i128)d - a - b);
}

/* Rank among the non -1 entries of the list entry at stacked position (i, j). */
static int64_t list_rank(const ulist *u, int64_t i, int64_t j)
{
    i128 e, neg = 0;
    int holes = u->nj0 < u->b;
    if (!u->diag) {
        e = (i128)i * u->b + j;
        if (holes && i >= u->ni0)
            neg = (i128)(i - u->ni0) * (u->b - u->nj0) + (j > u->nj0 ? j - u->nj0 : 0);
        return (int64_t)(e - neg);
    }
    int64_t d = i + j; /* anti-diagonals are read from their largest row down */
    e = dbefore(u->a, u->b, d) + ((d < u->a - 1 ? d : u->a - 1) - i);
    if (holes) {
        neg = dbefore(u->a - u->ni0, u->b - u->nj0, d - u->ni0 - u->nj0);
        int64_t hi = d - u->nj0 < u->a - 1 ? d - u->nj0 : u->a - 1;
        int64_t lo = i + 1 > u->ni0 ? i + 1 : u->ni0;
        if (hi >= lo)
            neg += hi - lo + 1;
    }
    return (int64_t)(e - neg);
}

/* ---------------------------------------------------------------- the read buffer */

/* rbuf_user.c's state reduced to what the reports need. */
typedef struct ubuf {
    ulist ls;
    int64_t E, na, np, nlines;  /* line size, active and prefetch lines, lines */
    int64_t m, B;               /* fetch rows per refill, their width */
    int64_t bad_first, bad_next; /* SCALE-Sim v2 crashes on the first / a later refill */
    int64_t start, nref, last;
    mmt__dram_stat st;
} ubuf;

/* SCALE-Sim v2 indexes past its fetch matrix when a wrapping refill starts at row st
 * (rbuf_user.c's new_prefetch). */
static int refill_crashes(int64_t st, int64_t m, int64_t rows_f)
{
    if (st + m <= rows_f)
        return 0;
    int64_t wrapped = st + m - rows_f < st ? st + m - rows_f : st;
    return rows_f - st + wrapped < m;
}

/* The buffer of operand op with the first fill done (at cycle 0, the first row's issue). */
static int ubuf_init(ubuf *u, const mmt_geom *g, mmt_operand op, int64_t words, int64_t bw)
{
    mmt__plist pl;
    int r = mmt__plist_init(&pl, g, op);
    if (r)
        return r;
    memset(u, 0, sizeof *u);
    ulist *l = &u->ls;
    l->diag = pl.diag, l->a = pl.a, l->b = pl.b, l->h = pl.h;
    int64_t blocks = pl.a / pl.h;
    l->ni0 = (blocks - 1) * pl.h;
    l->nj0 = pl.lim - (blocks - 1) * pl.w;
    l->nonneg = pl.len - (l->nj0 < l->b ? (l->a - l->ni0) * (l->b - l->nj0) : 0);
    int64_t A = (words + 1) / 2, Pf = words - A, rows_f = mmt__ceil_div(pl.len, bw);
    u->E = mmt__ceil_div(words, 100);
    u->nlines = l->nonneg / u->E + 1;
    int64_t na = mmt__ceil_div(A, u->E), np = mmt__ceil_div(Pf, u->E);
    u->na = na < u->nlines ? na : u->nlines;
    u->np = np < u->nlines - u->na ? np : u->nlines - u->na;
    u->B = bw;
    u->m = mmt__ceil_div(Pf, bw);
    int64_t n = mmt__ceil_div(A, bw) < rows_f ? mmt__ceil_div(A, bw) : rows_f;
    u->bad_first = refill_crashes((n * bw > A ? n : n + 1) % rows_f, u->m, rows_f);
    u->bad_next = refill_crashes((u->m * bw > A ? u->m : u->m + 1) % rows_f, u->m, rows_f);
    u->st.accesses = n * bw;
    u->st.rows = n;
    u->st.start = -n;
    u->st.stop = u->last = -1;
    return 0;
}

/* Refills needed until line l lies in the window (0: it does). */
static int64_t moves(const ubuf *u, int64_t l)
{
    int64_t dist = l - u->start;
    if (dist < 0)
        dist += u->nlines;
    return dist < u->na ? 0 : (dist - u->na) / u->np + 1;
}

/* k refills in a row (new_prefetch of §7.2). */
static int refill(ubuf *u, int64_t k)
{
    if (k == 0)
        return 0;
    if ((u->nref == 0 && u->bad_first) || (u->nref + k > 1 && u->bad_next))
        return MMT_ERANGE; /* as rbuf_user.c: SCALE-Sim v2 crashes */
    int64_t rows, acc, cyc;
    if (mmt__mul(k, u->m, &rows) || mmt__mul(rows, u->B, &acc) || mmt__add(rows, k, &cyc) ||
        mmt__add(u->last, cyc, &u->last) || mmt__add(u->st.rows, rows, &u->st.rows) ||
        mmt__add(u->st.accesses, acc, &u->st.accesses))
        return MMT_EOVERFLOW;
    u->start = (int64_t)(((i128)u->start + (i128)k * u->np) % u->nlines);
    u->nref += k;
    u->st.stop = u->last;
    return 0;
}

/* ---------------------------------------------------------------- one operand in a fold */

typedef struct ureader {
    ubuf u;
    int op;
    /* The fold: element (t, x) is at stacked position (i0 + q, x), q = t - x - ulo for a
     * skewed operand (ulo <= t-x < ulo+D, x < lim), q = qs - t for a stationary one (rows
     * t0 .. R-1, w elements each). */
    int skew;
    int64_t ulo, D, lim, w, qs, i0;
    int64_t tbeg, tend, trow;
    int want_first, want_stop;
    /* The pending row: its index (INT64_MAX: none), whether it missed, the last cycle
     * fetched after it. */
    int64_t prow, plast;
    int pmiss;
    int has_first;
    int64_t sram_start, sram_stop;
} ureader;

/* Columns [*lo, *hi) holding elements in row t. */
static void row_span(const ureader *rd, int64_t t, int64_t *lo, int64_t *hi)
{
    if (!rd->skew) {
        *lo = 0, *hi = rd->w;
        return;
    }
    int64_t a = t - rd->ulo - rd->D + 1, b = t - rd->ulo + 1;
    *lo = a > 0 ? a : 0;
    *hi = b < rd->lim ? b : rd->lim;
}

/* Hashed line of element (t, x). */
static int64_t line_at(const ureader *rd, int64_t t, int64_t x)
{
    int64_t q = rd->skew ? t - x - rd->ulo : rd->qs - t;
    return list_rank(&rd->u.ls, rd->i0 + q, x) / rd->u.E;
}

/* Runs row t's elements through the window; *missed tells whether it moved. */
static int process_row(ureader *rd, int64_t t, int *missed)
{
    ubuf *u = &rd->u;
    int64_t lo, hi;
    row_span(rd, t, &lo, &hi);
    int64_t lf = line_at(rd, t, lo), ll = line_at(rd, t, hi - 1), k = moves(u, lf);
    int r = refill(u, k);
    *missed = k > 0;
    int64_t dist = lf - u->start;
    if (dist < 0)
        dist += u->nlines;
    if (r == 0 && dist + (ll - lf) < u->nlines) { /* the row's lines lie ahead in order */
        k = moves(u, ll);
        *missed |= k > 0;
        return refill(u, k);
    }
    for (int64_t x = lo + 1; r == 0 && x < hi; x++) { /* the row wraps round the list */
        k = moves(u, line_at(rd, t, x));
        *missed |= k > 0;
        r = refill(u, k);
    }
    return r;
}

/* The first row after t (a skewed operand, whose window covers row t) that may miss. */
static int64_t skip_rows(const ureader *rd, int64_t t)
{
    const ubuf *u = &rd->u;
    int64_t lo, hi;
    row_span(rd, t, &lo, &hi);
    int64_t ll = line_at(rd, t, hi - 1), dist = ll - u->start;
    if (dist < 0)
        dist += u->nlines;
    int64_t lth = ll + (u->na - dist); /* lines ll .. lth-1 are in the window */
    if (lth >= u->nlines)
        return rd->tend;
    int64_t a = t, b = rd->tend; /* last line of row a < lth; row b: >= lth or the end */
    while (b - a > 1) {
        int64_t mid = a + (b - a) / 2;
        row_span(rd, mid, &lo, &hi);
        if (line_at(rd, mid, hi - 1) < lth)
            a = mid;
        else
            b = mid;
    }
    return b;
}

/* Finds the next row to report (one that missed, or the first or last one when wanted). */
static int reader_next(ureader *rd)
{
    rd->prow = INT64_MAX;
    while (rd->trow < rd->tend) {
        int64_t t = rd->trow;
        int missed, r = process_row(rd, t, &missed);
        if (r)
            return r;
        rd->trow = rd->skew ? skip_rows(rd, t) : t + 1;
        if (rd->want_stop && rd->trow == rd->tend && t < rd->tend - 1)
            rd->trow = rd->tend - 1;
        if (missed || (rd->want_first && t == rd->tbeg) || (rd->want_stop && t == rd->tend - 1)) {
            rd->prow = t, rd->pmiss = missed, rd->plast = rd->u.last;
            return 0;
        }
    }
    return 0;
}

/* Sets the reader up for fold f (ru rows and cu columns used) and finds its first row. */
static int reader_fold(ureader *rd, const mmt_geom *g, int64_t f, int64_t ru, int64_t cu)
{
    int64_t fr = f % g->row_fold, fc = f / g->row_fold;
    int df = g->df, op = rd->op;
    int stationary = (df == MMT_DF_WS && op == MMT_OP_FILTER) ||
                     (df == MMT_DF_IS && op == MMT_OP_IFMAP);
    /* The block of the list this fold reads: by row fold when the list's blocks are R
     * wide (mmt__plist_init), else by column fold. */
    int by_row = op == MMT_OP_IFMAP ? df != MMT_DF_IS : df == MMT_DF_IS;
    rd->i0 = (by_row ? fr : fc) * rd->u.ls.h;
    rd->skew = !stationary;
    if (stationary) {
        rd->w = cu;
        rd->qs = fr * g->R + g->R - 1; /* loaded in reverse row order */
        rd->tbeg = g->R - ru, rd->tend = g->R;
    } else {
        rd->D = g->T;
        rd->ulo = df == MMT_DF_OS ? 0 : g->R;
        rd->lim = df == MMT_DF_OS && op == MMT_OP_FILTER ? cu : ru;
        rd->tbeg = rd->ulo, rd->tend = rd->ulo + rd->D + rd->lim - 1;
    }
    rd->trow = rd->tbeg;
    rd->want_first = f == 0;
    rd->want_stop = f == g->folds - 1;
    return reader_next(rd);
}

/* Row t (issued at cycle c) of the reader's pending row: its stall; moves on. */
static int reader_take(ureader *rd, int64_t c, int64_t *stall)
{
    int64_t served = rd->pmiss && rd->plast > c + 1 ? rd->plast : c + 1;
    if (rd->want_first && rd->prow == rd->tbeg) {
        rd->has_first = 1;
        rd->sram_start = served;
        rd->want_first = 0;
    }
    if (rd->want_stop && rd->prow == rd->tend - 1)
        rd->sram_stop = served;
    *stall = served - c - 1;
    return reader_next(rd);
}

/* ---------------------------------------------------------------- the layer */

typedef struct uengine {
    const mmt_geom *g;
    ureader rd[2];
    mmt__ofout out;
    int64_t stall, last_co;
} uengine;

/* Row t of fold f through the ofmap write buffer at cycle c; *stall gets its stall. */
static int write_row(uengine *E, int64_t c, int64_t *stall)
{
    int64_t served;
    int r = mmt__ofout_row(&E->out, c, &served);
    if (r)
        return r;
    E->last_co = served;
    *stall = served - c;
    return 0;
}

/* One fold: the rows that miss, write or start / stop an operand, in order. */
static int run_fold(uengine *E, int64_t f)
{
    const mmt_geom *g = E->g;
    int64_t ru, cu;
    mmt__geom_fold_used(g, f, &ru, &cu);
    int r = 0;
    for (int op = 0; op < 2 && r == 0; op++)
        r = reader_fold(&E->rd[op], g, f, ru, cu);
    /* Ofmap outputs leave from row T-1 (OS) or 2R-1 (WS, IS) of the fold on. */
    int64_t tw = g->df == MMT_DF_OS ? g->T - 1 : 2 * g->R - 1;
    if (r == 0 && tw < g->L)
        r = mmt__stream_seek(E->out.of, f, tw);
    while (r == 0) {
        int64_t t = tw < g->L ? tw : INT64_MAX;
        for (int op = 0; op < 2; op++)
            t = E->rd[op].prow < t ? E->rd[op].prow : t;
        if (t == INT64_MAX)
            break;
        int64_t c = f * g->L + t + E->stall, st = 0, s = 0;
        for (int op = 0; op < 2 && r == 0; op++)
            if (E->rd[op].prow == t && (r = reader_take(&E->rd[op], c, &s)) == 0 && s > st)
                st = s;
        if (r == 0 && t == tw) {
            r = write_row(E, c, &s);
            st = s > st ? s : st;
            tw++;
        }
        E->stall += st;
    }
    return r;
}

/* The three buffers' sizes and bandwidths in elements ([precision]), as sim.c makes them. */
static int make_buffers(uengine *E, const mmt_config *cfg)
{
    for (int op = 0; op < 2; op++) {
        int64_t words, bw;
        int r = mmt__buffer_elems(cfg, (mmt_operand)op, &words, &bw);
        if (r == 0 && (words <= 0 || bw <= 0))
            r = MMT_EINVAL;
        if (r == 0 && bw > MMT_MAX_BANDWIDTH)
            r = MMT_ERANGE;
        if (r == 0)
            r = ubuf_init(&E->rd[op].u, E->g, (mmt_operand)op, words, bw);
        if (r)
            return r;
        E->rd[op].op = op;
    }
    int64_t owords, obw;
    int r = mmt__buffer_elems(cfg, MMT_OP_OFMAP, &owords, &obw);
    return r ? r : mmt__wbuf_new(owords, obw, NULL, NULL, &E->out.wb);
}

int mmt__folds_run_user(const mmt_config *cfg, const mmt_geom *g, int py311,
                        mmt_layer_result *res)
{
    uengine E;
    memset(&E, 0, sizeof E);
    E.g = g;
    int r = make_buffers(&E, cfg);
    if (r == 0)
        r = mmt_stream_new(g, MMT_OP_OFMAP, &E.out.of);
    for (int64_t f = 0; r == 0 && f < g->folds; f++)
        r = run_fold(&E, f);
    if (r == 0)
        r = mmt__wbuf_drain_all(E.out.wb, E.last_co);
    if (r == 0) {
        int has[3] = {E.rd[0].has_first, E.rd[1].has_first, E.out.has};
        int64_t start[3] = {E.rd[0].sram_start, E.rd[1].sram_start, E.out.start};
        int64_t stop[3] = {E.rd[0].sram_stop, E.rd[1].sram_stop, E.out.stop};
        const mmt__dram_stat *d[3] = {&E.rd[0].u.st, &E.rd[1].u.st, mmt__wbuf_stat(E.out.wb)};
        mmt__sim_result(g, py311, E.last_co, E.stall, has, start, stop, d, res);
    }
    mmt__wbuf_free(E.out.wb);
    mmt_stream_free(E.out.of);
    return r;
}

/* 1 if the USER read buffer's state fits rbuf_user.c's 32-bit line index (else the row
 * engine refuses the layer, or would need the memory). */
int mmt__folds_user_ok(const mmt_config *cfg, const mmt_geom *g)
{
    for (int op = 0; op < 2; op++) {
        int64_t words, bw;
        mmt__plist pl;
        if (mmt__buffer_elems(cfg, (mmt_operand)op, &words, &bw) || words < 2 || bw <= 0 ||
            bw > MMT_MAX_BANDWIDTH || mmt__plist_init(&pl, g, (mmt_operand)op))
            return 0;
        if (pl.len / mmt__ceil_div(words, 100) + 1 >= (int64_t)UINT32_MAX)
            return 0;
    }
    return 1;
}
