/*
 * replay_feed.c - one input trace read ahead by a thread into a ring of NSLOT batches. The reader
 * fills a slot, marks it FULL (or LAST after the final row and the end-of-file check, or BAD
 * after a bad row: the rows before it in the slot stay valid), and moves on; the consumer
 * empties slots in the same order. All slot state is under one mutex, touched once a batch.
 */
#include <config.h>

#include "replay_internal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSLOT 4
#define SLOT_VALUES (1 << 14) /* int64 values per batch: 128 KB */

enum { EMPTY = 0, FULL, LAST, BAD };

struct mmt__feed {
    mmt__feed_spec s;
    mmt_tracer *t;
    int64_t batch; /* rows per slot */
    int64_t *buf;  /* NSLOT * batch * width */
    int64_t *cyc;  /* NSLOT * batch: the cycle column of each row */
    int64_t count[NSLOT];
    int state[NSLOT];
    int quit;  /* the consumer has gone: the reader stops */
    int rslot; /* consumer position */
    int64_t rpos;
    mmt_diag err; /* the reader's error, read once a BAD slot is reached */
    int errcode;
    mmt__worker wk; /* the reader thread */
};

/* Fills d with "file:line: message"; returns MMT_ETRACE. */
static int feed_err(mmt_diag *d, const char *file, int64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int feed_err(mmt_diag *d, const char *file, int64_t line, const char *fmt, ...)
{
    va_list ap;
    snprintf(d->file, sizeof d->file, "%s", file);
    d->line = (long)line;
    d->column = 0;
    va_start(ap, fmt);
    vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    return MMT_ETRACE;
}

/* Reads and checks row i into row: served cycles only grow, and a row is served no earlier
 * than SCALE-Sim could serve it (row + 1 for reads, row for writes). */
static int read_row(mmt__feed *f, int64_t i, int64_t *row, int64_t *cycle, int64_t *prev)
{
    int64_t cyc;
    const mmt__feed_spec *s = &f->s;
    int r = mmt_tracer_next(f->t, s->width, &cyc, row, &f->err);
    if (r < 0)
        return r;
    if (r == 0)
        return feed_err(&f->err, s->path, i + 1,
                        "expected %" PRId64 " rows, the file ends after %" PRId64, s->rows, i);
    if (s->any_cycle)
        ; /* SCALE-Sim v3.0.0 serves some read rows "in the past" */
    else if (cyc < i + s->base)
        return feed_err(&f->err, s->path, i + 1,
                        "cycle %" PRId64 " is earlier than row %" PRId64 " can be served (%" PRId64
                        ")",
                        cyc, i + 1, i + s->base);
    else if (i > 0 && cyc <= *prev)
        return feed_err(&f->err, s->path, i + 1,
                        "cycle %" PRId64 " does not follow the previous row's %" PRId64, cyc,
                        *prev);
    *prev = *cycle = cyc;
    return 0;
}

/* After the last row: the file must end, and its gzip stream must be intact. */
static int check_end(mmt__feed *f, int64_t *scratch)
{
    int64_t cyc;
    int r = mmt_tracer_next(f->t, f->s.width, &cyc, scratch, &f->err);
    if (r > 0)
        return feed_err(&f->err, f->s.path, f->s.rows + 1,
                        "expected %" PRId64 " rows, the file has more", f->s.rows);
    if (r == 0)
        r = mmt_tracer_close(f->t, &f->err);
    else
        mmt_tracer_close(f->t, NULL);
    f->t = NULL;
    return r;
}

/* Waits until slot k is empty; returns 0, or -1 if the consumer has quit. */
static int wait_empty(mmt__feed *f, int k)
{
    pthread_mutex_lock(&f->wk.m);
    while (f->state[k] != EMPTY && !f->quit)
        pthread_cond_wait(&f->wk.c, &f->wk.m);
    int q = f->quit;
    pthread_mutex_unlock(&f->wk.m);
    return q ? -1 : 0;
}

/* Reader thread: fills slots until the last row, an error, or quit. */
static void *reader(void *arg)
{
    mmt__feed *f = arg;
    int64_t i = 0, prev = 0, w = f->s.width;
    for (int k = 0;; k = (k + 1) % NSLOT) {
        if (wait_empty(f, k) != 0)
            return NULL;
        int64_t *base = f->buf + (size_t)k * (size_t)(f->batch * w), n = 0;
        int r = 0;
        while (r == 0 && n < f->batch && i < f->s.rows)
            if ((r = read_row(f, i, base + n * w, f->cyc + (size_t)k * (size_t)f->batch + n,
                              &prev)) == 0)
                n++, i++;
        if (r == 0 && i == f->s.rows)
            r = check_end(f, base);
        pthread_mutex_lock(&f->wk.m);
        f->count[k] = n;
        f->errcode = r;
        f->state[k] = r ? BAD : i == f->s.rows ? LAST : FULL;
        pthread_cond_broadcast(&f->wk.c);
        pthread_mutex_unlock(&f->wk.m);
        if (r || i == f->s.rows)
            return NULL;
    }
}

int mmt__feed_start(const mmt__feed_spec *s, mmt__feed **out, mmt_diag *d)
{
    *out = NULL;
    mmt__feed *f = calloc(1, sizeof *f);
    if (!f)
        return MMT_ENOMEM;
    f->s = *s;
    int64_t w = s->width > 0 ? s->width : 1;
    f->batch = SLOT_VALUES / w > 0 ? SLOT_VALUES / w : 1;
    f->buf = malloc((size_t)NSLOT * (size_t)(f->batch * w) * sizeof *f->buf);
    f->cyc = malloc((size_t)NSLOT * (size_t)f->batch * sizeof *f->cyc);
    mmt__worker_init(&f->wk);
    int r = f->buf && f->cyc ? mmt_tracer_open(s->path, &f->t, d) : MMT_ENOMEM;
    if (r == 0) {
        mmt_tracer_set_range(f->t, s->lo, s->hi, s->what);
        r = mmt__worker_start(&f->wk, reader, f);
    }
    if (r) {
        mmt__feed_free(f);
        return r;
    }
    *out = f;
    return 0;
}

/* Gives the consumer's emptied slot back to the reader and moves to the next one. */
static void release_slot(mmt__feed *f)
{
    pthread_mutex_lock(&f->wk.m);
    f->state[f->rslot] = EMPTY;
    pthread_cond_broadcast(&f->wk.c);
    pthread_mutex_unlock(&f->wk.m);
    f->rslot = (f->rslot + 1) % NSLOT;
    f->rpos = 0;
}

/* Waits until the consumer's slot is filled; returns its state. */
static int wait_filled(mmt__feed *f)
{
    pthread_mutex_lock(&f->wk.m);
    while (f->state[f->rslot] == EMPTY)
        pthread_cond_wait(&f->wk.c, &f->wk.m);
    int st = f->state[f->rslot];
    pthread_mutex_unlock(&f->wk.m);
    return st;
}

int mmt__feed_next(mmt__feed *f, const int64_t **row, int64_t *cycle, mmt_diag *d)
{
    for (;;) {
        int st = wait_filled(f);
        if (f->rpos < f->count[f->rslot]) {
            *row =
                f->buf + (size_t)f->rslot * (size_t)(f->batch * f->s.width) + f->rpos * f->s.width;
            *cycle = f->cyc[(size_t)f->rslot * (size_t)f->batch + (size_t)f->rpos];
            f->rpos++;
            return 0;
        }
        if (st != FULL) { /* BAD, or LAST when asked for more rows than the layer has */
            *d = f->err;
            return st == BAD ? f->errcode : MMT_EINVAL;
        }
        release_slot(f);
    }
}

int mmt__feed_end(mmt__feed *f, mmt_diag *d)
{
    for (;;) {
        int st = wait_filled(f);
        if (st == LAST && f->rpos == f->count[f->rslot])
            return 0;
        if (st == BAD && f->rpos == f->count[f->rslot]) {
            *d = f->err;
            return f->errcode;
        }
        if (st != FULL || f->rpos != f->count[f->rslot])
            return MMT_EINVAL; /* rows left unread: a caller bug */
        release_slot(f);
    }
}

void mmt__feed_free(mmt__feed *f)
{
    if (!f)
        return;
    mmt__worker_stop(&f->wk, &f->quit);
    mmt_tracer_close(f->t, NULL);
    mmt__worker_destroy(&f->wk);
    free(f->buf);
    free(f->cyc);
    free(f);
}
