/*
 * llm_cli.c - mmtrace-gen --model/--hf-config: writes, for every model x sequence length, a
 * SCALE-Sim GEMM topology OUTDIR/<model>_<phase>_l<seq>[_b<b>][_gated][_heads].csv and its
 * manifest <same>.parts.csv (see llm.c), plus the hardware .cfg (OUTDIR/<run_name>.cfg), so
 * that `scale.py -c OUTDIR/cloud.cfg -t OUTDIR/gpt2_decode_l128.csv -i gemm` runs as is.
 */
#include <config.h>

#include "llm_cli.h"

#include "cli.h"
#include "mmtrace.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MODELS 64
#define MAX_SEQS 64

/* The LLM front end's own options, appended to mmtrace-gen's table (llm_cli_longopts); -c, -p,
 * --scalesim, --help and --version are gen's entries, shared by both modes. */
/* clang-format off */
enum { OPT_MODEL = 1000, OPT_HF, OPT_SEQ, OPT_PHASE, OPT_BATCH, OPT_FFN, OPT_HW, OPT_EXPAND,
       OPT_ATTN, OPT_LAST };

static const struct option long_opts[] = {
    {"model", required_argument, NULL, OPT_MODEL},   {"hf-config", required_argument, NULL, OPT_HF},
    {"seq", required_argument, NULL, OPT_SEQ},       {"phase", required_argument, NULL, OPT_PHASE},
    {"batch", required_argument, NULL, OPT_BATCH},   {"ffn", required_argument, NULL, OPT_FFN},
    {"hw", required_argument, NULL, OPT_HW},         {"expand-heads", no_argument, NULL, OPT_EXPAND},
    {"attention", required_argument, NULL, OPT_ATTN}, {NULL, 0, NULL, 0}};
/* clang-format on */

/* What the command line asked for. */
typedef struct req {
    mmt_llm_model models[MAX_MODELS];
    size_t nmodels;
    int64_t seqs[MAX_SEQS];
    size_t nseqs;
    int phase; /* mmt_llm_phase */
    long batch;
    int ffn; /* -1: the model's default */
    int expand;
    int attn; /* mmt_llm_attn */
    const char *hw, *cfgp, *outdir;
    mmt_scalesim version; /* --scalesim: the SCALE-Sim the hardware cfg is written for */
    const char *first;    /* the first of these options given, for gen's usage errors */
} req;

static req cl = {.batch = 1, .ffn = -1}; /* what the options asked for */

void llm_cli_usage(FILE *f)
{
    fprintf(f,
            "\n"
            "LLM study (writes topologies and part manifests instead of traces):\n"
            "  mmtrace-gen (--model=NAME[,NAME...] | --hf-config=FILE)... --seq=LIST -p OUTDIR\n"
            "      --model=LIST        presets: the paper's gpt2, gpt2-medium, gpt2-large,\n"
            "                          gpt2-xl, opt-350m, opt-1.3b, opt-2.7b, opt-6.7b, opt-13b,\n"
            "                          opt-30b, opt-66b, llama-7b, llama-13b ('all': these 13);\n"
            "                          today's llama-3.1-8b, mistral-7b, qwen2.5-7b,\n"
            "                          mixtral-8x7b, bitnet-b1.58-2b\n"
            "      --hf-config=FILE    a HuggingFace config.json; its model_type must be one of:\n"
            "                         ");
    for (size_t i = 0; mmt_llm_family_at(i); i++)
        fprintf(f, "%s %s", i && i % 8 == 0 ? "\n                         " : "",
                mmt_llm_family_at(i)->model_type);
    fprintf(
        f, "\n"
           "      --seq=LIST          sequence lengths, e.g. 128,256,512 (default 128..4096)\n"
           "      --phase=PHASE       decode (M=1, KV cache of length l; default) or prefill\n"
           "      --batch=N           sequences per batch (default 1)\n"
           "      --ffn=KIND          plain (two matrices) or gated (gate, up, down); default:\n"
           "                          the model's (plain for the paper's presets)\n"
           "      --attention=MAP     grouped (default: one GEMM per KV head, M = h/h_kv\n"
           "                          query rows) or per-head (one GEMM per query head)\n"
           "      --hw=NAME           hardware preset written beside: cloud or edge (default\n"
           "                          cloud); or -c CFG to copy a .cfg\n"
           "      --expand-heads      one row per attention head instead of a counted row\n"
           "      --scalesim=VERSION  v2 (default) or v3: the preset cfg carries v3's keys, and a\n"
           "                          -c cfg must read under that version\n");
}

/* Adds the presets named in a comma list ("all" adds the paper's 13). A name given twice is
 * refused later, by the plan, as two requests for one file. */
static int add_models(req *q, const char *list)
{
    for (const char *p = list;; p += strcspn(p, ",") + 1) {
        size_t len = strcspn(p, ",");
        size_t cnt = len == 3 && !strncmp(p, "all", 3) ? mmt_llm_preset_count() : 1;
        char name[128];
        if (len == 0)
            return cli_error("--model: empty item in '%s'", list), -1;
        if (len >= sizeof name)
            return cli_error("--model: unknown model '%.*s' (see --help)", (int)len, p), -1;
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        for (size_t i = 0; i < cnt; i++, q->nmodels++) {
            if (q->nmodels == MAX_MODELS)
                return cli_error("--model: at most %d models", MAX_MODELS), -1;
            if (cnt > 1)
                q->models[q->nmodels] = *mmt_llm_preset_at(i);
            else if (mmt_llm_preset(name, &q->models[q->nmodels]) != 0)
                return cli_error("--model: unknown model '%s' (see --help)", name), -1;
        }
        if (!p[len])
            return 0;
    }
}

/* Parses --seq's comma list of lengths (the library's list parser). */
static int parse_seqs(req *q, const char *list)
{
    mmt_diag d = {0};
    if (mmt_list_i64(list, 1, (int64_t)1 << 40, MAX_SEQS, q->seqs, &q->nseqs, &d) == 0)
        return 0;
    cli_error("--seq: %s", d.message);
    return -1;
}

/* optarg as a choice of two: *out = 0 for a, 1 for b; returns 0 or EXIT_USAGE. */
static int pick(const char *opt, const char *a, const char *b, int *out)
{
    if (strcmp(optarg, a) && strcmp(optarg, b)) {
        cli_error("%s: expected %s or %s, got '%s'", opt, a, b, optarg);
        return EXIT_USAGE;
    }
    *out = !strcmp(optarg, b);
    return 0;
}

/* Handles one option; returns 0, or an exit status. */
static int take_opt(req *q, int c)
{
    mmt_diag d = {0};
    switch (c) {
    case OPT_MODEL: return add_models(q, optarg) ? EXIT_USAGE : 0;
    case OPT_HF:
        if (q->nmodels == MAX_MODELS) {
            cli_error("--hf-config: at most %d models", MAX_MODELS);
            return EXIT_USAGE;
        }
        if (mmt_llm_config_read(optarg, &q->models[q->nmodels], &d) != 0) {
            cli_print_diag(&d, NULL);
            return EXIT_ERR;
        }
        q->nmodels++;
        return 0;
    case OPT_SEQ: return parse_seqs(q, optarg) ? EXIT_USAGE : 0;
    case OPT_PHASE: return pick("--phase", "decode", "prefill", &q->phase);
    case OPT_BATCH:
        return cli_parse_long("--batch", optarg, 1, 1L << 20, &q->batch) ? EXIT_USAGE : 0;
    case OPT_FFN: return pick("--ffn", "plain", "gated", &q->ffn);
    case OPT_HW: {
        mmt_config cfg;
        if (mmt_study_hw(optarg, &cfg) != 0) {
            cli_error("--hw: expected cloud or edge, got '%s'", optarg);
            return EXIT_USAGE;
        }
        q->hw = optarg;
        return 0;
    }
    case OPT_EXPAND: q->expand = 1; return 0;
    case OPT_ATTN: return pick("--attention", "grouped", "per-head", &q->attn);
    default: return -1;
    }
}

/* Writes the hardware .cfg into OUTDIR (preset, or a copy of -c). */
static int write_hw(const req *q)
{
    char *path = NULL;
    mmt_config cfg;
    mmt_diag d = {0};
    mmt_study_hw(q->hw ? q->hw : "cloud", &cfg);
    cfg.version = q->version;
    int r = q->cfgp ? asprintf(&path, "%s/%s", q->outdir, cli_basename(q->cfgp))
                    : asprintf(&path, "%s/%s.cfg", q->outdir, cfg.run_name);
    if (r < 0) {
        cli_error("out of memory");
        return -1;
    }
    if (q->cfgp)
        r = cli_copy_input(q->cfgp, path);                /* names the file at fault */
    else if ((r = mmt_config_write(path, &cfg, &d)) != 0) /* the library's one cfg writer */
        cli_print_diag(&d, NULL);
    free(path);
    return r ? -1 : 0;
}

/* Writes every planned topology and manifest; one line per topology on stdout. */
static int write_all(const mmt_llm_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mmt_diag d = {0};
        char *topo = NULL, *man = NULL;
        int r = mmt_llm_plan_write(&jobs[i], &topo, &man, &d);
        if (r == 0)
            printf("%s: %zu layers (%s)\n", topo, jobs[i].b->n, cli_basename(man));
        else
            cli_print_diag(&d, NULL);
        free(topo);
        free(man);
        if (r)
            return -1;
    }
    return 0;
}

/* Lowers every model at every length (nothing written); a bad -c is found now too, not after
 * the topologies are written. */
static int plan(const req *q, mmt_llm_job **jobs)
{
    mmt_llm_opts o = {.phase = (mmt_llm_phase)q->phase,
                      .batch = q->batch,
                      .ffn = q->ffn < 0 ? MMT_LLM_FFN_PLAIN : (mmt_llm_ffn)q->ffn,
                      .expand_heads = q->expand,
                      .attention = (mmt_llm_attn)q->attn};
    mmt_diag d = {0};
    mmt_config cfg;
    if (mmt_llm_plan(q->outdir, q->models, q->nmodels, q->seqs, q->nseqs, &o, q->ffn < 0, jobs, &d,
                     cli_warn, NULL) != 0 ||
        (q->cfgp && mmt_config_read(q->cfgp, &cfg, &d, NULL, NULL) != 0)) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    return 0;
}

size_t llm_cli_longopts(const struct option *gen, struct option *out, size_t cap)
{
    size_t n = 0;
    for (; gen[n].name && n + 1 < cap; n++)
        out[n] = gen[n];
    for (const struct option *o = long_opts; o->name && n + 1 < cap; o++)
        out[n++] = *o;
    out[n] = (struct option){NULL, 0, NULL, 0};
    return n;
}

int llm_cli_option(int c, const char *name)
{
    static unsigned seen; /* bit c - OPT_MODEL: the option was given */
    if (c < OPT_MODEL || c >= OPT_LAST)
        return -1;
    if (!cl.first)
        cl.first = name;
    /* As in the study: --model and --hf-config add; a second value of any other option would
     * silently replace the first, so it is refused. */
    if (c != OPT_MODEL && c != OPT_HF && (seen >> (c - OPT_MODEL) & 1)) {
        cli_error("--%s: given twice; give it once (a comma list where it takes one)",
                  name ? name : "?");
        return EXIT_USAGE;
    }
    seen |= 1u << (c - OPT_MODEL);
    return take_opt(&cl, c);
}

const char *llm_cli_given(int *models)
{
    *models = cl.nmodels > 0;
    return cl.first;
}

int llm_cli_run(const char *cfgp, const char *outdir, mmt_scalesim version)
{
    static const int64_t def_seqs[] = {128, 256, 512, 1024, 2048, 4096};
    cl.cfgp = cfgp, cl.outdir = outdir, cl.version = version;
    if (!cl.outdir || (cl.hw && cl.cfgp))
        return cli_usage_error("%s", cl.outdir ? "--hw and -c exclude each other"
                                               : "-p OUTDIR is required");
    if (cl.nseqs == 0) {
        memcpy(cl.seqs, def_seqs, sizeof def_seqs);
        cl.nseqs = sizeof def_seqs / sizeof def_seqs[0];
    }
    mmt_config cc;
    mmt_diag cd = {0}; /* a missing or bad -c: its name, nothing made */
    if (cl.cfgp && mmt_config_read_version(cl.cfgp, cl.version, &cc, &cd, cli_warn, NULL) != 0) {
        cli_print_diag(&cd, NULL);
        return EXIT_ERR;
    }
    size_t njobs = cl.nmodels * cl.nseqs;
    mmt_llm_job *jobs = NULL;
    int r = plan(&cl, &jobs) != 0 ? EXIT_ERR : EXIT_OK;
    if (r == EXIT_OK && cli_mkdirs(cl.outdir) != 0)
        r = EXIT_ERR;
    if (r == EXIT_OK && (write_hw(&cl) != 0 || write_all(jobs, njobs) != 0))
        r = EXIT_ERR;
    mmt_llm_plan_free(jobs, jobs ? njobs : 0);
    return r;
}
