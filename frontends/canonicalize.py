"""ONNX-level clean-up before import: load, check, pin shapes, fold constants.

The legacy torch exporter builds zero initial states from the input's runtime
shape (Shape/Gather/Unsqueeze/Concat/ConstantOfShape). Once the batch and
sequence axes are static, onnxscript's constant folder turns those chains into
initializers (its optimizer also lifts Constant nodes into initializers), and
the importer sees only static tensors and layer ops.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import onnx
import onnxscript.optimizer
from google.protobuf.message import DecodeError

from ercc.errors import ErccError, node_label
from ercc.frontends import checks, quantized, signature
from ercc.frontends.signature import TensorSpec


@dataclass
class CanonicalModel:
    """A static, batch-1 model and the signature of the kernel built from it."""

    model: onnx.ModelProto
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    file: str
    quantized: quantized.QuantizedModel = field(default_factory=quantized.QuantizedModel)


def load(source: str | os.PathLike | onnx.ModelProto) -> tuple[onnx.ModelProto, str]:
    """Read and check a model; returns it with the name errors should use for it."""
    if isinstance(source, onnx.ModelProto):
        model, file = _copy(source), "<model>"
    else:
        file = os.fspath(source)
        if os.path.isdir(file):
            raise ErccError("is a directory, not an ONNX model file", file=file)
        if not os.path.isfile(file):
            raise ErccError("no such file", file=file)
        try:
            with open(file, "rb") as f:
                data = f.read()
            if not data:
                raise ErccError("empty file, not an ONNX model", file=file)
            model = onnx.load_model_from_string(data)
        except (DecodeError, RuntimeWarning, ValueError, OSError) as e:
            raise ErccError(f"not an ONNX model ({' '.join(str(e).split())})", file=file) from e
    checks.check_text(model, file)
    checks.check_before_load(model, file)
    checks.load_external_data(model, file)
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, UnicodeDecodeError, ValueError) as e:
        # A corrupt string field surfaces as a UnicodeDecodeError from the checker; a proto that
        # Python parsed but onnx's C++ checker cannot re-parse (a flipped bit) as a ValueError.
        raise ErccError(f"invalid ONNX model: {signature.first_line(str(e))}", file=file) from e
    checks.check_model(model, file)
    return model, file


def _copy(model: onnx.ModelProto) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(model)
    return out


def prepare(
    source: str | os.PathLike | onnx.ModelProto,
) -> tuple[onnx.ModelProto, str, quantized.QuantizedModel]:
    """Load a model and rewrite its quantization-aware forms; it must hold a recurrent layer.

    Returns the model, its name for errors and the quantizers found. The
    importer keeps the model to explain a failure of `canonicalize` by the
    first operator it cannot convert (the real cause of most shape and axis
    errors), which is why the two steps are separate.
    """
    model, file = load(source)
    found = quantized.rewrite(model, file)
    _reject_loop_recurrences(model, file)
    if not signature.recurrent_nodes(model.graph):
        unrolled = any(n.op_type in ("MatMul", "Gemm") for n in model.graph.node)
        hint = (
            "; a Python loop over nn.LSTMCell/GRUCell exports as MatMul/Add ops: use nn.LSTM/GRU/RNN"
            if unrolled else ""
        )
        raise ErccError(f"no recurrent layer (LSTM, GRU or RNN) in the graph{hint}", file=file)
    return model, file, found


def canonicalize(
    model: onnx.ModelProto, file: str, seq_len: int | None, found: quantized.QuantizedModel
) -> CanonicalModel:
    """Make a prepared model static with batch 1, folding shape computations away.

    Works on a copy: `model` stays as `prepare` returned it.
    """
    axes = signature.input_axes(model.graph)
    batch_axes = signature.output_batch_axes(model, axes, seq_len, file)

    model = _copy(model)
    inputs = signature.pin_inputs(model, axes, seq_len, file)
    signature.strip_shapes(model)
    model = signature.infer(model, file)
    checks.check_sizes(model, file)  # before folding can materialize large constants
    model = _fold_constants(model)
    signature.strip_shapes(model)
    model = signature.infer(model, file)
    _check_static(model, file)

    outputs = [
        TensorSpec(o.name, signature.static_shape(o), batch_axes[o.name], None)  # type: ignore[arg-type]
        for o in model.graph.output
    ]
    return CanonicalModel(model, inputs, outputs, file, found)


def _reject_loop_recurrences(model: onnx.ModelProto, file: str) -> None:
    """An RNN unrolled into a Loop/Scan body is not recognized as a recurrent layer."""
    for node in model.graph.node:
        if node.op_type in ("Loop", "Scan") and node.domain in ("", "ai.onnx"):
            raise ErccError(
                "Loop/Scan recurrences are not supported: export the RNN as an ONNX LSTM/GRU/RNN op",
                file=file,
                node=node_label(node.name, node.op_type),
            )


def _fold_constants(model: onnx.ModelProto) -> onnx.ModelProto:
    """Fold everything computable from initializers, including ConstantOfShape.

    onnxscript keeps ConstantOfShape by default (to keep models small); the
    zero states it builds here are tiny and must become initializers.
    """
    onnxscript.optimizer.fold_constants(
        model, should_fold=lambda node: True if node.op_type == "ConstantOfShape" else None
    )
    return onnxscript.optimizer.optimize(model)


def _check_static(model: onnx.ModelProto, file: str) -> None:
    """Every value a node produces must have a fully static shape after inference."""
    known = {vi.name: vi for vi in (*model.graph.value_info, *model.graph.output)}
    for node in model.graph.node:
        for name in node.output:
            if not name:
                continue
            vi = known.get(name)
            if vi is None or signature.static_shape(vi) is None:
                dims = "unknown" if vi is None else _format_dims(vi)
                raise ErccError(
                    f"output '{name}' has a dynamic shape ({dims}) after fixing batch and"
                    " sequence length",
                    file=file,
                    node=node_label(node.name, node.op_type),
                )


def _format_dims(vi: onnx.ValueInfoProto) -> str:
    if not vi.type.tensor_type.HasField("shape"):
        return "unknown rank"
    dims = [
        str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
        for d in vi.type.tensor_type.shape.dim
    ]
    return "[" + ", ".join(dims) + "]"
