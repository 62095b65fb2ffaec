/*
 * test_study.c - the study's arithmetic: hardware presets, the OS closed form against the
 * simulator, fractions, Amdahl's law, the fit of f(l), and the fit's extrapolation against a
 * direct simulation.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mmtrace_study.h"

/* |a - b| <= eps, reporting both values (cmocka 1.1.5 has no assert_double_equal). */
#define assert_near(a, b, eps) near_((a), (b), (eps), #a, __FILE__, __LINE__)
static void near_(double a, double b, double eps, const char *what, const char *file, int line)
{
    if (!(fabs(a - b) <= eps))
        fail_msg("%s:%d: %s = %.17g, expected %.17g (eps %g)", file, line, what, a, b, eps);
}

/* Path of a file in the source tree (MMT_SRCDIR from make check). */
static const char *srcpath(const char *rel)
{
    static char buf[4096];
    const char *src = getenv("MMT_SRCDIR");
    snprintf(buf, sizeof buf, "%s/%s", src ? src : ".", rel);
    return buf;
}

/* Simulates one GEMM row on cfg with the fused model. */
static void simulate(const mmt_config *cfg, const mmt_llm_layer *l, mmt_layer_result *res,
                     mmt_geom *g)
{
    mmt_layer ml;
    mmt_diag d = {0};
    mmt_sim_opts o = {.gzip_level = 1};
    mmt_llm_layer_to_mmt(l, &ml);
    assert_int_equal(mmt_geom_init(g, &ml, cfg, &d), 0);
    assert_int_equal(mmt_sim_run(cfg, g, &o, res), 0);
}

/* The built-in presets equal the shipped topologies/hw/<name>.cfg files. */
static void test_hw_presets(void **state)
{
    (void)state;
    static const char *const names[] = {"cloud", "edge"};
    for (int i = 0; i < 2; i++) {
        mmt_config a, b;
        mmt_diag d = {0};
        char rel[64];
        snprintf(rel, sizeof rel, "topologies/hw/%s.cfg", names[i]);
        assert_int_equal(mmt_study_hw(names[i], &a), 0);
        if (mmt_config_read(srcpath(rel), &b, &d, NULL, NULL) != 0)
            fail_msg("%s: %s", d.file, d.message);
        assert_string_equal(a.run_name, b.run_name);
        assert_int_equal(a.array_h, b.array_h);
        assert_int_equal(a.array_w, b.array_w);
        assert_int_equal(a.ifmap_kb, b.ifmap_kb);
        assert_int_equal(a.filter_kb, b.filter_kb);
        assert_int_equal(a.ofmap_kb, b.ofmap_kb);
        assert_int_equal(a.ifmap_offset, b.ifmap_offset);
        assert_int_equal(a.filter_offset, b.filter_offset);
        assert_int_equal(a.ofmap_offset, b.ofmap_offset);
        assert_int_equal(a.user_bw, b.user_bw);
        assert_int_equal(a.dataflow, b.dataflow);
    }
    mmt_config c;
    assert_int_equal(mmt_study_hw("cloud", &c), 0);
    assert_int_equal(c.array_h, 256);
    assert_int_equal(c.filter_kb, 8192);
    assert_int_equal(mmt_study_hw("edge", &c), 0);
    assert_int_equal(c.array_w, 64);
    assert_int_equal(c.ofmap_kb, 2048);
    assert_int_equal(mmt_study_hw("tpu", &c), MMT_EINVAL);
}

/* OS without stalls: Total = ceil(M/R) * ceil(N/C) * (K+R+C-2) - 1, over many shapes. */
static void test_os_closed_form(void **state)
{
    (void)state;
    static const int64_t arrays[][2] = {{4, 4}, {8, 8}, {16, 8}, {8, 32}, {32, 32}, {64, 64}};
    uint64_t seed = 12345;
    int checked = 0;
    for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; a++) {
        mmt_config cfg;
        mmt_study_hw("edge", &cfg);
        cfg.array_h = arrays[a][0], cfg.array_w = arrays[a][1];
        for (int i = 0; i < 40; i++) {
            int64_t v[3];
            for (int k = 0; k < 3; k++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                v[k] = 1 + (int64_t)((seed >> 33) % (k == 0 && i % 4 == 0 ? 2 : 300));
            }
            mmt_llm_layer l = {.M = v[0], .N = v[1], .K = v[2]};
            mmt_layer_result r;
            mmt_geom g;
            simulate(&cfg, &l, &r, &g);
            if (r.stall_cycles)
                continue;
            int64_t R = cfg.array_h, C = cfg.array_w;
            int64_t folds = (l.M + R - 1) / R * ((l.N + C - 1) / C);
            if (r.total_cycles != folds * (l.K + R + C - 2) - 1)
                fail_msg("%" PRId64 "x%" PRId64 ": M=%" PRId64 " N=%" PRId64 " K=%" PRId64
                         ": total %" PRId64 ", closed form %" PRId64,
                         R, C, l.M, l.N, l.K, r.total_cycles, folds * (l.K + R + C - 2) - 1);
            checked++;
        }
    }
    assert_true(checked >= 200); /* most shapes must be stall-free for this to mean much */
}

/* Fractions weight each row by its count; SRAM and DRAM sum the three operands. */
static void test_fractions(void **state)
{
    (void)state;
    mmt_llm_layer layers[3] = {
        {"Q", MMT_PART_MMFREE, 1, 1, 8, 8},
        {"FFN", MMT_PART_MMFREE, 2, 1, 8, 8},
        {"QKt", MMT_PART_MATMUL, 4, 1, 8, 8},
    };
    mmt_llm_block b = {layers, 3};
    mmt_layer_result res[3] = {{0}};
    res[0].total_cycles = 100, res[0].stall_cycles = 1;
    res[1].total_cycles = 50, res[1].stall_cycles = 0;
    res[2].total_cycles = 25, res[2].stall_cycles = 2;
    for (int op = 0; op < 3; op++) {
        res[0].sram_count[op] = 10, res[0].dram_count[op] = 1;
        res[1].sram_count[op] = 20, res[1].dram_count[op] = 0;
        res[2].sram_count[op] = 5, res[2].dram_count[op] = 3;
    }
    mmt_study_fractions f;
    assert_int_equal(mmt_study_fractions_compute(&b, res, &f), 0);
    assert_int_equal(f.cycles[0], 100 + 2 * 50);
    assert_int_equal(f.cycles[1], 4 * 25);
    assert_int_equal(f.stalls[0], 1);
    assert_int_equal(f.stalls[1], 8);
    assert_int_equal(f.sram[0], 30 + 2 * 60);
    assert_int_equal(f.sram[1], 4 * 15);
    assert_int_equal(f.dram[0], 3);
    assert_int_equal(f.dram[1], 36);
    assert_near(f.f_compute, 200.0 / 300.0, 1e-15);
    assert_near(f.f_memory, 150.0 / 210.0, 1e-15);
    assert_near(f.f_dram, 3.0 / 39.0, 1e-15);
    res[1].total_cycles = INT64_MAX / 2 + 1; /* counted twice */
    assert_int_equal(mmt_study_fractions_compute(&b, res, &f), MMT_EOVERFLOW);
}

static void test_amdahl(void **state)
{
    (void)state;
    assert_near(mmt_study_amdahl(0.5, 1), 1.0, 1e-15);
    assert_near(mmt_study_amdahl(0.5, 100), 1.0 / 0.505, 1e-12);
    assert_near(mmt_study_amdahl(1.0, 100), 100.0, 1e-12);
    assert_near(mmt_study_amdahl(0.0, 100), 1.0, 1e-15);
}

/* The fit recovers known parameters from exact and from noisy synthetic data. */
static void test_fit_recovers(void **state)
{
    (void)state;
    const double alpha = 0.05, beta = 3e-4;
    double l[8], f[8];
    for (int i = 0; i < 8; i++) {
        l[i] = 64.0 * (1 << i);
        f[i] = 1.0 / (1.0 + alpha + beta * l[i]);
    }
    mmt_study_fit fit;
    assert_int_equal(mmt_study_fit_run(l, f, 8, &fit), 0);
    assert_near(fit.alpha, alpha, 1e-9);
    assert_near(fit.beta, beta, 1e-12);
    assert_true(fit.se_alpha < 1e-9 && fit.se_beta < 1e-12);
    assert_near(fit.r2, 1.0, 1e-12);
    assert_near(mmt_study_fit_eval(&fit, 32768), 1.0 / (1.0 + alpha + beta * 32768), 1e-9);
    /* +-0.2 percentage point of deterministic "noise": the truth within 3 standard errors */
    for (int i = 0; i < 8; i++)
        f[i] += (i % 2 ? 0.002 : -0.002);
    assert_int_equal(mmt_study_fit_run(l, f, 8, &fit), 0);
    assert_true(fit.se_alpha > 0 && fit.se_beta > 0);
    assert_true(fabs(fit.alpha - alpha) < 3 * fit.se_alpha + 1e-3);
    assert_true(fabs(fit.beta - beta) < 3 * fit.se_beta);
    assert_true(fit.r2 > 0.99 && fit.r2 < 1.0);
    /* unusable input */
    assert_int_equal(mmt_study_fit_run(l, f, 1, &fit), MMT_EINVAL);
    f[3] = 0;
    assert_int_equal(mmt_study_fit_run(l, f, 8, &fit), MMT_EINVAL);
}

/* f_compute of one model on one preset at length l, by direct simulation. */
static double direct_f(const mmt_config *cfg, const mmt_llm_model *m, int64_t l)
{
    mmt_llm_opts o = {MMT_LLM_DECODE, l, 1, MMT_LLM_FFN_PLAIN, 0};
    mmt_llm_block *b;
    mmt_layer_result res[16];
    mmt_geom g;
    assert_int_equal(mmt_llm_lower(m, &o, &b, NULL, NULL, NULL), 0);
    for (size_t i = 0; i < b->n; i++)
        simulate(cfg, &b->layers[i], &res[i], &g);
    mmt_study_fractions f;
    assert_int_equal(mmt_study_fractions_compute(b, res, &f), 0);
    mmt_llm_block_free(b);
    return f.f_compute;
}

/* Fitted on 128..4096, the prediction at 8192 is within one percentage point of simulating
 * 8192 directly (gpt2 on both presets). */
static void test_fit_extrapolates(void **state)
{
    (void)state;
    static const char *const hw[] = {"cloud", "edge"};
    mmt_llm_model m;
    assert_int_equal(mmt_llm_preset("gpt2", &m), 0);
    for (int h = 0; h < 2; h++) {
        mmt_config cfg;
        mmt_study_hw(hw[h], &cfg);
        double l[6], f[6];
        for (int i = 0; i < 6; i++) {
            l[i] = 128 << i;
            f[i] = direct_f(&cfg, &m, 128 << i);
        }
        mmt_study_fit fit;
        assert_int_equal(mmt_study_fit_run(l, f, 6, &fit), 0);
        assert_true(fit.r2 > 0.99);
        double pred = mmt_study_fit_eval(&fit, 8192), sim = direct_f(&cfg, &m, 8192);
        if (fabs(pred - sim) > 0.01)
            fail_msg("%s: fitted f(8192) = %.4f, simulated %.4f", hw[h], pred, sim);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hw_presets),   cmocka_unit_test(test_os_closed_form),
        cmocka_unit_test(test_fractions),    cmocka_unit_test(test_amdahl),
        cmocka_unit_test(test_fit_recovers), cmocka_unit_test(test_fit_extrapolates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
