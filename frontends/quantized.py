"""Quantization-aware graph forms → a plain ONNX graph plus the model's own quantizers.

Runs on the loaded model before shape inference (`canonicalize`). What the
exporters write (docs/quantized-models.md lists the forms):

* QONNX `Quant` on an initializer (Brevitas weights and biases): folded into a
  float32 initializer holding exactly the dequantized values Brevitas computes;
* Brevitas `QuantLSTMCell` (QONNX export of a fully quantized `QuantLSTM`):
  becomes a native ONNX `LSTM` over the dequantized weights (ONNX gate order)
  with Squeezes back to the cell's output shapes; its 11 quantizers and the
  `Quant` on its input go into `QuantizedModel.layers[node name]`, from which
  the importer tags the `rnn.lstm` op (`ercc.quantizers`) and
  `lower-rnn-layers` builds Brevitas's cell with `fix.quant` ops;
* `com.microsoft::DynamicQuantizeLSTM` (onnxruntime `quantize_dynamic`):
  a native LSTM over its dequantized (transposed) int8 weights.

QCDQ weights (int8 → Clip → DequantizeLinear → Concat) are standard ops on
constants: onnxscript's constant folder turns them into the same float32
values onnxruntime computes; they are only recorded here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ercc.errors import ErccError, node_label
from ercc.numerics.quantizer import MAX_BITS, ROUNDING_MODES, Quantizer, fake_quant, grid

QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general")

# The QuantLSTMCell's quantizers, in the order of their (scale, zero point, bit width) inputs 15..47.
CELL_QUANTIZERS = (
    "output", "cell_state", "input_acc", "forget_acc", "cell_acc", "output_acc",
    "input_sigmoid", "forget_sigmoid", "cell_tanh", "output_sigmoid", "hidden_state_tanh",
)
# The cell's weight and bias inputs 3..14 (Brevitas order ii, if, ic, io, hi, hf, hc, ho; biases i, f, c, o).
CELL_WEIGHTS = tuple(f"{m}_{g}" for m in "WRB" for g in "ifco")
_CELL_FLAGS = {"batch_first", "reverse_input", "cifg"}
_QUANT_ATTRS = {"signed", "narrow", "rounding_mode"}


@dataclass
class QuantizedModel:
    """What the quantized forms of a model declare.

    `layers`: LSTM node name → its quantizers by role (`input` and the cell's
    11); `weights`: one line per quantized weight form found (for the option
    conflict message).
    """

    layers: dict[str, dict[str, Quantizer]] = field(default_factory=dict)
    weights: list[str] = field(default_factory=list)
    constants: dict[str, Quantizer] = field(default_factory=dict)  # folded Quant output → its per-tensor quantizer

    @property
    def quantized(self) -> bool:
        return bool(self.layers or self.weights)


def rewrite(model: onnx.ModelProto, file: str) -> QuantizedModel:
    """Rewrite the quantized forms of `model` in place; what they declared."""
    found = QuantizedModel()
    _diagnose_traps(model, file)
    g = model.graph
    if not any(n.op_type in ("Quant", "QuantLSTMCell", "DynamicQuantizeLSTM", "DequantizeLinear") for n in g.node):
        return found
    inits = {t.name: t for t in g.initializer}
    _fold_constant_quants(model, inits, found, file)
    nodes: list[onnx.NodeProto] = []
    for k, node in enumerate(list(g.node)):
        if node.op_type == "QuantLSTMCell" and node.domain in QONNX_DOMAINS:
            nodes += _cell_to_lstm(model, node, inits, found, file, f"quant_lstm_{k}")
        elif node.op_type == "DynamicQuantizeLSTM" and node.domain == "com.microsoft":
            nodes += _dynamic_to_lstm(model, node, inits, found, file)
        elif not _fold_dequantize(g, node, inits, found, file):
            nodes.append(node)
    _absorb_input_quants(g, nodes, found, file)
    _absorb_qdq_pairs(g, nodes, found, file)
    del g.node[:]
    g.node.extend(nodes)
    if found.quantized:
        # Brevitas' exports also list the weights as graph inputs (old IR style): they are constants.
        inits = {t.name for t in g.initializer}
        kept = [i for i in g.input if i.name not in inits]
        del g.input[:]
        g.input.extend(kept)
    return found


# --------------------------------------------------------------------------- #
# Traps of the exporters
# --------------------------------------------------------------------------- #


def _diagnose_traps(model: onnx.ModelProto, file: str) -> None:
    g = model.graph
    if not g.node and g.output:
        raise ErccError(
            "the graph has no nodes (torch's dynamo exporter writes an empty graph for Brevitas QuantLSTM:"
            " export with dynamo=False, e.g. export_qonnx(model, x, path, dynamo=False, opset_version=14))",
            file=file,
        )
    producers = {o: n for n in g.node for o in n.output}
    inits = {t.name: t for t in g.initializer}
    for node in g.node:
        if node.op_type != "LSTM" or node.domain not in ("", "ai.onnx"):
            continue
        layout = next((a.i for a in node.attribute if a.name == "layout"), 0)
        # Y is [T, D, B, H] (layout 0) or [B, T, D, H] (layout 1); Y_h and Y_c [D, B, H] or [B, D, H].
        roles = [("sequence", "direction", "batch", "hidden"), ("direction", "batch", "hidden")]
        if layout == 1:
            roles = [("batch", "sequence", "direction", "hidden"), ("batch", "direction", "hidden")]
        for index, output in enumerate(node.output):
            names = roles[min(index, 1)]
            right = names.index("direction")
            for consumer in g.node:
                if consumer.op_type != "Squeeze" or not output or not consumer.input or consumer.input[0] != output:
                    continue
                axes = _squeeze_axes(consumer, inits, producers)
                if axes is not None and [a % len(names) for a in axes] != [right]:
                    wrong = axes[0] % len(names)
                    raise ErccError(
                        f"squeezes axis {wrong} ({names[wrong]}) of the LSTM's {('Y', 'Y_h', 'Y_c')[index]}; its"
                        f" direction axis in layout {layout} is {right} (a known bug of Brevitas' weight-only"
                        f" QCDQ/QONNX export of QuantLSTM: set the Squeeze's axes to [{right}])",
                        file=file,
                        node=node_label(consumer.name, consumer.op_type),
                    )


def _squeeze_axes(node: onnx.NodeProto, inits: dict, producers: dict) -> list[int] | None:
    for a in node.attribute:
        if a.name == "axes":
            return list(a.ints)
    if len(node.input) < 2 or not node.input[1]:
        return None
    name = node.input[1]
    if name in inits:
        return [int(v) for v in numpy_helper.to_array(inits[name]).reshape(-1)]
    producer = producers.get(name)
    if producer is not None and producer.op_type == "Constant":
        return [int(v) for v in numpy_helper.to_array(producer.attribute[0].t).reshape(-1)]
    return None


# --------------------------------------------------------------------------- #
# Constant quantizers
# --------------------------------------------------------------------------- #


def _array(inits: dict, name: str) -> np.ndarray | None:
    t = inits.get(name)
    return None if t is None else numpy_helper.to_array(t)


def _quant_attrs(node: onnx.NodeProto, file: str) -> dict:
    """A QONNX Quant's attributes; any other attribute is refused."""
    values = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    unknown = sorted(set(values) - _QUANT_ATTRS)
    if unknown:
        raise ErccError(
            f"unknown quantizer attribute '{unknown[0]}' (a QONNX Quant has signed, narrow, rounding_mode)",
            file=file, node=node_label(node.name, node.op_type),
        )
    return values


def _rounding(value, node: onnx.NodeProto, file: str) -> str:
    mode = value.decode() if isinstance(value, bytes) else str(value)
    mode = "ROUND" if mode == "HALF_EVEN" else mode
    if mode not in ROUNDING_MODES:
        raise ErccError(
            f"rounding mode '{mode}' is not supported (one of {', '.join(ROUNDING_MODES)})",
            file=file, node=node_label(node.name, node.op_type),
        )
    return mode


def _bits(value: np.ndarray, node: onnx.NodeProto, file: str, what: str) -> int:
    bits = float(np.asarray(value).reshape(-1)[0]) if np.asarray(value).size == 1 else None
    if bits is None or bits != int(bits) or not 2 <= bits <= MAX_BITS:
        raise ErccError(
            f"{what}bit width {np.asarray(value).reshape(-1).tolist()} cannot be represented"
            f" (an integer in [2, {MAX_BITS}])",
            file=file, node=node_label(node.name, node.op_type),
        )
    return int(bits)


def _fold_constant_quants(model: onnx.ModelProto, inits: dict, found: QuantizedModel, file: str) -> None:
    """Every QONNX Quant of constants becomes the float32 initializer of its dequantized values."""
    g = model.graph
    keep = []
    for node in g.node:
        if node.op_type != "Quant" or node.domain not in QONNX_DOMAINS or node.input[0] not in inits:
            keep.append(node)
            continue
        attrs = _quant_attrs(node, file)
        x, scale, zp, bw = (_array(inits, n) for n in node.input[:4])
        if scale is None or zp is None or bw is None:
            raise ErccError(
                "scale, zero point and bit width must be constants", file=file, node=node_label(node.name, node.op_type)
            )
        if np.any(zp != 0):
            raise ErccError(
                f"zero point {zp.reshape(-1)[:4].tolist()} is not supported (only 0: symmetric quantizers)",
                file=file, node=node_label(node.name, node.op_type),
            )
        if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
            raise ErccError("scales must be positive and finite", file=file, node=node_label(node.name, node.op_type))
        try:
            np.broadcast_shapes(scale.shape, x.shape)
        except ValueError:
            raise ErccError(
                f"scale of shape {list(scale.shape)} does not broadcast to the tensor's {list(x.shape)}",
                file=file, node=node_label(node.name, node.op_type),
            ) from None
        bits = _bits(bw, node, file, "")
        lo, hi = grid(bits, bool(attrs.get("signed", 1)), bool(attrs.get("narrow", 0)))
        rounding = _rounding(attrs.get("rounding_mode", b"ROUND"), node, file)
        value = fake_quant(x, scale, zp, lo, hi, rounding)
        signed, narrow = bool(attrs.get("signed", 1)), bool(attrs.get("narrow", 0))
        if scale.size == 1:
            found.constants[node.output[0]] = Quantizer(
                float(np.float32(scale.reshape(-1)[0])), 0.0, bits, signed, narrow, rounding,
            )
        elif x.ndim >= 1 and scale.size == x.shape[0] and scale.reshape(-1).shape[0] == scale.shape[0]:
            channel = tuple(float(v) for v in scale.astype(np.float32).reshape(-1))  # one per output row
            found.constants[node.output[0]] = Quantizer(1.0, 0.0, bits, signed, narrow, rounding, 0, channel)
        g.initializer.append(numpy_helper.from_array(value, node.output[0]))
        inits[node.output[0]] = g.initializer[-1]
        found.weights.append(f"{node_label(node.name, node.op_type)} quantizes '{node.input[0]}' to {bits} bits")
    del g.node[:]
    g.node.extend(keep)


def _fold_dequantize(g: onnx.GraphProto, node: onnx.NodeProto, inits: dict, found: QuantizedModel, file: str) -> bool:
    """QCDQ weights: an integer Clip or a DequantizeLinear of constants becomes the initializer of its
    value (onnxruntime's arithmetic: (q - zero_point) * scale in float32, per tensor or along `axis`)."""
    if node.domain not in ("", "ai.onnx") or node.op_type not in ("Clip", "DequantizeLinear"):
        return False
    args = [_array(inits, n) if n else None for n in node.input]
    if args[0] is None or any(a is None for a, n in zip(args, node.input) if n):
        return False
    label = node_label(node.name, node.op_type)
    if node.op_type == "Clip":
        if args[0].dtype.kind not in "iu":
            return False
        lo = args[1] if len(args) > 1 and args[1] is not None else np.iinfo(args[0].dtype).min
        hi = args[2] if len(args) > 2 and args[2] is not None else np.iinfo(args[0].dtype).max
        value = np.clip(args[0], lo, hi).astype(args[0].dtype)
    else:
        q, scale = args[0], args[1].astype(np.float32)
        zero = args[2] if len(args) > 2 and args[2] is not None else np.zeros_like(scale, dtype=q.dtype)
        if q.dtype.kind not in "iu" or zero.shape != scale.shape or scale.ndim > 1:
            raise ErccError(
                f"dequantizes {q.dtype} values with scale {list(scale.shape)} and zero point {list(zero.shape)};"
                " expected integer values and one scale and zero point per tensor or per channel",
                file=file, node=label,
            )
        if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
            raise ErccError("scales must be positive and finite", file=file, node=label)
        axis = next((a.i for a in node.attribute if a.name == "axis"), 1)
        shape = [1] * q.ndim
        if scale.size > 1:
            axis = axis % q.ndim
            if scale.size != q.shape[axis]:
                raise ErccError(
                    f"{scale.size} scales along axis {axis} of a {list(q.shape)} tensor", file=file, node=label
                )
            shape[axis] = scale.size
        value = ((q.astype(np.float32) - zero.astype(np.float32).reshape(shape)) * scale.reshape(shape)).astype(np.float32)
        found.weights.append(f"{label} dequantizes '{node.input[0]}' ({q.dtype})")
    g.initializer.append(numpy_helper.from_array(np.asarray(value), node.output[0]))
    inits[node.output[0]] = g.initializer[-1]
    return True


# --------------------------------------------------------------------------- #
# Brevitas QuantLSTMCell
# --------------------------------------------------------------------------- #


def _cell_quantizer(node: onnx.NodeProto, attrs: dict, inits: dict, role: str, index: int, file: str) -> Quantizer:
    names = node.input[15 + 3 * index : 18 + 3 * index]
    scale, zp, bw = (_array(inits, n) for n in names)
    label = node_label(node.name, node.op_type)
    if scale is None or zp is None or bw is None:
        raise ErccError(f"quantizer '{role}': scale, zero point and bit width must be constants", file=file, node=label)
    if scale.size != 1 or zp.size != 1:
        raise ErccError(
            f"quantizer '{role}': scale and zero point must be per tensor (one value), got shapes"
            f" {list(scale.shape)} and {list(zp.shape)}", file=file, node=label,
        )
    narrow_key = "output_sigmoid_narrow_range" if role == "output_sigmoid" else f"{role}_narrow"
    q = Quantizer(
        float(np.float32(scale.reshape(-1)[0])), float(zp.reshape(-1)[0]), _bits(bw, node, file, f"quantizer '{role}': "),
        bool(attrs.get(f"{role}_signed", 1)), bool(attrs.get(narrow_key, 0)),
        _rounding(attrs.get(f"{role}_rounding_mode", b"ROUND"), node, file),
    )
    if (problem := q.problem()) is not None:
        raise ErccError(f"quantizer '{role}': {problem}", file=file, node=label)
    return q


def _cell_attributes(node: onnx.NodeProto, file: str) -> dict:
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    known = set(_CELL_FLAGS)
    for role in CELL_QUANTIZERS:
        known |= {f"{role}_signed", f"{role}_rounding_mode"}
        known.add("output_sigmoid_narrow_range" if role == "output_sigmoid" else f"{role}_narrow")
    unknown = sorted(set(attrs) - known)
    label = node_label(node.name, node.op_type)
    if unknown:
        raise ErccError(f"unknown quantizer attribute '{unknown[0]}'", file=file, node=label)
    if attrs.get("cifg", 0):
        raise ErccError("coupled input-forget gates (cifg=1) are not supported", file=file, node=label)
    if len(node.input) != 48:
        raise ErccError(f"expected 48 inputs, got {len(node.input)}", file=file, node=label)
    return attrs


def _cell_to_lstm(
    model: onnx.ModelProto, node: onnx.NodeProto, inits: dict, found: QuantizedModel, file: str, fallback: str
) -> list[onnx.NodeProto]:
    """A QuantLSTMCell → LSTM (+ Squeezes to the cell's output shapes); its quantizers into `found`."""
    attrs = _cell_attributes(node, file)
    label = node_label(node.name, node.op_type)
    arrays = []
    for name in node.input[3:15]:
        a = _array(inits, name)
        if a is None:
            raise ErccError(f"weight or bias '{name}' must be a constant", file=file, node=label)
        arrays.append(a.astype(np.float32))
    wi, wf, wc, wo, ri, rf, rc, ro, bi, bf, bc, bo = arrays
    H = wi.shape[0]
    W = np.concatenate([wi, wo, wf, wc])[None]
    R = np.concatenate([ri, ro, rf, rc])[None]
    B = np.concatenate([bi.reshape(-1), bo.reshape(-1), bf.reshape(-1), bc.reshape(-1), np.zeros(4 * H, np.float32)])[None]
    layout = int(attrs.get("batch_first", 0))
    name = node.name or fallback
    g = model.graph
    inputs = [node.input[0]]
    for suffix, array in (("W", W), ("R", R), ("B", B)):
        g.initializer.append(numpy_helper.from_array(np.ascontiguousarray(array), f"{name}/{suffix}"))
        inputs.append(f"{name}/{suffix}")
    inputs.append("")  # sequence_lens
    for what, index in (("initial_h", 1), ("initial_c", 2)):
        state = _array(inits, node.input[index])
        if state is None:
            raise ErccError(f"{what} must be a constant", file=file, node=label)
        if np.any(state):
            init = state.reshape(1, *state.shape) if layout == 0 else state.reshape(state.shape[0], 1, -1)
            g.initializer.append(numpy_helper.from_array(init.astype(np.float32), f"{name}/{what}"))
            inputs.append(f"{name}/{what}")
        else:
            inputs.append("")
    while inputs[-1] == "":
        inputs.pop()
    found.layers[name] = {
        role: _cell_quantizer(node, attrs, inits, role, i, file) for i, role in enumerate(CELL_QUANTIZERS)
    }
    for role, weight in zip(CELL_WEIGHTS, node.input[3:15]):  # per-tensor weight quantizers: integer-quantizers
        if weight in found.constants:
            found.layers[name][role] = found.constants[weight]
    outs = [f"{name}/Y", f"{name}/Y_h", f"{name}/Y_c"]
    # reverse_input=1 (the right-to-left cell of a bidirectional QuantLSTM) runs the steps from the last
    # and returns its outputs in input order, as an ONNX reverse LSTM does.
    direction = "reverse" if attrs.get("reverse_input", 0) else "forward"
    lstm = helper.make_node("LSTM", inputs, outs, name=name, hidden_size=H, layout=layout, direction=direction)
    # Y [T, 1, B, H] / [B, T, 1, H] → the cell's [T, B, H] / [B, T, H]; states [1, B, H] / [B, 1, H] → [B, H].
    squeezed = [2 if layout else 1, 1 if layout else 0, 1 if layout else 0]
    nodes = [lstm]
    for i, (out, axis) in enumerate(zip(outs, squeezed)):
        if i < len(node.output) and node.output[i]:
            nodes.append(_squeeze(model, out, node.output[i], axis, f"{name}/squeeze_{i}"))
    return nodes


def _squeeze(model: onnx.ModelProto, x: str, y: str, axis: int, name: str) -> onnx.NodeProto:
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
    if opset < 13:
        return helper.make_node("Squeeze", [x], [y], name=name, axes=[axis])
    model.graph.initializer.append(numpy_helper.from_array(np.array([axis], np.int64), f"{name}/axes"))
    return helper.make_node("Squeeze", [x, f"{name}/axes"], [y], name=name)


def _absorb_input_quants(g: onnx.GraphProto, nodes: list[onnx.NodeProto], found: QuantizedModel, file: str) -> None:
    """A data-path Quant whose only consumer is a quantized LSTM's X becomes that layer's `input` quantizer."""
    inits = {t.name: t for t in g.initializer}
    producers = {o: n for n in nodes for o in n.output}
    for node in list(nodes):
        if node.op_type != "LSTM" or node.name not in found.layers:
            continue
        quant = producers.get(node.input[0])
        if quant is None or quant.op_type != "Quant" or quant.domain not in QONNX_DOMAINS:
            continue
        consumers = [n for n in nodes if quant.output[0] in n.input]
        if len(consumers) != 1 or quant.output[0] in {o.name for o in g.output}:
            continue
        attrs = _quant_attrs(quant, file)
        scale, zp, bw = (_array(inits, n) for n in quant.input[1:4])
        label = node_label(quant.name, quant.op_type)
        if scale is None or zp is None or bw is None or scale.size != 1 or zp.size != 1:
            raise ErccError("an input quantizer needs constant per-tensor scale and zero point", file=file, node=label)
        q = Quantizer(
            float(np.float32(scale.reshape(-1)[0])), float(zp.reshape(-1)[0]), _bits(bw, quant, file, ""),
            bool(attrs.get("signed", 1)), bool(attrs.get("narrow", 0)),
            _rounding(attrs.get("rounding_mode", b"ROUND"), quant, file),
        )
        if (problem := q.problem()) is not None:
            raise ErccError(problem, file=file, node=label)
        found.layers[node.name]["input"] = q
        node.input[0] = quant.input[0]
        nodes.remove(quant)


# --------------------------------------------------------------------------- #
# ONNX QuantizeLinear → DequantizeLinear on an LSTM's input and outputs (onnxruntime quantize_static, QDQ)
# --------------------------------------------------------------------------- #

_INTEGER_GRIDS = {np.dtype(np.int8): (8, True), np.dtype(np.uint8): (8, False),
                  np.dtype(np.int16): (16, True), np.dtype(np.uint16): (16, False)}


def _qdq_quantizer(q_node: onnx.NodeProto, dq_node: onnx.NodeProto, inits: dict, file: str) -> Quantizer:
    """The quantizer of a Q → DQ pair: one scale and zero point per tensor, the same on both nodes."""
    label = node_label(q_node.name, q_node.op_type)
    params = []
    for node in (q_node, dq_node):
        scale = _array(inits, node.input[1])
        zero = _array(inits, node.input[2]) if len(node.input) > 2 and node.input[2] else np.zeros((), np.uint8)
        if scale is None or zero is None:
            raise ErccError("scale and zero point must be constants", file=file, node=node_label(node.name, node.op_type))
        params.append((scale, zero))
    (s, z), (s2, z2) = params
    if s.size != 1 or z.size != 1:
        raise ErccError(
            f"activation scale {list(s.shape)} / zero point {list(z.shape)}: only one per tensor is supported",
            file=file, node=label,
        )
    if not (np.array_equal(s, s2) and np.array_equal(z, z2) and z.dtype == z2.dtype):
        raise ErccError(
            f"inconsistent scales: quantizes with scale {float(s.reshape(-1)[0]):.9g}, zero point {int(z.reshape(-1)[0])}"
            f" but '{dq_node.name or dq_node.output[0]}' dequantizes with {float(s2.reshape(-1)[0]):.9g},"
            f" {int(z2.reshape(-1)[0])}",
            file=file, node=label,
        )
    if z.dtype not in _INTEGER_GRIDS:
        raise ErccError(f"quantized type {z.dtype} is not supported (int8, uint8, int16, uint16)", file=file, node=label)
    bits, signed = _INTEGER_GRIDS[z.dtype]
    q = Quantizer(float(np.float32(s.reshape(-1)[0])), 0.0, bits, signed, False, "ROUND", int(z.reshape(-1)[0]))
    if (problem := q.problem()) is not None:
        raise ErccError(problem, file=file, node=label)
    return q


def _absorb_qdq_pairs(g: onnx.GraphProto, nodes: list[onnx.NodeProto], found: QuantizedModel, file: str) -> None:
    """Q → DQ pairs on an LSTM's X (`input`) and on its Y, Y_h, Y_c become that layer's quantizers
    (applied to the layer's input before and to its outputs after the recurrence, as onnxruntime does)."""
    inits = {t.name: t for t in g.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in nodes:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    producers = {o: n for n in nodes for o in n.output}
    graph_outputs = {o.name for o in g.output}
    for k, q_node in enumerate(list(nodes)):
        if q_node.op_type != "QuantizeLinear" or q_node.domain not in ("", "ai.onnx"):
            continue
        label = node_label(q_node.name, q_node.op_type)
        users = consumers.get(q_node.output[0], [])
        if len(users) != 1 or users[0].op_type != "DequantizeLinear" or q_node.output[0] in graph_outputs:
            raise ErccError(
                "a QuantizeLinear must feed exactly one DequantizeLinear (QDQ); integer tensors are not supported",
                file=file, node=label,
            )
        dq_node = users[0]
        quantizer = _qdq_quantizer(q_node, dq_node, inits, file)
        source = producers.get(q_node.input[0])
        targets = consumers.get(dq_node.output[0], [])
        if source is not None and source.op_type == "LSTM" and len(consumers.get(q_node.input[0], [])) == 1:
            lstm, role = source, ("Y", "Y_h", "Y_c")[list(source.output).index(q_node.input[0])]
            lstm.output[list(lstm.output).index(q_node.input[0])] = dq_node.output[0]
        elif targets and all(t.op_type == "LSTM" and t.input[0] == dq_node.output[0] for t in targets) and len(targets) == 1:
            lstm, role = targets[0], "input"
            lstm.input[0] = q_node.input[0]
        else:
            raise ErccError(
                "QuantizeLinear → DequantizeLinear is supported on an LSTM's X, Y, Y_h and Y_c only",
                file=file, node=label,
            )
        if not lstm.name:
            lstm.name = f"lstm_{k}"
        found.layers.setdefault(lstm.name, {})[role] = quantizer
        nodes.remove(q_node)
        nodes.remove(dq_node)


# --------------------------------------------------------------------------- #
# onnxruntime DynamicQuantizeLSTM
# --------------------------------------------------------------------------- #


def _dynamic_to_lstm(
    model: onnx.ModelProto, node: onnx.NodeProto, inits: dict, found: QuantizedModel, file: str
) -> list[onnx.NodeProto]:
    """W [D, I, 4H], R [D, H, 4H] int8 with per-tensor or per-column scales/zero points → float LSTM weights."""
    label = node_label(node.name, node.op_type)
    get = lambda i: _array(inits, node.input[i]) if i < len(node.input) and node.input[i] else None  # noqa: E731
    W, R, ws, wz, rs, rz = get(1), get(2), get(8), get(9), get(10), get(11)
    if any(a is None for a in (W, R, ws, wz, rs, rz)):
        raise ErccError("W, R and their scales and zero points must be constants", file=file, node=label)
    D = W.shape[0]

    def dequantize(q: np.ndarray, scale: np.ndarray, zero: np.ndarray) -> np.ndarray:
        s = scale.astype(np.float32).reshape(D, 1, -1) if scale.size > 1 else scale.astype(np.float32).reshape(1, 1, 1)
        z = zero.astype(np.float32).reshape(s.shape)
        return np.ascontiguousarray(((q.astype(np.float32) - z) * s).transpose(0, 2, 1))

    g = model.graph
    name = node.name or f"dynamic_lstm_{len(found.weights)}"
    inputs = list(node.input[:8])
    for i, (suffix, value) in ((1, ("W", dequantize(W, ws, wz))), (2, ("R", dequantize(R, rs, rz)))):
        g.initializer.append(numpy_helper.from_array(value, f"{name}/{suffix}"))
        inputs[i] = f"{name}/{suffix}"
    while inputs and inputs[-1] == "":
        inputs.pop()
    found.weights.append(f"{label} holds int8 weights")
    attrs = [a for a in node.attribute]
    lstm = helper.make_node("LSTM", inputs, list(node.output), name=name)
    lstm.attribute.extend(attrs)
    return [lstm]


def check_options(found: QuantizedModel, options, file: str, format_options: tuple[str, ...]) -> None:
    """A quantized model keeps its own quantization: options that would change it conflict.

    `format_options` names the CompileOptions fields that choose ercc's own
    fixed-point formats (the driver's list; the frontend sits below it).

    Without `--requantize` the model's quantizers are the kernel's formats whatever
    `--precision` says (`model_options`), so the fixed-point options that choose
    ercc's own formats, set to anything but their defaults, would be ignored:
    they are an error instead, naming `--requantize`.
    """
    if not found.quantized:
        return
    first = (list(found.layers) and f"node '{next(iter(found.layers))}' (QuantLSTMCell)") or found.weights[0]
    if options.max_block_size > 1:
        raise ErccError(
            f"--block-size {options.max_block_size} on a quantized model: block-circulant projection would change"
            f" the weights the model was quantized with ({first}); project the float model first (ercc admm),"
            " then quantize it (docs/quantized-models.md)",
            file=file,
        )
    if options.requantize:
        return
    defaults = type(options)()
    named = [f"--{n.replace('_', '-')}" for n in (*format_options, "calib")
             if getattr(options, n) != getattr(defaults, n)]
    named += [f"layer '{n}': weight_bits" for n, o in options.layers if o.weight_bits is not None]
    if named:
        raise ErccError(
            f"{', '.join(named)} on a quantized model would re-quantize it ({first}); ercc compiles the model's own"
            " quantizers, or pass --requantize to drop them and use ercc's formats",
            file=file,
        )


def model_options(found: QuantizedModel, options):
    """The options a model compiles with: a quantized one (without --requantize) computes its own
    quantizers exactly, in float32 (`fix.quant`), so its datapath is `--precision float`."""
    if found.quantized and not options.requantize and options.precision != "float":
        return dataclasses.replace(options, precision="float")
    return options
