"""Stage 3: render each language's Markdown pages, Atom feed and the language chooser."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from generator.schema import LANGUAGES, Change
from generator.textvars import format_date, format_list
from generator.validate import PolicyEntry, Project

STORAGE_KEY = "policy-site.lang"
"""localStorage key holding the reader's chosen written form."""

CHANGELOG = "endringslogg"
"""Address of the change-log page; the word is the same in Bokmål and Nynorsk."""


@dataclass(frozen=True)
class Page:
    """A page rendered for MkDocs; becomes one manifest entry once built."""

    kind: str
    lang: str
    src: str
    """Path of the Markdown source inside the language's docs folder."""
    title: str
    org: str | None = None
    id: str | None = None

    @property
    def url(self) -> str:
        """Address relative to the language root (directory URLs, as MkDocs writes them)."""
        if self.src == "index.md":
            return ""
        stem = self.src.removesuffix(".md").removesuffix("/index")
        return f"{stem}/"

    @property
    def output(self) -> str:
        """The HTML file MkDocs writes, relative to the language root."""
        return f"{self.url}index.html"


def load_strings(templates_dir: Path) -> dict[str, Any]:
    with (templates_dir / "strings.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def page_environment(templates_dir: Path, lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir / "pages"),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown; templates escape the raw HTML parts themselves
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda value: format_date(value, lang)
    env.filters["join_list"] = lambda words: format_list(list(words), lang)
    return env


def render_language(
    project: Project, lang: str, templates_dir: Path, docs_dir: Path, site_url: str
) -> list[Page]:
    """Write one language's Markdown tree into ``docs_dir``; return its pages in nav order.

    ``site_url`` is the language site's published address, for the feed's absolute links.
    """
    strings = load_strings(templates_dir)
    s = strings[lang]
    env = page_environment(templates_dir, lang)
    pages: list[Page] = []

    def write(page: Page, template: str, **context: Any) -> None:
        target = docs_dir / page.src
        target.parent.mkdir(parents=True, exist_ok=True)
        text = env.get_template(template).render(s=s, lang=lang, **context)
        target.write_text(_tidy(text), encoding="utf-8")
        pages.append(page)

    by_org = {slug: project.policies_of(slug) for slug in project.organisations}
    write(
        Page("home", lang, "index.md", s["home_title"]),
        "home.md.j2",
        organisations=list(project.organisations.values()),
        policies_by_org=by_org,
    )

    for slug, org in project.organisations.items():
        write(
            Page("organisation", lang, f"{slug}/index.md", org.name[lang], org=slug),
            "organisation.md.j2",
            org=org,
            policies=by_org[slug],
        )
        for entry in by_org[slug]:
            write(
                _guideline_page(entry, lang),
                "guideline.md.j2",
                **_guideline_context(project, entry, lang),
            )

    changes = _changes(project, lang)
    write(
        Page("changelog", lang, f"{CHANGELOG}.md", s["changelog_title"]),
        "changelog.md.j2",
        changes=changes,
    )
    feed = env.get_template("feed.xml.j2").render(
        s=s,
        lang=lang,
        changes=changes,
        base=site_url,
        feed_id=f"{site_url}feed.xml",
        updated=_feed_updated(changes),
    )
    (docs_dir / "feed.xml").write_text(feed, encoding="utf-8")
    return pages


def render_chooser(templates_dir: Path, target: Path) -> None:
    """The root page where a reader picks Bokmål or Nynorsk (remembered in the browser)."""
    env = page_environment(templates_dir, "nb")
    env.autoescape = True
    html = env.get_template("chooser.html.j2").render(
        c=load_strings(templates_dir)["chooser"], storage_key=STORAGE_KEY
    )
    target.write_text(html, encoding="utf-8")


def nav(project: Project, pages: list[Page], home_label: str) -> list[Any]:
    """MkDocs navigation: start page, one section per organisation, change log."""
    by_src = {page.src: page for page in pages}
    items: list[Any] = [{home_label: "index.md"}]
    for slug, org in project.organisations.items():
        lang = pages[0].lang
        children: list[Any] = [f"{slug}/index.md"]
        children += [
            {by_src[src].title: src}
            for src in (f"{slug}/{entry.policy.id}.md" for entry in project.policies_of(slug))
        ]
        items.append({org.name[lang]: children})
    items.append({by_src[f"{CHANGELOG}.md"].title: f"{CHANGELOG}.md"})
    return items


def _guideline_page(entry: PolicyEntry, lang: str) -> Page:
    policy = entry.policy
    return Page(
        "guideline",
        lang,
        f"{policy.organisation}/{policy.id}.md",
        entry.texts[lang].title,
        org=policy.organisation,
        id=policy.id,
    )


def _guideline_context(project: Project, entry: PolicyEntry, lang: str) -> dict[str, Any]:
    policy = entry.policy
    page = _guideline_page(entry, lang)
    to_root = "../" * (page.url.count("/") + 1)  # from the page's folder up past the language
    return {
        "org": project.organisations[policy.organisation],
        "entry": entry,
        "policy": policy,
        "text": entry.texts[lang],
        "latest": latest_change(policy.changelog),
        "original_href": f"{to_root}{policy.original_language}/{page.url}",
        "forms": [],
    }


def latest_change(changelog: list[Change]) -> Change:
    return max(changelog, key=lambda change: (change.date, change.version))


@dataclass(frozen=True)
class _ChangeItem:
    change: Change
    title: str
    org_name: str
    md_path: str
    url: str
    entry_id: str


def _changes(project: Project, lang: str) -> list[_ChangeItem]:
    items = []
    for entry in project.policies:
        page = _guideline_page(entry, lang)
        org_name = project.organisations[entry.policy.organisation].name[lang]
        for change in entry.policy.changelog:
            items.append(
                _ChangeItem(
                    change,
                    page.title,
                    org_name,
                    page.src,
                    page.url,
                    f"urn:policy-site:{lang}:{entry.policy.organisation}:{entry.policy.id}:"
                    f"{change.version}",
                )
            )
    # Newest first; ties broken by address and version so the order never depends on the disk.
    items.sort(key=lambda item: (item.change.date, item.md_path, item.change.version), reverse=True)
    return items


def _feed_updated(changes: list[_ChangeItem]) -> str:
    newest = max((item.change.date for item in changes), default=dt.date(1970, 1, 1))
    return f"{newest.isoformat()}T00:00:00Z"


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template logic; end with one newline."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip("\n") + "\n"


__all__ = ["LANGUAGES", "Page", "nav", "render_chooser", "render_language"]
