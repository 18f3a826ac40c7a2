#!/usr/bin/env python3
"""Writes the camera stream's model: one LTC neuron whose parameters are set by hand, not trained.

The neuron integrates the frame-difference motion energy of the camera (a 1 x 1 motion grid of
liquidvideofeatures / encoders::VideoFeatures: the mean absolute grey-level change, 0..1, of the
whole frame; the frame mean that follows it is the same number and gets no synapse) across the real
gaps between frames:

    cm dv/dt = -gleak (v - vleak) + sensory_w * sigmoid(sensory_sigma (x - sensory_mu)) (erev - v)

With gleak = 1 and cm = TAU its time constant is TAU seconds without motion: it rises within a few
frames when people move and decays over seconds when they stop, whatever the frame rate (a dropped
frame is a longer gap). Motion above MU drives it to sensory_w / (gleak + sensory_w) = 0.8, which the
output mapping scales to 1. No labelled camera data exists for a trained motion model, hence a hand-set
neuron; its four numbers are below.

Writes ncps's state_dict and configuration (what python/export_ncps.py writes for an ncps LTC), which
`liquid import` turns into the model file:

    python3 samples/smart-home/make_motion_neuron.py out/motion     # from the repository root
    build/apps/liquid import --ncps out/motion/state.safetensors --config out/motion/config.json \\
        -o samples/smart-home/models/motion_ltc.safetensors
"""
import json
import os
import struct
import sys

TAU = 2.0        # seconds: cm / gleak
MU = 0.005       # motion energy (mean absolute grey-level difference, 0..1) at half activation
SIGMA = 1000.0   # steepness of the synapse's sigmoid, per unit of motion energy
SENSORY_W = 4.0  # drive: v tends to 4 / (1 + 4) = 0.8 under motion


def write_safetensors(path, tensors):
    header, data = {}, b""
    for name, (shape, values) in sorted(tensors.items()):
        raw = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "out/motion"
    os.makedirs(out, exist_ok=True)
    p = "rnn_cell."
    tensors = {
        p + "gleak": ([1], [1.0]),
        p + "vleak": ([1], [0.0]),
        p + "cm": ([1], [TAU]),
        p + "sigma": ([1, 1], [1.0]),
        p + "mu": ([1, 1], [0.0]),
        p + "w": ([1, 1], [0.0]),          # no self-synapse: a plain leaky integrator
        p + "erev": ([1, 1], [1.0]),
        # Input 0: the motion of the one grid cell (the whole frame); input 1: the frame's mean
        # motion, the same number (liquidvideofeatures motion=true gives both): no synapse.
        p + "sensory_sigma": ([2, 1], [SIGMA, 1.0]),
        p + "sensory_mu": ([2, 1], [MU, 0.0]),
        p + "sensory_w": ([2, 1], [SENSORY_W, 0.0]),
        p + "sensory_erev": ([2, 1], [1.0, 1.0]),
        p + "sparsity_mask": ([1, 1], [1.0]),
        p + "sensory_sparsity_mask": ([2, 1], [1.0, 0.0]),
        p + "input_w": ([2], [1.0, 1.0]),
        p + "input_b": ([2], [0.0, 0.0]),
        p + "output_w": ([1], [1.0 / 0.8]),
        p + "output_b": ([1], [0.0]),
    }
    write_safetensors(os.path.join(out, "state.safetensors"), tensors)
    config = {
        "model": "LTC",
        "wiring": {"class": "FullyConnected", "units": 1, "output_dim": 1, "input_dim": 2},
        "ode_unfolds": 6,
        "epsilon": 1e-08,
        "implicit_param_constraints": False,
        "input_mapping": "affine",
        "output_mapping": "affine",
        "adjacency_matrix": [[1]],
        "sensory_adjacency_matrix": [[1], [0]],
        "input_size": 2,
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    print("wrote %s/state.safetensors and %s/config.json" % (out, out))


if __name__ == "__main__":
    main()
