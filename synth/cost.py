"""The memo hardware's cost, unit by unit: one row of docs/synthesis.md's cost table.

``python -m synth.cost [--config C] [--target generic|ice40|ecp5 ...] [--pnr] [--out DIR]
[--label TEXT] [--json FILE]`` synthesizes the baseline and memo builds of a config (default:
the default config) for each target (FPGA targets without place and route unless ``--pnr``) and
prints, per target, the totals of both builds, the memo overhead and the overhead of every unit
that grows (percent of the whole baseline). ``--json FILE`` appends the reports, keyed by
``--label``, to FILE (a JSON object), so that a table of successive changes can be rebuilt;
``python -m synth.cost --table FILE`` prints that table (markdown) and synthesizes nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from core.config import DEFAULT, load_config
from core.io import write_atomic
from synth.flow import AREA_METRIC, synthesize


def summary(report: dict) -> str:
    """One line: the area metric of both builds, the overhead, and each unit's share of it."""
    metric = AREA_METRIC[report["target"]]
    b, m = report["baseline"], report["memo"]
    parts = [f"{report['target']}: {metric} {b[metric]} -> {m[metric]} "
             f"({report['overhead_percent']:+.2f} %)"]
    for unit, u in report["units"].items():
        if u["overhead_percent"]:
            parts.append(f"{unit} {u['overhead_percent']:+.2f}")
    if "fmax_mhz" in b and "fmax_mhz" in m:
        parts.append(f"Fmax {b['fmax_mhz']} -> {m['fmax_mhz']} MHz")
    return "; ".join(parts)


def table(doc: dict) -> str:
    """Markdown table of stored reports {label: {target: report}}: per change, each target's
    area metric (baseline / memo, overhead) and the units' shares of the generic overhead."""
    fpga = [t for t in ("ice40", "ecp5") if any(t in r for r in doc.values())]
    names = {"ice40": "iCE40", "ecp5": "ECP5"}
    head = ["change", "generic transistors (baseline / memo)", "overhead", "bnn", "comparator",
            "memo", "control", "weights", *[f"{names[t]} LUTs (overhead)" for t in fpga]]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, reports in doc.items():
        g = reports.get("generic")
        cells = [label]
        if g:
            cells += [f"{g['baseline']['transistors']:,} / {g['memo']['transistors']:,}",
                      f"**{g['overhead_percent']:+.2f} %**"]
            cells += [f"{g['units'][u]['overhead_percent']:+.2f}"
                      for u in ("bnn", "comparator", "memo", "control", "weights")]
        else:
            cells += ["-"] * 7
        for target in fpga:
            r = reports.get(target)
            cells.append(f"{r['baseline']['luts']:,} / {r['memo']['luts']:,} "
                         f"({r['overhead_percent']:+.1f} %)" if r else "-")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.cost", description=__doc__.split("\n")[0])
    ap.add_argument("--config")
    ap.add_argument("--target", action="append", choices=("generic", "ice40", "ecp5"))
    ap.add_argument("--pnr", action="store_true", help="FPGA targets: also place and route")
    ap.add_argument("--out", default="build/cost")
    ap.add_argument("--label", default="current")
    ap.add_argument("--json", help="append the reports to this JSON file, under --label")
    ap.add_argument("--table", metavar="FILE", help="print the table of a --json FILE, only")
    args = ap.parse_args(argv)
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return 0
    cfg = load_config(args.config) if args.config else DEFAULT
    reports = {}
    for target in args.target or ["generic"]:
        out = Path(args.out) / args.label.replace(" ", "_")
        reports[target] = synthesize(cfg, target, out, pnr=args.pnr, delta=False)
        print(summary(reports[target]), flush=True)
    if args.json:
        path = Path(args.json)
        stored = json.loads(path.read_text()) if path.is_file() else {}
        stored.setdefault(args.label, {}).update(reports)
        write_atomic(path, json.dumps(stored, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
