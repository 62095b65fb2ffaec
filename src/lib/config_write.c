/*
 * config_write.c - the one .cfg writer: a configuration as a SCALE-Sim .cfg that SCALE-Sim
 * and mmtrace both read back to the same values.
 */
#include "internal.h"

#include <stdio.h>

int mmt_config_format(const mmt_config *c, char *buf, size_t cap)
{
    int n = snprintf(
        buf, cap,
        "[general]\nrun_name = %s\n\n[architecture_presets]\n"
        "ArrayHeight:    %" PRId64 "\nArrayWidth:     %" PRId64 "\n"
        "IfmapSramSzkB:   %" PRId64 "\nFilterSramSzkB:  %" PRId64 "\nOfmapSramSzkB:   %" PRId64 "\n"
        "IfmapOffset:    %" PRId64 "\nFilterOffset:   %" PRId64 "\nOfmapOffset:    %" PRId64 "\n"
        "Bandwidth : %" PRId64 "\nDataflow : %s\nMemoryBanks:   1\n\n"
        "[run_presets]\nInterfaceBandwidth: %s\n",
        c->run_name, c->array_h, c->array_w, c->ifmap_kb, c->filter_kb, c->ofmap_kb,
        c->ifmap_offset, c->filter_offset, c->ofmap_offset, c->bandwidth,
        mmt_dataflow_name(c->dataflow), c->user_bw ? "USER" : "CALC");
    return n < 0 || (size_t)n >= cap ? MMT_ERANGE : n;
}

int mmt_config_write(const char *path, const mmt_config *cfg, mmt_diag *diag)
{
    char text[2048];
    int n = mmt_config_format(cfg, text, sizeof text);
    if (n < 0)
        return mmt__diag(diag, n, path, 0, "configuration too long");
    return mmt__write_file_atomic(path, text, (size_t)n, diag);
}
