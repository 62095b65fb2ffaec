"""mmtrace: SCALE-Sim's answers at C speed, from Python.

mmtrace reproduces SCALE-Sim v2 (commit 22f88b1) and v3.0.0 byte for byte: the same cycles,
stalls, utilisations, SRAM and DRAM accesses and bandwidths, from C (tools/bench-python.sh). This
package is a thin layer over the C library libmmtrace; a simulation runs without the GIL.

Two ways in:

* The drop-in for SCALE-Sim's own API, for scripts that already call SCALE-Sim (LLMCompass,
  GenZ, notebooks): change the import and nothing else.

      from mmtrace.scalesim import scalesim        # was: from scalesim.scale_sim import scalesim
      s = scalesim(save_disk_space=True, verbose=False, config="a.cfg",
                   topology="gemm.csv", input_type_gemm=True)
      s.run_scale(top_path="out")
      s.get_total_cycles()

  mmtrace.scalesim.scale_config, .topology_utils, .simulator and .single_layer_sim hold
  SCALE-Sim's classes of the same names. The same files are written (reports; the six traces
  of every layer unless save_disk_space), the same values returned and the same console text
  printed with verbose.

* The Pythonic API, with no files unless asked:

      import mmtrace
      res = mmtrace.simulate({"ArrayHeight": 32, "ArrayWidth": 32, "IfmapSramSzkB": 64,
                              "FilterSramSzkB": 64, "OfmapSramSzkB": 64, "Dataflow": "os"},
                             [("qkv", 1, 2304, 768), ("ffn1", 1, 3072, 768)])
      res[0].total_cycles, res.to_dataframe()

  simulate(config, layers, dataflow=, engine=) returns one Result per layer; config() reads a
  cfg once for many calls; lower(model, seq, phase=, batch=) gives an LLM block's GEMMs;
  study(outdir, ...) runs the 1-bit LLM study and returns results.csv's rows.

Bad input raises mmtrace.Error; str(e) is "FILE:LINE: message" and e.file, e.line (None when
not known), e.message and e.code (the library's negative MMT_E* code) give the parts.
Readers' warnings are MmtraceWarning. README.md ("Python") and doc/python.md say more.
"""

from ._api import (Config, Error, Gemm, MmtraceWarning, Result, Results, config, lower,
                   presets, simulate, study, version)

# help(mmtrace) lists the public classes and functions under the package's name
for _obj in (Config, Gemm, MmtraceWarning, Result, Results, config, lower, presets, simulate,
             study, version):
    _obj.__module__ = __name__
del _obj

__version__ = version()
__all__ = ["Config", "Error", "Gemm", "MmtraceWarning", "Result", "Results", "config", "lower",
           "presets", "simulate", "study", "version"]
