"""Progress display for the long steps: import, passes, emission, g++ builds, simulation batches.

Drawn with rich on stderr, and only when stderr is a terminal and `--quiet`
is not given (`set_quiet`): pipes, logs, tests and output files never see it.
The display is transient (erased when the step ends, also on an error), so a
failure still leaves exactly the one `ercc: error:` line. Steps nest: an inner
step adds a line to the outer step's display (rich allows one live display).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from ercc.numerics.intmath import ceil_div

_state: dict = {"quiet": False, "progress": None}


def set_quiet(quiet: bool) -> None:
    _state["quiet"] = quiet


def enabled() -> bool:
    return not _state["quiet"] and sys.stderr.isatty()


class Task:
    """One line of the display: `advance` counts a unit of work done (and may rename the line)."""

    def __init__(self, progress, task_id, description: str, total: int | None) -> None:
        self._progress, self._id, self._description, self._total, self._done = progress, task_id, description, total, 0

    def advance(self, detail: str = "", steps: int = 1) -> None:
        if self._progress is None:
            return
        self._done += steps
        count = f" {self._done}/{self._total}" if self._total else ""
        text = f"{self._description}{count}{': ' + detail if detail else ''}"
        self._progress.update(self._id, advance=steps, description=text, refresh=True)


@contextmanager
def step(description: str, total: int | None = None) -> Iterator[Task]:
    """Show `description` (with a bar when `total` is known) while the block runs."""
    if not enabled():
        yield Task(None, None, description, total)
        return
    outer = _state["progress"] is None
    if outer:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        _state["progress"] = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        )
        _state["progress"].start()
    progress = _state["progress"]
    task_id = progress.add_task(description, total=total)
    try:
        yield Task(progress, task_id, description, total)
    finally:
        progress.remove_task(task_id)
        if outer:
            progress.stop()
            _state["progress"] = None


def run_batches(
    run: Callable[[list[np.ndarray]], list[np.ndarray]], inputs: Sequence[np.ndarray], count: int, description: str
) -> list[np.ndarray]:
    """`run` on N sequences ((N, ...) arrays); with the display on, in about 50 chunks counted as they finish.

    The sequences are independent, so the chunked results are the same as one call's.
    """
    chunk = max(1, ceil_div(count, 50))
    if not enabled() or count <= chunk:
        return run(list(inputs))
    parts = []
    with step(description, total=count) as task:
        for start in range(0, count, chunk):
            parts.append(run([a[start : start + chunk] for a in inputs]))
            task.advance(steps=min(chunk, count - start))
    return [np.concatenate(outs) for outs in zip(*parts)]
