/* unit_util.h - set-up shared by several unit tests: the usual array config and conv/GEMM
 * layers, a warning counter for the cfg and topology parsers, and reading back a report.
 * Helpers that check use cmocka assertions, so a failure names the helper's line. */
#ifndef UNIT_UTIL_H
#define UNIT_UTIL_H

#include <stdint.h>

#include "mmtrace.h"

/* Warnings seen by on_warn. */
typedef struct warns {
    int n;
    mmt_diag last;
} warns;

/* The parsers' warning callback: counts into the warns at ud and keeps the last one. */
void on_warn(void *ud, const mmt_diag *d);

/* An R x C array with 64 KB SRAMs at offsets 0 / 10000000 / 20000000, run name "t". */
mmt_config unit_cfg(int64_t R, int64_t C, mmt_dataflow df);

/* A conv layer on topology line 7 (the line diagnostics must name). */
mmt_layer unit_conv(int64_t H, int64_t W, int64_t FH, int64_t FW, int64_t Cin, int64_t N,
                    int64_t SH, int64_t SW);

/* The conv layer SCALE-Sim makes of a GEMM row M, N, K (doc/scalesim-v2.md §3.2). */
mmt_layer unit_gemm(int64_t M, int64_t N, int64_t K);

/* Reads a whole (small) file into a static buffer, overwritten by the next call. */
const char *unit_slurp(const char *path);

#endif
