"""``epur generate``: the Verilog of an accelerator and the config it was built from."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from epur.config import DEFAULT, HW_PREDICTORS, load_config
from epur.errors import InputError

NAME = "generate"
HELP = "write the Verilog of an accelerator (DIR/<name>.v) and its config (DIR/config.json)"


def add_arguments(p):
    p.add_argument("--config", type=Path,
                   help="accelerator config (.json or .toml); default: the built-in default")
    p.add_argument("-o", "--out", type=Path, default=Path("build"),
                   help="output directory (created if missing; default: build)")
    p.add_argument("--json", action="store_true",
                   help="print the written paths and the top level's ports as one JSON document")


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, then rename over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args) -> int:
    cfg = DEFAULT if args.config is None else load_config(args.config)
    if cfg.predictor not in HW_PREDICTORS:
        raise InputError(
            f"predictor {cfg.predictor!r} is software-only (golden model: epur run/evaluate); "
            f"hardware can be generated for {' or '.join(HW_PREDICTORS)}")
    out = args.out
    if out.exists() and not out.is_dir():
        raise InputError(f"output {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create output directory {out}: {e.strerror}") from None

    from hw.top import generate_verilog, verilog_ports

    start = time.perf_counter()
    verilog = generate_verilog(cfg)
    seconds = time.perf_counter() - start
    v_path, c_path = out / f"{cfg.name}.v", out / "config.json"
    # Verilog and config land together: the config is renamed last, after the Verilog
    _write_atomic(v_path, verilog)
    _write_atomic(c_path, cfg.to_json())
    if args.json:
        ports = [{"name": n, "direction": d, "width": w}
                 for n, d, w in verilog_ports(verilog, cfg.name)]
        print(json.dumps({"verilog": str(v_path), "config": str(c_path), "top": cfg.name,
                          "predictor": cfg.predictor, "seconds": round(seconds, 3),
                          "ports": ports}))
    else:
        print(f"wrote {v_path} ({len(verilog.splitlines())} lines, {seconds:.1f} s) and {c_path}")
    return 0
