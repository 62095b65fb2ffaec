"""The Pythonic API of mmtrace: simulate, lower, study (see the package docstring)."""

import csv
import dataclasses
import math
import os
import warnings as _warnings

from . import _mmtrace

Error = _mmtrace.Error


class MmtraceWarning(UserWarning):
    """A warning of libmmtrace's readers ("FILE:LINE: message"): the input is read as
    SCALE-Sim reads it, but something in it was ignored (a field SCALE-Sim drops, ...)."""


def _plain_error(e, what):
    """e, from a dict or a list the library saw as synthetic text, without that text's file
    and line (which the user never wrote): "what: message"."""
    err = Error("%s: %s" % (what, e.message))
    err.file, err.line, err.message, err.code = None, None, e.message, e.code
    return err


def _warn(items):
    """Issues the readers' warnings, (file, line, message) tuples, as MmtraceWarning."""
    for f, line, msg in items:
        where = "%s:%d: " % (f, line) if f and line > 0 else ("%s: " % f if f else "")
        _warnings.warn(where + msg, MmtraceWarning, stacklevel=3)


# ------------------------------------------------------------------ configs

# Where each cfg key of a dict config goes; keys are matched case-insensitively, as
# configparser does. Any other key goes to [architecture_presets].
_SECTIONS = {
    "run_name": "general",
    "interfacebandwidth": "run_presets",
    "ifmapbits": "precision", "filterbits": "precision", "ofmapbits": "precision",
    "topologycsvloc": "network_presets",
    # SCALE-Sim v3.0.0's sections (doc/scalesim-v3.md)
    "userampulatortrace": "run_presets", "useramulatortrace": "run_presets",
    "ifmapcustomlayout": "layout", "filtercustomlayout": "layout",
    "ifmapsrambankbandwidth": "layout", "ifmapsrambanknum": "layout",
    "ifmapsrambankport": "layout", "filtersrambankbandwidth": "layout",
    "filtersrambanknum": "layout", "filtersrambankport": "layout",
    "sparsitysupport": "sparsity", "sparserep": "sparsity",
    "optimizedmapping": "sparsity", "blocksize": "sparsity", "randomnumbergeneratorseed": "sparsity",
}
# A dict config may leave these out: SCALE-Sim's own defaults (scale_config.__init__).
_DEFAULTS = {"run_name": "mmtrace", "ifmapoffset": 0, "filteroffset": 10000000,
             "ofmapoffset": 20000000, "interfacebandwidth": "CALC"}


def _cfg_text(d):
    """The .cfg text of a dict of cfg keys (section by _SECTIONS)."""
    keys = {str(k).lower(): (k, v) for k, v in d.items()}
    for k, v in _DEFAULTS.items():
        keys.setdefault(k, (k, v))
    sections = {}
    for low, (k, v) in keys.items():
        if isinstance(v, bool) or v is None:
            v = {True: "true", False: "false", None: ""}[v]
        text = str(v)
        if "\n" in text or "\r" in text:
            raise ValueError("config: %s: a value on more than one line" % k)
        sections.setdefault(_SECTIONS.get(low, "architecture_presets"), []).append((k, text))
    out = []
    for sec, items in sections.items():
        out.append("[%s]" % sec)
        out.extend("%s = %s" % (k, v) for k, v in items)
        out.append("")
    return "\n".join(out)


class Config:
    """A SCALE-Sim architecture configuration read by libmmtrace.

    Make one with mmtrace.config(path_or_dict); simulate() accepts it in place of a path or a
    dict, which saves reading the cfg again. Attributes: run_name, array_h, array_w (PE rows
    and columns), ifmap_kb, filter_kb, ofmap_kb (SRAM sizes), ifmap_offset, filter_offset,
    ofmap_offset, user_bw (USER bandwidth mode), bandwidth (words/cycle; 0 in CALC mode),
    dataflow ('os', 'ws' or 'is'), bits (operand widths in thousandths of a bit), v3.
    """

    __slots__ = ("raw", "fields", "source")

    def __init__(self, fields, source):
        self.fields = fields
        self.raw = fields["raw"]
        self.source = source

    def __getattr__(self, name):
        try:
            return self.fields[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        f = self.fields
        return "<mmtrace.Config %s: %dx%d %s, SRAM %d/%d/%d KB, %s>" % (
            f["run_name"], f["array_h"], f["array_w"], f["dataflow"], f["ifmap_kb"],
            f["filter_kb"], f["ofmap_kb"],
            "USER bandwidth %d" % f["bandwidth"] if f["user_bw"] else "CALC")


def config(source, *, v3=False):
    """Reads a SCALE-Sim .cfg: source is its path, or a dict of its keys.

    A dict takes the cfg's key names (case-insensitive: 'ArrayHeight', 'ArrayWidth',
    'IfmapSramSzkB', 'FilterSramSzkB', 'OfmapSramSzkB', 'Dataflow', 'Bandwidth',
    'InterfaceBandwidth', and the optional 'IfmapBits', 'FilterBits', 'OfmapBits'); run_name,
    the three offsets and InterfaceBandwidth default to SCALE-Sim's ('mmtrace', 0, 10000000,
    20000000, 'CALC'). v3=True reads it as SCALE-Sim v3.0.0 does (its keys are then
    required). Returns a Config; raises mmtrace.Error ("FILE:LINE: message") on bad input.
    """
    if isinstance(source, Config):
        return source
    if isinstance(source, dict):
        try:
            fields = _mmtrace.config_parse("<config dict>", _cfg_text(source), bool(v3))
        except Error as e:
            raise _plain_error(e, "config") from None
        _warn(fields["warnings"])
        return Config(fields, "<config dict>")
    path = os.fspath(source)
    fields = _mmtrace.config_read(path, bool(v3))
    _warn(fields["warnings"])
    return Config(fields, path)


_read_config = config  # simulate's parameter `config` hides the function


# ------------------------------------------------------------------ layers


def _layer_tuples(layers, input_type, v3):
    """The layers as the extension's tuples (name, H, W, FH, FW, C, N, SH, SW, line), and the
    topology's file name for messages."""
    if isinstance(layers, (str, bytes, os.PathLike)):
        if input_type not in ("gemm", "conv"):
            raise ValueError("input_type must be 'gemm' or 'conv', not %r" % (input_type,))
        path = os.fsdecode(layers)
        rows, warns = _mmtrace.topology_read(path, input_type == "gemm", bool(v3))
        _warn(warns)
        return rows, path
    out = []
    for i, row in enumerate(layers):
        if isinstance(row, Gemm):
            row = (row.name, row.M, row.N, row.K)
        row = tuple(row)
        if not row or not isinstance(row[0], str):
            raise ValueError("layer %d: %r: expected (name, M, N, K) or (name, H, W, FH, FW, "
                             "C, N, stride[, stride_w])" % (i, row))
        nums = row[1:]
        for v in nums:
            if isinstance(v, bool) or not isinstance(v, int):
                raise ValueError("layer %d (%s): %r is not an integer" % (i, row[0], v))
        if len(nums) == 3:  # SCALE-Sim v2 §3.2: a GEMM is a conv of an M x K ifmap, 1 x K filters
            m, n, k = nums
            out.append((row[0], m, k, 1, k, 1, n, 1, 1, 0))
        elif len(nums) in (7, 8):
            h, w, fh, fw, c, n, sh = nums[:7]
            sw = nums[7] if len(nums) == 8 else sh  # SCALE-Sim: one stride serves both
            out.append((row[0], h, w, fh, fw, c, n, sh, sw, 0))
        else:
            raise ValueError("layer %d (%s): %d numbers: expected 3 (M, N, K) or 7-8 (conv)"
                             % (i, row[0], len(nums)))
    return out, ""


# ------------------------------------------------------------------ results


@dataclasses.dataclass(frozen=True)
class Result:
    """One layer's simulation result: what SCALE-Sim's three reports say about it.

    Cycles and counts are ints; utilisations are percentages; bandwidths are words per cycle,
    computed as SCALE-Sim computes them (SRAM: count / total_cycles; DRAM: count / (stop -
    start + 1)). Start and stop cycles are those of DETAILED_ACCESS_REPORT.csv (an SRAM with no
    access has start and stop 0).
    """

    layer: int
    name: str
    total_cycles: int
    stall_cycles: int
    overall_util: float
    mapping_eff: float
    compute_util: float
    macs: int
    sram_ifmap_reads: int
    sram_filter_reads: int
    sram_ofmap_writes: int
    dram_ifmap_reads: int
    dram_filter_reads: int
    dram_ofmap_writes: int
    avg_ifmap_sram_bw: float
    avg_filter_sram_bw: float
    avg_ofmap_sram_bw: float
    avg_ifmap_dram_bw: float
    avg_filter_dram_bw: float
    avg_ofmap_dram_bw: float
    sram_ifmap_start: float
    sram_ifmap_stop: float
    sram_filter_start: float
    sram_filter_stop: float
    sram_ofmap_start: float
    sram_ofmap_stop: float
    dram_ifmap_start: float
    dram_ifmap_stop: float
    dram_filter_start: float
    dram_filter_stop: float
    dram_ofmap_start: float
    dram_ofmap_stop: float


def _div(num, den):
    """num / den as SCALE-Sim's numpy float64 division gives it (inf or nan for 0)."""
    if den == 0:
        return math.nan if num == 0 else math.copysign(math.inf, num)
    return num / den


def _sram_cycles(t):
    """SRAM start and stop cycles by operand, as SCALE-Sim reports them: float64 values, or
    int 0 for an operand with no access (doc/scalesim-v2.md §8)."""
    has, start, stop = t[6], t[7], t[8]
    return [(float(start[k]), float(stop[k])) if has[k] else (0, 0) for k in range(3)]


def _bandwidths(t):
    """SCALE-Sim's six average bandwidths of a result tuple: SRAM counts over total cycles
    (int / int), DRAM counts over stop - start + 1 in float64 (its start and stop cycles
    are numpy floats)."""
    total, sram, dstart, dstop, dram = t[0], t[9], t[10], t[11], t[12]
    out = [_div(sram[k], total) for k in range(3)]
    out += [_div(dram[k], float(dstop[k]) - float(dstart[k]) + 1) for k in range(3)]
    return out


def _result(i, name, t):
    """A Result from the extension's result tuple."""
    s = _sram_cycles(t)
    return Result(i, name, t[0], t[1], t[2], t[3], t[4], t[5], *t[9], *t[12], *_bandwidths(t),
                  s[0][0], s[0][1], s[1][0], s[1][1], s[2][0], s[2][1],
                  float(t[10][0]), float(t[11][0]), float(t[10][1]), float(t[11][1]),
                  float(t[10][2]), float(t[11][2]))


class Results(list):
    """A list of Result, one per layer, with .to_dataframe() (needs pandas)."""

    def to_dataframe(self):
        """The results as a pandas DataFrame, one row per layer, one column per field."""
        import pandas  # optional: only this method needs it

        cols = [f.name for f in dataclasses.fields(Result)]
        return pandas.DataFrame([dataclasses.astuple(r) for r in self], columns=cols)

    def total_cycles(self):
        """The sum of the layers' total cycles (stalls included)."""
        return sum(r.total_cycles for r in self)


def simulate(config, layers, *, dataflow=None, engine="auto", input_type="conv", jobs=None,
             v3=False):
    """Simulates layers on an architecture with SCALE-Sim's model; writes no file.

    config: a .cfg path, a dict of cfg keys (see mmtrace.config) or a Config.
    layers: a topology CSV path (SCALE-Sim's format; input_type 'conv', its default, or
        'gemm'), or a list of (name, M, N, K) GEMM tuples, (name, H, W, FH, FW, C, N, stride)
        or (..., stride_h, stride_w) conv tuples, or the Gemm rows mmtrace.lower returns.
    dataflow: 'os', 'ws' or 'is' in place of the cfg's Dataflow.
    engine: 'auto' (the fold engine where it is exact, the row engine elsewhere), 'rows' or
        'folds' (refuses a layer it cannot run exactly); the results are identical.
    jobs: threads (default: the CPU count). The GIL is released while the layers run, so
        simulations in a thread pool run in parallel.
    v3: SCALE-Sim v3.0.0's behaviour (its cfg keys are required).

    Returns Results, a list of Result (one per layer, in order; .to_dataframe() with pandas).
    The values are those of SCALE-Sim v2's reports run under Python >= 3.12 (v3's with v3).
    Raises mmtrace.Error with .file and .line for bad input.
    """
    cfg = _read_config(config, v3=v3)
    raw = cfg.raw if dataflow is None else _mmtrace.config_dataflow(cfg.raw, dataflow)
    rows, topo = _layer_tuples(layers, input_type, cfg.v3)
    res = _mmtrace.simulate(raw, rows, engine, jobs or os.cpu_count() or 1, False, None, 1,
                            topo)
    return Results(_result(i, rows[i][0], t) for i, t in enumerate(res))


# ------------------------------------------------------------------ LLM lowering


@dataclasses.dataclass(frozen=True)
class Gemm:
    """One GEMM of a lowered decoder block: SCALE-Sim's M, N, K (an M x K ifmap times K x N
    weights), run count times per block (times layers, when set, in whole-model sums); part
    is 'matmul-free' (a weight projection) or 'matmul' (attention)."""

    name: str
    part: str
    count: int
    M: int
    N: int
    K: int
    layers: int = 0


def presets():
    """The names of the built-in LLM presets: the paper's 13 first, then today's models."""
    return _mmtrace.llm_presets()


_PHASES = {"decode": 0, "prefill": 1}
_FFNS = {None: -1, "plain": 0, "gated": 1}
_ATTN = {"grouped": 0, "per-head": 1}


def _pick(table, value, what):
    """table[value], or ValueError naming the choices."""
    try:
        return table[value]
    except (KeyError, TypeError):
        raise ValueError("%s must be one of %s, not %r"
                         % (what, ", ".join(repr(k) for k in table if k is not None), value)) from None


def lower(model_or_config_json, seq, *, phase="decode", batch=1, ffn=None,
          attention="grouped", expand_heads=False):
    """Lowers one decoder block of an LLM to GEMM layers (README "LLM lowering").

    model_or_config_json: a preset name (mmtrace.presets()), or the path of a HuggingFace
        config.json (a str ending in '.json' or naming a directory part, or a PathLike).
    seq: the KV-cache length (decode) or the prompt length (prefill).
    phase: 'decode' or 'prefill'; batch: sequences; ffn: 'plain' or 'gated' in place of the
    model's own; attention: 'grouped' (the default) or 'per-head'; expand_heads: one row per
    head instead of a counted row.

    Returns a list of Gemm; simulate() takes it as its layers.
    """
    m = model_or_config_json
    is_path = isinstance(m, os.PathLike) or (isinstance(m, str) and
                                             (m.endswith(".json") or os.sep in m))
    raw, _, _ = _mmtrace.llm_model(os.fspath(m), is_path)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ValueError("seq must be a positive integer, not %r" % (seq,))
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ValueError("batch must be a positive integer, not %r" % (batch,))
    rows, warns = _mmtrace.llm_lower(raw, _pick(_PHASES, phase, "phase"), seq, batch,
                                     _pick(_FFNS, ffn, "ffn"), _pick(_ATTN, attention, "attention"),
                                     bool(expand_heads))
    _warn(warns)
    return [Gemm(*r) for r in rows]


# ------------------------------------------------------------------ study


def _number(text):
    """A results.csv field as an int or float where it is one, else the text."""
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def _joined(value):
    """An axis value as the CLI's comma list."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def study(outdir, *, hw=None, dataflow=None, model=None, hf_config=(), seq=None, phase=None,
          batch=None, ffn=None, weights=None, mmf_array=None, traces=None, jobs=None,
          cache=True, engine="auto", v3=False):
    """Runs the 1-bit LLM study (mmtrace-replay --study=OUTDIR) and returns results.csv's rows.

    The axes are the CLI's options, as a value or a list: hw ('cloud', 'edge' or .cfg paths;
    default cloud,edge), dataflow, model (preset names or 'all'; default all), hf_config
    (config.json paths), seq (default 128,...,4096), phase ('decode', 'prefill'), batch, ffn,
    weights (e.g. [8, 2, 1.58]), mmf_array ('RxC'), traces (models whose traces are kept).
    cache: True for the default layer cache, a directory, or False for none. Writes OUTDIR's
    tables and SVG figures (doc/study.md) and returns a list of dicts, one per results.csv row,
    numbers converted to int or float.
    """
    opts = []
    for opt, value in (("--hw", hw), ("--dataflow", dataflow), ("--model", model),
                       ("--seq", seq), ("--phase", phase), ("--batch", batch), ("--ffn", ffn),
                       ("--weights", weights), ("--mmf-array", mmf_array),
                       ("--traces", traces)):
        if value is not None:
            opts.append((opt, _joined(value)))
    if isinstance(hf_config, (str, os.PathLike)):
        hf_config = [hf_config]
    opts += [("--hf-config", os.fsdecode(p)) for p in hf_config]
    if cache is True:
        cache = _mmtrace.study_cache_default()
    elif cache is False:
        cache = None
    summary = _mmtrace.study(opts, os.fspath(outdir), jobs or os.cpu_count() or 1, cache,
                             engine, bool(v3))
    _warn(summary.pop("warnings"))
    with open(os.path.join(os.fspath(outdir), "results.csv"), newline="") as f:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(f)]


def version():
    """The version of the libmmtrace this package runs on."""
    return _mmtrace.version()
