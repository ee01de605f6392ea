"""Fmax and FPGA area of the dynamic-precision builds (issue 13): docs/synthesis.md's table.

``python -m synth.precision_fmax [--config C] [--targets T ...] [--out DIR] [--json FILE]``
places and routes the four builds of synth/precision_area.py (baseline, precision, memo, memo +
precision) of the iCE40 config (default: tests/synth/ice40_small.toml) with the synth flow
(synth/flow.py ``run_build``: Yosys ``synth_<target>``, nextpnr at synth/nextpnr.py's seed) on
each target (default: ``ice40``, the HX8K, and ``ecp5``, the LFE5U-85F: the precision builds do
not fit the HX8K) and writes LUTs, FFs, block RAMs, DSPs, logic cells and Fmax of each, with
the precision builds' overheads against the baseline and against the memo build, as JSON
(``{"targets": {target: report}}``; ``--json`` replaces the entries of the targets run and keeps
the others). A build that does not fit keeps its synthesis figures and a note (no Fmax).

The iCE40 config has 8-bit weights and data, and a precision build carries two 8-bit low words
in each weight and data word (hw/precision.py ``require_pairs``), so every build here, the
baseline included, takes the config with 16-bit weights and data (``widen``: the same integer
bits, 8 more fraction bits) and ``low_data_frac`` equal to the config's own data fraction bits
(4: a low data word is Q4.4, the config's data word; a low weight its Q2.6 weight).

``--table FILE`` prints the markdown table of such a JSON file; with ``--write DOC`` it replaces
the text between ``<!-- precision-fmax -->`` and ``<!-- /precision-fmax -->`` in DOC instead
(tests/synth/test_precision_fmax.py checks that the document holds that table).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.config import load_config
from core.io import write_atomic
from synth import nextpnr, regions
from synth.flow import run_build, write_verilog
from synth.precision_area import builds as area_builds

TARGETS = ("ice40", "ecp5")
CONFIG = Path(__file__).resolve().parents[1] / "tests/synth/ice40_small.toml"
WIDTH = 16
PAIRS = (("precision", "baseline"), ("precision_memo", "memo"))
NAMES = {"baseline": "baseline", "precision": "precision", "memo": "memo",
         "precision_memo": "memo + precision"}
REGION = regions.region("precision-fmax")
METRICS = ("luts", "ffs", "brams", "dsps", "carries", "pnr_lcs", "pnr_combs", "pnr_brams",
           "pnr_dsps", "fits", "fmax_mhz")
AREA = ("luts", "ffs", "brams", "dsps", "pnr_lcs", "pnr_combs")


def widen(fmt):
    """``fmt`` at ``WIDTH`` bits, the same integer bits (the extra bits are fraction bits)."""
    return dataclasses.replace(fmt, width=WIDTH, frac=fmt.frac + WIDTH - fmt.width)


def prepare(cfg):
    """The config every build starts from: weights and data widened to ``WIDTH`` bits at the
    same scale, the low data word at the config's own data fraction bits."""
    return dataclasses.replace(cfg, weight_format=widen(cfg.weight_format),
                               data_format=widen(cfg.data_format),
                               low_data_frac=cfg.data_format.frac)


def builds(cfg) -> dict:
    """The four builds compared, by name (synth/precision_area.py's, of ``prepare(cfg)``)."""
    return area_builds(prepare(cfg))


def report(results: dict, cfg, target: str) -> dict:
    """Figures and overheads of the builds' ``run_build`` results on ``target``."""
    c = prepare(cfg)
    out = {"target": target, "device": nextpnr.DEVICE_NAMES[target],
           "asked_mhz": nextpnr.DEVICES[target][2], "seed": nextpnr.SEED,
           "config": {k: (str(v) if k.endswith("_format") else v)
                      for k, v in c.to_dict().items()
                      if k not in ("predictor", "precision")},
           "builds": {name: {k: r["metrics"][k] for k in METRICS if k in r["metrics"]}
                      for name, r in results.items()},
           "notes": [f"{NAMES[name]}: {n}" for name, r in results.items() for n in r["notes"]]}
    for k in ("weight_format", "data_format", "theta_format"):
        out["config"][k] = str(getattr(c, k))
    for build, ref in PAIRS:
        b, r = out["builds"][build], out["builds"][ref]
        over = {k: _percent(b[k] - r[k], r[k]) for k in AREA if k in b and k in r}
        if "fmax_mhz" in b and "fmax_mhz" in r:
            over["fmax_mhz"] = _percent(b["fmax_mhz"] - r["fmax_mhz"], r["fmax_mhz"])
        out[f"{build}_vs_{ref}_percent"] = over
    return out


def _percent(delta, base) -> float:
    return round(100.0 * delta / base, 2) if base else 0.0


def _cell(figures: dict, key: str, fmt: str = ",") -> str:
    return format(figures[key], fmt) if key in figures else "-"


def table(doc: dict) -> str:
    """Markdown: the table of each target's report."""
    return "\n".join(target_table(doc["targets"][t]) for t in TARGETS if t in doc["targets"])


def target_table(doc: dict) -> str:
    """Markdown: per build, LUTs, FFs, block RAMs, DSPs, logic cells, Fmax and the
    overheads."""
    cells = "pnr_lcs" if doc["target"] == "ice40" else "pnr_combs"
    head = ["build", "LUTs", "FFs", "BRAMs", "DSPs", "logic cells", "Fmax (MHz)", "LUTs vs ref",
            "Fmax vs ref"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    refs = {build: ref for build, ref in PAIRS}
    for name, label in NAMES.items():
        f = doc["builds"][name]
        fmax = _cell(f, "fmax_mhz", ".2f") if f.get("fits", 1) else "does not fit"
        if name in refs:
            o = doc[f"{name}_vs_{refs[name]}_percent"]
            luts = f"{o['luts']:+.2f} % ({NAMES[refs[name]]})"
            fchange = f"{o['fmax_mhz']:+.2f} %" if "fmax_mhz" in o else "-"
        else:
            luts = fchange = ""
        rows.append(f"| {label} | {_cell(f, 'luts')} | {_cell(f, 'ffs')} | {_cell(f, 'brams')} "
                    f"| {_cell(f, 'dsps')} | {_cell(f, cells)} | {fmax} | {luts} | {fchange} |")
    c, t = doc["config"], doc["target"]
    text = (f"**{doc['device']}**\n\n" + "\n".join(rows) + f"\n\nYosys synth_{t} and "
            f"nextpnr-{t} (seed {doc['seed']}, {doc['asked_mhz']} MHz asked, timing allowed to "
            f"fail; logic cells: {'ICESTORM_LC' if t == 'ice40' else 'TRELLIS_COMB'}); the "
            f"{c['cell'].upper()} config "
            f"X = {c['input_size']}, H = {c['hidden_size']}, L = {c['layers']}, "
            f"N = {c['lanes']}, B = {c['bnn_bits']}, weights {c['weight_format']}, data "
            f"{c['data_format']}, low data words Q{8 - c['low_data_frac']}."
            f"{c['low_data_frac']} (low_data_frac = {c['low_data_frac']}). LUTs, FFs and "
            f"BRAMs from synthesis, logic cells and Fmax from place and route.\n")
    for note in doc.get("notes", []):
        text += f"\n- {note}"
    return text + ("\n" if doc.get("notes") else "")


def measure(cfg, target: str, out: Path, workers: int = 2) -> dict:
    """Place and route the four builds of ``cfg`` on ``target`` under ``out``; the report."""
    configs = builds(cfg)
    for name, c in configs.items():
        write_verilog(c, target, out / name / f"{c.name}.v")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(run_build, target, c, out / name, True)
                   for name, c in configs.items()}
        results = {name: f.result() for name, f in futures.items()}
    return report(results, cfg, target)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.precision_fmax",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=str(CONFIG))
    ap.add_argument("--out", default="build/precision_fmax")
    regions.add_table_arguments(ap)
    ap.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if regions.table_only(args, table, "precision-fmax"):
        return 0
    cfg = load_config(args.config)
    doc = {"targets": {t: measure(cfg, t, Path(args.out) / t, args.workers)
                       for t in args.targets}}
    if args.json:
        path = Path(args.json)
        old = json.loads(path.read_text())["targets"] if path.is_file() else {}
        merged = {t: doc["targets"].get(t, old.get(t)) for t in TARGETS
                  if t in doc["targets"] or t in old}
        write_atomic(path, json.dumps({"targets": merged}, indent=1) + "\n")
    print(table(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
