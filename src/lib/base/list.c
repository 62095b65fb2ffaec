/*
 * list.c - the one parser of comma lists in option values (--seq=128,256, --model=a,b):
 * no empty item, no item twice, at most a given number of items; every refusal says which.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void mmt_list_free(mmt_list *l)
{
    if (!l)
        return;
    free(l->item);
    free(l->buf);
    memset(l, 0, sizeof *l);
}

/* 1 if item k of l equals an earlier one. */
static int seen(const mmt_list *l, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (!strcmp(l->item[i], l->item[k]))
            return 1;
    return 0;
}

int mmt_list_parse(const char *text, size_t max, mmt_list *out, mmt_diag *d)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text), n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == ',';
    if (len == 0)
        return mmt__diag(d, MMT_EPARSE, "", 0, "empty list");
    if (n > max)
        return mmt__diag(d, MMT_ERANGE, "", 0, "%zu items, at most %zu allowed", n, max);
    out->buf = malloc(len + 1);
    out->item = calloc(n, sizeof *out->item);
    if (!out->buf || !out->item) {
        mmt_list_free(out);
        return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
    }
    memcpy(out->buf, text, len + 1);
    char *p = out->buf;
    for (size_t k = 0; k < n; k++) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        out->item[k] = p, out->n = k + 1;
        if (!*p) {
            mmt_list_free(out);
            return mmt__diag(d, MMT_EPARSE, "", 0, "empty item %zu in '%s'", k + 1, text);
        }
        if (seen(out, k)) {
            int r = mmt__diag(d, MMT_EPARSE, "", 0, "'%s' appears twice", p);
            mmt_list_free(out);
            return r;
        }
        p = c ? c + 1 : p + strlen(p);
    }
    return 0;
}

int mmt_list_i64(const char *text, int64_t lo, int64_t hi, size_t max, int64_t *out, size_t *n,
                 mmt_diag *d)
{
    mmt_list l;
    int r = mmt_list_parse(text, max, &l, d);
    *n = 0;
    for (size_t k = 0; r == 0 && k < l.n; k++) {
        const char *s = l.item[k];
        if (mmt__parse_i64(s, strlen(s), &out[k]) != 0 || strchr(s, '_') || s[0] == '+')
            r = mmt__diag(d, MMT_EPARSE, "", 0, "'%s' is not an integer", s);
        else if (out[k] < lo || out[k] > hi)
            r = mmt__diag(d, MMT_ERANGE, "", 0, "%s is outside %" PRId64 "..%" PRId64, s, lo, hi);
        for (size_t i = 0; r == 0 && i < k; i++)
            if (out[i] == out[k])
                r = mmt__diag(d, MMT_EPARSE, "", 0, "%" PRId64 " appears twice", out[k]);
    }
    if (r == 0)
        *n = l.n;
    mmt_list_free(&l);
    return r;
}
