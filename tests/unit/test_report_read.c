/*
 * test_report_read.c - the report reader (report_reader.c) and the comma-list parser (list.c):
 * reports as SCALE-Sim writes them round-trip through mmt_report_write; every field that
 * SCALE-Sim would not write is refused with its line; lists refuse empty items, duplicates
 * and too many items.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mmtrace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char CH[] = "LayerID, Total Cycles, Stall Cycles, Overall Util %, "
                         "Mapping Efficiency %, Compute Util %,\n";

/* Parses a COMPUTE report text; returns the error code and fills d. */
static int compute(const char *body, mmt_layer_result *r, size_t *n, mmt_diag *d)
{
    char t[1024];
    snprintf(t, sizeof t, "%s%s", CH, body);
    memset(d, 0, sizeof *d);
    return mmt_report_parse(0, "C.csv", t, strlen(t), r, 4, n, d);
}

/* Good rows give their values. */
static void test_compute_good(void **state)
{
    (void)state;
    mmt_layer_result r[4];
    size_t n;
    mmt_diag d;
    assert_int_equal(compute("0, 21, 0, 38.095238095238095, 100.0, 36.36363636363637,\n"
                             "1, 323, 5, 1e-05, 100.0, 74.0,\n",
                             r, &n, &d),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].total_cycles, 21);
    assert_int_equal(r[1].stall_cycles, 5);
    assert_true(r[1].overall_util == 1e-05);
}

/* Fields SCALE-Sim never writes: each refused with the line. */
static void test_compute_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "0, 1e30, 0, 1.0, 1.0, 1.0,\n",                 /* count as a float */
        "0, 10727abc, 0, 1.0, 1.0, 1.0,\n",             /* trailing junk */
        "0, -5, 0, 1.0, 1.0, 1.0,\n",                   /* negative count */
        "0, 99999999999999999999, 0, 1.0, 1.0, 1.0,\n", /* past int64 */
        "0, 5, 0, 1.0, 1.0, nan,\n",                    /* not finite */
        "0, 5, 0, 1.0, 1.0, 1.0\n",                     /* no final comma */
        "0, 5, 0, 1.0, 1.0,\n",                         /* a field missing */
        "0,5, 0, 1.0, 1.0, 1.0,\n",                     /* wrong separator */
        "1, 5, 0, 1.0, 1.0, 1.0,\n",                    /* wrong layer id */
        "0, 5, 0, 1.0, 1.0, 1.0,",                      /* no newline */
        "0, 5, 0, 1, 1.0, 1.0,\n",                      /* int where a float belongs */
        "0,  5, 0, 1.0, 1.0, 1.0,\n",                   /* a doubled blank (libcsv trims it) */
        "\"0\", 5, 0, 1.0, 1.0, 1.0,\n",                /* quoted (SCALE-Sim never quotes) */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mmt_layer_result r[4];
        size_t n;
        mmt_diag d;
        assert_int_not_equal(compute(bad[i], r, &n, &d), 0);
        assert_string_equal(d.file, "C.csv");
        assert_int_equal(d.line, 2);
    }
    mmt_layer_result r[4];
    size_t n;
    mmt_diag d = {0};
    const char hdr[] = "LayerID, Total Cycles,\n";
    assert_int_not_equal(mmt_report_parse(0, "C.csv", hdr, strlen(hdr), r, 4, &n, &d), 0);
    assert_int_equal(d.line, 1);
}

/* v3.0.0's COMPUTE_REPORT has an extra second column, skipped. */
static void test_compute_v3(void **state)
{
    (void)state;
    const char t[] = "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, "
                     "Overall Util %, Mapping Efficiency %, Compute Util %,\n"
                     "0, 642, 329, 0, 1.0, 2.0, 3.0,\n";
    mmt_layer_result r[2];
    size_t n;
    mmt_diag d = {0};
    assert_int_equal(mmt_report_parse(0, "C.csv", t, strlen(t), r, 2, &n, &d), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].total_cycles, 329);
}

/* What mmt_report_write writes reads back to the same values (SRAM 0/0 pairs included). */
static void test_roundtrip(void **state)
{
    (void)state;
    mmt_layer_result w[2] = {0}, r[3];
    w[0].total_cycles = 21, w[0].overall_util = 38.095238095238095, w[0].mapping_eff = 100;
    w[0].compute_util = 0.1;
    for (int op = 0; op < 3; op++) {
        w[0].has_sram[op] = 1, w[0].sram_start[op] = 1, w[0].sram_stop[op] = 15;
        w[0].sram_count[op] = 64, w[0].dram_start[op] = -66, w[0].dram_stop[op] = -1;
        w[0].dram_count[op] = 64 + op;
    }
    w[1] = w[0];
    w[1].has_sram[2] = 0, w[1].sram_start[2] = w[1].sram_stop[2] = 0;
    char dir[] = "/tmp/mmt-rr.XXXXXX";
    assert_non_null(mkdtemp(dir));
    mmt_diag d = {0};
    assert_int_equal(mmt_report_write(dir, w, 2, &d), 0);
    size_t n;
    assert_int_equal(mmt_report_read(dir, 3, r, &n, &d), 0);
    assert_int_equal(n, 2);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i].total_cycles, w[i].total_cycles);
        assert_true(r[i].overall_util == w[i].overall_util);
        for (int op = 0; op < 3; op++) {
            assert_int_equal(r[i].has_sram[op], w[i].has_sram[op]);
            assert_int_equal(r[i].sram_stop[op], w[i].sram_stop[op]);
            assert_int_equal(r[i].dram_start[op], w[i].dram_start[op]);
            assert_int_equal(r[i].dram_count[op], w[i].dram_count[op]);
        }
    }
    assert_int_equal(mmt_report_read(dir, 1, r, &n, &d), MMT_ERANGE);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The bytes of dir/name into a fresh buffer (*len); NULL if unreadable. */
static char *slurp(const char *dir, const char *name, long *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *p = calloc(1, 1 << 16);
    *len = p ? (long)fread(p, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    return p;
}

/* mmt_report_write_flags: MMT_WRITE_NOSYNC writes the same three reports as
 * mmt_report_write_version (v2 and v3), leaves no temporary, and unknown flags are refused. */
static void test_write_flags(void **state)
{
    (void)state;
    static const char *const names[3] = {"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv",
                                         "DETAILED_ACCESS_REPORT.csv"};
    mmt_layer_result w[2] = {0};
    for (int i = 0; i < 2; i++) {
        w[i].total_cycles = 21 + i, w[i].overall_util = 38.095238095238095 / (i + 1);
        for (int op = 0; op < 3; op++) {
            w[i].has_sram[op] = 1, w[i].sram_start[op] = 1, w[i].sram_stop[op] = 15 + i;
            w[i].dram_start[op] = -66 + op, w[i].dram_stop[op] = -1, w[i].dram_count[op] = 64;
        }
    }
    char a[] = "/tmp/mmt-wf.XXXXXX", b[] = "/tmp/mmt-wf.XXXXXX";
    assert_non_null(mkdtemp(a));
    assert_non_null(mkdtemp(b));
    mmt_diag d = {0};
    for (int v = 0; v < 2; v++) {
        assert_int_equal(mmt_report_write_version(a, w, 2, (mmt_scalesim)v, &d), 0);
        assert_int_equal(mmt_report_write_flags(b, w, 2, (mmt_scalesim)v, MMT_WRITE_NOSYNC, &d), 0);
        for (int k = 0; k < 3; k++) {
            long la = 0, lb = 0;
            char *ta = slurp(a, names[k], &la), *tb = slurp(b, names[k], &lb);
            assert_non_null(ta);
            assert_non_null(tb);
            assert_true(la > 0);
            assert_int_equal(la, lb);
            assert_memory_equal(ta, tb, (size_t)la);
            free(ta), free(tb);
        }
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) = 3", b); /* no temporary left */
    assert_int_equal(system(cmd), 0);
    assert_int_equal(mmt_report_write_flags(b, w, 2, MMT_SCALESIM_V2, 2u, &d), MMT_EINVAL);
    assert_int_equal(
        mmt_report_write_flags("/nonexistent/x", w, 2, MMT_SCALESIM_V2, MMT_WRITE_NOSYNC, &d),
        MMT_ENOENT);
    assert_string_equal(d.file, "/nonexistent/x/COMPUTE_REPORT.csv");
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", a, b);
    assert_int_equal(system(cmd), 0);
}

/* Lists: empty items, duplicates, too many, non-integers and ranges are refused. */
static void test_lists(void **state)
{
    (void)state;
    mmt_list l;
    mmt_diag d = {0};
    assert_int_equal(mmt_list_parse("a,b,c", 3, &l, &d), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.item[2], "c");
    mmt_list_free(&l);
    static const char *const bad[] = {"", ",", "a,", ",a", "a,,b", "a,b,a", "a,b,c,d"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(mmt_list_parse(bad[i], 3, &l, &d), 0);
        assert_true(d.message[0] != '\0');
        assert_null(l.item);
    }
    int64_t v[4];
    size_t n;
    assert_int_equal(mmt_list_i64("128,4096", 1, 1 << 30, 4, v, &n, &d), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[1], 4096);
    static const char *const badi[] = {"0", "1e3", "12x", "+5", "1_0", "5,5", "1,2,3,4,5", "-1"};
    for (size_t i = 0; i < sizeof badi / sizeof badi[0]; i++)
        assert_int_not_equal(mmt_list_i64(badi[i], 1, 1 << 30, 4, v, &n, &d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compute_good), cmocka_unit_test(test_compute_bad),
        cmocka_unit_test(test_compute_v3),   cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_lists),        cmocka_unit_test(test_write_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
