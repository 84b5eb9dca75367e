"""The design space of `ercc explore`: a block size per recurrent matrix, bit widths, the DSP fraction.

A `Config` is one point of the space; it knows the compile options it stands
for (`compile_options`, `config_file`) and the part of it that training sees
(`block_sizes`): two configs that differ only in bits or DSP fraction share
one training run.

Block sizes are per recurrent matrix: the input matrices W and the recurrent
matrices R of each recurrent ONNX node (the compiler's `layers:` options
`block-size-w` / `block-size-r`); a choice is kept only if it is 1 or no
larger than the matrix's larger gate dimension.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import onnx

from ercc.compiler.pipeline import FIXED_BITS
from ercc.errors import ErccError
from ercc.numerics.intmath import is_power_of_two

BLOCK_SIZES = (1, 2, 4, 8, 16)
WEIGHT_BITS = (8, 12, 16)
# Activation bits change what the fixed-point kernel computes, which the screening (weights only) does
# not see; the default pins them and `--act-bits 12,16` widens the search (docs/explore.md).
ACT_BITS = (16,)
DSP_FRACTIONS = (0.9,)
_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


@dataclass(frozen=True)
class Config:
    """One point: block sizes per matrix ("NODE/W", "NODE/R" → K), weight and activation bits, DSP fraction."""

    block_sizes: tuple[tuple[str, int], ...]
    weight_bits: int
    act_bits: int
    dsp_fraction: float

    @property
    def label(self) -> str:
        """E.g. "K=8:4 w12 a16 dsp0.9": K of W:R per layer (one number when equal), '/' between layers."""
        ks = "/".join(str(kw) if kw == kr else f"{kw}:{kr}" for kw, kr in self.layers().values())
        return f"K={ks} w{self.weight_bits} a{self.act_bits} dsp{self.dsp_fraction:g}"

    @property
    def uniform_k(self) -> int | None:
        """The block size if every layer has the same one (a config a user would pick by hand)."""
        ks = {k for _, k in self.block_sizes}
        return ks.pop() if len(ks) == 1 else None

    def params(self) -> dict:
        """The Optuna parameters of this point."""
        return {**{f"k:{n}": k for n, k in self.block_sizes}, "weight_bits": self.weight_bits,
                "act_bits": self.act_bits, "dsp_fraction": self.dsp_fraction}

    @classmethod
    def from_params(cls, params: Mapping) -> Config:
        ks = tuple(sorted((name[2:], int(v)) for name, v in params.items() if name.startswith("k:")))
        return cls(ks, int(params["weight_bits"]), int(params["act_bits"]), float(params["dsp_fraction"]))

    def as_dict(self) -> dict:
        return {"block_sizes": dict(self.block_sizes), "weight_bits": self.weight_bits,
                "act_bits": self.act_bits, "dsp_fraction": self.dsp_fraction}

    def layers(self) -> dict[str, tuple[int, int]]:
        """Recurrent node → (K of W, K of R)."""
        ks = dict(self.block_sizes)
        return {name[:-2]: (ks[name[:-2] + "/W"], ks[name[:-2] + "/R"]) for name in ks if name.endswith("/W")}

    def layer_options(self) -> dict[str, dict[str, int]]:
        return {n: {"block_size_w": kw, "block_size_r": kr} for n, (kw, kr) in self.layers().items()}

    def config_file(self, device: str, clock_mhz: float) -> dict:
        """The `ercc --config` mapping that compiles this point (fixed point, per-matrix block sizes)."""
        return {"precision": "fixed", "weight_bits": self.weight_bits, "act_bits": self.act_bits,
                "dsp_fraction": self.dsp_fraction, "device": device, "clock_mhz": clock_mhz,
                "layers": {n: {k.replace("_", "-"): v for k, v in o.items()} for n, o in self.layer_options().items()}}

    def compile_options(self, device: str, clock_mhz: float, seq_len: int | None = None):
        from ercc.compiler.pipeline import CompileOptions

        return CompileOptions(precision="fixed", weight_bits=self.weight_bits, act_bits=self.act_bits,
                              dsp_fraction=self.dsp_fraction, device=device, clock_mhz=clock_mhz,
                              seq_len=seq_len, layers=self.layer_options())


@dataclass(frozen=True)
class Space:
    """The choices of every dimension; `grid()` enumerates them in a fixed order."""

    block_sizes: tuple[tuple[str, tuple[int, ...]], ...]
    weight_bits: tuple[int, ...]
    act_bits: tuple[int, ...]
    dsp_fractions: tuple[float, ...]

    @property
    def size(self) -> int:
        n = len(self.weight_bits) * len(self.act_bits) * len(self.dsp_fractions)
        for _, ks in self.block_sizes:
            n *= len(ks)
        return n

    def distributions(self) -> dict:
        from optuna.distributions import CategoricalDistribution

        return {name: CategoricalDistribution(list(choices)) for name, choices in self.choices().items()}

    def choices(self) -> dict[str, tuple]:
        return {**{f"k:{n}": ks for n, ks in self.block_sizes}, "weight_bits": self.weight_bits,
                "act_bits": self.act_bits, "dsp_fraction": self.dsp_fractions}

    def grid(self) -> list[Config]:
        names = list(self.choices())
        return [Config.from_params(dict(zip(names, values)))
                for values in itertools.product(*self.choices().values())]

    def describe(self) -> str:
        return "; ".join(f"{name} in {{{', '.join(map(str, c))}}}" for name, c in self.choices().items())


def recurrent_matrices(model: onnx.ModelProto) -> list[tuple[str, int]]:
    """("NODE/W" or "NODE/R", the gate matrix's larger dimension) of every recurrent node, in graph order."""
    inits = {t.name: tuple(t.dims) for t in model.graph.initializer}
    layers = []
    for node in model.graph.node:
        if node.op_type not in _GATES:
            continue
        if not node.name:
            raise ErccError(f"every recurrent node needs a name for per-layer block sizes; a {node.op_type} has none")
        dims = [inits.get(name) for name in node.input[1:3]]
        if any(d is None or len(d) != 3 for d in dims):
            raise ErccError(f"node '{node.name}' ({node.op_type}): W and R must be initializers to explore block sizes")
        gates = _GATES[node.op_type]
        for role, d in zip("WR", dims):
            layers.append((f"{node.name}/{role}", max(d[1] // gates, d[2])))
    if not layers:
        raise ErccError("the model has no LSTM, GRU or RNN node to explore")
    return layers


def _ints(option: str, values: Sequence[int], lo: int, hi: int, power_of_two: bool = False) -> tuple[int, ...]:
    out = tuple(sorted(set(values)))
    for v in out:
        if not lo <= v <= hi or (power_of_two and not is_power_of_two(v)):
            kind = "powers of two " if power_of_two else "integers "
            raise ErccError(f"{option} must be {kind}in [{lo}, {hi}], got {v}")
    if not out:
        raise ErccError(f"{option} needs at least one value")
    return out


def make_space(
    model: onnx.ModelProto, *, block_sizes: Sequence[int] | None = None, weight_bits: Sequence[int] | None = None,
    act_bits: Sequence[int] | None = None, dsp_fractions: Sequence[float] | None = None,
    layer_pins: Mapping[str, Sequence[int]] | None = None,
) -> Space:
    """The space for a model: defaults, narrowed by the user's lists and pins (node, or NODE/W, NODE/R → sizes)."""
    layers = recurrent_matrices(model)
    ks = _ints("--block-sizes", block_sizes or BLOCK_SIZES, 1, 1024, power_of_two=True)
    pins = dict(layer_pins or {})
    nodes = list(dict.fromkeys(n.rsplit("/", 1)[0] for n, _ in layers))
    unknown = sorted(p for p in pins if p not in nodes and p not in {n for n, _ in layers})
    if unknown:
        raise ErccError(f"layers: no recurrent node named '{unknown[0]}' (the recurrent nodes: {', '.join(nodes)};"
                        " NODE/W or NODE/R pins one matrix)")
    per_layer = []
    for name, largest in layers:
        pin = pins.get(name, pins.get(name.rsplit("/", 1)[0]))
        choices = _ints(f"layers: '{name}': block-size", pin, 1, 1024, True) if pin is not None else ks
        fitting = tuple(k for k in choices if k == 1 or k <= largest)
        if not fitting:
            raise ErccError(f"no block size of {list(choices)} fits '{name}' (its gate matrices are at most "
                            f"{largest} wide)")
        per_layer.append((name, fitting))
    lo, hi = FIXED_BITS
    fractions = tuple(sorted(set(dsp_fractions or DSP_FRACTIONS)))
    if not fractions or any(not 0 < f <= 1 for f in fractions):
        raise ErccError(f"--dsp-fraction values must be in (0, 1], got {', '.join(map(str, fractions))}")
    return Space(tuple(per_layer), _ints("--weight-bits", weight_bits or WEIGHT_BITS, lo, hi),
                 _ints("--act-bits", act_bits or ACT_BITS, lo, hi), fractions)
