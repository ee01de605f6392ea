"""Measure RTL cycles of the default config's delta build in Amaranth's simulator (figures of
docs/architecture.md, "The delta build"). Run: ``python -m tests.hw.measure_delta_cycles``."""

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

STEPS = 4


def main():
    params = random_params(DEFAULT.cell, DEFAULT.input_size, DEFAULT.hidden_size, seed=5)
    rng = np.random.default_rng(1)
    x = np.clip(np.cumsum(rng.normal(0, 0.1, (1, STEPS, DEFAULT.input_size)), axis=1), -1, 1)
    cfg = config_for(params, dataclasses.replace(DEFAULT, predictor="delta"))
    h, row, words = cfg.hidden_size, cfg.row_length(0), cfg.delta_words
    base = cycles.baseline_step_cycles(cfg, 0)
    print(f"default config: H={h} X={cfg.input_size} N={cfg.lanes} P={words}; {STEPS} timesteps;"
          f" baseline step {base}; delta step, all changed R*P + H + {cycles.DELTA_OVERHEAD} = "
          f"{row * words + h + cycles.DELTA_OVERHEAD}, none changed R + H + "
          f"{cycles.DELTA_IDLE_OVERHEAD} = {row + h + cycles.DELTA_IDLE_OVERHEAD}")
    for theta in (0.0, 0.0625, 255.0):
        run = cfg.with_overrides(theta=theta)
        gold = run_fixed(run, params, x)
        words_ = weight_load_list(run, quantize_params(run, params))
        start = time.time()
        out, _, _, counters = rtl_top(run, words_, run.data_format.quantize(x),
                                      np.array([STEPS]), gaps=False,
                                      controls={"theta": run.theta_int,
                                                "theta_h": run.theta_h_int})
        print(f"delta theta={theta:<7} RTL cycles {counters['cycles'][0]:5d} golden "
              f"{gold.cycles[0]:5d} (baseline {STEPS * base}, {STEPS * base / gold.cycles[0]:.2f}x)"
              f" changed {counters['changed'][0]:4d} of {STEPS * row} macs_skipped "
              f"{counters['macs_skipped'][0]} ({100 * gold.skipped:.1f} %) h bit-exact "
              f"{np.array_equal(out[0], gold.h_int[-1, 0])} (simulated in "
              f"{time.time() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
