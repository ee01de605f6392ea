"""Train the character-level LSTM (needs the torch extra: ``pip install 'epur[torch]'``).

    python -m workloads.train_charlm [--out DIR] [--steps N]

Embedding (16) -> one LSTM layer (hidden 128) -> dense head over the characters, trained on
windows of SEQ_LEN + 1 characters drawn at random from the training split, each starting from a
zero state as the accelerator runs them. Adam with a cosine learning-rate decay and gradient
clipping; the validation split's bits per character, measured every 250 steps, picks the step whose
weights are kept. The test split is never looked at. Seeds are fixed; about 5 minutes on the
CPU (one thread). Writes ``charlm.npz``: the ``nn.LSTM`` state_dict keys, ``embedding``,
``head_weight``, ``head_bias`` and ``vocab`` (code points, -1 last for unseen characters).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from workloads.charlm import SEQ_LEN, build_vocab, corpus, encode, split_text, windows

EMBED = 16
HIDDEN = 128
SEED = 2019
BATCH = 32


def train(out: Path, steps: int = 2000, log=print, rnn=None, filename: str = "charlm.npz",
          hidden: int = HIDDEN) -> Path:
    """``rnn(torch, input_size)``: the recurrent part to train instead of ``nn.LSTM`` of
    ``hidden`` (workloads/train_ghost.py), written to ``filename``."""
    import torch

    torch.set_num_threads(1)      # OpenMP threads spin and crawl when the cores are shared
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    text = corpus()
    train_text = split_text("train", text)
    vocab = build_vocab(train_text)
    ids = encode(train_text, vocab)
    vx, vy = (torch.tensor(a) for a in windows(encode(split_text("val", text), vocab)))
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(len(vocab), EMBED)
            self.rnn = (nn.LSTM(EMBED, hidden, batch_first=True) if rnn is None
                        else rnn(torch, EMBED))
            self.head = nn.Linear(hidden, len(vocab))

        def forward(self, x):
            return self.head(self.rnn(self.embedding(x))[0])

    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=4e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    best, best_state, best_step = float("inf"), None, 0
    t0 = time.time()
    for step in range(1, steps + 1):
        model.train()
        start = rng.integers(0, len(ids) - SEQ_LEN - 1, size=BATCH)
        win = torch.tensor(np.stack([ids[s: s + SEQ_LEN + 1] for s in start]))
        loss = nn.functional.cross_entropy(model(win[:, :-1]).reshape(-1, len(vocab)),
                                           win[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 250 == 0 or step == steps:
            model.eval()
            with torch.no_grad():
                v = nn.functional.cross_entropy(model(vx).reshape(-1, len(vocab)),
                                                vy.reshape(-1))
            bpc = float(v) / math.log(2)
            log(f"step {step}: train {loss.item() / math.log(2):.3f} bpc, "
                f"validation {bpc:.3f} bpc ({time.time() - t0:.0f} s)")
            if bpc < best:
                best, best_step = bpc, step
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    arrays = {k: v.numpy().astype(np.float32) for k, v in model.rnn.state_dict().items()}
    arrays["embedding"] = model.embedding.weight.detach().numpy().astype(np.float32)
    arrays["head_weight"] = model.head.weight.detach().numpy().astype(np.float32)
    arrays["head_bias"] = model.head.bias.detach().numpy().astype(np.float32)
    arrays["vocab"] = vocab
    arrays["step"] = np.array(best_step)
    out.mkdir(parents=True, exist_ok=True)
    path = out / filename
    np.savez_compressed(path, **arrays)
    log(f"kept step {best_step} (validation {best:.3f} bpc); wrote {path}")
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "weights")
    p.add_argument("--steps", type=int, default=2000)
    args = p.parse_args(argv)
    train(args.out, args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
