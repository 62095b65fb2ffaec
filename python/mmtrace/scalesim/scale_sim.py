"""SCALE-Sim's scalesim class (scalesim.scale_sim): the one most scripts use."""

import os

from .scale_config import scale_config
from .simulator import simulator as sim
from .topology_utils import topologies


def _not_found(what, path):
    """SCALE-Sim v2: a missing cfg or topology prints this and calls exit()."""
    print("ERROR: scalesim.scale.py: " + what + " file not found")
    print("Input file:" + path)
    print("Exiting")
    raise SystemExit


class scalesim:
    """SCALE-Sim v2's top-level class, on libmmtrace.

    scalesim(save_disk_space=False, verbose=True, config='', topology='',
             input_type_gemm=False) reads the cfg and the topology (input_type_gemm=True for
    M, N, K rows); run_scale(top_path='.') writes top_path/<run_name>/ with the three reports
    and, unless save_disk_space, every layer's six traces, and prints SCALE-Sim's console text
    when verbose. get_total_cycles() gives the sum of the layers' total cycles and
    runner.single_layer_sim_object_list the per-layer results.

    Keyword-only, mmtrace's own: v3=True for SCALE-Sim v3.0.0's behaviour (a cfg in v3's
    format selects it too); layout= is accepted for v3's signature and only printed (custom
    layouts are refused by the cfg reader, as the CLI does).
    """

    def __init__(self, save_disk_space=False, verbose=True, config="", topology="",
                 input_type_gemm=False, *, v3=False, layout=""):
        """Reads config and topology (see the class)."""
        self.config = scale_config(v3=v3)
        self.topo = topologies(v3=v3)
        self.config_file = ""
        self.topology_file = ""
        self.layout_file = layout
        self.runner = sim()
        self.read_gemm_inputs = input_type_gemm
        self.save_space = save_disk_space
        self.verbose_flag = verbose
        self.run_done_flag = False
        self.logs_generated_flag = False
        self.set_params(config_filename=config, topology_filename=topology)

    def set_params(self, config_filename="", topology_filename=""):
        """Reads the cfg, then the topology (the cfg's TopologyCsvLoc when none is given)."""
        if not topology_filename == "":
            if not os.path.exists(topology_filename):
                _not_found("Topology", topology_filename)
            self.topology_file = topology_filename
        if not os.path.exists(config_filename):
            _not_found("Config", config_filename)
        self.config_file = config_filename
        self.config.read_conf_file(self.config_file)
        if self.config.v3:
            self.topo.v3 = True
        if self.topology_file == "":
            self.topology_file = self.config.get_topology_path()
        else:
            self.config.set_topology_file(self.topology_file)
        self.topo.load_arrays(topofile=self.topology_file, mnk_inputs=self.read_gemm_inputs)

    def run_scale(self, top_path="."):
        """Runs the network into top_path/<run_name>/ (see the class)."""
        self.top_path = top_path
        self.runner.set_params(config_obj=self.config, topo_obj=self.topo,
                               top_path=self.top_path, verbosity=self.verbose_flag,
                               save_trace=not self.save_space)
        self.run_once()

    def run_once(self):
        """Runs with the parameters already set: banner, layers, 'Run Complete'."""
        if self.verbose_flag:
            self.print_run_configs()
        self.runner.run()
        self.run_done_flag = True
        self.logs_generated_flag = True
        if self.verbose_flag:
            print("************ SCALE SIM Run Complete ****************")

    def print_run_configs(self):
        """Prints SCALE-Sim's banner of the run's parameters."""
        df = self.config.get_dataflow()
        df_string = {"ws": "Weight Stationary", "is": "Input Stationary"}.get(
            df, "Output Stationary")
        print("====================================================")
        print("******************* SCALE SIM **********************")
        print("====================================================")
        arr_h, arr_w = self.config.get_array_dims()
        print("Array Size: \t" + str(arr_h) + "x" + str(arr_w))
        ifmap_kb, filter_kb, ofmap_kb = self.config.get_mem_sizes()
        print("SRAM IFMAP (kB): \t" + str(ifmap_kb))
        print("SRAM Filter (kB): \t" + str(filter_kb))
        print("SRAM OFMAP (kB): \t" + str(ofmap_kb))
        print("Dataflow: \t" + df_string)
        if self.config.v3:
            # SCALE-Sim v3.0.0 renames the line and adds the layout file's (its default)
            print("topology file path: \t" + self.config.get_topology_path())
            print("layout file path: \t" + (self.layout_file or "./layouts/conv_nets/test.csv"))
        else:
            print("CSV file path: \t" + self.config.get_topology_path())
        if self.config.use_user_dram_bandwidth():
            print("Bandwidth: \t" + self.config.get_bandwidths_as_string())
            print("Working in USE USER BANDWIDTH mode.")
        else:
            print("Working in ESTIMATE BANDWIDTH mode.")
        print("====================================================")

    def get_total_cycles(self):
        """The sum of the layers' total cycles, once run. (SCALE-Sim v2's raises TypeError:
        its simulator indexes a method; this returns the sum it means.)"""
        if not self.run_done_flag:
            print("ERROR: scale.get_total_cycles() : Cannot determine cycles. Run the "
                  "simulation first")
            return None
        return self.runner.get_total_cycles()
