"""E-BATCH on the workloads: the runtime's policies on real sequence-length distributions.

For a workload's test split (or a user's sequences), :func:`sweep` runs every sequence once
alone through the batched golden model (:func:`golden.batch.trace`: a sequence's reuse decisions
do not depend on the slots beside it, which tests/golden/test_batch.py proves), then for each
policy and slot count S makes the runtime's schedule (golden/batch_runtime.py), gathers its
masks and prices it with the batched cycle and energy models (golden/batch.py). A point has:

- ``throughput``: sequences per second at the synthesized Fmax (:func:`fmax`), over the whole
  split (all sequences are waiting at time 0: a closed batch of requests);
- ``latency_mean_us``, ``latency_p99_us``: per sequence, from the start of its first batch step
  to the end of its last real one (the time it spends in a slot; queueing before it is not
  counted), at that Fmax; ``turnaround_mean_us``: from time 0 (every sequence waiting) to the
  end of its last step, queueing included;
- ``padding_frac``: slot-steps that compute padding / slot-steps that compute; ``idle_frac``:
  slot-steps with no sequence / all slot-steps;
- ``weight_reads_per_seq``, ``macs_per_seq``, ``energy_per_seq_nj`` and its parts
  (``energy_parts_nj``, golden/energy.py's event kinds), ``weight_read_share`` of the total.

Within a batch of ``steps_per_batch`` (T) steps the layers run layer-major; refills of ``ebatch``
come every T steps (docs/architecture.md, "The batched build"). :func:`choose_steps` picks T.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

import numpy as np

from core.config import EpurConfig
from golden import batch, batch_runtime
from golden.model import check_inputs

ROOT = Path(__file__).resolve().parents[1]
FMAX_FILE = Path("tests/synth/baselines/default_ecp5.json")
SLOTS = (1, 2, 4, 8, 16)
STEPS_PER_BATCH = (1, 2, 4, 8)
POINT_KEYS = ("policy", "slots", "steps_per_batch", "batch_steps", "cycles", "throughput",
              "latency_mean_us", "latency_p99_us", "turnaround_mean_us", "padding_frac",
              "idle_frac", "weight_reads_per_seq", "macs_per_seq", "energy_per_seq_nj",
              "energy_parts_nj", "weight_read_share")


def fmax(predictor: str) -> tuple[float, str]:
    """The measured Fmax (MHz) of the unbatched ECP5 build of the default config (its
    ``baseline`` build for predictor none, ``memo`` for bnn) and where it comes from. The
    batched builds are not synthesized yet: their points use the same clock."""
    build = "memo" if predictor == "bnn" else "baseline"
    doc = json.loads((ROOT / FMAX_FILE).read_text())
    return float(doc[build]["fmax_mhz"]), f"{FMAX_FILE} {build}.fmax_mhz"


def step_times(cycles: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) cycle of each batch step (steps,): the start of its layer-0 step and the
    end of its last layer's, with the layers layer-major within each batch of ``period``
    steps. ``cycles``: (steps, layers) of the layer steps."""
    steps, depth = cycles.shape
    start, end = np.zeros(steps, dtype=np.int64), np.zeros(steps, dtype=np.int64)
    clock = 0
    for first in range(0, steps, period):
        part = cycles[first:first + period]                      # (T, layers)
        ends = clock + np.cumsum(part.T.reshape(-1)).reshape(depth, -1)
        start[first:first + period] = ends[0] - part[:, 0]
        end[first:first + period] = ends[-1]
        clock = int(ends[-1, -1])
    return start, end


def point(cfg: EpurConfig, masks: np.ndarray, lengths: np.ndarray, policy: str, slots: int,
          steps_per_batch: int, clock_mhz: float) -> dict:
    """One policy at S = ``slots`` on the sequences whose :func:`golden.batch.trace` is
    ``masks``."""
    cfg = dataclasses.replace(cfg, slots=slots)
    # idle slots cost nothing: the single policy's schedule needs only its one slot
    width = 1 if policy == "single" else slots
    sch = batch_runtime.schedule(policy, lengths, width, cfg.max_sequence_length,
                                 steps_per_batch)
    c = batch.costs(cfg, sch.active, batch.gather(masks, sch))
    start, end = step_times(c.cycles, steps_per_batch)
    real = sch.real(lengths)
    n = len(lengths)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.zeros(n, dtype=np.int64)
    b, s = np.nonzero(real)
    np.minimum.at(first, sch.seq[b, s], start[b])
    np.maximum.at(last, sch.seq[b, s], end[b])
    latency_us = (last - first) / clock_mhz
    e = batch.energy(cfg, c)
    total = int(c.cycles.sum())
    active = int(sch.active.sum())
    return {
        "policy": policy, "slots": slots, "steps_per_batch": steps_per_batch,
        "batch_steps": sch.steps, "cycles": total,
        "throughput": n / (total / (clock_mhz * 1e6)),
        "latency_mean_us": float(latency_us.mean()),
        "latency_p99_us": float(np.percentile(latency_us, 99)),
        "turnaround_mean_us": float(last.mean() / clock_mhz),
        "padding_frac": (active - int(real.sum())) / active,
        "idle_frac": 1 - active / (sch.steps * slots),
        "weight_reads_per_seq": float(c.weight_reads.sum()) / n,
        "macs_per_seq": float(c.macs.sum()) / n,
        "energy_per_seq_nj": e["total"] / n / 1e3,
        "energy_parts_nj": {k: v / n / 1e3 for k, v in e.items() if k != "total"},
        "weight_read_share": e["weight_read"] / e["total"],
    }


def choose_steps(points: list[dict]) -> int:
    """E-BATCH's timesteps per batch: the T of the ``ebatch`` points (one S) with the least
    energy per sequence, then the least mean latency."""
    best = min(points, key=lambda p: (round(p["energy_per_seq_nj"], 9), p["latency_mean_us"],
                                      p["steps_per_batch"]))
    return best["steps_per_batch"]


def sweep(cfg: EpurConfig, params, x, lengths, slots=SLOTS, policies=batch_runtime.POLICIES,
          steps_per_batch=STEPS_PER_BATCH, choose: bool = True,
          limit: int | None = None) -> dict:
    """Every policy at every S of ``slots`` (``ebatch`` at T = 1, and with ``choose`` at each T
    of ``steps_per_batch`` for the largest S), on sequences ``x`` with ``lengths`` (the first
    ``limit`` of them)."""
    x, lengths = check_inputs(cfg, x, lengths)
    x, lengths = x[:limit], lengths[:limit]
    for s in slots:
        batch_runtime.check_request(lengths, s, cfg.max_sequence_length)
    for t in steps_per_batch:
        batch_runtime.check_request(lengths, 1, cfg.max_sequence_length, t)
    x[np.arange(x.shape[1])[None, :] >= lengths[:, None]] = 0     # what padding feeds a slot
    masks = batch.trace(cfg, params, x)
    clock, source = fmax(cfg.predictor)
    points = [point(cfg, masks, lengths, p, s, 1, clock) for p in policies for s in slots]
    out = {"predictor": cfg.predictor, "theta": cfg.theta if cfg.predictor == "bnn" else None,
           "sequences": len(lengths),
           "lengths": {"min": int(lengths.min()), "max": int(lengths.max()),
                       "mean": float(lengths.mean())},
           "fmax_mhz": clock, "fmax_source": source, "points": points,
           "ratios": ratios(points)}
    if choose and "ebatch" in policies:
        choose_at = max(slots)
        steps = [point(cfg, masks, lengths, "ebatch", choose_at, t, clock)
                 for t in steps_per_batch]
        out["steps_per_batch"] = {"slots": choose_at, "points": steps,
                                  "chosen": choose_steps(steps)}
    share = [p for p in points if p["policy"] == "ebatch"]
    below = [p["slots"] for p in share if p["weight_read_share"] < 0.5]
    out["weight_reads_stop_dominating_at"] = min(below) if below else None
    return out


def ratios(points: list[dict]) -> dict:
    """Per S: ebatch against padded (throughput ratio, energy per sequence of padded over
    ebatch's) and against single."""
    by = {(p["policy"], p["slots"]): p for p in points}
    out = {}
    for (policy, s), p in sorted(by.items(), key=lambda kv: kv[0][1]):
        if policy != "ebatch":
            continue
        row = {}
        for other in ("padded", "single"):
            if (other, s) in by:
                q = by[(other, s)]
                row[f"throughput_vs_{other}"] = p["throughput"] / q["throughput"]
                row[f"energy_vs_{other}"] = q["energy_per_seq_nj"] / p["energy_per_seq_nj"]
        out[str(s)] = row
    return out


def workload_sweep(name: str, predictor: str, theta: float | None = None,
                   limit: int | None = None, **kw) -> dict:
    """:func:`sweep` on the test split of workload ``name`` (its first ``limit`` sequences)."""
    import workloads
    from core.params import config_for

    w = workloads.get(name, "test")
    cfg = config_for(w.params, predictor=predictor)
    if theta is not None:
        cfg = cfg.with_overrides(theta=theta)
    return {"workload": name, "split": "test",
            **sweep(cfg, w.params, w.test_x, w.test_lengths, limit=limit, **kw)}


def evaluate_batching(source, slots: int, policies, steps_per_batch: int = 1,
                      limit: int | None = None) -> list[dict]:
    """``epur evaluate --slots S [--policy P]``: :func:`sweep` at one S (and one T) for the
    baseline and the memo build (at the model's config theta), on a workload's test split
    (``source`` its name) or a user's model (``source`` a ``workloads.user.UserSpec``)."""
    from core.params import config_for

    if isinstance(source, str):
        return [workload_sweep(source, p, None, limit, slots=(slots,), policies=policies,
                               steps_per_batch=(steps_per_batch,))
                for p in batch.BATCH_PREDICTORS]
    from workloads.user import load

    w = load(source)
    return [{"model": source.model, **sweep(config_for(w.params, predictor=p), w.params,
                                           w.test_x, w.test_lengths, slots=(slots,),
                                           policies=policies, steps_per_batch=(steps_per_batch,),
                                           limit=limit)}
            for p in batch.BATCH_PREDICTORS]


def run_schedule(workload: str | None, model, inputs, config, predictor: str,
                 theta: float | None, policy: str, slots: int, steps_per_batch: int,
                 limit: int | None = None) -> dict:
    """The arrays of ``epur batch --npz``: one schedule run slot by slot through the batched
    golden model (:func:`golden.batch.run_batch`) on a workload's test split or on a user's
    ``model`` and ``inputs``; h and the counters per sequence, as ``epur run`` writes them."""
    from core.io import load_inputs
    from core.params import config_for, load_state_dict, resolve_config

    if workload is not None:
        import workloads

        w = workloads.get(workload, "test")
        params, x, lengths = w.params, w.test_x, w.test_lengths
        cfg = config_for(params, predictor=predictor).with_overrides(theta=theta)
    else:
        params = load_state_dict(model)
        cfg = resolve_config(params, config, predictor=predictor, theta=theta)
        x, lengths = load_inputs(inputs)
    cfg = dataclasses.replace(cfg, slots=slots)
    x, lengths = check_inputs(cfg, x, lengths)
    return run_policy(cfg, params, x[:limit], lengths[:limit], policy, steps_per_batch)


def run_policy(cfg, params, x, lengths, policy: str, steps_per_batch: int = 1) -> dict:
    """``policy``'s schedule of these sequences on ``cfg.slots`` slots run through the batched
    golden model: h of the last layer and the counters per sequence, as ``epur run`` writes
    them (``cycles``: the cycles of the batch steps the sequence was in its slot), with
    ``slot`` and ``first_step`` (where and when each sequence ran)."""
    x, lengths = check_inputs(cfg, x, lengths)
    sch = batch_runtime.schedule(policy, lengths, cfg.slots, cfg.max_sequence_length,
                                 steps_per_batch)
    run = batch.run_batch(cfg, params, x, lengths, sch)
    b, s = np.nonzero((sch.t == 0) & sch.active)
    slot, first_step = np.zeros(len(lengths), np.int64), np.zeros(len(lengths), np.int64)
    slot[sch.seq[b, s]], first_step[sch.seq[b, s]] = s, b
    counters = {f"{kind}_{g}": getattr(run, kind)[:, i]
                for kind in ("computed", "reused") for i, g in enumerate(cfg.gate_names)}
    return {"h": cfg.data_format.to_float(run.h_int[-1]), "lengths": lengths,
            "cycles": run.slot_cycles, "slot": slot, "first_step": first_step, **counters}


def format_table(doc: dict) -> str:
    """The points of a sweep as a text table, then the ratios and the choice of T."""
    head = (f"{doc.get('workload', doc.get('model'))}: {doc['sequences']} sequences of "
            f"{doc['lengths']['min']}..{doc['lengths']['max']} steps, predictor "
            f"{doc['predictor']}, {doc['fmax_mhz']} MHz ({doc['fmax_source']})")
    lines = [head, f"{'policy':<7} {'S':>3} {'seq/s':>8} {'lat us':>8} {'p99 us':>8} "
                   f"{'pad %':>6} {'idle %':>6} {'reads/seq':>10} {'nJ/seq':>8} {'reads %':>7}"]
    for p in doc["points"]:
        lines.append(f"{p['policy']:<7} {p['slots']:>3} {p['throughput']:>8.0f} "
                     f"{p['latency_mean_us']:>8.1f} {p['latency_p99_us']:>8.1f} "
                     f"{100 * p['padding_frac']:>6.1f} {100 * p['idle_frac']:>6.1f} "
                     f"{p['weight_reads_per_seq']:>10.0f} {p['energy_per_seq_nj']:>8.1f} "
                     f"{100 * p['weight_read_share']:>7.1f}")
    for s, r in doc["ratios"].items():
        if "throughput_vs_padded" in r:
            lines.append(f"ebatch vs padded at S = {s}: throughput x"
                         f"{r['throughput_vs_padded']:.3f}, energy per sequence /"
                         f"{r['energy_vs_padded']:.3f}")
    if doc.get("weight_reads_stop_dominating_at") is not None:
        lines.append(f"weight reads below half the energy from S = "
                     f"{doc['weight_reads_stop_dominating_at']} (ebatch)")
    if "steps_per_batch" in doc:
        lines.append(f"timesteps per batch at S = {doc['steps_per_batch']['slots']}: chosen "
                     f"T = {doc['steps_per_batch']['chosen']}")
    return "\n".join(lines)


# -- the published figures: docs/data/batch/*.json and the regions of docs/batch.md ---------

DATA_DIR = Path("docs/data/batch")
DOC = Path("docs/batch.md")
AREA = Path("docs/data/batch_area.json")      # python -m synth.batch_area writes it
# python -m synth.batch_top_area --target generic | ecp5 writes them
SYNTH = {"synth-generic": Path("docs/data/batch_synth_generic.json"),
         "synth-ecp5": Path("docs/data/batch_synth_ecp5.json")}
SYNTH_SLOTS = (1, 4, 8)
RUNS = tuple((name, predictor) for name in ("jvowels-lstm", "jvowels-gru")
             for predictor in ("none", "bnn"))
BATCH_REGION = re.compile(r"(<!-- batch: ([^>]*?) -->\n)(.*?)(<!-- /batch -->)", re.S)


def data_path(root: Path, name: str, predictor: str) -> Path:
    return root / DATA_DIR / f"{name}-{predictor}.json"


def _row(cells) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _runs(docs: dict):
    return [(key, doc) for key, doc in docs.items() if isinstance(key, tuple)]


def _points_table(doc: dict) -> list[str]:
    lines = [_row(("policy", "S", "sequences/s", "latency mean (us)", "latency p99 (us)",
                   "padding", "idle", "weight reads/seq", "energy/seq (nJ)",
                   "weight-read share")), _row(("---",) * 10)]
    for p in doc["points"]:
        lines.append(_row((p["policy"], p["slots"], f"{p['throughput']:.0f}",
                           f"{p['latency_mean_us']:.1f}", f"{p['latency_p99_us']:.1f}",
                           f"{100 * p['padding_frac']:.1f} %", f"{100 * p['idle_frac']:.1f} %",
                           f"{p['weight_reads_per_seq']:.0f}", f"{p['energy_per_seq_nj']:.1f}",
                           f"{100 * p['weight_read_share']:.1f} %")))
    return lines


def _ratios_table(docs: dict) -> list[str]:
    lines = [_row(("workload", "predictor", "S", "throughput vs padded", "energy vs padded",
                   "throughput vs single", "energy vs single")), _row(("---",) * 7)]
    for (name, predictor), doc in _runs(docs):
        for s, r in doc["ratios"].items():
            if s == "1":
                continue
            lines.append(_row((name, predictor, s, f"{r['throughput_vs_padded']:.2f}x",
                               f"{r['energy_vs_padded']:.2f}x",
                               f"{r['throughput_vs_single']:.2f}x",
                               f"{r['energy_vs_single']:.2f}x")))
    return lines


def _energy_table(docs: dict) -> list[str]:
    lines = [_row(("workload", "predictor", *(f"S = {s}" for s in SLOTS),
                   "weight reads < half from")), _row(("---",) * (3 + len(SLOTS)))]
    for (name, predictor), doc in _runs(docs):
        by = {p["slots"]: p for p in doc["points"] if p["policy"] == "ebatch"}
        cells = [f"{by[s]['energy_per_seq_nj']:.1f} nJ ({100 * by[s]['weight_read_share']:.0f} %)"
                 for s in SLOTS]
        at = doc["weight_reads_stop_dominating_at"]
        lines.append(_row((name, predictor, *cells, "-" if at is None else f"S = {at}")))
    return lines


def _steps_table(docs: dict) -> list[str]:
    lines = [_row(("workload", "predictor", "S", "T", "sequences/s", "latency mean (us)",
                   "turnaround mean (us)", "idle", "energy/seq (nJ)", "chosen")),
             _row(("---",) * 10)]
    for (name, predictor), doc in _runs(docs):
        steps = doc["steps_per_batch"]
        for p in steps["points"]:
            lines.append(_row((name, predictor, p["slots"], p["steps_per_batch"],
                               f"{p['throughput']:.0f}", f"{p['latency_mean_us']:.1f}",
                               f"{p['turnaround_mean_us']:.1f}",
                               f"{100 * p['idle_frac']:.1f} %", f"{p['energy_per_seq_nj']:.1f}",
                               "yes" if p["steps_per_batch"] == steps["chosen"] else "")))
    return lines


def _area_table(doc: dict) -> list[str]:
    f = doc["figures"]
    dpu = f["dpu"]
    lines = [_row(("block", "cells", "flip-flops", "transistors", "vs one DPU",
                   "S DPUs would be")), _row(("---",) * 6),
             _row(("DPU (today, hw/dpu.py)", f"{dpu['cells']:,}", f"{dpu['ffs']:,}",
                   f"{dpu['transistors']:,}", "1.00x", "-"))]
    for s in doc["slots"]:
        b, q = f[f"batch_dpu_s{s}"], f[f"batch_sequencer_s{s}"]
        lines.append(_row((f"batched DPU, S = {s}", f"{b['cells']:,}", f"{b['ffs']:,}",
                           f"{b['transistors']:,}",
                           f"{b['transistors'] / dpu['transistors']:.2f}x", f"{s}.00x")))
        lines.append(_row((f"batched row sequencer, S = {s}", f"{q['cells']:,}",
                           f"{q['ffs']:,}", f"{q['transistors']:,}",
                           f"{q['transistors'] / dpu['transistors']:.3f}x", "-")))
    return lines


def _builds(doc: dict):
    """(name, predictor, S, figures, figures at S = 1) of a synth/batch_top_area.py document,
    None for a build not measured."""
    f = doc["builds"]
    for predictor in ("none", "bnn"):
        for s in doc["slots"]:
            yield (f"{predictor}_s{s}", predictor, s, f.get(f"{predictor}_s{s}"),
                   f.get(f"{predictor}_s1"))


def _synth_generic_table(doc: dict) -> list[str]:
    lines = [_row(("predictor", "S", "build", "cells", "flip-flops", "transistors", "vs S = 1",
                   "memory bits")), _row(("---",) * 8)]
    for _, predictor, s, g, one in _builds(doc):
        build = "hw/top.py" if s == 1 else "hw/batch_top.py"
        if g is None:
            lines.append(_row((predictor, s, build, *["not measured"] * 5)))
            continue
        ratio = f"{g['transistors'] / one['transistors']:.2f}x" if one else "-"
        lines.append(_row((predictor, s, build, f"{g['cells']:,}", f"{g['ffs']:,}",
                           f"{g['transistors']:,}", ratio, f"{g['memory_bits']:,}")))
    return lines


def _synth_ecp5_table(doc: dict) -> list[str]:
    lines = [_row(("predictor", "S", "LUTs", "flip-flops", "DSPs", "block RAMs", "Fmax (MHz)",
                   "Fmax vs S = 1")), _row(("---",) * 8)]
    for _, predictor, s, g, one in _builds(doc):
        if g is None:
            lines.append(_row((predictor, s, *["not measured"] * 6)))
            continue
        fmax = g.get("fmax_mhz")
        ratio = f"{fmax / one['fmax_mhz']:.2f}x" if fmax and one and one.get("fmax_mhz") \
            else "-"
        lines.append(_row((predictor, s, f"{g['luts']:,}", f"{g['ffs']:,}", g["dsps"],
                           g["brams"], "-" if fmax is None else f"{fmax:.2f}", ratio)))
    return lines


def synth_fmax(doc: dict, predictor: str, slots: int) -> float | None:
    """The Fmax (MHz) synth/batch_top_area.py measured for a build, None if not measured."""
    g = doc["builds"].get(f"{predictor}_s{slots}")
    return None if g is None else g.get("fmax_mhz")


def _fmax_throughput_table(docs: dict) -> list[str]:
    ecp5 = docs["synth-ecp5"]
    lines = [_row(("workload", "predictor", "S", "Fmax (MHz)", "single (seq/s)",
                   "padded (seq/s)", "ebatch (seq/s)", "ebatch vs single at S = 1")),
             _row(("---",) * 8)]
    for (name, predictor), doc in _runs(docs):
        by = {(p["policy"], p["slots"]): p for p in doc["points"]}
        base = synth_fmax(ecp5, predictor, 1)
        one = (doc["sequences"] * base * 1e6 / by["single", 1]["cycles"]) if base else None
        for s in SYNTH_SLOTS:
            fmax = synth_fmax(ecp5, predictor, s)
            if fmax is None:
                lines.append(_row((name, predictor, s, "not measured", "-", "-", "-", "-")))
                continue
            rate = {policy: doc["sequences"] * fmax * 1e6 / by[policy, s]["cycles"]
                    for policy in ("single", "padded", "ebatch")}
            lines.append(_row((name, predictor, s, f"{fmax:.2f}",
                               *(f"{rate[p]:.0f}" for p in ("single", "padded", "ebatch")),
                               f"{rate['ebatch'] / one:.2f}x" if one else "-")))
    return lines


def render(text: str, docs: dict) -> str:
    """``text`` with every ``<!-- batch: SPEC -->`` region regenerated from ``docs``
    ((workload, predictor) -> sweep document, ``area``, ``synth-generic``, ``synth-ecp5``).
    SPEC: ``points NAME PREDICTOR``, ``ratios``, ``energy``, ``steps``, ``area``,
    ``synth-generic``, ``synth-ecp5``, ``fmax-throughput`` (sequences per second of each
    policy at the ECP5 Fmax measured for the build of that S)."""
    def fill(m):
        spec = m.group(2).split()
        if spec[0] == "points" and len(spec) == 3:
            lines = _points_table(docs[spec[1], spec[2]])
        elif spec == ["ratios"]:
            lines = _ratios_table(docs)
        elif spec == ["energy"]:
            lines = _energy_table(docs)
        elif spec == ["steps"]:
            lines = _steps_table(docs)
        elif spec == ["area"]:
            lines = _area_table(docs["area"])
        elif spec == ["synth-generic"]:
            lines = _synth_generic_table(docs["synth-generic"])
        elif spec == ["synth-ecp5"]:
            lines = _synth_ecp5_table(docs["synth-ecp5"])
        elif spec == ["fmax-throughput"]:
            lines = _fmax_throughput_table(docs)
        else:
            raise ValueError(f"unknown batch region {m.group(2)!r}")
        return m.group(1) + "\n".join(lines) + "\n" + m.group(4)
    return BATCH_REGION.sub(fill, text)


def stored(root: Path = ROOT) -> dict:
    """The stored sweeps by (workload, predictor), ``area`` (synth/batch_area.py's) and the
    whole builds' synthesis (synth/batch_top_area.py's, by :data:`SYNTH`'s keys)."""
    docs = {(name, predictor): json.loads(data_path(root, name, predictor).read_text())
            for name, predictor in RUNS}
    return {**docs, "area": json.loads((root / AREA).read_text()),
            **{key: json.loads((root / path).read_text()) for key, path in SYNTH.items()}}


def main(argv=None) -> int:
    """``python -m workloads.batching [--check] [--render-only]``: run the sweeps of
    :data:`RUNS` into docs/data/batch/ and regenerate docs/batch.md's regions (``--check``:
    compare instead, exit 1 on a difference; ``--render-only``: from the stored JSON)."""
    import argparse

    from core.io import write_atomic

    parser = argparse.ArgumentParser(prog="python -m workloads.batching")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args(argv)
    if args.render_only or args.check:
        docs = stored()
    else:
        kept = stored()
        docs = {key: doc for key, doc in kept.items() if not isinstance(key, tuple)}
        for name, predictor in RUNS:
            docs[name, predictor] = workload_sweep(name, predictor)
            data_path(ROOT, name, predictor).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(data_path(ROOT, name, predictor),
                         json.dumps(docs[name, predictor], indent=1) + "\n")
    text = (ROOT / DOC).read_text()
    new = render(text, docs)
    if args.check:
        if new != text:
            print(f"{DOC} differs from {DATA_DIR}: run python -m workloads.batching",
                  file=sys.stderr)
            return 1
        return 0
    if new != text:
        write_atomic(ROOT / DOC, new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
