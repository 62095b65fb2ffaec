/*
 * rbuf_calc.c - the CALC-mode ("estimate bandwidth") read buffer (doc/scalesim-v2.md §7.3). It never stalls;
 * it groups the unique addresses it sees into sets of ips = floor(S/100) and, every 50 sets,
 * emits a DRAM prefetch block whose bandwidth covers the cycles since the last event.
 *
 * Membership: a window shift happens exactly when cid == re+1, so "in a closed set of the
 * window or in cur" is the same as "the newest set id recorded for the address is >= rs".
 * When the operand's address range is known (always, from mmtrace's own callers) the ids live
 * in a paged direct map: address -> page of 4096 ids, pages made on first use and recycled
 * once every id in them is older than the window, so memory follows the window, not the
 * operand, and a lookup is two loads with the locality of the address stream. Otherwise an
 * open-addressing map addr -> newest set id answers the same question; dead entries are
 * dropped whenever it is rebuilt. Set members (for the CPython set order of the trace) are
 * kept only when a block sink is attached, and only for the open window.
 */
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

#define NSETS 50 /* SCALE-Sim v2: 50 active and 50 prefetch sets */
#define NOKEY INT64_MIN

#define PAGE_BITS 12
#define PAGE_SIZE ((int64_t)1 << PAGE_BITS)

/* Newest set ids of PAGE_SIZE consecutive addresses: 1 + id, 0 for none. max is the largest. */
typedef struct page {
    int32_t max;
    struct page *next_free;
    int32_t ids[PAGE_SIZE];
} page;

/* Key and value side by side, so a probe costs one cache line. */
typedef struct slot {
    int64_t key, id;
} slot;

struct mmt__rcalc {
    int64_t ips, bw0;
    slot *tab;           /* map addr -> newest set id, open addressing, linear probing */
    size_t cap, used;    /* cap is a power of two; used counts dead entries too */
    slot *spare;         /* the previous table, kept to be reused by the next rebuild */
    size_t scap;
    int shift;           /* 64 - log2(cap) */
    int64_t nwin;        /* members added since the last prefetch */
    page **dir;          /* paged mode: page of address base + (i << PAGE_BITS) + j */
    page *free_pages;    /* recycled pages (linked through ids[0]'s storage) */
    int64_t base, span, npages;
    int64_t cid, ncur, rs, re, ps, pe, lps, lpe, first_cycle;
    int has_first, active_done;
    mmt__block_fn fn;
    void *ud;
    int64_t *elems; /* members of sets rs..cid in insertion order (only with fn) */
    int64_t nelems, elcap;
    int64_t *order; /* scratch for one set in CPython order: grown to the largest set seen, not
                     * ips (floor(S/100), which a huge SRAM makes far larger than any layer) */
    int64_t ordercap;
    mmt_pyset *set;
    mmt__dram_stat st;
};

/* Fibonacci hash of an address into a table of cap slots. */
static inline size_t slot_of(int64_t a, int shift)
{
    return (size_t)(((uint64_t)a * 0x9E3779B97F4A7C15ull) >> shift);
}

/* Rebuilds the map with only the live entries (id >= rs), resizing to suit them. The two
 * tables are swapped and reused, so steady-state rebuilds allocate (and fault in) nothing. */
static int rehash(mmt__rcalc *b)
{
    size_t live = 0;
    for (size_t i = 0; i < b->cap; i++)
        live += b->tab[i].key != NOKEY && b->tab[i].id >= b->rs;
    size_t cap = 1024;
    int shift = 54;
    while (cap < live * 4) /* load <= 1/4 after a rebuild: rebuilds stay rare */
        cap <<= 1, shift--;
    if (b->scap != cap) {
        free(b->spare);
        b->spare = malloc(cap * sizeof *b->spare);
        b->scap = b->spare ? cap : 0;
        if (!b->spare)
            return MMT_ENOMEM;
    }
    slot *t = b->spare;
    for (size_t i = 0; i < cap; i++)
        t[i].key = NOKEY;
    for (size_t i = 0; i < b->cap; i++) {
        if (b->tab[i].key == NOKEY || b->tab[i].id < b->rs)
            continue;
        size_t j = slot_of(b->tab[i].key, shift);
        while (t[j].key != NOKEY)
            j = (j + 1) & (cap - 1);
        t[j] = b->tab[i];
    }
    b->spare = b->tab, b->scap = b->cap;
    b->tab = t, b->cap = cap, b->used = live, b->shift = shift;
    return 0;
}

/* Paged mode: the page directory of [base, base+span); the pages are made on first use. */
static int make_dir(mmt__rcalc *b, int64_t base, int64_t span)
{
    int64_t npages = (span + PAGE_SIZE - 1) >> PAGE_BITS;
    if (!(b->dir = calloc((size_t)npages, sizeof *b->dir)))
        return MMT_ENOMEM;
    b->base = base, b->span = span, b->npages = npages;
    return 0;
}

/* Frees the page directory with its pages, those in use and the recycled ones. */
static void free_dir(mmt__rcalc *b)
{
    for (int64_t i = 0; i < b->npages; i++)
        free(b->dir[i]);
    for (page *p = b->free_pages, *n; p; p = n)
        n = p->next_free, free(p);
    free(b->dir);
}

int mmt__rcalc_new(int64_t words, int64_t bw0, int64_t base, int64_t span, mmt__block_fn fn,
                   void *ud, mmt__rcalc **out)
{
    if (words < 100 || bw0 <= 0)
        return MMT_EINVAL;
    mmt__rcalc *b = calloc(1, sizeof *b);
    if (!b)
        return MMT_ENOMEM;
    b->ips = words / 100;
    b->bw0 = bw0;
    b->re = NSETS - 1;
    b->ps = b->pe = -1;
    b->lps = -2, b->lpe = -1;
    b->fn = fn, b->ud = ud;
    /* Only the hash mode has a table: rehashing the empty one makes its first 1024 slots. */
    int r = span > 0 && span <= MMT__RCALC_DIRECT_MAX ? make_dir(b, base, span) : rehash(b);
    if (r == 0 && fn) {
        b->elcap = 1024;
        b->elems = malloc((size_t)b->elcap * sizeof *b->elems);
        r = b->elems ? mmt_pyset_new(&b->set) : MMT_ENOMEM;
    }
    return MMT__NEW_END(r, b, mmt__rcalc_free, out);
}

void mmt__rcalc_free(mmt__rcalc *b)
{
    if (!b)
        return;
    free_dir(b);
    free(b->tab), free(b->spare), free(b->elems), free(b->order);
    mmt_pyset_free(b->set);
    free(b);
}

/* Puts the buffered set members into CPython set order, set by set, in place. */
static int order_sets(mmt__rcalc *b)
{
    for (int64_t s = 0; s < b->nelems; s += b->ips) {
        int64_t n = b->nelems - s < b->ips ? b->nelems - s : b->ips;
        if (n > b->ordercap) {
            int64_t *o = mmt__mallocn(n, sizeof *o);
            if (!o)
                return MMT_ENOMEM;
            free(b->order);
            b->order = o, b->ordercap = n;
        }
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
        if (b->lpe - b->lps + 1 <= 0)
            return MMT_ERANGE; /* two events in one cycle: SCALE-Sim v2 divides by zero */
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
            int64_t *e = b->elcap < INT64_MAX / 16
                             ? realloc(b->elems, (size_t)b->elcap * 2 * sizeof *e)
                             : NULL;
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

/* Moves every page whose ids are all older than the window to the free list. */
static void sweep_pages(mmt__rcalc *b)
{
    for (int64_t i = 0; i < b->npages; i++) {
        page *p = b->dir[i];
        if (p && p->max <= b->rs) {
            p->next_free = b->free_pages;
            b->free_pages = p;
            b->dir[i] = NULL;
        }
    }
}

/* The page holding address offset off, made (or recycled, cleared) if absent. */
static page *page_for(mmt__rcalc *b, uint64_t off)
{
    page **dslot = &b->dir[off >> PAGE_BITS];
    if (*dslot)
        return *dslot;
    page *p = b->free_pages;
    if (p)
        b->free_pages = p->next_free;
    else if (!(p = malloc(sizeof *p)))
        return NULL;
    memset(p->ids, 0, sizeof p->ids);
    p->max = 0;
    return *dslot = p;
}

/* Paged-mode read: the set id of each address sits in its page. */
static int read_paged(mmt__rcalc *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c)
{
    for (int64_t i = lo; i < hi; i++) {
        int64_t a = row[i];
        if (a == -1)
            continue;
        uint64_t off = (uint64_t)(a - b->base);
        if (off >= (uint64_t)b->span)
            return MMT_ERANGE;
        page *p = page_for(b, off);
        if (!p)
            return MMT_ENOMEM;
        int32_t *id = &p->ids[off & (PAGE_SIZE - 1)];
        if (*id > b->rs)
            continue; /* hit in the read window or in cur */
        *id = p->max = (int32_t)(b->cid + 1);
        int64_t rs = b->rs;
        int r = add_member(b, a, c);
        if (r)
            return r;
        if (b->rs != rs)
            sweep_pages(b); /* the window moved: pages older than it are free again */
    }
    return 0;
}

/* Notes c as the first cycle (of the first row that holds an address >= 0), once.
 * SCALE-Sim v2 and v3: the test is max(row) > -1, so a row whose addresses are all negative
 * (a negative offset) does not count; if no row counts, the first cycle stays 0. */
static void note_first(mmt__rcalc *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c)
{
    for (int64_t i = lo; i < hi; i++)
        if (row[i] >= 0) {
            b->has_first = 1, b->first_cycle = c;
            return;
        }
}

int mmt__rcalc_read(mmt__rcalc *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c)
{
    if (!b->has_first)
        note_first(b, row, lo, hi, c);
    if (b->dir)
        return read_paged(b, row, lo, hi, c);
    /* The table is far bigger than the caches: start loading every slot of the row first, so
     * the misses overlap instead of being paid one after another. */
    for (int64_t i = lo; i < hi; i++)
        if (row[i] != -1)
            __builtin_prefetch(&b->tab[slot_of(row[i], b->shift)]);
    for (int64_t i = lo; i < hi; i++) {
        int64_t a = row[i];
        if (a == -1)
            continue;
        if (b->used * 4 >= b->cap * 3) {
            int r = rehash(b);
            if (r)
                return r;
        }
        size_t j = slot_of(a, b->shift);
        while (b->tab[j].key != NOKEY && b->tab[j].key != a)
            j = (j + 1) & (b->cap - 1);
        if (b->tab[j].key == a && b->tab[j].id >= b->rs)
            continue; /* hit in the read window or in cur */
        if (b->tab[j].key == NOKEY)
            b->used++;
        b->tab[j].key = a;
        b->tab[j].id = b->cid;
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
