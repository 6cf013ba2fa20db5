"""Shared fixtures: real builds of small content trees, a local web server, Chromium.

Tests come in layers: ``slow`` ones build a site or run a subprocess, ``browser`` ones drive
Chromium; both markers are given here, from what a test uses, so that ``make test-fast`` runs
the rest. Builds that many tests read are made once per run, even across xdist's workers.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import http.server
import inspect
import os
import shutil
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks.content import write_content
from benchmarks.search import CHROMIUM_ARGS  # the benchmark measures in the same browser
from generator import Paths, build

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def fixture_content(name: str, tmp_path: Path) -> Path:
    """A private copy of a fixture content tree, free to edit."""
    target = tmp_path / name / "content"
    shutil.copytree(FIXTURES / name / "content", target)
    return target


def build_site(content: Path, site: Path, *, pdfs: bool = True, jobs: int = 1) -> Path:
    """A real build. One job runs MkDocs and WeasyPrint in this process, so a test run imports
    them once instead of in fresh workers for every build; the tests of the workers themselves
    ask for more jobs."""
    build(Paths.default(ROOT, content, site), pdfs=pdfs, jobs=jobs)
    return site


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with its SHA-256: equal digests mean identical trees."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def copy_site(site: Path, target: Path) -> Path:
    """A private copy of a shared build, with its build cache, free to build over."""
    shutil.copytree(site, target, symlinks=True)
    cache = site.with_name(f".{site.name}.cache")
    if cache.is_dir():
        shutil.copytree(cache, target.with_name(f".{target.name}.cache"), symlinks=True)
    return target


def shared(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path]) -> Path:
    """``make(folder)`` once per test run. Under xdist every worker runs session fixtures, so
    the first one to get here builds below the run's common temporary folder, holding a lock,
    and the others wait for it and read the same build."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make(factory.mktemp(name))
    common = factory.getbasetemp().parent
    folder = common / name
    done = common / f"{name}.done"
    with (common / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_text(str(make(folder)))
    return Path(done.read_text())


@pytest.fixture(scope="session")
def minimal_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal fixture (one organisation, one policy), built once per run. Read only."""

    def make(base: Path) -> Path:
        return build_site(fixture_content("minimal", base), base / "site")

    return shared(tmp_path_factory, "minimal", make)


@pytest.fixture(scope="session")
def minimal_two_workers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal fixture built from scratch in two worker processes under umask 022, once
    per run: the content, site/ and .site.cache/ in one folder. Read only."""

    def make(base: Path) -> Path:
        shutil.copytree(FIXTURES / "minimal" / "content", base / "content")
        previous = os.umask(0o022)
        try:
            build_site(base / "content", base / "site", jobs=2)
        finally:
            os.umask(previous)
        return base

    return shared(tmp_path_factory, "minimal-two-workers", make)


@pytest.fixture(scope="session")
def default_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's own content, built once per run. Read only."""
    return shared(
        tmp_path_factory, "default", lambda base: build_site(ROOT / "content", base / "site")
    )


PART_SIZE, INDEX_SIZE = 2, 4
"""``in_parts``: organisations per part and per search index: three parts of six, the first two
in one index, the third in another (as a site of hundreds, in small)."""


@pytest.fixture(scope="session")
def in_parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Six organisations built twice without PDFs: "whole", and "parts" (three parts of two
    organisations, each its own MkDocs build, in two search indexes, in two workers). Read
    only; the content is beside them ("content")."""

    def make(base: Path) -> Path:
        write_content(base / "content", 6)
        # The parts in two workers: a written form's parts are built side by side from the
        # same Markdown, which none of them may write to.
        for name, sizes, jobs in (
            ("whole", (None, None), 1),
            ("parts", (PART_SIZE, INDEX_SIZE), 2),
        ):
            build(
                Paths.default(ROOT, base / "content", base / name),
                pdfs=False,
                jobs=jobs,
                part_size=sizes[0],
                index_size=sizes[1],
            )
        return base

    base = shared(tmp_path_factory, "in-parts", make)
    return {name: base / name for name in ("content", "whole", "parts")}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``folder`` on a free loopback port; returns the server and its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="session")
def default_server(default_site: Path) -> Iterator[str]:
    server, url = serve(default_site)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run `bash tools/system-deps.sh`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (empty storage) and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


# --------------------------------------------------------------------------- layers

SLOW_NAMES = {"build", "build_site", "rebuild", "Preview", "subprocess", "Popen"}
"""Names whose use means a real build or another process: the test is ``slow``."""
SLOW_COMMANDS = {"build", "serve"}
"""policy-site commands that build when invoked in-process (CliRunner)."""
BROWSER_FIXTURES = {"browser", "page"}


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


@functools.cache
def _slow_function(function: Callable[..., object]) -> bool:
    """Whether ``function``, or a helper of the test package it calls, builds or starts a
    process; helpers are followed through their names, not their text."""
    seen: set[Callable[..., object]] = set()
    todo = [inspect.unwrap(function)]
    while todo:
        current = todo.pop()
        code = getattr(current, "__code__", None)
        if current in seen or code is None:
            continue
        seen.add(current)
        module = inspect.getmodule(current)
        namespace = vars(module) if module else {}
        for part in _code_objects(code):
            if SLOW_NAMES & set(part.co_names):
                return True
            if any(isinstance(c, str) and c in SLOW_COMMANDS for c in part.co_consts):
                return True
            todo += [
                helper
                for helper in map(namespace.get, part.co_names)
                if inspect.isfunction(helper) and helper.__module__.startswith("tests")
            ]
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test by what it uses (itself, its helpers and its fixtures), so a new test
    file is sorted into its layer without marking anything by hand."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        info = getattr(item, "_fixtureinfo", None)
        definitions = [d for defs in info.name2fixturedefs.values() for d in defs] if info else []
        if fixtures & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        function = getattr(item, "function", None)
        if any(_slow_function(f) for f in [function, *(d.func for d in definitions)] if f):
            item.add_marker(pytest.mark.slow)

    # Long files first: xdist hands out whole files in this order, so the long ones start early
    # instead of keeping one worker busy at the end. Browser files first, but the second and
    # third places go to the build files that do not read the default site: while one worker
    # builds it, the others work instead of waiting for it.
    files: dict[Path, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.path, []).append(item)

    def rank(path: Path) -> tuple[int, int]:
        """(browser 0, builds 1, the rest 2; minus the number of slow tests)."""
        markers = [{mark.name for mark in item.iter_markers()} for item in files[path]]
        kind = (
            0
            if any("browser" in m for m in markers)
            else 1
            if any("slow" in m for m in markers)
            else 2
        )
        return kind, -sum("slow" in m for m in markers)

    def reads_default_site(path: Path) -> bool:
        return any("default_site" in getattr(item, "fixturenames", ()) for item in files[path])

    ranks = {path: rank(path) for path in files}
    order = sorted(files, key=ranks.__getitem__)
    early = [p for p in order if ranks[p][0] == 1 and not reads_default_site(p)][:2]
    order = [path for path in order if path not in early]
    order[1:1] = early
    items[:] = [item for path in order for item in files[path]]
