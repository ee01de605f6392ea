"""Hostile inputs for the command line, and the checks every run of ``epur`` must pass.

The fuzz tests (test_fuzz.py) draw *descriptions* of files and paths with hypothesis (plain
tuples, cheap to draw and to shrink) and :func:`make_model`, :func:`make_inputs`,
:func:`make_config` and :func:`make_path` write them into a case's own directory. The interrupt
tests (test_interrupt.py) share the checks: :func:`check_outcome` (exit status, one line on
stderr, no traceback) and :func:`check_files` (no temporary file left, every output whole).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import math
import os
import re
import tomllib
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from core.config import DEFAULT, EpurConfig
from core.params import random_params
from epur.cli import main

# -- running the command line in-process ------------------------------------------------------


def invoke(argv: list[str]) -> tuple[int, str, str]:
    """``epur *argv`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as e:             # argparse's usage errors and --help
            status = e.code if isinstance(e.code, int) else 1
    return status, out.getvalue(), err.getvalue()


def run_cli(*argv) -> tuple[int, str, str]:
    """:func:`invoke` with any arguments (paths, numbers) turned into strings."""
    return invoke([str(a) for a in argv])


# epur's error line: "epur: ..." (the top parser) or "epur <command>: ..."
LAST_LINE = re.compile(r"^epur( [a-z]+)?: (error: .+|interrupted|terminated)$")

def check_outcome(status: int, err: str, allowed=(0, 1, 2)) -> None:
    """The contract of every command (README, "Command line"): a documented exit status, no
    traceback, and a failure is one line ``epur <command>: error: ...`` on stderr."""
    assert status in allowed, f"exit status {status}; stderr:\n{err}"
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    if status == 0:
        return
    assert lines, f"exit status {status} without a message"
    assert LAST_LINE.match(lines[-1]), f"last line of stderr is not epur's error line:\n{err}"
    errors = [x for x in lines if LAST_LINE.match(x)]
    assert len(errors) == 1, f"more than one error line:\n{err}"
    if status == 2:                     # bad input is found before any work: nothing else
        assert len(lines) == 1, f"bad input is not one line:\n{err}"


# -- whole files ----------------------------------------------------------------------------

PNG_END = b"IEND\xaeB`\x82"


def digest(root: Path) -> dict[Path, str]:
    """Every file under ``root`` (symlinks not followed) and a hash of its bytes."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[p] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def check_whole(path: Path) -> None:
    """``path`` is a complete file of its kind (by suffix); unknown kinds are not checked."""
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            for k in f.files:
                f[k]
    elif suffix == ".json":
        json.loads(data)
    elif suffix == ".toml":
        tomllib.loads(data.decode())
    elif suffix == ".v":
        assert data.rstrip().endswith(b"endmodule"), f"{path} is not whole Verilog"
    elif suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(PNG_END), \
            f"{path} is not a whole PNG"
    elif suffix == ".pdf":
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), path
    elif suffix == ".svg":
        assert data.rstrip().endswith(b"</svg>"), path


def check_files(root: Path, before: dict[Path, str], inputs=()) -> list[Path]:
    """No temporary file is left under ``root``, the ``inputs`` are unchanged, and every file
    that is new or changed since ``before`` (a :func:`digest`) is whole. Returns those files."""
    after = digest(root)
    leftovers = [p for p in after if p.name.endswith(".tmp") or ".tmp." in p.name]
    assert not leftovers, f"temporary files left: {leftovers}"
    for p in map(Path, filter(None, inputs)):
        if p in before:
            assert after.get(p) == before[p], f"input {p} was changed"
    written = [p for p, h in after.items() if before.get(p) != h]
    for p in written:
        check_whole(p)
    return written


def mostly(fine, hostile, share: int = 7):
    """``fine`` in ``share`` of 10 draws, else ``hostile``: with several arguments drawn this
    way a case is often hostile in one of them, and sometimes in none (it then succeeds)."""
    return st.integers(0, 9).flatmap(lambda n: fine if n < share else hostile)


# -- models and inputs ------------------------------------------------------------------------

MODEL_KINDS = (
    "missing", "directory", "empty", "garbage", "text", "truncated", "object_array",
    "no_weight_ih", "two_prefixes", "nan", "inf", "huge", "wrong_rows", "bias_shape",
    "ih_without_hh", "gap", "bidirectional", "projection", "bool", "complex", "strings",
    "zero_hidden", "zero_input", "scalars", "three_d", "pt_garbage", "suffix_txt",
    "hh_1d", "empty_npz")
# models that are fine (the run goes on): a prefix, integer or float16 weights, extra keys
MODEL_FINE = ("prefixed", "int_weights", "float16", "extra_keys", "no_bias")


def model_spec(fixed: bool = False):
    """A model file: ("ok", cell, X, H, layers, seed), a fine variant or a hostile kind.
    ``fixed``: the one tiny model of the simulation cache instead of a drawn size."""
    if fixed:
        ok = st.just(("ok", "lstm", 2, 3, 1, 1))
        fine = st.nothing()
    else:
        ok = st.tuples(st.just("ok"), st.sampled_from(["lstm", "gru"]), st.integers(1, 3),
                       st.integers(1, 4), st.integers(1, 2), st.integers(0, 99))
        fine = st.tuples(st.sampled_from(MODEL_FINE), st.integers(0, 99))
    bad = st.tuples(st.sampled_from(MODEL_KINDS), st.integers(0, 99))
    return mostly(st.one_of(ok, ok, fine), bad)


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def make_model(spec, where: Path) -> tuple[Path, int]:
    """Write the model ``spec`` under ``where``; returns its path and its input size."""
    kind, *rest = spec
    if kind == "ok":
        cell, x, h, layers, seed = rest
        params = random_params(cell, x, h, layers, seed=seed, scale=0.8)
        path = where / "model.npz"
        path.write_bytes(_npz_bytes(**params.state_dict()))
        return path, x
    seed = rest[0]
    rng = np.random.default_rng(seed)
    sd = random_params("lstm", 2, 3, seed=seed).state_dict()
    path = where / "model.npz"
    if kind == "missing":
        return path, 2
    if kind == "directory":
        path.mkdir()
        return path, 2
    raw = {"empty": b"", "garbage": rng.bytes(64), "text": "ünïcode ☃\n".encode(),
           "truncated": _npz_bytes(**sd)[:1 + seed * 13]}
    if kind in raw:
        path.write_bytes(raw[kind])
        return path, 2
    if kind in ("pt_garbage", "suffix_txt"):
        path = where / ("model.pt" if kind == "pt_garbage" else "model.txt")
        path.write_bytes(rng.bytes(32))
        return path, 2
    changes = {
        "object_array": {"weight_ih_l0": np.array([{"a": 1}, None], dtype=object)},
        "nan": {"weight_hh_l0": np.full((12, 3), np.nan)},
        "inf": {"bias_ih_l0": np.full(12, -np.inf)},
        "huge": {"weight_ih_l0": np.full((12, 2), 1e300)},
        "wrong_rows": {"weight_hh_l0": np.zeros((15, 3))},
        "bias_shape": {"bias_hh_l0": np.zeros(11)},
        "bool": {"weight_ih_l0": np.ones((12, 2), dtype=bool)},
        "complex": {"weight_ih_l0": np.ones((12, 2), dtype=complex)},
        "strings": {"weight_ih_l0": np.array([["a", "b"]] * 12)},
        "zero_hidden": {"weight_hh_l0": np.zeros((0, 0)), "weight_ih_l0": np.zeros((0, 2))},
        "zero_input": {"weight_ih_l0": np.zeros((12, 0))},
        "scalars": {k: np.float64(1.0) for k in sd},
        "three_d": {"weight_ih_l0": np.zeros((12, 2, 1))},
        "hh_1d": {"weight_hh_l0": np.zeros(12)},
        "int_weights": {k: (v * 4).astype(np.int32) for k, v in sd.items()},
        "float16": {k: v.astype(np.float16) for k, v in sd.items()},
        "extra_keys": {"fc.weight": np.zeros((2, 3)), "note": np.array("hello")},
    }
    if kind in changes:
        sd.update(changes[kind])
    elif kind == "no_weight_ih":
        sd.pop("weight_ih_l0")
    elif kind == "two_prefixes":
        sd = {f"{p}.{k}": v for p in ("a", "b") for k, v in sd.items()}
    elif kind == "prefixed":
        sd = {f"rnn.{k}": v for k, v in sd.items()}
    elif kind == "ih_without_hh":
        sd.pop("weight_hh_l0")
    elif kind == "gap":
        sd.update({k.replace("_l0", "_l2"): v for k, v in sd.items()})
    elif kind == "bidirectional":
        sd["weight_ih_l0_reverse"] = sd["weight_ih_l0"]
    elif kind == "projection":
        sd["weight_hr_l0"] = np.zeros((2, 3))
    elif kind == "no_bias":
        sd = {k: v for k, v in sd.items() if k.startswith("weight")}
    elif kind == "empty_npz":
        sd = {}
    else:
        raise AssertionError(kind)
    path.write_bytes(_npz_bytes(**sd))
    return path, 2


INPUT_KINDS = (
    "missing", "directory", "empty", "garbage", "truncated", "no_x", "x_2d", "x_4d", "x_0d",
    "wrong_features", "zero_batch", "zero_time", "nan", "inf", "object", "strings", "bool",
    "complex", "lengths_zero", "lengths_long", "lengths_negative", "lengths_float",
    "lengths_shape", "lengths_huge", "lengths_2d")
INPUT_FINE = ("ok", "ok", "ok", "lengths", "int", "huge", "extra_keys", "float32", "uint_lengths")


def inputs_spec():
    return st.tuples(mostly(st.sampled_from(INPUT_FINE), st.sampled_from(INPUT_KINDS)),
                     st.integers(1, 3), st.integers(1, 4), st.integers(0, 99))


def make_inputs(spec, features: int, where: Path) -> Path:
    """Write the inputs ``spec`` (kind, batch, time, seed) for a model of ``features`` inputs."""
    kind, batch, steps, seed = spec
    rng = np.random.default_rng(seed)
    path = where / "inputs.npz"
    x = rng.uniform(-1, 1, (batch, steps, features))
    lengths = rng.integers(1, steps + 1, batch)
    if kind == "missing":
        return path
    if kind == "directory":
        path.mkdir()
        return path
    raw = {"empty": b"", "garbage": rng.bytes(40),
           "truncated": _npz_bytes(x=x)[:1 + seed * 7]}
    if kind in raw:
        path.write_bytes(raw[kind])
        return path
    arrays = {
        "ok": {"x": x}, "lengths": {"x": x, "lengths": lengths},
        "int": {"x": (x * 3).astype(np.int16)}, "huge": {"x": x * 1e300},
        "extra_keys": {"x": x, "y": np.arange(3), "label": np.array("ü")},
        "float32": {"x": x.astype(np.float32)},
        "uint_lengths": {"x": x, "lengths": lengths.astype(np.uint8)},
        "no_x": {"X": x}, "x_2d": {"x": x[0]}, "x_4d": {"x": x[..., None]},
        "x_0d": {"x": np.float64(1.0)},
        "wrong_features": {"x": rng.uniform(-1, 1, (batch, steps, features + 1))},
        "zero_batch": {"x": x[:0]}, "zero_time": {"x": x[:, :0]},
        "nan": {"x": np.where(x > 0, np.nan, x)}, "inf": {"x": np.full_like(x, np.inf)},
        "object": {"x": np.array([None, 1], dtype=object)},
        "strings": {"x": np.full((batch, steps, features), "1.0")},
        "bool": {"x": x > 0}, "complex": {"x": x + 1j},
        "lengths_zero": {"x": x, "lengths": np.zeros(batch, dtype=np.int64)},
        "lengths_long": {"x": x, "lengths": np.full(batch, steps + 1)},
        "lengths_negative": {"x": x, "lengths": -lengths},
        "lengths_float": {"x": x, "lengths": lengths + 0.5},
        "lengths_shape": {"x": x, "lengths": np.ones(batch + 1, dtype=np.int64)},
        "lengths_huge": {"x": x, "lengths": np.full(batch, 2**62)},
        "lengths_2d": {"x": x, "lengths": lengths[:, None]},
    }[kind]
    if kind == "object":
        np.savez(path, **arrays)            # pickled: refused on reading
    else:
        path.write_bytes(_npz_bytes(**arrays))
    return path


# -- configs ----------------------------------------------------------------------------------

FIELDS = [f.name for f in dataclasses.fields(EpurConfig)]
FORMAT_KEYS = ("width", "frac", "signed", "rounding", "saturate")
# values most keys refuse (wrong type, out of range; None removes the key: its default)
NEVER = (None, [], {}, "", "ünï ☃", -1, 10**30, 2**64, math.nan, math.inf, -math.inf, 1.5)
# values some keys accept, kept small: a config that validates generates in about a second
SMALL = (0, 1, 2, 3, True, False, 0.25, "bnn", "none", "gru", "lstm", "absolute", "half_up",
         "floor", "x_9", "ñame", "module", "_", "epur_ü")
value = st.one_of(st.sampled_from(NEVER + SMALL), st.integers(-3, 40), st.text(max_size=6),
                  st.floats(allow_nan=True, allow_infinity=True),
                  st.sampled_from([385, 1024, 4096, 4097, 65536, 65537]))
key = st.one_of(st.sampled_from(FIELDS + ["unknown", "Hidden_Size", ""]),
                st.tuples(st.sampled_from(["weight_format", "data_format", "theta_format"]),
                          st.sampled_from(FORMAT_KEYS + ("bits",))))


def tiny_config(cell: str = "lstm", x: int = 2, h: int = 3, layers: int = 1, **kw) -> dict:
    return {"name": "fuzz_top", "cell": cell, "input_size": x, "hidden_size": h,
            "layers": layers, "lanes": 2, "bnn_bits": 4, **kw}


def config_spec(sizes=None):
    """A config file: None (the default), ("ok", fmt, overrides), ("mutated", fmt, mutations)
    of a tiny config, or a hostile file. ``sizes``: a strategy of fixed (cell, X, H, L) the
    valid configs take (else drawn small)."""
    sizes = sizes if sizes is not None else st.tuples(
        st.sampled_from(["lstm", "gru"]), st.integers(1, 3), st.integers(1, 4),
        st.integers(1, 2))
    fmt = st.sampled_from(["json", "toml"])
    ok = st.tuples(st.just("ok"), fmt, sizes, st.sampled_from(["bnn", "none"]))
    mutated = st.tuples(st.just("mutated"), fmt, sizes,
                        st.lists(st.tuples(key, value), min_size=1, max_size=3))
    bad = st.tuples(st.sampled_from(["missing", "directory", "garbage", "not_json", "list",
                                     "number", "null", "deep", "digits", "truncated",
                                     "bad_toml"]), st.integers(0, 99))
    return mostly(st.one_of(st.none(), ok, ok), st.one_of(mutated, bad))


def _toml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_scalar(x) for x in v) + "]"
    return None                             # None and tables: left out of the TOML


def _to_toml(d: dict) -> str:
    lines, tables = [], []
    for k, v in d.items():
        if isinstance(v, dict):
            tables.append(f"\n[{json.dumps(k)}]")
            tables += [f"{json.dumps(a)} = {s}" for a, b in v.items()
                       if (s := _toml_scalar(b)) is not None]
        elif (s := _toml_scalar(v)) is not None:
            lines.append(f"{json.dumps(k)} = {s}")
    return "\n".join(lines + tables) + "\n"


def config_dict(spec) -> dict | None:
    """The table a ("ok" | "mutated") spec writes."""
    kind, _, (cell, x, h, layers), extra = spec
    d = tiny_config(cell, x, h, layers)
    if kind == "ok":
        d["predictor"] = extra
        return d
    for k, v in extra:
        if isinstance(k, tuple):
            table, sub = k
            fmt = dict(getattr(DEFAULT, table).to_dict()) if not isinstance(
                d.get(table), dict) else d[table]
            fmt[sub] = v
            d[table] = fmt
        elif v is None and k in d:
            del d[k]                        # a missing key: the default's value
        else:
            d[k] = v
    return d


def make_config(spec, where: Path) -> Path | None:
    if spec is None:
        return None
    kind = spec[0]
    path = where / "config.json"
    if kind in ("ok", "mutated"):
        d = config_dict(spec)
        if spec[1] == "toml":
            path = where / "config.toml"
            path.write_text(_to_toml(d))
        else:
            path.write_text(json.dumps(d))
        return path
    seed = spec[1]
    rng = np.random.default_rng(seed)
    if kind == "missing":
        return path
    if kind == "directory":
        path.mkdir()
        return path
    text = {
        "garbage": rng.bytes(48), "not_json": b"hidden_size: 4\n",
        "list": b"[1, 2]", "number": b"4", "null": b"null",
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "digits": b'{"hidden_size": ' + b"9" * 5000 + b"}",
        "truncated": json.dumps(tiny_config()).encode()[:1 + seed % 40],
    }
    if kind == "bad_toml":
        path = where / "config.toml"
        path.write_bytes([b"hidden_size = = 3", b"[weight_format]\nwidth = 'x", b"\xff\xfe",
                          b"layers = 1\nlayers = 2"][seed % 4])
    else:
        path.write_bytes(text[kind])
    return path


# -- output paths -----------------------------------------------------------------------------

OUT_FINE = ("fresh", "fresh", "fresh", "nested", "existing_file", "unicode", "long_name",
            "dangling_symlink")
OUT_KINDS = ("directory", "under_file", "unwritable", "too_long_name", "symlink_to_input",
             "wrong_suffix", "no_suffix", "upper_suffix", "is_input")


def out_spec():
    return mostly(st.sampled_from(OUT_FINE), st.sampled_from(OUT_KINDS), 8)


def make_path(kind: str, where: Path, name: str, inputs=()) -> Path:
    """An output path of ``kind`` named like ``name`` (a file name, with its suffix, or a
    directory name). Hostile kinds: a directory, a path under a regular file, an unwritable
    place (/sys refuses even root), a name too long for the file system (and one just short
    enough), a symlink onto an
    input, a wrong suffix, an input itself."""
    stem, suffix = os.path.splitext(name)
    if kind == "fresh":
        return where / name
    if kind == "nested":
        return where / "a" / "b" / name
    if kind == "existing_file":
        p = where / name
        p.write_bytes(b"old")
        return p
    if kind == "directory":
        p = where / name
        p.mkdir()
        (p / "keep.txt").write_text("x")
        return p
    if kind == "under_file":
        blocker = where / "plain_file"
        blocker.write_text("x")
        return blocker / name
    if kind == "unwritable":
        return Path("/sys") / f"epur_fuzz_{name}"
    if kind == "unicode":
        return where / f"ünï cödé ☃ {name}"
    if kind == "long_name":                 # 250 bytes: as long as a file system allows
        return where / ("l" * (250 - len(name.encode())) + name)
    if kind == "too_long_name":
        return where / ("l" * 300 + name)
    if kind == "dangling_symlink":
        p = where / name
        p.symlink_to(where / "nowhere" / name)
        return p
    if kind in ("symlink_to_input", "is_input"):
        target = next((Path(i) for i in inputs if i is not None), None)
        if target is None:
            return where / name
        if kind == "is_input":
            return target
        p = where / f"link_{name}"
        p.symlink_to(target)
        return p
    if kind == "wrong_suffix":
        return where / f"{stem}.txt"
    if kind == "no_suffix":
        return where / stem
    if kind == "upper_suffix":
        return where / f"{stem}{suffix.upper()}"
    raise AssertionError(kind)


def group_gone(pgid: int, seconds: float = 5.0) -> bool:
    """True once no process of group ``pgid`` is left (polled for up to ``seconds``)."""
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False
