/*
 * dram_replay.h - mmtrace-replay's DRAM trace replay (--dram with --dram-trace): a thin front
 * end over mmt_dram_trace_run that writes OUTDIR/dram_stats.json as dramsim3main writes its
 * dramsim3.json. Returns a process exit status (cli.h) and prints the library's diagnostics.
 */
#ifndef MMT_DRAM_REPLAY_H
#define MMT_DRAM_REPLAY_H

#include <stdint.h>

/* Parses --cycles (a positive decimal count); prints a usage error and returns non-zero. */
int dram_replay_parse_cycles(const char *arg, uint64_t *out);

/* Replays trace on a memory configured by ini for cycles DRAM cycles; writes
 * outdir/dram_stats.json (outdir is created if missing). */
int dram_replay_run(const char *ini, const char *trace, uint64_t cycles, const char *outdir);

#endif
