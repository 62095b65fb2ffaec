/*
 * dram_internal.h - what the DRAM module's files share (not installed): the parsed
 * configuration with DRAMsim3's derived values, and its command types.
 */
#ifndef MMT_DRAM_INTERNAL_H
#define MMT_DRAM_INTERNAL_H

#include "internal.h"
#include "mmtrace_dram.h"

/* DRAMsim3's protocols, in its order. */
typedef enum {
    MMT__DDR3,
    MMT__DDR4,
    MMT__GDDR5,
    MMT__GDDR5X,
    MMT__GDDR6,
    MMT__LPDDR,
    MMT__LPDDR3,
    MMT__LPDDR4,
    MMT__HBM,
    MMT__HBM2,
} mmt__dram_protocol;

/* DRAMsim3's command types, in its order (the order indexes the timing tables). */
enum {
    MMT__RD,
    MMT__RDP,
    MMT__WR,
    MMT__WRP,
    MMT__ACT,
    MMT__PRE,
    MMT__REFB,
    MMT__REF,
    MMT__SREFE,
    MMT__SREFX,
    MMT__NCMD
};

enum { MMT__REF_RANK_SIMUL, MMT__REF_RANK_STAG, MMT__REF_BANK_STAG };

/* One timing constraint: after a command, `type` may not issue before clk + delay. The delay
 * may be negative (DRAMsim3 adds it to an unsigned clock: see dram_engine.c). */
typedef struct mmt__tcons {
    int type, delay;
} mmt__tcons;

/* A constraint list per issued command type and scope. */
typedef struct mmt__tlist {
    mmt__tcons c[6];
    int n;
} mmt__tlist;

enum {
    MMT__SAME_BANK,
    MMT__OTHER_BANKS_BG,
    MMT__OTHER_BG_RANK,
    MMT__OTHER_RANKS,
    MMT__SAME_RANK,
    MMT__NSCOPE
};

struct mmt_dram_config {
    mmt__dram_protocol protocol;
    /* [dram_structure] and [system], after DRAMsim3's adjustments (all int, as DRAMsim3) */
    int channel_size, channels, ranks, banks, bankgroups, banks_per_group, rows, columns;
    int device_width, bus_width, devices_per_rank, BL, burst_cycle;
    int shift_bits, ch_pos, ra_pos, bg_pos, ba_pos, ro_pos, co_pos;
    uint64_t ch_mask, ra_mask, bg_mask, ba_mask, ro_mask, co_mask;
    /* [timing] */
    double tCK;
    int AL, CL, CWL, RL, WL, tCCD_L, tCCD_S, tRTRS, tRTP, tWTR_L, tWTR_S, tWR, tRP, tRRD_L, tRRD_S,
        tRAS, tRCD, tRFC, tRC, tCKE, tCKESR, tXS, tXP, tRFCb, tREFI, tREFIb, tFAW, tRPRE, tWPRE,
        read_delay, write_delay, tPPD, t32AW, tRCDRD, tRCDWR;
    /* [power], as per-command and per-cycle energy increments */
    double act_energy_inc, pre_energy_inc, read_energy_inc, write_energy_inc, ref_energy_inc,
        refb_energy_inc, act_stb_energy_inc, pre_stb_energy_inc, pre_pd_energy_inc, sref_energy_inc;
    /* [system] */
    int per_rank_queues; /* queue_structure PER_RANK (else PER_BANK) */
    int close_page;      /* row_buf_policy CLOSE_PAGE (else OPEN_PAGE) */
    int refresh_policy;
    int cmd_queue_size, trans_queue_size, unified_queue;
    int enable_self_refresh, sref_threshold, hbm_dual_cmd;
    /* [other] */
    int epoch_period, output_level;
    int request_size_bytes;
    /* the timing tables, [issued command][scope] */
    mmt__tlist timing[MMT__NCMD][MMT__NSCOPE];
};

/* DRAMsim3's Config::AddressMapping. */
typedef struct mmt__daddr {
    int channel, rank, bankgroup, bank, row, column;
} mmt__daddr;

static inline mmt__daddr mmt__dram_map(const mmt_dram_config *c, uint64_t a)
{
    mmt__daddr r;
    a >>= c->shift_bits;
    r.channel = (int)((a >> c->ch_pos) & c->ch_mask);
    r.rank = (int)((a >> c->ra_pos) & c->ra_mask);
    r.bankgroup = (int)((a >> c->bg_pos) & c->bg_mask);
    r.bank = (int)((a >> c->ba_pos) & c->ba_mask);
    r.row = (int)((a >> c->ro_pos) & c->ro_mask);
    r.column = (int)((a >> c->co_pos) & c->co_mask);
    return r;
}

/* Is the protocol GDDR5/5X/6, HBM/HBM2? */
static inline int mmt__dram_is_gddr(const mmt_dram_config *c)
{
    return c->protocol == MMT__GDDR5 || c->protocol == MMT__GDDR5X || c->protocol == MMT__GDDR6;
}
static inline int mmt__dram_is_hbm(const mmt_dram_config *c)
{
    return c->protocol == MMT__HBM || c->protocol == MMT__HBM2;
}

/* Builds c->timing from the timing parameters (DRAMsim3's Timing constructor). */
void mmt__dram_timing_init(mmt_dram_config *c);

/* Makes d tick every cycle and look at every queue every tick, as DRAMsim3 does: the
 * straightforward path the tests compare the skipping one with. */
void mmt__dram_set_plain(mmt_dram *d, int plain);

/* nlohmann::json 3.5's text for a double (Grisu2, its exponent rules, "null" for NaN and
 * infinities) into buf (at least 32 bytes); returns the length. */
int mmt__json_double(double v, char *buf);

#endif
