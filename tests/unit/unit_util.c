/* unit_util.c - set-up shared by several unit tests (see unit_util.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "unit_util.h"

void on_warn(void *ud, const mmt_diag *d)
{
    warns *w = ud;
    w->n++;
    w->last = *d;
}

mmt_config unit_cfg(int64_t R, int64_t C, mmt_dataflow df)
{
    mmt_config c;
    memset(&c, 0, sizeof c);
    strcpy(c.run_name, "t");
    c.array_h = R;
    c.array_w = C;
    c.ifmap_kb = c.filter_kb = c.ofmap_kb = 64;
    c.ifmap_offset = 0;
    c.filter_offset = 10000000;
    c.ofmap_offset = 20000000;
    c.dataflow = df;
    return c;
}

mmt_layer unit_conv(int64_t H, int64_t W, int64_t FH, int64_t FW, int64_t Cin, int64_t N,
                    int64_t SH, int64_t SW)
{
    mmt_layer l = {.name = (char *)"l",
                   .ifmap_h = H,
                   .ifmap_w = W,
                   .filt_h = FH,
                   .filt_w = FW,
                   .channels = Cin,
                   .num_filt = N,
                   .stride_h = SH,
                   .stride_w = SW,
                   .line = 7};
    return l;
}

mmt_layer unit_gemm(int64_t M, int64_t N, int64_t K)
{
    return unit_conv(M, K, 1, K, 1, N, 1, 1);
}

const char *unit_slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}
