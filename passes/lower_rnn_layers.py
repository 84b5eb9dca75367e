"""lower-rnn-layers: recurrent layers → one `rnn.scan` per direction with explicit gate matvecs.

Each gate gets its own input matvec (W_g x_t) and recurrent matvec (R_g h),
so later passes can compress, decompose and schedule every gate matrix on its
own. The two ONNX bias vectors of a gate are summed at compile time.
An LSTM tagged with a quantization-aware model's quantizers (`ercc.quantizers`,
frontends/quantized.py) gets Brevitas's QuantLSTM cell, with `fix.quant` ops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.dead_code_elimination import dce
from xdsl.utils.exceptions import DiagnosticException

from ercc.dialects import rnn
from ercc.dialects.constants import constant_value, dense_constant
from ercc.dialects.fix import WEIGHT_QUANTIZER, QuantOp, quantizers_of
from ercc.numerics.quantizer import Quantizer


class _Emitter:
    """Appends ops to a list and returns their first result: keeps the cell code linear."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []

    def __call__(self, op: Operation) -> SSAValue:
        self.ops.append(op)
        return op.results[0] if op.results else None

    def const(self, array: np.ndarray) -> SSAValue:
        return self(dense_constant(array))


def _weights(op: Operation, operand: SSAValue | None, name: str) -> np.ndarray | None:
    if operand is None:
        return None
    value = constant_value(operand)
    if value is None:
        raise DiagnosticException(f"{op.name}: {name} must be a constant to be lowered")
    return np.asarray(value, dtype=np.float32)


@dataclass
class _Direction:
    """The weights of one direction of a recurrent layer, split by gate."""

    W: list[SSAValue]  # per gate [H, I]
    R: list[SSAValue]  # per gate [H, H]
    bias: list[SSAValue | None]  # per gate [H], W and R biases summed
    acts: Sequence[rnn.ActivationAttr]


def _split_direction(
    e: _Emitter, W: np.ndarray, R: np.ndarray, B: np.ndarray | None, gates: int, acts
) -> _Direction:
    H = R.shape[1]
    bias: list[SSAValue | None] = [None] * gates
    if B is not None and np.any(B):
        summed = B[: gates * H] + B[gates * H :]
        bias = [e.const(summed[g * H : (g + 1) * H]) for g in range(gates)]
    return _Direction(
        W=[e.const(W[g * H : (g + 1) * H]) for g in range(gates)],
        R=[e.const(R[g * H : (g + 1) * H]) for g in range(gates)],
        bias=bias,
        acts=acts,
    )


def _state(e: _Emitter, init: SSAValue | None, d: int, H: int) -> SSAValue:
    """The [H] initial state of direction d, from an optional [D, 1, H] operand."""
    if init is None:
        return e.const(np.zeros(H, dtype=np.float32))
    row = e(rnn.SliceOp(init, [d, 0, 0], [1, 1, H], [1, 1, 1]))
    return e(rnn.ReshapeOp(row, [H]))


def _preactivation(
    b: _Emitter, d: _Direction, g: int, x: SSAValue, h: SSAValue
) -> SSAValue:
    """W_g x + R_g h + bias_g."""
    acc = b(rnn.AddOp(b(rnn.MatVecOp(d.W[g], x)), b(rnn.MatVecOp(d.R[g], h))))
    if d.bias[g] is not None:
        acc = b(rnn.AddOp(acc, d.bias[g]))
    return acc


def _lstm_cell(
    op: rnn.LSTMOp, d: _Direction, peep: list[SSAValue] | None
) -> Callable[[Block], list[Operation]]:
    """Builds the body of one LSTM time step (ONNX gate order i, o, f, c)."""
    clip = op.clip.value.data if op.clip is not None else None
    f_act, g_act, h_act = d.acts

    def build(block: Block) -> list[Operation]:
        x, h, c = block.args
        b = _Emitter()

        def gate(g: int, cell: SSAValue | None = None) -> SSAValue:
            a = _preactivation(b, d, g, x, h)
            if peep is not None and cell is not None:
                a = b(rnn.AddOp(a, b(rnn.MulOp(peep[g], cell))))
            if clip is not None:
                a = b(rnn.ClampOp(a, clip))
            return a

        i = b(rnn.ActivationOp(f_act, gate(0, c)))
        if op.input_forget is not None:
            one = b.const(np.ones(h.type.get_shape(), dtype=np.float32))
            f = b(rnn.SubOp(one, i))
        else:
            f = b(rnn.ActivationOp(f_act, gate(2, c)))
        cand = b(rnn.ActivationOp(g_act, gate(3)))
        c_new = b(rnn.AddOp(b(rnn.MulOp(f, c)), b(rnn.MulOp(i, cand))))
        o = b(rnn.ActivationOp(f_act, gate(1, c_new)))
        h_new = b(rnn.MulOp(o, b(rnn.ActivationOp(h_act, c_new))))
        b(rnn.YieldOp(h_new, c_new))
        return b.ops

    return build


def _tag_weights(d: _Direction, qs: dict[str, Quantizer]) -> None:
    """Each gate's weight and bias constants carry the quantizer whose grid they lie on
    (`ercc.quantizer`, roles W_i, R_i, B_i, ...: integer-quantizers reads them)."""
    for g, gate in enumerate("iofc"):  # ONNX gate order
        for m, values in (("W", d.W), ("R", d.R), ("B", d.bias)):
            role = f"{m}_{gate}"
            if role in qs and values[g] is not None:
                values[g].owner.attributes[WEIGHT_QUANTIZER] = QuantOp.properties_of(qs[role])


# Quantizers on a layer's edges (ONNX Q/DQ around an LSTM): its input, and its outputs after the recurrence.
_EDGE_QUANTIZERS = ("input", "Y", "Y_h", "Y_c")


def _quant_lstm_cell(d: _Direction, qs: dict[str, Quantizer]) -> Callable[[Block], list[Operation]]:
    """One step of Brevitas's QuantLSTM (`_QuantLSTMCell.forward_iter`, ONNX gate order i, o, f, c):
    every gate's accumulator, activation, the cell state's products and sum, and the output
    go through the model's quantizers, in Brevitas's order of operations."""
    sigmoid, tanh = rnn.ActivationAttr(rnn.ActivationKind.SIGMOID), rnn.ActivationAttr(rnn.ActivationKind.TANH)

    def build(block: Block) -> list[Operation]:
        x, h, c = block.args
        b = _Emitter()

        def q(role: str, v: SSAValue) -> SSAValue:
            return b(QuantOp(v, qs[role])) if role in qs else v

        def gate(g: int, acc: str, fn: rnn.ActivationAttr, act: str) -> SSAValue:
            return q(act, b(rnn.ActivationOp(fn, q(acc, _preactivation(b, d, g, x, h)))))

        i = gate(0, "input_acc", sigmoid, "input_sigmoid")
        f = gate(2, "forget_acc", sigmoid, "forget_sigmoid")
        g = gate(3, "cell_acc", tanh, "cell_tanh")
        o = gate(1, "output_acc", sigmoid, "output_sigmoid")
        fc = q("cell_state", b(rnn.MulOp(f, c)))
        ic = q("cell_state", b(rnn.MulOp(i, g)))
        c_new = q("cell_state", b(rnn.AddOp(fc, ic)))
        h_new = q("output", b(rnn.MulOp(o, q("hidden_state_tanh", b(rnn.ActivationOp(tanh, c_new))))))
        b(rnn.YieldOp(h_new, c_new))
        return b.ops

    return build


def _scan(
    xs: SSAValue,
    init: list[SSAValue],
    reverse: bool,
    build: Callable[[Block], list[Operation]],
    lengths: SSAValue | None = None,
) -> rnn.ScanOp:
    step = xs.type.get_shape()[1:]
    block = Block(arg_types=[rnn.TensorType(xs.type.get_element_type(), step), *(v.type for v in init)])
    block.add_ops(build(block))
    return rnn.ScanOp(xs, init, Region(block), reverse=reverse, lengths=lengths)


def _keep_layer_name(layer: Operation, scan: rnn.ScanOp) -> None:
    """The ONNX node name (`ercc.layer`) and per-layer options (`ercc.weight_bits`) go on each direction's scan."""
    for key in ("ercc.layer", "ercc.weight_bits"):
        if key in layer.attributes:
            scan.attributes[key] = layer.attributes[key]


def _stack(e: _Emitter, values: list[SSAValue], shape: list[int], axis: int) -> SSAValue:
    """Reshape each per-direction value to `shape` and concatenate along `axis`."""
    parts = [e(rnn.ReshapeOp(v, shape)) for v in values]
    return parts[0] if len(parts) == 1 else e(rnn.ConcatOp(parts, axis))


class LowerLSTM(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rnn.LSTMOp, rewriter: PatternRewriter) -> None:
        W = _weights(op, op.W, "W")
        R = _weights(op, op.R, "R")
        B = _weights(op, op.B, "B")
        P = _weights(op, op.P, "P")
        H = op.hidden_size.value.data
        T, _, I = rnn.shape_of(op.X)
        direction = rnn.Direction(op.direction.data)
        D = op.num_directions
        e = _Emitter()
        xs = e(rnn.ReshapeOp(op.X, [T, I]))
        quantizers = quantizers_of(op.attributes.get("ercc.quantizers"))
        if quantizers is not None and "input" in quantizers:
            xs = e(QuantOp(xs, quantizers["input"]))
        ys, hs, cs = [], [], []
        for d in range(D):
            reverse = direction == rnn.Direction.REVERSE or d == 1
            acts = list(op.activations.data[3 * d : 3 * d + 3])
            weights = _split_direction(e, W[d], R[d], None if B is None else B[d], 4, acts)
            peep = None
            if P is not None and np.any(P[d]):
                pi, po, pf = np.split(P[d], 3)
                peep = [e.const(pi), e.const(po), e.const(pf)]
            init = [_state(e, op.initial_h, d, H), _state(e, op.initial_c, d, H)]
            brevitas = quantizers is not None and bool(set(quantizers) - set(_EDGE_QUANTIZERS))
            if brevitas:
                _tag_weights(weights, quantizers)
            cell = _quant_lstm_cell(weights, quantizers) if brevitas else _lstm_cell(op, weights, peep)
            scan = _scan(xs, init, reverse, cell, op.lengths)
            _keep_layer_name(op, scan)
            e.ops.append(scan)
            ys.append(scan.ys)
            hs.append(scan.finals[0])
            cs.append(scan.finals[1])
        Y = _stack(e, ys, [T, 1, 1, H], 1)
        Y_h = _stack(e, hs, [1, 1, H], 0)
        Y_c = _stack(e, cs, [1, 1, H], 0)
        results = [Y, Y_h, Y_c]
        for i, role in enumerate(_EDGE_QUANTIZERS[1:]):
            if quantizers is not None and role in quantizers:
                results[i] = e(QuantOp(results[i], quantizers[role]))
        rewriter.replace(op, e.ops, results)


def _gru_cell(
    op: rnn.GRUOp, d: _Direction, rb_h: SSAValue | None
) -> Callable[[Block], list[Operation]]:
    """Builds the body of one GRU time step (ONNX gate order z, r, h).

    Without linear_before_reset the candidate is g(W_h x + R_h (r * h) + b_h);
    with it, g(W_h x + r * (R_h h + Rb_h) + Wb_h): the recurrent bias `rb_h`
    stays inside the reset product, and `d.bias[2]` holds Wb_h alone.
    """
    clip = op.clip.value.data if op.clip is not None else None
    f_act, g_act = d.acts
    linear = op.linear_before_reset is not None

    def build(block: Block) -> list[Operation]:
        x, h = block.args
        b = _Emitter()

        def clipped(a: SSAValue) -> SSAValue:
            return b(rnn.ClampOp(a, clip)) if clip is not None else a

        z = b(rnn.ActivationOp(f_act, clipped(_preactivation(b, d, 0, x, h))))
        r = b(rnn.ActivationOp(f_act, clipped(_preactivation(b, d, 1, x, h))))
        wx = b(rnn.MatVecOp(d.W[2], x))
        if linear:
            rh = b(rnn.MatVecOp(d.R[2], h))
            if rb_h is not None:
                rh = b(rnn.AddOp(rh, rb_h))
            rh = b(rnn.MulOp(r, rh))
        else:
            rh = b(rnn.MatVecOp(d.R[2], b(rnn.MulOp(r, h))))
        a = b(rnn.AddOp(wx, rh))
        if d.bias[2] is not None:
            a = b(rnn.AddOp(a, d.bias[2]))
        cand = b(rnn.ActivationOp(g_act, clipped(a)))
        one = b.const(np.ones(h.type.get_shape(), dtype=np.float32))
        keep = b(rnn.MulOp(b(rnn.SubOp(one, z)), cand))
        h_new = b(rnn.AddOp(keep, b(rnn.MulOp(z, h))))
        b(rnn.YieldOp(h_new))
        return b.ops

    return build


def _rnn_cell(op: rnn.RNNOp, d: _Direction) -> Callable[[Block], list[Operation]]:
    """Builds the body of one Elman RNN time step: h' = f(W x + R h + b)."""
    clip = op.clip.value.data if op.clip is not None else None
    (f_act,) = d.acts

    def build(block: Block) -> list[Operation]:
        x, h = block.args
        b = _Emitter()
        a = _preactivation(b, d, 0, x, h)
        if clip is not None:
            a = b(rnn.ClampOp(a, clip))
        b(rnn.YieldOp(b(rnn.ActivationOp(f_act, a))))
        return b.ops

    return build


def _lower_single_state(
    op: rnn.GRUOp | rnn.RNNOp,
    rewriter: PatternRewriter,
    acts_per_direction: int,
    cell: Callable[[_Emitter, _Direction, np.ndarray | None], Callable[[Block], list[Operation]]],
) -> None:
    """Shared driver of the GRU and RNN lowerings: one state h, results Y and Y_h."""
    W = _weights(op, op.W, "W")
    R = _weights(op, op.R, "R")
    B = _weights(op, op.B, "B")
    H = op.hidden_size.value.data
    T, _, I = rnn.shape_of(op.X)
    direction = rnn.Direction(op.direction.data)
    e = _Emitter()
    xs = e(rnn.ReshapeOp(op.X, [T, I]))
    ys, hs = [], []
    for d in range(op.num_directions):
        reverse = direction == rnn.Direction.REVERSE or d == 1
        n = acts_per_direction
        acts = list(op.activations.data[n * d : n * d + n])
        Bd = None if B is None else B[d]
        weights = _split_direction(e, W[d], R[d], Bd, op.GATES, acts)
        init = [_state(e, op.initial_h, d, H)]
        scan = _scan(xs, init, reverse, cell(e, weights, Bd), op.lengths)
        _keep_layer_name(op, scan)
        e.ops.append(scan)
        ys.append(scan.ys)
        hs.append(scan.finals[0])
    Y = _stack(e, ys, [T, 1, 1, H], 1)
    Y_h = _stack(e, hs, [1, 1, H], 0)
    rewriter.replace(op, e.ops, [Y, Y_h])


class LowerGRU(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rnn.GRUOp, rewriter: PatternRewriter) -> None:
        H = op.hidden_size.value.data

        def cell(e: _Emitter, d: _Direction, B: np.ndarray | None):
            rb_h = None
            if op.linear_before_reset is not None:
                # Rb_h goes inside r * (R_h h + Rb_h); only Wb_h is added outside.
                wb_h = None if B is None else B[2 * H : 3 * H]
                rb_h_arr = None if B is None else B[5 * H : 6 * H]
                d.bias[2] = e.const(wb_h) if wb_h is not None and np.any(wb_h) else None
                rb_h = e.const(rb_h_arr) if rb_h_arr is not None and np.any(rb_h_arr) else None
            return _gru_cell(op, d, rb_h)

        _lower_single_state(op, rewriter, 2, cell)


class LowerRNN(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: rnn.RNNOp, rewriter: PatternRewriter) -> None:
        _lower_single_state(op, rewriter, 1, lambda e, d, B: _rnn_cell(op, d))


@dataclass(frozen=True)
class LowerRNNLayers(ModulePass):
    """Lowers every recurrent layer to per-direction scans of per-timestep cells."""

    name = "lower-rnn-layers"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([LowerLSTM(), LowerGRU(), LowerRNN()]),
            apply_recursively=False,
        ).rewrite_module(op)
        dce(op)  # the layer's stacked weight constants are now unused
