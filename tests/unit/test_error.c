/*
 * test_error.c - the one error scheme (mmtrace.h "errors"): every code has its own message,
 * system errors map to their codes (mmt_err_from_sys), and a library call that touches a file
 * returns the precise code and fills the diag with the file and the system's reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh temporary directory (the caller removes it). */
static char *tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/mmt_err.XXXXXX", base && *base ? base : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

/* Codes are distinct, negative, named by the X-macro, and each has its own message. */
static void test_codes(void **state)
{
    (void)state;
    static const int codes[] = {
#define XX(name, msg) MMT_E##name,
        MMT_ERRNO_MAP(XX)
#undef XX
    };
    static const char *const msgs[] = {
#define XX(name, msg) msg,
        MMT_ERRNO_MAP(XX)
#undef XX
    };
    size_t n = sizeof codes / sizeof codes[0];
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        assert_true(codes[i] < 0);
        assert_string_equal(mmt_strerror(codes[i]), msgs[i]);
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(codes[i], codes[j]);
            assert_string_not_equal(msgs[i], msgs[j]);
        }
    }
    /* The first codes keep their values (programs built against older headers). */
    assert_int_equal(MMT_ENOMEM, -99);
    assert_int_equal(MMT_ETRACE, -92);
    assert_string_equal(mmt_strerror(0), "success");
    assert_string_equal(mmt_strerror(-1), "unknown error");
}

/* errno values map to their codes, whose messages are the system's; the rest is MMT_EIO. */
static void test_from_sys(void **state)
{
    (void)state;
    static const struct {
        int sys, code;
    } map[] = {
        {ENOENT, MMT_ENOENT},   {EACCES, MMT_EACCES},   {EPERM, MMT_EPERM},
        {ENOSPC, MMT_ENOSPC},   {EDQUOT, MMT_EDQUOT},   {EFBIG, MMT_EFBIG},
        {EISDIR, MMT_EISDIR},   {ENOTDIR, MMT_ENOTDIR}, {EROFS, MMT_EROFS},
        {EMFILE, MMT_EMFILE},   {ENFILE, MMT_ENFILE},   {ENAMETOOLONG, MMT_ENAMETOOLONG},
        {EEXIST, MMT_EEXIST},   {ELOOP, MMT_ELOOP},     {EAGAIN, MMT_EAGAIN},
        {ETXTBSY, MMT_ETXTBSY}, {ENOMEM, MMT_ENOMEM},   {EINVAL, MMT_EINVAL},
        {EIO, MMT_EIO},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        assert_int_equal(mmt_err_from_sys(map[i].sys), map[i].code);
        if (map[i].code != MMT_ENOMEM && map[i].code != MMT_EINVAL && map[i].code != MMT_EIO)
            assert_string_equal(mmt_strerror(map[i].code), strerror(map[i].sys));
    }
    assert_int_equal(mmt_err_from_sys(EWOULDBLOCK), MMT_EAGAIN);
    assert_int_equal(mmt_err_from_sys(EXDEV), MMT_EIO);
    assert_int_equal(mmt_err_from_sys(0), MMT_EIO);
}

/* mmt__sys_diag reads errno of the failed call and appends the system's reason. */
static void test_sys_diag(void **state)
{
    (void)state;
    mmt_diag d = {0};
    errno = ENOSPC;
    assert_int_equal(mmt__sys_diag(&d, "out/x.csv", 3, "cannot write %s", "it"), MMT_ENOSPC);
    assert_string_equal(d.file, "out/x.csv");
    assert_int_equal(d.line, 3);
    assert_string_equal(d.message, "cannot write it: No space left on device");
    errno = EACCES;
    assert_int_equal(mmt__sys_diag(NULL, "x", 0, "y"), MMT_EACCES);
    /* A real full device: write(2) fails with ENOSPC, which becomes MMT_ENOSPC. */
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        assert_int_equal(mmt__write_all(fd, "abc", 3), -1);
        assert_int_equal(mmt__sys_diag(&d, "/dev/full", 0, "cannot write"), MMT_ENOSPC);
        close(fd);
    }
}

/* File calls return the precise code and name the file in the diag. */
static void test_file_calls(void **state)
{
    (void)state;
    char *dir = tmpdir();
    char path[600];
    mmt_diag d = {0};

    snprintf(path, sizeof path, "%s/missing.csv.gz", dir);
    mmt_tracer *t = NULL;
    assert_int_equal(mmt_tracer_open(path, &t, &d), MMT_ENOENT);
    assert_null(t);
    assert_string_equal(d.file, path);
    assert_string_equal(d.message, "cannot open: No such file or directory");

    /* A directory given as an input. */
    memset(&d, 0, sizeof d);
    mmt_config c;
    assert_int_equal(mmt_config_read(dir, &c, &d, NULL, NULL), MMT_EISDIR);
    assert_string_equal(d.file, dir);

    /* Outputs into a directory that does not exist. */
    snprintf(path, sizeof path, "%s/no/such", dir);
    mmt_layer_result res = {0};
    memset(&d, 0, sizeof d);
    assert_int_equal(mmt_report_write(path, &res, 1, &d), MMT_ENOENT);
    assert_non_null(strstr(d.file, "/no/such/COMPUTE_REPORT.csv"));
    assert_string_equal(d.message, "cannot create: No such file or directory");

    /* A path component that is a file. */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof path, "%s/file/sub", dir);
    memset(&d, 0, sizeof d);
    assert_int_equal(mmt__mkdir(path, &d), MMT_ENOTDIR);
    assert_string_equal(d.message, "cannot create directory: Not a directory");
    assert_int_equal(mmt__mkdir(dir, &d), 0); /* exists already: fine */

    /* A trace written into a missing directory: the trace's path in the diag. */
    mmt_layer l = {.name = "l", .ifmap_h = 4, .ifmap_w = 4, .filt_h = 1, .filt_w = 1,
                   .channels = 2, .num_filt = 2, .stride_h = 1, .stride_w = 1};
    mmt_config cfg = {.array_h = 2, .array_w = 2, .ifmap_kb = 1, .filter_kb = 1,
                      .ofmap_kb = 1, .filter_offset = 1000, .ofmap_offset = 2000};
    mmt_geom g;
    assert_int_equal(mmt_geom_init(&g, &l, &cfg, &d), 0);
    snprintf(path, sizeof path, "%s/gone", dir);
    memset(&d, 0, sizeof d);
    assert_int_equal(mmt_gen_trace(&g, MMT_OP_IFMAP, path, 1, NULL, NULL, NULL, &d), MMT_ENOENT);
    assert_non_null(strstr(d.file, "/gone/IFMAP_SRAM_TRACE.csv.gz"));
    assert_string_equal(d.message, "cannot write trace: No such file or directory");

    snprintf(path, sizeof path, "%s/file", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_from_sys),
        cmocka_unit_test(test_sys_diag),
        cmocka_unit_test(test_file_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
