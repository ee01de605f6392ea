"""Reuse schemes of the hardware, one module each, chosen by ``cfg.predictor``.

A scheme is a component with the interface of :class:`hw.schemes.base.Scheme`; the compute unit
connects to that interface only. Adding one is a module here, its entry in :data:`SCHEMES` and
its tests (golden/schemes/ holds the golden model's schemes under the same names).
"""

from __future__ import annotations

from hw.schemes import bnn, delta, none
from hw.schemes.base import Scheme

SCHEMES: dict[str, type[Scheme]] = {
    cls.name: cls for cls in (none.Baseline, bnn.BnnMemo, delta.DeltaUnit)}

__all__ = ["SCHEMES", "Scheme", "scheme_class"]


def scheme_class(cfg) -> type[Scheme]:
    """The scheme class of ``cfg.predictor`` (a software-only one: ``core.errors.InputError``)."""
    cfg.require_hardware()
    try:
        return SCHEMES[cfg.predictor]
    except KeyError:
        raise ValueError(f"no hardware scheme for predictor {cfg.predictor!r} "
                         f"(schemes: {', '.join(SCHEMES)})") from None
