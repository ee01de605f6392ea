"""The ghost cell (GhostRNN) as a PyTorch module (needs the torch extra).

    module = ghost_rnn(torch, "gru", input_size=12, hidden_size=64, ghost_size=32)
    h, _ = module(x)          # x (batch, time, input_size) -> h (batch, time, hidden_size)

Per layer, the recurrent cell (PyTorch's LSTM or GRU equations, gate order i f g o / r z n)
computes only the I = H - G intrinsic neurons, reading the full h of the previous step; the cheap
operation makes the G ghost states from the new intrinsic state, ``q = tanh(W_gh u + b_gh)``, and
``h = cat(u, q)`` (intrinsic first). The parameters are named as the state-dict keys of the
config's ghost layers (core/params.py): ``weight_ih_l{k}`` (g*I, X), ``weight_hh_l{k}`` (g*I, H),
``bias_ih_l{k}``, ``bias_hh_l{k}`` (g*I,), ``weight_gh_l{k}`` (G, I), ``bias_gh_l{k}`` (G,),
initialised as PyTorch's recurrent layers are, U(-1/sqrt(H), 1/sqrt(H)). Batch-first, zero initial
state; the time loop is plain Python (the sequences here are at most a few hundred steps).
"""

from __future__ import annotations

import math

GATES = {"lstm": 4, "gru": 3}


def ghost_rnn(torch, cell: str, input_size: int, hidden_size: int, ghost_size: int,
              num_layers: int = 1):
    """A ``torch.nn.Module`` of ``num_layers`` ghost layers; ``forward(x)`` returns the last
    layer's h of every step and ``None`` (the shape of ``nn.LSTM``/``nn.GRU``'s answer)."""
    if cell not in GATES:
        raise ValueError(f"cell must be lstm or gru, not {cell!r}")
    if not 0 < ghost_size < hidden_size:
        raise ValueError(f"ghost_size must be in 1..{hidden_size - 1}, not {ghost_size}")
    nn = torch.nn
    gates, inner = GATES[cell], hidden_size - ghost_size

    class GhostRNN(nn.Module):
        def __init__(self):
            super().__init__()
            bound = 1.0 / math.sqrt(hidden_size)
            for k in range(num_layers):
                x = input_size if k == 0 else hidden_size
                for name, shape in (("weight_ih", (gates * inner, x)),
                                    ("weight_hh", (gates * inner, hidden_size)),
                                    ("bias_ih", (gates * inner,)), ("bias_hh", (gates * inner,)),
                                    ("weight_gh", (ghost_size, inner)),
                                    ("bias_gh", (ghost_size,))):
                    self.register_parameter(
                        f"{name}_l{k}", nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

        def _layer(self, k, x):
            p = {n: getattr(self, f"{n}_l{k}") for n in
                 ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_gh", "bias_gh")}
            batch, steps = x.shape[:2]
            h = x.new_zeros(batch, hidden_size)
            c = x.new_zeros(batch, inner)
            xw = nn.functional.linear(x, p["weight_ih"], p["bias_ih"])
            out = []
            for t in range(steps):
                hw = nn.functional.linear(h, p["weight_hh"], p["bias_hh"])
                if cell == "lstm":
                    i, f, g, o = (xw[:, t] + hw).chunk(4, dim=1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    u = torch.sigmoid(o) * torch.tanh(c)
                else:
                    xr, xz, xn = xw[:, t].chunk(3, dim=1)
                    hr, hz, hn = hw.chunk(3, dim=1)
                    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
                    n = torch.tanh(xn + r * hn)
                    u = (1 - z) * n + z * h[:, :inner]
                q = torch.tanh(nn.functional.linear(u, p["weight_gh"], p["bias_gh"]))
                h = torch.cat([u, q], dim=1)
                out.append(h)
            return torch.stack(out, dim=1)

        def forward(self, x):
            for k in range(num_layers):
                x = self._layer(k, x)
            return x, None

    return GhostRNN()


def parameter_count(cell: str, input_size: int, hidden_size: int, ghost_size: int = 0,
                    num_layers: int = 1) -> int:
    """Weights and biases of the recurrent layers (ghost_size 0: the plain ``nn.LSTM``/``nn.GRU``).
    Plain g*H*(X+H) + 2gH per layer; ghost g*I*(X+H) + 2gI + G*I + G."""
    gates, inner = GATES[cell], hidden_size - ghost_size
    total = 0
    for k in range(num_layers):
        x = input_size if k == 0 else hidden_size
        total += gates * inner * (x + hidden_size) + 2 * gates * inner
        total += ghost_size * inner + ghost_size
    return total
