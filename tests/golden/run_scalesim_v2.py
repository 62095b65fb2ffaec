# Runs the real SCALE-Sim v2 (commit 22f88b1) on one case directory with traces on
# (save_disk_space=False) and its console output on stdout, and writes OUT/<run_name>/.
# With PY312SUM=1, CPython-3.12 sum() semantics are patched into the three compute modules
# (for COMPUTE_REPORT.py312sum.csv; the other files are the same either way).
# Usage: SSV2=<checkout of scale-sim-v2 at 22f88b1> python3 run_scalesim_v2.py CASEDIR OUT gemm|conv
# (Debian: python3-numpy python3-pandas python3-tqdm). Used to make the n_* cases in this folder.
import sys, os
SSV2 = os.environ.get('SSV2', '/tmp/ssv2')
sys.path.insert(0, SSV2)
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
import scalesim_py312  # this folder's helper, shared with tests/golden-v3/run_scalesim_v3.py

if os.environ.get('PY312SUM') == '1':
    scalesim_py312.patch_compute_sum()
from scalesim.scale_sim import scalesim
case, out, gemm = sys.argv[1], sys.argv[2], sys.argv[3] == 'gemm'
os.chdir(case)  # SCALE-Sim prints the topology path as given: run from the case directory
s = scalesim(save_disk_space=False, verbose=True, config='config.cfg',
             topology='topology.csv', input_type_gemm=gemm)
s.run_scale(top_path=out)
