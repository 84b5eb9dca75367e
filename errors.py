"""User-facing errors: one line, naming the file, the node and the reason.

An `ErccError` is the user's problem (bad model, bad option) and exits with
code 2; anything else escaping the driver is a bug in ercc and exits with 1.
It is the bottom layer of the import graph (docs/architecture.md): frontends,
backends and the driver all raise it, and it imports nothing of ercc.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USER = 2


class ErccError(Exception):
    """A problem with the user's input, reported as `file: node: reason`."""

    def __init__(self, reason: str, *, file: str | None = None, node: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.file = file
        self.node = node

    def with_file(self, file: str) -> ErccError:
        """The same error, located in `file` unless it already names one."""
        if self.file is None:
            self.file = file
        return self

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.node) if p]
        text = " ".join(self.reason.split())
        return ": ".join([*parts, text])


def node_label(name: str, op_type: str) -> str:
    """How error messages name an ONNX node: `node 'lstm_1' (LSTM)`."""
    return f"node '{name}' ({op_type})" if name else f"unnamed {op_type} node"
