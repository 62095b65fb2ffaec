/*
 * config_write.c - the one .cfg writer: a configuration as a SCALE-Sim .cfg that SCALE-Sim
 * and mmtrace both read back to the same values.
 */
#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* The keys SCALE-Sim v3 requires, set for a dense run (doc/scalesim-v3.md §V3.2); a bank
 * bandwidth the configuration does not set is 10 in 10 banks. Returns snprintf's count. */
static int v3_keys(const mmt_config *c, char *buf, size_t cap)
{
    int64_t bw[2], nb[2];
    for (int op = 0; op < 2; op++) {
        bw[op] = c->bank_bw[op] > 0 ? c->bank_bw[op] : 10;
        nb[op] = c->bank_bw[op] > 0 && c->bank_num[op] > 0 ? c->bank_num[op] : 10;
    }
    return snprintf(buf, cap,
                    "UseRamulatorTrace: False\n\n[layout]\n"
                    "IfmapCustomLayout: False\nFilterCustomLayout: False\n"
                    "IfmapSRAMBankBandwidth: %" PRId64 "\nIfmapSRAMBankNum: %" PRId64 "\n"
                    "IfmapSRAMBankPort: 2\nFilterSRAMBankBandwidth: %" PRId64
                    "\nFilterSRAMBankNum: %" PRId64 "\nFilterSRAMBankPort: 2\n\n"
                    "[sparsity]\nSparsitySupport: false\n",
                    bw[0], nb[0], bw[1], nb[1]);
}

/* Writes a width in thousandths of a bit as the shortest decimal (8000 -> "8", 1580 -> "1.58"). */
static void put_bits(int32_t milli, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%d.%03d", (int)(milli / 1000), (int)(milli % 1000));
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
}

/* mmtrace's [precision] section (operand widths), when the configuration has one. */
static int precision_keys(const mmt_config *c, char *buf, size_t cap)
{
    char b[3][24];
    for (int op = 0; op < 3; op++)
        put_bits(mmt_precision_bits(c, (mmt_operand)op), b[op], sizeof b[op]);
    return snprintf(buf, cap, "\n[precision]\nIfmapBits: %s\nFilterBits: %s\nOfmapBits: %s\n",
                    b[0], b[1], b[2]);
}

/* mmtrace's [memory] section (doc/memory.md), when the configuration has one. The Dram file
 * is written as an absolute path, so the cfg reads back the same wherever it is written. */
static int memory_keys(const mmt_config *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "\n[memory]\nPolicy: %s\n", mmt_memory_name(c->mem_policy));
    char abs[PATH_MAX];
    if (n >= 0 && (size_t)n < cap && c->dram_path[0])
        n += snprintf(buf + n, cap - (size_t)n, "Dram: %s\n",
                      realpath(c->dram_path, abs) ? abs : c->dram_path);
    if (n >= 0 && (size_t)n < cap && c->clock_mhz > 0)
        n += snprintf(buf + n, cap - (size_t)n, "ClockMHz: %.17g\n", c->clock_mhz);
    return n;
}

int mmt_config_format(const mmt_config *c, char *buf, size_t cap)
{
    int n = snprintf(
        buf, cap,
        "[general]\nrun_name = %s\n\n[architecture_presets]\n"
        "ArrayHeight:    %" PRId64 "\nArrayWidth:     %" PRId64 "\n"
        "IfmapSramSzkB:   %" PRId64 "\nFilterSramSzkB:  %" PRId64 "\nOfmapSramSzkB:   %" PRId64 "\n"
        "IfmapOffset:    %" PRId64 "\nFilterOffset:   %" PRId64 "\nOfmapOffset:    %" PRId64 "\n"
        "Bandwidth : %" PRId64 "\nDataflow : %s\nMemoryBanks:   1\n%s\n"
        "[run_presets]\nInterfaceBandwidth: %s\n",
        c->run_name, c->array_h, c->array_w, c->ifmap_kb, c->filter_kb, c->ofmap_kb,
        c->ifmap_offset, c->filter_offset, c->ofmap_offset, c->bandwidth,
        mmt_dataflow_name(c->dataflow),
        c->version == MMT_SCALESIM_V3 ? "ReadRequestBuffer: 32\nWriteRequestBuffer: 32\n" : "",
        c->user_bw ? "USER" : "CALC");
    if (n >= 0 && (size_t)n < cap && c->version == MMT_SCALESIM_V3)
        n += v3_keys(c, buf + n, cap - (size_t)n);
    if (n >= 0 && (size_t)n < cap && c->has_precision)
        n += precision_keys(c, buf + n, cap - (size_t)n);
    if (n >= 0 && (size_t)n < cap && c->has_memory)
        n += memory_keys(c, buf + n, cap - (size_t)n);
    return n < 0 || (size_t)n >= cap ? MMT_ERANGE : n;
}

int mmt_config_write(const char *path, const mmt_config *cfg, mmt_diag *diag)
{
    char text[4096];
    int n = mmt_config_format(cfg, text, sizeof text);
    if (n < 0)
        return mmt__diag(diag, n, path, 0, "configuration too long");
    return mmt__write_file_atomic(path, text, (size_t)n, diag);
}
