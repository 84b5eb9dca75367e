"""Fixed point end to end: the numpy reference executor against the g++ C simulation.

Every case compiles (once per kernel, cached) an LSTM / GRU / RNN with
`--precision fixed`, feeds csim and `ercc.interpreters` the same random
sequences (small, ordinary and saturating magnitudes) and requires 0
mismatching output elements. At 16 bits the fixed-point outputs must also lie
within 1e-2 of the float kernel's.
"""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from models import make_gru_model, make_lstm_model, make_rnn_model

from ercc.backends.hls.csim import build_csim
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.errors import ErccError
from ercc.interpreters.reference import ReferenceExecutor

_MAKERS = {"lstm": make_lstm_model, "gru": make_gru_model, "rnn": make_rnn_model}


@dataclass(frozen=True)
class Config:
    """One kernel: a model, its options and the fixed-point widths."""

    model: str
    weight_bits: int
    act_bits: int
    extra: tuple = ()
    block: int = 1
    hidden: int = 8

    @property
    def id(self) -> str:
        extra = "".join(f"-{k}={v}" for k, v in self.extra)
        shape = (f"-k{self.block}" if self.block > 1 else "") + (f"-h{self.hidden}" if self.hidden != 8 else "")
        return f"{self.model}-w{self.weight_bits}-a{self.act_bits}{shape}{extra}"


# The default run: 11 kernels x 17 input sets = 187 cases; block sizes 1 to 16 run the fixed-point FFT.
QUICK = [
    Config("lstm", 16, 16, block=4),
    Config("lstm", 8, 8, (("clip", 2.0),), block=2),
    Config("gru", 12, 12, (("direction", "bidirectional"),), block=8),
    Config("rnn", 24, 24, block=16, hidden=16),
    Config("lstm", 10, 20, (("direction", "reverse"),), block=16, hidden=20),
    Config("lstm", 16, 16),
    Config("lstm", 8, 8, (("clip", 2.0),)),
    Config("gru", 16, 16),
    Config("gru", 14, 10, (("direction", "bidirectional"),)),
    Config("rnn", 16, 16),
    Config("rnn", 10, 24, (("direction", "reverse"),)),
]
# -m slow: every width 8..24 for the three cell types, and more model options.
SLOW = [Config(m, w, w) for m in _MAKERS for w in range(8, 25) if Config(m, w, w) not in QUICK] + [
    Config("lstm", 16, 16, (("initial_state", True),)),
    Config("lstm", 16, 16, (("peepholes", True),)),
    Config("lstm", 12, 16, (("direction", "bidirectional"), ("clip", 3.0))),
    Config("gru", 16, 16, (("initial_state", True),)),
]
# (scale, seed): magnitudes from tiny to saturating every activation format.
INPUTS = [(s, seed) for s in (0.01, 0.3, 1.0, 3.0, 10.0, 100.0) for seed in (0, 1, 2)][:17]


class Kernels:
    """Compiled kernels (module, csim program), built on first use and in parallel."""

    def __init__(self, root: Path):
        self.root = root
        self.built: dict[Config, tuple] = {}

    def path(self, cfg: Config, precision: str = "fixed") -> Path:
        p = self.root / f"{cfg.id}.onnx"
        if not p.exists():
            _MAKERS[cfg.model](p, T=6, I=5, H=cfg.hidden, seed=zlib.crc32(cfg.id.encode()) % 1000, **dict(cfg.extra))
        return p

    def compile(self, cfg: Config):
        options = CompileOptions(
            precision="fixed", weight_bits=cfg.weight_bits, act_bits=cfg.act_bits, block_size=cfg.block
        )
        imported, kernel = compile_model(self.path(cfg), options)
        return imported, kernel

    def build(self, configs: list[Config]) -> None:
        todo = [c for c in configs if c not in self.built]
        compiled = {c: self.compile(c) for c in todo}
        with ThreadPoolExecutor(max_workers=4) as pool:
            programs = dict(zip(todo, pool.map(lambda c: build_csim(compiled[c][1]), todo)))
        for c in todo:
            self.built[c] = (compiled[c][0], programs[c])

    def get(self, cfg: Config):
        self.build([cfg])
        return self.built[cfg]


@pytest.fixture(scope="module")
def kernels(tmp_path_factory):
    k = Kernels(tmp_path_factory.mktemp("fixed_models"))
    k.build(QUICK)
    return k


def _inputs(program, scale: float, seed: int, n: int = 4) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n, *p.shape)) * scale).astype(np.float32) for p in program.kernel.inputs]


def _check(kernels: Kernels, cfg: Config, scale: float, seed: int) -> None:
    imported, program = kernels.get(cfg)
    xs = _inputs(program, scale, seed)
    got = program.run(xs)
    want = ReferenceExecutor(imported.module).run_batch(xs)
    for g, w, port in zip(got, want, program.kernel.outputs):
        assert g.shape == w.shape
        bad = int(np.sum(g != w))
        assert bad == 0, f"{port.name}: {bad} of {g.size} elements differ (max {np.max(np.abs(g - w))})"


@pytest.mark.parametrize("scale,seed", INPUTS, ids=[f"x{s}-s{d}" for s, d in INPUTS])
@pytest.mark.parametrize("cfg", QUICK, ids=[c.id for c in QUICK])
def test_reference_equals_csim(kernels, cfg, scale, seed):
    _check(kernels, cfg, scale, seed)


@pytest.mark.slow
@pytest.mark.parametrize("scale,seed", INPUTS[::2], ids=[f"x{s}-s{d}" for s, d in INPUTS[::2]])
@pytest.mark.parametrize("cfg", SLOW, ids=[c.id for c in SLOW])
def test_reference_equals_csim_sweep(kernels, cfg, scale, seed):
    _check(kernels, cfg, scale, seed)


def _float_reference(path: Path, xs: list[np.ndarray], block: int = 1) -> list[np.ndarray]:
    imported, _ = compile_model(path, CompileOptions(precision="float", block_size=block))
    return ReferenceExecutor(imported.module).run_batch(xs)


@pytest.mark.parametrize("cfg", [c for c in QUICK if c.weight_bits == c.act_bits == 16], ids=lambda c: c.id)
def test_16_bits_is_within_1e_2_of_float(kernels, cfg):
    imported, program = kernels.get(cfg)
    xs = _inputs(program, 1.0, 7, n=8)
    fixed = program.run(xs)
    ref = _float_reference(kernels.path(cfg), xs, cfg.block)
    err = max(float(np.max(np.abs(f - r))) for f, r in zip(fixed, ref))
    assert err < 1e-2, err


@pytest.mark.parametrize("block", [1, 8])
def test_float_reference_matches_float_csim(kernels, block):
    cfg = Config("lstm", 16, 16)
    imported, kernel = compile_model(kernels.path(cfg), CompileOptions(precision="float", block_size=block))
    program = build_csim(kernel)
    xs = _inputs(program, 1.0, 3)
    for g, w in zip(program.run(xs), ReferenceExecutor(imported.module).run_batch(xs)):
        np.testing.assert_allclose(g, w, atol=1e-5)


@pytest.mark.parametrize("field", ["weight_bits", "act_bits"])
@pytest.mark.parametrize("bits", [3, 25, 0])
def test_bad_widths_are_rejected(field, bits):
    with pytest.raises(ErccError, match=field.replace("_", "-")):
        CompileOptions(precision="fixed", **{field: bits}).validate()


def _cli(*args) -> tuple[int, str]:
    import contextlib
    import io

    from ercc.cli import run

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = run(list(map(str, args)))
    return code, err.getvalue()


def test_simulate_engines_agree_from_the_cli(kernels, tmp_path):
    cfg = QUICK[0]
    model = kernels.path(cfg)
    inputs = tmp_path / "in.npz"
    np.savez(inputs, X=(np.random.default_rng(5).standard_normal((6, 3, 5)) * 4).astype(np.float32))
    outs = {}
    for engine in ("csim", "reference"):
        out = tmp_path / f"{engine}.npz"
        code, err = _cli("simulate", model, "--inputs", inputs, "-o", out, "--precision", "fixed", "--engine", engine)
        assert code == 0, err
        with np.load(out) as data:
            outs[engine] = {k: data[k] for k in data.files}
    assert outs["csim"].keys() == outs["reference"].keys()
    for k in outs["csim"]:
        assert np.array_equal(outs["csim"][k], outs["reference"][k]), k


@pytest.mark.parametrize(
    "args,message",
    [
        (["--precision", "fixed", "--block-size", "3"], "power of two"),
        (["--precision", "fixed", "--act-bits", "30"], "--act-bits must be"),
        (["--precision", "fixed", "--weight-bits", "2"], "--weight-bits must be"),
        (["--precision", "double"], "--precision"),
    ],
)
def test_bad_fixed_options_exit_2(kernels, tmp_path, args, message):
    code, err = _cli(kernels.path(QUICK[0]), "-o", tmp_path / "k.cpp", *args)
    assert code == 2 and message in err, err
    assert not (tmp_path / "k.cpp").exists()
