"""One trial of an exploration: train a block-size assignment, score it at some bit widths, estimate its cost.

This is the only module of `ercc.exploration` that trains (through `ercc.training`),
and it runs inside the worker processes (or Ray tasks): everything it needs
arrives as bytes in a `Task`, so a worker on another machine needs no shared
files. Two budgets:

* ``screen``: a short ADMM on at most 512 training sequences (40 steps of
  ADMM, projection, 40 steps of circulant fine-tuning);
* ``full``: `ercc.training.fit` with its default, convergence-driven
  schedule (ADMM to the residual tolerance, projection, early-stopped
  circulant fine-tuning) and the exploration's accuracy requirement as its
  ``max_drop``: a first round that misses it gets fit's escalated rounds.

Both are scored on the validation set with the weights fake-quantized as the
kernel stores them (`export_compressed`, onnxruntime; activations in float).
`kernel_score` scores the kernel itself, the fixed-point C simulation (g++,
bit-exact with ercc's reference, activation bits included): it costs a g++
build, so the exploration runs it for the chosen config only.

The cost of a config is ercc's cost-model ESTIMATE after `pe-schedule`
(no g++): frames/s, latency, DSP/BRAM/LUT, weight bytes.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

import numpy as np
import onnx

from ercc.exploration.space import Config

BUDGETS = ("screen", "full")
SCREEN_SAMPLES = 512


def _screen_schedule():
    """A short ADMM: two periods of ADMM, two of circulant fine-tuning, one round (periods of 20 steps)."""
    from ercc.training import Schedule

    return Schedule(period_min=20, period_max=20, admm_min_periods=2, admm_max_periods=2, finetune_min_periods=2,
                    finetune_max_periods=2, max_rounds=1)


@dataclass
class Data:
    """Training and validation arrays as .npz bytes (graph inputs by name, labels under `labels_key`)."""

    train: bytes
    val: bytes
    labels_key: str = "labels"


@dataclass
class Task:
    """One training (or a cached one) and the configs to score with it."""

    model: bytes
    data: Data
    block_sizes: tuple[tuple[str, int], ...]
    budget: str
    seed: int
    configs: list[Config]
    device: str
    clock_mhz: float
    trained: bytes | None = None  # the trained model from the cache: skip training
    threads: int = 1
    max_drop: float | None = None  # the full budget's accuracy requirement, passed to fit()


@dataclass
class Outcome:
    """What a task gives back: the trained model (if it trained) and one score + estimate per config."""

    trained: bytes
    train_seconds: float
    scores: list[dict] = field(default_factory=list)


def _npz(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def train(model: onnx.ModelProto, data: Data, config: Config, budget: str, seed: int,
          max_drop: float | None = None) -> onnx.ModelProto:
    """The narrow interface to ercc.training: the model ADMM-trained to the config's block sizes, as ONNX.

    `max_drop` (the full budget only) is fit's accuracy requirement, measured on the same validation
    set and in the same units as the exploration's (accuracy points, or the relative loss).
    """
    from ercc.training import ArrayData, Objective, fit
    from ercc.training.onnx_model import OnnxModule, write_back

    module = OnnxModule(model)
    block_sizes = {name: k for name, k in module.block_sizes(1, config.layers()).items() if k > 1}
    if not block_sizes:
        return model
    names = [i.name for i in _graph_inputs(model)]
    train_arrays, val_arrays = _npz(data.train), _npz(data.val)
    train_set = ArrayData(tuple(train_arrays[n] for n in names), train_arrays[data.labels_key])
    val_set = ArrayData(tuple(val_arrays[n] for n in names), val_arrays[data.labels_key])
    if budget == "screen" and len(train_set) > SCREEN_SAMPLES:  # a seeded subset: the screen ranks, it does not finish
        train_set = train_set.take(np.sort(np.random.default_rng(seed).permutation(len(train_set))[:SCREEN_SAMPLES]))
    forward = lambda m, xs: m(*xs)[0]  # noqa: E731 - the first graph output, batch first
    log_probs = module.final_op() == "LogSoftmax"
    objective = (Objective.classification(forward, log_probs=log_probs) if train_set.classification
                 else Objective.regression(forward))
    screen = budget == "screen"
    fit(module, train_set, val_set, objective, block_sizes, _screen_schedule() if screen else None,
        max_drop=None if screen else max_drop, seed=seed, device="cpu")
    return write_back(model, module.trained_initializers())


def score(model: onnx.ModelProto, data: Data, config: Config | None, budget: str, device: str,
          clock_mhz: float) -> dict:
    """The validation metric: accuracy for integer labels, else the MSE (to targets, or to the dense model).

    `per_sample` holds each validation sequence's share (correct or not; its squared error), so that
    the exploration can judge a drop against its paired standard error (`screening.drop`).

    `config` None scores the float model as it is (the dense reference); budget "kernel" runs the
    fixed-point C simulation of the config's kernel.
    """
    val = _npz(data.val)
    labels = val.get(data.labels_key)
    inputs = {i.name: val[i.name] for i in _graph_inputs(model)}
    if config is None:
        out = _onnxruntime(model, inputs)
    elif budget == "kernel":
        out = _csim(model, inputs, config, device, clock_mhz)
    else:
        from ercc.compiler.export_onnx import export_compressed

        out = _onnxruntime(export_compressed(model, config.compile_options(device, clock_mhz)), inputs)
    if labels is not None and labels.dtype.kind in "iu":
        correct = out.argmax(-1).reshape(labels.shape) == labels
        return {"metric": "accuracy", "value": float(np.mean(correct)),
                "per_sample": correct.reshape(len(labels), -1).mean(axis=1).tolist()}
    target = labels if labels is not None else _onnxruntime(model, inputs)
    errors = (out.reshape(target.shape) - target) ** 2
    return {"metric": "loss", "value": float(np.mean(errors)),
            "per_sample": errors.reshape(len(target), -1).mean(axis=1).tolist()}


def _graph_inputs(model: onnx.ModelProto):
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def _onnxruntime(model: onnx.ModelProto, inputs: dict[str, np.ndarray]) -> np.ndarray:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return session.run(None, {k: v.astype(np.float32) for k, v in inputs.items()})[0]


def _csim(model: onnx.ModelProto, inputs: dict[str, np.ndarray], config: Config, device: str,
          clock_mhz: float) -> np.ndarray:
    """The fixed-point kernel's outputs (g++ C simulation, bit-exact with ercc's reference)."""
    import ercc
    from ercc.compiler import progress

    options = config.compile_options(device, clock_mhz, seq_len=_seq_len(inputs))
    progress.set_quiet(True)
    compiled = ercc.compile(model, record_ir=False, **{f: getattr(options, f) for f in ercc.option_names()})
    outputs = compiled.predict(inputs)
    return outputs[model.graph.output[0].name]


def _seq_len(inputs: dict[str, np.ndarray]) -> int:
    return next(iter(inputs.values())).shape[1]


def estimate(model: onnx.ModelProto, config: Config, device: str, clock_mhz: float, seq_len: int) -> dict:
    """ercc's cost-model ESTIMATE of the config's kernel: the passes through pe-schedule, no g++."""
    from ercc.compiler import progress
    from ercc.compiler.pipeline import default_passes, import_model, make_context, run_passes
    from ercc.hardware.cost_model import estimate as cost_estimate
    from ercc.hardware.devices import DEVICES

    progress.set_quiet(True)
    options = config.compile_options(device, clock_mhz, seq_len=seq_len)
    options.validate()
    imported = import_model(model, options)
    run_passes(make_context(), imported.module, default_passes(options))
    report = cost_estimate(imported.module, DEVICES[device], clock_mhz)
    keys = ("throughput_fps", "latency_cycles", "cycles_per_frame", "dsp", "bram18k", "lut", "weight_bytes",
            "over_device", "dsp_available", "bram18k_available", "lut_available")
    return {"estimate": True, **{k: report[k] for k in keys}}


def run_task(task: Task) -> Outcome:
    """Train (unless the cache had it), then score and estimate every config of the task."""
    import torch

    torch.set_num_threads(task.threads)  # parallel trials share the cores: one thread each by default
    model = onnx.load_model_from_string(task.model)
    start = time.perf_counter()
    trained = (onnx.load_model_from_string(task.trained) if task.trained is not None
               else train(model, task.data, task.configs[0], task.budget, task.seed, task.max_drop))
    outcome = Outcome(trained.SerializeToString(), time.perf_counter() - start)
    seq_len = _seq_len({i.name: v for i, v in zip(_graph_inputs(model), [_first_input(task.data, model)])})
    for config in task.configs:
        t0 = time.perf_counter()
        result = score(trained, task.data, config, task.budget, task.device, task.clock_mhz)
        result["estimate"] = estimate(model, config, task.device, task.clock_mhz, seq_len)
        result["seconds"] = time.perf_counter() - t0
        outcome.scores.append(result)
    return outcome


def _first_input(data: Data, model: onnx.ModelProto) -> np.ndarray:
    return _npz(data.val)[_graph_inputs(model)[0].name]
