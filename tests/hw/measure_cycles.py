"""Measure RTL cycles of the default config in Amaranth's simulator (figures of
docs/architecture.md). Run: ``python -m tests.hw.measure_cycles`` (a few minutes)."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from core.config import DEFAULT
from core.params import config_for, random_params
from golden import cycles
from golden.model import run_fixed
from golden.params import quantize_params, weight_load_list
from tests.hw.rtl import rtl_top

STEPS = 3


def main():
    params = random_params(DEFAULT.cell, DEFAULT.input_size, DEFAULT.hidden_size, seed=5)
    x = np.random.default_rng(1).uniform(-1, 1, (1, STEPS, DEFAULT.input_size))
    h, kd, kb = DEFAULT.hidden_size, DEFAULT.dpu_cycles(0), DEFAULT.bnn_cycles(0)
    print(f"default config: H={h} X={DEFAULT.input_size} N={DEFAULT.lanes} B={DEFAULT.bnn_bits}"
          f" Kd={kd} Kb={kb}; {STEPS} timesteps")
    print(f"baseline step formula H*Kd + {cycles.BASELINE_OVERHEAD} = "
          f"{h * kd + cycles.BASELINE_OVERHEAD}; bound 1.05*H*Kd + C = "
          f"{1.05 * h * kd + cycles.BASELINE_OVERHEAD:.0f}; all reused H*Kb + "
          f"{cycles.REUSED_OVERHEAD} = {h * kb + cycles.REUSED_OVERHEAD}")
    for predictor, theta, mode in (("none", 0.25, "relative"), ("bnn", 0.25, "relative"),
                                   ("bnn", 255.0, "absolute")):
        cfg = config_for(params, dataclasses.replace(
            DEFAULT, predictor=predictor, theta=theta, mode=mode))
        gold = run_fixed(cfg, params, x)
        words = weight_load_list(cfg, quantize_params(cfg, params))
        start = time.time()
        out, _, _, counters = rtl_top(cfg, words, cfg.data_format.quantize(x),
                                      np.array([STEPS]), theta_int=cfg.theta_int,
                                      mode_abs=int(mode == "absolute"),
                                      memo_enable=int(predictor == "bnn"), gaps=False)
        reused = sum(int(counters[f"reused_{g}"][0]) for g in cfg.gate_names)
        computed = sum(int(counters[f"computed_{g}"][0]) for g in cfg.gate_names)
        print(f"{predictor:4s} {mode:8s} theta={theta:<6} RTL cycles {counters['cycles'][0]:5d}"
              f" golden {gold.cycles[0]:5d} computed {computed:4d} reused {reused:4d}"
              f" h bit-exact {np.array_equal(out[0], gold.h_int[-1, 0])}"
              f" (simulated in {time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
