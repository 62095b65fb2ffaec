/*
 * sim_check.c - whether a layer result could have come from the model (mmt_sim_result_check): what
 * the model derives in closed form from the geometry is derived again and must agree exactly,
 * and the relations between the simulated numbers that the model guarantees must hold. The
 * study's layer cache calls it on every entry it reads, so an entry edited by hand (cycles
 * multiplied, a count zeroed) with its checksum recomputed is refused, not trusted.
 */
#include "sim_internal.h"

#include <math.h>

/* Fails with the field named. */
#define BAD(...) mmt__diag(d, MMT_EPARSE, "", 0, __VA_ARGS__)

/* Whether two report floats agree: equal, or both the same infinity or both NaN. */
static int same_float(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* The fields the model derives from the geometry alone (mmt__sim_result), derived again from
 * g and the result's own cycles and DRAM statistics, must equal the result's. */
static int check_derived(const mmt_config *cfg, const mmt_geom *g, const mmt_layer_result *r,
                         mmt_diag *d)
{
    static const char *const op[3] = {"IFMAP", "Filter", "OFMAP"};
    mmt__dram_stat ds[3];
    const mmt__dram_stat *dp[3];
    for (int k = 0; k < 3; k++) {
        ds[k] = (mmt__dram_stat){r->dram_start[k], r->dram_stop[k], r->dram_count[k], 1};
        dp[k] = &ds[k];
    }
    mmt_layer_result e, e311; /* the per-fold means as Python >= 3.12 or <= 3.11 sums them */
    mmt__sim_result(g, 0, r->total_cycles, r->stall_cycles, r->has_sram, r->sram_start,
                    r->sram_stop, dp, &e);
    mmt__sim_result(g, 1, r->total_cycles, r->stall_cycles, r->has_sram, r->sram_start,
                    r->sram_stop, dp, &e311);
    int v3 = cfg->version == MMT_SCALESIM_V3;
    e.mapping_eff = mmt__sim_mapping_eff(g, 0, v3);
    e311.mapping_eff = mmt__sim_mapping_eff(g, 1, v3);
    if (same_float(e311.mapping_eff, r->mapping_eff) &&
        same_float(e311.compute_util, r->compute_util))
        e = e311;
    for (int k = 0; k < 3; k++)
        if (e.sram_count[k] != r->sram_count[k])
            return BAD("SRAM %s %s %" PRId64 ", but this layer has %" PRId64, op[k],
                       k == 2 ? "Writes" : "Reads", r->sram_count[k], e.sram_count[k]);
    if (!same_float(e.overall_util, r->overall_util))
        return BAD("Overall Util %.17g does not match %" PRId64 " Total Cycles (%.17g)",
                   r->overall_util, r->total_cycles, e.overall_util);
    if (!same_float(e.mapping_eff, r->mapping_eff))
        return BAD("Mapping Efficiency %.17g, but this layer has %.17g", r->mapping_eff,
                   e.mapping_eff);
    if (!same_float(e.compute_util, r->compute_util))
        return BAD("Compute Util %.17g, but this layer has %.17g", r->compute_util, e.compute_util);
    return 0;
}

/* The relations between simulated numbers that the model guarantees (doc/scalesim-v2.md §7):
 * the last ofmap row is served at the last demand row plus the stalls; CALC mode never stalls;
 * an SRAM side starts no later than it stops; and an operand the SRAM accesses crosses DRAM
 * (not every element of it: the CALC ifmap prefetch skips elements no window reads, and the
 * USER filter buffer leaves out a last partial block, so only "some" is a guarantee). Checked on
 * every golden case and random layer (tests/sim_golden.c, tests/unit/test_folds.c; mutations in
 * tests/unit/test_study_cache.c). */
static int check_relations(const mmt_config *cfg, const mmt_geom *g, const mmt_layer_result *r,
                           mmt_diag *d)
{
    static const char *const op[3] = {"IFMAP", "Filter", "OFMAP"};
    if (r->total_cycles < 0 || r->stall_cycles < 0 || r->stall_cycles > r->total_cycles)
        return BAD("Stall Cycles %" PRId64 " outside 0..Total Cycles %" PRId64, r->stall_cycles,
                   r->total_cycles);
    if (r->total_cycles - r->stall_cycles != g->rows - 1)
        return BAD("Total Cycles %" PRId64 " minus Stall Cycles %" PRId64 " is not the layer's "
                   "%" PRId64 " compute cycles",
                   r->total_cycles, r->stall_cycles, g->rows - 1);
    if (!cfg->user_bw && r->stall_cycles != 0)
        return BAD("%" PRId64 " Stall Cycles in CALC mode, which never stalls", r->stall_cycles);
    for (int k = 0; k < 3; k++) {
        if (r->has_sram[k] && (r->sram_start[k] < 0 || r->sram_start[k] > r->sram_stop[k]))
            return BAD("SRAM %s Start Cycle %" PRId64 " after its Stop Cycle %" PRId64, op[k],
                       r->sram_start[k], r->sram_stop[k]);
        if (r->sram_count[k] > 0 && r->dram_count[k] < 1)
            return BAD("DRAM %s %s %" PRId64 ", but the layer has %" PRId64 " SRAM accesses of "
                       "it: its elements cross DRAM",
                       op[k], k == 2 ? "Writes" : "Reads", r->dram_count[k], r->sram_count[k]);
    }
    return 0;
}

int mmt_sim_result_check(const mmt_config *cfg, const mmt_geom *g, const mmt_layer_result *r,
                         mmt_diag *d)
{
    int e = check_derived(cfg, g, r, d);
    return e ? e : check_relations(cfg, g, r, d);
}
