/*
 * cli.c - helpers shared by the mmtrace programs.
 */
#include <config.h>

#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

const char *cli_progname = PACKAGE;

void cli_print_diag(const mmt_diag *d, const char *prefix)
{
    fprintf(stderr, "%s: ", cli_progname);
    if (d->file[0] && d->line > 0)
        fprintf(stderr, "%s:%ld: ", d->file, d->line);
    else if (d->file[0])
        fprintf(stderr, "%s: ", d->file);
    fprintf(stderr, "%s%s\n", prefix ? prefix : "", d->message);
}

void cli_warn(void *ud, const mmt_diag *d)
{
    (void)ud;
    cli_print_diag(d, "warning: ");
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_parse_long(const char *opt, const char *arg, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < lo || v > hi) {
        cli_error("%s: expected an integer from %ld to %ld, got '%s'", opt, lo, hi, arg);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_mkdirs(const char *path)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(buf, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int cli_copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return -1;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dst, (long)getpid());
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    int bad = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        bad |= fwrite(buf, 1, n, out) != n;
    bad |= ferror(in);
    fclose(in);
    bad |= fclose(out) != 0;
    if (bad || rename(tmp, dst) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e ? e : EIO;
        return -1;
    }
    return 0;
}

const char *cli_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int cli_lock_dir(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.mmtrace.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_error("%s: cannot create the lock file: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            cli_error("%s: another mmtrace run is writing this directory (%s is locked); "
                      "wait for it to finish or use another run_name or -p",
                      dir, cli_basename(path));
        else
            cli_error("%s: cannot lock: %s", path, strerror(e));
        close(fd);
        return -1;
    }
    return 0; /* fd stays open: the lock lasts until exit */
}

/* Whether name ends in one of our temporary suffixes (cli.h). */
static int is_stale_name(const char *name)
{
    const char *t = strstr(name, ".tmp."), *r = strstr(name, ".replay-");
    const char *s = t ? t + 5 : r ? r + 8 : NULL;
    if (!s || !*s || (t ? t : r) == name)
        return 0;
    size_t n = strlen(s), alnum = strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz"
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    size_t dig = strspn(s, "0123456789");
    return dig == n || (t && n == 6 && alnum == 6);
}

/* Removes our stale temporaries directly in dir; recurses once into layer<i>/. */
static void clean_dir(const char *dir, int depth)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(dp)) != NULL) {
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode) && is_stale_name(e->d_name))
            unlink(path);
        else if (S_ISDIR(st.st_mode) && depth == 0 && !strncmp(e->d_name, "layer", 5))
            clean_dir(path, 1);
    }
    closedir(dp);
}

void cli_clean_stale(const char *dir)
{
    clean_dir(dir, 0);
}

int64_t cli_trace_text_estimate(int64_t rows, int64_t width)
{
    int64_t t;
    if (__builtin_add_overflow(width, 1, &t) || __builtin_mul_overflow(t, 3, &t) ||
        __builtin_mul_overflow(rows, t, &t))
        return -1;
    return t;
}

/* Prints bytes with a binary unit, e.g. "3.2 GiB". */
static void human(char *buf, size_t n, double bytes)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    for (; bytes >= 1024 && u < 6; u++)
        bytes /= 1024;
    snprintf(buf, n, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

int cli_check_space(const char *dir, uint64_t text, int force)
{
    struct statvfs sv;
    char at[4096];
    snprintf(at, sizeof at, "%s", dir);
    while (statvfs(at, &sv) != 0) { /* dir may not exist yet: ask its nearest ancestor */
        char *slash = strrchr(at, '/');
        if (errno != ENOENT || !at[0] || !strcmp(at, "."))
            return 0; /* unknown: the writes themselves will report a full disk */
        if (slash == at)
            slash[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            strcpy(at, ".");
    }
    double avail = (double)sv.f_bavail * (double)sv.f_frsize;
    double need = (double)text / CLI_BEST_RATIO;
    if (need <= avail)
        return 0;
    char a[32], b[32], c[32];
    human(a, sizeof a, need);
    human(b, sizeof b, (double)text);
    human(c, sizeof c, avail);
    cli_error("%s%s: the traces would take at least %s compressed (%s of text), more than the "
              "%s free%s",
              force ? "warning: " : "", dir, a, b, c,
              force ? "; going on (--force)" : "; use --force to write them anyway");
    return force ? 0 : -1;
}

int cli_parse_scalesim(const char *arg, mmt_scalesim *out)
{
    if (mmt_scalesim_parse(arg, out) == 0)
        return 0;
    cli_error("--scalesim: expected v2 or v3, got '%s'", arg);
    return -1;
}
