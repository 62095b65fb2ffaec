/*
 * gen.c - writes the stall-free SRAM traces of a layer (doc/scalesim-v2.md §9): reads are served one cycle
 * after their demand row, writes at the demand row, so the cycle column is row+1 for the
 * ifmap and filter traces and row for the ofmap trace.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int mmt_gen_trace(const mmt_geom *g, mmt_operand op, const char *dir, int level,
                  uint64_t *bytes_out, mmt_progress_fn progress, void *ud)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.gz", dir, mmt_output_name((mmt_output)op)) >=
        (int)sizeof path)
        return MMT_EINVAL;
    mmt_stream *s = NULL;
    mmt_tracew *w = NULL;
    const int64_t *row = NULL;
    int64_t lo, hi;
    int r = mmt_stream_new(g, op, &s);
    if (r == 0)
        r = mmt_tracew_open(path, level, &w);
    int64_t width = s ? mmt_stream_width(s) : 0;
    int64_t serve = op == MMT_OP_OFMAP ? 0 : 1; /* SCALE-Sim v2: reads served at row + 1 */
    int64_t i = 0;
    for (; r == 0 && (r = mmt_stream_next_view(s, &row, &lo, &hi)) == 1; i++) {
        r = mmt_tracew_row_range(w, i + serve, row, width, lo, hi);
        if (progress && (i & 0xffff) == 0xffff)
            progress(ud, 0x10000);
    }
    if (progress && r == 0)
        progress(ud, i & 0xffff);
    if (r == 0 && bytes_out)
        *bytes_out = mmt_tracew_bytes(w);
    if (r == 0)
        r = mmt_tracew_close(w);
    else
        mmt_tracew_abort(w);
    int e = errno; /* the reason of an MMT_EIO (mmtrace.h) */
    mmt_stream_free(s);
    errno = e;
    return r;
}
