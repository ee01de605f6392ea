"""The dynamic-precision hardware's area, unit by unit (issue 13): docs/synthesis.md's table.

``python -m synth.precision_area [--config C] [--out DIR] [--json FILE]`` synthesizes four
builds of a config (default: the default config) with generic Yosys (synth/flow.py
``run_build``): the baseline (predictor none), the precision build (predictor none, precision
dynamic: hw/precision.py), the memo build (predictor bnn) and the memo build with dynamic
precision, and writes their per-unit figures and the overheads (precision against baseline,
precision + memo against memo, each unit's growth in percent of the whole reference build) as
JSON. ``--table FILE`` prints the markdown table of such a JSON file; with ``--write DOC`` it
replaces the text between ``<!-- precision-area -->`` and ``<!-- /precision-area -->`` in DOC
instead (tests/synth/test_precision_area.py checks that the document holds that table).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.config import DEFAULT, load_config
from core.io import write_atomic
from synth import regions, units
from synth.flow import run_build, write_verilog

PAIRS = (("precision", "baseline"), ("precision_memo", "memo"))
REGION = regions.region("precision-area")
METRICS = ("transistors", "cells", "ffs", "memory_bits")


def builds(cfg) -> dict:
    """The four builds compared, by name."""
    base = dataclasses.replace(cfg, precision="static")
    return {"baseline": dataclasses.replace(base, predictor="none"),
            "precision": dataclasses.replace(base, predictor="none", precision="dynamic"),
            "memo": dataclasses.replace(base, predictor="bnn"),
            "precision_memo": dataclasses.replace(base, predictor="bnn", precision="dynamic")}


def report(results: dict, cfg) -> dict:
    """Totals, per-unit figures and overheads of the builds' ``run_build`` results."""
    out = {"config": {k: v for k, v in cfg.to_dict().items() if not k.endswith("_format")},
           "builds": {name: {k: r["metrics"][k] for k in METRICS}
                      for name, r in results.items()},
           "units": {name: {u: r["units"][u]["transistors"] for u in units.UNITS}
                     for name, r in results.items()}}
    for build, ref in PAIRS:
        whole = results[ref]["metrics"]["transistors"]
        out[f"{build}_overhead_percent"] = _percent(
            results[build]["metrics"]["transistors"] - whole, whole)
        out[f"{build}_units_percent"] = {
            u: _percent(out["units"][build][u] - out["units"][ref][u], whole)
            for u in units.UNITS}
    return out


def _percent(delta, base) -> float:
    return round(100.0 * delta / base, 3) if base else 0.0


def table(doc: dict) -> str:
    """Markdown: per unit, the transistors of each build and the two overheads."""
    head = ["unit", "baseline", "precision", "overhead", "memo", "memo + precision", "overhead"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    u = doc["units"]
    for unit in units.UNITS:
        if not any(u[b][unit] for b in u):
            continue
        rows.append(f"| {unit} | {u['baseline'][unit]:,} | {u['precision'][unit]:,} | "
                    f"{doc['precision_units_percent'][unit]:+.2f} % | {u['memo'][unit]:,} | "
                    f"{u['precision_memo'][unit]:,} | "
                    f"{doc['precision_memo_units_percent'][unit]:+.2f} % |")
    b = doc["builds"]
    rows.append(f"| **total** | {b['baseline']['transistors']:,} | "
                f"{b['precision']['transistors']:,} | "
                f"**{doc['precision_overhead_percent']:+.2f} %** | {b['memo']['transistors']:,} | "
                f"{b['precision_memo']['transistors']:,} | "
                f"**{doc['precision_memo_overhead_percent']:+.2f} %** |")
    bits = " / ".join(f"{b[k]['memory_bits']:,}" for k in ("baseline", "precision", "memo",
                                                             "precision_memo"))
    c = doc["config"]
    return ("\n".join(rows) + f"\n\nGeneric transistors (synth/yosys.py's model); the "
            f"{c['cell'].upper()} config X = {c['input_size']}, H = {c['hidden_size']}, "
            f"L = {c['layers']}, N = {c['lanes']}, B = {c['bnn_bits']}. Memory bits (baseline / "
            f"precision / memo / memo + precision): {bits}. Overheads are each unit's growth "
            f"in percent of the whole reference build (baseline, or memo), so they add up to "
            f"the total.\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.precision_area",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--config")
    ap.add_argument("--out", default="build/precision_area")
    regions.add_table_arguments(ap)
    args = ap.parse_args(argv)
    if regions.table_only(args, table, "precision-area"):
        return 0
    cfg = load_config(args.config) if args.config else DEFAULT
    configs = builds(cfg)
    out = Path(args.out)
    for name, c in configs.items():
        write_verilog(c, "generic", out / name / f"{c.name}.v")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_build, "generic", c, out / name, False)
                   for name, c in configs.items()}
        results = {name: f.result() for name, f in futures.items()}
    doc = report(results, cfg)
    text = json.dumps(doc, indent=1) + "\n"
    if args.json:
        write_atomic(Path(args.json), text)
    print(table(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
