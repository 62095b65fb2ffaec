/*
 * fuzz_dramcfg.c - fuzz target for the DRAMsim3 .ini reader (src/lib/dram/dram_config.c): a
 * file it accepts must describe a memory the model can run, so small ones are run for a few
 * thousand cycles with requests spread over the address space, and their stats written.
 */
#include "mmtrace_dram.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks what a successful parse promises, and runs small memories. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mmt_dram_config *c;
    mmt_diag d;
    if (mmt_dram_config_parse("fuzz.ini", (const char *)data, size, &c, &d) != 0) {
        if (!memchr(d.message, '\0', sizeof d.message) || strchr(d.message, '\n') || !d.message[0])
            __builtin_trap();
        return 0;
    }
    uint32_t ch = mmt_dram_config_channels(c);
    if (ch < 1 || mmt_dram_config_request_bytes(c) < 1 || !(mmt_dram_config_tck_ns(c) > 0) ||
        mmt_dram_config_ranks(c) < 1 || mmt_dram_config_banks(c) < 1 ||
        mmt_dram_config_queue_size(c) < 1 || !(mmt_dram_config_peak_gbs(c) > 0))
        __builtin_trap();
    if ((uint64_t)ch * mmt_dram_config_ranks(c) * mmt_dram_config_banks(c) <= 4096) {
        mmt_dram *m;
        if (mmt_dram_new(c, NULL, NULL, &m) != 0)
            __builtin_trap();
        uint64_t x = 12345;
        for (int i = 0; i < 200; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            uint64_t a = x >> (x & 31);
            if (mmt_dram_config_channel_of(c, a) < ch &&
                mmt_dram_will_accept(m, a, (int)(x >> 62) & 1))
                mmt_dram_add(m, a, (int)(x >> 62) & 1);
            if (mmt_dram_advance(m, mmt_dram_cycle(m) + (x >> 58)) != 0 && !mmt_dram_error(m)[0])
                __builtin_trap();
        }
        char *j;
        size_t n;
        if (mmt_dram_stats_json(m, &j, &n) != 0 || strlen(j) != n)
            __builtin_trap();
        free(j);
        mmt_dram_free(m);
    }
    mmt_dram_config_free(c);
    return 0;
}
