/*
 * trace_writer.c - gzip trace writer: fast decimal formatting into a text buffer that zlib
 * compresses in large blocks. Once a file outgrows one buffer, a compressor thread takes each
 * full buffer while the caller formats the next (two buffers, handed over under a mutex), so
 * formatting and deflate overlap. The file is a staged output (mmt__staged: a temporary in the
 * target directory) published only by a successful close, so a killed run never leaves a
 * truncated trace under its final name.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define TEXT_CAP (1u << 20) /* text handed to deflate at a time */
#define OUT_CAP (1u << 18)

struct mmt_tracew {
    char *path;
    mmt__staged file; /* the temporary being written, published by close */
    z_stream z;
    char *text;
    size_t len, cap; /* text buffer being filled; cap leaves room for one maximal row */
    unsigned char *out;
    uint64_t bytes;
    /* The compressor thread (started when the first buffer fills) and its buffer. */
    mmt__worker wk;
    int busy, quit; /* busy: ztext holds zlen bytes to compress */
    int err;        /* the writer's first failure (either thread), latched */
    mmt_diag diag;  /* its reason, given to the caller by mmt_tracew_close */
    char *ztext;
    size_t zlen, zcap;
};

static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                              "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                              "8081828384858687888990919293949596979899";

size_t mmt_fmt_i64(char *buf, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        unsigned i = (unsigned)(u % 100) * 2;
        u /= 100;
        *--p = digits2[i + 1];
        *--p = digits2[i];
    }
    if (u >= 10) {
        *--p = digits2[u * 2 + 1];
        *--p = digits2[u * 2];
    } else {
        *--p = (char)('0' + u);
    }
    if (v < 0)
        *--p = '-';
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(buf, p, n);
    return n;
}

/* Latches the first failure r of the writer with its reason d (under the mutex once the
 * compressor runs); returns r. */
static int latch(mmt_tracew *w, int r, const mmt_diag *d)
{
    if (r && !w->err) {
        w->err = r;
        w->diag = *d;
    }
    return r;
}

/* Compresses n bytes of text; flush is Z_NO_FLUSH or Z_FINISH. Only one thread at a time
 * touches the z_stream (the hand-over in pump orders them). A failure fills d. */
static int deflate_text(mmt_tracew *w, const char *text, size_t n, int flush, mmt_diag *d)
{
    w->z.next_in = (unsigned char *)text;
    w->z.avail_in = (uInt)n;
    int zr;
    do {
        w->z.next_out = w->out;
        w->z.avail_out = OUT_CAP;
        zr = deflate(&w->z, flush);
        if (zr == Z_STREAM_ERROR)
            return mmt__diag(d, MMT_EZLIB, w->path, 0, "cannot write trace: %s",
                             mmt_strerror(MMT_EZLIB));
        if (mmt__write_all(w->file.fd, w->out, OUT_CAP - w->z.avail_out) != 0)
            return mmt__sys_diag(d, w->path, 0, "cannot write trace");
    } while (w->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return 0;
}

/* Compressor thread: compresses each buffer handed over until told to quit. */
static void *compressor(void *arg)
{
    mmt_tracew *w = arg;
    pthread_mutex_lock(&w->wk.m);
    for (;;) {
        while (!w->busy && !w->quit)
            pthread_cond_wait(&w->wk.c, &w->wk.m);
        if (!w->busy)
            break;
        pthread_mutex_unlock(&w->wk.m);
        mmt_diag d;
        int r = w->err ? 0 : deflate_text(w, w->ztext, w->zlen, Z_NO_FLUSH, &d);
        pthread_mutex_lock(&w->wk.m);
        latch(w, r, &d);
        w->busy = 0;
        pthread_cond_broadcast(&w->wk.c);
    }
    pthread_mutex_unlock(&w->wk.m);
    return NULL;
}

/* Waits until the compressor is idle; returns the writer's first error. */
static int wait_idle(mmt_tracew *w)
{
    pthread_mutex_lock(&w->wk.m);
    while (w->busy)
        pthread_cond_wait(&w->wk.c, &w->wk.m);
    int r = w->err;
    pthread_mutex_unlock(&w->wk.m);
    return r;
}

/* Latches an allocation failure of the caller's thread (under the mutex: the compressor may
 * be busy with the other buffer). */
static int latch_nomem(mmt_tracew *w)
{
    mmt_diag d;
    mmt__diag(&d, MMT_ENOMEM, w->path, 0, "cannot write trace: %s", mmt_strerror(MMT_ENOMEM));
    pthread_mutex_lock(&w->wk.m);
    latch(w, MMT_ENOMEM, &d);
    pthread_mutex_unlock(&w->wk.m);
    return MMT_ENOMEM;
}

/* Hands the filled text buffer to the compressor (started on first use) and continues in
 * the other buffer. */
static int pump(mmt_tracew *w)
{
    if (!w->wk.started) {
        if (!w->ztext && !(w->ztext = malloc(w->cap)))
            return latch_nomem(w);
        w->zcap = w->cap;
        if (mmt__worker_start(&w->wk, compressor, w) != 0)
            return latch_nomem(w);
    }
    int r = wait_idle(w);
    if (r)
        return r;
    pthread_mutex_lock(&w->wk.m);
    char *t = w->ztext;
    size_t tcap = w->zcap;
    w->ztext = w->text, w->zcap = w->cap, w->zlen = w->len;
    w->text = t, w->cap = tcap, w->len = 0;
    w->busy = 1;
    pthread_cond_broadcast(&w->wk.c);
    pthread_mutex_unlock(&w->wk.m);
    return 0;
}

/* Stops the compressor thread after its last buffer; returns its first error. */
static int stop_compressor(mmt_tracew *w)
{
    if (!w->wk.started)
        return 0;
    int r = wait_idle(w);
    mmt__worker_stop(&w->wk, &w->quit);
    return r;
}

int mmt_tracew_open(const char *path, int level, mmt_tracew **out, mmt_diag *diag)
{
    if (level < 0 || level > 9)
        return mmt__diag(diag, MMT_EINVAL, path, 0, "gzip level %d is not 0 to 9", level);
    mmt_tracew *w = calloc(1, sizeof *w);
    if (!w)
        return mmt__diag(diag, MMT_ENOMEM, path, 0, "cannot write trace: out of memory");
    mmt__worker_init(&w->wk);
    w->path = strdup(path);
    w->text = malloc(TEXT_CAP);
    w->out = malloc(OUT_CAP);
    w->cap = TEXT_CAP;
    if (!w->path || !w->text || !w->out) {
        mmt_tracew_abort(w);
        return mmt__diag(diag, MMT_ENOMEM, path, 0, "cannot write trace: out of memory");
    }
    int r = mmt__staged_open(&w->file, w->path, 0, diag, "cannot write trace");
    if (r) {
        mmt_tracew_abort(w);
        return r;
    }
    /* windowBits 15 + 16: gzip wrapper; memLevel 8 as gzip uses. */
    if (deflateInit2(&w->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        w->z.state = NULL;
        mmt_tracew_abort(w);
        return mmt__diag(diag, MMT_EZLIB, path, 0, "cannot write trace: %s",
                         mmt_strerror(MMT_EZLIB));
    }
    *out = w;
    return 0;
}

/* Makes room for need more bytes of text, compressing what is buffered. */
static int reserve(mmt_tracew *w, size_t need)
{
    if (w->len + need <= w->cap)
        return 0;
    int r = pump(w);
    if (r)
        return r;
    if (need > w->cap) {
        char *t = realloc(w->text, need);
        if (!t)
            return latch_nomem(w);
        w->text = t;
        w->cap = need;
    }
    return 0;
}

/* Appends k copies of ",-1" (idle slots) to p. */
static char *idle_run(char *p, int64_t k)
{
    static const char idle[] = ",-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1"
                               ",-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1,-1";
    for (; k >= 32; k -= 32, p += 96)
        memcpy(p, idle, 96);
    memcpy(p, idle, (size_t)k * 3);
    return p + k * 3;
}

int mmt_tracew_row_range(mmt_tracew *w, int64_t cycle, const int64_t *vals, int64_t n,
                         int64_t lo, int64_t hi)
{
    int r = reserve(w, (size_t)(n + 1) * 21 + 96);
    if (r)
        return r;
    char *p = w->text + w->len, *start = p;
    p += mmt_fmt_i64(p, cycle);
    p = idle_run(p, lo);
    for (int64_t i = lo; i < hi; i++) {
        if (vals[i] == -1) {
            memcpy(p, ",-1", 3);
            p += 3;
        } else {
            *p++ = ',';
            p += mmt_fmt_i64(p, vals[i]);
        }
    }
    p = idle_run(p, n - hi);
    *p++ = '\n';
    w->len += (size_t)(p - start);
    w->bytes += (uint64_t)(p - start);
    return 0;
}

int mmt_tracew_row(mmt_tracew *w, int64_t cycle, const int64_t *vals, int64_t n)
{
    return mmt_tracew_row_range(w, cycle, vals, n, 0, n);
}

int mmt_tracew_write(mmt_tracew *w, const char *text, size_t len)
{
    while (len) {
        size_t room = w->cap - w->len;
        if (room == 0) {
            int r = pump(w);
            if (r)
                return r;
            continue;
        }
        size_t n = len < room ? len : room;
        memcpy(w->text + w->len, text, n);
        w->len += n;
        w->bytes += n;
        text += n;
        len -= n;
    }
    return 0;
}

int mmt_tracew_close(mmt_tracew *w, mmt_diag *diag)
{
    mmt_diag d;
    int r = stop_compressor(w);
    if (r == 0)
        r = deflate_text(w, w->text, w->len, Z_FINISH, &d);
    if (r == 0)
        r = mmt__staged_finish(&w->file, 1, &d, "cannot write trace");
    if (r == 0)
        r = mmt__staged_publish(&w->file, &d, "cannot write trace");
    latch(w, r, &d);
    if (r && diag)
        *diag = w->diag;
    mmt_tracew_abort(w);
    return r;
}

void mmt_tracew_abort(mmt_tracew *w)
{
    if (!w)
        return;
    stop_compressor(w);
    mmt__worker_destroy(&w->wk);
    mmt__staged_abort(&w->file);
    if (w->z.state)
        deflateEnd(&w->z);
    free(w->path);
    free(w->text);
    free(w->ztext);
    free(w->out);
    free(w);
}

int mmt__tracew_err(mmt_tracew *w)
{
    pthread_mutex_lock(&w->wk.m);
    int r = w->err;
    pthread_mutex_unlock(&w->wk.m);
    return r;
}

uint64_t mmt_tracew_bytes(const mmt_tracew *w)
{
    return w->bytes;
}
