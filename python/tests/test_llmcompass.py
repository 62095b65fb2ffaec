"""A real caller: an LLMCompass-style GEMM lookup-table loop, with one import changed.

LLMCompass (PrincetonUniversity/LLMCompass, software_model/matmul.py) fills its systolic-array
lookup table this way: for each (M, N, K, array height, array width, dataflow) not yet in the
table, it writes a .cfg (the array, 1024 KB SRAMs, SCALE-Sim's offsets, Bandwidth 100,
MemoryBanks 1, InterfaceBandwidth CALC) and a one-row GEMM topology ("Layer, M, N, K" then
"matmul1, M, N, K,"), runs scalesim(save_disk_space=True, verbose=False, ...,
input_type_gemm=True).run_scale(top_path=...), reads runner.single_layer_sim_object_list[0]'s
total_cycles and overall_util, and appends "M,N,K,h,w,df,cycles,util:.3f" to a CSV. The loop
below does the same through mmtrace.scalesim and is compared with the real SCALE-Sim v2's
values (fixtures/llmcompass_scalesim_v2.csv, recorded by fixtures/record_llmcompass.py) and
with what the C program mmtrace-replay gives for the same shapes.
"""

import csv
import os
import subprocess

from mmtrace.scalesim import scalesim

from conftest import FIXTURES, program

CFG = """[general]
run_name = systolic_array

[architecture_presets]
ArrayHeight:    {h}
ArrayWidth:     {w}
IfmapSramSzkB:    1024
FilterSramSzkB:   1024
OfmapSramSzkB:    1024
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : {df}
Bandwidth : 100
MemoryBanks: 1

[run_presets]
InterfaceBandwidth: CALC
"""


def reference():
    """The real SCALE-Sim v2's rows, keyed by (M, N, K, h, w, df)."""
    with open(os.path.join(FIXTURES, "llmcompass_scalesim_v2.csv"), newline="") as f:
        return {(int(r["M"]), int(r["N"]), int(r["K"]), int(r["array_height"]),
                 int(r["array_width"]), r["dataflow"]): r for r in csv.DictReader(f)}


def fill_table(keys, tmp):
    """The lookup-table loop: one scalesim run per missing key, results appended to a CSV."""
    table, total = {}, {}
    temp = tmp / "temp"
    temp.mkdir()
    lut = tmp / "look_up_table.csv"
    for M, N, K, h, w, df in keys:
        if (M, N, K, h, w, df) in table:
            continue
        config = str(temp / ("systolic_array_%d.cfg" % os.getpid()))
        with open(config, "w") as f:
            f.write(CFG.format(h=h, w=w, df=df))
        topology = str(temp / ("matmul_%d.csv" % os.getpid()))
        with open(topology, "w") as f:
            f.writelines("Layer, M, N, K\n")
            f.writelines("matmul1, %d, %d, %d,\n" % (M, N, K))
        s = scalesim(save_disk_space=True, verbose=False, config=config, topology=topology,
                     input_type_gemm=True)
        s.run_scale(top_path=str(temp) + "/")
        cycle_count = s.runner.single_layer_sim_object_list[0].total_cycles
        util_rate = s.runner.single_layer_sim_object_list[0].overall_util
        with open(lut, "a") as f:
            f.writelines("%d,%d,%d,%d,%d,%s,%d,%.3f\n"
                         % (M, N, K, h, w, df, cycle_count, util_rate))
        table[(M, N, K, h, w, df)] = (cycle_count, util_rate)
        total[(M, N, K, h, w, df)] = s.get_total_cycles()
    return table, total, lut


def test_lookup_table_equals_scalesim_v2(tmp_path):
    """Every entry equals what the real SCALE-Sim v2 returned to the same loop."""
    ref = reference()
    table, total, lut = fill_table(list(ref), tmp_path)
    assert len(table) == len(ref) == 36
    for key, r in ref.items():
        assert table[key][0] == int(r["cycle_count"]), key
        assert repr(table[key][1]) == r["util_rate"], key
        assert total[key] == int(r["total_cycles"]), key
    with open(lut) as f:
        assert len(f.readlines()) == 36


def test_lookup_table_equals_c_programs(tmp_path):
    """The same table from mmtrace-replay --no-traces (all shapes of an array and dataflow
    as the layers of one topology) has the same cycles and utilisation."""
    replay = program("mmtrace-replay")
    ref = reference()
    table, _, _ = fill_table(list(ref), tmp_path)
    groups = {}
    for M, N, K, h, w, df in ref:
        groups.setdefault((h, w, df), []).append((M, N, K))
    for (h, w, df), shapes in groups.items():
        d = tmp_path / ("c_%d_%d_%s" % (h, w, df))
        d.mkdir()
        (d / "a.cfg").write_text(CFG.format(h=h, w=w, df=df))
        (d / "t.csv").write_text("Layer, M, N, K,\n" + "".join(
            "g%d, %d, %d, %d,\n" % (i, *s) for i, s in enumerate(shapes)))
        subprocess.run([replay, "-c", "a.cfg", "-t", "t.csv", "-p", "out", "-i", "gemm",
                        "--no-traces"], cwd=d, check=True, stdout=subprocess.DEVNULL)
        with open(d / "out" / "systolic_array" / "COMPUTE_REPORT.csv") as f:
            rows = [line.split(",") for line in f.read().splitlines()[1:]]
        for (M, N, K), row in zip(shapes, rows):
            cycles, util = table[(M, N, K, h, w, df)]
            assert cycles == int(row[1]) and util == float(row[3]), (M, N, K, h, w, df)
