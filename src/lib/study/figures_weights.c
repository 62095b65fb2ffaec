/*
 * figures_weights.c - the figures of the time view (issue 12 item 2), per hardware point and
 * (phase, batch, FFN) panel, drawn when the hardware point is USER or the run asks for more
 * than one weight width (with CALC hardware at 8 bits they would only repeat the paper's):
 *   - ftime_<label>_w<b>: f_time against the paper's f_compute (the CALC twin at 8 bits),
 *     one series per model over the lengths, with the diagonal f_time = f_compute;
 *   - amdahl_time_<label>_w<b>_l<l>: Amdahl's law with f_time (projections improved) per
 *     model at l = 2048 (or the longest length when 2048 is not studied);
 *   - speedup_<label>_w<b>: the speed-up that the narrower weights alone give against
 *     8-bit weights on the same hardware, per model against l (widths other than 8 only).
 */
#include "study_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A panel: hardware point h, width k, and the (phase, batch, ffn) combination pbf. */
typedef struct wpanel {
    const st *S;
    size_t h, k, pbf, npbf;
    char label[400], bits[24], words[400]; /* words: the group in words, for titles */
} wpanel;

/* Workload index of model m, length q in panel P. */
static size_t wl_of(const wpanel *P, size_t m, size_t q)
{
    return (m * P->npbf + P->pbf) * P->S->sp->nseqs + q;
}

/* The time view of model m, length q under variant v. */
static const st_time *tm_of(const wpanel *P, size_t m, size_t q, size_t v)
{
    return &P->S->tm[mmt__st_vi(P->S, P->h, v, wl_of(P, m, q))];
}

/* Series arrays for one figure: per model n values of x and y. */
typedef struct xy {
    double *x, *y;
    mmt_fig_series *s;
} xy;

static int xy_new(xy *a, size_t nm, size_t n, mmt_diag *d)
{
    a->x = calloc(nm * n + 1, sizeof *a->x);
    a->y = calloc(nm * n + 1, sizeof *a->y);
    a->s = calloc(2 * nm + 3, sizeof *a->s);
    return a->x && a->y && a->s ? 0 : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
}

static void xy_free(xy *a)
{
    free(a->x);
    free(a->y);
    free(a->s);
}

/* Writes plot p, drawn from a's series, as outdir/figures/<stem>_<label>_w<bits><tail>
 * unless r says that filling a failed; frees a either way. */
static int xy_write(const wpanel *P, xy *a, const mmt_fig_plot *p, const char *stem,
                    const char *tail, int r, mmt_diag *d)
{
    char path[4600], sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/%s_%s_w%s%s", P->S->sp->outdir, stem,
             mmt__st_safe(P->label, sl), P->bits, tail);
    if (r == 0)
        r = mmt__st_fig_plot(P->S, path, p, d);
    xy_free(a);
    return r;
}

/* f_time against the paper's f_compute, per model over the lengths. */
static int fig_ftime(const wpanel *P, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    size_t nm = sp->nmodels, ns = sp->nseqs;
    static const double diag_xy[2] = {0, 1};
    xy a;
    int r = xy_new(&a, nm, ns, d);
    for (size_t m = 0; r == 0 && m < nm; m++) {
        for (size_t q = 0; q < ns; q++) {
            size_t w = wl_of(P, m, q);
            a.x[m * ns + q] = P->S->frv[mmt__st_vi(P->S, P->h, P->S->vcalc, w)].f_compute;
            a.y[m * ns + q] = mmt__st_f_time(tm_of(P, m, q, P->S->wvar[P->k]));
        }
        int line, mk;
        mmt_fig_series_style(m, &line, &mk);
        a.s[m] = (mmt_fig_series){sp->models[m].name, a.x + m * ns, a.y + m * ns, ns, line, mk, 0};
    }
    if (r == 0)
        a.s[nm] = (mmt_fig_series){"f_time = f_compute", diag_xy, diag_xy, 2, 1, 0, 1};
    char title[600];
    snprintf(title, sizeof title, "f_time against the paper's f_compute, %s, %s-bit weights",
             P->words, P->bits);
    const mmt_fig_plot p = {
        .title = title,
        .xlabel = "f_compute (CALC, 8-bit: the paper's)",
        .ylabel = "f_time (stall-inclusive, this hardware)",
        .xmax = 1,
        .ymax = 1,
        .series = a.s,
        .nseries = nm + 1,
        .note = "one point per sequence length; above the diagonal: stalls fall on the projections",
        .x_key = "f_compute",
        .y_key = "f_time"};
    return xy_write(P, &a, &p, "ftime", "", r, d);
}

/* Amdahl's law with f_time per model at length index q. */
static int fig_amdahl(const wpanel *P, size_t q, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    size_t nm = sp->nmodels;
    xy a;
    int r = xy_new(&a, nm, ST_SMAX, d);
    double ymax = 1;
    for (size_t m = 0; r == 0 && m < nm; m++) {
        double f = mmt__st_f_time(tm_of(P, m, q, P->S->wvar[P->k]));
        for (int s = 1; s <= ST_SMAX; s++) {
            a.x[m * ST_SMAX + (size_t)s - 1] = s;
            a.y[m * ST_SMAX + (size_t)s - 1] = mmt_study_amdahl(f, s);
        }
        double top = a.y[m * ST_SMAX + ST_SMAX - 1];
        ymax = isfinite(top) && top > ymax ? top : ymax;
        int line, mk;
        mmt_fig_series_style(m, &line, &mk);
        a.s[m] = (mmt_fig_series){
            sp->models[m].name, a.x + m * ST_SMAX, a.y + m * ST_SMAX, ST_SMAX, line, mk, 0};
    }
    char title[600], tail[32];
    snprintf(title, sizeof title,
             "Amdahl with f_time: projections improved, %s, %s-bit weights, l = %" PRId64, P->words,
             P->bits, sp->seqs[q]);
    const mmt_fig_plot p = {
        .title = title,
        .xlabel = "s (speed-up of the MatMul-free projections)",
        .ylabel = "S (whole block)",
        .xmin = 1,
        .xmax = ST_SMAX,
        .ymin = 1,
        .ymax = ceil(ymax),
        .series = a.s,
        .nseries = nm,
        .note = "S = 1 / ((1 - f_time) + f_time / s), f_time under this hardware's DRAM bandwidth",
        .x_key = "s",
        .y_key = "S"};
    snprintf(tail, sizeof tail, "_l%" PRId64, sp->seqs[q]);
    return xy_write(P, &a, &p, "amdahl_time", tail, r, d);
}

/* The speed-up from the narrower weights alone, per model against l. */
static int fig_speedup(const wpanel *P, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    size_t nm = sp->nmodels, ns = sp->nseqs;
    xy a;
    int r = xy_new(&a, nm, ns, d);
    double ymax = 1;
    for (size_t m = 0; r == 0 && m < nm; m++) {
        for (size_t q = 0; q < ns; q++) {
            const st_time *t = tm_of(P, m, q, P->S->wvar[P->k]), *t8 = tm_of(P, m, q, P->S->v8);
            double all = (double)t->cycles[0] + (double)t->cycles[1];
            double y = all > 0 ? ((double)t8->cycles[0] + (double)t8->cycles[1]) / all : NAN;
            a.x[m * ns + q] = (double)sp->seqs[q], a.y[m * ns + q] = y;
            ymax = isfinite(y) && y > ymax ? y : ymax;
        }
        int line, mk;
        mmt_fig_series_style(m, &line, &mk);
        a.s[m] = (mmt_fig_series){sp->models[m].name, a.x + m * ns, a.y + m * ns, ns, line, mk, 0};
    }
    char title[600], ideal[64];
    snprintf(title, sizeof title, "Speed-up of %s-bit against 8-bit weights, %s", P->bits,
             P->words);
    double x0 = (double)sp->seqs[0], x1 = (double)sp->seqs[ns - 1];
    /* the 8/w line: what the projections' weight bytes alone would give, were every cycle
     * spent moving them */
    double w = mmt__st_var_bits(P->S, P->h, P->S->wvar[P->k]) / 1000.0, lim[2] = {8 / w, 8 / w};
    double lx[2] = {x0, x1 > x0 ? x1 : 2 * x0};
    snprintf(ideal, sizeof ideal, "8/w = %.3g (weight bytes alone)", 8 / w);
    if (r == 0)
        a.s[nm] = (mmt_fig_series){ideal, lx, lim, 2, 1, 0, 1};
    ymax = fmax(ymax, 8 / w);
    /* with the bounds' columns (a memory policy): per model, the speed-up the bytes bound
     * gives, bytes_bound_cycles at 8 bits / at this width (grey, one legend entry) */
    size_t nb = P->S->memcols ? nm : 0;
    double *by = nb ? calloc(nm * ns + 1, sizeof *by) : NULL;
    char(*blab)[160] = nb ? calloc(nm, sizeof *blab) : NULL;
    if (nb && (!by || !blab) && r == 0)
        r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    for (size_t m = 0; r == 0 && m < nb; m++) {
        for (size_t q = 0; q < ns; q++) {
            const st_time *t = tm_of(P, m, q, P->S->wvar[P->k]), *t8 = tm_of(P, m, q, P->S->v8);
            by[m * ns + q] = t->bound[1] > 0 ? (double)t8->bound[1] / (double)t->bound[1] : NAN;
            ymax = isfinite(by[m * ns + q]) ? fmax(ymax, by[m * ns + q]) : ymax;
        }
        snprintf(blab[m], sizeof blab[m], "%.120s, bytes bound", sp->models[m].name);
        a.s[nm + 2 + m] = (mmt_fig_series){blab[m], a.x + m * ns, by + m * ns, ns, 2, 0, 2};
    }
    if (nb && r == 0) /* their one legend entry: a series of no points */
        a.s[nm + 1] = (mmt_fig_series){"bytes bound (grey, one per model)", lx, lim, 0, 2, 0, 1};
    const mmt_fig_plot p = {
        .title = title,
        .xlabel = "sequence length l",
        .ylabel = "speed-up (stall-inclusive block cycles)",
        .xmin = x0,
        .xmax = x1 > x0 ? x1 : 2 * x0,
        .ymax = ceil(ymax * 1.05 * 10) / 10,
        .series = a.s,
        .nseries = nm + 1 + (nb ? nb + 1 : 0),
        .note = "projections at the narrower width, attention heads at 8 bits, same hardware",
        .logx = 1,
        .x_key = "seq",
        .y_key = "speedup_vs_8bit"};
    r = xy_write(P, &a, &p, "speedup", "", r, d);
    free(by), free(blab);
    return r;
}

/* The length the Amdahl figure is drawn at: 2048 (the paper's Figures 5 and 7) or the longest. */
static size_t amdahl_seq(const mmt_study_spec *sp)
{
    for (size_t q = 0; q < sp->nseqs; q++)
        if (sp->seqs[q] == 2048)
            return q;
    return sp->nseqs - 1;
}

int mmt__st_figures_weights(const st *S, mmt_diag *d)
{
    const mmt_study_spec *sp = S->sp;
    size_t npbf = sp->nphases * sp->nbatches * sp->nffns;
    int r = 0;
    for (size_t h = 0; r == 0 && h < S->nhw; h++) {
        if (!S->hw[h].cfg.user_bw && S->nwk < 2)
            continue;
        for (size_t pbf = 0; r == 0 && pbf < npbf; pbf++)
            for (size_t k = 0; r == 0 && k < S->nwk; k++) {
                wpanel P = {.S = S, .h = h, .k = k, .pbf = pbf, .npbf = npbf};
                mmt__st_group_label(S, h, pbf * sp->nseqs, P.label, sizeof P.label);
                mmt__st_group_words(S, h, pbf * sp->nseqs, P.words, sizeof P.words);
                int32_t bits = mmt__st_var_bits(S, h, S->wvar[k]);
                mmt__st_bits_str(bits, P.bits, sizeof P.bits);
                r = fig_ftime(&P, d);
                if (r == 0)
                    r = fig_amdahl(&P, amdahl_seq(sp), d);
                if (r == 0 && bits != MMT_BITS_DEFAULT)
                    r = fig_speedup(&P, d);
            }
    }
    return r;
}
