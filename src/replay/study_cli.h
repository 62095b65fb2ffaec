/*
 * study_cli.h - mmtrace-replay's 1-bit LLM study modes:
 *   --fractions=MANIFEST RUNDIR  fractions of one run (reports of mmtrace-replay or SCALE-Sim)
 *   --study=OUTDIR               the whole study through the fused model, into one folder
 */
#ifndef MMT_STUDY_CLI_H
#define MMT_STUDY_CLI_H

#include <stdio.h>

/* 1 if argv asks for a study mode (--study or --fractions present). */
int study_cli_wanted(int argc, char **argv);
/* Runs the study mode; returns an exit status (0 ok, 1 error, 2 usage). */
int study_cli_main(int argc, char **argv);
/* Index of s among the n names, or -1 (study_plan.c). */
int study_pick(const char *s, const char *const *names, int n);
/* Prints the study options for --help (study_plan.c). */
void study_cli_usage(FILE *f);
/* --fractions (study_plan.c): prints the part totals and fractions of one run. */
int study_fractions(const char *manifest, const char *rundir);
/* --plan (study_plan.c): prints the GNU parallel command line or writes outdir/slurm/. */
int study_plan(const char *how, unsigned nshards, const char *outdir, const char *cache,
               int argc, char **argv);
/* Writes the figures in each format of the comma list format (NULL: svg, and png when
 * rsvg-convert is installed); returns an exit status. */
int study_formats(const char *format, const char *outdir, long jobs);
/* Converts outdir/figures/\*.svg to fmt ("png" or "pdf") with rsvg-convert, jobs at once. */
int study_convert(const char *outdir, const char *fmt, long jobs);

#endif
