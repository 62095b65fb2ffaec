/*
 * cache.c - the study's persistent layer cache. A layer's result is determined by the cfg
 * fields that reach the memory model (array, dataflow, SRAM sizes, offsets, bandwidth mode and,
 * in USER mode, its value), by M, N, K and by the version of mmtrace's model; the key spells
 * all of them out. One file per key, named by a 64-bit FNV-1a hash of the key:
 *
 *   mmtrace layer cache 1
 *   <key>
 *   <COMPUTE_REPORT.csv of the one layer: header and row>
 *   <DETAILED_ACCESS_REPORT.csv likewise>
 *   end <FNV-1a of everything above, 16 hex digits>
 *
 * The rows are read back with the project's one report reader. An entry whose key line differs
 * (a hash collision, another version), whose checksum fails, whose rows do not parse, or
 * whose numbers the model could not have produced for its key (mmt_sim_result_check: the counts and
 * utilisations derived from the geometry again, and the relations between cycles, stalls and
 * accesses) is reported as corrupt and recomputed; it is never trusted. The checksum only
 * catches accidents; the consistency check catches an entry edited with its checksum
 * recomputed.
 *
 * The key names the model's code, not just the package version (the same 0.1.0 in every
 * commit so far): MMT_MODEL_HASH is a hash of the core library's sources (every file the
 * simulation, the geometry, the report format and the cfg reading are made of), generated
 * at build time (Makefile.am, model_hash.h), so an entry made by another model's code is
 * foreign, with no step a developer can forget.
 *
 * Entries are written under a unique temporary name (mkstemp, with the host and pid in the
 * name: pids are not unique across machines sharing the directory) and renamed into place, so
 * concurrent writers of one key leave one complete entry. mmt_study_cache_clean removes the
 * temporaries killed runs left: only names of exactly that form, and only when their process
 * is dead on this host or they are older than a day.
 */
#include "internal.h"
#include "mmtrace_study.h"
#include "model_hash.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHE_MAGIC "mmtrace layer cache 1\n"

/* 64-bit FNV-1a. */
static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

int mmt_study_cache_default(char *buf, size_t cap)
{
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (x && x[0] == '/')
        n = snprintf(buf, cap, "%s/mmtrace", x);
    else if (home && home[0])
        n = snprintf(buf, cap, "%s/.cache/mmtrace", home);
    else
        return MMT_EINVAL;
    return n < 0 || (size_t)n >= cap ? MMT_ERANGE : 0;
}

int mmt_study_cache_key(const mmt_config *c, int64_t M, int64_t N, int64_t K, char *key, size_t cap)
{
    /* Every field that changes a layer's result must be here: the SCALE-Sim version mode, v3's
     * bank bandwidths and the operand widths included. In CALC mode the Bandwidth value is not
     * used by SCALE-Sim, so it is not part of the key. */
    char bw[40];
    if (c->user_bw)
        snprintf(bw, sizeof bw, "USER:%" PRId64, c->bandwidth);
    else
        snprintf(bw, sizeof bw, "CALC");
    int n = snprintf(
        key, cap,
        "mmtrace %s model %s; array %" PRId64 "x%" PRId64 "; dataflow %s; sram_kb %" PRId64
        "/%" PRId64 "/%" PRId64 "; offsets %" PRId64 "/%" PRId64 "/%" PRId64
        "; bandwidth %s; gemm %" PRId64 "x%" PRId64 "x%" PRId64 "; scalesim v%d; banks %" PRId64
        "/%" PRId64 "; bits %d/%d/%d",
        PACKAGE_VERSION, MMT_MODEL_HASH, c->array_h, c->array_w, mmt_dataflow_name(c->dataflow),
        c->ifmap_kb, c->filter_kb, c->ofmap_kb, c->ifmap_offset, c->filter_offset, c->ofmap_offset,
        bw, M, N, K, c->version == MMT_SCALESIM_V3 ? 3 : 2, c->bank_bw[0], c->bank_bw[1],
        (int)mmt_precision_bits(c, MMT_OP_IFMAP), (int)mmt_precision_bits(c, MMT_OP_FILTER),
        (int)mmt_precision_bits(c, MMT_OP_OFMAP));
    /* the stream policy (doc/memory.md) is a different model; SCALE-Sim's policy keeps the
     * keys it always had */
    mmt_memory_char ch = {0}; /* the .ini's measurement, so an edited .ini is a new key */
    if (n >= 0 && (size_t)n < cap && c->mem_policy == MMT_MEM_STREAM && c->dram_path[0] &&
        mmt_memory_characterise(c->dram_path, &ch, NULL) != 0)
        return MMT_EINVAL;
    char abs[PATH_MAX]; /* the same .ini from another working directory is the same key */
    if (n >= 0 && (size_t)n < cap && c->mem_policy == MMT_MEM_STREAM)
        n += snprintf(key + n, cap - (size_t)n,
                      "; memory stream %s %.17g bw %" PRId64 " dram %.17g %.17g %.17g",
                      !c->dram_path[0] || !realpath(c->dram_path, abs) ? c->dram_path : abs,
                      c->clock_mhz, c->bandwidth, ch.peak_gbs, ch.sustained_gbs, ch.latency_ns);
    return n < 0 || (size_t)n >= cap ? MMT_ERANGE : 0;
}

/* dir/<first 2 hex digits>/<16 hex digits>.layer of key. */
static int entry_path(const char *dir, const char *key, char *sub, size_t scap, char *path,
                      size_t cap)
{
    uint64_t h = fnv(key, strlen(key));
    int a = snprintf(sub, scap, "%s/%02x", dir, (unsigned)(h >> 56));
    int b = snprintf(path, cap, "%s/%016" PRIx64 ".layer", sub, h);
    return a < 0 || b < 0 || (size_t)a >= scap || (size_t)b >= cap ? MMT_ERANGE : 0;
}

/* Checks an entry's text against key and parses its rows into res; 0 or -1. */
static int entry_parse(const char *t, size_t len, const char *key, const char *name,
                       const mmt_config *cfg, const mmt_geom *g, mmt_layer_result *res)
{
    size_t ml = strlen(CACHE_MAGIC), kl = strlen(key);
    if (len < ml + kl + 1 + 21 || memcmp(t, CACHE_MAGIC, ml) || memcmp(t + ml, key, kl) ||
        t[ml + kl] != '\n')
        return -1;
    const char *end = t + len - 21; /* "end " + 16 hex + newline */
    char want[24];
    snprintf(want, sizeof want, "end %016" PRIx64 "\n", fnv(t, (size_t)(end - t)));
    if (memcmp(end, want, 21) || end[-1] != '\n')
        return -1;
    const char *p = t + ml + kl + 1, *q = p;
    for (int nl = 0; q < end && nl < 2; q++)
        nl += *q == '\n';
    mmt_layer_result r[2];
    size_t n1, n2;
    mmt_diag d = {0};
    memset(r, 0, sizeof r);
    if (mmt_report_parse(0, name, p, (size_t)(q - p), r, 1, &n1, &d) || n1 != 1 ||
        mmt_report_parse(1, name, q, (size_t)(end - q), r, 1, &n2, &d) || n2 != 1 ||
        mmt_sim_result_check(cfg, g, &r[0], &d) != 0)
        return -1;
    r[0].macs = g->macs; /* not in the reports: the model's, from the geometry */
    *res = r[0];
    return 0;
}

int mmt_study_cache_get(const char *dir, const char *key, const mmt_config *cfg, const mmt_geom *g,
                        mmt_layer_result *res)
{
    char sub[4096], path[4200], *t;
    size_t len;
    if (entry_path(dir, key, sub, sizeof sub, path, sizeof path) != 0)
        return -1;
    if (access(path, F_OK) != 0)
        return 0;
    if (mmt__slurp(path, &t, &len, NULL) != 0)
        return -1;
    int r = entry_parse(t, len, key, path, cfg, g, res);
    free(t);
    return r == 0 ? 1 : -1;
}

/* Appends src[0..n) to the growing text *t. */
static int append(char **t, size_t *len, const char *src, size_t n)
{
    char *p = realloc(*t, *len + n + 1);
    if (!p)
        return MMT_ENOMEM;
    memcpy(p + *len, src, n);
    *len += n;
    p[*len] = '\0';
    *t = p;
    return 0;
}

/* The temporaries' prefix: ".mmtrace-cache-tmp.<pid>.<host>.XXXXXX" (mkstemp's six). */
#define TMP_PREFIX ".mmtrace-cache-tmp."

/* This host's name as it goes into a temporary's name: letters, digits, '-' and '.' only
 * (anything else becomes '-'), "localhost" if it has none. */
static void host_name(char *buf, size_t cap)
{
    if (gethostname(buf, cap) != 0 || !buf[0])
        snprintf(buf, cap, "localhost");
    buf[cap - 1] = '\0';
    for (char *p = buf; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.'))
            *p = '-';
}

/* Writes text to a unique temporary file in sub and renames it to path. Not the staged output
 * writer (mmt__staged): an entry is a cache, not an output, so it is not synced (thousands per
 * sweep, and a lost one is only recomputed), and its temporary has a random part beside the
 * pid and host, since shards on several hosts (Slurm) share the cache and their pids may
 * coincide. */
static int write_unique(const char *sub, const char *path, const char *text, size_t len,
                        mmt_diag *d)
{
    char tmp[4400], host[128];
    host_name(host, sizeof host);
    snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%ld.%s.XXXXXX", sub, (long)getpid(), host);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return mmt__sys_diag(d, sub, 0, "cannot create a cache entry");
    FILE *f = fdopen(fd, "wb");
    mmt_diag wd;
    int r = !f || fwrite(text, 1, len, f) != len ? mmt__sys_diag(&wd, path, 0, "cannot write") : 0;
    if ((f ? fclose(f) : close(fd)) != 0 && !r)
        r = mmt__sys_diag(&wd, path, 0, "cannot write");
    if (!r && (chmod(tmp, 0644) != 0 || rename(tmp, path) != 0))
        r = mmt__sys_diag(&wd, path, 0, "cannot write");
    if (r) {
        unlink(tmp);
        if (d)
            *d = wd;
    }
    return r;
}

/* If name is one of our temporaries (TMP_PREFIX, decimal pid, '.', host, '.', six letters or
 * digits: exactly what write_unique makes), its pid and host; else 0. */
static long tmp_owner(const char *name, char *host, size_t cap)
{
    size_t pl = strlen(TMP_PREFIX), n = strlen(name);
    if (strncmp(name, TMP_PREFIX, pl) || n < pl + 1 + 1 + 1 + 1 + 6)
        return 0;
    const char *p = name + pl, *q = p;
    long pid = 0;
    while (*q >= '0' && *q <= '9' && q - p < 9)
        pid = pid * 10 + (*q++ - '0');
    const char *x = name + n - 6; /* the random part */
    if (q == p || *q != '.' || pid <= 0 || x[-1] != '.' || x - 1 <= q + 1)
        return 0;
    for (const char *c = x; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
            return 0;
    for (const char *c = q + 1; c < x - 1; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '.'))
            return 0;
    snprintf(host, cap, "%.*s", (int)(x - 1 - (q + 1)), q + 1);
    return pid;
}

/* 1 if the temporary sub/name of process pid on host is stale: a dead process of this host,
 * or older than a day (a process on another host, which cannot be asked). */
static int tmp_stale(const char *path, long pid, const char *host, const char *me)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    if (difftime(time(NULL), st.st_mtime) > 86400)
        return 1;
    if (strcmp(host, me) || pid == (long)getpid())
        return 0;
    return kill((pid_t)pid, 0) != 0 && mmt__sys_diag(NULL, NULL, 0, "kill") != MMT_EPERM;
}

/* Whether name is a cache subdirectory's: two lowercase hex digits. */
static int is_sub(const char *name)
{
    return strlen(name) == 2 && strspn(name, "0123456789abcdef") == 2;
}

size_t mmt_study_cache_clean(const char *dir)
{
    char me[128], host[128], sub[4200], path[4600];
    host_name(me, sizeof me);
    DIR *top = opendir(dir);
    struct dirent *e, *t;
    size_t removed = 0;
    while (top && (e = readdir(top)) != NULL) {
        if (!is_sub(e->d_name))
            continue;
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        DIR *dp = opendir(sub);
        while (dp && (t = readdir(dp)) != NULL) {
            long pid = tmp_owner(t->d_name, host, sizeof host);
            snprintf(path, sizeof path, "%s/%s", sub, t->d_name);
            if (pid && tmp_stale(path, pid, host, me) && unlink(path) == 0)
                removed++;
        }
        if (dp)
            closedir(dp);
    }
    if (top)
        closedir(top);
    return removed;
}

int mmt_study_cache_check_dir(const char *dir, mmt_diag *d)
{
    /* the longest name a cache file gets: dir/xx/TMP_PREFIX<pid>.<host>.XXXXXX */
    if (!dir[0])
        return mmt__diag(d, MMT_EINVAL, "", 0, "the cache path is empty");
    if (strlen(dir) + 4 + strlen(TMP_PREFIX) + 20 + 128 + 8 >= 4096)
        return mmt__diag(
            d, MMT_EINVAL, "", 0,
            "the cache path is longer than %d bytes (its entries' names would not fit)",
            4096 - 4 - (int)strlen(TMP_PREFIX) - 20 - 128 - 8);
    return 0;
}

int mmt_study_cache_put(const char *dir, const char *key, const mmt_layer_result *res, mmt_diag *d)
{
    char sub[4096], path[4200], tail[32];
    if (entry_path(dir, key, sub, sizeof sub, path, sizeof path) != 0)
        return mmt__diag(d, MMT_ERANGE, dir, 0, "cache path too long");
    int mr = mmt__mkdir(dir, d);
    if (mr != 0 || (mr = mmt__mkdir(sub, d)) != 0)
        return mr;
    char *t = NULL, *c = NULL, *x = NULL;
    size_t len = 0, cl, xl;
    int r = mmt_report_format(0, res, 1, &c, &cl);
    if (r == 0)
        r = mmt_report_format(2, res, 1, &x, &xl);
    if (r == 0)
        r = append(&t, &len, CACHE_MAGIC, strlen(CACHE_MAGIC));
    if (r == 0 && (r = append(&t, &len, key, strlen(key))) == 0 &&
        (r = append(&t, &len, "\n", 1)) == 0 && (r = append(&t, &len, c, cl)) == 0 &&
        (r = append(&t, &len, x, xl)) == 0) {
        snprintf(tail, sizeof tail, "end %016" PRIx64 "\n", fnv(t, len));
        r = append(&t, &len, tail, strlen(tail));
    }
    if (r)
        r = mmt__diag(d, r, path, 0, "out of memory");
    else
        r = write_unique(sub, path, t, len, d);
    free(t);
    free(c);
    free(x);
    return r;
}
