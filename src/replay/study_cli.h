/*
 * study_cli.h - mmtrace-replay's 1-bit LLM study modes:
 *   --fractions=MANIFEST RUNDIR  fractions of one run (reports of mmtrace-replay or SCALE-Sim)
 *   --study=OUTDIR               the whole study through the fused model, into one folder
 */
#ifndef MMT_STUDY_CLI_H
#define MMT_STUDY_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "mmtrace_study.h"

/* The study is a mode of mmtrace-replay chosen by options, parsed in replay's one getopt
 * pass: replay appends the study's options to its table (study_cli_longopts), hands every
 * option to study_cli_option first, and after the loop asks study_cli_mode which mode runs.
 * An option of the other mode is a usage error. */
enum { STUDY_CLI_REPLAY = -1, STUDY_CLI_RUN = -2 };
/* Copies replay's table (NULL-terminated) to out and appends the study's options whose names
 * it lacks; returns the entries written (out holds cap, the terminator included). */
size_t study_cli_longopts(const struct option *replay, struct option *out, size_t cap);
/* Called on every option getopt_long returns (name: its long name, NULL for a short one).
 * Returns -1 if the option is replay's (replay handles it; the shared -j, --scalesim and
 * --engine are noted by both), 0 if the study took it, or an exit status after a message. */
int study_cli_option(int c, const char *name, const char *arg);
/* After the loop (optind past the options; help: replay saw --help): STUDY_CLI_REPLAY for
 * replay's mode, STUDY_CLI_RUN to call study_cli_run, or an exit status (the study's help
 * printed, or a usage error). */
int study_cli_mode(int argc, char **argv, int help);
/* Runs the study mode decided; returns an exit status (0 ok, 1 error, 2 usage). */
int study_cli_run(int argc, char **argv);
/* Prints the study's own help, for --study --help (study_plan.c). */
void study_cli_help(void);
/* Prints the study options for --help (study_plan.c). */
void study_cli_usage(FILE *f);
/* --fractions (study_plan.c): prints the part totals and fractions of one run. */
int study_fractions(const char *manifest, const char *rundir);
/* --plan (study_plan.c): how is "parallel" (prints the GNU parallel command line) or "slurm"
 * (writes outdir/slurm/); spec without program and cwd, which this fills. Returns an exit
 * status. */
int study_plan(const char *how, const mmt_study_plan_spec *spec);
/* --study (study_plan.c): runs the study of sp (its figures drawn by the library in the
 * formats of sp->figures) with progress on stderr and prints the summary; an exit status. */
int study_run(mmt_study_spec *sp);
/* The figure options: --format's comma list (NULL: svg,png), --figure-size (NULL: page) and
 * --no-titles into out; returns an exit status after a message. */
int study_figure_options(const char *format, const char *size, int no_titles, mmt_fig_style *out);

#endif
