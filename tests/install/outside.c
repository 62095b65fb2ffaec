/*
 * outside.c - a program written against the installed libmmtrace alone, as a user would:
 * only <mmtrace.h>, compiled and linked with the flags `pkg-config mmtrace` gives. It loads a
 * cfg and a topology, simulates every layer with the fused model (no trace files) and prints
 * each layer's "id, Total Cycles, Stall Cycles" as COMPUTE_REPORT.csv starts its rows.
 *
 * Usage: outside CFG TOPOLOGY conv|gemm. Exit 0 ok, 1 error (one line on stderr).
 */
#include <mmtrace.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Prints a library error with its diag and returns 1. */
static int fail(const char *what, int err, const mmt_diag *d)
{
    fprintf(stderr, "outside: %s: %s: %s\n", what, mmt_strerror(err), d ? d->message : "");
    return 1;
}

/* Simulates every layer of t under cfg and prints its cycle counts. */
static int run(const mmt_config *cfg, const mmt_topology *t)
{
    mmt_diag d;
    for (size_t i = 0; i < mmt_topology_count(t); i++) {
        mmt_geom g;
        mmt_layer_result res;
        mmt_sim_opts o;
        memset(&d, 0, sizeof d);
        memset(&o, 0, sizeof o);
        int err = mmt_geom_init(&g, mmt_topology_layer(t, i), cfg, &d);
        if (err)
            return fail("geometry", err, &d);
        err = mmt_sim_run(cfg, &g, &o, &res);
        if (err)
            return fail("simulation", err, NULL);
        printf("%zu, %" PRId64 ", %" PRId64 "\n", i, res.total_cycles, res.stall_cycles);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: outside CFG TOPOLOGY conv|gemm\n");
        return 2;
    }
    /* The library found at run time is the one whose header this was compiled against. */
    if (strcmp(mmt_version(), MMT_VERSION_STRING) != 0) {
        fprintf(stderr, "outside: library %s, header %s\n", mmt_version(), MMT_VERSION_STRING);
        return 1;
    }
    mmt_config cfg;
    mmt_topology *t = NULL;
    mmt_diag d;
    memset(&d, 0, sizeof d);
    int err = mmt_config_read(argv[1], &cfg, &d, NULL, NULL);
    if (err)
        return fail(argv[1], err, &d);
    err = mmt_topology_read(argv[2], strcmp(argv[3], "gemm") == 0, &t, &d, NULL, NULL);
    if (err)
        return fail(argv[2], err, &d);
    int rc = run(&cfg, t);
    mmt_topology_free(t);
    return rc;
}
