"""SCALE-Sim's scale_config class (scalesim.scale_config), over libmmtrace's cfg reader."""

import configparser
import io

from .. import _api


class scale_config:
    """A SCALE-Sim architecture configuration, with SCALE-Sim v2's attributes and methods.

    read_conf_file reads the file with libmmtrace's reader (configparser's rules, every value
    checked, errors raised as mmtrace.Error with the file and line). The attributes are
    SCALE-Sim's (run_name, array_rows, array_cols, ifmap_sz_kb, filter_sz_kb, ofmap_sz_kb,
    ifmap_offset, filter_offset, ofmap_offset, df, bandwidths, use_user_bandwidth, topofile,
    valid_conf_flag); a run uses their values at the time it starts. v3=True reads the cfg as
    SCALE-Sim v3.0.0 does; a cfg with v3.0.0's keys is read so without it.
    """

    def __init__(self, v3=False):
        """SCALE-Sim's defaults; nothing is read until read_conf_file."""
        self.run_name = "scale_run"
        self.use_user_bandwidth = False
        self.array_rows = 4
        self.array_cols = 4
        self.ifmap_sz_kb = 256
        self.filter_sz_kb = 256
        self.ofmap_sz_kb = 128
        self.df = "ws"
        self.ifmap_offset = 0
        self.filter_offset = 10000000
        self.ofmap_offset = 20000000
        self.topofile = ""
        self.bandwidths = []
        self.valid_conf_flag = False
        self.valid_df_list = ["os", "ws", "is"]
        self.v3 = bool(v3)
        self._cfg = None  # the mmtrace.Config read, and the attributes as it set them
        self._snapshot = None

    def _attrs(self):
        """The attributes a run depends on, to tell whether they changed since the read."""
        return (self.run_name, self.use_user_bandwidth, self.array_rows, self.array_cols,
                self.ifmap_sz_kb, self.filter_sz_kb, self.ofmap_sz_kb, self.df,
                self.ifmap_offset, self.filter_offset, self.ofmap_offset, list(self.bandwidths))

    def read_conf_file(self, conf_file_in):
        """Reads a SCALE-Sim .cfg (mmtrace.Error on bad input)."""
        cfg = _api.config(conf_file_in, v3=self.v3)
        if not cfg.v3 and cfg.v3_format:  # a cfg in v3.0.0's format: read it as v3 does
            self.v3 = True
            cfg = _api.config(conf_file_in, v3=True)
        f = cfg.fields
        self.run_name = f["run_name"]
        self.use_user_bandwidth = bool(f["user_bw"])
        self.array_rows, self.array_cols = f["array_h"], f["array_w"]
        self.ifmap_sz_kb, self.filter_sz_kb, self.ofmap_sz_kb = (f["ifmap_kb"], f["filter_kb"],
                                                                 f["ofmap_kb"])
        self.ifmap_offset, self.filter_offset, self.ofmap_offset = (
            f["ifmap_offset"], f["filter_offset"], f["ofmap_offset"])
        self.df = f["dataflow"]
        # The bandwidth list and the topology path as SCALE-Sim takes them, with configparser
        # itself (libmmtrace keeps the first bandwidth only, and no path).
        cp = configparser.ConfigParser()
        cp.read(conf_file_in)
        self.bandwidths = []
        if self.use_user_bandwidth:
            self.bandwidths = [int(x.strip()) for x in
                               cp.get("architecture_presets", "Bandwidth").strip().split(",")]
        if cp.has_section("network_presets"):
            # SCALE-Sim v2: looks TopologyCsvLoc up in [architecture_presets] (its section
            # variable was not updated), so a cfg with [network_presets] raises
            # configparser.NoOptionError unless that section has the key too.
            self.topofile = cp.get("architecture_presets", "TopologyCsvLoc").split('"')[1]
        self.valid_conf_flag = True
        self._cfg = cfg
        self._snapshot = self._attrs()

    def _mmt_config(self):
        """The mmtrace.Config a run uses: the one read, or, when attributes were changed
        (set_arr_dims, update_from_list, ...) or nothing was read, one built from them."""
        if self._cfg is not None and self._attrs() == self._snapshot:
            return self._cfg
        keys = {"run_name": self.run_name, "ArrayHeight": self.array_rows,
                "ArrayWidth": self.array_cols, "IfmapSramSzkB": self.ifmap_sz_kb,
                "FilterSramSzkB": self.filter_sz_kb, "OfmapSramSzkB": self.ofmap_sz_kb,
                "IfmapOffset": self.ifmap_offset, "FilterOffset": self.filter_offset,
                "OfmapOffset": self.ofmap_offset, "Dataflow": self.df,
                "InterfaceBandwidth": "USER" if self.use_user_bandwidth else "CALC"}
        if self.use_user_bandwidth:
            keys["Bandwidth"] = ",".join(str(x) for x in self.bandwidths)
        if self._cfg is not None and self._cfg.has_precision:
            for k, bits in zip(("IfmapBits", "FilterBits", "OfmapBits"), self._cfg.bits):
                if bits:  # 0: the default, 8 bits
                    keys[k] = "%d.%03d" % divmod(bits, 1000)
        if self.v3:
            raise _api.Error("scale_config: a v3 run needs its cfg file; changing the "
                             "attributes read from it is not supported in v3 mode")
        return _api.config(keys)

    def update_from_list(self, conf_list):
        """Sets the configuration from SCALE-Sim's list (run name, rows, cols, three SRAM
        sizes, three offsets, dataflow, 'CALC' or 'USER', [bandwidths], ..., [topology])."""
        if not len(conf_list) > 11:
            print("ERROR: scale_config.update_from_list: "
                  "Incompatible number of elements in the list")
        self.run_name = conf_list[0]
        self.array_rows = int(conf_list[1])
        self.array_cols = int(conf_list[2])
        self.ifmap_sz_kb = int(conf_list[3])
        self.filter_sz_kb = int(conf_list[4])
        self.ofmap_sz_kb = int(conf_list[5])
        self.ifmap_offset = int(conf_list[6])
        self.filter_offset = int(conf_list[7])
        self.ofmap_offset = int(conf_list[8])
        self.df = conf_list[9]
        mode = str(conf_list[10])
        assert mode in ["CALC", "USER"], "Invalid mode of operation"
        if mode == "USER":
            assert not len(conf_list) < 12, "The user bandwidth needs to be provided"
            self.bandwidths = conf_list[11]
            self.use_user_bandwidth = True
        else:
            self.use_user_bandwidth = False
        if len(conf_list) == 15:
            self.topofile = conf_list[14]
        self.valid_conf_flag = True

    def write_conf_file(self, conf_file_out):
        """Writes the configuration as SCALE-Sim v2 does: [general], [architecture_presets]
        (with Bandwidth) and [network_presets]. SCALE-Sim v2: no [run_presets], so neither
        SCALE-Sim nor mmtrace reads the file back without adding InterfaceBandwidth."""
        if not self.valid_conf_flag:
            print("ERROR: scale_config.write_conf_file: No valid config loaded")
            return
        cp = configparser.ConfigParser()
        cp.add_section("general")
        cp.set("general", "run_name", str(self.run_name))
        sec = "architecture_presets"
        cp.add_section(sec)
        for k, v in (("ArrayHeight", self.array_rows), ("ArrayWidth", self.array_cols),
                     ("ifmapsramszkB", self.ifmap_sz_kb), ("filtersramszkB", self.filter_sz_kb),
                     ("ofmapsramszkB", self.ofmap_sz_kb), ("IfmapOffset", self.ifmap_offset),
                     ("FilterOffset", self.filter_offset), ("OfmapOffset", self.ofmap_offset),
                     ("Dataflow", self.df),
                     ("Bandwidth", ",".join(str(x) for x in self.bandwidths))):
            cp.set(sec, k, str(v))
        cp.add_section("network_presets")
        cp.set("network_presets", "TopologyCsvLoc", '"' + self.topofile + '"')
        out = io.StringIO()
        cp.write(out)
        from ._run import write_text
        write_text(conf_file_out, out.getvalue())

    def set_arr_dims(self, rows=1, cols=1):
        """Sets the array's PE rows and columns."""
        self.array_rows, self.array_cols = rows, cols

    def set_dataflow(self, dataflow="os"):
        """Sets the dataflow ('os', 'ws' or 'is')."""
        self.df = dataflow

    def set_buffer_sizes_kb(self, ifmap_size_kb=1, filter_size_kb=1, ofmap_size_kb=1):
        """Sets the three SRAM sizes in KB."""
        self.ifmap_sz_kb, self.filter_sz_kb, self.ofmap_sz_kb = (ifmap_size_kb, filter_size_kb,
                                                                 ofmap_size_kb)

    def set_topology_file(self, topofile=""):
        """Sets the topology path (printed in the console banner)."""
        self.topofile = topofile

    def set_offsets(self, ifmap_offset=0, filter_offset=10000000, ofmap_offset=20000000):
        """Sets the operand address offsets, as SCALE-Sim v2 does."""
        self.ifmap_offset = ifmap_offset
        self.filter_offset = filter_offset
        # SCALE-Sim v2: assigns the ofmap offset to ifmap_offset; ofmap_offset is unchanged.
        self.ifmap_offset = ofmap_offset
        self.valid_conf_flag = True

    def force_valid(self):
        """Marks the configuration valid without reading a file."""
        self.valid_conf_flag = True

    def set_bw_mode_to_calc(self):
        """Switches to CALC (estimated) bandwidth."""
        self.use_user_bandwidth = False

    def use_user_dram_bandwidth(self):
        """True in USER bandwidth mode."""
        if not self.valid_conf_flag:
            print("ERROR: scale_config.use_user_dram_bandwidth(): Configuration is not valid")
            return None
        return self.use_user_bandwidth

    def get_conf_as_list(self):
        """SCALE-Sim's list of the configuration (strings)."""
        if not self.valid_conf_flag:
            print("ERROR: scale_config.get_conf_as_list: Configuration is not valid")
            return None
        return [str(x) for x in (self.run_name, self.array_rows, self.array_cols,
                                 self.ifmap_sz_kb, self.filter_sz_kb, self.ofmap_sz_kb,
                                 self.ifmap_offset, self.filter_offset, self.ofmap_offset,
                                 self.df, self.topofile)]

    def get_run_name(self):
        """The run name (the run directory under top_path)."""
        if not self.valid_conf_flag:
            print("ERROR: scale_config.get_run_name() : Config data is not valid")
            return None
        return self.run_name

    def get_topology_path(self):
        """The topology path."""
        if not self.valid_conf_flag:
            print("ERROR: scale_config.get_topology_path() : Config data is not valid")
            return None
        return self.topofile

    def get_topology_name(self):
        """The topology's file name without directory and extension."""
        if not self.valid_conf_flag:
            print("ERROR: scale_config.get_topology_name() : Config data is not valid")
            return None
        return self.topofile.split("/")[-1].strip().split(".")[0]

    def get_dataflow(self):
        """The dataflow: 'os', 'ws' or 'is'."""
        return self.df if self.valid_conf_flag else None

    def get_array_dims(self):
        """(rows, cols) of PEs."""
        return (self.array_rows, self.array_cols) if self.valid_conf_flag else None

    def get_mem_sizes(self):
        """(ifmap, filter, ofmap) SRAM sizes in KB."""
        if not self.valid_conf_flag:
            return None
        return self.ifmap_sz_kb, self.filter_sz_kb, self.ofmap_sz_kb

    def get_offsets(self):
        """(ifmap, filter, ofmap) address offsets."""
        if not self.valid_conf_flag:
            return None
        return self.ifmap_offset, self.filter_offset, self.ofmap_offset

    def get_bandwidths_as_string(self):
        """The USER bandwidths joined with commas."""
        return ",".join(str(x) for x in self.bandwidths) if self.valid_conf_flag else None

    def get_bandwidths_as_list(self):
        """The USER bandwidths."""
        return self.bandwidths if self.valid_conf_flag else None

    def get_min_dram_bandwidth(self):
        """The smallest USER bandwidth."""
        if not self.use_user_dram_bandwidth():
            print("ERROR: scale_config.get_min_dram_bandwidth(): No user bandwidth provided")
            return None
        return min(self.bandwidths)

    @staticmethod
    def get_default_conf_as_list():
        """SCALE-Sim's default configuration as a list."""
        dummy = scale_config()
        dummy.force_valid()
        return dummy.get_conf_as_list()
