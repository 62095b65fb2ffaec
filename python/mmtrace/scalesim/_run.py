"""How the drop-in runs a network: every layer through libmmtrace at once (the fused model,
threads without the GIL), the traces written staged, the reports by the library's writer."""

import gzip
import os
import shutil
import sys

from .. import _mmtrace

# The six traces of a layer, in the order of the extension's paths (SRAM, then DRAM).
TRACES = ("IFMAP_SRAM_TRACE.csv", "FILTER_SRAM_TRACE.csv", "OFMAP_SRAM_TRACE.csv",
          "IFMAP_DRAM_TRACE.csv", "FILTER_DRAM_TRACE.csv", "OFMAP_DRAM_TRACE.csv")


def py311_sum():
    """True under Python <= 3.11, whose sum() adds left to right: SCALE-Sim run by this
    interpreter prints those digits in two COMPUTE_REPORT columns (doc/scalesim-v2.md §0).
    mmtrace.scalesim.python311_sum, when not None, says which instead."""
    from . import python311_sum
    if python311_sum is not None:
        return bool(python311_sum)
    return sys.version_info < (3, 12)


def _staged(path, mode, fill, pid):
    """Writes path by fill(f) on a file opened with mode under the library's temporary name
    (.mmtrace-tmp.PID.NAME), flushed when mmtrace.scalesim.fsync, then renamed into place; the
    temporary file never outlives a failure."""
    d, base = os.path.split(path)
    tmp = os.path.join(d, ".mmtrace-tmp.%d.%s" % (pid, base))
    try:
        with open(tmp, mode) as f:
            fill(f)
            f.flush()
            from . import fsync
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _publish(gz, final, pid):
    """Decompresses the library's gzip trace gz into final (SCALE-Sim writes plain text),
    staged; gz is removed."""
    try:
        with gzip.open(gz, "rb") as src:
            _staged(final, "wb", lambda dst: shutil.copyfileobj(src, dst, 1 << 20), pid)
    finally:
        os.unlink(gz)


def write_text(path, text):
    """Writes text to path, staged."""
    _staged(path, "w", lambda f: f.write(text), os.getpid())


def run_layers(cfg, layers, topo, run_dir, save_trace, v3, jobs=None):
    """Simulates every layer; with save_trace, writes layer<i>/ with its six traces into
    run_dir (created by the caller). Returns the extension's result tuples. Nothing final is
    written unless every layer succeeded."""
    paths, pid = None, os.getpid()
    if save_trace:
        paths = []
        for i in range(len(layers)):
            d = os.path.join(run_dir, "layer%d" % i)
            if not os.path.isdir(d):
                os.mkdir(d)
            paths.append(tuple(os.path.join(d, ".mmtrace-py.%d.%s.gz" % (pid, t))
                               for t in TRACES))
    try:
        # gzip level 0: stored blocks, decompressed at once by _publish
        res = _mmtrace.simulate(cfg.raw, layers, "auto", jobs or os.cpu_count() or 1,
                                py311_sum(), paths, 0, topo)
        for i, p in enumerate(paths or ()):
            for k, t in enumerate(TRACES):
                _publish(p[k], os.path.join(run_dir, "layer%d" % i, t), pid)
    finally:
        for p in paths or ():
            for gz in p:
                if os.path.exists(gz):
                    os.unlink(gz)
    return res
