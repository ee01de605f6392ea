"""Verilog names and payload layouts of an Amaranth component's ports, read from its signature.

Amaranth flattens a stream port ``x`` into ``x__valid``, ``x__ready`` and ``x__payload``, the
payload a packed ``StructLayout`` (first field in the least significant bits). The layouts are
taken from the component's own signature, so the testbench never keeps a second copy of a field
offset or width.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Shape


@dataclass(frozen=True)
class Field:
    name: str
    offset: int
    width: int
    signed: bool

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


@dataclass(frozen=True)
class StreamPort:
    """One valid/ready stream port: its Verilog signal names and its payload fields."""

    name: str
    fields: tuple[Field, ...]

    @property
    def valid(self) -> str:
        return f"{self.name}__valid"

    @property
    def ready(self) -> str:
        return f"{self.name}__ready"

    @property
    def payload(self) -> str:
        return f"{self.name}__payload"

    @property
    def width(self) -> int:
        return max(f.offset + f.width for f in self.fields)

    def pack(self, **values: int) -> int:
        """The payload integer holding ``values`` (every field must be given)."""
        missing = {f.name for f in self.fields} - set(values)
        extra = set(values) - {f.name for f in self.fields}
        if missing or extra:
            raise ValueError(f"payload of {self.name} has fields "
                             f"{[f.name for f in self.fields]}, not {sorted(values)}")
        word = 0
        for f in self.fields:
            v = int(values[f.name])
            lo = -(1 << (f.width - 1)) if f.signed else 0
            hi = (1 << (f.width - 1 if f.signed else f.width)) - 1
            if not lo <= v <= hi:
                raise ValueError(f"{self.name}.{f.name} = {v} does not fit {f.width} bits")
            word |= (v & f.mask) << f.offset
        return word

    def unpack(self, word: int) -> dict[str, int]:
        out = {}
        for f in self.fields:
            v = (word >> f.offset) & f.mask
            if f.signed and v >> (f.width - 1):
                v -= 1 << f.width
            out[f.name] = v
        return out


def top_stream_ports(cfg) -> dict[str, StreamPort]:
    """The stream ports ``x``, ``h`` and ``wl`` of ``hw.top.EpurTop(cfg)``, read from
    ``hw.top.top_signature(cfg)`` (nothing is built)."""
    from hw.top import top_signature

    signature = top_signature(cfg)
    return {name: stream_port(signature, name) for name in ("x", "h", "wl")}


def control_values(build_cfg, cfg) -> dict[str, int]:
    """The run-time controls of the build of ``build_cfg`` (``hw.schemes``: memo builds
    ``theta``, ``mode_abs``, ``memo_enable``; delta builds ``theta``, ``theta_h``; precision
    builds also ``precision_mode`` and ``precision_theta``, hw/precision.py) and the values
    that run ``cfg`` on it."""
    from hw import precision
    from hw.schemes import scheme_class

    values = {"theta": cfg.theta_int, "theta_h": cfg.theta_h_int,
              "mode_abs": int(cfg.mode == "absolute"),
              "memo_enable": int(cfg.predictor == "bnn")}
    values.update(precision.control_values(cfg))
    return {name: values[name] for name in (*scheme_class(build_cfg).controls(build_cfg),
                                            *precision.precision_controls(build_cfg))}


def scheme_counters(cfg) -> list[str]:
    """The counters of the top level of ``cfg``'s build beyond cycles, computed_<gate> and
    reused_<gate> (delta builds: ``changed``, ``macs_skipped``)."""
    from hw.schemes import scheme_class

    return list(scheme_class(cfg).counters(cfg))


def stream_port(interface, name: str) -> StreamPort:
    """The :class:`StreamPort` of the stream member ``name`` of ``interface`` (a signature, or a
    component or interface that has one)."""
    signature = getattr(interface, "signature", interface)
    member = signature.members[name]
    layout = member.signature.members["payload"].shape
    fields = []
    for field_name, field in layout:
        shape = Shape.cast(field.shape)
        fields.append(Field(field_name, field.offset, shape.width, shape.signed))
    return StreamPort(name, tuple(fields))
