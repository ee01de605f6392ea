"""``epur simulate``: the generated RTL under cocotb, checked word by word against the golden model.

The hardware is built from ``--config`` (resized to the model) with the predictor of the run:
``--predictor none`` builds the baseline (no BNN, comparator or memo buffer), ``bnn`` the memo
build, ``delta`` the delta build; theta, theta_h and the comparison mode are run-time
registers. Every h word and, per sequence,
every counter (cycles included) is compared with ``golden.model.run_fixed``; the output ``.npz``
has the keys of ``epur run`` (the RTL's h and counters; MAC totals from the golden model) plus
``golden_cycles``. Exit status 1 when the RTL and the golden model differ.

``--workload`` runs the workload's whole test split (every JapaneseVowels sequence, every
silero-vad stream, every charlm window) unless ``--sequences N`` keeps the first N, with a
progress bar on stderr. ``--sim`` (or ``SIM``) picks the simulator: Verilator by default when
installed (``make`` installs it), Icarus otherwise.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import numpy as np

from core.config import HW_PREDICTORS
from core.errors import InputError
from core.io import check_directory, check_output, load_inputs, save_npz
from core.params import load_state_dict, resolve_config
from core.saturation import saturation_totals, saturation_warning
from epur.arguments import add_ghost_ratio, add_overrides, add_slots, batched, with_slots
from sim.runner import SIMULATORS, sequence_count

NAME = "simulate"
HELP = "simulate the generated RTL under cocotb and check it against the golden model"
DEFAULT_WORKLOAD = "jvowels-lstm"


def add_arguments(p):
    p.add_argument("--config", type=Path,
                   help="accelerator config (.json/.toml); default: the built-in default, "
                        "resized to the model")
    p.add_argument("--model", type=Path,
                   help="state_dict of an nn.LSTM/nn.GRU (.npz, or .pt with the torch extra)")
    p.add_argument("--inputs", type=Path,
                   help=".npz with x (batch, time, features) and optionally lengths (batch,)")
    p.add_argument("--workload", help=f"a workload instead of --model/--inputs "
                                      f"(default {DEFAULT_WORKLOAD})")
    p.add_argument("--sequences", type=sequence_count, default=None,
                   help="first N test sequences of the workload, or 'all' (default: all, "
                        "the whole test split)")
    p.add_argument("--sim", choices=SIMULATORS,
                   help="simulator (default: $SIM, else verilator when installed, else icarus)")
    p.add_argument("--out", type=Path, help="output .npz (h and the counters)")
    p.add_argument("--predictor", choices=HW_PREDICTORS,
                   help="none (baseline build), bnn (memo build) or delta (delta build); "
                        "default: the config's")
    add_overrides(p)
    add_slots(p)
    add_ghost_ratio(p)
    p.add_argument("--calibrate", action="store_true",
                   help="with --model: choose the weight and data formats from --inputs first "
                        "(as epur calibrate with its default headroom) and say what was chosen")
    p.add_argument("--waves", action="store_true",
                   help="dump an FST waveform into the build directory")
    p.add_argument("--build-dir", type=Path, default=Path("build") / "sim",
                   help="where builds are kept, one folder per config (default build/sim)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the random idle cycles and back-pressure (default 0)")
    p.add_argument("--idle", type=float, default=0.2,
                   help="probability of an idle cycle before an input word (default 0.2)")
    p.add_argument("--backpressure", type=float, default=0.3,
                   help="probability of ready low on the output stream (default 0.3)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")


def load_workload(name: str, sequences: int | None = None):
    """(params, x, lengths) of the first ``sequences`` test sequences of workload ``name``
    (None: all of them, the whole test split)."""
    from workloads import get

    if sequences is not None and sequences < 1:
        raise InputError(f"--sequences must be >= 1, not {sequences}")
    w = get(name)
    n = len(w.test_lengths) if sequences is None else min(sequences, len(w.test_lengths))
    lengths = np.asarray(w.test_lengths[:n], dtype=np.int64)
    return w.params, np.asarray(w.test_x[:n, :int(lengths.max())], dtype=np.float64), lengths


def _calibrated(cfg, params, x, lengths):
    """``cfg`` with the formats ``epur calibrate`` chooses on these inputs (--model only: a
    workload's formats are its own, chosen without its test split)."""
    from golden.model import check_inputs
    from workloads.calibrate import calibrate

    cfg, _, reasons = calibrate(cfg, params, *check_inputs(cfg, x, lengths))
    for line in reasons:
        print(f"epur simulate: calibrate: {line}", file=sys.stderr)
    return cfg


def run(args) -> int:
    from sim.runner import progress_bar, simulate, simulator_name
    from workloads.evaluate import Progress

    if (args.model is None) != (args.inputs is None):
        raise InputError("--model and --inputs go together")
    if args.model is not None and args.workload is not None:
        raise InputError("give either --model/--inputs or --workload, not both")
    if args.calibrate and args.model is None:
        raise InputError("--calibrate needs --model and --inputs")
    for key in ("idle", "backpressure"):
        v = getattr(args, key)
        if not 0.0 <= v < 1.0:
            raise InputError(f"--{key} must lie in [0, 1), not {v}")
    if args.out is not None:
        check_output(args.out, args.model, args.inputs, args.config, suffix=".npz")
    check_directory(args.build_dir, "--build-dir")
    if args.model is not None:
        params = load_state_dict(args.model)
        x, lengths = load_inputs(args.inputs)
        source = f"{args.model.name} on {args.inputs.name}"
    else:
        name = args.workload or DEFAULT_WORKLOAD
        params, x, lengths = load_workload(name, args.sequences)
        source = f"workload {name}, {len(x)} sequences"
    cfg = resolve_config(params, args.config, predictor=args.predictor, theta=args.theta,
                         mode=args.mode, theta_h=args.theta_h,
                         precision=args.precision,
                         precision_theta=args.precision_theta, ghost_ratio=args.ghost_ratio)
    if args.calibrate:
        cfg = _calibrated(cfg, params, x, lengths)
    cfg = with_slots(cfg, args.slots).require_hardware()

    sim = simulator_name(args.sim)
    if batched(cfg, args):
        return _batched(args, cfg, params, x, lengths, source, sim)
    with contextlib.ExitStack() as stack:
        # the bar starts once the build is done: a failing compile is one error line alone
        progress = progress_bar(stack, Progress, len(x), f"simulate ({sim})", not args.json)
        res = simulate(cfg, params, x, lengths, seed=args.seed, idle=args.idle,
                       backpressure=args.backpressure, root=args.build_dir, waves=args.waves,
                       simulator=sim, progress=progress)
        progress(len(x))
    gold = res.golden
    rtl_cycles = res.counters["cycles"]
    identical = bool(res.ok and np.array_equal(res.h_held(), gold.h_int[-1]))
    computed = np.stack([res.counters[f"computed_{g}"] for g in cfg.gate_names], axis=1)
    reused = np.stack([res.counters[f"reused_{g}"] for g in cfg.gate_names], axis=1)
    total = computed.sum() + reused.sum()
    # the delta build counts the MACs it skips; the others skip the rows of reused neurons
    macs_skipped = res.counters.get("macs_skipped", gold.macs_skipped)
    skipped = float(macs_skipped.sum() / gold.macs.sum()) if gold.macs.sum() else 0.0
    model_error = float(abs(int(gold.cycles.sum()) - int(rtl_cycles.sum()))
                        / max(1, int(rtl_cycles.sum())))
    info = {
        "source": source, "simulator": sim, "predictor": cfg.predictor, "theta": cfg.theta,
        "mode": cfg.mode,
        "sequences": int(len(res.lengths)), "timesteps": int(np.sum(res.lengths)),
        "h_identical": identical, "mismatches": res.mismatches,
        "reuse": float(reused.sum() / total) if total else 0.0, "skipped": skipped,
        "theta_h": cfg.theta_h,
        "cycles": int(rtl_cycles.sum()), "golden_cycles": int(gold.cycles.sum()),
        "cycle_model_error": model_error,
        "computed": {g: int(computed[:, i].sum()) for i, g in enumerate(cfg.gate_names)},
        "reused": {g: int(reused[:, i].sum()) for i, g in enumerate(cfg.gate_names)},
        "saturation": saturation_totals(cfg, res.counters),
        "sim_cycles": res.sim_cycles, "sim_seconds": round(res.wall_seconds, 3),
        "cycles_per_second": round(res.sim_cycles / res.wall_seconds) if res.wall_seconds else 0,
        "build_dir": str(res.build_dir), "waves": str(res.waves) if res.waves else None,
        "precision": cfg.precision, "precision_theta": cfg.precision_theta,
        "low_data_frac": cfg.low_data_frac,
        "weight_format": str(cfg.weight_format), "data_format": str(cfg.data_format),
    }
    for name in cfg.precision_counters:          # steps_high, steps_low (RTL counters)
        info[name] = int(res.counters[name].sum())
    if args.out is not None:
        save_npz(args.out, h=res.h, lengths=res.lengths,
                 reuse=np.float64(info["reuse"]), skipped=np.float64(skipped),
                 **{"macs_skipped": gold.macs_skipped, "changed": gold.changed, **res.counters},
                 macs=gold.macs, golden_cycles=gold.cycles)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"{source}: predictor {cfg.predictor}, {info['timesteps']} timesteps, "
              f"h {'identical to' if identical else 'DIFFERENT from'} the golden model "
              f"({res.mismatches} mismatches)")
        if cfg.precision_counters:
            print(f"precision {cfg.precision}: {info['steps_low']} layer steps low, "
                  f"{info['steps_high']} full")
        print(f"cycles: RTL {info['cycles']}, cycle model {info['golden_cycles']} "
              f"({100 * model_error:.2f} % off); reuse {100 * info['reuse']:.1f} %, MACs "
              f"skipped {100 * skipped:.1f} %")
        for g in cfg.gate_names:
            print(f"  gate {g}: computed {info['computed'][g]}, reused {info['reused'][g]}")
        print(f"{sim} simulated {res.sim_cycles} clock cycles in {res.wall_seconds:.1f} s "
              f"({info['cycles_per_second']} cycles/s); build {res.build_dir}")
        if res.waves:
            print(f"waveform: {res.waves}")
    warning = saturation_warning(NAME, cfg, res.counters)
    if warning:
        print(warning, file=sys.stderr)
    if not res.ok:
        for line in res.report[:5]:
            print(f"epur simulate: mismatch: {line}", file=sys.stderr)
        print(f"epur simulate: error: the RTL differs from the golden model "
              f"({res.mismatches} mismatches)", file=sys.stderr)
        return 1
    return 0


def _batched(args, cfg, params, x, lengths, source, sim) -> int:
    """``--slots``/``--policy``: the policy's schedule on the batched RTL (sim/batch_runner.py),
    every h word, cycle count and per-slot counter checked against the batched models."""
    from golden.batch_runtime import schedule
    from golden.model import check_inputs
    from sim.batch_runner import simulate_batch

    if args.waves:
        raise InputError("--waves is not available with --slots (the batched bench)")
    if cfg.slots == 1:
        raise InputError("--policy runs the batched build: give --slots S with S > 1 (slots 1 "
                         "is the unbatched build, which runs one sequence at a time)")
    x, lengths = check_inputs(cfg, x, lengths)
    policy = args.policy or "ebatch"
    sch = schedule(policy, lengths, cfg.slots, cfg.max_sequence_length, args.steps_per_batch)
    res = simulate_batch(cfg, params, x, lengths, sch, seed=args.seed, idle=args.idle,
                         backpressure=args.backpressure, root=args.build_dir, simulator=sim)
    gold = res.golden
    computed = int(sum(res.counters[f"computed_{g}"].sum() for g in cfg.gate_names))
    reused = int(sum(res.counters[f"reused_{g}"].sum() for g in cfg.gate_names))
    real = [res.h_int[i, :n] for i, n in enumerate(lengths)]
    identical = bool(res.ok and all(np.array_equal(h, gold.h_int[-1, i, :len(h)])
                                    for i, h in enumerate(real)))
    info = {"source": source, "simulator": sim, "predictor": cfg.predictor, "theta": cfg.theta,
            "slots": cfg.slots, "policy": policy, "steps_per_batch": args.steps_per_batch,
            "sequences": len(lengths), "timesteps": int(lengths.sum()),
            "batch_steps": sch.steps, "h_identical": identical, "mismatches": res.mismatches,
            "slot_cycles": int(res.counters["cycles"].sum()),
            "golden_slot_cycles": int(gold.slot_cycles.sum()),
            "reuse": reused / (computed + reused) if computed + reused else 0.0,
            "build_dir": str(res.build_dir)}
    if args.out is not None:
        save_npz(args.out, h=cfg.data_format.to_float(_held(res.h_int, lengths)),
                 lengths=lengths,
                 reuse=np.float64(info["reuse"]), **res.counters)
    if args.json:
        print(json.dumps(info))
    else:
        print(f"{source}: predictor {cfg.predictor}, {cfg.slots} slots, policy {policy}, "
              f"{sch.steps} batch steps; h {'identical to' if identical else 'DIFFERENT from'} "
              f"the batched golden model ({res.mismatches} mismatches); slot cycles RTL "
              f"{info['slot_cycles']}, cycle model {info['golden_slot_cycles']}; reuse "
              f"{100 * info['reuse']:.1f} %; build {res.build_dir}")
    if not res.ok:
        print(f"epur simulate: error: the batched RTL differs from the golden model "
              f"({res.mismatches} mismatches; first: {res.first})", file=sys.stderr)
        return 1
    return 0


def _held(h, lengths):
    """(sequences, time, H): every step past a sequence's length holds its last h."""
    idx = np.minimum(np.arange(h.shape[1])[None, :], lengths[:, None] - 1)
    return np.take_along_axis(h, idx[:, :, None], axis=1)
