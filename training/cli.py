"""`ercc admm MODEL.onnx --data train.npz --block-size K -o OUT.onnx`: ADMM-train an ONNX model.

The model is rebuilt in torch (``onnx_model.OnnxModule``) and trained by
``ercc.training.fit`` with the default ``Schedule`` (every length in
optimizer steps derived from the data size; ADMM until the primal residual
reaches ``--tol``, early-stopped circulant fine-tuning), judged on a seeded,
stratified hold-out of ``--data`` (or on ``--val``), and written back as the
same graph with the trained initializers. With the labels key in the .npz it
trains on the task (integer labels: cross-entropy, judged by accuracy; float
targets: MSE), otherwise it distils the dense model's own outputs (MSE).

Exit codes: 0 done; 2 bad input (one line, nothing written); 3 ``--max-drop``
not met within the rounds allowed (the best model reached is written and the
figures are printed).
"""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import onnx
import torch
from rich.console import Console

from ercc.errors import EXIT_USER, ErccError
from ercc.numerics.intmath import is_power_of_two
from ercc.training.data import ArrayData, Objective, holdout
from ercc.training.fit import fit, make_progress, resolve_device
from ercc.training.onnx_model import OnnxModule, write_back
from ercc.training.schedule import Schedule

EXIT_MAX_DROP = 3  # --max-drop not met: the best model reached is written, the figures printed
_DEFAULT = Schedule()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ercc admm", description=__doc__.splitlines()[0])
    p.add_argument("model", type=Path, help="input ONNX model with LSTM/GRU/RNN nodes")
    p.add_argument("--data", type=Path, default=None, help=".npz with one array per graph input (+ labels)")
    p.add_argument("--block-size", type=int, default=None, metavar="K",
                   help="circulant block size, a power of two (as for compiling); per layer and matrix in --config")
    p.add_argument("-o", "--output", type=Path, default=None, help="output ONNX model")
    p.add_argument("--config", default=None, metavar="FILE",
                   help="a .yaml or .json file of these options (keys as the long options) and per-layer block sizes:"
                   " 'layers: {ONNX_NODE_NAME: {block-size: K, block-size-w: KW, block-size-r: KR}}'")
    v = p.add_argument_group("validation")
    v.add_argument("--val", type=Path, default=None, help="validation .npz (same keys and shapes as --data);"
                   " default: a seeded, stratified share of --data")
    v.add_argument("--val-fraction", type=float, default=0.15, help="share of --data held out (default 0.15)")
    v.add_argument("--max-drop", type=float, default=None, metavar="X",
                   help="keep going (more ADMM rounds at larger ρ, more fine-tuning) until the validation accuracy"
                   " is at most X below dense (0.01 = one point; loss: X relative), else exit 3")
    s = p.add_argument_group("schedule (the defaults need no tuning; lengths come from the data size)")
    s.add_argument("--tol", type=float, default=_DEFAULT.tol, help=f"ADMM runs until ‖W − Z‖/‖W‖ ≤ this (default {_DEFAULT.tol:g})")
    s.add_argument("--epochs", type=int, default=None, help="cap on ADMM epochs (default: no cap)")
    s.add_argument("--finetune-epochs", type=int, default=None, help="cap on fine-tuning epochs (default: no cap)")
    s.add_argument("--lr", type=float, default=_DEFAULT.lr, help=f"ADMM Adam learning rate (default {_DEFAULT.lr:g}, cosine-decayed)")
    s.add_argument("--finetune-lr", type=float, default=_DEFAULT.finetune_lr,
                   help=f"fine-tuning learning rate (default {_DEFAULT.finetune_lr:g}, halved on a plateau)")
    s.add_argument("--rho", type=float, default=_DEFAULT.rho, help=f"initial ADMM penalty (default {_DEFAULT.rho:g})")
    s.add_argument("--rho-factor", type=float, default=_DEFAULT.rho_factor,
                   help=f"ρ multiplier per Z-update (default {_DEFAULT.rho_factor:g})")
    s.add_argument("--rho-max", type=float, default=_DEFAULT.rho_max, help=f"cap on ρ (default {_DEFAULT.rho_max:g})")
    d = p.add_argument_group("data and run")
    d.add_argument("--batch-size", type=int, default=32, help="mini-batch size if the graph's is dynamic")
    d.add_argument("--batch-axis", type=int, default=0, help="batch axis of the graph inputs/outputs (default 0)")
    d.add_argument("--labels-key", default="labels", help="npz key of the labels/targets (default 'labels')")
    d.add_argument("--seed", type=int, default=0, help="seed of the split, the initialisation and the data order")
    d.add_argument("--torch-device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="auto: a GPU when torch sees one (default); runs on CPU are deterministic for a seed")
    d.add_argument("--quiet", action="store_true", help="no progress display and no table (the summary line stays)")
    return p


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line over the --config file's values (as `ercc --config`), checked before any work."""
    from ercc.compiler.compile_command import parse

    p = build_parser()
    keys = {a.dest for a in p._actions if a.dest not in ("help", "config", "model")} | {"layers"}
    p.set_defaults(layers=None)
    args = parse(p, argv, keys=keys)
    for flag in ("data", "output"):
        if getattr(args, flag) is None:
            raise ErccError(f"--{flag} is required (on the command line or in --config)")
    if args.max_drop is not None and not args.max_drop >= 0:
        raise ErccError(f"--max-drop must be >= 0 (accuracy points as a fraction, or relative loss), got {args.max_drop}")
    if not 0 < args.val_fraction < 1:
        raise ErccError(f"--val-fraction must be in (0, 1), got {args.val_fraction}")
    if args.batch_size < 1:
        raise ErccError(f"--batch-size must be >= 1, got {args.batch_size}")
    return args


def _layers(args: argparse.Namespace) -> dict[str, tuple[int | None, int | None]]:
    """`layers:` of the config as node -> (K of W, K of R), through the compiler's own LayerOptions."""
    from ercc.compiler.pipeline import CompileOptions

    options = CompileOptions(block_size=args.block_size or 1, layers=args.layers or ())
    options.validate()
    return {n: options.block_sizes_of(n) for n in options.layer_block_sizes()}


def block_sizes(args: argparse.Namespace, model: onnx.ModelProto, module: OnnxModule) -> dict[str, int]:
    """Every constrained W and R of the module with its K (>1); errors for bad or missing block sizes."""
    from ercc.frontends.checks import check_block_size

    k = args.block_size
    if k is not None and not is_power_of_two(k):  # the compiler accepts only these: refuse before training
        raise ErccError(f"--block-size must be a power of two (1, 2, 4, 8, ...), got {k}")
    layers = _layers(args)
    if k is None and not layers:
        raise ErccError("--block-size is required (or per-layer block sizes under 'layers' in --config)")
    check_block_size(model, k or 1, layers={n: max(ks) for n, ks in layers.items()})
    sizes = {key: kk for key, kk in module.block_sizes(k or 1, layers).items() if kk > 1}
    if not sizes:
        raise ErccError("every block size is 1: there is nothing to make block-circulant")
    return sizes


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


def load_arrays(path: Path, model: onnx.ModelProto, args: argparse.Namespace) -> tuple[list[np.ndarray], np.ndarray | None, list[str]]:
    """Read the .npz and check it against the graph: (inputs, labels or None, the file's keys)."""
    try:
        npz = np.load(path)
    except (OSError, ValueError) as e:
        raise ErccError(f"cannot read data: {e}") from None
    with npz:
        keys = sorted(npz.files)
        inputs = []
        for info in _graph_inputs(model):
            if info.name not in npz:
                raise ErccError(f"no array '{info.name}' for graph input '{info.name}' (arrays: {', '.join(keys)})")
            inputs.append(_check_array(info.name, npz[info.name], info, args.batch_axis))
        labels = npz[args.labels_key] if args.labels_key in npz else None
    counts = {x.shape[args.batch_axis] for x in inputs} | ({len(labels)} if labels is not None else set())
    if len(counts) != 1 or 0 in counts:
        raise ErccError(f"inputs and labels disagree on the number of samples: {sorted(counts)}")
    if labels is not None and (labels.dtype.kind not in "iuf" or (labels.dtype.kind == "f" and not np.isfinite(labels).all())):
        raise ErccError(f"labels '{args.labels_key}' must be finite numbers")
    return inputs, labels, keys


def _same_layout(train, val, names: list[str], args) -> None:
    """A validation file must hold what the training file holds: the same keys, the same per-sample shapes."""
    (xs, y, keys), (vxs, vy, vkeys) = train, val
    if keys != vkeys:
        raise ErccError(f"the validation set has arrays {', '.join(vkeys)}; --data has {', '.join(keys)}")
    for x, vx, key in zip(xs, vxs, names):
        if np.delete(x.shape, args.batch_axis).tolist() != np.delete(vx.shape, args.batch_axis).tolist():
            raise ErccError(f"array '{key}' has shape {vx.shape} in the validation set, {x.shape} in --data"
                            " (only the batch may differ)")
    if y is not None and (y.shape[1:] != vy.shape[1:] or y.dtype.kind != vy.dtype.kind):
        raise ErccError(f"labels '{args.labels_key}' are {vy.dtype} {vy.shape} in the validation set,"
                        f" {y.dtype} {y.shape} in --data")


def _output(module: OnnxModule, inputs, batch_axis: int) -> torch.Tensor:
    """The first graph output, batch first."""
    return module(*inputs)[0].movedim(batch_axis, 0)


def _objective(module: OnnxModule, probe: torch.Tensor, labels: np.ndarray, args) -> tuple[Objective, np.ndarray]:
    """Classification for integer labels (checked against the output's classes), regression for float targets."""
    forward = lambda m, xs: _output(m, xs, args.batch_axis)  # noqa: E731
    if labels.dtype.kind in "iu":
        classes = probe.shape[-1]
        if probe.shape[1:-1] != labels.shape[1:] or labels.min() < 0 or labels.max() >= classes:
            raise ErccError(f"labels '{args.labels_key}' (shape {labels.shape}, range {labels.min()}..{labels.max()}) "
                            f"do not fit the model output (shape {tuple(probe.shape)}, {classes} classes)")
        final = module.final_op()
        if final == "Softmax":  # probabilities: train on their log, as the LogSoftmax graphs do
            log = lambda m, xs: forward(m, xs).clamp_min(1e-12).log()  # noqa: E731
            return Objective.classification(log, log_probs=True), labels.astype(np.int64)
        return Objective.classification(forward, log_probs=final == "LogSoftmax"), labels.astype(np.int64)
    if probe.shape[1:] != labels.shape[1:]:
        raise ErccError(f"targets '{args.labels_key}' (shape {labels.shape}) do not fit the model output "
                        f"(shape {tuple(probe.shape)})")
    return Objective.regression(forward), labels.astype(np.float32)


def _teacher(module: OnnxModule, inputs: list[np.ndarray], args, batch: int) -> np.ndarray:
    """The dense model's outputs on every sample, in sample order: the distillation targets."""
    data = ArrayData(tuple(inputs), np.zeros(inputs[0].shape[args.batch_axis], np.float32), batch, args.batch_axis)
    with torch.no_grad():
        return torch.cat([_output(module, xs, args.batch_axis) for xs, _ in data.batches(0, -1)]).numpy()


def _static_batch(model: onnx.ModelProto, args) -> int | None:
    dim = _graph_inputs(model)[0].type.tensor_type.shape.dim[args.batch_axis]
    return dim.dim_value if dim.HasField("dim_value") else None


def prepare(args: argparse.Namespace):
    """Everything checked before training: (model, module, sizes, train, val, objective, mode)."""
    try:
        model = onnx.load(args.model)
    except Exception as e:  # onnx raises several unrelated types for a bad file
        raise ErccError(f"cannot read ONNX model: {' '.join(str(e).split())}", file=str(args.model)) from None
    module = _located(args.model, OnnxModule, model)
    sizes = _located(args.config or args.model, block_sizes, args, model, module)
    train = _located(args.data, load_arrays, args.data, model, args)
    val = None
    if args.val is not None:
        val = _located(args.val, load_arrays, args.val, model, args)
        _located(args.val, _same_layout, train, val, [i.name for i in _graph_inputs(model)], args)
    static = _static_batch(model, args)
    batch = static or args.batch_size
    if static:
        for path, part in ((args.data, train), (args.val, val)):
            if part is not None and part[0][0].shape[args.batch_axis] % static:
                raise ErccError(f"the graph's batch size is fixed at {static}; the number of samples must be a"
                                " multiple", file=str(path))
    probe_x = tuple(torch.from_numpy(np.take(x, np.arange(min(batch, x.shape[args.batch_axis])), args.batch_axis))
                    for x in train[0])
    try:
        with torch.no_grad():
            probe = _output(module, probe_x, args.batch_axis)
    except (RuntimeError, ValueError, IndexError) as e:
        raise ErccError(f"the model cannot run on the data: {' '.join(str(e).split())}", file=str(args.data)) from None
    parts = []
    for path, (xs, labels, _) in ((args.data, train), *(((args.val, val),) if val else ())):
        if labels is None:
            objective, targets = Objective.regression(lambda m, x: _output(m, x, args.batch_axis)), \
                _teacher(module, xs, args, batch)
        else:
            objective, targets = _located(path, _objective, module, probe, labels, args)
        parts.append(ArrayData(tuple(xs), targets, batch, args.batch_axis))
    mode = "labels" if train[1] is not None else "distillation"
    if val is None:
        try:
            fit_train, fit_val = holdout(parts[0], args.val_fraction, args.seed)
        except ValueError as e:
            raise ErccError(str(e), file=str(args.data)) from None
        if static:  # whole batches on both sides: the remainder of the validation share goes back to training
            keep = len(fit_val) - len(fit_val) % static
            if keep == 0:
                raise ErccError(f"{len(parts[0])} samples in batches of {static} are too few to hold out a"
                                f" validation share of {args.val_fraction:g} (pass --val)", file=str(args.data))
            fit_train = ArrayData(tuple(np.concatenate([a, np.take(b, np.arange(keep, len(fit_val)), args.batch_axis)],
                                                       args.batch_axis) for a, b in zip(fit_train.inputs, fit_val.inputs)),
                                  np.concatenate([fit_train.targets, fit_val.targets[keep:]]), batch, args.batch_axis)
            fit_val = fit_val.take(np.arange(keep))
    else:
        fit_train, fit_val = parts
    if static:
        fit_train = ArrayData(fit_train.inputs, fit_train.targets, batch, args.batch_axis, full_batches=True)
    return model, module, sizes, fit_train, fit_val, objective, mode


def schedule_of(args: argparse.Namespace) -> Schedule:
    try:
        return Schedule(tol=args.tol, lr=args.lr, finetune_lr=args.finetune_lr, rho=args.rho,
                        rho_factor=args.rho_factor, rho_max=args.rho_max, max_epochs=args.epochs,
                        finetune_max_epochs=args.finetune_epochs)
    except ValueError as e:
        raise ErccError(f"schedule options: {e}") from None


def run(args: argparse.Namespace, console: Console | None = None) -> dict:
    """Check, train, write; returns the summary (mode, report)."""
    schedule = schedule_of(args)
    try:
        device = resolve_device(args.torch_device)
    except ValueError as e:
        raise ErccError(f"--torch-device {args.torch_device}: {e}") from None
    model, module, sizes, train, val, objective, mode = prepare(args)
    torch.manual_seed(args.seed)
    console = console or Console(stderr=True)
    show = not args.quiet and console.is_terminal
    with make_progress(console) if show else nullcontext() as progress:
        report = fit(module, train, val, objective, sizes, schedule, max_drop=args.max_drop, seed=args.seed,
                     device=device, progress=progress)
    module.to("cpu")
    out = write_back(model, module.trained_initializers())
    onnx.checker.check_model(out)
    from ercc.compiler.output import write_atomically

    write_atomically(args.output, lambda tmp: onnx.save(out, str(tmp)))
    return {"mode": mode, "report": report, "schedule": schedule, "plan": schedule.plan(train.steps_per_epoch)}


def _located(path, fn, *args):
    """Call ``fn``, naming ``path`` in any ErccError it raises."""
    try:
        return fn(*args)
    except ErccError as e:
        raise e.with_file(str(path)) from None


def admm_command(argv: list[str]) -> int:
    """Entry point for `ercc admm`; raises ErccError for the driver to report (exit code 2)."""
    args = parse_args(argv)
    console = Console(stderr=True)
    summary = run(args, console)
    report = summary["report"]
    if not args.quiet:
        console.print(report.table())
    print(f"ercc admm: {summary['mode']}, {report.summary()} -> {args.output}", file=sys.stderr)
    kept = report.rounds[report.kept]
    if kept.residual > report_tol(summary, report):
        cap = f"--epochs {args.epochs}" if args.epochs is not None and kept.admm_steps == summary["plan"].admm_max_steps \
            else f"the step ceiling ({kept.admm_steps} steps)"
        print(f"ercc admm: stopped at {cap} before the residual reached --tol {args.tol:g} ({kept.residual:.2e});"
              " the weights were projected anyway", file=sys.stderr)
    if not report.met:
        print(f"ercc admm: --max-drop {args.max_drop:g} not met after {len(report.rounds)} rounds: the ADMM model is"
              f" {report.format_drop(report.drop)} from dense; wrote the best one reached", file=sys.stderr)
        return EXIT_MAX_DROP
    return 0


def report_tol(summary: dict, report) -> float:
    """The tolerance of the kept round (extra rounds tighten it)."""
    return summary["schedule"].escalate(report.kept).tol


def main() -> int:
    """`python -m ercc.training.cli`: like the driver, one-line error and exit code 2."""
    try:
        return admm_command(sys.argv[1:])
    except ErccError as e:
        print(f"ercc admm: error: {e}", file=sys.stderr)
        return EXIT_USER


if __name__ == "__main__":
    sys.exit(main())
