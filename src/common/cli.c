/*
 * cli.c - helpers shared by the mmtrace programs.
 */
#include <config.h>

#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

const char *cli_progname = PACKAGE;

/* Writes s to stderr with its control characters (a line end, an ANSI escape: names are data
 * and reach messages) as \xHH, so a message stays one line and never drives the terminal. */
static void put_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            fprintf(stderr, "\\x%02x", *p);
        else
            fputc(*p, stderr);
}

void cli_print_diag(const mmt_diag *d, const char *prefix)
{
    fprintf(stderr, "%s: ", cli_progname);
    put_safe(d->file);
    if (d->file[0] && d->line > 0)
        fprintf(stderr, ":%ld: ", d->line);
    else if (d->file[0])
        fprintf(stderr, ": ");
    put_safe(prefix ? prefix : "");
    put_safe(d->message);
    fputc('\n', stderr);
}

void cli_warn(void *ud, const mmt_diag *d)
{
    (void)ud;
    cli_print_diag(d, "warning: ");
}

/* The one-line message: "PROG: " and the text. */
static void say(const char *fmt, va_list ap)
{
    char small[1024], *line = small;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small && (line = malloc((size_t)n + 1)) != NULL)
        vsnprintf(line, (size_t)n + 1, fmt, again);
    va_end(again);
    fprintf(stderr, "%s: ", cli_progname);
    put_safe(line ? line : small); /* out of memory: the first 1023 bytes */
    fputc('\n', stderr);
    if (line != small)
        free(line);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        say(fmt, ap);
        va_end(ap);
    }
    fprintf(stderr, "Try '%s --help' for more information.\n", cli_progname);
    return EXIT_USAGE;
}

int cli_sys_error(const char *file, const char *fmt, ...)
{
    int e = errno ? errno : EIO;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    cli_error("%s: %s: %s", file, what, strerror(e));
    errno = e;
    return -1;
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
    mmt_diag d = {0};
    if (mmt_mkdirs(path, &d) == 0)
        return 0;
    cli_print_diag(&d, NULL); /* "PATH: cannot create directory: REASON" */
    return -1;
}

int cli_copy_input(const char *src, const char *dst)
{
    mmt_diag d = {0};
    if (mmt_copy_file(src, dst, &d) == 0)
        return 0;
    cli_print_diag(&d, NULL);
    return -1;
}

const char *cli_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int cli_check_path_arg(const char *opt, const char *arg)
{
    if (arg && !arg[0]) {
        cli_error("%s: the path is empty", opt);
        return -1;
    }
    return 0;
}

void cli_bad_option(char **argv, int c)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    int is_long = !strncmp(arg, "--", 2); /* glibc sets optopt for long options too */
    if (c == ':' && !is_long)
        cli_error("option requires an argument -- '%c'", optopt);
    else if (c == ':')
        cli_error("option '%s' requires an argument", arg);
    else if (!is_long && optopt)
        cli_error("invalid option -- '%c'", optopt);
    else
        cli_error("unrecognized option '%s'", arg);
    cli_usage_error(NULL);
}

int cli_flush_stdout(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    return cli_sys_error("standard output", "write error");
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

/* statvfs of dir or, when it does not exist yet, of its nearest existing ancestor. Returns
 * -1 when unknown (the writes themselves will then report a full disk). */
static int statvfs_near(const char *dir, struct statvfs *sv)
{
    char at[4096];
    snprintf(at, sizeof at, "%s", dir);
    while (statvfs(at, sv) != 0) {
        char *slash = strrchr(at, '/');
        if (errno != ENOENT || !at[0] || !strcmp(at, "."))
            return -1;
        if (slash == at)
            slash[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            strcpy(at, ".");
    }
    return 0;
}

int cli_check_space(const char *dir, uint64_t text, int force)
{
    struct statvfs sv;
    if (statvfs_near(dir, &sv) != 0)
        return 0;
    double avail = (double)sv.f_bavail * (double)sv.f_frsize;
    double need = (double)text / MMT_TRACE_BEST_RATIO;
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

int cli_check_inodes(const char *dir, uint64_t files, int force)
{
    struct statvfs sv;
    if (statvfs_near(dir, &sv) != 0 || sv.f_files == 0) /* 0: no fixed inode table (btrfs) */
        return 0;
    if (files <= (uint64_t)sv.f_favail)
        return 0;
    cli_error("%s%s: the run needs %" PRIu64 " files and directories, more than the %" PRIu64
              " free inodes of its filesystem%s",
              force ? "warning: " : "", dir, files, (uint64_t)sv.f_favail,
              force ? "; going on (--force)" : "; use --force to try anyway");
    return force ? 0 : -1;
}

int cli_parse_input_type(const char *arg, int *gemm)
{
    if (strcmp(arg, "gemm") && strcmp(arg, "conv")) {
        cli_error("--input-type: expected gemm or conv, got '%s'", arg);
        return -1;
    }
    *gemm = !strcmp(arg, "gemm");
    return 0;
}

int cli_parse_scalesim(const char *arg, mmt_scalesim *out)
{
    if (mmt_scalesim_parse(arg, out) == 0)
        return 0;
    cli_error("--scalesim: expected v2 or v3, got '%s'", arg);
    return -1;
}

void cli_init_malloc(void)
{
#ifdef M_ARENA_MAX
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        mallopt(M_ARENA_MAX, 1);
#endif
}

/* Inodes a gen run makes: per new layer its folder and three traces; the run folder, the two
 * copies, the lock and the marker. An existing layer folder needs none. */
static uint64_t gen_files(const mmt_run *run)
{
    const char *rd = mmt_run_dir(run);
    struct stat st;
    int exists = stat(rd, &st) == 0;
    uint64_t files = exists ? 4 : 5;
    for (size_t i = 0; i < mmt_run_count(run); i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/layer%zu", rd, i);
        files += exists && stat(path, &st) == 0 ? 0 : 4;
    }
    return files;
}

int cli_check_run_size(const mmt_run *run, int gen, int force)
{
    const char *outdir = mmt_run_options(run)->outdir;
    uint64_t text = mmt_run_trace_text(run), spill = mmt_run_spill_bytes(run);
    /* A replay's CALC spill file is uncompressed: it counts as text the estimate divides. */
    if (!gen && __builtin_add_overflow(text, spill * MMT_TRACE_BEST_RATIO, &text))
        text = UINT64_MAX;
    if ((text || gen) && cli_check_space(outdir, text, force) != 0)
        return -1;
    return gen ? cli_check_inodes(outdir, gen_files(run), force) : 0;
}
