"""The `fix` dialect: fixed-point element types with ap_fixed semantics.

`!fix.fixed<W, I>` is `ap_fixed<W, I>`: W total bits, I of them integer bits
(sign included), signed, truncating (AP_TRN) and wrapping (AP_WRAP). Optional
trailing keywords, in any order when parsed and printed in this order, change
the defaults: `unsigned` (ap_ufixed), a quantization mode (AP_RND, AP_TRN_ZERO,
AP_RND_ZERO, AP_RND_INF, AP_RND_MIN_INF, AP_RND_CONV) and an overflow mode
(AP_SAT, AP_SAT_ZERO, AP_SAT_SYM):

    !fix.fixed<16, 6>                        ap_fixed<16,6>
    !fix.fixed<16, 6, AP_RND, AP_SAT>        ap_fixed<16,6,AP_RND,AP_SAT>
    !fix.fixed<8, 0, unsigned, AP_RND_CONV>  ap_ufixed<8,0,AP_RND_CONV>

It is an element type: `tensor<4x!fix.fixed<16, 6>>`, and
`!circ.spectrum<n, k, !fix.fixed<...>>` is complex fixed point (real and
imaginary parts share the format). The arithmetic is
`ercc.numerics.fixed` (bit-exact with ap_fixed).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
    i32,
    i64,
)
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SpacedOpaqueSyntaxAttribute, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
)
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from ercc.dialects.traits import Elementwise, ScheduledLoop
from ercc.numerics.fixed import OVERFLOW_MODES, QUANTIZATION_MODES, FixedFormat, fitting_format, format_problem
from ercc.numerics.quantizer import Quantizer

_SIGNEDNESS = ("signed", "unsigned")

# ap_fixed's modes, named as in C++ (member name = value = `AP_RND`, ...); the
# list is ercc.numerics.fixed's, which implements each of them.
QuantizationMode = StrEnum("QuantizationMode", [(m, m) for m in QUANTIZATION_MODES])
OverflowMode = StrEnum("OverflowMode", [(m, m) for m in OVERFLOW_MODES])


@irdl_attr_definition
class QuantizationModeAttr(EnumAttribute[QuantizationMode], SpacedOpaqueSyntaxAttribute):
    """An ap_fixed quantization (rounding) mode: `#fix<quantization AP_RND>`."""

    name = "fix.quantization"


@irdl_attr_definition
class OverflowModeAttr(EnumAttribute[OverflowMode], SpacedOpaqueSyntaxAttribute):
    """An ap_fixed overflow mode: `#fix<overflow AP_SAT>`."""

    name = "fix.overflow"


def _modes(rnd: str, sat: str) -> tuple[QuantizationModeAttr, OverflowModeAttr]:
    """The mode attributes of a format; an unknown mode is a verifier error naming the known ones."""
    problem = format_problem(1, 0, rnd, sat)
    if problem:
        raise VerifyException(problem)
    return QuantizationModeAttr(QuantizationMode(rnd)), OverflowModeAttr(OverflowMode(sat))


@irdl_attr_definition
class FixedType(ParametrizedAttribute, TypeAttribute):
    """A fixed-point number: `!fix.fixed<16, 6, AP_RND, AP_SAT>`."""

    name = "fix.fixed"

    width: IntAttr
    int_bits: IntAttr
    signedness: StringAttr
    rnd: QuantizationModeAttr
    sat: OverflowModeAttr

    def __init__(self, width: int, int_bits: int, signed: bool = True, rnd: str = "AP_TRN", sat: str = "AP_WRAP"):
        super().__init__(IntAttr(width), IntAttr(int_bits), StringAttr(_SIGNEDNESS[not signed]), *_modes(rnd, sat))

    @staticmethod
    def from_format(fmt: FixedFormat) -> FixedType:
        return FixedType(fmt.width, fmt.int_bits, fmt.signed, fmt.rnd, fmt.sat)

    @property
    def signed(self) -> bool:
        return self.signedness.data == "signed"

    @property
    def format(self) -> FixedFormat:
        """The numpy-side description (ercc.numerics.fixed)."""
        return FixedFormat(self.width.data, self.int_bits.data, self.signed, self.rnd.data.value, self.sat.data.value)

    def verify(self) -> None:
        if self.signedness.data not in _SIGNEDNESS:
            raise VerifyException(f"signedness must be 'signed' or 'unsigned', got '{self.signedness.data}'")
        problem = format_problem(self.width.data, self.int_bits.data, self.rnd.data.value, self.sat.data.value)
        if problem:
            raise VerifyException(problem)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            width = parser.parse_integer(allow_boolean=False, context_msg=" (fixed-point width)")
            parser.parse_punctuation(",")
            int_bits = parser.parse_integer(allow_boolean=False, context_msg=" (fixed-point integer bits)")
            signedness, rnd, sat = "signed", "AP_TRN", "AP_WRAP"
            seen: set[str] = set()
            while parser.parse_optional_punctuation(",") is not None:
                pos = parser.pos
                word = parser.parse_identifier(" (signed, unsigned, a quantization or an overflow mode)")
                kind = (
                    "signedness"
                    if word in _SIGNEDNESS
                    else "quantization"
                    if word in QUANTIZATION_MODES
                    else "overflow"
                    if word in OVERFLOW_MODES
                    else None
                )
                if kind is None:
                    parser.raise_error(
                        f"unknown fixed-point keyword '{word}': expected signed, unsigned, "
                        f"{', '.join(QUANTIZATION_MODES)} or {', '.join(OVERFLOW_MODES)}",
                        pos,
                        parser.pos,
                    )
                if kind in seen:
                    parser.raise_error(f"the {kind} of a fixed-point type is given twice", pos, parser.pos)
                seen.add(kind)
                if kind == "signedness":
                    signedness = word
                elif kind == "quantization":
                    rnd = word
                else:
                    sat = word
        return [IntAttr(width), IntAttr(int_bits), StringAttr(signedness), *_modes(rnd, sat)]

    def print_parameters(self, printer: Printer) -> None:
        parts = [str(self.width.data), str(self.int_bits.data)]
        if self.signedness.data != "signed":
            parts.append(self.signedness.data)
        if self.rnd.data != QuantizationMode.AP_TRN:
            parts.append(self.rnd.data.value)
        if self.sat.data != OverflowMode.AP_WRAP:
            parts.append(self.sat.data.value)
        with printer.in_angle_brackets():
            printer.print_string(", ".join(parts))


def raw_dense_attr(raw: np.ndarray) -> DenseIntOrFPElementsAttr:
    """Raw fixed-point integers as a dense attribute: i32 when they fit, else i64."""
    raw = np.asarray(raw, dtype=np.int64)
    small = raw.size == 0 or (raw.min() >= -(2**31) and raw.max() < 2**31)
    el, dtype = (i32, "<i4") if small else (i64, "<i8")
    return DenseIntOrFPElementsAttr(TensorType(el, raw.shape), BytesAttr(raw.astype(dtype).tobytes()))


def raw_values(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    """The raw integers of an attribute built by `raw_dense_attr` (int64, its shape)."""
    el = attr.get_element_type()
    if not isinstance(el, IntegerType) or el.width.data not in (32, 64):
        raise VerifyException(f"raw fixed-point values must be i32 or i64, got {el}")
    shape = tuple(attr.get_shape())
    data = np.frombuffer(attr.data.data, dtype="<i4" if el.width.data == 32 else "<i8").astype(np.int64)
    if data.size == 1 and int(np.prod(shape, dtype=int)) != 1:
        return np.broadcast_to(data, shape)
    return data.reshape(shape)


def coefficient_format(value: float, like: FixedFormat) -> FixedFormat:
    """The format of an activation's alpha/beta next to values of format `like`.

    `like`'s width and modes, and the fewest integer bits whose range holds the
    value (the emitter and the reference executor both quantize with it).
    """
    return fitting_format(abs(float(value)), like.width, like.rnd, like.sat)


def fixed_element(t: Attribute) -> FixedType | None:
    """The fixed-point element type of a tensor, spectrum or block-circulant type, else None."""
    el = t.get_element_type() if isinstance(t, TensorType) else getattr(t, "element_type", None)
    return el if isinstance(el, FixedType) else None


@irdl_op_definition
class ConstOp(IRDLOperation):
    """A fixed-point tensor constant stored as raw integers (value = raw * 2**-frac).

    `fix.const dense<[384, -128]> : tensor<2xi32> -> tensor<2x!fix.fixed<16, 6>>`
    holds [0.375, -0.125].
    """

    name = "fix.const"
    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(TensorType)
    traits = traits_def(Pure(), ConstantLike())
    assembly_format = "attr-dict $value `->` type($result)"

    def __init__(self, raw: np.ndarray, result_type: TensorType):
        super().__init__(properties={"value": raw_dense_attr(raw)}, result_types=[result_type])

    def verify_(self) -> None:
        t = self.result.type
        el = t.get_element_type()
        if not isinstance(el, FixedType):
            raise VerifyException(f"fix.const must produce a tensor of !fix.fixed, got {t}")
        if tuple(self.value.get_shape()) != tuple(t.get_shape()):
            raise VerifyException(
                f"raw values have shape {list(self.value.get_shape())}, result {list(t.get_shape())}"
            )
        raw = raw_values(self.value)
        fmt = el.format
        if raw.size and (raw.min() < fmt.raw_min or raw.max() > fmt.raw_max):
            raise VerifyException(
                f"raw values must lie in [{fmt.raw_min}, {fmt.raw_max}] for {el}, got [{raw.min()}, {raw.max()}]"
            )


@irdl_op_definition
class PWLOp(IRDLOperation):
    """A piecewise-linear function with N segments (activation-approximation's smooth activations).

    `fix.pwl %x, %breaks, %values, %slopes {below = 0.0, above = 1.0}`, with
    `breaks` of N+1 ascending breakpoints and `values`, `slopes` of N entries:

        y = below                                         if x <  breaks[0]
        y = above                                         if x >= breaks[N]
        y = values[s] + slopes[s] * (x - breaks[s])       else, s the last with breaks[s] <= x

    The right-hand side is computed exactly (ap_fixed's full-precision
    operators; in float32 for f32 tensors, in this order) and assigned to the
    result's element type once. `below` and `above` are assigned to it too.
    Functions with a linear asymptote (softplus, elu) replace `above` by the
    `identity_above` flag: y = x (assigned) for x >= breaks[N].
    """

    name = "fix.pwl"
    input = operand_def(TensorType)
    breaks = operand_def(TensorType)
    values = operand_def(TensorType)
    slopes = operand_def(TensorType)
    result = result_def(TensorType)
    below = prop_def(FloatAttr)
    above = opt_prop_def(FloatAttr)
    identity_above = opt_prop_def(UnitAttr)
    traits = traits_def(Pure(), Elementwise(), ScheduledLoop())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = (
        "$input `,` $breaks `,` $values `,` $slopes attr-dict `:` "
        "`(` type($input) `,` type($breaks) `,` type($values) `,` type($slopes) `)` `->` type($result)"
    )

    def __init__(self, x, breaks, values, slopes, below: float, above: float | None):
        """`above=None` sets `identity_above`."""
        props: dict[str, Attribute] = {"below": FloatAttr(below, Float64Type())}
        if above is None:
            props["identity_above"] = UnitAttr()
        else:
            props["above"] = FloatAttr(above, Float64Type())
        super().__init__(operands=[x, breaks, values, slopes], result_types=[x.type], properties=props)

    def verify_(self) -> None:
        shapes = [tuple(v.type.get_shape()) for v in (self.breaks, self.values, self.slopes)]
        if any(len(s) != 1 for s in shapes) or shapes[0][0] != shapes[1][0] + 1 or shapes[1] != shapes[2]:
            raise VerifyException(
                f"fix.pwl needs N+1 breakpoints and N values and slopes (1-D), got shapes {[list(s) for s in shapes]}"
            )
        if shapes[1][0] < 1:
            raise VerifyException("fix.pwl needs at least one segment")
        if (self.above is None) == (self.identity_above is None):
            raise VerifyException("fix.pwl needs exactly one of 'above' and 'identity_above'")
        if tuple(self.input.type.get_shape()) != tuple(self.result.type.get_shape()):
            raise VerifyException("fix.pwl result must have its input's shape")
        kinds = {isinstance(v.type.get_element_type(), Float32Type) for v in self.operands}
        kinds.add(isinstance(self.result.type.get_element_type(), Float32Type))
        if len(kinds) != 1:
            raise VerifyException("fix.pwl operands and result must be all f32 or all !fix.fixed")


@irdl_op_definition
class QuantOp(IRDLOperation):
    """A quantizer of a quantization-aware model (Brevitas, QONNX `Quant`, ONNX Q/DQ).

    `fix.quant %x {scale = 0.0078125 : f64, zero_point = 0.0 : f64, bits = 8 : i64, signed, rounding = "ROUND"}`
    is y = (clamp(round(x / scale + zero_point), lo, hi) - zero_point) * scale
    on f32 tensors, with [lo, hi] the `bits`-bit grid (`signed`, `narrow`),
    shifted down by `offset` (an ONNX QuantizeLinear zero point):
    `ercc.numerics.quantizer` defines it. The model's own quantization
    points, kept as they are: nothing in ercc chooses them.

    With a `!fix.fixed` result of `bits` bits (integer-quantizers' input
    quantizer) the op yields the integer codes instead: the result's raw
    integers are clamp(round(x / scale), lo, hi), computed in float32 the
    same way (zero point and offset 0).
    """

    name = "fix.quant"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    scale = prop_def(FloatAttr)
    zero_point = prop_def(FloatAttr)
    bits = prop_def(IntegerAttr)
    signed = opt_prop_def(UnitAttr)
    narrow = opt_prop_def(UnitAttr)
    rounding = prop_def(StringAttr)
    offset = opt_prop_def(IntegerAttr)  # an ONNX QuantizeLinear zero point (added after rounding)
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x, q: Quantizer, result_type: Attribute | None = None):
        """`result_type`: a tensor of `!fix.fixed` for the codes; by default x's f32 type."""
        props = dict(QuantOp.properties_of(q).data)
        super().__init__(operands=[x], result_types=[result_type or x.type], properties=props)

    @staticmethod
    def properties_of(q: Quantizer) -> DictionaryAttr:
        props: dict[str, Attribute] = {
            "scale": FloatAttr(float(q.scale), Float64Type()),
            "zero_point": FloatAttr(float(q.zero_point), Float64Type()),
            "bits": IntegerAttr(int(q.bits), i64),
            "rounding": StringAttr(q.rounding),
        }
        if q.signed:
            props["signed"] = UnitAttr()
        if q.narrow:
            props["narrow"] = UnitAttr()
        if q.offset:
            props["offset"] = IntegerAttr(int(q.offset), i64)
        if q.channel_scales is not None:
            scales = np.asarray(q.channel_scales, dtype=np.float32)
            props["channel_scales"] = DenseIntOrFPElementsAttr.from_list(TensorType(Float32Type(), scales.shape),
                                                                         scales.tolist())
        return DictionaryAttr(props)

    @property
    def quantizer(self) -> Quantizer:
        return Quantizer(
            self.scale.value.data, self.zero_point.value.data, self.bits.value.data,
            self.signed is not None, self.narrow is not None, self.rounding.data,
            0 if self.offset is None else self.offset.value.data,
        )

    def verify_(self) -> None:
        if not isinstance(self.input.type.get_element_type(), Float32Type):
            raise VerifyException(f"fix.quant works on f32 tensors, got {self.input.type}")
        problem = self.quantizer.problem()
        if problem:
            raise VerifyException(f"fix.quant: {problem}")
        el = self.result.type.get_element_type()
        if not isinstance(el, FixedType):
            if self.input.type != self.result.type:
                raise VerifyException("fix.quant result must have its input's type")
            return
        q = self.quantizer
        if tuple(self.input.type.get_shape()) != tuple(self.result.type.get_shape()):
            raise VerifyException("fix.quant result must have its input's shape")
        if el.width.data != q.bits or el.signed != q.signed:
            raise VerifyException(f"fix.quant to codes needs a {q.bits}-bit {'' if q.signed else 'un'}signed result, got {el}")
        if q.offset:
            raise VerifyException("fix.quant to codes needs offset 0")


@irdl_op_definition
class DequantOp(IRDLOperation):
    """Integer codes back to float32: y = float32(x) * scale, with x's fixed-point value.

    `fix.dequant %h {scale = 0.0123 : f64} : tensor<16x!fix.fixed<8, 8, AP_RND_CONV, AP_SAT>> -> tensor<16xf32>`:
    a quantized value leaving the integer datapath (to a float head, or the
    kernel's output), the same float32 product Brevitas computes.
    """

    name = "fix.dequant"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    scale = prop_def(FloatAttr)
    traits = traits_def(Pure(), Elementwise(), ScheduledLoop())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x, scale: float):
        t = x.type
        super().__init__(operands=[x], result_types=[TensorType(Float32Type(), t.get_shape())],
                         properties={"scale": FloatAttr(float(np.float32(scale)), Float64Type())})

    def verify_(self) -> None:
        if not isinstance(self.input.type.get_element_type(), FixedType):
            raise VerifyException(f"fix.dequant needs a tensor of !fix.fixed, got {self.input.type}")
        if not isinstance(self.result.type.get_element_type(), Float32Type):
            raise VerifyException(f"fix.dequant produces f32, got {self.result.type}")
        if tuple(self.input.type.get_shape()) != tuple(self.result.type.get_shape()):
            raise VerifyException("fix.dequant result must have its input's shape")
        s = self.scale.value.data
        if not (np.isfinite(s) and s > 0):
            raise VerifyException(f"fix.dequant: scale must be a positive finite number, got {s}")


@irdl_op_definition
class TableOp(IRDLOperation):
    """A function of a narrow fixed-point value as a table: y = table[raw(x) - raw_min(x)].

    `fix.table %x, %t : (tensor<16x!fix.fixed<8, 8>>, tensor<256x!fix.fixed<8, 8, unsigned>>) -> ...`
    with one entry per raw value of x's element type (2^width entries), of the
    result's element type. integer-quantizers builds σ/tanh between two
    quantizers this way: the table holds the quantized activation of every
    code, so the kernel needs no exp or divider on that path.
    """

    name = "fix.table"
    input = operand_def(TensorType)
    table = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure(), Elementwise(), ScheduledLoop())
    assembly_format = "$input `,` $table attr-dict `:` `(` type($input) `,` type($table) `)` `->` type($result)"

    MAX_INPUT_BITS: ClassVar[int] = 12  # 4096 entries: a BRAM18 of 4-bit entries, two of 8-bit ones

    def __init__(self, x, table):
        t = TensorType(table.type.get_element_type(), x.type.get_shape())
        super().__init__(operands=[x, table], result_types=[t])

    def verify_(self) -> None:
        x_el, t_el = self.input.type.get_element_type(), self.table.type.get_element_type()
        if not isinstance(x_el, FixedType) or not isinstance(t_el, FixedType):
            raise VerifyException("fix.table needs !fix.fixed input and table")
        width = x_el.width.data
        if width > self.MAX_INPUT_BITS:
            raise VerifyException(f"fix.table input is {width} bits wide; tables index at most {self.MAX_INPUT_BITS} bits")
        if tuple(self.table.type.get_shape()) != (1 << width,):
            raise VerifyException(
                f"fix.table needs one entry per {width}-bit input value ({1 << width}), got shape "
                f"{list(self.table.type.get_shape())}"
            )
        if self.result.type != TensorType(t_el, self.input.type.get_shape()):
            raise VerifyException("fix.table result must have the input's shape and the table's element type")


@irdl_op_definition
class CastOp(IRDLOperation):
    """A fixed-point value assigned to another fixed-point format: `dst = src` in ap_fixed
    (the result type's rounding and overflow modes; exact when the result holds every value).

    `fix.cast %x : tensor<16x!fix.fixed<16, 3>> -> tensor<16x!fix.fixed<8, 3, AP_RND_CONV, AP_SAT>>`
    """

    name = "fix.cast"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    traits = traits_def(Pure(), Elementwise(), ScheduledLoop())
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x, element: FixedType):
        super().__init__(operands=[x], result_types=[TensorType(element, x.type.get_shape())])

    def verify_(self) -> None:
        if not isinstance(self.input.type.get_element_type(), FixedType) or not isinstance(
            self.result.type.get_element_type(), FixedType
        ):
            raise VerifyException(f"fix.cast converts between !fix.fixed tensors, got {self.input.type} -> {self.result.type}")
        if tuple(self.input.type.get_shape()) != tuple(self.result.type.get_shape()):
            raise VerifyException("fix.cast result must have its input's shape")


# On a weight or bias constant of a quantized cell (lower-rnn-layers writes it, integer-quantizers
# reads it): the quantizer whose grid its values lie on, as `QuantOp.properties_of` gives it.
WEIGHT_QUANTIZER = "ercc.quantizer"


def quantizers_attr(quantizers: dict[str, Quantizer]) -> DictionaryAttr:
    """A layer's quantizers by role, as the `ercc.quantizers` attribute of its `rnn.lstm`
    (`lower-rnn-layers` reads it back with `quantizers_of`)."""
    return DictionaryAttr({role: QuantOp.properties_of(q) for role, q in sorted(quantizers.items())})


def quantizers_of(attr: Attribute | None) -> dict[str, Quantizer] | None:
    """The quantizers of an `ercc.quantizers` attribute, None without one."""
    if not isinstance(attr, DictionaryAttr):
        return None
    out = {}
    for role, props in attr.data.items():
        d = props.data
        channel = d.get("channel_scales")
        out[role] = Quantizer(
            d["scale"].value.data, d["zero_point"].value.data, d["bits"].value.data,
            "signed" in d, "narrow" in d, d["rounding"].data, d["offset"].value.data if "offset" in d else 0,
            None if channel is None else tuple(float(v) for v in channel.get_values()),
        )
    return out


FIX = Dialect("fix", [ConstOp, PWLOp, QuantOp, DequantOp, TableOp, CastOp], [FixedType, QuantizationModeAttr, OverflowModeAttr])
