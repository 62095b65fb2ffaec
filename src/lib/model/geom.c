/*
 * geom.c - per-layer geometry: output size, GEMM sizes, folds, operand addresses and the
 * counts SCALE-Sim v2 reports (doc/scalesim-v2.md §3.3, §4, §5).
 */
#include "sim_internal.h"

#include <string.h>

/* Overflow-checked products, reported with the quantity's name. */
#define CHECK(expr, what)                                                                      \
    do {                                                                                       \
        if (expr)                                                                              \
            return mmt__diag(d, MMT_EOVERFLOW, NULL, l->line, "%s overflows 64 bits", what);    \
    } while (0)

/* Output size, window and MAC count, and the address ranges of the three operands. */
static int init_sizes(mmt_geom *g, const mmt_layer *l, mmt_diag *d)
{
    int64_t t, hw;
    if (l->ifmap_h <= 0 || l->ifmap_w <= 0 || l->filt_h <= 0 || l->filt_w <= 0 ||
        l->channels <= 0 || l->num_filt <= 0 || l->stride_h <= 0 || l->stride_w <= 0)
        return mmt__diag(d, MMT_ERANGE, NULL, l->line, "layer sizes must be positive");
    if (l->filt_h > l->ifmap_h || l->filt_w > l->ifmap_w)
        return mmt__diag(d, MMT_ERANGE, NULL, l->line, "filter is larger than the ifmap");
    g->H = l->ifmap_h, g->W = l->ifmap_w, g->FH = l->filt_h, g->FW = l->filt_w;
    g->Cin = l->channels, g->N = l->num_filt, g->SH = l->stride_h, g->SW = l->stride_w;
    /* SCALE-Sim v2: OH = ceil((H - FH + SH) / SH), ceil rather than floor (doc/scalesim-v2.md §3.1). */
    CHECK(mmt__add(g->H - g->FH, g->SH, &t), "output height");
    g->OH = mmt__ceil_div(t, g->SH);
    CHECK(mmt__add(g->W - g->FW, g->SW, &t), "output width");
    g->OW = mmt__ceil_div(t, g->SW);
    CHECK(mmt__mul(g->OH, g->OW, &g->P), "ofmap pixels (OH*OW)");
    CHECK(mmt__mul(g->FH, g->FW, &t) || mmt__mul(t, g->Cin, &g->K), "window size (FH*FW*C)");
    CHECK(mmt__mul(g->P, g->N, &t) || mmt__mul(t, g->K, &g->macs), "MAC count");
    CHECK(mmt__mul(g->macs, 100, &t), "MAC count * 100");
    CHECK(mmt__mul(g->H, g->W, &hw) || mmt__mul(hw, g->Cin, &t) || mmt__add(t, g->ifoff, &t),
          "ifmap address range");
    CHECK(mmt__mul(g->N, g->K, &t) || mmt__add(t, g->filoff, &t), "filter address range");
    CHECK(mmt__mul(g->P, g->N, &t) || mmt__add(t, g->ofoff, &t), "ofmap address range");
    static const char *const name[3] = {"ifmap", "filter", "ofmap"};
    for (int op = 0; op < 3; op++) {
        int64_t lo, hi;
        mmt_geom_operand_range(g, (mmt_operand)op, &lo, &hi);
        /* SCALE-Sim v2 and v3: the demand matrices are float64, which round addresses past
         * 2^53 (2^53 + 1 is traced as 2^53 + 2): refused rather than reproduced (§4.1). */
        if (hi - 1 > MMT_MAX_ADDRESS)
            return mmt__diag(d, MMT_ERANGE, NULL, l->line,
                             "%s addresses reach %" PRId64 ", past 2^53 = %" PRId64
                             ", where SCALE-Sim's float64 address matrices no longer hold every "
                             "address exactly",
                             name[op], hi - 1, MMT_MAX_ADDRESS);
    }
    return 0;
}

/* Spatial/temporal mapping, folds, rows and SRAM access counts for the dataflow. */
static int init_folds(mmt_geom *g, const mmt_layer *l, mmt_diag *d)
{
    int64_t R = g->R, C = g->C, t, u;
    if (g->df == MMT_DF_OS)
        g->Sr = g->P, g->Sc = g->N, g->T = g->K;
    else if (g->df == MMT_DF_WS)
        g->Sr = g->K, g->Sc = g->N, g->T = g->P;
    else
        g->Sr = g->K, g->Sc = g->P, g->T = g->N;
    g->row_fold = mmt__ceil_div(g->Sr, R);
    g->col_fold = mmt__ceil_div(g->Sc, C);
    CHECK(mmt__mul(g->row_fold, g->col_fold, &g->folds), "fold count");
    /* os: L = T+R+C-2; ws/is: L = 2R+C+T-2 */
    CHECK(mmt__add(g->T, R, &t) || mmt__add(t, C, &t) ||
              (g->df != MMT_DF_OS && mmt__add(t, R, &t)),
          "fold length");
    g->L = t - 2;
    CHECK(mmt__mul(g->folds, g->L, &g->rows), "demand rows (folds * fold length)");
    CHECK(mmt__mul(g->rows, 2, &t), "cycle range");
    if (g->df == MMT_DF_OS) {
        CHECK(mmt__mul(g->col_fold, g->T, &t) || mmt__mul(t, g->Sr, &g->sram_ifmap_reads),
              "SRAM ifmap reads");
        CHECK(mmt__mul(g->row_fold, g->T, &t) || mmt__mul(t, g->Sc, &g->sram_filter_reads),
              "SRAM filter reads");
        /* SCALE-Sim v2 quirk: OS adds R+C ofmap writes per fold (issue #166). */
        CHECK(mmt__mul(g->Sr, g->Sc, &t) || mmt__mul(g->folds, R + C, &u) ||
                  mmt__add(t, u, &g->sram_ofmap_writes),
              "SRAM ofmap writes");
        return 0;
    }
    int64_t *cf_reads = g->df == MMT_DF_WS ? &g->sram_ifmap_reads : &g->sram_filter_reads;
    int64_t *once = g->df == MMT_DF_WS ? &g->sram_filter_reads : &g->sram_ifmap_reads;
    CHECK(mmt__mul(g->col_fold, g->T, &t) || mmt__mul(t, g->Sr, cf_reads), "SRAM reads");
    CHECK(mmt__mul(g->Sr, g->Sc, once), "SRAM reads");
    /* SCALE-Sim v2: WS and IS write the whole ofmap again in every row fold. */
    CHECK(mmt__mul(g->row_fold, g->T, &t) || mmt__mul(t, g->Sc, &g->sram_ofmap_writes),
          "SRAM ofmap writes");
    return 0;
}

int mmt_geom_init(mmt_geom *g, const mmt_layer *l, const mmt_config *cfg, mmt_diag *d)
{
    memset(g, 0, sizeof *g);
    g->ifoff = cfg->ifmap_offset;
    g->filoff = cfg->filter_offset;
    g->ofoff = cfg->ofmap_offset;
    g->df = cfg->dataflow;
    g->R = cfg->array_h;
    g->C = cfg->array_w;
    if (g->R <= 0 || g->C <= 0 || g->R > MMT_MAX_ARRAY_DIM || g->C > MMT_MAX_ARRAY_DIM)
        return mmt__diag(d, MMT_ERANGE, NULL, l->line,
                         "array %" PRId64 "x%" PRId64 ": each side must be 1..%d", g->R, g->C,
                         MMT_MAX_ARRAY_DIM);
    /* mmt_config_read refuses these with the cfg line; callers that fill cfg are checked here. */
    if (g->ifoff < MMT_MIN_OFFSET || g->filoff < MMT_MIN_OFFSET || g->ofoff < MMT_MIN_OFFSET)
        return mmt__diag(d, MMT_ERANGE, NULL, l->line,
                         "an operand offset is below -2^53, where SCALE-Sim's float64 address "
                         "matrices no longer hold every address exactly");
    int r = init_sizes(g, l, d);
    return r ? r : init_folds(g, l, d);
}

int64_t mmt_geom_ifmap_addr(const mmt_geom *g, int64_t p, int64_t j)
{
    int64_t orow = p / g->OW, ocol = p % g->OW;
    int64_t fr = j / (g->FW * g->Cin), rem = j % (g->FW * g->Cin);
    int64_t fc = rem / g->Cin, ch = rem % g->Cin;
    int64_t r = orow * g->SH + fr, c = ocol * g->SW + fc;
    if (r < g->H && c < g->W)
        return (r * g->W + c) * g->Cin + ch + g->ifoff;
    return -1; /* SCALE-Sim v2: windows past the edge (ceil output size) read nothing */
}

int64_t mmt_geom_filter_addr(const mmt_geom *g, int64_t k, int64_t n)
{
    return n * g->K + k + g->filoff;
}

int64_t mmt_geom_ofmap_addr(const mmt_geom *g, int64_t p, int64_t n)
{
    return p * g->N + n + g->ofoff;
}

void mmt_geom_operand_range(const mmt_geom *g, mmt_operand op, int64_t *lo, int64_t *hi)
{
    *lo = op == MMT_OP_IFMAP ? g->ifoff : op == MMT_OP_FILTER ? g->filoff : g->ofoff;
    *hi = *lo + (op == MMT_OP_IFMAP    ? g->H * g->W * g->Cin
                 : op == MMT_OP_FILTER ? g->N * g->K
                                       : g->P * g->N);
}

int64_t mmt_geom_width(const mmt_geom *g, mmt_operand op)
{
    int swapped = g->df == MMT_DF_IS && op != MMT_OP_OFMAP; /* IS: ifmap C wide, filter R */
    return (op == MMT_OP_IFMAP) != swapped ? g->R : g->C;
}

void mmt__geom_fold_used(const mmt_geom *g, int64_t f, int64_t *ru, int64_t *cu)
{
    int64_t fc = f / g->row_fold, fr = f % g->row_fold;
    int64_t r_left = g->Sr - fr * g->R, c_left = g->Sc - fc * g->C;
    *ru = r_left < g->R ? r_left : g->R;
    *cu = c_left < g->C ? c_left : g->C;
}

double mmt_geom_fold_mapping_eff(const mmt_geom *g, int64_t f)
{
    int64_t ru, cu;
    mmt__geom_fold_used(g, f, &ru, &cu);
    return mmt__true_div((mmt__u128)(ru * cu), (mmt__u128)(g->R * g->C));
}

double mmt_geom_fold_compute_util(const mmt_geom *g, int64_t f)
{
    int64_t ru, cu;
    mmt__geom_fold_used(g, f, &ru, &cu);
    /* SCALE-Sim v2 quirk: ws/is divide by 2R+2C+T-3, longer than the real fold (doc/scalesim-v2.md §5). */
    int64_t D = g->df == MMT_DF_OS ? g->T + g->R + g->C - 2 : 2 * g->R + 2 * g->C + g->T - 3;
    return mmt__true_div((mmt__u128)(ru * cu) * (uint64_t)g->T,
                         (mmt__u128)(g->R * g->C) * (uint64_t)D);
}
