"""cocotb on Icarus: the RTL's saturation counters against the golden model's (issue 17).

Configs built to saturate (tests/saturating.py: data format Q2.8, activation table over [-2, 2),
LSTM gates biased so that cell states run into the format's bound): every ``sat_<q>_l<layer>``
counter of every sequence, read by the testbench and checked by the scoreboard, equals the golden
model's and is nonzero for the pre-activations and the LSTM cell state (h cannot clip:
docs/formats.md); a model in the default formats saturates nothing, in the RTL either.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.model import run_fixed
from sim.ports import scheme_counters
from sim.runner import simulate
from tests.saturating import saturating_case

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("sim.test_saturation")

# name: (cell, build and run predictor, cocotb test)
CASES = {"lstm-sat-bnn": ("lstm", "bnn", "sequences"),
         "gru-sat-none": ("gru", "none", "sequences"),
         "gru-sat-bnn-streamed": ("gru", "bnn", "streamed"),
         "lstm-sat-delta": ("lstm", "delta", "sequences")}


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("sim")


def check_counters(res):
    """Every word matched (the scoreboard), and every counter of every sequence, the saturation
    counters among them, equals the golden model's."""
    assert res.ok, "\n".join(res.report)
    want = res.golden.counters()
    names = list(res.cfg.counter_names) + scheme_counters(res.cfg)
    assert set(names) == set(res.counters)
    for name in names:
        np.testing.assert_array_equal(res.counters[name], want[name], err_msg=name)
        if name.startswith("sat_"):
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


def test_simulate_cli_stores_rtl_counters_and_warns_once(build_root, tmp_path, capsys):
    """``epur simulate``: the RTL's saturation counters in the .npz and the JSON, and one
    warning line on stderr."""
    from epur.cli import main

    cfg, params, x, lengths = saturating_case("lstm", 5, predictor="bnn")
    np.savez(tmp_path / "model.npz", **params.state_dict())
    np.savez(tmp_path / "inputs.npz", x=x, lengths=lengths)
    cfg.save(tmp_path / "config.json")
    out = tmp_path / "out.npz"
    code = main(["simulate", "--model", str(tmp_path / "model.npz"), "--inputs",
                 str(tmp_path / "inputs.npz"), "--config", str(tmp_path / "config.json"),
                 "--out", str(out), "--build-dir", str(build_root), "--json"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    gold = run_fixed(cfg, params, x, lengths).counters()
    doc = json.loads(stdout)
    with np.load(out) as f:
        for name in cfg.saturation_counters:
            np.testing.assert_array_equal(f[name], gold[name], err_msg=name)
            assert doc["saturation"][name] == int(gold[name].sum())
    lines = [line for line in err.splitlines() if "saturation" in line]
    assert len(lines) == 1 and lines[0].startswith(
        f"epur simulate: warning: fixed-point saturation in {len(lengths)} of {len(lengths)} "
        "sequences: layer 0 pre-activation "), err
