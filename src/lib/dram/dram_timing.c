/*
 * dram_timing.c - the command-to-command timing constraints of DRAMsim3's Timing constructor
 * (timing.cc): for each issued command and each scope (the same bank, the other banks of its
 * bank group, the other bank groups of its rank, the other ranks, the whole rank for rank
 * commands), which commands it delays and by how many cycles.
 */
#include "dram_internal.h"

static void add(mmt_dram_config *c, int cmd, int scope, int type, int delay)
{
    mmt__tlist *l = &c->timing[cmd][scope];
    l->c[l->n++] = (mmt__tcons){type, delay};
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

/* Reads and writes: READ and WRITE (open page) and their auto-precharge forms. */
static void rw_constraints(mmt_dram_config *c, int rr_l, int rr_s, int rr_o, int r2w, int r2w_o,
                           int w2r_l, int w2r_s, int w2r_o, int ww_l, int ww_s, int ww_o)
{
    /* after a read (with or without precharge), to the other banks and ranks */
    static const int rd[2] = {MMT__RD, MMT__RDP};
    static const int wr[2] = {MMT__WR, MMT__WRP};
    for (int i = 0; i < 2; i++) {
        int r = rd[i], w = wr[i];
        add(c, r, MMT__OTHER_BANKS_BG, MMT__RD, rr_l);
        add(c, r, MMT__OTHER_BANKS_BG, MMT__WR, r2w);
        add(c, r, MMT__OTHER_BANKS_BG, MMT__RDP, rr_l);
        add(c, r, MMT__OTHER_BANKS_BG, MMT__WRP, r2w);
        add(c, r, MMT__OTHER_BG_RANK, MMT__RD, rr_s);
        add(c, r, MMT__OTHER_BG_RANK, MMT__WR, r2w);
        add(c, r, MMT__OTHER_BG_RANK, MMT__RDP, rr_s);
        add(c, r, MMT__OTHER_BG_RANK, MMT__WRP, r2w);
        add(c, r, MMT__OTHER_RANKS, MMT__RD, rr_o);
        add(c, r, MMT__OTHER_RANKS, MMT__WR, r2w_o);
        add(c, r, MMT__OTHER_RANKS, MMT__RDP, rr_o);
        add(c, r, MMT__OTHER_RANKS, MMT__WRP, r2w_o);
        add(c, w, MMT__OTHER_BANKS_BG, MMT__RD, w2r_l);
        add(c, w, MMT__OTHER_BANKS_BG, MMT__WR, ww_l);
        add(c, w, MMT__OTHER_BANKS_BG, MMT__RDP, w2r_l);
        add(c, w, MMT__OTHER_BANKS_BG, MMT__WRP, ww_l);
        add(c, w, MMT__OTHER_BG_RANK, MMT__RD, w2r_s);
        add(c, w, MMT__OTHER_BG_RANK, MMT__WR, ww_s);
        add(c, w, MMT__OTHER_BG_RANK, MMT__RDP, w2r_s);
        add(c, w, MMT__OTHER_BG_RANK, MMT__WRP, ww_s);
        add(c, w, MMT__OTHER_RANKS, MMT__RD, w2r_o);
        add(c, w, MMT__OTHER_RANKS, MMT__WR, ww_o);
        add(c, w, MMT__OTHER_RANKS, MMT__RDP, w2r_o);
        add(c, w, MMT__OTHER_RANKS, MMT__WRP, ww_o);
    }
}

void mmt__dram_timing_init(mmt_dram_config *c)
{
    memset(c->timing, 0, sizeof c->timing);
    int bc = c->burst_cycle;
    int rr_l = imax(bc, c->tCCD_L), rr_s = imax(bc, c->tCCD_S), rr_o = bc + c->tRTRS;
    int r2w = c->RL + bc - c->WL + c->tRTRS;
    int r2w_o = c->read_delay + bc + c->tRTRS - c->write_delay;
    int r2p = c->AL + c->tRTP;
    int rp2a = c->AL + bc + c->tRTP + c->tRP;
    int w2r_l = c->write_delay + c->tWTR_L, w2r_s = c->write_delay + c->tWTR_S;
    int w2r_o = c->write_delay + bc + c->tRTRS - c->read_delay;
    int ww_l = imax(bc, c->tCCD_L), ww_s = imax(bc, c->tCCD_S), ww_o = bc;
    int w2p = c->WL + bc + c->tWR;
    int p2a = c->tRP, p2p = c->tPPD;
    int r2a = r2p + p2a, w2a = w2p + p2a;
    int a2a = c->tRC, a2a_l = c->tRRD_L, a2a_s = c->tRRD_S, a2p = c->tRAS;
    int a2r, a2w;
    if (mmt__dram_is_gddr(c) || mmt__dram_is_hbm(c)) {
        a2r = c->tRCDRD, a2w = c->tRCDWR;
    } else {
        a2r = a2w = c->tRCD - c->AL;
    }
    int a2ref = c->tRC, ref2ref = c->tREFI, ref2a = c->tRFC, refb2a = c->tRFCb;
    int sre2x = c->tCKESR, srx = c->tXS;
    if (c->bankgroups == 1) {
        /* DRAMsim3: with one bank group the _L timings become the _S ones. */
        rr_l = imax(bc, c->tCCD_S);
        w2r_l = c->write_delay + c->tWTR_S;
        ww_l = imax(bc, c->tCCD_S);
        a2a_l = c->tRRD_S;
    }
    /* same bank, after READ / WRITE */
    add(c, MMT__RD, MMT__SAME_BANK, MMT__RD, rr_l);
    add(c, MMT__RD, MMT__SAME_BANK, MMT__WR, r2w);
    add(c, MMT__RD, MMT__SAME_BANK, MMT__RDP, rr_l);
    add(c, MMT__RD, MMT__SAME_BANK, MMT__WRP, r2w);
    add(c, MMT__RD, MMT__SAME_BANK, MMT__PRE, r2p);
    add(c, MMT__WR, MMT__SAME_BANK, MMT__RD, w2r_l);
    add(c, MMT__WR, MMT__SAME_BANK, MMT__WR, ww_l);
    add(c, MMT__WR, MMT__SAME_BANK, MMT__RDP, w2r_l);
    add(c, MMT__WR, MMT__SAME_BANK, MMT__WRP, ww_l);
    add(c, MMT__WR, MMT__SAME_BANK, MMT__PRE, w2p);
    rw_constraints(c, rr_l, rr_s, rr_o, r2w, r2w_o, w2r_l, w2r_s, w2r_o, ww_l, ww_s, ww_o);
    /* same bank, after the auto-precharge forms */
    add(c, MMT__RDP, MMT__SAME_BANK, MMT__ACT, rp2a);
    add(c, MMT__RDP, MMT__SAME_BANK, MMT__REF, r2a);
    add(c, MMT__RDP, MMT__SAME_BANK, MMT__REFB, r2a);
    add(c, MMT__RDP, MMT__SAME_BANK, MMT__SREFE, r2a);
    add(c, MMT__WRP, MMT__SAME_BANK, MMT__ACT, w2a);
    add(c, MMT__WRP, MMT__SAME_BANK, MMT__REF, w2a);
    add(c, MMT__WRP, MMT__SAME_BANK, MMT__REFB, w2a);
    add(c, MMT__WRP, MMT__SAME_BANK, MMT__SREFE, w2a);
    /* ACTIVATE (DRAMsim3: nothing for other ranks) */
    add(c, MMT__ACT, MMT__SAME_BANK, MMT__ACT, a2a);
    add(c, MMT__ACT, MMT__SAME_BANK, MMT__RD, a2r);
    add(c, MMT__ACT, MMT__SAME_BANK, MMT__WR, a2w);
    add(c, MMT__ACT, MMT__SAME_BANK, MMT__RDP, a2r);
    add(c, MMT__ACT, MMT__SAME_BANK, MMT__WRP, a2w);
    add(c, MMT__ACT, MMT__SAME_BANK, MMT__PRE, a2p);
    add(c, MMT__ACT, MMT__OTHER_BANKS_BG, MMT__ACT, a2a_l);
    add(c, MMT__ACT, MMT__OTHER_BANKS_BG, MMT__REFB, a2ref);
    add(c, MMT__ACT, MMT__OTHER_BG_RANK, MMT__ACT, a2a_s);
    add(c, MMT__ACT, MMT__OTHER_BG_RANK, MMT__REFB, a2ref);
    /* PRECHARGE; tPPD between precharges only on GDDR and LPDDR4 */
    add(c, MMT__PRE, MMT__SAME_BANK, MMT__ACT, p2a);
    add(c, MMT__PRE, MMT__SAME_BANK, MMT__REF, p2a);
    add(c, MMT__PRE, MMT__SAME_BANK, MMT__REFB, p2a);
    add(c, MMT__PRE, MMT__SAME_BANK, MMT__SREFE, p2a);
    if (mmt__dram_is_gddr(c) || c->protocol == MMT__LPDDR4) {
        add(c, MMT__PRE, MMT__OTHER_BANKS_BG, MMT__PRE, p2p);
        add(c, MMT__PRE, MMT__OTHER_BG_RANK, MMT__PRE, p2p);
    }
    /* REFRESH_BANK. DRAMsim3 files the refreshed bank's own constraints (tRFCb) under the
     * rank-command table, which a bank refresh never consults: the refreshed bank itself gets
     * no constraint. Kept so. */
    add(c, MMT__REFB, MMT__SAME_RANK, MMT__ACT, refb2a);
    add(c, MMT__REFB, MMT__SAME_RANK, MMT__REF, refb2a);
    add(c, MMT__REFB, MMT__SAME_RANK, MMT__REFB, refb2a);
    add(c, MMT__REFB, MMT__SAME_RANK, MMT__SREFE, refb2a);
    add(c, MMT__REFB, MMT__OTHER_BANKS_BG, MMT__ACT, ref2a);
    add(c, MMT__REFB, MMT__OTHER_BANKS_BG, MMT__REFB, ref2ref);
    add(c, MMT__REFB, MMT__OTHER_BG_RANK, MMT__ACT, ref2a);
    add(c, MMT__REFB, MMT__OTHER_BG_RANK, MMT__REFB, ref2ref);
    /* rank commands */
    add(c, MMT__REF, MMT__SAME_RANK, MMT__ACT, ref2a);
    add(c, MMT__REF, MMT__SAME_RANK, MMT__REF, ref2a);
    add(c, MMT__REF, MMT__SAME_RANK, MMT__SREFE, ref2a);
    add(c, MMT__SREFE, MMT__SAME_RANK, MMT__SREFX, sre2x);
    add(c, MMT__SREFX, MMT__SAME_RANK, MMT__ACT, srx);
    add(c, MMT__SREFX, MMT__SAME_RANK, MMT__REF, srx);
    add(c, MMT__SREFX, MMT__SAME_RANK, MMT__REFB, srx);
    add(c, MMT__SREFX, MMT__SAME_RANK, MMT__SREFE, srx);
}
