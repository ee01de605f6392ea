"""The silero-vad workload: NumPy model against the package's TorchScript model, data, metric."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from core.errors import InputError
from core.params import config_for
from golden.float_model import run_float
from golden.model import run_fixed
from workloads import silero

# one pytest-xdist worker runs the module: its module fixture is built once
pytestmark = pytest.mark.xdist_group("workloads.test_silero")

REF = Path(__file__).parent / "data" / "silero_ref.npz"
SEED = 5


def _have_data() -> bool:
    try:
        silero.weights_path()
    except InputError:
        return False
    return all(Path(p).is_file() for _, p in silero.TEST_FILES + silero.CALIB_FILES)


needs_data = pytest.mark.skipif(not _have_data(), reason="run `make data` (silero-vad, speech)")


@pytest.fixture(scope="module")
def weights():
    return silero.load_weights()


@pytest.fixture(scope="module")
def workload():
    return silero.load()


@pytest.fixture(scope="module")
def calib():
    return silero.load("calib")


@pytest.fixture(scope="module")
def ref():
    with np.load(REF) as f:
        return {k: f[k] for k in f.files}


# -- pieces against independent references -------------------------------------------------------

def _write_safetensors(path, arrays, header_extra=None):
    header, blobs, offset = dict(header_extra or {}), [], 0
    for name, (dtype, a) in arrays.items():
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    Path(path).write_bytes(len(text).to_bytes(8, "little") + text + b"".join(blobs))


def test_read_safetensors_round_trip(tmp_path):
    rng = np.random.default_rng(SEED)
    a = rng.standard_normal((3, 4)).astype("<f4")
    b = rng.standard_normal(5).astype("<f8")
    _write_safetensors(tmp_path / "m.safetensors", {"a": ("F32", a), "b": ("F64", b)},
                       {"__metadata__": {"format": "pt"}})
    got = silero.read_safetensors(tmp_path / "m.safetensors")
    assert sorted(got) == ["a", "b"]
    np.testing.assert_array_equal(got["a"], a.astype(np.float64))
    np.testing.assert_array_equal(got["b"], b)


@pytest.mark.parametrize("blob, match", [
    (b"\x01\x00", "too short"),
    ((5).to_bytes(8, "little") + b"{oops", "bad safetensors header"),
])
def test_read_safetensors_rejects_bad_files(tmp_path, blob, match):
    (tmp_path / "bad.safetensors").write_bytes(blob)
    with pytest.raises(InputError, match=match):
        silero.read_safetensors(tmp_path / "bad.safetensors")


def test_read_safetensors_rejects_unknown_dtype(tmp_path):
    _write_safetensors(tmp_path / "m.safetensors", {"a": ("BF16", np.zeros(2, "<u2"))})
    with pytest.raises(InputError, match="unsupported dtype BF16"):
        silero.read_safetensors(tmp_path / "m.safetensors")


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("length", [1, 4, 5])
def test_conv1d_matches_direct_sum(stride, length):
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((2, 3, length))
    w = rng.standard_normal((4, 3, 3))
    b = rng.standard_normal(4)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1)))
    steps = (length + 2 - 3) // stride + 1
    want = np.zeros((2, 4, steps))
    for n in range(2):
        for o in range(4):
            for t in range(steps):
                want[n, o, t] = b[o] + np.sum(w[o] * xp[n, :, t * stride:t * stride + 3])
    np.testing.assert_allclose(silero._conv1d(x, w, b, stride), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("samples", [1, 511, 512, 513, 2048])
def test_chunk_windows_carry_64_samples_of_context(samples):
    audio = np.arange(1, samples + 1, dtype=np.float64)
    win = silero.chunk_windows(audio)
    chunks = -(-samples // 512)
    assert win.shape == (chunks, 576)
    padded = np.concatenate([audio, np.zeros(chunks * 512 - samples)])
    for k in range(chunks):
        context = np.zeros(64) if k == 0 else padded[k * 512 - 64:k * 512]
        np.testing.assert_array_equal(win[k], np.concatenate([context, padded[k * 512:][:512]]))


@pytest.mark.parametrize("chunks, max_chunks, want", [
    (1, 250, [1]), (250, 250, [250]), (251, 250, [126, 125]), (3514, 250, [235] * 14 + [224]),
])
def test_split_streams(chunks, max_chunks, want):
    audio = np.ones(chunks * 512 - 100)            # a partial last chunk
    streams = silero.split_streams(audio, max_chunks)
    assert [-(-len(s) // 512) for s in streams] == want
    np.testing.assert_array_equal(np.concatenate(streams), audio)


def _write_wav(path, samples, rate, channels=1, width=2):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(samples.tobytes())


@pytest.mark.parametrize("rate", [8000, 16000, 32000, 48000])
def test_read_audio_resamples_to_16k(tmp_path, rate):
    t = np.arange(rate) / rate                     # one second of a 440 Hz tone
    tone = np.round(0.5 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    _write_wav(tmp_path / "tone.wav", np.stack([tone, tone], axis=1), rate, channels=2)
    audio = silero.read_audio(tmp_path / "tone.wav")
    assert len(audio) == 16000
    ts = np.arange(16000) / 16000
    want = 0.5 * 32767 / 32768 * np.sin(2 * np.pi * 440 * ts)
    inner = slice(200, -200)                       # the filter's edges
    np.testing.assert_allclose(audio[inner], want[inner], atol=2e-3)


@pytest.mark.parametrize("rate, width, match", [
    (16000, 1, "only 16-bit PCM"), (11025, 2, "11025 Hz is not a divisor or multiple"),
])
def test_read_audio_rejects(tmp_path, rate, width, match):
    _write_wav(tmp_path / "x.wav", np.zeros(100, dtype=f"<i{width}" if width > 1 else "u1"),
               rate, width=width)
    with pytest.raises(InputError, match=match):
        silero.read_audio(tmp_path / "x.wav")


def test_read_audio_raw_is_16k_pcm(tmp_path):
    pcm = np.array([0, 16384, -32768, 32767], dtype="<i2")
    pcm.tofile(tmp_path / "x.raw")
    np.testing.assert_array_equal(silero.read_audio(tmp_path / "x.raw"), pcm / 32768.0)


# -- the NumPy model against the package's own model ------------------------------------------

@needs_data
@pytest.mark.parametrize("k", range(4))
def test_probabilities_match_torchscript_reference(weights, ref, k):
    """Stored by workloads/make_silero_ref.py from silero's jit running the safetensors weights."""
    path = str(ref["files"][k])
    assert silero.file_digest(path) == str(ref[f"sha256_{k}"]), f"{path} changed"
    probs = silero.speech_probs(weights, silero.read_audio(path))
    np.testing.assert_allclose(probs, ref[f"probs_{k}"], rtol=0, atol=1e-5)


@needs_data
def test_front_end_matches_torchscript_reference(weights, ref):
    audio = silero.read_audio(str(ref["files"][0]))
    feats = silero.encode(weights, silero.chunk_windows(audio))
    np.testing.assert_allclose(feats, ref["features_0"], rtol=1e-5, atol=1e-5)


@needs_data
@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
def test_live_torchscript_matches(weights):
    """With torch installed: the jit's own forward code on a fresh recording of the test split."""
    torch = pytest.importorskip("torch")
    from workloads import make_silero_ref as mk

    torch.set_num_threads(1)
    model = torch.jit.load(str(mk.jit_path()), map_location="cpu")
    model.eval()
    mk.load_safetensors_into(model, weights)
    audio = silero.read_audio(silero.CALIB_FILES[0][1])     # cards/001.wav, not in the .npz
    np.testing.assert_allclose(silero.speech_probs(weights, audio), mk.jit_probs(model, audio),
                               rtol=0, atol=1e-5)


# -- the workload ---------------------------------------------------------------------------------

@needs_data
def test_workload_layout(workload):
    w = workload
    assert (w.name, w.metric, w.higher_is_better) == ("silero-vad", "agreement", True)
    p = w.params
    assert (p.cell, p.input_size, p.hidden_size, p.num_layers) == ("lstm", 128, 128, 1)
    batch, steps, features = w.test_x.shape
    assert features == 128 and steps == w.test_lengths.max() <= silero.STREAM_CHUNKS
    assert w.test_lengths.sum() == 4627                      # 148.1 s of speech recordings
    mask = silero.valid_mask(w.test_lengths, steps)
    assert np.all(w.test_x[~mask] == 0)
    assert w.split == "test" and len(w.sources) == batch
    assert w.budget_for(99.0) == pytest.approx(0.99)


@needs_data
def test_calibration_split_is_disjoint(calib):
    assert calib.split == "calib" and calib.test_lengths.sum() == 1574    # 50.4 s
    assert not {p for _, p in silero.TEST_FILES} & {p for _, p in silero.CALIB_FILES}
    assert calib.score(run_float(calib.params, calib.test_x)) == 100.0


def test_load_rejects_unknown_split():
    with pytest.raises(InputError, match="split must be one of test, calib, not 'train'"):
        silero.load("train")


@needs_data
def test_front_end_outputs_fit_the_data_format(workload, calib):
    """Q5.11 holds |v| < 16: the front end's outputs (ReLU, so >= 0) never saturate."""
    fmt = config_for(workload.params).data_format
    for w in (workload, calib):
        assert w.test_x.min() >= 0
        assert w.test_x.max() < fmt.max_value


@needs_data
def test_score_of_the_float_model_is_100(workload):
    assert workload.score(run_float(workload.params, workload.test_x)) == 100.0


@needs_data
def test_score_counts_agreeing_chunks(workload):
    """h = 0 makes every chunk's probability sigmoid(bias): one constant decision."""
    h = np.zeros(workload.test_x.shape)
    const = workload.probabilities(h[:1, :1])[0, 0] > silero.THRESHOLD
    mask = silero.valid_mask(workload.test_lengths, h.shape[1])
    want = 100.0 * np.mean(workload.float_decisions[mask] == const)
    assert workload.score(h) == pytest.approx(want)
    assert 5 < want < 95                                 # the split holds speech and non-speech


@needs_data
def test_score_rejects_wrong_shape(workload):
    with pytest.raises(InputError, match="h has shape"):
        workload.score(np.zeros((1, 2, 128)))


@needs_data
def test_fixed_point_within_budget_of_float(workload):
    cfg = config_for(workload.params)
    res = run_fixed(cfg, workload.params, workload.test_x, workload.test_lengths,
                    predictor="none")
    agreement = workload.score(res.h)
    assert 100.0 - agreement <= workload.budget_for(100.0)
