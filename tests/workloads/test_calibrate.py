"""``epur calibrate``: formats from the float model's ranges make a hot model run unsaturated.

The hot model is an LSTM whose forget, input and output gates are biased open (6) and whose g
gate follows the sign of x[0]: +1 for 42 steps drives the cell state to about 40, then -1 brings
it back down. The default data format (Q5.11, up to 16) clips c at 16, so after the turn c falls
from 16, not from 40, and h flips sign where the float model's does not.
"""

import json

import numpy as np
import pytest

from core.config import DEFAULT, load_config
from core.fixed import FixedFormat
from core.params import LayerParams, RNNParams, config_for
from golden.float_model import run_float
from golden.model import run_fixed
from tests.epur.hostile import check_outcome, run_cli
from workloads.calibrate import integer_bits, measure

SEED = 18
H, X, T = 4, 2, 70
LENGTHS = np.array([70, 60, 50])


def hot_case():
    rng = np.random.default_rng(SEED)
    w_ih = rng.uniform(-0.05, 0.05, (4 * H, X))
    w_hh = rng.uniform(-0.05, 0.05, (4 * H, H))
    w_ih[2 * H:3 * H, 0] = 4.0 * np.array([1, -1, 1, -1])
    b = np.zeros(4 * H)
    b[:2 * H] = b[3 * H:] = 6.0
    params = RNNParams("lstm", [LayerParams(w_ih, w_hh, b, np.zeros(4 * H))])
    x = np.zeros((3, T, X))
    x[:, :42, 0], x[:, 42:, 0] = 1.0, -1.0
    x[:, :, 1] = rng.normal(0, 0.5, (3, T))
    return params, x


def _valid():
    return np.arange(T)[None, :] < LENGTHS[:, None]


def test_hot_model_saturates_by_default_and_not_after_calibrate(tmp_path):
    print(f"seed {SEED}")
    params, x = hot_case()
    model, inputs, out = tmp_path / "m.npz", tmp_path / "x.npz", tmp_path / "cal.json"
    np.savez(model, **params.state_dict())
    np.savez(inputs, x=x, lengths=LENGTHS)
    expect = run_float(params, x)
    default = run_fixed(config_for(params), params, x, LENGTHS)
    assert sum(int(v.sum()) for v in default.saturations().values()) > 0
    assert np.abs(default.h - expect)[_valid()].max() > 0.5

    code, stdout, err = run_cli("calibrate", "--model", model, "--inputs", inputs, "--out", out,
                                "--json")
    check_outcome(code, err, allowed=(0,))
    doc = json.loads(stdout)
    assert doc["ranges"]["c"] == pytest.approx(measure(params, x, LENGTHS).c)
    assert 35 < doc["ranges"]["c"] < 45
    cfg = load_config(out)
    # c ~ 40 with one bit of headroom ~ 80: 8 integer bits (128), the rest fraction
    assert cfg.data_format.max_value >= 2 * doc["ranges"]["c"]
    result = run_fixed(cfg, params, x, LENGTHS)
    assert all(int(v.sum()) == 0 for v in result.saturations().values())
    error = np.abs(result.h - expect)[_valid()].max()
    print(f"|h - float| after calibrate: {error:.4f}")
    assert error < 0.02

    h_out = tmp_path / "h.npz"      # run with the written config prints no saturation warning
    code, _, err = run_cli("run", "--model", model, "--inputs", inputs, "--config", out,
                           "--out", h_out)
    check_outcome(code, err, allowed=(0,))
    assert "saturation" not in err
    with np.load(h_out) as f:
        np.testing.assert_array_equal(f["h"], result.h)


@pytest.mark.parametrize("magnitude", [0.3, 1.0, 1.5, 7.99, 8.0, 40.0, 1000.0])
def test_integer_bits_is_the_fewest_that_hold(magnitude):
    bits = integer_bits(magnitude, 16)
    assert FixedFormat(16, 16 - bits).max_value >= magnitude
    if bits > 1:
        assert FixedFormat(16, 17 - bits).max_value < magnitude


def test_gru_calibrates_too(tmp_path):
    from core.params import random_params
    params = random_params("gru", 3, 5, 2, seed=SEED, scale=2.0)
    x = np.random.default_rng(SEED).normal(0, 3, (2, 9, 3))
    model, inputs, out = tmp_path / "m.npz", tmp_path / "x.npz", tmp_path / "cal.toml"
    np.savez(model, **params.state_dict())
    np.savez(inputs, x=x)
    code, _, err = run_cli("calibrate", "--model", model, "--inputs", inputs, "--out", out,
                           "--headroom", "2")
    check_outcome(code, err, allowed=(0,))
    assert "data format" in err
    cfg = load_config(out)
    ranges = measure(params, x, np.full(2, 9))
    assert cfg.data_format.max_value >= 4 * ranges.data
    assert cfg.weight_format.max_value >= ranges.weights
    result = run_fixed(cfg, params, x)
    assert all(int(v.sum()) == 0 for v in result.saturations().values())


@pytest.mark.parametrize("case", ["wrong features", "2-D inputs", "bad headroom", "bad suffix",
                                  "NaN"])
def test_bad_calibration_input_is_one_line_exit_2(case, tmp_path):
    params, x = hot_case()
    model, inputs = tmp_path / "m.npz", tmp_path / "x.npz"
    np.savez(model, **params.state_dict())
    out = tmp_path / ("cal.yaml" if case == "bad suffix" else "cal.json")
    extra = ["--headroom", "-1"] if case == "bad headroom" else []
    if case == "wrong features":
        x = x[:, :, :1]
    elif case == "2-D inputs":
        x = x[0]
    elif case == "NaN":
        x = x.copy()
        x[0, 3, 1] = np.nan
    np.savez(inputs, x=x)
    code, _, err = run_cli("calibrate", "--model", model, "--inputs", inputs, "--out", out,
                           *extra)
    check_outcome(code, err, allowed=(2,))
    assert not out.exists()
    assert not list(tmp_path.glob(".cal*"))


def test_run_calibrate_flag_uses_the_calibrated_formats(tmp_path):
    params, x = hot_case()
    model, inputs, out = tmp_path / "m.npz", tmp_path / "x.npz", tmp_path / "h.npz"
    np.savez(model, **params.state_dict())
    np.savez(inputs, x=x, lengths=LENGTHS)
    code, _, err = run_cli("run", "--model", model, "--inputs", inputs, "--out", out,
                           "--calibrate")
    check_outcome(code, err, allowed=(0,))
    assert "calibrate: data reach" in err and "saturation" not in err
    with np.load(out) as f:
        assert np.abs(f["h"] - run_float(params, x))[_valid()].max() < 0.02


def test_generate_calibrate_builds_with_the_calibrated_formats(tmp_path):
    from core.params import random_params

    params = random_params("gru", 3, 4, 1, seed=SEED, scale=3.0)
    x = np.random.default_rng(SEED).normal(0, 4, (2, 5, 3))
    model, inputs = tmp_path / "m.npz", tmp_path / "x.npz"
    np.savez(model, **params.state_dict())
    np.savez(inputs, x=x)
    code, _, err = run_cli("calibrate", "--model", model, "--inputs", inputs, "--out",
                           tmp_path / "cal.json")
    check_outcome(code, err, allowed=(0,))
    code, _, err = run_cli("generate", "--model", model, "--inputs", inputs, "--calibrate",
                           "-o", tmp_path / "gen", "--json")
    check_outcome(code, err, allowed=(0,))
    assert load_config(tmp_path / "gen" / "config.json") == load_config(tmp_path / "cal.json")
    code, _, err = run_cli("generate", "--calibrate", "-o", tmp_path / "bad")
    check_outcome(code, err, allowed=(2,))
    assert not (tmp_path / "bad").exists()


def _calibrated_config(tmp_path):
    """The hot case's files and the config ``epur calibrate`` writes for them."""
    params, x = hot_case()
    model, inputs, out = tmp_path / "m.npz", tmp_path / "x.npz", tmp_path / "cal.json"
    np.savez(model, **params.state_dict())
    np.savez(inputs, x=x, lengths=LENGTHS)
    code, _, err = run_cli("calibrate", "--model", model, "--inputs", inputs, "--out", out)
    check_outcome(code, err, allowed=(0,))
    return model, inputs, load_config(out)


def test_simulate_calibrate_builds_the_calibrated_formats(tmp_path, monkeypatch):
    """The RTL run is replaced by a stub that records the config it is given (the simulation
    itself is tested elsewhere): the formats are epur calibrate's, the default's without the
    flag; --calibrate without --model is one line, exit 2."""
    import sim.runner

    model, inputs, cal = _calibrated_config(tmp_path)
    seen = []

    def stub(cfg, *args, **kwargs):
        seen.append(cfg)
        raise KeyboardInterrupt             # the command's interrupt line, exit 130

    monkeypatch.setattr(sim.runner, "simulate", stub)
    for flag in ((), ("--calibrate",)):
        code, _, err = run_cli("simulate", "--model", model, "--inputs", inputs, "--predictor",
                               "bnn", "--sim", "icarus", "--build-dir", tmp_path / "b", *flag)
        check_outcome(code, err, allowed=(130,))
    default, calibrated = seen
    assert (default.weight_format, default.data_format) == (DEFAULT.weight_format,
                                                            DEFAULT.data_format)
    assert (calibrated.weight_format, calibrated.data_format, calibrated.lut_frac) == \
        (cal.weight_format, cal.data_format, cal.lut_frac)
    assert calibrated.data_format != DEFAULT.data_format
    code, _, err = run_cli("simulate", "--workload", "jvowels-gru", "--calibrate")
    check_outcome(code, err, allowed=(2,))
    assert "--calibrate needs --model" in err


def test_evaluate_json_records_the_calibrated_formats(tmp_path):
    model, inputs, cal = _calibrated_config(tmp_path)
    code, out, err = run_cli("evaluate", "--model", model, "--inputs", inputs, "--calibrate",
                             "--predictors", "bnn", "--thetas", "0.25", "--precision", "static",
                             "-j", "1", "-q", "--json")
    check_outcome(code, err, allowed=(0,))
    doc = json.loads(out)
    assert doc["calibrated"] == {"weight_format": str(cal.weight_format),
                                 "data_format": str(cal.data_format), "lut_frac": cal.lut_frac}
    assert not any(v for p in doc["points"] for v in p["saturation"].values())


def test_explore_calibrate_explores_at_the_calibrated_formats(tmp_path):
    model, inputs, cal = _calibrated_config(tmp_path)
    argv = ["explore", "--model", model, "--inputs", inputs, "--lanes", "2", "--schemes",
            "bnn", "--thetas", "0.25", "--synth", "none", "-j", "1", "-q", "--json"]
    docs = {}
    for flag in ((), ("--calibrate",)):
        code, out, err = run_cli(*argv, "--store", tmp_path / f"s{len(flag)}", *flag)
        check_outcome(code, err, allowed=(0,))
        docs[bool(flag)] = json.loads(out)
    (plain,), (point,) = docs[False]["points"], docs[True]["points"]
    assert (plain["weight_format"], plain["data_format"]) == (str(DEFAULT.weight_format),
                                                              str(DEFAULT.data_format))
    assert any(plain["saturation"].values())
    assert (point["weight_format"], point["data_format"]) == (str(cal.weight_format),
                                                              str(cal.data_format))
    assert not any(point["saturation"].values())
    assert point["key"] != plain["key"]
    assert docs[True]["axes"]["calibrated"] == {"m": {
        "weight_format": str(cal.weight_format), "data_format": str(cal.data_format),
        "lut_frac": cal.lut_frac}}
    code, _, err = run_cli("explore", "--calibrate", "--synth", "none", "-q", "--store",
                           tmp_path / "bad")
    check_outcome(code, err, allowed=(2,))
    assert "--calibrate needs --model" in err and not (tmp_path / "bad").exists()
