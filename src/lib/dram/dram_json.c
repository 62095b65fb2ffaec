/*
 * dram_json.c - doubles as DRAMsim3's dramsim3.json prints them. DRAMsim3 writes its stats
 * with nlohmann::json 3.5, which prints a double with the Grisu2 algorithm (Loitsch, "Printing
 * Floating-Point Numbers Quickly and Accurately with Integers", PLDI 2010): a short digit
 * string that reads back to the same double but is not always the shortest, so printf("%.17g")
 * or a shortest-digits algorithm would differ in the last digits now and then. This is an
 * implementation of that algorithm with the same parameters (alpha = -60, gamma = -32, cached
 * powers 10^k for k = -300, -292, ..., 324 rounded to 64 bits) and the same layout rules:
 * fixed notation for values in [1e-5, 1e15) with at least one digit after the point ("3.0"),
 * otherwise d.ddde+XX; "-0.0" for negative zero; "null" for NaN and infinities.
 */
#include "dram_internal.h"

#include <math.h>

/* A "do-it-yourself" float: f x 2^e. */
typedef struct diy {
    uint64_t f;
    int e;
} diy;

/* 10^k ~= f x 2^e for k = -300 + 8i (the significands of 10^k, rounded to nearest). */
static const struct {
    uint64_t f;
    int e, k;
} pow10_cache[] = {
    {0xAB70FE17C79AC6CA, -1060, -300}, {0xFF77B1FCBEBCDC4F, -1034, -292},
    {0xBE5691EF416BD60C, -1007, -284}, {0x8DD01FAD907FFC3C, -980, -276},
    {0xD3515C2831559A83, -954, -268},  {0x9D71AC8FADA6C9B5, -927, -260},
    {0xEA9C227723EE8BCB, -901, -252},  {0xAECC49914078536D, -874, -244},
    {0x823C12795DB6CE57, -847, -236},  {0xC21094364DFB5637, -821, -228},
    {0x9096EA6F3848984F, -794, -220},  {0xD77485CB25823AC7, -768, -212},
    {0xA086CFCD97BF97F4, -741, -204},  {0xEF340A98172AACE5, -715, -196},
    {0xB23867FB2A35B28E, -688, -188},  {0x84C8D4DFD2C63F3B, -661, -180},
    {0xC5DD44271AD3CDBA, -635, -172},  {0x936B9FCEBB25C996, -608, -164},
    {0xDBAC6C247D62A584, -582, -156},  {0xA3AB66580D5FDAF6, -555, -148},
    {0xF3E2F893DEC3F126, -529, -140},  {0xB5B5ADA8AAFF80B8, -502, -132},
    {0x87625F056C7C4A8B, -475, -124},  {0xC9BCFF6034C13053, -449, -116},
    {0x964E858C91BA2655, -422, -108},  {0xDFF9772470297EBD, -396, -100},
    {0xA6DFBD9FB8E5B88F, -369, -92},   {0xF8A95FCF88747D94, -343, -84},
    {0xB94470938FA89BCF, -316, -76},   {0x8A08F0F8BF0F156B, -289, -68},
    {0xCDB02555653131B6, -263, -60},   {0x993FE2C6D07B7FAC, -236, -52},
    {0xE45C10C42A2B3B06, -210, -44},   {0xAA242499697392D3, -183, -36},
    {0xFD87B5F28300CA0E, -157, -28},   {0xBCE5086492111AEB, -130, -20},
    {0x8CBCCC096F5088CC, -103, -12},   {0xD1B71758E219652C, -77, -4},
    {0x9C40000000000000, -50, 4},      {0xE8D4A51000000000, -24, 12},
    {0xAD78EBC5AC620000, 3, 20},       {0x813F3978F8940984, 30, 28},
    {0xC097CE7BC90715B3, 56, 36},      {0x8F7E32CE7BEA5C70, 83, 44},
    {0xD5D238A4ABE98068, 109, 52},     {0x9F4F2726179A2245, 136, 60},
    {0xED63A231D4C4FB27, 162, 68},     {0xB0DE65388CC8ADA8, 189, 76},
    {0x83C7088E1AAB65DB, 216, 84},     {0xC45D1DF942711D9A, 242, 92},
    {0x924D692CA61BE758, 269, 100},    {0xDA01EE641A708DEA, 295, 108},
    {0xA26DA3999AEF774A, 322, 116},    {0xF209787BB47D6B85, 348, 124},
    {0xB454E4A179DD1877, 375, 132},    {0x865B86925B9BC5C2, 402, 140},
    {0xC83553C5C8965D3D, 428, 148},    {0x952AB45CFA97A0B3, 455, 156},
    {0xDE469FBD99A05FE3, 481, 164},    {0xA59BC234DB398C25, 508, 172},
    {0xF6C69A72A3989F5C, 534, 180},    {0xB7DCBF5354E9BECE, 561, 188},
    {0x88FCF317F22241E2, 588, 196},    {0xCC20CE9BD35C78A5, 614, 204},
    {0x98165AF37B2153DF, 641, 212},    {0xE2A0B5DC971F303A, 667, 220},
    {0xA8D9D1535CE3B396, 694, 228},    {0xFB9B7CD9A4A7443C, 720, 236},
    {0xBB764C4CA7A44410, 747, 244},    {0x8BAB8EEFB6409C1A, 774, 252},
    {0xD01FEF10A657842C, 800, 260},    {0x9B10A4E5E9913129, 827, 268},
    {0xE7109BFBA19C0C9D, 853, 276},    {0xAC2820D9623BF429, 880, 284},
    {0x80444B5E7AA7CF85, 907, 292},    {0xBF21E44003ACDD2D, 933, 300},
    {0x8E679C2F5E44FF8F, 960, 308},    {0xD433179D9C8CB841, 986, 316},
    {0x9E19DB92B4E31BA9, 1013, 324},
};

/* The upper 64 bits of the 128-bit product, rounded half up (Grisu's multiplication). */
static diy diy_mul(diy x, diy y)
{
    mmt__u128 p = (mmt__u128)x.f * y.f;
    uint64_t hi = (uint64_t)(p >> 64);
    uint64_t lo = (uint64_t)p;
    hi += lo >> 63;
    return (diy){hi, x.e + y.e + 64};
}

static diy diy_normalize(diy x)
{
    int s = __builtin_clzll(x.f);
    return (diy){x.f << s, x.e - s};
}

/* v > 0 finite: its normalized value and the normalized neighbours' midpoints m-, m+ (both
 * with m+'s exponent). */
static void boundaries(double v, diy *w, diy *lo, diy *hi)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    uint64_t E = bits >> 52, F = bits & ((UINT64_C(1) << 52) - 1);
    diy x = E ? (diy){F + (UINT64_C(1) << 52), (int)E - 1075} : (diy){F, -1074};
    diy mp = {2 * x.f + 1, x.e - 1};
    /* the lower neighbour is closer when v is a power of two (not the smallest normal) */
    diy mm = (F == 0 && E > 1) ? (diy){4 * x.f - 1, x.e - 2} : (diy){2 * x.f - 1, x.e - 1};
    *hi = diy_normalize(mp);
    *lo = (diy){mm.f << (mm.e - hi->e), hi->e};
    *w = diy_normalize(x);
}

/* Moves the last digit down while that brings the number closer to w (Grisu's "weed"). */
static void round_weed(char *buf, int len, uint64_t dist, uint64_t delta, uint64_t rest,
                       uint64_t ten_k)
{
    while (rest < dist && delta - rest >= ten_k &&
           (rest + ten_k < dist || dist - rest > rest + ten_k - dist)) {
        buf[len - 1]--;
        rest += ten_k;
    }
}

/* Digits of M+ until they are within delta of it; *dexp is the decimal exponent. */
static int digit_gen(char *buf, int *dexp, diy Mm, diy w, diy Mp)
{
    uint64_t delta = Mp.f - Mm.f, dist = Mp.f - w.f;
    int sh = -Mp.e;
    uint64_t one = UINT64_C(1) << sh;
    uint32_t p1 = (uint32_t)(Mp.f >> sh);
    uint64_t p2 = Mp.f & (one - 1);
    uint32_t pow10 = 1;
    int n = 1;
    while (n < 10 && p1 >= pow10 * 10u)
        pow10 *= 10, n++;
    int len = 0;
    while (n > 0) {
        buf[len++] = (char)('0' + p1 / pow10);
        p1 %= pow10;
        n--;
        uint64_t rest = ((uint64_t)p1 << sh) + p2;
        if (rest <= delta) {
            *dexp += n;
            round_weed(buf, len, dist, delta, rest, (uint64_t)pow10 << sh);
            return len;
        }
        pow10 /= 10;
    }
    int m = 0;
    for (;;) {
        p2 *= 10;
        buf[len++] = (char)('0' + (p2 >> sh));
        p2 &= one - 1;
        m++;
        delta *= 10;
        dist *= 10;
        if (p2 <= delta)
            break;
    }
    *dexp -= m;
    round_weed(buf, len, dist, delta, p2, one);
    return len;
}

/* Grisu2 of v > 0: the digits into buf, v ~= digits x 10^dexp; returns their count. */
static int grisu2(double v, char *buf, int *dexp)
{
    diy w, lo, hi;
    boundaries(v, &w, &lo, &hi);
    /* the cached power that brings hi's exponent into [alpha, gamma] */
    int f = -60 - hi.e - 1;
    int k = (f * 78913) / (1 << 18) + (f > 0);
    int i = (300 + k + 7) / 8;
    diy c = {pow10_cache[i].f, pow10_cache[i].e};
    diy W = diy_mul(w, c), Wm = diy_mul(lo, c), Wp = diy_mul(hi, c);
    Wm.f += 1;
    Wp.f -= 1;
    *dexp = -pow10_cache[i].k;
    return digit_gen(buf, dexp, Wm, W, Wp);
}

int mmt__json_double(double v, char *out)
{
    if (!isfinite(v)) {
        memcpy(out, "null", 5);
        return 4;
    }
    char *p = out;
    if (signbit(v)) {
        *p++ = '-';
        v = -v;
    }
    if (v == 0) {
        memcpy(p, "0.0", 4);
        return (int)(p - out) + 3;
    }
    char d[24];
    int dexp = 0;
    int k = grisu2(v, d, &dexp);
    int n = k + dexp;        /* the value is 0.d1d2... x 10^n */
    if (k <= n && n <= 15) { /* an integer: digits, zeros, ".0" */
        memcpy(p, d, (size_t)k);
        memset(p + k, '0', (size_t)(n - k));
        p += n;
        memcpy(p, ".0", 2);
        p += 2;
    } else if (0 < n && n <= 15) { /* the point inside the digits */
        memcpy(p, d, (size_t)n);
        p[n] = '.';
        memcpy(p + n + 1, d + n, (size_t)(k - n));
        p += k + 1;
    } else if (-4 < n && n <= 0) { /* 0.000ddd */
        memcpy(p, "0.", 2);
        memset(p + 2, '0', (size_t)-n);
        memcpy(p + 2 - n, d, (size_t)k);
        p += 2 - n + k;
    } else { /* d.ddde+XX */
        *p++ = d[0];
        if (k > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)(k - 1));
            p += k - 1;
        }
        int e = n - 1;
        *p++ = 'e';
        *p++ = e < 0 ? '-' : '+';
        if (e < 0)
            e = -e;
        if (e >= 100)
            *p++ = (char)('0' + e / 100);
        *p++ = (char)('0' + e / 10 % 10);
        *p++ = (char)('0' + e % 10);
    }
    *p = '\0';
    return (int)(p - out);
}
