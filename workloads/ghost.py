"""GhostRNN workloads: the ghost models and their same-parameter plain rivals, and their figures.

    python -m workloads.ghost [--out docs/data/ghost] [--task jvowels-gru,...] [--sequences N]

The models (workloads/train_ghost.py, fold 0 of train_jvowels.py's recipe; charlm
train_charlm.py's) are workloads of their own, ``epur evaluate -w NAME`` runs them:

- ``jvowels-<cell>-ghost<pct>``: hidden size 64, ``round(pct/100 * 64)`` ghost states;
- ``jvowels-<cell>-h<H>``: a plain model whose parameter count is the nearest to a ghost model's;
- ``charlm-ghost50`` and ``charlm-h93``: the same for the character LSTM (hidden size 128);
- ``jvowels-<cell>-ghost50-seed<S>``, ``jvowels-<cell>-h<H>-seed<S>``: the ratio-0.5 pair trained
  again from the seeds :data:`SEEDS`, the spread between trainings.

Their data are their task's: the test split, and for choosing thresholds fold 0's 54 held-out
training sequences (JapaneseVowels; the ghost models were fitted without them, and are not
cross-validated) or the validation text (charlm). A ghost model's config is the default resized
to it, ``ghost_ratio = G / H`` (core/params.py ``config_for``).

The command writes ``<task>.json`` per task (jvowels-gru, jvowels-lstm, charlm): for the plain
model of the same hidden size (the task's shipped model), and each ghost model with its
same-parameter plain rival (and, under ``seeds``, the ratio-0.5 pair of every seed), the float
and fixed-point metric on the test split, parameters,
weight memory (the words of the weight load port, core/layout.py, and their bits), cycles per
step (cycle model of golden/cycles.py, predictor none) and energy per step (golden/energy.py).
docs/results.md's "Ghost states" regions are made of these files (workloads/results.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from core.errors import InputError
from core.io import write_atomic
from workloads.base import weights_path
from workloads.ghost_torch import parameter_count
from workloads.train_ghost import RATIOS, ghost_file, ghost_size, matched_hidden, plain_file

OUT = Path("docs/data/ghost")
JV_HIDDEN = 64
CHARLM_HIDDEN, CHARLM_EMBED = 128, 16
# task: (shipped plain model's workload, cell, input size, hidden size, ghost ratios)
TASKS = {
    "jvowels-gru": ("jvowels-gru", "gru", 12, JV_HIDDEN, RATIOS),
    "jvowels-lstm": ("jvowels-lstm", "lstm", 12, JV_HIDDEN, RATIOS),
    "charlm": ("charlm", "lstm", CHARLM_EMBED, CHARLM_HIDDEN, (0.5,)),
}
# JapaneseVowels' ratio-0.5 pair trained again from other seeds (the recipe's is 2019):
# `python -m workloads.train_ghost --ratios 0.5 --seeds 2020,2021`
SEEDS: tuple[int, ...] = (2020, 2021)
SEED_RATIO = 0.5


def _models() -> dict:
    """name -> (task, weights file, ratio, hidden size, seed) of every ghost and matched plain
    model (seed None: the recipe's)."""
    out = {}
    for task, (_, cell, x, hidden, ratios) in TASKS.items():
        stem = task.replace("-", "_")
        seeds = (None,) + (SEEDS if task.startswith("jvowels") else ())
        for seed in seeds:
            for ratio in ratios if seed is None else (SEED_RATIO,):
                tail = "" if seed is None else f"-seed{seed}"
                out[f"{task}-ghost{round(100 * ratio)}{tail}"] = (
                    task, ghost_file(stem, ratio, seed), ratio, hidden, seed)
                h = matched_hidden(cell, x, parameter_count(cell, x, hidden,
                                                            ghost_size(ratio, hidden)))
                out[f"{task}-h{h}{tail}"] = (task, plain_file(stem, h, seed), 0.0, h, seed)
    return out


MODELS = _models()
NAMES = tuple(MODELS)


def load(name: str, split: str = "test"):
    """The workload ``name`` (one of :data:`NAMES`) on ``split``: ``test``, or ``val`` (fold 0's
    held-out sequences; charlm: ``val`` of the text)."""
    if name not in MODELS:
        raise InputError(f"unknown ghost workload {name!r}: choose one of {', '.join(NAMES)}")
    task, filename, *_ = MODELS[name]
    path = weights_path(filename)
    if not path.is_file():
        raise InputError(f"the weights of {name} ({filename}) are missing: train them with "
                         "python -m workloads.train_ghost")
    if task == "charlm":
        from workloads.charlm import CharLM

        w = CharLM(weights=path, split=split)
    else:
        from workloads.jvowels import JVowels

        w = JVowels(TASKS[task][1], weights=path, split=split, fold=0)
    w.name = name
    return w


def measure(w, sequences: int | None = None) -> dict:
    """The figures of workload ``w`` with predictor none (see the module's docstring)."""
    from core.params import config_for
    from golden.energy import energy
    from golden.float_model import run_float
    from golden.model import run_fixed
    from golden.params import quantize_params, weight_load_list

    if sequences:
        w.truncate(sequences)
    p = w.params
    cfg = config_for(p, predictor="none")
    words = len(weight_load_list(cfg, quantize_params(cfg, p)))
    t0 = time.time()
    result = run_fixed(cfg, p, w.test_x, w.test_lengths)
    steps = int(np.sum(w.test_lengths))
    return {
        "name": w.name, "cell": p.cell, "hidden_size": p.hidden_size, "ghost_size": p.ghost_size,
        "intrinsic_size": p.intrinsic_size, "ghost_ratio": cfg.ghost_ratio,
        "parameters": parameter_count(p.cell, p.input_size, p.hidden_size, p.ghost_size,
                                      p.num_layers),
        "weight_words": words, "weight_bits": words * cfg.weight_format.width,
        "float_metric": w.score(run_float(p, w.test_x)), "metric_value": w.score(result.h),
        "cycles_per_step": float(np.sum(result.cycles)) / steps,
        "energy_pj_per_step": energy(result)["total"] / steps,
        "sequences": len(w.test_lengths), "timesteps": steps,
        "seconds": round(time.time() - t0, 1),
    }


def task_document(task: str, sequences: int | None = None, log=print) -> dict:
    """Every model of ``task``: the shipped plain model first, then per ratio the ghost model
    and its same-parameter plain rival."""
    from workloads import get

    base = get(TASKS[task][0])
    doc = {"task": task, "metric": base.metric, "higher_is_better": base.higher_is_better,
           "split": "test", "models": []}
    names = [TASKS[task][0]] + [n for n, m in MODELS.items() if m[0] == task and m[4] is None]
    seeded = [n for n, m in MODELS.items() if m[0] == task and m[4] is not None]
    for name in names + seeded:
        w = base if name == TASKS[task][0] else load(name)
        fig = measure(w, sequences)
        if name in seeded:          # the pairs of other seeds: their metric only
            fig = {k: fig[k] for k in ("name", "ghost_ratio", "hidden_size", "float_metric",
                                       "metric_value")} | {"seed": MODELS[name][4]}
            doc.setdefault("seeds", []).append(fig)
        else:
            fig["role"] = ("plain" if name == TASKS[task][0]
                           else "ghost" if fig["ghost_size"] else "matched")
            doc["models"].append(fig)
        log(f"{name}: {fig['metric_value']:.4f} {base.metric}")
    doc["loss_budget"] = base.budget_for(doc["models"][0]["metric_value"])
    return doc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m workloads.ghost",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help=f"directory (default {OUT})")
    ap.add_argument("--task", default=",".join(TASKS),
                    help=f"tasks, comma-separated ({', '.join(TASKS)})")
    ap.add_argument("--sequences", type=int, help="only the first N test sequences")
    args = ap.parse_args(argv)
    tasks = [t.strip() for t in args.task.split(",")]
    try:
        bad = [t for t in tasks if t not in TASKS]
        if bad:
            raise InputError(f"unknown task {bad[0]!r}: choose from {', '.join(TASKS)}")
        if args.sequences is not None and args.sequences < 1:
            raise InputError(f"--sequences must be at least 1, not {args.sequences}")
        docs = {t: task_document(t, args.sequences) for t in tasks}
    except InputError as e:
        print(f"python -m workloads.ghost: {e}", file=sys.stderr)
        return 2
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for t, doc in docs.items():
            write_atomic(args.out / f"{t}.json", json.dumps(doc, indent=1) + "\n")
    except (InputError, OSError) as e:
        print(f"python -m workloads.ghost: cannot write {args.out}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
