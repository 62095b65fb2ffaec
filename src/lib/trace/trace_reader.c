/*
 * trace_reader.c - trace reader: zlib's gzread (which passes plain files through unchanged) into a
 * large line buffer, and a hand-written parser for SCALE-Sim's %i SRAM trace rows. The buffer
 * grows to hold the longest line, so memory is bounded by one line plus the read block.
 */
#include "internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define READ_BLOCK (1u << 17) /* bytes asked of gzread at a time */

struct mmt_tracer {
    gzFile gz;
    char *path;
    char *buf;
    size_t cap, pos, end; /* unread text is buf[pos, end) */
    int eof;              /* gzread has returned 0 */
    int gzip;             /* -1 until known */
    int64_t lineno;
    int64_t lo, hi; /* accepted address range, [INT64_MIN, INT64_MAX) by default */
    size_t maxline; /* longest line accepted, without its '\n'; 0: no limit */
    const char *what;
};

int mmt_tracer_open(const char *path, mmt_tracer **out, mmt_diag *diag)
{
    *out = NULL;
    mmt_tracer *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(path)) || !(t->buf = malloc(2 * READ_BLOCK))) {
        mmt_tracer_close(t, NULL);
        return mmt__diag(diag, MMT_ENOMEM, path, 0, "out of memory");
    }
    t->cap = 2 * READ_BLOCK;
    t->gzip = -1;
    t->lo = INT64_MIN;
    t->hi = INT64_MAX;
    int fd = mmt__open_regular(path, diag); /* a FIFO would block, /dev/zero never end */
    if (fd < 0) {
        mmt_tracer_close(t, NULL);
        return fd;
    }
    t->gz = gzdopen(fd, "rb");
    if (!t->gz) { /* with a valid descriptor and mode, only an allocation fails */
        close(fd);
        mmt_tracer_close(t, NULL);
        return mmt__diag(diag, MMT_ENOMEM, path, 0, "cannot open: out of memory");
    }
    gzbuffer(t->gz, 64u << 10);
    *out = t;
    return 0;
}

void mmt_tracer_set_max_line(mmt_tracer *t, size_t bytes)
{
    t->maxline = bytes;
}

void mmt_tracer_set_range(mmt_tracer *t, int64_t lo, int64_t hi, const char *what)
{
    t->lo = lo;
    t->hi = hi;
    t->what = what;
}

/* Turns the state of the gzip stream after a failed or final read into an error (or 0). */
static int stream_error(mmt_tracer *t, mmt_diag *diag)
{
    int zerr = Z_OK;
    const char *msg = gzerror(t->gz, &zerr);
    if (zerr == Z_OK || zerr == Z_STREAM_END)
        return 0;
    if (zerr == Z_ERRNO)
        return mmt__sys_diag(diag, t->path, t->lineno + 1, "read error");
    if (zerr == Z_MEM_ERROR)
        return mmt__diag(diag, MMT_ENOMEM, t->path, t->lineno + 1, "out of memory");
    if (zerr == Z_BUF_ERROR)
        return mmt__diag(diag, MMT_EZLIB, t->path, t->lineno + 1,
                         "gzip stream is truncated (unexpected end of file)");
    const char *colon = strstr(msg, ">: "); /* gzerror says "<fd:N>: message" */
    if (strncmp(msg, "<fd:", 4) == 0 && colon)
        msg = colon + 3;
    return mmt__diag(diag, MMT_EZLIB, t->path, t->lineno + 1, "corrupt gzip stream: %s", msg);
}

/* Reads more text after the unread part, moving it to the front and growing the buffer when
 * a line does not fit. Returns 1 if bytes were added, 0 at end of file, or an error. */
static int fill(mmt_tracer *t, mmt_diag *diag)
{
    if (t->eof)
        return 0;
    if (t->pos > 0) {
        memmove(t->buf, t->buf + t->pos, t->end - t->pos);
        t->end -= t->pos;
        t->pos = 0;
    }
    if (t->cap - t->end < READ_BLOCK) {
        if (t->cap > SIZE_MAX / 2)
            return mmt__diag(diag, MMT_ENOMEM, t->path, t->lineno + 1, "line too long");
        char *nb = realloc(t->buf, t->cap * 2);
        if (!nb)
            return mmt__diag(diag, MMT_ENOMEM, t->path, t->lineno + 1, "out of memory");
        t->buf = nb;
        t->cap *= 2;
    }
    int n = gzread(t->gz, t->buf + t->end, READ_BLOCK);
    if (t->gzip < 0)
        t->gzip = !gzdirect(t->gz);
    if (n < 0)
        return stream_error(t, diag);
    if (n == 0) {
        t->eof = 1;
        return stream_error(t, diag); /* truncated streams end "cleanly" with Z_BUF_ERROR */
    }
    t->end += (size_t)n;
    return 1;
}

/* Refuses the next line for being longer than t->maxline. */
static int too_long(const mmt_tracer *t, mmt_diag *diag)
{
    return mmt__diag(diag, MMT_ETRACE, t->path, t->lineno + 1,
                     "line is longer than %zu bytes, the widest a row of this trace can be",
                     t->maxline);
}

/* mmt_tracer_line; with ended not NULL, a last line without its end is given too and *ended
 * says whether the line had one (DRAMsim3's traces may end either way). */
static int next_line(mmt_tracer *t, const char **text, size_t *len, int *ended, mmt_diag *diag)
{
    size_t scanned = t->pos;
    for (;;) {
        char *nl = memchr(t->buf + scanned, '\n', t->end - scanned);
        if (nl) {
            size_t n = (size_t)(nl - (t->buf + t->pos));
            *text = t->buf + t->pos;
            *len = n > 0 && nl[-1] == '\r' ? n - 1 : n;
            if (t->maxline && *len > t->maxline)
                return too_long(t, diag);
            t->pos += n + 1;
            t->lineno++;
            if (ended)
                *ended = 1;
            return 1;
        }
        size_t seen = t->end - t->pos;
        if (t->maxline && seen > t->maxline + 1) /* + 1: a '\r' before the '\n' */
            return too_long(t, diag);
        int r = fill(t, diag);
        if (r < 0)
            return r;
        if (r == 0) {
            if (seen == 0)
                return 0;
            if (!ended)
                return mmt__diag(diag, MMT_ETRACE, t->path, t->lineno + 1,
                                 "last line has no line end (truncated file?)");
            *text = t->buf + t->pos;
            *len = seen;
            t->pos += seen;
            t->lineno++;
            *ended = 0;
            return 1;
        }
        scanned = t->pos + seen;
    }
}

int mmt_tracer_line(mmt_tracer *t, const char **text, size_t *len, mmt_diag *diag)
{
    return next_line(t, text, len, NULL, diag);
}

int mmt__tracer_line_any(mmt_tracer *t, const char **text, size_t *len, int *ended,
                         mmt_diag *diag)
{
    return next_line(t, text, len, ended, diag);
}

/* Parses one decimal integer at *pp (before e); returns 0 and advances, or -1. */
static int parse_int(const char **pp, const char *e, int64_t *out)
{
    const char *p = *pp;
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    const char *d = p;
    uint64_t v = 0;
    while (p < e && (unsigned)(*p - '0') < 10) {
        if (p - d >= 18 && (v > (UINT64_MAX - 9) / 10))
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (p == d || (p < e && *p != ','))
        return -1;
    if (v > (uint64_t)INT64_MAX + neg)
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    *pp = p;
    return 0;
}

/* Counts the comma-separated fields of a line. */
static int64_t count_fields(const char *s, size_t n)
{
    int64_t f = 1;
    for (size_t i = 0; i < n; i++)
        f += s[i] == ',';
    return f;
}

/* Fills diag for a bad field starting at f in line s. */
static int bad_field(mmt_tracer *t, const char *s, size_t n, const char *f, int64_t idx,
                     mmt_diag *diag)
{
    const char *fe = memchr(f, ',', (size_t)(s + n - f));
    if (!fe)
        fe = s + n;
    mmt__diag(diag, MMT_ETRACE, t->path, t->lineno,
              "field %" PRId64 ": expected an integer, got '%.*s'", idx + 1,
              (int)(fe - f > 40 ? 40 : fe - f), f);
    if (diag)
        diag->column = (long)(f - s) + 1;
    return MMT_ETRACE;
}

int mmt_tracer_next(mmt_tracer *t, int64_t width, int64_t *cycle, int64_t *vals, mmt_diag *diag)
{
    const char *s;
    size_t n;
    /* 1 + width fields of at most 20 characters ("-9223372036854775808") and their commas. */
    t->maxline = width >= 0 && (uint64_t)width < SIZE_MAX / 32 ? (size_t)(width + 1) * 21 : 0;
    int r = mmt_tracer_line(t, &s, &n, diag);
    if (r <= 0)
        return r;
    const char *p = s, *e = s + n;
    if (parse_int(&p, e, cycle) != 0)
        return bad_field(t, s, n, s, 0, diag);
    int64_t i = 0;
    for (; i < width && p != e; i++) {
        const char *f = ++p; /* skip ',' */
        if (e - p >= 2 && p[0] == '-' && p[1] == '1' && (e - p == 2 || p[2] == ',')) {
            vals[i] = -1; /* the common idle slot */
            p += 2;
            continue;
        }
        if (parse_int(&p, e, &vals[i]) != 0)
            return bad_field(t, s, n, f, i + 1, diag);
        if ((vals[i] < t->lo || vals[i] >= t->hi) && vals[i] != -1) {
            mmt__diag(diag, MMT_ETRACE, t->path, t->lineno,
                      "field %" PRId64 ": address %" PRId64 " is outside the %s range [%" PRId64
                      ", %" PRId64 ")",
                      i + 2, vals[i], t->what ? t->what : "operand", t->lo, t->hi);
            if (diag)
                diag->column = (long)(f - s) + 1;
            return MMT_ETRACE;
        }
    }
    if (p != e || i != width)
        return mmt__diag(diag, MMT_ETRACE, t->path, t->lineno,
                         "expected %" PRId64 " fields (cycle and %" PRId64
                         " addresses), got %" PRId64,
                         width + 1, width, count_fields(s, n));
    return 1;
}

int64_t mmt_tracer_lineno(const mmt_tracer *t)
{
    return t->lineno;
}

int mmt_tracer_is_gzip(const mmt_tracer *t)
{
    return t->gzip > 0;
}

int mmt_tracer_close(mmt_tracer *t, mmt_diag *diag)
{
    if (!t)
        return 0;
    int r = 0;
    if (t->gz) {
        int zr = gzclose_r(t->gz);
        if (zr == Z_BUF_ERROR)
            r = mmt__diag(diag, MMT_EZLIB, t->path, t->lineno + 1,
                          "gzip stream is truncated (unexpected end of file)");
        else if (zr != Z_OK)
            r = mmt__sys_diag(diag, t->path, 0, "cannot close");
    }
    free(t->path);
    free(t->buf);
    free(t);
    return r;
}
