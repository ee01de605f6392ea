"""``--precision`` and ``--precision-theta`` on ``epur run``, ``simulate`` and ``evaluate``: the
outputs carry steps_high/steps_low equal to the golden model's, bad values are one line, exit 2."""

import json

import numpy as np
import pytest

from core.params import config_for, random_params
from golden.model import run_fixed
from tests.epur.hostile import run_cli

PARAMS = random_params("lstm", 5, 8, 2, seed=13)


@pytest.fixture
def files(tmp_path):
    model = tmp_path / "model.npz"
    np.savez(model, **PARAMS.state_dict())
    inputs = tmp_path / "inputs.npz"
    x = np.random.default_rng(13).normal(0, 1, (3, 10, 5))
    x[:, 5:] = x[:, 4:5]                    # a steady end: the tracker finds low steps
    np.savez(inputs, x=x, lengths=np.array([10, 7, 4]))
    return model, inputs, x




@pytest.mark.parametrize("precision", ["dynamic", "low"])
def test_run_writes_the_precision_counters(precision, files, tmp_path, capsys):
    model, inputs, x = files
    out = tmp_path / "out.npz"
    code, stdout, _ = run_cli("run", "--model", model, "--inputs", inputs, "--out", out,
                              "--predictor", "bnn", "--precision", precision,
                              "--precision-theta", "0.25", "--json")
    assert code == 0
    gold = run_fixed(config_for(PARAMS), PARAMS, x, np.array([10, 7, 4]), predictor="bnn",
                     precision=precision, precision_theta=0.25)
    saved = np.load(out)
    np.testing.assert_array_equal(saved["steps_low"], gold.steps_low)
    np.testing.assert_array_equal(saved["steps_high"], gold.steps_high)
    np.testing.assert_array_equal(saved["h"], gold.h)
    np.testing.assert_array_equal(saved["cycles"], gold.cycles)
    info = json.loads(stdout)
    assert info["precision"] == precision and info["precision_theta"] == 0.25
    assert info["steps_low"] == gold.steps_low.sum() > 0
    assert info["steps_low"] + info["steps_high"] == 2 * (10 + 7 + 4)


def test_run_static_has_no_precision_counters(files, tmp_path, capsys):
    model, inputs, _ = files
    out = tmp_path / "out.npz"
    code, stdout, _ = run_cli("run", "--model", model, "--inputs", inputs, "--out", out,
                              "--json")
    assert code == 0
    assert "steps_low" not in np.load(out) and "steps_low" not in json.loads(stdout)


@pytest.mark.parametrize("argv, message", [
    (["--precision", "half"], "invalid choice: 'half'"),
    (["--precision", "dynamic", "--precision-theta", "-1"], "precision_theta must be in 0.."),
    (["--precision", "dynamic", "--precision-theta", "17"], "precision_theta must be in 0.."),
    (["--precision", "dynamic", "--precision-theta", "nan"], "precision_theta must be in 0.."),
    (["--precision", "dynamic", "--predictor", "delta"], "does not compose with predictor delta"),
    (["--precision-theta", "abc"], "invalid float value: 'abc'"),
])
@pytest.mark.parametrize("command", ["run", "simulate"])
def test_bad_precision_one_line_exit_2(command, argv, message, files, tmp_path, capsys):
    model, inputs, _ = files
    out = tmp_path / "out.npz"
    code, _, err = run_cli(command, "--model", model, "--inputs", inputs, "--out", out,
                           *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert not out.exists()


@pytest.mark.parametrize("argv, message", [
    (["--precision", "half"], "invalid choice: 'half'"),
    (["--precision-theta", "0.5,abc"], "--precision-theta: threshold 'abc' is not a number"),
    (["--precision-theta", "-1"], "threshold -1 must be a finite number >= 0"),
    (["--precision-theta", "99"], "--precision-theta 99.0 exceeds the data format's range"),
])
def test_evaluate_bad_precision(argv, message, capsys):
    code, _, err = run_cli("evaluate", "-q", *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
