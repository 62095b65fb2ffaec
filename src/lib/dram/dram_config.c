/*
 * dram_config.c - reads DRAMsim3's .ini files (mmt_dram_config_read/parse) as DRAMsim3 2981759
 * does: its bundled inih reader (INIReader.h) for the text, then Config's defaults, integer
 * truncations and derived values (configuration.cc). Where DRAMsim3 would crash, divide by
 * zero or silently use garbage, the file is refused with FILE[:LINE]: message (doc/dram.md).
 */
#include "dram_internal.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>

/* ---------------------------------------------------------------- the ini text */

/* One key's value as inih hands it over: section and name lower-cased into key. */
typedef struct ini_kv {
    char *key;   /* "section=name", lower case */
    char *value; /* the values of every definition, joined by "\n" */
    long line;   /* physical line of the last definition */
} ini_kv;

typedef struct ini {
    const char *file;
    ini_kv *kv;
    size_t n, cap;
    char **sections; /* sections seen, lower case */
    size_t nsec, capsec;
} ini;

static void ini_free(ini *I)
{
    for (size_t i = 0; i < I->n; i++)
        free(I->kv[i].key), free(I->kv[i].value);
    for (size_t i = 0; i < I->nsec; i++)
        free(I->sections[i]);
    free(I->kv);
    free(I->sections);
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static ini_kv *ini_find(const ini *I, const char *key)
{
    for (size_t i = 0; i < I->n; i++)
        if (!strcmp(I->kv[i].key, key))
            return &I->kv[i];
    return NULL;
}

/* inih's handler: DRAMsim3's INIReader::ValueHandler. */
static int ini_set(ini *I, const char *section, const char *name, const char *value, long line)
{
    char *key = mmt__xfmt("%s=%s", section, name);
    if (!key)
        return MMT_ENOMEM;
    lower(key);
    ini_kv *kv = ini_find(I, key);
    if (kv) {
        free(key);
        /* DRAMsim3: a key defined twice (or continued on an indented line) keeps every value,
         * joined by a newline; a number then reads as the first one. */
        char *v = *kv->value ? mmt__xfmt("%s\n%s", kv->value, value) : strdup(value);
        if (!v)
            return MMT_ENOMEM;
        free(kv->value);
        kv->value = v;
        kv->line = line;
        return 0;
    }
    if (I->n == I->cap) {
        size_t nc = I->cap ? I->cap * 2 : 64;
        ini_kv *nk = realloc(I->kv, nc * sizeof *nk);
        if (!nk) {
            free(key);
            return MMT_ENOMEM;
        }
        I->kv = nk, I->cap = nc;
    }
    char *v = strdup(value);
    if (!v) {
        free(key);
        return MMT_ENOMEM;
    }
    I->kv[I->n++] = (ini_kv){key, v, line};
    return 0;
}

static int ini_add_section(ini *I, const char *name)
{
    char *s = strdup(name);
    if (!s)
        return MMT_ENOMEM;
    lower(s);
    for (size_t i = 0; i < I->nsec; i++)
        if (!strcmp(I->sections[i], s)) {
            free(s);
            return 0;
        }
    if (I->nsec == I->capsec) {
        size_t nc = I->capsec ? I->capsec * 2 : 8;
        char **ns = realloc(I->sections, nc * sizeof *ns);
        if (!ns) {
            free(s);
            return MMT_ENOMEM;
        }
        I->sections = ns, I->capsec = nc;
    }
    I->sections[I->nsec++] = s;
    return 0;
}

static char *rstrip(char *s)
{
    char *p = s + strlen(s);
    while (p > s && isspace((unsigned char)p[-1]))
        *--p = '\0';
    return s;
}

static char *lskip(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

/* inih's find_chars_or_comment: the first of chars, or a ';' that follows whitespace. */
static char *find_or_comment(char *s, const char *chars)
{
    int was_space = 0;
    while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
        was_space = isspace((unsigned char)*s);
        s++;
    }
    return s;
}

/* State of inih's line loop. */
typedef struct ini_state {
    char section[50];   /* DRAMsim3: inih keeps at most 49 characters of a section name */
    char prev_name[50]; /* ... and of the name an indented line continues */
} ini_state;

/* One line as inih's fgets hands it over (chunk, at most 199 bytes). tail: a later piece of
 * a physical line longer than that, whose malformation DRAMsim3 ignores as we do. */
static int ini_chunk(ini *I, ini_state *S, char *line, long lineno, int first, int tail,
                     mmt_diag *d)
{
    char *start = line;
    if (first && !memcmp(start, "\xef\xbb\xbf", 3))
        start += 3;
    start = lskip(rstrip(start));
    if (*start == ';' || *start == '#')
        return 0;
    if (*S->prev_name && *start && start > line) {
        /* DRAMsim3: an indented line continues the previous key's value (inih's multiline). */
        char *end = find_or_comment(start, NULL);
        *end = '\0';
        rstrip(start);
        return ini_set(I, S->section, S->prev_name, start, lineno);
    }
    if (*start == '[') {
        char *end = find_or_comment(start + 1, "]");
        if (*end == ']') {
            *end = '\0';
            snprintf(S->section, sizeof S->section, "%s", start + 1);
            *S->prev_name = '\0';
            return ini_add_section(I, S->section);
        }
        if (tail)
            return 0;
        return mmt__diag(d, MMT_EPARSE, I->file, lineno, "no ']' closes the section name");
    }
    if (!*start)
        return 0;
    char *end = find_or_comment(start, "=:");
    if (*end != '=' && *end != ':') {
        if (tail)
            return 0; /* DRAMsim3 ignores inih's errors */
        return mmt__diag(d, MMT_EPARSE, I->file, lineno,
                         "expected `key = value`, a [section] or a ; comment");
    }
    *end = '\0';
    char *name = rstrip(start);
    char *value = lskip(end + 1);
    char *c = find_or_comment(value, NULL);
    *c = '\0';
    rstrip(value);
    snprintf(S->prev_name, sizeof S->prev_name, "%s", name);
    return ini_set(I, S->section, name, value, lineno);
}

/* Splits text into inih's lines: fgets with a 200-byte buffer, so a physical line longer
 * than 199 bytes reaches inih as several. */
static int ini_read(ini *I, const char *text, size_t len, mmt_diag *d)
{
    ini_state S;
    memset(&S, 0, sizeof S);
    char buf[200];
    size_t pos = 0;
    long phys = 0;
    int first = 1;
    while (pos < len) {
        phys++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t lend = nl ? (size_t)(nl - text) + 1 : len; /* end of the physical line */
        int r = mmt__check_nul(d, I->file, phys, text + pos, text + lend);
        if (r)
            return r;
        int tail = 0;
        while (pos < lend) {
            size_t k = lend - pos < sizeof buf - 1 ? lend - pos : sizeof buf - 1;
            memcpy(buf, text + pos, k);
            buf[k] = '\0';
            pos += k;
            r = ini_chunk(I, &S, buf, phys, first, tail, d);
            if (r)
                return r;
            first = 0;
            tail = 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- typed look-ups */

typedef struct getter {
    const ini *I;
    mmt_diag *d;
    int err;
} getter;

/* INIReader::Get: the value, or NULL when the key is absent. */
static const ini_kv *get(const getter *g, const char *sec, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "%s=%s", sec, name);
    lower(key);
    return ini_find(g->I, key);
}

static int fail(getter *g, int err, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(getter *g, int err, long line, const char *fmt, ...)
{
    if (g->err)
        return g->err;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    g->err = mmt__diag(g->d, err, g->I->file, line, "%s", msg);
    return g->err;
}

/* Config::GetInteger: strtol with base 0 (so 0x10 is 16 and 010 is 8) of the value's
 * beginning, the default when it has no number at all. DRAMsim3 then truncates the long to an
 * int; we refuse a value outside int, and a value with no number (DRAMsim3 would quietly use
 * the default). lo is the least value the model can run with. */
static int get_int(getter *g, const char *sec, const char *name, int def, long lo)
{
    const ini_kv *kv = get(g, sec, name);
    if (!kv || !*kv->value)
        return def;
    char *end;
    long v = strtol(kv->value, &end, 0); /* an overflow gives LONG_MIN/MAX: outside int too */
    if (end == kv->value) {
        fail(g, MMT_EPARSE, kv->line, "[%s] %s: expected an integer, got '%s'", sec, name,
             kv->value);
        return def;
    }
    if (v < INT_MIN || v > INT_MAX || v < lo) {
        fail(g, MMT_ERANGE, kv->line, "[%s] %s: %s is out of range (%ld to %d)", sec, name,
             kv->value, lo, INT_MAX);
        return def;
    }
    return (int)v;
}

/* INIReader::GetReal: strtod of the value's beginning; refused unless finite. */
static double get_real(getter *g, const char *sec, const char *name, double def)
{
    const ini_kv *kv = get(g, sec, name);
    if (!kv || !*kv->value)
        return def;
    char *end;
    double v = strtod(kv->value, &end);
    if (end == kv->value) {
        fail(g, MMT_EPARSE, kv->line, "[%s] %s: expected a number, got '%s'", sec, name, kv->value);
        return def;
    }
    if (!isfinite(v)) {
        fail(g, MMT_ERANGE, kv->line, "[%s] %s: %s is not a finite number", sec, name, kv->value);
        return def;
    }
    return v;
}

/* INIReader::GetBoolean: true/yes/on/1 or false/no/off/0, any case. DRAMsim3 takes anything
 * else as the default; we refuse it. */
static int get_bool(getter *g, const char *sec, const char *name, int def)
{
    const ini_kv *kv = get(g, sec, name);
    if (!kv || !*kv->value)
        return def;
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(kv->value, yes[i]))
            return 1;
        if (!strcasecmp(kv->value, no[i]))
            return 0;
    }
    fail(g, MMT_EPARSE, kv->line, "[%s] %s: expected true or false, got '%s'", sec, name,
         kv->value);
    return def;
}

/* INIReader::Get for a string: the value (NULL when absent) and its line. */
static const char *get_str(getter *g, const char *sec, const char *name, const char *def,
                           long *line)
{
    const ini_kv *kv = get(g, sec, name);
    *line = kv ? kv->line : 0;
    return kv ? kv->value : def;
}

/* DRAMsim3's LogBase2: floor(log2(n)) for n >= 1, 0 below. */
static int log2i(int n)
{
    int i = 0;
    while (n > 1) {
        n /= 2;
        i++;
    }
    return i;
}

/* ---------------------------------------------------------------- Config's steps */

static const char *const protocol_names[] = {"DDR3",  "DDR4",   "GDDR5",  "GDDR5X", "GDDR6",
                                             "LPDDR", "LPDDR3", "LPDDR4", "HBM",    "HBM2"};

/* InitSystemParams. */
static void init_system(getter *g, mmt_dram_config *c)
{
    long line;
    c->channel_size = get_int(g, "system", "channel_size", 1024, INT_MIN);
    c->channels = get_int(g, "system", "channels", 1, 1);
    c->bus_width = get_int(g, "system", "bus_width", 64, 8);
    const char *q = get_str(g, "system", "queue_structure", "PER_BANK", &line);
    if (!strcmp(q, "PER_RANK"))
        c->per_rank_queues = 1;
    else if (strcmp(q, "PER_BANK"))
        fail(g, MMT_EPARSE, line,
             "[system] queue_structure: expected PER_BANK or PER_RANK, got '%s'", q);
    const char *p = get_str(g, "system", "row_buf_policy", "OPEN_PAGE", &line);
    /* DRAMsim3 takes anything but CLOSE_PAGE as OPEN_PAGE; we refuse other spellings. */
    if (!strcmp(p, "CLOSE_PAGE"))
        c->close_page = 1;
    else if (strcmp(p, "OPEN_PAGE"))
        fail(g, MMT_EPARSE, line,
             "[system] row_buf_policy: expected OPEN_PAGE or CLOSE_PAGE, got '%s'", p);
    c->cmd_queue_size = get_int(g, "system", "cmd_queue_size", 16, 1);
    c->trans_queue_size = get_int(g, "system", "trans_queue_size", 32, 1);
    c->unified_queue = get_bool(g, "system", "unified_queue", 0);
    /* DRAMsim3: write_buf_size is read but unused; the write buffer holds trans_queue_size. */
    (void)get_int(g, "system", "write_buf_size", 16, INT_MIN);
    const char *r = get_str(g, "system", "refresh_policy", "RANK_LEVEL_STAGGERED", &line);
    if (!strcmp(r, "RANK_LEVEL_SIMULTANEOUS"))
        c->refresh_policy = MMT__REF_RANK_SIMUL;
    else if (!strcmp(r, "RANK_LEVEL_STAGGERED"))
        c->refresh_policy = MMT__REF_RANK_STAG;
    else if (!strcmp(r, "BANK_LEVEL_STAGGERED"))
        c->refresh_policy = MMT__REF_BANK_STAG;
    else
        fail(g, MMT_EPARSE, line,
             "[system] refresh_policy: expected RANK_LEVEL_SIMULTANEOUS, RANK_LEVEL_STAGGERED or "
             "BANK_LEVEL_STAGGERED, got '%s'",
             r);
    c->enable_self_refresh = get_bool(g, "system", "enable_self_refresh", 0);
    c->sref_threshold = get_int(g, "system", "sref_threshold", 1000, INT_MIN);
    (void)get_bool(g, "system", "aggressive_precharging_enabled", 0); /* DRAMsim3: unused */
}

/* InitDRAMParams. */
static void init_dram(getter *g, mmt_dram_config *c, long *proto_line)
{
    const char *p = get_str(g, "dram_structure", "protocol", NULL, proto_line);
    if (!p) {
        fail(g, MMT_EPARSE, 0, "[dram_structure] has no protocol (DRAMsim3 would assume DDR3)");
        return;
    }
    int found = -1;
    for (int i = 0; i < (int)(sizeof protocol_names / sizeof *protocol_names); i++)
        if (!strcmp(p, protocol_names[i]))
            found = i;
    if (found < 0) {
        if (!strcmp(p, "HMC"))
            fail(g, MMT_EINVAL, *proto_line,
                 "[dram_structure] protocol: HMC is not modelled (only DRAMsim3's JEDEC "
                 "protocols: DDR3, DDR4, LPDDR, LPDDR3, LPDDR4, GDDR5, GDDR5X, GDDR6, HBM, HBM2)");
        else
            fail(g, MMT_EPARSE, *proto_line,
                 "[dram_structure] protocol: unknown protocol '%s' (DDR3, DDR4, LPDDR, LPDDR3, "
                 "LPDDR4, GDDR5, GDDR5X, GDDR6, HBM or HBM2)",
                 p);
        return;
    }
    c->protocol = (mmt__dram_protocol)found;
    c->bankgroups = get_int(g, "dram_structure", "bankgroups", 2, 1);
    c->banks_per_group = get_int(g, "dram_structure", "banks_per_group", 2, 1);
    if (!get_bool(g, "dram_structure", "bankgroup_enable", 1)) {
        /* DRAMsim3: bankgroup_enable = false folds every bank into one group. */
        c->banks_per_group *= c->bankgroups;
        c->bankgroups = 1;
    }
    if ((int64_t)c->bankgroups * c->banks_per_group > 4096) {
        fail(g, MMT_ERANGE, 0, "%d bank groups of %d banks: more than 4096 banks", c->bankgroups,
             c->banks_per_group);
        return;
    }
    c->banks = c->bankgroups * c->banks_per_group;
    c->rows = get_int(g, "dram_structure", "rows", 1 << 16, 1);
    c->columns = get_int(g, "dram_structure", "columns", 1 << 10, 1);
    c->device_width = get_int(g, "dram_structure", "device_width", 8, 1);
    c->BL = get_int(g, "dram_structure", "BL", 8, 0);
    (void)get_int(g, "dram_structure", "num_dies", 1, INT_MIN); /* thermal model only */
    c->hbm_dual_cmd = get_bool(g, "dram_structure", "hbm_dual_cmd", 1) && mmt__dram_is_hbm(c);
    /* DRAMsim3: the burst takes BL/2 cycles, BL/4 on GDDR5, BL/8 on GDDR5X, BL/16 on GDDR6
     * (integer division); BL = 0 is "perfect bandwidth" (no burst cycles, BL 8, 4 on HBM). */
    int div = c->protocol == MMT__GDDR5    ? 4
              : c->protocol == MMT__GDDR5X ? 8
              : c->protocol == MMT__GDDR6  ? 16
                                           : 2;
    c->burst_cycle = c->BL / div;
    if (c->BL == 0)
        c->BL = mmt__dram_is_hbm(c) ? 4 : 8;
    /* DRAMsim3: GDDR's columns count BL device-widths each, HBM's two. */
    int64_t cols = c->columns;
    if (mmt__dram_is_gddr(c))
        cols *= c->BL;
    else if (mmt__dram_is_hbm(c))
        cols *= 2;
    if (cols > INT_MAX)
        fail(g, MMT_ERANGE, 0, "[dram_structure] columns x BL overflows an int");
    else
        c->columns = (int)cols;
}

/* CalculateSize: ranks from channel_size (MB) and the device. */
static void calculate_size(getter *g, mmt_dram_config *c)
{
    c->devices_per_rank = c->bus_width / c->device_width;
    int64_t page = (int64_t)c->columns * c->device_width / 8;
    int64_t megs_bank = page * (c->rows / 1024) / 1024;
    int64_t megs_rank = megs_bank * c->banks * c->devices_per_rank;
    if (c->devices_per_rank < 1 || megs_rank < 1 || megs_rank > INT_MAX) {
        fail(g, MMT_ERANGE, 0,
             "a rank of this device holds %lld MB: DRAMsim3 needs 1 to %d (bus_width >= "
             "device_width, rows >= 1024, a page of at least 1 KB / rows...)",
             (long long)megs_rank, INT_MAX);
        return;
    }
    if (megs_rank > c->channel_size) {
        /* DRAMsim3: a channel smaller than one rank becomes one rank (it prints a warning). */
        c->ranks = 1;
        c->channel_size = (int)megs_rank;
    } else {
        c->ranks = (int)(c->channel_size / megs_rank);
        c->channel_size = (int)(c->ranks * megs_rank);
    }
    if ((int64_t)c->ranks * c->banks > 65536 || c->channels > 4096)
        fail(g, MMT_ERANGE, 0, "%d channels of %d ranks of %d banks: more than this model holds",
             c->channels, c->ranks, c->banks);
}

/* SetAddressMapping. */
static void set_address_mapping(getter *g, mmt_dram_config *c)
{
    long line;
    const char *m = get_str(g, "system", "address_mapping", "chrobabgraco", &line);
    int64_t req = (int64_t)c->bus_width / 8 * c->BL;
    if (req < 1 || req > INT_MAX) {
        fail(g, MMT_ERANGE, line, "bus_width / 8 x BL = %lld bytes per request is out of range",
             (long long)req);
        return;
    }
    c->request_size_bytes = (int)req;
    c->shift_bits = log2i(c->request_size_bytes);
    int col_bits = log2i(c->columns) - log2i(c->BL);
    if (col_bits < 0) {
        fail(g, MMT_ERANGE, 0, "fewer columns (%d) than BL (%d): no column bits", c->columns,
             c->BL);
        return;
    }
    static const char *const names[6] = {"ch", "ra", "bg", "ba", "ro", "co"};
    int width[6] = {log2i(c->channels),        log2i(c->ranks), log2i(c->bankgroups),
                    log2i(c->banks_per_group), log2i(c->rows),  col_bits};
    if (strlen(m) != 12) {
        fail(g, MMT_EPARSE, line,
             "[system] address_mapping: '%s' is not 6 fields of 2 characters (ch ra bg ba ro co)",
             m);
        return;
    }
    int pos[6] = {-1, -1, -1, -1, -1, -1};
    int at = 0;
    /* DRAMsim3: the last field holds the lowest bits. */
    for (int f = 5; f >= 0; f--) {
        int k = 0;
        while (k < 6 && strncmp(m + 2 * f, names[k], 2))
            k++;
        if (k == 6 || pos[k] >= 0) {
            fail(g, MMT_EPARSE, line,
                 "[system] address_mapping: '%.2s' in '%s' is %s (each of ch ra bg ba ro co once)",
                 m + 2 * f, m, k == 6 ? "not a field" : "repeated");
            return;
        }
        pos[k] = at;
        at += width[k];
    }
    if (at + c->shift_bits > 64) {
        fail(g, MMT_ERANGE, line, "the address map needs %d bits, more than 64",
             at + c->shift_bits);
        return;
    }
    c->ch_pos = pos[0], c->ra_pos = pos[1], c->bg_pos = pos[2];
    c->ba_pos = pos[3], c->ro_pos = pos[4], c->co_pos = pos[5];
    c->ch_mask = ((uint64_t)1 << width[0]) - 1;
    c->ra_mask = ((uint64_t)1 << width[1]) - 1;
    c->bg_mask = ((uint64_t)1 << width[2]) - 1;
    c->ba_mask = ((uint64_t)1 << width[3]) - 1;
    c->ro_mask = ((uint64_t)1 << width[4]) - 1;
    c->co_mask = ((uint64_t)1 << width[5]) - 1;
}

/* InitTimingParams. */
static void init_timing(getter *g, mmt_dram_config *c)
{
    c->tCK = get_real(g, "timing", "tCK", 1.0);
    if (!g->err && !(c->tCK > 0))
        fail(g, MMT_ERANGE, get(g, "timing", "tCK")->line, "[timing] tCK: must be > 0");
#define T(field, def) c->field = get_int(g, "timing", #field, def, 0)
    T(AL, 0);
    T(CL, 12);
    T(CWL, 12);
    T(tCCD_L, 6);
    T(tCCD_S, 4);
    T(tRTRS, 2);
    T(tRTP, 5);
    T(tWTR_L, 5);
    T(tWTR_S, 5);
    T(tWR, 10);
    T(tRP, 10);
    T(tRRD_L, 4);
    T(tRRD_S, 4);
    T(tRAS, 24);
    T(tRCD, 10);
    T(tRFC, 74);
    /* DRAMsim3: tRC is always tRAS + tRP; a tRC in the file is ignored. */
    c->tRC = c->tRAS + c->tRP;
    T(tCKE, 6);
    T(tCKESR, 12);
    T(tXS, 432);
    T(tXP, 8);
    T(tRFCb, 20);
    T(tREFI, 7800);
    T(tREFIb, 1950);
    T(tFAW, 50);
    T(tRPRE, 1);
    T(tWPRE, 1);
    T(tPPD, 0);
    T(t32AW, 330);
    T(tRCDRD, 24);
    T(tRCDWR, 20);
#undef T
    (void)get_int(g, "timing", "ideal_memory_latency", 10, INT_MIN); /* ideal memory only */
    c->RL = c->AL + c->CL;
    c->WL = c->AL + c->CWL;
    c->read_delay = c->RL + c->burst_cycle;
    c->write_delay = c->WL + c->burst_cycle;
}

/* InitPowerParams: energy per command and per cycle, V x mA x cycles x devices. */
static void init_power(getter *g, mmt_dram_config *c)
{
    double VDD = get_real(g, "power", "VDD", 1.2);
    double IDD0 = get_real(g, "power", "IDD0", 48);
    double IDD2P = get_real(g, "power", "IDD2P", 25);
    double IDD2N = get_real(g, "power", "IDD2N", 34);
    double IDD3N = get_real(g, "power", "IDD3N", 43);
    double IDD4W = get_real(g, "power", "IDD4W", 123);
    double IDD4R = get_real(g, "power", "IDD4R", 135);
    double IDD5AB = get_real(g, "power", "IDD5AB", 250);
    double IDD5PB = get_real(g, "power", "IDD5PB", 5);
    double IDD6x = get_real(g, "power", "IDD6x", 31);
    double devices = (double)c->devices_per_rank;
    /* The same operations in the same order as DRAMsim3, so the doubles are bit-identical. */
    c->act_energy_inc = VDD * (IDD0 * c->tRC - (IDD3N * c->tRAS + IDD2N * c->tRP)) * devices;
    c->read_energy_inc = VDD * (IDD4R - IDD3N) * c->burst_cycle * devices;
    c->write_energy_inc = VDD * (IDD4W - IDD3N) * c->burst_cycle * devices;
    c->ref_energy_inc = VDD * (IDD5AB - IDD3N) * c->tRFC * devices;
    c->refb_energy_inc = VDD * (IDD5PB - IDD3N) * c->tRFCb * devices;
    c->act_stb_energy_inc = VDD * IDD3N * devices;
    c->pre_stb_energy_inc = VDD * IDD2N * devices;
    c->pre_pd_energy_inc = VDD * IDD2P * devices;
    c->sref_energy_inc = VDD * IDD6x * devices;
}

/* InitOtherParams (the output names are the caller's business). */
static void init_other(getter *g, mmt_dram_config *c)
{
    c->epoch_period = get_int(g, "other", "epoch_period", 100000, 1);
    c->output_level = get_int(g, "other", "output_level", 1, INT_MIN);
}

/* Refusals of values the simulation cannot run with (DRAMsim3 would divide by zero). */
static void check_refresh(getter *g, mmt_dram_config *c)
{
    long line = 0;
    const ini_kv *kv;
    if (c->refresh_policy == MMT__REF_BANK_STAG) {
        if (c->tREFIb < 1)
            fail(g, MMT_ERANGE, (kv = get(g, "timing", "tREFIb")) ? kv->line : 0,
                 "[timing] tREFIb: must be >= 1 for BANK_LEVEL_STAGGERED refresh");
    } else {
        int per = c->refresh_policy == MMT__REF_RANK_STAG ? c->ranks : 1;
        if (c->tREFI / per < 1)
            fail(g, MMT_ERANGE, (kv = get(g, "timing", "tREFI")) ? kv->line : line,
                 "[timing] tREFI: %d / %d ranks leaves no refresh interval", c->tREFI, per);
    }
}

static int has_section(const ini *I, const char *s)
{
    for (size_t i = 0; i < I->nsec; i++)
        if (!strcmp(I->sections[i], s))
            return 1;
    return 0;
}

static int build(const ini *I, mmt_dram_config *c, mmt_diag *d)
{
    static const char *const required[] = {"dram_structure", "timing", "system"};
    for (int i = 0; i < 3; i++)
        if (!has_section(I, required[i]))
            return mmt__diag(d, MMT_EPARSE, I->file, 0,
                             "no [%s] section: not a DRAMsim3 memory config", required[i]);
    getter g = {I, d, 0};
    long proto_line = 0;
    /* Config's constructor order: its steps depend on each other. */
    init_system(&g, c);
    if (!g.err)
        init_dram(&g, c, &proto_line);
    if (!g.err)
        calculate_size(&g, c);
    if (!g.err)
        set_address_mapping(&g, c);
    if (!g.err)
        init_timing(&g, c);
    if (!g.err)
        init_power(&g, c);
    if (!g.err)
        init_other(&g, c);
    if (!g.err)
        check_refresh(&g, c);
    if (!g.err)
        mmt__dram_timing_init(c);
    return g.err;
}

int mmt_dram_config_parse(const char *name, const char *text, size_t len, mmt_dram_config **out,
                          mmt_diag *diag)
{
    *out = NULL;
    if (len > MMT_MAX_INPUT_BYTES)
        return mmt__diag(diag, MMT_ERANGE, name, 0, "larger than %d MiB",
                         (int)(MMT_MAX_INPUT_BYTES >> 20));
    ini I;
    memset(&I, 0, sizeof I);
    I.file = name;
    int r = ini_read(&I, text, len, diag);
    if (r == MMT_ENOMEM)
        mmt__diag(diag, r, name, 0, "out of memory");
    mmt_dram_config *c = NULL;
    if (!r) {
        c = calloc(1, sizeof *c);
        r = c ? build(&I, c, diag) : mmt__diag(diag, MMT_ENOMEM, name, 0, "out of memory");
    }
    ini_free(&I);
    if (r) {
        free(c);
        return r;
    }
    *out = c;
    return 0;
}

int mmt_dram_config_read(const char *path, mmt_dram_config **out, mmt_diag *diag)
{
    *out = NULL;
    char *text;
    size_t len;
    int r = mmt__slurp(path, &text, &len, diag);
    if (r)
        return r;
    r = mmt_dram_config_parse(path, text, len, out, diag);
    free(text);
    return r;
}

void mmt_dram_config_free(mmt_dram_config *c)
{
    free(c);
}

double mmt_dram_config_tck_ns(const mmt_dram_config *c)
{
    return c->tCK;
}

uint32_t mmt_dram_config_request_bytes(const mmt_dram_config *c)
{
    return (uint32_t)c->request_size_bytes;
}

uint32_t mmt_dram_config_channels(const mmt_dram_config *c)
{
    return (uint32_t)c->channels;
}

double mmt_dram_config_peak_gbs(const mmt_dram_config *c)
{
    if (c->burst_cycle == 0)
        return INFINITY;
    return (double)c->channels * c->request_size_bytes / (c->burst_cycle * c->tCK);
}

const char *mmt_dram_config_protocol(const mmt_dram_config *c)
{
    return protocol_names[c->protocol];
}

uint32_t mmt_dram_config_ranks(const mmt_dram_config *c)
{
    return (uint32_t)c->ranks;
}

uint32_t mmt_dram_config_banks(const mmt_dram_config *c)
{
    return (uint32_t)c->banks;
}

uint32_t mmt_dram_config_channel_of(const mmt_dram_config *c, uint64_t addr)
{
    return (uint32_t)mmt__dram_map(c, addr).channel;
}

uint32_t mmt_dram_config_queue_size(const mmt_dram_config *c)
{
    return (uint32_t)c->trans_queue_size;
}
