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

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: mmtrace-replay -c CFG -t TOPOLOGY -p OUTDIR [OPTION]...\n"
            "       mmtrace-replay -p DIR [-c CFG] --compare=REFDIR\n"
            "       mmtrace-replay --dram=INI --dram-trace=TRACE --cycles=N -p OUTDIR\n"
            "       mmtrace-replay -p DIR [-c CFG] --dram=INI --clock=MHZ\n"
            "Replay SCALE-Sim v2 SRAM traces through its memory model and write its reports.\n"
            "\n"
            "  -c, --config=CFG        SCALE-Sim .cfg file\n"
            "  -t, --topology=CSV      SCALE-Sim topology CSV\n"
            "  -p, --path=OUTDIR       run directory parent: OUTDIR/<run_name>/\n"
            "  -i, --input-type=TYPE   topology format: conv (default) or gemm (M,N,K rows)\n"
            "  -j, --jobs=N            replay up to N layers at once (default 1)\n"
            "      --gzip-level=N      zlib level 0-9 of the traces written (default 1)\n"
            "      --no-traces         fused model: read and write no trace, reports only\n"
            "      --compare=REFDIR    compare the output with SCALE-Sim's output in REFDIR\n"
            "      --force             replay even if the traces may not fit on the disk\n"
            "      --scalesim=VERSION  reproduce SCALE-Sim v2 (default) or v3.0.0 (dense)\n"
            "  -l, --layout=PATH       v3's layout file: named in v3's console header only\n"
            "      --engine=E          fused model engine: auto (default), rows or folds\n"
            "      --memory=POLICY     memory policy: scalesim (SCALE-Sim's, the default) or\n"
            "                          stream (doc/memory.md; with --no-traces only)\n"
            "      --dram=INI          a DRAMsim3 .ini: with --memory=stream its memory (and\n"
            "                          --clock its array clock); else the memory for\n"
            "                          --dram-trace or --clock\n"
            "  -v, --verbose           say on stderr which engine ran each layer\n"
            "      --dram-trace=TRACE  replay a DRAMsim3 trace (ADDR READ|WRITE CYCLE lines)\n"
            "      --cycles=N          DRAM cycles to simulate for --dram-trace\n"
            "      --clock=MHZ         with --dram: time the run's DRAM traffic at this\n"
            "                          accelerator clock (DRAM_TIMING_REPORT.csv); with\n"
            "                          --memory=stream: the array clock of its --dram\n"
            "  -h, --help              show this help and exit\n"
            "  -V, --version           show the version and exit\n"
            "\n"
            "Replay reads OUTDIR/<run_name>/layer<i>/X_SRAM_TRACE.csv.gz (as mmtrace-gen\n"
            "writes it) or, when there is no .csv.gz, SCALE-Sim's plain X_SRAM_TRACE.csv,\n"
            "which is kept. It writes COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and\n"
            "DETAILED_ACCESS_REPORT.csv into OUTDIR/<run_name>/, and into each layer<i>/ the\n"
            "three X_DRAM_TRACE.csv.gz and the SRAM traces with stall-adjusted cycles (the\n"
            ".csv.gz input is replaced). Nothing is written unless every trace is valid.\n"
            "SCALE-Sim's console output goes to stdout; progress (demand rows) to stderr.\n"
            "\n"
            "--compare: REFDIR is a SCALE-Sim run directory or its parent holding\n"
            "<run_name>/. With -t, the replay runs first and its output is compared (reports\n"
            "only with --no-traces). Without -t, nothing is replayed: DIR/<run_name> (with -c)\n"
            "or DIR is compared. Reports are compared field by field (floats to a relative\n"
            "1e-12), traces line by line after decompression; a table of the differences,\n"
            "with the first differing line of each trace, goes to stdout.\n"
            "\n"
            "--engine (with --no-traces): rows feeds every demand row through the memory\n"
            "model; folds works fold by fold and gives identical reports, but only for the\n"
            "layers it can prove exact (v2 mode; GEMMs, and convs whose windows tile the\n"
            "ifmap) and refuses the run otherwise; auto uses folds where it can and rows\n"
            "elsewhere.\n"
            "\n"
            "--dram with --dram-trace and --cycles: what `dramsim3main INI -c N -t TRACE\n"
            "-o OUTDIR` does, by a DRAMsim3-exact model (doc/dram.md): OUTDIR/dram_stats.json\n"
            "is its dramsim3.json, key for key. TRACE may be gzip-compressed.\n"
            "\n"
            "--dram with --clock: each layer's DRAM traces become requests of the memory's\n"
            "size (doc/dram.md), issued at their cycle on the DRAM clock, and\n"
            "DRAM_TIMING_REPORT.csv goes into the run directory (DIR/<run_name> with -c,\n"
            "else DIR, whose one .cfg gives the operand widths). With -t, after the replay.\n"
            "\n"
            "Exit status: 0 ok (and identical), 1 error or differences found, 2 usage error.\n");
    study_cli_usage(f);
}

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

/* Parses argv; returns -1 to replay, STUDY_CLI_RUN for the study, or an exit status. */
static int parse_args(int argc, char **argv, args *a)
{
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
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
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
        switch (c) {
        case 'c': a->o.run.cfg_path = optarg; break;
        case 't': a->o.run.topo_path = optarg; break;
        case 'p': a->o.run.outdir = optarg; break;
        case 'i':
            if (cli_parse_input_type(optarg, &a->o.run.gemm))
                return EXIT_USAGE;
            break;
        case 'j':
            if (cli_parse_long("--jobs", optarg, 1, 256, &a->o.jobs))
                return EXIT_USAGE;
            break;
        case OPT_LEVEL:
            if (cli_parse_long("--gzip-level", optarg, 0, 9, &level))
                return EXIT_USAGE;
            break;
        case OPT_NO_TRACES: a->o.run.traces = 0; break;
        case OPT_COMPARE: a->compare = optarg; break;
        case OPT_FORCE: a->o.force = 1; break;
        case OPT_SCALESIM:
            if (cli_parse_scalesim(optarg, &a->o.run.version))
                return EXIT_USAGE;
            break;
        case OPT_ENGINE:
            if (mmt_engine_parse(optarg, &a->o.run.engine) != 0) {
                cli_error("--engine: expected auto, rows or folds, got '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_MEMORY: a->memory = optarg; break;
        case 'v': a->o.verbose = 1; break;
        case OPT_DRAM: a->dram = optarg; break;
        case OPT_DRAM_TRACE: a->dram_trace = optarg; break;
        case OPT_CLOCK:
            a->clock = optarg;
            if (dram_time_parse_clock(optarg, &a->mhz))
                return EXIT_USAGE;
            break;
        case OPT_CYCLES:
            a->cycles_arg = optarg;
            if (dram_replay_parse_cycles(optarg, &a->cycles))
                return EXIT_USAGE;
            break;
        case 'l': a->o.layout_path = optarg; break;
        case 'h': help = 1; break;
        case 'V':
            printf("mmtrace-replay (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
            return EXIT_OK;
        default: cli_bad_option(argv, c); return EXIT_USAGE;
        }
    }
    if ((rc = study_cli_mode(argc, argv, help)) != STUDY_CLI_REPLAY)
        return rc; /* the study's help, a usage error, or STUDY_CLI_RUN */
    if (help)
        return usage(stdout), EXIT_OK;
    a->o.level = (int)level;
    if ((rc = memory_args(a)) >= 0)
        return rc;
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
    if (bad)
        return *bad ? cli_usage_error("%s", bad) : cli_usage_error(NULL);
    return -1;
}

/* Compare alone: DIR/<run_name> with -c, else DIR. */
static int compare_only(const args *a)
{
    const mmt_run_opts *ro = &a->o.run;
    if (!ro->cfg_path)
        return compare_run(ro->outdir, a->compare, cli_basename(ro->outdir), 1);
    mmt_config cfg;
    mmt_diag d = {0};
    if (mmt_config_read_version(ro->cfg_path, ro->version, &cfg, &d, cli_warn, NULL) != 0) {
        cli_print_diag(&d, NULL);
        return EXIT_ERR;
    }
    size_t n = strlen(ro->outdir) + strlen(cfg.run_name) + 2;
    char *dir = malloc(n);
    if (!dir) {
        cli_error("out of memory");
        return EXIT_ERR;
    }
    snprintf(dir, n, "%s/%s", ro->outdir, cfg.run_name);
    int rc = compare_run(dir, a->compare, cfg.run_name, 1);
    free(dir);
    return rc;
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
        return compare_only(&a);
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
