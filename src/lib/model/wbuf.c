/*
 * wbuf.c - the OFMAP write buffer (doc/scalesim-v2.md §7.4), used in both bandwidth modes. Written elements
 * fill lines of B slots; closed lines wait in a FIFO until a drain sends up to ceil(Dr/B) of
 * them to DRAM, one line per cycle. Only undrained lines are kept, so memory stays near the
 * SRAM size whatever the layer.
 */
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

struct mmt__wbuf {
    int64_t S, A, Dr, B;
    int64_t free;
    int64_t nopen; /* slots used in the open line */
    int64_t *q;    /* FIFO of closed lines: qcap lines of B slots, ring (NULL until the first) */
    int64_t qhead, qlen, qcap;
    int64_t dend;
    mmt__row_fn fn;
    void *ud;
    mmt__dram_stat st;
    int v3; /* SCALE-Sim v3.0.0's DRAM start/stop */
    int64_t open[]; /* the open line, B slots, in the same allocation */
};

int mmt__wbuf_new(int64_t words, int64_t bw, mmt__row_fn fn, void *ud, mmt__wbuf **out)
{
    if (words <= 0 || bw <= 0)
        return MMT_EINVAL;
    if (bw > MMT_MAX_BANDWIDTH)
        return MMT_ERANGE;
    /* bw <= MMT_MAX_BANDWIDTH: the open line's size cannot overflow */
    mmt__wbuf *b = calloc(1, sizeof *b + (size_t)bw * sizeof *b->open);
    if (!b)
        return MMT_ENOMEM;
    b->S = words;
    b->A = (words + 1) / 2; /* ceil(S * 0.5) */
    b->Dr = words - b->A;
    b->B = bw;
    b->free = words;
    b->fn = fn;
    b->ud = ud;
    *out = b;
    return 0;
}

void mmt__wbuf_free(mmt__wbuf *b)
{
    if (b) /* the open line goes with b */
        free(b->q);
    free(b);
}

/* Doubles the FIFO, unrolling the ring. The first closed line makes it: 16 lines, or 2 when
 * lines are wide (it grows on demand, so wide lines start small). */
static int grow(mmt__wbuf *b)
{
    int64_t cap = b->qcap ? b->qcap * 2 : b->B <= 4096 ? 16 : 2, B = b->B, slots;
    if (mmt__mul(cap, B, &slots))
        return MMT_ENOMEM;
    int64_t *q = mmt__mallocn(slots, sizeof *q);
    if (!q)
        return MMT_ENOMEM;
    for (int64_t i = 0; i < b->qlen; i++)
        memcpy(q + i * B, b->q + ((b->qhead + i) % b->qcap) * B, (size_t)B * sizeof *q);
    free(b->q);
    b->q = q;
    b->qhead = 0;
    b->qcap = cap;
    return 0;
}

/* Moves the open line (unused slots -1) to the FIFO. */
static int close_line(mmt__wbuf *b)
{
    if (b->qlen == b->qcap) {
        int r = grow(b);
        if (r)
            return r;
    }
    int64_t *dst = b->q + ((b->qhead + b->qlen) % b->qcap) * b->B;
    memcpy(dst, b->open, (size_t)b->nopen * sizeof *dst);
    for (int64_t i = b->nopen; i < b->B; i++)
        dst[i] = -1;
    b->qlen++;
    b->nopen = 0;
    return 0;
}

/* Drains up to ceil(Dr/B) lines at cycles start, start+1, ...; *end gets the last cycle. */
static int drain(mmt__wbuf *b, int64_t start, int64_t *end)
{
    int64_t k = mmt__ceil_div(b->Dr, b->B);
    if (k > b->qlen)
        k = b->qlen;
    if (k == 0) { /* cannot happen: a drain always follows a store */
        *end = start - 1;
        return 0;
    }
    const int64_t *last = b->q + ((b->qhead + k - 1) % b->qcap) * b->B;
    int64_t holes = 0;
    for (int64_t i = 0; i < b->B; i++)
        holes += last[i] == -1;
    /* SCALE-Sim v2: only the last line of a drain block has its -1 slots subtracted. */
    int64_t data = k * b->B - holes;
    b->st.accesses += data;
    b->free += data; /* SCALE-Sim v2: space is credited as soon as the drain starts */
    for (int64_t i = 0; i < k; i++) {
        if (b->fn) {
            int r = b->fn(b->ud, start + i, b->q + ((b->qhead + i) % b->qcap) * b->B, b->B);
            if (r)
                return r;
        }
        if (b->st.rows++ == 0)
            b->st.start = start + i;
        /* SCALE-Sim v3.0.0: stop is the latest drain cycle; the final drain may start before
         * a periodic one has ended (doc/scalesim-v3.md §V3.6). v2: the last one emitted. */
        if (!b->v3 || start + i > b->st.stop || b->st.rows == 1)
            b->st.stop = start + i;
        if (b->v3 && start + i < b->st.start)
            b->st.start = start + i;
    }
    b->qhead = (b->qhead + k) % b->qcap;
    b->qlen -= k;
    *end = start + k - 1;
    return 0;
}

/* Stores one element and applies the stall / drain rules of §7.4 at cycle *cur. */
static int put(mmt__wbuf *b, int64_t addr, int64_t *cur)
{
    b->open[b->nopen++] = addr;
    b->free--;
    if (b->nopen == b->B) {
        int r = close_line(b);
        if (r)
            return r;
    }
    if (*cur < b->dend) {
        if (b->free <= 0)
            *cur = b->dend; /* stall until the running drain ends */
        return 0;
    }
    if (b->free < b->A) {
        /* SCALE-Sim v2: the partial open line is closed at every drain trigger. */
        if (b->nopen > 0) {
            int r = close_line(b);
            if (r)
                return r;
        }
        return drain(b, *cur, &b->dend);
    }
    return 0;
}

int mmt__wbuf_write(mmt__wbuf *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c,
                    int64_t *served)
{
    int64_t cur = c;
    for (int64_t i = lo; i < hi; i++) {
        if (row[i] == -1)
            continue;
        int r = put(b, row[i], &cur);
        if (r)
            return r;
    }
    *served = cur;
    return 0;
}

int mmt__wbuf_drain_all(mmt__wbuf *b, int64_t c)
{
    if (b->nopen > 0) {
        int r = close_line(b);
        if (r)
            return r;
    }
    while (b->qlen > 0) {
        int r = drain(b, c, &b->dend);
        if (r)
            return r;
        c = b->dend + 1;
    }
    return 0;
}

const mmt__dram_stat *mmt__wbuf_stat(const mmt__wbuf *b)
{
    return &b->st;
}

void mmt__wbuf_set_v3(mmt__wbuf *b)
{
    b->v3 = 1;
}
