"""Digests of the golden model's outputs, to show that a refactor changed no result.

``python -m bench.golden_digest > a.json`` on one commit and again on another, then
``diff a.json b.json``: every line is one run of ``golden.model.run_fixed`` (h, c, computed and
reused per gate, cycles, MACs and MACs skipped, hashed) over the first 60 test sequences of the
four workloads x predictors x thresholds x modes x reuse caps, and over random 1-3 layer LSTM
and GRU configs with odd lane and BNN widths: 320 runs, about 30 s.
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

from core.config import EpurConfig
from core.params import config_for, random_params
from golden.model import run_fixed
from workloads import get


def digest(result) -> str:
    """A short hash of every output and counter of one run."""
    h = hashlib.sha256()
    for a in (result.h_int, result.c_int, result.computed, result.reused, result.cycles,
              result.macs, result.macs_skipped):
        if a is not None:
            h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


# predictor -> thresholds (relative; bnn's absolute ones are 8 times larger, in BNN units)
SWEEP = {"none": (0,), "bnn": (0, 0.25, 1.0), "oracle": (0, 0.25), "delta": (0, 0.0625)}


def workload_digests(sequences: int = 60) -> dict[str, str]:
    out = {}
    for name in ("jvowels-lstm", "jvowels-gru", "silero-vad", "charlm"):
        w = get(name, "test")
        x, lengths = w.test_x[:sequences], w.test_lengths[:sequences]
        for mode in ("relative", "absolute"):
            for cap in (0, 3):
                cfg = config_for(w.params, mode=mode, reuse_cap=cap)
                for predictor, thetas in SWEEP.items():
                    for theta in thetas:
                        if mode == "absolute" and predictor == "bnn":
                            theta = theta * 8
                        r = run_fixed(cfg, w.params, x, lengths, predictor=predictor,
                                      theta=theta)
                        out[f"{name}/{mode}/{cap}/{predictor}/{theta}"] = digest(r)
    return out


def random_digests() -> dict[str, str]:
    out = {}
    rng = np.random.default_rng(5)
    lengths = np.array([11, 3, 7, 1])
    for cell in ("lstm", "gru"):
        for layers in (1, 2, 3):
            for lanes, bits in ((1, 1), (4, 16), (8, 32), (3, 7)):
                cfg = EpurConfig(cell=cell, input_size=5, hidden_size=9, layers=layers,
                                 lanes=lanes, bnn_bits=bits)
                params = random_params(cell, 5, 9, layers, seed=layers * 10 + lanes, scale=0.6)
                x = rng.normal(size=(4, 11, 5)) * 2
                for predictor in SWEEP:
                    for mode in ("relative", "absolute"):
                        r = run_fixed(cfg, params, x, lengths, predictor=predictor, theta=0.5,
                                      mode=mode)
                        key = f"rand/{cell}/{layers}/{lanes}/{bits}/{predictor}/{mode}"
                        out[key] = digest(r)
    return out


def main() -> int:
    json.dump({**workload_digests(), **random_digests()}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
