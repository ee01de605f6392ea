"""In-order scoreboard: every h word and every counter of the RTL against the golden model.

The expected words come from :func:`golden.model.run_fixed` (``Result.h_int[-1]``, the last
layer, data-format integers); the RTL's words arrive from the output-stream monitor in the order
the accelerator emits them (sequence after sequence, timestep after timestep, neuron 0..H-1, with
``last`` on neuron H-1). Counters are compared once per sequence, after its last word.
Mismatches are counted and the first few kept as readable lines.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from sim.ports import scheme_counters

MAX_REPORTED = 20


class Scoreboard:
    def __init__(self, golden, log=None):
        self.golden = golden
        self.counters_expected = golden.counters()
        batch, steps, hidden = golden.h_int[-1].shape
        self.hidden = hidden
        self.h = np.zeros((batch, steps, hidden), dtype=np.int64)   # what the RTL sent
        self.counters = {name: np.zeros(batch, dtype=np.int64) for name in self.counter_names}
        self._expected: deque = deque()
        self._remaining = np.zeros(batch, dtype=np.int64)
        self.words = 0
        self.checked_counters = 0
        self.mismatches = 0
        self.report: list[str] = []
        self._log = log

    @property
    def counter_names(self) -> list[str]:
        """The counters the RTL has: ``EpurConfig.counter_names`` (cycles, computed_<gate>,
        reused_<gate>, sat_<quantity>_l<layer>; not the MAC totals) and its scheme's own (delta:
        changed, macs_skipped)."""
        return list(self.golden.cfg.counter_names) + scheme_counters(self.golden.cfg)

    def expect_sequence(self, b: int) -> None:
        """Queue the words of sequence ``b`` (its valid timesteps) in output order."""
        length = int(self.golden.lengths[b])
        self._remaining[b] += length * self.hidden
        want = self.golden.h_int[-1, b]
        for t in range(length):
            for j in range(self.hidden):
                self._expected.append((b, t, j, int(want[t, j])))

    @property
    def next_sequence(self) -> int | None:
        """The sequence the next expected word belongs to (None: nothing expected)."""
        return self._expected[0][0] if self._expected else None

    def abandon(self, b: int) -> None:
        """Drop what sequence ``b`` still owes (it was cut short by a reset)."""
        self._expected = deque(e for e in self._expected if e[0] != b)
        self._remaining[b] = 0

    def pending(self, b: int) -> int:
        """Words of sequence ``b`` still to come."""
        return int(self._remaining[b])

    def mismatch(self, text: str) -> None:
        self.mismatches += 1
        if len(self.report) < MAX_REPORTED:
            self.report.append(text)
            if self._log is not None:
                self._log.error("mismatch: %s", text)

    def receive(self, fields: dict) -> None:
        """One word from the output monitor: ``{"data": ..., "last": ...}``."""
        self.words += 1
        if not self._expected:
            self.mismatch(f"unexpected word {fields} after the end of the expected stream")
            return
        b, t, j, want = self._expected.popleft()
        self._remaining[b] -= 1
        got = fields["data"]
        self.h[b, t, j] = got
        if got != want:
            self.mismatch(f"sequence {b} t={t} h[{j}]: RTL {got}, golden {want}")
        if fields["last"] != int(j == self.hidden - 1):
            self.mismatch(f"sequence {b} t={t} h[{j}]: last={fields['last']}")

    def check_counters(self, b: int, got: dict) -> None:
        """The RTL's counters at the end of sequence ``b``."""
        self.checked_counters += 1
        for name in self.counter_names:
            value, want = int(got[name]), int(self.counters_expected[name][b])
            self.counters[name][b] = value
            if value != want:
                self.mismatch(f"sequence {b} counter {name}: RTL {value}, golden {want}")

    def finish(self) -> None:
        """Every expected word must have arrived."""
        if self._expected:
            b, t, j, _ = self._expected[0]
            self.mismatch(f"{len(self._expected)} words never arrived (first: sequence {b} "
                           f"t={t} h[{j}])")
