/*
 * options.c - the study's command line as a program recorded it (mmt_study_optlist): every
 * option in order, by its long name, which the plans pass on; each given once unless it adds;
 * the checks across the options of the plan and the cache; and the note on workloads past
 * their model's trained context. A program routes options here and prints the diagnostics.
 */
#include "study_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Options the study takes more than once: each adds (the others are a usage error when given
 * twice, so no value silently replaces another). */
static const char *const repeatable[] = {"model", "hf-config", "sbatch"};

void mmt_study_optlist_add(mmt_study_optlist *l, const char *name, const char *value)
{
    if (l->n == MMT_STUDY_MAX_OPTS)
        l->overflow = 1;
    else
        l->opt[l->n++] = (mmt_study_opt){name, value};
}

/* 1 if option name adds when given again. */
static int adds(const char *name)
{
    for (size_t k = 0; k < sizeof repeatable / sizeof *repeatable; k++)
        if (!strcmp(name, repeatable[k]))
            return 1;
    return 0;
}

int mmt_study_optlist_check(const mmt_study_optlist *l, mmt_diag *d)
{
    if (l->overflow)
        return mmt__diag(d, MMT_EINVAL, "", 0, "more than %d options", MMT_STUDY_MAX_OPTS);
    for (size_t i = 0; i < l->n; i++)
        for (size_t j = 0; !adds(l->opt[i].name) && j < i; j++)
            if (!strcmp(l->opt[i].name, l->opt[j].name))
                return mmt__diag(d, MMT_EINVAL, "", 0,
                                 "--%s: given twice; give it once (a comma list where it takes "
                                 "one)",
                                 l->opt[i].name);
    return 0;
}

int mmt_study_plan_check(const char *plan, unsigned nshards, int nocache,
                         const mmt_study_slurm *slurm, mmt_diag *d)
{
    if (plan && strcmp(plan, "parallel") && strcmp(plan, "slurm"))
        return mmt__diag(d, MMT_EINVAL, "", 0, "--plan: expected parallel or slurm, got '%s'",
                         plan);
    if ((nshards || plan) && nocache)
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "--shard and --plan need the layer cache (not --no-cache)");
    if (nshards && plan)
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "--plan writes the commands of every shard: give it without --shard");
    if (slurm->given[0] && (!plan || strcmp(plan, "slurm")))
        return mmt__diag(d, MMT_EINVAL, "", 0, "%s: an option of --plan=slurm", slurm->given);
    return 0;
}

/* Appends model M's lengths past its context to b; shown and more count the lengths named and
 * those left out past the first ten. */
static void past_model(mmt__buf *b, const mmt_study_spec *sp, const mmt_llm_model *M, size_t *shown,
                       size_t *more)
{
    int first = 1;
    for (size_t q = 0; M->max_ctx > 0 && q < sp->nseqs; q++) {
        if (sp->seqs[q] <= M->max_ctx)
            continue;
        if (*shown == 10) {
            ++*more;
            continue;
        }
        if (first)
            mmt__buf_printf(b, "%s%s at ", *shown ? "; " : ": ", M->name);
        mmt__buf_printf(b, "%s%" PRId64, first ? "" : ", ", sp->seqs[q]);
        first = 0, ++*shown;
    }
}

int mmt_study_past_context_note(const mmt_study_spec *sp, size_t count, char **out)
{
    mmt__buf b = {0};
    size_t shown = 0, more = 0;
    mmt__buf_printf(&b,
                    "note: %zu workloads exceed the model's trained context (simulated "
                    "anyway)",
                    count);
    for (size_t m = 0; m < sp->nmodels; m++)
        past_model(&b, sp, &sp->models[m], &shown, &more);
    if (more)
        mmt__buf_printf(&b, "; and %zu more", more);
    return mmt__st_take(&b, out, NULL);
}
