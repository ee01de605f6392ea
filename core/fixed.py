"""Fixed-point formats and the integer arithmetic shared by the golden model and the hardware.

A value in format ``Q(width, frac)`` is an integer ``v`` standing for ``v / 2**frac``. Every
narrowing in epur goes through :func:`requantize` (shift right with the format's rounding, then
saturate), and the hardware implements exactly the same two steps, so the golden model and the RTL
agree bit for bit.

Rounding modes
    ``"floor"``   drop the low bits (round toward minus infinity, what an arithmetic shift does);
    ``"half_up"`` add half an ulp, then floor: round to nearest, ties toward plus infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ROUNDING_MODES = ("floor", "half_up")


@dataclass(frozen=True)
class FixedFormat:
    """A two's-complement (or unsigned) fixed-point format, as hls4ml's ``FixedPrecisionType``."""

    width: int
    frac: int
    signed: bool = True
    rounding: str = "half_up"
    saturate: bool = True

    def __post_init__(self):
        for key in ("signed", "saturate"):
            if not isinstance(getattr(self, key), bool):
                raise ValueError(f"{key} must be true or false, not {getattr(self, key)!r}")
        if not _is_int(self.width) or not 2 <= self.width <= 48:
            raise ValueError(f"fixed-point width must be an integer in 2..48, not {self.width!r}")
        if not _is_int(self.frac) or not 0 <= self.frac < self.width:
            raise ValueError(
                f"fixed-point fraction bits must be an integer in 0..{self.width - 1} "
                f"for width {self.width}, not {self.frac!r}")
        if self.rounding not in ROUNDING_MODES:
            raise ValueError(
                f"rounding must be one of {', '.join(ROUNDING_MODES)}, not {self.rounding!r}")
        if not self.saturate:
            raise ValueError("saturate=False (wrap-around) is not supported: narrowing saturates")

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1 if self.signed else (1 << self.width) - 1

    @property
    def ulp(self) -> float:
        return 2.0 ** -self.frac

    @property
    def min_value(self) -> float:
        return self.min_int * self.ulp

    @property
    def max_value(self) -> float:
        return self.max_int * self.ulp

    def to_dict(self) -> dict:
        return {"width": self.width, "frac": self.frac, "signed": self.signed,
                "rounding": self.rounding, "saturate": self.saturate}

    def __str__(self):
        return f"{'Q' if self.signed else 'UQ'}{self.width - self.frac}.{self.frac}"

    # -- conversions --------------------------------------------------------------------------

    def quantize(self, x) -> np.ndarray:
        """Real values -> integers of this format (rounding mode of the format, saturating)."""
        x = np.asarray(x, dtype=np.float64)
        if not np.all(np.isfinite(x)):
            raise ValueError("cannot quantize NaN or infinite values")
        scaled = x * (1 << self.frac)
        if self.rounding == "floor":
            v = np.floor(scaled)
        else:
            v = np.floor(scaled + 0.5)
        return np.clip(v, self.min_int, self.max_int).astype(np.int64)

    def to_float(self, v) -> np.ndarray:
        return np.asarray(v, dtype=np.int64).astype(np.float64) * self.ulp

    def saturate_int(self, v) -> np.ndarray:
        return np.clip(np.asarray(v, dtype=np.int64), self.min_int, self.max_int)

    def requantize(self, v, from_frac: int) -> np.ndarray:
        """Integers with ``from_frac`` fraction bits -> this format (round, then saturate)."""
        return self.saturate_int(shift_round(v, from_frac - self.frac, self.rounding))

    def out_of_range(self, v) -> np.ndarray:
        """True where integers ``v`` lie outside this format: where saturating clips them."""
        v = np.asarray(v, dtype=np.int64)
        return (v < self.min_int) | (v > self.max_int)

    def clips(self, v, from_frac: int) -> np.ndarray:
        """True where :meth:`requantize` saturates: the rounded value lies outside the format."""
        return self.out_of_range(shift_round(v, from_frac - self.frac, self.rounding))


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def shift_round(v, shift: int, rounding: str = "half_up") -> np.ndarray:
    """Arithmetic right shift of integers by ``shift`` bits with rounding (left shift if < 0)."""
    v = np.asarray(v, dtype=np.int64)
    if shift <= 0:
        return v << (-shift)
    if rounding == "half_up":
        v = v + (1 << (shift - 1))
    return v >> shift


def signed_bits_for(lo: int, hi: int) -> int:
    """Width of the smallest two's-complement signal holding every integer in [lo, hi]."""
    width = 1
    while not (-(1 << (width - 1)) <= lo and hi <= (1 << (width - 1)) - 1):
        width += 1
    return width
