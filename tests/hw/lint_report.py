"""Verilator lint of every tested configuration and of configs/*.toml (docs/architecture.md):
the warnings of ``-Wall`` by class without the waiver file (lint_waivers.vlt), and the exit
status with it. Run: ``python -m tests.hw.lint_report`` (writes the Verilog under build/lint)."""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import subprocess
from pathlib import Path

from core.config import DEFAULT, load_config
from hw.top import generate_verilog
from sim.runner import verilator_bin

ROOT = Path(__file__).resolve().parents[2]
WAIVERS = Path(__file__).with_name("lint_waivers.vlt")


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
    exe = verilator_bin()
    if exe is None:
        raise SystemExit("no Verilator 5.036+ installed (make test installs one into .venv)")
    env = {k: v for k, v in os.environ.items() if k != "VERILATOR_ROOT"}
    build = ROOT / "build" / "lint"
    build.mkdir(parents=True, exist_ok=True)
    for cfg in configs():
        path = build / f"{cfg.name}.v"
        text = generate_verilog(cfg)
        path.write_text(text)
        lint = [str(exe), "--lint-only", "-Wall", "--top-module", cfg.name]
        raw = subprocess.run([*lint, "-Wno-fatal", str(path)], capture_output=True, text=True,
                             env=env)
        waived = subprocess.run([*lint, str(WAIVERS), str(path)], capture_output=True,
                                text=True, env=env)
        kinds = collections.Counter(re.findall(r"%Warning-([A-Z]+)", raw.stderr))
        print(f"{cfg.name:16s} lines {len(text.splitlines())} warnings "
              f"{dict(sorted(kinds.items()))}; with the waivers: exit {waived.returncode}, "
              f"{waived.stderr.count('%Warning')} warnings, {waived.stderr.count('%Error')} "
              f"errors", flush=True)


if __name__ == "__main__":
    main()
