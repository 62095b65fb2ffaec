/*
 * weights.c - the study's weight-width and MatMul-free-array axes (issue 12 items 2 and 3):
 * the variants each hardware point is simulated under, and the time view of a point.
 *
 * A variant changes only how layers are simulated, never the lowering:
 *   - variant 0: the hardware as given (8-bit operands unless its cfg has [precision]): the
 *     paper's tables, and results.csv without --weights;
 *   - one variant per width w asked for, and 8 bits always: the MatMul-free projections run with
 *     FilterBits = w (their weights shrink in SRAM and on the DRAM interface); the attention
 *     heads keep 8-bit operands (their "weights" are the KV cache), so their layers are the
 *     8-bit ones and the cache key makes them the same jobs;
 *   - the CALC twin: the hardware as given with InterfaceBandwidth CALC, whose Total Cycles
 *     share is the paper's f_compute for this array;
 *   - with --mmf-array=RxC, one variant per width with the projections on an R x C array of
 *     its own (same SRAMs and bandwidth) and the attention heads on the main array.
 * Variants differ in the cfg their layers run on, so the layer cache key (array, bandwidth
 * mode, widths) keeps them apart; variants that give a layer the same cfg (8 bits and variant
 * 0 for a plain cfg, the CALC twin of a CALC hardware point) give it the same key, so nothing
 * is simulated twice.
 */
#include "study_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mmt__st_bits_str(int32_t milli, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%d.%03d", (int)(milli / 1000), (int)(milli % 1000));
    if (n <= 0 || (size_t)n >= cap)
        return;
    char *e = buf + n - 1;
    while (*e == '0')
        *e-- = '\0';
    if (*e == '.')
        *e = '\0';
}

/* Index of the variant {fbits, 0, mmf} in S->var, appending it if new. */
static size_t var_of(st *S, int32_t fbits, int mmf)
{
    for (size_t v = 0; v < S->nvar; v++)
        if (S->var[v].fbits == fbits && !S->var[v].calc && S->var[v].mmf == mmf)
            return v;
    S->var[S->nvar] = (st_var){.fbits = fbits, .mmf = mmf};
    return S->nvar++;
}

int mmt__st_make_vars(st *S, mmt_diag *d)
{
    const mmt_study_spec *sp = S->sp;
    static const int32_t eight = MMT_BITS_DEFAULT;
    const int32_t *wk = sp->nweights ? sp->weights : &eight;
    S->nwk = sp->nweights ? sp->nweights : 1;
    S->var = calloc(2 * S->nwk + 4, sizeof *S->var);
    S->wvar = calloc(S->nwk, sizeof *S->wvar);
    S->mvar = calloc(S->nwk, sizeof *S->mvar);
    if (!S->var || !S->wvar || !S->mvar)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    for (size_t k = 0; k < S->nwk; k++)
        if (wk[k] < MMT_BITS_MIN || wk[k] > MMT_BITS_MAX)
            return mmt__diag(d, MMT_ERANGE, "", 0, "weight width %.3f bits: must be 1 to 32",
                             wk[k] / 1000.0);
    var_of(S, 0, 0); /* variant 0: the cfg's own widths */
    S->v8 = var_of(S, MMT_BITS_DEFAULT, 0);
    for (size_t k = 0; k < S->nwk; k++)
        S->wvar[k] = sp->nweights ? var_of(S, wk[k], 0) : 0;
    S->vcalc = S->nvar;
    S->var[S->nvar++] = (st_var){.fbits = 0, .calc = 1};
    for (size_t k = 0; sp->mmf_rows > 0 && k < S->nwk; k++)
        S->mvar[k] = var_of(S, sp->nweights ? wk[k] : 0, 1);
    return 0;
}

void mmt__st_job_cfg(const st *S, size_t h, size_t v, mmt_llm_part part, mmt_config *c)
{
    const st_var *V = &S->var[v];
    *c = S->hw[h].cfg;
    if (V->calc) { /* the paper's f_compute: SCALE-Sim's CALC mode, whatever the memory */
        c->user_bw = 0, c->bandwidth = 0;
        c->has_memory = 0, c->mem_policy = MMT_MEM_SCALESIM, c->dram_path[0] = '\0';
    }
    if (part != MMT_PART_MMFREE)
        return; /* attention heads: the cfg's operands (8-bit) on the main array */
    if (V->fbits && V->fbits != mmt_precision_bits(c, MMT_OP_FILTER)) {
        c->has_precision = 1;
        c->bits_milli[MMT_OP_FILTER] = V->fbits;
    }
    if (V->mmf)
        c->array_h = S->sp->mmf_rows, c->array_w = S->sp->mmf_cols;
}

int32_t mmt__st_var_bits(const st *S, size_t h, size_t v)
{
    int32_t b = S->var[v].fbits;
    return b ? b : mmt_precision_bits(&S->hw[h].cfg, MMT_OP_FILTER);
}

size_t mmt__st_vi(const st *S, size_t h, size_t v, size_t w)
{
    return (h * S->nvar + v) * S->nwl + w;
}

/* acc += a * b, checked. */
static int acc_mul(int64_t *acc, int64_t a, int64_t b)
{
    int64_t p;
    return mmt__mul(a, b, &p) || mmt__add(*acc, p, acc) ? MMT_EOVERFLOW : 0;
}

/* Adds layer l's bounds (doc/memory.md), wm times, to t; notes a time below its bound. */
static int add_bounds(const mmt_config *c, const mmt_llm_layer *l, const mmt_layer_result *r,
                      const mmt_layer_bytes *lb, int64_t wm, st_time *t)
{
    mmt_layer ml;
    mmt_geom g;
    mmt_layer_bounds b;
    mmt_llm_layer_to_mmt(l, &ml);
    if (mmt_geom_init(&g, &ml, c, NULL) || mmt_sim_bounds(c, &g, &b))
        return MMT_EOVERFLOW;
    if (r->total_cycles < b.bound_cycles) {
        if (c->mem_policy == MMT_MEM_STREAM)
            return MMT_EINVAL; /* the stream policy never beats its bound (sim_stream.c) */
        t->below = 1;
    }
    const int64_t v[3] = {b.compute_cycles, b.bytes_cycles, b.bound_cycles};
    for (int i = 0; i < 3; i++)
        if (acc_mul(&t->bound[i], wm, v[i]))
            return MMT_EOVERFLOW;
    mmt_memory_char ch; /* DRAM energy: the stream policy's bytes at the .ini's pJ per byte */
    if (c->mem_policy == MMT_MEM_STREAM && c->dram_path[0]) {
        int e = mmt_memory_characterise(c->dram_path, &ch, NULL);
        if (e)
            return e;
        t->energy_pj += (double)wm * ((double)(lb->dram[0] + lb->dram[1]) * ch.read_pj_per_byte +
                                      (double)lb->dram[2] * ch.write_pj_per_byte);
        t->has_energy = 1;
    }
    return 0;
}

/* The time view of workload w at hardware point h under variant v. */
static int time_of(const st *S, size_t h, size_t v, size_t w, st_time *t)
{
    const st_wl *W = &S->wl[w];
    const mmt_llm_block *b = W->b;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < b->n; i++) {
        const mmt_llm_layer *l = &b->layers[i];
        const mmt_layer_result *r = &S->jobs[W->job_of[(h * S->nvar + v) * b->n + i]].res;
        mmt_config c;
        mmt_layer_bytes lb;
        mmt__st_job_cfg(S, h, v, l->part, &c);
        int p = l->part == MMT_PART_MMFREE ? 0 : 1;
        int64_t wt = mmt_llm_row_weight(l), sram = 0, dram = 0;
        /* a row of a uniform block runs in every decoder layer; a mixed block's row weight
         * already counts the layers it is in (mmt_llm_row_weight) */
        int64_t nl = l->layers > 0 ? 1 : S->sp->models[W->model].layers, wm;
        if (mmt_precision_layer_bytes(&c, r, &lb) || mmt__mul(wt, nl, &wm))
            return MMT_EOVERFLOW;
        for (int op = 0; op < 3; op++)
            if (mmt__add(sram, lb.sram[op], &sram) || mmt__add(dram, lb.dram[op], &dram))
                return MMT_EOVERFLOW;
        if (acc_mul(&t->cycles[p], wt, r->total_cycles) || acc_mul(&t->sram_bytes[p], wt, sram) ||
            acc_mul(&t->dram_bytes[p], wt, dram) || acc_mul(&t->model_cycles, wm, r->total_cycles))
            return MMT_EOVERFLOW;
        int e = S->memcols ? add_bounds(&c, l, r, &lb, wm, t) : 0;
        if (e)
            return e;
    }
    return 0;
}

int mmt__st_times(st *S, mmt_diag *d)
{
    size_t n = S->nhw * S->nvar * S->nwl;
    S->frv = calloc(n + 1, sizeof *S->frv);
    S->tm = calloc(n + 1, sizeof *S->tm);
    if (!S->frv || !S->tm)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t v = 0; v < S->nvar; v++)
            for (size_t w = 0; w < S->nwl; w++) {
                const mmt_llm_block *b = S->wl[w].b;
                mmt_layer_result *res = mmt__st_results(S, h, v, w);
                if (!res)
                    return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
                size_t x = mmt__st_vi(S, h, v, w);
                int r = mmt_study_fractions_compute(b, res, &S->frv[x]);
                free(res);
                if (r == 0)
                    r = time_of(S, h, v, w, &S->tm[x]);
                if (r == MMT_EINVAL)
                    return mmt__diag(d, r, S->hw[h].cfg.run_name, 0,
                                     "%s: a stream-policy time below its bound (a bug)",
                                     S->sp->models[S->wl[w].model].name);
                if (r)
                    return mmt__diag(d, r, S->hw[h].cfg.run_name, 0, "%s: totals overflow 64 bits",
                                     S->sp->models[S->wl[w].model].name);
            }
    return 0;
}

double mmt__st_f_time(const st_time *t)
{
    double all = (double)t->cycles[0] + (double)t->cycles[1];
    return all > 0 ? (double)t->cycles[0] / all : NAN;
}

const char *mmt__st_weight_head(const st *S)
{
    return S->sp->mmf_rows > 0
               ? ",weight_bits,f_compute_calc,f_time,cycles_time_projections,"
                 "cycles_time_attention,sram_bytes_projections,sram_bytes_attention,"
                 "dram_bytes_projections,dram_bytes_attention,model_cycles,speedup_vs_8bit,"
                 "S100_projections_time,mmf_array,mmf_cycles_projections,mmf_model_cycles,"
                 "mmf_speedup,amdahl_pe_ratio"
               : ",weight_bits,f_compute_calc,f_time,cycles_time_projections,"
                 "cycles_time_attention,sram_bytes_projections,sram_bytes_attention,"
                 "dram_bytes_projections,dram_bytes_attention,model_cycles,speedup_vs_8bit,"
                 "S100_projections_time";
}

/* a / b as a double; NaN when b is 0. */
static double ratio(int64_t a, int64_t b)
{
    return b ? (double)a / (double)b : NAN;
}

void mmt__st_weight_cols(const st *S, size_t h, size_t k, size_t w, char *buf, size_t cap)
{
    const st_time *t = &S->tm[mmt__st_vi(S, h, S->wvar[k], w)];
    const st_time *t8 = &S->tm[mmt__st_vi(S, h, S->v8, w)];
    const mmt_study_fractions *fc = &S->frv[mmt__st_vi(S, h, S->vcalc, w)];
    char bits[24];
    double ft = mmt__st_f_time(t);
    mmt__st_bits_str(mmt__st_var_bits(S, h, S->wvar[k]), bits, sizeof bits);
    int n = snprintf(buf, cap,
                     ",%s,%.6f,%.6f,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                     ",%" PRId64 ",%" PRId64 ",%.6f,%.4f",
                     bits, fc->f_compute, ft, t->cycles[0], t->cycles[1], t->sram_bytes[0],
                     t->sram_bytes[1], t->dram_bytes[0], t->dram_bytes[1], t->model_cycles,
                     ratio(t8->cycles[0] + t8->cycles[1], t->cycles[0] + t->cycles[1]),
                     mmt_study_amdahl(ft, 100));
    if (S->sp->mmf_rows <= 0 || n < 0 || (size_t)n >= cap)
        return;
    /* the 1-bit accelerator: projections on the MatMul-free array at this width, attention
     * on the main array; against the main array at 8 bits. Beside it, what Amdahl's law
     * predicts from the paper's f_compute with s = the ratio of PE counts. */
    const st_time *m = &S->tm[mmt__st_vi(S, h, S->mvar[k], w)];
    const mmt_config *c = &S->hw[h].cfg;
    double pe = (double)S->sp->mmf_rows * (double)S->sp->mmf_cols /
                ((double)c->array_h * (double)c->array_w);
    snprintf(buf + n, cap - (size_t)n, ",%" PRId64 "x%" PRId64 ",%" PRId64 ",%" PRId64 ",%.4f,%.4f",
             S->sp->mmf_rows, S->sp->mmf_cols, m->cycles[0], m->model_cycles,
             ratio(t8->cycles[0] + t8->cycles[1], m->cycles[0] + m->cycles[1]),
             mmt_study_amdahl(fc->f_compute, pe));
}

const char *mmt__st_memory_head(void)
{
    return ",memory,compute_bound_cycles,bytes_bound_cycles,bound_cycles,below_bound,"
           "s_per_token,tokens_per_s,dram_energy_pj_per_token";
}

void mmt__st_memory_cols(const st *S, size_t h, size_t k, size_t w, char *buf, size_t cap)
{
    const st_time *t = &S->tm[mmt__st_vi(S, h, S->wvar[k], w)];
    const mmt_config *c = &S->hw[h].cfg;
    int n = snprintf(buf, cap, ",%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%d",
                     mmt_memory_name(c->mem_policy), t->bound[0], t->bound[1], t->bound[2],
                     t->below);
    if (n < 0 || (size_t)n >= cap)
        return;
    int k2 = 0;
    if (c->clock_mhz > 0 && t->model_cycles > 0) { /* the whole model's decode step */
        double s = (double)t->model_cycles / (c->clock_mhz * 1e6);
        k2 = snprintf(buf + n, cap - (size_t)n, ",%.6g,%.6g", s, 1 / s);
    } else
        k2 = snprintf(buf + n, cap - (size_t)n, ",,");
    if (k2 < 0 || (size_t)(n + k2) >= cap)
        return;
    snprintf(buf + n + k2, cap - (size_t)(n + k2), t->has_energy ? ",%.6g" : ",", t->energy_pj);
}
