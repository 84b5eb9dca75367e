"""The kernel's signature: which axis of each graph input/output is batch and sequence.

The kernel processes one sequence, so the importer pins every batch axis to 1
and the sequence axis to a static T. Input axes are found structurally, by
following each recurrent node's X (and initial state) input back through
Transpose nodes to a graph input; output batch axes are found by running
shape inference with batch 1 and batch 2 and seeing which axis moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import onnx
from onnx import shape_inference

from ercc.errors import ErccError

RECURRENT_OPS = ("LSTM", "GRU", "RNN")

# Position of the initial_h / initial_c inputs of each recurrent op.
_STATE_INPUTS = {"LSTM": (5, 6), "GRU": (5,), "RNN": (5,)}
# Position of the sequence_lens input (int32 [batch]) of every recurrent op.
SEQUENCE_LENS_INPUT = 4


@dataclass(frozen=True)
class TensorSpec:
    """One kernel argument or result: its ONNX name, kernel shape and special axes."""

    name: str
    shape: tuple[int, ...]
    batch_axis: int | None
    seq_axis: int | None
    dtype: str = "float32"  # "int32" for sequence_lens inputs


@dataclass(frozen=True)
class _Axes:
    batch: int | None
    seq: int | None


def graph_inputs(graph: onnx.GraphProto) -> list[onnx.ValueInfoProto]:
    """The real graph inputs: old IR versions also list initializers as inputs."""
    inits = {t.name for t in graph.initializer}
    return [i for i in graph.input if i.name not in inits]


def recurrent_nodes(graph: onnx.GraphProto) -> list[onnx.NodeProto]:
    return [n for n in graph.node if n.domain in ("", "ai.onnx") and n.op_type in RECURRENT_OPS]


def attr(node: onnx.NodeProto, name: str, default=None):
    """An attribute's Python value, or `default` when the node does not set it."""
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _trace_to_input(
    graph: onnx.GraphProto, name: str, axes: _Axes, rank_of: dict[str, int]
) -> tuple[str, _Axes] | None:
    """Follow `name` back through Transposes; the graph input it comes from and its axes."""
    producers = {o: n for n in graph.node for o in n.output}
    perms: list[list[int] | None] = []
    while name in producers:
        node = producers[name]
        if node.op_type != "Transpose":
            return None
        perms.append(attr(node, "perm"))
        name = node.input[0]
    if name not in rank_of:
        return None
    rank = rank_of[name]

    def back(axis: int | None) -> int | None:
        # Output axis a of a Transpose is its input axis perm[a].
        for perm in perms:
            if axis is not None:
                axis = perm[axis] if perm is not None else rank - 1 - axis
        return axis

    return name, _Axes(back(axes.batch), back(axes.seq))


def sequence_lens_inputs(graph: onnx.GraphProto) -> set[str]:
    """The graph inputs that are the sequence_lens of a recurrent node (batch axis 0)."""
    names = {i.name for i in graph_inputs(graph)}
    return {
        node.input[SEQUENCE_LENS_INPUT]
        for node in recurrent_nodes(graph)
        if len(node.input) > SEQUENCE_LENS_INPUT and node.input[SEQUENCE_LENS_INPUT] in names
    }


def input_axes(graph: onnx.GraphProto) -> dict[str, _Axes]:
    """Batch and sequence axes of the graph inputs that feed a recurrent node."""
    rank_of = {
        i.name: len(i.type.tensor_type.shape.dim) for i in graph_inputs(graph)
    }
    found: dict[str, _Axes] = {name: _Axes(batch=0, seq=None) for name in sequence_lens_inputs(graph)}
    for node in recurrent_nodes(graph):
        layout = attr(node, "layout", 0)
        x_axes = _Axes(batch=1, seq=0) if layout == 0 else _Axes(batch=0, seq=1)
        state_axes = _Axes(batch=1 if layout == 0 else 0, seq=None)
        wanted = [(0, x_axes)] + [(i, state_axes) for i in _STATE_INPUTS[node.op_type]]
        for index, axes in wanted:
            if index < len(node.input) and node.input[index]:
                traced = _trace_to_input(graph, node.input[index], axes, rank_of)
                if traced is not None:
                    found.setdefault(*traced)
    return found


_INTEGER_TYPES = {
    getattr(onnx.TensorProto, t) for t in ("INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64")
}


def pin_inputs(
    model: onnx.ModelProto, axes: dict[str, _Axes], seq_len: int | None, file: str, batch: int = 1
) -> list[TensorSpec]:
    """Give every graph input a static shape in place: batch → `batch`, seq → T.

    T is the model's own static sequence length if it has one, else `seq_len`.
    """
    specs = []
    lengths = sequence_lens_inputs(model.graph)
    for inp in graph_inputs(model.graph):
        tt = inp.type.tensor_type
        if inp.name in lengths:
            if not inp.type.HasField("tensor_type") or tt.elem_type != onnx.TensorProto.INT32:
                raise ErccError(f"sequence_lens graph input '{inp.name}' is not an int32 tensor", file=file)
            if tt.HasField("shape") and len(tt.shape.dim) != 1:
                raise ErccError(f"sequence_lens graph input '{inp.name}' must have rank 1 ([batch])", file=file)
        elif not inp.type.HasField("tensor_type") or tt.elem_type != onnx.TensorProto.FLOAT:
            integer = inp.type.HasField("tensor_type") and tt.elem_type in _INTEGER_TYPES
            hint = "; ercc takes float features: keep nn.Embedding outside the exported graph" if integer else ""
            raise ErccError(f"graph input '{inp.name}' is not a float32 tensor{hint}", file=file)
        if not tt.HasField("shape"):
            raise ErccError(f"graph input '{inp.name}' has no shape", file=file)
        ax = axes.get(inp.name, _Axes(None, None))
        shape = []
        for i, dim in enumerate(tt.shape.dim):
            if i == ax.batch:
                size = batch
            elif i == ax.seq:
                size = _sequence_length(inp.name, dim, seq_len, file)
            elif dim.HasField("dim_value") and dim.dim_value > 0:
                size = dim.dim_value
            elif dim.HasField("dim_value"):
                raise ErccError(f"graph input '{inp.name}' has dimension {i} of size {dim.dim_value}", file=file)
            else:
                raise ErccError(
                    f"graph input '{inp.name}' has a dynamic dimension {i}"
                    f" ('{dim.dim_param or '?'}') that is neither batch nor sequence",
                    file=file,
                )
            dim.Clear()
            dim.dim_value = size
            shape.append(size)
        dtype = "int32" if inp.name in lengths else "float32"
        specs.append(TensorSpec(inp.name, tuple(shape), ax.batch, ax.seq, dtype))
    return specs


def _sequence_length(name: str, dim, seq_len: int | None, file: str) -> int:
    """The static T for a sequence axis: the model's own, else `seq_len`."""
    if dim.HasField("dim_value") and dim.dim_value > 0:
        if seq_len is not None and seq_len != dim.dim_value:
            raise ErccError(
                f"--seq-len {seq_len} conflicts with the static sequence length"
                f" {dim.dim_value} of graph input '{name}'",
                file=file,
            )
        return dim.dim_value
    if seq_len is None:
        raise ErccError("dynamic sequence length: pass --seq-len", file=file)
    if seq_len < 1:
        raise ErccError(f"--seq-len must be positive, got {seq_len}", file=file)
    return seq_len


def strip_shapes(model: onnx.ModelProto) -> None:
    """Forget intermediate and output shapes so inference recomputes them from the inputs."""
    del model.graph.value_info[:]
    for out in model.graph.output:
        out.type.tensor_type.ClearField("shape")


def infer(model: onnx.ModelProto, file: str, *, strict: bool = True) -> onnx.ModelProto:
    """ONNX shape inference with data propagation; failures are the model's problem."""
    try:
        return shape_inference.infer_shapes(model, check_type=True, strict_mode=strict, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError) as e:
        raise ErccError(f"shape inference failed: {first_line(str(e))}", file=file) from e


def first_line(text: str) -> str:
    """The first non-blank line of a tool's message, for one-line errors."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else "unknown error"


def output_batch_axes(
    model: onnx.ModelProto, axes: dict[str, _Axes], seq_len: int | None, file: str
) -> dict[str, int | None]:
    """Each graph output's batch axis: the one axis that follows the input batch size.

    `model` is the original model; it is copied twice, pinned to batch 1 and
    batch 2, and shape-inferred. Outputs with no moving axis get None.
    """
    shapes = []
    for batch in (1, 2):
        probe = onnx.ModelProto()
        probe.CopyFrom(model)
        pin_inputs(probe, axes, seq_len, file, batch=batch)
        strip_shapes(probe)
        probe = infer(probe, file, strict=False)
        shapes.append({o.name: _dims(o) for o in probe.graph.output})
    result: dict[str, int | None] = {}
    for name, one in shapes[0].items():
        two = shapes[1][name]
        moved = [i for i, (a, b) in enumerate(zip(one, two)) if a != b or a is None]
        if len(moved) > 1:
            raise ErccError(
                f"graph output '{name}' depends on the batch size along several axes {moved}",
                file=file,
            )
        result[name] = moved[0] if moved else None
    return result


def _dims(vi: onnx.ValueInfoProto) -> list[int | None]:
    """Static dimensions of a value, None where unknown."""
    return [
        d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim
    ]


def static_shape(vi: onnx.ValueInfoProto) -> tuple[int, ...] | None:
    """The shape of a value if every dimension is known, else None."""
    if not vi.type.tensor_type.HasField("shape"):
        return None
    dims = _dims(vi)
    return None if any(d is None for d in dims) else tuple(dims)  # type: ignore[arg-type]


def sequence_length(model: onnx.ModelProto, arrays: dict) -> int | None:
    """The sequence length of the inputs `arrays` would feed to the loaded `model`, if it shows.

    Lets `ercc simulate` build the kernel for the T of its inputs when the
    model's own sequence axis is dynamic.
    """
    ranks = {i.name: len(i.type.tensor_type.shape.dim) for i in graph_inputs(model.graph)}
    for name, axes in input_axes(model.graph).items():
        array = arrays.get(name)
        if axes.seq is not None and array is not None and array.ndim == ranks.get(name):
            return int(array.shape[axes.seq])
    return None
