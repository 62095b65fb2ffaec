/*
 * report_reader.c - reads COMPUTE_REPORT.csv and DETAILED_ACCESS_REPORT.csv back, exactly as
 * SCALE-Sim writes them (doc/scalesim-v2.md §8): the header verbatim, then one line per layer
 * "id, f1, ..., fk,\n" with ids 0, 1, 2, ..., fields joined by ", ", ints as plain digits and
 * floats in Python repr. Lines are split by libcsv, and must be exactly what SCALE-Sim writes.
 * Anything else (a count written as 1e30, a trailing "abc", a missing field, a negative
 * count, another separator) is refused with the file and line; nothing is guessed.
 *
 * The v3.0.0 COMPUTE_REPORT (v3 delta §8.1) is also accepted: its extra second column
 * "Total Cycles (incl. prefetch)" is checked as an int and skipped.
 */
#include "internal.h"

#include <csv.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char compute_v2[] = "LayerID, Total Cycles, Stall Cycles, Overall Util %, "
                                 "Mapping Efficiency %, Compute Util %,";
static const char compute_v3[] = "LayerID, Total Cycles (incl. prefetch), Total Cycles, "
                                 "Stall Cycles, Overall Util %, Mapping Efficiency %, "
                                 "Compute Util %,";

/* The DETAILED_ACCESS_REPORT header, built as report_writer.c writes it. */
static void detailed_header(char *h, size_t cap)
{
    static const char *const who[6] = {"SRAM IFMAP", "SRAM Filter", "SRAM OFMAP",
                                       "DRAM IFMAP", "DRAM Filter", "DRAM OFMAP"};
    size_t n = (size_t)snprintf(h, cap, "LayerID");
    for (int k = 0; k < 6 && n < cap; k++)
        n += (size_t)snprintf(h + n, cap - n, ", %s Start Cycle, %s Stop Cycle, %s %s", who[k],
                              who[k], who[k], k % 3 == 2 ? "Writes" : "Reads");
    if (n < cap)
        snprintf(h + n, cap - n, ",");
}

/* A field as Python prints an int: optional '-', digits. Returns 0 or MMT_EPARSE/EOVERFLOW. */
static int field_int(const char *s, size_t len, int64_t *out)
{
    size_t i = s[0] == '-';
    if (len == i || len > 21)
        return MMT_EPARSE;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MMT_EPARSE;
        if (v > (UINT64_MAX - 9) / 10)
            return MMT_EOVERFLOW;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (s[0] == '-'))
        return MMT_EOVERFLOW;
    *out = s[0] == '-' ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* A finite float as Python's repr prints it (digits with '.' or an exponent). */
static int field_float(const char *s, size_t len, double *out)
{
    char b[64];
    int dot = 0;
    if (len == 0 || len >= sizeof b)
        return MMT_EPARSE;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e'))
            return MMT_EPARSE;
        dot |= c == '.' || c == 'e';
    }
    memcpy(b, s, len);
    b[len] = '\0';
    double v;
    if (!dot || mmt__parse_double(b, &v) != 0)
        return MMT_EPARSE;
    *out = v;
    return 0;
}

/* A cycle printed as a float with no fraction (1.0, -66.0) within int64. */
static int field_cycle(const char *s, size_t len, int64_t *out)
{
    double v;
    if (field_float(s, len, &v) || v != floor(v) || fabs(v) >= 9007199254740992.0)
        return MMT_EPARSE;
    *out = (int64_t)v;
    return 0;
}

/* The fields libcsv finds in one line: their text, one after the other, and lengths. */
typedef struct splitter {
    char *text; /* room for the whole line */
    size_t used, len[24];
    int n, records;
} splitter;

static void sp_field(void *s, size_t len, void *ud)
{
    splitter *p = ud;
    if (p->n < 24) {
        memcpy(p->text + p->used, s ? s : "", s ? len : 0);
        p->len[p->n] = s ? len : 0;
        p->used += p->len[p->n];
    }
    p->n++;
}

static void sp_record(int c, void *ud)
{
    (void)c;
    ((splitter *)ud)->records++;
}

/* Splits one data line (without its newline) into want fields with libcsv. SCALE-Sim writes
 * a report line as its fields joined by ", " with a final ',' and never quotes (§8), which
 * libcsv reads as those fields and an empty last one; the line must then be exactly that join
 * of what libcsv found (so "0,5" or a doubled blank, which libcsv would accept, is refused:
 * nothing SCALE-Sim does not write is guessed at). f[i] points into s. */
static int split(const char *s, size_t len, const char **f, size_t *fl, int want)
{
    if (len == 0 || s[len - 1] != ',' || memchr(s, '"', len) || want > 23)
        return -1;
    splitter sp = {.text = malloc(len + 1)};
    struct csv_parser p;
    if (!sp.text || csv_init(&p, 0) != 0) {
        free(sp.text);
        return -1;
    }
    int bad = csv_parse(&p, s, len, sp_field, sp_record, &sp) != len ||
              csv_fini(&p, sp_field, sp_record, &sp) != 0;
    csv_free(&p);
    bad = bad || sp.records != 1 || sp.n != want + 1 || sp.len[want] != 0;
    size_t at = 0, t = 0;
    for (int i = 0; !bad && i < want; i++) {
        size_t k = sp.len[i], sep = i + 1 < want ? 2 : 1;
        bad = at + k + sep > len || memcmp(s + at, sp.text + t, k) || s[at + k] != ',' ||
              (sep == 2 && s[at + k + 1] != ' ');
        f[i] = s + at, fl[i] = k;
        at += k + sep, t += k;
    }
    free(sp.text);
    return bad || at != len ? -1 : 0;
}

/* Parses one COMPUTE row (skip = 1 for v3's extra column) into r. */
static int compute_row(const char **f, const size_t *fl, int skip, mmt_layer_result *r, int *bad)
{
    int64_t pre;
    double u[3];
    if (skip && field_int(f[1], fl[1], &pre))
        return *bad = 2, -1;
    for (int k = 0; k < 2; k++) {
        int64_t *dst = k ? &r->stall_cycles : &r->total_cycles;
        if (field_int(f[1 + skip + k], fl[1 + skip + k], dst) || *dst < 0)
            return *bad = 2 + skip + k, -1;
    }
    for (int k = 0; k < 3; k++)
        if (field_float(f[3 + skip + k], fl[3 + skip + k], &u[k]))
            return *bad = 4 + skip + k, -1;
    r->overall_util = u[0], r->mapping_eff = u[1], r->compute_util = u[2];
    return 0;
}

/* Parses one DETAILED row into r. */
static int detailed_row(const char **f, const size_t *fl, mmt_layer_result *r, int *bad)
{
    for (int k = 0; k < 6; k++) {
        const char **g = f + 1 + 3 * k;
        const size_t *gl = fl + 1 + 3 * k;
        int64_t start, stop, count;
        int sram = k < 3, op = k % 3;
        /* SCALE-Sim v2: an SRAM side with no valid row prints the int 0 twice. */
        int zero = sram && gl[0] == 1 && g[0][0] == '0' && gl[1] == 1 && g[1][0] == '0';
        if (!zero && field_cycle(g[0], gl[0], &start))
            return *bad = 2 + 3 * k, -1;
        if (!zero && field_cycle(g[1], gl[1], &stop))
            return *bad = 3 + 3 * k, -1;
        if (field_int(g[2], gl[2], &count) || count < 0)
            return *bad = 4 + 3 * k, -1;
        if (zero)
            start = stop = 0;
        if (sram) {
            r->has_sram[op] = !zero;
            r->sram_start[op] = start, r->sram_stop[op] = stop, r->sram_count[op] = count;
        } else {
            r->dram_start[op] = start, r->dram_stop[op] = stop, r->dram_count[op] = count;
        }
    }
    return 0;
}

int mmt_report_parse(int detailed, const char *name, const char *text, size_t len,
                     mmt_layer_result *res, size_t cap, size_t *n, mmt_diag *d)
{
    char dh[1024];
    detailed_header(dh, sizeof dh);
    mmt__lines L = {text, text + len, 0, 0};
    const char *p, *nl;
    long ln = 0;
    int skip = 0;
    *n = 0;
    while (mmt__line_next(&L, &p, &nl)) {
        ln = L.no;
        if (!L.ended)
            return mmt__diag(d, MMT_EPARSE, name, ln, "line does not end with a newline");
        size_t ll = (size_t)(nl - p);
        if (ln == 1) {
            int v2 = !detailed && ll == strlen(compute_v2) && !memcmp(p, compute_v2, ll);
            int v3 = !detailed && ll == strlen(compute_v3) && !memcmp(p, compute_v3, ll);
            if (!v2 && !v3 && !(detailed && ll == strlen(dh) && !memcmp(p, dh, ll)))
                return mmt__diag(d, MMT_EPARSE, name, 1, "not the header SCALE-Sim writes");
            skip = v3;
            continue;
        }
        const char *f[20];
        size_t fl[20];
        int want = detailed ? 19 : 6 + skip, bad = 0;
        int64_t id;
        if (split(p, ll, f, fl, want) != 0)
            return mmt__diag(d, MMT_EPARSE, name, ln,
                             "expected %d fields joined by \", \" and a final ','", want);
        if (field_int(f[0], fl[0], &id) || id != (int64_t)*n)
            return mmt__diag(d, MMT_EPARSE, name, ln, "field 1 (LayerID): expected %zu", *n);
        if (*n == cap)
            return mmt__diag(d, MMT_ERANGE, name, ln, "more than %zu layers", cap);
        mmt_layer_result *r = &res[*n];
        if ((detailed ? detailed_row(f, fl, r, &bad) : compute_row(f, fl, skip, r, &bad)) != 0)
            return mmt__diag(d, MMT_EPARSE, name, ln,
                             "field %d: '%.*s' is not what SCALE-Sim "
                             "writes there",
                             bad, (int)fl[bad - 1], f[bad - 1]);
        ++*n;
    }
    if (ln == 0)
        return mmt__diag(d, MMT_EPARSE, name, 0, "empty file");
    return 0;
}

/* Reads one report of dir into res (cap rows); *n gets the count. */
static int read_one(const char *dir, const char *file, int detailed, mmt_layer_result *res,
                    size_t cap, size_t *n, mmt_diag *d)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return mmt__diag(d, MMT_EINVAL, dir, 0, "path too long");
    char *text;
    size_t len;
    int r = mmt__slurp(path, &text, &len, d);
    if (r == 0) {
        r = mmt_report_parse(detailed, path, text, len, res, cap, n, d);
        free(text);
    }
    return r;
}

int mmt_report_read(const char *dir, size_t cap, mmt_layer_result *res, size_t *n, mmt_diag *d)
{
    size_t nc, nd;
    memset(res, 0, cap * sizeof *res);
    int r = read_one(dir, mmt_output_name(MMT_OUT_COMPUTE_REPORT), 0, res, cap, &nc, d);
    if (r == 0)
        r = read_one(dir, mmt_output_name(MMT_OUT_DETAILED_REPORT), 1, res, cap, &nd, d);
    if (r == 0 && nc != nd)
        r = mmt__diag(d, MMT_EPARSE, dir, 0,
                      "COMPUTE_REPORT.csv has %zu layers, DETAILED_ACCESS_REPORT.csv %zu", nc, nd);
    *n = r == 0 ? nc : 0;
    return r;
}
