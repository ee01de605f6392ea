"""Area of the batched accelerator (E-BATCH, issue 14; baseline build), generic Yosys.

``python -m synth.batch_top_area [--out FILE]`` synthesizes the unbatched baseline build
(``hw.top.EpurTop``, S = 1) and the batched baseline build (``hw.batch_top.BatchTop``) for S in
:data:`SLOTS` of :data:`BASE` with the generic flow of synth/yosys.py and writes
docs/data/batch_top_area.json: cells, flip-flops, Yosys's CMOS transistor estimate of the logic
and of the memories, memory bits. :data:`BASE` is the default config with H = 16 instead of 64:
on the shared 2-core machine three generic syntheses of the default size did not fit the time
there was. The memo build is not batched yet, and no FPGA flow (Fmax) has been run on the
batched build.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from core.config import DEFAULT
from core.io import write_atomic
from synth import batch_area, yosys

SLOTS = (4, 8)
BASE = dataclasses.replace(DEFAULT, hidden_size=16, predictor="none")
OUT = Path(__file__).resolve().parents[1] / "docs/data/batch_top_area.json"


def measure(component, name: str, workdir: Path) -> dict:
    """Generic synthesis of a whole accelerator: its logic (synth/batch_area.py's measure)
    and its memories."""
    total = {**batch_area.measure(name, component, workdir), "memory_bits": 0}
    for memory in yosys.read_memories(workdir / "memories.txt"):
        for k, v in yosys.memory_metrics(memory).items():
            total[k] += v
    return total


def run(workdir: Path) -> dict:
    from hw.batch_top import BatchTop
    from hw.top import EpurTop

    base = BASE
    figures = {"s1": measure(EpurTop(base), "epur_s1", workdir / "s1")}
    for s in SLOTS:
        cfg = dataclasses.replace(base, slots=s)
        figures[f"s{s}"] = measure(BatchTop(cfg), f"epur_s{s}", workdir / f"s{s}")
    return {"config": {k: v for k, v in base.to_dict().items() if not k.endswith("_format")},
            "slots": [1, *SLOTS], "figures": figures}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.batch_top_area")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="epur_batch_top_") as d:
        doc = run(Path(d))
    write_atomic(args.out, json.dumps(doc, indent=1) + "\n")
    print(json.dumps(doc["figures"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
