"""Writes tests/golden/data/torch_ref.npz: torch.nn.LSTM/GRU outputs for random weights.

Run with the torch extra installed: ``python tests/golden/make_torch_ref.py``. The float-model test
compares against live torch when it is installed and against this file always.
"""

from pathlib import Path

import numpy as np
import torch

CASES = [(cell, layers) for cell in ("lstm", "gru") for layers in (1, 2)]
X, H, BATCH, STEPS = 7, 9, 5, 11


def torch_case(cell: str, layers: int, seed: int):
    torch.manual_seed(seed)
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](
        X, H, num_layers=layers, batch_first=True).double()
    x = torch.randn(BATCH, STEPS, X, dtype=torch.float64)
    with torch.no_grad():
        y, _ = module(x)
    sd = {k: v.numpy() for k, v in module.state_dict().items()}
    return sd, x.numpy(), y.numpy()


def main():
    out = {}
    for n, (cell, layers) in enumerate(CASES):
        sd, x, y = torch_case(cell, layers, seed=n)
        tag = f"{cell}{layers}"
        out.update({f"{tag}/{k}": v for k, v in sd.items()})
        out[f"{tag}/x"], out[f"{tag}/y"] = x, y
    path = Path(__file__).parent / "data" / "torch_ref.npz"
    np.savez_compressed(path, **out)
    print(f"wrote {path.name} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
