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

/* Parses argv into o; returns -1 to go on, or an exit status. */
static int parse(opts *o, int argc, char **argv, const char **manifest)
{
    enum {
        O_STUDY = 2000,
        O_FRACTIONS,
        O_HF,
        O_TRACES,
        O_CACHE,
        O_NOCACHE,
        O_SHARD,
        O_PLAN,
        O_SHARDS,
        O_FORMAT,
        O_SCALESIM,
        O_ENGINE,
        O_WEIGHTS,
        O_MMF
    };
    static const struct option lo[] = {{"study", 1, NULL, O_STUDY},
                                       {"fractions", 1, NULL, O_FRACTIONS},
                                       {"hw", 1, NULL, 'h'},
                                       {"dataflow", 1, NULL, 'd'},
                                       {"model", 1, NULL, 'm'},
                                       {"hf-config", 1, NULL, O_HF},
                                       {"seq", 1, NULL, 's'},
                                       {"phase", 1, NULL, 'p'},
                                       {"batch", 1, NULL, 'b'},
                                       {"ffn", 1, NULL, 'f'},
                                       {"traces", 1, NULL, O_TRACES},
                                       {"jobs", 1, NULL, 'j'},
                                       {"cache", 1, NULL, O_CACHE},
                                       {"no-cache", 0, NULL, O_NOCACHE},
                                       {"shard", 1, NULL, O_SHARD},
                                       {"plan", 1, NULL, O_PLAN},
                                       {"shards", 1, NULL, O_SHARDS},
                                       {"format", 1, NULL, O_FORMAT},
                                       {"scalesim", 1, NULL, O_SCALESIM},
                                       {"engine", 1, NULL, O_ENGINE},
                                       {"weights", 1, NULL, O_WEIGHTS},
                                       {"mmf-array", 1, NULL, O_MMF},
                                       {NULL, 0, NULL, 0}};
    mmt_study_spec *sp = &o->sp;
    int c, seen_m = 0, nocache = 0;
    unsigned si, sn;
    char tail;
    mmt_diag d = {0};
    opterr = 0; /* cli_bad_option prints one line and the hint, with the program's name */
    while ((c = getopt_long(argc, argv, ":j:", lo, NULL)) != -1) {
        int r = 0;
        switch (c) {
        case '?':
        case ':': cli_bad_option(argv, c); return EXIT_USAGE;
        case O_STUDY: sp->outdir = optarg; break;
        case O_FRACTIONS: *manifest = optarg; break;
        case 'm': seen_m = 1; /* fall through */
        case 'd':
        case 's':
        case 'p':
        case 'b':
        case 'f': r = axis(o, c, optarg); break;
        case O_HF:
            if (sp->nmodels == MAXN || mmt_llm_config_read(optarg, &o->models[sp->nmodels++], &d))
                return d.message[0] ? cli_print_diag(&d, NULL) : cli_error("too many models"),
                       EXIT_ERR;
            seen_m = 1;
            break;
        case O_TRACES: sp->traces = optarg; break;
        case 'j': r = cli_parse_long("--jobs", optarg, 1, 256, &sp->jobs); break;
        case O_CACHE: snprintf(o->cache, sizeof o->cache, "%s", optarg); break;
        case O_NOCACHE: nocache = 1; break;
        case O_SHARD:
            if (sscanf(optarg, "%u/%u%c", &si, &sn, &tail) != 2 || si < 1 || si > sn || sn > 4096)
                return cli_error("--shard: expected I/N with 1 <= I <= N <= 4096, got '%s'",
                                 optarg),
                       EXIT_USAGE;
            sp->shard = si, sp->nshards = sn;
            break;
        case O_PLAN: o->plan = optarg; break;
        case O_SHARDS: r = cli_parse_long("--shards", optarg, 1, 4096, &o->shards); break;
        case O_FORMAT: o->format = optarg; break;
        case 'h': o->hw_arg = optarg; break; /* read after --scalesim is known */
        case O_SCALESIM: r = cli_parse_scalesim(optarg, &o->version); break;
        case O_ENGINE:
            if (mmt_engine_parse(optarg, &o->engine) != 0)
                r = (cli_error("--engine: expected auto, rows or folds, got '%s'", optarg), -1);
            break;
        case O_WEIGHTS: r = weights_opt(o, optarg); break;
        case O_MMF: r = mmf_opt(o, optarg); break;
        default:
            fprintf(stderr, "Try 'mmtrace-replay --help' for more information.\n");
            return EXIT_USAGE;
        }
        if (r)
            return r == -2 ? EXIT_ERR : EXIT_USAGE;
    }
    if (cli_check_path_arg("--study", sp->outdir) || cli_check_path_arg("--fractions", *manifest))
        return EXIT_USAGE;
    if (*manifest)
        return sp->outdir || optind != argc - 1
                   ? (cli_error("--fractions takes MANIFEST and one RUNDIR (and no --study)"),
                      EXIT_USAGE)
                   : -1;
    if (optind < argc)
        return cli_error("unexpected argument '%s'", argv[optind]), EXIT_USAGE;
    int hr = axis(o, 'h', o->hw_arg ? o->hw_arg : "cloud,edge");
    if (hr)
        return hr == -2 ? EXIT_ERR : EXIT_USAGE;
    for (size_t i = 0; i < sp->nhw; i++) /* the presets are CALC: v3 changes their reports */
        o->hw[i].version = o->version;
    sp->engine = (int)o->engine;
    if ((!seen_m && axis(o, 'm', "all")) ||
        (!sp->nseqs && axis(o, 's', "128,256,512,1024,2048,4096")) ||
        (!sp->nphases && axis(o, 'p', "decode")) || (!sp->nbatches && axis(o, 'b', "1")) ||
        check(o))
        return EXIT_USAGE;
    if (o->plan && strcmp(o->plan, "parallel") && strcmp(o->plan, "slurm"))
        return cli_error("--plan: expected parallel or slurm, got '%s'", o->plan), EXIT_USAGE;
    if ((sp->nshards || o->plan) && nocache)
        return cli_error("--shard and --plan need the layer cache (not --no-cache)"), EXIT_USAGE;
    if (!nocache && !o->cache[0] && mmt_study_cache_default(o->cache, sizeof o->cache) != 0)
        return cli_error("no cache directory: set XDG_CACHE_HOME or HOME, or --cache"), EXIT_USAGE;
    sp->cache_dir = nocache ? NULL : o->cache;
    return -1;
}

int study_cli_main(int argc, char **argv)
{
    static opts o;
    const char *manifest = NULL;
    memset(&o, 0, sizeof o);
    o.sp = (mmt_study_spec){.hw = o.hw,
                            .dataflows = o.df,
                            .models = o.models,
                            .seqs = o.seqs,
                            .phases = o.phases,
                            .batches = o.batches,
                            .ffns = o.ffns,
                            .jobs = 2};
    o.ffns[0] = -1, o.sp.nffns = 1, o.shards = 2;
    optind = 1;
    int rc = parse(&o, argc, argv, &manifest);
    if (rc >= 0)
        return rc;
    if (manifest)
        return study_fractions(manifest, argv[optind]);
    if (!o.sp.outdir)
        return cli_error("--study=DIR is required"), EXIT_USAGE;
    if ((rc = study_formats(o.format, NULL, 0)) != EXIT_OK)
        return rc;
    if (o.plan)
        return study_plan(o.plan, (unsigned)o.shards, o.sp.outdir, o.sp.cache_dir, argc, argv);
    if (o.sp.nseqs < 2) /* the fit of f(l) has two parameters */
        fprintf(stderr, "%s: warning: one sequence length: the fits of f(l) are nan\n",
                cli_progname);
    cli_progress pr;
    cli_progress_init(&pr, "layers");
    o.sp.progress = cli_progress_tick, o.sp.progress_ud = &pr;
    mmt_study_summary s;
    mmt_diag d = {0};
    if (mmt_study_run(&o.sp, &s, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    if (!o.sp.nshards && (rc = study_formats(o.format, o.sp.outdir, o.sp.jobs)) != EXIT_OK)
        return rc;
    printf("study: %zu points, %zu layers, %zu distinct: %zu cached, %zu simulated, %zu corrupt\n",
           s.points, s.layers, s.distinct, s.cached, s.simulated, s.corrupt);
    if (s.past_ctx)
        printf("note: %zu workloads exceed the model's trained context (simulated anyway)\n",
               s.past_ctx);
    if (o.sp.nshards)
        printf("shard %u/%u: cache %s filled\n", o.sp.shard, o.sp.nshards, o.sp.cache_dir);
    else
        printf("results: %s/ (results.csv, fractions.csv, ..., figures/)\n", o.sp.outdir);
    return EXIT_OK;
}
