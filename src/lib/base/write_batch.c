/*
 * write_batch.c - staged outputs, and many of them made durable together. A staged output is
 * a temporary beside its final name, synced and then renamed over it: every output of the
 * library (mmt__write_atomic, trace writers, report streams, the replay's staged traces)
 * reaches its final name through mmt__staged_publish or mmt__staged_rename, so the order
 * "on the disk before renamed" is kept in this one file.
 *
 * Batches: outside a batch, mmt__write_file_atomic syncs and renames each file on its own:
 * one fsync, so one journal commit, per file (the study writes about 250 files, and those
 * waits were most of a warm run). While a batch is open on a
 * thread, that thread's mmt__write_file_atomic leaves its temporary unsynced and records it;
 * the commit then starts the writeback of every temporary, waits for each (the first wait
 * commits the journal for all), renames them all into place and syncs each directory once.
 * The guarantees stay those of one atomic write: a reader sees the old file or the whole new
 * one under a final name, never a partial one (a temporary is renamed only once every
 * temporary is on the disk), and after a successful commit every file and name is durable.
 * A failed or aborted batch removes its temporaries and renames nothing. A file that already
 * holds the text to be written (a warm rerun) is not replaced, only synced with the rest:
 * same guarantees, no rename, and its modification time says when its text last changed.
 * Helper threads of the thread that began a batch may join it (mmt__wbatch_join: the study's
 * figure threads): files are added under the batch's lock, and every helper leaves before
 * the owner commits.
 */
#define _GNU_SOURCE /* sync_file_range */
#include "internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mmt__staged_open(mmt__staged *s, const char *path, int stdio, mmt_diag *d, const char *what)
{
    memset(s, 0, sizeof *s);
    s->path = path, s->fd = -1;
    /* Our pid in the name (mmt_temp_path): only one writer per path and process. */
    if (mmt_temp_path(path, (long)getpid(), s->tmp, sizeof s->tmp) != 0) {
        s->tmp[0] = '\0';
        return mmt__diag(d, MMT_EINVAL, path, 0, "path too long");
    }
    s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (s->fd < 0) {
        s->tmp[0] = '\0'; /* not created: nothing of ours to remove */
        return mmt__sys_diag(d, path, 0, "%s", what);
    }
    if (stdio && !(s->f = fdopen(s->fd, "wb"))) {
        int r = mmt__sys_diag(d, path, 0, "%s", what);
        mmt__staged_abort(s);
        return r;
    }
    return 0;
}

int mmt__staged_finish(mmt__staged *s, int sync, mmt_diag *d, const char *what)
{
    int r = 0;
    if (s->f && (ferror(s->f) || fflush(s->f) != 0))
        r = mmt__sys_diag(d, s->path, 0, "%s", what);
    if (r == 0 && sync && fsync(s->fd) != 0) /* on the disk before the rename makes it final */
        r = mmt__sys_diag(d, s->path, 0, "%s", what);
    if ((s->f ? fclose(s->f) : close(s->fd)) != 0 && r == 0)
        r = mmt__sys_diag(d, s->path, 0, "%s", what);
    s->f = NULL, s->fd = -1;
    return r;
}

int mmt__staged_rename(const char *tmp, const char *path)
{
    return rename(tmp, path) != 0 ? -1 : 0;
}

int mmt__staged_publish(mmt__staged *s, mmt_diag *d, const char *what)
{
    if (mmt__staged_rename(s->tmp, s->path) != 0)
        return mmt__sys_diag(d, s->path, 0, "%s", what);
    s->tmp[0] = '\0'; /* in place: not ours to remove any more */
    return 0;
}

void mmt__staged_abort(mmt__staged *s)
{
    if (s->f)
        fclose(s->f);
    else if (s->fd >= 0 && s->tmp[0])
        close(s->fd);
    if (s->tmp[0])
        unlink(s->tmp);
    s->tmp[0] = '\0', s->f = NULL, s->fd = -1;
}

/* One deferred file: its temporary and its final name; tmp NULL: path holds the text already
 * (a rerun writing the same tables), so it is only synced, not replaced. */
typedef struct wb_file {
    char *tmp, *path;
    uint64_t hash; /* of path: most lookups compare this alone */
} wb_file;

struct mmt__wbatch {
    wb_file *f;
    size_t n, cap;
    pthread_mutex_t lock; /* threads that joined the batch add files at once */
};

/* The batch open on this thread (writes on other threads are not deferred). */
static _Thread_local mmt__wbatch *current;

int mmt__wbatch_begin(mmt__wbatch **out)
{
    *out = NULL;
    if (current)
        return MMT_EINVAL; /* one batch at a time per thread */
    mmt__wbatch *b = calloc(1, sizeof *b);
    if (!b)
        return MMT_ENOMEM;
    if (pthread_mutex_init(&b->lock, NULL) != 0) {
        free(b);
        return MMT_ENOMEM;
    }
    current = *out = b;
    return 0;
}

void mmt__wbatch_join(mmt__wbatch *b)
{
    current = b;
}

mmt__wbatch *mmt__wbatch_current(void)
{
    return current;
}

/* FNV-1a hash of the first n bytes of s. */
static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

/* Index of path in the batch, or b->n. */
static size_t find(const mmt__wbatch *b, const char *path)
{
    uint64_t h = hash(path, strlen(path));
    size_t i = 0;
    while (i < b->n && (b->f[i].hash != h || strcmp(b->f[i].path, path)))
        i++;
    return i;
}

/* 1 if the file at path holds exactly text (len bytes). */
static int holds(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return 0;
    int same = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == len;
    char buf[65536];
    for (size_t off = 0; same && off < len;) {
        ssize_t k = read(fd, buf, len - off < sizeof buf ? len - off : sizeof buf);
        same = k > 0 && !memcmp(buf, text + off, (size_t)k);
        off += k > 0 ? (size_t)k : 0;
    }
    close(fd);
    return same;
}

static int add_locked(mmt__wbatch *b, const char *tmp, const char *path);

int mmt__wbatch_same(mmt__wbatch *b, const char *path, const char *text, size_t len)
{
    pthread_mutex_lock(&b->lock);
    int in = find(b, path) < b->n;
    pthread_mutex_unlock(&b->lock);
    if (in || !holds(path, text, len))
        return 0; /* (a temporary of this batch holds newer text, or the file differs) */
    pthread_mutex_lock(&b->lock);
    int r = add_locked(b, NULL, path) == 0;
    pthread_mutex_unlock(&b->lock);
    return r;
}

int mmt__wbatch_add(mmt__wbatch *b, const char *tmp, const char *path)
{
    pthread_mutex_lock(&b->lock);
    int r = add_locked(b, tmp, path);
    pthread_mutex_unlock(&b->lock);
    return r;
}

/* mmt__wbatch_add with the lock held. */
static int add_locked(mmt__wbatch *b, const char *tmp, const char *path)
{
    if (find(b, path) < b->n)
        return 0; /* written again: the same temporary holds the new text */
    if (b->n == b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 256;
        wb_file *nf = realloc(b->f, nc * sizeof *nf);
        if (!nf)
            return MMT_ENOMEM;
        b->f = nf, b->cap = nc;
    }
    wb_file *f = &b->f[b->n];
    f->tmp = tmp ? strdup(tmp) : NULL, f->path = strdup(path), f->hash = hash(path, strlen(path));
    if ((tmp && !f->tmp) || !f->path) {
        free(f->tmp), free(f->path);
        return MMT_ENOMEM;
    }
    b->n++;
    return 0;
}

size_t mmt__wbatch_count(const mmt__wbatch *b)
{
    return b ? b->n : 0;
}

const char *mmt__wbatch_path(const mmt__wbatch *b, size_t i)
{
    return b->f[i].path;
}

/* Closes the batch on this thread and frees it; unlinks the temporaries not renamed yet. */
static void wb_free(mmt__wbatch *b, size_t renamed)
{
    if (current == b)
        current = NULL;
    for (size_t i = 0; b && i < b->n; i++) {
        if (i >= renamed && b->f[i].tmp)
            unlink(b->f[i].tmp);
        free(b->f[i].tmp);
        free(b->f[i].path);
    }
    if (b) {
        free(b->f);
        pthread_mutex_destroy(&b->lock);
    }
    free(b);
}

void mmt__wbatch_abort(mmt__wbatch *b)
{
    wb_free(b, 0);
}

/* The files being synced: fd[i] of b->f[i], and the MMT_E* code of its failure (0: none). */
typedef struct wb_sync {
    int *fd, *err;
} wb_sync;

/* Pool job: waits until file i is on the disk. (mmt__staged_finish's fsync, deferred: the
 * batch's temporaries are closed, so they are synced here through fresh descriptors.) */
static int sync_one(void *ud, size_t i)
{
    wb_sync *w = ud;
    if (fsync(w->fd[i]) == 0)
        return 0;
    w->err[i] = mmt__sys_diag(NULL, NULL, 0, "sync");
    return w->err[i];
}

/* Starts the writeback of every file (no wait), then waits for them on a few threads: the
 * first wait commits the journal for all, and the disk cache flushes that each wait ends with
 * overlap instead of queueing one behind the other. Returns the index of a file that failed
 * (its MMT_E* code in *err), or b->n. */
static size_t sync_all(const mmt__wbatch *b, int *err)
{
    wb_sync w = {calloc(b->n + 1, sizeof *w.fd), calloc(b->n + 1, sizeof *w.err)};
    size_t bad = b->n, opened = 0;
    if (!w.fd || !w.err) {
        free(w.fd), free(w.err);
        *err = MMT_ENOMEM;
        return 0;
    }
    for (; opened < b->n; opened++) {
        const char *name = b->f[opened].tmp ? b->f[opened].tmp : b->f[opened].path;
        if ((w.fd[opened] = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
            bad = opened, *err = mmt__sys_diag(NULL, NULL, 0, "open");
            break;
        }
#ifdef SYNC_FILE_RANGE_WRITE
        (void)sync_file_range(w.fd[opened], 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint */
#endif
    }
    if (bad == b->n && mmt_pool_run(b->n, 8, sync_one, &w, NULL, NULL) != 0)
        for (bad = 0; bad < b->n && !w.err[bad]; bad++) {
        }
    if (bad < b->n && w.err[bad])
        *err = w.err[bad];
    for (size_t i = 0; i < opened; i++)
        close(w.fd[i]);
    free(w.fd), free(w.err);
    return bad;
}

/* Syncs the directory holding path (the renames into it); 0 or an MMT_E* code. */
static int sync_dir_of(const char *path)
{
    char dir[4096];
    const char *s = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", s ? (int)(s - path) + (s == path) : 1, s ? path : ".");
    return mmt__fsync_dir(dir, NULL, dir, "sync");
}

/* Length of the directory part of path ("" for a bare name). */
static size_t dir_len(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? (size_t)(s - path) : 0;
}

/* Syncs each directory the batch renamed into, once (a study writes into a handful). */
static int sync_dirs(const mmt__wbatch *b, mmt_diag *d)
{
    size_t *first = calloc(b->n + 1, sizeof *first), ns = 0; /* a file of each dir synced */
    if (!first)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    int r = 0, e;
    for (size_t i = 0; r == 0 && i < b->n; i++) {
        const char *p = b->f[i].path;
        size_t n = dir_len(p), k = 0;
        while (k < ns &&
               !(dir_len(b->f[first[k]].path) == n && !strncmp(b->f[first[k]].path, p, n)))
            k++;
        if (k < ns)
            continue;
        first[ns++] = i;
        if ((e = sync_dir_of(p)) != 0)
            r = mmt__diag(d, e, p, 0, "cannot sync its directory: %s", mmt_strerror(e));
    }
    free(first);
    return r;
}

int mmt__wbatch_commit(mmt__wbatch *b, mmt_diag *d)
{
    if (!b)
        return 0;
    if (current == b)
        current = NULL; /* nothing more joins it */
    int e = 0;
    size_t bad = sync_all(b, &e), done = 0;
    if (bad < b->n) {
        mmt__diag(d, e, b->f[bad].path, 0, "cannot write: %s", mmt_strerror(e));
        wb_free(b, 0);
        return e;
    }
    for (; done < b->n; done++)
        if (b->f[done].tmp && (mmt__test_kill_point(), 1) &&
            mmt__staged_rename(b->f[done].tmp, b->f[done].path) != 0) {
            int r = mmt__sys_diag(d, b->f[done].path, 0, "cannot write");
            wb_free(b, done);
            return r;
        }
    int r = sync_dirs(b, d);
    wb_free(b, b->n);
    return r;
}
