"""Saturation in the outputs of ``epur run`` and ``epur evaluate``: the counters stored in every
output (the golden model's), and one warning line on stderr exactly when any occurred."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from core.params import config_for
from epur.commands.evaluate import saturation_warning
from golden.model import run_fixed
from tests.epur.hostile import run_cli
from tests.saturating import saturating_case

WARNING = re.compile(r"epur (\w+): warning: fixed-point saturation in (\d+) of (\d+) sequences: "
                     r"(.*) \(see docs/formats\.md, \"Saturation counters\"\)")




def write_case(tmp_path, cell, saturating=True):
    cfg, params, x, lengths = saturating_case(cell, 21, predictor="bnn")
    np.savez(tmp_path / "model.npz", **params.state_dict())
    np.savez(tmp_path / "inputs.npz", x=x, lengths=lengths)
    if not saturating:
        cfg = config_for(params)           # the default formats: nothing clips on this model
        x = x / 4
        np.savez(tmp_path / "inputs.npz", x=x, lengths=lengths)
    cfg.save(tmp_path / "config.json")
    return cfg, params, x, lengths


def parse_described(text):
    """``layer 0 pre-activation 52, cell state 4; layer 1 ...`` -> {counter name: count}."""
    words = {"pre-activation": "pre", "cell state": "c", "h": "h"}
    out = {}
    for part in text.split("; "):
        layer, rest = re.fullmatch(r"layer (\d+) (.*)", part).groups()
        for item in rest.split(", "):
            word, count = item.rsplit(" ", 1)
            out[f"sat_{words[word]}_l{layer}"] = int(count)
    return out


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_run_stores_counters_and_warns_once(cell, tmp_path, capsys):
    cfg, params, x, lengths = write_case(tmp_path, cell)
    out = tmp_path / "out.npz"
    code, stdout, err = run_cli("run", "--model", tmp_path / "model.npz", "--inputs",
                                tmp_path / "inputs.npz", "--config", tmp_path / "config.json",
                                "--out", out, "--json")
    assert code == 0
    gold = run_fixed(cfg, params, x, lengths)
    want = gold.saturations()
    with np.load(out) as f:
        for name in cfg.saturation_counters:
            np.testing.assert_array_equal(f[name], want[name], err_msg=name)
    assert json.loads(stdout)["saturation"] == {k: int(v.sum()) for k, v in want.items()}
    lines = [line for line in err.splitlines() if "saturation" in line]
    assert len(lines) == 1, err
    command, hit, total, text = WARNING.fullmatch(lines[0]).groups()
    assert command == "run" and int(total) == len(lengths)
    assert int(hit) == int(np.count_nonzero(sum(want.values())))
    assert parse_described(text) == {k: int(v.sum()) for k, v in want.items() if v.sum()}


def test_clean_run_has_zero_counters_and_no_warning(tmp_path, capsys):
    cfg, params, x, lengths = write_case(tmp_path, "lstm", saturating=False)
    out = tmp_path / "out.npz"
    code, _, err = run_cli("run", "--model", tmp_path / "model.npz", "--inputs",
                           tmp_path / "inputs.npz", "--config", tmp_path / "config.json",
                           "--out", out)
    assert code == 0
    assert "saturation" not in err and "warning" not in err
    with np.load(out) as f:
        assert all(f[name].sum() == 0 for name in cfg.saturation_counters)


def test_float_run_counts_nothing_and_never_warns(tmp_path, capsys):
    write_case(tmp_path, "lstm")
    code, _, err = run_cli("run", "--model", tmp_path / "model.npz", "--inputs",
                           tmp_path / "inputs.npz", "--out", tmp_path / "out.npz", "--float")
    assert code == 0 and "saturation" not in err


def test_evaluate_warning_names_points_and_first_counts():
    def pt(pred, theta, **sat):
        return {"predictor": pred, "theta": theta,
                "saturation": {"sat_pre_l0": 0, "sat_c_l0": 0, "sat_h_l0": 0, **sat}}
    docs = [{"workload": "a", "points": [pt("none", 0.0), pt("bnn", 0.25, sat_c_l0=3)]},
            {"workload": "b", "points": [pt("none", 0.0, sat_pre_l0=2, sat_c_l0=1),
                                         pt("bnn", 0.5, sat_pre_l0=1)]}]
    line = saturation_warning(docs)
    assert line == ("epur evaluate: warning: fixed-point saturation at 3 of 4 points: "
                    "a (bnn, theta 0.25) layer 0 cell state 3 | "
                    "b (none, theta 0) layer 0 pre-activation 2, cell state 1 "
                    "(see docs/formats.md, \"Saturation counters\")")
    for d in docs:
        for p in d["points"]:
            p["saturation"] = dict.fromkeys(p["saturation"], 0)
    assert saturation_warning(docs) is None


@pytest.mark.parametrize("workload, warns", [("charlm", True), ("jvowels-gru", False)])
def test_evaluate_points_carry_the_golden_counts(workload, warns, capsys):
    """charlm's cell states run into the default data format's bound; jvowels-gru's do not."""
    from workloads import evaluate, get

    code, stdout, err = run_cli("evaluate", "-w", workload, "--limit", "2",
                                "--predictors", "bnn", "--thetas", "0.25", "--json", "-q",
                                "-j", "1")
    assert code == 0
    doc = json.loads(stdout)
    w = get(workload)
    cfg = config_for(w.params)
    for p in doc["points"]:
        assert set(p) == set(evaluate.POINT_KEYS)
        r = run_fixed(cfg, w.params, w.test_x[:2], w.test_lengths[:2],
                      predictor=p["predictor"], theta=p["theta"])
        assert p["saturation"] == {k: int(v.sum()) for k, v in r.saturations().items()}
    lines = [line for line in err.splitlines() if "saturation" in line]
    assert len(lines) == int(warns), err
    if warns:
        assert lines[0].startswith("epur evaluate: warning: fixed-point saturation at ")
