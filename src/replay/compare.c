/*
 * compare.c - mmtrace-replay --compare: finds the two run directories, has the library compare
 * them (mmt_compare_dirs: reports field by field, traces line by line) and prints the table
 * of differences on stdout.
 */
#include <config.h>

#include "cli.h"
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Prints the table of differences and the notes. */
static void print_table(const mmt_cmp *C)
{
    if (C->ndiff)
        printf("%-6s %-44s %s\n", "layer", "what", "difference");
    for (size_t i = 0; i < C->ndiff; i++) {
        char lay[32] = "-";
        if (C->diff[i].layer != MMT_CMP_NO_LAYER)
            snprintf(lay, sizeof lay, "%zu", C->diff[i].layer);
        printf("%-6s %-44s %s\n", lay, C->diff[i].what, C->diff[i].text);
    }
    for (size_t i = 0; i < C->nnote; i++)
        printf("note: %s\n", C->note[i]);
}

/* The REFDIR run directory: ref/run_name if that is a directory, else ref itself. */
static char *ref_rundir(const char *ref, const char *run_name)
{
    struct stat st;
    char *p = NULL;
    if (asprintf(&p, "%s/%s", ref, run_name) < 0)
        return NULL;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
        return p;
    free(p);
    return strdup(ref);
}

/* Whether path is a directory; prints "PATH: not a directory" if not. */
static int is_dir(const char *path, const char *name)
{
    struct stat st;
    if (path && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 1;
    cli_error("%s: not a directory", name);
    return 0;
}

int compare_run(const char *ours, const char *ref, const char *run_name, int traces)
{
    if (!is_dir(ours, ours))
        return EXIT_ERR;
    char *refdir = ref_rundir(ref, run_name);
    mmt_cmp *C = NULL;
    mmt_diag d = {0};
    if (!is_dir(refdir, ref) || mmt_compare_dirs(ours, refdir, traces, &C, &d) != 0) {
        if (d.message[0])
            cli_print_diag(&d, NULL);
        free(refdir);
        return EXIT_ERR;
    }
    printf("Comparing %s with %s\n", ours, refdir);
    print_table(C);
    if (C->oom)
        cli_error("out of memory while comparing");
    if (C->ndiff == 0 && !C->oom)
        printf("Identical: 3 reports (%zu layers), %zu traces\n", C->layers, C->traces);
    else
        printf("%zu difference%s: 3 reports (%zu layers), %zu traces compared\n", C->ndiff,
               C->ndiff == 1 ? "" : "s", C->layers, C->traces);
    int rc = C->ndiff == 0 && !C->oom ? EXIT_OK : EXIT_ERR;
    mmt_cmp_free(C);
    free(refdir);
    return rc;
}

/* Compare alone: DIR/<run_name> with -c, else DIR. */
int compare_only(const mmt_run_opts *ro, const char *ref)
{
    if (!ro->cfg_path)
        return compare_run(ro->outdir, ref, cli_basename(ro->outdir), 1);
    mmt_config cfg;
    mmt_diag d = {0};
    if (mmt_config_read_version(ro->cfg_path, ro->version, &cfg, &d, cli_warn, NULL) != 0) {
        cli_print_diag(&d, NULL);
        return EXIT_ERR;
    }
    size_t n = strlen(ro->outdir) + strlen(cfg.run_name) + 2;
    char *dir = malloc(n);
    if (!dir) {
        cli_error("out of memory");
        return EXIT_ERR;
    }
    snprintf(dir, n, "%s/%s", ro->outdir, cfg.run_name);
    int rc = compare_run(dir, ref, cfg.run_name, 1);
    free(dir);
    return rc;
}
