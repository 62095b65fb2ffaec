/*
 * fuzz_cfg.c - fuzz target for the .cfg reader (configparser rules, doc/scalesim-v2.md §2).
 */
#include "mmtrace.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks invariants a successful parse promises. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mmt_config c;
    mmt_diag d;
    if (mmt_config_parse("fuzz.cfg", (const char *)data, size, &c, &d, NULL, NULL) == 0) {
        if (c.array_h <= 0 || c.array_w <= 0 || c.ifmap_kb <= 0 || !c.run_name[0] ||
            (c.user_bw && c.bandwidth <= 0))
            __builtin_trap();
        /* [precision]: widths usable by the memory model (sizes and bandwidths in elements) */
        for (int op = 0; op < 3; op++) {
            int32_t b = c.bits_milli[op];
            int64_t n;
            if ((b != 0 && (b < 1000 || b > 32000)) || (b != 0 && !c.has_precision) ||
                mmt_precision_sram_elems(&c, (mmt_operand)op, &n) != 0 ||
                (c.user_bw && mmt_precision_dram_bw(&c, (mmt_operand)op, &n) != 0))
                __builtin_trap();
        }
    } else if (!memchr(d.message, '\0', sizeof d.message) || strchr(d.message, '\n')) {
        __builtin_trap();
    }
    return 0;
}
