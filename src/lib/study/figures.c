/*
 * figures.c - the study's figures (drawn by figure.c as SVG, PNG or PDF, each with the CSV of
 * the numbers it plots): per panel
 * (hardware point x phase x batch x FFN)
 *   - heat maps of f_compute and f_memory, length x model (paper Figures 9 and 10), and the
 *     same for each model family on its own (Appendix B);
 *   - Amdahl curves per model (dashed: projections improved, solid: attention improved) with
 *     the fitted extrapolation; all OPT models on one chart at each length (Figures 5 and 7 at
 *     l = 2048, Appendix C at every length);
 *   - the fits of f_compute against l as small multiples: one figure, one panel per model;
 * and, when the run covers more than one dataflow, the dataflow comparison per base hardware,
 * one panel per model (Appendix A). Series are told apart by line style and marker together
 * (mmt_fig_series_style), so a grey print keeps them apart; colour only adds to that. Titles
 * and legends say the group in words ("decode, batch 1"), never a file-name key.
 */
#include "study_internal.h"
#include "fig_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXM 256 /* models drawn in one figure */

/* A panel: hw point h and the (phase, batch, ffn) of workload group w0 (its model 0, seq 0). */
typedef struct panel {
    const st *S;
    size_t h, p, b, f;
    char label[400];
} panel;

/* Workload index of model m, length q in panel P. */
static size_t wl_of(const panel *P, size_t m, size_t q)
{
    const mmt_study_spec *sp = P->S->sp;
    return (((m * sp->nphases + P->p) * sp->nbatches + P->b) * sp->nffns + P->f) * sp->nseqs + q;
}

/* Fractions of model m, length q. */
static const mmt_study_fractions *frac(const panel *P, size_t m, size_t q)
{
    return &P->S->fr[P->h * P->S->nwl + wl_of(P, m, q)];
}

/* The f_compute fit of model m (NULL if it failed). */
static const mmt_study_fit *fit_of(const panel *P, size_t m)
{
    size_t ns = P->S->sp->nseqs, i = (P->h * (P->S->nwl / ns) + wl_of(P, m, 0) / ns) * 2;
    return P->S->fit_ok[i] ? &P->S->fit[i] : NULL;
}

void mmt__st_group_words(const st *S, size_t h, size_t w, char *buf, size_t cap)
{
    const mmt_config *c = &S->hw[h].cfg;
    const mmt_study_spec *sp = S->sp;
    const st_wl *W = &S->wl[w];
    char ds[8];
    snprintf(ds, sizeof ds, "%s", mmt_dataflow_name(c->dataflow));
    for (char *s = ds; *s; s++)
        *s = (char)(*s - 32);
    snprintf(buf, cap, "%s (%" PRId64 "x%" PRId64 " %s), %s, batch %" PRId64 "%s",
             sp->hw[S->hw[h].base].run_name, c->array_h, c->array_w, ds,
             sp->phases[W->phase] == MMT_LLM_PREFILL ? "prefill" : "decode",
             sp->batches[W->batch],
             !S->extra ? "" : W->ffn_used == MMT_LLM_FFN_GATED ? ", gated FFN" : ", plain FFN");
}

/* A model family as its makers write it: GPT-2, OPT, LLaMA. */
static const char *family_words(const char *fam)
{
    return !strcmp(fam, "gpt2") ? "GPT-2" : !strcmp(fam, "opt") ? "OPT" : "LLaMA";
}

/* The group of panel P in words (mmt__st_group_words). */
static void hw_desc(const panel *P, char *buf, size_t cap)
{
    mmt__st_group_words(P->S, P->h, wl_of(P, 0, 0), buf, cap);
}

/* Writes a figure through the study's figure stage (fig_stage.c). */
#define STYLE(P) (&(P)->S->sp->figures)

/* Heat map of f_compute (k = 0) or f_memory (k = 1) over the models whose family is fam (NULL:
 * all); suffix names the file. */
static int fig_heatmap(const panel *P, int k, const char *fam, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    size_t ns = sp->nseqs, cols = 0, mi[MAXM];
    for (size_t m = 0; m < sp->nmodels && cols < MAXM; m++)
        if (!fam || !strcmp(sp->models[m].family, fam))
            mi[cols++] = m;
    if (cols == 0 || (fam && cols == sp->nmodels))
        return 0; /* no such family, or the family figure would repeat the full one */
    const char **rl = calloc(ns, sizeof *rl), *cl[MAXM];
    char(*rbuf)[24] = calloc(ns, sizeof *rbuf), path[4400], title[800], hd[200];
    double *v = calloc(ns * cols + 1, sizeof *v);
    int r = 0;
    if (!rl || !rbuf || !v)
        r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    for (size_t q = 0; r == 0 && q < ns; q++) {
        snprintf(rbuf[q], sizeof rbuf[q], "%" PRId64, sp->seqs[q]);
        rl[q] = rbuf[q];
        for (size_t c = 0; c < cols; c++)
            v[q * cols + c] = k ? frac(P, mi[c], q)->f_memory : frac(P, mi[c], q)->f_compute;
    }
    for (size_t c = 0; c < cols; c++)
        cl[c] = sp->models[mi[c]].name;
    hw_desc(P, hd, sizeof hd);
    snprintf(title, sizeof title, "Share of %s in the MatMul-free projections%s%s%s, %s",
             k ? "SRAM accesses" : "cycles", fam ? ", " : "", fam ? family_words(fam) : "",
             fam ? " models" : "", hd);
    mmt_fig_heatmap hm = {title,
                          "model",
                          "sequence length l (tokens)",
                          k ? "f_memory (share of SRAM accesses)" : "f_compute (share of cycles)",
                          ns,
                          cols,
                          rl,
                          cl,
                          v,
                          "seq",
                          "model",
                          k ? "f_memory" : "f_compute"};
    char sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/heatmap_%s_%s%s%s", sp->outdir,
             k ? "f_memory" : "f_compute", mmt__st_safe(P->label, sl), fam ? "_" : "",
             fam ? fam : "");
    if (r == 0)
        r = mmt__st_fig_heatmap(P->S, path, &hm, d);
    free(rl);
    free(rbuf);
    free(v);
    return r;
}

/* One Amdahl curve, S(s) for s = 1..ST_SMAX when the fraction f is improved, into ys; returns
 * ymax raised to the curve's top if that is higher. */
static double amdahl_curve(double f, double *ys, double ymax)
{
    for (int s = 0; s < ST_SMAX; s++) {
        ys[s] = mmt_study_amdahl(f, s + 1);
        ymax = ys[s] > ymax ? ys[s] : ymax;
    }
    return ymax;
}

/* An Amdahl chart: the n curves ser on the axes every Amdahl figure of the paper shares (s from
 * 1 to ST_SMAX, S from 0 to ymax rounded up to a multiple of 5). */
static int write_amdahl(const st *S, const char *path, const char *title,
                        const mmt_fig_series *ser, size_t n, double ymax, const char *note,
                        mmt_diag *d)
{
    mmt_fig_plot p = {title,
                      "speed-up s of the improved part (x)",
                      "overall speed-up S(s) (x)",
                      1,
                      ST_SMAX,
                      0,
                      ceil(ymax / 5) * 5,
                      ser,
                      n,
                      note,
                      0,
                      "s",
                      "S"};
    return mmt__st_fig_plot(S, path, &p, d);
}

/* Amdahl curves of model m: per length, dashed = projections improved (f), solid = attention
 * improved (1 - f); the fitted f gives the extrapolated lengths. */
static int fig_amdahl_model(const panel *P, size_t m, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    const mmt_study_fit *F = fit_of(P, m);
    size_t ns = sp->nseqs, nl = ns + (F ? ST_NEXTRAP : 0), n = 0;
    double xs[ST_SMAX], ymax = 1;
    mmt_fig_series *ser = calloc(2 * nl, sizeof *ser);
    double(*ys)[ST_SMAX] = calloc(2 * nl, sizeof *ys);
    char(*labels)[64] = calloc(2 * nl, sizeof *labels);
    if (!ser || !ys || !labels) {
        free(ser), free(ys), free(labels);
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    for (int s = 0; s < ST_SMAX; s++)
        xs[s] = s + 1;
    for (size_t q = 0; q < nl; q++) {
        int sim = q < ns;
        double l = sim ? (double)sp->seqs[q] : mmt__st_extrap[q - ns];
        double f = sim ? frac(P, m, q)->f_compute : mmt_study_fit_eval(F, l);
        for (int way = 0; way < 2; way++, n++) {
            ymax = amdahl_curve(way ? 1 - f : f, ys[n], ymax);
            snprintf(labels[n], sizeof labels[n], "l = %.0f%s, %s improved (%s = %.3f)", l,
                     sim ? "" : " (fit)", way ? "attention" : "projections", way ? "1 - f" : "f",
                     way ? 1 - f : f);
            int line, mk; /* the length: the marker; the part improved: dashed or solid */
            mmt_fig_series_style(q, &line, &mk);
            ser[n] = (mmt_fig_series){labels[n], xs, ys[n], ST_SMAX, !way, mk, 0};
        }
    }
    char path[4400], title[800], hd[200];
    hw_desc(P, hd, sizeof hd);
    snprintf(title, sizeof title, "Amdahl speed-up of %s, %s", sp->models[m].name, hd);
    char sl[MMT__SAFE_CAP], sm[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/amdahl_%s_%s", sp->outdir, mmt__st_safe(P->label, sl),
             mmt__st_safe(sp->models[m].name, sm));
    int r = write_amdahl(P->S, path, title, ser, n, ymax,
                         "dashed: MatMul-free projections improved (share f); solid: attention "
                         "heads improved (1 - f); (fit): f extrapolated by 1/(1 + a + b l)",
                         d);
    free(ser), free(ys), free(labels);
    return r;
}

/* All models of family fam on one Amdahl chart at length q (Figures 5 and 7, Appendix C). */
static int fig_amdahl_family(const panel *P, const char *fam, size_t q, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    double xs[ST_SMAX]; /* (not static: the figure threads run this at once) */
    mmt_fig_series ser[2 * 32];
    double ys[2 * 32][ST_SMAX], ymax = 1;
    char labels[2 * 32][200];
    size_t n = 0, c = 0;
    for (int s = 0; s < ST_SMAX; s++)
        xs[s] = s + 1;
    for (size_t m = 0; m < sp->nmodels && n + 2 <= 64; m++) {
        if (strcmp(sp->models[m].family, fam))
            continue;
        double f = frac(P, m, q)->f_compute;
        for (int way = 0; way < 2; way++, n++) {
            ymax = amdahl_curve(way ? 1 - f : f, ys[n], ymax);
            snprintf(labels[n], sizeof labels[n], "%s, %s improved (%s = %.3f)",
                     sp->models[m].name, way ? "attention" : "projections", way ? "1 - f" : "f",
                     way ? 1 - f : f);
            int line, mk; /* the model: the marker; the part improved: dashed or solid */
            mmt_fig_series_style(c, &line, &mk);
            ser[n] = (mmt_fig_series){labels[n], xs, ys[n], ST_SMAX, !way, mk, 0};
        }
        c++;
    }
    if (c < 2)
        return 0;
    char path[4400], title[800], hd[200];
    hw_desc(P, hd, sizeof hd);
    snprintf(title, sizeof title, "Amdahl speed-up of the %s models at l = %" PRId64 ", %s",
             family_words(fam), sp->seqs[q], hd);
    char sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/amdahl_%s_%s_l%" PRId64, sp->outdir,
             mmt__st_safe(P->label, sl), fam, sp->seqs[q]);
    return write_amdahl(P->S, path, title, ser, n, ymax,
                        "marker: model; dashed: MatMul-free projections improved (share f); "
                        "solid: attention heads improved (1 - f)",
                        d);
}

/* f_compute against l with the fitted curve as small multiples: one panel per model on shared
 * axes, one figure per panel group; black only (simulated: dots; the fit: a dashed line). */
static int fig_fits(const panel *P, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    size_t ns = sp->nseqs, nm = sp->nmodels;
    const double lmax = mmt__st_extrap[ST_NEXTRAP - 1];
    const double lmin = (double)sp->seqs[0] < lmax ? (double)sp->seqs[0] : 64;
    double cx[100];
    double *fx = calloc(ns, sizeof *fx), *fy = calloc(nm * ns + 1, sizeof *fy);
    double *cy = calloc(nm * 100 + 1, sizeof *cy);
    mmt_fig_series *ser = calloc(2 * nm, sizeof *ser);
    const mmt_fig_series **sp_of = calloc(nm, sizeof *sp_of);
    size_t *nser = calloc(nm, sizeof *nser);
    char(*titles)[96] = calloc(nm, sizeof *titles);
    const char **tp = calloc(nm, sizeof *tp), **keys = calloc(nm, sizeof *keys);
    int r = !fx || !fy || !cy || !ser || !sp_of || !nser || !titles || !tp || !keys
                ? mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory")
                : 0;
    for (int i = 0; r == 0 && i < 100; i++)
        cx[i] = lmin * pow(lmax / lmin, i / 99.0);
    for (size_t q = 0; r == 0 && q < ns; q++)
        fx[q] = (double)sp->seqs[q];
    for (size_t m = 0; r == 0 && m < nm; m++) {
        const mmt_study_fit *F = fit_of(P, m);
        for (size_t q = 0; q < ns; q++)
            fy[m * ns + q] = frac(P, m, q)->f_compute;
        ser[2 * m] = (mmt_fig_series){"simulated", fx, fy + m * ns, ns, -1, 1, 0};
        nser[m] = 1;
        if (F) {
            for (int i = 0; i < 100; i++)
                cy[m * 100 + i] = mmt_study_fit_eval(F, cx[i]);
            ser[2 * m + 1] =
                (mmt_fig_series){"fit 1/(1 + a + b l)", cx, cy + m * 100, 100, 1, 0, 0};
            nser[m] = 2;
        }
        snprintf(titles[m], sizeof titles[m], F ? "%s (R² %.4f)" : "%s (no fit)",
                 sp->models[m].name, F ? F->r2 : 0.0);
        tp[m] = titles[m], keys[m] = sp->models[m].name, sp_of[m] = ser + 2 * m;
    }
    char path[4400], title[800], hd[200];
    hw_desc(P, hd, sizeof hd);
    snprintf(title, sizeof title, "f_compute against l with the fit, per model, %s", hd);
    mmt_fig_grid g = {title,
                      "sequence length l (tokens, log scale)",
                      "f_compute (share of cycles)",
                      "fit: f(l) = 1/(1 + a + b l), extrapolated to l = 32768",
                      lmin,
                      lmax,
                      0,
                      1,
                      1,
                      nm,
                      nm <= 4 ? nm : nm <= 9 ? 3 : 4,
                      tp,
                      sp_of,
                      nser,
                      "seq",
                      "f_compute",
                      keys};
    char sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/fits_f_compute_%s", sp->outdir,
             mmt__st_safe(P->label, sl));
    if (r == 0)
        r = mmt__st_fig_grid(P->S, path, &g, d);
    free(fx), free(fy), free(cy), free(ser), free(sp_of), free(nser), free(titles), free(tp);
    free(keys);
    return r;
}

/* Appendix A: f_compute against l under each dataflow of base hardware `base`, one panel per
 * model on shared axes; black, the dataflow told by line style and marker shape. */
static int fig_dataflows(const st *S, size_t base, size_t p, size_t b, size_t f, mmt_diag *d)
{
    const mmt_study_spec *sp = S->sp;
    size_t ns = sp->nseqs, nm = sp->nmodels, nd = sp->ndataflows < 3 ? sp->ndataflows : 3;
    double *x = calloc(ns, sizeof *x), *y = calloc(nm * 3 * ns + 1, sizeof *y);
    mmt_fig_series *ser = calloc(nm * 3, sizeof *ser);
    const mmt_fig_series **sp_of = calloc(nm, sizeof *sp_of);
    size_t *nser = calloc(nm, sizeof *nser);
    const char **tp = calloc(nm, sizeof *tp);
    char labels[3][8];
    int r = !x || !y || !ser || !sp_of || !nser || !tp
                ? mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory")
                : 0;
    for (size_t q = 0; r == 0 && q < ns; q++)
        x[q] = (double)sp->seqs[q];
    for (size_t k = 0; k < nd; k++) {
        snprintf(labels[k], sizeof labels[k], "%s", mmt_dataflow_name(sp->dataflows[k]));
        for (char *c = labels[k]; *c; c++)
            *c = (char)(*c - 32);
    }
    for (size_t m = 0; r == 0 && m < nm; m++) {
        for (size_t k = 0; k < nd; k++) {
            panel P = {S, base * sp->ndataflows + k, p, b, f, ""};
            double *yk = y + (m * 3 + k) * ns;
            for (size_t q = 0; q < ns; q++)
                yk[q] = frac(&P, m, q)->f_compute;
            int line, mk;
            mmt_fig_series_style(k, &line, &mk);
            ser[m * 3 + k] = (mmt_fig_series){labels[k], x, yk, ns, line, mk, 0};
        }
        sp_of[m] = ser + m * 3, nser[m] = nd, tp[m] = sp->models[m].name;
    }
    char path[4400], title[800], lab[400], words[400];
    panel P0 = {S, base * sp->ndataflows, p, b, f, ""};
    mmt__st_group_label(S, P0.h, wl_of(&P0, 0, 0), lab, sizeof lab);
    const char *group = lab + strlen(S->hw[P0.h].cfg.run_name); /* "_decode_b1_plain" */
    mmt__st_group_words(S, P0.h, wl_of(&P0, 0, 0), words, sizeof words);
    const char *rest = strstr(words, "), "); /* after "name (HxW DF)": the phase and batch */
    snprintf(title, sizeof title, "f_compute by dataflow, %s (%" PRId64 "x%" PRId64 ")%s, per model",
             sp->hw[base].run_name, sp->hw[base].array_h, sp->hw[base].array_w,
             rest ? rest + 1 : "");
    mmt_fig_grid g = {title,
                      "sequence length l (tokens, log scale)",
                      "f_compute (share of cycles)",
                      "one line per dataflow",
                      x[0],
                      ns > 1 && x[ns - 1] > x[0] ? x[ns - 1] : 2 * x[0],
                      0,
                      1,
                      1,
                      nm,
                      nm <= 4 ? nm : nm <= 9 ? 3 : 4,
                      tp,
                      sp_of,
                      nser,
                      "seq",
                      "f_compute",
                      NULL};
    char sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/dataflows_%s%s", sp->outdir,
             mmt__st_safe(sp->hw[base].run_name, sl), group);
    if (r == 0)
        r = mmt__st_fig_grid(S, path, &g, d);
    free(x), free(y), free(ser), free(sp_of), free(nser), free(tp);
    return r;
}

int mmt__st_figures(const st *S, mmt_diag *d)
{
    static const char *const fams[] = {"gpt2", "opt", "llama"};
    const mmt_study_spec *sp = S->sp;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/figures", sp->outdir);
    int r = mmt__st_mkdirs(dir, d);
    for (size_t h = 0; r == 0 && h < S->nhw; h++)
        for (size_t p = 0; p < sp->nphases; p++)
            for (size_t b = 0; b < sp->nbatches; b++)
                for (size_t f = 0; r == 0 && f < sp->nffns; f++) {
                    panel P = {S, h, p, b, f, ""};
                    mmt__st_group_label(S, h, wl_of(&P, 0, 0), P.label, sizeof P.label);
                    for (int k = 0; r == 0 && k < 2; k++) {
                        r = fig_heatmap(&P, k, NULL, d);
                        for (size_t i = 0; r == 0 && i < 3; i++)
                            r = fig_heatmap(&P, k, fams[i], d);
                    }
                    if (r == 0 && sp->nseqs > 1)
                        r = fig_fits(&P, d);
                    for (size_t m = 0; r == 0 && m < sp->nmodels; m++)
                        r = fig_amdahl_model(&P, m, d);
                    for (size_t q = 0; r == 0 && q < sp->nseqs; q++)
                        r = fig_amdahl_family(&P, "opt", q, d);
                }
    for (size_t base = 0; r == 0 && sp->ndataflows > 1 && base < sp->nhw; base++)
        for (size_t p = 0; p < sp->nphases; p++)
            for (size_t b = 0; b < sp->nbatches; b++)
                for (size_t f = 0; r == 0 && f < sp->nffns; f++)
                    r = fig_dataflows(S, base, p, b, f, d);
    return r;
}

/* ---------------------------------------------------------------- the figure stage */

/* The stage, shared by its threads: the count, the progress and the first error. */
typedef struct stage {
    const st *S;
    size_t total;
    atomic_size_t done;
    atomic_int failed;
    atomic_flag errlock;
    mmt_diag err;
    int code; /* the first error's MMT_E* code */
    mmt__wbatch *batch; /* the run's write batch: every thread writes into it */
    long nthreads;
} stage;

/* One thread's share: the figures whose index in enumeration order is t modulo T. */
typedef struct share {
    stage *G;
    int counting;
    size_t t, next; /* next: the index of the next figure met */
    int r;
    mmt_diag d;
} share;

/* The share of the calling thread (NULL outside the stage: every figure is drawn). */
static _Thread_local share *cur;

/* 1 if the calling thread draws the figure met now (counting: none, only counted). */
static int mine(void)
{
    share *c = cur;
    if (!c)
        return 1;
    if (c->counting)
        return c->G->total++, 0;
    return c->next++ % (size_t)c->G->nthreads == c->t;
}

/* After a figure drawn with result r: progress (on the caller's thread) or the first error;
 * non-zero once any thread failed, to stop the others. */
static int drawn(const st *S, int r, mmt_diag *d)
{
    share *c = cur;
    if (!c)
        return r;
    stage *G = c->G;
    if (r != 0) {
        if (!atomic_exchange(&G->failed, 1)) {
            while (atomic_flag_test_and_set(&G->errlock)) {
            }
            G->err = *d, G->code = r;
            atomic_flag_clear(&G->errlock);
        }
        return r;
    }
    size_t n = atomic_fetch_add(&G->done, 1) + 1;
    if (c->t == 0 && S->sp->figure_progress)
        S->sp->figure_progress(S->sp->figure_progress_ud, n, G->total);
    return atomic_load(&G->failed) ? MMT_EINVAL : 0;
}

int mmt__st_fig_heatmap(const st *S, const char *stem, const mmt_fig_heatmap *h, mmt_diag *d)
{
    return mine() ? drawn(S, mmt_fig_heatmap_write(stem, h, &S->sp->figures, d), d) : 0;
}

int mmt__st_fig_plot(const st *S, const char *stem, const mmt_fig_plot *p, mmt_diag *d)
{
    return mine() ? drawn(S, mmt_fig_plot_write(stem, p, &S->sp->figures, d), d) : 0;
}

int mmt__st_fig_grid(const st *S, const char *stem, const mmt_fig_grid *g, mmt_diag *d)
{
    return mine() ? drawn(S, mmt_fig_grid_write(stem, g, &S->sp->figures, d), d) : 0;
}

/* Enumerates every figure in the calling thread's share. */
static int all_figures(share *c)
{
    cur = c;
    int r = mmt__st_figures(c->G->S, &c->d);
    if (r == 0)
        r = mmt__st_figures_weights(c->G->S, &c->d);
    cur = NULL;
    mmt__fig_scratch_free();
    return r;
}

/* A helper thread of the stage: its share, written into the run's batch. */
static void *helper(void *arg)
{
    share *c = arg;
    mmt__wbatch_join(c->G->batch);
    c->r = all_figures(c);
    mmt__wbatch_join(NULL);
    return NULL;
}

int mmt__st_figure_stage(st *S, mmt_diag *d)
{
    stage G = {.S = S, .nthreads = 1, .batch = mmt__wbatch_current()};
    atomic_init(&G.done, 0);
    atomic_init(&G.failed, 0);
    atomic_flag_clear(&G.errlock);
    share c0 = {.G = &G, .counting = 1};
    int r = all_figures(&c0);
    if (r != 0)
        return *d = c0.d, r;
    /* threads: as many as --jobs, each with about two figures at least */
    long T = S->sp->jobs > 1 ? S->sp->jobs : 1;
    T = (size_t)T > G.total / 2 ? (long)(G.total / 2) : T;
    T = T < 1 ? 1 : T > 64 ? 64 : T;
    share *c = calloc((size_t)T, sizeof *c);
    pthread_t *th = calloc((size_t)T, sizeof *th);
    if (!c || !th) {
        free(c), free(th);
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    long started = 1;
    G.nthreads = T;
    void *fonts = mmt__fig_fonts_hold();
    for (long t = 0; t < T; t++)
        c[t] = (share){.G = &G, .t = (size_t)t};
    for (; started < T; started++) /* a helper that cannot start: its share goes undrawn */
        if (pthread_create(&th[started], NULL, helper, &c[started]) != 0)
            break;
    if (started < T) {
        atomic_store(&G.failed, 1); /* stops the started ones early */
        G.code = mmt__diag(&G.err, MMT_ENOMEM, "", 0, "cannot start a thread for the figures");
    }
    r = all_figures(&c[0]);
    for (long t = 1; t < started; t++)
        pthread_join(th[t], NULL);
    mmt__fig_fonts_release(fonts);
    if (atomic_load(&G.failed))
        *d = G.err, r = G.code ? G.code : MMT_EINVAL;
    free(c), free(th);
    return r;
}
