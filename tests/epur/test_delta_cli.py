"""The delta build on the command line: generate writes it, run reports reuse and the MACs
skipped side by side, bad thresholds and a delta config the hardware does not build are one
line and exit status 2."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from core.config import DEFAULT
from core.io import save_npz
from core.params import config_for, random_params
from epur.cli import main
from golden.model import run_fixed

DELTA = dataclasses.replace(DEFAULT, name="d", input_size=3, hidden_size=4, lanes=3,
                            predictor="delta", theta=0.125)


@pytest.fixture
def model(tmp_path):
    params = random_params("gru", 3, 4, 1, seed=5, scale=0.8)
    save_npz(tmp_path / "m.npz", **params.state_dict())
    x = np.cumsum(np.random.default_rng(5).normal(0, 0.2, (2, 6, 3)), axis=1)
    save_npz(tmp_path / "x.npz", x=x)
    return params, x


def test_generate_writes_the_delta_build(tmp_path):
    path = tmp_path / "c.toml"
    DELTA.save(path)
    assert main(["generate", "--config", str(path), "-o", str(tmp_path / "o")]) == 0
    text = (tmp_path / "o" / "d.v").read_text()
    for name in ("theta_h", "changed", "macs_skipped"):
        assert f"output [31:0] {name};" in text or f"input [15:0] {name};" in text
    assert "delta_encoder" in text and "accumulator" in text


@pytest.mark.parametrize("predictor", ["bnn", "delta"])
def test_run_reports_reuse_and_skipped(tmp_path, capsys, model, predictor):
    params, x = model
    out = tmp_path / "o.npz"
    argv = ["run", "--model", str(tmp_path / "m.npz"), "--inputs", str(tmp_path / "x.npz"),
            "--out", str(out), "--predictor", predictor, "--theta", "0.25", "--json"]
    if predictor == "delta":
        argv += ["--theta-h", "0.0625"]
    assert main(argv) == 0
    info = json.loads(capsys.readouterr().out)
    r = run_fixed(config_for(params), params, x, predictor=predictor, theta=0.25,
                  theta_h=0.0625 if predictor == "delta" else None)
    assert info["reuse"] == pytest.approx(r.reuse)
    assert info["skipped"] == pytest.approx(r.macs_skipped.sum() / r.macs.sum())
    assert info["changed"] == int(r.changed.sum())
    with np.load(out) as f:
        assert float(f["skipped"]) == pytest.approx(info["skipped"])
    if predictor == "delta":
        assert info["reuse"] == 0 and info["skipped"] > 0 and info["theta_h"] == 0.0625


@pytest.mark.parametrize("extra, message", [
    (["--theta", "-0.5"], "theta must be a finite number >= 0, not -0.5"),
    (["--theta", "nan"], "theta must be a finite number >= 0, not nan"),
    (["--theta-h", "nan"], "theta_h must be a finite number >= 0, not nan"),
    (["--theta-h", "-1"], "theta_h must be a finite number >= 0, not -1.0"),
    (["--theta", "256"], "theta 256.0 exceeds the theta register's range"),
    (["--theta-h", "1000"], "theta_h 1000.0 exceeds the theta register's range"),
])
@pytest.mark.parametrize("command", ["run", "simulate"])
def test_bad_thresholds_exit_2(tmp_path, capsys, model, command, extra, message):
    argv = [command, "--model", str(tmp_path / "m.npz"), "--inputs", str(tmp_path / "x.npz"),
            "--out", str(tmp_path / "o.npz"), "--predictor", "delta"] + extra
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "o.npz").exists()


@pytest.mark.parametrize("command", ["generate", "synth", "simulate"])
def test_a_delta_config_the_hardware_does_not_build(tmp_path, capsys, model, command):
    path = tmp_path / "c.json"
    dataclasses.replace(DELTA, cell="gru", input_size=3, hidden_size=4, reuse_cap=3).save(path)
    argv = {"generate": ["generate", "--config", str(path), "-o", str(tmp_path / "o")],
            "synth": ["synth", "--config", str(path), "--out", str(tmp_path / "o")],
            "simulate": ["simulate", "--config", str(path), "--model", str(tmp_path / "m.npz"),
                         "--inputs", str(tmp_path / "x.npz")]}[command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "reuse_cap must be 0 for predictor delta, not 3" in err[0], err


def test_evaluate_fixes_theta_h(capsys):
    """--delta-theta-h holds the h threshold while --delta-thetas sweeps x's."""
    from workloads import get

    argv = ["evaluate", "-w", "jvowels-gru", "--predictors", "delta", "--delta-thetas",
            "0.25", "--delta-theta-h", "0.0625", "--limit", "8", "-j", "1", "-q", "--json"]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["config"]["theta_h"] == 0.0625
    w = get("jvowels-gru")
    r = run_fixed(config_for(w.params), w.params, w.test_x[:8], w.test_lengths[:8],
                  predictor="delta", theta=0.25, theta_h=0.0625)
    (point,) = [p for p in doc["points"] if p["predictor"] == "delta"]
    assert point["skipped"] == pytest.approx(r.skipped)


@pytest.mark.parametrize("value", ["nan", "-0.5", "300"])
def test_evaluate_refuses_a_bad_theta_h(capsys, value):
    assert main(["evaluate", "-q", "--delta-theta-h", value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--delta-theta-h must be a number in 0..255.99609375" in err[0]
