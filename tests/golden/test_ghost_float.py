"""The float model's ghost layers against the PyTorch module of the ghost cell
(workloads/ghost_torch.py): live with the torch extra, and against its stored outputs always."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from core.params import params_from_state_dict
from golden.float_model import run_float, run_float_all_layers

HAVE_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed (stored outputs "
                                 "still checked)")
REF = Path(__file__).parent / "data" / "ghost_torch_ref.npz"    # make_ghost_ref.py writes it


def as_params(module):
    """The module's state dict read as a model file is (core/params.py: the key names)."""
    return params_from_state_dict({k: v.detach().numpy().astype(np.float64)
                                   for k, v in module.state_dict().items()})


def stored_cases():
    with np.load(REF) as f:
        arrays = {k: f[k] for k in f.files}
    tags = sorted({k.split("/")[0] for k in arrays})
    return [(t, {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(t + "/")})
            for t in tags]


@pytest.mark.parametrize("tag,case", stored_cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_float_model_matches_stored_ghost_outputs(tag, case):
    x, y = case.pop("x"), case.pop("y")
    params = params_from_state_dict(case)
    cell, hidden, ghost, layers = tag.split("_")
    assert (params.cell, params.hidden_size, params.ghost_size, params.num_layers) == (
        cell, int(hidden[1:]), int(ghost[1:]), int(layers[1:]))
    np.testing.assert_allclose(run_float(params, x), y, atol=1e-12, rtol=0)


@needs_torch
@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("hidden,ghost,layers", [(16, 8, 1), (16, 4, 2), (10, 7, 1)])
def test_float_model_matches_torch_ghost_module(cell, hidden, ghost, layers):
    import torch

    from workloads.ghost_torch import ghost_rnn

    torch.manual_seed(hidden * 10 + ghost + layers)
    module = ghost_rnn(torch, cell, 6, hidden, ghost, layers)
    with torch.no_grad():                  # larger than the init: saturating gates, ghost rows
        for p in module.parameters():
            p.mul_(2.5)
        x = torch.randn(5, 23, 6)
        y, _ = module(x)
    params = as_params(module)
    assert params.ghost_size == ghost and params.num_layers == layers
    out = run_float(params, x.numpy())
    assert out.shape == (5, 23, hidden)
    np.testing.assert_allclose(out, y.numpy(), atol=1e-5, rtol=0)
    # the ghost half is the cheap operation of the intrinsic half at every step
    last = params.layers[-1]
    np.testing.assert_allclose(
        out[..., hidden - ghost:], np.tanh(out[..., :hidden - ghost] @ last.w_gh.T + last.b_gh),
        atol=1e-12)


@needs_torch
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_intrinsic_part_is_torch_rnn_when_ghosts_are_not_read(cell):
    """With W_hh's ghost columns zero, the intrinsic states are an ``nn.LSTM``/``nn.GRU`` of I
    neurons (the module is checked against PyTorch's own cell, not only against the float model)."""
    import torch

    from workloads.ghost_torch import ghost_rnn

    torch.manual_seed(7)
    hidden, ghost = 12, 5
    inner = hidden - ghost
    module = ghost_rnn(torch, cell, 4, hidden, ghost)
    plain = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](4, inner, batch_first=True)
    with torch.no_grad():
        module.weight_hh_l0[:, inner:] = 0
        plain.weight_ih_l0.copy_(module.weight_ih_l0)
        plain.weight_hh_l0.copy_(module.weight_hh_l0[:, :inner])
        plain.bias_ih_l0.copy_(module.bias_ih_l0)
        plain.bias_hh_l0.copy_(module.bias_hh_l0)
        x = torch.randn(3, 17, 4)
        y, _ = module(x)
        want, _ = plain(x)
    np.testing.assert_allclose(y[..., :inner].numpy(), want.numpy(), atol=1e-6)
    params = as_params(module)
    np.testing.assert_allclose(run_float_all_layers(params, x.numpy())[0][..., :inner],
                               want.numpy(), atol=1e-5)


@needs_torch
def test_parameter_count_is_the_modules():
    import torch

    from workloads.ghost_torch import ghost_rnn, parameter_count

    for cell in ("lstm", "gru"):
        module = ghost_rnn(torch, cell, 12, 64, 32, 2)
        assert parameter_count(cell, 12, 64, 32, 2) == sum(p.numel() for p in module.parameters())
        plain = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](12, 64, num_layers=2)
        assert parameter_count(cell, 12, 64, 0, 2) == sum(p.numel() for p in plain.parameters())
    assert parameter_count("gru", 12, 64) == 14976 and parameter_count("gru", 12, 64, 32) == 8544
