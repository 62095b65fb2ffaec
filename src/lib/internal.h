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
#include <stdlib.h>
#include <string.h>

/* Fills d with file/line and a printf-style message; returns err so callers can
 * `return mmt__diag(...)`. d may be NULL. */
int mmt__diag(mmt_diag *d, int err, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Emits a warning through warn (if set) with the same formatting as mmt__diag. */
void mmt__warn(mmt_warn_fn warn, void *ud, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Reads a whole file into a NUL-terminated buffer the caller frees. Refuses anything but a
 * regular file (a FIFO would block, /dev/zero never ends) and files over
 * MMT_MAX_INPUT_BYTES, with the reason in d. */
int mmt__slurp(const char *path, char **text, size_t *len, mmt_diag *d);

/* If [s, e) holds a NUL byte, fills d with its line and column ("NUL byte (\0) in column N")
 * and returns MMT_EPARSE; else returns 0. Text readers call it on each line. */
int mmt__check_nul(mmt_diag *d, const char *file, long line, const char *s, const char *e);

/* Length of a UTF-8 byte-order mark at the start of [text, text+len): 3 or 0. */
static inline size_t mmt__bom_len(const char *text, size_t len)
{
    return len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
}

/* Opens path read-only without blocking on a FIFO; returns the descriptor, or a negative
 * MMT_E* code with the reason in d if it cannot be opened or is not a regular file. */
int mmt__open_regular(const char *path, mmt_diag *d);

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

/* malloc of n items of size bytes; NULL (never a short block) if n is negative or n * size
 * does not fit in size_t. Every allocation sized from user input goes through this. */
static inline void *mmt__mallocn(int64_t n, size_t size)
{
    size_t bytes;
    if (n < 0 || __builtin_mul_overflow((uint64_t)n, size, &bytes))
        return NULL;
    return malloc(bytes ? bytes : 1);
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

/* A batch of atomic writes (write_batch.c): while begin's batch is open on a thread, that
 * thread's mmt__write_file_atomic leaves its synced-later temporary in the batch; commit syncs
 * them all (one journal commit, not one per file), renames them into place and syncs each
 * directory once, then frees the batch; abort removes the temporaries. Either closes it. */
typedef struct mmt__wbatch mmt__wbatch;
int mmt__wbatch_begin(mmt__wbatch **out);
int mmt__wbatch_commit(mmt__wbatch *b, mmt_diag *d);
void mmt__wbatch_abort(mmt__wbatch *b);
/* The batch open on the calling thread, or NULL; add records tmp for path (MMT_ENOMEM). */
mmt__wbatch *mmt__wbatch_current(void);
int mmt__wbatch_add(mmt__wbatch *b, const char *tmp, const char *path);
/* 1 if path holds text already: it joins the batch to be synced, and needs no temporary. */
int mmt__wbatch_same(mmt__wbatch *b, const char *path, const char *text, size_t len);

/* A parsed .cfg as config.c hands it to config_v3.c: get fetches the interpolated value of a
 * required key (an error naming the missing section or key otherwise); has tells whether a
 * section (key NULL) or a key of a section exists. */
typedef struct mmt__cfg_src {
    void *ctx;
    const char *file;
    int (*get)(void *ctx, const char *section, const char *key, char *buf, size_t cap,
               long *line, mmt_diag *d);
    int (*has)(void *ctx, const char *section, const char *key);
} mmt__cfg_src;

/* Reads and checks the keys SCALE-Sim v3.0.0 adds (config_v3.c, doc/scalesim-v3.md §V3.2)
 * into cfg, which holds the v2 keys already. */
int mmt__config_v3_fill(const mmt__cfg_src *src, mmt_config *cfg, mmt_diag *d);
/* 1 if the cfg has any section or key only v3's format has. */
int mmt__config_v3_format(const mmt__cfg_src *src);

#endif
