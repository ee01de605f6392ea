"""Fixed-point formats chosen from data: the float model's ranges on a user's inputs.

:func:`measure` runs the float model (golden/float_model.py) and takes, over every valid timestep
and layer, the largest magnitude of the weights and biases, the inputs x, the pre-activations the
MU narrows (LSTM: each gate's whole sum; GRU: r and z, and n's two halves ``W_in x + b_in`` and
``W_hn h + b_hn`` and their combination), the cell state c (LSTM) and h. :func:`choose` keeps the
widths of the base config and moves the binary point: the data format (x, h, c, pre-activations)
gets the fewest integer bits that hold the largest data magnitude times ``2**headroom`` (never
fewer than the activation table's range needs), the weight format the fewest that hold the
largest weight or bias (weights are known exactly: no headroom). Every other bit is a fraction
bit. The reasons are returned as sentences for the command to print.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from core.config import EpurConfig
from core.errors import InputError
from core.fixed import FixedFormat
from core.params import RNNParams
from golden.float_model import run_float_all_layers

DEFAULT_HEADROOM = 1            # bits above the largest measured data magnitude


@dataclass(frozen=True)
class Ranges:
    """Largest magnitudes measured on the calibration inputs."""

    weights: float
    inputs: float
    pre: float
    h: float
    c: float                    # 0 for a GRU

    @property
    def data(self) -> float:
        return max(self.inputs, self.pre, self.h, self.c)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _sigmoid(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def measure(params: RNNParams, x: np.ndarray, lengths: np.ndarray) -> Ranges:
    """The ranges of ``params`` on inputs ``x`` (batch, time, features), valid steps only."""
    x = np.asarray(x, dtype=np.float64)
    valid = np.arange(x.shape[1])[None, :] < np.asarray(lengths)[:, None]     # (batch, time)
    hs = run_float_all_layers(params, x)
    weights = max(float(np.abs(a).max()) for layer in params.layers
                  for a in (layer.w_ih, layer.w_hh, layer.b_ih, layer.b_hh))
    pre = c_max = 0.0
    inputs = x
    for layer, h in zip(params.layers, hs, strict=True):
        h_prev = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
        xw = inputs @ layer.w_ih.T + layer.b_ih
        hw = h_prev @ layer.w_hh.T + layer.b_hh
        if params.cell == "lstm":
            gates = xw + hw
            pre = max(pre, float(np.abs(gates[valid]).max()))
            i, f, g, _ = np.split(gates, 4, axis=2)
            c = np.zeros_like(h[:, 0])
            for t in range(x.shape[1]):
                c = _sigmoid(f[:, t]) * c + _sigmoid(i[:, t]) * np.tanh(g[:, t])
                c_max = max(c_max, float(np.abs(c[valid[:, t]]).max(initial=0.0)))
        else:
            xr, xz, xn = np.split(xw, 3, axis=2)
            hr, hz, hn = np.split(hw, 3, axis=2)
            r = _sigmoid(xr + hr)
            for v in (xr + hr, xz + hz, xn, hn, xn + r * hn):
                pre = max(pre, float(np.abs(v[valid]).max()))
        inputs = h
    h_max = max(float(np.abs(h[valid]).max()) for h in hs)
    return Ranges(weights=weights, inputs=float(np.abs(x[valid]).max()), pre=pre, h=h_max,
                  c=c_max)


def integer_bits(magnitude: float, width: int) -> int:
    """The fewest integer bits (sign included) of a signed ``width``-bit format whose largest
    value holds ``magnitude``."""
    for bits in range(1, width + 1):
        if (1 << (bits - 1)) - 2.0 ** -(width - bits) >= magnitude:
            return bits
    raise InputError(f"a magnitude of {magnitude:g} does not fit {width} bits")


def choose(base: EpurConfig, ranges: Ranges, headroom: int = DEFAULT_HEADROOM
           ) -> tuple[EpurConfig, list[str]]:
    """``base`` with weight and data formats that hold ``ranges`` (data with ``headroom``
    bits to spare), and the reasons, one sentence each."""
    if isinstance(headroom, bool) or not isinstance(headroom, int) or not 0 <= headroom <= 16:
        raise InputError(f"headroom must be an integer number of bits in 0..16, not {headroom}")
    wf, df = base.weight_format, base.data_format
    w_int = integer_bits(ranges.weights, wf.width)
    need = ranges.data * 2.0 ** headroom
    d_int = integer_bits(need, df.width)
    table = base.lut_int + 1
    reasons = [f"weights and biases reach {ranges.weights:.4g}: {w_int} integer bits "
               f"(sign included) hold them exactly, weight format "
               f"{_fmt(wf, w_int)} ({wf.width} bits)"]
    largest = max(("x", ranges.inputs), ("pre-activations", ranges.pre), ("h", ranges.h),
                  ("cell state c", ranges.c), key=lambda kv: kv[1])
    why = (f"data reach {ranges.data:.4g} (largest: {largest[0]}; x {ranges.inputs:.4g}, "
           f"pre-activations {ranges.pre:.4g}, h {ranges.h:.4g}"
           + (f", c {ranges.c:.4g}" if base.cell == "lstm" else "") + ")"
           + f"; with {headroom} bit(s) of headroom {need:.4g} needs {d_int} integer bits")
    if d_int < table:
        why += (f", raised to {table} for the activation table's range [-{1 << base.lut_int}, "
                f"{1 << base.lut_int})")
        d_int = table
    data_format = dataclasses.replace(df, frac=df.width - d_int)
    reasons.append(why + f": data format {data_format} ({df.width} bits)")
    lut_frac = min(base.lut_frac, data_format.frac)
    if lut_frac < base.lut_frac:
        reasons.append(f"the activation table's step becomes 2**-{lut_frac} (the data format "
                       f"has {data_format.frac} fraction bits)")
    try:
        cfg = dataclasses.replace(base, weight_format=dataclasses.replace(wf, frac=wf.width
                                                                         - w_int),
                                  data_format=data_format, lut_frac=lut_frac)
    except ValueError as e:
        raise InputError(f"no format of the base widths holds the model: {e}") from None
    if cfg.acc_width > 53:
        raise InputError(f"the chosen formats need {cfg.acc_width}-bit accumulators, beyond "
                         f"the golden model's exact range (53)")
    return cfg, reasons


def _fmt(fmt: FixedFormat, int_bits: int) -> str:
    return str(dataclasses.replace(fmt, frac=fmt.width - int_bits))


def calibrate(base: EpurConfig, params: RNNParams, x, lengths,
              headroom: int = DEFAULT_HEADROOM) -> tuple[EpurConfig, Ranges, list[str]]:
    """Measure ``params`` on ``x`` and choose formats: (config, ranges, reasons)."""
    ranges = measure(params, x, lengths)
    if not all(math.isfinite(v) for v in ranges.to_dict().values()):
        raise InputError("the float model's values are not finite on these inputs")
    cfg, reasons = choose(base, ranges, headroom)
    return cfg, ranges, reasons
