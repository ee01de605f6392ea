"""The sigmoid/tanh approximation: one table generator shared by the hardware and the golden model.

The activation input is a pre-activation in the data format (``frac = F`` fraction bits). Its
table index is ``s = clamp(v >> (F - lut_frac), -2**(lut_int + lut_frac), 2**(lut_int + lut_frac)
- 1)``: an arithmetic shift (floor), then saturation, so the table covers
``[-2**lut_int, 2**lut_int)`` in steps of ``2**-lut_frac``. Entry ``s`` holds the function at the
centre of its bin, ``act((s + 0.5) * 2**-lut_frac)``, rounded to the data format. The table is
addressed by the two's-complement bits of ``s`` (``s mod entries``), which is how the hardware's
ROM (``hw/mu.py``) is laid out.
"""

from __future__ import annotations

import functools

import numpy as np

FUNCTIONS = {
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
}


@functools.cache
def _table(kind: str, lut_int: int, lut_frac: int, data_format) -> np.ndarray:
    n = 1 << (lut_int + lut_frac + 1)
    s = np.arange(n, dtype=np.int64)
    s = np.where(s >= n // 2, s - n, s)            # two's-complement address -> signed index
    centre = (s + 0.5) * 2.0 ** -lut_frac
    table = data_format.quantize(FUNCTIONS[kind](centre))
    table.setflags(write=False)
    return table


def activation_table(kind: str, cfg) -> np.ndarray:
    """ROM contents (data-format integers), indexed by the two's-complement bits of ``s``."""
    if kind not in FUNCTIONS:
        raise ValueError(f"activation must be one of {', '.join(FUNCTIONS)}, not {kind!r}")
    return _table(kind, cfg.lut_int, cfg.lut_frac, cfg.data_format)


def lut_index(v, cfg) -> np.ndarray:
    """Signed table index of data-format pre-activations ``v`` (shift, then saturate)."""
    half = 1 << (cfg.lut_int + cfg.lut_frac)
    s = np.asarray(v, dtype=np.int64) >> (cfg.data_format.frac - cfg.lut_frac)
    return np.clip(s, -half, half - 1)


def activate(kind: str, v, cfg) -> np.ndarray:
    """Data-format pre-activations -> data-format activations, exactly as the hardware does."""
    table = activation_table(kind, cfg)
    return table[lut_index(v, cfg) & (cfg.lut_entries - 1)]
