"""cocotb on Icarus: generated delta builds against golden.model.run_fixed, word for word.

Four delta configurations (LSTM and GRU, 1 and 2 layers, lanes that do not divide the sizes,
thresholds 0, small and large, x and h thresholds apart) with random idle cycles on the input
and random back-pressure on the output: every h word, every counter of every sequence (cycles,
computed and reused per gate, ``changed`` and ``macs_skipped``) equal to the golden model's and
its cycle model; threshold 0 gives the baseline's h; sequences streamed back to back and a reset
in the middle of a sequence. Seeds derive from the case name and are printed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.model import run_fixed
from sim.runner import simulate
from tests.sim.test_runner import check_against_golden

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("sim.test_delta_sim")

LENGTHS = np.array([6, 3, 5])

# name: (cell, X, H, layers, lanes, theta (x), theta_h (None: theta))
CASES = {
    "delta-lstm-1l-n4-th0": ("lstm", 5, 6, 1, 4, 0.0, None),
    "delta-gru-2l-n3-small": ("gru", 5, 7, 2, 3, 0.0625, 0.03125),
    "delta-lstm-2l-n8-large": ("lstm", 12, 10, 2, 8, 0.5, 0.25),
    "delta-gru-1l-n16-x1h": ("gru", 6, 11, 1, 16, 0.125, None),
}


def make_case(name):
    cell, xs, hs, layers, lanes, theta, theta_h = CASES[name]
    seed = sum(map(ord, name))
    print("case", name, "seed", seed)
    params = random_params(cell, xs, hs, layers=layers, seed=seed, scale=0.8)
    base = dataclasses.replace(DEFAULT, name=f"t_{cell}_delta", lanes=lanes, predictor="delta",
                               theta=theta, theta_h=theta_h)
    cfg = config_for(params, base)
    rng = np.random.default_rng(seed)
    # inputs that drift: some elements move less than the thresholds from step to step
    x = np.clip(np.cumsum(rng.normal(0, 0.3, (len(LENGTHS), LENGTHS.max(), xs)), axis=1),
                -1.5, 1.5)
    return cfg, params, x, seed


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("sim_delta")


@pytest.mark.parametrize("name", CASES)
def test_delta_build_matches_golden(name, build_root):
    cfg, params, x, seed = make_case(name)
    res = simulate(cfg, params, x, LENGTHS, seed=seed, root=build_root, run_name=name)
    check_against_golden(res)
    gold = res.golden
    assert {"changed", "macs_skipped"} <= set(res.counters)
    assert not gold.reused.any()
    if cfg.theta == 0:
        base = run_fixed(dataclasses.replace(cfg, predictor="none"), params, x, LENGTHS)
        np.testing.assert_array_equal(res.h_held(), base.h_int[-1])
    else:
        assert 0 < gold.macs_skipped.sum() < gold.macs.sum()


@pytest.mark.parametrize("test", ["streamed", "reset_mid_sequence"])
def test_delta_streamed_and_reset(test, build_root):
    name = "delta-gru-2l-n3-small"
    cfg, params, x, seed = make_case(name)
    res = simulate(cfg, params, x, LENGTHS, seed=seed, root=build_root, test=test,
                   run_name=f"{test}-{name}")
    assert res.ok, "\n".join(res.report)


def test_delta_needs_the_delta_build(build_root):
    cfg, params, x, _ = make_case("delta-lstm-1l-n4-th0")
    with pytest.raises(ValueError, match="predictor delta runs on the delta build only"):
        simulate(dataclasses.replace(cfg, predictor="none"), params, x, LENGTHS,
                 predictor="delta", root=build_root)
