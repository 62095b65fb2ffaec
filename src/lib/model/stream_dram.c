/*
 * stream_dram.c - the stream policy's DRAM coupling (doc/memory.md "The DRAM coupling"): what
 * the closed form of sim_stream.c takes from a DRAMsim3-format .ini, measured once per .ini on
 * the DRAM model (mmtrace_dram.h), and the per-request simulation the closed form is checked
 * against.
 *
 * A cycle-level simulation of every request is far too slow for a study (a 66B model moves
 * about 10^9 64-byte lines per token), so the fold machine sees the DRAM as a FIFO at the
 * bandwidth the model sustains on a stream of sequential reads (the tiles are contiguous in
 * DRAM), with the latency of one read on an idle memory paid once per layer (later transfers
 * are pipelined behind it). mmt__stream_run_exact instead issues every 64-byte request of
 * every transfer to the DRAM model at its cycle and lets each fold wait for its own requests;
 * tests/unit/test_stream_dram compares the two.
 */
#include "sim_internal.h"

#include "mmtrace_dram.h"
#include "mmtrace_dram_layer.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef __int128 i128;

/* ---------------------------------------------------------------- characterisation */

/* Requests of the characterisation streams: 1 MiB at 64-byte requests, enough for every
 * channel of an HBM2 stack to reach its steady state (4 MiB changes no bandwidth by 0.6%). */
#define CHAR_REQUESTS 16384

/* Completions seen by a characterisation run. */
typedef struct done_count {
    uint64_t n, last;
} done_count;

static void count_done(void *ud, uint64_t addr, int is_write, uint64_t cycle)
{
    done_count *c = ud;
    (void)addr, (void)is_write;
    c->n++;
    c->last = cycle;
}

/* Where the accelerator puts its tiles: request i of the stream in channel i mod channels,
 * each channel's share contiguous in that channel (found by probing the .ini's address map,
 * whose channel field is a set of address bits). A map whose channel is not such a field
 * gets plain sequential addresses. */
typedef struct layout {
    const mmt_dram_config *c;
    uint64_t rb, chmask, freemask;
    uint32_t nch;
    int striped;
} layout;

/* The bits of v placed, lowest first, in the set bits of mask. */
static uint64_t deposit(uint64_t v, uint64_t mask)
{
    uint64_t r = 0;
    for (uint64_t m = mask; m && v; m &= m - 1, v >>= 1)
        if (v & 1)
            r |= m & (~m + 1);
    return r;
}

/* The set bits of mask in a, packed from bit 0. */
static uint64_t extract(uint64_t a, uint64_t mask)
{
    uint64_t r = 0, bit = 1;
    for (uint64_t m = mask; m; m &= m - 1, bit <<= 1)
        if (a & m & (~m + 1))
            r |= bit;
    return r;
}

/* The address of request g of the stream. */
static uint64_t addr_of(const layout *L, uint64_t g)
{
    if (!L->striped)
        return g * L->rb;
    return deposit(g / L->nch, L->freemask) | deposit(g % L->nch, L->chmask);
}

/* The request index of address a (addr_of's inverse). */
static uint64_t index_of(const layout *L, uint64_t a)
{
    if (!L->striped)
        return a / L->rb;
    return extract(a, L->freemask) * L->nch + extract(a, L->chmask);
}

static void layout_init(const mmt_dram_config *c, layout *L)
{
    memset(L, 0, sizeof *L);
    L->c = c, L->rb = mmt_dram_config_request_bytes(c), L->nch = mmt_dram_config_channels(c);
    int bits = 0;
    for (int b = 0; b < 48; b++)
        if (((uint64_t)1 << b) >= L->rb && mmt_dram_config_channel_of(c, (uint64_t)1 << b))
            L->chmask |= (uint64_t)1 << b, bits++;
    L->freemask = ~L->chmask & ~(L->rb - 1) & (((uint64_t)1 << 48) - 1);
    L->striped = L->nch > 1 && (L->nch & (L->nch - 1)) == 0 && (1u << bits) == L->nch &&
                 (L->rb & (L->rb - 1)) == 0;
    for (uint64_t g = 0; L->striped && g < 4 * (uint64_t)L->nch; g++)
        if (mmt_dram_config_channel_of(c, addr_of(L, g)) != g % L->nch ||
            index_of(L, addr_of(L, g)) != g)
            L->striped = 0;
}

/* Adds requests g0 .. g0+n-1 of the stream to m as a DMA engine with one queue per channel
 * does: each channel takes its own requests in order as soon as it accepts them, so a full
 * channel never holds up the others. Returns once all are added; m has ticked meanwhile. */
static int add_range(const layout *L, mmt_dram *m, uint64_t g0, uint64_t n, int is_write)
{
    uint32_t nch = L->nch;
    uint64_t *at = calloc(2 * (size_t)nch + 1, sizeof *at), *idx = malloc((n + 1) * sizeof *idx);
    int r = at && idx ? 0 : MMT_ENOMEM;
    uint64_t *end = at + nch;
    for (uint64_t i = 0; r == 0 && i < n; i++) /* counting sort of the requests by channel */
        end[mmt_dram_config_channel_of(L->c, addr_of(L, g0 + i))]++;
    for (uint64_t ch = 0, sum = 0; r == 0 && ch < nch; ch++)
        at[ch] = sum, sum += end[ch], end[ch] = at[ch];
    for (uint64_t i = 0; r == 0 && i < n; i++) {
        uint64_t a = addr_of(L, g0 + i);
        idx[end[mmt_dram_config_channel_of(L->c, a)]++] = a;
    }
    for (uint64_t left = n; r == 0 && left;) {
        for (uint32_t ch = 0; r == 0 && ch < nch; ch++)
            while (r == 0 && at[ch] < end[ch] && mmt_dram_will_accept(m, idx[at[ch]], is_write))
                r = mmt_dram_add(m, idx[at[ch]++], is_write), left--;
        if (r == 0 && left)
            r = mmt_dram_tick(m);
    }
    free(at);
    free(idx);
    return r;
}

/* Runs n sequential requests (reads or writes) from cycle 0 through add_range; *cycles gets
 * the cycle the last one completed, *pj DRAMsim3's total energy. */
static int run_stream(const mmt_dram_config *c, uint64_t n, int is_write, uint64_t *cycles,
                      double *pj, mmt_dram_stats *stats)
{
    mmt_dram *m;
    done_count dc = {0, 0};
    layout L;
    layout_init(c, &L);
    int r = mmt_dram_new(c, count_done, &dc, &m);
    if (r == 0)
        r = add_range(&L, m, 0, n, is_write);
    while (r == 0 && dc.n < n)
        r = mmt_dram_advance(m, mmt_dram_next_event(m) + 1);
    mmt_dram_stats st;
    if (r == 0 && (r = mmt_dram_stats_get(m, &st)) == 0)
        *cycles = dc.last + 1, *pj = st.total_energy;
    if (r == 0 && stats)
        *stats = st;
    mmt_dram_free(m);
    return r;
}

/* Measures the .ini c describes. */
static int characterise(const mmt_dram_config *c, mmt_memory_char *o)
{
    double tck = mmt_dram_config_tck_ns(c), pj;
    double bytes = (double)CHAR_REQUESTS * mmt_dram_config_request_bytes(c);
    uint64_t cyc;
    memset(o, 0, sizeof *o);
    o->peak_gbs = mmt_dram_config_peak_gbs(c);
    mmt_dram_stats st;
    int r = run_stream(c, 1, 0, &cyc, &pj, NULL);
    if (r)
        return r;
    o->latency_ns = (double)cyc * tck;
    if ((r = run_stream(c, CHAR_REQUESTS, 0, &cyc, &pj, &st)) != 0)
        return r;
    o->sustained_gbs = bytes / ((double)cyc * tck); /* bytes per ns */
    o->tck_ns = tck, o->request_bytes = mmt_dram_config_request_bytes(c);
    o->row_hit_rate = st.num_read_cmds ? (double)st.num_read_row_hits / st.num_read_cmds : 0;
    o->avg_read_latency_ns = st.average_read_latency * tck;
    o->max_read_latency_ns = (double)st.max_read_latency * tck;
    /* DRAMsim3: its energies are IDD x VDD x cycles, "pJ" for 1 ns cycles; x tCK gives pJ */
    o->read_pj_per_byte = pj * tck / bytes;
    if ((r = run_stream(c, CHAR_REQUESTS, 1, &cyc, &pj, NULL)) != 0)
        return r;
    o->write_pj_per_byte = pj * tck / bytes;
    if (!(o->sustained_gbs > 0) || !isfinite(o->sustained_gbs) || !isfinite(o->peak_gbs))
        return MMT_ERANGE; /* BL = 0: DRAMsim3's "perfect bandwidth" is no memory to stream */
    if (o->sustained_gbs > o->peak_gbs)
        o->sustained_gbs = o->peak_gbs;
    return 0;
}

/* The characterisations made so far in this process, by .ini path. */
#define NCACHE 16
static struct {
    char path[1024];
    mmt_memory_char ch;
} cache[NCACHE];
static size_t ncache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

int mmt_memory_characterise(const char *ini, mmt_memory_char *out, mmt_diag *diag)
{
    int r = 0;
    pthread_mutex_lock(&cache_lock); /* held while measuring: each .ini once */
    size_t i = 0;
    while (i < ncache && strcmp(cache[i].path, ini))
        i++;
    if (i < ncache) {
        *out = cache[i].ch;
        pthread_mutex_unlock(&cache_lock);
        return 0;
    }
    mmt_dram_config *c = NULL;
    r = mmt_dram_config_read(ini, &c, diag);
    if (r == 0 && (r = characterise(c, out)) != 0)
        mmt__diag(diag, r, ini, 0, "the stream policy cannot use this memory: %s",
                  r == MMT_ERANGE ? "it has no finite bandwidth" : mmt_strerror(r));
    if (r == 0 && ncache < NCACHE && strlen(ini) < sizeof cache[0].path) {
        memcpy(cache[ncache].path, ini, strlen(ini) + 1);
        cache[ncache++].ch = *out;
    }
    mmt_dram_config_free(c);
    pthread_mutex_unlock(&cache_lock);
    return r;
}

/* ---------------------------------------------------------------- per-request reference */

/* One transfer of the fold machine as requests on the DRAM. */
typedef struct xfer {
    int64_t fold;
    i128 drain;
    int is_write;
    uint64_t lo, hi, left, last; /* its requests [lo, hi) of the stream, not yet done, last done */
    mmt__stream_opstat *st;
} xfer;

typedef struct exact {
    layout L;
    mmt_dram *m;
    double tck, mhz;
    i128 per_cycle;
    uint64_t rb, next[3]; /* request bytes; next address of each operand's region */
    xfer *x;
    size_t nx, cap;
    int err;
} exact;

/* DRAM cycle -> units of the fold machine. */
static i128 to_units(const exact *E, uint64_t cyc)
{
    return (i128)((double)cyc * E->tck * E->mhz / 1000.0 * (double)E->per_cycle);
}

/* Units -> the first DRAM cycle at or after them. */
static uint64_t to_cycle(const exact *E, i128 u)
{
    return (uint64_t)ceil((double)u / (double)E->per_cycle * 1000.0 / E->mhz / E->tck);
}

static void on_done(void *ud, uint64_t addr, int is_write, uint64_t cycle)
{
    exact *E = ud;
    for (size_t i = 0; i < E->nx; i++) {
        xfer *x = &E->x[i];
        uint64_t g = index_of(&E->L, addr);
        if (x->left && x->is_write == is_write && g >= x->lo && g < x->hi) {
            x->left--;
            x->last = cycle;
            return;
        }
    }
}

static int ex_start(void *ud, const i128 *per_cycle)
{
    ((exact *)ud)->per_cycle = *per_cycle;
    return 0;
}

static void ex_add(void *ud, i128 issue, int64_t n, int32_t bits, mmt__stream_opstat *st, int dir,
                   int64_t fold, i128 drain)
{
    exact *E = ud;
    int is_write = dir == 2;
    if (E->err)
        return;
    if (E->nx == E->cap) {
        size_t cap = E->cap ? 2 * E->cap : 64;
        xfer *nx = realloc(E->x, cap * sizeof *nx);
        if (!nx) {
            E->err = MMT_ENOMEM;
            return;
        }
        E->x = nx, E->cap = cap;
    }
    uint64_t bytes = (uint64_t)(((i128)n * bits + 7999) / 8000);
    uint64_t reqs = (bytes + E->rb - 1) / E->rb, c = to_cycle(E, issue);
    int r = mmt_dram_cycle(E->m) < c ? mmt_dram_advance(E->m, c) : 0;
    xfer *x = &E->x[E->nx++];
    *x = (xfer){.fold = fold, .drain = drain, .is_write = is_write, .st = st, .left = reqs};
    /* each operand streams through its own region: tiles are contiguous, as the closed form
     * assumes; the ofmap read-backs share the ofmap region */
    uint64_t *next = &E->next[st->op]; /* request indexes of the operand's region */
    x->lo = *next, x->hi = *next + reqs;
    *next = x->hi;
    if (!st->any)
        st->any = 1, st->first = to_units(E, mmt_dram_cycle(E->m));
    st->elems += n;
    E->err = r ? r : add_range(&E->L, E->m, x->lo, reqs, is_write);
}

/* 1 while a transfer of fold f (f < 0: any transfer) has requests outstanding. */
static int busy(const exact *E, int64_t f)
{
    for (size_t i = 0; i < E->nx; i++)
        if (E->x[i].left && (f < 0 || (E->x[i].fold == f && !E->x[i].is_write)))
            return 1;
    return 0;
}

static int ex_wait(void *ud, int64_t f, i128 *d)
{
    exact *E = ud;
    int r = E->err;
    while (r == 0 && busy(E, f))
        r = mmt_dram_advance(E->m, mmt_dram_next_event(E->m) + 1);
    if (r)
        return r;
    size_t k = 0;
    for (size_t i = 0; i < E->nx; i++) { /* account the finished transfers, keep the rest */
        xfer *x = &E->x[i];
        int mine = f < 0 || (x->fold == f && !x->is_write);
        if (x->left || !(mine || x->is_write)) { /* a later fold's read waits for its fold */
            E->x[k++] = *x;
            continue;
        }
        i128 end = to_units(E, x->last + 1);
        if (end > x->st->last)
            x->st->last = end;
        if (f >= 0 && mine)
            mmt__stream_arrive(d, end + x->drain);
        else if (f < 0 && end > *d)
            *d = end;
    }
    E->nx = k;
    return 0;
}

int mmt__stream_run_exact(const mmt_config *cfg, const mmt_geom *g, mmt_layer_result *res)
{
    static const mmt__stream_hooks hk = {ex_start, ex_add, ex_wait};
    exact E = {.mhz = cfg->clock_mhz};
    mmt_dram_config *c = NULL;
    int r = mmt_dram_config_read(cfg->dram_path, &c, NULL);
    if (r == 0) {
        layout_init(c, &E.L);
        E.tck = mmt_dram_config_tck_ns(c), E.rb = E.L.rb;
        E.next[1] = (uint64_t)1 << 22, E.next[2] = (uint64_t)2 << 22; /* 256 MiB apart */
        r = mmt_dram_new(c, on_done, &E, &E.m);
    }
    if (r == 0)
        r = mmt__stream_simulate(cfg, g, 0, &hk, &E, res);
    mmt_dram_free(E.m);
    mmt_dram_config_free(c);
    free(E.x);
    return r;
}

/* ---------------------------------------------------------------- DRAM_TIMING_REPORT.csv */

int mmt__stream_dram_row(const mmt_config *cfg, const mmt_layer_result *res,
                         struct mmt_dram_layer_result *out)
{
    mmt_memory_char ch;
    mmt_layer_bytes lb;
    int r = mmt_memory_characterise(cfg->dram_path, &ch, NULL);
    if (r == 0)
        r = mmt_precision_layer_bytes(cfg, res, &lb);
    if (r)
        return r;
    memset(out, 0, sizeof *out);
    for (int op = 0; op < 3; op++) {
        uint64_t n = ((uint64_t)lb.dram[op] + ch.request_bytes - 1) / ch.request_bytes;
        *(op < 2 ? &out->reads : &out->writes) += n;
    }
    out->requests = out->reads + out->writes;
    out->done_accel_cycles = (double)res->total_cycles;
    out->done_ns = (double)res->total_cycles * 1000.0 / cfg->clock_mhz;
    out->dram_cycles = (uint64_t)ceil(out->done_ns / ch.tck_ns);
    out->last_done_cycle = out->dram_cycles;
    out->gbs = out->done_ns > 0 ? (double)out->requests * ch.request_bytes / out->done_ns : 0;
    out->row_hit_rate = ch.row_hit_rate;
    out->avg_read_latency_ns = ch.avg_read_latency_ns;
    out->max_read_latency_ns = ch.max_read_latency_ns;
    out->energy_pj = (double)(lb.dram[0] + lb.dram[1]) * ch.read_pj_per_byte +
                     (double)lb.dram[2] * ch.write_pj_per_byte;
    return 0;
}
