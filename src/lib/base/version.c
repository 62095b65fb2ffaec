/*
 * version.c - the library's version at run time, to compare with MMT_VERSION_STRING, the
 * version of the header a program was compiled against.
 */
#include "mmtrace.h"

/* Returns the version of this build of libmmtrace, "MAJOR.MINOR.PATCH" (static storage). */
const char *mmt_version(void)
{
    return MMT_VERSION_STRING;
}

/* Returns the version as MMT_VERSION_HEX encodes it: 0xMMmmpp. */
unsigned mmt_version_hex(void)
{
    return MMT_VERSION_HEX;
}
