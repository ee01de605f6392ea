"""The run-time choices ``epur run`` and ``epur simulate`` both let a command line override:
the reuse threshold(s), the comparison mode and the precision mode (``EpurConfig.with_overrides``
takes them under the same names)."""

from __future__ import annotations

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
