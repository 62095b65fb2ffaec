/*
 * test_tracew.c - decimal formatting and the gzip trace writer: exact decompressed text,
 * the final name appearing only at close, and abort leaving nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Formats v and compares with want. */
static void fmt_is(int64_t v, const char *want)
{
    char buf[32];
    memset(buf, 'Z', sizeof buf);
    size_t n = mmt_fmt_i64(buf, v);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(buf, want, n);
    assert_true(n < 21);
    for (size_t i = 21; i < sizeof buf; i++) /* the documented 21-byte buffer is enough */
        assert_int_equal(buf[i], 'Z');
}

static void test_fmt_i64(void **state)
{
    fmt_is(0, "0");
    fmt_is(-1, "-1");
    fmt_is(7, "7");
    fmt_is(9, "9");
    fmt_is(10, "10");
    fmt_is(99, "99");
    fmt_is(100, "100");
    fmt_is(-10, "-10");
    fmt_is(101, "101");
    fmt_is(20000056, "20000056");
    fmt_is(1234567890123LL, "1234567890123");
    fmt_is(INT64_MAX, "9223372036854775807");
    fmt_is(INT64_MIN, "-9223372036854775808");
    fmt_is(INT64_MIN + 1, "-9223372036854775807");
}

/* A fresh empty directory for one test and the path of the trace file in it. */
typedef struct scratch {
    char *dir;
    char path[256];
} scratch;

static void scratch_make(scratch *s, const char *name)
{
    s->dir = strdup("/tmp/mmt-test-tracew-XXXXXX");
    assert_non_null(s->dir);
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name);
}

/* scratch_make(), then opens a writer on the trace file at the given level. */
static mmt_tracew *scratch_open(scratch *s, const char *name, int level)
{
    scratch_make(s, name);
    mmt_tracew *w = NULL;
    assert_int_equal(mmt_tracew_open(s->path, level, &w, NULL), 0);
    return w;
}

/* Removes the trace file, if any, and the directory. */
static void scratch_remove(scratch *s)
{
    unlink(s->path);
    rmdir(s->dir);
    free(s->dir);
}

/* Number of entries in dir besides . and .. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Decompresses path with zlib's gz reader; caller frees. */
static char *gunzip(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
        int r = gzread(f, buf + n, (unsigned)(cap - n));
        assert_true(r >= 0);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    int direct = gzdirect(f); /* 1 would mean "not gzip, read as is" */
    gzclose(f);
    assert_int_equal(direct, 0);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Expects path to decompress to exactly the n bytes of want (memcmp: a 2 MB diff is no help). */
static void expect_gz(const char *path, const char *want, size_t n)
{
    size_t gn;
    char *got = gunzip(path, &gn);
    assert_int_equal(gn, n);
    assert_true(memcmp(got, want, n) == 0);
    free(got);
}

static void test_rows_exact(void **state)
{
    scratch s;
    mmt_tracew *w = scratch_open(&s, "T.csv.gz", 6);
    const int64_t r1[] = {0, -1, -1, 5};
    const int64_t r2[] = {20000056, 20000048};
    const int64_t r3[] = {INT64_MIN, INT64_MAX, -2};
    assert_int_equal(mmt_tracew_row(w, 1, r1, 4), 0);
    assert_int_equal(mmt_tracew_row(w, 7, r2, 2), 0);
    assert_int_equal(mmt_tracew_row(w, 0, r3, 3), 0);
    assert_int_equal(mmt_tracew_row(w, -66, NULL, 0), 0);
    assert_int_equal(mmt_tracew_write(w, "-66.0,0.0,1.0\n", 14), 0);
    static const char want[] = "1,0,-1,-1,5\n"
                               "7,20000056,20000048\n"
                               "0,-9223372036854775808,9223372036854775807,-2\n"
                               "-66\n"
                               "-66.0,0.0,1.0\n";
    assert_int_equal(mmt_tracew_bytes(w), sizeof want - 1);
    /* Until close, the final name does not exist. */
    assert_false(exists(s.path));
    assert_int_equal(mmt_tracew_close(w, NULL), 0);
    assert_true(exists(s.path));
    assert_int_equal(entries(s.dir), 1); /* no temporary left */
    size_t n;
    char *got = gunzip(s.path, &n);
    assert_int_equal(n, sizeof want - 1);
    assert_string_equal(got, want);
    free(got);
    scratch_remove(&s);
}

static void test_empty_file(void **state)
{
    scratch s;
    mmt_tracew *w = scratch_open(&s, "E.csv.gz", 1);
    assert_int_equal(mmt_tracew_close(w, NULL), 0);
    expect_gz(s.path, "", 0);
    scratch_remove(&s);
}

/* More text than the writer buffers at once (1 MiB), at levels 0 and 9; the expectation is
 * built with snprintf. */
static void test_large(void **state)
{
    scratch s;
    scratch_make(&s, "L.csv.gz");
    const int64_t rows = 60000, width = 8;
    size_t cap = (size_t)rows * (size_t)(width + 1) * 21 + 1, n = 0;
    char *want = malloc(cap);
    assert_non_null(want);
    int64_t vals[8];
    for (int64_t i = 0; i < rows; i++) {
        n += (size_t)snprintf(want + n, cap - n, "%" PRId64, i + 1);
        for (int64_t x = 0; x < width; x++) {
            vals[x] = (i + x) % 3 == 0 ? -1 : 10000000 + i * width + x;
            n += (size_t)snprintf(want + n, cap - n, ",%" PRId64, vals[x]);
        }
        want[n++] = '\n';
    }
    want[n] = '\0';
    assert_true(n > (1u << 20) * 2);
    static const int levels[] = {0, 9};
    for (int k = 0; k < 2; k++) {
        mmt_tracew *w = NULL;
        assert_int_equal(mmt_tracew_open(s.path, levels[k], &w, NULL), 0);
        for (int64_t i = 0; i < rows; i++) {
            for (int64_t x = 0; x < width; x++)
                vals[x] = (i + x) % 3 == 0 ? -1 : 10000000 + i * width + x;
            assert_int_equal(mmt_tracew_row(w, i + 1, vals, width), 0);
        }
        assert_int_equal(mmt_tracew_bytes(w), n);
        assert_int_equal(mmt_tracew_close(w, NULL), 0);
        expect_gz(s.path, want, n);
        assert_int_equal(entries(s.dir), 1);
    }
    /* Raw text across the buffer boundary too. */
    mmt_tracew *w = NULL;
    assert_int_equal(mmt_tracew_open(s.path, 1, &w, NULL), 0);
    assert_int_equal(mmt_tracew_write(w, want, n), 0);
    assert_int_equal(mmt_tracew_close(w, NULL), 0);
    expect_gz(s.path, want, n);
    free(want);
    scratch_remove(&s);
}

static void test_abort(void **state)
{
    scratch s;
    mmt_tracew *w = scratch_open(&s, "A.csv.gz", 1);
    const int64_t r[] = {1, 2, 3};
    assert_int_equal(mmt_tracew_row(w, 1, r, 3), 0);
    assert_int_equal(entries(s.dir), 1); /* the temporary file */
    mmt_tracew_abort(w);
    assert_false(exists(s.path));
    assert_int_equal(entries(s.dir), 0);
    mmt_tracew_abort(NULL);
    /* An existing file under the final name is left alone by an aborted rewrite. */
    FILE *f = fopen(s.path, "w");
    assert_non_null(f);
    fputs("old", f);
    fclose(f);
    assert_int_equal(mmt_tracew_open(s.path, 1, &w, NULL), 0);
    assert_int_equal(mmt_tracew_row(w, 1, r, 3), 0);
    mmt_tracew_abort(w);
    f = fopen(s.path, "r");
    assert_non_null(f);
    char buf[8] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf - 1, f), 3);
    fclose(f);
    assert_string_equal(buf, "old");
    assert_int_equal(entries(s.dir), 1);
    scratch_remove(&s);
}

static void test_open_errors(void **state)
{
    scratch s;
    scratch_make(&s, "X.csv.gz");
    mmt_tracew *w = NULL;
    assert_int_equal(mmt_tracew_open(s.path, -1, &w, NULL), MMT_EINVAL);
    assert_int_equal(mmt_tracew_open(s.path, 10, &w, NULL), MMT_EINVAL);
    assert_int_equal(entries(s.dir), 0);
    snprintf(s.path, sizeof s.path, "%s/no/such/dir/X.csv.gz", s.dir);
    mmt_diag d = {0};
    assert_int_equal(mmt_tracew_open(s.path, 1, &w, &d), MMT_ENOENT);
    assert_string_equal(d.file, s.path);
    assert_string_equal(d.message, "cannot write trace: No such file or directory");
    assert_int_equal(entries(s.dir), 0);
    scratch_remove(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_i64),    cmocka_unit_test(test_rows_exact),
        cmocka_unit_test(test_empty_file), cmocka_unit_test(test_large),
        cmocka_unit_test(test_abort),      cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
