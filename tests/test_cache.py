"""The build cache on its own: what goes in comes out to the byte, and an entry that is not what
was stored (cut short, changed, lost its checksums) is noticed, named, dropped and never used."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

import generator.cache
from generator.cache import (
    BuildCache,
    Tree,
    frame,
    read_framed,
    sums_key,
    tree_key,
    unframe,
    write_framed,
)


def cache(root: Path, lines: list[str] | None = None) -> BuildCache:
    return BuildCache(root, "env-1", (lines if lines is not None else []).append)


def folder_with_files(base: Path) -> Path:
    source = base / "source"
    (source / "sub" / "empty").mkdir(parents=True)
    (source / "a.html").write_bytes(b"<p>a</p>")
    (source / "sub" / "b.bin").write_bytes(bytes(range(256)))
    return source


def test_a_file_comes_back_byte_for_byte(tmp_path: Path) -> None:
    store = cache(tmp_path / "cache")
    key = store.key("page", "nb")
    store.write(key, b"\x00rendered\xff")
    assert cache(tmp_path / "cache").read(key) == b"\x00rendered\xff"


def test_a_folder_comes_back_with_its_files_and_empty_folders(tmp_path: Path) -> None:
    source = folder_with_files(tmp_path)
    store = cache(tmp_path / "cache")
    store.store("site", source)

    target = tmp_path / "target"
    assert cache(tmp_path / "cache").fetch("site", target)

    assert (target / "sub" / "empty").is_dir()
    assert (target / "a.html").read_bytes() == b"<p>a</p>"
    assert (target / "sub" / "b.bin").read_bytes() == bytes(range(256))


def dated(folder: Path, seconds: float) -> Path:
    """``folder`` with its files' times moved by ``seconds`` (a site built that long ago)."""
    when = time.time_ns() + int(seconds * 1e9)
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(when, when))
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stored files the cache reads to check them, by their path in the entry."""
    read: list[str] = []
    check = generator.cache._checked

    def counted(path: Path, expected: list, relative: str) -> bytes:
        read.append(relative)
        return check(path, expected, relative)

    monkeypatch.setattr(generator.cache, "_checked", counted)
    return read


def test_a_file_still_as_stored_is_linked_without_being_read(
    tmp_path: Path, reads: list[str]
) -> None:
    # A one-organisation change to a site of hundreds takes thousands of files from the cache:
    # each is known by its inode, length and time, not by reading it.
    source = dated(folder_with_files(tmp_path), -60)
    cache(tmp_path / "cache").store("site", source)

    store = cache(tmp_path / "cache")
    assert store.fetch("site", tmp_path / "target")

    assert reads == []
    for name in ("a.html", "sub/b.bin"):
        fetched = tmp_path / "target" / name
        assert fetched.stat().st_ino == (tmp_path / "cache" / "site" / name).stat().st_ino
        assert store.digest(fetched) == hashlib.sha256(fetched.read_bytes()).hexdigest()
    other = tmp_path / "other.html"
    other.write_bytes(b"<p>a</p>!")  # not from the cache: read for its digest
    assert store.digest(other) == hashlib.sha256(b"<p>a</p>!").hexdigest()


def test_a_file_rewritten_with_its_old_time_is_read_when_as_new_as_its_checksums(
    tmp_path: Path, reads: list[str]
) -> None:
    # Times are coarser than writes: a file as new as its checksum list may have been written
    # again within the same tick, unseen by its time. It is read, and the change found.
    source = dated(folder_with_files(tmp_path), +60)  # never older than its checksums
    cache(tmp_path / "cache").store("site", source)
    stored = tmp_path / "cache" / "site" / "a.html"
    before = stored.stat()
    with stored.open("r+b") as handle:
        handle.write(b"<b>")
    os.utime(stored, ns=(before.st_atime_ns, before.st_mtime_ns))

    lines: list[str] = []
    assert not cache(tmp_path / "cache", lines).fetch("site", tmp_path / "target")
    assert "a.html" in reads
    assert lines == [
        "Note: cache entry target/ was damaged; rebuilt (a.html: its checksum does not match)."
    ]


def test_a_copied_cache_is_read_once_then_known_again(tmp_path: Path, reads: list[str]) -> None:
    cache(tmp_path / "cache").store("site", dated(folder_with_files(tmp_path), -60))
    shutil.copytree(tmp_path / "cache", tmp_path / "copy")  # new inodes, the same times

    assert cache(tmp_path / "copy").fetch("site", tmp_path / "first")
    assert sorted(reads) == ["a.html", "sub/b.bin"]
    reads.clear()
    assert cache(tmp_path / "copy").fetch("site", tmp_path / "second")
    assert reads == [], "the checked files' new stamps were kept"
    assert (tmp_path / "second" / "sub" / "b.bin").read_bytes() == bytes(range(256))


def test_keys_differ_by_environment_and_by_every_part(tmp_path: Path) -> None:
    one, other = BuildCache(tmp_path, "env-1"), BuildCache(tmp_path, "env-2")
    assert one.key("a", "b") == one.key("a", b"b")
    assert one.key("a", "b") != other.key("a", "b"), "a new WeasyPrint must not reuse old PDFs"
    # Parts are length-prefixed: moving a boundary gives another key.
    assert one.key("ab", "c") != one.key("a", "bc")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda f: f.write_bytes(f.read_bytes()[:-3]), "truncated: 5 of 8 bytes"),
        (
            lambda f: f.write_bytes(f.read_bytes().replace(b"<p>a</p>", b"<p>A</p>")),
            "its checksum does not match",
        ),
        (lambda f: f.write_bytes(f.read_bytes() + b"!"), "its checksum does not match"),
    ],
    ids=["cut short", "changed", "grown"],
)
def test_a_damaged_file_entry_is_named_dropped_and_not_used(
    tmp_path: Path, damage: object, reason: str
) -> None:
    root = tmp_path / "cache"
    key = cache(root).key("x")
    cache(root).write(key, b"<p>a</p>")
    damage(root / key)  # type: ignore[operator]

    lines: list[str] = []
    store = cache(root, lines)
    assert store.read(key) is None
    assert lines == [f"Note: cache entry rendered text {key[:12]} was damaged; rebuilt ({reason})."]
    assert not (root / key).exists(), "a damaged entry stays out of later builds"
    assert store.damaged == [f"rendered text {key[:12]}"]


def test_a_folder_entry_with_a_file_missing_is_not_used_and_one_added_is_left_out(
    tmp_path: Path,
) -> None:
    root = tmp_path / "cache"
    cache(root).store("lost", folder_with_files(tmp_path))
    cache(root).store("extra", tmp_path / "source")
    (root / "lost" / "sub" / "b.bin").unlink()
    (root / "extra" / "c.js").write_text("alert(1)")

    lines: list[str] = []
    store = cache(root, lines)
    assert not store.fetch("lost", tmp_path / "t1")
    assert lines == ["Note: cache entry t1/ was damaged; rebuilt (files missing: sub/b.bin)."]
    # Only what was stored is taken: the file added never reaches the site.
    assert store.fetch("extra", tmp_path / "t2")
    assert _listing(tmp_path / "t2") == _listing(tmp_path / "source")
    assert lines == ["Note: cache entry t1/ was damaged; rebuilt (files missing: sub/b.bin)."]


def _listing(folder: Path) -> list[tuple[str, bytes | None]]:
    """Every file and folder below ``folder``, files with their bytes."""
    return sorted(
        (p.relative_to(folder).as_posix(), p.read_bytes() if p.is_file() else None)
        for p in folder.rglob("*")
    )


def test_an_entry_without_its_checksums_is_not_trusted(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    store = cache(root)
    store.write("k", b"data")
    (root / "k").write_bytes(b"data")  # the bare bytes, without the header naming their digest

    lines: list[str] = []
    assert cache(root, lines).read("k") is None
    assert lines == ["Note: cache entry rendered text k was damaged; rebuilt (no valid header)."]
    assert not (root / "k").exists()


def test_an_entry_kept_by_the_last_build_that_vanished_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    store = cache(root)
    store.write("k", b"data")
    store.prune()  # the build ends: "k" is remembered as kept
    (root / "k").unlink()

    lines: list[str] = []
    assert cache(root, lines).read("k") is None
    assert lines == ["Note: cache entry rendered text k was damaged; rebuilt (it is missing)."]


def test_prune_forgets_what_this_build_did_not_use(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    first = cache(root)
    first.write("old", b"1")
    first.write("kept", b"2")
    first.prune()

    second = cache(root)
    assert second.read("kept") == b"2"
    second.prune()

    assert not list(root.glob("old*")), "an entry no build asked for is removed with its sums"
    assert cache(root).read("kept") == b"2"


def test_a_cache_that_cannot_be_written_is_noted_once_and_the_build_goes_on(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    lines: list[str] = []
    store = cache(blocker, lines)

    store.write("a", b"1")
    store.write("b", b"2")

    assert store.writable is False
    assert len(lines) == 1 and lines[0].startswith(
        f"Note: the build cache {blocker} cannot be written"
    )
    assert store.read("a") is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"not framed at all", "no valid header"),
        (frame(b"hello")[:-1], "truncated: 4 of 5 bytes"),
        (frame(b"hello").replace(b"hello", b"jello"), "its checksum does not match"),
    ],
    ids=["empty", "no header", "truncated", "changed"],
)
def test_framed_files_say_what_is_wrong(raw: bytes, reason: str) -> None:
    assert unframe(raw) == (None, reason)


def test_a_framed_file_reads_back_and_a_damaged_one_reads_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "x" / "pdf"
    write_framed(path, b"%PDF-1.7")
    assert read_framed(path) == b"%PDF-1.7"
    assert not list(path.parent.glob("*.partial-*")), "a finished write leaves no partial file"
    path.write_bytes(path.read_bytes()[:-1])
    assert read_framed(path) is None
    assert read_framed(tmp_path / "missing") is None


def test_folder_removes_damaged_and_partial_files(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    write_framed(root / "fonts" / "good", b"ok")
    write_framed(root / "fonts" / "bad", b"ok")
    (root / "fonts" / "bad").write_bytes(b"garbage")
    (root / "fonts" / "good.partial-123").write_bytes(b"half")

    lines: list[str] = []
    folder = cache(root, lines).folder("fonts")

    assert sorted(p.name for p in folder.iterdir()) == ["good"]
    assert lines == ["Note: cache entry fonts/bad was damaged; rebuilt (no valid header)."]
    assert read_framed(folder / "good") == b"ok"


def test_a_published_file_changed_by_hand_is_not_taken_back_from_the_cache(
    tmp_path: Path,
) -> None:
    # A site and its cache share their files' bytes: writing into a published file (not beside
    # it) changes the stored one too, and the next build must notice instead of reusing it.
    source = folder_with_files(tmp_path)
    store = cache(tmp_path / "cache")
    store.store("site", source)
    published = tmp_path / "published"
    assert store.fetch("site", published)

    with (published / "a.html").open("r+b") as handle:
        handle.write(b"<b>")

    lines: list[str] = []
    assert not cache(tmp_path / "cache", lines).fetch("site", tmp_path / "next")
    assert any("a.html: its checksum does not match" in line for line in lines), lines


def test_a_tree_writes_only_what_changed_and_removes_what_was_not_put(tmp_path: Path) -> None:
    first = Tree(tmp_path / "docs")
    first.put_text("index.md", "# Start")
    first.put_text("org/policy.md", "# Policy")
    first.put_text("org/old.md", "# Gone next time")
    first.put_text("assets/site.css", "body {}")
    first.put_text("gone/deep/only.md", "# Gone, and its folders")
    first.prune()
    kept = (tmp_path / "docs" / "index.md").stat()

    second = Tree(tmp_path / "docs")
    second.put_text("index.md", "# Start")
    second.put_text("org/policy.md", "# Policy, changed")
    second.put_text("assets/site.css", "body {}")
    (tmp_path / "docs" / "stray.md").write_text("# put there by hand")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep.md").write_text("# not the tree's")
    (tmp_path / "docs" / "org" / "link").symlink_to(tmp_path / "elsewhere")
    second.prune()

    files = sorted(
        p.relative_to(tmp_path / "docs").as_posix()
        for p in (tmp_path / "docs").rglob("*")
        if p.is_file()
    )
    assert files == ["assets/site.css", "index.md", "org/policy.md"]
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["assets", "index.md", "org"]
    assert sorted(p.name for p in (tmp_path / "docs" / "org").iterdir()) == ["policy.md"]
    assert (tmp_path / "elsewhere" / "keep.md").is_file()  # a link is removed, not followed
    assert (tmp_path / "docs" / "org" / "policy.md").read_text() == "# Policy, changed"
    after = (tmp_path / "docs" / "index.md").stat()
    assert (after.st_ino, after.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)
    assert sums_key(second.put_here) == tree_key(tmp_path / "docs")


def test_a_tree_keeps_files_still_as_listed_and_nothing_when_one_is_not(tmp_path: Path) -> None:
    """An unchanged organisation's pages are kept by their digests, unread; a page changed
    since the list was written (by hand, or by a build that failed) makes the caller put them."""
    first = Tree(tmp_path / "docs")
    first.put_text("org/a.md", "# A")
    first.put_text("org/b.md", "# B")
    time.sleep(0.05)  # written well before the list (file times are coarser than writes)
    first.prune()
    sums = {relative: digest.hex() for relative, digest in first.put_here.items()}

    second = Tree(tmp_path / "docs")
    assert second.keep(sums)
    second.prune()
    assert sorted(second.put_here) == ["org/a.md", "org/b.md"]
    assert (tmp_path / "docs" / "org" / "b.md").read_text() == "# B"

    (tmp_path / "docs" / "org" / "b.md").write_text("# B, by hand")
    third = Tree(tmp_path / "docs")
    assert not third.keep(sums)
    assert third.put_here == {}
    assert not Tree(tmp_path / "docs").keep({"org/a.md": "not a digest"})
    assert not Tree(tmp_path / "docs").keep({"org/a.md": sums["org/b.md"]})


def tree_reads(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[str]:
    """The files below ``root`` read while the test goes on, by their path below it."""
    read: list[str] = []
    read_bytes = Path.read_bytes

    def counted(path: Path) -> bytes:
        if root in path.parents:
            read.append(path.relative_to(root).as_posix())
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counted)
    return read


def settled(folder: Path) -> None:
    """Wait until a file written now gets a later time than every file below ``folder`` (times
    are coarser than writes)."""
    probe = folder.with_name("probe")
    latest = max(p.stat().st_mtime_ns for p in folder.rglob("*"))
    while True:
        probe.write_bytes(b"")
        if probe.stat().st_mtime_ns > latest:
            return
        time.sleep(0.01)


def listed(docs: Path, texts: dict[str, str]) -> Tree:
    """A tree of ``texts`` by name, pruned and so listed, its files older than the list."""
    tree = Tree(docs)
    for name, text in texts.items():
        tree.put_text(name, text)
    settled(docs)
    tree.prune()
    return tree


def test_a_tree_leaves_a_file_still_as_listed_unread_and_reads_one_changed_since(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    listed(docs, {name: f"# {name}" for name in ("a.md", "b.md", "org/c.md")})
    # Behind the tree's back, a file written anew (another inode) with its length and time
    # of writing kept.
    replaced = docs / "org" / "c.md"
    stamp = replaced.stat()
    anew = replaced.with_name("new")  # made while the old one is there: another inode
    anew.write_text("# org/C.md")
    os.utime(anew, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    anew.replace(replaced)
    read = tree_reads(monkeypatch, docs)

    second = Tree(docs)
    for name in ("a.md", "b.md", "org/c.md"):
        second.put_text(name, f"# {name}")
    second.prune()

    assert read == ["org/c.md"]
    assert replaced.read_text() == "# org/c.md"
    assert sums_key(second.put_here) == tree_key(docs)


def test_a_tree_with_a_damaged_list_reads_every_file_and_lists_them_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    listed(docs, {"a.md": "# A", "b.md": "# B"})
    listing = tmp_path / "docs.sums"
    listing.write_bytes(listing.read_bytes()[:-3])
    read = tree_reads(monkeypatch, docs)

    listed(docs, {"a.md": "# A", "b.md": "# B, changed"})

    assert sorted(read) == ["a.md", "b.md"]
    assert (docs / "b.md").read_text() == "# B, changed"
    read.clear()
    Tree(docs).put_text("a.md", "# A")
    assert read == []


def test_a_tree_reads_a_file_written_as_late_as_its_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    first = Tree(docs)
    first.put_text("a.md", "# A")
    later = time.time_ns() + 1000 * 10**9  # not older than the list: it may change unseen
    os.utime(docs / "a.md", ns=(later, later))
    first.prune()
    read = tree_reads(monkeypatch, docs)

    Tree(docs).put_text("a.md", "# A")

    assert read == ["a.md"]


def every_path(folder: Path) -> list[str]:
    """Every file and folder below ``folder`` (empty folders too)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_a_fetch_takes_folders_from_an_earlier_copy_and_leaves_only_what_is_stored(
    tmp_path: Path,
) -> None:
    built = tmp_path / "part"
    for name, text in {
        "org/index.html": "a",
        "org/sub/b.html": "b",
        "org/sub/deep/c.html": "c",
        "other/d.html": "d",
        "404.html": "404",
    }.items():
        (built / name).parent.mkdir(parents=True, exist_ok=True)
        (built / name).write_text(text)
    kept = cache(tmp_path / "cache")
    kept.store("part", built)
    assert kept.fetch("part", tmp_path / "fresh")
    # An earlier copy, as the site a build replaced holds it, then changed: a file written
    # anew, one more file and folder, a link out, a folder where a file was.
    earlier = tmp_path / "earlier"
    (tmp_path / "fresh").rename(earlier)
    shutil.copytree(earlier, tmp_path / "fresh")  # for comparing: new folders, copied files
    (earlier / "org" / "index.html").unlink()
    (earlier / "org" / "index.html").write_text("stale")
    (earlier / "org" / "extra.html").write_text("extra")
    (earlier / "org" / "gone" / "deeper").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (earlier / "org" / "sub" / "link").symlink_to(tmp_path / "outside")
    (earlier / "org" / "sub" / "deep" / "c.html").unlink()
    (earlier / "org" / "sub" / "deep" / "c.html").mkdir()
    org, b = (earlier / "org").stat().st_ino, (earlier / "org" / "sub" / "b.html").stat().st_ino
    (earlier / "other").rename(tmp_path / "other")
    (earlier / "other").symlink_to(tmp_path / "other")  # a link is not a folder to take

    target = tmp_path / "target"
    assert kept.fetch("part", target, earlier)

    assert every_path(target) == every_path(tmp_path / "fresh")
    assert tree_key(target) == tree_key(built)
    assert (target / "org").stat().st_ino == org  # taken, not made
    assert (target / "org" / "sub" / "b.html").stat().st_ino == b  # the stored file, left
    assert not (earlier / "org").exists() and (earlier / "other").is_symlink()
    assert (tmp_path / "outside").is_dir() and (tmp_path / "other" / "d.html").is_file()


def test_a_fetch_leaves_the_files_fetched_next_and_each_keeps_its_stored_file(
    tmp_path: Path,
) -> None:
    # A site's part holds its organisations' PDFs, each an entry of its own: taken with the
    # part's folders from the site a build replaced, a PDF still the stored file stays.
    (tmp_path / "part" / "org").mkdir(parents=True)
    (tmp_path / "part" / "org" / "index.html").write_text("page")
    (tmp_path / "a.pdf").write_bytes(b"%PDF-a")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-b")
    kept = cache(tmp_path / "cache")
    kept.store("part", tmp_path / "part")
    kept.store("a", tmp_path / "a.pdf")
    kept.store("b", tmp_path / "b.pdf")
    earlier = tmp_path / "earlier"
    assert kept.fetch("part", earlier)
    assert kept.fetch("a", earlier / "org" / "a.pdf")
    (earlier / "org" / "b.pdf").write_bytes(b"%PDF-changed by hand")
    (earlier / "org" / "c.pdf").write_bytes(b"%PDF-no longer made")
    a = (earlier / "org" / "a.pdf").stat().st_ino

    target = tmp_path / "target"
    others = {"org/a.pdf", "org/b.pdf"}
    assert kept.fetch("part", target, earlier, others)
    assert every_path(target) == ["org", "org/a.pdf", "org/b.pdf", "org/index.html"]
    assert kept.fetch("a", target / "org" / "a.pdf")
    assert kept.fetch("b", target / "org" / "b.pdf")

    assert (target / "org" / "a.pdf").stat().st_ino == a  # left, not linked again
    assert (target / "org" / "b.pdf").read_bytes() == b"%PDF-b"  # the stored file instead
    stored_b = tmp_path / "cache" / "b"
    assert (target / "org" / "b.pdf").stat().st_ino == stored_b.stat().st_ino


def test_a_file_marked_in_place_is_known_there_until_it_changes(tmp_path: Path) -> None:
    # A site's thousands of PDFs: each one still the file a build put there from its key is
    # taken as it is, its digest known from the mark; any other is fetched again.
    (tmp_path / "a.pdf").write_bytes(b"%PDF-a")
    first = cache(tmp_path / "cache")
    first.store("a", tmp_path / "a.pdf")
    target = tmp_path / "site" / "a.pdf"
    assert first.fetch("a", target)
    mark = first.mark("a", target)
    assert first.mark("a", tmp_path / "a.pdf") is not None  # the stored file's other name
    assert first.mark("a", tmp_path / "nothing.pdf") is None

    store = cache(tmp_path / "cache")
    assert store.still_there("a", target, mark)
    assert "a" in store.used
    assert (
        store.known[generator.cache._identity(target.stat())]
        == hashlib.sha256(b"%PDF-a").hexdigest()
    )
    assert not cache(tmp_path / "cache").still_there("b", target, mark)  # another key
    for garbled in (None, "mark", [*mark[:5], 1], mark[:5]):
        assert not cache(tmp_path / "cache").still_there("a", target, garbled)

    with target.open("r+b") as handle:  # written into: another time
        handle.write(b"%PDF-b")
    os.utime(target, ns=(time.time_ns() + 10**9,) * 2)  # a coarse clock would not show it
    assert not cache(tmp_path / "cache").still_there("a", target, mark)
    target.unlink()
    target.write_bytes(b"%PDF-a")  # the same bytes, but another file
    assert not cache(tmp_path / "cache").still_there("a", target, mark)
