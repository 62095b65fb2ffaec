/*
 * plan_slurm.c - a study as a Slurm job array and a dependent merge job (--plan=slurm): the
 * checks of the resources given as data for #SBATCH lines (mmt_study_slurm_set), and the
 * scripts DIR/slurm/shard.sbatch, merge.sbatch and submit.sh (mmt_study_plan_slurm).
 */
#include "study_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 1 if s is made only of bytes sbatch's #SBATCH reader keeps as they are and that cannot end
 * the line: printable ASCII other than space, " ' \ and #. */
static int sbatch_safe(const char *s)
{
    for (; *s; s++)
        if (*s <= ' ' || *s > '~' || strchr("\"'\\#", *s))
            return 0;
    return 1;
}

/* 1 if s is a Slurm time: [D-]H[:M[:S]] style digit groups, or UNLIMITED / INFINITE. */
static int slurm_time(const char *s)
{
    if (!strcmp(s, "UNLIMITED") || !strcmp(s, "INFINITE"))
        return 1;
    const char *dash = strchr(s, '-');
    if (dash && (dash == s || strspn(s, "0123456789") != (size_t)(dash - s)))
        return 0;
    const char *p = dash ? dash + 1 : s;
    for (int g = 0;; g++) {
        size_t d = strspn(p, "0123456789");
        if (d == 0 || g > 2)
            return 0;
        if (!p[d])
            return 1;
        if (p[d] != ':')
            return 0;
        p += d + 1;
    }
}

/* --slurm-cpus-per-task: a decimal from 1 to 65536, as strtol reads one (leading blanks and a
 * sign allowed, nothing after the digits). */
static int cpus(const char *v, long *out, mmt_diag *d)
{
    const char *p = v + strspn(v, " \t\n\v\f\r");
    int neg = *p == '-';
    p += *p == '-' || *p == '+';
    size_t k = strspn(p, "0123456789"), z = strspn(p, "0");
    long x = 0;
    for (size_t i = z; k > 0 && k - z <= 6 && i < k; i++)
        x = x * 10 + (p[i] - '0');
    if (k == 0 || p[k] || k - z > 6 || neg || x < 1 || x > 65536)
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "--slurm-cpus-per-task: expected an integer from 1 to 65536, got '%s'", v);
    *out = x;
    return 0;
}

/* --sbatch: one long sbatch option the plan does not set itself. */
static int sbatch(mmt_study_slurm *s, const char *v, mmt_diag *d)
{
    static const char *const plan_sets[] = {
        "array", "output", "dependency",    "chdir",     "wrap",    "kill-on-invalid-dep",
        "time",  "mem",    "cpus-per-task", "partition", "account", "parsable"};
    size_t k = strspn(v + (v[0] == '-' && v[1] == '-') * 2, "abcdefghijklmnopqrstuvwxyz-");
    const char *nm = v + 2;
    if (strncmp(v, "--", 2) || k == 0 || (nm[k] && nm[k] != '=') || !sbatch_safe(v))
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "--sbatch: expected one long sbatch option, --NAME or --NAME=VALUE "
                         "without spaces, quotes, backslashes or #, got '%s'",
                         v);
    for (size_t i = 0; i < sizeof plan_sets / sizeof *plan_sets; i++)
        if (!strncmp(nm, plan_sets[i], k)) { /* sbatch takes abbreviations too */
            int own = i >= 6 && i <= 10;
            return mmt__diag(d, MMT_EINVAL, "", 0,
                             "--sbatch: '%s': the plan sets --%s itself%s%s%s", v, plan_sets[i],
                             own ? " (give --slurm-" : "", own ? plan_sets[i] : "", own ? ")" : "");
        }
    if (s->nsbatch == MMT_STUDY_MAX_SBATCH)
        return mmt__diag(d, MMT_EINVAL, "", 0, "--sbatch: at most %d options",
                         MMT_STUDY_MAX_SBATCH);
    s->sbatch[s->nsbatch++] = v;
    return 0;
}

int mmt_study_slurm_set(mmt_study_slurm *s, const char *name, const char *v, mmt_diag *d)
{
    if (!s->given[0])
        snprintf(s->given, sizeof s->given, "--%s", name);
    int ok = 1;
    const char *want = "";
    if (!strcmp(name, "slurm-time"))
        ok = slurm_time(v), s->time = v, want = "minutes, [D-]HH:MM:SS or UNLIMITED";
    else if (!strcmp(name, "slurm-mem")) {
        size_t k = strspn(v, "0123456789");
        ok = k > 0 && (!v[k] || (strchr("KMGTkmgt", v[k]) && !v[k + 1])), s->mem = v;
        want = "a size such as 4000 (MB) or 16G";
    } else if (!strcmp(name, "slurm-cpus-per-task"))
        return cpus(v, &s->cpus, d);
    else if (!strcmp(name, "slurm-partition") || !strcmp(name, "slurm-account")) {
        int part = name[6] == 'p';
        const char *set = part ? "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789_.-,"
                               : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789_.-";
        ok = v[0] && strspn(v, set) == strlen(v);
        want = part ? "partition names (letters, digits, _ . -), comma-separated"
                    : "an account name (letters, digits, _ . -)";
        *(part ? &s->partition : &s->account) = v;
    } else if (!strcmp(name, "sbatch"))
        return sbatch(s, v, d);
    else
        return mmt__diag(d, MMT_EINVAL, "", 0, "--%s: not an option of the Slurm plan", name);
    if (!ok)
        return mmt__diag(d, MMT_EINVAL, "", 0, "--%s: expected %s, got '%s'", name, want, v);
    return 0;
}

/* The #SBATCH lines of the resources both jobs get (each value checked as data by
 * mmt_study_slurm_set: no space, quote, backslash or # that sbatch's reader would take
 * apart). */
static void sbatch_resources(mmt__buf *b, const mmt_study_slurm *s)
{
    if (s->time)
        mmt__buf_printf(b, "#SBATCH --time=%s\n", s->time);
    if (s->mem)
        mmt__buf_printf(b, "#SBATCH --mem=%s\n", s->mem);
    if (s->cpus)
        mmt__buf_printf(b, "#SBATCH --cpus-per-task=%ld\n", s->cpus);
    if (s->partition)
        mmt__buf_printf(b, "#SBATCH --partition=%s\n", s->partition);
    if (s->account)
        mmt__buf_printf(b, "#SBATCH --account=%s\n", s->account);
    for (size_t i = 0; i < s->nsbatch; i++)
        mmt__buf_printf(b, "#SBATCH %s\n", s->sbatch[i]);
}

/* The body of a job script: into the directory the plan was made in, the threads Slurm gave
 * the task, then the study (as a shard of the array when shard is set). */
static void job_body(mmt__buf *b, const mmt_study_plan_spec *ps, int shard)
{
    mmt__buf_printf(b, "cd -- ");
    mmt__st_shq(b, ps->cwd);
    mmt__buf_printf(b,
                    " || exit 1\n"
                    "# threads: the task's CPUs when Slurm says (--cpus-per-task), else -j of "
                    "the plan\n"
                    "j=${SLURM_CPUS_PER_TASK:-%ld}\n"
                    "[ \"$j\" -le 256 ] 2>/dev/null || j=256\n"
                    "exec ",
                    ps->jobs);
    mmt__st_command(b, ps, 0);
    mmt__buf_printf(b, " --jobs=\"$j\"");
    if (shard)
        mmt__buf_printf(b, " --shard=\"${SLURM_ARRAY_TASK_ID:?not a Slurm array task}/%u\"",
                        ps->nshards);
    mmt__buf_printf(b, "\n");
}

/* The text of script k (0 shard.sbatch, 1 merge.sbatch, 2 submit.sh). */
static void slurm_script(mmt__buf *b, int k, const mmt_study_plan_spec *ps, const char *sdir)
{
    mmt__buf_printf(b, "#!/bin/sh\n");
    if (k == 0) {
        mmt__buf_printf(b,
                        "#SBATCH --job-name=mmtrace-study\n#SBATCH --array=1-%u\n"
                        "#SBATCH --output=shard-%%A_%%a.log\n",
                        ps->nshards);
        sbatch_resources(b, ps->slurm);
        mmt__buf_printf(b, "# One task per shard: fills the layer cache, writes nothing else. "
                           "submit.sh\n# submits it from its own directory, where the logs go "
                           "(job_task.log).\n");
        job_body(b, ps, 1);
    } else if (k == 1) {
        mmt__buf_printf(b, "#SBATCH --job-name=mmtrace-study-merge\n"
                           "#SBATCH --output=merge-%%j.log\n");
        sbatch_resources(b, ps->slurm);
        mmt__buf_printf(b, "# Runs after every shard has succeeded: finds every layer cached and "
                           "writes\n# the tables and figures.\n");
        job_body(b, ps, 0);
    } else {
        mmt__buf_printf(b, "# Submits the shards as a job array, then the merge job after them "
                           "(cancelled\n# if a shard fails). Runs from any directory.\nset -e\n"
                           "cd -- ");
        mmt__st_shq(b, sdir);
        mmt__buf_printf(b, "\njid=$(sbatch --parsable shard.sbatch)\n"
                           "sbatch --parsable --dependency=afterok:\"${jid%%%%;*}\" "
                           "--kill-on-invalid-dep=yes merge.sbatch\n");
    }
}

/* Writes the text of b to path through the staged writer (mode 0777 before the umask when
 * exec is set, else 0666). */
static int write_script(const char *path, const mmt__buf *b, int exec, mmt_diag *d)
{
    mmt__staged s;
    int r = mmt__staged_open_mode(&s, path, 0, exec ? 0777 : 0666, d, "cannot create");
    for (size_t off = 0; r == 0 && off < b->n;) {
        ssize_t k = write(s.fd, b->p + off, b->n - off);
        if (k <= 0)
            r = mmt__sys_diag(d, path, 0, "cannot write");
        off += k > 0 ? (size_t)k : 0;
    }
    if (r == 0)
        r = mmt__staged_finish(&s, 1, d, "cannot write");
    if (r == 0)
        r = mmt__staged_publish(&s, d, "cannot rename into place");
    mmt__staged_abort(&s);
    return r;
}

/* No name a user gave is put on an #SBATCH line (sbatch reads those with rules of its own: a
 * space, a quote, a backslash or a # would change them): the logs are relative to the
 * directory submit.sh submits from, and the job's directory and command are in the script's
 * body, single-quoted for sh. */
int mmt_study_plan_slurm(const mmt_study_plan_spec *ps, char **submit, mmt_diag *d)
{
    static const char *const name[3] = {"shard.sbatch", "merge.sbatch", "submit.sh"};
    char *sdir = mmt__st_absolute(ps, "/slurm");
    *submit = NULL;
    if (!sdir)
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    int r = mmt_mkdirs(sdir, d);
    for (int k = 0; r == 0 && k < 3; k++) {
        mmt__buf b = {0};
        char *path = mmt__xfmt("%s/%s", sdir, name[k]);
        slurm_script(&b, k, ps, sdir);
        if (b.bad || !path)
            r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
        else
            r = write_script(path, &b, k == 2, d);
        free(path), free(b.p);
    }
    if (r == 0 && !(*submit = mmt__xfmt("%s/submit.sh", sdir)))
        r = mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    free(sdir);
    return r;
}
