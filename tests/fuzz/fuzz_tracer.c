/*
 * fuzz_tracer.c - fuzz target for the trace reader (mmt_tracer_*), plain and gzip. The input is
 * written to a file as it is and, gzip-compressed with zlib's gzwrite, to a second file; each is
 * read twice, line by line (mmt_tracer_line) and as SRAM trace rows (mmt_tracer_next with a
 * small width and a set address range). Unless the input is itself gzip, both files must read
 * identically: a differential check of the gzip path against the plain one.
 */
#include "mmtrace.h"
#include "tmpdir.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WIDTH 64
#define MAX_ROWS 100000 /* rows read per pass (errors do not stop a pass) */

static const char *tmpdir; /* set by fuzz_tmpdir on the first input */

/* FNV-1a over len bytes, folded into *h. */
static void mix(uint64_t *h, const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        *h = (*h ^ b[i]) * 1099511628211u;
}

/* A failed call must leave a one-line, NUL-terminated message. */
static void check_diag(const mmt_diag *d)
{
    if (!memchr(d->message, '\0', sizeof d->message) || !d->message[0] ||
        strchr(d->message, '\n') || !memchr(d->file, '\0', sizeof d->file))
        __builtin_trap();
}

/* Reads path line by line; returns a hash of everything read. */
static uint64_t pass_lines(const char *path)
{
    uint64_t h = 14695981039346656037u;
    mmt_tracer *t = NULL;
    mmt_diag d;
    if (mmt_tracer_open(path, &t, &d) != 0)
        __builtin_trap(); /* the file was just written */
    const char *text;
    size_t len;
    int r;
    int64_t n = 0;
    while ((r = mmt_tracer_line(t, &text, &len, &d)) == 1) {
        if (memchr(text, '\n', len) || mmt_tracer_lineno(t) != ++n)
            __builtin_trap();
        mix(&h, &len, sizeof len);
        mix(&h, text, len);
    }
    if (r < 0)
        check_diag(&d);
    mix(&h, &r, sizeof r);
    r = mmt_tracer_close(t, &d);
    mix(&h, &r, sizeof r);
    return h;
}

/* Reads path as SRAM trace rows of the given width, addresses in [lo, hi); returns a hash. */
static uint64_t pass_rows(const char *path, int64_t width, int64_t lo, int64_t hi)
{
    uint64_t h = 14695981039346656037u;
    mmt_tracer *t = NULL;
    mmt_diag d;
    if (mmt_tracer_open(path, &t, &d) != 0)
        __builtin_trap();
    mmt_tracer_set_range(t, lo, hi, "fuzz");
    int64_t cycle, vals[MAX_WIDTH];
    for (int i = 0; i < MAX_ROWS; i++) {
        int64_t before = mmt_tracer_lineno(t);
        int r = mmt_tracer_next(t, width, &cycle, vals, &d);
        mix(&h, &r, sizeof r);
        if (r == 0 || (r < 0 && r != MMT_ETRACE))
            break; /* end of file or a dead stream (corrupt gzip, a read error) */
        if (r < 0) {
            check_diag(&d);
            if (mmt_tracer_lineno(t) == before)
                break; /* nothing consumed: an unterminated last line */
            continue;  /* a bad row: read on, as a lenient reader would */
        }
        for (int64_t k = 0; k < width; k++)
            if (vals[k] != -1 && (vals[k] < lo || vals[k] >= hi))
                __builtin_trap();
        mix(&h, &cycle, sizeof cycle);
        mix(&h, vals, (size_t)width * sizeof vals[0]);
    }
    mmt_tracer_close(t, NULL);
    return h;
}

/* Writes data to path, gzip-compressed when gz; returns 0 or -1. */
static int write_file(const char *path, const uint8_t *data, size_t size, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb1");
        if (!f)
            return -1;
        int ok = size == 0 || gzwrite(f, data, (unsigned)size) == (int)size;
        return gzclose(f) == Z_OK && ok ? 0 : -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* The row width: the field count of the first line less the cycle, clamped to [1, 64]. */
static int64_t guess_width(const uint8_t *data, size_t size)
{
    int64_t w = 0;
    for (size_t i = 0; i < size && data[i] != '\n'; i++)
        w += data[i] == ',';
    return w < 1 ? 1 : w > MAX_WIDTH ? MAX_WIDTH : w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20) || !(tmpdir = fuzz_tmpdir("tracer")))
        return 0;
    char path[2][128];
    uint64_t lines[2], rows[2];
    int64_t width = guess_width(data, size);
    for (int gz = 0; gz < 2; gz++) {
        snprintf(path[gz], sizeof path[gz], "%s/trace%s", tmpdir, gz ? ".csv.gz" : ".csv");
        if (write_file(path[gz], data, size, gz) != 0)
            __builtin_trap();
        lines[gz] = pass_lines(path[gz]);
        /* The three address ranges of the golden traces' cfgs (offsets 0, 1e7, 2e7). */
        rows[gz] = pass_rows(path[gz], width, 0, 30000000);
        unlink(path[gz]);
    }
    int input_is_gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (!input_is_gzip && (lines[0] != lines[1] || rows[0] != rows[1]))
        __builtin_trap(); /* gzip and plain must read alike */
    return 0;
}
