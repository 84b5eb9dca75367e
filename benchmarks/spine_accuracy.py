"""Max abs error of ercc's float C simulation against onnxruntime, per model and block size.

Models: torch-exported LSTM classifiers (legacy and dynamo exporters, 1 and 2
layers, 13 inputs, hidden 16 or 20, 10 classes, T = 20), 8 random sequences.
At K = 1 the oracle is the model itself; at K > 1 it is the model whose
recurrent W and R are replaced by their block-circulant projection.

    python benchmarks/spine_accuracy.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from models import export_torch_lstm_classifier, run_onnxruntime  # noqa: E402

from ercc.compiler.onnx_projection import project_recurrent_weights  # noqa: E402
from ercc.compiler.pipeline import CompileOptions  # noqa: E402
from ercc.compiler.simulate import simulate_arrays  # noqa: E402

MODELS = [("legacy", 1, 16), ("legacy", 2, 20), ("dynamo", 1, 20), ("dynamo", 2, 16)]


def main() -> None:
    print(f"{'exporter':<8} {'layers':>6} {'hidden':>6} {'K':>3} {'max abs err':>12} {'sim time':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for exporter, layers, hidden in MODELS:
            path = Path(tmp) / f"{exporter}_{layers}_{hidden}.onnx"
            export_torch_lstm_classifier(path, num_layers=layers, hidden_size=hidden, dynamo=exporter == "dynamo")
            batch = 8 if exporter == "legacy" else 1  # dynamo bakes batch 1 into its Reshapes
            x = np.random.default_rng(0).standard_normal((batch, 20, 13)).astype(np.float32)
            for k in (1, 4, 8):
                model = onnx.load(path)
                oracle = project_recurrent_weights(model, k) if k > 1 else model
                want = run_onnxruntime(oracle, {"x": x})["logits"]
                start = time.perf_counter()
                got = simulate_arrays(path, {"x": x}, CompileOptions(precision="float", block_size=k))["logits"]
                err = float(np.abs(got - want).max())
                print(f"{exporter:<8} {layers:>6} {hidden:>6} {k:>3} {err:>12.2e} {time.perf_counter() - start:>8.2f}s")


if __name__ == "__main__":
    main()
