#!/bin/sh
# Benchmarks the Python package (python/; README "Python") in one process:
#   1. lut: 1000 seeded GEMM shapes through mmtrace.scalesim as an LLMCompass-style lookup-table
#      loop makes them (one cfg, one one-row topology and one scalesim(...).run_scale() per
#      shape, save_disk_space=True, verbose=False), and a sample of SAMPLE of them (default 8)
#      through the real SCALE-Sim v2 the same way, in the same loop order (so both see the same
#      load); the cycles must agree; prints the time per call of each and their ratio on the
#      sample, and mmtrace's over all 1000.
#   2. overhead: mmtrace.simulate on one tiny layer (1x1x1 GEMM on 8x8), the cfg read once
#      (mmtrace.config) and from a dict on every call: median of 2000 calls.
#   3. threads: 8 mid-size layers (row engine, jobs=1 per call) from a pool of 1 and of 2
#      Python threads: the wall times and their ratio (the GIL is released while simulating).
# Usage: tools/bench-python.sh [SAMPLE]
# Environment: SCALESIM_V2 = a checkout of scale-sim-v2 @22f88b1 (without it, step 1 times
# mmtrace only); PYTHON (default /usr/bin/python3, which needs numpy and tqdm for SCALE-Sim);
# MMT_BUILDDIR (default build/): the extension is built against that tree's library.
set -eu
cd "$(dirname "$0")/.."
sample=${1:-8}
py=${PYTHON:-/usr/bin/python3}
builddir=$(cd "${MMT_BUILDDIR:-build}" && pwd)
[ -f "$builddir/mmtrace-uninstalled.pc" ] ||
    { echo "bench-python: $builddir has no built library (tools/build.sh)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmt-bench-python.XXXXXX")
trap 'rm -rf "$tmp"' EXIT HUP INT TERM
(cd python && PKG_CONFIG_PATH="$builddir" "$py" setup.py -q build --build-base "$tmp/build") \
    >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
export PYTHONPATH="$(echo "$tmp"/build/lib*)" BENCH_TMP="$tmp" BENCH_SAMPLE="$sample"
export PYTHONDONTWRITEBYTECODE=1
"$py" - <<'EOF'
import importlib, os, random, statistics, sys, threading, time
import mmtrace
from mmtrace.scalesim import scalesim as mmt_scalesim

tmp, sample = os.environ["BENCH_TMP"], int(os.environ["BENCH_SAMPLE"])
CFG = ("[general]\nrun_name = systolic_array\n\n[architecture_presets]\nArrayHeight: 32\n"
       "ArrayWidth: 32\nIfmapSramSzkB: 1024\nFilterSramSzkB: 1024\nOfmapSramSzkB: 1024\n"
       "IfmapOffset: 0\nFilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow : {df}\n"
       "Bandwidth : 100\nMemoryBanks: 1\n\n[run_presets]\nInterfaceBandwidth: CALC\n")
rng = random.Random(22)
shapes = [(rng.choice([1, 4, 16, 64, 128]), rng.choice([64, 128, 256, 512]),
           rng.choice([64, 128, 256, 512]), rng.choice(["os", "ws", "is"])) for _ in range(1000)]

def lut_call(cls, M, N, K, df, d):
    """One lookup-table miss as LLMCompass handles it; returns (cycles, seconds of the whole
    miss, seconds in scalesim(...) and run_scale() alone)."""
    t0 = time.perf_counter()
    cfg, topo = os.path.join(d, "sa.cfg"), os.path.join(d, "mm.csv")
    with open(cfg, "w") as f:
        f.write(CFG.format(df=df))
    with open(topo, "w") as f:
        f.write("Layer, M, N, K\nmatmul1, %d, %d, %d,\n" % (M, N, K))
    t1 = time.perf_counter()
    s = cls(save_disk_space=True, verbose=False, config=cfg, topology=topo, input_type_gemm=True)
    s.run_scale(top_path=d + "/")
    t2 = time.perf_counter()
    return s.runner.single_layer_sim_object_list[0].total_cycles, t2 - t0, t2 - t1

real = None
if os.environ.get("SCALESIM_V2"):
    sys.path.insert(0, os.environ["SCALESIM_V2"])
    real = importlib.import_module("scalesim.scale_sim").scalesim
d = os.path.join(tmp, "lut")
os.mkdir(d)
mine, theirs, mine_sample, api, api_sample = [], [], [], [], []
picked = set(rng.sample(range(len(shapes)), sample)) if real else set()
for i, (M, N, K, df) in enumerate(shapes):
    c1, t1, s1 = lut_call(mmt_scalesim, M, N, K, df, d)
    mine.append((t1, s1))
    t0 = time.perf_counter()
    c3 = mmtrace.simulate(os.path.join(d, "sa.cfg"), [("g", M, N, K)], jobs=1)[0].total_cycles
    api.append(time.perf_counter() - t0)
    assert c1 == c3
    if i in picked:
        import contextlib, io
        with contextlib.redirect_stderr(io.StringIO()):
            c2, t2, s2 = lut_call(real, M, N, K, df, d)
        assert c1 == c2, (M, N, K, df, c1, c2)
        theirs.append((t2, s2))
        mine_sample.append((t1, s1))
        api_sample.append(api[-1])
mean = lambda xs, k: statistics.mean(x[k] for x in xs)
print("lut: 1000 GEMM shapes (32x32, CALC, os/ws/is; M 1-128, N and K 64-512) through "
      "mmtrace.scalesim: %.2f ms per miss (%.2f ms in scalesim() and run_scale(), the rest "
      "the loop's own cfg and topology writes), %.1f s in all; mmtrace.simulate, no files: "
      "%.2f ms per shape" % (1e3 * mean(mine, 0), 1e3 * mean(mine, 1), sum(x[0] for x in mine),
                             1e3 * statistics.mean(api)))
if theirs:
    print("lut: sample of %d through the real SCALE-Sim v2 in the same loop: %.2f s per miss; "
          "mmtrace.scalesim on the same shapes %.2f ms: %.0fx per miss, %.0fx in "
          "scalesim()+run_scale() (%.2f s against %.2f ms), %.0fx for mmtrace.simulate "
          "(%.2f ms); cycles identical"
          % (len(theirs), mean(theirs, 0), 1e3 * mean(mine_sample, 0),
             mean(theirs, 0) / mean(mine_sample, 0), mean(theirs, 1) / mean(mine_sample, 1),
             mean(theirs, 1), 1e3 * mean(mine_sample, 1),
             mean(theirs, 1) / statistics.mean(api_sample), 1e3 * statistics.mean(api_sample)))
    print("lut: the 1000 misses at SCALE-Sim's rate on the sample: about %.0f s"
          % (mean(theirs, 0) / mean(mine_sample, 0) * sum(x[0] for x in mine)))
else:
    print("lut: SCALESIM_V2 not set: no comparison with the real SCALE-Sim v2")

cfgd = {"ArrayHeight": 8, "ArrayWidth": 8, "IfmapSramSzkB": 64, "FilterSramSzkB": 64,
        "OfmapSramSzkB": 64, "Dataflow": "os"}
cfg = mmtrace.config(cfgd)
for label, c in (("Config read once", cfg), ("dict on every call", cfgd)):
    ts = []
    for _ in range(2000):
        t0 = time.perf_counter()
        mmtrace.simulate(c, [("t", 1, 1, 1)], jobs=1)
        ts.append(time.perf_counter() - t0)
    print("overhead: mmtrace.simulate of a 1x1x1 GEMM, %s: median %.1f us, p90 %.1f us"
          % (label, 1e6 * statistics.median(ts), 1e6 * sorted(ts)[1800]))

layers = [("m%d" % i, 64, 256, 512) for i in range(8)]
def pool(nthreads):
    todo = list(layers)
    lock = threading.Lock()
    def worker():
        while True:
            with lock:
                if not todo:
                    return
                l = todo.pop()
            mmtrace.simulate(cfg, [l], engine="rows", jobs=1)
    ts = [threading.Thread(target=worker) for _ in range(nthreads)]
    t0, c0 = time.perf_counter(), time.process_time()
    for t in ts: t.start()
    for t in ts: t.join()
    return time.perf_counter() - t0, time.process_time() - c0
r1 = sorted(pool(1) for _ in range(3))[1]
r2 = sorted(pool(2) for _ in range(3))[1]
print("threads: 8 layers (64x256x512, row engine, jobs=1 per call) from 1 thread %.2f s wall "
      "(%.2f s CPU), 2 threads %.2f s wall (%.2f s CPU): %.2fx faster, CPU/wall %.2f with 2 "
      "threads (%d CPUs, load average %.1f)"
      % (r1[0], r1[1], r2[0], r2[1], r1[0] / r2[0], r2[1] / r2[0], os.cpu_count(),
         os.getloadavg()[0]))
EOF
