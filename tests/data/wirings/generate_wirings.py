"""Writes the reference NCP/AutoNCP wirings in this folder by running ncps's own wiring code.

Usage (numpy is the only dependency; torch is not needed):
    git -C /work/.mirror/mlech26l+ncps/repo show HEAD:ncps/wirings/wirings.py > /tmp/ncps_wirings.py
    /usr/bin/python3 tests/data/wirings/generate_wirings.py /tmp/ncps_wirings.py

ncps: mlech26l/ncps 695ec22 (v1.0.1), ncps/wirings/wirings.py; generated with numpy 1.24.2.
Each file is liquid's wiring JSON (kind, params, input_dim, matrices with rows = source), so
tests/lfm/wiring_test.cpp can rebuild the wiring from kind/params and compare the matrices.
"""
import importlib.util
import json
import os
import sys

spec = importlib.util.spec_from_file_location("ncps_wirings", sys.argv[1])
wirings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(wirings)

NCP_KEYS = ["inter_neurons", "command_neurons", "motor_neurons", "sensory_fanout",
            "inter_fanout", "recurrent_command_synapses", "motor_fanin", "seed"]

CASES = {
    # ncps's default seed, a typical size.
    "auto_ncp_32_4_in16": ("auto_ncp", dict(units=32, output_size=4, sparsity_level=0.5, seed=22222), 16),
    # 1.0 - 0.9 = 0.09999999999999998, so int(30 * density) is 2: float truncation matters.
    "auto_ncp_58_8_sparsity09_in3": ("auto_ncp", dict(units=58, output_size=8, sparsity_level=0.9, seed=1), 3),
    # A seed above 2^31 and more draws (rejection sampling with masks up to 63).
    "auto_ncp_64_10_in20_big_seed": ("auto_ncp", dict(units=64, output_size=10, sparsity_level=0.3, seed=4000000000), 20),
    # Smallest AutoNCP: one command neuron, density 0 (all fanouts forced to 1), seed 0, one input.
    "auto_ncp_5_2_sparsity1_in1": ("auto_ncp", dict(units=5, output_size=2, sparsity_level=1.0, seed=0), 1),
    # Fanouts of 1 leave most inter and command neurons unreached: the fallback loops run.
    "ncp_unreached_in2": ("ncp", dict(inter_neurons=10, command_neurons=8, motor_neurons=3, sensory_fanout=1,
                                      inter_fanout=1, recurrent_command_synapses=5, motor_fanin=1, seed=5), 2),
    # More command than inter neurons.
    "ncp_wide_command_in5": ("ncp", dict(inter_neurons=3, command_neurons=6, motor_neurons=2, sensory_fanout=2,
                                         inter_fanout=1, recurrent_command_synapses=4, motor_fanin=2, seed=3), 5),
}

out_dir = os.path.dirname(os.path.abspath(__file__))
for name, (kind, params, input_dim) in CASES.items():
    if kind == "auto_ncp":
        w = wirings.AutoNCP(**params)
    else:
        w = wirings.NCP(**params)
    w.build(input_dim)
    doc = {
        "generated_by": "generate_wirings.py (ncps 695ec22 wirings.py, numpy 1.24.2)",
        "kind": kind,
        "params": params,
        "units": int(w.units),
        "input_dim": int(w.input_dim),
        "output_dim": int(w.output_dim),
        "synapse_count": int(w.synapse_count),
        "sensory_synapse_count": int(w.sensory_synapse_count),
        "layers": [[int(n) for n in w.get_neurons_of_layer(i)] for i in range(w.num_layers)],
        "adjacency_matrix": w.adjacency_matrix.tolist(),
        "sensory_adjacency_matrix": w.sensory_adjacency_matrix.tolist(),
    }
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        f.write(json.dumps(doc, separators=(",", ":")) + "\n")
    print(name, doc["units"], doc["synapse_count"], doc["sensory_synapse_count"])
