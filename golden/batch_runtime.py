"""The E-BATCH runtime: which sequence goes into which slot when (docs/architecture.md, "The
batched build"), as a :class:`golden.batch.Schedule`.

Policies (SPEC 7's names):

- ``single``: one sequence at a time, in slot 0, back to back; the other slots stay idle.
- ``padded``: static batches of S consecutive sequences; a batch runs until its longest
  sequence ends, the shorter ones zero-padded (their slots compute the padding), then the next
  batch takes all the slots at once. The last batch may leave slots idle.
- ``ebatch``: concatenation with refill. The accelerator's end-of-sequence notification frees
  the slot, and at the next refill point the next waiting sequence takes it. Refill points come
  every ``steps_per_batch`` batch steps (E-BATCH's timesteps per batch, T): with T = 1 a slot is
  refilled at the step after its sequence ended.

Every sequence waits in a queue in input order from time 0 (a closed batch of requests). A
sequence longer than the build's step tag allows (``cfg.max_sequence_length``), lengths that
are not positive integers, or a bad slot count are :class:`core.errors.InputError`.
"""

from __future__ import annotations

import numpy as np

from core.config import MAX_SLOTS
from core.errors import InputError
from golden.batch import IDLE, Schedule

POLICIES = ("single", "padded", "ebatch")


def check_request(lengths, slots, max_length: int, steps_per_batch: int = 1) -> np.ndarray:
    """The ``lengths`` of a schedule request as int64, or an InputError naming what is wrong."""
    if isinstance(slots, bool) or not isinstance(slots, (int, np.integer)) \
            or not 1 <= slots <= MAX_SLOTS:
        raise InputError(f"slots must be in 1..{MAX_SLOTS}, not {slots}")
    if isinstance(steps_per_batch, bool) or not isinstance(steps_per_batch, (int, np.integer)) \
            or steps_per_batch < 1:
        raise InputError(f"steps per batch must be an integer >= 1, not {steps_per_batch}")
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.size == 0 or lengths.dtype.kind not in "iu":
        raise InputError(f"lengths must be a non-empty list of integers, not {lengths.dtype} "
                         f"{lengths.shape}")
    if lengths.min() < 1:
        raise InputError(f"sequence {int(np.argmin(lengths))} has length {lengths.min()}: "
                         f"lengths must be >= 1")
    if lengths.max() > max_length:
        raise InputError(f"sequence {int(np.argmax(lengths))} has {lengths.max()} steps, more "
                         f"than the {max_length} a slot's step tag counts")
    return lengths.astype(np.int64)


def schedule(policy: str, lengths, slots: int, max_length: int,
             steps_per_batch: int = 1) -> Schedule:
    """The schedule of ``policy`` for sequences of ``lengths`` on ``slots`` slots."""
    if policy not in POLICIES:
        raise InputError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}")
    lengths = check_request(lengths, slots, max_length, steps_per_batch)
    if policy == "single":
        return _single(lengths, slots)
    if policy == "padded":
        return _padded(lengths, slots)
    return _ebatch(lengths, slots, steps_per_batch)


def _single(lengths: np.ndarray, slots: int) -> Schedule:
    total = int(lengths.sum())
    seq = np.full((total, slots), IDLE, dtype=np.int64)
    t = np.zeros_like(seq)
    seq[:, 0] = np.repeat(np.arange(len(lengths)), lengths)
    t[:, 0] = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return Schedule(seq, t)


def _padded(lengths: np.ndarray, slots: int) -> Schedule:
    parts_seq, parts_t = [], []
    for first in range(0, len(lengths), slots):
        members = np.arange(first, min(first + slots, len(lengths)))
        longest = int(lengths[members].max())
        seq = np.full((longest, slots), IDLE, dtype=np.int64)
        seq[:, :len(members)] = members
        t = np.broadcast_to(np.arange(longest)[:, None], seq.shape).copy()
        parts_seq.append(seq)
        parts_t.append(np.where(seq == IDLE, 0, t))
    return Schedule(np.concatenate(parts_seq), np.concatenate(parts_t))


def _ebatch(lengths: np.ndarray, slots: int, period: int) -> Schedule:
    waiting = 0
    holder = np.full(slots, IDLE, dtype=np.int64)     # the sequence each slot holds
    step = np.zeros(slots, dtype=np.int64)            # its next timestep
    rows_seq, rows_t = [], []
    b = 0
    while True:
        done = (holder != IDLE) & (step >= lengths[np.maximum(holder, 0)])
        holder[done] = IDLE                           # end-of-sequence: the slot is free
        if b % period == 0:
            for s in np.flatnonzero(holder == IDLE):
                if waiting == len(lengths):
                    break
                holder[s], step[s] = waiting, 0
                waiting += 1
        if not np.any(holder != IDLE) and waiting == len(lengths):
            break
        rows_seq.append(holder.copy())
        rows_t.append(np.where(holder == IDLE, 0, step))
        step = step + 1
        b += 1
    return Schedule(np.array(rows_seq, dtype=np.int64), np.array(rows_t, dtype=np.int64))


def random_entries(rng, lengths, slots: int, gap: int = 3) -> Schedule:
    """A stimulus, not a policy: sequences entering and leaving slots at random times. A slot,
    once free, waits 0..``gap`` batch steps, then takes the next waiting sequence (a random one
    of the slots free earliest); no padding. ``rng``: a NumPy Generator."""
    lengths = np.asarray(lengths, dtype=np.int64)
    free_at = rng.integers(0, gap + 1, slots)
    place = []                                     # (slot, first batch step) of each sequence
    for length in lengths:
        s = int(rng.choice(np.flatnonzero(free_at == free_at.min())))
        place.append((s, int(free_at[s])))
        free_at[s] += length + rng.integers(0, gap + 1)
    steps = max(b + int(length) for (_, b), length in zip(place, lengths, strict=True))
    seq = np.full((steps, slots), IDLE, dtype=np.int64)
    t = np.zeros_like(seq)
    for i, (s, b) in enumerate(place):
        seq[b:b + lengths[i], s] = i
        t[b:b + lengths[i], s] = np.arange(lengths[i])
    return Schedule(seq, t)
