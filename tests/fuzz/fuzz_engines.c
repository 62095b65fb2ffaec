/*
 * fuzz_engines.c - fuzz target for the fold engine (sim_folds.c, sim_folds_user.c): a fuzzed
 * hardware point and layer is simulated by the row engine and by the default engine (the fold
 * engine wherever mmt_sim_folds_ok takes the layer); both must fail alike or give identical
 * mmt_layer_results (every field, floats bit for bit). A mismatch traps: it is a bug in the
 * fold engine.
 *
 * Input: a byte string read as fields, each byte past the end reading as 0:
 *   0  dataflow (% 3), bit 2 USER mode, bit 3 Python 3.11 sums, bit 4 conv layer,
 *      bit 5 a 128- or 256-wide side (bit 6 which side, bit 7 which size)
 *   1  2  array rows and columns - 1 (% 64)
 *   3  4  5  ifmap, filter, ofmap SRAM: 1 + b % 16 KB, or (b >= 0x80) 1 + (b & 0x7f) * 32 KB
 *   6  USER bandwidth - 1 (% 64)
 *   7  8  9  operand widths: b % 8, 0 the default 8 bits, else 1, 1.67, 2, 4, 12, 16, 32 bits
 *   10-11 12-13 14-15  GEMM M, N, K (little endian; K % 10000), each at least 1
 *   16 ifmap offset / 4 (0..1020)
 *   conv (bit 4): 17 18 filter height and width 1 + b % 4, 19 20 strides (filter + b % 3
 *      - 1, at least 1: overlapping, tiling or gapped windows), 21 22 output rows and
 *      columns - 1 (% 8), 23 24 extra ifmap rows and columns (% 3), 25 channels 1 + b % 16.
 *   26 negative offsets (doc/scalesim-v2.md §4.1) when not 0: ifmap offset - 16b, filter -8b,
 *      ofmap -(b % 64) * 5 - 1, so small layers hold a real address -1 and large ones do not
 * Layers whose row-engine work (rows x array sides) passes a bound are skipped.
 */
#include "mmtrace.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORK 3e6 /* demand rows x (R + 2C): about 10 ms of the row engine */

/* Byte i of the input, 0 past its end. */
static unsigned at(const uint8_t *d, size_t n, size_t i)
{
    return i < n ? d[i] : 0;
}

/* 16-bit little-endian field at i. */
static unsigned at16(const uint8_t *d, size_t n, size_t i)
{
    return at(d, n, i) | at(d, n, i + 1) << 8;
}

/* SRAM size from one byte. */
static int64_t kb_of(unsigned b)
{
    return b >= 0x80 ? 1 + (int64_t)(b & 0x7f) * 32 : 1 + b % 16;
}

/* The hardware point of the input. */
static void make_cfg(const uint8_t *d, size_t n, mmt_config *c)
{
    static const int32_t bits[8] = {0, 1000, 1670, 2000, 4000, 12000, 16000, 32000};
    unsigned f = at(d, n, 0);
    memset(c, 0, sizeof *c);
    c->dataflow = (mmt_dataflow)(f % 4 % 3);
    c->user_bw = (f >> 2) & 1;
    c->array_h = 1 + at(d, n, 1) % 64;
    c->array_w = 1 + at(d, n, 2) % 64;
    if (f & 0x20) {
        int64_t big = f & 0x80 ? 256 : 128;
        *(f & 0x40 ? &c->array_w : &c->array_h) = big;
    }
    c->ifmap_kb = kb_of(at(d, n, 3));
    c->filter_kb = kb_of(at(d, n, 4));
    c->ofmap_kb = kb_of(at(d, n, 5));
    c->bandwidth = c->user_bw ? 1 + at(d, n, 6) % 64 : 0;
    for (int op = 0; op < 3; op++)
        c->bits_milli[op] = bits[at(d, n, 7 + (size_t)op) % 8];
    c->ifmap_offset = (int64_t)at(d, n, 16) * 4;
    c->filter_offset = 10000000;
    c->ofmap_offset = 20000000;
    int64_t neg = at(d, n, 26);
    if (neg) {
        c->ifmap_offset -= neg * 16;
        c->filter_offset = -neg * 8;
        c->ofmap_offset = -(neg % 64) * 5 - 1;
    }
}

/* The layer of the input: a GEMM, or a small conv. */
static void make_layer(const uint8_t *d, size_t n, mmt_layer *l)
{
    memset(l, 0, sizeof *l);
    l->stride_h = l->stride_w = l->channels = l->filt_h = 1;
    if (!(at(d, n, 0) & 0x10)) {
        l->ifmap_h = 1 + at16(d, n, 10) % 4096;      /* M */
        l->num_filt = 1 + at16(d, n, 12) % 4096;     /* N */
        l->ifmap_w = l->filt_w = 1 + at16(d, n, 14) % 10000; /* K */
        return;
    }
    l->filt_h = 1 + at(d, n, 17) % 4, l->filt_w = 1 + at(d, n, 18) % 4;
    int64_t sh = l->filt_h + (int64_t)(at(d, n, 19) % 3) - 1;
    int64_t sw = l->filt_w + (int64_t)(at(d, n, 20) % 3) - 1;
    l->stride_h = sh > 0 ? sh : 1, l->stride_w = sw > 0 ? sw : 1;
    l->ifmap_h = l->filt_h + l->stride_h * (at(d, n, 21) % 8) + at(d, n, 23) % 3;
    l->ifmap_w = l->filt_w + l->stride_w * (at(d, n, 22) % 8) + at(d, n, 24) % 3;
    l->channels = 1 + at(d, n, 25) % 16;
    l->num_filt = 1 + at16(d, n, 12) % 512;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mmt_config cfg;
    mmt_layer l;
    mmt_geom g;
    make_cfg(data, size, &cfg);
    make_layer(data, size, &l);
    if (mmt_geom_init(&g, &l, &cfg, NULL) != 0 ||
        (double)g.rows * (double)(g.R + 2 * g.C) > MAX_WORK)
        return 0;
    int py311 = (at(data, size, 0) >> 3) & 1;
    mmt_sim_opts ro = {.engine = MMT_ENGINE_ROWS, .py311_sum = py311};
    mmt_sim_opts fo = {.engine = MMT_ENGINE_AUTO, .py311_sum = py311};
    mmt_layer_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int ra = mmt_sim_run(&cfg, &g, &ro, &a), rb = mmt_sim_run(&cfg, &g, &fo, &b);
    if (ra != rb || (ra == 0 && memcmp(&a, &b, sizeof a) != 0))
        __builtin_trap(); /* the fold engine disagrees with the rows */
    return 0;
}
