"""Model checks and size limits, run before anything large is loaded or built.

`check_before_load` looks only at the declared initializer shapes (so a huge
model is refused before its weights are read); `load_external_data` reads
external weights with onnx's own loader, whose rules keep every file inside
the model's folder; `check_model` rejects what onnx.checker lets through but
no kernel can be built from; `check_sizes` bounds every tensor and the work
per sequence once the sequence length is fixed; `check_block_size` refuses a
block size no recurrent matrix can use.
"""

from __future__ import annotations

import math
import os

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.external_data_helper import load_external_data_for_model, uses_external_data

from ercc.errors import ErccError, node_label

# The newest default-domain opset ercc accepts: the newest the installed onnx knows.
MAX_OPSET = onnx.defs.onnx_opset_version()
# Weights live on chip; 2^24 float32 words (64 MiB) is more than any FPGA holds.
MAX_WEIGHT_ELEMENTS = 1 << 24
# Every tensor of the kernel is a static on-chip array of at most this many elements.
MAX_TENSOR_ELEMENTS = 1 << 24
# Multiply-accumulates of the recurrent layers for one sequence (~100 s of C simulation).
MAX_MACS_PER_SEQUENCE = 10**11

_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def _count(n: int) -> str:
    return f"{n:,}"


def _non_utf8_text(message, path: str) -> str | None:
    """The path of the first text field holding bytes that are not UTF-8, if any.

    ONNX's protobuf is proto2: its string fields may hold any bytes, which the
    Python bindings return as `bytes`; the checker accepts them, other tools do not.
    """
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            items = value if field.is_repeated else [value]
            for i, item in enumerate(items):
                if (found := _non_utf8_text(item, f"{path}.{field.name}[{i}]")) is not None:
                    return found
        elif field.type == field.TYPE_STRING:
            items = value if field.is_repeated else [value]
            if any(isinstance(item, bytes) for item in items):
                return f"{path}.{field.name}"
    return None


def check_text(model: onnx.ModelProto, file: str) -> None:
    """Refuse names and strings that are not UTF-8 (a corrupted file)."""
    if (where := _non_utf8_text(model, "model")) is not None:
        raise ErccError(f"invalid ONNX model: {where} is not UTF-8 text", file=file)


def check_before_load(model: onnx.ModelProto, file: str) -> None:
    """Refuse models whose declared weights exceed the limit, before reading them."""
    total = 0
    for t in model.graph.initializer:
        total += math.prod(max(int(d), 0) for d in t.dims)
    if total > MAX_WEIGHT_ELEMENTS:
        raise ErccError(
            f"the model has {_count(total)} weight elements, more than the {_count(MAX_WEIGHT_ELEMENTS)}"
            " a kernel can keep on chip on any device",
            file=file,
        )


def load_external_data(model: onnx.ModelProto, file: str) -> None:
    """Read external initializers from the model's folder (onnx's loader enforces the folder rules)."""
    if not any(uses_external_data(t) for t in model.graph.initializer):
        return
    if file == "<model>":
        raise ErccError("the model keeps weights in external files; pass it as a file path", file=file)
    external = [t for t in model.graph.initializer if uses_external_data(t)]
    try:
        load_external_data_for_model(model, os.path.dirname(os.path.abspath(file)))
    except (OSError, ValueError, RuntimeError, onnx.checker.ValidationError) as e:
        raise ErccError(f"cannot read external weight data: {' '.join(str(e).split())}", file=file) from e
    for t in external:
        itemsize = np.dtype(onnx.helper.tensor_dtype_to_np_dtype(t.data_type)).itemsize
        need = math.prod(max(int(d), 0) for d in t.dims) * itemsize
        if len(t.raw_data) != need:
            raise ErccError(
                f"cannot read external weight data: initializer '{t.name}' needs {need} bytes,"
                f" its external file gave {len(t.raw_data)}",
                file=file,
            )


def _consumer(model: onnx.ModelProto, name: str) -> str | None:
    for node in model.graph.node:
        if name in node.input:
            return node_label(node.name, node.op_type)
    return None


def check_model(model: onnx.ModelProto, file: str) -> None:
    """What onnx.checker accepts but ercc cannot compile: checked on the loaded model."""
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx") and o.version > MAX_OPSET:
            raise ErccError(
                f"opset {o.version} is newer than the newest ercc supports ({MAX_OPSET})", file=file
            )
    if not model.graph.output:
        raise ErccError("the graph has no outputs", file=file)
    for node in model.graph.node:
        if node.op_type in _GATES and node.domain in ("", "ai.onnx"):
            for a in node.attribute:
                if a.name == "hidden_size" and a.i < 1:
                    raise ErccError(
                        f"hidden_size must be >= 1, got {a.i}", file=file, node=node_label(node.name, node.op_type)
                    )
    for t in model.graph.initializer:
        if t.data_type not in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16):
            continue
        try:
            array = numpy_helper.to_array(t)
        except ValueError as e:
            raise ErccError(f"initializer '{t.name}' is malformed ({e})", file=file) from e
        bad = ~np.isfinite(array)
        if bad.any():
            where = [int(i) for i in np.argwhere(bad)[0]]
            raise ErccError(
                f"initializer '{t.name}' holds NaN or infinite values (the first at index {where})",
                file=file,
                node=_consumer(model, t.name),
            )


def _elements(vi: onnx.ValueInfoProto) -> int:
    return math.prod(d.dim_value for d in vi.type.tensor_type.shape.dim if d.HasField("dim_value"))


def _hidden_size(model: onnx.ModelProto, node: onnx.NodeProto) -> int:
    """The node's hidden_size attribute, else the last dimension of its R initializer."""
    for a in node.attribute:
        if a.name == "hidden_size":
            return a.i
    r = next((t for t in model.graph.initializer if len(node.input) > 2 and t.name == node.input[2]), None)
    return int(r.dims[-1]) if r is not None and r.dims else 0


def check_sizes(model: onnx.ModelProto, file: str) -> None:
    """After shape inference with batch 1 and a fixed T: bound each tensor and the recurrent work."""
    graph = model.graph
    values = {vi.name: vi for vi in (*graph.input, *graph.value_info, *graph.output)}
    for name, vi in values.items():
        n = _elements(vi)
        if n > MAX_TENSOR_ELEMENTS:
            raise ErccError(
                f"tensor '{name}' would have {_count(n)} elements, more than the {_count(MAX_TENSOR_ELEMENTS)}"
                " a kernel array can hold on any device (is the sequence length right?)",
                file=file,
            )
    total = 0
    for node in graph.node:
        gates = _GATES.get(node.op_type)
        x = values.get(node.input[0]) if node.input else None
        if gates is None or x is None or len(x.type.tensor_type.shape.dim) != 3:
            continue
        layout = next((a.i for a in node.attribute if a.name == "layout"), 0)
        dims = [d.dim_value for d in x.type.tensor_type.shape.dim]
        T, I = (dims[0] if layout == 0 else dims[1]), dims[2]
        H = _hidden_size(model, node)
        D = 2 if any(a.name == "direction" and a.s == b"bidirectional" for a in node.attribute) else 1
        total += T * D * gates * H * (I + H)
    if total > MAX_MACS_PER_SEQUENCE:
        raise ErccError(
            f"the recurrent layers need {total:.3g} multiply-accumulates per sequence, more than the"
            f" limit of {MAX_MACS_PER_SEQUENCE:.0e} (is the sequence length right?)",
            file=file,
        )


def _gate_matrices(model: onnx.ModelProto, node: onnx.NodeProto, shapes: dict) -> list[tuple[int, int]]:
    """(rows, cols) of a recurrent node's gate matrices: W's H × I (I from W, else from x) and R's H × H."""
    H = _hidden_size(model, node)
    w = next((t for t in model.graph.initializer if len(node.input) > 1 and t.name == node.input[1]), None)
    if w is not None and w.dims:
        inputs = int(w.dims[-1])
    elif node.input and node.input[0] in shapes:
        inputs = shapes[node.input[0]].type.tensor_type.shape.dim[-1].dim_value
    else:
        inputs = 0
    return [(H, inputs), (H, H)] if inputs else [(H, H)]


def check_block_size(
    model: onnx.ModelProto, block_size: int, file: str | None = None, layers: dict[str, int] | None = None
) -> None:
    """A block size larger than every recurrent gate matrix compresses nothing: refuse it, and
    a per-layer one (`layers`: node name → block size) larger than that layer's matrices."""
    shapes = {vi.name: vi for vi in (*model.graph.input, *model.graph.value_info)}
    recurrent = [n for n in model.graph.node if n.op_type in _GATES]
    if block_size > 1:
        largest: tuple[int, int, str] | None = None
        for node in recurrent:
            for rows, cols in _gate_matrices(model, node, shapes):
                if largest is None or (max(rows, cols), rows * cols) > (max(largest[:2]), largest[0] * largest[1]):
                    largest = (rows, cols, node_label(node.name, node.op_type))
        if largest is not None and block_size > max(largest[:2]):
            rows, cols, where = largest
            raise ErccError(
                f"--block-size {block_size} is larger than every recurrent weight matrix"
                f" (the largest gate matrix is {rows}x{cols}, in {where})",
                file=file,
            )
    for node in recurrent:
        k = (layers or {}).get(node.name)
        matrices = _gate_matrices(model, node, shapes)
        if k is not None and k > 1 and k > max(max(m) for m in matrices):
            sizes = " and ".join(f"{r}x{c}" for r, c in matrices)
            raise ErccError(
                f"layers: block size {k} of {node_label(node.name, node.op_type)} is larger than its"
                f" gate matrices ({sizes})",
                file=file,
            )
