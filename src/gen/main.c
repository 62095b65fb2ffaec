/*
 * mmtrace-gen - writes SCALE-Sim v2's SRAM traces for every layer of a topology.
 *
 * Usage follows SCALE-Sim's scale.py: -c CFG -t TOPO -p OUTDIR [-i gemm|conv]. The library
 * loads and checks the run (mmt_run_load: every input read and every layer checked) before the
 * first file is written, so bad input leaves nothing behind. Each (layer, operand) trace is an
 * independent job of the library's pool (mmt_gen_trace); -j N runs N of them at once.
 */
#include <config.h>

#include "cli.h"
#include "llm_cli.h"
#include "mmtrace.h"
#include "progress.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gen {
    const mmt_run *run;
    const char *rundir;
    int level;
    atomic_llong rows_done;
    uint64_t *bytes; /* per job */
    cli_progress progress;
    pthread_mutex_t lock;
    int failed; /* under lock */
    mmt_diag err;
} gen;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: mmtrace-gen -c CFG -t TOPOLOGY -p OUTDIR [OPTION]...\n"
            "Write SCALE-Sim v2's per-cycle SRAM traces (gzip) for every layer of a topology.\n"
            "\n"
            "  -c, --config=CFG        SCALE-Sim .cfg file\n"
            "  -t, --topology=CSV      SCALE-Sim topology CSV\n"
            "  -p, --path=OUTDIR       output directory; traces go to OUTDIR/<run_name>/layer<i>/\n"
            "  -i, --input-type=TYPE   topology format: conv (default) or gemm (M,N,K rows)\n"
            "  -j, --jobs=N            write up to N traces at once (default 1)\n"
            "      --gzip-level=N      zlib level 0-9 (default 1, fast)\n"
            "      --force             write the traces even if they may not fit on the disk\n"
            "      --scalesim=VERSION  read the inputs as SCALE-Sim v2 (default) or v3 does\n"
            "  -h, --help              show this help and exit\n"
            "  -V, --version           show the version and exit\n"
            "\n"
            "Decompressed, each trace is byte-identical to SCALE-Sim v2's SRAM trace of a run\n"
            "in which nothing stalls. Progress goes to stderr: a live line on a terminal,\n"
            "else a line every 10 s (MMTRACE_PROGRESS_INTERVAL seconds when set).\n"
            "Exit status: 0 ok, 1 error, 2 usage error.\n");
    llm_cli_usage(f);
}

/* Adds finished rows to the shared counter (called from worker threads). */
static void on_rows(void *ud, int64_t rows)
{
    gen *G = ud;
    atomic_fetch_add(&G->rows_done, rows);
}

/* A job of mmt_pool_run: the trace of operand j % 3 of layer j / 3. Keeps the first failure's
 * diagnostic (the library's: the trace's path and the reason). */
static int write_trace(void *ud, size_t j)
{
    gen *G = ud;
    size_t li = j / 3;
    mmt_operand op = (mmt_operand)(j % 3);
    mmt_geom g;
    char dir[4200];
    mmt_run_geom(G->run, li, &g);
    snprintf(dir, sizeof dir, "%s/layer%zu", G->rundir, li);
    mmt_diag d = {0};
    int r = mmt_gen_trace(&g, op, dir, G->level, &G->bytes[j], on_rows, G, &d);
    if (r == 0)
        return 0;
    pthread_mutex_lock(&G->lock);
    if (!G->failed++) {
        G->err = d;
    }
    pthread_mutex_unlock(&G->lock);
    return r;
}

/* mmt_pool_tick_fn: progress in trace rows. */
static void tick_rows(void *ud, size_t done, size_t total)
{
    gen *G = ud;
    size_t rows = 3 * (size_t)mmt_run_rows(G->run); /* below the text size: no overflow */
    size_t now = (size_t)atomic_load(&G->rows_done);
    cli_progress_tick(&G->progress, done == total ? rows : now < rows ? now : rows, rows);
}

/* Prints d and returns -1 when r is an error. */
static int said(int r, const mmt_diag *d)
{
    if (r)
        cli_print_diag(d, NULL);
    return r ? -1 : 0;
}

/* Runs all jobs on `jobs` threads with progress on stderr; when all have succeeded and the
 * run is complete on the disk, prints one line per layer (nothing on stdout otherwise). */
static int generate(gen *G, long jobs)
{
    size_t n = mmt_run_count(G->run);
    cli_progress_init(&G->progress, "trace rows");
    G->progress.quiet = 1;
    int r = mmt_pool_run(3 * n, jobs, write_trace, G, tick_rows, G);
    cli_progress_end(&G->progress);
    mmt_diag d = {0};
    if (r) /* a pool failure is a job's: G->err says which */
        return cli_print_diag(&G->err, NULL), -1;
    if (said(mmt_gen_finish(G->run, &d), &d))
        return -1;
    for (size_t i = 0; i < n; i++) {
        mmt_geom g;
        mmt_run_geom(G->run, i, &g);
        printf("layer%zu: %s %" PRId64 "x%" PRId64 ", %" PRId64 " folds, %" PRId64 " rows, %" PRIu64
               " bytes of trace text\n",
               i, mmt_dataflow_name(g.df), g.R, g.C, g.folds, g.rows,
               G->bytes[3 * i] + G->bytes[3 * i + 1] + G->bytes[3 * i + 2]);
    }
    return cli_flush_stdout();
}

/* Loads and checks the run, prepares its directory and writes the traces. */
static int run_gen(const mmt_run_opts *lo, long jobs, int level, int force)
{
    mmt_run *run = NULL;
    mmt_diag d = {0};
    if (said(mmt_run_load(lo, &run, &d), &d))
        return EXIT_ERR;
    gen G = {
        .run = run, .rundir = mmt_run_dir(run), .level = level, .lock = PTHREAD_MUTEX_INITIALIZER};
    int rc = EXIT_ERR;
    if (!said(mmt_gen_check_inputs(lo->cfg_path, lo->topo_path, &d), &d)) {
        G.bytes = calloc(3 * mmt_run_count(run) + 1, sizeof *G.bytes);
        if (!G.bytes)
            cli_error("out of memory");
        else if (cli_check_run_size(run, 1, force) == 0 &&
                 !said(mmt_gen_prepare(run, lo->cfg_path, lo->topo_path, &d), &d) &&
                 generate(&G, jobs) == 0)
            rc = EXIT_OK;
    }
    free(G.bytes);
    mmt_run_free(run);
    return rc;
}

/* Trace generation's options and those both modes share (-c, -p, --scalesim, --help). */
static const struct option gen_opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"topology", required_argument, NULL, 't'},
                                         {"path", required_argument, NULL, 'p'},
                                         {"input-type", required_argument, NULL, 'i'},
                                         {"jobs", required_argument, NULL, 'j'},
                                         {"gzip-level", required_argument, NULL, 'z'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {"force", no_argument, NULL, 'f'},
                                         {"scalesim", required_argument, NULL, 'S'},
                                         {NULL, 0, NULL, 0}};

/* The parsed command line of trace generation. */
typedef struct gen_args {
    mmt_run_opts lo;
    long jobs, level;
    int force;
} gen_args;

/* Takes gen's option c (value arg): 0, an exit status, or -1 after --help or -V printed. */
static int take(gen_args *g, int c, const char *arg, char **argv)
{
    switch (c) {
    case 'c': g->lo.cfg_path = arg; break;
    case 't': g->lo.topo_path = arg; break;
    case 'p': g->lo.outdir = arg; break;
    case 'i': return cli_parse_input_type(arg, &g->lo.gemm) ? EXIT_USAGE : 0;
    case 'j': return cli_parse_long("--jobs", arg, 1, 256, &g->jobs) ? EXIT_USAGE : 0;
    case 'z': return cli_parse_long("--gzip-level", arg, 0, 9, &g->level) ? EXIT_USAGE : 0;
    case 'f': g->force = 1; break;
    case 'S': return cli_parse_scalesim(arg, &g->lo.version) ? EXIT_USAGE : 0;
    case 'h': usage(stdout); return -1;
    case 'V': printf("mmtrace-gen (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return -1;
    default: cli_bad_option(argv, c); return EXIT_USAGE;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct option opts[32]; /* gen's options and the LLM front end's (llm_cli.c) */
    gen_args g = {.lo = {.traces = 1, .warn = cli_warn}, .jobs = 1, .level = 1};
    int c, li, rc, lowering;
    const char *trace_opt = NULL; /* the first option only trace generation takes */
    cli_progname = "mmtrace-gen";
    cli_init_malloc();
    llm_cli_longopts(gen_opts, opts, sizeof opts / sizeof opts[0]);
    opterr = 0; /* cli_bad_option prints one line and the hint */
    while ((li = -1, c = getopt_long(argc, argv, ":c:t:p:i:j:hV", opts, &li)) != -1) {
        if ((rc = llm_cli_option(c, li < 0 ? NULL : opts[li].name)) >= 0) {
            if (rc)
                return rc;
            continue; /* the LLM front end's option */
        }
        for (const struct option *o = gen_opts; !trace_opt && o->name; o++)
            if (o->val == c && strchr("tijzf", c))
                trace_opt = o->name;
        if ((rc = take(&g, c, optarg, argv)) != 0)
            return rc < 0 ? EXIT_OK : rc;
    }
    const mmt_run_opts lo = g.lo;
    if (cli_check_path_arg("--config", lo.cfg_path) ||
        cli_check_path_arg("--topology", lo.topo_path) || cli_check_path_arg("--path", lo.outdir))
        return cli_usage_error(NULL); /* the line is printed */
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    const char *llm_opt = llm_cli_given(&lowering);
    if (lowering && trace_opt) /* --model/--hf-config: a lowering, which writes no trace */
        return cli_usage_error("--%s applies to trace generation, not to --model/--hf-config",
                               trace_opt);
    if (lowering)
        return llm_cli_run(lo.cfg_path, lo.outdir, lo.version);
    if (llm_opt)
        return cli_usage_error("--%s needs --model or --hf-config", llm_opt);
    if (!lo.cfg_path || !lo.topo_path || !lo.outdir)
        return cli_usage_error("-c, -t and -p are required");
    return run_gen(&lo, g.jobs, (int)g.level, g.force);
}
