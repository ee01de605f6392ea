"""``epur batch``: the report against the batched models, and bad schedule requests -> one
line, exit status 2, nothing written."""

import dataclasses
import json

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden import batch, batch_runtime
from golden.model import run_fixed
from tests.epur.hostile import check_outcome, run_cli
from workloads import batching

PARAMS = random_params("lstm", 4, 6, 1, seed=9, scale=0.6)


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(9)
    model = tmp_path / "model.npz"
    np.savez(model, **PARAMS.state_dict())
    inputs = tmp_path / "inputs.npz"
    lengths = rng.integers(1, 10, 11)
    x = rng.normal(0, 1, (11, 9, 4))
    np.savez(inputs, x=x, lengths=lengths)
    return model, inputs, x, lengths


def test_report_equals_the_models(files, tmp_path):
    """Every point's cycles, reads and energy are those of the schedule run slot by slot in the
    batched golden model (golden.batch.run_batch), whose slots equal run_fixed."""
    model, inputs, x, lengths = files
    out = tmp_path / "batch.json"
    code, stdout, err = run_cli("batch", "--model", model, "--inputs", inputs, "--slots", "1,3",
                                "--predictor", "bnn", "--theta", "0.5", "--json", "--out", out)
    check_outcome(code, err)
    doc = json.loads(stdout)
    assert json.loads(out.read_text()) == doc
    cfg = config_for(PARAMS, predictor="bnn", theta=0.5)
    clock = doc["fmax_mhz"]
    assert (clock, doc["fmax_source"]) == batching.fmax("bnn")
    for p in doc["points"]:
        assert set(p) == set(batching.POINT_KEYS)
        c = dataclasses.replace(cfg, slots=p["slots"])
        sch = batch_runtime.schedule(p["policy"], lengths, p["slots"], c.max_sequence_length,
                                     p["steps_per_batch"])
        run = batch.run_batch(c, PARAMS, x, lengths, sch)
        costs = batch.costs(c, sch.active, run.masks)
        assert p["cycles"] == costs.cycles.sum()
        assert p["throughput"] == pytest.approx(len(lengths) * clock * 1e6 / costs.cycles.sum())
        assert p["weight_reads_per_seq"] == pytest.approx(costs.weight_reads.sum() / 11)
        assert p["energy_per_seq_nj"] == pytest.approx(
            batch.energy(c, costs)["total"] / 11 / 1e3)
        assert p["padding_frac"] == pytest.approx(
            1 - sch.real(lengths).sum() / sch.active.sum())
    single = next(p for p in doc["points"] if p["policy"] == "single" and p["slots"] == 1)
    assert single["cycles"] == run_fixed(cfg, PARAMS, x, lengths).cycles.sum()
    by = {(p["policy"], p["slots"]): p for p in doc["points"]}
    assert doc["ratios"]["3"]["throughput_vs_padded"] == pytest.approx(
        by["ebatch", 3]["throughput"] / by["padded", 3]["throughput"])


def test_latency_of_one_slot_is_the_sequence_alone(files):
    """With one slot each sequence's time in the slot is its own run_fixed cycles."""
    model, inputs, x, lengths = files
    cfg = config_for(PARAMS, predictor="none")
    masks = batch.trace(cfg, PARAMS, x * (np.arange(9)[None, :, None] < lengths[:, None, None]))
    p = batching.point(cfg, masks, lengths, "single", 1, 1, 100.0)
    alone = run_fixed(cfg, PARAMS, x, lengths).cycles / 100.0
    assert p["latency_mean_us"] == pytest.approx(alone.mean())
    assert p["latency_p99_us"] == pytest.approx(np.percentile(alone, 99))


def test_step_times_layer_major():
    cycles = np.array([[1, 10], [2, 20], [3, 30]])
    start, end = batching.step_times(cycles, 2)
    # batch 0: layer 0 steps 0, 1 (cycles 0..3), then layer 1 (3..33); batch 1 from 33
    assert start.tolist() == [0, 1, 33] and end.tolist() == [13, 33, 66]
    start, end = batching.step_times(cycles, 1)
    assert start.tolist() == [0, 11, 33] and end.tolist() == [11, 33, 66]


def test_workload_text_table():
    code, stdout, err = run_cli("batch", "--limit", "12", "--slots", "2,4", "--policy",
                                "ebatch", "--steps-per-batch", "1,3")
    check_outcome(code, err)
    assert stdout.startswith("jvowels-lstm: 12 sequences")
    assert "timesteps per batch at S = 4: chosen T = " in stdout


@pytest.mark.parametrize("argv, message", [
    (["--slots", "0"], "slots must be in 1..64, not 0"),
    (["--slots", "2,x"], "--slots must be integers separated by commas, not '2,x'"),
    (["--steps-per-batch", "0"], "steps per batch must be an integer >= 1, not 0"),
    (["--policy", "greedy"], "--policy must be one of single, padded, ebatch or all"),
    (["--limit", "0"], "--limit must be >= 1, not 0"),
    (["--workload", "nosuch"], "unknown workload 'nosuch'"),
    (["--theta", "300", "--predictor", "bnn"], "theta 300.0 exceeds the theta register"),
])
def test_bad_requests_on_a_workload(argv, message, tmp_path):
    out = tmp_path / "never.json"
    code, stdout, err = run_cli("batch", *argv, "--out", out)
    check_outcome(code, err, allowed=(2,))
    assert message in err and stdout == ""
    assert not out.exists() and list(tmp_path.iterdir()) == []


def _inputs(tmp_path, x, lengths=None):
    path = tmp_path / "bad_inputs.npz"
    np.savez(path, x=x, **({} if lengths is None else {"lengths": lengths}))
    return path


@pytest.mark.parametrize("case, message", [
    ("lengths-count", "lengths must be 11 integers"),
    ("lengths-past-inputs", "lengths must lie in 1..9"),
    ("length-zero", "lengths must lie in 1..9"),
    ("longer-than-config", "has 65537 steps, more than the 65536 a slot's step tag counts"),
    ("model-alone", "--model and --inputs go together"),
])
def test_bad_schedule_requests(case, message, files, tmp_path):
    model, inputs, x, lengths = files
    argv = ["--model", model, "--inputs", inputs]
    if case == "lengths-count":
        argv[3] = _inputs(tmp_path, x, lengths[:-1])
    elif case == "lengths-past-inputs":
        argv[3] = _inputs(tmp_path, x, np.where(np.arange(11) == 4, 10, lengths))
    elif case == "length-zero":
        argv[3] = _inputs(tmp_path, x, np.where(np.arange(11) == 4, 0, lengths))
    elif case == "longer-than-config":
        config = tmp_path / "c.json"
        dataclasses.replace(config_for(PARAMS, DEFAULT), counter_width=16).save(config)
        argv[3] = _inputs(tmp_path, np.zeros((1, 65537, 4)))
        argv += ["--config", config]
    else:
        argv = argv[:2]
    out = tmp_path / "never.json"
    before = sorted(tmp_path.iterdir())
    code, stdout, err = run_cli("batch", *argv, "--slots", "2", "--out", out)
    check_outcome(code, err, allowed=(2,))
    assert message in err, err
    assert not out.exists() and sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("policy", ["padded", "ebatch"])
def test_npz_is_the_sequences_run_one_by_one(policy, files, tmp_path):
    """``--npz``: the schedule run slot by slot gives every sequence's h and counters of
    run_fixed alone; the JSON document is still printed."""
    model, inputs, x, lengths = files
    npz = tmp_path / "h.npz"
    code, stdout, err = run_cli("batch", "--model", model, "--inputs", inputs, "--slots", "3",
                                "--policy", policy, "--predictor", "bnn", "--theta", "0.5",
                                "--npz", npz, "--json")
    check_outcome(code, err)
    assert json.loads(stdout)["points"][0]["policy"] == policy
    cfg = config_for(PARAMS, predictor="bnn", theta=0.5)
    want = run_fixed(cfg, PARAMS, x, lengths)
    with np.load(npz) as f:
        np.testing.assert_array_equal(f["h"], want.h)
        np.testing.assert_array_equal(f["reused_f"], want.reused[:, 1])
        np.testing.assert_array_equal(f["computed_o"], want.computed[:, 3])
        sch = batch_runtime.schedule(policy, lengths, 3, 1 << 32)
        for i in range(len(lengths)):
            assert sch.seq[f["first_step"][i], f["slot"][i]] == i
            assert sch.t[f["first_step"][i], f["slot"][i]] == 0
    assert want.reused.sum() > 0


def test_npz_needs_one_schedule(files, tmp_path):
    model, inputs, _, _ = files
    code, _, err = run_cli("batch", "--model", model, "--inputs", inputs, "--slots", "2,4",
                           "--npz", tmp_path / "h.npz")
    check_outcome(code, err, allowed=(2,))
    assert "--npz runs one schedule: give one --slots and one --policy" in err
    assert not (tmp_path / "h.npz").exists()


def test_help_names_the_defaults_it_uses():
    """The parser imports nothing heavy (every command builds it), so its help spells the
    defaults out: they must be workloads/batching.py's and the runtime's."""
    code, stdout, _ = run_cli("batch", "--help")
    assert code == 0
    text = " ".join(stdout.split())
    assert f"default {','.join(map(str, batching.SLOTS))}" in text
    assert f"default {','.join(map(str, batching.STEPS_PER_BATCH))}" in text
    assert " | ".join(batch_runtime.POLICIES) + " | all" in text
