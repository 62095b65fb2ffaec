/*
 * feed.h - reads one input SRAM trace ahead on its own thread: rows are parsed and checked
 * into a small ring of batches while the caller runs the memory model, so decompression and
 * parsing overlap simulation and trace writing. Memory is bounded by the ring (512 KB a trace).
 */
#ifndef MMT_FEED_H
#define MMT_FEED_H

#include "mmtrace.h"

typedef struct feed feed;

/* What a trace must look like: rows rows of 1 + width fields, addresses in [lo, hi) or -1,
 * cycles strictly growing and at least row + base (base 1 for reads, 0 for writes). what
 * names the operand in messages; path and what are borrowed until feed_free. */
typedef struct feed_spec {
    const char *path, *what;
    int64_t rows, width, lo, hi, base;
    int any_cycle; /* SCALE-Sim v3 read traces: cycles may go backwards (doc/scalesim-v3.md
                      §V3.5), so they are not checked */
} feed_spec;

/* Opens the trace and starts its reader thread. The caller owns *out (feed_free). */
int feed_start(const feed_spec *s, feed **out, mmt_diag *d);

/* Gives the next row (width addresses, valid until the next call) and its cycle column.
 * Returns 0, or the error of the first bad row with its diagnostic copied into d. */
int feed_next(feed *f, const int64_t **row, int64_t *cycle, mmt_diag *d);

/* After the last row: checks that the file ends there and that the stream was intact. */
int feed_end(feed *f, mmt_diag *d);

/* Stops the reader (whatever it is doing) and frees f. Accepts NULL. */
void feed_free(feed *f);

#endif
