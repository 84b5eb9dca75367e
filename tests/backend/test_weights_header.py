"""Weights as data: the tables in a separate header as raw bit patterns, read as ap_fixed bit for bit;
the C simulation's compile-cost limits and g++ failures reported as such."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest
from models import make_lstm_model

from ercc.backends.hls import gxx
from ercc.backends.hls.csim import build_csim, driver_source, gxx_flags
from ercc.backends.hls.gxx import CSimBuildError, compile_cost
from ercc.backends.hls.printer_base import element_type
from ercc.backends.hls.weights import storage_type
from ercc.cli import run
from ercc.compiler.pipeline import CompileOptions, compile_model
from ercc.dialects import fix
from ercc.dialects.fix import raw_values
from ercc.interpreters.reference import ReferenceExecutor

_TABLE = re.compile(r"static const (\w+) (\w+)\[(\d+)\] = \{\n(.*?)\n\};", re.S)


def _tables(header: str) -> dict[str, tuple[str, np.ndarray]]:
    """Name -> (C type, values) of every table in a weights header."""
    return {
        name: (ctype, np.array([int(v) for v in body.replace(",", " ").split()], dtype=np.int64))
        for ctype, name, size, body in _TABLE.findall(header)
    }


@pytest.fixture(scope="module")
def fixed_lstm(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "lstm.onnx"
    make_lstm_model(path, T=6, I=5, H=8, seed=3)
    return compile_model(path, CompileOptions(block_size=4, precision="fixed"))


def test_fixed_tables_are_raw_integers_read_as_ap_fixed(fixed_lstm):
    imported, kernel = fixed_lstm
    tables = _tables(kernel.weights)
    consts = [op for op in imported.module.walk() if isinstance(op, fix.ConstOp)]
    assert consts and kernel.weights_file == "ercc_kernel_weights.h"
    readers = {storage: (fixed, ctype)
               for fixed, ctype, storage in re.findall(r"static const ercc_rom<(\w+), (\w+), (\w+)> \w+ = \{\};", kernel.source)}
    assert readers and set(readers) <= set(tables)
    for op in consts:  # each constant's raw values are a table of the smallest integer type of its width
        raw, fmt = raw_values(op.value).ravel(), element_type(op.result.type).format
        assert any(tables[s][0] == storage_type(fmt) == ct and np.array_equal(tables[s][1], raw)
                   for s, (_, ct) in readers.items()), op
    # The kernel holds no table: no initializer list of numbers, whatever the number of weights.
    assert not re.search(r"= \{\s*-?\d", kernel.source)
    assert '#include "ercc_kernel_weights.h"' in kernel.source and "v.V = BITS[i];" in kernel.source


def test_kernel_source_does_not_grow_with_the_weights(tmp_path):
    sizes = {}
    for hidden in (8, 32):
        make_lstm_model(tmp_path / f"h{hidden}.onnx", T=4, I=32, H=hidden, seed=1)
        _, kernel = compile_model(tmp_path / f"h{hidden}.onnx", CompileOptions(block_size=4, precision="fixed"))
        sizes[hidden] = len(kernel.source), len(kernel.weights)
    assert sizes[32][1] > 3 * sizes[8][1], sizes  # 4x the input weights, 16x the recurrent ones
    assert abs(sizes[32][0] - sizes[8][0]) < 0.05 * sizes[8][0], sizes


def test_csim_reads_the_same_bits_as_the_reference(fixed_lstm):
    imported, kernel = fixed_lstm
    x = (np.random.default_rng(0).standard_normal((3, *kernel.inputs[0].shape)) * 2).astype(np.float32)
    got = build_csim(kernel).run([x])
    want = ReferenceExecutor(imported.module).run_batch([x])
    for g, w in zip(got, want):
        assert np.count_nonzero(g != w) == 0


def test_the_project_header_and_the_csim_weights_file_hold_the_same_bits(fixed_lstm, tmp_path):
    """ercc's C simulation reads weights.bin; a project compiles the literal header: same outputs, bit for bit."""
    _, kernel = fixed_lstm
    csim_header = kernel.tables.csim_header(kernel.top)
    assert not re.search(r"= \{", csim_header) and "ercc_load_weights" in csim_header
    itemsize = {"int8_t": 1, "int16_t": 2, "int32_t": 4, "int64_t": 8, "int": 4}
    assert len(kernel.tables.data()) == sum(v.size * itemsize[ct] for ct, v in _tables(kernel.weights).values())
    files = kernel.files("kernel.cpp")
    assert list(files) == ["kernel_weights.h", "kernel.cpp"] and '#include "kernel_weights.h"' in files["kernel.cpp"]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    # The driver without its loader call: the tables are compiled in.
    driver = re.sub(r"  if \(ercc_load_weights.*?\n  }\n", "", driver_source(kernel), flags=re.S)
    (tmp_path / "driver.cpp").write_text(driver)
    subprocess.run(["g++", *gxx_flags(kernel), "driver.cpp", "-o", "literal"], cwd=tmp_path, check=True)
    x = (np.random.default_rng(1).standard_normal((2, *kernel.inputs[0].shape)) * 3).astype("<f4")
    x.tofile(tmp_path / "in.bin")
    subprocess.run(["./literal", "2", "in.bin", "out.bin", "-"], cwd=tmp_path, check=True)
    want = np.concatenate([y.reshape(2, -1) for y in build_csim(kernel).run([x])], axis=1)
    np.testing.assert_array_equal(np.fromfile(tmp_path / "out.bin", dtype="<f4"), want.ravel())


def test_a_build_over_the_limits_is_refused_before_g_plus_plus(fixed_lstm, tmp_path, monkeypatch):
    _, kernel = fixed_lstm
    cost = compile_cost(kernel)
    assert cost.code == len(kernel.source)
    monkeypatch.setenv("ERCC_CSIM_MAX_MIB", str(cost.mib / 2))
    with pytest.raises(CSimBuildError, match=r"ERCC_CSIM_MAX_MIB=.*--block-size"):
        build_csim(kernel, cache_dir=tmp_path)
    assert not any(tmp_path.iterdir())  # nothing written
    monkeypatch.setenv("ERCC_CSIM_MAX_MIB", "lots")
    with pytest.raises(gxx.ErccError, match="ERCC_CSIM_MAX_MIB must be a number"):
        build_csim(kernel, cache_dir=tmp_path)


def test_g_plus_plus_out_of_memory_is_reported_with_the_command(fixed_lstm, tmp_path, monkeypatch):
    _, kernel = fixed_lstm
    monkeypatch.setattr(gxx, "compile_cost", lambda k: gxx.CompileCost(seconds=1.0, mib=1.0, code=0))
    monkeypatch.setenv("ERCC_CSIM_MAX_MIB", "64")  # g++ capped at 64 MiB: too little for ap_fixed
    with pytest.raises(CSimBuildError, match=r"g\+\+ ran out of memory .* reproduce with: cd .* && g\+\+ .*-o csim"):
        build_csim(kernel, cache_dir=tmp_path)


def test_simulate_refusal_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    make_lstm_model(tmp_path / "m.onnx", T=3, I=4, H=8)
    np.savez(tmp_path / "in.npz", X=np.zeros((3, 1, 4), np.float32))
    monkeypatch.setenv("ERCC_CSIM_MAX_SECONDS", "0.5")
    code = run(["simulate", str(tmp_path / "m.onnx"), "--inputs", str(tmp_path / "in.npz"),
                "-o", str(tmp_path / "out.npz"), "--precision", "fixed", "--block-size", "4"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "too large to build" in err and "ERCC_CSIM_MAX_SECONDS=0.5" in err
    assert not (tmp_path / "out.npz").exists()


def test_a_kernel_file_is_written_with_its_own_weights_header(tmp_path):
    make_lstm_model(tmp_path / "m.onnx", T=3, I=4, H=8)
    for k in (2, 4):  # two kernels side by side keep their own headers
        assert run([str(tmp_path / "m.onnx"), "-o", str(tmp_path / f"k{k}.cpp"), "--block-size", str(k)]) == 0
    assert sorted(p.name for p in tmp_path.glob("k*")) == ["k2.cpp", "k2_weights.h", "k4.cpp", "k4_weights.h"]
    assert '#include "k4_weights.h"' in (tmp_path / "k4.cpp").read_text()
    assert "static const int16_t" in (tmp_path / "k4_weights.h").read_text()  # fixed point by default: raw bits
