/*
 * study_cli.c - mmtrace-replay's 1-bit LLM study (study.md).
 *
 * --fractions=MANIFEST RUNDIR reads RUNDIR's COMPUTE_REPORT.csv and DETAILED_ACCESS_REPORT.csv
 * (written by mmtrace-replay or by SCALE-Sim itself) and the manifest mmtrace-gen wrote beside
 * the topology, and prints the part totals, the fractions and S(100) both ways.
 *
 * --study=OUTDIR runs the whole study with the fused model (no trace files): every distinct
 * GEMM shape is simulated once per hardware preset (projections do not depend on l), on -j
 * threads, largest first. It writes into OUTDIR: topologies/ (topology CSV + manifest per
 * model x length), hw/ (.cfg files), fractions.csv, amdahl.csv, fits.csv, fit_predictions.csv
 * and figures/ (SVG). --traces=MODELS also writes full SCALE-Sim-layout traces and reports for
 * those models under OUTDIR/traces/<hw>/<model>_decode_l<seq>/.
 */
#include <config.h>

#include "study_cli.h"

#include "cli.h"
#include "mmtrace.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MODELS 64
#define MAX_SEQS 32
#define MAX_HW 2
#define SMAX 100 /* Amdahl curves for s = 1..SMAX */

static const double extrap[] = {8192, 16384, 32768};
#define NEXTRAP (sizeof extrap / sizeof extrap[0])

/* A distinct GEMM shape and its result on each hardware preset. */
typedef struct shape {
    int64_t M, N, K;
    mmt_layer_result res[MAX_HW];
} shape;

/* One job: a shape on one preset. */
typedef struct job {
    size_t shape, hw;
    double cost;
} job;

typedef struct study {
    const char *outdir;
    mmt_config hw[MAX_HW];
    size_t nhw;
    mmt_llm_model models[MAX_MODELS];
    size_t nmodels;
    int64_t seqs[MAX_SEQS];
    size_t nseqs;
    char traces[1024]; /* comma list of models whose traces are kept */
    long jobs;
    mmt_llm_block *blocks[MAX_MODELS][MAX_SEQS];
    size_t *sidx[MAX_MODELS][MAX_SEQS]; /* layer -> shape */
    shape *shapes;
    size_t nshapes, capshapes;
    job *joblist;
    size_t njobs;
    atomic_size_t next;
    atomic_int failed;
    atomic_size_t done;
    mmt_diag err;
    pthread_mutex_t lock;
    mmt_study_fractions fr[MAX_HW][MAX_MODELS][MAX_SEQS];
    mmt_study_fit fit[2][MAX_HW][MAX_MODELS]; /* [0] f_compute, [1] f_memory */
    int fit_ok[2][MAX_HW][MAX_MODELS];
    size_t past_ctx; /* model x length points past the trained context */
} study;

enum { OPT_STUDY = 2000, OPT_FRACTIONS, OPT_HW, OPT_MODEL, OPT_SEQ, OPT_TRACES };

void study_cli_usage(FILE *f)
{
    fprintf(f,
            "\n"
            "1-bit LLM study:\n"
            "  mmtrace-replay --fractions=MANIFEST RUNDIR\n"
            "      fractions of the MatMul-free part for one run (RUNDIR holds the reports of\n"
            "      mmtrace-replay or SCALE-Sim; MANIFEST is the .parts.csv beside the topology)\n"
            "  mmtrace-replay --study=OUTDIR [--hw=LIST] [--model=LIST] [--seq=LIST]\n"
            "                 [--traces=MODELS] [-j N]\n"
            "      the whole study with the fused model: topologies, fractions.csv, amdahl.csv,\n"
            "      fits.csv, fit_predictions.csv and figures/ in OUTDIR. Defaults: cloud,edge;\n"
            "      the 13 presets; 128,256,512,1024,2048,4096; -j 2. --traces keeps full traces\n"
            "      and reports for the listed models under OUTDIR/traces/.\n");
}

int study_cli_wanted(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strncmp(argv[i], "--study", 7) || !strncmp(argv[i], "--fractions", 11))
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- output files */

/* A file written under a temporary name and renamed into place by out_close. */
typedef struct outf {
    FILE *f;
    char path[4400], tmp[4500];
} outf;

/* Opens path.tmp.<pid> for writing. */
static int out_open(outf *o, const char *path)
{
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    if (!o->f)
        cli_error("%s: cannot write: %s", o->tmp, strerror(errno));
    return o->f ? 0 : -1;
}

/* Closes and renames into place; on any error removes the temporary file. */
static int out_close(outf *o)
{
    int bad = ferror(o->f);
    bad |= fclose(o->f) != 0;
    if (bad || rename(o->tmp, o->path) != 0) {
        cli_error("%s: cannot write: %s", o->path, strerror(errno ? errno : EIO));
        remove(o->tmp);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- --fractions */

/* --fractions: prints one CSV record of totals by part, fractions and S(100) both ways. */
static int run_fractions(const char *manifest, const char *rundir)
{
    mmt_llm_block *b;
    mmt_diag d = {0};
    if (mmt_llm_manifest_read(manifest, &b, &d) != 0) {
        cli_print_diag(&d, NULL);
        return EXIT_ERR;
    }
    mmt_layer_result *res = calloc(b->n + 1, sizeof *res);
    mmt_study_fractions fr;
    int rc = EXIT_ERR;
    size_t n = 0;
    if (!res)
        cli_error("out of memory");
    else if (mmt_report_read(rundir, b->n + 1, res, &n, &d) != 0)
        cli_print_diag(&d, NULL);
    else if (n != b->n)
        cli_error("%s: %zu layers in the reports, but the manifest has %zu", rundir, n, b->n);
    else {
        if (mmt_study_fractions_compute(b, res, &fr) != 0)
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
    }
    free(res);
    mmt_llm_block_free(b);
    return rc;
}

/* ---------------------------------------------------------------- lowering and shapes */

/* Index of shape (M, N, K), added if new; SIZE_MAX when out of memory. */
static size_t shape_index(study *S, const mmt_llm_layer *l)
{
    for (size_t i = 0; i < S->nshapes; i++)
        if (S->shapes[i].M == l->M && S->shapes[i].N == l->N && S->shapes[i].K == l->K)
            return i;
    if (S->nshapes == S->capshapes) {
        size_t nc = S->capshapes ? 2 * S->capshapes : 64;
        shape *ns = realloc(S->shapes, nc * sizeof *ns);
        if (!ns)
            return SIZE_MAX;
        S->shapes = ns, S->capshapes = nc;
    }
    shape *s = &S->shapes[S->nshapes];
    memset(s, 0, sizeof *s);
    s->M = l->M, s->N = l->N, s->K = l->K;
    return S->nshapes++;
}

/* Path of a model x length topology (ext ".csv" or ".parts.csv"). */
static void topo_path(const study *S, size_t m, size_t q, const char *ext, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/topologies/%s_decode_l%" PRId64 "%s", S->outdir, S->models[m].name,
             S->seqs[q], ext);
}

/* Counts a warning (a length past the model's trained context). */
static void count_warning(void *ud, const mmt_diag *d)
{
    (void)d;
    ++*(size_t *)ud;
}

/* Lowers every model at every length (decode, batch 1, the study's plain FFN), writes the
 * topologies, and collects the distinct shapes. */
static int lower_all(study *S)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/topologies", S->outdir);
    if (cli_mkdirs(path) != 0) {
        cli_error("%s: cannot create directory: %s", path, strerror(errno));
        return -1;
    }
    for (size_t m = 0; m < S->nmodels; m++)
        for (size_t q = 0; q < S->nseqs; q++) {
            mmt_llm_opts o = {MMT_LLM_DECODE, S->seqs[q], 1, MMT_LLM_FFN_PLAIN, 0};
            mmt_diag d = {0};
            mmt_llm_block *b;
            /* lengths past the trained context are part of the study: counted, not printed */
            if (mmt_llm_lower(&S->models[m], &o, &b, &d, count_warning, &S->past_ctx) != 0) {
                cli_print_diag(&d, NULL);
                return -1;
            }
            S->blocks[m][q] = b;
            S->sidx[m][q] = calloc(b->n, sizeof(size_t));
            if (!S->sidx[m][q])
                return -1;
            for (size_t i = 0; i < b->n; i++)
                if ((S->sidx[m][q][i] = shape_index(S, &b->layers[i])) == SIZE_MAX)
                    return -1;
            topo_path(S, m, q, ".csv", path, sizeof path);
            int r = mmt_llm_write_topology(path, b, &d);
            topo_path(S, m, q, ".parts.csv", path, sizeof path);
            if (r || mmt_llm_write_manifest(path, b, &d)) {
                cli_print_diag(&d, NULL);
                return -1;
            }
        }
    return 0;
}

/* ---------------------------------------------------------------- simulation */

/* Geometry of a GEMM shape on a preset. */
static int shape_geom(const shape *s, const mmt_config *cfg, mmt_geom *g, mmt_diag *d)
{
    mmt_llm_layer l = {.M = s->M, .N = s->N, .K = s->K};
    mmt_layer ml;
    snprintf(l.name, sizeof l.name, "gemm");
    mmt_llm_layer_to_mmt(&l, &ml);
    return mmt_geom_init(g, &ml, cfg, d);
}

/* Largest jobs first, so the last ones to finish are short. */
static int by_cost(const void *a, const void *b)
{
    double x = ((const job *)a)->cost, y = ((const job *)b)->cost;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Worker: simulates jobs until none are left or one failed. */
static void *worker(void *arg)
{
    study *S = arg;
    for (;;) {
        size_t j = atomic_fetch_add(&S->next, 1);
        if (j >= S->njobs || atomic_load(&S->failed))
            break;
        const job *J = &S->joblist[j];
        shape *s = &S->shapes[J->shape];
        mmt_geom g;
        mmt_diag d = {0};
        mmt_sim_opts so = {.gzip_level = 1};
        int r = shape_geom(s, &S->hw[J->hw], &g, &d);
        if (r == 0 && (r = mmt_sim_run(&S->hw[J->hw], &g, &so, &s->res[J->hw])) != 0)
            snprintf(d.message, sizeof d.message, "%s", mmt_strerror(r));
        if (r) {
            pthread_mutex_lock(&S->lock);
            if (!atomic_exchange(&S->failed, 1)) {
                S->err = d;
                snprintf(S->err.file, sizeof S->err.file,
                         "%s: GEMM %" PRId64 "x%" PRId64 "x%" PRId64, S->hw[J->hw].run_name, s->M,
                         s->N, s->K);
            }
            pthread_mutex_unlock(&S->lock);
        }
        atomic_fetch_add(&S->done, 1);
    }
    return NULL;
}

/* Runs every (shape, preset) job on S->jobs threads. */
static int simulate(study *S)
{
    S->njobs = S->nshapes * S->nhw;
    S->joblist = calloc(S->njobs + 1, sizeof *S->joblist);
    if (!S->joblist)
        return -1;
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t i = 0; i < S->nshapes; i++) {
            mmt_geom g;
            mmt_diag d = {0};
            if (shape_geom(&S->shapes[i], &S->hw[h], &g, &d) != 0) {
                cli_print_diag(&d, NULL);
                return -1;
            }
            S->joblist[h * S->nshapes + i] = (job){i, h, (double)g.rows * (double)g.C};
        }
    qsort(S->joblist, S->njobs, sizeof *S->joblist, by_cost);
    pthread_t th[64];
    long n = S->jobs < 64 ? S->jobs : 64, started = 0;
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, worker, S) != 0)
            break;
    if (started == 0)
        worker(S);
    int tty = isatty(STDERR_FILENO);
    while (tty && atomic_load(&S->done) < S->njobs && !atomic_load(&S->failed)) {
        fprintf(stderr, "\r%s: simulated %zu / %zu layer shapes", cli_progname,
                atomic_load(&S->done), S->njobs);
        nanosleep(&(struct timespec){0, 200000000}, NULL);
    }
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (tty)
        fprintf(stderr, "\r%s: simulated %zu / %zu layer shapes\n", cli_progname,
                atomic_load(&S->done), S->njobs);
    if (atomic_load(&S->failed)) {
        cli_print_diag(&S->err, NULL);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- results */

/* Fractions of every (preset, model, length) from the shape results. */
static int compute_fractions(study *S)
{
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t m = 0; m < S->nmodels; m++)
            for (size_t q = 0; q < S->nseqs; q++) {
                const mmt_llm_block *b = S->blocks[m][q];
                mmt_layer_result res[256];
                if (b->n > 256)
                    return -1;
                for (size_t i = 0; i < b->n; i++)
                    res[i] = S->shapes[S->sidx[m][q][i]].res[h];
                if (mmt_study_fractions_compute(b, res, &S->fr[h][m][q]) != 0) {
                    cli_error("%s %s: totals overflow 64 bits", S->hw[h].run_name,
                              S->models[m].name);
                    return -1;
                }
            }
    return 0;
}

/* fractions.csv: one row per preset x model x length. */
static int write_fractions(const study *S)
{
    char path[4400];
    outf o;
    snprintf(path, sizeof path, "%s/fractions.csv", S->outdir);
    if (out_open(&o, path))
        return -1;
    fprintf(o.f, "hw,model,seq,f_compute,f_memory,f_dram,"
                 "cycles_matmul_free,cycles_matmul,stalls_matmul_free,stalls_matmul,"
                 "sram_matmul_free,sram_matmul,dram_matmul_free,dram_matmul,"
                 "S100_projections,S100_attention\n");
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t m = 0; m < S->nmodels; m++)
            for (size_t q = 0; q < S->nseqs; q++) {
                const mmt_study_fractions *f = &S->fr[h][m][q];
                fprintf(o.f,
                        "%s,%s,%" PRId64 ",%.6f,%.6f,%.6f,%" PRId64 ",%" PRId64 ",%" PRId64
                        ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%.4f,%.4f\n",
                        S->hw[h].run_name, S->models[m].name, S->seqs[q], f->f_compute, f->f_memory,
                        f->f_dram, f->cycles[0], f->cycles[1], f->stalls[0], f->stalls[1],
                        f->sram[0], f->sram[1], f->dram[0], f->dram[1],
                        mmt_study_amdahl(f->f_compute, 100),
                        mmt_study_amdahl(1 - f->f_compute, 100));
            }
    return out_close(&o);
}

/* amdahl.csv: S(s) for s = 1..100, improving the projections (f) or the attention (1-f). */
static int write_amdahl(const study *S)
{
    char path[4400];
    outf o;
    snprintf(path, sizeof path, "%s/amdahl.csv", S->outdir);
    if (out_open(&o, path))
        return -1;
    fprintf(o.f, "hw,model,seq,f_compute,s,S_projections,S_attention\n");
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t m = 0; m < S->nmodels; m++)
            for (size_t q = 0; q < S->nseqs; q++) {
                double f = S->fr[h][m][q].f_compute;
                for (int s = 1; s <= SMAX; s++)
                    fprintf(o.f, "%s,%s,%" PRId64 ",%.6f,%d,%.6f,%.6f\n", S->hw[h].run_name,
                            S->models[m].name, S->seqs[q], f, s, mmt_study_amdahl(f, s),
                            mmt_study_amdahl(1 - f, s));
            }
    return out_close(&o);
}

/* Fits f_compute and f_memory against l per preset x model. */
static void fit_all(study *S)
{
    double l[MAX_SEQS], f[MAX_SEQS];
    for (int k = 0; k < 2; k++)
        for (size_t h = 0; h < S->nhw; h++)
            for (size_t m = 0; m < S->nmodels; m++) {
                for (size_t q = 0; q < S->nseqs; q++) {
                    l[q] = (double)S->seqs[q];
                    f[q] = k ? S->fr[h][m][q].f_memory : S->fr[h][m][q].f_compute;
                }
                S->fit_ok[k][h][m] = mmt_study_fit_run(l, f, S->nseqs, &S->fit[k][h][m]) == 0;
            }
}

/* fits.csv (parameters) and fit_predictions.csv (fitted f and S(100) by length). */
static int write_fits(const study *S)
{
    static const char *const metric[2] = {"f_compute", "f_memory"};
    char path[4400];
    outf o, p;
    snprintf(path, sizeof path, "%s/fits.csv", S->outdir);
    if (out_open(&o, path))
        return -1;
    snprintf(path, sizeof path, "%s/fit_predictions.csv", S->outdir);
    if (out_open(&p, path)) {
        fclose(o.f);
        remove(o.tmp);
        return -1;
    }
    fprintf(o.f, "hw,model,metric,form,alpha,se_alpha,beta,se_beta,r2,n,f_8192,f_16384,"
                 "f_32768,S100_projections_32768,S100_attention_32768\n");
    fprintf(p.f, "hw,model,metric,seq,simulated,f_sim,f_fit,S100_projections_fit,"
                 "S100_attention_fit\n");
    for (int k = 0; k < 2; k++)
        for (size_t h = 0; h < S->nhw; h++)
            for (size_t m = 0; m < S->nmodels; m++) {
                const mmt_study_fit *F = &S->fit[k][h][m];
                const char *hw = S->hw[h].run_name, *mn = S->models[m].name;
                if (!S->fit_ok[k][h][m]) {
                    fprintf(o.f,
                            "%s,%s,%s,1/(1+alpha+beta*l),nan,nan,nan,nan,nan,%zu,nan,nan,"
                            "nan,nan,nan\n",
                            hw, mn, metric[k], S->nseqs);
                    continue;
                }
                double f3 = mmt_study_fit_eval(F, extrap[2]);
                fprintf(o.f,
                        "%s,%s,%s,1/(1+alpha+beta*l),%.6e,%.3e,%.6e,%.3e,%.6f,%zu,%.6f,"
                        "%.6f,%.6f,%.4f,%.4f\n",
                        hw, mn, metric[k], F->alpha, F->se_alpha, F->beta, F->se_beta, F->r2, F->n,
                        mmt_study_fit_eval(F, extrap[0]), mmt_study_fit_eval(F, extrap[1]), f3,
                        mmt_study_amdahl(f3, 100), mmt_study_amdahl(1 - f3, 100));
                for (size_t q = 0; q < S->nseqs + NEXTRAP; q++) {
                    int sim = q < S->nseqs;
                    double l = sim ? (double)S->seqs[q] : extrap[q - S->nseqs];
                    double fs = !sim ? NAN : k ? S->fr[h][m][q].f_memory : S->fr[h][m][q].f_compute;
                    double ff = mmt_study_fit_eval(F, l);
                    fprintf(p.f, "%s,%s,%s,%.0f,%d,", hw, mn, metric[k], l, sim);
                    if (sim)
                        fprintf(p.f, "%.6f", fs);
                    fprintf(p.f, ",%.6f,%.4f,%.4f\n", ff, mmt_study_amdahl(ff, 100),
                            mmt_study_amdahl(1 - ff, 100));
                }
            }
    int r = out_close(&o);
    return out_close(&p) || r ? -1 : 0;
}

/* ---------------------------------------------------------------- figures */

/* Heat map of f_compute (k = 0) or f_memory (k = 1) for preset h. */
static int fig_heatmap(const study *S, size_t h, int k)
{
    const char *rl[MAX_SEQS], *cl[MAX_MODELS];
    char rbuf[MAX_SEQS][24], path[4400], title[600];
    double *v = calloc(S->nseqs * S->nmodels + 1, sizeof *v);
    if (!v)
        return -1;
    for (size_t q = 0; q < S->nseqs; q++) {
        snprintf(rbuf[q], sizeof rbuf[q], "%" PRId64, S->seqs[q]);
        rl[q] = rbuf[q];
        for (size_t m = 0; m < S->nmodels; m++)
            v[q * S->nmodels + m] = k ? S->fr[h][m][q].f_memory : S->fr[h][m][q].f_compute;
    }
    for (size_t m = 0; m < S->nmodels; m++)
        cl[m] = S->models[m].name;
    const mmt_config *c = &S->hw[h];
    snprintf(title, sizeof title,
             "%s: share of %s in MatMul-free projections (%s, %" PRId64 "x%" PRId64 " OS, decode)",
             k ? "f_memory" : "f_compute", k ? "SRAM accesses" : "cycles", c->run_name, c->array_h,
             c->array_w);
    mmt_svg_heatmap hm = {title,
                          "model",
                          "sequence length l (tokens, KV cache)",
                          k ? "f_memory (fraction of SRAM accesses)"
                            : "f_compute (fraction of cycles)",
                          S->nseqs,
                          S->nmodels,
                          rl,
                          cl,
                          v};
    snprintf(path, sizeof path, "%s/figures/heatmap_%s_%s.svg", S->outdir,
             k ? "f_memory" : "f_compute", c->run_name);
    mmt_diag d = {0};
    int r = mmt_svg_heatmap_write(path, &hm, &d);
    if (r)
        cli_print_diag(&d, NULL);
    free(v);
    return r ? -1 : 0;
}

/* Amdahl curves of model m on preset h: per length, dashed = projections improved (f),
 * solid = attention improved (1 - f); the fitted f gives the extrapolated lengths. */
static int fig_amdahl(const study *S, size_t h, size_t m)
{
    enum { NS = 2 * (MAX_SEQS + NEXTRAP) };
    static double xs[SMAX];
    static mmt_svg_series ser[NS];
    static double ys[NS][SMAX];
    static char labels[NS][64];
    size_t n = 0, nl = S->nseqs + (S->fit_ok[0][h][m] ? NEXTRAP : 0);
    double ymax = 1;
    for (int s = 0; s < SMAX; s++)
        xs[s] = s + 1;
    for (size_t q = 0; q < nl; q++) {
        int sim = q < S->nseqs;
        double l = sim ? (double)S->seqs[q] : extrap[q - S->nseqs];
        double f = sim ? S->fr[h][m][q].f_compute : mmt_study_fit_eval(&S->fit[0][h][m], l);
        for (int way = 0; way < 2; way++, n++) {
            for (int s = 0; s < SMAX; s++) {
                ys[n][s] = mmt_study_amdahl(way ? 1 - f : f, s + 1);
                ymax = ys[n][s] > ymax ? ys[n][s] : ymax;
            }
            snprintf(labels[n], sizeof labels[n], "l=%.0f%s %s (f=%.3f)", l, sim ? "" : " fit",
                     way ? "attention" : "projections", way ? 1 - f : f);
            ser[n] = (mmt_svg_series){labels[n], xs, ys[n], SMAX, !way, (int)q, 0};
        }
    }
    char path[4400], title[600], note[256];
    const mmt_config *c = &S->hw[h];
    snprintf(title, sizeof title, "Amdahl speed-up, %s on %s (%" PRId64 "x%" PRId64 " OS, decode)",
             S->models[m].name, c->run_name, c->array_h, c->array_w);
    snprintf(note, sizeof note,
             "dashed: MatMul-free projections improved (f); solid: attention "
             "heads improved (1-f); 'fit': f extrapolated by 1/(1+a+b*l)");
    mmt_svg_plot p = {title,
                      "speed-up s of the improved part (x)",
                      "overall speed-up S(s) (x)",
                      1,
                      SMAX,
                      0,
                      ceil(ymax / 5) * 5,
                      ser,
                      n,
                      note,
                      0};
    snprintf(path, sizeof path, "%s/figures/amdahl_%s_%s.svg", S->outdir, c->run_name,
             S->models[m].name);
    mmt_diag d = {0};
    if (mmt_svg_plot_write(path, &p, &d) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    return 0;
}

/* f_compute against l with the fitted curve, all models of preset h. */
static int fig_fit(const study *S, size_t h)
{
    static mmt_svg_series ser[2 * MAX_MODELS];
    static double fx[MAX_MODELS][MAX_SEQS], fy[MAX_MODELS][MAX_SEQS];
    static double cx[200], cy[MAX_MODELS][200];
    static char labels[2 * MAX_MODELS][160];
    const double lmax = extrap[NEXTRAP - 1];
    size_t n = 0;
    const double lmin = S->seqs[0] < lmax ? (double)S->seqs[0] : 64;
    for (int i = 0; i < 200; i++)
        cx[i] = lmin * pow(lmax / lmin, i / 199.0);
    for (size_t m = 0; m < S->nmodels; m++) {
        for (size_t q = 0; q < S->nseqs; q++)
            fx[m][q] = (double)S->seqs[q], fy[m][q] = S->fr[h][m][q].f_compute;
        snprintf(labels[n], sizeof labels[n], "%s simulated", S->models[m].name);
        ser[n] = (mmt_svg_series){labels[n], fx[m], fy[m], S->nseqs, 0, (int)m, 1};
        n++;
        if (!S->fit_ok[0][h][m])
            continue;
        for (int i = 0; i < 200; i++)
            cy[m][i] = mmt_study_fit_eval(&S->fit[0][h][m], cx[i]);
        snprintf(labels[n], sizeof labels[n], "%s fit (R2=%.4f)", S->models[m].name,
                 S->fit[0][h][m].r2);
        ser[n] = (mmt_svg_series){labels[n], cx, cy[m], 200, 1, (int)m, 0};
        n++;
    }
    char path[4400], title[600];
    snprintf(title, sizeof title,
             "f_compute against sequence length on %s (%" PRId64 "x%" PRId64 " OS, decode)",
             S->hw[h].run_name, S->hw[h].array_h, S->hw[h].array_w);
    mmt_svg_plot p = {title,
                      "sequence length l (tokens, log scale)",
                      "f_compute (fraction of cycles in MatMul-free part)",
                      lmin,
                      lmax,
                      0,
                      1,
                      ser,
                      n,
                      "dots and solid: simulated; dashed: fitted f(l) = 1/(1+a+b*l), "
                      "extrapolated to 32768",
                      1};
    snprintf(path, sizeof path, "%s/figures/fit_f_compute_%s.svg", S->outdir, S->hw[h].run_name);
    mmt_diag d = {0};
    if (mmt_svg_plot_write(path, &p, &d) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    return 0;
}

/* Writes every figure into OUTDIR/figures. */
static int write_figures(const study *S)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/figures", S->outdir);
    if (cli_mkdirs(path) != 0) {
        cli_error("%s: cannot create directory: %s", path, strerror(errno));
        return -1;
    }
    for (size_t h = 0; h < S->nhw; h++) {
        if (fig_heatmap(S, h, 0) || fig_heatmap(S, h, 1) || (S->nseqs > 1 && fig_fit(S, h)))
            return -1;
        for (size_t m = 0; m < S->nmodels; m++)
            if (fig_amdahl(S, h, m))
                return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- traces on request */

/* 1 if name is in the comma list. */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if ((k == n && !strncmp(p, name, n)) || (k == 3 && !strncmp(p, "all", 3)))
            return 1;
        p += k + (e != NULL);
    }
    return 0;
}

/* Simulates one block again with all six traces per layer and writes the reports. */
static int keep_traces(const study *S, size_t h, size_t m, size_t q)
{
    const mmt_llm_block *b = S->blocks[m][q];
    static const char *const tn[6] = {"IFMAP_SRAM_TRACE", "FILTER_SRAM_TRACE", "OFMAP_SRAM_TRACE",
                                      "IFMAP_DRAM_TRACE", "FILTER_DRAM_TRACE", "OFMAP_DRAM_TRACE"};
    char dir[4400], p[6][4500];
    mmt_layer_result res[256];
    mmt_diag d = {0};
    for (size_t i = 0; i < b->n && i < 256; i++) {
        snprintf(dir, sizeof dir, "%s/traces/%s/%s_decode_l%" PRId64 "/layer%zu", S->outdir,
                 S->hw[h].run_name, S->models[m].name, S->seqs[q], i);
        if (cli_mkdirs(dir) != 0) {
            cli_error("%s: cannot create directory: %s", dir, strerror(errno));
            return -1;
        }
        mmt_sim_opts so = {.gzip_level = 1};
        for (int k = 0; k < 6; k++)
            snprintf(p[k], sizeof p[k], "%s/%s.csv.gz", dir, tn[k]);
        for (int op = 0; op < 3; op++)
            so.sram_trace_path[op] = p[op], so.dram_trace_path[op] = p[3 + op];
        shape s = {.M = b->layers[i].M, .N = b->layers[i].N, .K = b->layers[i].K};
        mmt_geom g;
        int r = shape_geom(&s, &S->hw[h], &g, &d);
        if (r || (r = mmt_sim_run(&S->hw[h], &g, &so, &res[i])) != 0) {
            cli_error("%s: %s", dir, r == MMT_EIO ? strerror(errno) : mmt_strerror(r));
            return -1;
        }
    }
    *strrchr(dir, '/') = '\0';
    if (mmt_report_write(dir, res, b->n, &d) != 0) {
        cli_print_diag(&d, NULL);
        return -1;
    }
    printf("traces: %s/\n", dir);
    return 0;
}

/* ---------------------------------------------------------------- driver */

/* Parses a comma list of distinct positive lengths; says what is wrong. */
static int parse_seqs(study *S, const char *list)
{
    mmt_diag d = {0};
    if (mmt_list_i64(list, 1, 1L << 30, MAX_SEQS, S->seqs, &S->nseqs, &d) != 0) {
        cli_error("--seq: %s", d.message);
        return -1;
    }
    return 0;
}

/* Adds model t (a preset name or "all") to S. */
static int add_model(study *S, const char *t)
{
    size_t n = !strcmp(t, "all") ? mmt_llm_preset_count() : 1;
    for (size_t i = 0; i < n; i++) {
        mmt_llm_model m;
        if (n > 1)
            m = *mmt_llm_preset_at(i);
        else if (mmt_llm_preset(t, &m) != 0) {
            cli_error("--model: unknown model '%s'", t);
            return -1;
        }
        for (size_t k = 0; k < S->nmodels; k++)
            if (!strcmp(S->models[k].name, m.name)) {
                cli_error("--model: '%s' appears twice", m.name);
                return -1;
            }
        if (S->nmodels == MAX_MODELS) {
            cli_error("--model: more than %d models", MAX_MODELS);
            return -1;
        }
        S->models[S->nmodels++] = m;
    }
    return 0;
}

/* Parses the model and hardware lists and checks --traces against the models. */
static int parse_names(study *S, const char *models, const char *hws)
{
    mmt_list l;
    mmt_diag d = {0};
    if (mmt_list_parse(hws, MAX_HW, &l, &d) != 0) {
        cli_error("--hw: %s", d.message);
        return -1;
    }
    S->nhw = 0;
    for (size_t i = 0; i < l.n; i++)
        if (mmt_study_hw(l.item[i], &S->hw[S->nhw++]) != 0) {
            cli_error("--hw: expected cloud or edge, got '%s'", l.item[i]);
            mmt_list_free(&l);
            return -1;
        }
    mmt_list_free(&l);
    if (mmt_list_parse(models, MAX_MODELS, &l, &d) != 0) {
        cli_error("--model: %s", d.message);
        return -1;
    }
    S->nmodels = 0;
    int r = 0;
    for (size_t i = 0; r == 0 && i < l.n; i++)
        r = add_model(S, l.item[i]);
    mmt_list_free(&l);
    if (r || !S->traces[0])
        return r;
    if (mmt_list_parse(S->traces, MAX_MODELS, &l, &d) != 0) {
        cli_error("--traces: %s", d.message);
        return -1;
    }
    for (size_t i = 0; r == 0 && i < l.n; i++) {
        size_t k = 0;
        while (k < S->nmodels && strcmp(S->models[k].name, l.item[i]))
            k++;
        if (k == S->nmodels && strcmp(l.item[i], "all")) {
            cli_error("--traces: '%s' is not one of the models studied", l.item[i]);
            r = -1;
        }
    }
    mmt_list_free(&l);
    return r;
}

/* Writes the presets' .cfg files into OUTDIR/hw (for running SCALE-Sim on the topologies). */
static int write_hw(const study *S)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/hw", S->outdir);
    if (cli_mkdirs(path) != 0)
        return -1;
    for (size_t h = 0; h < S->nhw; h++) {
        const mmt_config *c = &S->hw[h];
        outf o;
        snprintf(path, sizeof path, "%s/hw/%s.cfg", S->outdir, c->run_name);
        if (out_open(&o, path))
            return -1;
        fprintf(o.f,
                "[general]\nrun_name = %s\n\n[architecture_presets]\n"
                "ArrayHeight:    %" PRId64 "\nArrayWidth:     %" PRId64 "\n"
                "IfmapSramSzkB:   %" PRId64 "\nFilterSramSzkB:  %" PRId64
                "\nOfmapSramSzkB:   %" PRId64 "\nIfmapOffset:    %" PRId64
                "\nFilterOffset:   %" PRId64 "\nOfmapOffset:    %" PRId64 "\nBandwidth : %" PRId64
                "\nDataflow : os\nMemoryBanks:   1\n\n"
                "[run_presets]\nInterfaceBandwidth: CALC\n",
                c->run_name, c->array_h, c->array_w, c->ifmap_kb, c->filter_kb, c->ofmap_kb,
                c->ifmap_offset, c->filter_offset, c->ofmap_offset, c->bandwidth);
        if (out_close(&o))
            return -1;
    }
    return 0;
}

/* The whole study. */
static int run_study(study *S)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (cli_mkdirs(S->outdir) != 0) {
        cli_error("%s: cannot create directory: %s", S->outdir, strerror(errno));
        return EXIT_ERR;
    }
    if (write_hw(S) || lower_all(S) || simulate(S) || compute_fractions(S))
        return EXIT_ERR;
    fit_all(S);
    /* the fit of f(l) has two parameters: with one length its rows are nan, said aloud */
    if (S->nseqs < 2)
        fprintf(stderr, "%s: warning: one sequence length: the fits of f(l) need at least 2, "
                        "their rows in fits.csv are nan\n", cli_progname);
    if (write_fractions(S) || write_amdahl(S) || write_fits(S) || write_figures(S))
        return EXIT_ERR;
    for (size_t h = 0; h < S->nhw; h++)
        for (size_t m = 0; m < S->nmodels; m++)
            for (size_t q = 0; S->traces[0] && q < S->nseqs; q++)
                if (in_list(S->traces, S->models[m].name) && keep_traces(S, h, m, q))
                    return EXIT_ERR;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("study: %zu hw x %zu models x %zu lengths, %zu distinct layer shapes simulated "
           "in %.1f s\n",
           S->nhw, S->nmodels, S->nseqs, S->njobs,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (S->past_ctx)
        printf("note: %zu model x length points exceed the model's trained context "
               "(simulated anyway)\n",
               S->past_ctx);
    printf("results: %s/ (fractions.csv, amdahl.csv, fits.csv, fit_predictions.csv, "
           "figures/, topologies/, hw/)\n",
           S->outdir);
    return EXIT_OK;
}

/* Frees everything run_study allocated. */
static void study_free(study *S)
{
    for (size_t m = 0; m < MAX_MODELS; m++)
        for (size_t q = 0; q < MAX_SEQS; q++) {
            mmt_llm_block_free(S->blocks[m][q]);
            free(S->sidx[m][q]);
        }
    free(S->shapes);
    free(S->joblist);
}

int study_cli_main(int argc, char **argv)
{
    static const struct option opts[] = {{"study", required_argument, NULL, OPT_STUDY},
                                         {"fractions", required_argument, NULL, OPT_FRACTIONS},
                                         {"hw", required_argument, NULL, OPT_HW},
                                         {"model", required_argument, NULL, OPT_MODEL},
                                         {"seq", required_argument, NULL, OPT_SEQ},
                                         {"traces", required_argument, NULL, OPT_TRACES},
                                         {"jobs", required_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    static study S;
    const char *manifest = NULL, *hws = "cloud,edge", *models = "all",
               *seqs = "128,256,512,1024,2048,4096";
    int c;
    memset(&S, 0, sizeof S);
    S.jobs = 2;
    pthread_mutex_init(&S.lock, NULL);
    optind = 1;
    while ((c = getopt_long(argc, argv, "j:", opts, NULL)) != -1) {
        switch (c) {
        case OPT_STUDY: S.outdir = optarg; break;
        case OPT_FRACTIONS: manifest = optarg; break;
        case OPT_HW: hws = optarg; break;
        case OPT_MODEL: models = optarg; break;
        case OPT_SEQ: seqs = optarg; break;
        case OPT_TRACES: snprintf(S.traces, sizeof S.traces, "%s", optarg); break;
        case 'j':
            if (cli_parse_long("--jobs", optarg, 1, 64, &S.jobs))
                return EXIT_USAGE;
            break;
        default:
            fprintf(stderr, "Try 'mmtrace-replay --help' for more information.\n");
            return EXIT_USAGE;
        }
    }
    if (manifest) {
        if (S.outdir || optind != argc - 1) {
            cli_error("--fractions takes MANIFEST and one RUNDIR (and no --study)");
            return EXIT_USAGE;
        }
        return run_fractions(manifest, argv[optind]);
    }
    if (optind < argc || parse_seqs(&S, seqs) || parse_names(&S, models, hws)) {
        if (optind < argc)
            cli_error("unexpected argument '%s'", argv[optind]);
        return EXIT_USAGE;
    }
    int rc = run_study(&S);
    study_free(&S);
    return rc;
}
