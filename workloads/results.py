"""The published figures: rewrites the generated regions of README.md and docs/results.md.

A region is the text between ``<!-- results: NAME ARGS -->`` and ``<!-- /results -->``: on lines
of their own it is a block (a table, a paragraph), on one line it is a figure inside prose. Each
NAME is a function of :data:`REGIONS` that formats the stored JSON:

- ``docs/data/eval/<workload>.json``: ``epur evaluate -w all --choose-on-val --out DIR``;
- ``tests/synth/baselines/default_<target>.json``: the synthesis baselines that the drift tests
  hold (``python -m tests.synth.test_flow --update TARGET``), read as files, not through synth;
- ``docs/data/rtl/<workload>-delta.json``: ``epur simulate --workload W --sequences 5
  --predictor delta --theta T --json > DIR/W-delta.json`` (the delta build's RTL on real
  sequences); ``--rtl-from DIR`` copies them here without the machine's paths;
- ``docs/data/rtl/<workload>-precision.json``: ``epur simulate --workload W --sequences K
  --predictor none --precision dynamic --precision-theta T --json > DIR/W-precision.json``, T the
  threshold chosen on the validation data (``precision.chosen_on_val.none`` of the eval JSON); where
  its ``precision.low_data_frac`` is not the default's, through ``--config`` (the default resized
  to the model, with that ``low_data_frac``); ``--rtl-from`` copies them too;
- ``docs/data/rtl_split/<workload>-<predictor>.json``: ``epur simulate --workload W --predictor P
  [--theta T] --json > DIR/W-P.json`` over the whole test split (Verilator), P each predictor
  with hardware (none, bnn, delta), T its threshold chosen on the validation data;
  ``--split-from DIR`` copies them here without the machine's paths.

- ``docs/data/ghost/<task>.json``: ``python -m workloads.ghost`` (the GhostRNN models against
  the plain model of the same hidden size and the plain model with as many parameters);
- ``docs/data/explore/``: the store of ``epur explore --store docs/data/explore`` (its
  ``explore.json`` and one ``hw/<key>.json`` per synthesized hardware config), the command in
  docs/own-models.md;

``python -m workloads.results`` rewrites the regions (``make results``); ``--eval-from DIR``
first copies DIR's ``<workload>.json`` into docs/data/eval (``make results EVAL=1``); ``--check``
rewrites nothing and exits 1 naming the regions that differ. tests/test_results.py runs it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from core.config import DEFAULT, LOW_BITS, EpurConfig
from core.io import write_atomic
from golden.cycles import baseline_step_cycles
from workloads.base import PERCENT_METRICS
from workloads.evaluate import POINT_KEYS, PREDICTORS, chosen, fits_budget, precision_chosen

ROOT = Path(__file__).resolve().parents[1]
EVAL_DIR = Path("docs/data/eval")
SYNTH_DIR = Path("tests/synth/baselines")
RTL_DIR = Path("docs/data/rtl")
RTL_SCHEMES = ("delta", "precision")     # docs/data/rtl/<workload>-<scheme>.json
SPLIT_DIR = Path("docs/data/rtl_split")  # <workload>-<predictor>.json: whole test splits in RTL
SPLIT_PREDICTORS = ("none", "bnn", "delta")
GHOST_DIR = Path("docs/data/ghost")      # <task>.json: python -m workloads.ghost
EXPLORE_DIR = Path("docs/data/explore")  # epur explore's store (docs/own-models.md)
FILES = ("README.md", "docs/results.md", "docs/own-models.md")
WORKLOADS = ("jvowels-lstm", "jvowels-gru", "silero-vad", "charlm")
TARGETS = ("generic", "ice40", "ecp5")
REGION = re.compile(r"<!-- results: ([^>]*?) -->(.*?)<!-- /results -->", re.S)
_KIND = {"jvowels-lstm": "LSTM", "jvowels-gru": "GRU", "silero-vad": "LSTMCell", "charlm": "LSTM"}
PAPER = {"reuse": 24.2, "speedup": 1.35, "energy": 18.5}    # Silfa et al., averages (bnn)
_VAL_DATA = {"jvowels-lstm": "validation sequences", "jvowels-gru": "validation sequences",
             "silero-vad": "calibration data", "charlm": "validation text"}


class StaleData(ValueError):
    """Stored evaluation JSON that an older ``epur evaluate`` wrote: it lacks figures that the
    regions are made of."""


class Data:
    """The stored JSON under ``root``: ``eval[workload]`` and ``synth[target]``."""

    def __init__(self, root: Path = ROOT):
        self.eval = {w: json.loads((root / EVAL_DIR / f"{w}.json").read_text())
                     for w in WORKLOADS}
        stale = {w: sorted({k for p in doc["points"] for k in POINT_KEYS if k not in p})
                 for w, doc in self.eval.items()}
        if any(stale.values()):
            raise StaleData(
                "; ".join(f"{EVAL_DIR / w}.json has no {', '.join(keys)}"
                          for w, keys in stale.items() if keys)
                + ": written by an older epur evaluate, re-run it (make results EVAL=1)")
        self.synth = {t: json.loads((root / SYNTH_DIR / f"default_{t}.json").read_text())
                      for t in TARGETS}
        self.rtl = {scheme: {path.name.removesuffix(f"-{scheme}.json"): json.loads(path.read_text())
                             for path in sorted((root / RTL_DIR).glob(f"*-{scheme}.json"))}
                    for scheme in RTL_SCHEMES}
        self.split = {path.stem: json.loads(path.read_text())
                      for path in sorted((root / SPLIT_DIR).glob("*.json"))}
        self.ghost = {path.stem: json.loads(path.read_text())
                      for path in sorted((root / GHOST_DIR).glob("*.json"))}
        summary = root / EXPLORE_DIR / "explore.json"
        self.explore = json.loads(summary.read_text()) if summary.is_file() else None
        self.explore_hw = [json.loads(path.read_text())
                           for path in sorted((root / EXPLORE_DIR / "hw").glob("*.json"))]

    def point(self, workload: str, predictor: str, theta: float | None = None) -> dict | None:
        """The point of ``predictor`` at ``theta``; ``theta=None``: the one within budget."""
        doc = self.eval[workload]
        if theta is None:
            return chosen(doc)[predictor]
        (p,) = [p for p in doc["points"] if p["predictor"] == predictor and p["theta"] == theta]
        return p

    def on_val(self, workload: str, predictor: str) -> dict | None:
        """The test-split point at the theta chosen on the validation data (None: none was)."""
        theta = self.eval[workload]["chosen_on_val"][predictor]
        return None if theta is None else self.point(workload, predictor, theta)


# -- formats ------------------------------------------------------------------------------------

def _points(doc) -> bool:
    """Whether the metric is in percent (loss in points) rather than bits per character."""
    return doc["metric"] in PERCENT_METRICS


def metric(doc, value: float, bpc_digits: int = 4) -> str:
    if _points(doc):
        text = f"{value:.2f}"
        return f"{text[:-3] if text.endswith('.00') else text} %"
    return f"{value:.{bpc_digits}f} bpc"


def loss(doc, value: float, unit: bool = True, sign: str = "+", digits: int | None = None) -> str:
    digits = digits if digits is not None else 2 if _points(doc) else 3
    text = f"{value:{sign}.{digits}f}"
    return f"{text} {'points' if _points(doc) else 'bpc'}" if unit else text


def theta(value: float) -> str:
    return f"{value:.10g}"


def pct(fraction: float, digits: int = 1) -> str:
    return f"{100 * fraction:.{digits}f} %"


def speedup(value: float) -> str:
    return f"{value:.2f}x"


def count(value: int) -> str:
    return f"{value:,}"


def growth(base: float, memo: float, digits: int = 1) -> str:
    return f"{100 * (memo / base - 1):+.{digits}f} %"


def model(doc) -> str:
    c, kind = doc["config"], _KIND[doc["workload"]]
    sizes = str(c["hidden_size"]) if kind == "LSTMCell" else \
        f"{c['input_size']}->{c['hidden_size']}"
    return f"{kind} {sizes}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["|" + "|".join(f" {c} " if c else " " for c in r) + "|" for r in rows]
    return "\n".join(lines)


# -- evaluation regions -------------------------------------------------------------------------

def readme_summary(d: Data) -> str:
    """bnn at the theta chosen on the validation data, measured on the test split."""
    rows = []
    for w in WORKLOADS:
        doc = d.eval[w]
        p = d.on_val(w, "bnn")
        at = p or d.point(w, "bnn", 0.0)
        over = not fits_budget(doc, at)
        rows.append([f"{w} ({model(doc)})", metric(doc, doc["float"], 3),
                     metric(doc, doc["baseline"], 3),
                     theta(p["theta"]) if p else "none within budget",
                     pct(at["reuse"]) + ("" if p else " at theta 0"),
                     loss(doc, at["loss"], sign="-", digits=2) + (" (over)" if over else ""),
                     speedup(at["speedup"]), pct(at["energy_saving"])])
    rows.append(["*paper, average*", "", "", "", f"*{PAPER['reuse']} %*", "*negligible*",
                 f"*{PAPER['speedup']}x*", f"*{PAPER['energy']} %*"])
    return _table(["workload", "float", "fixed point", "theta", "reuse", "loss", "speedup",
                   "energy saving"], rows)


def float_fixed(d: Data) -> str:
    rows = []
    for w in WORKLOADS:
        doc = d.eval[w]
        diff = doc["baseline"] - doc["float"]
        if _points(doc):
            gap = "0.00" if f"{diff:.2f}" in ("0.00", "-0.00") else loss(doc, diff)
        else:
            gap = f"{diff:+.4f} bpc"
        if (diff > 0) == doc["higher_is_better"] and gap != "0.00":
            gap += " (better)"
        budget = doc["loss_budget"]
        reference = " (the reference itself)" if doc["metric"] == "agreement" else ""
        rows.append([w, metric(doc, doc["float"]) + reference, metric(doc, doc["baseline"]),
                     gap, f"{budget:.3g} {'point' if budget == 1 else 'points'}"
                     if _points(doc) else f"{budget:.3g} bpc"])
    return _table(["workload", "float", "fixed point (`none`)", "fixed - float", "loss budget"],
                  rows)


def within_budget(d: Data) -> str:
    rows = []
    for w in WORKLOADS:
        doc = d.eval[w]
        for pred in PREDICTORS:
            p = d.point(w, pred)
            if p is None:
                p = d.point(w, pred, 0.0)
                first = [f"none: theta 0 already loses {loss(doc, p['loss'], sign='-', digits=2)}",
                         f"{pct(p['reuse'])} at theta 0"]
            else:
                first = [theta(p["theta"]), pct(p["reuse"])]
            rows.append([w, pred, *first, pct(p["skipped"]), loss(doc, p["loss"]),
                         speedup(p["speedup"]), pct(p["energy_saving"])])
    rows.append(["*paper, average (bnn)*", "", "", "*>= 24.2 % (26.7 %)*", "", "*negligible*",
                 "*1.35x (1.4x)*", "*18.5 % (21 %)*"])
    rows.append(["*paper, oracle*", "", "", "*> 30 %*", "", "*negligible*", "", ""])
    return _table(["workload", "predictor", "theta", "reuse", "MACs skipped", "loss", "speedup",
                   "energy saving"], rows)


def chosen_on_val(d: Data) -> str:
    rows = []
    for w in WORKLOADS:
        doc = d.eval[w]
        budget = doc["loss_budget"]
        for pred in PREDICTORS:
            p = d.on_val(w, pred)
            if p is None:
                rows.append([w, pred, f"none within budget on the {_VAL_DATA[w]}", "", "", "",
                             "", "", ""])
                continue
            ok = "yes" if fits_budget(doc, p) else \
                "no" if _points(doc) else f"no (budget {budget:.3f})"
            rows.append([w, pred, theta(p["theta"]), pct(p["reuse"]), pct(p["skipped"]),
                         loss(doc, p["loss"], unit=False), ok, speedup(p["speedup"]),
                         pct(p["energy_saving"])])
    return _table(["workload", "predictor", "theta", "reuse", "MACs skipped", "test loss",
                   "within budget", "speedup", "energy saving"], rows)


def _rtl_rows(d: Data, scheme: str, extra) -> list[list[str]]:
    """One row per stored RTL run of ``scheme``: workload, ``extra(run)`` (the scheme's setting),
    sequences, equality with the golden model, RTL cycles, the cycle model's, the baseline
    build's for the same steps (H * Kd + 14 a layer step, exact: golden/cycles.py) and the
    speedup; the caller appends the scheme's own figures."""
    rows = []
    for w, run in ((w, d.rtl[scheme][w]) for w in WORKLOADS if w in d.rtl[scheme]):
        c = d.eval[w]["config"]
        cfg = EpurConfig(cell=c["cell"], input_size=c["input_size"],
                         hidden_size=c["hidden_size"], layers=c["layers"], lanes=c["lanes"])
        base = run["timesteps"] * sum(baseline_step_cycles(cfg, k) for k in range(cfg.layers))
        rows.append([w, *extra(run), f"{run['sequences']} ({run['timesteps']} steps)",
                     "yes" if run["h_identical"] and not run["mismatches"] else "NO",
                     count(run["cycles"]), count(run["golden_cycles"]), count(base),
                     speedup(base / run["cycles"])])
    return rows


_RTL_HEADER = ["sequences", "h and counters equal the golden model", "RTL cycles", "cycle model",
               "baseline build", "speedup"]


def rtl_delta(d: Data) -> str:
    """The delta build's RTL (cocotb, Icarus) on the first test sequences of workloads: its
    cycles against the cycle model and against the baseline build's."""
    rows = [row + [pct(d.rtl["delta"][row[0]]["skipped"])]
            for row in _rtl_rows(d, "delta", lambda run: [theta(run["theta"])])]
    return _table(["workload", "theta", *_RTL_HEADER, "MACs skipped"], rows)


def rtl_precision(d: Data) -> str:
    """The dynamic-precision build's RTL (predictor none, the threshold and low data word chosen
    on the validation data) on the first steps of test sequences: its cycles against the cycle
    model and against the baseline build's, and the share of layer steps run low (RTL counters)."""
    def setting(run):
        # a run stored before simulate reported low_data_frac was built without --config: the
        # default's word
        frac = run.get("low_data_frac", DEFAULT.low_data_frac)
        return [theta(run["precision_theta"]), f"Q{LOW_BITS - frac}.{frac}"]

    rows = []
    for row in _rtl_rows(d, "precision", setting):
        run = d.rtl["precision"][row[0]]
        rows.append(row + [pct(run["steps_low"] / (run["steps_low"] + run["steps_high"]))])
    return _table(["workload", "threshold", "low data word", *_RTL_HEADER, "steps low"], rows)


def rtl_split(d: Data) -> str:
    """Whole test splits in RTL (cocotb, Verilator): for every workload and every predictor with
    hardware at its threshold chosen on the validation data, the RTL's cycles over the whole
    split against the cycle model's, and the speedup over the baseline build from the RTL's
    cycles (beside the cycle model's, from the evaluation)."""
    rows = []
    for w in WORKLOADS:
        doc = d.eval[w]
        base = d.split.get(f"{w}-none")
        for pred in SPLIT_PREDICTORS:
            t = None if pred == "none" else doc["chosen_on_val"][pred]
            if pred != "none" and t is None:
                rows.append([w, pred, "none within budget", "", "", "", "", "", ""])
                continue
            run = d.split.get(f"{w}-{pred}")
            if run is None:
                rows.append([w, pred, "-" if t is None else theta(t), "not simulated yet",
                             "", "", "", "", ""])
                continue
            whole = run["sequences"] == doc["sequences"] and run["timesteps"] == doc["timesteps"]
            model = 1.0 if pred == "none" else d.point(w, pred, t)["speedup"]
            rows.append([w, pred, "-" if t is None else theta(run["theta"]),
                         f"{count(run['sequences'])} ({count(run['timesteps'])} steps)"
                         + ("" if whole else ", NOT the whole split"),
                         "yes" if run["h_identical"] and not run["mismatches"] else "NO",
                         count(run["cycles"]), count(run["golden_cycles"]),
                         speedup(base["cycles"] / run["cycles"]) if base else "",
                         speedup(model)])
    return _table(["workload", "predictor", "theta", "test split", "h and counters equal the "
                   "golden model", "RTL cycles", "cycle model", "speedup (RTL)",
                   "speedup (cycle model, evaluation)"], rows)


def delta_hardware(d: Data) -> str:
    """The delta build against the memo build, each at the threshold chosen on the validation
    data: MACs skipped, test loss, speedup in the delta build's cycles (golden/cycles.py, equal
    to the RTL's), energy."""
    rows = []
    for w in WORKLOADS:
        doc = d.eval[w]
        for pred in ("delta", "bnn"):
            p = d.on_val(w, pred)
            if p is None:
                rows.append([w, pred, "none within budget", "", "", "", "", ""])
                continue
            ok = "yes" if fits_budget(doc, p) else "no"
            rows.append([w, pred, theta(p["theta"]), pct(p["skipped"]),
                         loss(doc, p["loss"], unit=False), ok, speedup(p["speedup"]),
                         pct(p["energy_saving"])])
    return _table(["workload", "build", "theta (chosen on validation data)", "MACs skipped",
                   "test loss", "within budget", "speedup", "energy saving"], rows)


MEMO_PREDICTORS = ("bnn", "mbnn", "oracle")


def candidates(d: Data) -> str:
    """Each memoization predictor at the theta chosen on the validation data, measured on the
    test split: reuse and speedup (0 % and 1x where no theta stays within budget there, or where
    the chosen one exceeds it on the test split), the best one's share of the oracle's reuse,
    and the averages over the workloads."""
    def within(w, pred):
        p = d.on_val(w, pred)
        ok = p is not None and fits_budget(d.eval[w], p)
        return (p["reuse"], p["speedup"]) if ok else (0.0, 1.0)

    rows, sums = [], {pred: [0.0, 0.0] for pred in MEMO_PREDICTORS}
    for w in WORKLOADS:
        got = {pred: within(w, pred) for pred in MEMO_PREDICTORS}
        for pred, (r, s) in got.items():
            sums[pred][0] += r / len(WORKLOADS)
            sums[pred][1] += s / len(WORKLOADS)
        best = max(got["bnn"][0], got["mbnn"][0])
        share = f"{best / got['oracle'][0]:.2f}" if got["oracle"][0] else "(oracle 0)"
        rows.append([w, *[f"{pct(r)}, {speedup(s)}" for r, s in got.values()], share])
    rows.append(["**average**", *[f"**{pct(r)}, {speedup(s)}**" for r, s in sums.values()],
                 ""])
    return _table(["workload", *[f"`{p}` reuse, speedup" for p in MEMO_PREDICTORS],
                   "best / oracle reuse"], rows)


def figure(d: Data, workload: str, predictor: str = "", at: str = "", key: str = "",
           digits: str = "") -> str:
    """One figure of a point, bare (the unit stays in the prose): ``WORKLOAD PREDICTOR AT KEY
    [DIGITS]``, AT a theta, ``budget`` (the largest within budget on the test split) or ``val``
    (chosen on the validation data); KEY ``reuse``, ``skipped`` (MACs), ``energy``,
    ``gate:NAME``, ``gates`` (the range over the gates) in percent, ``loss``, ``speedup``,
    ``theta``, ``budgets`` (loss over budget), ``below-paper-reuse``,
    ``below-paper-speedup``; ``WORKLOAD seconds`` is the sweep's time."""
    doc = d.eval[workload]
    if predictor == "seconds":
        return f"{doc['seconds']:.1f}"
    p = d.point(workload, predictor, None if at == "budget" else float(at)) if at != "val" \
        else d.on_val(workload, predictor)
    n = int(digits) if digits else None
    if key in ("reuse", "energy", "skipped") or key.startswith("gate:"):
        value = 100 * (p[key] if key in ("reuse", "skipped") else p["energy_saving"]
                       if key == "energy" else p["per_gate"][key[5:]])
        return f"{value:.{1 if n is None else n}f}"
    if key == "gates":
        values = [100 * v for v in p["per_gate"].values()]
        return f"{min(values):.{1 if n is None else n}f}-{max(values):.{1 if n is None else n}f}"
    if key == "loss":
        return loss(doc, p["loss"], unit=False, sign="-", digits=n)
    if key == "budgets":
        return f"{p['loss'] / doc['loss_budget']:.{n or 0}f}"
    if key == "speedup":
        return f"{p['speedup']:.{2 if n is None else n}f}"
    if key == "theta":
        return theta(p["theta"])
    if key == "below-paper-reuse":
        return f"{PAPER['reuse'] - 100 * p['reuse']:.{1 if n is None else n}f}"
    if key == "below-paper-speedup":
        return f"{PAPER['speedup'] - p['speedup']:.{2 if n is None else n}f}"
    raise ValueError(f"unknown figure {key!r}")


# -- dynamic precision --------------------------------------------------------------------------

PRECISION_SETTINGS = ("static-high", "static-low", "dynamic", "memo", "memo + static-low",
                      "memo + dynamic")
PAPER_PRECISION = {"low": 57, "speedup": 1.46, "energy": 19.2}  # Silfa et al., the seed paper
LSTM_WORKLOADS = tuple(w for w in WORKLOADS if _KIND[w] != "GRU")


def precision_points(d: Data, workload: str) -> dict:
    """The test-split point of every setting of :data:`PRECISION_SETTINGS` (None: not run, or no
    threshold within budget on the validation data); dynamic thresholds as chosen on the
    validation data (``chosen_on_val``; without it, on the test split)."""
    doc = d.eval[workload]
    sec = doc["precision"]
    picks = sec.get("chosen_on_val") or {g: p and p["precision_theta"]
                                         for g, p in precision_chosen(doc).items()}
    memo = sec["memo"]

    def find(memo_on, precision, at=None):
        if precision == "dynamic" and at is None:
            return None
        for p in sec["points"]:
            if (p["predictor"] != "none") == memo_on and p["precision"] == precision \
                    and (at is None or p["precision_theta"] == at):
                return p
        return None
    base = {**d.point(workload, "none", 0.0), "low_fraction": 0.0}
    memo_point = None if memo is None else {
        **d.point(workload, memo["predictor"], memo["theta"]), "low_fraction": 0.0}
    return {"static-high": base, "static-low": find(False, "low"),
            "dynamic": find(False, "dynamic", picks["none"]), "memo": memo_point,
            "memo + static-low": find(True, "low"),
            "memo + dynamic": find(True, "dynamic", picks["memo"])}


def _memo_name(doc) -> str:
    memo = doc["precision"]["memo"]
    return "none within budget" if memo is None else f"{memo['predictor']} {theta(memo['theta'])}"


def precision_table(d: Data) -> str:
    """Per workload and setting: the layer steps at low precision, the test loss against the
    budget, the speedup (cycle model) and the energy saving, both against static-high."""
    rows = []
    for w in WORKLOADS:
        doc = d.eval[w]
        sec = doc["precision"]
        for setting, p in precision_points(d, w).items():
            memo = setting.startswith("memo")
            knob = (f"{_memo_name(doc)}" if memo else "") + (
                f"{', ' if memo else ''}{theta(p['precision_theta'])}"
                if p is not None and p.get("precision") == "dynamic" else "")
            if p is None:
                why = "no memo theta within budget" if memo and sec["memo"] is None else \
                    "no threshold within budget on the validation data"
                rows.append([w, setting, knob, why, "", "", "", ""])
                continue
            rows.append([w, setting, knob, pct(p["low_fraction"]), loss(doc, p["loss"], unit=False),
                         "yes" if fits_budget(doc, p) else "**no**", speedup(p["speedup"]),
                         pct(p["energy_saving"])])
    rows.append(["*paper (LSTM accelerator)*", "dynamic", "", f"*{PAPER_PRECISION['low']} %*",
                 "*none*", "", f"*{PAPER_PRECISION['speedup']}x*",
                 f"*{PAPER_PRECISION['energy']} %*"])
    return _table(["workload", "setting", "memo, threshold (chosen on validation data)",
                   "steps low", "test loss", "within budget", "speedup", "energy saving"], rows)


def precision_formats(d: Data) -> str:
    """The low data word of each workload: the static-low loss of every candidate on the
    validation data, and the one chosen (the least loss, ties to the finer word)."""
    rows = []
    for w in WORKLOADS:
        doc = d.eval[w]
        sec = doc["precision"]
        losses = sec.get("low_data_frac_losses") or {}
        rows.append([w, *[loss(doc, losses[f], unit=False) if f in losses else ""
                          for f in sorted(losses, key=int)],
                     f"Q{8 - sec['low_data_frac']}.{sec['low_data_frac']}",
                     _memo_name(doc)])
    fracs = sorted(d.eval[WORKLOADS[0]]["precision"]["low_data_frac_losses"], key=int)
    return _table(["workload", *[f"static-low loss, Q{8 - int(f)}.{f}" for f in fracs],
                   "low data word chosen", "memo setting (chosen on validation data)"], rows)


def precision_acceptance(d: Data) -> str:
    """Issue 13's acceptance per LSTM workload: dynamic precision at the threshold chosen on the
    validation data, alone and with memo: within budget, at least half of the steps low and a
    speedup of at least 1.4x; and whether static-low alone exceeds the budget."""
    rows = []
    for w in LSTM_WORKLOADS:
        doc = d.eval[w]
        pts = precision_points(d, w)
        static_low = pts["static-low"]
        for setting in ("dynamic", "memo + dynamic"):
            p = pts[setting]
            if p is None:
                rows.append([w, setting, "no threshold within budget", "", "", "", ""])
                continue
            ok = fits_budget(doc, p)
            short = []
            if p["low_fraction"] < 0.5:
                short.append(f"{100 * (0.5 - p['low_fraction']):.1f} points of low steps short")
            if p["speedup"] < 1.4:
                short.append(f"{1.4 - p['speedup']:.2f}x of speedup short")
            if not ok:
                short.append(f"over budget by {loss(doc, p['loss'] - doc['loss_budget'])}")
            rows.append([w, setting, pct(p["low_fraction"]), speedup(p["speedup"]),
                         "yes" if ok else "**no**", "yes" if not short else "no: "
                         + ", ".join(short),
                         ("**yes**, " if not fits_budget(doc, static_low) else "no, ")
                         + loss(doc, static_low["loss"])])
    return _table(["workload", "setting", "steps low", "speedup", "test loss within budget",
                   "meets >= 50 % and >= 1.4x", "static-low over budget (its test loss)"], rows)


_BARS = "▁▂▃▄▅▆▇█"


def precision_trace(d: Data, workload: str, width: str = "80") -> str:
    """The tracker along the stored test sequence as text: per step, the tracked state's change
    (one bar a step: the four lower bars at or below the threshold, the four upper above it,
    scaled to the sequence's largest change) and the precision the step ran at (L low, H high;
    step t's precision follows step t - 1's change)."""
    doc = d.eval[workload]
    tr = doc["precision"]["trace"]
    width = int(width)
    th, change = tr["theta"], tr["change"]
    top = max(max(change), th)

    def bar(v):
        if v <= th:
            return _BARS[min(3, int(4 * v / th))] if th else _BARS[0]
        return _BARS[4 + min(3, int(4 * (v - th) / (top - th)))]
    s = tr["state"]
    lines = [f"{workload}: test sequence {tr['sequence']}, layer {tr['layer']}, "
             f"{len(change)} steps, {pct(sum(tr['low']) / len(tr['low']))} low; "
             f"threshold {theta(th)} on max_j |{s}_t - {s}_(t-1)| "
             + ("(chosen on the validation data)" if tr["chosen"] else
                "(none within budget: the smallest swept)"),
             f"bars: {_BARS[:4]} at most the threshold, {_BARS[4:]} above it up to "
             f"{top:.3g}"]
    for start in range(0, len(change), width):
        end = min(start + width, len(change))
        lines += ["", f"step {start:>4}  {''.join(bar(v) for v in change[start:end])}",
                  f"{'precision':<10} {''.join('L' if x else 'H' for x in tr['low'][start:end])}"]
    return "```\n" + "\n".join(lines) + "\n```"


def precision_figure(d: Data, workload: str, setting: str, key: str, digits: str = "") -> str:
    """One figure of a setting (``memo+dynamic`` for ``memo + dynamic``), bare: KEY ``low``
    (steps at low precision, %), ``loss``, ``budgets`` (loss over budget), ``speedup``,
    ``energy`` (%), ``theta`` (the dynamic threshold), ``word`` (the low data word),
    ``memo`` (the memo setting), ``wordloss:F`` (static-low's loss with the word of F fraction
    bits, on the data the word was chosen on). SETTING ``dynamic:T`` (``memo+dynamic:T``) is the
    dynamic point at threshold T."""
    doc = d.eval[workload]
    sec = doc["precision"]
    n = int(digits) if digits else None
    if key == "word":
        f = sec["low_data_frac"]
        return f"Q{8 - f}.{f}"
    if key == "memo":
        return _memo_name(doc)
    if key.startswith("wordloss:"):
        return loss(doc, sec["low_data_frac_losses"][key[9:]], unit=False, sign="-", digits=n)
    if ":" in setting:
        name, at = setting.split(":")
        (p,) = [p for p in sec["points"] if p["precision"] == "dynamic"
                and p["precision_theta"] == float(at)
                and (p["predictor"] != "none") == name.startswith("memo")]
    else:
        p = precision_points(d, workload)[setting.replace("+", " + ")]
    if key == "low":
        return f"{100 * p['low_fraction']:.{1 if n is None else n}f}"
    if key == "energy":
        return f"{100 * p['energy_saving']:.{1 if n is None else n}f}"
    if key == "loss":
        return loss(doc, p["loss"], unit=False, sign="-", digits=n)
    if key == "budgets":
        return f"{p['loss'] / doc['loss_budget']:.{1 if n is None else n}f}"
    if key == "speedup":
        return f"{p['speedup']:.{2 if n is None else n}f}"
    if key == "theta":
        return theta(p["precision_theta"])
    raise ValueError(f"unknown precision figure {key!r}")


# -- area and timing ----------------------------------------------------------------------------

_UNITS = ("dpu", "mu", "bnn", "comparator", "memo", "delta", "cell", "control", "weights",
          "harness")
_MEASURES = {       # target: (measure, column title) of the table
    "generic": (("cells", "cells"), ("transistors", "transistors"),
                ("memory_bits", "memory bits")),
    "ice40": (("luts", "LUTs"), ("ffs", "FFs"), ("brams", "block RAMs")),
    "ecp5": (("luts", "LUTs"), ("ffs", "FFs"), ("dsps", "DSPs"), ("brams", "DP16KD"),
             ("lutram", "LUT RAM")),
}
_MAIN = {"generic": "transistors", "ice40": "luts", "ecp5": "luts"}


def _total(doc, build: str, measure: str) -> int:
    if measure in doc[build]:
        return doc[build][measure]
    return sum(u.get(f"{build}_{measure}", 0) for u in doc["units"].values())


def area_table(d: Data, target: str) -> str:
    doc = d.synth[target]
    measures = _MEASURES[target]
    main = _MAIN[target]
    rows = []
    for name in _UNITS:
        if name not in doc["units"]:       # a unit newer than the stored figures
            continue
        u = doc["units"][name]
        cells = [f"{count(u.get(f'baseline_{m}', 0))} / {count(u.get(f'memo_{m}', 0))}"
                 for m, _ in measures]
        if not any(u.get(f"{b}_{m}", 0) for b in ("baseline", "memo") for m, _ in measures):
            continue
        rows.append([name, *cells, f"{u['overhead_percent']:.2f}"])
    total = []
    for m, _ in measures:
        base, memo = _total(doc, "baseline", m), _total(doc, "memo", m)
        change = f"({growth(base, memo)})" if m != main else \
            f"(**{growth(base, memo, 2 if target == 'generic' else 1)}**)"
        total.append(f"{count(base)} / {count(memo)} {change}")
    rows.append(["**total**", *total, f"**{doc['overhead_percent']:.2f}**"])
    main_title = dict(measures)[main]
    return _table(["unit", *[f"{t} base / memo" for _, t in measures],
                   f"overhead, % of baseline {main_title}"], rows)


def area_delta_table(d: Data, target: str) -> str:
    """Per unit, the baseline against the delta build (the same columns as ``area_table``)."""
    doc = d.synth[target]
    measures, main = _MEASURES[target], _MAIN[target]
    rows = []
    for name in _UNITS:
        u = doc["units"].get(name, {})
        if not any(u.get(f"{b}_{m}", 0) for b in ("baseline", "delta") for m, _ in measures):
            continue
        rows.append([name, *[f"{count(u.get(f'baseline_{m}', 0))} / "
                             f"{count(u.get(f'delta_{m}', 0))}" for m, _ in measures],
                     f"{u['delta_overhead_percent']:.2f}"])
    total = []
    for m, _ in measures:
        base, other = _total(doc, "baseline", m), _total(doc, "delta", m)
        change = growth(base, other, 2 if m == main and target == "generic" else 1)
        total.append(f"{count(base)} / {count(other)} " + (f"(**{change}**)" if m == main
                                                            else f"({change})"))
    rows.append(["**total**", *total, f"**{doc['delta_overhead_percent']:.2f}**"])
    return _table(["unit", *[f"{t} base / delta" for _, t in measures],
                   f"overhead, % of baseline {dict(measures)[main]}"], rows)


def _fmax(doc) -> tuple[float, float, str]:
    base, memo = doc["baseline"]["fmax_mhz"], doc["memo"]["fmax_mhz"]
    return base, memo, growth(base, memo)


def area_heading(d: Data, target: str) -> str:
    doc = d.synth[target]
    if target == "generic":
        return f"### Generic (default config): {doc['overhead_percent']:.2f} % more transistors"
    base, memo, change = _fmax(doc)
    title = "iCE40 (small config)" if target == "ice40" else "ECP5 (default config)"
    lut = growth(doc["baseline"]["luts"], doc["memo"]["luts"])
    return f"### {title}: {lut} LUTs, Fmax {base:.2f} -> {memo:.2f} MHz ({change})"


def area(d: Data, target: str, key: str, digits: str = "") -> str:
    """One area or timing figure, bare: ``area TARGET KEY [DIGITS]``. KEY is ``unit:NAME`` (its
    overhead in points), ``growth:MEASURE`` (memo against baseline, percent), ``fmax`` (baseline
    -> memo, MHz), ``fmax:BUILD`` (MHz, 2 decimals), ``fmax-change``, ``placed`` (the placed
    cells' line), ``share:UNIT`` (transistors of UNIT, percent of the baseline), ``signs`` (the
    BNN's memory bits at 6 transistors each, points of the baseline), ``bnn-logic`` (the rest of
    the BNN's points), ``cells:UNIT`` or ``bits:UNIT`` (the memo build's cells, memory bits);
    the delta build: ``delta-unit:NAME``, ``delta-growth:MEASURE``, ``fmax:delta``."""
    doc = d.synth[target]
    n = int(digits) if digits else 1
    if key.startswith("delta-unit:"):
        return f"{doc['units'][key[11:]]['delta_overhead_percent']:.{n}f}"
    if key.startswith("delta-growth:"):
        m = key[13:]
        return f"{100 * (_total(doc, 'delta', m) / _total(doc, 'baseline', m) - 1):.{n}f}"
    if key.startswith("unit:"):
        return f"{doc['units'][key[5:]]['overhead_percent']:.{n}f}"
    if key.startswith("growth:"):
        m = key[7:]
        return f"{100 * (_total(doc, 'memo', m) / _total(doc, 'baseline', m) - 1):.{n}f}"
    if key == "fmax":
        base, memo, _ = _fmax(doc)
        return f"{base:.{n}f} -> {memo:.{n}f}"
    if key.startswith("fmax:"):
        return f"{doc[key[5:]]['fmax_mhz']:.2f}"
    if key == "fmax-change":
        return _fmax(doc)[2][:-2]
    if key.startswith("share:"):
        part = doc["units"][key[6:]]["baseline_transistors"]
        return f"{100 * part / doc['baseline']['transistors']:.{n}f}"
    if key in ("signs", "bnn-logic"):
        signs = 100 * 6 * doc["units"]["bnn"]["memo_memory_bits"] / doc["baseline"]["transistors"]
        value = signs if key == "signs" else doc["units"]["bnn"]["overhead_percent"] - signs
        return f"{value:.{n}f}"
    if key.startswith(("cells:", "bits:")):
        measure, unit = key.split(":")
        return count(doc["units"][unit][f"memo_{'cells' if measure == 'cells' else 'memory_bits'}"])
    if key == "placed" and target == "ice40":
        return f"{count(doc['baseline']['pnr_lcs'])} / {count(doc['memo']['pnr_lcs'])}"
    if key == "placed":
        b, m = doc["baseline"], doc["memo"]
        return (f"{count(b['pnr_combs'])} / {count(m['pnr_combs'])} TRELLIS_COMB cells, "
                f"{count(b['pnr_ffs'])} / {count(m['pnr_ffs'])} FFs, {b['pnr_brams']} / "
                f"{m['pnr_brams']} DP16KD, {b['pnr_dsps']} / {m['pnr_dsps']} DSPs")
    raise ValueError(f"unknown area figure {key!r}")


# -- ghost states (GhostRNN, issue 15) ----------------------------------------------------------

def _ghost_models(doc) -> tuple[dict, list[tuple[dict, dict]]]:
    """The plain model of the task's hidden size, and per ratio (ghost, same-parameter plain)."""
    models = doc["models"]
    (plain,) = [m for m in models if m["role"] == "plain"]
    ghosts = [m for m in models if m["role"] == "ghost"]
    matched = [m for m in models if m["role"] == "matched"]
    return plain, list(zip(ghosts, matched, strict=True))


def _ghost_loss(doc, base: dict, m: dict) -> float:
    diff = m["metric_value"] - base["metric_value"]
    return -diff if doc["higher_is_better"] else diff


def ghost_table(d: Data, task: str) -> str:
    """Every model of ``task``: fixed-point metric and its loss against the plain model of the
    same hidden size, parameters, weight memory, cycles and energy per step."""
    doc = d.ghost[task]
    plain, pairs = _ghost_models(doc)
    rows = []
    for m in [plain] + [m for pair in pairs for m in pair]:
        kind = (f"ghost {m['ghost_ratio']:g}" if m["role"] == "ghost"
                else "plain, same parameters" if m["role"] == "matched" else "plain")
        rows.append([f"`{m['name']}`", kind, str(m["hidden_size"]), str(m["ghost_size"]),
                     count(m["parameters"]),
                     f"{count(m['weight_words'])} ({m['weight_bits'] / 1024:.1f} kbit)",
                     metric(doc, m["metric_value"]),
                     "reference" if m is plain
                     else loss(doc, _ghost_loss(doc, plain, m), unit=False),
                     f"{m['cycles_per_step']:.1f}", f"{m['energy_pj_per_step'] / 1000:.2f}"])
    return _table(["workload", "model", "H", "G", "parameters", "weight memory (words)",
                   doc["metric"], "loss", "cycles / step", "energy / step (nJ)"], rows)


def _ghost_within(doc) -> tuple[dict, dict] | None:
    """The (ghost, same-parameter plain) pair at the largest ratio whose loss against the plain
    model of the same hidden size stays within the budget (None: no ratio does)."""
    plain, pairs = _ghost_models(doc)
    within = [p for p in pairs if _ghost_loss(doc, plain, p[0]) <= doc["loss_budget"]]
    return max(within, key=lambda p: p[0]["ghost_ratio"]) if within else None


def _reductions(plain: dict, ghost: dict) -> str:
    return (f"parameters {_cut(plain, ghost, 'parameters')}, weight memory "
            f"{_cut(plain, ghost, 'weight_bits')}, cycles per step "
            f"{_cut(plain, ghost, 'cycles_per_step')}, energy per step "
            f"{_cut(plain, ghost, 'energy_pj_per_step')}")


def _cut(base: dict, m: dict, key: str) -> str:
    """The change of ``key`` from ``base`` to ``m``, signed (-42.9 % is a reduction)."""
    return growth(base[key], m[key])


def _versus(doc, ghost: dict, matched: dict) -> str:
    diff = -_ghost_loss(doc, matched, ghost)       # positive: the ghost model is better
    verdict = ("equal" if diff == 0 else
               f"{'better' if diff > 0 else 'worse'} by {loss(doc, abs(diff), sign='')}")
    return f"{ghost['ghost_ratio']:g}: {verdict} (against H {matched['hidden_size']})"


def ghost_summary(d: Data) -> str:
    """Per task: the ghost model at ratio 0.5 and at the largest ratio within the loss budget
    against the plain model of the same hidden size, and every ratio against the plain model of
    as many parameters."""
    lines = []
    for task, doc in d.ghost.items():
        plain, pairs = _ghost_models(doc)
        half = min((g for g, _ in pairs), key=lambda g: abs(g["ghost_ratio"] - 0.5))
        within = _ghost_within(doc)
        best = ("none" if within is None else
                f"{within[0]['ghost_ratio']:g} (`{within[0]['name']}`, loss "
                f"{loss(doc, _ghost_loss(doc, plain, within[0]))}): "
                f"{_reductions(plain, within[0])}")
        versus = ", ".join(_versus(doc, g, m) for g, m in pairs)
        lines.append(
            f"- **{task}** (loss budget {loss(doc, doc['loss_budget'], sign='')}): at ratio "
            f"{half['ghost_ratio']:g} (`{half['name']}`) {metric(doc, half['metric_value'])} "
            f"against the plain model's {metric(doc, plain['metric_value'])} (loss "
            f"{loss(doc, _ghost_loss(doc, plain, half))}); {_reductions(plain, half)}. The "
            f"largest ratio within the loss budget: {best}. Against the plain model of as many "
            f"parameters, the ghost model's {doc['metric']} is, per ratio, {versus}."
            + _ghost_seeds(doc, pairs))
    return "\n".join(lines)


def _ghost_seeds(doc, pairs) -> str:
    """The ratio of the seed study (``seeds`` of the task's JSON) over every seed: the mean and
    range of the ghost model's and the same-parameter plain model's metric."""
    if not doc.get("seeds"):
        return ""
    ratio = doc["seeds"][0]["ghost_ratio"]
    (ghost, matched), = [(g, m) for g, m in pairs if g["ghost_ratio"] == ratio]
    runs = {"ghost": [ghost["metric_value"]], "plain": [matched["metric_value"]]}
    for f in doc["seeds"]:
        runs["ghost" if f["ghost_ratio"] else "plain"].append(f["metric_value"])
    seeds = 1 + len(doc["seeds"]) // 2

    def spread(values):
        return (f"{metric(doc, sum(values) / len(values))} on average "
                f"({metric(doc, min(values))} to {metric(doc, max(values))})")

    diff = (sum(runs["ghost"]) - sum(runs["plain"])) / len(runs["ghost"])
    better = diff > 0 if doc["higher_is_better"] else diff < 0
    return (f" Trained from {seeds} seeds, the ratio-{ratio:g} ghost model's {doc['metric']} is "
            f"{spread(runs['ghost'])}, the same-parameter plain model's "
            f"{spread(runs['plain'])}: the ghost model {'better' if better else 'worse'} by "
            f"{loss(doc, abs(diff), sign='')} on average.")


# -- design-space exploration (epur explore) ----------------------------------------------------

def _explored(d: Data) -> dict:
    if d.explore is None:
        raise ValueError(f"{EXPLORE_DIR}/explore.json is missing: run the epur explore command "
                         f"of docs/own-models.md")
    return d.explore


def _front_marks(doc: dict, row: dict) -> str:
    front = doc["pareto"][row["workload"]]
    marks = [m for m, y in (("S", "speedup"), ("E", "energy_saving")) if row["key"] in front[y]]
    return " ".join(marks) if marks else ("" if row["within_budget"] else "over budget")


def explore_table(d: Data) -> str:
    """Every point of the stored exploration: its neuron reuse (memoization) and MACs skipped,
    loss, speedup and energy saving (golden and cycle models, the whole test split), its
    hardware's area, and whether it is on a Pareto front (S: speedup, E: energy saving against
    area, within the loss budget)."""
    doc = _explored(d)
    rows = [[r["workload"], str(r["lanes"]), r["scheme"], theta(r["theta"]),
             pct(r["reuse"]), pct(r["skipped"]), loss(r, r["loss"], unit=False),
             speedup(r["speedup"]),
             pct(r["energy_saving"]),
             count(r["area"]["transistors"]) if r["area"] else "-", _front_marks(doc, r)]
            for r in doc["points"]]
    return _table(["workload", "lanes", "scheme", "theta", "reuse", "MACs skipped",
                   "loss (points)", "speedup", "energy saving", "transistors", "Pareto"], rows)


def explore_fronts(d: Data) -> str:
    """Per workload, the Pareto fronts of speedup and of energy saving against area."""
    doc = _explored(d)
    by_key = {r["key"]: r for r in doc["points"]}
    lines = []
    for name, fronts in doc["pareto"].items():
        budget = next(r["loss_budget"] for r in doc["points"] if r["workload"] == name)
        parts = []
        for y, what in (("speedup", "speedup"), ("energy_saving", "energy saving")):
            items = [f"{r['scheme']} at {r['lanes']} lanes, theta {theta(r['theta'])}: "
                     + (speedup(r[y]) if y == "speedup" else pct(r[y]))
                     + f" for {count(r['area']['transistors'])} transistors"
                     for r in (by_key[k] for k in fronts[y])]
            parts.append(f"{what} against area: {'; '.join(items) or 'no point within budget'}")
        lines.append(f"- **{name}** (loss budget {budget:.2f} points): " + ". ".join(parts) + ".")
    return "\n".join(lines)


def explore_figure(d: Data, key: str) -> str:
    """One figure of the stored exploration: ``points``, ``hw`` (hardware configs synthesized),
    ``synth-minutes`` (their Yosys wall-clock time in all), ``synth-cpu-minutes`` (its CPU time),
    ``synth-min``/``synth-max`` (wall-clock seconds of the quickest and slowest)."""
    doc = _explored(d)
    seconds = [h["timing"]["yosys_seconds"] for h in d.explore_hw]
    cpu = [h["timing"]["yosys_cpu_seconds"] for h in d.explore_hw]
    return {"points": lambda: str(len(doc["points"])), "hw": lambda: str(len(seconds)),
            "synth-minutes": lambda: f"{sum(seconds) / 60:.0f}",
            "synth-cpu-minutes": lambda: f"{sum(cpu) / 60:.0f}",
            "synth-min": lambda: f"{min(seconds):.0f}",
            "synth-max": lambda: f"{max(seconds):.0f}"}[key]()


REGIONS = {
    "explore-table": explore_table,
    "explore-fronts": explore_fronts,
    "explore": explore_figure,
    "ghost-table": ghost_table,
    "ghost-summary": ghost_summary,
    "readme-summary": readme_summary,
    "float-fixed": float_fixed,
    "within-budget": within_budget,
    "chosen-on-val": chosen_on_val,
    "candidates": candidates,
    "area-table": area_table,
    "area-delta-table": area_delta_table,
    "delta-hardware": delta_hardware,
    "rtl-delta": rtl_delta,
    "rtl-precision": rtl_precision,
    "rtl-split": rtl_split,
    "area-heading": area_heading,
    "area": area,
    "precision-table": precision_table,
    "precision-formats": precision_formats,
    "precision-acceptance": precision_acceptance,
    "precision-trace": precision_trace,
    "precision": precision_figure,
}


def region_text(d: Data, spec: str) -> str:
    """The text of the region ``spec`` (``NAME ARGS``; a workload's name starts a figure)."""
    name, *args = spec.split()
    if name in WORKLOADS:
        return figure(d, name, *args)
    if name not in REGIONS:
        raise ValueError(f"unknown results region {name!r}")
    return REGIONS[name](d, *args)


def _body(d: Data, m: re.Match) -> str:
    body = region_text(d, m.group(1))
    return f"\n{body}\n" if m.group(2).startswith("\n") else body


def render(text: str, d: Data) -> str:
    """``text`` with every region regenerated (a block keeps its lines, a figure its line)."""
    return REGION.sub(lambda m: f"<!-- results: {m.group(1)} -->{_body(d, m)}<!-- /results -->",
                      text)


def stale(text: str, d: Data) -> list[str]:
    """The regions of ``text`` whose text differs from the stored JSON, as ``NAME ARGS``."""
    return [m.group(1) for m in REGION.finditer(text) if _body(d, m) != m.group(2)]


def _copy_runs(src: Path, suffixes, dest: Path) -> None:
    """Copy ``src/*-<suffix>.json`` (``epur simulate --json``) into ``dest`` without the
    machine's paths (build directory, waveform)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(p for suffix in suffixes for p in src.glob(f"*-{suffix}.json")):
        doc = {k: v for k, v in json.loads(path.read_text()).items()
               if k not in ("build_dir", "waves")}
        write_atomic(dest / path.name, json.dumps(doc, indent=1) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m workloads.results", description=__doc__.split(
        "\n")[0])
    ap.add_argument("--eval-from", type=Path, metavar="DIR",
                    help="first copy DIR/<workload>.json (epur evaluate --out DIR) into "
                         f"{EVAL_DIR}")
    ap.add_argument("--rtl-from", type=Path, metavar="DIR",
                    help="first copy DIR/<workload>-{delta,precision}.json (epur simulate --json) "
                         "into "
                         f"{RTL_DIR}, without the build and wave paths")
    ap.add_argument("--split-from", type=Path, metavar="DIR",
                    help="first copy DIR/<workload>-{none,bnn,delta}.json (epur simulate --json "
                         f"over a whole test split) into {SPLIT_DIR}, without the machine's paths")
    ap.add_argument("--check", action="store_true",
                    help="rewrite nothing; exit 1 if a region differs from the stored JSON")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.eval_from:
        for w in WORKLOADS:
            doc = json.loads((args.eval_from / f"{w}.json").read_text())
            write_atomic(args.root / EVAL_DIR / f"{w}.json", json.dumps(doc, indent=1) + "\n")
    if args.rtl_from:
        _copy_runs(args.rtl_from, RTL_SCHEMES, args.root / RTL_DIR)
    if args.split_from:
        _copy_runs(args.split_from, SPLIT_PREDICTORS, args.root / SPLIT_DIR)
    try:
        d = Data(args.root)
    except StaleData as e:
        print(f"python -m workloads.results: {e}", file=sys.stderr)
        return 1
    differ = False
    for name in FILES:
        path = args.root / name
        old = path.read_text()
        specs = stale(old, d)
        for spec in specs:
            print(f"{name}: region {spec!r} {'differs from' if args.check else 'rewritten from'} "
                  "the stored JSON", file=sys.stderr)
        if specs and not args.check:
            write_atomic(path, render(old, d))
        differ = differ or bool(specs)
    return 1 if differ and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
