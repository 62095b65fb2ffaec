/*
 * usage.c - mmtrace-replay --help: the replay's options and modes, then the study's
 * (study_cli_usage).
 */
#include <config.h>

#include "replay.h"
#include "study_cli.h"

#include <stdio.h>

void replay_usage(FILE *f)
{
    fprintf(f,
            "Usage: mmtrace-replay -c CFG -t TOPOLOGY -p OUTDIR [OPTION]...\n"
            "       mmtrace-replay -p DIR [-c CFG] --compare=REFDIR\n"
            "       mmtrace-replay --dram=INI --dram-trace=TRACE --cycles=N -p OUTDIR\n"
            "       mmtrace-replay -p DIR [-c CFG] --dram=INI --clock=MHZ\n"
            "Replay SCALE-Sim v2 SRAM traces through its memory model and write its reports.\n"
            "\n"
            "  -c, --config=CFG        SCALE-Sim .cfg file\n"
            "  -t, --topology=CSV      SCALE-Sim topology CSV\n"
            "  -p, --path=OUTDIR       run directory parent: OUTDIR/<run_name>/\n"
            "  -i, --input-type=TYPE   topology format: conv (default) or gemm (M,N,K rows)\n"
            "  -j, --jobs=N            replay up to N layers at once (default 1)\n"
            "      --gzip-level=N      zlib level 0-9 of the traces written (default 1)\n"
            "      --no-traces         fused model: read and write no trace, reports only\n"
            "      --compare=REFDIR    compare the output with SCALE-Sim's output in REFDIR\n"
            "      --force             replay even if the traces may not fit on the disk\n"
            "      --scalesim=VERSION  reproduce SCALE-Sim v2 (default) or v3.0.0 (dense)\n"
            "  -l, --layout=PATH       v3's layout file: named in v3's console header only\n"
            "      --engine=E          fused model engine: auto (default), rows or folds\n"
            "      --memory=POLICY     memory policy: scalesim (SCALE-Sim's, the default) or\n"
            "                          stream (doc/memory.md; with --no-traces only)\n"
            "      --dram=INI          a DRAMsim3 .ini: with --memory=stream its memory (and\n"
            "                          --clock its array clock); else the memory for\n"
            "                          --dram-trace or --clock\n"
            "  -v, --verbose           say on stderr which engine ran each layer\n"
            "      --dram-trace=TRACE  replay a DRAMsim3 trace (ADDR READ|WRITE CYCLE lines)\n"
            "      --cycles=N          DRAM cycles to simulate for --dram-trace\n"
            "      --clock=MHZ         with --dram: time the run's DRAM traffic at this\n"
            "                          accelerator clock (DRAM_TIMING_REPORT.csv); with\n"
            "                          --memory=stream: the array clock of its --dram\n"
            "  -h, --help              show this help and exit\n"
            "  -V, --version           show the version and exit\n"
            "\n"
            "Replay reads OUTDIR/<run_name>/layer<i>/X_SRAM_TRACE.csv.gz (as mmtrace-gen\n"
            "writes it) or, when there is no .csv.gz, SCALE-Sim's plain X_SRAM_TRACE.csv,\n"
            "which is kept. It writes COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and\n"
            "DETAILED_ACCESS_REPORT.csv into OUTDIR/<run_name>/, and into each layer<i>/ the\n"
            "three X_DRAM_TRACE.csv.gz and the SRAM traces with stall-adjusted cycles (the\n"
            ".csv.gz input is replaced). Nothing is written unless every trace is valid.\n"
            "SCALE-Sim's console output goes to stdout; progress (demand rows) to stderr.\n"
            "\n"
            "--compare: REFDIR is a SCALE-Sim run directory or its parent holding\n"
            "<run_name>/. With -t, the replay runs first and its output is compared (reports\n"
            "only with --no-traces). Without -t, nothing is replayed: DIR/<run_name> (with -c)\n"
            "or DIR is compared. Reports are compared field by field (floats to a relative\n"
            "1e-12), traces line by line after decompression; a table of the differences,\n"
            "with the first differing line of each trace, goes to stdout.\n"
            "\n"
            "--engine (with --no-traces): rows feeds every demand row through the memory\n"
            "model; folds works fold by fold and gives identical reports, but only for the\n"
            "layers it can prove exact (v2 mode; GEMMs, and convs whose windows tile the\n"
            "ifmap) and refuses the run otherwise; auto uses folds where it can and rows\n"
            "elsewhere.\n"
            "\n"
            "--dram with --dram-trace and --cycles: what `dramsim3main INI -c N -t TRACE\n"
            "-o OUTDIR` does, by a DRAMsim3-exact model (doc/dram.md): OUTDIR/dram_stats.json\n"
            "is its dramsim3.json, key for key. TRACE may be gzip-compressed.\n"
            "\n"
            "--dram with --clock: each layer's DRAM traces become requests of the memory's\n"
            "size (doc/dram.md), issued at their cycle on the DRAM clock, and\n"
            "DRAM_TIMING_REPORT.csv goes into the run directory (DIR/<run_name> with -c,\n"
            "else DIR, whose one .cfg gives the operand widths). With -t, after the replay.\n"
            "\n"
            "Exit status: 0 ok (and identical), 1 error or differences found, 2 usage error.\n");
    study_cli_usage(f);
}
