/* test_folds.c - the fold engine (sim_folds.c) against the row engine: both on every layer of
 * every golden case and on thousands of seeded random layers, requiring identical results
 * (every field of mmt_layer_result, floats bit for bit: the reports are printed from them);
 * plus the engine choice, its refusals and the fallback. A mismatch is a bug in the fold
 * engine, never a reason to loosen this test.
 *
 * MMT_FOLDS_LAYERS=N changes the number of random layers (default 3000); MMT_FOLDS_SEED the
 * seed. */
#include <config.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "sim_internal.h"

/* Layers each engine ran, over the whole test binary. */
static long ran_folds, ran_rows, ran_folds_user, ran_folds_conv, ran_folds_bits;

/* Prints the layer for a failure message. */
static void describe(const mmt_config *c, const mmt_geom *g, const char *what)
{
    fprintf(stderr,
            "mismatch (%s): %s %s R=%" PRId64 " C=%" PRId64 " kb=%" PRId64 "/%" PRId64
            "/%" PRId64 " bw=%" PRId64 " H=%" PRId64 " W=%" PRId64 " FH=%" PRId64
            " FW=%" PRId64 " Cin=%" PRId64 " N=%" PRId64 " S=%" PRId64 "x%" PRId64 "\n",
            what, mmt_dataflow_name(c->dataflow), c->user_bw ? "USER" : "CALC", c->array_h,
            c->array_w, c->ifmap_kb, c->filter_kb, c->ofmap_kb, c->bandwidth, g->H, g->W,
            g->FH, g->FW, g->Cin, g->N, g->SH, g->SW);
}

/* Runs both engines (auto for the fast side) and requires the same return code and result. */
static void both(const mmt_config *cfg, const mmt_geom *g, int py311)
{
    mmt_sim_opts ro = {.engine = MMT_ENGINE_ROWS, .py311_sum = py311};
    mmt_sim_opts fo = {.engine = MMT_ENGINE_AUTO, .py311_sum = py311};
    mmt_layer_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ra = mmt_sim_run(cfg, g, &ro, &a), rb = mmt_sim_run(cfg, g, &fo, &b);
    int folds = mmt_sim_folds_ok(cfg, g, &fo, NULL);
    folds ? ran_folds++ : ran_rows++;
    if (folds && cfg->user_bw)
        ran_folds_user++;
    if (folds && (g->FW != g->W || g->FH != 1 || g->Cin != 1))
        ran_folds_conv++;
    if (folds && (cfg->bits_milli[0] || cfg->bits_milli[1] || cfg->bits_milli[2]))
        ran_folds_bits++;
    mmt_diag cd = {0}; /* what the layer cache checks holds on every layer (sim_check.c) */
    if (ra == 0 && mmt_sim_result_check(cfg, g, &a, &cd) != 0) {
        describe(cfg, g, "mmt_sim_result_check");
        fprintf(stderr, "  %s\n", cd.message);
        fail();
    }
    if (ra != rb || memcmp(&a, &b, sizeof a) != 0) {
        describe(cfg, g, folds ? "folds" : "rows");
        fprintf(stderr,
                "  rc %d/%d total %" PRId64 "/%" PRId64 " stall %" PRId64 "/%" PRId64 "\n", ra,
                rb, a.total_cycles, b.total_cycles, a.stall_cycles, b.stall_cycles);
        for (int op = 0; op < 3; op++)
            fprintf(stderr,
                    "  op%d sram %d %" PRId64 "-%" PRId64 " / %d %" PRId64 "-%" PRId64
                    "  dram %" PRId64 " %" PRId64 "-%" PRId64 " / %" PRId64 " %" PRId64
                    "-%" PRId64 "\n",
                    op, a.has_sram[op], a.sram_start[op], a.sram_stop[op], b.has_sram[op],
                    b.sram_start[op], b.sram_stop[op], a.dram_count[op], a.dram_start[op],
                    a.dram_stop[op], b.dram_count[op], b.dram_start[op], b.dram_stop[op]);
        fail();
    }
}

/* ---------------------------------------------------------------- golden cases */

/* Both engines on every layer of one golden case directory. */
static void golden_case(const char *dir)
{
    char path[8704], cmd[4096] = "";
    mmt_config cfg;
    mmt_topology *t = NULL;
    snprintf(path, sizeof path, "%s/command.txt", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(cmd, sizeof cmd, f))
            cmd[0] = '\0';
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/config.cfg", dir);
    assert_int_equal(mmt_config_read(path, &cfg, NULL, NULL, NULL), 0);
    snprintf(path, sizeof path, "%s/topology.csv", dir);
    assert_int_equal(mmt_topology_read(path, strstr(cmd, "-i gemm") != NULL, &t, NULL, NULL, NULL),
                     0);
    for (size_t i = 0; i < mmt_topology_count(t); i++) {
        mmt_geom g;
        assert_int_equal(mmt_geom_init(&g, mmt_topology_layer(t, i), &cfg, NULL), 0);
        both(&cfg, &g, 0);
        both(&cfg, &g, 1);
        /* The same layer in both modes and all dataflows widens the golden coverage. */
        for (int df = 0; df < 3; df++)
            for (int user = 0; user < 2; user++) {
                mmt_config c2 = cfg;
                c2.dataflow = (mmt_dataflow)df;
                c2.user_bw = user;
                if (user && c2.bandwidth <= 0)
                    c2.bandwidth = 10;
                mmt_geom g2;
                assert_int_equal(mmt_geom_init(&g2, mmt_topology_layer(t, i), &c2, NULL), 0);
                both(&c2, &g2, 0);
            }
    }
    mmt_topology_free(t);
}

/* Every case under $MMT_SRCDIR/tests/golden. */
static void test_golden(void **state)
{
    (void)state;
    const char *src = getenv("MMT_SRCDIR");
    char root[4096];
    snprintf(root, sizeof root, "%s/tests/golden", src ? src : ".");
    DIR *d = opendir(root);
    if (!d)
        skip();
    struct dirent *e;
    int cases = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char dir[4096 + 256];
        struct stat st;
        snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
            continue; /* README.md, the runner script */
        golden_case(dir);
        cases++;
    }
    closedir(d);
    assert_true(cases >= 40);
}

/* ---------------------------------------------------------------- random layers */

static uint64_t rng_state;

/* xorshift64*: a fixed, portable sequence for a given seed. */
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [lo, hi]. */
static int64_t uni(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* Roughly log-uniform in [1, hi]. */
static int64_t logu(int64_t hi)
{
    int64_t bits = 0;
    while (((int64_t)1 << (bits + 1)) <= hi)
        bits++;
    int64_t top = (int64_t)1 << uni(0, bits);
    int64_t v = uni(top, 2 * top - 1);
    return v > hi ? hi : v;
}

/* A random config: arrays 1-64 (sometimes 128 or 256), SRAMs from 1 KB, bandwidth 1-64. */
static void random_cfg(mmt_config *c)
{
    memset(c, 0, sizeof *c);
    static const int64_t big[2] = {128, 256};
    c->array_h = rnd() % 16 ? uni(1, 64) : big[rnd() % 2];
    c->array_w = rnd() % 16 ? uni(1, 64) : big[rnd() % 2];
    int64_t *kb[3] = {&c->ifmap_kb, &c->filter_kb, &c->ofmap_kb};
    for (int i = 0; i < 3; i++)
        *kb[i] = rnd() % 3 ? uni(1, 4) : logu(4096);
    c->ifmap_offset = rnd() % 4 ? 0 : uni(0, 1000);
    c->filter_offset = 10000000;
    c->ofmap_offset = 20000000;
    c->dataflow = (mmt_dataflow)(rnd() % 3);
    c->user_bw = rnd() % 2 == 0;
    c->bandwidth = c->user_bw ? uni(1, 64) : 0;
    /* Sometimes operand widths other than 8 bits ([precision]): 1 to 32 bits. */
    static const int32_t bits[6] = {1000, 1670, 2000, 4000, 16000, 32000};
    for (int op = 0; op < 3 && rnd() % 6 == 0; op++)
        c->bits_milli[op] = bits[rnd() % 6];
}

/* A random GEMM (or, sometimes, conv) layer whose row-engine cost stays small. */
static int random_layer(const mmt_config *c, mmt_geom *g)
{
    mmt_layer l = {.stride_h = 1, .stride_w = 1, .channels = 1, .filt_h = 1};
    if (rnd() % 10 == 0) { /* conv: overlapping windows go to the rows */
        l.ifmap_h = uni(1, 12), l.ifmap_w = uni(1, 12);
        l.filt_h = uni(1, l.ifmap_h), l.filt_w = uni(1, l.ifmap_w);
        l.channels = uni(1, 4), l.num_filt = uni(1, 40);
        l.stride_h = uni(1, 3), l.stride_w = uni(1, 3);
    } else if (rnd() % 8 == 0) { /* conv the fold engine takes: stride = filter, or 1x1 */
        l.filt_h = uni(1, 4), l.filt_w = uni(1, 4);
        if (rnd() % 2)
            l.filt_h = l.filt_w = 1;
        l.stride_h = l.filt_h + (rnd() % 3 == 0), l.stride_w = l.filt_w + (rnd() % 3 == 0);
        l.ifmap_h = l.filt_h + l.stride_h * uni(0, 6);
        l.ifmap_w = l.filt_w + l.stride_w * uni(0, 6);
        l.channels = uni(1, 16), l.num_filt = logu(200);
    } else {
        l.ifmap_h = logu(rnd() % 4 ? 300 : 3000); /* M */
        l.ifmap_w = l.filt_w = logu(rnd() % 8 ? 2000 : 10000); /* K */
        l.num_filt = logu(rnd() % 4 ? 300 : 3000);                 /* N */
    }
    if (mmt_geom_init(g, &l, c, NULL) != 0)
        return -1;
    /* Keep the row engine's work (rows x columns) near 2e5 so thousands of layers run fast. */
    return (double)g->rows * (double)(c->array_h + 2 * c->array_w) > 4e5 ? -1 : 0;
}

/* Thousands of seeded random layers, all dataflows and both modes. */
static void test_random(void **state)
{
    (void)state;
    const char *n_env = getenv("MMT_FOLDS_LAYERS"), *s_env = getenv("MMT_FOLDS_SEED");
    long n = n_env ? atol(n_env) : 3000;
    rng_state = s_env ? strtoull(s_env, NULL, 0) : 0x9E3779B97F4A7C15ull;
    long before = ran_folds;
    for (long i = 0; i < n;) {
        mmt_config c;
        mmt_geom g;
        random_cfg(&c);
        if (random_layer(&c, &g) != 0)
            continue;
        both(&c, &g, (int)(i & 1));
        i++;
    }
    /* The test proves nothing if the fold engine hardly ran, in each mode and kind. */
    assert_true(ran_folds - before >= n / 2);
    assert_true(ran_folds_user >= n / 4);
    assert_true(ran_folds_conv >= n / 40);
    assert_true(ran_folds_bits >= n / 40);
}

/* A random negative offset: small (the range may hold -1, a hole SCALE-Sim skips), large,
 * or the lowest accepted, -2^53. */
static int64_t negative_offset(void)
{
    switch (rnd() % 4) {
    case 0: return -uni(1, 3000);
    case 1: return -uni(3000, (int64_t)1 << 40);
    case 2: return MMT_MIN_OFFSET + uni(0, 100);
    default: return uni(0, 1000);
    }
}

/* Random layers with negative offsets (doc/scalesim-v2.md §4.1): both engines agree, the fold
 * engine takes the USER layers whose operands hold no -1, and leaves the others to the rows
 * with a reason naming the negative offset. */
static void test_negative_offsets(void **state)
{
    (void)state;
    rng_state = 0x243F6A8885A308D3ull;
    long folds = 0, rows = 0, n = 600;
    for (long i = 0; i < n;) {
        mmt_config c;
        mmt_geom g;
        random_cfg(&c);
        c.ifmap_offset = negative_offset();
        c.filter_offset = negative_offset();
        c.ofmap_offset = negative_offset();
        if (random_layer(&c, &g) != 0)
            continue;
        const char *why = NULL;
        int ok = mmt_sim_folds_ok(&c, &g, NULL, &why);
        int64_t lo[3], hi[3];
        int hole = 0;
        for (int op = 0; op < 3; op++) {
            mmt_geom_operand_range(&g, (mmt_operand)op, &lo[op], &hi[op]);
            hole |= lo[op] <= -1 && -1 < hi[op];
        }
        if (hole || (!c.user_bw && (c.ifmap_offset < 0 || c.filter_offset < 0))) {
            assert_false(ok);
            assert_non_null(strstr(why, "negative offset"));
        }
        ok ? folds++ : rows++;
        both(&c, &g, (int)(i & 1));
        i++;
    }
    assert_true(folds >= n / 8 && rows >= n / 4);
}

/* ---------------------------------------------------------------- choice and refusals */

/* A small GEMM layer under the given mode. */
static void small(mmt_config *c, mmt_geom *g, int user, int64_t M, int64_t N, int64_t K)
{
    memset(c, 0, sizeof *c);
    c->array_h = c->array_w = 8;
    c->ifmap_kb = c->filter_kb = c->ofmap_kb = 1;
    c->filter_offset = 10000000, c->ofmap_offset = 20000000;
    c->user_bw = user, c->bandwidth = user ? 4 : 0;
    mmt_layer l = {.ifmap_h = M, .ifmap_w = K, .filt_h = 1, .filt_w = K, .channels = 1,
                   .num_filt = N, .stride_h = 1, .stride_w = 1};
    assert_int_equal(mmt_geom_init(g, &l, c, NULL), 0);
}

/* What the fold engine refuses, and what --engine=folds then does. */
static void test_refusals(void **state)
{
    (void)state;
    mmt_config c;
    mmt_geom g;
    mmt_layer_result r;
    const char *why = NULL;
    small(&c, &g, 0, 20, 30, 40);
    assert_true(mmt_sim_folds_ok(&c, &g, NULL, &why));
    assert_null(why);
    mmt_sim_opts traces = {.dram_trace_path = {NULL, "/nonexistent/x.gz", NULL}};
    assert_false(mmt_sim_folds_ok(&c, &g, &traces, &why));
    assert_string_equal(why, "traces requested");
    small(&c, &g, 1, 20, 30, 40); /* USER mode and other widths are covered */
    assert_true(mmt_sim_folds_ok(&c, &g, NULL, &why));
    c.bits_milli[0] = 4000, c.bits_milli[2] = 16000;
    assert_true(mmt_sim_folds_ok(&c, &g, NULL, &why));
    c.version = MMT_SCALESIM_V3;
    assert_false(mmt_sim_folds_ok(&c, &g, NULL, &why));
    assert_non_null(strstr(why, "v3"));
    c.version = MMT_SCALESIM_V2, c.bits_milli[0] = c.bits_milli[2] = 0;
    mmt_sim_opts strict = {.engine = MMT_ENGINE_FOLDS}, aut = {.engine = MMT_ENGINE_AUTO};
    /* Convs: overlapping windows (stride 1, 3x3) or windows past the edge are refused;
     * windows that tile the ifmap (stride = filter) or 1x1 filters with a stride are not. */
    mmt_layer l = {.ifmap_h = 9, .ifmap_w = 9, .filt_h = 3, .filt_w = 3, .channels = 2,
                   .num_filt = 4, .stride_h = 1, .stride_w = 1};
    for (int user = 0; user < 2; user++) {
        c.user_bw = user;
        l.stride_h = l.stride_w = 1, l.filt_h = l.filt_w = 3, l.ifmap_h = 9;
        assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
        assert_false(mmt_sim_folds_ok(&c, &g, NULL, &why));
        assert_non_null(strstr(why, "conv"));
        assert_int_equal(mmt_sim_run(&c, &g, &strict, &r), MMT_EINVAL);
        assert_int_equal(mmt_sim_run(&c, &g, &aut, &r), 0); /* falls back to the rows */
        l.stride_h = l.stride_w = 3;
        assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
        assert_true(mmt_sim_folds_ok(&c, &g, NULL, &why));
        l.ifmap_h = 10; /* a last window row past the edge: -1 holes */
        assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
        assert_false(mmt_sim_folds_ok(&c, &g, NULL, &why));
        /* 1x1 with strides 2 and 4 on 9x9: SCALE-Sim's ceil output size has no window
         * past the edge here (it has one with stride 3: (9-1) % 3 != 0). */
        l.ifmap_h = 9, l.filt_h = l.filt_w = 1, l.stride_h = 2, l.stride_w = 4;
        assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
        assert_true(mmt_sim_folds_ok(&c, &g, NULL, &why));
        l.stride_w = 3;
        assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
        assert_false(mmt_sim_folds_ok(&c, &g, NULL, &why));
    }
}

/* Two CALC window events in one cycle (a row wider than 50*ips misses): SCALE-Sim v2 divides
 * by zero; both engines must refuse the layer alike (the row engine used to crash). */
static void test_two_events_one_cycle(void **state)
{
    (void)state;
    mmt_config c;
    mmt_geom g;
    small(&c, &g, 0, 1, 1, 1);
    c.array_h = c.array_w = 1024;
    mmt_layer l = {.ifmap_h = 1024, .ifmap_w = 1024, .filt_h = 1, .filt_w = 1024,
                   .channels = 1, .num_filt = 1, .stride_h = 1, .stride_w = 1};
    assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
    mmt_layer_result r;
    mmt_sim_opts rows = {.engine = MMT_ENGINE_ROWS}, folds = {.engine = MMT_ENGINE_FOLDS};
    assert_int_equal(mmt_sim_run(&c, &g, &rows, &r), MMT_ERANGE);
    assert_int_equal(mmt_sim_run(&c, &g, &folds, &r), MMT_ERANGE);
}

/* USER mode where a stationary row spans nearly the whole prefetch list (WS filter rows 128
 * wide, 32-bit operands in 1 KB: 256 elements), so the fold engine must test each element of
 * the row (its window wraps round the list); found by search, 20 such layers in this sweep. */
static void test_user_wrapping_rows(void **state)
{
    (void)state;
    for (int64_t M = 1; M <= 400; M += 7) {
        mmt_config c;
        mmt_geom g;
        small(&c, &g, 1, 1, 1, 1);
        c.dataflow = MMT_DF_WS;
        c.array_h = c.array_w = 128;
        c.bits_milli[0] = c.bits_milli[1] = 32000;
        mmt_layer l = {.ifmap_h = M, .ifmap_w = 2, .filt_h = 1, .filt_w = 2, .channels = 1,
                       .num_filt = 75, .stride_h = 1, .stride_w = 1};
        assert_int_equal(mmt_geom_init(&g, &l, &c, NULL), 0);
        assert_true(mmt_sim_folds_ok(&c, &g, NULL, NULL));
        both(&c, &g, 0);
    }
}

/* Engine names: the three accepted, anything else refused. */
static void test_engine_names(void **state)
{
    (void)state;
    mmt_engine e = MMT_ENGINE_ROWS;
    assert_int_equal(mmt_engine_parse("auto", &e), 0);
    assert_int_equal(e, MMT_ENGINE_AUTO);
    assert_int_equal(mmt_engine_parse("rows", &e), 0);
    assert_int_equal(e, MMT_ENGINE_ROWS);
    assert_int_equal(mmt_engine_parse("folds", &e), 0);
    assert_int_equal(e, MMT_ENGINE_FOLDS);
    const char *bad[] = {"", "Folds", "fold", "rows ", "auto\n", "x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(mmt_engine_parse(bad[i], &e), MMT_EINVAL);
    assert_string_equal(mmt_engine_name(MMT_ENGINE_FOLDS), "folds");
}

/* A stream moved with mmt__stream_seek gives the rows a plain walk gives there. */
static void test_stream_seek(void **state)
{
    (void)state;
    mmt_config c;
    mmt_geom g;
    small(&c, &g, 0, 19, 21, 5);
    for (int df = 0; df < 3; df++) {
        c.dataflow = (mmt_dataflow)df;
        assert_int_equal(mmt_geom_init(&g, &(mmt_layer){.ifmap_h = 19, .ifmap_w = 5,
                                                         .filt_h = 1, .filt_w = 5,
                                                         .channels = 1, .num_filt = 21,
                                                         .stride_h = 1, .stride_w = 1},
                                       &c, NULL),
                         0);
        mmt_stream *a, *b;
        assert_int_equal(mmt_stream_new(&g, MMT_OP_OFMAP, &a), 0);
        assert_int_equal(mmt_stream_new(&g, MMT_OP_OFMAP, &b), 0);
        int64_t w = mmt_stream_width(a);
        int64_t *ra = malloc((size_t)w * sizeof *ra), *rb = malloc((size_t)w * sizeof *rb);
        int64_t f = g.folds / 2, t = g.L / 3;
        for (int64_t i = 0; i < f * g.L + t; i++)
            assert_int_equal(mmt_stream_next(a, ra), 1);
        assert_int_equal(mmt__stream_seek(b, f, t), 0);
        for (int64_t i = 0; i < g.L; i++) {
            assert_int_equal(mmt_stream_next(a, ra), 1);
            assert_int_equal(mmt_stream_next(b, rb), 1);
            assert_memory_equal(ra, rb, (size_t)w * sizeof *ra);
        }
        assert_int_equal(mmt__stream_seek(b, g.folds, 0), MMT_EINVAL);
        assert_int_equal(mmt__stream_seek(b, 0, g.L), MMT_EINVAL);
        assert_int_equal(mmt__stream_seek(b, -1, 0), MMT_EINVAL);
        free(ra), free(rb);
        mmt_stream_free(a), mmt_stream_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_names), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_stream_seek),  cmocka_unit_test(test_two_events_one_cycle),
        cmocka_unit_test(test_golden),       cmocka_unit_test(test_user_wrapping_rows),
        cmocka_unit_test(test_random),       cmocka_unit_test(test_negative_offsets),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    fprintf(stderr,
            "test_folds: %ld layer runs on the fold engine (%ld USER, %ld conv, %ld widths not "
            "8 bits), %ld on the rows\n",
            ran_folds, ran_folds_user, ran_folds_conv, ran_folds_bits, ran_rows);
    return r;
}
