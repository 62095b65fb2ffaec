/*
 * trace_gen.c - writes the stall-free SRAM traces of a layer (doc/scalesim-v2.md §9): reads are served one cycle
 * after their demand row, writes at the demand row, so the cycle column is row+1 for the
 * ifmap and filter traces and row for the ofmap trace.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

int mmt_gen_trace(const mmt_geom *g, mmt_operand op, const char *dir, int level,
                  uint64_t *bytes_out, mmt_progress_fn progress, void *ud, mmt_diag *diag)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.gz", dir, mmt_output_name((mmt_output)op)) >=
        (int)sizeof path)
        return mmt__diag(diag, MMT_EINVAL, dir, 0, "path too long");
    mmt_stream *s = NULL;
    mmt_tracew *w = NULL;
    const int64_t *row = NULL;
    int64_t lo, hi;
    int r = mmt_stream_new(g, op, &s);
    if (r != 0)
        return mmt__diag(diag, r, path, 0, "cannot write trace: %s", mmt_strerror(r));
    if ((r = mmt_tracew_open(path, level, &w, diag)) != 0) {
        mmt_stream_free(s);
        return r;
    }
    int64_t width = mmt_stream_width(s);
    int64_t serve = op == MMT_OP_OFMAP ? 0 : 1; /* SCALE-Sim v2: reads served at row + 1 */
    int64_t i = 0;
    int sr = 0; /* the stream's own failure (MMT_ENOMEM) */
    for (; r == 0; i++) {
        if ((sr = mmt_stream_next_view(s, &row, &lo, &hi)) <= 0)
            break;
        r = mmt_tracew_row_range(w, i + serve, row, width, lo, hi);
        if (progress && (i & 0xffff) == 0xffff)
            progress(ud, 0x10000);
    }
    mmt_stream_free(s);
    if (sr < 0) {
        mmt_tracew_abort(w);
        return mmt__diag(diag, sr, path, 0, "cannot write trace: %s", mmt_strerror(sr));
    }
    if (progress && r == 0)
        progress(ud, i & 0xffff);
    if (r == 0 && bytes_out)
        *bytes_out = mmt_tracew_bytes(w);
    /* A failed row is latched in the writer: close discards the file and gives the reason. */
    return mmt_tracew_close(w, diag);
}
