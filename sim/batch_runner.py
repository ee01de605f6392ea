"""Build and run the batched accelerator (hw/batch_top.py) under cocotb on a schedule, checked
against the batched golden and cycle models (the bench: sim/tb_batch.py).

``simulate_batch(cfg, params, x, lengths, schedule)`` builds ``cfg`` (``slots > 1``) through
sim/runner.py's ``build`` (the same keyed, reusable build directories), writes the model, the
inputs, the schedule and the job into a run directory under the build, runs the bench there and
returns a :class:`BatchSimResult`: the RTL's h of the last layer and each sequence's counters
read from its slot at its end, next to the golden run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import EpurConfig
from core.io import save_npz, write_atomic
from sim.runner import TIMESCALE, SimulationError, _locked, build, simulator_name


@dataclass
class BatchSimResult:
    cfg: EpurConfig
    golden: object                   # golden.batch.BatchRun of the same schedule
    h_int: np.ndarray                # (sequences, time, H) the RTL's last-layer h, 0 past lengths
    counters: dict                   # cycles (its slot's), computed_<g>, reused_<g>: (sequences,)
    mismatches: int                  # words or counters that differ from the models
    words: int                       # h words received
    first: dict | None               # the first mismatch
    build_dir: Path
    run_dir: Path

    @property
    def ok(self) -> bool:
        return self.mismatches == 0


def simulate_batch(cfg: EpurConfig, params, x, lengths, schedule, *, seed: int = 0,
                   idle: float = 0.2, backpressure: float = 0.3, root=None,
                   simulator: str | None = None, run_name: str = "batch") -> BatchSimResult:
    """Run ``schedule`` (golden.batch.Schedule) on the batched RTL of ``cfg``; ``idle``: the
    probability of an idle cycle before an input word, ``backpressure``: of ``ready`` low on
    the output."""
    from golden import batch

    run = batch.run_batch(cfg, params, x, lengths, schedule)     # checks the inputs first
    sim = simulator_name(simulator)
    build_dir, runner = build(cfg, root, False, sim)
    run_dir = build_dir / "runs" / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    with _locked(run_dir / ".run.lock"):
        write_run(run_dir, cfg, params, x, lengths, schedule, seed, idle, backpressure)
        report, out = run_bench(runner, cfg, build_dir, run_dir, sim)
    return result(cfg, run, report, out, build_dir, run_dir)


def write_run(run_dir: Path, cfg, params, x, lengths, schedule, seed, idle, backpressure):
    """The files sim/tb_batch.py reads, in ``run_dir`` (stale results removed)."""
    for stale in ("rtl.npz", "rtl.json", "results.xml"):
        (run_dir / stale).unlink(missing_ok=True)
    cfg.save(run_dir / "config.json")
    save_npz(run_dir / "model.npz", **params.state_dict())
    save_npz(run_dir / "inputs.npz", x=np.asarray(x, dtype=np.float64),
             lengths=np.asarray(lengths, dtype=np.int64))
    save_npz(run_dir / "schedule.npz", seq=schedule.seq, t=schedule.t)
    write_atomic(run_dir / "job.json", json.dumps(
        {"seed": int(seed), "idle": float(idle), "backpressure": float(backpressure)}) + "\n")


def run_bench(runner, cfg, build_dir: Path, run_dir: Path, sim: str) -> tuple[dict, dict]:
    """Run sim/tb_batch.py on a compiled build; (its report, its arrays)."""
    log = run_dir / "sim.log"
    try:
        runner.test(test_module="sim.tb_batch", hdl_toplevel=cfg.name, build_dir=build_dir,
                    test_dir=run_dir, extra_env={"EPUR_BATCH_DIR": str(run_dir)},
                    timescale=TIMESCALE, results_xml=str(run_dir / "results.xml"),
                    log_file=log)
    except (SystemExit, RuntimeError) as e:
        if not (run_dir / "rtl.json").is_file():
            raise SimulationError(f"the {sim} simulation failed ({e!r}); log: {log}") from None
    if not (run_dir / "rtl.json").is_file():
        raise SimulationError(f"the {sim} simulation wrote no results; log: {log}")
    with np.load(run_dir / "rtl.npz") as f:
        out = {k: f[k] for k in f.files}
    return json.loads((run_dir / "rtl.json").read_text()), out


def result(cfg, run, report, out, build_dir, run_dir) -> BatchSimResult:
    counters = {"cycles": out["slot_cycles"]}
    for kind in ("computed", "reused"):
        counters.update({f"{kind}_{g}": out[kind][:, k] for k, g in enumerate(cfg.gate_names)})
    return BatchSimResult(cfg=cfg, golden=run, h_int=out["h_int"], counters=counters,
                          mismatches=int(report["mismatches"]) + abs(report["extra_words"]),
                          words=int(report["words"]), first=report["first"],
                          build_dir=build_dir, run_dir=run_dir)
