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
            "                        shards (default 2)\n"
            "      --format=LIST     figures: svg, png, pdf (default svg,png), each with a CSV\n"
            "                        of the numbers it plots\n"
            "      --figure-size=column|page  3.3 in (one column) or 7 in wide (default page)\n"
            "      --no-titles       no title above the figures (a paper's caption says it)\n"
            "      --traces=MODELS   keep full traces and reports under DIR/traces/\n"
            "      --scalesim=v2|v3  simulate every hardware point as SCALE-Sim v2 (default)\n"
            "                        or v3.0.0 (hw cfgs read and written in v3's format)\n"
            "      --engine=E        fused model engine: auto (default), rows or folds\n");
}

/* --fractions: prints one CSV record of totals by part, fractions and S(100) both ways. */
int study_fractions(const char *manifest, const char *rundir)
{
    mmt_llm_block *b;
    mmt_diag d = {0};
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

/* Prints s single-quoted for sh. */
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

/* This program, argv without --plan/--shards, and an explicit absolute --cache. */
static void command(FILE *f, int argc, char **argv, const char *cache)
{
    char self[PATH_MAX];
    const char *env = getenv("MMTRACE_REPLAY"); /* the program the plan runs, if not this one */
    ssize_t n = env ? 0 : readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    shq(f, env ? env : n > 0 ? self : argv[0]);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "--plan", 6) || !strncmp(a, "--shards", 8) || !strncmp(a, "--cache", 7)) {
            i += !strchr(a, '=');
            continue;
        }
        fputc(' ', f);
        shq(f, a);
    }
    if (cache) {
        fputs(" --cache=", f);
        shq(f, cache);
    }
}

int study_plan(const char *how, unsigned nshards, const char *outdir, const char *cache, int argc,
               char **argv)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return cli_error("cannot get the working directory: %s", strerror(errno)), EXIT_ERR;
    if (!strcmp(how, "parallel")) {
        printf("parallel --halt now,fail=1 -j %u ", nshards);
        command(stdout, argc, argv, cache);
        printf(" --shard={}/%u :::", nshards);
        for (unsigned i = 1; i <= nshards; i++)
            printf(" %u", i);
        printf(" && ");
        command(stdout, argc, argv, cache);
        printf("\n");
        return EXIT_OK;
    }
    char dir[PATH_MAX + 64], path[PATH_MAX + 128];
    snprintf(dir, sizeof dir, "%s/slurm", outdir);
    if (cli_mkdirs(dir) != 0)
        return EXIT_ERR;
    for (int k = 0; k < 3; k++) {
        static const char *const name[3] = {"shard.sbatch", "merge.sbatch", "submit.sh"};
        snprintf(path, sizeof path, "%s/%s", dir, name[k]);
        FILE *f = fopen(path, "w");
        if (!f)
            return cli_error("%s: cannot write: %s", path, strerror(errno)), EXIT_ERR;
        fprintf(f, "#!/bin/sh\n");
        if (k == 0)
            fprintf(f,
                    "#SBATCH --job-name=mmtrace-study\n#SBATCH --array=1-%u\n"
                    "#SBATCH --output=%s/shard-%%a.log\n#SBATCH --chdir=%s\n"
                    "# one task per shard: fills the layer cache, writes nothing else\n"
                    "exec ",
                    nshards, dir, cwd);
        if (k == 1)
            fprintf(f,
                    "#SBATCH --job-name=mmtrace-study-merge\n#SBATCH --output=%s/merge.log\n"
                    "#SBATCH --chdir=%s\n# runs after every shard: finds every layer cached "
                    "and writes the tables and figures\nexec ",
                    dir, cwd);
        if (k < 2)
            command(f, argc, argv, cache);
        if (k == 0)
            fprintf(f, " --shard=\"${SLURM_ARRAY_TASK_ID:?not a Slurm array task}/%u\"\n", nshards);
        if (k == 1)
            fprintf(f, "\n");
        if (k == 2)
            fprintf(f,
                    "# submits the shards as a job array, then the merge job after them\n"
                    "set -e\njid=$(sbatch --parsable '%s/shard.sbatch')\n"
                    "sbatch --parsable --dependency=afterok:\"${jid%%%%;*}\" '%s/merge.sbatch'\n",
                    dir, dir);
        if (fclose(f) != 0)
            return cli_error("%s: cannot write: %s", path, strerror(errno)), EXIT_ERR;
    }
    printf("%s/submit.sh (sbatch %s/shard.sbatch, then %s/merge.sbatch)\n", dir, dir, dir);
    return EXIT_OK;
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
