"""``epur synth``: area and timing, baseline against memo, per unit (Yosys and nextpnr)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.config import DEFAULT, load_config
from core.errors import InputError
from core.io import check_directory

NAME = "synth"
HELP = ("synthesize the baseline (no memo), memo and delta builds of an accelerator: area per "
        "unit, overheads, Fmax (generic Yosys, iCE40 or ECP5 through nextpnr)")


def add_arguments(p):
    from synth.flow import TARGETS

    p.add_argument("--config", type=Path,
                   help="accelerator config (.json or .toml); default: the built-in default")
    p.add_argument("--target", choices=TARGETS, default="generic",
                   help="generic Yosys cells and transistor estimate, or an FPGA through nextpnr "
                        "(default: generic)")
    p.add_argument("--out", type=Path, default=Path("build/synth"),
                   help="work directory for netlists, logs and reports (default: build/synth)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")
    p.add_argument("--bitstream", action="store_true",
                   help="also build a ULX3S (ECP5-85F) bitstream of the memo build with a "
                        "board harness (--target ecp5 only)")


def run(args) -> int:
    from synth.flow import synthesize

    cfg = (DEFAULT if args.config is None else load_config(args.config)).require_hardware()
    if args.bitstream and args.target != "ecp5":
        raise InputError("--bitstream needs --target ecp5")
    out = check_directory(args.out)
    report = synthesize(cfg, args.target, out)
    if args.bitstream:
        from synth.board import build_bitstream
        from synth.flow import builds

        bit = build_bitstream(builds(cfg)["memo"], out / "board")
        report["bitstream"] = str(bit)
    for note in report.get("notes", []):
        print(f"epur synth: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report))
    return 0


def format_report(report: dict) -> str:
    metric = report["overhead_metric"]
    b, m = report["baseline"], report["memo"]
    lines = [f"target {report['target']}: {metric} baseline {b[metric]:,}, memo {m[metric]:,}, "
             f"overhead {report['overhead_percent']:+.2f} %"]
    if "fmax_change_percent" in report:
        lines.append(f"Fmax baseline {b['fmax_mhz']:.1f} MHz, memo {m['fmax_mhz']:.1f} MHz "
                     f"({report['fmax_change_percent']:+.2f} %)")
    delta = "delta" in report
    if delta:
        d = report["delta"]
        lines.append(f"delta build: {metric} {d[metric]:,}, overhead "
                     f"{report['delta_overhead_percent']:+.2f} %"
                     + (f", Fmax {d['fmax_mhz']:.1f} MHz" if "fmax_mhz" in d else ""))
    others = ", ".join(f"{k} {v:+.2f} %" for k, v in report["overhead_by_metric"].items()
                       if k != metric)
    if others:
        lines.append(f"other metrics: {others}")
    lines.append(f"{'unit':<12}{'baseline ' + metric:>24}{'memo ' + metric:>24}"
                 f"{'overhead %':>12}" + (f"{'delta ' + metric:>24}{'overhead %':>12}"
                                          if delta else ""))
    for unit, u in report["units"].items():
        lines.append(f"{unit:<12}{u['baseline_' + metric]:>24,}{u['memo_' + metric]:>24,}"
                     f"{u['overhead_percent']:>12.2f}"
                     + (f"{u['delta_' + metric]:>24,}{u['delta_overhead_percent']:>12.2f}"
                        if delta else ""))
    if "bitstream" in report:
        lines.append(f"bitstream: {report['bitstream']}")
    return "\n".join(lines)
