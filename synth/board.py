"""A ULX3S (ECP5 LFE5U-85F) bitstream of an accelerator, with a minimal board harness.

The harness keeps the whole accelerator alive in the bitstream without any I/O but the 25 MHz
clock, a button and the LEDs: after reset it streams pseudo-random weights (a 32-bit Galois LFSR)
into every address of the weight load port, then feeds pseudo-random x elements forever (a new
sequence every 16 timesteps), always ready for h. Every h element, every performance counter and
``busy`` are folded by XOR into a register whose bits drive the LEDs, so no output, and hence no
unit, can be optimized away. Button 1 (``btn_fire1``) holds ``memo_enable`` low: the baseline
behaviour in the same bitstream. Nothing here is meant to compute a useful network; the
accelerator's function is checked by simulation (tests/hw, sim/).

Entry points: ``epur synth --target ecp5 --bitstream`` or ``python -m synth.board [--config C]
[--out DIR]``. The build uses Amaranth's build system with the YoWASP tools (``YOSYS``,
``NEXTPNR_ECP5``, ``ECPPACK``, synth/tools.py) and Amaranth's script: a flattened
``synth_ecp5`` (its ``abc9`` works on the flattened design).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal

from synth.tools import ToolError, tool_env

SEQUENCE_STEPS = 16       # timesteps per pseudo-random sequence
LFSR_TAPS = 0x80200003    # x^32 + x^22 + x^2 + x + 1 (maximal length)


class _Lfsr(Elaboratable):
    """32-bit Galois LFSR that steps when ``en`` is high; ``value`` is its state."""

    def __init__(self, seed: int):
        self.en = Signal()
        self.value = Signal(32, init=seed)

    def elaborate(self, platform):
        m = Module()
        with m.If(self.en):
            shifted = self.value >> 1
            with m.If(self.value[0]):
                m.d.sync += self.value.eq(shifted ^ LFSR_TAPS)
            with m.Else():
                m.d.sync += self.value.eq(shifted)
        return m


class BoardHarness(Elaboratable):
    """Pattern generator around ``EpurTop(cfg)`` with an XOR-folded LED output.

    Without a platform (the synthesis flows' place and route, synth/flow.py) the LEDs and the
    button are the ports ``leds`` (out, 8 bits) and ``fire`` (in): a bare accelerator has more
    port bits than any ECP5 or iCE40 package has pins."""

    def __init__(self, cfg):
        from hw.top import EpurTop

        self.cfg = cfg
        self.core = EpurTop(cfg)
        self.leds = Signal(8)
        self.fire = Signal()

    def elaborate(self, platform):
        cfg, core = self.cfg, self.core
        m = Module()
        m.submodules.core = core
        m.submodules.wlfsr = wlfsr = _Lfsr(0xACE1ACE1)
        m.submodules.xlfsr = xlfsr = _Lfsr(0x1234ABCD)

        # weight load: every address of the load port once, pseudo-random data
        bits = cfg.weight_address_bits
        addr = Signal(bits)
        loading = Signal(init=1)
        ww = cfg.weight_format.width
        m.d.comb += [core.wl.valid.eq(loading), core.wl.p.addr.eq(addr),
                     core.wl.p.data.eq(wlfsr.value[:ww]),
                     wlfsr.en.eq(loading & core.wl.ready)]
        with m.If(loading & core.wl.ready):
            m.d.sync += addr.eq(addr + 1)
            with m.If(addr == (1 << bits) - 1):
                m.d.sync += loading.eq(0)

        # inputs: pseudo-random x, a new sequence every SEQUENCE_STEPS timesteps
        element = Signal(range(cfg.input_size))
        step = Signal(range(SEQUENCE_STEPS))
        dw = cfg.data_format.width
        m.d.comb += [core.x.valid.eq(~loading), core.x.p.data.eq(xlfsr.value[:dw]),
                     core.x.p.first.eq((element == 0) & (step == 0)),
                     xlfsr.en.eq(core.x.valid & core.x.ready), core.h.ready.eq(1)]
        with m.If(core.x.valid & core.x.ready):
            m.d.sync += element.eq(element + 1)
            with m.If(element == cfg.input_size - 1):
                m.d.sync += [element.eq(0), step.eq(step + 1)]
                with m.If(step == SEQUENCE_STEPS - 1):
                    m.d.sync += step.eq(0)

        # theta and the test mode are registers (pseudo-random, latched while loading), not
        # constants: a constant theta would fold the comparator's multiplier away
        memo_enable = Signal(init=1)
        if cfg.memo:
            theta = Signal(cfg.theta_format.width, init=cfg.theta_int)
            mode_abs = Signal(init=int(cfg.mode == "absolute"))
            with m.If(loading):
                m.d.sync += [theta.eq(wlfsr.value[-cfg.theta_format.width:]),
                             mode_abs.eq(wlfsr.value[ww])]
            m.d.comb += [core.theta.eq(theta), core.mode_abs.eq(mode_abs),
                         core.memo_enable.eq(memo_enable)]

        # every output folded into a register shown on the LEDs
        observed = [core.busy, core.cycles]
        observed += [getattr(core, f"computed_{g}") for g in cfg.gate_names]
        observed += [getattr(core, f"reused_{g}") for g in cfg.gate_names]
        observed += [getattr(core, name) for name in cfg.saturation_counters]
        fold = Signal(dw + 1)
        word = Signal(dw + 1)
        m.d.comb += word.eq(Mux(core.h.valid, Cat(core.h.p.data, core.h.p.last), 0))
        mixed = word
        for sig in observed:
            for k in range(0, len(sig), len(fold)):
                mixed = mixed ^ sig[k:k + len(fold)]
        m.d.sync += fold.eq(Cat(fold[1:], fold[0]) ^ mixed)

        m.d.comb += self.leds.eq(fold[:8] ^ fold[8:16] ^ fold[16:])
        m.d.sync += memo_enable.eq(~self.fire)
        if platform is not None:
            for k in range(8):
                m.d.comb += platform.request("led", k).o.eq(self.leds[k])
            m.d.comb += self.fire.eq(platform.request("button_fire", 0).i)
        return m


def harness_verilog(cfg, name: str) -> str:
    """Verilog of the harness around ``cfg``'s accelerator, top module ``name`` with ports
    ``fire`` and ``leds``; the accelerator is module ``<name>.core``."""
    harness = BoardHarness(cfg)
    return verilog.convert(harness, name=name, ports=[harness.fire, harness.leds],
                           emit_src=False)


def build_bitstream(cfg, out_dir: Path, name: str = "epur_ulx3s") -> Path:
    """Build the harness around ``cfg``'s accelerator for the ULX3S-85F; the ``.bit`` path."""
    from amaranth_boards.ulx3s import ULX3S_85F_Platform

    out_dir = Path(out_dir)
    platform = ULX3S_85F_Platform()
    plan = platform.prepare(BoardHarness(cfg), name=name,
                            nextpnr_opts="--seed 1 --timing-allow-fail")
    try:
        products = plan.execute_local(str(out_dir), env=tool_env())
    except Exception as e:     # the build script's failure: point at its logs
        raise ToolError(f"board build failed ({e}); logs: {out_dir / (name + '.rpt')}, "
                        f"{out_dir / (name + '.tim')}") from None
    bit = out_dir / f"{name}.bit"
    if not bit.is_file() or bit.stat().st_size == 0:
        raise ToolError(f"board build wrote no bitstream (logs in {out_dir})")
    del products
    return bit


def main(argv=None) -> int:
    from core.config import DEFAULT, load_config

    parser = argparse.ArgumentParser(prog="python -m synth.board", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--config", type=Path, help="accelerator config; default: the default")
    parser.add_argument("--out", type=Path, default=Path("build/board"),
                        help="build directory (default: build/board)")
    args = parser.parse_args(argv)
    try:
        cfg = DEFAULT if args.config is None else load_config(args.config)
        start = time.monotonic()
        bit = build_bitstream(cfg, args.out)
    except ValueError as e:
        print(f"synth.board: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {bit} ({bit.stat().st_size} bytes) in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
