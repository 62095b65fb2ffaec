/*
 * config.c - reads SCALE-Sim v2 .cfg files with Python configparser's rules (doc/scalesim-v2.md
 * §2).
 *
 * configparser rules reproduced: "key = value" and "key: value" (the first '=' or ':' splits);
 * keys are case-insensitive, section names case-sensitive; whole-line comments start with '#'
 * or ';' (no inline comments); values are stripped; a line indented deeper than its option is a
 * continuation; [DEFAULT] keys are visible in every section; duplicate sections or options are
 * errors (strict mode); '%' is BasicInterpolation's escape. The parsed file is kept as a flat
 * list of entries with hash indexes over options and sections, and continuation lines append
 * to a growable value, so parsing is linear in the file even for hostile inputs (one value
 * continued over megabytes, tens of thousands of keys or sections).
 */
#include "internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct entry {
    const char *section; /* NULL for [DEFAULT]; points at the ini's own copy of the name */
    char *key;           /* lower-cased */
    char *value;         /* stripped; continuation lines joined with '\n' */
    size_t vlen, vcap;   /* value length and allocation: continuations append in O(1) */
    long line;
} entry;

/* An open-addressing hash index: slot holds 1 + an array index, 0 for an empty slot. Keeps
 * option and section lookups O(1), so a file with many keys parses in linear time. */
typedef struct hindex {
    size_t *slot;
    size_t cap; /* a power of two, or 0 */
} hindex;

typedef struct ini {
    entry *e;
    size_t n, cap;
    const char *file;
    char **sect; /* names of the sections seen (not DEFAULT) */
    size_t nsect, sectcap;
    hindex ekeys, skeys; /* indexes of e (by section and key) and of sect (by name) */
    long refs_left;      /* interpolation references one lookup may still expand */
} ini;

/* Most %(name)s references one value may expand, counting nested ones: each costs a lookup
 * and a scan, so this bounds the work of chains like a = %(b)s%(b)s..., b = %(c)s%(c)s...
 * (which configparser would expand for hours). Real configs use a handful. */
#define MAX_INTERPOLATIONS 65536

/* Frees every entry. */
static void ini_free(ini *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->e[i].key);
        free(p->e[i].value);
    }
    free(p->e);
    for (size_t i = 0; i < p->nsect; i++)
        free(p->sect[i]);
    free(p->sect);
    free(p->ekeys.slot);
    free(p->skeys.slot);
}

static char *dupn(const char *s, size_t n)
{
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = '\0';
    }
    return r;
}

/* FNV-1a of n bytes, continuing from h. */
static size_t hash_bytes(size_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * (size_t)1099511628211u;
    return h;
}

/* Hash of an option: its section's address (sections are interned) and its key. */
static size_t entry_hash(const char *section, const char *key, size_t kn)
{
    return hash_bytes((size_t)14695981039346656037u ^ (size_t)(uintptr_t)section, key, kn);
}

/* Makes room for one more of n items in ix, rehashing them with hash(i). */
static int hindex_reserve(hindex *ix, size_t n, size_t (*hash)(const ini *, size_t), const ini *p)
{
    if ((n + 1) * 2 <= ix->cap)
        return 0;
    size_t cap = ix->cap ? ix->cap * 2 : 64;
    size_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return MMT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t j = hash(p, i) & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = i + 1;
    }
    free(ix->slot);
    ix->slot = slot;
    ix->cap = cap;
    return 0;
}

static size_t ehash_at(const ini *p, size_t i)
{
    return entry_hash(p->e[i].section, p->e[i].key, strlen(p->e[i].key));
}

static size_t shash_at(const ini *p, size_t i)
{
    return hash_bytes((size_t)14695981039346656037u, p->sect[i], strlen(p->sect[i]));
}

/* The slot of ix where option (section, key[0..kn)) is, or the empty slot where it would go. */
static size_t entry_slot(const ini *p, const char *section, const char *key, size_t kn)
{
    size_t mask = p->ekeys.cap - 1, j = entry_hash(section, key, kn) & mask;
    for (size_t i; (i = p->ekeys.slot[j]) != 0; j = (j + 1) & mask) {
        const entry *x = &p->e[i - 1];
        if (x->section == section && !strncmp(x->key, key, kn) && !x->key[kn])
            return j;
    }
    return j;
}

/* The slot where section [s, s+n) is, or the empty slot where it would go. */
static size_t sect_slot(const ini *p, const char *s, size_t n)
{
    size_t mask = p->skeys.cap - 1;
    size_t j = hash_bytes((size_t)14695981039346656037u, s, n) & mask;
    for (size_t i; (i = p->skeys.slot[j]) != 0; j = (j + 1) & mask)
        if (!strncmp(p->sect[i - 1], s, n) && !p->sect[i - 1][n])
            return j;
    return j;
}

/* Finds an entry; section NULL means [DEFAULT], else one of p->sect (interned). */
static entry *find(ini *p, const char *section, const char *key)
{
    if (!p->ekeys.cap)
        return NULL;
    size_t i = p->ekeys.slot[entry_slot(p, section, key, strlen(key))];
    return i ? &p->e[i - 1] : NULL;
}

/* The interned name of section [s, s+n), or NULL if it has not been seen. */
static char *find_section(ini *p, const char *s, size_t n)
{
    if (!p->skeys.cap)
        return NULL;
    size_t i = p->skeys.slot[sect_slot(p, s, n)];
    return i ? p->sect[i - 1] : NULL;
}

/* Appends text to the value of x (a continuation line), growing it geometrically. */
static int append_value(entry *x, const char *s, size_t n)
{
    if (x->vlen + n + 2 > x->vcap) {
        size_t cap = x->vcap * 2;
        if (cap < x->vlen + n + 2)
            cap = x->vlen + n + 2;
        char *v = realloc(x->value, cap);
        if (!v)
            return MMT_ENOMEM;
        x->value = v;
        x->vcap = cap;
    }
    x->value[x->vlen] = '\n';
    memcpy(x->value + x->vlen + 1, s, n);
    x->vlen += n + 1;
    x->value[x->vlen] = '\0';
    return 0;
}

/* Adds key=value in section (NULL for DEFAULT, else interned); a duplicate is an error. */
static int add_entry(ini *p, const char *section, const char *ks, size_t kn, const char *vs,
                     size_t vn, long line, mmt_diag *d)
{
    char *key = dupn(ks, kn);
    if (!key)
        return MMT_ENOMEM;
    for (char *c = key; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (find(p, section, key)) {
        int r = mmt__diag(d, MMT_EPARSE, p->file, line, "duplicate option '%s' in section [%s]",
                          key, section ? section : "DEFAULT");
        free(key);
        return r;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        entry *ne = realloc(p->e, cap * sizeof *ne);
        if (!ne) {
            free(key);
            return MMT_ENOMEM;
        }
        p->e = ne;
        p->cap = cap;
    }
    if (hindex_reserve(&p->ekeys, p->n, ehash_at, p)) {
        free(key);
        return MMT_ENOMEM;
    }
    entry *x = &p->e[p->n];
    x->section = section;
    x->key = key;
    x->value = dupn(vs, vn);
    x->vlen = vn;
    x->vcap = vn + 1;
    x->line = line;
    if (!x->value) {
        free(x->key);
        return MMT_ENOMEM;
    }
    p->ekeys.slot[entry_slot(p, section, key, kn)] = ++p->n;
    return 0;
}

/* Records section [name, name+len) and points *out at its interned name; 1 if it was seen. */
static int seen_add(ini *p, const char *name, size_t len, char **out)
{
    if (find_section(p, name, len))
        return 1;
    if (p->nsect == p->sectcap) {
        size_t cap = p->sectcap ? p->sectcap * 2 : 8;
        char **nn = realloc(p->sect, cap * sizeof *nn);
        if (!nn)
            return MMT_ENOMEM;
        p->sect = nn;
        p->sectcap = cap;
    }
    if (hindex_reserve(&p->skeys, p->nsect, shash_at, p))
        return MMT_ENOMEM;
    if (!(p->sect[p->nsect] = dupn(name, len)))
        return MMT_ENOMEM;
    *out = p->sect[p->nsect];
    p->skeys.slot[sect_slot(p, name, len)] = ++p->nsect;
    return 0;
}

/* Handles one non-empty, non-comment line: a header, an option, or a continuation. */
static int parse_line(ini *p, char **cursect, int *in_section, entry **last, long *indent_level,
                      const char *ls, const char *le, long lineno, mmt_diag *d)
{
    const char *vs = ls, *ve = le;
    mmt__strip(&vs, &ve);
    long indent = (long)(vs - ls);
    if (*last && indent > *indent_level)
        return append_value(*last, vs, (size_t)(ve - vs));
    *indent_level = indent;
    if (*vs == '[') {
        const char *close = ve;
        while (close > vs + 1 && close[-1] != ']')
            close--;
        if (close > vs + 2) { /* "[x]": header is everything up to the last ']' */
            size_t n = (size_t)(close - 1 - (vs + 1));
            *last = NULL;
            *in_section = 1;
            if (n == 7 && memcmp(vs + 1, "DEFAULT", 7) == 0) {
                *cursect = NULL;
                return 0;
            }
            int r = seen_add(p, vs + 1, n, cursect);
            if (r == 1)
                return mmt__diag(d, MMT_EPARSE, p->file, lineno, "duplicate section [%.*s]", (int)n,
                                 vs + 1);
            return r;
        }
    }
    if (!*in_section)
        return mmt__diag(d, MMT_EPARSE, p->file, lineno,
                         "no section header before this line (expected e.g. [general])");
    const char *delim = vs;
    while (delim < ve && *delim != '=' && *delim != ':')
        delim++;
    const char *ke = delim;
    while (ke > vs && (ke[-1] == ' ' || ke[-1] == '\t'))
        ke--;
    if (delim == ve || ke == vs)
        return mmt__diag(d, MMT_EPARSE, p->file, lineno,
                         "expected 'key = value' or 'key: value', got '%.*s'", (int)(ve - vs), vs);
    const char *xs = delim + 1, *xe = ve;
    mmt__strip(&xs, &xe);
    int r = add_entry(p, *cursect, vs, (size_t)(ke - vs), xs, (size_t)(xe - xs), lineno, d);
    if (r == 0)
        *last = &p->e[p->n - 1];
    return r;
}

/* Whether a line is a whole-line comment (after leading whitespace). */
static int is_comment(const char *s, const char *e)
{
    while (s < e && mmt__py_space(*s))
        s++;
    return s < e && (*s == '#' || *s == ';');
}

/* Splits text into lines (mmt__line_next: universal newlines) and parses each. */
static int ini_parse(ini *p, const char *text, size_t len, mmt_diag *d)
{
    char *cursect = NULL;
    int in_section = 0, r = 0;
    entry *last = NULL;
    long indent_level = 0, lineno = 0, blanks = 0;
    mmt__lines L = {text, text + len, 0, 0};
    const char *s, *e;
    while (r == 0 && mmt__line_next(&L, &s, &e)) {
        lineno = L.no;
        if ((r = mmt__check_nul(d, p->file, lineno, s, e)) != 0)
            ;
        else if (is_comment(s, e))
            ; /* configparser: comment lines do not end a multi-line value */
        else {
            const char *vs = s, *ve = e;
            mmt__strip(&vs, &ve);
            if (vs == ve) {
                /* configparser (empty_lines_in_values): a blank line stays part of the value
                 * if an indented continuation follows; trailing ones are stripped. */
                if (last)
                    blanks++;
            } else {
                if (blanks && last && (long)(vs - s) > indent_level)
                    for (; blanks && r == 0; blanks--)
                        r = append_value(last, "", 0);
                blanks = 0;
                if (r == 0)
                    r = parse_line(p, &cursect, &in_section, &last, &indent_level, s, e, lineno, d);
            }
        }
    }
    return r;
}

/* Looks up key in section, then in [DEFAULT]. */
static entry *get(ini *p, const char *section, const char *key)
{
    const char *s = find_section(p, section, strlen(section));
    entry *x = s ? find(p, s, key) : NULL;
    return x ? x : find(p, NULL, key);
}

/* Applies BasicInterpolation to a value: %% -> %, %(name)s -> that option; anything else
 * after % is an error, as in configparser. Depth-limited like configparser (10). */
static int interpolate(ini *p, const char *section, const entry *x, int depth, char *out,
                       size_t cap, mmt_diag *d)
{
    size_t n = 0;
    if (depth > 10)
        return mmt__diag(d, MMT_EPARSE, p->file, x->line,
                         "interpolation of '%s' is too deeply nested", x->key);
    for (const char *s = x->value; *s; s++) {
        if (*s != '%') {
            if (n + 1 >= cap)
                return mmt__diag(d, MMT_EPARSE, p->file, x->line, "value of '%s' is too long",
                                 x->key);
            out[n++] = *s;
            continue;
        }
        if (s[1] == '%') {
            if (n + 1 >= cap)
                return mmt__diag(d, MMT_EPARSE, p->file, x->line, "value of '%s' is too long",
                                 x->key);
            out[n++] = '%';
            s++;
            continue;
        }
        const char *close = s[1] == '(' ? strstr(s, ")s") : NULL;
        if (!close)
            return mmt__diag(d, MMT_EPARSE, p->file, x->line,
                             "'%%' in the value of '%s' must be written '%%%%' (configparser "
                             "interpolation)",
                             x->key);
        char name[128];
        size_t nl = (size_t)(close - (s + 2));
        if (nl >= sizeof name)
            return mmt__diag(d, MMT_EPARSE, p->file, x->line, "bad interpolation in '%s'", x->key);
        for (size_t i = 0; i < nl; i++)
            name[i] = (char)tolower((unsigned char)s[2 + i]);
        name[nl] = '\0';
        if (--p->refs_left < 0)
            return mmt__diag(d, MMT_ERANGE, p->file, x->line,
                             "value of '%s' expands more than %d interpolation references", x->key,
                             MAX_INTERPOLATIONS);
        entry *ref = get(p, section, name);
        if (!ref)
            return mmt__diag(d, MMT_EPARSE, p->file, x->line, "'%s' refers to missing option '%s'",
                             x->key, name);
        int r = interpolate(p, section, ref, depth + 1, out + n, cap - n, d);
        if (r)
            return r;
        n += strlen(out + n);
        s = close + 1;
    }
    out[n] = '\0';
    return 0;
}

/* The spelling SCALE-Sim's own configs use for a (lower-cased) key, for messages. */
static const char *pretty(const char *key)
{
    static const char *const names[] = {"ArrayHeight",    "ArrayWidth",         "IfmapSramSzkB",
                                        "FilterSramSzkB", "OfmapSramSzkB",      "IfmapOffset",
                                        "FilterOffset",   "OfmapOffset",        "Bandwidth",
                                        "Dataflow",       "InterfaceBandwidth", "run_name"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcasecmp(names[i], key))
            return names[i];
    return key;
}

/* Fetches the interpolated value of a required key into buf. */
static int get_str(ini *p, const char *section, const char *key, char *buf, size_t cap, long *line,
                   mmt_diag *d)
{
    if (!find_section(p, section, strlen(section))) /* configparser: NoSectionError, even
                                                     * if [DEFAULT] has the key */
        return mmt__diag(d, MMT_EPARSE, p->file, 0, "missing section [%s]", section);
    entry *x = get(p, section, key);
    if (!x)
        return mmt__diag(d, MMT_EPARSE, p->file, 0, "missing key '%s' in section [%s]", pretty(key),
                         section);
    *line = x->line;
    p->refs_left = MAX_INTERPOLATIONS;
    return interpolate(p, section, x, 0, buf, cap, d);
}

/* What get_int accepts: > 0 (sizes), or an address offset (>= MMT_MIN_OFFSET). */
enum { INT_POSITIVE, INT_OFFSET };

/* Fetches a required integer key of the kind given (INT_POSITIVE or INT_OFFSET). */
static int get_int(ini *p, const char *key, int kind, int64_t *out, mmt_diag *d)
{
    char buf[512];
    long line = 0;
    int r = get_str(p, "architecture_presets", key, buf, sizeof buf, &line, d);
    if (r)
        return r;
    r = mmt__parse_i64(buf, strlen(buf), out);
    if (r == MMT_EOVERFLOW)
        return mmt__diag(d, MMT_EOVERFLOW, p->file, line, "%s = %s overflows 64 bits", pretty(key),
                         buf);
    if (r)
        return mmt__diag(d, MMT_EPARSE, p->file, line, "%s: expected an integer, got '%s'",
                         pretty(key), buf);
    if (kind == INT_POSITIVE && *out <= 0)
        return mmt__diag(d, MMT_ERANGE, p->file, line, "%s = %s: must be positive", pretty(key),
                         buf);
    /* SCALE-Sim v2 and v3 take any int() here; a negative offset gives negative addresses
     * (doc/scalesim-v2.md §4.1). Below -2^53 its float64 demand matrices round them. */
    if (kind == INT_OFFSET && *out < MMT_MIN_OFFSET)
        return mmt__diag(d, MMT_ERANGE, p->file, line,
                         "%s = %s: below -2^53 = %" PRId64 ", where SCALE-Sim's float64 "
                         "address matrices no longer hold every address exactly",
                         pretty(key), buf, MMT_MIN_OFFSET);
    return 0;
}

/* Reads the Bandwidth list: int() of each comma-separated item; only the first is used. */
static int get_bandwidth(ini *p, mmt_config *cfg, mmt_diag *d, mmt_warn_fn warn, void *ud)
{
    char buf[512];
    long line = 0;
    int r = get_str(p, "architecture_presets", "bandwidth", buf, sizeof buf, &line, d);
    if (r)
        return r;
    int count = 0;
    for (char *s = buf;; count++) {
        char *comma = strchr(s, ',');
        const char *fs = s, *fe = comma ? comma : s + strlen(s);
        mmt__strip(&fs, &fe);
        int64_t v;
        r = mmt__parse_i64(fs, (size_t)(fe - fs), &v);
        if (r)
            return mmt__diag(d, r == MMT_EOVERFLOW ? MMT_EOVERFLOW : MMT_EPARSE, p->file, line,
                             "Bandwidth: expected a comma-separated list of integers, got '%s'",
                             buf);
        if (count == 0) {
            if (v <= 0)
                return mmt__diag(d, MMT_ERANGE, p->file, line,
                                 "Bandwidth = %" PRId64 ": must be positive", v);
            if (v > MMT_MAX_BANDWIDTH) /* the buffers hold rows of Bandwidth words */
                return mmt__diag(d, MMT_ERANGE, p->file, line,
                                 "Bandwidth = %" PRId64 ": at most %" PRId64
                                 " words per cycle (a DRAM trace row is that wide)",
                                 v, MMT_MAX_BANDWIDTH);
            cfg->bandwidth = v;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    if (count > 0)
        mmt__warn(warn, ud, p->file, line,
                  "Bandwidth has %d values; SCALE-Sim v2 uses only the first (%" PRId64 ")",
                  count + 1, cfg->bandwidth);
    return 0;
}

/* Checks that KB sizes convert to words without overflow. */
static int check_kb(ini *p, const char *key, int64_t kb, mmt_diag *d)
{
    int64_t words;
    if (mmt__mul(kb, 1024, &words))
        return mmt__diag(d, MMT_EOVERFLOW, p->file, get(p, "architecture_presets", key)->line,
                         "%s = %" PRId64 " KB overflows 64 bits in words", pretty(key), kb);
    return 0;
}

/* Checks an array side against the documented cap (a trace row is that wide). */
static int check_side(ini *p, const char *key, int64_t v, mmt_diag *d)
{
    if (v > MMT_MAX_ARRAY_DIM)
        return mmt__diag(d, MMT_ERANGE, p->file, get(p, "architecture_presets", key)->line,
                         "%s = %" PRId64 ": at most %d PEs per side", pretty(key), v,
                         MMT_MAX_ARRAY_DIM);
    return 0;
}

/* Reads every key SCALE-Sim v2 reads from the parsed file. */
static int fill_config(ini *p, mmt_config *cfg, mmt_diag *d, mmt_warn_fn warn, void *ud)
{
    char buf[512];
    long line = 0;
    int r;
    memset(cfg, 0, sizeof *cfg);
    if ((r = get_str(p, "general", "run_name", cfg->run_name, sizeof cfg->run_name, &line, d)))
        return r;
    if (!cfg->run_name[0] || strchr(cfg->run_name, '/') || strchr(cfg->run_name, '\n') ||
        !strcmp(cfg->run_name, ".") || !strcmp(cfg->run_name, ".."))
        return mmt__diag(d, MMT_ERANGE, p->file, line,
                         "run_name '%s' cannot be used as one directory name", cfg->run_name);
    if ((r = get_str(p, "run_presets", "interfacebandwidth", buf, sizeof buf, &line, d)))
        return r;
    if (strcmp(buf, "USER") && strcmp(buf, "CALC"))
        return mmt__diag(d, MMT_ERANGE, p->file, line,
                         "InterfaceBandwidth '%s': expected USER or CALC", buf);
    cfg->user_bw = !strcmp(buf, "USER");
    if ((r = get_int(p, "arrayheight", INT_POSITIVE, &cfg->array_h, d)) ||
        (r = get_int(p, "arraywidth", INT_POSITIVE, &cfg->array_w, d)) ||
        (r = check_side(p, "arrayheight", cfg->array_h, d)) ||
        (r = check_side(p, "arraywidth", cfg->array_w, d)) ||
        (r = get_int(p, "ifmapsramszkb", INT_POSITIVE, &cfg->ifmap_kb, d)) ||
        (r = get_int(p, "filtersramszkb", INT_POSITIVE, &cfg->filter_kb, d)) ||
        (r = get_int(p, "ofmapsramszkb", INT_POSITIVE, &cfg->ofmap_kb, d)) ||
        (r = get_int(p, "ifmapoffset", INT_OFFSET, &cfg->ifmap_offset, d)) ||
        (r = get_int(p, "filteroffset", INT_OFFSET, &cfg->filter_offset, d)) ||
        (r = get_int(p, "ofmapoffset", INT_OFFSET, &cfg->ofmap_offset, d)) ||
        (r = check_kb(p, "ifmapsramszkb", cfg->ifmap_kb, d)) ||
        (r = check_kb(p, "filtersramszkb", cfg->filter_kb, d)) ||
        (r = check_kb(p, "ofmapsramszkb", cfg->ofmap_kb, d)))
        return r;
    if ((r = get_str(p, "architecture_presets", "dataflow", buf, sizeof buf, &line, d)))
        return r;
    if (!strcmp(buf, "os"))
        cfg->dataflow = MMT_DF_OS;
    else if (!strcmp(buf, "ws"))
        cfg->dataflow = MMT_DF_WS;
    else if (!strcmp(buf, "is"))
        cfg->dataflow = MMT_DF_IS;
    else /* SCALE-Sim v2 only warns and runs os; we refuse instead of guessing. */
        return mmt__diag(d, MMT_ERANGE, p->file, line,
                         "Dataflow '%s': expected os, ws or is (SCALE-Sim v2 would silently "
                         "run os)",
                         buf);
    if (cfg->user_bw)
        return get_bandwidth(p, cfg, d, warn, ud);
    return 0;
}

/* Reads one width key of [precision] (optional: absent keeps the default, 8 bits). */
static int get_bits(ini *p, const char *key, const char *pretty_key, int32_t *out, mmt_diag *d)
{
    char buf[512];
    long line = 0;
    if (!get(p, "precision", key))
        return 0;
    int r = get_str(p, "precision", key, buf, sizeof buf, &line, d);
    if (r)
        return r;
    r = mmt_precision_parse_bits(buf, strlen(buf), out);
    if (r == MMT_EPARSE)
        return mmt__diag(d, r, p->file, line,
                         "%s: expected a number of bits such as 2 or 1.58 (at most three "
                         "decimals), got '%s'",
                         pretty_key, buf);
    if (r)
        return mmt__diag(d, r, p->file, line, "%s = %s: must be from 1 to 32 bits", pretty_key,
                         buf);
    return 0;
}

/* Checks that an operand's SRAM size and bandwidth in elements of its width are usable. */
static int check_width(ini *p, const mmt_config *cfg, mmt_operand op, const char *key,
                       const char *pretty_key, mmt_diag *d)
{
    static const char *const kbkey[3] = {"IfmapSramSzkB", "FilterSramSzkB", "OfmapSramSzkB"};
    int32_t bits = mmt_precision_bits(cfg, op);
    long line = get(p, "precision", key) ? get(p, "precision", key)->line : 0;
    int64_t n;
    if (mmt_precision_sram_elems(cfg, op, &n))
        return mmt__diag(d, MMT_EOVERFLOW, p->file, line,
                         "%s = %g: %s holds more than 2^63-1 elements of that width", pretty_key,
                         bits / 1000.0, kbkey[op]);
    if (cfg->user_bw && mmt_precision_dram_bw(cfg, op, &n))
        return mmt__diag(d, MMT_ERANGE, p->file, line,
                         "%s = %g: Bandwidth %" PRId64 " bytes/cycle moves less than one element "
                         "of that width per cycle",
                         pretty_key, bits / 1000.0, cfg->bandwidth);
    return 0;
}

/* An mmtrace section's keys (lower case, as the reader stores them) are exactly keys[0..2]:
 * the first entry of section sect with another key is an error naming the expected ones. */
static int check_keys(const ini *p, const char *sect, const char *const keys[3],
                      const char *expected, mmt_diag *d)
{
    for (size_t k = 0; k < p->n; k++) {
        const entry *x = &p->e[k];
        if (x->section && !strcmp(x->section, sect) && strcmp(x->key, keys[0]) &&
            strcmp(x->key, keys[1]) && strcmp(x->key, keys[2]))
            return mmt__diag(d, MMT_EPARSE, p->file, x->line,
                             "unknown key '%s' in section [%s] (expected %s)", x->key, sect,
                             expected);
    }
    return 0;
}

/* Reads the optional [precision] section (operand widths; an mmtrace extension that SCALE-Sim
 * ignores). An unknown key there is an error, so that a misspelt width is not silently 8. */
static int get_precision(ini *p, mmt_config *cfg, mmt_diag *d)
{
    static const char *const keys[3] = {"ifmapbits", "filterbits", "ofmapbits"};
    static const char *const pretty_keys[3] = {"IfmapBits", "FilterBits", "OfmapBits"};
    size_t i = 0;
    while (i < p->nsect && strcmp(p->sect[i], "precision"))
        i++;
    if (i == p->nsect)
        return 0;
    int r = check_keys(p, "precision", keys, "IfmapBits, FilterBits or OfmapBits", d);
    if (r)
        return r;
    cfg->has_precision = 1;
    for (int op = 0; op < 3; op++) {
        r = get_bits(p, keys[op], pretty_keys[op], &cfg->bits_milli[op], d);
        if (r == 0)
            r = check_width(p, cfg, (mmt_operand)op, keys[op], pretty_keys[op], d);
        if (r)
            return r;
    }
    return 0;
}

static int src_has_section(void *ctx, const char *section);

int mmt_memory_parse(const char *s, int *out)
{
    if (!strcmp(s, "scalesim"))
        *out = MMT_MEM_SCALESIM;
    else if (!strcmp(s, "stream"))
        *out = MMT_MEM_STREAM;
    else
        return MMT_EINVAL;
    return 0;
}

const char *mmt_memory_name(int policy)
{
    return policy == MMT_MEM_STREAM ? "stream" : "scalesim";
}

/* Parses a clock in MHz: a finite decimal above 0 and at most 10^6. */
static int parse_mhz(const char *s, double *out)
{
    double v;
    if (!*s || !strchr("0123456789.", *s))
        return MMT_EPARSE;
    if (mmt__parse_double(s, &v) != 0 || !(v > 0) || v > 1e6)
        return MMT_ERANGE;
    *out = v;
    return 0;
}

/* The consistency rules of [memory]: a stream policy needs a bandwidth, Dram a clock. */
static const char *memory_problem(const mmt_config *cfg)
{
    if (cfg->dram_path[0] && cfg->mem_policy != MMT_MEM_STREAM)
        return "Dram is the memory of Policy = stream (SCALE-Sim's policy has its own)";
    if (cfg->dram_path[0] && cfg->clock_mhz <= 0)
        return "Dram needs ClockMHz (the array clock converts DRAM time into cycles)";
    if (cfg->mem_policy == MMT_MEM_STREAM && !cfg->dram_path[0] &&
        (!cfg->user_bw || cfg->bandwidth <= 0))
        return "Policy = stream needs Dram, or InterfaceBandwidth USER and its Bandwidth (the "
               "ideal memory's bytes per cycle)";
    return NULL;
}

/* Dram's file name relative to the folder of the cfg `name`, into out. */
static int resolve_dram(const char *name, const char *file, char *out, size_t cap)
{
    const char *slash = strrchr(name, '/');
    int n = file[0] == '/' || !slash
                ? snprintf(out, cap, "%s", file)
                : snprintf(out, cap, "%.*s/%s", (int)(slash - name), name, file);
    return n < 0 || (size_t)n >= cap ? MMT_ERANGE : 0;
}

/* Reads the optional [memory] section (Policy, Dram, ClockMHz; doc/memory.md), an mmtrace
 * extension that SCALE-Sim ignores. An unknown key there is an error. */
static int get_memory(ini *p, mmt_config *cfg, mmt_diag *d)
{
    static const char *const keys[3] = {"policy", "dram", "clockmhz"};
    if (!src_has_section(p, "memory"))
        return 0;
    int r = check_keys(p, "memory", keys, "Policy, Dram or ClockMHz", d);
    if (r)
        return r;
    char buf[1024];
    long line = 0;
    cfg->has_memory = 1;
    if (get(p, "memory", "policy")) {
        if ((r = get_str(p, "memory", "policy", buf, sizeof buf, &line, d)))
            return r;
        if (mmt_memory_parse(buf, &cfg->mem_policy))
            return mmt__diag(d, MMT_ERANGE, p->file, line,
                             "Policy '%s': expected scalesim or stream", buf);
    }
    if (get(p, "memory", "clockmhz")) {
        if ((r = get_str(p, "memory", "clockmhz", buf, sizeof buf, &line, d)))
            return r;
        if (parse_mhz(buf, &cfg->clock_mhz))
            return mmt__diag(d, MMT_ERANGE, p->file, line,
                             "ClockMHz '%s': expected a clock in MHz above 0 and at most 10^6",
                             buf);
    }
    if (get(p, "memory", "dram")) {
        if ((r = get_str(p, "memory", "dram", buf, sizeof buf, &line, d)))
            return r;
        if (!buf[0] || resolve_dram(p->file, buf, cfg->dram_path, sizeof cfg->dram_path))
            return mmt__diag(d, MMT_ERANGE, p->file, line, "Dram '%s': not a usable file name",
                             buf);
    }
    const char *bad = memory_problem(cfg);
    if (bad)
        return mmt__diag(d, MMT_EINVAL, p->file, 0, "[memory]: %s", bad);
    return 0;
}

int mmt_config_set_memory(mmt_config *cfg, int policy, const char *dram, double clock_mhz,
                          mmt_diag *diag)
{
    if (policy >= 0)
        cfg->mem_policy = policy, cfg->has_memory = 1;
    if (dram) {
        if (snprintf(cfg->dram_path, sizeof cfg->dram_path, "%s", dram) >=
            (int)sizeof cfg->dram_path)
            return mmt__diag(diag, MMT_EINVAL, "", 0, "--dram: file name too long");
        cfg->has_memory = 1;
    }
    if (clock_mhz > 0)
        cfg->clock_mhz = clock_mhz, cfg->has_memory = 1;
    const char *bad = memory_problem(cfg);
    return bad ? mmt__diag(diag, MMT_EINVAL, "", 0, "%s", bad) : 0;
}

/* Whether the file has [section]. */
static int src_has_section(void *ctx, const char *section)
{
    ini *p = ctx;
    for (size_t i = 0; i < p->nsect; i++)
        if (!strcmp(p->sect[i], section))
            return 1;
    return 0;
}

/* Lower-cases key into buf (configparser keys are case-insensitive). */
static const char *lower_key(const char *key, char *buf, size_t cap)
{
    size_t i = 0;
    for (; key[i] && i + 1 < cap; i++)
        buf[i] = (char)tolower((unsigned char)key[i]);
    buf[i] = '\0';
    return buf;
}

/* mmt__cfg_src.get for config_v3.c. Missing-key messages keep the caller's spelling. */
static int src_get(void *ctx, const char *section, const char *key, char *buf, size_t cap,
                   long *line, mmt_diag *d)
{
    char lk[128];
    int r = get_str(ctx, section, lower_key(key, lk, sizeof lk), buf, cap, line, d);
    if (r && d && get(ctx, section, lk) == NULL && src_has_section(ctx, section))
        mmt__diag(d, r, ((ini *)ctx)->file, 0, "missing key '%s' in section [%s]", key, section);
    return r;
}

/* mmt__cfg_src.has for config_v3.c. */
static int src_has(void *ctx, const char *section, const char *key)
{
    char lk[128];
    return src_has_section(ctx, section) &&
           (!key || find(ctx, section, lower_key(key, lk, sizeof lk)) != NULL);
}

int mmt_config_parse_version(const char *name, const char *text, size_t len, mmt_scalesim v,
                             mmt_config *cfg, mmt_diag *diag, mmt_warn_fn warn, void *ud)
{
    ini p = {.file = name};
    size_t bom = mmt__bom_len(text, len);
    /* Decision (README "Bad input"): a UTF-8 byte-order mark is skipped with a warning.
     * SCALE-Sim v2 reads the file as UTF-8 without -sig, so configparser sees '\ufeff[general]'
     * and fails with "File contains no section headers"; the mark is invisible in editors. */
    if (bom)
        mmt__warn(warn, ud, name, 1,
                  "UTF-8 byte-order mark skipped (SCALE-Sim v2 rejects this file: its "
                  "configparser finds no section header)");
    int r = ini_parse(&p, text + bom, len - bom, diag);
    if (r == MMT_ENOMEM)
        mmt__diag(diag, r, name, 0, "out of memory");
    if (r == 0)
        r = fill_config(&p, cfg, diag, warn, ud);
    if (r == 0) { /* SCALE-Sim v3's extra keys: config_v3.c */
        mmt__cfg_src src = {&p, name, src_get, src_has};
        cfg->version = v;
        cfg->v3_format = mmt__config_v3_format(&src);
        if (v == MMT_SCALESIM_V3)
            r = mmt__config_v3_fill(&src, cfg, diag);
        else if (cfg->v3_format)
            mmt__warn(warn, ud, name, 0,
                      "this cfg is in SCALE-Sim v3's format; the outputs follow SCALE-Sim v2 "
                      "and differ from what v3 prints; use --scalesim=v3");
    }
    if (r == 0)
        r = get_precision(&p, cfg, diag);
    if (r == 0)
        r = get_memory(&p, cfg, diag);
    if (r == 0 && cfg->has_memory && v == MMT_SCALESIM_V3)
        r = mmt__diag(diag, MMT_EINVAL, name, 0,
                      "[memory]: memory policies are not supported with --scalesim=v3");
    if (r == 0 && cfg->has_precision && v == MMT_SCALESIM_V3)
        r = mmt__diag(diag, MMT_EINVAL, name, 0,
                      "[precision]: operand widths are not supported with --scalesim=v3");
    ini_free(&p);
    return r;
}

int mmt_config_parse(const char *name, const char *text, size_t len, mmt_config *cfg,
                     mmt_diag *diag, mmt_warn_fn warn, void *ud)
{
    return mmt_config_parse_version(name, text, len, MMT_SCALESIM_V2, cfg, diag, warn, ud);
}

int mmt_config_read_version(const char *path, mmt_scalesim v, mmt_config *cfg, mmt_diag *diag,
                            mmt_warn_fn warn, void *ud)
{
    char *text;
    size_t len;
    int r = mmt__slurp(path, &text, &len, diag);
    if (r)
        return r;
    r = mmt_config_parse_version(path, text, len, v, cfg, diag, warn, ud);
    free(text);
    return r;
}

int mmt_config_read(const char *path, mmt_config *cfg, mmt_diag *diag, mmt_warn_fn warn, void *ud)
{
    return mmt_config_read_version(path, MMT_SCALESIM_V2, cfg, diag, warn, ud);
}

const char *mmt_dataflow_name(mmt_dataflow df)
{
    return df == MMT_DF_WS ? "ws" : df == MMT_DF_IS ? "is" : "os";
}
