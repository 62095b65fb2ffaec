/*
 * mmtrace.h - the public interface of libmmtrace.
 *
 * libmmtrace reproduces the observable behaviour of SCALE-Sim v2 (commit 22f88b1): it reads
 * SCALE-Sim's .cfg and topology CSVs, derives each layer's operand addresses, streams the
 * per-cycle SRAM demand rows of a systolic array under the OS, WS or IS dataflow, and writes
 * them as SCALE-Sim's SRAM traces (gzip-compressed).
 *
 * Conventions: a call that can fail returns int, 0 on success or a negative MMT_E* code from
 * the one list below (system errors included: a full disk is MMT_ENOSPC, never errno). A call
 * that touches a file, and every parser, also fills the mmt_diag it is given (file, line,
 * message of the first error). The exceptions say so where they are declared, and are only:
 * stepping calls that return 1 for an item and 0 at the end (mmt_tracer_next,
 * mmt_tracer_line), formatters into the caller's buffer that return the length
 * (mmt_config_format, mmt_report_console*), mmt_pool_run (what a job returned), predicates
 * that return 1 or 0 (mmt_sim_folds_ok, mmt_tracer_is_gzip), and accessors that cannot fail
 * and return a value, never an error (names, counts, addresses, versions, mmt_strerror,
 * mmt_err_from_sys). The library never prints and never exits. Cycles, counts and addresses
 * are 64-bit. Opaque handles are made by mmt_x_new/open/read and released by mmt_x_free/close,
 * which accept NULL. The caller owns every handle and every buffer it is given; pointers into
 * a handle (mmt_topology_layer, mmt_tracer_line's text) live as long as it does.
 */
#ifndef MMTRACE_H
#define MMTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- version */

/* The version of this header; configure.ac's AC_INIT must say the same (test_version checks).
 * mmt_version() gives the library's, which may be newer than the header a program was built
 * with. */
#define MMT_VERSION_MAJOR 0
#define MMT_VERSION_MINOR 1
#define MMT_VERSION_PATCH 0
#define MMT_VERSION_STRING "0.1.0"
#define MMT_VERSION_HEX ((MMT_VERSION_MAJOR << 16) | (MMT_VERSION_MINOR << 8) | MMT_VERSION_PATCH)

/* Returns the library's version, "MAJOR.MINOR.PATCH", in static storage. */
const char *mmt_version(void);

/* Returns the library's version as MMT_VERSION_HEX encodes it, for numeric comparison. */
unsigned mmt_version_hex(void);

/* ---------------------------------------------------------------- errors */

/* X-macro list of error codes: name, message. The first group are mmtrace's own; the second
 * are the system errors a user meets reading and writing files, which every library call
 * returns in place of the C library's errno (mmt_err_from_sys maps one to the other, as
 * libuv does). Their messages are glibc's strerror() texts, so a message reads the same
 * whichever way it was built. Codes are never renumbered: new ones are added at the end. */
#define MMT_ERRNO_MAP(XX)                                                                 \
    XX(NOMEM, "out of memory")                                                            \
    XX(IO, "input/output error")                                                          \
    XX(PARSE, "malformed input")                                                          \
    XX(RANGE, "value out of range")                                                       \
    XX(OVERFLOW, "size overflows 64 bits")                                                \
    XX(INVAL, "invalid argument")                                                         \
    XX(ZLIB, "compression error")                                                         \
    XX(TRACE, "malformed trace")                                                          \
    XX(NOENT, "No such file or directory")                                                \
    XX(ACCES, "Permission denied")                                                        \
    XX(PERM, "Operation not permitted")                                                   \
    XX(NOSPC, "No space left on device")                                                  \
    XX(DQUOT, "Disk quota exceeded")                                                      \
    XX(FBIG, "File too large")                                                            \
    XX(ISDIR, "Is a directory")                                                           \
    XX(NOTDIR, "Not a directory")                                                         \
    XX(ROFS, "Read-only file system")                                                     \
    XX(MFILE, "Too many open files")                                                      \
    XX(NFILE, "Too many open files in system")                                            \
    XX(NAMETOOLONG, "File name too long")                                                 \
    XX(EXIST, "File exists")                                                              \
    XX(LOOP, "Too many levels of symbolic links")                                         \
    XX(AGAIN, "Resource temporarily unavailable")                                         \
    XX(TXTBSY, "Text file busy")

enum {
    MMT_OK = 0,
    MMT__EBASE = -100,
#define MMT__XX(name, msg) MMT_E##name,
    MMT_ERRNO_MAP(MMT__XX)
#undef MMT__XX
};

/* The MMT_E* code of a C library errno value: ENOSPC gives MMT_ENOSPC, ENOMEM MMT_ENOMEM,
 * EINVAL MMT_EINVAL; a value with no code of its own (and 0) gives MMT_EIO. For programs that
 * make system calls of their own and want one error scheme; the library calls it itself. */
int mmt_err_from_sys(int sys_errno);

/* Returns a static English message for an error code. */
const char *mmt_strerror(int err);

/* Where and why a call failed: the file (input or output) at fault, the 1-based line and
 * column (0: not known or not a text position) and a one-line message. Every call that
 * touches a file fills one on failure, when given one; a failure of the system (a full
 * disk, a missing file) has the system's reason at the end of the message. */
typedef struct mmt_diag {
    char file[512];
    long line;
    long column;
    char message[512];
} mmt_diag;

/* Called for each warning a reader emits; the diag is only valid during the call. */
typedef void (*mmt_warn_fn)(void *ud, const mmt_diag *d);

/* ---------------------------------------------------------------- config (.cfg) */

typedef enum { MMT_DF_OS = 0, MMT_DF_WS = 1, MMT_DF_IS = 2 } mmt_dataflow;

/* Which SCALE-Sim's observable behaviour to reproduce: v2 (commit 22f88b1, the default) or
 * v3.0.0 for dense runs (doc/scalesim-v3.md). */
typedef enum { MMT_SCALESIM_V2 = 0, MMT_SCALESIM_V3 = 1 } mmt_scalesim;

/* A SCALE-Sim v2 architecture configuration. Sizes in KB (1 word = 1 byte). */
typedef struct mmt_config {
    char run_name[256];
    int64_t array_h;       /* R: rows of PEs (ArrayHeight) */
    int64_t array_w;       /* C: columns of PEs (ArrayWidth) */
    int64_t ifmap_kb;      /* IfmapSramSzkB */
    int64_t filter_kb;     /* FilterSramSzkB */
    int64_t ofmap_kb;      /* OfmapSramSzkB */
    int64_t ifmap_offset;  /* IfmapOffset: address base of the ifmap */
    int64_t filter_offset; /* FilterOffset */
    int64_t ofmap_offset;  /* OfmapOffset */
    int user_bw;           /* 1: InterfaceBandwidth USER, 0: CALC */
    int64_t bandwidth;     /* Bandwidth[0], words/cycle; 0 when absent (CALC) */
    mmt_dataflow dataflow; /* Dataflow */
    /* [precision] (mmtrace only; SCALE-Sim ignores the section): operand widths in thousandths
     * of a bit, indexed by mmt_operand; 0 means the default, 8 bits. has_precision: the
     * section was present (mmtrace-replay then also writes BYTES_REPORT.csv). */
    int has_precision;
    int32_t bits_milli[3];
    /* SCALE-Sim v3 (doc/scalesim-v3.md §V3.2); all zero for a v2 read. */
    mmt_scalesim version;  /* the version the file was read for */
    int v3_format;         /* the file has v3's sections or keys ([layout], [sparsity], ...) */
    int64_t bank_bw[2];    /* v3: Ifmap/FilterSRAMBankBandwidth: the USER read bandwidths */
    int64_t bank_num[2];   /* v3: Ifmap/FilterSRAMBankNum */
    /* [memory] (mmtrace only, doc/memory.md; SCALE-Sim ignores the section): the memory
     * policy, MMT_MEM_SCALESIM (0, SCALE-Sim's model, the default) or MMT_MEM_STREAM; the
     * DRAMsim3-format .ini of Dram (resolved against the cfg's folder; "" for the ideal memory
     * at Bandwidth bytes per cycle) and ClockMHz, the array clock (0: none). has_memory: the
     * section was present or an option set the policy (reports then carry the bounds). */
    int has_memory;
    int mem_policy;
    char dram_path[1024];
    double clock_mhz;
} mmt_config;

/* The memory policies of [memory] Policy. */
#define MMT_MEM_SCALESIM 0
#define MMT_MEM_STREAM 1
/* Parses "scalesim" or "stream"; MMT_EINVAL for anything else. */
int mmt_memory_parse(const char *s, int *out);
/* The policy's name: "scalesim" or "stream". */
const char *mmt_memory_name(int policy);
/* Applies command-line overrides to a cfg read from cfg_path (NULL: names are taken as
 * given): policy (< 0: keep), dram (NULL: keep; "" removes it), clock_mhz (<= 0: keep). A
 * stream policy needs Bandwidth (USER) or Dram, and Dram needs a clock: MMT_EINVAL with the
 * reason in diag otherwise. */
int mmt_config_set_memory(mmt_config *cfg, int policy, const char *dram, double clock_mhz,
                          mmt_diag *diag);
/* Lowest IfmapOffset/FilterOffset/OfmapOffset accepted, -2^53, and the highest operand address,
 * 2^53: SCALE-Sim accepts any offset but keeps addresses in float64 matrices, exact only between
 * these two (doc/scalesim-v2.md §4.1). */
#define MMT_MIN_OFFSET (-((int64_t)1 << 53))
#define MMT_MAX_ADDRESS ((int64_t)1 << 53)

/* Largest cfg, topology CSV or config.json read, in bytes (inputs are read whole). */
#define MMT_MAX_INPUT_BYTES ((size_t)256 << 20)

/* Largest USER-mode Bandwidth accepted, in words per cycle: the read and write buffers hold
 * rows this wide and every DRAM trace row has this many fields (SCALE-Sim v2 builds its fetch
 * matrix this wide). */
#define MMT_MAX_BANDWIDTH ((int64_t)1 << 20)

/* Reads a .cfg with Python configparser rules (doc/scalesim-v2.md §2). Warnings go to warn (may be NULL). */
int mmt_config_read(const char *path, mmt_config *cfg, mmt_diag *diag, mmt_warn_fn warn,
                    void *ud);

/* Parses a .cfg held in memory; name is used in diagnostics only. */
int mmt_config_parse(const char *name, const char *text, size_t len, mmt_config *cfg,
                     mmt_diag *diag, mmt_warn_fn warn, void *ud);

/* Same as mmt_config_read/mmt_config_parse, for the cfg format and semantics of SCALE-Sim
 * version v. v3 requires v3's keys and refuses sparsity, custom layouts and Ramulator
 * (doc/scalesim-v3.md §V3.2). In v2 mode a cfg in v3's format gets one warning. */
int mmt_config_read_version(const char *path, mmt_scalesim v, mmt_config *cfg, mmt_diag *diag,
                            mmt_warn_fn warn, void *ud);
int mmt_config_parse_version(const char *name, const char *text, size_t len, mmt_scalesim v,
                             mmt_config *cfg, mmt_diag *diag, mmt_warn_fn warn, void *ud);

/* Parses "v2" or "v3"; MMT_EINVAL for anything else. */
int mmt_scalesim_parse(const char *s, mmt_scalesim *out);

/* The dataflow's short name: "os", "ws" or "is". */
const char *mmt_dataflow_name(mmt_dataflow df);

/* Formats cfg as a SCALE-Sim .cfg (the layout of topologies/hw/<name>.cfg) into buf; returns
 * the length, or a negative error if it does not fit (config_write.c). */
int mmt_config_format(const mmt_config *cfg, char *buf, size_t cap);
/* Writes that text to path atomically. */
int mmt_config_write(const char *path, const mmt_config *cfg, mmt_diag *diag);

/* ---------------------------------------------------------------- thread pool */

/* Runs fn(ud, i) for i = 0..njobs-1 on up to nthreads threads (pool.c), in order of i as
 * threads free up; stops handing out jobs once one returns non-zero and returns that value.
 * tick (may be NULL) is called on the caller's thread about every 200 ms and at the end with
 * the jobs finished so far. */
typedef int (*mmt_pool_job_fn)(void *ud, size_t i);
typedef void (*mmt_pool_tick_fn)(void *ud, size_t done, size_t total);
int mmt_pool_run(size_t njobs, long nthreads, mmt_pool_job_fn fn, void *ud,
                 mmt_pool_tick_fn tick, void *tick_ud);

/* ---------------------------------------------------------------- topology CSV */

/* One layer as SCALE-Sim v2 holds it: conv dimensions (GEMM rows are mapped onto them). */
typedef struct mmt_layer {
    char *name;               /* owned by the topology; never appears in any output */
    int64_t ifmap_h, ifmap_w; /* H, W */
    int64_t filt_h, filt_w;   /* FH, FW */
    int64_t channels;         /* Cin */
    int64_t num_filt;         /* N */
    int64_t stride_h, stride_w;
    long line; /* 1-based line of the topology row it came from */
} mmt_layer;

typedef struct mmt_topology mmt_topology;

/* Reads a topology CSV (doc/scalesim-v2.md §3): gemm != 0 for the M,N,K format. The result is owned by the
 * caller (mmt_topology_free). DP rows are expanded per channel. MMT_ERANGE beyond 2^20
 * layers or 64 MiB of layer names (each expanded layer holds a copy of its row's name). */
int mmt_topology_read(const char *path, int gemm, mmt_topology **out, mmt_diag *diag,
                      mmt_warn_fn warn, void *ud);
int mmt_topology_parse(const char *name, const char *text, size_t len, int gemm,
                       mmt_topology **out, mmt_diag *diag, mmt_warn_fn warn, void *ud);
/* Same, with the row format of SCALE-Sim version v (v3: one stride, an N:M ratio field;
 * doc/scalesim-v3.md §V3.3). */
int mmt_topology_read_version(const char *path, int gemm, mmt_scalesim v, mmt_topology **out,
                              mmt_diag *diag, mmt_warn_fn warn, void *ud);
int mmt_topology_parse_version(const char *name, const char *text, size_t len, int gemm,
                               mmt_scalesim v, mmt_topology **out, mmt_diag *diag,
                               mmt_warn_fn warn, void *ud);
void mmt_topology_free(mmt_topology *t);
size_t mmt_topology_count(const mmt_topology *t);
const mmt_layer *mmt_topology_layer(const mmt_topology *t, size_t i);

/* ---------------------------------------------------------------- layer geometry */

/* The three operands of a layer, in SCALE-Sim's order. */
typedef enum { MMT_OP_IFMAP = 0, MMT_OP_FILTER = 1, MMT_OP_OFMAP = 2 } mmt_operand;

/* Largest array side accepted (a trace row is this wide). */
#define MMT_MAX_ARRAY_DIM 65536

/* Derived per-layer quantities (doc/scalesim-v2.md §3.3, §5). All products are overflow-checked. */
typedef struct mmt_geom {
    int64_t H, W, FH, FW, Cin, N, SH, SW;
    int64_t OH, OW;   /* ceil output size */
    int64_t P;        /* OH*OW: ofmap pixels per filter (GEMM M) */
    int64_t K;        /* FH*FW*Cin: window size */
    int64_t macs;     /* P*N*K */
    int64_t ifoff, filoff, ofoff;
    mmt_dataflow df;
    int64_t R, C;     /* array rows and columns */
    int64_t Sr, Sc, T; /* spatial rows, spatial columns, temporal size */
    int64_t row_fold, col_fold, folds;
    int64_t L;        /* demand rows per fold */
    int64_t rows;     /* folds*L: demand rows of the layer */
    int64_t sram_ifmap_reads, sram_filter_reads, sram_ofmap_writes; /* as SCALE-Sim reports */
} mmt_geom;

/* Fills g for layer l under cfg. Returns MMT_ERANGE (zero/negative size, filter larger than
 * the ifmap, an offset below MMT_MIN_OFFSET or an address above MMT_MAX_ADDRESS) or
 * MMT_EOVERFLOW, with the reason in diag->message. */
int mmt_geom_init(mmt_geom *g, const mmt_layer *l, const mmt_config *cfg, mmt_diag *diag);

/* Operand addresses (doc/scalesim-v2.md §4); -1 means "no element". */
int64_t mmt_geom_ifmap_addr(const mmt_geom *g, int64_t p, int64_t j);
int64_t mmt_geom_filter_addr(const mmt_geom *g, int64_t k, int64_t n);
int64_t mmt_geom_ofmap_addr(const mmt_geom *g, int64_t p, int64_t n);

/* The address range [*lo, *hi) of an operand (doc/scalesim-v2.md §4); addresses in its traces lie there or
 * are -1. mmt_geom_init has checked that hi does not overflow. */
void mmt_geom_operand_range(const mmt_geom *g, mmt_operand op, int64_t *lo, int64_t *hi);

/* Addresses per demand row (and per SRAM trace row, after the cycle) of an operand: R, C, C;
 * IS swaps the first two (doc/scalesim-v2.md §5). */
int64_t mmt_geom_width(const mmt_geom *g, mmt_operand op);

/* Mapping efficiency and compute utilisation of fold f (fold order: col fold outer), by
 * SCALE-Sim v2's rule. (v3.0.0's WS rule gives one fold one PE less when a filter address is
 * -1, a negative FilterOffset; the layer results apply it: doc/scalesim-v3.md §V3.7.) */
double mmt_geom_fold_mapping_eff(const mmt_geom *g, int64_t f);
double mmt_geom_fold_compute_util(const mmt_geom *g, int64_t f);

/* ---------------------------------------------------------------- trace text */

/* Temporary file names: DIR/.mmtrace-tmp.<pid>.BASE for the final path DIR/BASE, written by
 * process pid. Every file mmtrace writes goes under such a name first, is flushed to the disk
 * (fsync) and renamed into place. mmt_temp_path fills buf (cap bytes); MMT_EINVAL if too long.
 * mmt_temp_pid returns the pid in a file name (no directory) of that form, or 0 if it is not
 * one: how a later run tells our dead temporaries from a user's files. */
int mmt_temp_path(const char *path, long pid, char *buf, size_t cap);
long mmt_temp_pid(const char *name);

/* A gzip trace file written under a temporary name (mmt_temp_path), flushed and renamed
 * into place by close. The caller owns the writer until close or abort frees it. The first
 * failure (a full disk: MMT_ENOSPC) is latched: every later call returns it, and
 * mmt_tracew_close returns it with its diagnostic ("PATH: cannot write trace: REASON") and
 * discards the file. Compression runs on a thread of the writer's own. */
typedef struct mmt_tracew mmt_tracew;

/* level: zlib level 0..9. The file appears at path only after a successful close. A failure
 * fills diag (may be NULL). */
int mmt_tracew_open(const char *path, int level, mmt_tracew **out, mmt_diag *diag);
/* Appends "cycle,v0,v1,...\n" with %i formatting (SRAM traces). */
int mmt_tracew_row(mmt_tracew *w, int64_t cycle, const int64_t *vals, int64_t n);
/* Same, for a row known to be -1 outside columns [lo, hi) (0 <= lo <= hi <= n). */
int mmt_tracew_row_range(mmt_tracew *w, int64_t cycle, const int64_t *vals, int64_t n,
                         int64_t lo, int64_t hi);
/* Appends raw text. */
int mmt_tracew_write(mmt_tracew *w, const char *text, size_t len);
/* Flushes, closes and renames into place; or, after a failure, discards the file and fills
 * diag (may be NULL) with the first failure's reason. Frees w whatever the result. */
int mmt_tracew_close(mmt_tracew *w, mmt_diag *diag);
/* Discards the temporary file. Frees w. Accepts NULL. */
void mmt_tracew_abort(mmt_tracew *w);
/* Uncompressed bytes written so far (a count, not an error code). */
uint64_t mmt_tracew_bytes(const mmt_tracew *w);

/* ---------------------------------------------------------------- memory model (doc/scalesim-v2.md §6-7) */

/* One layer's results: everything the three reports and the console summary print. */
typedef struct mmt_layer_result {
    int64_t total_cycles, stall_cycles;
    double overall_util;      /* Overall Util %: macs*100 / (total*R*C) */
    double mapping_eff;       /* Mapping Efficiency %: pysum of per-fold values / folds * 100 */
    double compute_util;      /* Compute Util % */
    int64_t macs;
    /* SRAM start/stop: serve cycle of the first/last trace row with any address != -1.
     * has_sram[op] == 0 means no such row: SCALE-Sim prints int 0, not a float. */
    int has_sram[3];
    int64_t sram_start[3], sram_stop[3];
    int64_t sram_count[3];    /* IFMAP reads, Filter reads, OFMAP writes (doc/scalesim-v2.md §5 table) */
    int64_t dram_start[3], dram_stop[3]; /* first/last DRAM trace row cycle */
    int64_t dram_count[3];    /* DRAM IFMAP reads, Filter reads, OFMAP writes */
} mmt_layer_result;

/* Which engine mmt_sim_run uses. ROWS feeds every demand row through the buffers; FOLDS
 * works fold by fold (closed-form counts, the buffers advanced per fold) and gives the same
 * results, but covers only the layers it can prove exact (mmt_sim_folds_ok): a run without
 * traces in SCALE-Sim v2 mode (CALC or USER, any operand width) of a layer whose ifmap
 * addresses are distinct with no -1 holes (GEMMs, convs whose windows tile the ifmap). AUTO (the default, 0) takes FOLDS where it can and
 * ROWS elsewhere. */
typedef enum { MMT_ENGINE_AUTO = 0, MMT_ENGINE_ROWS = 1, MMT_ENGINE_FOLDS = 2 } mmt_engine;

/* How a simulation emits its outputs. Every path may be NULL: that output is not written. */
typedef struct mmt_sim_opts {
    const char *dram_trace_path[3]; /* DRAM traces (gzip) by operand */
    const char *sram_trace_path[3]; /* stall-adjusted SRAM traces (gzip) by operand */
    int gzip_level;
    int py311_sum; /* 1: naive left-to-right sum (Python <= 3.11) instead of Neumaier */
    /* Optional: when a trace, or a CALC DRAM trace's temporary spill file (NAME.spill.XXXXXX
     * beside the trace, unlinked at once), cannot be created, written or read, its name and
     * the reason go here and the call returns the code (MMT_ENOSPC for a full disk). */
    mmt_diag *diag;
    mmt_engine engine; /* mmt_sim_run only; FOLDS on a layer it cannot do gives MMT_EINVAL */
} mmt_sim_opts;

/* One layer's memory system: ifmap and filter read buffers (USER or CALC), the ofmap write
 * buffer, and stall accounting (doc/scalesim-v2.md §7.1). Rows go in with mmt_sim_step in demand order. */
typedef struct mmt_sim mmt_sim;

int mmt_sim_new(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o,
                mmt_sim **out);
/* Feeds demand row i (the widths of mmt_geom_width). served[op] receives the cycle each
 * operand's row was served: the first column of the stall-adjusted SRAM trace. */
int mmt_sim_step(mmt_sim *s, const int64_t *ifmap_row, const int64_t *filter_row,
                 const int64_t *ofmap_row, int64_t served[3]);
/* Runs the end-of-layer steps (CALC finish, final drain), closes the traces and fills res. */
int mmt_sim_finish(mmt_sim *s, mmt_layer_result *res);
/* Frees s; any trace not yet closed is discarded. Accepts NULL. */
void mmt_sim_free(mmt_sim *s);

/* Fused path: generates the demand rows in memory and feeds them to a simulation, or runs
 * the fold engine (o->engine). */
int mmt_sim_run(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o,
                mmt_layer_result *res);
/* Whether res could have come from simulating g under cfg (sim_check.c): the counts and
 * percentages the model derives from the geometry (SRAM accesses, the three utilisations
 * given the result's own Total Cycles) must be exactly what it would report, and the
 * relations between cycles, stalls and DRAM accesses that the model guarantees must hold.
 * Meant for results read back from outside (the study's layer cache). 0, or MMT_EPARSE with
 * the first disagreement in d (may be NULL). */
int mmt_sim_result_check(const mmt_config *cfg, const mmt_geom *g, const mmt_layer_result *res,
                         mmt_diag *d);

/* Largest first prefetch block of a CALC-mode DRAM trace, in rows. The block spreads
 * floor(S/100) words of an S-word SRAM over rows of 10 (the base bandwidth): an SRAM of 2^40
 * KB makes it 10^12 rows, which SCALE-Sim v2 builds as one numpy array (80 TB) and mmtrace
 * would write for days. mmtrace-replay refuses such a layer before writing anything. */
#define MMT_MAX_CALC_BLOCK_ROWS ((int64_t)1 << 32)

/* Largest ifmap or filter of a USER-mode layer, in addresses: the USER read buffer indexes
 * every address of its operand (4 bytes each, 8 or more when addresses repeat), so 2^32
 * addresses already take 16 GiB. */
#define MMT_MAX_USER_SPAN ((int64_t)1 << 32)

/* Refuses (MMT_ERANGE, diag with line, no file) a layer the memory model cannot hold,
 * before anything is allocated: a USER-mode operand over MMT_MAX_USER_SPAN addresses. */
int mmt_sim_check(const mmt_config *cfg, const mmt_geom *g, long line, mmt_diag *diag);

/* Rows of the first prefetch block of operand op's CALC DRAM trace (a lower bound of the
 * trace's rows) in *rows; 0 for the ofmap and in USER mode. */
int mmt_sim_dram_rows_min(const mmt_config *cfg, mmt_operand op, int64_t *rows);

/* 1 if the fold engine can run this layer exactly with these options, else 0 with a short
 * reason ("traces requested", "conv layer whose ifmap windows overlap ...", ...) in *why
 * (may be NULL). */
int mmt_sim_folds_ok(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o,
                     const char **why);

/* NULL if the stream memory policy (doc/memory.md) can run this layer with these options,
 * else the reason: traces requested (it runs on the fused path only), SCALE-Sim v3 mode, a
 * conv layer whose ifmap windows overlap or run off the ifmap. */
const char *mmt_sim_stream_ok(const mmt_config *cfg, const mmt_geom *g, const mmt_sim_opts *o);

/* The engine's name ("auto", "rows", "folds"), and the reverse (MMT_EINVAL if unknown). */
const char *mmt_engine_name(mmt_engine e);
int mmt_engine_parse(const char *name, mmt_engine *out);

/* ---------------------------------------------------------------- reports (doc/scalesim-v2.md §8) */

/* Writes COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv into dir,
 * each atomically. */
int mmt_report_write(const char *dir, const mmt_layer_result *res, size_t n, mmt_diag *diag);
/* Same, with the columns of SCALE-Sim version v (v3: COMPUTE_REPORT's "Total Cycles (incl.
 * prefetch)", doc/scalesim-v3.md §V3.7). */
int mmt_report_write_version(const char *dir, const mmt_layer_result *res, size_t n,
                             mmt_scalesim v, mmt_diag *diag);

/* mmt_report_write_version with flags: MMT_WRITE_NOSYNC writes each report under a temporary
 * name and renames it into place, as always (a killed process never leaves a partial report
 * under its final name), but does not flush it to the disk first: SCALE-Sim's own
 * open/write/close, without the fsync that makes it survive a power loss. For callers that
 * run thousands of tiny runs (the Python drop-in, mmtrace.scalesim); 0 is
 * mmt_report_write_version. Unknown flags: MMT_EINVAL. */
#define MMT_WRITE_NOSYNC 1u
int mmt_report_write_flags(const char *dir, const mmt_layer_result *res, size_t n,
                           mmt_scalesim v, unsigned flags, mmt_diag *diag);

/* The same reports written one layer at a time, so a run of 2^20 layers keeps no result
 * once its rows are out (issue 8 item 10). open creates the reports under temporary names
 * in dir (mmt_temp_path) with their headers, and also BYTES_REPORT.csv when bytes_cfg is not
 * NULL (its [precision] gives the widths; the stream keeps a copy); add appends the rows of
 * the next layer (0, 1, ...); commit flushes the files to the disk and renames them into
 * place (COMPUTE, BANDWIDTH, DETAILED_ACCESS, BYTES), then frees the stream. free (without
 * commit) removes the temporaries; it accepts NULL. Errors name the report in diag. */
typedef struct mmt_report_stream mmt_report_stream;
int mmt_report_stream_open(const char *dir, mmt_scalesim v, const mmt_config *bytes_cfg,
                           mmt_report_stream **out, mmt_diag *diag);
int mmt_report_stream_add(mmt_report_stream *s, const mmt_layer_result *res, mmt_diag *diag);
int mmt_report_stream_commit(mmt_report_stream *s, mmt_diag *diag);
void mmt_report_stream_free(mmt_report_stream *s);

/* The text of one report (which: 0 COMPUTE, 1 BANDWIDTH, 2 DETAILED_ACCESS) for res[0..n-1],
 * header included, in a buffer the caller frees. */
int mmt_report_format(int which, const mmt_layer_result *res, size_t n, char **out,
                      size_t *len);
/* Reads dir/COMPUTE_REPORT.csv and dir/DETAILED_ACCESS_REPORT.csv (SCALE-Sim's or ours) into
 * res[0..cap-1], strictly as SCALE-Sim writes them (report_reader.c); *n gets the layer count.
 * Fills the fields the two reports hold (not macs). MMT_EPARSE with file and line otherwise. */
int mmt_report_read(const char *dir, size_t cap, mmt_layer_result *res, size_t *n,
                    mmt_diag *diag);
/* Parses the text of one report (detailed = 0: COMPUTE, 1: DETAILED_ACCESS); name is the file
 * named in diagnostics. */
int mmt_report_parse(int detailed, const char *name, const char *text, size_t len,
                     mmt_layer_result *res, size_t cap, size_t *n, mmt_diag *diag);

/* Formats SCALE-Sim's per-layer console summary (from "Compute cycles:" to the last
 * "Average OFMAP DRAM BW" line) into buf; returns the length or a negative error. */
int mmt_report_console(char *buf, size_t cap, const mmt_layer_result *res);
/* The same for a SCALE-Sim version: v3.0.0 adds "Total cycles" and the three SRAM
 * bandwidths (doc/scalesim-v3.md §V3.8). */
int mmt_report_console_version(char *buf, size_t cap, const mmt_layer_result *res,
                               mmt_scalesim version);

/* ---------------------------------------------------------------- bounds (doc/memory.md) */

/* What no memory policy can beat, for one layer on one cfg: the compute bound (the layer's
 * Total Cycles without a stall: demand rows - 1), the bytes that must cross DRAM (every operand
 * once, packed at its [precision] width), the bytes bound (those bytes over the peak
 * bandwidth: Bandwidth bytes per cycle, or the DRAM model's peak at ClockMHz; 0 when there is
 * no bandwidth, a CALC cfg under SCALE-Sim's policy) and their maximum. Cycles round up. */
typedef struct mmt_layer_bounds {
    int64_t compute_cycles, bytes, bytes_cycles, bound_cycles;
} mmt_layer_bounds;
int mmt_sim_bounds(const mmt_config *cfg, const mmt_geom *g, mmt_layer_bounds *out);

/* What the stream policy takes from a DRAMsim3-format .ini (doc/memory.md "The DRAM
 * coupling"), measured once per .ini and process on the DRAM model (mmtrace_dram.h): its peak
 * bandwidth, the bandwidth it sustains on a stream of sequential reads, the latency of one read
 * on an idle memory, and the energy per byte read and written on those streams (DRAMsim3's
 * accounting, its per-cycle "pJ" scaled by tCK to pJ). Safe from many threads. */
typedef struct mmt_memory_char {
    double peak_gbs, sustained_gbs, latency_ns, read_pj_per_byte, write_pj_per_byte;
    /* the read stream's DRAMsim3 statistics: row hits over read commands, its average and
     * largest read latency (ns, queueing at full rate included); the clock and request size */
    double row_hit_rate, avg_read_latency_ns, max_read_latency_ns, tck_ns;
    uint32_t request_bytes;
} mmt_memory_char;
int mmt_memory_characterise(const char *ini, mmt_memory_char *out, mmt_diag *diag);

/* ---------------------------------------------------------------- operand widths */

/* Widths are in thousandths of a bit: 1.58 bits is 1580. A cfg holds them from its optional
 * [precision] section (IfmapBits, FilterBits, OfmapBits: 1 to 32 with at most three decimals).
 * Every rule below is exact integer arithmetic rounded once: a fraction is never rounded to
 * a whole number of bits first. At 8 bits each rule gives SCALE-Sim's own figure. */
#define MMT_BITS_DEFAULT 8000
#define MMT_BITS_MIN 1000
#define MMT_BITS_MAX 32000
/* SCALE-Sim v2: the CALC-mode read buffers start from a base bandwidth of 10 words (bytes). */
#define MMT_CALC_BASE_BW 10

/* The width of operand op in cfg (MMT_BITS_DEFAULT when the cfg does not set it). */
int32_t mmt_precision_bits(const mmt_config *cfg, mmt_operand op);

/* Parses a width ("2", "1.58", "1.667"; already stripped) into thousandths of a bit.
 * MMT_EPARSE if it is not such a decimal, MMT_ERANGE if it lies outside 1..32. */
int mmt_precision_parse_bits(const char *s, size_t len, int32_t *out);

/* Elements of `bits` width an SRAM of kb KB holds: floor(kb * 1024 * 8 / bits). */
int mmt_precision_elems(int64_t kb, int32_t bits, int64_t *out);
/* Elements of `bits` width bytes_per_cycle bytes move per cycle: floor(B * 8 / bits);
 * MMT_ERANGE when that is 0 (less than one element per cycle cannot be modelled). */
int mmt_precision_bw(int64_t bytes_per_cycle, int32_t bits, int64_t *out);
/* Bytes that count densely packed elements take: ceil(count * bits / 8). */
int mmt_precision_bytes(int64_t count, int32_t bits, int64_t *out);

/* The SRAM size of operand op in elements, as the memory model uses it. */
int mmt_precision_sram_elems(const mmt_config *cfg, mmt_operand op, int64_t *out);
/* The DRAM bandwidth of operand op in elements per cycle, as the memory model uses it: USER,
 * the Bandwidth bytes; CALC, the base bandwidth (MMT_CALC_BASE_BW bytes) of the read buffers
 * and, for the ofmap, the array width C in elements (SCALE-Sim's rule, width-independent). */
int mmt_precision_dram_bw(const mmt_config *cfg, mmt_operand op, int64_t *out);

/* A layer's traffic in bytes, by operand: the SRAM and DRAM counts of mmt_layer_result at the
 * cfg's widths (DRAM counts keep SCALE-Sim's USER-mode rule that -1 slots are transfers). */
typedef struct mmt_layer_bytes {
    int64_t sram[3], dram[3];
} mmt_layer_bytes;
int mmt_precision_layer_bytes(const mmt_config *cfg, const mmt_layer_result *res,
                              mmt_layer_bytes *out);

/* Simulates layer l on the fused path with the widths bits[op] (thousandths of a bit) in place
 * of cfg's, and gives its stall-inclusive result and, if bytes is not NULL, its bytes per
 * operand. For studies that give each layer its own widths (1-bit projections beside 8-bit
 * attention heads). A width the cfg reader would refuse is MMT_ERANGE or MMT_EOVERFLOW; a
 * layer the model cannot simulate returns its error; diag (file "") says why. */
int mmt_precision_run(const mmt_config *cfg, const int32_t bits[3], const mmt_layer *l,
                      mmt_layer_result *res, mmt_layer_bytes *bytes, mmt_diag *diag);

/* Writes BYTES_REPORT.csv into dir atomically: per layer, the bytes of
 * mmt_precision_layer_bytes ("LayerID, SRAM IFMAP Bytes Read, ..., DRAM OFMAP Bytes Written,"). */
int mmt_report_bytes_write(const char *dir, const mmt_config *cfg, const mmt_layer_result *res,
                           size_t n, mmt_diag *diag);

/* ---------------------------------------------------------------- trace reading */

/* Reads a trace file one line at a time: gzip or plain text, told apart by its first bytes
 * (zlib reads plain files transparently). Every line must end with '\n' ("\r\n" is accepted).
 * SRAM trace rows ("cycle,a0,...,a(w-1)", %i integers) are parsed by a hand-written parser.
 * The reader is owned by the caller and released by mmt_tracer_close. Errors fill the diag
 * with the file, the 1-based line and (for a bad field) the column. */
typedef struct mmt_tracer mmt_tracer;

/* Opens path for reading. A missing or unreadable file gives its system error (MMT_ENOENT,
 * MMT_EACCES, ...), a directory MMT_EISDIR, a FIFO or device MMT_EIO; the reason is in diag. */
int mmt_tracer_open(const char *path, mmt_tracer **out, mmt_diag *diag);

/* From now on mmt_tracer_next accepts in its address columns only -1 and values in [lo, hi);
 * what (e.g. "ifmap", kept by pointer) names the operand in messages. */
void mmt_tracer_set_range(mmt_tracer *t, int64_t lo, int64_t hi, const char *what);

/* Refuses (MMT_ETRACE) a line longer than bytes, without reading all of it; 0: no limit (the
 * default). mmt_tracer_next sets the limit to the widest row of its width, so a 2 GiB line
 * is refused after reading about that much, not held in memory. */
void mmt_tracer_set_max_line(mmt_tracer *t, size_t bytes);

/* Parses the next row, which must have exactly 1 + width integer fields, into *cycle and
 * vals[0..width-1]. Returns 1, 0 at the end of the file, or a negative error: MMT_ETRACE (wrong
 * field count, non-integer field, address out of range), MMT_EZLIB (corrupt or truncated gzip
 * stream), a read error's system code (MMT_EIO, ...), MMT_ENOMEM. */
int mmt_tracer_next(mmt_tracer *t, int64_t width, int64_t *cycle, int64_t *vals,
                    mmt_diag *diag);

/* Gives the next line without its line end; *text stays valid until the next call. Returns 1,
 * 0 at the end of the file, or a negative error as mmt_tracer_next. */
int mmt_tracer_line(mmt_tracer *t, const char **text, size_t *len, mmt_diag *diag);

/* Number of lines returned so far (the line number of the last one). */
int64_t mmt_tracer_lineno(const mmt_tracer *t);

/* 1 if the file is gzip-compressed, 0 if plain text (known once a line has been read). */
int mmt_tracer_is_gzip(const mmt_tracer *t);

/* Closes and frees t (NULL is accepted). Returns MMT_EZLIB if the gzip stream turned out to
 * be truncated, else 0. */
int mmt_tracer_close(mmt_tracer *t, mmt_diag *diag);

/* ---------------------------------------------------------------- generation */

/* Writes the stall-free SRAM trace of one operand of one layer to dir/NAME.gz, NAME being
 * mmt_output_name(op) (reads served at row+1, writes at row). bytes_out (may be NULL) gets
 * the uncompressed size. progress (may be NULL) is called every 65536 rows with the rows
 * written since its last call. A failure fills diag (may be NULL) with the trace's path and
 * the reason. */
typedef void (*mmt_progress_fn)(void *ud, int64_t rows_done);
int mmt_gen_trace(const mmt_geom *g, mmt_operand op, const char *dir, int level,
                  uint64_t *bytes_out, mmt_progress_fn progress, void *ud, mmt_diag *diag);


/* ---------------------------------------------------------------- comma lists */

/* A comma list split into items (list.c): item[i] point into buf; the caller frees with
 * mmt_list_free. Parsing refuses an empty list or item, an item given twice and more than max
 * items, with the reason in diag.message (diag.file is ""). */
typedef struct mmt_list {
    char **item;
    size_t n;
    char *buf;
} mmt_list;
int mmt_list_parse(const char *text, size_t max, mmt_list *out, mmt_diag *diag);
void mmt_list_free(mmt_list *l);
/* A comma list of distinct integers in [lo, hi], at most max, into out[0..*n-1]. */
int mmt_list_i64(const char *text, int64_t lo, int64_t hi, size_t max, int64_t *out, size_t *n,
                 mmt_diag *diag);

/* ---------------------------------------------------------------- LLM lowering */

/* One decoder block of a transformer lowered to GEMM layers (study.md). Presets and
 * HuggingFace config.json files describe the model; a config's model_type picks its family
 * from one table in llm.c (mmt_llm_family_at), which says which fields it reads and which
 * GEMMs its block runs. Unknown families are refused, never guessed. */

typedef enum { MMT_LLM_DECODE = 0, MMT_LLM_PREFILL = 1 } mmt_llm_phase;
typedef enum { MMT_LLM_FFN_PLAIN = 0, MMT_LLM_FFN_GATED = 1 } mmt_llm_ffn;
/* How attention heads become GEMMs. Grouped (the default): the g = h/h_kv query heads that
 * share one KV head run as one GEMM with M = g x (query rows), counted h_kv times per
 * sequence. Per-head: one GEMM per query head, M = query rows, counted h times. With h_kv = h
 * (every paper preset) both give the same rows. */
typedef enum { MMT_LLM_ATTN_GROUPED = 0, MMT_LLM_ATTN_PER_HEAD = 1 } mmt_llm_attn;
/* Which part of the block a layer belongs to: weight-to-activation projections become
 * MatMul-free under 1-bit weights; activation-to-activation attention heads stay MatMul. */
typedef enum { MMT_PART_MMFREE = 0, MMT_PART_MATMUL = 1 } mmt_llm_part;

/* A model's block dimensions. head_dim need not be d/heads (LLaMA's optional head_dim). */
typedef struct mmt_llm_model {
    char name[128];
    char family[16];    /* the config's model_type (a family of mmt_llm_family_at) */
    int64_t d;          /* hidden size */
    int64_t heads;      /* query heads */
    int64_t kv_heads;   /* key/value heads (GQA); == heads without GQA */
    int64_t head_dim;   /* dh */
    int64_t ff;         /* feed-forward size */
    int64_t layers;     /* decoder blocks */
    int64_t max_ctx;    /* trained context length, tokens */
    mmt_llm_ffn ffn;    /* default FFN: plain for the study presets, gated for LLaMA configs */
    /* Set by the family table (all zero for the paper's 13 presets: separate Q, K, V, dense
     * FFN, no window). */
    int qkv_fused;           /* 1: Q, K, V are one GEMM of width (h + 2 h_kv) dh */
    int gate_up_fused;       /* 1: a gated FFN's gate and up are one GEMM of width 2 ff */
    int64_t experts;         /* E routed experts; 0: dense FFN */
    int64_t experts_per_tok; /* k experts per token */
    int64_t expert_ff;       /* FFN size of one routed expert */
    int64_t shared_ff;       /* FFN size of the shared expert(s); 0: none */
    int shared_expert_gate;  /* 1: a d -> 1 gate scales the shared expert (Qwen2-MoE) */
    int64_t window;          /* sliding-window span in tokens; 0: none */
    int64_t window_layers;   /* how many of the layers attend through the window */
} mmt_llm_model;

/* How one block is lowered. */
typedef struct mmt_llm_opts {
    mmt_llm_phase phase;
    int64_t seq;      /* l: KV cache length (decode) or prompt length (prefill) */
    int64_t batch;    /* b >= 1 sequences */
    mmt_llm_ffn ffn;
    int expand_heads; /* 1: one row per head instead of one row counted h times */
    mmt_llm_attn attention; /* zero: grouped */
} mmt_llm_opts;

/* One GEMM row: SCALE-Sim's M, N, K (ifmap M x K times filter K x N), counted `count` times
 * per block. */
typedef struct mmt_llm_layer {
    char name[32];
    mmt_llm_part part;
    int64_t count;
    int64_t M, N, K;
    /* How many of the model's decoder layers contain this row; 0: every layer (uniform
     * blocks). Set on every row of a block whose layers differ (Gemma-2's windowed and global
     * layers at l > window): then weight a row by count x layers. */
    int64_t layers;
} mmt_llm_layer;

/* A lowered block; the caller owns it (mmt_llm_block_free). */
typedef struct mmt_llm_block {
    mmt_llm_layer *layers;
    size_t n;
} mmt_llm_block;

/* The built-in presets: study.md's 13 models in its order (mmt_llm_preset_count, what the
 * study's "all" means), then today's models (mmt_llm_preset_count_all counts both);
 * mmt_llm_preset_at(i) is NULL past the end of all of them. */
size_t mmt_llm_preset_count(void);
size_t mmt_llm_preset_count_all(void);
const mmt_llm_model *mmt_llm_preset_at(size_t i);
/* Copies the preset called name into *m; MMT_EINVAL if there is none. */
int mmt_llm_preset(const char *name, mmt_llm_model *m);

/* The family table: the model_type names mmt_llm_config_parse accepts, with a one-line
 * description of the fields read and the GEMMs of one block. NULL past the end. */
typedef struct mmt_llm_family_info {
    const char *model_type;
    const char *fields; /* the config.json fields read */
    const char *gemms;  /* the GEMMs of one decoder block */
} mmt_llm_family_info;
const mmt_llm_family_info *mmt_llm_family_at(size_t i);

/* Weight of a row in whole-model sums: count x layers, or count when layers is 0. */
int64_t mmt_llm_row_weight(const mmt_llm_layer *l);

/* Reads a HuggingFace config.json (needs jansson). Diagnostics are "FILE: message". The
 * family comes from model_type only; an unknown or missing one is MMT_EPARSE with the list of
 * known ones, and MLA (deepseek_v2, deepseek_v3) is MMT_EINVAL. */
int mmt_llm_config_read(const char *path, mmt_llm_model *m, mmt_diag *diag);
int mmt_llm_config_parse(const char *name, const char *text, size_t len, mmt_llm_model *m,
                         mmt_diag *diag);

/* Most query heads mmt_llm_lower expands into rows of their own (expand_heads: two rows per
 * head); real models have at most a few hundred. */
#define MMT_LLM_MAX_EXPAND_HEADS 65536
/* The largest model dimensions lowered (ten times and more any model's): a config or model
 * beyond them is refused with MMT_ERANGE, naming the dimension. */
#define MMT_LLM_MAX_HIDDEN ((int64_t)1 << 18)
#define MMT_LLM_MAX_HEADS ((int64_t)MMT_LLM_MAX_EXPAND_HEADS)
#define MMT_LLM_MAX_HEAD_DIM ((int64_t)1 << 14)
#define MMT_LLM_MAX_FFN ((int64_t)1 << 20)
#define MMT_LLM_MAX_EXPERTS ((int64_t)1 << 20)
#define MMT_LLM_MAX_LAYERS ((int64_t)1 << 16)

/* Lowers one decoder block. A sequence longer than m->max_ctx is a warning, not an error.
 * Batch: projections get M*b; attention rows keep their per-sequence shape and count
 * h_kv*b (grouped) or h*b (per-head). README "LLM lowering" gives every row.
 * MMT_ERANGE if expand_heads is set and m->heads exceeds MMT_LLM_MAX_EXPAND_HEADS. */
int mmt_llm_lower(const mmt_llm_model *m, const mmt_llm_opts *o, mmt_llm_block **out,
                  mmt_diag *diag, mmt_warn_fn warn, void *ud);
void mmt_llm_block_free(mmt_llm_block *b);

/* Short name of a part: "matmul-free" or "matmul". */
const char *mmt_llm_part_name(mmt_llm_part p);

/* Fills a SCALE-Sim layer (GEMM mapping of doc/scalesim-v2.md §3.2) for row l; name points into l. */
void mmt_llm_layer_to_mmt(const mmt_llm_layer *l, mmt_layer *out);

/* Writes the SCALE-Sim GEMM topology CSV ("Layer, M, N, K," then "name, M, N, K,") and the
 * manifest ("layer,name,part,count,M,N,K": layer = 0-based SCALE-Sim layer id, plus a column
 * "layers" when the block's rows have mmt_llm_layer.layers set), atomically. */
int mmt_llm_write_topology(const char *path, const mmt_llm_block *b, mmt_diag *diag);
int mmt_llm_write_manifest(const char *path, const mmt_llm_block *b, mmt_diag *diag);
/* Reads a manifest back (rows in layer order, 0..n-1). */
int mmt_llm_manifest_read(const char *path, mmt_llm_block **out, mmt_diag *diag);

/* A planned output of mmtrace-gen --model (llm_plan.c): one model lowered at one length, and
 * the base of its file names (OUTDIR/<model>_<phase>_l<seq>[_b<b>][_gated][_heads][_perhead]),
 * both owned by the plan. */
typedef struct mmt_llm_job {
    mmt_llm_block *b;
    char *base;
} mmt_llm_job;

/* Lowers every model at every length with options o (o->seq is ignored; model_ffn: each
 * model's own FFN kind instead of o->ffn) into nmodels x nseqs jobs, model-major; refuses two
 * jobs that would write one file. Nothing is written. Free with mmt_llm_plan_free. */
int mmt_llm_plan(const char *outdir, const mmt_llm_model *models, size_t nmodels,
                 const int64_t *seqs, size_t nseqs, const mmt_llm_opts *o, int model_ffn,
                 mmt_llm_job **out, mmt_diag *diag, mmt_warn_fn warn, void *ud);
void mmt_llm_plan_free(mmt_llm_job *jobs, size_t n);
/* Writes job j's topology BASE.csv and manifest BASE.parts.csv (atomically); *topo and
 * *manifest receive their paths, which the caller frees (also on failure). */
int mmt_llm_plan_write(const mmt_llm_job *j, char **topo, char **manifest, mmt_diag *diag);

/* ---------------------------------------------------------------- study */

/* Built-in hardware presets "cloud" (256x256) and "edge" (64x64): OS, CALC, offsets
 * 0/10000000/20000000. MMT_EINVAL for other names. */
int mmt_study_hw(const char *name, mmt_config *cfg);

/* The study's engine, fractions, fits and figures are the separate module mmtrace_study.h
 * (libmmtrace-study, which needs GSL); the core does not. */

/* ---------------------------------------------------------------- run loading and replay engine */

/* Every file of a run directory, named in one table (run_names.c): the SRAM traces indexed by
 * mmt_operand, the DRAM traces at 3 + mmt_operand, then the reports. Traces are written
 * gzip-compressed under the name with ".gz" appended. */
typedef enum mmt_output {
    MMT_OUT_IFMAP_SRAM = 0,
    MMT_OUT_FILTER_SRAM,
    MMT_OUT_OFMAP_SRAM,
    MMT_OUT_IFMAP_DRAM,
    MMT_OUT_FILTER_DRAM,
    MMT_OUT_OFMAP_DRAM,
    MMT_OUT_COMPUTE_REPORT,
    MMT_OUT_BANDWIDTH_REPORT,
    MMT_OUT_DETAILED_REPORT,
    MMT_OUT_BYTES_REPORT,
    MMT_OUT_COUNT
} mmt_output;

/* The file name of output k ("IFMAP_SRAM_TRACE.csv", "COMPUTE_REPORT.csv", ...), static; NULL
 * outside the table. */
const char *mmt_output_name(mmt_output k);

/* 1 if a run directory uses the file name base itself (a report, layer<N>, the lock, the
 * incomplete marker, our temporaries, "." and ".."), so an input copied there under that name
 * would be overwritten or would break the run; else 0. */
int mmt_output_name_reserved(const char *base);

/* Crash consistency of a run directory (README "Limits and failures"). While a run replaces
 * files under their final names, RUNDIR/.mmtrace-incomplete records its kind; it is removed,
 * after everything has been flushed to the disk, when the run has completed. Each kind
 * rewrites more than the one before. */
typedef enum mmt_run_kind { MMT_RUN_FUSED = 0, MMT_RUN_REPLAY = 1, MMT_RUN_GEN = 2 } mmt_run_kind;

/* mkdir -p path (mode 0777 before umask). The failure's code (mmt_err_from_sys: MMT_ENOTDIR,
 * MMT_EACCES, ...) with "cannot create directory: REASON" in diag (file: path). */
int mmt_mkdirs(const char *path, mmt_diag *diag);
/* fsync of a directory, so the renames inside it survive a power loss. 0, or the failure's
 * code (mmt_err_from_sys; errno keeps the reason). */
int mmt_fsync_dir(const char *dir);
/* Copies src to dst atomically (the library's one atomic writer: temporary name, fsync,
 * rename). The diag names the file at fault (src unreadable, dst unwritable). */
int mmt_copy_file(const char *src, const char *dst, mmt_diag *diag);
/* Takes an exclusive, non-blocking flock on dir/.mmtrace.lock, held until the process exits,
 * so two runs never write into one run directory at once. MMT_EIO if another run holds it or
 * it cannot be taken. */
int mmt_rundir_lock(const char *dir, mmt_diag *diag);
/* Removes, in dir and its layer<N>/ folders, the temporary files (mmt_temp_path) of our runs
 * whose process no longer exists. Nothing else is touched. Call with the lock held. */
void mmt_rundir_clean_stale(const char *dir);
/* 0 if rundir has no marker, or kind >= 0 and a run of that kind rewrites everything the
 * interrupted one was writing; else MMT_EINVAL ("incomplete: ...; rerun PROG"). kind -1:
 * only a complete directory is accepted (comparisons). */
int mmt_rundir_check_complete(const char *rundir, int kind, mmt_diag *diag);
/* Writes the marker (flushed, directory flushed). */
int mmt_rundir_mark_incomplete(const char *rundir, mmt_run_kind kind, mmt_diag *diag);
/* Flushes rundir, removes the marker and flushes rundir again. */
int mmt_rundir_mark_complete(const char *rundir, mmt_diag *diag);

/* The ratio of trace text to its gzip size that no real trace beats (README "Limits"): a run
 * of T bytes of trace text needs at least T / MMT_TRACE_BEST_RATIO bytes of disk. */
#define MMT_TRACE_BEST_RATIO 100
/* Low estimate of the uncompressed text of one SRAM trace: 3 bytes per field (",-1" or ",N").
 * Returns -1 if it overflows 64 bits. */
int64_t mmt_trace_text_estimate(int64_t rows, int64_t width);

/* What a run reads. Strings are borrowed for the life of the run. */
typedef struct mmt_run_opts {
    const char *cfg_path, *topo_path;
    const char *outdir;    /* the run directory is OUTDIR/<run_name> */
    int gemm;              /* topology in M,N,K format */
    mmt_scalesim version;  /* the input formats of this SCALE-Sim */
    int traces;            /* 1: the run writes traces: estimate their size (an estimate over
                              64 bits is MMT_EOVERFLOW naming the layer's topology line) */
    mmt_engine engine;     /* MMT_ENGINE_FOLDS: every layer must be one the fold engine can
                              run exactly (MMT_EINVAL naming the first that is not) */
    mmt_warn_fn warn;      /* warnings of the readers (may be NULL) */
    void *warn_ud;
    /* Overrides of the cfg's [memory] (doc/memory.md): memory 0 keeps the cfg's policy, else
     * 1 + MMT_MEM_*; dram (NULL: keep) and clock_mhz (0: keep). The stream policy runs on
     * the fused path only: with traces it is refused. */
    int memory;
    const char *dram;
    double clock_mhz;
} mmt_run_opts;

/* A loaded and checked run: its cfg, topology and run directory; every layer's geometry has
 * been checked. Owned by the caller (mmt_run_free). */
typedef struct mmt_run mmt_run;

/* Reads the cfg and the topology, checks every layer's geometry and (opts.traces) estimates
 * the size of the traces; nothing is written. The one loader of mmtrace-gen and
 * mmtrace-replay. Errors fill diag (file and line of the input at fault). */
int mmt_run_load(const mmt_run_opts *o, mmt_run **out, mmt_diag *diag);
void mmt_run_free(mmt_run *r);
const mmt_run_opts *mmt_run_options(const mmt_run *r);
const mmt_config *mmt_run_config(const mmt_run *r);
const mmt_topology *mmt_run_topology(const mmt_run *r);
size_t mmt_run_count(const mmt_run *r);
/* OUTDIR/<run_name>, owned by the run (under 4000 bytes, checked by mmt_run_load). */
const char *mmt_run_dir(const mmt_run *r);
/* Geometry of layer i (recomputed: a run may have 2^20 layers; checked at load). */
void mmt_run_geom(const mmt_run *r, size_t i, mmt_geom *g);
/* Demand rows of all layers (INT64_MAX if that overflows): the unit of replay progress. */
int64_t mmt_run_rows(const mmt_run *r);
/* With opts.traces: the trace text estimate of the three SRAM traces of every layer, and the
 * largest CALC spill file of a replay (bytes, uncompressed); 0 otherwise. */
uint64_t mmt_run_trace_text(const mmt_run *r);
uint64_t mmt_run_spill_bytes(const mmt_run *r);

/* How a run is replayed (replay_engine.c). */
typedef struct mmt_replay_opts {
    int traces;            /* 1: replay the SRAM traces in the run directory and write the
                              stall-adjusted SRAM traces and the DRAM traces; 0: the fused
                              model, reports only */
    int level;             /* zlib level of the traces written */
    long jobs;             /* layers simulated at once (threads of mmt_pool_run) */
    mmt_engine engine;     /* fused model engine */
    mmt_pool_tick_fn tick; /* progress (may be NULL): demand rows done of total, called on the
                              caller's thread about every 200 ms and at the end */
    void *tick_ud;
    mmt_warn_fn warn;      /* e.g. a plain SCALE-Sim trace newer than the .csv.gz beside it */
    void *warn_ud;
} mmt_replay_opts;

/* A replay of a loaded run (which it borrows); owned by the caller (mmt_replay_free). */
typedef struct mmt_replay mmt_replay;

/* Prepares a replay: refuses (with traces) a CALC SRAM whose first DRAM prefetch block is
 * over MMT_MAX_CALC_BLOCK_ROWS; creates the run directory (fused) or finds each layer's input
 * SRAM traces (.csv.gz preferred over SCALE-Sim's plain .csv, which is never removed); locks
 * the run directory, removes what a killed run left, and refuses one an interrupted run left
 * incomplete unless this run rewrites all of it. */
int mmt_replay_new(const mmt_run *run, const mmt_replay_opts *o, mmt_replay **out,
                   mmt_diag *diag);
/* Simulates every layer, then publishes: each layer's six traces are written under temporary
 * names and renamed into place only when every layer has succeeded, then the reports (and
 * BYTES_REPORT.csv with a [precision] cfg), whose rows were streamed out as layers were
 * collected, are renamed into place. On failure the diag is that of the
 * failed layer of lowest index and the run directory is left as it was. The only writer of a
 * replay's outputs. */
int mmt_replay_run(mmt_replay *rp, mmt_diag *diag);
/* After a successful run: copies SCALE-Sim's console block of every layer, in layer order
 * ("Running Layer N", the layer's summary, "Saving traces: Done!" where SCALE-Sim prints it;
 * doc/scalesim-v2.md §1), to out; the caller prints the header before and "Run Complete"
 * after. The blocks were spooled to an unlinked file in the run directory as the layers were
 * collected, so a run keeps no result per layer. */
int mmt_replay_console(mmt_replay *rp, FILE *out, mmt_diag *diag);
void mmt_replay_free(mmt_replay *rp);

/* ---------------------------------------------------------------- comparing run directories */

/* The differences between two run directories (compare.c): the reports field by field
 * (integers exactly, floats to a relative 1e-12), the traces line by line after
 * decompression. Owned by the caller (mmt_cmp_free); every string is owned by it. */
#define MMT_CMP_NO_LAYER SIZE_MAX
typedef struct mmt_cmp_diff {
    size_t layer;  /* the layer it belongs to; MMT_CMP_NO_LAYER for file-wide ones */
    size_t seq;    /* the order it was found in */
    char *what;    /* the file (and report column) */
    char *text;    /* the difference, printable on one terminal line (bytes escaped) but for
                      the trace lines shown on their own lines */
} mmt_cmp_diff;
typedef struct mmt_cmp {
    mmt_cmp_diff *diff; /* ndiff differences: file-wide first, then by layer */
    size_t ndiff;
    char **note;        /* notes, not differences (a layer without traces on one side) */
    size_t nnote;
    size_t layers;      /* report rows compared */
    size_t traces;      /* traces compared */
    int oom;            /* memory ran out: some differences may be missing */
} mmt_cmp;

/* Compares the run directory ours with SCALE-Sim's refdir; traces 0 compares the reports only.
 * Both must be complete (mmt_rundir_check_complete). Differences are not an error: *out holds
 * them. */
int mmt_compare_dirs(const char *ours, const char *refdir, int traces, mmt_cmp **out,
                     mmt_diag *diag);
void mmt_cmp_free(mmt_cmp *c);

#ifdef __cplusplus
}
#endif
#endif
