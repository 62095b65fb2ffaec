/*
 * mmtrace_study.h - the 1-bit LLM study as a module of its own (libmmtrace-study, which needs
 * GSL and cairo and links libmmtrace; the SCALE-Sim core in mmtrace.h needs neither): the
 * fractions of a lowered block, Amdahl's law, the fit of f(l), the figures (SVG, PNG, PDF and
 * a CSV each), and the engine that runs a whole study over the cross product of hardware,
 * dataflow, model, phase, batch, FFN and sequence length with a persistent layer cache and
 * shards. Programs build with `pkg-config --cflags --libs mmtrace-study`.
 *
 * Ownership: the caller owns every array a spec points to; the engine owns nothing it returns.
 */
#ifndef MMTRACE_STUDY_H
#define MMTRACE_STUDY_H

#include "mmtrace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-part sums over a block (count-weighted), indexed by mmt_llm_part, and the fractions
 * that fall in the MatMul-free part. A fraction whose total is 0 is NaN. */
typedef struct mmt_study_fractions {
    int64_t cycles[2], stalls[2], sram[2], dram[2];
    double f_compute, f_memory, f_dram;
} mmt_study_fractions;

/* res[i] is the result of b->layers[i]. SRAM = IFMAP reads + Filter reads + OFMAP writes;
 * DRAM likewise. MMT_EOVERFLOW if a sum leaves int64. */
int mmt_study_fractions_compute(const mmt_llm_block *b, const mmt_layer_result *res,
                                mmt_study_fractions *out);

/* Amdahl's law: 1 / ((1 - f) + f / s). */
double mmt_study_amdahl(double f, double s);

/* Least-squares fit of f(l) = 1 / (1 + alpha + beta*l): constant projection cost P, attention
 * cost a + b*l, so alpha = a/P, beta = b/P. Standard errors from the covariance scaled by the
 * residual variance (0 when n == 2). */
typedef struct mmt_study_fit {
    double alpha, beta;
    double se_alpha, se_beta;
    double r2;
    double rss;
    size_t n;
} mmt_study_fit;

/* Fits n >= 2 points (GSL trust-region, started from the linearised 1/f - 1 regression).
 * MMT_EINVAL for too few or unusable points (f outside (0, 1]), MMT_ERANGE if it fails. */
int mmt_study_fit_run(const double *l, const double *f, size_t n, mmt_study_fit *out);
double mmt_study_fit_eval(const mmt_study_fit *fit, double l);

/* ---------------------------------------------------------------- figures (cairo) */

/* How figures are written (figure.c): one drawing, replayed onto a cairo surface per format
 * asked for (formats: an OR of MMT_FIG_*; 0 means SVG alone), always with beside it a CSV of
 * exactly the numbers drawn (STEM.csv). Sizes are print sizes: MMT_FIG_PAGE 7 in wide (two
 * columns of a paper), MMT_FIG_COLUMN 3.3 in (one column); text is 7 pt or more at that size;
 * PNGs are 150 dpi (page) or 300 dpi (column). no_titles leaves the title out (a paper's
 * caption says it); the note under it stays. */
#define MMT_FIG_SVG 1u
#define MMT_FIG_PNG 2u
#define MMT_FIG_PDF 4u
typedef enum mmt_fig_size { MMT_FIG_PAGE = 0, MMT_FIG_COLUMN = 1 } mmt_fig_size;
typedef struct mmt_fig_style {
    unsigned formats;
    mmt_fig_size size;
    int no_titles;
} mmt_fig_style;

/* A heat map: rows x cols values in [0, 1] (row-major; NaN drawn grey), labelled. The keys
 * name the CSV's columns (row_key, col_key, value_key). */
typedef struct mmt_fig_heatmap {
    const char *title, *xlabel, *ylabel, *value_label;
    size_t rows, cols;
    const char *const *row_labels, *const *col_labels;
    const double *values;
    const char *row_key, *col_key, *value_key;
} mmt_fig_heatmap;

/* One curve of a line plot. Series are told apart in greyscale by their line style and marker
 * shape together (mmt_fig_series_style gives distinct pairs); colour only adds to that. */
typedef struct mmt_fig_series {
    const char *label;
    const double *x, *y;
    size_t n;
    int line;   /* 0 solid, 1 dashed, 2 dotted, 3 dash-dot, 4 long dash, -1 no line */
    int marker; /* 0 none, 1..MMT_FIG_NMARKERS a shape (mmt_fig_series_style) */
    int ref;    /* 1: a reference line (a diagonal, a bound), drawn thin and grey; it does
                 * not count when the renderer asks whether the data vary; 2: the same, left
                 * out of the legend (one of a family whose first entry names them all) */
} mmt_fig_series;
#define MMT_FIG_NMARKERS 16
#define MMT_FIG_NLINES 5
/* The line style and marker of series i of n told apart: markers 1..16 in turn, lines
 * cycling, so that every i below 80 has a pair of its own. */
void mmt_fig_series_style(size_t i, int *line, int *marker);

/* A line plot (y linear; x linear or, with logx, base 2), legend under it. The keys name the
 * CSV's columns (series, x_key, y_key). A plot whose data all have one value (within 0.5%)
 * is drawn as a note saying so (the CSV is still written). */
typedef struct mmt_fig_plot {
    const char *title, *xlabel, *ylabel;
    double xmin, xmax, ymin, ymax;
    const mmt_fig_series *series;
    size_t nseries;
    const char *note; /* optional text under the title */
    int logx;         /* 1: log2 x axis (xmin > 0) */
    const char *x_key, *y_key;
} mmt_fig_plot;

/* Small multiples: npanels line plots on shared axes (the limits and logx of a plot) in a grid
 * of ncols columns (at most 3 at column size), tick labels on the outer panels only; one
 * legend, for the series of panel 0, under the grid. CSV columns: panel, series, x_key, y_key. */
typedef struct mmt_fig_grid {
    const char *title, *xlabel, *ylabel, *note;
    double xmin, xmax, ymin, ymax;
    int logx;
    size_t npanels, ncols;
    const char *const *panel_titles;
    const mmt_fig_series *const *series; /* series[i]: the nseries[i] curves of panel i */
    const size_t *nseries;
    const char *x_key, *y_key;
    const char *const *panel_keys; /* the CSV's panel column (NULL: the panel titles) */
} mmt_fig_grid;

/* Each writes STEM.svg, .png, .pdf as style->formats asks (NULL style: SVG at page size) and
 * STEM.csv, each under a temporary name renamed into place (mmt__write_file_atomic: inside
 * the study's write batch). Errors: MMT_ENOMEM, a file's system error, MMT_EINVAL when cairo
 * fails (diag says which). */
int mmt_fig_heatmap_write(const char *stem, const mmt_fig_heatmap *h, const mmt_fig_style *style,
                          mmt_diag *diag);
int mmt_fig_plot_write(const char *stem, const mmt_fig_plot *p, const mmt_fig_style *style,
                       mmt_diag *diag);
int mmt_fig_grid_write(const char *stem, const mmt_fig_grid *g, const mmt_fig_style *style,
                       mmt_diag *diag);

/* ---------------------------------------------------------------- the engine */

/* A study: every point of hw x dataflow x model x phase x batch x ffn x seq is one row of
 * OUTDIR/results.csv. Each distinct (hardware, GEMM shape) is simulated once (fused model),
 * largest first, and its report rows are kept in the layer cache when cache_dir is set. */
typedef struct mmt_study_spec {
    const char *outdir;
    const mmt_config *hw; /* hardware; run_name is the label in tables and names */
    size_t nhw;
    const mmt_dataflow *dataflows; /* ndataflows == 0: each cfg's own dataflow */
    size_t ndataflows;
    const mmt_llm_model *models;
    size_t nmodels;
    const int64_t *seqs; /* KV-cache (decode) or prompt (prefill) lengths */
    size_t nseqs;
    const mmt_llm_phase *phases;
    size_t nphases;
    const int64_t *batches;
    size_t nbatches;
    const int *ffns; /* mmt_llm_ffn values, or -1: each model's own */
    size_t nffns;
    const char *traces;      /* comma list of models whose traces are kept, or NULL */
    long jobs;               /* simulation threads */
    const char *cache_dir;   /* layer cache; NULL: none */
    unsigned shard, nshards; /* nshards > 0: simulate shard 1..nshards of the distinct
                              * layers into the cache and write nothing else */
    int engine;              /* simulation engine choice, passed on (0: default) */
    /* Weight widths of the MatMul-free projections (FilterBits in thousandths of a bit, e.g.
     * 8000, 2000, 1580): each is a point axis of results.csv (column weight_bits). The
     * attention heads keep 8-bit operands. nweights == 0: 8 bits only, today's output. The
     * 8-bit point is always computed (speedup_vs_8bit needs it). */
    const int32_t *weights;
    size_t nweights;
    /* A second, MatMul-free array of mmf_rows x mmf_cols PEs (same SRAMs and bandwidth) that
     * runs the projections while the attention heads stay on the main array; 0: none. */
    int64_t mmf_rows, mmf_cols;
    /* The memory policies (MMT_MEM_SCALESIM, MMT_MEM_STREAM) each hardware point runs under
     * (doc/memory.md): a point axis of results.csv (column memory); nmemories == 0: each
     * cfg's own [memory] policy. With it, or with any cfg that has [memory], results.csv
     * appends the bounds and time columns (memory, compute_bound_cycles, ...). */
    const int *memories;
    size_t nmemories;
    /* --dram and --clock: the DRAMsim3-format .ini of every point under the stream policy, and
     * the array clock of every point (NULL, 0: each cfg's own [memory]). */
    const char *dram;
    double clock_mhz;
    mmt_pool_tick_fn progress; /* layers done / total, on the caller's thread */
    void *progress_ud;
    /* Instead of progress when set: the same, with the estimated share of the simulation work
     * done (0..1; the layers differ in size by orders of magnitude and run largest first, so
     * the count of layers misleads an ETA). */
    void (*progress_work)(void *ud, size_t done, size_t total, double work);
    /* The figures' formats, size and titles (all 0: SVG at page size, with titles), and the
     * figure stage's progress: figures drawn / total, on the caller's thread (NULL: none). */
    mmt_fig_style figures;
    mmt_pool_tick_fn figure_progress;
    void *figure_progress_ud;
} mmt_study_spec;

/* The axes of a study from option values (args.c), for programs: an opaque handle that owns
 * the axis arrays and the spec pointing at them (mmt_study_args_spec; the caller fills the
 * rest of it: outdir, jobs, cache_dir, engine, progress). mmt_study_args_set takes one
 * option as written ("--hw", "--dataflow", "--model", "--hf-config", "--seq", "--phase",
 * "--batch", "--ffn", "--weights", "--mmf-array", "--shard", "--traces", "--memory",
 * "--dram", "--clock") and its value; a
 * .cfg of --hw is read as SCALE-Sim version `version` (warnings through warn) and named after
 * its file. --model and --hf-config append; any other given a second time is MMT_EINVAL
 * ("--seq: given twice; ...": a second value never silently replaces the first).
 * mmt_study_args_check gives the axes never set their defaults (--hw=cloud,edge as the
 * version of the last call, --model=all, --seq=128,...,4096, --phase=decode, --batch=1), then
 * refuses two models or hardware points of one name and --traces naming a model not studied.
 * MMT_EINVAL is a usage error whose diag->message is the whole line for the user ("--weights:
 * '33' is not a width from 1 to 32 bits (at most three decimals)", diag->file ""); any other
 * code is a bad input file (a .cfg or config.json: diag names it and the line) or
 * MMT_ENOMEM. diag must not be NULL. Nothing is printed. free accepts NULL. */
typedef struct mmt_study_args mmt_study_args;
int mmt_study_args_new(mmt_study_args **out);
void mmt_study_args_free(mmt_study_args *a);
int mmt_study_args_set(mmt_study_args *a, const char *option, const char *value,
                       mmt_scalesim version, mmt_warn_fn warn, void *ud, mmt_diag *diag);
int mmt_study_args_check(mmt_study_args *a, mmt_diag *diag);
mmt_study_spec *mmt_study_args_spec(mmt_study_args *a);

/* What a run did. */
typedef struct mmt_study_summary {
    size_t points;    /* rows of results.csv */
    size_t layers;    /* GEMM layers over all points (before de-duplication) */
    size_t distinct;  /* distinct (hardware, shape) pairs */
    size_t cached;    /* of those, found in the cache */
    size_t simulated; /* simulated by this run */
    size_t past_ctx;  /* model x length points past the trained context */
    size_t corrupt;   /* cache entries found corrupt or foreign (recomputed) */
    size_t below_bound; /* results.csv rows (SCALE-Sim's policy) whose time is below the
                         * bound: flagged in column below_bound; the program warns once */
    /* 1: the cache could not be written (read-only, full, an entry path that is a directory):
     * the study ran on without caching from then on; cache_why says why (the first failure) */
    int cache_off;
    mmt_diag cache_why;
} mmt_study_summary;

/* Runs a study. Errors fill diag (file = the file concerned). */
int mmt_study_run(const mmt_study_spec *spec, mmt_study_summary *sum, mmt_diag *diag);

/* 0 if dir holds no incomplete marker; else MMT_EINVAL with "DIR: incomplete: ..." in diag:
 * a study (or run) was killed there while renaming its outputs into place, so its files are
 * of two runs (doc/study.md "The study directory"). Readers of a study's files call it. */
int mmt_study_dir_check(const char *dir, mmt_diag *diag);

/* The default cache directory: $XDG_CACHE_HOME/mmtrace, else $HOME/.cache/mmtrace. */
int mmt_study_cache_default(char *buf, size_t cap);

/* The layer cache (cache.c): one file per key under dir, written atomically under a unique
 * temporary name, so many processes and machines can fill it at once. The key names the
 * model's code (a hash of the core's sources made at build time), not only the version. get
 * returns 1 (found and valid), 0 (absent) or -1 (corrupt, foreign, or numbers the model could
 * not have given for cfg and g, mmt_sim_result_check: the caller recomputes). clean removes the
 * temporaries of killed writers (only names of the cache's own form, of a dead process on this
 * host or older than a day) and returns how many. check_dir refuses an empty path or one too
 * long for the entries' names (MMT_EINVAL), before anything is created. */
int mmt_study_cache_key(const mmt_config *cfg, int64_t M, int64_t N, int64_t K, char *key,
                        size_t cap);
int mmt_study_cache_get(const char *dir, const char *key, const mmt_config *cfg, const mmt_geom *g,
                        mmt_layer_result *res);
int mmt_study_cache_put(const char *dir, const char *key, const mmt_layer_result *res,
                        mmt_diag *diag);
size_t mmt_study_cache_clean(const char *dir);
int mmt_study_cache_check_dir(const char *dir, mmt_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
