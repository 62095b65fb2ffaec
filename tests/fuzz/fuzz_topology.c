/*
 * fuzz_topology.c - fuzz target for the topology reader (doc/scalesim-v2.md §3), in both formats, and the
 * geometry of every layer it accepts (overflow checks).
 */
#include "mmtrace.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses data as conv and as GEMM; each accepted layer goes through mmt_geom_init. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mmt_config cfg = {.run_name = "f", .array_h = 4, .array_w = 3, .ifmap_kb = 1,
                      .filter_kb = 1, .ofmap_kb = 1, .filter_offset = 10000000,
                      .ofmap_offset = 20000000};
    for (int gemm = 0; gemm < 2; gemm++) {
        mmt_topology *t = NULL;
        mmt_diag d;
        if (mmt_topology_parse("fuzz.csv", (const char *)data, size, gemm, &t, &d, NULL, NULL))
            continue;
        size_t n = mmt_topology_count(t);
        for (size_t i = 0; i < n && i < 64; i++) {
            mmt_geom g;
            cfg.dataflow = (mmt_dataflow)(i % 3);
            if (mmt_geom_init(&g, mmt_topology_layer(t, i), &cfg, &d) == 0 &&
                (g.rows <= 0 || g.folds <= 0 || g.P <= 0 || g.K <= 0))
                __builtin_trap();
        }
        mmt_topology_free(t);
    }
    return 0;
}
