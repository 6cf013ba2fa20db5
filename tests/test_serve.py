"""Live preview in a real browser: a change to content rebuilds and reloads the page; a content
error shows in the page and the server keeps running; fixing it brings the page back."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from generator import Paths, build, serve, trash
from generator.serve import Preview, make_server
from tests.conftest import FIXTURES, ROOT

POLICY = "policies/heimekontor/policy.yml"
NB = "policies/heimekontor/nb.yml"


def test_preview_rebuilds_reloads_and_shows_errors(tmp_path: Path, page: Page) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal" / "content", content)
    paths = Paths.default(ROOT, content, tmp_path / "site")
    log: list[str] = []
    # In this process (the workers have a test of their own), and a quick preview: the page and
    # its errors are what is looked at.
    preview = Preview(paths, log.append, jobs=1, pdfs=False)
    preview.rebuild()
    observer = preview.watch()
    server = make_server(preview, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/nb/testkommune/heimekontor/"
    try:
        page.goto(url)
        body = page.locator("article")
        expect(body).to_contain_text("inntil 2 dager i uken")

        policy = content / POLICY
        policy.write_text(
            policy.read_text().replace("home_days_per_week_max: 2", "home_days_per_week_max: 4")
        )
        expect(body).to_contain_text("inntil 4 dager i uken", timeout=60_000)

        policy.write_text(policy.read_text().replace("status: active", "status: aktiv"))
        errors = page.locator("#ps-preview-errors")
        expect(errors).to_contain_text("policy.yml:5:9: status: expected one of", timeout=60_000)
        assert any("status: expected one of" in line for line in log)
        expect(body).to_contain_text("inntil 4 dager i uken")  # the last good site stays

        policy.write_text(policy.read_text().replace("status: aktiv", "status: active"))
        expect(errors).to_have_count(0, timeout=60_000)
        expect(body).to_contain_text("inntil 4 dager i uken")
        assert "_policy-site" not in (paths.site / "nb/index.html").read_text()
    finally:
        server.shutdown()
        observer.stop()


def _workers(before: set[int]) -> set[int]:
    return {child.pid for child in multiprocessing.active_children()} - before


def test_rebuilds_keep_their_workers_and_replace_dead_ones(tmp_path: Path) -> None:
    """MkDocs and WeasyPrint are imported once per preview, not once per change."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal" / "content", content)
    paths = Paths.default(ROOT, content, tmp_path / "site")
    before = {child.pid for child in multiprocessing.active_children()}
    # Without PDFs: the MkDocs builds run in the same workers, and are quicker to wait for.
    preview = Preview(paths, lambda line: None, jobs=2, pdfs=False)
    policy = content / POLICY
    page = paths.site / "nb/testkommune/heimekontor/index.html"
    try:
        preview.rebuild()
        workers = _workers(before)
        assert len(workers) == 2 and preview.errors == []

        policy.write_text(
            policy.read_text().replace("home_days_per_week_max: 2", "home_days_per_week_max: 4")
        )
        preview.rebuild()
        assert preview.errors == [] and _workers(before) == workers
        assert "inntil 4 dager i uken" in " ".join(page.read_text().split())

        os.kill(next(iter(workers)), signal.SIGKILL)  # as the kernel's out-of-memory killer would
        time.sleep(1)
        policy.write_text(
            policy.read_text().replace("home_days_per_week_max: 4", "home_days_per_week_max: 3")
        )
        preview.rebuild()
        assert preview.errors == []
        assert "inntil 3 dager i uken" in " ".join(page.read_text().split())
        assert len(_workers(before)) == 2 and not _workers(before) & workers
    finally:
        preview.close()
    assert _workers(before) == set()


def test_a_rebuild_leaves_deleting_what_it_replaced_to_a_process_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal" / "content", content)
    paths = Paths.default(ROOT, content, tmp_path / "site")
    handed: list[Path] = []

    def remove_meanwhile(folder: Path) -> bool:
        handed.append(folder)
        return real(folder)

    real = trash._remove_meanwhile
    monkeypatch.setattr(trash, "_remove_meanwhile", remove_meanwhile)
    preview = Preview(paths, lambda line: None, jobs=1, pdfs=False)
    policy = content / POLICY
    page = paths.site / "nb/testkommune/heimekontor/index.html"
    preview.rebuild()
    for days in (3, 4):  # the second replaces a site and the spare the first kept
        policy.write_text(
            re.sub(
                r"home_days_per_week_max: \d", f"home_days_per_week_max: {days}", policy.read_text()
            )
        )
        preview.rebuild()
        assert preview.errors == []
        assert f"inntil {days} dager i uken" in " ".join(page.read_text().split())
    assert handed
    cache = paths.site.with_name(f".{paths.site.name}.cache")
    deadline = time.monotonic() + 30
    while list(cache.glob(f"{trash.PREFIX}*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(cache.glob(f"{trash.PREFIX}*"))


def test_preview_survives_any_failure_and_rebuilds_after_it(
    tmp_path: Path, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild that dies of something unforeseen shows it in the page and the terminal; the
    watcher stays, and the next good edit brings the page back."""
    from weasyprint.urls import FatalURLFetchingError

    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal" / "content", content)
    paths = Paths.default(ROOT, content, tmp_path / "site")
    log: list[str] = []
    failure: list[BaseException] = []

    def build_or_fail(*args: object, **kwargs: object) -> object:
        if failure:
            raise failure.pop()
        return build(*args, **kwargs)

    monkeypatch.setattr(serve, "build", build_or_fail)
    # In this process (the workers have a test of their own), and a quick preview: the page and
    # its errors are what is looked at.
    preview = Preview(paths, log.append, jobs=1, pdfs=False)
    preview.rebuild()
    observer = preview.watch()
    server = make_server(preview, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    body, errors = page.locator("article"), page.locator("#ps-preview-errors")
    policy, nb = content / POLICY, content / NB
    days = iter(range(3, 8))
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/nb/testkommune/heimekontor/")
        expect(body).to_contain_text("inntil 2 dager i uken")
        for unforeseen in (
            RuntimeError("the disk is on fire"),
            FatalURLFetchingError("not an Exception at all"),
        ):
            failure.append(unforeseen)
            nb.write_text(nb.read_text() + "\n")
            expect(errors).to_contain_text(str(unforeseen), timeout=60_000)
            assert any(str(unforeseen) in line for line in log)

            day = next(days)
            text = policy.read_text()
            policy.write_text(
                re.sub(r"home_days_per_week_max: \d", f"home_days_per_week_max: {day}", text)
            )
            expect(errors).to_have_count(0, timeout=60_000)
            expect(body).to_contain_text(f"inntil {day} dager i uken", timeout=60_000)

        # A real one: a text that cannot be filled in (division by zero) at its line.
        text = nb.read_text()
        nb.write_text(text.replace("egen bolig.", "egen bolig. {{ 1 // 0 }}"))
        expect(errors).to_contain_text("division", timeout=60_000)
        expect(errors).to_contain_text("nb.yml")
        nb.write_text(text)
        expect(errors).to_have_count(0, timeout=60_000)
        expect(body).to_contain_text("egen bolig.")
    finally:
        server.shutdown()
        observer.stop()
        preview.close()
