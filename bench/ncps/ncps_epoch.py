#!/usr/bin/env python3
"""One training epoch of an ncps model, timed, for comparison with `liquid train`.

The same model (CfC or LTC with the same arguments), the same batch size, the same number of
sequences, steps and inputs as a liquid run, and the same optimiser (AdamW + gradient clipping,
cross-entropy on every step). The data are random numbers of the run's shapes: the time of an
epoch depends on the shapes, not on the values.

    NCPS_SRC=/path/to/ncps /usr/bin/python3 bench/ncps/ncps_epoch.py \
        --sequences 1192 --steps 32 --inputs 8 --classes 7 --batch 32 \
        --model '{"model": "CfC", "units": 64, "mode": "default", "backbone_units": 128, "backbone_layers": 1}' \
        --threads 1 --epochs 2

Prints one JSON line per epoch: {"epoch": k, "seconds": s, "threads": n}. The first epoch includes
torch's warm-up; the liquid README compares the best epoch of each side.
"""
import argparse
import json
import os
import sys
import time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sequences", type=int, required=True)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--inputs", type=int, required=True)
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--model", required=True, help="liquid's model JSON (CfC or LTC with a wiring size)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=2)
    args = ap.parse_args()

    sys.path.insert(0, os.environ.get("NCPS_SRC", "."))
    import torch
    from ncps.torch import CfC, LTC
    from ncps.wirings import AutoNCP, FullyConnected

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    spec = json.loads(args.model)
    if spec["model"] == "CfC":
        model = CfC(args.inputs, spec["units"], proj_size=args.classes, mode=spec.get("mode", "default"),
                    backbone_units=spec.get("backbone_units", 128), backbone_layers=spec.get("backbone_layers", 1),
                    batch_first=True, return_sequences=True)
    else:
        wiring = (AutoNCP(spec["units"], args.classes) if spec.get("wiring") == "AutoNCP"
                  else FullyConnected(spec["units"], args.classes))
        model = LTC(args.inputs, wiring, ode_unfolds=spec.get("ode_unfolds", 6), batch_first=True,
                    return_sequences=True)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randn(args.sequences, args.steps, args.inputs)
    # ncps squeezes timespans[:, t], so a (B, T) tensor would broadcast against the unit axis: pass
    # (B, T, units), as ../shared/tools/ncps_bench.py does.
    ts = (torch.rand(args.sequences, args.steps, 1) + 0.5).expand(-1, -1, spec["units"]).contiguous()
    y = torch.randint(0, args.classes, (args.sequences, args.steps))
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(args.sequences)
        for first in range(0, args.sequences, args.batch):
            idx = order[first:first + args.batch]
            out, _ = model(x[idx], timespans=ts[idx])
            loss = loss_fn(out.reshape(-1, args.classes), y[idx].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        print(json.dumps({"epoch": epoch, "seconds": round(time.perf_counter() - start, 3), "threads": args.threads}),
              flush=True)

if __name__ == "__main__":
    main()
