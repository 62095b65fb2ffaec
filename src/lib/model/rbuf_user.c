/*
 * rbuf_user.c - the USER-mode read buffer (doc/scalesim-v2.md §6, §7.2): a double buffer refilled from a
 * fixed "fetch matrix" (the prefetch list chopped into rows of B words) at B words per cycle.
 *
 * Nothing of size O(layer) is materialised except one index: the prefetch list is computed on
 * demand from the operand address formulas, the few fetch-matrix rows SCALE-Sim edits in
 * place are kept in a small override table, and an address -> hashed-line index (a direct
 * array when every address occurs once, CSR otherwise) makes each hit test O(1)-ish instead of
 * a scan of ~50 sets.
 */
#include "sim_internal.h"

#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

/* ---------------------------------------------------------------- prefetch list (§6) */

int mmt__plist_init(mmt__plist *pl, const mmt_geom *g, mmt_operand op)
{
    memset(pl, 0, sizeof *pl);
    pl->g = *g;
    pl->is_ifmap = op == MMT_OP_IFMAP;
    int os = g->df == MMT_DF_OS, ws = g->df == MMT_DF_WS;
    /* Which operand index the block column selects, and whether the list is anti-diagonal. */
    if (pl->is_ifmap) {
        pl->idx_is_row = !ws;
        pl->diag = os || ws;
    } else {
        pl->idx_is_row = !os && !ws;
        pl->diag = !ws;
    }
    int cols_are_R = pl->is_ifmap ? (os || ws) : !(os || ws);
    int rowmajor_h = !pl->diag; /* row-major lists stack K x C blocks */
    pl->w = cols_are_R ? g->R : g->C;
    pl->lim = cols_are_R ? g->Sr : g->Sc;
    pl->h = rowmajor_h ? g->Sr : g->T;
    int64_t blocks = mmt__ceil_div(pl->lim, pl->w);
    if (mmt__mul(blocks, pl->h, &pl->a) || mmt__mul(pl->a, pl->w, &pl->len))
        return MMT_EOVERFLOW;
    pl->b = pl->w;
    pl->base = pl->is_ifmap ? g->ifoff : g->filoff;
    pl->span = pl->is_ifmap ? g->H * g->W * g->Cin : g->K * g->N;
    return 0;
}

void mmt__plist_array(mmt__plist *pl, const int64_t *arr, int64_t len, int64_t base,
                      int64_t span)
{
    memset(pl, 0, sizeof *pl);
    pl->arr = arr;
    pl->len = len;
    pl->base = base;
    pl->span = span;
}

/* Position in the prefetch list: entry e is element (i, j) of the stacked matrix, on
 * anti-diagonal d when the list is diagonal. */
typedef struct pos {
    int64_t e, d, i, j;
} pos;

/* Number of (r, c) with r + c < x, r >= 0, c >= 0 (a triangle). */
static inline int64_t tri(int64_t x)
{
    return x > 0 ? x * (x + 1) / 2 : 0;
}

/* Entries of an a x b matrix on anti-diagonals before d. */
static int64_t diag_before(int64_t a, int64_t b, int64_t d)
{
    return tri(d) - tri(d - a) - tri(d - b) + tri(d - a - b);
}

/* Places p at list entry e. */
static void seek(const mmt__plist *pl, pos *p, int64_t e)
{
    p->e = e;
    if (pl->arr || e >= pl->len)
        return;
    if (!pl->diag) {
        p->i = e / pl->b, p->j = e % pl->b;
        return;
    }
    int64_t lo = 0, hi = pl->a + pl->b - 1; /* find d: before(d) <= e < before(d+1) */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (diag_before(pl->a, pl->b, mid) <= e)
            lo = mid;
        else
            hi = mid;
    }
    p->d = lo;
    p->i = (lo < pl->a - 1 ? lo : pl->a - 1) - (e - diag_before(pl->a, pl->b, lo));
    p->j = lo - p->i;
}

/* Advances p by one entry: down-left along the anti-diagonal, then to the next one. */
static inline void step(const mmt__plist *pl, pos *p)
{
    p->e++;
    if (pl->arr)
        return;
    if (!pl->diag) {
        if (++p->j == pl->b)
            p->j = 0, p->i++;
        return;
    }
    int64_t rmin = p->d - pl->b + 1;
    if (p->i - 1 >= (rmin > 0 ? rmin : 0)) {
        p->i--, p->j++;
        return;
    }
    p->d++;
    p->i = p->d < pl->a - 1 ? p->d : pl->a - 1;
    p->j = p->d - p->i;
}

/* The list entry at p (-1 past the end or past the spatial limit). */
static inline int64_t value(const mmt__plist *pl, const pos *p)
{
    if (p->e >= pl->len)
        return -1;
    if (pl->arr)
        return pl->arr[p->e];
    int64_t q = p->i % pl->h, idx = (p->i / pl->h) * pl->w + p->j;
    if (idx >= pl->lim)
        return -1;
    int64_t r = pl->idx_is_row ? idx : q, c = pl->idx_is_row ? q : idx;
    return pl->is_ifmap ? mmt_geom_ifmap_addr(&pl->g, r, c) : mmt_geom_filter_addr(&pl->g, r, c);
}

int64_t mmt__plist_at(const mmt__plist *pl, int64_t e)
{
    pos p;
    seek(pl, &p, e);
    return value(pl, &p);
}

/* ---------------------------------------------------------------- buffer state */

typedef struct override {
    int64_t row;
    int64_t *vals;
} override;

struct mmt__ruser {
    mmt__plist pl;
    int64_t S, A, Pf, B, E;
    int64_t rows_f, nlines, na, np;
    uint32_t *line;    /* direct: line of each address, NONE if absent */
    uint32_t *offs;    /* CSR: offs[span+1] into occ (NULL in direct mode) */
    uint32_t *occ;     /* CSR: lines holding each address, ascending */
    int started;
    int64_t start, end, last, next_line, col_skip;
    override *ov;
    int64_t nov;
    int64_t *scratch;
    mmt__row_fn fn;
    void *ud;
    mmt__dram_stat st;
    int v3; /* SCALE-Sim v3.0.0's stall rule */
};

/* Offset of address v in the index, or -1 if it lies outside the operand. */
static inline int64_t addr_off(const mmt__ruser *b, int64_t v)
{
    int64_t off = v - b->pl.base;
    return off >= 0 && off < b->pl.span ? off : -1;
}

/* CSR index: counts occurrences, then lists each address's lines in list order. */
static int build_csr(mmt__ruser *b)
{
    const mmt__plist *pl = &b->pl;
    size_t span = (size_t)pl->span;
    b->offs = pl->span < INT64_MAX ? calloc(span + 1, sizeof *b->offs) : NULL;
    if (!b->offs)
        return MMT_ENOMEM;
    pos p;
    int64_t total = 0;
    for (seek(pl, &p, 0); p.e < pl->len; step(pl, &p)) {
        int64_t off = addr_off(b, value(pl, &p));
        if (off >= 0)
            b->offs[off + 1]++, total++;
    }
    if (total >= (int64_t)UINT32_MAX)
        return MMT_ERANGE;
    for (size_t i = 0; i < span; i++)
        b->offs[i + 1] += b->offs[i];
    b->occ = mmt__mallocn(total, sizeof *b->occ);
    uint32_t *fill = calloc(span ? span : 1, sizeof *fill);
    if (!b->occ || !fill) {
        free(fill);
        return MMT_ENOMEM;
    }
    int64_t rank = 0;
    for (seek(pl, &p, 0); p.e < pl->len; step(pl, &p)) {
        int64_t v = value(pl, &p), off = addr_off(b, v);
        if (off >= 0)
            b->occ[b->offs[off] + fill[off]++] = (uint32_t)(rank / b->E);
        rank += v != -1;
    }
    free(fill);
    return 0;
}

/* The hashed lines of §7.2 as an index: the r-th non -1 entry of the list lies in line r/E
 * (duplicates count), and one more, possibly empty, line ends the list. */
static int build_index(mmt__ruser *b)
{
    const mmt__plist *pl = &b->pl;
    size_t span = (size_t)pl->span;
    b->line = mmt__mallocn((int64_t)span, sizeof *b->line);
    if (!b->line)
        return MMT_ENOMEM;
    memset(b->line, 0xff, span * sizeof *b->line);
    pos p;
    int64_t rank = 0;
    int dup = 0;
    for (seek(pl, &p, 0); p.e < pl->len; step(pl, &p)) {
        int64_t v = value(pl, &p);
        if (v == -1)
            continue;
        int64_t off = addr_off(b, v);
        if (off >= 0 && b->line[off] != NONE)
            dup = 1;
        else if (off >= 0)
            b->line[off] = (uint32_t)(rank / b->E);
        rank++;
    }
    b->nlines = rank / b->E + 1;
    if (b->nlines >= (int64_t)UINT32_MAX)
        return MMT_ERANGE;
    if (!dup)
        return 0;
    free(b->line);
    b->line = NULL;
    return build_csr(b);
}

int mmt__ruser_new(const mmt__plist *pl, int64_t words, int64_t bw, mmt__row_fn fn, void *ud,
                   mmt__ruser **out)
{
    if (words <= 0 || bw <= 0 || pl->len <= 0 || pl->span < 0)
        return MMT_EINVAL;
    if (bw > MMT_MAX_BANDWIDTH) /* scratch and override rows are bw wide */
        return MMT_ERANGE;
    if (pl->span > MMT_MAX_USER_SPAN) /* the index has an entry per address (mmt_sim_check) */
        return MMT_ERANGE;
    mmt__ruser *b = calloc(1, sizeof *b);
    if (!b)
        return MMT_ENOMEM;
    b->pl = *pl;
    b->S = words;
    b->A = (words + 1) / 2; /* ceil(S * 0.5) */
    b->Pf = words - b->A;
    b->B = bw;
    b->E = mmt__ceil_div(words, 100);
    b->rows_f = mmt__ceil_div(pl->len, bw);
    b->fn = fn, b->ud = ud;
    int r = build_index(b);
    if (r == 0 && !(b->scratch = mmt__mallocn(bw, sizeof *b->scratch)))
        r = MMT_ENOMEM;
    if (r) {
        mmt__ruser_free(b);
        return r;
    }
    int64_t na = mmt__ceil_div(b->A, b->E), np = mmt__ceil_div(b->Pf, b->E);
    b->na = na < b->nlines ? na : b->nlines;
    b->np = np < b->nlines - b->na ? np : b->nlines - b->na;
    *out = b;
    return 0;
}

void mmt__ruser_free(mmt__ruser *b)
{
    if (!b)
        return;
    free(b->line), free(b->offs), free(b->occ), free(b->scratch);
    for (int64_t i = 0; i < b->nov; i++)
        free(b->ov[i].vals);
    free(b->ov);
    free(b);
}

/* ---------------------------------------------------------------- fetch matrix rows */

/* The override of fetch row j, or NULL if the row is still as computed. */
static int64_t *find_override(const mmt__ruser *b, int64_t j)
{
    for (int64_t i = 0; i < b->nov; i++)
        if (b->ov[i].row == j)
            return b->ov[i].vals;
    return NULL;
}

/* Writes fetch-matrix row j (B entries, -1 padded past the list) into out. */
static void get_row(const mmt__ruser *b, int64_t j, int64_t *out)
{
    const int64_t *o = find_override(b, j);
    if (o) {
        memcpy(out, o, (size_t)b->B * sizeof *out);
        return;
    }
    pos p;
    seek(&b->pl, &p, j * b->B);
    for (int64_t k = 0; k < b->B; k++, step(&b->pl, &p))
        out[k] = value(&b->pl, &p);
}

/* Sets columns [from, to) of fetch row j to -1 in place (permanently). */
static int edit_row(mmt__ruser *b, int64_t j, int64_t from, int64_t to)
{
    int64_t *o = find_override(b, j);
    if (!o) {
        override *ov = realloc(b->ov, (size_t)(b->nov + 1) * sizeof *ov);
        if (!ov)
            return MMT_ENOMEM;
        b->ov = ov;
        if (!(o = mmt__mallocn(b->B, sizeof *o)))
            return MMT_ENOMEM;
        get_row(b, j, o);
        b->ov[b->nov].row = j, b->ov[b->nov].vals = o;
        b->nov++;
    }
    for (int64_t k = from; k < to; k++)
        o[k] = -1;
    return 0;
}

/* Emits one DRAM row at cycle cyc (the caller has filled b->scratch when fn is set). */
static int emit(mmt__ruser *b, int64_t cyc)
{
    if (b->st.rows++ == 0)
        b->st.start = cyc;
    b->st.stop = cyc;
    return b->fn ? b->fn(b->ud, cyc, b->scratch, b->B) : 0;
}

/* The initial fill at cycle s: ceil(A/B) rows fetched at cycles s-n .. s-1. */
static int first_fill(mmt__ruser *b, int64_t s)
{
    int64_t n = mmt__ceil_div(b->A, b->B);
    if (n > b->rows_f)
        n = b->rows_f;
    int64_t req = n * b->B;
    b->st.accesses += req;
    b->col_skip = 0;
    if (req > b->A) {
        /* SCALE-Sim v2: the fetch matrix itself is edited, so later refills see the -1s. */
        b->col_skip = b->A % b->B;
        int r = edit_row(b, n - 1, b->col_skip, b->B);
        if (r)
            return r;
    }
    for (int64_t i = 0; i < n; i++) {
        if (b->fn)
            get_row(b, i, b->scratch);
        int r = emit(b, s - n + i);
        if (r)
            return r;
    }
    b->last = s - 1;
    b->start = 0, b->end = b->na;
    /* SCALE-Sim v2: one fetch row is skipped when the fill fits the active half. */
    b->next_line = (req > b->A ? n : n + 1) % b->rows_f;
    b->started = 1;
    return 0;
}

/* True if hashed line l lies in the active window (which may wrap around). */
static inline int in_window(const mmt__ruser *b, int64_t l)
{
    if (b->start < b->end)
        return l >= b->start && l < b->end;
    return l >= b->start || l < b->end;
}

/* Hit test: 1 hit, 0 miss, -1 the address is in no line at all. */
static int hit(const mmt__ruser *b, int64_t v)
{
    int64_t off = addr_off(b, v);
    if (off < 0)
        return -1;
    if (b->line) {
        uint32_t l = b->line[off];
        return l == NONE ? -1 : in_window(b, l);
    }
    uint32_t lo = b->offs[off], hi = b->offs[off + 1];
    if (lo == hi)
        return -1;
    if (b->start >= b->end)
        return b->occ[hi - 1] >= b->start || b->occ[lo] < b->end;
    while (lo < hi) { /* first line >= start */
        uint32_t mid = lo + (hi - lo) / 2;
        if (b->occ[mid] < b->start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->offs[off + 1] && b->occ[lo] < b->end;
}

/* Fills b->scratch with the i-th of the m rows a refill starting at fetch row st takes. */
static void refill_row(mmt__ruser *b, int64_t st, int64_t i, int64_t m, int byref)
{
    int64_t j = st + i < b->rows_f ? st + i : st + i - b->rows_f;
    get_row(b, j, b->scratch);
    if (byref)
        return; /* the edits are already in the fetch matrix */
    if (i == 0)
        for (int64_t k = 0; k < b->col_skip; k++)
            b->scratch[k] = -1;
    if (i == m - 1 && m * b->B > b->A)
        for (int64_t k = b->A % b->B; k < b->B; k++)
            b->scratch[k] = -1;
}

/* new_prefetch of §7.2: moves the window and refetches ceil(Pf/B) rows from next_line. */
static int new_prefetch(mmt__ruser *b)
{
    b->start = (b->start + b->np) % b->nlines;
    b->end = (b->start + b->na) % b->nlines;
    int64_t m = mmt__ceil_div(b->Pf, b->B), req = m * b->B, st = b->next_line;
    b->st.accesses += req; /* SCALE-Sim v2: -1 slots count as DRAM reads */
    int byref = st + m <= b->rows_f, r = 0;
    if (!byref && b->rows_f - st + (st + m - b->rows_f < st ? st + m - b->rows_f : st) < m)
        return MMT_ERANGE; /* SCALE-Sim v2 indexes past its block here and crashes */
    /* SCALE-Sim v2: rows taken without wrap-around are views, so these edits persist. */
    if (byref && b->col_skip > 0)
        r = edit_row(b, st, 0, b->col_skip);
    if (r == 0 && byref && req > b->A) /* SCALE-Sim v2: tests the active size, not Pf */
        r = edit_row(b, st + m - 1, b->A % b->B, b->B);
    for (int64_t i = 0; r == 0 && i < m; i++) {
        if (b->fn)
            refill_row(b, st, i, m, byref);
        r = emit(b, b->last + i + 2);
    }
    b->last += m + 1;
    /* SCALE-Sim v2: next_line does not advance from st, so refills fetch the same rows. */
    b->next_line = (req > b->A ? m : m + 1) % b->rows_f;
    return r;
}

int mmt__ruser_read(mmt__ruser *b, const int64_t *row, int64_t lo, int64_t hi, int64_t c,
                    int64_t *served)
{
    int r = b->started ? 0 : first_fill(b, c);
    int64_t off = 1;
    for (int64_t i = lo; r == 0 && i < hi; i++) {
        if (row[i] == -1)
            continue;
        int h;
        while (r == 0 && (h = hit(b, row[i])) == 0) {
            r = new_prefetch(b);
            int64_t pot = b->last - (c + off);
            /* SCALE-Sim v3.0.0 quirk: the stall is added once unconditionally and again when
             * positive, so it counts twice, and a refill that ended in the past moves the row
             * back to that cycle (doc/scalesim-v3.md §V3.5). */
            if (b->v3 && __builtin_add_overflow(off, pot, &off))
                return MMT_EOVERFLOW;
            if (pot > 0)
                off += pot; /* stall checked after each refill */
        }
        if (h < 0)
            return MMT_ERANGE; /* SCALE-Sim v2 would refill forever */
    }
    *served = c + off;
    return r;
}

const mmt__dram_stat *mmt__ruser_stat(const mmt__ruser *b)
{
    return &b->st;
}

void mmt__ruser_set_v3(mmt__ruser *b)
{
    b->v3 = 1;
}
