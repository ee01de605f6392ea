"""``epur simulate``: real JapaneseVowels sequences through the RTL, and a user's model.

The trained jvowels-lstm workload's LSTM (12 inputs, 64 hidden) runs the 5 shortest sequences of
the test split (43 timesteps; the shortest keep the Icarus time down) on a 16-lane build, baseline
(predictor none), memo (bnn) and delta (at the threshold chosen on the training split): h and
every counter must equal the golden model's and the golden cycle model must predict the RTL's
cycles within 1 %.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from epur.cli import main
from epur.commands.simulate import load_workload
from golden.model import run_fixed
from sim.runner import simulator_name

SEQUENCES = 5


@pytest.fixture(scope="module")
def jvowels(tmp_path_factory):
    """The workload, its model and its 5 shortest test sequences as ``epur simulate`` inputs."""
    import workloads

    w = workloads.get("jvowels-lstm")
    tmp = tmp_path_factory.mktemp("jv")
    pick = np.argsort(w.test_lengths, kind="stable")[:SEQUENCES]
    lengths = w.test_lengths[pick]
    x = w.test_x[pick, :lengths.max()]
    np.savez(tmp / "model.npz", **w.params.state_dict())
    np.savez(tmp / "inputs.npz", x=x, lengths=lengths)
    cfg = config_for(w.params, DEFAULT, lanes=16)
    cfg.save(tmp / "config.json")
    return w, cfg, x, lengths, tmp


@pytest.mark.parametrize("predictor", ["none", "bnn", "delta"])
def test_simulate_jvowels(predictor, jvowels, capsys):
    w, cfg, x, lengths, tmp = jvowels
    out = tmp / f"out_{predictor}.npz"
    theta = ["--theta", "0.25"] if predictor == "delta" else []
    status = main(["simulate", "--model", str(tmp / "model.npz"), "--inputs",
                   str(tmp / "inputs.npz"), "--config", str(tmp / "config.json"),
                   "--predictor", predictor, "--out", str(out),
                   "--build-dir", str(tmp / "build"), "--json", *theta])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    info = json.loads(captured.out)
    print(info)
    assert info["h_identical"] and info["mismatches"] == 0
    assert info["sequences"] == SEQUENCES

    gold = run_fixed(dataclasses.replace(cfg, predictor=predictor), w.params, x, lengths,
                     theta=0.25 if predictor == "delta" else None)
    with np.load(out) as f:
        np.testing.assert_array_equal(f["h"], gold.h)
        np.testing.assert_array_equal(f["lengths"], lengths)
        for name, value in gold.counters().items():
            np.testing.assert_array_equal(f[name], value, err_msg=name)
        rtl_cycles = f["cycles"]
    assert info["cycles"] == int(rtl_cycles.sum())
    assert abs(info["golden_cycles"] - info["cycles"]) <= 0.01 * info["cycles"]
    if predictor == "bnn":
        assert info["reuse"] > 0
        baseline = run_fixed(cfg, w.params, x, lengths, predictor="none").cycles.sum()
        assert info["cycles"] < baseline
    if predictor == "delta":
        assert info["reuse"] == 0 and info["skipped"] == pytest.approx(gold.skipped)
        assert gold.skipped > 0.5
        baseline = run_fixed(cfg, w.params, x, lengths, predictor="none").cycles.sum()
        assert info["cycles"] * 2 < baseline


def test_load_workload():
    import workloads

    w = workloads.get("jvowels-gru")
    params, x, lengths = load_workload("jvowels-gru", 3)
    assert params is w.params or params.hidden_size == w.params.hidden_size
    np.testing.assert_array_equal(lengths, w.test_lengths[:3])
    assert x.shape == (3, lengths.max(), 12)
    np.testing.assert_array_equal(x, w.test_x[:3, :lengths.max()])


@pytest.mark.parametrize("sequences", [None, "all"])
def test_the_whole_test_split_by_default(sequences):
    """--workload without --sequences (or with 'all') is every sequence of the test split."""
    import workloads
    from sim.runner import sequence_count

    w = workloads.get("jvowels-lstm")
    _, x, lengths = load_workload("jvowels-lstm", sequence_count(sequences or "all"))
    assert len(lengths) == len(w.test_lengths) == 370
    np.testing.assert_array_equal(lengths, w.test_lengths)
    assert x.shape[:2] == (370, lengths.max())


def test_simulate_model_and_inputs(tmp_path, capsys):
    params = random_params("gru", 4, 5, seed=5, scale=0.8)
    np.savez(tmp_path / "model.npz", **params.state_dict())
    x = np.random.default_rng(5).uniform(-1, 1, (2, 4, 4))
    np.savez(tmp_path / "inputs.npz", x=x, lengths=np.array([4, 2]))
    status = main(["simulate", "--model", str(tmp_path / "model.npz"), "--inputs",
                   str(tmp_path / "inputs.npz"), "--theta", "1.0", "--mode", "relative",
                   "--out", str(tmp_path / "out.npz"), "--build-dir", str(tmp_path / "b"),
                   "--sim", "icarus"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "identical to the golden model" in captured.out
    assert "icarus simulated" in captured.out
    # the progress bar counts the sequences on stderr
    assert "simulate (icarus)" in captured.err and "2/2" in captured.err, captured.err
    gold = run_fixed(config_for(params, DEFAULT, theta=1.0), params, x, np.array([4, 2]))
    with np.load(tmp_path / "out.npz") as f:
        np.testing.assert_array_equal(f["h"], gold.h)
        np.testing.assert_array_equal(f["reused_n"], gold.counters()["reused_n"])


@pytest.mark.parametrize("argv, match", [
    (["--model", "m.npz"], "--model and --inputs go together"),
    (["--model", "m.npz", "--inputs", "i.npz", "--workload", "jvowels-lstm"], "not both"),
    (["--workload", "nonesuch"], "unknown workload"),
    (["--sequences", "0"], "--sequences must be >= 1"),
    (["--sequences", "some"], "a number of sequences or 'all', not 'some'"),
    (["--sim", "modelsim"], "invalid choice"),
    (["--idle", "1.5"], r"--idle must lie in \[0, 1\)"),
    (["--predictor", "oracle"], "invalid choice"),
])
def test_simulate_bad_input(argv, match, capsys):
    # argparse rejects a bad choice by exiting with status 2 itself
    usage = "--predictor" in argv or "--sim" in argv or "some" in argv
    with pytest.raises(SystemExit, match="2") if usage else contextlib.nullcontext():
        assert main(["simulate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert re.search(match, err), err


def test_a_crashed_simulator_exits_1_naming_it_and_its_log(tmp_path, capsys, monkeypatch):
    """A simulator that fails is a tool failure (status 1), not bad input (2), and no traceback
    reaches the user: one line with the simulator and its log file."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for tool in ("iverilog", "vvp", "verilator"):
        (fake / tool).write_text("#!/bin/sh\necho 'simulated crash' >&2\nexit 7\n")
        (fake / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    params = random_params("lstm", 2, 3, seed=1)
    np.savez(tmp_path / "model.npz", **params.state_dict())
    np.savez(tmp_path / "inputs.npz", x=np.zeros((1, 2, 2)))
    status = main(["simulate", "--model", str(tmp_path / "model.npz"), "--inputs",
                   str(tmp_path / "inputs.npz"), "--build-dir", str(tmp_path / "b")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(err) == 1 and simulator_name() in err[0] and "log: " in err[0], err
    assert not (tmp_path / "out.npz").exists()


def _tiny_files(tmp_path):
    params = random_params("lstm", 2, 3, seed=1)
    np.savez(tmp_path / "model.npz", **params.state_dict())
    np.savez(tmp_path / "inputs.npz", x=np.zeros((1, 2, 2)))
    return ["--model", str(tmp_path / "model.npz"), "--inputs", str(tmp_path / "inputs.npz")]


@pytest.mark.parametrize("stamp", ["kept", "missing"])
def test_a_truncated_compile_is_not_reused(stamp, tmp_path, capsys):
    """A Ctrl-C while Icarus writes sim.vvp leaves a truncated file: the next run of the same
    build must compile again, not reuse it ("Skipping compilation", then a vvp syntax error).
    The stamp is written after the compile and holds the product's hash; without the stamp
    (killed before it was written), or with a product that no longer matches it, the build is
    redone."""
    argv = ["simulate", *_tiny_files(tmp_path), "--build-dir", str(tmp_path / "b")]
    assert main(argv) == 0, capsys.readouterr().err
    (vvp,) = (tmp_path / "b").glob("*/sim.vvp")
    size = vvp.stat().st_size
    assert size > 8192
    with open(vvp, "r+b") as f:
        f.truncate(8192)
    if stamp == "missing":
        (vvp.parent / "build.done").unlink()
    assert main(argv) == 0, capsys.readouterr().err
    assert vvp.stat().st_size == size
    # a finished, intact build is reused as it is
    mtime = vvp.stat().st_mtime_ns
    assert main(argv) == 0, capsys.readouterr().err
    assert vvp.stat().st_mtime_ns == mtime


def test_a_missing_simulator_exits_1_with_one_line(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    status = main(["simulate", *_tiny_files(tmp_path), "--build-dir", str(tmp_path / "b")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert len(err) == 1 and err[0].startswith("epur simulate: error: "), err
    assert "not found" in err[0], err


@pytest.mark.parametrize("problem, match", [
    ("out is the inputs", "is also an input"),
    ("out is not .npz", "output file must end in .npz, not out.txt"),
    ("build dir is a file", "--build-dir .* exists and is not a directory"),
])
def test_bad_outputs_are_refused_before_the_simulation(problem, match, tmp_path, capsys):
    files = _tiny_files(tmp_path)
    build = tmp_path / "b"
    out = {"out is the inputs": files[3], "out is not .npz": str(tmp_path / "out.txt")}
    if problem == "build dir is a file":
        build.write_text("")
    inputs_before = (tmp_path / "inputs.npz").read_bytes()
    status = main(["simulate", *files, "--build-dir", str(build),
                   "--out", out.get(problem, str(tmp_path / "out.npz"))])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and re.search(match, err[0]), err
    assert build.is_file() if problem == "build dir is a file" else not build.exists()
    assert (tmp_path / "inputs.npz").read_bytes() == inputs_before
