"""`epur evaluate`: the JSON document, its invariants, the plot and the errors (exit 2)."""

import json

import numpy as np
import pytest

from core.params import config_for
from epur.cli import main
from golden.model import run_fixed
from workloads import evaluate, get

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("workloads.test_evaluate")

LIMIT = 60
ARGS = ["evaluate", "-w", "jvowels-gru", "--thetas", "0,0.25", "--delta-thetas", "0,0.125",
        "--limit", str(LIMIT), "--json", "-q"]


@pytest.fixture(scope="module")
def doc():
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(ARGS + ["-j", "2"]) == 0
    return json.loads(out.getvalue())


def point(doc, predictor, theta):
    (p,) = [p for p in doc["points"] if p["predictor"] == predictor and p["theta"] == theta]
    return p


def test_document_keys(doc):
    assert set(doc) >= {"workload", "metric", "higher_is_better", "baseline", "float",
                        "loss_budget", "points"}
    assert doc["workload"] == "jvowels-gru" and doc["metric"] == "accuracy"
    assert doc["higher_is_better"] is True and doc["loss_budget"] == 1.0
    assert len(doc["points"]) == 1 + 2 * len(evaluate.PREDICTORS)     # none, then 2 thetas each
    for p in doc["points"]:
        assert set(p) == set(evaluate.POINT_KEYS)
        assert 0.0 <= p["reuse"] <= 1.0 and p["speedup"] > 0
        assert 0.0 <= p["metric_value"] <= 100.0


def test_baseline_point(doc):
    p = point(doc, "none", 0.0)
    assert p["loss"] == 0 and p["speedup"] == 1 and p["reuse"] == 0
    assert p["energy_saving"] == 0 and p["metric_value"] == doc["baseline"]


@pytest.mark.parametrize("predictor", ["oracle", "delta"])
def test_exact_at_theta_zero(doc, predictor):
    # theta 0 reuses (or holds) only values that are exactly equal: the outputs are unchanged
    assert point(doc, predictor, 0.0)["loss"] == 0


def test_loss_sign(doc):
    for p in doc["points"]:
        assert p["loss"] == pytest.approx(doc["baseline"] - p["metric_value"])


def test_point_matches_golden_model(doc):
    w = get("jvowels-gru")
    x, lengths = w.test_x[:LIMIT], w.test_lengths[:LIMIT]
    w.labels = w.labels[:LIMIT]
    w.test_lengths = lengths
    cfg = config_for(w.params)
    base = run_fixed(cfg, w.params, x, lengths, predictor="none")
    r = run_fixed(cfg, w.params, x, lengths, predictor="bnn", theta=0.25)
    p = point(doc, "bnn", 0.25)
    assert p["reuse"] == pytest.approx(r.reuse)
    assert p["metric_value"] == pytest.approx(w.score(r.h))
    assert doc["baseline"] == pytest.approx(w.score(base.h))
    assert p["speedup"] == pytest.approx(base.cycles.sum() / r.cycles.sum())
    assert p["reuse"] > 0.1 and p["speedup"] > 1.0 and p["energy_saving"] > 0.0


def test_per_gate_reuse(doc):
    # per gate, reused / (reused + computed); the mean over equal-sized gates is ``reuse``
    w = get("jvowels-gru")
    cfg = config_for(w.params)
    r = run_fixed(cfg, w.params, w.test_x[:LIMIT], w.test_lengths[:LIMIT], predictor="oracle",
                  theta=0.25)
    p = point(doc, "oracle", 0.25)
    assert list(p["per_gate"]) == list(cfg.gate_names) == ["r", "z", "n"]
    for g, name in enumerate(cfg.gate_names):
        done = r.computed[:, g].sum() + r.reused[:, g].sum()
        assert p["per_gate"][name] == pytest.approx(r.reused[:, g].sum() / done)
    assert np.mean(list(p["per_gate"].values())) == pytest.approx(p["reuse"])
    for p in doc["points"]:
        if p["predictor"] in ("none", "delta"):
            assert set(p["per_gate"].values()) == {0.0}


def test_serial_equals_parallel(doc, capsys):
    assert main(ARGS + ["-j", "1"]) == 0
    serial = json.loads(capsys.readouterr().out)
    assert serial["points"] == doc["points"]


def test_table_and_plot(tmp_path, capsys):
    plot = tmp_path / "fig.png"
    assert main(["evaluate", "-w", "jvowels-lstm", "--thetas", "0.25", "--predictors", "bnn",
                 "--limit", "20", "-j", "1", "--plot", str(plot), "--out",
                 str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "jvowels-lstm (test split): accuracy" in captured.out and "bnn" in captured.out
    assert "20 sequences" in captured.out
    assert "3/3" in captured.err                        # the progress bar
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "out" / "jvowels-lstm.json").read_text())
    assert [p["predictor"] for p in saved["points"]] == ["none", "bnn"]
    assert (tmp_path / "out" / "jvowels-lstm.png").is_file()


@pytest.mark.parametrize("argv, message", [
    (["-w", "nosuch"], "unknown workload 'nosuch'"),
    (["--thetas", "0.1,abc"], "threshold 'abc' is not a number"),
    (["--thetas", "-0.5"], "must be a finite number >= 0"),
    (["--delta-thetas", "nan"], "must be a finite number >= 0"),
    (["--predictors", "bnn,magic"], "unknown predictor 'magic'"),
    (["--thetas", "300"], "exceeds the theta register"),
    (["--delta-thetas", "0.1,256.5"], "theta 256.5 exceeds the theta register"),
    (["--delta-thetas", "-1"], "threshold -1 must be a finite number >= 0"),
    (["--limit", "0"], "--limit must be >= 1"),
    (["--reuse-cap", "-1"], "--reuse-cap must be >= 0"),
])
def test_errors(argv, message, capsys):
    assert main(["evaluate", "-q"] + argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


@pytest.mark.parametrize("text, expect", [("0", (0.0,)), ("0.1, 0.2", (0.1, 0.2)),
                                          ("1e-2", (0.01,))])
def test_parse_thetas(text, expect):
    assert evaluate.parse_thetas(text) == expect


def test_chosen():
    def pt(pred, theta, loss):
        return {"predictor": pred, "theta": theta, "loss": loss}

    doc = {"loss_budget": 1.0, "points": [
        pt("bnn", 0.5, 2.0), pt("bnn", 0.1, 0.0), pt("bnn", 0.3, 1.0), pt("bnn", 0.7, 0.5),
        pt("oracle", 0.1, 1.5), pt("delta", 0.2, -0.5)]}
    picks = evaluate.chosen(doc)
    assert picks["bnn"]["theta"] == 0.3      # 0.7 is within budget but 0.5 before it is not
    assert picks["oracle"] is None
    assert picks["delta"]["theta"] == 0.2


def test_progress_bar():
    import io

    stream = io.StringIO()
    with evaluate.Progress(3, "w", stream=stream) as bar:
        for k in range(3):
            bar.step(f"note{k}")
    text = stream.getvalue()
    assert "w:" in text and "1/3" in text and "3/3" in text and "note2" in text
    assert text.endswith("\n")
    quiet = io.StringIO()
    with evaluate.Progress(3, "w", enabled=False, stream=quiet) as bar:
        bar.step("x")
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("predictor", ["bnn", "delta"])
def test_reuse_is_per_neuron_and_skipped_is_macs(predictor):
    """reuse keeps its per-neuron meaning (delta: 0); skipped is the MACs avoided, every
    scheme."""
    w = get("jvowels-lstm")
    doc = evaluate.sweep("jvowels-lstm", {predictor: (0.125,)}, processes=1, limit=10,
                         progress=False)
    r = run_fixed(config_for(w.params), w.params, w.test_x[:10], w.test_lengths[:10],
                  predictor=predictor, theta=0.125)
    point = doc["points"][1]
    assert point["reuse"] == pytest.approx(r.reused.sum() / (r.reused.sum()
                                                             + r.computed.sum()))
    assert point["skipped"] == pytest.approx(np.sum(r.macs_skipped) / np.sum(r.macs))
    assert point["skipped"] > 0
    if predictor == "delta":
        assert point["reuse"] == 0


@pytest.mark.parametrize("name", ["jvowels-lstm", "jvowels-gru", "silero-vad", "charlm"])
def test_default_thetas(name):
    thetas = evaluate.default_thetas(name)
    assert set(thetas) == set(evaluate.PREDICTORS)
    for values in thetas.values():
        assert len(values) == 10 and values[0] == 0.0 and list(values) == sorted(values)
        # every default is held exactly by the UQ8.8 theta register
        assert all(float(v * 256).is_integer() for v in values)


def test_choose_on_validation(capsys):
    assert main(["evaluate", "-w", "jvowels-lstm", "--predictors", "bnn,delta", "--thetas",
                 "0,0.125,4", "--delta-thetas", "0.0625", "--limit", "30", "-j", "1",
                 "--choose-on-val", "--json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    val = evaluate.sweep("jvowels-lstm", {"bnn": (0, 0.125, 4), "delta": (0.0625,)},
                         processes=1, limit=30, progress=False, split="val")
    assert val["split"] == "val" and doc["split"] == "test"
    assert val["baseline"] != doc["baseline"] or val["points"] != doc["points"]
    expect = {p: (pt["theta"] if pt else None) for p, pt in evaluate.chosen(val).items()}
    assert doc["chosen_on_val"] == expect
    assert doc["chosen_on_val"]["oracle"] is None       # not swept
    assert doc["chosen_on_val"]["bnn"] in (0.0, 0.125)  # theta 4 reuses nearly everything


@pytest.mark.parametrize("name, sequences", [("jvowels-lstm", 270), ("jvowels-gru", 270),
                                             ("charlm", None)])
def test_validation_split(name, sequences):
    val, test = get(name, "val"), get(name)
    if sequences:
        assert len(val.test_lengths) == sequences
    assert val.test_x.shape[1:] == test.test_x.shape[1:] or name.startswith("jvowels")
    assert not np.array_equal(val.test_x[:5, :5], test.test_x[:5, :5])


def test_a_validation_sweep_runs_each_fold_through_its_own_model():
    """On JapaneseVowels the validation sweep is 5-fold cross-validation: a point's accuracy is
    that of the 270 training sequences, each classified by the fold model not fitted on it, and
    its cycles are those of the five runs."""
    doc = evaluate.sweep("jvowels-gru", {"delta": (0.125,)}, processes=1, progress=False,
                         split="val")
    (point,) = [p for p in doc["points"] if p["predictor"] == "delta"]
    right, cycles, base_cycles = 0, 0, 0
    for part in get("jvowels-gru", "val").parts:
        cfg = config_for(part.params)
        r = run_fixed(cfg, part.params, part.test_x, part.test_lengths, predictor="delta",
                      theta=0.125)
        right += int(np.sum(part.predict(r.h) == part.labels))
        cycles += int(r.cycles.sum())
        base_cycles += int(run_fixed(cfg, part.params, part.test_x, part.test_lengths,
                                     predictor="none").cycles.sum())
    assert doc["sequences"] == 270
    assert point["metric_value"] == pytest.approx(100 * right / 270)
    assert point["speedup"] == pytest.approx(base_cycles / cycles)


def test_bad_split():
    from core.errors import InputError

    with pytest.raises(InputError, match="split must be test or val"):
        get("jvowels-lstm", "train")


@pytest.mark.parametrize("mode, cap", [("absolute", 0), ("relative", 1)])
def test_mode_and_cap(mode, cap, capsys):
    assert main(["evaluate", "-w", "jvowels-lstm", "--predictors", "bnn", "--thetas", "4",
                 "--mode", mode, "--reuse-cap", str(cap), "--limit", "15", "-j", "1", "--json",
                 "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["config"]["mode"] == mode and doc["config"]["reuse_cap"] == cap
    w = get("jvowels-lstm")
    cfg = config_for(w.params, mode=mode, reuse_cap=cap)
    r = run_fixed(cfg, w.params, w.test_x[:15], w.test_lengths[:15], predictor="bnn", theta=4)
    assert doc["points"][1]["reuse"] == pytest.approx(r.reuse)
    if cap:        # at most one reuse in a row: at most half of the evaluations after the first
        assert r.reuse <= 0.5


# -- dynamic precision ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def precision_doc():
    return evaluate.sweep("jvowels-lstm", {"bnn": (0.0,)}, processes=1, limit=12,
                          progress=False, precision=("low", "dynamic"),
                          precision_thetas=(0.25, 1.0))


def test_precision_section(precision_doc):
    sec = precision_doc["precision"]
    losses = {int(f): v for f, v in sec["low_data_frac_losses"].items()}
    assert sorted(losses) == list(evaluate.LOW_DATA_FRACS)
    assert losses[sec["low_data_frac"]] == min(losses.values())
    groups = 1 + (sec["memo"] is not None)
    assert len(sec["points"]) == groups * 3              # static-low, then two thresholds
    for p in sec["points"]:
        assert set(p) == set(evaluate.PRECISION_POINT_KEYS) | {"steps_high", "steps_low"}
        assert p["low_data_frac"] == sec["low_data_frac"]
        if p["precision"] == "low":
            assert p["low_fraction"] == 1.0 and p["steps_high"] == 0
    (lo, hi) = [p for p in sec["points"] if p["predictor"] == "none"
                and p["precision"] == "dynamic"]
    assert lo["low_fraction"] <= hi["low_fraction"] and hi["speedup"] >= lo["speedup"] > 0


def test_precision_point_matches_golden_model(precision_doc):
    w = get("jvowels-lstm")
    w.truncate(12)
    sec = precision_doc["precision"]
    cfg = config_for(w.params, low_data_frac=sec["low_data_frac"])
    x, lengths = w.test_x, w.test_lengths
    base = run_fixed(cfg, w.params, x, lengths, predictor="none")
    r = run_fixed(cfg, w.params, x, lengths, predictor="none", precision="dynamic",
                  precision_theta=1.0)
    (p,) = [p for p in sec["points"] if p["predictor"] == "none" and p["precision_theta"] == 1.0]
    assert p["low_fraction"] == pytest.approx(r.low_fraction)
    assert p["steps_low"] == r.steps_low.sum()
    assert p["speedup"] == pytest.approx(base.cycles.sum() / r.cycles.sum())
    assert p["metric_value"] == pytest.approx(w.score(r.h))


def test_precision_trace_follows_the_rule(precision_doc):
    tr = precision_doc["precision"]["trace"]
    assert tr["state"] == "c" and tr["low"][0] is False      # a sequence starts high
    assert len(tr["low"]) == len(tr["change"]) == get("jvowels-lstm").test_lengths[0]
    for t in range(1, len(tr["low"])):
        assert tr["low"][t] == (tr["change"][t - 1] <= tr["theta"])


def test_precision_chosen():
    def pt(predictor, theta, loss):
        return {"predictor": predictor, "precision": "dynamic", "precision_theta": theta,
                "loss": loss}
    doc = {"loss_budget": 1.0, "precision": {"points": [
        {**pt("none", 0.0, 5.0), "precision": "low"},
        pt("none", 0.5, 0.0), pt("none", 1.0, 1.0), pt("none", 2.0, 1.5), pt("none", 3.0, 0.2),
        pt("bnn", 0.5, 1.2), pt("bnn", 1.0, 0.0)]}}
    picks = evaluate.precision_chosen(doc)
    assert picks["none"]["precision_theta"] == 1.0      # 3.0 fits again, but 2.0 did not
    assert picks["memo"] is None                        # the smallest already over budget
    test = {"precision": {}}
    assert evaluate.choose_precision_on(doc, test) == {"none": 1.0, "memo": None}
    assert test["precision"]["chosen_on_val"] == {"none": 1.0, "memo": None}


def test_precision_chosen_on_validation(capsys):
    assert main(["evaluate", "-w", "jvowels-gru", "--predictors", "bnn", "--thetas", "0",
                 "--precision", "dynamic", "--precision-theta", "0.125,0.5", "--limit", "10",
                 "-j", "1", "--choose-on-val", "--json", "-q"]) == 0
    doc = json.loads(capsys.readouterr().out)
    val = evaluate.sweep("jvowels-gru", {"bnn": (0,)}, processes=1, limit=10, progress=False,
                         split="val", precision=("dynamic",), precision_thetas=(0.125, 0.5))
    sec = doc["precision"]
    assert sec["low_data_frac"] == val["precision"]["low_data_frac"]
    assert sec["memo"] == val["precision"]["memo"] and sec["chosen_on"] == "val"
    assert sec["low_data_frac_losses"] == val["precision"]["low_data_frac_losses"]
    expect = {g: (p["precision_theta"] if p else None)
              for g, p in evaluate.precision_chosen(val).items()}
    assert sec["chosen_on_val"] == expect
    assert {p["precision"] for p in sec["points"]} == {"dynamic"}
    assert sec["trace"]["state"] == "h"
    if expect["none"] is not None:
        assert sec["trace"]["theta"] == expect["none"]


def test_precision_static_has_no_section(capsys):
    assert main(["evaluate", "-w", "jvowels-lstm", "--predictors", "bnn", "--thetas", "0",
                 "--precision", "static", "--limit", "5", "-j", "1", "--json", "-q"]) == 0
    assert "precision" not in json.loads(capsys.readouterr().out)
