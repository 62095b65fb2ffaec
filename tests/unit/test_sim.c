/* test_sim.c - mmt_sim (stepwise and fused), the reports and the console summary on the
 * 8x8 OS CALC GEMM 8x8x8 layer whose SCALE-Sim v2 outputs the spec quotes (§8, §9). */
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

#include "sim_internal.h"
#include "unit_util.h"

/* The 8x8 OS config with 64 KB SRAMs and the GEMM layer M, N, K (default 8, 8, 8). */
static void setup_gemm(mmt_config *cfg, mmt_geom *g, int user, int64_t bw, int64_t M,
                       int64_t N, int64_t K)
{
    *cfg = unit_cfg(8, 8, MMT_DF_OS);
    cfg->user_bw = user;
    cfg->bandwidth = bw;
    mmt_layer l = unit_gemm(M, N, K);
    assert_int_equal(mmt_geom_init(g, &l, cfg, NULL), 0);
}

/* The 8x8 GEMM M=N=K=8 layer. */
static void setup_layer(mmt_config *cfg, mmt_geom *g, int user, int64_t bw)
{
    setup_gemm(cfg, g, user, bw, 8, 8, 8);
}

/* The fused CALC run of the layer. */
static mmt_layer_result run_calc(void)
{
    mmt_config cfg;
    mmt_geom g;
    mmt_layer_result r;
    setup_layer(&cfg, &g, 0, 0);
    assert_int_equal(mmt_sim_run(&cfg, &g, NULL, &r), 0);
    return r;
}

/* The fused run reproduces SCALE-Sim's numbers for the layer. */
static void test_run_calc(void **state)
{
    (void)state;
    mmt_layer_result r = run_calc();
    assert_int_equal(r.total_cycles, 21);
    assert_int_equal(r.stall_cycles, 0);
    const int64_t ss[3] = {1, 1, 7}, se[3] = {15, 15, 21}, sc[3] = {64, 64, 80};
    const int64_t ds[3] = {-66, -66, 21}, de[3] = {-1, -1, 28}, dc[3] = {64, 64, 64};
    for (int op = 0; op < 3; op++) {
        assert_true(r.has_sram[op]);
        assert_int_equal(r.sram_start[op], ss[op]);
        assert_int_equal(r.sram_stop[op], se[op]);
        assert_int_equal(r.sram_count[op], sc[op]);
        assert_int_equal(r.dram_start[op], ds[op]);
        assert_int_equal(r.dram_stop[op], de[op]);
        assert_int_equal(r.dram_count[op], dc[op]);
    }
    assert_true(r.mapping_eff == 100.0);
}

/* Stepping by hand with mmt_stream rows gives the fused result (CALC, and USER with stalls);
 * served cycles are at least row+1 for reads and row for writes. */
static void test_step_equals_run(void **state)
{
    (void)state;
    mmt_config cfg;
    mmt_geom g;
    for (int user = 0; user < 2; user++) {
        /* USER: 1 KB buffers at bandwidth 1 on 64x64x4 stall (reference f_edge_gemm layer 0) */
        setup_gemm(&cfg, &g, user, 1, user ? 64 : 8, user ? 64 : 8, user ? 4 : 8);
        if (user)
            cfg.ifmap_kb = cfg.filter_kb = cfg.ofmap_kb = 1;
        mmt_layer_result a, b;
        assert_int_equal(mmt_sim_run(&cfg, &g, NULL, &a), 0);
        mmt_sim *s;
        mmt_stream *st[3];
        int64_t rows[3][8], served[3];
        assert_int_equal(mmt_sim_new(&cfg, &g, NULL, &s), 0);
        for (int op = 0; op < 3; op++)
            assert_int_equal(mmt_stream_new(&g, (mmt_operand)op, &st[op]), 0);
        int64_t i = 0;
        while (mmt_stream_next(st[0], rows[0]) && mmt_stream_next(st[1], rows[1]) &&
               mmt_stream_next(st[2], rows[2])) {
            assert_int_equal(mmt_sim_step(s, rows[0], rows[1], rows[2], served), 0);
            assert_true(served[0] >= i + 1 && served[1] >= i + 1 && served[2] >= i);
            i++;
        }
        assert_int_equal(mmt_sim_finish(s, &b), 0);
        assert_memory_equal(&a, &b, sizeof a);
        if (user) { /* SCALE-Sim v2's COMPUTE_REPORT: 3233 cycles, 2082 stalls */
            assert_int_equal(a.total_cycles, 3233);
            assert_int_equal(a.stall_cycles, 2082);
        }
        mmt_sim_free(s);
        for (int op = 0; op < 3; op++)
            mmt_stream_free(st[op]);
    }
}

/* Reports and console text are exactly SCALE-Sim's for the layer. */
static void test_reports(void **state)
{
    (void)state;
    mmt_layer_result r = run_calc();
    char dir[] = "/tmp/test_sim.XXXXXX", p[256];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(mmt_report_write(dir, &r, 1, NULL), 0);
    snprintf(p, sizeof p, "%s/DETAILED_ACCESS_REPORT.csv", dir);
    const char *det = strchr(unit_slurp(p), '\n') + 1;
    assert_string_equal(det, "0, 1.0, 15.0, 64, 1.0, 15.0, 64, 7.0, 21.0, 80, -66.0, -1.0, 64, "
                             "-66.0, -1.0, 64, 21.0, 28.0, 64,\n");
    unlink(p);
    snprintf(p, sizeof p, "%s/COMPUTE_REPORT.csv", dir);
    assert_string_equal(unit_slurp(p),
                        "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping "
                        "Efficiency %, Compute Util %,\n0, 21, 0, 38.095238095238095, "
                        "100.0, 36.36363636363637,\n");
    unlink(p);
    snprintf(p, sizeof p, "%s/BANDWIDTH_REPORT.csv", dir);
    unlink(p);
    rmdir(dir);
    char con[512];
    assert_true(mmt_report_console(con, sizeof con, &r) > 0);
    assert_string_equal(con, "Compute cycles: 21\nStall cycles: 0\nOverall utilization: 38.10%\n"
                             "Mapping efficiency: 100.00%\n"
                             "Average IFMAP DRAM BW: 0.970 words/cycle\n"
                             "Average Filter DRAM BW: 0.970 words/cycle\n"
                             "Average OFMAP DRAM BW: 8.000 words/cycle\n");
    assert_int_equal(mmt_report_console(con, 10, &r), MMT_ERANGE);
}

/* Invalid setups are rejected with error codes. */
static void test_errors(void **state)
{
    (void)state;
    mmt_config cfg;
    mmt_geom g;
    mmt_sim *s = NULL;
    setup_layer(&cfg, &g, 1, 0);
    assert_int_equal(mmt_sim_new(&cfg, &g, NULL, &s), MMT_EINVAL); /* USER without bandwidth */
    /* A bandwidth past MMT_MAX_BANDWIDTH is refused, not allocated (it used to wrap to a tiny
     * block and crash the fused run); mmt_config_read refuses it with the cfg line. */
    setup_layer(&cfg, &g, 1, (int64_t)1 << 61);
    assert_int_equal(mmt_sim_run(&cfg, &g, NULL, &(mmt_layer_result){0}), MMT_ERANGE);
    setup_layer(&cfg, &g, 0, 0);
    assert_int_equal(mmt_sim_new(&cfg, &g, NULL, &s), 0);
    mmt_layer_result r;
    assert_int_equal(mmt_sim_finish(s, &r), MMT_EINVAL); /* no rows fed */
    mmt_sim_free(s);
    mmt_sim_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_calc),
        cmocka_unit_test(test_step_equals_run),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
