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
/* Parses --scalesim's value (v2 or v3); prints a usage error and returns -1 if bad. */
int cli_parse_scalesim(const char *arg, mmt_scalesim *out);
/* mkdir -p; returns 0 or -1 with errno set. */
int cli_mkdirs(const char *path);
/* Copies src to dst atomically (temporary name, then rename). */
int cli_copy_file(const char *src, const char *dst);
/* Last path component of path. */
const char *cli_basename(const char *path);

/* Takes an exclusive, non-blocking flock on dir/.mmtrace.lock, held until the process exits,
 * so two runs never write into one run directory at once. Prints a message and returns -1 if
 * another run holds it or it cannot be taken. */
int cli_lock_dir(const char *dir);
/* Removes, in dir and its layer<i>/ subdirectories, the temporary files a killed run of ours
 * leaves behind (NAME.tmp.XXXXXX, NAME.tmp.<pid>, NAME.replay-<pid>). Call with the lock held. */
void cli_clean_stale(const char *dir);
/* Low estimate of the uncompressed text of one trace: 3 bytes per field (",-1" or ",N").
 * Returns -1 if it overflows 64 bits. */
int64_t cli_trace_text_estimate(int64_t rows, int64_t width);
/* The disk check before a run (README, "Limits"): traces of about text bytes of text take at
 * least text / CLI_BEST_RATIO bytes compressed. If that is more than the free space of the
 * filesystem holding dir, prints the estimate; returns -1 unless force (then it only warns). */
#define CLI_BEST_RATIO 100
int cli_check_space(const char *dir, uint64_t text, int force);

#endif
