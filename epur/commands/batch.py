"""``epur batch``: the E-BATCH runtime's policies on a workload or on a user's sequences (golden
and cycle models of the batched build; workloads/batching.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from core.errors import InputError
from core.io import check_output, save_npz, write_atomic

NAME = "batch"
HELP = ("batched build (E-BATCH): throughput, latency, padding, weight reads and energy per "
        "sequence of the policies single, padded and ebatch over slot counts")


def add_arguments(p) -> None:
    # light imports only: every epur command builds this parser (the defaults are resolved in
    # run, from workloads/batching.py)
    from workloads import NAMES

    p.add_argument("--workload", "-w", metavar="W",
                   help=f"workload ({', '.join(NAMES)}; default jvowels-lstm), its test split")
    p.add_argument("--model", type=Path, help="state_dict of an nn.LSTM/nn.GRU instead of a "
                   "workload (.npz, or .pt with the torch extra); needs --inputs")
    p.add_argument("--inputs", type=Path,
                   help=".npz with x (batch, time, features) and optionally lengths (batch,)")
    p.add_argument("--config", type=Path, help="accelerator config for --model (.json/.toml)")
    p.add_argument("--slots", "-S", metavar="S,S,...", help="slot counts (default 1,2,4,8,16)")
    p.add_argument("--policy", default="all", metavar="P",
                   help="single | padded | ebatch | all (default all)")
    p.add_argument("--steps-per-batch", metavar="T,T,...",
                   help="ebatch timesteps per batch to choose from, at the largest S (default "
                        "1,2,4,8)")
    p.add_argument("--predictor", choices=("none", "bnn"), default="none",
                   help="the build's reuse scheme (default none)")
    p.add_argument("--theta", type=float, help="bnn: the relative threshold (default: the "
                   "config's)")
    p.add_argument("--limit", type=int, metavar="N", help="first N sequences only")
    p.add_argument("--out", type=Path, help="write the JSON document to this file")
    p.add_argument("--npz", type=Path,
                   help="with one --slots and one --policy: run the schedule through the "
                        "batched golden model slot by slot and write an .npz like epur run's "
                        "(h of the last layer, lengths, the counters per sequence; cycles: the "
                        "cycles each sequence spent in its slot), plus slot and first_step "
                        "(where and when each sequence ran)")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


def _integers(text: str, what: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"{what} must be integers separated by commas, not {text!r}") from None
    return values


def run(args) -> int:
    from golden.batch_runtime import POLICIES
    from workloads import batching

    slots = batching.SLOTS if args.slots is None else _integers(args.slots, "--slots")
    steps = (batching.STEPS_PER_BATCH if args.steps_per_batch is None
             else _integers(args.steps_per_batch, "--steps-per-batch"))
    policies = POLICIES if args.policy == "all" else (args.policy,)
    if policies[0] not in POLICIES:
        raise InputError(f"--policy must be one of {', '.join(POLICIES)} or all, not "
                         f"{args.policy!r}")
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be >= 1, not {args.limit}")
    if (args.model is None) != (args.inputs is None):
        raise InputError("--model and --inputs go together")
    if args.model is not None and args.workload is not None:
        raise InputError("give a --workload or --model/--inputs, not both")
    if args.out is not None:
        check_output(args.out, args.model, args.inputs, args.config, suffix=".json")
    if args.npz is not None:
        if len(slots) != 1 or len(policies) != 1:
            raise InputError("--npz runs one schedule: give one --slots and one --policy")
        check_output(args.npz, args.model, args.inputs, args.config, args.out, suffix=".npz")
    knobs = {"slots": slots, "policies": policies, "steps_per_batch": steps}
    if args.model is None:
        source = (args.workload or "jvowels-lstm", None, None, None)
        doc = batching.workload_sweep(source[0], args.predictor, args.theta, args.limit,
                                      **knobs)
    else:
        source = (None, args.model, args.inputs, args.config)
        doc = _own_model(args, batching, knobs)
    text = json.dumps(doc, indent=1) + "\n"
    if args.npz is not None:
        save_npz(args.npz, **batching.run_schedule(*source, args.predictor, args.theta,
                                                   policies[0], slots[0], steps[0],
                                                   args.limit))
    if args.out is not None:
        write_atomic(args.out, text)
    if args.json:
        sys.stdout.write(text)
    else:
        print(batching.format_table(doc))
    return 0


def _own_model(args, batching, knobs) -> dict:
    from core.io import load_inputs
    from core.params import load_state_dict, resolve_config

    params = load_state_dict(args.model)
    cfg = resolve_config(params, args.config, predictor=args.predictor, theta=args.theta)
    x, lengths = load_inputs(args.inputs)
    return {"model": str(args.model), "inputs": str(args.inputs),
            **batching.sweep(cfg, params, x, lengths, limit=args.limit, **knobs)}
