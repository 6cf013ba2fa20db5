"""MkDocs plugin for stage 4: a page whose inputs did not change is not rendered again.

MkDocs renders the whole theme template for every page on every build, and with Material's
navigation that is most of a build's time. A page's HTML depends only on the page itself (its
Markdown, the HTML and table of contents made from it, its metadata), on every page's address
and title (navigation, previous and next links), and on what is the same for all pages of the
build (theme, configuration, build date, library versions), which the pipeline passes as
``key``. When all of these are unchanged, the HTML stored from an earlier build is written
instead; it is what rendering would give, to the byte.

Converting a page's Markdown is kept too: the HTML, table of contents, title and anchors that
MkDocs makes of it depend only on the Markdown, its metadata, every file's address and what
the build shares (``key``: settings, library versions). A build converts only the pages whose
Markdown changed; the converted HTML is cleaned again all the same (``safety``). What a build
converted is kept only once it ended without a warning (``keep_conversions``): a page whose
conversion warned is converted, and warns, again. The site's Markdown extensions read nothing
but the page (mkdocs.yml); one that reads files of its own, as pymdownx.snippets does, would
need those files' digest in ``key``.
"""

from __future__ import annotations

import contextlib
import functools
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
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from generator.cache import read_framed, write_framed
from generator.templates import compiled

STORED = "policy-site-stored-page.html"
"""An empty template, used for pages whose HTML is taken from the cache."""

CONVERSIONS = "converted-markdown"
"""The file in the folder that holds the last build's conversions of Markdown (by key)."""


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
        self.converted = 0
        """Pages whose Markdown this build converted (the others' conversion was kept)."""
        self._files_key = ""
        self._stored_conversions: dict[str, dict[str, Any]] = {}
        self._conversions: dict[str, dict[str, Any]] = {}

    def on_nav(
        self, nav: Navigation, /, *, config: MkDocsConfig, files: Files
    ) -> Navigation | None:
        # Every file and its address are known now: links between pages are made from them.
        self._files_key = _files_key(self.config.key, files)
        self._stored_conversions, self._conversions = {}, {}
        if self.config.folder is not None:
            self._stored_conversions = _load_conversions(Path(self.config.folder) / CONVERSIONS)
        return nav

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        if self.config.folder is not None:
            key = _conversion_key(self._files_key, page, markdown)
            # MkDocs converts the Markdown next, with the page's own ``render``.
            page.render = functools.partial(self._render, page, key)  # type: ignore[method-assign]
        return markdown

    def _render(self, page: Page, key: str, config: MkDocsConfig, files: Files) -> None:
        stored = self._stored_conversions.get(key)
        if stored is None or not _restore(page, stored, files):
            Page.render(page, config, files)
            self.converted += 1
            stored = _conversion(page)
        self._conversions[key] = stored

    def keep_conversions(self) -> None:
        """Keep this build's conversions for the next (call only after a build that logged
        no warning)."""
        if self.config.folder is None or not Path(self.config.folder).is_dir():
            return
        data = json.dumps(self._conversions, sort_keys=True, ensure_ascii=False)
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs speed
            write_framed(Path(self.config.folder) / CONVERSIONS, data.encode("utf-8"))

    def on_env(self, env: Environment, /, *, config: MkDocsConfig, files: Files) -> Environment:
        env.bytecode_cache = compiled("theme")  # the theme's templates, compiled once a process
        self.keys, self.stored = {}, {}
        if self.config.folder is None:
            return env
        # Every page has been read and converted by now, so every title is known.
        folder = Path(self.config.folder)
        pages = [f.page for f in files.documentation_pages() if f.page is not None]
        shared = hashlib.sha256((self._files_key or _files_key(self.config.key, files)).encode())
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
        used = {*self.keys.values(), CONVERSIONS}
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


def _files_key(key: str, files: Files) -> str:
    """Digest of what all pages share and of every file's address."""
    digest = hashlib.sha256(key.encode())
    for file in sorted(files, key=lambda f: f.src_uri):
        digest.update(f"{file.src_uri}\0{file.url}\0{file.dest_uri}\0".encode())
    return digest.hexdigest()


def _conversion_key(files_key: str, page: Page, markdown: str) -> str:
    digest = hashlib.sha256(files_key.encode())
    meta = json.dumps(page.meta, sort_keys=True, default=str, ensure_ascii=False)
    for part in (page.file.src_uri, markdown, meta):
        data = part.encode()
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _conversion(page: Page) -> dict[str, Any]:
    """What ``Page.render`` set, as data."""
    links = page.links_to_anchors
    return {
        "content": page.content,
        "toc": [_anchor_data(anchor) for anchor in page.toc],
        "title": page._title_from_render,
        "anchors": sorted(page.present_anchor_ids or ()),
        # As pairs, in their order: the warnings of links to anchors come in that order.
        "links": (
            None
            if links is None
            else [[file.src_uri, list(to.items())] for file, to in links.items()]
        ),
    }


def _restore(page: Page, stored: dict[str, Any], files: Files) -> bool:
    """Set on ``page`` what ``Page.render`` would; False when ``stored`` does not fit."""
    try:
        links = None
        if stored["links"] is not None:
            links = {}
            for src_uri, to in stored["links"]:
                file = files.get_file_from_path(src_uri)
                if file is None:
                    return False
                links[file] = {str(anchor): str(original) for anchor, original in to}
        toc = [_anchor(item) for item in stored["toc"]]
        content, title, anchors = stored["content"], stored["title"], set(stored["anchors"])
        if not isinstance(content, str) or not (title is None or isinstance(title, str)):
            return False
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    if toc:  # as MkDocs marks it
        toc[0].active = True  # type: ignore[attr-defined]
    page.content, page.toc, page._title_from_render = content, TableOfContents(toc), title
    page.present_anchor_ids = anchors
    if links is not None:
        page.links_to_anchors = links
    return True


def _anchor_data(anchor: AnchorLink) -> list[Any]:
    return [anchor.title, anchor.id, anchor.level, [_anchor_data(c) for c in anchor.children]]


def _anchor(item: list[Any]) -> AnchorLink:
    title, id_, level, children = item
    anchor = AnchorLink(str(title), str(id_), int(level))
    anchor.children = [_anchor(child) for child in children]
    return anchor


def _load_conversions(path: Path) -> dict[str, dict[str, Any]]:
    data = read_framed(path)
    try:
        loaded = json.loads(data) if data is not None else {}
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
