"""``epur run``: outputs against the golden model, and every kind of bad input -> one line, 2."""

import json
import re

import numpy as np
import pytest

from core.params import config_for, random_params
from golden.float_model import run_float
from golden.model import run_fixed
from tests.epur.hostile import run_cli

PARAMS = random_params("gru", 6, 10, 2, seed=3)


@pytest.fixture
def files(tmp_path):
    model = tmp_path / "model.npz"
    np.savez(model, **PARAMS.state_dict())
    inputs = tmp_path / "inputs.npz"
    x = np.random.default_rng(3).normal(0, 1, (3, 9, 6))
    np.savez(inputs, x=x)
    return model, inputs, x




@pytest.mark.parametrize("predictor", ["bnn", "mbnn"])
def test_fixed_run_writes_golden_h_and_counters(predictor, files, tmp_path, capsys):
    model, inputs, x = files
    out = tmp_path / "out.npz"
    code, stdout, _ = run_cli("run", "--model", model, "--inputs", inputs, "--out", out,
                              "--predictor", predictor, "--theta", "0.4", "--json")
    assert code == 0
    expect = run_fixed(config_for(PARAMS), PARAMS, x, predictor=predictor, theta=0.4)
    assert 0 < expect.reuse < 1
    with np.load(out) as f:
        np.testing.assert_array_equal(f["h"], expect.h)
        np.testing.assert_array_equal(f["reused_z"], expect.reused[:, 1])
        np.testing.assert_array_equal(f["cycles"], expect.cycles)
    doc = json.loads(stdout)
    assert doc["reused"]["n"] == expect.reused[:, 2].sum()
    assert doc["reuse"] == pytest.approx(expect.reuse)


def test_float_run_matches_float_model(files, tmp_path, capsys):
    model, inputs, x = files
    out = tmp_path / "f.npz"
    assert run_cli("run", "--model", model, "--inputs", inputs, "--out", out,
                   "--float")[0] == 0
    with np.load(out) as f:
        np.testing.assert_allclose(f["h"], run_float(PARAMS, x), rtol=0, atol=1e-12)


def _bad_weights(tmp_path, **changes):
    sd = PARAMS.state_dict() | changes
    sd = {k: v for k, v in sd.items() if v is not None}
    path = tmp_path / "bad_model.npz"
    np.savez(path, **sd)
    return path


def _bad_inputs(tmp_path, **arrays):
    path = tmp_path / "bad_inputs.npz"
    np.savez(path, **arrays)
    return path


W = PARAMS.state_dict()
NAN_W = W["weight_hh_l1"].copy()
NAN_W[0, 0] = np.nan

BAD = {
    "missing model": (lambda t, m, i: ["--model", t / "nope.npz", "--inputs", i],
                      "model file not found"),
    "missing inputs": (lambda t, m, i: ["--model", m, "--inputs", t / "nope.npz"],
                       "inputs file not found"),
    "wrong keys": (lambda t, m, i: ["--model", _bad_weights(t, weight_ih_l0=None),
                                    "--inputs", i], "no 'weight_ih_l0' key"),
    "wrong shape": (lambda t, m, i: ["--model", _bad_weights(t, bias_hh_l0=np.zeros(7)),
                                     "--inputs", i], r"bias_hh_l0 has shape \(7,\)"),
    "not lstm or gru": (lambda t, m, i: ["--model", _bad_weights(
        t, weight_hh_l0=np.zeros((20, 10))), "--inputs", i], "rows must be 4\\*H"),
    "nan weight": (lambda t, m, i: ["--model", _bad_weights(t, weight_hh_l1=NAN_W),
                                    "--inputs", i], "weight_hh_l1 contains NaN"),
    "nan input": (lambda t, m, i: ["--model", m, "--inputs", _bad_inputs(
        t, x=np.full((1, 2, 6), np.inf))], "inputs contain NaN or infinite"),
    "no x": (lambda t, m, i: ["--model", m, "--inputs", _bad_inputs(t, y=np.zeros(3))],
             "has no array 'x'"),
    "feature size": (lambda t, m, i: ["--model", m, "--inputs", _bad_inputs(
        t, x=np.zeros((2, 4, 5)))], "inputs have 5 features but the model's input size is 6"),
    "2-d inputs": (lambda t, m, i: ["--model", m, "--inputs", _bad_inputs(t, x=np.zeros((4, 6)))],
                   r"shape \(batch, time, features\)"),
    "negative theta": (lambda t, m, i: ["--model", m, "--inputs", i, "--theta", "-1"],
                       "theta must be a finite number >= 0"),
    "nan theta": (lambda t, m, i: ["--model", m, "--inputs", i, "--theta", "nan"],
                  "theta must be a finite number >= 0"),
    "unknown predictor": (lambda t, m, i: ["--model", m, "--inputs", i, "--predictor", "lru"],
                          "invalid choice: 'lru'"),
    "config mismatch": (lambda t, m, i: ["--model", m, "--inputs", i, "--config",
                                         _config(t, hidden_size=11)],
                        "hidden_size is 10 but the config's is 11"),
    "config bad value": (lambda t, m, i: ["--model", m, "--inputs", i, "--config",
                                          _config(t, lanes=0)], "lanes must be in 1..64, not 0"),
    "config unknown key": (lambda t, m, i: ["--model", m, "--inputs", i, "--config",
                                            _config(t, lane=4)], "unknown config key 'lane'"),
    "not an npz": (lambda t, m, i: ["--model", _text(t, "m.npz"), "--inputs", i],
                   "cannot read .* as .npz"),
}


def _config(tmp_path, **kw):
    path = tmp_path / "cfg.json"
    base = {"cell": "gru", "input_size": 6, "hidden_size": 10, "layers": 2}
    path.write_text(json.dumps(base | kw))
    return path


def _text(tmp_path, name):
    path = tmp_path / name
    path.write_text("not a zip file")
    return path


@pytest.mark.parametrize("case", BAD)
def test_bad_input_one_line_exit_2_nothing_written(case, files, tmp_path, capsys):
    model, inputs, _ = files
    make_args, message = BAD[case]
    out = tmp_path / "out.npz"
    code, _, err = run_cli("run", *make_args(tmp_path, model, inputs), "--out", out)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err
    assert not out.exists()
    assert not list(tmp_path.glob("*.tmp*"))



@pytest.mark.parametrize("which", ["model", "inputs"])
def test_out_never_overwrites_an_input(which, files, tmp_path, capsys):
    model, inputs, _ = files
    target = {"model": model, "inputs": inputs}[which]
    before = target.read_bytes()
    out = tmp_path / "." / target.name          # the same file, spelled differently
    code, _, err = run_cli("run", "--model", model, "--inputs", inputs, "--out", out)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "is also an input" in err, err
    assert target.read_bytes() == before
