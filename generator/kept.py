"""What loading the content works out from unchanged inputs, kept from build to build as data.

Hundreds of organisations each fill the rules into their texts and forms; where one of them
changes, the others would work out the very same results again (seconds of a build). Each
result is kept under a digest of everything it was made from, as JSON (never code), and a
build takes it instead of working it out. Only results worked out without a problem are kept,
so every problem is found again.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class Kept:
    """Results kept by an earlier build; ``stored`` is what ``dump`` gave: a line per result,
    its digest and the result as JSON. Any other line is ignored (the result is worked out)."""

    def __init__(self, stored: bytes | None = None):
        # Kept as bytes: each result is decoded when it is asked for (tens of MB at hundreds
        # of organisations, of which a build asks for all, and a check for a few).
        self._stored: dict[bytes, bytes] = {}
        for line in (stored or b"").split(b"\n"):
            key, _, data = line.partition(b" ")
            if data:
                self._stored[key] = data
        self._used: dict[bytes, bytes] = {}
        self._added = False

    @property
    def changed(self) -> bool:
        """Whether ``dump`` would give other data than it was made with."""
        return self._added or self._used.keys() != self._stored.keys()

    def get(self, key: str) -> Any:
        """The result kept under ``key`` (as JSON gives it back), or None."""
        name = key.encode()
        data = self._stored.get(name)
        if data is None:
            return None
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):  # not what ``put`` writes: worked out again
            return None
        self._used[name] = data
        return value

    def later(self, key: str) -> Callable[[], Any] | None:
        """The result kept under ``key``, decoded when the function returned is called (it is
        kept for the next build either way), or None. Only for results of this build's own
        code: the cache checks its files, so what ``put`` wrote reads back."""
        name = key.encode()
        data = self._stored.get(name)
        if data is None:
            return None
        self._used[name] = data
        return functools.partial(json.loads, data)

    def drop(self, key: str) -> None:
        """Forget a result its reader found it cannot use (it is worked out again)."""
        self._used.pop(key.encode(), None)
        self._stored.pop(key.encode(), None)

    def put(self, key: str, value: Any) -> None:
        # ASCII: a line break or any other character of a text stays inside its line.
        self._used[key.encode()] = json.dumps(value, separators=(",", ":")).encode()
        self._added = True

    def dump(self) -> bytes:
        """The results worked out or used since this was made (the others are forgotten)."""
        return b"".join(b"%s %s\n" % item for item in self._used.items())


_current: contextvars.ContextVar[Kept | None] = contextvars.ContextVar("kept", default=None)


def current() -> Kept | None:
    """What the content loading in this thread may take and add to; None: nothing is kept."""
    return _current.get()


def keeping(kept: Kept) -> contextlib.AbstractContextManager[None]:
    """Results worked out meanwhile (in this thread) are taken from ``kept`` and added to it."""
    return set_meanwhile(_current, kept)


@contextlib.contextmanager
def set_meanwhile(variable: contextvars.ContextVar[T | None], value: T) -> Iterator[None]:
    """``variable`` is ``value`` in this thread until the block ends."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def digest(*parts: str) -> str:
    """A key from the parts a result was made from (each part's length first: no two lists
    of parts give the same bytes)."""
    hashed = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        hashed.update(len(data).to_bytes(8, "big") + data)
    return hashed.hexdigest()
