"""``--slots``/``--policy`` on ``epur generate``, ``simulate``, ``run`` and ``evaluate`` (the
batched build, E-BATCH): results equal to the sequences run one by one, bad values one line and
exit 2 with nothing written."""

import json
import os

import numpy as np
import pytest

from core.params import config_for, random_params
from golden.model import run_fixed
from tests.epur.hostile import check_outcome, run_cli

PARAMS = random_params("gru", 3, 4, 2, seed=21, scale=0.6)
SMALL = 'cell = "gru"\ninput_size = 3\nhidden_size = 4\nlayers = 2\nlanes = 4\nbnn_bits = 4\n'


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(21)
    model, inputs, config = tmp_path / "model.npz", tmp_path / "inputs.npz", tmp_path / "c.toml"
    np.savez(model, **PARAMS.state_dict())
    lengths = rng.integers(1, 6, 7)
    x = rng.normal(0, 1.5, (7, 5, 3))
    np.savez(inputs, x=x, lengths=lengths)
    config.write_text(SMALL + "theta = 0.5\n")
    return model, inputs, config, x, lengths


@pytest.mark.parametrize("policy", ["single", "padded", "ebatch"])
def test_run_with_slots_is_the_sequences_alone(policy, files, tmp_path):
    model, inputs, config, x, lengths = files
    out = tmp_path / "h.npz"
    code, stdout, err = run_cli("run", "--model", model, "--inputs", inputs, "--config", config,
                                "--slots", "3", "--policy", policy, "--out", out, "--json")
    check_outcome(code, err)
    assert json.loads(stdout)["slots"] == 3
    want = run_fixed(config_for(PARAMS, predictor="bnn", theta=0.5), PARAMS, x, lengths)
    with np.load(out) as f:
        np.testing.assert_array_equal(f["h"], want.h)
        for k, g in enumerate(("r", "z", "n")):
            np.testing.assert_array_equal(f[f"computed_{g}"], want.computed[:, k])
            np.testing.assert_array_equal(f[f"reused_{g}"], want.reused[:, k])
    assert want.reused.sum() > 0


def test_generate_with_slots_builds_the_batched_top(files, tmp_path):
    _, _, config, _, _ = files
    code, stdout, err = run_cli("generate", "--config", config, "--slots", "3", "-o",
                                tmp_path / "v", "--json")
    check_outcome(code, err)
    ports = {p["name"]: p["width"] for p in json.loads(stdout)["ports"]}
    width = json.loads((tmp_path / "v" / "config.json").read_text())["counter_width"]
    # per-slot counters side by side and the memo build's controls
    assert ports["slot_cycles"] == 3 * width and ports["reused_n"] == 3 * width
    assert "theta" in ports and "mode_abs" in ports


BAD = [
    (["--slots", "0"], "slots must be in 1..64, not 0"),
    (["--slots", "65"], "slots must be in 1..64, not 65"),
    (["--slots", "two"], "argument --slots: invalid int value: 'two'"),
]
POLICY_BAD = [
    (["--slots", "2", "--policy", "fifo"], "argument --policy: invalid choice: 'fifo'"),
    (["--slots", "2", "--steps-per-batch", "0"], "steps per batch must be an integer >= 1, not 0"),
]


# generate builds hardware: it takes no schedule (--policy, --steps-per-batch)
CASES = [(c, *bad) for c in ("generate", "simulate", "run", "evaluate") for bad in BAD] + \
    [(c, *bad) for c in ("simulate", "run", "evaluate") for bad in POLICY_BAD]


@pytest.mark.parametrize("command, argv, message", CASES)
def test_bad_slot_requests(command, argv, message, files, tmp_path):
    model, inputs, config, _, _ = files
    out = tmp_path / "out"
    common = {"generate": ["--config", config, "-o", out],
              "simulate": ["--model", model, "--inputs", inputs, "--config", config,
                           "--out", out.with_suffix(".npz"), "--build-dir", tmp_path / "b"],
              "run": ["--model", model, "--inputs", inputs, "--config", config,
                      "--out", out.with_suffix(".npz")],
              "evaluate": ["--model", model, "--inputs", inputs, "--out", out, "-q"]}[command]
    before = sorted(tmp_path.iterdir())
    code, stdout, err = run_cli(command, *common, *argv)
    check_outcome(code, err, allowed=(2,))
    assert code == 2 and message in err, err
    assert len(err.strip().splitlines()) == 1 and stdout == ""
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.skipif(os.environ.get("EPUR_BATCH_SWEEP") != "1",
                    reason="a cocotb run of the batched RTL (EPUR_BATCH_SWEEP=1)")
def test_simulate_with_slots_equals_the_models(files, tmp_path):
    model, inputs, config, x, lengths = files
    out = tmp_path / "h.npz"
    code, stdout, err = run_cli("simulate", "--model", model, "--inputs", inputs, "--config",
                                config, "--slots", "3", "--policy", "ebatch", "--sim", "icarus",
                                "--build-dir", tmp_path / "b", "--out", out, "--json")
    check_outcome(code, err)
    info = json.loads(stdout)
    assert info["h_identical"] and info["mismatches"] == 0
    assert info["slot_cycles"] == info["golden_slot_cycles"]
    want = run_fixed(config_for(PARAMS, predictor="bnn", theta=0.5), PARAMS, x, lengths)
    with np.load(out) as f:
        np.testing.assert_array_equal(f["h"], want.h)
        np.testing.assert_array_equal(f["reused_z"], want.reused[:, 1])


def test_evaluate_with_slots_reports_the_batched_runtime(files):
    """``evaluate --slots S --policy P``: beside the sweep, the batched runtime's points for the
    baseline and memo builds, those of workloads.batching.sweep on the same sequences."""
    from workloads import batching

    model, inputs, _, x, lengths = files
    code, stdout, err = run_cli("evaluate", "--model", model, "--inputs", inputs, "--slots", "3",
                                "--policy", "padded", "--predictors", "bnn", "--thetas", "0.5",
                                "--precision", "static", "-q", "-j", "1", "--json")
    check_outcome(code, err)
    parts = json.loads(stdout)["batching"]
    assert [p["predictor"] for p in parts] == ["none", "bnn"]
    for part in parts:
        want = batching.sweep(config_for(PARAMS, predictor=part["predictor"]), PARAMS, x,
                              lengths, slots=(3,), policies=("padded",), steps_per_batch=(1,))
        assert part["points"] == json.loads(json.dumps(want["points"]))


def test_simulate_policy_needs_slots(files, tmp_path):
    model, inputs, config, _, _ = files
    code, stdout, err = run_cli("simulate", "--model", model, "--inputs", inputs, "--config",
                                config, "--policy", "ebatch", "--build-dir", tmp_path / "b")
    check_outcome(code, err, allowed=(2,))
    assert "--policy runs the batched build: give --slots S with S > 1" in err
    assert not (tmp_path / "b").exists()
