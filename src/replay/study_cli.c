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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The parsed command line: the axes live in the library's mmt_study_args. */
typedef struct opts {
    mmt_study_args *args; /* owns the spec and the axis arrays */
    mmt_study_spec *sp;   /* mmt_study_args_spec(args) */
    char cache[4096];
    const char *plan, *format, *hw_arg;
    const char *figure_size; /* --figure-size */
    int no_titles;           /* --no-titles */
    long shards;
    study_slurm slurm;    /* --slurm-* and --sbatch: the Slurm plan's resources */
    mmt_scalesim version; /* --scalesim: every hardware point is simulated as this version */
    mmt_engine engine;    /* --engine: the fused model's engine */
} opts;

/* The exit status of a library call on the axes: 0, or 2 (MMT_EINVAL: a usage error) or 1 (a
 * bad file) after printing its diagnostic. */
static int args_status(int e, const mmt_diag *d)
{
    if (e == 0)
        return 0;
    cli_print_diag(d, NULL);
    return e == MMT_EINVAL ? EXIT_USAGE : EXIT_ERR;
}

/* The study's own options, appended to mmtrace-replay's table (study_cli_longopts). -j,
 * --scalesim, --engine, --help and --version are replay's entries, shared by both modes. */
enum {
    O_STUDY = 2000, /* study_cli_option takes the codes 2000..2999 */
    O_FRACTIONS,
    O_HW,
    O_AXIS, /* the other options of the axes, taken by mmt_study_args_set */
    O_CACHE,
    O_NOCACHE,
    O_PLAN,
    O_SHARDS,
    O_FORMAT,
    O_SLURM, /* --slurm-time, --slurm-mem, ...: values checked by study_slurm_set */
    O_SBATCH,
    /* the figures' look (issue 23) */
    O_FIGSIZE,
    O_NOTITLES,
    O_LAST = 2999
};
static const struct option lo[] = {{"study", 1, NULL, O_STUDY},
                                   {"fractions", 1, NULL, O_FRACTIONS},
                                   {"hw", 1, NULL, O_HW},
                                   {"dataflow", 1, NULL, O_AXIS},
                                   {"model", 1, NULL, O_AXIS},
                                   {"hf-config", 1, NULL, O_AXIS},
                                   {"seq", 1, NULL, O_AXIS},
                                   {"phase", 1, NULL, O_AXIS},
                                   {"batch", 1, NULL, O_AXIS},
                                   {"ffn", 1, NULL, O_AXIS},
                                   {"traces", 1, NULL, O_AXIS},
                                   {"cache", 1, NULL, O_CACHE},
                                   {"no-cache", 0, NULL, O_NOCACHE},
                                   {"shard", 1, NULL, O_AXIS},
                                   {"plan", 1, NULL, O_PLAN},
                                   {"shards", 1, NULL, O_SHARDS},
                                   {"format", 1, NULL, O_FORMAT},
                                   {"weights", 1, NULL, O_AXIS},
                                   {"mmf-array", 1, NULL, O_AXIS},
                                   {"slurm-time", 1, NULL, O_SLURM},
                                   {"slurm-mem", 1, NULL, O_SLURM},
                                   {"slurm-cpus-per-task", 1, NULL, O_SLURM},
                                   {"slurm-partition", 1, NULL, O_SLURM},
                                   {"slurm-account", 1, NULL, O_SLURM},
                                   {"sbatch", 1, NULL, O_SBATCH},
                                   {"figure-size", 1, NULL, O_FIGSIZE},
                                   {"no-titles", 0, NULL, O_NOTITLES},
                                   {NULL, 0, NULL, 0}};

/* Options the study takes more than once: each adds (the others are a usage error when given
 * twice, so no value silently replaces another). */
static const char *const repeatable[] = {"model", "hf-config", "sbatch"};

/* What the one getopt pass of mmtrace-replay saw that decides and configures the study. */
static struct {
    opts o;
    const char *manifest; /* --fractions */
    int study, help;      /* --study seen; --study/--fractions given "--help" */
    int nocache;
    char mine[64];  /* the first study-only option, as written ("--hw") */
    char other[64]; /* the first option that only replay takes ("-c", "--config") */
    const char *jobs, *scalesim, *engine; /* shared options, validated by replay's parser */
    const char *memory;       /* --memory: one policy for replay, a list (an axis) for the study */
    const char *dram, *clock; /* --dram, --clock: the stream policy's memory and the clock */
    /* Every option of the study as parsed (long name as in the table, whatever abbreviation
     * or short form was written; value or NULL), in order: what the plans pass on. */
    study_opt rec[STUDY_MAX_OPTS];
    size_t nrec;
    int overflow; /* more options than rec holds */
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
        return cli_error("%s: '%s' looks like an option; write %s=PATH (./%s for such a name)", opt,
                         arg, opt, arg),
               EXIT_USAGE;
    *dst = arg;
    return 0;
}

/* Takes one study option (name: its long name); 0 or an exit status after a message. */
static int take(opts *o, int c, const char *name, const char *arg)
{
    char opt[64];
    mmt_diag d = {0};
    int r = 0;
    switch (c) {
    case O_STUDY: cl.study = 1; return mode_arg("--study", arg, &o->sp->outdir);
    case O_FRACTIONS: return mode_arg("--fractions", arg, &cl.manifest);
    case O_HW: o->hw_arg = arg; break; /* read after --scalesim is known */
    case O_CACHE:
        if (cli_check_path_arg("--cache", arg))
            return EXIT_USAGE;
        if (strlen(arg) >= sizeof o->cache)
            return cli_error("--cache: the path is longer than %zu bytes", sizeof o->cache - 1),
                   EXIT_USAGE;
        snprintf(o->cache, sizeof o->cache, "%s", arg);
        break;
    case O_NOCACHE: cl.nocache = 1; break;
    case O_PLAN: o->plan = arg; break;
    case O_SHARDS: r = cli_parse_long("--shards", arg, 1, 4096, &o->shards); break;
    case O_FORMAT: o->format = arg; break;
    case O_SLURM: return study_slurm_set(&o->slurm, name, arg) ? EXIT_USAGE : 0;
    case O_SBATCH: return study_slurm_set(&o->slurm, name, arg) ? EXIT_USAGE : 0;
    case O_FIGSIZE: o->figure_size = arg; break;
    case O_NOTITLES: o->no_titles = 1; break;
    default: /* O_AXIS */
        snprintf(opt, sizeof opt, "--%s", name);
        return args_status(mmt_study_args_set(o->args, opt, arg, o->version, cli_warn, NULL, &d),
                           &d);
    }
    return r ? EXIT_USAGE : 0;
}

/* Makes the axes the spec points at (once); an exit status if out of memory. */
static int init(opts *o)
{
    if (o->args)
        return 0;
    if (mmt_study_args_new(&o->args) != 0)
        return cli_error("out of memory"), EXIT_ERR;
    o->sp = mmt_study_args_spec(o->args);
    o->shards = 2;
    return 0;
}

/* Notes one option as parsed: its long name (short -j as "jobs") and value. */
static void record(const char *name, const char *arg)
{
    if (cl.nrec == STUDY_MAX_OPTS)
        cl.overflow = 1;
    else
        cl.rec[cl.nrec++] = (study_opt){name, arg};
}

int study_cli_option(int c, const char *name, const char *arg)
{
    int rc = init(&cl.o);
    if (rc)
        return rc;
    if (c == 'j')
        record("jobs", arg);
    else if (name && c != 'h' && c != 'V' && c != '?' && c != ':')
        record(name, arg);
    if (c >= O_STUDY && c <= O_LAST) {
        if (!cl.mine[0] && c != O_STUDY && c != O_FRACTIONS)
            snprintf(cl.mine, sizeof cl.mine, "--%s", name ? name : "?");
        return take(&cl.o, c, name ? name : "?", arg);
    }
    if (c == 'j' || (name && !strcmp(name, "jobs")))
        cl.jobs = arg;
    else if (name && !strcmp(name, "scalesim"))
        cl.scalesim = arg;
    else if (name && !strcmp(name, "engine"))
        cl.engine = arg;
    else if (name && !strcmp(name, "memory"))
        cl.memory = arg;
    else if (name && !strcmp(name, "dram"))
        cl.dram = arg;
    else if (name && !strcmp(name, "clock"))
        cl.clock = arg;
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

/* A usage error for an option given twice, unless it is one that adds (repeatable[]). */
static int once(void)
{
    if (cl.overflow)
        return cli_error("more than %d options", STUDY_MAX_OPTS), EXIT_USAGE;
    for (size_t i = 0; i < cl.nrec; i++) {
        int rep = 0;
        for (size_t k = 0; k < sizeof repeatable / sizeof *repeatable; k++)
            rep |= !strcmp(cl.rec[i].name, repeatable[k]);
        for (size_t j = 0; !rep && j < i; j++)
            if (!strcmp(cl.rec[i].name, cl.rec[j].name))
                return cli_error("--%s: given twice; give it once (a comma list where it takes "
                                 "one)",
                                 cl.rec[i].name),
                       EXIT_USAGE;
    }
    return 0;
}

/* Completes the spec once every option is known: the shared options, the hardware (after
 * --scalesim), the default axes and the checks across options. -1 to go on, or a status. */
static int complete(opts *o, int argc, char **argv)
{
    mmt_study_spec *sp = o->sp;
    mmt_diag d = {0};
    int rc;
    if ((cl.jobs && cli_parse_long("--jobs", cl.jobs, 1, 256, &sp->jobs)) ||
        (cl.scalesim && cli_parse_scalesim(cl.scalesim, &o->version)) ||
        (cl.engine && mmt_engine_parse(cl.engine, &o->engine) != 0))
        return EXIT_USAGE; /* replay's parser has checked them: not reached */
    if (optind < argc)
        return cli_error("unexpected argument '%s'", argv[optind]), EXIT_USAGE;
    if ((rc = once()) != 0)
        return rc;
    const char *hw = o->hw_arg ? o->hw_arg : "cloud,edge";
    if ((rc = args_status(mmt_study_args_set(o->args, "--hw", hw, o->version, cli_warn, NULL, &d),
                          &d)) ||
        (cl.memory && (rc = args_status(mmt_study_args_set(o->args, "--memory", cl.memory,
                                                           o->version, cli_warn, NULL, &d),
                                        &d))) ||
        (cl.dram && (rc = args_status(mmt_study_args_set(o->args, "--dram", cl.dram, o->version,
                                                         cli_warn, NULL, &d),
                                      &d))) ||
        (cl.clock && (rc = args_status(mmt_study_args_set(o->args, "--clock", cl.clock, o->version,
                                                          cli_warn, NULL, &d),
                                       &d))) ||
        (rc = args_status(mmt_study_args_check(o->args, &d), &d)))
        return rc;
    sp->engine = (int)o->engine;
    if (o->plan && strcmp(o->plan, "parallel") && strcmp(o->plan, "slurm"))
        return cli_error("--plan: expected parallel or slurm, got '%s'", o->plan), EXIT_USAGE;
    if ((sp->nshards || o->plan) && cl.nocache)
        return cli_error("--shard and --plan need the layer cache (not --no-cache)"), EXIT_USAGE;
    if (sp->nshards && o->plan)
        return cli_error("--plan writes the commands of every shard: give it without --shard"),
               EXIT_USAGE;
    if (o->slurm.given[0] && (!o->plan || strcmp(o->plan, "slurm")))
        return cli_error("%s: an option of --plan=slurm", o->slurm.given), EXIT_USAGE;
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
    int rc = init(o);
    if (rc)
        return rc;
    if (!cl.study && !cl.manifest && !cl.help) /* replay's mode */
        return cl.mine[0] ? mode_error("%s: a study option: it needs --study=DIR", cl.mine, "")
                          : STUDY_CLI_REPLAY;
    if (cl.other[0])
        return mode_error("%s: not an option of the study (--study, --fractions)", cl.other,
                          "--study ");
    if (help || cl.help)
        return study_help(), EXIT_OK;
    if (cli_check_path_arg("--study", o->sp->outdir) ||
        cli_check_path_arg("--fractions", cl.manifest))
        return EXIT_USAGE;
    if (cl.manifest)
        return cl.study || cl.mine[0] || optind != argc - 1
                   ? (cli_error("--fractions takes MANIFEST and one RUNDIR (and no study option)"),
                      EXIT_USAGE)
                   : STUDY_CLI_RUN;
    rc = complete(o, argc, argv);
    return rc >= 0 ? rc : STUDY_CLI_RUN;
}

/* The figure stage's progress: a cli_progress of its own, started at the first figure. */
static void figure_tick(void *ud, size_t done, size_t total)
{
    cli_progress *p = ud;
    if (!p->what)
        cli_progress_init(p, "figures");
    cli_progress_tick(p, done, total);
}

/* The note on workloads past their model's trained context, naming them: each model with its
 * lengths past the context, the first ten lengths in all, then how many more. */
static void past_context(const mmt_study_spec *sp, size_t count)
{
    printf("note: %zu workloads exceed the model's trained context (simulated anyway)", count);
    size_t shown = 0, more = 0;
    for (size_t m = 0; m < sp->nmodels; m++) {
        const mmt_llm_model *M = &sp->models[m];
        int first = 1;
        for (size_t q = 0; M->max_ctx > 0 && q < sp->nseqs; q++) {
            if (sp->seqs[q] <= M->max_ctx)
                continue;
            if (shown == 10) {
                more++;
                continue;
            }
            if (first)
                printf("%s%s at ", shown ? "; " : ": ", M->name);
            printf("%s%" PRId64, first ? "" : ", ", sp->seqs[q]);
            first = 0, shown++;
        }
    }
    if (more)
        printf("; and %zu more", more);
    printf("\n");
}

/* Runs the mode decided: --fractions, --plan or the study itself. */
static int run(opts *o, int argc, char **argv)
{
    int rc;
    if (cl.manifest)
        return study_fractions(cl.manifest, argv[optind]);
    if ((rc = study_figure_options(o->format, o->figure_size, o->no_titles, &o->sp->figures)) !=
        EXIT_OK)
        return rc;
    if (o->plan) {
        study_plan_spec ps = {.how = o->plan,
                              .nshards = (unsigned)o->shards,
                              .outdir = o->sp->outdir,
                              .cache = o->sp->cache_dir,
                              .opts = cl.rec,
                              .nopts = cl.nrec,
                              .jobs = o->sp->jobs,
                              .slurm = &o->slurm};
        return study_plan(&ps);
    }
    if (o->sp->nseqs < 2) /* the fit of f(l) has two parameters */
        fprintf(stderr, "%s: warning: one sequence length: the fits of f(l) are nan\n",
                cli_progname);
    cli_progress pr, pf;
    cli_progress_init(&pr, "layers");
    o->sp->progress_work = cli_progress_tick_work, o->sp->progress_ud = &pr;
    pf.what = NULL; /* started at the first figure: its rate and ETA count figures only */
    o->sp->figure_progress = figure_tick, o->sp->figure_progress_ud = &pf;
    mmt_study_summary s;
    mmt_diag d = {0};
    if (mmt_study_run(o->sp, &s, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    if (s.cache_off) /* said once: the study ran on without caching */
        cli_print_diag(&s.cache_why, "warning: the layer cache cannot be written; the study ran "
                                     "on without caching: ");
    printf("study: %zu points, %zu layers, %zu distinct: %zu cached, %zu simulated, %zu corrupt\n",
           s.points, s.layers, s.distinct, s.cached, s.simulated, s.corrupt);
    if (s.below_bound) /* doc/memory.md: SCALE-Sim's free first fill */
        fprintf(stderr,
                "%s: warning: %zu results.csv rows under SCALE-Sim's memory policy are faster "
                "than their bound (column below_bound; doc/memory.md)\n",
                cli_progname, s.below_bound);
    if (s.past_ctx)
        past_context(o->sp, s.past_ctx);
    if (o->sp->nshards)
        printf("shard %u/%u: cache %s filled\n", o->sp->shard, o->sp->nshards, o->sp->cache_dir);
    else
        printf("results: %s/ (results.csv, fractions.csv, ..., figures/)\n", o->sp->outdir);
    return EXIT_OK;
}

int study_cli_run(int argc, char **argv)
{
    int rc = run(&cl.o, argc, argv);
    mmt_study_args_free(cl.o.args);
    cl.o.args = NULL, cl.o.sp = NULL;
    return rc;
}
