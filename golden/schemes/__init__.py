"""Reuse schemes of the golden model, one module each, chosen by ``cfg.predictor``.

A scheme implements the interface of :class:`golden.schemes.base.Scheme`; adding one is a module
here, its entry in :data:`SCHEMES` and its tests, not a branch in the time loop.
"""

from __future__ import annotations

from golden.schemes import bnn, delta, mbnn, none, oracle
from golden.schemes.base import MemoScheme, Scheme

SCHEMES: dict[str, type[Scheme]] = {
    cls.name: cls for cls in (none.Baseline, bnn.BnnMemo, mbnn.ShadowMemo, oracle.OracleMemo,
                              delta.DeltaInputs)}

__all__ = ["SCHEMES", "MemoScheme", "Scheme", "scheme_for"]


def scheme_for(cfg, layers) -> Scheme:
    """The scheme object of ``cfg.predictor`` for a run over the quantized ``layers``."""
    try:
        cls = SCHEMES[cfg.predictor]
    except KeyError:
        raise ValueError(f"no golden scheme for predictor {cfg.predictor!r} "
                         f"(schemes: {', '.join(SCHEMES)})") from None
    return cls(cfg, layers)
