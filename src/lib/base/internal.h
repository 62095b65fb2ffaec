/*
 * internal.h - helpers shared by libmmtrace's modules (mmt__ prefix); not installed.
 */
#ifndef MMT_INTERNAL_H
#define MMT_INTERNAL_H

#include <config.h>

#include "mmtrace.h"

#include <inttypes.h>
#include <pthread.h> /* mmt__worker */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills d with file/line and a printf-style message; returns err so callers can
 * `return mmt__diag(...)`. d may be NULL. */
int mmt__diag(mmt_diag *d, int err, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The one way a system failure enters the library: reads errno of the call that just failed,
 * fills d (may be NULL) with file/line and "<printf message>: <the system's reason>", and
 * returns the code mmt_err_from_sys gives. Only error.c reads errno; every other file calls
 * this right after the failed call. */
int mmt__sys_diag(mmt_diag *d, const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Writes all n bytes to fd, retrying short and interrupted writes; 0, or -1 for
 * mmt__sys_diag. */
int mmt__write_all(int fd, const void *buf, size_t n);
/* fsync of directory dir (mmt_fsync_dir); a failure fills d (may be NULL) with
 * "<what>: <reason>" naming file, returns its code and keeps its errno. */
int mmt__fsync_dir(const char *dir, mmt_diag *d, const char *file, const char *what);
/* Creates directory path (mode 0777 before umask) unless it exists already; a failure fills
 * d ("cannot create directory: ...") and returns its code. */
int mmt__mkdir(const char *path, mmt_diag *d);
/* Parses a NUL-terminated decimal float with strtod: MMT_EPARSE unless the whole string is
 * a finite number that neither overflows nor underflows. */
int mmt__parse_double(const char *s, double *out);

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

/* The library's one line splitter, over text in memory, with Python's universal newlines
 * ("\n", "\r\n" and a lone "\r" each end a line) as SCALE-Sim's open() reads its inputs.
 * Start from {text, text + len}; each call puts the next line, without its end, in [*b, *e),
 * counts it in no and sets ended when the line had an end (a text's last line may not).
 * Returns 0 when no line is left. */
typedef struct mmt__lines {
    const char *s, *end;
    long no;
    int ended;
} mmt__lines;

static inline int mmt__line_next(mmt__lines *L, const char **b, const char **e)
{
    const char *p = L->s;
    if (p >= L->end)
        return 0;
    while (p < L->end && *p != '\n' && *p != '\r')
        p++;
    *b = L->s, *e = p;
    L->no++;
    L->ended = p < L->end;
    if (L->ended && *p == '\r' && p + 1 < L->end && p[1] == '\n')
        p++;
    L->s = L->ended ? p + 1 : p;
    return 1;
}

/* Python's int / int: the correctly rounded quotient of a / b; b > 0, both below 2^126. */
double mmt__true_div(mmt__u128 a, mmt__u128 b);

/* ---------------------------------------------------------------- demand streams */

/* Not public: outside programs get demand rows through mmt_gen_trace (as traces) or
 * mmt_sim_run (fused); the streams are the engine both use. */
/* Produces one operand's demand matrix (doc/scalesim-v2.md §5) one row at a time, never holding it whole. */
typedef struct mmt_stream mmt_stream;

int mmt_stream_new(const mmt_geom *g, mmt_operand op, mmt_stream **out);
void mmt_stream_free(mmt_stream *s);
/* Columns of each row: R, C or C (IS: C, R, C). */
int64_t mmt_stream_width(const mmt_stream *s);
/* Writes the next row into row[0..width-1]; returns 1, or 0 when all rows have been given. */
int mmt_stream_next(mmt_stream *s, int64_t *row);
/* Same, and also reports a column range [*lo, *hi) outside which every entry is -1 (entries
 * inside may be -1 too), so consumers can skip idle columns. */
int mmt_stream_next_range(mmt_stream *s, int64_t *row, int64_t *lo, int64_t *hi);
/* Fastest form: points *row at a buffer the stream owns (valid until the next call or free)
 * and resets only the columns the previous row used. Returns 1, 0 at the end, or MMT_ENOMEM. */
int mmt_stream_next_view(mmt_stream *s, const int64_t **row, int64_t *lo, int64_t *hi);

/* Formats v as decimal into buf (at least 21 bytes); returns the length. */
size_t mmt_fmt_i64(char *buf, int64_t v);

/* Moves a demand stream to row t of fold `fold` (the fold engine jumps to the rows it needs);
 * MMT_EINVAL outside the layer. */
int mmt__stream_seek(mmt_stream *s, int64_t fold, int64_t t);

/* A staged output (write_batch.c): the one way the library's outputs reach their final names.
 * open creates a temporary beside path (mmt_temp_path: DIR/.mmtrace-tmp.<pid>.BASE), to be
 * written through fd, or through f when stdio is set; finish flushes it, syncs it to the disk
 * (unless sync is 0: a write batch syncs it later) and closes it; publish renames it over path,
 * so a crash leaves the old or the whole new file under path, never a partial one. abort, at
 * any point and again, closes and removes the temporary unless it was published; a zeroed
 * struct holds nothing. Failures fill d with path and "<what>: <the system's reason>". path is
 * borrowed until published or aborted. */
typedef struct mmt__staged {
    const char *path;
    char tmp[4096]; /* "" once published (or never created) */
    int fd;         /* -1 once closed */
    FILE *f;        /* with stdio: owns fd */
} mmt__staged;
int mmt__staged_open(mmt__staged *s, const char *path, int stdio, mmt_diag *d, const char *what);
int mmt__staged_finish(mmt__staged *s, int sync, mmt_diag *d, const char *what);
int mmt__staged_publish(mmt__staged *s, mmt_diag *d, const char *what);
void mmt__staged_abort(mmt__staged *s);
/* The rename under publish, for temporaries finished earlier and held by name (a write batch,
 * the replay's staged traces): 0, or -1 for mmt__sys_diag (errno of the rename). */
int mmt__staged_rename(const char *tmp, const char *path);

/* The one atomic writer: fill writes the content to f (a staged temporary) and returns 0, or a
 * negative code (MMT_ENOMEM) if it cannot make the content; a write error is left in f's error
 * flag. The file is then finished (fsync) and published. Failures fill d with path and
 * "cannot create/write: <reason>". */
typedef int (*mmt__fill_fn)(FILE *f, void *ud);
int mmt__write_atomic(const char *path, mmt__fill_fn fill, void *ud, mmt_diag *d);
/* mmt__write_atomic of len bytes of text. */
int mmt__write_file_atomic(const char *path, const char *text, size_t len, mmt_diag *d);

/* mmt_tracer_line that also gives a last line without a line end; *ended says whether the
 * line had one (trace_reader.c; DRAMsim3's trace reader behaves differently at the end). */
int mmt__tracer_line_any(mmt_tracer *t, const char **text, size_t *len, int *ended,
                         mmt_diag *diag);

/* The error a trace writer has latched (0: none): which of several writers failed. */
int mmt__tracew_err(mmt_tracew *w);

/* The one growable text buffer (textbuf.c): printf appends, remembering an allocation
 * failure in bad; write puts the text into path atomically (out of memory: MMT_ENOMEM) and
 * frees it. Start from {0}. */
typedef struct mmt__buf {
    char *p;
    size_t n, cap;
    int bad;
} mmt__buf;
void mmt__buf_vprintf(mmt__buf *b, const char *fmt, va_list ap);
void mmt__buf_printf(mmt__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* printf into a fresh string of its own (never cut; the caller frees it); NULL when out of
 * memory. */
char *mmt__xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int mmt__buf_write(mmt__buf *b, const char *path, mmt_diag *d);
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
/* Makes b the calling thread's batch too (NULL: leaves it), so that helper threads of the
 * thread that began it write into it (add and same take its lock); every helper leaves
 * before the owner commits or aborts. */
void mmt__wbatch_join(mmt__wbatch *b);
/* The files of a batch (renamed or kept by its commit), by index below count; the study's
 * directory lists them in its manifest (study/outdir.c). count of NULL is 0. */
size_t mmt__wbatch_count(const mmt__wbatch *b);
const char *mmt__wbatch_path(const mmt__wbatch *b, size_t i);
/* Test hook of crash-consistency tests (rundir.c): the N-th call in a process, with
 * MMTRACE_TEST_KILL_AFTER=N in the environment, kills it (SIGKILL). A write batch calls it
 * before each rename, the replay engine after each layer. */
void mmt__test_kill_point(void);

/* A helper thread that writes or reads a file beside its owner (a trace writer's compressor,
 * a replay feed's reader or sink's writer), with the lock and condition the two share. init
 * before use; start creates the thread (MMT_ENOMEM if it cannot); stop sets *flag (the
 * owner's "quit" or "done") under the lock, wakes the thread and waits for it to end, if it
 * was started; destroy (after stop) frees the lock and condition. */
typedef struct mmt__worker {
    pthread_mutex_t m;
    pthread_cond_t c;
    pthread_t th;
    int started;
} mmt__worker;
static inline void mmt__worker_init(mmt__worker *w)
{
    pthread_mutex_init(&w->m, NULL);
    pthread_cond_init(&w->c, NULL);
}
static inline int mmt__worker_start(mmt__worker *w, void *(*fn)(void *), void *arg)
{
    w->started = pthread_create(&w->th, NULL, fn, arg) == 0;
    return w->started ? 0 : MMT_ENOMEM;
}
static inline void mmt__worker_stop(mmt__worker *w, int *flag)
{
    if (!w->started)
        return;
    pthread_mutex_lock(&w->m);
    *flag = 1;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    pthread_join(w->th, NULL);
    w->started = 0;
}
static inline void mmt__worker_destroy(mmt__worker *w)
{
    pthread_cond_destroy(&w->c);
    pthread_mutex_destroy(&w->m);
}

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

/* The end of a constructor X_new(..., X **out) that built obj with status r: hands obj out
 * and gives 0, or, when r is an error, frees the half-built obj with free_fn (an mmt free
 * function takes any partial state) and gives r. r and obj are read twice: plain names. */
#define MMT__NEW_END(r, obj, free_fn, out) ((r) ? (free_fn(obj), (r)) : (*(out) = (obj), 0))

#endif
