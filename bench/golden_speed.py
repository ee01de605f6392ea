"""The fixed-point golden model's speed against torch's float LSTM on the same layer."""

from __future__ import annotations

import importlib.util
import time

import numpy as np

from core.config import PREDICTORS
from core.params import config_for, random_params
from golden.float_model import run_float
from golden.model import run_fixed

X, H, STEPS, BATCH = 64, 128, 1000, 32


def _best(fn, repeat=2) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run() -> None:
    params = random_params("lstm", X, H, 1, seed=0)
    cfg = config_for(params)
    x = np.random.default_rng(0).normal(0, 1, (BATCH, STEPS, X))
    steps = BATCH * STEPS
    rows = [(f"fixed point, predictor {predictor}",
             _best(lambda predictor=predictor: run_fixed(cfg, params, x, predictor=predictor)))
            for predictor in PREDICTORS]
    rows.append(("float64 NumPy model", _best(lambda: run_float(params, x))))
    if importlib.util.find_spec("torch"):
        import torch

        lstm = torch.nn.LSTM(X, H, batch_first=True)
        xt = torch.tensor(x, dtype=torch.float32)
        torch.set_num_threads(1)
        with torch.no_grad():
            rows.append(("torch.nn.LSTM float32 (baseline)", _best(lambda: lstm(xt))))
    base = rows[-1][1]
    print(f"\n== golden model speed: LSTM X={X} H={H}, {BATCH} sequences x {STEPS} steps ==")
    print(f"{'model':38s} {'seconds':>9s} {'steps/s':>10s} {'vs ' + rows[-1][0][:14]:>20s}")
    for name, t in rows:
        print(f"{name:38s} {t:9.2f} {steps / t:10.0f} {t / base:19.1f}x")


if __name__ == "__main__":
    run()
