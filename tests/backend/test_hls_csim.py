"""C simulation plumbing: header discovery, the compile cache, the driver, failures."""

from __future__ import annotations

import numpy as np
import pytest
from hls_helpers import parse

from ercc.backends.hls import ap_types
from ercc.backends.hls.csim import build_csim, find_ap_types
from ercc.backends.hls.emitter import emit_hls
from ercc.backends.hls.kernel import EmittedKernel, KernelPort
from ercc.errors import ErccError

IDENTITY = """func.func @k(%x: tensor<2x3xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<2x3xf32>) {
  func.return %y, %x : tensor<4xf32>, tensor<2x3xf32>
}"""


def test_ap_types_prefers_xilinx_hls(tmp_path, monkeypatch):
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "ap_fixed.h").write_text("")
    monkeypatch.setenv("XILINX_HLS", str(tmp_path))
    assert find_ap_types() == tmp_path / "include"


def test_ap_types_falls_back_to_hls4ml(tmp_path, monkeypatch):
    monkeypatch.setenv("XILINX_HLS", str(tmp_path))  # no include/ap_fixed.h there
    found = find_ap_types()
    assert (found / "ap_fixed.h").is_file() and found.parts[-3:] == ("templates", "vivado", "ap_types")


def test_ap_types_missing_is_a_user_error(monkeypatch):
    monkeypatch.delenv("XILINX_HLS", raising=False)
    monkeypatch.setattr(ap_types.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ErccError, match="install hls4ml .* XILINX_HLS"):
        find_ap_types()


def test_ports_are_reordered_and_batched():
    program = build_csim(emit_hls(parse(IDENTITY)))
    x = np.arange(5 * 6, dtype=np.float32).reshape(5, 2, 3)
    y = -np.arange(5 * 4, dtype=np.float32).reshape(5, 4)
    out_y, out_x = program.run([x, y])
    np.testing.assert_array_equal(out_x, x)
    np.testing.assert_array_equal(out_y, y)


def test_cache_reuses_the_binary(tmp_path):
    kernel = emit_hls(parse(IDENTITY))
    first = build_csim(kernel, cache_dir=tmp_path)
    stamp = first.binary.stat().st_mtime_ns
    second = build_csim(kernel, cache_dir=tmp_path)
    assert second.binary == first.binary and second.binary.stat().st_mtime_ns == stamp
    assert first.binary.parent.parent == tmp_path
    assert not [p for p in first.binary.parent.iterdir() if p.name.startswith(".")]  # no temp files left


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ERCC_CACHE_DIR", str(tmp_path))
    assert build_csim(emit_hls(parse(IDENTITY))).binary.is_relative_to(tmp_path)


def test_compile_failure_is_an_internal_error(tmp_path):
    broken = EmittedKernel(
        source="typedef float data_t;\nvoid k(const data_t x[1], data_t y[1]) { y[0] = undefined_name; }\n",
        top="k",
        inputs=[KernelPort("x", "x", (1,), "data_t")],
        outputs=[KernelPort("y", "y", (1,), "data_t")],
    )
    with pytest.raises(RuntimeError, match="undefined_name"):
        build_csim(broken, cache_dir=tmp_path)


def test_driver_converts_to_fixed_point():
    """Ports typed ap_fixed: inputs are quantized on the way in, outputs converted back."""
    kernel = EmittedKernel(
        source=(
            "#include <ap_fixed.h>\ntypedef ap_fixed<8, 4, AP_RND, AP_SAT> fix_t;\n"
            "void k(const fix_t x[3], fix_t y[3]) {\n"
            "  k_i0: for (int i0 = 0; i0 < 3; i0++) { y[i0] = x[i0]; }\n}\n"
        ),
        top="k",
        inputs=[KernelPort("x", "x", (3,), "fix_t")],
        outputs=[KernelPort("y", "y", (3,), "fix_t")],
    )
    (y,) = build_csim(kernel).run([np.array([[0.30, -1.0, 100.0]], dtype=np.float32)])
    np.testing.assert_array_equal(y, [[0.3125, -1.0, 7.9375]])  # 1/16 steps, saturated at 8 - 1/16


def test_wrong_input_shape_is_rejected():
    program = build_csim(emit_hls(parse(IDENTITY)))
    with pytest.raises(ValueError, match="must have shape"):
        program.run([np.zeros((2, 3, 2)), np.zeros((2, 4))])
