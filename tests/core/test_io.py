"""core/io.py: files written whole or not at all, and bad files named in one line."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from core.errors import InputError
from core.io import load_inputs, load_npz, save_npz, write_atomic


def test_write_atomic_replaces_whole_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    write_atomic(target, "new text")
    assert target.read_text() == "new text"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_an_interrupted_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_concurrent_writers_to_one_target_do_not_collide(tmp_path):
    """Two runs with the same --out once shared one temporary name and one of them died."""
    target = tmp_path / "same.npz"
    errors = []

    def writer(k):
        try:
            for _ in range(20):
                save_npz(target, x=np.full((50, 50), k))
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    x = load_npz(target)["x"]
    assert x.shape == (50, 50) and len(np.unique(x)) == 1       # one writer's file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.npz"]


@pytest.mark.parametrize("make, message", [
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: None, "cannot write"),
])
def test_bad_targets_are_input_errors(tmp_path, make, message):
    target = tmp_path / "t.txt" if message == "is a directory" else tmp_path / "no" / "t.txt"
    make(target)
    with pytest.raises(InputError, match=message):
        write_atomic(target, "x")


def test_save_npz_wants_the_suffix(tmp_path):
    with pytest.raises(InputError, match="must end in .npz"):
        save_npz(tmp_path / "out.txt", x=np.zeros(1))


def test_truncated_and_foreign_npz_are_input_errors(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, x=np.zeros((2, 3, 4)))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[:100])
    with pytest.raises(InputError, match="cannot read .*cut.npz as .npz"):
        load_inputs(cut)
    text = tmp_path / "text.npz"
    text.write_text("not a zip")
    with pytest.raises(InputError, match="cannot read"):
        load_npz(text)
    with pytest.raises(InputError, match="inputs file not found"):
        load_inputs(tmp_path / "missing.npz")
    np.savez(tmp_path / "nox.npz", y=np.zeros(3))
    with pytest.raises(InputError, match="no array 'x'"):
        load_inputs(tmp_path / "nox.npz")
    x, lengths = load_inputs(good)
    assert x.shape == (2, 3, 4) and lengths is None
