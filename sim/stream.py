"""Generic valid/ready stream driver and monitor for cocotb, with seeded random pauses.

Both follow the stream rules of ``amaranth.lib.stream``: a transfer happens on a rising clock
edge at which ``valid`` and ``ready`` are both high; once ``valid`` is raised, it and the payload
hold until that transfer. Signals are sampled at the rising edge (the values the design's
registers see) and driven right after it.

Random idle cycles and back-pressure come from pause generators in the style of Forencich's
cocotbext-axi ``set_pause_generator``: an iterator that yields, once per decision, True to pause.
:func:`random_pause` makes a seeded Bernoulli one.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import numpy as np
from cocotb.triggers import Event, RisingEdge

from sim.ports import StreamPort


def random_pause(seed: int, probability: float, burst: int = 1) -> Iterator[bool]:
    """Pause with ``probability`` per decision; a pause lasts 1..``burst`` decisions."""
    if not 0.0 <= probability < 1.0:
        raise ValueError(f"pause probability must lie in [0, 1), not {probability}")
    if probability == 0.0:
        return itertools.repeat(False)

    def gen():
        rng = np.random.default_rng(seed)
        while True:
            # draw in blocks: one NumPy call per 4096 decisions keeps the per-cycle cost low
            starts = rng.random(4096) < probability
            lengths = rng.integers(1, burst + 1, 4096)
            for start, length in zip(starts, lengths, strict=True):
                if start:
                    yield from itertools.repeat(True, int(length))
                yield False
    return gen()


class _StreamEnd:
    """The handles of one stream port of the design and the pause pattern of this end."""

    def __init__(self, dut, port: StreamPort, clk, pause: Iterable[bool] | None):
        self.port = port
        self._clk = clk
        self._valid = getattr(dut, port.valid)
        self._ready = getattr(dut, port.ready)
        self._payload = getattr(dut, port.payload)
        self._pause = iter(pause) if pause is not None else itertools.repeat(False)


class StreamDriver(_StreamEnd):
    """Drives words onto a stream input of the design, in order, pausing between transfers."""

    def __init__(self, dut, port: StreamPort, clk, pause: Iterable[bool] | None = None):
        super().__init__(dut, port, clk, pause)
        self._queue: deque[int] = deque()
        self._wake = Event()
        self._idle = Event()
        self._idle.set()
        self._driving = False
        self.sent = 0
        self._valid.value = 0
        self._payload.value = 0

    def send(self, words: Iterable[dict]) -> None:
        """Queue payloads (dicts of field values); returns at once."""
        self._queue.extend(self.port.pack(**w) for w in words)
        if self._queue:
            self._idle.clear()
            self._wake.set()

    def clear(self) -> None:
        """Forget queued words and drop ``valid`` (for a reset)."""
        self._queue.clear()
        self._driving = False
        self._valid.value = 0
        self._idle.set()

    async def wait_idle(self) -> None:
        """Until every queued word has been transferred."""
        await self._idle.wait()

    async def run(self) -> None:
        edge = RisingEdge(self._clk)
        valid, ready, payload, queue = self._valid, self._ready, self._payload, self._queue
        while True:
            if not self._driving and not queue:
                self._wake.clear()
                self._idle.set()
                await self._wake.wait()
                await edge
            else:
                await edge
                if self._driving and int(ready.value):
                    self._driving = False
                    self.sent += 1
            if not self._driving:
                if queue and not next(self._pause):
                    payload.value = queue.popleft()
                    valid.value = 1
                    self._driving = True
                else:
                    valid.value = 0


class StreamMonitor(_StreamEnd):
    """Takes words from a stream output of the design, with random back-pressure on ``ready``.

    ``callback(fields)`` is called for every transfer with the payload's fields (a dict).
    """

    def __init__(self, dut, port: StreamPort, clk, callback: Callable[[dict], None],
                 pause: Iterable[bool] | None = None):
        super().__init__(dut, port, clk, pause)
        self._callback = callback
        self.received = 0
        self._ready.value = 0

    async def run(self) -> None:
        edge = RisingEdge(self._clk)
        valid, ready, payload, unpack = self._valid, self._ready, self._payload, self.port.unpack
        ready_now = 0
        while True:
            await edge
            if ready_now and int(valid.value):
                self.received += 1
                self._callback(unpack(payload.value.to_unsigned()))
            want = 0 if next(self._pause) else 1
            if want != ready_now:
                ready.value = want
                ready_now = want
