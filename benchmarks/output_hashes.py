"""SHA-256 of everything ercc writes for the test models: the guard of a refactor.

A change that should not alter what users get (moving code, renaming modules,
putting the reference on another executor) must leave every kernel, weights
header, project file, cost report, printed IR and reference-engine output
byte-identical. This script compiles a fixed matrix of models and options
through the CLI (in process, as `ercc ...` would), hashes every file written,
and either records the hashes or compares them with a recorded baseline:

    python benchmarks/output_hashes.py --write benchmarks/output_hashes.json
    python benchmarks/output_hashes.py --check benchmarks/output_hashes.json [--big]

`--check` prints each differing, missing or new file and exits 1 if any.
`--big` adds the 2 x 1024 LSTM on 153 inputs at K = 8 (about 15 s).
Outputs carry no paths or times, so hashes are independent of the folder.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from lstm1024_schedule import build_model  # noqa: E402
from models import make_gru_model, make_lstm_model, make_rnn_model  # noqa: E402

from ercc.compiler.cli import run  # noqa: E402

EXAMPLE = ROOT / "examples" / "lstm_classifier.onnx"
EXAMPLE_INPUTS = ROOT / "examples" / "digits_sample.npz"

# (case name, extra CLI options); each runs for every model.
OPTION_SETS = [
    ("dense-fixed", ["--block-size", "1"]),
    ("k4-fixed", ["--block-size", "4"]),
    ("k4-float", ["--block-size", "4", "--precision", "float"]),
    ("k4-w12-trn", ["--block-size", "4", "--weight-bits", "12", "--rounding", "AP_TRN"]),
    ("k8-fixed", ["--block-size", "8"]),
]
PROJECT_SETS = [
    ("prj-array-k4", ["--block-size", "4"]),
    ("prj-axis-k4", ["--block-size", "4", "--interface", "axis", "--batch", "2"]),
    ("prj-maxi-k4", ["--block-size", "4", "--interface", "m_axi", "--batch", "2"]),
]
EMIT_STAGES = ["rnn", "cells", "circ", "freq", "scheduled"]


def models(folder: Path, big: bool) -> dict[str, Path]:
    """The test models: helper-built layers of each kind, the bundled classifier, optionally the big LSTM."""
    built = {
        "lstm": lambda p: make_lstm_model(p, T=6, I=8, H=16, seed=1),
        "lstm-bidir-peep": lambda p: make_lstm_model(p, T=5, I=8, H=16, direction="bidirectional",
                                                    peepholes=True, seed=2),
        "gru-bidir": lambda p: make_gru_model(p, T=5, I=8, H=16, direction="bidirectional", seed=3),
        "rnn-reverse": lambda p: make_rnn_model(p, T=5, I=8, H=16, direction="reverse", seed=4),
    }
    paths = {}
    for name, make in built.items():
        paths[name] = folder / f"{name}.onnx"
        make(paths[name])
    paths["classifier"] = EXAMPLE
    if big:
        paths["lstm1024"] = folder / "lstm1024.onnx"
        build_model(paths["lstm1024"])
    return paths


def inputs_for(model: Path, folder: Path) -> Path:
    """Seeded random inputs for every graph input (the bundled sample for the classifier)."""
    if model == EXAMPLE:
        return EXAMPLE_INPUTS
    import onnx

    graph = onnx.load(model).graph
    rng = np.random.default_rng(0)
    arrays = {
        i.name: rng.uniform(-1, 1, [d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
        for i in graph.input
    }
    path = folder / f"{model.stem}.inputs.npz"
    np.savez(path, **arrays)
    return path


def model_options(model: Path) -> list[str]:
    """The classifier is exported with a dynamic sequence length: build it for the sample's 32 steps."""
    return ["--seq-len", "32"] if model == EXAMPLE else []


def ercc(argv: list[str]) -> None:
    """One CLI call in process; a non-zero exit is a failure of the guard itself."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = run([*argv, "--quiet"])
    if code != 0:
        raise SystemExit(f"ercc {' '.join(argv)} exited {code}: {err.getvalue().strip()}")


def digest_tree(folder: Path, prefix: str, hashes: dict[str, str]) -> None:
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hashes[f"{prefix}/{path.relative_to(folder)}"] = hashlib.sha256(path.read_bytes()).hexdigest()


def collect(big: bool) -> dict[str, str]:
    hashes: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, model in models(tmp, big).items():
            sets = [OPTION_SETS[-1]] if name == "lstm1024" else OPTION_SETS
            for case, options in sets:
                out = tmp / "out" / name / case
                out.mkdir(parents=True)
                ercc([str(model), "-o", str(out / "kernel.cpp"), "--report", str(out / "report.json"),
                      *options, *model_options(model)])
                digest_tree(out, f"{name}/{case}", hashes)
            if name == "lstm1024":
                continue
            for case, options in PROJECT_SETS:
                out = tmp / "out" / name / case
                ercc([str(model), "-o", f"{out}/", *options, *model_options(model)])
                digest_tree(out, f"{name}/{case}", hashes)
            for stage in EMIT_STAGES:
                out = tmp / "out" / name / f"emit-{stage}"
                out.mkdir(parents=True)
                ercc([str(model), "--emit", stage, "--block-size", "4", "-o", str(out / f"{stage}.mlir"),
                      *model_options(model)])
                digest_tree(out, f"{name}/emit-{stage}", hashes)
            inputs = inputs_for(model, tmp)
            for case, options in (("ref-k4-fixed", ["--block-size", "4"]),
                                  ("ref-k4-float", ["--block-size", "4", "--precision", "float"])):
                out = tmp / "out" / name / case
                out.mkdir(parents=True)
                ercc(["simulate", str(model), "--inputs", str(inputs), "--engine", "reference",
                      "-o", str(out / "out.npz"), *options, *model_options(model)])
                with np.load(out / "out.npz") as data:  # npz zip headers carry dates: hash the arrays
                    hashes[f"{name}/{case}/out.npz"] = hashlib.sha256(
                        b"".join(k.encode() + data[k].tobytes() for k in sorted(data.files))
                    ).hexdigest()
    return hashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, help="record the hashes in this JSON file")
    action.add_argument("--check", type=Path, help="compare with the hashes recorded in this JSON file")
    parser.add_argument("--big", action="store_true", help="add the 2 x 1024 LSTM at K = 8")
    args = parser.parse_args()
    hashes = collect(args.big)
    if args.write:
        args.write.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
        print(f"{len(hashes)} files hashed -> {args.write}")
        return 0
    baseline = json.loads(args.check.read_text())
    if not args.big:
        baseline = {k: v for k, v in baseline.items() if not k.startswith("lstm1024/")}
    differing = sorted(k for k in baseline.keys() & hashes.keys() if baseline[k] != hashes[k])
    missing = sorted(baseline.keys() - hashes.keys())
    new = sorted(hashes.keys() - baseline.keys())
    for label, keys in (("differs", differing), ("missing", missing), ("new", new)):
        for key in keys:
            print(f"{label}: {key}")
    same = len(baseline.keys() & hashes.keys()) - len(differing)
    print(f"{same} identical, {len(differing)} differ, {len(missing)} missing, {len(new)} new")
    return 1 if differing or missing or new else 0


if __name__ == "__main__":
    sys.exit(main())
