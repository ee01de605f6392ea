"""The ``silero-vad`` workload: Silero VAD v5's LSTMCell on real speech recordings.

Silero VAD (the ``silero-vad`` wheel, installed without its dependencies) scores 16 kHz audio in
chunks of 512 samples (32 ms). Each chunk, with the last 64 samples of the previous chunk in front
of it (zeros before the first), goes through

    reflect-pad 64 -> STFT as a conv (256 taps, hop 128, 129 bins) -> magnitude
    -> conv1 129->128 k3 s1 -> conv2 128->64 k3 s2 -> conv3 64->64 k3 s2 -> conv4 64->128 k3 s1
       (each with ReLU)                                   [the front end: 128 features per chunk]
    -> LSTMCell 128 -> 128, state (h, c) carried from chunk to chunk         [the accelerator]
    -> ReLU -> 1x1 conv 128->1 -> sigmoid = speech probability               [the head]

The front end and the head run here in NumPy (float64), with the weights read from the wheel's
``silero_vad/data/silero_vad_16k.safetensors`` by NumPy alone (silero_vad's ``__init__`` imports
torch, so the package is located, never imported). The recurrent part is handed to the
accelerator as a one-layer PyTorch ``nn.LSTM`` (keys ``*_l0``).

Data: speech recordings of Debian's ``codec2-examples`` and ``pocketsphinx-testdata`` (WAV or raw
16-bit PCM; native 16 kHz, or 8 kHz upsampled here by a windowed-sinc filter). codec2's
``david4.wav`` and ``vk2tpm_004.wav`` are modem signals, not speech, and are not used. A
recording is cut into streams of at most :data:`STREAM_CHUNKS` chunks (8 s); each stream is
scored as silero scores one audio: zero context before its first chunk, zero state, a last chunk
zero-padded to 512 samples. The test split and a separate calibration split (``load("calib")``,
for any threshold or theta choice) are disjoint fixed file lists.

Metric ``agreement``: percent of valid chunks whose decision (probability > 0.5, silero's default
threshold) equals the decision of the exact float model (float front end, float LSTM, head).

Checked against the package (workloads/make_silero_ref.py, tests/workloads/test_silero.py): the
wheel's TorchScript model, run with these safetensors weights loaded into it, gives the same
probabilities to about 2e-6. Its own jit/ONNX weights are a different set (silero-vad issue #768):
their decisions agree with the safetensors model's on 98-99 % of chunks.

Ranges (both splits): the front-end outputs are ReLU outputs in [0, 12.1], 77 % exactly 0, so
they fit the Q5.11 data format; but the float cell state reaches |c| = 80 (about 1 % of values,
in 9 neurons, exceed 16) and saturates in fixed point, which costs little because h = o*tanh(c).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from core.errors import InputError
from core.params import params_from_state_dict
from golden.float_model import run_float
from workloads.base import Workload

NAME = "silero-vad"
SAMPLE_RATE = 16000
CHUNK = 512            # samples per chunk at 16 kHz
CONTEXT = 64           # samples of the previous chunk in front of each chunk
STREAM_CHUNKS = 250    # longest stream (8 s); longer recordings are cut into equal streams
THRESHOLD = 0.5        # silero's default speech threshold
HIDDEN = 128

_CODEC2 = "/usr/share/codec2"
_SPHINX = "/usr/share/pocketsphinx/test/data"
# (Debian package, path): fixed lists, chosen by content (speech with pauses, clean and radio);
# a ``.raw`` file is 16-bit little-endian PCM at 16 kHz (pocketsphinx's test format)
TEST_FILES = (
    ("pocketsphinx-testdata", f"{_SPHINX}/librivox/sense_and_sensibility_01_austen_64kb-0870.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/librivox/sense_and_sensibility_01_austen_64kb-0890.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/librivox/sense_and_sensibility_01_austen_64kb-0920.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/librivox/sense_and_sensibility_01_austen_64kb-0930.wav"),
    ("codec2-examples", f"{_CODEC2}/raw/speech_orig_16k.wav"),
    ("codec2-examples", f"{_CODEC2}/wav/ve9qrp.wav"),
)
CALIB_FILES = (
    ("pocketsphinx-testdata", f"{_SPHINX}/cards/001.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/cards/002.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/cards/003.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/cards/004.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/cards/005.wav"),
    ("pocketsphinx-testdata", f"{_SPHINX}/goforward.raw"),
    ("pocketsphinx-testdata", f"{_SPHINX}/numbers.raw"),
    ("pocketsphinx-testdata", f"{_SPHINX}/something.raw"),
    ("codec2-examples", f"{_CODEC2}/wav/vk5qi.wav"),
    ("codec2-examples", f"{_CODEC2}/wav/hts1a.wav"),
    ("codec2-examples", f"{_CODEC2}/wav/hts2a.wav"),
    ("codec2-examples", f"{_CODEC2}/wav/big_dog.wav"),
    ("codec2-examples", f"{_CODEC2}/wav/mmt1.wav"),
    ("codec2-examples", f"{_CODEC2}/wav/morig.wav"),
    ("codec2-examples", f"{_CODEC2}/wav/forig.wav"),
    ("codec2-examples", f"{_CODEC2}/wav/wia_16kHz.wav"),
)


# -- weights ------------------------------------------------------------------------------------

def weights_path() -> Path:
    """The wheel's safetensors file, found without importing ``silero_vad`` (it imports torch)."""
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the silero-vad package is missing: run `make data` "
                         "(pip install --no-deps silero-vad)")
    for root in spec.submodule_search_locations:
        path = Path(root) / "data" / "silero_vad_16k.safetensors"
        if path.is_file():
            return path
    raise InputError("silero_vad/data/silero_vad_16k.safetensors is missing from the package")


_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def read_safetensors(path) -> dict[str, np.ndarray]:
    """A safetensors file: 8-byte little-endian header length, JSON header, raw arrays."""
    blob = Path(path).read_bytes()
    if len(blob) < 8:
        raise InputError(f"{path} is too short for a safetensors file")
    n = int.from_bytes(blob[:8], "little")
    try:
        header = json.loads(blob[8:8 + n])
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: bad safetensors header: {e}") from None
    base = 8 + n
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise InputError(f"{path}: tensor {key} has unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        a = np.frombuffer(blob[base + start:base + end], dtype=_DTYPES[info["dtype"]])
        out[key] = a.reshape(info["shape"]).astype(np.float64)
    return out


def load_weights() -> dict[str, np.ndarray]:
    return read_safetensors(weights_path())


def lstm_params(weights: dict):
    """The LSTMCell as a one-layer ``nn.LSTM`` (:class:`core.params.RNNParams`)."""
    sd = {f"{k}_l0": weights[f"lstm_cell.{k}"]
          for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    return params_from_state_dict(sd, cell="lstm")


# -- the front end and the head (NumPy, float64) ------------------------------------------------

def _conv1d(x, w, b, stride):
    """``torch.nn.functional.conv1d`` with padding 1 over (N, C_in, L); ``w`` (C_out, C_in, K)."""
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2], axis=2)[:, :, ::stride]
    n, _, steps, _ = win.shape
    cols = win.transpose(0, 2, 1, 3).reshape(n * steps, -1)          # im2col: (n*L, C_in*K)
    y = cols @ w.reshape(w.shape[0], -1).T + b
    return y.reshape(n, steps, -1).transpose(0, 2, 1)


def chunk_windows(audio: np.ndarray) -> np.ndarray:
    """The model inputs of one stream, (chunks, 64 + 512): context + chunk, as silero feeds them."""
    n = max(1, -(-len(audio) // CHUNK))
    padded = np.zeros(CONTEXT + n * CHUNK)
    padded[CONTEXT:CONTEXT + len(audio)] = audio
    win = np.lib.stride_tricks.sliding_window_view(padded, CONTEXT + CHUNK)
    return win[::CHUNK][:n]


def encode(weights: dict, windows: np.ndarray) -> np.ndarray:
    """Front end: (chunks, 576) model inputs -> (chunks, 128) LSTM inputs (stateless per chunk)."""
    x = np.pad(windows, ((0, 0), (0, CONTEXT)), mode="reflect")       # (n, 640)
    basis = weights["stft_conv.weight"][:, 0, :]                      # (258, 256)
    frames = np.lib.stride_tricks.sliding_window_view(x, basis.shape[1], axis=1)[:, ::128]
    spec = frames @ basis.T                                           # (n, 4, 258)
    bins = basis.shape[0] // 2
    mag = np.sqrt(spec[..., :bins] ** 2 + spec[..., bins:] ** 2).transpose(0, 2, 1)
    h = mag
    for name, stride in (("conv1", 1), ("conv2", 2), ("conv3", 2), ("conv4", 1)):
        h = np.maximum(_conv1d(h, weights[f"{name}.weight"], weights[f"{name}.bias"], stride), 0)
    return h[:, :, 0]


def head(weights: dict, h: np.ndarray) -> np.ndarray:
    """Decoder head: LSTM h (..., 128) -> speech probability (...)."""
    w = weights["final_conv.weight"][0, :, 0]
    z = np.maximum(h, 0.0) @ w + weights["final_conv.bias"][0]
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def speech_probs(weights: dict, audio: np.ndarray) -> np.ndarray:
    """The whole float model on one stream (zero state and context at its start): (chunks,)."""
    x = encode(weights, chunk_windows(audio))[None]
    return head(weights, run_float(lstm_params(weights), x))[0]


# -- audio ----------------------------------------------------------------------------------------

def _lowpass_upsample(x: np.ndarray, factor: int, taps_per_phase: int = 32) -> np.ndarray:
    """Integer-factor upsampling: zero-stuff, then a Kaiser-windowed sinc low-pass (0.95 Nyquist
    of the input rate, gain ``factor``)."""
    half = taps_per_phase * factor
    n = np.arange(-half, half + 1)
    cutoff = 0.95 / (2 * factor)                     # cycles per output sample
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.kaiser(len(n), 8.0) * factor
    up = np.zeros(len(x) * factor)
    up[::factor] = x
    return np.convolve(up, h)[half:half + len(up)]


def read_audio(path) -> np.ndarray:
    """A 16-bit PCM recording as float64 in [-1, 1) at 16 kHz. WAV: channels averaged, as silero's
    ``read_audio``; 8 kHz and other divisors of 16 kHz upsampled, multiples decimated as silero's
    ``_validate_input`` does. ``.raw``: mono, little-endian, 16 kHz."""
    path = Path(path)
    if path.suffix == ".raw":
        try:
            return np.fromfile(path, dtype="<i2").astype(np.float64) / 32768.0
        except OSError as e:
            raise InputError(f"cannot read {path}: {e}") from None
    try:
        with wave.open(str(path)) as f:
            rate, channels, width = f.getframerate(), f.getnchannels(), f.getsampwidth()
            raw = f.readframes(f.getnframes())
    except (OSError, EOFError, wave.Error) as e:
        raise InputError(f"cannot read {path} as a WAV file: {e}") from None
    if width != 2:
        raise InputError(f"{path}: only 16-bit PCM is supported, not {8 * width}-bit")
    audio = np.frombuffer(raw, dtype="<i2").reshape(-1, channels).mean(axis=1) / 32768.0
    if rate == SAMPLE_RATE:
        return audio
    if rate % SAMPLE_RATE == 0:
        return audio[::rate // SAMPLE_RATE]
    if SAMPLE_RATE % rate == 0:
        return _lowpass_upsample(audio, SAMPLE_RATE // rate)
    raise InputError(f"{path}: sample rate {rate} Hz is not a divisor or multiple of 16 kHz")


def split_streams(audio: np.ndarray, max_chunks: int = STREAM_CHUNKS) -> list[np.ndarray]:
    """Cut a recording into the fewest streams of at most ``max_chunks`` chunks, equal in length
    (in whole chunks) but for the last."""
    chunks = max(1, -(-len(audio) // CHUNK))
    pieces = -(-chunks // max_chunks)
    per = -(-chunks // pieces) * CHUNK
    return [audio[k:k + per] for k in range(0, len(audio), per)]


def file_digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _missing(files) -> list:
    return [(pkg, p) for pkg, p in files if not Path(p).is_file()]


def encode_files(weights: dict, files, max_chunks: int = STREAM_CHUNKS):
    """Front-end outputs of every stream of ``files``, batched and zero-padded:
    ``x`` (streams, time, 128), ``lengths`` (streams,), ``sources`` (file index of each stream)."""
    missing = _missing(files)
    if missing:
        pkgs = " ".join(sorted({pkg for pkg, _ in missing}))
        raise InputError(f"{missing[0][1]} is missing: install the Debian package(s) {pkgs} "
                         "(`make data`)")
    feats, sources = [], []
    for k, (_, path) in enumerate(files):
        for stream in split_streams(read_audio(path), max_chunks):
            feats.append(encode(weights, chunk_windows(stream)))
            sources.append(k)
    lengths = np.array([len(f) for f in feats], dtype=np.int64)
    x = np.zeros((len(feats), int(lengths.max()), HIDDEN))
    for k, f in enumerate(feats):
        x[k, :len(f)] = f
    return x, lengths, np.array(sources, dtype=np.int64)


def valid_mask(lengths: np.ndarray, steps: int) -> np.ndarray:
    return np.arange(steps)[None, :] < np.asarray(lengths)[:, None]


# -- the workload ---------------------------------------------------------------------------------

@dataclass
class SileroVad(Workload):
    """Silero VAD: agreement (percent) of speech decisions with the exact float model."""

    split: str = "test"                          # "test" or "calib": which files test_x holds
    weights: dict = field(default_factory=dict, repr=False)
    float_probs: np.ndarray | None = None        # (batch, time) exact float model's probabilities
    sources: np.ndarray | None = None            # (batch,) index into the split's file list

    @property
    def float_decisions(self) -> np.ndarray:
        return self.float_probs > THRESHOLD

    def probabilities(self, h: np.ndarray) -> np.ndarray:
        """Speech probability of every chunk from the LSTM's h (batch, time, 128)."""
        return head(self.weights, np.asarray(h, dtype=np.float64))

    def score(self, h: np.ndarray) -> float:
        h = np.asarray(h, dtype=np.float64)
        if h.shape != self.test_x.shape[:2] + (HIDDEN,):
            raise InputError(f"h has shape {h.shape}, expected {self.test_x.shape[:2] + (HIDDEN,)}")
        decisions = self.probabilities(h) > THRESHOLD
        mask = valid_mask(self.test_lengths, h.shape[1])
        return 100.0 * float(np.mean((decisions == self.float_decisions)[mask]))

    def budget_for(self, baseline: float) -> float:
        return self.loss_budget * baseline        # 1 % of the baseline agreement


SPLITS = {"test": TEST_FILES, "calib": CALIB_FILES}


def load(split: str = "test") -> SileroVad:
    """The workload on the test split, or on the calibration split (``"calib"``: for choosing
    theta or any threshold without looking at the test files)."""
    if split not in SPLITS:
        raise InputError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    weights = load_weights()
    params = lstm_params(weights)
    # small matrix products: BLAS threads only contend on a busy machine
    with threadpool_limits(limits=1, user_api="blas"):
        x, lengths, sources = encode_files(weights, SPLITS[split])
        probs = head(weights, run_float(params, x))
    return SileroVad(
        name=NAME, metric="agreement", higher_is_better=True, loss_budget=0.01,
        params=params, test_x=x, test_lengths=lengths, split=split, weights=weights,
        float_probs=probs, sources=sources)
