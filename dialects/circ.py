"""The `circ` dialect: block-circulant weights and their arithmetic.

A rows×cols block-circulant matrix with block size k is stored as p×q×k
defining vectors (p = ceil(rows/k), q = ceil(cols/k); see
`ercc.numerics.circulant` for the one definition of the layout). `circ.matvec`
is the product in the time domain; `fft-decompose` rewrites it into
`circ.rfft` → `circ.freq_mac` → `circ.irfft`, where a spectrum holds k/2+1
complex bins per block.
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    IntAttr,
    TensorType,
)
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, SSAValue, TypeAttribute
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    base,
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

from ercc.dialects.traits import Reduction, ScheduledLoop
from ercc.numerics.circulant import block_grid
from ercc.numerics.intmath import ceil_div, is_power_of_two


class _MatrixType(ParametrizedAttribute, TypeAttribute):
    """A rows×cols matrix in k×k circulant blocks: `<16x12, 4, f32>`."""

    rows: IntAttr
    cols: IntAttr
    block: IntAttr
    element_type: Attribute

    def __init__(self, rows: int, cols: int, block: int, element_type: Attribute):
        super().__init__(IntAttr(rows), IntAttr(cols), IntAttr(block), element_type)

    @property
    def grid(self) -> tuple[int, int]:
        """(p, q): block rows and block columns."""
        return block_grid(self.rows.data, self.cols.data, self.block.data)

    def verify(self) -> None:
        if self.rows.data < 1 or self.cols.data < 1:
            raise VerifyException(f"matrix dimensions must be positive, got {self.rows.data}x{self.cols.data}")
        if not is_power_of_two(self.block.data):
            raise VerifyException(f"block size must be a power of two, got {self.block.data}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            rows = parser.parse_shape_dimension()
            parser.parse_shape_delimiter()
            cols = parser.parse_shape_dimension()
            parser.parse_punctuation(",")
            block = parser.parse_integer(allow_boolean=False)
            parser.parse_punctuation(",")
            el = parser.parse_type()
        return [IntAttr(rows), IntAttr(cols), IntAttr(block), el]

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string(f"{self.rows.data}x{self.cols.data}, {self.block.data}, ")
            printer.print_attribute(self.element_type)


@irdl_attr_definition
class BlockCirculantType(_MatrixType):
    """Block-circulant weights in the time domain: `!circ.bc<16x12, 4, f32>`."""

    name = "circ.bc"


@irdl_attr_definition
class FreqBlockCirculantType(_MatrixType):
    """The same weights as real-FFT spectra of their defining vectors: `!circ.fbc<...>`."""

    name = "circ.fbc"


@irdl_attr_definition
class SpectrumType(ParametrizedAttribute, TypeAttribute):
    """Real-FFT spectra of `blocks` length-k blocks (k/2+1 complex bins each): `!circ.spectrum<3, 4, f32>`."""

    name = "circ.spectrum"

    blocks: IntAttr
    block: IntAttr
    element_type: Attribute

    def __init__(self, blocks: int, block: int, element_type: Attribute):
        super().__init__(IntAttr(blocks), IntAttr(block), element_type)

    @property
    def bins(self) -> int:
        return self.block.data // 2 + 1

    def verify(self) -> None:
        if self.blocks.data < 1:
            raise VerifyException(f"a spectrum needs at least one block, got {self.blocks.data}")
        if not is_power_of_two(self.block.data):
            raise VerifyException(f"block size must be a power of two, got {self.block.data}")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> list[Attribute]:
        with parser.in_angle_brackets():
            blocks = parser.parse_integer(allow_boolean=False)
            parser.parse_punctuation(",")
            block = parser.parse_integer(allow_boolean=False)
            parser.parse_punctuation(",")
            el = parser.parse_type()
        return [IntAttr(blocks), IntAttr(block), el]

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string(f"{self.blocks.data}, {self.block.data}, ")
            printer.print_attribute(self.element_type)


def _vector_len(value: SSAValue, what: str) -> int:
    t = value.type
    if not isinstance(t, TensorType) or len(t.get_shape()) != 1:
        raise VerifyException(f"{what} must be a 1-D tensor, got {t}")
    return t.get_shape()[0]


@irdl_op_definition
class ConstOp(IRDLOperation):
    """Block-circulant weights from their p×q×k defining vectors."""

    name = "circ.const"
    vectors = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(BlockCirculantType)
    traits = traits_def(Pure(), ConstantLike())
    assembly_format = "attr-dict $vectors `->` type($result)"

    def __init__(self, vectors: DenseIntOrFPElementsAttr, result_type: BlockCirculantType):
        super().__init__(properties={"vectors": vectors}, result_types=[result_type])

    def verify_(self) -> None:
        t = self.result.type
        assert isinstance(t, BlockCirculantType)
        p, q = t.grid
        expect = (p, q, t.block.data)
        if tuple(self.vectors.get_shape()) != expect:
            raise VerifyException(
                f"defining vectors of {t} must have shape {list(expect)}, got {list(self.vectors.get_shape())}"
            )


@irdl_op_definition
class FreqConstOp(IRDLOperation):
    """Frequency-domain weights: the real FFT of each defining vector, as p×q×(k/2+1)×2 (re, im)."""

    name = "circ.freq_const"
    spectra = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(FreqBlockCirculantType)
    traits = traits_def(Pure(), ConstantLike())
    assembly_format = "attr-dict $spectra `->` type($result)"

    def __init__(self, spectra: DenseIntOrFPElementsAttr, result_type: FreqBlockCirculantType):
        super().__init__(properties={"spectra": spectra}, result_types=[result_type])

    def verify_(self) -> None:
        t = self.result.type
        assert isinstance(t, FreqBlockCirculantType)
        p, q = t.grid
        expect = (p, q, t.block.data // 2 + 1, 2)
        if tuple(self.spectra.get_shape()) != expect:
            raise VerifyException(
                f"spectra of {t} must have shape {list(expect)}, got {list(self.spectra.get_shape())}"
            )


@irdl_op_definition
class MatVecOp(IRDLOperation):
    """y = W x for block-circulant W (rows×cols), x [cols], y [rows]."""

    name = "circ.matvec"
    weight = operand_def(BlockCirculantType)
    input = operand_def(base(TensorType))
    result = result_def(base(TensorType))
    traits = traits_def(Pure(), Reduction(), ScheduledLoop())
    assembly_format = "$weight `,` $input attr-dict `:` type($weight) `,` type($input) `->` type($result)"

    def __init__(self, weight: SSAValue, x: SSAValue):
        t = weight.type
        assert isinstance(t, BlockCirculantType)
        super().__init__(
            operands=[weight, x],
            result_types=[TensorType(x.type.get_element_type(), [t.rows.data])],
        )

    def verify_(self) -> None:
        t = self.weight.type
        assert isinstance(t, BlockCirculantType)
        cols, rows = _vector_len(self.input, "input"), _vector_len(self.result, "result")
        if (rows, cols) != (t.rows.data, t.cols.data):
            raise VerifyException(
                f"{t} maps {t.cols.data} to {t.rows.data} elements, got {cols} to {rows}"
            )


def _verify_fft_formats(op: IRDLOperation, k: int) -> None:
    """`stages` (one element type per butterfly stage but the last) and `twiddle` come together."""
    stages, twiddle = op.properties.get("stages"), op.properties.get("twiddle")
    if (stages is None) != (twiddle is None):
        raise VerifyException("'stages' and 'twiddle' must be given together")
    if isinstance(stages, ArrayAttr) and len(stages.data) != max(k.bit_length() - 2, 0):
        raise VerifyException(
            f"a length-{k} FFT has {k.bit_length() - 1} butterfly stages: 'stages' needs "
            f"{max(k.bit_length() - 2, 0)} formats (the last stage writes the result), got {len(stages.data)}"
        )


@irdl_op_definition
class RFFTOp(IRDLOperation):
    """Zero-pads x to whole blocks and takes the real FFT of each block.

    The straight-line program is `ercc.numerics.fft_plan.build(k)`. In fixed
    point, `quantize` sets `stages` (the element type of each butterfly
    stage's values but the last, which writes the result) and `twiddle` (the
    element type of the twiddle constants); float kernels have neither.
    """

    name = "circ.rfft"
    input = operand_def(base(TensorType))
    result = result_def(SpectrumType)
    stages = opt_prop_def(ArrayAttr)
    twiddle = opt_prop_def(Attribute)
    traits = traits_def(Pure(), ScheduledLoop())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x: SSAValue, block: int):
        n = _vector_len(x, "input")
        super().__init__(
            operands=[x],
            result_types=[SpectrumType(ceil_div(n, block), block, x.type.get_element_type())],
        )

    def verify_(self) -> None:
        n = _vector_len(self.input, "input")
        t = self.result.type
        assert isinstance(t, SpectrumType)
        if t.blocks.data != ceil_div(n, t.block.data):
            raise VerifyException(
                f"{n} elements make {ceil_div(n, t.block.data)} blocks of {t.block.data}, not {t.blocks.data}"
            )
        _verify_fft_formats(self, t.block.data)


@irdl_op_definition
class FreqMacOp(IRDLOperation):
    """Y[a] = sum over b of W[a, b] * X[b], bin by bin (complex multiply-accumulate).

    In fixed point, `quantize` sets `accumulator`: an element type wide enough
    that every partial sum is exact (fraction bits of a product, integer bits
    for q products), so the sum does not depend on its order and is assigned
    to the result type once.
    """

    name = "circ.freq_mac"
    weight = operand_def(FreqBlockCirculantType)
    input = operand_def(SpectrumType)
    result = result_def(SpectrumType)
    accumulator = opt_prop_def(Attribute)
    traits = traits_def(Pure(), Reduction(), ScheduledLoop())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$weight `,` $input attr-dict `:` type($weight) `,` type($input) `->` type($result)"

    def __init__(self, weight: SSAValue, x: SSAValue):
        t = weight.type
        assert isinstance(t, FreqBlockCirculantType)
        xt = x.type
        assert isinstance(xt, SpectrumType)
        super().__init__(
            operands=[weight, x],
            result_types=[SpectrumType(t.grid[0], t.block.data, xt.element_type)],
        )

    def verify_(self) -> None:
        w, x, y = self.weight.type, self.input.type, self.result.type
        assert isinstance(w, FreqBlockCirculantType)
        assert isinstance(x, SpectrumType) and isinstance(y, SpectrumType)
        p, q = w.grid
        k = w.block.data
        if (x.blocks.data, x.block.data) != (q, k):
            raise VerifyException(f"{w} needs an input spectrum of {q} blocks of {k}, got {x}")
        if (y.blocks.data, y.block.data) != (p, k):
            raise VerifyException(f"{w} gives a spectrum of {p} blocks of {k}, got {y}")


@irdl_op_definition
class IRFFTOp(IRDLOperation):
    """Inverse real FFT of each block (the 1/k included), concatenated and cropped to the result's length.

    The straight-line program is `ercc.numerics.fft_plan.build(k)`. In fixed
    point, `quantize` sets `stages` (the element type of each butterfly
    stage's values but the last, which writes the result) and `twiddle` (the
    element type of the twiddle constants); float kernels have neither.
    """

    name = "circ.irfft"
    input = operand_def(SpectrumType)
    result = result_def(base(TensorType))
    stages = opt_prop_def(ArrayAttr)
    twiddle = opt_prop_def(Attribute)
    traits = traits_def(Pure(), ScheduledLoop())
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$input attr-dict `:` type($input) `->` type($result)"

    def __init__(self, x: SSAValue, rows: int):
        t = x.type
        assert isinstance(t, SpectrumType)
        super().__init__(operands=[x], result_types=[TensorType(t.element_type, [rows])])

    def verify_(self) -> None:
        t = self.input.type
        assert isinstance(t, SpectrumType)
        n = _vector_len(self.result, "result")
        full = t.blocks.data * t.block.data
        if not full - t.block.data < n <= full:
            raise VerifyException(
                f"{t.blocks.data} blocks of {t.block.data} crop to {full - t.block.data + 1}..{full} elements, not {n}"
            )
        _verify_fft_formats(self, t.block.data)


CIRC = Dialect(
    "circ",
    [ConstOp, FreqConstOp, MatVecOp, RFFTOp, FreqMacOp, IRFFTOp],
    [BlockCirculantType, FreqBlockCirculantType, SpectrumType],
)
