/*
 * test_config.c - the .cfg reader against Python configparser's rules and SCALE-Sim v2's keys
 * (doc/scalesim-v2.md §2). Inputs are in-memory texts; expected values and line numbers are worked out by
 * hand from the texts below.
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
#include <time.h>
#include <unistd.h>

/* A complete config; line numbers are part of the expectations below. */
static const char BASE[] = "[general]\n"                 /* 1 */
                           "run_name = test_run\n"       /* 2 */
                           "\n"                          /* 3 */
                           "[architecture_presets]\n"    /* 4 */
                           "ArrayHeight:    4\n"         /* 5 */
                           "ArrayWidth:     8\n"         /* 6 */
                           "IfmapSramSzkB:   64\n"       /* 7 */
                           "FilterSramSzkB:  32\n"       /* 8 */
                           "OfmapSramSzkB:   16\n"       /* 9 */
                           "IfmapOffset:    0\n"         /* 10 */
                           "FilterOffset:   10000000\n"  /* 11 */
                           "OfmapOffset:    20000000\n"  /* 12 */
                           "Bandwidth : 10\n"            /* 13 */
                           "Dataflow : ws\n"             /* 14 */
                           "MemoryBanks:   1\n"          /* 15 */
                           "\n"                          /* 16 */
                           "[run_presets]\n"             /* 17 */
                           "InterfaceBandwidth: CALC\n"; /* 18 */

/* Returns BASE with some lines replaced: pairs (line, text) ending with line 0. The text may
 * hold several lines or be empty (the line then becomes empty). Caller frees. */
static char *edit(int first, ...)
{
    const char *repl[64] = {0};
    va_list ap;
    va_start(ap, first);
    for (int line = first; line; line = va_arg(ap, int))
        repl[line] = va_arg(ap, const char *);
    va_end(ap);
    size_t cap = sizeof BASE + 4096, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    const char *s = BASE;
    for (int line = 1; *s; line++) {
        const char *e = strchr(s, '\n');
        size_t len = (size_t)(e - s);
        const char *src = repl[line] ? repl[line] : s;
        size_t sl = repl[line] ? strlen(repl[line]) : len;
        assert_true(n + sl + 2 < cap);
        memcpy(out + n, src, sl);
        n += sl;
        out[n++] = '\n';
        s = e + 1;
    }
    out[n] = '\0';
    return out;
}

/* Parses text; fills cfg, diag and the warnings. */
static int parse(const char *text, mmt_config *cfg, mmt_diag *d, warns *w)
{
    memset(d, 0, sizeof *d);
    if (w)
        memset(w, 0, sizeof *w);
    return mmt_config_parse("t.cfg", text, strlen(text), cfg, d, w ? on_warn : NULL, w);
}

/* Parses text and expects error err at diag line `line`, its message holding needle (if any). */
static void expect_err_in(const char *text, int err, long line, const char *needle)
{
    mmt_config cfg;
    mmt_diag d;
    int r = parse(text, &cfg, &d, NULL);
    if (r != err || d.line != line || (needle && !strstr(d.message, needle)))
        print_error("'%s': got %d (%s) at line %ld: %s\n", text, r, mmt_strerror(r), d.line,
                    d.message);
    assert_int_equal(r, err);
    assert_int_equal(d.line, line);
    assert_string_equal(d.file, "t.cfg");
    if (needle)
        assert_non_null(strstr(d.message, needle));
}

/* Parses BASE edited at one line and expects error err at diag line `line`. */
static void expect_err_at(int at, const char *text, int err, long line, const char *needle)
{
    char *t = edit(at, text, 0);
    expect_err_in(t, err, line, needle);
    free(t);
}

/* Parses BASE edited at one line and returns the config (must succeed). */
static mmt_config ok_with(int at, const char *text)
{
    char *t = edit(at, text, 0);
    mmt_config cfg;
    mmt_diag d;
    int r = parse(t, &cfg, &d, NULL);
    if (r)
        print_error("line %d = '%s': %s at %ld: %s\n", at, text, mmt_strerror(r), d.line,
                    d.message);
    assert_int_equal(r, 0);
    free(t);
    return cfg;
}

static void test_base(void **state)
{
    mmt_config c;
    mmt_diag d;
    warns w;
    assert_int_equal(parse(BASE, &c, &d, &w), 0);
    assert_string_equal(c.run_name, "test_run");
    assert_int_equal(c.array_h, 4);
    assert_int_equal(c.array_w, 8);
    assert_int_equal(c.ifmap_kb, 64);
    assert_int_equal(c.filter_kb, 32);
    assert_int_equal(c.ofmap_kb, 16);
    assert_int_equal(c.ifmap_offset, 0);
    assert_int_equal(c.filter_offset, 10000000);
    assert_int_equal(c.ofmap_offset, 20000000);
    assert_int_equal(c.dataflow, MMT_DF_WS);
    assert_int_equal(c.user_bw, 0);
    assert_int_equal(c.bandwidth, 0); /* CALC: Bandwidth is not read */
    assert_int_equal(w.n, 0);
}

static void test_equals_and_colon(void **state)
{
    assert_int_equal(ok_with(5, "ArrayHeight = 7").array_h, 7);
    assert_int_equal(ok_with(5, "ArrayHeight=7").array_h, 7);
    assert_int_equal(ok_with(5, "ArrayHeight:7").array_h, 7);
    /* The first '=' or ':' splits; the rest belongs to the value. */
    assert_string_equal(ok_with(2, "run_name: a=b").run_name, "a=b");
    assert_string_equal(ok_with(2, "run_name = x:y").run_name, "x:y");
    expect_err_at(5, "ArrayHeight 7", MMT_EPARSE, 5, NULL);
    expect_err_at(5, "= 7", MMT_EPARSE, 5, NULL);
}

static void test_case_insensitive_keys(void **state)
{
    assert_int_equal(ok_with(5, "ARRAYHEIGHT: 3").array_h, 3);
    assert_int_equal(ok_with(5, "arrayheight: 3").array_h, 3);
    assert_int_equal(ok_with(5, "aRrAyHeIgHt: 3").array_h, 3);
    assert_int_equal(ok_with(18, "INTERFACEBANDWIDTH: CALC").user_bw, 0);
    /* Section names are case-sensitive: [General] is another section. */
    mmt_config c;
    mmt_diag d;
    char *t = edit(1, "[General]", 0);
    assert_int_equal(parse(t, &c, &d, NULL), MMT_EPARSE);
    assert_non_null(strstr(d.message, "[general]"));
    free(t);
}

static void test_comments(void **state)
{
    mmt_config c;
    mmt_diag d;
    /* Whole-line comments with '#' or ';', indented or not, even before the first section. */
    char *t = edit(1, "# leading comment\n; another\n[general]", 3, "  # indented", 16,
                   "; between sections", 0);
    assert_int_equal(parse(t, &c, &d, NULL), 0);
    assert_string_equal(c.run_name, "test_run");
    free(t);
    /* There are no inline comments: the '#' stays in the value. */
    expect_err_at(5, "ArrayHeight: 4 # rows", MMT_EPARSE, 5, "4 # rows");
    assert_string_equal(ok_with(2, "run_name = a;b").run_name, "a;b");
}

static void test_whitespace(void **state)
{
    assert_int_equal(ok_with(5, "\tArrayHeight \t:  \t 9 \t ").array_h, 9);
    assert_string_equal(ok_with(2, "run_name   =    spaced   ").run_name, "spaced");
    /* CRLF and lone CR line ends. */
    for (int k = 0; k < 2; k++) {
        char buf[2 * sizeof BASE];
        size_t n = 0;
        for (const char *s = BASE; *s; s++) {
            if (*s == '\n') {
                buf[n++] = '\r';
                if (k == 0)
                    buf[n++] = '\n';
            } else {
                buf[n++] = *s;
            }
        }
        buf[n] = '\0';
        mmt_config c;
        mmt_diag d;
        assert_int_equal(parse(buf, &c, &d, NULL), 0);
        assert_string_equal(c.run_name, "test_run");
        assert_int_equal(c.array_w, 8);
        assert_int_equal(c.user_bw, 0);
    }
}

static void test_continuation(void **state)
{
    mmt_config c;
    mmt_diag d;
    warns w;
    /* An indented line continues the value: "4\n5" is not an integer (error at the key). */
    expect_err_at(5, "ArrayHeight: 4\n  5", MMT_EPARSE, 5, NULL);
    /* A comment line inside does not end the value. */
    expect_err_at(5, "ArrayHeight: 4\n# note\n  5", MMT_EPARSE, 5, NULL);
    /* configparser keeps blank lines inside a value (empty_lines_in_values): the indented
     * line after the blank one still continues ArrayHeight. */
    expect_err_at(5, "ArrayHeight: 4\n\n    5", MMT_EPARSE, 5, NULL);
    /* Trailing blank lines are stripped from a value (line 15-16 of BASE). */
    assert_int_equal(ok_with(5, "ArrayHeight: 4\n\n").array_h, 4);
    /* A continued Bandwidth list "10,\n20": two values, the first is used, one warning. */
    char *t = edit(13, "Bandwidth : 10,\n    20", 18, "InterfaceBandwidth: USER", 0);
    assert_int_equal(parse(t, &c, &d, &w), 0);
    assert_int_equal(c.bandwidth, 10);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.last.line, 13);
    free(t);
    /* A line indented like its option is not a continuation. */
    t = edit(5, "  ArrayHeight: 4", 6, "  ArrayWidth: 8", 0);
    assert_int_equal(parse(t, &c, &d, NULL), 0);
    assert_int_equal(c.array_h, 4);
    assert_int_equal(c.array_w, 8);
    free(t);
}

static void test_default_section(void **state)
{
    mmt_config c;
    mmt_diag d;
    /* Dataflow only in [DEFAULT]: found from [architecture_presets]. */
    char *t = edit(1, "[DEFAULT]\nDataflow = is\n[general]", 14, "", 0);
    assert_int_equal(parse(t, &c, &d, NULL), 0);
    assert_int_equal(c.dataflow, MMT_DF_IS);
    free(t);
    /* The section's own value wins over [DEFAULT]. */
    t = edit(1, "[DEFAULT]\nDataflow = is\nArrayHeight = 99\n[general]", 0);
    assert_int_equal(parse(t, &c, &d, NULL), 0);
    assert_int_equal(c.dataflow, MMT_DF_WS);
    assert_int_equal(c.array_h, 4);
    free(t);
    /* An empty [general] still finds run_name in [DEFAULT]... */
    t = edit(1, "[DEFAULT]\nrun_name = from_default\n[general]", 2, "", 0);
    assert_int_equal(parse(t, &c, &d, NULL), 0);
    assert_string_equal(c.run_name, "from_default");
    free(t);
    /* ...but without a [general] section configparser raises NoSectionError. */
    t = edit(1, "[DEFAULT]\nrun_name = from_default", 2, "", 0);
    assert_int_equal(parse(t, &c, &d, NULL), MMT_EPARSE);
    assert_non_null(strstr(d.message, "[general]"));
    free(t);
    /* A bad value in [DEFAULT] is reported at its own line. */
    t = edit(1, "[DEFAULT]\nDataflow = xx\n[general]", 14, "", 0);
    assert_int_equal(parse(t, &c, &d, NULL), MMT_ERANGE);
    assert_int_equal(d.line, 2);
    free(t);
}

static void test_duplicates(void **state)
{
    expect_err_at(15, "ArrayHeight: 9", MMT_EPARSE, 15, "duplicate");
    expect_err_at(15, "ARRAYHEIGHT = 9", MMT_EPARSE, 15, "duplicate");
    /* The same key in two different sections is fine. */
    assert_int_equal(ok_with(3, "ArrayHeight = 9").array_h, 4);
    /* A section given twice is an error at the second header. */
    char *t = edit(16, "[general]", 0);
    expect_err_in(t, MMT_EPARSE, 16, "duplicate");
    free(t);
}

static void test_missing_section_header(void **state)
{
    mmt_config c;
    mmt_diag d;
    const char *t1 = "run_name = x\n[general]\n";
    assert_int_equal(parse(t1, &c, &d, NULL), MMT_EPARSE);
    assert_int_equal(d.line, 1);
    const char *t2 = "# comment\n\nArrayHeight: 4\n";
    assert_int_equal(parse(t2, &c, &d, NULL), MMT_EPARSE);
    assert_int_equal(d.line, 3);
}

static void test_interpolation(void **state)
{
    assert_string_equal(ok_with(2, "run_name = run%%1").run_name, "run%1");
    assert_string_equal(ok_with(2, "run_name = a%%%%b").run_name, "a%%b");
    expect_err_at(2, "run_name = 50%", MMT_EPARSE, 2, NULL);
    expect_err_at(2, "run_name = 50%d", MMT_EPARSE, 2, NULL);
    /* %(name)s: same section, [DEFAULT], and into an integer. */
    mmt_config c;
    mmt_diag d;
    char *t = edit(1, "[DEFAULT]\nbase = abc\n[general]", 2, "run_name = %(base)s_x", 15,
                   "h = 6\nMemoryBanks: 1", 5, "ArrayHeight: %(H)s", 0);
    assert_int_equal(parse(t, &c, &d, NULL), 0);
    assert_string_equal(c.run_name, "abc_x");
    assert_int_equal(c.array_h, 6);
    free(t);
    expect_err_at(5, "ArrayHeight: %(nope)s", MMT_EPARSE, 5, "nope");
}

static void test_missing_keys(void **state)
{
    static const struct {
        int line;
        const char *key;
    } req[] = {{2, "run_name"},      {5, "ArrayHeight"},        {6, "ArrayWidth"},
               {7, "IfmapSramSzkB"}, {8, "FilterSramSzkB"},     {9, "OfmapSramSzkB"},
               {10, "IfmapOffset"},  {11, "FilterOffset"},      {12, "OfmapOffset"},
               {14, "Dataflow"},     {18, "InterfaceBandwidth"}};
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        char *t = edit(req[i].line, "# removed", 0);
        mmt_config c;
        mmt_diag d;
        int r = parse(t, &c, &d, NULL);
        if (r != MMT_EPARSE || !strstr(d.message, req[i].key))
            print_error("without %s: %d %s\n", req[i].key, r, d.message);
        assert_int_equal(r, MMT_EPARSE);
        assert_non_null(strstr(d.message, req[i].key));
        assert_int_equal(d.line, 0); /* a missing key has no line */
        free(t);
    }
    /* Optional in CALC mode: Bandwidth and MemoryBanks. */
    assert_int_equal(ok_with(13, "").array_h, 4);
    assert_int_equal(ok_with(15, "").array_h, 4);
}

static void test_bad_ints(void **state)
{
    static const char *const bad[] = {"four", "4.0", "1e3", "0x10", "",    "4 4", "1__0",
                                      "_10",  "10_", "+",   "-",    "--4", "+-4", "4,"};
    char line[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, "ArrayHeight: %s", bad[i]);
        expect_err_at(5, line, MMT_EPARSE, 5, "integer");
    }
    expect_err_at(5, "ArrayHeight: 99999999999999999999", MMT_EOVERFLOW, 5, NULL);
    expect_err_at(11, "FilterOffset: 9223372036854775808", MMT_EOVERFLOW, 11, NULL);
    assert_int_equal(ok_with(11, "FilterOffset: 9223372036854775807").filter_offset, INT64_MAX);
}

static void test_python_int_forms(void **state)
{
    assert_int_equal(ok_with(5, "ArrayHeight: +8").array_h, 8);
    assert_int_equal(ok_with(5, "ArrayHeight: 1_0").array_h, 10);
    assert_int_equal(ok_with(5, "ArrayHeight: 1_000").array_h, 1000);
    assert_int_equal(ok_with(5, "ArrayHeight: 08").array_h, 8);
    assert_int_equal(ok_with(10, "IfmapOffset: -0").ifmap_offset, 0);
    assert_int_equal(ok_with(10, "IfmapOffset: +0").ifmap_offset, 0);
}

static void test_ranges(void **state)
{
    expect_err_at(5, "ArrayHeight: 0", MMT_ERANGE, 5, "positive");
    expect_err_at(6, "ArrayWidth: -2", MMT_ERANGE, 6, "positive");
    expect_err_at(7, "IfmapSramSzkB: 0", MMT_ERANGE, 7, NULL);
    expect_err_at(9, "OfmapSramSzkB: -64", MMT_ERANGE, 9, NULL);
    assert_int_equal(ok_with(12, "OfmapOffset: 0").ofmap_offset, 0);
    /* KB -> words (x1024) must fit in 64 bits: 2^53 KB is 2^63 words. */
    expect_err_at(8, "FilterSramSzkB: 9007199254740992", MMT_EOVERFLOW, 8, NULL);
    assert_int_equal(ok_with(8, "FilterSramSzkB: 9007199254740991").filter_kb, 9007199254740991LL);
}

/* Negative offsets: accepted as SCALE-Sim v2 and v3 accept them (any int()), down to -2^53;
 * garbage is still refused, with the key and line. */
static void test_negative_offsets(void **state)
{
    assert_int_equal(ok_with(10, "IfmapOffset: -300").ifmap_offset, -300);
    assert_int_equal(ok_with(11, "FilterOffset: -1").filter_offset, -1);
    assert_int_equal(ok_with(12, "OfmapOffset:-40").ofmap_offset, -40);
    assert_int_equal(ok_with(12, "OfmapOffset: -1_000").ofmap_offset, -1000);
    assert_int_equal(ok_with(10, "IfmapOffset: -9007199254740992").ifmap_offset, MMT_MIN_OFFSET);
    expect_err_at(10, "IfmapOffset: -9007199254740993", MMT_ERANGE, 10, "below -2^53");
    expect_err_at(11, "FilterOffset: -9223372036854775808", MMT_ERANGE, 11, "FilterOffset");
    expect_err_at(12, "OfmapOffset: -9223372036854775809", MMT_EOVERFLOW, 12, "OfmapOffset");
    /* U+2212 MINUS SIGN before 5: Python's int() refuses it. */
    static const char minus_sign[] = {'\xe2', '\x88', '\x92', '5', '\0'};
    const char *const bad[] = {"- 5", "--5", "-", "-5.0", "-0x5", "-5-", "-_5", minus_sign};
    char line[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, "OfmapOffset: %s", bad[i]);
        expect_err_at(12, line, MMT_EPARSE, 12, "OfmapOffset: expected an integer");
    }
}

static void test_dataflow(void **state)
{
    assert_int_equal(ok_with(14, "Dataflow : os").dataflow, MMT_DF_OS);
    assert_int_equal(ok_with(14, "Dataflow : ws").dataflow, MMT_DF_WS);
    assert_int_equal(ok_with(14, "Dataflow : is").dataflow, MMT_DF_IS);
    /* SCALE-Sim v2 would warn and silently run os; mmtrace refuses. */
    expect_err_at(14, "Dataflow : xs", MMT_ERANGE, 14, "xs");
    expect_err_at(14, "Dataflow : OS", MMT_ERANGE, 14, NULL);
    assert_string_equal(mmt_dataflow_name(MMT_DF_OS), "os");
    assert_string_equal(mmt_dataflow_name(MMT_DF_WS), "ws");
    assert_string_equal(mmt_dataflow_name(MMT_DF_IS), "is");
}

static void test_interface_bandwidth(void **state)
{
    mmt_config c = ok_with(18, "InterfaceBandwidth: USER");
    assert_int_equal(c.user_bw, 1);
    assert_int_equal(c.bandwidth, 10);
    expect_err_at(18, "InterfaceBandwidth: AUTO", MMT_ERANGE, 18, "AUTO");
    expect_err_at(18, "InterfaceBandwidth: calc", MMT_ERANGE, 18, NULL);
    /* USER needs Bandwidth; its first value must be a positive integer. */
    mmt_diag d;
    char *t = edit(13, "", 18, "InterfaceBandwidth: USER", 0);
    assert_int_equal(parse(t, &c, &d, NULL), MMT_EPARSE);
    assert_non_null(strstr(d.message, "Bandwidth"));
    free(t);
    static const struct {
        const char *line;
        int err;
    } bw[] = {{"Bandwidth: 0", MMT_ERANGE},   {"Bandwidth: -3", MMT_ERANGE},
              {"Bandwidth: ten", MMT_EPARSE}, {"Bandwidth: 10,", MMT_EPARSE},
              {"Bandwidth: ,10", MMT_EPARSE}, {"Bandwidth: 10, x", MMT_EPARSE}};
    for (size_t i = 0; i < sizeof bw / sizeof bw[0]; i++) {
        t = edit(13, bw[i].line, 18, "InterfaceBandwidth: USER", 0);
        assert_int_equal(parse(t, &c, &d, NULL), bw[i].err);
        assert_int_equal(d.line, 13);
        free(t);
    }
    warns w;
    t = edit(13, "Bandwidth: 25", 18, "InterfaceBandwidth: USER", 0);
    assert_int_equal(parse(t, &c, &d, &w), 0);
    assert_int_equal(c.bandwidth, 25);
    assert_int_equal(w.n, 0);
    free(t);
    t = edit(13, "Bandwidth: 7, 9, 11", 18, "InterfaceBandwidth: USER", 0);
    assert_int_equal(parse(t, &c, &d, &w), 0);
    assert_int_equal(c.bandwidth, 7);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.last.line, 13);
    assert_string_equal(w.last.file, "t.cfg");
    free(t);
}

/* Bandwidth is bounded before the buffers are sized from it (2^61 crashed the memory model). */
static void test_bandwidth_cap(void **state)
{
    (void)state;
    char *t = edit(18, "InterfaceBandwidth: USER", 13, "Bandwidth : 2305843009213693952", 0);
    expect_err_in(t, MMT_ERANGE, 13, "at most 1048576");
    free(t);
    t = edit(18, "InterfaceBandwidth: USER", 13, "Bandwidth : 1048576", 0);
    mmt_config c;
    mmt_diag d;
    assert_int_equal(parse(t, &c, &d, NULL), 0);
    assert_int_equal(c.bandwidth, 1048576);
    free(t);
}

/* A UTF-8 byte-order mark is skipped with a warning at line 1; a NUL byte is reported with
 * its line and column (it used to read "no section header" on a line showing [general]). */
static void test_bom_and_nul(void **state)
{
    (void)state;
    size_t n = sizeof BASE - 1;
    char *t = malloc(n + 4);
    assert_non_null(t);
    memcpy(t, "\xef\xbb\xbf", 3);
    memcpy(t + 3, BASE, n + 1);
    mmt_config c;
    mmt_diag d;
    warns w;
    assert_int_equal(parse(t, &c, &d, &w), 0);
    assert_int_equal(c.array_w, 8);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.last.line, 1);
    assert_non_null(strstr(w.last.message, "byte-order mark"));
    memcpy(t, BASE, n + 1);
    t[20] = '\0'; /* line 2 is "run_name = test_run": column 11 */
    assert_int_equal(mmt_config_parse("t.cfg", t, n, &c, &d, NULL, NULL), MMT_EPARSE);
    assert_int_equal(d.line, 2);
    assert_string_equal(d.message, "NUL byte (\\0) in column 11: not a text file");
    free(t);
}

static void test_run_name(void **state)
{
    expect_err_at(2, "run_name = a/b", MMT_ERANGE, 2, NULL);
    expect_err_at(2, "run_name =", MMT_ERANGE, 2, NULL);
    expect_err_at(2, "run_name = ..", MMT_ERANGE, 2, NULL);
    assert_string_equal(ok_with(2, "run_name = my run.1").run_name, "my run.1");
}

static void test_read_file(void **state)
{
    char path[] = "/tmp/mmt-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, BASE, sizeof BASE - 1), (ssize_t)(sizeof BASE - 1));
    close(fd);
    mmt_config c;
    mmt_diag d;
    assert_int_equal(mmt_config_read(path, &c, &d, NULL, NULL), 0);
    assert_int_equal(c.array_w, 8);
    unlink(path);
    memset(&d, 0, sizeof d);
    assert_int_equal(mmt_config_read(path, &c, &d, NULL, NULL), MMT_ENOENT);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 0);
}

/* CPU seconds used by this process so far (not wall time: the machine may be loaded). */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Parses BASE followed by extra (which the caller frees) and returns the CPU seconds taken;
 * the parse must succeed. */
static double timed_parse(char *text, size_t len)
{
    mmt_config c;
    mmt_diag d;
    double t0 = cpu_seconds();
    int r = mmt_config_parse("t.cfg", text, len, &c, &d, NULL, NULL);
    double t = cpu_seconds() - t0;
    if (r)
        fail_msg("%s:%ld: %s", d.file, d.line, d.message);
    assert_int_equal(c.array_w, 8);
    free(text);
    return t;
}

/* An option continued over 8 MB of indented lines parses in linear time (it took 6.7 s when
 * each continuation re-measured the whole value; configparser takes 0.2 s). */
static void test_linear_continuation(void **state)
{
    (void)state;
    size_t lines = 8u << 17, len = sizeof BASE - 1 + 32 + lines * 8; /* 17 for the header */
    char *text = malloc(len + 1), *o = text;
    assert_non_null(text);
    o += sprintf(o, "%s[notes]\ntext = x\n", BASE);
    for (size_t i = 0; i < lines; i++)
        o += sprintf(o, "  %05zu\n", i % 100000);
    double t = timed_parse(text, (size_t)(o - text));
    if (t > 2.0)
        fail_msg("8 MB continued value: %.2f s of CPU, expected well under 2 s", t);
}

/* 40,000 distinct keys, and as many sections, parse in linear time (6.9 s when each new key
 * was compared with every earlier one). */
static void test_linear_many_keys(void **state)
{
    (void)state;
    size_t n = 40000, len = sizeof BASE - 1 + 16 + n * 40;
    char *text = malloc(len + 1), *o = text;
    assert_non_null(text);
    o += sprintf(o, "%s[notes]\n", BASE);
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, "key%zu = %zu\n", i, i);
    double t = timed_parse(text, (size_t)(o - text));
    if (t > 2.0)
        fail_msg("40,000 keys: %.2f s of CPU, expected well under 2 s", t);
    text = malloc(len + 1), o = text;
    assert_non_null(text);
    o += sprintf(o, "%s", BASE);
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, "[s%zu]\nk = %zu\n", i, i);
    t = timed_parse(text, (size_t)(o - text));
    if (t > 2.0)
        fail_msg("40,000 sections: %.2f s of CPU, expected well under 2 s", t);
}

/* Chains of interpolations that would expand exponentially are refused, not run for hours. */
static void test_interpolation_bomb(void **state)
{
    (void)state;
    size_t len = sizeof BASE + 4 * (8 + 10 * 2000);
    char *text = malloc(len), *o = text;
    assert_non_null(text);
    o += sprintf(o, "%s[DEFAULT]\ne0 =\n", BASE);
    for (int k = 1; k < 4; k++) {
        o += sprintf(o, "e%d = ", k);
        for (int i = 0; i < 2000; i++)
            o += sprintf(o, "%%(e%d)s", k - 1);
        *o++ = '\n';
    }
    *o = '\0';
    /* run_name = %(e3)s would take 2000^3 lookups. */
    char *bomb = malloc(strlen(text) + 64);
    assert_non_null(bomb);
    const char *rn = strstr(text, "run_name = test_run");
    assert_non_null(rn);
    sprintf(bomb, "%.*srun_name = x%%(e3)s%s", (int)(rn - text), text, rn + 19);
    mmt_config c;
    mmt_diag d;
    double t0 = cpu_seconds();
    assert_int_equal(mmt_config_parse("t.cfg", bomb, strlen(bomb), &c, &d, NULL, NULL),
                     MMT_ERANGE);
    assert_true(cpu_seconds() - t0 < 2.0);
    assert_true(d.line > 18);
    assert_non_null(strstr(d.message, "interpolation references"));
    free(bomb);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base),
        cmocka_unit_test(test_equals_and_colon),
        cmocka_unit_test(test_case_insensitive_keys),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_default_section),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_missing_section_header),
        cmocka_unit_test(test_interpolation),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_bad_ints),
        cmocka_unit_test(test_python_int_forms),
        cmocka_unit_test(test_ranges), cmocka_unit_test(test_negative_offsets),
        cmocka_unit_test(test_dataflow),
        cmocka_unit_test(test_interface_bandwidth),
        cmocka_unit_test(test_bandwidth_cap),
        cmocka_unit_test(test_bom_and_nul),
        cmocka_unit_test(test_run_name),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_linear_continuation),
        cmocka_unit_test(test_linear_many_keys),
        cmocka_unit_test(test_interpolation_bomb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
