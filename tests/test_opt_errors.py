"""`ercc-opt` on bad IR: one line naming the file (and position) and the reason, exit 2, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BAD = {
    "parse": ("func.func @f( {\n", r"bad.mlir:1:"),
    "unknown op": ('"rnn.nonsense"() : () -> ()\n', r"bad.mlir:1:"),
    "verifier": (
        "%x = arith.constant dense<0.0> : tensor<5x1x3xf32>\n"
        "%w = arith.constant dense<0.5> : tensor<1x12x3xf32>\n"
        "%r = arith.constant dense<0.25> : tensor<1x16x4xf32>\n"
        "%y, %yh, %yc = rnn.lstm %x, %w, %r {hidden_size = 4 : i64, direction = #rnn<direction forward>,"
        " activations = [#rnn.act<sigmoid>, #rnn.act<tanh>, #rnn.act<tanh>]} : tensor<5x1x3xf32>,"
        " tensor<1x12x3xf32>, tensor<1x16x4xf32> -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>\n",
        "W must have shape [1, 16, 3], got [1, 12, 3]",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_ir_is_one_line(case, tmp_path):
    text, expected = BAD[case]
    (tmp_path / "bad.mlir").write_text(text)
    r = subprocess.run([str(Path(sys.executable).with_name("ercc-opt")), str(tmp_path / "bad.mlir")],
                       capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ercc-opt: error: ") and expected in lines[0], r.stderr
    assert r.stdout == ""
