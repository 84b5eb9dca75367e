"""Shared fixtures; also puts tests/ on sys.path so suites can `import models`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from models import export_torch_lstm_classifier  # noqa: E402


@pytest.fixture(scope="session")
def torch_lstm_classifier(tmp_path_factory):
    """Export a torch LSTM classifier once per session per set of options; returns its path.

    Usage: `path = torch_lstm_classifier(num_layers=2, dynamo=True)`.
    """
    root = tmp_path_factory.mktemp("torch_models")
    cache: dict[tuple, Path] = {}

    def get(**options) -> Path:
        key = tuple(sorted(options.items()))
        if key not in cache:
            name = "_".join(f"{k}-{v}" for k, v in key) or "default"
            path = root / f"{name}.onnx"
            export_torch_lstm_classifier(path, **options)
            cache[key] = path
        return cache[key]

    return get


@pytest.fixture(autouse=True, scope="session")
def every_kernel_is_synthesizable():
    """Check the synthesizability rules on every kernel any test emits, and on its weights header."""
    from ercc.backends.hls import emitter
    from ercc.backends.hls.rules import violations

    original = emitter.emit_hls

    def checked(module, *args, **kwargs):
        kernel = original(module, *args, **kwargs)
        broken = violations(kernel.source) + violations(kernel.weights)
        assert not broken, f"emitted kernel breaks synthesizability rules: {broken}"
        return kernel

    emitter.emit_hls = checked
    yield
    emitter.emit_hls = original
