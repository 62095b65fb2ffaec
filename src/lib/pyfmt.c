/*
 * pyfmt.c - Python's repr(float): the shortest digit string that reads back as the same
 * double, laid out the way CPython does (fixed notation for decimal exponents -4..15,
 * scientific otherwise, ".0" on integral values). Also the float-repr row writer used by the
 * DRAM traces, with a fast path for integral values.
 */
#include "sim_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses the output of "%.*e" into its digits (no point) and decimal exponent. */
static int split_e(const char *s, char *digits, int *exp10)
{
    int n = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[n++] = *s;
    digits[n] = '\0';
    *exp10 = *s == 'e' ? atoi(s + 1) : 0;
    return n;
}

/* Adds delta (+1 or -1) to the last digit of an n-digit string; returns 0 if it over/underflows
 * the digit count. */
static int bump_digits(char *d, int n, int delta)
{
    for (int i = n - 1; i >= 0; i--) {
        int v = d[i] - '0' + delta;
        if (v >= 0 && v <= 9) {
            d[i] = (char)('0' + v);
            return !(i == 0 && d[0] == '0');
        }
        d[i] = delta > 0 ? '0' : '9';
    }
    return 0;
}

/* True if the digits with decimal exponent e (d.ddd * 10^e) read back as v. */
static int reads_back(const char *d, int n, int e, double v)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%c.%se%d", d[0], d + 1, e);
    if (n == 1)
        snprintf(buf, sizeof buf, "%ce%d", d[0], e);
    return strtod(buf, NULL) == v;
}

/* Shortest round-trip digits of v > 0 (finite): fills d, returns the count, sets *e so that
 * v ~ d[0].d[1..] * 10^e. */
/* The digits of v with p+1 significant digits that read back as v, if any: the nearest,
 * or one of its neighbours. Returns the count, or 0 if none reads back. */
static int digits_at(double v, int p, char *d, int *e)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%.*e", p, v);
    int n = split_e(buf, d, e);
    if (reads_back(d, n, *e, v))
        return n;
    /* Near a power of two the rounding interval is lopsided: the nearest p-digit value may
     * miss while its neighbour hits (David Gay's shortest mode would find it). */
    for (int delta = -1; delta <= 1; delta += 2) {
        char alt[24];
        memcpy(alt, d, (size_t)n + 1);
        if (bump_digits(alt, n, delta) && reads_back(alt, n, *e, v)) {
            memcpy(d, alt, (size_t)n + 1);
            return n;
        }
    }
    return 0;
}

static int shortest_digits(double v, char *d, int *e)
{
    /* If some string of p+1 digits reads back, the nearest one of p+2 digits does too (it is
     * at least as close), so the digit counts that work are a suffix: binary search it. */
    int lo = -1, hi = 16; /* p = hi works (17 digits always do); p = lo does not */
    char dd[24];
    int ee;
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (digits_at(v, mid, dd, &ee))
            hi = mid;
        else
            lo = mid;
    }
    int n = digits_at(v, hi, d, e);
    if (n)
        return n;
    char buf[48];
    snprintf(buf, sizeof buf, "%.16e", v);
    return split_e(buf, d, e);
}

/* Lays out digits d[0..n) with exponent e as CPython's repr does; returns the length. */
static size_t layout(char *out, const char *d, int n, int e)
{
    char *p = out;
    while (n > 1 && d[n - 1] == '0')
        n--;
    int decpt = e + 1; /* digits before the decimal point */
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            *p++ = '0', *p++ = '.';
            for (int i = 0; i < -decpt; i++)
                *p++ = '0';
            memcpy(p, d, (size_t)n), p += n;
        } else {
            for (int i = 0; i < decpt; i++)
                *p++ = i < n ? d[i] : '0';
            *p++ = '.';
            if (n > decpt)
                memcpy(p, d + decpt, (size_t)(n - decpt)), p += n - decpt;
            else
                *p++ = '0';
        }
        return (size_t)(p - out);
    }
    *p++ = d[0];
    if (n > 1) {
        *p++ = '.';
        memcpy(p, d + 1, (size_t)(n - 1)), p += n - 1;
    }
    p += sprintf(p, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    return (size_t)(p - out);
}

size_t mmt_fmt_pyfloat(char *buf, double v)
{
    if (isnan(v))
        return (size_t)sprintf(buf, "nan");
    if (isinf(v))
        return (size_t)sprintf(buf, v < 0 ? "-inf" : "inf");
    size_t neg = signbit(v) ? 1 : 0;
    if (neg)
        *buf = '-', v = -v;
    if (v == 0)
        return neg + (size_t)sprintf(buf + neg, "0.0");
    if (v < 1e16 && v == floor(v)) { /* integral: digits then ".0" */
        size_t n = mmt_fmt_i64(buf + neg, (int64_t)v);
        memcpy(buf + neg + n, ".0", 3);
        return neg + n + 2;
    }
    char d[24];
    int e;
    int n = shortest_digits(v, d, &e);
    size_t len = neg + layout(buf + neg, d, n, e);
    buf[len] = '\0';
    return len;
}

size_t mmt__fmt_pyfloat_i64(char *buf, int64_t v)
{
    if (v > -9007199254740992 && v < 9007199254740992) { /* exact in a double */
        size_t n = mmt_fmt_i64(buf, v);
        memcpy(buf + n, ".0", 2);
        return n + 2;
    }
    return mmt_fmt_pyfloat(buf, (double)v);
}

int mmt__dram_row(mmt_tracew *w, int64_t cycle, const int64_t *vals, int64_t n, int64_t ones)
{
    char buf[4096];
    size_t len = mmt__fmt_pyfloat_i64(buf, cycle);
    for (int64_t i = 0; i < n + ones; i++) {
        if (len > sizeof buf - 40) {
            int r = mmt_tracew_write(w, buf, len);
            if (r)
                return r;
            len = 0;
        }
        buf[len++] = ',';
        int64_t x = i < n ? vals[i] : 1; /* SCALE-Sim v2: CALC width padding is 1.0 */
        if (x == -1) {
            memcpy(buf + len, "-1.0", 4);
            len += 4;
        } else {
            len += mmt__fmt_pyfloat_i64(buf + len, x);
        }
    }
    buf[len++] = '\n';
    return mmt_tracew_write(w, buf, len);
}
