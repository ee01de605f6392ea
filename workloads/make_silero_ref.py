"""Reference speech probabilities of Silero VAD, computed by the package's own TorchScript model.

Needs the torch extra (``pip install 'epur[torch]'``) and ``make data``. Run from the repository
root:

    python -m workloads.make_silero_ref [--out tests/workloads/data/silero_ref.npz]

The wheel's ``silero_vad.jit`` carries other weights than its ``silero_vad_16k.safetensors`` (the
ONNX files match the jit; see silero-vad issue #768), so the reference is the jit's own forward
code (context handling, STFT, encoder, LSTMCell state, head) run twice on every file:

- ``probs_<k>``: with the safetensors weights loaded into it: what workloads/silero.py must match;
- ``probs_jit_<k>``: with its own weights, to document how far the two weight sets disagree.

It also stores the jit's LSTM inputs (front-end outputs) of the first file, ``features_0``.
Audio comes from :func:`workloads.silero.read_audio` (8 kHz files are upsampled by our NumPy
filter, so both models see the same samples); each file is one stream, chunked as silero's
``get_speech_timestamps`` does (zero-padded last chunk, state reset at the start).
"""

from __future__ import annotations

import argparse
import importlib.metadata
from pathlib import Path

import numpy as np
import torch

from workloads import silero

# (package, path): native 16 kHz test files, and 8 kHz (upsampled) radio and clean recordings
REF_FILES = (silero.TEST_FILES[0], silero.TEST_FILES[5], silero.CALIB_FILES[8],
             silero.CALIB_FILES[9])

_JIT_NAMES = {"stft.forward_basis_buffer": "stft_conv.weight",
              "decoder.decoder.2.weight": "final_conv.weight",
              "decoder.decoder.2.bias": "final_conv.bias"}
_JIT_NAMES.update({f"encoder.{i}.reparam_conv.{p}": f"conv{i + 1}.{p}"
                   for i in range(4) for p in ("weight", "bias")})
_JIT_NAMES.update({f"decoder.rnn.{p}": f"lstm_cell.{p}"
                   for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})


def jit_path() -> Path:
    return silero.weights_path().parent / "silero_vad.jit"


def jit_probs(model, audio: np.ndarray) -> np.ndarray:
    """The package's streaming procedure: reset, then 512-sample chunks, the last zero-padded."""
    model.reset_states()
    wav = torch.from_numpy(audio.astype(np.float32))
    out = []
    with torch.no_grad():
        for start in range(0, len(wav), silero.CHUNK):
            chunk = wav[start:start + silero.CHUNK]
            if len(chunk) < silero.CHUNK:
                chunk = torch.nn.functional.pad(chunk, (0, silero.CHUNK - len(chunk)))
            out.append(model(chunk, silero.SAMPLE_RATE).item())
    return np.array(out)


def jit_features(model, audio: np.ndarray) -> np.ndarray:
    """The jit's front end (its own stft and encoder submodules) on every chunk: (chunks, 128)."""
    windows = torch.from_numpy(silero.chunk_windows(audio).astype(np.float32))
    with torch.no_grad():
        feats = model._model.encoder(model._model.stft(windows))
    return feats[:, :, 0].numpy()


def load_safetensors_into(model, weights: dict) -> None:
    own = model._model.state_dict()
    if set(own) != set(_JIT_NAMES):
        raise SystemExit(f"unexpected jit parameters: {sorted(set(own) ^ set(_JIT_NAMES))}")
    model._model.load_state_dict(
        {k: torch.from_numpy(weights[v].astype(np.float32)) for k, v in _JIT_NAMES.items()})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/workloads/data/silero_ref.npz")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    weights = silero.load_weights()
    model = torch.jit.load(str(jit_path()), map_location="cpu")
    model.eval()
    own = {k: v.clone() for k, v in model._model.state_dict().items()}
    out = {"files": np.array([p for _, p in REF_FILES]),
           "torch_version": np.array(torch.__version__),
           "silero_version": np.array(importlib.metadata.version("silero-vad"))}
    for k, (_, path) in enumerate(REF_FILES):
        audio = silero.read_audio(path)
        out[f"sha256_{k}"] = np.array(silero.file_digest(path))
        model._model.load_state_dict(own)
        out[f"probs_jit_{k}"] = jit_probs(model, audio).astype(np.float32)
        load_safetensors_into(model, weights)
        out[f"probs_{k}"] = jit_probs(model, audio).astype(np.float32)
        if k == 0:
            out["features_0"] = jit_features(model, audio).astype(np.float32)
        ours = silero.speech_probs(weights, audio)
        diff = np.abs(ours - out[f"probs_{k}"]).max()
        agree = np.mean((out[f"probs_{k}"] > 0.5) == (out[f"probs_jit_{k}"] > 0.5))
        print(f"{Path(path).name}: {len(ours)} chunks, NumPy vs jit (safetensors weights) "
              f"max |dp| = {diff:.2e}; decisions of the jit's own weights agree on "
              f"{100 * agree:.2f} %")
    out_path = Path(args.out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_path, **out)
    print(f"wrote {out_path} ({out_path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
