/*
 * dram_layer.c - times a layer's DRAM traffic on the DRAM model (mmtrace_dram_layer.h; the
 * rule is doc/dram.md, "Timing a run's DRAM traffic"; tools/dram-run-trace.awk is the same
 * rule in awk, and the golden test checks the two against each other and against DRAMsim3).
 *
 * The three traces are read a row at a time and merged by accelerator cycle (ifmap, filter,
 * ofmap at equal cycles), so memory stays flat: one row of requests per operand.
 */
#include <config.h>

#include "mmtrace_dram_layer.h"

#include "internal.h"

#include <math.h>
#include <stdint.h>

/* One operand's trace and the requests of its current row. */
typedef struct layer_src {
    mmt_tracer *t;
    const char *path;
    int op;             /* mmt_operand */
    int has;            /* a current row (0 at the end of the file) */
    int64_t cycle;      /* its accelerator cycle */
    int any;            /* a row has been read */
    int64_t first;      /* the cycle of the first row, with or without elements */
    uint64_t *lines;    /* its distinct lines, in order of first appearance */
    size_t n, cap, pos; /* lines[pos] is the next request */
} layer_src;

/* What the done callback collects. */
typedef struct layer_done {
    uint64_t done, last;
} layer_done;

static void on_done(void *ud, uint64_t addr, int is_write, uint64_t cycle)
{
    layer_done *s = ud;
    (void)addr;
    (void)is_write;
    s->done++;
    if (cycle > s->last)
        s->last = cycle;
}

/* Parses one field, a Python float repr of an integer ("-66.0", "10000000.0") or an integer,
 * into *v; MMT_ETRACE unless it is integral and below 2^53 in magnitude. */
static int parse_field(const layer_src *s, const char *p, size_t len, int64_t *v, mmt_diag *d)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return mmt__diag(d, MMT_ETRACE, s->path, (long)mmt_tracer_lineno(s->t),
                         "expected a number, got '%.*s'", (int)(len < 40 ? len : 40), p);
    memcpy(buf, p, len);
    buf[len] = '\0';
    double x;
    if (mmt__parse_double(buf, &x) != 0 || x != floor(x) || fabs(x) >= 9007199254740992.0)
        return mmt__diag(d, MMT_ETRACE, s->path, (long)mmt_tracer_lineno(s->t),
                         "expected an integral number, got '%s'", buf);
    *v = (int64_t)x;
    return 0;
}

/* Appends line l to the current row's requests unless it is there already. */
static int add_line(layer_src *s, uint64_t l)
{
    if (s->n > 0 && s->lines[s->n - 1] == l)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->lines[i] == l)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        uint64_t *p = realloc(s->lines, cap * sizeof *p);
        if (!p)
            return MMT_ENOMEM;
        s->lines = p;
        s->cap = cap;
    }
    s->lines[s->n++] = l;
    return 0;
}

/* The lines element field value a (already parsed) of operand s touches (doc/dram.md): an
 * element e = a - offset of b bits occupies bits [e*b, (e+1)*b) of the operand's region. */
static int add_element(layer_src *s, const mmt_dram_layer_opts *o, uint64_t line, int64_t a,
                       mmt_diag *d)
{
    if (a < o->offset[s->op])
        return 0; /* SCALE-Sim v2: -1 is an idle slot; CALC pads filter/ofmap rows with 1.0 */
    uint64_t e = (uint64_t)(a - o->offset[s->op]), w = (uint64_t)o->bits[s->op];
    uint64_t unit = line * 8000; /* thousandths of a bit per line */
    if (e > MMT_DRAM_LAYER_REGION * 8000 / w ||
        ((e + 1) * w - 1) / unit + 1 > MMT_DRAM_LAYER_REGION / line)
        return mmt__diag(d, MMT_ETRACE, s->path, (long)mmt_tracer_lineno(s->t),
                         "element %" PRId64 " lies beyond the operand's 1 GiB region", a);
    for (uint64_t l = e * w / unit; l <= ((e + 1) * w - 1) / unit; l++)
        if (add_line(s, l) != 0)
            return mmt__diag(d, MMT_ENOMEM, s->path, 0, "out of memory");
    return 0;
}

/* Reads the next row of s with at least one request (or the end: s->has = 0). */
static int next_row(layer_src *s, const mmt_dram_layer_opts *o, uint64_t line, mmt_diag *d)
{
    for (;;) {
        const char *text;
        size_t len;
        int rc = mmt_tracer_line(s->t, &text, &len, d);
        if (rc <= 0) {
            s->has = 0;
            return rc;
        }
        s->n = s->pos = 0;
        int64_t v = 0;
        size_t i = 0, j;
        for (int field = 0; i <= len; field++, i = j + 1) {
            for (j = i; j < len && text[j] != ','; j++)
                ;
            if ((rc = parse_field(s, text + i, j - i, &v, d)) != 0)
                return rc;
            if (field > 0) {
                if ((rc = add_element(s, o, line, v, d)) != 0)
                    return rc;
            } else if (s->any && v < s->cycle) {
                return mmt__diag(d, MMT_ETRACE, s->path, (long)mmt_tracer_lineno(s->t),
                                 "cycle %" PRId64 " is before the previous row's %" PRId64,
                                 v, s->cycle);
            } else {
                if (!s->any)
                    s->first = v;
                s->cycle = v;
                s->has = s->any = 1;
            }
        }
        if (s->n > 0)
            return 1;
    }
}

/* The operand whose next request comes first (lowest operand at equal cycles), or -1. */
static int pick(const layer_src *s)
{
    int best = -1;
    for (int k = 0; k < 3; k++)
        if (s[k].has && (best < 0 || s[k].cycle < s[best].cycle))
            best = k;
    return best;
}

/* Feeds the merged requests to d as DRAMsim3's TraceBasedCPU would and runs it until every
 * request has completed. */
static int feed(mmt_dram *d, layer_src *s, const mmt_dram_layer_opts *o, uint64_t line,
                double tck, int64_t t0, mmt_dram_layer_result *r, mmt_diag *diag)
{
    const double y = o->clock_mhz * tck;
    int k, rc;
    while ((k = pick(s)) >= 0) {
        /* The DRAM cycle of the request: floor((c - t0) * 1000 / (MHz * tCK)), in doubles,
         * as tools/dram-run-trace.awk computes it. */
        double h = floor((double)(s[k].cycle - t0) * 1000.0 / y);
        if (!(h < 1e18))
            return mmt__diag(diag, MMT_ERANGE, s[k].path, (long)mmt_tracer_lineno(s[k].t),
                             "the cycle does not fit in 64 bits at this clock");
        uint64_t addr = (uint64_t)k * MMT_DRAM_LAYER_REGION + s[k].lines[s[k].pos] * line;
        int w = k == MMT_OP_OFMAP;
        /* DRAMsim3: TraceBasedCPU offers a request after the memory's tick of its cycle, at
         * most one per cycle, and again every cycle until the controller accepts it. */
        uint64_t m = mmt_dram_cycle(d), target = (uint64_t)h + 1;
        if ((rc = mmt_dram_advance(d, target > m + 1 ? target : m + 1)) != 0)
            return mmt__diag(diag, rc, "", 0, "%s", mmt_dram_error(d));
        while (!mmt_dram_will_accept(d, addr, w))
            if ((rc = mmt_dram_advance(d, mmt_dram_next_event(d) + 1)) != 0)
                return mmt__diag(diag, rc, "", 0, "%s", mmt_dram_error(d));
        if ((rc = mmt_dram_add(d, addr, w)) != 0)
            return mmt__diag(diag, rc, "", 0, "the memory refused a request it accepts");
        r->requests++;
        if (w)
            r->writes++;
        else
            r->reads++;
        if (++s[k].pos == s[k].n && (rc = next_row(&s[k], o, line, diag)) < 0)
            return rc;
    }
    while (mmt_dram_pending(d) > 0)
        if ((rc = mmt_dram_advance(d, mmt_dram_next_event(d) + 1)) != 0)
            return mmt__diag(diag, rc, "", 0, "%s", mmt_dram_error(d));
    return 0;
}

/* Fills the derived columns of r from the memory's statistics. */
static int finish(const mmt_dram *d, const mmt_dram_config *c, const mmt_dram_layer_opts *o,
                  const layer_done *dn, mmt_dram_layer_result *r)
{
    int rc = mmt_dram_stats_get(d, &r->stats);
    if (rc != 0)
        return rc;
    const double tck = mmt_dram_config_tck_ns(c);
    const mmt_dram_stats *st = &r->stats;
    uint64_t cmds = st->num_read_cmds + st->num_write_cmds;
    r->dram_cycles = mmt_dram_cycle(d);
    r->last_done_cycle = dn->last;
    r->row_hit_rate =
        cmds ? (double)(st->num_read_row_hits + st->num_write_row_hits) / (double)cmds : 0.0;
    r->avg_read_latency_ns = st->average_read_latency * tck;
    r->max_read_latency_ns = (double)st->max_read_latency * tck;
    r->done_ns = (double)r->dram_cycles * tck;
    r->gbs = r->dram_cycles ? (double)r->requests * mmt_dram_config_request_bytes(c) / r->done_ns
                            : 0.0;
    r->done_accel_cycles = (double)r->t0 + r->done_ns * o->clock_mhz / 1000.0;
    r->energy_pj = st->total_energy * tck; /* DRAMsim3: its "pJ" are V x mA x cycles */
    return 0;
}

int mmt_dram_layer_time(const mmt_dram_config *c, const mmt_dram_layer_opts *o,
                        const char *const paths[3], mmt_dram_layer_result *out, mmt_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (!(o->clock_mhz > 0 && o->clock_mhz < 1e9))
        return mmt__diag(diag, MMT_EINVAL, "", 0, "the accelerator clock must be above 0 MHz");
    for (int k = 0; k < 3; k++)
        if (o->bits[k] < 1000 || o->bits[k] > 32000)
            return mmt__diag(diag, MMT_EINVAL, "", 0, "operand widths must be 1 to 32 bits");
    const uint64_t line = mmt_dram_config_request_bytes(c);
    layer_src s[3] = {{0}};
    mmt_dram *d = NULL;
    layer_done dn = {0, 0};
    int rc = 0;
    for (int k = 0; k < 3 && rc >= 0; k++) {
        s[k].path = paths[k];
        s[k].op = k;
        if ((rc = mmt_tracer_open(paths[k], &s[k].t, diag)) == 0)
            rc = next_row(&s[k], o, line, diag);
    }
    if (rc >= 0) {
        /* t0: the earliest row of the three traces, with or without elements (every trace's
         * cycles only grow, so the first rows hold the minimum). */
        int any = 0;
        for (int k = 0; k < 3; k++)
            if (s[k].any && (!any++ || s[k].first < out->t0))
                out->t0 = s[k].first;
        rc = mmt_dram_new(c, on_done, &dn, &d);
        if (rc != 0)
            mmt__diag(diag, rc, "", 0, "cannot create the DRAM model");
    }
    if (rc >= 0)
        rc = feed(d, s, o, line, mmt_dram_config_tck_ns(c), out->t0, out, diag);
    if (rc >= 0)
        rc = finish(d, c, o, &dn, out);
    mmt_dram_free(d);
    for (int k = 0; k < 3; k++) {
        mmt_tracer_close(s[k].t, NULL);
        free(s[k].lines);
    }
    return rc < 0 ? rc : 0;
}

/* Writes the report's lines to f (mmt__write_atomic's fill). */
typedef struct layer_report {
    const mmt_dram_layer_result *res;
    size_t n;
} layer_report;

static int fill_report(FILE *f, void *ud)
{
    const layer_report *rep = ud;
    fputs("LayerID, Requests, Reads, Writes, Row Hit Rate, Avg Read Latency (ns), "
          "Max Read Latency (ns), Achieved GB/s, DRAM Cycles, Last Done (accel cycles), "
          "Last Done (ns), DRAM Energy (pJ),\n",
          f);
    for (size_t i = 0; i < rep->n; i++) {
        const mmt_dram_layer_result *r = &rep->res[i];
        fprintf(f,
                "%zu, %" PRIu64 ", %" PRIu64 ", %" PRIu64 ", %.6f, %.3f, %.3f, %.3f, %" PRIu64
                ", %.2f, %.3f, %.1f,\n",
                i, r->requests, r->reads, r->writes, r->row_hit_rate, r->avg_read_latency_ns,
                r->max_read_latency_ns, r->gbs, r->dram_cycles, r->done_accel_cycles,
                r->done_ns, r->energy_pj);
    }
    return 0;
}

int mmt_dram_layer_report_write(const char *path, const mmt_dram_layer_result *res, size_t n,
                                mmt_diag *diag)
{
    layer_report rep = {res, n};
    return mmt__write_atomic(path, fill_report, &rep, diag);
}
