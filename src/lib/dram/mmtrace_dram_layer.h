/*
 * mmtrace_dram_layer.h - timing a SCALE-Sim layer's DRAM traffic on a DRAM model (issue 20
 * item 3): the layer's three DRAM traces (IFMAP/FILTER/OFMAP_DRAM_TRACE, mmtrace's .csv.gz or
 * SCALE-Sim's plain .csv) become 64-byte-class requests by the element-to-byte rule of
 * doc/dram.md ("Timing a run's DRAM traffic"), are issued at their accelerator cycle converted
 * to DRAM cycles and fed to an mmt_dram exactly as DRAMsim3's trace front end feeds its
 * memory (a request enters once its cycle has come and the controller accepts it, one per
 * cycle), and the memory runs until every request has completed. The results are one row of
 * DRAM_TIMING_REPORT.csv.
 *
 * Conventions are mmtrace.h's. The caller owns everything it passes; nothing is kept.
 */
#ifndef MMTRACE_DRAM_LAYER_H
#define MMTRACE_DRAM_LAYER_H

#include "mmtrace.h"
#include "mmtrace_dram.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Each operand's requests lie in a region of this many bytes: ifmap at 0, filter at 1 GiB,
 * ofmap at 2 GiB (a memory smaller than 3 GiB folds them as its address map drops high bits). */
#define MMT_DRAM_LAYER_REGION (UINT64_C(1) << 30)

/* How a layer's traffic is turned into requests. */
typedef struct mmt_dram_layer_opts {
    double clock_mhz;      /* accelerator clock in MHz (> 0) */
    int32_t bits[3];       /* operand widths in thousandths of a bit, by mmt_operand (8000) */
    int64_t offset[3];     /* IfmapOffset, FilterOffset, OfmapOffset of the cfg */
} mmt_dram_layer_opts;

/* One layer's results (a row of DRAM_TIMING_REPORT.csv). Cycles are DRAM cycles counted from
 * the layer's first DRAM trace row (its cycle t0, usually negative: the initial fill). */
typedef struct mmt_dram_layer_result {
    int64_t t0;                  /* accelerator cycle of the first DRAM trace row */
    uint64_t requests, reads, writes;
    uint64_t dram_cycles;        /* DRAM cycles simulated: until the last request completed */
    uint64_t last_done_cycle;    /* DRAM cycle of the last completion (DRAMsim3's callback) */
    double row_hit_rate;         /* row hits / (read + write commands); 0 without commands */
    double avg_read_latency_ns;  /* DRAMsim3's average read latency x tCK */
    double max_read_latency_ns;
    double gbs;                  /* requests x request bytes / (dram_cycles x tCK), GB/s */
    double done_ns;              /* dram_cycles x tCK */
    double done_accel_cycles;    /* t0 + done_ns x MHz / 1000 */
    double energy_pj;            /* DRAMsim3's total_energy x tCK (its figure assumes 1 ns) */
    mmt_dram_stats stats;        /* the memory's statistics at the end */
} mmt_dram_layer_result;

/* Times one layer whose three DRAM traces are paths[MMT_OP_IFMAP..MMT_OP_OFMAP] on a new
 * memory of config c. Errors: MMT_ETRACE with FILE:LINE for a malformed trace (a field that
 * is not an integral number, cycles that go backwards, an element beyond its operand's
 * region), the trace reader's errors, MMT_EINVAL for bad options, and the model's. */
int mmt_dram_layer_time(const mmt_dram_config *c, const mmt_dram_layer_opts *o,
                        const char *const paths[3], mmt_dram_layer_result *out, mmt_diag *diag);

/* Writes DRAM_TIMING_REPORT.csv to path atomically: a header, then one line per layer
 * (doc/dram.md gives the columns). */
int mmt_dram_layer_report_write(const char *path, const mmt_dram_layer_result *res, size_t n,
                                mmt_diag *diag);

#ifdef __cplusplus
}
#endif

#endif /* MMTRACE_DRAM_LAYER_H */
