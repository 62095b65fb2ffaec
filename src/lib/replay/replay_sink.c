/*
 * replay_sink.c - one output SRAM trace written by its own thread from a ring of NSLOT batches of
 * rows stored as [cycle, v0..v(w-1)]. The producer fills a slot and marks it FULL; the writer
 * formats and compresses it (mmt_tracew_row) and marks it EMPTY again.
 */
#include <config.h>

#include "replay_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NSLOT 4
#define SLOT_VALUES (1 << 14) /* int64 values per batch: 128 KB */

enum { EMPTY = 0, FULL };

struct mmt__sink {
    mmt_tracew *w;
    int64_t width, stride, batch; /* stride = width + 1 */
    int64_t *buf;
    int64_t count[NSLOT];
    int state[NSLOT];
    int done, quit; /* no more rows will come; the writer must stop now */
    atomic_int err; /* the writer's first error (an MMT_E* code: MMT_ENOSPC, ...) */
    int pslot;      /* producer position */
    int64_t ppos;
    mmt__worker wk; /* the writer thread */
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
        pthread_mutex_lock(&s->wk.m);
        while (s->state[k] == EMPTY && !s->done && !s->quit)
            pthread_cond_wait(&s->wk.c, &s->wk.m);
        int stop = s->state[k] == EMPTY || s->quit;
        pthread_mutex_unlock(&s->wk.m);
        if (stop)
            return NULL;
        const int64_t *r = s->buf + (size_t)k * (size_t)(s->batch * s->stride);
        for (int64_t i = 0; i < s->count[k] && !atomic_load(&s->err); i++, r += s->stride) {
            int e = mmt_tracew_row(s->w, r[0], r + 1, s->width);
            if (e)
                set_err(s, e);
        }
        pthread_mutex_lock(&s->wk.m);
        s->state[k] = EMPTY;
        pthread_cond_broadcast(&s->wk.c);
        pthread_mutex_unlock(&s->wk.m);
    }
}

int mmt__sink_start(const char *path, int level, int64_t width, mmt__sink **out)
{
    return mmt__sink_start_copy(path, level, width, NULL, 0, out);
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
    s->stride = width + 1;
    s->batch = SLOT_VALUES / s->stride > 0 ? SLOT_VALUES / s->stride : 1;
    s->buf = malloc((size_t)NSLOT * (size_t)(s->batch * s->stride) * sizeof *s->buf);
    mmt__worker_init(&s->wk);
    int r = s->buf ? mmt_tracew_open(path, level, &s->w, NULL) : MMT_ENOMEM;
    if (r == 0)
        r = mmt__worker_start(&s->wk, writer, s);
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
    pthread_mutex_lock(&s->wk.m);
    s->count[s->pslot] = s->ppos;
    s->state[s->pslot] = FULL;
    pthread_cond_broadcast(&s->wk.c);
    s->pslot = (s->pslot + 1) % NSLOT;
    s->ppos = 0;
    while (s->state[s->pslot] != EMPTY)
        pthread_cond_wait(&s->wk.c, &s->wk.m);
    pthread_mutex_unlock(&s->wk.m);
}

int mmt__sink_put(mmt__sink *s, int64_t cycle, const int64_t *row)
{
    if (s->ppos == s->batch)
        publish(s);
    int64_t *d = s->buf + (size_t)s->pslot * (size_t)(s->batch * s->stride) + s->ppos * s->stride;
    d[0] = cycle;
    memcpy(d + 1, row, (size_t)s->width * sizeof *row);
    s->ppos++;
    return atomic_load(&s->err);
}

int mmt__sink_close(mmt__sink *s)
{
    if (s->ppos > 0)
        publish(s);
    mmt__worker_stop(&s->wk, &s->done); /* the writer drains the queue first */
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
    mmt__worker_stop(&s->wk, &s->quit);
    mmt_tracew_abort(s->w);
    mmt__worker_destroy(&s->wk);
    free(s->buf);
    free(s->copy_from);
    free(s);
}
