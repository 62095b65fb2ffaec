/*
 * progress.h - progress on stderr for long runs of either program: a live line (done/total,
 * rate, ETA) rewritten in place when stderr is a terminal; one plain line about every 10 s
 * when it is not (Slurm and nohup logs), each with the run's elapsed time, and a last line at
 * the end. The ETA is shown once 2% of the work (or of the items) is done. The interval off a
 * terminal is MMTRACE_PROGRESS_INTERVAL seconds when that is set (tests), else 10.
 */
#ifndef MMT_PROGRESS_H
#define MMT_PROGRESS_H

#include <stddef.h>
#include <time.h>

typedef struct cli_progress {
    const char *what; /* e.g. "layers" */
    int tty;
    int quiet; /* set after init: no last line unless an earlier line was printed (a short
                  mmtrace-gen or mmtrace-replay run prints nothing on stderr) */
    int shown; /* a line has been printed */
    int open;  /* terminal: a live line is shown without its line end */
    double t0, last, interval; /* interval: seconds between log lines off a terminal */
    size_t last_done;
    double work; /* share of the work done (0..1) as the caller estimates it; -1: unknown */
} cli_progress;

/* Starts timing; what is kept by pointer. */
void cli_progress_init(cli_progress *p, const char *what);
/* Reports done of total (an mmt_pool_tick_fn with ud = the cli_progress); prints only when
 * due; done == total ends the line. */
void cli_progress_tick(void *ud, size_t done, size_t total);
/* The same with the caller's estimate of the share of the work done (0..1), which the ETA
 * extrapolates instead of the count (an mmt_study_work_fn with ud = the cli_progress). */
void cli_progress_tick_work(void *ud, size_t done, size_t total, double work);
/* After a failed run: ends a live line left open on the terminal, so the error message that
 * follows starts a line of its own. */
void cli_progress_end(cli_progress *p);

#endif
