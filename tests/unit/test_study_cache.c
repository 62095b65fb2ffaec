/*
 * test_study_cache.c - the study's layer cache (study/cache.c) is not fooled: an entry read
 * back equals what was put; an entry edited with its checksum recomputed (cycles times 10,
 * stalls changed, DRAM Filter Reads 0, an SRAM count off by one, a utilisation) is refused as
 * mmt_sim_result_check finds it inconsistent with its key; the key names the model's code;
 * an entry path that is a directory makes put fail (the engine then runs on uncached); the
 * temporaries of killed writers are removed, and nothing else; over-long and empty cache
 * paths are refused. Also the study's names (study/names.c): the safe file-name form is
 * one-to-one, and table fields are quoted as RFC 4180 says.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "study_internal.h"

static char dir[256];

/* A fresh cache directory under TMPDIR. */
static int setup(void **state)
{
    (void)state;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/mmt-cache-XXXXXX", t && *t ? t : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir); /* dir: mkdtemp's, no quote in it */
    return system(cmd) == 0 ? 0 : -1;
}

/* Simulates GEMM M x N x K on cfg c. */
static void sim(const mmt_config *c, int64_t M, int64_t N, int64_t K, mmt_geom *g,
                mmt_layer_result *r)
{
    mmt_llm_layer l = {.M = M, .N = N, .K = K};
    mmt_layer ml;
    snprintf(l.name, sizeof l.name, "gemm");
    mmt_llm_layer_to_mmt(&l, &ml);
    assert_int_equal(mmt_geom_init(g, &ml, c, NULL), 0);
    mmt_sim_opts o = {.gzip_level = 1};
    memset(r, 0, sizeof *r);
    assert_int_equal(mmt_sim_run(c, g, &o, r), 0);
}

/* The path of key's entry: dir/<2 hex>/<16 hex>.layer (FNV-1a of the key, as cache.c). */
static void entry_of(const char *key, char *path, size_t cap)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *s = key; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    snprintf(path, cap, "%s/%02x/%016" PRIx64 ".layer", dir, (unsigned)(h >> 56), h);
}

/* Reads a small file whole. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* Rewrites entry text t with field `field` (0-based, of the fields split at ", ") of data
 * line `line` (1-based over the whole entry) replaced by value, and its checksum recomputed
 * as cache.c computes it: what someone editing the cache by hand would do. */
static void tamper(const char *path, int line, int field, const char *value)
{
    char *t = slurp(path), out[65536] = "";
    size_t n = 0;
    int ln = 0;
    for (char *p = t, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        assert_non_null(e);
        *e = '\0';
        if (++ln == line) {
            int f = 0;
            for (char *q = p, *c;; q = c + 2, f++) {
                c = strstr(q, ", ");
                const char *v = f == field ? value : q;
                int len = f == field ? (int)strlen(value) : c ? (int)(c - q) : (int)strlen(q);
                n += (size_t)snprintf(out + n, sizeof out - n, "%.*s%s", len, v, c ? ", " : "");
                if (!c)
                    break;
            }
            n += (size_t)snprintf(out + n, sizeof out - n, "\n");
        } else if (strncmp(p, "end ", 4)) {
            n += (size_t)snprintf(out + n, sizeof out - n, "%s\n", p);
        }
    }
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)out[i]) * 1099511628211ULL;
    snprintf(out + n, sizeof out - n, "end %016" PRIx64 "\n", h);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(out, f);
    fclose(f);
    free(t);
}

/* The field of a data line of the entry, as text. */
static void field_of(const char *path, int line, int field, char *buf, size_t cap)
{
    char *t = slurp(path), *p = t;
    for (int ln = 1; ln < line; ln++)
        p = strchr(p, '\n') + 1;
    for (int f = 0; f < field; f++)
        p = strstr(p, ", ") + 2;
    snprintf(buf, cap, "%.*s", (int)strcspn(p, ",\n"), p);
    free(t);
}

/* A USER-mode edge array that stalls on a layer too big for its SRAMs. */
static mmt_config user_cfg(void)
{
    mmt_config c;
    assert_int_equal(mmt_study_hw("edge", &c), 0);
    c.user_bw = 1, c.bandwidth = 4, c.filter_kb = 64, c.ifmap_kb = 64, c.ofmap_kb = 64;
    return c;
}

/* An entry put is read back unchanged; each hand edit with a recomputed checksum is refused
 * (and without the consistency check would be taken: the checksum alone cannot tell). */
static void test_tampered(void **state)
{
    (void)state;
    /* lines: 1 magic, 2 key, 3 COMPUTE header, 4 its row, 5 DETAILED header, 6 its row */
    static const struct {
        int line, field;
        const char *how; /* "x10": the field times 10; else the value to write */
    } edit[] = {
        {4, 1, "x10"},  /* Total Cycles x 10 */
        {4, 2, "x10"},  /* Stall Cycles x 10 (USER: stalls > 0) */
        {4, 3, "x10"},  /* Overall Util % */
        {4, 4, "50.0"}, /* Mapping Efficiency % */
        {6, 3, "x10"},  /* SRAM IFMAP Reads */
        {6, 15, "0"},   /* DRAM Filter Reads 0 */
        {6, 18, "0"},   /* DRAM OFMAP Writes 0 */
    };
    mmt_config c = user_cfg();
    mmt_geom g;
    mmt_layer_result r, back;
    sim(&c, 64, 3072, 768, &g, &r);
    assert_true(r.stall_cycles > 0);
    char key[512], path[4200], v[64];
    assert_int_equal(mmt_study_cache_key(&c, 64, 3072, 768, key, sizeof key), 0);
    entry_of(key, path, sizeof path);
    for (size_t i = 0; i < sizeof edit / sizeof *edit; i++) {
        assert_int_equal(mmt_study_cache_put(dir, key, &r, NULL), 0);
        memset(&back, 0, sizeof back);
        assert_int_equal(mmt_study_cache_get(dir, key, &c, &g, &back), 1);
        assert_memory_equal(&back, &r, sizeof r);
        field_of(path, edit[i].line, edit[i].field, v, sizeof v);
        if (!strcmp(edit[i].how, "x10") && strpbrk(v, ".e"))
            snprintf(v, sizeof v, "%.6f", strtod(v, NULL) * 10); /* a float stays one */
        else if (!strcmp(edit[i].how, "x10"))
            strcat(v, "0"); /* an int: "1234" -> "12340" */
        tamper(path, edit[i].line, edit[i].field, strcmp(edit[i].how, "x10") ? edit[i].how : v);
        if (mmt_study_cache_get(dir, key, &c, &g, &back) != -1)
            fail_msg("edit %zu (line %d field %d -> %s) was taken", i, edit[i].line, edit[i].field,
                     v);
    }
}

/* SCALE-Sim v3.0.0 counts a real filter address -1 (a negative FilterOffset) as an idle PE in
 * WS mapping efficiency: an entry of such a layer is consistent, and is taken. */
static void test_v3_ws_hole(void **state)
{
    (void)state;
    mmt_config c;
    mmt_geom g;
    mmt_layer_result r, back;
    char key[512];
    assert_int_equal(mmt_study_hw("edge", &c), 0);
    c.version = MMT_SCALESIM_V3, c.dataflow = MMT_DF_WS, c.filter_offset = -5;
    sim(&c, 4, 96, 80, &g, &r);
    assert_int_equal(mmt_sim_result_check(&c, &g, &r, NULL), 0);
    assert_int_equal(mmt_study_cache_key(&c, 4, 96, 80, key, sizeof key), 0);
    assert_int_equal(mmt_study_cache_put(dir, key, &r, NULL), 0);
    assert_int_equal(mmt_study_cache_get(dir, key, &c, &g, &back), 1);
    assert_memory_equal(&back, &r, sizeof r);
    c.version = MMT_SCALESIM_V2; /* the same numbers are not v2's */
    assert_int_not_equal(mmt_sim_result_check(&c, &g, &r, NULL), 0);
}

/* The key names the model's code (16 hex digits after "model "), not only the version. */
static void test_key(void **state)
{
    (void)state;
    mmt_config c;
    char key[512];
    assert_int_equal(mmt_study_hw("cloud", &c), 0);
    assert_int_equal(mmt_study_cache_key(&c, 1, 2, 3, key, sizeof key), 0);
    const char *m = strstr(key, " model ");
    assert_non_null(m);
    assert_int_equal(strspn(m + 7, "0123456789abcdef"), 16);
    assert_int_equal(m[7 + 16], ';');
}

/* An entry path that is a directory: get says corrupt, put fails (the engine runs on). */
static void test_entry_is_dir(void **state)
{
    (void)state;
    mmt_config c;
    mmt_geom g;
    mmt_layer_result r;
    char key[512], path[4200], sub[4200];
    assert_int_equal(mmt_study_hw("edge", &c), 0);
    sim(&c, 1, 64, 64, &g, &r);
    assert_int_equal(mmt_study_cache_key(&c, 1, 64, 64, key, sizeof key), 0);
    entry_of(key, path, sizeof path);
    snprintf(sub, sizeof sub, "%s", path);
    *strrchr(sub, '/') = '\0';
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(mmt_study_cache_get(dir, key, &c, &g, &r), -1);
    mmt_diag d = {0};
    assert_int_not_equal(mmt_study_cache_put(dir, key, &r, &d), 0);
    assert_non_null(strstr(d.file, ".layer"));
    /* and its temporary is gone */
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q tmp", sub);
    assert_int_not_equal(system(cmd), 0);
}

/* Creates sub/name with mtime age seconds ago. */
static void touch(const char *sub, const char *name, long age)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", sub, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fclose(f);
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= age, tv[1] = tv[0];
    assert_int_equal(utimes(p, tv), 0);
}

static int exists(const char *sub, const char *name)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", sub, name);
    return access(p, F_OK) == 0;
}

/* Killed writers' temporaries: removed when their pid is dead on this host or they are older
 * than a day; a live writer's, another host's recent one, a user's file and anything not of
 * the exact form stay. */
static void test_clean(void **state)
{
    (void)state;
    char host[128], sub[512], other[512], n[8][300];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    for (char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.'))
            *p = '-';
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    snprintf(sub, sizeof sub, "%s/ab", dir);
    snprintf(other, sizeof other, "%s/zz", dir); /* not a cache subdirectory */
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(mkdir(other, 0755), 0);
    snprintf(n[0], sizeof n[0], ".mmtrace-cache-tmp.%ld.%s.aB3dE9", (long)dead, host);
    snprintf(n[1], sizeof n[1], ".mmtrace-cache-tmp.%ld.%s.aB3dE9", (long)getpid(), host);
    snprintf(n[2], sizeof n[2], ".mmtrace-cache-tmp.%ld.elsewhere.aB3dE9", (long)dead);
    snprintf(n[3], sizeof n[3], ".mmtrace-cache-tmp.%ld.elsewhere.Zz9Zz9", (long)dead);
    snprintf(n[4], sizeof n[4], ".mmtrace-cache-tmp.%ld.%s.aB3dE9.keep", (long)dead, host);
    snprintf(n[5], sizeof n[5], "notes.txt");
    snprintf(n[6], sizeof n[6], ".tmp.aB3dE9");
    touch(sub, n[0], 0);
    touch(sub, n[1], 0);
    touch(sub, n[2], 0);
    touch(sub, n[3], 2 * 86400);
    touch(sub, n[4], 2 * 86400);
    touch(sub, n[5], 2 * 86400);
    touch(sub, n[6], 2 * 86400);
    touch(other, n[0], 0);
    assert_int_equal(mmt_study_cache_clean(dir), 2);
    assert_false(exists(sub, n[0]));
    assert_true(exists(sub, n[1]));
    assert_true(exists(sub, n[2]));
    assert_false(exists(sub, n[3]));
    assert_true(exists(sub, n[4]));
    assert_true(exists(sub, n[5]));
    assert_true(exists(sub, n[6]));
    assert_true(exists(other, n[0]));
}

/* Empty and over-long cache paths are refused before anything is made. */
static void test_check_dir(void **state)
{
    (void)state;
    static char longp[5000];
    memset(longp, 'a', sizeof longp - 1);
    mmt_diag d = {0};
    assert_int_equal(mmt_study_cache_check_dir("", &d), MMT_EINVAL);
    assert_int_equal(mmt_study_cache_check_dir(longp, &d), MMT_EINVAL);
    assert_non_null(strstr(d.message, "longer than"));
    assert_int_equal(mmt_study_cache_check_dir(dir, &d), 0);
}

/* The safe form keeps safe bytes, encodes every other as %XX (so two names never meet), and
 * refuses the empty name; names with control characters are refused with them shown. */
static void test_names(void **state)
{
    (void)state;
    char b[64];
    static const char *const in[][2] = {
        {"opt-350m", "opt-350m"},   {"a b", "a%20b"},         {"a%20b", "a%2520b"},
        {"a,\"b\"", "a%2C%22b%22"}, {".hidden", "%2Ehidden"}, {"..", "%2E."},
        {"x/y", "x%2Fy"},           {"\xc3\xa9", "%C3%A9"},   {"a.b_c+d", "a.b_c+d"},
    };
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        assert_int_equal(mmt__safe_name(in[i][0], b, sizeof b), 0);
        assert_string_equal(b, in[i][1]);
    }
    assert_int_equal(mmt__safe_name("", b, sizeof b), MMT_EINVAL);
    assert_int_equal(mmt__safe_name("abc", b, 3), MMT_ERANGE);
    mmt_diag d = {0};
    assert_int_equal(mmt__name_check("model", "a\nb", &d), MMT_EINVAL);
    assert_string_equal(d.message,
                        "model: the name 'a\\x0ab' holds a control character (byte 0x0a)");
    assert_int_equal(mmt__name_check("model", "\x1b[31mred", &d), MMT_EINVAL);
    assert_null(strchr(d.message, '\x1b'));
    assert_int_equal(mmt__name_check("hardware point", "", &d), MMT_EINVAL);
    assert_string_equal(d.message, "hardware point: the name is empty");
    assert_int_equal(mmt__name_check("model", "a,\"b\" c", &d), 0);
}

/* Table fields: as they are unless RFC 4180 needs quotes; then libcsv's quoting. */
static void test_csv_put(void **state)
{
    (void)state;
    static const char *const in[][2] = {
        {"cloud", "cloud"},   {"a,b", "\"a,b\""},     {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"a\nb", "\"a\nb\""}, {" lead", "\" lead\""}, {"", ""},
    };
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        mmt__buf b = {0};
        mmt__csv_put(&b, in[i][0]);
        mmt__buf_printf(&b, "%s", "");
        assert_false(b.bad);
        assert_string_equal(b.p ? b.p : "", in[i][1]);
        free(b.p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
        cmocka_unit_test(test_key),
        cmocka_unit_test_setup_teardown(test_v3_ws_hole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_entry_is_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_dir, setup, teardown),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_csv_put),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
