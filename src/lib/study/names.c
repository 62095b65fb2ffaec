/*
 * names.c - names are data (doc/study.md "Names"). A model's name (a preset, or a config.json's
 * _name_or_path) and a hardware point's (a .cfg file's stem) reach the study's tables, its file
 * names and its messages. In a table a name is one RFC 4180 field, quoted by libcsv's writer
 * when it holds a comma, a quote, a line end or surrounding blanks (so the paper's names, which
 * hold none, are written as before); in a file name it is its safe form, mmt__safe_name.
 */
#include "study_internal.h"

#include <csv.h>

/* Bytes a safe name keeps as they are: ASCII letters, digits, '-', '_', '+' and '.' (not
 * first). */
static int keep(unsigned char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '+' || (c == '.' && !first);
}

int mmt__safe_name(const char *name, char *buf, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    if (!name[0])
        return MMT_EINVAL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        int k = keep(*p, p == (const unsigned char *)name);
        if (n + (k ? 1 : 3) >= cap)
            return MMT_ERANGE;
        if (k) {
            buf[n++] = (char)*p;
        } else {
            buf[n++] = '%', buf[n++] = hex[*p >> 4], buf[n++] = hex[*p & 15];
        }
    }
    buf[n] = '\0';
    return 0;
}

const char *mmt__st_safe(const char *name, char *buf)
{
    if (mmt__safe_name(name, buf, MMT__SAFE_CAP) != 0)
        snprintf(buf, MMT__SAFE_CAP, "_"); /* not reached: the names were checked */
    return buf;
}

int mmt__name_check(const char *what, const char *name, mmt_diag *d)
{
    char shown[128];
    mmt__name_show(name, shown, sizeof shown);
    if (!name[0])
        return mmt__diag(d, MMT_EINVAL, "", 0, "%s: the name is empty", what);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return mmt__diag(d, MMT_EINVAL, "", 0,
                             "%s: the name '%s' holds a control character (byte 0x%02x)", what,
                             shown, *p);
    char safe[sizeof((mmt_config *)0)->run_name * 3];
    if (mmt__safe_name(name, safe, sizeof safe) != 0 || strlen(safe) > 200)
        return mmt__diag(d, MMT_EINVAL, "", 0,
                         "%s: the name '%s' is too long for a file name (its safe form, "
                         "doc/study.md \"Names\", has more than 200 bytes)",
                         what, shown);
    return 0;
}

void mmt__name_show(const char *name, char *buf, size_t cap)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && n + 5 < cap; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", *p);
        else
            buf[n++] = (char)*p;
    }
    buf[n] = '\0';
}

void mmt__csv_put(mmt__buf *b, const char *s)
{
    size_t n = strlen(s);
    int quote = n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
    if (!quote && !s[strcspn(s, ",\"\r\n")]) {
        mmt__buf_printf(b, "%s", s);
        return;
    }
    size_t need = csv_write(NULL, 0, s, n); /* libcsv: quoted, each quote doubled */
    char *q = malloc(need + 1);
    if (!q) {
        b->bad = 1;
        return;
    }
    csv_write(q, need, s, n);
    q[need] = '\0';
    mmt__buf_printf(b, "%s", q);
    free(q);
}
