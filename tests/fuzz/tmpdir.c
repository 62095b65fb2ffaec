/*
 * tmpdir.c - a per-process temporary directory for fuzz targets that need files.
 */
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[96];

/* Removes the directory at exit (the targets delete their files after each input). */
static void cleanup(void)
{
    if (dir[0])
        rmdir(dir);
}

const char *fuzz_tmpdir(const char *name)
{
    if (dir[0])
        return dir;
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/mmt-fuzz-%s-XXXXXX",
             base && *base && strlen(base) < 40 ? base : "/tmp", name);
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        return NULL;
    }
    atexit(cleanup);
    return dir;
}
