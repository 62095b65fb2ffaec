/*
 * study_plan.c - what mmtrace-replay's study modes print and run around the library: the
 * study part of --help, --fractions's table, the study run's progress and summary, the plans
 * (mmt_study_plan_*: the GNU parallel line printed, or the Slurm scripts written) and the
 * figure options (--format, --figure-size, --no-titles; the library draws the figures).
 */
#include <config.h>

#include "study_cli.h"

#include "cli.h"
#include "mmtrace_study.h"
#include "progress.h"

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

/* Prints the study's own help (--study --help). */
void study_cli_help(void)
{
    printf("Usage: mmtrace-replay --study=DIR [AXIS]... [OPTION]...\n"
           "       mmtrace-replay --fractions=MANIFEST RUNDIR\n"
           "The 1-bit LLM study of mmtrace-replay: chosen by --study or --fractions; the\n"
           "replay's -c, -t, -p and its other options do not mix with them.\n");
    study_cli_usage(stdout);
    printf("  Shared with the replay: -j, --scalesim, --engine, -h/--help, -V/--version.\n"
           "\nExit status: 0 ok, 1 error, 2 usage error.\n");
}

int study_fractions(const char *manifest, const char *rundir)
{
    mmt_study_fractions fr;
    mmt_diag d = {0};
    if (mmt_study_fractions_of_run(manifest, rundir, &fr, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    printf("part,total_cycles,stall_cycles,sram_accesses,dram_accesses\n");
    for (int p = 0; p < 2; p++)
        printf("%s,%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
               mmt_llm_part_name((mmt_llm_part)p), fr.cycles[p], fr.stalls[p], fr.sram[p],
               fr.dram[p]);
    printf("\nf_compute,f_memory,f_dram,S100_projections,S100_attention\n"
           "%.6f,%.6f,%.6f,%.4f,%.4f\n",
           fr.f_compute, fr.f_memory, fr.f_dram, mmt_study_amdahl(fr.f_compute, 100),
           mmt_study_amdahl(1 - fr.f_compute, 100));
    return EXIT_OK;
}

int study_plan(const char *how, const mmt_study_plan_spec *spec)
{
    char cwd[PATH_MAX], prog[PATH_MAX], *out = NULL;
    mmt_study_plan_spec ps = *spec;
    mmt_diag d = {0};
    if (!getcwd(cwd, sizeof cwd))
        return cli_error("cannot get the working directory: %s", strerror(errno)), EXIT_ERR;
    if (mmt_study_plan_program(prog, sizeof prog, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    ps.program = prog, ps.cwd = cwd;
    int e = !strcmp(how, "parallel") ? mmt_study_plan_parallel(&ps, &out, &d)
                                     : mmt_study_plan_slurm(&ps, &out, &d);
    if (e != 0)
        cli_print_diag(&d, NULL);
    else if (!strcmp(how, "parallel"))
        fputs(out, stdout);
    else
        printf("%s (sbatch shard.sbatch, then merge.sbatch)\n", out);
    free(out);
    return e ? EXIT_ERR : EXIT_OK;
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

/* The figure stage's progress: a cli_progress of its own, started at the first figure. */
static void figure_tick(void *ud, size_t done, size_t total)
{
    cli_progress *p = ud;
    if (!p->what)
        cli_progress_init(p, "figures");
    cli_progress_tick(p, done, total);
}

/* --study: runs the study with progress on stderr (the library draws the figures) and prints
 * the summary; returns an exit status. */
int study_run(mmt_study_spec *sp)
{
    if (sp->nseqs < 2) /* the fit of f(l) has two parameters */
        fprintf(stderr, "%s: warning: one sequence length: the fits of f(l) are nan\n",
                cli_progname);
    cli_progress pr, pf;
    cli_progress_init(&pr, "layers");
    sp->progress_work = cli_progress_tick_work, sp->progress_ud = &pr;
    pf.what = NULL; /* started at the first figure: its rate and ETA count figures only */
    sp->figure_progress = figure_tick, sp->figure_progress_ud = &pf;
    mmt_study_summary s;
    mmt_diag d = {0};
    if (mmt_study_run(sp, &s, &d) != 0)
        return cli_print_diag(&d, NULL), EXIT_ERR;
    if (s.cache_off) /* said once: the study ran on without caching */
        cli_print_diag(&s.cache_why, "warning: the layer cache cannot be written; the study ran "
                                     "on without caching: ");
    printf("study: %zu points, %zu layers, %zu distinct: %zu cached, %zu simulated, %zu corrupt\n",
           s.points, s.layers, s.distinct, s.cached, s.simulated, s.corrupt);
    if (s.below_bound) /* doc/memory.md: SCALE-Sim's free first fill */
        fprintf(stderr,
                "%s: warning: %zu results.csv rows under SCALE-Sim's memory policy are faster "
                "than their bound (column below_bound; doc/memory.md)\n",
                cli_progname, s.below_bound);
    char *note = NULL;
    if (s.past_ctx && mmt_study_past_context_note(sp, s.past_ctx, &note) != 0)
        return cli_error("out of memory"), EXIT_ERR;
    if (note)
        printf("%s\n", note), free(note);
    if (sp->nshards)
        printf("shard %u/%u: cache %s filled\n", sp->shard, sp->nshards, sp->cache_dir);
    else
        printf("results: %s/ (results.csv, fractions.csv, ..., figures/)\n", sp->outdir);
    return EXIT_OK;
}
