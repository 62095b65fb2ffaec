# Runs the real SCALE-Sim v2 (commit 22f88b1) on one case directory with traces on
# (save_disk_space=False) and its console output on stdout, and writes OUT/<run_name>/.
# With PY312SUM=1, CPython-3.12 sum() semantics are patched into the three compute modules
# (for COMPUTE_REPORT.py312sum.csv; the other files are the same either way).
# Usage: SSV2=<checkout of scale-sim-v2 at 22f88b1> python3 run_scalesim_v2.py CASEDIR OUT gemm|conv
# (Debian: python3-numpy python3-pandas python3-tqdm). Used to make the n_* cases in this folder.
import sys, os, math, builtins
SSV2 = os.environ.get('SSV2', '/tmp/ssv2')
sys.path.insert(0, SSV2)

def py312_sum(values):
    """CPython >= 3.12 sum() of floats from the int 0: Neumaier-compensated."""
    f, c = 0.0, 0.0
    for i, x in enumerate(values):
        if i == 0:
            f = 0 + x
            continue
        t = f + x
        c += (f - t) + x if abs(f) >= abs(x) else (x - t) + f
        f = t
    return f + c if c and math.isfinite(c) else f

if os.environ.get('PY312SUM') == '1':
    import scalesim.compute.systolic_compute_os as cos, scalesim.compute.systolic_compute_ws as cws, scalesim.compute.systolic_compute_is as cis
    real_sum = builtins.sum
    def patched(it, start=0):
        l = list(it)
        if start == 0 and l and all(isinstance(x, float) for x in l):
            return py312_sum(l)
        return real_sum(l, start)
    for m in (cos, cws, cis):
        m.sum = patched
from scalesim.scale_sim import scalesim
case, out, gemm = sys.argv[1], sys.argv[2], sys.argv[3] == 'gemm'
os.chdir(case)  # SCALE-Sim prints the topology path as given: run from the case directory
s = scalesim(save_disk_space=False, verbose=True, config='config.cfg',
             topology='topology.csv', input_type_gemm=gemm)
s.run_scale(top_path=out)
