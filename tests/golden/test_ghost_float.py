"""The float model's ghost layers against the PyTorch module of the ghost cell (torch extra)."""

import importlib.util
from types import SimpleNamespace

import numpy as np
import pytest

from golden.float_model import run_float, run_float_all_layers

HAVE_TORCH = importlib.util.find_spec("torch") is not None
pytestmark = pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed")
KEYS = ("w_ih", "w_hh", "b_ih", "b_hh", "w_gh", "b_gh")


def as_params(cell, module, layers):
    """The module's state dict as the float model reads it: one object per layer with the
    arrays of core/params.py's LayerParams (``weight_gh_l{k}`` -> ``w_gh``)."""
    sd = {k: v.detach().numpy().astype(np.float64) for k, v in module.state_dict().items()}
    torch_name = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih",
                  "b_hh": "bias_hh", "w_gh": "weight_gh", "b_gh": "bias_gh"}
    return SimpleNamespace(cell=cell, layers=[
        SimpleNamespace(**{key: sd[f"{torch_name[key]}_l{k}"] for key in KEYS})
        for k in range(layers)])


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
    params = as_params(cell, module, layers)
    out = run_float(params, x.numpy())
    assert out.shape == (5, 23, hidden)
    np.testing.assert_allclose(out, y.numpy(), atol=1e-5, rtol=0)
    # the ghost half is the cheap operation of the intrinsic half at every step
    last = params.layers[-1]
    np.testing.assert_allclose(
        out[..., hidden - ghost:], np.tanh(out[..., :hidden - ghost] @ last.w_gh.T + last.b_gh),
        atol=1e-12)


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
    params = as_params(cell, module, 1)
    np.testing.assert_allclose(run_float_all_layers(params, x.numpy())[0][..., :inner],
                               want.numpy(), atol=1e-5)


def test_parameter_count_is_the_modules():
    import torch

    from workloads.ghost_torch import ghost_rnn, parameter_count

    for cell in ("lstm", "gru"):
        module = ghost_rnn(torch, cell, 12, 64, 32, 2)
        assert parameter_count(cell, 12, 64, 32, 2) == sum(p.numel() for p in module.parameters())
        plain = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](12, 64, num_layers=2)
        assert parameter_count(cell, 12, 64, 0, 2) == sum(p.numel() for p in plain.parameters())
    assert parameter_count("gru", 12, 64) == 14976 and parameter_count("gru", 12, 64, 32) == 8544
