"""``core.params``: state_dicts with a gap in their layer numbers are refused, not truncated."""

from __future__ import annotations

import pytest

from core.errors import InputError
from core.params import params_from_state_dict, random_params


@pytest.mark.parametrize("prefix", ["", "rnn."])
def test_a_missing_layer_is_named(prefix):
    sd = random_params("lstm", 3, 4, layers=3).state_dict()
    for key in [k for k in sd if k.endswith("_l1")]:
        del sd[key]
    sd = {prefix + k: v for k, v in sd.items()}
    with pytest.raises(InputError, match=rf"{prefix}weight_ih_l2 but no layer 1 "
                                         rf"\({prefix}weight_ih_l1 is missing\)"):
        params_from_state_dict(sd)


def test_complete_layers_are_all_read():
    params = random_params("gru", 3, 4, layers=3)
    assert params_from_state_dict(params.state_dict()).num_layers == 3
