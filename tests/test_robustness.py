"""Issue 8: every bad input gets a clear error, nothing half-written, the same output every time.

The fuzz test builds a seeded stream of broken models and option values and
runs each through the real `ercc` driver in-process (`cli.run`): every case
must end with exit 0 and a complete kernel, or exit 2 with exactly one stderr
line and no output file. A few cases also go through `python -m ercc`.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from models import make_gru_model, make_lstm_model, make_rnn_model
from onnx import TensorProto, helper, numpy_helper
from xdsl.passes import ModulePass

from ercc.cli import run
from ercc.compiler.pipeline import InternalCompilerError, make_context, run_passes
from ercc.errors import EXIT_INTERNAL, EXIT_OK, EXIT_USER
from ercc.frontends import checks

EXAMPLE = Path(__file__).parents[1] / "examples" / "lstm_classifier.onnx"
FUZZ_SEED = 8


# --------------------------------------------------------------------------- #
# Case generation
# --------------------------------------------------------------------------- #


class _Case:
    """One fuzz case: a model file, extra options, and what must happen.

    `expect` is None (either outcome is fine), "ok" (must compile) or a
    substring the one-line user error must contain.
    """

    def __init__(self, label: str, model: onnx.ModelProto | bytes | None, args=(), expect=None, top="ercc_kernel"):
        self.label, self.model, self.args, self.expect, self.top = label, model, list(args), expect, top


def _copy(m: onnx.ModelProto) -> onnx.ModelProto:
    out = onnx.ModelProto()
    out.CopyFrom(m)
    return out


def _init(m: onnx.ModelProto, name: str) -> onnx.TensorProto:
    return next(t for t in m.graph.initializer if t.name == name)


def _set_init(m: onnx.ModelProto, name: str, array: np.ndarray) -> None:
    _init(m, name).CopyFrom(numpy_helper.from_array(array.astype(np.float32), name))


def _set_attr(node: onnx.NodeProto, name: str, value) -> None:
    for i, a in enumerate(node.attribute):
        if a.name == name:
            del node.attribute[i]
            break
    node.attribute.append(helper.make_attribute(name, value))


def _base(rng: random.Random) -> tuple[onnx.ModelProto, int, int]:
    """A random valid single-layer model; returns it with its H and I."""
    op = rng.choice(["LSTM", "GRU", "RNN"])
    H, I = rng.choice([2, 4, 8]), rng.choice([1, 3, 4, 6])
    kwargs = dict(
        T=rng.randint(1, 6), I=I, H=H, seed=rng.randrange(100),
        direction=rng.choice(["forward", "reverse", "bidirectional"]),
        layout=rng.choice([0, 1]), bias=rng.random() < 0.8,
    )
    make = {"LSTM": make_lstm_model, "GRU": make_gru_model, "RNN": make_rnn_model}[op]
    return make(**kwargs), H, I


def _mutate(rng: random.Random, i: int) -> _Case:
    m, H, I = _base(rng)
    node = m.graph.node[0]
    kind = rng.choice(_KINDS)
    if kind == "valid":
        K = rng.choice([k for k in (1, 2, 4, 8) if k <= max(H, I)])
        return _Case(f"valid K={K}", m, ["--block-size", str(K)], "ok")
    if kind == "truncate":
        raw = m.SerializeToString()
        return _Case("truncated", raw[: rng.randrange(len(raw))])
    if kind == "bitflip":
        raw = bytearray(m.SerializeToString())
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        return _Case("bit-flipped", bytes(raw))
    if kind == "garbage":
        choice = rng.choice([b"", b"hello, world\n", bytes(rng.randrange(256) for _ in range(64)), b"\x08" * 7])
        return _Case("garbage file", choice)
    if kind == "missing-initializer":
        name = rng.choice([t.name for t in m.graph.initializer])
        keep = [t for t in m.graph.initializer if t.name != name]
        del m.graph.initializer[:]
        m.graph.initializer.extend(keep)
        return _Case(f"missing {name}", m, expect=f"'{name}'")
    if kind == "weight-shape":
        t = _init(m, rng.choice([t.name for t in m.graph.initializer]))
        shape = list(t.dims)
        axis = rng.randrange(len(shape))
        shape[axis] = max(1, shape[axis] + rng.choice([-1, 1, 2]))
        if shape == list(t.dims):
            shape[axis] += 1
        _set_init(m, t.name, np.ones(shape))
        return _Case(f"{t.name} shape {shape}", m, expect=f"'{t.name}'")
    if kind == "hidden-size":
        h = rng.choice([0, -1, H - 1, H + 1, 2 * H, 1 << 40])
        _set_attr(node, "hidden_size", h)
        return _Case(f"hidden_size {h}", m, expect="")
    if kind == "nonfinite":
        name = rng.choice([t.name for t in m.graph.initializer])
        a = numpy_helper.to_array(_init(m, name)).copy()
        a.flat[rng.randrange(a.size)] = rng.choice([np.nan, np.inf, -np.inf])
        _set_init(m, name, a)
        return _Case(f"non-finite {name}", m, expect=f"initializer '{name}' holds NaN or infinite")
    if kind == "input-dims":
        x = m.graph.input[0].type.tensor_type.shape.dim
        axis = rng.randrange(3)
        value = rng.choice([0, -1, -7, 10**6, 10**9, "feature"])
        x[axis].Clear()
        if isinstance(value, str):
            x[axis].dim_param = value
        else:
            x[axis].dim_value = value
        return _Case(f"X dim {axis} = {value}", m)
    if kind == "unknown-op":
        op, domain = rng.choice([("Frobnicate", ""), ("Cos", ""), ("Custom", "com.example")])
        if domain:
            m.opset_import.append(helper.make_opsetid(domain, 1))
        m.graph.node.append(helper.make_node(op, ["Y_h"], ["Z"], name="extra", domain=domain))
        shape = [d.dim_value for d in m.graph.output[1].type.tensor_type.shape.dim]
        m.graph.output.append(helper.make_tensor_value_info("Z", TensorProto.FLOAT, shape))
        return _Case(f"op {domain}.{op}", m, expect=op)
    if kind == "activation":
        directions = 2 if any(a.s == b"bidirectional" for a in node.attribute) else 1
        count = {"LSTM": 3, "GRU": 2, "RNN": 1}[node.op_type] * directions
        names = ["Tanh"] * count
        names[rng.randrange(count)] = rng.choice(["Bogus", "swish", "gelu"])
        _set_attr(node, "activations", names)
        return _Case("unknown activation", m, expect="activation")
    if kind == "opset":
        m.opset_import[0].version = rng.choice([checks.MAX_OPSET + 1, 99, 1000])
        return _Case(f"opset {m.opset_import[0].version}", m, expect="opset")
    if kind == "external-data":
        t = _init(m, rng.choice([t.name for t in m.graph.initializer]))
        location = rng.choice(["missing.bin", "../outside.bin", "/etc/hostname", "a/../../b.bin", "short.bin"])
        t.ClearField("raw_data")
        del t.float_data[:]
        t.data_location = TensorProto.EXTERNAL
        entry = t.external_data.add()
        entry.key, entry.value = "location", location
        return _Case(f"external {location}", m, expect="external")
    if kind == "no-outputs":
        del m.graph.output[:]
        return _Case("no outputs", m, expect="no outputs")
    # options
    flag, values = rng.choice(_OPTIONS)
    value = rng.choice(values)
    if value == "matrix+":
        value = str(4 * max(H, I) if max(H, I) & (max(H, I) - 1) == 0 else 16)
    valid = {
        "--top": ("kernel2",), "--device": ("xczu9eg", "xcu250"), "--clock-mhz": ("100", "300.5"),
        "--weight-bits": ("16",), "--act-bits": ("12",),
    }
    expect = None if value in valid.get(flag, ()) else flag
    top = value if flag == "--top" else "ercc_kernel"
    return _Case(f"{flag} {value!r}", m, [flag, value], expect, top=top)


_KINDS = [
    *["valid"] * 6, *["truncate"] * 5, *["bitflip"] * 8, "garbage", "missing-initializer",
    *["weight-shape"] * 2, "hidden-size", *["nonfinite"] * 2, *["input-dims"] * 2, "unknown-op",
    "activation", "opset", *["external-data"] * 2, "no-outputs", *["options"] * 6,
]
_OPTIONS = [
    ("--block-size", ["0", "3", "-4", "6", "matrix+", "1099511627776", "x"]),
    ("--seq-len", ["0", "-1", "99", "1.5"]),
    ("--device", ["xczu9eg", "xcu250", "xc9000", "", "XCKU060"]),
    ("--clock-mhz", ["0", "-200", "100", "300.5", "1e9", "nan", "fast"]),
    ("--top", ["1st", "", "int", "main", "a-b", "é", "kernel2"]),
    ("--precision", ["double", "fixed<16,6>", ""]),
    ("--weight-bits", ["0", "99", "-3", "x", "16"]),
    ("--act-bits", ["0", "99", "2.5", "12"]),
]


def fuzz_cases(n: int, seed: int = FUZZ_SEED) -> list[_Case]:
    rng = random.Random(seed)
    return [_mutate(rng, i) for i in range(n)]


# --------------------------------------------------------------------------- #
# Running a case
# --------------------------------------------------------------------------- #


def _write_model(case: _Case, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    raw = case.model if isinstance(case.model, bytes) else case.model.SerializeToString()
    path.write_bytes(raw)
    (folder / "short.bin").write_bytes(b"\x00" * 3)  # external data too short for any tensor
    return path


def run_in_process(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run(argv)
    return code, err.getvalue()


def check_outcome(case: _Case, code: int, stderr: str, out: Path) -> None:
    where = f"case {case.label!r}: exit {code}, stderr {stderr!r}"
    assert "Traceback" not in stderr, where
    if code == EXIT_OK:
        assert case.expect in (None, "ok"), where
        assert all(ln.startswith("ercc: warning: ") for ln in stderr.splitlines()), where  # ignored options
        text = out.read_text()
        assert f"void {case.top}(" in text and text.endswith("\n"), where
        assert text.count("{") == text.count("}") and text.count("(") == text.count(")"), where
    else:
        assert code == EXIT_USER and case.expect != "ok", where
        lines = stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("ercc: error: "), where
        assert case.expect is None or case.expect in lines[0], where
        assert not out.exists(), where
        assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], where  # no temp files left


def _run_cases(cases: list[_Case], tmp_path: Path) -> dict[int, int]:
    codes: dict[int, int] = {}
    for i, case in enumerate(cases):
        folder = tmp_path / f"c{i}"
        model = _write_model(case, folder / "model")
        out = folder / "out" / "kernel.cpp"
        out.parent.mkdir(parents=True)
        code, stderr = run_in_process([str(model), "-o", str(out), *case.args])
        check_outcome(case, code, stderr, out)
        codes[code] = codes.get(code, 0) + 1
    return codes


def test_fuzz_every_case_is_a_kernel_or_one_line(tmp_path):
    codes = _run_cases(fuzz_cases(520), tmp_path)
    assert sum(codes.values()) == 520
    assert codes.get(EXIT_OK, 0) > 50 and codes.get(EXIT_USER, 0) > 200, codes


@pytest.mark.slow
def test_fuzz_sweep(tmp_path):
    for seed in range(1, 6):
        _run_cases(fuzz_cases(1000, seed=seed), tmp_path / str(seed))


def _ercc(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ercc", *map(str, args)], capture_output=True, text=True, timeout=120, env=env
    )


@pytest.mark.parametrize("kind", ["nonfinite", "truncate", "options"])
def test_fuzz_cases_through_the_real_entry_point(tmp_path, kind):
    rng = random.Random(kind)
    case = next(c for c in iter(lambda: _mutate(rng, 0), None) if _kind_of(c) == kind)
    model = _write_model(case, tmp_path / "model")
    out = tmp_path / "out" / "kernel.cpp"
    out.parent.mkdir()
    result = _ercc(model, "-o", out, *case.args)
    check_outcome(case, result.returncode, result.stderr, out)


def _kind_of(case: _Case) -> str:
    label = case.label
    for prefix, kind in (("non-finite", "nonfinite"), ("truncated", "truncate"), ("opset", "opset"),
                         ("external", "external-data"), ("--", "options")):
        if label.startswith(prefix):
            return kind
    return "other"


# --------------------------------------------------------------------------- #
# Specific messages and limits
# --------------------------------------------------------------------------- #


def _compile(model: onnx.ModelProto, tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    out = tmp_path / "k.cpp"
    code, err = run_in_process([str(path), "-o", str(out), *args])
    return code, err.strip(), out


def test_nan_weight_names_initializer_and_node(tmp_path):
    m = make_lstm_model(T=3, I=3, H=4)
    r = numpy_helper.to_array(_init(m, "R")).copy()
    r[0, 5, 2] = np.nan
    _set_init(m, "R", r)
    code, err, out = _compile(m, tmp_path)
    assert code == EXIT_USER and not out.exists()
    assert "node 'lstm_0' (LSTM): initializer 'R' holds NaN or infinite values" in err
    assert "[0, 5, 2]" in err


def test_block_size_larger_than_every_matrix(tmp_path):
    code, err, out = _compile(make_gru_model(T=3, I=3, H=4), tmp_path, "--block-size", "8")
    assert code == EXIT_USER and not out.exists()
    assert "--block-size 8 is larger than every recurrent weight matrix" in err and "4x4" in err  # R, not W
    assert _compile(make_gru_model(T=3, I=3, H=4), tmp_path, "--block-size", "4")[0] == EXIT_OK


def test_huge_sequence_fails_fast_with_numbers(tmp_path):
    code, err, out = _compile(make_lstm_model(T=None, I=3, H=4), tmp_path, "--seq-len", str(10**9))
    assert code == EXIT_USER and not out.exists()
    assert "3,000,000,000 elements" in err and f"{checks.MAX_TENSOR_ELEMENTS:,}" in err


def test_too_many_weights_fail_before_loading(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "MAX_WEIGHT_ELEMENTS", 100)
    code, err, _ = _compile(make_lstm_model(T=3, I=3, H=4), tmp_path)
    assert code == EXIT_USER and "weight elements" in err and "100" in err


def test_work_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(checks, "MAX_MACS_PER_SEQUENCE", 1000)
    code, err, _ = _compile(make_lstm_model(T=5, I=3, H=4), tmp_path)
    # 5 steps x 4 gates x 4 x (3 + 4) = 560 MACs: under the limit
    assert code == EXIT_OK, err
    code, err, _ = _compile(make_lstm_model(T=10, I=3, H=4), tmp_path)
    assert code == EXIT_USER and "1.12e+03 multiply-accumulates" in err


def test_external_data_inside_the_folder_loads(tmp_path):
    m = make_lstm_model(T=3, I=3, H=4)
    folder = tmp_path / "model"
    folder.mkdir()
    from onnx.external_data_helper import convert_model_to_external_data

    convert_model_to_external_data(m, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    onnx.save(m, folder / "m.onnx")
    out = tmp_path / "k.cpp"
    code, err = run_in_process([str(folder / "m.onnx"), "-o", str(out)])  # cwd is not the model's folder
    assert code == EXIT_OK, err
    (folder / "weights.bin").write_bytes(b"")
    code, err = run_in_process([str(folder / "m.onnx"), "-o", str(tmp_path / "k2.cpp")])
    assert code == EXIT_USER and "external weight data" in err and not (tmp_path / "k2.cpp").exists()


# --------------------------------------------------------------------------- #
# Determinism
# --------------------------------------------------------------------------- #


def _env(hash_seed: str) -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": hash_seed}


def test_same_kernel_bytes_under_different_hash_seeds(tmp_path):
    model = tmp_path / "gru.onnx"
    make_gru_model(model, T=4, I=6, H=8, direction="bidirectional")
    kernels = []
    for seed in ("1", "4242"):
        out = tmp_path / seed / "k.cpp"  # one name: the kernel includes k_weights.h
        out.parent.mkdir()
        result = _ercc(model, "-o", out, "--block-size", "4", env=_env(seed))
        assert result.returncode == 0, result.stderr
        kernels.append(out.read_bytes() + (out.parent / "k_weights.h").read_bytes())
    assert kernels[0] == kernels[1]


def test_same_simulation_bytes_under_different_hash_seeds(tmp_path):
    model = tmp_path / "lstm.onnx"
    make_lstm_model(model, T=4, I=3, H=4)
    inputs = tmp_path / "in.npz"
    np.savez(inputs, X=np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32))
    outputs = []
    for seed in ("1", "4242"):
        out = tmp_path / f"o{seed}.npz"
        result = _ercc("simulate", model, "--inputs", inputs, "-o", out, "--block-size", "2", env=_env(seed))
        assert result.returncode == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert set(np.load(tmp_path / "o1.npz").files) == {"Y", "Y_h"}


# --------------------------------------------------------------------------- #
# Internal errors name the pass
# --------------------------------------------------------------------------- #


class _BreakIR(ModulePass):
    """Test-only: drops the values the kernel returns, so func.return no longer matches its function."""

    name = "break-ir-for-test"

    def apply(self, ctx, op) -> None:
        from xdsl.dialects import func as func_dialect

        ret = next(o for o in op.walk() if isinstance(o, func_dialect.ReturnOp))
        ret.parent_block().insert_op_before(func_dialect.ReturnOp(), ret)
        ret.detach()
        ret.erase(safe_erase=False)


def test_broken_pass_is_named(tmp_path):
    from ercc.frontends.onnx_import import import_onnx

    imported = import_onnx(make_lstm_model(T=3, I=3, H=4))
    ctx = make_context()
    with pytest.raises(InternalCompilerError, match="after pass 'break-ir-for-test'"):
        run_passes(ctx, imported.module, [_BreakIR()])


def test_internal_error_is_exit_1_one_line(tmp_path, monkeypatch):
    import ercc.compiler.pipeline as pipeline

    def broken(options):
        return [_BreakIR()]

    monkeypatch.setattr(pipeline, "default_passes", broken)
    path = tmp_path / "m.onnx"
    make_lstm_model(path, T=3, I=3, H=4)
    out = tmp_path / "k.cpp"
    code, err = run_in_process([str(path), "-o", str(out)])
    assert code == EXIT_INTERNAL and not out.exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ercc: internal error: InternalCompilerError")
    assert "break-ir-for-test" in lines[0] and "--debug" in lines[0]
    code, err = run_in_process([str(path), "-o", str(out), "--debug"])
    assert code == EXIT_INTERNAL and "Traceback" in err and "break-ir-for-test" in err
