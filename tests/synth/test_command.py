"""``epur synth``: options, errors (one line on stderr, status 2), one JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import HW_PREDICTORS, PREDICTORS
from epur.cli import main

TINY = """\
name = "epur_tiny"
input_size = 2
hidden_size = 4
lanes = 2
bnn_bits = 4
lut_frac = 3
"""


@pytest.mark.parametrize("args, message", [
    (["--target", "generic", "--bitstream"], "--bitstream needs --target ecp5"),
    (["--config", "missing.toml"], "config file not found"),
])
def test_bad_input_exits_2(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["synth", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_out_must_be_a_directory(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["synth", "--out", str(tmp_path / "file")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_unknown_target_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        main(["synth", "--target", "xilinx"])
    assert e.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.slow
def test_json_is_one_document_with_the_contract_keys(tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    assert main(["synth", "--config", str(config), "--json", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    report = json.loads(out)          # exactly one document: json.loads rejects trailing data
    assert out.count("\n") == 1
    assert report["target"] == "generic"
    assert isinstance(report["overhead_percent"], float)
    for build in ("baseline", "memo", "delta"):
        assert all(isinstance(v, (int, float)) for v in report[build].values())
    assert report["memo"]["transistors"] > report["baseline"]["transistors"] > 0
    assert isinstance(report["delta_overhead_percent"], float)
    assert set(report["units"]) == {"dpu", "mu", "bnn", "comparator", "memo", "delta",
                                    "precision", "cell", "control", "weights", "harness"}
    assert report["units"]["harness"]["memo_transistors"] == 0     # generic: no harness
    # the units account for the whole design
    for build in ("baseline", "memo", "delta"):
        total = sum(u[f"{build}_transistors"] for u in report["units"].values())
        assert total == report[build]["transistors"]
    assert (tmp_path / "o" / "memo" / "generic" / "epur_tiny.v").is_file()
    assert (tmp_path / "o" / "delta" / "generic" / "epur_tiny.v").is_file()


def test_a_crashed_tool_exits_1_naming_the_tool_and_its_log(tmp_path, capsys, monkeypatch):
    """A tool that fails is not the user's fault: status 1 (not 2), one line, tool and log."""
    fake = tmp_path / "yosys"
    fake.write_text("#!/bin/sh\necho 'ERROR: simulated crash' >&2\nexit 3\n")
    fake.chmod(0o755)
    import synth.tools

    real = synth.tools.tool_path
    monkeypatch.setattr(synth.tools, "tool_path",
                        lambda name: str(fake) if name == "yosys" else real(name))
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    assert main(["synth", "--config", str(config), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "yosys failed with status 3" in err[0] and "simulated crash" in err[0]
    log = err[0].split("(log: ")[1].split(")")[0]
    assert "simulated crash" in Path(log).read_text()


@pytest.mark.parametrize("predictor", [p for p in PREDICTORS if p not in HW_PREDICTORS])
def test_software_predictors_are_refused_like_generate(tmp_path, capsys, predictor):
    config = tmp_path / "c.toml"
    config.write_text(TINY + f'predictor = "{predictor}"\n')
    assert main(["synth", "--config", str(config), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "software-only" in err[0], err
    assert not (tmp_path / "o").exists()
