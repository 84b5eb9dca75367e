"""ONNX file → `rnn` dialect module: one `func.func` over one sequence (batch 1).

`canonicalize` makes the model static and folds shape computations; this
module then walks the (topologically sorted) graph once, mapping each ONNX
value to an SSA value. Initializers stay numpy arrays until a float tensor
operand needs them (then they become `arith.constant`), so integer shapes and
indices are consumed here and never reach the IR.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import numpy_helper
from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    FunctionType,
    ModuleOp,
    StringAttr,
    TensorType,
    f32,
    i32,
)
from xdsl.ir import Block, Operation, Region, SSAValue

from ercc.dialects import rnn
from ercc.dialects.constants import dense_constant
from ercc.dialects.fix import quantizers_attr
from ercc.dialects.rnn import ActivationAttr, ActivationKind, Direction, shape_of
from ercc.errors import ErccError, node_label
from ercc.frontends.canonicalize import CanonicalModel, canonicalize, prepare
from ercc.frontends.quantized import QuantizedModel
from ercc.frontends.signature import TensorSpec, attr
from ercc.numerics.intmath import ceil_div

__all__ = ["ImportedModel", "TensorSpec", "import_onnx"]


@dataclass
class ImportedModel:
    """The imported kernel and what the driver needs to call it per sequence."""

    module: ModuleOp
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    model: onnx.ModelProto
    file: str = "<model>"
    quantized: QuantizedModel = field(default_factory=QuantizedModel)  # the quantization-aware forms found


def import_onnx(
    path: str | os.PathLike | onnx.ModelProto,
    *,
    seq_len: int | None = None,
    top: str = "ercc_kernel",
    keep_quantizers: bool = True,
) -> ImportedModel:
    """Import an ONNX recurrent network; bad input raises `ErccError`.

    `keep_quantizers=False` (--requantize) imports a quantization-aware model's
    quantized LSTMs as float LSTMs over their dequantized weights.
    """
    model, file, found = prepare(path)
    try:
        canonical = canonicalize(model, file, seq_len, found)
    except ErccError:
        # An operator ercc cannot convert is the real cause of most shape and axis errors.
        node = first_unsupported_node(model)
        if node is not None:
            raise unsupported_operator(node, file) from None
        raise
    if not keep_quantizers:
        canonical.quantized.layers.clear()
    module = _Importer(canonical).build(top)
    return ImportedModel(
        module, canonical.inputs, canonical.outputs, canonical.model, canonical.file, canonical.quantized
    )


# --------------------------------------------------------------------------- #
# Graph walk
# --------------------------------------------------------------------------- #

_Converter = Callable[["_Importer", onnx.NodeProto], None]
_CONVERTERS: dict[str, _Converter] = {}


def _converts(*op_types: str) -> Callable[[_Converter], _Converter]:
    def register(fn: _Converter) -> _Converter:
        for op_type in op_types:
            _CONVERTERS[op_type] = fn
        return fn

    return register


def supported_operators() -> list[str]:
    """The ONNX operators the importer converts (docs/support.md lists them)."""
    return sorted(_CONVERTERS)


def unsupported_operator(node: onnx.NodeProto, file: str) -> ErccError:
    op = f"{node.domain}.{node.op_type}" if node.domain not in ("", "ai.onnx") else node.op_type
    return ErccError(
        f"operator '{op}' is not supported (the supported operators are listed in docs/support.md)",
        file=file,
        node=node_label(node.name, node.op_type),
    )


def first_unsupported_node(model: onnx.ModelProto) -> onnx.NodeProto | None:
    """The first node on the data path (fed by graph inputs) that the importer cannot convert.

    Shape/Size outputs become constants once the input shapes are pinned, and
    everything computed from initializers alone is folded, so only data-path
    nodes must have a converter.
    """
    inits = {t.name for t in model.graph.initializer}
    dynamic = {i.name for i in model.graph.input if i.name not in inits}
    for node in model.graph.node:
        if not any(name in dynamic for name in node.input):
            continue
        if node.domain not in ("", "ai.onnx") or node.op_type not in _CONVERTERS:
            return node
        if node.op_type not in ("Shape", "Size"):
            dynamic.update(node.output)
    return None


class _Importer:
    """State of one import: ONNX names → SSA values or constant arrays."""

    def __init__(self, canonical: CanonicalModel):
        self.model = canonical.model
        self.canonical = canonical
        self.file = canonical.file
        graph = self.model.graph
        self.consts: dict[str, np.ndarray] = {
            t.name: numpy_helper.to_array(t) for t in graph.initializer
        }
        self.shapes: dict[str, tuple[int, ...]] = {
            vi.name: tuple(d.dim_value for d in vi.type.tensor_type.shape.dim)
            for vi in (*graph.value_info, *graph.output)
        }
        self.values: dict[str, SSAValue] = {}
        self.builder: Builder

    def build(self, top: str) -> ModuleOp:
        """The module: graph inputs as arguments, graph outputs returned in order."""
        ins = [TensorType(i32 if spec.dtype == "int32" else f32, spec.shape) for spec in self.canonical.inputs]
        block = Block(arg_types=ins)
        self.builder = Builder(InsertPoint.at_end(block))
        for spec, arg in zip(self.canonical.inputs, block.args):
            self._bind(spec.name, arg)
        for node in self.model.graph.node:
            self._convert(node)
        results = [self.tensor(o.name, None) for o in self.model.graph.output]
        self.builder.insert(func.ReturnOp(*results))
        fn = func.FuncOp(top, FunctionType.from_lists(ins, [r.type for r in results]), Region(block))
        fn.attributes["ercc.input_names"] = _names(s.name for s in self.canonical.inputs)
        fn.attributes["ercc.output_names"] = _names(o.name for o in self.model.graph.output)
        module = ModuleOp([fn])
        module.verify()
        return module

    def _convert(self, node: onnx.NodeProto) -> None:
        converter = _CONVERTERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if converter is None:
            raise unsupported_operator(node, self.file)
        converter(self, node)

    # -- values ------------------------------------------------------------- #

    def error(self, node: onnx.NodeProto, reason: str) -> ErccError:
        return ErccError(reason, file=self.file, node=node_label(node.name, node.op_type))

    def tensor(self, name: str, node: onnx.NodeProto | None) -> SSAValue:
        """The SSA value of a float tensor, materializing an initializer on first use."""
        if name in self.values:
            return self.values[name]
        array = self.consts[name]
        if array.dtype != np.float32:
            reason = f"tensor '{name}' has element type {array.dtype}; only float32 tensors are supported"
            raise self.error(node, reason) if node is not None else ErccError(reason, file=self.file)
        return self._bind(name, self.builder.insert(dense_constant(array)).result)

    def input(self, node: onnx.NodeProto, index: int) -> SSAValue | None:
        """The node's `index`-th input as a tensor, None if absent."""
        if index >= len(node.input) or not node.input[index]:
            return None
        return self.tensor(node.input[index], node)

    def const(self, node: onnx.NodeProto, index: int) -> np.ndarray | None:
        """The node's `index`-th input as a constant array, None if absent or not constant."""
        if index >= len(node.input) or not node.input[index]:
            return None
        return self.consts.get(node.input[index])

    def const_ints(self, node: onnx.NodeProto, index: int, what: str) -> list[int] | None:
        """An optional integer input that must be constant (shapes, axes, indices)."""
        if index >= len(node.input) or not node.input[index]:
            return None
        array = self.const(node, index)
        if array is None:
            raise self.error(node, f"input '{what}' must be a constant")
        return [int(v) for v in array.reshape(-1)]

    def emit(self, op: Operation) -> Operation:
        return self.builder.insert(op)

    def _bind(self, name: str, value: SSAValue) -> SSAValue:
        value.name_hint = _name_hint(name)
        self.values[name] = value
        return value

    def set_output(self, node: onnx.NodeProto, index: int, value: SSAValue) -> None:
        """Bind a node result, checking it against ONNX shape inference."""
        if index >= len(node.output) or not node.output[index]:
            return
        name = node.output[index]
        expected = self.shapes.get(name)
        if expected is not None and shape_of(value) != expected:
            # ONNX's shapes were inferred with batch 1: a different shape means a batch size baked
            # into the graph (e.g. a Reshape to a constant shape) that ercc cannot trace.
            raise self.error(
                node,
                f"output '{name}' has shape {list(expected)} in the ONNX graph but {list(shape_of(value))} for one "
                "sequence; the graph probably has a batch size baked in (export with batch 1 or a dynamic batch axis)",
            )
        self._bind(name, value)

    def output_shape(self, node: onnx.NodeProto, index: int = 0) -> tuple[int, ...]:
        return self.shapes[node.output[index]]


def _names(names) -> ArrayAttr[StringAttr]:
    return ArrayAttr([StringAttr(n) for n in names])


def _name_hint(name: str) -> str | None:
    """An xDSL-legal version of an ONNX name (torch names contain '/', ':' and '::')."""
    hint = re.sub(r"[^\w$.-]", "_", name).strip("_")
    if not hint:
        return None
    return hint if not hint[0].isdigit() else f"v{hint}"


def _axis(node_axis: int, rank: int) -> int:
    return node_axis + rank if node_axis < 0 else node_axis


# --------------------------------------------------------------------------- #
# Recurrent layers
# --------------------------------------------------------------------------- #

_ACTIVATION_NAMES = {
    "sigmoid": ActivationKind.SIGMOID,
    "tanh": ActivationKind.TANH,
    "relu": ActivationKind.RELU,
    "hardsigmoid": ActivationKind.HARD_SIGMOID,
    "leakyrelu": ActivationKind.LEAKY_RELU,
    "thresholdedrelu": ActivationKind.THRESHOLDED_RELU,
    "scaledtanh": ActivationKind.SCALED_TANH,
    "affine": ActivationKind.AFFINE,
    "elu": ActivationKind.ELU,
    "softsign": ActivationKind.SOFTSIGN,
    "softplus": ActivationKind.SOFTPLUS,
}
_SPEC_ACTIVATIONS = (
    "Sigmoid", "Tanh", "Relu", "HardSigmoid", "LeakyRelu", "ThresholdedRelu",
    "ScaledTanh", "Affine", "Elu", "Softsign", "Softplus",
)
# Which functions consume an entry of activation_alpha / activation_beta (as onnxruntime does).
_USES_ALPHA = {
    ActivationKind.HARD_SIGMOID, ActivationKind.LEAKY_RELU, ActivationKind.THRESHOLDED_RELU,
    ActivationKind.SCALED_TANH, ActivationKind.AFFINE, ActivationKind.ELU,
}
_USES_BETA = {ActivationKind.HARD_SIGMOID, ActivationKind.SCALED_TANH, ActivationKind.AFFINE}


def _recurrent_activations(
    imp: _Importer, node: onnx.NodeProto, defaults: list[str], directions: int
) -> list[ActivationAttr]:
    """The node's activations, one group per direction, with alpha/beta filled in.

    Alphas and betas are consumed in order only by the functions that take them.
    """
    names = [n.decode() if isinstance(n, bytes) else n for n in attr(node, "activations", [])]
    names = names or defaults * directions
    if len(names) == len(defaults) and directions == 2:
        names = names * 2
    if len(names) != len(defaults) * directions:
        raise imp.error(
            node, f"expected {len(defaults) * directions} activations, got {len(names)}"
        )
    alphas = list(attr(node, "activation_alpha", []))
    betas = list(attr(node, "activation_beta", []))
    result = []
    for name in names:
        kind = _ACTIVATION_NAMES.get(name.lower())
        if kind is None:
            raise imp.error(
                node,
                f"attribute 'activations': '{name}' is not an activation function of ONNX"
                f" {node.op_type} (supported: {', '.join(_SPEC_ACTIVATIONS)})",
            )
        alpha = alphas.pop(0) if kind in _USES_ALPHA and alphas else None
        beta = betas.pop(0) if kind in _USES_BETA and betas else None
        result.append(ActivationAttr(kind, alpha, beta))
    return result


def _weight(imp: _Importer, node: onnx.NodeProto, index: int, what: str) -> SSAValue | None:
    """A recurrent weight input: must be an initializer, since the compiler rewrites it."""
    if index >= len(node.input) or not node.input[index]:
        return None
    if imp.const(node, index) is None:
        raise imp.error(node, f"weight input '{what}' is not a constant initializer")
    return imp.tensor(node.input[index], node)


def _check_weight_shapes(
    imp: _Importer, node: onnx.NodeProto, weights: dict[str, SSAValue | None],
    expected: dict[str, tuple[int, ...]],
) -> None:
    """ONNX shape inference does not check recurrent weights against X and hidden_size."""
    for what, value in weights.items():
        if value is not None and shape_of(value) != expected[what]:
            raise imp.error(
                node, f"weight '{what}' has shape {list(shape_of(value))}, expected {list(expected[what])}"
            )


def _check_state_shapes(
    imp: _Importer, node: onnx.NodeProto, states: dict[str, SSAValue | None], D: int, H: int, layout: int
) -> None:
    """Initial states (in layout 0 here) must be [D, 1, H] for one sequence."""
    for what, value in states.items():
        if value is not None and shape_of(value) != (D, 1, H):
            given = shape_of(value) if layout == 0 else tuple(shape_of(value)[i] for i in (1, 0, 2))
            want = [D, 1, H] if layout == 0 else [1, D, H]
            raise imp.error(
                node,
                f"{what} has shape {list(given)} for one sequence, expected {want} (layout {layout}: "
                f"{'[directions, batch, hidden]' if layout == 0 else '[batch, directions, hidden]'}); Brevitas'"
                " weight-only export of a batch-first QuantLSTM builds it from the sequence axis: drop the"
                " zero initial states",
            )


def _direction(imp: _Importer, node: onnx.NodeProto) -> Direction:
    name = attr(node, "direction", b"forward")
    name = name.decode() if isinstance(name, bytes) else name
    if name not in Direction.__members__.values():
        raise imp.error(node, f"unknown direction '{name}'")
    return Direction(name)


def _sequence_lens(imp: _Importer, node: onnx.NodeProto, T: int) -> SSAValue | None:
    """The `tensor<1xi32>` length of the one sequence, None when every sequence is full.

    A graph input (int32 [batch]) becomes a kernel input, one length per call;
    a constant must give every sequence the same length (the kernel runs one
    sequence at a time) and is dropped when that length is T.
    """
    if len(node.input) <= 4 or not node.input[4]:
        return None
    name = node.input[4]
    if name in imp.values:
        value = imp.values[name]
        if value.type != rnn.LENGTHS_TYPE:
            raise imp.error(node, f"sequence_lens '{name}' must be an int32 tensor of the batch size")
        return value
    lens = imp.const(node, 4)
    if lens is None:
        raise imp.error(node, "sequence_lens must be a graph input or a constant initializer")
    lens = lens.reshape(-1)
    if lens.size == 0 or not np.all(lens == lens[0]):
        raise imp.error(
            node,
            "a constant sequence_lens with different lengths per sequence is not supported;"
            " make it a graph input",
        )
    length = int(lens[0])
    if not 0 <= length <= T:
        raise imp.error(node, f"sequence_lens {length} is outside [0, {T}]")
    if length == T:
        return None
    attr_ = DenseIntOrFPElementsAttr.from_list(rnn.LENGTHS_TYPE, [length])
    return imp._bind(name, imp.emit(arith.ConstantOp(attr_)).results[0])


def _initial_state(imp: _Importer, node: onnx.NodeProto, index: int, layout: int) -> SSAValue | None:
    """initial_h / initial_c for one sequence (batch 1), in layout 0.

    Exporters bake the batch size of their sample input into constant initial
    states (torch: zeros of batch B). A constant whose batch rows are all equal
    is the same state for every sequence: its first row is used. Anything else
    cannot be compiled for one sequence per call.
    """
    if index >= len(node.input) or not node.input[index]:
        return None
    name, axis = node.input[index], 0 if layout == 1 else 1
    array = imp.const(node, index)
    if array is not None and array.ndim == 3 and array.shape[axis] != 1:
        first = np.take(array, [0], axis=axis)
        if not np.array_equal(np.broadcast_to(first, array.shape), array):
            raise imp.error(
                node,
                f"initial state '{name}' holds different values for the {array.shape[axis]} sequences of a "
                "batch; ercc compiles one sequence per call: make it a graph input or export with batch 1",
            )
        value = imp.builder.insert(dense_constant(np.ascontiguousarray(first, dtype=np.float32))).result
        value.name_hint = _name_hint(name)
        return _to_layout0(imp, value, layout)
    return _to_layout0(imp, imp.input(node, index), layout)


def _to_layout0(imp: _Importer, value: SSAValue | None, layout: int) -> SSAValue | None:
    """Batch-major X / states [B, T|D, ...] → the layout-0 order rnn ops use."""
    if value is None or layout == 0:
        return value
    return imp.emit(rnn.TransposeOp(value, [1, 0, 2])).results[0]


def _tag_layer(op, node: onnx.NodeProto) -> None:
    """Name a layer op after its ONNX node (`ercc.layer`): per-layer options find their layer by it."""
    if node.name:
        op.attributes["ercc.layer"] = StringAttr(node.name)


@_converts("LSTM")
def _lstm(imp: _Importer, node: onnx.NodeProto) -> None:
    layout = attr(node, "layout", 0)
    X = _to_layout0(imp, imp.input(node, 0), layout)
    assert X is not None
    W, R = _weight(imp, node, 1, "W"), _weight(imp, node, 2, "R")
    B = _weight(imp, node, 3, "B")
    P = _weight(imp, node, 7, "P")
    lengths = _sequence_lens(imp, node, shape_of(X)[0])
    h0 = _initial_state(imp, node, 5, layout)
    c0 = _initial_state(imp, node, 6, layout)
    direction = _direction(imp, node)
    D = 2 if direction == Direction.BIDIRECTIONAL else 1
    H = attr(node, "hidden_size", shape_of(R)[-1])  # type: ignore[union-attr]
    I = shape_of(X)[2]
    _check_weight_shapes(
        imp, node, {"W": W, "R": R, "B": B, "P": P},
        {"W": (D, 4 * H, I), "R": (D, 4 * H, H), "B": (D, 8 * H), "P": (D, 3 * H)},
    )
    _check_state_shapes(imp, node, {"initial_h": h0, "initial_c": c0}, D, H, layout)
    op = imp.emit(
        rnn.LSTMOp(
            X, W, R, B, h0, c0, P,  # type: ignore[arg-type]
            hidden_size=H,
            direction=direction,
            activations=_recurrent_activations(imp, node, ["sigmoid", "tanh", "tanh"], D),
            clip=attr(node, "clip"),
            input_forget=bool(attr(node, "input_forget", 0)),
            lengths=lengths,
        )
    )
    _tag_layer(op, node)
    quantizers = imp.canonical.quantized.layers.get(node.name)
    if quantizers is not None:
        op.attributes["ercc.quantizers"] = quantizers_attr(quantizers)
    # Back to batch-major for layout 1: Y [T, D, 1, H] → [1, T, D, H], states [D, 1, H] → [1, D, H].
    perms = ([2, 0, 1, 3], [1, 0, 2], [1, 0, 2])
    for i, (value, perm) in enumerate(zip(op.results, perms)):
        if i < len(node.output) and node.output[i]:
            if layout == 1:
                value = imp.emit(rnn.TransposeOp(value, perm)).results[0]
            imp.set_output(node, i, value)


def _single_state_layer(imp: _Importer, node: onnx.NodeProto, gates: int, default_acts: list[str], make) -> None:
    """GRU and RNN: like LSTM without a cell state (inputs X, W, R, B, sequence_lens, initial_h)."""
    layout = attr(node, "layout", 0)
    X = _to_layout0(imp, imp.input(node, 0), layout)
    assert X is not None
    W, R = _weight(imp, node, 1, "W"), _weight(imp, node, 2, "R")
    B = _weight(imp, node, 3, "B")
    lengths = _sequence_lens(imp, node, shape_of(X)[0])
    h0 = _initial_state(imp, node, 5, layout)
    direction = _direction(imp, node)
    D = 2 if direction == Direction.BIDIRECTIONAL else 1
    H = attr(node, "hidden_size", shape_of(R)[-1])  # type: ignore[union-attr]
    I = shape_of(X)[2]
    _check_weight_shapes(
        imp, node, {"W": W, "R": R, "B": B},
        {"W": (D, gates * H, I), "R": (D, gates * H, H), "B": (D, 2 * gates * H)},
    )
    op = imp.emit(
        make(
            X, W, R, B, h0,
            hidden_size=H,
            direction=direction,
            activations=_recurrent_activations(imp, node, default_acts, D),
            clip=attr(node, "clip"),
            lengths=lengths,
        )
    )
    _tag_layer(op, node)
    perms = ([2, 0, 1, 3], [1, 0, 2])
    for i, (value, perm) in enumerate(zip(op.results, perms)):
        if i < len(node.output) and node.output[i]:
            if layout == 1:
                value = imp.emit(rnn.TransposeOp(value, perm)).results[0]
            imp.set_output(node, i, value)


@_converts("GRU")
def _gru(imp: _Importer, node: onnx.NodeProto) -> None:
    linear = bool(attr(node, "linear_before_reset", 0))

    def make(*args, **kwargs):
        return rnn.GRUOp(*args, **kwargs, linear_before_reset=linear)

    _single_state_layer(imp, node, 3, ["sigmoid", "tanh"], make)


@_converts("RNN")
def _rnn(imp: _Importer, node: onnx.NodeProto) -> None:
    _single_state_layer(imp, node, 1, ["tanh"], rnn.RNNOp)


# --------------------------------------------------------------------------- #
# Dense heads and elementwise ops
# --------------------------------------------------------------------------- #


@_converts("Gemm")
def _gemm(imp: _Importer, node: onnx.NodeProto) -> None:
    """A dense layer: Gemm with any alpha, beta, transA and transB."""
    op = rnn.GemmOp(
        imp.input(node, 0), imp.input(node, 1), imp.input(node, 2),
        alpha=attr(node, "alpha", 1.0), beta=attr(node, "beta", 1.0),
        trans_a=bool(attr(node, "transA", 0)), trans_b=bool(attr(node, "transB", 0)),
    )
    imp.set_output(node, 0, imp.emit(op).results[0])


@_converts("MatMul")
def _matmul(imp: _Importer, node: onnx.NodeProto) -> None:
    """A matrix product whose right operand is a constant 2-D matrix (a dense layer)."""
    b = imp.const(node, 1)
    if b is None or b.ndim != 2:
        raise imp.error(node, "MatMul is only supported with a constant 2-D right operand")
    op = rnn.MatMulOp(imp.input(node, 0), imp.input(node, 1))  # type: ignore[arg-type]
    imp.set_output(node, 0, imp.emit(op).results[0])


_BINARY = {"Add": rnn.AddOp, "Sub": rnn.SubOp, "Mul": rnn.MulOp}


@_converts(*_BINARY)
def _binary(imp: _Importer, node: onnx.NodeProto) -> None:
    """Elementwise arithmetic."""
    op = _BINARY[node.op_type](imp.input(node, 0), imp.input(node, 1))  # type: ignore[arg-type]
    imp.set_output(node, 0, imp.emit(op).results[0])


# op type → (activation kind, ONNX attribute defaults for alpha, beta)
_ACTIVATION_OPS: dict[str, tuple[ActivationKind, float | None, float | None]] = {
    "Relu": (ActivationKind.RELU, None, None),
    "Sigmoid": (ActivationKind.SIGMOID, None, None),
    "Tanh": (ActivationKind.TANH, None, None),
    "Softsign": (ActivationKind.SOFTSIGN, None, None),
    "Softplus": (ActivationKind.SOFTPLUS, None, None),
    "LeakyRelu": (ActivationKind.LEAKY_RELU, 0.01, None),
    "HardSigmoid": (ActivationKind.HARD_SIGMOID, 0.2, 0.5),
    "Elu": (ActivationKind.ELU, 1.0, None),
}


@_converts(*_ACTIVATION_OPS)
def _activation(imp: _Importer, node: onnx.NodeProto) -> None:
    """An elementwise activation, with the operator's alpha/beta attributes."""
    kind, alpha, beta = _ACTIVATION_OPS[node.op_type]
    fn = ActivationAttr(
        kind,
        None if alpha is None else attr(node, "alpha", alpha),
        None if beta is None else attr(node, "beta", beta),
    )
    imp.set_output(node, 0, imp.emit(rnn.ActivationOp(fn, imp.input(node, 0))).results[0])  # type: ignore[arg-type]


@_converts("Softmax", "LogSoftmax")
def _softmax(imp: _Importer, node: onnx.NodeProto) -> None:
    """Along any axis from opset 13; before opset 13 only along the last axis."""
    x = imp.input(node, 0)
    assert x is not None
    rank = len(shape_of(x))
    opset = next(o.version for o in imp.model.opset_import if o.domain in ("", "ai.onnx"))
    axis = _axis(attr(node, "axis", -1 if opset >= 13 else 1), rank)
    if opset < 13 and axis != rank - 1:
        # Before opset 13 the input is flattened to 2-D at `axis`; only the last axis agrees.
        raise imp.error(node, f"{node.op_type} before opset 13 is only supported on the last axis")
    cls = rnn.SoftmaxOp if node.op_type == "Softmax" else rnn.LogSoftmaxOp
    imp.set_output(node, 0, imp.emit(cls(x, axis)).results[0])


# --------------------------------------------------------------------------- #
# Data movement
# --------------------------------------------------------------------------- #


@_converts("Identity", "Dropout")
def _pass_through(imp: _Importer, node: onnx.NodeProto) -> None:
    """Passed through (Identity; Dropout in inference mode, without its mask output)."""
    if len(node.output) > 1 and node.output[1]:
        raise imp.error(node, "the Dropout mask output is not supported")
    if node.op_type == "Dropout" and imp.const_ints(node, 2, "training_mode") not in (None, [0]):
        raise imp.error(node, "Dropout in training mode is not supported")
    imp.values[node.output[0]] = imp.tensor(node.input[0], node)


@_converts("Reshape", "Flatten", "Squeeze", "Unsqueeze")
def _reshape(imp: _Importer, node: onnx.NodeProto) -> None:
    """A reshape to the statically inferred output shape."""
    op = rnn.ReshapeOp(imp.input(node, 0), imp.output_shape(node))  # type: ignore[arg-type]
    imp.set_output(node, 0, imp.emit(op).results[0])


@_converts("Transpose")
def _transpose(imp: _Importer, node: onnx.NodeProto) -> None:
    """Any permutation."""
    x = imp.input(node, 0)
    assert x is not None
    perm = attr(node, "perm") or list(reversed(range(len(shape_of(x)))))
    imp.set_output(node, 0, imp.emit(rnn.TransposeOp(x, perm)).results[0])


@_converts("Concat")
def _concat(imp: _Importer, node: onnx.NodeProto) -> None:
    """Along any axis."""
    inputs = [imp.tensor(name, node) for name in node.input if name]
    axis = _axis(attr(node, "axis"), len(shape_of(inputs[0])))
    imp.set_output(node, 0, imp.emit(rnn.ConcatOp(inputs, axis)).results[0])


@_converts("Slice")
def _slice(imp: _Importer, node: onnx.NodeProto) -> None:
    """Constant starts, ends, axes and steps (any non-zero step)."""
    x = imp.input(node, 0)
    assert x is not None
    shape = shape_of(x)
    if attr(node, "starts") is not None:  # opset < 10: attributes, no steps
        starts, ends = attr(node, "starts"), attr(node, "ends")
        axes, steps = attr(node, "axes"), None
    else:
        starts = imp.const_ints(node, 1, "starts")
        ends = imp.const_ints(node, 2, "ends")
        axes = imp.const_ints(node, 3, "axes")
        steps = imp.const_ints(node, 4, "steps")
    axes = [_axis(a, len(shape)) for a in (axes or range(len(starts)))]
    steps = steps or [1] * len(axes)
    offsets, sizes, strides = [0] * len(shape), list(shape), [1] * len(shape)
    for axis, start, end, step in zip(axes, starts, ends, steps):
        if step == 0:
            raise imp.error(node, f"slice step along axis {axis} is 0")
        offsets[axis], sizes[axis] = _slice_window(shape[axis], start, end, step)
        strides[axis] = step
        if sizes[axis] == 0:
            raise imp.error(node, f"the slice along axis {axis} is empty")
    imp.set_output(node, 0, imp.emit(rnn.SliceOp(x, offsets, sizes, strides)).results[0])


def _slice_window(dim: int, start: int, end: int, step: int) -> tuple[int, int]:
    """(first index, element count) of ONNX Slice along one axis, clamped as ONNX does."""
    start = start + dim if start < 0 else start
    end = end + dim if end < 0 else end
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
        count = max(0, ceil_div(end - start, step))
    else:
        start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
        count = max(0, ceil_div(start - end, -step))
    return start, count


@_converts("Gather")
def _gather(imp: _Importer, node: onnx.NodeProto) -> None:
    """A constant scalar or 1-element index, e.g. the last time step of Y."""
    x = imp.input(node, 0)
    assert x is not None
    shape = shape_of(x)
    index = imp.const(node, 1)
    if index is None or index.size != 1 or index.ndim > 1:
        raise imp.error(node, "Gather is only supported with a constant scalar or 1-element index")
    axis = _axis(attr(node, "axis", 0), len(shape))
    i = int(index.reshape(-1)[0])
    i = i + shape[axis] if i < 0 else i
    if not 0 <= i < shape[axis]:
        raise imp.error(node, f"Gather index {i} is out of range for axis {axis} of size {shape[axis]}")
    offsets = [i if d == axis else 0 for d in range(len(shape))]
    sizes = [1 if d == axis else n for d, n in enumerate(shape)]
    y = imp.emit(rnn.SliceOp(x, offsets, sizes, [1] * len(shape))).results[0]
    if index.ndim == 0:
        y = imp.emit(rnn.ReshapeOp(y, imp.output_shape(node))).results[0]
    imp.set_output(node, 0, y)
