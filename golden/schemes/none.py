"""Scheme ``none``: the baseline; every neuron is computed from the whole row, nothing is kept."""

from __future__ import annotations

from golden.schemes.base import Scheme


class Baseline(Scheme):
    name = "none"
