/*
 * dram_time.c - mmtrace-replay --dram=INI --clock=MHZ: times a run's DRAM traffic on a DRAM
 * model, layer by layer, into DRAM_TIMING_REPORT.csv (the library's mmt_dram_layer_time;
 * doc/dram.md, "Timing a run's DRAM traffic").
 */
#include <config.h>

#include "cli.h"
#include "dram_time.h"
#include "mmtrace_dram_layer.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* The one .cfg file in directory dir (mmtrace-gen copies the run's cfg there), malloc'ed;
 * NULL after printing why not. */
static char *find_cfg(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp) {
        cli_sys_error(dir, "cannot open the run directory");
        return NULL;
    }
    char *found = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".cfg") == 0 && e->d_name[0] != '.' &&
            n++ == 0) {
            found = malloc(strlen(dir) + len + 2);
            if (found)
                sprintf(found, "%s/%s", dir, e->d_name);
        }
    }
    closedir(dp);
    if (n != 1 || !found) {
        cli_error("%s: %s .cfg file to take the operand widths from (give -c CFG)", dir,
                  n ? "more than one" : "no");
        free(found);
        return NULL;
    }
    return found;
}

/* "DIR/layerI/OP_DRAM_TRACE.csv.gz", or the plain .csv when there is no .csv.gz. */
static char *trace_path(const char *dir, size_t i, const char *op)
{
    size_t n = strlen(dir) + strlen(op) + 64;
    char *p = malloc(n);
    struct stat st;
    if (!p)
        return NULL;
    snprintf(p, n, "%s/layer%zu/%s_DRAM_TRACE.csv.gz", dir, i, op);
    if (stat(p, &st) != 0)
        p[strlen(p) - 3] = '\0';
    return p;
}

/* Times layers 0, 1, ... of rundir (while rundir/layer<i> exists) into res (grown). */
static int time_layers(const mmt_dram_config *dc, const mmt_dram_layer_opts *lo,
                       const char *rundir, mmt_dram_layer_result **res, size_t *n)
{
    static const char *const ops[3] = {"IFMAP", "FILTER", "OFMAP"};
    for (size_t i = 0;; i++) {
        char dir[4200];
        struct stat st;
        snprintf(dir, sizeof dir, "%s/layer%zu", rundir, i);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            break;
        mmt_dram_layer_result *r = realloc(*res, (i + 1) * sizeof *r);
        char *paths[3] = {trace_path(rundir, i, ops[0]), trace_path(rundir, i, ops[1]),
                          trace_path(rundir, i, ops[2])};
        int rc = r && paths[0] && paths[1] && paths[2] ? 0 : -1;
        if (r)
            *res = r;
        mmt_diag d = {0};
        if (rc == 0 && (rc = mmt_dram_layer_time(dc, lo, (const char *const *)paths, &r[i], &d)))
            cli_print_diag(&d, NULL);
        else if (rc)
            cli_error("out of memory");
        for (int k = 0; k < 3; k++)
            free(paths[k]);
        if (rc)
            return EXIT_ERR;
        *n = i + 1;
    }
    if (*n == 0) {
        cli_error("%s/layer0: no such directory (not a run directory with DRAM traces)", rundir);
        return EXIT_ERR;
    }
    return EXIT_OK;
}

int dram_time_run(const char *ini, double mhz, const char *cfg_path, mmt_scalesim version,
                  const char *dir)
{
    mmt_diag d = {0};
    mmt_dram_config *dc = NULL;
    char *own_cfg = NULL, *rundir = NULL;
    mmt_dram_layer_result *res = NULL;
    size_t n = 0;
    int rc = EXIT_ERR;
    mmt_config cfg;
    if (mmt_dram_config_read(ini, &dc, &d) != 0) {
        cli_print_diag(&d, NULL);
        return EXIT_ERR;
    }
    if (!cfg_path && !(cfg_path = own_cfg = find_cfg(dir)))
        goto out;
    if (mmt_config_read_version(cfg_path, version, &cfg, &d, cli_warn, NULL) != 0) {
        cli_print_diag(&d, NULL);
        goto out;
    }
    if (own_cfg) {
        rundir = strdup(dir);
    } else if ((rundir = malloc(strlen(dir) + strlen(cfg.run_name) + 2)) != NULL) {
        sprintf(rundir, "%s/%s", dir, cfg.run_name);
    }
    if (!rundir) {
        cli_error("out of memory");
        goto out;
    }
    mmt_dram_layer_opts lo = {.clock_mhz = mhz,
                              .offset = {cfg.ifmap_offset, cfg.filter_offset, cfg.ofmap_offset}};
    for (int k = 0; k < 3; k++)
        lo.bits[k] = mmt_precision_bits(&cfg, (mmt_operand)k);
    if ((rc = time_layers(dc, &lo, rundir, &res, &n)) != EXIT_OK)
        goto out;
    char path[4300];
    snprintf(path, sizeof path, "%s/DRAM_TIMING_REPORT.csv", rundir);
    if (mmt_dram_layer_report_write(path, res, n, &d) != 0) {
        cli_print_diag(&d, NULL);
        rc = EXIT_ERR;
        goto out;
    }
    printf("DRAM timing (%s, %s, %g MHz): %zu layers, %s\n", ini,
           mmt_dram_config_protocol(dc), mhz, n, path);
    rc = cli_flush_stdout() ? EXIT_ERR : EXIT_OK;
out:
    free(res);
    free(rundir);
    free(own_cfg);
    mmt_dram_config_free(dc);
    return rc;
}
