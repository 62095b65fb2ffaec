/*
 * hwpreset.c - the study's two hardware presets (study.md), used by mmtrace-gen and the study.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>

int mmt_study_hw(const char *name, mmt_config *cfg)
{
    int cloud = !strcmp(name, "cloud");
    if (!cloud && strcmp(name, "edge"))
        return MMT_EINVAL;
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->run_name, sizeof cfg->run_name, "%s", name);
    cfg->array_h = cfg->array_w = cloud ? 256 : 64;
    cfg->ifmap_kb = cloud ? 4096 : 2048;
    cfg->filter_kb = cloud ? 8192 : 4096;
    cfg->ofmap_kb = cloud ? 4096 : 2048;
    cfg->ifmap_offset = 0;
    cfg->filter_offset = 10000000;
    cfg->ofmap_offset = 20000000;
    cfg->user_bw = 0;    /* CALC */
    cfg->bandwidth = 10; /* as in the shipped .cfg; unused in CALC mode */
    cfg->dataflow = MMT_DF_OS;
    return 0;
}
