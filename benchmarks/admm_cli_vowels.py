"""The user's case of issue 17, through the command line: `ercc admm` with defaults on an exported LSTM it never saw.

An LSTM-32 with a linear head on the last step, 12 features, 9 classes,
trained densely on the 270 training sequences of the Japanese vowels set
(shipped in sktime's wheel), exported to ONNX (TorchScript exporter); then
`ercc admm model.onnx --data train.npz --block-size K -o out.onnx` and nothing
else, scored in onnxruntime on the 370 test sequences, for each seed and K.

    .venv/bin/python benchmarks/admm_cli_vowels.py [--seeds 0 1 2] [--ks 4 8]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, str(Path(__file__).parent))
from admm_defaults import PAIRS, Net, Pair, load, train_dense  # noqa: E402

from ercc.compiler.onnx_projection import project_recurrent_weights  # noqa: E402
from ercc.training import Objective  # noqa: E402

PAIR = Pair("vowels-lstm", "lstm", 32, 1, False, PAIRS["vowels-bilstm"].dense_epochs, False)


def accuracy(path_or_model, x: np.ndarray, y: np.ndarray) -> float:
    model = path_or_model.SerializeToString() if hasattr(path_or_model, "SerializeToString") else str(path_or_model)
    (logits,) = ort.InferenceSession(model).run(None, {"x": x})
    return float((logits.argmax(-1) == y).mean())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--ks", nargs="+", type=int, default=[4, 8])
    args = p.parse_args()
    torch.set_num_threads(1)
    rows = ["| seed | K | dense | projection only | ercc admm (defaults) | exit | s |", "|---|---|---:|---:|---:|---|---:|"]
    import onnx

    for seed in args.seeds:
        train, test = load("vowels-bilstm", seed)
        torch.manual_seed(seed)
        net = Net(PAIR, 12, 9)
        train_dense(net, train, Objective.classification(), PAIR.dense_epochs, seed)
        net.eval()
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "lstm.onnx"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.onnx.export(net, (torch.from_numpy(train.inputs[0][:2]),), str(model), dynamo=False,
                                  input_names=["x"], output_names=["logits"], dynamic_axes={"x": {0: "batch"}})
            np.savez(Path(tmp) / "train.npz", x=train.inputs[0], labels=train.targets)
            x, y = test.inputs[0], test.targets
            dense = accuracy(model, x, y)
            for k in args.ks:
                out = Path(tmp) / f"bc{k}.onnx"
                start = time.perf_counter()
                code = subprocess.run([sys.executable, "-m", "ercc", "admm", str(model), "--data",
                                       str(Path(tmp) / "train.npz"), "--block-size", str(k), "-o", str(out), "--quiet",
                                       "--seed", str(seed)], env={**os.environ, "OMP_NUM_THREADS": "1"}).returncode
                seconds = time.perf_counter() - start
                projected = accuracy(project_recurrent_weights(onnx.load(model), k), x, y)
                rows.append(f"| {seed} | {k} | {100 * dense:.2f} | {100 * projected:.2f} | "
                            f"{100 * accuracy(out, x, y):.2f} | {code} | {seconds:.0f} |")
                print(rows[-1], flush=True)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
