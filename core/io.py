"""Files in and out: every file epur writes is written whole or not at all.

A file is written to a temporary name unique to the writer, in the target's own directory (so the
final rename stays on one file system), then renamed over the target with :func:`os.replace`,
which is atomic on POSIX: a reader sees the old file or the new one, never half of either, and
two writers racing on one target cannot remove each other's temporary file. An interrupt leaves
at most a hidden ``.<name>.*.tmp`` file, which the next successful write does not touch and
``make clean`` removes with the build.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np

from core.errors import InputError


def write_atomic(path, data: str | bytes) -> Path:
    """Write ``data`` (text or bytes) to ``path`` whole or not at all; returns the path.

    Bad targets (a directory, a read-only or missing place, a full disk) raise
    :class:`InputError` naming the path and the reason, and leave nothing behind."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a directory")
    payload = data.encode() if isinstance(data, str) else bytes(data)
    try:
        # the temporary name is the target's (shortened: a name as long as the file system
        # allows must still leave room for the random part) and a random part
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:64]}.", suffix=".tmp")
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_output(path, *inputs, suffix: str | None = None) -> Path:
    """``path`` as an output file: ending in ``suffix`` (when given), not a directory, not the
    same file as any of ``inputs`` (an output never overwrites what the command reads), and in
    a place that can be written (:func:`check_place`). Checked before any work, so a bad
    ``--out`` costs nothing; else an InputError."""
    path = Path(path)
    if suffix is not None and path.suffix != suffix:
        raise InputError(f"output file must end in {suffix}, not {path.name}")
    check_place(path)
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a directory")
    for src in inputs:
        if src is not None and Path(src).resolve() == path.resolve():
            raise InputError(f"output {path} is also an input ({src}): it would be overwritten")
    return path


def check_directory(path, what: str = "output") -> Path:
    """``path`` as a directory to write into: missing (created later) or a directory, in a
    place that can be written (:func:`check_place`)."""
    path = check_place(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path} exists and is not a directory")
    return path


def check_place(path) -> Path:
    """``path`` (a file or directory to write, or to create with its missing parents) can be
    made: its nearest existing ancestor is a directory epur may create files in, and no missing
    part of it has a name longer than the file system allows. An InputError naming ``path``
    otherwise, so a command refuses an unwritable output before its work, not after it."""
    path = Path(path)
    base = path.parent
    while not os.path.lexists(base) and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise InputError(f"cannot write {path}: {base} is not a directory")
    limit = os.pathconf(base, "PC_NAME_MAX")
    if any(len(os.fsencode(part)) > limit for part in path.parts):
        raise InputError(f"cannot write {path}: File name too long")
    if path.is_dir():                   # a directory to write into, not to create
        base = path
    try:                                # a nameless file where O_TMPFILE exists, else removed
        tempfile.TemporaryFile(dir=base).close()
    except OSError as e:
        raise InputError(f"cannot write {path}: {e.strerror or e}") from None
    return path


def save_npz(path, **arrays) -> Path:
    """Write an ``.npz`` of ``arrays`` atomically (see :func:`write_atomic`)."""
    path = check_output(path, suffix=".npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create directory {path.parent}: {e.strerror or e}") from None
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return write_atomic(path, buf.getvalue())


def load_npz(path, what: str = "file") -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file; a missing, truncated or foreign file is an InputError."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    try:
        # the file is opened here, not by np.load, which leaks its handle on a truncated zip
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except Exception as e:  # noqa: BLE001 - zipfile, OSError, ValueError, EOFError alike
        raise InputError(f"cannot read {path} as .npz: {e}") from None


def load_inputs(path) -> tuple[np.ndarray, np.ndarray | None]:
    """``x`` (batch, time, features) and, when present, ``lengths`` of an inputs ``.npz``."""
    arrays = load_npz(path, "inputs file")
    if "x" not in arrays:
        raise InputError(f"{path} has no array 'x' (arrays: {', '.join(arrays)})")
    return arrays["x"], arrays.get("lengths")
