"""The ``slots`` field of the config (E-BATCH, issue 14): its default, bounds and refusals."""

import dataclasses

import pytest

from core.config import DEFAULT, MAX_SLOTS, EpurConfig, load_config


def test_default_is_the_unbatched_build():
    assert DEFAULT.slots == 1
    assert DEFAULT.require_hardware() is DEFAULT


@pytest.mark.parametrize("slots", [1, 3, 8, MAX_SLOTS])
def test_slots_in_range_round_trip(tmp_path, slots):
    cfg = dataclasses.replace(DEFAULT, slots=slots)
    for name in ("c.json", "c.toml"):
        cfg.save(tmp_path / name)
        assert load_config(tmp_path / name) == cfg


@pytest.mark.parametrize("slots, message", [
    (0, "slots must be in 1..64, not 0"),
    (MAX_SLOTS + 1, "slots must be in 1..64, not 65"),
    (-2, "slots must be in 1..64, not -2"),
    (2.0, "slots must be an integer, not 2.0"),
    (True, "slots must be an integer, not True"),
])
def test_bad_slots(slots, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        EpurConfig(slots=slots)


def test_slots_refuse_delta_and_precision():
    with pytest.raises(ValueError, match="slots 2 does not compose with predictor delta"):
        EpurConfig(slots=2, predictor="delta")
    with pytest.raises(ValueError, match="slots 4 needs precision static, not 'dynamic'"):
        EpurConfig(slots=4, precision="dynamic")
    assert EpurConfig(slots=1, predictor="delta").slots == 1


@pytest.mark.parametrize("predictor", ["none", "bnn"])
def test_batched_hardware_for_none_and_bnn(predictor):
    cfg = EpurConfig(slots=3, predictor=predictor)
    assert cfg.require_hardware() is cfg


def test_max_sequence_length_is_the_step_tag():
    assert EpurConfig(counter_width=16).max_sequence_length == 1 << 16
