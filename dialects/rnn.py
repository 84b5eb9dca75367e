"""The `rnn` dialect: recurrent networks as ONNX describes them, and their cells.

Two levels live here. Layer ops (`rnn.lstm`, `rnn.gemm`, `rnn.transpose`, ...)
carry ONNX semantics on static shapes with the batch dimension fixed to 1: the
kernel processes one sequence. Cell ops (`rnn.scan`, `rnn.matvec`, elementwise
arithmetic) are what `lower-rnn-layers` produces: one recurrence per direction
whose body is a single time step with explicit gate matvecs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    TensorType,
    UnitAttr,
    f32,
    i32,
    i64,
)
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import (
    Attribute,
    Dialect,
    Operation,
    ParametrizedAttribute,
    Region,
    SpacedOpaqueSyntaxAttribute,
    SSAValue,
)
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    ParsePropInAttrDict,
    base,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import HasParent, IsTerminator, Pure, RecursiveMemoryEffect
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from ercc.dialects.traits import Elementwise, Reduction, ScheduledLoop, StaticShapes

AnyTensor = base(TensorType)


def shape_of(value: SSAValue | Attribute) -> tuple[int, ...]:
    """Static shape of a tensor-typed value or type."""
    t = value.type if isinstance(value, SSAValue) else value
    assert isinstance(t, TensorType)
    return tuple(t.get_shape())


LENGTHS_TYPE = TensorType(i32, [1])
"""The type of a per-sequence length operand (ONNX sequence_lens for one sequence)."""


def _check_lengths(op: IRDLOperation) -> None:
    lengths = op.lengths
    if lengths is not None and lengths.type != LENGTHS_TYPE:
        raise VerifyException(f"lengths must be {LENGTHS_TYPE}, got {lengths.type}")


# --------------------------------------------------------------------------- #
# Attributes
# --------------------------------------------------------------------------- #


class ActivationKind(StrEnum):
    """The activation functions ONNX's recurrent ops name, plus softmax-free heads."""

    SIGMOID = "sigmoid"
    TANH = "tanh"
    RELU = "relu"
    HARD_SIGMOID = "hard_sigmoid"
    LEAKY_RELU = "leaky_relu"
    THRESHOLDED_RELU = "thresholded_relu"
    SCALED_TANH = "scaled_tanh"
    AFFINE = "affine"
    ELU = "elu"
    SOFTSIGN = "softsign"
    SOFTPLUS = "softplus"


# Default (alpha, beta) for each kind, as the ONNX operator specification gives them.
ACTIVATION_DEFAULTS: dict[ActivationKind, tuple[float, float]] = {
    ActivationKind.SIGMOID: (0.0, 0.0),
    ActivationKind.TANH: (0.0, 0.0),
    ActivationKind.RELU: (0.0, 0.0),
    ActivationKind.HARD_SIGMOID: (0.2, 0.5),
    ActivationKind.LEAKY_RELU: (0.01, 0.0),
    ActivationKind.THRESHOLDED_RELU: (1.0, 0.0),
    ActivationKind.SCALED_TANH: (1.0, 1.0),
    ActivationKind.AFFINE: (1.0, 0.0),
    ActivationKind.ELU: (1.0, 0.0),
    ActivationKind.SOFTSIGN: (0.0, 0.0),
    ActivationKind.SOFTPLUS: (0.0, 0.0),
}


@irdl_attr_definition
class ActivationAttr(ParametrizedAttribute):
    """An activation function with its ONNX alpha/beta: `#rnn.act<hard_sigmoid, 0.2, 0.5>`.

    Kinds without parameters print without them: `#rnn.act<tanh>`.
    """

    name = "rnn.act"

    kind: StringAttr
    alpha: FloatAttr
    beta: FloatAttr

    def __init__(
        self, kind: ActivationKind | str, alpha: float | None = None, beta: float | None = None
    ):
        kind = ActivationKind(kind)
        da, db = ACTIVATION_DEFAULTS[kind]
        super().__init__(
            StringAttr(kind.value),
            FloatAttr(da if alpha is None else alpha, f32),
            FloatAttr(db if beta is None else beta, f32),
        )

    @property
    def activation(self) -> ActivationKind:
        return ActivationKind(self.kind.data)

    def verify(self) -> None:
        if self.kind.data not in ActivationKind.__members__.values():
            known = ", ".join(k.value for k in ActivationKind)
            raise VerifyException(f"unknown activation '{self.kind.data}' (known: {known})")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            kind = parser.parse_identifier()
            if kind not in ActivationKind.__members__.values():
                parser.raise_error(f"unknown activation '{kind}'")
            da, db = ACTIVATION_DEFAULTS[ActivationKind(kind)]
            alpha, beta = da, db
            if parser.parse_optional_punctuation(","):
                alpha = parser.parse_float()
                parser.parse_punctuation(",")
                beta = parser.parse_float()
        return [StringAttr(kind), FloatAttr(alpha, f32), FloatAttr(beta, f32)]

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string(self.kind.data)
            if (self.alpha.value.data, self.beta.value.data) != (0.0, 0.0) or (
                self.activation not in _PARAMETERLESS
            ):
                alpha, beta = (np.float32(a.value.data) for a in (self.alpha, self.beta))
                printer.print_string(f", {str(alpha)}, {str(beta)}")


_PARAMETERLESS = {
    ActivationKind.SIGMOID,
    ActivationKind.TANH,
    ActivationKind.RELU,
    ActivationKind.SOFTSIGN,
    ActivationKind.SOFTPLUS,
}


class Direction(StrEnum):
    FORWARD = "forward"
    REVERSE = "reverse"
    BIDIRECTIONAL = "bidirectional"


@irdl_attr_definition
class DirectionAttr(EnumAttribute[Direction], SpacedOpaqueSyntaxAttribute):
    """The direction of a recurrent layer: `#rnn<direction bidirectional>`.

    `.data` is the `Direction` member, which compares equal to its string.
    """

    name = "rnn.direction"


def _int_prop(op: IRDLOperation, name: str) -> int:
    attr = op.properties[name]
    assert isinstance(attr, IntegerAttr)
    return attr.value.data


# --------------------------------------------------------------------------- #
# Layer level: ONNX semantics, batch fixed to 1
# --------------------------------------------------------------------------- #


class RecurrentLayerOp(IRDLOperation):
    """What the ONNX LSTM, GRU and RNN layers share: options, result shapes, checks.

    Each layer declares its own operands and results (their order is its ONNX
    signature: X, W, R, B, initial_h, then the layer's own, lengths last);
    `GATES` is its gate count and `ACTIVATIONS` its activations per direction.
    """

    hidden_size = prop_def(IntegerAttr)
    direction = prop_def(DirectionAttr)
    activations = prop_def(ArrayAttr[ActivationAttr])
    clip = opt_prop_def(FloatAttr)

    irdl_options = (AttrSizedOperandSegments(as_property=True), ParsePropInAttrDict())
    traits = traits_def(Pure(), StaticShapes())

    GATES: ClassVar[int]
    ACTIVATIONS: ClassVar[int]

    @staticmethod
    def layer_properties(
        hidden_size: int, direction: Direction, activations: Sequence[ActivationAttr], clip: float | None
    ) -> dict[str, Attribute]:
        props: dict[str, Attribute] = {
            "hidden_size": IntegerAttr(hidden_size, i64),
            "direction": DirectionAttr(direction),
            "activations": ArrayAttr(activations),
        }
        if clip is not None:
            props["clip"] = FloatAttr(clip, f32)
        return props

    @staticmethod
    def layer_result_types(X: SSAValue, hidden_size: int, direction: Direction, states: int) -> list[Attribute]:
        """Y [T, D, 1, H], then `states` final states [D, 1, H]."""
        T, _, _ = shape_of(X)
        D = 2 if direction == Direction.BIDIRECTIONAL else 1
        el = X.type.get_element_type()
        return [TensorType(el, [T, D, 1, hidden_size]), *(TensorType(el, [D, 1, hidden_size]) for _ in range(states))]

    @property
    def num_directions(self) -> int:
        return 2 if self.direction.data == Direction.BIDIRECTIONAL else 1

    def verify_(self) -> None:
        _check_lengths(self)
        D, H = self.num_directions, _int_prop(self, "hidden_size")
        if H <= 0:
            raise VerifyException(f"hidden_size must be positive, got {H}")
        acts = self.activations
        if len(acts) != self.ACTIVATIONS * D:
            raise VerifyException(
                f"expected {self.ACTIVATIONS * D} activations for {D} direction(s), got {len(acts)}"
            )
        gates = self.GATES
        X, W, R = self.operands[0], self.operands[1], self.operands[2]
        xs = shape_of(X)
        if len(xs) != 3 or xs[1] != 1:
            raise VerifyException(f"X must have shape [T, 1, I] (batch fixed to 1), got {list(xs)}")
        I = xs[2]
        if shape_of(W) != (D, gates * H, I):
            raise VerifyException(f"W must have shape {[D, gates * H, I]}, got {list(shape_of(W))}")
        if shape_of(R) != (D, gates * H, H):
            raise VerifyException(f"R must have shape {[D, gates * H, H]}, got {list(shape_of(R))}")
        B = self.B
        if B is not None and shape_of(B) != (D, 2 * gates * H):
            raise VerifyException(f"B must have shape {[D, 2 * gates * H]}, got {list(shape_of(B))}")
        h0 = self.initial_h
        if h0 is not None and shape_of(h0) != (D, 1, H):
            raise VerifyException(f"initial_h must have shape {[D, 1, H]}, got {list(shape_of(h0))}")
        T = xs[0]
        expect_y = (T, D, 1, H)
        if shape_of(self.results[0]) != expect_y:
            raise VerifyException(f"Y must have shape {list(expect_y)}, got {list(shape_of(self.results[0]))}")
        if shape_of(self.results[1]) != (D, 1, H):
            raise VerifyException(f"Y_h must have shape {[D, 1, H]}, got {list(shape_of(self.results[1]))}")


@irdl_op_definition
class LSTMOp(RecurrentLayerOp):
    """An ONNX LSTM layer (gate order i, o, f, c), layout 0, one sequence.

    Shapes: X [T, 1, I], W [D, 4H, I], R [D, 4H, H], B [D, 8H], initial_h and
    initial_c [D, 1, H], P [D, 3H]; results Y [T, D, 1, H], Y_h and Y_c [D, 1, H].
    """

    name = "rnn.lstm"

    X = operand_def(AnyTensor)
    W = operand_def(AnyTensor)
    R = operand_def(AnyTensor)
    B = opt_operand_def(AnyTensor)
    initial_h = opt_operand_def(AnyTensor)
    initial_c = opt_operand_def(AnyTensor)
    P = opt_operand_def(AnyTensor)
    lengths = opt_operand_def(AnyTensor)

    Y = result_def(AnyTensor)
    Y_h = result_def(AnyTensor)
    Y_c = result_def(AnyTensor)

    input_forget = opt_prop_def(UnitAttr)

    assembly_format = (
        "$X `,` $W `,` $R (`bias` `(` $B^ `:` type($B) `)`)?"
        " (`initial_h` `(` $initial_h^ `:` type($initial_h) `)`)?"
        " (`initial_c` `(` $initial_c^ `:` type($initial_c) `)`)?"
        " (`peepholes` `(` $P^ `:` type($P) `)`)?"
        " (`lengths` `(` $lengths^ `:` type($lengths) `)`)? attr-dict"
        " `:` type($X) `,` type($W) `,` type($R) `->` type($Y) `,` type($Y_h) `,` type($Y_c)"
    )

    GATES: ClassVar[int] = 4
    ACTIVATIONS: ClassVar[int] = 3

    def __init__(
        self,
        X: SSAValue,
        W: SSAValue,
        R: SSAValue,
        B: SSAValue | None,
        initial_h: SSAValue | None,
        initial_c: SSAValue | None,
        P: SSAValue | None,
        *,
        hidden_size: int,
        direction: Direction,
        activations: Sequence[ActivationAttr],
        clip: float | None = None,
        input_forget: bool = False,
        lengths: SSAValue | None = None,
    ):
        props = self.layer_properties(hidden_size, direction, activations, clip)
        if input_forget:
            props["input_forget"] = UnitAttr()
        super().__init__(
            operands=[X, W, R, _opt(B), _opt(initial_h), _opt(initial_c), _opt(P), _opt(lengths)],
            result_types=self.layer_result_types(X, hidden_size, direction, states=2),
            properties=props,
        )

    def verify_(self) -> None:
        super().verify_()
        D, H = self.num_directions, _int_prop(self, "hidden_size")
        if self.P is not None and shape_of(self.P) != (D, 3 * H):
            raise VerifyException(f"peepholes P must have shape ({D}, {3 * H}), got {shape_of(self.P)}")
        if self.initial_c is not None and shape_of(self.initial_c) != (D, 1, H):
            raise VerifyException(
                f"initial_c must have shape ({D}, 1, {H}), got {shape_of(self.initial_c)}"
            )


@irdl_op_definition
class GRUOp(RecurrentLayerOp):
    """An ONNX GRU layer (gate order z, r, h), layout 0, one sequence.

    Shapes: X [T, 1, I], W [D, 3H, I], R [D, 3H, H], B [D, 6H], initial_h
    [D, 1, H]; results Y [T, D, 1, H], Y_h [D, 1, H]. Two activations per
    direction (f for z and r, g for the candidate).
    """

    name = "rnn.gru"

    X = operand_def(AnyTensor)
    W = operand_def(AnyTensor)
    R = operand_def(AnyTensor)
    B = opt_operand_def(AnyTensor)
    initial_h = opt_operand_def(AnyTensor)
    lengths = opt_operand_def(AnyTensor)

    Y = result_def(AnyTensor)
    Y_h = result_def(AnyTensor)

    linear_before_reset = opt_prop_def(UnitAttr)

    assembly_format = (
        "$X `,` $W `,` $R (`bias` `(` $B^ `:` type($B) `)`)?"
        " (`initial_h` `(` $initial_h^ `:` type($initial_h) `)`)?"
        " (`lengths` `(` $lengths^ `:` type($lengths) `)`)? attr-dict"
        " `:` type($X) `,` type($W) `,` type($R) `->` type($Y) `,` type($Y_h)"
    )

    GATES: ClassVar[int] = 3
    ACTIVATIONS: ClassVar[int] = 2

    def __init__(
        self,
        X: SSAValue,
        W: SSAValue,
        R: SSAValue,
        B: SSAValue | None,
        initial_h: SSAValue | None,
        *,
        hidden_size: int,
        direction: Direction,
        activations: Sequence[ActivationAttr],
        clip: float | None = None,
        linear_before_reset: bool = False,
        lengths: SSAValue | None = None,
    ):
        props = self.layer_properties(hidden_size, direction, activations, clip)
        if linear_before_reset:
            props["linear_before_reset"] = UnitAttr()
        super().__init__(
            operands=[X, W, R, _opt(B), _opt(initial_h), _opt(lengths)],
            result_types=self.layer_result_types(X, hidden_size, direction, states=1),
            properties=props,
        )


@irdl_op_definition
class RNNOp(RecurrentLayerOp):
    """An ONNX (Elman) RNN layer, layout 0, one sequence: h' = f(W x + R h + Wb + Rb).

    Shapes: X [T, 1, I], W [D, H, I], R [D, H, H], B [D, 2H], initial_h
    [D, 1, H]; results Y [T, D, 1, H], Y_h [D, 1, H]. One activation per direction.
    """

    name = "rnn.rnn"

    X = operand_def(AnyTensor)
    W = operand_def(AnyTensor)
    R = operand_def(AnyTensor)
    B = opt_operand_def(AnyTensor)
    initial_h = opt_operand_def(AnyTensor)
    lengths = opt_operand_def(AnyTensor)

    Y = result_def(AnyTensor)
    Y_h = result_def(AnyTensor)

    assembly_format = (
        "$X `,` $W `,` $R (`bias` `(` $B^ `:` type($B) `)`)?"
        " (`initial_h` `(` $initial_h^ `:` type($initial_h) `)`)?"
        " (`lengths` `(` $lengths^ `:` type($lengths) `)`)? attr-dict"
        " `:` type($X) `,` type($W) `,` type($R) `->` type($Y) `,` type($Y_h)"
    )

    GATES: ClassVar[int] = 1
    ACTIVATIONS: ClassVar[int] = 1

    def __init__(
        self,
        X: SSAValue,
        W: SSAValue,
        R: SSAValue,
        B: SSAValue | None,
        initial_h: SSAValue | None,
        *,
        hidden_size: int,
        direction: Direction,
        activations: Sequence[ActivationAttr],
        clip: float | None = None,
        lengths: SSAValue | None = None,
    ):
        super().__init__(
            operands=[X, W, R, _opt(B), _opt(initial_h), _opt(lengths)],
            result_types=self.layer_result_types(X, hidden_size, direction, states=1),
            properties=self.layer_properties(hidden_size, direction, activations, clip),
        )


def _opt(v: SSAValue | None) -> list[SSAValue]:
    return [] if v is None else [v]


@irdl_op_definition
class GemmOp(IRDLOperation):
    """ONNX Gemm: alpha * op(A) @ op(B) + beta * C, with C broadcast to the result."""

    name = "rnn.gemm"

    A = operand_def(AnyTensor)
    B = operand_def(AnyTensor)
    C = opt_operand_def(AnyTensor)
    result = result_def(AnyTensor)

    alpha = prop_def(FloatAttr)
    beta = prop_def(FloatAttr)
    trans_a = prop_def(BoolAttr)
    trans_b = prop_def(BoolAttr)

    irdl_options = (ParsePropInAttrDict(),)
    traits = traits_def(Pure(), StaticShapes(), Reduction(), ScheduledLoop())
    assembly_format = (
        "$A `,` $B (`bias` `(` $C^ `:` type($C) `)`)? attr-dict"
        " `:` type($A) `,` type($B) `->` type($result)"
    )

    def __init__(self, A, B, C, *, alpha=1.0, beta=1.0, trans_a=False, trans_b=False):
        m = shape_of(A)[1 if trans_a else 0]
        n = shape_of(B)[0 if trans_b else 1]
        super().__init__(
            operands=[A, B, _opt(C)],
            result_types=[TensorType(A.type.get_element_type(), [m, n])],
            properties={
                "alpha": FloatAttr(alpha, f32),
                "beta": FloatAttr(beta, f32),
                "trans_a": BoolAttr.from_bool(trans_a),
                "trans_b": BoolAttr.from_bool(trans_b),
            },
        )

    def verify_(self) -> None:
        a, b = shape_of(self.A), shape_of(self.B)
        if len(a) != 2 or len(b) != 2:
            raise VerifyException(f"Gemm operands must be 2-D, got {list(a)} and {list(b)}")
        ta, tb = self.trans_a.value.data, self.trans_b.value.data
        m, ka = (a[1], a[0]) if ta else a
        kb, n = (b[1], b[0]) if tb else b
        if ka != kb:
            raise VerifyException(f"Gemm inner dimensions differ: {ka} and {kb}")
        if shape_of(self.result) != (m, n):
            raise VerifyException(f"Gemm result must have shape {[m, n]}, got {list(shape_of(self.result))}")


@irdl_op_definition
class MatMulOp(IRDLOperation):
    """ONNX MatMul for A [..., M, K] @ B [K, N] (B 2-D, as heads use it)."""

    name = "rnn.matmul"

    A = operand_def(AnyTensor)
    B = operand_def(AnyTensor)
    result = result_def(AnyTensor)
    traits = traits_def(Pure(), StaticShapes(), Reduction(), ScheduledLoop())
    assembly_format = "$A `,` $B attr-dict `:` functional-type(operands, results)"

    def __init__(self, A: SSAValue, B: SSAValue):
        a, b = shape_of(A), shape_of(B)
        super().__init__(
            operands=[A, B], result_types=[TensorType(A.type.get_element_type(), [*a[:-1], b[1]])]
        )

    def verify_(self) -> None:
        a, b = shape_of(self.A), shape_of(self.B)
        if len(b) != 2 or len(a) < 1 or a[-1] != b[0]:
            raise VerifyException(f"MatMul needs A[..., K] and B[K, N], got {list(a)} and {list(b)}")
        if shape_of(self.result) != (*a[:-1], b[1]):
            raise VerifyException(f"MatMul result must have shape {[*a[:-1], b[1]]}")


def broadcast_shape(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    """Numpy/ONNX multidirectional broadcast of two static shapes, or None."""
    out: list[int] = []
    for i in range(max(len(a), len(b))):
        da = a[len(a) - 1 - i] if i < len(a) else 1
        db = b[len(b) - 1 - i] if i < len(b) else 1
        if da != db and 1 not in (da, db):
            return None
        out.append(max(da, db))
    return tuple(reversed(out))


class _BinaryOp(IRDLOperation):
    """Elementwise binary arithmetic with ONNX broadcasting."""

    lhs = operand_def(AnyTensor)
    rhs = operand_def(AnyTensor)
    result = result_def(AnyTensor)
    traits = traits_def(Pure(), StaticShapes(), Elementwise(), ScheduledLoop())
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    def __init__(self, lhs: SSAValue, rhs: SSAValue):
        shape = broadcast_shape(shape_of(lhs), shape_of(rhs))
        assert shape is not None, "operands do not broadcast"
        super().__init__(
            operands=[lhs, rhs], result_types=[TensorType(lhs.type.get_element_type(), shape)]
        )

    def verify_(self) -> None:
        shape = broadcast_shape(shape_of(self.lhs), shape_of(self.rhs))
        if shape is None:
            raise VerifyException(
                f"operand shapes {list(shape_of(self.lhs))} and {list(shape_of(self.rhs))} do not broadcast"
            )
        if shape != shape_of(self.result):
            raise VerifyException(
                f"result shape must be the broadcast shape {list(shape)}, got {list(shape_of(self.result))}"
            )


@irdl_op_definition
class AddOp(_BinaryOp):
    name = "rnn.add"


@irdl_op_definition
class SubOp(_BinaryOp):
    name = "rnn.sub"


@irdl_op_definition
class MulOp(_BinaryOp):
    name = "rnn.mul"


class _UnaryOp(IRDLOperation):
    input = operand_def(AnyTensor)
    result = result_def(AnyTensor)
    traits = traits_def(Pure(), StaticShapes(), ScheduledLoop())

    def verify_(self) -> None:
        if shape_of(self.input) != shape_of(self.result):
            raise VerifyException(
                f"result shape {list(shape_of(self.result))} differs from input shape {list(shape_of(self.input))}"
            )


@irdl_op_definition
class ActivationOp(_UnaryOp):
    """Elementwise activation function, e.g. `rnn.activation #rnn.act<tanh> %x`."""

    name = "rnn.activation"
    fn = prop_def(ActivationAttr)
    traits = traits_def(Elementwise(), ScheduledLoop())
    assembly_format = "$fn $input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, fn: ActivationAttr, x: SSAValue):
        super().__init__(operands=[x], result_types=[x.type], properties={"fn": fn})


@irdl_op_definition
class ClampOp(_UnaryOp):
    """Clamps every element to [-bound, bound] (the `clip` of ONNX recurrent ops)."""

    name = "rnn.clamp"
    bound = prop_def(FloatAttr)
    traits = traits_def(Elementwise(), ScheduledLoop())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x: SSAValue, bound: float):
        super().__init__(
            operands=[x], result_types=[x.type], properties={"bound": FloatAttr(bound, f32)}
        )

    def verify_(self) -> None:
        super().verify_()
        if self.bound.value.data <= 0:
            raise VerifyException(f"clamp bound must be positive, got {self.bound.value.data}")


class _AxisOp(_UnaryOp):
    axis = prop_def(IntegerAttr)
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x: SSAValue, axis: int):
        super().__init__(
            operands=[x], result_types=[x.type], properties={"axis": IntegerAttr(axis, i64)}
        )

    def verify_(self) -> None:
        super().verify_()
        rank = len(shape_of(self.input))
        if not 0 <= self.axis.value.data < rank:
            raise VerifyException(f"axis {self.axis.value.data} out of range for rank {rank}")


@irdl_op_definition
class SoftmaxOp(_AxisOp):
    name = "rnn.softmax"


@irdl_op_definition
class LogSoftmaxOp(_AxisOp):
    name = "rnn.log_softmax"


@irdl_op_definition
class ReshapeOp(IRDLOperation):
    """Same elements in the same row-major order, another static shape.

    Stands for ONNX Reshape, Flatten, Squeeze and Unsqueeze.
    """

    name = "rnn.reshape"
    input = operand_def(AnyTensor)
    result = result_def(AnyTensor)
    traits = traits_def(Pure(), StaticShapes())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x: SSAValue, shape: Sequence[int]):
        super().__init__(operands=[x], result_types=[TensorType(x.type.get_element_type(), shape)])

    def verify_(self) -> None:
        a, b = shape_of(self.input), shape_of(self.result)
        if _numel(a) != _numel(b):
            raise VerifyException(f"reshape changes the element count: {list(a)} to {list(b)}")


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


@irdl_op_definition
class TransposeOp(IRDLOperation):
    """ONNX Transpose with a static permutation."""

    name = "rnn.transpose"
    input = operand_def(AnyTensor)
    result = result_def(AnyTensor)
    perm = prop_def(DenseArrayBase.constr(i64))
    traits = traits_def(Pure(), StaticShapes(), ScheduledLoop())
    assembly_format = "$input `perm` $perm attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x: SSAValue, perm: Sequence[int]):
        shape = shape_of(x)
        super().__init__(
            operands=[x],
            result_types=[TensorType(x.type.get_element_type(), [shape[p] for p in perm])],
            properties={"perm": DenseArrayBase.from_list(i64, list(perm))},
        )

    def verify_(self) -> None:
        perm = list(self.perm.get_values())
        shape = shape_of(self.input)
        if sorted(perm) != list(range(len(shape))):
            raise VerifyException(f"perm {perm} is not a permutation of rank {len(shape)}")
        if shape_of(self.result) != tuple(shape[p] for p in perm):
            raise VerifyException(f"result shape must be {[shape[p] for p in perm]}")


@irdl_op_definition
class SliceOp(IRDLOperation):
    """A static strided window: result[i] = input[offsets + i * strides] per axis.

    Stands for ONNX Slice and Gather with a constant index (followed by a reshape).
    """

    name = "rnn.slice"
    input = operand_def(AnyTensor)
    result = result_def(AnyTensor)
    offsets = prop_def(DenseArrayBase.constr(i64))
    strides = prop_def(DenseArrayBase.constr(i64))
    traits = traits_def(Pure(), StaticShapes(), ScheduledLoop())
    assembly_format = (
        "$input `offsets` $offsets `strides` $strides attr-dict `:` type($input) `->` type($result)"
    )

    def __init__(self, x: SSAValue, offsets: Sequence[int], sizes: Sequence[int], strides: Sequence[int]):
        super().__init__(
            operands=[x],
            result_types=[TensorType(x.type.get_element_type(), sizes)],
            properties={
                "offsets": DenseArrayBase.from_list(i64, list(offsets)),
                "strides": DenseArrayBase.from_list(i64, list(strides)),
            },
        )

    def verify_(self) -> None:
        shape, out = shape_of(self.input), shape_of(self.result)
        offs, strides = list(self.offsets.get_values()), list(self.strides.get_values())
        if not (len(shape) == len(out) == len(offs) == len(strides)):
            raise VerifyException("slice offsets, strides and shapes must have the input's rank")
        for d, (n, m, o, s) in enumerate(zip(shape, out, offs, strides)):
            if s == 0 or not 0 <= o < n or not 0 <= o + (m - 1) * s < n:
                raise VerifyException(f"slice along axis {d} leaves the input (size {n})")


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """ONNX Concat along a static axis."""

    name = "rnn.concat"
    inputs = var_operand_def(AnyTensor)
    result = result_def(AnyTensor)
    axis = prop_def(IntegerAttr)
    traits = traits_def(Pure(), StaticShapes(), ScheduledLoop())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$inputs attr-dict `:` functional-type(operands, results)"

    def __init__(self, inputs: Sequence[SSAValue], axis: int):
        shapes = [shape_of(v) for v in inputs]
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        super().__init__(
            operands=[inputs],
            result_types=[TensorType(inputs[0].type.get_element_type(), out)],
            properties={"axis": IntegerAttr(axis, i64)},
        )

    def verify_(self) -> None:
        axis = self.axis.value.data
        shapes = [shape_of(v) for v in self.inputs]
        if not shapes:
            raise VerifyException("concat needs at least one input")
        rank = len(shapes[0])
        if not 0 <= axis < rank:
            raise VerifyException(f"axis {axis} out of range for rank {rank}")
        for s in shapes:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != axis):
                raise VerifyException(f"concat inputs differ outside axis {axis}: {[list(x) for x in shapes]}")
        out = list(shapes[0])
        out[axis] = sum(s[axis] for s in shapes)
        if list(shape_of(self.result)) != out:
            raise VerifyException(f"concat result must have shape {out}")


# --------------------------------------------------------------------------- #
# Cell level: one recurrence per direction, explicit gate matvecs
# --------------------------------------------------------------------------- #


_DECISION_CHECKS: list[Callable[[Operation], None]] = []


def register_decision_check(check: Callable[[Operation], None]) -> None:
    """Adds a check that the scheduling decisions recorded on a map or scan fit its body, run by
    their verifiers. The sched dialect registers its own (`ercc.dialects.sched_rows`, which builds
    on this module: it cannot be imported from here)."""
    _DECISION_CHECKS.append(check)


def _check_decisions(op: Operation) -> None:
    for check in _DECISION_CHECKS:
        check(op)


@irdl_op_definition
class ScanOp(IRDLOperation):
    """A recurrence over the leading axis of `xs`.

    The body receives one step x_t and the current states and yields the new
    states. Results: the first state stacked over all steps ([T, ...], in input
    order even when `reverse` runs the steps from last to first), then the
    final value of every state.

    With an optional `lengths` operand (`tensor<1xi32>`, ONNX sequence_lens of
    the one sequence, clamped to [0, T]) only the first `len` steps run
    (`reverse` runs len-1 down to 0); ys rows from len on are zero and the
    finals are the states after the last valid step (zero when len is 0, as
    onnxruntime does).
    """

    name = "rnn.scan"
    xs = operand_def(AnyTensor)
    lengths = opt_operand_def(AnyTensor)
    init = var_operand_def(AnyTensor)
    ys = result_def(AnyTensor)
    finals = var_result_def(AnyTensor)
    body = region_def("single_block")
    reverse = opt_prop_def(UnitAttr)
    traits = traits_def(RecursiveMemoryEffect(), StaticShapes(), ScheduledLoop())
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    assembly_format = (
        "(`reverse` $reverse^)? $xs (`lengths` `(` $lengths^ `:` type($lengths) `)`)?"
        " `init` `(` $init `)` attr-dict"
        " `:` `(` type($xs) `,` type($init) `)` `->` `(` type($ys) `,` type($finals) `)` $body"
    )

    def __init__(
        self,
        xs: SSAValue,
        init: Sequence[SSAValue],
        body: Region,
        reverse: bool = False,
        lengths: SSAValue | None = None,
    ):
        T = shape_of(xs)[0]
        first = init[0].type
        super().__init__(
            operands=[xs, _opt(lengths), init],
            result_types=[
                TensorType(first.get_element_type(), [T, *shape_of(first)]),
                [v.type for v in init],
            ],
            regions=[body],
            properties={"reverse": UnitAttr()} if reverse else {},
        )

    def verify_(self) -> None:
        _check_lengths(self)
        xs = shape_of(self.xs)
        if not self.init:
            raise VerifyException("rnn.scan needs at least one state")
        args = self.body.block.args
        if len(args) != 1 + len(self.init):
            raise VerifyException(
                f"body must take the step and {len(self.init)} state(s), got {len(args)} arguments"
            )
        if shape_of(args[0]) != xs[1:]:
            raise VerifyException(f"body step argument must have shape {list(xs[1:])}")
        for i, (a, v, r) in enumerate(zip(args[1:], self.init, self.finals)):
            if a.type != v.type or r.type != v.type:
                raise VerifyException(f"state {i} has inconsistent types: {v.type}, {a.type}, {r.type}")
        term = self.body.block.last_op
        if not isinstance(term, YieldOp) or len(term.values) != len(self.init):
            raise VerifyException(f"body must end with rnn.yield of {len(self.init)} state(s)")
        for i, (y, v) in enumerate(zip(term.values, self.init)):
            if y.type != v.type:
                raise VerifyException(f"yielded state {i} has type {y.type}, expected {v.type}")
        if shape_of(self.ys) != (xs[0], *shape_of(self.init[0])):
            raise VerifyException(f"ys must have shape {[xs[0], *shape_of(self.init[0])]}")
        _check_decisions(self)


@irdl_op_definition
class MapOp(IRDLOperation):
    """A loop over the leading axis of `xs` with no state: row t of each result is the body applied to x_t.

    Each row is stored in its result's element type (a conversion when it differs from the yielded one).

    `hoist-input-path` moves the part of a scan body that depends only on the
    step input here: its steps are independent, so the hardware can run them
    ahead of the recurrence that reads the rows.
    """

    name = "rnn.map"
    xs = operand_def(AnyTensor)
    ys = var_result_def(AnyTensor)
    body = region_def("single_block")
    traits = traits_def(RecursiveMemoryEffect(), StaticShapes(), ScheduledLoop())

    assembly_format = "$xs attr-dict `:` type($xs) `->` `(` type($ys) `)` $body"

    def __init__(self, xs: SSAValue, body: Region):
        T = shape_of(xs)[0]
        yielded = body.block.last_op
        assert isinstance(yielded, YieldOp)
        super().__init__(
            operands=[xs],
            result_types=[[TensorType(v.type.get_element_type(), [T, *shape_of(v)]) for v in yielded.values]],
            regions=[body],
        )

    def verify_(self) -> None:
        xs = shape_of(self.xs)
        if not self.ys:
            raise VerifyException("rnn.map needs at least one result")
        args = self.body.block.args
        if len(args) != 1 or shape_of(args[0]) != xs[1:]:
            raise VerifyException(f"body must take one step argument of shape {list(xs[1:])}")
        term = self.body.block.last_op
        if not isinstance(term, YieldOp) or len(term.values) != len(self.ys):
            raise VerifyException(f"body must end with rnn.yield of {len(self.ys)} value(s)")
        for i, (v, y) in enumerate(zip(term.values, self.ys)):
            if shape_of(y) != (xs[0], *shape_of(v)):
                want, got = [xs[0], *shape_of(v)], list(shape_of(y))
                raise VerifyException(f"result {i} must have shape {want} (the yielded rows stacked), got {got}")
        _check_decisions(self)


@irdl_op_definition
class YieldOp(IRDLOperation):
    """Terminates an `rnn.scan` body with the next states, or an `rnn.map` body with one row per result."""

    name = "rnn.yield"
    values = var_operand_def()
    traits = traits_def(IsTerminator(), HasParent(ScanOp, MapOp), Pure())
    assembly_format = "$values attr-dict `:` type($values)"

    def __init__(self, *values: SSAValue):
        super().__init__(operands=[values])


@irdl_op_definition
class MatVecOp(IRDLOperation):
    """Dense matrix-vector product y = W x, W [rows, cols], x [cols]."""

    name = "rnn.matvec"
    weight = operand_def(AnyTensor)
    input = operand_def(AnyTensor)
    result = result_def(AnyTensor)
    traits = traits_def(Pure(), StaticShapes(), Reduction(), ScheduledLoop())
    assembly_format = "$weight `,` $input attr-dict `:` functional-type(operands, results)"

    def __init__(self, weight: SSAValue, x: SSAValue):
        rows = shape_of(weight)[0]
        super().__init__(
            operands=[weight, x], result_types=[TensorType(x.type.get_element_type(), [rows])]
        )

    def verify_(self) -> None:
        w, x, y = shape_of(self.weight), shape_of(self.input), shape_of(self.result)
        if len(w) != 2 or x != (w[1],) or y != (w[0],):
            raise VerifyException(
                f"matvec needs W [rows, cols], x [cols], y [rows]; got {list(w)}, {list(x)}, {list(y)}"
            )


RNN = Dialect(
    "rnn",
    [
        LSTMOp,
        GRUOp,
        RNNOp,
        GemmOp,
        MatMulOp,
        AddOp,
        SubOp,
        MulOp,
        ActivationOp,
        ClampOp,
        SoftmaxOp,
        LogSoftmaxOp,
        ReshapeOp,
        TransposeOp,
        SliceOp,
        ConcatOp,
        ScanOp,
        MapOp,
        YieldOp,
        MatVecOp,
    ],
    [ActivationAttr, DirectionAttr],
)
