/*
 * dram_map.h - a small open-addressing hash map from 64-bit keys to 64-bit values for the DRAM
 * model (pending requests by address, rare latency values); linear probing, deletion by
 * backward shift, so lookups never meet tombstones. Not installed.
 */
#ifndef MMT_DRAM_MAP_H
#define MMT_DRAM_MAP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct mmt__u64map {
    uint64_t *keys, *vals;
    uint8_t *used;
    size_t cap, n; /* cap is 0 or a power of two */
} mmt__u64map;

static inline size_t mmt__u64map_slot(const mmt__u64map *m, uint64_t k)
{
    k ^= k >> 33;
    k *= UINT64_C(0xff51afd7ed558ccd);
    k ^= k >> 33;
    return (size_t)k & (m->cap - 1);
}

/* The value of k, or NULL. */
static inline uint64_t *mmt__u64map_get(const mmt__u64map *m, uint64_t k)
{
    if (!m->n)
        return NULL;
    for (size_t i = mmt__u64map_slot(m, k);; i = (i + 1) & (m->cap - 1)) {
        if (!m->used[i])
            return NULL;
        if (m->keys[i] == k)
            return &m->vals[i];
    }
}

static inline int mmt__u64map_grow(mmt__u64map *m)
{
    mmt__u64map g;
    g.cap = m->cap ? m->cap * 2 : 16;
    g.n = 0;
    g.keys = malloc(g.cap * sizeof *g.keys);
    g.vals = malloc(g.cap * sizeof *g.vals);
    g.used = calloc(g.cap, 1);
    if (!g.keys || !g.vals || !g.used) {
        free(g.keys), free(g.vals), free(g.used);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->used[i]) {
            size_t j = mmt__u64map_slot(&g, m->keys[i]);
            while (g.used[j])
                j = (j + 1) & (g.cap - 1);
            g.used[j] = 1, g.keys[j] = m->keys[i], g.vals[j] = m->vals[i];
            g.n++;
        }
    free(m->keys), free(m->vals), free(m->used);
    *m = g;
    return 0;
}

/* The value slot of k, inserted as 0 if absent; NULL when out of memory. */
static inline uint64_t *mmt__u64map_put(mmt__u64map *m, uint64_t k)
{
    uint64_t *v = mmt__u64map_get(m, k);
    if (v)
        return v;
    if ((m->n + 1) * 4 > m->cap * 3 && mmt__u64map_grow(m))
        return NULL;
    size_t i = mmt__u64map_slot(m, k);
    while (m->used[i])
        i = (i + 1) & (m->cap - 1);
    m->used[i] = 1, m->keys[i] = k, m->vals[i] = 0;
    m->n++;
    return &m->vals[i];
}

/* Removes k if present. */
static inline void mmt__u64map_del(mmt__u64map *m, uint64_t k)
{
    if (!m->n)
        return;
    size_t i = mmt__u64map_slot(m, k);
    while (m->used[i] && m->keys[i] != k)
        i = (i + 1) & (m->cap - 1);
    if (!m->used[i])
        return;
    m->used[i] = 0;
    m->n--;
    for (size_t j = (i + 1) & (m->cap - 1); m->used[j]; j = (j + 1) & (m->cap - 1)) {
        size_t h = mmt__u64map_slot(m, m->keys[j]);
        /* move j back into the hole at i unless its home lies cyclically in (i, j] */
        if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
            m->used[i] = 1, m->keys[i] = m->keys[j], m->vals[i] = m->vals[j];
            m->used[j] = 0;
            i = j;
        }
    }
}

static inline void mmt__u64map_free(mmt__u64map *m)
{
    free(m->keys), free(m->vals), free(m->used);
    memset(m, 0, sizeof *m);
}

#endif
