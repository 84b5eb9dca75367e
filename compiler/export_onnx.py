"""`ercc export-onnx`: the compressed model as standard ONNX.

W and R of every recurrent node are replaced by their block-circulant
projection (`compiler/onnx_projection.py`, the projection the compiler uses),
so onnxruntime computes in float what a `--block-size K` kernel computes.
The rest of the graph is left as it is.

Not yet: a fake-quantized export (QuantizeLinear/DequantizeLinear pairs for
the `--precision fixed` number format) comes with fixed point.
"""

from __future__ import annotations

import os

import onnx

from ercc.compiler.errors import ErccError
from ercc.compiler.onnx_projection import GATES, project_recurrent_weights

# onnxruntime >= 1.20 loads IR versions up to 10; the brief allows <= 13.
MAX_IR_VERSION = 10


def export_compressed(model: str | os.PathLike | onnx.ModelProto, block_size: int) -> onnx.ModelProto:
    """The model with block-circulant recurrent weights, checked, at an IR version onnxruntime loads."""
    from ercc.compiler.pipeline import CompileOptions
    from ercc.frontends.canonicalize import load

    CompileOptions(block_size=block_size).validate()
    proto, file = load(model)
    if not any(n.op_type in GATES for n in proto.graph.node):
        raise ErccError("no recurrent layer (LSTM, GRU, RNN) to compress", file=file)
    inits = {t.name for t in proto.graph.initializer}
    for node in proto.graph.node:
        if node.op_type in GATES:
            for name in node.input[1:3]:
                if name not in inits:
                    raise ErccError(
                        f"weight '{name}' of {node.op_type} node '{node.name}' is not an initializer", file=file
                    )
    out = project_recurrent_weights(proto, block_size)
    out.ir_version = min(out.ir_version, MAX_IR_VERSION)
    onnx.checker.check_model(out)
    return out


def export_files(model: str, output: str, block_size: int) -> None:
    from ercc.compiler.output import write_atomically

    out = export_compressed(model, block_size)
    write_atomically(output, lambda tmp: onnx.save(out, os.fspath(tmp)))
