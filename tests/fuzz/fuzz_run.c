/*
 * fuzz_run.c - fuzz target for a whole gen -> replay run on a tiny fuzzed cfg and topology, with
 * a differential oracle: every layer is simulated twice, fused (mmt_sim_run, demand rows straight
 * from the generators) and through the traces (mmt_gen_trace writes the three SRAM traces, the
 * trace reader reads them back and feeds mmt_sim_new/step/finish, as mmt-replay does). Both must
 * fail alike or give identical mmt_layer_results, and the traces must hold the stall-free cycles.
 *
 * Input: CFG 0xff F TOPOLOGY, where bit 0 of the byte F selects the GEMM format (else conv) and
 * bit 1 Python 3.11 sums; bits 2-3, 4-5 and 6-7 override the ifmap, filter and ofmap widths
 * (0: the cfg's own, from its [precision] section or 8; else 1, 1.67 or 32 bits), so the two
 * paths are also compared at every width. A cfg in SCALE-Sim v3's format (a [layout] or
 * [sparsity] section, ...) runs in v3.0.0 mode instead, with v3's rows and 8-bit words (the USER
 * read buffers then serve some rows before their issue cycle, doc/scalesim-v3.md §V3.5).
 * Configs and layers beyond small bounds are skipped, so that every run is bounded in time and
 * memory.
 */
#include "mmtrace.h"
#include "tmpdir.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SIDE 16    /* array rows and columns */
#define MAX_KB 64      /* each SRAM */
#define MAX_ROWS 20000 /* demand rows of all simulated layers together */
#define MAX_LAYERS 8   /* layers simulated */
#define MAX_BW 4096    /* v3 bank bandwidths (a fetch row is that wide) */

static const char *tmpdir; /* set by fuzz_tmpdir on the first input */

/* Removes the three SRAM traces of a layer. */
static void remove_traces(void)
{
    char path[128];
    for (int op = 0; op < 3; op++) {
        snprintf(path, sizeof path, "%s/%s.gz", tmpdir, mmt_output_name((mmt_output)op));
        unlink(path);
    }
}


/* Opens the three traces just written, with their address ranges. */
static int open_traces(const mmt_geom *g, mmt_tracer *t[3])
{
    char path[128];
    mmt_diag d;
    for (int op = 0; op < 3; op++) {
        int64_t lo, hi;
        snprintf(path, sizeof path, "%s/%s.gz", tmpdir, mmt_output_name((mmt_output)op));
        if (mmt_tracer_open(path, &t[op], &d) != 0)
            return -1;
        mmt_geom_operand_range(g, (mmt_operand)op, &lo, &hi);
        mmt_tracer_set_range(t[op], lo, hi, "operand");
    }
    return 0;
}

/* The trace path: writes the three traces, reads them back into mmt_sim_step. Returns the
 * simulation's result code; a trace that does not read back as written traps. */
static int run_traces(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *so,
                      mmt_layer_result *res)
{
    int64_t width[3], *row[3] = {NULL, NULL, NULL}, served[3], cycle;
    mmt_tracer *t[3] = {NULL, NULL, NULL};
    mmt_sim *sim = NULL;
    for (int op = 0; op < 3; op++) {
        width[op] = mmt_geom_width(g, (mmt_operand)op);
        if (mmt_gen_trace(g, (mmt_operand)op, tmpdir, 1, NULL, NULL, NULL, NULL) != 0 ||
            !(row[op] = malloc((size_t)width[op] * sizeof *row[op])))
            __builtin_trap();
    }
    if (open_traces(g, t) != 0)
        __builtin_trap();
    int r = mmt_sim_new(cfg, g, so, &sim);
    for (int64_t i = 0; r == 0 && i < g->rows; i++) {
        for (int op = 0; op < 3; op++)
            if (mmt_tracer_next(t[op], width[op], &cycle, row[op], NULL) != 1 ||
                cycle != i + (op == MMT_OP_OFMAP ? 0 : 1)) /* reads served at row + 1 */
                __builtin_trap();
        r = mmt_sim_step(sim, row[0], row[1], row[2], served);
    }
    if (r == 0)
        r = mmt_sim_finish(sim, res);
    mmt_sim_free(sim);
    for (int op = 0; op < 3; op++) {
        const char *text;
        size_t len;
        if (r == 0 && mmt_tracer_line(t[op], &text, &len, NULL) != 0)
            __builtin_trap(); /* more rows than the geometry says */
        if (mmt_tracer_close(t[op], NULL) != 0)
            __builtin_trap();
        free(row[op]);
    }
    remove_traces();
    return r;
}

/* Compares two results field by field (floats bit for bit; padding is not compared). */
static int same_result(const mmt_layer_result *a, const mmt_layer_result *b)
{
    return a->total_cycles == b->total_cycles && a->stall_cycles == b->stall_cycles &&
           !memcmp(&a->overall_util, &b->overall_util, sizeof(double)) &&
           !memcmp(&a->mapping_eff, &b->mapping_eff, sizeof(double)) &&
           !memcmp(&a->compute_util, &b->compute_util, sizeof(double)) && a->macs == b->macs &&
           !memcmp(a->has_sram, b->has_sram, sizeof a->has_sram) &&
           !memcmp(a->sram_start, b->sram_start, sizeof a->sram_start) &&
           !memcmp(a->sram_stop, b->sram_stop, sizeof a->sram_stop) &&
           !memcmp(a->sram_count, b->sram_count, sizeof a->sram_count) &&
           !memcmp(a->dram_start, b->dram_start, sizeof a->dram_start) &&
           !memcmp(a->dram_stop, b->dram_stop, sizeof a->dram_stop) &&
           !memcmp(a->dram_count, b->dram_count, sizeof a->dram_count);
}

/* Whether the cfg is small enough to simulate in a fuzz run. */
static int small_config(const mmt_config *c)
{
    return c->array_h <= MAX_SIDE && c->array_w <= MAX_SIDE && c->ifmap_kb <= MAX_KB &&
           c->filter_kb <= MAX_KB && c->ofmap_kb <= MAX_KB && c->bank_bw[0] <= MAX_BW &&
           c->bank_bw[1] <= MAX_BW;
}

/* Applies the width overrides of the flag byte (bits 2-7, two per operand). */
static void override_widths(mmt_config *cfg, int flags)
{
    static const int32_t bits[4] = {0, 1000, 1670, 32000};
    for (int op = 0; op < 3; op++) {
        int k = (flags >> (2 + 2 * op)) & 3;
        if (k)
            cfg->bits_milli[op] = bits[k];
    }
}

/* Simulates each small layer both ways and compares. */
static void run_topology(const mmt_config *cfg, const mmt_topology *topo, int py311)
{
    mmt_sim_opts so = {.gzip_level = 1, .py311_sum = py311};
    int64_t budget = MAX_ROWS;
    size_t n = mmt_topology_count(topo);
    for (size_t i = 0; i < n && i < MAX_LAYERS; i++) {
        mmt_geom g;
        mmt_diag d;
        if (mmt_geom_init(&g, mmt_topology_layer(topo, i), cfg, &d) != 0)
            continue;
        if (g.rows > budget)
            continue;
        budget -= g.rows;
        mmt_layer_result fused, traced;
        memset(&fused, 0, sizeof fused);
        memset(&traced, 0, sizeof traced);
        int rf = mmt_sim_run(cfg, &g, &so, &fused);
        int rt = run_traces(cfg, &g, &so, &traced);
        if (rf != rt || (rf == 0 && !same_result(&fused, &traced)))
            __builtin_trap(); /* the fused and the trace path disagree */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0xff, size);
    if (!sep || sep + 1 >= data + size || !(tmpdir = fuzz_tmpdir("run")))
        return 0;
    size_t cfg_len = (size_t)(sep - data);
    int flags = sep[1];
    const char *topo_text = (const char *)sep + 2;
    size_t topo_len = size - cfg_len - 2;
    mmt_config cfg;
    mmt_diag d;
    mmt_scalesim v = MMT_SCALESIM_V2;
    if (mmt_config_parse("fuzz.cfg", (const char *)data, cfg_len, &cfg, &d, NULL, NULL) != 0)
        return 0;
    if (cfg.v3_format) {
        v = MMT_SCALESIM_V3;
        if (mmt_config_parse_version("fuzz.cfg", (const char *)data, cfg_len, v, &cfg, &d, NULL,
                                     NULL) != 0)
            return 0;
    } else {
        override_widths(&cfg, flags);
    }
    if (!small_config(&cfg))
        return 0;
    mmt_topology *topo = NULL;
    if (mmt_topology_parse_version("fuzz.csv", topo_text, topo_len, flags & 1, v, &topo, &d, NULL,
                                   NULL) != 0)
        return 0;
    run_topology(&cfg, topo, (flags >> 1) & 1);
    mmt_topology_free(topo);
    return 0;
}
