"""The Python API: `ercc.compile(model, **options) -> CompiledModel`.

    import ercc
    m = ercc.compile("model.onnx", block_size=8)
    y = m.predict({"X": x})          # C simulation (g++ shared library), batch of any size
    print(m.ir("circ"))              # the IR after a pipeline stage
    print(m.report)                  # weights dense vs block-circulant, per recurrent matrix
    m.write("kernel.cpp")            # the kernel, or m.write("prj/") for a Vitis HLS project
    m.export_onnx("model_bc8.onnx")  # the compressed (fixed point: fake-quantized) model as ONNX

Per-layer options name the ONNX node: `ercc.compile(path, layers={"lstm_1": {"block_size": 4}})`.

The keyword options are exactly the fields of `ercc.compiler.pipeline.CompileOptions`,
the same definition the `ercc` command line uses.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CompiledModel", "STAGES", "compile", "option_names"]

# The stage each default pass ends; "rnn" is the imported module, before any pass.
STAGE_AFTER_PASS = {
    "lower-rnn-layers": "cells",
    "circulant-substitution": "circ",
    "fft-decompose": "freq",
    "loop-schedule": "scheduled",
    "pe-schedule": "scheduled",
}
STAGES = ("onnx", "rnn", "cells", "circ", "freq", "scheduled", "cpp")


def option_names() -> list[str]:
    """The keyword options `compile` accepts: the fields of CompileOptions."""
    from ercc.compiler.pipeline import CompileOptions

    return [f.name for f in dataclasses.fields(CompileOptions)]


def make_options(**options: Any):
    """CompileOptions from keyword options, rejecting unknown names with the list of known ones."""
    from ercc.compiler.pipeline import CompileOptions

    known = option_names()
    unknown = [k for k in options if k not in known]
    if unknown:
        raise TypeError(
            f"ercc.compile() got unknown option(s) {', '.join(map(repr, unknown))}; "
            f"the options are the fields of CompileOptions: {', '.join(known)}"
        )
    from ercc.compiler.pipeline import check_precision_options

    opts = CompileOptions(**options)
    defaults = CompileOptions()
    changed = {k for k in options if getattr(opts, k) != getattr(defaults, k)}
    check_precision_options(opts.precision, changed, opts.layers)
    return opts


def parse_pipeline(spec: str):
    """Passes from an xDSL pipeline spec, e.g. 'lower-rnn-layers,pe-schedule{dsp-fraction=0.5}'.

    Knows ercc's passes, xDSL's own and any registered with `register_pass`
    (or loaded with `load_pass_plugin`).
    """
    from xdsl.passes import PassPipeline

    from ercc.errors import ErccError

    try:
        return list(PassPipeline.parse_spec(available_passes(), spec).passes)
    except Exception as e:  # noqa: BLE001 - xDSL raises ValueError / PassPipelineParseError / others
        raise ErccError(f"bad --pass-pipeline '{spec}': {' '.join(str(e).split())}") from e


_EXTRA_PASSES: dict[str, Any] = {}


def register_pass(pass_class) -> None:
    """Make a ModulePass subclass available to `--pass-pipeline` / `pass_pipeline=` by its `name`."""
    _EXTRA_PASSES[pass_class.name] = lambda: pass_class


def load_pass_plugin(path_or_module: str) -> list[str]:
    """Import a .py file or a module and register every ModulePass subclass it defines; returns their names."""
    import importlib
    import importlib.util
    import inspect

    from xdsl.passes import ModulePass

    from ercc.errors import ErccError

    if path_or_module.endswith(".py") or os.sep in path_or_module:
        path = Path(path_or_module)
        if not path.is_file():
            raise ErccError("pass plugin not found", file=str(path.resolve()))
        spec = importlib.util.spec_from_file_location(f"ercc_plugin_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(path_or_module)
        except ImportError as e:
            raise ErccError(f"cannot import pass plugin '{path_or_module}': {e}") from e
    names = []
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, ModulePass) and obj is not ModulePass and obj.__module__ == module.__name__:
            register_pass(obj)
            names.append(obj.name)
    if not names:
        raise ErccError(f"pass plugin '{path_or_module}' defines no xDSL ModulePass")
    return names


def available_passes() -> dict[str, Any]:
    from xdsl.transforms import get_all_passes

    from ercc.universe import ERCC_UNIVERSE

    return {**get_all_passes(), **ERCC_UNIVERSE.all_passes, **_EXTRA_PASSES}


@dataclasses.dataclass
class CompiledModel:
    """A compiled kernel with its IR stages, its C simulation and its weight report."""

    options: Any  # CompileOptions
    imported: Any  # frontends.onnx_import.ImportedModel
    kernel: Any  # backends.hls.kernel.EmittedKernel
    stages: dict[str, str]
    report: dict[str, Any]
    _library: Any = dataclasses.field(default=None, repr=False)
    model: Any = dataclasses.field(default=None, repr=False)  # the ONNX path or ModelProto compiled

    @property
    def source(self) -> str:
        """The kernel's C++ source (FFTs, top function); it includes the weights header `weights`."""
        return self.kernel.source

    @property
    def weights(self) -> str:
        """The weights header (`kernel.weights_file`): every constant table as plain C data."""
        return self.kernel.weights

    @property
    def header(self) -> str:
        """A C++ header declaring the top function (and the element typedefs it uses)."""
        from ercc.compiler.project import kernel_header

        return kernel_header(self.kernel)

    def ir(self, stage: str) -> str:
        """The printed IR after a stage: onnx, rnn, cells, circ, freq, scheduled, cpp (or a pass name)."""
        if stage not in self.stages:
            raise KeyError(
                f"no stage '{stage}' in this compilation (it has: {', '.join(self.stages)});"
                " circ and freq exist only with block_size > 1"
            )
        return self.stages[stage]

    @property
    def estimate(self) -> dict[str, Any]:
        """ercc's cost-model ESTIMATE of the kernel on the options' device and clock."""
        from ercc.backends.hls.interface import port_transfers
        from ercc.hardware.cost_model import estimate
        from ercc.hardware.devices import DEVICES
        from ercc.hardware.interface_cost import interface_cost

        datapath = estimate(self.imported.module, DEVICES[self.options.device], self.options.clock_mhz)
        kernel = self.kernel
        return {**datapath, "interface": interface_cost(kernel.interface, kernel.batch, port_transfers(kernel), datapath)}

    def _simulation(self):
        if self._library is None:
            from ercc.backends.hls.sharedlib import build_shared
            from ercc.compiler import progress

            with progress.step("building the C simulation library (g++)"):
                self._library = build_shared(self.kernel)
        return self._library

    def predict(self, inputs: Mapping[str, np.ndarray] | np.ndarray) -> dict[str, np.ndarray]:
        """C-simulate the kernel on a batch (any batch size) of inputs keyed by graph input name.

        A bare array is taken for the only graph input. Returns the graph
        outputs keyed by name, with the shapes onnxruntime gives; bit-identical
        to `ercc simulate`.
        """
        from ercc.compiler.inputs import sequences, stack_outputs

        specs = self.imported.inputs
        if isinstance(inputs, np.ndarray):
            if len(specs) != 1:
                raise ValueError(
                    f"the model has {len(specs)} inputs ({', '.join(s.name for s in specs)}): pass a dict"
                )
            inputs = {specs[0].name: inputs}
        arrays = {k: np.asarray(v) for k, v in inputs.items()}
        results = self._simulation().run(sequences(specs, arrays, "<inputs>", holder="the inputs dict"))
        return {s.name: stack_outputs(s, r) for s, r in zip(self.imported.outputs, results)}

    def export_onnx(self, path: str | os.PathLike) -> Path:
        """Write the compressed model as ONNX (`ercc export-onnx` with this model's options)."""
        from ercc.compiler.export_onnx import export_files

        export_files(self.model, path, self.options)
        return Path(path)

    def write(
        self,
        path: str | os.PathLike,
        *,
        project: bool | None = None,
        part: str | None = None,
        clock_mhz: float | None = None,
    ) -> Path:
        """Write the kernel file (.cpp/.cc/.cxx) and its weights header beside it, or a Vitis HLS
        project if `path` is a directory or ends in '/'.

        `project=True` forces a project (a pathlib.Path loses its trailing '/'),
        `project=False` a kernel file. A project directory keeps the files ercc did not write.
        """
        from ercc.compiler.output import write_text_atomically
        from ercc.compiler.project import output_kind, write_project
        from ercc.hardware.devices import DEVICES

        if project or (project is None and output_kind(path) == "project"):
            return write_project(
                self, path, part=part or DEVICES[self.options.device].part,
                clock_mhz=clock_mhz or self.options.clock_mhz,
            )
        for name, text in self.kernel.files(Path(path).name).items():
            write_text_atomically(Path(path).with_name(name), text)
        return Path(path)


def weight_report(module, block_size: int) -> dict[str, Any]:
    """Per recurrent matrix (in kernel order): shape, weight count and bytes, dense vs block-circulant."""
    from xdsl.dialects.builtin import TensorType

    from ercc.dialects import circ, rnn
    from ercc.numerics.circulant import block_grid
    from ercc.passes.fuse_gate_macs import GATE_ROWS

    def nbytes(element_type) -> int:
        width = getattr(element_type, "bitwidth", None) or getattr(element_type, "width", None)
        width = getattr(width, "data", width)
        return max(1, int(width) // 8) if width else 4

    def bodies(scan):  # the scan's, and that of the rnn.map that hoist-input-path gave its input path
        feeder = scan.xs.owner
        return [*([feeder.body] if isinstance(feeder, rnn.MapOp) else []), scan.body]

    matrices = []

    def entry(scan_index: int, rows: int, cols: int, k: int, el) -> None:
        p, q = block_grid(rows, cols, k)
        b = nbytes(el)
        circulant = p * q * k
        matrices.append(
            {
                "scan": scan_index,
                "matrix": sum(m["scan"] == scan_index for m in matrices),
                "shape": [rows, cols],
                "block_size": k,
                "dense_weights": rows * cols,
                "dense_bytes": rows * cols * b,
                "circulant_weights": circulant,
                "circulant_bytes": circulant * b,
                # what the kernel stores: k values per block (packed spectra) when k > 1
                "kernel_weights": circulant if k > 1 else rows * cols,
                "compression": round(rows * cols / circulant, 3),
            }
        )

    for scan_index, scan in enumerate(op for op in module.walk() if isinstance(op, rnn.ScanOp)):
        seen = set()
        for op in (o for body in bodies(scan) for o in body.walk()):
            for operand in op.operands:
                t = operand.type
                if operand in seen:
                    continue
                if isinstance(t, circ.BlockCirculantType | circ.FreqBlockCirculantType):
                    # A stacked matrix (fuse-gate-macs) reports each gate's own matrix.
                    gates = getattr(operand.owner, "attributes", {}).get(GATE_ROWS)
                    for rows in gates.get_values() if gates is not None else [t.rows.data]:
                        entry(scan_index, rows, t.cols.data, t.block.data, t.element_type)
                elif isinstance(op, rnn.MatVecOp) and operand is op.weight and isinstance(t, TensorType):
                    (rows, cols), el = t.get_shape(), t.get_element_type()
                    entry(scan_index, rows, cols, 1, el)
                else:
                    continue
                seen.add(operand)
    dense = sum(m["dense_bytes"] for m in matrices)
    bc = sum(m["circulant_bytes"] for m in matrices)
    return {
        "block_size": block_size,
        "matrices": matrices,
        "dense_bytes": dense,
        "circulant_bytes": bc,
        "compression": round(dense / bc, 3) if bc else 1.0,
    }


def compile(  # noqa: A001 - the API's verb
    model: str | os.PathLike | Any,
    *,
    pass_pipeline: str | None = None,
    on_stage: Callable[[str, str], None] | None = None,
    record_ir: bool = True,
    **options: Any,
) -> CompiledModel:
    """Compile an ONNX model (path or onnx.ModelProto) with CompileOptions fields as keyword options.

    `pass_pipeline` (an xDSL pipeline spec) replaces the default passes;
    `on_stage(name, text)` sees the printed IR after import ("rnn") and after each pass.
    `record_ir=False` skips printing the IR after every pass (for `.ir()`), which
    costs time and memory on large models; `.ir()` then has only the "cpp" stage.
    """
    from ercc.compiler.pipeline import compile_model

    opts = make_options(**options)
    stages: dict[str, str] = {}

    def record(pass_, module) -> None:
        text = str(module)
        if on_stage is not None:
            on_stage("import (rnn)" if pass_ is None else pass_.name, text)
        if pass_ is None:
            stages["rnn"] = text
            return
        stages[pass_.name] = text
        if pass_.name in STAGE_AFTER_PASS:
            stages[STAGE_AFTER_PASS[pass_.name]] = text

    passes = parse_pipeline(pass_pipeline) if pass_pipeline is not None else None
    keep = record_ir or on_stage is not None
    imported, kernel = compile_model(model, opts, passes=passes, after_each=record if keep else None)
    from ercc.frontends.quantized import model_options

    opts = model_options(imported.quantized, opts)  # what compile_model compiled with
    from onnx import printer

    onnx_text = {"onnx": printer.to_text(imported.model)} if record_ir else {}
    stages = {**onnx_text, **stages, "cpp": kernel.source}
    ordered = {s: stages[s] for s in STAGES if s in stages}
    ordered.update({k: v for k, v in stages.items() if k not in ordered})
    report = weight_report(imported.module, opts.block_size)
    return CompiledModel(opts, imported, kernel, ordered, report, model=model)
