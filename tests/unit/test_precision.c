/* test_precision.c - operand widths: the [precision] cfg section, the capacity, bandwidth and
 * byte arithmetic at its edges (1 bit, 32 bits, fractions, tiny SRAMs), the memory model at
 * several widths against the Python model of the spec (/work/shared/scalesim-model, run with
 * the element sizes and bandwidths the rules give), a hand-worked USER case where 2-bit weights
 * remove every filter stall, and BYTES_REPORT.csv. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mmtrace.h"
#include "unit_util.h"

/* ---------------------------------------------------------------- parsing a width */

static int32_t bits_ok(const char *s)
{
    int32_t v = -1;
    assert_int_equal(mmt_precision_parse_bits(s, strlen(s), &v), 0);
    return v;
}

static int bits_err(const char *s)
{
    int32_t v = -1;
    int r = mmt_precision_parse_bits(s, strlen(s), &v);
    assert_int_equal(v, -1); /* untouched on error */
    return r;
}

/* Widths are decimals with up to three places, from 1 to 32, in thousandths of a bit. */
static void test_parse_bits(void **state)
{
    (void)state;
    assert_int_equal(bits_ok("1"), 1000);
    assert_int_equal(bits_ok("8"), 8000);
    assert_int_equal(bits_ok("32"), 32000);
    assert_int_equal(bits_ok("1.58"), 1580);
    assert_int_equal(bits_ok("1.67"), 1670);
    assert_int_equal(bits_ok("1.585"), 1585);
    assert_int_equal(bits_ok("2.5"), 2500);
    assert_int_equal(bits_ok("08"), 8000);
    assert_int_equal(bits_ok("32.000"), 32000);
    assert_int_equal(bits_ok("1.000"), 1000);
    /* not a decimal of that form */
    const char *const bad[] = {"",    "two", "1.",   ".5",  "1.5849", "-1",  "+2",  "1e1",
                               "nan", "8 ",  " 8",   "8,",  "1..5",   "0x8", "1_0", "inf"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(bits_err(bad[i]), MMT_EPARSE);
    /* out of range */
    const char *const far[] = {"0", "0.999", "32.001", "33", "0.5", "99999999999999999999"};
    for (size_t i = 0; i < sizeof far / sizeof *far; i++)
        assert_int_equal(bits_err(far[i]), MMT_ERANGE);
}

/* ---------------------------------------------------------------- the arithmetic */

static int64_t elems(int64_t kb, int32_t bits)
{
    int64_t v = -1;
    assert_int_equal(mmt_precision_elems(kb, bits, &v), 0);
    return v;
}

static int64_t bw(int64_t bytes, int32_t bits)
{
    int64_t v = -1;
    assert_int_equal(mmt_precision_bw(bytes, bits, &v), 0);
    return v;
}

static int64_t nbytes(int64_t count, int32_t bits)
{
    int64_t v = -1;
    assert_int_equal(mmt_precision_bytes(count, bits, &v), 0);
    return v;
}

/* floor(S*1024*8/bits): exact at 8 bits, 8x at 1 bit, a quarter at 32; fractions floored once
 * from the exact quotient (8192/1.58 = 5184.81..., 8192/1.67 = 4905.38...). */
static void test_capacity(void **state)
{
    (void)state;
    assert_int_equal(elems(1, 8000), 1024);
    assert_int_equal(elems(64, 8000), 65536);
    assert_int_equal(elems(1, 1000), 8192);
    assert_int_equal(elems(1, 2000), 4096);
    assert_int_equal(elems(1, 32000), 256); /* the tiniest SRAM at the widest width */
    assert_int_equal(elems(1, 1580), 5184);
    assert_int_equal(elems(1, 1670), 4905);
    assert_int_equal(elems(3, 1585), 15505); /* 24576/1.585 = 15505.36 */
    assert_int_equal(elems(1, 3000), 2730);  /* 8192/3 = 2730.67: floored, not rounded */
    assert_int_equal(elems(1, 31999), 256);  /* 256.008 */
    assert_int_equal(elems(0, 1000), 0);
    /* 64-bit edges: the largest KB size at 8 bits; 1 bit overflows where 8 bits does not */
    const int64_t kbmax = INT64_MAX / 1024;
    assert_int_equal(elems(kbmax, 8000), kbmax * 1024);
    assert_int_equal(elems(kbmax, 32000), kbmax * 256);
    int64_t v = 7;
    assert_int_equal(mmt_precision_elems(kbmax, 1000, &v), MMT_EOVERFLOW);
    assert_int_equal(mmt_precision_elems(kbmax, 7999, &v), MMT_EOVERFLOW);
    assert_int_equal(elems(kbmax / 8, 1000), kbmax / 8 * 8192); /* 2^63 - 8192 */
    assert_int_equal(mmt_precision_elems(kbmax / 8 + 1, 1000, &v), MMT_EOVERFLOW);
    assert_int_equal(mmt_precision_elems(kbmax + 1, 8000, &v), MMT_EOVERFLOW);
    assert_int_equal(mmt_precision_elems(-1, 8000, &v), MMT_EINVAL);
    assert_int_equal(mmt_precision_elems(1, 999, &v), MMT_EINVAL);
    assert_int_equal(mmt_precision_elems(1, 32001, &v), MMT_EINVAL);
    assert_int_equal(v, 7);
}

/* floor(B*8/bits) elements per cycle, and at least one. */
static void test_bandwidth(void **state)
{
    (void)state;
    assert_int_equal(bw(10, 8000), 10);
    assert_int_equal(bw(10, 1000), 80);
    assert_int_equal(bw(10, 2000), 40);
    assert_int_equal(bw(10, 1580), 50); /* 50.63 */
    assert_int_equal(bw(10, 1670), 47); /* 47.90 */
    assert_int_equal(bw(10, 32000), 2); /* 2.5 */
    assert_int_equal(bw(1, 8000), 1);
    assert_int_equal(bw(1, 1000), 8);
    assert_int_equal(bw(1, 1580), 5);
    assert_int_equal(bw(4, 32000), 1);
    assert_int_equal(bw(INT64_MAX, 8000), INT64_MAX);
    int64_t v = 7;
    assert_int_equal(mmt_precision_bw(3, 32000, &v), MMT_ERANGE); /* 0.75 element */
    assert_int_equal(mmt_precision_bw(1, 8001, &v), MMT_ERANGE);
    assert_int_equal(mmt_precision_bw(0, 8000, &v), MMT_ERANGE);
    assert_int_equal(mmt_precision_bw(INT64_MAX, 7999, &v), MMT_EOVERFLOW);
    assert_int_equal(mmt_precision_bw(-1, 8000, &v), MMT_EINVAL);
    assert_int_equal(v, 7);
}

/* ceil(n*bits/8): packed, a partial byte counts whole. */
static void test_bytes(void **state)
{
    (void)state;
    assert_int_equal(nbytes(1024, 8000), 1024);
    assert_int_equal(nbytes(1024, 2000), 256);
    assert_int_equal(nbytes(1, 1000), 1);
    assert_int_equal(nbytes(9, 1000), 2);
    assert_int_equal(nbytes(3, 32000), 12);
    assert_int_equal(nbytes(100, 1580), 20); /* 19.75 */
    assert_int_equal(nbytes(3, 1670), 1);    /* 0.626: TL2 packs 3 weights into 5 bits */
    assert_int_equal(nbytes(0, 1580), 0);
    assert_int_equal(nbytes(INT64_MAX, 8000), INT64_MAX);
    assert_int_equal(nbytes(INT64_MAX, 1000), INT64_MAX / 8 + 1);
    int64_t v = 7;
    assert_int_equal(mmt_precision_bytes(INT64_MAX, 8001, &v), MMT_EOVERFLOW);
    assert_int_equal(mmt_precision_bytes(-1, 8000, &v), MMT_EINVAL);
    assert_int_equal(v, 7);
}

/* ---------------------------------------------------------------- the cfg section */

/* A USER-mode cfg (bandwidth bw bytes) with 1 KB filter SRAM, followed by extra. */
static int parse(const char *extra, int64_t bw_bytes, const char *mode, mmt_config *c,
                 mmt_diag *d)
{
    char text[2048];
    snprintf(text, sizeof text,
             "[general]\nrun_name = t\n"                                  /* 1-2 */
             "[architecture_presets]\nArrayHeight: 4\nArrayWidth: 4\n"    /* 3-5 */
             "IfmapSramSzkB: 64\nFilterSramSzkB: 1\nOfmapSramSzkB: 64\n"  /* 6-8 */
             "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n" /* 9-11 */
             "Bandwidth : %lld\nDataflow : os\n"                          /* 12-13 */
             "[run_presets]\nInterfaceBandwidth: %s\n"                    /* 14-15 */
             "%s",
             (long long)bw_bytes, mode, extra);
    memset(d, 0, sizeof *d);
    return mmt_config_parse("p.cfg", text, strlen(text), c, d, NULL, NULL);
}

/* Without the section every width is the default and nothing is flagged. */
static void test_cfg_absent(void **state)
{
    (void)state;
    mmt_config c;
    mmt_diag d;
    assert_int_equal(parse("", 1, "USER", &c, &d), 0);
    assert_int_equal(c.has_precision, 0);
    for (int op = 0; op < 3; op++) {
        assert_int_equal(c.bits_milli[op], 0);
        assert_int_equal(mmt_precision_bits(&c, (mmt_operand)op), 8000);
    }
    /* keys that look like widths elsewhere are not read */
    assert_int_equal(parse("[other]\nFilterBits = 2\n", 1, "USER", &c, &d), 0);
    assert_int_equal(c.has_precision, 0);
    assert_int_equal(mmt_precision_bits(&c, MMT_OP_FILTER), 8000);
}

/* Keys are optional and case-insensitive; "key: value" works; [DEFAULT] supplies keys. */
static void test_cfg_present(void **state)
{
    (void)state;
    mmt_config c;
    mmt_diag d;
    assert_int_equal(parse("[precision]\nfilterbits: 1.58\n", 1, "USER", &c, &d), 0);
    assert_int_equal(c.has_precision, 1);
    assert_int_equal(mmt_precision_bits(&c, MMT_OP_IFMAP), 8000);
    assert_int_equal(mmt_precision_bits(&c, MMT_OP_FILTER), 1580);
    assert_int_equal(mmt_precision_bits(&c, MMT_OP_OFMAP), 8000);
    assert_int_equal(parse("[precision]\n", 1, "CALC", &c, &d), 0);
    assert_int_equal(c.has_precision, 1);
    assert_int_equal(mmt_precision_bits(&c, MMT_OP_FILTER), 8000);
    assert_int_equal(parse("[precision]\nIfmapBits = 32\nFilterBits = 1\nOFMAPBITS = 1.67\n", 4,
                           "USER", &c, &d),
                     0);
    assert_int_equal(c.bits_milli[0], 32000);
    assert_int_equal(c.bits_milli[1], 1000);
    assert_int_equal(c.bits_milli[2], 1670);
    assert_int_equal(parse("[DEFAULT]\nOfmapBits = 4\n[precision]\n", 1, "USER", &c, &d), 0);
    assert_int_equal(mmt_precision_bits(&c, MMT_OP_OFMAP), 4000);
    int64_t n;
    assert_int_equal(mmt_precision_sram_elems(&c, MMT_OP_FILTER, &n), 0);
    assert_int_equal(n, 1024);
    assert_int_equal(mmt_precision_sram_elems(&c, MMT_OP_OFMAP, &n), 0);
    assert_int_equal(n, 131072);
    assert_int_equal(mmt_precision_dram_bw(&c, MMT_OP_OFMAP, &n), 0);
    assert_int_equal(n, 2);
    /* CALC: the base bandwidth 10 bytes, and the ofmap at the array width whatever its width */
    assert_int_equal(parse("[precision]\nFilterBits = 1\nOfmapBits = 32\n", 1, "CALC", &c, &d),
                     0);
    assert_int_equal(mmt_precision_dram_bw(&c, MMT_OP_IFMAP, &n), 0);
    assert_int_equal(n, 10);
    assert_int_equal(mmt_precision_dram_bw(&c, MMT_OP_FILTER, &n), 0);
    assert_int_equal(n, 80);
    assert_int_equal(mmt_precision_dram_bw(&c, MMT_OP_OFMAP, &n), 0);
    assert_int_equal(n, 4);
}

/* Malformed or unusable widths: one diagnostic with the file and the line. */
static void test_cfg_errors(void **state)
{
    (void)state;
    static const struct {
        const char *extra;
        int64_t bw;
        int err;
        long line;
        const char *msg;
    } cases[] = {
        {"[precision]\nFilterBits = two\n", 1, MMT_EPARSE, 17,
         "FilterBits: expected a number of bits such as 2 or 1.58 (at most three decimals), "
         "got 'two'"},
        {"[precision]\nIfmapBits = 1.5849\n", 1, MMT_EPARSE, 17, NULL},
        {"[precision]\nOfmapBits = 0\n", 1, MMT_ERANGE, 17,
         "OfmapBits = 0: must be from 1 to 32 bits"},
        {"[precision]\n\nOfmapBits = 33\n", 1, MMT_ERANGE, 18, NULL},
        {"[precision]\nFilterBits = \n", 1, MMT_EPARSE, 17, NULL},
        {"[precision]\nWeightBits = 2\n", 1, MMT_EPARSE, 17,
         "unknown key 'weightbits' in section [precision] (expected IfmapBits, FilterBits or "
         "OfmapBits)"},
        {"[precision]\nFilterBits = 2\nFilterBits = 4\n", 1, MMT_EPARSE, 18, NULL},
        {"[precision]\n[precision]\n", 1, MMT_EPARSE, 17, NULL},
        /* 3 bytes per cycle carry less than one 32-bit element */
        {"[precision]\nIfmapBits = 32\n", 3, MMT_ERANGE, 17,
         "IfmapBits = 32: Bandwidth 3 bytes/cycle moves less than one element of that width "
         "per cycle"},
        {"[precision]\nOfmapBits = 9\n", 1, MMT_ERANGE, 17, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mmt_config c;
        mmt_diag d;
        assert_int_equal(parse(cases[i].extra, cases[i].bw, "USER", &c, &d), cases[i].err);
        assert_string_equal(d.file, "p.cfg");
        assert_int_equal(d.line, cases[i].line);
        if (cases[i].msg)
            assert_string_equal(d.message, cases[i].msg);
    }
    /* CALC never reads Bandwidth, so a wide operand is fine there */
    mmt_config c;
    mmt_diag d;
    assert_int_equal(parse("[precision]\nIfmapBits = 32\n", 3, "CALC", &c, &d), 0);
}

/* An SRAM whose element count at 1 bit passes 2^63-1 is refused at the width's line. */
static void test_cfg_overflow(void **state)
{
    (void)state;
    const char *text = "[general]\nrun_name = t\n[architecture_presets]\nArrayHeight: 4\n"
                       "ArrayWidth: 4\nIfmapSramSzkB: 9007199254740991\nFilterSramSzkB: 1\n"
                       "OfmapSramSzkB: 1\nIfmapOffset: 0\nFilterOffset: 10000000\n"
                       "OfmapOffset: 20000000\nBandwidth : 1\nDataflow : os\n[run_presets]\n"
                       "InterfaceBandwidth: CALC\n[precision]\nIfmapBits = 1\n";
    mmt_config c;
    mmt_diag d;
    assert_int_equal(mmt_config_parse("p.cfg", text, strlen(text), &c, &d, NULL, NULL),
                     MMT_EOVERFLOW);
    assert_int_equal(d.line, 17);
    assert_string_equal(d.message,
                        "IfmapBits = 1: IfmapSramSzkB holds more than 2^63-1 elements of that "
                        "width");
}

/* ---------------------------------------------------------------- the memory model */

/* A GEMM layer M x K times K x N as SCALE-Sim maps it (doc/scalesim-v2.md §3.2). */
static void gemm(const mmt_config *c, mmt_geom *g, int64_t M, int64_t N, int64_t K)
{
    mmt_layer l = {.ifmap_h = M, .ifmap_w = K, .filt_h = 1, .filt_w = K, .channels = 1,
                   .num_filt = N, .stride_h = 1, .stride_w = 1};
    assert_int_equal(mmt_geom_init(g, &l, c, NULL), 0);
}

/* What the Python model of the spec gives for one layer. */
typedef struct expect {
    int64_t total, stall, dram[3], dstart[3], dstop[3];
} expect;

static void check(const mmt_layer_result *r, const expect *e)
{
    assert_int_equal(r->total_cycles, e->total);
    assert_int_equal(r->stall_cycles, e->stall);
    for (int op = 0; op < 3; op++) {
        assert_int_equal(r->dram_count[op], e->dram[op]);
        assert_int_equal(r->dram_start[op], e->dstart[op]);
        assert_int_equal(r->dram_stop[op], e->dstop[op]);
    }
}

/* Runs the 4x4 OS GEMM M=4, N=4, K=256 (filter 1024 elements, one fold) under cfg text. */
static void run_small(const char *extra, int64_t bw_bytes, const char *mode,
                      mmt_layer_result *r, mmt_config *c)
{
    mmt_diag d;
    mmt_geom g;
    assert_int_equal(parse(extra, bw_bytes, mode, c, &d), 0);
    c->ifmap_kb = 64;
    gemm(c, &g, 4, 4, 256);
    assert_int_equal(mmt_sim_run(c, &g, NULL, r), 0);
}

/* The hand-worked case (USER, 1 byte per cycle, FilterSramSzkB 1, the other SRAMs 64 KB).
 * The filter prefetch list is the 1024 filter elements in demand order (OS: diag(T x C)).
 *
 * 8 bits: S = 1024, A = 512, hashed lines of E = ceil(1024/100) = 11 elements: 94 lines, 47
 * active. The initial fill takes 512 rows (cycles -512..-1, last = -1). Demand row 130 needs
 * element 517 = 47*11, the first of line 47 (rows 0-2 read 6 elements, then 4 a row): the
 * refill of ceil(512/1) = 512 rows lands at cycles 1..512, so the row is served at 512 + 1:
 * a read stall of 512 - 131 = 381. Lines 47..93 then hold the rest: no further stall.
 * Total = 1 fold x (K + R + C - 2) - 1 + 381 = 261 + 381 = 642; DRAM filter reads 512 + 512.
 *
 * 2 bits: S = 4096 elements, B = 4 elements per cycle, A = 2048, E = 41: 25 lines, all 25
 * active. The initial fill takes min(ceil(2048/4), 1024/4) = 256 rows (cycles -256..-1, 1024
 * reads) and every read hits: no stall, Total = 261, and the filter moves 256 bytes, not 1024.
 * The Python model of the spec, run with these element sizes and bandwidths, agrees. */
static void test_hand_worked_user(void **state)
{
    (void)state;
    mmt_config c;
    mmt_layer_result r8, r2;
    run_small("", 1, "USER", &r8, &c);
    const expect e8 = {642, 381, {1024, 1024, 16}, {-1024, -512, 642}, {-1, 512, 657}};
    check(&r8, &e8);
    run_small("[precision]\nFilterBits = 2\n", 1, "USER", &r2, &c);
    const expect e2 = {261, 0, {1024, 1024, 16}, {-1024, -256, 261}, {-1, -1, 276}};
    check(&r2, &e2);
    mmt_layer_bytes b;
    assert_int_equal(mmt_precision_layer_bytes(&c, &r2, &b), 0);
    assert_int_equal(b.dram[MMT_OP_FILTER], 256);
    assert_int_equal(b.sram[MMT_OP_FILTER], 256);
    assert_int_equal(b.dram[MMT_OP_IFMAP], 1024);
    assert_int_equal(b.sram[MMT_OP_OFMAP], 24);
    /* element counts in the SCALE-Sim reports do not change with the width */
    for (int op = 0; op < 3; op++)
        assert_int_equal(r8.sram_count[op], r2.sram_count[op]);
}

/* Mixed widths, each against the Python model of the spec: CALC at 1 / 1.58 / 32 bits with
 * 1 KB SRAMs (base bandwidths 80 and 50 elements); USER at 32 / 1.67 / 1 bits with 4 bytes per
 * cycle (a 256-element ifmap SRAM moving 1 element per cycle); WS at 32 / 2 / 32 bits. */
static void test_against_model(void **state)
{
    (void)state;
    mmt_config c;
    mmt_layer_result r;
    mmt_diag d;
    mmt_geom g;
    assert_int_equal(parse("[precision]\nIfmapBits = 1\nFilterBits = 1.58\nOfmapBits = 32\n", 1,
                           "CALC", &c, &d),
                     0);
    c.ifmap_kb = c.ofmap_kb = 1;
    gemm(&c, &g, 4, 4, 256);
    assert_int_equal(mmt_sim_run(&c, &g, NULL, &r), 0);
    const expect ecalc = {261, 0, {1024, 1024, 16}, {-14, -22, 261}, {-1, -1, 264}};
    check(&r, &ecalc);

    assert_int_equal(parse("[precision]\nIfmapBits = 32\nFilterBits = 1.67\nOfmapBits = 1\n", 4,
                           "USER", &c, &d),
                     0);
    c.ifmap_kb = c.ofmap_kb = 1;
    gemm(&c, &g, 4, 4, 256);
    assert_int_equal(mmt_sim_run(&c, &g, NULL, &r), 0);
    const expect euser = {935, 674, {1024, 1026, 16}, {-128, -54, 935}, {902, -1, 935}};
    check(&r, &euser);

    assert_int_equal(parse("[precision]\nIfmapBits = 32\nFilterBits = 2\nOfmapBits = 32\n", 8,
                           "USER", &c, &d),
                     0);
    c.ifmap_kb = c.ofmap_kb = 1;
    c.dataflow = MMT_DF_WS;
    gemm(&c, &g, 8, 16, 64);
    assert_int_equal(mmt_sim_run(&c, &g, NULL, &r), 0);
    const expect ews = {1648, 497, {3072, 1024, 2049}, {-64, -32, 324}, {1494, -1, 1712}};
    check(&r, &ews);
    /* the same layer at 8 bits (also the model's): no stall at all */
    assert_int_equal(parse("[precision]\nIfmapBits = 8\n", 8, "USER", &c, &d), 0);
    c.ifmap_kb = c.ofmap_kb = 1;
    c.dataflow = MMT_DF_WS;
    gemm(&c, &g, 8, 16, 64);
    assert_int_equal(mmt_sim_run(&c, &g, NULL, &r), 0);
    const expect e8 = {1151, 0, {512, 3072, 2055}, {-64, -64, 295}, {-1, 324, 1215}};
    check(&r, &e8);
}

/* All widths 8 give exactly the result of a cfg without the section (USER and CALC). */
static void test_eight_bits_identical(void **state)
{
    (void)state;
    const char *modes[2] = {"USER", "CALC"};
    for (int m = 0; m < 2; m++) {
        mmt_config c;
        mmt_layer_result a, b;
        run_small("", 1, modes[m], &a, &c);
        run_small("[precision]\nIfmapBits = 8\nFilterBits = 8.0\nOfmapBits = 8.000\n", 1,
                  modes[m], &b, &c);
        assert_memory_equal(&a, &b, sizeof a);
    }
}

/* mmt_precision_run gives a layer its own widths: the hand-worked case again, and refusals. */
static void test_run_at_widths(void **state)
{
    (void)state;
    mmt_config c;
    mmt_layer_result r, want;
    mmt_layer_bytes b;
    mmt_diag d;
    run_small("[precision]\nFilterBits = 2\n", 1, "USER", &want, &c);
    run_small("", 1, "USER", &r, &c); /* c: a plain 8-bit cfg */
    mmt_layer l = {.ifmap_h = 4, .ifmap_w = 256, .filt_h = 1, .filt_w = 256, .channels = 1,
                   .num_filt = 4, .stride_h = 1, .stride_w = 1};
    const int32_t w2[3] = {8000, 2000, 8000};
    assert_int_equal(mmt_precision_run(&c, w2, &l, &r, &b, &d), 0);
    assert_memory_equal(&r, &want, sizeof r);
    assert_int_equal(b.dram[MMT_OP_FILTER], 256);
    assert_int_equal(c.has_precision, 0); /* the caller's cfg is not changed */
    const int32_t w0[3] = {8000, 0, 8000}, w32[3] = {32000, 8000, 8000};
    assert_int_equal(mmt_precision_run(&c, w0, &l, &r, NULL, &d), MMT_ERANGE);
    assert_string_equal(d.message, "filter width 0.000 bits: must be 1 to 32");
    assert_int_equal(mmt_precision_run(&c, w32, &l, &r, NULL, &d), MMT_ERANGE);
    assert_string_equal(d.message,
                        "ifmap: the bandwidth moves less than one 32.000-bit element per cycle");
}

/* The USER-mode presets parse, with the bandwidths of the README's arithmetic, and give 2-bit
 * weights four times the weights per cycle. */
static void test_presets(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int64_t side, bw, bw2;
    } p[2] = {{"cloud-ddr3.cfg", 256, 48, 192}, {"edge-lpddr4.cfg", 64, 25, 100}};
    const char *src = getenv("MMT_SRCDIR");
    if (!src)
        src = "..";
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/topologies/hw/%s", src, p[i].file);
        mmt_config c;
        mmt_diag d;
        assert_int_equal(mmt_config_read(path, &c, &d, NULL, NULL), 0);
        assert_int_equal(c.user_bw, 1);
        assert_int_equal(c.array_h, p[i].side);
        assert_int_equal(c.array_w, p[i].side);
        assert_int_equal(c.bandwidth, p[i].bw);
        assert_int_equal(c.has_precision, 0);
        c.bits_milli[MMT_OP_FILTER] = 2000;
        int64_t n;
        assert_int_equal(mmt_precision_dram_bw(&c, MMT_OP_FILTER, &n), 0);
        assert_int_equal(n, p[i].bw2);
    }
}

/* BYTES_REPORT.csv: SCALE-Sim's report layout, one row per layer, bytes at the widths. */
static void test_bytes_report(void **state)
{
    (void)state;
    mmt_config c;
    mmt_layer_result r[2];
    run_small("", 1, "USER", &r[0], &c);
    run_small("[precision]\nFilterBits = 2\nOfmapBits = 1.58\n", 1, "USER", &r[1], &c);
    char dir[] = "/tmp/test_precision.XXXXXX", p[256];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(mmt_report_bytes_write(dir, &c, r, 2, NULL), 0);
    snprintf(p, sizeof p, "%s/BYTES_REPORT.csv", dir);
    /* ofmap: 24 SRAM writes x 1.58 bits = 4.74 -> 5 bytes; 16 DRAM writes -> 3.16 -> 4 */
    assert_string_equal(unit_slurp(p),
                        "LayerID, SRAM IFMAP Bytes Read, SRAM Filter Bytes Read, SRAM OFMAP Bytes "
                        "Written, DRAM IFMAP Bytes Read, DRAM Filter Bytes Read, DRAM OFMAP Bytes "
                        "Written,\n"
                        "0, 1024, 256, 5, 1024, 256, 4,\n"
                        "1, 1024, 256, 5, 1024, 256, 4,\n");
    unlink(p);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_bits),      cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_bandwidth),       cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_cfg_absent),      cmocka_unit_test(test_cfg_present),
        cmocka_unit_test(test_cfg_errors),      cmocka_unit_test(test_cfg_overflow),
        cmocka_unit_test(test_hand_worked_user), cmocka_unit_test(test_against_model),
        cmocka_unit_test(test_eight_bits_identical), cmocka_unit_test(test_bytes_report),
        cmocka_unit_test(test_run_at_widths),  cmocka_unit_test(test_presets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
