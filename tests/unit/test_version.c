/*
 * test_version.c - the version macros of mmtrace.h, mmt_version() and configure's AC_INIT
 * version must agree: a release that bumps one and forgets another fails here.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mmtrace.h"

#include <stdio.h>
#include <string.h>

/* The header's string is configure's version (AC_INIT in configure.ac). */
static void header_matches_configure(void **state)
{
    (void)state;
    assert_string_equal(MMT_VERSION_STRING, PACKAGE_VERSION);
}

/* The string, the three numbers and the hex form say the same version. */
static void parts_match_string(void **state)
{
    (void)state;
    char buf[64];
    snprintf(buf, sizeof buf, "%d.%d.%d", MMT_VERSION_MAJOR, MMT_VERSION_MINOR,
             MMT_VERSION_PATCH);
    assert_string_equal(buf, MMT_VERSION_STRING);
    assert_int_equal(MMT_VERSION_HEX,
                     (MMT_VERSION_MAJOR << 16) | (MMT_VERSION_MINOR << 8) | MMT_VERSION_PATCH);
}

/* The library reports the version of the header it was built from. */
static void library_matches_header(void **state)
{
    (void)state;
    assert_string_equal(mmt_version(), MMT_VERSION_STRING);
    assert_int_equal(mmt_version_hex(), MMT_VERSION_HEX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_matches_configure),
        cmocka_unit_test(parts_match_string),
        cmocka_unit_test(library_matches_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
