"""The Pythonic API (mmtrace.simulate, config, lower, study) against the C programs and the
SCALE-Sim goldens; errors; the GIL released while a simulation runs."""

import csv
import dataclasses
import os
import subprocess
import threading
import time

import pytest

import mmtrace

from conftest import GOLDEN, program

CASE = os.path.join(GOLDEN, "a_gemm_8x8_os_user64_bw10")
GEMMS = [("g0_8x8x8", 8, 8, 8), ("g1_16x24x40", 16, 24, 40), ("g2_1x64x96", 1, 64, 96),
         ("g3_37x19x53", 37, 19, 53)]
DICT = {"run_name": "a", "ArrayHeight": 8, "ArrayWidth": 8, "IfmapSramSzkB": 64,
        "FilterSramSzkB": 64, "OfmapSramSzkB": 64, "Dataflow": "os",
        "InterfaceBandwidth": "USER", "Bandwidth": 10}


def replay_reports(cfg, topo, gemm, tmp, *extra):
    """Runs mmtrace-replay --no-traces; returns its COMPUTE and DETAILED_ACCESS rows."""
    out = tmp / "out"
    subprocess.run([program("mmtrace-replay"), "-c", cfg, "-t", topo, "-p", str(out), "-i",
                    "gemm" if gemm else "conv", "--no-traces", *extra], check=True,
                   stdout=subprocess.DEVNULL)
    run = out / os.listdir(out)[0]
    rows = []
    for r in ("COMPUTE_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"):
        with open(run / r) as f:
            rows.append([[x.strip() for x in line.split(",")[:-1]]
                         for line in f.read().splitlines()[1:]])
    return rows


def test_simulate_equals_c_program(tmp_path):
    """A dict config and (name, M, N, K) tuples give what mmtrace-replay gives for the same
    cfg and topology files, field by field."""
    res = mmtrace.simulate(DICT, GEMMS)
    comp, det = replay_reports(os.path.join(CASE, "config.cfg"),
                               os.path.join(CASE, "topology.csv"), True, tmp_path)
    assert [r.name for r in res] == [g[0] for g in GEMMS]
    for r, c, d in zip(res, comp, det):
        assert [r.total_cycles, r.stall_cycles] == [int(c[1]), int(c[2])]
        assert [r.overall_util, r.mapping_eff, r.compute_util] == [float(x) for x in c[3:6]]
        assert [r.sram_ifmap_reads, r.sram_filter_reads, r.sram_ofmap_writes,
                r.dram_ifmap_reads, r.dram_filter_reads, r.dram_ofmap_writes] == \
            [int(d[i]) for i in (3, 6, 9, 12, 15, 18)]
        assert [r.sram_ifmap_start, r.sram_ofmap_stop, r.dram_filter_start,
                r.dram_ofmap_stop] == [float(d[i]) for i in (1, 8, 13, 17)]
    # the same from the files, and from a Config read once
    files = mmtrace.simulate(os.path.join(CASE, "config.cfg"),
                             os.path.join(CASE, "topology.csv"), input_type="gemm")
    cfg = mmtrace.config(os.path.join(CASE, "config.cfg"))
    assert files == res == mmtrace.simulate(cfg, GEMMS)
    assert res.total_cycles() == sum(r.total_cycles for r in res)


def test_bandwidths_are_scalesims(tmp_path):
    """The bandwidths equal the golden BANDWIDTH_REPORT's values, to the last bit."""
    res = mmtrace.simulate(os.path.join(CASE, "config.cfg"),
                           os.path.join(CASE, "topology.csv"), input_type="gemm")
    with open(os.path.join(CASE, "BANDWIDTH_REPORT.csv")) as f:
        rows = [line.split(",")[1:7] for line in f.read().splitlines()[1:]]
    for r, row in zip(res, rows):
        assert [r.avg_ifmap_sram_bw, r.avg_filter_sram_bw, r.avg_ofmap_sram_bw,
                r.avg_ifmap_dram_bw, r.avg_filter_dram_bw, r.avg_ofmap_dram_bw] == \
            [float(x) for x in row]


@pytest.mark.parametrize("df", ["os", "ws", "is"])
def test_engines_and_dataflow(df):
    """The three engines agree, and dataflow= gives the golden case of that dataflow."""
    case = os.path.join(GOLDEN, "c_conv_8x8_%s_user1k_bw2" % df)
    runs = [mmtrace.simulate(os.path.join(GOLDEN, "c_conv_8x8_os_user1k_bw2", "config.cfg"),
                             os.path.join(case, "topology.csv"), dataflow=df, engine=e)
            for e in ("auto", "rows")]
    assert runs[0] == runs[1]
    gemm = [mmtrace.simulate(DICT, GEMMS, dataflow=df, engine=e) for e in ("folds", "rows")]
    assert gemm[0] == gemm[1]
    with open(os.path.join(case, "COMPUTE_REPORT.py312sum.csv")) as f:
        cycles = [int(line.split(",")[1]) for line in f.read().splitlines()[1:]]
    assert [r.total_cycles for r in runs[0]] == cycles


def test_conv_tuples_equal_topology():
    """Conv tuples (one stride or two) read as the topology file's rows."""
    case = os.path.join(GOLDEN, "c_conv_8x8_ws_calc64")
    rows = list(csv.reader(open(os.path.join(case, "topology.csv"))))[1:]
    layers = [(r[0].strip(), *[int(x) for x in r[1:8]]) for r in rows if r]
    assert mmtrace.simulate(os.path.join(case, "config.cfg"), layers) == \
        mmtrace.simulate(os.path.join(case, "config.cfg"), os.path.join(case, "topology.csv"))


def test_errors():
    """Bad input: mmtrace.Error with the file and line of a file, without for a dict."""
    with pytest.raises(mmtrace.Error) as e:
        mmtrace.simulate(dict(DICT, ArrayWidth=0), GEMMS)
    assert (e.value.file, e.value.line) == (None, None)
    assert str(e.value) == "config: ArrayWidth = 0: must be positive"
    with pytest.raises(mmtrace.Error) as e:
        mmtrace.simulate(DICT, os.path.join(CASE, "topology.csv"))  # a GEMM file read as conv
    assert e.value.file.endswith("topology.csv") and e.value.line == 2
    with pytest.raises(mmtrace.Error) as e:
        mmtrace.simulate(DICT, [("ok", 4, 4, 4), ("big", 70000, 4, 70000)])
    assert e.value.message.startswith("layer 1 (big): the ifmap has 4900000000 addresses")
    with pytest.raises(ValueError):
        mmtrace.simulate(DICT, [("x", 1, 2)])
    with pytest.raises(ValueError):
        mmtrace.simulate(DICT, GEMMS, dataflow="xs")
    with pytest.raises(ValueError):
        mmtrace.simulate(DICT, GEMMS, engine="fast")
    with pytest.raises(mmtrace.Error):
        mmtrace.lower("no-such-model", 128)


def test_lower_equals_mmtrace_gen(tmp_path):
    """lower() gives the rows mmtrace-gen --model writes (topology and manifest)."""
    subprocess.run([program("mmtrace-gen"), "--model=llama-3.1-8b", "--seq=512", "--batch=2",
                    "--phase=prefill", "-p", str(tmp_path)], check=True,
                   stdout=subprocess.DEVNULL)
    base = [f for f in os.listdir(tmp_path) if f.endswith(".parts.csv")]
    assert len(base) == 1
    with open(tmp_path / base[0]) as f:
        manifest = list(csv.DictReader(f))
    rows = mmtrace.lower("llama-3.1-8b", 512, phase="prefill", batch=2)
    assert [(r.name, r.part, r.count, r.M, r.N, r.K) for r in rows] == \
        [(m["name"], m["part"], int(m["count"]), int(m["M"]), int(m["N"]), int(m["K"]))
         for m in manifest]
    assert "gpt2" in mmtrace.presets()
    res = mmtrace.simulate("%s" % (tmp_path / [f for f in os.listdir(tmp_path)
                                               if f.endswith(".cfg")][0]), rows)
    assert len(res) == len(rows)


def test_study_equals_cli(tmp_path):
    """study() returns the rows of the results.csv that mmtrace-replay --study writes."""
    rows = mmtrace.study(tmp_path / "py", hw="edge", model="gpt2", seq=[128, 256],
                         cache=False, jobs=2)
    subprocess.run([program("mmtrace-replay"), "--study=%s" % (tmp_path / "cli"), "--hw=edge",
                    "--model=gpt2", "--seq=128,256", "--no-cache", "--format=svg"], check=True,
                   stdout=subprocess.DEVNULL)
    assert (tmp_path / "py" / "results.csv").read_bytes() == \
        (tmp_path / "cli" / "results.csv").read_bytes()
    assert len(rows) == 2 and rows[0]["model"] == "gpt2"
    assert isinstance(rows[0]["seq"], int)


def test_gil_released():
    """While a simulation runs on one thread, Python code runs on another: the extension
    released the GIL (were it held, no iteration could fall inside the call)."""
    out = {}

    def work():
        t0 = time.monotonic()
        mmtrace.simulate(DICT, [("big", 128, 512, 1024)], engine="rows", jobs=1)
        out["span"] = (t0, time.monotonic())

    t = threading.Thread(target=work)
    stamps = []
    t.start()
    while t.is_alive():
        stamps.append(time.monotonic())
    t.join()
    t0, t1 = out["span"]
    inside = [s for s in stamps if t0 + 0.01 < s < t1 - 0.01]
    assert t1 - t0 > 0.05, "the simulation was too short to tell"
    assert len(inside) > 1000


def test_dataframe():
    """to_dataframe() has one row per layer and a column per field (needs pandas)."""
    pandas = pytest.importorskip("pandas")
    df = mmtrace.simulate(DICT, GEMMS).to_dataframe()
    assert isinstance(df, pandas.DataFrame)
    assert list(df.columns) == [f.name for f in dataclasses.fields(mmtrace.Result)]
    assert list(df["total_cycles"]) == [r.total_cycles for r in mmtrace.simulate(DICT, GEMMS)]


def test_help_reads_well():
    """Every public name has a docstring."""
    for name in mmtrace.__all__:
        assert getattr(mmtrace, name).__doc__, name
    import mmtrace.scalesim.scale_config as sc
    import mmtrace.scalesim.scale_sim as ss
    import mmtrace.scalesim.simulator as sm
    import mmtrace.scalesim.single_layer_sim as sl
    import mmtrace.scalesim.topology_utils as tu
    for cls in (ss.scalesim, sc.scale_config, sm.simulator, sl.single_layer_sim, tu.topologies):
        for k, v in vars(cls).items():
            if callable(v) and not k.startswith("_"):
                assert v.__doc__, "%s.%s" % (cls.__name__, k)
