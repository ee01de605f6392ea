"""The evaluation sweep: every predictor over a range of thresholds on one workload's test split.

For each (predictor, theta) the fixed-point golden model runs the whole test split
(:func:`golden.model.run_fixed`, which also runs the cycle model of golden/cycles.py), and the
point records (SPEC 4):

- ``reuse``: reused / (reused + computed) gate-neuron evaluations (0 for ``delta``, whose
  neurons are all computed);
- ``skipped``: the fraction of the baseline's multiply-accumulates skipped, every scheme (a
  reused neuron's row; for ``delta``, the columns of the elements not propagated);
- ``metric_value`` and ``loss`` against the fixed-point baseline (predictor ``none``), in the
  metric's unit, positive = worse;
- ``speedup``: cycles of ``none`` / cycles of the predictor, summed over the test split;
- ``energy_saving``: 1 - energy / energy of ``none`` (golden/energy.py), as a fraction;
- ``per_gate``: per gate, by the RTL's gate names, reused / (reused + computed) evaluations of
  that gate's neurons (0 for ``none`` and ``delta``, which compute every neuron);
- ``saturation``: per saturation counter (``sat_<quantity>_l<layer>``, docs/formats.md), the
  narrowings that clipped, summed over the split.

Thresholds are held by the theta register (``EpurConfig.theta_format``, UQ8.8), so a requested
theta is rounded to a multiple of 2**-8; points report the theta that was used. ``bnn`` and
``oracle`` use the relative test unless ``mode="absolute"``; ``delta`` thresholds are absolute
changes of an input element. The runs are spread over worker processes by Dask
(workloads/engine.py: a local cluster, one worker per core, or an existing cluster's
``scheduler``), one run per task; each worker loads the workload once.

The workload is a built-in one by name or a user's own model (a
:class:`workloads.user.UserSpec`, ``epur evaluate --model M --inputs X``).

Besides the keys that ``epur evaluate --json`` promises, a document carries ``split``,
``sequences``, ``timesteps``, ``config`` (the sizes and reuse test used), ``seconds`` and, after
:func:`choose_on`, ``chosen_on_val``.

Dynamic precision (issue 13, golden/precision.py) has a section of its own, ``precision``
(:func:`precision_sweep`): the low data word's fraction bits ``low_data_frac`` (the one whose
static-low run loses least, chosen on the validation data under ``--choose-on-val``), then per
memo setting (``none`` alone, and ``memo``: bnn at its chosen theta, or mbnn where no bnn theta
stays within budget) the static-low point and the dynamic points over ``precision_theta``; each
point has ``low_fraction`` (layer steps at low precision), loss, speedup and energy saving
against the static full-precision baseline (predictor none). The dynamic threshold is chosen as
the memo thresholds are: the largest such that it and every smaller one stay within budget
(:func:`precision_chosen`), on the validation sweep under ``--choose-on-val``
(:func:`choose_precision_on`). ``trace`` holds the precision chosen along the first test
sequence beside the tracked state's change ``max_j |s_t - s_{t-1}|``.
"""

from __future__ import annotations

import dataclasses
import io
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from core.io import write_atomic
from workloads.base import PERCENT_METRICS
from workloads.engine import Engine

PREDICTORS = ("bnn", "mbnn", "oracle", "delta")
DEFAULT_THETAS = {      # multiples of 2**-8, so that the theta register holds them exactly
    "bnn": (0.0, 0.0625, 0.125, 0.1875, 0.25, 0.3125, 0.375, 0.5, 0.75, 1.0),
    "mbnn": (0.0, 0.0625, 0.125, 0.1875, 0.25, 0.3125, 0.375, 0.5, 0.75, 1.0),
    "oracle": (0.0, 0.0625, 0.125, 0.1875, 0.25, 0.3125, 0.375, 0.5, 0.75, 1.0),
    "delta": (0.0, 0.015625, 0.03125, 0.0625, 0.125, 0.1875, 0.25, 0.3125, 0.375, 0.5),
}
_FINE = (0.0, 1 / 256, 1 / 128, 3 / 256, 1 / 64, 3 / 128, 1 / 32, 3 / 64, 1 / 16, 1 / 8)
WORKLOAD_THETAS = {          # workloads whose loss rises at small thresholds get a finer range
    "silero-vad": {"bnn": _FINE, "oracle": _FINE,
                   "delta": (0.0, 1 / 128, 1 / 64, 1 / 32, 3 / 64, 1 / 16, 5 / 64, 3 / 32, 1 / 8,
                             3 / 16)},
}


def default_thetas(name: str) -> dict:
    """The thresholds swept by default on workload ``name``, per predictor."""
    return {**DEFAULT_THETAS, **WORKLOAD_THETAS.get(name, {})}


# dynamic precision: thresholds on max_j |s_t - s_{t-1}| (data units; the LSTM's c moves by
# more than the GRU's h, which stays in [-1, 1]), and the low data words tried
PRECISION_THETAS = (0.0625, 0.125, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 4.5, 5.0, 6.0)
LOW_DATA_FRACS = (3, 4, 5, 6)
PRECISION_MODES = ("low", "dynamic")
MEMO_FOR_PRECISION = ("bnn", "mbnn")      # the memo predictor combined with dynamic precision
PRECISION_POINT_KEYS = ("predictor", "theta", "precision", "precision_theta", "low_data_frac",
                        "low_fraction", "reuse", "skipped", "metric_value", "loss", "speedup",
                        "energy_saving", "saturation")

POINT_KEYS = ("predictor", "theta", "reuse", "skipped", "metric_value", "loss", "speedup",
              "energy_saving", "per_gate", "saturation")

_STATE: dict = {}          # per process: the workload and its config, loaded once


def _setup(where):
    """The workload and config of ``where = (name, limit, split, mode, reuse_cap, theta_h,
    overrides)`` (``overrides``: (field, value) pairs of the config), loaded once per process."""
    if _STATE.get("key") != where:
        from core.params import config_for
        from workloads import get, user

        name, limit, split, mode, reuse_cap, theta_h, overrides = where
        if _STATE.get("data") != (name, limit, split):   # another config of the same data
            w = user.load(name, split) if isinstance(name, user.UserSpec) else get(name, split)
            if limit:
                w.truncate(limit)
            _STATE.update(data=(name, limit, split), workload=w)
        w = _STATE["workload"]
        cfg = config_for(w.params, mode=mode, reuse_cap=reuse_cap, theta_h=theta_h)
        _STATE.update(key=where, cfg=dataclasses.replace(cfg, **dict(overrides)))
    return _STATE["workload"], _STATE["cfg"]


def point_figures(where, predictor: str, theta: float) -> dict:
    """The raw figures of one run (predictor, theta) of sweep key ``where`` (see :func:`_setup`):
    reuse, skipped, metric_value, cycles, energy_pj, per_gate, saturation, seconds."""
    return _run((where, predictor, theta))


def _run(task):
    """One run of the golden model: the raw figures of one point."""
    from core.saturation import saturation_totals
    from golden.energy import energy

    where, predictor, theta, *precision = task
    w, cfg = _setup(where)
    knobs = {}
    if precision:                   # (mode, threshold, low_data_frac)
        mode, precision_theta, low_data_frac = precision
        cfg = dataclasses.replace(cfg, low_data_frac=low_data_frac)
        knobs = {"precision": mode, "precision_theta": precision_theta}
    t0 = time.perf_counter()
    r = _run_fixed(w, cfg, predictor=predictor, theta=theta, **knobs)
    computed, reused = r.computed.sum(axis=0), r.reused.sum(axis=0)
    per_gate = {name: float(reused[g] / (computed[g] + reused[g])) if computed[g] + reused[g]
                else 0.0 for g, name in enumerate(r.cfg.gate_names)}
    out = {"predictor": predictor, "theta": r.cfg.theta_int / (1 << r.cfg.theta_format.frac),
           "reuse": r.reuse, "skipped": r.skipped, "metric_value": w.score(r.h),
           "cycles": int(r.cycles.sum()),
           "energy_pj": energy(r)["total"], "per_gate": per_gate,
           "saturation": saturation_totals(r.cfg, r.saturations()),
           "seconds": time.perf_counter() - t0}
    if precision:
        out.update(precision=r.cfg.precision, low_data_frac=r.cfg.low_data_frac,
                   precision_theta=r.cfg.precision_theta_int / (1 << r.cfg.data_format.frac),
                   low_fraction=r.low_fraction, steps_high=int(r.steps_high.sum()),
                   steps_low=int(r.steps_low.sum()))
    return out


def _run_fixed(w, cfg, **knobs):
    """The golden model over the workload's sequences (pooled folds: each part through its own
    model, the runs joined)."""
    from golden.controller import Result
    from golden.model import run_fixed

    runs = w.runs(lambda params, x, lengths: run_fixed(cfg, params, x, lengths, **knobs))
    return runs[0] if len(runs) == 1 else Result.concat(runs)


def _float_metric(task):
    from golden.float_model import run_float

    w, _ = _setup(task)
    hs = w.runs(lambda params, x, lengths: run_float(params, x))
    steps = max(h.shape[1] for h in hs)
    return w.score(np.concatenate([np.pad(h, [(0, 0), (0, steps - h.shape[1]), (0, 0)])
                                   for h in hs]))


class Progress(tqdm):
    """A one-line progress bar on stderr (tqdm): ``step(note)`` counts one task done and shows
    its note; ``enabled=False`` prints nothing. Used as a context manager, it ends its line
    whatever happens, so an error line (``epur evaluate: interrupted``) starts on its own."""

    monitor_interval = 0         # no monitor thread: nothing to watch a one-line bar

    def __init__(self, total: int, label: str, enabled: bool = True, stream=None):
        super().__init__(total=total, desc=label, disable=not enabled, leave=True,
                         file=sys.stderr if stream is None else stream, mininterval=0,
                         ascii=" #", ncols=80, unit="run")

    def step(self, note: str = "") -> None:
        self.set_postfix_str(note, refresh=False)
        self.update(1)


def _points(where, tasks, engine: Engine, bar, with_float: bool = True) -> tuple[list, float]:
    """The raw figures of every task, in the tasks' order, on ``engine``, and the float
    metric."""
    raw = [None] * len(tasks)
    pending = engine.submit(_float_metric, where) if with_float and not engine.local else None
    float_value = _float_metric(where) if with_float and engine.local else None
    for k, point in engine.map(_run, tasks):
        raw[k] = point
        bar.step(_note(point))
    if pending is not None:
        float_value = pending.result()
    return raw, float_value


def _note(point) -> str:
    if "precision" in point:
        return f"{point['precision']} {point['precision_theta']:g}"
    return f"{point['predictor']} {point['theta']:g}"


def sweep(name: str, thetas: dict | None = None, processes: int | None = None,
          limit: int | None = None, progress: bool = True, split: str = "test",
          mode: str = "relative", reuse_cap: int = 0, theta_h: float | None = None,
          overrides: dict | None = None, precision: tuple = (),
          precision_thetas: tuple | None = None, prior: dict | None = None,
          scheduler: str | None = None) -> dict:
    """Sweep workload ``name``; returns the document of ``epur evaluate --json``.

    ``thetas`` maps predictors to thresholds; a predictor mapped to ``None`` gets the workload's
    default range, one left out is not swept (``thetas=None``: every predictor, defaults).
    ``mode`` and ``reuse_cap`` set the reuse test of bnn and oracle (EpurConfig); ``theta_h``
    fixes delta's h threshold while its thetas sweep the x threshold (``None``: the same);
    ``overrides`` other fields of the workload's config (e.g. ``{"shadow_bits": 3}``).
    ``precision``: the precision modes swept besides static (of :data:`PRECISION_MODES`; empty:
    no ``precision`` section), dynamic over ``precision_thetas`` (None: the default grid);
    ``prior``: the validation sweep whose low data word, memo setting and chosen threshold the
    precision section uses (None: chosen on this split). The runs go to ``processes`` local
    Dask workers (default: one per core; 1: this process), or to the Dask cluster whose
    scheduler is at ``scheduler``."""
    defaults = default_thetas(name)
    thetas = defaults if thetas is None else {
        p: defaults[p] if t is None else t for p, t in thetas.items()}
    where = (name, limit, split, mode, reuse_cap, theta_h,
             tuple(sorted((overrides or {}).items())))
    w, _ = _setup(where)                      # load once here: forked workers inherit it
    tasks = [(where, "none", 0.0)] + [
        (where, p, float(t)) for p in PREDICTORS for t in thetas.get(p, ())]
    # no more workers than tasks (a --jobs of thousands would fork thousands of processes)
    processes = min(processes or os.cpu_count() or 1, len(tasks))
    t0 = time.perf_counter()
    with Engine(processes, scheduler) as engine:
        with Progress(len(tasks) + 1, str(name), progress) as bar:
            raw, float_value = _points(where, tasks, engine, bar)
            bar.step("float")
        doc = _document(w, name, split, raw, float_value)
        if precision:
            grid = PRECISION_THETAS if precision_thetas is None else tuple(precision_thetas)
            doc["precision"] = precision_sweep(where, doc, raw[0], tuple(precision), grid,
                                               engine, progress, prior)
    doc["seconds"] = round(time.perf_counter() - t0, 2)
    return doc


def _document(w, name, split: str, raw: list, float_value) -> dict:
    """The sweep's document from the raw figures (``raw[0]``: the baseline, predictor none)."""
    base = raw[0]
    baseline = base["metric_value"]
    points = [_point(w, base, p) for p in raw]
    doc = {
        "workload": str(name), "split": split, "metric": w.metric,
        "higher_is_better": w.higher_is_better,
        "baseline": baseline, "float": float_value, "loss_budget": w.budget_for(baseline),
        "points": points,
        "sequences": int(len(w.test_lengths)), "timesteps": int(np.sum(w.test_lengths)),
        "config": {k: v for k, v in dataclasses.asdict(_STATE["cfg"]).items()
                   if k in ("cell", "input_size", "hidden_size", "layers", "lanes", "bnn_bits",
                            "mode", "reuse_cap", "theta_h")},
    }
    return doc


def _point(w, base: dict, p: dict) -> dict:
    """A point of the document from a run's raw figures and the baseline's."""
    out = {
        "predictor": p["predictor"], "theta": p["theta"], "reuse": p["reuse"],
        "skipped": p["skipped"],
        "metric_value": p["metric_value"], "loss": w.loss(base["metric_value"], p["metric_value"]),
        "speedup": base["cycles"] / p["cycles"],
        "energy_saving": 1.0 - p["energy_pj"] / base["energy_pj"],
        "per_gate": p["per_gate"], "saturation": p["saturation"],
    }
    if "precision" in p:
        out = {k: out[k] if k in out else p[k] for k in PRECISION_POINT_KEYS}
        out.update(steps_high=p["steps_high"], steps_low=p["steps_low"])
    return out


def precision_sweep(where, doc: dict, base: dict, modes: tuple, grid: tuple, engine: Engine,
                    progress: bool, prior: dict | None) -> dict:
    """The ``precision`` section of sweep ``doc`` (``base``: the baseline run's raw figures)."""
    for m in modes:
        if m not in PRECISION_MODES:
            raise ValueError(f"unknown precision mode {m!r}: choose from "
                             f"{', '.join(PRECISION_MODES)}")
    with Progress(1, f"{doc['workload']} precision", progress) as bar:
        return _precision_section(where, doc, base, modes, grid, engine, prior, bar)


def _precision_section(where, doc, base, modes, grid, engine, prior, bar) -> dict:
    w, _ = _setup(where)
    raw, losses = {}, None

    def run_all(tasks):
        tasks = [t for t in tasks if t[1:] not in raw]
        bar.total += len(tasks)
        got, _ = _points(where, tasks, engine, bar, with_float=False)
        raw.update({t[1:]: p for t, p in zip(tasks, got, strict=True)})

    if prior is not None:
        low_data_frac = prior["precision"]["low_data_frac"]
        losses = prior["precision"]["low_data_frac_losses"]
        memo = prior["precision"]["memo"]
    else:       # the low data word whose static-low run loses least (ties: the finer one)
        run_all([(where, "none", 0.0, "low", 0.0, f) for f in LOW_DATA_FRACS])
        losses = {f: w.loss(doc["baseline"], raw[("none", 0.0, "low", 0.0, f)]["metric_value"])
                  for f in LOW_DATA_FRACS}
        low_data_frac = min(LOW_DATA_FRACS, key=lambda f: (losses[f], -f))
        memo = _memo_setting(doc)
    groups = [("none", 0.0)] + ([(memo["predictor"], memo["theta"])] if memo else [])
    tasks = [(where, p, th, "low", 0.0, low_data_frac) for p, th in groups if "low" in modes]
    tasks += [(where, p, th, "dynamic", float(t), low_data_frac) for p, th in groups
              if "dynamic" in modes for t in grid]
    run_all(tasks)
    bar.step("done")
    section = {"low_data_frac": low_data_frac,
               "low_data_frac_losses": {str(f): v for f, v in losses.items()},
               "chosen_on": doc["split"] if prior is None else prior["split"],
               "memo": memo, "thetas": list(grid),
               "points": [_point(w, base, raw[t[1:]]) for t in tasks]}
    if doc["split"] == "test" and "dynamic" in modes:
        picked = precision_chosen(prior if prior is not None else {**doc, "precision": section})
        at = picked["none"]["precision_theta"] if picked["none"] else min(grid)
        section["trace"] = trace(where, at, low_data_frac, chosen=picked["none"] is not None)
    return section


def _memo_setting(doc: dict) -> dict | None:
    """The memo predictor combined with dynamic precision: bnn at its chosen theta (the
    hardware's), else mbnn at its (software only); None when neither stays within budget."""
    picks = chosen(doc)
    for pred in MEMO_FOR_PRECISION:
        if picks.get(pred) is not None:
            return {"predictor": pred, "theta": picks[pred]["theta"]}
    return None


def trace(where, precision_theta: float, low_data_frac: int, chosen: bool = True,
          sequence: int = 0) -> dict:
    """The tracker along one test sequence, layer 0, predictor none: per step t, the change of
    the tracked state ``max_j |s_t - s_{t-1}|`` (real units, ``s_{-1} = 0``) and whether step t
    ran at low precision (decided by the change of step t - 1)."""
    from golden.model import run_fixed

    w, cfg = _setup(where)
    cfg = dataclasses.replace(cfg, low_data_frac=low_data_frac)
    n = int(w.test_lengths[sequence])
    r = run_fixed(cfg, w.params, w.test_x[sequence:sequence + 1, :n], w.test_lengths[sequence:
                  sequence + 1], predictor="none", precision="dynamic",
                  precision_theta=precision_theta)
    state = (r.c_int if cfg.cell == "lstm" else r.h_int)[0, 0]
    change = np.abs(np.diff(state, axis=0, prepend=0)).max(axis=1)
    unit = 1 << cfg.data_format.frac
    return {"sequence": sequence, "layer": 0, "state": "c" if cfg.cell == "lstm" else "h",
            "theta": r.cfg.precision_theta_int / unit, "chosen": chosen,
            "change": [int(v) / unit for v in change], "low": [bool(v) for v in r.low[0, 0]]}


def precision_chosen(doc: dict) -> dict:
    """Per memo setting (``none``, ``memo``), the dynamic point at the largest threshold such
    that it and every smaller one stay within the loss budget (None: not even the smallest)."""
    points = doc["precision"]["points"]
    return {group: last_within_budget(
        doc, (p for p in points if p["precision"] == "dynamic"
              and (p["predictor"] == "none") == (group == "none")), "precision_theta")
        for group in ("none", "memo")}


def choose_precision_on(val_doc: dict, doc: dict) -> dict:
    """The thresholds :func:`precision_chosen` picks on the validation sweep, stored in
    ``doc["precision"]["chosen_on_val"]`` (None where none stays within budget there)."""
    picks = {g: (p["precision_theta"] if p else None)
             for g, p in precision_chosen(val_doc).items()}
    doc["precision"]["chosen_on_val"] = picks
    return picks


def fits_budget(doc: dict, point: dict) -> bool:
    """Whether ``point``'s loss stays within the sweep ``doc``'s loss budget (to rounding)."""
    return point["loss"] <= doc["loss_budget"] + 1e-12


def chosen(doc: dict) -> dict:
    """Per predictor, the point at the largest theta such that it and every smaller theta stay
    within the loss budget (``None`` when even the smallest theta exceeds it)."""
    return {pred: last_within_budget(doc, (p for p in doc["points"] if p["predictor"] == pred),
                                     "theta")
            for pred in PREDICTORS}


def last_within_budget(doc: dict, points, key: str) -> dict | None:
    """Of ``points`` sorted by ``key`` (a threshold), the last one such that it and every
    smaller one stay within ``doc``'s loss budget (None: not even the smallest)."""
    best = None
    for p in sorted(points, key=lambda p: p[key]):
        if not fits_budget(doc, p):
            break
        best = p
    return best


def choose_on(val_doc: dict, doc: dict) -> dict:
    """Per predictor, the theta that :func:`chosen` picks on the validation sweep ``val_doc``
    (``None`` when none stays within budget there); stored in ``doc["chosen_on_val"]``."""
    picks = {p: (pt["theta"] if pt else None) for p, pt in chosen(val_doc).items()}
    doc["chosen_on_val"] = picks
    return picks


def format_table(doc: dict) -> str:
    """The sweep as a table; ``<`` marks the largest theta within budget on this split, ``V`` the
    theta chosen on the validation split (when the sweep has one)."""
    unit = "%" if doc["metric"] in PERCENT_METRICS else ""
    lines = [
        f"{doc['workload']} ({doc.get('split', 'test')} split): {doc['metric']} float "
        f"{doc['float']:.4g}{unit}, fixed point {doc['baseline']:.4g}{unit}, loss budget "
        f"{doc['loss_budget']:.4g}{' points' if unit else ''} ({doc['sequences']} sequences, "
        f"{doc['timesteps']} steps)",
        f"{'predictor':<9} {'theta':>8} {'reuse %':>8} {'skip %':>7} {doc['metric']:>10} "
        f"{'loss':>8} "
        f"{'speedup':>8} {'energy %':>9}  budget",
    ]
    picks = {id(p) for p in chosen(doc).values() if p is not None}
    on_val = doc.get("chosen_on_val") or {}
    for p in doc["points"]:
        ok = "ok" if fits_budget(doc, p) else "-"
        mark = (" <" if id(p) in picks else "") + \
            (" V" if on_val.get(p["predictor"]) == p["theta"] else "")
        lines.append(
            f"{p['predictor']:<9} {p['theta']:>8.4g} {100 * p['reuse']:>8.2f} "
            f"{100 * p.get('skipped', 0.0):>7.2f} {p['metric_value']:>10.4f} {p['loss']:>8.4f} "
            f"{p['speedup']:>8.3f} "
            f"{100 * p['energy_saving']:>9.2f}  {ok}{mark}")
    lines.append("< largest theta within budget here"
                 + ("; V theta chosen on the validation split" if on_val else ""))
    if "precision" in doc:
        lines += ["", *format_precision(doc)]
    return "\n".join(lines)


def format_precision(doc: dict) -> list[str]:
    """The precision section as table lines (the marks as in :func:`format_table`)."""
    sec = doc["precision"]
    memo = sec["memo"]
    lines = [f"dynamic precision: low data word Q8.{sec['low_data_frac']}; memo setting "
             + (f"{memo['predictor']} theta {memo['theta']:g}" if memo else "none within budget"),
             f"{'predictor':<9} {'theta':>6} {'precision':>9} {'p-theta':>8} {'low %':>6} "
             f"{doc['metric']:>10} {'loss':>8} {'speedup':>8} {'energy %':>9}  budget"]
    picks = {id(p) for p in precision_chosen(doc).values() if p is not None}
    on_val = sec.get("chosen_on_val") or {}
    for p in sec["points"]:
        group = "none" if p["predictor"] == "none" else "memo"
        mark = (" <" if id(p) in picks else "") + (
            " V" if p["precision"] == "dynamic" and on_val.get(group) == p["precision_theta"]
            else "")
        lines.append(
            f"{p['predictor']:<9} {p['theta']:>6.4g} {p['precision']:>9} "
            f"{p['precision_theta']:>8.4g} {100 * p['low_fraction']:>6.1f} "
            f"{p['metric_value']:>10.4f} {p['loss']:>8.4f} {p['speedup']:>8.3f} "
            f"{100 * p['energy_saving']:>9.2f}  {'ok' if fits_budget(doc, p) else '-'}{mark}")
    return lines


def plot_trace(doc: dict, path) -> None:
    """The precision chosen along one test sequence beside the tracked state's change and the
    threshold (``doc["precision"]["trace"]``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tr = doc["precision"]["trace"]
    steps = np.arange(len(tr["change"]))
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(steps, tr["change"], "-", color="tab:blue",
            label=f"max_j |{tr['state']}_t - {tr['state']}_(t-1)|")
    ax.axhline(tr["theta"], color="grey", linestyle=":",
               label=f"threshold {tr['theta']:g}" + ("" if tr["chosen"] else " (none in budget)"))
    low = np.array(tr["low"], dtype=bool)
    top = max(max(tr["change"]), tr["theta"]) * 1.05 or 1.0
    ax.fill_between(steps, 0, top, where=low, step="mid", color="tab:orange", alpha=0.25,
                    label="step at low precision")
    ax.set_xlabel(f"timestep (test sequence {tr['sequence']}, layer {tr['layer']})")
    ax.set_ylabel(f"change of {tr['state']}")
    ax.set_ylim(0, top)
    ax.set_title(f"{doc['workload']}: dynamic precision, {100 * low.mean():.0f} % of the steps low")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=120, format=Path(path).suffix.lstrip(".") or "png")
    plt.close(fig)
    write_atomic(path, buf.getvalue())


def plot(docs: list[dict], path) -> None:
    """Figure 1 of the paper, per workload: reuse (solid, left axis) and accuracy loss (dashed,
    right axis) against the threshold; memoization (bnn, oracle) on top, delta (the MACs it
    skips: its reuse is 0) below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"bnn": "tab:blue", "oracle": "tab:green", "delta": "tab:red"}
    fig, axes = plt.subplots(2, len(docs), figsize=(4.2 * len(docs), 6.4), squeeze=False)
    for col, doc in enumerate(docs):
        unit = "points" if doc["metric"] in PERCENT_METRICS else doc["metric"]
        for row, preds in enumerate((("bnn", "oracle"), ("delta",))):
            ax = axes[row][col]
            loss_ax = ax.twinx()
            for pred in preds:
                pts = sorted((p for p in doc["points"] if p["predictor"] == pred),
                             key=lambda p: p["theta"])
                th = [p["theta"] for p in pts]
                work = "skipped" if pred == "delta" else "reuse"
                ax.plot(th, [100 * p[work] for p in pts], "o-", color=colors[pred],
                        label=f"{pred} {work}")
                loss_ax.plot(th, [p["loss"] for p in pts], "s--", color=colors[pred],
                             alpha=0.7, label=f"{pred} loss")
            loss_ax.axhline(doc["loss_budget"], color="grey", linestyle=":", label="budget")
            ax.set_ylim(0, 100)
            ax.set_xlabel("theta (relative)" if row == 0 else "delta threshold (absolute)")
            if col == 0:
                ax.set_ylabel("reuse (%)")
            loss_ax.set_ylabel(f"{doc['metric']} loss ({unit})")
            if row == 0:
                ax.set_title(f"{doc['workload']}")
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = loss_ax.get_legend_handles_labels()
            ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, dpi=120, format=Path(path).suffix.lstrip(".") or "png")
    plt.close(fig)
    write_atomic(path, buf.getvalue())


def parse_thetas(text: str) -> tuple[float, ...]:
    """``"0,0.1,0.2"`` -> (0.0, 0.1, 0.2); raises ValueError with a precise message."""
    values = []
    for part in text.split(","):
        part = part.strip()
        try:
            v = float(part)
        except ValueError:
            raise ValueError(f"threshold {part!r} is not a number") from None
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"threshold {part} must be a finite number >= 0")
        values.append(v)
    if not values:
        raise ValueError("no thresholds given")
    return tuple(values)
