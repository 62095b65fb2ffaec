/*
 * test_tracer.c - the trace reader on hand-made plain and gzip files: parsing, row widths,
 * non-numeric fields, address ranges, line ends, and truncated or corrupt gzip streams.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mmtrace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char dir[256];

/* Path of a scratch file in the test's temporary directory. */
static const char *tmp_path(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* Writes text to a plain file. */
static const char *write_plain(const char *name, const char *text, size_t len)
{
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return p;
}

/* Writes text gzip-compressed. */
static const char *write_gz(const char *name, const char *text, size_t len)
{
    const char *p = tmp_path(name);
    gzFile g = gzopen(p, "wb6");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, text, (unsigned)len), (int)len);
    assert_int_equal(gzclose(g), Z_OK);
    return p;
}

/* Size of a file. */
static long file_size(const char *p)
{
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return (long)st.st_size;
}

/* A trace text of n rows of width 4: "i+1,i,-1,10000000+i,-1". */
static char *make_rows(int n, size_t *len)
{
    char *t = malloc((size_t)n * 40 + 1);
    assert_non_null(t);
    size_t o = 0;
    for (int i = 0; i < n; i++)
        o += (size_t)sprintf(t + o, "%d,%d,-1,%d,-1\n", i + 1, i, 10000000 + i);
    *len = o;
    return t;
}

/* Opens path, which must succeed. */
static mmt_tracer *open_ok(const char *path, mmt_diag *d)
{
    mmt_tracer *t = NULL;
    assert_int_equal(mmt_tracer_open(path, &t, d), 0);
    return t;
}

/* Writes text to a plain file and opens it. */
static mmt_tracer *open_plain(const char *name, const char *text, size_t len, mmt_diag *d)
{
    return open_ok(write_plain(name, text, len), d);
}

/* Reads the next row of width 1, discarding its values. */
static int next1(mmt_tracer *t, mmt_diag *d)
{
    int64_t cyc, v[1];
    return mmt_tracer_next(t, 1, &cyc, v, d);
}

/* Reads every row of path; with check, expects make_rows() content. Returns the first error
 * (of reading or closing), or 0. */
static int read_all(const char *path, int check, int *rows, mmt_diag *d)
{
    mmt_tracer *t = open_ok(path, d);
    int64_t cyc, v[4];
    int r;
    *rows = 0;
    while ((r = mmt_tracer_next(t, 4, &cyc, v, d)) == 1) {
        if (!check) {
            (*rows)++;
            continue;
        }
        assert_int_equal(cyc, *rows + 1);
        assert_int_equal(v[0], *rows);
        assert_int_equal(v[1], -1);
        assert_int_equal(v[2], 10000000 + *rows);
        assert_int_equal(v[3], -1);
        (*rows)++;
    }
    int rc = mmt_tracer_close(t, r == 0 ? d : NULL);
    return r ? r : rc;
}

static void test_plain_and_gzip(void **state)
{
    (void)state;
    size_t len;
    char *text = make_rows(5000, &len);
    const char *paths[2] = {NULL, NULL};
    paths[0] = write_plain("rows.csv", text, len);
    char plain[512];
    snprintf(plain, sizeof plain, "%s", paths[0]);
    paths[1] = write_gz("rows.csv.gz", text, len);
    const char *all[2] = {plain, paths[1]};
    for (int k = 0; k < 2; k++) {
        mmt_diag d = {0};
        int rows;
        assert_int_equal(read_all(all[k], 1, &rows, &d), 0);
        assert_int_equal(rows, 5000);
        mmt_tracer *t = open_ok(all[k], &d);
        int64_t cyc, v[4];
        assert_int_equal(mmt_tracer_next(t, 4, &cyc, v, &d), 1);
        assert_int_equal(mmt_tracer_is_gzip(t), k);
        assert_int_equal(mmt_tracer_lineno(t), 1);
        assert_int_equal(mmt_tracer_close(t, &d), 0);
    }
    free(text);
}

static void test_empty_file(void **state)
{
    (void)state;
    mmt_diag d = {0};
    mmt_tracer *t = open_plain("empty.csv", "", 0, &d);
    assert_int_equal(next1(t, &d), 0);
    assert_int_equal(mmt_tracer_close(t, &d), 0);
}

static void test_missing_file(void **state)
{
    (void)state;
    mmt_tracer *t = NULL;
    mmt_diag d = {0};
    assert_int_equal(mmt_tracer_open(tmp_path("nope.csv.gz"), &t, &d), MMT_ENOENT);
    assert_null(t);
    assert_non_null(strstr(d.file, "nope.csv.gz"));
    assert_non_null(strstr(d.message, "cannot open"));
}

/* Parses one line with the given width; returns the result and fills d. */
static int parse_one(const char *text, int64_t width, int64_t *vals, mmt_diag *d)
{
    const char *p = write_gz("one.csv.gz", text, strlen(text));
    mmt_tracer *t = open_ok(p, d);
    mmt_tracer_set_range(t, 100, 200, "filter");
    int64_t cyc;
    int r = mmt_tracer_next(t, width, &cyc, vals, d);
    mmt_tracer_close(t, NULL);
    return r;
}

/* Expects the one-line trace text (at width) to be refused, the message containing needle
 * (unless NULL); d keeps the diagnostic. */
static void expect_bad(const char *text, int64_t width, const char *needle, mmt_diag *d)
{
    int64_t v[8];
    int r = parse_one(text, width, v, d);
    if (r != MMT_ETRACE || (needle && !strstr(d->message, needle)))
        print_error("'%s': got %d: %s\n", text, r, d->message);
    assert_int_equal(r, MMT_ETRACE);
    if (needle)
        assert_non_null(strstr(d->message, needle));
}

static void test_non_numeric(void **state)
{
    (void)state;
    mmt_diag d = {0};
    expect_bad("1,100,x1,101\n", 3, NULL, &d);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.column, 7);
    assert_non_null(strstr(d.message, "field 3: expected an integer, got 'x1'"));
    expect_bad("1,100,1.5,101\n", 3, "got '1.5'", &d);
    expect_bad("a,100\n", 1, "field 1", &d);
    expect_bad("1,,101\n", 2, "field 2: expected an integer, got ''", &d);
    expect_bad("1,99999999999999999999\n", 1, NULL, &d);
    expect_bad("1, 100\n", 1, NULL, &d);
    expect_bad("1,-\n", 1, NULL, &d);
}

static void test_width(void **state)
{
    (void)state;
    int64_t v[8];
    mmt_diag d = {0};
    expect_bad("1,100,101\n", 3, "expected 4 fields (cycle and 3 addresses), got 3", &d);
    expect_bad("1,100,101,102,103\n", 3, "expected 4 fields (cycle and 3 addresses), got 5", &d);
    expect_bad("1,100,101,102,\n", 3, NULL, &d);
    expect_bad("1\n", 1, NULL, &d);
    assert_int_equal(parse_one("7\n", 0, v, &d), 1);
    assert_int_equal(parse_one("1,100,-1,199\r\n", 3, v, &d), 1);
    assert_int_equal(v[0], 100);
    assert_int_equal(v[1], -1);
    assert_int_equal(v[2], 199);
}

static void test_range(void **state)
{
    (void)state;
    int64_t v[4];
    mmt_diag d = {0};
    expect_bad("1,100,200\n", 2, "field 3: address 200 is outside the filter range [100, 200)", &d);
    assert_int_equal(d.column, 7);
    expect_bad("1,99,-1\n", 2, NULL, &d);
    expect_bad("1,-2,-1\n", 2, NULL, &d);
    expect_bad("1,-12,-1\n", 2, NULL, &d);
    assert_int_equal(parse_one("-5,-1,-1\n", 2, v, &d), 1); /* the cycle is not range-checked */
}

/* A negative offset (doc/scalesim-v2.md §4.1): the range [-7, 5) holds negative addresses and
 * a real -1, which reads back as -1 like an idle slot (SCALE-Sim cannot tell them apart). */
static void test_negative_range(void **state)
{
    (void)state;
    int64_t v[4], cyc;
    mmt_diag d = {0};
    const char *text = "3,-7,-1,4\n4,-8,-1,0\n";
    const char *p = write_gz("neg.csv.gz", text, strlen(text));
    mmt_tracer *t = open_ok(p, &d);
    mmt_tracer_set_range(t, -7, 5, "ifmap");
    assert_int_equal(mmt_tracer_next(t, 3, &cyc, v, &d), 1);
    assert_int_equal(v[0], -7);
    assert_int_equal(v[1], -1);
    assert_int_equal(v[2], 4);
    assert_int_equal(mmt_tracer_next(t, 3, &cyc, v, &d), MMT_ETRACE);
    assert_non_null(strstr(d.message, "field 2: address -8 is outside the ifmap range [-7, 5)"));
    mmt_tracer_close(t, NULL);
}

static void test_no_final_newline(void **state)
{
    (void)state;
    mmt_diag d = {0};
    mmt_tracer *t = open_plain("nonl.csv", "1,2\n2,3", 7, &d);
    assert_int_equal(next1(t, &d), 1);
    assert_int_equal(next1(t, &d), MMT_ETRACE);
    assert_int_equal(d.line, 2);
    assert_non_null(strstr(d.message, "no line end"));
    mmt_tracer_close(t, NULL);
}

static void test_raw_lines_and_long_line(void **state)
{
    (void)state;
    size_t n = 1000000, len = 0; /* a 3 MB line: the buffer must grow */
    char *text = malloc(n * 3 + 16);
    assert_non_null(text);
    len += (size_t)sprintf(text, "42");
    for (size_t i = 0; i < n; i++) {
        memcpy(text + len, ",-1", 3);
        len += 3;
    }
    memcpy(text + len, "\nlast\n", 6);
    len += 6;
    const char *p = write_gz("long.csv.gz", text, len);
    mmt_diag d = {0};
    int64_t *v = malloc(n * sizeof *v), cyc;
    assert_non_null(v);
    mmt_tracer *t = open_ok(p, &d);
    assert_int_equal(mmt_tracer_next(t, (int64_t)n, &cyc, v, &d), 1);
    assert_int_equal(cyc, 42);
    assert_int_equal(v[n - 1], -1);
    const char *s;
    size_t sl;
    assert_int_equal(mmt_tracer_line(t, &s, &sl, &d), 1);
    assert_int_equal(sl, 4);
    assert_memory_equal(s, "last", 4);
    assert_int_equal(mmt_tracer_lineno(t), 2);
    assert_int_equal(mmt_tracer_line(t, &s, &sl, &d), 0);
    assert_int_equal(mmt_tracer_close(t, &d), 0);
    free(v);
    free(text);
}

/* A line longer than the widest row of its width is refused once that many bytes are read,
 * instead of growing the buffer for the whole line (a 2 GiB line in a 2 MB gzip). */
static void test_line_cap(void **state)
{
    (void)state;
    size_t n = 1 << 20;
    char *text = malloc(n + 1);
    assert_non_null(text);
    memset(text, '7', n);
    text[n] = '\n';
    const char *p = write_gz("wide.csv.gz", text, n + 1);
    mmt_diag d = {0};
    int64_t v[4], cyc;
    mmt_tracer *t = open_ok(p, &d);
    assert_int_equal(mmt_tracer_next(t, 4, &cyc, v, &d), MMT_ETRACE);
    assert_int_equal(d.line, 1);
    assert_non_null(strstr(d.message, "longer than 105 bytes"));
    mmt_tracer_close(t, NULL);
    /* The widest row of width 4 (five times -2^63, then "\r\n") still parses. */
    const char row[] = "-9223372036854775808,-9223372036854775808,-9223372036854775808,"
                       "-9223372036854775808,-9223372036854775808\r\n";
    t = open_plain("widest.csv", row, sizeof row - 1, &d);
    assert_int_equal(mmt_tracer_next(t, 4, &cyc, v, &d), 1);
    assert_int_equal(v[3], INT64_MIN);
    mmt_tracer_close(t, NULL);
    /* mmt_tracer_set_max_line applies to raw lines too. */
    t = open_plain("raw.csv", "abcdefgh\n", 9, &d);
    mmt_tracer_set_max_line(t, 4);
    const char *s;
    size_t sl;
    assert_int_equal(mmt_tracer_line(t, &s, &sl, &d), MMT_ETRACE);
    mmt_tracer_close(t, NULL);
    free(text);
}

/* A FIFO or a device is refused at open, without blocking or reading forever. */
static void test_not_regular(void **state)
{
    (void)state;
    const char *p = tmp_path("fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    mmt_tracer *t = NULL;
    mmt_diag d = {0};
    assert_int_equal(mmt_tracer_open(p, &t, &d), MMT_EIO);
    assert_null(t);
    assert_non_null(strstr(d.message, "not a regular file (a FIFO or pipe)"));
    assert_int_equal(mmt_tracer_open("/dev/zero", &t, &d), MMT_EIO);
    assert_non_null(strstr(d.message, "a character device"));
}

/* Copies the first keep bytes of src to dst, flipping byte flip (if >= 0). */
static void damage(const char *src, const char *dst, long keep, long flip)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    assert_non_null(in);
    assert_non_null(out);
    for (long i = 0; i < keep; i++) {
        int c = fgetc(in);
        assert_true(c != EOF);
        fputc(i == flip ? c ^ 0x55 : c, out);
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Writes 20000 make_rows() rows gzip-compressed to the scratch file name, copies its path to
 * good and returns its size. */
static long write_good_gz(const char *name, char good[512])
{
    size_t len;
    char *text = make_rows(20000, &len);
    snprintf(good, 512, "%s", write_gz(name, text, len));
    free(text);
    return file_size(good);
}

/* Reads, as read_all() without checking, a damaged copy of good saved under the scratch name
 * bad_name (damage() gives keep and flip). */
static int read_damaged(const char *good, const char *bad_name, long keep, long flip, int *rows,
                        mmt_diag *d)
{
    char bad[512];
    snprintf(bad, sizeof bad, "%s", tmp_path(bad_name));
    damage(good, bad, keep, flip);
    return read_all(bad, 0, rows, d);
}

static void test_truncated_gzip(void **state)
{
    (void)state;
    char good[512];
    long size = write_good_gz("good.csv.gz", good);
    const long cut[3] = {size / 2, size - 4, 12}; /* mid-stream, in the trailer, in the header */
    for (int k = 0; k < 3; k++) {
        mmt_diag d = {0};
        int rows;
        int r = read_damaged(good, "trunc.csv.gz", cut[k], -1, &rows, &d);
        assert_true(r == MMT_EZLIB || r == MMT_ETRACE);
        assert_true(rows < 20000 || r == MMT_EZLIB);
        assert_non_null(strstr(d.file, "trunc.csv.gz"));
    }
    /* Cut at a line boundary inside the deflate data: only zlib can tell. */
    mmt_diag d = {0};
    int rows;
    assert_int_equal(read_damaged(good, "trunc2.csv.gz", size - 8, -1, &rows, &d), MMT_EZLIB);
    assert_non_null(strstr(d.message, "truncated"));
}

static void test_corrupt_gzip(void **state)
{
    (void)state;
    char good[512];
    long size = write_good_gz("good2.csv.gz", good);
    const long flips[3] = {size / 3, size / 2, size - 6}; /* deflate data twice, then the CRC */
    for (int k = 0; k < 3; k++) {
        mmt_diag d = {0};
        int rows;
        int r = read_damaged(good, "corrupt.csv.gz", size, flips[k], &rows, &d);
        assert_true(r == MMT_EZLIB || r == MMT_ETRACE);
        if (k == 2) {
            assert_int_equal(r, MMT_EZLIB);
            assert_non_null(strstr(d.message, "corrupt gzip stream"));
        }
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/mmt-tracer.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_gzip),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_non_numeric),
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_negative_range),
        cmocka_unit_test(test_no_final_newline),
        cmocka_unit_test(test_raw_lines_and_long_line),
        cmocka_unit_test(test_line_cap),
        cmocka_unit_test(test_not_regular),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_corrupt_gzip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
