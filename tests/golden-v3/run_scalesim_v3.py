# Runs the real SCALE-Sim v3.0.0 on one case directory with traces on, CPython-3.12 sum()
# semantics patched into the three compute modules, and writes OUT/<run_name>/.
# Usage: SSV3=<checkout of SCALE-Sim tag v3.0.0> python3 run_scalesim_v3.py CASEDIR OUT gemm|conv
# (Debian: python3-numpy python3-pandas python3-tqdm). Used to make v3m_* and v3n_* in this folder.
import sys, os, math, builtins
SSV3 = os.environ.get('SSV3', '/tmp/ssv3')
sys.path.insert(0, SSV3)

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
s = scalesim(save_disk_space=False, verbose=False, config=case + '/config.cfg',
             topology=case + '/topology.csv', layout=os.path.join(SSV3, 'layouts/conv_nets/test.csv'),
             input_type_gemm=gemm)
s.run_scale(top_path=out)
