"""The reuse scheme registry and interface: one hardware scheme per hardware predictor, each
with the ports of hw.schemes.base; its controls become ports of the compute unit and the top."""

from __future__ import annotations

import dataclasses

import pytest
from amaranth.hdl import Fragment, Module

from core.config import DEFAULT, HW_PREDICTORS
from core.errors import InputError
from hw.cu import ComputeUnit
from hw.schemes import SCHEMES, scheme_class
from hw.schemes.base import compute_unit_ports, scheme_ports
from hw.top import EpurTop, top_signature

SMALL = dataclasses.replace(DEFAULT, input_size=5, hidden_size=6, layers=2, lanes=4, bnn_bits=8)


def test_every_hardware_predictor_has_a_scheme():
    assert set(SCHEMES) == set(HW_PREDICTORS)
    assert all(cls.name == name for name, cls in SCHEMES.items())


@pytest.mark.parametrize("predictor", ["none", "bnn"])
def test_scheme_signature_and_controls(predictor):
    cfg = dataclasses.replace(SMALL, predictor=predictor)
    cls = scheme_class(cfg)
    controls = cls.controls(cfg)
    assert (predictor == "bnn") == cfg.memo == bool(controls) == cls.queued == cls.weight_signs
    for pair in (False, True):
        scheme = cls(cfg, pair)
        assert dict(scheme.signature.members) == scheme_ports(cfg, cls.queued, controls,
                                                              cls.weight_signs)
        Fragment.get(scheme, None)      # it elaborates (and is not dropped unused)
    base = set(scheme_ports(cfg, False, {}))
    assert base <= set(scheme_ports(cfg, cls.queued, controls))
    # controls reach the compute unit and the top level, with their shapes
    top = top_signature(cfg).members
    for name, shape in controls.items():
        assert top[name].shape == shape
    cu = ComputeUnit(cfg, 0)
    assert all(cu.signature.members[name].shape == shape for name, shape in controls.items())
    Fragment.get(cu, None)


def test_datapath_scheme_has_the_compute_units_ports():
    """delta is the compute unit's whole datapath: its ports are the unit's, its controls and
    events reach the compute unit, and its counters the top level."""
    cfg = dataclasses.replace(SMALL, predictor="delta")
    cls = scheme_class(cfg)
    assert cls.datapath and not cls.queued
    controls, events = cls.controls(cfg), cls.events(cfg)
    assert set(controls) == {"theta", "theta_h"} and set(events) == {"changed", "unchanged"}
    for kind in ("sigmoid", "pair"):
        scheme = cls(cfg, kind)
        assert dict(scheme.signature.members) == compute_unit_ports(cfg, controls, events)
        assert "sat_pre" in scheme.signature.members      # the MU's flags: sat_pre_l<k>
        Fragment.get(scheme, None)
    top = top_signature(cfg).members
    for name, shape in controls.items():
        assert top[name].shape == shape
    assert set(cls.counters(cfg)) == {"changed", "macs_skipped"} <= set(top)
    cu = ComputeUnit(cfg, 2)
    assert dict(cu.signature.members) == compute_unit_ports(cfg, controls, events)
    Fragment.get(cu, None)


@pytest.mark.parametrize("predictor", ["oracle"])
def test_software_predictors_are_refused_before_anything_is_built(predictor):
    # warnings are errors: an object made before the check and dropped would fail the test
    # (Amaranth reports dropped elaboratables once anything has been elaborated)
    Fragment.get(Module(), None)
    cfg = dataclasses.replace(DEFAULT, predictor=predictor)
    for build in (scheme_class, top_signature, EpurTop, lambda c: ComputeUnit(c, 0)):
        with pytest.raises(InputError, match="software-only"):
            build(cfg)
