/*
 * study_internal.h - the study engine's state, shared by engine.c (points, layers, cache,
 * scheduling, tables) and figures.c; not installed.
 */
#ifndef MMT_STUDY_INTERNAL_H
#define MMT_STUDY_INTERNAL_H

#include "internal.h"
#include "mmtrace_study.h"

#include <stdatomic.h>

#define ST_SMAX 100 /* Amdahl curves for s = 1..ST_SMAX */
extern const double mmt__st_extrap[3];
#define ST_NEXTRAP 3

/* A hardware point: one cfg with one dataflow; cfg.run_name is its label. */
typedef struct st_hw {
    mmt_config cfg;
    size_t base; /* index into spec->hw */
} st_hw;

/* A workload: one model lowered at one (phase, batch, ffn, seq). */
typedef struct st_wl {
    size_t model, phase, batch, ffn, seq; /* indices into the spec's lists */
    mmt_llm_ffn ffn_used;
    mmt_llm_block *b;
    size_t *job_of; /* per hw point x layer: index into jobs (nhw * b->n) */
} st_wl;

/* A variant of every hardware point: how a point's layers are simulated (weights.c).
 * Variant 0 is the hardware as given at 8 bits: the paper's tables and figures use it. */
typedef struct st_var {
    int32_t fbits; /* FilterBits of the MatMul-free projections, thousandths of a bit; 0: the
                    * cfg's own (variant 0 and the CALC twin) */
    int calc;      /* 1: the hardware's CALC twin (the paper's f_compute for this array) */
    int mmf;       /* 1: the projections run on the MatMul-free array (spec mmf_rows x cols) */
} st_var;

/* The time view of a point under one variant: stall-inclusive Total Cycles and bytes (at the
 * variant's widths) per part, count-weighted over one block; block cycles x decoder layers. */
typedef struct st_time {
    int64_t cycles[2], sram_bytes[2], dram_bytes[2];
    int64_t model_cycles;
    /* the bounds of the whole model, summed per layer like model_cycles (doc/memory.md):
     * compute, bytes, and each layer's larger one; below: some layer's time is below its
     * bound (SCALE-Sim's policy only: under stream it is an error) */
    int64_t bound[3];
    int below;
    double energy_pj; /* DRAM energy of the whole model (stream policy with Dram) */
    int has_energy;
} st_time;

/* A distinct (hardware, variant, GEMM shape) and its result. */
typedef struct st_job {
    int64_t M, N, K;
    size_t hw, var;
    mmt_llm_part part;
    double cost;    /* rows x C: the order and the shards' balance */
    double work;    /* estimated time, for progress (make_jobs) */
    uint64_t units; /* cost as a share of this run's work, in 2^-40 (progress) */
    char key[512];
    int have;
    mmt_layer_result res;
} st_job;

typedef struct st {
    const mmt_study_spec *sp;
    st_hw *hw;
    size_t nhw;
    st_wl *wl;
    size_t nwl; /* nmodels * nphases * nbatches * nffns * nseqs, seq fastest */
    st_job *jobs;
    size_t njobs;
    size_t *todo;               /* jobs this run simulates, largest first */
    double work_all;            /* estimated cost of every job in todo (progress_work) */
    _Atomic uint64_t work_done; /* of the jobs finished, in units of work_all / 2^40 */
    size_t ntodo;
    int extra;               /* 1: tables carry the dataflow/phase/batch/ffn columns */
    int memcols;             /* 1: results.csv appends the memory and bounds columns */
    mmt_study_fractions *fr; /* [hw * nwl + wl], variant 0 */
    st_var *var;             /* variants (weights.c) */
    size_t nvar;
    size_t nwk;               /* weight widths asked for (rows per point in results.csv), >= 1 */
    size_t *wvar;             /* [nwk]: the variant of each width on the hardware as given */
    size_t *mvar;             /* [nwk]: its variant on the MatMul-free array (spec mmf_rows > 0) */
    size_t vcalc;             /* the CALC twin's variant */
    size_t v8;                /* 8-bit projections: the speed-up's baseline */
    mmt_study_fractions *frv; /* [(hw * nvar + var) * nwl + wl] */
    st_time *tm;              /* likewise */
    mmt_study_fit *fit;       /* [((hw * (nwl / nseqs)) + wl / nseqs) * 2 + k] */
    int *fit_ok;
    mmt_study_summary *sum;
    atomic_int failed;
    struct mmt__outdir *out; /* the study directory (NULL for a shard) */
    atomic_int cache_off;    /* 1: the cache could not be written; the run goes on without it */
    mmt_diag err;
    atomic_flag errlock;
} st;

/* weights.c: the variants of the --weights and --mmf-array axes. */
int mmt__st_make_vars(st *S, mmt_diag *d);
/* The cfg a layer of part `part` runs on at hardware point h under variant v. */
void mmt__st_job_cfg(const st *S, size_t h, size_t v, mmt_llm_part part, mmt_config *c);
/* Index of (h, v, w) into frv and tm. */
size_t mmt__st_vi(const st *S, size_t h, size_t v, size_t w);
/* The results of workload w's layers at hw point h, variant v, in block order: a new array
 * the caller frees (NULL: out of memory). */
mmt_layer_result *mmt__st_results(const st *S, size_t h, size_t v, size_t w);
/* Fills frv and tm from the jobs' results. */
int mmt__st_times(st *S, mmt_diag *d);
/* The header of results.csv's width columns, and one row's (each with a leading comma). */
const char *mmt__st_weight_head(const st *S);
void mmt__st_weight_cols(const st *S, size_t h, size_t k, size_t w, char *buf, size_t cap);
/* The header of results.csv's memory and bounds columns, and one row's (leading comma). */
const char *mmt__st_memory_head(void);
void mmt__st_memory_cols(const st *S, size_t h, size_t k, size_t w, char *buf, size_t cap);
/* The projections' FilterBits under variant v at hardware point h, thousandths of a bit. */
int32_t mmt__st_var_bits(const st *S, size_t h, size_t v);
/* A width in thousandths as a user writes it: "8", "2", "1.58". */
void mmt__st_bits_str(int32_t milli, char *buf, size_t cap);
/* f_time (MatMul-free share of stall-inclusive cycles) of tm entry t; NaN if no cycles. */
double mmt__st_f_time(const st_time *t);
/* figures_weights.c: f_compute against f_time, Amdahl with f_time, speed-up by width; only
 * when a hardware point is USER or more than one width is asked for. */
int mmt__st_figures_weights(const st *S, mmt_diag *d);

/* Writes every figure into outdir/figures. */
int mmt__st_figures(const st *S, mmt_diag *d);
/* The figure stage: counts the figures of mmt__st_figures and mmt__st_figures_weights, then
 * draws them on spec->jobs threads (each enumerates them all and draws every T-th, into the
 * calling thread's write batch), ticking spec->figure_progress on the calling thread. */
int mmt__st_figure_stage(st *S, mmt_diag *d);
/* One figure met by the stage: drawn (mmt_fig_*_write with the spec's style) when it is the
 * calling thread's, else only counted or skipped. */
int mmt__st_fig_heatmap(const st *S, const char *stem, const mmt_fig_heatmap *h, mmt_diag *d);
int mmt__st_fig_plot(const st *S, const char *stem, const mmt_fig_plot *p, mmt_diag *d);
int mmt__st_fig_grid(const st *S, const char *stem, const mmt_fig_grid *g, mmt_diag *d);
/* The group (hw point, phase, batch, ffn) of workload w in words for titles: "cloud (256x256
 * OS), decode, batch 1" (and ", gated FFN" when the FFN is an axis). */
void mmt__st_group_words(const st *S, size_t h, size_t w, char *buf, size_t cap);
/* Label of the group (hw point, phase, batch, ffn) of workload w: the hw label plus the axes
 * that are not the paper's default. */
void mmt__st_group_label(const st *S, size_t h, size_t w, char *buf, size_t cap);
/* outdir.c: the study directory's lock, incomplete marker and manifest. open takes the lock
 * (a second study fails with a message), removes dead runs' temporaries, reads the previous
 * manifest and writes the marker; note records a file written outside the write batch (kept
 * traces); commit writes the manifest of old and new files, commits the batch b (or aborts it
 * on failure), removes the previous study's files this one did not write, writes the new
 * manifest and removes the marker; close releases the lock. dir is borrowed. */
typedef struct mmt__outdir {
    const char *dir;
    int lock_fd;
    char **old, **extra;
    size_t nold, nextra;
    int was_marked; /* the marker was there already: an earlier run was killed */
} mmt__outdir;
int mmt__outdir_open(mmt__outdir *o, const char *dir, mmt_diag *d);
int mmt__outdir_note(mmt__outdir *o, const char *path);
int mmt__outdir_commit(mmt__outdir *o, mmt__wbatch *b, mmt_diag *d);
/* After a failure before commit (nothing renamed): removes the marker again, unless an earlier
 * run left it or files were published outside the batch. */
void mmt__outdir_abort(mmt__outdir *o);
void mmt__outdir_close(mmt__outdir *o);

/* names.c: names are data (doc/study.md "Names").
 * mmt__safe_name: the safe form of a name for a file name: ASCII letters, digits, '-', '_',
 * '+' and '.' (not first) are kept, every other byte is '%' and two uppercase hex digits
 * (so '%' itself is "%25"): one-to-one, so two names never share a file. MMT_EINVAL for an
 * empty name, MMT_ERANGE if the form does not fit cap bytes. For figures and every other file
 * named after a model or hardware point.
 * mmt__st_safe: the same into buf of MMT__SAFE_CAP bytes, for names mmt__name_check has
 * accepted (their forms fit); returns buf.
 * mmt__name_check: refuses (MMT_EINVAL, "WHAT: the name ...") an empty name, one holding a
 * control character (a line end or an ANSI escape would split table rows or reach a terminal)
 * and one whose safe form passes 200 bytes.
 * mmt__name_show: name for a message: control characters and '\' as \xHH.
 * mmt__csv_put: appends s to b as one RFC 4180 field: as it is, or, when it holds a comma,
 * quote or line end or begins or ends with a blank, quoted by libcsv's writer (csv_write). */
#define MMT__SAFE_CAP 1200
int mmt__safe_name(const char *name, char *buf, size_t cap);
const char *mmt__st_safe(const char *name, char *buf);
int mmt__name_check(const char *what, const char *name, mmt_diag *d);
void mmt__name_show(const char *name, char *buf, size_t cap);
void mmt__csv_put(mmt__buf *b, const char *s);

/* Creates a directory and its parents. */
int mmt__st_mkdirs(const char *path, mmt_diag *d);

#endif
