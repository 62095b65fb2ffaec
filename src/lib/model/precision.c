/*
 * precision.c - operand widths (the optional cfg section [precision], which SCALE-Sim ignores):
 * how many elements of an operand an SRAM holds and a DRAM interface moves per cycle, and how
 * many bytes an element count takes.
 *
 * A width is kept in thousandths of a bit (1.58 bits = 1580), so the decimal a user writes is
 * taken exactly and never passes through a binary float. Every rule is one exact integer
 * division rounded once, at the end:
 *   elements an SRAM of S KB holds      floor(S * 1024 * 8 / bits)
 *   elements B bytes/cycle move         floor(B * 8 / bits)          (at least 1, else refused)
 *   bytes that n elements take          ceil(n * bits / 8)           (densely packed)
 * At 8 bits the first two are S * 1024 and B exactly, so every SCALE-Sim output is unchanged.
 */
#include "sim_internal.h"

#include <string.h>

/* The width of op in thousandths of a bit (0 in the cfg means the default, 8 bits). */
int32_t mmt_precision_bits(const mmt_config *cfg, mmt_operand op)
{
    int32_t b = cfg->bits_milli[op];
    return b ? b : MMT_BITS_DEFAULT;
}

int mmt_precision_parse_bits(const char *s, size_t len, int32_t *out)
{
    size_t i = 0;
    int64_t v = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        if (v < 1000000) /* anything above 32 is out of range; no need to keep counting */
            v = v * 10 + (s[i] - '0');
    if (i == 0)
        return MMT_EPARSE;
    int frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9' && frac < 4)
            v = v * 10 + (s[i++] - '0'), frac++;
        if (frac == 0 || frac > 3)
            return MMT_EPARSE; /* "8." or more decimals than a thousandth */
    }
    if (i != len)
        return MMT_EPARSE;
    for (; frac < 3; frac++)
        v *= 10;
    if (v < MMT_BITS_MIN || v > MMT_BITS_MAX)
        return MMT_ERANGE;
    *out = (int32_t)v;
    return 0;
}

/* floor(num * 8000 / bits) with num >= 0, checked against int64. */
static int scale_down(int64_t num, int32_t bits, int64_t *out)
{
    if (num < 0 || bits < MMT_BITS_MIN || bits > MMT_BITS_MAX)
        return MMT_EINVAL;
    mmt__u128 q = (mmt__u128)(uint64_t)num * 8000u / (uint32_t)bits;
    if (q > INT64_MAX)
        return MMT_EOVERFLOW;
    *out = (int64_t)q;
    return 0;
}

int mmt_precision_elems(int64_t kb, int32_t bits, int64_t *out)
{
    int64_t bytes;
    if (kb < 0)
        return MMT_EINVAL;
    if (mmt__mul(kb, 1024, &bytes))
        return MMT_EOVERFLOW;
    return scale_down(bytes, bits, out);
}

int mmt_precision_bw(int64_t bytes_per_cycle, int32_t bits, int64_t *out)
{
    int64_t n;
    int r = scale_down(bytes_per_cycle, bits, &n);
    if (r == 0 && n == 0)
        return MMT_ERANGE; /* less than one element per cycle: cannot be modelled */
    if (r == 0)
        *out = n;
    return r;
}

int mmt_precision_bytes(int64_t count, int32_t bits, int64_t *out)
{
    if (count < 0 || bits < MMT_BITS_MIN || bits > MMT_BITS_MAX)
        return MMT_EINVAL;
    mmt__u128 p = (mmt__u128)(uint64_t)count * (uint32_t)bits;
    mmt__u128 q = p / 8000u + (p % 8000u != 0);
    if (q > INT64_MAX)
        return MMT_EOVERFLOW;
    *out = (int64_t)q;
    return 0;
}

int mmt_precision_sram_elems(const mmt_config *cfg, mmt_operand op, int64_t *out)
{
    const int64_t kb[3] = {cfg->ifmap_kb, cfg->filter_kb, cfg->ofmap_kb};
    return mmt_precision_elems(kb[op], mmt_precision_bits(cfg, op), out);
}

int mmt_precision_dram_bw(const mmt_config *cfg, mmt_operand op, int64_t *out)
{
    if (cfg->user_bw)
        return mmt_precision_bw(cfg->bandwidth, mmt_precision_bits(cfg, op), out);
    if (op == MMT_OP_OFMAP) {
        /* SCALE-Sim v2: the CALC ofmap bandwidth is the array width C, counted in elements
         * (one ofmap element per column per cycle); the width does not change it. */
        *out = cfg->array_w;
        return 0;
    }
    /* SCALE-Sim v2: the CALC read buffers start from a base bandwidth of 10 words, taken
     * here as 10 bytes per cycle like a USER bandwidth. */
    return mmt_precision_bw(MMT_CALC_BASE_BW, mmt_precision_bits(cfg, op), out);
}

int mmt__buffer_elems(const mmt_config *cfg, mmt_operand op, int64_t *words, int64_t *bw)
{
    int r = mmt_precision_sram_elems(cfg, op, words);
    return r ? r : mmt_precision_dram_bw(cfg, op, bw);
}

int mmt_precision_layer_bytes(const mmt_config *cfg, const mmt_layer_result *res,
                              mmt_layer_bytes *out)
{
    memset(out, 0, sizeof *out);
    for (int op = 0; op < 3; op++) {
        int32_t bits = mmt_precision_bits(cfg, (mmt_operand)op);
        int r = mmt_precision_bytes(res->sram_count[op], bits, &out->sram[op]);
        if (r == 0)
            r = mmt_precision_bytes(res->dram_count[op], bits, &out->dram[op]);
        if (r)
            return r;
    }
    return 0;
}

int mmt_precision_run(const mmt_config *cfg, const int32_t bits[3], const mmt_layer *l,
                      mmt_layer_result *res, mmt_layer_bytes *bytes, mmt_diag *diag)
{
    static const char *const name[3] = {"ifmap", "filter", "ofmap"};
    mmt_config c = *cfg;
    c.has_precision = 1;
    for (int op = 0; op < 3; op++) {
        int64_t n;
        if (bits[op] < MMT_BITS_MIN || bits[op] > MMT_BITS_MAX)
            return mmt__diag(diag, MMT_ERANGE, NULL, 0, "%s width %.3f bits: must be 1 to 32",
                             name[op], bits[op] / 1000.0);
        c.bits_milli[op] = bits[op];
        int r = mmt_precision_sram_elems(&c, (mmt_operand)op, &n);
        if (r)
            return mmt__diag(diag, r, NULL, 0, "%s SRAM: too many %.3f-bit elements", name[op],
                             bits[op] / 1000.0);
        if ((r = mmt_precision_dram_bw(&c, (mmt_operand)op, &n)) != 0)
            return mmt__diag(diag, r, NULL, 0,
                             "%s: the bandwidth moves less than one %.3f-bit element per cycle",
                             name[op], bits[op] / 1000.0);
    }
    mmt_geom g;
    int r = mmt_geom_init(&g, l, &c, diag);
    if (r == 0 && (r = mmt_sim_run(&c, &g, NULL, res)) != 0)
        mmt__diag(diag, r, NULL, l->line, "cannot simulate: %s", mmt_strerror(r));
    if (r == 0 && bytes && (r = mmt_precision_layer_bytes(&c, res, bytes)) != 0)
        mmt__diag(diag, r, NULL, l->line, "the byte counts overflow 64 bits");
    return r;
}
