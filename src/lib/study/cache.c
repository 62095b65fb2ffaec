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
 * (a hash collision, another version), whose checksum fails or whose rows do not parse is
 * reported as corrupt and recomputed; it is never trusted. Entries are written under a unique
 * temporary name (mkstemp: pids are not unique across machines sharing the directory) and
 * renamed into place, so concurrent writers of one key leave one complete entry.
 */
#include "internal.h"
#include "mmtrace_study.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    int n = snprintf(key, cap,
                     "mmtrace %s; array %" PRId64 "x%" PRId64 "; dataflow %s; sram_kb %" PRId64
                     "/%" PRId64 "/%" PRId64 "; offsets %" PRId64 "/%" PRId64 "/%" PRId64
                     "; bandwidth %s; gemm %" PRId64 "x%" PRId64 "x%" PRId64
                     "; scalesim v%d; banks %" PRId64 "/%" PRId64 "; bits %d/%d/%d",
                     PACKAGE_VERSION, c->array_h, c->array_w, mmt_dataflow_name(c->dataflow),
                     c->ifmap_kb, c->filter_kb, c->ofmap_kb, c->ifmap_offset, c->filter_offset,
                     c->ofmap_offset, bw, M, N, K, c->version == MMT_SCALESIM_V3 ? 3 : 2,
                     c->bank_bw[0], c->bank_bw[1], (int)mmt_precision_bits(c, MMT_OP_IFMAP),
                     (int)mmt_precision_bits(c, MMT_OP_FILTER), (int)mmt_precision_bits(c, MMT_OP_OFMAP));
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
                       mmt_layer_result *res)
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
        mmt_report_parse(1, name, q, (size_t)(end - q), r, 1, &n2, &d) || n2 != 1)
        return -1;
    *res = r[0];
    return 0;
}

int mmt_study_cache_get(const char *dir, const char *key, mmt_layer_result *res)
{
    char sub[4096], path[4200], *t;
    size_t len;
    if (entry_path(dir, key, sub, sizeof sub, path, sizeof path) != 0)
        return -1;
    if (access(path, F_OK) != 0)
        return 0;
    if (mmt__slurp(path, &t, &len, NULL) != 0)
        return -1;
    int r = entry_parse(t, len, key, path, res);
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

/* Writes text to a unique temporary file in sub and renames it to path. Not the staged output
 * writer (mmt__staged): an entry is a cache, not an output, so it is not synced (thousands per
 * sweep, and a lost one is only recomputed), and its temporary has a random name, since shards
 * on several hosts (Slurm) share the cache and their pids may coincide. */
static int write_unique(const char *sub, const char *path, const char *text, size_t len,
                        mmt_diag *d)
{
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s/.tmp.XXXXXX", sub);
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
