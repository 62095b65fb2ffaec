/*
 * sim_internal.h - internals of the memory model (doc/scalesim-v2.md §6-7) shared by pyfmt.c, pyset.c,
 * rbuf_calc.c, rbuf_user.c, wbuf.c, sim.c and report_writer.c, and used directly by the unit tests.
 * Not installed. Buffers never write files themselves: they hand DRAM trace rows to a sink.
 */
#ifndef MMT_SIM_INTERNAL_H
#define MMT_SIM_INTERNAL_H

#include "internal.h"

#include <stdio.h>

/* Rows ru and columns cu of the array that fold f uses (column fold outer, row fold inner). */
void mmt__geom_fold_used(const mmt_geom *g, int64_t f, int64_t *ru, int64_t *cu);

/* Operand op's SRAM size (*words) and DRAM bandwidth (*bw) in elements of its width
 * ([precision]; 8 bits: SCALE-Sim's words), the two numbers every buffer is made from. */
int mmt__buffer_elems(const mmt_config *cfg, mmt_operand op, int64_t *words, int64_t *bw);

/* ---------------------------------------------------------------- Python emulation */

/* What SCALE-Sim's Python does that the model must reproduce bit for bit. Not public: no
 * outside program needs them, and they are not exported (Makefile.am "exports"). */
/* Formats v as Python's repr(float) does (shortest round trip: "1.0", "0.1", "1e-05",
 * "-66.0", "inf"). buf needs 32 bytes. Returns the length. */
size_t mmt_fmt_pyfloat(char *buf, double v);

/* Sum of n doubles as CPython >= 3.12 sum() computes it (Neumaier compensation), starting from
 * the int 0. */
double mmt_pysum(const double *v, size_t n);

/* Running version of mmt_pysum for values that arrive one at a time. */
typedef struct mmt_pysum_acc {
    double f, c;
    int64_t n;
} mmt_pysum_acc;
void mmt_pysum_init(mmt_pysum_acc *a);
void mmt_pysum_add(mmt_pysum_acc *a, double x);
double mmt_pysum_result(const mmt_pysum_acc *a);

/* CPython set iteration order for integer keys k, |k| < 2^61-1, k != -1 (doc/scalesim-v2.md
 * §7.3): an emulation of CPython's set table. */
typedef struct mmt_pyset mmt_pyset;
int mmt_pyset_new(mmt_pyset **out);
void mmt_pyset_free(mmt_pyset *s);
/* Adds key; returns 1 if added, 0 if present, or a negative error (MMT_EINVAL for -1). */
int mmt_pyset_add(mmt_pyset *s, int64_t key);
size_t mmt_pyset_len(const mmt_pyset *s);
/* Writes the keys in iteration order to out[0..len-1]. */
void mmt_pyset_order(const mmt_pyset *s, int64_t *out);

/* repr(v) by the general snprintf/strtod search only, without mmt_fmt_pyfloat's exact integer
 * path: the unit tests check that both give the same text. */
size_t mmt__fmt_pyfloat_general(char *buf, double v);

/* repr(float(v)) for an integer v (fast path for trace cycles and addresses); buf >= 32. */
size_t mmt__fmt_pyfloat_i64(char *buf, int64_t v);

/* Appends one DRAM trace row "cycle,v0,...,v{n-1}" in float repr (-1 as "-1.0"), followed by
 * `ones` extra "1.0" columns (SCALE-Sim's CALC width padding), and a newline. */
int mmt__dram_row(mmt_tracew *w, int64_t cycle, const int64_t *vals, int64_t n, int64_t ones);

/* Python <= 3.11 sum(): naive left-to-right float addition from the int 0. */
double mmt__sum311(const double *v, size_t n);

/* Empties a set so it can be reused. */
void mmt__pyset_clear(mmt_pyset *s);

/* ---------------------------------------------------------------- DRAM side */

/* Receives one DRAM trace row: its cycle and n slot values (-1 = empty slot). */
typedef int (*mmt__row_fn)(void *ud, int64_t cycle, const int64_t *vals, int64_t n);

/* Receives one CALC prefetch block: ncyc rows of bw slots at cycles first..first+ncyc-1,
 * filled row-major with addrs[0..naddrs) and then -1. */
typedef int (*mmt__block_fn)(void *ud, int64_t first, int64_t ncyc, int64_t bw,
                             const int64_t *addrs, int64_t naddrs);

/* What the DETAILED report needs from one DRAM interface. rows == 0: no trace row yet. */
typedef struct mmt__dram_stat {
    int64_t start, stop; /* cycle of the first and the last trace row */
    int64_t accesses;    /* DRAM reads or writes as SCALE-Sim counts them */
    int64_t rows;        /* trace rows emitted */
} mmt__dram_stat;

/* ---------------------------------------------------------------- CALC read buffer (§7.3) */

typedef struct mmt__rcalc mmt__rcalc;

/* words: SRAM size; bw0: base bandwidth (10). fn (may be NULL) receives the DRAM blocks in
 * SCALE-Sim's order; without it no set order is computed at all. */
/* Operands with at most this many addresses use the paged direct map (its page directory
 * takes 8 bytes per 4096 addresses) instead of the hash map. */
#define MMT__RCALC_DIRECT_MAX ((int64_t)1 << 40)

/* Addresses, if span > 0, lie in [base, base+span) (else MMT_ERANGE): then a paged direct map
 * replaces the hash map when span <= MMT__RCALC_DIRECT_MAX. span 0: any address, hash map. */
int mmt__rcalc_new(int64_t words, int64_t bw0, int64_t base, int64_t span, mmt__block_fn fn,
                   void *ud, mmt__rcalc **out);
void mmt__rcalc_free(mmt__rcalc *b);
/* Reads row[lo..hi) (entries outside are -1) at issue cycle c; the row is served at c+1. */
int mmt__rcalc_read(mmt__rcalc *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c);
/* The end-of-layer prefetch. */
int mmt__rcalc_finish(mmt__rcalc *b);
const mmt__dram_stat *mmt__rcalc_stat(const mmt__rcalc *b);

/* ---------------------------------------------------------------- USER read buffer (§6, §7.2) */

/* The prefetch list of §6, computed on demand. A list given as an explicit array (tests) sets
 * arr; otherwise the entries come from the operand address formulas. */
typedef struct mmt__plist {
    mmt_geom g;
    int is_ifmap;      /* values from the ifmap (else the filter) address formula */
    int idx_is_row;    /* value = M[idx][q] (else M[q][idx]) for block row q, column idx */
    int diag;          /* anti-diagonal flattening (else row-major) */
    int64_t h, w, lim; /* block rows, block columns, spatial limit (idx >= lim gives -1) */
    int64_t a, b;      /* stacked matrix: a = blocks*h rows, b = w columns */
    int64_t len;
    int64_t base, span; /* address range [base, base+span) of the operand */
    const int64_t *arr;
} mmt__plist;

/* The prefetch list of operand op (ifmap or filter) for geometry g. */
int mmt__plist_init(mmt__plist *pl, const mmt_geom *g, mmt_operand op);
/* A list given explicitly (tests); addresses must lie in [base, base+span). */
void mmt__plist_array(mmt__plist *pl, const int64_t *arr, int64_t len, int64_t base,
                      int64_t span);

/* Entry e of the list (-1 past its end). */
int64_t mmt__plist_at(const mmt__plist *pl, int64_t e);

typedef struct mmt__ruser mmt__ruser;

/* words: SRAM size; bw: Bandwidth[0]. pl is copied. fn (may be NULL) receives DRAM rows. */
int mmt__ruser_new(const mmt__plist *pl, int64_t words, int64_t bw, mmt__row_fn fn, void *ud,
                   mmt__ruser **out);
void mmt__ruser_free(mmt__ruser *b);
/* Reads row[lo..hi) at issue cycle c; *served gets c + 1 + read stall. */
int mmt__ruser_read(mmt__ruser *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c,
                    int64_t *served);
const mmt__dram_stat *mmt__ruser_stat(const mmt__ruser *b);
/* Switches on SCALE-Sim v3.0.0's stall rule (doc/scalesim-v3.md §V3.5): rows may then be served
 * before their issue cycle. Call before the first read. */
void mmt__ruser_set_v3(mmt__ruser *b);

/* ---------------------------------------------------------------- write buffer (§7.4) */

typedef struct mmt__wbuf mmt__wbuf;

/* words: SRAM size; bw: C in CALC mode, Bandwidth[0] in USER mode. */
int mmt__wbuf_new(int64_t words, int64_t bw, mmt__row_fn fn, void *ud, mmt__wbuf **out);
void mmt__wbuf_free(mmt__wbuf *b);
/* Writes row[lo..hi) at issue cycle c; *served gets c + write stall. */
int mmt__wbuf_write(mmt__wbuf *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c,
                    int64_t *served);
/* Drains everything left, starting at cycle c. */
int mmt__wbuf_drain_all(mmt__wbuf *b, int64_t c);
const mmt__dram_stat *mmt__wbuf_stat(const mmt__wbuf *b);
/* Switches on SCALE-Sim v3.0.0's DRAM start/stop (the min/max drain cycle, doc/scalesim-v3.md
 * §V3.6). Call before the first write. */
void mmt__wbuf_set_v3(mmt__wbuf *b);

/* ---------------------------------------------------------------- results and engines */

/* The ofmap side of a fold engine: its row stream, the write buffer, and the serve cycles of
 * the first and the last row that held an output (the ofmap SRAM start and stop). */
typedef struct mmt__ofout {
    mmt_stream *of;
    mmt__wbuf *wb;
    int has;
    int64_t start, stop;
} mmt__ofout;

/* Writes the stream's next ofmap row through the write buffer at issue cycle c; *served gets
 * c + write stall. Inline: both fold engines call it once per row. */
static inline int mmt__ofout_row(mmt__ofout *o, int64_t c, int64_t *served)
{
    const int64_t *row;
    int64_t lo, hi;
    int r = mmt_stream_next_view(o->of, &row, &lo, &hi);
    *served = c;
    if (r < 0)
        return r;
    if (hi > lo && (r = mmt__wbuf_write(o->wb, row, lo, hi, c, served)) != 0)
        return r;
    for (int64_t i = lo; i < hi; i++)
        if (row[i] != -1) {
            if (!o->has)
                o->has = 1, o->start = *served;
            o->stop = *served;
            break;
        }
    return 0;
}

/* Fills res from a finished layer: last_co is the last row's ofmap serve cycle (Total
 * Cycles), stall the Stall Cycles, dram[op] the three DRAM interfaces. */
void mmt__sim_result(const mmt_geom *g, int py311, int64_t last_co, int64_t stall,
                     const int has_sram[3], const int64_t sram_start[3],
                     const int64_t sram_stop[3], const mmt__dram_stat *const dram[3],
                     mmt_layer_result *res);

/* The Mapping Efficiency % a finished layer reports: mmt__sim_result's, or in SCALE-Sim v3.0.0
 * mode (v3 != 0) with v3's WS count of a real filter address -1 (sim_check.c derives it again). */
double mmt__sim_mapping_eff(const mmt_geom *g, int py311, int v3);

/* The fold engine (sim_folds.c) on a layer mmt_sim_folds_ok accepts. */
int mmt__folds_run(const mmt_config *cfg, const mmt_geom *g, int py311, mmt_layer_result *res);
/* Its USER bandwidth mode (sim_folds_user.c), and whether that mode can take the layer. */
int mmt__folds_run_user(const mmt_config *cfg, const mmt_geom *g, int py311,
                        mmt_layer_result *res);
int mmt__folds_user_ok(const mmt_config *cfg, const mmt_geom *g);
/* 1 if every ifmap address the layer reads is distinct and none is -1 (sim_folds.c). */
int mmt__distinct_ifmap(const mmt_geom *g);
/* The streaming memory policy (sim_stream.c, doc/memory.md) on a layer with distinct ifmap
 * addresses, without traces, in SCALE-Sim v2 mode. */
int mmt__stream_run(const mmt_config *cfg, const mmt_geom *g, int py311, mmt_layer_result *res);

/* One operand's DRAM side in the stream policy: elements moved, first and last unit busy. */
typedef struct mmt__stream_opstat {
    int op; /* the operand */
    int any;
    __int128 first, last;
    int64_t elems;
} mmt__stream_opstat;

/* Per-request DRAM under the stream policy's fold machine (stream_dram.c, for the
 * differential test of the coupling): start gets the units per array cycle; add queues a
 * transfer of n elements of `bits` for fold `fold` (reads: it must arrive, plus drain units,
 * before the fold ends); wait(f, d) returns once every read of fold f has arrived, the latest
 * arrival + drain folded into d with mmt__stream_arrive; wait(-1, end) drains everything and
 * stores the last completion in *end. Times in units of the fold machine. */
typedef struct mmt__stream_hooks {
    int (*start)(void *ud, const __int128 *per_cycle);
    void (*add)(void *ud, __int128 issue, int64_t n, int32_t bits, mmt__stream_opstat *st,
                int dir, int64_t fold, __int128 drain); /* dir: 0, 1 read ifmap, filter (or
                                                          * ofmap read-back); 2 write */
    int (*wait)(void *ud, int64_t fold, __int128 *d);
} mmt__stream_hooks;
/* d[0] = max(d[0], t) with d[1] marking d[0] set. */
void mmt__stream_arrive(__int128 *d, __int128 t);
/* The fold machine with the given hooks (NULL: closed form, mmt__stream_run). */
int mmt__stream_simulate(const mmt_config *cfg, const mmt_geom *g, int py311,
                         const mmt__stream_hooks *hk, void *hud, mmt_layer_result *res);
/* The DRAM_TIMING_REPORT.csv row (mmtrace_dram_layer.h's columns) of a layer the stream
 * policy ran on cfg's Dram: its requests from the layer's DRAM bytes, its time, the
 * characterisation's row-hit rate, read latencies and energy per byte (doc/memory.md). */
struct mmt_dram_layer_result;
int mmt__stream_dram_row(const mmt_config *cfg, const mmt_layer_result *res,
                         struct mmt_dram_layer_result *out);
/* mmt__stream_run with every transfer simulated request by request on the DRAM model of
 * cfg->dram_path (small layers: the reference the closed form is checked against). */
int mmt__stream_run_exact(const mmt_config *cfg, const mmt_geom *g, mmt_layer_result *res);

#endif
