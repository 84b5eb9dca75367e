"""The Optuna study of an exploration: its SQLite file, its sampler, and the ask/tell loop over a pool.

The study lives in `RUN/study.db` (readable by `optuna-dashboard sqlite:///RUN/study.db`).
Trials are asked in batches of `--jobs`, run in a `concurrent.futures` pool or
as Ray tasks (both give `concurrent.futures.Future`s), and told in the order
they were asked, so a run is the same for the same seed and `--jobs` whether
it runs locally or on Ray. A trial still RUNNING when a run was interrupted
is finished by the next run with the same parameters (its training is
usually in the cache by then).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from pathlib import Path

from ercc.errors import ErccError
from ercc.exploration.space import Config, Space

SCREEN_STUDY = "screen"
FULL_STUDY = "full"


def check_database(path: Path) -> None:
    """An existing file must be an Optuna SQLite database: refuse a damaged or foreign one."""
    if not path.exists():
        return
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    except sqlite3.DatabaseError as e:
        raise ErccError(f"not a readable SQLite database ({e}); move it away to start a new study",
                        file=str(path)) from None
    if not {"studies", "trials", "version_info"} <= tables:
        found = ", ".join(sorted(tables)) or "no tables"
        raise ErccError(f"an SQLite database that is not an Optuna study ({found}); move it away or choose another -o",
                        file=str(path))


def open_study(path: Path, name: str, space: Space, seed: int, trials: int):
    """The study (created or loaded): grid sampler when the grid fits in `trials`, NSGA-II otherwise."""
    import optuna

    check_database(path)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if space.size <= trials:
        sampler = _AskTellGrid(space.choices(), seed=seed)
    else:
        sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=max(4, min(20, trials // 3)),
                                                constraints_func=_constraints)
    try:
        return optuna.create_study(storage=f"sqlite:///{path}", study_name=name, sampler=sampler,
                                   directions=["maximize", "maximize", "minimize"], load_if_exists=True)
    except Exception as e:  # noqa: BLE001 - sqlalchemy / optuna raise many types for a bad database
        raise ErccError(f"cannot open the Optuna study: {' '.join(str(e).split())[:200]}", file=str(path)) from None


def _grid_sampler():
    import optuna

    class AskTellGrid(optuna.samplers.GridSampler):
        """GridSampler for ask/tell: its after_trial calls `study.stop()`, which only works inside
        `study.optimize` (RuntimeError otherwise); here the loop itself stops when the grid is done."""

        def after_trial(self, study, trial, state, values) -> None:
            pass

    return AskTellGrid


def _AskTellGrid(choices, seed):  # noqa: N802 - builds the class on first use: optuna is an optional extra
    return _grid_sampler()(choices, seed=seed)


def _constraints(trial) -> list[float]:
    """NSGA-II's feasibility: > 0 for each resource over the device."""
    return list(trial.user_attrs.get("over", [0.0]))


def objective_values(score: float, estimate: dict) -> list[float]:
    """(score, frames/s, weight bytes): the screen study's objectives (score: accuracy, or -loss)."""
    return [score, estimate["throughput_fps"], estimate["weight_bytes"]]


def _suggest(trial, space: Space) -> Config:
    return Config.from_params({name: trial.suggest_categorical(name, list(choices))
                               for name, choices in space.choices().items()})


def _in_space(params: dict, space: Space) -> bool:
    choices = space.choices()
    return set(params) == set(choices) and all(params[n] in c for n, c in choices.items())


def finished(study, space: Space) -> dict[Config, dict]:
    """Completed trials of this space: config → the result stored with the trial."""
    from optuna.trial import TrialState

    out = {}
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        if _in_space(t.params, space) and "result" in t.user_attrs:
            out[Config.from_params(t.params)] = t.user_attrs["result"]
    return out


def run_screen(
    study, space: Space, budget_trials: int, jobs: int,
    evaluate: Callable[[list[Config]], list[Future]], on_done: Callable[[Config, dict], None],
) -> None:
    """Ask/tell until the grid is done (or `budget_trials` trials are complete)."""
    import optuna
    from optuna.trial import TrialState

    target = min(space.size, budget_trials)
    stale = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
    for t in stale:  # interrupted by a previous run: finish it with its own parameters, or drop it
        if not _in_space(t.params, space):
            study.tell(t.number, state=TrialState.FAIL)
    stale = [t for t in stale if _in_space(t.params, space)]
    while True:
        done = len(finished(study, space))
        if done >= target and not stale:
            return
        batch = [(optuna.trial.Trial(study, t._trial_id), Config.from_params(t.params)) for t in stale]
        stale = []
        while len(batch) < jobs and done + len(batch) < target:
            trial = study.ask()
            batch.append((trial, _suggest(trial, space)))
        futures = evaluate([c for _, c in batch])
        for (trial, config), future in zip(batch, futures):
            result = future.result()
            trial.set_user_attr("result", result)
            trial.set_user_attr("over", [max(0.0, result["estimate"][k] / result["estimate"][f"{k}_available"] - 1)
                                         for k in ("dsp", "bram18k", "lut")])
            try:
                study.tell(trial, objective_values(result["score"], result["estimate"]))
            except optuna.exceptions.UpdateFinishedTrialError:
                pass  # the same grid point asked twice at the end of a grid: the first one counts
            on_done(config, result)


def record_full(study, space: Space, config: Config, result: dict) -> None:
    """A full-ADMM trial, added to the `full` study so the dashboard shows both phases."""
    import optuna

    if config in finished(study, space):
        return
    study.add_trial(optuna.trial.create_trial(
        params=config.params(), distributions=space.distributions(),
        values=objective_values(result["score"], result["estimate"]), user_attrs={"result": result}))


def batches(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _run_here(fn, arg) -> Future:
    import torch

    future: Future = Future()
    threads = torch.get_num_threads()
    try:
        future.set_result(fn(arg))
    except Exception as e:  # noqa: BLE001 - delivered through the future, as a pool would
        future.set_exception(e)
    finally:
        torch.set_num_threads(threads)
    return future


def make_executor(jobs: int, ray_address: str | None) -> tuple[Executor | None, Callable]:
    """(executor to shut down, submit(fn, arg) -> Future): a process pool, or Ray tasks on a cluster.

    With one job and no cluster the trial runs in this process (no worker start-up), still
    behind a Future so the loop is the same.
    """
    if ray_address is None and jobs == 1:
        return None, _run_here
    if ray_address is None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
        return pool, pool.submit
    try:
        import ray
    except ImportError as e:
        raise ErccError(f"--ray needs the explore extra: pip install 'ercc[explore]' ({e})") from None
    try:
        ray.init(address=ray_address, ignore_reinit_error=True, log_to_driver=False, logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise ErccError(f"--ray {ray_address}: cannot connect to the Ray cluster ({' '.join(str(e).split())[:200]})"
                        ) from None
    remote_tasks: dict = {}

    def submit(fn, arg) -> Future:
        if fn not in remote_tasks:
            remote_tasks[fn] = ray.remote(num_cpus=1)(fn)
        return remote_tasks[fn].remote(arg).future()

    return _RayConnection(), submit


def stop_now(executor: Executor) -> None:
    """Shut the trial workers down at once (an interrupt): a process pool's workers are terminated
    instead of finishing their trainings, whose trials stay RUNNING in the study and run again on
    resume; a Ray connection disconnects."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if not isinstance(executor, ProcessPoolExecutor):
        executor.shutdown(cancel_futures=True)
        return
    executor.shutdown(wait=False, cancel_futures=True)
    for worker in multiprocessing.active_children():  # the pool's spawned workers (this process's only children)
        worker.terminate()
    for worker in multiprocessing.active_children():
        worker.join(timeout=10)


class _RayConnection:
    """Disconnects from the cluster when the exploration ends: a driver left connected exits its whole
    process once the cluster's head goes away (seen when a test stops its head: pytest died)."""

    def shutdown(self, cancel_futures: bool = False) -> None:
        import ray

        ray.shutdown()
