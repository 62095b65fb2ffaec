/*
 * study_plan.c - what mmtrace-replay's study modes do around the engine: the study part of
 * --help; --fractions over one
 * run's reports; the command lines that run a study as shards on GNU parallel
 * (--plan=parallel) or as a Slurm job array with a dependent merge job (--plan=slurm); and the
 * figure options (--format, --figure-size, --no-titles; the library draws the figures).
 */
#include <config.h>

#include "study_cli.h"

#include "cli.h"
#include "mmtrace_study.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void study_cli_usage(FILE *f)
{
    fprintf(f,
            "\n1-bit LLM study:\n"
            "  mmtrace-replay --fractions=MANIFEST RUNDIR\n"
            "      fractions of the MatMul-free part for one run (RUNDIR holds the reports of\n"
            "      mmtrace-replay or SCALE-Sim; MANIFEST is the .parts.csv beside the topology)\n"
            "  mmtrace-replay --study=DIR [AXIS]... [OPTION]...\n"
            "      every point of the cross product of the axes is one row of DIR/results.csv;\n"
            "      also fractions.csv, amdahl.csv, fits.csv, fit_predictions.csv, figures/,\n"
            "      topologies/ and hw/. Axes (comma lists):\n"
            "      --hw=LIST         cloud, edge or SCALE-Sim .cfg paths (default cloud,edge)\n"
            "      --dataflow=LIST   os, ws, is (default: each cfg's own)\n"
            "      --model=LIST      presets or all (default all); --hf-config=PATH (repeatable)\n"
            "      --seq=LIST        lengths (default 128,256,512,1024,2048,4096)\n"
            "      --phase=LIST      decode, prefill (default decode)\n"
            "      --batch=LIST      batch sizes (default 1)\n"
            "      --ffn=LIST        plain, gated (default: each model's own)\n"
            "      --weights=LIST    projection weight widths in bits, e.g. 8,2,1.58 (default\n"
            "                        8); attention stays 8-bit (doc/study.md)\n"
            "      --mmf-array=RxC   also run the projections on an R x C MatMul-free array\n"
            "      --memory=LIST     memory policies: scalesim, stream (default: each cfg's\n"
            "                        own); adds the bounds columns to results.csv\n"
            "      --dram=INI, --clock=MHZ  the stream policy's DRAM and every point's clock\n"
            "                        (default: each cfg's [memory])\n"
            "      -j, --jobs=N      simulation threads (default 2)\n"
            "      --cache=DIR       layer cache (default $XDG_CACHE_HOME/mmtrace or\n"
            "                        ~/.cache/mmtrace); --no-cache: none\n"
            "      --shard=I/N       simulate share I of N of the distinct layers into the\n"
            "                        cache and write nothing else; then run without --shard\n"
            "      --plan=parallel|slurm  print the GNU parallel command line, or write a\n"
            "                        Slurm job array and merge job to DIR/slurm/, for --shards=N\n"
            "                        shards (default 2); not with --shard\n"
            "      --slurm-time=T, --slurm-mem=SIZE, --slurm-cpus-per-task=N,\n"
            "      --slurm-partition=LIST, --slurm-account=NAME  resources of both Slurm jobs\n"
            "      --sbatch=--OPT[=VALUE]  any other sbatch option (repeatable)\n"
            "      --format=LIST     figures: svg, png, pdf (default svg,png), each with a CSV\n"
            "                        of the numbers it plots\n"
            "      --figure-size=column|page  3.3 in (one column) or 7 in wide (default page)\n"
            "      --no-titles       no title above the figures (a paper's caption says it)\n"
            "      --traces=MODELS   keep full traces and reports under DIR/traces/\n"
            "      --scalesim=v2|v3  simulate every hardware point as SCALE-Sim v2 (default)\n"
            "                        or v3.0.0 (hw cfgs read and written in v3's format)\n"
            "      --engine=E        fused model engine: auto (default), rows or folds\n"
            "      Each option once, but --model, --hf-config and --sbatch, which add.\n");
}

/* 1 if name is one of the reports a run directory holds (SCALE-Sim's three, BYTES_REPORT). */
static int is_report(const char *name)
{
    static const char *const r[] = {"COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv",
                                    "DETAILED_ACCESS_REPORT.csv", "BYTES_REPORT.csv"};
    for (size_t i = 0; i < sizeof r / sizeof *r; i++)
        if (!strcmp(name, r[i]))
            return 1;
    return 0;
}

/* A manifest BASE.parts.csv describes the workload of the topology BASE.csv beside it (the
 * file names are how the two identify it). mmtrace-gen copies the topology into the run
 * directory, so a run directory holding topologies (.csv files other than reports) but not
 * BASE.csv is of another workload, even with as many layers. -1 after a message. */
static int same_workload(const char *manifest, const char *rundir)
{
    const char *base = cli_basename(manifest);
    size_t n = strlen(base), suf = strlen(".parts.csv");
    if (n <= suf || strcmp(base + n - suf, ".parts.csv"))
        return 0; /* not named as mmtrace writes manifests: nothing to go by */
    DIR *D = opendir(rundir);
    if (!D)
        return 0; /* the reports' reader says why */
    char other[256] = "";
    int found = 0;
    for (struct dirent *e; (e = readdir(D));) {
        size_t k = strlen(e->d_name);
        if (k < 5 || strcmp(e->d_name + k - 4, ".csv") || is_report(e->d_name) ||
            e->d_name[0] == '.')
            continue;
        if (k - 4 == n - suf && !strncmp(e->d_name, base, n - suf))
            found = 1;
        else if (!other[0])
            snprintf(other, sizeof other, "%s", e->d_name);
    }
    closedir(D);
    if (found || !other[0])
        return 0;
    cli_error("%s: the run is of the topology %s, but %s describes %.*s.csv: another workload",
              rundir, other, base, (int)(n - suf), base);
    return -1;
}

/* Refuses a manifest from a study directory marked incomplete (DIR/topologies/X.parts.csv:
 * DIR is checked; so is the manifest's own folder). */
static int study_dir_check(const char *manifest, mmt_diag *d)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", manifest);
    char *s = strrchr(dir, '/');
    if (!s)
        snprintf(dir, sizeof dir, ".");
    else
        *(s == dir ? s + 1 : s) = '\0';
    int r = mmt_study_dir_check(dir, d);
    s = strrchr(dir, '/');
    const char *last = s ? s + 1 : dir;
    if (r == 0 && !strcmp(last, "topologies")) {
        if (s == dir)
            s[1] = '\0';
        else if (s)
            *s = '\0';
        else
            snprintf(dir, sizeof dir, ".");
        r = mmt_study_dir_check(dir, d);
    }
    return r;
}

/* --fractions: prints one CSV record of totals by part, fractions and S(100) both ways. */
int study_fractions(const char *manifest, const char *rundir)
{
    mmt_llm_block *b;
    mmt_diag d = {0};
    if (study_dir_check(manifest, &d) != 0) /* a study killed while renaming its outputs */
        return cli_print_diag(&d, NULL), EXIT_ERR;
    /* a run a kill interrupted mixes old and new reports */
    if (mmt_rundir_check_complete(rundir, -1, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    if (same_workload(manifest, rundir) != 0)
        return EXIT_ERR;
    if (mmt_llm_manifest_read(manifest, &b, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    mmt_layer_result *res = calloc(b->n + 1, sizeof *res);
    mmt_study_fractions fr;
    size_t n = 0;
    int rc = EXIT_ERR;
    if (!res)
        cli_error("out of memory");
    else if (mmt_report_read(rundir, b->n + 1, res, &n, &d) != 0)
        cli_print_diag(&d, NULL);
    else if (n != b->n)
        cli_error("%s: %zu layers in the reports, but the manifest has %zu", rundir, n, b->n);
    else if (mmt_study_fractions_compute(b, res, &fr) != 0)
        cli_error("%s: totals overflow 64 bits", rundir);
    else {
        printf("part,total_cycles,stall_cycles,sram_accesses,dram_accesses\n");
        for (int p = 0; p < 2; p++)
            printf("%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
                   mmt_llm_part_name((mmt_llm_part)p), fr.cycles[p], fr.stalls[p], fr.sram[p],
                   fr.dram[p]);
        printf("\nf_compute,f_memory,f_dram,S100_projections,S100_attention\n"
               "%.6f,%.6f,%.6f,%.4f,%.4f\n",
               fr.f_compute, fr.f_memory, fr.f_dram, mmt_study_amdahl(fr.f_compute, 100),
               mmt_study_amdahl(1 - fr.f_compute, 100));
        rc = EXIT_OK;
    }
    free(res);
    mmt_llm_block_free(b);
    return rc;
}

/* Prints s single-quoted for a POSIX shell: every byte stands for itself inside '...' (a
 * newline too), and a ' is written as '\''. */
static void shq(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
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

/* The program the plans run: MMTRACE_REPLAY when set, else this program's own path. In a build
 * tree libtool runs this binary as DIR/.libs/[lt-]mmtrace-replay from a wrapper script
 * DIR/mmtrace-replay that sets the library path first; the binary alone cannot find the
 * uninstalled libraries (exit 127), so the plans name the wrapper. -1 after a message. */
static int program(char *buf, size_t cap)
{
    const char *env = getenv("MMTRACE_REPLAY");
    if (env && env[0]) {
        if (access(env, X_OK) != 0)
            return cli_error("MMTRACE_REPLAY=%s: not an executable program", env), -1;
        return snprintf(buf, cap, "%s", env) < (int)cap ? 0 : -1;
    }
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n <= 0 || (size_t)n >= cap - 1)
        return cli_error("cannot find this program's path (/proc/self/exe); set MMTRACE_REPLAY"),
               -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    const char *base = slash + 1;
    if (slash - buf < 6 || strncmp(slash - 6, "/.libs", 6))
        return 0; /* installed, or linked statically: it runs as it is */
    if (!strncmp(base, "lt-", 3))
        base += 3;
    char wrapper[PATH_MAX];
    snprintf(wrapper, sizeof wrapper, "%.*s%s", (int)(slash - 6 - buf) + 1, buf, base);
    if (access(wrapper, X_OK) != 0 || !libtool_wrapper(wrapper))
        return cli_error("%s: an uninstalled binary that cannot run without libtool's wrapper "
                         "script, and none is beside .libs/; set MMTRACE_REPLAY",
                         buf),
               -1;
    return snprintf(buf, cap, "%s", wrapper) < (int)cap ? 0 : -1;
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

/* The command of one study process: the program, each option passed on as --name=value (or
 * --name), whatever abbreviation or form was written, and --cache=DIR. The strings are
 * allocated (free with argv_free); NULL if out of memory. */
static char **command(const char *prog, const study_plan_spec *ps)
{
    char **av = calloc(ps->nopts + 3, sizeof *av);
    size_t n = 0;
    int bad = !av || !(av[n++] = strdup(prog));
    for (size_t i = 0; !bad && i < ps->nopts; i++) {
        const study_opt *o = &ps->opts[i];
        if (pass_on(o->name))
            bad = (o->value ? asprintf(&av[n], "--%s=%s", o->name, o->value)
                            : asprintf(&av[n], "--%s", o->name)) < 0 ||
                  !av[n++];
    }
    if (!bad)
        bad = asprintf(&av[n], "--cache=%s", ps->cache) < 0 || !av[n++];
    if (bad && av)
        for (size_t i = 0; i < n; i++)
            free(av[i]);
    if (bad)
        free(av), av = NULL, cli_error("out of memory");
    return av;
}

static void argv_free(char **av)
{
    for (size_t i = 0; av && av[i]; i++)
        free(av[i]);
    free(av);
}

/* Prints the words of av single-quoted, each after a space (the first without). */
static void words_sh(FILE *f, char *const *av)
{
    for (size_t i = 0; av[i]; i++) {
        if (i)
            fputc(' ', f);
        shq(f, av[i]);
    }
}

/* DIR made absolute against cwd (the plans work from any directory); NULL if out of memory. */
static char *absolute(const char *cwd, const char *dir)
{
    char *a = NULL;
    if (asprintf(&a, "%s%s%s", dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir) < 0)
        return cli_error("out of memory"), NULL;
    return a;
}

/* --plan=parallel: one POSIX shell command line. Its words are quoted for the shell that reads
 * the line; GNU parallel then builds each shard's command and runs it through a shell again.
 * parallel's template text is itself code (replacement strings such as {} and {= perl =}), so
 * no user-given word is ever put there: the template is only {2} {3} ... --shard={1}/N, and the
 * words come in as input sources (::: lists), which parallel takes as data; -q quotes each for
 * the shell parallel runs, and -0 keeps a newline inside one word. The joblog records each
 * shard, so running the same line again after a failure (--resume-failed) reruns only the
 * shards that failed or never ran; the merge then runs after every shard has succeeded. */
static int plan_parallel(const study_plan_spec *ps, char *const *av, const char *cwd,
                         const char *absdir)
{
    size_t n = 0;
    while (av[n])
        n++;
    printf("cd -- ");
    shq(stdout, cwd);
    printf(" && mkdir -p -- ");
    shq(stdout, absdir);
    printf(" && parallel -0 --halt now,fail=1 -j %u --joblog ", ps->nshards);
    char *log = NULL;
    if (asprintf(&log, "%s/shards.joblog", absdir) < 0)
        return cli_error("out of memory"), EXIT_ERR;
    shq(stdout, log);
    free(log);
    printf(" --resume-failed -q");
    for (size_t i = 0; i < n; i++)
        printf(" {%zu}", i + 2);
    printf(" --jobs=%ld --shard={1}/%u :::", ps->jobs, ps->nshards);
    for (unsigned i = 1; i <= ps->nshards; i++)
        printf(" %u", i);
    for (size_t i = 0; i < n; i++) {
        printf(" ::: ");
        shq(stdout, av[i]);
    }
    printf(" && ");
    words_sh(stdout, av);
    printf(" --jobs=%ld\n", ps->jobs);
    return EXIT_OK;
}

/* The #SBATCH lines of the resources both jobs get (each value checked as data by
 * study_slurm_set: no space, quote, backslash or # that sbatch's reader would take apart). */
static void sbatch_resources(FILE *f, const study_slurm *s)
{
    if (s->time)
        fprintf(f, "#SBATCH --time=%s\n", s->time);
    if (s->mem)
        fprintf(f, "#SBATCH --mem=%s\n", s->mem);
    if (s->cpus)
        fprintf(f, "#SBATCH --cpus-per-task=%ld\n", s->cpus);
    if (s->partition)
        fprintf(f, "#SBATCH --partition=%s\n", s->partition);
    if (s->account)
        fprintf(f, "#SBATCH --account=%s\n", s->account);
    for (size_t i = 0; i < s->nsbatch; i++)
        fprintf(f, "#SBATCH %s\n", s->sbatch[i]);
}

/* The body of a job script: into the directory the plan was made in, the threads Slurm gave
 * the task, then the study (as a shard of the array when shard is set). */
static void job_body(FILE *f, const study_plan_spec *ps, char *const *av, const char *cwd,
                     int shard)
{
    fputs("cd -- ", f);
    shq(f, cwd);
    fprintf(f,
            " || exit 1\n"
            "# threads: the task's CPUs when Slurm says (--cpus-per-task), else -j of the plan\n"
            "j=${SLURM_CPUS_PER_TASK:-%ld}\n"
            "[ \"$j\" -le 256 ] 2>/dev/null || j=256\n"
            "exec ",
            ps->jobs);
    words_sh(f, av);
    fputs(" --jobs=\"$j\"", f);
    if (shard)
        fprintf(f, " --shard=\"${SLURM_ARRAY_TASK_ID:?not a Slurm array task}/%u\"", ps->nshards);
    fputc('\n', f);
}

/* Writes text to dir/name under a temporary name in dir, synced, then renamed over it (mode
 * 0777 or 0666 before the umask). -1 after a message. */
static int write_script(const char *dir, const char *name, const char *text, size_t len, int exec)
{
    char *path = NULL, *tmp = NULL;
    int rc = -1;
    if (asprintf(&path, "%s/%s", dir, name) < 0 ||
        asprintf(&tmp, "%s/.mmtrace-tmp.%ld.%s", dir, (long)getpid(), name) < 0)
        return free(path), cli_error("out of memory"), -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, exec ? 0777 : 0666);
    if (fd < 0)
        cli_sys_error(tmp, "cannot create");
    else if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
        cli_sys_error(tmp, "cannot write"), close(fd), unlink(tmp);
    else if (close(fd) != 0)
        cli_sys_error(tmp, "cannot write"), unlink(tmp);
    else if (rename(tmp, path) != 0)
        cli_sys_error(path, "cannot rename %s to it", tmp), unlink(tmp);
    else
        rc = 0;
    free(path), free(tmp);
    return rc;
}

/* The text of script k (0 shard.sbatch, 1 merge.sbatch, 2 submit.sh) into a new string. */
static char *slurm_script(int k, const study_plan_spec *ps, char *const *av, const char *cwd,
                          const char *sdir, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    if (!f)
        return NULL;
    fputs("#!/bin/sh\n", f);
    if (k == 0) {
        fprintf(f,
                "#SBATCH --job-name=mmtrace-study\n#SBATCH --array=1-%u\n"
                "#SBATCH --output=shard-%%A_%%a.log\n",
                ps->nshards);
        sbatch_resources(f, ps->slurm);
        fputs("# One task per shard: fills the layer cache, writes nothing else. submit.sh\n"
              "# submits it from its own directory, where the logs go (job_task.log).\n",
              f);
        job_body(f, ps, av, cwd, 1);
    } else if (k == 1) {
        fputs("#SBATCH --job-name=mmtrace-study-merge\n#SBATCH --output=merge-%j.log\n", f);
        sbatch_resources(f, ps->slurm);
        fputs("# Runs after every shard has succeeded: finds every layer cached and writes\n"
              "# the tables and figures.\n",
              f);
        job_body(f, ps, av, cwd, 0);
    } else {
        fputs("# Submits the shards as a job array, then the merge job after them (cancelled\n"
              "# if a shard fails). Runs from any directory.\nset -e\ncd -- ",
              f);
        shq(f, sdir);
        fputs("\njid=$(sbatch --parsable shard.sbatch)\n"
              "sbatch --parsable --dependency=afterok:\"${jid%%;*}\" --kill-on-invalid-dep=yes "
              "merge.sbatch\n",
              f);
    }
    if (fclose(f) != 0)
        return free(text), NULL;
    return text;
}

/* --plan=slurm: DIR/slurm/shard.sbatch, merge.sbatch and submit.sh (executable). No name a
 * user gave is put on an #SBATCH line (sbatch reads those with rules of its own: a space, a
 * quote, a backslash or a # would change them): the logs are relative to the directory
 * submit.sh submits from, and the job's directory and command are in the script's body,
 * single-quoted for sh. */
static int plan_slurm(const study_plan_spec *ps, char *const *av, const char *cwd,
                      const char *absdir)
{
    static const char *const name[3] = {"shard.sbatch", "merge.sbatch", "submit.sh"};
    char *sdir = NULL;
    if (asprintf(&sdir, "%s/slurm", absdir) < 0)
        return cli_error("out of memory"), EXIT_ERR;
    int rc = cli_mkdirs(sdir) ? EXIT_ERR : EXIT_OK;
    for (int k = 0; rc == EXIT_OK && k < 3; k++) {
        size_t len = 0;
        char *text = slurm_script(k, ps, av, cwd, sdir, &len);
        if (!text)
            rc = EXIT_ERR, cli_error("out of memory");
        else if (write_script(sdir, name[k], text, len, k == 2))
            rc = EXIT_ERR;
        free(text);
    }
    if (rc == EXIT_OK)
        printf("%s/submit.sh (sbatch shard.sbatch, then merge.sbatch)\n", sdir);
    free(sdir);
    return rc;
}

int study_plan(const study_plan_spec *ps)
{
    char cwd[PATH_MAX], prog[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return cli_error("cannot get the working directory: %s", strerror(errno)), EXIT_ERR;
    if (program(prog, sizeof prog) != 0)
        return EXIT_ERR;
    char **av = command(prog, ps), *absdir = absolute(cwd, ps->outdir);
    int rc = EXIT_ERR;
    if (av && absdir)
        rc = !strcmp(ps->how, "parallel") ? plan_parallel(ps, av, cwd, absdir)
                                          : plan_slurm(ps, av, cwd, absdir);
    argv_free(av);
    free(absdir);
    return rc;
}

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

int study_slurm_set(study_slurm *s, const char *name, const char *v)
{
    static const char *const plan_sets[] = {
        "array", "output", "dependency",    "chdir",     "wrap",    "kill-on-invalid-dep",
        "time",  "mem",    "cpus-per-task", "partition", "account", "parsable"};
    if (!s->given[0])
        snprintf(s->given, sizeof s->given, "--%s", name);
    int ok = 1;
    const char *want = "";
    if (!strcmp(name, "slurm-time"))
        ok = slurm_time(v), s->time = v, want = "minutes, [D-]HH:MM:SS or UNLIMITED";
    else if (!strcmp(name, "slurm-mem")) {
        size_t d = strspn(v, "0123456789");
        ok = d > 0 && (!v[d] || (strchr("KMGTkmgt", v[d]) && !v[d + 1])), s->mem = v;
        want = "a size such as 4000 (MB) or 16G";
    } else if (!strcmp(name, "slurm-cpus-per-task"))
        return cli_parse_long("--slurm-cpus-per-task", v, 1, 65536, &s->cpus);
    else if (!strcmp(name, "slurm-partition") || !strcmp(name, "slurm-account")) {
        const char *set = name[6] == 'p' ? "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_.-,"
                                         : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_.-";
        ok = v[0] && strspn(v, set) == strlen(v);
        want = name[6] == 'p' ? "partition names (letters, digits, _ . -), comma-separated"
                              : "an account name (letters, digits, _ . -)";
        *(name[6] == 'p' ? &s->partition : &s->account) = v;
    } else { /* sbatch */
        size_t k = strspn(v + (v[0] == '-' && v[1] == '-') * 2, "abcdefghijklmnopqrstuvwxyz-");
        const char *nm = v + 2;
        if (strncmp(v, "--", 2) || k == 0 || (nm[k] && nm[k] != '=') || !sbatch_safe(v))
            return cli_error("--sbatch: expected one long sbatch option, --NAME or --NAME=VALUE "
                             "without spaces, quotes, backslashes or #, got '%s'",
                             v),
                   -1;
        for (size_t i = 0; i < sizeof plan_sets / sizeof *plan_sets; i++)
            if (!strncmp(nm, plan_sets[i], k)) /* sbatch takes abbreviations too */
                return cli_error("--sbatch: '%s': the plan sets --%s itself%s%s%s", v, plan_sets[i],
                                 i >= 6 && i <= 10 ? " (give --slurm-" : "",
                                 i >= 6 && i <= 10 ? plan_sets[i] : "",
                                 i >= 6 && i <= 10 ? ")" : ""),
                       -1;
        if (s->nsbatch == STUDY_MAX_SBATCH)
            return cli_error("--sbatch: at most %d options", STUDY_MAX_SBATCH), -1;
        s->sbatch[s->nsbatch++] = v;
        return 0;
    }
    if (!ok)
        return cli_error("--%s: expected %s, got '%s'", name, want, v), -1;
    return 0;
}

int study_figure_options(const char *format, const char *size, int no_titles, mmt_fig_style *out)
{
    mmt_list l;
    mmt_diag d = {0};
    out->formats = 0, out->size = MMT_FIG_PAGE, out->no_titles = no_titles;
    if (mmt_list_parse(format ? format : "svg,png", 3, &l, &d) != 0)
        return cli_error("--format: %s", d.message), EXIT_USAGE;
    int rc = EXIT_OK;
    for (size_t i = 0; rc == EXIT_OK && i < l.n; i++)
        if (!strcmp(l.item[i], "svg"))
            out->formats |= MMT_FIG_SVG;
        else if (!strcmp(l.item[i], "png"))
            out->formats |= MMT_FIG_PNG;
        else if (!strcmp(l.item[i], "pdf"))
            out->formats |= MMT_FIG_PDF;
        else
            rc = (cli_error("--format: expected svg, png or pdf, got '%s'", l.item[i]), EXIT_USAGE);
    mmt_list_free(&l);
    if (rc == EXIT_OK && size && strcmp(size, "page") && strcmp(size, "column"))
        rc = (cli_error("--figure-size: expected column or page, got '%s'", size), EXIT_USAGE);
    if (size && !strcmp(size, "column"))
        out->size = MMT_FIG_COLUMN;
    return rc;
}
