/*
 * run.c - loads and checks a run (mmt_run_load): the cfg, the topology, every layer's
 * geometry, the run directory's name and the size of the traces the run will write. Both
 * programs start here, so a bad input is refused the same way, before anything is written.
 * The run keeps no per-layer state: a topology may hold 2^20 layers (issue 8 item 10), and a
 * geometry is cheap to recompute.
 */
#include "internal.h"

#include <stdio.h>

#define RUNDIR_MAX 4000 /* longest run directory: every path below it fits in 4400 bytes */

struct mmt_run {
    mmt_run_opts o;
    mmt_config cfg;
    mmt_topology *topo;
    char *rundir;
    int64_t rows;
    uint64_t text, spill;
};

void mmt_run_free(mmt_run *r)
{
    if (!r)
        return;
    mmt_topology_free(r->topo);
    free(r->rundir);
    free(r);
}

/* OUTDIR/<run_name>, refused when too long for the paths below it. */
static int make_rundir(mmt_run *r, mmt_diag *d)
{
    size_t len = strlen(r->o.outdir) + strlen(r->cfg.run_name) + 2;
    if (!(r->rundir = malloc(len)))
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    snprintf(r->rundir, len, "%s/%s", r->o.outdir, r->cfg.run_name);
    if (len > RUNDIR_MAX)
        return mmt__diag(d, MMT_EINVAL, r->rundir, 0, "path too long");
    return 0;
}

/* Adds layer i's traces to the size estimate: the three SRAM traces' text, and for a CALC
 * layer its spill file (sim.c, beside the DRAM traces while the layer runs), which holds every
 * filter element at least once, 8 bytes each, uncompressed. */
static int estimate(mmt_run *r, size_t i, const mmt_geom *g, mmt_diag *d)
{
    uint64_t kn;
    if (!r->cfg.user_bw && !__builtin_mul_overflow((uint64_t)g->K, (uint64_t)g->N, &kn) &&
        kn < UINT64_MAX / (8 * MMT_TRACE_BEST_RATIO) && kn * 8 > r->spill)
        r->spill = kn * 8;
    for (int op = 0; op < 3; op++) {
        int64_t e = mmt_trace_text_estimate(g->rows, mmt_geom_width(g, (mmt_operand)op));
        if (e < 0 || __builtin_add_overflow(r->text, (uint64_t)e, &r->text) || r->text > INT64_MAX)
            return mmt__diag(d, MMT_EOVERFLOW, r->o.topo_path, mmt_topology_layer(r->topo, i)->line,
                             "the trace text (%" PRId64 " rows x 3 bytes per field) overflows "
                             "64 bits",
                             g->rows);
    }
    return 0;
}

/* Checks layer i: its geometry, that the memory model can hold it (mmt_sim_check: a USER-mode
 * operand over MMT_MAX_USER_SPAN addresses is refused before anything is allocated), the fold
 * engine if it was asked for, and its trace size. */
static int check_layer(mmt_run *r, size_t i, mmt_diag *d)
{
    mmt_geom g;
    const mmt_layer *l = mmt_topology_layer(r->topo, i);
    int e = mmt_geom_init(&g, l, &r->cfg, d);
    if (e == 0)
        e = mmt_sim_check(&r->cfg, &g, l->line, d);
    if (e != 0) {
        snprintf(d->file, sizeof d->file, "%s", r->o.topo_path);
        return e;
    }
    if (__builtin_add_overflow(r->rows, g.rows, &r->rows))
        r->rows = INT64_MAX; /* progress display only */
    const char *why;
    if (r->cfg.mem_policy == MMT_MEM_STREAM && (why = mmt_sim_stream_ok(&r->cfg, &g, NULL)))
        return mmt__diag(d, MMT_EINVAL, r->o.topo_path, l->line,
                         "layer %zu: the stream memory policy cannot run it (%s)", i, why);
    if (r->o.engine == MMT_ENGINE_FOLDS && !mmt_sim_folds_ok(&r->cfg, &g, NULL, &why))
        return mmt__diag(d, MMT_EINVAL, r->o.topo_path, l->line,
                         "layer %zu: the fold engine cannot run it exactly (%s); use "
                         "--engine=auto or --engine=rows",
                         i, why);
    return r->o.traces ? estimate(r, i, &g, d) : 0;
}

int mmt_run_load(const mmt_run_opts *o, mmt_run **out, mmt_diag *d)
{
    mmt_run *r = calloc(1, sizeof *r);
    *out = NULL;
    if (!r)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    r->o = *o;
    int e = mmt_config_read_version(o->cfg_path, o->version, &r->cfg, d, o->warn, o->warn_ud);
    if (e == 0 && (o->memory || o->dram || o->clock_mhz > 0) &&
        (e = mmt_config_set_memory(&r->cfg, o->memory - 1, o->dram, o->clock_mhz, d)) != 0)
        snprintf(d->file, sizeof d->file, "%s", o->cfg_path);
    mmt_memory_char ch; /* the stream policy's DRAM: a bad .ini is refused before any layer */
    if (e == 0 && r->cfg.mem_policy == MMT_MEM_STREAM && r->cfg.dram_path[0])
        e = mmt_memory_characterise(r->cfg.dram_path, &ch, d);
    if (e == 0)
        e = mmt_topology_read_version(o->topo_path, o->gemm, o->version, &r->topo, d, o->warn,
                                      o->warn_ud);
    if (e == 0)
        e = make_rundir(r, d);
    for (size_t i = 0; e == 0 && i < mmt_topology_count(r->topo); i++)
        e = check_layer(r, i, d);
    if (e) {
        mmt_run_free(r);
        return e;
    }
    *out = r;
    return 0;
}

const mmt_run_opts *mmt_run_options(const mmt_run *r)
{
    return &r->o;
}

const mmt_config *mmt_run_config(const mmt_run *r)
{
    return &r->cfg;
}

const mmt_topology *mmt_run_topology(const mmt_run *r)
{
    return r->topo;
}

size_t mmt_run_count(const mmt_run *r)
{
    return mmt_topology_count(r->topo);
}

const char *mmt_run_dir(const mmt_run *r)
{
    return r->rundir;
}

void mmt_run_geom(const mmt_run *r, size_t i, mmt_geom *g)
{
    mmt_diag d;
    if (mmt_geom_init(g, mmt_topology_layer(r->topo, i), &r->cfg, &d) != 0)
        abort(); /* checked by mmt_run_load */
}

int64_t mmt_run_rows(const mmt_run *r)
{
    return r->rows;
}

uint64_t mmt_run_trace_text(const mmt_run *r)
{
    return r->text;
}

uint64_t mmt_run_spill_bytes(const mmt_run *r)
{
    return r->spill;
}
