/*
 * fuzz_hfconfig.c - fuzz target for the HuggingFace config.json reader (jansson) and the LLM
 * lowering that follows it: every model it accepts is lowered for decode and prefill with a
 * small sequence, with and without one row per head, and each GEMM row goes through
 * mmt_geom_init (overflow checks).
 */
#include "mmtrace.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed call must leave a one-line, NUL-terminated message. */
static void check_diag(const mmt_diag *d)
{
    if (!memchr(d->message, '\0', sizeof d->message) || !d->message[0] || strchr(d->message, '\n'))
        __builtin_trap();
}

/* Checks the rows of a lowered block and maps each onto a small array. */
static void check_block(const mmt_llm_model *m, const mmt_llm_opts *o, const mmt_llm_block *b)
{
    mmt_config cfg = {.run_name = "f",
                      .array_h = 4,
                      .array_w = 4,
                      .ifmap_kb = 1,
                      .filter_kb = 1,
                      .ofmap_kb = 1,
                      .filter_offset = 10000000,
                      .ofmap_offset = 20000000};
    /* Attention: two rows per unit (one unit, or one per KV head / query head expanded),
     * twice with windowed and global layers; projections: 3 (QKV, O, FFN) to 15 (MoE). */
    size_t att = 0, units = 1;
    if (o->expand_heads)
        units = (size_t)(o->attention == MMT_LLM_ATTN_PER_HEAD ? m->heads : m->kv_heads);
    for (size_t i = 0; i < b->n; i++)
        att += b->layers[i].part == MMT_PART_MATMUL;
    if ((att != 2 * units && att != 4 * units) || b->n - att < 3 || b->n - att > 15)
        __builtin_trap();
    for (size_t i = 0; i < b->n; i++) {
        const mmt_llm_layer *l = &b->layers[i];
        if (l->M <= 0 || l->N <= 0 || l->K <= 0 || l->count <= 0 ||
            !memchr(l->name, '\0', sizeof l->name))
            __builtin_trap();
        mmt_layer ml;
        mmt_geom g;
        mmt_diag d;
        mmt_llm_layer_to_mmt(l, &ml);
        cfg.dataflow = (mmt_dataflow)(i % 3);
        if (mmt_geom_init(&g, &ml, &cfg, &d) != 0)
            check_diag(&d);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mmt_llm_model m;
    mmt_diag d;
    if (mmt_llm_config_parse("config.json", (const char *)data, size, &m, &d) != 0) {
        check_diag(&d);
        return 0;
    }
    if (m.d <= 0 || m.heads <= 0 || m.kv_heads <= 0 || m.head_dim <= 0 || m.ff <= 0 ||
        m.layers <= 0 || m.heads % m.kv_heads || !m.name[0] || !memchr(m.name, '\0', sizeof m.name))
        __builtin_trap();
    for (int k = 0; k < 4; k++) {
        mmt_llm_opts o = {.phase = k & 1 ? MMT_LLM_PREFILL : MMT_LLM_DECODE,
                          .seq = 16,
                          .batch = 1 + (k >> 1),
                          .ffn = m.ffn,
                          .expand_heads = k >> 1};
        mmt_llm_block *b = NULL;
        if (mmt_llm_lower(&m, &o, &b, &d, NULL, NULL) == 0)
            check_block(&m, &o, b);
        else if (b)
            __builtin_trap();
        else
            check_diag(&d);
        mmt_llm_block_free(b);
    }
    return 0;
}
