/*
 * mmtrace-replay - replays SRAM traces through SCALE-Sim v2's memory model and writes its
 * reports, DRAM traces and stall-adjusted SRAM traces; or runs the fused model without
 * traces; and compares an output directory with SCALE-Sim's.
 */
#include <config.h>

#include "cli.h"
#include "dram_time.h"
#include "dram_replay.h"
#include "replay.h"
#include "study_cli.h"

#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Parsed command line. */
typedef struct args {
    replay_opts o;
    const char *compare;
    const char *memory;     /* --memory as written (the study reads a list) */
    const char *dram;       /* --dram=INI: the stream policy's memory, or the timing modes' */
    const char *dram_trace; /* --dram-trace=TRACE */
    const char *cycles_arg; /* --cycles=N */
    uint64_t cycles;
    const char *clock; /* --clock=MHZ */
    double mhz;
} args;

/* With --memory, --dram and --clock are the stream policy's memory and clock (doc/memory.md):
 * they go to the run's options and the DRAM timing modes do not run. Without it they are the
 * timing modes' (doc/dram.md). -1 to go on, or a usage exit status. */
static int memory_args(args *a)
{
    int policy;
    if (!a->memory)
        return -1;
    if (mmt_memory_parse(a->memory, &policy) != 0)
        return cli_usage_error("--memory: expected scalesim or stream, got '%s'", a->memory);
    a->o.run.memory = 1 + policy;
    if (a->dram_trace)
        return cli_usage_error("--dram-trace is a run of its own (no --memory)");
    if (cli_check_path_arg("--dram", a->dram))
        return EXIT_USAGE;
    if (a->dram && policy != MMT_MEM_STREAM)
        return cli_usage_error("--dram with --memory needs --memory=stream (the DRAM the stream "
                               "policy uses)");
    if (a->dram && !a->clock)
        return cli_usage_error("--dram needs --clock=MHZ (the array clock)");
    a->o.run.dram = a->dram;
    a->o.run.clock_mhz = a->clock ? a->mhz : 0;
    a->dram = NULL, a->clock = NULL; /* consumed */
    return -1;
}

/* Replay's options; the study appends its own (study_cli_longopts). */
enum {
    OPT_LEVEL = 256,
    OPT_NO_TRACES,
    OPT_COMPARE,
    OPT_FORCE,
    OPT_SCALESIM,
    OPT_ENGINE,
    OPT_MEMORY,
    OPT_DRAM,
    OPT_CLOCK,
    OPT_DRAM_TRACE,
    OPT_CYCLES
};
static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                     {"topology", required_argument, NULL, 't'},
                                     {"path", required_argument, NULL, 'p'},
                                     {"input-type", required_argument, NULL, 'i'},
                                     {"jobs", required_argument, NULL, 'j'},
                                     {"gzip-level", required_argument, NULL, OPT_LEVEL},
                                     {"no-traces", no_argument, NULL, OPT_NO_TRACES},
                                     {"compare", required_argument, NULL, OPT_COMPARE},
                                     {"force", no_argument, NULL, OPT_FORCE},
                                     {"scalesim", required_argument, NULL, OPT_SCALESIM},
                                     {"engine", required_argument, NULL, OPT_ENGINE},
                                     {"memory", required_argument, NULL, OPT_MEMORY},
                                     {"layout", required_argument, NULL, 'l'},
                                     {"verbose", no_argument, NULL, 'v'},
                                     {"dram", required_argument, NULL, OPT_DRAM},
                                     {"dram-trace", required_argument, NULL, OPT_DRAM_TRACE},
                                     {"cycles", required_argument, NULL, OPT_CYCLES},
                                     {"clock", required_argument, NULL, OPT_CLOCK},
                                     {"help", no_argument, NULL, 'h'},
                                     {"version", no_argument, NULL, 'V'},
                                     {NULL, 0, NULL, 0}};

/* Takes replay's option c (value arg): 0, a usage exit status, or -1 after -V printed. */
static int take(args *a, int c, const char *arg, long *level, int *help, char **argv)
{
    switch (c) {
    case 'c': a->o.run.cfg_path = arg; break;
    case 't': a->o.run.topo_path = arg; break;
    case 'p': a->o.run.outdir = arg; break;
    case 'i': return cli_parse_input_type(arg, &a->o.run.gemm) ? EXIT_USAGE : 0;
    case 'j': return cli_parse_long("--jobs", arg, 1, 256, &a->o.jobs) ? EXIT_USAGE : 0;
    case OPT_LEVEL: return cli_parse_long("--gzip-level", arg, 0, 9, level) ? EXIT_USAGE : 0;
    case OPT_NO_TRACES: a->o.run.traces = 0; break;
    case OPT_COMPARE: a->compare = arg; break;
    case OPT_FORCE: a->o.force = 1; break;
    case OPT_SCALESIM: return cli_parse_scalesim(arg, &a->o.run.version) ? EXIT_USAGE : 0;
    case OPT_ENGINE:
        if (mmt_engine_parse(arg, &a->o.run.engine) != 0) {
            cli_error("--engine: expected auto, rows or folds, got '%s'", arg);
            return EXIT_USAGE;
        }
        break;
    case OPT_MEMORY: a->memory = arg; break;
    case 'v': a->o.verbose = 1; break;
    case OPT_DRAM: a->dram = arg; break;
    case OPT_DRAM_TRACE: a->dram_trace = arg; break;
    case OPT_CLOCK:
        a->clock = arg;
        if (dram_time_parse_clock(arg, &a->mhz))
            return EXIT_USAGE;
        break;
    case OPT_CYCLES:
        a->cycles_arg = arg;
        if (dram_replay_parse_cycles(arg, &a->cycles))
            return EXIT_USAGE;
        break;
    case 'l': a->o.layout_path = arg; break;
    case 'h': *help = 1; break;
    case 'V': printf("mmtrace-replay (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return -1;
    default: cli_bad_option(argv, c); return EXIT_USAGE;
    }
    return 0;
}

/* The rules across replay's options: NULL if they hold, else the usage error's line ("" if
 * printed already). */
static const char *check(const args *a, int argc, char **argv)
{
    const char *bad = NULL;
    if (optind < argc)
        cli_error("unexpected argument '%s'", argv[optind]), bad = "";
    else if (cli_check_path_arg("--config", a->o.run.cfg_path) ||
             cli_check_path_arg("--topology", a->o.run.topo_path) ||
             cli_check_path_arg("--path", a->o.run.outdir) ||
             cli_check_path_arg("--compare", a->compare) ||
             cli_check_path_arg("--layout", a->o.layout_path) ||
             cli_check_path_arg("--dram", a->dram) ||
             cli_check_path_arg("--dram-trace", a->dram_trace))
        bad = "";
    else if (a->dram_trace && a->clock)
        bad = "--clock times a run's traffic; --dram-trace replays a trace: one or the other";
    else if (a->clock && !a->dram)
        bad = "--clock goes with --dram";
    else if (a->dram && !a->dram_trace && !a->clock)
        bad = "--dram needs --dram-trace and --cycles, or --clock";
    else if (a->clock && (!a->o.run.outdir || a->compare))
        bad = "--dram with --clock needs -p (and no --compare)";
    else if (a->dram_trace && (!a->dram || !a->cycles_arg || !a->o.run.outdir))
        bad = "--dram-trace needs --dram, --cycles and -p";
    else if (a->dram_trace && (a->o.run.topo_path || a->o.run.cfg_path || a->compare))
        bad = "--dram-trace is a run of its own (no -c, -t or --compare)";
    else if (a->cycles_arg && !a->dram_trace)
        bad = "--cycles goes with --dram-trace";
    else if (a->dram_trace)
        ;
    else if (a->o.run.topo_path && (!a->o.run.cfg_path || !a->o.run.outdir))
        bad = "-c, -t and -p are required";
    else if (a->o.run.engine == MMT_ENGINE_FOLDS && a->o.run.traces)
        bad = "--engine=folds needs --no-traces (traces are written by the row engine)";
    else if (!a->o.run.topo_path && !a->clock && !(a->compare && a->o.run.outdir))
        bad = a->compare ? "--compare without -t needs -p" : "-c, -t and -p are required";
    return bad;
}

/* Parses argv; returns -1 to replay, STUDY_CLI_RUN for the study, or an exit status. */
static int parse_args(int argc, char **argv, args *a)
{
    struct option all[64]; /* replay's options and the study's (study_cli.c) */
    study_cli_longopts(opts, all, sizeof all / sizeof all[0]);
    long level = 1;
    int c, li, help = 0, rc;
    opterr = 0; /* cli_bad_option prints one line and the hint */
    while ((li = -1, c = getopt_long(argc, argv, ":c:t:p:i:j:l:vhV", all, &li)) != -1) {
        if ((rc = study_cli_option(c, li < 0 ? NULL : all[li].name, optarg)) >= 0) {
            if (rc)
                return rc;
            continue; /* the study's option */
        }
        if ((rc = take(a, c, optarg, &level, &help, argv)) != 0)
            return rc < 0 ? EXIT_OK : rc;
    }
    if ((rc = study_cli_mode(argc, argv, help)) != STUDY_CLI_REPLAY)
        return rc; /* the study's help, a usage error, or STUDY_CLI_RUN */
    if (help)
        return replay_usage(stdout), EXIT_OK;
    a->o.level = (int)level;
    if ((rc = memory_args(a)) >= 0)
        return rc;
    const char *bad = check(a, argc, argv);
    if (bad)
        return *bad ? cli_usage_error("%s", bad) : cli_usage_error(NULL);
    return -1;
}

int main(int argc, char **argv)
{
    cli_progname = "mmtrace-replay";
    cli_init_malloc();
    gsl_set_error_handler_off();
    args a = {.o = {.run = {.traces = 1, .warn = cli_warn}, .jobs = 1, .level = 1}};
    int rc = parse_args(argc, argv, &a);
    if (rc == STUDY_CLI_RUN) /* --study or --fractions: the LLM study (study_cli.c) */
        return study_cli_run(argc, argv);
    if (rc >= 0)
        return rc;
    if (a.dram_trace)
        return dram_replay_run(a.dram, a.dram_trace, a.cycles, a.o.run.outdir);
    if (!a.o.run.topo_path && a.clock)
        return dram_time_run(a.dram, a.mhz, a.o.run.cfg_path, a.o.run.version, a.o.run.outdir);
    if (!a.o.run.topo_path)
        return compare_only(&a.o.run, a.compare);
    struct stat st;
    if (a.compare && (stat(a.compare, &st) != 0 || !S_ISDIR(st.st_mode))) {
        cli_error("%s: not a directory", a.compare); /* before the replay prints anything */
        return EXIT_ERR;
    }
    char *rundir = NULL;
    rc = replay_run(&a.o, &rundir);
    if (rc == EXIT_OK && a.compare)
        rc = compare_run(rundir, a.compare, cli_basename(rundir), a.o.run.traces);
    if (rc == EXIT_OK && a.clock)
        rc = dram_time_run(a.dram, a.mhz, a.o.run.cfg_path, a.o.run.version, a.o.run.outdir);
    free(rundir);
    return rc;
}
