"""Area of the batched build's dot-product blocks (E-BATCH, issue 14), generic Yosys.

``python -m synth.batch_area [--out FILE]`` synthesizes, for the default config, the DPU of
today's build (hw/dpu.py) and the batched DPU (hw/batch_dpu.py, one accumulator per slot) with
its row sequencer (hw/batch_sequencer.py) for S in :data:`SLOTS`, with the generic flow of
synth/yosys.py (cells, flip-flops, Yosys's CMOS transistor estimate), and writes
docs/data/batch_area.json. It measures the design choice of docs/architecture.md ("The batched
build"): S accumulations per held weight word cost S accumulators, not S times the
multipliers. The whole batched build (memo entries, cell state and counters per slot, its
Fmax) is not measured: its RTL does not exist yet.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Signal, Value

from core.config import DEFAULT
from core.io import write_atomic
from synth import yosys

SLOTS = (1, 4, 8)
OUT = Path(__file__).resolve().parents[1] / "docs/data/batch_area.json"


def blocks(slots: int) -> dict:
    """The components measured at ``slots``: name -> (component, top module name)."""
    from hw.batch_dpu import BatchDotProductUnit
    from hw.batch_sequencer import BatchRowSequencer
    from hw.dpu import DotProductUnit

    cfg = dataclasses.replace(DEFAULT, predictor="none", slots=slots)
    out = {f"batch_dpu_s{slots}": BatchDotProductUnit(cfg),
           f"batch_sequencer_s{slots}": BatchRowSequencer(cfg)}
    if slots == 1:
        out["dpu"] = DotProductUnit(cfg)
    return out


def measure(name: str, component, workdir: Path) -> dict:
    """Generic synthesis of one component: its cells, flip-flops and transistors (every
    module of its hierarchy added)."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.v"
    # an always-ready stream's ``ready`` is a constant, not a port: the others are listed
    ports = [v for _, _, v in component.signature.flatten(component)
             if isinstance(Value.cast(v), Signal)]
    ports = [Value.cast(v) for v in ports]
    write_atomic(path, verilog.convert(component, name=name, ports=ports, emit_src=False))
    yosys.run_yosys("generic", path, name, workdir)
    stats = yosys.read_stat(workdir / "stat.json")
    total = {"cells": 0, "ffs": 0, "transistors": 0}
    for module in stats:
        for k, v in yosys.generic_module_metrics(module, stats).items():
            total[k] += v
    return total


def run(workdir: Path) -> dict:
    figures = {}
    for s in SLOTS:
        for name, component in blocks(s).items():
            figures[name] = measure(name, component, workdir / name)
    dpu = figures["dpu"]["transistors"]
    return {"config": {"lanes": DEFAULT.lanes, "acc_width": DEFAULT.acc_width,
                       "weight_width": DEFAULT.weight_format.width,
                       "data_width": DEFAULT.data_format.width},
            "slots": list(SLOTS), "figures": figures,
            "batch_dpu_vs_dpu": {str(s): figures[f"batch_dpu_s{s}"]["transistors"] / dpu
                                 for s in SLOTS}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.batch_area")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="epur_batch_area_") as d:
        doc = run(Path(d))
    write_atomic(args.out, json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc["batch_dpu_vs_dpu"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
