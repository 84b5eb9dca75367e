"""Speed of `ercc simulate --engine reference`: the FSDD example and the 2 x 1024 LSTM at K = 8.

For each case, the median of `--runs` runs of the CLI (wall seconds, a fresh
process: import, passes, the reference run) and of the reference run alone
(`ReferenceExecutor(module).run_batch` on the compiled module, in a process
that compiled it first). `--against DIR` times a second ercc tree the same
way, interleaved with this one (DIR holds the `ercc` package, e.g. from
`git archive <commit>` into DIR/ercc), and checks both write the same bytes.

    python benchmarks/reference_engine.py [--runs 3] [--sequences 4] [--against /tmp/base]

Measured on 2 cores, medians of 3, against main 010d680 (the hand-written
walker): FSDD 4.30 s CLI / 2.40 s the run alone (was 4.39 / 2.66); the big
LSTM 6.15 / 2.17 s (was 6.19 / 2.49); the same output bytes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from lstm1024_schedule import I, T, build_model  # noqa: E402

# The engine alone; the import covers trees from before the reference moved to ercc.interpreters.
_ENGINE = """
import sys, time
import numpy as np
from ercc.compiler.pipeline import CompileOptions, compile_model
try:
    from ercc.interpreters.reference import ReferenceExecutor
except ImportError:
    from ercc.numerics.reference import ReferenceExecutor
model, inputs, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = np.load(inputs)["x"]
imported, _ = compile_model(model, CompileOptions(block_size=k, seq_len=x.shape[int(sys.argv[4])]))
(spec,) = imported.inputs
xs = [np.stack([np.take(x, [b], axis=spec.batch_axis) for b in range(x.shape[spec.batch_axis])]).astype(np.float32)]
t = time.perf_counter()
ReferenceExecutor(imported.module).run_batch(xs)
print(time.perf_counter() - t)
"""


def _env(tree: Path | None) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def _cli(case: list[str], out: Path, tree: Path | None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ercc", "simulate", *case, "-o", str(out), "--engine", "reference", "--quiet"],
                   check=True, cwd=ROOT if tree is None else tree, env=_env(tree))
    return time.perf_counter() - start


def _engine(model: Path, inputs: Path, k: int, seq_axis: int, tree: Path | None) -> float:
    out = subprocess.run([sys.executable, "-c", _ENGINE, str(model), str(inputs), str(k), str(seq_axis)], check=True,
                         capture_output=True, text=True, cwd=ROOT if tree is None else tree, env=_env(tree))
    return float(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sequences", type=int, default=4)
    parser.add_argument("--against", type=Path, help="a folder holding another ercc package to time the same way")
    args = parser.parse_args()
    trees = {"this tree": None, **({f"{args.against}": args.against.resolve()} if args.against else {})}
    with tempfile.TemporaryDirectory(prefix="ercc-ref-") as tmp:
        tmp = Path(tmp)
        big, big_in = tmp / "lstm1024.onnx", tmp / "in.npz"
        build_model(big)
        np.savez(big_in, x=np.random.default_rng(0).uniform(-1, 1, (T, args.sequences, I)).astype(np.float32))
        fsdd, fsdd_in = ROOT / "examples" / "lstm_classifier.onnx", ROOT / "examples" / "digits_sample.npz"
        cases = {
            "FSDD example (K = 1, 16 sequences)": (fsdd, fsdd_in, 1, 1),
            f"2 x 1024 LSTM, K = 8, {args.sequences} sequences": (big, big_in, 8, 0),
        }
        for name, (model, inputs, k, seq_axis) in cases.items():
            cli = {t: [] for t in trees}
            engine = {t: [] for t in trees}
            for _ in range(args.runs):
                for label, tree in trees.items():
                    case = [str(model), "--inputs", str(inputs), "--block-size", str(k)]
                    cli[label].append(_cli(case, tmp / f"{label.replace('/', '_')}.npz", tree))
                    engine[label].append(_engine(model, inputs, k, seq_axis, tree))
            print(f"{name}:")
            for label in trees:
                print(f"  {label:<24} ercc simulate --engine reference {statistics.median(cli[label]):6.2f} s;"
                      f" the reference run alone {statistics.median(engine[label]):6.2f} s", flush=True)
            if len(trees) == 2:
                a, b = (np.load(tmp / f"{t.replace('/', '_')}.npz") for t in trees)
                print(f"  same output bytes: {all(a[n].tobytes() == b[n].tobytes() for n in a.files)}")


if __name__ == "__main__":
    main()
