"""The ``ghost_ratio`` field of the config (GhostRNN, issue 15): sizes, bounds, refusals."""

import dataclasses
import re

import pytest

from core.config import DEFAULT, EpurConfig, load_config


def test_default_has_no_ghost_state():
    assert DEFAULT.ghost_ratio == 0.0
    assert (DEFAULT.ghost_size, DEFAULT.intrinsic_size, DEFAULT.ghost) == (0, 64, False)


@pytest.mark.parametrize("ratio, hidden, ghost", [
    (0.5, 64, 32), (0.25, 64, 16), (0.3, 10, 3), (0.75, 16, 12), (0.9, 64, 58), (0.02, 64, 1)])
def test_sizes(ratio, hidden, ghost):
    cfg = EpurConfig(hidden_size=hidden, ghost_ratio=ratio, predictor="none")
    assert cfg.ghost_size == ghost == round(ratio * hidden)
    assert cfg.intrinsic_size == hidden - ghost
    kd = cfg.dpu_cycles(0)
    assert cfg.ghost_lanes == min(cfg.lanes, -(-ghost // kd))
    assert cfg.ghost_words == -(-ghost // cfg.ghost_lanes) <= kd


@pytest.mark.parametrize("ratio", [0.0, 0.5, 0.125])
def test_ratio_round_trips(tmp_path, ratio):
    cfg = dataclasses.replace(DEFAULT, ghost_ratio=ratio)
    for name in ("c.json", "c.toml"):
        cfg.save(tmp_path / name)
        assert load_config(tmp_path / name) == cfg


@pytest.mark.parametrize("ratio, message", [
    (1.0, "ghost_ratio must be in [0, 1) (0: no ghost states), not 1.0"),
    (1.5, "ghost_ratio must be in [0, 1) (0: no ghost states), not 1.5"),
    (-0.25, "ghost_ratio must be in [0, 1) (0: no ghost states), not -0.25"),
    (float("nan"), "ghost_ratio must be in [0, 1) (0: no ghost states), not nan"),
    (float("inf"), "ghost_ratio must be in [0, 1) (0: no ghost states), not inf"),
    ("half", "ghost_ratio must be a number, not 'half'"),
    (True, "ghost_ratio must be a number, not True"),
    (0.001, "ghost_ratio 0.001 leaves no ghost state: round(0.001 * hidden_size 64) is 0"),
    (0.995, "ghost_ratio 0.995 leaves no intrinsic state: round(0.995 * hidden_size 64) is "
            "all 64 states"),
])
def test_bad_ratio(ratio, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        EpurConfig(ghost_ratio=ratio)


def test_a_small_hidden_size_leaves_no_ghost_or_intrinsic_state():
    with pytest.raises(ValueError, match="leaves no ghost state"):
        EpurConfig(hidden_size=1, ghost_ratio=0.4)
    with pytest.raises(ValueError, match="leaves no intrinsic state"):
        EpurConfig(hidden_size=1, ghost_ratio=0.6)


@pytest.mark.parametrize("kw, message", [
    ({"predictor": "delta"}, "ghost_ratio 0.5 does not compose with predictor delta"),
    ({"precision": "dynamic"}, "ghost_ratio 0.5 does not compose with precision dynamic"),
    ({"slots": 2, "predictor": "none"}, "ghost_ratio 0.5 does not compose with slots 2"),
])
def test_refused_combinations(kw, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}: "):
        EpurConfig(ghost_ratio=0.5, **kw)


@pytest.mark.parametrize("predictor", ["none", "bnn", "mbnn", "oracle"])
def test_memo_predictors_compose(predictor):
    assert EpurConfig(ghost_ratio=0.5, predictor=predictor).ghost_size == 32
