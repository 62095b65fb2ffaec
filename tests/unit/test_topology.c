/*
 * test_topology.c - the topology CSV reader (doc/scalesim-v2.md §3): header, empty lines, the dropped last
 * field, GEMM mapping, strides, DP expansion, line ends and malformed rows with their lines.
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

#define CONV_HDR                                                                                   \
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "   \
    "Strides,\n"

typedef struct warns {
    int n;
    mmt_diag first, last;
} warns;

static void on_warn(void *ud, const mmt_diag *d)
{
    warns *w = ud;
    if (w->n++ == 0)
        w->first = *d;
    w->last = *d;
}

static int parse(const char *text, int gemm, mmt_topology **t, mmt_diag *d, warns *w)
{
    memset(d, 0, sizeof *d);
    memset(w, 0, sizeof *w);
    *t = NULL;
    return mmt_topology_parse("t.csv", text, strlen(text), gemm, t, d, on_warn, w);
}

/* Parses text that must be accepted with n layers (warnings go to w); caller frees. */
static mmt_topology *parse_ok(const char *text, int gemm, int64_t n, warns *w)
{
    mmt_topology *t;
    mmt_diag d;
    assert_int_equal(parse(text, gemm, &t, &d, w), 0);
    assert_int_equal(mmt_topology_count(t), n);
    return t;
}

/* Checks every dimension of a layer. */
static void check_layer(const mmt_layer *l, const char *name, int64_t h, int64_t w, int64_t fh,
                        int64_t fw, int64_t c, int64_t n, int64_t sh, int64_t sw, long line)
{
    assert_non_null(l);
    assert_string_equal(l->name, name);
    assert_int_equal(l->ifmap_h, h);
    assert_int_equal(l->ifmap_w, w);
    assert_int_equal(l->filt_h, fh);
    assert_int_equal(l->filt_w, fw);
    assert_int_equal(l->channels, c);
    assert_int_equal(l->num_filt, n);
    assert_int_equal(l->stride_h, sh);
    assert_int_equal(l->stride_w, sw);
    assert_int_equal(l->line, line);
}

/* Expects text to be rejected with err at line, the message containing needle. */
static void expect_err(const char *text, int gemm, int err, long line, const char *needle)
{
    mmt_topology *t;
    mmt_diag d;
    warns w;
    int r = parse(text, gemm, &t, &d, &w);
    if (r != err || d.line != line || (needle && !strstr(d.message, needle)))
        print_error("got %d at line %ld: %s\n", r, d.line, d.message);
    assert_int_equal(r, err);
    assert_null(t);
    assert_int_equal(d.line, line);
    assert_string_equal(d.file, "t.csv");
    if (needle)
        assert_non_null(strstr(d.message, needle));
}

static void test_conv_rows(void **state)
{
    mmt_topology *t;
    warns w;
    const char *txt = CONV_HDR "conv_s1, 10, 10, 3, 3, 3, 8, 1,\n"
                               "conv_s2, 10, 10, 3, 3, 4, 6, 2,\n";
    t = parse_ok(txt, 0, 2, &w);
    check_layer(mmt_topology_layer(t, 0), "conv_s1", 10, 10, 3, 3, 3, 8, 1, 1, 2);
    check_layer(mmt_topology_layer(t, 1), "conv_s2", 10, 10, 3, 3, 4, 6, 2, 2, 3);
    assert_null(mmt_topology_layer(t, 2));
    assert_int_equal(w.n, 0);
    mmt_topology_free(t);
    mmt_topology_free(NULL);
}

static void test_header_always_skipped(void **state)
{
    mmt_topology *t;
    warns w;
    /* The first line is skipped even when it is a valid data row or empty. */
    t = parse_ok("a, 5, 5, 1, 1, 1, 1, 1,\nb, 6, 6, 2, 2, 1, 1, 1,\n", 0, 1, &w);
    check_layer(mmt_topology_layer(t, 0), "b", 6, 6, 2, 2, 1, 1, 1, 1, 2);
    mmt_topology_free(t);
    t = parse_ok("\nb, 6, 6, 2, 2, 1, 1, 1,\n", 0, 1, &w);
    assert_int_equal(mmt_topology_layer(t, 0)->line, 2);
    mmt_topology_free(t);
}

static void test_empty_lines(void **state)
{
    mmt_topology *t;
    warns w;
    const char *txt = CONV_HDR "\n"
                               "a, 5, 5, 1, 1, 1, 1, 1,\n"
                               "   \t \n"
                               "\n"
                               "b, 6, 6, 2, 2, 1, 1, 1,";
    t = parse_ok(txt, 0, 2, &w);
    assert_int_equal(mmt_topology_layer(t, 0)->line, 3);
    assert_int_equal(mmt_topology_layer(t, 1)->line, 6); /* no final newline needed */
    assert_int_equal(w.n, 0);
    mmt_topology_free(t);
}

static void test_last_field_dropped(void **state)
{
    mmt_topology *t;
    warns w;
    /* Row 3 lacks the trailing comma: its 9th field (stride width 3) is dropped with a
     * warning, so the row has one stride (2) for both directions. */
    const char *txt = CONV_HDR "a, 9, 12, 3, 2, 2, 4, 2,\n"
                               "b, 9, 12, 3, 2, 2, 4, 2, 3\n";
    t = parse_ok(txt, 0, 2, &w);
    check_layer(mmt_topology_layer(t, 1), "b", 9, 12, 3, 2, 2, 4, 2, 2, 3);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.first.line, 3);
    assert_string_equal(w.first.file, "t.csv");
    assert_non_null(strstr(w.first.message, "'3'"));
    /* Without the trailing comma an 8-field row loses its stride and is too short. */
    mmt_topology_free(t);
    expect_err(CONV_HDR "a, 9, 12, 3, 2, 2, 4, 2\n", 0, MMT_EPARSE, 2, "at least 8");
    /* A trailing comma followed by spaces is an empty last field: no warning. */
    t = parse_ok(CONV_HDR "a, 9, 12, 3, 2, 2, 4, 2,   \n", 0, 1, &w);
    assert_int_equal(w.n, 0);
    mmt_topology_free(t);
}

static void test_two_strides(void **state)
{
    mmt_topology *t;
    warns w;
    /* 9 fields + trailing comma: stride height 2, stride width 3 (case f_edge_conv). */
    t = parse_ok(CONV_HDR "rect_stride, 9, 12, 3, 2, 2, 4, 2, 3,\n", 0, 1, &w);
    check_layer(mmt_topology_layer(t, 0), "rect_stride", 9, 12, 3, 2, 2, 4, 2, 3, 2);
    assert_int_equal(w.n, 0);
    mmt_topology_free(t);
    /* Extra fields beyond the strides are ignored with a warning. */
    t = parse_ok(CONV_HDR "x, 9, 12, 3, 2, 2, 4, 2, 3, 7, 7,\n", 0, 1, &w);
    check_layer(mmt_topology_layer(t, 0), "x", 9, 12, 3, 2, 2, 4, 2, 3, 2);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.first.line, 2);
    mmt_topology_free(t);
}

static void test_gemm(void **state)
{
    mmt_topology *t;
    warns w;
    /* M, N, K -> [H=M, W=K, FH=1, FW=K, C=1, NumFilter=N, S=1, 1]. */
    const char *txt = "Layer, M, N, K,\n"
                      "g1_16x24x40, 16, 24, 40,\n"
                      "g3, 37, 19, 53,\n";
    t = parse_ok(txt, 1, 2, &w);
    check_layer(mmt_topology_layer(t, 0), "g1_16x24x40", 16, 40, 1, 40, 1, 24, 1, 1, 2);
    check_layer(mmt_topology_layer(t, 1), "g3", 37, 53, 1, 53, 1, 19, 1, 1, 3);
    mmt_topology_free(t);
    /* A GEMM row has one channel, so DP in its name still gives exactly one layer (the
     * name never reaches any output). */
    t = parse_ok("h\nDP_gemm, 2, 3, 4,\n", 1, 1, &w);
    assert_int_equal(mmt_topology_layer(t, 0)->channels, 1);
    assert_int_equal(mmt_topology_layer(t, 0)->num_filt, 3);
    mmt_topology_free(t);
    /* Extra GEMM fields are ignored. */
    t = parse_ok("h\ng, 2, 3, 4, 5,\n", 1, 1, &w);
    check_layer(mmt_topology_layer(t, 0), "g", 2, 4, 1, 4, 1, 3, 1, 1, 2);
    mmt_topology_free(t);
}

static void test_dp_expansion(void **state)
{
    mmt_topology *t;
    warns w;
    const char *txt = CONV_HDR "DP_dw3x3, 8, 8, 3, 3, 3, 1, 1,\n"
                               "after, 9, 12, 3, 2, 2, 4, 2, 3,\n";
    t = parse_ok(txt, 0, 4, &w);
    check_layer(mmt_topology_layer(t, 0), "DP_dw3x3Channel_0", 8, 8, 3, 3, 1, 1, 1, 1, 2);
    check_layer(mmt_topology_layer(t, 1), "DP_dw3x3Channel_1", 8, 8, 3, 3, 1, 1, 1, 1, 2);
    check_layer(mmt_topology_layer(t, 2), "DP_dw3x3Channel_2", 8, 8, 3, 3, 1, 1, 1, 1, 2);
    check_layer(mmt_topology_layer(t, 3), "after", 9, 12, 3, 2, 2, 4, 2, 3, 3);
    mmt_topology_free(t);
    /* "DP" anywhere in the name counts; "dp" does not. */
    t = parse_ok(CONV_HDR "convDPx, 4, 4, 1, 1, 2, 5, 1,\n", 0, 2, &w);
    assert_string_equal(mmt_topology_layer(t, 1)->name, "convDPxChannel_1");
    assert_int_equal(mmt_topology_layer(t, 1)->num_filt, 5);
    mmt_topology_free(t);
    t = parse_ok(CONV_HDR "dp_lower, 4, 4, 1, 1, 2, 5, 1,\n", 0, 1, &w);
    assert_int_equal(mmt_topology_layer(t, 0)->channels, 2);
    mmt_topology_free(t);
    /* Found by fuzzing: a long name copied into 2^20 layers would take 1.6 GB; names are capped
     * at 64 MiB in all. */
    char big[2048];
    int n = snprintf(big, sizeof big, "%s", CONV_HDR "DP");
    memset(big + n, 'x', 1500);
    snprintf(big + n + 1500, sizeof big - (size_t)n - 1500, ", 4, 4, 1, 1, 1048576, 1, 1,\n");
    expect_err(big, 0, MMT_ERANGE, 2, "layer names take more than 64 MiB");
}

static void test_crlf(void **state)
{
    mmt_topology *t;
    warns w;
    const char *txt = "Layer, M, N, K,\r\n"
                      "a, 1, 2, 3,\r\n"
                      "\r\n"
                      "b, 4, 5, 6,\r\n";
    t = parse_ok(txt, 1, 2, &w);
    check_layer(mmt_topology_layer(t, 1), "b", 4, 6, 1, 6, 1, 5, 1, 1, 4);
    assert_int_equal(w.n, 0); /* the \r is not a dropped field */
    mmt_topology_free(t);
    /* Old-Mac CR-only line ends count as lines too. */
    t = parse_ok("h\ra, 1, 2, 3,\rb, 4, 5, 6,\r", 1, 2, &w);
    assert_int_equal(mmt_topology_layer(t, 1)->line, 3);
    mmt_topology_free(t);
}

static void test_malformed(void **state)
{
    expect_err(CONV_HDR "a, 8, 8, 3, 3, 2, 4, 1,\n"
                        "b, 8, 8, 3, 3, 2,\n",
               0, MMT_EPARSE, 3, "got 6");
    expect_err("h\ng, 5, 3,\n", 1, MMT_EPARSE, 2, "at least 4");
    expect_err(CONV_HDR "a, 8, 8x, 3, 3, 2, 4, 1,\n", 0, MMT_EPARSE, 2, "IFMAP Width");
    expect_err(CONV_HDR "a, 8, 8, 3, 3, 2.5, 4, 1,\n", 0, MMT_EPARSE, 2, "Channels");
    expect_err(CONV_HDR "a, 8, 8, 3, 3, , 4, 1,\n", 0, MMT_EPARSE, 2, NULL);
    expect_err("h\n\ng, 5, x, 2,\n", 1, MMT_EPARSE, 3, "N");
    expect_err(CONV_HDR "\na, 8, 8, 3, 3, 0, 4, 1,\n", 0, MMT_ERANGE, 3, "Channels");
    expect_err(CONV_HDR "a, 8, 8, 3, 3, 1, -4, 1,\n", 0, MMT_ERANGE, 2, "Num Filter");
    expect_err(CONV_HDR "a, 8, 8, 3, 3, 1, 4, 0,\n", 0, MMT_ERANGE, 2, NULL);
    expect_err("h\ng, 0, 3, 2,\n", 1, MMT_ERANGE, 2, "M");
    expect_err(CONV_HDR "a, 99999999999999999999, 8, 3, 3, 2, 4, 1,\n", 0, MMT_EOVERFLOW, 2, NULL);
    expect_err("h\ng, 5, 3, 9223372036854775808,\n", 1, MMT_EOVERFLOW, 2, NULL);
    /* Filter larger than the ifmap, in either direction. */
    expect_err(CONV_HDR "a, 8, 8, 3, 9, 2, 4, 1,\n", 0, MMT_ERANGE, 2, "larger");
    expect_err(CONV_HDR "ok, 8, 8, 3, 3, 2, 4, 1,\n"
                        "a, 2, 8, 3, 3, 2, 4, 1,\n",
               0, MMT_ERANGE, 3, "larger");
    /* No layers at all. */
    expect_err(CONV_HDR, 0, MMT_EPARSE, 1, "no layers");
    expect_err(CONV_HDR "\n  \n", 0, MMT_EPARSE, 3, "no layers");
    expect_err("", 0, MMT_EPARSE, 0, "no layers");
}

static void test_python_ints(void **state)
{
    mmt_topology *t;
    warns w;
    /* int(field.strip()) accepts signs, underscores and leading zeros. */
    t = parse_ok("h\ng, +5, 0_3, 007,\n", 1, 1, &w);
    check_layer(mmt_topology_layer(t, 0), "g", 5, 7, 1, 7, 1, 3, 1, 1, 2);
    mmt_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_rows),    cmocka_unit_test(test_header_always_skipped),
        cmocka_unit_test(test_empty_lines),  cmocka_unit_test(test_last_field_dropped),
        cmocka_unit_test(test_two_strides),  cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_dp_expansion), cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_python_ints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
