"""cocotb on Icarus and Verilator: generated top levels against golden.model.run_fixed, word for
word.

Each case generates the Verilog of a config, compiles it and runs ``sim.tb_top`` with random idle
cycles on the input stream and random back-pressure on the output stream; every h word and every
counter of every sequence (cycles included) must equal the golden model's. Together the cases
cover LSTM and GRU, 1 and 2 layers, lanes 4, 8 and 16, sizes that are not multiples of the lanes,
predictors none and bnn (and a memo build run with memoization off), relative and absolute
modes, reuse caps, and boundary sizes (X = H = 1 with one lane and one BNN bit, lanes and BNN
bits wider than a row, odd lane counts). Seeds derive from the case name and are printed.
Every case runs on Icarus; an LSTM and a GRU case (with the streamed and reset tests on the same
builds) and the waveform run on Verilator too (its build takes about a minute of CPU).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.config import DEFAULT
from core.params import config_for, random_params
from golden.model import run_fixed
from sim.runner import simulate, verilator_bin

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("sim.test_runner")

LENGTHS = np.array([6, 3, 5])

# name: (cell, X, H, layers, lanes, bnn_bits, build predictor, run predictor, theta, mode, cap)
CASES = {
    "lstm-1l-n4-bnn-rel": ("lstm", 5, 6, 1, 4, 8, "bnn", "bnn", 0.5, "relative", 0),
    "lstm-2l-n8-none": ("lstm", 12, 10, 2, 8, 32, "none", "none", 0.25, "relative", 0),
    "gru-1l-n16-bnn-abs": ("gru", 5, 9, 1, 16, 16, "bnn", "bnn", 3.0, "absolute", 0),
    "gru-2l-n4-bnn-rel-cap2": ("gru", 3, 5, 2, 4, 8, "bnn", "bnn", 1.0, "relative", 2),
    "lstm-2l-n8-bnn-abs-cap1": ("lstm", 4, 7, 2, 8, 16, "bnn", "bnn", 4.0, "absolute", 1),
    "gru-1l-n8-none": ("gru", 6, 11, 1, 8, 32, "none", "none", 0.25, "relative", 0),
    "lstm-1l-n16-memo-off": ("lstm", 5, 6, 1, 16, 8, "bnn", "none", 0.5, "relative", 0),
    # boundary sizes: one input, one neuron, one lane, one BNN bit; lanes and BNN bits wider
    # than the row; lanes and BNN bits that are not powers of two
    "lstm-x1-h1-n1-b1": ("lstm", 1, 1, 1, 1, 1, "bnn", "bnn", 1.0, "relative", 0),
    "gru-x2-h3-2l-n8-b64": ("gru", 2, 3, 2, 8, 64, "bnn", "bnn", 0.5, "relative", 0),
    "gru-x1-h4-n3-b2-abs-cap1": ("gru", 1, 4, 1, 3, 2, "bnn", "bnn", 2.0, "absolute", 1),
}


# the Verilator cases share their builds with the streamed and reset tests below
VERILATOR_CASES = ("lstm-2l-n8-bnn-abs-cap1", "gru-1l-n16-bnn-abs")
NEEDS_VERILATOR = pytest.mark.skipif(verilator_bin() is None, reason="no Verilator 5.036+ "
                                     "installed (make test installs one into .venv)")
SIMS = [pytest.param("icarus", id="icarus"),
        pytest.param("verilator", id="verilator", marks=NEEDS_VERILATOR)]


def make_case(name):
    cell, xs, hs, layers, lanes, bits, build, run, theta, mode, cap = CASES[name]
    seed = sum(map(ord, name))
    print("case", name, "seed", seed)
    params = random_params(cell, xs, hs, layers=layers, seed=seed, scale=0.8)
    base = dataclasses.replace(DEFAULT, name=f"t_{cell}", lanes=lanes, bnn_bits=bits,
                               predictor=build, theta=theta, mode=mode, reuse_cap=cap)
    cfg = config_for(params, base)
    x = np.random.default_rng(seed).uniform(-1.5, 1.5, (len(LENGTHS), LENGTHS.max(), xs))
    return cfg, params, x, run, seed


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("sim")


def check_against_golden(res):
    assert res.ok, "\n".join(res.report)
    gold = res.golden
    assert res.words == int(LENGTHS.sum()) * res.cfg.hidden_size
    for b, length in enumerate(res.lengths):
        np.testing.assert_array_equal(res.h_int[b, :length], gold.h_int[-1, b, :length])
    np.testing.assert_array_equal(res.h_held(), gold.h_int[-1])
    want = gold.counters()
    for name, value in res.counters.items():
        np.testing.assert_array_equal(value, want[name], err_msg=name)


@pytest.mark.parametrize("name,sim", [
    *(pytest.param(name, "icarus", id=f"{name}-icarus") for name in CASES),
    *(pytest.param(name, "verilator", id=f"{name}-verilator", marks=NEEDS_VERILATOR)
      for name in VERILATOR_CASES)])
def test_top_matches_golden(name, sim, build_root):
    cfg, params, x, run, seed = make_case(name)
    res = simulate(cfg, params, x, LENGTHS, predictor=run, seed=seed, root=build_root,
                   run_name=name, simulator=sim)
    check_against_golden(res)
    gold = res.golden
    if run == "bnn":
        assert gold.reused.sum() > 0, "the case exercises no reuse"
    else:
        assert gold.reused.sum() == 0
    if cfg.reuse_cap:
        free = run_fixed(dataclasses.replace(cfg, reuse_cap=0), params, x, LENGTHS)
        assert free.reused.sum() > gold.reused.sum(), "the cap never binds"
    assert res.sim_cycles > int(res.counters["cycles"].sum())


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("name", VERILATOR_CASES)
def test_streamed(name, sim, build_root):
    """All sequences queued at once: x of sequence b+1 enters while b still computes; every
    word and every counter (sampled when b's last h_t turns valid) must still match."""
    cfg, params, x, run, seed = make_case(name)
    res = simulate(cfg, params, x, LENGTHS, predictor=run, seed=seed, root=build_root,
                   test="streamed", run_name=f"streamed-{name}", simulator=sim)
    check_against_golden(res)
    assert len(res.extra["overlaps"]) > 0, "no sequence overlapped the next"


@pytest.mark.parametrize("sim", SIMS)
def test_reset_mid_sequence(sim, build_root):
    """Sequence 0, a reset in the middle of sequence 1 (input vector half sent, outputs
    pending), then sequence 2: its first timestep computes every neuron and everything after
    matches the golden model."""
    cfg, params, x, run, seed = make_case("lstm-2l-n8-bnn-abs-cap1")
    res = simulate(cfg, params, x, LENGTHS, predictor=run, seed=seed, root=build_root,
                   test="reset_mid_sequence", run_name="reset", simulator=sim)
    assert res.ok, "\n".join(res.report)
    gold = res.golden
    for b in (0, 2):
        np.testing.assert_array_equal(res.h_int[b, :LENGTHS[b]], gold.h_int[-1, b, :LENGTHS[b]])
        for name, value in gold.counters().items():
            if name in res.counters:
                assert res.counters[name][b] == value[b], (b, name)
    assert gold.reused[2].sum() > 0


@pytest.mark.parametrize("sim,name", [("icarus", "lstm-1l-n4-bnn-rel"),
                                      pytest.param("verilator", "gru-1l-n16-bnn-abs",
                                                   marks=NEEDS_VERILATOR)])
def test_fault_injection_is_caught(sim, name, build_root):
    """One flipped bit in one bias word must show up as mismatches (the bench can fail)."""
    cfg, params, x, run, seed = make_case(name)
    res = simulate(cfg, params, x, LENGTHS, predictor=run, seed=seed, root=build_root,
                   run_name="corrupt", corrupt=True, simulator=sim)
    assert not res.ok
    assert res.mismatches > 0
    assert any("h[0]" in line for line in res.report)


def test_watchdog(build_root):
    """An output that never becomes ready: the test ends with a timeout, not a hang."""
    cfg, params, x, run, seed = make_case("lstm-1l-n4-bnn-rel")
    res = simulate(cfg, params, x, LENGTHS, predictor=run, seed=seed, root=build_root,
                   run_name="stall", stall_output=True, simulator="icarus")
    assert not res.ok
    assert any(line.startswith("timeout") for line in res.report)
    assert res.words == 0


@pytest.mark.parametrize("sim,suffix", [("icarus", ".fst"),
                                        pytest.param("verilator", ".vcd", marks=NEEDS_VERILATOR)])
def test_waves(tmp_path, sim, suffix):
    """--waves on either simulator: the waveform lands in the build directory, named after the
    top level (FST from Icarus, VCD from Verilator)."""
    cfg, params, x, run, seed = make_case("lstm-x1-h1-n1-b1")
    res = simulate(cfg, params, x[:1], LENGTHS[:1], predictor=run, seed=seed, root=tmp_path,
                   waves=True, simulator=sim)
    assert res.ok
    assert res.waves == res.build_dir / f"{cfg.name}{suffix}"
    assert res.waves.stat().st_size > 1000
    if suffix == ".vcd":
        text = res.waves.read_text(errors="replace")
        assert " clk $end" in text and "$enddefinitions" in text and "\n#" in text


@pytest.mark.parametrize("package", ["core", "hw", "golden"])
def test_build_key_covers_every_source_the_build_depends_on(tmp_path, monkeypatch, package):
    """A change in any package that shapes the Verilog (core/config.py included) must give a
    new build directory, or a stale compiled simulation is reused."""
    import shutil

    import sim.runner as runner

    for name in runner.SOURCE_PACKAGES:
        shutil.copytree(runner.ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(runner, "ROOT", tmp_path)
    before = runner.build_key(DEFAULT)
    victim = sorted((tmp_path / package).rglob("*.py"))[-1]
    victim.write_text(victim.read_text() + "\n# changed\n")
    after = runner.build_key(DEFAULT)
    assert after != before
    # the run-time registers are not build parameters; the simulator is
    assert runner.build_key(DEFAULT.with_overrides(theta=1.0, mode="absolute")) == after
    assert runner.build_key(DEFAULT, simulator="icarus") != \
        runner.build_key(DEFAULT, simulator="verilator")


def test_simulator_choice(monkeypatch):
    """SIM names the simulator; unset, Verilator when one is installed; anything else is
    refused in one line (exit 2 from a command)."""
    import sim.runner as runner
    from core.errors import InputError

    monkeypatch.setenv("SIM", "icarus")
    assert runner.simulator_name() == "icarus"
    assert runner.simulator_name("verilator") == "verilator"
    monkeypatch.delenv("SIM")
    want = "verilator" if runner.verilator_bin() is not None else "icarus"
    assert runner.simulator_name() == want
    monkeypatch.setenv("SIM", "modelsim")
    with pytest.raises(InputError, match="unknown simulator 'modelsim'"):
        runner.simulator_name()


@NEEDS_VERILATOR
def test_verilator_is_the_one_installed_in_the_environment():
    """make installs Verilator 5.052 into the environment: the runner finds it there, no PATH
    needed, and it is recent enough for cocotb 2.1."""
    import sys
    from pathlib import Path

    import sim.runner as runner

    exe = runner.verilator_bin()
    assert Path(sys.prefix) in exe.parents
    assert runner.verilator_version(exe) >= runner.VERILATOR_MIN
