"""SCALE-Sim's Python API over libmmtrace: change the import, keep the script.

    from mmtrace.scalesim import scalesim      # was: from scalesim.scale_sim import scalesim

The modules mirror SCALE-Sim's (scalesim.scale_sim, .scale_config, .topology_utils,
.simulator, .single_layer_sim) with the classes of the same names and the same arguments, so
mmtrace.scalesim.scale_config.scale_config replaces scalesim.scale_config.scale_config, and
so on. The contract is SCALE-Sim v2 (commit 22f88b1); v3=True on scalesim() or on
scale_config() (or a cfg in v3.0.0's format) gives v3.0.0's behaviour.

Differences, each on purpose (doc/python.md lists them):
* get_total_cycles() returns the sum of the layers' total cycles. SCALE-Sim v2's own indexes
  a method and raises TypeError; this is the sum it means.
* Bad input raises mmtrace.Error ("FILE:LINE: message") before anything is written, where
  SCALE-Sim would print a warning and go on, or crash half way.
* No tqdm progress bars on stderr. Start and stop cycles are Python floats where SCALE-Sim
  has numpy.float64 (equal values, same text).
"""

#: True: flush every report and trace to the disk before renaming it into place (what
#: mmtrace-replay does, so a run survives a power loss). False, the default: SCALE-Sim's own
#: behaviour, no fsync (thousands of tiny runs would wait on the disk). Either way a file is
#: written under a temporary name and renamed: never partial under its final name.
fsync = False

#: Which Python's sum() SCALE-Sim's two mean columns (Mapping Efficiency %, Compute Util %)
#: follow: None, the default, this interpreter's (3.11 and older add left to right, 3.12 and
#: later compensate; doc/scalesim-v2.md §0), so the values are those SCALE-Sim gives when run
#: here; True: 3.11's; False: 3.12's (what mmtrace-replay prints).
python311_sum = None

from .scale_sim import scalesim  # noqa: E402  (after fsync, which the modules read)

__all__ = ["scalesim", "fsync", "python311_sum"]
