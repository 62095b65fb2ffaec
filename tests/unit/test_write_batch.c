/*
 * test_write_batch.c - atomic writes in a batch (write_batch.c): nothing appears under a final
 * name before the commit (a reader sees the old file), the commit puts every file in place
 * whole and removes the temporaries, a second write of a name keeps the last text, abort
 * leaves the old files and no temporary, without a batch each write is immediate, and a file
 * that holds the text already is kept, not replaced; threads that join a batch write into it
 * at once. Under them all, a staged output (mmt__staged) appears only when published.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh directory under TMPDIR (the caller frees the name). */
static char *mkdir_tmp(void)
{
    const char *t = getenv("TMPDIR");
    char *dir = malloc(4096);
    assert_non_null(dir);
    snprintf(dir, 4096, "%s/mmt-wbatch.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(dir));
    return dir;
}

/* The text of dir/name, or NULL if absent (the caller frees it). */
static char *slurp(const char *dir, const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    char *s = calloc(1, 4096);
    assert_non_null(s);
    assert_true(fread(s, 1, 4095, f) < 4095);
    fclose(f);
    return s;
}

/* Expects dir/name to hold exactly want. */
static void expect_text(const char *dir, const char *name, const char *want)
{
    char *s = slurp(dir, name);
    assert_string_equal(s, want);
    free(s);
}

/* Entries of dir whose names start with prefix. */
static int count(const char *dir, const char *prefix)
{
    DIR *D = opendir(dir);
    assert_non_null(D);
    int n = 0;
    for (struct dirent *e; (e = readdir(D));)
        n += !strncmp(e->d_name, prefix, strlen(prefix));
    closedir(D);
    return n;
}

/* Writes text to dir/name through the one atomic writer. */
static int put(const char *dir, const char *name, const char *text)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    mmt_diag d = {0};
    return mmt__write_file_atomic(p, text, strlen(text), &d);
}

/* Removes the test directory and its files. */
static void rm_dir(char *dir)
{
    DIR *D = opendir(dir);
    for (struct dirent *e; D && (e = readdir(D));) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.' || e->d_name[1] == 'm')
            unlink(p);
    }
    if (D)
        closedir(D);
    rmdir(dir);
    free(dir);
}

/* A fresh directory holding a.csv ("old a\n") and a batch begun; the caller ends both. */
static char *dir_in_batch(mmt__wbatch **b)
{
    char *dir = mkdir_tmp();
    assert_int_equal(put(dir, "a.csv", "old a\n"), 0);
    assert_int_equal(mmt__wbatch_begin(b), 0);
    return dir;
}

static void test_commit(void **state)
{
    (void)state;
    mmt__wbatch *b;
    char *dir = dir_in_batch(&b);
    assert_ptr_equal(mmt__wbatch_current(), b);
    mmt__wbatch *b2;
    assert_int_equal(mmt__wbatch_begin(&b2), MMT_EINVAL); /* one per thread */
    assert_int_equal(put(dir, "a.csv", "new a, first\n"), 0);
    assert_int_equal(put(dir, "b.csv", "new b\n"), 0);
    assert_int_equal(put(dir, "a.csv", "new a\n"), 0); /* written twice: the last text */
    expect_text(dir, "a.csv", "old a\n");              /* a reader still sees the old file */
    assert_null(slurp(dir, "b.csv"));
    assert_int_equal(count(dir, ".mmtrace-tmp."), 2);
    mmt_diag d = {0};
    assert_int_equal(mmt__wbatch_commit(b, &d), 0);
    assert_null(mmt__wbatch_current());
    expect_text(dir, "a.csv", "new a\n");
    expect_text(dir, "b.csv", "new b\n");
    assert_int_equal(count(dir, ".mmtrace-tmp."), 0);
    assert_int_equal(put(dir, "c.csv", "at once\n"), 0); /* no batch: immediate */
    expect_text(dir, "c.csv", "at once\n");
    rm_dir(dir);
}

static void test_abort(void **state)
{
    (void)state;
    mmt__wbatch *b;
    char *dir = dir_in_batch(&b);
    assert_int_equal(put(dir, "a.csv", "new a\n"), 0);
    assert_int_equal(put(dir, "b.csv", "new b\n"), 0);
    mmt__wbatch_abort(b);
    assert_null(mmt__wbatch_current());
    expect_text(dir, "a.csv", "old a\n");
    assert_null(slurp(dir, "b.csv"));
    assert_int_equal(count(dir, ".mmtrace-tmp."), 0);
    mmt__wbatch_abort(NULL);
    mmt_diag d = {0};
    assert_int_equal(mmt__wbatch_commit(NULL, &d), 0);
    rm_dir(dir);
}

/* A temporary gone before the commit: an error naming the file (its system reason, not found),
 * nothing renamed. */
static void test_commit_error(void **state)
{
    (void)state;
    char *dir = mkdir_tmp();
    mmt__wbatch *b;
    assert_int_equal(mmt__wbatch_begin(&b), 0);
    assert_int_equal(put(dir, "a.csv", "a\n"), 0);
    assert_int_equal(put(dir, "b.csv", "b\n"), 0);
    char p[4200], t[4300];
    snprintf(p, sizeof p, "%s/b.csv", dir);
    assert_int_equal(mmt_temp_path(p, (long)getpid(), t, sizeof t), 0);
    assert_int_equal(unlink(t), 0);
    mmt_diag d = {0};
    assert_int_equal(mmt__wbatch_commit(b, &d), MMT_ENOENT);
    assert_non_null(strstr(d.file, "b.csv"));
    assert_null(slurp(dir, "a.csv"));
    assert_int_equal(count(dir, ".mmtrace-tmp."), 0);
    rm_dir(dir);
}

/* Inode number of dir/name. */
static ino_t inode(const char *dir, const char *name)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    assert_int_equal(stat(p, &st), 0);
    return st.st_ino;
}

/* A file that holds the text already is kept (no temporary, no rename); one that differs is
 * replaced. */
static void test_same_text(void **state)
{
    (void)state;
    char *dir = mkdir_tmp();
    assert_int_equal(put(dir, "same.csv", "x\n"), 0);
    assert_int_equal(put(dir, "diff.csv", "x\n"), 0);
    ino_t same = inode(dir, "same.csv"), diff = inode(dir, "diff.csv");
    mmt__wbatch *b;
    assert_int_equal(mmt__wbatch_begin(&b), 0);
    assert_int_equal(put(dir, "same.csv", "x\n"), 0);
    assert_int_equal(put(dir, "diff.csv", "y\n"), 0);
    assert_int_equal(count(dir, ".mmtrace-tmp."), 1);
    mmt_diag d = {0};
    assert_int_equal(mmt__wbatch_commit(b, &d), 0);
    assert_true(inode(dir, "same.csv") == same);
    assert_true(inode(dir, "diff.csv") != diff);
    expect_text(dir, "diff.csv", "y\n");
    rm_dir(dir);
}

/* A staged output: invisible under its final name until published, then whole and no
 * temporary left; an aborted one leaves the old file and no temporary; a zeroed one or a
 * published one aborts to nothing. */
static void test_staged(void **state)
{
    (void)state;
    char *dir = mkdir_tmp();
    char p[4200];
    snprintf(p, sizeof p, "%s/t.csv", dir);
    assert_int_equal(put(dir, "t.csv", "old\n"), 0);
    mmt__staged s = {0}, z = {0};
    mmt__staged_abort(&z);
    mmt_diag d = {0};
    assert_int_equal(mmt__staged_open(&s, p, 0, &d, "cannot write"), 0);
    assert_int_equal(mmt__write_all(s.fd, "new\n", 4), 0);
    assert_int_equal(mmt__staged_finish(&s, 1, &d, "cannot write"), 0);
    expect_text(dir, "t.csv", "old\n"); /* finished, not published */
    assert_int_equal(count(dir, ".mmtrace-tmp."), 1);
    assert_int_equal(mmt__staged_publish(&s, &d, "cannot write"), 0);
    mmt__staged_abort(&s); /* published: nothing to remove */
    expect_text(dir, "t.csv", "new\n");
    assert_int_equal(count(dir, ".mmtrace-tmp."), 0);
    assert_int_equal(mmt__staged_open(&s, p, 1, &d, "cannot create"), 0);
    fputs("partial", s.f);
    mmt__staged_abort(&s);
    expect_text(dir, "t.csv", "new\n");
    assert_int_equal(count(dir, ".mmtrace-tmp."), 0);
    snprintf(p, sizeof p, "%s/no/such/dir.csv", dir); /* cannot create: the reason, named */
    assert_int_equal(mmt__staged_open(&s, p, 1, &d, "cannot create"), MMT_ENOENT);
    assert_non_null(strstr(d.message, "cannot create: "));
    assert_string_equal(d.file, p);
    mmt__staged_abort(&s);
    rm_dir(dir);
}

/* A helper thread that joined the batch: writes its 50 files into it, then leaves. */
typedef struct joiner {
    mmt__wbatch *b;
    const char *dir;
    int id, r;
} joiner;

static void *join_and_write(void *arg)
{
    joiner *j = arg;
    mmt__wbatch_join(j->b);
    for (int i = 0; i < 50 && j->r == 0; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%d_%d.csv", j->id, i);
        j->r = put(j->dir, name, name);
    }
    j->r |= mmt__wbatch_current() != j->b;
    mmt__wbatch_join(NULL);
    return NULL;
}

/* Threads that join the batch write into it at once: nothing is final before the commit,
 * everything after it, and a thread that left writes immediately again. */
static void test_join(void **state)
{
    (void)state;
    mmt__wbatch *b;
    char *dir = dir_in_batch(&b);
    joiner j[4];
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        j[t] = (joiner){b, dir, t, 0};
        assert_int_equal(pthread_create(&th[t], NULL, join_and_write, &j[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(j[t].r, 0);
    }
    assert_null(slurp(dir, "t3_49.csv"));
    assert_int_equal(count(dir, ".mmtrace-tmp."), 200);
    mmt_diag d = {0};
    assert_int_equal(mmt__wbatch_commit(b, &d), 0);
    assert_int_equal(count(dir, "t"), 200);
    assert_int_equal(count(dir, ".mmtrace-tmp."), 0);
    expect_text(dir, "t2_17.csv", "t2_17.csv");
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_commit_error),
        cmocka_unit_test(test_same_text),
        cmocka_unit_test(test_staged),
        cmocka_unit_test(test_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
