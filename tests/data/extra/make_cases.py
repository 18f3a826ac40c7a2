#!/usr/bin/env python3
"""Writes the extra ncps reference cases of this folder: configurations the ten cases of
NCPS_REFERENCE.md leave out (relu, tanh and gelu backbones, no_gate and pure with mixed memory, an
NCP-wired CfC, LTC with mixed memory, a Random wiring with linear mappings and clamped parameters).

    NCPS_SRC=/path/to/ncps /usr/bin/python3 tests/data/extra/make_cases.py

Each CASE.json is what python/export_ncps.py writes for the model, plus batch and seq; each
CASE.safetensors holds the state_dict as `param.NAME`, `input` (batch, seq, inputs), `timespans`
(batch, seq), ncps's `expected_output` and `expected_state` (and `expected_cell_state`), and, as in
NCPS_REFERENCE.md, `loss_weights` and autograd's `grad.NAME` of sum(expected_output * loss_weights).
Made with ncps v1.0.1 (695ec22) and Debian's python3-torch 1.13.
"""
import json, os, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ["NCPS_SRC"])
sys.path.insert(0, os.path.join(here, "..", "..", "..", "python"))
import torch
from ncps import wirings
from ncps.torch import CfC, LTC
from export_ncps import export_ncps, write_safetensors

torch.set_num_threads(1)
N_IN = 4


def cases():
    torch.manual_seed(21)
    yield "cfc_gelu_2layers_proj", CfC(N_IN, 10, activation="gelu", backbone_units=24, backbone_layers=2, proj_size=3)
    yield "cfc_relu_no_gate_mixed", CfC(N_IN, 7, mode="no_gate", activation="relu", backbone_units=9, mixed_memory=True)
    yield "cfc_tanh_pure_mixed", CfC(N_IN, 6, mode="pure", activation="tanh", backbone_units=11, mixed_memory=True)
    yield "wired_cfc_ncp_no_gate", CfC(N_IN, wirings.NCP(6, 4, 2, 3, 2, 3, 2, seed=3), mode="no_gate")
    yield "ltc_autoncp_mixed", LTC(N_IN, wirings.AutoNCP(14, 3, seed=9), mixed_memory=True)
    yield "ltc_random_linear_clamped", LTC(N_IN, wirings.Random(8, 3, sparsity_level=0.4), input_mapping="linear",
                                           output_mapping="linear", ode_unfolds=4, implicit_param_constraints=False)


def main():
    g = torch.Generator().manual_seed(77)
    for name, model in cases():
        model.eval()
        batch, seq = (1, 7) if getattr(model, "wired_mode", False) else (3, 7)
        x = torch.randn(batch, seq, N_IN, generator=g)
        ts = 0.05 + 2.45 * torch.rand(batch, seq, generator=g)
        # ncps squeezes timespans[:, t]: (B, T, units) keeps the per-sample broadcast right; a wired
        # CfC's layers differ in width, so it runs one sample with a scalar per step.
        ts_in = ts.unsqueeze(-1) if getattr(model, "wired_mode", False) else \
            ts.unsqueeze(-1).expand(batch, seq, model.state_size).contiguous()
        out, hx = model(x, timespans=ts_in)
        h, c = hx if isinstance(hx, tuple) else (hx, None)
        weights = torch.randn(out.shape, generator=g)
        model.zero_grad()
        (out * weights).sum().backward()
        with tempfile.TemporaryDirectory() as tmp:
            export_ncps(model, os.path.join(tmp, "s.safetensors"), os.path.join(tmp, "c.json"), input_size=N_IN)
            config = json.load(open(os.path.join(tmp, "c.json")))
        config.update({"case": name, "batch": batch, "seq": seq,
                       "source": "mlech26l/ncps 695ec22 (v1.0.1), torch backend, tests/data/extra/make_cases.py"})
        with open(os.path.join(here, name + ".json"), "w") as f:
            json.dump(config, f, indent=1)
        tensors = {"param." + k: v for k, v in model.state_dict().items()}
        tensors.update({"input": x, "timespans": ts, "expected_output": out, "expected_state": h,
                        "loss_weights": weights})
        tensors.update({"grad." + k: p.grad for k, p in model.named_parameters() if p.grad is not None})
        if c is not None:
            tensors["expected_cell_state"] = c
        write_safetensors(os.path.join(here, name + ".safetensors"), tensors)
        print(name, tuple(out.shape))


if __name__ == "__main__":
    main()
