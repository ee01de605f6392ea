"""``epur evaluate --model M --inputs X``: a user's own model swept like a built-in workload.

Expected figures are recomputed here from the golden models directly (run_fixed and run_float
on the same parameters): the agreement of argmax decisions, the accuracy against labels.
"""

import json

import numpy as np
import pytest

from core.params import config_for, random_params
from golden.float_model import run_float
from golden.model import run_fixed
from tests.epur.hostile import check_outcome, run_cli
from tests.workloads.test_calibrate import LENGTHS, hot_case

SEED = 18
PARAMS = random_params("lstm", 4, 6, 1, seed=SEED, scale=0.8)
SWEEP = ["--predictors", "bnn", "--thetas", "0,0.25", "--precision", "static", "-j", "1",
         "-q", "--json"]


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(SEED)
    x = rng.normal(0, 1, (5, 12, 4))
    lengths = np.array([12, 9, 12, 5, 7])
    model, inputs = tmp_path / "own.npz", tmp_path / "x.npz"
    np.savez(model, **PARAMS.state_dict())
    np.savez(inputs, x=x, lengths=lengths)
    return model, inputs, x, lengths


def _valid(lengths, steps):
    return np.arange(steps)[None, :] < lengths[:, None]


def test_agreement_with_the_float_model_is_the_default_metric(files):
    model, inputs, x, lengths = files
    out_dir = model.parent / "eval"
    code, out, err = run_cli("evaluate", "--model", model, "--inputs", inputs, *SWEEP,
                             "--out", out_dir)
    check_outcome(code, err, allowed=(0,))
    doc = json.loads(out)
    assert doc["workload"] == "own" and doc["metric"] == "agreement"
    assert json.loads((out_dir / "own.json").read_text()) == doc
    assert (out_dir / "own.png").stat().st_size > 0
    assert doc["float"] == 100.0
    ref = np.argmax(run_float(PARAMS, x), axis=-1)
    valid = _valid(lengths, x.shape[1])
    for point in doc["points"]:
        r = run_fixed(config_for(PARAMS), PARAMS, x, lengths, predictor=point["predictor"],
                      theta=point["theta"])
        expect = 100 * np.mean(np.argmax(r.h, axis=-1)[valid] == ref[valid])
        assert point["metric_value"] == pytest.approx(expect)
        assert point["reuse"] == pytest.approx(r.reuse)
    assert [p["predictor"] for p in doc["points"]] == ["none", "bnn", "bnn"]


def test_labels_make_the_metric_accuracy_through_the_head(files, tmp_path):
    model, inputs, x, lengths = files
    rng = np.random.default_rng(SEED + 1)
    y = rng.integers(0, 3, len(lengths))
    head_w, head_b = rng.normal(0, 1, (3, 6)), rng.normal(0, 0.1, 3)
    labels = tmp_path / "y.npz"
    np.savez(labels, y=y, head_weight=head_w, head_bias=head_b)
    code, out, err = run_cli("evaluate", "--model", model, "--inputs", inputs, "--labels",
                             labels, *SWEEP)
    check_outcome(code, err, allowed=(0,))
    doc = json.loads(out)
    assert doc["metric"] == "accuracy"
    r = run_fixed(config_for(PARAMS), PARAMS, x, lengths, predictor="none")
    last = r.h[np.arange(len(lengths)), lengths - 1] @ head_w.T + head_b
    assert doc["baseline"] == pytest.approx(100 * np.mean(np.argmax(last, axis=-1) == y))


def test_calibrate_flag_removes_the_hot_models_saturation(tmp_path):
    params, x = hot_case()
    model, inputs = tmp_path / "hot.npz", tmp_path / "x.npz"
    np.savez(model, **params.state_dict())
    np.savez(inputs, x=x, lengths=LENGTHS)
    docs = {}
    for flag in ((), ("--calibrate",)):
        code, out, err = run_cli("evaluate", "--model", model, "--inputs", inputs, *flag,
                                 *SWEEP)
        check_outcome(code, err, allowed=(0,))
        docs[bool(flag)] = json.loads(out)
    assert any(docs[False]["points"][0]["saturation"].values())
    assert not any(v for p in docs[True]["points"] for v in p["saturation"].values())


@pytest.mark.parametrize("argv,match", [
    (["--labels", "{labels}"], "--labels needs --model"),
    (["--model", "{model}"], "--model needs --inputs"),
    (["--model", "{model}", "--inputs", "{inputs}", "-w", "charlm"], "not both"),
    (["--model", "{model}", "--inputs", "{bad}"], "inputs have 2 features"),
    (["--model", "{model}", "--inputs", "{inputs}", "--metric", "accuracy"], "needs --labels"),
    (["--model", "{model}", "--inputs", "{inputs}", "--choose-on-val"], "no validation split"),
    (["--model", "{model}", "--inputs", "{inputs}", "--scheduler", "tcp://127.0.0.1:9"],
     "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
])
def test_bad_user_evaluation_is_one_line_exit_2(argv, match, files, tmp_path):
    model, inputs, _, _ = files
    bad = tmp_path / "bad.npz"
    np.savez(bad, x=np.zeros((2, 3, 2)))
    labels = tmp_path / "y.npz"
    np.savez(labels, y=np.zeros(5, dtype=np.int64))
    argv = [a.format(model=model, inputs=inputs, bad=bad, labels=labels) for a in argv]
    out_dir = tmp_path / "out"
    code, _, err = run_cli("evaluate", *argv, "--out", out_dir, "-q", "--precision", "static",
                           "--predictors", "bnn", "--thetas", "0")
    check_outcome(code, err, allowed=(2,))
    assert match in err
    assert not out_dir.exists()
