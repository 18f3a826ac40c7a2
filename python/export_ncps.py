#!/usr/bin/env python3
"""Export a trained ncps (PyTorch) model for liquid.

Run this in your own ncps environment; it needs only torch, numpy and ncps (the `safetensors`
package is used when installed, otherwise an equivalent writer below).

    from export_ncps import export_ncps
    export_ncps(model, "model.safetensors", "model.json", input_size=20)

writes
  * STATE (.safetensors): `model.state_dict()` under ncps's own names (`rnn_cell.ff1.weight`, ...),
    with the configuration JSON also stored in the file's `__metadata__` under "liquid.config";
  * CONFIG (.json): the configuration liquid needs to rebuild the model, in the format of
    tests/data/*.json: for a dense CfC `model, units, mode, activation, backbone_units,
    backbone_layers, proj_size, mixed_memory`; for a wired CfC `model, wiring, mode, mixed_memory`
    and the wiring's two adjacency matrices; for an LTC `model, wiring, ode_unfolds, epsilon,
    implicit_param_constraints, input_mapping, output_mapping` and the matrices. Every config also
    records `input_size`; an NCP wiring adds its `ncp` sizes; `proj_size` (wired CfC) and
    `mixed_memory` (LTC) appear only when set.

`python3 export_ncps.py [PREFIX]` builds a small CfC and writes PREFIX.safetensors and PREFIX.json.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

import ncps
from ncps.torch import CfC, LTC, WiredCfCCell

# ncps's CfCCell turns its activation name into a module class and keeps only the module, so the
# name is recovered from the module found in the backbone.
_ACTIVATION_NAMES = {"LeCun": "lecun_tanh", "SiLU": "silu", "ReLU": "relu", "Tanh": "tanh", "GELU": "gelu"}

# torch dtype -> safetensors dtype name; bfloat16 has no numpy type, so its bits go out as int16.
_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.float64: "F64", torch.bfloat16: "BF16"}


def _wiring_config(wiring, input_size):
    if wiring.input_dim != input_size:
        raise ValueError(f"input_size {input_size} does not match the wiring's input_dim {wiring.input_dim}")
    return {
        "class": type(wiring).__name__,
        "units": int(wiring.units),
        "output_dim": int(wiring.output_dim),
        "input_dim": int(wiring.input_dim),
    }


def _ncp_config(wiring):
    # liquid rebuilds an NCP's layers (inter, command, motor) from these; the matrices below fix the
    # synapses, so the seed, which ncps does not keep, is not needed.
    return {
        "inter_neurons": int(wiring._num_inter_neurons),
        "command_neurons": int(wiring._num_command_neurons),
        "motor_neurons": int(wiring._num_motor_neurons),
        "sensory_fanout": int(wiring._sensory_fanout),
        "inter_fanout": int(wiring._inter_fanout),
        "recurrent_command_synapses": int(wiring._recurrent_command_synapses),
        "motor_fanin": int(wiring._motor_fanin),
    }


def _wired_config(model_name, wiring, input_size):
    config = {"model": model_name, "wiring": _wiring_config(wiring, input_size)}
    if type(wiring).__name__ == "NCP":
        config["ncp"] = _ncp_config(wiring)
    return config


def _wiring_matrices(wiring):
    # Polarity matters (+1 excitatory, -1 inhibitory): LTC uses it as the initial reversal potential.
    return {
        "adjacency_matrix": np.asarray(wiring.adjacency_matrix).astype(int).tolist(),
        "sensory_adjacency_matrix": np.asarray(wiring.sensory_adjacency_matrix).astype(int).tolist(),
    }


def _dense_cfc_config(model, input_size):
    cell = model.rnn_cell
    if cell.input_size != input_size:
        raise ValueError(f"input_size {input_size} does not match the CfC's input size {cell.input_size}")
    activation = "lecun_tanh"  # ncps's default; without a backbone it is never applied
    backbone_units = 128  # ncps's default; without a backbone the value is not stored anywhere
    if cell.backbone is not None:
        backbone_units = next(m for m in cell.backbone if isinstance(m, nn.Linear)).out_features
        kinds = [type(m).__name__ for m in cell.backbone if not isinstance(m, (nn.Linear, nn.Dropout))]
        if kinds[0] not in _ACTIVATION_NAMES:
            raise ValueError(f"backbone activation {kinds[0]} unknown; expected one of {sorted(_ACTIVATION_NAMES)}")
        activation = _ACTIVATION_NAMES[kinds[0]]
    return {
        "model": "CfC",
        "units": int(cell.hidden_size),
        "mode": cell.mode,
        "activation": activation,
        "backbone_units": int(backbone_units),
        "backbone_layers": int(cell.backbone_layers),
        "proj_size": model.proj_size,
        "mixed_memory": bool(model.use_mixed),
        "input_size": int(input_size),
    }


def _wired_cfc_config(model, input_size):
    config = _wired_config("CfC", model.wiring, input_size)
    config["mode"] = model.rnn_cell._layers[0].mode
    config["mixed_memory"] = bool(model.use_mixed)
    if model.proj_size is not None:  # written only when set, as the reference cases have none
        config["proj_size"] = int(model.proj_size)
    config["input_size"] = int(input_size)
    config.update(_wiring_matrices(model.wiring))
    return config


def _ltc_config(model, input_size):
    cell = model.rnn_cell
    config = _wired_config("LTC", model._wiring, input_size)
    config.update({
        "ode_unfolds": int(cell._ode_unfolds),
        "epsilon": float(cell._epsilon),
        "implicit_param_constraints": bool(cell._implicit_param_constraints),
        "input_mapping": cell._input_mapping,
        "output_mapping": cell._output_mapping,
    })
    if model.use_mixed:  # written only when set, as the reference cases have none
        config["mixed_memory"] = True
    config["input_size"] = int(input_size)
    config.update(_wiring_matrices(model._wiring))
    return config


def model_config(model, input_size):
    """The configuration dictionary written to CONFIG, for an ncps.torch CfC or LTC."""
    if isinstance(model, LTC):
        return _ltc_config(model, input_size)
    if isinstance(model, CfC):
        if isinstance(model.rnn_cell, WiredCfCCell):
            return _wired_cfc_config(model, input_size)
        return _dense_cfc_config(model, input_size)
    raise TypeError(f"expected an ncps.torch CfC or LTC, got {type(model).__name__}")


def _tensor_bytes(name, tensor):
    if tensor.dtype not in _DTYPES:
        raise ValueError(f"tensor '{name}' has dtype {tensor.dtype}; expected one of {list(_DTYPES)}")
    if tensor.dtype == torch.bfloat16:
        array = tensor.view(torch.int16).numpy()
    else:
        array = tensor.numpy()
    return _DTYPES[tensor.dtype], np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=None):
    """Write `tensors` (name -> torch tensor) as safetensors, as the `safetensors` package would:
    names sorted, contiguous data, header padded with spaces so the data starts 8-byte aligned.
    Written to a temporary file first and renamed, so a reader never sees half a file."""
    header = {"__metadata__": dict(metadata)} if metadata else {}
    blobs, offset = [], 0
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        dtype, blob = _tensor_bytes(name, tensor)
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def export_ncps(model, state_path, config_path, input_size):
    """Write `model`'s weights to `state_path` (safetensors) and its configuration to `config_path`
    (JSON) for liquid. `model` is a live ncps.torch CfC or LTC; `input_size` its number of input
    features, checked against the model. Returns the configuration dictionary."""
    config = model_config(model, input_size)
    state = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    # "liquid.config" is the key liquid's Model::load looks for, so the state file alone is a model.
    metadata = {"format": "pt", "liquid.config": json.dumps(config)}
    try:
        from safetensors.torch import save_file
    except ImportError:
        write_safetensors(state_path, state, metadata)
    else:
        save_file(state, state_path, metadata=metadata)
    with open(config_path, "w") as f:
        json.dump(config, f, indent=1)
        f.write("\n")
    return config


def _demo(prefix):
    torch.manual_seed(0)
    model = CfC(5, 8, mode="default", backbone_units=16, backbone_layers=1)
    model.eval()
    x = torch.randn(1, 4, 5)
    with torch.no_grad():
        output, _ = model(x)
    config = export_ncps(model, prefix + ".safetensors", prefix + ".json", input_size=5)
    print(f"ncps {getattr(ncps, '__version__', '?')}: wrote {prefix}.safetensors and {prefix}.json")
    print(json.dumps(config))
    print("output of the first step:", output[0, 0].tolist())


if __name__ == "__main__":
    _demo(sys.argv[1] if len(sys.argv) > 1 else "cfc_demo")
