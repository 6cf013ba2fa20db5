"""Stage 4, after MkDocs: a written form's search indexes, made by Pagefind from the built pages.

Pagefind splits an index into small chunks, so a search fetches only the words it looks for
and the fragments of the results it shows (a few hundred KB at 370 organisations, where one
lunr index of the whole site is 6 MB). Each organisation has its own index in each written
form (``addresses.organisation_search``), which a search scoped to the reader's organisation
reads alone; it is made with the organisation's pages, by the worker that built them. The
search over every organisation reads the written form's index in ``<lang>/pagefind/0/``, or on
a large site a few, each over some organisations' pages (``addresses.search_part``), merged in
the browser. Pagefind reads ``<html lang>`` (nb, nn) and uses the Snowball Norwegian stemmer
for both. What is indexed is marked in the templates (``overrides/main.html``): the article
(``data-pagefind-body``) and the result title that names its organisation (metadata); the
header, navigation and footer stay out, and Pagefind is not even given them (``excerpt``);
a form page's fields are given to it as plain blocks, as it leaves forms and labels out.

Pagefind is the binary of the PyPI package ``pagefind_bin_extended`` (pinned), run offline.
Its output is the same to the byte for the same pages; nothing in the environment or the
working folder may change it or stop it, so its settings from ``PAGEFIND_*`` variables and
``pagefind.*`` files, and its runtime's from ``TOKIO_*`` variables, are kept away from it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.errors import BuildError
from generator.trash import TEMPORARY
from generator.workers import die_with_parent

UNUSED = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-highlight.js",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
)
"""Pagefind's ready-made interfaces, which the site does not use (assets/search.js does)."""


def executable() -> Path:
    """The Pagefind binary the pinned wheel installed; BuildError when it is missing."""
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]

        return Path(get_executable())
    except (ImportError, FileNotFoundError) as exc:
        raise BuildError(
            f"Pagefind is not installed ({exc}); install the pinned packages with "
            "`pip install -c constraints.txt -e .` (or `make site`)"
        ) from exc


def index_site(
    site_dir: Path,
    lang: str,
    output: Path,
    pages: Sequence[str] | None = None,
    previous: Path | None = None,
) -> int:
    """Index the built pages in ``site_dir`` (a written form's folder) into ``output``: the
    files ``pages`` (paths below ``site_dir``), or all.

    Pagefind is given the pages one by one in the order of their paths (its service mode):
    run on a folder, it numbers them in the order the file system lists them, which differs
    between file systems, and so would the index. It is given only what it indexes of each
    page (``excerpt``): parsing a page's header, navigation and footer took two fifths of its
    time. It hands back the index's files, and each one that ``previous`` (the published
    index) holds as it is becomes a second name of that one in ``output`` (making a file is
    slow on some disks, 0.6 ms each on this machine's; an index has 500).

    Returns the number of pages indexed. Raises BuildError, with Pagefind's own words, when it
    fails or indexes nothing in ``lang``.
    """
    chosen = sorted(pages) if pages is not None else _every_page(site_dir)
    return index_each(site_dir, lang, [(chosen, output, previous)])


def index_each(
    site_dir: Path, lang: str, indexes: Sequence[tuple[Sequence[str], Path, Path | None]]
) -> int:
    """``index_site`` for several indexes at once, each ``(pages, output, previous)``: one
    Pagefind makes them all (an organisation's own index has a few pages, and starting
    Pagefind costs more than indexing them). Files that are the same in several of them
    (Pagefind's script and WebAssembly) are written once, the others are second names of it.
    Returns the pages indexed in all; raises BuildError as ``index_site`` does."""
    if not indexes:
        return 0
    made = _run_pagefind(executable(), site_dir, lang, [sorted(pages) for pages, _, _ in indexes])
    written: dict[tuple[str, bytes], Path] = {}  # the first copy of each file made here
    total = 0
    for files, (_, output, previous) in zip(made, indexes, strict=True):
        languages = _page_counts(files.get("pagefind-entry.json", b""))
        indexed = languages.get(lang, 0)
        if indexed == 0:
            raise BuildError(
                f"search index for '{lang}': Pagefind indexed no page in '{lang}' (does every "
                f'page carry <html lang="{lang}"> and a data-pagefind-body?)'
            )
        total += indexed
        shutil.rmtree(output, ignore_errors=True)
        for name, data in sorted(files.items()):
            if _other_language(name, languages):
                continue
            first = written.setdefault((name, data), output / name)
            _put(output / name, data, [first, *([] if previous is None else [previous / name])])
    return total


def take_unchanged(site_dir: Path, published: Path, pages: Sequence[str], folder: str) -> bool:
    """Put the index of ``pages`` in ``folder`` of ``published`` (the written form's folder of
    the published site, made with the same build settings) into ``site_dir`` as it is, when
    Pagefind would make it again to the byte: it holds exactly as many pages, each of which
    gives Pagefind what its published twin gave. Returns whether it did."""
    before = published / folder
    try:
        entry = (before / "pagefind-entry.json").read_bytes()
        if not pages or sum(_page_counts(entry).values()) != len(pages):
            return False
        for page in pages:
            if excerpt((site_dir / page).read_bytes()) != excerpt((published / page).read_bytes()):
                return False
        output = site_dir / folder
        for file in sorted(before.rglob("*")):
            if file.is_file() and not file.is_symlink():
                _link_or_copy(file, output / file.relative_to(before))
    except OSError:
        shutil.rmtree(site_dir / folder, ignore_errors=True)
        return False
    return True


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


_WASM = re.compile(r"wasm\.([\w-]+)\.pagefind")


def _other_language(name: str, languages: dict[str, int]) -> bool:
    """Whether ``name`` is Pagefind's WebAssembly for a language the index has no page in
    (it writes one for pages of no known language too): never fetched, 68 KB an index."""
    wasm = _WASM.fullmatch(name)
    return wasm is not None and wasm.group(1) not in languages


def _put(target: Path, data: bytes, earlier: Sequence[Path]) -> None:
    """Write ``data`` at ``target``: a second name of the first of ``earlier`` that holds it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for other in earlier:
        if other != target and _same_file(other, data):
            with contextlib.suppress(OSError):
                os.link(other, target)
                return
    target.write_bytes(data)


def _same_file(earlier: Path, data: bytes) -> bool:
    try:
        status = os.lstat(earlier)
        return (
            stat.S_ISREG(status.st_mode)
            and status.st_size == len(data)
            and earlier.read_bytes() == data
        )
    except OSError:
        return False


BEGIN, END = b"<!--search-->", b"<!--/search-->"
"""The marks around what Pagefind indexes of a page (overrides/main.html)."""

_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_SKIPPED = re.compile(rb"<(/?)(?:form|label)(?=[\s/>])", re.IGNORECASE)
"""Elements Pagefind leaves out of every index, which a form page's fields are made of."""


def excerpt(page: bytes) -> bytes:
    """What Pagefind is given of a built page: its ``<html>`` tag (the written form) and the
    part between the template's marks (the indexed content, its title and organisation), from
    which it makes the same index as from the whole page, but for a form: Pagefind leaves
    every ``<form>`` and ``<label>`` out, so a form page's fields and their labels are given
    to it as blocks of their own (``div``), and its questions, hints and checklist items are
    found ("fotstøtte"). The whole page where the marks are not there once each, in order."""
    html = _HTML_TAG.search(page)
    if html is None or page.count(BEGIN) != 1 or page.count(END) != 1:
        return page
    begin, end = page.index(BEGIN), page.index(END)
    if not html.end() <= begin < end:
        return page
    indexed = _SKIPPED.sub(rb"<\1div", page[begin : end + len(END)])
    return html.group(0) + b"<body>" + indexed + b"</body></html>"


def _every_page(site_dir: Path) -> list[str]:
    return sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html"))


_NOT_PASSED = ("PAGEFIND_", "TOKIO_")
"""Environment variables Pagefind is not given: its settings and its async runtime's."""


def _run_pagefind(
    binary: Path, site_dir: Path, lang: str, indexes: Sequence[Sequence[str]]
) -> list[dict[str, bytes]]:
    """Have Pagefind's service make an index of each list of pages, in its order: each
    index's files by name."""
    # Only Pagefind's settings from here: none from the environment or a pagefind.yml/.toml/
    # .json in the working folder; nor its runtime's (an empty TOKIO_WORKER_THREADS makes
    # it panic).
    env = {key: value for key, value in os.environ.items() if not key.startswith(_NOT_PASSED)}
    with (
        tempfile.TemporaryDirectory(prefix=f"{TEMPORARY}pagefind-") as cwd,
        tempfile.TemporaryFile() as said,
    ):
        try:
            process = subprocess.Popen(
                [str(binary), "--service"],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=said,
                # Pagefind ends with a stopped build's worker.
                preexec_fn=die_with_parent,
            )
        except OSError as exc:
            raise BuildError(f"search index for '{lang}': cannot run {binary}: {exc}") from exc
        try:
            service = _Service(process)
            return [_index(service, site_dir, pages) for pages in indexes]
        except (_ServiceFailed, OSError, KeyError, TypeError, ValueError) as exc:
            process.kill()
            process.wait()
            said.seek(0)
            lines = said.read().decode("utf-8", "replace").splitlines()
            told = "".join(f"\n  {line.rstrip()}" for line in dict.fromkeys(lines) if line)
            raise BuildError(f"search index for '{lang}': Pagefind failed: {exc}{told}") from exc
        finally:
            if process.poll() is None:
                process.kill()  # nothing more to ask it
                process.wait()


def _index(service: _Service, site_dir: Path, pages: Sequence[str]) -> dict[str, bytes]:
    config = {"exclude_selectors": [".headerlink"]}  # the headings' ¶ signs
    index = service.ask({"type": "NewIndex", "config": config})["index_id"]
    for page in pages:
        try:
            data = (site_dir / page).read_bytes()
        except FileNotFoundError:
            continue  # not built: not indexed (the count says so)
        contents = excerpt(data).decode("utf-8", "replace")
        service.ask(
            {"type": "AddFile", "index_id": index, "file_path": page, "url": None}
            | {"file_contents": contents}
        )
    # Its files, not written by it: it answers WriteFiles before the last is written.
    answer = service.ask({"type": "GetFiles", "index_id": index})
    named = ((str(f["path"]), f["content"]) for f in answer["files"])
    # The interfaces are most of each answer (490 of its 660 KB): not even decoded.
    return {name: service.decoded(name, content) for name, content in named if name not in UNUSED}


_RUNTIME = ("pagefind.js", "pagefind-worker.js")
"""Pagefind's scripts, the same in every index it makes (as is its WebAssembly)."""


class _ServiceFailed(Exception):
    """Pagefind's service answered with an error, or ended."""


class _Service:
    """Pagefind's service mode (``pagefind --service``): each request and each answer is
    JSON in base64, ended by a comma. One request at a time, so that the pages are added in
    the order they are given."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.stdin, self.stdout = process.stdin, process.stdout
        self.sent = 0
        self.heard = bytearray()
        self.looked = 0
        """Bytes of ``heard`` known to hold no comma."""
        self.runtime: dict[str, bytes] = {}
        """Pagefind's scripts and WebAssembly as sent (base64) -> their bytes: the same in
        every index it makes, decoded once."""

    def decoded(self, name: str, content: str) -> bytes:
        """A file's bytes from its base64 in an answer."""
        if name not in _RUNTIME and not _WASM.fullmatch(name):
            return base64.b64decode(content)
        if content not in self.runtime:
            self.runtime[content] = base64.b64decode(content)
        return self.runtime[content]

    def ask(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send ``payload`` and return the service's answer to it; raises _ServiceFailed."""
        self.sent += 1
        request = json.dumps({"message_id": self.sent, "payload": payload})
        try:
            self.stdin.write(base64.b64encode(request.encode("utf-8")) + b",")
            self.stdin.flush()
        except BrokenPipeError as exc:
            raise _ServiceFailed("it ended before it answered") from exc
        while True:
            answer = self._next()
            said = answer.get("payload")
            reply = said if isinstance(said, dict) else {}
            if answer.get("message_id") is None or reply.get("type") == "Error":
                raise _ServiceFailed(str(reply.get("message") or "it did not understand"))
            if answer["message_id"] == self.sent:
                return reply

    def _next(self) -> dict[str, Any]:
        # An answer with an index's files is a megabyte: the buffer grows in place and is
        # searched only where it grew (searching and copying all of it for each read took
        # seconds of a large site's build).
        end = self.heard.find(b",", self.looked)
        while end < 0:
            self.looked = len(self.heard)
            more = os.read(self.stdout.fileno(), 1 << 20)
            if not more:
                raise _ServiceFailed("it ended before it answered")
            self.heard += more
            end = self.heard.find(b",", self.looked)
        message = self.heard[:end]
        del self.heard[: end + 1]
        self.looked = 0
        try:
            answer = json.loads(base64.b64decode(message))
        except ValueError as exc:
            raise _ServiceFailed(f"it answered what is not JSON ({exc})") from exc
        return answer if isinstance(answer, dict) else {}


def _page_counts(entry: bytes) -> dict[str, int]:
    """Pages Pagefind indexed in each language (its entry file lists their counts)."""
    try:
        languages = json.loads(entry)["languages"]
        return {lang: int(about["page_count"]) for lang, about in languages.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}
