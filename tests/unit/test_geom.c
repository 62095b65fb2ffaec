/*
 * test_geom.c - per-layer geometry (doc/scalesim-v2.md §3.3, §4, §5): ceil output size, GEMM sizes,
 * folds, fold length, SRAM counts per dataflow, operand addresses, overflow checks and per-fold
 * metrics. Expected values are worked out by hand; the SRAM counts are also the ones in the
 * reference DETAILED_ACCESS_REPORT.csv files named in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mmtrace.h"
#include "unit_util.h"

#include <string.h>

static mmt_geom geom_ok(mmt_layer l, mmt_config c)
{
    mmt_geom g;
    mmt_diag d;
    memset(&d, 0, sizeof d);
    int r = mmt_geom_init(&g, &l, &c, &d);
    if (r)
        print_error("geom_init: %s: %s\n", mmt_strerror(r), d.message);
    assert_int_equal(r, 0);
    return g;
}

static void geom_err(mmt_layer l, mmt_config c, int err)
{
    mmt_geom g;
    mmt_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(mmt_geom_init(&g, &l, &c, &d), err);
    assert_int_equal(d.line, 7); /* the layer's topology line */
    assert_true(d.message[0] != '\0');
}

static void check_folds(const mmt_geom *g, int64_t Sr, int64_t Sc, int64_t T, int64_t rf,
                        int64_t cf, int64_t L)
{
    assert_int_equal(g->Sr, Sr);
    assert_int_equal(g->Sc, Sc);
    assert_int_equal(g->T, T);
    assert_int_equal(g->row_fold, rf);
    assert_int_equal(g->col_fold, cf);
    assert_int_equal(g->folds, rf * cf);
    assert_int_equal(g->L, L);
    assert_int_equal(g->rows, rf * cf * L);
}

static void check_sram(const mmt_geom *g, int64_t ifr, int64_t filr, int64_t ofw)
{
    assert_int_equal(g->sram_ifmap_reads, ifr);
    assert_int_equal(g->sram_filter_reads, filr);
    assert_int_equal(g->sram_ofmap_writes, ofw);
}

static void test_output_size(void **state)
{
    mmt_config c = unit_cfg(8, 8, MMT_DF_OS);
    mmt_geom g = geom_ok(unit_conv(10, 10, 3, 3, 4, 6, 2, 2), c);
    assert_int_equal(g.OH, 5); /* ceil((10-3+2)/2) = ceil(4.5); floor would give 4 */
    assert_int_equal(g.OW, 5);
    g = geom_ok(unit_conv(9, 9, 3, 3, 1, 1, 2, 2), c);
    assert_int_equal(g.OH, 4); /* (9-3+2)/2 = 4 exactly */
    g = geom_ok(unit_conv(3, 3, 3, 3, 1, 1, 5, 5), c);
    assert_int_equal(g.OH, 1); /* stride larger than the ifmap: one window */
    g = geom_ok(unit_conv(224, 224, 11, 11, 3, 96, 4, 4), c);
    assert_int_equal(g.OH, 55); /* AlexNet conv1: ceil(217/4) */
    g = geom_ok(unit_conv(9, 12, 3, 2, 2, 4, 2, 3), c);
    assert_int_equal(g.OH, 4); /* ceil(8/2) */
    assert_int_equal(g.OW, 5); /* ceil(13/3) */
}

static void test_sizes(void **state)
{
    mmt_config c = unit_cfg(8, 8, MMT_DF_OS);
    mmt_geom g = geom_ok(unit_conv(10, 10, 3, 3, 4, 6, 2, 2), c);
    assert_int_equal(g.P, 25);
    assert_int_equal(g.K, 36);
    assert_int_equal(g.N, 6);
    assert_int_equal(g.macs, 5400);
    g = geom_ok(unit_conv(224, 224, 11, 11, 3, 96, 4, 4), c);
    assert_int_equal(g.P, 3025);
    assert_int_equal(g.K, 363);
    assert_int_equal(g.macs, 105415200);
    /* GEMM M=37, N=19, K=53: P=M, K=K, N=N. */
    g = geom_ok(unit_gemm(37, 19, 53), c);
    assert_int_equal(g.OH, 37);
    assert_int_equal(g.OW, 1);
    assert_int_equal(g.P, 37);
    assert_int_equal(g.K, 53);
    assert_int_equal(g.N, 19);
    assert_int_equal(g.macs, 37 * 19 * 53);
    assert_int_equal(g.R, 8);
    assert_int_equal(g.C, 8);
    assert_int_equal(g.df, MMT_DF_OS);
}

/* GEMM 37x19x53 on 8x8 (reference cases a_gemm_8x8_{os,ws,is}_calc64, layer 3). */
static void test_folds_gemm_8x8(void **state)
{
    mmt_geom g = geom_ok(unit_gemm(37, 19, 53), unit_cfg(8, 8, MMT_DF_OS));
    check_folds(&g, 37, 19, 53, 5, 3, 53 + 8 + 8 - 2);
    /* os: col_fold*P*K, row_fold*K*N, P*N + folds*(R+C) */
    check_sram(&g, 3 * 37 * 53, 5 * 53 * 19, 37 * 19 + 15 * 16);
    check_sram(&g, 5883, 5035, 943);    /* DETAILED_ACCESS_REPORT */
    assert_int_equal(g.rows - 1, 1004); /* COMPUTE_REPORT Total Cycles */

    g = geom_ok(unit_gemm(37, 19, 53), unit_cfg(8, 8, MMT_DF_WS));
    check_folds(&g, 53, 19, 37, 7, 3, 2 * 8 + 8 + 37 - 2);
    check_sram(&g, 5883, 1007, 4921); /* col_fold*P*K, K*N, row_fold*P*N */
    assert_int_equal(g.rows - 1, 1238);

    g = geom_ok(unit_gemm(37, 19, 53), unit_cfg(8, 8, MMT_DF_IS));
    check_folds(&g, 53, 37, 19, 7, 5, 2 * 8 + 8 + 19 - 2);
    check_sram(&g, 1961, 5035, 4921); /* K*P, col_fold*N*K, row_fold*N*P */
    assert_int_equal(g.rows - 1, 1434);
}

/* The conv cases c_conv_8x8_* and the repo golden AlexNet case. */
static void test_folds_conv(void **state)
{
    /* conv_s2 (10,10,3,3,4,6,2): P=25, K=36, N=6. */
    mmt_geom g = geom_ok(unit_conv(10, 10, 3, 3, 4, 6, 2, 2), unit_cfg(8, 8, MMT_DF_WS));
    check_folds(&g, 36, 6, 25, 5, 1, 47);
    check_sram(&g, 900, 216, 750);
    g = geom_ok(unit_conv(10, 10, 3, 3, 4, 6, 2, 2), unit_cfg(8, 8, MMT_DF_IS));
    check_folds(&g, 36, 25, 6, 5, 4, 28);
    check_sram(&g, 900, 864, 750);
    /* conv_s1 (10,10,3,3,3,8,1): P=64, K=27, N=8. */
    g = geom_ok(unit_conv(10, 10, 3, 3, 3, 8, 1, 1), unit_cfg(8, 8, MMT_DF_IS));
    check_folds(&g, 27, 64, 8, 4, 8, 30);
    check_sram(&g, 1728, 1728, 2048);
    /* rect_stride (9,12,3,2,2,4,2,3) os: P=20, K=12 (f_edge_conv_8x8_os_calc64 layer 3). */
    g = geom_ok(unit_conv(9, 12, 3, 2, 2, 4, 2, 3), unit_cfg(8, 8, MMT_DF_OS));
    check_folds(&g, 20, 4, 12, 3, 1, 26);
    check_sram(&g, 240, 144, 128);
    /* AlexNet conv1 on 32x32 ws: 36 folds of 2*32+32+3025-2 rows. */
    g = geom_ok(unit_conv(224, 224, 11, 11, 3, 96, 4, 4), unit_cfg(32, 32, MMT_DF_WS));
    check_folds(&g, 363, 96, 3025, 12, 3, 3119);
    assert_int_equal(g.rows, 112284);
    check_sram(&g, 3294225, 34848, 3484800);
    /* A non-square array: GEMM 16x24x40 on 4x16 os (b_gemm_4x16_os, layer 1). */
    g = geom_ok(unit_gemm(16, 24, 40), unit_cfg(4, 16, MMT_DF_OS));
    check_folds(&g, 16, 24, 40, 4, 2, 40 + 4 + 16 - 2);
    check_sram(&g, 1280, 3840, 16 * 24 + 8 * 20);
    assert_int_equal(g.rows - 1, 463);
}

static void test_addresses(void **state)
{
    mmt_config c = unit_cfg(8, 8, MMT_DF_OS);
    c.ifmap_offset = 1000;
    c.filter_offset = 2000;
    c.ofmap_offset = 3000;
    /* H=W=10, 3x3 filter, 4 channels, stride 2: OW=5, window FW*Cin=12 per filter row. */
    mmt_geom g = geom_ok(unit_conv(10, 10, 3, 3, 4, 6, 2, 2), c);
    assert_int_equal(mmt_geom_ifmap_addr(&g, 0, 0), 1000);
    assert_int_equal(mmt_geom_ifmap_addr(&g, 0, 5), 1000 + 5);   /* fc=1, ch=1: (0*10+1)*4+1 */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 0, 12), 1000 + 40); /* fr=1: row 1 */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 6, 0), 1000 + 88);  /* orow 1, ocol 1: (2*10+2)*4 */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 4, 0), 1000 + 32);  /* ocol 4: column 8 */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 4, 7), 1000 + 39);  /* column 9, ch 3 */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 4, 8), -1);         /* column 10: past the edge */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 4, 11), -1);
    assert_int_equal(mmt_geom_ifmap_addr(&g, 24, 12), 1000 + 392); /* row 9, column 8 */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 24, 24), -1);         /* row 10 */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 20, 26), -1);         /* row 10 */
    /* p=18: r0=c0=6; j=35: fr=fc=2, ch=3 -> (8*10+8)*4+3. p=23: orow 4, row 8+2 = 10. */
    assert_int_equal(mmt_geom_ifmap_addr(&g, 18, 35), 1000 + 355);
    assert_int_equal(mmt_geom_ifmap_addr(&g, 23, 35), -1);
    /* F[k][n] = n*K + k, O[p][n] = p*N + n. */
    assert_int_equal(mmt_geom_filter_addr(&g, 0, 0), 2000);
    assert_int_equal(mmt_geom_filter_addr(&g, 5, 2), 2000 + 2 * 36 + 5);
    assert_int_equal(mmt_geom_filter_addr(&g, 35, 5), 2000 + 215);
    assert_int_equal(mmt_geom_ofmap_addr(&g, 0, 0), 3000);
    assert_int_equal(mmt_geom_ofmap_addr(&g, 3, 4), 3000 + 3 * 6 + 4);
    assert_int_equal(mmt_geom_ofmap_addr(&g, 24, 5), 3000 + 149);
    /* GEMM: I[m][k] = m*K + k. */
    g = geom_ok(unit_gemm(3, 2, 5), c);
    assert_int_equal(mmt_geom_ifmap_addr(&g, 2, 4), 1000 + 14);
    assert_int_equal(mmt_geom_filter_addr(&g, 4, 1), 2000 + 9);
    assert_int_equal(mmt_geom_ofmap_addr(&g, 2, 1), 3000 + 5);
    /* A negative offset: the address -1 is a real element here (SCALE-Sim then skips it as
     * idle), and a window past the edge is still -1 (no offset). */
    c.ifmap_offset = -1000, c.filter_offset = -7;
    g = geom_ok(unit_conv(10, 10, 3, 3, 4, 6, 2, 2), c);
    assert_int_equal(mmt_geom_ifmap_addr(&g, 0, 5), -995);
    assert_int_equal(mmt_geom_ifmap_addr(&g, 4, 8), -1);
    assert_int_equal(mmt_geom_filter_addr(&g, 6, 0), -1);
    int64_t lo, hi;
    mmt_geom_operand_range(&g, MMT_OP_FILTER, &lo, &hi);
    assert_int_equal(lo, -7);
    assert_int_equal(hi, -7 + 216);
}

static void test_rejects(void **state)
{
    mmt_config c = unit_cfg(8, 8, MMT_DF_WS);
    geom_err(unit_conv(8, 8, 3, 3, 0, 4, 1, 1), c, MMT_ERANGE);
    geom_err(unit_conv(8, 8, 3, 3, 2, -4, 1, 1), c, MMT_ERANGE);
    geom_err(unit_conv(8, 8, 3, 3, 2, 4, 0, 1), c, MMT_ERANGE);
    geom_err(unit_conv(8, 8, 3, 3, 2, 4, 1, -1), c, MMT_ERANGE);
    geom_err(unit_conv(8, 8, 9, 3, 2, 4, 1, 1), c, MMT_ERANGE);
    geom_err(unit_conv(8, 8, 3, 9, 2, 4, 1, 1), c, MMT_ERANGE);
    geom_err(unit_conv(8, 8, 3, 3, 2, 4, 1, 1), unit_cfg(0, 8, MMT_DF_WS), MMT_ERANGE);
    geom_err(unit_conv(8, 8, 3, 3, 2, 4, 1, 1), unit_cfg(8, MMT_MAX_ARRAY_DIM + 1, MMT_DF_WS),
             MMT_ERANGE);
    (void)geom_ok(unit_gemm(2, 2, 2), unit_cfg(1, MMT_MAX_ARRAY_DIM, MMT_DF_OS));
    /* Products of sizes that do not fit in int64. */
    geom_err(unit_conv(4294967296LL, 4294967296LL, 1, 1, 1, 1, 1, 1), c,
             MMT_EOVERFLOW);                                              /* P = 2^64 */
    geom_err(unit_gemm(3037000500LL, 3037000500LL, 2), c, MMT_EOVERFLOW); /* P*N > 2^63 */
    geom_err(unit_gemm(1LL << 30, 1LL << 30, 4), c, MMT_EOVERFLOW);       /* MACs*100 > 2^63 */
    geom_err(unit_conv(1LL << 32, 1LL << 31, 1, 1, 1, 1, 1, 1), c, MMT_EOVERFLOW); /* H*W */
    geom_err(unit_gemm(1, 1LL << 62, 2), c, MMT_EOVERFLOW);                        /* N*K */
    mmt_config off = c;
    off.ifmap_offset = INT64_MAX - 10; /* offset + H*W*C does not fit */
    geom_err(unit_conv(8, 8, 3, 3, 2, 4, 1, 1), off, MMT_EOVERFLOW);
    /* Negative offsets (doc/scalesim-v2.md §4.1): down to -2^53, for callers that fill cfg. */
    off = c;
    off.ofmap_offset = MMT_MIN_OFFSET;
    mmt_geom g = geom_ok(unit_gemm(3, 2, 5), off);
    assert_int_equal(mmt_geom_ofmap_addr(&g, 2, 1), MMT_MIN_OFFSET + 5);
    off.filter_offset = MMT_MIN_OFFSET - 1;
    geom_err(unit_gemm(3, 2, 5), off, MMT_ERANGE);
    off.filter_offset = INT64_MIN;
    geom_err(unit_gemm(3, 2, 5), off, MMT_ERANGE);
    /* The highest address may be 2^53 (float64 holds it), not 2^53 + 1: GEMM 3x2x5 has 15
     * ifmap, 10 filter and 6 ofmap addresses. */
    off = c;
    off.ifmap_offset = MMT_MAX_ADDRESS - 14;
    off.filter_offset = MMT_MAX_ADDRESS - 9;
    off.ofmap_offset = MMT_MAX_ADDRESS - 5;
    (void)geom_ok(unit_gemm(3, 2, 5), off);
    for (int op = 0; op < 3; op++) {
        mmt_config o = off;
        int64_t *x = op == 0 ? &o.ifmap_offset : op == 1 ? &o.filter_offset : &o.ofmap_offset;
        (*x)++;
        geom_err(unit_gemm(3, 2, 5), o, MMT_ERANGE);
    }
}

static void test_fold_metrics(void **state)
{
    /* GEMM 37x19x53 os on 8x8: row folds use 8,8,8,8,5 rows, col folds 8,8,3 columns;
     * folds go col fold outer, so fold 4 is (fc 0, fr 4) and fold 5 is (fc 1, fr 0). */
    mmt_geom g = geom_ok(unit_gemm(37, 19, 53), unit_cfg(8, 8, MMT_DF_OS));
    assert_true(mmt_geom_fold_mapping_eff(&g, 0) == 1.0);
    assert_true(mmt_geom_fold_mapping_eff(&g, 4) == 40.0 / 64.0);
    assert_true(mmt_geom_fold_mapping_eff(&g, 5) == 1.0);
    assert_true(mmt_geom_fold_mapping_eff(&g, 10) == 24.0 / 64.0); /* fc 2, fr 0 */
    assert_true(mmt_geom_fold_mapping_eff(&g, 14) == 15.0 / 64.0);
    /* os: D = T+R+C-2 = 67. */
    assert_true(mmt_geom_fold_compute_util(&g, 0) == 53.0 / 67.0);
    assert_true(mmt_geom_fold_compute_util(&g, 4) == 2120.0 / 4288.0);
    assert_true(mmt_geom_fold_compute_util(&g, 14) == 795.0 / 4288.0);
    /* Over all folds the used PEs add up to P*N = 703 (each value is exact k/64). */
    double sum = 0;
    for (int64_t f = 0; f < g.folds; f++)
        sum += mmt_geom_fold_mapping_eff(&g, f) * 64;
    assert_true(sum == 703.0);

    /* ws conv_s2 on 8x8: 5 row folds (8,8,8,8,4 rows) x 6 columns; D = 2R+2C+T-3 = 54. */
    g = geom_ok(unit_conv(10, 10, 3, 3, 4, 6, 2, 2), unit_cfg(8, 8, MMT_DF_WS));
    assert_true(mmt_geom_fold_mapping_eff(&g, 0) == 48.0 / 64.0);
    assert_true(mmt_geom_fold_mapping_eff(&g, 4) == 24.0 / 64.0);
    assert_true(mmt_geom_fold_compute_util(&g, 0) == 1200.0 / 3456.0);
    assert_true(mmt_geom_fold_compute_util(&g, 4) == 600.0 / 3456.0);

    /* is conv_s1 on 8x8: Sr=27 (8,8,8,3), Sc=64, T=8, D=37. Fold 3 = (fc 0, fr 3). */
    g = geom_ok(unit_conv(10, 10, 3, 3, 3, 8, 1, 1), unit_cfg(8, 8, MMT_DF_IS));
    assert_true(mmt_geom_fold_mapping_eff(&g, 3) == 24.0 / 64.0);
    assert_true(mmt_geom_fold_mapping_eff(&g, 4) == 1.0);
    assert_true(mmt_geom_fold_compute_util(&g, 3) == 192.0 / 2368.0);
    assert_true(mmt_geom_fold_compute_util(&g, 4) == 512.0 / 2368.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_size),    cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_folds_gemm_8x8), cmocka_unit_test(test_folds_conv),
        cmocka_unit_test(test_addresses),      cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_fold_metrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
