/*
 * sink.h - writes one stall-adjusted SRAM trace on its own thread: the caller hands over
 * (served cycle, row) pairs, which are batched into a small ring and formatted and compressed
 * by mmt_tracew while the caller goes on simulating. The file appears at its path only when
 * sink_close succeeds (mmt_tracew's temporary name and rename).
 */
#ifndef MMT_SINK_H
#define MMT_SINK_H

#include "mmtrace.h"

typedef struct sink sink;

/* Creates path's temporary file (zlib level) and starts the writer. The caller owns *out. */
int sink_start(const char *path, int level, int64_t width, sink **out);

/* Same, but the output starts with the first `lines` lines of the trace `from`, copied
 * unchanged (rows that replay left as they were, found out only later). */
int sink_start_copy(const char *path, int level, int64_t width, const char *from,
                    int64_t lines, sink **out);

/* Queues one row: "cycle,row[0],...,row[width-1]". Returns 0 or the writer's first error. */
int sink_put(sink *s, int64_t cycle, const int64_t *row);

/* Writes what is queued, closes the file and renames it into place; frees s. */
int sink_close(sink *s);

/* Stops the writer and discards the file; frees s. Accepts NULL. */
void sink_free(sink *s);

#endif
