/*
 * test_figure.c - the figure renderer (study/figure.c) and the study's figure stage: every
 * figure type of a study (heat maps, Amdahl charts, the fits and the dataflows as small
 * multiples, f_time, Amdahl with f_time, the speed-up by width) is drawn at page and column
 * size, with and without titles, with the layout check on (mmt__fig_strict: no text leaves the
 * canvas or overlaps another, from cairo's text extents); each has its CSV beside it. Also:
 * the check itself, distinct series styles, a figure of one value drawn as a note, the CSV of
 * exactly the numbers drawn, and each format's bytes (PNG, PDF, SVG; the same every time).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fig_internal.h"
#include "mmtrace_study.h"

/* A fresh directory under TMPDIR (removed by the test's end with rm -rf). */
static char *tmpdir(void)
{
    static char buf[4096];
    const char *t = getenv("TMPDIR");
    snprintf(buf, sizeof buf, "%s/mmt-fig-XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(buf));
    return buf;
}

/* Removes dir and what is in it (one level of subdirectories, as a study writes). */
static void rmtree(const char *dir)
{
    DIR *D = opendir(dir);
    struct dirent *e;
    char p[8192];
    while (D && (e = readdir(D))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rmtree(p);
        else
            unlink(p);
    }
    if (D)
        closedir(D);
    rmdir(dir);
}

/* The whole content of path (NUL-terminated; *n its length). */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    char *s = malloc((size_t)len + 1);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    fclose(f);
    if (n)
        *n = (size_t)len;
    return s;
}

/* The check: a box outside the canvas, two boxes that overlap; boxes that touch are fine. */
static void check_boxes(void **state)
{
    (void)state;
    mmt_diag d = {0};
    mmt__fig_box b[3] = {{10, 10, 20, 8, "a"}, {30, 10, 20, 8, "b"}, {0, 0, 5, 5, "c"}};
    assert_int_equal(mmt__fig_check(b, 3, 100, 50, "f", &d), 0);
    b[1].x = 29;
    assert_int_equal(mmt__fig_check(b, 3, 100, 50, "f", &d), MMT_EINVAL);
    assert_non_null(strstr(d.message, "'b' overlaps 'a'"));
    b[1].x = 90;
    assert_int_equal(mmt__fig_check(b, 3, 100, 50, "f", &d), MMT_EINVAL);
    assert_non_null(strstr(d.message, "'b' leaves the canvas"));
    b[1].x = 30, b[2].y = -1;
    assert_int_equal(mmt__fig_check(b, 3, 100, 50, "f", &d), MMT_EINVAL);
}

/* Series 0..79 each have a (line, marker) pair of their own; the first 16 a marker each. */
static void series_styles(void **state)
{
    (void)state;
    int seen[MMT_FIG_NLINES][MMT_FIG_NMARKERS + 1] = {{0}}, mk_seen[MMT_FIG_NMARKERS + 1] = {0};
    for (size_t i = 0; i < 80; i++) {
        int line, mk;
        mmt_fig_series_style(i, &line, &mk);
        assert_in_range(line, 0, MMT_FIG_NLINES - 1);
        assert_in_range(mk, 1, MMT_FIG_NMARKERS);
        assert_int_equal(seen[line][mk]++, 0);
        if (i < MMT_FIG_NMARKERS)
            assert_int_equal(mk_seen[mk]++, 0);
    }
}

/* A study with every figure type, under style st, the layout check on. user: on the USER
 * preset edge-lpddr4 under the stream memory policy (the speed-up's curves and bytes bounds
 * drawn, not a note of 1.00 as on CALC hardware). */
static void study_figures_on(const mmt_fig_style *st, const char *models, int user)
{
    char *dir = tmpdir(), figs[4200], hw[4200];
    mmt_study_args *a;
    mmt_diag d = {0};
    assert_int_equal(mmt_study_args_new(&a), 0);
    const char *src = getenv("MMT_SRCDIR");
    snprintf(hw, sizeof hw, "%s/topologies/hw/edge-lpddr4.cfg", src ? src : ".");
    const char *const opt[][2] = {{"--hw", user ? hw : "edge"},
                                  {"--dataflow", "os,ws"},
                                  {"--weights", "8,2"},
                                  {"--seq", "128,256"},
                                  {"--memory", "stream"}};
    for (size_t i = 0; i < 4 + (size_t)user; i++)
        if (mmt_study_args_set(a, opt[i][0], opt[i][1], MMT_SCALESIM_V2, NULL, NULL, &d) != 0)
            fail_msg("%s=%s: %s", opt[i][0], opt[i][1], d.message);
    assert_int_equal(mmt_study_args_set(a, "--model", models, MMT_SCALESIM_V2, NULL, NULL, &d), 0);
    assert_int_equal(mmt_study_args_check(a, &d), 0);
    mmt_study_spec *sp = mmt_study_args_spec(a);
    sp->outdir = dir, sp->jobs = 2, sp->figures = *st;
    mmt_study_summary sum;
    mmt__fig_strict = 1;
    int r = mmt_study_run(sp, &sum, &d);
    mmt__fig_strict = 0;
    if (r != 0)
        fail_msg("%s: %s", d.file, d.message);
    /* every figure type, each with its CSV */
    static const char *const types[] = {"heatmap_f_compute_", "heatmap_f_memory_", "amdahl_edge",
                                        "fits_f_compute_",    "dataflows_",        "ftime_",
                                        "amdahl_time_",       "speedup_"};
    size_t found[8] = {0}, nfig = 0;
    snprintf(figs, sizeof figs, "%s/figures", dir);
    DIR *D = opendir(figs);
    assert_non_null(D);
    for (struct dirent *e; (e = readdir(D));) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".svg"))
            continue;
        nfig++;
        for (size_t k = 0; k < 8; k++)
            found[k] += !strncmp(e->d_name, types[k], strlen(types[k]));
        char csv[8400];
        snprintf(csv, sizeof csv, "%s/%.*s.csv", figs, (int)n - 4, e->d_name);
        if (access(csv, R_OK) != 0)
            fail_msg("no CSV beside %s", e->d_name);
    }
    closedir(D);
    for (size_t k = 0; k < 8; k++)
        if (!found[k])
            fail_msg("no figure %s*", types[k]);
    if (user) { /* the OS speed-up: curves, 8/w and a bytes bound per model */
        char p[4400];
        snprintf(p, sizeof p, "%s/speedup_edge-lpddr4_os_stream_decode_b1_plain_w2.csv", figs);
        char *csv = slurp(p, NULL);
        assert_non_null(strstr(csv, "\n\"llama-13b, bytes bound\",256,"));
        assert_non_null(strstr(csv, "\n8/w = 4 (weight bytes alone),128,4\n"));
        free(csv);
    }
    assert_true(nfig >= 30);
    mmt_study_args_free(a);
    rmtree(dir);
}

static void study_figures(const mmt_fig_style *st, const char *models)
{
    study_figures_on(st, models, 0);
}

/* The USER preset under the stream policy: speed-ups with their bytes bounds, all models. */
static void every_figure_user(void **state)
{
    (void)state;
    const mmt_fig_style page = {MMT_FIG_SVG, MMT_FIG_PAGE, 0};
    const mmt_fig_style column = {MMT_FIG_SVG, MMT_FIG_COLUMN, 0};
    study_figures_on(&page, "all", 1);
    study_figures_on(&column, "all", 1);
}

static void every_figure_page(void **state)
{
    (void)state;
    const mmt_fig_style st = {MMT_FIG_SVG, MMT_FIG_PAGE, 0};
    study_figures(&st, "gpt2,opt-350m,opt-1.3b");
}

static void every_figure_column(void **state)
{
    (void)state;
    const mmt_fig_style st = {MMT_FIG_SVG, MMT_FIG_COLUMN, 0};
    study_figures(&st, "gpt2,opt-350m,opt-1.3b");
}

/* Thirteen models (the paper's): the legends and panels at their fullest, in one column. */
static void every_figure_column_all(void **state)
{
    (void)state;
    const mmt_fig_style st = {MMT_FIG_SVG, MMT_FIG_COLUMN, 1};
    study_figures(&st, "all");
}

static void every_figure_page_all(void **state)
{
    (void)state;
    const mmt_fig_style st = {MMT_FIG_SVG, MMT_FIG_PAGE, 0};
    study_figures(&st, "all");
}

/* A plot of two series, one with a comma in its label, as CSV: exactly the numbers drawn. */
static void plot_csv(void **state)
{
    (void)state;
    char *dir = tmpdir(), stem[4200], path[4300];
    static const double x[3] = {1, 2, 4}, y0[3] = {0.5, 0.25, 0.125}, y1[3] = {1, 2, 3};
    const mmt_fig_series s[2] = {{"model a, 8 bits", x, y0, 3, 0, 1, 0},
                                 {"b \"q\"", x, y1, 3, 1, 2, 0}};
    const mmt_fig_plot p = {"T", "x label", "y label", 1, 4, 0, 3, s, 2, NULL, 1, "seq", "f"};
    snprintf(stem, sizeof stem, "%s/p", dir);
    mmt_diag d = {0};
    const mmt_fig_style st = {MMT_FIG_SVG | MMT_FIG_PNG | MMT_FIG_PDF, MMT_FIG_PAGE, 0};
    mmt__fig_strict = 1;
    assert_int_equal(mmt_fig_plot_write(stem, &p, &st, &d), 0);
    mmt__fig_strict = 0;
    snprintf(path, sizeof path, "%s.csv", stem);
    char *csv = slurp(path, NULL);
    assert_string_equal(csv, "series,seq,f\n"
                             "\"model a, 8 bits\",1,0.5\n"
                             "\"model a, 8 bits\",2,0.25\n"
                             "\"model a, 8 bits\",4,0.125\n"
                             "\"b \"\"q\"\"\",1,1\n"
                             "\"b \"\"q\"\"\",2,2\n"
                             "\"b \"\"q\"\"\",4,3\n");
    free(csv);
    /* each format's magic; the same bytes when drawn again (a PDF's date is fixed) */
    static const char *const ext[3] = {"png", "pdf", "svg"}, *const magic[3] = {"\x89PNG", "%PDF",
                                                                                "<?xml"};
    for (int k = 0; k < 3; k++) {
        size_t n1, n2;
        snprintf(path, sizeof path, "%s.%s", stem, ext[k]);
        char *a = slurp(path, &n1);
        assert_memory_equal(a, magic[k], strlen(magic[k]));
        assert_int_equal(mmt_fig_plot_write(stem, &p, &st, &d), 0);
        char *b = slurp(path, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        free(a), free(b);
    }
    rmtree(dir);
}

/* A heat map or plot whose values are all one (f_compute 1.00 everywhere) is a note. */
static void one_value(void **state)
{
    (void)state;
    char *dir = tmpdir(), stem[4200];
    static const double v[4] = {1, 1, 1, 0.999};
    static const char *const rl[2] = {"128", "256"}, *const cl[2] = {"m1", "m2"};
    const mmt_fig_heatmap h = {"T", "model", "l", "f_compute", 2,       2,
                               rl,  cl,      v,   "seq",       "model", "f_compute"};
    snprintf(stem, sizeof stem, "%s/h", dir);
    mmt_diag d = {0};
    int before = mmt__fig_notes;
    assert_int_equal(mmt_fig_heatmap_write(stem, &h, NULL, &d), 0);
    assert_int_equal(mmt__fig_notes, before + 1);
    static const double v2[4] = {1, 1, 1, 0.5};
    const mmt_fig_heatmap h2 = {"T", "model", "l", "f_compute", 2, 2, rl, cl, v2, NULL, NULL, NULL};
    assert_int_equal(mmt_fig_heatmap_write(stem, &h2, NULL, &d), 0);
    assert_int_equal(mmt__fig_notes, before + 1);
    /* a plot: only its reference lines vary */
    static const double x[2] = {0, 1}, y[2] = {2, 2};
    const mmt_fig_series s[2] = {{"data", x, y, 2, 0, 1, 0}, {"ref", x, x, 2, 1, 0, 1}};
    const mmt_fig_plot p = {"T", "x", "y", 0, 1, 0, 3, s, 2, NULL, 0, NULL, NULL};
    assert_int_equal(mmt_fig_plot_write(stem, &p, NULL, &d), 0);
    assert_int_equal(mmt__fig_notes, before + 2);
    rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_boxes),
        cmocka_unit_test(series_styles),
        cmocka_unit_test(plot_csv),
        cmocka_unit_test(one_value),
        cmocka_unit_test(every_figure_page),
        cmocka_unit_test(every_figure_column),
        cmocka_unit_test(every_figure_page_all),
        cmocka_unit_test(every_figure_column_all),
        cmocka_unit_test(every_figure_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
