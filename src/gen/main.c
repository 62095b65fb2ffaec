/*
 * mmtrace-gen - writes SCALE-Sim v2's SRAM traces for every layer of a topology.
 *
 * Usage follows SCALE-Sim's scale.py: -c CFG -t TOPO -p OUTDIR [-i gemm|conv]. Every input is
 * read and every layer checked before the first file is written, so bad input leaves nothing
 * behind. Each (layer, operand) trace is an independent job; -j N runs N of them at once.
 */
#include <config.h>

#include "cli.h"
#include "llm_cli.h"
#include "mmtrace.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct run {
    const mmt_config *cfg;
    mmt_geom *geoms;
    size_t nlayers;
    char *rundir;
    int level;
    int force; /* --force: go on when the traces may not fit on the disk */
    atomic_size_t next_job;
    atomic_int failed;
    atomic_llong rows_done;
    int64_t rows_total;
    uint64_t *bytes; /* per job */
    pthread_mutex_t lock;
    mmt_diag err;
} run;

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
            "in which nothing stalls. Progress goes to stderr when it is a terminal.\n"
            "Exit status: 0 ok, 1 error, 2 usage error.\n");
    llm_cli_usage(f);
}

/* Adds finished rows to the shared counter (called from worker threads). */
static void on_progress(void *ud, int64_t rows)
{
    run *R = ud;
    atomic_fetch_add(&R->rows_done, rows);
}

/* Records the first failure of any job: the library's diagnostic. */
static void fail(run *R, const mmt_diag *d)
{
    pthread_mutex_lock(&R->lock);
    if (!atomic_load(&R->failed)) {
        R->err = *d;
        atomic_store(&R->failed, 1);
    }
    pthread_mutex_unlock(&R->lock);
}

/* Worker: takes (layer, operand) jobs until none are left or one has failed. */
static void *worker(void *arg)
{
    run *R = arg;
    size_t njobs = R->nlayers * 3;
    for (;;) {
        size_t j = atomic_fetch_add(&R->next_job, 1);
        if (j >= njobs || atomic_load(&R->failed))
            break;
        size_t layer = j / 3;
        mmt_operand op = (mmt_operand)(j % 3);
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/layer%zu", R->rundir, layer);
        mmt_diag d = {0};
        if (mmt_gen_trace(&R->geoms[layer], op, dir, R->level, &R->bytes[j], on_progress, R,
                          &d) != 0)
            fail(R, &d);
    }
    return NULL;
}

/* Reads the inputs and checks every layer before anything is written. */
static int load(const char *cfgp, const char *topop, int gemm, mmt_scalesim ver,
                mmt_config *cfg, mmt_topology **topo, mmt_geom **geoms)
{
    mmt_diag d = {0};
    if (mmt_config_read_version(cfgp, ver, cfg, &d, cli_warn, NULL) != 0 ||
        mmt_topology_read_version(topop, gemm, ver, topo, &d, cli_warn, NULL) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    size_t n = mmt_topology_count(*topo);
    *geoms = calloc(n, sizeof **geoms);
    if (!*geoms) {
        cli_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const mmt_layer *l = mmt_topology_layer(*topo, i);
        if (mmt_geom_init(&(*geoms)[i], l, cfg, &d) != 0) {
            snprintf(d.file, sizeof d.file, "%s", topop);
            cli_print_diag(&d, NULL);
            return -1;
        }
    }
    return 0;
}

/* Refuses inputs whose copies in the run directory would be wrong: two inputs with one name
 * (one copy would overwrite the other), or a name the run itself uses. Before anything is
 * written. (A pipe or device, whose copy would be empty, the readers refuse already.) */
static int check_inputs(const char *cfgp, const char *topop)
{
    const char *src[2] = {cfgp, topop};
    for (int i = 0; i < 2; i++) {
        const char *b = cli_basename(src[i]);
        size_t n = strlen(b);
        if (!strcmp(b, ".mmtrace.lock") || !strncmp(b, ".mmtrace-", 9) || !strcmp(b, ".") ||
            !strcmp(b, "..") || !n ||
            (!strncmp(b, "layer", 5) && n > 5 && strspn(b + 5, "0123456789") == n - 5) ||
            !strcmp(b, "COMPUTE_REPORT.csv") || !strcmp(b, "BANDWIDTH_REPORT.csv") ||
            !strcmp(b, "DETAILED_ACCESS_REPORT.csv")) {
            cli_error("%s: the run directory uses the name '%s' itself; rename the file", src[i], b);
            return -1;
        }
    }
    if (!strcmp(cli_basename(cfgp), cli_basename(topop))) {
        cli_error("%s: the cfg and the topology have the same file name '%s', and their copies "
                  "in the run directory would overwrite each other; rename one",
                  topop, cli_basename(topop));
        return -1;
    }
    return 0;
}

/* Makes OUTDIR/<run_name>/layer<i>/ and copies the inputs beside the reports. The run
 * directory is marked incomplete (cli.h) before anything in it changes. */
static int prepare_dirs(const char *outdir, const mmt_config *cfg, const char *cfgp,
                        const char *topop, size_t nlayers, char **rundir)
{
    size_t n = strlen(outdir) + strlen(cfg->run_name) + 2;
    *rundir = malloc(n);
    if (!*rundir)
        return -1;
    snprintf(*rundir, n, "%s/%s", outdir, cfg->run_name);
    if (cli_mkdirs(*rundir) != 0) {
        cli_error("%s: cannot create directory: %s", *rundir, strerror(errno));
        return -1;
    }
    if (cli_lock_dir(*rundir) != 0)
        return -1;
    cli_clean_stale(*rundir); /* temporaries of a killed run; ours are not made yet */
    if (cli_mark_incomplete(*rundir, CLI_RUN_GEN) != 0)
        return -1;
    char path[4400];
    for (size_t i = 0; i < nlayers; i++) {
        snprintf(path, sizeof path, "%s/layer%zu", *rundir, i);
        if (cli_mkdirs(path) != 0) {
            cli_error("%s: cannot create directory: %s", path, strerror(errno));
            return -1;
        }
    }
    const char *src[2] = {cfgp, topop};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", *rundir, cli_basename(src[i]));
        if (cli_copy_input(src[i], path, 1) != 0)
            return -1;
    }
    return 0;
}

/* Refuses a run whose traces overflow 64 bits, or may not fit on the disk (unless --force):
 * the check of README "Limits", before anything is written. */
static int check_size(const run *R, const mmt_topology *topo, const char *topop,
                      const char *outdir)
{
    uint64_t text = 0;
    for (size_t i = 0; i < R->nlayers; i++) {
        const mmt_geom *g = &R->geoms[i];
        for (int op = 0; op < 3; op++) {
            int64_t est = cli_trace_text_estimate(g->rows, mmt_geom_width(g, (mmt_operand)op));
            if (est < 0 || __builtin_add_overflow(text, (uint64_t)est, &text) ||
                text > INT64_MAX) {
                cli_error("%s:%ld: the trace text (%" PRId64 " rows x 3 bytes per field) "
                          "overflows 64 bits",
                          topop, mmt_topology_layer(topo, i)->line, g->rows);
                return -1;
            }
        }
    }
    if (cli_check_space(outdir, text, R->force) != 0)
        return -1;
    /* Inodes: per new layer its folder and three traces; the run folder, the two copies, the
     * lock and the marker. A layer folder that exists already needs none. */
    char *rd = malloc(strlen(outdir) + strlen(R->cfg->run_name) + 16);
    if (!rd)
        return cli_error("out of memory"), -1;
    sprintf(rd, "%s/%s", outdir, R->cfg->run_name);
    struct stat st;
    int exists = stat(rd, &st) == 0;
    uint64_t files = exists ? 4 : 5;
    for (size_t i = 0; i < R->nlayers; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/layer%zu", rd, i);
        files += exists && stat(path, &st) == 0 ? 0 : 4;
    }
    free(rd);
    return cli_check_inodes(outdir, files, R->force);
}

/* Shows rows done on stderr until the workers finish (terminal only). */
static void show_progress(run *R, pthread_t *th, long jobs)
{
    int tty = isatty(STDERR_FILENO);
    while (tty) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
        long long done = atomic_load(&R->rows_done);
        fprintf(stderr, "\r%s: %lld / %lld trace rows (%.0f%%)", cli_progname, done,
                (long long)R->rows_total, R->rows_total ? 100.0 * done / R->rows_total : 100.0);
        if (done >= R->rows_total || atomic_load(&R->failed))
            break;
    }
    for (long i = 0; i < jobs; i++)
        pthread_join(th[i], NULL);
    if (tty)
        fputc('\n', stderr);
}

/* Flushes every layer folder and removes the run's incomplete marker. */
static int finish(const run *R)
{
    char path[4200];
    for (size_t i = 0; i < R->nlayers; i++) {
        snprintf(path, sizeof path, "%s/layer%zu", R->rundir, i);
        if (cli_fsync_dir(path) != 0) {
            cli_error("%s: cannot flush to the disk: %s", path, strerror(errno));
            return -1;
        }
    }
    return cli_mark_complete(R->rundir);
}

/* Runs all jobs on `jobs` threads; when all have succeeded and the run is complete on the
 * disk, prints one line per layer (nothing on stdout otherwise). */
static int generate(run *R, long jobs)
{
    pthread_t th[256];
    if ((size_t)jobs > R->nlayers * 3)
        jobs = (long)(R->nlayers * 3);
    long started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&th[started], NULL, worker, R) != 0)
            break;
    if (started == 0) {
        cli_error("cannot start a worker thread");
        return -1;
    }
    show_progress(R, th, started);
    if (atomic_load(&R->failed)) {
        cli_print_diag(&R->err, NULL);
        return -1;
    }
    if (finish(R) != 0)
        return -1;
    for (size_t i = 0; i < R->nlayers; i++) {
        const mmt_geom *g = &R->geoms[i];
        printf("layer%zu: %s %" PRId64 "x%" PRId64 ", %" PRId64 " folds, %" PRId64
               " rows, %" PRIu64 " bytes of trace text\n",
               i, mmt_dataflow_name(g->df), g->R, g->C, g->folds, g->rows,
               R->bytes[3 * i] + R->bytes[3 * i + 1] + R->bytes[3 * i + 2]);
    }
    return cli_flush_stdout();
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"topology", required_argument, NULL, 't'},
        {"path", required_argument, NULL, 'p'},    {"input-type", required_argument, NULL, 'i'},
        {"jobs", required_argument, NULL, 'j'},    {"gzip-level", required_argument, NULL, 'z'},
        {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
        {"force", no_argument, NULL, 'f'},         {"scalesim", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0}};
    const char *cfgp = NULL, *topop = NULL, *outdir = NULL;
    int gemm = 0, force = 0, c;
    mmt_scalesim ver = MMT_SCALESIM_V2;
    long jobs = 1, level = 1;
    cli_progname = "mmtrace-gen";
    cli_init_malloc();
    if (llm_cli_wanted(argc, argv)) /* --model/--hf-config: the LLM front end (llm_cli.c) */
        return llm_cli_main(argc, argv);
    opterr = 0; /* cli_bad_option prints one line and the hint */
    while ((c = getopt_long(argc, argv, ":c:t:p:i:j:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cfgp = optarg; break;
        case 't': topop = optarg; break;
        case 'p': outdir = optarg; break;
        case 'i':
            if (strcmp(optarg, "gemm") && strcmp(optarg, "conv")) {
                cli_error("--input-type: expected gemm or conv, got '%s'", optarg);
                return EXIT_USAGE;
            }
            gemm = !strcmp(optarg, "gemm");
            break;
        case 'j':
            if (cli_parse_long("--jobs", optarg, 1, 256, &jobs))
                return EXIT_USAGE;
            break;
        case 'z':
            if (cli_parse_long("--gzip-level", optarg, 0, 9, &level))
                return EXIT_USAGE;
            break;
        case 'f': force = 1; break;
        case 'S':
            if (cli_parse_scalesim(optarg, &ver))
                return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        case 'V': printf("mmtrace-gen (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return EXIT_OK;
        default: cli_bad_option(argv, c); return EXIT_USAGE;
        }
    }
    if (cli_check_path_arg("--config", cfgp) || cli_check_path_arg("--topology", topop) ||
        cli_check_path_arg("--path", outdir)) {
        fprintf(stderr, "Try 'mmtrace-gen --help' for more information.\n");
        return EXIT_USAGE;
    }
    if (optind < argc || !cfgp || !topop || !outdir) {
        cli_error(optind < argc ? "unexpected argument '%s'" : "-c, -t and -p are required%s",
                  optind < argc ? argv[optind] : "");
        fprintf(stderr, "Try 'mmtrace-gen --help' for more information.\n");
        return EXIT_USAGE;
    }
    mmt_config cfg;
    mmt_topology *topo = NULL;
    mmt_geom *geoms = NULL;
    run R = {.cfg = &cfg, .level = (int)level, .force = force};
    pthread_mutex_init(&R.lock, NULL);
    int rc = EXIT_ERR;
    if (load(cfgp, topop, gemm, ver, &cfg, &topo, &geoms) == 0 && check_inputs(cfgp, topop) == 0) {
        R.geoms = geoms;
        R.nlayers = mmt_topology_count(topo);
        R.bytes = calloc(R.nlayers * 3, sizeof *R.bytes);
        int ok = R.bytes && check_size(&R, topo, topop, outdir) == 0;
        if (!R.bytes)
            cli_error("out of memory");
        for (size_t i = 0; ok && i < R.nlayers; i++) /* below the text size: no overflow */
            R.rows_total += 3 * geoms[i].rows;
        if (ok && prepare_dirs(outdir, &cfg, cfgp, topop, R.nlayers, &R.rundir) == 0 &&
            generate(&R, jobs) == 0)
            rc = EXIT_OK;
    }
    free(R.bytes);
    free(R.rundir);
    free(geoms);
    mmt_topology_free(topo);
    return rc;
}
