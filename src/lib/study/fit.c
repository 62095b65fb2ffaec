/*
 * fit.c - the 1-bit LLM study's arithmetic (study.md): the fractions of
 * cycles and accesses that fall in the MatMul-free part, Amdahl's law, and the fit of f
 * against sequence length.
 *
 * Fit model. Under the OS dataflow without stalls a GEMM costs folds*(K+R+C-2)-1 cycles. The
 * projections do not depend on l, so their cost is a constant P; the attention heads (q.K^T:
 * ceil(l/C) folds of dh+R+C-2; scores.V: ceil(dh/C) folds of l+R+C-2) cost a + b*l up to the
 * fold steps. So f(l) = P / (P + a + b*l) = 1 / (1 + alpha + beta*l), alpha = a/P, beta = b/P.
 */
#include "internal.h"
#include "mmtrace_study.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- fractions */

/* acc += count * v, checked. */
static int acc_add(int64_t *acc, int64_t count, int64_t v)
{
    int64_t t;
    return mmt__mul(count, v, &t) || mmt__add(*acc, t, acc) ? MMT_EOVERFLOW : 0;
}

/* share of part 0 in a two-part total; NaN when the total is 0. */
static double share(const int64_t v[2])
{
    double t = (double)v[0] + (double)v[1];
    return t > 0 ? (double)v[0] / t : NAN;
}

int mmt_study_fractions_compute(const mmt_llm_block *b, const mmt_layer_result *res,
                                mmt_study_fractions *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < b->n; i++) {
        const mmt_llm_layer *l = &b->layers[i];
        const mmt_layer_result *r = &res[i];
        int p = l->part == MMT_PART_MMFREE ? 0 : 1;
        int64_t sram = 0, dram = 0;
        for (int op = 0; op < 3; op++)
            if (mmt__add(sram, r->sram_count[op], &sram) ||
                mmt__add(dram, r->dram_count[op], &dram))
                return MMT_EOVERFLOW;
        const int64_t w = mmt_llm_row_weight(l); /* count, x layers in mixed blocks */
        if (acc_add(&out->cycles[p], w, r->total_cycles) ||
            acc_add(&out->stalls[p], w, r->stall_cycles) || acc_add(&out->sram[p], w, sram) ||
            acc_add(&out->dram[p], w, dram))
            return MMT_EOVERFLOW;
    }
    out->f_compute = share(out->cycles);
    out->f_memory = share(out->sram);
    out->f_dram = share(out->dram);
    return 0;
}

double mmt_study_amdahl(double f, double s)
{
    return 1.0 / ((1.0 - f) + f / s);
}

/* ---------------------------------------------------------------- fit */

/* Data handed to the GSL callbacks; x is l / lscale for conditioning. */
typedef struct fitdata {
    const double *x, *f;
    size_t n;
} fitdata;

/* Residuals model(x_i) - f_i with model 1 / (1 + a + b'x). */
static int fit_f(const gsl_vector *p, void *ud, gsl_vector *r)
{
    const fitdata *D = ud;
    double a = gsl_vector_get(p, 0), b = gsl_vector_get(p, 1);
    for (size_t i = 0; i < D->n; i++)
        gsl_vector_set(r, i, 1.0 / (1.0 + a + b * D->x[i]) - D->f[i]);
    return GSL_SUCCESS;
}

/* Jacobian: d/da = -m^2, d/db' = -x m^2. */
static int fit_df(const gsl_vector *p, void *ud, gsl_matrix *J)
{
    const fitdata *D = ud;
    double a = gsl_vector_get(p, 0), b = gsl_vector_get(p, 1);
    for (size_t i = 0; i < D->n; i++) {
        double m = 1.0 / (1.0 + a + b * D->x[i]);
        gsl_matrix_set(J, i, 0, -m * m);
        gsl_matrix_set(J, i, 1, -D->x[i] * m * m);
    }
    return GSL_SUCCESS;
}

/* Starting point: least squares of 1/f - 1 = a + b'x (exact when the data fit the model). */
static void linear_start(const fitdata *D, double *a, double *b)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0, n = (double)D->n;
    for (size_t i = 0; i < D->n; i++) {
        double y = 1.0 / D->f[i] - 1.0;
        sx += D->x[i], sy += y, sxx += D->x[i] * D->x[i], sxy += D->x[i] * y;
    }
    double den = n * sxx - sx * sx;
    *b = den != 0 ? (n * sxy - sx * sy) / den : 0;
    *a = (sy - *b * sx) / n;
}

/* Runs the trust-region solver from (a, b); fills out (in the scaled x). */
static int solve(fitdata *D, double a0, double b0, double lscale, mmt_study_fit *out)
{
    const gsl_multifit_nlinear_type *T = gsl_multifit_nlinear_trust;
    gsl_multifit_nlinear_parameters prm = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w = gsl_multifit_nlinear_alloc(T, &prm, D->n, 2);
    gsl_matrix *cov = gsl_matrix_alloc(2, 2);
    if (!w || !cov) {
        gsl_multifit_nlinear_free(w);
        gsl_matrix_free(cov);
        return MMT_ENOMEM;
    }
    gsl_multifit_nlinear_fdf fdf = {.f = fit_f, .df = fit_df, .n = D->n, .p = 2, .params = D};
    double p0[2] = {a0, b0};
    gsl_vector_view pv = gsl_vector_view_array(p0, 2);
    int info, st = gsl_multifit_nlinear_init(&pv.vector, &fdf, w);
    if (st == GSL_SUCCESS)
        st = gsl_multifit_nlinear_driver(200, 1e-12, 1e-12, 1e-12, NULL, NULL, &info, w);
    /* GSL_EMAXITER still leaves the best point found; accept it if finite. */
    gsl_vector *x = gsl_multifit_nlinear_position(w);
    double a = gsl_vector_get(x, 0), b = gsl_vector_get(x, 1), rss;
    gsl_blas_ddot(gsl_multifit_nlinear_residual(w), gsl_multifit_nlinear_residual(w), &rss);
    gsl_multifit_nlinear_covar(gsl_multifit_nlinear_jac(w), 0.0, cov);
    double dof = (double)D->n - 2, s2 = dof > 0 ? rss / dof : 0;
    out->alpha = a;
    out->beta = b / lscale;
    out->se_alpha = sqrt(s2 * gsl_matrix_get(cov, 0, 0));
    out->se_beta = sqrt(s2 * gsl_matrix_get(cov, 1, 1)) / lscale;
    out->rss = rss;
    gsl_multifit_nlinear_free(w);
    gsl_matrix_free(cov);
    if ((st != GSL_SUCCESS && st != GSL_EMAXITER) || !isfinite(a) || !isfinite(b))
        return MMT_ERANGE;
    return 0;
}

int mmt_study_fit_run(const double *l, const double *f, size_t n, mmt_study_fit *out)
{
    memset(out, 0, sizeof *out);
    if (n < 2)
        return MMT_EINVAL;
    double lscale = 0, mean = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(f[i] > 0 && f[i] <= 1) || !(l[i] > 0) || !isfinite(l[i]))
            return MMT_EINVAL;
        lscale = l[i] > lscale ? l[i] : lscale;
        mean += f[i] / (double)n;
    }
    double *x = malloc(n * sizeof *x);
    if (!x)
        return MMT_ENOMEM;
    for (size_t i = 0; i < n; i++)
        x[i] = l[i] / lscale;
    fitdata D = {x, f, n};
    double a0, b0;
    linear_start(&D, &a0, &b0);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int r = solve(&D, a0, b0, lscale, out);
    gsl_set_error_handler(old);
    free(x);
    double sst = 0;
    for (size_t i = 0; i < n; i++)
        sst += (f[i] - mean) * (f[i] - mean);
    out->n = n;
    out->r2 = sst > 0 ? 1.0 - out->rss / sst : (out->rss == 0 ? 1.0 : NAN);
    return r;
}

double mmt_study_fit_eval(const mmt_study_fit *fit, double l)
{
    return 1.0 / (1.0 + fit->alpha + fit->beta * l);
}
