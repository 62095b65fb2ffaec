/*
 * replay_internal.h - the replay engine's helper threads (not installed).
 *
 * mmt__feed reads one input SRAM trace ahead on its own thread: rows are parsed and checked
 * into a small ring of batches while the engine runs the memory model, so decompression and
 * parsing overlap simulation and trace writing. Memory is bounded by the ring (512 KB a
 * trace). mmt__sink writes one stall-adjusted SRAM trace on its own thread: the engine hands
 * over (served cycle, row) pairs, which are batched into a ring and formatted and compressed by
 * mmt_tracew; the file appears at its path only when mmt__sink_close succeeds (mmt_tracew
 * publishes its staged output). The engine owns every feed and sink it starts.
 */
#ifndef MMT_REPLAY_INTERNAL_H
#define MMT_REPLAY_INTERNAL_H

#include "internal.h"

/* The ring a feed or sink hands rows through between its helper thread and the engine:
 * MMT__RING_SLOTS slots of batch rows, each stored as [cycle, v0, ..., v(width-1)]; a slot's
 * count and state (0: empty, else the owner's states) are under the worker's lock. */
#define MMT__RING_SLOTS 4
#define MMT__SLOT_VALUES (1 << 14) /* int64 values per slot: 128 KB */
typedef struct mmt__ring {
    int64_t stride, batch; /* stride = width + 1; batch: rows per slot */
    int64_t *buf;
    int64_t count[MMT__RING_SLOTS];
    int state[MMT__RING_SLOTS];
    mmt__worker wk; /* the helper thread, started by the owner */
} mmt__ring;

/* Allocates the slots for rows of width values and starts the worker on fn(arg); 0 or
 * MMT_ENOMEM. The owner stops the worker and calls mmt__ring_free, also after a failure. */
static inline int mmt__ring_start(mmt__ring *r, int64_t width, void *(*fn)(void *), void *arg)
{
    r->stride = width + 1;
    r->batch = MMT__SLOT_VALUES / r->stride > 0 ? MMT__SLOT_VALUES / r->stride : 1;
    r->buf = malloc((size_t)MMT__RING_SLOTS * (size_t)(r->batch * r->stride) * sizeof *r->buf);
    if (!r->buf)
        return MMT_ENOMEM;
    mmt__worker_init(&r->wk);
    return mmt__worker_start(&r->wk, fn, arg);
}

/* Row i of slot k: its cycle, then its width values. */
static inline int64_t *mmt__ring_row(const mmt__ring *r, int k, int64_t i)
{
    return r->buf + ((size_t)k * (size_t)r->batch + (size_t)i) * (size_t)r->stride;
}

/* Gives slot k to the other side in its new state (the slot's count and anything else the
 * other side reads are set before) and wakes it. */
static inline void mmt__ring_hand(mmt__ring *r, int k, int state)
{
    pthread_mutex_lock(&r->wk.m);
    r->state[k] = state;
    pthread_cond_broadcast(&r->wk.c);
    pthread_mutex_unlock(&r->wk.m);
}

/* Frees what start made (nothing if a zeroed ring); the owner has stopped the worker. */
static inline void mmt__ring_free(mmt__ring *r)
{
    if (r->buf)
        mmt__worker_destroy(&r->wk);
    free(r->buf);
}

typedef struct mmt__feed mmt__feed;

/* What a trace must look like: rows rows of 1 + width fields, addresses in [lo, hi) or -1,
 * cycles strictly growing and at least row + base (base 1 for reads, 0 for writes). what
 * names the operand in messages; path and what are borrowed until mmt__feed_free. */
typedef struct mmt__feed_spec {
    const char *path, *what;
    int64_t rows, width, lo, hi, base;
    int any_cycle; /* SCALE-Sim v3 read traces: cycles may go backwards (doc/scalesim-v3.md
                      §V3.5), so they are not checked */
} mmt__feed_spec;

/* Opens the trace and starts its reader thread. The caller owns *out (mmt__feed_free). */
int mmt__feed_start(const mmt__feed_spec *s, mmt__feed **out, mmt_diag *d);

/* Gives the next row (width addresses, valid until the next call) and its cycle column.
 * Returns 0, or the error of the first bad row with its diagnostic copied into d. */
int mmt__feed_next(mmt__feed *f, const int64_t **row, int64_t *cycle, mmt_diag *d);

/* After the last row: checks that the file ends there and that the stream was intact. */
int mmt__feed_end(mmt__feed *f, mmt_diag *d);

/* Stops the reader (whatever it is doing) and frees f. Accepts NULL. */
void mmt__feed_free(mmt__feed *f);

typedef struct mmt__sink mmt__sink;

/* Creates path's staged file (zlib level) and starts the writer; the output starts with the
 * first `lines` lines of the trace `from` (none if NULL), copied unchanged (rows that replay
 * left as they were, found out only later). The caller owns *out. */
int mmt__sink_start_copy(const char *path, int level, int64_t width, const char *from,
                         int64_t lines, mmt__sink **out);

/* Queues one row: "cycle,row[0],...,row[width-1]". Returns 0 or the writer's first error. */
int mmt__sink_put(mmt__sink *s, int64_t cycle, const int64_t *row);

/* Writes what is queued, closes the file and renames it into place; frees s. */
int mmt__sink_close(mmt__sink *s);

/* Stops the writer and discards the file; frees s. Accepts NULL. */
void mmt__sink_free(mmt__sink *s);

/* Test hook of crash-consistency tests: the N-th call, with MMTRACE_TEST_KILL_AFTER=N in the
 * environment, kills the process with SIGKILL (tests/failure.sh: a kill between the final
 * renames of a replay). */
void mmt__test_kill_point(void);

#endif
