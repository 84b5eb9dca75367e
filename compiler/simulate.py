"""`ercc simulate`: run the compiled kernel's C simulation on a batch of sequences.

The kernel processes one sequence (batch 1). Inputs arrive as onnxruntime
would take them, with a batch axis of any size N; each sequence is cut out,
the kernel runs once per sequence, and the outputs are stacked back along
their own batch axes, so the result has the shapes onnxruntime gives.
"""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np

from ercc.compiler import progress
from ercc.compiler.inputs import check_inputs, check_names, load_npz, per_sequence, stack_outputs
from ercc.compiler.output import write_npz_atomically
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.errors import ErccError

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
    reference executor of the final IR (ercc.interpreters.reference), bit-exact
    with csim in fixed point.
    """
    if engine not in ENGINES:
        raise ErccError(f"--engine must be one of {', '.join(ENGINES)}, got '{engine}'")
    from ercc.backends.hls.csim import build_csim
    from ercc.frontends.canonicalize import load
    from ercc.frontends.signature import graph_inputs, sequence_length

    proto, _ = load(model)
    check_names([i.name for i in graph_inputs(proto.graph)], arrays, inputs_file)
    if options.seq_len is None:
        options = replace(options, seq_len=sequence_length(proto, arrays))
    imported, kernel = compile_model(model, options)
    n = check_inputs(imported.inputs, arrays, inputs_file)
    if engine == "reference":
        from ercc.interpreters.reference import ReferenceExecutor

        run = ReferenceExecutor(imported.module).run_batch
    else:
        with progress.step("building the C simulation (g++)"):
            run = build_csim(kernel).run
    sequences = [per_sequence(s, arrays[s.name], n) for s in imported.inputs]
    results = progress.run_batches(run, sequences, n, f"simulating ({engine})")
    return {s.name: stack_outputs(s, r) for s, r in zip(imported.outputs, results)}


def simulate_files(model: str, inputs: str, output: str, options: CompileOptions, engine: str = "csim") -> None:
    arrays = load_npz(inputs, "inputs")
    outputs = simulate_arrays(model, arrays, options, inputs_file=inputs, engine=engine)
    write_npz_atomically(output, outputs)
