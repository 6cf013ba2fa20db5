"""Stage 3: render each language's Markdown pages, Atom feed and the language chooser."""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from generator.forms import ResolvedForm
from generator.safety import markdown_text, own_html_front_matter, url_part, with_policy
from generator.schema import LANGUAGES, Change
from generator.textvars import format_date, format_list
from generator.validate import FormInstance, PolicyEntry, Project

STORAGE_KEY = "policy-site.lang"
"""localStorage key holding the reader's chosen written form."""

CHANGELOG = "endringslogg"
"""Address of the change-log page; the word is the same in Bokmål and Nynorsk."""

STATEMENT = "uu"
"""Address of the accessibility statement ("universell utforming"), the same in both forms."""

FORMS = "skjema"
"""Address of the forms pages; the word is the same in Bokmål and Nynorsk."""


def form_src(org: str, form_id: str) -> str:
    """Markdown source of a form page, inside a language's docs folder."""
    return f"{org}/{FORMS}/{form_id}.md"


def form_pdf(org: str, form_id: str) -> str:
    """A form's PDF, relative to the language root."""
    return f"{org}/{FORMS}/{form_id}.pdf"


def guideline_pdf(org: str, policy_id: str) -> str:
    """A guideline's PDF, relative to the language root."""
    return f"{org}/{policy_id}.pdf"


def storage_key(lang: str, org: str, form_id: str) -> str:
    """localStorage key of a form draft: one per organisation, form and written form."""
    return f"policy-site.form.{lang}.{org}.{form_id}"


def href(from_url: str, to_path: str) -> str:
    """Relative link from a page's address (directory URL) to a file of the same site."""
    return posixpath.relpath(to_path, from_url or ".")


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


def css_string(text: str) -> Markup:
    """Text as a quoted CSS string (for generated content such as page footers).

    Every character but letters, digits and spaces is a CSS escape, ended by the space CSS
    reads as part of it: nothing can end the string, the rule or the ``<style>`` element
    around it (``"``, ``\\``, ``}``, ``</style>``, ``<!--``)."""
    text = re.sub(r"\s", " ", str(text))  # line breaks too: a footer is one line
    escaped = "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):x} " for ch in text)
    return Markup(f'"{escaped}"')


def load_strings(templates_dir: Path) -> dict[str, Any]:
    with (templates_dir / "strings.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def page_environment(templates_dir: Path, lang: str, *, autoescape: bool = False) -> Environment:
    """Jinja for the site's own templates: HTML (HTML-escaped) or Markdown pages.

    In Markdown pages every value is shown as plain text (``markdown_text``) unless a filter
    says otherwise: ``md`` for content that is Markdown on purpose (cleaned once converted, see
    ``generator.safety``), ``url`` for an address from content.
    """
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=autoescape,
        finalize=None if autoescape else _markdown_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda value: format_date(value, lang)
    env.filters["css_string"] = css_string
    env.filters["join_list"] = lambda words: format_list(list(words), lang)
    env.filters["md"] = lambda text: Markup(str(text))
    env.filters["url"] = url_part
    return env


def _markdown_finalize(value: Any) -> Any:
    return value if isinstance(value, Markup) else markdown_text(value)


Memo = Callable[[str, Callable[[], str]], str]
"""``memo(what, make)``: the text ``make()`` returns, where ``what`` names everything it depends
on besides the templates. The pipeline keeps such texts in its build cache."""


def no_memo(what: str, make: Callable[[], str]) -> str:
    return make()


def render_language(
    project: Project,
    lang: str,
    templates_dir: Path,
    strings: dict[str, Any],
    docs_dir: Path,
    site_url: str,
    memo: Memo = no_memo,
) -> list[Page]:
    """Write one language's Markdown tree into ``docs_dir``; return its pages.

    ``strings`` are the interface texts (strings.yml); ``site_url`` is the language site's
    published address, for the feed's absolute links. Form HTML, the slowest part, goes
    through ``memo``.
    """
    s = strings[lang]
    env = page_environment(templates_dir, lang)
    html_env = page_environment(templates_dir, lang, autoescape=True)
    pages: list[Page] = []

    def write(page: Page, template: str, own_html: str = "", **context: Any) -> None:
        target = docs_dir / page.src
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _tidy(env.get_template(template).render(s=s, lang=lang, **context))
        if own_html:
            text = own_html_front_matter(own_html) + text
        target.write_text(text, encoding="utf-8")
        pages.append(page)

    by_org = {slug: project.policies_of(slug) for slug in project.organisations}
    write(
        Page("home", lang, "index.md", s["home_title"]),
        "pages/home.md.j2",
        organisations=list(project.organisations.values()),
        policies_by_org=by_org,
    )

    for slug, org in project.organisations.items():
        write(
            Page("organisation", lang, f"{slug}/index.md", org.name[lang], org=slug),
            "pages/organisation.md.j2",
            org=org,
            policies=by_org[slug],
        )
        for entry in by_org[slug]:
            write(
                _guideline_page(entry, lang),
                "pages/guideline.md.j2",
                **_guideline_context(project, entry, lang),
            )
        for instance in project.forms_of(slug):
            f = instance.forms[lang]
            page = Page("form", lang, form_src(slug, f.id), f.title, org=slug, id=f.id)
            key = storage_key(lang, slug, f.id)
            form_html = memo(
                f"form-page\0{lang}\0{key}\0{f!r}",
                functools.partial(html_env.get_template("forms/page.html.j2").render,
                                  f=f, t=s["form"], key=key, print_mode=False),
            )  # fmt: skip
            write(
                page,
                "pages/form.md.j2",
                f=f,
                org=org,
                storage_key=key,
                pdf_href=href(page.url, form_pdf(slug, f.id)),
                own_html="\n".join(line for line in form_html.splitlines() if line.strip()),
            )

    forms_page = Page("forms", lang, f"{FORMS}.md", s["forms_title"])
    write(
        forms_page,
        "pages/forms.md.j2",
        forms_by_org=[
            (org, [_form_link(i, lang, forms_page) for i in project.forms_of(slug)])
            for slug, org in project.organisations.items()
            if project.forms_of(slug)
        ],
    )

    write(
        Page("statement", lang, f"{STATEMENT}.md", s["statement_title"]),
        "pages/statement.md.j2",
        statement=project.statement,
        organisations=list(project.organisations.values()),
    )

    changes = _changes(project, lang)
    write(
        Page("changelog", lang, f"{CHANGELOG}.md", s["changelog_title"]),
        "pages/changelog.md.j2",
        changes=changes,
    )
    feed = env.get_template("pages/feed.xml.j2").render(
        s=s,
        lang=lang,
        changes=changes,
        base=site_url,
        feed_id=f"{site_url}feed.xml",
        updated=_feed_updated(changes),
    )
    (docs_dir / "feed.xml").write_text(feed, encoding="utf-8")
    return pages


class Printer:
    """Renders the HTML that WeasyPrint turns into PDFs; reads its templates and styles once."""

    def __init__(self, templates_dir: Path, strings: dict[str, Any], field_font_css: str):
        self.strings = strings
        self.css = (templates_dir / "print" / "print.css").read_text(encoding="utf-8")
        self.css += field_font_css
        self.envs = {lang: page_environment(templates_dir, lang, autoescape=True)
                     for lang in LANGUAGES}  # fmt: skip

    def form(self, f: ResolvedForm, lang: str, org_name: str) -> str:
        """A form's fillable PDF."""
        t = self.strings[lang]["form"]
        return self.envs[lang].get_template("print/form.html.j2").render(
            print_mode=True, f=f, t=t, lang=lang, org=org_name, css=self.css,
            footer=t["footer"].format(org=org_name, title=f.title, version=f.version),
        )  # fmt: skip

    def guideline(self, guideline: GuidelinePrint, lang: str, org_name: str) -> str:
        """A guideline's PDF: the article of its built page."""
        t = self.strings[lang]["form"]
        title = guideline.title
        return self.envs[lang].get_template("print/guideline.html.j2").render(
            title=title, t=t, lang=lang, org=org_name, css=self.css,
            article=_article(guideline.page_html),
            footer=t["footer"].format(org=org_name, title=title, version=guideline.version),
        )  # fmt: skip


@dataclass(frozen=True)
class GuidelinePrint:
    """What a guideline's PDF shows besides the templates."""

    title: str
    version: str
    page_html: str
    """The guideline's page as MkDocs built it; the PDF shows its article."""


@functools.lru_cache(maxsize=2)
def printer(templates_dir: Path, templates_key: str, field_font_css: str) -> Printer:
    """The printer for a state of the templates (``templates_key`` is their digest: a process
    that outlives a build, like the live preview's, never prints with changed templates)."""
    return Printer(templates_dir, load_strings(templates_dir), field_font_css)


def _article(page_html: str) -> str:
    """The content of a built Material page, without permalinks and the PDF link itself."""
    match = re.search(r'<article class="md-content__inner md-typeset">(.*?)</article>',
                      page_html, flags=re.DOTALL)  # fmt: skip
    if match is None:
        raise ValueError("the built page has no article")
    article = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', "", match.group(1), flags=re.DOTALL)
    return re.sub(r'<p class="ps-guideline-pdf">.*?</p>', "", article, flags=re.DOTALL)


def render_chooser(templates_dir: Path, strings: dict[str, Any], target: Path) -> None:
    """The root page where a reader picks Bokmål or Nynorsk (remembered in the browser)."""
    env = page_environment(templates_dir, "nb", autoescape=True)
    html = env.get_template("pages/chooser.html.j2").render(
        c=strings["chooser"], storage_key=STORAGE_KEY
    )
    target.write_text(with_policy(html), encoding="utf-8")


def nav(project: Project, pages: list[Page], home_label: str) -> list[Any]:
    """MkDocs navigation: start page, one section per organisation (its guidelines and forms),
    the forms overview, the change log. Titles are escaped: Material prints them as HTML."""

    def label(title: str) -> str:
        return str(markdown_text(title))

    by_src = {page.src: page for page in pages}
    lang = pages[0].lang
    items: list[Any] = [{label(home_label): "index.md"}]
    for slug, org in project.organisations.items():
        children: list[Any] = [f"{slug}/index.md"]
        children += [
            {label(by_src[src].title): src}
            for src in (f"{slug}/{entry.policy.id}.md" for entry in project.policies_of(slug))
        ]
        forms = [form_src(slug, instance.form_id) for instance in project.forms_of(slug)]
        if forms:
            children.append(
                {label(by_src[f"{FORMS}.md"].title): [{label(by_src[f].title): f} for f in forms]}
            )
        items.append({label(org.name[lang]): children})
    items.append({label(by_src[f"{FORMS}.md"].title): f"{FORMS}.md"})
    items.append({label(by_src[f"{CHANGELOG}.md"].title): f"{CHANGELOG}.md"})
    items.append({label(by_src[f"{STATEMENT}.md"].title): f"{STATEMENT}.md"})
    return items


@dataclass(frozen=True)
class _FormLink:
    title: str
    md_path: str
    """Markdown link from the linking page's source (MkDocs checks it)."""
    pdf_href: str
    """Link from the linking page's address to the PDF."""


def _form_link(instance: FormInstance, lang: str, page: Page) -> _FormLink:
    """A link to a form and its PDF, from ``page``."""
    src = form_src(instance.org, instance.form_id)
    return _FormLink(
        instance.forms[lang].title,
        posixpath.relpath(src, posixpath.dirname(page.src) or "."),
        href(page.url, form_pdf(instance.org, instance.form_id)),
    )


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
        "pdf_href": href(page.url, guideline_pdf(policy.organisation, policy.id)),
        "forms": [
            _form_link(instance, lang, page)
            for instance in project.forms_of(policy.organisation, policy.id)
        ],
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
