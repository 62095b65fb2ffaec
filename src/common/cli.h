/*
 * cli.h - helpers shared by the mmtrace programs: diagnostics in GNU style, option parsing,
 * directories and atomic file copies. Exit codes: 0 ok, 1 error, 2 usage.
 */
#ifndef MMT_CLI_H
#define MMT_CLI_H

#include "mmtrace.h"

#include <getopt.h>

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

extern const char *cli_progname;

/* Prints "prog: file:line: message" (or without line when 0) to stderr. */
void cli_print_diag(const mmt_diag *d, const char *prefix);
/* mmt_warn_fn that prints "prog: file:line: warning: message". */
void cli_warn(void *ud, const mmt_diag *d);
/* The exit status of a library call that takes option values: 0, or 2 (MMT_EINVAL: a usage
 * error) or 1 (a bad file, out of memory) after printing d. */
int cli_lib_status(int e, const mmt_diag *d);
/* Prints "prog: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: the line cli_error prints (none when fmt is NULL: it is printed already),
 * then the --help hint; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The programs' one builder of system-error messages: prints "prog: FILE: WHAT: <reason>"
 * for the system call that just failed (errno; 0 counts as EIO), WHAT printf-formatted, and
 * returns -1 with errno unchanged. Library calls need none of this: their mmt_diag carries
 * the reason (cli_print_diag). */
int cli_sys_error(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a decimal option value in [lo, hi]; prints a usage error and returns -1 if bad. */
int cli_parse_long(const char *opt, const char *arg, long lo, long hi, long *out);
/* Parses --input-type's value (conv or gemm: *gemm 0 or 1); prints a usage error and returns
 * -1 if bad. */
int cli_parse_input_type(const char *arg, int *gemm);
/* Parses --scalesim's value (v2 or v3); prints a usage error and returns -1 if bad. */
int cli_parse_scalesim(const char *arg, mmt_scalesim *out);
/* mkdir -p (mmt_mkdirs); returns 0, or -1 after printing the diagnostic. */
int cli_mkdirs(const char *path);
/* Copies src to dst atomically (mmt_copy_file); prints a message naming the file at fault
 * and returns -1 on failure. */
int cli_copy_input(const char *src, const char *dst);
/* Usage check of a path option: an empty path prints "opt: the path is empty" and returns -1
 * (the caller exits 2). A NULL arg (option not given) is fine. */
int cli_check_path_arg(const char *opt, const char *arg);
/* After getopt_long returned '?' or ':' (optstring starting with ':', opterr = 0): prints one
 * line naming the bad option and the "Try 'PROG --help'" hint. */
void cli_bad_option(char **argv, int c);
/* Under an address-space limit (ulimit -v), keeps every thread on glibc's main malloc arena.
 * A thread arena reserves 64 MB aligned to 64 MB (a 128 MB mapping first); when the limit
 * refuses that, glibc retries the arena on every malloc of the thread and serves it with its
 * own mmap, so a worker thread paid four system calls per allocation: 200000 tiny layers
 * fused took 269 s instead of 4 s under ulimit -v 200000 (issue 8 item 10). Call first. */
void cli_init_malloc(void);
/* Flushes stdout; prints "standard output: write error" and returns -1 if anything failed. */
int cli_flush_stdout(void);
/* One getopt_long table of a program and a mode's: copies base (NULL-terminated) to out and
 * appends the entries of more whose names base lacks (a shared option keeps base's entry);
 * returns the entries written (out holds cap, the terminator included). */
size_t cli_merge_longopts(const struct option *base, const struct option *more, struct option *out,
                          size_t cap);
/* Last path component of path. */
const char *cli_basename(const char *path);

/* The disk check before a run (README, "Limits"): traces of about text bytes of text take at
 * least text / MMT_TRACE_BEST_RATIO bytes compressed. If that is more than the free space of the
 * filesystem holding dir, prints the estimate; returns -1 unless force (then it only warns). */
int cli_check_space(const char *dir, uint64_t text, int force);
/* The same for inodes: a run making `files` files and directories on a filesystem with fewer
 * free inodes is refused (unless force). Filesystems without an inode table always pass. */
int cli_check_inodes(const char *dir, uint64_t files, int force);
/* Both checks for a loaded run before anything is written (README "Limits"), from the
 * library's estimate (mmt_run_trace_text): gen 1, mmtrace-gen's traces, space and inodes;
 * gen 0, a replay's traces and its largest CALC spill file, space only. */
int cli_check_run_size(const mmt_run *run, int gen, int force);

#endif
