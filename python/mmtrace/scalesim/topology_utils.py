"""SCALE-Sim's topologies class (scalesim.topology_utils), over libmmtrace's topology reader."""

import math

from .. import _api, _mmtrace


class topologies:
    """A network's layers as SCALE-Sim holds them.

    topo_arrays has one entry per layer, [name, ifmap_h, ifmap_w, filter_h, filter_w,
    channels, num_filters, stride_h, stride_w]; a GEMM row M, N, K becomes [name, M, K, 1, K,
    1, N, 1, 1] and a conv row with 'DP' in its name one layer per channel, named
    NAME + 'Channel_' + i (SCALE-Sim v2 §3). load_arrays reads the file with libmmtrace's
    reader (errors raised as mmtrace.Error with the file and line).
    """

    def __init__(self, v3=False):
        """An empty topology."""
        self.current_topo_name = ""
        self.topo_file_name = ""
        self.topo_arrays = []
        self.spatio_temp_dim_arrays = []
        self.layers_calculated_hyperparams = []
        self.num_layers = 0
        self.topo_load_flag = False
        self.topo_calc_hyper_param_flag = False
        self.topo_calc_spatiotemp_params_flag = False
        self.v3 = bool(v3)
        self._path = "<topology>"
        self._lines = []

    def reset(self):
        """Forgets every layer."""
        print("All data reset")
        self.__init__(self.v3)

    def load_arrays(self, topofile="", mnk_inputs=False):
        """Reads a topology CSV: mnk_inputs=True for SCALE-Sim's GEMM (M, N, K) format."""
        self.topo_file_name = topofile.split("/")[-1]
        parts = self.topo_file_name.split(".")
        self.current_topo_name = parts[-2] if len(parts) > 1 else self.topo_file_name
        rows, warns = _mmtrace.topology_read(topofile, bool(mnk_inputs), self.v3)
        _api._warn(warns)
        dp = {}
        for r in rows:
            name = r[0]
            if not mnk_inputs and "DP" in name:
                # SCALE-Sim v2: a depthwise row becomes one layer per channel, named so
                k = dp.get(r[9], 0)
                dp[r[9]] = k + 1
                name = name + "Channel_" + str(k)
            self.topo_arrays.append([name, *r[1:9]])
            self._lines.append(r[9])
        self._path = topofile
        self.num_layers = len(self.topo_arrays)
        self.topo_load_flag = True

    def load_layer_params_from_list(self, layer_name, elems_list=[]):
        """Appends one layer from [name, H, W, FH, FW, C, N, stride[, stride_w]]."""
        self.topo_file_name = ""
        self.layer_name = layer_name
        self._append(layer_name, elems_list)
        self.num_layers += 1
        self.topo_load_flag = True

    def _append(self, layer_name, elems):
        """SCALE-Sim's append_topo_arrays: the ints of elems[1:], one stride given twice."""
        entry = [layer_name]
        for i in range(1, len(elems)):
            val = int(str(elems[i]).strip())
            entry.append(val)
            if i == 7 and len(elems) < 9:
                entry.append(val)
        assert entry[3] <= entry[1], "Filter height cannot be larger than IFMAP height"
        assert entry[4] <= entry[2], "Filter width cannot be larger than IFMAP width"
        self.topo_arrays.append(entry)
        self._lines.append(0)

    def append_topo_arrays(self, layer_name, elems):
        """Appends one layer from SCALE-Sim's row list (index 0 unused)."""
        self._append(layer_name, elems)

    def append_topo_entry_from_list(self, layer_entry_list=[]):
        """Appends one layer from [name, H, W, FH, FW, C, N, stride[, stride_w]]."""
        assert 7 < len(layer_entry_list) < 10, "Incorrect number of parameters"
        entry = [str(layer_entry_list[0])]
        for i in range(1, len(layer_entry_list)):
            val = int(str(layer_entry_list[i]).strip())
            entry.append(val)
            if i == 7 and len(layer_entry_list) < 9:
                entry.append(val)
        self.append_layer_entry(entry, toponame=self.current_topo_name)

    def append_layer_entry(self, entry, toponame=""):
        """Appends one complete 9-item entry."""
        assert len(entry) == 9, "Incorrect number of parameters"
        if toponame != "":
            self.current_topo_name = toponame
        self.topo_arrays.append(entry)
        self._lines.append(0)
        self.topo_load_flag = True
        self.topo_calc_hyperparams()
        self.num_layers += 1

    def write_topo_file(self, path="", filename=""):
        """Writes the layers as a conv topology CSV (SCALE-Sim v2's header and rows) to
        path/filename."""
        if path == "":
            print("WARNING: topology_utils.write_topo_file: No path specified writing to the cwd")
            path = "./"
        if filename == "":
            print("ERROR: topology_utils.write_topo_file: No filename provided")
            return
        if not self.topo_load_flag:
            print("ERROR: topology_utils.write_topo_file: No data loaded")
            return
        header = ["Layer name", "IFMAP height", "IFMAP width", "Filter height", "Filter width",
                  "Channels", "Num filter", "Stride height", "Stride width"]
        text = ",".join(header) + ",\n"
        text += "".join(",".join(str(x) for x in e) + ",\n" for e in self.topo_arrays)
        from ._run import write_text
        write_text(path + "/" + filename, text)

    def get_layer_id_from_name(self, layer_name=""):
        """The index of the layer called layer_name, or -1."""
        if (not self.topo_load_flag) or layer_name == "":
            print("ERROR")
            return None
        # SCALE-Sim v2 compares the name with whole entries, so it never finds one and
        # always returns -1 with "WARNING: Not found"; this returns the index it means.
        for i, e in enumerate(self.topo_arrays):
            if e[0] == layer_name:
                return i
        print("WARNING: Not found")
        return -1

    def _mmt_layers(self):
        """The layers as the extension's tuples, and the file they came from."""
        return ([(str(e[0]), *[int(x) for x in e[1:9]], line)
                 for e, line in zip(self.topo_arrays, self._lines + [0] * len(self.topo_arrays))],
                self._path)

    def topo_calc_hyperparams(self, topofilename=""):
        """Computes [ofmap_h, ofmap_w, macs, window size] of every layer (ceil output size)."""
        self.layers_calculated_hyperparams = []
        for a in self.topo_arrays:
            ih, iw, fh, fw, ch, nf, sh, sw = a[1:9]
            oh = int(math.ceil((ih - fh + sh) / sh))
            ow = int(math.ceil((iw - fw + sw) / sw))
            self.layers_calculated_hyperparams.append(
                [oh, ow, oh * ow * fh * fw * ch * nf, fh * fw * ch])
        self.topo_calc_hyper_param_flag = True

    def _hyper(self, layer_id):
        if not self.topo_calc_hyper_param_flag:
            self.topo_calc_hyperparams()
        return self.layers_calculated_hyperparams[layer_id]

    def get_current_topo_name(self):
        """The topology's file name without its extension."""
        return self.current_topo_name if self.topo_load_flag else ""

    def get_num_layers(self):
        """The number of layers (after DP expansion)."""
        if not self.topo_load_flag:
            print("ERROR: topologies.get_num_layers: No array loaded")
            return None
        return self.num_layers

    def get_layer_ifmap_dims(self, layer_id=0):
        """[ifmap_h, ifmap_w]."""
        return self.topo_arrays[layer_id][1:3]

    def get_layer_filter_dims(self, layer_id=0):
        """[filter_h, filter_w]."""
        return self.topo_arrays[layer_id][3:5]

    def get_layer_num_filters(self, layer_id=0):
        """The number of filters (GEMM: N)."""
        return self.topo_arrays[layer_id][6]

    def get_layer_num_channels(self, layer_id=0):
        """The number of channels."""
        return self.topo_arrays[layer_id][5]

    def get_layer_strides(self, layer_id=0):
        """[stride_h, stride_w]."""
        return self.topo_arrays[layer_id][7:9]

    def get_layer_window_size(self, layer_id=0):
        """filter_h * filter_w * channels (GEMM: K)."""
        return self._hyper(layer_id)[3]

    def get_layer_num_ofmap_px(self, layer_id=0):
        """ofmap_h * ofmap_w * num_filters."""
        h = self._hyper(layer_id)
        return h[0] * h[1] * self.get_layer_num_filters(layer_id)

    def get_layer_ofmap_dims(self, layer_id=0):
        """[ofmap_h, ofmap_w]."""
        return self._hyper(layer_id)[0:2]

    def get_layer_params(self, layer_id=0):
        """The layer's entry of topo_arrays."""
        return self.topo_arrays[layer_id]

    def get_layer_name(self, layer_id=0):
        """The layer's name."""
        return str(self.topo_arrays[layer_id][0])

    def get_layer_names(self):
        """Every layer's name."""
        return [str(e[0]) for e in self.topo_arrays]

    def get_layer_mac_ops(self, layer_id=0):
        """The layer's multiply-accumulates."""
        return self._hyper(layer_id)[2]

    def get_all_mac_ops(self):
        """The multiply-accumulates of all layers."""
        return sum(self.get_layer_mac_ops(i) for i in range(self.num_layers))

    def get_transformed_mnk_dimensions(self):
        """[M, N, K] of every layer (M counts ofmap pixels times filters, as SCALE-Sim's)."""
        return [[self.get_layer_num_ofmap_px(i), self.get_layer_num_filters(i),
                 self.get_layer_window_size(i)] for i in range(self.num_layers)]

    def get_spatiotemporal_dims(self, layer_id=0, df="os"):
        """(spatial rows, spatial columns, temporal size) of the layer under dataflow df."""
        nf = self.get_layer_num_filters(layer_id)
        px = int(self.get_layer_num_ofmap_px(layer_id) / nf)
        win = self.get_layer_window_size(layer_id)
        return {"os": (px, nf, win), "ws": (win, nf, px), "is": (win, px, nf)}[df]
