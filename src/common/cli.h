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
/* The programs' one builder of system-error messages: prints "prog: FILE: WHAT: <reason>"
 * for the system call that just failed (errno; 0 counts as EIO), WHAT printf-formatted, and
 * returns -1 with errno unchanged. Library calls need none of this: their mmt_diag carries
 * the reason (cli_print_diag). */
int cli_sys_error(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses a decimal option value in [lo, hi]; prints a usage error and returns -1 if bad. */
int cli_parse_long(const char *opt, const char *arg, long lo, long hi, long *out);
/* Parses --scalesim's value (v2 or v3); prints a usage error and returns -1 if bad. */
int cli_parse_scalesim(const char *arg, mmt_scalesim *out);
/* mkdir -p; returns 0 or -1 with errno set. */
int cli_mkdirs(const char *path);
/* Copies src to dst atomically (temporary name, fsync, then rename). */
int cli_copy_file(const char *src, const char *dst);
/* The same; with verbose, prints a message naming the file at fault (src when it cannot be
 * opened or read, dst when it cannot be written). Returns 0 or -1 with errno set. */
int cli_copy_input(const char *src, const char *dst, int verbose);
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
/* fsync of a directory, so the renames inside it survive a power loss. 0 or -1 (errno). */
int cli_fsync_dir(const char *dir);

/* Crash consistency (README "Limits and failures"): while a run replaces files under their
 * final names, RUNDIR/.mmtrace-incomplete records which kind of run it is; it is removed,
 * after every file and directory has been flushed to the disk, when the run has completed.
 * A directory holding it may mix old and new outputs. Kinds, each rewriting more than the
 * one before: */
enum { CLI_RUN_FUSED = 0, CLI_RUN_REPLAY = 1, CLI_RUN_GEN = 2 };
/* Returns 0 if rundir has no marker, or kind >= 0 and a run of that kind rewrites everything
 * the interrupted one was writing; else prints "RUNDIR: incomplete: ...; rerun PROG" and
 * returns -1. kind -1: only a complete directory is accepted (--compare). */
int cli_check_complete(const char *rundir, int kind);
/* Writes the marker (flushed, directory flushed). Prints a message and returns -1 on failure. */
int cli_mark_incomplete(const char *rundir, int kind);
/* Flushes rundir, removes the marker and flushes rundir again. */
int cli_mark_complete(const char *rundir);
/* Test hook: the N-th call, with MMTRACE_TEST_KILL_AFTER=N in the environment, kills the
 * process with SIGKILL (tests/failure.sh: a kill between the final renames). */
void cli_test_kill_point(void);
/* Last path component of path. */
const char *cli_basename(const char *path);

/* Takes an exclusive, non-blocking flock on dir/.mmtrace.lock, held until the process exits,
 * so two runs never write into one run directory at once. Prints a message and returns -1 if
 * another run holds it or it cannot be taken. */
int cli_lock_dir(const char *dir);
/* Removes, in dir and its layer<N>/ subdirectories (N digits only), the temporary files a
 * killed run of ours left behind: regular files named .mmtrace-tmp.<pid>.NAME (mmt_temp_path)
 * whose process no longer exists. Nothing else is touched. Call with the lock held. */
void cli_clean_stale(const char *dir);
/* Low estimate of the uncompressed text of one trace: 3 bytes per field (",-1" or ",N").
 * Returns -1 if it overflows 64 bits. */
int64_t cli_trace_text_estimate(int64_t rows, int64_t width);
/* The disk check before a run (README, "Limits"): traces of about text bytes of text take at
 * least text / CLI_BEST_RATIO bytes compressed. If that is more than the free space of the
 * filesystem holding dir, prints the estimate; returns -1 unless force (then it only warns). */
#define CLI_BEST_RATIO 100
int cli_check_space(const char *dir, uint64_t text, int force);
/* The same for inodes: a run making `files` files and directories on a filesystem with fewer
 * free inodes is refused (unless force). Filesystems without an inode table always pass. */
int cli_check_inodes(const char *dir, uint64_t files, int force);

#endif
