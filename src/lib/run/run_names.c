/*
 * run_names.c - the one table of the file names of a run directory (mmtrace.h, mmt_output):
 * SCALE-Sim's trace and report names, and the names mmtrace keeps for itself there.
 */
#include "internal.h"

static const char *const output_name[MMT_OUT_COUNT] = {
    [MMT_OUT_IFMAP_SRAM] = "IFMAP_SRAM_TRACE.csv",
    [MMT_OUT_FILTER_SRAM] = "FILTER_SRAM_TRACE.csv",
    [MMT_OUT_OFMAP_SRAM] = "OFMAP_SRAM_TRACE.csv",
    [MMT_OUT_IFMAP_DRAM] = "IFMAP_DRAM_TRACE.csv",
    [MMT_OUT_FILTER_DRAM] = "FILTER_DRAM_TRACE.csv",
    [MMT_OUT_OFMAP_DRAM] = "OFMAP_DRAM_TRACE.csv",
    [MMT_OUT_COMPUTE_REPORT] = "COMPUTE_REPORT.csv",
    [MMT_OUT_BANDWIDTH_REPORT] = "BANDWIDTH_REPORT.csv",
    [MMT_OUT_DETAILED_REPORT] = "DETAILED_ACCESS_REPORT.csv",
    [MMT_OUT_BYTES_REPORT] = "BYTES_REPORT.csv",
};

const char *mmt_output_name(mmt_output k)
{
    return (unsigned)k < MMT_OUT_COUNT ? output_name[k] : NULL;
}

/* Whether base is "layer" followed by digits only: a layer folder of a run. */
static int is_layer_name(const char *base)
{
    size_t n = strlen(base);
    return !strncmp(base, "layer", 5) && n > 5 && strspn(base + 5, "0123456789") == n - 5;
}

int mmt_output_name_reserved(const char *base)
{
    if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..") || is_layer_name(base) ||
        !strcmp(base, ".mmtrace.lock") || !strncmp(base, ".mmtrace-", 9))
        return 1; /* .mmtrace-incomplete and .mmtrace-tmp.<pid>.NAME */
    for (int k = MMT_OUT_COMPUTE_REPORT; k < MMT_OUT_COUNT; k++)
        if (!strcmp(base, output_name[k]))
            return 1;
    return 0;
}

int64_t mmt_trace_text_estimate(int64_t rows, int64_t width)
{
    int64_t t;
    if (__builtin_add_overflow(width, 1, &t) || __builtin_mul_overflow(t, 3, &t) ||
        __builtin_mul_overflow(rows, t, &t))
        return -1;
    return t;
}
