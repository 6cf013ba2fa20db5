"""What a build replaced is out of the way at once and deleted after it: by a process of its own
for the command, at once for a build that does not ask for that, and a trash folder whose
process was stopped is deleted by the next build."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import generator.trash
from generator import Paths, build
from generator.trash import FORGOTTEN, PREFIX, SPARE, STOPPED, TEMPORARY, Trash
from tests.conftest import ROOT, copy_site, fixture_content, tree_digest


def replaced(base: Path) -> tuple[Path, Path]:
    """A file and a folder with a file in it, as a build leaves what it replaced."""
    (base / "old-site" / "nb").mkdir(parents=True)
    (base / "old-site" / "nb" / "index.html").write_text("gammel")
    (base / "entry").write_text("brukt før")
    return base / "old-site", base / "entry"


def trash_folders(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.name.startswith(PREFIX)]


def emptied(root: Path, timeout: float = 30.0) -> bool:
    """Whether every trash folder in ``root`` is gone within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while trash_folders(root):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_what_is_put_in_the_trash_is_gone_at_once_and_deleted_after(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    folder, file = replaced(tmp_path)
    trash = Trash(cache, later=True)

    trash.put(folder)
    trash.put(file)

    assert not folder.exists() and not file.exists()
    [kept] = trash_folders(cache)
    assert sorted(p.name for p in kept.iterdir()) == ["1", "2"]  # moved, not yet deleted
    trash.empty()
    assert emptied(cache)
    assert list(cache.iterdir()) == []


def test_without_later_what_is_put_in_the_trash_is_deleted_at_once(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    folder, file = replaced(tmp_path)
    trash = Trash(cache)

    trash.put(folder)
    trash.put(file)

    assert not folder.exists() and not file.exists()
    assert list(cache.iterdir()) == []
    trash.empty()
    assert list(cache.iterdir()) == []


def test_where_nothing_can_be_moved_it_is_deleted_at_once(tmp_path: Path) -> None:
    folder, file = replaced(tmp_path)
    trash = Trash(tmp_path / "no-cache-here", later=True)  # a trash folder cannot be made

    trash.put(folder)
    trash.put(file)

    assert not folder.exists() and not file.exists()
    trash.empty()


def test_where_no_process_can_delete_it_the_trash_is_deleted_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    folder, _ = replaced(tmp_path)
    trash = Trash(cache, later=True)
    trash.put(folder)
    monkeypatch.setattr(generator.trash.shutil, "which", lambda name: None)

    trash.empty()

    assert list(cache.iterdir()) == []


def test_a_forgotten_trash_folder_is_deleted_by_the_next_build_and_a_fresh_one_left(
    tmp_path: Path,
) -> None:
    """A trash folder still there a while after its build lost its process (the machine
    stopped); a recent one belongs to a build whose process is at work on it."""
    cache = tmp_path / "cache"
    (cache / f"{PREFIX}forgotten" / "1").mkdir(parents=True)
    (cache / f"{PREFIX}recent" / "1").mkdir(parents=True)
    long_ago = time.time() - FORGOTTEN - 10
    os.utime(cache / f"{PREFIX}forgotten", (long_ago, long_ago))

    Trash(cache).empty()

    assert [p.name for p in trash_folders(cache)] == [f"{PREFIX}recent"]


def test_a_temporary_folder_a_stopped_build_left_is_deleted_by_a_later_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build killed outright (or its worker, in the middle of a PDF) cannot remove its
    temporary folders; a day on, one that is still there is no running build's."""
    temporary = tmp_path / "tmp"
    (temporary / f"{TEMPORARY}stopped").mkdir(parents=True)
    (temporary / f"{TEMPORARY}stopped" / "mkdocs.nb.0.yml").write_text("site_name: x")
    (temporary / f"{TEMPORARY}pdf-running").mkdir()
    (temporary / "someone-elses").mkdir()
    long_ago = time.time() - STOPPED - 10
    for name in (f"{TEMPORARY}stopped", "someone-elses"):
        os.utime(temporary / name, (long_ago, long_ago))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))

    content = fixture_content("minimal", tmp_path)
    build(Paths.default(ROOT, content, tmp_path / "site"), pdfs=False, jobs=1)

    assert sorted(p.name for p in temporary.iterdir()) == [
        f"{TEMPORARY}pdf-running",
        "someone-elses",
    ]


def test_the_command_replaces_the_site_and_deletes_the_old_one_after(
    tmp_path: Path, minimal_site: Path
) -> None:
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")  # with its cache: a quick build
    before = tree_digest(site)
    policy_site = str(Path(sys.executable).with_name("policy-site"))

    built = subprocess.run(
        [policy_site, "build", "--content", str(content), "--site", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert built.returncode == 0, built.stderr
    assert tree_digest(site) == before
    assert emptied(tmp_path / ".site.cache")
    listed = sorted(p.name for p in tmp_path.iterdir())
    assert listed == [".site.cache", ".site.lock", "minimal", "site"]


def test_a_replaced_site_is_kept_as_the_spare_and_the_spare_before_it_is_deleted(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    older, _ = replaced(tmp_path / "older")
    newer, _ = replaced(tmp_path / "newer")
    trash = Trash(cache)

    trash.keep(older)
    trash.keep(newer)

    assert sorted(p.name for p in cache.iterdir()) == [SPARE]
    assert (cache / SPARE / "nb" / "index.html").read_text() == "gammel"
    assert not older.exists() and not newer.exists()
    no_cache = Trash(tmp_path / "no-cache-here")
    site, _ = replaced(tmp_path / "third")
    no_cache.keep(site)  # nowhere to keep it: deleted
    assert not site.exists()
