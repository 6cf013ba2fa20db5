"""Worker processes for the slow steps: the MkDocs builds and the PDFs run side by side.

Workers are spawned, not forked: WeasyPrint (with its fonts) and MkDocs are imported in them
only, and nothing the parent holds (threads of the live preview, open files) is copied.
With one worker everything runs in this process, one task after another, in the order given.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from generator.errors import BuildError


@dataclass(frozen=True)
class Task:
    """One unit of work: ``function(*args)`` in a worker, then ``then(result)`` here."""

    kind: str
    """What kind of work it is ("MkDocs", "PDF"); ``Workers.seconds`` adds up per kind."""
    name: str
    """What the task makes, for messages ("PDF nb/kommune/skjema/avtale.pdf")."""
    function: Callable[..., Any]
    args: tuple[Any, ...]
    then: Callable[[Any], None]


def _timed(function: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    return function(*args), time.perf_counter() - start


class Workers:
    """Runs tasks in ``count`` processes; the first failure stops everything.

    ``then`` callbacks run in this process and may submit further tasks (a guideline's PDF
    once its language's site is built). ``seconds`` adds up each kind of task's own run time,
    as measured inside the workers.
    """

    def __init__(self, count: int):
        self.count = max(1, count)
        self.seconds: dict[str, float] = {}
        self.finished = 0
        self.submitted = 0
        self._queue: deque[Task] = deque()
        self._running: dict[Future[tuple[Any, float]], Task] = {}
        self._pool: ProcessPoolExecutor | None = None

    def submit(
        self, kind: str, name: str, function: Callable[..., Any], *args: Any,
        then: Callable[[Any], None] = lambda result: None,
    ) -> None:  # fmt: skip
        """Queue ``function(*args)``; ``kind`` groups tasks in ``seconds`` ("MkDocs", "PDF")."""
        task = Task(kind, name, function, args, then)
        self.seconds.setdefault(kind, 0.0)
        self.submitted += 1
        if self.count == 1:
            self._queue.append(task)
            return
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.count, mp_context=context)
        future = self._pool.submit(_timed, function, *args)
        self._running[future] = task

    def run(self, progress: Callable[[int, int], None] = lambda done, total: None) -> None:
        """Wait for every task, including those submitted meanwhile; raises BuildError."""
        try:
            while self._queue or self._running:
                if self._queue:
                    task = self._queue.popleft()
                    self._finish(task, *_call(task))
                    progress(self.finished, self.submitted)
                    continue
                done, _ = wait(self._running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: self._running[f].name):
                    task = self._running.pop(future)
                    try:
                        result, seconds = future.result()
                    except BrokenProcessPool as exc:
                        raise BuildError(
                            f"{task.name}: the worker process stopped unexpectedly"
                        ) from exc
                    except BuildError:
                        raise
                    except Exception as exc:
                        raise BuildError(f"{task.name} failed: {exc}") from exc
                    self._finish(task, result, seconds)
                    progress(self.finished, self.submitted)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the workers; tasks not yet started are dropped."""
        self._queue.clear()
        self._running.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _finish(self, task: Task, result: Any, seconds: float) -> None:
        self.seconds[task.kind] += seconds
        self.finished += 1
        task.then(result)


def _call(task: Task) -> tuple[Any, float]:
    """Run a task in this process, with the same errors a worker would give."""
    try:
        return _timed(task.function, *task.args)
    except BuildError:
        raise
    except Exception as exc:
        raise BuildError(f"{task.name} failed: {exc}") from exc
