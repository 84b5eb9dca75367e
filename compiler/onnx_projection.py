"""The block-circulant projection applied to an ONNX model's recurrent weights.

Gives the float model that a `--block-size K` kernel computes, as standard
ONNX: every recurrent node's W and R initializers are replaced, direction by
direction and gate by gate, by their block-circulant projection
(`ercc.numerics.circulant.project_gates`, the same one the compiler uses).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import onnx
from onnx import numpy_helper

from ercc.numerics.circulant import project_gates

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def project_recurrent_weights(
    model: onnx.ModelProto, block_size: int, layers: Mapping[str, int | tuple[int, int]] | None = None
) -> onnx.ModelProto:
    """A copy of `model` whose recurrent W and R are block-circulant with block `block_size`.

    `layers` maps node names to their own block size, or to (K of W, K of R) (the per-layer options).
    """
    out = onnx.ModelProto()
    out.CopyFrom(model)
    inits = {t.name: t for t in out.graph.initializer}
    for node in out.graph.node:
        gates = GATES.get(node.op_type)
        if gates is None:
            continue
        ks = (layers or {}).get(node.name, block_size)
        for name, k in zip(node.input[1:3], ks if isinstance(ks, tuple) else (ks, ks)):  # W, R
            if k == 1:
                continue
            tensor = inits[name]
            weights = numpy_helper.to_array(tensor)
            projected = np.stack([project_gates(w, gates, k) for w in weights])
            tensor.CopyFrom(numpy_helper.from_array(projected.astype(weights.dtype), name))
    return out
