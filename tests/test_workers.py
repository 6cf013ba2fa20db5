"""Worker processes: tasks run side by side, follow-up tasks run too, and a failure names the
task that failed, whether it raised or its process died."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator import BuildError
from generator.workers import Workers


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
    assert set(workers.seconds) == {"A", "B"} and all(s >= 0 for s in workers.seconds.values())


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
