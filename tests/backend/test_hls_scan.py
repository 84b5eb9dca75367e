"""`rnn.scan`: step order, stacked first state, final states, state updates."""

from __future__ import annotations

import numpy as np
import pytest
from hls_helpers import TOLERANCE, dense

T, I, H, N = 5, 3, 4, 3


def _cell_ir(w: np.ndarray, r: np.ndarray, reverse: bool) -> str:
    """A two-state (h, c) cell, LSTM-like: g = sigmoid(W x + R h), c' = g c + tanh(W x + R h), h' = g tanh(c')."""
    v, m = f"tensor<{H}xf32>", f"tensor<{T}x{H}xf32>"
    return f"""
func.func @cell(%x: tensor<{T}x{I}xf32>, %c0: {v}) -> ({m}, {v}, {v})
    attributes {{ercc.input_names = ["x", "c0"], ercc.output_names = ["Y", "Y_h", "Y_c"]}} {{
  %h0 = arith.constant dense<0.25> : {v}
  %w = arith.constant {dense(w)} : tensor<{H}x{I}xf32>
  %r = arith.constant {dense(r)} : tensor<{H}x{H}xf32>
  %ys, %hT, %cT = rnn.scan {"reverse" if reverse else ""} %x init(%h0, %c0) : (tensor<{T}x{I}xf32>, {v}, {v}) -> ({m}, {v}, {v}) {{
  ^bb0(%xt: tensor<{I}xf32>, %h: {v}, %c: {v}):
    %a = rnn.matvec %w, %xt : (tensor<{H}x{I}xf32>, tensor<{I}xf32>) -> {v}
    %b = rnn.matvec %r, %h : (tensor<{H}x{H}xf32>, {v}) -> {v}
    %s = rnn.add %a, %b : ({v}, {v}) -> {v}
    %g = rnn.activation <sigmoid> %s : {v} -> {v}
    %u = rnn.activation <tanh> %s : {v} -> {v}
    %gc = rnn.mul %g, %c : ({v}, {v}) -> {v}
    %c2 = rnn.add %gc, %u : ({v}, {v}) -> {v}
    %tc = rnn.activation <tanh> %c2 : {v} -> {v}
    %h2 = rnn.mul %g, %tc : ({v}, {v}) -> {v}
    rnn.yield %h2, %c2 : {v}, {v}
  }}
  func.return %ys, %hT, %cT : {m}, {v}, {v}
}}"""


def _cell_reference(x, c0, w, r, reverse):
    h, c = np.full(H, 0.25), c0.astype(np.float64)
    ys = np.zeros((T, H))
    for t in reversed(range(T)) if reverse else range(T):
        s = w @ x[t] + r @ h
        g = 1 / (1 + np.exp(-s))
        c = g * c + np.tanh(s)
        h = g * np.tanh(c)
        ys[t] = h
    return ys, h, c


@pytest.mark.parametrize("reverse", [False, True])
def test_two_state_scan(run_ir, rng, reverse):
    w = rng.normal(scale=0.5, size=(H, I)).astype(np.float32)
    r = rng.normal(scale=0.5, size=(H, H)).astype(np.float32)
    x = rng.normal(size=(N, T, I)).astype(np.float32)
    c0 = rng.normal(size=(N, H)).astype(np.float32)
    got = run_ir(_cell_ir(w, r, reverse), [x, c0])
    w64, r64 = w.astype(np.float64), r.astype(np.float64)
    refs = [_cell_reference(x[i], c0[i], w64, r64, reverse) for i in range(N)]
    for out, want in zip(got, zip(*refs)):
        np.testing.assert_allclose(out, np.stack(want), atol=TOLERANCE, rtol=TOLERANCE)


def test_scan_swapping_states(run_ir, rng):
    """yield (q + x_t, p): the new second state is the old first one, which is overwritten first."""
    v = "tensor<2xf32>"
    text = f"""
func.func @swap(%x: tensor<6x2xf32>, %a0: {v}, %b0: {v}) -> (tensor<6x2xf32>, {v}, {v}) {{
  %ys, %a, %b = rnn.scan %x init(%a0, %b0) : (tensor<6x2xf32>, {v}, {v}) -> (tensor<6x2xf32>, {v}, {v}) {{
  ^bb0(%xt: {v}, %p: {v}, %q: {v}):
    %n = rnn.add %q, %xt : ({v}, {v}) -> {v}
    rnn.yield %n, %p : {v}, {v}
  }}
  func.return %ys, %a, %b : tensor<6x2xf32>, {v}, {v}
}}"""
    x, a0, b0 = rng.normal(size=(N, 6, 2)), rng.normal(size=(N, 2)), rng.normal(size=(N, 2))
    ys, a, b = np.zeros((N, 6, 2)), a0.copy(), b0.copy()
    for t in range(6):
        a, b = b + x[:, t], a
        ys[:, t] = a
    got = run_ir(text, [x, a0, b0])
    for out, want in zip(got, [ys, a, b]):
        np.testing.assert_allclose(out, want, atol=TOLERANCE, rtol=TOLERANCE)
