/*
 * llm.c - lowering one transformer decoder block to SCALE-Sim GEMM layers (study.md): the
 * study's model presets, HuggingFace config.json reading (jansson), the topology CSV and the
 * manifest that says which part (MatMul-free projection or MatMul attention head) each row is.
 *
 * Manifest scheme: beside each topology X.csv lies X.parts.csv with the header
 * "layer,name,part,count,M,N,K"; row i describes SCALE-Sim layer id i of X.csv (layer<i>/,
 * report row i). part is "matmul-free" or "matmul"; count is how often the row occurs in one
 * decoder layer (h_kv*b for a grouped attention row, h*b per head, b for an --expand-heads row,
 * 1 for a projection, the number of experts that run a routed-expert row). When the layers of
 * a model differ (Gemma-2's windowed and global layers at l > window) an eighth column,
 * "layers", says how many of the model's decoder layers have the row; a row then weighs
 * count x layers in whole-model sums (mmt_llm_row_weight).
 */
#include "internal.h"

#include <csv.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* study.md's 13 models (llm_presets.def). The study lowers every one with the two-matrix FFN. */
#define MODEL(n, fam, d_, h, ff_, nl, ctx)                                                         \
    {.name = n,                                                                                    \
     .family = fam,                                                                                \
     .d = d_,                                                                                      \
     .heads = h,                                                                                   \
     .kv_heads = h,                                                                                \
     .head_dim = (d_) / (h),                                                                       \
     .ff = ff_,                                                                                    \
     .layers = nl,                                                                                 \
     .max_ctx = ctx,                                                                               \
     .ffn = MMT_LLM_FFN_PLAIN},
static const mmt_llm_model presets[] = {
#include "llm_presets.def"
    /* Today's models, each field from the model's config.json (the fixtures under tests/llm
     * carry the same fields and say where they come from; test_llm checks preset = config). */
    /* clang-format off */
    /* meta-llama/Llama-3.1-8B: tests/llm/llama31.json */
    {.name = "llama-3.1-8b", .family = "llama", .d = 4096, .heads = 32, .kv_heads = 8,
     .head_dim = 128, .ff = 14336, .layers = 32, .max_ctx = 131072, .ffn = MMT_LLM_FFN_GATED},
    /* mistralai/Mistral-7B-v0.1: tests/llm/mistral.json (sliding_window 4096, every layer) */
    {.name = "mistral-7b", .family = "mistral", .d = 4096, .heads = 32, .kv_heads = 8,
     .head_dim = 128, .ff = 14336, .layers = 32, .max_ctx = 32768, .ffn = MMT_LLM_FFN_GATED,
     .window = 4096, .window_layers = 32},
    /* Qwen/Qwen2.5-7B-Instruct: tests/llm/qwen2.json (use_sliding_window false: no window) */
    {.name = "qwen2.5-7b", .family = "qwen2", .d = 3584, .heads = 28, .kv_heads = 4,
     .head_dim = 128, .ff = 18944, .layers = 28, .max_ctx = 32768, .ffn = MMT_LLM_FFN_GATED},
    /* mistralai/Mixtral-8x7B-v0.1: tests/llm/mixtral.json (8 experts, top 2, no window) */
    {.name = "mixtral-8x7b", .family = "mixtral", .d = 4096, .heads = 32, .kv_heads = 8,
     .head_dim = 128, .ff = 14336, .layers = 32, .max_ctx = 32768, .ffn = MMT_LLM_FFN_GATED,
     .experts = 8, .experts_per_tok = 2, .expert_ff = 14336},
    /* microsoft/bitnet-b1.58-2B-4T: tests/llm/bitnet.json (squared-ReLU gated FFN, 4096 context) */
    {.name = "bitnet-b1.58-2b", .family = "bitnet", .d = 2560, .heads = 20, .kv_heads = 5,
     .head_dim = 128, .ff = 6912, .layers = 30, .max_ctx = 4096, .ffn = MMT_LLM_FFN_GATED},
    /* clang-format on */
};
#undef MODEL

/* The paper's presets come first; the study's "all" means these. */
enum {
#define MODEL(...) +1
    PAPER_PRESETS = 0
#include "llm_presets.def"
#undef MODEL
};

size_t mmt_llm_preset_count(void)
{
    return PAPER_PRESETS;
}

size_t mmt_llm_preset_count_all(void)
{
    return sizeof presets / sizeof presets[0];
}

const mmt_llm_model *mmt_llm_preset_at(size_t i)
{
    return i < mmt_llm_preset_count_all() ? &presets[i] : NULL;
}

int mmt_llm_preset(const char *name, mmt_llm_model *m)
{
    for (size_t i = 0; i < mmt_llm_preset_count_all(); i++)
        if (!strcmp(presets[i].name, name)) {
            *m = presets[i];
            return 0;
        }
    return MMT_EINVAL;
}

const char *mmt_llm_part_name(mmt_llm_part p)
{
    return p == MMT_PART_MMFREE ? "matmul-free" : "matmul";
}

int64_t mmt_llm_row_weight(const mmt_llm_layer *l)
{
    int64_t w;
    if (l->layers <= 0)
        return l->count;
    return mmt__mul(l->count, l->layers, &w) ? INT64_MAX : w; /* the caller's sum overflows */
}

/* ---------------------------------------------------------------- family table */

/* How a family names its fields and what its block runs. Field lists are "a|b": the first
 * present wins (Falcon and GPT-BigCode accept both their own and the common names). */
typedef enum { KV_SAME, KV_FIELD, KV_FALCON, KV_MQA_FLAG } kv_rule;
typedef enum { WIN_NONE, WIN_ALL, WIN_ALTERNATE, WIN_QWEN } win_rule;
typedef enum { MOE_NONE, MOE_MIXTRAL, MOE_QWEN2 } moe_rule;

typedef struct family {
    mmt_llm_family_info info;
    const char *k_d, *k_h, *k_l, *k_ff, *k_ctx;
    int ff_default_4d; /* k_ff absent or null: ff = 4 d */
    int64_t def_ctx;   /* k_ctx absent */
    kv_rule kv;
    int head_dim_field; /* reads "head_dim" */
    int qkv_fused, gate_up_fused;
    mmt_llm_ffn ffn;
    moe_rule moe;
    win_rule win;
} family;

#define STD_D "hidden_size"
#define STD_H "num_attention_heads"
#define STD_L "num_hidden_layers"
#define STD_CTX "max_position_embeddings"
/* The llama family's fields and block, which most families share but for MoE and window. */
#define AS_LLAMA(moe, win)                                                                         \
    STD_D, STD_H, STD_L, "intermediate_size", STD_CTX, 0, 2048, KV_FIELD, 1, 0, 0,                 \
        MMT_LLM_FFN_GATED, moe, win
/* GEMM descriptions shared by several families. */
#define G_SEP_GATED "Q, K, V (h_kv dh wide), O; FFN_gate, FFN_up, FFN_down"
/* Columns: {model_type, fields, GEMMs}, then the hidden, heads, layers, FFN and context field
 * names, ff = 4 d when the FFN field is absent, default context, KV rule, reads head_dim,
 * fused QKV, fused gate+up, FFN kind, MoE rule, window rule. */
/* clang-format off */
static const family families[] = {
    {{"gpt2", "n_embd, n_head, n_layer, n_inner (null: 4 d), n_positions",
      "QKV (c_attn, 3 d wide), O; FFN1, FFN2"},
     "n_embd", "n_head", "n_layer", "n_inner", "n_positions", 1, 1024,
     KV_SAME, 0, 1, 0, MMT_LLM_FFN_PLAIN, MOE_NONE, WIN_NONE},
    {{"opt", "hidden_size, num_attention_heads, num_hidden_layers, ffn_dim, "
             "max_position_embeddings",
      "Q, K, V, O; FFN1, FFN2"},
     STD_D, STD_H, STD_L, "ffn_dim", STD_CTX, 0, 2048,
     KV_SAME, 0, 0, 0, MMT_LLM_FFN_PLAIN, MOE_NONE, WIN_NONE},
    {{"llama", "the common fields, intermediate_size, num_key_value_heads, head_dim",
      G_SEP_GATED},
     AS_LLAMA(MOE_NONE, WIN_NONE)},
    {{"mistral", "as llama, plus sliding_window (every layer)", G_SEP_GATED},
     AS_LLAMA(MOE_NONE, WIN_ALL)},
    {{"qwen2", "as llama, plus use_sliding_window, sliding_window, layer_types", G_SEP_GATED},
     AS_LLAMA(MOE_NONE, WIN_QWEN)},
    {{"gemma", "as llama (head_dim 256 on Gemma)", G_SEP_GATED},
     AS_LLAMA(MOE_NONE, WIN_NONE)},
    {{"gemma2", "as llama, plus sliding_window on every other layer (or layer_types)",
      G_SEP_GATED},
     AS_LLAMA(MOE_NONE, WIN_ALTERNATE)},
    {{"phi3", "as llama, plus sliding_window (every layer)",
      "QKV (qkv_proj, (h + 2 h_kv) dh wide), O; FFN_gate_up (2 ff wide), FFN_down"},
     STD_D, STD_H, STD_L, "intermediate_size", STD_CTX, 0, 2048,
     KV_FIELD, 1, 1, 1, MMT_LLM_FFN_GATED, MOE_NONE, WIN_ALL},
    {{"bitnet", "as llama (squared-ReLU gated FFN)", G_SEP_GATED},
     AS_LLAMA(MOE_NONE, WIN_NONE)},
    {{"mixtral",
      "as mistral, plus num_local_experts, num_experts_per_tok (intermediate_size per expert)",
      "Q, K, V, O; router (d -> E); expert_gate, expert_up, expert_down (routed)"},
     AS_LLAMA(MOE_MIXTRAL, WIN_ALL)},
    {{"qwen2_moe",
      "as qwen2, plus num_experts, num_experts_per_tok, moe_intermediate_size, "
      "shared_expert_intermediate_size, decoder_sparse_step, mlp_only_layers",
      "Q, K, V, O; router; expert_gate, expert_up, expert_down; shared_ffn_gate, "
      "shared_ffn_up, shared_ffn_down, shared_expert_gate (d -> 1)"},
     AS_LLAMA(MOE_QWEN2, WIN_QWEN)},
    {{"gpt_neox", "the common fields, intermediate_size",
      "QKV (query_key_value, 3 d wide), O; FFN1, FFN2"},
     STD_D, STD_H, STD_L, "intermediate_size", STD_CTX, 0, 2048,
     KV_SAME, 0, 1, 0, MMT_LLM_FFN_PLAIN, MOE_NONE, WIN_NONE},
    {{"phi", "the common fields, intermediate_size, num_key_value_heads",
      "Q, K, V, O (dense); FFN1 (fc1), FFN2 (fc2)"},
     STD_D, STD_H, STD_L, "intermediate_size", STD_CTX, 0, 2048,
     KV_FIELD, 0, 0, 0, MMT_LLM_FFN_PLAIN, MOE_NONE, WIN_NONE},
    {{"falcon",
      "hidden_size, num_attention_heads|n_head, num_hidden_layers|n_layer, ffn_hidden_size "
      "(absent: 4 d), multi_query, new_decoder_architecture, num_kv_heads|n_head_kv",
      "QKV (query_key_value, (h + 2 h_kv) dh wide), O; FFN1, FFN2"},
     STD_D, STD_H "|n_head", STD_L "|n_layer", "ffn_hidden_size", STD_CTX, 1, 2048,
     KV_FALCON, 0, 1, 0, MMT_LLM_FFN_PLAIN, MOE_NONE, WIN_NONE},
    {{"gpt_bigcode", "n_embd, n_head, n_layer, n_inner (null: 4 d), n_positions, multi_query",
      "QKV (c_attn, d + 2 h_kv dh wide; h_kv = 1 with multi_query), O; FFN1, FFN2"},
     "n_embd", "n_head", "n_layer", "n_inner", "n_positions", 1, 1024,
     KV_MQA_FLAG, 0, 1, 0, MMT_LLM_FFN_PLAIN, MOE_NONE, WIN_NONE},
};
/* clang-format on */

const mmt_llm_family_info *mmt_llm_family_at(size_t i)
{
    return i < sizeof families / sizeof families[0] ? &families[i].info : NULL;
}

/* The family whose model_type is mt, or NULL. */
static const family *find_family(const char *mt)
{
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        if (!strcmp(families[i].info.model_type, mt))
            return &families[i];
    return NULL;
}

/* ---------------------------------------------------------------- config.json */

/* Reads integer field key of obj into *v. Absent: returns 1 (v untouched) unless required.
 * null counts as absent. Non-integers and values <= 0 are errors. */
static int get_int(const char *file, json_t *obj, const char *key, int required, int64_t *v,
                   mmt_diag *d)
{
    json_t *j = json_object_get(obj, key);
    if (!j || json_is_null(j)) {
        if (required)
            return mmt__diag(d, MMT_EPARSE, file, 0, "missing field \"%s\"", key);
        return 1;
    }
    if (!json_is_integer(j))
        return mmt__diag(d, MMT_EPARSE, file, 0, "field \"%s\" must be an integer, got %s", key,
                         json_is_real(j)     ? "a fractional number"
                         : json_is_string(j) ? "a string"
                                             : "another JSON type");
    json_int_t x = json_integer_value(j);
    if (x <= 0)
        return mmt__diag(d, MMT_ERANGE, file, 0, "field \"%s\" must be positive, got %lld", key,
                         (long long)x);
    *v = (int64_t)x;
    return 0;
}

/* get_int over "a|b" alternatives: the first one present is read. */
static int get_int_alt(const char *file, json_t *obj, const char *keys, int required, int64_t *v,
                       mmt_diag *d)
{
    char first[64];
    const char *bar = strchr(keys, '|');
    if (!bar)
        return get_int(file, obj, keys, required, v, d);
    snprintf(first, sizeof first, "%.*s", (int)(bar - keys), keys);
    json_t *j = json_object_get(obj, first);
    if (j && !json_is_null(j))
        return get_int(file, obj, first, required, v, d);
    int r = get_int_alt(file, obj, bar + 1, 0, v, d);
    if (r == 1 && required)
        return mmt__diag(d, MMT_EPARSE, file, 0, "missing field \"%s\"", first);
    return r;
}

/* Reads a JSON boolean; absent or null gives def. Other types are errors (r < 0). */
static int get_bool(const char *file, json_t *obj, const char *key, int def, int *v, mmt_diag *d)
{
    json_t *j = json_object_get(obj, key);
    *v = def;
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_boolean(j))
        return mmt__diag(d, MMT_EPARSE, file, 0, "field \"%s\" must be true or false", key);
    *v = json_is_true(j);
    return 0;
}

/* Key/value heads by the family's rule. */
static int read_kv(const char *file, json_t *root, const family *f, mmt_llm_model *m, mmt_diag *d)
{
    int r = 0, mq, newarch;
    m->kv_heads = m->heads;
    switch (f->kv) {
    case KV_SAME: break;
    case KV_FIELD: r = get_int(file, root, "num_key_value_heads", 0, &m->kv_heads, d); break;
    case KV_MQA_FLAG: /* GPT-BigCode: multi_query (default true) means one KV head */
        if ((r = get_bool(file, root, "multi_query", 1, &mq, d)) == 0 && mq)
            m->kv_heads = 1;
        break;
    case KV_FALCON: /* new_decoder_architecture: num_kv_heads; else multi_query: 1 */
        if ((r = get_bool(file, root, "new_decoder_architecture", 0, &newarch, d)) < 0 ||
            (r = get_bool(file, root, "multi_query", 1, &mq, d)) < 0)
            break;
        if (newarch)
            r = get_int_alt(file, root, "num_kv_heads|n_head_kv", 0, &m->kv_heads, d);
        else if (mq)
            m->kv_heads = 1;
        break;
    }
    return r < 0 ? r : 0;
}

/* Field names per family: hidden, heads, layers, ff, context, kv heads, head_dim. */
static int read_fields(const char *file, json_t *root, const family *f, mmt_llm_model *m,
                       mmt_diag *d)
{
    int r;
    if ((r = get_int_alt(file, root, f->k_d, 1, &m->d, d)) < 0 ||
        (r = get_int_alt(file, root, f->k_h, 1, &m->heads, d)) < 0 ||
        (r = get_int_alt(file, root, f->k_l, 1, &m->layers, d)) < 0)
        return r;
    if ((r = get_int(file, root, f->k_ff, !f->ff_default_4d, &m->ff, d)) < 0)
        return r;
    if (r == 1 && mmt__mul(m->d, 4, &m->ff)) /* n_inner null means 4 * n_embd */
        return mmt__diag(d, MMT_EOVERFLOW, file, 0, "4 * %s overflows", f->k_d);
    m->max_ctx = f->def_ctx;
    if ((r = get_int(file, root, f->k_ctx, 0, &m->max_ctx, d)) < 0)
        return r;
    if ((r = read_kv(file, root, f, m, d)) < 0)
        return r;
    m->head_dim = 0;
    if (f->head_dim_field && (r = get_int(file, root, "head_dim", 0, &m->head_dim, d)) < 0)
        return r;
    return 0;
}

/* Counts the entries of layer_types (if present) that are sliding_attention. Returns 1 if
 * absent, 0 with *n set, or an error for anything but the two known kinds. */
static int count_layer_types(const char *file, json_t *root, int64_t layers, int64_t *n,
                             mmt_diag *d)
{
    json_t *lt = json_object_get(root, "layer_types");
    if (!lt || json_is_null(lt))
        return 1;
    if (!json_is_array(lt) || (int64_t)json_array_size(lt) != layers)
        return mmt__diag(d, MMT_EPARSE, file, 0,
                         "field \"layer_types\" must list one kind per layer (%" PRId64 ")",
                         layers);
    *n = 0;
    for (size_t i = 0; i < json_array_size(lt); i++) {
        const char *k = json_string_value(json_array_get(lt, i));
        if (k && !strcmp(k, "sliding_attention"))
            ++*n;
        else if (!k || strcmp(k, "full_attention"))
            return mmt__diag(d, MMT_EINVAL, file, 0,
                             "layer_types[%zu] = %s: only full_attention and sliding_attention "
                             "can be lowered",
                             i, k ? k : "(not a string)");
    }
    return 0;
}

/* Sliding window: span and how many layers use it (README "Sliding windows"). */
static int read_window(const char *file, json_t *root, const family *f, mmt_llm_model *m,
                       mmt_diag *d)
{
    int use, r;
    m->window = m->window_layers = 0;
    if (f->win == WIN_NONE)
        return 0;
    if ((r = get_bool(file, root, "use_sliding_window", 1, &use, d)) < 0 ||
        (r = get_int(file, root, "sliding_window", 0, &m->window, d)) < 0)
        return r;
    if (r == 1 || !use) { /* no window, or switched off */
        m->window = 0;
        return 0;
    }
    if ((r = count_layer_types(file, root, m->layers, &m->window_layers, d)) <= 0)
        return r;
    if (f->win == WIN_QWEN) /* which layers slide depends on max_window_layers by version */
        return mmt__diag(d, MMT_EINVAL, file, 0,
                         "use_sliding_window without layer_types: which layers slide is not "
                         "defined the same way by every transformers version; refusing");
    /* Gemma-2: layer i slides when i is even (transformers' Gemma2Config layer_types). */
    m->window_layers = f->win == WIN_ALTERNATE ? (m->layers + 1) / 2 : m->layers;
    return 0;
}

/* Mixture of experts: routed experts, top-k and shared experts. */
static int read_moe(const char *file, json_t *root, const family *f, mmt_llm_model *m, mmt_diag *d)
{
    int r;
    if (f->moe == MOE_NONE)
        return 0;
    const char *k_e = f->moe == MOE_MIXTRAL ? "num_local_experts" : "num_experts";
    if ((r = get_int(file, root, k_e, 1, &m->experts, d)) < 0 ||
        (r = get_int(file, root, "num_experts_per_tok", 1, &m->experts_per_tok, d)) < 0)
        return r;
    if (m->experts_per_tok > m->experts)
        return mmt__diag(d, MMT_ERANGE, file, 0,
                         "num_experts_per_tok = %" PRId64 " exceeds the %" PRId64 " experts",
                         m->experts_per_tok, m->experts);
    m->expert_ff = m->ff;
    if (f->moe == MOE_MIXTRAL)
        return 0;
    int64_t step = 1;
    json_t *mlp_only = json_object_get(root, "mlp_only_layers");
    if ((r = get_int(file, root, "moe_intermediate_size", 1, &m->expert_ff, d)) < 0 ||
        (r = get_int(file, root, "shared_expert_intermediate_size", 0, &m->shared_ff, d)) < 0 ||
        (r = get_int(file, root, "decoder_sparse_step", 0, &step, d)) < 0)
        return r;
    if (step != 1 || (mlp_only && !(json_is_array(mlp_only) && json_array_size(mlp_only) == 0)))
        return mmt__diag(d, MMT_EINVAL, file, 0,
                         "decoder_sparse_step or mlp_only_layers mixes dense and MoE layers; "
                         "only models with an MoE block in every layer can be lowered");
    m->shared_expert_gate = m->shared_ff > 0;
    return 0;
}

/* Refuses a dimension far beyond any model (MMT_LLM_MAX_*): such a config is a mistake, and
 * its layers would be simulated for hours (head_dim 2^40 ran for minutes with a useless ETA)
 * or overflow the whole-model sums only after simulating (layer counts). */
static int size_caps(const char *file, const mmt_llm_model *m, mmt_diag *d)
{
    const struct {
        const char *what;
        int64_t v, max;
    } cap[] = {
        {"hidden size", m->d, MMT_LLM_MAX_HIDDEN},
        {"attention heads", m->heads, MMT_LLM_MAX_HEADS},
        {"key/value heads", m->kv_heads, MMT_LLM_MAX_HEADS},
        {"head_dim", m->head_dim, MMT_LLM_MAX_HEAD_DIM},
        {"FFN size", m->ff, MMT_LLM_MAX_FFN},
        {"expert FFN size", m->expert_ff, MMT_LLM_MAX_FFN},
        {"shared expert FFN size", m->shared_ff, MMT_LLM_MAX_FFN},
        {"experts", m->experts, MMT_LLM_MAX_EXPERTS},
        {"decoder layers", m->layers, MMT_LLM_MAX_LAYERS},
    };
    for (size_t i = 0; i < sizeof cap / sizeof *cap; i++)
        if (cap[i].v > cap[i].max)
            return mmt__diag(d, MMT_ERANGE, file, 0,
                             "%s = %" PRId64 ": at most %" PRId64
                             " (far beyond any model; refused before simulating)",
                             cap[i].what, cap[i].v, cap[i].max);
    return 0;
}

/* Checks that the dimensions fit together and derives head_dim. */
static int check_model(const char *file, mmt_llm_model *m, mmt_diag *d)
{
    if (m->head_dim == 0) {
        if (m->d % m->heads)
            return mmt__diag(d, MMT_ERANGE, file, 0,
                             "hidden size %" PRId64 " is not divisible by %" PRId64 " heads", m->d,
                             m->heads);
        m->head_dim = m->d / m->heads;
    }
    if (m->kv_heads > m->heads || m->heads % m->kv_heads)
        return mmt__diag(d, MMT_ERANGE, file, 0,
                         "%" PRId64 " attention heads are not divisible by %" PRId64
                         " key/value heads",
                         m->heads, m->kv_heads);
    int64_t t;
    if (mmt__mul(m->heads, m->head_dim, &t))
        return mmt__diag(d, MMT_EOVERFLOW, file, 0, "heads * head_dim overflows");
    return size_caps(file, m, d);
}

/* Names the model after _name_or_path, else the file (or its directory for config.json).
 * A name that does not fit m->name is refused rather than cut (cut names could collide), and
 * so is one holding a control character (names are data: doc/study.md "Names"). */
static int model_name(const char *file, json_t *root, mmt_llm_model *m, mmt_diag *d)
{
    const char *np = json_string_value(json_object_get(root, "_name_or_path"));
    char *buf = strdup(np && *np ? np : file);
    if (!buf)
        return mmt__diag(d, MMT_ENOMEM, file, 0, "out of memory");
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    if (n > 5 && !strcmp(buf + n - 5, ".json"))
        buf[n -= 5] = '\0';
    char *base = strrchr(buf, '/');
    if (base && !strcmp(base + 1, "config")) {
        *base = '\0';
        base = strrchr(buf, '/');
    }
    const char *nm = base ? base + 1 : buf;
    int r = 0;
    for (const unsigned char *c = (const unsigned char *)nm; r == 0 && *c; c++)
        if (*c < 0x20 || *c == 0x7f) /* a line end or an escape would reach tables and names */
            r = mmt__diag(d, MMT_EPARSE, file, 0,
                          "model name holds a control character (byte 0x%02x at offset %zu)", *c,
                          (size_t)((const char *)c - nm));
    if (r == 0 && strlen(nm) >= sizeof m->name)
        r = mmt__diag(d, MMT_ERANGE, file, 0, "model name '%.40s...' is longer than %zu bytes", nm,
                      sizeof m->name - 1);
    else
        snprintf(m->name, sizeof m->name, "%s", *nm ? nm : "model");
    free(buf);
    for (char *p = m->name; *p; p++)
        if (*p == ',' || *p == ' ' || *p == '/')
            *p = '_';
    return r;
}

/* Appends ", name" for every family to buf (the list an unknown model_type is told). */
static void known_list(char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof families / sizeof families[0] && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? ", " : "", families[i].info.model_type);
}

/* The family of root by model_type, or a diagnostic (MLA and unknown types are refused). */
static int pick_family(const char *file, json_t *root, const family **out, mmt_diag *d)
{
    char known[512];
    known_list(known, sizeof known);
    json_t *j = json_object_get(root, "model_type");
    const char *mt = json_string_value(j);
    if (!mt)
        return mmt__diag(d, MMT_EPARSE, file, 0,
                         "no \"model_type\" string: cannot tell the model family (known: %s)",
                         known);
    if (!strcmp(mt, "deepseek_v2") || !strcmp(mt, "deepseek_v3"))
        return mmt__diag(d, MMT_EINVAL, file, 0,
                         "model_type \"%s\" uses multi-head latent attention (MLA), which mmtrace "
                         "does not lower; refusing rather than lowering it as plain attention",
                         mt);
    if (!(*out = find_family(mt)))
        return mmt__diag(d, MMT_EPARSE, file, 0, "unknown model_type \"%.64s\" (known: %s)", mt,
                         known);
    return 0;
}

int mmt_llm_config_parse(const char *name, const char *text, size_t len, mmt_llm_model *m,
                         mmt_diag *diag)
{
    json_error_t je;
    /* A UTF-8 byte-order mark is skipped (RFC 8259 lets parsers ignore it); a NUL byte is
     * reported where it is, not as jansson's "end of file". */
    size_t bom = mmt__bom_len(text, len);
    text += bom, len -= bom;
    const char *z = memchr(text, '\0', len);
    if (z) {
        long line = 1;
        const char *ls = text;
        for (const char *c = text; c < z; c++)
            if (*c == '\n')
                line++, ls = c + 1;
        return mmt__check_nul(diag, name, line, ls, z + 1);
    }
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) {
        int r = mmt__diag(diag, MMT_EPARSE, name, je.line > 0 ? je.line : 0, "%s", je.text);
        return r;
    }
    int r = 0;
    const family *f = NULL;
    memset(m, 0, sizeof *m);
    if (!json_is_object(root))
        r = mmt__diag(diag, MMT_EPARSE, name, 0, "expected a JSON object");
    else
        r = pick_family(name, root, &f, diag);
    if (r == 0) {
        snprintf(m->family, sizeof m->family, "%s", f->info.model_type);
        m->ffn = f->ffn;
        m->qkv_fused = f->qkv_fused;
        m->gate_up_fused = f->gate_up_fused;
        if ((r = model_name(name, root, m, diag)) == 0 &&
            (r = read_fields(name, root, f, m, diag)) >= 0 &&
            (r = read_window(name, root, f, m, diag)) >= 0 &&
            (r = read_moe(name, root, f, m, diag)) >= 0)
            r = check_model(name, m, diag);
    }
    json_decref(root);
    return r < 0 ? r : 0;
}

int mmt_llm_config_read(const char *path, mmt_llm_model *m, mmt_diag *diag)
{
    char *text;
    size_t len;
    int r = mmt__slurp(path, &text, &len, diag);
    if (r)
        return r;
    r = mmt_llm_config_parse(path, text, len, m, diag);
    free(text);
    return r;
}

/* ---------------------------------------------------------------- lowering */

/* Appends a row; the array has room (capacity computed up front). */
static mmt_llm_layer *add(mmt_llm_block *b, const char *name, mmt_llm_part part, int64_t count,
                          int64_t M, int64_t N, int64_t K)
{
    mmt_llm_layer *l = &b->layers[b->n++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->part = part, l->count = count, l->M = M, l->N = N, l->K = K;
    return l;
}

/* An FFN of size ff on Mp rows, named prefix + gate/up/down or 1/2; gated FFNs whose gate and
 * up are one weight matrix in the checkpoint (Phi-3's gate_up_proj) run as one GEMM. */
static void add_ffn(mmt_llm_block *b, const char *prefix, int gated, int fused, int64_t count,
                    int64_t Mp, int64_t d, int64_t ff)
{
    char nm[32];
    if (!gated) {
        snprintf(nm, sizeof nm, "%s1", prefix);
        add(b, nm, MMT_PART_MMFREE, count, Mp, ff, d);
        snprintf(nm, sizeof nm, "%s2", prefix);
        add(b, nm, MMT_PART_MMFREE, count, Mp, d, ff);
        return;
    }
    if (fused) {
        snprintf(nm, sizeof nm, "%s_gate_up", prefix);
        add(b, nm, MMT_PART_MMFREE, count, Mp, 2 * ff, d);
    } else {
        snprintf(nm, sizeof nm, "%s_gate", prefix);
        add(b, nm, MMT_PART_MMFREE, count, Mp, ff, d);
        snprintf(nm, sizeof nm, "%s_up", prefix);
        add(b, nm, MMT_PART_MMFREE, count, Mp, ff, d);
    }
    snprintf(nm, sizeof nm, "%s_down", prefix);
    add(b, nm, MMT_PART_MMFREE, count, Mp, d, ff);
}

/* Mixture of experts on T token rows (README "Mixture of experts"): the router, then the
 * T*k routed expert FFNs spread over the E experts as evenly as routing allows (balanced
 * routing assumed): with A = T*k assignments, A mod E experts run A/E + 1 rows and the others
 * A/E (so A <= E gives A expert FFNs of one row each); then the shared experts on all T rows. */
static void add_moe(mmt_llm_block *b, const mmt_llm_model *m, int gated, int64_t T)
{
    const int64_t E = m->experts, A = T * m->experts_per_tok, q = A / E, r = A % E;
    add(b, "router", MMT_PART_MMFREE, 1, T, E, m->d);
    if (r > 0)
        add_ffn(b, "expert", gated, 0, r, q + 1, m->d, m->expert_ff);
    if (q > 0)
        add_ffn(b, r > 0 ? "expert_lo" : "expert", gated, 0, E - r, q, m->d, m->expert_ff);
    if (m->shared_ff > 0) {
        add_ffn(b, "shared_ffn", gated, 0, 1, T, m->d, m->shared_ff);
        if (m->shared_expert_gate)
            add(b, "shared_expert_gate", MMT_PART_MMFREE, 1, T, 1, m->d);
    }
}

/* The projections and FFN: weight-to-activation, MatMul-free under 1-bit weights. */
static void add_projections(mmt_llm_block *b, const mmt_llm_model *m, const mmt_llm_opts *o,
                            int64_t Mp)
{
    const int64_t d = m->d, q = m->heads * m->head_dim, kv = m->kv_heads * m->head_dim;
    if (m->qkv_fused) {
        add(b, "QKV", MMT_PART_MMFREE, 1, Mp, q + 2 * kv, d);
    } else {
        add(b, "Q", MMT_PART_MMFREE, 1, Mp, q, d);
        add(b, "K", MMT_PART_MMFREE, 1, Mp, kv, d);
        add(b, "V", MMT_PART_MMFREE, 1, Mp, kv, d);
    }
    add(b, "O", MMT_PART_MMFREE, 1, Mp, d, q);
    const int gated = o->ffn == MMT_LLM_FFN_GATED;
    if (m->experts > 0)
        add_moe(b, m, gated, Mp);
    else
        add_ffn(b, "FFN", gated, m->gate_up_fused, 1, Mp, d, m->ff);
}

/* Attention over a span of L keys, on `layers` decoder layers (0: all), named with sfx:
 * scores = q.K^T and out = scores.V, per sequence (each sequence has its own KV cache, so
 * batching multiplies the count, never M). Grouped: one GEMM per KV head with the g = h/h_kv
 * query heads that share it stacked into M; per-head: one GEMM per query head. */
static void add_attention(mmt_llm_block *b, const mmt_llm_model *m, const mmt_llm_opts *o,
                          int64_t Ma, int64_t L, const char *sfx, int64_t layers)
{
    const int64_t dh = m->head_dim, g = m->heads / m->kv_heads;
    const int per_head = o->attention == MMT_LLM_ATTN_PER_HEAD || g == 1;
    const int64_t units = per_head ? m->heads : m->kv_heads, M = per_head ? Ma : g * Ma;
    char nm[32];
    if (!o->expand_heads) {
        snprintf(nm, sizeof nm, "QKt%s", sfx);
        add(b, nm, MMT_PART_MATMUL, units * o->batch, M, L, dh)->layers = layers;
        snprintf(nm, sizeof nm, "SV%s", sfx);
        add(b, nm, MMT_PART_MATMUL, units * o->batch, M, dh, L)->layers = layers;
        return;
    }
    const char *unit = per_head ? "h" : "kv"; /* with g = 1 the names stay QKt_h<i> */
    for (int64_t u = 0; u < units; u++) {
        snprintf(nm, sizeof nm, "QKt%s_%s%" PRId64, sfx, unit, u);
        add(b, nm, MMT_PART_MATMUL, o->batch, M, L, dh)->layers = layers;
        snprintf(nm, sizeof nm, "SV%s_%s%" PRId64, sfx, unit, u);
        add(b, nm, MMT_PART_MATMUL, o->batch, M, dh, L)->layers = layers;
    }
}

/* Checks the options and the products the block will hold for 64-bit overflow. */
static int check_lower(const mmt_llm_model *m, const mmt_llm_opts *o, int64_t *Ma, int64_t *Mp,
                       mmt_diag *diag)
{
    int r = size_caps(m->name, m, diag);
    if (r)
        return r;
    if (m->d <= 0 || m->heads <= 0 || m->kv_heads <= 0 || m->head_dim <= 0 || m->ff <= 0 ||
        m->heads % m->kv_heads || m->experts < 0 || m->window < 0 ||
        (m->experts > 0 && (m->experts_per_tok <= 0 || m->experts_per_tok > m->experts ||
                            m->expert_ff <= 0 || m->shared_ff < 0)) ||
        m->window_layers < 0 || (m->window > 0 && m->window_layers > m->layers))
        return mmt__diag(diag, MMT_EINVAL, m->name, 0, "inconsistent model dimensions");
    if (o->seq <= 0 || o->batch <= 0)
        return mmt__diag(diag, MMT_ERANGE, m->name, 0,
                         "sequence length and batch must be positive");
    if (o->attention != MMT_LLM_ATTN_GROUPED && o->attention != MMT_LLM_ATTN_PER_HEAD)
        return mmt__diag(diag, MMT_EINVAL, m->name, 0, "unknown attention mapping");
    *Ma = o->phase == MMT_LLM_PREFILL ? o->seq : 1;
    int64_t t, kvw;
    if (mmt__mul(*Ma, o->batch, Mp) || mmt__mul(m->heads, o->batch, &t) ||
        mmt__mul(m->heads, m->head_dim, &t) || mmt__mul(*Mp, m->ff, &t) ||
        mmt__mul(*Ma, o->seq, &t) || mmt__mul(t, m->heads, &t) || mmt__mul(t, m->head_dim, &t) ||
        mmt__mul(m->kv_heads, m->head_dim, &kvw) || mmt__mul(kvw, 2, &kvw) ||
        mmt__add(kvw, m->heads * m->head_dim, &t) || mmt__mul(m->ff, 2, &t) ||
        mmt__mul(*Mp, m->experts_per_tok, &t) || mmt__mul(m->expert_ff, 2, &t) ||
        mmt__mul(*Mp, m->shared_ff, &t))
        return mmt__diag(diag, MMT_EOVERFLOW, m->name, 0, "block sizes overflow 64 bits");
    /* Fuzzing found that a config with billions of heads made --expand-heads allocate two
     * rows per head (hundreds of GB): cap the rows it may make. */
    if (o->expand_heads && m->heads > MMT_LLM_MAX_EXPAND_HEADS)
        return mmt__diag(diag, MMT_ERANGE, m->name, 0,
                         "cannot expand %" PRId64 " attention heads into rows: at most %d",
                         m->heads, MMT_LLM_MAX_EXPAND_HEADS);
    return 0;
}

int mmt_llm_lower(const mmt_llm_model *m, const mmt_llm_opts *o, mmt_llm_block **out,
                  mmt_diag *diag, mmt_warn_fn warn, void *ud)
{
    *out = NULL;
    int64_t Ma = 0, Mp = 0;
    int r = check_lower(m, o, &Ma, &Mp, diag);
    if (r)
        return r;
    if (m->max_ctx > 0 && o->seq > m->max_ctx)
        mmt__warn(warn, ud, m->name, 0,
                  "sequence length %" PRId64 " exceeds the trained context of %" PRId64 " tokens",
                  o->seq, m->max_ctx);
    /* Sliding window: windowed layers attend over min(l, window) keys. Only when the window
     * is shorter than l and some layers are global do the layers differ (two attention
     * kinds, each row tagged with the layers that have it). */
    const int64_t span = m->window > 0 && m->window < o->seq ? m->window : o->seq;
    const int mixed = span < o->seq && m->window_layers > 0 && m->window_layers < m->layers;
    const int64_t L_all = span < o->seq && m->window_layers == 0 ? o->seq : span;
    size_t cap = 24 + (mixed ? 2 : 1) * (o->expand_heads ? 2 * (size_t)m->heads : 2);
    mmt_llm_block *b = calloc(1, sizeof *b);
    if (!b || !(b->layers = calloc(cap, sizeof *b->layers))) {
        free(b);
        return mmt__diag(diag, MMT_ENOMEM, m->name, 0, "out of memory");
    }
    add_projections(b, m, o, Mp);
    if (!mixed) {
        add_attention(b, m, o, Ma, L_all, "", 0);
    } else {
        add_attention(b, m, o, Ma, o->seq, "", m->layers - m->window_layers);
        add_attention(b, m, o, Ma, span, "_local", m->window_layers);
        for (size_t i = 0; i < b->n; i++)
            if (b->layers[i].layers == 0)
                b->layers[i].layers = m->layers;
    }
    *out = b;
    return 0;
}

void mmt_llm_block_free(mmt_llm_block *b)
{
    if (!b)
        return;
    free(b->layers);
    free(b);
}

void mmt_llm_layer_to_mmt(const mmt_llm_layer *l, mmt_layer *out)
{
    /* SCALE-Sim v2 GEMM mapping (doc/scalesim-v2.md §3.2): [H=M, W=K, FH=1, FW=K, C=1, N, SH=1,
     * SW=1]. */
    memset(out, 0, sizeof *out);
    out->name = (char *)l->name;
    out->ifmap_h = l->M, out->ifmap_w = l->K;
    out->filt_h = 1, out->filt_w = l->K;
    out->channels = 1, out->num_filt = l->N;
    out->stride_h = 1, out->stride_w = 1;
}

/* ---------------------------------------------------------------- CSV files */

int mmt_llm_write_topology(const char *path, const mmt_llm_block *b, mmt_diag *diag)
{
    mmt__buf s = {0};
    mmt__buf_printf(&s, "Layer, M, N, K,\n");
    for (size_t i = 0; i < b->n; i++) {
        const mmt_llm_layer *l = &b->layers[i];
        mmt__buf_printf(&s, "%s, %" PRId64 ", %" PRId64 ", %" PRId64 ",\n", l->name, l->M, l->N,
                        l->K);
    }
    return mmt__buf_write(&s, path, diag);
}

int mmt_llm_write_manifest(const char *path, const mmt_llm_block *b, mmt_diag *diag)
{
    mmt__buf s = {0};
    /* The layers column only when rows differ in the layers that have them, so uniform
     * blocks (every paper preset) keep the seven columns byte for byte. */
    int with_layers = 0;
    for (size_t i = 0; i < b->n; i++)
        with_layers |= b->layers[i].layers > 0;
    mmt__buf_printf(&s, "layer,name,part,count,M,N,K%s\n", with_layers ? ",layers" : "");
    for (size_t i = 0; i < b->n; i++) {
        const mmt_llm_layer *l = &b->layers[i];
        mmt__buf_printf(&s, "%zu,%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64, i, l->name,
                        mmt_llm_part_name(l->part), l->count, l->M, l->N, l->K);
        if (with_layers)
            mmt__buf_printf(&s, ",%" PRId64, l->layers);
        mmt__buf_printf(&s, "\n");
    }
    return mmt__buf_write(&s, path, diag);
}

/* Parses the fields f[0..nf) of one manifest line into l. */
static int manifest_fields(const char *path, long ln, char *const *f, int nf, size_t idx, int want,
                           mmt_llm_layer *l, mmt_diag *d)
{
    if (nf != want)
        return mmt__diag(d, MMT_EPARSE, path, ln, "expected %d fields, got %d", want, nf);
    int64_t v[6] = {0};
    const int at[6] = {0, 3, 4, 5, 6, 7};
    for (int i = 0; i < want - 2; i++)
        if (mmt__parse_i64(f[at[i]], strlen(f[at[i]]), &v[i]) || v[i] < (i ? 1 : 0))
            return mmt__diag(d, MMT_EPARSE, path, ln, "field %d: expected a %s integer, got '%s'",
                             at[i] + 1, i ? "positive" : "non-negative", f[at[i]]);
    if ((size_t)v[0] != idx)
        return mmt__diag(d, MMT_EPARSE, path, ln, "expected layer %zu, got %" PRId64, idx, v[0]);
    if (strcmp(f[2], "matmul-free") && strcmp(f[2], "matmul"))
        return mmt__diag(d, MMT_EPARSE, path, ln, "part must be matmul-free or matmul, got '%s'",
                         f[2]);
    snprintf(l->name, sizeof l->name, "%s", f[1]);
    l->part = strcmp(f[2], "matmul") ? MMT_PART_MMFREE : MMT_PART_MATMUL;
    l->count = v[1], l->M = v[2], l->N = v[3], l->K = v[4], l->layers = v[5];
    return 0;
}

/* The fields of one manifest line as libcsv splits them: up to 9, each NUL-terminated in
 * buf (room for the line and the NULs). */
typedef struct mfields {
    char *buf, *f[9];
    size_t used;
    int n;
} mfields;

static void mf_field(void *s, size_t len, void *ud)
{
    mfields *m = ud;
    if (m->n < 9) {
        m->f[m->n] = m->buf + m->used;
        memcpy(m->buf + m->used, s ? s : "", s ? len : 0);
        m->used += (s ? len : 0) + 1;
        m->buf[m->used - 1] = '\0';
    }
    m->n++;
}

static void mf_record(int c, void *ud)
{
    (void)c;
    (void)ud;
}

/* Parses one manifest data line (a CSV record, read with libcsv: a name may be quoted) into
 * l; idx must equal the expected layer id. */
static int parse_manifest_line(const char *path, long ln, char *line, size_t idx, int want,
                               mmt_llm_layer *l, mmt_diag *d)
{
    size_t n = strlen(line);
    mfields m = {.buf = malloc(n + 10)};
    struct csv_parser p;
    if (!m.buf || csv_init(&p, 0) != 0) {
        free(m.buf);
        return mmt__diag(d, MMT_ENOMEM, path, ln, "out of memory");
    }
    int bad = csv_parse(&p, line, n, mf_field, mf_record, &m) != n ||
              csv_fini(&p, mf_field, mf_record, &m) != 0;
    csv_free(&p);
    int r = bad ? mmt__diag(d, MMT_EPARSE, path, ln, "not a CSV record") : 0;
    if (r == 0)
        r = manifest_fields(path, ln, m.f, m.n, idx, want, l, d);
    free(m.buf);
    return r;
}

int mmt_llm_manifest_read(const char *path, mmt_llm_block **out, mmt_diag *diag)
{
    char *text;
    size_t len;
    *out = NULL;
    int r = mmt__slurp(path, &text, &len, diag);
    if (r)
        return r;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) /* at most this many: "\r\n" counts twice */
        lines += text[i] == '\n' || text[i] == '\r';
    mmt_llm_block *b = calloc(1, sizeof *b);
    if (!b || !(b->layers = calloc(lines, sizeof *b->layers))) {
        free(b);
        free(text);
        return mmt__diag(diag, MMT_ENOMEM, path, 0, "out of memory");
    }
    long ln = 0;
    int want = 7; /* fields per line: 8 with the layers column */
    mmt__lines L = {text, text + len, 0, 0};
    const char *ls, *le;
    while (mmt__line_next(&L, &ls, &le)) {
        ln = L.no;
        char *line = text + (ls - text); /* the copy is ours: end the line in place */
        size_t n = (size_t)(le - ls);
        line[n] = '\0';
        if ((r = mmt__check_nul(diag, path, ln, ls, le)) != 0)
            break;
        if (ln == 1) {
            want = strcmp(line, "layer,name,part,count,M,N,K,layers") ? 7 : 8;
            if (want == 7 && strcmp(line, "layer,name,part,count,M,N,K")) {
                r = mmt__diag(diag, MMT_EPARSE, path, 1,
                              "expected the header layer,name,part,count,M,N,K[,layers]");
                break;
            }
            continue;
        }
        if (n == 0)
            continue;
        if ((r = parse_manifest_line(path, ln, line, b->n, want, &b->layers[b->n], diag)))
            break;
        b->n++;
    }
    if (r == 0 && ln == 0)
        r = mmt__diag(diag, MMT_EPARSE, path, 0, "empty manifest");
    free(text);
    if (r) {
        mmt_llm_block_free(b);
        return r;
    }
    *out = b;
    return 0;
}
