/*
 * rundir.c - the run directory: creating it, locking it against a second run, removing what
 * a killed run left, the incomplete marker of crash consistency (README "Limits and
 * failures"), and atomic copies of the inputs. Used by both programs and the replay engine.
 */
#include "internal.h"
#include "replay_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int mmt_mkdirs(const char *path, mmt_diag *d)
{
    char buf[4096];
    size_t n = strlen(path);
    int r = n == 0 || n >= sizeof buf ? MMT_ENAMETOOLONG : 0;
    if (r == 0)
        memcpy(buf, path, n + 1);
    for (char *p = buf + 1; r == 0 && *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        r = mmt__mkdir(buf, NULL); /* an existing one is fine */
        *p = '/';
    }
    struct stat st;
    if (r == 0 && (r = mmt__mkdir(buf, NULL)) == 0 && stat(buf, &st) != 0)
        r = mmt__sys_diag(NULL, path, 0, "cannot create directory");
    if (r == 0 && !S_ISDIR(st.st_mode))
        r = MMT_ENOTDIR;
    return r ? mmt__diag(d, r, path, 0, "cannot create directory: %s", mmt_strerror(r)) : 0;
}

int mmt__fsync_dir(const char *dir, mmt_diag *d, const char *file, const char *what)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return mmt__sys_diag(d, file, 0, "%s", what);
    int r = fsync(fd) != 0 ? mmt__sys_diag(d, file, 0, "%s", what) : 0;
    close(fd); /* a read-only descriptor: nothing to fail, the reason stays the fsync's */
    return r;
}

int mmt_fsync_dir(const char *dir)
{
    return mmt__fsync_dir(dir, NULL, dir, "cannot flush to the disk");
}

/* Reads all of src (an input the readers have accepted: at most MMT_MAX_INPUT_BYTES). */
static int read_all(const char *src, char **text, size_t *len, mmt_diag *d)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return mmt__sys_diag(d, src, 0, "cannot open");
    size_t cap = 65536, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, in)) > 0) {
        n += got;
        char *nb = n == cap && cap <= MMT_MAX_INPUT_BYTES ? realloc(buf, cap *= 2) : buf;
        if (!nb)
            free(buf);
        buf = nb;
    }
    int r = ferror(in) ? mmt__sys_diag(d, src, 0, "cannot read") : 0;
    fclose(in);
    if (r == 0 && (!buf || n > MMT_MAX_INPUT_BYTES)) {
        r = !buf ? MMT_ENOMEM : MMT_EFBIG;
        mmt__diag(d, r, src, 0, "cannot read: %s", mmt_strerror(r));
    }
    if (r) {
        free(buf);
        return r;
    }
    *text = buf, *len = n;
    return 0;
}

int mmt_copy_file(const char *src, const char *dst, mmt_diag *d)
{
    char *text = NULL;
    size_t len = 0;
    int r = read_all(src, &text, &len, d);
    if (r == 0) {
        r = mmt__write_file_atomic(dst, text, len, d);
        free(text);
    }
    return r;
}

int mmt_rundir_lock(const char *dir, mmt_diag *d)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.mmtrace.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return mmt__sys_diag(d, path, 0, "cannot create the lock file");
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int r = mmt__sys_diag(d, path, 0, "cannot lock");
        close(fd);
        if (r == MMT_EAGAIN) /* EWOULDBLOCK */
            mmt__diag(d, r, dir, 0,
                      "another mmtrace run is writing this directory (.mmtrace.lock is "
                      "locked); wait for it to finish or use another run_name or -p");
        return r;
    }
    return 0; /* fd stays open: the lock lasts until exit */
}

/* Whether process pid is gone (or is this one, which has made no temporary yet). kill(pid, 0)
 * fails with ESRCH (no code of its own: MMT_EIO) for a dead process and EPERM for a live one
 * of another user. */
static int pid_dead(long pid)
{
    if (pid == (long)getpid())
        return 1;
    return kill((pid_t)pid, 0) != 0 && mmt__sys_diag(NULL, NULL, 0, "kill") != MMT_EPERM;
}

/* Whether name is "layer" followed by digits only: a layer folder of the run. */
static int is_layer_dir(const char *name)
{
    return !strncmp(name, "layer", 5) && name[5] &&
           strspn(name + 5, "0123456789") == strlen(name + 5);
}

/* Removes our temporaries of dead processes directly in dir; recurses once into layer<N>/. */
static void clean_dir(const char *dir, int depth)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(dp)) != NULL) {
        long pid = mmt_temp_pid(e->d_name);
        if (!pid && !(depth == 0 && is_layer_dir(e->d_name)))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (pid && S_ISREG(st.st_mode) && pid_dead(pid))
            unlink(path);
        else if (!pid && S_ISDIR(st.st_mode))
            clean_dir(path, 1);
    }
    closedir(dp);
}

void mmt_rundir_clean_stale(const char *dir)
{
    clean_dir(dir, 0);
}

/* The marker file's name and the word each kind of run writes into it. */
static const char *const marker_name = ".mmtrace-incomplete";
static const char *const kind_word[3] = {"fused", "replay", "gen"};
static const char *const kind_prog[3] = {"mmtrace-replay --no-traces", "mmtrace-replay",
                                         "mmtrace-gen"};

int mmt_rundir_check_complete(const char *rundir, int kind, mmt_diag *d)
{
    char path[4200], word[16] = "";
    snprintf(path, sizeof path, "%s/%s", rundir, marker_name);
    FILE *f = fopen(path, "rb");
    mmt_diag why = {0};
    if (!f) {
        int r = mmt__sys_diag(&why, path, 0, "cannot open");
        if (r != MMT_ENOENT && d)
            *d = why;
        return r == MMT_ENOENT ? 0 : r;
    }
    size_t n = fread(word, 1, sizeof word - 1, f);
    fclose(f);
    word[n] = '\0';
    word[strcspn(word, "\n")] = '\0';
    int had = 2; /* an unknown word: as if mmtrace-gen wrote it */
    for (int k = 0; k < 3; k++)
        if (!strcmp(word, kind_word[k]))
            had = k;
    if (kind >= 0 && kind >= had)
        return 0; /* this run rewrites all that the interrupted one was writing */
    return mmt__diag(d, MMT_EINVAL, rundir, 0,
                     "incomplete: an interrupted %s run left old and new files mixed here (%s); "
                     "rerun %s",
                     kind_prog[had], marker_name, kind_prog[had]);
}

int mmt_rundir_mark_incomplete(const char *rundir, mmt_run_kind kind, mmt_diag *d)
{
    char path[4200], text[16];
    snprintf(path, sizeof path, "%s/%s", rundir, marker_name);
    int n = snprintf(text, sizeof text, "%s\n", kind_word[kind]);
    int r = mmt__write_file_atomic(path, text, (size_t)n, d);
    return r ? r : mmt__fsync_dir(rundir, d, path, "cannot write");
}

int mmt_rundir_mark_complete(const char *rundir, mmt_diag *d)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", rundir, marker_name);
    int r = mmt__fsync_dir(rundir, d, path, "cannot remove");
    if (r == 0 && unlink(path) != 0) {
        mmt_diag why = {0};
        if ((r = mmt__sys_diag(&why, path, 0, "cannot remove")) == MMT_ENOENT)
            r = 0; /* already gone */
        else if (d)
            *d = why;
    }
    return r ? r : mmt__fsync_dir(rundir, d, path, "cannot remove");
}

void mmt__test_kill_point(void)
{
    static long count;
    const char *s = getenv("MMTRACE_TEST_KILL_AFTER");
    if (s && *s && ++count == atol(s))
        raise(SIGKILL);
}
