/*
 * compare.c - compares a run directory with SCALE-Sim's (mmt_compare_dirs): the three reports
 * field by field (read with libcsv in its default mode; integers exactly, floats to a relative
 * 1e-12, which also absorbs the Python 3.11/3.12 sum() digits of COMPUTE_REPORT), and every trace
 * line by line after decompression (.csv or .csv.gz on either side, .csv.gz preferred when both
 * exist).
 *
 * A layer whose traces are all absent on one side (a run without traces, such as scale.py's
 * default) has its traces skipped with a note; a single missing trace is a difference.
 * Printing the result is the program's business.
 */
#include "internal.h"

#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

#define SHOW_MAX 160 /* characters of a differing trace row shown */

/* A comparison being made: the result and the room of its arrays. */
typedef struct cmp {
    const char *ours, *ref;
    mmt_cmp *r;
    size_t cap;
} cmp;

/* One CSV record: its fields, NUL-terminated. */
typedef struct record {
    char **f;
    size_t n;
} record;

typedef struct table {
    record *r;
    size_t n, cap;
    record cur;
    int oom;
} table;

/* Records a difference (takes ownership of what and text). */
static void add_diff(cmp *C, size_t layer, char *what, char *text)
{
    mmt_cmp *R = C->r;
    if (what && text && R->ndiff == C->cap) {
        size_t cap = C->cap ? 2 * C->cap : 32;
        mmt_cmp_diff *nd = realloc(R->diff, cap * sizeof *nd);
        if (nd) {
            R->diff = nd;
            C->cap = cap;
        }
    }
    if (!what || !text || R->ndiff == C->cap) {
        R->oom = 1;
        free(what);
        free(text);
        return;
    }
    R->diff[R->ndiff] = (mmt_cmp_diff){layer, R->ndiff, what, text};
    R->ndiff++;
}

/* A copy of s (n bytes) fit for one line of a terminal: bytes below 0x20, DEL and bytes
 * that are not UTF-8 are shown as \xNN (\n, \r, \t, \\ as such), so a file in REFDIR cannot
 * send escape sequences to the terminal or break the table's lines. NULL when out of memory. */
static char *esc(const char *s, size_t n)
{
    char *o = malloc(4 * n + 1), *p = o;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t u = 0; /* length of a valid UTF-8 sequence starting here */
        if (c >= 0xc2 && c <= 0xf4) {
            size_t want = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
            u = want;
            for (size_t k = 1; k < want; k++)
                if (i + k >= n || ((unsigned char)s[i + k] & 0xc0) != 0x80)
                    u = 0;
        }
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            *p++ = (char)c;
        } else if (u) {
            memcpy(p, s + i, u);
            p += u;
            i += u - 1;
        } else {
            const char *e = c == '\n'   ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                            : c == '\\' ? "\\\\"
                                        : NULL;
            if (e)
                p += sprintf(p, "%s", e);
            else
                p += sprintf(p, "\\x%02x", c);
        }
    }
    *p = '\0';
    return o;
}

/* Records a note (not a difference). */
static void add_note(cmp *C, char *text)
{
    mmt_cmp *R = C->r;
    char **nn = text ? realloc(R->note, (R->nnote + 1) * sizeof *nn) : NULL;
    if (!nn) {
        free(text);
        R->oom = 1;
        return;
    }
    R->note = nn;
    R->note[R->nnote++] = text;
}

/* Appends a field to the current record. */
static void on_field(const char *s, size_t len, table *T)
{
    char **nf = realloc(T->cur.f, (T->cur.n + 1) * sizeof *nf);
    char *f = malloc(len + 1);
    if (!nf || !f) {
        free(f);
        if (nf)
            T->cur.f = nf;
        T->oom = 1;
        return;
    }
    memcpy(f, s ? s : "", s ? len : 0);
    f[s ? len : 0] = '\0';
    T->cur.f = nf;
    T->cur.f[T->cur.n++] = f;
}

/* Closes the current record. */
static void on_record(table *T)
{
    if (T->n == T->cap) {
        size_t cap = T->cap ? 2 * T->cap : 16;
        record *nr = realloc(T->r, cap * sizeof *nr);
        if (!nr) {
            T->oom = 1;
            return;
        }
        T->r = nr;
        T->cap = cap;
    }
    T->r[T->n++] = T->cur;
    T->cur = (record){NULL, 0};
}

/* Frees a table's records. */
static void table_free(table *T)
{
    for (size_t i = 0; i <= T->n; i++) {
        record *r = i < T->n ? &T->r[i] : &T->cur;
        for (size_t j = 0; j < r->n; j++)
            free(r->f[j]);
        free(r->f);
    }
    free(T->r);
}

/* libcsv's callbacks onto the record builder. */
static void lib_field(void *s, size_t len, void *data)
{
    on_field(s, s ? len : 0, data);
}

static void lib_record(int c, void *data)
{
    (void)c;
    on_record(data);
}

/* Splits text into records with libcsv in its default (non-strict) mode: fields end at a
 * comma, records at CR or LF (blank lines skipped), blanks around an unquoted field are
 * dropped (SCALE-Sim's ", " separators), a quoted field keeps commas and line ends with ""
 * for a quote. Returns 0, or -1 when out of memory. */
static int parse_table(const char *text, size_t len, table *T)
{
    struct csv_parser p;
    if (csv_init(&p, 0) != 0)
        return -1;
    size_t done = csv_parse(&p, text, len, lib_field, lib_record, T);
    int bad = done != len || csv_fini(&p, lib_field, lib_record, T) != 0;
    csv_free(&p);
    return bad || T->oom ? -1 : 0;
}

/* Reads a report CSV. Returns 0, or -1 with *why set (static text). */
static int read_table(const char *path, table *T, const char **why)
{
    memset(T, 0, sizeof *T);
    struct stat st;
    /* A FIFO or /dev/zero as a report would block or never end: regular files only, and
     * no larger than any input mmtrace reads. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        *why = "not a regular file";
        return -1;
    }
    if (stat(path, &st) == 0 && (uint64_t)st.st_size > MMT_MAX_INPUT_BYTES) {
        *why = "larger than 256 MiB";
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    mmt_diag d = {0};
    int e = mmt__slurp(path, &text, &len, &d);
    if (e) {
        *why = e == MMT_ENOENT ? "missing" : mmt_strerror(e);
        return -1;
    }
    *why = "out of memory";
    int r = parse_table(text, len, T);
    free(text);
    return r;
}

/* Kind of a report field: 1 integer, 2 float (value in *v), 0 other text. */
static int field_kind(const char *s, double *v)
{
    const char *p = s + (*s == '-');
    if (*p && strspn(p, "0123456789") == strlen(p))
        return 1;
    char *end;
    *v = strtod(s, &end);
    return *s && !*end ? 2 : 0;
}

/* Whether two report fields agree: integers exactly, floats to a relative 1e-12. */
static int field_equal(const char *a, const char *b)
{
    double x, y;
    int ka = field_kind(a, &x), kb = field_kind(b, &y);
    if (ka != 2 || kb != 2)
        return ka == kb && strcmp(a, b) == 0;
    if (isnan(x) || isnan(y))
        return isnan(x) && isnan(y);
    if (x == y)
        return 1;
    return fabs(x - y) <= 1e-12 * fmax(fabs(x), fabs(y));
}

/* Compares one report; the first column is the layer id. */
static void compare_report(cmp *C, const char *name)
{
    char pa[4200], pb[4200];
    snprintf(pa, sizeof pa, "%s/%s", C->ours, name);
    snprintf(pb, sizeof pb, "%s/%s", C->ref, name);
    table A, B;
    const char *wa = NULL, *wb = NULL;
    int ra = read_table(pa, &A, &wa), rb = read_table(pb, &B, &wb);
    if (ra || rb) {
        add_diff(C, MMT_CMP_NO_LAYER, mmt__xfmt("%s", name),
                 mmt__xfmt("cannot read: %s%s%s", ra ? "ours " : "ref ", ra ? wa : wb,
                           ra && rb ? " (and ref)" : ""));
        goto out;
    }
    if (A.n != B.n)
        add_diff(C, MMT_CMP_NO_LAYER, mmt__xfmt("%s", name),
                 mmt__xfmt("%zu layers here, %zu in REFDIR", A.n ? A.n - 1 : 0, B.n ? B.n - 1 : 0));
    size_t rows = A.n < B.n ? A.n : B.n;
    if (rows > 0 && rows - 1 > C->r->layers)
        C->r->layers = rows - 1;
    for (size_t i = 0; i < rows; i++) {
        const record *x = &A.r[i], *y = &B.r[i];
        size_t layer = i == 0 ? MMT_CMP_NO_LAYER : i - 1;
        if (x->n != y->n)
            add_diff(
                C, layer, mmt__xfmt("%s", name),
                mmt__xfmt("%s: %zu fields here, %zu in REFDIR", i ? "row" : "header", x->n, y->n));
        size_t nf = x->n < y->n ? x->n : y->n;
        for (size_t j = 0; j < nf; j++) {
            if (field_equal(x->f[j], y->f[j]))
                continue;
            const char *col = A.r[0].n > j ? A.r[0].f[j] : "?";
            char *ec = esc(col, strlen(col)), *ex = esc(x->f[j], strlen(x->f[j]));
            char *ey = esc(y->f[j], strlen(y->f[j]));
            if (ec && ex && ey)
                add_diff(C, layer, mmt__xfmt("%s: %s", name, i ? ec : "header"),
                         mmt__xfmt("'%s' here, '%s' in REFDIR", ex, ey));
            else
                C->r->oom = 1;
            free(ec);
            free(ex);
            free(ey);
        }
    }
out:
    table_free(&A);
    table_free(&B);
}

/* Path of a trace in dir/layer<li>/ (.csv.gz preferred), or 0 if neither exists. */
static int find_trace(const char *dir, size_t li, const char *name, char *buf, size_t cap)
{
    struct stat st;
    snprintf(buf, cap, "%s/layer%zu/%s.gz", dir, li, name);
    if (stat(buf, &st) == 0)
        return 1;
    snprintf(buf, cap, "%s/layer%zu/%s", dir, li, name);
    return stat(buf, &st) == 0;
}

/* A trace line for display: cut at SHOW_MAX characters. */
static char *show(int r, const char *s, size_t n)
{
    if (r <= 0)
        return mmt__xfmt("%s", r == 0 ? "<end of file>" : "<unreadable>");
    char *e = esc(s, n > SHOW_MAX ? SHOW_MAX : n); /* the line may come from REFDIR */
    char *r2 = e ? mmt__xfmt("%s%s", e, n > SHOW_MAX ? "..." : "") : NULL;
    free(e);
    return r2;
}

/* Compares two traces line by line; records the first differing line. */
static void compare_trace(cmp *C, size_t li, const char *name, const char *pa, const char *pb)
{
    mmt_tracer *ta = NULL, *tb = NULL;
    mmt_diag d = {0};
    C->r->traces++;
    if (mmt_tracer_open(pa, &ta, &d) != 0 || mmt_tracer_open(pb, &tb, &d) != 0) {
        add_diff(C, li, mmt__xfmt("%s", name), mmt__xfmt("%s: %s", d.file, d.message));
        goto out;
    }
    /* A line as long as any input mmtrace reads at most: a 2 GiB line is refused, not held. */
    mmt_tracer_set_max_line(ta, MMT_MAX_INPUT_BYTES);
    mmt_tracer_set_max_line(tb, MMT_MAX_INPUT_BYTES);
    for (int64_t line = 1;; line++) {
        const char *sa = NULL, *sb = NULL;
        size_t na = 0, nb = 0;
        mmt_diag da = {0}, db = {0};
        int ra = mmt_tracer_line(ta, &sa, &na, &da);
        int rb = mmt_tracer_line(tb, &sb, &nb, &db);
        if (ra < 0 || rb < 0) {
            const mmt_diag *e = ra < 0 ? &da : &db;
            add_diff(C, li, mmt__xfmt("%s", name),
                     mmt__xfmt("%s:%ld: %s", e->file, e->line, e->message));
            break;
        }
        if (ra == 0 && rb == 0)
            break;
        if (ra != rb || na != nb || memcmp(sa, sb, na) != 0) {
            char *x = show(ra, sa, na), *y = show(rb, sb, nb);
            add_diff(C, li, mmt__xfmt("%s", name),
                     mmt__xfmt("first difference at line %lld\n      here: %s\n    REFDIR: %s",
                               (long long)line, x ? x : "", y ? y : ""));
            free(x);
            free(y);
            break;
        }
    }
out:
    mmt_tracer_close(ta, NULL);
    mmt_tracer_close(tb, NULL);
}

/* Whether dir/layer<li> exists. */
static int has_layer(const char *dir, size_t li)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/layer%zu", dir, li);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Compares the six traces of one layer. */
static void compare_layer_traces(cmp *C, size_t li)
{
    char pa[6][4300], pb[6][4300];
    int na = 0, nb = 0, ha[6], hb[6];
    for (int k = 0; k < 6; k++) {
        na += ha[k] = find_trace(C->ours, li, mmt_output_name((mmt_output)k), pa[k], sizeof pa[k]);
        nb += hb[k] = find_trace(C->ref, li, mmt_output_name((mmt_output)k), pb[k], sizeof pb[k]);
    }
    if (na == 0 || nb == 0) {
        if (na + nb > 0)
            add_note(C, mmt__xfmt("layer %zu: no traces %s; traces not compared", li,
                                  na == 0 ? "here" : "in REFDIR"));
        return;
    }
    for (int k = 0; k < 6; k++) {
        if (ha[k] && hb[k])
            compare_trace(C, li, mmt_output_name((mmt_output)k), pa[k], pb[k]);
        else if (ha[k] || hb[k])
            add_diff(C, li, mmt__xfmt("%s", mmt_output_name((mmt_output)k)),
                     mmt__xfmt("missing %s", ha[k] ? "in REFDIR" : "here"));
    }
}

/* Orders differences by layer (file-wide first), keeping the order within a layer. */
static int by_layer(const void *a, const void *b)
{
    const mmt_cmp_diff *x = a, *y = b;
    size_t lx = x->layer == MMT_CMP_NO_LAYER ? 0 : x->layer + 1;
    size_t ly = y->layer == MMT_CMP_NO_LAYER ? 0 : y->layer + 1;
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void mmt_cmp_free(mmt_cmp *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ndiff; i++) {
        free(c->diff[i].what);
        free(c->diff[i].text);
    }
    for (size_t i = 0; i < c->nnote; i++)
        free(c->note[i]);
    free(c->note);
    free(c->diff);
    free(c);
}

int mmt_compare_dirs(const char *ours, const char *refdir, int traces, mmt_cmp **out, mmt_diag *d)
{
    *out = NULL;
    int r = mmt_rundir_check_complete(ours, -1, d);
    if (r == 0)
        r = mmt_rundir_check_complete(refdir, -1, d);
    if (r)
        return r;
    cmp C = {.ours = ours, .ref = refdir, .r = calloc(1, sizeof *C.r)};
    if (!C.r)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    for (int k = MMT_OUT_COMPUTE_REPORT; k <= MMT_OUT_DETAILED_REPORT; k++)
        compare_report(&C, mmt_output_name((mmt_output)k));
    for (size_t li = 0;
         traces && (li < C.r->layers || has_layer(ours, li) || has_layer(refdir, li)); li++)
        compare_layer_traces(&C, li);
    if (C.r->ndiff)
        qsort(C.r->diff, C.r->ndiff, sizeof *C.r->diff, by_layer);
    *out = C.r;
    return 0;
}
