"""``epur demo``: the whole flow on the default configuration and workload.

1. generate the default accelerator's Verilog (baseline and memo builds);
2. evaluate the golden model on the workload's whole test split (all predictors, a threshold
   sweep), the threshold of ``bnn`` chosen on data the test split does not contain;
3. simulate both builds under cocotb on the whole test split (Verilator when installed, which
   ``make demo`` does; ``--sequences N`` keeps the first N) at that threshold and check every h
   and counter against the golden model, cycles included;
4. synthesize both builds (generic Yosys by default) for the area overhead;
5. print one summary and write ``report.md``, ``summary.json`` and the plot under ``--out``.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

from sim.runner import SIMULATORS, sequence_count

NAME = "demo"
HELP = "run the whole flow (generate, evaluate, simulate, synthesize) on the default"
WORKLOAD = "jvowels-lstm"


def add_arguments(p):
    p.add_argument("--config", type=Path,
                   help="accelerator config (.json/.toml); default: the built-in default")
    p.add_argument("--workload", default=WORKLOAD,
                   help=f"workload the accelerator runs (default {WORKLOAD})")
    p.add_argument("--sequences", type=sequence_count, default=None,
                   help="test sequences simulated in RTL for each build, or 'all' (default: "
                        "all, the whole test split)")
    p.add_argument("--sim", choices=SIMULATORS,
                   help="simulator (default: $SIM, else verilator when installed, else icarus)")
    p.add_argument("--targets", default="generic",
                   help="synthesis targets, comma-separated: generic, ice40, ecp5 "
                        "(default generic; '' skips synthesis)")
    p.add_argument("--out", type=Path, default=Path("build/demo"), help="report directory")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON document")


def _step(text: str) -> float:
    print(f"== {text}", file=sys.stderr, flush=True)
    return time.perf_counter()


def _done(t0: float, text: str = "") -> None:
    print(f"   {text}{' ' if text else ''}({time.perf_counter() - t0:.1f} s)", file=sys.stderr,
          flush=True)


def run(args) -> int:
    from core.config import DEFAULT, load_config
    from core.errors import InputError
    from core.io import write_atomic
    from core.params import config_for
    from hw.top import generate_verilog
    from sim.runner import progress_bar, simulate, simulator_name
    from synth.flow import TARGETS, synthesize
    from workloads import get
    from workloads.evaluate import Progress, choose_on, format_table, plot, sweep

    targets = [t for t in args.targets.split(",") if t]
    for t in targets:
        if t not in TARGETS:
            raise InputError(f"unknown synthesis target {t!r}: choose from {', '.join(TARGETS)}")
    if args.sequences is not None and args.sequences < 1:
        raise InputError(f"--sequences must be >= 1, not {args.sequences}")
    sim = simulator_name(args.sim)
    base_cfg = DEFAULT if args.config is None else load_config(args.config)
    workload = get(args.workload)
    cfg = config_for(workload.params, base_cfg, predictor="bnn")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()

    t0 = _step(f"1/5 generate: {cfg.cell.upper()} X={cfg.input_size} H={cfg.hidden_size} "
               f"L={cfg.layers} N={cfg.lanes} B={cfg.bnn_bits}")
    builds = cfg.builds()
    rtl = out / "rtl"
    rtl.mkdir(exist_ok=True)
    for kind, c in builds.items():
        write_atomic(rtl / f"{c.name}_{kind}.v", generate_verilog(c))
        write_atomic(rtl / f"config_{kind}.json", c.to_json())
    _done(t0, f"Verilog in {rtl}")

    t0 = _step(f"2/5 evaluate the golden model on the whole {args.workload} test split")
    doc = sweep(args.workload)
    val = sweep(args.workload, split="val")
    picks = choose_on(val, doc)
    print(format_table(doc), file=sys.stderr)
    theta = picks.get("bnn")
    if theta is None:
        theta = 0.0
        print("   no bnn threshold stays within budget on the validation data; using theta 0 "
              "(reuse only when the BNN output equals the memoized one)", file=sys.stderr)
    point = next(p for p in doc["points"] if p["predictor"] == "bnn" and p["theta"] == theta) \
        if picks.get("bnn") is not None else None
    write_atomic(out / f"{args.workload}.json", json.dumps(doc, indent=1) + "\n")
    plot([doc], out / f"{args.workload}.png")
    _done(t0)

    n = len(workload.test_lengths) if args.sequences is None else \
        min(args.sequences, len(workload.test_lengths))
    t0 = _step(f"3/5 simulate both builds on {sim} ({n} test sequences, theta {theta})")
    x, lengths = workload.test_x[:n], workload.test_lengths[:n]
    x = x[:, :int(lengths.max())]
    sims = {}
    for kind, c in builds.items():
        with contextlib.ExitStack() as stack:
            progress = progress_bar(stack, Progress, n, f"   {kind}", not args.json)
            sims[kind] = simulate(c, workload.params, x, lengths, theta=theta,
                                  root=out / "sim", run_name=kind, simulator=sim,
                                  progress=progress)
            progress(n)
    exact = all(s.ok for s in sims.values())
    rtl_cycles = {k: int(s.counters["cycles"].sum()) for k, s in sims.items()}
    model_cycles = {k: int(s.golden.cycles.sum()) for k, s in sims.items()}
    _done(t0, "bit-exact" if exact else "MISMATCH")

    synth_reports = {}
    for target in targets:
        t0 = _step(f"4/5 synthesize baseline and memo ({target})")
        synth_reports[target] = synthesize(cfg, target, out / "synth")
        _done(t0, f"memo overhead {synth_reports[target]['overhead_percent']:.2f} %")

    t0 = _step("5/5 report")
    summary = {
        "workload": args.workload, "config": cfg.to_dict(), "theta": theta,
        "metric": doc["metric"], "float": doc["float"], "fixed_point": doc["baseline"],
        "loss_budget": doc["loss_budget"],
        "bnn": point, "oracle_at_budget": _best(doc, "oracle"),
        "rtl": {"simulator": sim, "sequences": n,
                "whole_split": n == len(workload.test_lengths), "bit_exact": exact,
                "cycles": rtl_cycles,
                "cycle_model": model_cycles,
                "speedup": rtl_cycles["baseline"] / rtl_cycles["memo"],
                "reuse": sims["memo"].golden.reuse},
        "synthesis": {t: {"overhead_percent": r["overhead_percent"],
                          "metric": r.get("overhead_metric"),
                          "baseline": r["baseline"], "memo": r["memo"]}
                      for t, r in synth_reports.items()},
        "seconds": round(time.perf_counter() - t_start, 1),
    }
    write_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n")
    write_atomic(out / "report.md", _report(summary, doc))
    _done(t0, f"{out / 'report.md'}")
    if args.json:
        print(json.dumps(summary))
    else:
        print(_summary_text(summary))
    return 0 if exact else 1


def _best(doc, predictor):
    from workloads.evaluate import chosen

    return chosen(doc).get(predictor)


def _summary_text(s: dict) -> str:
    unit = " points" if s["metric"] in ("accuracy", "agreement") else ""
    lines = [f"epur demo: {s['workload']}, {s['metric']} float {s['float']:.4g}, fixed point "
             f"{s['fixed_point']:.4g} (budget {s['loss_budget']:.3g}{unit})"]
    p = s["bnn"]
    if p:
        lines.append(f"  bnn at theta {s['theta']:g} (chosen on validation data): reuse "
                     f"{100 * p['reuse']:.1f} %, loss {p['loss']:.3f}{unit}, speedup "
                     f"{p['speedup']:.3f}x, energy saving {100 * p['energy_saving']:.1f} % "
                     f"(whole test split, golden + cycle model)")
    r = s["rtl"]
    split = " (the whole test split)" if r.get("whole_split") else ""
    lines.append(f"  RTL ({r.get('simulator', 'icarus').capitalize()}, {r['sequences']} "
                 f"sequences{split}): "
                 f"{'bit-exact' if r['bit_exact'] else 'MISMATCH'}, cycles baseline "
                 f"{r['cycles']['baseline']} / memo {r['cycles']['memo']} = "
                 f"{r['speedup']:.3f}x (cycle model {r['cycle_model']['baseline']} / "
                 f"{r['cycle_model']['memo']})")
    for t, rep in s["synthesis"].items():
        lines.append(f"  area ({t}): memo overhead {rep['overhead_percent']:.2f} % of "
                     f"{rep['metric']}")
    lines.append(f"  {s['seconds']:.0f} s in all")
    return "\n".join(lines)


def _report(s: dict, doc: dict) -> str:
    from workloads.evaluate import format_table

    return "\n".join([
        "# epur demo report", "",
        "```", _summary_text(s), "```", "",
        f"## Sweep of {s['workload']} (golden model, whole test split)", "",
        "```", format_table(doc), "```", "",
        f"![reuse and loss against theta]({s['workload']}.png)", "",
        "## Configuration", "", "```json", json.dumps(s["config"], indent=1), "```", "",
    ])
