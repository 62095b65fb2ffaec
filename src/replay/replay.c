/*
 * replay.c - replays the SRAM traces of every layer through the memory model, or runs the
 * fused model (--no-traces), and writes SCALE-Sim's reports, DRAM traces and stall-adjusted
 * SRAM traces.
 *
 * Nothing appears under a final name until every layer has been read, checked and simulated:
 * each layer's six output traces are written under staged names (mmt_temp_path: .mmtrace-tmp.
 * <pid>.<final>) and renamed into place only when all layers have succeeded, and the reports
 * are written last. A bad trace, found however late (a short file is only noticed at its end),
 * therefore leaves the output directory as it was. The stall-adjusted SRAM trace replaces the
 * input .csv.gz only after the input has been read to its end. While the renames run, the run
 * directory holds the incomplete marker (cli.h), removed once everything is on the disk.
 *
 * Console: SCALE-Sim's console text (header, one block per layer, "Run Complete") is printed
 * only after the whole run has succeeded and its files are in place; a failed run prints
 * nothing on stdout. Each layer's block is spooled, as the layer is collected, to an unlinked
 * temporary file in the run directory and copied to stdout at the end.
 *
 * Memory: a layer's result lives in a ring of RING slots only until the collector (which
 * takes layers in order) has appended its report rows (mmt_report_stream) and its console
 * block; a worker more than RING layers ahead of the collector waits. So a run of 2^20 tiny
 * layers holds no result per layer (issue 8 item 10); what stays per layer is its job.
 *
 * Threads: -j N workers take whole layers. Within a layer, three reader threads (feed.c) parse
 * and check the input traces ahead and three writer threads (sink.c) compress the
 * stall-adjusted SRAM traces, while the worker runs the model (which writes the DRAM traces
 * itself). Results are printed in layer order whatever order layers finish in.
 *
 * Input traces: X_SRAM_TRACE.csv.gz (mmtrace-gen, or an earlier replay) is preferred over a
 * plain X_SRAM_TRACE.csv (SCALE-Sim's own) when both exist; the plain file is never removed,
 * and a warning is printed when it is newer than the .csv.gz beside it.
 */
#include <config.h>

#include "cli.h"
#include "feed.h"
#include "replay.h"
#include "sink.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const dram_name[3] = {"IFMAP_DRAM_TRACE.csv", "FILTER_DRAM_TRACE.csv",
                                         "OFMAP_DRAM_TRACE.csv"};
static const char *const op_name[3] = {"ifmap", "filter", "ofmap"};

enum { PENDING = 0, DONE = 1, FAILED = 2, CANCELLED = 3 };

#define PATH_CAP 4400 /* room for rundir (checked < 4096) plus a file name */
#define RING 1024     /* results held between the workers and the collector */

/* One layer: which inputs are plain text, and its state; its result is in run.res. Kept
 * small, as a run may have 2^20 layers (issue 8 item 10): the geometry is recomputed from the
 * topology when needed, and only the first failure's diag is kept, in the run. */
typedef struct job {
    unsigned char plain[3]; /* input SRAM trace is X.csv, not X.csv.gz */
    unsigned char same[3];  /* replay served every row at its input cycle: the input .csv.gz
                               already is the output, so nothing was staged for it */
    unsigned char state;    /* PENDING .. CANCELLED, under run.lock */
} job;

typedef struct run {
    const replay_opts *o;
    mmt_config cfg;
    mmt_topology *topo;
    size_t n;
    char *rundir;
    long pid;
    job *jobs;
    mmt_layer_result *res; /* ring of RING results: layer li in res[li % RING] */
    size_t collected;      /* layers before this one are in the reports (under lock) */
    mmt_report_stream *rep;
    FILE *console;         /* the layers' console blocks, spooled (unlinked file) */
    atomic_size_t next;
    atomic_int stop;
    atomic_llong rows_done;
    int64_t rows_total;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t err_li; /* the failed layer of lowest index so far (n: none), under lock */
    mmt_diag err;  /* its diag */
} run;

/* Geometry of layer li; it was checked by load(), so it cannot fail here. */
static void geom_of(const run *R, size_t li, mmt_geom *g)
{
    mmt_diag d;
    if (mmt_geom_init(g, mmt_topology_layer(R->topo, li), &R->cfg, &d) != 0)
        abort();
}

/* Reads the cfg and topology and checks every layer's geometry. */
static int load(run *R)
{
    mmt_diag d = {0};
    const replay_opts *o = R->o;
    if (mmt_config_read_version(o->cfg_path, o->version, &R->cfg, &d, cli_warn, NULL) != 0 ||
        mmt_topology_read_version(o->topo_path, o->gemm, o->version, &R->topo, &d, cli_warn,
                                  NULL) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    R->n = mmt_topology_count(R->topo);
    R->err_li = R->n;
    R->jobs = calloc(R->n ? R->n : 1, sizeof *R->jobs);
    R->res = calloc(RING, sizeof *R->res);
    size_t len = strlen(o->outdir) + strlen(R->cfg.run_name) + 2;
    R->rundir = malloc(len);
    if (!R->jobs || !R->res || !R->rundir) {
        cli_error("out of memory");
        return -1;
    }
    snprintf(R->rundir, len, "%s/%s", o->outdir, R->cfg.run_name);
    if (len > 4000) {
        cli_error("%s: path too long", R->rundir);
        return -1;
    }
    for (size_t i = 0; i < R->n; i++) {
        mmt_geom g;
        if (mmt_geom_init(&g, mmt_topology_layer(R->topo, i), &R->cfg, &d) != 0 ||
            mmt_sim_check(&R->cfg, &g, mmt_topology_layer(R->topo, i)->line, &d) != 0) {
            snprintf(d.file, sizeof d.file, "%s", o->topo_path);
            cli_print_diag(&d, NULL);
            return -1;
        }
        if (__builtin_add_overflow(R->rows_total, g.rows, &R->rows_total))
            R->rows_total = INT64_MAX; /* progress display only */
        const char *why;
        if (o->engine == MMT_ENGINE_FOLDS &&
            !mmt_sim_folds_ok(&R->cfg, &g, NULL, &why)) {
            long line = mmt_topology_layer(R->topo, i)->line;
            cli_error("%s:%ld: layer %zu: the fold engine cannot run it exactly (%s); use "
                      "--engine=auto or --engine=rows",
                      o->topo_path, line, i, why);
            return -1;
        }
    }
    return 0;
}

/* Modification time of path, or -1 if it does not exist. */
static double mtime_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
}

/* Path of output k of layer li (0..2: SRAM traces, 3..5: DRAM traces); staged adds the
 * suffix the file has until the whole run has succeeded. */
static void out_path(const run *R, size_t li, int k, int staged, char *buf)
{
    const char *name = k < 3 ? mmt_sram_trace_name[k] : dram_name[k - 3];
    snprintf(buf, PATH_CAP, "%s/layer%zu/%s.gz", R->rundir, li, name);
    if (staged) {
        char final[PATH_CAP];
        memcpy(final, buf, PATH_CAP);
        mmt_temp_path(final, R->pid, buf, PATH_CAP); /* fits: rundir is under 4000 bytes */
    }
}

/* Path of the input SRAM trace of operand op of layer li. */
static void in_path(const run *R, size_t li, int op, char *buf)
{
    snprintf(buf, PATH_CAP, "%s/layer%zu/%s%s", R->rundir, li, mmt_sram_trace_name[op],
             R->jobs[li].plain[op] ? "" : ".gz");
}

/* Finds each layer's input traces: .csv.gz preferred, plain .csv otherwise. */
static int find_traces(run *R)
{
    R->pid = (long)getpid();
    for (size_t i = 0; R->o->traces && i < R->n; i++) {
        for (int op = 0; op < 3; op++) {
            char gz[PATH_CAP + 8], plain[PATH_CAP];
            snprintf(plain, sizeof plain, "%s/layer%zu/%s", R->rundir, i, mmt_sram_trace_name[op]);
            snprintf(gz, sizeof gz, "%s.gz", plain);
            double tgz = mtime_of(gz), tplain = mtime_of(plain);
            if (tgz < 0 && tplain < 0) {
                cli_error("%s: no such trace (nor %s); run mmtrace-gen first", gz,
                          cli_basename(plain));
                return -1;
            }
            if (tgz >= 0 && tplain > tgz)
                cli_error("warning: %s is newer than %s; reading the .csv.gz", plain, gz);
            R->jobs[i].plain[op] = tgz < 0;
        }
    }
    return 0;
}



/* Fills d for a failure of the memory model itself. */
static int sim_err(mmt_diag *d, const run *R, size_t li, int64_t row, int err)
{
    snprintf(d->file, sizeof d->file, "%s/layer%zu", R->rundir, li);
    d->line = 0;
    if (row >= 0)
        snprintf(d->message, sizeof d->message, "demand row %" PRId64 ": cannot simulate: %s",
                 row + 1, mmt_strerror(err));
    else
        snprintf(d->message, sizeof d->message, "cannot simulate or write traces: %s",
                 mmt_strerror(err));
    return err;
}

/* Starts the three input feeds of layer li. */
static int start_feeds(const run *R, const mmt_geom *g, char in[3][PATH_CAP], feed *f[3],
                       mmt_diag *d)
{
    int r = 0;
    for (int op = 0; r == 0 && op < 3; op++) {
        feed_spec s = {.path = in[op],
                       .what = op_name[op],
                       .rows = g->rows,
                       .width = mmt_geom_width(g, (mmt_operand)op),
                       .base = op == MMT_OP_OFMAP ? 0 : 1,
                       .any_cycle = op != MMT_OP_OFMAP && R->o->version == MMT_SCALESIM_V3};
        mmt_geom_operand_range(g, (mmt_operand)op, &s.lo, &s.hi);
        r = feed_start(&s, &f[op], d);
    }
    if (r && !d->message[0])
        snprintf(d->message, sizeof d->message, "cannot read the traces: %s", mmt_strerror(r));
    return r;
}

/* Fills d for a trace that cannot be written. */
static int write_err(mmt_diag *d, const char *path, int err)
{
    snprintf(d->file, sizeof d->file, "%s", path);
    d->line = 0;
    snprintf(d->message, sizeof d->message, "cannot write trace: %s", mmt_strerror(err));
    return err;
}

/* Starts the writer of operand op's stall-adjusted SRAM trace once row i is the first whose
 * served cycle differs from its input: the rows before it are copied from the input. */
static int start_sink(run *R, const mmt_geom *g, int op, int64_t i, char in[3][PATH_CAP],
                      char out[6][PATH_CAP], sink *o[3], mmt_diag *d)
{
    int r = sink_start_copy(out[op], R->o->level, mmt_geom_width(g, (mmt_operand)op),
                            i ? in[op] : NULL, i, &o[op]);
    return r ? write_err(d, out[op], r) : 0;
}

/* Feeds every demand row to the model. Rows come from reader threads (feed.c) and go, with
 * their served cycles, to writer threads (sink.c): the stall-adjusted SRAM traces. A gzip
 * input whose rows are all served at their input cycles (no stall, the common case) is left
 * as it is: its writer is only started at the first row that differs. */
static int step_rows(run *R, size_t li, const mmt_geom *g, mmt_sim *sim, feed *f[3],
                     sink *o[3], char in[3][PATH_CAP], char out[6][PATH_CAP], mmt_diag *d)
{
    const int64_t *row[3];
    int64_t served[3], cyc[3], i = 0, rows = g->rows;
    int r = 0;
    for (; r == 0 && i < rows; i++) {
        for (int op = 0; r == 0 && op < 3; op++)
            r = feed_next(f[op], &row[op], &cyc[op], d);
        if (r == 0 && (r = mmt_sim_step(sim, row[0], row[1], row[2], served)) != 0)
            sim_err(d, R, li, i, r);
        for (int op = 0; r == 0 && op < 3; op++) {
            if (!o[op] && served[op] == cyc[op])
                continue; /* still identical to the input */
            if (!o[op] && (r = start_sink(R, g, op, i, in, out, o, d)) != 0)
                break;
            if ((r = sink_put(o[op], served[op], row[op])) != 0)
                write_err(d, out[op], r);
        }
        if ((i & 0xfff) == 0xfff) {
            atomic_fetch_add(&R->rows_done, 0x1000);
            if (atomic_load(&R->stop))
                r = MMT_EINVAL, d->message[0] = '\0';
        }
    }
    atomic_fetch_add(&R->rows_done, i & 0xfff);
    for (int op = 0; r == 0 && op < 3; op++)
        r = feed_end(f[op], d);
    return r;
}

/* Replays one layer's three SRAM traces through mmt_sim_step. The model writes the DRAM
 * traces; the stall-adjusted SRAM traces are written here, each by its own thread. */
static int layer_traces(run *R, size_t li, job *J, mmt_diag *d)
{
    feed *f[3] = {NULL, NULL, NULL};
    sink *o[3] = {NULL, NULL, NULL};
    mmt_sim *sim = NULL;
    mmt_geom g;
    geom_of(R, li, &g);
    char in[3][PATH_CAP], out[6][PATH_CAP];
    mmt_diag spill_diag = {0}; /* names the DRAM trace or spill file that failed (mmtrace.h) */
    mmt_sim_opts so = {.gzip_level = R->o->level, .diag = &spill_diag};
    for (int op = 0; op < 3; op++) {
        in_path(R, li, op, in[op]);
        out_path(R, li, op, 1, out[op]);
        out_path(R, li, 3 + op, 1, out[3 + op]);
        so.dram_trace_path[op] = out[3 + op];
    }
    int r = start_feeds(R, &g, in, f, d);
    for (int op = 0; r == 0 && op < 3; op++)
        if (J->plain[op]) /* a plain input always becomes a new .csv.gz */
            r = start_sink(R, &g, op, 0, in, out, o, d);
    if (r == 0 && (r = mmt_sim_new(&R->cfg, &g, &so, &sim)) != 0)
        sim_err(d, R, li, -1, r);
    if (r == 0)
        r = step_rows(R, li, &g, sim, f, o, in, out, d);
    for (int op = 0; op < 3; op++)
        feed_free(f[op]);
    if (r == 0 && (r = mmt_sim_finish(sim, &R->res[li % RING])) != 0)
        sim_err(d, R, li, -1, r);
    if (r && spill_diag.message[0])
        *d = spill_diag;
    mmt_sim_free(sim);
    for (int op = 0; op < 3; op++) {
        J->same[op] = r == 0 && !o[op];
        if (r == 0 && o[op] && (r = sink_close(o[op])) != 0)
            write_err(d, out[op], r);
        else if (r)
            sink_free(o[op]);
        o[op] = NULL;
    }
    return r;
}

/* Runs one layer with the fused model: no trace is read or written. */
static int layer_fused(run *R, size_t li, mmt_diag *d)
{
    mmt_sim_opts so = {.gzip_level = R->o->level, .engine = R->o->engine};
    mmt_geom g;
    geom_of(R, li, &g);
    int r = mmt_sim_run(&R->cfg, &g, &so, &R->res[li % RING]);
    if (r)
        sim_err(d, R, li, -1, r);
    atomic_fetch_add(&R->rows_done, g.rows);
    return r;
}

/* Worker thread: takes layers in order until none are left or the run has failed. */
static void *worker(void *arg)
{
    run *R = arg;
    for (;;) {
        size_t li = atomic_fetch_add(&R->next, 1);
        if (li >= R->n)
            break;
        pthread_mutex_lock(&R->lock); /* its ring slot must be free */
        while (li >= R->collected + RING && !atomic_load(&R->stop))
            pthread_cond_wait(&R->cond, &R->lock);
        pthread_mutex_unlock(&R->lock);
        job *J = &R->jobs[li];
        mmt_diag d = {0};
        int r = atomic_load(&R->stop) ? MMT_EINVAL
                : R->o->traces        ? layer_traces(R, li, J, &d)
                                      : layer_fused(R, li, &d);
        int cancelled = r != 0 && atomic_load(&R->stop) && !d.message[0];
        if (r && !cancelled)
            atomic_store(&R->stop, 1);
        pthread_mutex_lock(&R->lock);
        J->state = r == 0 ? DONE : cancelled ? CANCELLED : FAILED;
        if (J->state == FAILED && li < R->err_li) {
            R->err_li = li;
            R->err = d;
        }
        pthread_cond_broadcast(&R->cond);
        pthread_mutex_unlock(&R->lock);
    }
    return NULL;
}

/* Prints SCALE-Sim's console header (doc/scalesim-v2.md §1). */
static void print_header(const run *R)
{
    static const char *const df[3] = {"Output Stationary", "Weight Stationary", "Input Stationary"};
    const mmt_config *c = &R->cfg;
    const char *bar = "====================================================";
    printf("%s\n******************* SCALE SIM **********************\n%s\n", bar, bar);
    printf("Array Size: \t%" PRId64 "x%" PRId64 "\n", c->array_h, c->array_w);
    printf("SRAM IFMAP (kB): \t%" PRId64 "\nSRAM Filter (kB): \t%" PRId64
           "\nSRAM OFMAP (kB): \t%" PRId64 "\n",
           c->ifmap_kb, c->filter_kb, c->ofmap_kb);
    printf("Dataflow: \t%s\n", df[c->dataflow]);
    if (c->version == MMT_SCALESIM_V3) /* v3.0.0 renames the line and adds the layout's */
        printf("topology file path: \t%s\nlayout file path: \t%s\n", R->o->topo_path,
               R->o->layout_path ? R->o->layout_path : "./layouts/conv_nets/test.csv");
    else
        printf("CSV file path: \t%s\n", R->o->topo_path);
    if (c->user_bw)
        printf("Bandwidth: \t%" PRId64 "\nWorking in USE USER BANDWIDTH mode.\n", c->bandwidth);
    else
        printf("Working in ESTIMATE BANDWIDTH mode.\n");
    printf("%s\n", bar);
}

/* Spools one layer's console block (its result is in the ring). */
static int print_layer(const run *R, size_t li)
{
    char buf[4096];
    int n = mmt_report_console_version(buf, sizeof buf, &R->res[li % RING], R->cfg.version);
    if (n < 0) {
        cli_error("layer %zu: cannot format the console summary: %s", li, mmt_strerror(n));
        return -1;
    }
    if (R->o->verbose && !R->o->traces) { /* which engine ran the layer, and why */
        const char *why = "--engine=rows";
        mmt_geom g;
        geom_of(R, li, &g);
        int folds = R->o->engine != MMT_ENGINE_ROWS && mmt_sim_folds_ok(&R->cfg, &g, NULL, &why);
        fprintf(stderr, "%s: layer %zu: %s engine%s%s%s\n", cli_progname, li,
                folds ? "fold" : "row", folds ? "" : " (", folds ? "" : why, folds ? "" : ")");
    }
    FILE *f = R->console;
    fprintf(f, "\nRunning Layer %zu\n%.*s", li, n, buf);
    if (n > 0 && buf[n - 1] != '\n')
        putc('\n', f);
    if (R->o->traces || R->cfg.version == MMT_SCALESIM_V3) /* v3.0.0: always */
        fprintf(f, "Saving traces: Done!\n");
    if (ferror(f)) {
        cli_error("%s: cannot spool the console text: %s", R->rundir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens the console spool: an unlinked temporary in the run directory. */
static int open_console(run *R)
{
    char path[PATH_CAP], tmp[PATH_CAP];
    snprintf(path, sizeof path, "%s/console", R->rundir);
    mmt_temp_path(path, R->pid, tmp, sizeof tmp);
    if (strlen(tmp) + 7 < sizeof tmp)
        strcat(tmp, ".XXXXXX");
    int fd = mkstemp(tmp);
    if (fd >= 0)
        unlink(tmp);
    if (fd < 0 || !(R->console = fdopen(fd, "w+"))) {
        cli_error("%s: cannot create: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return 0;
}

/* Hands collected layer li to the reports and the console spool, freeing its ring slot. */
static int take_layer(run *R, size_t li)
{
    mmt_diag d = {0};
    if (mmt_report_stream_add(R->rep, &R->res[li % RING], &d) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    if (print_layer(R, li) != 0)
        return -1;
    pthread_mutex_lock(&R->lock);
    R->collected = li + 1;
    pthread_cond_broadcast(&R->cond);
    pthread_mutex_unlock(&R->lock);
    return 0;
}

/* Prints SCALE-Sim's whole console text, once the run has succeeded. */
static int print_console(const run *R)
{
    print_header(R);
    char buf[1 << 16];
    size_t got;
    if (fflush(R->console) != 0 || fseek(R->console, 0, SEEK_SET) != 0) {
        cli_error("%s: cannot read the spooled console text: %s", R->rundir, strerror(errno));
        return -1;
    }
    while ((got = fread(buf, 1, sizeof buf, R->console)) > 0)
        fwrite(buf, 1, got, stdout);
    if (ferror(R->console)) {
        cli_error("%s: cannot read the spooled console text: %s", R->rundir, strerror(errno));
        return -1;
    }
    printf("************ SCALE SIM Run Complete ****************\n");
    return cli_flush_stdout();
}

/* Shows rows done on stderr (terminal only). Called with the lock held. */
static void show_progress(run *R, int tty)
{
    if (!tty)
        return;
    long long done = atomic_load(&R->rows_done);
    fprintf(stderr, "\r%s: %lld / %lld demand rows (%.0f%%)", cli_progname, done,
            (long long)R->rows_total, R->rows_total ? 100.0 * done / R->rows_total : 100.0);
}

/* Waits for each layer in order; returns 0 if all succeeded. */
static int collect(run *R)
{
    int tty = isatty(STDERR_FILENO), bad = 0;
    for (size_t li = 0; li < R->n && !bad; li++) {
        pthread_mutex_lock(&R->lock);
        while (R->jobs[li].state == PENDING) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000 * 1000;
            ts.tv_sec += ts.tv_nsec / 1000000000;
            ts.tv_nsec %= 1000000000;
            pthread_cond_timedwait(&R->cond, &R->lock, &ts);
            show_progress(R, tty);
        }
        int state = R->jobs[li].state;
        pthread_mutex_unlock(&R->lock);
        bad = state != DONE;
        if (!bad && take_layer(R, li) != 0)
            bad = 2; /* its own message is out */
    }
    if (tty)
        fprintf(stderr, "\r\033[K");
    if (bad) {
        pthread_mutex_lock(&R->lock);
        atomic_store(&R->stop, 1);
        pthread_cond_broadcast(&R->cond); /* wakes workers waiting for a ring slot */
        pthread_mutex_unlock(&R->lock);
    }
    return bad == 2 ? -2 : bad ? -1 : 0;
}

/* Prints the error of the first failed layer (after all workers have stopped). */
static void print_failure(const run *R)
{
    if (R->err_li < R->n)
        cli_print_diag(&R->err, NULL);
}

/* Removes every staged output. */
static void discard_staged(const run *R)
{
    char path[PATH_CAP];
    for (size_t li = 0; R->o->traces && li < R->n; li++)
        for (int k = 0; k < 6; k++) {
            out_path(R, li, k, 1, path);
            unlink(path);
        }
}

/* Flushes every layer folder, so the renames into it survive a power loss. */
static int sync_layers(const run *R)
{
    char path[PATH_CAP];
    for (size_t li = 0; R->o->traces && li < R->n; li++) {
        snprintf(path, sizeof path, "%s/layer%zu", R->rundir, li);
        if (cli_fsync_dir(path) != 0) {
            cli_error("%s: cannot flush to the disk: %s", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Moves the staged traces to their final names, then writes the reports; the run directory
 * is marked incomplete from the first rename until all is on the disk. */
static int publish(run *R)
{
    if (cli_mark_incomplete(R->rundir, R->o->traces ? CLI_RUN_REPLAY : CLI_RUN_FUSED) != 0)
        return -1;
    for (size_t li = 0; R->o->traces && li < R->n; li++)
        for (int k = 0; k < 6; k++) {
            char staged[PATH_CAP], final[PATH_CAP];
            if (k < 3 && R->jobs[li].same[k])
                continue; /* the input trace already is the output */
            out_path(R, li, k, 1, staged);
            out_path(R, li, k, 0, final);
            if (rename(staged, final) != 0) {
                cli_error("%s: cannot rename to %s: %s", staged, final, strerror(errno));
                return -1;
            }
            cli_test_kill_point();
        }
    if (sync_layers(R) != 0)
        return -1;
    mmt_diag d = {0};
    int r = mmt_report_stream_commit(R->rep, &d);
    R->rep = NULL;
    if (r) {
        if (!d.message[0])
            snprintf(d.message, sizeof d.message, "cannot write the reports: %s", mmt_strerror(r));
        if (!d.file[0])
            snprintf(d.file, sizeof d.file, "%s", R->rundir);
        cli_print_diag(&d, NULL);
        return -1;
    }
    return cli_mark_complete(R->rundir);
}

/* Starts the workers, prints layers as they finish, and joins. */
static int execute(run *R)
{
    pthread_t th[256];
    long jobs = R->o->jobs;
    if ((size_t)jobs > R->n)
        jobs = (long)R->n;
    long started = 0;
    for (; started < jobs; started++)
        if (pthread_create(&th[started], NULL, worker, R) != 0)
            break;
    if (started == 0 && R->n > 0) {
        cli_error("cannot start a worker thread");
        return -1;
    }
    int r = collect(R);
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (r == -1)
        print_failure(R);
    return r ? -1 : 0;
}

/* Locks the run directory against other runs, removes what a killed run left, and refuses a
 * directory an interrupted run left incomplete unless this run rewrites all of it. A missing
 * directory is left to find_traces to report. */
static int lock_rundir(const run *R)
{
    struct stat st;
    if (stat(R->rundir, &st) != 0 && errno == ENOENT)
        return 0;
    if (cli_lock_dir(R->rundir) != 0)
        return -1;
    cli_clean_stale(R->rundir);
    return cli_check_complete(R->rundir, R->o->traces ? CLI_RUN_REPLAY : CLI_RUN_FUSED);
}

/* Refuses a CALC SRAM so large that its first DRAM prefetch block alone is over
 * MMT_MAX_CALC_BLOCK_ROWS rows (mmtrace.h); the first layer names the topology line. */
static int check_calc_blocks(const run *R)
{
    static const char *const key[2] = {"IfmapSramSzkB", "FilterSramSzkB"};
    const int64_t kb[2] = {R->cfg.ifmap_kb, R->cfg.filter_kb};
    for (int op = 0; op < 2 && R->n > 0; op++) {
        int64_t rows;
        if (mmt_sim_dram_rows_min(&R->cfg, (mmt_operand)op, &rows) == 0 &&
            rows > MMT_MAX_CALC_BLOCK_ROWS) {
            cli_error("%s:%ld: layer 0: %s = %" PRId64 " (%s) makes one CALC prefetch block "
                      "of its %s DRAM trace %" PRId64 " rows, more than %" PRId64
                      "; use a smaller SRAM or --no-traces",
                      R->o->topo_path, mmt_topology_layer(R->topo, 0)->line, key[op], kb[op],
                      R->o->cfg_path, op ? "FILTER" : "IFMAP", rows, MMT_MAX_CALC_BLOCK_ROWS);
            return -1;
        }
    }
    return 0;
}

/* Refuses a replay whose traces may not fit on the disk, unless --force (README "Limits"):
 * the stall-adjusted SRAM traces and the DRAM traces are estimated like mmtrace-gen's. */
static int check_size(const run *R)
{
    uint64_t text = 0, spill = 0;
    if (R->o->traces && check_calc_blocks(R) != 0)
        return -1;
    for (size_t i = 0; R->o->traces && i < R->n; i++) {
        mmt_geom g;
        geom_of(R, i, &g);
        /* A CALC layer's spill files (sim.c, beside the DRAM traces while the layer runs)
         * hold every filter element at least once, 8 bytes each, uncompressed. */
        uint64_t kn;
        if (!R->cfg.user_bw &&
            !__builtin_mul_overflow((uint64_t)g.K, (uint64_t)g.N, &kn) &&
            kn < UINT64_MAX / (8 * CLI_BEST_RATIO) && kn * 8 > spill)
            spill = kn * 8;
        for (int op = 0; op < 3; op++) {
            int64_t e = cli_trace_text_estimate(g.rows, mmt_geom_width(&g, (mmt_operand)op));
            if (e < 0 || __builtin_add_overflow(text, (uint64_t)e, &text) || text > INT64_MAX) {
                cli_error("%s:%ld: the trace text (%" PRId64 " rows x 3 bytes per field) "
                          "overflows 64 bits",
                          R->o->topo_path, mmt_topology_layer(R->topo, i)->line, g.rows);
                return -1;
            }
        }
    }
    /* The spill is uncompressed: count it as text the estimate divides by CLI_BEST_RATIO. */
    if (__builtin_add_overflow(text, spill * CLI_BEST_RATIO, &text))
        text = UINT64_MAX;
    return text ? cli_check_space(R->o->outdir, text, R->o->force) : 0;
}

int replay_run(const replay_opts *o, char **rundir)
{
    run R = {.o = o};
    pthread_mutex_init(&R.lock, NULL);
    pthread_cond_init(&R.cond, NULL);
    int rc = EXIT_ERR;
    if (load(&R) != 0 || check_size(&R) != 0)
        goto out;
    if (!o->traces && cli_mkdirs(R.rundir) != 0) {
        cli_error("%s: cannot create directory: %s", R.rundir, strerror(errno));
        goto out;
    }
    if (lock_rundir(&R) != 0 || find_traces(&R) != 0)
        goto out;
    /* The bytes report only with a [precision] section, so that a plain SCALE-Sim config
     * gives exactly SCALE-Sim's run directory. */
    mmt_diag d = {0};
    if (mmt_report_stream_open(R.rundir, o->version, R.cfg.has_precision ? &R.cfg : NULL,
                               &R.rep, &d) != 0) {
        cli_print_diag(&d, NULL);
        goto out;
    }
    if (open_console(&R) != 0)
        goto out;
    if (execute(&R) != 0 || publish(&R) != 0) {
        discard_staged(&R);
        goto out;
    }
    if (print_console(&R) != 0)
        goto out;
    rc = EXIT_OK;
    if (rundir) {
        *rundir = R.rundir;
        R.rundir = NULL;
    }
out:
    mmt_report_stream_free(R.rep);
    if (R.console)
        fclose(R.console);
    free(R.rundir);
    free(R.jobs);
    free(R.res);
    mmt_topology_free(R.topo);
    pthread_cond_destroy(&R.cond);
    pthread_mutex_destroy(&R.lock);
    return rc;
}
