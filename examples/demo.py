"""`make demo`: compile the bundled spoken-digit LSTM, C-simulate it, compare with onnxruntime.

For each block size the kernel (16-bit fixed point, ercc's default) is written
to out/, built with g++ and run on 16 test utterances; its logits are compared
with onnxruntime on the float model it approximates (the original at K = 1, the
block-circulant projection at K > 1): the difference is the quantization error.
Projection alone costs accuracy at large K: `ercc admm` trains it back.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from ercc.compiler.onnx_projection import project_recurrent_weights
from ercc.compiler.output import write_text_atomically
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.compiler.simulate import simulate_arrays

HERE = Path(__file__).parent
MODEL = HERE / "lstm_classifier.onnx"
OUT = HERE.parent / "out"


def main() -> None:
    sample = np.load(HERE / "digits_sample.npz")
    x, labels = sample["x"], sample["labels"]
    T = x.shape[1]
    print(f"model {MODEL.name}: LSTM 13 -> 32, Linear 32 -> 10; {len(x)} utterances of {T} MFCC frames\n")
    print(f"{'K':>3} {'kernel':<22} {'max |csim - onnxruntime|':>25} {'accuracy csim':>14} {'accuracy ort':>13} {'time':>7}")
    for k in (1, 4, 8):
        start = time.perf_counter()
        options = CompileOptions(block_size=k, seq_len=T)
        _, kernel = compile_model(MODEL, options)
        path = OUT / f"kernel_k{k}.cpp"
        for name, text in kernel.files(path.name).items():  # the kernel and its weights header
            write_text_atomically(path.with_name(name), text)
        got = simulate_arrays(MODEL, {"x": x}, options)["logits"]
        reference = onnx.load(MODEL) if k == 1 else project_recurrent_weights(onnx.load(MODEL), k)
        want = ort.InferenceSession(reference.SerializeToString()).run(None, {"x": x})[0]
        print(
            f"{k:>3} {str(path.relative_to(HERE.parent)):<22} {np.abs(got - want).max():>25.2e}"
            f" {np.mean(got.argmax(1) == labels):>14.3f} {np.mean(want.argmax(1) == labels):>13.3f}"
            f" {time.perf_counter() - start:>6.1f}s"
        )
    print("\nThe kernels are in out/. K > 1 uses the projection only; see docs/admm.md to recover accuracy.")


if __name__ == "__main__":
    main()
