/*
 * test_dram_layer.c - timing a layer's DRAM traces (dram_layer.c) on hand-made traces: the
 * element-to-byte rule (widths, offsets, lines shared and straddled, idle and padding slots),
 * the first cycle t0, and the refusals: malformed fields, cycles going backwards, an element
 * beyond its region, a missing trace, bad options; and the report's layout.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mmtrace_dram_layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];
static mmt_dram_config *ddr4;

/* Writes text to DIR/name; returns the path (static, one per name slot). */
static const char *put(int slot, const char *name, const char *text)
{
    static char paths[3][512];
    snprintf(paths[slot], sizeof paths[slot], "%s/%s", dir, name);
    FILE *f = fopen(paths[slot], "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return paths[slot];
}

/* Times three traces given as text at 8, 1.58 and 16 bits, offsets 0, 1e7, 2e7, 1000 MHz. */
static int run(const char *ifmap, const char *filter, const char *ofmap,
               mmt_dram_layer_result *r, mmt_diag *d)
{
    const mmt_dram_layer_opts o = {1000.0, {8000, 1580, 16000}, {0, 10000000, 20000000}};
    const char *p[3] = {put(0, "IFMAP_DRAM_TRACE.csv", ifmap),
                        put(1, "FILTER_DRAM_TRACE.csv", filter),
                        put(2, "OFMAP_DRAM_TRACE.csv", ofmap)};
    memset(d, 0, sizeof *d);
    return mmt_dram_layer_time(ddr4, &o, p, r, d);
}

static void test_rule(void **state)
{
    (void)state;
    mmt_dram_layer_result r;
    mmt_diag d;
    /* ifmap: 64 elements of 8 bits are one line; then lines 1 and 3 (-1 is an idle slot).
     * filter at 1.58 bits: elements 0..323 fit line 0 (511.92 bits); element 324 straddles
     * lines 0 and 1, and line 0 was the previous row's: one request. ofmap: the CALC
     * padding 1.0 lies below the offset and is skipped. */
    char ifmap[1024] = "-2.0";
    for (int i = 0; i < 64; i++)
        snprintf(ifmap + strlen(ifmap), sizeof ifmap - strlen(ifmap), ",%d.0", i);
    strcat(ifmap, "\n-1.0,64.0,-1.0,200.0,65.0\n");
    assert_int_equal(run(ifmap, "0.0,10000000.0,10000323.0\n1.0,10000324.0\n",
                         "5.0,20000000.0,1.0,20000031.0,20000032.0\n", &r, &d), 0);
    assert_int_equal(r.t0, -2);
    assert_int_equal(r.reads, 1 + 2 + 1 + 1);
    assert_int_equal(r.writes, 2); /* 32 16-bit elements per line: 0..31, then 32 */
    assert_int_equal(r.requests, 7);
    assert_int_equal(r.stats.num_reads_done, 5);
    assert_int_equal(r.stats.num_writes_done, 2);
    assert_true(r.dram_cycles >= r.last_done_cycle && r.last_done_cycle > 0);
    assert_true(r.done_ns > 0 && r.energy_pj > 0 && r.gbs > 0);
}

/* Rows narrower than a line: a line the operand's previous row touched is not requested again
 * (an idle row in between does not count), one that an earlier row touched is. */
static void test_coalesce(void **state)
{
    (void)state;
    mmt_dram_layer_result r;
    mmt_diag d;
    assert_int_equal(run("0.0,0.0,1.0\n1.0,2.0,3.0\n2.0,-1.0,-1.0\n3.0,4.0,64.0\n"
                         "4.0,65.0\n5.0,5.0\n6.0,5.0,6.0\n",
                         "", "", &r, &d), 0);
    /* line 0; -; (idle); line 1 (0 was the previous row's); -; line 0 again; - */
    assert_int_equal(r.reads, 3);
    /* 1-bit filter would need 512 elements per line; at 1.58 bits, 324: rows of 100 elements
     * request line 0 once, then line 1 when element 324 reaches it. */
    char filter[8192] = "";
    for (int row = 0; row < 4; row++) {
        snprintf(filter + strlen(filter), sizeof filter - strlen(filter), "%d.0", row);
        for (int i = 0; i < 100; i++)
            snprintf(filter + strlen(filter), sizeof filter - strlen(filter), ",%d.0",
                     10000000 + row * 100 + i);
        strcat(filter, "\n");
    }
    assert_int_equal(run("", filter, "", &r, &d), 0);
    assert_int_equal(r.reads, 2);
}

/* A negative offset: addresses below 0 are elements, but -1 stays SCALE-Sim's idle slot. */
static void test_negative_offset(void **state)
{
    (void)state;
    mmt_dram_layer_result r;
    mmt_diag d = {0};
    const mmt_dram_layer_opts o = {1000.0, {8000, 8000, 8000}, {-1000, 10000000, 20000000}};
    const char *p[3] = {put(0, "IFMAP_DRAM_TRACE.csv", "0.0,-1000.0,-1.0,-2.0\n"),
                        put(1, "FILTER_DRAM_TRACE.csv", ""), put(2, "OFMAP_DRAM_TRACE.csv", "")};
    /* element 0 (line 0) and element 998 (line 15); -1 (element 999) is idle */
    assert_int_equal(mmt_dram_layer_time(ddr4, &o, p, &r, &d), 0);
    assert_int_equal(r.reads, 2);
    p[0] = put(0, "IFMAP_DRAM_TRACE.csv", "0.0,-1000.0,-1.0\n");
    assert_int_equal(mmt_dram_layer_time(ddr4, &o, p, &r, &d), 0);
    assert_int_equal(r.reads, 1);
}

static void test_empty(void **state)
{
    (void)state;
    mmt_dram_layer_result r;
    mmt_diag d;
    assert_int_equal(run("", "", "-3.0,-1.0,-1.0\n", &r, &d), 0);
    assert_int_equal(r.requests, 0);
    assert_int_equal(r.dram_cycles, 0);
    assert_int_equal(r.t0, -3);
    assert_true(r.gbs == 0.0);
}

/* A bad ifmap trace is refused with code want at line, the message containing msg. */
static void refused(const char *ifmap, int want, long line, const char *msg)
{
    mmt_dram_layer_result r;
    mmt_diag d;
    assert_int_equal(run(ifmap, "", "", &r, &d), want);
    assert_int_equal(d.line, line);
    if (strstr(d.message, msg) == NULL)
        fail_msg("message '%s' lacks '%s'", d.message, msg);
    assert_non_null(strstr(d.file, "IFMAP_DRAM_TRACE.csv"));
}

static void test_malformed(void **state)
{
    (void)state;
    refused("1.0,2.0\n2.0,x\n", MMT_ETRACE, 2, "expected an integral number, got 'x'");
    refused("1.0,2.5\n", MMT_ETRACE, 1, "expected an integral number, got '2.5'");
    refused("1.0,2.0,\n", MMT_ETRACE, 1, "expected a number, got ''");
    refused("\n", MMT_ETRACE, 1, "expected a number");
    refused("1.0,1e300\n", MMT_ETRACE, 1, "expected an integral number");
    refused("nan,1.0\n", MMT_ETRACE, 1, "expected an integral number, got 'nan'");
    refused("5.0,1.0\n4.0,2.0\n", MMT_ETRACE, 2, "cycle 4 is before the previous row's 5");
    refused("5.0,-1.0\n4.0,-1.0\n", MMT_ETRACE, 2, "cycle 4 is before");
    refused("0.0,2000000000.0\n", MMT_ETRACE, 1, "beyond the operand's 1 GiB region");
    refused("0.0,1073741823.0\n0.0,1073741824.0\n", MMT_ETRACE, 2, "1 GiB region");
}

static void test_missing_and_options(void **state)
{
    (void)state;
    mmt_dram_layer_result r;
    mmt_diag d = {0};
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.csv", dir);
    const char *p[3] = {missing, missing, missing};
    mmt_dram_layer_opts o = {700.0, {8000, 8000, 8000}, {0, 10000000, 20000000}};
    assert_int_equal(mmt_dram_layer_time(ddr4, &o, p, &r, &d), MMT_ENOENT);
    assert_non_null(strstr(d.file, "none.csv"));
    o.clock_mhz = 0;
    assert_int_equal(mmt_dram_layer_time(ddr4, &o, p, &r, &d), MMT_EINVAL);
    o.clock_mhz = 700;
    o.bits[1] = 500;
    assert_int_equal(mmt_dram_layer_time(ddr4, &o, p, &r, &d), MMT_EINVAL);
}

static void test_report(void **state)
{
    (void)state;
    mmt_dram_layer_result r[2];
    memset(r, 0, sizeof r);
    r[1].requests = 3;
    r[1].row_hit_rate = 0.5;
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/DRAM_TIMING_REPORT.csv", dir);
    mmt_diag d = {0};
    assert_int_equal(mmt_dram_layer_report_write(path, r, 2, &d), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "LayerID, Requests, Reads, Writes, Row Hit Rate, "
                              "Avg Read Latency (ns), Max Read Latency (ns), Achieved GB/s, "
                              "DRAM Cycles, Last Done (accel cycles), Last Done (ns), "
                              "DRAM Energy (pJ),\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "0, 0, 0, 0, 0.000000, 0.000, 0.000, 0.000, 0, 0.00, 0.000, 0.0,\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "1, 3, 0, 0, 0.500000, 0.000, 0.000, 0.000, 0, 0.00, 0.000, 0.0,\n");
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("MMT_SRCDIR");
    char ini[600];
    snprintf(ini, sizeof ini, "%s/memories/DDR4-3200.ini", src ? src : ".");
    mmt_diag d = {0};
    if (mmt_dram_config_read(ini, &ddr4, &d) != 0) {
        fprintf(stderr, "%s:%ld: %s\n", d.file, d.line, d.message);
        return -1;
    }
    snprintf(dir, sizeof dir, "%s/mmt-dram-layer.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mmt_dram_config_free(ddr4);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_coalesce),
        cmocka_unit_test(test_negative_offset),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_missing_and_options),
        cmocka_unit_test(test_report),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
