/*
 * test_llm.c - LLM lowering: presets, HuggingFace config.json reading, block lowering and the
 * topology/manifest files.
 */
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

/* Path of a fixture under tests/llm (MMT_SRCDIR from make check, else the source tree). */
static const char *fixture(const char *name)
{
    static char buf[4096];
    const char *src = getenv("MMT_SRCDIR");
    snprintf(buf, sizeof buf, "%s/tests/llm/%s", src ? src : ".", name);
    return buf;
}

/* Finds the layer called name in b, failing the test if absent. */
static const mmt_llm_layer *find(const mmt_llm_block *b, const char *name)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->layers[i].name, name))
            return &b->layers[i];
    fail_msg("no layer %s", name);
    return NULL;
}

/* Asserts a layer's shape, count and part. */
static void check(const mmt_llm_block *b, const char *name, int64_t M, int64_t N, int64_t K,
                  int64_t count, mmt_llm_part part)
{
    const mmt_llm_layer *l = find(b, name);
    assert_int_equal(l->M, M);
    assert_int_equal(l->N, N);
    assert_int_equal(l->K, K);
    assert_int_equal(l->count, count);
    assert_int_equal(l->part, part);
}

/* Lowers m with o, which must succeed (no diagnostic, no warning sink); caller frees. */
static mmt_llm_block *lower_ok(const mmt_llm_model *m, const mmt_llm_opts *o)
{
    mmt_llm_block *b;
    assert_int_equal(mmt_llm_lower(m, o, &b, NULL, NULL, NULL), 0);
    return b;
}

static int nwarn;
static void count_warn(void *ud, const mmt_diag *d)
{
    (void)ud;
    (void)d;
    nwarn++;
}

static void test_presets(void **state)
{
    (void)state;
    static const char *const names[] = {
        "gpt2",     "gpt2-medium", "gpt2-large", "gpt2-xl", "opt-350m", "opt-1.3b", "opt-2.7b",
        "opt-6.7b", "opt-13b",     "opt-30b",    "opt-66b", "llama-7b", "llama-13b"};
    assert_int_equal(mmt_llm_preset_count(), 13);
    for (size_t i = 0; i < 13; i++) {
        const mmt_llm_model *m = mmt_llm_preset_at(i);
        assert_string_equal(m->name, names[i]);
        assert_int_equal(m->d % m->heads, 0);
        assert_int_equal(m->head_dim * m->heads, m->d);
        assert_int_equal(m->ffn, MMT_LLM_FFN_PLAIN);
    }
    mmt_llm_model m;
    assert_int_equal(mmt_llm_preset("gpt2-xl", &m), 0);
    assert_int_equal(m.d, 1600);
    assert_int_equal(m.heads, 25);
    assert_int_equal(m.ff, 6400);
    assert_int_equal(m.max_ctx, 1024);
    assert_int_equal(mmt_llm_preset("llama-13b", &m), 0);
    assert_int_equal(m.ff, 13824);
    assert_int_equal(m.max_ctx, 2048);
    assert_int_equal(mmt_llm_preset("gpt3", &m), MMT_EINVAL);
}

/* study.md's decode table, for gpt2 at l = 128. */
static void test_decode_table(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    assert_int_equal(mmt_llm_preset("gpt2", &m), 0);
    mmt_llm_opts o = {MMT_LLM_DECODE, 128, 1, MMT_LLM_FFN_PLAIN, 0};
    b = lower_ok(&m, &o);
    assert_int_equal(b->n, 8);
    check(b, "Q", 1, 768, 768, 1, MMT_PART_MMFREE);
    check(b, "K", 1, 768, 768, 1, MMT_PART_MMFREE);
    check(b, "V", 1, 768, 768, 1, MMT_PART_MMFREE);
    check(b, "O", 1, 768, 768, 1, MMT_PART_MMFREE);
    check(b, "FFN1", 1, 3072, 768, 1, MMT_PART_MMFREE);
    check(b, "FFN2", 1, 768, 3072, 1, MMT_PART_MMFREE);
    check(b, "QKt", 1, 128, 64, 12, MMT_PART_MATMUL);
    check(b, "SV", 1, 64, 128, 12, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
}

static void test_prefill_batch(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    assert_int_equal(mmt_llm_preset("opt-1.3b", &m), 0);
    mmt_llm_opts o = {MMT_LLM_PREFILL, 256, 4, MMT_LLM_FFN_PLAIN, 0};
    b = lower_ok(&m, &o);
    check(b, "Q", 1024, 2048, 2048, 1, MMT_PART_MMFREE);
    check(b, "FFN2", 1024, 2048, 8192, 1, MMT_PART_MMFREE);
    check(b, "QKt", 256, 256, 64, 32 * 4, MMT_PART_MATMUL);
    check(b, "SV", 256, 64, 256, 32 * 4, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    o.phase = MMT_LLM_DECODE;
    b = lower_ok(&m, &o);
    check(b, "Q", 4, 2048, 2048, 1, MMT_PART_MMFREE);
    check(b, "QKt", 1, 256, 64, 128, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
}

static void test_gated_and_expand(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    assert_int_equal(mmt_llm_preset("llama-7b", &m), 0);
    mmt_llm_opts o = {MMT_LLM_DECODE, 512, 2, MMT_LLM_FFN_GATED, 1};
    b = lower_ok(&m, &o);
    assert_int_equal(b->n, 7 + 2 * 32);
    check(b, "FFN_gate", 2, 11008, 4096, 1, MMT_PART_MMFREE);
    check(b, "FFN_up", 2, 11008, 4096, 1, MMT_PART_MMFREE);
    check(b, "FFN_down", 2, 4096, 11008, 1, MMT_PART_MMFREE);
    check(b, "QKt_h0", 1, 512, 128, 2, MMT_PART_MATMUL);
    check(b, "SV_h31", 1, 128, 512, 2, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* Found by fuzzing: billions of heads must not become billions of rows. */
    m.heads = m.kv_heads = MMT_LLM_MAX_EXPAND_HEADS + 1, m.head_dim = 1;
    mmt_diag d;
    assert_int_equal(mmt_llm_lower(&m, &o, &b, &d, NULL, NULL), MMT_ERANGE);
    assert_null(b);
    assert_non_null(strstr(d.message, "at most 65536"));
    o.expand_heads = 0; /* past MMT_LLM_MAX_HEADS even as one row counted h times */
    assert_int_equal(mmt_llm_lower(&m, &o, &b, &d, NULL, NULL), MMT_ERANGE);
    assert_string_equal(d.message, "attention heads = 65537: at most 65536 (far beyond any "
                                   "model; refused before simulating)");
    m.heads = m.kv_heads = MMT_LLM_MAX_HEADS; /* at the cap: one row counted h times */
    b = lower_ok(&m, &o);
    mmt_llm_block_free(b);
    /* every other dimension past its cap is refused by name */
    const struct {
        int64_t *f;
        const char *what;
    } dims[] = {{&m.d, "hidden size"},   {&m.head_dim, "head_dim"},
                {&m.ff, "FFN size"},     {&m.layers, "decoder layers"},
                {&m.experts, "experts"}, {&m.expert_ff, "expert FFN size"}};
    const int64_t caps[] = {MMT_LLM_MAX_HIDDEN, MMT_LLM_MAX_HEAD_DIM, MMT_LLM_MAX_FFN,
                            MMT_LLM_MAX_LAYERS, MMT_LLM_MAX_EXPERTS,  MMT_LLM_MAX_FFN};
    for (size_t i = 0; i < sizeof dims / sizeof *dims; i++) {
        mmt_llm_model x = m;
        int64_t *f = (int64_t *)((char *)&x + ((char *)dims[i].f - (char *)&m));
        *f = caps[i] + 1;
        assert_int_equal(mmt_llm_lower(&x, &o, &b, &d, NULL, NULL), MMT_ERANGE);
        assert_null(b);
        assert_non_null(strstr(d.message, dims[i].what));
    }
}

static void test_context_warning(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    assert_int_equal(mmt_llm_preset("gpt2", &m), 0);
    mmt_llm_opts o = {MMT_LLM_DECODE, 1024, 1, MMT_LLM_FFN_PLAIN, 0};
    nwarn = 0;
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, count_warn, NULL), 0);
    mmt_llm_block_free(b);
    assert_int_equal(nwarn, 0);
    o.seq = 4096;
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, count_warn, NULL), 0);
    assert_int_equal(nwarn, 1);
    check(b, "QKt", 1, 4096, 64, 12, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    o.seq = 0;
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), MMT_ERANGE);
    assert_null(b);
}

static void test_hf_gpt2(void **state)
{
    (void)state;
    mmt_llm_model m, p;
    mmt_diag d = {0};
    assert_int_equal(mmt_llm_config_read(fixture("gpt2.json"), &m, &d), 0);
    assert_int_equal(mmt_llm_preset("gpt2", &p), 0);
    assert_string_equal(m.family, "gpt2");
    assert_string_equal(m.name, "gpt2");
    assert_int_equal(m.d, p.d);
    assert_int_equal(m.heads, p.heads);
    assert_int_equal(m.ff, 4 * 768); /* n_inner null */
    assert_int_equal(m.layers, 12);
    assert_int_equal(m.max_ctx, 1024);
    assert_int_equal(m.ffn, MMT_LLM_FFN_PLAIN);
    assert_int_equal(m.qkv_fused, 1); /* GPT-2's c_attn; the paper preset keeps Q, K, V */
    assert_int_equal(p.qkv_fused, 0);
    assert_int_equal(mmt_llm_config_read(fixture("gpt2_inner.json"), &m, &d), 0);
    assert_int_equal(m.ff, 100);
    assert_int_equal(m.head_dim, 16);
    assert_int_equal(m.max_ctx, 256);
}

static void test_hf_opt(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_diag d = {0};
    assert_int_equal(mmt_llm_config_read(fixture("opt.json"), &m, &d), 0);
    assert_string_equal(m.family, "opt");
    assert_string_equal(m.name, "opt-350m");
    assert_int_equal(m.d, 1024);
    assert_int_equal(m.heads, 16);
    assert_int_equal(m.kv_heads, 16);
    assert_int_equal(m.ff, 4096);
    assert_int_equal(m.layers, 24);
    assert_int_equal(m.max_ctx, 2048);
}

static void test_hf_llama(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    mmt_diag d = {0};
    assert_int_equal(mmt_llm_config_read(fixture("llama.json"), &m, &d), 0);
    assert_string_equal(m.family, "llama");
    assert_int_equal(m.kv_heads, 32); /* absent: = heads */
    assert_int_equal(m.head_dim, 128);
    assert_int_equal(m.ffn, MMT_LLM_FFN_GATED);
    mmt_llm_opts o = {MMT_LLM_DECODE, 128, 1, m.ffn, 0};
    b = lower_ok(&m, &o);
    assert_int_equal(b->n, 9);
    check(b, "K", 1, 4096, 4096, 1, MMT_PART_MMFREE);
    check(b, "FFN_down", 1, 4096, 11008, 1, MMT_PART_MMFREE);
    mmt_llm_block_free(b);
}

/* Grouped-query attention narrows K and V to n_kv*dh; attention stays per query head. */
static void test_hf_gqa(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    mmt_diag d = {0};
    assert_int_equal(mmt_llm_config_read(fixture("llama_gqa.json"), &m, &d), 0);
    assert_string_equal(m.name, "TinyLlama-1.1B");
    assert_int_equal(m.kv_heads, 4);
    assert_int_equal(m.head_dim, 64);
    mmt_llm_opts o = {MMT_LLM_PREFILL, 64, 1, m.ffn, 0};
    b = lower_ok(&m, &o);
    check(b, "Q", 64, 2048, 2048, 1, MMT_PART_MMFREE);
    check(b, "K", 64, 256, 2048, 1, MMT_PART_MMFREE);
    check(b, "V", 64, 256, 2048, 1, MMT_PART_MMFREE);
    check(b, "O", 64, 2048, 2048, 1, MMT_PART_MMFREE);
    /* grouped: g = 32/4 = 8 query heads x 64 prompt rows share each of the 4 KV heads */
    check(b, "QKt", 8 * 64, 64, 64, 4, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    o.attention = MMT_LLM_ATTN_PER_HEAD;
    b = lower_ok(&m, &o);
    check(b, "QKt", 64, 64, 64, 32, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    o.attention = MMT_LLM_ATTN_GROUPED;
    /* An explicit head_dim decouples q width from the hidden size. */
    assert_int_equal(mmt_llm_config_read(fixture("llama_headdim.json"), &m, &d), 0);
    b = lower_ok(&m, &o);
    check(b, "Q", 64, 1024, 1000, 1, MMT_PART_MMFREE);
    check(b, "K", 64, 256, 1000, 1, MMT_PART_MMFREE);
    check(b, "O", 64, 1000, 1024, 1, MMT_PART_MMFREE);
    check(b, "SV", 4 * 64, 128, 64, 2, MMT_PART_MATMUL); /* g = 8/2 */
    mmt_llm_block_free(b);
}

/* Reads fixture name and lowers it (decode unless prefill, batch b, grouped attention). */
static mmt_llm_block *lower_fixture(const char *name, mmt_llm_model *m, mmt_llm_phase ph,
                                    int64_t seq, int64_t batch)
{
    mmt_diag d = {0};
    mmt_llm_block *b;
    if (mmt_llm_config_read(fixture(name), m, &d) != 0)
        fail_msg("%s: %s", name, d.message);
    mmt_llm_opts o = {.phase = ph, .seq = seq, .batch = batch, .ffn = m->ffn};
    assert_int_equal(mmt_llm_lower(m, &o, &b, &d, NULL, NULL), 0);
    return b;
}

/* The dense families with separate Q, K, V: rows worked out from each config by hand. */
static void test_family_dense(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    /* Llama-3.1-8B, l = 2048: d 4096, h 32, h_kv 8 (g = 4), dh 128, ff 14336 gated. */
    b = lower_fixture("llama31.json", &m, MMT_LLM_DECODE, 2048, 1);
    assert_int_equal(b->n, 9);
    check(b, "Q", 1, 4096, 4096, 1, MMT_PART_MMFREE);
    check(b, "K", 1, 8 * 128, 4096, 1, MMT_PART_MMFREE);
    check(b, "V", 1, 1024, 4096, 1, MMT_PART_MMFREE);
    check(b, "O", 1, 4096, 4096, 1, MMT_PART_MMFREE);
    check(b, "FFN_gate", 1, 14336, 4096, 1, MMT_PART_MMFREE);
    check(b, "FFN_up", 1, 14336, 4096, 1, MMT_PART_MMFREE);
    check(b, "FFN_down", 1, 4096, 14336, 1, MMT_PART_MMFREE);
    check(b, "QKt", 4, 2048, 128, 8, MMT_PART_MATMUL);
    check(b, "SV", 4, 128, 2048, 8, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* Batch 4: projections M = 4; each sequence has its own cache: count 8 x 4, M stays g. */
    b = lower_fixture("llama31.json", &m, MMT_LLM_DECODE, 2048, 4);
    check(b, "Q", 4, 4096, 4096, 1, MMT_PART_MMFREE);
    check(b, "QKt", 4, 2048, 128, 32, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* Qwen2.5-7B, l = 8192: d 3584, h 28, h_kv 4 (g = 7), dh 128; use_sliding_window false. */
    b = lower_fixture("qwen2.json", &m, MMT_LLM_DECODE, 8192, 1);
    assert_int_equal(m.window, 0);
    check(b, "Q", 1, 3584, 3584, 1, MMT_PART_MMFREE);
    check(b, "K", 1, 512, 3584, 1, MMT_PART_MMFREE);
    check(b, "FFN_down", 1, 3584, 18944, 1, MMT_PART_MMFREE);
    check(b, "QKt", 7, 8192, 128, 4, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* Gemma-2B (real config.json): d 2048, h 8, h_kv 1 (multi-query, g = 8), head_dim 256,
     * gated 16384. Q N = 8 x 256 = 2048, K N = 1 x 256 = 256, both K = d = 2048; O N = d,
     * K = 8 x 256 = 2048; decode l = 1024, b = 1: QKt M = g x 1 = 8, N = 1024, K = 256,
     * count h_kv x b = 1; SV M = 8, N = 256, K = 1024. (Gemma-2 below has h x dh != d.) */
    b = lower_fixture("gemma.json", &m, MMT_LLM_DECODE, 1024, 1);
    check(b, "Q", 1, 2048, 2048, 1, MMT_PART_MMFREE);
    check(b, "K", 1, 256, 2048, 1, MMT_PART_MMFREE);
    check(b, "O", 1, 2048, 2048, 1, MMT_PART_MMFREE);
    check(b, "FFN_gate", 1, 16384, 2048, 1, MMT_PART_MMFREE);
    check(b, "QKt", 8, 1024, 256, 1, MMT_PART_MATMUL);
    check(b, "SV", 8, 256, 1024, 1, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* BitNet b1.58 2B4T: d 2560, h 20, h_kv 5 (g = 4), dh 128, gated 6912 (squared ReLU). */
    b = lower_fixture("bitnet.json", &m, MMT_LLM_DECODE, 512, 1);
    assert_int_equal(b->n, 9);
    check(b, "K", 1, 640, 2560, 1, MMT_PART_MMFREE);
    check(b, "FFN_up", 1, 6912, 2560, 1, MMT_PART_MMFREE);
    check(b, "FFN_down", 1, 2560, 6912, 1, MMT_PART_MMFREE);
    check(b, "QKt", 4, 512, 128, 5, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* OPT-350m: plain FFN. Phi-2: separate q, k, v, dense, plain fc1/fc2 (no third matrix). */
    b = lower_fixture("opt.json", &m, MMT_LLM_DECODE, 128, 1);
    assert_int_equal(b->n, 8);
    check(b, "FFN1", 1, 4096, 1024, 1, MMT_PART_MMFREE);
    mmt_llm_block_free(b);
    /* Phi-2 (real config.json): d 2560, h = h_kv = 32, so dh = 2560 / 32 = 80 and g = 1;
     * Q, V: N = 32 x 80 = 2560, K = d = 2560; fc1 N = 10240, K = 2560; fc2 the reverse;
     * QKt decode l = 128, b = 1: M = g x 1 = 1, N = l = 128, K = dh = 80, count h_kv = 32. */
    b = lower_fixture("phi.json", &m, MMT_LLM_DECODE, 128, 1);
    assert_int_equal(b->n, 8);
    check(b, "Q", 1, 2560, 2560, 1, MMT_PART_MMFREE);
    check(b, "V", 1, 2560, 2560, 1, MMT_PART_MMFREE);
    check(b, "FFN1", 1, 10240, 2560, 1, MMT_PART_MMFREE);
    check(b, "FFN2", 1, 2560, 10240, 1, MMT_PART_MMFREE);
    check(b, "QKt", 1, 128, 80, 32, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
}

/* Families whose checkpoints hold Q, K, V (and Phi-3's gate and up) as one matrix. */
static void test_family_fused(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    /* GPT-2 c_attn: 3 x 768. */
    b = lower_fixture("gpt2.json", &m, MMT_LLM_DECODE, 128, 1);
    assert_int_equal(b->n, 6);
    check(b, "QKV", 1, 2304, 768, 1, MMT_PART_MMFREE);
    check(b, "O", 1, 768, 768, 1, MMT_PART_MMFREE);
    check(b, "FFN1", 1, 3072, 768, 1, MMT_PART_MMFREE);
    mmt_llm_block_free(b);
    /* Phi-3-mini: qkv_proj (32 + 2 x 32) x 96 = 9216; gate_up_proj 2 x 8192; window 2047. */
    b = lower_fixture("phi3.json", &m, MMT_LLM_DECODE, 4096, 1);
    assert_int_equal(b->n, 6);
    check(b, "QKV", 1, 9216, 3072, 1, MMT_PART_MMFREE);
    check(b, "O", 1, 3072, 3072, 1, MMT_PART_MMFREE);
    check(b, "FFN_gate_up", 1, 16384, 3072, 1, MMT_PART_MMFREE);
    check(b, "FFN_down", 1, 3072, 8192, 1, MMT_PART_MMFREE);
    check(b, "QKt", 1, 2047, 96, 32, MMT_PART_MATMUL);
    check(b, "SV", 1, 96, 2047, 32, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* RedPajama-INCITE 3B (GPT-NeoX, real config.json): d 2560, h 32, so dh = 2560 / 32 = 80;
     * query_key_value N = 3 x 2560 = 7680, K = 2560; plain FFN 10240 (two matrices);
     * decode l = 256, b = 1: QKt M = 1, N = 256, K = 80, count h = 32. */
    b = lower_fixture("gpt_neox.json", &m, MMT_LLM_DECODE, 256, 1);
    assert_int_equal(b->n, 6);
    check(b, "QKV", 1, 7680, 2560, 1, MMT_PART_MMFREE);
    check(b, "FFN1", 1, 10240, 2560, 1, MMT_PART_MMFREE);
    check(b, "FFN2", 1, 2560, 10240, 1, MMT_PART_MMFREE);
    check(b, "QKt", 1, 256, 80, 32, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* Falcon-7B-Instruct (real config.json): multi-query (h_kv 1; its num_kv_heads 71 is read
     * only with new_decoder_architecture), h 71, dh 4544 / 71 = 64: QKV (71 + 2) x 64 = 4672;
     * FFN 4 x 4544 = 18176; the 71 query heads share one KV head: one GEMM with M = 71. */
    b = lower_fixture("falcon.json", &m, MMT_LLM_DECODE, 512, 1);
    assert_int_equal(m.kv_heads, 1);
    check(b, "QKV", 1, 4672, 4544, 1, MMT_PART_MMFREE);
    check(b, "FFN1", 1, 18176, 4544, 1, MMT_PART_MMFREE);
    check(b, "QKt", 71, 512, 64, 1, MMT_PART_MATMUL);
    check(b, "SV", 71, 64, 512, 1, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* SantaCoder (GPT-BigCode, real config.json): multi_query (h_kv 1), d 2048, 16 heads of
     * 2048 / 16 = 128: c_attn N = 2048 + 2 x 1 x 128 = 2304, K = 2048, M = b = 2; decode
     * l = 128: QKt M = g = 16 (x 1 query row), N = 128, K = 128, count h_kv x b = 2. */
    b = lower_fixture("gpt_bigcode.json", &m, MMT_LLM_DECODE, 128, 2);
    check(b, "QKV", 2, 2304, 2048, 1, MMT_PART_MMFREE);
    check(b, "QKt", 16, 128, 128, 2, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* Falcon's new decoder architecture reads num_kv_heads. */
    static const char f40[] = "{\"model_type\": \"falcon\", \"hidden_size\": 8192, "
                              "\"num_attention_heads\": 128, \"num_hidden_layers\": 60, "
                              "\"new_decoder_architecture\": true, \"num_kv_heads\": 8}";
    assert_int_equal(mmt_llm_config_parse("f40", f40, sizeof f40 - 1, &m, NULL), 0);
    assert_int_equal(m.kv_heads, 8);
}

/* Sliding windows: Mistral windows every layer; Gemma-2 alternates windowed and global. */
static void test_family_window(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    b = lower_fixture("mistral.json", &m, MMT_LLM_DECODE, 8192, 1);
    assert_int_equal(m.window, 4096);
    check(b, "QKt", 4, 4096, 128, 8, MMT_PART_MATMUL);
    check(b, "SV", 4, 128, 4096, 8, MMT_PART_MATMUL);
    assert_int_equal(b->layers[b->n - 1].layers, 0); /* one kind of layer */
    mmt_llm_block_free(b);
    b = lower_fixture("mistral.json", &m, MMT_LLM_DECODE, 1024, 1);
    check(b, "QKt", 4, 1024, 128, 8, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* Gemma-2-2B: 26 layers, 13 windowed (4096), h 8, h_kv 4 (g = 2), dh 256. Within the
     * window the layers are alike; past it, two attention kinds tagged with their layers. */
    b = lower_fixture("gemma2.json", &m, MMT_LLM_DECODE, 2048, 1);
    assert_int_equal(m.window_layers, 13);
    assert_int_equal(b->n, 9);
    check(b, "Q", 1, 2048, 2304, 1, MMT_PART_MMFREE);
    check(b, "K", 1, 1024, 2304, 1, MMT_PART_MMFREE);
    check(b, "O", 1, 2304, 2048, 1, MMT_PART_MMFREE);
    check(b, "QKt", 2, 2048, 256, 4, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    b = lower_fixture("gemma2.json", &m, MMT_LLM_DECODE, 8192, 1);
    assert_int_equal(b->n, 11);
    check(b, "QKt", 2, 8192, 256, 4, MMT_PART_MATMUL);
    check(b, "SV", 2, 256, 8192, 4, MMT_PART_MATMUL);
    check(b, "QKt_local", 2, 4096, 256, 4, MMT_PART_MATMUL);
    check(b, "SV_local", 2, 256, 4096, 4, MMT_PART_MATMUL);
    assert_int_equal(find(b, "QKt")->layers, 13);
    assert_int_equal(find(b, "QKt_local")->layers, 13);
    assert_int_equal(find(b, "Q")->layers, 26);
    assert_int_equal(mmt_llm_row_weight(find(b, "SV_local")), 4 * 13);
    mmt_llm_block_free(b);
    /* layer_types decides where present; sliding_window null means no window. */
    static const char lt[] =
        "{\"model_type\": \"gemma2\", \"hidden_size\": 64, \"num_attention_heads\": 4, "
        "\"num_hidden_layers\": 4, \"intermediate_size\": 128, \"sliding_window\": 16, "
        "\"layer_types\": [\"sliding_attention\", \"full_attention\", \"full_attention\", "
        "\"full_attention\"]}";
    assert_int_equal(mmt_llm_config_parse("lt", lt, sizeof lt - 1, &m, NULL), 0);
    assert_int_equal(m.window_layers, 1);
    static const char nw[] = "{\"model_type\": \"mistral\", \"hidden_size\": 64, "
                             "\"num_attention_heads\": 4, \"num_hidden_layers\": 2, "
                             "\"intermediate_size\": 128, \"sliding_window\": null}";
    assert_int_equal(mmt_llm_config_parse("nw", nw, sizeof nw - 1, &m, NULL), 0);
    assert_int_equal(m.window, 0);
}

/* Mixture of experts: router, routed experts spread over E (balanced), shared experts. */
static void test_family_moe(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b;
    /* Mixtral-8x7B decode b = 1: 1 x 2 = 2 assignments <= 8 experts: 2 expert FFNs, M = 1. */
    b = lower_fixture("mixtral.json", &m, MMT_LLM_DECODE, 1024, 1);
    assert_int_equal(b->n, 4 + 4 + 2);
    check(b, "router", 1, 8, 4096, 1, MMT_PART_MMFREE);
    check(b, "expert_gate", 1, 14336, 4096, 2, MMT_PART_MMFREE);
    check(b, "expert_up", 1, 14336, 4096, 2, MMT_PART_MMFREE);
    check(b, "expert_down", 1, 4096, 14336, 2, MMT_PART_MMFREE);
    check(b, "QKt", 4, 1024, 128, 8, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* b = 8: 16 assignments over 8 experts: each expert runs M = 2, count 8. */
    b = lower_fixture("mixtral.json", &m, MMT_LLM_DECODE, 1024, 8);
    check(b, "router", 8, 8, 4096, 1, MMT_PART_MMFREE);
    check(b, "expert_gate", 2, 14336, 4096, 8, MMT_PART_MMFREE);
    mmt_llm_block_free(b);
    /* b = 5: 10 assignments: 2 experts run 2 rows, 6 run 1 row. */
    b = lower_fixture("mixtral.json", &m, MMT_LLM_DECODE, 1024, 5);
    check(b, "expert_gate", 2, 14336, 4096, 2, MMT_PART_MMFREE);
    check(b, "expert_lo_gate", 1, 14336, 4096, 6, MMT_PART_MMFREE);
    check(b, "expert_lo_down", 1, 4096, 14336, 6, MMT_PART_MMFREE);
    mmt_llm_block_free(b);
    /* Prefill l = 128: 128 x 2 = 256 token rows over 8 experts: M = 32 each. */
    b = lower_fixture("mixtral.json", &m, MMT_LLM_PREFILL, 128, 1);
    check(b, "router", 128, 8, 4096, 1, MMT_PART_MMFREE);
    check(b, "expert_up", 32, 14336, 4096, 8, MMT_PART_MMFREE);
    check(b, "QKt", 4 * 128, 128, 128, 8, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* Qwen1.5-MoE-A2.7B: 60 experts, top 4 of size 1408, one shared expert of 5632 at M = b
     * and its d -> 1 gate; MHA (h_kv = h = 16, dh 128). */
    b = lower_fixture("qwen2_moe.json", &m, MMT_LLM_DECODE, 512, 2);
    assert_int_equal(b->n, 4 + 1 + 3 + 4 + 2);
    check(b, "router", 2, 60, 2048, 1, MMT_PART_MMFREE);
    check(b, "expert_gate", 1, 1408, 2048, 8, MMT_PART_MMFREE);
    check(b, "expert_down", 1, 2048, 1408, 8, MMT_PART_MMFREE);
    check(b, "shared_ffn_gate", 2, 5632, 2048, 1, MMT_PART_MMFREE);
    check(b, "shared_ffn_down", 2, 2048, 5632, 1, MMT_PART_MMFREE);
    check(b, "shared_expert_gate", 2, 1, 2048, 1, MMT_PART_MMFREE);
    check(b, "QKt", 1, 512, 128, 32, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
}

/* Today's presets equal their fixtures field by field; the paper's 13 stay first. */
static void test_modern_presets(void **state)
{
    (void)state;
    static const struct {
        const char *preset, *fixture;
    } pairs[] = {{"llama-3.1-8b", "llama31.json"},
                 {"mistral-7b", "mistral.json"},
                 {"qwen2.5-7b", "qwen2.json"},
                 {"mixtral-8x7b", "mixtral.json"},
                 {"bitnet-b1.58-2b", "bitnet.json"}};
    assert_int_equal(mmt_llm_preset_count_all(), 13 + 5);
    assert_null(mmt_llm_preset_at(18));
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        mmt_llm_model p, m;
        mmt_diag d = {0};
        assert_int_equal(mmt_llm_preset(pairs[i].preset, &p), 0);
        assert_string_equal(mmt_llm_preset_at(13 + i)->name, pairs[i].preset);
        assert_int_equal(mmt_llm_config_read(fixture(pairs[i].fixture), &m, &d), 0);
        memcpy(m.name, p.name, sizeof m.name); /* the name is the only difference */
        assert_memory_equal(&p, &m, sizeof p);
    }
}

/* The family table lists every family the issue names, once. */
static void test_family_table(void **state)
{
    (void)state;
    static const char *const want[] = {"gpt2",      "opt",      "llama", "mistral", "qwen2",
                                       "gemma",     "gemma2",   "phi3",  "bitnet",  "mixtral",
                                       "qwen2_moe", "gpt_neox", "phi",   "falcon",  "gpt_bigcode"};
    size_t n = 0;
    while (mmt_llm_family_at(n))
        n++;
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(mmt_llm_family_at(i)->model_type, want[i]);
        assert_non_null(mmt_llm_family_at(i)->gemms);
    }
}

/* Each malformed fixture fails with a message naming the problem and the file. */
static void test_hf_errors(void **state)
{
    (void)state;
    static const struct {
        const char *file, *needle;
        int err;
    } cases[] = {
        {"bad_heads.json", "not divisible by 12 heads", MMT_ERANGE},
        {"bad_kv.json", "not divisible by 5 key/value heads", MMT_ERANGE},
        {"bad_missing.json", "missing field \"num_hidden_layers\"", MMT_EPARSE},
        {"bad_string.json", "\"n_embd\" must be an integer, got a string", MMT_EPARSE},
        {"bad_fraction.json", "\"ffn_dim\" must be an integer, got a fractional", MMT_EPARSE},
        {"bad_zero.json", "\"n_head\" must be positive, got 0", MMT_ERANGE},
        {"bad_family.json", "cannot tell the model family", MMT_EPARSE},
        {"bert.json", "unknown model_type \"bert\" (known: gpt2, opt, llama, mistral", MMT_EPARSE},
        {"bad_unknown_type.json", "unknown model_type \"mamba\"", MMT_EPARSE},
        {"deepseek_v2.json", "multi-head latent attention (MLA)", MMT_EINVAL},
        {"bad_qwen_window.json", "use_sliding_window without layer_types", MMT_EINVAL},
        {"bad_moe_dense.json", "mixes dense and MoE layers", MMT_EINVAL},
        {"bad_layer_types.json", "layer_types[1] = linear_attention", MMT_EINVAL},
        {"bad_topk.json", "num_experts_per_tok = 9 exceeds the 8 experts", MMT_ERANGE},
        {"bad_moe_missing.json", "missing field \"num_local_experts\"", MMT_EPARSE},
        {"bad_longname.json", "is longer than 127 bytes", MMT_ERANGE},
        {"bad_syntax.json", "", MMT_EPARSE},
        {"does_not_exist.json", "cannot open: No such file or directory", MMT_ENOENT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mmt_llm_model m;
        mmt_diag d = {0};
        int r = mmt_llm_config_read(fixture(cases[i].file), &m, &d);
        if (r != cases[i].err || !strstr(d.message, cases[i].needle) ||
            !strstr(d.file, cases[i].file))
            fail_msg("%s: got %d '%s: %s'", cases[i].file, r, d.file, d.message);
    }
}

/* Replaces path's content with text. */
static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* Expects the next line of f to be want. */
static void expect_line(FILE *f, const char *want)
{
    char line[128];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, want);
}

/* Expects the manifest at path to read back as exactly the layers of b. */
static void expect_manifest(const char *path, const mmt_llm_block *b, mmt_diag *d)
{
    mmt_llm_block *back;
    assert_int_equal(mmt_llm_manifest_read(path, &back, d), 0);
    assert_int_equal(back->n, b->n);
    assert_memory_equal(back->layers, b->layers, b->n * sizeof *b->layers);
    mmt_llm_block_free(back);
}

/* The topology CSV is SCALE-Sim's GEMM format and reads back through the topology reader; the
 * manifest round-trips. */
static void test_files(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b, *back;
    mmt_topology *t;
    mmt_diag d = {0};
    char dir[] = "/tmp/test_llm.XXXXXX", topo[128], man[128];
    assert_non_null(mkdtemp(dir));
    snprintf(topo, sizeof topo, "%s/gpt2.csv", dir);
    snprintf(man, sizeof man, "%s/gpt2.parts.csv", dir);
    assert_int_equal(mmt_llm_preset("gpt2", &m), 0);
    mmt_llm_opts o = {MMT_LLM_DECODE, 256, 1, MMT_LLM_FFN_PLAIN, 0};
    b = lower_ok(&m, &o);
    assert_int_equal(mmt_llm_write_topology(topo, b, &d), 0);
    assert_int_equal(mmt_llm_write_manifest(man, b, &d), 0);
    assert_int_equal(mmt_topology_read(topo, 1, &t, &d, NULL, NULL), 0);
    assert_int_equal(mmt_topology_count(t), b->n);
    const mmt_layer *l = mmt_topology_layer(t, 6); /* QKt: M=1, N=256, K=64 */
    assert_int_equal(l->ifmap_h, 1);
    assert_int_equal(l->num_filt, 256);
    assert_int_equal(l->filt_w, 64);
    mmt_layer conv;
    mmt_llm_layer_to_mmt(&b->layers[6], &conv);
    assert_int_equal(conv.ifmap_w, l->ifmap_w);
    assert_int_equal(conv.channels, l->channels);
    mmt_topology_free(t);
    expect_manifest(man, b, &d);
    FILE *f = fopen(topo, "r");
    expect_line(f, "Layer, M, N, K,\n");
    expect_line(f, "Q, 1, 768, 768,\n");
    fclose(f);
    put_file(man, "layer,name,part,count,M,N,K\n0,Q,sideways,1,1,2,3\n");
    assert_int_equal(mmt_llm_manifest_read(man, &back, &d), MMT_EPARSE);
    assert_null(back);
    assert_int_equal(d.line, 2);
    unlink(topo);
    unlink(man);
    rmdir(dir);
    mmt_llm_block_free(b);
}

/* A mixed block's manifest carries the layers column and reads back; a uniform one does not. */
static void test_manifest_layers(void **state)
{
    (void)state;
    mmt_llm_model m;
    mmt_llm_block *b, *back;
    mmt_diag d = {0};
    char dir[] = "/tmp/test_llm.XXXXXX", man[128];
    assert_non_null(mkdtemp(dir));
    snprintf(man, sizeof man, "%s/g.parts.csv", dir);
    b = lower_fixture("gemma2.json", &m, MMT_LLM_DECODE, 8192, 1);
    assert_int_equal(mmt_llm_write_manifest(man, b, &d), 0);
    FILE *f = fopen(man, "r");
    expect_line(f, "layer,name,part,count,M,N,K,layers\n");
    expect_line(f, "0,Q,matmul-free,1,1,2048,2304,26\n");
    fclose(f);
    expect_manifest(man, b, &d);
    mmt_llm_block_free(b);
    /* a layers value of 0, or a seven-field row under the eight-column header, is an error */
    put_file(man, "layer,name,part,count,M,N,K,layers\n0,Q,matmul,1,1,2,3,0\n");
    assert_int_equal(mmt_llm_manifest_read(man, &back, &d), MMT_EPARSE);
    put_file(man, "layer,name,part,count,M,N,K,layers\n0,Q,matmul,1,1,2,3\n");
    assert_int_equal(mmt_llm_manifest_read(man, &back, &d), MMT_EPARSE);
    assert_non_null(strstr(d.message, "expected 8 fields, got 7"));
    /* the one line splitter's universal newlines: "\r\n" and a lone "\r" end lines too */
    put_file(man, "layer,name,part,count,M,N,K\r\n0,Q,matmul,1,1,2,3\r1,O,matmul-free,1,1,3,2\n\n");
    assert_int_equal(mmt_llm_manifest_read(man, &back, &d), 0);
    assert_int_equal(back->n, 2);
    assert_int_equal(back->layers[1].N, 3);
    mmt_llm_block_free(back);
    /* a NUL byte is refused with its line, not read as the end of the file */
    f = fopen(man, "w");
    fwrite("layer,name,part,count,M,N,K\n0,Q,matmul,1,1,2,3\n1,O,mat\0mul,1,1,3,2\n", 1, 67, f);
    fclose(f);
    assert_int_equal(mmt_llm_manifest_read(man, &back, &d), MMT_EPARSE);
    assert_int_equal(d.line, 3);
    assert_non_null(strstr(d.message, "NUL byte"));
    unlink(man);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),         cmocka_unit_test(test_decode_table),
        cmocka_unit_test(test_prefill_batch),   cmocka_unit_test(test_gated_and_expand),
        cmocka_unit_test(test_context_warning), cmocka_unit_test(test_hf_gpt2),
        cmocka_unit_test(test_hf_opt),          cmocka_unit_test(test_hf_llama),
        cmocka_unit_test(test_hf_gqa),          cmocka_unit_test(test_hf_errors),
        cmocka_unit_test(test_files),           cmocka_unit_test(test_family_dense),
        cmocka_unit_test(test_family_fused),    cmocka_unit_test(test_family_window),
        cmocka_unit_test(test_family_moe),      cmocka_unit_test(test_modern_presets),
        cmocka_unit_test(test_family_table),    cmocka_unit_test(test_manifest_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
