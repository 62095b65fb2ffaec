# Shared by run_scalesim_v2.py (this folder) and tests/golden-v3/run_scalesim_v3.py: patches
# CPython-3.12 sum() semantics into the real SCALE-Sim's three compute modules, so that an older
# interpreter prints the digits of COMPUTE_REPORT that Python >= 3.12 prints. Import it after
# the SCALE-Sim checkout is on sys.path.
import math, builtins

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

def patch_compute_sum():
    """Replaces sum() in scalesim.compute.systolic_compute_{os,ws,is} by py312_sum for lists of
    floats summed from 0 (anything else goes to the built-in sum)."""
    import scalesim.compute.systolic_compute_os as cos, scalesim.compute.systolic_compute_ws as cws, scalesim.compute.systolic_compute_is as cis
    real_sum = builtins.sum
    def patched(it, start=0):
        l = list(it)
        if start == 0 and l and all(isinstance(x, float) for x in l):
            return py312_sum(l)
        return real_sum(l, start)
    for m in (cos, cws, cis):
        m.sum = patched
