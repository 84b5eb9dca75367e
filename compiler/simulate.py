"""`ercc simulate`: run the compiled kernel's C simulation on a batch of sequences.

The kernel processes one sequence (batch 1). Inputs arrive as onnxruntime
would take them, with a batch axis of any size N; each sequence is cut out,
the kernel runs once per sequence, and the outputs are stacked back along
their own batch axes, so the result has the shapes onnxruntime gives.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from ercc.compiler import progress
from ercc.errors import ErccError
from ercc.compiler.output import write_npz_atomically
from ercc.compiler.pipeline import CompileOptions, compile_model


def load_npz(path: str | os.PathLike, what: str) -> dict[str, np.ndarray]:
    """All arrays of an .npz file, or an ErccError naming the file."""
    p = Path(path)
    if not p.is_file():
        raise ErccError(f"{what} file not found", file=str(path))
    try:
        data = np.load(p, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ErccError(
                "expected an .npz (numpy.savez) file with one array per graph input, keyed by input name;"
                " this is a single .npy array",
                file=str(path),
            )
        with data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ErccError(f"not a readable .npz file ({' '.join(str(e).split())})", file=str(path)) from e


def _batch_size(specs, arrays: dict[str, np.ndarray]) -> int:
    sizes = {
        arrays[s.name].shape[s.batch_axis]
        for s in specs
        if s.batch_axis is not None and arrays[s.name].ndim == len(s.shape)
    }
    if len(sizes) > 1:
        raise ErccError(f"inputs disagree on the batch size: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def _check_names(names: list[str], arrays: dict[str, np.ndarray], file: str, holder: str = "the file") -> None:
    missing = [n for n in names if n not in arrays]
    if missing:
        raise ErccError(
            f"no array for graph input(s) {', '.join(repr(m) for m in missing)}"
            f" ({holder} has {', '.join(repr(k) for k in arrays) or 'no arrays'})",
            file=file,
        )


def _check_inputs(specs, arrays: dict[str, np.ndarray], file: str) -> int:
    """Validate ranks, shapes and values; return the batch size N."""
    n = _batch_size(specs, arrays)
    for s in specs:
        a = arrays[s.name]
        expect = list(s.shape)
        if s.batch_axis is not None:
            expect[s.batch_axis] = n
        if list(a.shape) != expect:
            raise ErccError(f"input '{s.name}' has shape {list(a.shape)}, the kernel needs {expect}", file=file)
        if not np.issubdtype(a.dtype, np.number):
            raise ErccError(f"input '{s.name}' holds {a.dtype}, not numbers", file=file)
        if not np.all(np.isfinite(a)):
            raise ErccError(f"input '{s.name}' holds NaN or infinite values", file=file)
    return n


def _per_sequence(spec, array: np.ndarray, n: int) -> np.ndarray:
    """(N, *kernel shape): sequence b of the batch in the kernel's batch-1 shape.

    Integer inputs (sequence_lens) keep their integer type.
    """
    dtype = np.int32 if getattr(spec, "dtype", "float32") == "int32" else np.float32
    if spec.batch_axis is None:
        return np.broadcast_to(array.astype(dtype), (n, *spec.shape))
    return np.stack(
        [np.take(array, [b], axis=spec.batch_axis) for b in range(n)]
    ).astype(dtype)


def _stack_outputs(spec, results: np.ndarray) -> np.ndarray:
    """Reassemble (N, *kernel shape) results into the batched ONNX shape."""
    if spec.batch_axis is None:
        return results[0]
    return np.concatenate(list(results), axis=spec.batch_axis)


ENGINES = ("csim", "reference")


def simulate_arrays(
    model: str | os.PathLike,
    arrays: dict[str, np.ndarray],
    options: CompileOptions,
    inputs_file: str = "<inputs>",
    engine: str = "csim",
) -> dict[str, np.ndarray]:
    """Simulate the kernel of `model` on a batch of inputs keyed by graph input name.

    `engine` "csim" runs the g++ C simulation; "reference" runs the numpy
    reference executor of the final IR (ercc.numerics.reference), bit-exact
    with csim in fixed point.
    """
    if engine not in ENGINES:
        raise ErccError(f"--engine must be one of {', '.join(ENGINES)}, got '{engine}'")
    from ercc.backends.hls.csim import build_csim
    from ercc.frontends.canonicalize import load
    from ercc.frontends.signature import graph_inputs, sequence_length

    proto, _ = load(model)
    _check_names([i.name for i in graph_inputs(proto.graph)], arrays, inputs_file)
    if options.seq_len is None:
        options = replace(options, seq_len=sequence_length(proto, arrays))
    imported, kernel = compile_model(model, options)
    n = _check_inputs(imported.inputs, arrays, inputs_file)
    if engine == "reference":
        from ercc.numerics.reference import ReferenceExecutor

        run = ReferenceExecutor(imported.module).run_batch
    else:
        with progress.step("building the C simulation (g++)"):
            run = build_csim(kernel).run
    sequences = [_per_sequence(s, arrays[s.name], n) for s in imported.inputs]
    results = progress.run_batches(run, sequences, n, f"simulating ({engine})")
    return {s.name: _stack_outputs(s, r) for s, r in zip(imported.outputs, results)}


def simulate_files(model: str, inputs: str, output: str, options: CompileOptions, engine: str = "csim") -> None:
    arrays = load_npz(inputs, "inputs")
    outputs = simulate_arrays(model, arrays, options, inputs_file=inputs, engine=engine)
    write_npz_atomically(output, outputs)
