/*
 * replay_engine.c - replays the SRAM traces of every layer of a run through the memory model,
 * or runs the fused model (traces 0), and writes SCALE-Sim's reports, DRAM traces and
 * stall-adjusted SRAM traces: the only writer of a replay's outputs (mmtrace.h, mmt_replay).
 *
 * Nothing appears under a final name until every layer has been read, checked and simulated:
 * each layer's six output traces are written under staged names (mmt_temp_path: .mmtrace-tmp.
 * <pid>.<final>) and renamed into place only when all layers have succeeded, and the reports
 * are written last. A bad trace, found however late (a short file is only noticed at its end),
 * therefore leaves the output directory as it was. The stall-adjusted SRAM trace replaces the
 * input .csv.gz only after the input has been read to its end. While the renames run, the run
 * directory holds the incomplete marker (mmt_rundir_mark_incomplete), removed once everything
 * is on the disk.
 *
 * Memory: a layer's result lives in a ring of RING slots only until the collector has taken
 * it: layers are collected in order, by whichever worker finds the next one done, which
 * appends its report rows (mmt_report_stream) and spools its console block to an unlinked
 * temporary file in the run directory (mmt_replay_console copies it out after success). A
 * worker more than RING layers ahead of the collector waits for its slot. So a run of 2^20
 * tiny layers holds no result per layer (issue 8 item 10), and the fused path allocates
 * nothing per layer; what stays per layer is its job (7 bytes).
 *
 * Threads: mmt_pool_run's workers take whole layers. Within a layer, three reader threads
 * (replay_feed.c) parse and check the input traces ahead and three writer threads
 * (replay_sink.c) compress the stall-adjusted SRAM traces, while the worker runs the model
 * (which writes the DRAM traces itself).
 *
 * Input traces: X_SRAM_TRACE.csv.gz (mmtrace-gen, or an earlier replay) is preferred over a
 * plain X_SRAM_TRACE.csv (SCALE-Sim's own) when both exist; the plain file is never removed,
 * and a warning is given when it is newer than the .csv.gz beside it.
 */
#include "internal.h"
#include "replay_internal.h"

#include "mmtrace_dram_layer.h"
#include "sim_internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const op_name[3] = {"ifmap", "filter", "ofmap"};

#define PATH_CAP 4400 /* room for rundir (checked < 4000) plus a file name */
#define RING 1024     /* results held between the workers and the collector */

/* One layer's inputs and outputs. Kept small, as a run may have 2^20 layers (issue 8 item
 * 10): the geometry is recomputed from the run when needed, and only the first failure's
 * diag is kept, in the replay. */
typedef struct job {
    unsigned char plain[3]; /* input SRAM trace is X.csv, not X.csv.gz */
    unsigned char same[3];  /* replay served every row at its input cycle: the input .csv.gz
                               already is the output, so nothing was staged for it */
    unsigned char done;     /* simulated, its result in the ring (under lock) */
} job;

struct mmt_replay {
    const mmt_run *run;
    mmt_replay_opts o;
    const mmt_config *cfg;
    const char *rundir;
    size_t n;
    long pid;
    job *jobs;
    mmt_layer_result *res; /* ring of RING results: layer li in res[li % RING] */
    mmt_dram_layer_result *drows; /* stream policy with Dram: DRAM_TIMING_REPORT.csv rows */
    int bounds;                   /* a [memory] policy: BOUNDS_REPORT.csv (doc/memory.md) */
    mmt__buf btext;               /* its text so far */
    mmt_report_stream *rep;
    FILE *console;     /* the layers' console blocks, spooled (unlinked file) */
    atomic_int stop;
    atomic_llong rows_done;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* collected moved, or stop: a worker may take its ring slot */
    size_t collected;    /* layers before it are in the reports and the spool (under lock) */
    int collecting;      /* a worker is collecting (under lock) */
    size_t err_li; /* the failed layer of lowest index so far (n: none), under lock */
    mmt_diag err;  /* its diag */
};

/* Path of output k of layer li (0..2: SRAM traces, 3..5: DRAM traces); staged adds the
 * prefix the file has until the whole run has succeeded. */
static void out_path(const mmt_replay *R, size_t li, int k, int staged, char *buf)
{
    snprintf(buf, PATH_CAP, "%s/layer%zu/%s.gz", R->rundir, li, mmt_output_name((mmt_output)k));
    if (staged) {
        char final[PATH_CAP];
        memcpy(final, buf, PATH_CAP);
        mmt_temp_path(final, R->pid, buf, PATH_CAP); /* fits: rundir is under 4000 bytes */
    }
}

/* Path of the input SRAM trace of operand op of layer li. */
static void in_path(const mmt_replay *R, size_t li, int op, char *buf)
{
    snprintf(buf, PATH_CAP, "%s/layer%zu/%s%s", R->rundir, li, mmt_output_name((mmt_output)op),
             R->jobs[li].plain[op] ? "" : ".gz");
}

/* Modification time of path, or -1 if it does not exist. */
static double mtime_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec * 1e-9;
}

/* Finds each layer's input traces: .csv.gz preferred, plain .csv otherwise. */
static int find_traces(mmt_replay *R, mmt_diag *d)
{
    for (size_t i = 0; R->o.traces && i < R->n; i++) {
        for (int op = 0; op < 3; op++) {
            char gz[PATH_CAP + 8], plain[PATH_CAP];
            const char *name = mmt_output_name((mmt_output)op);
            snprintf(plain, sizeof plain, "%s/layer%zu/%s", R->rundir, i, name);
            snprintf(gz, sizeof gz, "%s.gz", plain);
            double tgz = mtime_of(gz), tplain = mtime_of(plain);
            if (tgz < 0 && tplain < 0)
                return mmt__diag(d, MMT_EIO, gz, 0, "no such trace (nor %s); run mmtrace-gen first",
                                 name);
            if (tgz >= 0 && tplain > tgz)
                mmt__warn(R->o.warn, R->o.warn_ud, "", 0,
                          "%s is newer than %s; reading the .csv.gz", plain, gz);
            R->jobs[i].plain[op] = tgz < 0;
        }
    }
    return 0;
}

/* Fills d for a failure of the memory model itself. A failed write of a DRAM trace or spill
 * file is named by the model's own diag instead (layer_traces); its code says why. */
static int sim_err(mmt_diag *d, const mmt_replay *R, size_t li, int64_t row, int err)
{
    char dir[PATH_CAP];
    snprintf(dir, sizeof dir, "%s/layer%zu", R->rundir, li);
    if (row >= 0)
        return mmt__diag(d, err, dir, 0, "demand row %" PRId64 ": cannot simulate: %s", row + 1,
                         mmt_strerror(err));
    return mmt__diag(d, err, dir, 0, "cannot simulate or write traces: %s", mmt_strerror(err));
}

/* Fills d for a trace that cannot be written: the writer's code (mmt_err_from_sys for a
 * failed system call, e.g. MMT_ENOSPC) says why. */
static int write_err(mmt_diag *d, const char *path, int err)
{
    return mmt__diag(d, err, path, 0, "cannot write trace: %s", mmt_strerror(err));
}

/* One layer on the trace path: its geometry, inputs, staged outputs, feeds and sinks. */
typedef struct layer {
    mmt_replay *R;
    size_t li;
    mmt_geom g;
    char in[3][PATH_CAP], out[6][PATH_CAP];
    mmt__feed *f[3];
    mmt__sink *o[3];
} layer;

/* Starts the three input feeds of the layer. */
static int start_feeds(layer *L, mmt_diag *d)
{
    int r = 0;
    for (int op = 0; r == 0 && op < 3; op++) {
        mmt__feed_spec s = {.path = L->in[op],
                            .what = op_name[op],
                            .rows = L->g.rows,
                            .width = mmt_geom_width(&L->g, (mmt_operand)op),
                            .base = op == MMT_OP_OFMAP ? 0 : 1,
                            .any_cycle =
                                op != MMT_OP_OFMAP && L->R->cfg->version == MMT_SCALESIM_V3};
        mmt_geom_operand_range(&L->g, (mmt_operand)op, &s.lo, &s.hi);
        r = mmt__feed_start(&s, &L->f[op], d);
    }
    if (r && !d->message[0])
        snprintf(d->message, sizeof d->message, "cannot read the traces: %s", mmt_strerror(r));
    return r;
}

/* Starts the writer of operand op's stall-adjusted SRAM trace once row i is the first whose
 * served cycle differs from its input: the rows before it are copied from the input. */
static int start_sink(layer *L, int op, int64_t i, mmt_diag *d)
{
    int r = mmt__sink_start_copy(L->out[op], L->R->o.level, mmt_geom_width(&L->g, (mmt_operand)op),
                                 i ? L->in[op] : NULL, i, &L->o[op]);
    return r ? write_err(d, L->out[op], r) : 0;
}

/* Hands row i's served cycles to the writers; a writer starts at its first changed row. */
static int put_row(layer *L, int64_t i, const int64_t *const row[3], const int64_t served[3],
                   const int64_t cyc[3], mmt_diag *d)
{
    int r = 0;
    for (int op = 0; r == 0 && op < 3; op++) {
        if (!L->o[op] && served[op] == cyc[op])
            continue; /* still identical to the input */
        if (!L->o[op] && (r = start_sink(L, op, i, d)) != 0)
            break;
        if ((r = mmt__sink_put(L->o[op], served[op], row[op])) != 0)
            write_err(d, L->out[op], r);
    }
    return r;
}

/* Feeds every demand row to the model. Rows come from reader threads and go, with their
 * served cycles, to writer threads: the stall-adjusted SRAM traces. A gzip input whose rows
 * are all served at their input cycles (no stall, the common case) is left as it is: its
 * writer is only started at the first row that differs. */
static int step_rows(layer *L, mmt_sim *sim, mmt_diag *d)
{
    const int64_t *row[3];
    int64_t served[3], cyc[3], i = 0, rows = L->g.rows;
    int r = 0;
    for (; r == 0 && i < rows; i++) {
        for (int op = 0; r == 0 && op < 3; op++)
            r = mmt__feed_next(L->f[op], &row[op], &cyc[op], d);
        if (r == 0 && (r = mmt_sim_step(sim, row[0], row[1], row[2], served)) != 0)
            sim_err(d, L->R, L->li, i, r);
        if (r == 0)
            r = put_row(L, i, row, served, cyc, d);
        if ((i & 0xfff) == 0xfff) {
            atomic_fetch_add(&L->R->rows_done, 0x1000);
            if (atomic_load(&L->R->stop))
                r = MMT_EINVAL, d->message[0] = '\0';
        }
    }
    atomic_fetch_add(&L->R->rows_done, i & 0xfff);
    for (int op = 0; r == 0 && op < 3; op++)
        r = mmt__feed_end(L->f[op], d);
    return r;
}

/* Closes (r == 0) or discards the writers; records which inputs already are the output. */
static int close_sinks(layer *L, int r, mmt_diag *d)
{
    job *J = &L->R->jobs[L->li];
    for (int op = 0; op < 3; op++) {
        J->same[op] = r == 0 && !L->o[op];
        if (r == 0 && L->o[op] && (r = mmt__sink_close(L->o[op])) != 0)
            write_err(d, L->out[op], r);
        else if (r)
            mmt__sink_free(L->o[op]);
        L->o[op] = NULL;
    }
    return r;
}

/* Replays one layer's three SRAM traces through mmt_sim_step. The model writes the DRAM
 * traces; the stall-adjusted SRAM traces are written here, each by its own thread. */
static int layer_traces(mmt_replay *R, size_t li, mmt_diag *d)
{
    layer *L = calloc(1, sizeof *L); /* 26 KB of paths: not on a worker's stack */
    if (!L)
        return mmt__diag(d, MMT_ENOMEM, R->rundir, 0, "out of memory");
    L->R = R, L->li = li;
    mmt_run_geom(R->run, li, &L->g);
    mmt_sim *sim = NULL;
    mmt_diag spill_diag = {0}; /* names the CALC spill file if it fails (mmtrace.h) */
    mmt_sim_opts so = {.gzip_level = R->o.level, .diag = &spill_diag};
    for (int op = 0; op < 3; op++) {
        in_path(R, li, op, L->in[op]);
        out_path(R, li, op, 1, L->out[op]);
        out_path(R, li, 3 + op, 1, L->out[3 + op]);
        so.dram_trace_path[op] = L->out[3 + op];
    }
    int r = start_feeds(L, d);
    for (int op = 0; r == 0 && op < 3; op++)
        if (R->jobs[li].plain[op]) /* a plain input always becomes a new .csv.gz */
            r = start_sink(L, op, 0, d);
    if (r == 0 && (r = mmt_sim_new(R->cfg, &L->g, &so, &sim)) != 0)
        sim_err(d, R, li, -1, r);
    if (r == 0)
        r = step_rows(L, sim, d);
    for (int op = 0; op < 3; op++)
        mmt__feed_free(L->f[op]);
    if (r == 0 && (r = mmt_sim_finish(sim, &R->res[li % RING])) != 0)
        sim_err(d, R, li, -1, r);
    if (r && spill_diag.message[0]) /* a DRAM trace or spill file write failed: named there */
        *d = spill_diag;
    mmt_sim_free(sim);
    r = close_sinks(L, r, d);
    free(L);
    return r;
}

/* Runs one layer with the fused model: no trace is read or written. */
static int layer_fused(mmt_replay *R, size_t li, mmt_diag *d)
{
    mmt_sim_opts so = {.gzip_level = R->o.level, .engine = R->o.engine};
    mmt_geom g;
    mmt_run_geom(R->run, li, &g);
    int r = mmt_sim_run(R->cfg, &g, &so, &R->res[li % RING]);
    if (r)
        sim_err(d, R, li, -1, r);
    atomic_fetch_add(&R->rows_done, g.rows);
    return r;
}

/* Records the failure of layer li (its diag d) and stops the layers in flight and those
 * waiting for a ring slot; the failed layer of lowest index is the one reported. */
static void fail_layer(mmt_replay *R, size_t li, const mmt_diag *d)
{
    atomic_store(&R->stop, 1);
    pthread_mutex_lock(&R->lock);
    if (li < R->err_li) {
        R->err_li = li;
        R->err = *d;
    }
    pthread_cond_broadcast(&R->cond);
    pthread_mutex_unlock(&R->lock);
}

/* Spools layer li's console block (doc/scalesim-v2.md §1): "Running Layer N", its summary
 * and, with traces (SCALE-Sim v3.0.0: always), "Saving traces: Done!". */
static int spool_console(mmt_replay *R, size_t li, mmt_diag *d)
{
    char buf[4096];
    int n = mmt_report_console_version(buf, sizeof buf, &R->res[li % RING], R->cfg->version);
    if (n < 0)
        return mmt__diag(d, n, "", 0, "layer %zu: cannot format the console summary: %s", li,
                         mmt_strerror(n));
    FILE *f = R->console;
    fprintf(f, "\nRunning Layer %zu\n%.*s", li, n, buf);
    if (n > 0 && buf[n - 1] != '\n')
        putc('\n', f);
    if (R->o.traces || R->cfg->version == MMT_SCALESIM_V3) /* v3.0.0: always */
        fputs("Saving traces: Done!\n", f);
    return ferror(f) ? mmt__sys_diag(d, R->rundir, 0, "cannot spool the console text") : 0;
}

/* Appends layer li's BOUNDS_REPORT.csv row: its time beside the bounds (doc/memory.md). */
static int bounds_row(mmt_replay *R, size_t li, mmt_diag *d)
{
    mmt_geom g;
    mmt_layer_bounds b;
    const mmt_layer_result *res = &R->res[li % RING];
    mmt_run_geom(R->run, li, &g);
    int r = mmt_sim_bounds(R->cfg, &g, &b);
    if (r)
        return mmt__diag(d, r, R->rundir, 0, "layer %zu: its bounds: %s", li, mmt_strerror(r));
    if (li == 0)
        mmt__buf_printf(&R->btext, "LayerID, Total Cycles, Compute Bound Cycles, DRAM Bytes, "
                                   "Bytes Bound Cycles, Bound Cycles, Below Bound,\n");
    mmt__buf_printf(&R->btext,
                    "%zu, %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %" PRId64 ", %d,\n",
                    li, res->total_cycles, b.compute_cycles, b.bytes, b.bytes_cycles,
                    b.bound_cycles, res->total_cycles < b.bound_cycles);
    return 0;
}

/* Marks layer li done and, unless another worker is at it, collects the done layers in
 * order from the first not yet collected: their report rows and console blocks go out and
 * their ring slots are freed. A failure is recorded against the layer being collected. */
static int collect(mmt_replay *R, size_t li)
{
    mmt_diag d = {0};
    size_t c = 0;
    int r = 0;
    pthread_mutex_lock(&R->lock);
    R->jobs[li].done = 1;
    if (!R->collecting) {
        R->collecting = 1;
        while (r == 0 && !atomic_load(&R->stop) && R->collected < R->n &&
               R->jobs[R->collected].done) {
            c = R->collected;
            pthread_mutex_unlock(&R->lock); /* slot c stays: only collecting frees slots */
            r = mmt_report_stream_add(R->rep, &R->res[c % RING], &d);
            if (r == 0 && R->drows &&
                (r = mmt__stream_dram_row(R->cfg, &R->res[c % RING], &R->drows[c])) != 0)
                mmt__diag(&d, r, R->cfg->dram_path, 0, "layer %zu: %s", c, mmt_strerror(r));
            if (r == 0 && R->bounds)
                r = bounds_row(R, c, &d);
            if (r == 0)
                r = spool_console(R, c, &d);
            pthread_mutex_lock(&R->lock);
            if (r == 0) {
                R->collected = c + 1;
                pthread_cond_broadcast(&R->cond);
            }
        }
        R->collecting = 0;
    }
    pthread_mutex_unlock(&R->lock);
    if (r)
        fail_layer(R, c, &d);
    return r;
}

/* Waits until layer li's ring slot is free (the collector is fewer than RING layers behind)
 * or the run stops. Workers take layers in order, so the layer the collector waits for is
 * never itself waiting. */
static void wait_slot(mmt_replay *R, size_t li)
{
    pthread_mutex_lock(&R->lock);
    while (li >= R->collected + RING && !atomic_load(&R->stop))
        pthread_cond_wait(&R->cond, &R->lock);
    pthread_mutex_unlock(&R->lock);
}

/* A job of mmt_pool_run: one layer. A failure stops the layers in flight (they return with
 * an empty message: cancelled); the diag of the failed layer of lowest index is kept. */
static int run_layer(void *ud, size_t li)
{
    mmt_replay *R = ud;
    mmt_diag d = {0};
    wait_slot(R, li);
    int r = atomic_load(&R->stop) ? MMT_EINVAL
            : R->o.traces         ? layer_traces(R, li, &d)
                                  : layer_fused(R, li, &d);
    if (r == 0)
        return collect(R, li);
    if (!(atomic_load(&R->stop) && !d.message[0]))
        fail_layer(R, li, &d);
    return r;
}

/* mmt_pool_tick_fn: layer progress turned into demand rows for the caller's tick. */
static void tick_rows(void *ud, size_t done, size_t total)
{
    const mmt_replay *R = ud;
    int64_t rows = mmt_run_rows(R->run), now = atomic_load(&R->rows_done);
    R->o.tick(R->o.tick_ud, (size_t)(done == total ? rows : now < rows ? now : rows), (size_t)rows);
}

/* Removes every staged output. */
static void discard_staged(const mmt_replay *R)
{
    char path[PATH_CAP];
    for (size_t li = 0; R->o.traces && li < R->n; li++)
        for (int k = 0; k < 6; k++) {
            out_path(R, li, k, 1, path);
            unlink(path);
        }
}

/* Moves layer li's staged traces to their final names and flushes its folder, so the renames
 * survive a power loss. */
static int publish_layer(const mmt_replay *R, size_t li, mmt_diag *d)
{
    char staged[PATH_CAP], final[PATH_CAP];
    for (int k = 0; k < 6; k++) {
        if (k < 3 && R->jobs[li].same[k])
            continue; /* the input trace already is the output */
        out_path(R, li, k, 1, staged);
        out_path(R, li, k, 0, final);
        if (mmt__staged_rename(staged, final) != 0) /* synced by its trace writer's close */
            return mmt__sys_diag(d, staged, 0, "cannot rename to %s", final);
        mmt__test_kill_point();
    }
    return 0;
}

/* Flushes every layer folder, so the renames into it survive a power loss. */
static int sync_layers(const mmt_replay *R, mmt_diag *d)
{
    char path[PATH_CAP];
    int r;
    for (size_t li = 0; R->o.traces && li < R->n; li++) {
        snprintf(path, sizeof path, "%s/layer%zu", R->rundir, li);
        if ((r = mmt__fsync_dir(path, d, path, "cannot flush to the disk")) != 0)
            return r;
    }
    return 0;
}

/* Moves the staged traces to their final names, then writes the reports; the run directory
 * is marked incomplete from the first rename until all is on the disk. */
static int publish(mmt_replay *R, mmt_diag *d)
{
    int r = mmt_rundir_mark_incomplete(R->rundir, R->o.traces ? MMT_RUN_REPLAY : MMT_RUN_FUSED, d);
    for (size_t li = 0; r == 0 && R->o.traces && li < R->n; li++)
        r = publish_layer(R, li, d);
    if (r == 0)
        r = sync_layers(R, d);
    if (r)
        return r;
    memset(d, 0, sizeof *d);
    r = mmt_report_stream_commit(R->rep, d);
    R->rep = NULL;
    if (r) {
        if (!d->message[0])
            snprintf(d->message, sizeof d->message, "cannot write the reports: %s",
                     mmt_strerror(r));
        if (!d->file[0])
            snprintf(d->file, sizeof d->file, "%s", R->rundir);
        return r;
    }
    if (R->bounds) {
        char path[PATH_CAP];
        snprintf(path, sizeof path, "%s/BOUNDS_REPORT.csv", R->rundir);
        if ((r = mmt__buf_write(&R->btext, path, d)) != 0)
            return r;
    }
    if (R->drows) { /* the stream policy's DRAM timing (doc/memory.md) */
        char path[PATH_CAP];
        snprintf(path, sizeof path, "%s/DRAM_TIMING_REPORT.csv", R->rundir);
        if ((r = mmt_dram_layer_report_write(path, R->drows, R->n, d)) != 0)
            return r;
    }
    return mmt_rundir_mark_complete(R->rundir, d);
}

/* Refuses a CALC SRAM so large that its first DRAM prefetch block alone is over
 * MMT_MAX_CALC_BLOCK_ROWS rows (mmtrace.h), before anything is written; the diag names the
 * first layer's topology line and the cfg key. */
static int check_calc_blocks(const mmt_replay *R, mmt_diag *d)
{
    static const char *const key[2] = {"IfmapSramSzkB", "FilterSramSzkB"};
    const int64_t kb[2] = {R->cfg->ifmap_kb, R->cfg->filter_kb};
    const mmt_run_opts *o = mmt_run_options(R->run);
    for (int op = 0; op < 2 && R->n > 0; op++) {
        int64_t rows;
        if (mmt_sim_dram_rows_min(R->cfg, (mmt_operand)op, &rows) == 0 &&
            rows > MMT_MAX_CALC_BLOCK_ROWS)
            return mmt__diag(d, MMT_ERANGE, o->topo_path,
                             mmt_topology_layer(mmt_run_topology(R->run), 0)->line,
                             "layer 0: %s = %" PRId64 " (%s) makes one CALC prefetch block of "
                             "its %s DRAM trace %" PRId64 " rows, more than %" PRId64
                             "; use a smaller SRAM or --no-traces",
                             key[op], kb[op], o->cfg_path, op ? "FILTER" : "IFMAP", rows,
                             MMT_MAX_CALC_BLOCK_ROWS);
    }
    return 0;
}

/* Locks the run directory against other runs, removes what a killed run left, and refuses a
 * directory an interrupted run left incomplete unless this run rewrites all of it. A missing
 * directory is left to find_traces to report. */
static int lock_rundir(const mmt_replay *R, mmt_diag *d)
{
    struct stat st;
    if (stat(R->rundir, &st) != 0 && mmt__sys_diag(NULL, R->rundir, 0, "cannot stat") == MMT_ENOENT)
        return 0;
    int r = mmt_rundir_lock(R->rundir, d);
    if (r)
        return r;
    mmt_rundir_clean_stale(R->rundir);
    return mmt_rundir_check_complete(R->rundir, R->o.traces ? MMT_RUN_REPLAY : MMT_RUN_FUSED, d);
}

void mmt_replay_free(mmt_replay *R)
{
    if (!R)
        return;
    mmt_report_stream_free(R->rep);
    if (R->console)
        fclose(R->console);
    free(R->jobs);
    free(R->res);
    free(R->drows);
    free(R->btext.p);
    pthread_cond_destroy(&R->cond);
    pthread_mutex_destroy(&R->lock);
    free(R);
}

int mmt_replay_new(const mmt_run *run, const mmt_replay_opts *o, mmt_replay **out, mmt_diag *d)
{
    mmt_replay *R = calloc(1, sizeof *R);
    *out = NULL;
    if (!R)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    pthread_mutex_init(&R->lock, NULL);
    pthread_cond_init(&R->cond, NULL);
    R->run = run, R->o = *o, R->cfg = mmt_run_config(run), R->rundir = mmt_run_dir(run);
    R->n = R->err_li = mmt_run_count(run);
    R->pid = (long)getpid();
    R->jobs = calloc(R->n ? R->n : 1, sizeof *R->jobs);
    R->res = calloc(RING, sizeof *R->res);
    int dram = R->cfg->mem_policy == MMT_MEM_STREAM && R->cfg->dram_path[0];
    R->bounds = R->cfg->has_memory && !o->traces;
    if (dram) /* a row per layer (about 300 bytes) until the report is written */
        R->drows = calloc(R->n ? R->n : 1, sizeof *R->drows);
    int r = !R->jobs || !R->res || (dram && !R->drows)
                ? mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory")
                : 0;
    if (r == 0 && o->traces && R->cfg->mem_policy == MMT_MEM_STREAM)
        r = mmt__diag(d, MMT_EINVAL, mmt_run_options(run)->cfg_path, 0,
                      "the stream memory policy runs on the fused path only (no trace is "
                      "replayed or written): add --no-traces");
    if (r == 0 && o->traces)
        r = check_calc_blocks(R, d);
    if (r == 0 && !o->traces)
        r = mmt_mkdirs(R->rundir, d);
    if (r == 0)
        r = lock_rundir(R, d);
    if (r == 0)
        r = find_traces(R, d);
    if (r) {
        mmt_replay_free(R);
        return r;
    }
    *out = R;
    return 0;
}

/* Opens the report stream and the console spool (an unlinked temporary file in the run
 * directory). The bytes report only with a [precision] section, so that a plain SCALE-Sim
 * config gives exactly SCALE-Sim's run directory. */
static int open_outputs(mmt_replay *R, mmt_diag *d)
{
    const mmt_config *bytes =
        R->cfg->has_precision || R->cfg->mem_policy == MMT_MEM_STREAM ? R->cfg : NULL;
    int r = mmt_report_stream_open(R->rundir, R->cfg->version, bytes, &R->rep, d);
    if (r)
        return r;
    char path[PATH_CAP], tmp[PATH_CAP];
    snprintf(path, sizeof path, "%s/console", R->rundir);
    mmt_temp_path(path, R->pid, tmp, sizeof tmp - 7); /* fits: rundir is under 4000 bytes */
    strcat(tmp, ".XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return mmt__sys_diag(d, tmp, 0, "cannot create");
    unlink(tmp);
    if (!(R->console = fdopen(fd, "w+"))) {
        r = mmt__sys_diag(d, tmp, 0, "cannot create");
        close(fd);
    }
    return r;
}

int mmt_replay_run(mmt_replay *R, mmt_diag *d)
{
    int r = open_outputs(R, d);
    if (r == 0 && (r = mmt_pool_run(R->n, R->o.jobs, run_layer, R,
                                    R->o.tick ? tick_rows : NULL, R)) != 0) {
        if (R->err_li < R->n)
            *d = R->err;
        else
            mmt__diag(d, r, R->rundir, 0, "cannot replay: %s", mmt_strerror(r));
    }
    assert(r != 0 || R->collected == R->n);
    if (r == 0)
        r = publish(R, d);
    if (r) {
        discard_staged(R);
        mmt_report_stream_free(R->rep);
        R->rep = NULL;
    }
    return r;
}

int mmt_replay_console(mmt_replay *R, FILE *out, mmt_diag *d)
{
    char buf[1 << 14];
    size_t got;
    if (!R->console || fflush(R->console) != 0 || fseek(R->console, 0, SEEK_SET) != 0)
        return mmt__sys_diag(d, R->rundir, 0, "cannot read the spooled console text");
    while ((got = fread(buf, 1, sizeof buf, R->console)) > 0)
        if (fwrite(buf, 1, got, out) != got)
            return mmt__sys_diag(d, "", 0, "cannot write the console text");
    if (ferror(R->console))
        return mmt__sys_diag(d, R->rundir, 0, "cannot read the spooled console text");
    return 0;
}
