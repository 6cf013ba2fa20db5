"""Stage 4, after MkDocs: a written form's search index, made by Pagefind from the built pages.

Pagefind splits the index into small chunks, so a search fetches only the words it looks for
and the fragments of the results it shows (a few hundred KB at 370 organisations, where one
lunr index of the whole site is 6 MB). Each written form's site gets its own index in
``<lang>/pagefind/0/``, or a large site a few, each over some organisations' pages
(``addresses.search_part``), which the search merges in the browser; Pagefind reads
``<html lang>`` (nb, nn) and uses the Snowball Norwegian stemmer for both. What is indexed is
marked in the templates (``overrides/main.html``): the article (``data-pagefind-body``), the
page's organisation as a filter and the result title that names it as metadata; the header,
navigation and footer stay out.

Pagefind is the binary of the PyPI package ``pagefind_bin_extended`` (pinned), run offline.
Its output is the same to the byte for the same pages; nothing in the environment or the
working folder may change it, so its settings from ``PAGEFIND_*`` variables and ``pagefind.*``
files are kept away from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from generator.errors import BuildError
from generator.trash import TEMPORARY, left_behind
from generator.workers import die_with_parent

UNUSED = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-highlight.js",
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

    Pagefind writes a file per page and per chunk of words, and most of them are the same
    bytes under the same names as in the index it replaces (``previous``, the published one):
    it writes into memory where the system has a folder there (``/dev/shm``), and each file
    that ``previous`` holds as it is becomes a second name of that one in ``output`` (making a
    file is slow on some disks, 0.6 ms each on this machine's; an index has 500).

    Returns the number of pages indexed. Raises BuildError, with Pagefind's own words, when it
    fails or indexes nothing in ``lang``.
    """
    binary = executable()
    shutil.rmtree(output, ignore_errors=True)
    with _scratch() as scratch:
        written = output if scratch is None else scratch / "index"
        indexed = _run_pagefind(binary, site_dir, lang, written, pages)
        if scratch is not None:
            _settle(written, output, previous)
    return indexed


@contextlib.contextmanager
def _scratch() -> Iterator[Path | None]:
    """A private folder in memory, or None where there is none with room to spare."""
    try:
        _sweep(Path(_MEMORY))
        room = os.statvfs(_MEMORY)
        if room.f_bavail * room.f_frsize < _ROOM:
            raise OSError("too little room")
        folder = tempfile.mkdtemp(prefix=_SCRATCH, dir=_MEMORY)
    except (OSError, AttributeError):
        yield None
        return
    try:
        yield Path(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sweep(memory: Path) -> None:
    """Remove what indexing left in memory when it was stopped (a worker ended by a signal
    does not clean up): folders of ours older than any index takes to make."""
    for folder in left_behind(memory, _SCRATCH, _STALE):
        shutil.rmtree(folder, ignore_errors=True)


_MEMORY = "/dev/shm"
_SCRATCH = f"{TEMPORARY}index-"
_ROOM = 256 * 1024 * 1024
"""Free room the memory folder must have to be used (an index of 500 pages is 3 MB)."""
_STALE = 3600.0
"""Seconds after which a folder left in memory is taken to be a stopped index's."""


def _settle(written: Path, output: Path, previous: Path | None) -> None:
    """Put the index in ``written`` at ``output``: each file ``previous`` has with the same
    name and bytes as a second name of that file, the others copied."""
    for root, _, names in os.walk(written):
        here = Path(root).relative_to(written)
        (output / here).mkdir(parents=True, exist_ok=True)
        for name in names:
            made, target = Path(root) / name, output / here / name
            if previous is not None and _same_file(previous / here / name, made):
                with contextlib.suppress(OSError):
                    os.link(previous / here / name, target)
                    continue
            shutil.copyfile(made, target)


def _same_file(earlier: Path, made: Path) -> bool:
    try:
        status = os.lstat(earlier)
        return (
            stat.S_ISREG(status.st_mode)
            and status.st_size == made.stat().st_size
            and earlier.read_bytes() == made.read_bytes()
        )
    except OSError:
        return False


def _run_pagefind(
    binary: Path, site_dir: Path, lang: str, output: Path, pages: Sequence[str] | None
) -> int:
    chosen = [] if pages is None else ["--glob", "{" + ",".join(map(_literal, pages)) + "}"]
    # Only Pagefind's settings from the command line: none from the environment or a
    # pagefind.yml/.toml/.json in the working folder.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAGEFIND_")}
    with tempfile.TemporaryDirectory(prefix=f"{TEMPORARY}pagefind-") as cwd:
        try:
            run = subprocess.run(
                [
                    str(binary),
                    "--site",
                    str(site_dir.resolve()),
                    "--output-path",
                    str(output.resolve()),
                    *chosen,
                    # The headings' permalink signs (¶) are not words of the page.
                    "--exclude-selectors",
                    ".headerlink",
                    "--quiet",
                ],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                errors="replace",
                # Pagefind ends with a stopped build's worker, instead of indexing an
                # abandoned staging folder.
                preexec_fn=die_with_parent,
                check=False,
            )
        except OSError as exc:
            raise BuildError(f"search index for '{lang}': cannot run {binary}: {exc}") from exc
    # Pagefind may print a message on both streams: each line once.
    lines = dict.fromkeys(line.rstrip() for line in (run.stderr + run.stdout).splitlines())
    said = "\n".join(f"  {line}" for line in lines if line)
    if run.returncode != 0:
        raise BuildError(
            f"search index for '{lang}': Pagefind failed (exit {run.returncode}):\n{said}"
        )
    indexed = _indexed_pages(output, lang)
    if indexed == 0:
        raise BuildError(
            f"search index for '{lang}': Pagefind indexed no page in '{lang}' (does every page "
            f'carry <html lang="{lang}"> and a data-pagefind-body?)'
            + (f":\n{said}" if said else "")
        )
    for name in UNUSED:
        (output / name).unlink(missing_ok=True)
    return indexed


_GLOB_SPECIAL = re.compile(r"([\\*?$:<>()\[\]{},])")


def _literal(path: str) -> str:
    """``path`` as a glob that matches that one file (Pagefind's glob syntax: wax)."""
    return _GLOB_SPECIAL.sub(r"\\\1", path)


def _indexed_pages(output: Path, lang: str) -> int:
    """Pages Pagefind indexed in ``lang`` (its entry file lists each language's count)."""
    try:
        entry = json.loads((output / "pagefind-entry.json").read_text("utf-8"))
        return int(entry["languages"][lang]["page_count"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0
