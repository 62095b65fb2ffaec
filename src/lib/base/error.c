/*
 * error.c - error codes, diagnostics and small shared utilities. This is the one file of the
 * library that reads errno: every failed system call is turned here into an MMT_E* code
 * (mmt_err_from_sys) and a diagnostic naming the file (mmt__sys_diag), so no caller needs
 * errno after a library call.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Returns the message of one MMT_E* code. */
const char *mmt_strerror(int err)
{
    switch (err) {
    case MMT_OK:
        return "success";
#define MMT__XX(name, msg)                                                                    \
    case MMT_E##name:                                                                         \
        return msg;
        MMT_ERRNO_MAP(MMT__XX)
#undef MMT__XX
    default:
        return "unknown error";
    }
}

/* The errno values with a code of their own: each E<name> becomes MMT_E<name>. */
#define SYS_ERRORS(XX)                                                                        \
    XX(NOMEM) XX(IO) XX(INVAL) XX(NOENT) XX(ACCES) XX(PERM) XX(NOSPC) XX(DQUOT) XX(FBIG)      \
    XX(ISDIR) XX(NOTDIR) XX(ROFS) XX(MFILE) XX(NFILE) XX(NAMETOOLONG) XX(EXIST) XX(LOOP)      \
    XX(AGAIN) XX(TXTBSY)

/* Maps an errno value to its MMT_E* code; MMT_EIO for the rest. */
int mmt_err_from_sys(int sys_errno)
{
    switch (sys_errno) {
#define SYS_CASE(name)                                                                        \
    case E##name:                                                                             \
        return MMT_E##name;
        SYS_ERRORS(SYS_CASE)
#undef SYS_CASE
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
        return MMT_EAGAIN;
#endif
    default:
        return MMT_EIO;
    }
}

/* Formats a diagnostic into d. */
static void vdiag(mmt_diag *d, const char *file, long line, const char *fmt, va_list ap)
{
    snprintf(d->file, sizeof d->file, "%s", file ? file : "");
    d->line = line;
    d->column = 0;
    char raw[sizeof d->message];
    vsnprintf(raw, sizeof raw, fmt, ap);
    /* A diagnostic is one line: show control characters from the input as escapes. */
    size_t o = 0;
    for (const char *s = raw; *s && o + 5 < sizeof d->message; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != 0x7f)
            d->message[o++] = (char)c;
        else
            o += (size_t)snprintf(d->message + o, sizeof d->message - o,
                                  c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : "\\x%02x", c);
    }
    d->message[o] = '\0';
}

/* Records an error and returns its code. */
int mmt__diag(mmt_diag *d, int err, const char *file, long line, const char *fmt, ...)
{
    if (d) {
        va_list ap;
        va_start(ap, fmt);
        vdiag(d, file, line, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* Records the failure of the system call that just failed: "WHAT: <the system's reason>". */
int mmt__sys_diag(mmt_diag *d, const char *file, long line, const char *fmt, ...)
{
    int e = errno;
    int err = mmt_err_from_sys(e);
    if (d) {
        char what[sizeof d->message];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        mmt__diag(d, err, file, line, "%s: %s", what, strerror(e ? e : EIO));
    }
    errno = e;
    return err;
}

/* Writes all n bytes, retrying short and interrupted writes. */
int mmt__write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Creates directory path unless it exists; other failures fill d. */
int mmt__mkdir(const char *path, mmt_diag *d)
{
    if (mkdir(path, 0777) == 0 || errno == EEXIST)
        return 0;
    return mmt__sys_diag(d, path, 0, "cannot create directory");
}

/* strtod on a NUL-terminated field: MMT_EPARSE unless all of it is a finite number that
 * neither overflows nor underflows. */
int mmt__parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return MMT_EPARSE;
    *out = v;
    return 0;
}

/* Hands one warning to the caller's callback. */
void mmt__warn(mmt_warn_fn warn, void *ud, const char *file, long line, const char *fmt, ...)
{
    if (!warn)
        return;
    mmt_diag d;
    va_list ap;
    va_start(ap, fmt);
    vdiag(&d, file, line, fmt, ap);
    va_end(ap);
    warn(ud, &d);
}

int mmt__check_nul(mmt_diag *d, const char *file, long line, const char *s, const char *e)
{
    const char *z = memchr(s, '\0', (size_t)(e - s));
    if (!z)
        return 0;
    int r = mmt__diag(d, MMT_EPARSE, file, line,
                      "NUL byte (\\0) in column %ld: not a text file", (long)(z - s) + 1);
    if (d)
        d->column = (long)(z - s) + 1;
    return r;
}

int mmt__open_regular(const char *path, mmt_diag *d)
{
    /* O_NONBLOCK: opening a FIFO nobody writes to must not hang; no effect on regular files. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return mmt__sys_diag(d, path, 0, "cannot open");
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int r = mmt__sys_diag(d, path, 0, "cannot read");
        close(fd);
        return r;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mmt__diag(d, S_ISDIR(st.st_mode) ? MMT_EISDIR : MMT_EIO, path, 0,
                         "not a regular file (%s); inputs must be regular files",
                         S_ISDIR(st.st_mode)    ? "a directory"
                         : S_ISFIFO(st.st_mode) ? "a FIFO or pipe"
                         : S_ISCHR(st.st_mode)  ? "a character device"
                         : S_ISBLK(st.st_mode)  ? "a block device"
                         : S_ISSOCK(st.st_mode) ? "a socket"
                                                : "of an unknown kind");
    }
    return fd;
}

/* Reads a whole regular file of at most MMT_MAX_INPUT_BYTES; the buffer gets a terminating
 * NUL not counted in len. */
int mmt__slurp(const char *path, char **text, size_t *len, mmt_diag *d)
{
    int fd = mmt__open_regular(path, d);
    if (fd < 0)
        return fd;
    struct stat st;
    if (fstat(fd, &st) == 0 && (uint64_t)st.st_size > MMT_MAX_INPUT_BYTES) {
        close(fd); /* refused before reading; the loop below catches a file that grows */
        return mmt__diag(d, MMT_ERANGE, path, 0,
                         "larger than %d MiB, the limit for a cfg, topology or config.json",
                         (int)(MMT_MAX_INPUT_BYTES >> 20));
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rerr = 0;
    mmt_diag rd; /* a read error, reported after the cleanup */
    while (buf) {
        ssize_t k = read(fd, buf + n, cap - n - 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rerr = k < 0 ? mmt__sys_diag(&rd, path, 0, "read error") : 0;
            break;
        }
        n += (size_t)k;
        if (n > MMT_MAX_INPUT_BYTES)
            break;
        if (n < cap - 1)
            continue;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    close(fd);
    if (!buf)
        return mmt__diag(d, MMT_ENOMEM, path, 0, "out of memory reading the file");
    if (rerr || n > MMT_MAX_INPUT_BYTES) {
        free(buf);
        if (rerr) {
            if (d)
                *d = rd;
            return rerr;
        }
        return mmt__diag(d, MMT_ERANGE, path, 0,
                         "larger than %d MiB, the limit for a cfg, topology or config.json",
                         (int)(MMT_MAX_INPUT_BYTES >> 20));
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* Parses what Python's int() accepts for ASCII input. */
int mmt__parse_i64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == len)
        return MMT_EPARSE;
    uint64_t v = 0;
    int prev_digit = 0, over = 0;
    for (; i < len; i++) {
        char ch = s[i];
        if (ch == '_' && prev_digit && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9') {
            prev_digit = 0;
            continue;
        }
        if (ch < '0' || ch > '9')
            return MMT_EPARSE;
        if (v > (UINT64_MAX - 9) / 10)
            over = 1;
        else
            v = v * 10 + (uint64_t)(ch - '0');
        prev_digit = 1;
    }
    if (over || v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return MMT_EOVERFLOW;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* Number of significant bits of a 128-bit value. */
static int bitlen128(unsigned __int128 x)
{
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
    return hi ? 128 - __builtin_clzll(hi) : lo ? 64 - __builtin_clzll(lo) : 0;
}

/* Correctly rounded a/b (round half to even), like Python's int.__truediv__. Long division
 * extends the quotient to at least 55 bits; the remainder is the sticky bit. */
double mmt__true_div(mmt__u128 a, mmt__u128 b)
{
    if (a == 0)
        return 0.0;
    /* Both exact in a double: IEEE division rounds the quotient correctly, half to even. */
    if (a <= ((mmt__u128)1 << 53) && b <= ((mmt__u128)1 << 53))
        return (double)(uint64_t)a / (double)(uint64_t)b;
    mmt__u128 q = a / b, r = a % b;
    int e = 0;
    while (bitlen128(q) < 55) {
        q <<= 1;
        r <<= 1;
        if (r >= b) {
            r -= b;
            q |= 1;
        }
        e++;
    }
    int extra = bitlen128(q) - 53;
    mmt__u128 mant = q >> extra;
    mmt__u128 rbits = q & (((mmt__u128)1 << extra) - 1);
    mmt__u128 half = (mmt__u128)1 << (extra - 1);
    if (rbits > half || (rbits == half && (r != 0 || (mant & 1))))
        mant++;
    return ldexp((double)mant, extra - e);
}

/* Temporary names (README "Limits and failures"): DIR/.mmtrace-tmp.<pid>.BASE. The prefix and
 * the creating pid let a later run remove exactly the temporaries of dead runs of ours and
 * nothing a user named. */
#define TMP_PREFIX ".mmtrace-tmp."

int mmt_temp_path(const char *path, long pid, char *buf, size_t cap)
{
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    int n = snprintf(buf, cap, "%.*s" TMP_PREFIX "%ld.%s", dl, path, pid, path + dl);
    return n < 0 || (size_t)n >= cap || pid <= 0 ? MMT_EINVAL : 0;
}

long mmt_temp_pid(const char *name)
{
    size_t pl = sizeof TMP_PREFIX - 1;
    if (strncmp(name, TMP_PREFIX, pl) != 0)
        return 0;
    const char *s = name + pl;
    size_t nd = strspn(s, "0123456789");
    if (nd == 0 || nd > 9 || *s == '0' || s[nd] != '.' || !s[nd + 1])
        return 0;
    return strtol(s, NULL, 10);
}

/* Leaves the finished temporary s to the batch b, which renames or removes it. */
static int to_batch(mmt__wbatch *b, mmt__staged *s, mmt_diag *d)
{
    if (mmt__wbatch_add(b, s->tmp, s->path) != 0)
        return mmt__diag(d, MMT_ENOMEM, s->path, 0, "out of memory");
    s->tmp[0] = '\0'; /* the batch's now */
    return 0;
}

/* Writes a file through fill to a staged temporary beside path, flushes it to the disk, then
 * publishes it over path, so a crash leaves the old or the new file under path, never a
 * partial one. While a write batch is open on this thread (write_batch.c), the temporary is
 * left unsynced to the batch, which syncs and renames all of them together. */
int mmt__write_atomic(const char *path, mmt__fill_fn fill, void *ud, mmt_diag *d)
{
    mmt__wbatch *batch = mmt__wbatch_current();
    mmt__staged s;
    int r = mmt__staged_open(&s, path, 1, d, "cannot create");
    if (r)
        return r;
    if ((r = fill(s.f, ud)) != 0) /* the content could not be made (out of memory) */
        r = mmt__diag(d, r, path, 0, "%s", mmt_strerror(r));
    if (r == 0)
        r = mmt__staged_finish(&s, !batch, d, "cannot write");
    if (r == 0)
        r = batch ? to_batch(batch, &s, d) : mmt__staged_publish(&s, d, "cannot write");
    mmt__staged_abort(&s);
    return r;
}

/* The text of mmt__write_file_atomic. */
typedef struct whole_text {
    const char *text;
    size_t len;
} whole_text;

/* Writes the whole text (a write error is left in the stream's error flag). */
static int fill_text(FILE *f, void *ud)
{
    const whole_text *t = ud;
    fwrite(t->text, 1, t->len, f);
    return 0;
}

int mmt__write_file_atomic(const char *path, const char *text, size_t len, mmt_diag *d)
{
    mmt__wbatch *batch = mmt__wbatch_current(); /* unchanged text: kept, synced by the batch */
    if (batch && mmt__wbatch_same(batch, path, text, len))
        return 0;
    whole_text t = {text, len};
    return mmt__write_atomic(path, fill_text, &t, d);
}
