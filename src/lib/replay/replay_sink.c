/*
 * replay_sink.c - one output SRAM trace written by its own thread from a ring of batches of rows
 * (mmt__ring). The producer fills a slot and marks it FULL; the writer
 * formats and compresses it (mmt_tracew_row) and marks it EMPTY again.
 */
#include <config.h>

#include "replay_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NSLOT MMT__RING_SLOTS

enum { EMPTY = 0, FULL };

struct mmt__sink {
    mmt_tracew *w;
    int64_t width;
    mmt__ring ring; /* its worker: the writer thread */
    int done, quit; /* no more rows will come; the writer must stop now */
    atomic_int err; /* the writer's first error (an MMT_E* code: MMT_ENOSPC, ...) */
    int pslot;      /* producer position */
    int64_t ppos;
    char *copy_from;    /* input trace whose first copy_lines lines open the output */
    int64_t copy_lines;
};

/* Copies the first s->copy_lines lines of s->copy_from into the output, unchanged. */
static int copy_prefix(mmt__sink *s)
{
    mmt_tracer *t = NULL;
    int r = mmt_tracer_open(s->copy_from, &t, NULL);
    for (int64_t i = 0; r == 0 && i < s->copy_lines; i++) {
        const char *text;
        size_t len;
        int k = mmt_tracer_line(t, &text, &len, NULL);
        if (k <= 0) {
            r = k < 0 ? k : MMT_ETRACE;
            break;
        }
        if ((r = mmt_tracew_write(s->w, text, len)) == 0)
            r = mmt_tracew_write(s->w, "\n", 1);
    }
    mmt_tracer_close(t, NULL);
    return r;
}

/* Records the writer's error (the producer gets it back from mmt__sink_put and
 * mmt__sink_close). */
static void set_err(mmt__sink *s, int e)
{
    atomic_store(&s->err, e);
}

/* Writer thread: writes FULL slots in order until the producer is done. */
static void *writer(void *arg)
{
    mmt__sink *s = arg;
    if (s->copy_from) {
        int e = copy_prefix(s);
        if (e)
            set_err(s, e);
    }
    for (int k = 0;; k = (k + 1) % NSLOT) {
        pthread_mutex_lock(&s->ring.wk.m);
        while (s->ring.state[k] == EMPTY && !s->done && !s->quit)
            pthread_cond_wait(&s->ring.wk.c, &s->ring.wk.m);
        int stop = s->ring.state[k] == EMPTY || s->quit;
        pthread_mutex_unlock(&s->ring.wk.m);
        if (stop)
            return NULL;
        for (int64_t i = 0; i < s->ring.count[k] && !atomic_load(&s->err); i++) {
            const int64_t *r = mmt__ring_row(&s->ring, k, i);
            int e = mmt_tracew_row(s->w, r[0], r + 1, s->width);
            if (e)
                set_err(s, e);
        }
        mmt__ring_hand(&s->ring, k, EMPTY);
    }
}

int mmt__sink_start_copy(const char *path, int level, int64_t width, const char *from,
                    int64_t lines, mmt__sink **out)
{
    *out = NULL;
    mmt__sink *s = calloc(1, sizeof *s);
    if (!s)
        return MMT_ENOMEM;
    if (from && !(s->copy_from = strdup(from))) {
        free(s);
        return MMT_ENOMEM;
    }
    s->copy_lines = lines;
    s->width = width;
    int r = mmt_tracew_open(path, level, &s->w, NULL);
    if (r == 0)
        r = mmt__ring_start(&s->ring, width, writer, s);
    if (r) {
        mmt__sink_free(s);
        return r;
    }
    *out = s;
    return 0;
}

/* Hands the producer's slot to the writer and waits for the next one to be free. */
static void publish(mmt__sink *s)
{
    s->ring.count[s->pslot] = s->ppos;
    mmt__ring_hand(&s->ring, s->pslot, FULL);
    s->pslot = (s->pslot + 1) % NSLOT;
    s->ppos = 0;
    pthread_mutex_lock(&s->ring.wk.m);
    while (s->ring.state[s->pslot] != EMPTY)
        pthread_cond_wait(&s->ring.wk.c, &s->ring.wk.m);
    pthread_mutex_unlock(&s->ring.wk.m);
}

int mmt__sink_put(mmt__sink *s, int64_t cycle, const int64_t *row)
{
    if (s->ppos == s->ring.batch)
        publish(s);
    int64_t *d = mmt__ring_row(&s->ring, s->pslot, s->ppos++);
    d[0] = cycle;
    memcpy(d + 1, row, (size_t)s->width * sizeof *row);
    return atomic_load(&s->err);
}

int mmt__sink_close(mmt__sink *s)
{
    if (s->ppos > 0)
        publish(s);
    mmt__worker_stop(&s->ring.wk, &s->done); /* the writer drains the queue first */
    int r = atomic_load(&s->err);
    if (r == 0)
        r = mmt_tracew_close(s->w, NULL);
    else
        mmt_tracew_abort(s->w);
    s->w = NULL;
    mmt__sink_free(s);
    return r;
}

void mmt__sink_free(mmt__sink *s)
{
    if (!s)
        return;
    mmt__worker_stop(&s->ring.wk, &s->quit);
    mmt_tracew_abort(s->w);
    mmt__ring_free(&s->ring);
    free(s->copy_from);
    free(s);
}
