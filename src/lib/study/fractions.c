/*
 * fractions.c - the fractions of one run (mmtrace-replay --fractions): the run directory's
 * reports (of mmtrace-replay or SCALE-Sim) against the part manifest of its workload.
 */
#include "internal.h"
#include "mmtrace_study.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 if name is one of the reports a run directory holds (SCALE-Sim's three, BYTES_REPORT). */
static int is_report(const char *name)
{
    static const char *const r[] = {"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv",
                                    "DETAILED_ACCESS_REPORT.csv", "BYTES_REPORT.csv"};
    for (size_t i = 0; i < sizeof r / sizeof *r; i++)
        if (!strcmp(name, r[i]))
            return 1;
    return 0;
}

/* A manifest BASE.parts.csv describes the workload of the topology BASE.csv beside it (the
 * file names are how the two identify it). mmtrace-gen copies the topology into the run
 * directory, so a run directory holding topologies (.csv files other than reports) but not
 * BASE.csv is of another workload, even with as many layers. */
static int same_workload(const char *manifest, const char *rundir, mmt_diag *d)
{
    const char *slash = strrchr(manifest, '/'), *base = slash ? slash + 1 : manifest;
    size_t n = strlen(base), suf = strlen(".parts.csv");
    if (n <= suf || strcmp(base + n - suf, ".parts.csv"))
        return 0; /* not named as mmtrace writes manifests: nothing to go by */
    DIR *D = opendir(rundir);
    if (!D)
        return 0; /* the reports' reader says why */
    char other[256] = "";
    int found = 0;
    for (struct dirent *e; (e = readdir(D));) {
        size_t k = strlen(e->d_name);
        if (k < 5 || strcmp(e->d_name + k - 4, ".csv") || is_report(e->d_name) ||
            e->d_name[0] == '.')
            continue;
        if (k - 4 == n - suf && !strncmp(e->d_name, base, n - suf))
            found = 1;
        else if (!other[0])
            snprintf(other, sizeof other, "%s", e->d_name);
    }
    closedir(D);
    if (found || !other[0])
        return 0;
    return mmt__diag(d, MMT_EPARSE, rundir, 0,
                     "the run is of the topology %s, but %s describes %.*s.csv: another workload",
                     other, base, (int)(n - suf), base);
}

/* Refuses a manifest from a study directory marked incomplete (DIR/topologies/X.parts.csv:
 * DIR is checked; so is the manifest's own folder). */
static int study_dir_check(const char *manifest, mmt_diag *d)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *s = strrchr(dir, '/');
    if (!s)
        snprintf(dir, sizeof dir, ".");
    else
        *(s == dir ? s + 1 : s) = '\0';
    int r = mmt_study_dir_check(dir, d);
    s = strrchr(dir, '/');
    const char *last = s ? s + 1 : dir;
    if (r == 0 && !strcmp(last, "topologies")) {
        if (s == dir)
            s[1] = '\0';
        else if (s)
            *s = '\0';
        else
            snprintf(dir, sizeof dir, ".");
        r = mmt_study_dir_check(dir, d);
    }
    return r;
}

/* The block's results from the reports of rundir, then its fractions. */
static int of_block(const mmt_llm_block *b, const char *rundir, mmt_study_fractions *fr,
                    mmt_diag *d)
{
    mmt_layer_result *res = calloc(b->n + 1, sizeof *res);
    size_t n = 0;
    int r;
    if (!res)
        r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    else if ((r = mmt_report_read(rundir, b->n + 1, res, &n, d)) != 0)
        ;
    else if (n != b->n)
        r = mmt__diag(d, MMT_EPARSE, rundir, 0,
                      "%zu layers in the reports, but the manifest has %zu", n, b->n);
    else if ((r = mmt_study_fractions_compute(b, res, fr)) != 0)
        r = mmt__diag(d, r, rundir, 0, "totals overflow 64 bits");
    free(res);
    return r;
}

int mmt_study_fractions_of_run(const char *manifest, const char *rundir, mmt_study_fractions *fr,
                               mmt_diag *d)
{
    mmt_llm_block *b;
    int r;
    /* a study killed while renaming its outputs; a run a kill interrupted mixes old and new
     * reports */
    if ((r = study_dir_check(manifest, d)) != 0 ||
        (r = mmt_rundir_check_complete(rundir, -1, d)) != 0 ||
        (r = same_workload(manifest, rundir, d)) != 0 ||
        (r = mmt_llm_manifest_read(manifest, &b, d)) != 0)
        return r;
    r = of_block(b, rundir, fr, d);
    mmt_llm_block_free(b);
    return r;
}
