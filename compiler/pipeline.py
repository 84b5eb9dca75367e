"""The compilation pipeline: options, the default pass list, and the verified run.

The CLI and the Python API both go through `CompileOptions` and `compile_model`,
so an option means the same thing everywhere.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, builtin, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass, PassPipeline
from xdsl.utils.exceptions import DiagnosticException, PassFailedException, VerifyException

from ercc.compiler.errors import ErccError
from ercc.dialects.circ import CIRC
from ercc.dialects.fix import FIX
from ercc.dialects.rnn import RNN
from ercc.dialects.sched import SCHED
from ercc.passes.activation_approximation import ActivationApproximation
from ercc.passes.circulant_substitution import CirculantSubstitution
from ercc.passes.quantize import Quantize
from ercc.passes.fft_decompose import FFTDecompose
from ercc.hardware.devices import DEVICES
from ercc.passes.pe_schedule import PESchedule
from ercc.passes.lower_rnn_layers import LowerRNNLayers

PRECISIONS = ("float", "fixed")
FIXED_BITS = (4, 24)  # --weight-bits / --act-bits range (outputs leave the kernel as exact float32)
PWL_SEGMENTS = 64  # activation-approximation segments in the fixed-point pipeline (docs/fixed-point.md)
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
class CompileOptions:
    """Everything that changes the generated kernel."""

    block_size: int = 1
    precision: str = "float"
    seq_len: int | None = None
    top: str = "ercc_kernel"
    device: str = "xcku060"
    clock_mhz: float = 200.0
    weight_bits: int = 16
    act_bits: int = 16

    def validate(self) -> None:
        """Raise ErccError for option values no model could satisfy."""
        k = self.block_size
        if k < 1 or k & (k - 1):
            raise ErccError(f"--block-size must be a power of two (1, 2, 4, 8, ...), got {k}")
        if self.precision not in PRECISIONS:
            raise ErccError(f"--precision must be one of {', '.join(PRECISIONS)}, got '{self.precision}'")
        lo, hi = FIXED_BITS
        for flag, bits in (("--weight-bits", self.weight_bits), ("--act-bits", self.act_bits)):
            if isinstance(bits, bool) or not isinstance(bits, int) or not lo <= bits <= hi:
                raise ErccError(f"{flag} must be an integer in [{lo}, {hi}], got {bits}")
        if self.precision == "fixed" and self.block_size > 1:
            raise ErccError(
                f"--precision fixed supports --block-size 1 only for now (the fixed-point FFT is not done), got {k}"
            )
        if self.seq_len is not None and self.seq_len < 1:
            raise ErccError(f"--seq-len must be >= 1, got {self.seq_len}")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.top) or self.top in _RESERVED_NAMES:
            raise ErccError(f"--top must be a C identifier that is not a C++ keyword or 'main', got '{self.top}'")
        if self.device not in DEVICES:
            raise ErccError(f"unknown --device '{self.device}' (known: {', '.join(DEVICES)})")
        if not self.clock_mhz > 0 or self.clock_mhz > 1000:
            raise ErccError(f"--clock-mhz must be in (0, 1000], got {self.clock_mhz}")


def make_context() -> Context:
    """A context with every dialect an ercc module may contain."""
    ctx = Context()
    for dialect in (builtin.Builtin, func.Func, arith.Arith, RNN, CIRC, SCHED, FIX):
        ctx.load_dialect(dialect)
    return ctx


def default_passes(options: CompileOptions) -> list[ModulePass]:
    """layers → cells → block-circulant → FFT → (fixed point: PWL activations, quantize) → schedule."""
    passes: list[ModulePass] = [LowerRNNLayers()]
    if options.block_size > 1:
        passes += [CirculantSubstitution(block_size=options.block_size), FFTDecompose()]
    if options.precision == "fixed":
        passes += [ActivationApproximation(segments=PWL_SEGMENTS), quantize_pass(options)]
    passes.append(PESchedule(device=options.device, clock_mhz=options.clock_mhz))
    return passes


def quantize_pass(options: CompileOptions) -> Quantize:
    """The quantize pass of --weight-bits / --act-bits: accumulators 8 bits wider than activations."""
    act = options.act_bits
    act_int = 6 if act >= 14 else max(2, act // 2 - 1)
    return Quantize(
        weight_bits=options.weight_bits, act_bits=act, act_int_bits=act_int, acc_bits=act + 8, acc_int_bits=act_int + 4
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
    from ercc.frontends.onnx_import import import_onnx

    from ercc.frontends.checks import check_block_size

    imported = import_onnx(path, seq_len=options.seq_len, top=options.top)
    check_block_size(imported.model, options.block_size)
    return imported


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

    options.validate()
    imported = import_model(path, options)
    ctx = make_context()
    if after_each is not None:
        after_each(None, imported.module)
    run_passes(ctx, imported.module, default_passes(options) if passes is None else passes, after_each)
    return imported, emit_hls(imported.module)
