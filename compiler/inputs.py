"""A batch of kernel inputs from arrays keyed by graph input name: loading, checking, one sequence at a time.

`ercc simulate --inputs`, `--calib`, the quantization report and
`CompiledModel.predict` take inputs the way onnxruntime does, with a batch
axis of any size N; the kernel takes one sequence. `load_sequences` reads an
.npz file into the kernel's per-sequence inputs; the pieces are public for
callers that hold arrays already.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ercc.errors import ErccError


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


def batch_size(specs, arrays: dict[str, np.ndarray]) -> int:
    sizes = {
        arrays[s.name].shape[s.batch_axis]
        for s in specs
        if s.batch_axis is not None and arrays[s.name].ndim == len(s.shape)
    }
    if len(sizes) > 1:
        raise ErccError(f"inputs disagree on the batch size: {sorted(sizes)}")
    return sizes.pop() if sizes else 1


def check_names(names: list[str], arrays: dict[str, np.ndarray], file: str, holder: str = "the file") -> None:
    missing = [n for n in names if n not in arrays]
    if missing:
        raise ErccError(
            f"no array for graph input(s) {', '.join(repr(m) for m in missing)}"
            f" ({holder} has {', '.join(repr(k) for k in arrays) or 'no arrays'})",
            file=file,
        )


def check_inputs(specs, arrays: dict[str, np.ndarray], file: str) -> int:
    """Validate ranks, shapes and values; return the batch size N."""
    n = batch_size(specs, arrays)
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


def per_sequence(spec, array: np.ndarray, n: int) -> np.ndarray:
    """(N, *kernel shape): sequence b of the batch in the kernel's batch-1 shape.

    Integer inputs (sequence_lens) keep their integer type.
    """
    dtype = np.int32 if getattr(spec, "dtype", "float32") == "int32" else np.float32
    if spec.batch_axis is None:
        return np.broadcast_to(array.astype(dtype), (n, *spec.shape))
    return np.stack(
        [np.take(array, [b], axis=spec.batch_axis) for b in range(n)]
    ).astype(dtype)


def stack_outputs(spec, results: np.ndarray) -> np.ndarray:
    """Reassemble (N, *kernel shape) results into the batched ONNX shape."""
    if spec.batch_axis is None:
        return results[0]
    return np.concatenate(list(results), axis=spec.batch_axis)


def sequences(specs, arrays: dict[str, np.ndarray], file: str, holder: str = "the file") -> list[np.ndarray]:
    """The kernel inputs (N, *port shape) for arrays keyed by graph input name, checked."""
    check_names([s.name for s in specs], arrays, file, holder)
    n = check_inputs(specs, arrays, file)
    return [per_sequence(s, arrays[s.name], n) for s in specs]


def load_sequences(path: str | os.PathLike, specs, what: str) -> list[np.ndarray]:
    """`sequences` of an .npz file (`what` names the file's role in errors: "inputs", "calibration")."""
    return sequences(specs, load_npz(path, what), str(path))
