"""The one configuration object: every parameter of an epur accelerator and its golden model.

``EpurConfig`` is frozen; variants are ``dataclasses.replace(DEFAULT, ...)``. It validates in
``__post_init__`` with messages that name the parameter and the bad value, and derives every other
number (memory depths, signal widths, cycle counts) as properties, so no second copy of a number
exists anywhere. ``epur generate`` writes it as JSON beside the Verilog; the golden model, cocotb
and the reports read that file back with :func:`load_config`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core import layout
from core.errors import InputError
from core.fixed import FixedFormat, signed_bits_for
from core.io import write_atomic

CELLS = ("lstm", "gru")
PREDICTORS = ("none", "bnn", "mbnn", "oracle", "delta")
HW_PREDICTORS = ("none", "bnn", "delta")
MODES = ("relative", "absolute")
# dynamic precision (docs/architecture.md, "Dynamic precision"): "static" every step at the full
# formats, "low" every step at the low precision, "dynamic" the tracker chooses per layer step
PRECISIONS = ("static", "dynamic", "low")
LOW_BITS = 8                   # width of a low-precision weight and data word
GATE_NAMES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
# Limits of generation (docs/formats.md, "Size limits"): generating the Verilog takes time that
# grows with the square of H and of B (default config on 2 cores: H 256 17 s, 384 39 s, 512 81 s;
# a 4x4 LSTM: B 256 12 s, 512 44 s, 1024 142 s), and Amaranth's netlist holds no signal wider
# than 65535 bits (at H = 4096 the output buffer of H data words asserts).
MAX_HIDDEN = 384
MAX_BNN_BITS = 256
MAX_SIGNAL_BITS = (1 << 16) - 1
# E-BATCH (docs/architecture.md, "The batched build"): each slot holds its own h, c and memo
# entries; 64 slots of the largest hardware config already hold 64 x 384 x 8 data words of state
MAX_SLOTS = 64


def _fmt(**kw):
    return field(default_factory=lambda: FixedFormat(**kw))


@dataclass(frozen=True)
class EpurConfig:
    """Parameters of one accelerator (see docs/formats.md for the numbers they control)."""

    name: str = "epur_lstm"
    cell: str = "lstm"
    input_size: int = 12
    hidden_size: int = 64
    layers: int = 1
    lanes: int = 8                 # N: multipliers of each dot-product unit
    bnn_bits: int = 40             # B: sign bits XNOR-popcounted per cycle by each BNN unit
    shadow_bits: int = 5           # bits per weight and input of the mbnn shadow (golden/shadow.py)
    weight_format: FixedFormat = _fmt(width=16, frac=12)
    data_format: FixedFormat = _fmt(width=16, frac=11)   # x, h, c, gate outputs, pre-activations
    lut_frac: int = 7              # activation table step is 2**-lut_frac
    lut_int: int = 3               # activation table covers [-2**lut_int, 2**lut_int)
    predictor: str = "bnn"
    mode: str = "relative"
    theta: float = 0.375           # a start; choose per model: epur evaluate --choose-on-val
    theta_format: FixedFormat = _fmt(width=16, frac=8, signed=False)
    theta_h: float | None = None   # delta only: threshold of the h elements (None: theta)
    reuse_cap: int = 0             # 0: no cap on consecutive reuses
    counter_width: int = 32
    precision: str = "static"      # "static" (full), "dynamic" (the tracker chooses), "low"
    precision_theta: float = 0.0625   # dynamic: a step whose tracked state moved by no more
    #                                   than this (every neuron) makes the layer's next step low
    low_data_frac: int = 6         # low-precision data word: Q(LOW_BITS, low_data_frac)
    slots: int = 1                 # S: sequences in flight (E-BATCH); 1 is the unbatched build
    ghost_ratio: float = 0.0       # GhostRNN: fraction of h made by the cheap operation (0: off)

    def __post_init__(self):
        def check_int(key, lo, hi=None):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int):
                raise ValueError(f"{key} must be an integer, not {v!r}")
            if v < lo or (hi is not None and v > hi):
                bound = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
                raise ValueError(f"{key} must be {bound}, not {v}")

        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"name must be a Verilog-safe identifier, not {self.name!r}")
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        check_int("input_size", 1, 4096)
        check_int("hidden_size", 1, 4096)
        check_int("layers", 1, 8)
        check_int("lanes", 1, 64)
        check_int("bnn_bits", 1, 1024)
        check_int("shadow_bits", 2, 16)
        check_int("lut_frac", 0, 12)
        check_int("lut_int", 1, 6)
        check_int("reuse_cap", 0, 1 << 16)
        check_int("counter_width", 16, 64)
        for key in ("weight_format", "data_format", "theta_format"):
            if not isinstance(getattr(self, key), FixedFormat):
                raise ValueError(f"{key} must be a fixed-point format, not {getattr(self, key)!r}")
        for key in ("weight_format", "data_format"):
            if not getattr(self, key).signed:
                raise ValueError(f"{key} must be signed")
        if self.theta_format.signed:
            raise ValueError("theta_format must be unsigned")
        if self.lut_frac > self.data_format.frac:
            raise ValueError(
                f"lut_frac ({self.lut_frac}) cannot exceed the data format's fraction bits "
                f"({self.data_format.frac})")
        if self.lut_int + 1 > self.data_format.width - self.data_format.frac:
            raise ValueError(
                f"the activation table range 2**{self.lut_int} does not fit the data format "
                f"{self.data_format} (needs {self.lut_int + 1} integer bits)")
        if self.predictor not in PREDICTORS:
            raise ValueError(
                f"predictor must be one of {', '.join(PREDICTORS)}, not {self.predictor!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if isinstance(self.theta, bool) or not isinstance(self.theta, (int, float)):
            raise ValueError(f"theta must be a number, not {self.theta!r}")
        if not math.isfinite(self.theta) or self.theta < 0:
            raise ValueError(f"theta must be a finite number >= 0, not {self.theta}")
        if self.theta_h is not None:
            if isinstance(self.theta_h, bool) or not isinstance(self.theta_h, (int, float)):
                raise ValueError(f"theta_h must be a number, not {self.theta_h!r}")
            if not math.isfinite(self.theta_h) or self.theta_h < 0:
                raise ValueError(f"theta_h must be a finite number >= 0, not {self.theta_h}")
        self._check_precision(check_int)
        self._check_slots(check_int)
        self._check_ghost()
        for key in ("theta", "theta_h") if self.predictor == "delta" else ("theta",):
            value = getattr(self, key)
            if self.predictor in HW_PREDICTORS and value is not None \
                    and value > self.theta_format.max_value:
                raise ValueError(
                    f"{key} {value} exceeds the theta register's range "
                    f"(max {self.theta_format.max_value} in {self.theta_format})")

    def _check_precision(self, check_int) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}")
        check_int("low_data_frac", 0, 47)
        theta = self.precision_theta
        if isinstance(theta, bool) or not isinstance(theta, (int, float)):
            raise ValueError(f"precision_theta must be a number, not {theta!r}")
        if not math.isfinite(theta) or not 0 <= theta <= self.data_format.max_value:
            raise ValueError(f"precision_theta must be in 0..{self.data_format.max_value} "
                             f"(the data format {self.data_format}), not {theta}")
        if self.precision == "static":
            return
        if self.low_data_frac > self.data_format.frac:
            raise ValueError(
                f"low_data_frac must be in 0..{self.data_format.frac} (the data format "
                f"{self.data_format}'s fraction bits) for precision {self.precision}, not "
                f"{self.low_data_frac}")
        if self.weight_format.width <= LOW_BITS:
            raise ValueError(
                f"precision {self.precision} needs weights wider than the {LOW_BITS}-bit low "
                f"precision, not {self.weight_format.width} bits")
        if self.predictor == "delta":
            raise ValueError(
                f"precision {self.precision} does not compose with predictor delta: its "
                f"pre-activation memory accumulates W*delta over the whole sequence, and a step "
                f"at another precision would leave its error in every later step")

    def _check_slots(self, check_int) -> None:
        check_int("slots", 1, MAX_SLOTS)
        if self.slots == 1:
            return
        if self.predictor == "delta":
            raise ValueError(
                f"slots {self.slots} does not compose with predictor delta: its delta encoder "
                f"and pre-activation memory hold one sequence's history (use slots 1)")
        if self.precision != "static":
            raise ValueError(
                f"slots {self.slots} needs precision static, not {self.precision!r}: the "
                f"batched build shares each weight read between slots at one precision")

    def _check_ghost(self) -> None:
        r = self.ghost_ratio
        if isinstance(r, bool) or not isinstance(r, (int, float)):
            raise ValueError(f"ghost_ratio must be a number, not {r!r}")
        if not math.isfinite(r) or not 0 <= r < 1:
            raise ValueError(f"ghost_ratio must be in [0, 1) (0: no ghost states), not {r}")
        if r == 0:
            return
        g = self.ghost_size
        if g == 0:
            raise ValueError(f"ghost_ratio {r} leaves no ghost state: round({r} * hidden_size "
                             f"{self.hidden_size}) is 0")
        if g == self.hidden_size:
            raise ValueError(f"ghost_ratio {r} leaves no intrinsic state: round({r} * "
                             f"hidden_size {self.hidden_size}) is all {g} states")
        why = None
        if self.predictor == "delta":
            why = ("predictor delta: its pre-activation memory and delta encoder are laid out "
                   "for H neurons a gate")
        elif self.precision != "static":
            why = f"precision {self.precision}: the ghost pass has no low-precision path"
        elif self.slots != 1:
            why = f"slots {self.slots}: the batched build has no ghost pass"
        if why:
            raise ValueError(f"ghost_ratio {r} does not compose with {why}")

    # -- derived parameters -------------------------------------------------------------------

    @property
    def ghost_size(self) -> int:
        """G: ghost states per layer, ``round(ghost_ratio * H)`` (0: the plain model)."""
        return round(self.ghost_ratio * self.hidden_size)

    @property
    def intrinsic_size(self) -> int:
        """I = H - G: the states the cell computes, the rows of each gate (H without ghost)."""
        return self.hidden_size - self.ghost_size

    @property
    def ghost(self) -> bool:
        """True when the model has a ghost pass (``ghost_ratio`` > 0)."""
        return self.ghost_size > 0

    @property
    def gate_names(self) -> tuple[str, ...]:
        return GATE_NAMES[self.cell]

    @property
    def gates(self) -> int:
        return len(self.gate_names)

    @property
    def saturation_quantities(self) -> tuple[str, ...]:
        """What the saturation counters count per layer (docs/formats.md): ``pre``
        (pre-activations), ``c`` (the LSTM's cell state), ``h``."""
        return ("pre", "c", "h") if self.cell == "lstm" else ("pre", "h")

    @property
    def saturation_counters(self) -> dict[str, tuple[str, int]]:
        """The saturation counters by their RTL name ``sat_<quantity>_l<layer>``:
        name -> (quantity, layer)."""
        return {f"sat_{q}_l{k}": (q, k) for k in range(self.layers)
                for q in self.saturation_quantities}

    @property
    def counter_names(self) -> tuple[str, ...]:
        """Every counter of the RTL (top-level output ports): ``cycles``, ``computed_<gate>``,
        ``reused_<gate>``, then the saturation counters."""
        return ("cycles", *(f"{k}_{g}" for k in ("computed", "reused") for g in self.gate_names),
                *self.saturation_counters, *self.precision_counters)

    @property
    def precision_counters(self) -> tuple[str, ...]:
        """Layer steps run at full and at low precision (builds with a precision mode)."""
        return () if self.precision == "static" else ("steps_high", "steps_low")

    def gate_function(self, gate: int) -> str:
        """What the MU of ``gate`` computes: ``tanh`` (LSTM g), ``pair`` (GRU n: the two
        requantized pre-activations, combined by the cell unit) or ``sigmoid``."""
        name = self.gate_names[gate]
        if self.cell == "lstm":
            return "tanh" if name == "g" else "sigmoid"
        return "pair" if name == "n" else "sigmoid"

    @property
    def memo(self) -> bool:
        """True when the hardware carries the BNN, comparator and memo buffer."""
        return self.predictor == "bnn"

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.hidden_size

    def row_length(self, layer: int) -> int:
        """Inputs of every gate neuron of ``layer``: X + H (the concatenated [x, h])."""
        return self.layer_input_size(layer) + self.hidden_size

    def dpu_cycles(self, layer: int) -> int:
        """DPU cycles of one computed neuron: ceil((X + H) / N)."""
        return -(-self.row_length(layer) // self.lanes)

    def bnn_cycles(self, layer: int) -> int:
        """BNN cycles of one neuron: ceil((X + H) / B)."""
        return -(-self.row_length(layer) // self.bnn_bits)

    @property
    def ghost_lanes(self) -> int:
        """N_g: multipliers of the ghost unit (hw/ghost.py), the fewest that take a W_gh column
        in no more cycles than the cell's baseline writes are apart (the smallest Kd):
        ``min(N, ceil(G / min Kd))``; 0 without ghost states."""
        kd = min(self.dpu_cycles(k) for k in range(self.layers))
        return min(self.lanes, -(-self.ghost_size // kd))

    @property
    def ghost_words(self) -> int:
        """P: cycles (words of N_g weights) the ghost unit takes a W_gh column, ceil(G / N_g)."""
        return -(-self.ghost_size // self.ghost_lanes) if self.ghost else 0

    def low_dpu_cycles(self, layer: int) -> int:
        """DPU cycles of one computed neuron in a low-precision step (2N products a cycle):
        ceil((X + H) / 2N)."""
        return -(-self.row_length(layer) // (2 * self.lanes))

    @property
    def low_weight_shift(self) -> int:
        """A low-precision weight is the weight rounded to its upper LOW_BITS bits: it counts
        ``2**low_weight_shift`` weight ulps."""
        return self.weight_format.width - LOW_BITS

    @property
    def low_data_shift(self) -> int:
        """A low-precision data word counts ``2**low_data_shift`` data ulps."""
        return self.data_format.frac - self.low_data_frac

    @property
    def precision_theta_int(self) -> int:
        """The tracker's threshold as the data-format integer its register holds."""
        return int(self.data_format.quantize(self.precision_theta))

    @property
    def max_sequence_length(self) -> int:
        """The longest sequence a slot of the batched build takes: the step tag planned for its
        output (docs/architecture.md, "The batched build") has ``counter_width`` bits."""
        return 1 << self.counter_width

    @property
    def max_row_length(self) -> int:
        return max(self.row_length(layer) for layer in range(self.layers))

    @property
    def acc_frac(self) -> int:
        return self.weight_format.frac + self.data_format.frac

    @property
    def acc_width(self) -> int:
        """Accumulator width: every product and the bias summed over X + H + 1 terms, exactly."""
        w, d = self.weight_format, self.data_format
        bound = (self.max_row_length + 1) * (-w.min_int) * (-d.min_int)
        if self.precision != "static":     # low products, shifted back to the full scale
            low = 1 << (2 * (LOW_BITS - 1) + self.low_weight_shift + self.low_data_shift)
            bound = max(bound, self.max_row_length * low + (-w.min_int) * (-d.min_int))
        return signed_bits_for(-bound, bound)

    @property
    def yb_width(self) -> int:
        """Width of a BNN output yb in [-(X+H), X+H]."""
        return signed_bits_for(-self.max_row_length, self.max_row_length)

    @property
    def lut_entries(self) -> int:
        return 1 << (self.lut_int + self.lut_frac + 1)

    @property
    def theta_int(self) -> int:
        """theta as the integer held by the theta register."""
        return int(self.theta_format.quantize(min(self.theta, self.theta_format.max_value)))

    @property
    def theta_h_int(self) -> int:
        """The delta build's h threshold as the integer its register holds (``theta_h``, or
        ``theta`` when ``theta_h`` is None)."""
        value = self.theta if self.theta_h is None else self.theta_h
        return int(self.theta_format.quantize(min(value, self.theta_format.max_value)))

    @property
    def delta_words(self) -> int:
        """P: words of one weight column in the delta build (N neurons a word): ceil(H / N)."""
        return -(-self.hidden_size // self.lanes)

    @property
    def reuse_count_width(self) -> int:
        return max(1, self.reuse_cap.bit_length())

    @property
    def weight_address_bits(self) -> int:
        return layout.address_bits(self)

    def weight_address(self, kind: int, layer: int, gate: int, row: int, col: int = 0) -> int:
        """Address on the weight load port (core/layout.py): kind 0 weight, 1 bias, 2 b_hn."""
        return layout.weight_address(self, kind, layer, gate, row, col)

    @property
    def theta_max(self) -> float:
        """The largest threshold the theta register holds."""
        return self.theta_format.max_value

    # -- variants ------------------------------------------------------------------------------

    def with_overrides(self, predictor: str | None = None, theta: float | None = None,
                       mode: str | None = None, theta_h: float | None = None,
                       precision: str | None = None,
                       precision_theta: float | None = None) -> EpurConfig:
        """This config with the run-time choices a command line or sweep overrides (``None``
        keeps the config's own); validated like any config."""
        changes = {k: v for k, v in (("predictor", predictor), ("theta", theta), ("mode", mode),
                                     ("theta_h", theta_h), ("precision", precision),
                                     ("precision_theta", precision_theta)) if v is not None}
        return dataclasses.replace(self, **changes) if changes else self

    def builds(self) -> dict[str, EpurConfig]:
        """The pair every area and cycle comparison uses (SPEC 2): ``baseline`` (predictor none:
        no BNN, comparator or memo buffer) and ``memo`` (predictor bnn), same parameters."""
        return {"baseline": dataclasses.replace(self, predictor="none"),
                "memo": dataclasses.replace(self, predictor="bnn")}

    def delta_build(self) -> EpurConfig:
        """The delta build of the same parameters (column-major weights, delta encoder,
        pre-activation memory: docs/architecture.md); it has no reuse cap."""
        return dataclasses.replace(self, predictor="delta", reuse_cap=0)

    def require_hardware(self) -> EpurConfig:
        """This config, if hardware can be built for its predictor; else an InputError."""
        if self.predictor not in HW_PREDICTORS:
            raise InputError(
                f"predictor {self.predictor!r} is software-only (golden model: epur run and "
                f"evaluate); the hardware implements {', '.join(HW_PREDICTORS)}")
        # limits of the generator, not of the golden model (docs/formats.md, "Size limits")
        slow = " (generating the Verilog takes time growing with its square: {} s at {} on 2 cores)"
        for key, top, why in (("hidden_size", MAX_HIDDEN, slow.format(81, 512)),
                              ("bnn_bits", MAX_BNN_BITS, slow.format(44, 512))):
            if getattr(self, key) > top:
                raise InputError(f"hardware {key} must be in 1..{top}, not "
                                 f"{getattr(self, key)}{why}")
        if self.precision != "static":
            for what, fmt in (("weight", self.weight_format), ("data", self.data_format)):
                if fmt.width < 2 * LOW_BITS:
                    raise InputError(
                        f"precision {self.precision} hardware needs a {what} format of at least "
                        f"{2 * LOW_BITS} bits (a lane carries two {LOW_BITS}-bit low words), "
                        f"not {fmt}")
        if self.predictor == "delta" and self.reuse_cap:
            raise InputError(
                f"the delta build reuses no neuron, so it has no reuse counter: reuse_cap must "
                f"be 0 for predictor delta, not {self.reuse_cap}")
        words = max(self.input_size + self.hidden_size, self.layers * self.hidden_size)
        if words * self.data_format.width > MAX_SIGNAL_BITS:
            raise InputError(
                f"the widest register holds {words} data words of {self.data_format.width} bits "
                f"(the larger of X + H, v = [x, h], and L * H, the cell's state): "
                f"{words * self.data_format.width} bits, more than the {MAX_SIGNAL_BITS} "
                f"bits Amaranth allows one signal")
        return self

    # -- serialization --------------------------------------------------------------------------

    def to_dict(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if isinstance(v, FixedFormat) else v
        return out

    @classmethod
    def from_dict(cls, d: dict) -> EpurConfig:
        if not isinstance(d, dict):
            raise ValueError("a config must be a table of keys and values")
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - set(known))
        if unknown:
            raise ValueError(f"unknown config key {unknown[0]!r}")
        kw = {}
        for key, v in d.items():
            if key.endswith("_format"):
                if not isinstance(v, dict):
                    raise ValueError(f"{key} must be a table with width and frac, not {v!r}")
                bad = sorted(set(v) - {"width", "frac", "signed", "rounding", "saturate"})
                if bad:
                    raise ValueError(f"unknown key {bad[0]!r} in {key}")
                try:
                    v = FixedFormat(**{**known[key].default_factory().to_dict(), **v})
                except ValueError as e:
                    raise ValueError(f"{key}: {e}") from None
            kw[key] = v
        return cls(**kw)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def to_toml(self) -> str:
        lines, tables = [], []
        for key, v in self.to_dict().items():
            if v is None:               # TOML has no null: an absent key is the default None
                continue
            if isinstance(v, dict):
                tables.append(f"\n[{key}]")
                tables += [f"{k} = {_toml_value(x)}" for k, x in v.items()]
            else:
                lines.append(f"{key} = {_toml_value(v)}")
        return "\n".join(lines + tables) + "\n"

    def save(self, path) -> None:
        """Write as TOML (``.toml``) or JSON, whole or not at all."""
        path = Path(path)
        write_atomic(path, self.to_toml() if path.suffix == ".toml" else self.to_json())


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    return repr(v)


def load_config(path) -> EpurConfig:
    """Read a config from ``.json`` or ``.toml``; errors are ``ValueError`` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config file not found: {path}")
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text())
        else:
            data = json.loads(path.read_text())
    except RecursionError:              # "[[[[...": the parsers recurse once per level
        raise ValueError(f"config {path} is malformed: nested too deeply") from None
    except ValueError as e:             # syntax, encoding, an integer of > 4300 digits
        reason = str(e).split("; use sys.set_int_max_str_digits")[0]    # Python's advice
        raise ValueError(f"config {path} is malformed: {reason}") from None
    try:
        return EpurConfig.from_dict(data)
    except (TypeError, ValueError) as e:
        raise ValueError(f"config {path}: {e}") from None


DEFAULT = EpurConfig()
