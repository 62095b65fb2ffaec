# Runs the real SCALE-Sim v3.0.0 on one case directory with traces on, CPython-3.12 sum()
# semantics patched into the three compute modules, and writes OUT/<run_name>/.
# Usage: SSV3=<checkout of SCALE-Sim tag v3.0.0> python3 run_scalesim_v3.py CASEDIR OUT gemm|conv
# (Debian: python3-numpy python3-pandas python3-tqdm). Used to make v3m_* and v3n_* in this folder.
import sys, os
SSV3 = os.environ.get('SSV3', '/tmp/ssv3')
sys.path.insert(0, SSV3)
sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'golden'))
import scalesim_py312  # tests/golden/scalesim_py312.py, shared with run_scalesim_v2.py

scalesim_py312.patch_compute_sum()
from scalesim.scale_sim import scalesim
case, out, gemm = sys.argv[1], sys.argv[2], sys.argv[3] == 'gemm'
s = scalesim(save_disk_space=False, verbose=False, config=case + '/config.cfg',
             topology=case + '/topology.csv', layout=os.path.join(SSV3, 'layouts/conv_nets/test.csv'),
             input_type_gemm=gemm)
s.run_scale(top_path=out)
