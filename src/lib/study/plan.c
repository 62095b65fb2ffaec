/*
 * plan.c - the text of a study run as shards (mmt_study_plan_*): the POSIX shell quoting of a
 * name as data, the program the plans run, the GNU parallel command line (--plan=parallel)
 * and the Slurm job array with its dependent merge job (--plan=slurm), written to DIR/slurm/
 * through the staged writer. The program only parses the options and prints.
 */
#include "study_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Appends s single-quoted for a POSIX shell: every byte stands for itself inside '...' (a
 * newline too), and a ' is written as '\''. */
void mmt__st_shq(mmt__buf *b, const char *s)
{
    mmt__buf_printf(b, "'");
    for (; *s; s++)
        if (*s == '\'')
            mmt__buf_printf(b, "'\\''");
        else
            mmt__buf_printf(b, "%c", *s);
    mmt__buf_printf(b, "'");
}

int mmt_study_plan_shquote(const char *s, char **out)
{
    mmt__buf b = {0};
    mmt__st_shq(&b, s);
    *out = b.bad ? NULL : b.p;
    if (b.bad)
        free(b.p);
    return *out ? 0 : MMT_ENOMEM;
}

/* 1 if the first bytes of path say it is a libtool wrapper script. */
static int libtool_wrapper(const char *path)
{
    char head[512];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(head, 1, sizeof head - 1, f) : 0;
    if (f)
        fclose(f);
    head[n] = '\0';
    return n > 2 && !strncmp(head, "#!", 2) && strstr(head, "temporary wrapper script for");
}

/* In a build tree libtool runs the program as DIR/.libs/[lt-]NAME from a wrapper script
 * DIR/NAME that sets the library path first; the binary alone cannot find the uninstalled
 * libraries (exit 127), so the plans name the wrapper. buf holds the binary's path. */
static int wrapper_of(char *buf, size_t cap, mmt_diag *d)
{
    char *slash = strrchr(buf, '/');
    const char *base = slash + 1;
    if (slash - buf < 6 || strncmp(slash - 6, "/.libs", 6))
        return 0; /* installed, or linked statically: it runs as it is */
    if (!strncmp(base, "lt-", 3))
        base += 3;
    char wrapper[PATH_MAX];
    snprintf(wrapper, sizeof wrapper, "%.*s%s", (int)(slash - 6 - buf) + 1, buf, base);
    if (access(wrapper, X_OK) != 0 || !libtool_wrapper(wrapper))
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "%s: an uninstalled binary that cannot run without libtool's wrapper "
                         "script, and none is beside .libs/; set MMTRACE_REPLAY",
                         buf);
    if (snprintf(buf, cap, "%s", wrapper) >= (int)cap)
        return mmt__diag(d, MMT_EINVAL, "", 0, "%s: path too long", wrapper);
    return 0;
}

int mmt_study_plan_program(char *buf, size_t cap, mmt_diag *d)
{
    const char *env = getenv("MMTRACE_REPLAY");
    if (env && env[0]) {
        if (access(env, X_OK) != 0)
            return mmt__diag(d, MMT_EINVAL, "", 0, "MMTRACE_REPLAY=%s: not an executable program",
                             env);
        if (snprintf(buf, cap, "%s", env) >= (int)cap)
            return mmt__diag(d, MMT_EINVAL, "", 0, "MMTRACE_REPLAY=%s: path too long", env);
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "cannot find this program's path (/proc/self/exe); set MMTRACE_REPLAY");
    buf[n] = '\0';
    return wrapper_of(buf, cap, d);
}

/* 1 if option name is passed on to the shards and the merge: every option but the plan's own,
 * the cache (given explicitly) and -j (set per process). */
static int pass_on(const char *name)
{
    static const char *const mine[] = {"plan",       "shards",          "cache",
                                       "no-cache",   "shard",           "jobs",
                                       "slurm-time", "slurm-mem",       "slurm-cpus-per-task",
                                       "sbatch",     "slurm-partition", "slurm-account"};
    for (size_t i = 0; i < sizeof mine / sizeof *mine; i++)
        if (!strcmp(name, mine[i]))
            return 0;
    return 1;
}

/* The number of words of the command of one study process (command). */
static size_t nwords(const mmt_study_plan_spec *ps)
{
    size_t n = 2;
    for (size_t i = 0; i < ps->nopts; i++)
        n += (size_t)pass_on(ps->opts[i].name);
    return n;
}

/* Appends the command of one study process, each word single-quoted after a space (the first
 * without): the program, each option passed on as --name=value (or --name), whatever
 * abbreviation or form was written, and --cache=DIR. With each set, every word is appended as
 * " ::: WORD" instead (GNU parallel's input sources). */
void mmt__st_command(mmt__buf *b, const mmt_study_plan_spec *ps, int each)
{
    size_t n = 0;
    char *w;
    for (size_t i = 0; i <= ps->nopts + 1; i++) {
        const mmt_study_opt *o = i > 0 && i <= ps->nopts ? &ps->opts[i - 1] : NULL;
        if (o && !pass_on(o->name))
            continue;
        if (i == 0)
            w = mmt__xfmt("%s", ps->program);
        else if (o)
            w = o->value ? mmt__xfmt("--%s=%s", o->name, o->value) : mmt__xfmt("--%s", o->name);
        else
            w = mmt__xfmt("--cache=%s", ps->cache);
        if (!w) {
            b->bad = 1;
            continue;
        }
        mmt__buf_printf(b, "%s", each ? " ::: " : n ? " " : "");
        mmt__st_shq(b, w);
        free(w), n++;
    }
}

/* The plan's directory name made absolute against cwd (the plans work from any directory). */
char *mmt__st_absolute(const mmt_study_plan_spec *ps, const char *sub)
{
    const char *dir = ps->outdir;
    int rel = dir[0] != '/';
    return mmt__xfmt("%s%s%s%s", rel ? ps->cwd : "", rel ? "/" : "", dir, sub);
}

/* The text of a buffer as the caller's string, or MMT_ENOMEM. */
int mmt__st_take(mmt__buf *b, char **out, mmt_diag *d)
{
    if (b->bad || !b->p) {
        free(b->p);
        *out = NULL;
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    *out = b->p;
    return 0;
}

/* GNU parallel's template text is itself code (replacement strings such as {} and {= perl =}),
 * so no user-given word is ever put there: the template is only {2} {3} ... --shard={1}/N, and
 * the words come in as input sources (::: lists), which parallel takes as data; -q quotes each
 * for the shell parallel runs, and -0 keeps a newline inside one word. The joblog records each
 * shard, so running the same line again after a failure (--resume-failed) reruns only the
 * shards that failed or never ran; the merge then runs after every shard has succeeded. */
int mmt_study_plan_parallel(const mmt_study_plan_spec *ps, char **line, mmt_diag *d)
{
    mmt__buf b = {0};
    char *absdir = mmt__st_absolute(ps, ""), *log = mmt__st_absolute(ps, "/shards.joblog");
    if (absdir && log) {
        mmt__buf_printf(&b, "cd -- ");
        mmt__st_shq(&b, ps->cwd);
        mmt__buf_printf(&b, " && mkdir -p -- ");
        mmt__st_shq(&b, absdir);
        mmt__buf_printf(&b, " && parallel -0 --halt now,fail=1 -j %u --joblog ", ps->nshards);
        mmt__st_shq(&b, log);
        mmt__buf_printf(&b, " --resume-failed -q");
        size_t n = nwords(ps);
        for (size_t i = 0; i < n; i++)
            mmt__buf_printf(&b, " {%zu}", i + 2);
        mmt__buf_printf(&b, " --jobs=%ld --shard={1}/%u :::", ps->jobs, ps->nshards);
        for (unsigned i = 1; i <= ps->nshards; i++)
            mmt__buf_printf(&b, " %u", i);
        mmt__st_command(&b, ps, 1);
        mmt__buf_printf(&b, " && ");
        mmt__st_command(&b, ps, 0);
        mmt__buf_printf(&b, " --jobs=%ld\n", ps->jobs);
    } else
        b.bad = 1;
    free(absdir), free(log);
    return mmt__st_take(&b, line, d);
}
