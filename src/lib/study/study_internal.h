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

/* A distinct (hardware, GEMM shape) and its result. */
typedef struct st_job {
    int64_t M, N, K;
    size_t hw;
    double cost;
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
    size_t *todo; /* jobs this run simulates, largest first */
    size_t ntodo;
    int extra;               /* 1: tables carry the dataflow/phase/batch/ffn columns */
    mmt_study_fractions *fr; /* [hw * nwl + wl] */
    mmt_study_fit *fit;      /* [((hw * (nwl / nseqs)) + wl / nseqs) * 2 + k] */
    int *fit_ok;
    mmt_study_summary *sum;
    atomic_int failed;
    mmt_diag err;
    atomic_flag errlock;
} st;

/* Writes every figure into outdir/figures. */
int mmt__st_figures(const st *S, mmt_diag *d);
/* Label of the group (hw point, phase, batch, ffn) of workload w: the hw label plus the axes
 * that are not the paper's default. */
void mmt__st_group_label(const st *S, size_t h, size_t w, char *buf, size_t cap);
/* Creates a directory and its parents. */
int mmt__st_mkdirs(const char *path, mmt_diag *d);

#endif
