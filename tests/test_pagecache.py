"""The page cache plugin on real MkDocs pages: a page whose inputs are unchanged gets its stored
HTML back to the byte; any change to it, to another page's title or to what all pages share
renders it again; a damaged stored page is rendered again, never served. In real MkDocs
builds: only changed Markdown is converted again, with the same pages as a result."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from generator.pagecache import CONVERSIONS, STORED, PageCache
from generator.sitebuild import _build_epoch, _captured_log


class Build:
    """What one MkDocs build shows the plugin: config, files and converted pages."""

    def __init__(self, tmp_path: Path, pages: dict[str, tuple[str, str]]):
        docs = tmp_path / "docs"
        docs.mkdir(exist_ok=True)
        self.config = MkDocsConfig()
        self.config.load_dict({"site_name": "Test", "docs_dir": str(docs)})
        errors, _ = self.config.validate()
        assert not errors
        self.pages: dict[str, Page] = {}
        files = []
        for name, (title, markdown) in pages.items():
            file = File(name, str(docs), str(tmp_path / "site"), use_directory_urls=True)
            page = Page(title, file, self.config)
            page.markdown = markdown
            page.content = f"<p>{markdown}</p>"
            files.append(file)
            self.pages[name] = page
        self.files = Files(files)

    def run(self, folder: Path, key: str = "shared") -> tuple[PageCache, dict[str, str]]:
        """The plugin's part of a build; each page not taken from the cache "renders" as its
        title and content."""
        plugin = PageCache()
        plugin.load_config({"folder": str(folder), "key": key})
        plugin.on_env(Environment(loader=DictLoader({})), config=self.config, files=self.files)
        out = {}
        for name, page in self.pages.items():
            rendered = f"<html>{page.title} {page.content} ø</html>"
            if page.meta.get("template") == STORED:
                rendered = ""  # the empty template: the plugin must supply the page
            out[name] = plugin.on_post_page(rendered, page=page, config=self.config)
        plugin.on_post_build(config=self.config)
        return plugin, out


PAGES = {"a.md": ("A", "alpha"), "b.md": ("B", "beta")}


def test_unchanged_pages_come_back_byte_for_byte(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    first, html = Build(tmp_path, PAGES).run(folder)
    assert (first.rendered, first.reused) == (2, 0)

    second, again = Build(tmp_path, PAGES).run(folder)
    assert (second.rendered, second.reused) == (0, 2)
    assert again == html
    assert again["a.md"] == "<html>A <p>alpha</p> ø</html>"


def test_a_changed_page_alone_is_rendered_again(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    Build(tmp_path, PAGES).run(folder)
    plugin, html = Build(tmp_path, {**PAGES, "b.md": ("B", "beta, changed")}).run(folder)
    assert (plugin.rendered, plugin.reused) == (1, 1)
    assert html["b.md"] == "<html>B <p>beta, changed</p> ø</html>"


@pytest.mark.parametrize(
    ("pages", "key"),
    [
        ({**PAGES, "b.md": ("B2", "beta")}, "shared"),  # a title shows in every page's menu
        ({**PAGES, "c.md": ("C", "gamma")}, "shared"),  # a new page joins the menu
        (PAGES, "another theme"),  # what all pages share
    ],
    ids=["title", "new page", "shared key"],
)
def test_what_every_page_shows_renders_every_page_again(
    tmp_path: Path, pages: dict[str, tuple[str, str]], key: str
) -> None:
    folder = tmp_path / "pages"
    Build(tmp_path, PAGES).run(folder)
    plugin, _ = Build(tmp_path, pages).run(folder, key)
    assert plugin.reused == 0 and plugin.rendered == len(pages)


def test_a_damaged_stored_page_is_rendered_again(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    Build(tmp_path, PAGES).run(folder)
    for stored in folder.iterdir():
        stored.write_bytes(stored.read_bytes()[:-2])

    plugin, html = Build(tmp_path, PAGES).run(folder)

    assert (plugin.rendered, plugin.reused) == (2, 0)
    assert html["a.md"] == "<html>A <p>alpha</p> ø</html>"


def test_only_the_pages_of_the_last_build_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    Build(tmp_path, PAGES).run(folder)
    Build(tmp_path, {"a.md": PAGES["a.md"]}).run(folder)
    assert len(list(folder.iterdir())) == 1


def test_without_a_folder_pages_are_only_counted(tmp_path: Path) -> None:
    build = Build(tmp_path, PAGES)
    plugin = PageCache()
    plugin.load_config({})
    plugin.on_env(Environment(loader=DictLoader({})), config=build.config, files=build.files)
    for page in build.pages.values():
        assert plugin.on_post_page("<html/>", page=page, config=build.config) == "<html/>"
    assert (plugin.rendered, plugin.reused) == (2, 0)


def real_build(
    tmp_path: Path, docs: dict[str, str]
) -> tuple[PageCache, dict[str, bytes], list[str]]:
    """A real MkDocs build of ``docs`` with the plugin, as ``sitebuild.build_language`` runs
    it: the conversions kept only after a build without warnings. Returns the plugin, the
    built pages and the warnings."""
    source = tmp_path / "docs"
    shutil.rmtree(source, ignore_errors=True)
    for name, text in docs.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text, encoding="utf-8")
    settings = tmp_path / "mkdocs.yml"
    settings.write_text(
        "site_name: Test\ntheme: {name: mkdocs}\nmarkdown_extensions: [toc, attr_list]\n"
        "validation: {anchors: warn}\n",
        encoding="utf-8",
    )
    plugin = PageCache()
    plugin.load_config({"folder": str(tmp_path / "pages"), "key": "shared"})
    (tmp_path / "pages").mkdir(exist_ok=True)
    with _captured_log() as warnings, _build_epoch(dt.date(2026, 1, 1)):
        config = load_config(config_file=str(settings), site_dir=str(tmp_path / "site"))
        config.plugins["policy-site-pages"] = plugin
        mkdocs_build(config)
    if not warnings:
        plugin.keep_conversions()
    site = tmp_path / "site"
    return (
        plugin,
        {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.html")},
        warnings,
    )


DOCS = {
    "index.md": "# Home\n\nSee [the rules](rules.md#home-days).\n",
    "rules.md": "# Rules\n\n## Days { #home-days }\n\nTwo days a week.\n\n### Notice\n\nA week.\n",
}


def test_unchanged_markdown_is_not_converted_again_and_the_pages_are_the_same(
    tmp_path: Path,
) -> None:
    first, pages, _ = real_build(tmp_path, DOCS)
    assert first.converted == 2
    # The stored pages gone: each page is laid out again, from the kept conversion.
    for stored in (tmp_path / "pages").iterdir():
        if stored.name != CONVERSIONS:
            stored.unlink()
    second, again, warnings = real_build(tmp_path, DOCS)
    assert (second.converted, second.rendered) == (0, 2)
    assert again == pages and not warnings
    assert b'href="#home-days"' in again["rules/index.html"]  # its table of contents


def test_a_changed_page_alone_is_converted_again(tmp_path: Path) -> None:
    real_build(tmp_path, DOCS)
    changed = {**DOCS, "rules.md": DOCS["rules.md"].replace("Two", "Three")}
    plugin, pages, _ = real_build(tmp_path, changed)
    assert plugin.converted == 1
    assert b"Three days a week." in pages["rules/index.html"]


def test_a_link_to_an_anchor_that_went_away_still_warns(tmp_path: Path) -> None:
    real_build(tmp_path, DOCS)
    gone = {**DOCS, "rules.md": DOCS["rules.md"].replace("{ #home-days }", "")}
    plugin, _, warnings = real_build(tmp_path, gone)
    assert plugin.converted == 1  # index.md's conversion kept, its link checked all the same
    assert any("#home-days" in warning for warning in warnings)
    # That build warned and kept nothing: the next converts what changed since the last
    # build without a warning, and warns again.
    again, _, warnings = real_build(tmp_path, gone)
    assert again.converted == 1 and any("#home-days" in warning for warning in warnings)


def test_a_damaged_conversion_is_converted_again(tmp_path: Path) -> None:
    _, pages, _ = real_build(tmp_path, DOCS)
    kept = tmp_path / "pages" / CONVERSIONS
    kept.write_bytes(kept.read_bytes()[:-5])
    plugin, again, _ = real_build(tmp_path, DOCS)
    assert plugin.converted == 2 and again == pages
