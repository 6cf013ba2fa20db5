"""Incremental builds: outputs kept under a key made of everything they depend on.

A guideline's PDF depends on its print HTML (made from the built page) and its address; a
form's PDF on the resolved form, the organisation's name, the templates and the field font,
so that an unchanged form is not even rendered to HTML. A language's MkDocs site depends on its
generated Markdown, its configuration, the theme overrides and the build date; when MkDocs must
run, each page it renders is kept too (``pages-nb/``, see ``pagecache``). Everything also
depends on the generator's own code, the installed versions of the libraries that render it and
the font subsetter WeasyPrint picks. The same key gives the same bytes, so a reused output is
exactly what a full build would have written.

Nothing in the cache is trusted. Each entry is kept exactly as published, with the length and
SHA-256 of its bytes (a folder's: of each of its files) beside it, and written whole under a name
of its own before it is renamed into place. An entry that is missing, truncated, garbled or has
lost or gained files is a miss: it is rendered again and the build says so. A cache that cannot
be written (disk full, read-only) only costs speed. A stored file is read and its checksum
compared unless it is still the very file that was stored (the same inode, length and time of
its last change, as ``make`` and ``rsync`` judge): writing into a file changes its time, so a
file damaged by a program is read; a site of hundreds of organisations is not read whole for a
change to one of them.

The cache lives beside the site folder (``.site.cache``); a successful build keeps only what it
used, so it never grows beyond one site's worth.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import hashlib
import json
import os
import shutil
import stat
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.trash import PREFIX as TRASH
from generator.trash import SPARE, Trash
from generator.trash import remove as _remove

RENDERERS = (
    "Jinja2",
    "Markdown",
    "mkdocs",
    "mkdocs-material",
    "pymdown-extensions",
    "Pygments",
    "weasyprint",
    "pydyf",
    "pikepdf",
    "fonttools",
    "nh3",
    "pagefind_bin_extended",
    "policy-site",
)
"""Packages whose version changes the output."""

MAGIC = b"policy-site-cache 1 "
"""First bytes of every stored file: then the SHA-256 and length of the data, and a newline."""
SUMS = ".sums"
"""Beside each entry ``KEY``, in ``KEY.sums``: the length and SHA-256 of its bytes (a folder's:
of each of its files), framed. The entry itself holds the output exactly as published."""
INDEX = ".index"
"""The entries the last successful build kept: one of them gone missing is damage too."""


def environment_key() -> str:
    """The generator's code, the renderers' versions and the font subsetter."""
    digest = hashlib.sha256()
    for package in RENDERERS:
        try:
            digest.update(f"{package}=={metadata.version(package)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} missing\n".encode())
    digest.update(f"subsetter {font_subsetter()}\n".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


@functools.cache
def font_subsetter() -> str:
    """Which subsetter WeasyPrint uses for the fonts it embeds, as it decides: HarfBuzz's when
    libharfbuzz-subset (>= 4.1.0) can be loaded, else fontTools. They give different bytes, so
    a PDF made with one must not be reused when the other is installed."""
    version = _library_version("harfbuzz", "libharfbuzz.so.0", "hb_version_string")
    subset = _loadable("harfbuzz-subset", "libharfbuzz-subset.so.0")
    parts = tuple(int(p) if p.isdigit() else 0 for p in version.split(".")[:3])
    if subset and parts >= (4, 1, 0):
        return f"harfbuzz-subset {version}"
    return f"fonttools (harfbuzz {version or 'missing'})"


def _loadable(name: str, soname: str) -> ctypes.CDLL | None:
    for candidate in (soname, ctypes.util.find_library(name)):
        if candidate:
            try:
                return ctypes.CDLL(candidate)
            except OSError:
                continue
    return None


def _library_version(name: str, soname: str, function: str) -> str:
    library = _loadable(name, soname)
    if library is None:
        return ""
    get = getattr(library, function)
    get.restype = ctypes.c_char_p
    return get().decode("ascii", errors="replace")


def frame(data: bytes) -> bytes:
    """``data`` with a header naming its digest and length."""
    return MAGIC + f"{hashlib.sha256(data).hexdigest()} {len(data)}\n".encode() + data


def unframe(raw: bytes) -> tuple[bytes | None, str]:
    """The data of a framed file, or None and what is wrong with it."""
    if not raw.startswith(MAGIC) or b"\n" not in raw[: len(MAGIC) + 90]:
        return None, "no valid header" if raw else "empty"
    header, _, data = raw.partition(b"\n")
    try:
        digest, length = header[len(MAGIC) :].decode("ascii").split(" ")
        size = int(length)
    except ValueError:
        return None, "no valid header"
    if len(data) < size:
        return None, f"truncated: {len(data)} of {size} bytes"
    if len(data) > size or hashlib.sha256(data).hexdigest() != digest:
        return None, "its checksum does not match"
    return data, ""


def read_framed(path: Path) -> bytes | None:
    """A file written with ``write_framed``; None when it is missing, unreadable or damaged."""
    try:
        return unframe(path.read_bytes())[0]
    except OSError:
        return None


def write_framed(target: Path, data: bytes) -> None:
    """``write_whole`` with the checksum header ``read_framed`` checks."""
    write_whole(target, frame(data))


def write_whole(target: Path, data: bytes, source: Path | None = None) -> None:
    """Write a file so that readers, and other processes writing the same bytes, only ever see
    it whole or absent (a killed build leaves at most a stray ``.partial-`` file). With
    ``source`` (a file holding ``data``), ``target`` becomes a second name of it (``_place``)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    try:
        if source is None:
            _write_bytes(partial, data)
        else:
            _place(source, data, partial)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _place(source: str | Path, data: bytes, target: str | Path) -> None:
    """Make ``target`` a second name of ``source`` (whose bytes, ``data``, were just read and
    checked): a site of hundreds of organisations goes into and out of the cache without being
    copied. Nothing writes into a published or stored file, only beside it and renames, so the
    two names stay the same bytes; a file changed by hand anyway no longer matches its checksum
    and is rebuilt. Where the file system has no hard links (or they would cross file systems),
    the bytes are written."""
    try:
        os.link(source, target)
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(target)
        _write_bytes(target, data)


def _write_bytes(path: str | Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


class Tree:
    """A folder kept from build to build (the Markdown MkDocs reads) whose files are written
    only where their bytes changed: creating files is what costs on a disk, and a site of
    hundreds of organisations has thousands of them. ``prune`` removes what this build did not
    put, so the folder holds exactly this build's files, and lists them with their digests and
    stamps beside the folder (``<folder>.sums``): a file still as listed, with the bytes to put,
    is left alone unread (as the build cache trusts its files)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.put_here: dict[str, bytes] = {}
        """Each file put: its SHA-256."""
        self._made: set[Path] = set()
        self._listed, self._listed_at = self._read_list()

    def put(self, relative: str, data: bytes) -> None:
        """``relative`` (a POSIX path below the root) holds ``data`` afterwards."""
        digest = hashlib.sha256(data).digest()
        self.put_here[relative] = digest
        target = self.root / relative
        if self._as_listed(relative, target, digest):
            return
        try:
            if target.read_bytes() == data:
                return
        except OSError:
            if target.parent not in self._made:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(target.parent)
        write_whole(target, data)

    def put_text(self, relative: str, text: str) -> None:
        self.put(relative, text.encode("utf-8"))

    def keep(self, sums: dict[str, str]) -> bool:
        """Keep the files ``sums`` names (relative path -> SHA-256, hex) as they are, when
        each is still the file listed with that digest (as ``put`` of those bytes would);
        False, and nothing kept, when one is not."""
        try:
            digests = {relative: bytes.fromhex(digest) for relative, digest in sums.items()}
        except (TypeError, ValueError, AttributeError):
            return False
        if not all(self._as_listed(r, self.root / r, d) for r, d in digests.items()):
            return False
        self.put_here.update(digests)
        return True

    def put_folder(self, source: Path, relative: str) -> None:
        """Every file below ``source``, below ``relative`` ("": the root)."""
        for path in sorted(source.rglob("*")):
            if path.is_file():
                below = path.relative_to(source).as_posix()
                self.put(f"{relative}/{below}" if relative else below, path.read_bytes())

    def prune(self) -> None:
        """Remove every file and folder that this build did not put; list the rest."""
        for root, prefix, dirs, files in _walk(self.root, topdown=False):  # children first
            links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
            for name in files + links:
                if prefix + name not in self.put_here:
                    with contextlib.suppress(OSError):
                        os.unlink(os.path.join(root, name))
            if prefix:
                with contextlib.suppress(OSError):
                    os.rmdir(root)  # only when emptied
        listed = {}
        for relative, digest in self.put_here.items():
            with contextlib.suppress(OSError):
                status = os.lstat(self.root / relative)
                listed[relative] = [digest.hex(), status.st_size, *_stamp(status)]
        with contextlib.suppress(OSError):  # unlisted, each file is read next time: slower
            write_framed(self._list_path, json.dumps(listed, sort_keys=True).encode())

    @property
    def _list_path(self) -> Path:
        return self.root.with_name(f"{self.root.name}{SUMS}")

    def _read_list(self) -> tuple[dict[str, list], int]:
        try:
            listed = json.loads(read_framed(self._list_path) or b"{}")
            return (listed if isinstance(listed, dict) else {}), os.stat(
                self._list_path
            ).st_mtime_ns
        except (OSError, ValueError):
            return {}, 0

    def _as_listed(self, relative: str, target: Path, digest: bytes) -> bool:
        """Whether ``target`` is still the file listed with ``digest``: the same length,
        inode and time of writing, written before the list was (times are coarser than
        writes: a file written as late as the list may have changed since)."""
        listed = self._listed.get(relative)
        if not isinstance(listed, list) or listed[:1] != [digest.hex()]:
            return False
        try:
            status = os.lstat(target)
        except OSError:
            return False
        return (
            stat.S_ISREG(status.st_mode)
            and listed[1:] == [status.st_size, *_stamp(status)]
            and status.st_mtime_ns < self._listed_at
        )


def _walk(folder: Path, *, topdown: bool = True) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """``os.walk`` of ``folder`` (thousands of files: no Path for each), with each folder's
    path below ``folder`` as a prefix for its entries ("" for ``folder`` itself, else "a/b/")."""
    for root, dirs, files in os.walk(folder, topdown=topdown):
        here = os.path.relpath(root, folder).replace(os.sep, "/")
        yield root, "" if here == "." else f"{here}/", dirs, files


def sums_key(sums: dict[str, bytes]) -> str:
    """``tree_key`` of a folder from its files' paths and SHA-256 (``Tree.put_here``), without
    reading it."""
    digest = hashlib.sha256()
    for relative in sorted(sums):
        _add_file(digest, relative, sums[relative])
    return digest.hexdigest()


def files_key(
    paths: list[Path], root: Path, start: str = "", known: Mapping[Path, str] | None = None
) -> str:
    """Digest of each file's place (below ``root`` where it is there) and bytes, after
    ``start``; ``known``: the SHA-256 (hex) of files already read, which are not read again."""
    digest = hashlib.sha256(start.encode())
    for path in paths:
        place = path.relative_to(root) if path.is_relative_to(root) else path
        sha = known.get(path) if known else None
        sha256 = bytes.fromhex(sha) if sha else hashlib.sha256(path.read_bytes()).digest()
        _add_file(digest, str(place), sha256)
    return digest.hexdigest()


def _add_file(digest: hashlib._Hash, relative: str, sha256: bytes) -> None:
    digest.update(relative.encode() + b"\0" + sha256)


def tree_key(*folders: Path) -> str:
    """Every file's path and bytes below the folders."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = str(path.relative_to(folder))
            _add_file(digest, relative, hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class Damaged(Exception):
    """A cache entry that is not what was stored."""


class BuildCache:
    """Files and folders stored by key, each checked when read; ``used`` records what this
    build asked for. ``report`` receives a line for each damaged entry and a failed write."""

    def __init__(
        self, root: Path, environment: str, report: Callable[[str], None] = lambda line: None
    ):
        self.root = root
        self.known: dict[tuple[int, int, int, int], str] = {}
        """The SHA-256 of each file this build stored or fetched, by ``_identity``: a file of
        the site linked to it need not be read again (``digest``)."""
        self.environment = environment
        self.report = report
        self.used: set[str] = set()
        self.base: Path | None = None
        """The staging folder: targets are named relative to it in messages."""
        self.writable = True
        self.damaged: list[str] = []
        """Entries found damaged (and dropped) in this build."""
        self._kept = self._read_index()

    def key(self, *parts: str | bytes) -> str:
        digest = hashlib.sha256(self.environment.encode())
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "big") + data)
        return digest.hexdigest()

    def has(self, key: str) -> bool:
        """Whether something was kept under ``key``: ``fetch`` gives it back, or reports it
        damaged (missing, or not whole)."""
        return (
            key in self._kept or (self.root / key).exists() or (self.root / f"{key}{SUMS}").exists()
        )

    def keep(self, key: str) -> None:
        """Keep what is stored under ``key`` without taking it: a build that writes no PDF
        (a preview) leaves them to the next build that does."""
        self.used.add(key)

    def fetch(
        self, key: str, target: Path, recycle: Path | None = None, others: Container[str] = ()
    ) -> bool:
        """Copy the stored output to ``target``; False when there is none or it is damaged.

        With ``recycle`` (a folder of an earlier copy, such as a site the last build replaced),
        each top folder of a stored folder that ``recycle`` has is moved from there and made
        what is stored: making folders is slow on some disks (0.6 ms each here), and a site of
        hundreds of organisations has thousands. Every file of such a folder that is not a
        second name of the stored file at its place is removed first, as is every folder the
        stored output lacks, so the result is the same as a copy into new folders; but for
        ``others``, the places (below ``target``) of files the caller fetches next, each as an
        entry of its own: left there, each is kept by its fetch where it is the stored file (a
        site's thousands of PDFs are not unlinked and linked again)."""
        self.used.add(key)

        def name() -> str:
            return self._name(target) + ("/" if (self.root / key).is_dir() else "")

        loaded = self._load(key, name, trust=True)
        if loaded is None:
            return False
        # Only checked bytes are written; an error here is the site's, not the cache's.
        folders, files = loaded
        stored = self.root / key
        try:
            if "" in files:  # a file
                try:
                    placed = os.lstat(target)
                except FileNotFoundError:
                    target.parent.mkdir(parents=True, exist_ok=True)
                else:
                    if (placed.st_dev, placed.st_ino) == files[""].identity[:2]:
                        return True  # the stored file itself (left by a folder's ``others``)
                    _remove(target)
                _put(stored, files[""], target, "")
                return True
            target.mkdir(parents=True, exist_ok=True)
            there_now: set[str] = set()  # what was recycled: stored folders and files
            if recycle is not None:
                there_now = _recycle(recycle, target, folders, files, others)
            for folder in folders:  # parents first, so each is made once
                if folder not in there_now:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(os.path.join(target, folder))
            for relative, held in files.items():
                if relative not in there_now:  # else the stored file itself, recycled
                    there = os.path.join(target, relative)
                    _put(os.path.join(stored, relative), held, there, relative)
        except Damaged as exc:  # found while copying, where the file system has no hard links
            _remove(target)
            self._drop(key, name(), str(exc))
            return False
        return True

    def mark(self, key: str, path: Path) -> list | None:
        """What lets a later build know the file at ``path`` again as the one this build put
        there from ``key`` (``still_there``): the key, the file's identity and its SHA-256;
        None when this build did not fetch or store that file itself."""
        try:
            identity = _identity(os.lstat(path))
        except OSError:
            return None
        digest = self.known.get(identity)
        return None if digest is None else [key, *identity, digest]

    def still_there(self, key: str, path: Path, mark: Any) -> bool:
        """Whether ``path`` is still the file an earlier build put there from ``key`` and
        ``mark``ed: the same inode, length and time of writing. Then it is what is stored under
        ``key``, as a fetch would give it (nothing writes into a published or stored file, and
        a file changed by hand has another time), known by its digest unread, and ``key`` is
        kept: a site's thousands of PDFs left in its folders are not fetched one by one."""
        try:
            identity = _identity(os.lstat(path))
        except OSError:
            return False
        if not (isinstance(mark, list) and len(mark) == 6 and isinstance(mark[5], str)):
            return False
        if mark[:5] != [key, *identity]:
            return False
        self.used.add(key)
        self.known[identity] = mark[5]
        return True

    def digest(self, path: Path) -> str:
        """The SHA-256 of the file at ``path``: known when it is a file this build stored or
        fetched (another name of it, unchanged), else read."""
        known = self.known.get(_identity(os.stat(path)))
        return known if known is not None else hashlib.sha256(path.read_bytes()).hexdigest()

    def read(self, key: str) -> bytes | None:
        """A value stored with ``write``, or None (noted and removed when it is damaged)."""
        self.used.add(key)
        return self._framed(key, f"rendered text {key[:12]}")

    def peek(self, key: str) -> bytes | None:
        """A value stored with ``write``, for a reader outside a build (``policy-site check``):
        checked as ``read`` checks it, but nothing in the cache is changed or noted, not even
        a damaged entry (a build running meanwhile owns the cache)."""
        return read_framed(self.root / key)

    def write(self, key: str, data: bytes) -> None:
        """Keep ``data`` under ``key``: one file with its checksum in a header (a rendered
        text is read whole anyway, and a second file of checksums beside each of thousands
        cost as much again to make: 0.2-0.35 ms of the system's time per file here)."""
        self.used.add(key)
        if self.writable:
            self._writing(key, lambda: write_framed(self.root / key, data))

    def file(self, key: str) -> Path:
        """Where a file other processes write (with ``write_framed``) is kept; it survives
        while builds use it. A damaged one is removed here, so that it is made again."""
        self.used.add(key)
        stored = self.root / key
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError:
            return stored  # the writer notices too, and keeps its result in memory
        self._framed(key, f"stored file {key[:12]}")
        return stored

    def _framed(self, key: str, name: str) -> bytes | None:
        """The data of the framed file kept under ``key``, or None: noted as damaged (and
        removed) when it is not whole, or missing though the last build kept it."""
        try:
            data, wrong = unframe((self.root / key).read_bytes())
        except FileNotFoundError:
            self._missing(key, name)
            return None
        except OSError as exc:
            data, wrong = None, f"unreadable: {exc.strerror or exc}"
        if data is None:
            self._drop(key, name, wrong)
        return data

    def workspace(self, name: str) -> Path:
        """A folder kept from build to build that its user checks itself (``Tree``: every file
        is compared with what the build would write)."""
        self.used.add(name)
        return self.root / name

    def folder(self, name: str, *, check: bool = True) -> Path:
        """A folder kept from build to build, whose files (written with ``write_framed``) its
        user tidies itself; damaged files are removed here, so that they are made again. With
        ``check=False`` it is only kept: call again with ``check`` before it is read (reading
        thousands of files for a build that does not need them costs seconds)."""
        self.used.add(name)
        folder = self.root / name
        if not check or not folder.is_dir():
            return folder
        for entry in sorted(folder.iterdir()):
            if ".partial-" in entry.name or not entry.is_file():
                _remove(entry)
                continue
            try:
                wrong = unframe(entry.read_bytes())[1]
            except OSError as exc:
                wrong = f"unreadable: {exc.strerror or exc}"
            if wrong:
                self._note_damage(f"{name}/{entry.name[:12]}", wrong)
                _remove(entry)
        return folder

    def store(self, key: str, source: Path) -> None:
        """Keep ``source`` (a file or a folder) under ``key``, unless it is kept already."""
        self.used.add(key)
        if self.writable and not (self.root / key).exists():
            self._writing(key, lambda: self._store(key, source))

    def _store(self, key: str, source: Path) -> None:
        if source.is_file():
            self._store_file(key, source.read_bytes(), source)
            return
        self.root.mkdir(parents=True, exist_ok=True)
        partial = self.root / f"{key}.partial-{os.getpid()}"
        try:
            folders, files = [], {}
            for path in sorted(source.rglob("*")):
                relative = path.relative_to(source).as_posix()
                if path.is_dir():
                    (partial / relative).mkdir(parents=True, exist_ok=True)
                    folders.append(relative)
                    continue
                data = path.read_bytes()
                (partial / relative).parent.mkdir(parents=True, exist_ok=True)
                _place(path, data, partial / relative)
                files[relative] = self._stamped(partial / relative, data)
            partial.mkdir(exist_ok=True)
            partial.rename(self.root / key)  # complete or absent, even if the build is killed
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        # Without its list the folder is never used: a build killed here only loses speed.
        self._write_sums(key, {"folders": folders, "files": files})

    def _store_file(self, key: str, data: bytes, source: Path | None = None) -> None:
        write_whole(self.root / key, data, source)
        self._write_sums(key, {"file": self._stamped(self.root / key, data)})

    def _stamped(self, stored: Path, data: bytes) -> list:
        """What the sums list of a file just stored: its length, SHA-256 and stamp."""
        size_and_digest = _sum(data)
        status = os.stat(stored)
        self.known[_identity(status)] = size_and_digest[1]
        return size_and_digest + _stamp(status)

    def _write_sums(self, key: str, sums: dict) -> None:
        write_framed(self.root / f"{key}{SUMS}", json.dumps(sums, sort_keys=True).encode())

    def _load(
        self, key: str, name: str | Callable[[], str], *, trust: bool = False
    ) -> tuple[list[str], dict[str, Held]] | None:
        """A stored entry's folders and files (a file entry: one file named ""), each checked
        against the digests stored beside it (with ``trust``, a file still as stored is not
        read: ``Held.data`` is None); None, noted and removed when it is damaged. ``name``
        names it in the note, or makes that name (made only then: thousands are fetched)."""
        stored, listing = self.root / key, self.root / f"{key}{SUMS}"
        describe = name if callable(name) else lambda: name
        try:
            try:
                status = os.stat(stored)
            except FileNotFoundError:
                if self.has(key):  # kept, or its checksums are: it went missing
                    raise Damaged("it is missing") from None
                return None
            try:
                with open(listing, "rb") as handle:
                    written = os.fstat(handle.fileno()).st_mtime_ns
                    raw = handle.read()
            except FileNotFoundError:
                raise Damaged("no checksum was stored with it") from None
            data, wrong = unframe(raw)
            if data is None:
                raise Damaged(f"its checksum file: {wrong}")
            try:
                sums = json.loads(data)
            except ValueError as exc:
                raise Damaged("its checksums are garbled") from exc
            if stat.S_ISDIR(status.st_mode) and "files" in sums:
                listed = sums.get("folders") if trust else None
                folders, files = _load_folder(stored, sums["files"], trust, written, listed)
            elif stat.S_ISREG(status.st_mode) and "file" in sums:
                folders, files = [], {"": _held(stored, sums["file"], "", trust, written)}
            else:
                raise Damaged("it is not what was stored")
            for held in files.values():
                self.known[held.identity] = held.expected[1]
            if any(held.restamped for held in files.values()) and self.writable:
                # Checked whole but not known to be the stored file (the cache was copied, or
                # its sums were written as it was): stamped anew, so that the next build need
                # not read it.
                self._writing(key, lambda: self._write_sums(key, _restamped(sums, files)))
            return folders, files
        except Damaged as exc:
            self._drop(key, describe(), str(exc))
        except (OSError, TypeError, ValueError, AttributeError) as exc:
            wrong = f"unreadable: {getattr(exc, 'strerror', None) or exc}"
            self._drop(key, describe(), wrong)
        return None

    def prune(self, trash: Trash | None = None) -> None:
        """Forget everything this build did not use (into ``trash``, or deleted now), and
        remember what it kept."""
        if not self.root.is_dir():
            return
        kept = []
        for entry in self.root.iterdir():
            if entry.name in (INDEX, SPARE) or entry.name.startswith(TRASH):
                continue
            if entry.name in self.used:
                kept.append(entry.name)
            elif entry.name.removesuffix(SUMS) in self.used:
                continue
            elif trash is not None:
                trash.put(entry)
            else:
                _remove(entry)
        if self.writable:
            index = json.dumps(sorted(kept)).encode()
            self._writing(INDEX, lambda: write_framed(self.root / INDEX, index))

    def _read_index(self) -> set[str]:
        data = read_framed(self.root / INDEX)
        try:
            kept = json.loads(data) if data is not None else []
        except ValueError:
            return set()
        return {name for name in kept if isinstance(name, str)}

    def _writing(self, key: str, write: Callable[[], None]) -> None:
        """Run ``write``; a cache that cannot be written is noted once and then left alone."""
        try:
            write()
        except OSError as exc:
            self.unwritable(exc)

    def unwritable(self, exc: OSError) -> None:
        """Note (once) that the cache cannot be written, and write nothing more to it."""
        if self.writable:
            self.report(
                f"Note: the build cache {self.root} cannot be written "
                f"({exc.strerror or exc}); the site is built without keeping "
                "anything for the next build."
            )
        self.writable = False

    def _name(self, target: Path) -> str:
        if self.base is not None:
            try:
                return target.relative_to(self.base).as_posix().removeprefix(".pdf/")
            except ValueError:
                pass
        return target.name

    def _missing(self, key: str, name: str) -> None:
        if key in self._kept:
            self._kept.discard(key)
            self._note_damage(name, "it is missing")

    def _drop(self, key: str, name: str, wrong: str) -> None:
        self._kept.discard(key)
        self._note_damage(name, wrong)
        _remove(self.root / key)
        _remove(self.root / f"{key}{SUMS}")

    def _note_damage(self, name: str, wrong: str) -> None:
        self.damaged.append(name)
        self.report(f"Note: cache entry {name} was damaged; rebuilt ({wrong}).")


def _sum(data: bytes) -> list:
    return [len(data), hashlib.sha256(data).hexdigest()]


def _stamp(status: os.stat_result) -> list[int]:
    """What tells a stored file from any other, beside its length: its inode and the time it
    was last written (in nanoseconds)."""
    return [status.st_ino, status.st_mtime_ns]


def _identity(status: os.stat_result) -> tuple[int, int, int, int]:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


@dataclass
class Held:
    """One stored file of an entry being fetched."""

    expected: list
    """Its length and SHA-256 (and stamp) as stored."""
    identity: tuple[int, int, int, int]
    data: bytes | None
    """Its checked bytes; None when it is still the file stored (not read)."""
    restamped: list[int] | None = None
    """Its stamp now, when it was read and found whole but not known to be the file stored."""


def _held(path: str | Path, expected: list, relative: str, trust: bool, written: int) -> Held:
    """A stored file, read and checked unless ``trust`` and it is still the file stored;
    raises Damaged. ``written`` is when its sums were written: a file written as late (times
    are coarser than a write) may have been written again since, unseen, so it is read."""
    status = os.stat(path)
    stamp = _stamp(status)
    same = expected[2:] == stamp and status.st_size == expected[0]
    settled = status.st_mtime_ns < written
    if trust and same and settled:
        return Held(expected, _identity(status), None)
    data = _checked(Path(path), expected, relative)
    return Held(expected, _identity(status), data, None if same and settled else stamp)


def _restamped(sums: dict, files: dict[str, Held]) -> dict:
    def new(held: Held) -> list:
        return held.expected[:2] + held.restamped if held.restamped else held.expected

    if "file" in sums:
        return {"file": new(files[""])}
    return {**sums, "files": {relative: new(held) for relative, held in files.items()}}


def _recycle(
    earlier: Path,
    target: Path,
    folders: list[str],
    files: dict[str, Held],
    others: Container[str] = (),
) -> set[str]:
    """Move each top folder of a stored folder (``folders``, ``files``) that ``earlier`` has
    into ``target``, leaving in it only the files that are the stored ones (the same inode),
    the folders that are stored and the files at ``others`` (see ``fetch``); returns the
    folders and files of the stored folder left there."""
    wanted = set(folders)
    there: set[str] = set()
    for top in sorted({folder.split("/")[0] for folder in folders}):
        source = earlier / top
        try:
            if not stat.S_ISDIR(os.lstat(source).st_mode):
                continue
            source.rename(target / top)
            device = os.lstat(target / top).st_dev
        except OSError:
            continue
        there.add(top)
        # Thousands of files: their inodes and kinds as the folder lists them, no stat each.
        pending = [(os.path.join(target, top), f"{top}/")]
        while pending:
            folder, prefix = pending.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                relative = prefix + entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if relative in wanted:
                            there.add(relative)
                            pending.append((entry.path, f"{relative}/"))
                        else:
                            _remove(Path(entry.path))
                        continue
                    held = files.get(relative)
                    if (
                        held is not None
                        and entry.is_file(follow_symlinks=False)
                        and (device, entry.inode()) == held.identity[:2]
                    ):
                        there.add(relative)
                        continue
                    if relative in others and held is None:
                        continue
                    os.unlink(entry.path)
                except OSError:
                    continue
    return there


def _put(source: str | Path, held: Held, target: str | Path, relative: str) -> None:
    """``_place`` a fetched file; a file not read is read and checked first where it must be
    copied (raises Damaged)."""
    if held.data is None:
        try:
            os.link(source, target)
            return
        except OSError:
            held.data = _checked(Path(source), held.expected, relative)
    _place(source, held.data, target)


def _checked(path: Path, expected: list, relative: str) -> bytes:
    """A stored file's bytes if they are the ones listed; raises Damaged."""
    data = path.read_bytes()
    size, digest = expected[:2]
    where = f"{relative}: " if relative else ""
    if len(data) < size:
        raise Damaged(f"{where}truncated, {len(data)} of {size} bytes")
    if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
        raise Damaged(f"{where}its checksum does not match")
    return data


def _load_folder(
    stored: Path,
    listing: dict[str, list],
    trust: bool,
    written: int,
    subfolders: list[str] | None = None,
) -> tuple[list[str], dict[str, Held]]:
    """A folder entry's subfolders and files, each file checked against its listed digest
    (see ``_held``); raises Damaged. With ``trust`` and its ``subfolders`` as stored, the
    folder is not listed: a listed file that is missing is found missing all the same, and
    one added is not taken (tens of thousands of files on a large site)."""
    folders: list[str] = []
    present: dict[str, str] = {}  # each file's path below ``stored``: its path
    if trust and isinstance(subfolders, list) and all(isinstance(f, str) for f in subfolders):
        folders = sorted(subfolders)
        present = {relative: os.path.join(stored, relative) for relative in listing}
    else:
        for root, prefix, dirs, names in _walk(stored):
            folders += [prefix + name for name in dirs]
            present.update((prefix + name, os.path.join(root, name)) for name in names)
        folders.sort()
    listed = set(listing)
    if listed != present.keys():
        lost, extra = sorted(listed - present.keys()), sorted(present.keys() - listed)
        found_wrong = [
            f"files missing: {_few(lost)}" if lost else "",
            f"files added: {_few(extra)}" if extra else "",
        ]
        raise Damaged("; ".join(filter(None, found_wrong)))
    try:
        files = {
            relative: _held(present[relative], listing[relative], relative, trust, written)
            for relative in sorted(listed)
        }
    except FileNotFoundError as exc:  # listed but not there (the folder was not walked)
        raise Damaged(f"files missing: {os.path.relpath(exc.filename, stored)}") from None
    return folders, files


def _few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
