/*
 * internal.h - helpers shared by libmmtrace's modules (mmt__ prefix); not installed.
 */
#ifndef MMT_INTERNAL_H
#define MMT_INTERNAL_H

#include <config.h>

#include "mmtrace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>

/* Fills d with file/line and a printf-style message; returns err so callers can
 * `return mmt__diag(...)`. d may be NULL. */
int mmt__diag(mmt_diag *d, int err, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Emits a warning through warn (if set) with the same formatting as mmt__diag. */
void mmt__warn(mmt_warn_fn warn, void *ud, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Reads a whole file into a NUL-terminated buffer the caller frees. */
int mmt__slurp(const char *path, char **text, size_t *len, mmt_diag *d);

/* Parses a Python int() literal (already stripped): sign, digits, single underscores between
 * digits. Returns 0, MMT_EPARSE (not an integer) or MMT_EOVERFLOW (outside int64). */
int mmt__parse_i64(const char *s, size_t len, int64_t *out);

/* Checked int64 arithmetic: return 0, or MMT_EOVERFLOW leaving *r unspecified. */
static inline int mmt__mul(int64_t a, int64_t b, int64_t *r)
{
    return __builtin_mul_overflow(a, b, r) ? MMT_EOVERFLOW : 0;
}
static inline int mmt__add(int64_t a, int64_t b, int64_t *r)
{
    return __builtin_add_overflow(a, b, r) ? MMT_EOVERFLOW : 0;
}

/* ceil(a/b) for a >= 0, b > 0. */
static inline int64_t mmt__ceil_div(int64_t a, int64_t b)
{
    return a / b + (a % b != 0);
}

typedef unsigned __int128 mmt__u128;

/* Python str.isspace() for ASCII: what str.strip() removes. */
static inline int mmt__py_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
           c == '\x1c' || c == '\x1d' || c == '\x1e' || c == '\x1f';
}

/* Narrows [*s, *e) as Python's str.strip() would. */
static inline void mmt__strip(const char **s, const char **e)
{
    while (*s < *e && mmt__py_space(**s))
        (*s)++;
    while (*e > *s && mmt__py_space((*e)[-1]))
        (*e)--;
}

/* Python's int / int: the correctly rounded quotient of a / b; b > 0, both below 2^126. */
double mmt__true_div(mmt__u128 a, mmt__u128 b);

/* Moves a demand stream to row t of fold `fold` (the fold engine jumps to the rows it needs);
 * MMT_EINVAL outside the layer. */
int mmt__stream_seek(mmt_stream *s, int64_t fold, int64_t t);

/* Writes a file atomically: text to path.tmp.<pid>, then rename. */
int mmt__write_file_atomic(const char *path, const char *text, size_t len, mmt_diag *d);

#endif
