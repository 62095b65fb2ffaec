/* dram_cmp - compares a DRAM statistics file with DRAMsim3's dramsim3.json, key by key.
 *
 *   dram_cmp [-t TOLERANCES -n CASE] EXPECTED ACTUAL
 *
 * EXPECTED is dramsim3main's dramsim3.json (gzipped or not), ACTUAL mmtrace's dram_stats.json.
 * Both hold one object per channel ("0", "1", ...) of statistics; every key of every expected
 * channel must be in the actual channel with the same value, and the actual file may hold
 * nothing the expected one does not: integers compare exactly, other numbers exactly as
 * doubles (13440.0 equals 13440), histograms (objects) bucket by bucket in both directions,
 * null only with null. The only exceptions are the lines of TOLERANCES that match CASE:
 *
 *   CASE-GLOB KEY REL     values of KEY may differ by REL relative to the larger magnitude
 *   CASE-GLOB KEY absent  KEY may be missing from ACTUAL (it is not compared)
 *
 * ('#' starts a comment; KEY is a top-level key of a channel and covers the histogram under
 * it). Prints one line per difference, then `CASE: N keys, exact|within|differ, worst REL
 * KEY` (worst: the largest relative difference seen, declared or not). Exit 0 when every
 * difference is declared, 1 otherwise, 2 on usage or unreadable input. A test helper, built
 * for `make check` only (tests/dram_golden.sh). */
#include <fnmatch.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_TOL 256

struct tol {
    char key[128];
    double rel; /* < 0: the key may be absent */
};

struct cmp {
    const char *name;
    struct tol tols[MAX_TOL];
    size_t ntols;
    size_t keys, diffs;
    double worst;
    char worst_key[160];
};

/* Reads a whole file, gzipped or not, into a NUL-terminated buffer (NULL on failure). */
static char *slurp(const char *path)
{
    gzFile f = gzopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf == NULL)
            break;
        if (cap - len < 4096) {
            char *b = realloc(buf, cap * 2);
            if (b == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
        int n = gzread(f, buf + len, (unsigned)(cap - len - 1));
        if (n < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    gzclose(f);
    if (buf != NULL)
        buf[len] = '\0';
    return buf;
}

/* Loads a JSON file (gzipped or not); prints `dram_cmp: FILE: message` on failure. */
static json_t *load(const char *path)
{
    char *text = slurp(path);
    if (text == NULL) {
        fprintf(stderr, "dram_cmp: %s: cannot read\n", path);
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    free(text);
    if (j == NULL)
        fprintf(stderr, "dram_cmp: %s:%d: %s\n", path, err.line, err.text);
    else if (!json_is_object(j)) {
        fprintf(stderr, "dram_cmp: %s: not an object of channels\n", path);
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* Reads the tolerance lines of FILE that match case NAME into C; -1 on a bad line. */
static int read_tols(struct cmp *c, const char *file)
{
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        fprintf(stderr, "dram_cmp: %s: cannot read\n", file);
        return -1;
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char glob[128], key[128], val[64];
        int n = sscanf(line, "%127s %127s %63s", glob, key, val);
        if (n <= 0)
            continue;
        char *end = NULL;
        double rel = strcmp(val, "absent") == 0 ? -1.0 : strtod(val, &end);
        if (n != 3 || (rel >= 0 && (end == val || *end != '\0')) || c->ntols == MAX_TOL) {
            fprintf(stderr, "dram_cmp: %s:%d: expected CASE-GLOB KEY REL|absent\n", file, lineno);
            fclose(f);
            return -1;
        }
        if (fnmatch(glob, c->name, 0) != 0)
            continue;
        snprintf(c->tols[c->ntols].key, sizeof c->tols[0].key, "%s", key);
        c->tols[c->ntols++].rel = rel;
    }
    fclose(f);
    return 0;
}

/* The declared tolerance of top-level KEY: a relative bound, -1 for absent, 0 for none. */
static double tol_of(const struct cmp *c, const char *key)
{
    for (size_t i = 0; i < c->ntols; i++)
        if (strcmp(c->tols[i].key, key) == 0)
            return c->tols[i].rel;
    return 0.0;
}

/* Records one difference at PATH with relative size REL (INFINITY: not numbers). */
static void differ(struct cmp *c, const char *top, const char *path, const json_t *want,
                   const json_t *got, double rel)
{
    double tol = tol_of(c, top);
    if (rel > c->worst) {
        c->worst = rel;
        snprintf(c->worst_key, sizeof c->worst_key, "%s", path);
    }
    if (tol > 0 && rel <= tol)
        return;
    char *w = want ? json_dumps(want, JSON_ENCODE_ANY) : NULL;
    char *g = got ? json_dumps(got, JSON_ENCODE_ANY) : NULL;
    printf("%s: %s: expected %s, got %s", c->name, path, w ? w : "(absent)", g ? g : "(absent)");
    if (isfinite(rel))
        printf(" (relative difference %.3g)", rel);
    printf("\n");
    free(w);
    free(g);
    c->diffs++;
}

static void compare(struct cmp *c, const char *top, const char *path, const json_t *want,
                    const json_t *got);

/* Compares two objects key by key, both ways. */
static void compare_objects(struct cmp *c, const char *top, const char *path, const json_t *want,
                            const json_t *got)
{
    const char *key;
    json_t *v;
    char sub[160];
    json_object_foreach((json_t *)want, key, v) {
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        compare(c, top != NULL ? top : key, sub, v, json_object_get(got, key));
    }
    json_object_foreach((json_t *)got, key, v) {
        if (json_object_get(want, key) != NULL)
            continue;
        snprintf(sub, sizeof sub, "%s.%s", path, key);
        c->keys++;
        differ(c, top != NULL ? top : key, sub, NULL, v, INFINITY);
    }
}

/* Compares one value; TOP is the channel-level key it belongs to. */
static void compare(struct cmp *c, const char *top, const char *path, const json_t *want,
                    const json_t *got)
{
    if (json_is_object(want) && json_is_object(got)) {
        compare_objects(c, top, path, want, got);
        return;
    }
    c->keys++;
    if (got == NULL && tol_of(c, top) < 0)
        return;
    if (json_is_integer(want) && json_is_integer(got)) {
        json_int_t a = json_integer_value(want), b = json_integer_value(got);
        if (a != b) {
            double d = fabs((double)a - (double)b), m = fmax(fabs((double)a), fabs((double)b));
            differ(c, top, path, want, got, d / m);
        }
        return;
    }
    if (json_is_number(want) && json_is_number(got)) {
        double a = json_number_value(want), b = json_number_value(got);
        if (a != b)
            differ(c, top, path, want, got, fabs(a - b) / fmax(fabs(a), fabs(b)));
        return;
    }
    if (!(json_is_null(want) && json_is_null(got)) && !json_equal((json_t *)want, (json_t *)got))
        differ(c, top, path, want, got, INFINITY);
}

int main(int argc, char **argv)
{
    static struct cmp c;
    const char *tolfile = NULL;
    int i = 1;
    c.name = "case";
    for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp(argv[i], "-t") == 0)
            tolfile = argv[i + 1];
        else if (strcmp(argv[i], "-n") == 0)
            c.name = argv[i + 1];
        else
            break;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: dram_cmp [-t TOLERANCES -n CASE] EXPECTED ACTUAL\n");
        return 2;
    }
    if (tolfile != NULL && read_tols(&c, tolfile) != 0)
        return 2;
    json_t *want = load(argv[i]), *got = want ? load(argv[i + 1]) : NULL;
    if (got == NULL) {
        json_decref(want);
        return 2;
    }
    const char *chan;
    json_t *v;
    json_object_foreach(want, chan, v) {
        json_t *g = json_object_get(got, chan);
        if (json_is_object(v) && json_is_object(g))
            compare_objects(&c, NULL, chan, v, g);
        else
            differ(&c, chan, chan, v, g, INFINITY);
    }
    json_object_foreach(got, chan, v) {
        if (json_object_get(want, chan) == NULL)
            differ(&c, chan, chan, NULL, v, INFINITY);
    }
    json_decref(want);
    json_decref(got);
    printf("%s: %zu keys, %s, worst %.3g%s%s\n", c.name, c.keys,
           c.diffs ? "differ" : c.worst > 0 ? "within" : "exact", c.worst,
           c.worst > 0 ? " " : "", c.worst > 0 ? c.worst_key : "");
    return c.diffs ? 1 : 0;
}
