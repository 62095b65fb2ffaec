/*
 * test_study_args.c - the study's axes from option values (args.c): malformed values of each
 * axis give MMT_EINVAL with the exact line mmtrace-replay prints, a bad file gives its own
 * code and names the file, and good values and the defaults land in the spec.
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

#include <cmocka.h>

#include "mmtrace_study.h"

/* Path of a file in the source tree (MMT_SRCDIR from make check). */
static const char *srcpath(const char *rel)
{
    static char buf[4096];
    const char *src = getenv("MMT_SRCDIR");
    snprintf(buf, sizeof buf, "%s/%s", src ? src : ".", rel);
    return buf;
}

/* Sets option=value on fresh args and expects code err with message msg (NULL: any). */
static void bad(const char *option, const char *value, int err, const char *msg)
{
    mmt_study_args *a;
    mmt_diag d = {0};
    assert_int_equal(mmt_study_args_new(&a), 0);
    int e = mmt_study_args_set(a, option, value, MMT_SCALESIM_V2, NULL, NULL, &d);
    if (e != err)
        fail_msg("%s=%s: code %d, expected %d (%s)", option, value, e, err, d.message);
    if (msg && strcmp(d.message, msg))
        fail_msg("%s=%s: message '%s', expected '%s'", option, value, d.message, msg);
    mmt_study_args_free(a);
}

/* A usage error: MMT_EINVAL with the line the CLI prints, and no file. */
static void usage(const char *option, const char *value, const char *msg)
{
    bad(option, value, MMT_EINVAL, msg);
}

/* "1,2,...,n". */
static char *count_list(size_t n)
{
    char *s = malloc(n * 8 + 1), *p = s;
    for (size_t i = 1; i <= n; i++)
        p += sprintf(p, "%s%zu", i > 1 ? "," : "", i);
    return s;
}

/* A malformed option value and the line mmtrace-replay prints for it. */
typedef struct usage_case {
    const char *option, *value, *msg;
} usage_case;

/* Each case of the table: a usage error with its line. */
static void usage_table(const usage_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        usage(c[i].option, c[i].value, c[i].msg);
}

/* Every value of option: a usage error whose line is fmt with the value in it. */
static void usage_each(const char *option, const char *fmt, const char *const *values, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char m[256];
        snprintf(m, sizeof m, fmt, values[i]);
        usage(option, values[i], m);
    }
}

static void test_names(void **state)
{
    (void)state;
    static const usage_case cases[] = {
        {"--dataflow", "os,,ws", "--dataflow: empty item 2 in 'os,,ws'"},
        {"--dataflow", "os,os", "--dataflow: 'os' appears twice"},
        {"--dataflow", "os,xs", "--dataflow: unknown value 'xs'"},
        {"--dataflow", "", "--dataflow: empty list"},
        {"--phase", "decode,train", "--phase: unknown value 'train'"},
        {"--phase", "decode,", "--phase: empty item 2 in 'decode,'"},
        {"--ffn", "plain,plain", "--ffn: 'plain' appears twice"},
        {"--ffn", "swiglu", "--ffn: unknown value 'swiglu'"},
        {"--model", "bitnet-nope", "--model: unknown model 'bitnet-nope'"},
        {"--model", ",all", "--model: empty item 1 in ',all'"},
        {"--hw", "cloud,mobile", "--hw: 'mobile' is not cloud, edge or a readable .cfg file"},
        {"--hw", "edge,edge", "--hw: 'edge' appears twice"},
        {"--nope", "1", "--nope: not an axis option of the study"},
    };
    usage_table(cases, sizeof cases / sizeof *cases);
    bad("--traces", "x", 0, NULL); /* checked against the models by check */
}

static void test_numbers(void **state)
{
    (void)state;
    char *many = count_list(257);
    usage("--seq", many, "--seq: 257 items, at most 256 allowed");
    free(many);
    static const usage_case cases[] = {
        {"--seq", "128,,256", "--seq: empty item 2 in '128,,256'"},
        {"--seq", "128,128", "--seq: '128' appears twice"},
        {"--seq", "1073741825", "--seq: 1073741825 is outside 1..1073741824"},
        {"--seq", "12a", "--seq: '12a' is not an integer"},
        {"--batch", "0", "--batch: 0 is outside 1..65536"},
        {"--batch", "65537", "--batch: 65537 is outside 1..65536"},
        {"--weights", "8,8.0", "--weights: '8.0' appears twice"},
        {"--weights", "8,", "--weights: empty item 2 in '8,'"},
    };
    usage_table(cases, sizeof cases / sizeof *cases);
    static const char *const widths[] = {"33", "1.5801"};
    usage_each("--weights",
               "--weights: '%s' is not a width from 1 to 32 bits (at most three decimals)", widths,
               sizeof widths / sizeof *widths);
    static const char *const rxc[] = {"64",   "0x64",    "64x",   "x64", "64x64x2",
                                      "-1x4", "65537x1", "64*64", ""};
    usage_each("--mmf-array", "--mmf-array: expected RxC with 1 <= R, C <= 65536, got '%s'", rxc,
               sizeof rxc / sizeof *rxc);
    static const char *const in[] = {"0/2",  "3/2",  "1/4097", "1/2x",         "1",
                                     "a/b",  "",     "+1/+2",  "4294967297/2", " 1/ 2",
                                     "1/ 2", "1 /2", "1/-2",   "00001/2",      "1/2/"};
    usage_each("--shard", "--shard: expected I/N with 1 <= I <= N <= 4096, got '%s'", in,
               sizeof in / sizeof *in);
}

/* A bad .cfg or config.json is bad input (exit 1), not bad usage: its code, its file. */
static void test_files(void **state)
{
    (void)state;
    mmt_study_args *a;
    mmt_diag d = {0};
    assert_int_equal(mmt_study_args_new(&a), 0);
    int e = mmt_study_args_set(a, "--hw", srcpath("tests/llm/llama.json"), MMT_SCALESIM_V2, NULL,
                               NULL, &d);
    assert_true(e < 0 && e != MMT_EINVAL);
    assert_non_null(strstr(d.file, "llama.json"));
    memset(&d, 0, sizeof d);
    e = mmt_study_args_set(a, "--hf-config", srcpath("tests/llm/deepseek_v2.json"), MMT_SCALESIM_V2,
                           NULL, NULL, &d);
    assert_int_equal(e, MMT_EPARSE); /* the reader's MMT_EINVAL (MLA) is not a usage error */
    assert_non_null(strstr(d.file, "deepseek_v2.json"));
    mmt_study_args_free(a);
    mmt_study_args_free(NULL);
}

/* Runs check on args built from n option=value pairs; returns its code, message in d. */
static int check_of(const char *const *kv, size_t n, mmt_diag *d)
{
    mmt_study_args *a;
    assert_int_equal(mmt_study_args_new(&a), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(
            mmt_study_args_set(a, kv[2 * i], kv[2 * i + 1], MMT_SCALESIM_V2, NULL, NULL, d), 0);
    int e = mmt_study_args_check(a, d);
    mmt_study_args_free(a);
    return e;
}

static void test_check(void **state)
{
    (void)state;
    mmt_diag d = {0};
    const char *twice[] = {"--model", "mistral-7b", "--model", "mistral-7b"};
    assert_int_equal(check_of(twice, 2, &d), MMT_EINVAL);
    assert_string_equal(d.message, "--model: 'mistral-7b' appears twice");
    char p1[8192]; /* one cfg under two paths: both named "good" */
    snprintf(p1, sizeof p1, "%s,", srcpath("tests/bad/good.cfg"));
    strcat(p1, srcpath("tests/bad/../bad/good.cfg"));
    const char *same[] = {"--hw", p1};
    assert_int_equal(check_of(same, 1, &d), MMT_EINVAL);
    assert_string_equal(d.message, "--hw: two configurations named 'good'");
    const char *tr[] = {"--model", "mistral-7b", "--traces", "mistral-7b,llama"};
    assert_int_equal(check_of(tr, 2, &d), MMT_EINVAL);
    assert_string_equal(d.message, "--traces: 'llama' is not one of the models studied");
    const char *tr2[] = {"--traces", "all,,x"};
    assert_int_equal(check_of(tr2, 1, &d), MMT_EINVAL);
    assert_string_equal(d.message, "--traces: empty item 2 in 'all,,x'");
    const char *ok[] = {"--model", "mistral-7b", "--traces", "all,mistral-7b"};
    assert_int_equal(check_of(ok, 2, &d), 0);
    /* SCALE-Sim v3 has one word size: widths other than 8 and a second array are refused */
    static const char *const v3[][2] = {{"--weights", "8,2"}, {"--mmf-array", "8x8"}};
    for (size_t i = 0; i < 2; i++) {
        mmt_study_args *a;
        assert_int_equal(mmt_study_args_new(&a), 0);
        assert_int_equal(mmt_study_args_set(a, v3[i][0], v3[i][1], MMT_SCALESIM_V3, NULL, NULL, &d),
                         0);
        assert_int_equal(mmt_study_args_set(a, "--hw", "edge", MMT_SCALESIM_V3, NULL, NULL, &d), 0);
        assert_int_equal(mmt_study_args_check(a, &d), MMT_EINVAL);
        assert_non_null(strstr(d.message, "not modelled with --scalesim=v3"));
        mmt_study_args_free(a);
    }
}

/* Good values land in the spec; check fills the axes not given. */
static void test_good(void **state)
{
    (void)state;
    mmt_study_args *a;
    mmt_diag d = {0};
    assert_int_equal(mmt_study_args_new(&a), 0);
    const char *kv[] = {
        "--model",    "gpt2",        "--hw",  "edge,cloud", "--model", "opt-350m", /* adds */
        "--dataflow", "ws,is",       "--seq", "512,128",    "--ffn",   "gated",    "--weights",
        "8,2,1.58",   "--mmf-array", "32X16", "--shard",    "2/5",     "--traces", "all"};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i += 2)
        if (mmt_study_args_set(a, kv[i], kv[i + 1], MMT_SCALESIM_V2, NULL, NULL, &d) != 0)
            fail_msg("%s=%s: %s", kv[i], kv[i + 1], d.message);
    assert_int_equal(mmt_study_args_check(a, &d), 0);
    const mmt_study_spec *sp = mmt_study_args_spec(a);
    const struct {
        const char *what;
        int64_t got, want;
    } eq[] = {
        {"nhw", sp->nhw, 2},
        {"hw[0].version", sp->hw[0].version, MMT_SCALESIM_V2},
        {"ndataflows", sp->ndataflows, 2},
        {"dataflows[0]", sp->dataflows[0], MMT_DF_WS},
        {"dataflows[1]", sp->dataflows[1], MMT_DF_IS},
        {"nseqs", sp->nseqs, 2},
        {"seqs[0]", sp->seqs[0], 512},
        {"seqs[1]", sp->seqs[1], 128},
        {"nffns", sp->nffns, 1},
        {"ffns[0]", sp->ffns[0], MMT_LLM_FFN_GATED},
        {"nweights", sp->nweights, 3},
        {"weights[0]", sp->weights[0], 8000},
        {"weights[1]", sp->weights[1], 2000},
        {"weights[2]", sp->weights[2], 1580},
        {"mmf_rows", sp->mmf_rows, 32},
        {"mmf_cols", sp->mmf_cols, 16},
        {"shard", sp->shard, 2},
        {"nshards", sp->nshards, 5},
        {"nmodels", sp->nmodels, 2},
        /* the defaults of the axes not given */
        {"nphases", sp->nphases, 1},
        {"phases[0]", sp->phases[0], MMT_LLM_DECODE},
        {"nbatches", sp->nbatches, 1},
        {"batches[0]", sp->batches[0], 1},
        {"jobs", sp->jobs, 2},
    };
    for (size_t i = 0; i < sizeof eq / sizeof *eq; i++)
        if (eq[i].got != eq[i].want)
            fail_msg("%s: %" PRId64 ", expected %" PRId64, eq[i].what, eq[i].got, eq[i].want);
    assert_string_equal(sp->hw[0].run_name, "edge");
    assert_string_equal(sp->hw[1].run_name, "cloud");
    assert_string_equal(sp->traces, "all");
    mmt_study_args_free(a);
}

/* Every axis option but --model and --hf-config is refused the second time, with its name. */
static void test_twice(void **state)
{
    (void)state;
    static const char *const kv[] = {"--hw",    "edge",    "--dataflow", "os",       "--phase",
                                     "decode",  "--ffn",   "plain",      "--seq",    "128",
                                     "--batch", "1",       "--weights",  "8",        "--mmf-array",
                                     "8x8",     "--shard", "1/2",        "--traces", "all"};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i += 2) {
        mmt_study_args *a;
        mmt_diag d = {0};
        char want[160];
        assert_int_equal(mmt_study_args_new(&a), 0);
        assert_int_equal(mmt_study_args_set(a, kv[i], kv[i + 1], MMT_SCALESIM_V2, NULL, NULL, &d),
                         0);
        assert_int_equal(mmt_study_args_set(a, kv[i], kv[i + 1], MMT_SCALESIM_V2, NULL, NULL, &d),
                         MMT_EINVAL);
        snprintf(want, sizeof want,
                 "%s: given twice; give one comma list (only --model and --hf-config add)", kv[i]);
        assert_string_equal(d.message, want);
        mmt_study_args_free(a);
    }
}

/* A .cfg of --hw is named after its file; with nothing set, check gives every default. */
static void test_defaults(void **state)
{
    (void)state;
    mmt_study_args *a;
    mmt_diag d = {0};
    assert_int_equal(mmt_study_args_new(&a), 0);
    const mmt_study_spec *sp = mmt_study_args_spec(a);
    assert_int_equal(sp->nffns, 1);
    assert_int_equal(sp->ffns[0], -1);
    assert_int_equal(mmt_study_args_check(a, &d), 0);
    assert_int_equal(sp->nhw, 2);
    assert_string_equal(sp->hw[0].run_name, "cloud");
    assert_int_equal(sp->nseqs, 6);
    assert_int_equal(sp->seqs[5], 4096);
    assert_int_equal(sp->ndataflows, 0);
    assert_int_equal(sp->nweights, 0);
    mmt_study_args_free(a);
    assert_int_equal(mmt_study_args_new(&a), 0);
    sp = mmt_study_args_spec(a);
    assert_int_equal(mmt_study_args_set(a, "--hw", srcpath("tests/bad/good.cfg"), MMT_SCALESIM_V2,
                                        NULL, NULL, &d),
                     0);
    assert_int_equal(mmt_study_args_set(a, "--hf-config", srcpath("tests/llm/llama.json"),
                                        MMT_SCALESIM_V2, NULL, NULL, &d),
                     0);
    assert_int_equal(mmt_study_args_check(a, &d), 0);
    assert_string_equal(sp->hw[0].run_name, "good");
    assert_int_equal(sp->nmodels, 1); /* --hf-config given: no default "all" */
    mmt_study_args_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names), cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_files), cmocka_unit_test(test_check),
        cmocka_unit_test(test_good),  cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
