/*
 * progress.h - progress on stderr for long runs of either program: a live line (done/total,
 * rate, ETA) rewritten in place when stderr is a terminal; one plain line about every 10 s
 * when it is not (Slurm and nohup logs), and a last line at the end.
 */
#ifndef MMT_PROGRESS_H
#define MMT_PROGRESS_H

#include <stddef.h>
#include <time.h>

typedef struct cli_progress {
    const char *what; /* e.g. "layers" */
    int tty;
    double t0, last, interval; /* interval: seconds between log lines off a terminal */
    size_t last_done;
} cli_progress;

/* Starts timing; what is kept by pointer. */
void cli_progress_init(cli_progress *p, const char *what);
/* Reports done of total (an mmt_pool_tick_fn with ud = the cli_progress); prints only when
 * due; done == total ends the line. */
void cli_progress_tick(void *ud, size_t done, size_t total);

#endif
