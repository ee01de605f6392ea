"""Golden controller: the loop over timesteps and layers, the sequence lengths and the counters.

As hw/controller.py orders the work, timestep-major: for each timestep t, layers 0..L-1, each
layer step fed with h_t of the layer below (x_t for layer 0) and its own h_{t-1}. A layer step
is the compute units' step (golden/cu.py, the reuse scheme inside) and the cell update
(golden/cell.py). Every sequence of the batch runs at once; a sequence past its length keeps its
state frozen and counts nothing. The counters are the RTL's (``Result.counters``).

Each layer has a precision tracker (golden/precision.py) per sequence: it gives the precision of
the layer's step before the step and follows the tracked state (LSTM c, GRU h) after it.

Saturations are counted per layer where the hardware counts them (docs/formats.md): the MU's
narrowings of the neurons the DPU computed (a reused neuron's MU does not run), and the cell
unit's of every neuron of every active layer step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from core.config import EpurConfig
from golden import cu
from golden.cell import cell_update
from golden.ghost import GhostWeights, ghost_macs, ghost_pass
from golden.precision import Tracker, tracked_state
from golden.schemes import scheme_for


@dataclass
class Result:
    """Outputs and counters of one run over a batch of sequences."""

    cfg: EpurConfig
    h_int: np.ndarray            # (layers, batch, time, H) data-format integers
    c_int: np.ndarray | None     # LSTM cell states (layers, batch, time, I); None for GRU
    computed: np.ndarray         # (batch, gates) gate-neuron evaluations computed
    reused: np.ndarray           # (batch, gates) gate-neuron evaluations reused
    cycles: np.ndarray           # (batch,) busy cycles of the accelerator (cycle model)
    macs: np.ndarray             # (batch,) multiply-accumulates of the baseline
    macs_skipped: np.ndarray     # (batch,) of those, avoided by the predictor
    lengths: np.ndarray          # (batch,) valid timesteps
    sat_pre: np.ndarray          # (layers, batch) pre-activation narrowings that saturated
    sat_c: np.ndarray            # (layers, batch) LSTM c narrowings that saturated (GRU: 0)
    sat_h: np.ndarray            # (layers, batch) h narrowings that saturated
    changed: np.ndarray | None = None   # (batch,) input elements the DPU read (delta: propagated)
    low: np.ndarray | None = None       # (layers, batch, time) True: the layer step ran low
    low_steps: np.ndarray | None = None     # (layers, batch) active layer steps run low
    macs_low: np.ndarray | None = None  # (batch,) of the MACs done, those done at low precision

    @property
    def steps_low(self) -> np.ndarray:
        """(batch,) active layer steps (every layer) run at low precision."""
        return self.low_steps.sum(axis=0)

    @property
    def steps_high(self) -> np.ndarray:
        """(batch,) active layer steps (every layer) run at full precision."""
        return self.cfg.layers * self.lengths - self.steps_low

    @property
    def low_fraction(self) -> float:
        """Fraction of the active layer steps of the batch run at low precision."""
        total = self.cfg.layers * int(np.sum(self.lengths))
        return float(self.steps_low.sum() / total) if total else 0.0

    @property
    def h(self) -> np.ndarray:
        """The last layer's h as real numbers (batch, time, H)."""
        return self.cfg.data_format.to_float(self.h_int[-1])

    @property
    def reuse(self) -> float:
        """reused / (reused + computed) over the whole batch (SPEC 4)."""
        total = self.computed.sum() + self.reused.sum()
        return float(self.reused.sum() / total) if total else 0.0

    def saturations(self) -> dict:
        """Saturation counts by RTL counter name (``sat_<quantity>_l<layer>``), exact."""
        return {name: getattr(self, f"sat_{q}")[k]
                for name, (q, k) in self.cfg.saturation_counters.items()}

    def counters(self) -> dict:
        """Counters as the RTL names them, each an int64 array over the batch. The saturation
        counters stop at their maximum, as the RTL's do (``counter_width`` bits)."""
        out = {"cycles": self.cycles}
        for g, name in enumerate(self.cfg.gate_names):
            out[f"computed_{name}"] = self.computed[:, g]
            out[f"reused_{name}"] = self.reused[:, g]
        top = (1 << self.cfg.counter_width) - 1
        out.update({name: np.minimum(v, top) for name, v in self.saturations().items()})
        if self.cfg.precision_counters:
            out["steps_high"], out["steps_low"] = self.steps_high, self.steps_low
        out["macs"] = self.macs
        out["macs_skipped"] = self.macs_skipped
        out["changed"] = self.changed
        return out

    @property
    def skipped(self) -> float:
        """Fraction of the baseline's multiply-accumulates skipped, whole batch (every scheme:
        a reused neuron's row, an element delta did not propagate)."""
        total = self.macs.sum()
        return float(self.macs_skipped.sum() / total) if total else 0.0

    @classmethod
    def concat(cls, results: list[Result]) -> Result:
        """The runs ``results`` (one config, different batches, e.g. different models) as one run
        over all their sequences, in order; a shorter run's time axis is extended as a batch
        extends its shorter sequences: h and c held at their last step, no step run low."""
        steps = max(r.h_int.shape[2] for r in results)
        fields = {}
        for f in dataclasses.fields(cls):
            values = [getattr(r, f.name) for r in results]
            if f.name == "cfg":
                fields["cfg"] = values[0]
            elif values[0] is None:
                fields[f.name] = None
            else:   # the batch axis: first of per-sequence arrays, second of per-layer ones
                axis = 0 if values[0].ndim == 1 or f.name in ("computed", "reused") else 1
                if values[0].ndim >= 3:
                    mode = "constant" if f.name == "low" else "edge"
                    values = [np.pad(v, [(0, 0), (0, 0), (0, steps - v.shape[2])]
                                     + [(0, 0)] * (v.ndim - 3), mode=mode) for v in values]
                fields[f.name] = np.concatenate(values, axis=axis)
        return cls(**fields)

    @classmethod
    def zeros(cls, cfg: EpurConfig, batch: int, steps: int, lengths) -> Result:
        h_int = np.zeros((cfg.layers, batch, steps, cfg.hidden_size), dtype=np.int64)
        per_gate = np.zeros((batch, cfg.gates), dtype=np.int64)
        per_seq = np.zeros(batch, dtype=np.int64)
        per_layer = np.zeros((cfg.layers, batch), dtype=np.int64)
        c_int = np.zeros((*h_int.shape[:3], cfg.intrinsic_size), dtype=np.int64)
        return cls(cfg, h_int, c_int if cfg.cell == "lstm" else None,
                   per_gate, per_gate.copy(), per_seq, per_seq.copy(), per_seq.copy(), lengths,
                   per_layer, per_layer.copy(), per_layer.copy(), per_seq.copy(),
                   np.zeros(h_int.shape[:3], dtype=bool), per_layer.copy(), per_seq.copy())


def run(cfg: EpurConfig, layers, xq: np.ndarray, lengths: np.ndarray) -> Result:
    """Run the quantized ``layers`` over data-format inputs ``xq`` (batch, time, X) with their
    ``lengths`` (batch,), every sequence from a fresh state."""
    batch, steps, _ = xq.shape
    scheme = scheme_for(cfg, layers)
    weights = [cu.LayerWeights.of(cfg, k, q) for k, q in enumerate(layers)]
    states = [scheme.layer_state(k, batch) for k in range(cfg.layers)]
    trackers = [Tracker.fresh(cfg, batch) for _ in range(cfg.layers)]
    ghosts = [GhostWeights.of(cfg, q.w_gh, q.b_gh) if cfg.ghost else None for q in layers]
    h = np.zeros((cfg.layers, batch, cfg.hidden_size), dtype=np.int64)
    c = np.zeros((cfg.layers, batch, cfg.intrinsic_size), dtype=np.int64)
    n = cfg.intrinsic_size
    result = Result.zeros(cfg, batch, steps, lengths)
    for t in range(steps):
        active = t < lengths
        below = xq[:, t]
        for k in range(cfg.layers):
            v = np.concatenate([below, h[k]], axis=1)
            low = trackers[k].precision() if cfg.precision != "static" else None
            step = cu.step(cfg, scheme, states[k], weights[k], k, v, active, low)
            cell = cell_update(step.out, step.out2, h[k][:, :n], c[k], cfg)
            if low is not None:
                trackers[k].update(tracked_state(cfg, cell), active)
                result.low[k, :, t] = low
            new_h, ghost_sat = cell.h, None
            if ghosts[k] is not None:      # the ghost pass: h_t = [u_t, q_t]
                q, ghost_sat = ghost_pass(cfg, ghosts[k], cell.h)
                new_h = np.concatenate([cell.h, q], axis=1)
            h[k] = np.where(active[:, None], new_h, h[k])
            result.h_int[k, :, t] = h[k]
            if cell.c is not None:
                c[k] = np.where(active[:, None], cell.c, c[k])
                result.c_int[k, :, t] = c[k]
            _count(result, scheme, step, active)
            _count_saturation(result, step, cell, active, ghost_sat)
            below = h[k]
    return result


def _count(result: Result, scheme, step: cu.LayerStep, active: np.ndarray) -> None:
    """Add one layer step's counts for the active sequences."""
    cfg, act = result.cfg, active.astype(np.int64)
    result.computed += act[:, None] * (~step.reuse).sum(axis=2)
    result.reused += act[:, None] * step.reuse.sum(axis=2)
    result.cycles += act * scheme.cycles(step)
    macs, skipped = cfg.gates * cfg.intrinsic_size * cfg.row_length(step.layer) \
        + ghost_macs(cfg), scheme.macs_skipped(step)
    result.macs += act * macs
    result.macs_skipped += act * skipped
    result.changed += act * step.columns
    if step.low is not None:
        low = act * step.low
        result.low_steps[step.layer] += low
        result.macs_low += low * (macs - skipped)


def _count_saturation(result: Result, step: cu.LayerStep, cell, active: np.ndarray,
                      ghost_sat=None) -> None:
    """Add one layer step's saturations for the active sequences: the MU's of the computed
    neurons (and of the ghost rows), the cell unit's of every neuron."""
    k, act = step.layer, active.astype(np.int64)
    mu = np.where(step.reuse, 0, step.sat_pre).sum(axis=(1, 2))
    if ghost_sat is not None:
        mu = mu + ghost_sat.sum(axis=1)
    result.sat_pre[k] += act * (mu + cell.sat_pre.sum(axis=1))
    result.sat_c[k] += act * cell.sat_c.sum(axis=1)
    result.sat_h[k] += act * cell.sat_h.sum(axis=1)
