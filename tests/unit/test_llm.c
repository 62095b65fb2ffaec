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
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
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
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
    check(b, "Q", 1024, 2048, 2048, 1, MMT_PART_MMFREE);
    check(b, "FFN2", 1024, 2048, 8192, 1, MMT_PART_MMFREE);
    check(b, "QKt", 256, 256, 64, 32 * 4, MMT_PART_MATMUL);
    check(b, "SV", 256, 64, 256, 32 * 4, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    o.phase = MMT_LLM_DECODE;
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
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
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
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
    o.expand_heads = 0; /* one row counted h times is fine */
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
    mmt_llm_block_free(b);
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
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
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
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
    check(b, "Q", 64, 2048, 2048, 1, MMT_PART_MMFREE);
    check(b, "K", 64, 256, 2048, 1, MMT_PART_MMFREE);
    check(b, "V", 64, 256, 2048, 1, MMT_PART_MMFREE);
    check(b, "O", 64, 2048, 2048, 1, MMT_PART_MMFREE);
    check(b, "QKt", 64, 64, 64, 32, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
    /* An explicit head_dim decouples q width from the hidden size. */
    assert_int_equal(mmt_llm_config_read(fixture("llama_headdim.json"), &m, &d), 0);
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
    check(b, "Q", 64, 1024, 1000, 1, MMT_PART_MMFREE);
    check(b, "K", 64, 256, 1000, 1, MMT_PART_MMFREE);
    check(b, "O", 64, 1000, 1024, 1, MMT_PART_MMFREE);
    check(b, "SV", 64, 128, 64, 8, MMT_PART_MATMUL);
    mmt_llm_block_free(b);
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
        {"bad_syntax.json", "", MMT_EPARSE},
        {"does_not_exist.json", "cannot open", MMT_EIO},
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
    assert_int_equal(mmt_llm_lower(&m, &o, &b, NULL, NULL, NULL), 0);
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
    assert_int_equal(mmt_llm_manifest_read(man, &back, &d), 0);
    assert_int_equal(back->n, b->n);
    assert_memory_equal(back->layers, b->layers, b->n * sizeof *b->layers);
    FILE *f = fopen(topo, "r");
    char line[128];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "Layer, M, N, K,\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "Q, 1, 768, 768,\n");
    fclose(f);
    f = fopen(man, "w");
    fputs("layer,name,part,count,M,N,K\n0,Q,sideways,1,1,2,3\n", f);
    fclose(f);
    mmt_llm_block_free(back);
    assert_int_equal(mmt_llm_manifest_read(man, &back, &d), MMT_EPARSE);
    assert_null(back);
    assert_int_equal(d.line, 2);
    unlink(topo);
    unlink(man);
    rmdir(dir);
    mmt_llm_block_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),         cmocka_unit_test(test_decode_table),
        cmocka_unit_test(test_prefill_batch),   cmocka_unit_test(test_gated_and_expand),
        cmocka_unit_test(test_context_warning), cmocka_unit_test(test_hf_gpt2),
        cmocka_unit_test(test_hf_opt),          cmocka_unit_test(test_hf_llama),
        cmocka_unit_test(test_hf_gqa),          cmocka_unit_test(test_hf_errors),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
