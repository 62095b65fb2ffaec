/*
 * dram_replay.c - mmtrace-replay --dram=INI --dram-trace=TRACE --cycles=N -p OUTDIR: DRAMsim3's
 * `dramsim3main INI -c N -t TRACE -o OUTDIR`, whose dramsim3.json we write as dram_stats.json.
 */
#include <config.h>

#include "dram_replay.h"

#include "cli.h"
#include "mmtrace_dram_layer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int dram_replay_parse_cycles(const char *arg, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = arg[0] >= '0' && arg[0] <= '9' ? strtoull(arg, &end, 10) : 0;
    if (arg[0] < '0' || arg[0] > '9' || *end || errno == ERANGE) {
        cli_usage_error("--cycles: expected a number of DRAM cycles, got '%s'", arg);
        return 1;
    }
    *out = (uint64_t)v;
    return 0;
}

int dram_replay_run(const char *ini, const char *trace, uint64_t cycles, const char *outdir)
{
    mmt_diag d = {0};
    if (mmt_dram_trace_replay(ini, trace, cycles, outdir, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    return EXIT_OK;
}
