"""Worker processes: tasks run side by side, follow-up tasks run too, and a failure names the
task that failed, whether it raised or its process died."""

from __future__ import annotations

import errno
import gc
import os
import time
from pathlib import Path

import pytest

from generator import BuildError
from generator.workers import GC_THRESHOLD, Workers, fewer_collections, warm_up


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return text


def fail(message: str) -> None:
    raise ValueError(message)


def die() -> None:
    os._exit(3)  # as a segfault in a native library would end the process


@pytest.mark.parametrize("count", [1, 2])
def test_follow_up_tasks_run_and_their_results_come_back(tmp_path: Path, count: int) -> None:
    workers = Workers(count)
    results: list[str] = []

    def then(text: str) -> None:
        results.append(text)
        if text == "first":
            workers.submit("B", "second file", write, tmp_path / "b", "second", then=results.append)

    workers.submit("A", "first file", write, tmp_path / "a", "first", then=then)
    workers.run()

    assert results == ["first", "second"]
    assert (tmp_path / "a").read_text() == "first" and (tmp_path / "b").read_text() == "second"
    assert set(workers.seconds) == {"A", "B"}


@pytest.mark.parametrize("count", [1, 2])
def test_seconds_add_up_each_kinds_own_run_time(count: int) -> None:
    """The build's summary reports time per kind: two naps of the same kind add up, even when
    they ran side by side, and a task that does nothing adds next to nothing to its kind."""
    workers = Workers(count)
    workers.submit("Nap", "first nap", time.sleep, 0.3)
    workers.submit("Nap", "second nap", time.sleep, 0.2)
    workers.submit("Blink", "no nap", time.sleep, 0)
    workers.run()

    assert set(workers.seconds) == {"Nap", "Blink"}
    assert workers.seconds["Nap"] >= 0.5
    assert workers.seconds["Blink"] < 0.2
    assert workers.finished == workers.submitted == 3


def hold(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])  # touched, so the pages are really there
    return len(block)


@pytest.mark.parametrize("count", [1, 2])
def test_peak_memory_is_that_of_the_process_that_needed_most(count: int) -> None:
    """The benchmark reports the largest worker's memory from here: the workers are forked by
    a fork server, out of the build process's sight."""
    workers = Workers(count)
    workers.submit("Small", "small", hold, 1)
    workers.submit("Large", "large", hold, 120)
    workers.run()

    assert workers.peak_mb >= 120


def where() -> tuple[str, str | None]:
    return os.getcwd(), os.environ.get("POLICY_SITE_TEST_MARK")


def test_workers_run_in_the_builds_folder_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fork server keeps the folder and environment it started with (an earlier build's);
    a worker takes those of the build that asks for it."""
    warm_up()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POLICY_SITE_TEST_MARK", "this build")
    workers, seen = Workers(2), []
    workers.submit("Where", "where", where, then=seen.append)
    workers.run()

    assert seen == [(str(tmp_path), "this build")]


@pytest.mark.parametrize("count", [1, 2])
def test_an_error_in_a_task_names_it(count: int) -> None:
    workers = Workers(count)
    workers.submit("PDF", "PDF nb/a.pdf", fail, "no room on the page")
    with pytest.raises(BuildError, match=r"^PDF nb/a\.pdf failed: no room on the page$"):
        workers.run()


def test_a_worker_that_dies_fails_the_build_naming_its_task() -> None:
    workers = Workers(2)
    workers.submit("MkDocs", "MkDocs build for 'nn'", die)
    with pytest.raises(
        BuildError, match=r"^MkDocs build for 'nn': the worker process stopped unexpectedly$"
    ):
        workers.run()


def started(name: str, pause: float) -> tuple[str, float]:
    begun = time.monotonic()
    time.sleep(pause)
    return name, begun


@pytest.mark.parametrize("count", [1, 2])
def test_a_task_submitted_first_goes_ahead_of_those_waiting(count: int) -> None:
    workers, seen = Workers(count), []
    # Pauses that differ, so that no two workers come free at the same moment and take "x" and
    # the next task side by side (their start times would then race).
    for name, pause in zip("abcdef", (0.05, 0.15, 0.05, 0.15, 0.05, 0.05), strict=True):
        workers.submit("PDF", name, started, name, pause, then=seen.append)
    workers.submit("Search", "x", started, "x", 0.0, then=seen.append, first=True)
    workers.run()

    begun = dict(seen)
    assert sorted(begun) == ["a", "b", "c", "d", "e", "f", "x"]
    # Those already given to a worker go first (one running and one ready for each); "x"
    # goes before every task still waiting.
    assert begun["x"] < min(begun["e"], begun["f"])
    if count == 1:
        assert begun["x"] < begun["a"]


@pytest.mark.parametrize("count", [1, 2])
def test_work_meanwhile_runs_step_by_step_and_may_submit_tasks(count: int) -> None:
    workers, seen, steps = Workers(count), [], []
    workers.submit("PDF", "a", started, "a", 0.3, then=seen.append)

    def meanwhile():
        for step in range(3):
            steps.append(step)
            if step == 1:
                workers.submit("PDF", "b", started, "b", 0.0, then=seen.append)
            yield

    workers.run(meanwhile=meanwhile())

    assert steps == [0, 1, 2]
    assert sorted(name for name, _ in seen) == ["a", "b"]


def threshold() -> int:
    return gc.get_threshold()[0]


def test_workers_collect_garbage_less_often_and_a_build_restores_the_thresholds() -> None:
    workers, seen = Workers(2), []
    workers.submit("Check", "threshold", threshold, then=seen.append)
    workers.run()
    assert seen == [GC_THRESHOLD]

    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] == GC_THRESHOLD
    assert gc.get_threshold() == before


@pytest.mark.parametrize("count", [1, 2])
def test_tasks_announced_are_in_the_progress_total_from_the_start(count: int) -> None:
    workers, steps = Workers(count), []
    workers.expect("Search", 1)

    def then(result: object) -> None:
        workers.submit("Search", "index", started, "index", 0.0)

    workers.submit("MkDocs", "part", started, "part", 0.0, then=then)
    workers.submit("PDF", "pdf", started, "pdf", 0.0)
    workers.run(lambda done, total: steps.append((done, total)))

    assert steps == [(1, 3), (2, 3), (3, 3)]


def test_a_task_announced_runs_before_tasks_handed_out_ahead_of_it() -> None:
    """A small change: the MkDocs parts, then their search indexes (announced), then PDFs. An
    index must not wait behind PDFs a worker took while the parts were being built."""
    workers, seen = Workers(2), []
    workers.expect("Search", 1)

    def then(result: tuple[str, float]) -> None:
        seen.append(result)
        workers.submit("Search", "index", started, "index", 0.0, then=seen.append, first=True)

    workers.submit("MkDocs", "part", started, "part", 0.3, then=then)
    for name in "abcd":
        workers.submit("PDF", name, started, name, 0.3, then=seen.append)
    workers.run()

    begun = dict(seen)
    # One PDF runs beside the part, and perhaps a second once the first is done; the index
    # goes next, before the rest. Handed out ahead, three would go before it.
    assert sum(begun[name] < begun["index"] for name in "abcd") <= 2


@pytest.mark.parametrize("count", [1, 2])
def test_tasks_submitted_last_wait_behind_those_submitted_after_them(count: int) -> None:
    """The PDFs are handed over while the pages are still being rendered; the MkDocs builds
    planned after them must not wait for them all."""
    workers, seen = Workers(count), []
    for name in "abcd":
        workers.submit("PDF", name, started, name, 0.2, then=seen.append, last=True)
    time.sleep(0.05)  # this process renders meanwhile: each worker has taken one PDF
    workers.submit("MkDocs", "part", started, "part", 0.0, then=seen.append)
    workers.run()

    begun = dict(seen)
    assert sorted(begun) == ["a", "b", "c", "d", "part"]
    # Only a PDF a worker took before the part came may go first: none with one process.
    assert sum(begun[name] < begun["part"] for name in "abcd") <= (count if count > 1 else 0)


def test_a_worker_done_before_run_takes_the_next_task() -> None:
    """A finished task's worker is free at once, though its result waits for ``run``."""
    workers, seen = Workers(2), []
    for name in "abc":
        workers.submit("PDF", name, started, name, 0.1, then=seen.append, last=True)
    time.sleep(1.5)  # workers started, "a" and "b" done
    workers.submit("PDF", "d", started, "d", 0.0, then=seen.append, last=True)
    time.sleep(0.5)
    ran = time.monotonic()
    workers.run()

    begun = dict(seen)
    # "c" waited for a free worker and "d" was given to the other one, both before ``run``.
    assert begun["c"] < ran and begun["d"] < ran


def test_a_worker_done_before_run_is_given_the_next_task_when_polled() -> None:
    """While the build process renders it polls the workers: a worker whose task is done
    takes the next one then, not at the next submit or at ``run``."""
    workers, seen = Workers(2), []
    for name in "abc":
        workers.submit("PDF", name, started, name, 0.1, then=seen.append, last=True)
    time.sleep(1.5)  # workers started, "a" and "b" done
    workers.poll()
    time.sleep(0.5)
    ran = time.monotonic()
    workers.run()

    assert dict(seen)["c"] < ran


def disk_full(path: str) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", path)


@pytest.mark.parametrize("count", [1, 2])
def test_a_full_disk_in_a_task_says_what_to_do(count: int) -> None:
    workers = Workers(count)
    workers.submit("PDF", "PDF nb/a.pdf", disk_full, "/site/nb/a.pdf")
    with pytest.raises(BuildError, match="the disk is full: free some space and build again"):
        workers.run()
