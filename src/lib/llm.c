/*
 * llm.c - lowering one transformer decoder block to SCALE-Sim GEMM layers (study.md): the
 * study's model presets, HuggingFace config.json reading (jansson), the topology CSV and the
 * manifest that says which part (MatMul-free projection or MatMul attention head) each row is.
 *
 * Manifest scheme: beside each topology X.csv lies X.parts.csv with the header
 * "layer,name,part,count,M,N,K"; row i describes SCALE-Sim layer id i of X.csv (layer<i>/,
 * report row i). part is "matmul-free" or "matmul"; count is how often the row occurs in one
 * block (h*b for an attention row, b for an --expand-heads row, 1 for a projection).
 */
#include "internal.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* study.md's 13 models. The study lowers every one with the two-matrix FFN. */
#define P(n, fam, d, h, ff, nl, ctx)                                                               \
    {                                                                                              \
        n, fam, d, h, h, (d) / (h), ff, nl, ctx, MMT_LLM_FFN_PLAIN                                 \
    }
static const mmt_llm_model presets[] = {
    P("gpt2", "gpt2", 768, 12, 3072, 12, 1024),
    P("gpt2-medium", "gpt2", 1024, 16, 4096, 24, 1024),
    P("gpt2-large", "gpt2", 1280, 20, 5120, 36, 1024),
    P("gpt2-xl", "gpt2", 1600, 25, 6400, 48, 1024),
    P("opt-350m", "opt", 1024, 16, 4096, 24, 2048),
    P("opt-1.3b", "opt", 2048, 32, 8192, 24, 2048),
    P("opt-2.7b", "opt", 2560, 32, 10240, 32, 2048),
    P("opt-6.7b", "opt", 4096, 32, 16384, 32, 2048),
    P("opt-13b", "opt", 5120, 40, 20480, 40, 2048),
    P("opt-30b", "opt", 7168, 56, 28672, 48, 2048),
    P("opt-66b", "opt", 9216, 72, 36864, 64, 2048),
    P("llama-7b", "llama", 4096, 32, 11008, 32, 2048),
    P("llama-13b", "llama", 5120, 40, 13824, 40, 2048),
};
#undef P

size_t mmt_llm_preset_count(void)
{
    return sizeof presets / sizeof presets[0];
}

const mmt_llm_model *mmt_llm_preset_at(size_t i)
{
    return i < mmt_llm_preset_count() ? &presets[i] : NULL;
}

int mmt_llm_preset(const char *name, mmt_llm_model *m)
{
    for (size_t i = 0; i < mmt_llm_preset_count(); i++)
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

/* Which family the config describes: model_type first, then the fields present. */
static const char *detect_family(json_t *root)
{
    const char *mt = json_string_value(json_object_get(root, "model_type"));
    if (mt && !strcmp(mt, "gpt2"))
        return "gpt2";
    if (mt && !strcmp(mt, "opt"))
        return "opt";
    if (mt && (!strcmp(mt, "llama") || !strcmp(mt, "mistral") || !strcmp(mt, "qwen2")))
        return "llama";
    if (json_object_get(root, "n_embd"))
        return "gpt2";
    if (json_object_get(root, "ffn_dim"))
        return "opt";
    if (json_object_get(root, "intermediate_size"))
        return "llama";
    return NULL;
}

/* Field names per family: hidden, heads, layers, ff, context. */
static int read_fields(const char *file, json_t *root, mmt_llm_model *m, mmt_diag *d)
{
    int gpt2 = !strcmp(m->family, "gpt2"), opt = !strcmp(m->family, "opt");
    const char *k_d = gpt2 ? "n_embd" : "hidden_size";
    const char *k_h = gpt2 ? "n_head" : "num_attention_heads";
    const char *k_l = gpt2 ? "n_layer" : "num_hidden_layers";
    const char *k_ff = gpt2 ? "n_inner" : opt ? "ffn_dim" : "intermediate_size";
    const char *k_ctx = gpt2 ? "n_positions" : "max_position_embeddings";
    int r;
    if ((r = get_int(file, root, k_d, 1, &m->d, d)) < 0 ||
        (r = get_int(file, root, k_h, 1, &m->heads, d)) < 0 ||
        (r = get_int(file, root, k_l, 1, &m->layers, d)) < 0)
        return r;
    if ((r = get_int(file, root, k_ff, !gpt2, &m->ff, d)) < 0)
        return r;
    if (r == 1 && mmt__mul(m->d, 4, &m->ff)) /* GPT-2: n_inner null means 4 * n_embd */
        return mmt__diag(d, MMT_EOVERFLOW, file, 0, "4 * %s overflows", k_d);
    m->max_ctx = gpt2 ? 1024 : 2048;
    if ((r = get_int(file, root, k_ctx, 0, &m->max_ctx, d)) < 0)
        return r;
    m->kv_heads = m->heads;
    m->head_dim = 0;
    if (!gpt2 && !opt) {
        if ((r = get_int(file, root, "num_key_value_heads", 0, &m->kv_heads, d)) < 0 ||
            (r = get_int(file, root, "head_dim", 0, &m->head_dim, d)) < 0)
            return r;
    }
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
    return 0;
}

/* Names the model after _name_or_path, else the file (or its directory for config.json). */
static void model_name(const char *file, json_t *root, mmt_llm_model *m)
{
    const char *np = json_string_value(json_object_get(root, "_name_or_path"));
    const char *s = np && *np ? np : file;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
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
    snprintf(m->name, sizeof m->name, "%s", *nm ? nm : "model");
    for (char *p = m->name; *p; p++)
        if (*p == ',' || *p == ' ' || *p == '/')
            *p = '_';
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
    memset(m, 0, sizeof *m);
    const char *fam = json_is_object(root) ? detect_family(root) : NULL;
    if (!json_is_object(root))
        r = mmt__diag(diag, MMT_EPARSE, name, 0, "expected a JSON object");
    else if (!fam)
        r = mmt__diag(diag, MMT_EPARSE, name, 0,
                      "cannot tell the model family: no known model_type (gpt2, opt, llama) "
                      "and none of n_embd, ffn_dim, intermediate_size");
    if (r == 0) {
        snprintf(m->family, sizeof m->family, "%s", fam);
        m->ffn = !strcmp(fam, "llama") ? MMT_LLM_FFN_GATED : MMT_LLM_FFN_PLAIN;
        model_name(name, root, m);
        if ((r = read_fields(name, root, m, diag)) >= 0)
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
static void add(mmt_llm_block *b, const char *name, mmt_llm_part part, int64_t count, int64_t M,
                int64_t N, int64_t K)
{
    mmt_llm_layer *l = &b->layers[b->n++];
    snprintf(l->name, sizeof l->name, "%s", name);
    l->part = part, l->count = count, l->M = M, l->N = N, l->K = K;
}

/* The projections and FFN: weight-to-activation, MatMul-free under 1-bit weights. */
static void add_projections(mmt_llm_block *b, const mmt_llm_model *m, const mmt_llm_opts *o,
                            int64_t Mp)
{
    const int64_t d = m->d, q = m->heads * m->head_dim, kv = m->kv_heads * m->head_dim;
    add(b, "Q", MMT_PART_MMFREE, 1, Mp, q, d);
    add(b, "K", MMT_PART_MMFREE, 1, Mp, kv, d);
    add(b, "V", MMT_PART_MMFREE, 1, Mp, kv, d);
    add(b, "O", MMT_PART_MMFREE, 1, Mp, d, q);
    if (o->ffn == MMT_LLM_FFN_GATED) {
        add(b, "FFN_gate", MMT_PART_MMFREE, 1, Mp, m->ff, d);
        add(b, "FFN_up", MMT_PART_MMFREE, 1, Mp, m->ff, d);
        add(b, "FFN_down", MMT_PART_MMFREE, 1, Mp, d, m->ff);
    } else {
        add(b, "FFN1", MMT_PART_MMFREE, 1, Mp, m->ff, d);
        add(b, "FFN2", MMT_PART_MMFREE, 1, Mp, d, m->ff);
    }
}

/* Attention heads: scores = q.K^T (Ma x l x dh) and out = scores.V (Ma x dh x l), per head
 * and per sequence (each sequence has its own KV cache, so batching does not merge them). */
static void add_attention(mmt_llm_block *b, const mmt_llm_model *m, const mmt_llm_opts *o,
                          int64_t Ma)
{
    const int64_t l = o->seq, dh = m->head_dim;
    if (!o->expand_heads) {
        add(b, "QKt", MMT_PART_MATMUL, m->heads * o->batch, Ma, l, dh);
        add(b, "SV", MMT_PART_MATMUL, m->heads * o->batch, Ma, dh, l);
        return;
    }
    char nm[32];
    for (int64_t h = 0; h < m->heads; h++) {
        snprintf(nm, sizeof nm, "QKt_h%" PRId64, h);
        add(b, nm, MMT_PART_MATMUL, o->batch, Ma, l, dh);
        snprintf(nm, sizeof nm, "SV_h%" PRId64, h);
        add(b, nm, MMT_PART_MATMUL, o->batch, Ma, dh, l);
    }
}

int mmt_llm_lower(const mmt_llm_model *m, const mmt_llm_opts *o, mmt_llm_block **out,
                  mmt_diag *diag, mmt_warn_fn warn, void *ud)
{
    *out = NULL;
    if (m->d <= 0 || m->heads <= 0 || m->kv_heads <= 0 || m->head_dim <= 0 || m->ff <= 0 ||
        m->heads % m->kv_heads)
        return mmt__diag(diag, MMT_EINVAL, m->name, 0, "inconsistent model dimensions");
    if (o->seq <= 0 || o->batch <= 0)
        return mmt__diag(diag, MMT_ERANGE, m->name, 0,
                         "sequence length and batch must be positive");
    if (m->max_ctx > 0 && o->seq > m->max_ctx)
        mmt__warn(warn, ud, m->name, 0,
                  "sequence length %" PRId64 " exceeds the trained context of %" PRId64 " tokens",
                  o->seq, m->max_ctx);
    int64_t Ma = o->phase == MMT_LLM_PREFILL ? o->seq : 1, Mp, t;
    if (mmt__mul(Ma, o->batch, &Mp) || mmt__mul(m->heads, o->batch, &t) ||
        mmt__mul(m->heads, m->head_dim, &t) || mmt__mul(Mp, m->ff, &t) ||
        mmt__mul(Ma, o->seq, &t) || mmt__mul(t, m->head_dim, &t))
        return mmt__diag(diag, MMT_EOVERFLOW, m->name, 0, "block sizes overflow 64 bits");
    /* Fuzzing found that a config with billions of heads made --expand-heads allocate two
     * rows per head (hundreds of GB): cap the rows it may make. */
    if (o->expand_heads && m->heads > MMT_LLM_MAX_EXPAND_HEADS)
        return mmt__diag(diag, MMT_ERANGE, m->name, 0,
                         "cannot expand %" PRId64 " attention heads into rows: at most %d",
                         m->heads, MMT_LLM_MAX_EXPAND_HEADS);
    size_t cap = 7 + (o->expand_heads ? 2 * (size_t)m->heads : 2);
    mmt_llm_block *b = calloc(1, sizeof *b);
    if (!b || !(b->layers = calloc(cap, sizeof *b->layers))) {
        free(b);
        return mmt__diag(diag, MMT_ENOMEM, m->name, 0, "out of memory");
    }
    add_projections(b, m, o, Mp);
    add_attention(b, m, o, Ma);
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
    /* SCALE-Sim v2 GEMM mapping (spec §3.2): [H=M, W=K, FH=1, FW=K, C=1, N, SH=1, SW=1]. */
    memset(out, 0, sizeof *out);
    out->name = (char *)l->name;
    out->ifmap_h = l->M, out->ifmap_w = l->K;
    out->filt_h = 1, out->filt_w = l->K;
    out->channels = 1, out->num_filt = l->N;
    out->stride_h = 1, out->stride_w = 1;
}

/* ---------------------------------------------------------------- CSV files */

/* A growing text buffer. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int bad;
} sbuf;

/* Appends formatted text; remembers an allocation failure. */
static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *s, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k =
            s->bad ? 0 : vsnprintf(s->p ? s->p + s->n : NULL, s->p ? s->cap - s->n : 0, fmt, ap);
        va_end(ap);
        if (s->bad || k < 0)
            return;
        if (s->p && s->n + (size_t)k < s->cap) {
            s->n += (size_t)k;
            return;
        }
        size_t nc = (s->cap ? s->cap * 2 : 4096) + (size_t)k;
        char *np = realloc(s->p, nc);
        if (!np) {
            s->bad = 1;
            return;
        }
        s->p = np, s->cap = nc;
    }
}

/* Writes the buffer atomically and frees it. */
static int sb_flush(sbuf *s, const char *path, mmt_diag *d)
{
    int r = s->bad ? mmt__diag(d, MMT_ENOMEM, path, 0, "out of memory")
                   : mmt__write_file_atomic(path, s->p ? s->p : "", s->n, d);
    free(s->p);
    return r;
}

int mmt_llm_write_topology(const char *path, const mmt_llm_block *b, mmt_diag *diag)
{
    sbuf s = {0};
    sb_printf(&s, "Layer, M, N, K,\n");
    for (size_t i = 0; i < b->n; i++) {
        const mmt_llm_layer *l = &b->layers[i];
        sb_printf(&s, "%s, %" PRId64 ", %" PRId64 ", %" PRId64 ",\n", l->name, l->M, l->N, l->K);
    }
    return sb_flush(&s, path, diag);
}

int mmt_llm_write_manifest(const char *path, const mmt_llm_block *b, mmt_diag *diag)
{
    sbuf s = {0};
    sb_printf(&s, "layer,name,part,count,M,N,K\n");
    for (size_t i = 0; i < b->n; i++) {
        const mmt_llm_layer *l = &b->layers[i];
        sb_printf(&s, "%zu,%s,%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n", i, l->name,
                  mmt_llm_part_name(l->part), l->count, l->M, l->N, l->K);
    }
    return sb_flush(&s, path, diag);
}

/* Parses one manifest data line into l; idx must equal the expected layer id. */
static int parse_manifest_line(const char *path, long ln, char *line, size_t idx, mmt_llm_layer *l,
                               mmt_diag *d)
{
    char *f[8];
    int nf = 0;
    for (char *p = line; nf < 8;) {
        f[nf++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    if (nf != 7)
        return mmt__diag(d, MMT_EPARSE, path, ln, "expected 7 fields, got %d", nf);
    int64_t v[5];
    const int at[5] = {0, 3, 4, 5, 6};
    for (int i = 0; i < 5; i++)
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
    l->count = v[1], l->M = v[2], l->N = v[3], l->K = v[4];
    return 0;
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
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    mmt_llm_block *b = calloc(1, sizeof *b);
    if (!b || !(b->layers = calloc(lines, sizeof *b->layers))) {
        free(b);
        free(text);
        return mmt__diag(diag, MMT_ENOMEM, path, 0, "out of memory");
    }
    long ln = 0;
    for (char *line = text, *next; line && *line; line = next) {
        ln++;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (ln == 1) {
            if (strcmp(line, "layer,name,part,count,M,N,K")) {
                r = mmt__diag(diag, MMT_EPARSE, path, 1,
                              "expected the header layer,name,part,count,M,N,K");
                break;
            }
            continue;
        }
        if (n == 0)
            continue;
        if ((r = parse_manifest_line(path, ln, line, b->n, &b->layers[b->n], diag)))
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
