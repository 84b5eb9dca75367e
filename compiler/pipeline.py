"""The compilation pipeline: options, the default pass list, and the verified run.

The CLI and the Python API both go through `CompileOptions` and `compile_model`,
so an option means the same thing everywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields

from xdsl.context import Context
from xdsl.dialects import arith, builtin, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.utils.exceptions import DiagnosticException, PassFailedException, VerifyException

from ercc.dialects.circ import CIRC
from ercc.dialects.fix import FIX
from ercc.dialects.rnn import RNN
from ercc.dialects.sched import SCHED
from ercc.errors import ErccError
from ercc.hardware.devices import DEVICES
from ercc.numerics.fixed import OVERFLOW_MODES, QUANTIZATION_MODES
from ercc.numerics.intmath import is_power_of_two
from ercc.passes.activation_approximation import ActivationApproximation
from ercc.passes.circulant_substitution import CirculantSubstitution
from ercc.passes.fft_decompose import FFTDecompose
from ercc.passes.fuse_gate_macs import FuseGateMacs
from ercc.passes.hoist_input_path import HoistInputPath
from ercc.passes.integer_quantizers import IntegerQuantizers
from ercc.passes.lower_rnn_layers import LowerRNNLayers
from ercc.passes.pe_schedule import PESchedule
from ercc.passes.quantize import Quantize

PRECISIONS = ("fixed", "float")  # the first is the default: the 16-bit ap_fixed datapath hls4ml users expect
FIXED_ONLY = ("weight_bits", "act_bits", "segments", "rounding", "overflow")  # options that --precision float rejects
INTERFACES = ("array", "axis", "m_axi")  # how the top function talks to the chip (backends/hls/interface.py)
QUANT_DATAPATHS = ("integer", "float")  # a quantized model's cells: integer codes and rescales, or float32 (docs/quantized-models.md)
FIXED_BITS = (4, 24)  # --weight-bits / --act-bits range (outputs leave the kernel as exact float32)
PWL_SEGMENTS = (4, 1024)  # --segments range (a power of two): activation-approximation's table size
# Names the kernel's top function cannot take: C++ keywords, and the driver's main.
_RESERVED_NAMES = frozenset(
    "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t"
    " class compl concept const consteval constexpr constinit const_cast continue co_await co_return"
    " co_yield decltype default delete do double dynamic_cast else enum explicit export extern false float"
    " for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr operator or"
    " or_eq private protected public register reinterpret_cast requires return short signed sizeof static"
    " static_assert static_cast struct switch template this thread_local throw true try typedef typeid"
    " typename union unsigned using virtual void volatile wchar_t while xor xor_eq main".split()
)


@dataclass(frozen=True)
class LayerOptions:
    """Options of one recurrent ONNX node (the `layers` of a --config file); None: the global value."""

    block_size: int | None = None
    weight_bits: int | None = None  # carried in the IR: `ercc.weight_bits` on the layer op, read by quantize
    block_size_w: int | None = None  # the input matrices W only (else block_size)
    block_size_r: int | None = None  # the recurrent matrices R only (else block_size)


def _layer_entries(value) -> tuple[tuple[str, LayerOptions], ...]:
    """`layers` as sorted (node name, LayerOptions) pairs, from a mapping or from pairs."""
    if not value:
        return ()
    items = value.items() if isinstance(value, Mapping) else value
    known = [f.name for f in fields(LayerOptions)]
    out = {}
    try:
        for name, opts in items:
            if not isinstance(opts, LayerOptions):
                if not isinstance(opts, Mapping):
                    raise TypeError
                keys = {str(k).lstrip("-").replace("-", "_"): v for k, v in opts.items()}
                unknown = sorted(set(keys) - set(known))
                if unknown:
                    options = ", ".join(known)
                    raise ErccError(f"layer '{name}': unknown option '{unknown[0]}' (per-layer options: {options})")
                opts = LayerOptions(**keys)
            out[str(name)] = opts
    except (TypeError, ValueError) as e:
        raise ErccError("layers must map ONNX node names to options, e.g. {\"lstm_1\": {\"block_size\": 4}}") from e
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class CompileOptions:
    """Everything that changes the generated kernel."""

    block_size: int = 1
    precision: str = "fixed"
    seq_len: int | None = None
    top: str = "ercc_kernel"
    device: str = "xcku060"
    clock_mhz: float = 200.0
    dsp_fraction: float = 0.9  # pe-schedule's share of the device's DSPs, LUTs and BRAMs
    weight_bits: int = 16
    act_bits: int = 16
    segments: int = 64
    rounding: str = "AP_RND"
    overflow: str = "AP_SAT"
    calib: str | None = None  # .npz of calibration inputs (like `ercc simulate --inputs`)
    requantize: bool = False  # a quantization-aware model: drop its quantizers (docs/quantized-models.md)
    quant_datapath: str = "integer"  # a quantization-aware model's cells: integer codes, or float32 fake quantization
    layers: tuple[tuple[str, LayerOptions], ...] = ()  # per recurrent node, from a mapping {name: {option: value}}
    interface: str = "array"  # the top function's ports: array (ap_memory), axis (AXI streams), m_axi (Vitis kernel)
    batch: int = 1  # sequences one kernel call carries (axis/m_axi: a count port up to this; the report's batch)

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", _layer_entries(self.layers))

    def block_size_of(self, node_name: str) -> int:
        """The block size of a recurrent node: its `layers` entry, else --block-size."""
        own = dict(self.layers).get(node_name)
        return self.block_size if own is None or own.block_size is None else own.block_size

    def block_sizes_of(self, node_name: str) -> tuple[int, int]:
        """(K of W, K of R) of a recurrent node: block-size-w / block-size-r, else its block size."""
        own = dict(self.layers).get(node_name) or LayerOptions()
        k = self.block_size_of(node_name)
        return (k if own.block_size_w is None else own.block_size_w, k if own.block_size_r is None else own.block_size_r)

    def layer_block_sizes(self) -> dict[str, tuple[int, int]]:
        """(K of W, K of R) of every node with a per-layer block size (the circulant-substitution option)."""
        return {n: self.block_sizes_of(n) for n, o in self.layers
                if (o.block_size, o.block_size_w, o.block_size_r) != (None, None, None)}

    @property
    def max_block_size(self) -> int:
        return max([self.block_size, *(k for ks in self.layer_block_sizes().values() for k in ks)])

    def validate(self) -> None:
        """Raise ErccError for option values no model could satisfy."""
        per_layer = [(f"layer '{n}': --{flag}", getattr(o, flag.replace("-", "_"))) for n, o in self.layers
                     for flag in ("block-size", "block-size-w", "block-size-r")]
        for where, k in [("--block-size", self.block_size), *per_layer]:
            if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not is_power_of_two(k)):
                raise ErccError(f"{where} must be a power of two (1, 2, 4, 8, ...), got {k}")
        if self.precision not in PRECISIONS:
            raise ErccError(f"--precision must be one of {', '.join(PRECISIONS)}, got '{self.precision}'")
        lo, hi = FIXED_BITS
        per_layer = [
            (f"layer '{n}': --weight-bits", o.weight_bits) for n, o in self.layers if o.weight_bits is not None
        ]
        for flag, bits in (("--weight-bits", self.weight_bits), ("--act-bits", self.act_bits), *per_layer):
            if isinstance(bits, bool) or not isinstance(bits, int) or not lo <= bits <= hi:
                raise ErccError(f"{flag} must be an integer in [{lo}, {hi}], got {bits}")
        if self.rounding not in QUANTIZATION_MODES:
            raise ErccError(f"--rounding must be one of {', '.join(QUANTIZATION_MODES)}, got '{self.rounding}'")
        if self.overflow not in OVERFLOW_MODES:
            raise ErccError(f"--overflow must be one of {', '.join(OVERFLOW_MODES)}, got '{self.overflow}'")
        if self.calib is not None and self.precision != "fixed":
            raise ErccError("--calib needs --precision fixed")
        n, (lo, hi) = self.segments, PWL_SEGMENTS
        if isinstance(n, bool) or not isinstance(n, int) or not lo <= n <= hi or not is_power_of_two(n):
            raise ErccError(f"--segments must be a power of two in [{lo}, {hi}], got {n}")
        if self.quant_datapath not in QUANT_DATAPATHS:
            raise ErccError(f"--quant-datapath must be one of {', '.join(QUANT_DATAPATHS)}, got '{self.quant_datapath}'")
        if self.interface not in INTERFACES:
            raise ErccError(f"--interface must be one of {', '.join(INTERFACES)}, got '{self.interface}'")
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or self.batch < 1:
            raise ErccError(f"--batch must be an integer >= 1, got {self.batch}")
        if self.batch > 1 and self.interface == "array":
            raise ErccError(
                f"--batch {self.batch} needs --interface axis or m_axi: the array interface carries one sequence"
                " per call (a count port exists only on streams and Vitis kernels)"
            )
        if self.seq_len is not None and self.seq_len < 1:
            raise ErccError(f"--seq-len must be >= 1, got {self.seq_len}")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.top) or self.top in _RESERVED_NAMES:
            raise ErccError(f"--top must be a C identifier that is not a C++ keyword or 'main', got '{self.top}'")
        if self.device not in DEVICES:
            raise ErccError(f"unknown --device '{self.device}' (known: {', '.join(DEVICES)})")
        if not self.clock_mhz > 0 or self.clock_mhz > 1000:
            raise ErccError(f"--clock-mhz must be in (0, 1000], got {self.clock_mhz}")
        if isinstance(self.dsp_fraction, bool) or not 0 < self.dsp_fraction <= 1:
            raise ErccError(f"--dsp-fraction must be in (0, 1], got {self.dsp_fraction}")


def check_precision_options(precision: str, given, layers=()) -> None:
    """Fixed-point options (bit widths, rounding, overflow, segments) given with --precision float are an error.

    `given` names the options the user set (CLI flags, config keys or API keywords), so a
    default is never mistaken for a request; a per-layer weight_bits counts too.
    """
    if precision != "float":
        return
    named = [d for d in FIXED_ONLY if d in given]
    named += [f"layer '{n}': weight_bits" for n, o in _layer_entries(layers) if o.weight_bits is not None]
    if named:
        flags = ", ".join(n if n.startswith("layer") else "--" + n.replace("_", "-") for n in named)
        raise ErccError(f"{flags}: only meaningful with --precision fixed (the default), not with --precision float")


def make_context() -> Context:
    """A context with every dialect an ercc module may contain."""
    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, RNN, CIRC, SCHED, FIX):
        ctx.load_dialect(dialect)
    return ctx


def default_passes(options: CompileOptions) -> list[ModulePass]:
    """layers → cells → block-circulant → FFT → (fixed: PWL activations, quantize) → hoisted input paths → schedule."""
    passes: list[ModulePass] = [LowerRNNLayers()]
    if options.precision == "float" and options.quant_datapath == "integer":
        passes.append(IntegerQuantizers())  # a quantized model's cells (model_options): a no-op on others
    if options.max_block_size > 1:
        per_layer = ",".join(f"{n}={kw}" if kw == kr else f"{n}={kw}:{kr}"
                             for n, (kw, kr) in options.layer_block_sizes().items())
        passes += [CirculantSubstitution(options.block_size, layer_block_sizes=per_layer), FFTDecompose(), FuseGateMacs()]
    if options.precision == "fixed":
        passes += [ActivationApproximation(segments=options.segments), quantize_pass(options)]
    passes.append(HoistInputPath())  # after quantize: the same ops on the same values
    passes.append(PESchedule(device=options.device, clock_mhz=options.clock_mhz, dsp_fraction=options.dsp_fraction))
    return passes


def quantize_pass(options: CompileOptions) -> Quantize:
    """The quantize pass of --weight-bits / --act-bits: accumulators 8 bits wider than activations."""
    act = options.act_bits
    act_int = 6 if act >= 14 else max(2, act // 2 - 1)
    return Quantize(
        weight_bits=options.weight_bits, act_bits=act, act_int_bits=act_int, acc_bits=act + 8, acc_int_bits=act_int + 4,
        rounding=options.rounding, overflow=options.overflow,
    )


def _verify_after(previous: ModulePass | None, module: ModuleOp, _next: ModulePass | None) -> None:
    try:
        module.verify()
    except VerifyException as e:
        stage = f"after pass '{previous.name}'" if previous else "before the first pass"
        raise InternalCompilerError(f"the IR does not verify {stage}: {e}") from e


class InternalCompilerError(Exception):
    """A pass broke the IR or failed on IR the frontend accepted: a bug in ercc."""


def run_passes(
    ctx: Context,
    module: ModuleOp,
    passes: Sequence[ModulePass],
    after_each: Callable[[ModulePass, ModuleOp], None] | None = None,
) -> None:
    """Apply the passes, verifying the module before the first and after each one.

    `after_each(pass, module)` is called after each pass has run and verified
    (the API and `--print-ir-after-all` record the IR of every stage with it).
    """

    def callback(previous: ModulePass | None, mod: ModuleOp, following: ModulePass | None) -> None:
        _verify_after(previous, mod, following)
        if after_each is not None and previous is not None:
            after_each(previous, mod)

    try:
        PassPipeline(tuple(passes), callback).apply(ctx, module)
    except (PassFailedException, DiagnosticException) as e:
        raise InternalCompilerError(str(e)) from e


def import_model(path: str | os.PathLike, options: CompileOptions):
    """The ONNX frontend, with the options it needs."""
    from ercc.frontends.checks import check_block_size
    from ercc.frontends.onnx_import import import_onnx

    imported = import_onnx(path, seq_len=options.seq_len, top=options.top, keep_quantizers=not options.requantize)
    from ercc.frontends.quantized import check_options

    check_options(imported.quantized, options, imported.file, FIXED_ONLY)  # compile_model then uses model_options
    check_block_size(
        imported.model, options.block_size, layers={n: max(ks) for n, ks in options.layer_block_sizes().items()}
    )
    check_layer_names(imported.model, options)
    _tag_layer_options(imported.module, options)
    return imported


def _tag_layer_options(module: ModuleOp, options: CompileOptions) -> None:
    """Per-layer weight bits go into the IR (`ercc.weight_bits` on the layer op), where `quantize` reads them."""
    from xdsl.dialects.builtin import IntegerAttr, StringAttr, i64

    bits = {n: o.weight_bits for n, o in options.layers if o.weight_bits is not None}
    for op in module.walk():
        name = op.attributes.get("ercc.layer")
        if isinstance(name, StringAttr) and name.data in bits:
            op.attributes["ercc.weight_bits"] = IntegerAttr(bits[name.data], i64)


def check_layer_names(model, options: CompileOptions) -> None:
    """Every `layers` entry must name a recurrent node of the model."""
    recurrent = [n for n in model.graph.node if n.op_type in ("LSTM", "GRU", "RNN")]
    names = {n.name for n in recurrent}
    for name, _ in options.layers:
        if name not in names:
            known = ", ".join(f"'{n.name}' ({n.op_type})" for n in recurrent if n.name) or "none with a name"
            raise ErccError(f"layers: no recurrent node named '{name}' (the recurrent nodes: {known})")


def compile_model(
    path: str | os.PathLike,
    options: CompileOptions,
    passes: Sequence[ModulePass] | None = None,
    after_each: Callable[[ModulePass | None, ModuleOp], None] | None = None,
):
    """ONNX file → (imported model, scheduled module, emitted kernel).

    `passes` replaces the default pipeline (`--pass-pipeline`); `after_each`
    sees the imported module (pass None) and the module after every pass.
    """
    from ercc.backends.hls.emitter import emit_hls
    from ercc.compiler import progress

    options.validate()
    name = os.path.basename(os.fspath(path)) if isinstance(path, str | os.PathLike) else "the model"
    with progress.step(f"importing {name}"):
        imported = import_model(path, options)
    from ercc.frontends.quantized import model_options

    options = model_options(imported.quantized, options)  # a quantized model: its own quantizers
    ctx = make_context()
    if after_each is not None:
        after_each(None, imported.module)
    passes = default_passes(options) if passes is None else passes
    with progress.step("passes", total=len(passes)) as task:

        def done(pass_: ModulePass, module: ModuleOp) -> None:
            task.advance(pass_.name)
            if options.calib is not None and isinstance(pass_, ActivationApproximation):
                from ercc.compiler.calibration import calibrate_from_file

                calibrate_from_file(module, options.calib, imported)
            if after_each is not None:
                after_each(pass_, module)

        run_passes(ctx, imported.module, passes, done)
    with progress.step("emitting the HLS C++ kernel"):
        return imported, emit_hls(imported.module, interface=options.interface, batch=options.batch)
