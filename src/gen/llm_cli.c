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
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MODELS 64
#define MAX_SEQS 64

enum {
    OPT_MODEL = 1000,
    OPT_HF,
    OPT_SEQ,
    OPT_PHASE,
    OPT_BATCH,
    OPT_FFN,
    OPT_HW,
    OPT_EXPAND,
    OPT_ATTN,
    OPT_SCALESIM
};

static const struct option long_opts[] = {{"model", required_argument, NULL, OPT_MODEL},
                                          {"hf-config", required_argument, NULL, OPT_HF},
                                          {"seq", required_argument, NULL, OPT_SEQ},
                                          {"phase", required_argument, NULL, OPT_PHASE},
                                          {"batch", required_argument, NULL, OPT_BATCH},
                                          {"ffn", required_argument, NULL, OPT_FFN},
                                          {"hw", required_argument, NULL, OPT_HW},
                                          {"expand-heads", no_argument, NULL, OPT_EXPAND},
                                          {"attention", required_argument, NULL, OPT_ATTN},
                                          {"scalesim", required_argument, NULL, OPT_SCALESIM},
                                          {"config", required_argument, NULL, 'c'},
                                          {"path", required_argument, NULL, 'p'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};

/* What the command line asked for. */
typedef struct req {
    mmt_llm_model models[MAX_MODELS];
    size_t nmodels;
    int64_t seqs[MAX_SEQS];
    size_t nseqs;
    mmt_llm_phase phase;
    long batch;
    int ffn; /* -1: the model's default */
    int expand;
    mmt_llm_attn attn;
    const char *hw, *cfgp, *outdir;
    mmt_scalesim version; /* --scalesim: the SCALE-Sim the hardware cfg is written for */
} req;

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
    fprintf(f,
            "\n"
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

int llm_cli_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strncmp(argv[i], "--model", 7) || !strncmp(argv[i], "--hf-config", 11))
            return 1;
    }
    return 0;
}

/* Splits a comma list into a fresh copy whose items are NUL-separated; *n gets the item
 * count. An empty list or an empty item ("a,,b", "a,") is a usage error. Free the result. */
static char *split_list(const char *opt, const char *list, size_t *n)
{
    char *buf = strdup(list);
    if (!buf) {
        cli_error("%s: out of memory", opt);
        return NULL;
    }
    *n = 1;
    for (char *p = buf;; p++) {
        char *c = strchr(p, ',');
        if ((c ? c : p + strlen(p)) == p) {
            cli_error("%s: empty item in '%s'", opt, list);
            free(buf);
            return NULL;
        }
        if (!c)
            break;
        *c = '\0';
        p = c;
        ++*n;
    }
    return buf;
}

/* Adds the presets named in a comma list ("all" adds the paper's 13). */
static int add_models(req *q, const char *list)
{
    size_t n;
    char *buf = split_list("--model", list, &n), *t = buf;
    if (!buf)
        return -1;
    for (size_t k = 0; k < n; k++, t += strlen(t) + 1) {
        size_t cnt = !strcmp(t, "all") ? mmt_llm_preset_count() : 1;
        for (size_t i = 0; i < cnt; i++) {
            if (q->nmodels == MAX_MODELS) {
                cli_error("--model: at most %d models", MAX_MODELS);
                free(buf);
                return -1;
            }
            mmt_llm_model *m = &q->models[q->nmodels];
            if (cnt > 1)
                *m = *mmt_llm_preset_at(i);
            else if (mmt_llm_preset(t, m) != 0) {
                cli_error("--model: unknown model '%s' (see --help)", t);
                free(buf);
                return -1;
            }
            q->nmodels++;
        }
    }
    free(buf);
    return 0;
}

/* Parses a comma list of positive integers into out (at most max). */
static int parse_list(const char *opt, const char *list, int64_t *out, size_t max, size_t *n)
{
    size_t items;
    char *buf = split_list(opt, list, &items), *t = buf;
    int r = buf ? 0 : -1;
    *n = 0;
    for (size_t k = 0; r == 0 && k < items; k++, t += strlen(t) + 1) {
        long v;
        if (*n == max) {
            cli_error("%s: at most %zu values", opt, max);
            r = -1;
        } else if (cli_parse_long(opt, t, 1, 1L << 40, &v)) {
            r = -1;
        } else {
            out[(*n)++] = v;
        }
    }
    free(buf);
    return r;
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
    case OPT_SEQ: return parse_list("--seq", optarg, q->seqs, MAX_SEQS, &q->nseqs) ? EXIT_USAGE : 0;
    case OPT_SCALESIM: return cli_parse_scalesim(optarg, &q->version) ? EXIT_USAGE : 0;
    case OPT_PHASE:
        if (strcmp(optarg, "decode") && strcmp(optarg, "prefill")) {
            cli_error("--phase: expected decode or prefill, got '%s'", optarg);
            return EXIT_USAGE;
        }
        q->phase = strcmp(optarg, "decode") ? MMT_LLM_PREFILL : MMT_LLM_DECODE;
        return 0;
    case OPT_BATCH:
        return cli_parse_long("--batch", optarg, 1, 1L << 20, &q->batch) ? EXIT_USAGE : 0;
    case OPT_FFN:
        if (strcmp(optarg, "plain") && strcmp(optarg, "gated")) {
            cli_error("--ffn: expected plain or gated, got '%s'", optarg);
            return EXIT_USAGE;
        }
        q->ffn = strcmp(optarg, "plain") ? MMT_LLM_FFN_GATED : MMT_LLM_FFN_PLAIN;
        return 0;
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
    case OPT_ATTN:
        if (strcmp(optarg, "grouped") && strcmp(optarg, "per-head")) {
            cli_error("--attention: expected grouped or per-head, got '%s'", optarg);
            return EXIT_USAGE;
        }
        q->attn = strcmp(optarg, "grouped") ? MMT_LLM_ATTN_PER_HEAD : MMT_LLM_ATTN_GROUPED;
        return 0;
    case 'c': q->cfgp = optarg; return 0;
    case 'p': q->outdir = optarg; return 0;
    case 'h':
        printf("Usage: mmtrace-gen --model=LIST --seq=LIST -p OUTDIR [OPTION]...\n");
        llm_cli_usage(stdout);
        exit(EXIT_OK);
    default: fprintf(stderr, "Try 'mmtrace-gen --help' for more information.\n"); return EXIT_USAGE;
    }
}

/* printf into a fresh string (never cut); NULL when out of memory. */
static char *xfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xfmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* Writes the hardware .cfg into OUTDIR (preset, or a copy of -c). */
static int write_hw(const req *q)
{
    char *path;
    int r = -1;
    if (q->cfgp) {
        if (!(path = xfmt("%s/%s", q->outdir, cli_basename(q->cfgp)))) {
            cli_error("out of memory");
            return -1;
        }
        r = cli_copy_input(q->cfgp, path) == 0 ? 0 : -1; /* names the file at fault */
        free(path);
        return r;
    }
    mmt_config cfg;
    mmt_diag d = {0};
    mmt_study_hw(q->hw ? q->hw : "cloud", &cfg);
    cfg.version = q->version;
    if (!(path = xfmt("%s/%s.cfg", q->outdir, cfg.run_name))) {
        cli_error("out of memory");
        return -1;
    }
    if ((r = mmt_config_write(path, &cfg, &d)) != 0) /* the library's one cfg writer */
        cli_print_diag(&d, NULL);
    free(path);
    return r ? -1 : 0;
}

/* One model at one length, lowered before anything is written. */
typedef struct job {
    mmt_llm_block *b;
    char *base; /* OUTDIR/<model>_<phase>_l<seq>[...] */
} job;

/* Lowers one model at one length into j (nothing written). */
static int lower_one(const req *q, const mmt_llm_model *m, int64_t seq, job *j)
{
    mmt_llm_opts o = {.phase = q->phase,
                      .seq = seq,
                      .batch = q->batch,
                      .ffn = q->ffn < 0 ? m->ffn : (mmt_llm_ffn)q->ffn,
                      .expand_heads = q->expand,
                      .attention = q->attn};
    mmt_diag d = {0};
    if (mmt_llm_lower(m, &o, &j->b, &d, cli_warn, NULL) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    char bsuf[32] = "";
    if (q->batch > 1)
        snprintf(bsuf, sizeof bsuf, "_b%ld", q->batch);
    j->base = xfmt("%s/%s_%s_l%" PRId64 "%s%s%s%s", q->outdir, m->name,
                   q->phase == MMT_LLM_PREFILL ? "prefill" : "decode", seq, bsuf,
                   o.ffn == MMT_LLM_FFN_GATED ? "_gated" : "", q->expand ? "_heads" : "",
                   q->attn == MMT_LLM_ATTN_PER_HEAD ? "_perhead" : "");
    if (!j->base) {
        cli_error("out of memory");
        return -1;
    }
    return 0;
}

/* Writes one lowered block's topology and manifest. */
static int write_one(const job *j)
{
    mmt_diag d = {0};
    char *topo = xfmt("%s.csv", j->base), *man = xfmt("%s.parts.csv", j->base);
    int r = topo && man ? 0 : -1;
    if (r)
        cli_error("out of memory");
    else if ((r = mmt_llm_write_topology(topo, j->b, &d)) == 0)
        r = mmt_llm_write_manifest(man, j->b, &d);
    if (r == 0)
        printf("%s: %zu layers (%s)\n", topo, j->b->n, cli_basename(man));
    else if (topo && man)
        cli_print_diag(&d, NULL);
    free(topo);
    free(man);
    return r ? -1 : 0;
}

/* Lowers every model at every length and checks the names apart; nothing is written. */
static int plan(const req *q, job *jobs)
{
    size_t n = 0;
    for (size_t i = 0; i < q->nmodels; i++)
        for (size_t k = 0; k < q->nseqs; k++, n++) {
            if (lower_one(q, &q->models[i], q->seqs[k], &jobs[n]) != 0)
                return -1;
            for (size_t e = 0; e < n; e++)
                if (!strcmp(jobs[e].base, jobs[n].base)) {
                    cli_error("%s.csv: two requests write this file (the same model or name "
                              "twice); nothing written",
                              jobs[n].base);
                    return -1;
                }
        }
    if (q->cfgp) { /* a bad -c is found now, not after the topologies are written */
        mmt_config cfg;
        mmt_diag d = {0};
        if (mmt_config_read(q->cfgp, &cfg, &d, NULL, NULL) != 0) {
            cli_print_diag(&d, NULL);
            return -1;
        }
    }
    return 0;
}

int llm_cli_main(int argc, char **argv)
{
    static req q;
    memset(&q, 0, sizeof q);
    q.batch = 1, q.ffn = -1;
    static const int64_t def_seqs[] = {128, 256, 512, 1024, 2048, 4096};
    int c, r;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:h", long_opts, NULL)) != -1)
        if ((r = take_opt(&q, c)) != 0)
            return r;
    if (cli_check_path_arg("--path", q.outdir) || cli_check_path_arg("--config", q.cfgp)) {
        fprintf(stderr, "Try 'mmtrace-gen --help' for more information.\n");
        return EXIT_USAGE;
    }
    if (optind < argc || !q.outdir || (q.hw && q.cfgp)) {
        cli_error(optind < argc ? "unexpected argument '%s'"
                  : q.outdir    ? "--hw and -c exclude each other%s"
                                : "-p OUTDIR is required%s",
                  optind < argc ? argv[optind] : "");
        fprintf(stderr, "Try 'mmtrace-gen --help' for more information.\n");
        return EXIT_USAGE;
    }
    if (q.nseqs == 0) {
        memcpy(q.seqs, def_seqs, sizeof def_seqs);
        q.nseqs = sizeof def_seqs / sizeof def_seqs[0];
    }
    mmt_config cc;
    mmt_diag cd = {0}; /* a missing or bad -c: its name, nothing made */
    if (q.cfgp && mmt_config_read_version(q.cfgp, q.version, &cc, &cd, cli_warn, NULL) != 0) {
        cli_print_diag(&cd, NULL);
        return EXIT_ERR;
    }
    size_t njobs = q.nmodels * q.nseqs;
    job *jobs = calloc(njobs ? njobs : 1, sizeof *jobs);
    if (!jobs) {
        cli_error("out of memory");
        return EXIT_ERR;
    }
    r = plan(&q, jobs) != 0 ? EXIT_ERR : EXIT_OK;
    if (r == EXIT_OK && cli_mkdirs(q.outdir) != 0) {
        cli_error("%s: cannot create directory: %s", q.outdir, strerror(errno));
        r = EXIT_ERR;
    }
    if (r == EXIT_OK && write_hw(&q) != 0)
        r = EXIT_ERR;
    for (size_t i = 0; r == EXIT_OK && i < njobs; i++)
        if (write_one(&jobs[i]) != 0)
            r = EXIT_ERR;
    for (size_t i = 0; i < njobs; i++) {
        mmt_llm_block_free(jobs[i].b);
        free(jobs[i].base);
    }
    free(jobs);
    return r;
}
