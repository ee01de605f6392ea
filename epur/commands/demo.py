"""``epur demo``: the whole flow on the default configuration and workload."""

from __future__ import annotations

import dataclasses
from pathlib import Path

NAME = "demo"
HELP = "run the whole flow on the default configuration and workload"

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def add_arguments(p):
    p.add_argument("--out", type=Path, default=Path("build/demo"), help="report directory")


def run(args) -> int:
    import numpy as np

    from epur.commands.run import load_inputs
    from golden.model import run_fixed
    from golden.params import config_for, load_state_dict

    params = load_state_dict(EXAMPLES / "random_lstm.npz")
    x, lengths = load_inputs(EXAMPLES / "random_inputs.npz")
    cfg = config_for(params)
    base = run_fixed(dataclasses.replace(cfg, predictor="none"), params, x, lengths)
    memo = run_fixed(cfg, params, x, lengths)
    err = float(np.abs(memo.h - base.h).max())
    print(f"golden model, {x.shape[0]} sequences of {x.shape[1]} steps, {cfg.cell.upper()} "
          f"X={cfg.input_size} H={cfg.hidden_size}")
    print(f"  reuse {100 * memo.reuse:.1f} % at theta {cfg.theta}, speedup "
          f"{base.cycles.sum() / memo.cycles.sum():.3f}x, max |h_memo - h_none| {err:.4f}")
    return 0
