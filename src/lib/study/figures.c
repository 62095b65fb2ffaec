/*
 * figures.c - the study's figures (SVG; the front end converts them to PNG or PDF): per panel
 * (hardware point x phase x batch x FFN)
 *   - heat maps of f_compute and f_memory, length x model (paper Figures 9 and 10), and the
 *     same for each model family on its own (Appendix B);
 *   - Amdahl curves per model (dashed: projections improved, solid: attention improved) with
 *     the fitted extrapolation; all OPT models on one chart at each length (Figures 5 and 7 at
 *     l = 2048, Appendix C at every length);
 *   - the fits of f_compute against l as small multiples: one figure, one panel per model;
 * and, when the run covers more than one dataflow, the dataflow comparison per base hardware,
 * one panel per model (Appendix A). Series are told apart by line style and marker where the
 * figure may be printed in grey; colour only adds to that.
 */
#include "study_internal.h"

#include <math.h>
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

/* "256x256 OS, decode" (and batch/ffn when not the paper's). */
static void hw_desc(const panel *P, char *buf, size_t cap)
{
    const mmt_config *c = &P->S->hw[P->h].cfg;
    const mmt_study_spec *sp = P->S->sp;
    char ds[8];
    snprintf(ds, sizeof ds, "%s", mmt_dataflow_name(c->dataflow));
    for (char *s = ds; *s; s++)
        *s = (char)(*s - 32);
    snprintf(buf, cap, "%" PRId64 "x%" PRId64 " %s, %s%s", c->array_h, c->array_w, ds,
             sp->phases[P->p] == MMT_LLM_PREFILL ? "prefill" : "decode",
             sp->batches[P->b] > 1 ? ", batched" : "");
}

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
    snprintf(title, sizeof title, "%s: share of %s in MatMul-free projections (%s%s%s, %s)",
             k ? "f_memory" : "f_compute", k ? "SRAM accesses" : "cycles",
             P->S->hw[P->h].cfg.run_name, fam ? ", " : "", fam ? fam : "", hd);
    mmt_svg_heatmap hm = {title,
                          "model",
                          "sequence length l",
                          k ? "f_memory (share of SRAM accesses)" : "f_compute (share of cycles)",
                          ns,
                          cols,
                          rl,
                          cl,
                          v};
    char sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/heatmap_%s_%s%s%s.svg", sp->outdir,
             k ? "f_memory" : "f_compute", mmt__st_safe(P->label, sl), fam ? "_" : "",
             fam ? fam : "");
    if (r == 0)
        r = mmt_svg_heatmap_write(path, &hm, d);
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
static int write_amdahl(const char *path, const char *title, const mmt_svg_series *ser, size_t n,
                        double ymax, const char *note, mmt_diag *d)
{
    mmt_svg_plot p = {title,
                      "speed-up s of the improved part (x)",
                      "overall speed-up S(s) (x)",
                      1,
                      ST_SMAX,
                      0,
                      ceil(ymax / 5) * 5,
                      ser,
                      n,
                      note,
                      0};
    return mmt_svg_plot_write(path, &p, d);
}

/* Amdahl curves of model m: per length, dashed = projections improved (f), solid = attention
 * improved (1 - f); the fitted f gives the extrapolated lengths. */
static int fig_amdahl_model(const panel *P, size_t m, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    const mmt_study_fit *F = fit_of(P, m);
    size_t ns = sp->nseqs, nl = ns + (F ? ST_NEXTRAP : 0), n = 0;
    double xs[ST_SMAX], ymax = 1;
    mmt_svg_series *ser = calloc(2 * nl, sizeof *ser);
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
            snprintf(labels[n], sizeof labels[n], "l=%.0f%s %s (f=%.3f)", l, sim ? "" : " fit",
                     way ? "attention" : "projections", way ? 1 - f : f);
            ser[n] = (mmt_svg_series){labels[n], xs, ys[n], ST_SMAX, !way, (int)q,
                                      (int)(q % 5) + 1}; /* length: colour and marker */
        }
    }
    char path[4400], title[800], hd[200];
    hw_desc(P, hd, sizeof hd);
    snprintf(title, sizeof title, "Amdahl speed-up, %s on %s (%s)", sp->models[m].name,
             P->S->hw[P->h].cfg.run_name, hd);
    char sl[MMT__SAFE_CAP], sm[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/amdahl_%s_%s.svg", sp->outdir,
             mmt__st_safe(P->label, sl), mmt__st_safe(sp->models[m].name, sm));
    int r = write_amdahl(path, title, ser, n, ymax,
                         "dashed: MatMul-free projections improved (f); solid: attention "
                         "heads improved (1-f); 'fit': f extrapolated by 1/(1+a+b*l)",
                         d);
    free(ser), free(ys), free(labels);
    return r;
}

/* All models of family fam on one Amdahl chart at length q (Figures 5 and 7, Appendix C). */
static int fig_amdahl_family(const panel *P, const char *fam, size_t q, mmt_diag *d)
{
    const mmt_study_spec *sp = P->S->sp;
    static double xs[ST_SMAX];
    mmt_svg_series ser[2 * 32];
    double ys[2 * 32][ST_SMAX], ymax = 1;
    char labels[2 * 32][160];
    size_t n = 0, c = 0;
    for (int s = 0; s < ST_SMAX; s++)
        xs[s] = s + 1;
    for (size_t m = 0; m < sp->nmodels && n + 2 <= 64; m++) {
        if (strcmp(sp->models[m].family, fam))
            continue;
        double f = frac(P, m, q)->f_compute;
        for (int way = 0; way < 2; way++, n++) {
            ymax = amdahl_curve(way ? 1 - f : f, ys[n], ymax);
            snprintf(labels[n], sizeof labels[n], "%s %s (f=%.3f)", sp->models[m].name,
                     way ? "attention" : "projections", way ? 1 - f : f);
            /* the model: colour and marker shape; the way: dashed or solid */
            ser[n] = (mmt_svg_series){labels[n], xs, ys[n], ST_SMAX, !way, (int)c,
                                      (int)(c % 5) + 1};
        }
        c++;
    }
    if (c < 2)
        return 0;
    char path[4400], title[800], hd[200];
    hw_desc(P, hd, sizeof hd);
    char FAM[32];
    snprintf(FAM, sizeof FAM, "%s", fam);
    for (char *s = FAM; *s; s++)
        *s = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
    snprintf(title, sizeof title, "Amdahl speed-up of the %s models at l = %" PRId64 " on %s (%s)",
             FAM, sp->seqs[q], P->S->hw[P->h].cfg.run_name, hd);
    char sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/amdahl_%s_%s_l%" PRId64 ".svg", sp->outdir,
             mmt__st_safe(P->label, sl), fam, sp->seqs[q]);
    return write_amdahl(path, title, ser, n, ymax,
                        "colour and marker: model; dashed: MatMul-free projections improved (f); "
                        "solid: attention heads improved (1-f)",
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
    mmt_svg_series *ser = calloc(2 * nm, sizeof *ser);
    const mmt_svg_series **sp_of = calloc(nm, sizeof *sp_of);
    size_t *nser = calloc(nm, sizeof *nser);
    char(*titles)[96] = calloc(nm, sizeof *titles);
    const char **tp = calloc(nm, sizeof *tp);
    int r = !fx || !fy || !cy || !ser || !sp_of || !nser || !titles || !tp
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
        ser[2 * m] = (mmt_svg_series){"simulated", fx, fy + m * ns, ns, -1, 10, 1};
        nser[m] = 1;
        if (F) {
            for (int i = 0; i < 100; i++)
                cy[m * 100 + i] = mmt_study_fit_eval(F, cx[i]);
            ser[2 * m + 1] = (mmt_svg_series){"fit 1/(1+a+b*l)", cx, cy + m * 100, 100, 1, 10, 0};
            nser[m] = 2;
        }
        snprintf(titles[m], sizeof titles[m], F ? "%s (R2 %.4f)" : "%s (no fit)",
                 sp->models[m].name, F ? F->r2 : 0.0);
        tp[m] = titles[m], sp_of[m] = ser + 2 * m;
    }
    char path[4400], title[800], hd[200];
    hw_desc(P, hd, sizeof hd);
    snprintf(title, sizeof title, "f_compute against l with the fit, per model, on %s (%s)",
             P->S->hw[P->h].cfg.run_name, hd);
    mmt_svg_grid g = {title,
                      "sequence length l (tokens, log scale)",
                      "f_compute (fraction of cycles in MatMul-free part)",
                      "fit: f(l) = 1/(1+a+b*l), extrapolated to l = 32768",
                      lmin,
                      lmax,
                      0,
                      1,
                      1,
                      nm,
                      nm <= 4 ? nm : nm <= 9 ? 3 : 4,
                      tp,
                      sp_of,
                      nser};
    char sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/fits_f_compute_%s.svg", sp->outdir,
             mmt__st_safe(P->label, sl));
    if (r == 0)
        r = mmt_svg_grid_write(path, &g, d);
    free(fx), free(fy), free(cy), free(ser), free(sp_of), free(nser), free(titles), free(tp);
    return r;
}

/* Appendix A: f_compute against l under each dataflow of base hardware `base`, one panel per
 * model on shared axes; black, the dataflow told by line style and marker shape. */
static int fig_dataflows(const st *S, size_t base, size_t p, size_t b, size_t f, mmt_diag *d)
{
    const mmt_study_spec *sp = S->sp;
    size_t ns = sp->nseqs, nm = sp->nmodels, nd = sp->ndataflows < 3 ? sp->ndataflows : 3;
    double *x = calloc(ns, sizeof *x), *y = calloc(nm * 3 * ns + 1, sizeof *y);
    mmt_svg_series *ser = calloc(nm * 3, sizeof *ser);
    const mmt_svg_series **sp_of = calloc(nm, sizeof *sp_of);
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
            ser[m * 3 + k] = (mmt_svg_series){labels[k], x, yk, ns, (int)k, 10, (int)k + 1};
        }
        sp_of[m] = ser + m * 3, nser[m] = nd, tp[m] = sp->models[m].name;
    }
    char path[4400], title[800], lab[400];
    panel P0 = {S, base * sp->ndataflows, p, b, f, ""};
    mmt__st_group_label(S, P0.h, wl_of(&P0, 0, 0), lab, sizeof lab);
    const char *group = lab + strlen(S->hw[P0.h].cfg.run_name); /* "_decode_b1_plain" */
    snprintf(title, sizeof title,
             "f_compute by dataflow on %s (%" PRId64 "x%" PRId64 "%s%s), per model",
             sp->hw[base].run_name, sp->hw[base].array_h, sp->hw[base].array_w,
             *group ? ", " : "", *group ? group + 1 : "");
    mmt_svg_grid g = {title,
                      "sequence length l (tokens, log scale)",
                      "f_compute (fraction of cycles in MatMul-free part)",
                      "one line per dataflow: IS, OS, WS",
                      x[0],
                      ns > 1 && x[ns - 1] > x[0] ? x[ns - 1] : 2 * x[0],
                      0,
                      1,
                      1,
                      nm,
                      nm <= 4 ? nm : nm <= 9 ? 3 : 4,
                      tp,
                      sp_of,
                      nser};
    char sl[MMT__SAFE_CAP];
    snprintf(path, sizeof path, "%s/figures/dataflows_%s%s.svg", sp->outdir,
             mmt__st_safe(sp->hw[base].run_name, sl), group);
    if (r == 0)
        r = mmt_svg_grid_write(path, &g, d);
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
