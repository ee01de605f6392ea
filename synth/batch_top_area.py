"""Area and Fmax of the whole batched accelerator (E-BATCH, issue 14): baseline (predictor
``none``) and memo (``bnn``) builds at S = 1, 4 and 8 slots.

``python -m synth.batch_top_area --target generic`` synthesizes the default config (the
accelerator ``epur generate`` builds) with the generic flow of synth/flow.py (cells,
flip-flops, Yosys's CMOS transistor estimate, memory bits) and writes
docs/data/batch_synth_generic.json. ``--target ecp5`` runs Yosys ``synth_ecp5`` and
``nextpnr-ecp5`` (synth/flow.py ``run_build``, its seed and asked frequency) on
tests/synth/ice40_small.toml, the small config: place and route of the default config takes
about an hour a build on the shared 2-core machine. It writes LUTs, FFs, DSPs, block RAMs and
Fmax to docs/data/batch_synth_ecp5.json. S = 1 is the unbatched build (``hw.top.EpurTop``);
S > 1 the batched one (``hw.batch_top.BatchTop``), on FPGAs inside :class:`BatchHarness`.
Builds run one at a time; the JSON is rewritten after each, and a build already in it with
the same config is kept (``--again`` redoes them), so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

from amaranth.back import verilog
from amaranth.hdl import Cat, Elaboratable, Module, Mux, Signal

from core.config import DEFAULT, load_config
from core.io import write_atomic
from synth.board import SEQUENCE_STEPS, _Lfsr, harness_verilog
from synth.flow import run_build

ROOT = Path(__file__).resolve().parents[1]
SLOTS = (1, 4, 8)
PREDICTORS = ("none", "bnn")
SMALL = ROOT / "tests/synth/ice40_small.toml"
OUT = {"generic": ROOT / "docs/data/batch_synth_generic.json",
       "ecp5": ROOT / "docs/data/batch_synth_ecp5.json"}
KEEP = {"generic": ("cells", "ffs", "transistors", "memory_bits", "yosys_seconds"),
        "ecp5": ("luts", "ffs", "dsps", "brams", "fits", "fmax_mhz", "yosys_seconds",
                 "nextpnr_seconds")}


class BatchHarness(Elaboratable):
    """synth/board.py's harness for ``BatchTop(cfg)``: pseudo-random weights into every load
    address, then batch steps of every slot forever (a new sequence in every slot each
    ``SEQUENCE_STEPS`` steps), h always taken; every output folded into ``leds``."""

    def __init__(self, cfg):
        from hw.batch_top import BatchTop

        self.cfg = cfg
        self.core = BatchTop(cfg)
        self.leds = Signal(8)
        self.fire = Signal()

    def elaborate(self, platform):
        cfg, core = self.cfg, self.core
        m = Module()
        m.submodules.core = core
        m.submodules.wlfsr = wlfsr = _Lfsr(0xACE1ACE1)
        m.submodules.xlfsr = xlfsr = _Lfsr(0x1234ABCD)
        bits, ww, dw = cfg.weight_address_bits, cfg.weight_format.width, cfg.data_format.width
        addr, loading = Signal(bits), Signal(init=1)
        m.d.comb += [core.wl.valid.eq(loading), core.wl.p.addr.eq(addr),
                     core.wl.p.data.eq(wlfsr.value[:ww]),
                     wlfsr.en.eq(loading & core.wl.ready)]
        with m.If(loading & core.wl.ready):
            m.d.sync += addr.eq(addr + 1)
            with m.If(addr == (1 << bits) - 1):
                m.d.sync += loading.eq(0)

        element, slot = Signal(range(cfg.input_size)), Signal(range(cfg.slots))
        step = Signal(range(SEQUENCE_STEPS))
        last = (element == cfg.input_size - 1) & (slot == cfg.slots - 1)
        m.d.comb += [core.x.valid.eq(~loading), core.x.p.data.eq(xlfsr.value[:dw]),
                     core.x.p.slot.eq(slot), core.x.p.first.eq(step == 0),
                     core.x.p.end.eq(step == SEQUENCE_STEPS - 1), core.x.p.go.eq(last),
                     xlfsr.en.eq(core.x.valid & core.x.ready), core.h.ready.eq(1)]
        with m.If(core.x.valid & core.x.ready):
            m.d.sync += element.eq(Mux(element == cfg.input_size - 1, 0, element + 1))
            with m.If(element == cfg.input_size - 1):
                m.d.sync += slot.eq(Mux(slot == cfg.slots - 1, 0, slot + 1))
            with m.If(last):
                m.d.sync += step.eq(Mux(step == SEQUENCE_STEPS - 1, 0, step + 1))
        if cfg.memo:       # registers, not constants (a constant would fold the comparators)
            theta = Signal(cfg.theta_format.width, init=cfg.theta_int)
            mode_abs = Signal()
            with m.If(loading):
                m.d.sync += [theta.eq(wlfsr.value[-cfg.theta_format.width:]),
                             mode_abs.eq(wlfsr.value[ww] ^ self.fire)]
            m.d.comb += [core.theta.eq(theta), core.mode_abs.eq(mode_abs)]

        observed = [core.busy, core.cycles, core.slot_cycles.as_value()]
        observed += [getattr(core, f"{kind}_{g}").as_value() for kind in ("computed", "reused")
                     for g in cfg.gate_names]
        fold = Signal(dw + 4)
        mixed = Mux(core.h.valid, Cat(core.h.p.data, core.h.p.last, core.h.p.end,
                                      core.h.p.slot), 0)
        for sig in observed:
            for k in range(0, len(sig), len(fold)):
                mixed = mixed ^ sig[k:k + len(fold)]
        m.d.sync += fold.eq(Cat(fold[1:], fold[0]) ^ mixed)
        m.d.comb += self.leds.eq(fold[:8] ^ fold[8:16] ^ fold[16:])
        return m


def write_design(cfg, target: str, path: Path) -> Path:
    """The Verilog of ``cfg`` that ``target`` synthesizes (FPGAs: inside a harness)."""
    from hw.top import generate_verilog

    path.parent.mkdir(parents=True, exist_ok=True)
    if target == "generic":
        text = generate_verilog(cfg)
    elif cfg.slots == 1:
        text = harness_verilog(cfg, cfg.name)
    else:
        harness = BatchHarness(cfg)
        text = verilog.convert(harness, name=cfg.name, ports=[harness.fire, harness.leds],
                               emit_src=False)
    write_atomic(path, text)
    return path


def builds(base) -> dict:
    """name -> config of every build measured: ``<predictor>_s<S>``."""
    return {f"{p}_s{s}": dataclasses.replace(base, predictor=p, slots=s,
                                             name=f"{base.name}_{p}_s{s}")
            for p in PREDICTORS for s in SLOTS}


def measure(target: str, base, out: Path, workdir: Path, again: bool = False,
            only=None) -> dict:
    """Synthesize (FPGAs: and place and route) every build of ``base`` not yet in ``out``
    (all with ``again``; ``only``: these names), one at a time; the document."""
    doc = json.loads(out.read_text()) if out.is_file() and not again else {}
    config = {k: v for k, v in base.to_dict().items() if k != "name"}
    config = json.loads(json.dumps(config, default=str))
    if doc.get("config") != config:
        doc = {}
    doc.update({"target": target, "config": config, "slots": list(SLOTS)})
    figures = doc.setdefault("builds", {})
    for name, cfg in builds(base).items():
        if (only and name not in only) or name in figures:
            continue
        work = workdir / name
        write_design(cfg, target, work / f"{cfg.name}.v")
        result = run_build(target, cfg, work, pnr=target != "generic")
        figures[name] = {k: result["metrics"][k] for k in KEEP[target]
                         if k in result["metrics"]}
        if result["notes"]:
            figures[name]["notes"] = result["notes"]
        write_atomic(out, json.dumps(doc, indent=1) + "\n")
        print(name, json.dumps(figures[name]), flush=True)
    return doc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m synth.batch_top_area",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--target", choices=tuple(OUT), default="generic")
    ap.add_argument("--config", type=Path, help="default: the built-in default (generic), "
                    "tests/synth/ice40_small.toml (ecp5)")
    ap.add_argument("--out", type=Path, help="the JSON document (default docs/data/...)")
    ap.add_argument("--only", nargs="+", help="these builds only (e.g. none_s4)")
    ap.add_argument("--again", action="store_true", help="redo the builds already measured")
    args = ap.parse_args(argv)
    path = args.config or (SMALL if args.target == "ecp5" else None)
    base = DEFAULT if path is None else load_config(path)
    with tempfile.TemporaryDirectory(prefix="epur_batch_synth_") as d:
        measure(args.target, base, args.out or OUT[args.target], Path(d), args.again,
                args.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
