"""Verilator lint of every tested configuration and of configs/*.toml (docs/architecture.md).
Run: ``python -m tests.hw.lint_report`` (writes the Verilog under build/lint)."""

from __future__ import annotations

import collections
import dataclasses
import re
import subprocess
from pathlib import Path

from core.config import DEFAULT, load_config
from hw.top import generate_verilog

ROOT = Path(__file__).resolve().parents[2]


def configs():
    small = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, lanes=4,
                                bnn_bits=8)
    out = [dataclasses.replace(small, name=f"t_{cell}_{p}", cell=cell, predictor=p)
           for cell in ("lstm", "gru") for p in ("none", "bnn")]
    out.append(dataclasses.replace(small, name="t_lstm_n3b5", lanes=3, bnn_bits=5, reuse_cap=2))
    out.append(dataclasses.replace(small, name="t_gru_n4b3", cell="gru", bnn_bits=3))
    out += [load_config(p) for p in sorted((ROOT / "configs").glob("*.toml"))]
    return out


def main():
    build = ROOT / "build" / "lint"
    build.mkdir(parents=True, exist_ok=True)
    for cfg in configs():
        path = build / f"{cfg.name}.v"
        text = generate_verilog(cfg)
        path.write_text(text)
        run = subprocess.run(["verilator", "--lint-only", "-Wall", "-Wno-fatal", "--top-module",
                              cfg.name, str(path)], capture_output=True, text=True)
        kinds = collections.Counter(re.findall(r"%Warning-([A-Z]+)", run.stderr))
        print(f"{cfg.name:16s} exit {run.returncode} errors {run.stderr.count('%Error')} "
              f"lines {len(text.splitlines())} warnings {dict(sorted(kinds.items()))}",
              flush=True)


if __name__ == "__main__":
    main()
