/*
 * test_stream.c - demand rows (doc/scalesim-v2.md §5) for tiny arrays, worked out by hand.
 *
 * The layer throughout is the GEMM M=3, N=2, K=2 with offsets 0 / 100 / 200, so
 *   I = [[0,1],[2,3],[4,5]]        (I[m][k] = 2m + k)
 *   F[k][n] = 2n + k + 100:  F00=100 F10=101 F01=102 F11=103
 *   O[p][n] = 2p + n + 200:  O00=200 O01=201 O10=202 O11=203 O20=204 O21=205
 * X stands for -1 (no element).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "internal.h"
#include "unit_util.h"

#include <stdlib.h>
#include <string.h>

#define X (-1)
#define MAXW 8

static mmt_geom make(int64_t R, int64_t C, mmt_dataflow df, int64_t M, int64_t N, int64_t K)
{
    mmt_config c = unit_cfg(R, C, df);
    c.filter_offset = 100; /* the small offsets the tables below are written with */
    c.ofmap_offset = 200;
    mmt_layer l = unit_gemm(M, N, K);
    mmt_geom g;
    mmt_diag d;
    assert_int_equal(mmt_geom_init(&g, &l, &c, &d), 0);
    return g;
}

/* make(), then checks the hand-worked fold count and fold length L the tables rely on. */
static mmt_geom make_folds(int64_t R, int64_t C, mmt_dataflow df, int64_t M, int64_t N, int64_t K,
                           int64_t folds, int64_t L)
{
    mmt_geom g = make(R, C, df, M, N, K);
    assert_int_equal(g.folds, folds);
    assert_int_equal(g.L, L);
    return g;
}

/* Streams operand op of g and compares every row with want (nrows x width). */
static void expect_rows(const mmt_geom *g, mmt_operand op, int64_t width, int64_t nrows,
                        const int64_t want[][MAXW])
{
    mmt_stream *s = NULL;
    assert_int_equal(mmt_stream_new(g, op, &s), 0);
    assert_int_equal(mmt_stream_width(s), width);
    int64_t row[MAXW + 1];
    for (int64_t i = 0; i < nrows; i++) {
        row[width] = 12345; /* must not be touched */
        assert_int_equal(mmt_stream_next(s, row), 1);
        for (int64_t x = 0; x < width; x++) {
            if (row[x] != want[i][x])
                print_error("operand %d row %lld column %lld: got %lld, want %lld\n", (int)op,
                            (long long)i, (long long)x, (long long)row[x], (long long)want[i][x]);
            assert_int_equal(row[x], want[i][x]);
        }
        assert_int_equal(row[width], 12345);
    }
    assert_int_equal(mmt_stream_next(s, row), 0); /* exactly nrows rows */
    assert_int_equal(mmt_stream_next(s, row), 0);
    mmt_stream_free(s);
}

/* Streams all three operands of g: ifmap, filter and ofmap rows, widths wi, wf and wo. */
static void expect_streams(const mmt_geom *g, int64_t nrows, int64_t wi,
                           const int64_t ifmap[][MAXW], int64_t wf, const int64_t filter[][MAXW],
                           int64_t wo, const int64_t ofmap[][MAXW])
{
    expect_rows(g, MMT_OP_IFMAP, wi, nrows, ifmap);
    expect_rows(g, MMT_OP_FILTER, wf, nrows, filter);
    expect_rows(g, MMT_OP_OFMAP, wo, nrows, ofmap);
}

/* clang-format off: the tables below are laid out one fold per line. */
/* OS on 2x2: Sr=P=3, Sc=N=2, T=K=2; 2 row folds x 1 col fold; L = T+R+C-2 = 4. */
static void test_os_2x2(void **state)
{
    mmt_geom g = make_folds(2, 2, MMT_DF_OS, 3, 2, 2, 2, 4);
    /* ifmap[t][r] = I[r0+r][t-r]: fold 0 rows 0-1, fold 1 row 2 only. */
    static const int64_t ifmap[8][MAXW] = {
        {0, X}, {1, 2}, {X, 3}, {X, X}, /* fold 0 */
        {4, X}, {5, X}, {X, X}, {X, X}, /* fold 1 (r0=2) */
    };
    /* filter[t][c] = F[t-c][c]: the same in both row folds. */
    static const int64_t filter[8][MAXW] = {
        {100, X}, {101, 102}, {X, 103}, {X, X}, {100, X}, {101, 102}, {X, 103}, {X, X},
    };
    /* ofmap[t][c]: u=t-c in [T-1, T-1+R) = [1,3), PE row q = 2-u drains bottom first. */
    static const int64_t ofmap[8][MAXW] = {
        {X, X}, {202, X}, {200, 203}, {X, 201}, /* fold 0 */
        {X, X}, {X, X},   {204, X},   {X, 205}, /* fold 1: only PE row 0 (p=2) is used */
    };
    expect_streams(&g, 8, 2, ifmap, 2, filter, 2, ofmap);
}

/* OS on 2x3 (R=2, C=3): widths R, C, C; one column always idle; L = 2+2+3-2 = 5. */
static void test_os_2x3(void **state)
{
    mmt_geom g = make_folds(2, 3, MMT_DF_OS, 3, 2, 2, 2, 5);
    static const int64_t ifmap[10][MAXW] = {
        {0, X}, {1, 2}, {X, 3}, {X, X}, {X, X}, {4, X}, {5, X}, {X, X}, {X, X}, {X, X},
    };
    static const int64_t filter[10][MAXW] = {
        {100, X, X}, {101, 102, X}, {X, 103, X}, {X, X, X}, {X, X, X},
        {100, X, X}, {101, 102, X}, {X, 103, X}, {X, X, X}, {X, X, X},
    };
    static const int64_t ofmap[10][MAXW] = {
        {X, X, X}, {202, X, X}, {200, 203, X}, {X, 201, X}, {X, X, X},
        {X, X, X}, {X, X, X},   {204, X, X},   {X, 205, X}, {X, X, X},
    };
    expect_streams(&g, 10, 2, ifmap, 3, filter, 3, ofmap);
}

/* WS on 2x2: Sr=K=2, Sc=N=2, T=P=3; one fold; L = 2R+C+T-2 = 7. */
static void test_ws_2x2(void **state)
{
    mmt_geom g = make_folds(2, 2, MMT_DF_WS, 3, 2, 2, 1, 7);
    /* ifmap[t][r] = I[u-R][r] with u = t-r in [R, R+T). */
    static const int64_t ifmap[7][MAXW] = {
        {X, X}, {X, X}, {0, X}, {2, 1}, {4, 3}, {X, 5}, {X, X},
    };
    /* Weights loaded in the first R rows, bottom row first: row t holds F[R-1-t][c]. */
    static const int64_t filter[7][MAXW] = {
        {101, 103}, {100, 102}, {X, X}, {X, X}, {X, X}, {X, X}, {X, X},
    };
    /* ofmap[t][c] = O[u-(2R-1)][c] with u = t-c in [3, 6). */
    static const int64_t ofmap[7][MAXW] = {
        {X, X}, {X, X}, {X, X}, {200, X}, {202, 201}, {204, 203}, {X, 205},
    };
    expect_streams(&g, 7, 2, ifmap, 2, filter, 2, ofmap);
}

/* IS on 2x2: Sr=K=2, Sc=P=3, T=N=2; 1 row fold x 2 col folds; L = 2R+C+T-2 = 6. */
static void test_is_2x2(void **state)
{
    mmt_geom g = make_folds(2, 2, MMT_DF_IS, 3, 2, 2, 2, 6);
    /* ifmap (C wide) loaded in the first R rows: row t holds I[c0+c][R-1-t]. */
    static const int64_t ifmap[12][MAXW] = {
        {1, 3}, {0, 2}, {X, X}, {X, X}, {X, X}, {X, X}, /* fold 0: pixels 0,1 */
        {5, X}, {4, X}, {X, X}, {X, X}, {X, X}, {X, X}, /* fold 1: pixel 2 */
    };
    /* filter (R wide) = F[r][u-R], u = t-r in [R, R+T): same in both folds. */
    static const int64_t filter[12][MAXW] = {
        {X, X}, {X, X}, {100, X}, {102, 101}, {X, 103}, {X, X},
        {X, X}, {X, X}, {100, X}, {102, 101}, {X, 103}, {X, X},
    };
    /* ofmap[t][c] = O[c0+c][u-(2R-1)], u = t-c in [3, 5). */
    static const int64_t ofmap[12][MAXW] = {
        {X, X}, {X, X}, {X, X}, {200, X}, {201, 202}, {X, 203},
        {X, X}, {X, X}, {X, X}, {204, X}, {205, X},   {X, X},
    };
    expect_streams(&g, 12, 2, ifmap, 2, filter, 2, ofmap);
}

/* IS on 2x3: the ifmap stream is C=3 wide and the filter stream R=2 wide; L = 4+3+2-2 = 7. */
static void test_is_2x3_widths(void **state)
{
    mmt_geom g = make_folds(2, 3, MMT_DF_IS, 3, 2, 2, 1, 7);
    static const int64_t ifmap[7][MAXW] = {
        {1, 3, 5}, {0, 2, 4}, {X, X, X}, {X, X, X}, {X, X, X}, {X, X, X}, {X, X, X},
    };
    static const int64_t filter[7][MAXW] = {
        {X, X}, {X, X}, {100, X}, {102, 101}, {X, 103}, {X, X}, {X, X},
    };
    static const int64_t ofmap[7][MAXW] = {
        {X, X, X}, {X, X, X}, {X, X, X}, {200, X, X}, {201, 202, X}, {X, 203, 204}, {X, X, 205},
    };
    expect_streams(&g, 7, 3, ifmap, 2, filter, 3, ofmap);
}

/* OS GEMM M=3, N=3, K=1 on 2x2: 2 row folds x 2 col folds, L = 3. Folds run col fold outer:
 * fold 1 is (fc 0, fr 1) and fold 2 is (fc 1, fr 0). I[m][0] = m, F[0][n] = n + 100. */
static void test_fold_order(void **state)
{
    mmt_geom g = make(2, 2, MMT_DF_OS, 3, 3, 1);
    assert_int_equal(g.row_fold, 2);
    assert_int_equal(g.col_fold, 2);
    assert_int_equal(g.L, 3);
    static const int64_t ifmap[12][MAXW] = {
        {0, X}, {X, 1}, {X, X}, /* fc 0, fr 0: pixels 0,1 */
        {2, X}, {X, X}, {X, X}, /* fc 0, fr 1: pixel 2 */
        {0, X}, {X, 1}, {X, X}, /* fc 1, fr 0 */
        {2, X}, {X, X}, {X, X}, /* fc 1, fr 1 */
    };
    static const int64_t filter[12][MAXW] = {
        {100, X}, {X, 101}, {X, X},                           /* fc 0: filters 0,1 */
        {100, X}, {X, 101}, {X, X}, {102, X}, {X, X}, {X, X}, /* fc 1: filter 2 */
        {102, X}, {X, X},   {X, X},
    };
    /* T=1: PE row q = R-1-(t-c) drains at u = t-c in [0, 2); O[p][n] = 3p + n + 200. */
    static const int64_t ofmap[12][MAXW] = {
        {203, X}, {200, 204}, {X, 201}, /* fc 0, fr 0 */
        {X, X},   {206, X},   {X, 207}, /* fc 0, fr 1: p=2 only */
        {205, X}, {202, X},   {X, X},   /* fc 1, fr 0: n=2 only */
        {X, X},   {208, X},   {X, X},   /* fc 1, fr 1 */
    };
    expect_streams(&g, 12, 2, ifmap, 2, filter, 2, ofmap);
}

/* Conv ifmap entries past the edge stay -1 in the demand: H=W=3, 2x2 filter, stride 2 gives
 * OH=OW=ceil(3/2)=2 windows; window (1,1) covers only ifmap element (2,2) = 8. OS on 4x4:
 * Sr=P=4, T=K=4; ifmap row t, column r holds I[r][t-r]. */
static void test_conv_edge_minus_one(void **state)
{
    mmt_config c = unit_cfg(4, 4, MMT_DF_OS);
    c.ifmap_kb = c.filter_kb = c.ofmap_kb = 1;
    mmt_layer l = unit_conv(3, 3, 2, 2, 1, 1, 2, 2);
    mmt_geom g;
    mmt_diag d;
    assert_int_equal(mmt_geom_init(&g, &l, &c, &d), 0);
    assert_int_equal(g.P, 4);
    /* I: p0 = {0,1,3,4}, p1 = {2,X,5,X}, p2 = {6,7,X,X}, p3 = {8,X,X,X}. */
    static const int64_t ifmap[10][MAXW] = {
        {0, X, X, X}, {1, 2, X, X}, {3, X, 6, X}, {4, 5, 7, 8}, {X, X, X, X},
        {X, X, X, X}, {X, X, X, X}, {X, X, X, X}, {X, X, X, X}, {X, X, X, X},
    };
    assert_int_equal(g.rows, 10); /* L = 4+4+4-2 */
    expect_rows(&g, MMT_OP_IFMAP, 4, 10, ifmap);
}

/* clang-format on */

/* The column range of next_range: within [0, width], every entry outside it is -1, and the
 * row is the same as next() gives. */
static void check_ranges(const mmt_geom *g, mmt_operand op)
{
    mmt_stream *a = NULL, *b = NULL;
    assert_int_equal(mmt_stream_new(g, op, &a), 0);
    assert_int_equal(mmt_stream_new(g, op, &b), 0);
    int64_t w = mmt_stream_width(a);
    int64_t *ra = malloc((size_t)w * sizeof *ra), *rb = malloc((size_t)w * sizeof *rb);
    assert_non_null(ra);
    assert_non_null(rb);
    int64_t lo, hi, n = 0, narrow = 0;
    while (mmt_stream_next_range(a, ra, &lo, &hi)) {
        assert_int_equal(mmt_stream_next(b, rb), 1);
        assert_true(0 <= lo && lo <= hi && hi <= w);
        for (int64_t x = 0; x < w; x++) {
            assert_int_equal(ra[x], rb[x]);
            if (x < lo || x >= hi)
                assert_int_equal(ra[x], -1);
        }
        narrow += hi - lo < w;
        n++;
    }
    assert_int_equal(mmt_stream_next(b, rb), 0);
    assert_int_equal(n, g->rows);
    assert_true(narrow > 0); /* skewed streams always have rows with idle columns */
    free(ra);
    free(rb);
    mmt_stream_free(a);
    mmt_stream_free(b);
}

static void test_next_range(void **state)
{
    static const mmt_dataflow dfs[] = {MMT_DF_OS, MMT_DF_WS, MMT_DF_IS};
    for (int i = 0; i < 3; i++) {
        mmt_geom g = make(4, 3, dfs[i], 7, 5, 6);
        for (int op = 0; op < 3; op++)
            check_ranges(&g, (mmt_operand)op);
        g = make(2, 2, dfs[i], 3, 2, 2);
        for (int op = 0; op < 3; op++)
            check_ranges(&g, (mmt_operand)op);
    }
    /* A specific range: OS ifmap on 2x2, fold 0 row 0 = {0, X}: column 1 is outside. */
    mmt_geom g = make(2, 2, MMT_DF_OS, 3, 2, 2);
    mmt_stream *s;
    assert_int_equal(mmt_stream_new(&g, MMT_OP_IFMAP, &s), 0);
    int64_t row[2], lo, hi;
    assert_int_equal(mmt_stream_next_range(s, row, &lo, &hi), 1);
    assert_int_equal(row[0], 0);
    assert_int_equal(row[1], -1);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 1);
    mmt_stream_free(s);
}

/* Counts rows to the end. */
static int64_t count_rows(const mmt_geom *g, mmt_operand op)
{
    mmt_stream *s;
    assert_int_equal(mmt_stream_new(g, op, &s), 0);
    int64_t *row = malloc((size_t)mmt_stream_width(s) * sizeof *row), n = 0;
    assert_non_null(row);
    while (mmt_stream_next(s, row))
        n++;
    free(row);
    mmt_stream_free(s);
    return n;
}

static void test_row_counts(void **state)
{
    /* GEMM 37x19x53 on 8x8: os 15 folds x 67, ws 21 x 59, is 35 x 41 (reference Total
     * Cycles 1004, 1238, 1434 = rows - 1). */
    static const struct {
        mmt_dataflow df;
        int64_t rows;
    } want[] = {{MMT_DF_OS, 15 * 67}, {MMT_DF_WS, 21 * 59}, {MMT_DF_IS, 35 * 41}};
    for (int i = 0; i < 3; i++) {
        mmt_geom g = make(8, 8, want[i].df, 37, 19, 53);
        for (int op = 0; op < 3; op++)
            assert_int_equal(count_rows(&g, (mmt_operand)op), want[i].rows);
    }
    /* 1x1x1 GEMM on 8x8 os: one fold of 1+8+8-2 = 15 rows (f_edge_gemm total 14). */
    mmt_geom g = make(8, 8, MMT_DF_OS, 1, 1, 1);
    assert_int_equal(count_rows(&g, MMT_OP_OFMAP), 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_os_2x2),
        cmocka_unit_test(test_os_2x3),
        cmocka_unit_test(test_ws_2x2),
        cmocka_unit_test(test_is_2x2),
        cmocka_unit_test(test_is_2x3_widths),
        cmocka_unit_test(test_fold_order),
        cmocka_unit_test(test_conv_edge_minus_one),
        cmocka_unit_test(test_next_range),
        cmocka_unit_test(test_row_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
