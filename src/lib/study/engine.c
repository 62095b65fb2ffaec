/*
 * engine.c - the study engine: expands the cross product of the spec's axes into points,
 * lowers each workload once, de-duplicates the (hardware, GEMM shape) pairs, takes what the
 * layer cache holds, simulates the rest on the thread pool (largest first; with shards, a
 * deterministic cost-balanced share), and writes results.csv, fractions.csv, amdahl.csv,
 * fits.csv, fit_predictions.csv, the topologies, the hardware cfgs and the figures.
 *
 * The paper's study (default axes: each cfg's dataflow, decode, batch 1, each model's FFN)
 * writes exactly the tables it always has; any other axis value adds the columns dataflow,
 * phase, batch and ffn after hw.
 */
#include "study_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const double mmt__st_extrap[3] = {8192, 16384, 32768};

int mmt__st_mkdirs(const char *path, mmt_diag *d)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return mmt__diag(d, MMT_EINVAL, path, 0, "path too long");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            int r = mmt__mkdir(p, d);
            if (r != 0)
                return r;
            if (!(*s = c))
                break;
        }
    }
    return 0;
}

/* Name of a phase in tables and file names. */
static const char *phase_name(mmt_llm_phase p)
{
    return p == MMT_LLM_PREFILL ? "prefill" : "decode";
}

/* Workload index of (model, phase, batch, ffn, seq). */
static size_t wl_index(const mmt_study_spec *sp, size_t m, size_t p, size_t b, size_t f, size_t q)
{
    return (((m * sp->nphases + p) * sp->nbatches + b) * sp->nffns + f) * sp->nseqs + q;
}

void mmt__st_group_label(const st *S, size_t h, size_t w, char *buf, size_t cap)
{
    const mmt_study_spec *sp = S->sp;
    const st_wl *W = &S->wl[w];
    int n = snprintf(buf, cap, "%s", S->hw[h].cfg.run_name);
    if (S->extra && n >= 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, "_%s_b%" PRId64 "_%s", phase_name(sp->phases[W->phase]),
                 sp->batches[W->batch], W->ffn_used == MMT_LLM_FFN_GATED ? "gated" : "plain");
}

/* Puts hardware point H under memory policy m of the --memory axis (doc/memory.md): its label
 * gets "_<policy>"; SCALE-Sim's policy drops the stream policy's Dram. */
static int set_memory(st_hw *H, int m, mmt_diag *d)
{
    char name[sizeof H->cfg.run_name];
    if (m == MMT_MEM_SCALESIM)
        H->cfg.dram_path[0] = '\0';
    if (mmt_config_set_memory(&H->cfg, m, NULL, 0, d) != 0) {
        char msg[sizeof d->message];
        memcpy(msg, d->message, sizeof msg);
        return mmt__diag(d, MMT_EINVAL, "", 0, "--memory=%s on '%s': %s", mmt_memory_name(m),
                         H->cfg.run_name, msg);
    }
    snprintf(name, sizeof name, "%.200s_%s", H->cfg.run_name, mmt_memory_name(m));
    memcpy(H->cfg.run_name, name, sizeof name);
    return 0;
}

/* Puts --dram (on a point under the stream policy) and --clock (on every point) on H. */
static int set_dram(st_hw *H, const mmt_study_spec *sp, mmt_diag *d)
{
    int stream = H->cfg.mem_policy == MMT_MEM_STREAM;
    if (mmt_config_set_memory(&H->cfg, -1, stream ? sp->dram : NULL, sp->clock_mhz, d) == 0)
        return 0;
    char msg[sizeof d->message];
    memcpy(msg, d->message, sizeof msg);
    return mmt__diag(d, MMT_EINVAL, "", 0, "--dram/--clock on '%s': %s", H->cfg.run_name, msg);
}

/* Hardware points: every cfg with each dataflow and memory policy asked for (or its own). */
static int make_hw(st *S, mmt_diag *d)
{
    const mmt_study_spec *sp = S->sp;
    size_t ndf = sp->ndataflows ? sp->ndataflows : 1, nm = sp->nmemories ? sp->nmemories : 1;
    S->nhw = sp->nhw * ndf * nm;
    S->hw = calloc(S->nhw, sizeof *S->hw);
    if (!S->hw)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    S->memcols = sp->nmemories > 0;
    for (size_t i = 0; i < sp->nhw; i++)
        for (size_t k = 0; k < ndf; k++)
            for (size_t m = 0; m < nm; m++) {
                size_t x = (i * ndf + k) * nm + m;
                st_hw *H = &S->hw[x];
                H->cfg = sp->hw[i], H->base = i;
                S->memcols |= H->cfg.has_memory;
                if (sp->ndataflows) {
                    H->cfg.dataflow = sp->dataflows[k];
                    snprintf(H->cfg.run_name, sizeof H->cfg.run_name, "%.200s_%s",
                             sp->hw[i].run_name, mmt_dataflow_name(sp->dataflows[k]));
                }
                int r = sp->nmemories ? set_memory(H, sp->memories[m], d) : 0;
                if (r == 0 && (sp->dram || sp->clock_mhz > 0))
                    r = set_dram(H, sp, d);
                mmt_memory_char ch; /* a bad .ini is refused before anything runs */
                if (r == 0 && H->cfg.mem_policy == MMT_MEM_STREAM && H->cfg.dram_path[0])
                    r = mmt_memory_characterise(H->cfg.dram_path, &ch, d);
                if (r)
                    return r;
                for (size_t j = 0; j < x; j++)
                    if (!strcmp(S->hw[j].cfg.run_name, H->cfg.run_name))
                        return mmt__diag(d, MMT_EINVAL, "", 0, "two hardware points named '%s'",
                                         H->cfg.run_name);
            }
    return 0;
}

/* Counts a warning (a length past the model's trained context): part of the study. */
static void count_warning(void *ud, const mmt_diag *d)
{
    (void)d;
    ++*(size_t *)ud;
}

/* Topology base path of workload w (the names mmtrace-gen --model writes). */
static void topo_base(const st *S, const st_wl *W, char *buf, size_t cap)
{
    const mmt_study_spec *sp = S->sp;
    char bsuf[32] = "";
    if (sp->batches[W->batch] > 1)
        snprintf(bsuf, sizeof bsuf, "_b%" PRId64, sp->batches[W->batch]);
    char sm[MMT__SAFE_CAP];
    snprintf(buf, cap, "%s/topologies/%s_%s_l%" PRId64 "%s%s", sp->outdir,
             mmt__st_safe(sp->models[W->model].name, sm), phase_name(sp->phases[W->phase]),
             sp->seqs[W->seq], bsuf, W->ffn_used == MMT_LLM_FFN_GATED ? "_gated" : "");
}

/* Lowers every workload; writes its topology and manifest unless sharding. */
static int lower_all(st *S, mmt_diag *d)
{
    const mmt_study_spec *sp = S->sp;
    S->nwl = sp->nmodels * sp->nphases * sp->nbatches * sp->nffns * sp->nseqs;
    S->wl = calloc(S->nwl, sizeof *S->wl);
    if (!S->wl)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/topologies", sp->outdir);
    int rd = sp->nshards ? 0 : mmt__st_mkdirs(dir, d);
    if (rd)
        return rd;
    for (size_t m = 0; m < sp->nmodels; m++)
        for (size_t p = 0; p < sp->nphases; p++)
            for (size_t b = 0; b < sp->nbatches; b++)
                for (size_t f = 0; f < sp->nffns; f++)
                    for (size_t q = 0; q < sp->nseqs; q++) {
                        st_wl *W = &S->wl[wl_index(sp, m, p, b, f, q)];
                        *W = (st_wl){.model = m, .phase = p, .batch = b, .ffn = f, .seq = q};
                        W->ffn_used =
                            sp->ffns[f] < 0 ? sp->models[m].ffn : (mmt_llm_ffn)sp->ffns[f];
                        mmt_llm_opts o = {.phase = sp->phases[p],
                                          .seq = sp->seqs[q],
                                          .batch = sp->batches[b],
                                          .ffn = W->ffn_used}; /* attention: grouped */
                        int r = mmt_llm_lower(&sp->models[m], &o, &W->b, d, count_warning,
                                              &S->sum->past_ctx);
                        if (r)
                            return r;
                        S->sum->layers += W->b->n * S->nhw * S->nwk;
                        if (sp->nshards)
                            continue;
                        char base[4096], path[4200];
                        topo_base(S, W, base, sizeof base);
                        snprintf(path, sizeof path, "%s.csv", base);
                        if ((r = mmt_llm_write_topology(path, W->b, d)) != 0)
                            return r;
                        snprintf(path, sizeof path, "%s.parts.csv", base);
                        if ((r = mmt_llm_write_manifest(path, W->b, d)) != 0)
                            return r;
                    }
    return 0;
}

/* Geometry of a GEMM on a cfg. */
static int gemm_geom(int64_t M, int64_t N, int64_t K, const mmt_config *cfg, mmt_geom *g,
                     mmt_diag *d)
{
    mmt_llm_layer l = {.M = M, .N = N, .K = K};
    mmt_layer ml;
    snprintf(l.name, sizeof l.name, "gemm");
    mmt_llm_layer_to_mmt(&l, &ml);
    return mmt_geom_init(g, &ml, cfg, d);
}

/* A pending job before de-duplication. */
typedef struct pend {
    char key[512];
    size_t wl, hw, var, layer;
} pend;

static int by_key(const void *a, const void *b)
{
    return strcmp(((const pend *)a)->key, ((const pend *)b)->key);
}

/* Where job_of keeps layer i of workload W at hw point h under variant v. */
static size_t slot(const st *S, const st_wl *W, size_t h, size_t v, size_t i)
{
    return (h * S->nvar + v) * W->b->n + i;
}

mmt_layer_result *mmt__st_results(const st *S, size_t h, size_t v, size_t w)
{
    const st_wl *W = &S->wl[w];
    mmt_layer_result *res = calloc(W->b->n + 1, sizeof *res);
    for (size_t i = 0; res && i < W->b->n; i++)
        res[i] = S->jobs[W->job_of[slot(S, W, h, v, i)]].res;
    return res;
}

/* One job per distinct key over every hw point, variant and layer; each workload maps its
 * layers. */
static int make_jobs(st *S, mmt_diag *d)
{
    size_t n = 0, k = 0;
    for (size_t w = 0; w < S->nwl; w++) {
        n += S->wl[w].b->n * S->nhw * S->nvar;
        if (!(S->wl[w].job_of = calloc(S->wl[w].b->n * S->nhw * S->nvar + 1, sizeof(size_t))))
            return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    pend *P = calloc(n + 1, sizeof *P);
    S->jobs = calloc(n + 1, sizeof *S->jobs);
    if (!P || !S->jobs) {
        free(P);
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    for (size_t w = 0; w < S->nwl; w++)
        for (size_t h = 0; h < S->nhw; h++)
            for (size_t v = 0; v < S->nvar; v++)
                for (size_t i = 0; i < S->wl[w].b->n; i++, k++) {
                    const mmt_llm_layer *l = &S->wl[w].b->layers[i];
                    mmt_config c;
                    mmt__st_job_cfg(S, h, v, l->part, &c);
                    P[k] = (pend){.wl = w, .hw = h, .var = v, .layer = i};
                    mmt_study_cache_key(&c, l->M, l->N, l->K, P[k].key, sizeof P[k].key);
                }
    qsort(P, n, sizeof *P, by_key);
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        if (i == 0 || strcmp(P[i].key, P[i - 1].key)) {
            st_job *J = &S->jobs[S->njobs++];
            const mmt_llm_layer *l = &S->wl[P[i].wl].b->layers[P[i].layer];
            mmt_geom g;
            mmt_config c;
            J->M = l->M, J->N = l->N, J->K = l->K, J->hw = P[i].hw, J->var = P[i].var;
            J->part = l->part;
            memcpy(J->key, P[i].key, sizeof J->key);
            mmt__st_job_cfg(S, J->hw, J->var, J->part, &c);
            if ((r = gemm_geom(J->M, J->N, J->K, &c, &g, d)) != 0)
                break;
            J->cost = (double)g.rows * (double)g.C;
            /* progress only: the fold engine's time goes with the folds (about 10 us each,
             * measured: 16.7 M folds of a GEMM 1x2^30x64 took 160 s), a demand row costs
             * about 2 ns beside that (one fold of 10^9 rows took 2 s) */
            J->work = 5000.0 * (double)g.folds + (double)g.rows;
        }
        const st_wl *W = &S->wl[P[i].wl];
        W->job_of[slot(S, W, P[i].hw, P[i].var, P[i].layer)] = S->njobs - 1;
    }
    free(P);
    S->sum->distinct = S->njobs;
    return r;
}

/* Takes job J from the cache: 1, 0 (absent) or -1 (corrupt or inconsistent with its key). */
static int cache_get(const st *S, st_job *J)
{
    mmt_config c;
    mmt_geom g;
    mmt__st_job_cfg(S, J->hw, J->var, J->part, &c);
    if (gemm_geom(J->M, J->N, J->K, &c, &g, NULL) != 0)
        return -1; /* (make_jobs has built it once already) */
    return mmt_study_cache_get(S->sp->cache_dir, J->key, &c, &g, &J->res);
}

static const st *sort_ctx;

/* Largest first; ties by key, so the order (and the shards) are deterministic. */
static int by_cost(const void *a, const void *b)
{
    const st_job *x = &sort_ctx->jobs[*(const size_t *)a], *y = &sort_ctx->jobs[*(const size_t *)b];
    return x->cost < y->cost ? 1 : x->cost > y->cost ? -1 : strcmp(x->key, y->key);
}

/* Picks this run's jobs: all, or this shard's (greedy cost balance over the shards); takes
 * what the cache holds. */
static int pick_jobs(st *S, mmt_diag *d)
{
    const mmt_study_spec *sp = S->sp;
    size_t *order = calloc(S->njobs + 1, sizeof *order);
    double *load = calloc(sp->nshards + 1, sizeof *load);
    S->todo = calloc(S->njobs + 1, sizeof *S->todo);
    if (!order || !load || !S->todo) {
        free(order);
        free(load);
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    for (size_t i = 0; i < S->njobs; i++)
        order[i] = i;
    sort_ctx = S;
    qsort(order, S->njobs, sizeof *order, by_cost);
    for (size_t i = 0; i < S->njobs; i++) {
        st_job *J = &S->jobs[order[i]];
        if (sp->nshards) {
            unsigned best = 0;
            for (unsigned s = 1; s < sp->nshards; s++)
                best = load[s] < load[best] ? s : best;
            load[best] += J->cost;
            if (best + 1 != sp->shard)
                continue;
        }
        int got = sp->cache_dir ? cache_get(S, J) : 0;
        S->sum->corrupt += got < 0;
        S->sum->cached += got > 0;
        if (got > 0)
            J->have = 1;
        else
            S->todo[S->ntodo++] = order[i];
    }
    free(order);
    free(load);
    return 0;
}

/* Stores job J in the cache. A cache that cannot be written (read-only, full, an entry path
 * that is a directory) does not lose the study: caching stops for the rest of the run and
 * the first reason is kept for the summary. A shard, whose only output is the cache, fails. */
static int cache_put(st *S, const st_job *J, mmt_diag *d)
{
    mmt_diag why = {0};
    int r = mmt_study_cache_put(S->sp->cache_dir, J->key, &J->res, &why);
    if (r == 0 || S->sp->nshards)
        return r ? (*d = why, r) : 0;
    if (!atomic_exchange(&S->cache_off, 1))
        S->sum->cache_why = why; /* only the first failing thread gets here */
    return 0;
}

/* Pool job: simulates one distinct layer and stores it in the cache. */
static int sim_job(void *ud, size_t i)
{
    st *S = ud;
    st_job *J = &S->jobs[S->todo[i]];
    mmt_config c;
    const mmt_config *cfg = &c;
    mmt__st_job_cfg(S, J->hw, J->var, J->part, &c);
    mmt_geom g;
    mmt_diag d = {0};
    mmt_sim_opts so = {.gzip_level = 1, .engine = (mmt_engine)S->sp->engine};
    int r = gemm_geom(J->M, J->N, J->K, cfg, &g, &d);
    if (r == 0 && (r = mmt_sim_run(cfg, &g, &so, &J->res)) != 0)
        mmt__diag(&d, r, "", 0, "%s", mmt_strerror(r));
    if (r == 0 && S->sp->cache_dir && !atomic_load(&S->cache_off))
        r = cache_put(S, J, &d);
    if (r == 0) {
        J->have = 1;
        atomic_fetch_add(&S->work_done, J->units);
        return 0;
    }
    if (!atomic_flag_test_and_set(&S->errlock)) {
        S->err = d;
        if (!S->err.file[0])
            snprintf(S->err.file, sizeof S->err.file, "%.300s: GEMM %" PRId64 "x%" PRId64 "x%" PRId64,
                     cfg->run_name, J->M, J->N, J->K);
    }
    return r;
}

/* Fractions of every point. */
static int fractions_all(st *S, mmt_diag *d)
{
    S->fr = calloc(S->nhw * S->nwl + 1, sizeof *S->fr);
    if (!S->fr)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t w = 0; w < S->nwl; w++) {
            const mmt_llm_block *b = S->wl[w].b;
            mmt_layer_result *res = mmt__st_results(S, h, 0, w);
            if (!res)
                return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
            int r = mmt_study_fractions_compute(b, res, &S->fr[h * S->nwl + w]);
            free(res);
            if (r)
                return mmt__diag(d, r, S->hw[h].cfg.run_name, 0, "%s: totals overflow 64 bits",
                                 S->sp->models[S->wl[w].model].name);
        }
    return 0;
}

/* f_compute is always the paper's no-stall share: on a USER hardware point that of its CALC
 * twin (8 bits), not the point's own stall-inclusive share (that is f_time, weights.c). On a
 * CALC point the twin is the point itself, so nothing changes. The other fractions and the
 * per-part sums stay the point's own. */
static void paper_f_compute(st *S)
{
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t w = 0; w < S->nwl; w++)
            S->fr[h * S->nwl + w].f_compute = S->frv[mmt__st_vi(S, h, S->vcalc, w)].f_compute;
}

/* Fits f_compute (k = 0) and f_memory (k = 1) against l per hw point and workload group. */
static int fit_all(st *S, mmt_diag *d)
{
    size_t ns = S->sp->nseqs, ng = S->nwl / ns;
    S->fit = calloc(S->nhw * ng * 2 + 1, sizeof *S->fit);
    S->fit_ok = calloc(S->nhw * ng * 2 + 1, sizeof *S->fit_ok);
    double *l = calloc(ns, sizeof *l), *f = calloc(ns, sizeof *f);
    int r =
        !S->fit || !S->fit_ok || !l || !f ? mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory") : 0;
    for (size_t h = 0; r == 0 && h < S->nhw; h++)
        for (size_t g = 0; g < ng; g++)
            for (int k = 0; k < 2; k++) {
                for (size_t q = 0; q < ns; q++) {
                    const mmt_study_fractions *F = &S->fr[h * S->nwl + g * ns + q];
                    l[q] = (double)S->sp->seqs[q], f[q] = k ? F->f_memory : F->f_compute;
                }
                size_t i = (h * ng + g) * 2 + k;
                S->fit_ok[i] = mmt_study_fit_run(l, f, ns, &S->fit[i]) == 0;
            }
    free(l);
    free(f);
    return r;
}

/* A table being written: text kept in memory, written atomically at the end. */
typedef mmt__buf tbl;
#define put(...) mmt__buf_printf(__VA_ARGS__)

/* Writes t to outdir/name and frees it. */
static int tbl_write(const st *S, tbl *t, const char *name, mmt_diag *d)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", S->sp->outdir, name);
    return mmt__buf_write(t, path, d);
}

/* The leading key columns of a point: hw[,dataflow,model,phase,batch,ffn] or hw,model. */
static void key_cols(tbl *t, const st *S, size_t h, size_t w)
{
    const mmt_study_spec *sp = S->sp;
    const st_wl *W = &S->wl[w];
    /* names are fields: quoted by libcsv's writer where RFC 4180 needs it (names.c) */
    if (!S->extra) {
        mmt__csv_put(t, S->hw[h].cfg.run_name);
        put(t, ",");
        mmt__csv_put(t, sp->models[W->model].name);
        return;
    }
    mmt__csv_put(t, sp->hw[S->hw[h].base].run_name);
    put(t, ",%s,", mmt_dataflow_name(S->hw[h].cfg.dataflow));
    mmt__csv_put(t, sp->models[W->model].name);
    put(t, ",%s,%" PRId64 ",%s", phase_name(sp->phases[W->phase]), sp->batches[W->batch],
        W->ffn_used == MMT_LLM_FFN_GATED ? "gated" : "plain");
}

/* Header of the key columns. */
static const char *key_head(const st *S, int all)
{
    return S->extra || all ? "hw,dataflow,model,phase,batch,ffn" : "hw,model";
}

/* results.csv (all axis columns always) or fractions.csv (the paper's columns). */
static int write_points(const st *S, int results, mmt_diag *d)
{
    tbl t = {0};
    int save = ((st *)S)->extra;
    if (results)
        ((st *)S)->extra = 1;
    put(&t,
        "%s,seq,f_compute,f_memory,f_dram,"
        "cycles_projections,cycles_attention,stalls_projections,stalls_attention,"
        "sram_projections,sram_attention,dram_projections,dram_attention,"
        "S100_projections,S100_attention%s%s\n",
        key_head(S, results), results ? mmt__st_weight_head(S) : "",
        results && S->memcols ? mmt__st_memory_head() : "");
    /* results.csv: one row per weight width (columns of weights.c); fractions.csv: 8 bits */
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t w = 0; w < S->nwl; w++)
            for (size_t k = 0; k < (results ? S->nwk : 1); k++) {
                mmt_study_fractions fk =
                    results ? S->frv[mmt__st_vi(S, h, S->wvar[k], w)] : S->fr[h * S->nwl + w];
                const mmt_study_fractions *f = &fk;
                fk.f_compute = S->fr[h * S->nwl + w].f_compute; /* the paper's (paper_f_compute) */
                char wc[1024] = "", mc[512] = "";
                if (results)
                    mmt__st_weight_cols(S, h, k, w, wc, sizeof wc);
                if (results && S->memcols)
                    mmt__st_memory_cols(S, h, k, w, mc, sizeof mc);
                key_cols(&t, S, h, w);
                put(&t,
                    ",%" PRId64 ",%.6f,%.6f,%.6f,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                    ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%.4f,%.4f%s%s\n",
                    S->sp->seqs[S->wl[w].seq], f->f_compute, f->f_memory, f->f_dram, f->cycles[0],
                    f->cycles[1], f->stalls[0], f->stalls[1], f->sram[0], f->sram[1], f->dram[0],
                    f->dram[1], mmt_study_amdahl(f->f_compute, 100),
                    mmt_study_amdahl(1 - f->f_compute, 100), wc, mc);
            }
    ((st *)S)->extra = save;
    return tbl_write(S, &t, results ? "results.csv" : "fractions.csv", d);
}

/* amdahl.csv: S(s) for s = 1..100, improving the projections (f) or the attention (1-f). */
static int write_amdahl(const st *S, mmt_diag *d)
{
    tbl t = {0};
    put(&t, "%s,seq,f_compute,s,S_projections,S_attention\n", key_head(S, 0));
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t w = 0; w < S->nwl; w++) {
            double f = S->fr[h * S->nwl + w].f_compute;
            for (int s = 1; s <= ST_SMAX; s++) {
                key_cols(&t, S, h, w);
                put(&t, ",%" PRId64 ",%.6f,%d,%.6f,%.6f\n", S->sp->seqs[S->wl[w].seq], f, s,
                    mmt_study_amdahl(f, s), mmt_study_amdahl(1 - f, s));
            }
        }
    return tbl_write(S, &t, "amdahl.csv", d);
}

/* One fits.csv row and its fit_predictions.csv rows. */
static void fit_rows(const st *S, tbl *o, tbl *p, size_t h, size_t g, int k)
{
    static const char *const metric[2] = {"f_compute", "f_memory"};
    size_t ns = S->sp->nseqs, i = (h * (S->nwl / ns) + g) * 2 + k;
    const mmt_study_fit *F = &S->fit[i];
    key_cols(o, S, h, g * ns);
    if (!S->fit_ok[i]) {
        put(o, ",%s,1/(1+alpha+beta*l),nan,nan,nan,nan,nan,%zu,nan,nan,nan,nan,nan\n", metric[k],
            ns);
        return;
    }
    double f3 = mmt_study_fit_eval(F, mmt__st_extrap[2]);
    put(o, ",%s,1/(1+alpha+beta*l),%.6e,%.3e,%.6e,%.3e,%.6f,%zu,%.6f,%.6f,%.6f,%.4f,%.4f\n",
        metric[k], F->alpha, F->se_alpha, F->beta, F->se_beta, F->r2, F->n,
        mmt_study_fit_eval(F, mmt__st_extrap[0]), mmt_study_fit_eval(F, mmt__st_extrap[1]), f3,
        mmt_study_amdahl(f3, 100), mmt_study_amdahl(1 - f3, 100));
    for (size_t q = 0; q < ns + ST_NEXTRAP; q++) {
        int sim = q < ns;
        double l = sim ? (double)S->sp->seqs[q] : mmt__st_extrap[q - ns];
        const mmt_study_fractions *fr = sim ? &S->fr[h * S->nwl + g * ns + q] : NULL;
        double ff = mmt_study_fit_eval(F, l);
        key_cols(p, S, h, g * ns);
        put(p, ",%s,%.0f,%d,", metric[k], l, sim);
        if (sim)
            put(p, "%.6f", k ? fr->f_memory : fr->f_compute);
        put(p, ",%.6f,%.4f,%.4f\n", ff, mmt_study_amdahl(ff, 100), mmt_study_amdahl(1 - ff, 100));
    }
}

/* fits.csv (parameters) and fit_predictions.csv (fitted f and S(100) by length). */
static int write_fits(const st *S, mmt_diag *d)
{
    tbl o = {0}, p = {0};
    put(&o,
        "%s,metric,form,alpha,se_alpha,beta,se_beta,r2,n,f_8192,f_16384,"
        "f_32768,S100_projections_32768,S100_attention_32768\n",
        key_head(S, 0));
    put(&p, "%s,metric,seq,simulated,f_sim,f_fit,S100_projections_fit,S100_attention_fit\n",
        key_head(S, 0));
    for (int k = 0; k < 2; k++)
        for (size_t h = 0; h < S->nhw; h++)
            for (size_t g = 0; g < S->nwl / S->sp->nseqs; g++)
                fit_rows(S, &o, &p, h, g, k);
    int r = tbl_write(S, &o, "fits.csv", d);
    int r2 = tbl_write(S, &p, "fit_predictions.csv", r ? NULL : d);
    return r ? r : r2;
}

/* The hw points' .cfg files in outdir/hw (to run SCALE-Sim on the topologies). */
static int write_hw(const st *S, mmt_diag *d)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/hw", S->sp->outdir);
    int r = mmt__st_mkdirs(path, d);
    for (size_t h = 0; r == 0 && h < S->nhw; h++) {
        /* named by the safe form, which is also its run_name (SCALE-Sim makes a directory of
         * it), '%' doubled for configparser's interpolation */
        char sn[MMT__SAFE_CAP];
        mmt_config c = S->hw[h].cfg;
        mmt__st_safe(c.run_name, sn);
        snprintf(path, sizeof path, "%s/hw/%s.cfg", S->sp->outdir, sn);
        size_t k = 0;
        for (const char *p = sn; *p && k + 2 < sizeof c.run_name; p++)
            if ((c.run_name[k++] = *p) == '%')
                c.run_name[k++] = '%';
        c.run_name[k] = '\0';
        r = mmt_config_write(path, &c, d);
    }
    return r;
}

/* 1 if name is in the comma list (or the list holds "all"). */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if ((k == n && !strncmp(p, name, n)) || (k == 3 && !strncmp(p, "all", 3)))
            return 1;
        p += k + (e != NULL);
    }
    return 0;
}

/* Simulates workload w on hw point h again with all six traces per layer; writes reports. */
static int keep_traces(const st *S, size_t h, size_t w, mmt_diag *d)
{
    static const char *const tn[6] = {"IFMAP_SRAM_TRACE", "FILTER_SRAM_TRACE", "OFMAP_SRAM_TRACE",
                                      "IFMAP_DRAM_TRACE", "FILTER_DRAM_TRACE", "OFMAP_DRAM_TRACE"};
    const mmt_llm_block *b = S->wl[w].b;
    char base[4096], dir[4300], p[6][4400];
    mmt_layer_result *res = calloc(b->n + 1, sizeof *res);
    if (!res)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    topo_base(S, &S->wl[w], base, sizeof base);
    const char *name = strrchr(base, '/') + 1;
    int r = 0;
    for (size_t i = 0; r == 0 && i < b->n; i++) {
        char sh[MMT__SAFE_CAP];
        snprintf(dir, sizeof dir, "%s/traces/%s/%s/layer%zu", S->sp->outdir,
                 mmt__st_safe(S->hw[h].cfg.run_name, sh), name, i);
        if ((r = mmt__st_mkdirs(dir, d)) != 0)
            break;
        mmt_diag sd = {0}; /* a trace that cannot be written: its path and the reason */
        mmt_sim_opts so = {.gzip_level = 1, .diag = &sd};
        for (int k = 0; k < 6; k++)
            snprintf(p[k], sizeof p[k], "%s/%s.csv.gz", dir, tn[k]);
        for (int op = 0; op < 3; op++)
            so.sram_trace_path[op] = p[op], so.dram_trace_path[op] = p[3 + op];
        for (int k = 0; k < 6 && r == 0; k++) /* written now, not by the batch */
            if (mmt__outdir_note(S->out, p[k]) != 0)
                r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
        mmt_geom g;
        const mmt_llm_layer *l = &b->layers[i];
        r = gemm_geom(l->M, l->N, l->K, &S->hw[h].cfg, &g, d);
        if (r == 0 && (r = mmt_sim_run(&S->hw[h].cfg, &g, &so, &res[i])) != 0) {
            if (!sd.message[0])
                mmt__diag(&sd, r, dir, 0, "%s", mmt_strerror(r));
            if (d)
                *d = sd;
        }
    }
    if (r == 0) {
        *strrchr(dir, '/') = '\0';
        r = mmt_report_write_version(dir, res, b->n, S->hw[h].cfg.version, d);
    }
    static const mmt_output reps[] = {MMT_OUT_COMPUTE_REPORT, MMT_OUT_BANDWIDTH_REPORT,
                                      MMT_OUT_DETAILED_REPORT};
    for (size_t k = 0; r == 0 && k < sizeof reps / sizeof *reps; k++) {
        snprintf(p[0], sizeof p[0], "%s/%s", dir, mmt_output_name(reps[k]));
        if (mmt__outdir_note(S->out, p[0]) != 0)
            r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    free(res);
    return r;
}

/* Checks the spec before anything is done. */
static int check_spec(const mmt_study_spec *sp, mmt_diag *d)
{
    if (!sp->outdir || !sp->nhw || !sp->nmodels || !sp->nseqs || !sp->nphases || !sp->nbatches ||
        !sp->nffns)
        return mmt__diag(d, MMT_EINVAL, "", 0, "every axis needs at least one value");
    if (sp->nshards && (sp->shard < 1 || sp->shard > sp->nshards || !sp->cache_dir))
        return mmt__diag(d, MMT_EINVAL, "", 0, "a shard needs 1 <= I <= N and a cache");
    int r = sp->cache_dir ? mmt_study_cache_check_dir(sp->cache_dir, d) : 0;
    for (size_t i = 0; r == 0 && i < sp->nhw; i++)
        r = mmt__name_check("hardware point", sp->hw[i].run_name, d);
    for (size_t i = 0; r == 0 && i < sp->nmodels; i++)
        r = mmt__name_check("model", sp->models[i].name, d);
    return r;
}

/* Writes the tables, figures and kept traces. */
static int write_outputs(st *S, mmt_diag *d)
{
    int r = fractions_all(S, d);
    if (r == 0)
        r = mmt__st_times(S, d);
    for (size_t h = 0; r == 0 && S->memcols && h < S->nhw; h++)
        for (size_t w = 0; w < S->nwl; w++)
            for (size_t k = 0; k < S->nwk; k++)
                S->sum->below_bound += S->tm[mmt__st_vi(S, h, S->wvar[k], w)].below;
    if (r == 0)
        paper_f_compute(S);
    if (r == 0)
        r = fit_all(S, d);
    if (r == 0)
        r = write_points(S, 1, d);
    if (r == 0)
        r = write_points(S, 0, d);
    if (r == 0)
        r = write_amdahl(S, d);
    if (r == 0)
        r = write_fits(S, d);
    if (r == 0)
        r = mmt__st_figure_stage(S, d);
    for (size_t h = 0; r == 0 && h < S->nhw; h++)
        for (size_t w = 0; r == 0 && w < S->nwl; w++)
            if (S->sp->traces && in_list(S->sp->traces, S->sp->models[S->wl[w].model].name))
                r = keep_traces(S, h, w, d);
    return r;
}

/* The pool's tick with the share of the work done: the estimated cost of the jobs finished
 * (not the first `done` of them: the largest runs first and may still be running). */
static void work_tick(void *ud, size_t done, size_t total)
{
    st *S = ud;
    double w = (double)atomic_load(&S->work_done) / 1099511627776.0;
    S->sp->progress_work(S->sp->progress_ud, done, total, done >= total ? 1 : w);
}

/* Runs the simulations on the pool, with the caller's progress. */
static int run_jobs(st *S, mmt_diag *d)
{
    const mmt_study_spec *sp = S->sp;
    mmt_pool_tick_fn tick = sp->progress;
    void *ud = sp->progress_ud;
    if (sp->progress_work) {
        for (size_t i = 0; i < S->ntodo; i++) /* at least 1: a tiny layer still takes time */
            S->work_all += 1 + S->jobs[S->todo[i]].work;
        for (size_t i = 0; i < S->ntodo; i++) /* units sum to at most 2^40 */
            S->jobs[S->todo[i]].units =
                (uint64_t)((1 + S->jobs[S->todo[i]].work) / S->work_all * 1099511627776.0);
        tick = work_tick, ud = S;
    }
    int r = mmt_pool_run(S->ntodo, sp->jobs, sim_job, S, tick, ud);
    if (r != 0)
        *d = S->err;
    return r;
}

/* Frees the engine's state: the workloads' blocks, then every array the state owns. */
static void st_free(st *S)
{
    for (size_t w = 0; S->wl && w < S->nwl; w++) {
        mmt_llm_block_free(S->wl[w].b);
        free(S->wl[w].job_of);
    }
    void *const owned[] = {S->wl,     S->hw,  S->jobs, S->todo, S->fr,  S->fit,
                           S->fit_ok, S->var, S->wvar, S->mvar, S->frv, S->tm};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        free(owned[i]);
}

/* Opens the layer cache: creates it and removes killed writers' temporaries. A cache that
 * cannot be created turns caching off (the study runs on, the summary says why), except for a
 * shard, whose only output is the cache. */
static int cache_open(st *S, mmt_diag *d)
{
    const char *dir = S->sp->cache_dir;
    mmt_diag why = {0};
    if (!dir)
        return 0;
    int r = mmt__st_mkdirs(dir, &why);
    if (r == 0) {
        mmt_study_cache_clean(dir);
        return 0;
    }
    if (S->sp->nshards) {
        *d = why;
        return r;
    }
    atomic_store(&S->cache_off, 1);
    S->sum->cache_why = why;
    return 0;
}

int mmt_study_run(const mmt_study_spec *sp, mmt_study_summary *sum, mmt_diag *d)
{
    st S = {.sp = sp, .sum = sum};
    mmt__outdir out = {.lock_fd = -1};
    atomic_init(&S.failed, 0);
    atomic_init(&S.cache_off, 0);
    atomic_init(&S.work_done, 0);
    atomic_flag_clear(&S.errlock);
    memset(sum, 0, sizeof *sum);
    S.extra = sp->ndataflows || sp->nphases != 1 || sp->phases[0] != MMT_LLM_DECODE ||
              sp->nbatches != 1 || sp->batches[0] != 1 || sp->nffns != 1 || sp->ffns[0] >= 0;
    mmt__wbatch *batch = NULL; /* every output file, made durable and renamed together */
    int r = check_spec(sp, d);
    if (r == 0 && !sp->nshards)
        r = mmt__st_mkdirs(sp->outdir, d);
    if (r == 0 && !sp->nshards && (r = mmt__outdir_open(&out, sp->outdir, d)) == 0)
        S.out = &out; /* locked, marked incomplete */
    if (r == 0 && !sp->nshards && (r = mmt__wbatch_begin(&batch)) != 0)
        mmt__diag(d, r, sp->outdir, 0, "%s", mmt_strerror(r));
    if (r == 0)
        r = cache_open(&S, d);
    if (r == 0)
        r = make_hw(&S, d);
    if (r == 0)
        r = mmt__st_make_vars(&S, d);
    if (r == 0 && !sp->nshards)
        r = write_hw(&S, d);
    if (r == 0)
        r = lower_all(&S, d);
    if (r == 0)
        r = make_jobs(&S, d);
    if (r == 0)
        r = pick_jobs(&S, d);
    if (r == 0)
        r = run_jobs(&S, d);
    sum->simulated = r == 0 ? S.ntodo : 0;
    sum->points = S.nhw * S.nwl * S.nwk;
    sum->cache_off = atomic_load(&S.cache_off);
    if (r == 0 && !sp->nshards)
        r = write_outputs(&S, d);
    if (r == 0 && S.out)
        r = mmt__outdir_commit(S.out, batch, d); /* commits the batch */
    else if (r == 0)
        r = mmt__wbatch_commit(batch, d);
    else
        mmt__wbatch_abort(batch);
    if (r != 0 && S.out)
        mmt__outdir_abort(S.out);
    mmt__outdir_close(&out);
    st_free(&S);
    return r;
}
