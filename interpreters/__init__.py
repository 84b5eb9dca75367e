"""ercc's reference executor on `xdsl.interpreter`: one `InterpreterFunctions` class per dialect.

`reference.ReferenceExecutor` runs a module at any stage of the pipeline;
the value semantics live in `ercc.numerics` (docs/architecture.md).
"""
