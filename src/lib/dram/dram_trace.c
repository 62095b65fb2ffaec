/*
 * dram_trace.c - replays a trace in DRAMsim3's format into an mmt_dram (mmt_dram_trace_run)
 * as dramsim3main's TraceBasedCPU (cpu.cc) does: each cycle the memory ticks, then the front
 * end offers its current request if the request's cycle has come, and reads the next one only
 * once that request is accepted. Its std::istream has two end-of-file behaviours we keep
 * (doc/dram.md): a last request not followed by any character is offered only on the cycle it
 * is read, and when the file ends with a line end (or other blank), the failed read after the
 * last request offers that request's address again, as a read, once.
 */
#include "dram_engine.h"

/* One request: its address, kind, cycle, and whether reading it set the stream's eof. */
typedef struct dreq {
    uint64_t addr, cycle;
    int is_write, eof_after;
} dreq;

typedef struct treader {
    mmt_tracer *t;
    const char *path;
    dreq next;     /* the request read ahead */
    int have_next; /* next holds one */
    int at_end;    /* no request after next */
    int trailing;  /* characters followed the last request */
    dreq last;     /* the last request handed out */
    int phantom_done;
    long next_line;
} treader;

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The value of a hexadecimal digit, or -1. */
static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parses one `ADDR TYPE CYCLE` line (not blank). */
static int parse_line(const treader *R, const char *s, size_t n, long line, dreq *q, mmt_diag *diag)
{
    const char *p = s, *e = s + n, *tok[3], *end[3];
    int k = 0;
    while (p < e) {
        while (p < e && is_blank(*p))
            p++;
        if (p == e)
            break;
        if (k == 3)
            return mmt__diag(diag, MMT_ETRACE, R->path, line,
                             "expected 3 fields (ADDRESS READ|WRITE CYCLE), got more");
        tok[k] = p;
        while (p < e && !is_blank(*p))
            p++;
        end[k++] = p;
    }
    if (k != 3)
        return mmt__diag(diag, MMT_ETRACE, R->path, line,
                         "expected 3 fields (ADDRESS READ|WRITE CYCLE), got %d", k);
    if (mmt__check_nul(diag, R->path, line, s, e))
        return MMT_ETRACE;
    const char *a = tok[0];
    if (end[0] - a > 2 && a[0] == '0' && (a[1] == 'x' || a[1] == 'X'))
        a += 2;
    uint64_t addr = 0;
    if (a == end[0])
        return mmt__diag(diag, MMT_ETRACE, R->path, line, "address '%.*s' is not hexadecimal",
                         (int)(end[0] - tok[0]), tok[0]);
    for (; a < end[0]; a++) {
        int h = hexval(*a);
        if (h < 0)
            return mmt__diag(diag, MMT_ETRACE, R->path, line, "address '%.*s' is not hexadecimal",
                             (int)(end[0] - tok[0]), tok[0]);
        if (addr >> 60)
            return mmt__diag(diag, MMT_ETRACE, R->path, line,
                             "address '%.*s' does not fit in 64 bits", (int)(end[0] - tok[0]),
                             tok[0]);
        addr = addr << 4 | (uint64_t)h;
    }
    /* DRAMsim3: WRITE, write, P_MEM_WR and BOFF are writes; it takes any other word for a
     * read, we only these */
    static const struct {
        const char *w;
        size_t n;
        int is_write;
    } kinds[] = {{"READ", 4, 0},     {"WRITE", 5, 1},    {"read", 4, 0},    {"write", 5, 1},
                 {"P_MEM_RD", 8, 0}, {"P_MEM_WR", 8, 1}, {"P_FETCH", 7, 0}, {"BOFF", 4, 1}};
    size_t tl = (size_t)(end[1] - tok[1]);
    q->is_write = -1;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds && q->is_write < 0; i++)
        if (kinds[i].n == tl && !memcmp(tok[1], kinds[i].w, tl))
            q->is_write = kinds[i].is_write;
    if (q->is_write < 0)
        return mmt__diag(diag, MMT_ETRACE, R->path, line,
                         "request type '%.*s' is neither READ nor WRITE", (int)tl, tok[1]);
    uint64_t cyc = 0;
    for (const char *c = tok[2]; c < end[2]; c++) {
        if (*c < '0' || *c > '9')
            return mmt__diag(diag, MMT_ETRACE, R->path, line,
                             "cycle '%.*s' is not a non-negative decimal integer",
                             (int)(end[2] - tok[2]), tok[2]);
        if (cyc > (UINT64_MAX - 9) / 10)
            return mmt__diag(diag, MMT_ETRACE, R->path, line, "cycle '%.*s' is too large",
                             (int)(end[2] - tok[2]), tok[2]);
        cyc = cyc * 10 + (uint64_t)(*c - '0');
    }
    q->addr = addr;
    q->cycle = cyc;
    q->eof_after = 0;
    return 0;
}

/* The common line, `0xADDR READ|WRITE CYCLE` with at most 16 hexadecimal and 19 decimal
 * digits and blanks around the fields, parsed in one pass: 1 with *q, or 0 for anything else,
 * which parse_line then takes (it accepts the same lines with the same values, and names the
 * error of a bad one). */
static int parse_fast(const char *s, size_t n, dreq *q)
{
    const char *p = s, *e = s + n;
    while (p < e && is_blank(*p))
        p++;
    if (e - p > 2 && p[0] == '0' && (p[1] | 0x20) == 'x')
        p += 2;
    const char *d = p;
    uint64_t addr = 0;
    int h;
    while (p < e && (h = hexval(*p)) >= 0) {
        addr = addr << 4 | (uint64_t)h;
        p++;
    }
    if (p == d || p - d > 16 || p == e || !is_blank(*p))
        return 0;
    while (p < e && is_blank(*p))
        p++;
    if (e - p >= 5 && !memcmp(p, "READ", 4) && is_blank(p[4])) {
        q->is_write = 0;
        p += 4;
    } else if (e - p >= 6 && !memcmp(p, "WRITE", 5) && is_blank(p[5])) {
        q->is_write = 1;
        p += 5;
    } else {
        return 0;
    }
    while (p < e && is_blank(*p))
        p++;
    d = p;
    uint64_t cyc = 0;
    while (p < e && *p >= '0' && *p <= '9')
        cyc = cyc * 10 + (uint64_t)(*p++ - '0');
    if (p == d || p - d > 19)
        return 0;
    while (p < e && is_blank(*p))
        p++;
    if (p != e)
        return 0;
    q->addr = addr;
    q->cycle = cyc;
    q->eof_after = 0;
    return 1;
}

/* Reads ahead to the next request (or the end), noting whether characters follow it. */
static int read_ahead(treader *R, mmt_diag *diag)
{
    R->have_next = 0;
    for (;;) {
        const char *s;
        size_t n;
        int ended;
        int r = mmt__tracer_line_any(R->t, &s, &n, &ended, diag);
        if (r < 0)
            return r;
        if (r == 0) {
            R->at_end = 1;
            return 0;
        }
        long line = (long)mmt_tracer_lineno(R->t);
        size_t i = 0;
        while (i < n && is_blank(s[i]))
            i++;
        if (i == n) { /* a blank line: characters after the request before it */
            R->trailing = 1;
            continue;
        }
        if (R->have_next)
            return 0; /* unreachable: the loop returns after each request */
        if (!parse_fast(s, n, &R->next) && (r = parse_line(R, s, n, line, &R->next, diag)))
            return r;
        R->have_next = 1;
        R->next_line = line;
        /* characters after the cycle on its line, or the line's end */
        size_t j = n;
        R->trailing = ended || (j > 0 && is_blank(s[j - 1]));
        return 0;
    }
}

/* The next request as TraceBasedCPU's `trace_file_ >> trans_` gives it: 1 with *q, 0 when the
 * stream is exhausted (no request at all). */
static int next_request(treader *R, dreq *q, mmt_diag *diag)
{
    if (R->have_next) {
        *q = R->next;
        R->last = *q;
        int r = read_ahead(R, diag);
        if (r)
            return r;
        /* no more requests and nothing after this one: reading it set eof */
        q->eof_after = !R->have_next && !R->trailing;
        return 1;
    }
    if (R->trailing && !R->phantom_done) {
        /* DRAMsim3: the read after the last request fails, leaving the request's address and
         * cycle in place, and the empty type word makes it a read */
        R->phantom_done = 1;
        *q = R->last;
        q->is_write = 0;
        q->eof_after = 1;
        return 1;
    }
    return 0;
}

/* The feed loop; R holds the first request read ahead. */
static int feed(mmt_dram *d, treader *R, uint64_t cycles, mmt_diag *diag)
{
    dreq p;
    int r = next_request(R, &p, diag);
    if (r < 0)
        return r;
    int have = r == 1;
    r = 0;
    uint64_t read_tick = 0; /* the tick at which p was read */
    while (d->clk < cycles) {
        uint64_t c = d->clk;
        if (!have || (p.eof_after && (p.cycle > read_tick || c > read_tick))) {
            /* nothing more to offer (DRAMsim3: eof() stops the front end) */
            have = 0;
            if ((r = mmt_dram_advance(d, cycles)))
                break;
            continue;
        }
        if (p.cycle > c) {
            if ((r = mmt_dram_advance(d, p.cycle < cycles ? p.cycle : cycles)))
                break;
            continue;
        }
        if ((r = mmt_dram_tick(d)))
            break;
        r = mmt_dram_add(d, p.addr, p.is_write);
        if (r == MMT_EAGAIN) {
            r = 0;
            if (p.eof_after)
                continue; /* offered once only: dropped on the next cycle */
            /* refused: nothing changes until the memory does something */
            uint64_t w = mmt_dram_next_event(d);
            if (w > d->clk && (r = mmt_dram_advance(d, w < cycles ? w : cycles)))
                break;
            continue;
        }
        if (r)
            break;
        if ((r = next_request(R, &p, diag)) < 0)
            return r;
        have = r == 1;
        r = 0;
        read_tick = c + 1;
    }
    if (r)
        return mmt__diag(diag, r, R->path, 0, "%s",
                         r == MMT_EINVAL ? mmt_dram_error(d) : mmt_strerror(r));
    return 0;
}

int mmt_dram_trace_run(mmt_dram *d, const char *trace_path, uint64_t cycles, mmt_diag *diag)
{
    if (d->clk != 0)
        return mmt__diag(diag, MMT_EINVAL, trace_path, 0,
                         "a trace replays into a new memory (cycle 0)");
    treader R;
    memset(&R, 0, sizeof R);
    R.path = trace_path;
    int r = mmt_tracer_open(trace_path, &R.t, diag);
    if (r)
        return r;
    mmt_tracer_set_max_line(R.t, 4096);
    r = read_ahead(&R, diag);
    if (!r && !R.have_next)
        r = mmt__diag(diag, MMT_ETRACE, trace_path, 0,
                      "no requests (DRAMsim3 would replay an undefined one)");
    if (!r)
        r = feed(d, &R, cycles, diag);
    /* the rest of the file is checked too: a malformed line is an error wherever it is */
    while (!r && (R.have_next || !R.at_end))
        r = read_ahead(&R, diag);
    int c = mmt_tracer_close(R.t, r ? NULL : diag);
    return r ? r : c;
}
