"""Bit-exact fixed-point golden model of the accelerator, with the four predictors of SPEC 1.

For every sequence of a batch, timestep and layer it does what the hardware does
(docs/formats.md): quantize x, take the exact dot products, add the bias, requantize, look up the
activation table, decide reuse with the predictor, update the memo entries and the cell state, and
count computed and reused gate-neuron evaluations, MACs and cycles (golden/cycles.py).

It is built from the golden blocks, named as the hardware's: the controller (golden/controller.py)
loops over timesteps and layers; the compute units (golden/cu.py) use the DPU (golden/dpu.py), the
MU (golden/mu.py) and the reuse scheme of ``cfg.predictor`` (golden/schemes/: none, bnn, oracle,
delta, with the BNN, comparator and memo entries of golden/bnn.py, comparator.py, memo.py); the
cell-update unit is golden/cell.py. Everything is vectorized over the batch and the neurons; the
only Python loops are over timesteps and layers.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from core.config import EpurConfig
from core.errors import InputError
from core.params import RNNParams
from golden import controller
from golden.controller import Result
from golden.params import quantize_params

__all__ = ["Result", "check_inputs", "run_fixed"]


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


def run_fixed(cfg: EpurConfig, params, x, lengths=None, predictor: str | None = None,
              theta: float | None = None, mode: str | None = None,
              theta_h: float | None = None, precision: str | None = None,
              precision_theta: float | None = None) -> Result:
    """Run the bit-exact model over a batch. ``params``: :class:`RNNParams` or quantized layers.

    ``predictor``, ``theta``, ``mode``, ``theta_h``, ``precision``, ``precision_theta``
    override the config's (``None`` keeps it).
    The matrix products are small: BLAS threads only contend (on a busy 2-core machine they
    made it 50x slower), so the run is single-threaded; sweeps use processes instead.
    """
    cfg = cfg.with_overrides(predictor, theta, mode, theta_h, precision, precision_theta)
    if cfg.acc_width > 53:        # the DPU's fast path (golden/dpu.py) then always applies
        raise InputError(f"accumulators of {cfg.acc_width} bits exceed the exact float64 range")
    layers = quantize_params(cfg, params) if isinstance(params, RNNParams) else tuple(params)
    x, lengths = check_inputs(cfg, x, lengths)
    with threadpool_limits(limits=1, user_api="blas"):
        return controller.run(cfg, layers, cfg.data_format.quantize(x), lengths)
