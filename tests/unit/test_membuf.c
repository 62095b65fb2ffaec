/* test_membuf.c - the read buffers (CALC §7.3, USER §6-7.2) and the write buffer (§7.4) on
 * hand-made rows. Expectations were worked out by hand from the spec and confirmed with the
 * reference Python model (scalesim-model/model.py). */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim_internal.h"

/* DRAM rows recorded by a sink: cycle and up to 40 slots each. */
typedef struct rec {
    int64_t n, width[256], cycle[256], v[256][40];
} rec;

/* Row sink that records rows. */
static int rec_row(void *ud, int64_t cycle, const int64_t *vals, int64_t n)
{
    rec *r = ud;
    assert_true(r->n < 256 && n <= 40);
    r->cycle[r->n] = cycle;
    r->width[r->n] = n;
    memcpy(r->v[r->n], vals, (size_t)n * sizeof *vals);
    r->n++;
    return 0;
}

/* Block sink that expands CALC blocks into recorded rows. */
static int rec_block(void *ud, int64_t first, int64_t ncyc, int64_t bw, const int64_t *addrs,
                     int64_t naddrs)
{
    int64_t row[40];
    for (int64_t i = 0; i < ncyc; i++) {
        for (int64_t k = 0; k < bw; k++)
            row[k] = i * bw + k < naddrs ? addrs[i * bw + k] : -1;
        rec_row(ud, first + i, row, bw);
    }
    return 0;
}

/* Write buffer: full and partial lines, the -1 count of the last drained line only. */
static void test_wbuf_lines(void **state)
{
    (void)state;
    rec *r = calloc(1, sizeof *r);
    mmt__wbuf *b;
    assert_int_equal(mmt__wbuf_new(8, 2, rec_row, r, &b), 0); /* A = 4, Dr = 4 */
    int64_t row1[] = {1, 2, 3, 4, 5}, row2[] = {-1, 6}, served;
    assert_int_equal(mmt__wbuf_write(b, row1, 0, 5, 0, &served), 0);
    assert_int_equal(served, 0);
    assert_int_equal(mmt__wbuf_write(b, row2, 0, 2, 1, &served), 0);
    assert_int_equal(served, 1);
    assert_int_equal(mmt__wbuf_drain_all(b, 1), 0);
    const int64_t cyc[] = {0, 1, 1, 2}, lines[4][2] = {{1, 2}, {3, 4}, {5, -1}, {6, -1}};
    assert_int_equal(r->n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r->cycle[i], cyc[i]);
        assert_memory_equal(r->v[i], lines[i], sizeof lines[i]);
    }
    const mmt__dram_stat *st = mmt__wbuf_stat(b);
    /* SCALE-Sim v2: 4 + (4 - 1): the partial line [5,-1] counts 2 words, [6,-1] counts 1 */
    assert_int_equal(st->accesses, 7);
    assert_int_equal(st->start, 0);
    assert_int_equal(st->stop, 2);
    mmt__wbuf_free(b);
    free(r);
}

/* Write buffer: a full buffer during a drain stalls the row until the drain ends. */
static void test_wbuf_stall(void **state)
{
    (void)state;
    rec *r = calloc(1, sizeof *r);
    mmt__wbuf *b;
    assert_int_equal(mmt__wbuf_new(4, 1, rec_row, r, &b), 0); /* A = 2, Dr = 2 */
    int64_t row[] = {10, 11, 12, 13, 14, 15, 16}, served;
    assert_int_equal(mmt__wbuf_write(b, row, 0, 7, 5, &served), 0);
    assert_int_equal(served, 6); /* one stall cycle */
    assert_int_equal(mmt__wbuf_drain_all(b, 6), 0);
    const int64_t cyc[] = {5, 6, 6, 7, 6, 7, 8};
    assert_int_equal(r->n, 7);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(r->cycle[i], cyc[i]);
        assert_int_equal(r->v[i][0], 10 + i);
    }
    assert_int_equal(mmt__wbuf_stat(b)->accesses, 7);
    mmt__wbuf_free(b);
    free(r);
}

/* Feeds the CALC scenario: 60 rows of 10 new addresses, then a row re-reading a dropped
 * address (0) and a window hit (500). */
static void calc_scenario(int64_t base, int64_t span, rec *r, const mmt__dram_stat **st,
                          mmt__rcalc **out)
{
    mmt__rcalc *b;
    assert_int_equal(mmt__rcalc_new(1000, 10, base, span, rec_block, r, &b), 0); /* ips 10 */
    int64_t row[10];
    for (int64_t t = 0; t < 60; t++) {
        for (int k = 0; k < 10; k++)
            row[k] = t * 10 + k;
        assert_int_equal(mmt__rcalc_read(b, row, 0, 10, t), 0);
    }
    int64_t last[] = {0, 500, -1};
    assert_int_equal(mmt__rcalc_read(b, last, 0, 3, 60), 0);
    assert_int_equal(mmt__rcalc_finish(b), 0);
    *st = mmt__rcalc_stat(b);
    *out = b;
}

/* CALC: first block at bw 10 before cycle 0, CPython set order, the finish block at
 * ceil(11*10/51) = 3 words per cycle. Hash-map and direct-array modes agree. */
static void test_rcalc(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        rec *r = calloc(1, sizeof *r);
        const mmt__dram_stat *st;
        mmt__rcalc *b;
        calc_scenario(0, mode ? 1000 : 0, r, &st, &b);
        assert_int_equal(st->accesses, 601);
        assert_int_equal(st->start, -50);
        assert_int_equal(st->stop, 50);
        assert_int_equal(r->n, 101);
        const int64_t row3[] = {32, 33, 34, 35, 36, 37, 38, 39, 30, 31}; /* set {30..39} */
        assert_int_equal(r->cycle[3], -47);
        assert_memory_equal(r->v[3], row3, sizeof row3);
        const int64_t row50[] = {500, 501, 502};
        assert_int_equal(r->cycle[50], 0);
        assert_int_equal(r->width[50], 3);
        assert_memory_equal(r->v[50], row50, sizeof row50);
        assert_int_equal(r->v[84][0], -1);
        assert_int_equal(r->cycle[100], 50);
        mmt__rcalc_free(b);
        free(r);
    }
}

/* CALC without a sink counts the same and never needs the set order. */
static void test_rcalc_nosink(void **state)
{
    (void)state;
    mmt__rcalc *b;
    assert_int_equal(mmt__rcalc_new(1000, 10, 0, 0, NULL, NULL, &b), 0);
    int64_t row[10];
    for (int64_t t = 0; t < 60; t++) {
        for (int k = 0; k < 10; k++)
            row[k] = t * 10 + k;
        assert_int_equal(mmt__rcalc_read(b, row, 0, 10, t), 0);
    }
    assert_int_equal(mmt__rcalc_finish(b), 0);
    assert_int_equal(mmt__rcalc_stat(b)->accesses, 600);
    mmt__rcalc_free(b);
    /* an address outside the declared range is an error in direct mode */
    assert_int_equal(mmt__rcalc_new(1000, 10, 0, 100, NULL, NULL, &b), 0);
    int64_t bad[] = {100};
    assert_int_equal(mmt__rcalc_read(b, bad, 0, 1, 0), MMT_ERANGE);
    mmt__rcalc_free(b);
}

/* Block sink that folds every DRAM block into a checksum, for comparing two runs. */
static int sum_block(void *ud, int64_t cycle, int64_t ncyc, int64_t bw, const int64_t *addrs,
                     int64_t n)
{
    uint64_t *h = ud;
    *h = *h * 31 + (uint64_t)cycle * 7 + (uint64_t)ncyc * 3 + (uint64_t)bw;
    for (int64_t i = 0; i < n; i++)
        *h = *h * 1000003 + (uint64_t)addrs[i];
    return 0;
}

/* Runs a pseudo-random address stream (reuse near and far, over many 4096-address pages and
 * many window moves) through one CALC buffer; returns its stats and block checksum. */
static mmt__dram_stat calc_random(int64_t span, uint64_t *hash)
{
    mmt__rcalc *b;
    *hash = 0;
    assert_int_equal(mmt__rcalc_new(2000, 10, 1000, span, sum_block, hash, &b), 0); /* ips 20 */
    uint64_t x = 12345;
    int64_t row[16];
    for (int64_t t = 0; t < 20000; t++) {
        for (int k = 0; k < 16; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            int64_t far = (int64_t)(x >> 33) % 60000, near = t * 3 + (int64_t)(x >> 60);
            row[k] = (x >> 32) & 1 ? 1000 + far : (x >> 31) & 1 ? 1000 + near % 60000 : -1;
        }
        assert_int_equal(mmt__rcalc_read(b, row, 0, 16, t), 0);
    }
    assert_int_equal(mmt__rcalc_finish(b), 0);
    mmt__dram_stat st = *mmt__rcalc_stat(b);
    mmt__rcalc_free(b);
    return st;
}

/* The paged direct map (with page recycling) and the hash map give identical DRAM blocks. */
static void test_rcalc_modes_agree(void **state)
{
    (void)state;
    uint64_t h_hash, h_paged;
    mmt__dram_stat a = calc_random(0, &h_hash), p = calc_random(60000, &h_paged);
    assert_true(a.accesses > 100000); /* the stream really misses a lot */
    assert_int_equal(a.accesses, p.accesses);
    assert_int_equal(a.start, p.start);
    assert_int_equal(a.stop, p.stop);
    assert_int_equal(a.rows, p.rows);
    assert_true(h_hash == h_paged);
}

/* Fills list with the addresses 0..n-1 and makes pl the prefetch list of them, for an operand
 * whose addresses are [0, span). */
static void plist_iota(mmt__plist *pl, int64_t *list, int n, int64_t span)
{
    for (int i = 0; i < n; i++)
        list[i] = i;
    mmt__plist_array(pl, list, n, 0, span);
}

/* USER: the constant next_line refetches rows 6..10 on every refill; stalls follow the
 * refill cycles; the window wraps around. */
static void test_ruser_refills(void **state)
{
    (void)state;
    int64_t *list = malloc(2000 * sizeof *list);
    mmt__plist pl;
    plist_iota(&pl, list, 2000, 2000);
    mmt__ruser *b;
    assert_int_equal(mmt__ruser_new(&pl, 1000, 100, NULL, NULL, &b), 0);
    const int64_t addr[] = {0, 600, 1500, 100}, cyc[] = {0, 1, 5, 20}, want[] = {1, 5, 17, 23};
    for (int i = 0; i < 4; i++) {
        int64_t served;
        assert_int_equal(mmt__ruser_read(b, &addr[i], 0, 1, cyc[i], &served), 0);
        assert_int_equal(served, want[i]);
    }
    const mmt__dram_stat *st = mmt__ruser_stat(b);
    assert_int_equal(st->accesses, 2500); /* 5 fills of 5 rows of 100 */
    assert_int_equal(st->rows, 25);
    assert_int_equal(st->start, -5);
    assert_int_equal(st->stop, 23);
    mmt__ruser_free(b);
    free(list);
}

/* USER: req > A edits the fetch matrix in place (first fill tail, refill head via col_skip,
 * refill tail), and those edits show in the DRAM rows. */
static void test_ruser_edits(void **state)
{
    (void)state;
    int64_t *list = malloc(2000 * sizeof *list);
    mmt__plist pl;
    plist_iota(&pl, list, 2000, 2000);
    rec *r = calloc(1, sizeof *r);
    mmt__ruser *b;
    assert_int_equal(mmt__ruser_new(&pl, 1000, 30, rec_row, r, &b), 0);
    int64_t a0 = 5, a1 = 990, served;
    assert_int_equal(mmt__ruser_read(b, &a0, 0, 1, 0, &served), 0);
    assert_int_equal(served, 1);
    assert_int_equal(mmt__ruser_read(b, &a1, 0, 1, 1, &served), 0);
    assert_int_equal(served, 17);
    assert_int_equal(mmt__ruser_stat(b)->accesses, 1020);
    assert_int_equal(r->n, 34);
    /* first fill: 17 rows, row 16 loses columns 20..29 (500 mod 30 = 20) */
    assert_int_equal(r->cycle[0], -17);
    assert_int_equal(r->v[16][19], 499);
    assert_int_equal(r->v[16][20], -1);
    /* refill from row 17 (one row skipped): head columns 0..19 cleared, tail cleared */
    assert_int_equal(r->cycle[17], 1);
    assert_int_equal(r->v[17][19], -1);
    assert_int_equal(r->v[17][20], 530);
    assert_int_equal(r->v[33][19], 1009);
    assert_int_equal(r->v[33][20], -1);
    mmt__ruser_free(b);
    free(r);
    free(list);
}

/* An address absent from the prefetch list is an error (SCALE-Sim would loop forever). */
static void test_ruser_absent(void **state)
{
    (void)state;
    int64_t list[200];
    mmt__plist pl;
    plist_iota(&pl, list, 200, 300);
    mmt__ruser *b;
    assert_int_equal(mmt__ruser_new(&pl, 1024, 4, NULL, NULL, &b), 0);
    int64_t a = 250, served;
    assert_int_equal(mmt__ruser_read(b, &a, 0, 1, 0, &served), MMT_ERANGE);
    mmt__ruser_free(b);
}

/* Block sink that keeps the last block's first cycle, rows, bandwidth and address count. */
static int count_block(void *ud, int64_t first, int64_t ncyc, int64_t bw, const int64_t *addrs,
                       int64_t naddrs)
{
    int64_t *k = ud;
    (void)addrs;
    k[0] = first, k[1] = ncyc, k[2] = bw, k[3] = naddrs;
    return 0;
}

/* Sizes that come from the cfg are bounded before anything is allocated: a Bandwidth near
 * 2^61 made bw * 8 bytes wrap to a tiny block that the buffers then overran. */
static void test_size_bounds(void **state)
{
    (void)state;
    int64_t huge = (int64_t)1 << 61;
    assert_null(mmt__mallocn(huge, sizeof(int64_t)));
    assert_null(mmt__mallocn(-1, 1));
    mmt__wbuf *w = NULL;
    assert_int_equal(mmt__wbuf_new(1024, huge, NULL, NULL, &w), MMT_ERANGE);
    assert_int_equal(mmt__wbuf_new(1024, MMT_MAX_BANDWIDTH + 1, NULL, NULL, &w), MMT_ERANGE);
    int64_t list[200];
    mmt__plist pl;
    plist_iota(&pl, list, 200, 200);
    mmt__ruser *u = NULL;
    assert_int_equal(mmt__ruser_new(&pl, 1024, huge, NULL, NULL, &u), MMT_ERANGE);
    /* The widest accepted bandwidth works: one fetch row of 2^20 slots, 200 of them used. */
    rec *r = calloc(1, sizeof *r);
    assert_int_equal(mmt__wbuf_new(1024, MMT_MAX_BANDWIDTH, NULL, NULL, &w), 0);
    assert_int_equal(mmt__ruser_new(&pl, 1024, MMT_MAX_BANDWIDTH, NULL, NULL, &u), 0);
    int64_t a = 150, served;
    assert_int_equal(mmt__ruser_read(u, &a, 0, 1, 0, &served), 0);
    assert_int_equal(mmt__wbuf_write(w, &a, 0, 1, 0, &served), 0);
    assert_int_equal(mmt__wbuf_drain_all(w, 1), 0);
    mmt__ruser_free(u);
    mmt__wbuf_free(w);
    free(r);
    /* A huge CALC SRAM (2^50 words: sets of 2^50/100 addresses) with a block sink allocates
     * for the addresses it sees, not for the set size. */
    mmt__rcalc *c = NULL;
    int64_t blk[4] = {0, 0, 0, 0};
    assert_int_equal(mmt__rcalc_new((int64_t)1 << 50, 10, 0, 300, count_block, blk, &c), 0);
    int64_t row[3] = {5, 6, 7};
    assert_int_equal(mmt__rcalc_read(c, row, 0, 3, 0), 0);
    assert_int_equal(mmt__rcalc_finish(c), 0);
    assert_int_equal(mmt__rcalc_stat(c)->accesses, 3);
    assert_int_equal(blk[3], 3); /* one block, its 3 addresses in set order */
    assert_int_equal(blk[2], 10);
    mmt__rcalc_free(c);
}

/* Brute-force prefetch list of doc/scalesim-v2.md §6 for (df, op) on geometry g. */
static int64_t *brute_plist(const mmt_geom *g, int op, int64_t *len)
{
    int os = g->df == MMT_DF_OS, ws = g->df == MMT_DF_WS;
    int useR = op == 0 ? (os || ws) : !(os || ws);
    int diag = op == 0 ? (os || ws) : !ws;
    int64_t w = useR ? g->R : g->C, lim = useR ? g->Sr : g->Sc, h = diag ? g->T : g->Sr;
    int64_t blocks = (lim + w - 1) / w, a = blocks * h;
    int64_t *m = malloc((size_t)(a * w) * sizeof *m), *out = malloc((size_t)(a * w) * sizeof *out);
    for (int64_t i = 0; i < a; i++)
        for (int64_t j = 0; j < w; j++) {
            int64_t q = i % h, idx = (i / h) * w + j, v = -1;
            if (idx < lim) {
                if (op == 0)
                    v = os || !ws ? mmt_geom_ifmap_addr(g, idx, q) : mmt_geom_ifmap_addr(g, q, idx);
                else
                    v = os || ws ? mmt_geom_filter_addr(g, q, idx) : mmt_geom_filter_addr(g, idx, q);
            }
            m[i * w + j] = v;
        }
    int64_t n = 0;
    if (!diag) {
        memcpy(out, m, (size_t)(a * w) * sizeof *m);
        n = a * w;
    } else {
        for (int64_t d = 0; d < a + w - 1; d++) {
            int64_t rhi = d < a - 1 ? d : a - 1, rlo = d - w + 1 > 0 ? d - w + 1 : 0;
            for (int64_t rr = rhi; rr >= rlo; rr--)
                out[n++] = m[rr * w + d - rr];
        }
    }
    free(m);
    *len = n;
    return out;
}

/* The on-demand prefetch lists equal the brute-force ones for every dataflow and operand. */
static void test_plist(void **state)
{
    (void)state;
    mmt_layer l = {.ifmap_h = 10, .ifmap_w = 9, .filt_h = 3, .filt_w = 2, .channels = 2,
                   .num_filt = 11, .stride_h = 2, .stride_w = 3};
    for (int df = 0; df < 3; df++) {
        mmt_config cfg = {.array_h = 4, .array_w = 3, .filter_offset = 1000,
                          .ofmap_offset = 2000, .dataflow = (mmt_dataflow)df};
        mmt_geom g;
        assert_int_equal(mmt_geom_init(&g, &l, &cfg, NULL), 0);
        for (int op = 0; op < 2; op++) {
            mmt__plist pl;
            int64_t n;
            assert_int_equal(mmt__plist_init(&pl, &g, (mmt_operand)op), 0);
            int64_t *want = brute_plist(&g, op, &n);
            assert_int_equal(pl.len, n);
            for (int64_t e = 0; e < n; e++)
                assert_int_equal(mmt__plist_at(&pl, e), want[e]);
            assert_int_equal(mmt__plist_at(&pl, n), -1);
            free(want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wbuf_lines),    cmocka_unit_test(test_wbuf_stall),
        cmocka_unit_test(test_rcalc),         cmocka_unit_test(test_rcalc_nosink),
        cmocka_unit_test(test_rcalc_modes_agree),
        cmocka_unit_test(test_ruser_refills), cmocka_unit_test(test_ruser_edits),
        cmocka_unit_test(test_ruser_absent),  cmocka_unit_test(test_plist),
        cmocka_unit_test(test_size_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
