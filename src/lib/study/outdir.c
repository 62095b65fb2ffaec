/*
 * outdir.c - the study directory as one consistent result (doc/study.md "The study
 * directory"), what replay run directories have (run/rundir.c) and a manifest:
 *
 *  * a lock, DIR/.mmtrace-study.lock (flock, held until the run ends): a second study into
 *    the same directory fails at once instead of mixing its tables and figures with the first;
 *  * the incomplete marker, DIR/.mmtrace-incomplete holding "study", written and synced before
 *    the first output is renamed into place and removed (synced) once every output is in
 *    place, the manifest written and the files of the earlier study removed: a kill between
 *    two renames leaves it, and readers (--fractions) refuse such a directory;
 *  * the manifest, DIR/.mmtrace-study-files: the files the study wrote, one path relative to
 *    DIR per line. A rerun removes the files the previous manifest lists that it does not
 *    write itself (fewer models or hardware points), and nothing else: a file the program did
 *    not write is never in a manifest. While the outputs are renamed, the manifest lists the
 *    old files and the new ones, so a run killed then leaves nothing a later run cannot find.
 *
 * Everything is written under temporary names and synced before the rename (mmt__staged);
 * the temporaries of killed runs (mmt_temp_path names of dead processes) are removed at the
 * start, under the lock.
 */
#include "study_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char lock_name[] = ".mmtrace-study.lock";
static const char marker_name[] = ".mmtrace-incomplete"; /* the replay's marker's name */
static const char list_name[] = ".mmtrace-study-files";
/* The folders of a study directory that hold its files (traces/ has deeper ones). */
static const char *const subdirs[] = {"", "hw", "topologies", "figures"};

/* Whether a manifest line is a path this module could have written: relative, no "." or
 * ".." component, no empty component, printable ASCII without '\\' (names are safe forms,
 * mmt__safe_name). Anything else is ignored, never removed. */
static int path_ok(const char *p)
{
    if (!*p || *p == '/')
        return 0;
    for (const char *s = p; *s; s++)
        if (*s < 0x21 || *s > 0x7e || *s == '\\')
            return 0;
    for (const char *c = p; c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        c = e ? e + 1 : NULL;
    }
    return 1;
}

/* Appends a copy of s to the list (MMT_ENOMEM). */
static int list_add(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return MMT_ENOMEM;
    *v = nv;
    if (!(nv[*n] = strdup(s)))
        return MMT_ENOMEM;
    ++*n;
    return 0;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts a list and drops repeats. */
static void list_uniq(char **v, size_t *n)
{
    qsort(v, *n, sizeof *v, by_str);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (k && !strcmp(v[k - 1], v[i]))
            free(v[i]);
        else
            v[k++] = v[i];
    *n = k;
}

/* Whether the sorted list holds s. */
static int list_has(char *const *v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, by_str) != NULL;
}

static void list_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* 1 if path is a regular file holding exactly text (len bytes). */
static int holds(const char *path, const char *text, size_t len)
{
    char *t = NULL;
    size_t n = 0;
    int same = mmt__slurp(path, &t, &n, NULL) == 0 && n == len && !memcmp(t, text, len);
    free(t);
    return same;
}

/* Writes text to dir/name now (not through an open write batch), synced, then the directory.
 * A file that holds the text already (written and synced so by an earlier run: a warm
 * rerun's manifest) is kept as it is. */
static int write_now(const char *dir, const char *name, const char *text, size_t len, mmt_diag *d)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (holds(path, text, len))
        return 0;
    mmt__staged s;
    int r = mmt__staged_open(&s, path, 0, d, "cannot create");
    if (r == 0 && mmt__write_all(s.fd, text, len) != 0)
        r = mmt__sys_diag(d, path, 0, "cannot write");
    if (r == 0)
        r = mmt__staged_finish(&s, 1, d, "cannot write");
    if (r == 0)
        r = mmt__staged_publish(&s, d, "cannot write");
    mmt__staged_abort(&s);
    return r ? r : mmt__fsync_dir(dir, d, path, "cannot write");
}

/* Whether process pid is gone (ours counts as gone: it has no temporary yet). */
static int pid_dead(long pid)
{
    if (pid == (long)getpid())
        return 1;
    return kill((pid_t)pid, 0) != 0 && mmt__sys_diag(NULL, NULL, 0, "kill") != MMT_EPERM;
}

/* Removes the temporaries (mmt_temp_path names) of dead processes in the study's folders. */
static void clean_stale(const char *dir)
{
    char sub[4200], path[4600];
    for (size_t k = 0; k < sizeof subdirs / sizeof *subdirs; k++) {
        snprintf(sub, sizeof sub, "%s%s%s", dir, *subdirs[k] ? "/" : "", subdirs[k]);
        DIR *dp = opendir(sub);
        struct dirent *e;
        while (dp && (e = readdir(dp)) != NULL) {
            long pid = mmt_temp_pid(e->d_name);
            struct stat sb;
            snprintf(path, sizeof path, "%s/%s", sub, e->d_name);
            if (pid && pid_dead(pid) && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
                unlink(path);
        }
        if (dp)
            closedir(dp);
    }
}

/* Reads the previous study's manifest into o->old (absent: empty). */
static int read_list(mmt__outdir *o, mmt_diag *d)
{
    char path[4200], *t = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", o->dir, list_name);
    if (access(path, F_OK) != 0)
        return 0;
    mmt_diag why = {0};
    if (mmt__slurp(path, &t, &len, &why) != 0)
        return 0; /* unreadable (or not a file): nothing is removed on its word */
    int r = 0;
    for (char *p = t, *e; r == 0 && p < t + len; p = e + 1) {
        e = memchr(p, '\n', (size_t)(t + len - p));
        if (!e)
            break; /* a last line without its end: cut short, not ours */
        *e = '\0';
        if (path_ok(p))
            r = list_add(&o->old, &o->nold, p);
    }
    free(t);
    if (r)
        return mmt__diag(d, r, path, 0, "out of memory");
    list_uniq(o->old, &o->nold);
    return 0;
}

int mmt__outdir_open(mmt__outdir *o, const char *dir, mmt_diag *d)
{
    memset(o, 0, sizeof *o);
    o->lock_fd = -1;
    o->dir = dir;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, lock_name);
    o->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (o->lock_fd < 0)
        return mmt__sys_diag(d, path, 0, "cannot create the lock file");
    if (flock(o->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int r = mmt__sys_diag(d, path, 0, "cannot lock");
        if (r == MMT_EAGAIN)
            mmt__diag(d, r, dir, 0,
                      "another study is writing this directory (%s is locked); wait for it to "
                      "finish or give another --study directory",
                      lock_name);
        return r;
    }
    clean_stale(dir);
    snprintf(path, sizeof path, "%s/%s", dir, marker_name);
    struct stat sb;
    o->was_marked = lstat(path, &sb) == 0;
    int r = read_list(o, d);
    static const char word[] = "study\n";
    return r ? r : write_now(dir, marker_name, word, sizeof word - 1, d);
}

int mmt__outdir_note(mmt__outdir *o, const char *path)
{
    return list_add(&o->extra, &o->nextra, path);
}

/* The lines of a manifest: every path of v (n of them), each with its newline. */
static char *list_text(char *const *v, size_t n, size_t *len)
{
    mmt__buf b = {0};
    for (size_t i = 0; i < n; i++)
        mmt__buf_printf(&b, "%s\n", v[i]);
    if (b.bad || !b.p) {
        free(b.p);
        *len = 0;
        return b.bad ? NULL : strdup("");
    }
    *len = b.n;
    return b.p;
}

/* Removes dir/rel (a regular file only: a directory or link by that name is not ours), then
 * its folders below DIR's own folders while they are empty (traces/<hw>/<workload>/layerN). */
static void remove_old(const char *dir, const char *rel)
{
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || unlink(path) != 0)
        return;
    size_t keep = strlen(dir) + 1 + strcspn(rel, "/"); /* DIR/<top folder> stays */
    char *s = strrchr(path, '/');
    for (; s && (size_t)(s - path) > keep; s = strrchr(path, '/')) {
        *s = '\0';
        if (rmdir(path) != 0)
            break;
    }
    if (s) { /* the removal made durable before the marker goes (else a file could return) */
        *s = '\0';
        mmt_fsync_dir(path);
    }
}

/* The new files, relative to DIR: the batch's and those noted. */
static int new_list(mmt__outdir *o, const mmt__wbatch *b, char ***v, size_t *n)
{
    size_t dl = strlen(o->dir);
    int r = 0;
    for (size_t i = 0; r == 0 && i < mmt__wbatch_count(b) + o->nextra; i++) {
        size_t nb = mmt__wbatch_count(b);
        const char *p = i < nb ? mmt__wbatch_path(b, i) : o->extra[i - nb];
        if (!strncmp(p, o->dir, dl) && p[dl] == '/' && path_ok(p + dl + 1))
            r = list_add(v, n, p + dl + 1);
    }
    if (r == 0)
        list_uniq(*v, n);
    return r;
}

int mmt__outdir_commit(mmt__outdir *o, mmt__wbatch *b, mmt_diag *d)
{
    char **nv = NULL, **both = NULL, *text = NULL;
    size_t nn = 0, nboth = 0, len = 0;
    int r = new_list(o, b, &nv, &nn);
    for (size_t i = 0; r == 0 && i < nn + o->nold; i++)
        r = list_add(&both, &nboth, i < nn ? nv[i] : o->old[i - nn]);
    if (r == 0) {
        list_uniq(both, &nboth);
        r = (text = list_text(both, nboth, &len)) ? 0 : MMT_ENOMEM;
    }
    if (r)
        r = mmt__diag(d, r, o->dir, 0, "out of memory");
    o->was_marked = 1; /* from here on a failure leaves the marker */
    if (r == 0)        /* old and new: a kill during the renames leaves every file findable */
        r = write_now(o->dir, list_name, text, len, d);
    free(text);
    text = NULL;
    if (r == 0)
        r = mmt__wbatch_commit(b, d);
    else
        mmt__wbatch_abort(b);
    for (size_t i = 0; r == 0 && i < o->nold; i++)
        if (!list_has(nv, nn, o->old[i]))
            remove_old(o->dir, o->old[i]);
    if (r == 0 && !(text = list_text(nv, nn, &len)))
        r = mmt__diag(d, MMT_ENOMEM, o->dir, 0, "out of memory");
    if (r == 0)
        r = write_now(o->dir, list_name, text, len, d);
    if (r == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", o->dir, marker_name);
        mmt_diag why = {0};
        int e = unlink(path) != 0 ? mmt__sys_diag(&why, path, 0, "cannot remove") : 0;
        if (e && e != MMT_ENOENT) {
            if (d)
                *d = why;
            r = e;
        } else {
            r = mmt__fsync_dir(o->dir, d, path, "cannot remove");
        }
    }
    free(text);
    list_free(nv, nn);
    list_free(both, nboth);
    return r;
}

void mmt__outdir_abort(mmt__outdir *o)
{
    if (o->lock_fd < 0 || o->was_marked || o->nextra)
        return; /* an earlier kill's mix, or files published already: the marker stays */
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", o->dir, marker_name);
    if (unlink(path) == 0)
        mmt_fsync_dir(o->dir);
}

void mmt__outdir_close(mmt__outdir *o)
{
    if (o->lock_fd >= 0)
        close(o->lock_fd); /* the lock ends with it */
    list_free(o->old, o->nold);
    list_free(o->extra, o->nextra);
    memset(o, 0, sizeof *o);
    o->lock_fd = -1;
}

int mmt_study_dir_check(const char *dir, mmt_diag *d)
{
    char path[4200];
    struct stat sb;
    if (snprintf(path, sizeof path, "%s/%s", dir, marker_name) >= (int)sizeof path)
        return mmt__diag(d, MMT_EINVAL, dir, 0, "path too long");
    if (lstat(path, &sb) != 0)
        return 0;
    return mmt__diag(d, MMT_EINVAL, dir, 0,
                     "incomplete: an interrupted run left old and new files mixed here (%s); "
                     "rerun it",
                     marker_name);
}
