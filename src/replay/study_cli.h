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
/* Prints the study options for --help. */
void study_cli_usage(FILE *f);

#endif
