"""``epur evaluate``: sweep predictors and thresholds on a workload (golden model + cycle model)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.config import DEFAULT
from core.errors import InputError
from core.io import check_directory, check_output, write_atomic
from core.saturation import SEE, describe
from epur.arguments import add_slots, add_user_model

NAME = "evaluate"
HELP = ("sweep predictors none, bnn, mbnn, oracle and delta over thresholds, and dynamic "
        "precision, on a workload's test split or a user's own model: reuse, metric loss, "
        "speedup and energy saving")


def add_arguments(p) -> None:
    from workloads import NAMES

    p.add_argument("--workload", "-w", action="append", metavar="W",
                   help=f"workload ({', '.join(NAMES)} or all); repeat for several "
                        "(default jvowels-lstm)")
    add_user_model(p, "a user's own model instead of a workload")
    p.add_argument("--labels", type=Path, metavar="Y",
                   help="with --model: .npz with y, labels per sequence (batch,) or per step "
                        "(batch, time), and optionally a dense head head_weight, head_bias; "
                        "makes the metric accuracy")
    p.add_argument("--metric", choices=("agreement", "accuracy"),
                   help="with --model: agreement of the argmax decisions with the float model "
                        "(default without --labels) or accuracy against --labels")
    p.add_argument("--calibrate", action="store_true",
                   help="with --model: choose the weight and data formats from its inputs "
                        "first (as epur calibrate)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the sweep on the Dask cluster of this scheduler "
                        "(e.g. tcp://host:8786) instead of local worker processes")
    p.add_argument("--thetas", metavar="T,T,...",
                   help="relative thresholds for bnn and oracle (default: 10 per workload, "
                        "from 0 up to 1)")
    p.add_argument("--delta-thetas", metavar="T,T,...",
                   help="absolute input-change thresholds for delta (default: 10 per workload, "
                        "from 0 up to 0.5)")
    p.add_argument("--delta-theta-h", type=float, metavar="T",
                   help="delta: a fixed threshold for the h elements while --delta-thetas sweeps "
                        "the x elements' (default: the same threshold for both)")
    p.add_argument("--predictors", metavar="P,P,...",
                   help="predictors to sweep besides the baseline none (default: all of bnn, "
                        "mbnn, oracle, delta)")
    p.add_argument("--split", choices=("test", "val"), default="test",
                   help="data to sweep: the test split (default) or the validation data that "
                        "thresholds are chosen on")
    p.add_argument("--choose-on-val", action="store_true",
                   help="also sweep the validation data and mark, per predictor, the largest "
                        "theta within budget there (JSON key chosen_on_val)")
    p.add_argument("--mode", choices=("relative", "absolute"), default="relative",
                   help="reuse test of bnn and oracle (default relative; absolute thetas are in "
                        "BNN units for bnn, real units for oracle)")
    p.add_argument("--reuse-cap", type=int, default=0, metavar="N",
                   help="at most N consecutive reuses of a neuron (default 0: no cap)")
    p.add_argument("--precision", choices=("static", "dynamic", "low", "all"), default="all",
                   help="dynamic precision: sweep static-low and dynamic (all, the default), "
                        "only dynamic, only low, or none of them (static)")
    p.add_argument("--precision-theta", metavar="T,T,...",
                   help="dynamic precision thresholds on the tracked state's change "
                        "(default: 13 from 0.0625 up to 6)")
    p.add_argument("--limit", type=int, metavar="N",
                   help="only the first N test sequences (quick look; figures are not final)")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="worker processes (default: one per core)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document on stdout instead of the table (several "
                        "workloads: {\"workloads\": [document, ...]})")
    p.add_argument("--plot", type=Path, metavar="FILE",
                   help="draw reuse and loss against theta (one panel per workload) to FILE")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="also write <workload>.json and <workload>.png into DIR")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_slots(p)


def _names(args) -> list[str]:
    from workloads import NAMES, all_names

    names = []
    for item in args.workload or ["jvowels-lstm"]:
        for n in item.split(","):
            n = n.strip()
            if n == "all":
                names.extend(NAMES)
            elif n not in all_names():      # the ghost models' workloads run only by name
                raise InputError(f"unknown workload {n!r}: choose one of "
                                 f"{', '.join(all_names())}")
            else:
                names.append(n)
    return list(dict.fromkeys(names))


def _thetas(args) -> dict:
    from workloads.evaluate import PREDICTORS, parse_thetas

    given = args.predictors if args.predictors is not None else ",".join(PREDICTORS)
    preds = [p.strip() for p in given.split(",") if p.strip()]
    for p in preds:
        if p not in PREDICTORS:
            raise InputError(f"unknown predictor {p!r}: choose from {', '.join(PREDICTORS)}")
    out = {}
    try:
        for p in preds:
            given = args.delta_thetas if p == "delta" else args.thetas
            out[p] = parse_thetas(given) if given is not None else None
    except ValueError as e:
        raise InputError(str(e)) from None
    bad = [t for p in ("bnn", "delta") for t in out.get(p) or () if t > DEFAULT.theta_max]
    if bad:
        raise InputError(f"theta {bad[0]} exceeds the theta register's range "
                         f"(max {DEFAULT.theta_max})")
    return out


def _composing(args, name: str | None, thetas: dict, precision: dict) -> tuple[dict, dict]:
    """The default sweep of a ghost model (workloads/ghost.py) leaves out what does not compose
    with ghost states (delta, dynamic and low precision: core/config.py refuses them), with one
    note; asked for by name (--predictors, --precision), they are refused in one line."""
    if name is None:
        return thetas, precision
    from workloads import get

    if not get(name).params.ghost_size:
        return thetas, precision
    if "delta" in thetas and args.predictors is not None:
        raise InputError(f"{name} has ghost states: predictor delta does not compose with them "
                         f"(its delta encoder and pre-activation memory hold H neurons a gate)")
    if precision["precision"] and args.precision != "all":
        raise InputError(f"{name} has ghost states: precision {args.precision} does not "
                         f"compose with them (use --precision static)")
    left = []
    if "delta" in thetas:
        thetas = {p: t for p, t in thetas.items() if p != "delta"}
        left.append("delta")
    if precision["precision"]:
        precision = {**precision, "precision": ()}
        left.append("dynamic and low precision")
    if left:
        print(f"epur evaluate: {name} has ghost states: {', '.join(left)} do not compose "
              f"with them, not swept", file=sys.stderr)
    return thetas, precision


def _precision(args) -> dict:
    """The precision knobs of sweep(): the modes and the dynamic thresholds."""
    from workloads.evaluate import PRECISION_MODES, parse_thetas

    modes = {"all": PRECISION_MODES, "static": ()}.get(args.precision, (args.precision,))
    grid = None
    if args.precision_theta is not None:
        try:
            grid = parse_thetas(args.precision_theta)
        except ValueError as e:
            raise InputError(f"--precision-theta: {e}") from None
        top = DEFAULT.data_format.max_value
        if max(grid) > top:
            raise InputError(f"--precision-theta {max(grid)} exceeds the data format's range "
                             f"(max {top})")
    return {"precision": modes, "precision_thetas": grid}


def _user(args):
    """The user's workload spec of ``--model``, and the config overrides of ``--calibrate``;
    (None, {}) without ``--model``."""
    from workloads.user import UserSpec

    own = ("inputs", "labels", "metric", "calibrate")
    if args.model is None:
        given = [f"--{k}" for k in own if getattr(args, k) not in (None, False)]
        if given:
            raise InputError(f"{given[0]} needs --model")
        return None, {}
    if args.workload:
        raise InputError("give --model or --workload, not both")
    if args.inputs is None:
        raise InputError("--model needs --inputs")
    if args.split != "test" or args.choose_on_val:
        raise InputError("a user's own model has no validation split: drop --split val and "
                         "--choose-on-val")
    metric = args.metric or ("accuracy" if args.labels is not None else "agreement")
    spec = UserSpec(str(args.model), str(args.inputs),
                    None if args.labels is None else str(args.labels), metric)
    if not args.calibrate:
        from workloads.user import load

        load(spec)              # bad files: one line before any worker starts
        return spec, {}
    from core.params import config_for
    from workloads.calibrate import calibrate
    from workloads.user import load

    w = load(spec)
    cfg, _, reasons = calibrate(config_for(w.params), w.params, w.test_x, w.test_lengths)
    for line in reasons:
        print(f"epur evaluate: calibrate: {line}", file=sys.stderr)
    return spec, {"weight_format": cfg.weight_format, "data_format": cfg.data_format,
                  "lut_frac": cfg.lut_frac}


def run(args) -> int:
    from workloads.evaluate import (
        choose_on,
        choose_precision_on,
        format_table,
        plot,
        plot_trace,
        sweep,
    )

    spec, overrides = _user(args)
    names = [spec] if spec is not None else _names(args)
    thetas = _thetas(args)
    precision = _precision(args)
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be >= 1, not {args.limit}")
    if args.reuse_cap < 0:
        raise InputError(f"--reuse-cap must be >= 0, not {args.reuse_cap}")
    if args.delta_theta_h is not None and not (0 <= args.delta_theta_h <= DEFAULT.theta_max):
        raise InputError(f"--delta-theta-h must be a number in 0..{DEFAULT.theta_max}, not "
                         f"{args.delta_theta_h}")
    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs must be >= 1, not {args.jobs}")
    _check_outputs(args)
    if args.slots is not None or args.policy is not None:      # before the sweeps run
        from golden.batch_runtime import check_request

        check_request([1], 1 if args.slots is None else args.slots, 1, args.steps_per_batch)
    docs = []
    for name in names:
        swept, modes = _composing(args, name if spec is None else None, thetas, precision)
        knobs = {"processes": args.jobs, "limit": args.limit, "progress": not args.quiet,
                 "mode": args.mode, "reuse_cap": args.reuse_cap, "theta_h": args.delta_theta_h,
                 "scheduler": args.scheduler, "overrides": overrides, **modes}
        if args.choose_on_val:      # first: the precision sweep of the test split uses its choices
            val = sweep(name, swept, split="val", **knobs)
            doc = sweep(name, swept, split=args.split, prior=val if modes["precision"]
                        else None, **knobs)
            choose_on(val, doc)
            if "precision" in doc:
                choose_precision_on(val, doc)
        else:
            doc = sweep(name, swept, split=args.split, **knobs)
        if args.slots is not None or args.policy is not None:
            doc["batching"] = _batching(args, name)
        if overrides:               # --calibrate: the formats every point ran with
            doc["calibrated"] = {k: v if isinstance(v, int) else str(v)
                                 for k, v in overrides.items()}
        docs.append(doc)
        if not args.json:
            print(format_table(doc), flush=True)
            print()
            for part in doc.get("batching", ()):
                from workloads.batching import format_table as batch_table

                print(batch_table(part), flush=True)
                print()
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            write_atomic(args.out / f"{doc['workload']}.json", json.dumps(doc, indent=1) + "\n")
            plot([doc], args.out / f"{doc['workload']}.png")
            if "trace" in doc.get("precision", {}):
                plot_trace(doc, args.out / f"{doc['workload']}-precision.png")
    if args.plot:
        args.plot.parent.mkdir(parents=True, exist_ok=True)
        plot(docs, args.plot)
    if args.json:
        print(json.dumps(docs[0] if len(docs) == 1 else {"workloads": docs}, indent=1))
    warning = saturation_warning(docs)
    if warning:
        print(warning, file=sys.stderr)
    return 0


def _batching(args, source) -> list[dict]:
    """``--slots``/``--policy``: the batched build's runtime on the same sequences (golden and
    cycle models, workloads/batching.py), baseline and memo build: throughput, latency,
    padding, weight reads and energy per sequence."""
    from golden.batch_runtime import POLICIES
    from workloads.batching import evaluate_batching

    policies = POLICIES if args.policy is None else (args.policy,)
    slots = 1 if args.slots is None else args.slots
    return evaluate_batching(source, slots, policies, args.steps_per_batch, args.limit)


def _check_outputs(args) -> None:
    """--out and --plot refused before the sweep, not after it: an unwritable place, a file
    for a directory, a plot format that matplotlib does not write."""
    if args.out is not None:
        check_directory(args.out)
    if args.plot is not None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        check_output(args.plot)
        kinds = FigureCanvasAgg.get_supported_filetypes()
        kind = args.plot.suffix.lstrip(".").lower() or "png"
        if kind not in kinds:
            raise InputError(f"cannot plot to {args.plot}: {kind!r} is not a format matplotlib "
                             f"writes ({', '.join(sorted(kinds))})")


def saturation_warning(docs: list[dict]) -> str | None:
    """One line when any point of the sweeps saturated: how many points, and per workload the
    counts of its first such point (the baseline's, when it saturates)."""
    points = [(d["workload"], p) for d in docs for p in d["points"]]
    hit = [(w, p) for w, p in points if any(p["saturation"].values())]
    if not hit:
        return None
    first = {}
    for w, p in hit:
        first.setdefault(w, p)
    parts = [f"{w} ({p['predictor']}, theta {p['theta']:g}) {describe(p['saturation'])}"
             for w, p in first.items()]
    return (f"epur evaluate: warning: fixed-point saturation at {len(hit)} of {len(points)} "
            f"points: {' | '.join(parts)} ({SEE})")
