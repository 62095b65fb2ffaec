/*
 * rbuf_calc.c - the CALC-mode ("estimate bandwidth") read buffer (spec §7.3). It never stalls;
 * it groups the unique addresses it sees into sets of ips = floor(S/100) and, every 50 sets,
 * emits a DRAM prefetch block whose bandwidth covers the cycles since the last event.
 *
 * Membership: a window shift happens exactly when cid == re+1, so "in a closed set of the
 * window or in cur" is the same as "the newest set id recorded for the address is >= rs". An
 * open-addressing map addr -> newest set id answers that in O(1); entries older than rs are
 * dead and are dropped whenever the table is rebuilt. When the operand's address range is
 * known and modest, a direct array of set ids (4 bytes per address, zero pages untouched until
 * used) replaces the map: faster, and smaller than a map holding a 50-set window. Set members (for the CPython set order of
 * the trace) are kept only when a block sink is attached, and only for the open window.
 */
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

#define NSETS 50 /* SCALE-Sim v2: 50 active and 50 prefetch sets */
#define NOKEY INT64_MIN

struct mmt__rcalc {
    int64_t ips, bw0;
    int64_t *keys, *ids; /* map addr -> newest set id */
    size_t cap, used;    /* cap is a power of two; used counts dead entries too */
    int shift;           /* 64 - log2(cap) */
    int64_t nwin;        /* members added since the last prefetch */
    int32_t *direct;     /* direct mode: 1 + newest set id of address base+i, 0 if none */
    int64_t base, span;
    int64_t cid, ncur, rs, re, ps, pe, lps, lpe, first_cycle;
    int has_first, active_done;
    mmt__block_fn fn;
    void *ud;
    int64_t *elems; /* members of sets rs..cid in insertion order (only with fn) */
    int64_t nelems, elcap;
    int64_t *order; /* scratch for one set in CPython order */
    mmt_pyset *set;
    mmt__dram_stat st;
};

/* Fibonacci hash of an address into a table of cap slots. */
static inline size_t slot_of(int64_t a, int shift)
{
    return (size_t)(((uint64_t)a * 0x9E3779B97F4A7C15ull) >> shift);
}

/* Rebuilds the map with only the live entries (id >= rs), resizing to suit them. */
static int rehash(mmt__rcalc *b)
{
    size_t live = 0;
    for (size_t i = 0; i < b->cap; i++)
        live += b->keys[i] != NOKEY && b->ids[i] >= b->rs;
    size_t cap = 1024;
    int shift = 54;
    while (cap < live * 2)
        cap <<= 1, shift--;
    int64_t *k = malloc(cap * sizeof *k), *v = malloc(cap * sizeof *v);
    if (!k || !v) {
        free(k), free(v);
        return MMT_ENOMEM;
    }
    for (size_t i = 0; i < cap; i++)
        k[i] = NOKEY;
    for (size_t i = 0; i < b->cap; i++) {
        if (b->keys[i] == NOKEY || b->ids[i] < b->rs)
            continue;
        size_t j = slot_of(b->keys[i], shift);
        while (k[j] != NOKEY)
            j = (j + 1) & (cap - 1);
        k[j] = b->keys[i], v[j] = b->ids[i];
    }
    free(b->keys), free(b->ids);
    b->keys = k, b->ids = v, b->cap = cap, b->used = live, b->shift = shift;
    return 0;
}

int mmt__rcalc_new(int64_t words, int64_t bw0, int64_t base, int64_t span, mmt__block_fn fn,
                   void *ud, mmt__rcalc **out)
{
    if (words < 100 || bw0 <= 0)
        return MMT_EINVAL;
    mmt__rcalc *b = calloc(1, sizeof *b);
    if (!b)
        return MMT_ENOMEM;
    if (span > 0 && span <= MMT__RCALC_DIRECT_MAX) {
        b->base = base, b->span = span;
        b->direct = calloc((size_t)span, sizeof *b->direct);
    }
    b->ips = words / 100;
    b->bw0 = bw0;
    b->re = NSETS - 1;
    b->ps = b->pe = -1;
    b->lps = -2, b->lpe = -1;
    b->fn = fn, b->ud = ud;
    b->keys = malloc(sizeof *b->keys), b->ids = malloc(sizeof *b->ids);
    b->cap = 1;
    int r = b->keys && b->ids ? 0 : MMT_ENOMEM;
    if (r == 0)
        b->keys[0] = NOKEY, r = rehash(b);
    if (r == 0 && fn) {
        b->elcap = 1024;
        b->elems = malloc((size_t)b->elcap * sizeof *b->elems);
        b->order = malloc((size_t)b->ips * sizeof *b->order);
        r = b->elems && b->order ? mmt_pyset_new(&b->set) : MMT_ENOMEM;
    }
    if (r) {
        mmt__rcalc_free(b);
        return r;
    }
    *out = b;
    return 0;
}

void mmt__rcalc_free(mmt__rcalc *b)
{
    if (!b)
        return;
    free(b->keys), free(b->ids), free(b->elems), free(b->order), free(b->direct);
    mmt_pyset_free(b->set);
    free(b);
}

/* Puts the buffered set members into CPython set order, set by set, in place. */
static int order_sets(mmt__rcalc *b)
{
    for (int64_t s = 0; s < b->nelems; s += b->ips) {
        int64_t n = b->nelems - s < b->ips ? b->nelems - s : b->ips;
        mmt__pyset_clear(b->set);
        for (int64_t i = 0; i < n; i++) {
            int r = mmt_pyset_add(b->set, b->elems[s + i]);
            if (r < 0)
                return r;
        }
        mmt_pyset_order(b->set, b->order);
        memcpy(b->elems + s, b->order, (size_t)n * sizeof *b->order);
    }
    return 0;
}

/* PREFETCH of §7.3 for the buffered sets (naddrs members) at bandwidth bw. */
static int prefetch(mmt__rcalc *b, int64_t naddrs, int64_t bw)
{
    int64_t ncyc = b->lpe - b->lps + 1;
    if (ncyc <= 0 || naddrs > ncyc * bw)
        return MMT_ERANGE; /* SCALE-Sim v2 itself fails here (no rows / reshape error) */
    b->st.accesses += naddrs;
    b->nwin = 0;
    if (b->st.rows == 0)
        b->st.start = b->lps + 1;
    b->st.stop = b->lps + ncyc;
    b->st.rows += ncyc;
    if (!b->fn)
        return 0;
    int r = order_sets(b);
    if (r == 0)
        r = b->fn(b->ud, b->lps + 1, ncyc, bw, b->elems, naddrs);
    b->nelems = 0;
    return r;
}

/* The event when set cid closes and cid == re+1: prefetch, then move both windows. */
static int window_event(mmt__rcalc *b, int64_t cyc)
{
    int r;
    if (!b->active_done) {
        b->lpe = b->first_cycle - 2;
        b->lps = b->lpe - mmt__ceil_div(NSETS * b->ips, b->bw0) + 1;
        r = prefetch(b, NSETS * b->ips, b->bw0);
        b->ps = b->re + 1;
        b->pe = b->ps + NSETS - 1;
        b->active_done = 1;
    } else {
        int64_t bw = mmt__ceil_div(NSETS * b->ips, b->lpe - b->lps + 1);
        r = prefetch(b, NSETS * b->ips, bw);
        b->ps += NSETS;
        b->pe += NSETS;
    }
    b->rs += NSETS;
    b->re += NSETS;
    b->lps = b->lpe + 1;
    b->lpe = cyc; /* SCALE-Sim v2: the next block covers the cycles between two events */
    return r;
}

/* Records a miss (the caller has noted addr's set id); closes cur when it is full. */
static int add_member(mmt__rcalc *b, int64_t addr, int64_t cyc)
{
    b->nwin++;
    if (b->fn) {
        if (b->nelems == b->elcap) {
            int64_t *e = realloc(b->elems, (size_t)b->elcap * 2 * sizeof *e);
            if (!e)
                return MMT_ENOMEM;
            b->elems = e, b->elcap *= 2;
        }
        b->elems[b->nelems++] = addr;
    }
    if (++b->ncur < b->ips)
        return 0;
    b->ncur = 0;
    if (++b->cid >= INT32_MAX)
        return MMT_EOVERFLOW;
    if (b->cid != b->re + 1)
        return 0;
    return window_event(b, cyc);
}

/* Direct-mode read: the set id of each address sits at direct[addr - base]. */
static int read_direct(mmt__rcalc *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c)
{
    for (int64_t i = lo; i < hi; i++) {
        int64_t a = row[i];
        if (a == -1)
            continue;
        if (!b->has_first)
            b->has_first = 1, b->first_cycle = c;
        uint64_t off = (uint64_t)(a - b->base);
        if (off >= (uint64_t)b->span)
            return MMT_ERANGE;
        if (b->direct[off] > b->rs)
            continue; /* hit in the read window or in cur */
        b->direct[off] = (int32_t)(b->cid + 1);
        int r = add_member(b, a, c);
        if (r)
            return r;
    }
    return 0;
}

int mmt__rcalc_read(mmt__rcalc *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c)
{
    if (b->direct)
        return read_direct(b, row, lo, hi, c);
    for (int64_t i = lo; i < hi; i++) {
        int64_t a = row[i];
        if (a == -1)
            continue;
        if (!b->has_first)
            b->has_first = 1, b->first_cycle = c;
        if (b->used * 4 >= b->cap * 3) {
            int r = rehash(b);
            if (r)
                return r;
        }
        size_t j = slot_of(a, b->shift);
        while (b->keys[j] != NOKEY && b->keys[j] != a)
            j = (j + 1) & (b->cap - 1);
        if (b->keys[j] == a && b->ids[j] >= b->rs)
            continue; /* hit in the read window or in cur */
        if (b->keys[j] == NOKEY)
            b->used++;
        b->keys[j] = a;
        b->ids[j] = b->cid;
        int r = add_member(b, a, c);
        if (r)
            return r;
    }
    return 0;
}

int mmt__rcalc_finish(mmt__rcalc *b)
{
    if (b->ncur == 0)
        b->cid--; /* otherwise cur becomes set cid */
    if (!b->active_done) {
        int64_t k = b->cid + 1;
        b->lpe = -2;
        b->lps = b->lpe - mmt__ceil_div(k * b->ips, b->bw0) + 1;
        b->active_done = 1;
        return prefetch(b, b->nwin, b->bw0);
    }
    int64_t k = b->cid - b->ps + 1, ncyc = b->lpe - b->lps + 1;
    if (ncyc <= 0)
        return MMT_ERANGE; /* SCALE-Sim v2 divides by zero here */
    return prefetch(b, b->nwin, mmt__ceil_div(k * b->ips, ncyc));
}

const mmt__dram_stat *mmt__rcalc_stat(const mmt__rcalc *b)
{
    return &b->st;
}
