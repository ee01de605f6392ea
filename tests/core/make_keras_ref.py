"""Writes tests/core/data/keras/: small Keras 3 models saved by Keras itself (``.keras`` and
``.h5``) and Keras' own outputs on random inputs (``<case>.npz``: x and y, ``model.predict``).

Run with Keras installed (``pip install keras torch``; any backend, torch here):
``KERAS_BACKEND=torch python tests/core/make_keras_ref.py``. tests/core/test_keras_model.py
compares epur's import against these stored outputs always, and against live Keras when it is
installed (the same cases, built by :func:`build`).

Cases: a Sequential stack of two LSTM layers with names of the user's choosing, a Functional
one-layer LSTM, a Sequential stack of two GRU layers (``reset_after=True``, Keras' default); and
three that epur must refuse: a GRU with ``reset_after=False``, an LSTM whose
``recurrent_activation`` is ``hard_sigmoid`` and a stack of LSTM layers of 5 and 4 units.
"""

import logging
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

DATA = Path(__file__).parent / "data" / "keras"
X, BATCH, STEPS = 3, 4, 7
CASES = ("lstm2", "lstm_functional", "gru2", "gru_reset_before", "lstm_hard_sigmoid",
         "lstm_mixed_units")
REFUSED = {"gru_reset_before": "reset_after=False",
           "lstm_hard_sigmoid": "recurrent_activation 'hard_sigmoid'",
           "lstm_mixed_units": "5, 4 units"}
FORMATS = (".keras", ".h5")


def build(case: str, seed: int):
    """(Keras model, x) of ``case``, its weights drawn from ``seed`` (Keras' own initializers
    with random biases: Keras starts them at zero, which would leave their mapping untested)."""
    import keras

    keras.utils.set_random_seed(seed)
    layers = keras.layers
    if case == "lstm2":
        model = keras.Sequential([keras.Input((None, X)),
                                  layers.LSTM(5, return_sequences=True, name="encoder"),
                                  layers.LSTM(5, return_sequences=True, name="decoder")])
    elif case == "lstm_functional":
        inputs = keras.Input((None, X))
        model = keras.Model(inputs, layers.LSTM(6, return_sequences=True)(inputs))
    elif case == "gru2":
        model = keras.Sequential([keras.Input((None, X)),
                                  layers.GRU(5, return_sequences=True),
                                  layers.GRU(5, return_sequences=True)])
    elif case == "lstm_mixed_units":
        model = keras.Sequential([keras.Input((None, X)),
                                  layers.LSTM(5, return_sequences=True),
                                  layers.LSTM(4, return_sequences=True)])
    elif case == "gru_reset_before":
        model = keras.Sequential([keras.Input((None, X)),
                                  layers.GRU(4, return_sequences=True, reset_after=False)])
    else:
        model = keras.Sequential([keras.Input((None, X)),
                                  layers.LSTM(4, return_sequences=True,
                                              recurrent_activation="hard_sigmoid")])
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            weights[-1] = rng.uniform(-0.5, 0.5, weights[-1].shape).astype(weights[-1].dtype)
            layer.set_weights(weights)
    x = rng.normal(0, 1, (BATCH, STEPS, X)).astype(np.float32)
    return model, x


def save(model, stem: Path) -> list[Path]:
    """The model saved by Keras in each format: ``<stem>.keras`` and ``<stem>.h5``."""
    out = []
    for suffix in FORMATS:
        path = stem.with_suffix(suffix)
        model.save(path)
        out.append(path)
    return out


def main():
    logging.getLogger("absl").setLevel(logging.ERROR)      # .h5 is "legacy": we want it too
    DATA.mkdir(parents=True, exist_ok=True)
    for seed, case in enumerate(CASES):
        model, x = build(case, seed)
        save(model, DATA / case)
        y = np.asarray(model.predict(x, verbose=0))
        np.savez_compressed(DATA / f"{case}.npz", x=x, y=y)
    import keras

    print(f"wrote {len(CASES)} cases into {DATA.name}/ (Keras {keras.__version__}, backend "
          f"{keras.backend.backend()})")


if __name__ == "__main__":
    main()
