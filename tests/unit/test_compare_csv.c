/*
 * test_compare_csv.c - compare.c reads the reports with libcsv (parse_table): the report
 * shapes --compare reads and the quoting corner cases give exactly the records and fields
 * libcsv's default mode gives (recorded from libcsv 3.0.3, the Debian package). compare.c
 * carried a hand copy of libcsv's rules until the library linked libcsv (issue 23 item 5);
 * these are the cases its differential test ran against libcsv.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/lib/report/compare.c" /* the reader is static */

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

/* The report shapes compare reads, and quoting corner cases: input and libcsv's records. */
static void test_known(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"LayerID, Total Cycles, Stall Cycles,\n0, 10, 0,\n1, 2.5, 0,\n",
         "[LayerID][Total Cycles][Stall Cycles][]|[0][10][0][]|[1][2.5][0][]|"},
        {"a,b\r\nc,d\r\n", "[a][b]|[c][d]|"},
        {"\n\n a , b \n", "[a][b]|"},
        {"\"x, y\",\"he said \"\"hi\"\"\"\n", "[x, y][he said \"hi\"]|"},
        {"\"ab\" c,d", "[ab\" c,d]|"},
        {"\"ab\" \" c\n", "[ab\" \" c\n]|"},
        {"\"unterminated, field\n", "[unterminated, field\n]|"},
        {"a,", "[a][]|"},
        {",", "[][]|"},
        {"\"\"", "[]|"},
        {"\"a\"\"\"", "[a\"]|"},
        {" \t", ""},
        {"x\"y\",z", "[x\"y\"][z]|"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        table T = {0};
        char got[4096];
        assert_int_equal(parse_table(cases[i][0], strlen(cases[i][0]), &T), 0);
        dump(&T, got, sizeof got);
        if (strcmp(got, cases[i][1]) != 0)
            fail_msg("input '%s': %s, expected %s", cases[i][0], got, cases[i][1]);
        table_free(&T);
    }
}

/* A report file read through read_table: a missing file and a directory are named. */
static void test_read_table(void **state)
{
    (void)state;
    table T;
    const char *why = NULL;
    assert_int_equal(read_table("/nonexistent/COMPUTE_REPORT.csv", &T, &why), -1);
    assert_string_equal(why, "missing");
    table_free(&T);
    assert_int_equal(read_table("/", &T, &why), -1);
    assert_string_equal(why, "not a regular file");
    table_free(&T);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known),
        cmocka_unit_test(test_read_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
