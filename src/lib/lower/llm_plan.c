/*
 * llm_plan.c - mmtrace-gen --model: every model lowered at every length into a named block
 * (mmt_llm_plan), checked before anything is written, then each block's topology and manifest
 * written (mmt_llm_plan_write). File names: OUTDIR/<model>_<phase>_l<seq>[_b<b>][_gated]
 * [_heads][_perhead].csv and the same with .parts.csv.
 */
#include "internal.h"

#include <stdio.h>

void mmt_llm_plan_free(mmt_llm_job *jobs, size_t n)
{
    for (size_t i = 0; jobs && i < n; i++) {
        mmt_llm_block_free(jobs[i].b);
        free(jobs[i].base);
    }
    free(jobs);
}

/* Lowers model m at length seq into j (nothing written). */
static int lower_one(const char *outdir, const mmt_llm_model *m, int64_t seq,
                     const mmt_llm_opts *base, int model_ffn, mmt_llm_job *j, mmt_diag *d,
                     mmt_warn_fn warn, void *ud)
{
    mmt_llm_opts o = *base;
    o.seq = seq;
    if (model_ffn)
        o.ffn = m->ffn;
    int r = mmt_llm_lower(m, &o, &j->b, d, warn, ud);
    if (r)
        return r;
    char bsuf[32] = "";
    if (o.batch > 1)
        snprintf(bsuf, sizeof bsuf, "_b%" PRId64, o.batch);
    j->base = mmt__xfmt("%s/%s_%s_l%" PRId64 "%s%s%s%s", outdir, m->name,
                        o.phase == MMT_LLM_PREFILL ? "prefill" : "decode", seq, bsuf,
                        o.ffn == MMT_LLM_FFN_GATED ? "_gated" : "", o.expand_heads ? "_heads" : "",
                        o.attention == MMT_LLM_ATTN_PER_HEAD ? "_perhead" : "");
    return j->base ? 0 : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
}

int mmt_llm_plan(const char *outdir, const mmt_llm_model *models, size_t nmodels,
                 const int64_t *seqs, size_t nseqs, const mmt_llm_opts *o, int model_ffn,
                 mmt_llm_job **out, mmt_diag *d, mmt_warn_fn warn, void *ud)
{
    size_t n = 0;
    mmt_llm_job *jobs = calloc(nmodels * nseqs + 1, sizeof *jobs);
    int r = jobs ? 0 : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; r == 0 && i < nmodels; i++)
        for (size_t k = 0; r == 0 && k < nseqs; k++, n++) {
            r = lower_one(outdir, &models[i], seqs[k], o, model_ffn, &jobs[n], d, warn, ud);
            for (size_t e = 0; r == 0 && e < n; e++)
                if (!strcmp(jobs[e].base, jobs[n].base))
                    r = mmt__diag(d, MMT_EINVAL, "", 0,
                                  "%s.csv: two requests write this file (the same model or "
                                  "name twice); nothing written",
                                  jobs[n].base);
        }
    if (r) {
        mmt_llm_plan_free(jobs, n + 1);
        return r;
    }
    *out = jobs;
    return 0;
}

int mmt_llm_plan_write(const mmt_llm_job *j, char **topo, char **manifest, mmt_diag *d)
{
    *topo = mmt__xfmt("%s.csv", j->base);
    *manifest = mmt__xfmt("%s.parts.csv", j->base);
    int r = *topo && *manifest ? 0 : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    if (r == 0)
        r = mmt_llm_write_topology(*topo, j->b, d);
    if (r == 0)
        r = mmt_llm_write_manifest(*manifest, j->b, d);
    return r;
}
