"""``epur run``: the golden model (fixed point, or float with ``--float``) on a user's model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from core.config import PREDICTORS
from core.io import check_output, load_inputs, save_npz
from core.params import load_state_dict, resolve_config
from core.saturation import saturation_totals, saturation_warning
from epur.arguments import add_overrides, add_slots, batched, with_slots

NAME = "run"
HELP = "run the golden model on an LSTM/GRU model (PyTorch, Keras, ONNX) and an inputs .npz"


def add_arguments(p):
    p.add_argument("--model", required=True, type=Path,
                   help="state_dict of an nn.LSTM/nn.GRU (.npz, or .pt with the torch extra), a "
                        "Keras .h5/.keras or an ONNX .onnx model")
    p.add_argument("--inputs", required=True, type=Path,
                   help=".npz with x (batch, time, features) and optionally lengths (batch,)")
    p.add_argument("--out", required=True, type=Path,
                   help="output .npz (h and the counters; steps_high and steps_low with a "
                        "precision mode)")
    p.add_argument("--config", type=Path,
                   help="accelerator config (.json/.toml); default: the built-in default, "
                        "resized to the model")
    p.add_argument("--predictor", choices=PREDICTORS, help="override the config's predictor")
    add_overrides(p)
    add_slots(p)
    p.add_argument("--calibrate", action="store_true",
                   help="choose the weight and data formats from these inputs first (as epur "
                        "calibrate with its default headroom) and say what was chosen")
    p.add_argument("--float", action="store_true",
                   help="run the float model (PyTorch semantics) instead of fixed point")
    p.add_argument("--json", action="store_true", help="print the counters as one JSON document")


def summary(result) -> dict:
    cfg = result.cfg
    out = {
        "predictor": cfg.predictor, "theta": cfg.theta, "mode": cfg.mode,
        "theta_h": cfg.theta_h, "sequences": int(result.cycles.shape[0]),
        "reuse": result.reuse, "skipped": result.skipped,
        "cycles": int(result.cycles.sum()),
        "computed": {g: int(result.computed[:, i].sum()) for i, g in enumerate(cfg.gate_names)},
        "reused": {g: int(result.reused[:, i].sum()) for i, g in enumerate(cfg.gate_names)},
        "macs": int(result.macs.sum()), "macs_skipped": int(result.macs_skipped.sum()),
        "saturation": saturation_totals(cfg, result.saturations()),
        "changed": int(result.changed.sum()),
        "precision": cfg.precision, "precision_theta": cfg.precision_theta,
    }
    if cfg.precision_counters:
        out.update(steps_high=int(result.steps_high.sum()), steps_low=int(result.steps_low.sum()))
    return out


def run(args) -> int:
    from golden.float_model import run_float
    from golden.model import check_inputs, run_fixed

    check_output(args.out, args.model, args.inputs, args.config, suffix=".npz")
    params = load_state_dict(args.model)
    cfg = resolve_config(params, args.config, predictor=args.predictor, theta=args.theta,
                         mode=args.mode, theta_h=args.theta_h,
                         precision=args.precision, precision_theta=args.precision_theta)
    x, lengths = load_inputs(args.inputs)
    x, lengths = check_inputs(cfg, x, lengths)
    if args.calibrate:
        from workloads.calibrate import calibrate
        cfg, _, reasons = calibrate(cfg, params, x, lengths)
        for line in reasons:
            print(f"epur run: calibrate: {line}", file=sys.stderr)
    if args.float:
        h = run_float(params, x)
        save_npz(args.out, h=h, lengths=lengths)
        if args.json:
            print(json.dumps({"float": True, "sequences": int(x.shape[0])}))
        return 0
    cfg = with_slots(cfg, args.slots)
    if batched(cfg, args):
        return _batched(args, cfg, params, x, lengths)
    result = run_fixed(cfg, params, x, lengths)
    save_npz(args.out, h=result.h, lengths=lengths, reuse=np.float64(result.reuse),
             skipped=np.float64(result.skipped), **result.counters())
    info = summary(result)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"{info['sequences']} sequences, predictor {cfg.predictor}: reuse "
              f"{100 * info['reuse']:.1f} %, MACs skipped {100 * info['skipped']:.1f} %, "
              f"{info['cycles']} cycles"
              + (f", {info['steps_low']} of {info['steps_low'] + info['steps_high']} layer "
                 f"steps at low precision" if cfg.precision_counters else "")
              + f" -> {args.out}",
              file=sys.stderr)
    warning = saturation_warning(NAME, cfg, result.saturations())
    if warning:
        print(warning, file=sys.stderr)
    return 0


def _batched(args, cfg, params, x, lengths) -> int:
    """``--slots``/``--policy``: the runtime's schedule through the batched golden model; per
    sequence the outputs and counters equal a run of it alone (``cycles``: the cycles of the
    batch steps it spent in its slot)."""
    from workloads.batching import run_policy

    policy = args.policy or "ebatch"
    out = run_policy(cfg, params, x, lengths, policy, args.steps_per_batch)
    save_npz(args.out, **out)
    computed = sum(int(out[f"computed_{g}"].sum()) for g in cfg.gate_names)
    reused = sum(int(out[f"reused_{g}"].sum()) for g in cfg.gate_names)
    info = {"predictor": cfg.predictor, "theta": cfg.theta, "slots": cfg.slots,
            "policy": policy, "steps_per_batch": args.steps_per_batch,
            "sequences": int(len(lengths)), "slot_cycles": int(out["cycles"].sum()),
            "reuse": reused / (computed + reused) if computed + reused else 0.0}
    if args.json:
        print(json.dumps(info))
    else:
        print(f"{info['sequences']} sequences on {cfg.slots} slots ({policy}), predictor "
              f"{cfg.predictor}: reuse {100 * info['reuse']:.1f} %, {info['slot_cycles']} slot "
              f"cycles -> {args.out}", file=sys.stderr)
    return 0
