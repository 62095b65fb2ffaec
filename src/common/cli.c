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
    return cli_copy_input(src, dst, 0);
}

int cli_copy_input(const char *src, const char *dst, int verbose)
{
    FILE *in = fopen(src, "rb");
    if (!in) {
        return verbose ? cli_sys_error(src, "cannot open") : -1;
    }
    char tmp[4200];
    FILE *out = NULL;
    if (mmt_temp_path(dst, (long)getpid(), tmp, sizeof tmp) != 0)
        errno = ENAMETOOLONG;
    else
        out = fopen(tmp, "wb");
    if (!out) {
        int e = errno;
        fclose(in);
        errno = e;
        return verbose ? cli_sys_error(dst, "cannot create") : -1;
    }
    char buf[65536];
    size_t n;
    int bad = 0, rbad;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        bad |= fwrite(buf, 1, n, out) != n;
    rbad = ferror(in);
    int e = errno;
    fclose(in);
    bad |= fflush(out) != 0 || fsync(fileno(out)) != 0;
    bad |= fclose(out) != 0;
    if (rbad || bad || rename(tmp, dst) != 0) {
        e = rbad ? e : errno;
        unlink(tmp);
        errno = e ? e : EIO;
        return verbose ? cli_sys_error(rbad ? src : dst, "cannot %s", rbad ? "read" : "write")
                       : -1;
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
    if (fd < 0)
        return cli_sys_error(path, "cannot create the lock file");
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            cli_error("%s: another mmtrace run is writing this directory (%s is locked); "
                      "wait for it to finish or use another run_name or -p",
                      dir, cli_basename(path));
        else
            cli_sys_error(path, "cannot lock");
        close(fd);
        return -1;
    }
    return 0; /* fd stays open: the lock lasts until exit */
}

/* Whether process pid is gone (or is this one, which has made no temporary yet). */
static int pid_dead(long pid)
{
    if (pid == (long)getpid())
        return 1;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Whether name is "layer" followed by digits only: a layer folder of the run. */
static int is_layer_dir(const char *name)
{
    return !strncmp(name, "layer", 5) && name[5] && strspn(name + 5, "0123456789") == strlen(name + 5);
}

/* Removes our temporaries of dead processes directly in dir; recurses once into layer<N>/. */
static void clean_dir(const char *dir, int depth)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    char path[4400];
    while ((e = readdir(dp)) != NULL) {
        long pid = mmt_temp_pid(e->d_name);
        if (!pid && !(depth == 0 && is_layer_dir(e->d_name)))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        if (pid && S_ISREG(st.st_mode) && pid_dead(pid))
            unlink(path);
        else if (!pid && S_ISDIR(st.st_mode))
            clean_dir(path, 1);
    }
    closedir(dp);
}

void cli_clean_stale(const char *dir)
{
    clean_dir(dir, 0);
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
    fprintf(stderr, "Try '%s --help' for more information.\n", cli_progname);
}

int cli_flush_stdout(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    return cli_sys_error("standard output", "write error");
}

int cli_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

/* The marker file's name and the word each kind of run writes into it. */
static const char *const marker_name = ".mmtrace-incomplete";
static const char *const kind_word[3] = {"fused", "replay", "gen"};
static const char *const kind_prog[3] = {"mmtrace-replay --no-traces", "mmtrace-replay",
                                         "mmtrace-gen"};

int cli_check_complete(const char *rundir, int kind)
{
    char path[4200], word[16] = "";
    snprintf(path, sizeof path, "%s/%s", rundir, marker_name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : cli_sys_error(path, "cannot open");
    size_t n = fread(word, 1, sizeof word - 1, f);
    fclose(f);
    word[n] = '\0';
    word[strcspn(word, "\n")] = '\0';
    int had = 2; /* an unknown word: as if mmtrace-gen wrote it */
    for (int k = 0; k < 3; k++)
        if (!strcmp(word, kind_word[k]))
            had = k;
    if (kind >= 0 && kind >= had)
        return 0; /* this run rewrites all that the interrupted one was writing */
    cli_error("%s: incomplete: an interrupted %s run left old and new files mixed here (%s); "
              "rerun %s",
              rundir, kind_prog[had], marker_name, kind_prog[had]);
    return -1;
}

int cli_mark_incomplete(const char *rundir, int kind)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", rundir, marker_name);
    FILE *f = NULL;
    if (mmt_temp_path(path, (long)getpid(), tmp, sizeof tmp) == 0)
        f = fopen(tmp, "wb");
    int bad = !f;
    if (f) {
        bad |= fprintf(f, "%s\n", kind_word[kind]) < 0;
        bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
        bad |= fclose(f) != 0;
    }
    if (bad || rename(tmp, path) != 0 || cli_fsync_dir(rundir) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return cli_sys_error(path, "cannot write");
    }
    return 0;
}

int cli_mark_complete(const char *rundir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", rundir, marker_name);
    if (cli_fsync_dir(rundir) != 0 || (unlink(path) != 0 && errno != ENOENT) ||
        cli_fsync_dir(rundir) != 0) {
        return cli_sys_error(path, "cannot remove");
    }
    return 0;
}

void cli_test_kill_point(void)
{
    static long count;
    const char *s = getenv("MMTRACE_TEST_KILL_AFTER");
    if (s && *s && ++count == atol(s))
        raise(SIGKILL);
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
