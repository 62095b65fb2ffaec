/*
 * textbuf.c - the library's one growable text buffer (mmt__buf): formatted text kept in
 * memory and written to a file atomically at the end. Used by every writer of a whole text
 * file (LLM topologies and manifests, the study's tables and the figures' CSVs).
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void mmt__buf_vprintf(mmt__buf *b, const char *fmt, va_list ap)
{
    for (;;) {
        if (b->bad)
            return;
        va_list aq;
        va_copy(aq, ap);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, aq);
        va_end(aq);
        if (k < 0)
            return;
        if (b->p && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 16384) + (size_t)k;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->bad = 1;
            return;
        }
        b->p = np, b->cap = nc;
    }
}

void mmt__buf_printf(mmt__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mmt__buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *mmt__xfmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL; /* vasprintf leaves s undefined on failure */
    va_end(ap);
    return s;
}

int mmt__buf_write(mmt__buf *b, const char *path, mmt_diag *d)
{
    int r = b->bad ? mmt__diag(d, MMT_ENOMEM, path, 0, "out of memory")
                   : mmt__write_file_atomic(path, b->p ? b->p : "", b->n, d);
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    return r;
}
