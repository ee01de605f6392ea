"""``--ghost-ratio`` and ghost models on ``epur generate`` and ``epur simulate``: good ones build,
bad ones are one line on stderr, exit 2, nothing written (GhostRNN, issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.config import load_config
from core.io import save_npz
from core.params import random_params
from epur.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "configs" / "gru_small.toml"


def _model(tmp_path, ghost, name="m.npz", hidden=None):
    cfg = load_config(TINY)
    params = random_params(cfg.cell, cfg.input_size, hidden or cfg.hidden_size, cfg.layers,
                           ghost_size=ghost)
    save_npz(tmp_path / name, **params.state_dict())
    return tmp_path / name


def _fails(capsys, argv, message, out=None):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert out is None or not out.exists()


@pytest.mark.parametrize("ratio, message", [
    ("1", "ghost_ratio must be in [0, 1) (0: no ghost states), not 1.0"),
    ("-0.5", "ghost_ratio must be in [0, 1) (0: no ghost states), not -0.5"),
    ("nan", "ghost_ratio must be in [0, 1) (0: no ghost states), not nan"),
    ("0.01", "ghost_ratio 0.01 leaves no ghost state"),
    ("0.99", "ghost_ratio 0.99 leaves no intrinsic state"),
])
def test_generate_refuses_a_bad_ratio(tmp_path, capsys, ratio, message):
    out = tmp_path / "out"
    _fails(capsys, ["generate", "--config", str(TINY), "--ghost-ratio", ratio, "-o", str(out)],
           message, out)


def test_generate_builds_a_ghost_accelerator(tmp_path, capsys):
    small = tmp_path / "small.toml"        # a small build: generating it takes a second
    small.write_text('name = "g"\ncell = "gru"\ninput_size = 3\nhidden_size = 4\n'
                     'lanes = 2\npredictor = "none"\n')
    params = random_params("gru", 3, 4, 1, ghost_size=2)
    save_npz(tmp_path / "m.npz", **params.state_dict())
    out = tmp_path / "out"
    assert main(["generate", "--config", str(small), "--ghost-ratio", "0.5", "--model",
                 str(tmp_path / "m.npz"), "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    cfg = load_config(report["config"])
    assert (cfg.ghost_ratio, cfg.ghost_size, cfg.intrinsic_size) == (0.5, 2, 2)
    assert f"module \\{cfg.name}.ghost (" in Path(report["verilog"]).read_text()


@pytest.mark.parametrize("argv, message", [
    (["--ghost-ratio", "0.25"], "the model's ghost_size is 8 but the config's is 4"),
    ([], "the model's ghost_size is 8 but the config's is 0"),
])
def test_a_model_that_does_not_match_the_config(tmp_path, capsys, argv, message):
    model = _model(tmp_path, ghost=8)
    out = tmp_path / "out"
    _fails(capsys, ["generate", "--config", str(TINY), "--model", str(model), *argv,
                    "-o", str(out)], message, out)


def test_a_plain_model_with_a_ratio(tmp_path, capsys):
    model = _model(tmp_path, ghost=0)
    _fails(capsys, ["generate", "--model", str(model), "--ghost-ratio", "0.5", "-o",
                    str(tmp_path / "out")], "the model's ghost_size is 0 but the config's is 8")


def test_a_ghost_model_of_bad_shapes(tmp_path, capsys):
    cfg = load_config(TINY)
    sd = random_params(cfg.cell, cfg.input_size, cfg.hidden_size, cfg.layers,
                       ghost_size=4).state_dict()
    sd["weight_gh_l0"] = sd["weight_gh_l0"][:, :3]
    save_npz(tmp_path / "bad.npz", **sd)
    _fails(capsys, ["generate", "--model", str(tmp_path / "bad.npz"), "-o",
                    str(tmp_path / "out")], "weight_gh_l0 has shape (4, 3), expected (4, 12)")


@pytest.mark.parametrize("argv, message", [
    (["--ghost-ratio", "1.5"], "ghost_ratio must be in [0, 1)"),
    (["--ghost-ratio", "0.75"], "the model's ghost_size is 8 but the config's is 12"),
    (["--predictor", "delta"], "ghost_ratio 0.5 does not compose with predictor delta"),
])
def test_simulate_refuses(tmp_path, capsys, argv, message):
    model = _model(tmp_path, ghost=8)
    inputs = tmp_path / "x.npz"
    save_npz(inputs, x=np.zeros((1, 2, load_config(TINY).input_size)))
    out = tmp_path / "r.npz"
    _fails(capsys, ["simulate", "--model", str(model), "--inputs", str(inputs), *argv,
                    "--out", str(out)], message, out)


def test_evaluate_of_a_ghost_model_leaves_out_what_does_not_compose(tmp_path, capsys):
    """The default sweep of a ghost workload skips delta and dynamic/low precision with one note;
    the plain rival of the same table sweeps them; naming delta is refused in one line."""
    argv = ["evaluate", "--limit", "2", "--thetas", "0", "--delta-thetas", "0", "-q",
            "-j", "1", "--json"]
    assert main([*argv, "-w", "jvowels-lstm-ghost75"]) == 0
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [
        "epur evaluate: jvowels-lstm-ghost75 has ghost states: delta, dynamic and low precision "
        "do not compose with them, not swept"]
    doc = json.loads(out)
    assert {p["predictor"] for p in doc["points"]} == {"none", "bnn", "mbnn", "oracle"}
    assert "precision" not in doc
    assert main([*argv, "-w", "jvowels-lstm-h32", "--precision", "static"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "delta" in {p["predictor"] for p in doc["points"]}
    assert main([*argv, "-w", "jvowels-lstm-ghost75", "--predictors", "delta"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["epur evaluate: error: jvowels-lstm-ghost75 has ghost states: predictor delta "
                   "does not compose with them (its delta encoder and pre-activation memory hold "
                   "H neurons a gate)"]
