/*
 * dram_time.c - mmtrace-replay --dram=INI --clock=MHZ: times a run's DRAM traffic on a DRAM
 * model, layer by layer, into DRAM_TIMING_REPORT.csv (the library's mmt_dram_run_time;
 * doc/dram.md, "Timing a run's DRAM traffic").
 */
#include <config.h>

#include "cli.h"
#include "dram_time.h"
#include "mmtrace_dram_layer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int dram_time_parse_clock(const char *arg, double *mhz)
{
    char *end = NULL;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || !(v > 0) || !(v < 1e9) || !isfinite(v)) {
        cli_usage_error("--clock: expected the accelerator clock in MHz (above 0), got '%s'", arg);
        return -1;
    }
    *mhz = v;
    return 0;
}

int dram_time_run(const char *ini, double mhz, const char *cfg_path, mmt_scalesim version,
                  const char *dir)
{
    mmt_dram_run_spec s = {.ini = ini,
                           .clock_mhz = mhz,
                           .cfg_path = cfg_path,
                           .version = version,
                           .dir = dir,
                           .warn = cli_warn};
    mmt_dram_run_summary sum;
    mmt_diag d = {0};
    if (mmt_dram_run_time(&s, &sum, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    printf("DRAM timing (%s, %s, %g MHz): %zu layers, %s\n", ini, sum.protocol, mhz, sum.layers,
           sum.report);
    free(sum.report);
    return cli_flush_stdout() ? EXIT_ERR : EXIT_OK;
}
