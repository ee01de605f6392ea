"""The ghost build's area against plain builds (GhostRNN, issue 15): docs/synthesis.md's table.

``python -m synth.ghost_area [--config C] [--ratio R] [--target T] [--out DIR] [--json FILE]``
synthesizes three baseline builds (predictor none) with Yosys (synth/flow.py ``run_build``):
the plain build of the config's H, the ghost build of the same H at ghost ratio R (default 0.5)
and the plain build whose H gives the parameter count nearest the ghost model's, and writes
each build's parameters, weight words on chip and baseline cycles per timestep
(golden/cycles.py) with, for target ``generic`` (the default; the default config), the generic
transistors (total and per unit) and memory bits, for ``ecp5`` (place and route on the
LFE5U-85F; the small config tests/synth/ice40_small.toml) LUTs, FFs, block RAMs, DSPs and Fmax,
as JSON (``--json`` replaces the target's entry and keeps the other's). ``--table FILE`` prints the
markdown table of such a JSON file; with ``--write DOC`` it replaces the text between
``<!-- ghost-area -->`` and ``<!-- /ghost-area -->`` in DOC instead
(tests/synth/test_ghost_area.py checks that docs/synthesis.md holds that table).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from core.config import DEFAULT, load_config
from core.io import write_atomic
from golden import cycles
from synth import regions, units
from synth.flow import run_build, write_verilog

REGION = regions.region("ghost-area")
RATIOS_REGION = regions.region("ghost-area-ratios")
# the stored reports of every ghost ratio measured (ratio 0.5: the one of REGION's table)
RATIO_FILES = ("docs/data/ghost_area_r0.25.json", "docs/data/ghost_area.json",
               "docs/data/ghost_area_r0.75.json")
METRICS = {"generic": ("transistors", "cells", "ffs", "memory_bits"),
           "ecp5": ("luts", "ffs", "brams", "dsps", "fits", "fmax_mhz")}
NAMES = ("plain", "ghost", "plain_same_params")


def parameters(cfg) -> int:
    """Parameters of the model ``cfg`` runs: per layer g*I*(X_l + H) + 2gI (+ G*I + G)."""
    g, n, ghost = cfg.gates, cfg.intrinsic_size, cfg.ghost_size
    return sum(g * n * cfg.row_length(k) + 2 * g * n + ghost * n + ghost
               for k in range(cfg.layers))


def weight_words(cfg) -> int:
    """Weights held on chip: the compute units' rows (g*I*(X_l + H) a layer) and the ghost
    unit's W_gh (G*I a layer); biases apart."""
    return sum(cfg.gates * cfg.intrinsic_size * cfg.row_length(k)
               + cfg.ghost_size * cfg.intrinsic_size for k in range(cfg.layers))


def step_cycles(cfg) -> int:
    """Baseline cycles of one timestep, every layer (golden/cycles.py)."""
    return sum(cycles.baseline_step_cycles(cfg, k) for k in range(cfg.layers))


def step_energy_pj(cfg) -> float:
    """Energy of one timestep of the baseline build (golden/energy.py; predictor none counts
    the same events whatever the data)."""
    from core.params import random_params
    from golden.energy import energy
    from golden.model import run_fixed

    params = random_params(cfg.cell, cfg.input_size, cfg.hidden_size, cfg.layers,
                           ghost_size=cfg.ghost_size)
    result = run_fixed(cfg, params, np.zeros((1, 1, cfg.input_size)))
    return round(energy(result)["total"], 1)


def model_figures(cfg) -> dict:
    return {"parameters": parameters(cfg), "weight_words": weight_words(cfg),
            "step_cycles": step_cycles(cfg), "step_energy_pj": step_energy_pj(cfg)}


def same_parameters(cfg, target: int):
    """The plain config (ghost_ratio 0) whose H gives the parameter count nearest ``target``."""
    plain = dataclasses.replace(cfg, ghost_ratio=0.0)
    return min((dataclasses.replace(plain, hidden_size=h) for h in range(1, cfg.hidden_size + 1)),
               key=lambda c: (abs(parameters(c) - target), c.hidden_size))


def builds(cfg, ratio: float) -> dict:
    """The three builds compared, by name (every one predictor none)."""
    plain = dataclasses.replace(cfg, predictor="none", ghost_ratio=0.0)
    ghost = dataclasses.replace(plain, ghost_ratio=ratio)
    return {"plain": plain, "ghost": ghost,
            "plain_same_params": same_parameters(plain, parameters(ghost))}


def report(results: dict, configs: dict, target: str = "generic") -> dict:
    """One target's entry: the configs, the builds' metrics (and generic units), the models'
    parameters, weight words and cycles."""
    out = {"configs": {name: {k: v for k, v in c.to_dict().items() if not k.endswith("_format")}
                       for name, c in configs.items()},
           "builds": {name: {k: r["metrics"].get(k) for k in METRICS[target]}
                      for name, r in results.items()},
           "model": {name: model_figures(c) for name, c in configs.items()}}
    if target == "generic":
        out["units"] = {name: {u: r["units"][u].get("transistors", 0) for u in units.UNITS}
                        for name, r in results.items()}
    return out


def _change(value, ref) -> str:
    return f"{100.0 * (value - ref) / ref:+.1f} %" if ref else "n/a"


def table(doc: dict) -> str:
    """Markdown of the stored report: the generic table, then the ECP5 one when present."""
    text = _generic_table(doc["generic"])
    if "ecp5" in doc:
        text += "\n" + _ecp5_table(doc["ecp5"])
    return text


def ratios_table(docs: list[dict]) -> str:
    """Markdown: per ghost ratio (one stored report each, ascending), the ghost build against
    the plain build of the same H and the plain build of as many parameters: the models'
    parameters, cycles and energy a timestep, generic transistors (default config) and, where
    stored, ECP5 LUTs and Fmax (small config)."""
    head = ["ghost ratio", "G / H", "parameters", "cycles / step", "energy / step",
            "transistors, ghost", "transistors, plain of as many parameters",
            "ECP5 LUTs, ghost / plain / as many parameters", "ECP5 Fmax (MHz), same"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for doc in sorted(docs, key=lambda d: d["generic"]["configs"]["ghost"]["ghost_ratio"]):
        g = doc["generic"]
        m, b, c = g["model"], g["builds"], g["configs"]
        ref_m, ref_t = m["plain"], b["plain"]["transistors"]
        ghost = c["ghost"]
        same = c["plain_same_params"]
        cells = [f"{ghost['ghost_ratio']:g}",
                 f"{round(ghost['ghost_ratio'] * ghost['hidden_size'])} / {ghost['hidden_size']}",
                 f"{m['ghost']['parameters']:,} "
                 f"({_change(m['ghost']['parameters'], ref_m['parameters'])})",
                 f"{m['ghost']['step_cycles']:,} "
                 f"({_change(m['ghost']['step_cycles'], ref_m['step_cycles'])})",
                 _change(m['ghost']['step_energy_pj'], ref_m['step_energy_pj']),
                 f"{b['ghost']['transistors']:,} ({_change(b['ghost']['transistors'], ref_t)})",
                 f"{b['plain_same_params']['transistors']:,} (H {same['hidden_size']}, "
                 f"{_change(b['plain_same_params']['transistors'], ref_t)})"]
        e = doc.get("ecp5")
        if e:
            eb = e["builds"]
            cells.append(" / ".join(f"{eb[n]['luts']:,}" for n in ("ghost", "plain",
                                                                  "plain_same_params")))
            cells.append(" / ".join(f"{eb[n]['fmax_mhz']:.2f}" if eb[n].get("fmax_mhz")
                                    else "does not fit"
                                    for n in ("ghost", "plain", "plain_same_params")))
        else:
            cells += ["not measured", "not measured"]
        rows.append("| " + " | ".join(cells) + " |")
    return ("\n".join(rows) + "\n\nChanges against the plain build of the same H (64, the default "
            "config; ECP5: the small config's H). `python -m synth.ghost_area --ratio R --json "
            "FILE` measures a ratio; `python -m synth.ghost_area --ratios-table "
            + " ".join(RATIO_FILES) + " --write docs/synthesis.md` writes this table "
            "(tests/synth/test_ghost_area.py).\n")


def _ecp5_table(doc: dict) -> str:
    head = ["build", "H", "G", "parameters", "cycles / step", "LUTs", "FFs", "BRAMs", "DSPs",
            "Fmax (MHz)"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    model, b, c = doc["model"], doc["builds"], doc["configs"]
    for name in NAMES:
        m, cfg, r = model[name], c[name], b[name]
        ghost = round(cfg["ghost_ratio"] * cfg["hidden_size"])
        fmax = f"{r['fmax_mhz']:.2f}" if r.get("fmax_mhz") else "does not fit"
        rows.append(f"| {name.replace('_', ' ')} | {cfg['hidden_size']} | {ghost} | "
                    f"{m['parameters']:,} | {m['step_cycles']:,} | {r['luts']:,} | "
                    f"{r['ffs']:,} | {r['brams']} | {r['dsps']} | {fmax} |")
    p = c["plain"]
    return ("\n".join(rows) + f"\n\nECP5 (LFE5U-85F, synth/nextpnr.py's seed), baseline builds of "
            f"the small config `{p['name']}` (X = {p['input_size']}, L = {p['layers']}, "
            f"N = {p['lanes']}).\n")


def _generic_table(doc: dict) -> str:
    """Markdown: per build, H and G, parameters, weight words, cycles a step, transistors (and
    the change against the plain build of the same H), memory bits; then per unit."""
    head = ["build", "H", "G", "parameters", "weight words", "cycles / step",
            "energy / step (nJ)", "transistors", "memory bits"]
    rows = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    model, b, c = doc["model"], doc["builds"], doc["configs"]
    ref_m, ref_b = model["plain"], b["plain"]
    for name in NAMES:
        m, cfg = model[name], c[name]
        ghost = round(cfg["ghost_ratio"] * cfg["hidden_size"])
        rows.append(
            f"| {name.replace('_', ' ')} | {cfg['hidden_size']} | {ghost} | "
            f"{m['parameters']:,} ({_change(m['parameters'], ref_m['parameters'])}) | "
            f"{m['weight_words']:,} ({_change(m['weight_words'], ref_m['weight_words'])}) | "
            f"{m['step_cycles']:,} ({_change(m['step_cycles'], ref_m['step_cycles'])}) | "
            f"{m['step_energy_pj'] / 1e3:.1f} "
            f"({_change(m['step_energy_pj'], ref_m['step_energy_pj'])}) | "
            f"{b[name]['transistors']:,} ({_change(b[name]['transistors'], ref_b['transistors'])})"
            f" | {b[name]['memory_bits']:,} |")
    u = doc["units"]
    urows = ["| unit | " + " | ".join(n.replace("_", " ") for n in NAMES) + " |",
             "|---|" + "---:|" * len(NAMES)]
    for unit in units.UNITS:
        if any(u[n][unit] for n in NAMES):
            urows.append(f"| {unit} | " + " | ".join(f"{u[n][unit]:,}" for n in NAMES) + " |")
    p = c["plain"]
    return ("\n".join(rows) + "\n\n" + "\n".join(urows) + f"\n\nGeneric transistors "
            f"(synth/yosys.py's model), baseline builds (predictor none) of the "
            f"{p['cell'].upper()} config X = {p['input_size']}, L = {p['layers']}, "
            f"N = {p['lanes']}; changes against the plain build of the same H. The ghost "
            f"unit (hw/ghost.py) counts in `mu` (its tanh MU), `weights` (W_gh and b_gh) and "
            f"`control` (its N_g multipliers, G accumulators, u select and sequencing).\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.ghost_area",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--config")
    ap.add_argument("--ratio", type=float, default=0.5)
    ap.add_argument("--target", choices=tuple(METRICS), default="generic")
    ap.add_argument("--out", default="build/ghost_area")
    ap.add_argument("--only", choices=NAMES, action="append",
                    help="with --json: synthesize only these builds, keep the stored others")
    ap.add_argument("--model-only", action="store_true",
                    help="with --json: recompute the model figures (parameters, weight words, "
                         "cycles, energy) of the stored entry, no synthesis")
    ap.add_argument("--ratios-table", nargs="+", metavar="FILE",
                    help="the per-ratio table of these stored reports (with --write: into "
                         "DOC's ghost-area-ratios region)")
    regions.add_table_arguments(ap)
    args = ap.parse_args(argv)
    if args.ratios_table:
        text = ratios_table([json.loads(Path(f).read_text()) for f in args.ratios_table])
        if args.write:
            regions.write_region(Path(args.write), "ghost-area-ratios", text)
        else:
            print(text)
        return 0
    if regions.table_only(args, table, "ghost-area"):
        return 0
    cfg = load_config(args.config) if args.config else DEFAULT
    configs = builds(cfg, args.ratio)
    if args.model_only:
        path = Path(args.json)
        doc = json.loads(path.read_text())
        doc[args.target]["model"] = {name: model_figures(c) for name, c in configs.items()}
        write_atomic(path, json.dumps(doc, indent=1) + "\n")
        return 0
    out = Path(args.out) / args.target
    doc = {}
    if args.json and Path(args.json).exists():
        doc = json.loads(Path(args.json).read_text())
    if args.only and args.target not in doc:
        raise SystemExit(f"--only needs a stored {args.target} entry in --json")
    results = {}
    for name, c in configs.items():         # one synthesis at a time (a shared machine)
        if args.only and name not in args.only:
            continue
        write_verilog(c, args.target, out / name / f"{c.name}.v")
        results[name] = run_build(args.target, c, out / name, args.target != "generic")
    entry = report(results, {name: configs[name] for name in results}, args.target)
    if args.only:                           # the stored builds' figures, the new ones merged
        stored = doc[args.target]
        for key in ("configs", "builds", "units", "model"):
            if key in stored:
                entry[key] = {**stored[key], **entry.get(key, {})}
        entry["model"] = {name: model_figures(c) for name, c in configs.items()}
    entry["command"] = (f"python -m synth.ghost_area --target {args.target}"
                        + (f" --config {args.config}" if args.config else "")
                        + f" --ratio {args.ratio} --json {args.json or 'FILE'}")
    doc[args.target] = entry
    if args.json:
        write_atomic(Path(args.json), json.dumps(doc, indent=1) + "\n")
    print(_generic_table(entry) if args.target == "generic" else _ecp5_table(entry))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
