"""``epur generate``: the Verilog of an accelerator and the config it was built from."""

from __future__ import annotations

import json
import time
from pathlib import Path

from core.config import DEFAULT, load_config
from core.errors import InputError
from core.io import check_directory, write_atomic
from epur.arguments import add_ghost_ratio, add_slots, with_ghost_ratio, with_slots

NAME = "generate"
HELP = "write the Verilog of an accelerator (DIR/<name>.v) and its config (DIR/config.json)"


def add_arguments(p):
    p.add_argument("--config", type=Path,
                   help="accelerator config (.json or .toml); default: the built-in default")
    p.add_argument("--model", type=Path,
                   help="size the accelerator to this model (PyTorch, Keras or ONNX; checked "
                        "against --config when both are given)")
    p.add_argument("--inputs", type=Path,
                   help="with --model --calibrate: the sample inputs (.npz with x)")
    p.add_argument("--calibrate", action="store_true",
                   help="with --model and --inputs: choose the weight and data formats from "
                        "the inputs first (as epur calibrate)")
    add_ghost_ratio(p)
    add_slots(p, policy=False)
    p.add_argument("-o", "--out", type=Path, default=Path("build"),
                   help="output directory (created if missing; default: build)")
    p.add_argument("--json", action="store_true",
                   help="print the written paths and the top level's ports as one JSON document")


def _sized(args):
    """The config to build: --config or the default, sized to --model and calibrated on
    --inputs when asked."""
    cfg = DEFAULT if args.config is None else load_config(args.config)
    if args.model is None:
        if args.calibrate or args.inputs is not None:
            raise InputError("--calibrate and --inputs need --model")
        return with_ghost_ratio(cfg, args.ghost_ratio)
    from core.params import config_for, load_state_dict

    params = load_state_dict(args.model)
    if args.config is None:
        cfg = config_for(params)
    cfg = with_ghost_ratio(cfg, args.ghost_ratio, params)
    if not args.calibrate:
        return cfg
    if args.inputs is None:
        raise InputError("--calibrate needs --inputs")
    from core.io import load_inputs
    from golden.model import check_inputs
    from workloads.calibrate import calibrate

    x, lengths = check_inputs(cfg, *load_inputs(args.inputs))
    cfg, _, reasons = calibrate(cfg, params, x, lengths)
    if not args.json:
        for line in reasons:
            print(f"epur generate: calibrate: {line}")
    return cfg


def run(args) -> int:
    cfg = with_slots(_sized(args), args.slots).require_hardware()
    out = check_directory(args.out)

    from hw.top import generate_verilog, verilog_ports

    start = time.perf_counter()
    verilog = generate_verilog(cfg)
    seconds = time.perf_counter() - start
    v_path, c_path = out / f"{cfg.name}.v", out / "config.json"
    # the directory is made only once the Verilog is ready, and removed again (with the parents
    # this run made) if writing fails or is interrupted, so a failed generate leaves nothing
    made = [d for d in (out, *out.parents) if not d.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create output directory {out}: {e.strerror}") from None
    try:
        # Verilog and config land together: the config is renamed last, after the Verilog
        write_atomic(v_path, verilog)
        write_atomic(c_path, cfg.to_json())
    except BaseException:
        if made:                        # the directory is this run's: so is the Verilog
            v_path.unlink(missing_ok=True)
        for d in made:
            if any(d.iterdir()):
                break
            d.rmdir()
        raise
    if args.json:
        ports = [{"name": n, "direction": d, "width": w}
                 for n, d, w in verilog_ports(verilog, cfg.name)]
        print(json.dumps({"verilog": str(v_path), "config": str(c_path), "top": cfg.name,
                          "predictor": cfg.predictor, "seconds": round(seconds, 3),
                          "ports": ports}))
    else:
        print(f"wrote {v_path} ({len(verilog.splitlines())} lines, {seconds:.1f} s) and {c_path}")
    return 0
