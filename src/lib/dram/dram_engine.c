/*
 * dram_engine.c - the memory itself (mmt_dram_*): DRAMsim3's JedecDRAMSystem, Controller,
 * CommandQueue, ChannelState, BankState and Refresh (2981759), cycle for cycle, with the same
 * scheduling order, so the same requests complete at the same cycles with the same counts.
 * What it adds is skipping: after a tick in which nothing happened (no command, no completion,
 * no refresh, no transaction moved), nothing can happen until a timing constraint expires, a
 * refresh falls due or a request completes, so those ticks are counted in bulk (wake).
 * doc/dram.md lists the DRAMsim3 behaviours reproduced here; each is named where it is done.
 */
#include "dram_engine.h"

#define NOCMD MMT__NCMD
#define NIL UINT32_MAX

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static int is_read(int t)
{
    return t == MMT__RD || t == MMT__RDP;
}
static int is_write(int t)
{
    return t == MMT__WR || t == MMT__WRP;
}
static int is_rw(int t)
{
    return t <= MMT__WRP;
}
static int is_rank_cmd(int t)
{
    return t == MMT__REF || t == MMT__SREFE || t == MMT__SREFX;
}

static int die(mmt_dram *d, const char *msg)
{
    if (!d->dead)
        snprintf(d->err, sizeof d->err, "%s", msg);
    d->dead = 1;
    return MMT_EINVAL;
}

static dbank *bank_at(const mmt_dram *d, dchan *ch, int rank, int bg, int bank)
{
    return &ch->banks[(rank * d->c.bankgroups + bg) * d->c.banks_per_group + bank];
}

static int queue_index(const mmt_dram *d, int rank, int bg, int bank)
{
    if (d->c.per_rank_queues)
        return rank;
    return rank * d->c.banks + bg * d->c.banks_per_group + bank;
}

/* ---------------------------------------------------------------- activation windows */

static uint64_t win_front(const dwin *w)
{
    return w->v[w->head];
}

/* ChannelState::UpdateActivationTimes for one window: DRAMsim3 drops at most one expired
 * entry per ACTIVATE. */
static void win_push(dwin *w, uint64_t clk, int span)
{
    if (w->n && clk >= win_front(w)) {
        w->head = (w->head + 1) % 32;
        w->n--;
    }
    w->v[(w->head + w->n) % 32] = clk + (uint64_t)(int64_t)span;
    w->n++;
}

/* ---------------------------------------------------------------- readiness */

/* BankState::GetReadyCommand: the command the bank needs first for a command of this type
 * (and row); -1 where DRAMsim3 aborts (a command its state table does not expect). */
static inline int bank_needs(const dbank *b, int type, int row)
{
    switch (b->state) {
    case BANK_CLOSED:
        if (is_rw(type))
            return MMT__ACT;
        if (type == MMT__REF || type == MMT__REFB || type == MMT__SREFE)
            return type;
        return -1;
    case BANK_OPEN:
        if (is_rw(type))
            return row == b->row ? type : MMT__PRE;
        if (type == MMT__REF || type == MMT__REFB || type == MMT__SREFE)
            return MMT__PRE;
        return -1;
    default: /* BANK_SREF */ return is_rw(type) ? MMT__SREFX : -1;
    }
}

/* The earliest cycle at which the bank (rank, bg) allows a command of this type. DRAMsim3
 * keeps one such time per bank and command; a constraint on every bank of a bank group or of
 * a rank is kept here once, for the group or the rank, which gives the same maximum. */
static uint64_t tready(const mmt_dram *d, const dchan *ch, int rank, int bg, const dbank *b,
                       int type)
{
    uint64_t t = b->t[type];
    uint64_t g = ch->bgt[(rank * d->c.bankgroups + bg) * MMT__NCMD + type];
    uint64_t r = ch->rkt[rank * MMT__NCMD + type];
    if (g > t)
        t = g;
    return r > t ? r : t;
}

/* ChannelState::GetReadyCommand for a bank command at clk: *out is the command to issue now,
 * or type NOCMD. *from (if not NULL) gets the cycle from which it would be ready. The hot path
 * of the engine: tready and the activation windows (ChannelState::ActivationWindowOk: the
 * oldest of the last 4 ACTIVATEs + tFAW, of the last 32 + t32AW on GDDR) written out, with the
 * bank group's index computed once. */
static int ready_bank_cmd(mmt_dram *d, dchan *ch, const dcmd *cmd, uint64_t clk, dcmd *out,
                          uint64_t *from)
{
    int gi = cmd->rank * d->c.bankgroups + cmd->bg;
    const dbank *b = &ch->banks[gi * d->c.banks_per_group + cmd->bank];
    out->type = NOCMD;
    int need = bank_needs(b, cmd->type, cmd->row);
    if (need < 0)
        return die(d, "DRAMsim3 aborts here: a bank in self-refresh was asked for a refresh");
    uint64_t t = b->t[need];
    uint64_t g = ch->bgt[gi * MMT__NCMD + need];
    uint64_t r = ch->rkt[cmd->rank * MMT__NCMD + need];
    if (g > t)
        t = g;
    if (r > t)
        t = r;
    if (need == MMT__ACT) {
        const dwin *w = &ch->faw[cmd->rank];
        if (w->n >= 4 && win_front(w) > t)
            t = win_front(w);
        if (d->gddr) {
            w = &ch->aw32[cmd->rank];
            if (w->n >= 32 && win_front(w) > t)
                t = win_front(w);
        }
    }
    if (from)
        *from = t;
    if (clk >= t) {
        *out = *cmd;
        out->type = need;
    }
    return 0;
}

/* ChannelState::GetReadyCommand for a rank command (REFRESH, SREF_ENTER, SREF_EXIT): a
 * PRECHARGE for the first ready bank that needs one, or the command once every bank is ready.
 * *from: a cycle no later than the first at which the answer can change. */
static int ready_rank_cmd(mmt_dram *d, dchan *ch, const dcmd *cmd, uint64_t clk, dcmd *out,
                          uint64_t *from)
{
    int nready = 0;
    uint64_t first = UINT64_MAX, all = 0;
    out->type = NOCMD;
    for (int j = 0; j < d->c.bankgroups; j++)
        for (int k = 0; k < d->c.banks_per_group; k++) {
            const dbank *b = bank_at(d, ch, cmd->rank, j, k);
            int need = bank_needs(b, cmd->type, cmd->row);
            if (need < 0)
                return die(d, "DRAMsim3 aborts here: a rank command met a bank in a state it "
                              "does not expect (self-refresh)");
            uint64_t t = tready(d, ch, cmd->rank, j, b, need);
            if (need != cmd->type) {
                if (t < first)
                    first = t;
            } else if (t > all) {
                all = t;
            }
            if (clk < t)
                continue;
            if (need != cmd->type) {
                /* DRAMsim3: the precharge carries only rank, bank group and bank */
                *out = (dcmd){need, cmd->rank, j, k, -1, -1, cmd->hex};
                return 0;
            }
            nready++;
        }
    if (from)
        *from = first != UINT64_MAX ? first : all;
    if (nready == d->c.banks)
        *out = *cmd;
    return 0;
}

static int ready_cmd(mmt_dram *d, dchan *ch, const dcmd *cmd, uint64_t clk, dcmd *out,
                     uint64_t *from)
{
    if (is_rank_cmd(cmd->type))
        return ready_rank_cmd(d, ch, cmd, clk, out, from);
    return ready_bank_cmd(d, ch, cmd, clk, out, from);
}

/* ---------------------------------------------------------------- command queue */

static dcmd *cq_at(const mmt_dram *d, dchan *ch, int q)
{
    return &ch->cq[(size_t)q * d->c.cmd_queue_size];
}

/* Which transaction queue: the read queue, the write buffer, the unified queue. */
enum { TQ_READ, TQ_WRITE, TQ_UNIFIED };

/* A transaction for command queue qi joins transaction queue k: tq_ready counts the entries
 * whose command queue has room, so that schedule() knows when none can move. */
static void tq_join(const mmt_dram *d, dchan *ch, int k, int qi)
{
    ch->tq_cnt[k][qi]++;
    if (ch->cqn[qi] < d->c.cmd_queue_size)
        ch->tq_ready[k]++;
}

/* Command queue qi grew to full (full = 1) or shrank from full (full = 0). */
static void cq_full(dchan *ch, int qi, int full)
{
    for (int k = 0; k < 3; k++)
        ch->tq_ready[k] += full ? -(int64_t)ch->tq_cnt[k][qi] : (int64_t)ch->tq_cnt[k][qi];
}

/* The first non-empty command queue in [lo, hi), or hi. */
static int next_nonempty(const dchan *ch, int lo, int hi)
{
    while (lo < hi) {
        uint64_t w = ch->qmask[lo >> 6] >> (lo & 63);
        if (w)
            return lo + __builtin_ctzll(w) < hi ? lo + __builtin_ctzll(w) : hi;
        lo = (lo | 63) + 1;
    }
    return hi;
}

static void mask_set(dchan *ch, int qi, int on)
{
    if (on)
        ch->qmask[qi >> 6] |= UINT64_C(1) << (qi & 63);
    else
        ch->qmask[qi >> 6] &= ~(UINT64_C(1) << (qi & 63));
}

/* CommandQueue::ArbitratePrecharge: may the PRECHARGE that queue entry i needs go now? */
static int arbitrate_pre(mmt_dram *d, dchan *ch, const dcmd *q, int n, int i)
{
    const dcmd *c = &q[i];
    for (int j = 0; j < i; j++)
        if (q[j].rank == c->rank && q[j].bg == c->bg && q[j].bank == c->bank)
            return 0;
    const dbank *b = bank_at(d, ch, c->rank, c->bg, c->bank);
    int pending_hit = 0;
    for (int j = i; j < n; j++)
        if (q[j].row == b->row && q[j].bank == c->bank && q[j].bg == c->bg &&
            q[j].rank == c->rank) {
            pending_hit = 1;
            break;
        }
    /* DRAMsim3: a bank that served 4 row hits is closed even with more hits waiting */
    if (!pending_hit || b->hits >= 4) {
        ch->cnt[ST_ONDEMAND_PRE]++;
        return 1;
    }
    return 0;
}

/* CommandQueue::HasRWDependency: an earlier read of the same bank group, bank, row and column
 * (DRAMsim3 does not compare ranks). */
static int rw_dependency(const dcmd *q, int i)
{
    for (int j = 0; j < i; j++)
        if (is_read(q[j].type) && q[j].row == q[i].row && q[j].col == q[i].col &&
            q[j].bank == q[i].bank && q[j].bg == q[i].bg)
            return 1;
    return 0;
}

/* CommandQueue::GetFirstReadyInQueue. */
static int first_ready(mmt_dram *d, dchan *ch, int qi, dcmd *out, uint64_t *wake)
{
    dcmd *q = cq_at(d, ch, qi);
    int n = ch->cqn[qi];
    const dcmd *prev = NULL; /* the last command found not ready */
    for (int i = 0; i < n; i++) {
        uint64_t from;
        /* the same bank, row and type as a command just found not ready: not ready either */
        if (prev && q[i].type == prev->type && q[i].row == prev->row && q[i].bank == prev->bank &&
            q[i].bg == prev->bg && q[i].rank == prev->rank)
            continue;
        int r = ready_bank_cmd(d, ch, &q[i], ch->clk, out, &from);
        if (r)
            return r;
        if (out->type == NOCMD) {
            *wake = min64(*wake, from);
            prev = &q[i];
            continue;
        }
        if (out->type == MMT__PRE) {
            if (!arbitrate_pre(d, ch, q, n, i))
                continue;
        } else if (is_write(out->type)) {
            if (rw_dependency(q, i))
                continue;
        }
        return 0;
    }
    out->type = NOCMD;
    return 0;
}

/* CommandQueue::EraseRWCommand: the first entry with the same address and type. */
static void erase_rw(mmt_dram *d, dchan *ch, const dcmd *c)
{
    int qi = queue_index(d, c->rank, c->bg, c->bank);
    dcmd *q = cq_at(d, ch, qi);
    int n = ch->cqn[qi];
    for (int i = 0; i < n; i++)
        if (q[i].hex == c->hex && q[i].type == c->type) {
            memmove(&q[i], &q[i + 1], (size_t)(n - i - 1) * sizeof *q);
            /* room in a command queue, and commands behind it may be unblocked (even when it
             * is not issued: HBM's second command) */
            ch->sched_dirty = 1;
            ch->cmd_wake = 0;
            ch->qwake[qi] = 0;
            if (ch->cqn[qi] == d->c.cmd_queue_size)
                cq_full(ch, qi, 0);
            if (--ch->cqn[qi] == 0) {
                ch->nonempty--;
                mask_set(ch, qi, 0);
                ch->qwake[qi] = UINT64_MAX; /* an empty queue finds nothing */
            }
            return;
        }
}

/* The skipping of command queues (qwake): a queue whose GetFirstReadyInQueue found nothing
 * at cycle C can find nothing before the earliest cycle at which one of its commands meets its
 * timing, as long as its contents and its banks' states stay: the timing of a bank, its group
 * and its rank and the activation windows only ever grow later, and a command that meets its
 * timing but is held back (ArbitratePrecharge, HasRWDependency) stays held until the queue or
 * its bank changes. So a queue is looked at again only when that cycle has come, a command is
 * appended (its own cycle), removed, or a command issued to one of its banks (q_dirty). */
static void q_dirty(dchan *ch, int qi)
{
    ch->qwake[qi] = ch->cqn[qi] ? 0 : UINT64_MAX;
}

/* CommandQueue::GetCommandToIssue: round robin over the queues from the one after the last
 * served, skipping those a refresh in progress holds. */
static int get_cmd_to_issue(mmt_dram *d, dchan *ch, dcmd *out)
{
    out->type = NOCMD;
    /* A full round that finds nothing leaves the index where it was, so it can be skipped
     * when no queued command can be ready yet (cmd_wake). */
    if (!ch->nonempty || (ch->clk < ch->cmd_wake && !d->plain))
        return 0;
    uint64_t wake = UINT64_MAX;
    /* the non-empty queues after qidx, then from 0 up to qidx, in round-robin order */
    int start = ch->qidx + 1 == ch->nq ? 0 : ch->qidx + 1;
    for (int pass = 0; pass < 2; pass++) {
        int lo = pass ? 0 : start, hi = pass ? start : ch->nq;
        for (int qi = next_nonempty(ch, lo, hi); qi < hi; qi = next_nonempty(ch, qi + 1, hi)) {
            if (ch->in_ref && ch->refidx[qi])
                continue;
            if (ch->clk < ch->qwake[qi] && !d->plain) { /* nothing there yet */
                wake = min64(wake, ch->qwake[qi]);
                continue;
            }
            uint64_t qw = UINT64_MAX;
            int r = first_ready(d, ch, qi, out, &qw);
            if (r)
                return r;
            wake = min64(wake, qw);
            if (out->type == NOCMD)
                ch->qwake[qi] = qw;
            else {
                ch->qidx = qi;
                if (is_rw(out->type))
                    erase_rw(d, ch, out);
                return 0;
            }
        }
    }
    /* nothing now; a command that is ready but held back by ArbitratePrecharge or
     * HasRWDependency stays held until a command issues, which resets cmd_wake */
    ch->cmd_wake = wake;
    return 0;
}

/* CommandQueue::FinishRefresh: the PRECHARGE or REFRESH the oldest pending refresh needs. */
static int finish_refresh(mmt_dram *d, dchan *ch, dcmd *out)
{
    const dcmd *ref = &ch->refq[0];
    if (!ch->in_ref) {
        if (ref->type == MMT__REF) {
            for (int i = 0; i < ch->nq; i++)
                if (d->c.per_rank_queues ? i == ref->rank : i / d->c.banks == ref->rank)
                    ch->refidx[i] = 1;
        } else {
            ch->refidx[queue_index(d, ref->rank, ref->bg, ref->bank)] = 1;
        }
        ch->in_ref = 1;
    }
    int r = ready_cmd(d, ch, ref, ch->clk, out, NULL);
    if (r)
        return r;
    if (out->type == MMT__REF || out->type == MMT__REFB) {
        memset(ch->refidx, 0, (size_t)ch->nq);
        ch->in_ref = 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- pending requests */

static int heap_less(const dret *a, const dret *b)
{
    return a->ret < b->ret || (a->ret == b->ret && a->seq < b->seq);
}

/* Queues a finished request for its return at tick `ret`. */
static int ret_push(dchan *ch, uint64_t addr, int is_write, uint64_t added, uint64_t complete,
                    uint64_t visible)
{
    /* DRAMsim3 checks its return queue at the start of every tick and returns, in the order
     * they were queued, those whose completion cycle has come: a request queued during tick
     * C is first seen at tick C + 1, one added between ticks at the next tick. */
    uint64_t ret = complete > visible ? complete : visible;
    if (ch->nheap == ch->capheap) {
        size_t nc = ch->capheap ? ch->capheap * 2 : 64;
        dret *nh = realloc(ch->heap, nc * sizeof *nh);
        if (!nh)
            return MMT_ENOMEM;
        ch->heap = nh, ch->capheap = nc;
    }
    dret e = {ret, ch->seq++, addr, added, is_write};
    size_t i = ch->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(&e, &ch->heap[p]))
            break;
        ch->heap[i] = ch->heap[p];
        i = p;
    }
    ch->heap[i] = e;
    return 0;
}

static dret ret_pop(dchan *ch)
{
    dret top = ch->heap[0], last = ch->heap[--ch->nheap];
    size_t i = 0, n = ch->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(&ch->heap[c + 1], &ch->heap[c]))
            c++;
        if (!heap_less(&ch->heap[c], &last))
            break;
        ch->heap[i] = ch->heap[c];
        i = c;
    }
    if (n)
        ch->heap[i] = last;
    return top;
}

/* Appends *t to the transaction queue *q (of *n entries, not full) in buffer b, moving the
 * queue to the buffer's start first when it reaches the buffer's end. */
static void tq_append(const mmt_dram *d, dtrans **q, dtrans *b, int *n, const dtrans *t)
{
    if (*q - b + *n == 2 * (ptrdiff_t)d->c.trans_queue_size) {
        memmove(b, *q, (size_t)*n * sizeof *b);
        *q = b;
    }
    (*q)[(*n)++] = *t;
}

static int hist_add(dhist *h, int v)
{
    if (v >= 0 && v < MMT__HIST_DENSE) {
        h->dense[v]++;
        return 0;
    }
    uint64_t *p = mmt__u64map_put(&h->more, (uint64_t)(int64_t)v);
    if (!p)
        return MMT_ENOMEM;
    ++*p;
    return 0;
}

static int rd_push(dchan *ch, uint64_t addr, uint64_t added, int *first)
{
    uint32_t id;
    if (ch->freenode != NIL) {
        id = ch->freenode;
        ch->freenode = ch->nodes[id].next;
    } else {
        if (ch->nnodes == ch->capnodes) {
            uint32_t nc = ch->capnodes ? ch->capnodes * 2 : 64;
            drnode *nn = realloc(ch->nodes, nc * sizeof *nn);
            if (!nn)
                return MMT_ENOMEM;
            ch->nodes = nn, ch->capnodes = nc;
        }
        id = ch->nnodes++;
    }
    ch->nodes[id] = (drnode){added, NIL};
    uint64_t *v = mmt__u64map_get(&ch->pend_rd, addr);
    *first = !v;
    if (v) {
        uint32_t tail = (uint32_t)*v;
        ch->nodes[tail].next = id;
        *v = (*v & ~(uint64_t)UINT32_MAX) | id;
        return 0;
    }
    v = mmt__u64map_put(&ch->pend_rd, addr);
    if (!v)
        return MMT_ENOMEM;
    *v = (uint64_t)id << 32 | id;
    return 0;
}

/* ---------------------------------------------------------------- issuing */

static void update_stats(mmt_dram *d, dchan *ch, const dcmd *c)
{
    switch (c->type) {
    case MMT__RD:
    case MMT__RDP:
        ch->cnt[ST_READ_CMDS]++;
        if (bank_at(d, ch, c->rank, c->bg, c->bank)->hits)
            ch->cnt[ST_READ_HITS]++;
        break;
    case MMT__WR:
    case MMT__WRP:
        ch->cnt[ST_WRITE_CMDS]++;
        if (bank_at(d, ch, c->rank, c->bg, c->bank)->hits)
            ch->cnt[ST_WRITE_HITS]++;
        break;
    case MMT__ACT: ch->cnt[ST_ACT]++; break;
    case MMT__PRE: ch->cnt[ST_PRE]++; break;
    case MMT__REF: ch->cnt[ST_REF]++; break;
    case MMT__REFB: ch->cnt[ST_REFB]++; break;
    case MMT__SREFE: ch->cnt[ST_SREFE]++; break;
    default: ch->cnt[ST_SREFX]++;
    }
}

/* BankState::UpdateState; -1 where DRAMsim3 aborts. */
static int bank_update(dchan *ch, dbank *b, int rank, const dcmd *c)
{
    switch (b->state) {
    case BANK_OPEN:
        if (c->type == MMT__RD || c->type == MMT__WR) {
            b->hits++;
        } else if (c->type == MMT__RDP || c->type == MMT__WRP || c->type == MMT__PRE) {
            b->state = BANK_CLOSED, b->row = -1, b->hits = 0;
            ch->open_in_rank[rank]--;
        } else {
            return -1;
        }
        return 0;
    case BANK_CLOSED:
        if (c->type == MMT__REF || c->type == MMT__REFB)
            return 0;
        if (c->type == MMT__ACT) {
            b->state = BANK_OPEN, b->row = c->row;
            ch->open_in_rank[rank]++;
            return 0;
        }
        if (c->type == MMT__SREFE) {
            b->state = BANK_SREF;
            return 0;
        }
        return -1;
    default:
        if (c->type != MMT__SREFX)
            return -1;
        b->state = BANK_CLOSED;
        return 0;
    }
}

/* Removes the first pending refresh matching rank (and bank, for a bank refresh). */
static void refq_remove(dchan *ch, const dcmd *c, int by_bank)
{
    for (int i = 0; i < ch->nrefq; i++) {
        const dcmd *r = &ch->refq[i];
        if (r->rank == c->rank && (!by_bank || (r->bg == c->bg && r->bank == c->bank))) {
            memmove(&ch->refq[i], &ch->refq[i + 1], (size_t)(ch->nrefq - i - 1) * sizeof *r);
            ch->nrefq--;
            return;
        }
    }
}

/* ChannelState::UpdateState. */
static int update_state(mmt_dram *d, dchan *ch, const dcmd *c)
{
    if (is_rank_cmd(c->type)) {
        for (int j = 0; j < d->c.bankgroups; j++)
            for (int k = 0; k < d->c.banks_per_group; k++)
                if (bank_update(ch, bank_at(d, ch, c->rank, j, k), c->rank, c))
                    return die(d,
                               "DRAMsim3 aborts here: a rank command in an unexpected bank state");
        if (c->type == MMT__REF)
            refq_remove(ch, c, 0);
        else
            ch->sref[c->rank] = c->type == MMT__SREFE;
        return 0;
    }
    if (bank_update(ch, bank_at(d, ch, c->rank, c->bg, c->bank), c->rank, c))
        return die(d, "DRAMsim3 aborts here: a command in an unexpected bank state");
    if (c->type == MMT__REFB)
        refq_remove(ch, c, 1);
    return 0;
}

/* Applies a constraint list to a timing array (a bank's, a bank group's or a rank's). DRAMsim3
 * adds the (int) delay to the unsigned clock, so a negative delay before that many cycles have
 * passed wraps to a time that never comes. */
static void apply(uint64_t *tt, const mmt__tlist *l, uint64_t clk)
{
    for (int i = 0; i < l->n; i++) {
        uint64_t t = clk + (uint64_t)(int64_t)l->c[i].delay;
        if (t > tt[l->c[i].type])
            tt[l->c[i].type] = t;
    }
}

/* ChannelState::UpdateTiming: the same bank and the other banks of its group per bank, the
 * other groups of the rank per group, the other ranks per rank (tready). */
static void update_timing(mmt_dram *d, dchan *ch, const dcmd *c, uint64_t clk)
{
    const mmt_dram_config *cf = &d->c;
    const mmt__tlist *T = cf->timing[c->type];
    if (is_rank_cmd(c->type)) {
        apply(&ch->rkt[c->rank * MMT__NCMD], &T[MMT__SAME_RANK], clk);
        return;
    }
    if (c->type == MMT__ACT) {
        win_push(&ch->faw[c->rank], clk, cf->tFAW);
        if (mmt__dram_is_gddr(cf))
            win_push(&ch->aw32[c->rank], clk, cf->t32AW);
    }
    apply(bank_at(d, ch, c->rank, c->bg, c->bank)->t, &T[MMT__SAME_BANK], clk);
    if (!T[MMT__OTHER_BANKS_BG].n) {
    } else if (d->fold_bg[c->type] && !d->plain) {
        apply(&ch->bgt[(c->rank * cf->bankgroups + c->bg) * MMT__NCMD], &T[MMT__OTHER_BANKS_BG],
              clk);
    } else {
        for (int k = 0; k < cf->banks_per_group; k++)
            if (k != c->bank)
                apply(bank_at(d, ch, c->rank, c->bg, k)->t, &T[MMT__OTHER_BANKS_BG], clk);
    }
    if (!T[MMT__OTHER_BG_RANK].n) {
    } else if (d->fold_rank[c->type] && !d->plain) {
        apply(&ch->rkt[c->rank * MMT__NCMD], &T[MMT__OTHER_BG_RANK], clk);
    } else {
        for (int j = 0; j < cf->bankgroups; j++)
            if (j != c->bg)
                apply(&ch->bgt[(c->rank * cf->bankgroups + j) * MMT__NCMD], &T[MMT__OTHER_BG_RANK],
                      clk);
    }
    if (T[MMT__OTHER_RANKS].n)
        for (int r = 0; r < cf->ranks; r++)
            if (r != c->rank)
                apply(&ch->rkt[r * MMT__NCMD], &T[MMT__OTHER_RANKS], clk);
}

/* Does list a hold, for every constraint of list b, one on the same command at least as late?
 * Only non-negative delays count: a negative one may wrap (apply). */
static int dominates(const mmt__tlist *a, const mmt__tlist *b)
{
    for (int i = 0; i < b->n; i++) {
        int ok = 0;
        for (int j = 0; j < a->n && !ok; j++)
            ok = a->c[j].type == b->c[i].type && a->c[j].delay >= b->c[i].delay &&
                 b->c[i].delay >= 0;
        if (!ok)
            return 0;
    }
    return 1;
}

/* Which constraint lists update_timing may keep once for a bank group or a rank instead of
 * once per bank or per group: tready takes the maximum of the bank's, its group's and its
 * rank's times, so a list applied to the whole group (rank) gives the same readiness when the
 * banks it should not cover (the issuing bank; the issuing bank's group) already get a list
 * that is at least as strict. With DRAMsim3's tables this holds for DDR4's reads, writes and
 * activates (same-bank tCCD_L/tRRD_L bound the others' tCCD_S/tRRD_S). */
static void fold_timing(mmt_dram *d)
{
    const mmt_dram_config *c = &d->c;
    for (int t = 0; t < MMT__NCMD; t++) {
        const mmt__tlist *T = c->timing[t];
        d->fold_bg[t] = (uint8_t)dominates(&T[MMT__SAME_BANK], &T[MMT__OTHER_BANKS_BG]);
        d->fold_rank[t] =
            (uint8_t)(dominates(&T[MMT__SAME_BANK], &T[MMT__OTHER_BG_RANK]) &&
                      (c->banks_per_group == 1 ||
                       dominates(&T[MMT__OTHER_BANKS_BG], &T[MMT__OTHER_BG_RANK])));
    }
}

/* The power bookkeeping of one tick for k ticks: counts cycles per rank state. */
static void count_ranks(mmt_dram *d, dchan *ch, uint64_t k)
{
    for (int i = 0; i < d->c.ranks; i++) {
        if (ch->sref[i]) {
            ch->sref_cycles[i] += k;
        } else if (!ch->open_in_rank[i]) {
            ch->idle_cycles[i] += k;
            ch->rank_idle[i] += (int64_t)k;
        } else {
            ch->active_cycles[i] += k;
            ch->rank_idle[i] = 0;
        }
    }
}

/* Counts the cycles [ch->acct, upto) with the ranks' present states. The per-rank cycle counts
 * are kept lazily: a rank's state changes only when a command issues, which first accounts
 * the cycles before it (issue), so counting them in bulk gives DRAMsim3's per-cycle counts.
 * With enable_self_refresh they are counted every cycle (rank_idle drives self-refresh). */
static void account(mmt_dram *d, dchan *ch, uint64_t upto)
{
    if (upto > ch->acct) {
        count_ranks(d, ch, upto - ch->acct);
        ch->acct = upto;
    }
}

/* Controller::IssueCommand. */
static int issue(mmt_dram *d, dchan *ch, const dcmd *c)
{
    ch->cmd_wake = 0;    /* states and timings change: every command is looked at again */
    ch->sched_dirty = 1; /* a command queue may have room, a read may have left */
    if (is_read(c->type)) {
        uint64_t *v = mmt__u64map_get(&ch->pend_rd, c->hex);
        if (!v)
            return die(d, "DRAMsim3 exits here: a read command for no pending read");
        /* DRAMsim3: every pending read of the address is served by this one command */
        for (uint32_t id = (uint32_t)(*v >> 32); id != NIL;) {
            drnode *n = &ch->nodes[id];
            int r = ret_push(ch, c->hex, 0, n->added, ch->clk + (uint64_t)(int64_t)d->c.read_delay,
                             ch->clk + 1);
            if (r)
                return r;
            uint32_t next = n->next;
            n->next = ch->freenode;
            ch->freenode = id;
            id = next;
        }
        mmt__u64map_del(&ch->pend_rd, c->hex);
    } else if (is_write(c->type)) {
        uint64_t *v = mmt__u64map_get(&ch->pend_wr, c->hex);
        if (!v)
            return die(d, "DRAMsim3 exits here: a write command for no pending write");
        int r = hist_add(&ch->h_write, (int)(ch->clk - *v + (uint64_t)(int64_t)d->c.write_delay));
        if (r)
            return r;
        mmt__u64map_del(&ch->pend_wr, c->hex);
    }
    if (is_rank_cmd(c->type)) { /* every bank of the rank changes state */
        if (d->c.per_rank_queues)
            q_dirty(ch, c->rank);
        else
            for (int i = 0; i < d->c.banks; i++)
                q_dirty(ch, c->rank * d->c.banks + i);
    } else {
        q_dirty(ch, queue_index(d, c->rank, c->bg, c->bank));
    }
    account(d, ch, ch->clk); /* the cycles before this one had the states before */
    update_stats(d, ch, c);  /* before the state: row hits count the state before */
    int r = update_state(d, ch, c);
    if (r)
        return r;
    update_timing(d, ch, c, ch->clk);
    return 0;
}

/* ---------------------------------------------------------------- refresh */

static int refq_push(dchan *ch, dcmd c)
{
    if (ch->nrefq == ch->caprefq) {
        int nc = ch->caprefq ? ch->caprefq * 2 : 8;
        dcmd *nq = realloc(ch->refq, (size_t)nc * sizeof *nq);
        if (!nq)
            return MMT_ENOMEM;
        ch->refq = nq, ch->caprefq = nc;
    }
    ch->refq[ch->nrefq++] = c;
    return 0;
}

/* Refresh::InsertRefresh. */
static int insert_refresh(mmt_dram *d, dchan *ch)
{
    const mmt_dram_config *c = &d->c;
    int r = 0;
    switch (c->refresh_policy) {
    case MMT__REF_RANK_SIMUL:
        /* DRAMsim3: "simultaneous" refreshes only the first rank not in self-refresh */
        for (int i = 0; i < c->ranks; i++)
            if (!ch->sref[i])
                return refq_push(ch, (dcmd){MMT__REF, i, -1, -1, -1, -1, UINT64_MAX});
        return 0;
    case MMT__REF_RANK_STAG:
        if (!ch->sref[ch->next_rank])
            r = refq_push(ch, (dcmd){MMT__REF, ch->next_rank, -1, -1, -1, -1, UINT64_MAX});
        ch->next_rank = (ch->next_rank + 1) % c->ranks;
        return r;
    default:
        if (!ch->sref[ch->next_rank])
            r = refq_push(ch, (dcmd){MMT__REFB, ch->next_rank, ch->next_bg, ch->next_bank, -1, -1,
                                     UINT64_MAX});
        ch->next_bg = (ch->next_bg + 1) % c->bankgroups;
        if (ch->next_bg == 0) {
            ch->next_bank = (ch->next_bank + 1) % c->banks_per_group;
            if (ch->next_bank == 0)
                ch->next_rank = (ch->next_rank + 1) % c->ranks;
        }
        return r;
    }
}

/* ---------------------------------------------------------------- transactions */

static dcmd trans_cmd(const mmt_dram *d, const dtrans *t)
{
    int type =
        d->c.close_page ? (t->is_write ? MMT__WRP : MMT__RDP) : (t->is_write ? MMT__WR : MMT__RD);
    return (dcmd){type, t->a.rank, t->a.bankgroup, t->a.bank, t->a.row, t->a.column, t->addr};
}

/* Controller::ScheduleTransaction: moves at most one transaction into its command queue.
 * Returns 1 if one moved. */
static int schedule(mmt_dram *d, dchan *ch)
{
    const mmt_dram_config *c = &d->c;
    /* Its outcome depends only on the queues and write_draining, which only an issue, an
     * added transaction, a move or a change of write_draining changes. */
    if (!ch->sched_dirty && !d->plain)
        return 0;
    int wd0 = ch->write_draining;
    if (ch->write_draining == 0 && !c->unified_queue) {
        /* DRAMsim3: drain when the write buffer is full, or holds more than 8 writes and
         * every command queue is empty */
        if (ch->nwq >= c->trans_queue_size || (ch->nwq > 8 && !ch->nonempty))
            ch->write_draining = ch->nwq;
    }
    dtrans *q, **qp;
    int *n, k;
    if (c->unified_queue)
        qp = &ch->uq, n = &ch->nuq, k = TQ_UNIFIED;
    else if (ch->write_draining > 0)
        qp = &ch->wq, n = &ch->nwq, k = TQ_WRITE;
    else
        qp = &ch->rq, n = &ch->nrq, k = TQ_READ;
    q = *qp;
    if (!ch->tq_ready[k] && !d->plain) { /* every entry's command queue is full: none moves */
        ch->sched_dirty = ch->write_draining != wd0;
        return 0;
    }
    for (int i = 0; i < *n; i++) {
        int qi = q[i].qi;
        if (ch->cqn[qi] >= c->cmd_queue_size)
            continue;
        dcmd cmd = trans_cmd(d, &q[i]);
        if (!c->unified_queue && is_write(cmd.type)) {
            /* DRAMsim3: a write waits for a read of the same address, ending the drain */
            if (mmt__u64map_get(&ch->pend_rd, q[i].addr)) {
                ch->write_draining = 0;
                break;
            }
            ch->write_draining--;
        }
        ch->tq_cnt[k][qi]--;
        ch->tq_ready[k]--;
        cq_at(d, ch, qi)[ch->cqn[qi]] = cmd;
        if (ch->cqn[qi] + 1 == c->cmd_queue_size)
            cq_full(ch, qi, 1);
        if (ch->cqn[qi]++ == 0) {
            ch->nonempty++;
            mask_set(ch, qi, 1);
        }
        /* an appended command cannot unblock an earlier one: only it may be ready sooner */
        if (ch->cmd_wake || ch->qwake[qi]) {
            dcmd out;
            uint64_t from;
            if (ready_bank_cmd(d, ch, &cmd, 0, &out, &from))
                return -1;
            ch->qwake[qi] = min64(ch->qwake[qi], from);
            if (ch->cmd_wake)
                ch->cmd_wake = min64(ch->cmd_wake, from > ch->clk + 1 ? from : ch->clk + 1);
        }
        ch->rank_q_empty[cmd.rank] = 0;
        /* erased in order: the entries before it move up one (the queue then starts one
         * later in its buffer), or those after it down one, whichever are fewer */
        if (i < *n - 1 - i) {
            memmove(&q[1], &q[0], (size_t)i * sizeof *q);
            ++*qp;
        } else {
            memmove(&q[i], &q[i + 1], (size_t)(*n - i - 1) * sizeof *q);
        }
        (*n)--;
        return 1;
    }
    /* a drain that ends on a read dependency it did not start here picks the read queue next */
    ch->sched_dirty = ch->write_draining != wd0;
    return 0;
}

/* ---------------------------------------------------------------- the controller's tick */

/* Controller's self-refresh step (enable_self_refresh, no command issued this tick). */
static int self_refresh(mmt_dram *d, dchan *ch, int *busy)
{
    for (int i = 0; i < d->c.ranks; i++) {
        dcmd rc = {MMT__SREFX, i, -1, -1, -1, -1, UINT64_MAX}, out;
        if (ch->sref[i]) {
            if (ch->rank_q_empty[i])
                continue;
        } else {
            if (!ch->rank_q_empty[i] || ch->rank_idle[i] < d->c.sref_threshold)
                continue;
            rc.type = MMT__SREFE;
        }
        int r = ready_rank_cmd(d, ch, &rc, ch->clk, &out, NULL);
        if (r)
            return r;
        if (out.type != NOCMD) {
            *busy = 1;
            return issue(d, ch, &out);
        }
    }
    return 0;
}

/* Controller::ClockTick; *busy is set when the tick changed anything but the counters. */
static int ctrl_tick(mmt_dram *d, dchan *ch, int *busy)
{
    const mmt_dram_config *c = &d->c;
    int r;
    if (ch->clk == ch->next_ref) { /* Refresh::ClockTick: every interval, not at 0 */
        ch->next_ref += (uint64_t)ch->ref_interval;
        if ((r = insert_refresh(d, ch)))
            return r;
        *busy = 1;
    }
    dcmd cmd = {NOCMD, 0, 0, 0, 0, 0, 0};
    if (ch->nrefq && (r = finish_refresh(d, ch, &cmd)))
        return r;
    if (cmd.type == NOCMD && (r = get_cmd_to_issue(d, ch, &cmd)))
        return r;
    int issued = cmd.type != NOCMD;
    if (issued) {
        *busy = 1;
        if ((r = issue(d, ch, &cmd)))
            return r;
        if (c->hbm_dual_cmd) {
            dcmd second;
            if ((r = get_cmd_to_issue(d, ch, &second)))
                return r;
            /* DRAMsim3: a second read or write found here has already left its queue even
             * when it is not issued (both reads/writes): that request never completes */
            if (second.type != NOCMD && is_rw(second.type) != is_rw(cmd.type)) {
                if ((r = issue(d, ch, &second)))
                    return r;
                ch->cnt[ST_DUAL]++;
            }
        }
    }
    if (c->enable_self_refresh) /* DRAMsim3's power update of this cycle, after its command */
        account(d, ch, ch->clk + 1);
    if (c->enable_self_refresh && !issued && (r = self_refresh(d, ch, busy)))
        return r;
    int wd = ch->write_draining;
    if (schedule(d, ch) || ch->write_draining != wd)
        *busy = 1;
    ch->clk++;
    ch->cnt[ST_CYCLES]++;
    return 0;
}

/* ---------------------------------------------------------------- skipping */

/* The first cycle at which the pending refresh ref may issue something: for a rank refresh the
 * earliest PRECHARGE an open bank allows, or when no bank is open the latest REFRESH time;
 * for a bank refresh its bank's time. Where DRAMsim3 would abort (a bank in self-refresh) the
 * tick itself reports it, so this only has to be early enough. */
static uint64_t ref_from(const mmt_dram *d, dchan *ch, const dcmd *ref)
{
    uint64_t first = UINT64_MAX, all = 0;
    int r0 = ref->type == MMT__REF ? 0 : ref->bg,
        r1 = ref->type == MMT__REF ? d->c.bankgroups : ref->bg + 1;
    for (int j = r0; j < r1; j++) {
        int k0 = ref->type == MMT__REF ? 0 : ref->bank;
        int k1 = ref->type == MMT__REF ? d->c.banks_per_group : ref->bank + 1;
        for (int k = k0; k < k1; k++) {
            const dbank *b = bank_at(d, ch, ref->rank, j, k);
            if (b->state == BANK_SREF)
                return 0;
            if (b->state == BANK_OPEN)
                first = min64(first, tready(d, ch, ref->rank, j, b, MMT__PRE));
            else if (tready(d, ch, ref->rank, j, b, ref->type) > all)
                all = tready(d, ch, ref->rank, j, b, ref->type);
        }
    }
    return first != UINT64_MAX ? first : all;
}

/* After a tick that changed nothing, the first later cycle whose tick may: the next return,
 * refresh, or a queued command's (or the pending refresh's) timing becoming satisfied. A
 * command that is ready but held back (ArbitratePrecharge, HasRWDependency) stays held until
 * some other event changes the state. */
static uint64_t channel_wake(mmt_dram *d, dchan *ch)
{
    uint64_t now = ch->clk; /* the next tick */
    if (d->c.enable_self_refresh || d->plain)
        return now;
    uint64_t w = ch->next_ref; /* returns are the tick's, not the controller's */
    if (ch->nrefq)
        w = min64(w, ref_from(d, ch, &ch->refq[0]));
    if (ch->nonempty)
        w = min64(w, ch->cmd_wake);
    return w < now ? now : w;
}

/* ---------------------------------------------------------------- the public calls */

/* Controller::WillAcceptTransaction of the channel ch. */
static int accepts(const mmt_dram *d, const dchan *ch, int is_write)
{
    if (d->c.unified_queue)
        return ch->nuq < d->c.trans_queue_size;
    if (!is_write)
        return ch->nrq < d->c.trans_queue_size;
    return ch->nwq < d->c.trans_queue_size;
}

int mmt_dram_will_accept(const mmt_dram *d, uint64_t addr, int is_write)
{
    return accepts(d, &d->ch[mmt__dram_map(&d->c, addr).channel], is_write);
}

/* Controller::AddTransaction. */
int mmt_dram_add(mmt_dram *d, uint64_t addr, int is_write)
{
    if (d->dead)
        return MMT_EINVAL;
    dtrans t = {addr, 0, is_write != 0, mmt__dram_map(&d->c, addr), 0};
    dchan *ch = &d->ch[t.a.channel];
    if (!accepts(d, ch, is_write))
        return MMT_EAGAIN;
    t.qi = queue_index(d, t.a.rank, t.a.bankgroup, t.a.bank);
    t.added = ch->clk;
    int r = hist_add(&ch->h_inter, (int)(ch->clk - ch->last_trans_clk));
    if (r)
        return r;
    ch->last_trans_clk = ch->clk;
    ch->wake = ch->clk;
    ch->sched_dirty = 1;
    d->pending++;
    if (t.is_write) {
        if (!mmt__u64map_get(&ch->pend_wr, addr)) {
            /* DRAMsim3: a write to an address already waiting is merged into it */
            uint64_t *v = mmt__u64map_put(&ch->pend_wr, addr);
            if (!v)
                return MMT_ENOMEM;
            *v = t.added;
            if (d->c.unified_queue)
                tq_append(d, &ch->uq, ch->uq0, &ch->nuq, &t), tq_join(d, ch, TQ_UNIFIED, t.qi);
            else
                tq_append(d, &ch->wq, ch->wq0, &ch->nwq, &t), tq_join(d, ch, TQ_WRITE, t.qi);
        }
        /* DRAMsim3: writes are posted: done on the next cycle */
        return ret_push(ch, addr, 1, t.added, ch->clk + 1, ch->clk);
    }
    if (mmt__u64map_get(&ch->pend_wr, addr))
        /* DRAMsim3: a read of an address with a write waiting is served by the write buffer */
        return ret_push(ch, addr, 0, t.added, ch->clk + 1, ch->clk);
    int first;
    if ((r = rd_push(ch, addr, t.added, &first)))
        return r;
    if (first) { /* DRAMsim3: a read of an address already being read joins it */
        if (d->c.unified_queue)
            tq_append(d, &ch->uq, ch->uq0, &ch->nuq, &t), tq_join(d, ch, TQ_UNIFIED, t.qi);
        else
            tq_append(d, &ch->rq, ch->rq0, &ch->nrq, &t), tq_join(d, ch, TQ_READ, t.qi);
    }
    return 0;
}

/* Returns the requests whose time has come (JedecDRAMSystem::ClockTick's first loop). */
static int returns(mmt_dram *d, dchan *ch, uint64_t S, int *busy)
{
    while (ch->nheap && ch->heap[0].ret <= S) {
        dret e = ret_pop(ch);
        *busy = 1;
        if (e.is_write) {
            ch->cnt[ST_WRITES_DONE]++;
        } else {
            ch->cnt[ST_READS_DONE]++;
            int r = hist_add(&ch->h_read, (int)(S - e.added));
            if (r)
                return r;
        }
        d->pending--;
        if (d->done)
            d->done(d->ud, e.addr, e.is_write, S);
    }
    return 0;
}

int mmt_dram_tick(mmt_dram *d)
{
    if (d->dead)
        return MMT_EINVAL;
    int r;
    int n = d->c.channels;
    for (int i = 0; i < n; i++) {
        int ret = 0; /* returns change no controller state: the wake stands */
        if ((r = returns(d, &d->ch[i], d->clk, &ret)))
            return r;
    }
    for (int i = 0; i < n; i++) {
        dchan *ch = &d->ch[i];
        if (ch->clk < ch->wake) { /* the controller has nothing to do: count the cycle */
            ch->clk++;
            ch->cnt[ST_CYCLES]++;
            continue;
        }
        int busy = 0;
        if ((r = ctrl_tick(d, ch, &busy)))
            return r;
        ch->wake = busy ? ch->clk : channel_wake(d, ch);
    }
    d->clk++;
    return 0;
}

uint64_t mmt_dram_next_event(const mmt_dram *d)
{
    uint64_t w = UINT64_MAX;
    for (int i = 0; i < d->c.channels; i++) {
        w = min64(w, d->ch[i].wake);
        if (d->ch[i].nheap)
            w = min64(w, d->ch[i].heap[0].ret);
    }
    return w < d->clk ? d->clk : w;
}

/* Counts k ticks in which nothing happens. */
static void skip(mmt_dram *d, uint64_t k)
{
    for (int i = 0; i < d->c.channels; i++) {
        dchan *ch = &d->ch[i];
        ch->clk += k;
        ch->cnt[ST_CYCLES] += k;
    }
    d->clk += k;
}

int mmt_dram_advance(mmt_dram *d, uint64_t cycle)
{
    while (d->clk < cycle) {
        if (d->dead)
            return MMT_EINVAL;
        uint64_t w = mmt_dram_next_event(d);
        if (w > d->clk) {
            skip(d, min64(w, cycle) - d->clk);
            continue;
        }
        int r = mmt_dram_tick(d);
        if (r)
            return r;
    }
    return 0;
}

uint64_t mmt_dram_cycle(const mmt_dram *d)
{
    return d->clk;
}

uint64_t mmt_dram_pending(const mmt_dram *d)
{
    return d->pending;
}

const char *mmt_dram_error(const mmt_dram *d)
{
    return d->err;
}

/* ---------------------------------------------------------------- life cycle */

static void chan_free(dchan *ch)
{
    free(ch->idle_cycles), free(ch->active_cycles), free(ch->sref_cycles);
    mmt__u64map_free(&ch->h_read.more), mmt__u64map_free(&ch->h_write.more),
        mmt__u64map_free(&ch->h_inter.more);
    mmt__u64map_free(&ch->pend_wr), mmt__u64map_free(&ch->pend_rd);
    free(ch->rq0), free(ch->wq0), free(ch->uq0), free(ch->nodes), free(ch->heap);
    free(ch->cq), free(ch->cqn), free(ch->qwake), free(ch->qmask), free(ch->tq_cnt[0]), free(ch->tq_cnt[1]),
        free(ch->tq_cnt[2]), free(ch->refidx), free(ch->rank_q_empty);
    free(ch->banks), free(ch->bgt), free(ch->rkt), free(ch->open_in_rank), free(ch->sref),
        free(ch->rank_idle);
    free(ch->faw), free(ch->aw32), free(ch->refq);
}

static int chan_init(const mmt_dram_config *c, dchan *ch, int id)
{
    int R = c->ranks, B = c->banks, T = c->trans_queue_size;
    ch->id = id;
    ch->freenode = NIL;
    ch->nq = c->per_rank_queues ? R : R * B;
    ch->idle_cycles = calloc((size_t)R, sizeof(uint64_t));
    ch->active_cycles = calloc((size_t)R, sizeof(uint64_t));
    ch->sref_cycles = calloc((size_t)R, sizeof(uint64_t));
    ch->rq = ch->rq0 = mmt__mallocn(2 * (int64_t)T, sizeof(dtrans));
    ch->wq = ch->wq0 = mmt__mallocn(2 * (int64_t)T, sizeof(dtrans));
    ch->uq = ch->uq0 = mmt__mallocn(2 * (int64_t)T, sizeof(dtrans));
    ch->cq = mmt__mallocn((int64_t)ch->nq * c->cmd_queue_size, sizeof(dcmd));
    ch->cqn = calloc((size_t)ch->nq, sizeof(int));
    ch->qwake = calloc((size_t)ch->nq, sizeof(uint64_t));
    ch->qmask = calloc((size_t)ch->nq / 64 + 1, sizeof(uint64_t));
    for (int k = 0; k < 3; k++)
        ch->tq_cnt[k] = calloc((size_t)ch->nq, sizeof(int));
    ch->refidx = calloc((size_t)ch->nq, 1);
    ch->rank_q_empty = malloc((size_t)R);
    ch->banks = calloc((size_t)R * B, sizeof(dbank));
    ch->bgt = calloc((size_t)R * c->bankgroups * MMT__NCMD, sizeof(uint64_t));
    ch->rkt = calloc((size_t)R * MMT__NCMD, sizeof(uint64_t));
    ch->open_in_rank = calloc((size_t)R, sizeof(int));
    ch->sref = calloc((size_t)R, sizeof(int));
    ch->rank_idle = calloc((size_t)R, sizeof(int64_t));
    ch->faw = calloc((size_t)R, sizeof(dwin));
    ch->aw32 = calloc((size_t)R, sizeof(dwin));
    if (!ch->idle_cycles || !ch->active_cycles || !ch->sref_cycles || !ch->rq || !ch->wq ||
        !ch->uq || !ch->cq || !ch->cqn || !ch->qwake || !ch->qmask || !ch->tq_cnt[0] || !ch->tq_cnt[1] ||
        !ch->tq_cnt[2] || !ch->refidx || !ch->rank_q_empty || !ch->banks || !ch->bgt || !ch->rkt ||
        !ch->open_in_rank || !ch->sref || !ch->rank_idle || !ch->faw || !ch->aw32)
        return MMT_ENOMEM;
    memset(ch->rank_q_empty, 1, (size_t)R);
    for (int i = 0; i < ch->nq; i++)
        ch->qwake[i] = UINT64_MAX; /* empty */
    for (int i = 0; i < R * B; i++)
        ch->banks[i].state = BANK_CLOSED, ch->banks[i].row = -1;
    if (c->refresh_policy == MMT__REF_RANK_SIMUL)
        ch->ref_interval = c->tREFI;
    else if (c->refresh_policy == MMT__REF_BANK_STAG)
        ch->ref_interval = c->tREFIb;
    else
        ch->ref_interval = c->tREFI / R;
    ch->next_ref = (uint64_t)ch->ref_interval;
    ch->sched_dirty = 1;
    return 0;
}

void mmt__dram_set_plain(mmt_dram *d, int plain)
{
    d->plain = plain;
}

int mmt_dram_new(const mmt_dram_config *c, mmt_dram_done_fn done, void *ud, mmt_dram **out)
{
    *out = NULL;
    mmt_dram *d = calloc(1, sizeof *d);
    if (!d)
        return MMT_ENOMEM;
    d->c = *c;
    d->done = done, d->ud = ud;
    d->gddr = mmt__dram_is_gddr(c);
    fold_timing(d);
    d->ch = calloc((size_t)c->channels, sizeof *d->ch);
    if (!d->ch) {
        free(d);
        return MMT_ENOMEM;
    }
    for (int i = 0; i < c->channels; i++)
        if (chan_init(c, &d->ch[i], i)) {
            mmt_dram_free(d);
            return MMT_ENOMEM;
        }
    *out = d;
    return 0;
}

void mmt_dram_free(mmt_dram *d)
{
    if (!d)
        return;
    for (int i = 0; d->ch && i < d->c.channels; i++)
        chan_free(&d->ch[i]);
    free(d->ch);
    free(d);
}
