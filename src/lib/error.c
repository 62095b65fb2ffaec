/*
 * error.c - error codes, diagnostics and small shared utilities.
 */
#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Reads a whole file; the buffer gets a terminating NUL not counted in len. */
int mmt__slurp(const char *path, char **text, size_t *len, mmt_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return mmt__diag(d, MMT_EIO, path, 0, "cannot open: %s", strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f), e = errno;
    fclose(f);
    if (!buf)
        return mmt__diag(d, MMT_ENOMEM, path, 0, "out of memory reading the file");
    if (bad) {
        free(buf);
        return mmt__diag(d, MMT_EIO, path, 0, "read error: %s", strerror(e));
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

/* Writes text to a temporary file beside path, then renames it over path. */
int mmt__write_file_atomic(const char *path, const char *text, size_t len, mmt_diag *d)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return mmt__diag(d, MMT_EINVAL, path, 0, "path too long");
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return mmt__diag(d, MMT_EIO, path, 0, "cannot create: %s", strerror(errno));
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fflush(f) != 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return mmt__diag(d, MMT_EIO, path, 0, "cannot write: %s", strerror(e));
    }
    return 0;
}
