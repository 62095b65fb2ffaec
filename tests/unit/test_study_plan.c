/*
 * test_study_plan.c - the plans' text (study/plan.c, plan_slurm.c): a hostile name quoted by
 * mmt_study_plan_shquote is read back by a real /bin/sh as exactly its bytes, and runs
 * nothing; the GNU parallel line carries names only as quoted ::: words (never in the
 * template); mmt_study_slurm_set refuses what an #SBATCH line would take apart.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mmtrace_study.h"

/* Names a user might give: quotes, command substitutions, backticks, newlines, GNU parallel's
 * replacement strings, globs and shell operators. */
static const char *const hostile[] = {
    "plain",
    "",
    "it's",
    "''",
    "'\\''",
    "a\"b\\c",
    "$(touch INJ)",
    "`touch INJ`",
    "${HOME}$HOME",
    "line\nbreak\n",
    "{= $_=`touch INJ` =}",
    "{} {1} {.}",
    "* ? [a] ~root",
    "a; touch INJ && b | c & d > e < f",
    "-n",
    "\t \x01\x7f\xc3\xa9",
};

/* What /bin/sh prints for `printf %s WORD` with WORD the quoted text; runs in dir. */
static char *sh_echo(const char *quoted, const char *dir)
{
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "cd '%s' && printf %%s %s", dir, quoted) > 0);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    free(cmd);
    size_t cap = 4096, n = 0;
    char *out = calloc(1, cap);
    for (ssize_t k; (k = read(fd[0], out + n, cap - 1 - n)) > 0;)
        n += (size_t)k;
    close(fd[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    out[n] = '\0';
    return out;
}

/* Each hostile name comes back from a real shell as its bytes, and nothing ran. */
static void shquote_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/mmt-plan-XXXXXX";
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        char *q = NULL;
        assert_int_equal(mmt_study_plan_shquote(hostile[i], &q), 0);
        assert_true(q[0] == '\'' && q[strlen(q) - 1] == '\'');
        char *back = sh_echo(q, dir);
        if (strcmp(back, hostile[i]))
            fail_msg("name %zu: the shell read '%s' as '%s'", i, q, back);
        free(back), free(q);
    }
    char inj[64];
    snprintf(inj, sizeof inj, "%s/INJ", dir);
    assert_int_not_equal(access(inj, F_OK), 0); /* no substitution ran */
    rmdir(dir);
}

/* The exact text of a few quotings: ' becomes '\'' and nothing else is touched. */
static void shquote_exact(void **state)
{
    (void)state;
    static const char *const cases[][2] = {{"", "''"},
                                           {"a b", "'a b'"},
                                           {"it's", "'it'\\''s'"},
                                           {"$(x)\n`y`", "'$(x)\n`y`'"},
                                           {"{= 1 =}", "'{= 1 =}'"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *q = NULL;
        assert_int_equal(mmt_study_plan_shquote(cases[i][0], &q), 0);
        assert_string_equal(q, cases[i][1]);
        free(q);
    }
}

/* The parallel line: a hostile study dir appears only quoted, after the template (which holds
 * only {N} and --shard={1}/N), and the plan's own options are not passed on. */
static void parallel_template(void **state)
{
    (void)state;
    const char *dir = "d'$(touch INJ){= 1 =}\nx";
    mmt_study_opt opts[] = {{"study", dir},    {"plan", "parallel"}, {"shards", "2"},
                            {"model", "gpt2"}, {"no-cache", NULL},   {"jobs", "3"}};
    mmt_study_slurm sl = {0};
    mmt_study_plan_spec ps = {.program = "/bin/prog",
                              .cwd = "/w d",
                              .nshards = 2,
                              .outdir = dir,
                              .cache = "/c",
                              .opts = opts,
                              .nopts = sizeof opts / sizeof *opts,
                              .jobs = 3,
                              .slurm = &sl};
    char *line = NULL;
    mmt_diag d = {0};
    assert_int_equal(mmt_study_plan_parallel(&ps, &line, &d), 0);
    const char *tmpl = strstr(line, "-q {2} {3} {4} {5} --jobs=3 --shard={1}/2 ::: 1 2 ::: ");
    assert_non_null(tmpl);
    const char *want = "::: '/bin/prog' ::: '--study=d'\\''$(touch INJ){= 1 =}\nx' ::: "
                       "'--model=gpt2' ::: '--cache=/c' && '/bin/prog' '--study=d'\\''$(touch "
                       "INJ){= 1 =}\nx' '--model=gpt2' '--cache=/c' --jobs=3\n";
    assert_non_null(strstr(line, want));
    assert_true(strncmp(line, "cd -- '/w d' && mkdir -p -- '/w d/d'\\''", 38) == 0);
    assert_null(strstr(line, "--plan"));
    assert_null(strstr(line, "--shards="));
    free(line);
}

/* Values an #SBATCH line would take apart, and the plan's own sbatch options, are usage
 * errors with the user's line; good ones are kept. */
static void slurm_values(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"slurm-time", "ten"},
        {"slurm-time", "1:2:3:4"},
        {"slurm-mem", "4X"},
        {"slurm-mem", "G"},
        {"slurm-cpus-per-task", "0"},
        {"slurm-cpus-per-task", "65537"},
        {"slurm-cpus-per-task", "1x"},
        {"slurm-cpus-per-task", "99999999999999999999"},
        {"slurm-partition", "a;b"},
        {"slurm-account", "a,b"},
        {"sbatch", "--qos=a b"},
        {"sbatch", "--qos=a#b"},
        {"sbatch", "--qos='x'"},
        {"sbatch", "--arr=1-9"},
        {"sbatch", "-o"},
        {"sbatch", "--time=1"},
        {"sbatch", "--qos=$(x)\nq"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        mmt_study_slurm s = {0};
        mmt_diag d = {0};
        if (mmt_study_slurm_set(&s, bad[i][0], bad[i][1], &d) != MMT_EINVAL)
            fail_msg("--%s=%s accepted", bad[i][0], bad[i][1]);
        assert_non_null(strstr(d.message, bad[i][0]));
    }
    mmt_study_slurm s = {0};
    mmt_diag d = {0};
    assert_int_equal(mmt_study_slurm_set(&s, "slurm-cpus-per-task", "+8", &d), 0);
    assert_int_equal(s.cpus, 8);
    assert_int_equal(mmt_study_slurm_set(&s, "sbatch", "--qos=normal", &d), 0);
    assert_int_equal(mmt_study_slurm_set(&s, "slurm-time", "1-2:00:00", &d), 0);
    assert_string_equal(s.given, "--slurm-cpus-per-task");
    assert_int_equal(s.nsbatch, 1);
    assert_int_equal(mmt_study_slurm_set(&s, "sbatch", "--time=1", &d), MMT_EINVAL);
    assert_string_equal(d.message, "--sbatch: '--time=1': the plan sets --time itself (give "
                                   "--slurm-time)");
}

/* Each option once but those that add; more than the list holds is refused, not dropped. */
static void optlist_once(void **state)
{
    (void)state;
    mmt_study_optlist *l = calloc(1, sizeof *l);
    mmt_diag d = {0};
    mmt_study_optlist_add(l, "model", "gpt2");
    mmt_study_optlist_add(l, "model", "llama");
    mmt_study_optlist_add(l, "sbatch", "--qos=a");
    mmt_study_optlist_add(l, "sbatch", "--qos=b");
    mmt_study_optlist_add(l, "seq", "128");
    assert_int_equal(mmt_study_optlist_check(l, &d), 0);
    mmt_study_optlist_add(l, "seq", "256");
    assert_int_equal(mmt_study_optlist_check(l, &d), MMT_EINVAL);
    assert_string_equal(d.message, "--seq: given twice; give it once (a comma list where it "
                                   "takes one)");
    l->n = 0;
    for (int i = 0; i <= MMT_STUDY_MAX_OPTS; i++)
        mmt_study_optlist_add(l, "model", "gpt2");
    assert_int_equal(l->n, MMT_STUDY_MAX_OPTS);
    assert_int_equal(mmt_study_optlist_check(l, &d), MMT_EINVAL);
    assert_string_equal(d.message, "more than 512 options");
    free(l);
}

/* The plan's options against each other. */
static void plan_checks(void **state)
{
    (void)state;
    mmt_study_slurm none = {0}, mem = {.given = "--slurm-mem"};
    mmt_diag d = {0};
    assert_int_equal(mmt_study_plan_check(NULL, 0, 1, &none, &d), 0);
    assert_int_equal(mmt_study_plan_check("slurm", 0, 0, &mem, &d), 0);
    assert_int_equal(mmt_study_plan_check("pbs", 0, 0, &none, &d), MMT_EINVAL);
    assert_string_equal(d.message, "--plan: expected parallel or slurm, got 'pbs'");
    assert_int_equal(mmt_study_plan_check("parallel", 0, 1, &none, &d), MMT_EINVAL);
    assert_int_equal(mmt_study_plan_check(NULL, 2, 1, &none, &d), MMT_EINVAL);
    assert_int_equal(mmt_study_plan_check("parallel", 2, 0, &none, &d), MMT_EINVAL);
    assert_int_equal(mmt_study_plan_check("parallel", 0, 0, &mem, &d), MMT_EINVAL);
    assert_string_equal(d.message, "--slurm-mem: an option of --plan=slurm");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shquote_roundtrip), cmocka_unit_test(shquote_exact),
        cmocka_unit_test(parallel_template), cmocka_unit_test(slurm_values),
        cmocka_unit_test(optlist_once),      cmocka_unit_test(plan_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
