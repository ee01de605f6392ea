"""``epur calibrate``: fixed-point formats chosen from a model's float ranges on sample inputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.config import load_config
from core.errors import InputError
from core.io import check_output, load_inputs
from core.params import check_matches, config_for, load_state_dict
from workloads.calibrate import DEFAULT_HEADROOM, calibrate

NAME = "calibrate"
HELP = ("choose weight and data formats that do not saturate on sample inputs (float ranges "
        "plus headroom) and write them into a config")


def add_arguments(p):
    p.add_argument("--model", required=True, type=Path,
                   help="the model (.npz/.pt state_dict, Keras .h5/.keras, ONNX .onnx)")
    p.add_argument("--inputs", required=True, type=Path,
                   help=".npz with x (batch, time, features) and optionally lengths (batch,)")
    p.add_argument("--out", required=True, type=Path, help="config to write (.json or .toml)")
    p.add_argument("--config", type=Path,
                   help="base config whose other parameters and widths are kept (default: the "
                        "built-in default, resized to the model)")
    p.add_argument("--headroom", type=int, default=DEFAULT_HEADROOM, metavar="BITS",
                   help=f"integer bits of data kept above the largest measured magnitude "
                        f"(default {DEFAULT_HEADROOM})")
    p.add_argument("--json", action="store_true",
                   help="print the ranges, formats and reasons as one JSON document")


def run(args) -> int:
    from golden.model import check_inputs

    if args.out.suffix not in (".json", ".toml"):
        raise InputError(f"config file must end in .json or .toml, not {args.out.name}")
    check_output(args.out, args.model, args.inputs, args.config)
    params = load_state_dict(args.model)
    if args.config is None:
        base = config_for(params)
    else:
        base = load_config(args.config)
        check_matches(base, params)
    x, lengths = check_inputs(base, *load_inputs(args.inputs))
    cfg, ranges, reasons = calibrate(base, params, x, lengths, args.headroom)
    cfg.save(args.out)
    if args.json:
        print(json.dumps({"out": str(args.out), "ranges": ranges.to_dict(),
                          "weight_format": str(cfg.weight_format),
                          "data_format": str(cfg.data_format), "lut_frac": cfg.lut_frac,
                          "headroom": args.headroom, "reasons": reasons}))
    else:
        for line in reasons:
            print(f"epur calibrate: {line}", file=sys.stderr)
        print(f"epur calibrate: weights {cfg.weight_format}, data {cfg.data_format} -> "
              f"{args.out}", file=sys.stderr)
    return 0
