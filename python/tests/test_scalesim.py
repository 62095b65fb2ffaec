"""mmtrace.scalesim, the drop-in for SCALE-Sim v2's API, against the real SCALE-Sim v2's
output recorded in tests/golden: the same console text, reports and traces, and the values the
per-layer objects return are those the reports print."""

import configparser
import contextlib
import gzip
import hashlib
import io
import os
import sys

import pytest

import mmtrace
from mmtrace.scalesim import scalesim
from mmtrace.scalesim.scale_config import scale_config
from mmtrace.scalesim.simulator import simulator
from mmtrace.scalesim.topology_utils import topologies

from conftest import GOLDEN

CASES = sorted(c for c in os.listdir(GOLDEN) if os.path.isfile(os.path.join(GOLDEN, c, "config.cfg")))
BIG = "e_repo_golden_alexnet_part_32x32_ws_calc"  # 130 MB of traces: checked without them
REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")
TRACES = [op + "_" + k + "_TRACE.csv" for k in ("SRAM", "DRAM") for op in ("IFMAP", "FILTER", "OFMAP")]


def is_gemm(case):
    """The case was run with -i gemm."""
    with open(os.path.join(GOLDEN, case, "command.txt")) as f:
        return "-i gemm" in f.read()


def read(path):
    with open(path) as f:
        return f.read()


def want_compute(case):
    """The COMPUTE_REPORT SCALE-Sim prints under this interpreter (sum() changed in 3.12)."""
    name = "COMPUTE_REPORT.csv" if sys.version_info < (3, 12) else "COMPUTE_REPORT.py312sum.csv"
    return read(os.path.join(GOLDEN, case, name))


def run_case(case, out, save_disk_space, monkeypatch):
    """Runs a golden case through the drop-in from the case directory (so the banner names
    topology.csv, as SCALE-Sim's did); returns the scalesim object and the console text."""
    monkeypatch.chdir(os.path.join(GOLDEN, case))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        s = scalesim(save_disk_space=save_disk_space, verbose=True, config="config.cfg",
                     topology="topology.csv", input_type_gemm=is_gemm(case))
        s.run_scale(top_path=str(out))
    return s, buf.getvalue()


def report_lines(s):
    """The three reports as SCALE-Sim's generate_reports writes them from the per-layer
    accessors (', '.join of str(x)): the values must print exactly as the library did."""
    heads = [read(os.path.join(GOLDEN, CASES[0], r)).splitlines()[0] + "\n" for r in REPORTS]
    out = list(heads)
    for lid, layer in enumerate(s.runner.single_layer_sim_object_list):
        for k, items in enumerate((layer.get_compute_report_items(),
                                   layer.get_bandwidth_report_items(),
                                   layer.get_detail_report_items())):
            out[k] += str(lid) + ", " + ", ".join(str(x) for x in items) + ",\n"
    return out


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case, tmp_path, monkeypatch):
    """Console, reports and traces of every golden case equal SCALE-Sim v2's."""
    big = case == BIG
    s, console = run_case(case, tmp_path, big, monkeypatch)
    want = read(os.path.join(GOLDEN, case, "stdout.txt"))
    if big:  # run without traces: SCALE-Sim then omits its "Saving traces" lines
        want = want.replace("Saving traces: Done!\n", "")
    assert console == want
    run = tmp_path / s.config.get_run_name()
    assert read(run / "COMPUTE_REPORT.csv") == want_compute(case)
    for r in REPORTS[1:]:
        assert read(run / r) == read(os.path.join(GOLDEN, case, r)), r
    # the accessors give the values the reports print
    mine = report_lines(s)
    assert mine[0] == want_compute(case)
    for k, r in enumerate(REPORTS[1:], 1):
        assert mine[k] == read(os.path.join(GOLDEN, case, r)), r
    layers = sorted(d for d in os.listdir(run) if d.startswith("layer"))
    if big:
        assert layers == []
        return
    assert len(layers) == len(s.runner.single_layer_sim_object_list)
    for layer in layers:
        assert sorted(os.listdir(run / layer)) == sorted(TRACES)  # no temporaries left
        for t in TRACES:
            with gzip.open(os.path.join(GOLDEN, case, layer, t + ".gz"), "rb") as f:
                assert (run / layer / t).read_bytes() == f.read(), layer + "/" + t


def test_total_cycles_and_attributes(tmp_path, monkeypatch):
    """get_total_cycles() is the sum SCALE-Sim v2's means; the attributes scripts read."""
    case = "a_gemm_8x8_ws_user64_bw10"
    s, _ = run_case(case, tmp_path, True, monkeypatch)
    layers = s.runner.single_layer_sim_object_list
    rows = read(os.path.join(GOLDEN, case, "COMPUTE_REPORT.csv")).splitlines()[1:]
    cycles = [int(r.split(",")[1]) for r in rows]
    assert [l.total_cycles for l in layers] == cycles
    assert s.get_total_cycles() == sum(cycles) == s.runner.get_total_cycles()
    assert [l.get_layer_id() for l in layers] == list(range(len(rows)))
    assert [float(r.split(",")[3]) for r in rows] == [l.overall_util for l in layers]
    assert not os.path.exists(tmp_path / s.config.get_run_name() / "layer0")


def test_pieces_built_by_hand(tmp_path, monkeypatch):
    """scale_config + topologies + simulator, as scripts assemble them, give the same reports;
    a changed attribute (set_arr_dims) is what runs."""
    case = "c_conv_8x8_os_user1k_bw2"
    monkeypatch.chdir(os.path.join(GOLDEN, case))
    cfg = scale_config()
    cfg.read_conf_file("config.cfg")
    topo = topologies()
    topo.load_arrays(topofile="topology.csv", mnk_inputs=False)
    sim = simulator()
    sim.set_params(config_obj=cfg, topo_obj=topo, top_path=str(tmp_path), verbosity=False,
                   save_trace=False)
    sim.run()
    run = tmp_path / cfg.get_run_name()
    assert read(run / "BANDWIDTH_REPORT.csv") == read("BANDWIDTH_REPORT.csv")
    assert len(sim.single_layer_sim_object_list) == topo.get_num_layers()
    # the same cfg on a 4x4 array: what mmtrace.simulate gives for it
    cfg.set_arr_dims(4, 4)
    sim2 = simulator()
    sim2.set_params(config_obj=cfg, topo_obj=topo, top_path=str(tmp_path / "b"),
                    verbosity=False, save_trace=False)
    sim2.run()
    d = {"ArrayHeight": 4, "ArrayWidth": 4, "IfmapSramSzkB": cfg.ifmap_sz_kb,
         "FilterSramSzkB": cfg.filter_sz_kb, "OfmapSramSzkB": cfg.ofmap_sz_kb, "Dataflow": "os",
         "InterfaceBandwidth": "USER", "Bandwidth": cfg.bandwidths[0]}
    res = mmtrace.simulate(d, "topology.csv")
    got = [l.total_cycles for l in sim2.single_layer_sim_object_list]
    assert got == [r.total_cycles for r in res]
    assert got != [l.total_cycles for l in sim.single_layer_sim_object_list]


def test_missing_files_exit_as_scalesim(tmp_path, capsys):
    """A missing topology or cfg: SCALE-Sim's three lines on stdout, then exit()."""
    with pytest.raises(SystemExit):
        scalesim(config="none.cfg", topology=str(tmp_path / "none.csv"))
    out = capsys.readouterr().out
    assert out == ("ERROR: scalesim.scale.py: Topology file not found\nInput file:%s\nExiting\n"
                   % (tmp_path / "none.csv"))


def test_bad_cfg_raises_error_with_line(tmp_path):
    """A bad value is mmtrace.Error with the cfg's file and line, before anything is run."""
    cfg = tmp_path / "bad.cfg"
    text = read(os.path.join(GOLDEN, CASES[0], "config.cfg")).replace("ArrayHeight:    8",
                                                                      "ArrayHeight:    0")
    cfg.write_text(text)
    topo = os.path.join(GOLDEN, CASES[0], "topology.csv")
    with pytest.raises(mmtrace.Error) as e:
        scalesim(config=str(cfg), topology=topo, input_type_gemm=True)
    assert e.value.file == str(cfg)
    assert e.value.line == text.splitlines().index("ArrayHeight:    0") + 1
    assert str(e.value).startswith("%s:%d: " % (cfg, e.value.line))
    assert e.value.code < 0


def test_bad_topology_row_names_line(tmp_path):
    """A bad topology row is mmtrace.Error naming the file and line when it is read."""
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nok, 4, 4, 4,\nzero, 4, 0, 4,\n")
    with pytest.raises(mmtrace.Error) as e:
        scalesim(config=os.path.join(GOLDEN, CASES[0], "config.cfg"), topology=str(topo),
                 input_type_gemm=True)
    assert (e.value.file, e.value.line) == (str(topo), 3)


def test_refused_layer_names_line(tmp_path):
    """A layer the memory model refuses (a USER-mode ifmap over 2^32 addresses) names the
    topology's file and line, and no report or trace is written."""
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nok, 4, 4, 4,\nbig, 70000, 4, 70000,\n")
    s = scalesim(save_disk_space=False, verbose=False,
                 config=os.path.join(GOLDEN, "a_gemm_8x8_os_user64_bw10", "config.cfg"),
                 topology=str(topo), input_type_gemm=True)
    with pytest.raises(mmtrace.Error) as e:
        s.run_scale(top_path=str(tmp_path / "out"))
    assert (e.value.file, e.value.line) == (str(topo), 3)
    assert "layer 1 (big)" in e.value.message
    run = tmp_path / "out" / s.config.get_run_name()
    assert not os.path.exists(run / "COMPUTE_REPORT.csv")
    for layer in os.listdir(run):  # the layer folders SCALE-Sim makes, but no trace
        assert os.listdir(run / layer) == []


def test_py312_sum_variant(tmp_path, monkeypatch):
    """python311_sum=False gives the COMPUTE_REPORT of SCALE-Sim under Python >= 3.12."""
    import mmtrace.scalesim as ms
    monkeypatch.setattr(ms, "python311_sum", False)
    case = "e_repo_golden_alexnet_part_32x32_ws_calc"
    s, _ = run_case(case, tmp_path, True, monkeypatch)
    got = read(tmp_path / s.config.get_run_name() / "COMPUTE_REPORT.csv")
    assert got == read(os.path.join(GOLDEN, case, "COMPUTE_REPORT.py312sum.csv"))
    assert got != read(os.path.join(GOLDEN, case, "COMPUTE_REPORT.csv"))


GOLDEN3 = os.path.join(os.path.dirname(GOLDEN), "golden-v3")
CASES3 = sorted(c for c in os.listdir(GOLDEN3) if os.path.isdir(os.path.join(GOLDEN3, c)))


@pytest.mark.parametrize("case", CASES3)
def test_golden_v3_case(case, tmp_path, monkeypatch):
    """v3=True: the reports and traces of the real SCALE-Sim v3.0.0 (recorded with Python
    3.12's sum), and the accessors print as the reports do (v3's extra first column)."""
    import mmtrace.scalesim as ms
    monkeypatch.setattr(ms, "python311_sum", False)
    d = os.path.join(GOLDEN3, case)
    monkeypatch.chdir(d)
    gemm = "-i gemm" in read("command.txt")
    with contextlib.redirect_stdout(io.StringIO()):
        s = scalesim(save_disk_space=False, verbose=True, config="config.cfg",
                     topology="topology.csv", input_type_gemm=gemm, v3=True)
        s.run_scale(top_path=str(tmp_path))
    run = tmp_path / s.config.get_run_name()
    for r in REPORTS:
        assert read(run / r) == read(os.path.join(d, r)), r
    rows = read(os.path.join(d, "COMPUTE_REPORT.csv")).splitlines()[1:]
    for lid, layer in enumerate(s.runner.single_layer_sim_object_list):
        items = layer.get_compute_report_items()
        assert "%d, " % lid + ", ".join(str(x) for x in items) + "," == rows[lid]
    assert s.get_total_cycles() == sum(int(r.split(",")[1]) for r in rows)
    for layer in sorted(x for x in os.listdir(d) if x.startswith("layer")):
        for t in TRACES:
            with gzip.open(os.path.join(d, layer, t + ".gz"), "rb") as f:
                assert (run / layer / t).read_bytes() == f.read(), layer + "/" + t


def test_written_files_read_back(tmp_path, monkeypatch):
    """write_conf_file and write_topo_file write what read_conf_file and load_arrays read
    (the cfg once InterfaceBandwidth is added and [network_presets] renamed: SCALE-Sim v2
    cannot read its own file back either); with
    mmtrace.scalesim.fsync the run is the same."""
    import mmtrace.scalesim as ms
    monkeypatch.setattr(ms, "fsync", True)
    case = os.path.join(GOLDEN, "c_conv_8x8_ws_user64_bw10")
    cfg = scale_config()
    cfg.read_conf_file(os.path.join(case, "config.cfg"))
    cfg.write_conf_file(str(tmp_path / "w.cfg"))
    text = (tmp_path / "w.cfg").read_text() + "[run_presets]\nInterfaceBandwidth = USER\n"
    (tmp_path / "w.cfg").write_text(text)
    again = scale_config()
    # SCALE-Sim v2 looks TopologyCsvLoc up in [architecture_presets]: its own file fails
    with pytest.raises(configparser.NoOptionError):
        again.read_conf_file(str(tmp_path / "w.cfg"))
    (tmp_path / "w.cfg").write_text(text.replace("[network_presets]", "[network]"))
    again.read_conf_file(str(tmp_path / "w.cfg"))
    assert again.get_conf_as_list()[:10] == cfg.get_conf_as_list()[:10]
    topo = topologies()
    topo.load_arrays(topofile=os.path.join(case, "topology.csv"))
    topo.write_topo_file(str(tmp_path), "t.csv")
    t2 = topologies()
    t2.load_arrays(topofile=str(tmp_path / "t.csv"))
    assert t2.topo_arrays == topo.topo_arrays
    assert topo.get_layer_id_from_name(topo.get_layer_name(1)) == 1
    sim = simulator()
    sim.set_params(config_obj=again, topo_obj=t2, top_path=str(tmp_path / "o"), verbosity=False,
                   save_trace=True)
    sim.run()
    run = tmp_path / "o" / again.get_run_name()
    assert read(run / "DETAILED_ACCESS_REPORT.csv") == read(os.path.join(case, "DETAILED_ACCESS_REPORT.csv"))
    with gzip.open(os.path.join(case, "layer0", "FILTER_DRAM_TRACE.csv.gz"), "rb") as f:
        assert (run / "layer0" / "FILTER_DRAM_TRACE.csv").read_bytes() == f.read()
