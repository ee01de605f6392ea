"""Weight loader: the (address, value) words of golden.params.weight_load_list over ``wl``.

The words are the accelerator's quantized rows and biases, addressed with
``EpurConfig.weight_address``; the design takes them only while it is idle (``wl.ready``).
"""

from __future__ import annotations

from sim.stream import StreamDriver


class WeightLoader:
    def __init__(self, driver: StreamDriver):
        if {f.name for f in driver.port.fields} != {"addr", "data"}:
            raise ValueError(f"port {driver.port.name} is not a weight load port")
        self.driver = driver
        self.loaded = 0

    async def load(self, words) -> None:
        """Send every ``(address, value)`` pair and return once the design took them all."""
        words = list(words)
        before = self.driver.sent
        self.driver.send({"addr": a, "data": v} for a, v in words)
        await self.driver.wait_idle()
        self.loaded += self.driver.sent - before
        if self.driver.sent - before != len(words):
            raise RuntimeError(f"{len(words)} weight words sent, "
                               f"{self.driver.sent - before} taken")
