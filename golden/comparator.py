"""Golden comparator: the reuse test of fuzzy memoization, in integers (no divider).

relative: ``|yb - yb_m| << Ft <= theta_int * |yb_m|``; absolute: ``|yb - yb_m| << Ft <= theta_int``;
and the entry must be valid and, with a cap, its consecutive-reuse count below the cap.
"""

from __future__ import annotations

import numpy as np


def within(yb, yb_m, theta_int: int, theta_frac: int, mode: str) -> np.ndarray:
    """The threshold test alone (no valid bit, no cap)."""
    d = np.abs(np.asarray(yb, dtype=np.int64) - np.asarray(yb_m, dtype=np.int64)) << theta_frac
    if mode == "relative":
        return d <= theta_int * np.abs(np.asarray(yb_m, dtype=np.int64))
    if mode == "absolute":
        return d <= theta_int
    raise ValueError(f"mode must be relative or absolute, not {mode!r}")


def reuse(yb, yb_m, valid, reuse_count, theta_int: int, theta_frac: int, mode: str,
          reuse_cap: int) -> np.ndarray:
    """The full reuse decision of the comparator."""
    ok = within(yb, yb_m, theta_int, theta_frac, mode) & np.asarray(valid, dtype=bool)
    if reuse_cap:
        ok &= np.asarray(reuse_count) < reuse_cap
    return ok
