"""WeightLoader accepts only a weight load port (fields addr and data)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.config import DEFAULT
from sim.ports import top_stream_ports
from sim.stream import StreamDriver
from sim.weights import WeightLoader


def fake_dut(port):
    sig = {n: SimpleNamespace(value=0) for n in (port.valid, port.ready, port.payload)}
    return SimpleNamespace(**sig)


@pytest.mark.parametrize("name, ok", [("wl", True), ("x", False), ("h", False)])
def test_weight_loader_port(name, ok):
    port = top_stream_ports(DEFAULT)[name]
    driver = StreamDriver(fake_dut(port), port, clk=None)
    if ok:
        assert WeightLoader(driver).driver is driver
    else:
        with pytest.raises(ValueError, match="not a weight load port"):
            WeightLoader(driver)
