"""Rebuild an ONNX recurrent model as a trainable torch module, and write the trained weights back.

A small interpreter walks the graph's nodes in order on batched torch tensors.
Float initializers feeding LSTM/GRU/RNN (W, R, B) and Gemm/MatMul/Add become
trainable parameters; every other initializer is a constant. Recurrent nodes
follow ONNX semantics (gate orders LSTM i,o,f,c; GRU z,r,h; linear_before_reset;
directions; layouts), so the W and R parameters are exactly the tensors the
compiler later reads, stacked as (directions, gates·hidden, in).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from ercc.errors import ErccError, node_label

Values = list[torch.Tensor | None]

_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
_TRAINABLE_INPUTS = {"LSTM": (1, 2, 3, 7), "GRU": (1, 2, 3), "RNN": (1, 2, 3),
                     "Gemm": (0, 1, 2), "MatMul": (0, 1), "Add": (0, 1)}
_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "Relu": torch.relu}
_DEFAULT_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}


def _attrs(node: onnx.NodeProto) -> dict:
    """Node attributes as Python values (strings decoded, tensors as numpy)."""
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode() for s in v]
        elif isinstance(v, onnx.TensorProto):
            v = numpy_helper.to_array(v)
        out[a.name] = v
    return out


def _ints(t: torch.Tensor | None) -> list[int] | None:
    return None if t is None else [int(v) for v in t.reshape(-1).tolist()]


# --------------------------------------------------------------------------- glue ops


def _gather(x, idx, axis=0):
    """ONNX Gather: any index shape, negative indices count from the end."""
    axis = axis % x.dim()
    flat = idx.reshape(-1) % x.shape[axis]
    out = torch.index_select(x, axis, flat)
    return out.reshape((*x.shape[:axis], *idx.shape, *x.shape[axis + 1:]))


def _unsqueeze(x, axes):
    """ONNX Unsqueeze: axes refer to the output rank, so insert them in ascending order."""
    rank = x.dim() + len(axes)
    for a in sorted(a % rank for a in axes):
        x = x.unsqueeze(a)
    return x


def _squeeze(x, axes):
    """ONNX Squeeze: no axes means every size-1 axis; drop from the back so indices stay valid."""
    if axes is None:
        return x.squeeze()
    for a in sorted((a % x.dim() for a in axes), reverse=True):
        x = x.squeeze(a)
    return x


def _slice_axis(x, axis, start, end, step):
    """One axis of ONNX Slice: clamp as the spec says, negative steps by index_select."""
    dim = x.shape[axis]
    start = start + dim if start < 0 else start
    end = end + dim if end < 0 else end
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
    else:
        start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    idx = torch.arange(start, end, step, device=x.device)
    return torch.index_select(x, axis, idx)


def _slice(x, starts, ends, axes=None, steps=None):
    axes = axes if axes is not None else list(range(len(starts)))
    steps = steps if steps is not None else [1] * len(starts)
    for s, e, a, st in zip(starts, ends, axes, steps):
        x = _slice_axis(x, a % x.dim(), s, e, st)
    return x


def _reshape(x, shape, allowzero=0):
    """ONNX Reshape: a 0 copies the input's dimension unless allowzero."""
    shape = [x.shape[i] if (s == 0 and not allowzero) else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _softmax(fn, opset):
    """Softmax/LogSoftmax: since opset 13 along one axis, before that over the flattened tail."""
    def run(x, axis=None):
        if opset >= 13:
            return fn(x, dim=-1 if axis is None else axis)
        axis = (1 if axis is None else axis) % x.dim()
        return fn(x.flatten(axis), dim=-1).reshape(x.shape)
    return run


def _gemm(a, b, c=None, alpha=1.0, beta=1.0, transA=0, transB=0):
    a = a.T if transA else a
    b = b.T if transB else b
    y = alpha * (a @ b)
    return y if c is None else y + beta * c


def _div(a, b):
    """ONNX Div truncates integers (shape arithmetic), divides floats."""
    if a.is_floating_point():
        return a / b
    return torch.div(a, b, rounding_mode="trunc")


def _constant(attrs):
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in attrs:
            return torch.as_tensor(np.array(attrs[key]))
    raise ValueError(f"unsupported Constant attributes {sorted(attrs)}")


def _constant_of_shape(shape, value):
    value = torch.from_numpy(np.zeros(1, np.float32) if value is None else np.array(value).reshape(1))
    return value.expand(shape).clone()


def _reduce_mean(x, axes=None, keepdims=1):
    dims = list(range(x.dim())) if not axes else [a % x.dim() for a in axes]
    return x.mean(dim=dims, keepdim=bool(keepdims))


_ONNX_TO_TORCH_DTYPE = {onnx.TensorProto.FLOAT: torch.float32, onnx.TensorProto.DOUBLE: torch.float64,
                        onnx.TensorProto.INT64: torch.int64, onnx.TensorProto.INT32: torch.int32,
                        onnx.TensorProto.BOOL: torch.bool}


def _glue_ops(opset: int) -> dict[str, Callable]:
    """op_type -> f(inputs, attrs) -> outputs, for every non-recurrent op the interpreter knows."""
    one = lambda f: (lambda xs, at: [f(*xs, **at)])  # noqa: E731
    return {
        "Identity": one(lambda x: x),
        "Relu": one(torch.relu),
        "Sigmoid": one(torch.sigmoid),
        "Tanh": one(torch.tanh),
        "Softmax": one(_softmax(torch.softmax, opset)),
        "LogSoftmax": one(_softmax(torch.log_softmax, opset)),
        "Shape": lambda xs, at: [torch.tensor(xs[0].shape, dtype=torch.int64)[at.get("start", 0):at.get("end")]],
        "Gather": lambda xs, at: [_gather(xs[0], xs[1], at.get("axis", 0))],
        "Unsqueeze": lambda xs, at: [_unsqueeze(xs[0], at.get("axes") or _ints(xs[1]))],
        "Squeeze": lambda xs, at: [_squeeze(xs[0], at.get("axes") or _ints(xs[1] if len(xs) > 1 else None))],
        "Concat": lambda xs, at: [torch.cat([x for x in xs if x is not None], dim=at["axis"])],
        "ConstantOfShape": lambda xs, at: [_constant_of_shape(_ints(xs[0]), at.get("value"))],
        "Expand": lambda xs, at: [xs[0].expand(torch.broadcast_shapes(xs[0].shape, tuple(_ints(xs[1]))))],
        "Slice": lambda xs, at: [_slice(xs[0], *[_ints(x) for x in xs[1:]])],
        "Transpose": lambda xs, at: [xs[0].permute(at.get("perm", list(range(xs[0].dim()))[::-1]))],
        "Reshape": lambda xs, at: [_reshape(xs[0], _ints(xs[1]), at.get("allowzero", 0))],
        "Flatten": lambda xs, at: [xs[0].reshape(math.prod(xs[0].shape[:at.get("axis", 1)]), -1)],
        "Constant": lambda xs, at: [_constant(at)],
        "Cast": lambda xs, at: [xs[0].to(_ONNX_TO_TORCH_DTYPE[at["to"]])],
        "Gemm": one(_gemm),
        "MatMul": one(torch.matmul),
        "Add": one(torch.add),
        "Sub": one(torch.sub),
        "Mul": one(torch.mul),
        "Div": one(_div),
        "ReduceMean": lambda xs, at: [_reduce_mean(xs[0], at.get("axes") or _ints(xs[1] if len(xs) > 1 else None),
                                                   at.get("keepdims", 1))],
    }


# --------------------------------------------------------------------------- recurrent ops


def _cell(op: str, acts: list[Callable], at: dict, peep: torch.Tensor | None):
    """One time step of an ONNX recurrent cell: (x_proj, state, R, Rb) -> new state.

    ``clip`` bounds every gate pre-activation to [-clip, clip] before its
    activation; ``peep`` is the LSTM peephole vector P (i, o, f) of this
    direction; ``input_forget`` couples the LSTM forget gate to 1 - input gate.
    """
    lbr, clip, coupled = at.get("linear_before_reset", 0), at.get("clip"), at.get("input_forget", 0)
    f, g = acts[0], acts[1] if len(acts) > 1 else None
    bound = (lambda v: v.clamp(-clip, clip)) if clip is not None else (lambda v: v)  # noqa: E731
    p_i, p_o, p_f = peep.chunk(3) if peep is not None else (0, 0, 0)

    def lstm(xw, state, r, rb):
        h, c_prev = state
        i_, o_, f_, c_ = (xw + h @ r.T + rb).chunk(4, dim=-1)
        i = f(bound(i_ + p_i * c_prev))
        c = (1 - i if coupled else f(bound(f_ + p_f * c_prev))) * c_prev + i * g(bound(c_))
        return acts[2](c) * f(bound(o_ + p_o * c)), c

    def gru(xw, state, r, rb):
        (h,) = state
        xz, xr, xh = xw.chunk(3, dim=-1)
        rz, rr, rh = r.chunk(3, dim=0)
        bz, br, bh = rb.chunk(3, dim=-1)
        z = f(bound(xz + h @ rz.T + bz))
        rt = f(bound(xr + h @ rr.T + br))
        ht = g(bound(xh + rt * (h @ rh.T + bh) if lbr else xh + (rt * h) @ rh.T + bh))
        return ((1 - z) * ht + z * h,)

    def rnn(xw, state, r, rb):
        return (f(bound(xw + state[0] @ r.T + rb)),)

    return {"LSTM": lstm, "GRU": gru, "RNN": rnn}[op]


def _recurrent(op: str, xs: Values, at: dict) -> Values:
    """An ONNX LSTM/GRU/RNN node on batched tensors (outputs Y, Y_h[, Y_c]).

    With sequence_lens, steps at or past a sequence's length leave its state
    unchanged and output zeros, so Y_h is the state after the last valid step
    and the reverse direction starts at length - 1 (as onnxruntime does).
    """
    x, w, r = xs[0], xs[1], xs[2]
    get = lambda i: xs[i] if len(xs) > i else None  # noqa: E731
    hidden, layout = at["hidden_size"], at.get("layout", 0)
    if layout:
        x = x.transpose(0, 1)
    dirs, gates_h = w.shape[0], w.shape[1]
    seq, batch = x.shape[0], x.shape[1]
    b = get(3) if get(3) is not None else torch.zeros(dirs, 2 * gates_h, dtype=x.dtype)
    lens = get(4)
    valid = None if lens is None else (torch.arange(seq)[:, None] < lens.reshape(1, -1).long())[..., None]
    peep = get(7) if op == "LSTM" else None
    n_state = 2 if op == "LSTM" else 1
    init = [get(5), get(6)][:n_state]
    init = [s.transpose(0, 1) if (s is not None and layout) else s for s in init]
    names = at.get("activations") or _DEFAULT_ACTIVATIONS[op] * dirs
    per_dir = len(names) // dirs
    ys, finals = [], []
    for d in range(dirs):
        acts = [_ACTIVATIONS[n] for n in names[d * per_dir:(d + 1) * per_dir]]
        step = _cell(op, acts, at, None if peep is None else peep[d])
        xw = x @ w[d].T + b[d, :gates_h]
        state = tuple(s[d] if s is not None else x.new_zeros(batch, hidden) for s in init)
        reverse = at.get("direction", "forward") == "reverse" or d == 1
        out = [None] * seq
        for t in (range(seq - 1, -1, -1) if reverse else range(seq)):
            new = step(xw[t], state, r[d], b[d, gates_h:])
            if valid is not None:
                new = tuple(torch.where(valid[t], n, s) for n, s in zip(new, state))
            state = new
            out[t] = state[0] if valid is None else torch.where(valid[t], state[0], torch.zeros_like(state[0]))
        ys.append(torch.stack(out) if seq else x.new_zeros(0, batch, hidden))
        finals.append(state)
    y = torch.stack(ys, dim=1)  # (T, D, B, H)
    states = [torch.stack([f[i] for f in finals]) for i in range(n_state)]  # (D, B, H)
    if layout:
        y, states = y.permute(2, 0, 1, 3), [s.transpose(0, 1) for s in states]
    return [y, *states]


def _check_recurrent(node: onnx.NodeProto, at: dict) -> None:
    """Reject recurrent features the interpreter does not model."""
    where = node_label(node.name, node.op_type)
    if at.get("clip") is not None and not at["clip"] > 0:
        raise ErccError(f"'clip' must be positive, got {at['clip']}", node=where)
    for name in at.get("activations", []):
        if name not in _ACTIVATIONS:
            raise ErccError(f"activation '{name}' is not supported by ercc admm", node=where)
    if "hidden_size" not in at:
        raise ErccError("missing attribute 'hidden_size'", node=where)


# --------------------------------------------------------------------------- the module


class _Initializers(nn.Module):
    """Holds the trainable initializers; lists W and R for the circulant constraint."""

    def __init__(self):
        super().__init__()
        self.gates: dict[str, int] = {}
        self.roles: dict[str, str] = {}  # "w" (ONNX input W) or "r" (R)

    def circulant_weights(self) -> list[tuple[str, int, str]]:
        return [(key, gates, self.roles[key]) for key, gates in self.gates.items()]


class OnnxModule(nn.Module):
    """A torch module computing an ONNX graph, with the recurrent weights and heads trainable."""

    def __init__(self, model: onnx.ModelProto):
        super().__init__()
        graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        self.nodes = list(graph.node)
        self.ops = _glue_ops(self.opset)
        self.attrs = [self._checked_attrs(n) for n in self.nodes]
        arrays = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        trainable = self._trainable_names(arrays)
        self.weights = _Initializers()
        self.keys: dict[str, str] = {}  # ONNX initializer name -> attribute name
        for i, (name, arr) in enumerate(arrays.items()):
            key = f"t{i}"
            self.keys[name] = key
            tensor = torch.from_numpy(np.array(arr))
            if name in trainable:
                setattr(self.weights, key, nn.Parameter(tensor.float()))
            else:
                self.weights.register_buffer(key, tensor)
        self.matrices: dict[str, tuple[str, str]] = {}  # node name -> (W key, R key)
        for node in self.nodes:
            if node.op_type in _GATES:
                for name, role in zip(node.input[1:3], ("w", "r")):
                    self.weights.gates[self.keys[name]] = _GATES[node.op_type]
                    self.weights.roles[self.keys[name]] = role
                self.matrices[node.name] = (self.keys[node.input[1]], self.keys[node.input[2]])
        self.input_names = [i.name for i in graph.input if i.name not in arrays]
        self.output_names = [o.name for o in graph.output]
        if not self.weights.gates:
            raise ErccError("the model has no LSTM, GRU or RNN node with W and R initializers")

    def _checked_attrs(self, node: onnx.NodeProto) -> dict:
        if node.domain not in ("", "ai.onnx") or (node.op_type not in self.ops and node.op_type not in _GATES):
            raise ErccError("op is not supported by ercc admm", node=node_label(node.name, node.op_type))
        at = _attrs(node)
        if node.op_type == "Cast" and at.get("to") not in _ONNX_TO_TORCH_DTYPE:
            raise ErccError("Cast to this type is not supported by ercc admm", node=node_label(node.name, node.op_type))
        if node.op_type in _GATES:
            _check_recurrent(node, at)
        return at

    def _trainable_names(self, arrays: dict[str, np.ndarray]) -> set[str]:
        """Float initializers in weight positions of recurrent, Gemm, MatMul and Add nodes."""
        names = set()
        for node in self.nodes:
            for i in _TRAINABLE_INPUTS.get(node.op_type, ()):
                name = node.input[i] if i < len(node.input) else ""
                if name in arrays and arrays[name].dtype.kind == "f":
                    names.add(name)
        for node in self.nodes:
            if node.op_type in _GATES:
                for name in node.input[1:3]:
                    if name not in arrays:
                        raise ErccError(f"W/R input '{name}' is not an initializer",
                                        node=node_label(node.name, node.op_type))
        return names

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        env: dict[str, torch.Tensor] = dict(zip(self.input_names, inputs))
        for node, at in zip(self.nodes, self.attrs):
            xs = [self._value(env, n) for n in node.input]
            if node.op_type in _GATES:
                outs = _recurrent(node.op_type, xs, at)
            else:
                outs = self.ops[node.op_type](xs, at)
            env.update((n, o) for n, o in zip(node.output, outs) if n)
        return tuple(env[n] if n in env else self._value(env, n) for n in self.output_names)

    def _value(self, env: dict, name: str) -> torch.Tensor | None:
        if not name:
            return None
        if name in env:
            return env[name]
        return getattr(self.weights, self.keys[name])

    def block_sizes(self, default: int, layers: dict[str, tuple[int | None, int | None]]) -> dict[str, int]:
        """The training block size of every W and R, by parameter name (``weights.tN``).

        ``layers`` maps a recurrent node's name to its (K of W, K of R); None
        there (or a node it does not name) takes ``default``, as the compiler's
        ``layers:`` options do.
        """
        unknown = sorted(set(layers) - set(self.matrices))
        if unknown:
            known = ", ".join(f"'{n}'" for n in self.matrices if n) or "none with a name"
            raise ErccError(f"layers: no recurrent node named '{unknown[0]}' (the recurrent nodes: {known})")
        out = {}
        for node, keys in self.matrices.items():
            for key, k in zip(keys, layers.get(node, (None, None))):
                out[f"weights.{key}"] = default if k is None else k
        return out

    def trained_initializers(self) -> dict[str, np.ndarray]:
        """Trainable initializers' current values, by ONNX name, in their original dtypes."""
        params = {key for key, _ in self.weights.named_parameters(recurse=False)}
        return {name: getattr(self.weights, key).detach().cpu().numpy()
                for name, key in self.keys.items() if key in params}

    def final_op(self, output: int = 0) -> str | None:
        """op_type of the node producing a graph output (to pick a matching loss)."""
        name = self.output_names[output]
        return next((n.op_type for n in reversed(self.nodes) if name in n.output), None)


def write_back(model: onnx.ModelProto, values: dict[str, np.ndarray]) -> onnx.ModelProto:
    """A copy of ``model`` with the named initializers replaced; IR version capped for onnxruntime."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    for init in out.graph.initializer:
        if init.name in values:
            dtype = numpy_helper.to_array(init).dtype
            init.CopyFrom(numpy_helper.from_array(values[init.name].astype(dtype), init.name))
    out.ir_version = min(out.ir_version, 13)
    return out
