"""``epur generate`` and ``hw.top.generate_verilog``: files, ports, errors, Verilator lint."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from core.config import DEFAULT, MAX_BNN_BITS, MAX_HIDDEN, load_config
from epur.cli import main
from hw import top
from sim.runner import verilator_bin

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
WAIVERS = Path(__file__).with_name("lint_waivers.vlt")
LINT_WARNINGS = set(re.findall(r"-rule (\w+)", WAIVERS.read_text()))
VERILATOR = verilator_bin()
NEEDS_VERILATOR = pytest.mark.skipif(VERILATOR is None, reason="no Verilator 5.036+ installed "
                                     "(make test installs one into .venv)")
SMALL = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, lanes=4, bnn_bits=8)


def test_default_config_file_is_the_default():
    assert load_config(CONFIGS / "default.toml") == DEFAULT


@pytest.mark.parametrize("path", sorted(p.name for p in CONFIGS.glob("*.toml")))
def test_example_configs_are_valid(path):
    cfg = load_config(CONFIGS / path)
    assert cfg.predictor in ("none", "bnn")
    if path == "lstm_odd.toml":
        assert cfg.row_length(0) % cfg.lanes and cfg.row_length(0) % cfg.bnn_bits


def test_generate_writes_verilog_and_config(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["generate", "--config", str(CONFIGS / "gru_small.toml"), "-o", str(out),
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    cfg = load_config(CONFIGS / "gru_small.toml")
    assert load_config(out / "config.json") == cfg
    text = (out / "epur_gru_small.v").read_text()
    assert re.search(r"^module epur_gru_small\(", text, re.M)
    ports = {p["name"]: (p["direction"], p["width"]) for p in report["ports"]}
    dw, cw = cfg.data_format.width, cfg.counter_width
    assert ports["x__payload"] == ("input", dw + 1)
    assert ports["h__payload"] == ("output", dw + 1)
    assert ports["wl__payload"] == ("input", cfg.weight_address_bits + cfg.weight_format.width)
    assert ports["theta"] == ("input", cfg.theta_format.width)
    for name in ("cycles", "computed_r", "computed_z", "computed_n", "reused_n"):
        assert ports[name] == ("output", cw)
    assert {"clk", "rst", "x__valid", "x__ready", "h__valid", "h__ready", "wl__valid",
            "wl__ready", "mode_abs", "memo_enable", "busy"} <= set(ports)
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "epur_gru_small.v"]


def test_baseline_has_no_memo_hardware():
    base = top.generate_verilog(dataclasses.replace(SMALL, name="base", predictor="none"))
    memo = top.generate_verilog(dataclasses.replace(SMALL, name="memo"))
    for unit in ("bnn", "comparator", "memo"):
        assert not re.search(rf"^module \\?base\.cu_\w+(\.\w+)*\.{unit} ", base, re.M)
        assert re.search(rf"^module \\?memo\.cu_i\.scheme\.{unit} ", memo, re.M)
    names = {p for p, _, _ in top.verilog_ports(base, "base")}
    assert not names & {"theta", "mode_abs", "memo_enable"}


@pytest.mark.parametrize("predictor", ["oracle"])
def test_software_predictors_are_rejected(tmp_path, capsys, predictor):
    path = tmp_path / "c.json"
    dataclasses.replace(DEFAULT, predictor=predictor).save(path)
    assert main(["generate", "--config", str(path), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "software-only" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("problem", ["missing", "malformed", "out-is-file"])
def test_bad_inputs_exit_2(tmp_path, capsys, problem):
    config, out = tmp_path / "c.toml", tmp_path / "o"
    if problem == "malformed":
        config.write_text("lanes = [\n")
    elif problem == "out-is-file":
        config = CONFIGS / "gru_small.toml"
        out.write_text("")
    assert main(["generate", "--config", str(config), "-o", str(out)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_nothing_half_written_on_failure(tmp_path, monkeypatch):
    def explode(cfg):
        raise ValueError("synthetic failure")
    monkeypatch.setattr(top, "generate_verilog", explode)
    assert main(["generate", "--config", str(CONFIGS / "gru_small.toml"), "-o",
                 str(tmp_path)]) == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("when", ["generating", "writing"])
def test_an_interrupted_generate_leaves_no_directory(tmp_path, monkeypatch, capsys, when):
    import epur.commands.generate as command

    def interrupt(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(*((top, "generate_verilog") if when == "generating"
                          else (command, "write_atomic")), interrupt)
    out = tmp_path / "new" / "deeper"
    assert main(["generate", "--config", str(CONFIGS / "gru_small.toml"), "-o", str(out)]) == 130
    assert capsys.readouterr().err == "epur generate: interrupted\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kw", [
    pytest.param({"hidden_size": MAX_HIDDEN}, marks=pytest.mark.slow, id="hidden_size"),
    pytest.param({"input_size": 4, "hidden_size": 4, "bnn_bits": MAX_BNN_BITS}, id="bnn_bits")])
def test_the_largest_legal_sizes_generate(kw):
    """The limits of core/config.py are what generation does in well under a minute on 2 cores
    (H 384 about 40 s, B 256 on a 4x4 LSTM about 15 s); one more is refused."""
    cfg = dataclasses.replace(DEFAULT, name="big", **kw)
    assert re.search(r"^module big\(", top.generate_verilog(cfg), re.M)
    (key, value), *_ = reversed(kw.items())
    with pytest.raises(ValueError, match=f"hardware {key} must be in 1..{value}, not {value + 1}"):
        top.generate_verilog(dataclasses.replace(cfg, **{key: value + 1}))


LINT_CASES = [("lstm", "bnn", 3, 5), ("gru", "bnn", 4, 8), ("gru", "none", 4, 8),
              ("gru", "delta", 3, 8)]


def lint(tmp_path, cell, predictor, lanes, bits, waivers=True):
    """``verilator --lint-only -Wall`` of a small config's Verilog (with the waiver file)."""
    cfg = dataclasses.replace(SMALL, name=f"lint_{cell}_{predictor}", cell=cell,
                              predictor=predictor, lanes=lanes, bnn_bits=bits,
                              reuse_cap=0 if predictor == "delta" else 2)
    path = tmp_path / f"{cfg.name}.v"
    path.write_text(top.generate_verilog(cfg))
    env = {k: v for k, v in os.environ.items() if k != "VERILATOR_ROOT"}
    return subprocess.run([str(VERILATOR), "--lint-only", "-Wall", "--top-module", cfg.name,
                           *([str(WAIVERS)] if waivers else ["-Wno-fatal"]), str(path)],
                          capture_output=True, text=True, timeout=300, env=env)


@NEEDS_VERILATOR
@pytest.mark.parametrize("cell,predictor,lanes,bits", LINT_CASES)
def test_verilator_lint(tmp_path, cell, predictor, lanes, bits):
    """Clean under -Wall: every warning class left is waived, with its reason, in
    lint_waivers.vlt (no blanket -Wno-fatal)."""
    run = lint(tmp_path, cell, predictor, lanes, bits)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "%Warning" not in run.stderr and "%Error" not in run.stderr, run.stderr[-2000:]


@NEEDS_VERILATOR
def test_every_lint_waiver_is_needed(tmp_path):
    """Without the waiver file, the warnings are exactly the waived classes: none is stale."""
    run = lint(tmp_path, *LINT_CASES[0], waivers=False)
    assert "%Error" not in run.stderr.replace("%Error: Exiting due to", ""), run.stderr[-2000:]
    found = set(re.findall(r"%Warning-([A-Z]+)", run.stderr))
    assert found == LINT_WARNINGS


def test_a_failing_yosys_is_a_tool_error_not_a_traceback(tmp_path, monkeypatch, capsys):
    """Amaranth writes Verilog through Yosys: a broken one is a tool failure (exit 1, one
    line naming yosys), not bad input and not a traceback."""
    from epur.cli import main

    fake = tmp_path / "yosys"
    fake.write_text("#!/bin/sh\necho 'ERROR: simulated crash'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AMARANTH_USE_YOSYS", "system")
    monkeypatch.setenv("YOSYS", str(fake))
    assert main(["generate", "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "yosys" in err[0], err
    assert not list((tmp_path / "out").glob("*.v"))
