/*
 * cli.h - helpers shared by the mmtrace programs: diagnostics in GNU style, option parsing,
 * directories and atomic file copies. Exit codes: 0 ok, 1 error, 2 usage.
 */
#ifndef MMT_CLI_H
#define MMT_CLI_H

#include "mmtrace.h"

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

extern const char *cli_progname;

/* Prints "prog: file:line: message" (or without line when 0) to stderr. */
void cli_print_diag(const mmt_diag *d, const char *prefix);
/* mmt_warn_fn that prints "prog: file:line: warning: message". */
void cli_warn(void *ud, const mmt_diag *d);
/* Prints "prog: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parses a decimal option value in [lo, hi]; prints a usage error and returns -1 if bad. */
int cli_parse_long(const char *opt, const char *arg, long lo, long hi, long *out);
/* mkdir -p; returns 0 or -1 with errno set. */
int cli_mkdirs(const char *path);
/* Copies src to dst atomically (temporary name, then rename). */
int cli_copy_file(const char *src, const char *dst);
/* Last path component of path. */
const char *cli_basename(const char *path);

#endif
