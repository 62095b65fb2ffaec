/* test_stream_policy.c - the stream memory policy (sim_stream.c, doc/memory.md): hand-worked
 * layers whose times and DRAM counts are derived in the comments, the residency rule, the
 * invariants (time >= both bounds; fewer weight bits never slower; the speed-up of w-bit
 * weights at most 8/w on decode layers, swept from 1 to 8 bits in steps of 0.01; a
 * bandwidth-bound GEMV within 2% of its bytes bound plus one fold), SCALE-Sim's policy
 * unchanged by a [memory] section, and the [memory] parser's refusals. */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_internal.h"
#include "unit_util.h"

/* An R x C array on the ideal memory at bw bytes per cycle, SRAMs of kb KB each. */
static mmt_config scfg(int64_t R, int64_t C, mmt_dataflow df, int64_t bw, int64_t kb)
{
    mmt_config c = unit_cfg(R, C, df);
    c.ifmap_kb = c.filter_kb = c.ofmap_kb = kb;
    c.user_bw = 1, c.bandwidth = bw;
    c.has_memory = 1, c.mem_policy = MMT_MEM_STREAM;
    return c;
}

/* Runs GEMM M x N x K under cfg; the result and the bounds. */
static void run(const mmt_config *c, int64_t M, int64_t N, int64_t K, mmt_layer_result *res,
                mmt_layer_bounds *b)
{
    mmt_layer l = unit_gemm(M, N, K);
    mmt_geom g;
    assert_int_equal(mmt_geom_init(&g, &l, c, NULL), 0);
    assert_int_equal(mmt_sim_run(c, &g, NULL, res), 0);
    assert_int_equal(mmt_sim_bounds(c, &g, b), 0);
}

/* OS 4x4, 4 B/cycle, 1 KB SRAMs, GEMV 1 x 8 x 16: 2 column folds of L = 16+4+4-2 = 22 rows,
 * compute bound 43. One element is 1/4 cycle. Both operands fit: ifmap (16 B) read once by
 * fold 0 in [0, 4), the filter tiles (16 x 4 = 64 B) in [4, 20) and [20, 36). Fold 0 ends at
 * max(22, 20 + C-1 = 23) = 23; its 4 outputs leave in [36, 37); fold 1 ends at 23 + 22 = 45;
 * its outputs in [45, 46). Total = max(45 - 1, 46) = 46, stall 3; bytes bound 152 / 4 = 38. */
static void test_hand_gemv(void **state)
{
    (void)state;
    mmt_config c = scfg(4, 4, MMT_DF_OS, 4, 1);
    mmt_layer_result r;
    mmt_layer_bounds b;
    run(&c, 1, 8, 16, &r, &b);
    assert_int_equal(r.total_cycles, 46);
    assert_int_equal(r.stall_cycles, 3);
    assert_int_equal(r.dram_count[0], 16);
    assert_int_equal(r.dram_count[1], 128);
    assert_int_equal(r.dram_count[2], 8);
    assert_int_equal(b.compute_cycles, 43);
    assert_int_equal(b.bytes, 152);
    assert_int_equal(b.bytes_cycles, 38);
    assert_int_equal(b.bound_cycles, 43);
}

/* The same GEMV with 2-bit weights: the filter tiles take 4 cycles each, [4, 8) and [8, 12);
 * fold 0 ends at max(22, 12 + 3) = 22, fold 1 at 44; outputs [22, 23) and [44, 45); total
 * max(43, 45) = 45. The filter is 128 elements, 32 bytes. */
static void test_hand_gemv_2bit(void **state)
{
    (void)state;
    mmt_config c = scfg(4, 4, MMT_DF_OS, 4, 1);
    c.has_precision = 1, c.bits_milli[MMT_OP_FILTER] = 2000;
    mmt_layer_result r;
    mmt_layer_bounds b;
    run(&c, 1, 8, 16, &r, &b);
    assert_int_equal(r.total_cycles, 45);
    assert_int_equal(r.dram_count[1], 128);
    assert_int_equal(b.bytes, 16 + 32 + 8);
}

/* The residency rule (doc/memory.md), OS 4x4, 1 KB SRAMs:
 *   M=8, N=64, K=64: the ifmap (512 B) fits its SRAM: read once; the filter (4 KB) does not,
 *   but its column tile (64 x 4 = 256 B) fits half of it: kept over the 2 row folds, read once;
 *   M=8, N=64, K=512: the ifmap (4 KB) does not fit: its row tile is fetched by every fold,
 *   M*K*col_fold; the filter tile (2 KB) is over half the SRAM: fetched by every fold,
 *   N*K*row_fold. A decode GEMV reads each weight once. */
static void test_residency(void **state)
{
    (void)state;
    mmt_config c = scfg(4, 4, MMT_DF_OS, 8, 1);
    mmt_layer_result r;
    mmt_layer_bounds b;
    run(&c, 8, 64, 64, &r, &b);
    assert_int_equal(r.dram_count[0], 8 * 64);
    assert_int_equal(r.dram_count[1], 64 * 64);
    assert_int_equal(r.dram_count[2], 8 * 64);
    run(&c, 8, 64, 512, &r, &b);
    assert_int_equal(r.dram_count[0], 8 * 512 * 16);
    assert_int_equal(r.dram_count[1], 64 * 512 * 2);
    for (int df = 0; df < 3; df++) { /* decode: every weight once, on every dataflow */
        c = scfg(4, 4, (mmt_dataflow)df, 8, 1);
        run(&c, 1, 256, 512, &r, &b);
        assert_int_equal(r.dram_count[1], 256 * 512);
        assert_int_equal(r.dram_count[0], 512);
        assert_int_equal(r.dram_count[2], 256);
    }
    /* WS and IS: the stationary operand is read once, whatever fits */
    c = scfg(4, 4, MMT_DF_WS, 8, 1);
    run(&c, 8, 64, 512, &r, &b);
    assert_int_equal(r.dram_count[1], 64 * 512);
    c = scfg(4, 4, MMT_DF_IS, 8, 1);
    run(&c, 8, 64, 512, &r, &b);
    assert_int_equal(r.dram_count[0], 8 * 512);
}

/* Time at FilterBits = milli on c for GEMM M x N x K; checks both bounds on the way. */
static int64_t time_at(mmt_config c, int32_t milli, int64_t M, int64_t N, int64_t K)
{
    c.has_precision = 1, c.bits_milli[MMT_OP_FILTER] = milli;
    mmt_layer_result r;
    mmt_layer_bounds b;
    run(&c, M, N, K, &r, &b);
    assert_true(r.total_cycles >= b.compute_cycles);
    assert_true(r.total_cycles >= b.bytes_cycles);
    assert_int_equal(r.stall_cycles, r.total_cycles - b.compute_cycles);
    return r.total_cycles;
}

/* Sweeps 1.00 .. 8.00 bits in steps of 0.01: never slower with fewer bits, and the speed-up
 * over 8 bits at most 8/w (decode layers: M up to the array's rows). */
static void sweep(const mmt_config *c, int64_t M, int64_t N, int64_t K)
{
    int64_t t8 = time_at(*c, 8000, M, N, K), prev = 0;
    for (int32_t b = 1000; b <= 8000; b += 10) {
        int64_t t = time_at(*c, b, M, N, K);
        /* 8/w up to Total Cycles' rounding up (one cycle) */
        if (t < prev || (double)t8 * b > 8000.0 * (double)(t + 1)) {
            fprintf(stderr,
                    "%s M=%" PRId64 " N=%" PRId64 " K=%" PRId64 " bw=%" PRId64
                    ": %.2f bits %" PRId64 " cycles, previous %" PRId64 ", 8 bits %" PRId64 "\n",
                    mmt_dataflow_name(c->dataflow), M, N, K, c->bandwidth, b / 1000.0, t, prev, t8);
            fail();
        }
        prev = t;
    }
}

static void test_invariants(void **state)
{
    (void)state;
    static const int64_t shapes[][3] = {
        {1, 768, 768}, {1, 3072, 768}, {4, 1000, 333}, {1, 37, 5000}, {2, 2304, 512}};
    static const int64_t bws[] = {1, 16, 256};
    for (int df = 0; df < 3; df++)
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
            for (size_t k = 0; k < sizeof bws / sizeof *bws; k++) {
                mmt_config c = scfg(32, 32, (mmt_dataflow)df, bws[k], 64);
                sweep(&c, shapes[s][0], shapes[s][1], shapes[s][2]);
            }
}

/* Fewer bits are never slower on layers with many row folds too (where a matrix that stops
 * fitting is re-read, so 8/w does not bound the speed-up: doc/memory.md). */
static void test_monotone_prefill(void **state)
{
    (void)state;
    for (int df = 0; df < 3; df++) {
        mmt_config c = scfg(8, 8, (mmt_dataflow)df, 8, 4);
        int64_t prev = 0;
        for (int32_t b = 1000; b <= 8000; b += 50) {
            int64_t t = time_at(c, b, 100, 300, 700);
            assert_true(t >= prev);
            prev = t;
        }
    }
}

/* A bandwidth-bound GEMV on the ideal memory: within 2% of its bytes bound plus one fold. */
static void test_gemv_bound(void **state)
{
    (void)state;
    static const int64_t bws[] = {8, 16, 48};
    int checked = 0;
    for (int df = 0; df < 3; df++)
        for (size_t k = 0; k < 3; k++) {
            mmt_config c = scfg(128, 128, (mmt_dataflow)df, bws[k], 1024);
            mmt_layer_result r;
            mmt_layer_bounds b;
            run(&c, 1, 4096, 4096, &r, &b);
            mmt_layer l = unit_gemm(1, 4096, 4096);
            mmt_geom g;
            mmt_geom_init(&g, &l, &c, NULL);
            if (b.bytes_cycles <= b.compute_cycles)
                continue; /* WS at 48 B/cycle: compute-bound */
            checked++;
            assert_true(r.total_cycles >= b.bytes_cycles);
            assert_true((double)r.total_cycles <= 1.02 * (double)(b.bytes_cycles + g.L));
        }
    assert_true(checked >= 7);
}

/* [memory] Policy = scalesim changes nothing: the same result as without the section. */
static void test_scalesim_unchanged(void **state)
{
    (void)state;
    const char *a = "[general]\nrun_name = t\n[architecture_presets]\nArrayHeight: 8\n"
                    "ArrayWidth: 8\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\n"
                    "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
                    "Bandwidth: 1\nDataflow: os\n[run_presets]\nInterfaceBandwidth: USER\n";
    char b[2048];
    snprintf(b, sizeof b, "%s[memory]\nPolicy = scalesim\n", a);
    mmt_config ca, cb;
    assert_int_equal(mmt_config_parse("a.cfg", a, strlen(a), &ca, NULL, NULL, NULL), 0);
    assert_int_equal(mmt_config_parse("b.cfg", b, strlen(b), &cb, NULL, NULL, NULL), 0);
    assert_int_equal(cb.has_memory, 1);
    assert_int_equal(cb.mem_policy, MMT_MEM_SCALESIM);
    mmt_layer l = unit_gemm(1, 64, 64);
    mmt_geom g;
    mmt_layer_result ra, rb;
    memset(&ra, 0, sizeof ra), memset(&rb, 0, sizeof rb);
    assert_int_equal(mmt_geom_init(&g, &l, &ca, NULL), 0);
    assert_int_equal(mmt_sim_run(&ca, &g, NULL, &ra), 0);
    assert_int_equal(mmt_sim_run(&cb, &g, NULL, &rb), 0);
    assert_memory_equal(&ra, &rb, sizeof ra);
    mmt_layer_bounds bd;
    assert_int_equal(mmt_sim_bounds(&cb, &g, &bd), 0);
    assert_true(ra.total_cycles < bd.bound_cycles); /* SCALE-Sim's free first fill */
}

/* Parses base + extra; expects code r and, if msg, that text in the message. */
static void parse_expect(const char *extra, int r, const char *msg, long line)
{
    const char *base = "[general]\nrun_name = t\n[architecture_presets]\nArrayHeight: 8\n"
                       "ArrayWidth: 8\nIfmapSramSzkB: 4\nFilterSramSzkB: 4\nOfmapSramSzkB: 4\n"
                       "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
                       "Bandwidth: 10\nDataflow: os\n[run_presets]\nInterfaceBandwidth: USER\n";
    char text[2048];
    snprintf(text, sizeof text, "%s%s", base, extra);
    mmt_config c;
    mmt_diag d = {0};
    int got = mmt_config_parse("dir/x.cfg", text, strlen(text), &c, &d, NULL, NULL);
    if (got != r || (msg && !strstr(d.message, msg)) || (msg && d.line != line)) {
        fprintf(stderr, "%s: got %d '%s' line %ld\n", extra, got, d.message, d.line);
        fail();
    }
}

static void test_memory_parse(void **state)
{
    (void)state;
    parse_expect("[memory]\nPolicy = stream\n", 0, NULL, 0);
    parse_expect("[memory]\nPolicy = fast\n", MMT_ERANGE, "Policy 'fast'", 17);
    parse_expect("[memory]\nPolicy = stream\nSpeed = 3\n", MMT_EPARSE, "unknown key 'speed'", 18);
    parse_expect("[memory]\nSpeed = 3\n", MMT_EPARSE,
                 "unknown key 'speed' in section [memory] (expected Policy, Dram or ClockMHz)", 17);
    parse_expect("[memory]\nPolicy = stream\nClockMHz = -5\n", MMT_ERANGE, "ClockMHz", 18);
    parse_expect("[memory]\nPolicy = stream\nClockMHz = 7e\n", MMT_ERANGE, "ClockMHz", 18);
    parse_expect("[memory]\nPolicy = stream\nClockMHz = nan\n", MMT_ERANGE, "ClockMHz", 18);
    parse_expect("[memory]\nPolicy = stream\nDram = m.ini\n", MMT_EINVAL, "needs ClockMHz", 0);
    parse_expect("[memory]\nPolicy = scalesim\nDram = m.ini\nClockMHz = 700\n", MMT_EINVAL,
                 "Dram is the memory of Policy = stream", 0);
    parse_expect("[memory]\nPolicy = stream\nDram =\nClockMHz = 700\n", MMT_ERANGE, "Dram ''", 18);
    const char *nobw = "[general]\nrun_name = t\n[architecture_presets]\nArrayHeight: 8\n"
                       "ArrayWidth: 8\nIfmapSramSzkB: 4\nFilterSramSzkB: 4\nOfmapSramSzkB: 4\n"
                       "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
                       "Bandwidth: 10\nDataflow: os\n[run_presets]\nInterfaceBandwidth: CALC\n"
                       "[memory]\nPolicy = stream\n"; /* CALC: its Bandwidth means nothing */
    mmt_config c;
    mmt_diag d = {0};
    assert_int_equal(mmt_config_parse("x.cfg", nobw, strlen(nobw), &c, &d, NULL, NULL), MMT_EINVAL);
    assert_non_null(strstr(d.message, "InterfaceBandwidth USER"));
    /* Dram is relative to the cfg's folder */
    parse_expect("[memory]\nPolicy = stream\nDram = m.ini\nClockMHz = 700.5\n", 0, NULL, 0);
    const char *ok = "[general]\nrun_name = t\n[architecture_presets]\nArrayHeight: 8\n"
                     "ArrayWidth: 8\nIfmapSramSzkB: 4\nFilterSramSzkB: 4\nOfmapSramSzkB: 4\n"
                     "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\n"
                     "Dataflow: os\n[run_presets]\nInterfaceBandwidth: CALC\n"
                     "[memory]\nPolicy = stream\nDram = m.ini\nClockMHz = 700.5\n";
    assert_int_equal(mmt_config_parse("dir/x.cfg", ok, strlen(ok), &c, &d, NULL, NULL), 0);
    assert_string_equal(c.dram_path, "dir/m.ini");
    assert_true(c.clock_mhz == 700.5);
    /* a cfg written back reads back the same */
    char buf[4096];
    c.dram_path[0] = '\0', c.bandwidth = 16, c.clock_mhz = 0, c.user_bw = 1;
    int n = mmt_config_format(&c, buf, sizeof buf);
    assert_true(n > 0);
    mmt_config c2;
    assert_int_equal(mmt_config_parse("y.cfg", buf, (size_t)n, &c2, &d, NULL, NULL), 0);
    assert_int_equal(c2.mem_policy, MMT_MEM_STREAM);
    assert_int_equal(c2.bandwidth, 16);
    /* overrides */
    assert_int_equal(mmt_config_set_memory(&c2, MMT_MEM_SCALESIM, NULL, 0, &d), 0);
    assert_int_equal(c2.mem_policy, MMT_MEM_SCALESIM);
    assert_int_equal(mmt_config_set_memory(&c2, MMT_MEM_STREAM, "m.ini", 0, &d), MMT_EINVAL);
}

/* The stream policy refuses what it cannot model: traces, v3 mode, overlapping windows. */
static void test_refusals(void **state)
{
    (void)state;
    mmt_config c = scfg(4, 4, MMT_DF_OS, 4, 1);
    mmt_layer l = unit_conv(8, 8, 3, 3, 1, 4, 1, 1);
    mmt_geom g;
    mmt_layer_result r;
    assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
    assert_non_null(mmt_sim_stream_ok(&c, &g, NULL));
    assert_int_equal(mmt_sim_run(&c, &g, NULL, &r), MMT_EINVAL);
    l = unit_gemm(1, 8, 16);
    assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
    mmt_sim_opts o = {.sram_trace_path = {"x.csv.gz", NULL, NULL}};
    assert_non_null(mmt_sim_stream_ok(&c, &g, &o));
    assert_null(mmt_sim_stream_ok(&c, &g, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_gemv),          cmocka_unit_test(test_hand_gemv_2bit),
        cmocka_unit_test(test_residency),          cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_monotone_prefill),   cmocka_unit_test(test_gemv_bound),
        cmocka_unit_test(test_scalesim_unchanged), cmocka_unit_test(test_memory_parse),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
