"""Train the ghost (GhostRNN) models and their same-parameter plain rivals (needs the torch extra).

    python -m workloads.train_ghost [--task jvowels|charlm] [--cell gru,lstm]
                                    [--ratios 0.25,0.5,0.75] [--out DIR]

JapaneseVowels: for each cell and ghost ratio r, a ghost model of hidden size 64 (G = round(r*64)
ghost states, workloads/ghost_torch.py) and a plain ``nn.LSTM``/``nn.GRU`` whose hidden size makes
its parameter count the nearest to the ghost model's; both with train_jvowels.py's recipe: fold 0
of the training split (216 ``fit`` sequences, standardized with their statistics; its 54 ``val``
sequences pick the epoch, 5-epoch mean), the same seed, Adam, input noise, up to 200 epochs. The
plain model of hidden size 64 is the shipped ``jvowels_<cell>.npz`` (the same recipe). charlm:
the same with train_charlm.py's recipe (LSTM of hidden size 128). The test split is never looked
at. Writes ``jvowels_<cell>_ghost<pct>.npz`` / ``charlm_ghost<pct>.npz`` (the state-dict keys of
the ghost layers, core/params.py, with ``ghost_ratio``) and ``jvowels_<cell>_h<H>.npz`` /
``charlm_h<H>.npz``, with the arrays the loaders read (head, standardization or embedding).
``--seeds S,...`` (JapaneseVowels) trains the same models again from other seeds
(``..._seed<S>.npz``): the spread between trainings that the comparison is judged against.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from workloads.ghost_torch import parameter_count

RATIOS = (0.25, 0.5, 0.75)
JV_HIDDEN = 64
WEIGHTS = Path(__file__).resolve().parent / "weights"


def ghost_size(ratio: float, hidden: int) -> int:
    """G = round(ratio * H), as the config derives it."""
    return round(ratio * hidden)


def matched_hidden(cell: str, input_size: int, target: int) -> int:
    """The plain hidden size whose parameter count is the nearest to ``target``."""
    h = 1
    while parameter_count(cell, input_size, h) < target:
        h += 1
    return min((h - 1, h) if h > 1 else (h,),
               key=lambda n: abs(parameter_count(cell, input_size, n) - target))


def _seeded(seed: int | None) -> str:
    return "" if seed is None else f"_seed{seed}"


def ghost_file(stem: str, ratio: float, seed: int | None = None) -> str:
    """``seed`` None: the recipe's own seed (the models of the comparison)."""
    return f"{stem}_ghost{round(100 * ratio)}{_seeded(seed)}.npz"


def plain_file(stem: str, hidden: int, seed: int | None = None) -> str:
    return f"{stem}_h{hidden}{_seeded(seed)}.npz"


def train_jvowels(cell: str, out: Path, hidden: int = JV_HIDDEN, ratio: float = 0.0,
                  max_epochs: int = 200, log=print, seed: int | None = None) -> Path:
    """One model of train_jvowels.py's recipe (fold 0): ghost if ``ratio`` > 0, else plain of
    ``hidden``; ``seed`` another seed than the recipe's."""
    import torch

    from workloads.ghost_torch import ghost_rnn
    from workloads.jvowels import CLASSES, FEATURES, load_split, normalize
    from workloads.train_jvowels import SEED, chosen_arrays, fit

    torch.set_num_threads(1)      # OpenMP threads spin and crawl when the cores are shared
    nn = torch.nn
    ghosts = ghost_size(ratio, hidden)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = (ghost_rnn(torch, cell, FEATURES, hidden, ghosts) if ghosts
                        else (nn.LSTM if cell == "lstm" else nn.GRU)(FEATURES, hidden,
                                                                     batch_first=True))
            self.head = nn.Linear(hidden, CLASSES)

        def forward(self, x, lengths):
            h, _ = self.rnn(x)
            return self.head(h[torch.arange(h.shape[0]), lengths - 1])

    x, lengths, labels = load_split("fit", 0)
    mask = np.arange(x.shape[1])[None, :] < lengths[:, None]
    mean, std = x[mask].mean(axis=0), x[mask].std(axis=0)
    vx, vl, vy = load_split("val", 0)
    t0 = time.time()
    stem = f"jvowels_{cell}"
    name = ghost_file(stem, ratio, seed) if ghosts else plain_file(stem, hidden, seed)
    log(f"{name}: H {hidden}, G {ghosts}, "
        f"{parameter_count(cell, FEATURES, hidden, ghosts)} parameters")
    history, states = fit(torch, cell, normalize(x, lengths, mean, std), lengths, labels,
                          max_epochs, val=(normalize(vx, vl, mean, std), vl, vy), log=log,
                          make=lambda torch: Net(), seed=SEED if seed is None else seed)
    arrays = chosen_arrays(history, states, mean, std)
    if ghosts:
        arrays["ghost_ratio"] = np.array(ratio)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    np.savez_compressed(path, **arrays)
    log(f"{name}: validation accuracy {float(arrays['val_accuracy']):.1f} % (5-epoch mean) at "
        f"{int(arrays['epochs'])} epochs; wrote {path} ({time.time() - t0:.0f} s)")
    return path


def train_charlm(out: Path, ratio: float = 0.0, hidden: int | None = None, steps: int = 2000,
                 log=print) -> Path:
    """One model of train_charlm.py's recipe: ghost (hidden 128) if ``ratio`` > 0, else plain
    of ``hidden``."""
    from workloads.ghost_torch import ghost_rnn
    from workloads.train_charlm import EMBED, HIDDEN, train

    hidden = HIDDEN if hidden is None else hidden
    ghosts = ghost_size(ratio, hidden)
    name = ghost_file("charlm", ratio) if ghosts else plain_file("charlm", hidden)
    log(f"{name}: H {hidden}, G {ghosts}, "
        f"{parameter_count('lstm', EMBED, hidden, ghosts)} parameters")
    rnn = (lambda torch, x: ghost_rnn(torch, "lstm", x, hidden, ghosts)) if ghosts else None
    path = train(out, steps, log=log, rnn=rnn, filename=name, hidden=hidden)
    if ghosts:                            # the loader builds the config from the ratio
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files}
        np.savez_compressed(path, **arrays, ghost_ratio=np.array(ratio))
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=("jvowels", "charlm"), default="jvowels")
    p.add_argument("--cell", default="gru,lstm", help="jvowels: cells, comma-separated")
    p.add_argument("--ratios", default=",".join(map(str, RATIOS)),
                   help="ghost ratios, comma-separated (each in (0, 1))")
    p.add_argument("--only", choices=("ghost", "plain", "both"), default="both",
                   help="train the ghost models, their same-parameter plain rivals, or both")
    p.add_argument("--out", type=Path, default=WEIGHTS)
    p.add_argument("--max-epochs", type=int, default=200)
    p.add_argument("--steps", type=int, default=2000, help="charlm: training steps")
    p.add_argument("--seeds", help="jvowels: train again from these seeds, comma-separated")
    args = p.parse_args(argv)
    try:
        seeds = [None] if args.seeds is None else [int(s) for s in args.seeds.split(",")]
    except ValueError:
        p.error(f"seeds must be integers, not {args.seeds}")
    try:
        ratios = [float(r) for r in args.ratios.split(",")]
    except ValueError:
        p.error(f"ratios must be numbers, not {args.ratios}")
    if not all(0 < r < 1 for r in ratios):
        p.error(f"ratios must be in (0, 1), not {args.ratios}")
    cells = args.cell.split(",")
    if not set(cells) <= {"lstm", "gru"}:
        p.error(f"cells must be lstm or gru, not {args.cell}")
    for ratio in ratios:
        if args.task == "charlm":
            from workloads.train_charlm import EMBED, HIDDEN

            if args.only != "plain":
                train_charlm(args.out, ratio, steps=args.steps)
            if args.only != "ghost":
                target = parameter_count("lstm", EMBED, HIDDEN, ghost_size(ratio, HIDDEN))
                train_charlm(args.out, hidden=matched_hidden("lstm", EMBED, target),
                             steps=args.steps)
            continue
        for cell in cells:
            for seed in seeds:
                if args.only != "plain":
                    train_jvowels(cell, args.out, ratio=ratio, max_epochs=args.max_epochs,
                                  seed=seed)
                if args.only != "ghost":
                    target = parameter_count(cell, 12, JV_HIDDEN, ghost_size(ratio, JV_HIDDEN))
                    train_jvowels(cell, args.out, hidden=matched_hidden(cell, 12, target),
                                  max_epochs=args.max_epochs, seed=seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
