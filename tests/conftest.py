"""What the whole suite shares.

A test that does not name its simulator runs on Icarus (``SIM=icarus`` unless the environment
already says otherwise): Icarus compiles a small design in seconds, Verilator in about a minute
of CPU, and most tests simulate a few short sequences. The tests that are about the simulators
name them (tests/sim: every case on Icarus, LSTM and GRU cases and waveforms on Verilator too).
"""

from __future__ import annotations

import os


def pytest_configure(config):
    os.environ.setdefault("SIM", "icarus")
