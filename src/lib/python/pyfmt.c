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

/* ---------------------------------------------------------------- exact fast path
 * The general path above calls snprintf and strtod about ten times per value: the reports of
 * a run of 2^20 tiny layers spent most of their time there (issue 8 item 10). This path finds
 * the same digits with 128-bit integers, as Steele & White's shortest mode does: v = m * 2^q
 * rounds back from every real in (v - lo, v + hi) (ends included when m is even, as strtod
 * rounds half to even); at decimal scale k the candidates are the integers D with
 * D * 10^-k in that interval. The coarsest scale with a candidate gives the shortest digits
 * (a candidate at scale k stays one at k+1, so the scale is binary-searched); of its
 * candidates the nearest to v * 10^k is taken (ties to even, as glibc's "%.*e" rounds).
 * Values whose numbers do not fit 128 bits return 0 and take the general path. */

/* 5^i for 0 <= i <= 27 (5^27 < 2^63). */
static uint64_t pow5(int i)
{
    uint64_t r = 1;
    while (i-- > 0)
        r *= 5;
    return r;
}

/* Exact scaling of x * 2^(q-2) by 10^k: *num = x * 10^k * 2^(q-2) * den, as num/den with
 * den a power of two times a power of five. Returns 0 if a number would not fit. */
typedef struct scaled {
    mmt__u128 mul; /* multiplies the interval numerators (4m-2, 4m+2, 4m) */
    mmt__u128 den;
} scaled;

static int scale_at(int q, int k, scaled *sc)
{
    int s = 2 - q; /* the interval numerators are in units of 2^(q-2) */
    int two = k - s; /* net power of two of 10^k / 2^s */
    if (k > 27 || k < -27 || two > 60 || two < -120)
        return 0;
    mmt__u128 five = pow5(k < 0 ? -k : k);
    sc->mul = k >= 0 ? five : 1;
    sc->den = k < 0 ? five : 1;
    if (two >= 0)
        sc->mul <<= two;
    else if (sc->den >> (127 + two) != 0) /* den << -two must fit */
        return 0;
    else
        sc->den <<= -two;
    /* the numerators reach 2^55 * mul: it must fit */
    return sc->mul >> 72 == 0;
}

/* Smallest and largest candidate integer at the scale sc (lo > hi: none). */
static void candidates(uint64_t m, int lower_closer, const scaled *sc, mmt__u128 *lo,
                       mmt__u128 *hi)
{
    int even = (m & 1) == 0;
    mmt__u128 l = ((mmt__u128)4 * m - (lower_closer ? 1 : 2)) * sc->mul;
    mmt__u128 h = ((mmt__u128)4 * m + 2) * sc->mul;
    mmt__u128 lq = l / sc->den, hq = h / sc->den;
    int lexact = l % sc->den == 0, hexact = h % sc->den == 0;
    /* ceil(l) if the end is included, else the next integer above l */
    *lo = lexact && even ? lq : lq + 1;
    /* floor(h) if the end is included, else the integer below an exact h */
    *hi = hexact && !even ? hq - 1 : hq;
}

/* Shortest digits of v > 0 by exact integer arithmetic; 0 if v is out of its range. */
static int shortest_exact(double v, char *d, int *e)
{
    int q;
    double f = frexp(v, &q); /* v = f * 2^q, 0.5 <= f < 1 */
    uint64_t m = (uint64_t)ldexp(f, 53);
    q -= 53;
    if (m < ((uint64_t)1 << 52) || q < -1074 + 1)
        return 0; /* subnormal or at the bottom of the range */
    int lower_closer = m == (uint64_t)1 << 52;
    /* v < 10^(e10+1), with e10 = floor(log10 v) give or take one */
    int e10 = (int)floor(log10(v));
    int klo = -e10 - 2, khi = klo + 20; /* none at klo (D <= 0.1...), some at khi */
    scaled sc;
    mmt__u128 lo, hi;
    if (!scale_at(q, klo, &sc))
        return 0;
    candidates(m, lower_closer, &sc, &lo, &hi);
    if (lo <= hi || !scale_at(q, khi, &sc))
        return 0;
    candidates(m, lower_closer, &sc, &lo, &hi);
    if (lo > hi)
        return 0;
    while (khi - klo > 1) {
        int mid = klo + (khi - klo) / 2;
        if (!scale_at(q, mid, &sc))
            return 0;
        candidates(m, lower_closer, &sc, &lo, &hi);
        if (lo <= hi)
            khi = mid;
        else
            klo = mid;
    }
    if (!scale_at(q, khi, &sc))
        return 0;
    candidates(m, lower_closer, &sc, &lo, &hi);
    /* the nearest integer to v * 10^k, ties to even, kept among the candidates */
    mmt__u128 x = (mmt__u128)4 * m * sc.mul, n = x / sc.den, r = x % sc.den;
    if (r * 2 > sc.den || (r * 2 == sc.den && (n & 1)))
        n++;
    n = n < lo ? lo : n > hi ? hi : n;
    char tmp[40];
    int len = 0;
    for (; n; n /= 10)
        tmp[len++] = (char)('0' + (int)(n % 10));
    if (len == 0 || len > 17)
        return 0;
    for (int i = 0; i < len; i++)
        d[i] = tmp[len - 1 - i];
    d[len] = '\0';
    *e = len - 1 - khi;
    return len;
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

/* repr(v); exact: try the integer fast path first (0: the snprintf/strtod path only). */
static size_t fmt_pyfloat(char *buf, double v, int exact)
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
    int n = exact ? shortest_exact(v, d, &e) : 0;
    if (n == 0)
        n = shortest_digits(v, d, &e);
    size_t len = neg + layout(buf + neg, d, n, e);
    buf[len] = '\0';
    return len;
}

size_t mmt_fmt_pyfloat(char *buf, double v)
{
    return fmt_pyfloat(buf, v, 1);
}

size_t mmt__fmt_pyfloat_general(char *buf, double v)
{
    return fmt_pyfloat(buf, v, 0);
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
