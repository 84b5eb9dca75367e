"""FSDD test accuracy of the bundled LSTM-32 classifier in float and in fixed point.

`examples/lstm_classifier.onnx` (13 MFCCs x 32 frames -> LSTM-32 -> Linear-10,
trained by `examples/make_lstm_classifier.py` on 2400 utterances) is evaluated
on its 600 held-out utterances (the same preprocessing and split) by the C
simulation of ercc's kernel (`ercc.compile(...).predict`), in float and at
several fixed-point widths; K > 1 projects the recurrent weights onto
block-circulant matrices without retraining (ADMM would recover accuracy). The
reference engine re-runs the first 16 test utterances of every fixed-point
kernel: its logits must equal the C simulation's bit for bit.

    python benchmarks/fixed_fsdd.py        # ~10 minutes on 2 cores (g++ builds dominate)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from make_lstm_classifier import load_digits  # noqa: E402

import ercc  # noqa: E402
from ercc.interpreters.reference import ReferenceExecutor  # noqa: E402

MODEL = ROOT / "examples" / "lstm_classifier.onnx"
FRAMES = 32
# (label, options)
CONFIGS = [
    ("float", {"precision": "float"}),
    ("fixed, weights 16 / activations 16 bits (default)", {"precision": "fixed"}),
    ("fixed, weights 12 / activations 16", {"precision": "fixed", "weight_bits": 12}),
    ("fixed, weights 8 / activations 16", {"precision": "fixed", "weight_bits": 8}),
    ("fixed, weights 12 / activations 12", {"precision": "fixed", "weight_bits": 12, "act_bits": 12}),
    ("fixed, weights 8 / activations 8", {"precision": "fixed", "weight_bits": 8, "act_bits": 8}),
    ("fixed 16/16, 16 PWL segments", {"precision": "fixed", "segments": 16}),
    ("float, K = 4", {"precision": "float", "block_size": 4}),
    ("fixed 16/16, K = 4", {"precision": "fixed", "block_size": 4}),
    ("fixed w8/a16, K = 4", {"precision": "fixed", "block_size": 4, "weight_bits": 8}),
    ("float, K = 8", {"precision": "float", "block_size": 8}),
    ("fixed 16/16, K = 8", {"precision": "fixed", "block_size": 8}),
]


def test_split() -> tuple[np.ndarray, np.ndarray]:
    """The 600 utterances make_lstm_classifier.py held out."""
    x, y = load_digits()
    test = np.random.default_rng(1).permutation(len(x))[2400:]
    return x[test], y[test]


def evaluate(options: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, int | None, float]:
    """(accuracy, reference-vs-csim mismatches on 16 utterances or None for float, seconds)."""
    start = time.time()
    compiled = ercc.compile(MODEL, seq_len=FRAMES, record_ir=False, **options)
    logits = compiled.predict({"x": x})["logits"]
    accuracy = float(np.mean(logits.argmax(1) == y))
    mismatches = None
    if options.get("precision") == "fixed":
        ref = ReferenceExecutor(compiled.imported.module).run_batch([x[:16, None]])[0]
        mismatches = int(np.sum(ref.reshape(logits[:16].shape) != logits[:16]))
    return accuracy, mismatches, time.time() - start


def main() -> None:
    x, y = test_split()
    print(f"FSDD test split: {len(y)} utterances, {FRAMES} frames x 13 MFCCs\n")
    print("| kernel | test accuracy | reference vs csim (16 utterances) |")
    print("|---|---|---|")
    for label, options in CONFIGS:
        acc, bad, secs = evaluate(options, x, y)
        check = "—" if bad is None else f"{bad} mismatching logits"
        print(f"| {label} | {acc:.3f} | {check} |", flush=True)
        print(f"  ({secs:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
