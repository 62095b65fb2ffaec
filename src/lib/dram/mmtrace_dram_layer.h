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

/* ---------------------------------------------------------------- whole runs (dram_run.c) */

/* `dramsim3main INI -c CYCLES -t TRACE -o OUTDIR`: replays the DRAMsim3 trace (gzip or not)
 * on the memory of ini for cycles DRAM cycles and writes its dramsim3.json, key for key, as
 * OUTDIR/dram_stats.json (OUTDIR made as needed). Errors fill d. */
int mmt_dram_trace_replay(const char *ini, const char *trace, uint64_t cycles,
                          const char *outdir, mmt_diag *d);

/* What mmt_dram_run_time times: the DRAM of ini at an accelerator clock of clock_mhz MHz, the
 * run in dir: DIR/<run_name> of cfg_path (widths and offsets from it, read as version with
 * warnings through warn), or DIR itself when cfg_path is NULL (its one .cfg, which
 * mmtrace-gen copies there, gives them). All borrowed. */
typedef struct mmt_dram_run_spec {
    const char *ini;
    double clock_mhz;
    const char *cfg_path;
    mmt_scalesim version;
    const char *dir;
    mmt_warn_fn warn;
    void *ud;
} mmt_dram_run_spec;
/* What it did: the report's path (the caller frees it), the layers timed and the memory's
 * protocol (DDR4, ...). */
typedef struct mmt_dram_run_summary {
    char *report;
    size_t layers;
    char protocol[32];
} mmt_dram_run_summary;
/* Times every layer of the run (layer0, layer1, ... while they exist; each one's three
 * X_DRAM_TRACE.csv.gz, or the plain .csv) with mmt_dram_layer_time and writes
 * DRAM_TIMING_REPORT.csv into the run directory. Errors fill d; out->report is NULL then. */
int mmt_dram_run_time(const mmt_dram_run_spec *s, mmt_dram_run_summary *out, mmt_diag *d);

#ifdef __cplusplus
}
#endif

#endif /* MMTRACE_DRAM_LAYER_H */
