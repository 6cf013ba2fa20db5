"""What a build replaced (the old site, cache entries no longer used), removed after it.

The site a build replaces is kept first, as the next build's spare (``.spare`` in the cache):
making a folder is the slowest thing a build does on some disks (0.6 ms each on this
machine's, and a site of 370 organisations has 4,900), and the next build takes its folders
from there, emptied of what it does not need (``BuildCache.fetch``). The spare it had goes
to the trash.

Deleting the old site and the cache entries a build no longer uses is a second or two of
metadata writes at hundreds of organisations, and nobody waits for it: each is moved aside in
one rename, into a folder of the build's own in the cache (``.trash-*``), and the command that
built the site has a process of its own delete that folder while the maintainer already reads
the new site. A folder that was not deleted (the machine stopped meanwhile) is deleted by the
next build. Where nothing can be moved (another file system) or no process started, it is
deleted at once, as it is in a build that does not ask for ``later``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PREFIX = ".trash-"
"""The name of a trash folder in the cache starts with this."""

SPARE = ".spare"
"""The site the last build replaced, in the cache."""

TEMPORARY = "policy-site-"
"""The name of each temporary folder a build and its workers make starts with this (its
working folder, a PDF's, a search index's)."""

STOPPED = 24 * 3600.0
"""Seconds after which such a folder is taken to be a stopped build's (killed before it could
clean up), and removed by the next build; no build runs that long."""

FORGOTTEN = 60.0
"""Seconds after which a trash folder that is still there is taken to have lost the process
deleting it."""


class Trash:
    """Where one build puts what it replaced; ``later``: deleted by a process of its own."""

    def __init__(self, root: Path, *, later: bool = False) -> None:
        self.root = root
        """The cache folder the trash folder goes in."""
        self.later = later
        self.folder: Path | None = None
        self._count = 0

    def put(self, path: Path) -> None:
        """Move ``path`` into the trash, or delete it now where it cannot be moved."""
        if self.later:
            try:
                if self.folder is None:
                    self.folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self.root))
                self._count += 1
                path.rename(self.folder / str(self._count))
                return
            except OSError:
                pass
        remove(path)

    def keep(self, site: Path) -> None:
        """Keep a site that was replaced as the next build's spare; the spare before it, with
        what this build did not take from it, goes to the trash."""
        spare = self.root / SPARE
        if os.path.lexists(spare):
            self.put(spare)
        try:
            site.rename(spare)
        except OSError:  # no cache folder (it cannot be written): no spare
            self.put(site)

    def empty(self) -> None:
        """Delete what is in the trash, with what earlier builds left in theirs."""
        folders = [self.folder] if self.folder is not None else []
        folders += [f for f in left_behind(self.root, PREFIX, FORGOTTEN) if f != self.folder]
        self.folder = None
        for folder in folders:
            if not (self.later and _remove_meanwhile(folder)):
                remove(folder)


def _remove_meanwhile(folder: Path) -> bool:
    """Start a process that deletes ``folder`` and outlives this one; False where none can
    start. Started at a lower priority than the builds that may follow at once."""
    rm = shutil.which("rm")
    if rm is None:
        return False
    try:
        process = subprocess.Popen(
            [rm, "-rf", "--", str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl+C in the terminal stops the build, not this
            close_fds=True,
        )
    except OSError:
        return False
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, process.pid, 10)
    return True


def left_behind(folder: Path, prefix: str, seconds: float) -> list[Path]:
    """The entries of ``folder`` whose name starts with ``prefix``, of this user, unchanged
    for longer than ``seconds``: left by a process that was stopped before it cleaned up."""
    found, now = [], time.time()
    with contextlib.suppress(OSError):
        for entry in folder.glob(f"{prefix}*"):
            with contextlib.suppress(OSError):
                status = entry.lstat()
                if status.st_uid == os.getuid() and now - status.st_mtime > seconds:
                    found.append(entry)
    return found


def remove(entry: Path) -> None:
    """Delete a file or a folder with all it holds, as far as it can be."""
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            entry.unlink(missing_ok=True)
