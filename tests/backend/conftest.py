"""Fixtures for the HLS backend tests: IR text in, C simulation results out."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hls_helpers import parse

from ercc.backends.hls.csim import build_csim
from ercc.backends.hls.emitter import emit_hls


@pytest.fixture
def run_ir() -> Callable[[str, list[np.ndarray]], list[np.ndarray]]:
    """Emits the IR, compiles it (cached) and runs it on (N, *shape) inputs."""

    def run(text: str, inputs: list[np.ndarray]) -> list[np.ndarray]:
        program = build_csim(emit_hls(parse(text)))
        return program.run(inputs)

    return run


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)
