"""SCALE-Sim's single_layer_sim class (scalesim.single_layer_sim): one layer's results."""

from .. import _api


class single_layer_sim:
    """One layer of a run, with SCALE-Sim v2's report attributes and accessors.

    After simulator.run() the attributes hold SCALE-Sim's values: total_cycles, stall_cycles,
    overall_util, mapping_eff, compute_util (the compute report), avg_ifmap_sram_bw, ...,
    avg_ofmap_dram_bw (the bandwidth report), ifmap_sram_start_cycle, ...,
    ofmap_dram_writes (the detailed access report), num_compute and num_mac_unit. Start and
    stop cycles are floats (SCALE-Sim's are numpy.float64 of the same value; an SRAM with no
    access has int 0).
    """

    def __init__(self):
        """An empty layer; simulator.run() fills it."""
        self.layer_id = 0
        self.verbose = True
        self.total_cycles = 0
        self.stall_cycles = 0
        self.num_compute = 0
        self.num_mac_unit = 0
        self.overall_util = 0
        self.mapping_eff = 0
        self.compute_util = 0
        for op in ("ifmap", "filter", "ofmap"):
            setattr(self, "avg_%s_sram_bw" % op, 0)
            setattr(self, "avg_%s_dram_bw" % op, 0)
            for mem in ("sram", "dram"):
                setattr(self, "%s_%s_start_cycle" % (op, mem), 0)
                setattr(self, "%s_%s_stop_cycle" % (op, mem), 0)
        self.ifmap_sram_reads = self.filter_sram_reads = self.ofmap_sram_writes = 0
        self.ifmap_dram_reads = self.filter_dram_reads = self.ofmap_dram_writes = 0
        self.params_set_flag = False
        self.runs_ready = False
        self.report_items_ready = False
        self._result = None

    def set_params(self, layer_id=0, config_obj=None, topology_obj=None, verbose=True):
        """Sets the layer's index, config and topology."""
        self.layer_id = layer_id
        self.config = config_obj
        self.topo = topology_obj
        self.verbose = verbose
        if config_obj is not None:
            rows, cols = config_obj.get_array_dims()
            self.num_mac_unit = rows * cols
        self.params_set_flag = True

    def _set_result(self, t, v3=False):
        """Fills the attributes from the extension's result tuple t (as calc_report_data)."""
        self._result = t
        self.v3 = v3
        # SCALE-Sim v3.0.0's overall_cycles ("Total Cycles (incl. prefetch)"): the ofmap's
        # DRAM stop minus the earlier read DRAM start, no +1 (doc/scalesim-v3.md §V3.7)
        self.overall_cycles = t[11][2] - min(t[10][0], t[10][1])
        self.total_cycles, self.stall_cycles = t[0], t[1]
        self.overall_util, self.mapping_eff, self.compute_util = t[2], t[3], t[4]
        # SCALE-Sim v2: num_compute is ofmap pixels x window size, i.e. the MACs
        self.num_compute = t[5]
        (self.ifmap_sram_reads, self.filter_sram_reads, self.ofmap_sram_writes) = t[9]
        (self.ifmap_dram_reads, self.filter_dram_reads, self.ofmap_dram_writes) = t[12]
        (self.avg_ifmap_sram_bw, self.avg_filter_sram_bw, self.avg_ofmap_sram_bw,
         self.avg_ifmap_dram_bw, self.avg_filter_dram_bw,
         self.avg_ofmap_dram_bw) = _api._bandwidths(t)
        sram = _api._sram_cycles(t)
        for k, op in enumerate(("ifmap", "filter", "ofmap")):
            setattr(self, "%s_sram_start_cycle" % op, sram[k][0])
            setattr(self, "%s_sram_stop_cycle" % op, sram[k][1])
            setattr(self, "%s_dram_start_cycle" % op, float(t[10][k]))
            setattr(self, "%s_dram_stop_cycle" % op, float(t[11][k]))
        self.runs_ready = True
        self.report_items_ready = True

    def run(self):
        """Simulates this layer alone (simulator.run() runs all layers at once instead)."""
        assert self.params_set_flag, "Parameters are not set. Run set_params()"
        layers, topo = self.topo._mmt_layers()
        from ._run import py311_sum
        from .. import _mmtrace
        cfg = self.config._mmt_config()
        self._set_result(_mmtrace.simulate(cfg.raw, [layers[self.layer_id]], "auto", 1,
                                           py311_sum(), None, 0, topo)[0], bool(cfg.v3))

    def get_layer_id(self):
        """The layer's index."""
        assert self.params_set_flag, "Parameters are not set yet"
        return self.layer_id

    def get_compute_report_items(self):
        """[total cycles, stall cycles, overall util %, mapping efficiency %, compute util %];
        SCALE-Sim v3.0.0 (v3 runs) puts overall_cycles (incl. prefetch) first."""
        first = [self.overall_cycles] if getattr(self, "v3", False) else []
        return first + [self.total_cycles, self.stall_cycles, self.overall_util, self.mapping_eff,
                self.compute_util]

    def get_bandwidth_report_items(self):
        """The six average bandwidths: SRAM ifmap, filter, ofmap, then DRAM (words/cycle)."""
        return [self.avg_ifmap_sram_bw, self.avg_filter_sram_bw, self.avg_ofmap_sram_bw,
                self.avg_ifmap_dram_bw, self.avg_filter_dram_bw, self.avg_ofmap_dram_bw]

    def get_detail_report_items(self):
        """Start cycle, stop cycle and count of SRAM ifmap, filter, ofmap, then DRAM."""
        items = []
        for mem, counts in (("sram", ("reads", "reads", "writes")),
                            ("dram", ("reads", "reads", "writes"))):
            for op, c in zip(("ifmap", "filter", "ofmap"), counts):
                items += [getattr(self, "%s_%s_start_cycle" % (op, mem)),
                          getattr(self, "%s_%s_stop_cycle" % (op, mem)),
                          getattr(self, "%s_%s_%s" % (op, mem, c))]
        return items
