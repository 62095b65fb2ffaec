/*
 * pyset.c - emulation of CPython's set hash table for integer keys k with |k| < 2^61-1 and
 * k != -1 (then hash(k) == k), insertions only (doc/scalesim-v2.md §7.3). Iterating the table in
 * slot order gives the order in which Python lists the set's members, which SCALE-Sim's
 * CALC-mode DRAM traces expose. Negative keys (negative offsets) probe as CPython does: the
 * first slot is hash & mask and perturb starts from the hash taken as an unsigned 64-bit
 * number (Py_hash_t to size_t), so a shift brings in ones from the sign bits.
 */
#include "sim_internal.h"

#include <stdlib.h>

#define LINEAR_PROBES 9
#define PERTURB_SHIFT 5
#define EMPTY (-1)

struct mmt_pyset {
    int64_t *table; /* EMPTY or a key */
    size_t mask, fill, used;
};

void mmt_pyset_free(mmt_pyset *s)
{
    if (!s)
        return;
    free(s->table);
    free(s);
}

/* Puts key into the first free slot of its probe sequence (no equality checks). */
static void insert_clean(int64_t *table, size_t mask, int64_t key)
{
    uint64_t perturb = (uint64_t)key;
    size_t i = (size_t)key & mask;
    for (;;) {
        if (table[i] == EMPTY) {
            table[i] = key;
            return;
        }
        if (i + LINEAR_PROBES <= mask)
            for (size_t j = 1; j <= LINEAR_PROBES; j++)
                if (table[i + j] == EMPTY) {
                    table[i + j] = key;
                    return;
                }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + (size_t)perturb) & mask;
    }
}

/* Grows the table (none yet in a new set) to the smallest power of two above minused,
 * re-inserting in slot order. */
static int resize(mmt_pyset *s, size_t minused)
{
    size_t size = 8;
    while (size <= minused)
        size <<= 1;
    int64_t *t = malloc(size * sizeof *t);
    if (!t)
        return MMT_ENOMEM;
    for (size_t i = 0; i < size; i++)
        t[i] = EMPTY;
    for (size_t i = 0; s->table && i <= s->mask; i++)
        if (s->table[i] != EMPTY)
            insert_clean(t, size - 1, s->table[i]);
    free(s->table);
    s->table = t;
    s->mask = size - 1;
    return 0;
}

int mmt_pyset_new(mmt_pyset **out)
{
    mmt_pyset *s = calloc(1, sizeof *s);
    if (!s || resize(s, 0) != 0) { /* an empty set: CPython's 8 slots */
        free(s);
        return MMT_ENOMEM;
    }
    *out = s;
    return 0;
}

int mmt_pyset_add(mmt_pyset *s, int64_t key)
{
    if (key == EMPTY) /* CPython: hash(-1) is -2; SCALE-Sim never stores -1 (no address) */
        return MMT_EINVAL;
    uint64_t perturb = (uint64_t)key;
    size_t mask = s->mask, i = (size_t)key & mask;
    for (;;) {
        size_t probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
        for (size_t idx = i;; idx++) {
            if (s->table[idx] == EMPTY) {
                s->table[idx] = key;
                s->fill++, s->used++;
                /* CPython: resize when fill*5 >= mask*3, to > used*4 (used*2 past 50000). */
                if (s->fill * 5 >= mask * 3) {
                    int r = resize(s, s->used > 50000 ? s->used * 2 : s->used * 4);
                    if (r)
                        return r;
                }
                return 1;
            }
            if (s->table[idx] == key)
                return 0;
            if (probes-- == 0)
                break;
        }
        perturb >>= PERTURB_SHIFT;
        i = (i * 5 + 1 + (size_t)perturb) & mask;
    }
}

size_t mmt_pyset_len(const mmt_pyset *s)
{
    return s->used;
}

void mmt_pyset_order(const mmt_pyset *s, int64_t *out)
{
    size_t n = 0;
    for (size_t i = 0; s->table && i <= s->mask; i++)
        if (s->table[i] != EMPTY)
            out[n++] = s->table[i];
}

void mmt__pyset_clear(mmt_pyset *s)
{
    if (s->mask != 7) {
        int64_t *t = realloc(s->table, 8 * sizeof *t);
        if (t)
            s->table = t;
        s->mask = 7;
    }
    for (int i = 0; i < 8; i++)
        s->table[i] = EMPTY;
    s->fill = s->used = 0;
}
