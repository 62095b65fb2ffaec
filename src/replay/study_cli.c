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

#include <getopt.h>
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
    mmt_study_slurm slurm; /* --slurm-* and --sbatch: the Slurm plan's resources */
    mmt_scalesim version;  /* --scalesim: every hardware point is simulated as this version */
    mmt_engine engine;     /* --engine: the fused model's engine */
} opts;

/* The study's own options, appended to mmtrace-replay's table (study_cli_longopts). -j,
 * --scalesim, --engine, --help and --version are replay's entries, shared by both modes.
 * O_AXIS: the axes' other options (mmt_study_args_set); O_SLURM: --slurm-time, ..., --sbatch
 * (mmt_study_slurm_set). study_cli_option takes the codes 2000..2999. */
/* clang-format off */
enum { O_STUDY = 2000, O_FRACTIONS, O_HW, O_AXIS, O_CACHE, O_NOCACHE, O_PLAN, O_SHARDS,
       O_FORMAT, O_SLURM, O_FIGSIZE, O_NOTITLES, O_LAST = 2999 };
static const struct option lo[] = {
    {"study", 1, NULL, O_STUDY}, {"fractions", 1, NULL, O_FRACTIONS}, {"hw", 1, NULL, O_HW},
    {"dataflow", 1, NULL, O_AXIS}, {"model", 1, NULL, O_AXIS}, {"hf-config", 1, NULL, O_AXIS},
    {"seq", 1, NULL, O_AXIS}, {"phase", 1, NULL, O_AXIS}, {"batch", 1, NULL, O_AXIS},
    {"ffn", 1, NULL, O_AXIS}, {"traces", 1, NULL, O_AXIS}, {"cache", 1, NULL, O_CACHE},
    {"no-cache", 0, NULL, O_NOCACHE}, {"shard", 1, NULL, O_AXIS}, {"plan", 1, NULL, O_PLAN},
    {"shards", 1, NULL, O_SHARDS}, {"format", 1, NULL, O_FORMAT}, {"weights", 1, NULL, O_AXIS},
    {"mmf-array", 1, NULL, O_AXIS}, {"slurm-time", 1, NULL, O_SLURM},
    {"slurm-mem", 1, NULL, O_SLURM}, {"slurm-cpus-per-task", 1, NULL, O_SLURM},
    {"slurm-partition", 1, NULL, O_SLURM}, {"slurm-account", 1, NULL, O_SLURM},
    {"sbatch", 1, NULL, O_SLURM}, {"figure-size", 1, NULL, O_FIGSIZE}, /* the figures' look */
    {"no-titles", 0, NULL, O_NOTITLES}, {NULL, 0, NULL, 0}};
/* clang-format on */

/* The options the study shares with replay; their values in cl.sh. */
enum { SH_JOBS, SH_SCALESIM, SH_ENGINE, SH_MEMORY, SH_DRAM, SH_CLOCK };
static const char *const shared[] = {"jobs", "scalesim", "engine", "memory", "dram", "clock"};

/* What the one getopt pass of mmtrace-replay saw that decides and configures the study. */
static struct {
    opts o;
    const char *manifest; /* --fractions */
    int study, help;      /* --study seen; --study/--fractions given "--help" */
    int nocache;
    char mine[64];  /* the first study-only option, as written ("--hw") */
    char other[64]; /* the first option that only replay takes ("-c", "--config") */
    /* The options shared with replay (validated by its parser), by index in shared[]:
     * --memory is one policy for replay, a list (an axis) for the study; --dram and --clock
     * the stream policy's memory and the clock. */
    const char *sh[6];
    /* Every option of the study as parsed (long name as in the table, whatever abbreviation
     * or short form was written; value or NULL), in order: what the plans pass on. */
    mmt_study_optlist rec;
} cl;

size_t study_cli_longopts(const struct option *replay, struct option *out, size_t cap)
{
    return cli_merge_longopts(replay, lo, out, cap);
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
    case O_FIGSIZE: o->figure_size = arg; break;
    case O_NOTITLES: o->no_titles = 1; break;
    case O_SLURM: return cli_lib_status(mmt_study_slurm_set(&o->slurm, name, arg, &d), &d);
    default: /* O_AXIS */
        snprintf(opt, sizeof opt, "--%s", name);
        return cli_lib_status(mmt_study_args_set(o->args, opt, arg, o->version, cli_warn, NULL, &d),
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

int study_cli_option(int c, const char *name, const char *arg)
{
    int rc = init(&cl.o);
    if (rc)
        return rc;
    if (c == 'j')
        mmt_study_optlist_add(&cl.rec, "jobs", arg);
    else if (name && c != 'h' && c != 'V' && c != '?' && c != ':')
        mmt_study_optlist_add(&cl.rec, name, arg);
    if (c >= O_STUDY && c <= O_LAST) {
        if (!cl.mine[0] && c != O_STUDY && c != O_FRACTIONS)
            snprintf(cl.mine, sizeof cl.mine, "--%s", name ? name : "?");
        return take(&cl.o, c, name ? name : "?", arg);
    }
    size_t k = 0;
    while (k < 6 && !(c == 'j' && k == SH_JOBS) && !(name && !strcmp(name, shared[k])))
        k++;
    if (k < 6)
        cl.sh[k] = arg;
    else if (c != 'h' && c != 'V' && c != '?' && c != ':' && !cl.other[0] && name)
        snprintf(cl.other, sizeof cl.other, "--%s", name);
    else if (c != 'h' && c != 'V' && c != '?' && c != ':' && !cl.other[0])
        snprintf(cl.other, sizeof cl.other, "-%c", c);
    return -1;
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
    mmt_study_spec *sp = o->sp;
    mmt_diag d = {0};
    int rc;
    if ((cl.sh[SH_JOBS] && cli_parse_long("--jobs", cl.sh[SH_JOBS], 1, 256, &sp->jobs)) ||
        (cl.sh[SH_SCALESIM] && cli_parse_scalesim(cl.sh[SH_SCALESIM], &o->version)) ||
        (cl.sh[SH_ENGINE] && mmt_engine_parse(cl.sh[SH_ENGINE], &o->engine) != 0))
        return EXIT_USAGE; /* replay's parser has checked them: not reached */
    if (optind < argc)
        return cli_error("unexpected argument '%s'", argv[optind]), EXIT_USAGE;
    if ((rc = cli_lib_status(mmt_study_optlist_check(&cl.rec, &d), &d)))
        return rc;
    const char *const late[][2] = {{"--hw", o->hw_arg ? o->hw_arg : "cloud,edge"},
                                   {"--memory", cl.sh[SH_MEMORY]},
                                   {"--dram", cl.sh[SH_DRAM]},
                                   {"--clock", cl.sh[SH_CLOCK]}};
    for (size_t i = 0; i < sizeof late / sizeof *late; i++)
        if (late[i][1] && (rc = cli_lib_status(mmt_study_args_set(o->args, late[i][0], late[i][1],
                                                                  o->version, cli_warn, NULL, &d),
                                               &d)))
            return rc;
    if ((rc = cli_lib_status(mmt_study_args_check(o->args, &d), &d)))
        return rc;
    sp->engine = (int)o->engine;
    if ((rc = cli_lib_status(mmt_study_plan_check(o->plan, sp->nshards, cl.nocache, &o->slurm, &d),
                             &d)))
        return rc;
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
        return study_cli_help(), EXIT_OK;
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
        mmt_study_plan_spec ps = {.nshards = (unsigned)o->shards,
                                  .outdir = o->sp->outdir,
                                  .cache = o->sp->cache_dir,
                                  .opts = cl.rec.opt,
                                  .nopts = cl.rec.n,
                                  .jobs = o->sp->jobs,
                                  .slurm = &o->slurm};
        return study_plan(o->plan, &ps);
    }
    return study_run(o->sp);
}

int study_cli_run(int argc, char **argv)
{
    int rc = run(&cl.o, argc, argv);
    mmt_study_args_free(cl.o.args);
    cl.o.args = NULL, cl.o.sp = NULL;
    return rc;
}
