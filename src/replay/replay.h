/*
 * replay.h - the two halves of mmtrace-replay, thin front ends over the library: replaying
 * SRAM traces (or running the fused model) into reports and traces (mmt_replay_run), and
 * comparing an output directory with SCALE-Sim's (mmt_compare_dirs). Both return a process
 * exit status (cli.h: EXIT_OK, EXIT_ERR) and print the library's diagnostics.
 */
#ifndef MMT_REPLAY_H
#define MMT_REPLAY_H

#include "mmtrace.h"

/* What to replay; strings are borrowed from argv. */
typedef struct replay_opts {
    const char *cfg_path, *topo_path, *outdir;
    int gemm;   /* topology in M,N,K format */
    long jobs;  /* layers run at once */
    int level;  /* zlib level of the traces written */
    int traces; /* 0: --no-traces, the fused model without any trace file */
    int force;  /* --force: go on when the traces may not fit on the disk */
    mmt_scalesim version; /* --scalesim: which SCALE-Sim to reproduce */
    const char *layout_path; /* -l: v3's layout file, only named in v3's console header */
    mmt_engine engine; /* --engine: fused path engine (default auto) */
    int verbose;       /* -v: say which engine ran each layer (stderr) */
} replay_opts;

/* Replays every layer and writes the reports (and traces) into OUTDIR/<run_name>/. On success
 * *rundir (may be NULL) receives that directory, which the caller frees. */
int replay_run(const replay_opts *o, char **rundir);

/* Compares the run directory ours with SCALE-Sim's output in ref (the run directory itself or
 * its parent holding run_name/). traces = 0 compares the reports only. Prints a per-layer
 * table of differences on stdout; returns EXIT_OK when identical, EXIT_ERR otherwise. */
int compare_run(const char *ours, const char *ref, const char *run_name, int traces);

#endif
