"""Worker processes for the slow steps: the MkDocs builds and the PDFs run side by side.

Workers are forked from a fork server, a process of their own started afresh (not from the
build process: nothing the build holds, threads of the live preview or open files, is copied).
The server imports MkDocs and the PDF stage once (``PRELOAD``), and WeasyPrint where the build
writes PDFs, and each worker forked from it starts at once with them; ``warm_up`` starts it
while the build is still loading the content.
With one worker everything runs in this process, one task after another, in the order given
(those submitted ``first`` first).
The live preview keeps one pool for all its rebuilds.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import heapq
import multiprocessing
import multiprocessing.context
import os
import resource
import signal
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.connection import wait as wait_for
from typing import Any

from generator.errors import BuildError, describe_os_error


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


class WorkerStopped(BuildError):
    """A worker process died (killed, out of memory, a crash in a native library)."""


PRELOAD = ["generator.sitebuild", "generator.pdf"]
"""Imported by the fork server before it forks a worker: what the workers' tasks run."""

PDF_PRELOAD = ["weasyprint"]
"""Imported by the fork server too where the build writes PDFs (each worker would take half a
second to import it; a build without PDFs does not wait for it)."""


def _context(preload: list[str] | None = None) -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    # Only read when the server starts: a server already running keeps what it imported.
    context.set_forkserver_preload(preload or PRELOAD + PDF_PRELOAD)
    return context


def warm_up(pdfs: bool = True) -> None:
    """Start the fork server, which imports ``PRELOAD`` (and with ``pdfs``, ``PDF_PRELOAD``)
    in its own process while this one goes on (loading the content, say); it ends with
    this process."""
    _context(PRELOAD + (PDF_PRELOAD if pdfs else []))
    try:
        forkserver.ensure_running()
    except OSError as exc:
        if "AF_UNIX path too long" not in str(exc):
            raise
        # Its socket goes in the temporary folder, and a socket's path has at most 107 bytes.
        raise BuildError(
            f"the temporary folder's path ({tempfile.gettempdir()}) is too long for the "
            "worker processes' socket: name a shorter one in TMPDIR"
        ) from exc


def process_pool(count: int) -> ProcessPoolExecutor:
    """``count`` worker processes, forked from the fork server (see ``warm_up``)."""
    return ProcessPoolExecutor(
        max_workers=count,
        mp_context=_context(),
        initializer=_start_worker,
        initargs=(dict(os.environ),),
    )


def die_with_parent() -> None:
    """In a child process (run before its work): end it when the process that started it
    dies, instead of leaving it working for nobody."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


GC_THRESHOLD = 50_000
"""Objects allocated between two of Python's youngest-generation collections in a build's
processes (Python's default is 700). Loading hundreds of organisations, and laying out a PDF,
make many objects that live until the step ends, and with the default every few hundred of
them set off a collection that walks the survivors again: a quarter of the load stage at 370
organisations, a tenth of each PDF (README, "Benchmark")."""


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage less often while a build runs, and never among what its stages made
    (``settle``); as before after (what they made is then collected as usual)."""
    previous = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *previous[1:])
    settle()  # the modules imported, for a start
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


def settle() -> None:
    """What a build has made so far (the content loaded, the pages rendered) lives until it
    ends: leave it out of the collections until then (``fewer_collections``), which otherwise
    walk it again and again (a third of a second at 370 organisations)."""
    gc.freeze()


def _start_worker(environ: dict[str, str]) -> None:
    # The fork server kept the environment it started with; a worker takes the build's, as a
    # process started now would (multiprocessing gives it the build's folder).
    os.environ.clear()
    os.environ.update(environ)
    # Ctrl+C reaches the whole process group: the build process stops the workers itself,
    # instead of every worker printing its own traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])  # a worker lives for a build
    threading.Thread(target=_watch_build, daemon=True).start()


def _watch_build() -> None:
    """End this worker when the build process that asked for it is gone (killed with SIGKILL,
    say): nothing else would, and the worker would keep running, holding the caller's output
    open, and the fork server too (each worker holds it open)."""
    build = multiprocessing.parent_process()  # the build process, not the fork server
    if build is None:
        return
    wait_for([build.sentinel])  # readable once the build process has ended
    os._exit(1)


def _timed(function: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    """The result, the seconds it took and the peak memory (MB) of the process that ran it."""
    start = time.perf_counter()
    result = function(*args)
    seconds = time.perf_counter() - start
    return result, seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Workers:
    """Runs tasks in ``count`` processes; the first failure stops everything.

    ``then`` callbacks run in this process and may submit further tasks (a search index once
    its pages are built); a task submitted ``first`` goes ahead of those waiting. ``seconds``
    adds up each kind of task's own run time, as measured inside the workers.
    """

    def __init__(self, count: int, pool: ProcessPoolExecutor | None = None):
        """``pool``: workers to use and leave running (else they are started when needed and
        stopped by ``run``)."""
        self.count = max(1, count)
        self.seconds: dict[str, float] = {}
        self.peak_mb = 0.0
        """The largest peak memory of a process that ran a task (MB; this one, with one)."""
        self.finished = 0
        self.submitted = 0
        self._coming: dict[str, int] = {}
        """Kind -> tasks announced with ``expect`` and not yet submitted."""
        self._waiting: list[tuple[int, int, Task]] = []
        """Tasks not yet handed to a worker, as a heap: those submitted ``first``, then the
        others, then those submitted ``last``, each in the order given."""
        self._begun = False
        """Whether ``run`` has begun: every task the caller means to run first is submitted."""
        self._running: dict[Future[tuple[Any, float, float]], Task] = {}
        self._pool = pool
        self._own_pool = pool is None
        self._thread = threading.get_ident()
        _open.add(self)

    def submit(
        self,
        kind: str,
        name: str,
        function: Callable[..., Any],
        *args: Any,
        then: Callable[[Any], None] = lambda result: None,
        first: bool = False,
        last: bool = False,
    ) -> None:
        """Queue ``function(*args)``; ``kind`` groups tasks in ``seconds`` ("MkDocs", "PDF").
        A task submitted ``last`` waits behind every other one, even one submitted later."""
        self.seconds.setdefault(kind, 0.0)
        self.submitted += 1
        if self._coming.get(kind):
            self._coming[kind] -= 1
        rank = _FIRST if first else _LAST if last else _NEXT
        heapq.heappush(
            self._waiting, (rank, self.submitted, Task(kind, name, function, args, then))
        )
        self._hand_out()

    def poll(self) -> None:
        """Give waiting tasks to the workers free by now. A finished task frees its worker,
        but before ``run`` only a call here or a ``submit`` gives it the next: a caller busy
        with other work meanwhile (rendering for seconds) calls this from time to time."""
        self._hand_out()

    def expect(self, kind: str, count: int) -> None:
        """Announce ``count`` tasks of ``kind`` that a ``then`` will submit, so that the
        progress's total holds them from the start."""
        self._coming[kind] = self._coming.get(kind, 0) + count

    @property
    def total(self) -> int:
        """Tasks submitted and announced."""
        return self.submitted + sum(self._coming.values())

    @property
    def _in_process(self) -> bool:
        return self.count == 1 and self._pool is None

    def _hand_out(self) -> None:
        """Give waiting tasks to the workers: one running and one ready for each, so that none
        waits for this process, and the rest kept here, where a task submitted ``first`` can
        still go ahead of them (a process pool runs what it has in the order given). While
        tasks announced with ``expect`` are still to come, each worker gets only the one it
        runs: a search index, the longest step of a small change, would otherwise wait behind
        a PDF handed out before it (a second worth at 370 organisations). Before ``run``, a
        task submitted ``last`` goes only to a worker with nothing else to do: the caller is
        still submitting what goes ahead of it. A worker whose task is done is free, though
        its result waits for ``run``."""
        if self._in_process:
            return
        while self._waiting:
            rank = self._waiting[0][0]
            alone = any(self._coming.values()) or (rank == _LAST and not self._begun)
            busy = sum(1 for future in self._running if not future.done())
            if busy >= (self.count if alone else 2 * self.count):
                return
            task = heapq.heappop(self._waiting)[2]
            if self._pool is None:
                self._pool = process_pool(self.count)
            try:
                future = self._pool.submit(_timed, task.function, *task.args)
            except BrokenProcessPool as exc:  # a lent pool whose worker died since its last use
                raise WorkerStopped(f"{task.name}: the worker processes have stopped") from exc
            self._running[future] = task

    def run(
        self,
        progress: Callable[[int, int], None] = lambda done, total: None,
        meanwhile: Iterable[object] = (),
    ) -> None:
        """Wait for every task, including those submitted meanwhile; raises BuildError.

        ``meanwhile``: work for this process, one step per item, done while the workers run
        (the ``then`` of a finished task goes before the next step)."""
        try:
            self._run(progress, iter(meanwhile))
        except BaseException as exc:
            # Stopped from outside (SIGTERM, Ctrl+C): the running tasks' results are not wanted.
            self.close(stop=not isinstance(exc, Exception))
            raise
        self.close()

    def _run(self, progress: Callable[[int, int], None], meanwhile: Iterator[object]) -> None:
        self._begun = True
        self._hand_out()  # what waited for ``run``
        steps = True
        while True:
            if self._running:
                done, _ = wait(
                    self._running, timeout=0 if steps else None, return_when=FIRST_COMPLETED
                )
                if done:
                    self._collect(done, progress)
                    continue
            if steps:
                steps = next(meanwhile, _END) is not _END
            elif self._in_process and self._waiting:
                task = heapq.heappop(self._waiting)[2]
                self._finish(task, *_call(task))
                progress(self.finished, self.total)
            elif not self._running:
                return

    def _collect(
        self, done: set[Future[tuple[Any, float, float]]], progress: Callable[[int, int], None]
    ) -> None:
        for future in sorted(done, key=lambda f: self._running[f].name):
            task = self._running.pop(future)
            try:
                result, seconds, peak = future.result()
            except BrokenProcessPool as exc:
                stopped = f"{task.name}: the worker process stopped unexpectedly"
                raise WorkerStopped(stopped) from exc
            except (BuildError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # some libraries raise outside Exception
                raise BuildError(f"{task.name} failed: {_what(exc)}") from exc
            self._finish(task, result, seconds, peak)
            progress(self.finished, self.total)
        self._hand_out()

    def close(self, *, stop: bool = False) -> None:
        """Drop the tasks not yet started and wait for the running ones (with ``stop``, end
        them at once); stop the workers unless they were lent."""
        _open.discard(self)
        self._waiting.clear()
        running, self._running = list(self._running), {}
        if self._pool is None:
            return
        if self._own_pool:
            if stop:
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    process.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            return
        for future in running:
            future.cancel()
        wait(running)

    def _finish(self, task: Task, result: Any, seconds: float, peak: float) -> None:
        self.seconds[task.kind] += seconds
        self.peak_mb = max(self.peak_mb, peak)
        self.finished += 1
        task.then(result)


_END = object()
"""``meanwhile`` has no more steps."""

_FIRST, _NEXT, _LAST = 0, 1, 2
"""The order waiting tasks go to the workers in (see ``Workers.submit``)."""


_open: weakref.WeakSet[Workers] = weakref.WeakSet()
"""Workers whose ``run`` has not ended."""


def stop_unfinished() -> None:
    """End the workers this thread started and did not wait for: a build that stops before
    ``run`` (an error or SIGTERM while tasks are queued) must not leave them running."""
    for workers in list(_open):
        if workers._thread == threading.get_ident():
            workers.close(stop=True)


def _call(task: Task) -> tuple[Any, float, float]:
    """Run a task in this process, with the same errors a worker would give."""
    try:
        return _timed(task.function, *task.args)
    except (BuildError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise BuildError(f"{task.name} failed: {_what(exc)}") from exc


def _what(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno is not None:
        return describe_os_error(exc)  # a full disk says to free space, not "[Errno 28]"
    return str(exc) or type(exc).__name__
