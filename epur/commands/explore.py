"""``epur explore``: a design-space sweep (lanes, BNN bits, formats, scheme, theta x workloads)
with synthesis of each distinct hardware config, on Dask, into a results store that survives
interruption.

A *point* is (workload, lanes, bnn_bits, weight and data format, scheme, theta). Its golden run
(workloads/evaluate.py: the fixed-point model and the cycle and energy models) gives reuse,
metric loss against the same hardware's baseline (predictor none), speedup and energy saving. A
*hardware config* is a point without its theta (the threshold is a register): each distinct one
is synthesized once (generic Yosys, synth/flow.py ``run_build``; ``--synth none`` skips it) for
its area. Every point and every hardware config is a task on the Dask engine
(workloads/engine.py: a local cluster, or ``--scheduler ADDRESS``).

The store (``--store DIR``) holds one JSON file per point (``points/<key>.json``) and per
hardware config (``hw/<key>.json``), each written atomically by this process as its task
finishes, named by a hash of everything that shapes it; a rerun reads what is there and runs
only the rest, so an interrupted exploration loses at most the tasks in flight. At the end,
``explore.json`` joins them (each point with its hardware's area) and ``--plot`` draws the
Pareto fronts: speedup and energy saving against area (``--synth none``: against loss), of the
points within the workload's loss budget.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

from core.errors import InputError
from core.fixed import FixedFormat
from core.io import check_directory, check_output, write_atomic
from epur.arguments import add_user_model

NAME = "explore"
HELP = ("design-space exploration on Dask: lanes, BNN bits, formats, schemes and thresholds x "
        "workloads, with synthesis, into a resumable results store; Pareto fronts")

SCHEMES = ("bnn", "delta", "mbnn", "oracle")
HW_SCHEME = {"bnn": "bnn", "delta": "delta"}        # mbnn and oracle have no hardware
SYNTH = ("generic", "none")
RECORD_VERSION = 1
AREA_KEYS = ("transistors", "cells", "ffs", "memory_bits")


def add_arguments(p) -> None:
    p.add_argument("--workload", "-w", action="append", metavar="W",
                   help="workload (repeat or comma-separate; default jvowels-lstm,jvowels-gru, "
                        "none with --model)")
    add_user_model(p, "also explore a user's own model (metric: agreement with its float "
                      "model)")
    p.add_argument("--calibrate", action="store_true",
                   help="with --model: its weight and data formats chosen from --inputs first "
                        "(as epur calibrate), in place of --formats for it")
    p.add_argument("--lanes", default="8", metavar="N,N,...", help="lanes N (default 8)")
    p.add_argument("--bnn-bits", default="40", metavar="B,B,...", help="BNN bits (default 40)")
    p.add_argument("--formats", metavar="QW/QD,...",
                   help="weight/data format pairs such as Q4.12/Q5.11 (default: the config's)")
    p.add_argument("--schemes", default="bnn,delta", metavar="S,S,...",
                   help=f"predictors besides the baseline ({', '.join(SCHEMES)}; default "
                        f"bnn,delta)")
    p.add_argument("--thetas", default="0.125,0.25", metavar="T,T,...",
                   help="thresholds of every scheme (default 0.125,0.25)")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N test sequences")
    p.add_argument("--synth", choices=SYNTH, default="generic",
                   help="synthesize each distinct hardware config with generic Yosys (default) "
                        "or not (none)")
    p.add_argument("--store", type=Path, default=Path("build/explore"), metavar="DIR",
                   help="results store: one file per point and per hardware config; a rerun "
                        "skips what is there (default build/explore)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="Dask scheduler of an existing cluster (tcp://host:8786); default: a "
                        "local cluster")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="local Dask workers (default: one per core; 1: in this process)")
    p.add_argument("--plot", type=Path, metavar="FILE", help="draw the Pareto fronts to FILE")
    p.add_argument("--json", action="store_true", help="print explore.json on stdout")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


# -- the grid -------------------------------------------------------------------------------------


def _ints(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--{what} must be integers separated by commas, not {text!r}") from None
    if not values:
        raise InputError(f"--{what} is empty")
    return list(dict.fromkeys(values))


_FORMAT = re.compile(r"Q(\d+)\.(\d+)")


def parse_format(text: str) -> FixedFormat:
    """``Q4.12`` (integer bits, sign included . fraction bits) -> FixedFormat(16, 12)."""
    m = _FORMAT.fullmatch(text.strip())
    if not m:
        raise InputError(f"format {text!r} is not Q<integer bits>.<fraction bits> (e.g. Q4.12)")
    try:
        return FixedFormat(int(m[1]) + int(m[2]), int(m[2]))
    except ValueError as e:
        raise InputError(f"format {text}: {e}") from None


def _formats(text: str | None) -> list:
    if text is None:
        return [None]
    out = []
    for pair in text.split(","):
        parts = pair.split("/")
        if len(parts) != 2:
            raise InputError(f"--formats takes weight/data pairs such as Q4.12/Q5.11, not "
                             f"{pair!r}")
        out.append(tuple(parse_format(p) for p in parts))
    return out


def grid(args) -> dict:
    """The axes of the exploration, checked."""
    from workloads import NAMES
    from workloads.evaluate import parse_thetas

    names = []
    default = [] if args.model is not None else ["jvowels-lstm,jvowels-gru"]
    for item in args.workload or default:
        for n in (x.strip() for x in item.split(",")):
            if n not in NAMES:
                raise InputError(f"unknown workload {n!r}: choose one of {', '.join(NAMES)}")
            names.append(n)
    schemes = [s.strip() for s in args.schemes.split(",") if s.strip()]
    for s in schemes:
        if s not in SCHEMES:
            raise InputError(f"unknown scheme {s!r}: choose from {', '.join(SCHEMES)}")
    try:
        thetas = parse_thetas(args.thetas)
    except ValueError as e:
        raise InputError(f"--thetas: {e}") from None
    calibrated = {}
    if args.calibrate and args.model is None:
        raise InputError("--calibrate needs --model and --inputs")
    if args.model is not None or args.inputs is not None:
        spec, calibrated = _user_spec(args)
        names.append(spec)
    return {"workloads": list(dict.fromkeys(names)), "lanes": _ints(args.lanes, "lanes"),
            "bnn_bits": _ints(args.bnn_bits, "bnn-bits"), "formats": _formats(args.formats),
            "schemes": list(dict.fromkeys(schemes)), "thetas": list(dict.fromkeys(thetas)),
            "calibrated": calibrated}


def _user_spec(args):
    """The user's model as a workload (workloads/user.py), checked here: bad files are one
    line before any worker starts; with ``--calibrate``, {its name: the config overrides
    epur calibrate chooses on its inputs}."""
    from workloads.user import UserSpec, load

    if args.model is None or args.inputs is None:
        raise InputError("--model and --inputs go together")
    spec = UserSpec(str(args.model), str(args.inputs))
    w = load(spec)
    if not args.calibrate:
        return spec, {}
    from core.params import config_for
    from workloads.calibrate import calibrate

    cfg, _, reasons = calibrate(config_for(w.params), w.params, w.test_x, w.test_lengths)
    for line in reasons:
        print(f"epur explore: calibrate: {line}", file=sys.stderr)
    return spec, {str(spec): {"weight_format": cfg.weight_format,
                              "data_format": cfg.data_format, "lut_frac": cfg.lut_frac}}


def _identity(name) -> dict:
    """What names a workload in the store's keys: a built-in one by name, a user's model by its
    files' paths and contents."""
    if isinstance(name, str):
        return {"workload": name}
    digest = hashlib.sha256()
    for path in (name.model, name.inputs):
        digest.update(Path(path).read_bytes())
    return {"workload": str(name), "model": name.model, "inputs": name.inputs,
            "sha256": digest.hexdigest()}


def key_of(doc: dict) -> str:
    """The store's name of a task: a hash of everything that shapes its result."""
    text = json.dumps({"version": RECORD_VERSION, **doc}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def plan(axes: dict, limit: int | None, synth: str) -> tuple[list, dict]:
    """(points, hardware configs): each point a dict with its ``key``, ``where`` (the sweep key
    of workloads/evaluate.py), its axes and its ``hw`` key; each hardware config by key, its
    config as a dict (None for schemes without hardware)."""
    from core.params import config_for, load_state_dict
    from workloads import get

    points, hardware = [], {}
    for name in axes["workloads"]:
        params = get(name).params if isinstance(name, str) else load_state_dict(name.model)
        identity = _identity(name)
        calibrated = axes.get("calibrated", {}).get(str(name))
        if calibrated:
            identity["calibrated"] = True
        for lanes in axes["lanes"]:
            for bnn_bits in axes["bnn_bits"]:
                for formats in [calibrated] if calibrated else axes["formats"]:
                    overrides = {"lanes": lanes, "bnn_bits": bnn_bits}
                    if isinstance(formats, dict):
                        overrides.update(formats)
                    elif formats is not None:
                        overrides.update(weight_format=formats[0], data_format=formats[1])
                    try:
                        cfg = config_for(params, name="epur_explore", **overrides)
                    except ValueError as e:
                        raise InputError(f"{name}: {e}") from None
                    where = (name, limit, "test", "relative", 0, None,
                             tuple(sorted(overrides.items())))
                    for scheme in axes["schemes"]:
                        hw_key = None
                        if synth != "none" and scheme in HW_SCHEME:
                            hw = hardware_dict(cfg, HW_SCHEME[scheme])
                            hw_key = key_of({"hw": hw, "target": synth})
                            hardware[hw_key] = hw
                        for theta in axes["thetas"]:
                            axes_doc = {"workload": str(name), "lanes": lanes,
                                        "bnn_bits": bnn_bits,
                                        "weight_format": str(cfg.weight_format),
                                        "data_format": str(cfg.data_format), "scheme": scheme,
                                        "theta": theta}
                            points.append({**axes_doc, "where": where, "hw": hw_key,
                                           "key": key_of({**axes_doc, **identity,
                                                          "limit": limit})})
    return points, hardware


def hardware_dict(cfg, predictor: str) -> dict:
    """The config of a hardware build as its key knows it: the fields that differ from the
    config's defaults (a field added to the config later, at its default, keeps the stored
    syntheses' keys)."""
    from core.config import DEFAULT

    default = DEFAULT.to_dict()
    return {k: v for k, v in (cfg.to_dict() | {"predictor": predictor}).items()
            if v != default[k]}


# -- tasks (run on the workers) ------------------------------------------------------------------


def run_task(task: tuple) -> dict:
    """One task of the engine: ``("point", point)`` or ``("hw", config dict, target)``."""
    if task[0] == "point":
        return _point(task[1])
    return _synthesize(task[1], task[2])


def _point(point: dict) -> dict:
    from workloads.evaluate import _setup, point_figures

    where = point["where"]
    w, _ = _setup(where)
    base = point_figures(where, "none", 0.0)
    run = point_figures(where, point["scheme"], point["theta"])
    baseline = base["metric_value"]
    record = {k: point[k] for k in ("key", "workload", "lanes", "bnn_bits", "weight_format",
                                    "data_format", "scheme", "hw")}
    record.update(
        theta=run["theta"], theta_requested=point["theta"], limit=where[1],
        sequences=int(len(w.test_lengths)), metric=w.metric, baseline=baseline,
        metric_value=run["metric_value"], loss=w.loss(baseline, run["metric_value"]),
        loss_budget=w.budget_for(baseline), reuse=run["reuse"], skipped=run["skipped"],
        cycles=run["cycles"], baseline_cycles=base["cycles"],
        speedup=base["cycles"] / run["cycles"],
        energy_saving=1.0 - run["energy_pj"] / base["energy_pj"],
        saturation=run["saturation"], version=RECORD_VERSION)
    record["within_budget"] = bool(record["loss"] <= record["loss_budget"] + 1e-12)
    return record


def _synthesize(hw: dict, target: str) -> dict:
    import tempfile

    from core.config import EpurConfig
    from synth.flow import run_build, write_verilog

    cfg = EpurConfig.from_dict(hw).require_hardware()
    with tempfile.TemporaryDirectory(prefix="epur-explore-") as tmp:
        workdir = Path(tmp)
        write_verilog(cfg, target, workdir / f"{cfg.name}.v")
        metrics = run_build(target, cfg, workdir, pnr=False)["metrics"]
    area = {k: metrics[k] for k in AREA_KEYS if k in metrics}
    timing = {k: v for k, v in metrics.items() if k not in area}
    return {"key": key_of({"hw": hw, "target": target}), "target": target,
            "predictor": cfg.predictor, "area": area, "timing": timing,
            "version": RECORD_VERSION}


# -- the store ------------------------------------------------------------------------------------


def read_record(path: Path, key: str) -> dict | None:
    """The record at ``path`` if it is whole and of ``key``; None otherwise (run it again)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("key") != key \
            or doc.get("version") != RECORD_VERSION:
        return None
    return doc


def pareto(points: list[dict], x: str, y: str) -> list[dict]:
    """The points no other point dominates (x no larger and y no smaller, one strictly), sorted
    by x."""
    front = [p for p in points
             if not any(q[x] <= p[x] and q[y] >= p[y] and (q[x] < p[x] or q[y] > p[y])
                        for q in points)]
    return sorted(front, key=lambda p: (p[x], -p[y]))


def run(args) -> int:
    from workloads.engine import Engine
    from workloads.evaluate import Progress

    axes = grid(args)
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be >= 1, not {args.limit}")
    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs must be >= 1, not {args.jobs}")
    check_directory(args.store, "store")
    if args.plot is not None:
        check_output(args.plot)
    points, hardware = plan(axes, args.limit, args.synth)
    records = {p["key"]: read_record(args.store / "points" / f"{p['key']}.json", p["key"])
               for p in points}
    areas = {k: read_record(args.store / "hw" / f"{k}.json", k) for k in hardware}
    tasks = [("hw", hardware[k], args.synth) for k, v in areas.items() if v is None]
    tasks += [("point", p) for p in points if records[p["key"]] is None]
    done_before = sum(v is not None for v in records.values()) + \
        sum(v is not None for v in areas.values())
    workers = min(args.jobs or _cores(), max(1, len(tasks)))
    with Engine(workers, args.scheduler) as engine, \
            Progress(len(tasks), "explore", not args.quiet) as bar:
        for sub in ("points", "hw"):        # once the engine runs: a bad scheduler writes nothing
            (args.store / sub).mkdir(parents=True, exist_ok=True)
        for _, record in engine.map(run_task, tasks):
            kind = "points" if "scheme" in record else "hw"
            write_atomic(args.store / kind / f"{record['key']}.json",
                         json.dumps(record, indent=1) + "\n")
            (records if kind == "points" else areas)[record["key"]] = record
            bar.step(f"{record.get('workload', record.get('predictor'))}")
    doc = summary(axes, args, points, records, areas, computed=len(tasks),
                  reused=done_before)
    write_atomic(args.store / "explore.json", json.dumps(doc, indent=1) + "\n")
    if args.plot is not None:
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        plot(doc, args.plot)
    if args.json:
        print(json.dumps(doc, indent=1))
    else:
        print(format_table(doc))
    return 0


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def summary(axes, args, points, records, areas, computed: int, reused: int) -> dict:
    """explore.json: the axes, each point joined with its hardware's area, the Pareto fronts."""
    rows = []
    for p in points:
        row = dict(records[p["key"]])
        hw = areas.get(p["hw"]) if p["hw"] else None
        row["area"] = hw["area"] if hw else None
        rows.append(row)
    x = "transistors" if args.synth != "none" else "loss"
    fronts = {}
    for name in map(str, axes["workloads"]):
        ok = [r for r in rows if r["workload"] == name and r["within_budget"]
              and (x == "loss" or r["area"])]
        flat = [{**r, "transistors": r["area"]["transistors"]} if x != "loss" else r
                for r in ok]
        fronts[name] = {y: [r["key"] for r in pareto(flat, x, y)]
                        for y in ("speedup", "energy_saving")}
    formats = [None if f is None else [str(v) for v in f] for f in axes["formats"]]
    calibrated = {name: {k: v if isinstance(v, int) else str(v) for k, v in c.items()}
                  for name, c in axes.get("calibrated", {}).items()}
    return {"axes": {**axes, "workloads": [str(n) for n in axes["workloads"]],
                     "formats": formats, "calibrated": calibrated},
            "limit": args.limit, "synth": args.synth, "points": rows, "pareto_x": x,
            "pareto": fronts, "computed": computed, "reused": reused,
            "store": str(args.store)}


def format_table(doc: dict) -> str:
    lines = [f"{len(doc['points'])} points ({doc['computed']} tasks run now, {doc['reused']} "
             f"from the store {doc['store']})",
             f"{'workload':<13} {'lanes':>5} {'B':>4} {'formats':>11} {'scheme':>6} "
             f"{'theta':>6} {'reuse %':>7} {'loss':>7} {'speedup':>7} {'energy %':>8} "
             f"{'transistors':>11}  pareto"]
    for r in doc["points"]:
        front = doc["pareto"][r["workload"]]
        mark = "".join(m for m, y in (("S", "speedup"), ("E", "energy_saving"))
                       if r["key"] in front[y])
        area = r["area"]["transistors"] if r["area"] else "-"
        lines.append(
            f"{r['workload']:<13} {r['lanes']:>5} {r['bnn_bits']:>4} "
            f"{r['weight_format'] + '/' + r['data_format']:>11} {r['scheme']:>6} "
            f"{r['theta']:>6.4g} {100 * r['reuse']:>7.2f} {r['loss']:>7.3f} "
            f"{r['speedup']:>7.3f} {100 * r['energy_saving']:>8.2f} {area:>11}  "
            f"{mark or ('-' if r['within_budget'] else 'over budget')}")
    lines.append(f"S/E: on the Pareto front of speedup/energy saving against "
                 f"{doc['pareto_x']}, within the loss budget")
    return "\n".join(lines)


def plot(doc: dict, path: Path) -> None:
    """Per workload, speedup and energy saving against area (or loss) of the points within
    budget, the Pareto front drawn as a line."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = doc["pareto_x"]
    names = list(doc["pareto"])
    fig, axes = plt.subplots(2, len(names), figsize=(4.4 * len(names), 6.4), squeeze=False)
    for col, name in enumerate(names):
        rows = [r for r in doc["points"] if r["workload"] == name and r["within_budget"]
                and (x == "loss" or r["area"])]
        by_key = {r["key"]: r for r in rows}
        for row, y in enumerate(("speedup", "energy_saving")):
            ax = axes[row][col]

            def xval(r):
                return r["area"]["transistors"] if x != "loss" else r["loss"]
            for scheme in sorted({r["scheme"] for r in rows}):
                mine = [r for r in rows if r["scheme"] == scheme]
                ax.scatter([xval(r) for r in mine], [r[y] for r in mine], label=scheme, s=18,
                           color=f"C{SCHEMES.index(scheme)}")
            front = [by_key[k] for k in doc["pareto"][name][y]]
            ax.plot([xval(r) for r in front], [r[y] for r in front], "k--", lw=1, marker="o",
                    mfc="none", ms=9, label="Pareto front")     # a front of one point shows
            ax.set_xlabel("area (transistors, generic)" if x != "loss" else "loss")
            ax.set_ylabel(y.replace("_", " "))
            if row == 0:
                ax.set_title(name)
            ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, format=Path(path).suffix.lstrip(".") or "png")
    plt.close(fig)
    write_atomic(path, buf.getvalue())
