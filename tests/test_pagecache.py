"""The page cache plugin on real MkDocs pages: a page whose inputs are unchanged gets its stored
HTML back to the byte; any change to it, to another page's title or to what all pages share
renders it again; a damaged stored page is rendered again, never served."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import DictLoader, Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from generator.pagecache import STORED, PageCache


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
