/*
 * sim_golden.c - golden check of the fused simulation path (mmt_sim_run) against SCALE-Sim v2
 * reference outputs: the three reports (COMPUTE against its .py312sum variant), the per-layer
 * console summary, and all six traces of every layer, compared after decompression.
 *
 * Usage: sim_golden CASE_DIR...   With no arguments it checks every case under
 * $MMT_SRCDIR/tests/golden and exits 77 (skip) if there is none. A case directory holds
 * config.cfg, topology.csv, command.txt ("-i gemm" marks GEMM topologies), the reports and
 * layer<i>/<TRACE>.csv[.gz]; a reference file the case leaves out is not compared.
 */
#include <config.h>

#include "mmtrace.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* The six traces of a layer, named by the library's one table (mmt_output_name). */
#define trace_names(k) mmt_output_name((mmt_output)(k))

/* Opens path, or path.gz, for reading with zlib (plain files read through). */
static gzFile open_either(const char *path)
{
    char gz[4200];
    gzFile f = access(path, R_OK) == 0 ? gzopen(path, "rb") : NULL;
    if (f)
        return f;
    snprintf(gz, sizeof gz, "%s.gz", path);
    return access(gz, R_OK) == 0 ? gzopen(gz, "rb") : NULL;
}

static int compared; /* reference files compared so far */

/* Compares two files after decompression; prints the first differing line. Returns 0 if same
 * or if the fixture leaves the reference out (big traces may be omitted). */
static int same_file(const char *want, const char *got)
{
    gzFile a = open_either(want), b = a ? open_either(got) : NULL;
    int bad = 0;
    if (!a)
        return 0;
    compared++;
    if (!b) {
        fprintf(stderr, "  missing: %s\n", got);
        bad = 1;
    }
    static char la[1 << 20], lb[1 << 20];
    long line = 0;
    while (!bad) {
        char *ra = gzgets(a, la, sizeof la), *rb = gzgets(b, lb, sizeof lb);
        line++;
        if (!ra && !rb)
            break;
        if (!ra || !rb || strcmp(la, lb) != 0) {
            fprintf(stderr, "  %s:%ld differs\n    want: %.200s    got:  %.200s\n", want, line,
                    ra ? la : "<EOF>\n", rb ? lb : "<EOF>\n");
            bad = 1;
        }
    }
    if (a)
        gzclose(a);
    if (b)
        gzclose(b);
    return bad;
}

/* Reads a small text file into a static buffer (empty string if absent). */
static const char *slurp(const char *path)
{
    static char buf[1 << 20];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    return buf;
}

/* Runs every layer of one case into tmp and compares; returns the number of mismatches. */
static int run_case(const char *dir, const char *tmp, int *layers_out)
{
    char p[4096], q[4096];
    mmt_config cfg;
    mmt_topology *topo = NULL;
    mmt_diag d = {0};
    snprintf(p, sizeof p, "%s/command.txt", dir);
    int gemm = strstr(slurp(p), "-i gemm") != NULL;
    snprintf(p, sizeof p, "%s/config.cfg", dir);
    int r = mmt_config_read(p, &cfg, &d, NULL, NULL);
    snprintf(p, sizeof p, "%s/topology.csv", dir);
    if (r == 0)
        r = mmt_topology_read(p, gemm, &topo, &d, NULL, NULL);
    if (r) {
        fprintf(stderr, "  %s: %s\n", mmt_strerror(r), d.message);
        return 1;
    }
    size_t n = mmt_topology_count(topo);
    mmt_layer_result *res = calloc(n, sizeof *res);
    snprintf(p, sizeof p, "%s/stdout.txt", dir);
    char *out = strdup(slurp(p));
    int bad = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        char ld[4096], paths[6][4200];
        mmt_geom g;
        snprintf(ld, sizeof ld, "%s/layer%zu", tmp, i);
        mkdir(ld, 0755);
        mmt_sim_opts o = {.gzip_level = 1};
        for (int k = 0; k < 6; k++) {
            snprintf(paths[k], sizeof paths[k], "%s/%s.gz", ld, trace_names(k));
            if (k < 3)
                o.sram_trace_path[k] = paths[k];
            else
                o.dram_trace_path[k - 3] = paths[k];
        }
        r = mmt_geom_init(&g, mmt_topology_layer(topo, i), &cfg, &d);
        if (r == 0)
            r = mmt_sim_run(&cfg, &g, &o, &res[i]);
        if (r) {
            fprintf(stderr, "  layer %zu: %s\n", i, mmt_strerror(r));
            bad++;
            break;
        }
        /* every relation the layer cache checks holds on every SCALE-Sim case */
        if (mmt_sim_result_check(&cfg, &g, &res[i], &d) != 0) {
            fprintf(stderr, "  layer %zu: mmt_sim_result_check: %s\n", i, d.message);
            bad++;
        }
        for (int k = 0; k < 6; k++) {
            snprintf(q, sizeof q, "%s/layer%zu/%s", dir, i, trace_names(k));
            bad += same_file(q, paths[k]);
        }
        char con[2048], head[64];
        mmt_report_console(con, sizeof con, &res[i]);
        snprintf(head, sizeof head, "Running Layer %zu\n", i);
        const char *at = out ? strstr(out, head) : NULL;
        if (at && strncmp(at + strlen(head), con, strlen(con)) != 0) {
            fprintf(stderr, "  console of layer %zu differs:\n%s", i, con);
            bad++;
        }
    }
    if (r == 0 && (r = mmt_report_write(tmp, res, n, &d)) != 0) {
        fprintf(stderr, "  reports: %s\n", d.message);
        bad++;
    }
    static const char *const reps[3][2] = {
        {"COMPUTE_REPORT.py312sum.csv", "COMPUTE_REPORT.csv"},
        {"BANDWIDTH_REPORT.csv", "BANDWIDTH_REPORT.csv"},
        {"DETAILED_ACCESS_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"}};
    for (int k = 0; k < 3 && r == 0; k++) {
        snprintf(p, sizeof p, "%s/%s", dir, reps[k][0]);
        snprintf(q, sizeof q, "%s/%s", tmp, reps[k][1]);
        bad += same_file(p, q);
    }
    *layers_out = (int)n;
    free(out);
    free(res);
    mmt_topology_free(topo);
    return bad;
}

/* Removes the files of a temporary case directory (two levels). */
static void remove_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

/* Checks one case directory; returns 1 on mismatch. */
static int check(const char *dir)
{
    char tmp[] = "/tmp/sim_golden.XXXXXX";
    if (!mkdtemp(tmp))
        return 1;
    int layers = 0;
    compared = 0;
    int bad = run_case(dir, tmp, &layers);
    printf("%s %s (%d layers, %d files compared)\n", bad ? "MISMATCH" : "OK      ", dir, layers,
           compared);
    remove_tree(tmp);
    return bad != 0;
}

int main(int argc, char **argv)
{
    int fails = 0, cases = 0;
    for (int i = 1; i < argc; i++, cases++)
        fails += check(argv[i]);
    if (argc > 1)
        return fails ? 1 : 0;
    const char *src = getenv("MMT_SRCDIR");
    char root[4096];
    snprintf(root, sizeof root, "%s/tests/golden", src ? src : ".");
    DIR *dp = opendir(root);
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        char dir[4400], cfg[4500];
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        snprintf(cfg, sizeof cfg, "%s/config.cfg", dir);
        if (e->d_name[0] == '.' || access(cfg, R_OK) != 0)
            continue;
        fails += check(dir);
        cases++;
    }
    if (dp)
        closedir(dp);
    if (cases == 0)
        return 77; /* no fixtures: skip */
    return fails ? 1 : 0;
}
