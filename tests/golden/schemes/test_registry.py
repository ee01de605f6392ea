"""golden/schemes: one scheme per predictor of the config, chosen by name."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.config import PREDICTORS
from golden.schemes import SCHEMES, Scheme, scheme_for
from tests.golden.schemes.common import scheme


def test_every_predictor_has_a_scheme():
    assert sorted(SCHEMES) == sorted(PREDICTORS)
    assert all(issubclass(cls, Scheme) for cls in SCHEMES.values())


@pytest.mark.parametrize("predictor", PREDICTORS)
def test_scheme_for_picks_by_predictor(predictor):
    cfg, _, chosen = scheme(predictor)
    assert chosen.name == predictor and chosen.cfg is cfg


def test_unknown_predictor():
    with pytest.raises(ValueError, match="no golden scheme for predictor 'ghost'"):
        scheme_for(SimpleNamespace(predictor="ghost"), ())
