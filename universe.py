"""ercc's dialects, passes and targets, registered lazily for xdsl-opt and ercc-opt."""

from xdsl.universe import Universe


def _rnn():
    from ercc.dialects import sched_rows  # noqa: F401 - registers its checks of recorded decisions with rnn.map/scan
    from ercc.dialects.rnn import RNN

    return RNN


def _circ():
    from ercc.dialects.circ import CIRC

    return CIRC


def _fix():
    from ercc.dialects.fix import FIX

    return FIX


def _sched():
    from ercc.dialects.sched import SCHED

    return SCHED


def _pass(module: str, cls: str):
    def get():
        import importlib

        return getattr(importlib.import_module(f"ercc.passes.{module}"), cls)

    return get


def _hls_target():
    from ercc.backends.hls.target import HLSTarget

    return HLSTarget


ERCC_UNIVERSE = Universe(
    all_dialects={"rnn": _rnn, "circ": _circ, "sched": _sched, "fix": _fix},
    all_passes={
        "lower-rnn-layers": _pass("lower_rnn_layers", "LowerRNNLayers"),
        "integer-quantizers": _pass("integer_quantizers", "IntegerQuantizers"),
        "circulant-substitution": _pass("circulant_substitution", "CirculantSubstitution"),
        "fft-decompose": _pass("fft_decompose", "FFTDecompose"),
        "fuse-gate-macs": _pass("fuse_gate_macs", "FuseGateMacs"),
        "loop-schedule": _pass("loop_schedule", "LoopSchedule"),
        "quantize": _pass("quantize", "Quantize"),
        "activation-approximation": _pass("activation_approximation", "ActivationApproximation"),
        "pe-schedule": _pass("pe_schedule", "PESchedule"),
        "hoist-input-path": _pass("hoist_input_path", "HoistInputPath"),
    },
    all_targets={"hls-cpp": _hls_target},
)
