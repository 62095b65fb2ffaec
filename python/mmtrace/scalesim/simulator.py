"""SCALE-Sim's simulator class (scalesim.simulator): runs every layer, writes the reports."""

import os

from .. import _mmtrace
from . import _run
from .single_layer_sim import single_layer_sim as layer_sim


class simulator:
    """Runs a network as SCALE-Sim v2's simulator does, on libmmtrace.

    set_params(config_obj=, topo_obj=, top_path=, verbosity=, save_trace=) then run():
    creates top_path and top_path/<run_name>, simulates every layer (on all CPUs, without the
    GIL), writes each layer's six traces into layer<i>/ when save_trace is true, then
    COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv, each under a
    temporary name renamed into place (flushed to the disk first when mmtrace.scalesim.fsync
    is True), and prints SCALE-Sim's per-layer console text when
    verbosity is true. single_layer_sim_object_list then holds one single_layer_sim per layer.
    """

    def __init__(self):
        """A simulator with nothing set."""
        self.conf = None
        self.topo = None
        self.top_path = "./"
        self.verbose = True
        self.save_trace = True
        self.num_layers = 0
        self.single_layer_sim_object_list = []
        self.params_set_flag = False
        self.all_layer_run_done = False

    def set_params(self, config_obj=None, topo_obj=None, top_path="./", verbosity=True,
                   save_trace=True):
        """Sets the config (scale_config), topology (topologies), output folder and flags."""
        self.conf = config_obj
        self.topo = topo_obj
        self.top_path = top_path
        self.verbose = verbosity
        self.save_trace = save_trace
        self.num_layers = self.topo.get_num_layers()
        self.params_set_flag = True

    def run(self):
        """Runs every layer, then writes the reports (see the class)."""
        assert self.params_set_flag, "Simulator parameters are not set"
        for i in range(self.num_layers):
            layer = layer_sim()
            layer.set_params(layer_id=i, config_obj=self.conf, topology_obj=self.topo,
                             verbose=self.verbose)
            self.single_layer_sim_object_list.append(layer)
        cfg = self.conf._mmt_config()
        layers, topo = self.topo._mmt_layers()
        if not os.path.isdir(self.top_path):
            os.mkdir(self.top_path)
        report_path = self.top_path + "/" + self.conf.get_run_name()
        if not os.path.isdir(report_path):
            os.mkdir(report_path)
        self.top_path = report_path
        v3 = bool(cfg.v3)
        results = _run.run_layers(cfg, layers, topo, report_path, self.save_trace, v3)
        for layer, t in zip(self.single_layer_sim_object_list, results):
            layer._set_result(t, v3)
            if self.verbose:
                # SCALE-Sim v2 prints each layer's block after running it (§1)
                text = "\nRunning Layer %d\n" % layer.get_layer_id() + _mmtrace.console(t, v3)
                if self.save_trace:
                    text += "Saving traces: Done!\n"
                print(text, end="")
        self.all_layer_run_done = True
        self._results = results
        self.generate_reports()

    def generate_reports(self):
        """Writes the three reports into the run directory (the library's staged writer)."""
        assert self.all_layer_run_done, "Layer runs are not done yet"
        from . import fsync
        _mmtrace.report_write(self.top_path, self._results, bool(self.conf._mmt_config().v3),
                              fsync)

    def get_total_cycles(self):
        """The sum of every layer's first compute-report item: its Total Cycles (v3: Total
        Cycles incl. prefetch). SCALE-Sim's own indexes a method and raises TypeError; this
        is the sum it means."""
        assert self.all_layer_run_done, "Layer runs are not done yet"
        # SCALE-Sim v2 and v3.0.0: int(layer_obj.get_compute_report_items[0]), a method
        # indexed (TypeError); the call it means: v2's Total Cycles, v3's incl. prefetch
        return sum(int(layer.get_compute_report_items()[0])
                   for layer in self.single_layer_sim_object_list)
