/*
 * topology.c - reads SCALE-Sim v2 topology CSVs (doc/scalesim-v2.md §3).
 *
 * SCALE-Sim splits each stripped line on ',' with no quoting, so this reader does the same
 * rather than using a general CSV parser: a quote character is data here, as it is there.
 * Quirks reproduced: the first line is always skipped as a header; empty lines are skipped;
 * the last field of every row is dropped (rows need a trailing comma); GEMM columns are M,N,K;
 * a conv row with one stride uses it for both directions; 'DP' in a name expands the row into
 * one layer per channel.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Upper bound on layers after DP expansion, so a typo cannot ask for billions of layers. */
#define MMT__MAX_LAYERS ((size_t)1 << 20)
/* Upper bound on the bytes of all layer names: fuzzing found that a 1.6 KB topology whose DP
 * row has a 1500-byte name and 2^20 channels copied that name 2^20 times (1.6 GB). */
#define MMT__MAX_NAME_BYTES ((size_t)64 << 20)
#define MAX_FIELDS 64

/* Layer names are packed into blocks rather than malloc'd one by one: a topology of 2^20
 * short names would otherwise spend more on malloc's headers and rounding than on the names
 * (issue 8 item 10). A name never moves once stored. */
#define NAME_BLOCK ((size_t)64 << 10)
typedef struct name_block {
    struct name_block *next;
    size_t used, cap;
    char data[];
} name_block;

struct mmt_topology {
    mmt_layer *layers;
    size_t n, cap;
    size_t name_bytes; /* bytes of all names with their NULs, at most MMT__MAX_NAME_BYTES */
    name_block *names; /* the block being filled first */
};

/* Room for len bytes of name, or NULL when out of memory. */
static char *name_alloc(mmt_topology *t, size_t len)
{
    name_block *b = t->names;
    if (!b || b->cap - b->used < len) {
        size_t cap = len > NAME_BLOCK ? len : NAME_BLOCK;
        if (!(b = malloc(sizeof *b + cap)))
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = t->names;
        t->names = b;
    }
    char *p = b->data + b->used;
    b->used += len;
    return p;
}

/* Appends a layer, copying name (with an optional suffix). MMT_ERANGE past either limit. */
static int push(mmt_topology *t, const mmt_layer *l, const char *name, size_t nlen,
                const char *suffix)
{
    size_t slen = suffix ? strlen(suffix) : 0;
    if (t->n >= MMT__MAX_LAYERS || nlen + slen + 1 > MMT__MAX_NAME_BYTES - t->name_bytes)
        return MMT_ERANGE;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        mmt_layer *nl = realloc(t->layers, cap * sizeof *nl);
        if (!nl)
            return MMT_ENOMEM;
        t->layers = nl;
        t->cap = cap;
    }
    char *nm = name_alloc(t, nlen + slen + 1);
    if (!nm)
        return MMT_ENOMEM;
    t->name_bytes += nlen + slen + 1;
    memcpy(nm, name, nlen);
    if (slen)
        memcpy(nm + nlen, suffix, slen);
    nm[nlen + slen] = '\0';
    t->layers[t->n] = *l;
    t->layers[t->n].name = nm;
    t->n++;
    return 0;
}

/* Fills d for a push that hit MMT__MAX_LAYERS or MMT__MAX_NAME_BYTES. */
static int limit_err(const mmt_topology *t, const char *file, long line, mmt_diag *d)
{
    if (t->n >= MMT__MAX_LAYERS)
        return mmt__diag(d, MMT_ERANGE, file, line, "more than %zu layers", MMT__MAX_LAYERS);
    return mmt__diag(d, MMT_ERANGE, file, line, "layer names take more than %zu MiB",
                     MMT__MAX_NAME_BYTES >> 20);
}

typedef struct field {
    const char *s, *e; /* stripped */
} field;

/* Parses field i as a positive integer into *v. */
static int field_int(const char *file, long line, const field *f, int i, const char *what,
                     int64_t *v, mmt_diag *d)
{
    int r = mmt__parse_i64(f[i].s, (size_t)(f[i].e - f[i].s), v);
    if (r == MMT_EOVERFLOW)
        return mmt__diag(d, r, file, line, "field %d (%s) '%.*s' overflows 64 bits", i + 1, what,
                         (int)(f[i].e - f[i].s), f[i].s);
    if (r)
        return mmt__diag(d, MMT_EPARSE, file, line,
                         "field %d (%s): expected an integer, got '%.*s'", i + 1, what,
                         (int)(f[i].e - f[i].s), f[i].s);
    if (*v <= 0)
        return mmt__diag(d, MMT_ERANGE, file, line, "field %d (%s) = %" PRId64 ": must be positive",
                         i + 1, what, *v);
    return 0;
}

static const char *const gemm_names[] = {"M", "N", "K"};
static const char *const conv_names[] = {"IFMAP Height",  "IFMAP Width", "Filter Height",
                                         "Filter Width",  "Channels",    "Num Filter",
                                         "Stride height", "Stride width"};

/* Checks an N:M sparsity ratio field as SCALE-Sim v3 parses it: split at ':', int() of the
 * first two parts (doc/scalesim-v3.md §V3.3). A dense run ignores the values. */
static int v3_ratio(const char *file, long line, const field *r, int i, mmt_diag *d)
{
    const char *c1 = memchr(r->s, ':', (size_t)(r->e - r->s));
    if (!c1)
        return mmt__diag(d, MMT_EPARSE, file, line,
                         "field %d '%.*s': SCALE-Sim v3 reads the last field of a row as an N:M "
                         "sparsity ratio and crashes without ':'%s",
                         i + 1, (int)(r->e - r->s), r->s,
                         i == 8 ? " (v3 has one stride for both directions: drop the second "
                                  "stride or write it as 1:1)"
                                : "");
    const char *c2 = memchr(c1 + 1, ':', (size_t)(r->e - c1 - 1));
    field part[2] = {{r->s, c1}, {c1 + 1, c2 ? c2 : r->e}};
    for (int k = 0; k < 2; k++) {
        int64_t v;
        mmt__strip(&part[k].s, &part[k].e);
        if (mmt__parse_i64(part[k].s, (size_t)(part[k].e - part[k].s), &v))
            return mmt__diag(d, MMT_EPARSE, file, line,
                             "field %d '%.*s': expected an N:M ratio of two integers (SCALE-Sim "
                             "v3 would crash)",
                             i + 1, (int)(r->e - r->s), r->s);
    }
    return 0;
}

/* SCALE-Sim v3 (doc/scalesim-v3.md §V3.3): checks the fields after the eighth (conv) or the
 * fourth (GEMM) and leaves *nf at what the v2 reader uses. Conv rows: v3 copies the stride
 * into the second stride's place, so what follows it is an N:M ratio (last) and integers. */
static int v3_fields(const char *file, long line, const field *f, int *nf, int gemm, mmt_diag *d,
                     mmt_warn_fn warn, void *ud)
{
    int n = *nf, r = 0;
    if (gemm) {
        if (n >= 5 && (r = v3_ratio(file, line, &f[4], 4, d)))
            return r;
        if (n > 5)
            mmt__warn(warn, ud, file, line,
                      "%d extra field(s) after field 5 ignored, as SCALE-Sim v3 does", n - 5);
        *nf = n < 4 ? n : 4;
        return 0;
    }
    if (n < 8)
        return 0; /* the v2 reader reports it */
    if (n > 8 && (r = v3_ratio(file, line, &f[n - 1], n - 1, d)))
        return r;
    for (int i = 8; i < n - 1; i++) { /* SCALE-Sim v3: int() of each, otherwise unused */
        int64_t v;
        if (mmt__parse_i64(f[i].s, (size_t)(f[i].e - f[i].s), &v))
            return mmt__diag(d, MMT_EPARSE, file, line,
                             "field %d: expected an integer, got '%.*s' (SCALE-Sim v3 would "
                             "crash)",
                             i + 1, (int)(f[i].e - f[i].s), f[i].s);
    }
    *nf = 8;
    return 0;
}

/* Turns one data row's fields (last one already dropped) into layers. */
static int parse_row(mmt_topology *t, const char *file, long line, field *f, int nf, int gemm,
                     int v3, mmt_diag *d, mmt_warn_fn warn, void *ud)
{
    if (v3) {
        int r = v3_fields(file, line, f, &nf, gemm, d, warn, ud);
        if (r)
            return r;
    }
    int need = gemm ? 4 : 8;
    if (nf < need) /* 4 fields read as conv: a GEMM row (Layer, M, N, K) without -i gemm */
        return mmt__diag(d, MMT_EPARSE, file, line, "expected at least %d fields%s, got %d%s", need,
                         " before the dropped last field", nf,
                         !gemm && nf == 4 ? " (a GEMM row, Layer, M, N, K? give -i gemm)" : "");
    int used = gemm ? 4 : (nf >= 9 ? 9 : 8);
    int64_t v[8];
    for (int i = 1; i < used; i++) {
        int r =
            field_int(file, line, f, i, gemm ? gemm_names[i - 1] : conv_names[i - 1], &v[i - 1], d);
        if (r)
            return r;
    }
    if (nf > used) /* SCALE-Sim v2 reads a conv row under -i gemm as M, N, K = its first three */
        mmt__warn(warn, ud, file, line,
                  "%d extra field(s) after field %d ignored, as SCALE-Sim v2 "
                  "does%s",
                  nf - used, used,
                  gemm && nf >= 8 ? " (a conv row read as M, N, K = IFMAP Height, IFMAP Width, "
                                    "Filter Height? drop -i gemm to read it as a conv layer)"
                                  : "");
    mmt_layer l = {0};
    l.line = line;
    if (gemm) { /* SCALE-Sim v2: an M,N,K row is the conv layer [M, K, 1, K, 1, N, 1, 1]. */
        l.ifmap_h = v[0];
        l.ifmap_w = v[2];
        l.filt_h = 1;
        l.filt_w = v[2];
        l.channels = 1;
        l.num_filt = v[1];
        l.stride_h = l.stride_w = 1;
    } else {
        l.ifmap_h = v[0];
        l.ifmap_w = v[1];
        l.filt_h = v[2];
        l.filt_w = v[3];
        l.channels = v[4];
        l.num_filt = v[5];
        l.stride_h = v[6];
        /* One stride serves both directions (SCALE-Sim v3: always, doc/scalesim-v3.md §V3.3). */
        l.stride_w = used == 9 ? v[7] : v[6];
        if (l.filt_h > l.ifmap_h || l.filt_w > l.ifmap_w)
            return mmt__diag(d, MMT_ERANGE, file, line,
                             "filter %" PRId64 "x%" PRId64 " is larger than the ifmap %" PRId64
                             "x%" PRId64,
                             l.filt_h, l.filt_w, l.ifmap_h, l.ifmap_w);
    }
    size_t nlen = (size_t)(f[0].e - f[0].s);
    int dp = !gemm && memmem(f[0].s, nlen, "DP", 2) != NULL;
    if (!dp) {
        int r = push(t, &l, f[0].s, nlen, NULL);
        return r == MMT_ERANGE ? limit_err(t, file, line, d) : r;
    }
    /* SCALE-Sim v2: 'DP' anywhere in the name makes one 1-channel layer per channel. */
    if ((uint64_t)l.channels > MMT__MAX_LAYERS - t->n)
        return mmt__diag(d, MMT_ERANGE, file, line,
                         "depthwise row expands into %" PRId64 " layers (limit %zu)", l.channels,
                         MMT__MAX_LAYERS);
    int64_t ch = l.channels;
    l.channels = 1;
    for (int64_t k = 0; k < ch; k++) {
        char suffix[40];
        snprintf(suffix, sizeof suffix, "Channel_%" PRId64, k);
        int r = push(t, &l, f[0].s, nlen, suffix);
        if (r)
            return r == MMT_ERANGE ? limit_err(t, file, line, d) : r;
    }
    return 0;
}

/* Splits a stripped line on ',' and drops the last field, warning if it held data. */
static int split_row(const char *file, long line, const char *s, const char *e, field *f, int *nf,
                     mmt_diag *d, mmt_warn_fn warn, void *ud)
{
    int n = 0;
    const char *p = s;
    for (;;) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        const char *fe = c ? c : e;
        if (n == MAX_FIELDS)
            return mmt__diag(d, MMT_EPARSE, file, line, "more than %d fields", MAX_FIELDS - 1);
        f[n].s = p;
        f[n].e = fe;
        mmt__strip(&f[n].s, &f[n].e);
        n++;
        if (!c)
            break;
        p = c + 1;
    }
    n--; /* SCALE-Sim v2: the last field is always dropped */
    if (f[n].s != f[n].e)
        mmt__warn(warn, ud, file, line,
                  "last field '%.*s' dropped, as SCALE-Sim v2 does (end each row with a comma)",
                  (int)(f[n].e - f[n].s), f[n].s);
    *nf = n;
    return 0;
}

int mmt_topology_parse(const char *name, const char *text, size_t len, int gemm, mmt_topology **out,
                       mmt_diag *diag, mmt_warn_fn warn, void *ud)
{
    return mmt_topology_parse_version(name, text, len, gemm, MMT_SCALESIM_V2, out, diag, warn, ud);
}

int mmt_topology_parse_version(const char *name, const char *text, size_t len, int gemm,
                               mmt_scalesim v, mmt_topology **out, mmt_diag *diag, mmt_warn_fn warn,
                               void *ud)
{
    mmt_topology *t = calloc(1, sizeof *t);
    if (!t)
        return mmt__diag(diag, MMT_ENOMEM, name, 0, "out of memory");
    mmt__lines L = {text, text + len, 0, 0};
    const char *s, *e;
    long line = 0;
    int r = 0;
    while (r == 0 && mmt__line_next(&L, &s, &e)) {
        line = L.no;
        const char *ls = s, *le = e;
        mmt__strip(&ls, &le);
        if ((r = mmt__check_nul(diag, name, line, s, e)) != 0)
            ;
        else if (line > 1 && ls != le) { /* line 1 is always the header */
            field f[MAX_FIELDS];
            int nf = 0;
            r = split_row(name, line, ls, le, f, &nf, diag, warn, ud);
            if (r == 0)
                r = parse_row(t, name, line, f, nf, gemm, v == MMT_SCALESIM_V3, diag, warn, ud);
        }
    }
    if (r == 0 && t->n == 0)
        r = mmt__diag(diag, MMT_EPARSE, name, line, "no layers after the header line");
    if (r == MMT_ENOMEM)
        mmt__diag(diag, r, name, line, "out of memory");
    if (r) {
        mmt_topology_free(t);
        return r;
    }
    mmt_layer *fit = realloc(t->layers, t->n * sizeof *fit); /* drop the doubling's slack */
    if (fit) {
        t->layers = fit;
        t->cap = t->n;
    }
    *out = t;
    return 0;
}

int mmt_topology_read_version(const char *path, int gemm, mmt_scalesim v, mmt_topology **out,
                              mmt_diag *diag, mmt_warn_fn warn, void *ud)
{
    char *text;
    size_t len;
    int r = mmt__slurp(path, &text, &len, diag);
    if (r)
        return r;
    r = mmt_topology_parse_version(path, text, len, gemm, v, out, diag, warn, ud);
    free(text);
    return r;
}

int mmt_topology_read(const char *path, int gemm, mmt_topology **out, mmt_diag *diag,
                      mmt_warn_fn warn, void *ud)
{
    return mmt_topology_read_version(path, gemm, MMT_SCALESIM_V2, out, diag, warn, ud);
}

void mmt_topology_free(mmt_topology *t)
{
    if (!t)
        return;
    for (name_block *b = t->names, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(t->layers);
    free(t);
}

size_t mmt_topology_count(const mmt_topology *t)
{
    return t->n;
}

const mmt_layer *mmt_topology_layer(const mmt_topology *t, size_t i)
{
    return i < t->n ? &t->layers[i] : NULL;
}
