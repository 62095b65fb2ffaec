/*
 * dram_time.h - mmtrace-replay --dram=INI --clock=MHZ: the DRAM timing of a run's DRAM traces
 * (dram_time.c). Returns process exit statuses (cli.h) and prints the library's diagnostics.
 */
#ifndef MMT_DRAM_TIME_H
#define MMT_DRAM_TIME_H

#include "mmtrace.h"

/* Parses --clock's value (MHz, a decimal above 0); prints a usage error and returns -1 if bad. */
int dram_time_parse_clock(const char *arg, double *mhz);

/* Times every layer of a run on the DRAM of ini at an accelerator clock of mhz MHz and writes
 * DRAM_TIMING_REPORT.csv into the run directory: DIR/<run_name> with a cfg (widths and
 * offsets from it), or DIR itself without one (then its one .cfg, which mmtrace-gen copies
 * there, gives them). */
int dram_time_run(const char *ini, double mhz, const char *cfg_path, mmt_scalesim version,
                  const char *dir);

#endif
