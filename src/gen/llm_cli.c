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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MODELS 64
#define MAX_SEQS 64

enum { OPT_MODEL = 1000, OPT_HF, OPT_SEQ, OPT_PHASE, OPT_BATCH, OPT_FFN, OPT_HW, OPT_EXPAND };

static const struct option long_opts[] = {{"model", required_argument, NULL, OPT_MODEL},
                                          {"hf-config", required_argument, NULL, OPT_HF},
                                          {"seq", required_argument, NULL, OPT_SEQ},
                                          {"phase", required_argument, NULL, OPT_PHASE},
                                          {"batch", required_argument, NULL, OPT_BATCH},
                                          {"ffn", required_argument, NULL, OPT_FFN},
                                          {"hw", required_argument, NULL, OPT_HW},
                                          {"expand-heads", no_argument, NULL, OPT_EXPAND},
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
    const char *hw, *cfgp, *outdir;
} req;

void llm_cli_usage(FILE *f)
{
    fprintf(f,
            "\n"
            "LLM study (writes topologies and part manifests instead of traces):\n"
            "  mmtrace-gen (--model=NAME[,NAME...] | --hf-config=FILE)... --seq=LIST -p OUTDIR\n"
            "      --model=LIST        study presets: gpt2, gpt2-medium, gpt2-large, gpt2-xl,\n"
            "                          opt-350m, opt-1.3b, opt-2.7b, opt-6.7b, opt-13b, opt-30b,\n"
            "                          opt-66b, llama-7b, llama-13b, or 'all'\n"
            "      --hf-config=FILE    a HuggingFace config.json (GPT-2, OPT or LLaMA family)\n"
            "      --seq=LIST          sequence lengths, e.g. 128,256,512 (default 128..4096)\n"
            "      --phase=PHASE       decode (M=1, KV cache of length l; default) or prefill\n"
            "      --batch=N           sequences per batch (default 1)\n"
            "      --ffn=KIND          plain (two matrices) or gated (gate, up, down); default:\n"
            "                          plain for presets, gated for LLaMA-family configs\n"
            "      --hw=NAME           hardware preset written beside: cloud or edge (default\n"
            "                          cloud); or -c CFG to copy a .cfg\n"
            "      --expand-heads      one row per attention head instead of a counted row\n");
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

/* Adds the presets named in a comma list ("all" adds the 13). */
static int add_models(req *q, const char *list)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        size_t n = !strcmp(t, "all") ? mmt_llm_preset_count() : 1;
        for (size_t i = 0; i < n; i++) {
            if (q->nmodels == MAX_MODELS) {
                cli_error("--model: at most %d models", MAX_MODELS);
                return -1;
            }
            mmt_llm_model *m = &q->models[q->nmodels];
            if (n > 1)
                *m = *mmt_llm_preset_at(i);
            else if (mmt_llm_preset(t, m) != 0) {
                cli_error("--model: unknown model '%s' (see --help)", t);
                return -1;
            }
            q->nmodels++;
        }
    }
    return 0;
}

/* Parses a comma list of positive integers into out (at most max). */
static int parse_list(const char *opt, const char *list, int64_t *out, size_t max, size_t *n)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        long v;
        if (*n == max) {
            cli_error("%s: at most %zu values", opt, max);
            return -1;
        }
        if (cli_parse_long(opt, t, 1, 1L << 40, &v))
            return -1;
        out[(*n)++] = v;
    }
    if (*n == 0) {
        cli_error("%s: expected a comma-separated list of integers", opt);
        return -1;
    }
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
    case OPT_SEQ: return parse_list("--seq", optarg, q->seqs, MAX_SEQS, &q->nseqs) ? EXIT_USAGE : 0;
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
    case 'c': q->cfgp = optarg; return 0;
    case 'p': q->outdir = optarg; return 0;
    case 'h':
        printf("Usage: mmtrace-gen --model=LIST --seq=LIST -p OUTDIR [OPTION]...\n");
        llm_cli_usage(stdout);
        exit(EXIT_OK);
    default: fprintf(stderr, "Try 'mmtrace-gen --help' for more information.\n"); return EXIT_USAGE;
    }
}

/* Formats a configuration as a SCALE-Sim .cfg (the layout of topologies/hw/<name>.cfg). */
static int write_cfg(const char *path, const mmt_config *c)
{
    char tmp[4300];
    if (mmt_temp_path(path, (long)getpid(), tmp, sizeof tmp) != 0) /* not a user's x.cfg.tmp */
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(
        f,
        "[general]\nrun_name = %s\n\n[architecture_presets]\n"
        "ArrayHeight:    %" PRId64 "\nArrayWidth:     %" PRId64 "\n"
        "IfmapSramSzkB:   %" PRId64 "\nFilterSramSzkB:  %" PRId64 "\nOfmapSramSzkB:   %" PRId64 "\n"
        "IfmapOffset:    %" PRId64 "\nFilterOffset:   %" PRId64 "\nOfmapOffset:    %" PRId64 "\n"
        "Bandwidth : %" PRId64 "\nDataflow : %s\nMemoryBanks:   1\n\n"
        "[run_presets]\nInterfaceBandwidth: %s\n",
        c->run_name, c->array_h, c->array_w, c->ifmap_kb, c->filter_kb, c->ofmap_kb,
        c->ifmap_offset, c->filter_offset, c->ofmap_offset, c->bandwidth,
        mmt_dataflow_name(c->dataflow), c->user_bw ? "USER" : "CALC");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

/* Writes the hardware .cfg into OUTDIR (preset, or a copy of -c). */
static int write_hw(const req *q)
{
    char path[4200];
    if (q->cfgp) {
        snprintf(path, sizeof path, "%s/%s", q->outdir, cli_basename(q->cfgp));
        return cli_copy_input(q->cfgp, path, 1) == 0 ? 0 : -1; /* names the file at fault */
    } else {
        mmt_config cfg;
        mmt_study_hw(q->hw ? q->hw : "cloud", &cfg);
        snprintf(path, sizeof path, "%s/%s.cfg", q->outdir, cfg.run_name);
        if (write_cfg(path, &cfg) == 0)
            return 0;
    }
    cli_error("%s: cannot write: %s", path, strerror(errno));
    return -1;
}

/* Lowers one model at one length and writes its topology and manifest. */
static int write_one(const req *q, const mmt_llm_model *m, int64_t seq)
{
    mmt_llm_opts o = {q->phase, seq, q->batch, q->ffn < 0 ? m->ffn : (mmt_llm_ffn)q->ffn,
                      q->expand};
    mmt_llm_block *b;
    mmt_diag d = {0};
    if (mmt_llm_lower(m, &o, &b, &d, cli_warn, NULL) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    char base[4096], topo[4200], man[4200], bsuf[32] = "";
    if (q->batch > 1)
        snprintf(bsuf, sizeof bsuf, "_b%ld", q->batch);
    snprintf(base, sizeof base, "%s/%s_%s_l%" PRId64 "%s%s%s", q->outdir, m->name,
             q->phase == MMT_LLM_PREFILL ? "prefill" : "decode", seq, bsuf,
             o.ffn == MMT_LLM_FFN_GATED ? "_gated" : "", q->expand ? "_heads" : "");
    snprintf(topo, sizeof topo, "%s.csv", base);
    snprintf(man, sizeof man, "%s.parts.csv", base);
    int r = mmt_llm_write_topology(topo, b, &d);
    if (r == 0)
        r = mmt_llm_write_manifest(man, b, &d);
    if (r == 0)
        printf("%s: %zu layers (%s)\n", topo, b->n, cli_basename(man));
    else
        cli_print_diag(&d, NULL);
    mmt_llm_block_free(b);
    return r ? -1 : 0;
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
    FILE *cf = q.cfgp ? fopen(q.cfgp, "rb") : NULL; /* a missing -c: its name, nothing made */
    if (q.cfgp && !cf) {
        cli_error("%s: cannot open: %s", q.cfgp, strerror(errno));
        return EXIT_ERR;
    }
    if (cf)
        fclose(cf);
    if (cli_mkdirs(q.outdir) != 0) {
        cli_error("%s: cannot create directory: %s", q.outdir, strerror(errno));
        return EXIT_ERR;
    }
    if (write_hw(&q) != 0)
        return EXIT_ERR;
    for (size_t i = 0; i < q.nmodels; i++)
        for (size_t j = 0; j < q.nseqs; j++)
            if (write_one(&q, &q.models[i], q.seqs[j]) != 0)
                return EXIT_ERR;
    return EXIT_OK;
}
