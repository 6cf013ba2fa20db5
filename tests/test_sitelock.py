"""One build at a time per site: a second build waits or is refused, and a lock held by a
process that died is free again."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from generator.errors import BuildError
from generator.sitelock import lock_path, site_lock


def test_the_lock_file_sits_beside_the_site(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "site") == tmp_path / ".site.lock"


def test_a_second_build_without_wait_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    site = tmp_path / "site"
    with site_lock(site), pytest.raises(BuildError) as refused, site_lock(site, wait=False):
        pass
    assert str(refused.value) == (
        f"another build of {site} is running (it holds .site.lock); try again when it has "
        "finished, or leave out --no-wait to wait for it"
    )
    with site_lock(site, wait=False):  # released: the next build goes ahead
        pass


def test_a_waiting_build_says_so_and_starts_when_the_first_ends(tmp_path: Path) -> None:
    site = tmp_path / "site"
    order: list[str] = []
    lines: list[str] = []

    def second() -> None:
        with site_lock(site, lines.append):
            order.append("second")

    with site_lock(site):
        waiting = threading.Thread(target=second)
        waiting.start()
        deadline = time.monotonic() + 10
        while not lines and time.monotonic() < deadline:
            time.sleep(0.01)
        order.append("first")
    waiting.join(10)

    assert order == ["first", "second"]
    assert lines == [f"Waiting for another build of {site} to finish (it holds .site.lock)..."]


def test_other_sites_are_not_blocked(tmp_path: Path) -> None:
    with site_lock(tmp_path / "a"), site_lock(tmp_path / "b", wait=False):
        pass


def test_a_lock_held_by_a_killed_process_is_free(tmp_path: Path) -> None:
    site = tmp_path / "site"
    child = os.fork()
    if child == 0:  # the child takes the lock and dies holding it
        with site_lock(site):
            os._exit(0)
    os.waitpid(child, 0)
    with site_lock(site, wait=False):
        pass
    assert lock_path(site).exists(), "the file stays, so that waiting builds share one lock"


def test_a_lock_that_cannot_be_created_is_a_build_error(tmp_path: Path) -> None:
    lock = site_lock(tmp_path / "missing" / "site")
    with pytest.raises(BuildError, match="cannot create the lock file"), lock:
        pass
