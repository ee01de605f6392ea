"""cocotb on Icarus: generated precision builds (issue 13) against golden.model.run_fixed, word
for word.

Three builds with dynamic precision, two layers each (LSTM without memo, LSTM and GRU with
memo; lanes that do not divide the rows, so a full row ends on half a word), with random idle
cycles on the input and random back-pressure on the output: every h word and every counter of
every sequence (``steps_high``, ``steps_low``, ``cycles`` equal to the cycle model's) equal to
the golden model's, with a threshold that mixes high and low steps (asserted). The same builds
run every step low (``precision_mode`` low) and every step high (static: the baseline's h).
Seeds derive from the case name and are printed. ``EPUR_PRECISION_SWEEP=1`` adds a 1-layer
GRU without memo and longer sequences.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from golden.model import run_fixed
from sim.runner import simulate
from tests.hw.test_top_precision import LENGTHS, precision_case
from tests.sim.test_runner import check_against_golden

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("sim.test_precision_sim")

# name: (cell, predictor, precision, precision_theta, layers, lanes, X, H)
CASES = {
    "prec-lstm-2l-none-n3": ("lstm", "none", "dynamic", 0.375, 2, 3, 5, 6),
    "prec-lstm-2l-bnn-n4": ("lstm", "bnn", "dynamic", 0.375, 2, 4, 5, 6),
    "prec-gru-2l-bnn-n3": ("gru", "bnn", "dynamic", 0.375, 2, 3, 5, 7),
}
if os.environ.get("EPUR_PRECISION_SWEEP"):
    CASES["prec-gru-1l-none-n8"] = ("gru", "none", "dynamic", 0.375, 1, 8, 12, 10)


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("sim_precision")


@pytest.mark.parametrize("name", CASES)
def test_precision_build_matches_golden(name, build_root):
    cfg, params, x, seed = precision_case(name, *CASES[name])
    res = simulate(cfg, params, x, LENGTHS, seed=seed, root=build_root, run_name=name)
    check_against_golden(res)
    steps = (LENGTHS * cfg.layers).sum()
    assert {"steps_high", "steps_low"} <= set(res.counters)
    assert 0 < res.counters["steps_low"].sum() < steps, "the case must mix high and low steps"
    if cfg.predictor == "bnn":
        assert res.golden.reused.sum() > 0, "the case exercises no reuse"


@pytest.mark.parametrize("precision", ["low", "static"])
def test_precision_modes_at_run_time(precision, build_root):
    name = "prec-lstm-2l-bnn-n4"
    cfg, params, x, seed = precision_case(name, *CASES[name])
    res = simulate(cfg, params, x, LENGTHS, seed=seed, root=build_root, precision=precision,
                   run_name=f"{precision}-{name}")
    check_against_golden(res)
    if precision == "low":
        assert res.counters["steps_high"].sum() == 0
        np.testing.assert_array_equal(res.counters["steps_low"], LENGTHS * cfg.layers)
    else:                     # the full-precision step is today's: the static build's h
        base = run_fixed(dataclasses.replace(cfg, precision="static"), params, x, LENGTHS)
        np.testing.assert_array_equal(res.h_held(), base.h_int[-1])
        np.testing.assert_array_equal(res.counters["cycles"], base.cycles)


def test_precision_needs_a_precision_build(build_root):
    name = "prec-lstm-2l-none-n3"
    cfg, params, x, _ = precision_case(name, *CASES[name])
    with pytest.raises(ValueError, match="needs a precision build"):
        simulate(dataclasses.replace(cfg, precision="static"), params, x, LENGTHS,
                 precision="dynamic", root=build_root)
