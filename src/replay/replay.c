/*
 * replay.c - mmtrace-replay's replay: loads the run (mmt_run_load), checks the disk, runs the
 * library's replay engine (mmt_replay_run: the SRAM traces through the memory model, or the
 * fused model with --no-traces) with progress on stderr, and prints SCALE-Sim's console text.
 *
 * Console: SCALE-Sim's console text (header, one block per layer, "Run Complete") is printed
 * only after the whole run has succeeded and its files are in place; the layers' blocks were
 * spooled by the engine (mmt_replay_console). A failed run prints nothing on stdout.
 */
#include <config.h>

#include "cli.h"
#include "progress.h"
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints SCALE-Sim's console header (doc/scalesim-v2.md §1). */
static void print_header(const replay_opts *o, const mmt_config *c)
{
    static const char *const df[3] = {"Output Stationary", "Weight Stationary", "Input Stationary"};
    const char *bar = "====================================================";
    printf("%s\n******************* SCALE SIM **********************\n%s\n", bar, bar);
    printf("Array Size: \t%" PRId64 "x%" PRId64 "\n", c->array_h, c->array_w);
    printf("SRAM IFMAP (kB): \t%" PRId64 "\nSRAM Filter (kB): \t%" PRId64
           "\nSRAM OFMAP (kB): \t%" PRId64 "\n",
           c->ifmap_kb, c->filter_kb, c->ofmap_kb);
    printf("Dataflow: \t%s\n", df[c->dataflow]);
    if (c->version == MMT_SCALESIM_V3) /* v3.0.0 renames the line and adds the layout's */
        printf("topology file path: \t%s\nlayout file path: \t%s\n", o->run.topo_path,
               o->layout_path ? o->layout_path : "./layouts/conv_nets/test.csv");
    else
        printf("CSV file path: \t%s\n", o->run.topo_path);
    if (c->user_bw)
        printf("Bandwidth: \t%" PRId64 "\nWorking in USE USER BANDWIDTH mode.\n", c->bandwidth);
    else
        printf("Working in ESTIMATE BANDWIDTH mode.\n");
    printf("%s\n", bar);
}

/* -v: says on stderr which engine ran layer li of the fused model, and why. */
static void say_engine(const replay_opts *o, const mmt_run *run, size_t li)
{
    const char *why = "--engine=rows";
    mmt_geom g;
    mmt_run_geom(run, li, &g);
    if (mmt_run_config(run)->mem_policy == MMT_MEM_STREAM) { /* doc/memory.md */
        fprintf(stderr, "%s: layer %zu: stream memory policy\n", cli_progname, li);
        return;
    }
    int folds =
        o->run.engine != MMT_ENGINE_ROWS && mmt_sim_folds_ok(mmt_run_config(run), &g, NULL, &why);
    fprintf(stderr, "%s: layer %zu: %s engine%s%s%s\n", cli_progname, li, folds ? "fold" : "row",
            folds ? "" : " (", folds ? "" : why, folds ? "" : ")");
}

/* Prints SCALE-Sim's whole console text, once the run has succeeded (-v: first which engine
 * ran each layer, on stderr). */
static int print_console(const replay_opts *o, const mmt_run *run, mmt_replay *rp)
{
    for (size_t li = 0; o->verbose && !o->run.traces && li < mmt_run_count(run); li++)
        say_engine(o, run, li);
    print_header(o, mmt_run_config(run));
    mmt_diag d = {0};
    if (mmt_replay_console(rp, stdout, &d) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    printf("************ SCALE SIM Run Complete ****************\n");
    return cli_flush_stdout();
}

/* Runs the library's replay engine with progress on stderr. */
static int replay(const replay_opts *o, const mmt_run *run, mmt_replay **rp)
{
    cli_progress p;
    cli_progress_init(&p, "demand rows");
    p.quiet = 1;
    mmt_replay_opts ro = {.traces = o->run.traces,
                          .level = o->level,
                          .jobs = o->jobs,
                          .engine = o->run.engine,
                          .tick = cli_progress_tick,
                          .tick_ud = &p,
                          .warn = cli_warn};
    mmt_diag d = {0};
    int r = mmt_replay_new(run, &ro, rp, &d);
    if (r == 0)
        r = mmt_replay_run(*rp, &d);
    cli_progress_end(&p);
    if (r)
        cli_print_diag(&d, NULL);
    return r;
}

int replay_run(const replay_opts *o, char **rundir)
{
    mmt_run *run = NULL;
    mmt_replay *rp = NULL;
    mmt_diag d = {0};
    int rc = EXIT_ERR;
    if (mmt_run_load(&o->run, &run, &d) != 0)
        cli_print_diag(&d, NULL);
    else if (cli_check_run_size(run, 0, o->force) == 0 && replay(o, run, &rp) == 0 &&
             print_console(o, run, rp) == 0) {
        rc = EXIT_OK;
        if (rundir && !(*rundir = strdup(mmt_run_dir(run)))) {
            cli_error("out of memory");
            rc = EXIT_ERR;
        }
    }
    mmt_replay_free(rp);
    mmt_run_free(run);
    return rc;
}
