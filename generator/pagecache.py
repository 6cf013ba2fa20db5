"""MkDocs plugin for stage 4: a page whose inputs did not change is not rendered again.

MkDocs renders the whole theme template for every page on every build, and with Material's
navigation that is most of a build's time. A page's HTML depends only on the page itself (its
Markdown, the HTML and table of contents made from it, its metadata), on every page's address
and title (navigation, previous and next links), and on what is the same for all pages of the
build (theme, configuration, build date, library versions), which the pipeline passes as
``key``. When all of these are unchanged, the HTML stored from an earlier build is written
instead; it is what rendering would give, to the byte.

Markdown is still converted for every page, so the search index is always complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, DictLoader, Environment
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from generator.cache import read_framed, write_framed
from generator.templates import compiled

STORED = "policy-site-stored-page.html"
"""An empty template, used for pages whose HTML is taken from the cache."""


class PageCacheConfig(base.Config):
    folder = c.Optional(c.Type(str))
    """Where rendered pages are kept, one file per page version; without it, pages are only
    counted."""
    key = c.Type(str, default="")
    """Digest of everything that is the same for all pages of a build."""


class PageCache(BasePlugin[PageCacheConfig]):
    """Reuses the HTML of pages whose inputs are unchanged since an earlier build."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        self.stored: dict[str, str] = {}
        self.rendered = 0
        self.reused = 0

    def on_env(self, env: Environment, /, *, config: MkDocsConfig, files: Files) -> Environment:
        env.bytecode_cache = compiled("theme")  # the theme's templates, compiled once a process
        self.keys, self.stored = {}, {}
        if self.config.folder is None:
            return env
        # Every page has been read and converted by now, so every title is known.
        folder = Path(self.config.folder)
        pages = [f.page for f in files.documentation_pages() if f.page is not None]
        shared = hashlib.sha256(self.config.key.encode())
        for file in sorted(files, key=lambda f: f.src_uri):
            shared.update(f"{file.src_uri}\0{file.url}\0".encode())
        for page in pages:
            shared.update(f"{page.file.src_uri}\0{page.title}\0".encode())
        for page in pages:
            key = _page_key(shared.copy(), page)
            self.keys[page.file.src_uri] = key
            stored = _load(folder / key)
            if stored is not None:
                self.stored[page.file.src_uri] = stored
                page.meta = {**page.meta, "template": STORED}
        env.loader = ChoiceLoader([DictLoader({STORED: ""}), env.loader])  # type: ignore[list-item]
        return env

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        src = page.file.src_uri
        if src in self.stored:
            self.reused += 1
            return self.stored[src]
        self.rendered += 1
        if self.config.folder is not None and src in self.keys:
            _store(Path(self.config.folder), self.keys[src], output)
        return output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Keep only the pages of this build."""
        if self.config.folder is None or not Path(self.config.folder).is_dir():
            return
        folder = Path(self.config.folder)
        used = set(self.keys.values())
        for entry in folder.iterdir():
            if entry.name not in used:
                with contextlib.suppress(OSError):
                    entry.unlink(missing_ok=True)


def _page_key(digest: Any, page: Page) -> str:
    meta = json.dumps(page.meta, sort_keys=True, default=str, ensure_ascii=False)
    for part in (page.file.src_uri, page.markdown or "", page.content or "", str(page.toc), meta):
        data = part.encode()
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _load(stored: Path) -> str | None:
    """A stored page, or None when it is missing or damaged (the build process has already
    reported and removed damaged ones; this only keeps a bad file from breaking MkDocs)."""
    data = read_framed(stored)
    try:
        return data.decode("utf-8") if data is not None else None
    except UnicodeDecodeError:
        return None


def _store(folder: Path, key: str, output: str) -> None:
    # The same bytes MkDocs writes for the page, so a stored page reads back identical.
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
        write_framed(folder / key, output.encode("utf-8", errors="xmlcharrefreplace"))
