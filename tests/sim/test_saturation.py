"""cocotb on Icarus: the RTL's saturation counters against the golden model's (issue 17).

Configs built to saturate (tests/saturating.py: data format Q2.8, activation table over [-2, 2),
LSTM gates biased so that cell states run into the format's bound): every ``sat_<q>_l<layer>``
counter of every sequence, read by the testbench and checked by the scoreboard, equals the golden
model's and is nonzero for the pre-activations and the LSTM cell state (h cannot clip:
docs/formats.md); a model in the default formats saturates nothing, in the RTL either.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from sim.runner import simulate
from tests.saturating import saturating_case

# name: (cell, build and run predictor, cocotb test)
CASES = {"lstm-sat-bnn": ("lstm", "bnn", "sequences"),
         "gru-sat-none": ("gru", "none", "sequences"),
         "gru-sat-bnn-streamed": ("gru", "bnn", "streamed")}


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("sim")


def check_counters(res):
    assert res.ok, "\n".join(res.report)
    gold = res.golden
    np.testing.assert_array_equal(res.h_held(), gold.h_int[-1])
    want = gold.counters()
    assert set(res.cfg.counter_names) == set(res.counters)
    for name, value in res.counters.items():
        np.testing.assert_array_equal(value, want[name], err_msg=name)
    for name in res.cfg.saturation_counters:
        print(f"{name}: RTL {res.counters[name].tolist()}, golden {want[name].tolist()}")


@pytest.mark.parametrize("name", CASES)
def test_saturation_counters_match_golden(name, build_root):
    cell, predictor, test = CASES[name]
    seed = sum(map(ord, name))
    print("case", name, "seed", seed)
    cfg, params, x, lengths = saturating_case(cell, seed, predictor=predictor)
    res = simulate(cfg, params, x, lengths, seed=seed, root=build_root, test=test,
                   run_name=name)
    check_counters(res)
    for counter, (quantity, _) in cfg.saturation_counters.items():
        assert (res.counters[counter].sum() > 0) == (quantity != "h"), counter
    assert (res.golden.reused.sum() > 0) == (predictor == "bnn")


def test_default_formats_saturate_nothing(build_root):
    seed = 7
    params = random_params("lstm", 5, 6, layers=2, seed=seed, scale=0.8)
    cfg = config_for(params, dataclasses.replace(DEFAULT, name="t_clean", lanes=4, bnn_bits=8,
                                                 theta=0.5))
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, (3, 5, 5))
    res = simulate(cfg, params, x, seed=seed, root=build_root, run_name="clean")
    check_counters(res)
    assert all(res.counters[name].sum() == 0 for name in cfg.saturation_counters)
