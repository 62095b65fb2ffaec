/*
 * progress.c - progress lines on stderr (progress.h).
 */
#include <config.h>

#include "progress.h"

#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Seconds on the monotonic clock. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, const char *what)
{
    const char *iv = getenv("MMTRACE_PROGRESS_INTERVAL"); /* seconds between log lines */
    p->what = what;
    p->quiet = p->shown = p->open = 0;
    p->tty = isatty(STDERR_FILENO);
    p->t0 = p->last = now();
    p->last_done = (size_t)-1;
    p->work = -1;
    p->interval = iv && atof(iv) > 0 ? atof(iv) : 10;
}

/* "1m05s" style duration. */
static void dur(char *b, size_t cap, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(b, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(b, cap, "%ldm%02lds", t / 60, t % 60);
}

/* The share of the work done: the caller's estimate (cli_progress_tick_work), else the share
 * of the items. */
static double share(const cli_progress *p, size_t done, size_t total)
{
    return p->work >= 0 ? p->work : (double)done / (double)total;
}

void cli_progress_tick(void *ud, size_t done, size_t total)
{
    cli_progress *p = ud;
    double t = now(), el = t - p->t0, rate = el > 0 ? (double)done / el : 0;
    int end = done >= total;
    if (total == 0 || (end && p->last_done == done) || (end && p->quiet && !p->shown))
        return;
    if (!end && (p->tty ? t - p->last < 0.2 : t - p->last < p->interval))
        return;
    /* The ETA extrapolates the share of the work done, and only once enough is measured
     * (2% of the work and half a second): items differ in size (a study simulates its largest
     * layers first), so a count of items gave an 8 s study a first ETA of 8m44s. */
    char eta[32] = "?", e[32];
    double f = share(p, done, total);
    if (f >= 0.02 && el >= 0.5)
        dur(eta, sizeof eta, el * (1 - f) / f);
    dur(e, sizeof e, el);
    if (p->tty)
        fprintf(stderr, "\r%s: %zu/%zu %s, %.1f/s, %s %s%s", cli_progname, done, total, p->what,
                rate, end ? "took" : "ETA", end ? e : eta, end ? "\n" : "   ");
    else /* a log line: when it was written, as the run's elapsed time */
        fprintf(stderr, "%s: [%ldm%04.1fs] %zu/%zu %s, %.1f/s, %s %s\n", cli_progname,
                (long)el / 60, el - 60.0 * (double)((long)el / 60), done, total, p->what, rate,
                end ? "took" : "ETA", end ? e : eta);
    p->last = t, p->last_done = done;
    p->shown = 1, p->open = p->tty && !end;
}

void cli_progress_tick_work(void *ud, size_t done, size_t total, double work)
{
    ((cli_progress *)ud)->work = work < 0 ? 0 : work > 1 ? 1 : work;
    cli_progress_tick(ud, done, total);
}

void cli_progress_end(cli_progress *p)
{
    if (p->open)
        fputs("\r\033[K", stderr);
    p->open = 0;
}
