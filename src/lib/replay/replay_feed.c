/*
 * replay_feed.c - one input trace read ahead by a thread into a ring of batches (mmt__ring). The
 * reader fills a slot, marks it FULL (or LAST after the final row and the end-of-file check, or BAD
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

#define NSLOT MMT__RING_SLOTS

enum { EMPTY = 0, FULL, LAST, BAD };

struct mmt__feed {
    mmt__feed_spec s;
    mmt_tracer *t;
    mmt__ring ring; /* its worker: the reader thread */
    int quit;       /* the consumer has gone: the reader stops */
    int rslot;      /* consumer position */
    int64_t rpos;
    mmt_diag err; /* the reader's error, read once a BAD slot is reached */
    int errcode;
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
    pthread_mutex_lock(&f->ring.wk.m);
    while (f->ring.state[k] != EMPTY && !f->quit)
        pthread_cond_wait(&f->ring.wk.c, &f->ring.wk.m);
    int q = f->quit;
    pthread_mutex_unlock(&f->ring.wk.m);
    return q ? -1 : 0;
}

/* Reader thread: fills slots until the last row, an error, or quit. */
static void *reader(void *arg)
{
    mmt__feed *f = arg;
    int64_t i = 0, prev = 0, n;
    for (int k = 0;; k = (k + 1) % NSLOT) {
        if (wait_empty(f, k) != 0)
            return NULL;
        int r = 0;
        for (n = 0; n < f->ring.batch && i < f->s.rows; n++, i++) {
            int64_t *p = mmt__ring_row(&f->ring, k, n);
            if ((r = read_row(f, i, p + 1, p, &prev)) != 0)
                break;
        }
        if (r == 0 && i == f->s.rows)
            r = check_end(f, mmt__ring_row(&f->ring, k, 0) + 1);
        f->ring.count[k] = n;
        f->errcode = r;
        mmt__ring_hand(&f->ring, k, r ? BAD : i == f->s.rows ? LAST : FULL);
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
    int r = mmt_tracer_open(s->path, &f->t, d);
    if (r == 0) {
        mmt_tracer_set_range(f->t, s->lo, s->hi, s->what);
        r = mmt__ring_start(&f->ring, s->width, reader, f);
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
    mmt__ring_hand(&f->ring, f->rslot, EMPTY);
    f->rslot = (f->rslot + 1) % NSLOT;
    f->rpos = 0;
}

/* Waits until the consumer's slot is filled; returns its state. */
static int wait_filled(mmt__feed *f)
{
    pthread_mutex_lock(&f->ring.wk.m);
    while (f->ring.state[f->rslot] == EMPTY)
        pthread_cond_wait(&f->ring.wk.c, &f->ring.wk.m);
    int st = f->ring.state[f->rslot];
    pthread_mutex_unlock(&f->ring.wk.m);
    return st;
}

int mmt__feed_next(mmt__feed *f, const int64_t **row, int64_t *cycle, mmt_diag *d)
{
    for (;;) {
        int st = wait_filled(f);
        if (f->rpos < f->ring.count[f->rslot]) {
            const int64_t *p = mmt__ring_row(&f->ring, f->rslot, f->rpos++);
            *cycle = p[0];
            *row = p + 1;
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
        if (st == LAST && f->rpos == f->ring.count[f->rslot])
            return 0;
        if (st == BAD && f->rpos == f->ring.count[f->rslot]) {
            *d = f->err;
            return f->errcode;
        }
        if (st != FULL || f->rpos != f->ring.count[f->rslot])
            return MMT_EINVAL; /* rows left unread: a caller bug */
        release_slot(f);
    }
}

void mmt__feed_free(mmt__feed *f)
{
    if (!f)
        return;
    mmt__worker_stop(&f->ring.wk, &f->quit);
    mmt_tracer_close(f->t, NULL);
    mmt__ring_free(&f->ring);
    free(f);
}
