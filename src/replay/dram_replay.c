/*
 * dram_replay.c - mmtrace-replay --dram=INI --dram-trace=TRACE --cycles=N -p OUTDIR: DRAMsim3's
 * `dramsim3main INI -c N -t TRACE -o OUTDIR`, whose dramsim3.json we write as dram_stats.json.
 */
#include <config.h>

#include "dram_replay.h"

#include "cli.h"
#include "mmtrace_dram.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    mmt_dram_config *c = NULL;
    mmt_dram *m = NULL;
    int r = mmt_dram_config_read(ini, &c, &d);
    if (!r && (r = mmt_dram_new(c, NULL, NULL, &m)))
        snprintf(d.file, sizeof d.file, "%s", ini),
            d.line = 0, snprintf(d.message, sizeof d.message, "%s", mmt_strerror(r));
    if (!r)
        r = mmt_dram_trace_run(m, trace, cycles, &d);
    if (r) {
        cli_print_diag(&d, NULL);
        mmt_dram_free(m);
        mmt_dram_config_free(c);
        return EXIT_ERR;
    }
    if (cli_mkdirs(outdir)) {
        mmt_dram_free(m);
        mmt_dram_config_free(c);
        return EXIT_ERR;
    }
    size_t n = strlen(outdir) + sizeof "/dram_stats.json";
    char *path = malloc(n);
    if (!path) {
        cli_error("out of memory");
        r = MMT_ENOMEM;
    } else {
        snprintf(path, n, "%s/dram_stats.json", outdir);
        if ((r = mmt_dram_stats_write(m, path, &d)))
            cli_print_diag(&d, NULL);
    }
    free(path);
    mmt_dram_free(m);
    mmt_dram_config_free(c);
    return r ? EXIT_ERR : EXIT_OK;
}
