/*
 * args.c - the study's axes from option values (mmt_study_args): each axis option's comma
 * list parsed into arrays the args own, the defaults of the axes not given, and the checks
 * across options. A program only routes option values here and prints the diagnostics:
 * MMT_EINVAL is a usage error (d->message is the whole line after "PROG: "); any other code
 * is a bad input file (d names it, with its line).
 */
#include "study_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXN 256 /* values per axis */

struct mmt_study_args {
    mmt_study_spec sp; /* points at the arrays below */
    mmt_config hw[MAXN];
    mmt_dataflow df[3];
    mmt_llm_model models[MAXN];
    int64_t seqs[MAXN], batches[MAXN];
    mmt_llm_phase phases[2];
    int ffns[2];
    int32_t weights[MAXN]; /* thousandths of a bit */
    int memories[2];       /* --memory: MMT_MEM_* */
    char *dram;            /* --dram, copied */
    char *traces;          /* --traces, copied */
    int models_given;      /* --model or --hf-config seen: no default "all" */
    unsigned given;        /* bit i: once[i] set (a second time is refused) */
    mmt_scalesim version;  /* of the last call: the default hardware's */
};

int mmt_study_args_new(mmt_study_args **out)
{
    mmt_study_args *a = calloc(1, sizeof *a);
    *out = a;
    if (!a)
        return MMT_ENOMEM;
    a->sp = (mmt_study_spec){.hw = a->hw,
                             .dataflows = a->df,
                             .models = a->models,
                             .seqs = a->seqs,
                             .phases = a->phases,
                             .batches = a->batches,
                             .ffns = a->ffns,
                             .weights = a->weights,
                             .memories = a->memories,
                             .jobs = 2};
    a->ffns[0] = -1, a->sp.nffns = 1;
    return 0;
}

void mmt_study_args_free(mmt_study_args *a)
{
    if (a)
        free(a->traces), free(a->dram);
    free(a);
}

mmt_study_spec *mmt_study_args_spec(mmt_study_args *a)
{
    return &a->sp;
}

/* Index of s among the n names, or -1. */
static int pick(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

/* A usage error from a parser's message: "OPT: message" (the message copied first, as
 * mmt__diag writes over it). */
static int relabel(mmt_diag *d, const char *opt)
{
    char m[sizeof d->message];
    memcpy(m, d->message, sizeof m);
    return mmt__diag(d, MMT_EINVAL, "", 0, "%s: %s", opt, m);
}

/* A file reader's failure is bad input, never bad usage: MMT_EINVAL becomes MMT_EPARSE. */
static int bad_file(int e)
{
    return e == MMT_EINVAL ? MMT_EPARSE : e;
}

/* One --hw item: a preset, or a .cfg read as version v and named after its file. */
static int hw_item(mmt_study_args *a, size_t i, const char *t, mmt_scalesim v, mmt_warn_fn warn,
                   void *ud, mmt_diag *d)
{
    mmt_config *c = &a->hw[i];
    if (mmt_study_hw(t, c) == 0) {
        c->version = v; /* the presets are CALC: v3 changes their reports */
        return 0;
    }
    if (access(t, R_OK) != 0)
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "--hw: '%s' is not cloud, edge or a readable .cfg file", t);
    int e = mmt_config_read_version(t, v, c, d, warn, ud);
    if (e)
        return bad_file(e);
    /* doc/study.md: the study sets the widths itself (--weights for the projections, 8-bit
     * attention heads and CALC twin); a cfg's own widths would change both. */
    for (int op = 0; op < 3; op++)
        if (mmt_precision_bits(c, (mmt_operand)op) != MMT_BITS_DEFAULT)
            return mmt__diag(d, MMT_EPARSE, t, 0,
                             "[precision] sets operand widths, which the study sets itself "
                             "(--weights for the projections; the attention heads stay 8-bit): "
                             "remove the section and give --weights");
    const char *b = strrchr(t, '/'), *x;
    b = b ? b + 1 : t;
    x = strrchr(b, '.');
    snprintf(c->run_name, sizeof c->run_name, "%.*s",
             x && !strcmp(x, ".cfg") ? (int)(x - b) : (int)strlen(b), b);
    c->version = v;
    return 0;
}

/* One --model item: a preset or "all" (every preset of the study), appended. */
static int model_item(mmt_study_args *a, const char *t, mmt_diag *d)
{
    mmt_study_spec *sp = &a->sp;
    if (!strcmp(t, "all")) {
        for (size_t j = 0; j < mmt_llm_preset_count() && sp->nmodels < MAXN; j++)
            a->models[sp->nmodels++] = *mmt_llm_preset_at(j);
        return 0;
    }
    if (sp->nmodels == MAXN || mmt_llm_preset(t, &a->models[sp->nmodels++]))
        return mmt__diag(d, MMT_EINVAL, "", 0, "--model: unknown model '%s'", t);
    return 0;
}

/* One item of --dataflow, --phase or --ffn (axis 'd', 'p', 'f') at index i. */
static int name_item(mmt_study_args *a, int axis, const char *opt, size_t i, const char *t,
                     mmt_diag *d)
{
    static const char *const dfs[] = {"os", "ws", "is"}, *const ph[] = {"decode", "prefill"},
                             *const ff[] = {"plain", "gated"};
    int k = pick(t, axis == 'd' ? dfs : axis == 'p' ? ph : ff, axis == 'd' ? 3 : 2);
    if (k < 0)
        return mmt__diag(d, MMT_EINVAL, "", 0, "%s: unknown value '%s'", opt, t);
    if (axis == 'd')
        a->df[i] = (mmt_dataflow)k;
    else if (axis == 'p')
        a->phases[i] = (mmt_llm_phase)k;
    else
        a->ffns[i] = k;
    return 0;
}

/* A comma list of names: --hw, --dataflow, --model, --phase or --ffn. */
static int name_list(mmt_study_args *a, const char *opt, const char *arg, mmt_scalesim v,
                     mmt_warn_fn warn, void *ud, mmt_diag *d)
{
    mmt_study_spec *sp = &a->sp;
    mmt_list l = {0};
    int axis = opt[2], r = mmt_list_parse(arg, MAXN, &l, d);
    if (r != 0)
        return relabel(d, opt);
    for (size_t i = 0; r == 0 && i < l.n; i++)
        r = axis == 'h'   ? hw_item(a, i, l.item[i], v, warn, ud, d)
            : axis == 'm' ? model_item(a, l.item[i], d)
                          : name_item(a, axis, opt, i, l.item[i], d);
    size_t *n = axis == 'h'   ? &sp->nhw
                : axis == 'd' ? &sp->ndataflows
                : axis == 'p' ? &sp->nphases
                : axis == 'f' ? &sp->nffns
                              : NULL;
    if (n)
        *n = l.n;
    if (r == 0 && axis == 'd' && l.n > 3)
        r = mmt__diag(d, MMT_EINVAL, "", 0, "--dataflow: at most os,ws,is");
    mmt_list_free(&l);
    return r;
}

/* --weights=8,2,1.58: projection weight widths, each once. */
static int weights(mmt_study_args *a, const char *arg, mmt_diag *d)
{
    mmt_list l = {0};
    if (mmt_list_parse(arg, MAXN, &l, d) != 0)
        return relabel(d, "--weights");
    int r = 0;
    for (size_t i = 0; r == 0 && i < l.n; i++) {
        if (mmt_precision_parse_bits(l.item[i], strlen(l.item[i]), &a->weights[i]))
            r = mmt__diag(d, MMT_EINVAL, "", 0,
                          "--weights: '%s' is not a width from 1 to 32 bits (at most three "
                          "decimals)",
                          l.item[i]);
        for (size_t j = 0; r == 0 && j < i; j++)
            if (a->weights[j] == a->weights[i])
                r = mmt__diag(d, MMT_EINVAL, "", 0, "--weights: '%s' appears twice", l.item[i]);
    }
    a->sp.nweights = r ? 0 : l.n;
    mmt_list_free(&l);
    return r;
}

/* --memory=scalesim,stream: the memory policies, each once. */
static int memories(mmt_study_args *a, const char *arg, mmt_diag *d)
{
    mmt_list l = {0};
    if (mmt_list_parse(arg, 2, &l, d) != 0)
        return relabel(d, "--memory");
    int r = 0;
    for (size_t i = 0; r == 0 && i < l.n; i++) {
        if (mmt_memory_parse(l.item[i], &a->memories[i]))
            r = mmt__diag(d, MMT_EINVAL, "", 0, "--memory: expected scalesim or stream, got '%s'",
                          l.item[i]);
        else if (i == 1 && a->memories[0] == a->memories[1])
            r = mmt__diag(d, MMT_EINVAL, "", 0, "--memory: '%s' appears twice", l.item[i]);
    }
    a->sp.nmemories = r ? 0 : l.n;
    mmt_list_free(&l);
    return r;
}

/* --mmf-array=RxC: the MatMul-free array's rows and columns. */
static int mmf_array(mmt_study_args *a, const char *arg, mmt_diag *d)
{
    long long rr, cc;
    char sep[2];
    int n = -1;
    if (strspn(arg, "0123456789xX") != strlen(arg) ||
        sscanf(arg, "%lld%1[xX]%lld%n", &rr, sep, &cc, &n) != 3 || n != (int)strlen(arg) ||
        rr < 1 || cc < 1 || rr > MMT_MAX_ARRAY_DIM || cc > MMT_MAX_ARRAY_DIM)
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "--mmf-array: expected RxC with 1 <= R, C <= %lld, got '%s'",
                         (long long)MMT_MAX_ARRAY_DIM, arg);
    a->sp.mmf_rows = rr, a->sp.mmf_cols = cc;
    return 0;
}

/* A decimal of digits only (no sign, no space: sscanf's %u took " +1" and wrapped
 * 4294967297 to 1) of at most 4 digits; *end past it. -1 if none. */
static long small_decimal(const char *s, const char **end)
{
    size_t n = strspn(s, "0123456789");
    long v = 0;
    for (size_t i = 0; i < n && n <= 4; i++)
        v = v * 10 + (s[i] - '0');
    *end = s + n;
    return n == 0 || n > 4 ? -1 : v;
}

/* --shard=I/N: share I of N. */
static int shard(mmt_study_args *a, const char *arg, mmt_diag *d)
{
    const char *e;
    long si = small_decimal(arg, &e), sn = *e == '/' ? small_decimal(e + 1, &e) : -1;
    if (si < 1 || sn < 1 || *e || si > sn || sn > 4096)
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "--shard: expected I/N with 1 <= I <= N <= 4096, got '%s'", arg);
    a->sp.shard = (unsigned)si, a->sp.nshards = (unsigned)sn;
    return 0;
}

/* --hf-config=PATH: one more model from a HuggingFace config.json. */
static int hf_config(mmt_study_args *a, const char *arg, mmt_diag *d)
{
    mmt_study_spec *sp = &a->sp;
    if (sp->nmodels == MAXN)
        return mmt__diag(d, MMT_ERANGE, "", 0, "too many models");
    int e = mmt_llm_config_read(arg, &a->models[sp->nmodels++], d);
    return e ? bad_file(e) : 0;
}

/* --seq or --batch: distinct integers. */
static int ints(mmt_study_args *a, const char *opt, const char *arg, mmt_diag *d)
{
    int seq = !strcmp(opt, "--seq");
    if (mmt_list_i64(arg, 1, seq ? 1L << 30 : 65536, MAXN, seq ? a->seqs : a->batches,
                     seq ? &a->sp.nseqs : &a->sp.nbatches, d) != 0)
        return relabel(d, opt);
    return 0;
}

int mmt_study_args_set(mmt_study_args *a, const char *option, const char *value,
                       mmt_scalesim version, mmt_warn_fn warn, void *ud, mmt_diag *d)
{
    static const char *const names[] = {"--hw", "--dataflow", "--model", "--phase", "--ffn"};
    /* Options that set a whole axis: a second one would silently replace the first, while
     * --model and --hf-config add, so it is refused. */
    static const char *const once[] = {"--hw",    "--dataflow", "--phase",   "--ffn",
                                       "--seq",   "--batch",    "--weights", "--mmf-array",
                                       "--shard", "--traces"};
    int k = pick(option, once, (int)(sizeof once / sizeof *once));
    if (k >= 0 && (a->given >> k & 1))
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "%s: given twice; give one comma list (only --model and --hf-config "
                         "add)",
                         option);
    if (k >= 0)
        a->given |= 1u << k;
    a->version = version;
    if (pick(option, names, 5) >= 0) {
        a->models_given |= !strcmp(option, "--model");
        return name_list(a, option, value, version, warn, ud, d);
    }
    if (!strcmp(option, "--seq") || !strcmp(option, "--batch"))
        return ints(a, option, value, d);
    if (!strcmp(option, "--hf-config"))
        return a->models_given = 1, hf_config(a, value, d);
    if (!strcmp(option, "--weights"))
        return weights(a, value, d);
    if (!strcmp(option, "--mmf-array"))
        return mmf_array(a, value, d);
    if (!strcmp(option, "--memory"))
        return memories(a, value, d);
    if (!strcmp(option, "--clock")) {
        char *end;
        double v = strtod(value, &end);
        if (!*value || *end || !(v > 0) || v > 1e6)
            return mmt__diag(d, MMT_EINVAL, "", 0,
                             "--clock: expected a clock in MHz above 0, got '%s'", value);
        a->sp.clock_mhz = v;
        return 0;
    }
    if (!strcmp(option, "--dram")) {
        free(a->dram);
        a->sp.dram = a->dram = strdup(value);
        return a->dram ? 0 : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    if (!strcmp(option, "--shard"))
        return shard(a, value, d);
    if (strcmp(option, "--traces"))
        return mmt__diag(d, MMT_EINVAL, "", 0, "%s: not an axis option of the study", option);
    free(a->traces);
    a->sp.traces = a->traces = strdup(value);
    return a->traces ? 0 : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
}

/* --traces names only models of the study (or all). */
static int check_traces(const mmt_study_args *a, mmt_diag *d)
{
    mmt_list l;
    if (!a->traces)
        return 0;
    if (mmt_list_parse(a->traces, MAXN, &l, d) != 0)
        return relabel(d, "--traces");
    int r = 0;
    for (size_t i = 0; r == 0 && i < l.n; i++) {
        size_t k = 0;
        while (k < a->sp.nmodels && strcmp(a->models[k].name, l.item[i]))
            k++;
        if (k == a->sp.nmodels && strcmp(l.item[i], "all"))
            r = mmt__diag(d, MMT_EINVAL, "", 0, "--traces: '%s' is not one of the models studied",
                          l.item[i]);
    }
    mmt_list_free(&l);
    return r;
}

/* Sets the axes never given to their defaults. */
static int defaults(mmt_study_args *a, mmt_diag *d)
{
    const mmt_study_spec *sp = &a->sp;
    const mmt_scalesim v = a->version;
    int r = 0;
    if (!sp->nhw)
        r = mmt_study_args_set(a, "--hw", "cloud,edge", v, NULL, NULL, d);
    if (!r && !a->models_given)
        r = mmt_study_args_set(a, "--model", "all", v, NULL, NULL, d);
    if (!r && !sp->nseqs)
        r = mmt_study_args_set(a, "--seq", "128,256,512,1024,2048,4096", v, NULL, NULL, d);
    if (!r && !sp->nphases)
        r = mmt_study_args_set(a, "--phase", "decode", v, NULL, NULL, d);
    if (!r && !sp->nbatches)
        r = mmt_study_args_set(a, "--batch", "1", v, NULL, NULL, d);
    return r;
}

/* What the hardware points cannot model: operand widths or a second array under SCALE-Sim
 * v3 (it has one word size; v3 cfgs with [precision] are refused the same way), and a width
 * at which a USER point's filter DRAM bandwidth moves less than one weight per cycle. */
static int check_widths(const mmt_study_args *a, mmt_diag *d)
{
    const mmt_study_spec *sp = &a->sp;
    for (size_t h = 0; h < sp->nhw; h++) {
        const mmt_config *c = &a->hw[h];
        for (size_t k = 0; c->version == MMT_SCALESIM_V3 && k < sp->nweights; k++)
            if (a->weights[k] != MMT_BITS_DEFAULT)
                return mmt__diag(d, MMT_EINVAL, "", 0,
                                 "--weights: widths other than 8 are not modelled with "
                                 "--scalesim=v3 (SCALE-Sim v3 has one word size); use "
                                 "--scalesim=v2");
        if (c->version == MMT_SCALESIM_V3 && sp->mmf_rows)
            return mmt__diag(d, MMT_EINVAL, "", 0,
                             "--mmf-array is not modelled with --scalesim=v3; use --scalesim=v2");
        for (size_t k = 0; c->user_bw && k < sp->nweights; k++) {
            int64_t n;
            int64_t bytes =
                c->version == MMT_SCALESIM_V3 ? c->bank_bw[MMT_OP_FILTER] : c->bandwidth;
            char w[16];
            mmt__st_bits_str(a->weights[k], w, sizeof w);
            if (mmt_precision_bw(bytes, a->weights[k], &n) != 0)
                return mmt__diag(d, MMT_EINVAL, "", 0,
                                 "--weights=%s: hardware point '%s' moves %" PRId64
                                 " bytes per cycle on its filter DRAM interface, less than one "
                                 "%s-bit weight; give widths of at most %" PRId64
                                 " bits or a larger Bandwidth",
                                 w, c->run_name, bytes, w, bytes * 8 < 32 ? bytes * 8 : 32);
        }
    }
    return 0;
}

int mmt_study_args_check(mmt_study_args *a, mmt_diag *d)
{
    const mmt_study_spec *sp = &a->sp;
    int r = defaults(a, d);
    if (r || (r = check_widths(a, d)))
        return r;
    for (size_t i = 0; i < sp->nmodels; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(a->models[i].name, a->models[j].name))
                return mmt__diag(d, MMT_EINVAL, "", 0, "--model: '%s' appears twice",
                                 a->models[i].name);
    for (size_t i = 0; i < sp->nhw; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(a->hw[i].run_name, a->hw[j].run_name))
                return mmt__diag(d, MMT_EINVAL, "", 0, "--hw: two configurations named '%s'",
                                 a->hw[i].run_name);
    return check_traces(a, d);
}
