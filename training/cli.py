"""`ercc admm MODEL.onnx --data train.npz --block-size K -o OUT.onnx`: ADMM-train an ONNX model.

The model is rebuilt in torch (``onnx_model.OnnxModule``), trained by ADMM so
that every gate slice of every W and R is block-circulant with block size K,
fine-tuned in the circulant parameterization, and written back as the same
graph with the trained initializers. With the labels key in the .npz it
trains on the task (integer labels: cross-entropy; float targets: MSE),
otherwise it distils the dense model's own outputs.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from ercc.compiler.errors import EXIT_USER, ErccError
from ercc.training.loop import AdmmConfig, admm_train, make_progress
from ercc.training.onnx_model import OnnxModule, write_back


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ercc admm", description=__doc__.splitlines()[0])
    p.add_argument("model", type=Path, help="input ONNX model with LSTM/GRU/RNN nodes")
    p.add_argument("--data", type=Path, required=True, help=".npz with one array per graph input")
    p.add_argument(
        "--block-size", type=int, required=True, metavar="K", help="circulant block size, a power of two (as for compiling)"
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="output ONNX model")
    p.add_argument("--epochs", type=int, default=10, help="maximum ADMM epochs (default 10)")
    p.add_argument("--finetune-epochs", type=int, default=3, help="epochs after projection (default 3)")
    p.add_argument("--rho", type=float, default=1e-2, help="initial ADMM penalty (default 1e-2)")
    p.add_argument("--rho-factor", type=float, default=1.5, help="ρ multiplier per Z-update (default 1.5)")
    p.add_argument("--rho-max", type=float, default=30.0, help="cap on ρ (default 30)")
    p.add_argument("--updates-per-epoch", type=int, default=4, help="Z/U updates per epoch (default 4)")
    p.add_argument("--tol", type=float, default=1e-2, help="stop ADMM at this relative primal residual (default 1e-2)")
    p.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate (default 3e-3)")
    p.add_argument("--batch-size", type=int, default=32, help="mini-batch size if the graph's is dynamic")
    p.add_argument("--batch-axis", type=int, default=0, help="batch axis of the graph inputs/outputs (default 0)")
    p.add_argument("--labels-key", default="labels", help="npz key of the labels/targets (default 'labels')")
    p.add_argument("--seed", type=int, default=0, help="seed of the initialisation and data order")
    return p


@dataclass
class Dataset:
    """Validated arrays: graph inputs (batch on ``batch_axis``) and optional labels (batch on 0)."""

    inputs: list[np.ndarray]
    labels: np.ndarray | None
    batch_axis: int
    batch_size: int

    @property
    def size(self) -> int:
        return self.inputs[0].shape[self.batch_axis]

    def steps(self) -> int:
        return -(-self.size // self.batch_size)

    def batches(self, seed: int, epoch: int, targets: np.ndarray | None = None):
        """Mini-batches in a seeded order that depends only on (seed, epoch); epoch -1 is in order."""
        order = np.arange(self.size) if epoch < 0 else np.random.default_rng([seed, epoch]).permutation(self.size)
        targets = self.labels if targets is None else targets
        for lo in range(0, self.size, self.batch_size):
            idx = order[lo:lo + self.batch_size]
            xs = tuple(torch.from_numpy(np.take(x, idx, axis=self.batch_axis)) for x in self.inputs)
            yield xs, (None if targets is None else torch.from_numpy(targets[idx]))


def _graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    initializers = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in initializers]


def _check_array(name: str, arr: np.ndarray, info: onnx.ValueInfoProto, batch_axis: int) -> np.ndarray:
    """One input array against its graph input: rank, static dims, finite values; cast to the graph dtype."""
    dims = [d.dim_value if d.HasField("dim_value") else None for d in info.type.tensor_type.shape.dim]
    if arr.ndim != len(dims) or not 0 <= batch_axis < arr.ndim:
        raise ErccError(f"array '{name}' has shape {arr.shape}, graph input has rank {len(dims)}")
    for axis, (have, want) in enumerate(zip(arr.shape, dims)):
        if want and axis != batch_axis and have != want:
            raise ErccError(f"array '{name}' has shape {arr.shape}, graph input needs {dims} (None = any)")
    dtype = onnx.helper.tensor_dtype_to_np_dtype(info.type.tensor_type.elem_type)
    if dtype.kind == "f":
        if arr.dtype.kind not in "fiu":
            raise ErccError(f"array '{name}' has dtype {arr.dtype}, graph input needs {dtype}")
        if not np.isfinite(arr).all():
            raise ErccError(f"array '{name}' contains NaN or Inf")
    return np.ascontiguousarray(arr.astype(dtype))


def load_dataset(path: Path, model: onnx.ModelProto, args: argparse.Namespace) -> Dataset:
    """Read the .npz and check it against the graph: one array per input, consistent sample counts."""
    try:
        npz = np.load(path)
    except (OSError, ValueError) as e:
        raise ErccError(f"cannot read data: {e}") from None
    with npz:
        inputs = []
        for info in _graph_inputs(model):
            if info.name not in npz:
                raise ErccError(f"no array '{info.name}' for graph input '{info.name}' "
                                f"(arrays: {', '.join(sorted(npz.files))})")
            inputs.append(_check_array(info.name, npz[info.name], info, args.batch_axis))
        labels = npz[args.labels_key] if args.labels_key in npz else None
    counts = {x.shape[args.batch_axis] for x in inputs} | ({len(labels)} if labels is not None else set())
    if len(counts) != 1 or 0 in counts:
        raise ErccError(f"inputs and labels disagree on the number of samples: {sorted(counts)}")
    if labels is not None and (labels.dtype.kind not in "iuf" or (labels.dtype.kind == "f" and not np.isfinite(labels).all())):
        raise ErccError(f"labels '{args.labels_key}' must be finite numbers")
    dim = _graph_inputs(model)[0].type.tensor_type.shape.dim[args.batch_axis]
    if not dim.HasField("dim_value"):
        return Dataset(inputs, labels, args.batch_axis, args.batch_size)
    if counts.pop() % dim.dim_value:
        raise ErccError(f"the graph's batch size is fixed at {dim.dim_value}; the number of samples must be a multiple")
    return Dataset(inputs, labels, args.batch_axis, dim.dim_value)


def _task_loss(module: OnnxModule, data: Dataset, probe: torch.Tensor, labels_key: str):
    """The loss for the labels: cross-entropy for integer classes, MSE for float targets."""
    labels = data.labels
    if labels.dtype.kind in "iu":
        classes = probe.shape[-1]
        if probe.shape[1:-1] != labels.shape[1:] or labels.min() < 0 or labels.max() >= classes:
            raise ErccError(f"labels '{labels_key}' (shape {labels.shape}, range {labels.min()}..{labels.max()}) "
                            f"do not fit the model output (shape {tuple(probe.shape)}, {classes} classes)")
        data.labels = labels.astype(np.int64)
        log_probs = {"LogSoftmax": lambda o: o, "Softmax": lambda o: o.clamp_min(1e-12).log()}.get(module.final_op())
        if log_probs:
            return lambda out, y: nn.functional.nll_loss(log_probs(out).flatten(0, -2), y.flatten())
        return lambda out, y: nn.functional.cross_entropy(out.flatten(0, -2), y.flatten())
    if probe.shape[1:] != labels.shape[1:]:
        raise ErccError(f"targets '{labels_key}' (shape {labels.shape}) do not fit the model output "
                        f"(shape {tuple(probe.shape)})")
    data.labels = labels.astype(np.float32)
    return nn.functional.mse_loss


def _output(module: OnnxModule, inputs, batch_axis: int) -> torch.Tensor:
    """The first graph output, batch first."""
    return module(*inputs)[0].movedim(batch_axis, 0)


def _teacher(module: OnnxModule, data: Dataset) -> np.ndarray:
    """The dense model's outputs on every sample, in sample order: the distillation targets."""
    with torch.no_grad():
        outs = [_output(module, xs, data.batch_axis) for xs, _ in data.batches(0, -1)]
    return torch.cat(outs).numpy()


def run(args: argparse.Namespace) -> dict:
    """Load, train, write; returns a summary of the run."""
    k = args.block_size
    if k < 1 or k & (k - 1):  # the compiler accepts only these: refuse before training, not after
        raise ErccError(f"--block-size must be a power of two (1, 2, 4, 8, ...), got {k}")
    try:
        model = onnx.load(args.model)
    except Exception as e:  # onnx raises several unrelated types for a bad file
        raise ErccError(f"cannot read ONNX model: {' '.join(str(e).split())}", file=str(args.model)) from None
    module = _located(args.model, OnnxModule, model)
    data = _located(args.data, load_dataset, args.data, model, args)
    torch.manual_seed(args.seed)
    first = next(iter(data.batches(args.seed, -1)))[0]
    try:
        with torch.no_grad():
            probe = _output(module, first, data.batch_axis)
    except (RuntimeError, ValueError, IndexError) as e:
        raise ErccError(f"the model cannot run on the data: {' '.join(str(e).split())}", file=str(args.data)) from None
    if data.labels is None:
        data.labels = _teacher(module, data)
        criterion, mode = nn.functional.mse_loss, "distillation"
    else:
        criterion, mode = _located(args.data, _task_loss, module, data, probe, args.labels_key), "labels"
    config = AdmmConfig(block_size=args.block_size, epochs=args.epochs, finetune_epochs=args.finetune_epochs,
                        lr=args.lr, rho=args.rho, rho_factor=args.rho_factor, rho_max=args.rho_max,
                        updates_per_epoch=args.updates_per_epoch, tol=args.tol)
    loss_fn = lambda m, xs, y: criterion(_output(m, xs, data.batch_axis), y)  # noqa: E731
    with make_progress() as progress:
        result = admm_train(module, lambda e: data.batches(args.seed, e), loss_fn, config,
                            steps_per_epoch=data.steps(), progress=progress)
    out = write_back(model, module.trained_initializers())
    onnx.checker.check_model(out)
    onnx.save(out, args.output)
    return {"mode": mode, "admm_epochs": result.admm_epochs, "residuals": result.residuals,
            "loss": result.final_loss, "seconds": result.seconds}


def _located(path: Path, fn, *args):
    """Call ``fn``, naming ``path`` in any ErccError it raises."""
    try:
        return fn(*args)
    except ErccError as e:
        raise e.with_file(str(path)) from None


def admm_command(argv: list[str]) -> int:
    """Entry point for `ercc admm`; raises ErccError for the driver to report (exit code 2)."""
    args = build_parser().parse_args(argv)
    summary = run(args)
    residual = summary["residuals"][-1] if summary["residuals"] else float("nan")
    print(
        f"ercc admm: {summary['mode']}, {summary['admm_epochs']} ADMM epochs (residual {residual:.2e}), "
        f"final loss {summary['loss']:.4f}, {summary['seconds']:.1f} s -> {args.output}", file=sys.stderr)
    if residual > args.tol:
        print(
            f"ercc admm: stopped at --epochs {args.epochs} before the residual reached --tol {args.tol:g}"
            f" ({residual:.2e}); the weights were projected anyway: more --epochs or a larger --rho-max"
            " bring the projection closer to the trained model", file=sys.stderr)
    return 0


def main() -> int:
    """`python -m ercc.training.cli`: like the driver, one-line error and exit code 2."""
    try:
        return admm_command(sys.argv[1:])
    except ErccError as e:
        print(f"ercc admm: error: {e}", file=sys.stderr)
        return EXIT_USER


if __name__ == "__main__":
    sys.exit(main())
