"""The PDF stage's own HTML: a form's fillable twin and a guideline's printable text.

A guideline's PDF is made from the Markdown the render stage wrote for it, converted with the
site's Markdown settings (mkdocs.yml) and cleaned as the site's pages are; it does not depend
on the MkDocs build, so it can be written while the sites are built.
"""

from __future__ import annotations

import functools
import posixpath
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
from markupsafe import Markup
from mkdocs.utils.meta import get_data
from mkdocs.utils.yaml import yaml_load

from generator import addresses as at
from generator.fields import LANGUAGES
from generator.forms import ResolvedForm
from generator.safety import sanitise
from generator.templates import Strings, load_strings, page_environment, render_template


@dataclass(frozen=True)
class GuidelinePrint:
    """What a guideline's PDF shows besides the templates."""

    title: str
    version: str | None
    src: str
    """The guideline page's Markdown source (its links are relative to it)."""
    markdown: str
    """The page's Markdown as the render stage wrote it for print."""


def css_string(text: str) -> Markup:
    """Text as a quoted CSS string (for generated content such as page footers).

    Every character but letters, digits and spaces is a CSS escape, ended by the space CSS
    reads as part of it: nothing can end the string, the rule or the ``<style>`` element
    around it (``"``, ``\\``, ``}``, ``</style>``, ``<!--``)."""
    text = re.sub(r"\s", " ", str(text))  # line breaks too: a footer is one line
    escaped = "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):x} " for ch in text)
    return Markup(f'"{escaped}"')


class Printer:
    """Renders the HTML that WeasyPrint turns into PDFs; reads its templates and styles once.
    The styles every PDF shares (``css``) are not in the HTML: WeasyPrint is given them
    beside it (``pdf.write_pdf``)."""

    def __init__(
        self, templates_dir: Path, mkdocs_config: Path, strings: Strings, field_font_css: str
    ):
        self.strings = strings
        self.css = (templates_dir / "print" / "print.css").read_text(encoding="utf-8")
        self.css += field_font_css
        self.envs = {
            lang: page_environment(templates_dir, lang, autoescape=True) for lang in LANGUAGES
        }
        for env in self.envs.values():
            env.filters["css_string"] = css_string
        self.extensions, self.extension_configs = markdown_settings(mkdocs_config)

    def form(self, f: ResolvedForm, lang: str, org_name: str) -> str:
        """A form's fillable PDF."""
        t = self.strings[lang]["form"]
        return render_template(
            self.envs[lang],
            "print/form.html.j2",
            print_mode=True,
            f=f,
            t=t,
            lang=lang,
            org=org_name,
            footer=_footer(t, org_name, f.title, f.version),
        )

    def guideline(self, guideline: GuidelinePrint, lang: str, org_name: str) -> str:
        """A guideline's PDF: its page's text, as the site shows it."""
        t = self.strings[lang]["form"]
        return render_template(
            self.envs[lang],
            "print/guideline.html.j2",
            title=guideline.title,
            t=t,
            lang=lang,
            org=org_name,
            article=Markup(self.article(guideline)),
            footer=_footer(t, org_name, guideline.title, guideline.version),
        )

    def article(self, guideline: GuidelinePrint) -> str:
        """The page's Markdown as HTML, cleaned with the site's allowlist."""
        text, _meta = get_data(guideline.markdown)  # front matter: the browser's title
        converter = markdown.Markdown(
            extensions=[*self.extensions, _SiteLinks(guideline.src)],
            extension_configs=self.extension_configs,
        )
        return sanitise(converter.convert(text))


def _footer(t: Strings, org: str, title: str, version: str | None) -> str:
    """The PDF footer: organisation, title and, when the source gives one, the version."""
    if version is None:
        return t._fill("footer_no_version", org=org, title=title)
    return t._fill("footer", org=org, title=title, version=version)


def markdown_settings(mkdocs_config: Path) -> tuple[list[str], dict[str, Any]]:
    """The Markdown extensions of mkdocs.yml (and MkDocs' own), for print: headings without
    their permalink signs."""
    with mkdocs_config.open(encoding="utf-8") as file:
        data = yaml_load(file) or {}
    names: list[str] = []
    configs: dict[str, Any] = {}
    for item in data.get("markdown_extensions") or []:
        name, config = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        names.append(name)
        configs[name] = dict(config or {})
    for builtin in ("toc", "tables", "fenced_code"):  # what MkDocs always adds
        if builtin not in names:
            names.append(builtin)
    configs.setdefault("toc", {})["permalink"] = False
    return names, configs


class _SiteLinks(markdown.Extension):
    """Links to other Markdown pages become their addresses, as MkDocs writes them."""

    def __init__(self, src: str):
        super().__init__()
        self.src = src

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_LinkRewriter(md, self.src), "policy_site_links", 0)


class _LinkRewriter(markdown.treeprocessors.Treeprocessor):
    def __init__(self, md: markdown.Markdown, src: str):
        super().__init__(md)
        self.src = src

    def run(self, root: etree.Element) -> None:
        page_url = at.url(self.src)
        for link in root.iter("a"):
            target = link.get("href", "")
            path, hash_, anchor = target.partition("#")
            if not path.endswith(".md") or ":" in path or path.startswith("/"):
                continue
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(self.src), path))
            link.set("href", at.href(page_url, at.url(joined)) + "/" + hash_ + anchor)


@functools.lru_cache(maxsize=2)
def printer(
    templates_dir: Path, mkdocs_config: Path, templates_key: str, field_font_css: str
) -> Printer:
    """The printer for a state of the templates (``templates_key`` is their digest: a process
    that outlives a build, like the live preview's, never prints with changed templates)."""
    return Printer(templates_dir, mkdocs_config, load_strings(templates_dir), field_font_css)
