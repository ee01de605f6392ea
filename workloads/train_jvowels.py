"""Train the JapaneseVowels LSTM and GRU (needs the torch extra: ``pip install 'epur[torch]'``).

    python -m workloads.train_jvowels [--cell lstm|gru|both] [--folds 0,1,2,3,4] [--out DIR]

One recurrent layer (input 12, hidden 64: the default accelerator) and a dense head on the h of
the last valid frame. The model of cross-validation fold ``k`` (workloads/jvowels.py) is fitted
on that fold's ``fit`` sequences (216 of the 270 training sequences) only, its inputs
standardized with their statistics; the fold's 54 ``val`` sequences pick the epoch whose weights
are kept, and with the other folds' every threshold, so a model never fits the sequences it is
judged on. The test split is never looked at. Seeds are fixed (the same for every fold); on the
2-core CPU a cell's five folds train in a few minutes (one thread). Writes
``jvowels_<cell>.npz`` (fold 0: the shipped model) or ``jvowels_<cell>_fold<k>.npz``: the
state_dict keys of ``nn.LSTM``/``nn.GRU``, ``head_weight``, ``head_bias``, ``x_mean``,
``x_std``, ``epochs`` and ``val_accuracy`` (the 5-epoch mean at the kept epoch).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from workloads.jvowels import CLASSES, FEATURES, FOLDS, load_split, normalize, weights_file

HIDDEN = 64
SEED = 2019


def _model(torch, cell: str):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(FEATURES, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, CLASSES)

        def forward(self, x, lengths):
            h, _ = self.rnn(x)
            return self.head(h[torch.arange(h.shape[0]), lengths - 1])

    return Net()


def fit(torch, cell, x, lengths, labels, epochs, val, seed=SEED, log=print, make=None):
    """Adam on minibatches of 32; returns the validation accuracy after each epoch and the
    model's state after each epoch (state_dicts of NumPy arrays). ``make(torch)``: the model to
    fit instead of the default one (workloads/train_ghost.py), built after the seed is set."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = _model(torch, cell) if make is None else make(torch)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    xt = torch.tensor(x, dtype=torch.float32)
    lt = torch.tensor(lengths)
    yt = torch.tensor(labels)
    vx, vl, vy = (torch.tensor(a) for a in val)
    history, states = [], []
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(x))
        for k in range(0, len(order), 32):
            idx = torch.tensor(order[k:k + 32])
            noise = 0.05 * torch.randn_like(xt[idx])      # mild input noise: robustness
            loss = torch.nn.functional.cross_entropy(model(xt[idx] + noise, lt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = float((model(vx.float(), vl).argmax(1) == vy).float().mean()) * 100
        history.append(acc)
        states.append({k: v.detach().numpy().astype(np.float32).copy()
                       for k, v in model.state_dict().items()})
        if (epoch + 1) % 20 == 0:
            log(f"  epoch {epoch + 1}: validation accuracy {acc:.1f} %")
    return history, states


def chosen_arrays(history, states, mean, std) -> dict:
    """The arrays of the weights file: the epoch whose validation accuracy, smoothed over 5
    epochs so that one lucky epoch does not decide, is the best; its RNN and head weights, the
    input statistics, the epoch count and that smoothed accuracy."""
    smooth = np.convolve(history, np.ones(5) / 5, mode="same")
    epochs = int(np.argmax(smooth)) + 1
    state = states[epochs - 1]
    arrays = {k.removeprefix("rnn."): v for k, v in state.items() if k.startswith("rnn.")}
    arrays["head_weight"], arrays["head_bias"] = state["head.weight"], state["head.bias"]
    arrays["x_mean"], arrays["x_std"] = mean, std
    arrays["epochs"] = np.array(epochs)
    arrays["val_accuracy"] = np.array(smooth[epochs - 1])
    return arrays


def train(cell: str, out: Path, max_epochs: int = 200, log=print, fold: int = 0) -> Path:
    import torch

    torch.set_num_threads(1)      # OpenMP threads spin and crawl when the cores are shared
    x, lengths, labels = load_split("fit", fold)
    mask = np.arange(x.shape[1])[None, :] < lengths[:, None]
    mean, std = x[mask].mean(axis=0), x[mask].std(axis=0)
    vx, vl, vy = load_split("val", fold)
    t0 = time.time()
    label = f"{cell} fold {fold}"
    log(f"{label}: fitting on {len(x)}, validating on {len(vx)}")
    history, states = fit(torch, cell, normalize(x, lengths, mean, std), lengths, labels,
                          max_epochs, val=(normalize(vx, vl, mean, std), vl, vy), log=log)
    arrays = chosen_arrays(history, states, mean, std)
    log(f"{label}: best validation accuracy {float(arrays['val_accuracy']):.1f} % (5-epoch mean) "
        f"at {int(arrays['epochs'])} epochs; keeping that epoch's weights")
    out.mkdir(parents=True, exist_ok=True)
    path = out / weights_file(cell, fold)
    np.savez_compressed(path, **arrays)
    log(f"{label}: wrote {path} ({time.time() - t0:.0f} s)")
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell", choices=("lstm", "gru", "both"), default="both")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "weights")
    p.add_argument("--folds", default=",".join(map(str, range(FOLDS))),
                   help="cross-validation folds to train, comma-separated (default: all)")
    p.add_argument("--max-epochs", type=int, default=200)
    args = p.parse_args(argv)
    folds = [int(k) for k in args.folds.split(",")]
    if not all(0 <= k < FOLDS for k in folds):
        p.error(f"folds must be in 0..{FOLDS - 1}, not {args.folds}")
    for cell in ("lstm", "gru") if args.cell == "both" else (args.cell,):
        for fold in folds:
            train(cell, args.out, args.max_epochs, fold=fold)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
