/*
 * study_cli.c - mmtrace-replay's study modes, a thin front end over libmmtrace-study
 * (mmtrace_study.h): --fractions=MANIFEST RUNDIR for one run's reports, and --study=DIR for a
 * whole study over the cross product of the axis options. --fractions, the plans and the
 * figure conversion are in study_plan.c.
 */
#include <config.h>

#include "study_cli.h"

#include "cli.h"
#include "mmtrace_study.h"
#include "progress.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXN 256 /* values per axis */

/* The parsed command line. */
typedef struct opts {
    mmt_study_spec sp;
    mmt_config hw[MAXN];
    mmt_dataflow df[3];
    mmt_llm_model models[MAXN];
    int64_t seqs[MAXN], batches[MAXN];
    mmt_llm_phase phases[2];
    int ffns[2];
    char cache[4096];
    const char *plan, *format, *hw_arg;
    long shards;
    mmt_scalesim version;  /* --scalesim: every hardware point is simulated as this version */
    mmt_engine engine;     /* --engine: the fused model's engine */
    int32_t weights[MAXN]; /* --weights, thousandths of a bit */
} opts;

/* ---------------------------------------------------------------- --weights, --mmf-array */

/* Parses --weights=8,2,1.58 (projection weight widths, each once) into o; -1 after a usage
 * message. */
static int weights_opt(opts *o, const char *arg)
{
    mmt_list l = {0};
    mmt_diag d = {0};
    if (mmt_list_parse(arg, MAXN, &l, &d) != 0)
        return cli_error("--weights: %s", d.message), -1;
    int r = 0;
    for (size_t i = 0; r == 0 && i < l.n; i++) {
        int e = mmt_precision_parse_bits(l.item[i], strlen(l.item[i]), &o->weights[i]);
        if (e)
            r = (cli_error("--weights: '%s' is not a width from 1 to 32 bits (at most three "
                           "decimals)",
                           l.item[i]),
                 -1);
        for (size_t j = 0; r == 0 && j < i; j++)
            if (o->weights[j] == o->weights[i])
                r = (cli_error("--weights: '%s' appears twice", l.item[i]), -1);
    }
    o->sp.weights = o->weights, o->sp.nweights = r ? 0 : l.n;
    mmt_list_free(&l);
    return r;
}

/* Parses --mmf-array=RxC (the MatMul-free array's rows and columns); -1 after a usage message. */
static int mmf_opt(opts *o, const char *arg)
{
    long long rr, cc;
    char sep[2];
    int n = -1;
    if (strspn(arg, "0123456789xX") != strlen(arg) ||
        sscanf(arg, "%lld%1[xX]%lld%n", &rr, sep, &cc, &n) != 3 || n != (int)strlen(arg) ||
        rr < 1 || cc < 1 || rr > MMT_MAX_ARRAY_DIM || cc > MMT_MAX_ARRAY_DIM)
        return cli_error("--mmf-array: expected RxC with 1 <= R, C <= %lld, got '%s'",
                         (long long)MMT_MAX_ARRAY_DIM, arg),
               -1;
    o->sp.mmf_rows = rr, o->sp.mmf_cols = cc;
    return 0;
}

/* Parses one axis option's comma list into o; -1 after a usage message. */
static int axis(opts *o, int c, const char *arg)
{
    static const char *const dfs[] = {"os", "ws", "is"}, *const ph[] = {"decode", "prefill"},
                             *const ff[] = {"plain", "gated"};
    mmt_study_spec *sp = &o->sp;
    mmt_diag d = {0};
    mmt_list l = {0};
    const char *opt = c == 'h'   ? "--hw"
                      : c == 'd' ? "--dataflow"
                      : c == 'm' ? "--model"
                      : c == 'p' ? "--phase"
                                 : "--ffn";
    int r = 0;
    if (c == 's' || c == 'b') {
        int64_t *v = c == 's' ? o->seqs : o->batches;
        size_t *n = c == 's' ? &o->sp.nseqs : &o->sp.nbatches;
        r = mmt_list_i64(arg, 1, c == 's' ? 1L << 30 : 65536, MAXN, v, n, &d);
        return r ? (cli_error("%s: %s", c == 's' ? "--seq" : "--batch", d.message), -1) : 0;
    }
    if (mmt_list_parse(arg, MAXN, &l, &d) != 0)
        return cli_error("%s: %s", opt, d.message), -1;
    for (size_t i = 0; r == 0 && i < l.n; i++) {
        const char *t = l.item[i];
        int k = study_pick(t, c == 'd' ? dfs : c == 'p' ? ph : ff, c == 'd' ? 3 : 2);
        if (c == 'h' && mmt_study_hw(t, &o->hw[i]) != 0) {
            if (access(t, R_OK) != 0)
                r = (cli_error("--hw: '%s' is not cloud, edge or a readable .cfg file", t), -1);
            else if (mmt_config_read_version(t, o->version, &o->hw[i], &d, cli_warn, NULL) != 0)
                r = (cli_print_diag(&d, NULL), -2); /* bad input, not bad usage */
            const char *b = cli_basename(t), *e = strrchr(b, '.');
            snprintf(o->hw[i].run_name, sizeof o->hw[i].run_name, "%.*s",
                     e && !strcmp(e, ".cfg") ? (int)(e - b) : (int)strlen(b), b);
        } else if (c == 'm' && !strcmp(t, "all")) {
            for (size_t j = 0; j < mmt_llm_preset_count() && sp->nmodels < MAXN; j++)
                o->models[sp->nmodels++] = *mmt_llm_preset_at(j);
        } else if (c == 'm' &&
                   (sp->nmodels == MAXN || mmt_llm_preset(t, &o->models[sp->nmodels++])))
            r = (cli_error("--model: unknown model '%s'", t), -1);
        else if (c != 'h' && c != 'm' && k < 0)
            r = (cli_error("%s: unknown value '%s'", opt, t), -1);
        else if (c == 'd')
            o->df[i] = (mmt_dataflow)k;
        else if (c == 'p')
            o->phases[i] = (mmt_llm_phase)k;
        else if (c == 'f')
            o->ffns[i] = k;
    }
    size_t *n = c == 'h'   ? &sp->nhw
                : c == 'd' ? &sp->ndataflows
                : c == 'p' ? &sp->nphases
                : c == 'f' ? &sp->nffns
                           : NULL;
    if (n)
        *n = l.n;
    if (r == 0 && c == 'd' && l.n > 3)
        r = (cli_error("--dataflow: at most os,ws,is"), -1);
    mmt_list_free(&l);
    return r;
}

/* Checks what the axes cannot say alone: unique names, --traces against the models. */
static int check(opts *o)
{
    mmt_study_spec *sp = &o->sp;
    for (size_t i = 0; i < sp->nmodels; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(o->models[i].name, o->models[j].name))
                return cli_error("--model: '%s' appears twice", o->models[i].name), -1;
    for (size_t i = 0; i < sp->nhw; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(o->hw[i].run_name, o->hw[j].run_name))
                return cli_error("--hw: two configurations named '%s'", o->hw[i].run_name), -1;
    mmt_list l;
    mmt_diag d = {0};
    if (sp->traces && mmt_list_parse(sp->traces, MAXN, &l, &d) != 0)
        return cli_error("--traces: %s", d.message), -1;
    int r = 0;
    for (size_t i = 0; sp->traces && r == 0 && i < l.n; i++) {
        size_t k = 0;
        for (; k < sp->nmodels && strcmp(o->models[k].name, l.item[i]); k++) {
        }
        if (k == sp->nmodels && strcmp(l.item[i], "all"))
            r = (cli_error("--traces: '%s' is not one of the models studied", l.item[i]), -1);
    }
    if (sp->traces)
        mmt_list_free(&l);
    return r;
}

/* The study's own options, appended to mmtrace-replay's table (study_cli_longopts). -j,
 * --scalesim, --engine, --help and --version are replay's entries, shared by both modes. */
enum {
    O_STUDY = 2000, /* study_cli_option takes the codes 2000..2999 */
    O_FRACTIONS,
    O_HW,
    O_DATAFLOW,
    O_MODEL,
    O_SEQ,
    O_PHASE,
    O_BATCH,
    O_FFN,
    O_HF,
    O_TRACES,
    O_CACHE,
    O_NOCACHE,
    O_SHARD,
    O_PLAN,
    O_SHARDS,
    O_FORMAT,
    O_WEIGHTS,
    O_MMF,
    O_LAST = 2999
};
static const struct option lo[] = {{"study", 1, NULL, O_STUDY},
                                   {"fractions", 1, NULL, O_FRACTIONS},
                                   {"hw", 1, NULL, O_HW},
                                   {"dataflow", 1, NULL, O_DATAFLOW},
                                   {"model", 1, NULL, O_MODEL},
                                   {"hf-config", 1, NULL, O_HF},
                                   {"seq", 1, NULL, O_SEQ},
                                   {"phase", 1, NULL, O_PHASE},
                                   {"batch", 1, NULL, O_BATCH},
                                   {"ffn", 1, NULL, O_FFN},
                                   {"traces", 1, NULL, O_TRACES},
                                   {"cache", 1, NULL, O_CACHE},
                                   {"no-cache", 0, NULL, O_NOCACHE},
                                   {"shard", 1, NULL, O_SHARD},
                                   {"plan", 1, NULL, O_PLAN},
                                   {"shards", 1, NULL, O_SHARDS},
                                   {"format", 1, NULL, O_FORMAT},
                                   {"weights", 1, NULL, O_WEIGHTS},
                                   {"mmf-array", 1, NULL, O_MMF},
                                   {NULL, 0, NULL, 0}};

/* What the one getopt pass of mmtrace-replay saw that decides and configures the study. */
static struct {
    opts o;
    const char *manifest; /* --fractions */
    int study, help;      /* --study seen; --study/--fractions given "--help" */
    int seen_m, nocache;
    char mine[64];  /* the first study-only option, as written ("--hw") */
    char other[64]; /* the first option that only replay takes ("-c", "--config") */
    const char *jobs, *scalesim, *engine; /* shared options, validated by replay's parser */
} cl;

size_t study_cli_longopts(const struct option *replay, struct option *out, size_t cap)
{
    size_t n = 0;
    for (; replay[n].name && n + 1 < cap; n++)
        out[n] = replay[n];
    for (const struct option *s = lo; s->name && n + 1 < cap; s++) {
        size_t k = 0;
        while (k < n && strcmp(out[k].name, s->name))
            k++;
        if (k == n)
            out[n++] = *s;
    }
    out[n] = (struct option){NULL, 0, NULL, 0};
    return n;
}

/* --study/--fractions: a value that looks like an option is --help or a mistake. */
static int mode_arg(const char *opt, const char *arg, const char **dst)
{
    if (!strcmp(arg, "--help") || !strcmp(arg, "-h"))
        return cl.help = 1, 0;
    if (arg[0] == '-' && arg[1])
        return cli_error("%s: '%s' looks like an option; write %s=PATH (./%s for such a name)",
                         opt, arg, opt, arg),
               EXIT_USAGE;
    *dst = arg;
    return 0;
}

/* Takes one study option; 0 or an exit status after a usage message. */
static int take(opts *o, int c, const char *arg)
{
    static const char axis_of[] = {[O_HW - O_STUDY] = 'h',    [O_DATAFLOW - O_STUDY] = 'd',
                                   [O_MODEL - O_STUDY] = 'm', [O_SEQ - O_STUDY] = 's',
                                   [O_PHASE - O_STUDY] = 'p', [O_BATCH - O_STUDY] = 'b',
                                   [O_FFN - O_STUDY] = 'f'};
    mmt_study_spec *sp = &o->sp;
    mmt_diag d = {0};
    unsigned si, sn;
    char tail;
    int r = 0;
    switch (c) {
    case O_STUDY: cl.study = 1; return mode_arg("--study", arg, &sp->outdir);
    case O_FRACTIONS: return mode_arg("--fractions", arg, &cl.manifest);
    case O_HW: o->hw_arg = arg; break; /* read after --scalesim is known */
    case O_MODEL: cl.seen_m = 1; /* fall through */
    case O_DATAFLOW:
    case O_SEQ:
    case O_PHASE:
    case O_BATCH:
    case O_FFN: r = axis(o, axis_of[c - O_STUDY], arg); break;
    case O_HF:
        if (sp->nmodels == MAXN || mmt_llm_config_read(arg, &o->models[sp->nmodels++], &d))
            return d.message[0] ? cli_print_diag(&d, NULL) : cli_error("too many models"),
                   EXIT_ERR;
        cl.seen_m = 1;
        break;
    case O_TRACES: sp->traces = arg; break;
    case O_CACHE: snprintf(o->cache, sizeof o->cache, "%s", arg); break;
    case O_NOCACHE: cl.nocache = 1; break;
    case O_SHARD:
        if (sscanf(arg, "%u/%u%c", &si, &sn, &tail) != 2 || si < 1 || si > sn || sn > 4096)
            return cli_error("--shard: expected I/N with 1 <= I <= N <= 4096, got '%s'", arg),
                   EXIT_USAGE;
        sp->shard = si, sp->nshards = sn;
        break;
    case O_PLAN: o->plan = arg; break;
    case O_SHARDS: r = cli_parse_long("--shards", arg, 1, 4096, &o->shards); break;
    case O_FORMAT: o->format = arg; break;
    case O_WEIGHTS: r = weights_opt(o, arg); break;
    case O_MMF: r = mmf_opt(o, arg); break;
    }
    return r ? (r == -2 ? EXIT_ERR : EXIT_USAGE) : 0;
}

/* Sets the defaults the spec points at (once). */
static void init(opts *o)
{
    static int done;
    if (done++)
        return;
    o->sp = (mmt_study_spec){.hw = o->hw,
                             .dataflows = o->df,
                             .models = o->models,
                             .seqs = o->seqs,
                             .phases = o->phases,
                             .batches = o->batches,
                             .ffns = o->ffns,
                             .jobs = 2};
    o->ffns[0] = -1, o->sp.nffns = 1, o->shards = 2;
}

int study_cli_option(int c, const char *name, const char *arg)
{
    init(&cl.o);
    if (c >= O_STUDY && c <= O_LAST) {
        if (!cl.mine[0] && c != O_STUDY && c != O_FRACTIONS)
            snprintf(cl.mine, sizeof cl.mine, "--%s", name ? name : "?");
        return take(&cl.o, c, arg);
    }
    if (c == 'j' || (name && !strcmp(name, "jobs")))
        cl.jobs = arg;
    else if (name && !strcmp(name, "scalesim"))
        cl.scalesim = arg;
    else if (name && !strcmp(name, "engine"))
        cl.engine = arg;
    else if (c != 'h' && c != 'V' && c != '?' && c != ':' && !cl.other[0] && name)
        snprintf(cl.other, sizeof cl.other, "--%s", name);
    else if (c != 'h' && c != 'V' && c != '?' && c != ':' && !cl.other[0])
        snprintf(cl.other, sizeof cl.other, "-%c", c);
    return -1;
}

/* Prints the study's own help (--study --help). */
static void study_help(void)
{
    printf("Usage: mmtrace-replay --study=DIR [AXIS]... [OPTION]...\n"
           "       mmtrace-replay --fractions=MANIFEST RUNDIR\n"
           "The 1-bit LLM study of mmtrace-replay: chosen by --study or --fractions; the\n"
           "replay's -c, -t, -p and its other options do not mix with them.\n");
    study_cli_usage(stdout);
    printf("  Shared with the replay: -j, --scalesim, --engine, -h/--help, -V/--version.\n"
           "\nExit status: 0 ok, 1 error, 2 usage error.\n");
}

/* A usage error of the mode: one line, then where the help is. */
static int mode_error(const char *fmt, const char *opt, const char *hint)
{
    fprintf(stderr, "%s: ", cli_progname);
    fprintf(stderr, fmt, opt);
    fprintf(stderr, "\nTry 'mmtrace-replay %s--help' for more information.\n", hint);
    return EXIT_USAGE;
}

/* Completes the spec once every option is known: the shared options, the hardware (after
 * --scalesim), the default axes and the checks across options. -1 to go on, or a status. */
static int complete(opts *o, int argc, char **argv)
{
    mmt_study_spec *sp = &o->sp;
    if ((cl.jobs && cli_parse_long("--jobs", cl.jobs, 1, 256, &sp->jobs)) ||
        (cl.scalesim && cli_parse_scalesim(cl.scalesim, &o->version)) ||
        (cl.engine && mmt_engine_parse(cl.engine, &o->engine) != 0))
        return EXIT_USAGE; /* replay's parser has checked them: not reached */
    if (optind < argc)
        return cli_error("unexpected argument '%s'", argv[optind]), EXIT_USAGE;
    int hr = axis(o, 'h', o->hw_arg ? o->hw_arg : "cloud,edge");
    if (hr)
        return hr == -2 ? EXIT_ERR : EXIT_USAGE;
    for (size_t i = 0; i < sp->nhw; i++) /* the presets are CALC: v3 changes their reports */
        o->hw[i].version = o->version;
    sp->engine = (int)o->engine;
    if ((!cl.seen_m && axis(o, 'm', "all")) ||
        (!sp->nseqs && axis(o, 's', "128,256,512,1024,2048,4096")) ||
        (!sp->nphases && axis(o, 'p', "decode")) || (!sp->nbatches && axis(o, 'b', "1")) ||
        check(o))
        return EXIT_USAGE;
    if (o->plan && strcmp(o->plan, "parallel") && strcmp(o->plan, "slurm"))
        return cli_error("--plan: expected parallel or slurm, got '%s'", o->plan), EXIT_USAGE;
    if ((sp->nshards || o->plan) && cl.nocache)
        return cli_error("--shard and --plan need the layer cache (not --no-cache)"), EXIT_USAGE;
    if (!cl.nocache && !o->cache[0] && mmt_study_cache_default(o->cache, sizeof o->cache) != 0)
        return cli_error("no cache directory: set XDG_CACHE_HOME or HOME, or --cache"), EXIT_USAGE;
    sp->cache_dir = cl.nocache ? NULL : o->cache;
    if (!sp->outdir)
        return cli_error("--study=DIR is required"), EXIT_USAGE;
    return -1;
}

int study_cli_mode(int argc, char **argv, int help)
{
    opts *o = &cl.o;
    init(o);
    if (!cl.study && !cl.manifest && !cl.help) /* replay's mode */
        return cl.mine[0] ? mode_error("%s: a study option: it needs --study=DIR", cl.mine, "")
                          : STUDY_CLI_REPLAY;
    if (cl.other[0])
        return mode_error("%s: not an option of the study (--study, --fractions)", cl.other,
                          "--study ");
    if (help || cl.help)
        return study_help(), EXIT_OK;
    if (cli_check_path_arg("--study", o->sp.outdir) ||
        cli_check_path_arg("--fractions", cl.manifest))
        return EXIT_USAGE;
    if (cl.manifest)
        return cl.study || cl.mine[0] || optind != argc - 1
                   ? (cli_error("--fractions takes MANIFEST and one RUNDIR (and no study option)"),
                      EXIT_USAGE)
                   : STUDY_CLI_RUN;
    int rc = complete(o, argc, argv);
    return rc >= 0 ? rc : STUDY_CLI_RUN;
}

int study_cli_run(int argc, char **argv)
{
    opts *o = &cl.o;
    int rc;
    if (cl.manifest)
        return study_fractions(cl.manifest, argv[optind]);
    if ((rc = study_formats(o->format, NULL, 0)) != EXIT_OK)
        return rc;
    if (o->plan)
        return study_plan(o->plan, (unsigned)o->shards, o->sp.outdir, o->sp.cache_dir, argc, argv);
    if (o->sp.nseqs < 2) /* the fit of f(l) has two parameters */
        fprintf(stderr, "%s: warning: one sequence length: the fits of f(l) are nan\n",
                cli_progname);
    cli_progress pr;
    cli_progress_init(&pr, "layers");
    o->sp.progress = cli_progress_tick, o->sp.progress_ud = &pr;
    mmt_study_summary s;
    mmt_diag d = {0};
    if (mmt_study_run(&o->sp, &s, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    if (!o->sp.nshards && (rc = study_formats(o->format, o->sp.outdir, o->sp.jobs)) != EXIT_OK)
        return rc;
    printf("study: %zu points, %zu layers, %zu distinct: %zu cached, %zu simulated, %zu corrupt\n",
           s.points, s.layers, s.distinct, s.cached, s.simulated, s.corrupt);
    if (s.past_ctx)
        printf("note: %zu workloads exceed the model's trained context (simulated anyway)\n",
               s.past_ctx);
    if (o->sp.nshards)
        printf("shard %u/%u: cache %s filled\n", o->sp.shard, o->sp.nshards, o->sp.cache_dir);
    else
        printf("results: %s/ (results.csv, fractions.csv, ..., figures/)\n", o->sp.outdir);
    return EXIT_OK;
}
