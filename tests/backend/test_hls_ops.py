"""Each op kind: hand-written IR → emit → C simulation, against numpy's semantics."""

from __future__ import annotations

import numpy as np
import pytest
from hls_helpers import TOLERANCE, dense, tensor

from ercc.dialects.rnn import ACTIVATION_DEFAULTS, ActivationKind

N = 3  # sequences per run


def kernel(args: list[tuple[int, ...]], results: list[tuple[int, ...]], body: str) -> str:
    """A one-function module; `body` names its arguments %a0, %a1, ... and ends in func.return."""
    params = ", ".join(f"%a{i}: {tensor(s)}" for i, s in enumerate(args))
    outs = ", ".join(tensor(s) for s in results)
    return f"func.func @k({params}) -> ({outs}) {{\n{body}\n}}"


def check(run_ir, text: str, inputs: list[np.ndarray], expected: list[np.ndarray]) -> None:
    outputs = run_ir(text, inputs)
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=TOLERANCE, rtol=TOLERANCE)


@pytest.mark.parametrize("op,fn", [("add", np.add), ("sub", np.subtract), ("mul", np.multiply)])
@pytest.mark.parametrize("a,b", [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (2, 1)), ((1,), (2, 2))])
def test_binary_broadcast(run_ir, rng, op, fn, a, b):
    out = np.broadcast_shapes(a, b)
    text = kernel(
        [a, b],
        [out],
        f"  %y = rnn.{op} %a0, %a1 : ({tensor(a)}, {tensor(b)}) -> {tensor(out)}\n"
        f"  func.return %y : {tensor(out)}",
    )
    x, y = rng.normal(size=(N, *a)), rng.normal(size=(N, *b))
    want = np.stack([fn(x[i], y[i]) for i in range(N)])
    check(run_ir, text, [x, y], [want])


def _activation_reference(kind: ActivationKind, x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """ONNX's definitions, written independently of the emitter."""
    return {
        ActivationKind.SIGMOID: lambda: 1 / (1 + np.exp(-x)),
        ActivationKind.TANH: lambda: np.tanh(x),
        ActivationKind.RELU: lambda: np.maximum(x, 0),
        ActivationKind.HARD_SIGMOID: lambda: np.clip(alpha * x + beta, 0, 1),
        ActivationKind.LEAKY_RELU: lambda: np.where(x >= 0, x, alpha * x),
        ActivationKind.THRESHOLDED_RELU: lambda: np.where(x > alpha, x, 0),
        ActivationKind.SCALED_TANH: lambda: alpha * np.tanh(beta * x),
        ActivationKind.AFFINE: lambda: alpha * x + beta,
        ActivationKind.ELU: lambda: np.where(x >= 0, x, alpha * (np.exp(x) - 1)),
        ActivationKind.SOFTSIGN: lambda: x / (1 + np.abs(x)),
        ActivationKind.SOFTPLUS: lambda: np.log(1 + np.exp(x)),
    }[kind]()


@pytest.mark.parametrize("kind", list(ActivationKind))
@pytest.mark.parametrize("params", ["default", "custom"])
def test_activation(run_ir, rng, kind, params):
    alpha, beta = ACTIVATION_DEFAULTS[kind] if params == "default" else (0.7, -0.3)
    attr = f"<{kind.value}, {alpha}, {beta}>"
    shape = (4, 5)
    text = kernel(
        [shape],
        [shape],
        f"  %y = rnn.activation {attr} %a0 : {tensor(shape)} -> {tensor(shape)}\n"
        f"  func.return %y : {tensor(shape)}",
    )
    x = rng.normal(scale=3.0, size=(N, *shape)).astype(np.float32)
    a32, b32 = float(np.float32(alpha)), float(np.float32(beta))
    check(run_ir, text, [x], [_activation_reference(kind, x.astype(np.float64), a32, b32)])


def test_clamp(run_ir, rng):
    text = kernel(
        [(7,)], [(7,)], "  %y = rnn.clamp %a0 {bound = 0.5 : f32} : tensor<7xf32> -> tensor<7xf32>\n  func.return %y : tensor<7xf32>"
    )
    x = rng.normal(size=(N, 7))
    check(run_ir, text, [x], [np.clip(x, -0.5, 0.5)])


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_softmax(run_ir, rng, op, axis):
    shape = (2, 3, 4)
    text = kernel(
        [shape],
        [shape],
        f"  %y = rnn.{op} %a0 {{axis = {axis} : i64}} : {tensor(shape)} -> {tensor(shape)}\n  func.return %y : {tensor(shape)}",
    )
    x = rng.normal(scale=4.0, size=(N, *shape))
    z = x - x.max(axis=axis + 1, keepdims=True)
    log_sm = z - np.log(np.exp(z).sum(axis=axis + 1, keepdims=True))
    check(run_ir, text, [x], [log_sm if op == "log_softmax" else np.exp(log_sm)])


def test_reshape_transpose(run_ir, rng):
    text = kernel(
        [(2, 12)],
        [(3, 2, 4), (4, 6)],
        "  %r = rnn.reshape %a0 : tensor<2x12xf32> -> tensor<2x3x4xf32>\n"
        "  %t = rnn.transpose %r perm [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>\n"
        "  %u = rnn.transpose %a0 perm [1, 0] : tensor<2x12xf32> -> tensor<12x2xf32>\n"
        "  %v = rnn.reshape %u : tensor<12x2xf32> -> tensor<4x6xf32>\n"
        "  func.return %t, %v : tensor<3x2x4xf32>, tensor<4x6xf32>",
    )
    x = rng.normal(size=(N, 2, 12))
    check(
        run_ir,
        text,
        [x],
        [x.reshape(N, 2, 3, 4).transpose(0, 2, 1, 3), x.transpose(0, 2, 1).reshape(N, 4, 6)],
    )


def test_slice(run_ir, rng):
    text = kernel(
        [(5, 6)],
        [(2, 3), (1, 6)],
        "  %s = rnn.slice %a0 offsets [1, 5] strides [2, -2] : tensor<5x6xf32> -> tensor<2x3xf32>\n"
        "  %g = rnn.slice %a0 offsets [4, 0] strides [1, 1] : tensor<5x6xf32> -> tensor<1x6xf32>\n"
        "  func.return %s, %g : tensor<2x3xf32>, tensor<1x6xf32>",
    )
    x = rng.normal(size=(N, 5, 6))
    check(run_ir, text, [x], [x[:, 1:4:2, 5::-2], x[:, 4:5, :]])


@pytest.mark.parametrize("axis", [0, 1])
def test_concat(run_ir, rng, axis):
    a, b = (2, 3), ((1, 3) if axis == 0 else (2, 4))
    x, y = rng.normal(size=(N, *a)), rng.normal(size=(N, *b))
    want = np.concatenate([x, x, y], axis=axis + 1)
    out = want.shape[1:]
    text = kernel(
        [a, b],
        [out],
        f"  %y = rnn.concat %a0, %a0, %a1 {{axis = {axis} : i64}} : ({tensor(a)}, {tensor(a)}, {tensor(b)}) -> "
        f"{tensor(out)}\n  func.return %y : {tensor(out)}",
    )
    check(run_ir, text, [x, y], [want])


def test_matvec(run_ir, rng):
    w = rng.normal(size=(5, 3)).astype(np.float32)
    text = kernel(
        [(3,)],
        [(5,)],
        f"  %w = arith.constant {dense(w)} : tensor<5x3xf32>\n"
        "  %y = rnn.matvec %w, %a0 : (tensor<5x3xf32>, tensor<3xf32>) -> tensor<5xf32>\n"
        "  func.return %y : tensor<5xf32>",
    )
    x = rng.normal(size=(N, 3))
    check(run_ir, text, [x], [x @ w.astype(np.float64).T])


def test_matmul_batched(run_ir, rng):
    b = rng.normal(size=(4, 3)).astype(np.float32)
    text = kernel(
        [(2, 5, 4)],
        [(2, 5, 3)],
        f"  %b = arith.constant {dense(b)} : tensor<4x3xf32>\n"
        "  %y = rnn.matmul %a0, %b : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>\n"
        "  func.return %y : tensor<2x5x3xf32>",
    )
    x = rng.normal(size=(N, 2, 5, 4))
    check(run_ir, text, [x], [x @ b.astype(np.float64)])


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("c_shape", [None, (4,), (3, 1), (3, 4)])
def test_gemm(run_ir, rng, trans_a, trans_b, c_shape):
    m, k, n = 3, 5, 4
    a_shape = (k, m) if trans_a else (m, k)
    b = rng.normal(size=(n, k) if trans_b else (k, n)).astype(np.float32)
    c = None if c_shape is None else rng.normal(size=c_shape).astype(np.float32)
    consts = f"  %b = arith.constant {dense(b)} : {tensor(b.shape)}\n"
    bias = ""
    if c is not None:
        consts += f"  %c = arith.constant {dense(c)} : {tensor(c.shape)}\n"
        bias = f" bias(%c : {tensor(c.shape)})"
    flags = f"alpha = 0.5 : f32, beta = 2.0 : f32, trans_a = {str(trans_a).lower()}, trans_b = {str(trans_b).lower()}"
    text = kernel(
        [a_shape],
        [(m, n)],
        consts + f"  %y = rnn.gemm %a0, %b{bias} {{{flags}}} : {tensor(a_shape)}, {tensor(b.shape)} -> tensor<3x4xf32>\n"
        "  func.return %y : tensor<3x4xf32>",
    )
    x = rng.normal(size=(N, *a_shape))
    op_a = x.transpose(0, 2, 1) if trans_a else x
    op_b = b.astype(np.float64).T if trans_b else b.astype(np.float64)
    want = 0.5 * op_a @ op_b + (0 if c is None else 2.0 * c.astype(np.float64))
    check(run_ir, text, [x], [want])
