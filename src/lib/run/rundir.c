/*
 * rundir.c - the run directory: creating it, locking it against a second run, removing what
 * a killed run left, the incomplete marker of crash consistency (README "Limits and
 * failures"), and atomic copies of the inputs. Used by both programs and the replay engine.
 */
#include "internal.h"
#include "replay_internal.h"

#include <dirent.h>
#include <errno.h>
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
    int bad = 0;
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        bad = 1;
    } else {
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p && !bad; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            bad = mkdir(buf, 0777) != 0 && errno != EEXIST;
            *p = '/';
        }
        struct stat st;
        bad = bad || (mkdir(buf, 0777) != 0 && errno != EEXIST) || stat(buf, &st) != 0;
        if (!bad && !S_ISDIR(st.st_mode))
            errno = ENOTDIR, bad = 1;
    }
    if (!bad)
        return 0;
    int e = errno;
    mmt__diag(d, MMT_EIO, path, 0, "cannot create directory: %s", strerror(e));
    errno = e;
    return MMT_EIO;
}

int mmt_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return MMT_EIO;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r ? MMT_EIO : 0;
}

/* Reads all of src (an input the readers have accepted: at most MMT_MAX_INPUT_BYTES). */
static int read_all(const char *src, char **text, size_t *len, mmt_diag *d)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return mmt__diag(d, MMT_EIO, src, 0, "cannot open: %s", strerror(errno));
    size_t cap = 65536, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, in)) > 0) {
        n += got;
        char *nb = n == cap && cap <= MMT_MAX_INPUT_BYTES ? realloc(buf, cap *= 2) : buf;
        if (!nb)
            free(buf);
        buf = nb;
    }
    int e = ferror(in) ? errno : 0;
    fclose(in);
    if (!buf || e || n > MMT_MAX_INPUT_BYTES) {
        free(buf);
        return !buf ? mmt__diag(d, MMT_ENOMEM, src, 0, "cannot read: %s", strerror(ENOMEM))
                    : mmt__diag(d, MMT_EIO, src, 0, "cannot read: %s", strerror(e ? e : EFBIG));
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
        return mmt__diag(d, MMT_EIO, path, 0, "cannot create the lock file: %s", strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return mmt__diag(d, MMT_EIO, dir, 0,
                             "another mmtrace run is writing this directory (.mmtrace.lock is "
                             "locked); wait for it to finish or use another run_name or -p");
        return mmt__diag(d, MMT_EIO, path, 0, "cannot lock: %s", strerror(e));
    }
    return 0; /* fd stays open: the lock lasts until exit */
}

/* Whether process pid is gone (or is this one, which has made no temporary yet). */
static int pid_dead(long pid)
{
    if (pid == (long)getpid())
        return 1;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
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
    if (!f)
        return errno == ENOENT ? 0
                               : mmt__diag(d, MMT_EIO, path, 0, "cannot open: %s", strerror(errno));
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
    if (r == 0 && mmt_fsync_dir(rundir) != 0)
        r = mmt__diag(d, MMT_EIO, path, 0, "cannot write: %s", strerror(errno));
    return r;
}

int mmt_rundir_mark_complete(const char *rundir, mmt_diag *d)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", rundir, marker_name);
    if (mmt_fsync_dir(rundir) != 0 || (unlink(path) != 0 && errno != ENOENT) ||
        mmt_fsync_dir(rundir) != 0)
        return mmt__diag(d, MMT_EIO, path, 0, "cannot remove: %s", strerror(errno));
    return 0;
}

void mmt__test_kill_point(void)
{
    static long count;
    const char *s = getenv("MMTRACE_TEST_KILL_AFTER");
    if (s && *s && ++count == atol(s))
        raise(SIGKILL);
}
