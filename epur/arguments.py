"""The run-time choices ``epur run`` and ``epur simulate`` both let a command line override:
the reuse threshold(s), the comparison mode and the precision mode (``EpurConfig.with_overrides``
takes them under the same names)."""

from __future__ import annotations

from pathlib import Path

from core.config import MODES, PRECISIONS


def add_overrides(p) -> None:
    """``--theta``, ``--theta-h``, ``--mode``, ``--precision``, ``--precision-theta``."""
    p.add_argument("--theta", type=float, help="override the config's threshold")
    p.add_argument("--theta-h", type=float,
                   help="delta: threshold of the h elements (default: --theta)")
    p.add_argument("--mode", choices=MODES, help="override the comparison mode")
    p.add_argument("--precision", choices=PRECISIONS,
                   help="dynamic precision: static (every step full), dynamic (the tracker "
                        "chooses per layer step) or low (every step low); default: the config's")
    p.add_argument("--precision-theta", type=float, metavar="T",
                   help="override the config's dynamic-precision threshold (a layer's next step "
                        "is low when no neuron of its tracked state moved by more than T)")


def add_slots(p, policy: bool = True) -> None:
    """``--slots S`` (the batched build, E-BATCH) and, with ``policy``, ``--policy P`` and
    ``--steps-per-batch T`` (the runtime's schedule of the sequences on the slots)."""
    p.add_argument("--slots", type=int, metavar="S",
                   help="sequence slots of the batched build (E-BATCH; default: the config's, "
                        "1 = unbatched)")
    if policy:
        p.add_argument("--policy", choices=("single", "padded", "ebatch"),
                       help="with --slots: how the runtime fills the slots (default ebatch)")
        p.add_argument("--steps-per-batch", type=int, default=1, metavar="T",
                       help="ebatch: refill points every T batch steps (default 1)")


def with_slots(cfg, slots):
    """``cfg`` with ``--slots`` (None keeps the config's); a bad count is one line (exit 2)."""
    import dataclasses

    return cfg if slots is None else dataclasses.replace(cfg, slots=slots)


def batched(cfg, args) -> bool:
    """The command runs the batched runtime: ``--slots``/``--policy`` given, or a batched
    config (then ``--policy`` defaults to ebatch)."""
    return args.slots is not None or args.policy is not None or cfg.slots > 1


def add_ghost_ratio(p) -> None:
    """``--ghost-ratio R``: the fraction of h made by the cheap operation (GhostRNN)."""
    p.add_argument("--ghost-ratio", type=float, metavar="R",
                   help="ghost states: a fraction in [0, 1) of the hidden state made by the "
                        "cheap operation (0: none); default: the config's, or the model's")


def with_ghost_ratio(cfg, ratio, params=None):
    """``cfg`` with ``--ghost-ratio`` (None keeps it), checked against ``params`` when given:
    a bad ratio or a model of other ghost sizes is one line (exit 2)."""
    import dataclasses

    from core.params import check_matches

    if ratio is not None:
        cfg = dataclasses.replace(cfg, ghost_ratio=ratio)
    if params is not None:
        check_matches(cfg, params)
    return cfg


def add_user_model(p, role: str) -> None:
    """``--model M`` (its help says the ``role`` it plays) and ``--inputs X``: a user's own model
    and its inputs, as ``evaluate`` and ``explore`` take them."""
    p.add_argument("--model", type=Path, metavar="M",
                   help=f"{role} (.npz/.pt state_dict, Keras .h5/.keras, ONNX .onnx); needs "
                        f"--inputs")
    p.add_argument("--inputs", type=Path, metavar="X",
                   help="with --model: .npz with x (batch, time, features), optionally lengths")
