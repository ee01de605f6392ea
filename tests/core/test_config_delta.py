"""The delta build's parameters: thresholds for x and h (theta, theta_h), their validation as
register values, the hardware it refuses to build, and the round trip through files."""

from __future__ import annotations

import dataclasses
import math

import pytest

from core.config import DEFAULT, EpurConfig, load_config
from core.errors import InputError

DELTA = dataclasses.replace(DEFAULT, predictor="delta", theta=0.125)


def test_theta_h_defaults_to_theta_and_quantizes_like_it():
    assert DELTA.theta_h is None and DELTA.theta_h_int == DELTA.theta_int == 32
    c = DELTA.with_overrides(theta_h=0.5)
    assert (c.theta_int, c.theta_h_int) == (32, 128)
    assert DELTA.require_hardware() is DELTA


@pytest.mark.parametrize("kw, msg", [
    ({"theta": -0.25}, r"^theta must be a finite number >= 0, not -0.25$"),
    ({"theta": math.nan}, r"^theta must be a finite number >= 0, not nan$"),
    ({"theta_h": -1.0}, r"^theta_h must be a finite number >= 0, not -1.0$"),
    ({"theta_h": math.nan}, r"^theta_h must be a finite number >= 0, not nan$"),
    ({"theta_h": "0.1"}, r"^theta_h must be a number, not '0.1'$"),
    ({"theta": 256.0}, r"^theta 256.0 exceeds the theta register's range \(max 255.99609375"),
    ({"theta_h": 300.0}, r"^theta_h 300.0 exceeds the theta register's range \(max 255.99"),
])
def test_bad_thresholds(kw, msg):
    with pytest.raises(ValueError, match=msg):
        dataclasses.replace(DELTA, **kw)


def test_theta_h_is_ignored_by_other_predictors():
    """A delta config's theta_h stays when a sweep switches the predictor."""
    c = DELTA.with_overrides(theta_h=300.0 - 100)
    assert c.with_overrides(predictor="bnn").theta_h == 200.0


def test_a_delta_config_the_hardware_does_not_build():
    cfg = dataclasses.replace(DELTA, reuse_cap=2)
    with pytest.raises(InputError, match=r"^the delta build reuses no neuron, so it has no reuse "
                                         r"counter: reuse_cap must be 0 for predictor delta, "
                                         r"not 2$"):
        cfg.require_hardware()


@pytest.mark.parametrize("suffix", [".toml", ".json"])
@pytest.mark.parametrize("theta_h", [None, 0.75])
def test_round_trip(tmp_path, suffix, theta_h):
    cfg = DELTA.with_overrides(theta_h=theta_h)
    cfg.save(tmp_path / f"c{suffix}")
    assert load_config(tmp_path / f"c{suffix}") == cfg
    assert EpurConfig.from_dict(cfg.to_dict()) == cfg
