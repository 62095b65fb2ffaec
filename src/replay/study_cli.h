/*
 * study_cli.h - mmtrace-replay's 1-bit LLM study modes:
 *   --fractions=MANIFEST RUNDIR  fractions of one run (reports of mmtrace-replay or SCALE-Sim)
 *   --study=OUTDIR               the whole study through the fused model, into one folder
 */
#ifndef MMT_STUDY_CLI_H
#define MMT_STUDY_CLI_H

#include "mmtrace_study.h"

#include <getopt.h>
#include <stdio.h>

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
/* Prints the study options for --help (study_plan.c). */
void study_cli_usage(FILE *f);
/* --fractions (study_plan.c): prints the part totals and fractions of one run. */
int study_fractions(const char *manifest, const char *rundir);
/* One option of the study as getopt parsed it: the long name of its table entry (never the
 * abbreviation written; -j is "jobs") and its value (NULL: none). The plans rebuild every
 * command from these, never from argv. */
typedef struct study_opt {
    const char *name, *value;
} study_opt;
enum { STUDY_MAX_OPTS = 512, STUDY_MAX_SBATCH = 32 };
/* The Slurm plan's resources (--slurm-time, --slurm-mem, --slurm-cpus-per-task,
 * --slurm-partition, --slurm-account) and further sbatch options (--sbatch, repeatable), each
 * checked as data that an #SBATCH line carries unchanged. */
typedef struct study_slurm {
    const char *time, *mem, *partition, *account;
    long cpus; /* 0: not given */
    const char *sbatch[STUDY_MAX_SBATCH];
    size_t nsbatch;
    char given[32]; /* the first of these options seen ("--slurm-mem"), "" if none */
} study_slurm;
/* Takes one of those options (name without "--"); 0, or -1 after a usage message. */
int study_slurm_set(study_slurm *s, const char *name, const char *value);
/* What --plan needs: how ("parallel" or "slurm"), the shards, the study dir and the cache,
 * the parsed options (those of the plan itself are left out of the commands), the jobs of
 * each process and the Slurm resources. */
typedef struct study_plan_spec {
    const char *how;
    unsigned nshards;
    const char *outdir, *cache;
    const study_opt *opts;
    size_t nopts;
    long jobs;
    const study_slurm *slurm;
} study_plan_spec;
/* --plan (study_plan.c): prints the GNU parallel command line or writes outdir/slurm/; returns
 * an exit status. */
int study_plan(const study_plan_spec *ps);
/* The figure options: --format's comma list (NULL: svg,png), --figure-size (NULL: page) and
 * --no-titles into out; returns an exit status after a message. */
int study_figure_options(const char *format, const char *size, int no_titles,
                         mmt_fig_style *out);

#endif
