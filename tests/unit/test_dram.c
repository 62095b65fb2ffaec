/*
 * test_dram.c - the DRAM module (src/lib/dram): the .ini reader on malformed and quirky input
 * (FILE:LINE: messages, DRAMsim3's defaults, truncations and inih's rules), the nlohmann-style
 * double printer, the trace replay's refusals, and the skipping engine against the plain one
 * (every cycle ticked, every queue looked at) on seeded random streams over every protocol.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dram_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A small DDR4 part: 2 bank groups of 2 banks, 2 ranks of 64 MB (8 x8 devices). */
static const char ddr4[] = "[dram_structure]\n"
                           "protocol = DDR4\n"
                           "bankgroups = 2\n"
                           "banks_per_group = 2\n"
                           "rows = 2048\n"
                           "columns = 1024\n"
                           "device_width = 8\n"
                           "BL = 8\n"
                           "[timing]\n"
                           "tCK = 0.75\n"
                           "CL = 16\n"
                           "CWL = 12\n"
                           "tRCD = 16\n"
                           "tRP = 16\n"
                           "tRAS = 39\n"
                           "tRFC = 280\n"
                           "tREFI = 1000\n"
                           "tRRD_S = 4\n"
                           "tRRD_L = 6\n"
                           "tWTR_S = 3\n"
                           "tWTR_L = 9\n"
                           "tFAW = 26\n"
                           "tWR = 18\n"
                           "tRTP = 9\n"
                           "tCCD_S = 4\n"
                           "tCCD_L = 6\n"
                           "[power]\n"
                           "VDD = 1.2\n"
                           "IDD0 = 60\n"
                           "[system]\n"
                           "channel_size = 128\n"
                           "channels = 2\n"
                           "bus_width = 64\n"
                           "address_mapping = rochrababgco\n"
                           "cmd_queue_size = 4\n"
                           "trans_queue_size = 8\n";

static int parse(const char *text, mmt_dram_config **c, mmt_diag *d)
{
    memset(d, 0, sizeof *d);
    return mmt_dram_config_parse("m.ini", text, strlen(text), c, d);
}

/* Replaces the line holding key in base by line. */
static char *edit_in(const char *base, const char *key, const char *line)
{
    static char bufs[2][4096];
    static int k;
    char *buf = bufs[k++ & 1];
    const char *p = strstr(base, key);
    assert_non_null(p);
    const char *e = strchr(p, '\n');
    snprintf(buf, sizeof buf[0] * 4096, "%.*s%s%s", (int)(p - base), base, line, e);
    return buf;
}

/* The same in ddr4. */
static char *edit(const char *key, const char *line)
{
    return edit_in(ddr4, key, line);
}

/* Expects a refusal with err, at line, whose message contains want. */
static void refused(const char *text, int err, long line, const char *want)
{
    mmt_dram_config *c = (mmt_dram_config *)1;
    mmt_diag d;
    int r = parse(text, &c, &d);
    if (r != err)
        fail_msg("got %d, not %d, for a file that %s", r, err, want);
    assert_null(c);
    assert_string_equal(d.file, "m.ini");
    assert_int_equal(d.line, line);
    if (!strstr(d.message, want))
        fail_msg("message '%s' lacks '%s'", d.message, want);
}

static void test_config_ok(void **state)
{
    (void)state;
    mmt_dram_config *c;
    mmt_diag d;
    assert_int_equal(parse(ddr4, &c, &d), 0);
    assert_string_equal(mmt_dram_config_protocol(c), "DDR4");
    assert_int_equal(mmt_dram_config_channels(c), 2);
    assert_int_equal(mmt_dram_config_ranks(c), 2); /* 128 MB / (2048/1024 x 1 KB x 4 x 8) */
    assert_int_equal(mmt_dram_config_banks(c), 4);
    assert_int_equal(mmt_dram_config_request_bytes(c), 64);
    assert_true(mmt_dram_config_tck_ns(c) == 0.75);
    /* 2 channels x 64 bytes per 4-cycle burst of 0.75 ns */
    assert_true(fabs(mmt_dram_config_peak_gbs(c) - 2 * 64 / (4 * 0.75)) < 1e-12);
    assert_int_equal(mmt_dram_config_queue_size(c), 8);
    assert_int_equal(c->tRC, 39 + 16); /* DRAMsim3: tRC = tRAS + tRP */
    assert_int_equal(c->tRFCb, 20);    /* default */
    assert_int_equal(c->read_delay, 16 + 4);
    /* rochrababgco: co (7 bits) above the 6 offset bits, then bg, ba, ra, ch */
    assert_int_equal(mmt_dram_config_channel_of(c, (uint64_t)1 << (6 + 7 + 1 + 1 + 1)), 1);
    mmt_dram_config_free(c);
    mmt_dram_config_free(NULL);
}

static void test_config_quirks(void **state)
{
    (void)state;
    mmt_dram_config *c;
    mmt_diag d;
    /* a ';' not after a blank is part of the value; strtol reads what it can */
    assert_int_equal(parse(edit("tRP = 16", "tRP = 17; precharge"), &c, &d), 0);
    assert_int_equal(c->tRP, 17);
    mmt_dram_config_free(c);
    /* base 0: hex and octal */
    assert_int_equal(parse(edit("tRP = 16", "tRP = 0x11"), &c, &d), 0);
    assert_int_equal(c->tRP, 17);
    mmt_dram_config_free(c);
    assert_int_equal(parse(edit("tRP = 16", "tRP = 010"), &c, &d), 0);
    assert_int_equal(c->tRP, 8);
    mmt_dram_config_free(c);
    /* a key twice: the values are joined by a newline and the number is the first */
    assert_int_equal(parse(edit("tRP = 16", "tRP = 16\ntRP = 30"), &c, &d), 0);
    assert_int_equal(c->tRP, 16);
    mmt_dram_config_free(c);
    /* an indented line continues the previous key */
    assert_int_equal(parse(edit("tRP = 16", "tRP = 16\n  tRAS = 99"), &c, &d), 0);
    assert_int_equal(c->tRAS, 39);
    mmt_dram_config_free(c);
    /* inline comments after a blank; keys and sections in any case */
    assert_int_equal(parse(edit("tRP = 16", "TRP = 18 ; comment\n# a comment\n; another"), &c, &d),
                     0);
    assert_int_equal(c->tRP, 18);
    mmt_dram_config_free(c);
    /* tRC in the file is ignored */
    assert_int_equal(parse(edit("tRP = 16", "tRP = 16\ntRC = 1"), &c, &d), 0);
    assert_int_equal(c->tRC, 55);
    mmt_dram_config_free(c);
    /* a comment line longer than inih's 199-byte buffer */
    char *big = malloc(sizeof ddr4 + 600);
    assert_non_null(big);
    memset(big, 'x', 500);
    big[0] = ';';
    big[500] = '\n';
    strcpy(big + 501, ddr4);
    assert_int_equal(parse(big, &c, &d), 0);
    mmt_dram_config_free(c);
    free(big);
    /* GDDR6 with bank groups disabled: one group, columns x BL, burst BL/16 */
    const char *g = "[dram_structure]\nprotocol = GDDR6\nbankgroups = 4\nbanks_per_group = 4\n"
                    "rows = 16384\ncolumns = 128\ndevice_width = 16\nBL = 16\n"
                    "bankgroup_enable = false\n[timing]\ntCK = 0.66\n[system]\n"
                    "channel_size = 4096\nbus_width = 128\n";
    assert_int_equal(parse(g, &c, &d), 0);
    assert_int_equal(c->bankgroups, 1);
    assert_int_equal(c->banks_per_group, 16);
    assert_int_equal(c->columns, 128 * 16);
    assert_int_equal(c->burst_cycle, 1);
    assert_int_equal(mmt_dram_config_request_bytes(c), 256);
    mmt_dram_config_free(c);
}

static void test_config_malformed(void **state)
{
    (void)state;
    refused(edit("tRP = 16", "tRP 16"), MMT_EPARSE, 14, "expected `key = value`");
    refused(edit("[timing]", "[timing"), MMT_EPARSE, 9, "no ']'");
    refused(edit("[timing]", "[timings]"), MMT_EPARSE, 0, "no [timing] section");
    refused(edit("protocol = DDR4", "# no protocol"), MMT_EPARSE, 0, "has no protocol");
    refused(edit("protocol = DDR4", "protocol = DDR7"), MMT_EPARSE, 2, "unknown protocol 'DDR7'");
    refused(edit("protocol = DDR4", "protocol = HMC"), MMT_EINVAL, 2, "HMC is not modelled");
    refused(edit("tRP = 16", "tRP = soon"), MMT_EPARSE, 14, "expected an integer");
    refused(edit("tCK = 0.75", "tCK = fast"), MMT_EPARSE, 10, "expected a number");
    refused(edit("tCK = 0.75", "tCK = -1"), MMT_ERANGE, 10, "tCK: must be > 0");
    refused(edit("tRP = 16", "tRP = -3"), MMT_ERANGE, 14, "out of range");
    refused(edit("tRP = 16", "tRP = 4294967312"), MMT_ERANGE, 14, "out of range");
    refused(edit("channels = 2", "channels = 0"), MMT_ERANGE, 32, "[system] channels");
    refused(edit("bus_width = 64", "bus_width = 4"), MMT_ERANGE, 33, "[system] bus_width");
    refused(edit("channels = 2", "unified_queue = maybe"), MMT_EPARSE, 32, "true or false");
    refused(edit("address_mapping = rochrababgco", "address_mapping = rochrababg"), MMT_EPARSE, 34,
            "not 6 fields");
    refused(edit("address_mapping = rochrababgco", "address_mapping = rochrababgro"), MMT_EPARSE,
            34, "repeated");
    refused(edit("address_mapping = rochrababgco", "address_mapping = rochrababgxx"), MMT_EPARSE,
            34, "not a field");
    refused(edit("cmd_queue_size = 4", "queue_structure = PER_CHANNEL"), MMT_EPARSE, 35,
            "PER_BANK or PER_RANK");
    refused(edit("cmd_queue_size = 4", "refresh_policy = NEVER"), MMT_EPARSE, 35, "refresh_policy");
    refused(edit("tREFI = 1000", "tREFI = 1"), MMT_ERANGE, 17, "no refresh interval");
    refused(edit("device_width = 8", "device_width = 128"), MMT_ERANGE, 0, "a rank of this device");
    mmt_dram_config *c;
    mmt_diag d;
    memset(&d, 0, sizeof d);
    assert_int_equal(mmt_dram_config_parse("m.ini", "[timing]\ntRP = 1\0006\n", 20, &c, &d),
                     MMT_EPARSE);
    assert_int_equal(d.line, 2);
    assert_int_equal(mmt_dram_config_read("/nonexistent/m.ini", &c, &d), MMT_ENOENT);
    assert_null(c);
}

/* nlohmann::json 3.5's text for doubles (the expected strings are its output, recorded by
 * dumping each value with DRAMsim3's json.hpp). */
static void test_json_double(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *s;
    } cases[] = {
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0, "1.0"},
        {869.7408, "869.7408"},
        {0.40634920634920635, "0.40634920634920635"},
        {50.666666666666664, "50.666666666666664"},
        {355200.0, "355200.0"},
        {1e15, "1e+15"},
        {1e14, "100000000000000.0"},
        {0.0001, "0.0001"},
        {123456789012345.6, "123456789012345.6"},
        {1e16, "1e+16"},
        {1.5e-4, "0.00015"},
        {1.5e-5, "1.5e-05"},
        {-1.0442758598704387e-216, "-1.0442758598704387e-216"},
        {20694350685.714287, "20694350685.714287"},
        {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
    };
    char b[40];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mmt__json_double(cases[i].v, b);
        assert_string_equal(b, cases[i].s);
    }
    mmt__json_double(NAN, b);
    assert_string_equal(b, "null");
    mmt__json_double(-INFINITY, b);
    assert_string_equal(b, "null");
}

static char dir[256];

static const char *write_file(const char *name, const char *text)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return p;
}

/* A trace's refusal: err at line with want in the message. */
static void trace_refused(const char *text, long line, const char *want)
{
    mmt_dram_config *c;
    mmt_dram *m;
    mmt_diag d;
    assert_int_equal(parse(ddr4, &c, &d), 0);
    assert_int_equal(mmt_dram_new(c, NULL, NULL, &m), 0);
    const char *p = write_file("t.trace", text);
    memset(&d, 0, sizeof d);
    assert_int_equal(mmt_dram_trace_run(m, p, 100, &d), MMT_ETRACE);
    assert_string_equal(d.file, p);
    assert_int_equal(d.line, line);
    if (!strstr(d.message, want))
        fail_msg("message '%s' lacks '%s'", d.message, want);
    mmt_dram_free(m);
    mmt_dram_config_free(c);
}

static void test_trace_malformed(void **state)
{
    (void)state;
    trace_refused("0x40 READ 1\n0x80 READ\n", 2, "expected 3 fields");
    trace_refused("0x40 READ 1 2\n", 1, "got more");
    trace_refused("\n0xg0 READ 1\n", 2, "not hexadecimal");
    trace_refused("0x40 FETCH 1\n", 1, "neither READ nor WRITE");
    trace_refused("0x40 READ -1\n", 1, "non-negative decimal");
    trace_refused("0x40 READ 99999999999999999999999\n", 1, "too large");
    trace_refused("0x12345678123456781 READ 1\n", 1, "64 bits");
    trace_refused("", 0, "no requests");
    /* past the simulated cycles too */
    trace_refused("0x40 READ 1\n0x40 READ 5000\nbad\n", 3, "expected 3 fields");
}

/* Counts completions (to compare callbacks between the two paths). */
typedef struct log {
    uint64_t n, sum;
} log_t;

static void done(void *ud, uint64_t addr, int is_write, uint64_t cycle)
{
    log_t *l = ud;
    l->n++;
    l->sum = l->sum * 1000003 + (addr ^ (uint64_t)is_write) * 31 + cycle;
}

/* Feeds the same pseudo-random stream to a skipping and a plain memory; the JSON and the
 * completion order and cycles must be identical. */
static void run_both(const char *text, uint64_t seed, int kind)
{
    mmt_dram_config *c;
    mmt_diag d;
    if (parse(text, &c, &d))
        fail_msg("%s", d.message);
    mmt_dram *m[2];
    log_t lg[2] = {{0, 0}, {0, 0}};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mmt_dram_new(c, done, &lg[i], &m[i]), 0);
        mmt__dram_set_plain(m[i], i);
    }
    uint64_t x = seed, cyc = 0, addr = 0;
    for (int r = 0; r < 3000; r++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        uint64_t gap = kind == 0   ? (x >> 60)
                       : kind == 1 ? 0
                       : kind == 3 ? (x >> 63) * 2
                       : kind == 4 ? (x >> 63)
                       : kind == 5 ? (x >> 58)
                                   : (r % 32 ? 0 : (x >> 52));
        cyc += gap;
        addr = kind == 1 ? addr + 64 : (x >> 20) & (((uint64_t)1 << 34) - 64);
        if (kind == 4) /* a 4 MB window at saturation: deep queues, hits and conflicts mixed */
            addr = (x >> 20) & (((uint64_t)1 << 22) - 64);
        if (kind == 2 && r % 4)
            addr = (x >> 40) << 6; /* a few hot lines: merges and write-buffer hits */
        int w = (x >> 33) % 3 == 0;
        if (kind == 3) /* read then write each line: drains ended by read dependencies */
            addr = (uint64_t)(r / 2) * 64, w = r % 2;
        int stuck = 0;
        for (int i = 0; i < 2; i++) {
            assert_int_equal(mmt_dram_advance(m[i], cyc), 0);
            /* DRAMsim3 can deadlock (a write waiting on a read it blocks): stop feeding then */
            while (!mmt_dram_will_accept(m[i], addr, w) && mmt_dram_cycle(m[i]) < cyc + 50000)
                assert_int_equal(mmt_dram_tick(m[i]), 0);
            if (mmt_dram_will_accept(m[i], addr, w))
                assert_int_equal(mmt_dram_add(m[i], addr, w), 0);
            else
                stuck++;
        }
        cyc = mmt_dram_cycle(m[0]);
        assert_int_equal(cyc, mmt_dram_cycle(m[1]));
        assert_true(stuck == 0 || stuck == 2);
        if (stuck)
            break;
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(mmt_dram_advance(m[i], cyc + 20000), 0);
    char *j[2];
    size_t n[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(mmt_dram_stats_json(m[i], &j[i], &n[i]), 0);
    assert_string_equal(j[0], j[1]);
    assert_true(lg[0].n == lg[1].n && lg[0].sum == lg[1].sum);
    mmt_dram_stats s;
    assert_int_equal(mmt_dram_stats_get(m[0], &s), 0);
    assert_true(s.num_cycles == (cyc + 20000) * mmt_dram_config_channels(c));
    assert_true(s.num_reads_done + s.num_writes_done == lg[0].n);
    assert_int_equal(mmt_dram_stats_channel(m[0], 99, &s), MMT_EINVAL);
    for (int i = 0; i < 2; i++) {
        free(j[i]);
        mmt_dram_free(m[i]);
    }
    mmt_dram_config_free(c);
}

/* The stats JSON of a trace's replay for 200 cycles into a new ddr4 memory. */
static char *trace_json(const char *name, const char *text)
{
    mmt_dram_config *c;
    mmt_dram *m;
    mmt_diag d;
    assert_int_equal(parse(ddr4, &c, &d), 0);
    assert_int_equal(mmt_dram_new(c, NULL, NULL, &m), 0);
    assert_int_equal(mmt_dram_trace_run(m, write_file(name, text), 200, &d), 0);
    char *j;
    size_t n;
    assert_int_equal(mmt_dram_stats_json(m, &j, &n), 0);
    mmt_dram_free(m);
    mmt_dram_config_free(c);
    return j;
}

/* dram_trace.c's fast path (`0xADDR READ|WRITE CYCLE`) against parse_line, which reads the
 * other spellings of the same requests (long digit strings, the other type words) */
static void test_trace_fast_path(void **state)
{
    (void)state;
    char *a = trace_json("fast.trace", "0x40 READ 0\n0x80 WRITE 2\n0xc0 WRITE 3\n"
                                       "  0X100\tREAD 5 \n140 WRITE 7\n0x180 READ 8\n"
                                       "0x1c0 READ 9\n0xffffffffffffffc0 READ 9\n");
    char *b = trace_json("slow.trace", "0x00000000000000040 read 0\n"
                                       "0x80\tP_MEM_WR  0000000000000000002\n0xc0 BOFF 3\n"
                                       "0x100 P_FETCH 00000000000000000005\n"
                                       "0x0000000000000000140 write 7\n0x180 P_MEM_RD 8\n"
                                       "0x1c0 READ 000000000000000000009\n"
                                       "0x0ffffffffffffffc0 P_MEM_RD 9\n");
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_skip_equals_plain(void **state)
{
    (void)state;
    static const char *const variants[][2] = {
        {"cmd_queue_size = 4", "cmd_queue_size = 4"},
        {"cmd_queue_size = 4", "cmd_queue_size = 2\nqueue_structure = PER_RANK"},
        {"cmd_queue_size = 4",
         "row_buf_policy = CLOSE_PAGE\nrefresh_policy = BANK_LEVEL_STAGGERED"},
        {"cmd_queue_size = 4", "unified_queue = true\nrefresh_policy = RANK_LEVEL_SIMULTANEOUS"},
        {"tREFI = 1000", "tREFI = 700\nAL = 3"},
        {"protocol = DDR4", "protocol = HBM"},
        {"protocol = DDR4", "protocol = GDDR5"},
        {"protocol = DDR4", "protocol = LPDDR4\ntPPD = 2"},
    };
    for (size_t v = 0; v < sizeof variants / sizeof *variants; v++)
        for (int kind = 0; kind < 4; kind++)
            run_both(edit(variants[v][0], variants[v][1]), 17 + v * 4 + (uint64_t)kind, kind);
    /* random streams that keep command queues deep (4) or busy most of the time (5), for the
     * skipping of command queues (dram_engine.c, qwake), with new seeds each */
    for (size_t v = 0; v < sizeof variants / sizeof *variants; v++)
        for (int kind = 4; kind < 6; kind++)
            for (uint64_t k = 0; k < 3; k++)
                run_both(edit(variants[v][0], variants[v][1]), 1000 + v * 16 + (uint64_t)kind * 4 + k,
                         kind);
    /* refreshes that end at once (tRFC, tRFCb of 1): a queue's bound must drop when a refresh's
     * PRECHARGE or REFRESH changes its bank, not wait for the timing it had before */
    const char *fast = edit_in(edit("tRFC = 280", "tRFC = 1"), "tREFI = 1000", "tREFI = 150");
    const char *fastb = edit_in(fast, "cmd_queue_size = 4",
                                "cmd_queue_size = 4\nrefresh_policy = BANK_LEVEL_STAGGERED\ntRFCb = 1");
    for (int kind = 0; kind < 6; kind++)
        for (uint64_t k = 0; k < 3; k++) {
            run_both(fast, 2000 + (uint64_t)kind * 4 + k, kind);
            run_both(fastb, 3000 + (uint64_t)kind * 4 + k, kind);
        }
    /* HBM's second command with 2-entry command queues over 8 channels */
    const char *hbm = edit_in(edit("protocol = DDR4", "protocol = HBM"), "cmd_queue_size = 4",
                              "cmd_queue_size = 2\ntrans_queue_size = 32");
    hbm = edit_in(hbm, "channels = 2", "channels = 8");
    hbm = edit_in(hbm, "address_mapping = rochrababgco", "address_mapping = rorabgbachco");
    for (int kind = 0; kind < 6; kind++)
        run_both(hbm, 99 + (uint64_t)kind, kind);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/test_dram.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_ok),        cmocka_unit_test(test_config_quirks),
        cmocka_unit_test(test_config_malformed), cmocka_unit_test(test_json_double),
        cmocka_unit_test(test_trace_malformed),  cmocka_unit_test(test_trace_fast_path),
        cmocka_unit_test(test_skip_equals_plain),
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    char p[512];
    static const char *const made[] = {"t.trace", "fast.trace", "slow.trace"};
    for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, made[i]);
        unlink(p);
    }
    if (rmdir(dir) != 0)
        r = 1;
    return r;
}
