"""The exception tree and the one problem record every stage reports with."""

from __future__ import annotations

import errno
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, at a place a maintainer can open."""

    file: str
    line: int
    col: int
    message: str
    kind: str = field(default="", compare=False)
    """A warning's kind, which ``status`` groups by ("translation", "form", "markup"); empty
    for an error."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"

    @classmethod
    def at(
        cls,
        path: Path,
        line: int,
        col: int,
        message: str,
        root: Path | None = None,
        *,
        kind: str = "",
    ) -> Problem:
        return cls(display_path(path, root), line, col, message, kind)


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the maintainer typed it: relative to the working folder when possible."""
    base = root or Path.cwd()
    try:
        # The file itself stays unresolved: a link is named as the link (it may point at a
        # secret, or at itself).
        folder = _real_folder(str(path.absolute().parent))
        return str((folder / path.name).relative_to(_real_folder(str(base.absolute()))))
    except (ValueError, OSError, RuntimeError):
        return str(path)


def real_place(path: Path | str) -> Path:
    """``path`` absolute with its folder's links resolved, the file itself as named (as
    ``display_path`` names it), worked out once per folder."""
    folder, name = os.path.split(os.path.abspath(path))
    return _real_folder(folder) / name


def real_folder(folder: Path | str) -> Path:
    """``folder`` absolute with its links resolved, worked out once per folder."""
    return _real_folder(os.path.abspath(folder))


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> Path:
    """``folder`` (absolute) with its links resolved: once per folder, as a large project's
    thousands of messages name files in a few hundred folders."""
    return Path(folder).resolve()


class PolicySiteError(Exception):
    """Base of every error the pipeline raises on purpose (shown without a traceback)."""


class ContentError(PolicySiteError):
    """The content or form definitions are invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class BuildError(PolicySiteError):
    """A build step (rendering, MkDocs, writing the site) failed after the content checked out."""


class BuildStopped(BaseException):
    """The build process was asked to stop (SIGTERM). Not an Exception, so that nothing on the
    way out mistakes it for a failure to handle and carry on."""


_OS_HINTS = {
    errno.EROFS: "the file system is read-only: build into a writable folder (--site)",
    errno.ENOSPC: "the disk is full: free some space and build again",
    errno.EDQUOT: "the disk quota is used up: free some space and build again",
    errno.EACCES: "permission denied: check who may read and write it (ls -l shows it)",
    errno.EPERM: "operation not permitted: check who may read and write it (ls -l shows it)",
}


def describe_os_error(exc: OSError) -> str:
    """An OSError as a sentence that names the file and says what to do."""
    where = f"{display_path(Path(exc.filename))}: " if exc.filename else ""
    return where + _OS_HINTS.get(exc.errno or 0, exc.strerror or str(exc))
