/*
 * stream.c - one operand's demand matrix (doc/scalesim-v2.md §5), produced row by row.
 *
 * Every fold adds L rows; folds run col fold outer, row fold inner. Row t of a fold holds, for
 * each array column x, the operand element that enters or leaves the array at that cycle, or -1.
 * Skewed operands hold element u = t - x, so only a contiguous range of columns can be valid in
 * any row; the generator fills that range and leaves the rest at -1. Nothing but one row's worth
 * of state is kept, whatever the layer size.
 */
#include "internal.h"

#include <stdlib.h>

struct mmt_stream {
    mmt_geom g;
    mmt_operand op;
    int64_t width;
    int64_t fold, t; /* current fold and row inside it */
    int64_t r0, c0;  /* first spatial row and column of the fold */
    int gemm_ifmap;  /* ifmap is a plain M x K matrix: I[m][k] = m*K + k + off */
    int64_t *view;   /* row buffer of mmt_stream_next_view; -1 outside [vlo, vhi) */
    int64_t vlo, vhi;
};

/* Column range [lo, hi) where u = t - x lies in [ulo, uhi) and x < lim. */
static void skew_range(int64_t t, int64_t ulo, int64_t uhi, int64_t lim, int64_t *lo,
                       int64_t *hi)
{
    int64_t a = t - uhi + 1, b = t - ulo + 1;
    *lo = a > 0 ? a : 0;
    *hi = b < lim ? b : lim;
}

/* The ifmap element I[p][j], with the GEMM shortcut. */
static inline int64_t ifmap_at(const mmt_stream *s, int64_t p, int64_t j)
{
    if (s->gemm_ifmap)
        return p * s->g.K + j + s->g.ifoff;
    return mmt_geom_ifmap_addr(&s->g, p, j);
}

/* OS: ifmap rows stream along array rows, filter along columns; outputs drain at the end. */
static void row_os(const mmt_stream *s, int64_t *row, int64_t *lo_out, int64_t *hi_out)
{
    const mmt_geom *g = &s->g;
    int64_t t = s->t, lo, hi;
    if (s->op == MMT_OP_IFMAP) {
        skew_range(t, 0, g->T, g->Sr - s->r0 < g->R ? g->Sr - s->r0 : g->R, &lo, &hi);
        for (int64_t r = lo; r < hi; r++)
            row[r] = ifmap_at(s, s->r0 + r, t - r);
    } else if (s->op == MMT_OP_FILTER) {
        skew_range(t, 0, g->T, g->Sc - s->c0 < g->C ? g->Sc - s->c0 : g->C, &lo, &hi);
        for (int64_t c = lo; c < hi; c++)
            row[c] = mmt_geom_filter_addr(g, t - c, s->c0 + c);
    } else {
        skew_range(t, g->T - 1, g->T - 1 + g->R, g->Sc - s->c0 < g->C ? g->Sc - s->c0 : g->C,
                   &lo, &hi);
        /* PE row q = R-1-(t-c-(T-1)) holds an output only if r0+q < Sr: c < qlim. */
        int64_t rows_left = g->Sr - s->r0 < g->R ? g->Sr - s->r0 : g->R;
        int64_t qlim = t - g->T - g->R + 2 + rows_left;
        if (hi > qlim)
            hi = qlim > lo ? qlim : lo;
        for (int64_t c = lo; c < hi; c++) {
            int64_t q = g->R - 1 - (t - c - (g->T - 1)); /* bottom PE row drains first */
            row[c] = mmt_geom_ofmap_addr(g, s->r0 + q, s->c0 + c);
        }
    }
    *lo_out = lo;
    *hi_out = hi;
}

/* WS and IS: the stationary operand is loaded in reverse row order in the first R rows, the
 * streamed one enters skewed after it, and outputs leave skewed 2R-1 rows after the start. */
static void row_ws_is(const mmt_stream *s, int64_t *row, int64_t *lo_out, int64_t *hi_out)
{
    const mmt_geom *g = &s->g;
    int64_t t = s->t, lo, hi, R = g->R;
    int is = g->df == MMT_DF_IS;
    int64_t rows_left = g->Sr - s->r0 < R ? g->Sr - s->r0 : R;
    int64_t cols_left = g->Sc - s->c0 < g->C ? g->Sc - s->c0 : g->C;
    int stationary = (s->op == MMT_OP_FILTER) != is;
    lo = hi = 0;
    if (s->op == MMT_OP_OFMAP) {
        skew_range(t, 2 * R - 1, 2 * R - 1 + g->T, cols_left, &lo, &hi);
        for (int64_t c = lo; c < hi; c++) {
            int64_t u = t - c - (2 * R - 1);
            row[c] = is ? mmt_geom_ofmap_addr(g, s->c0 + c, u)
                        : mmt_geom_ofmap_addr(g, u, s->c0 + c);
        }
    } else if (stationary) {
        int64_t k = s->r0 + R - 1 - t; /* loaded in reverse row order */
        if (t < R && k < g->Sr) {
            hi = cols_left;
            for (int64_t c = 0; c < cols_left; c++)
                row[c] = is ? ifmap_at(s, s->c0 + c, k) : mmt_geom_filter_addr(g, k, s->c0 + c);
        }
    } else {
        skew_range(t, R, R + g->T, rows_left, &lo, &hi);
        for (int64_t r = lo; r < hi; r++)
            row[r] = is ? mmt_geom_filter_addr(g, s->r0 + r, t - r - R)
                        : ifmap_at(s, t - r - R, s->r0 + r);
    }
    *lo_out = lo;
    *hi_out = hi > lo ? hi : lo;
}

int mmt_stream_new(const mmt_geom *g, mmt_operand op, mmt_stream **out)
{
    mmt_stream *s = calloc(1, sizeof *s);
    if (!s)
        return MMT_ENOMEM;
    s->g = *g;
    s->op = op;
    s->width = mmt_geom_width(g, op);
    s->gemm_ifmap = g->FH == 1 && g->FW == g->W && g->Cin == 1 && g->SH == 1 && g->SW == 1;
    *out = s;
    return 0;
}

void mmt_stream_free(mmt_stream *s)
{
    if (s)
        free(s->view);
    free(s);
}

int64_t mmt_stream_width(const mmt_stream *s)
{
    return s->width;
}

/* Computes the next row into row, which must hold -1 everywhere; 0 when all rows are done. */
static int fill(mmt_stream *s, int64_t *row, int64_t *lo, int64_t *hi)
{
    if (s->fold >= s->g.folds)
        return 0;
    if (s->t == 0) {
        s->r0 = (s->fold % s->g.row_fold) * s->g.R;
        s->c0 = (s->fold / s->g.row_fold) * s->g.C;
    }
    if (s->g.df == MMT_DF_OS)
        row_os(s, row, lo, hi);
    else
        row_ws_is(s, row, lo, hi);
    /* Rows past the skew leave lo beyond the last column; keep 0 <= lo <= hi <= width so a
     * consumer may index row[lo] or fill [0, lo) without running off the row. */
    if (*lo > s->width)
        *lo = s->width;
    if (*hi > s->width)
        *hi = s->width;
    if (*hi < *lo)
        *hi = *lo;
    if (++s->t == s->g.L) {
        s->t = 0;
        s->fold++;
    }
    return 1;
}

int mmt_stream_next_range(mmt_stream *s, int64_t *row, int64_t *lo, int64_t *hi)
{
    if (s->fold >= s->g.folds)
        return 0;
    for (int64_t i = 0; i < s->width; i++)
        row[i] = -1;
    return fill(s, row, lo, hi);
}

int mmt__stream_seek(mmt_stream *s, int64_t fold, int64_t t)
{
    if (fold < 0 || fold >= s->g.folds || t < 0 || t >= s->g.L)
        return MMT_EINVAL;
    s->fold = fold;
    s->t = t;
    s->r0 = (fold % s->g.row_fold) * s->g.R;
    s->c0 = (fold / s->g.row_fold) * s->g.C;
    return 0;
}

int mmt_stream_next_view(mmt_stream *s, const int64_t **row, int64_t *lo, int64_t *hi)
{
    if (!s->view) {
        if (!(s->view = malloc((size_t)s->width * sizeof *s->view)))
            return MMT_ENOMEM;
        for (int64_t i = 0; i < s->width; i++)
            s->view[i] = -1;
    }
    /* Only the columns the previous row used can hold addresses: reset just those. */
    for (int64_t i = s->vlo; i < s->vhi; i++)
        s->view[i] = -1;
    s->vlo = s->vhi = 0;
    int r = fill(s, s->view, lo, hi);
    if (r == 1) {
        s->vlo = *lo;
        s->vhi = *hi;
        *row = s->view;
    }
    return r;
}

int mmt_stream_next(mmt_stream *s, int64_t *row)
{
    int64_t lo, hi;
    return mmt_stream_next_range(s, row, &lo, &hi);
}
