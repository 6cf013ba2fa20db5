"""Builds that survive each other and their own faults: one build at a time, a cache that is
checked before anything in it is used, a swap that a kill cannot lose the site in, workers
that end with their build, and a published tree anyone may read."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import generator.cache
from generator import ContentError, Paths, build
from generator import addresses as at
from generator.cache import environment_key, font_subsetter, unframe
from generator.serve import Preview
from tests.conftest import ROOT, tree_digest

COMMAND = str(Path(sys.executable).with_name("policy-site"))
PDF_ENTRY = "nb/testkommune/skjema/avtale.pdf"


def paths(base: Path) -> Paths:
    return Paths.default(ROOT, base / "content", base / "site")


def run(base: Path, *, incremental: bool = True, jobs: int = 1) -> list[str]:
    lines: list[str] = []
    build(paths(base), report=lines.append, jobs=jobs, incremental=incremental)
    return lines


def command(base: Path, *extra: str) -> list[str]:
    return [
        COMMAND,
        "build",
        "--content",
        str(base / "content"),
        "--site",
        str(base / "site"),
        *extra,
    ]


@pytest.fixture(scope="module")
def built(minimal_two_workers: Path) -> Path:
    """The minimal fixture built from scratch with two workers under umask 022: the content,
    site/ and .site.cache/ in one folder (shared with other modules: read only)."""
    return minimal_two_workers


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built folder, cache included."""
    target = tmp_path / "copy"
    shutil.copytree(built, target, symlinks=True)
    return target


def cache_files(base: Path) -> Iterator[tuple[Path, bytes]]:
    """The cache's file entries with the bytes they hold."""
    for path in sorted((base / ".site.cache").iterdir()):
        if path.is_file() and path.suffix != ".sums" and path.name != ".index":
            yield path, path.read_bytes()


def pdf_entry(base: Path) -> Path:
    published = (base / "site" / PDF_ENTRY).read_bytes()
    return next(path for path, data in cache_files(base) if data == published)


def text_entry(base: Path) -> Path:
    """An organisation's rendered pages (with its forms' HTML), kept as text."""
    return next(
        path
        for path, data in cache_files(base)
        if (unframe(data)[0] or b"").startswith(b'{"pages": [')
    )


def without_checksum(path: Path) -> None:
    """Leave only the bytes a framed entry holds, without the header naming their digest."""
    data = unframe(path.read_bytes())[0]
    assert data is not None
    path.write_bytes(data)


def site_entry(base: Path, lang: str) -> Path:
    """The cached MkDocs site of ``lang``."""
    page = (base / "site" / lang / "404.html").read_bytes()
    for path in (base / ".site.cache").iterdir():
        if (path / "404.html").is_file() and (path / "404.html").read_bytes() == page:
            return path
    raise AssertionError(f"no cached MkDocs site for {lang}")


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def garble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 8] = b"\xff\xfe\x00\x80garb"
    path.write_bytes(bytes(data))


def search_entry(base: Path, lang: str) -> Path:
    """The cached search index of ``lang``."""
    entry = (base / "site" / lang / at.search_part(0) / "pagefind-entry.json").read_bytes()
    for path in (base / ".site.cache").iterdir():
        found = path / "pagefind-entry.json"
        if found.is_file() and found.read_bytes() == entry:
            return path
    raise AssertionError(f"no cached search index for {lang}")


def lose_css_and_search(base: Path) -> None:
    shutil.rmtree(site_entry(base, "nb") / "assets" / "stylesheets")
    (search_entry(base, "nb") / "pagefind-entry.json").unlink()
    garble(sorted((search_entry(base, "nn") / "index").iterdir())[0])


DAMAGE = {
    "truncated PDF": lambda base: truncate(pdf_entry(base)),
    "garbled PDF": lambda base: garble(pdf_entry(base)),
    "deleted PDF": lambda base: pdf_entry(base).unlink(),
    "PDF replaced by bytes without a header": lambda base: pdf_entry(base).write_bytes(
        (base / "site" / "nn/testkommune/skjema/avtale.pdf").read_bytes()
    ),
    "garbled rendered pages": lambda base: text_entry(base).write_bytes(b"\xff\xfe\x00garbage"),
    "rendered pages without their checksum": lambda base: without_checksum(text_entry(base)),
    "truncated rendered pages": lambda base: truncate(text_entry(base)),
    "MkDocs site without its CSS, search index without its entry file, another garbled": (
        lose_css_and_search
    ),
    "MkDocs site with a changed page": lambda base: garble(site_entry(base, "nn") / "index.html"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cache_entry_is_rebuilt_and_reported(
    copy: Path, built: Path, damage: str
) -> None:
    DAMAGE[damage](copy)

    lines = run(copy)

    assert tree_digest(copy / "site") == tree_digest(built / "site")
    noted = [line for line in lines if "was damaged; rebuilt" in line]
    assert noted, lines
    again = run(copy)  # the cache holds whole entries again
    assert "Nothing changed: no page and no PDF was rendered again." in again, again


def test_a_file_added_to_a_cached_site_is_not_published(copy: Path, built: Path) -> None:
    (site_entry(copy, "nb") / "extra.js").write_text("alert(1)")

    run(copy)

    assert tree_digest(copy / "site") == tree_digest(built / "site")
    assert not (copy / "site" / "nb" / "extra.js").exists()


def test_damaged_page_cache_entries_are_rendered_again(copy: Path, built: Path) -> None:
    """With the MkDocs site gone from the cache, MkDocs runs and reuses the stored pages:
    a garbled one and a truncated one are rendered again, not published."""
    shutil.rmtree(site_entry(copy, "nb"))
    pages = sorted((copy / ".site.cache" / "pages-nb-0").iterdir())
    garble(pages[0])
    truncate(pages[1])
    pages[2].write_bytes(b"\xff\xfe\xfa not a page")

    lines = run(copy)

    assert tree_digest(copy / "site") == tree_digest(built / "site")
    assert "Built nb: 10 pages (3 rendered, 7 unchanged)." in lines, lines
    assert sum("pages-nb-0/" in line and "was damaged; rebuilt" in line for line in lines) == 3


def test_a_garbled_field_font_is_made_again(copy: Path, built: Path) -> None:
    (font,) = [path for path, data in cache_files(copy) if b"@font-face" in data]
    garble(font)
    for path, data in cache_files(copy):
        if data.startswith(b"%PDF"):
            path.unlink()  # so that the PDFs need the font

    lines = run(copy)

    assert tree_digest(copy / "site") == tree_digest(built / "site")
    assert any("was damaged; rebuilt" in line for line in lines), lines


def test_a_cache_that_cannot_be_written_does_not_fail_the_build(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "full-disk"
    shutil.copytree(built / "content", base / "content")

    def no_space(path: Path, data: bytes) -> None:
        if ".site.cache" in str(path):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        path.write_bytes(data)

    monkeypatch.setattr(generator.cache, "_write_bytes", no_space)
    lines = run(base)

    assert tree_digest(base / "site") == tree_digest(built / "site")
    assert sum("cannot be written (No space left on device)" in line for line in lines) == 1
    leftovers = [p.name for p in (base / ".site.cache").rglob("*") if "partial" in p.name]
    assert leftovers == []


def test_a_site_that_cannot_be_written_is_a_clear_error(built: Path, tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    result = subprocess.run(
        [
            COMMAND,
            "build",
            "--content",
            str(built / "content"),
            "--site",
            str(tmp_path / "not-a-folder" / "site"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "error: cannot create" in result.stderr and "Traceback" not in result.stderr


def test_two_builds_at_once_end_with_one_clean_site(built: Path, tmp_path: Path) -> None:
    """Two builds start over the same site and cache after a text changed: one renders what
    changed while the other waits, then finds nothing to do; the site is what one build makes."""
    for name in ("twice", "once"):
        shutil.copytree(built, tmp_path / name, symlinks=True)
        text = tmp_path / name / "content/policies/heimekontor/nb.yml"
        text.write_text(text.read_text().replace("jobbe hjemmefra.", "jobbe hjemme."))
    run(tmp_path / "once")
    base = tmp_path / "twice"

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command(base, "--jobs", "1"),  # the lock is the point, not the workers
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start()
    # The second starts once the first is writing its new site (which it does holding the lock).
    while not list(base.glob(".site.new-*")) and first.poll() is None:
        time.sleep(0.005)
    assert first.poll() is None, "the first build ended before the second could start"
    runs = [first, start()]
    outputs = [process.communicate(timeout=300) for process in runs]

    for process, (out, err) in zip(runs, outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in out + err
    assert "Waiting for another build" in outputs[1][0] + outputs[1][1], outputs[1]
    assert tree_digest(base / "site") == tree_digest(tmp_path / "once" / "site")
    assert "jobbe hjemme." in (base / "site/nb/testkommune/heimekontor/index.html").read_text()
    assert sorted(p.name for p in base.iterdir()) == [
        ".site.cache",
        ".site.lock",
        "content",
        "site",
    ]
    assert not [p for p in (base / ".site.cache").rglob("*") if "partial" in p.name]
    again = run(base)  # every entry whole and used: nothing to render, nothing damaged
    assert "Nothing changed: no page and no PDF was rendered again." in again, again
    assert not [line for line in again if "damaged" in line]


def test_a_second_build_waits_or_with_no_wait_fails(copy: Path) -> None:
    before = tree_digest(copy / "site")
    with (copy / ".site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        refused = subprocess.run(
            command(copy, "--no-wait"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert refused.returncode == 1
        assert "error: another build of" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
        assert tree_digest(copy / "site") == before

        waiting = subprocess.Popen(
            command(copy, "--jobs", "1"),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stdout is not None
        lines = []
        while not any(line.startswith("Waiting for another build") for line in lines):
            line = waiting.stdout.readline()
            assert line, lines
            lines.append(line)
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "Nothing changed" in out


KILL_BETWEEN_RENAMES = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import generator.pipeline as pipeline

    if sys.argv[2] == "no-exchange":
        pipeline._exchange = lambda a, b: False  # as on a system without an atomic exchange
    rename = Path.rename

    def killed_after_first(self, target):
        result = rename(self, target)
        if ".site.old-" in str(target):
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    Path.rename = killed_after_first
    base = Path(sys.argv[1])
    pipeline.build(pipeline.Paths.default(Path.cwd(), base / "content", base / "site"), jobs=1)
""")


def _rebuild_with_a_change(copy: Path, swap: str) -> subprocess.CompletedProcess[str]:
    """Change a rule in ``copy`` and build it in a process of its own (KILL_BETWEEN_RENAMES,
    with the ``swap`` it names)."""
    policy = copy / "content/policies/heimekontor/policy.yml"
    policy.write_text(
        policy.read_text().replace("home_days_per_week_max: 2", "home_days_per_week_max: 3")
    )
    return subprocess.run(
        [sys.executable, "-c", KILL_BETWEEN_RENAMES, str(copy), swap],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_kill_between_the_two_renames_loses_no_site(copy: Path, built: Path) -> None:
    policy = copy / "content/policies/heimekontor/policy.yml"
    killed = _rebuild_with_a_change(copy, "no-exchange")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (copy / "site").exists()
    assert len(list(copy.glob(".site.old-*"))) == 1

    policy.write_text("version: [unclosed\n")  # the next build fails, yet restores the site
    lines: list[str] = []
    with pytest.raises(ContentError):
        build(paths(copy), report=lines.append, jobs=1)

    assert tree_digest(copy / "site") == tree_digest(built / "site")
    assert [line for line in lines if line.startswith("Restored ")], lines
    assert not list(copy.glob(".site.old-*")) and not list(copy.glob(".site.new-*"))


def test_on_linux_the_swap_is_one_atomic_exchange(copy: Path, built: Path) -> None:
    """The same build as above, where the system can exchange two names: there is no moment
    without site/, so no second rename to be killed before."""
    swapped = _rebuild_with_a_change(copy, "exchange")
    assert swapped.returncode == 0, swapped.stderr
    page = (copy / "site/nb/testkommune/heimekontor/index.html").read_text()
    assert "inntil 3 dager" in " ".join(page.split())
    assert sorted(p.name for p in copy.iterdir()) == [
        ".site.cache",
        ".site.lock",
        "content",
        "site",
    ]


def test_the_published_site_has_the_modes_of_the_umask(built: Path, copy: Path) -> None:
    site = built / "site"
    modes = {path.stat().st_mode & 0o777 for path in [site, *site.rglob("*")] if path.is_dir()}
    assert modes == {0o755}
    assert {path.stat().st_mode & 0o777 for path in site.rglob("*") if path.is_file()} == {0o644}

    previous = os.umask(0o027)
    try:
        run(copy)  # everything from the cache, which keeps no modes of its own
    finally:
        os.umask(previous)
    site = copy / "site"
    assert {p.stat().st_mode & 0o777 for p in [site, *site.rglob("*")] if p.is_dir()} == {0o750}
    assert {p.stat().st_mode & 0o777 for p in site.rglob("*") if p.is_file()} == {0o640}


def _children(pid: int) -> set[int]:
    """Every process below ``pid``."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _workers(pid: int) -> set[int]:
    """The build's workers: forked by its fork server (a child of the build, same command)."""
    found = set()
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            parent = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"forkserver" in command and parent != pid:
            found.add(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_workers_end_with_their_build(copy: Path, how: signal.Signals) -> None:
    before = tree_digest(copy / "site")
    process = subprocess.Popen(
        command(copy, "--full", "--jobs", "2"),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while len(_workers(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_workers(process.pid)) == 2, "the workers did not start"
    time.sleep(1)  # in the middle of their tasks
    workers = _children(process.pid)  # the workers and the resource tracker

    os.kill(process.pid, how)
    killed = time.monotonic()
    out, err = process.communicate(timeout=30)  # returns once nothing holds the pipes
    while any(_alive(pid) for pid in workers) and time.monotonic() - killed < 10:
        time.sleep(0.1)

    assert time.monotonic() - killed < 5, "a worker kept the output open"
    assert not [pid for pid in workers if _alive(pid)]
    assert tree_digest(copy / "site") == before
    if how == signal.SIGTERM:
        assert process.returncode == 1
        assert b"error: the build was stopped (SIGTERM)" in err, err
        assert b"Traceback" not in out + err
        assert not list(copy.glob(".site.new-*"))


def test_the_cache_key_names_the_font_subsetter_weasyprint_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HarfBuzz and fontTools subset fonts into different bytes: a PDF made with one must not
    be reused when the other is installed."""
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    uses_harfbuzz = harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))
    assert font_subsetter().startswith("harfbuzz-subset ") == uses_harfbuzz, font_subsetter()
    key = environment_key()
    monkeypatch.setattr(generator.cache, "font_subsetter", lambda: "fonttools (harfbuzz 2.0)")
    assert environment_key() != key


def test_preview_rebuilds_wait_for_a_running_build(copy: Path) -> None:
    """``make serve`` next to ``make site``: the preview's rebuild takes the same lock."""
    lines: list[str] = []
    preview = Preview(paths(copy), lines.append, jobs=1)
    with (copy / ".site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rebuild = threading.Thread(target=preview.rebuild)
        rebuild.start()
        deadline = time.monotonic() + 30
        while not any(line.startswith("Waiting for another build") for line in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)
        time.sleep(0.3)
        assert rebuild.is_alive() and preview.build_number == 0
    rebuild.join(timeout=120)
    assert preview.build_number == 1 and preview.errors == [], lines
    assert any(line.startswith("Site written to ") for line in lines)
