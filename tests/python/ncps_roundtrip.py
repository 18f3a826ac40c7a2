#!/usr/bin/env python3
"""End to end against a live ncps: build ncps models, export them with python/export_ncps.py,
import them with `liquid import`, run both over the same irregular series and compare; then
`liquid export --ncps` them back and load that state_dict into a fresh ncps model.

    NCPS_SRC=/path/to/ncps /usr/bin/python3 tests/python/ncps_roundtrip.py LIQUID_BINARY

Needs Debian's python3-torch and an ncps checkout; ctest registers it only where torch imports.
"""
import csv, json, os, struct, subprocess, sys, tempfile

sys.path.insert(0, os.environ.get("NCPS_SRC", ""))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import numpy as np
import torch
from ncps import wirings
from ncps.torch import CfC, LTC
from export_ncps import export_ncps

liquid = sys.argv[1]


def read_safetensors(path):
    """The F32 tensors of a safetensors file, as torch tensors (no safetensors package needed)."""
    blob = open(path, "rb").read()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info["dtype"]
        begin, end = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype=np.float32).copy().reshape(info["shape"]))
    return out

n_in, steps = 4, 40


def make_models(seed):
    torch.manual_seed(seed)
    return {
        "cfc_gelu_proj": CfC(n_in, 10, mode="default", activation="gelu", backbone_units=24, backbone_layers=2,
                             proj_size=3),
        "cfc_relu_no_gate": CfC(n_in, 7, mode="no_gate", activation="relu", backbone_units=9),
        "cfc_tanh_pure_mixed": CfC(n_in, 6, mode="pure", activation="tanh", mixed_memory=True),
        "wired_cfc_ncp": CfC(n_in, wirings.NCP(6, 4, 2, 3, 2, 3, 2, seed=3)),
        "ltc_autoncp_mixed": LTC(n_in, wirings.AutoNCP(14, 3, seed=9), mixed_memory=True),
        "ltc_random_linear": LTC(n_in, wirings.Random(8, 3, sparsity_level=0.4), input_mapping="linear",
                                 output_mapping="linear", ode_unfolds=4, implicit_param_constraints=False),
    }


models = make_models(5)
models_fresh = make_models(6)  # other weights: load_state_dict must overwrite every one
rng = np.random.default_rng(1)
times = np.cumsum(rng.uniform(0.05, 2.5, steps))
x = rng.standard_normal((steps, n_in)).astype(np.float32)
worst = 0.0
with tempfile.TemporaryDirectory() as tmp:
    series = os.path.join(tmp, "series.csv")
    with open(series, "w") as f:
        for t, row in zip(times, x):
            f.write(",".join([repr(float(t))] + [repr(float(v)) for v in row]) + "\n")
    for name, model in models.items():
        model.eval()
        state, config = os.path.join(tmp, name + ".safetensors"), os.path.join(tmp, name + ".json")
        export_ncps(model, state, config, input_size=n_in)
        out_model = os.path.join(tmp, name + "_liquid.safetensors")
        subprocess.run([liquid, "import", "--ncps", state, "--config", config, "-o", out_model], check=True,
                       stdout=subprocess.DEVNULL)
        got = subprocess.run([liquid, "run", out_model, "--input", series], check=True, capture_output=True, text=True)
        rows = list(csv.reader(got.stdout.splitlines()))[1:]
        ours = np.array([[float(v) for v in r[1:]] for r in rows], dtype=np.float64)
        gaps = np.diff(np.concatenate([[0.0], times])).astype(np.float32)
        # ncps squeezes timespans[:, t]: (B, T, units) keeps the per-sample broadcast right; a wired
        # CfC's layers differ in width, so it gets (1, T, 1), which squeezes to a scalar.
        ts = torch.tensor(gaps)[None, :, None]
        if not getattr(model, "wired_mode", False):
            ts = ts.expand(1, steps, model.state_size)
        with torch.no_grad():
            theirs, _ = model(torch.tensor(x)[None], timespans=ts)
        theirs = theirs[0].numpy().astype(np.float64)
        err = np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-30)
        worst = max(worst, err)
        print(f"{name:22s} outputs {theirs.shape}, max relative error {err:.2e}")

        # Back to ncps: a state_dict that a fresh model of the same class loads, giving the same outputs.
        back_state, back_config = os.path.join(tmp, name + "_back.safetensors"), os.path.join(tmp, name + "_back.json")
        subprocess.run([liquid, "export", out_model, "--ncps", "-o", back_state, "--config", back_config], check=True,
                       stdout=subprocess.DEVNULL)
        fresh = models_fresh[name]
        fresh.load_state_dict(read_safetensors(back_state), strict=True)
        fresh.eval()
        with torch.no_grad():
            again, _ = fresh(torch.tensor(x)[None], timespans=ts)
        if not torch.equal(again, torch.tensor(theirs, dtype=torch.float32)[None]):
            sys.exit(f"FAIL: {name}: ncps model loaded from `liquid export --ncps` differs")
if worst > 1e-5:
    sys.exit(f"FAIL: worst relative error {worst:.2e} > 1e-5")
print("ncps round trip passed")
