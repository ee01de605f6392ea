"""Writes tests/golden/data/ghost_torch_ref.npz: outputs of the PyTorch ghost cell
(workloads/ghost_torch.py) for random weights, in float64.

Run with the torch extra installed: ``python -m tests.golden.make_ghost_ref``. The ghost float-model
test compares against live torch when it is installed and against this file always.
"""

from pathlib import Path

import numpy as np
import torch

from workloads.ghost_torch import ghost_rnn

# (cell, hidden, ghost, layers)
CASES = [(cell, h, g, layers) for cell in ("lstm", "gru") for h, g, layers in ((9, 4, 1),
                                                                               (8, 2, 2))]
X, BATCH, STEPS = 5, 4, 10
PATH = Path(__file__).parent / "data" / "ghost_torch_ref.npz"


def tag(cell, hidden, ghost, layers) -> str:
    return f"{cell}_h{hidden}_g{ghost}_l{layers}"


def main():
    out = {}
    for n, case in enumerate(CASES):
        torch.manual_seed(100 + n)
        module = ghost_rnn(torch, case[0], X, *case[1:]).double()
        with torch.no_grad():
            for p in module.parameters():       # beyond the init: saturating gates and ghosts
                p.mul_(2.5)
            x = torch.randn(BATCH, STEPS, X, dtype=torch.float64)
            y, _ = module(x)
        name = tag(*case)
        out.update({f"{name}/{k}": v.numpy() for k, v in module.state_dict().items()})
        out[f"{name}/x"], out[f"{name}/y"] = x.numpy(), y.numpy()
    np.savez_compressed(PATH, **out)
    print(f"wrote {PATH.name} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
