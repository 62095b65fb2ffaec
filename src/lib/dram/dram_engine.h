/*
 * dram_engine.h - the state of an mmt_dram, shared by the engine (dram_engine.c) and the
 * statistics writer (dram_stats.c). Not installed. Names follow DRAMsim3's classes: a
 * controller per channel with its transaction queues, command queues, bank states, refresh
 * and statistics.
 */
#ifndef MMT_DRAM_ENGINE_H
#define MMT_DRAM_ENGINE_H

#include "dram_internal.h"
#include "dram_map.h"

/* DRAMsim3's counters, in our order. */
enum {
    ST_CYCLES,
    ST_READS_DONE,
    ST_WRITES_DONE,
    ST_READ_CMDS,
    ST_WRITE_CMDS,
    ST_READ_HITS,
    ST_WRITE_HITS,
    ST_ACT,
    ST_PRE,
    ST_ONDEMAND_PRE,
    ST_REF,
    ST_REFB,
    ST_SREFE,
    ST_SREFX,
    ST_DUAL,
    ST_N
};

enum { BANK_CLOSED, BANK_OPEN, BANK_SREF };

/* A command (type MMT__NCMD: none) with its decoded address and the request address. */
typedef struct dcmd {
    int type, rank, bg, bank, row, col;
    uint64_t hex;
} dcmd;

typedef struct dtrans {
    uint64_t addr, added;
    int is_write;
    mmt__daddr a;
    int qi; /* its command queue */
} dtrans;

typedef struct dbank {
    uint64_t t[MMT__NCMD]; /* earliest cycle each command may issue */
    int state, row, hits;
} dbank;

/* A finished request waiting to be returned at tick `ret`; seq keeps DRAMsim3's order. */
typedef struct dret {
    uint64_t ret, seq, addr, added;
    int is_write;
} dret;

/* The issue times + tFAW (or t32AW) of recent ACTIVATEs of a rank, oldest first. */
typedef struct dwin {
    uint64_t v[32];
    int head, n;
} dwin;

/* Pending reads of one address, oldest first (DRAMsim3's multimap). */
typedef struct drnode {
    uint64_t added;
    uint32_t next;
} drnode;

/* A latency histogram, value (as int64) -> count: counts of the common values 0 to
 * MMT__HIST_DENSE - 1 in an array (a value is present when its count is not 0), the others in
 * a map. */
#define MMT__HIST_DENSE 1024
typedef struct dhist {
    uint64_t dense[MMT__HIST_DENSE];
    mmt__u64map more;
} dhist;

/* Steps *it (0 first) to the histogram's next value: 1 with *key and *count, 0 at the end. */
static inline int mmt__hist_next(const dhist *h, size_t *it, uint64_t *key, uint64_t *count)
{
    for (; *it < MMT__HIST_DENSE; ++*it)
        if (h->dense[*it]) {
            *key = *it, *count = h->dense[*it];
            ++*it;
            return 1;
        }
    for (size_t i; (i = *it - MMT__HIST_DENSE) < h->more.cap; ++*it)
        if (h->more.used[i]) {
            *key = h->more.keys[i], *count = h->more.vals[i];
            ++*it;
            return 1;
        }
    return 0;
}

typedef struct dchan {
    int id;
    uint64_t clk;
    /* statistics */
    uint64_t cnt[ST_N];
    uint64_t *idle_cycles, *active_cycles, *sref_cycles; /* per rank, up to cycle acct */
    uint64_t acct;
    dhist h_read, h_write, h_inter;
    /* transaction queues */
    dtrans *rq, *wq, *uq; /* each within its buffer of 2 x trans_queue_size entries */
    dtrans *rq0, *wq0, *uq0; /* the buffers */
    int nrq, nwq, nuq;
    mmt__u64map pend_wr; /* addr -> added cycle */
    mmt__u64map pend_rd; /* addr -> (head << 32 | tail) node indices */
    drnode *nodes;
    uint32_t nnodes, capnodes, freenode;
    dret *heap;
    size_t nheap, capheap;
    uint64_t seq, last_trans_clk;
    int write_draining;
    /* command queues */
    dcmd *cq;
    int *cqn, nq, qidx, in_ref, nonempty;
    uint64_t *qmask;     /* bit per non-empty command queue */
    int *tq_cnt[3];      /* per transaction queue: its entries per command queue */
    int64_t tq_ready[3]; /* per transaction queue: its entries whose command queue has room */
    uint8_t *refidx, *rank_q_empty;
    /* channel state */
    dbank *banks;
    uint64_t *bgt, *rkt; /* timing shared by a bank group's, a rank's banks (tready) */
    int *open_in_rank, *sref;
    int64_t *rank_idle;
    dwin *faw, *aw32;
    dcmd *refq;
    int nrefq, caprefq;
    int next_rank, next_bg, next_bank, ref_interval;
    /* skipping: the next cycle whose tick may do more than count; no queued command can issue
     * before cmd_wake; schedule() can move nothing unless sched_dirty; the next refresh */
    uint64_t wake, cmd_wake, next_ref;
    uint64_t *qwake; /* per command queue: GetFirstReadyInQueue finds nothing before (q_dirty) */
    int sched_dirty;
} dchan;

struct mmt_dram {
    mmt_dram_config c;
    mmt_dram_done_fn done;
    void *ud;
    uint64_t clk;
    dchan *ch;
    uint64_t pending;
    int dead;
    int plain; /* tick every cycle, look at everything (mmt__dram_set_plain) */
    /* per issued command type: its other-banks-of-the-group constraints may be kept once for
     * the whole group (bgt), its other-groups-of-the-rank ones once for the rank (rkt), as the
     * constraints on the banks they would wrongly cover are at least as strict (fold_timing) */
    uint8_t fold_bg[MMT__NCMD], fold_rank[MMT__NCMD];
    int gddr; /* mmt__dram_is_gddr: the 32-activate window too */
    char err[256];
};

#endif
