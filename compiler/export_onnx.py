"""`ercc export-onnx`: the compressed model as standard ONNX.

W and R of every recurrent node are replaced by their block-circulant
projection (`compiler/onnx_projection.py`, the projection the compiler uses,
with the per-layer block sizes of `layers`), so onnxruntime computes in float
what a `--block-size K` kernel computes. The rest of the graph is left as it is.

With `--precision fixed` the export is also fake-quantized: every recurrent
W, R, B (and LSTM peephole P) becomes an INT8 (width <= 8), INT16 (<= 16) or
INT32 initializer feeding a DequantizeLinear (per-axis scale 2^-frac, zero
point 0) and a Reshape back to the ONNX shape. The integers are rounded by
ercc itself (`ercc.numerics.fixed.from_float` with the --rounding/--overflow
modes; the default AP_RND rounds half up), not by a QuantizeLinear (which
rounds half to even), so the dequantized weights are exactly ercc's
fixed-point weight values. Formats are chosen as the `quantize` pass chooses
them (`passes.quantize.weight_format`, with the layer's own weight width when
`layers` gives one) for the tensors `lower-rnn-layers` makes: one per
direction and gate; the two ONNX bias halves are summed first (a GRU with
linear_before_reset keeps its Rb_h apart), so the exported B holds the
quantized sum in its W half and zeros in its R half. Activations stay float.
At block size 1 the weights are bit for bit the kernel's; at K > 1 the kernel
quantizes the weights' spectra instead, and the export shows the time-domain
quantization of the projected weights. INT16 needs DequantizeLinear-21, so
such models are converted to opset 21 (onnxruntime >= 1.20 runs it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ercc.compiler.onnx_projection import GATES, project_recurrent_weights
from ercc.errors import ErccError

# onnxruntime >= 1.20 loads IR versions up to 10; the brief allows <= 13.
MAX_IR_VERSION = 10
INT16_OPSET = 21  # DequantizeLinear takes int16 from opset 21
PER_AXIS_OPSET = 13  # per-axis DequantizeLinear


def export_compressed(model: str | os.PathLike | onnx.ModelProto, options) -> onnx.ModelProto:
    """The model with block-circulant (and, in fixed point, fake-quantized) recurrent weights, checked."""
    from ercc.compiler.pipeline import check_layer_names
    from ercc.frontends.canonicalize import load
    from ercc.frontends.checks import check_block_size

    options.validate()
    proto, file = load(model)
    if not any(n.op_type in GATES for n in proto.graph.node):
        raise ErccError("no recurrent layer (LSTM, GRU, RNN) to compress", file=file)
    check_layer_names(proto, options)
    check_block_size(
        proto, options.block_size, file, layers={n: max(ks) for n, ks in options.layer_block_sizes().items()}
    )
    inits = {t.name for t in proto.graph.initializer}
    for node in proto.graph.node:
        if node.op_type in GATES:
            for name in [*node.input[1:4], *node.input[7:8]]:  # W, R, B, P
                if name and name not in inits:
                    raise ErccError(
                        f"weight '{name}' of {node.op_type} node '{node.name}' is not an initializer", file=file
                    )
    sizes = {n.name: options.block_sizes_of(n.name) for n in proto.graph.node if n.op_type in GATES}
    out = project_recurrent_weights(proto, options.block_size, sizes)
    if options.precision == "fixed":
        bits = {n: o.weight_bits for n, o in options.layers if o.weight_bits is not None}
        out = fake_quantize(out, options.weight_bits, options.rounding, options.overflow, bits)
    out.ir_version = min(out.ir_version, MAX_IR_VERSION)
    onnx.checker.check_model(out)
    return out


def export_files(model: str | os.PathLike | onnx.ModelProto, output: str | os.PathLike, options) -> None:
    from ercc.compiler.output import write_atomically

    out = export_compressed(model, options)
    write_atomically(output, lambda tmp: onnx.save(out, os.fspath(tmp)))


def describe(options) -> str:
    """What an export holds, for the success line: 'block size 8, 16-bit weights'."""
    layers = " (per-layer options)" if options.layers else ""
    weights = f"{options.weight_bits}-bit weights" if options.precision == "fixed" else "float weights"
    return f"block size {options.block_size}{layers}, {weights}"


def fake_quantize(
    model: onnx.ModelProto,
    weight_bits: int,
    rounding: str = "AP_RND",
    overflow: str = "AP_SAT",
    layer_bits: Mapping[str, int] | None = None,
) -> onnx.ModelProto:
    """A copy of `model` whose recurrent W, R, B, P are integers + DequantizeLinear (module docstring).

    `layer_bits` maps node names to their own weight width (the per-layer options).
    """
    from ercc.passes.quantize import weight_format

    widths = {n.name: (layer_bits or {}).get(n.name, weight_bits) for n in model.graph.node if n.op_type in GATES}
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
    need = INT16_OPSET if any(8 < w <= 16 for w in widths.values()) else PER_AXIS_OPSET
    if opset < need:
        try:
            model = onnx.version_converter.convert_version(model, need)
        except Exception as e:  # noqa: BLE001 - the converter raises assorted errors
            raise ErccError(f"cannot convert the model to opset {need} for DequantizeLinear ({e})") from e
    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    new_inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []
    replaced: set[str] = set()
    for node in graph.node:
        gates = GATES.get(node.op_type)
        if gates is not None:
            for index, blocks in _weight_blocks(node, gates, inits).items():
                name = node.input[index]
                replaced.add(name)
                formats = [weight_format(b, widths[node.name], rounding, overflow) for b in blocks]
                prefix = f"{node.name or node.op_type}_{index}"
                node.input[index] = _dequantize(prefix, name, blocks, formats, inits[name].shape, new_inits, nodes)
        nodes.append(node)
    used = {i for n in nodes for i in n.input} | {o.name for o in graph.output}
    kept = [t for t in graph.initializer if t.name in used or t.name not in replaced]
    del graph.initializer[:]
    graph.initializer.extend([*kept, *new_inits])
    del graph.node[:]
    graph.node.extend(nodes)
    return out


def _weight_blocks(node: onnx.NodeProto, gates: int, inits: dict[str, np.ndarray]) -> dict[int, np.ndarray]:
    """Input index → the tensor's [n, ...] blocks that ercc gives a format each, in ONNX order."""
    W, R = (inits[node.input[i]].astype(np.float32) for i in (1, 2))
    D, rows, _ = R.shape
    H = rows // gates
    out = {1: W.reshape(D * gates, H, -1), 2: R.reshape(D * gates, H, H)}
    if len(node.input) > 3 and node.input[3]:
        B = inits[node.input[3]].astype(np.float32).reshape(D, 2, gates, H)
        summed = np.stack([B[:, 0] + B[:, 1], np.zeros_like(B[:, 1])], axis=1)
        linear = any(a.name == "linear_before_reset" and a.i for a in node.attribute)
        if node.op_type == "GRU" and linear:  # Rb_h stays inside r * (R_h h + Rb_h)
            summed[:, :, 2] = B[:, :, 2]
        out[3] = summed.reshape(D * 2 * gates, H)
    if node.op_type == "LSTM" and len(node.input) > 7 and node.input[7]:
        out[7] = inits[node.input[7]].astype(np.float32).reshape(D * 3, H)
    return out


def _dequantize(prefix: str, name: str, blocks: np.ndarray, formats, shape, inits: list, nodes: list) -> str:
    """Add raw integers + DequantizeLinear + Reshape for `blocks`; return the float tensor's name."""
    from ercc.numerics.fixed import from_float

    bits = formats[0].width
    dtype = np.int8 if bits <= 8 else np.int16 if bits <= 16 else np.int32
    raw = np.stack([from_float(b, f) for b, f in zip(blocks, formats)]).astype(dtype)
    scale = np.array([2.0**-f.frac for f in formats], dtype=np.float32)
    base = f"{prefix}_{name}_ercc"
    inputs = [f"{base}_q", f"{base}_scale"]
    inits += [numpy_helper.from_array(raw, inputs[0]), numpy_helper.from_array(scale, inputs[1])]
    if dtype is not np.int32:  # int32 DequantizeLinear has no zero point (it is 0)
        inputs.append(f"{base}_zero")
        inits.append(numpy_helper.from_array(np.zeros(len(blocks), dtype), inputs[2]))
    inits.append(numpy_helper.from_array(np.array(shape, dtype=np.int64), f"{base}_shape"))
    nodes.append(helper.make_node("DequantizeLinear", inputs, [f"{base}_dq"], name=f"{base}_dq", axis=0))
    nodes.append(helper.make_node("Reshape", [f"{base}_dq", f"{base}_shape"], [f"{base}_w"], name=f"{base}_reshape"))
    return f"{base}_w"
