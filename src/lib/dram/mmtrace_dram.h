/*
 * mmtrace_dram.h - a cycle-level DRAM timing and energy model whose contract is DRAMsim3
 * (github umd-memsys/DRAMsim3, commit 2981759): for the same .ini and the same request stream
 * it gives the same completions, at the same cycles, and the same statistics, and writes them
 * as DRAMsim3's dramsim3.json (doc/dram.md). It reads DRAMsim3's own .ini files unchanged
 * (DDR3, DDR4, LPDDR, LPDDR3, LPDDR4, GDDR5, GDDR5X, GDDR6, HBM, HBM2; HMC is refused). Unlike
 * DRAMsim3 it skips cycles in which nothing can happen, in O(1), with identical results.
 *
 * Conventions are mmtrace.h's: calls return 0 or a negative MMT_E* code, parsers fill an
 * mmt_diag, cycles and addresses are 64-bit, handles are freed by mmt_x_free (NULL accepted).
 * Ownership: the caller owns every handle it is given and every buffer the calls return (free
 * them with free()). An mmt_dram copies what it needs from its config, which may be freed
 * once mmt_dram_new returns.
 *
 * Time: a "cycle" is one DRAM clock (the .ini's tCK, in ns). An mmt_dram starts at cycle 0;
 * mmt_dram_tick runs one cycle (what DRAMsim3's MemorySystem::ClockTick does) and requests
 * added between two ticks enter at the cycle mmt_dram_cycle() returns, as in DRAMsim3, where
 * a front end adds them after the ClockTick of its own cycle.
 */
#ifndef MMTRACE_DRAM_H
#define MMTRACE_DRAM_H

#include "mmtrace.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- config (.ini) */

/* A parsed DRAMsim3 .ini, with DRAMsim3's defaults for absent keys and its derived values
 * (ranks from channel_size, tRC = tRAS + tRP, the energy increments, the address map). */
typedef struct mmt_dram_config mmt_dram_config;

/* Reads a DRAMsim3 .ini (at most MMT_MAX_INPUT_BYTES) with DRAMsim3's rules and defaults
 * (doc/dram.md). Refuses, with FILE[:LINE]: message in diag: a line that is neither a
 * section, a key = value nor a comment (MMT_EPARSE); a missing [dram_structure], [timing] or
 * [system] section or `protocol` key; an unknown protocol (MMT_EPARSE) or HMC (MMT_EINVAL);
 * values DRAMsim3 cannot run (MMT_ERANGE: zero or negative sizes, an integer outside int, a
 * refresh interval below 1...), an address map that is not 6 fields of ch ra bg ba ro co. */
int mmt_dram_config_read(const char *path, mmt_dram_config **out, mmt_diag *diag);

/* Same, for a .ini held in memory; name is used in diagnostics only. */
int mmt_dram_config_parse(const char *name, const char *text, size_t len, mmt_dram_config **out,
                          mmt_diag *diag);

void mmt_dram_config_free(mmt_dram_config *c);

/* DRAM clock period in ns ([timing] tCK). */
double mmt_dram_config_tck_ns(const mmt_dram_config *c);

/* Bytes per request: DRAMsim3's request size, bus_width / 8 * BL. Requests are aligned to
 * it by the address map (the low log2(request_bytes) address bits are ignored). */
uint32_t mmt_dram_config_request_bytes(const mmt_dram_config *c);

uint32_t mmt_dram_config_channels(const mmt_dram_config *c);

/* Peak bandwidth over all channels in GB/s (1e9 bytes/s): one request per burst (BL/2
 * cycles, BL/4 on GDDR5, BL/8 on GDDR5X, BL/16 on GDDR6) on each channel. +inf for BL = 0
 * (DRAMsim3's "perfect bandwidth"). */
double mmt_dram_config_peak_gbs(const mmt_dram_config *c);

/* The protocol's name as the .ini spells it ("DDR4", "HBM2", ...), static storage. */
const char *mmt_dram_config_protocol(const mmt_dram_config *c);

/* Ranks per channel (derived from channel_size as DRAMsim3 does) and banks per rank. */
uint32_t mmt_dram_config_ranks(const mmt_dram_config *c);
uint32_t mmt_dram_config_banks(const mmt_dram_config *c);

/* The channel an address maps to (0 .. channels-1). */
uint32_t mmt_dram_config_channel_of(const mmt_dram_config *c, uint64_t addr);

/* Transactions each channel holds before it refuses more (per direction unless
 * unified_queue: the read queue and the write buffer are each this big). */
uint32_t mmt_dram_config_queue_size(const mmt_dram_config *c);

/* ---------------------------------------------------------------- the memory */

typedef struct mmt_dram mmt_dram;

/* Called once per request when DRAMsim3 would call its read or write callback: addr as
 * added, cycle the DRAM cycle of the tick that returns it. Writes complete one cycle after
 * they are added (they are posted), reads when their data has been burst. Called from inside
 * mmt_dram_tick/mmt_dram_advance; it must not call back into the same mmt_dram. */
typedef void (*mmt_dram_done_fn)(void *ud, uint64_t addr, int is_write, uint64_t cycle);

/* A memory at cycle 0, empty; done may be NULL. */
int mmt_dram_new(const mmt_dram_config *c, mmt_dram_done_fn done, void *ud, mmt_dram **out);
void mmt_dram_free(mmt_dram *d);

/* 1 if the channel of addr has room for the request now, 0 if not (its queue is full). */
int mmt_dram_will_accept(const mmt_dram *d, uint64_t addr, int is_write);

/* Adds a request at the current cycle; MMT_EAGAIN if mmt_dram_will_accept says 0. */
int mmt_dram_add(mmt_dram *d, uint64_t addr, int is_write);

/* Runs one DRAM cycle. MMT_EINVAL (with mmt_dram_error's message) where DRAMsim3 itself would
 * abort (self-refresh paths with enable_self_refresh, see doc/dram.md); the memory is then
 * unusable. */
int mmt_dram_tick(mmt_dram *d);

/* The current cycle: the number of ticks run. */
uint64_t mmt_dram_cycle(const mmt_dram *d);

/* Ticks until mmt_dram_cycle(d) == cycle (nothing if it is already there or past), skipping
 * spans in which nothing can happen in O(1): the results and callbacks are identical to
 * calling mmt_dram_tick that many times. */
int mmt_dram_advance(mmt_dram *d, uint64_t cycle);

/* The earliest cycle >= mmt_dram_cycle(d) whose tick may do more than count the cycle (issue
 * a command, complete a request, start a refresh...) if no request is added meanwhile. An
 * event-driven caller may advance straight there. Never less than mmt_dram_cycle(d). */
uint64_t mmt_dram_next_event(const mmt_dram *d);

/* Requests added whose done callback has not been called yet. */
uint64_t mmt_dram_pending(const mmt_dram *d);

/* The message of the last MMT_EINVAL from mmt_dram_tick/advance ("" if none); lives as long
 * as d. */
const char *mmt_dram_error(const mmt_dram *d);

/* ---------------------------------------------------------------- statistics */

/* Statistics as DRAMsim3 counts them, summed over channels (or of one channel). Energies in
 * pJ as DRAMsim3 computes them (IDD currents x VDD x cycles x devices per rank; tCK is not
 * applied: its "pJ" assumes 1 ns cycles). average_read_latency is in cycles, over all
 * reads; average_bandwidth in GB/s; background_energy the active/precharge standby and
 * self-refresh energy; num_epochs DRAMsim3's epoch_num. */
typedef struct mmt_dram_stats {
    uint64_t num_cycles, num_reads_done, num_writes_done, num_read_cmds, num_write_cmds,
        num_read_row_hits, num_write_row_hits, num_act_cmds, num_pre_cmds, num_ref_cmds;
    double average_read_latency, total_energy, act_energy, read_energy, write_energy, ref_energy;
    uint64_t max_read_latency;
    /* beyond the minimum API */
    uint64_t num_ondemand_pres, num_refb_cmds, num_srefe_cmds, num_srefx_cmds, hbm_dual_cmds,
        num_epochs;
    double refb_energy, background_energy, average_bandwidth, average_power;
} mmt_dram_stats;

/* Fills out with the statistics so far, summed over channels. */
int mmt_dram_stats_get(const mmt_dram *d, mmt_dram_stats *out);

/* Same for one channel; MMT_EINVAL if channel is out of range. */
int mmt_dram_stats_channel(const mmt_dram *d, uint32_t channel, mmt_dram_stats *out);

/* DRAMsim3's final dramsim3.json for the statistics so far: the same keys, key order,
 * histograms, layout and number formatting (nlohmann::json 3.5's). *json is NUL-terminated
 * and malloc'ed; *len excludes the NUL. */
int mmt_dram_stats_json(const mmt_dram *d, char **json, size_t *len);

/* Writes that text to path atomically (temporary name, then rename). */
int mmt_dram_stats_write(const mmt_dram *d, const char *path, mmt_diag *diag);

/* ---------------------------------------------------------------- trace replay */

/* Replays a trace in DRAMsim3's format into a new memory d (at cycle 0) for `cycles` cycles,
 * exactly as dramsim3main's TraceBasedCPU feeds it: one request per line, `ADDR TYPE CYCLE`
 * (hex address, 0x optional; TYPE READ or WRITE, also read, write, P_MEM_RD, P_MEM_WR,
 * P_FETCH, BOFF; decimal cycle), gzip accepted. A request is offered once its cycle has come,
 * at most one per cycle, in file order, until the memory accepts it (doc/dram.md gives
 * DRAMsim3's end-of-file rules). Blank lines are skipped; any other malformed line is
 * MMT_ETRACE with FILE:LINE: message, even past the last simulated cycle. */
int mmt_dram_trace_run(mmt_dram *d, const char *trace_path, uint64_t cycles, mmt_diag *diag);

#ifdef __cplusplus
}
#endif

#endif /* MMTRACE_DRAM_H */
