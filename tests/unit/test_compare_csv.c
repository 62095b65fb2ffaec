/*
 * test_compare_csv.c - compare.c's CSV reader (csv_char/csv_end) splits the reports exactly as
 * libcsv's default mode did before the library stopped linking libcsv: 200000 random strings
 * over the characters that matter (comma, quote, blank, tab, CR, LF, text) give the same
 * records and fields from both. libcsv is linked into this test only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/lib/report/compare.c" /* the reader is static */

#include <csv.h>

/* libcsv's callbacks, onto compare.c's record builder. */
static void lib_field(void *s, size_t len, void *data)
{
    on_field(s ? s : "", s ? len : 0, data);
}

static void lib_record(int c, void *data)
{
    (void)c;
    on_record(data);
}

/* The records of T as "[f1][f2]|[f1]|" into out. */
static void dump(const table *T, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < T->n && n < cap; i++) {
        for (size_t j = 0; j < T->r[i].n && n < cap; j++)
            n += (size_t)snprintf(out + n, cap - n, "[%s]", T->r[i].f[j]);
        if (n < cap)
            n += (size_t)snprintf(out + n, cap - n, "|");
    }
}

/* Reads in with both readers and checks they agree. */
static void check_same(const char *in, size_t len)
{
    table A = {0}, B = {0};
    struct csv_parser p;
    assert_int_equal(csv_init(&p, CSV_APPEND_NULL), 0);
    csv_parse(&p, in, len, lib_field, lib_record, &A);
    csv_fini(&p, lib_field, lib_record, &A);
    csv_free(&p);
    csvr c = {.T = &B};
    for (size_t i = 0; i < len; i++)
        csv_char(&c, in[i]);
    if (c.state != ROW)
        csv_end(&c, 1);
    free(c.buf);
    char a[4096], b[4096];
    dump(&A, a, sizeof a);
    dump(&B, b, sizeof b);
    if (strcmp(a, b) != 0)
        fail_msg("input '%.*s': libcsv %s, ours %s", (int)len, in, a, b);
    table_free(&A);
    table_free(&B);
}

/* The report shapes compare reads, and quoting corner cases. */
static void test_known(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "LayerID, Total Cycles, Stall Cycles,\n0, 10, 0,\n1, 2.5, 0,\n",
        "a,b\r\nc,d\r\n", "\n\n a , b \n", "\"x, y\",\"he said \"\"hi\"\"\"\n",
        "\"ab\" c,d", "\"ab\" \" c\n", "\"unterminated, field\n", "a,", ",", "\"\"",
        "\"a\"\"\"", " \t", "x\"y\",z"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_same(cases[i], strlen(cases[i]));
}

/* Random strings over the characters the reader treats specially. */
static void test_random(void **state)
{
    (void)state;
    static const char alphabet[] = "a, \"\t\r\nb";
    unsigned seed = 12345;
    char in[16];
    for (int it = 0; it < 200000; it++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % sizeof in;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        check_same(in, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
