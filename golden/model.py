"""Bit-exact fixed-point golden model of the accelerator, with the four predictors of SPEC 1.

For every sequence of a batch, timestep and layer it does what the hardware does
(docs/formats.md): quantize x, take the exact dot products, add the bias, requantize, look up the
activation table, decide reuse with the predictor, update the memo entries and the cell state, and
count computed and reused gate-neuron evaluations, MACs and cycles (golden/cycles.py). Everything
is vectorized over the batch and the neurons; the only Python loops are over timesteps and layers.

Dot products use float64 matrix products: every product of two 16-bit integers is below 2**30
and the sums stay below 2**53, so float64 arithmetic is exact here, and BLAS makes it fast.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from core.activation import activate
from core.config import EpurConfig
from core.errors import InputError
from core.params import RNNParams
from golden import cycles
from golden.bnn import sign_bits
from golden.cell import gru_update, lstm_update
from golden.comparator import within
from golden.mu import preactivation
from golden.params import QuantLayer, quantize_params


@dataclass
class Result:
    """Outputs and counters of one run over a batch of sequences."""

    cfg: EpurConfig
    h_int: np.ndarray            # (layers, batch, time, H) data-format integers
    c_int: np.ndarray | None     # LSTM cell states, same shape; None for GRU
    computed: np.ndarray         # (batch, gates) gate-neuron evaluations computed
    reused: np.ndarray           # (batch, gates) gate-neuron evaluations reused
    cycles: np.ndarray           # (batch,) busy cycles of the accelerator (cycle model)
    macs: np.ndarray             # (batch,) multiply-accumulates of the baseline
    macs_skipped: np.ndarray     # (batch,) of those, avoided by the predictor
    lengths: np.ndarray          # (batch,) valid timesteps

    @property
    def h(self) -> np.ndarray:
        """The last layer's h as real numbers (batch, time, H)."""
        return self.cfg.data_format.to_float(self.h_int[-1])

    @property
    def reuse(self) -> float:
        """reused / (reused + computed) over the whole batch (SPEC 4)."""
        total = self.computed.sum() + self.reused.sum()
        return float(self.reused.sum() / total) if total else 0.0

    def counters(self) -> dict:
        """Counters as the RTL names them, each an int64 array over the batch."""
        out = {"cycles": self.cycles}
        for g, name in enumerate(self.cfg.gate_names):
            out[f"computed_{name}"] = self.computed[:, g]
            out[f"reused_{name}"] = self.reused[:, g]
        out["macs"] = self.macs
        out["macs_skipped"] = self.macs_skipped
        return out


def check_inputs(cfg: EpurConfig, x, lengths=None) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (batch, time, features) input array and its lengths."""
    x = np.asarray(x)
    if x.dtype.kind not in "fiu":
        raise InputError(f"inputs must be numeric, not {x.dtype}")
    if x.ndim != 3:
        raise InputError(f"inputs must have shape (batch, time, features), not {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise InputError(f"inputs are empty: shape {x.shape}")
    if x.shape[2] != cfg.input_size:
        raise InputError(
            f"inputs have {x.shape[2]} features but the model's input size is {cfg.input_size}")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise InputError("inputs contain NaN or infinite values")
    if lengths is None:
        lengths = np.full(x.shape[0], x.shape[1], dtype=np.int64)
    lengths = np.asarray(lengths)
    if lengths.shape != (x.shape[0],) or lengths.dtype.kind not in "iu":
        raise InputError(f"lengths must be {x.shape[0]} integers, not {lengths.shape} "
                         f"{lengths.dtype}")
    if lengths.min() < 1 or lengths.max() > x.shape[1]:
        raise InputError(f"lengths must lie in 1..{x.shape[1]}")
    return x, lengths.astype(np.int64)


@dataclass
class _Memo:
    """Memo entries of one layer: (batch, gates, H) each, plus the GRU n gate's second half."""

    y: np.ndarray
    y2: np.ndarray
    yb: np.ndarray
    valid: np.ndarray
    count: np.ndarray

    @classmethod
    def empty(cls, batch, gates, hidden):
        z = np.zeros((batch, gates, hidden), dtype=np.int64)
        return cls(z.copy(), np.zeros((batch, hidden), np.int64), z.copy(),
                   np.zeros_like(z, dtype=bool), z.copy())


def _activations(cfg, acc_x, acc_h, q: QuantLayer):
    """Gate outputs (batch, gates, H) and, for the GRU, the n gate's a_h (batch, H)."""
    if cfg.cell == "lstm":
        pre = preactivation(acc_x + acc_h, q.b, cfg)
        y = np.empty_like(pre)
        for g, name in enumerate(cfg.gate_names):
            y[:, g] = activate("tanh" if name == "g" else "sigmoid", pre[:, g], cfg)
        return y, None
    pre = preactivation(acc_x[:, :2] + acc_h[:, :2], q.b[:2], cfg)
    y = np.empty_like(acc_x)
    y[:, :2] = activate("sigmoid", pre, cfg)
    y[:, 2] = preactivation(acc_x[:, 2], q.b[2], cfg)            # a_x
    return y, preactivation(acc_h[:, 2], q.b_hn, cfg)             # a_h


def run_fixed(cfg: EpurConfig, params, x, lengths=None, predictor: str | None = None,
              theta: float | None = None, mode: str | None = None) -> Result:
    """Run the bit-exact model over a batch. ``params``: :class:`RNNParams` or quantized layers.

    The matrix products are small: BLAS threads only contend (on a busy 2-core machine they
    made it 50x slower), so the run is single-threaded; sweeps use processes instead.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_fixed(cfg, params, x, lengths, predictor, theta, mode)


def _run_fixed(cfg, params, x, lengths, predictor, theta, mode) -> Result:
    changes = {k: v for k, v in (("predictor", predictor), ("theta", theta), ("mode", mode))
               if v is not None}
    cfg = dataclasses.replace(cfg, **changes) if changes else cfg
    if cfg.acc_width > 53:
        raise InputError(f"accumulators of {cfg.acc_width} bits exceed the exact float64 range")
    q_layers = quantize_params(cfg, params) if isinstance(params, RNNParams) else tuple(params)
    x, lengths = check_inputs(cfg, x, lengths)
    fmt = cfg.data_format
    batch, steps, _ = x.shape
    gates, hidden, layers = cfg.gates, cfg.hidden_size, cfg.layers
    # schedule of the cycle model: the oracle is timed as if it were the BNN's memo hardware
    sched = dataclasses.replace(cfg, predictor="bnn") if cfg.predictor == "oracle" else cfg
    t_int, t_frac = cfg.theta_int, cfg.theta_format.frac

    h_int = np.zeros((layers, batch, steps, hidden), dtype=np.int64)
    c_int = np.zeros_like(h_int) if cfg.cell == "lstm" else None
    computed = np.zeros((batch, gates), dtype=np.int64)
    reused = np.zeros((batch, gates), dtype=np.int64)
    cyc = np.zeros(batch, dtype=np.int64)
    macs = np.zeros(batch, dtype=np.int64)
    skipped = np.zeros(batch, dtype=np.int64)

    prep = []
    for k, q in enumerate(q_layers):
        xl = cfg.layer_input_size(k)
        w = q.w.reshape(gates * hidden, -1).astype(np.float64)
        prep.append((w[:, :xl].T.copy(), w[:, xl:].T.copy(), (1.0 - 2.0 * (w < 0)).T.copy()))
    state_h = np.zeros((layers, batch, hidden), dtype=np.int64)
    state_c = np.zeros((layers, batch, hidden), dtype=np.int64)
    memo = [_Memo.empty(batch, gates, hidden) for _ in range(layers)]
    seen = [np.zeros((batch, cfg.row_length(k)), dtype=np.int64) for k in range(layers)]
    xq = fmt.quantize(x)

    for t in range(steps):
        active = t < lengths
        inp = xq[:, t]
        for k, q in enumerate(q_layers):
            wx, wh, signs = prep[k]
            xl, row = cfg.layer_input_size(k), cfg.row_length(k)
            v = np.concatenate([inp, state_h[k]], axis=1)
            nnz = np.full(batch, row, dtype=np.int64)
            if cfg.predictor == "delta":
                changed = (np.abs(v - seen[k]) << t_frac) > (t_int << fmt.frac)
                seen[k] = np.where(changed, v, seen[k])
                nnz = changed.sum(axis=1)
                v = seen[k]
            vf = v.astype(np.float64)
            acc_x = (vf[:, :xl] @ wx).astype(np.int64).reshape(batch, gates, hidden)
            acc_h = (vf[:, xl:] @ wh).astype(np.int64).reshape(batch, gates, hidden)
            y, y2 = _activations(cfg, acc_x, acc_h, q)
            m = memo[k]
            yb = m.yb
            if cfg.predictor == "bnn":
                sv = 1.0 - 2.0 * sign_bits(v)
                yb = (sv @ signs).astype(np.int64).reshape(batch, gates, hidden)
                reuse = within(yb, m.yb, t_int, t_frac, cfg.mode)
            elif cfg.predictor == "oracle":
                args = (t_int << fmt.frac, t_frac, "absolute") if cfg.mode == "absolute" else \
                    (t_int, t_frac, "relative")
                reuse = within(y, m.y, *args)
                if y2 is not None:
                    reuse[:, 2] &= within(y2, m.y2, *args)
            else:
                reuse = np.zeros((batch, gates, hidden), dtype=bool)
            reuse &= m.valid
            if cfg.reuse_cap:
                reuse &= m.count < cfg.reuse_cap
            out = np.where(reuse, m.y, y)
            out2 = None if y2 is None else np.where(reuse[:, 2], m.y2, y2)
            if cfg.predictor in ("bnn", "oracle"):
                upd = ~reuse & active[:, None, None]
                m.y = np.where(upd, y, m.y)
                if y2 is not None:
                    m.y2 = np.where(upd[:, 2], y2, m.y2)
                m.yb = np.where(upd, yb, m.yb)
                m.valid |= upd
                m.count = np.where(upd, 0, m.count + (reuse & active[:, None, None]))
            if cfg.cell == "lstm":
                h_new, c_new = lstm_update(out[:, 0], out[:, 1], out[:, 2], out[:, 3],
                                           state_c[k], cfg)
                state_c[k] = np.where(active[:, None], c_new, state_c[k])
                c_int[k, :, t] = state_c[k]
            else:
                h_new = gru_update(out[:, 0], out[:, 1], out[:, 2], out2, state_h[k], cfg)
            state_h[k] = np.where(active[:, None], h_new, state_h[k])
            h_int[k, :, t] = state_h[k]
            inp = state_h[k]

            act = active.astype(np.int64)
            computed += act[:, None] * (~reuse).sum(axis=2)
            reused += act[:, None] * reuse.sum(axis=2)
            step = cycles.layer_step_cycles(sched, k, ~reuse)
            if cfg.predictor == "delta":
                step = step + hidden * (-(-nnz // cfg.lanes) - cfg.dpu_cycles(k))
            cyc += act * step
            macs += act * gates * hidden * row
            skipped += act * (reuse.sum(axis=(1, 2)) * row + gates * hidden * (row - nnz))
    return Result(cfg, h_int, c_int, computed, reused, cyc, macs, skipped, lengths)
