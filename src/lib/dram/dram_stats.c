/*
 * dram_stats.c - the statistics of an mmt_dram (mmt_dram_stats_*): DRAMsim3's SimpleStats
 * final values (simple_stats.cc, UpdateFinalStats) and its dramsim3.json: one compact JSON
 * object per channel as nlohmann::json prints a std::map (keys in byte order), "{" then the
 * channels as "N":{...} separated by ",\n", then "}".
 */
#include "dram_engine.h"

#include <math.h>

/* DRAMsim3's derived values of one channel. */
typedef struct derived {
    double act, read, write, ref, refb, background, total, bw, power, avg_read, avg_inter;
    double *act_stb, *pre_stb, *sref; /* per rank */
} derived;

/* SimpleStats::GetHistoAvg: the integer sum over the integer count. */
static double histo_avg(const dhist *h, uint64_t *max)
{
    uint64_t sum = 0, n = 0, k, v;
    for (size_t it = 0; mmt__hist_next(h, &it, &k, &v);) {
        sum += k * v; /* DRAMsim3: int x uint64_t, in uint64_t */
        n += v;
        if (max && (int64_t)k > (int64_t)*max)
            *max = k;
    }
    return n == 0 ? 0.0 : (double)sum / (double)n;
}

/* The per-rank cycle counts up to the present cycle: the engine counts them lazily (acct). */
static void rank_cycles(const mmt_dram *d, const dchan *ch, uint64_t *act, uint64_t *idle,
                        uint64_t *sref)
{
    uint64_t k = ch->clk - ch->acct;
    for (int i = 0; i < d->c.ranks; i++) {
        act[i] = ch->active_cycles[i], idle[i] = ch->idle_cycles[i], sref[i] = ch->sref_cycles[i];
        if (ch->sref[i])
            sref[i] += k;
        else if (!ch->open_in_rank[i])
            idle[i] += k;
        else
            act[i] += k;
    }
}

/* UpdateFinalStats, with the same operations in the same order as DRAMsim3. */
static void derive(const mmt_dram *d, const dchan *ch, derived *v, double *act_stb, double *pre_stb,
                   double *sref)
{
    const mmt_dram_config *c = &d->c;
    v->act = (double)ch->cnt[ST_ACT] * c->act_energy_inc;
    v->read = (double)ch->cnt[ST_READ_CMDS] * c->read_energy_inc;
    v->write = (double)ch->cnt[ST_WRITE_CMDS] * c->write_energy_inc;
    v->ref = (double)ch->cnt[ST_REF] * c->ref_energy_inc;
    v->refb = (double)ch->cnt[ST_REFB] * c->refb_energy_inc;
    double bg = 0.0;
    uint64_t *rc = mmt__mallocn(3 * (int64_t)c->ranks, sizeof *rc);
    if (!rc) { /* tiny; NaN marks the failure rather than a wrong number */
        v->background = v->total = NAN;
        return;
    }
    rank_cycles(d, ch, rc, rc + c->ranks, rc + 2 * c->ranks);
    for (int i = 0; i < c->ranks; i++) {
        double a = (double)rc[i] * c->act_stb_energy_inc;
        double p = (double)rc[c->ranks + i] * c->pre_stb_energy_inc;
        double s = (double)rc[2 * c->ranks + i] * c->sref_energy_inc;
        if (act_stb)
            act_stb[i] = a, pre_stb[i] = p, sref[i] = s;
        bg += a + p + s;
    }
    free(rc);
    v->background = bg;
    uint64_t reqs = ch->cnt[ST_READS_DONE] + ch->cnt[ST_WRITES_DONE];
    double time = (double)ch->cnt[ST_CYCLES] * c->tCK;
    v->bw = (double)(reqs * (uint64_t)(int64_t)c->request_size_bytes) / time;
    v->total = v->act + v->read + v->write + v->ref + v->refb + bg;
    v->power = v->total / (double)ch->cnt[ST_CYCLES];
    v->avg_read = histo_avg(&ch->h_read, NULL);
    v->avg_inter = histo_avg(&ch->h_inter, NULL);
}

static void fill(const mmt_dram *d, const dchan *ch, mmt_dram_stats *s, uint64_t *lat_sum,
                 uint64_t *lat_n)
{
    derived v;
    derive(d, ch, &v, NULL, NULL, NULL);
    s->num_cycles += ch->cnt[ST_CYCLES];
    s->num_reads_done += ch->cnt[ST_READS_DONE];
    s->num_writes_done += ch->cnt[ST_WRITES_DONE];
    s->num_read_cmds += ch->cnt[ST_READ_CMDS];
    s->num_write_cmds += ch->cnt[ST_WRITE_CMDS];
    s->num_read_row_hits += ch->cnt[ST_READ_HITS];
    s->num_write_row_hits += ch->cnt[ST_WRITE_HITS];
    s->num_act_cmds += ch->cnt[ST_ACT];
    s->num_pre_cmds += ch->cnt[ST_PRE];
    s->num_ref_cmds += ch->cnt[ST_REF];
    s->num_ondemand_pres += ch->cnt[ST_ONDEMAND_PRE];
    s->num_refb_cmds += ch->cnt[ST_REFB];
    s->num_srefe_cmds += ch->cnt[ST_SREFE];
    s->num_srefx_cmds += ch->cnt[ST_SREFX];
    s->hbm_dual_cmds += ch->cnt[ST_DUAL];
    s->total_energy += v.total;
    s->act_energy += v.act;
    s->read_energy += v.read;
    s->write_energy += v.write;
    s->ref_energy += v.ref;
    s->refb_energy += v.refb;
    s->background_energy += v.background;
    s->average_bandwidth += v.bw;
    s->average_power += v.power;
    uint64_t k, cnt;
    for (size_t it = 0; mmt__hist_next(&ch->h_read, &it, &k, &cnt);) {
        *lat_sum += k * cnt;
        *lat_n += cnt;
        if (k > s->max_read_latency)
            s->max_read_latency = k;
    }
}

static int stats(const mmt_dram *d, int from, int to, mmt_dram_stats *out)
{
    memset(out, 0, sizeof *out);
    uint64_t sum = 0, n = 0;
    for (int i = from; i < to; i++)
        fill(d, &d->ch[i], out, &sum, &n);
    out->average_read_latency = n ? (double)sum / (double)n : 0.0;
    out->num_epochs = d->clk / (uint64_t)d->c.epoch_period;
    return 0;
}

int mmt_dram_stats_get(const mmt_dram *d, mmt_dram_stats *out)
{
    return stats(d, 0, d->c.channels, out);
}

int mmt_dram_stats_channel(const mmt_dram *d, uint32_t channel, mmt_dram_stats *out)
{
    if (channel >= (uint32_t)d->c.channels)
        return MMT_EINVAL;
    return stats(d, (int)channel, (int)channel + 1, out);
}

/* ---------------------------------------------------------------- dramsim3.json */

/* One key and its printed value; sorted by key as std::map<std::string> orders them. */
typedef struct kv {
    char *k, *v;
} kv;

typedef struct obj {
    kv *e;
    size_t n, cap;
    int bad;
} obj;

static void put(obj *o, char *k, char *v)
{
    if (!k || !v || o->bad) {
        free(k), free(v);
        o->bad = 1;
        return;
    }
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        kv *ne = realloc(o->e, nc * sizeof *ne);
        if (!ne) {
            free(k), free(v);
            o->bad = 1;
            return;
        }
        o->e = ne, o->cap = nc;
    }
    o->e[o->n++] = (kv){k, v};
}

static void put_u(obj *o, const char *k, uint64_t v)
{
    put(o, strdup(k), mmt__xfmt("%" PRIu64, v));
}

static void put_d(obj *o, const char *k, double v)
{
    char b[40];
    mmt__json_double(v, b);
    put(o, strdup(k), strdup(b));
}

static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const kv *)a)->k, ((const kv *)b)->k);
}

/* The object's text, {"k":v,...} in key order ("null" when empty, as an empty nlohmann
 * value prints); frees o. */
static char *obj_text(obj *o)
{
    char *r = NULL;
    if (!o->bad) {
        if (o->n > 1) /* qsort(NULL, 0, ...) is undefined, and an empty object has no array */
            qsort(o->e, o->n, sizeof *o->e, kv_cmp);
        mmt__buf b = {0};
        if (!o->n)
            mmt__buf_printf(&b, "null");
        for (size_t i = 0; i < o->n; i++)
            mmt__buf_printf(&b, "%s\"%s\":%s", i ? "," : "{", o->e[i].k, o->e[i].v);
        if (o->n)
            mmt__buf_printf(&b, "}");
        r = b.bad ? (free(b.p), NULL) : b.p;
    }
    for (size_t i = 0; i < o->n; i++)
        free(o->e[i].k), free(o->e[i].v);
    free(o->e);
    return r;
}

/* A per-rank vector as {"0":v,...}. */
static char *vec_u(const uint64_t *v, int n)
{
    obj o = {0};
    for (int i = 0; i < n; i++)
        put(&o, mmt__xfmt("%d", i), mmt__xfmt("%" PRIu64, v[i]));
    return obj_text(&o);
}

static char *vec_d(const double *v, int n)
{
    obj o = {0};
    char b[40];
    for (int i = 0; i < n; i++) {
        mmt__json_double(v[i], b);
        put(&o, mmt__xfmt("%d", i), strdup(b));
    }
    return obj_text(&o);
}

/* A histogram: its values as {"value":count,...} and DRAMsim3's bins name[lo-hi]. */
static void histo(obj *o, const char *name, const dhist *h, int lo, int hi, int nbins)
{
    int width = (hi - lo) / nbins;
    uint64_t bins[64] = {0}, key, cnt;
    obj full = {0};
    for (size_t it = 0; mmt__hist_next(h, &it, &key, &cnt);) {
        int v = (int)(int64_t)key;
        int b = v < lo ? 0 : v > hi ? nbins + 1 : (v - lo) / width + 1;
        bins[b] += cnt;
        put(&full, mmt__xfmt("%d", v), mmt__xfmt("%" PRIu64, cnt));
    }
    put(o, strdup(name), obj_text(&full));
    put(o, mmt__xfmt("%s[-%d]", name, lo), mmt__xfmt("%" PRIu64, bins[0]));
    for (int i = 1; i <= nbins; i++)
        put(o, mmt__xfmt("%s[%d-%d]", name, lo + (i - 1) * width, lo + i * width - 1),
            mmt__xfmt("%" PRIu64, bins[i]));
    put(o, mmt__xfmt("%s[%d-]", name, hi), mmt__xfmt("%" PRIu64, bins[nbins + 1]));
}

/* SimpleStats::UpdatePrints(false) of one channel. */
static char *channel_json(const mmt_dram *d, const dchan *ch)
{
    int R = d->c.ranks;
    double *ve = mmt__mallocn(3 * (int64_t)R, sizeof(double));
    if (!ve)
        return NULL;
    derived v;
    derive(d, ch, &v, ve, ve + R, ve + 2 * R);
    obj o = {0};
    static const struct {
        const char *name;
        int st;
    } counters[] = {
        {"num_cycles", ST_CYCLES},
        {"num_reads_done", ST_READS_DONE},
        {"num_writes_done", ST_WRITES_DONE},
        {"num_read_row_hits", ST_READ_HITS},
        {"num_write_row_hits", ST_WRITE_HITS},
        {"num_read_cmds", ST_READ_CMDS},
        {"num_write_cmds", ST_WRITE_CMDS},
        {"num_act_cmds", ST_ACT},
        {"num_pre_cmds", ST_PRE},
        {"num_ondemand_pres", ST_ONDEMAND_PRE},
        {"num_ref_cmds", ST_REF},
        {"num_refb_cmds", ST_REFB},
        {"num_srefe_cmds", ST_SREFE},
        {"num_srefx_cmds", ST_SREFX},
        {"hbm_dual_cmds", ST_DUAL},
    };
    put(&o, strdup("channel"), mmt__xfmt("%d", ch->id));
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
        put_u(&o, counters[i].name, ch->cnt[counters[i].st]);
    put_u(&o, "epoch_num", d->clk / (uint64_t)d->c.epoch_period);
    put_u(&o, "num_write_buf_hits", 0); /* DRAMsim3: declared, never counted */
    uint64_t *rc = mmt__mallocn(3 * (int64_t)R, sizeof *rc);
    if (!rc) {
        free(ve);
        free(obj_text(&o));
        return NULL;
    }
    rank_cycles(d, ch, rc, rc + R, rc + 2 * R);
    put(&o, strdup("all_bank_idle_cycles"), vec_u(rc + R, R));
    put(&o, strdup("rank_active_cycles"), vec_u(rc, R));
    put(&o, strdup("sref_cycles"), vec_u(rc + 2 * R, R));
    free(rc);
    histo(&o, "read_latency", &ch->h_read, 0, 200, 10);
    histo(&o, "write_latency", &ch->h_write, 0, 200, 10);
    histo(&o, "interarrival_latency", &ch->h_inter, 0, 100, 10);
    put_d(&o, "act_energy", v.act);
    put_d(&o, "read_energy", v.read);
    put_d(&o, "write_energy", v.write);
    put_d(&o, "ref_energy", v.ref);
    put_d(&o, "refb_energy", v.refb);
    put(&o, strdup("act_stb_energy"), vec_d(ve, R));
    put(&o, strdup("pre_stb_energy"), vec_d(ve + R, R));
    put(&o, strdup("sref_energy"), vec_d(ve + 2 * R, R));
    put_d(&o, "average_bandwidth", v.bw);
    put_d(&o, "total_energy", v.total);
    put_d(&o, "average_power", v.power);
    put_d(&o, "average_read_latency", v.avg_read);
    put_d(&o, "average_interarrival", v.avg_inter);
    free(ve);
    return obj_text(&o);
}

int mmt_dram_stats_json(const mmt_dram *d, char **json, size_t *len)
{
    *json = NULL;
    *len = 0;
    mmt__buf b = {0};
    mmt__buf_printf(&b, "{");
    for (int i = 0; i < d->c.channels; i++) {
        /* DRAMsim3: output_level < 0 leaves the channels out but keeps their separators */
        if (d->c.output_level >= 0) {
            char *t = channel_json(d, &d->ch[i]);
            if (!t) {
                free(b.p);
                return MMT_ENOMEM;
            }
            mmt__buf_printf(&b, "\"%d\":%s", i, t);
            free(t);
        }
        if (i != d->c.channels - 1)
            mmt__buf_printf(&b, ",\n");
    }
    mmt__buf_printf(&b, "}");
    if (b.bad) {
        free(b.p);
        return MMT_ENOMEM;
    }
    *json = b.p;
    *len = b.n;
    return 0;
}

int mmt_dram_stats_write(const mmt_dram *d, const char *path, mmt_diag *diag)
{
    char *j;
    size_t n;
    int r = mmt_dram_stats_json(d, &j, &n);
    if (r)
        return mmt__diag(diag, r, path, 0, "out of memory");
    r = mmt__write_file_atomic(path, j, n, diag);
    free(j);
    return r;
}
