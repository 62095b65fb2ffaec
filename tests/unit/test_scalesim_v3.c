/*
 * test_scalesim_v3.c - the SCALE-Sim v3.0.0 input formats (doc/scalesim-v3.md §V3.2, §V3.3):
 * the cfg keys v3 adds (config_v3.c), the refusal of what is not dense, the v2-mode warning,
 * and v3's topology rows (one stride, an N:M ratio field). Line numbers are worked out by hand
 * from the texts below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mmtrace.h"
#include "unit_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A complete v3 config (USER mode); line numbers are part of the expectations below. */
static const char BASE[] = "[general]\n"                     /* 1 */
                           "run_name = v3\n"                 /* 2 */
                           "[architecture_presets]\n"        /* 3 */
                           "ArrayHeight:    4\n"             /* 4 */
                           "ArrayWidth:     8\n"             /* 5 */
                           "IfmapSramSzkB:   64\n"           /* 6 */
                           "FilterSramSzkB:  32\n"           /* 7 */
                           "OfmapSramSzkB:   16\n"           /* 8 */
                           "IfmapOffset:    0\n"             /* 9 */
                           "FilterOffset:   10000000\n"      /* 10 */
                           "OfmapOffset:    20000000\n"      /* 11 */
                           "Bandwidth : 5\n"                 /* 12 */
                           "Dataflow : ws\n"                 /* 13 */
                           "ReadRequestBuffer: 8\n"          /* 14 */
                           "WriteRequestBuffer: 32\n"        /* 15 */
                           "[layout]\n"                      /* 16 */
                           "IfmapCustomLayout: False\n"      /* 17 */
                           "IfmapSRAMBankBandwidth: 8\n"     /* 18 */
                           "IfmapSRAMBankNum: 2\n"           /* 19 */
                           "IfmapSRAMBankPort: 2\n"          /* 20 */
                           "FilterCustomLayout: no\n"        /* 21 */
                           "FilterSRAMBankBandwidth: 6\n"    /* 22 */
                           "FilterSRAMBankNum: 3\n"          /* 23 */
                           "FilterSRAMBankPort: 2\n"         /* 24 */
                           "[sparsity]\n"                    /* 25 */
                           "SparsitySupport : false\n"       /* 26 */
                           "[run_presets]\n"                 /* 27 */
                           "InterfaceBandwidth: USER\n"      /* 28 */
                           "UseRamulatorTrace: False\n";     /* 29 */

/* BASE with line `line` replaced by text (which may be empty or hold several lines). */
static char *edit(int line, const char *text)
{
    char *out = malloc(sizeof BASE + strlen(text) + 2);
    assert_non_null(out);
    size_t n = 0;
    const char *s = BASE;
    for (int l = 1; *s; l++) {
        const char *e = strchr(s, '\n') + 1;
        if (l == line) {
            memcpy(out + n, text, strlen(text));
            n += strlen(text);
        } else {
            memcpy(out + n, s, (size_t)(e - s));
            n += (size_t)(e - s);
        }
        s = e;
    }
    out[n] = '\0';
    return out;
}

static int parse(const char *text, mmt_scalesim v, mmt_config *c, mmt_diag *d, warns *w)
{
    memset(d, 0, sizeof *d);
    return mmt_config_parse_version("x.cfg", text, strlen(text), v, c, d, on_warn, w);
}

/* Parses text in mode v, which must succeed; w holds this parse's warnings only. */
static mmt_config parse_ok(const char *text, mmt_scalesim v, warns *w)
{
    mmt_config c;
    mmt_diag d;
    memset(w, 0, sizeof *w);
    assert_int_equal(parse(text, v, &c, &d, w), 0);
    return c;
}

/* Expects BASE with line replaced to fail in v3 mode with err at eline, message containing
 * needle. */
static void expect_err(int line, const char *text, int err, long eline, const char *needle)
{
    char *t = edit(line, text);
    mmt_config c;
    mmt_diag d;
    warns w = {0};
    int r = parse(t, MMT_SCALESIM_V3, &c, &d, &w);
    if (r != err || d.line != eline || !strstr(d.message, needle))
        fail_msg("line %d -> '%s': got %d at line %ld: %s", line, text, r, d.line, d.message);
    free(t);
}

static void test_good_v3(void **state)
{
    (void)state;
    warns w;
    mmt_config c = parse_ok(BASE, MMT_SCALESIM_V3, &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(c.version, MMT_SCALESIM_V3);
    assert_int_equal(c.v3_format, 1);
    assert_int_equal(c.bank_bw[0], 8);
    assert_int_equal(c.bank_bw[1], 6);
    assert_int_equal(c.bank_num[0], 2);
    assert_int_equal(c.bank_num[1], 3);
    assert_int_equal(c.bandwidth, 5);
    assert_int_equal(c.user_bw, 1);
}

/* The v2 default reads a v3 cfg with exactly one warning, and a v2 cfg with none. */
static void test_v2_mode_warns(void **state)
{
    (void)state;
    warns w;
    mmt_config c = parse_ok(BASE, MMT_SCALESIM_V2, &w);
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last.message, "--scalesim=v3"));
    assert_string_equal(w.last.file, "x.cfg");
    assert_int_equal(c.version, MMT_SCALESIM_V2);
    /* A v2 cfg: no warning. */
    static const char V2[] = "[general]\nrun_name = a\n[architecture_presets]\nArrayHeight: 2\n"
                             "ArrayWidth: 2\nIfmapSramSzkB: 1\nFilterSramSzkB: 1\n"
                             "OfmapSramSzkB: 1\nIfmapOffset: 0\nFilterOffset: 100\n"
                             "OfmapOffset: 200\nDataflow: os\n[run_presets]\n"
                             "InterfaceBandwidth: CALC\n";
    c = parse_ok(V2, MMT_SCALESIM_V2, &w);
    assert_int_equal(w.n, 0);
    assert_int_equal(c.v3_format, 0);
    /* ... and that v2 cfg is refused in v3 mode, naming the first key v3 misses. */
    mmt_diag d;
    assert_int_equal(parse(V2, MMT_SCALESIM_V3, &c, &d, &w), MMT_EPARSE);
    assert_non_null(strstr(d.message, "UseRamulatorTrace"));
}

/* Every key v3 requires: removing it is an error naming it (v3 crashes with NoOptionError). */
static void test_missing_keys(void **state)
{
    (void)state;
    static const struct {
        int line;
        const char *needle;
    } keys[] = {{14, "ReadRequestBuffer"},      {15, "WriteRequestBuffer"},
                {17, "IfmapCustomLayout"},      {18, "IfmapSRAMBankBandwidth"},
                {19, "IfmapSRAMBankNum"},       {20, "IfmapSRAMBankPort"},
                {21, "FilterCustomLayout"},     {22, "FilterSRAMBankBandwidth"},
                {23, "FilterSRAMBankNum"},      {24, "FilterSRAMBankPort"},
                {26, "SparsitySupport"},        {29, "UseRamulatorTrace"},
                {16, "missing section [layout]"}, {25, "missing section [sparsity]"}};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        expect_err(keys[i].line, "", MMT_EPARSE, 0, keys[i].needle);
}

/* Sparsity, custom layouts and Ramulator are refused with the key named; other spellings
 * follow v3's own tests (exact "True" for Ramulator, any case for sparsity). */
static void test_not_dense(void **state)
{
    (void)state;
    expect_err(26, "SparsitySupport : TRUE\n", MMT_ERANGE, 26, "SparsitySupport");
    expect_err(17, "IfmapCustomLayout: yes\n", MMT_ERANGE, 17, "IfmapCustomLayout");
    expect_err(21, "FilterCustomLayout: 1\n", MMT_ERANGE, 21, "FilterCustomLayout");
    expect_err(29, "UseRamulatorTrace: True\n", MMT_ERANGE, 29, "UseRamulatorTrace");
    expect_err(17, "IfmapCustomLayout: maybe\n", MMT_EPARSE, 17, "expected a boolean");
    warns w;
    static const char *const off[] = {"UseRamulatorTrace: true\n", "UseRamulatorTrace: 1\n"};
    for (int i = 0; i < 2; i++) { /* v3: only the exact string True switches Ramulator on */
        char *t = edit(29, off[i]);
        parse_ok(t, MMT_SCALESIM_V3, &w);
        free(t);
    }
    char *t = edit(26, "SparsitySupport : yes\n"); /* v3: only "true" in any case */
    parse_ok(t, MMT_SCALESIM_V3, &w);
    free(t);
}

/* USER mode: the bank bandwidths are the read bandwidths; the bank count must divide them. */
static void test_banks(void **state)
{
    (void)state;
    expect_err(19, "IfmapSRAMBankNum: 3\n", MMT_ERANGE, 19, "does not divide");
    expect_err(23, "FilterSRAMBankNum: 4\n", MMT_ERANGE, 23, "does not divide");
    expect_err(19, "IfmapSRAMBankNum: 0\n", MMT_ERANGE, 19, "must be positive");
    expect_err(22, "FilterSRAMBankBandwidth: 0\n", MMT_ERANGE, 22, "must be positive");
    expect_err(18, "IfmapSRAMBankBandwidth: eight\n", MMT_EPARSE, 18, "expected an integer");
    expect_err(20, "IfmapSRAMBankPort: 2.5\n", MMT_EPARSE, 20, "expected an integer");
    expect_err(14, "ReadRequestBuffer: x\n", MMT_EPARSE, 14, "expected an integer");
    expect_err(18, "IfmapSRAMBankBandwidth: 99999999999999999999\n", MMT_EOVERFLOW, 18,
               "overflows");
    /* CALC mode reads the bank keys but never uses them: no divisibility check. */
    char *t = edit(28, "InterfaceBandwidth: CALC\n");
    char *u = malloc(strlen(t) + 8);
    assert_non_null(u);
    strcpy(u, t);
    char *p = strstr(u, "IfmapSRAMBankNum: 2");
    p[18] = '3';
    warns w;
    parse_ok(u, MMT_SCALESIM_V3, &w);
    free(t);
    free(u);
}

static void test_scalesim_parse(void **state)
{
    (void)state;
    mmt_scalesim v = MMT_SCALESIM_V2;
    assert_int_equal(mmt_scalesim_parse("v3", &v), 0);
    assert_int_equal(v, MMT_SCALESIM_V3);
    assert_int_equal(mmt_scalesim_parse("v2", &v), 0);
    assert_int_equal(v, MMT_SCALESIM_V2);
    assert_int_equal(mmt_scalesim_parse("3", &v), MMT_EINVAL);
    assert_int_equal(mmt_scalesim_parse("", &v), MMT_EINVAL);
}

/* ---------------------------------------------------------------- topology rows */

static int topo(const char *text, int gemm, mmt_scalesim v, mmt_topology **t, mmt_diag *d,
                warns *w)
{
    memset(d, 0, sizeof *d);
    *t = NULL;
    return mmt_topology_parse_version("t.csv", text, strlen(text), gemm, v, t, d, on_warn, w);
}

static void topo_err(const char *text, int gemm, long line, const char *needle)
{
    mmt_topology *t;
    mmt_diag d;
    warns w = {0};
    int r = topo(text, gemm, MMT_SCALESIM_V3, &t, &d, &w);
    if (r == 0 || d.line != line || !strstr(d.message, needle))
        fail_msg("'%s': got %d at line %ld: %s", text, r, d.line, d.message);
    mmt_topology_free(t);
}

/* v3 copies the first stride into the second: the field after it is a ratio. */
static void test_conv_rows_v3(void **state)
{
    (void)state;
    mmt_topology *t;
    mmt_diag d;
    warns w = {0};
    static const char ok[] = "h\n"
                             "a, 8, 8, 3, 3, 1, 4, 2,\n"
                             "b, 8, 8, 3, 3, 1, 4, 2, 2:4,\n"
                             "c, 8, 8, 3, 3, 1, 4, 2, 7, 1:1,\n"
                             "d, 8, 8, 3, 3, 1, 4, 3, 7, 9, 2:4:5,\n";
    assert_int_equal(topo(ok, 0, MMT_SCALESIM_V3, &t, &d, &w), 0);
    assert_int_equal(mmt_topology_count(t), 4);
    for (size_t i = 0; i < 4; i++) {
        const mmt_layer *l = mmt_topology_layer(t, i);
        assert_int_equal(l->stride_w, l->stride_h);
    }
    assert_int_equal(mmt_topology_layer(t, 3)->stride_w, 3);
    assert_int_equal(w.n, 0);
    mmt_topology_free(t);
    /* The same row with a v2 second stride: v2 reads strides 2 and 7, v3 2 and 2. */
    static const char two[] = "h\nc, 8, 8, 3, 3, 1, 4, 2, 1,\n";
    assert_int_equal(topo(two, 0, MMT_SCALESIM_V2, &t, &d, &w), 0);
    assert_int_equal(mmt_topology_layer(t, 0)->stride_w, 1);
    mmt_topology_free(t);
    topo_err(two, 0, 2, "N:M sparsity ratio");
    topo_err("h\nc, 8, 8, 3, 3, 1, 4, 2, a:4,\n", 0, 2, "N:M ratio of two integers");
    topo_err("h\nc, 8, 8, 3, 3, 1, 4, 2, 2:,\n", 0, 2, "N:M ratio of two integers");
    topo_err("h\nc, 8, 8, 3, 3, 1, 4, 2, x, 2:4,\n", 0, 2, "field 9: expected an integer");
    topo_err("h\nc, 8, 8, 3, 3, 1, 4,\n", 0, 2, "at least 8 fields");
}

/* GEMM rows: a fifth field, if any, must be a ratio; later fields are ignored with a warning. */
static void test_gemm_rows_v3(void **state)
{
    (void)state;
    mmt_topology *t;
    mmt_diag d;
    warns w = {0};
    assert_int_equal(topo("h\ng, 4, 5, 6, 2:4,\ng2, 4, 5, 6, 1:1, zz,\n", 1, MMT_SCALESIM_V3, &t,
                          &d, &w),
                     0);
    assert_int_equal(mmt_topology_count(t), 2);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.last.line, 3);
    mmt_topology_free(t);
    topo_err("h\ng, 4, 5, 6, 7,\n", 1, 2, "N:M sparsity ratio");
    topo_err("h\ng, 4, 5, 6, ,\n", 1, 2, "N:M sparsity ratio");
    /* v2 ignores the fifth field (with a warning). */
    w.n = 0;
    assert_int_equal(topo("h\ng, 4, 5, 6, 7,\n", 1, MMT_SCALESIM_V2, &t, &d, &w), 0);
    assert_int_equal(w.n, 1);
    mmt_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_v3),      cmocka_unit_test(test_v2_mode_warns),
        cmocka_unit_test(test_missing_keys), cmocka_unit_test(test_not_dense),
        cmocka_unit_test(test_banks),        cmocka_unit_test(test_scalesim_parse),
        cmocka_unit_test(test_conv_rows_v3), cmocka_unit_test(test_gemm_rows_v3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
