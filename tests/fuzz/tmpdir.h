/*
 * tmpdir.h - a per-process temporary directory for fuzz targets that need files.
 */
#ifndef MMT_FUZZ_TMPDIR_H
#define MMT_FUZZ_TMPDIR_H

/* The directory (made on first call, removed at exit when empty), or NULL if it cannot be
 * made. name goes into the directory's name. */
const char *fuzz_tmpdir(const char *name);

#endif
