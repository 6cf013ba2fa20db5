"""One build at a time per site: an exclusive lock on a file beside the site folder.

Two builds writing the same site and cache (``make serve`` next to ``make site``) would delete
each other's staging folders and cache entries. The lock (``.site.lock``, flock) covers the
site, its leftovers and its cache, and the kernel releases it when its holder dies, however it
dies, so a killed build never blocks the next one. The file itself stays: removing it would let
a third build lock a new file while the second still waits on the old one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from generator.errors import BuildError, describe_os_error


def lock_path(site: Path) -> Path:
    return site.with_name(f".{site.name}.lock")


@contextlib.contextmanager
def site_lock(
    site: Path, report: Callable[[str], None] = lambda line: None, *, wait: bool = True
) -> Iterator[None]:
    """Hold the site's lock; if another build holds it, wait (saying so) or, without ``wait``,
    raise BuildError."""
    path = lock_path(site)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise BuildError(f"cannot create the lock file: {describe_os_error(exc)}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise BuildError(
                    f"another build of {site} is running (it holds {path.name}); "
                    "try again when it has finished, or leave out --no-wait to wait for it"
                ) from None
            report(f"Waiting for another build of {site} to finish (it holds {path.name})...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
