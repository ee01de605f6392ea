"""Train the JapaneseVowels LSTM and GRU (needs the torch extra: ``pip install 'epur[torch]'``).

    python -m workloads.train_jvowels [--cell lstm|gru|both] [--out DIR]

One recurrent layer (input 12, hidden 64: the default accelerator) and a dense head on the h of
the last valid frame. Inputs are standardized with the training split's statistics. The training
split (270) is split once more, per speaker, into 216 for fitting and 54 for validation; the
validation accuracy picks the number of epochs, then the model is refitted on all 270 sequences
with that number. The test split is never looked at. Seeds are fixed; on the 2-core CPU both
cells train in about two minutes (one thread). Writes ``jvowels_<cell>.npz``: the state_dict keys of
``nn.LSTM``/``nn.GRU``, ``head_weight``, ``head_bias``, ``x_mean`` and ``x_std``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from workloads.jvowels import CLASSES, FEATURES, load_split, normalize

HIDDEN = 64
SEED = 2019
VAL_PER_CLASS = 6


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


def fit(torch, cell, x, lengths, labels, epochs, val=None, seed=SEED, log=print):
    """Adam on minibatches of 32; returns the model and the validation accuracy per epoch."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = _model(torch, cell)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    xt = torch.tensor(x, dtype=torch.float32)
    lt = torch.tensor(lengths)
    yt = torch.tensor(labels)
    history = []
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
        if val is not None:
            model.eval()
            with torch.no_grad():
                vx, vl, vy = (torch.tensor(a) for a in val)
                acc = float((model(vx.float(), vl).argmax(1) == vy).float().mean()) * 100
            history.append(acc)
            if (epoch + 1) % 20 == 0:
                log(f"  epoch {epoch + 1}: validation accuracy {acc:.1f} %")
    return model, history


def train(cell: str, out: Path, max_epochs: int = 200, log=print) -> Path:
    import torch

    torch.set_num_threads(1)      # OpenMP threads spin and crawl when the cores are shared
    x, lengths, labels = load_split("train")
    mask = np.arange(x.shape[1])[None, :] < lengths[:, None]
    mean, std = x[mask].mean(axis=0), x[mask].std(axis=0)
    x = normalize(x, lengths, mean, std)
    rng = np.random.default_rng(SEED)
    val_idx = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:VAL_PER_CLASS]
                              for c in range(CLASSES)])
    fit_idx = np.setdiff1d(np.arange(len(x)), val_idx)
    t0 = time.time()
    log(f"{cell}: fitting on {len(fit_idx)}, validating on {len(val_idx)}")
    _, history = fit(torch, cell, x[fit_idx], lengths[fit_idx], labels[fit_idx], max_epochs,
                     val=(x[val_idx], lengths[val_idx], labels[val_idx]), log=log)
    # smooth over 5 epochs so that one lucky epoch does not decide
    smooth = np.convolve(history, np.ones(5) / 5, mode="same")
    epochs = int(np.argmax(smooth)) + 1
    log(f"{cell}: best validation accuracy {smooth[epochs - 1]:.1f} % (5-epoch mean) "
        f"at {epochs} epochs; refitting on all {len(x)}")
    model, _ = fit(torch, cell, x, lengths, labels, epochs, log=log)
    arrays = {k: v.detach().numpy().astype(np.float32)
              for k, v in model.rnn.state_dict().items()}
    arrays["head_weight"] = model.head.weight.detach().numpy().astype(np.float32)
    arrays["head_bias"] = model.head.bias.detach().numpy().astype(np.float32)
    arrays["x_mean"], arrays["x_std"] = mean, std
    arrays["epochs"] = np.array(epochs)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"jvowels_{cell}.npz"
    np.savez_compressed(path, **arrays)
    log(f"{cell}: wrote {path} ({time.time() - t0:.0f} s)")
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cell", choices=("lstm", "gru", "both"), default="both")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "weights")
    p.add_argument("--max-epochs", type=int, default=200)
    args = p.parse_args(argv)
    for cell in ("lstm", "gru") if args.cell == "both" else (args.cell,):
        train(cell, args.out, args.max_epochs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
