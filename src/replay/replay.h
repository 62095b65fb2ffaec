/*
 * replay.h - the two halves of mmtrace-replay, thin front ends over the library: replaying
 * SRAM traces (or running the fused model) into reports and traces (mmt_replay_run), and
 * comparing an output directory with SCALE-Sim's (mmt_compare_dirs). Both return a process
 * exit status (cli.h: EXIT_OK, EXIT_ERR) and print the library's diagnostics.
 */
#ifndef MMT_REPLAY_H
#define MMT_REPLAY_H

#include "mmtrace.h"

#include <stdio.h>

/* What to replay; strings are borrowed from argv. The run's options are the library's own
 * (-c, -t, -p, -i, --scalesim, --no-traces as traces = 0, --engine), handed to mmt_run_load. */
typedef struct replay_opts {
    mmt_run_opts run;
    long jobs;               /* layers run at once */
    int level;               /* zlib level of the traces written */
    int force;               /* --force: go on when the traces may not fit on the disk */
    const char *layout_path; /* -l: v3's layout file, only named in v3's console header */
    int verbose;             /* -v: say which engine ran each layer (stderr) */
} replay_opts;

/* Replays every layer and writes the reports (and traces) into OUTDIR/<run_name>/. On success
 * *rundir (may be NULL) receives that directory, which the caller frees. */
int replay_run(const replay_opts *o, char **rundir);

/* Compares the run directory ours with SCALE-Sim's output in ref (the run directory itself or
 * its parent holding run_name/). traces = 0 compares the reports only. Prints a per-layer
 * table of differences on stdout; returns EXIT_OK when identical, EXIT_ERR otherwise. */
int compare_run(const char *ours, const char *ref, const char *run_name, int traces);

/* --compare without -t: compares DIR/<run_name> of ro's cfg (DIR = ro->outdir), or DIR itself
 * without a cfg, with SCALE-Sim's output in ref. */
int compare_only(const mmt_run_opts *ro, const char *ref);

/* Prints mmtrace-replay's --help text (usage.c), the study's options included. */
void replay_usage(FILE *f);

#endif
