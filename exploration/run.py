"""`ercc.explore(...)`: screen every config cheaply, train fully only those that can be Pareto-optimal.

Phase 1 (screen): an Optuna study over the space (`study.py`); every trial's
block sizes get the cheap training (a short ADMM), every config its cost
estimate. Phase 2 (full ADMM): the screening rule of `screening.py`
(candidates: not beaten on hardware by a config that screens better beyond
a noise margin; full ADMM in lattice-bisection order, deciding without
training what a trained config settles), `jobs` trainings at a time.

Trainings are shared by configs with the same block sizes, and every
training and score is cached by content hash (`cache.py`).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx

from ercc.errors import ErccError
from ercc.exploration import acceptance, screening
from ercc.exploration import cache as cache_mod
from ercc.exploration import study as study_mod
from ercc.exploration.results import ExploreResult, merit, pareto
from ercc.exploration.screening import fits as _fits
from ercc.exploration.space import Config, make_space
from ercc.exploration.trial import Data, Task, run_task, score

HOLDOUT = 0.2  # validation share held out of --data when there is no --val


class _Pending:
    """One config's result, ready when its group's task is (a cached result is ready at once)."""

    def __init__(self, get):
        self._get = get

    def result(self) -> dict:
        return self._get()


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    f = io.BytesIO()
    np.savez(f, **arrays)
    return f.getvalue()


def _load_arrays(path: Path, what: str) -> dict[str, np.ndarray]:
    from ercc.compiler.inputs import load_npz

    return load_npz(path, what)


def _check_data(model: onnx.ModelProto, arrays: dict[str, np.ndarray], path: Path, labels_key: str) -> None:
    """The arrays must feed the graph (training's own checks) and hold enough samples."""
    import argparse

    from ercc.training.cli import load_arrays

    args = argparse.Namespace(batch_axis=0, batch_size=32, labels_key=labels_key)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp) / path.name
        tmp_path.write_bytes(_npz_bytes(arrays))
        try:
            load_arrays(tmp_path, model, args)
        except ErccError as e:
            raise ErccError(e.reason, file=str(path)) from None


def _split(arrays: dict[str, np.ndarray], labels_key: str, seed: int) -> tuple[dict, dict]:
    """A seeded hold-out of HOLDOUT of the samples (stratified by class for integer labels)."""
    n = len(next(iter(arrays.values())))
    labels = arrays.get(labels_key)
    rng = np.random.default_rng(seed)
    val = np.zeros(n, dtype=bool)
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)] if labels is not None and \
        labels.dtype.kind in "iu" else [np.arange(n)]
    for idx in groups:
        val[rng.permutation(idx)[: int(round(HOLDOUT * len(idx)))]] = True
    if val.sum() == 0 or val.sum() == n:
        raise ErccError(f"{n} samples are too few to hold out a validation share; give --val")
    return ({k: v[~val] for k, v in arrays.items()}, {k: v[val] for k, v in arrays.items()})


def _threshold(metric: str, dense: float, max_drop: float) -> float:
    return dense - max_drop if metric == "accuracy" else dense * (1 + max_drop)


def explore(
    model: str | os.PathLike,
    data: str | os.PathLike,
    *,
    out: str | os.PathLike,
    val: str | os.PathLike | None = None,
    device: str = "xcku060",
    clock_mhz: float = 200.0,
    max_drop: float = 0.01,
    noise_margin: float = acceptance.NOISE_MARGIN,
    trials: int = 64,
    jobs: int = 1,
    ray: str | None = None,
    seed: int = 0,
    project: bool = False,
    block_sizes: Sequence[int] | None = None,
    weight_bits: Sequence[int] | None = None,
    act_bits: Sequence[int] | None = None,
    dsp_fractions: Sequence[float] | None = None,
    layers: Mapping[str, Sequence[int]] | None = None,
    labels_key: str = "labels",
    cache: str | os.PathLike | None = None,
    screen: bool = True,
    quiet: bool = True,
) -> ExploreResult:
    """Explore block sizes, bit widths and DSP fraction of `model` on `data`; write the run folder `out`.

    A fully trained config meets the limit when its validation drop plus `noise_margin` paired standard
    errors is within `max_drop` (`ercc.exploration.acceptance`; 0: the plain limit).
    `screen=False` trains every config fully (the reference the screening rule is measured against);
    `cache` shares a cache folder between run folders (default `out/cache`).
    """
    from ercc.hardware.devices import DEVICES

    start = time.perf_counter()
    if device not in DEVICES:
        raise ErccError(f"unknown --device '{device}' (known: {', '.join(DEVICES)})")
    if not 0 < clock_mhz <= 1000:
        raise ErccError(f"--clock-mhz must be in (0, 1000], got {clock_mhz}")
    if not 0 <= max_drop < 1:
        raise ErccError(f"--max-drop must be in [0, 1) (accuracy as a fraction, or a relative loss), got {max_drop}")
    if not 0 <= noise_margin <= 10:
        raise ErccError(f"--noise-margin must be in [0, 10] standard errors, got {noise_margin}")
    if trials < 1 or jobs < 1:
        raise ErccError(f"--trials and --jobs must be >= 1, got {trials} and {jobs}")
    model_path, out = Path(model), Path(out)
    try:
        proto = onnx.load(model_path)
    except Exception as e:  # noqa: BLE001 - onnx raises several unrelated types for a bad file
        raise ErccError(f"cannot read ONNX model: {' '.join(str(e).split())[:200]}", file=str(model_path)) from None
    space = make_space(proto, block_sizes=block_sizes, weight_bits=weight_bits, act_bits=act_bits,
                       dsp_fractions=dsp_fractions, layer_pins=layers)
    train_arrays = _load_arrays(Path(data), "data")
    if labels_key not in train_arrays:
        raise ErccError(f"no labels or targets '{labels_key}' (arrays: {', '.join(sorted(train_arrays))});"
                        " explore judges configs on them (--labels-key names another array)", file=str(data))
    val_arrays = _load_arrays(Path(val), "validation data") if val is not None else None
    model_bytes = model_path.read_bytes()
    cache = cache_mod.Cache(Path(cache) if cache is not None else out / "cache")
    # Checks that need torch (the data against the graph) and the compiler (the model compiles) ran before
    # for the same inputs if the cache says so: a rerun skips them.
    checked_key = cache_mod.key(model_bytes, *(_npz_bytes(a) for a in (train_arrays, val_arrays or {})),
                                labels_key, device, clock_mhz, "checked")
    checked = cache.result(checked_key) is not None
    if not checked:
        _check_data(proto, train_arrays, Path(data), labels_key)
    if val_arrays is not None:
        if not checked:
            _check_data(proto, val_arrays, Path(val), labels_key)
        if set(val_arrays) != set(train_arrays):
            raise ErccError(f"has arrays {sorted(val_arrays)}, --data has {sorted(train_arrays)}", file=str(val))
    else:
        train_arrays, val_arrays = _split(train_arrays, labels_key, seed)
    bundle = Data(_npz_bytes(train_arrays), _npz_bytes(val_arrays), labels_key)
    try:
        dense = score(proto, bundle, None, "screen", device, clock_mhz)
        dense_per_sample = dense.pop("per_sample")
    except Exception as e:  # noqa: BLE001 - onnxruntime's errors: the model cannot run on these arrays
        raise ErccError(f"the model cannot run on the data: {' '.join(str(e).split())[:200]}", file=str(data)) from None
    if not checked:
        from ercc.exploration.trial import estimate

        dense_config = Config(tuple((n, 1) for n, _ in space.block_sizes), max(space.weight_bits),
                              max(space.act_bits), max(space.dsp_fractions))
        try:  # the model must compile at all before anything is trained
            estimate(proto, dense_config, device, clock_mhz, next(iter(val_arrays.values())).shape[1])
        except ErccError as e:
            raise ErccError(e.reason, file=str(model_path), node=e.node) from None
    study_mod.check_database(out / "study.db")
    out.mkdir(parents=True, exist_ok=True)
    cache.put_result(checked_key, {"checked": True})
    db = out / "study.db"
    screen_study = study_mod.open_study(db, study_mod.SCREEN_STUDY, space, seed, trials)
    full_study = study_mod.open_study(db, study_mod.FULL_STUDY, space, seed, trials)
    executor, submit = study_mod.make_executor(jobs, ray)
    counts = {"trainings_run": {"screen": 0, "full": 0}, "trainings_cached": {"screen": 0, "full": 0}}
    data_key = cache_mod.key(bundle.train, bundle.val, labels_key)

    def train_key(config: Config, budget: str) -> str:
        # the full ADMM depends on the requirement fit() is given; the screen does not
        return cache_mod.key(model_bytes, data_key, list(config.block_sizes), budget, seed,
                             max_drop if budget == "full" else None)

    def result_key(tk: str, config: Config, budget: str) -> str:
        # a full result carries its paired drop (the per-sequence scores of before "paired" did not)
        return cache_mod.key(tk, config.as_dict(), device, clock_mhz, *(("paired",) if budget == "full" else ()))

    def evaluate(configs: list[Config], budget: str) -> list[_Pending]:
        """Group configs by training; cached scores are ready, the rest go to the pool as one task per group."""
        pending: dict[int, _Pending] = {}
        groups: dict[str, list[int]] = {}
        for i, c in enumerate(configs):
            tk = train_key(c, budget)
            rk = result_key(tk, c, budget)
            hit = cache.result(rk)
            if hit is not None:
                pending[i] = _Pending(lambda hit=hit: {**hit, "cached": True})
            else:
                groups.setdefault(tk, []).append(i)
        for tk, members in groups.items():
            trained = cache.model(tk)
            dense_config = all(k == 1 for _, k in configs[members[0]].block_sizes)
            if not dense_config:
                counts["trainings_cached" if trained is not None else "trainings_run"][budget] += 1
            task = Task(model_bytes, bundle, configs[members[0]].block_sizes, budget, seed,
                        [configs[i] for i in members], device, clock_mhz, trained=trained,
                        max_drop=max_drop if budget == "full" else None)
            future = submit(run_task, task)
            done: dict = {}

            def get(i, tk=tk, future=future, members=members, done=done):
                if not done:
                    outcome = future.result()
                    cache.put_model(tk, outcome.trained)
                    for j, s in zip(members, outcome.scores):
                        c = configs[j]
                        value = s["value"]
                        result = {"config": {**c.as_dict(), "dense": all(k == 1 for _, k in c.block_sizes)},
                                  "label": c.label, "phase": budget, "metric": s["metric"], "value": value,
                                  "score": value if s["metric"] == "accuracy" else -value,
                                  "estimate": s["estimate"], "seconds": s["seconds"] + outcome.train_seconds,
                                  "train_key": tk}
                        if budget == "full":
                            result["drop"], result["drop_se"] = acceptance.paired_drop(
                                s["metric"], dense_per_sample, s["per_sample"])
                        cache.put_result(result_key(tk, c, budget), result)
                        done[j] = {**result, "cached": False}
                return done[i]

            for i in members:
                pending[i] = _Pending(lambda i=i, get=get: get(i))
        return [pending[i] for i in range(len(configs))]

    def accurate(result: dict) -> bool:
        """A full result: its paired drop clears the limit by the noise margin; a screen: the plain limit."""
        if "drop" in result:
            return acceptance.meets(result["drop"], result["drop_se"], max_drop, noise_margin)
        return screening.meets(result["value"], dense["metric"], dense["value"], max_drop)

    def clear_miss(result: dict) -> bool:
        return screening.clearly_misses(result["value"], dense["metric"], dense["value"], max_drop)

    progress = _progress(quiet)
    trials_out: list[dict] = []
    try:
        with progress:
            target = min(space.size, trials)
            task = progress.add_task("screen", total=target, best="-")
            best_seen = [None]

            def screened(config: Config, result: dict) -> None:
                if _fits(result) and accurate(result) and (
                        best_seen[0] is None or merit(result) < merit(best_seen[0])):
                    best_seen[0] = result
                progress.update(task, completed=len(study_mod.finished(screen_study, space)),
                                best=best_seen[0]["label"] if best_seen[0] else "-")

            progress.update(task, completed=len(study_mod.finished(screen_study, space)))
            study_mod.run_screen(screen_study, space, trials, jobs, lambda cs: evaluate(cs, "screen"), screened)
            screen_results = study_mod.finished(screen_study, space)
            for r in screen_results.values():
                trials_out.append({**r, "status": "screened"})
            candidates = (screening.candidates(list(screen_results.values()), dense["metric"], dense["value"],
                                               max_drop) if screen else sorted(screen_results.values(), key=merit))
            full_task = progress.add_task("full ADMM", total=len(candidates), best="-")
            full_results: list[dict] = []
            remaining = list(candidates)

            def group(c: dict) -> str:
                return train_key(Config.from_params(_params(c)), "full")

            while remaining:
                decided = []
                for c in remaining if screen else ():
                    reason = screening.skip_reason(c, full_results, accurate, clear_miss)
                    if reason is not None:
                        trials_out.append({**c, "phase": "full", "status": reason, "value": None, "score": None})
                        progress.advance(full_task)
                        decided.append(c)
                remaining = [c for c in remaining if c not in decided]
                if not remaining:
                    break
                chosen = set(screening.next_assignments(remaining, group, jobs))
                batch = [c for c in remaining if group(c) in chosen]
                remaining = [c for c in remaining if c not in batch]
                configs = [Config.from_params(_params(c)) for c in batch]
                for config, pending in zip(configs, evaluate(configs, "full")):
                    result = pending.result()
                    full_results.append(result)
                    study_mod.record_full(full_study, space, config, result)
                    trials_out.append({**result, "status": "cached" if result.get("cached") else "trained",
                                       "meets": accurate(result)})
                    progress.advance(full_task)
                ok = [f for f in full_results if _fits(f) and accurate(f)]
                progress.update(full_task, best=min(ok, key=merit)["label"] if ok else "-")
    except KeyboardInterrupt:
        if executor is not None:
            study_mod.stop_now(executor)  # running trainings are dropped: their trials resume next time
            executor = None
        raise
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)

    feasible = [f for f in full_results if _fits(f) and accurate(f)]
    front = pareto(feasible)
    best = front[0] if front else None
    seconds = time.perf_counter() - start
    summary = {
        "model": str(model_path), "device": device, "clock_mhz": clock_mhz, "max_drop": max_drop,
        "noise_margin_se": noise_margin,
        "metric": dense["metric"], "dense_value": dense["value"],
        "threshold_value": _threshold(dense["metric"], dense["value"], max_drop),
        "space": space.describe(), "grid_size": space.size,
        "block_size_assignments": len({tuple(c.block_sizes) for c in space.grid()}),
        "screened": len(screen_results), "full_admm_candidates": len(candidates),
        "full_admm_configs": len(full_results), **counts, "seconds": round(seconds, 2), "seed": seed,
        "screening": screen, "screen_margin": screening.margin(dense["metric"], dense["value"], max_drop),
        "estimate": "hardware figures are ercc cost-model estimates",
    }
    result = ExploreResult(trials_out, front, best, dense, summary, out)
    saved = {"summary": summary, "dense": dense, "trials": _stable(trials_out),
             "pareto": [p["label"] for p in front], "best": best and best["label"]}
    unchanged = _same_results(out / "trials.json", saved) and all(
        (out / name).exists() for name in ("best.onnx", "best.yaml", "pareto.png", *(("project",) if project else ())))
    _write_json(out / "trials.json", saved)
    if best is None:
        closest = sorted(full_results or list(screen_results.values()),
                         key=lambda r: (bool(r["estimate"]["over_device"]), -r["score"]))[:3]
        described = "; ".join(f"{r['label']}: val {r['metric']} {r['value']:.4f}{_drop_text(r)}"
                              f"{', over ' + '/'.join(r['estimate']['over_device']) if r['estimate']['over_device'] else ''}"
                              for r in closest)
        margin = f" by {noise_margin:g} standard errors (--noise-margin)" if noise_margin else ""
        raise ErccError(f"no config meets --max-drop {max_drop:g}{margin} (dense val {dense['metric']} {dense['value']:.4f}) "
                        f"and fits {device}; the closest: {described or 'none'}")
    if not unchanged:  # a rerun that found the same results leaves best.* and the plot as they are
        _write_best(out, proto, model_bytes, best, cache, device, clock_mhz, val_arrays, project)
        result.plot(out / "pareto.png")
    return result


def _drop_text(result: dict) -> str:
    return f" (drop {result['drop']:.4f} ± {result['drop_se']:.4f})" if "drop" in result else ""


def _same_results(path: Path, saved: dict) -> bool:
    """trials.json at `path` holds the same trials, Pareto set and choice (times aside)."""
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    strip = lambda ts: [{k: v for k, v in t.items() if k not in ("seconds", "cached", "status")} for t in ts]  # noqa: E731
    return (old.get("pareto"), old.get("best"), strip(old.get("trials", []))) == (
        saved["pareto"], saved["best"], strip(json.loads(json.dumps(saved["trials"]))))


def _params(result: dict) -> dict:
    c = result["config"]
    return {**{f"k:{n}": k for n, k in c["block_sizes"].items()}, "weight_bits": c["weight_bits"],
            "act_bits": c["act_bits"], "dsp_fraction": c["dsp_fraction"]}


def _stable(trials: list[dict]) -> list[dict]:
    """Trials in a fixed order (phase, label) so that trials.json does not depend on completion order."""
    return sorted(trials, key=lambda t: (t["phase"], t["label"]))


def _write_json(path: Path, value) -> None:
    from ercc.compiler.output import write_text_atomically

    write_text_atomically(path, json.dumps(value, indent=1, sort_keys=True) + "\n")


def _write_best(out: Path, proto, model_bytes: bytes, best: dict, cache, device: str, clock_mhz: float,
                val_arrays: dict, project: bool) -> None:
    """best.onnx (the fully trained model of the chosen config), best.yaml, and with `project` prj/."""
    import yaml

    from ercc.compiler.output import write_atomically, write_text_atomically

    config = Config.from_params(_params(best))
    trained = cache.model(best["train_key"]) if not best["config"]["dense"] else model_bytes
    seq_len = next(iter(val_arrays.values())).shape[1]
    options = config.config_file(device, clock_mhz)
    if _dynamic_time(proto):
        options["seq_len"] = int(seq_len)
    write_atomically(out / "best.onnx", lambda tmp: tmp.write_bytes(trained))
    write_text_atomically(out / "best.yaml", "# ercc explore: the chosen config; ercc best.onnx -o prj/ --config best.yaml\n"
                          + yaml.safe_dump(options, sort_keys=True))
    if project:
        import ercc
        from ercc.compiler import progress

        progress.set_quiet(True)
        compiled = ercc.compile(out / "best.onnx", record_ir=False,
                                **config.compile_options(device, clock_mhz, seq_len=options.get("seq_len")).__dict__)
        tmp = Path(tempfile.mkdtemp(prefix=".project.", dir=out))
        try:
            compiled.write(tmp, project=True)
            if (out / "project").exists():
                shutil.rmtree(out / "project")
            os.replace(tmp, out / "project")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _dynamic_time(proto) -> bool:
    inits = {t.name for t in proto.graph.initializer}
    first = next(i for i in proto.graph.input if i.name not in inits)
    dims = first.type.tensor_type.shape.dim
    return len(dims) > 1 and not dims[1].HasField("dim_value")


def _progress(quiet: bool):
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("best so far {task.fields[best]}"), TimeElapsedColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), console=Console(stderr=True, quiet=quiet))
