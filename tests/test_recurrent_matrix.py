"""Every attribute variant of ONNX LSTM / GRU / RNN, C-simulated against an oracle.

Each variant is one ONNX node built with `models.py`; at block size 1 the kernel
must compute the node itself, at block size 8 the node whose W and R are
block-circulant projected (`project_recurrent_weights`). The oracle is
onnxruntime, except for layout 1, which onnxruntime cannot run:
`onnx.reference.ReferenceEvaluator` serves there.

To keep the suite fast, the variants sharing an oracle and opset are merged into
one model (names prefixed by the variant id), compiled and simulated once per
block size; each variant is then one test asserting on its own outputs.

docs/support.md is rendered from `VARIANTS` (`render_support_table`); a test
checks it is current. Rewrite it with `python tests/test_recurrent_matrix.py`.
"""

from __future__ import annotations

import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
import pytest
from models import IR_VERSION, make_lstm_model, make_single_state_model, run_onnxruntime
from onnx import compose, helper

TOL = 1e-4
BLOCK_SIZES = [1, 8]
SUPPORT_DOC = Path(__file__).parents[1] / "docs" / "support.md"

# Every activation the ONNX spec lists for the recurrent ops, with non-default
# alpha/beta for the ones that take them (onnxruntime consumes an entry of
# activation_alpha/beta only for the functions that use it; so does ercc).
ACTIVATIONS: dict[str, tuple[float | None, float | None]] = {
    "Sigmoid": (None, None),
    "Tanh": (None, None),
    "Relu": (None, None),
    "HardSigmoid": (0.3, 0.45),
    "LeakyRelu": (0.05, None),
    "ThresholdedRelu": (0.1, None),
    "ScaledTanh": (0.8, 1.3),
    "Affine": (0.7, 0.2),
    "Elu": (0.6, None),
    "Softsign": (None, None),
    "Softplus": (None, None),
}


def _alpha_beta(names: list[str]) -> dict[str, list[float]]:
    alphas = [ACTIVATIONS[n][0] for n in names if ACTIVATIONS[n][0] is not None]
    betas = [ACTIVATIONS[n][1] for n in names if ACTIVATIONS[n][1] is not None]
    out: dict[str, list[float]] = {"activations": names}
    if alphas:
        out["activation_alpha"] = alphas
    if betas:
        out["activation_beta"] = betas
    return out


@dataclass(frozen=True)
class Variant:
    id: str
    op: str  # LSTM, GRU, RNN
    what: str  # the attribute or input exercised, for docs/support.md
    kwargs: dict = field(default_factory=dict)
    oracle: str = "onnxruntime"
    opset: int = 17

    def build(self) -> onnx.ModelProto:
        common = {"T": 5, "I": 5, "H": 8, "initial_state": True, "seed": zlib.crc32(self.id.encode()) % 1000, "opset": self.opset}
        common.update(self.kwargs)
        if self.op == "LSTM":
            return make_lstm_model(None, **common)
        return make_single_state_model(self.op, None, **common)


def _variants() -> list[Variant]:
    v: list[Variant] = []
    for name in ACTIVATIONS:
        v.append(Variant(f"rnn-act-{name}", "RNN", f"activations=[{name}]", _alpha_beta([name])))
        v.append(Variant(f"gru-f-{name}", "GRU", f"activations=[{name}, Tanh]", _alpha_beta([name, "Tanh"])))
        v.append(Variant(f"gru-g-{name}", "GRU", f"activations=[Sigmoid, {name}]", _alpha_beta(["Sigmoid", name])))
        v.append(Variant(f"lstm-f-{name}", "LSTM", f"activations=[{name}, Tanh, Tanh]", _alpha_beta([name, "Tanh", "Tanh"])))
        v.append(Variant(
            f"lstm-gh-{name}", "LSTM", f"activations=[Sigmoid, {name}, {name}]", _alpha_beta(["Sigmoid", name, name])
        ))
    both = ["Sigmoid", "Tanh", "Tanh", "HardSigmoid", "Softsign", "Elu"]
    v += [
        Variant("lstm-bidir-activations", "LSTM", "bidirectional, other activations per direction",
                {"direction": "bidirectional", **_alpha_beta(both)}),
        Variant("gru-bidir-activations", "GRU", "bidirectional, other activations per direction",
                {"direction": "bidirectional", **_alpha_beta(["Sigmoid", "Tanh", "HardSigmoid", "ScaledTanh"])}),
        Variant("lstm-peepholes", "LSTM", "peepholes P", {"peepholes": True}),
        Variant("lstm-peepholes-bidir", "LSTM", "peepholes P, bidirectional",
                {"peepholes": True, "direction": "bidirectional"}),
        Variant("lstm-input-forget", "LSTM", "input_forget=1", {"input_forget": True}),
        Variant("lstm-clip", "LSTM", "clip=0.6", {"clip": 0.6}),
        Variant("lstm-all-reverse", "LSTM", "peepholes, input_forget, clip, reverse",
                {"peepholes": True, "input_forget": True, "clip": 0.8, "direction": "reverse"}),
        Variant("lstm-no-bias-no-state", "LSTM", "no B, no initial states", {"bias": False, "initial_state": False}),
        Variant("gru-clip", "GRU", "clip=0.5, linear_before_reset=1", {"clip": 0.5, "linear_before_reset": 1}),
        Variant("rnn-clip", "RNN", "clip=0.7, reverse", {"clip": 0.7, "direction": "reverse"}),
    ]
    for op in ("LSTM", "GRU", "RNN"):
        extra = {"peepholes": True} if op == "LSTM" else {"linear_before_reset": 1} if op == "GRU" else {}
        v.append(Variant(f"{op.lower()}-layout1", op, "layout=1 (batch-major), bidirectional",
                         {"layout": 1, "direction": "bidirectional", **extra}, oracle="reference"))
    for opset in (7, 14, 22):
        v.append(Variant(f"lstm-opset{opset}", "LSTM", f"opset {opset}, bidirectional, peepholes",
                         {"direction": "bidirectional", "peepholes": True}, opset=opset))
    for op in ("GRU", "RNN"):
        v.append(Variant(f"{op.lower()}-opset22", op, "opset 22, bidirectional", {"direction": "bidirectional"},
                         opset=22))
    return v


VARIANTS = _variants()
_BY_ID = {v.id: v for v in VARIANTS}


def _group(v: Variant) -> tuple[str, int]:
    return (v.oracle, v.opset)


def _merged(variants: list[Variant]) -> onnx.ModelProto:
    """One model holding every variant's node, its names prefixed by the variant id."""
    merged = None
    for v in variants:
        model = compose.add_prefix(v.build(), f"{v.id.replace('-', '_')}__")
        merged = model if merged is None else _union(merged, model)
    assert merged is not None
    merged.ir_version = IR_VERSION
    onnx.checker.check_model(merged)
    return merged


def _union(a: onnx.ModelProto, b: onnx.ModelProto) -> onnx.ModelProto:
    graph = helper.make_graph(
        [*a.graph.node, *b.graph.node], "matrix", [*a.graph.input, *b.graph.input],
        [*a.graph.output, *b.graph.output], [*a.graph.initializer, *b.graph.initializer],
    )
    return helper.make_model(graph, ir_version=IR_VERSION, opset_imports=list(a.opset_import))


def _oracle(model: onnx.ModelProto, oracle: str, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if oracle == "onnxruntime":
        return run_onnxruntime(model, feeds)
    from onnx.reference import ReferenceEvaluator

    names = [o.name for o in model.graph.output]
    return dict(zip(names, ReferenceEvaluator(model).run(None, feeds)))


@pytest.fixture(scope="module")
def matrix_errors(tmp_path_factory):
    """Lazily: (variant, block size) → max abs error over the variant's outputs.

    Unbounded activations in gate slots (e.g. LeakyRelu as a GRU's f) let the
    state grow to ~1e3 within 5 steps, so the error is relative to the largest
    output magnitude when that exceeds 1.
    """
    from ercc.compiler.onnx_projection import project_recurrent_weights
    from ercc.compiler.pipeline import CompileOptions
    from ercc.compiler.simulate import simulate_arrays

    root = tmp_path_factory.mktemp("matrix")
    errors: dict[tuple[str, int], float] = {}
    done: set[tuple] = set()

    def get(variant: Variant, block_size: int) -> float:
        key = (*_group(variant), block_size)
        if key not in done:
            done.add(key)
            members = [v for v in VARIANTS if _group(v) == _group(variant)]
            model = _merged(members)
            path = root / f"{key[0]}_{key[1]}_{block_size}.onnx"
            onnx.save(model, path)
            rng = np.random.default_rng(block_size)
            feeds = {
                i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
                for i in model.graph.input
            }
            oracle_model = project_recurrent_weights(model, block_size) if block_size > 1 else model
            want = _oracle(oracle_model, variant.oracle, feeds)
            got = simulate_arrays(path, feeds, CompileOptions(precision="float", block_size=block_size))
            for v in members:
                prefix = f"{v.id.replace('-', '_')}__"
                worst = 0.0
                for name, w in want.items():
                    if name.startswith(prefix):
                        assert got[name].shape == w.shape, name
                        assert np.all(np.isfinite(w)), f"{name}: the oracle overflows"
                        scale = max(1.0, float(np.abs(w).max()))
                        worst = max(worst, float(np.abs(got[name] - w).max()) / scale)
                errors[(v.id, block_size)] = worst
        return errors[(variant.id, block_size)]

    return get


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
@pytest.mark.parametrize("variant_id", [v.id for v in VARIANTS])
def test_variant(matrix_errors, variant_id, block_size):
    err = matrix_errors(_BY_ID[variant_id], block_size)
    print(f"{variant_id} K={block_size}: max error {err:.3g}")
    assert err <= TOL


# --------------------------------------------------------------------------- #
# docs/support.md
# --------------------------------------------------------------------------- #


def render_support_table() -> str:
    lines = [
        "# What ercc supports of the ONNX recurrent ops",
        "",
        "Generated from `tests/test_recurrent_matrix.py` (`python tests/test_recurrent_matrix.py`",
        "rewrites it; `test_support_table_is_current` fails when it drifts). Every row is a",
        f"pytest id `test_variant[<id>-<K>]` for K in {BLOCK_SIZES}: the C simulation of the",
        "node (block size 1) and of its block-circulant projection (block size 8) matches",
        f"the oracle within {TOL:g} (max abs error over all outputs, divided by the largest output",
        "magnitude where that exceeds 1; initial states are kernel inputs).",
        "",
        "| id | op | opset | variant | oracle |",
        "|---|---|---|---|---|",
    ]
    for v in VARIANTS:
        lines.append(f"| `{v.id}` | {v.op} | {v.opset} | {v.what} | {v.oracle} |")
    from test_torch_stacks import STACKS

    lines += [
        "",
        "## Stacks exported from torch",
        "",
        "`tests/test_torch_stacks.py`: pytest id `test_stack_matches_onnxruntime[<id>-<K>]`,",
        "K in [1, 8], C simulation against onnxruntime within 1e-4 (a Linear head on every step).",
        "",
        "| id | layers (kind, hidden, num_layers, bidirectional) | batch_first | exporter |",
        "|---|---|---|---|",
    ]
    for name, (layers, batch_first, dynamo) in STACKS.items():
        text = ", ".join(f"{k} {h}×{n}{' bidir' if b else ''}" for k, h, n, b in layers)
        lines.append(f"| `{name}` | {text} | {batch_first} | {'dynamo' if dynamo else 'legacy'} |")
    lines += ["", _EXTRA_SECTIONS.rstrip("\n"), *_operator_table()]
    return "\n".join(lines) + "\n"


def _operator_table() -> list[str]:
    """The importer's converter registry: every ONNX operator ercc compiles besides LSTM/GRU/RNN."""
    from ercc.frontends.onnx_import import _CONVERTERS, supported_operators

    lines = [
        "",
        "## Other ONNX operators",
        "",
        "The operators the compiler accepts around the recurrent layers (generated from the",
        "importer's converter registry, `_converts` in `frontends/onnx_import.py`). Shape",
        "computations on constants and on the input's shape (Shape, Gather, Concat,",
        "ConstantOfShape, ...) are folded away before import and may use any operator.",
        "",
        "| operator | supported as |",
        "|---|---|",
    ]
    for op in supported_operators():
        if op not in ("LSTM", "GRU", "RNN"):
            lines.append(f"| {op} | {_CONVERTERS[op].__doc__.strip().splitlines()[0]} |")
    return lines


_EXTRA_SECTIONS = """\
## sequence_lens (variable-length sequences)

`tests/test_sequence_lens.py`: LSTM, GRU and RNN, forward, reverse and bidirectional, at
block sizes 1 and 4, a batch of 4 sequences with lengths [3, 0, 5, 1] out of T = 5, every
output (Y, Y_h, Y_c) against onnxruntime within 1e-4. A sequence_lens graph input (int32
[batch]) becomes an `int` kernel input holding the one sequence's length; a constant
sequence_lens must give every sequence the same length. As in onnxruntime, steps past the
length give Y = 0, the final states are those after the last valid step (zero for
length 0), and the reverse direction starts at step length − 1.

## Refused with a one-line error (exit code 2)

`tests/test_recurrent_errors.py`: RNNs written as Loop/Scan, activations outside the
spec, recurrent weights that are not constant initializers, dynamic feature dimensions.

## Not supported yet

- A constant `sequence_lens` with different lengths per sequence (make it a graph input), and
  `sequence_lens` computed by other nodes.
- Activations given without `activation_alpha`/`activation_beta` take the defaults of the
  ONNX operators of the same name (ThresholdedRelu alpha 1, ScaledTanh 1/1, Affine 1/0);
  onnxruntime uses 0 there, so models relying on the defaults of these three differ between
  onnxruntime and ercc.
"""


def test_support_table_is_current():
    assert SUPPORT_DOC.read_text() == render_support_table(), (
        "docs/support.md is stale: run `python tests/test_recurrent_matrix.py`"
    )


if __name__ == "__main__":
    SUPPORT_DOC.write_text(render_support_table())
    print(f"wrote {SUPPORT_DOC}", file=sys.stderr)
