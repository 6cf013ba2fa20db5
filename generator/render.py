"""Stage 3: render each language's Markdown pages, Atom feed and the language chooser."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
import posixpath
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)
from markupsafe import Markup, escape
from pymdownx.slugs import slugify

from generator.errors import BuildError, ContentError, PolicySiteError, Problem, display_path
from generator.fields import LANGUAGES
from generator.forms import ResolvedForm
from generator.project import Document, FormInstance, FormRef, Link, PolicyEntry, Project
from generator.safety import markdown_text, own_html_front_matter, url_part, with_policy
from generator.schema import Change
from generator.timebound import dated_items, review_passed, written
from generator.wording import format_date, format_list, format_number
from generator.yamlload import Loc, Source, dotted, load_yaml

STORAGE_KEY = "policy-site.lang"
"""localStorage key holding the reader's chosen written form."""

CHANGELOG = "endringslogg"
"""Address of the change-log page; the word is the same in Bokmål and Nynorsk."""

STATEMENT = "uu"
"""Address of the accessibility statement ("universell utforming"), the same in both forms."""

FORMS = "skjema"
"""Address of the forms pages; the word is the same in Bokmål and Nynorsk."""

ORGANISATIONS = "oversikt"
"""Address of the organisation index, the same in both forms."""

CHANGELOG_NEWEST = 30
"""How many changes the site-wide change log and feed show: every organisation's own page
lists all of its changes, so no page grows with the number of organisations."""


def form_src(org: str, form_id: str) -> str:
    """Markdown source of a form page, inside a language's docs folder."""
    return f"{org}/{FORMS}/{form_id}.md"


def form_pdf(org: str, form_id: str) -> str:
    """A form's PDF, relative to the language root."""
    return f"{org}/{FORMS}/{form_id}.pdf"


def guideline_pdf(org: str, policy_id: str) -> str:
    """A guideline's PDF, relative to the language root."""
    return f"{org}/{policy_id}.pdf"


def document_path(org: str, policy_id: str, name: str) -> str:
    """A policy's document, relative to the language root: beside its guideline page."""
    return f"{org}/{policy_id}/{name}"


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
    nav_title: str | None = None
    """A shorter title for the navigation, where the page's own names more (its organisation)."""

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


class MissingText(BuildError):
    """A text the templates or the pipeline ask for is not in strings.yml."""


class Strings(dict[str, Any]):
    """One mapping of strings.yml; asking for a key it lacks names the file, the place and the
    key (a KeyError would show as a traceback, Jinja's undefined as 'dict object').

    Its own names start with an underscore: templates read keys as attributes.
    """

    def __init__(self, items: dict[str, Any], label: str, where: str, places: dict[str, str]):
        super().__init__(items)
        self._label = label
        """Its keys from the top ('nb.form'), for messages."""
        self._where = where
        """'file:line:col' of the mapping."""
        self._places = places
        """Key -> 'file:line:col' of its value."""

    def __missing__(self, key: str) -> Any:
        raise MissingText(f"{self._where}: {self._label}: missing text '{key}': add it")

    def _fill(self, key: str, **values: Any) -> str:
        """The text ``key`` with its {placeholders} filled in."""
        try:
            return str(self[key]).format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            given = ", ".join("{" + name + "}" for name in values)
            place = self._places.get(key, self._where)
            raise BuildError(f"{place}: {self._label}.{key}: cannot fill in {exc}: "
                             f"the placeholders here are {given}") from exc  # fmt: skip


def load_strings(templates_dir: Path) -> Strings:
    """strings.yml, checked: every written form has the same keys; raises ContentError."""
    path = templates_dir / "strings.yml"
    source, problems = load_yaml(path)
    if source is None or problems:
        raise ContentError(problems)
    data = source.data
    if not isinstance(data, dict):
        wanted = ", ".join((*LANGUAGES, "chooser"))
        raise ContentError([source.problem((), f"expected a mapping with the keys {wanted}")])
    for key in (*LANGUAGES, "chooser"):
        if not isinstance(data.get(key), dict):
            what = f"{key}: expected" if key in data else f"missing key '{key}': expected"
            problems.append(source.problem((key,) if key in data else (),
                                           f"{what} a mapping of texts"))  # fmt: skip
    if not problems:
        first, *others = LANGUAGES
        for other in others:
            _same_keys(source, (first,), (other,), problems)
            _same_keys(source, (other,), (first,), problems)
    if problems:
        raise ContentError(problems)
    return _strings(data, (), source)


def _same_keys(source: Source, have: Loc, lack: Loc, problems: list[Problem]) -> None:
    """Report keys under ``have`` that ``lack`` does not have (recursively)."""
    mine, theirs = source.data, source.data
    for part in have:
        mine = mine[part]
    for part in lack:
        theirs = theirs[part]
    for key, value in mine.items():
        if key not in theirs:
            problems.append(source.problem(lack, f"{dotted(lack)}: missing text '{key}' "
                                           f"({dotted((*have, key))} has it): add it"))  # fmt: skip
        elif isinstance(value, dict) and isinstance(theirs[key], dict):
            _same_keys(source, (*have, key), (*lack, key), problems)


def _strings(data: Any, loc: Loc, source: Source) -> Any:
    if not isinstance(data, dict):
        return data

    def where(at: Loc) -> str:
        return "{}:{}:{}".format(display_path(source.path), *source.position(at))

    return Strings({str(key): _strings(value, (*loc, key), source) for key, value in data.items()},
                   dotted(loc) or "strings.yml", where(loc),
                   {str(key): where((*loc, key)) for key in data})  # fmt: skip


def _render(env: Environment, name: str, **context: Any) -> str:
    """A template of site_templates rendered; a failure names the template file and line."""
    try:
        return env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        place = f"{display_path(Path(exc.filename or name))}:{exc.lineno}"
        raise BuildError(f"{place}: template error: {exc.message}") from exc
    except MissingText as exc:
        raise MissingText(f"{exc} (used by {template_place(exc, name)})") from exc
    except PolicySiteError:
        raise
    except Exception as exc:
        what = exc.message if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
        raise BuildError(f"{template_place(exc, name)}: template error: {what}") from exc


def template_place(exc: BaseException, name: str) -> str:
    """'file:line' of the innermost template in the traceback (Jinja puts its lines there),
    or ``name``."""
    place = name
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename.endswith((".j2", ".html")):
            place = f"{display_path(Path(filename))}:{line}"
    return place


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
    env.filters["abbr"] = abbr
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
    pdf_built: Callable[[str], bool] = lambda path: True,
) -> list[Page]:
    """Write one language's Markdown tree into ``docs_dir``; return its pages.

    ``strings`` are the interface texts (strings.yml); ``site_url`` is the language site's
    published address, for the feed's absolute links. Form HTML, the slowest part, goes
    through ``memo``. ``pdf_built`` says whether a PDF (its path below the language root) will
    be on the site; a link to one that will not is replaced by a note saying so.
    """

    def pdf_href(page: Page, path: str) -> str | None:
        return href(page.url, path) if pdf_built(path) else None

    s = strings[lang]
    env = page_environment(templates_dir, lang)
    html_env = page_environment(templates_dir, lang, autoescape=True)
    pages: list[Page] = []

    def write(page: Page, template: str, own_html: str = "", **context: Any) -> None:
        target = docs_dir / page.src
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _tidy(_render(env, template, s=s, lang=lang, **context))
        if own_html:
            text = own_html_front_matter(own_html) + text
        target.write_text(text, encoding="utf-8")
        pages.append(page)

    by_org = {slug: project.policies_of(slug) for slug in project.organisations}
    write(Page("home", lang, "index.md", s["home_title"]), "pages/home.md.j2")
    write(
        Page("organisations", lang, f"{ORGANISATIONS}.md", s["organisations_title"]),
        "pages/organisations.md.j2",
        organisations=list(project.organisations.values()),
        policies_by_org=by_org,
    )

    changes = _changes(project, lang, s)
    for slug, org in project.organisations.items():
        org_page = Page("organisation", lang, f"{slug}/index.md", org.name[lang], org=slug)
        write(
            org_page,
            "pages/organisation.md.j2",
            org=org,
            policies=by_org[slug],
            forms=[_form_link(i, lang, org_page, pdf_href) for i in project.forms_of(slug)],
            forms_anchor=FORMS,
            changes=[item for item in changes if item.org == slug],
        )
        for entry in by_org[slug]:
            write(
                _guideline_page(project, entry, lang, s),
                "pages/guideline.md.j2",
                **_guideline_context(project, entry, lang, s, pdf_href),
            )
            for document in entry.documents:
                target = docs_dir / document_path(slug, entry.policy.id, document.name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(document.path.read_bytes())
        for instance in project.forms_of(slug):
            f = instance.forms[lang]
            page = Page("form", lang, form_src(slug, f.id), f.title, org=slug, id=f.id)
            key = storage_key(lang, slug, f.id)
            form_html = memo(
                f"form-page\0{lang}\0{key}\0{f!r}",
                functools.partial(_render, html_env, "forms/page.html.j2",
                                  f=f, t=s["form"], key=key, print_mode=False),
            )  # fmt: skip
            write(
                page,
                "pages/form.md.j2",
                f=f,
                org=org,
                storage_key=key,
                pdf_href=pdf_href(page, form_pdf(slug, f.id)),
                own_html="\n".join(line for line in form_html.splitlines() if line.strip()),
            )

    forms_page = Page("forms", lang, f"{FORMS}.md", s["forms_title"])
    write(
        forms_page,
        "pages/forms.md.j2",
        forms_by_org=[
            (org, len(project.forms_of(slug)))
            for slug, org in project.organisations.items()
            if project.forms_of(slug)
        ],
        forms_anchor=FORMS,
    )

    write(
        Page("statement", lang, f"{STATEMENT}.md", s["statement_title"]),
        "pages/statement.md.j2",
        statement=project.statement,
        organisations=list(project.organisations.values()),
        public_bodies=[o for o in project.organisations.values() if o.kind == "public-body"],
        others=[o.name[lang] for o in project.organisations.values() if o.kind != "public-body"],
    )

    newest = changes[:CHANGELOG_NEWEST]
    write(
        Page("changelog", lang, f"{CHANGELOG}.md", s["changelog_title"]),
        "pages/changelog.md.j2",
        changes=newest,
    )
    feed = _render(
        env,
        "pages/feed.xml.j2",
        s=s,
        lang=lang,
        changes=newest,
        base=site_url,
        feed_id=f"{site_url}feed.xml",
        updated=f"{max((i.change.date for i in changes), default=project.build_date)}T00:00:00Z",
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
        return _render(self.envs[lang], "print/form.html.j2",
            print_mode=True, f=f, t=t, lang=lang, org=org_name, css=self.css,
            footer=_footer(t, org_name, f.title, f.version),
        )  # fmt: skip

    def guideline(self, guideline: GuidelinePrint, lang: str, org_name: str) -> str:
        """A guideline's PDF: the article of its built page."""
        t = self.strings[lang]["form"]
        title = guideline.title
        return _render(self.envs[lang], "print/guideline.html.j2",
            title=title, t=t, lang=lang, org=org_name, css=self.css,
            article=_article(guideline.page_html),
            footer=_footer(t, org_name, title, guideline.version),
        )  # fmt: skip


def _footer(t: Strings, org: str, title: str, version: str | None) -> str:
    """The PDF footer: organisation, title and, when the source gives one, the version."""
    if version is None:
        return t._fill("footer_no_version", org=org, title=title)
    return t._fill("footer", org=org, title=title, version=version)


@dataclass(frozen=True)
class GuidelinePrint:
    """What a guideline's PDF shows besides the templates."""

    title: str
    version: str | None
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
    html = _render(env, "pages/chooser.html.j2", c=strings["chooser"], storage_key=STORAGE_KEY)
    target.write_text(with_policy(html), encoding="utf-8")


def nav(project: Project, pages: list[Page], home_label: str) -> list[Any]:
    """MkDocs navigation: start page, the organisation index, one section per organisation (its
    guidelines and forms; a page shows only its own organisation's, see overrides/partials/
    nav.html), the forms overview, the change log. Titles are escaped: Material prints them as
    HTML."""

    def label(title: str) -> str:
        return str(markdown_text(title))

    by_src = {page.src: page for page in pages}
    lang = pages[0].lang
    index = f"{ORGANISATIONS}.md"
    items: list[Any] = [{label(home_label): "index.md"}, {label(by_src[index].title): index}]
    for slug, org in project.organisations.items():
        children: list[Any] = [f"{slug}/index.md"]
        children += [
            {label(by_src[src].nav_title or by_src[src].title): src}
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
    pdf_href: str | None
    """Link from the linking page's address to the PDF; None when it is not built."""


def _form_link(instance: FormInstance, lang: str, page: Page,
               pdf_href: Callable[[Page, str], str | None]) -> _FormLink:  # fmt: skip
    """A link to a form and its PDF, from ``page``."""
    src = form_src(instance.org, instance.form_id)
    return _FormLink(
        instance.forms[lang].title,
        posixpath.relpath(src, posixpath.dirname(page.src) or "."),
        pdf_href(page, form_pdf(instance.org, instance.form_id)),
    )


def _guideline_page(project: Project, entry: PolicyEntry, lang: str, s: dict[str, Any]) -> Page:
    """A guideline's page: its title names the organisation ("Hjemmekontor – Kommunen") unless
    the title does already; the navigation, under the organisation, keeps the own title."""
    policy = entry.policy
    title = entry.texts[lang].title
    org = project.organisations[policy.organisation].name[lang]
    named = org.casefold() in title.casefold()
    return Page(
        "guideline",
        lang,
        f"{policy.organisation}/{policy.id}.md",
        title if named else s["page_title"].format(title=title, org=org),
        org=policy.organisation,
        id=policy.id,
        nav_title=title,
    )


def _guideline_context(
    project: Project, entry: PolicyEntry, lang: str, s: dict[str, Any],
    pdf_href: Callable[[Page, str], str | None],
) -> dict[str, Any]:  # fmt: skip
    policy = entry.policy
    page = _guideline_page(project, entry, lang, s)
    to_root = "../" * (page.url.count("/") + 1)  # from the page's folder up past the language
    forms = {i.form_id: i for i in project.forms_of(policy.organisation, policy.id)}
    attachments: list[_Attachment] = []
    for ref in entry.attachments:
        if isinstance(ref, FormRef):
            link = _form_link(forms[ref.form_id], lang, page, pdf_href)
            attachments.append(_Attachment("form", link.title, link.md_path, link.pdf_href))
        elif isinstance(ref, Document):
            where = href(page.url, document_path(policy.organisation, policy.id, ref.name))
            info = f"{ref.type}, {file_size(ref.size)}"
            attachments.append(_Attachment("document", ref.title[lang], where, info=info))
        elif isinstance(ref, Link):
            attachments.append(_Attachment("link", ref.title[lang], ref.url, info=s["web_page"]))
    org = project.organisations[policy.organisation]
    text = entry.texts[lang]
    heading = page.title
    sections = [(section, _link_attachments(section.body, s, bool(attachments)))
                for section in text.sections]  # fmt: skip
    return {
        "org": org,
        "heading": heading,
        # Front matter: the browser's title (Material prints it as it is, so escaped here).
        # Escaped, then quoted for YAML: safe as it stands (the page templates' own escaping
        # would turn its quotes into entities that YAML reads as anchors).
        "meta_title": Markup(json.dumps(str(escape(heading)), ensure_ascii=False)),
        "sections": sections,
        "attachments_anchor": _slug(s["attachments"]),
        "notice": _notice(entry, lang, s, project.build_date),
        "abbreviations": _abbreviations(project, entry, lang),
        "entry": entry,
        "policy": policy,
        "text": text,
        "latest": entry.latest_change,
        "original_href": f"{to_root}{policy.original_language}/{page.url}",
        "pdf_href": pdf_href(page, guideline_pdf(policy.organisation, policy.id)),
        "attachments": attachments,
    }


_slug = functools.partial(slugify(case="lower"), sep="-")
"""A heading's anchor, as the toc extension makes it (mkdocs.yml)."""


def _link_attachments(body: str, s: dict[str, Any], has_attachments: bool) -> str:
    """ "(se vedlegg)" in the text becomes a link to the attachment list (the words stay)."""
    if not has_attachments:
        return body
    words = r"\s+".join(re.escape(word) for word in s["see_attachments"].split())
    anchor = _slug(s["attachments"])
    return re.sub(rf"(?<![\[\w]){words}(?![\w\]])", lambda m: f"[{m.group(0)}](#{anchor})", body)


def _abbreviations(project: Project, entry: PolicyEntry, lang: str) -> list[tuple[str, str]]:
    """The glossary's abbreviations that the page uses, with their meaning."""
    text = entry.texts[lang]
    approval = entry.policy.approval
    words = [text.title, text.summary, *(f"{x.heading or ''} {x.body}" for x in text.sections)]
    if approval:
        words += [approval.body or "", approval.reference[lang] if approval.reference else ""]
    page = "\n".join(words)
    return [(term, meaning[lang]) for term, meaning in project.glossary.items()
            if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", page)]  # fmt: skip


def abbr(text: str, abbreviations: list[tuple[str, str]]) -> Markup:
    """Text as HTML, its abbreviations explained (<abbr title>)."""
    html = str(escape(text))
    for term, meaning in abbreviations:
        html = re.sub(rf"(?<!\w){re.escape(str(escape(term)))}(?!\w)",
                      f'<abbr title="{escape(meaning)}">{escape(term)}</abbr>', html)  # fmt: skip
    return Markup(html)


@dataclass(frozen=True)
class _DatedLine:
    until: str
    """The last day it is current (ISO): the page's script shows it once that day is past."""
    passed: bool
    note: str
    anchor: str | None


@dataclass(frozen=True)
class _Notice:
    """The notice on a guideline that may be out of date; the script keeps it true later."""

    shown: bool
    intro: str
    review: dt.date | None
    review_passed: bool
    items: list[_DatedLine]

    @property
    def any_passed(self) -> bool:
        return any(item.passed for item in self.items)


def _notice(entry: PolicyEntry, lang: str, s: dict[str, Any], today: dt.date) -> _Notice | None:
    """What a guideline's readers are told about dated content, as of ``today`` (the build's
    pinned date); None when nothing in it is bound to a time."""
    items = dated_items(entry)
    review = entry.policy.next_review
    if not items and review is None:
        return None
    headings = {section.id: section.heading for section in entry.texts[lang].sections}
    lines = [
        _DatedLine(item.until.isoformat(), item.until < today, item.note[lang],
                   _slug(headings[item.section]) if headings.get(item.section) else None)
        for item in items
    ]  # fmt: skip
    since = written(entry)
    intro = s["dated_intro"].format(year=since.year) if since else s["dated_intro_unknown"]
    due = review_passed(entry, today)
    return _Notice(due or any(line.passed for line in lines), intro, review, due, lines)


@dataclass(frozen=True)
class _Attachment:
    """One item of a guideline's attachment list."""

    kind: str
    """form, document or link."""
    title: str
    target: str
    """The form page's Markdown path, or the document's or link's address."""
    pdf_href: str | None = None
    """A form's PDF."""
    info: str | None = None
    """What opening it gives: "PDF, 120 kB", "nettside"."""


def file_size(size: int) -> str:
    """A file size as Norwegian sites write it: 120 kB, 1,4 MB."""
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} kB"
    return f"{format_number(round(decimal.Decimal(size) / 1_000_000, 1))} MB"


@dataclass(frozen=True)
class _ChangeItem:
    change: Change
    title: str
    org: str
    org_name: str
    md_path: str
    url: str
    entry_id: str


def _changes(project: Project, lang: str, s: dict[str, Any]) -> list[_ChangeItem]:
    items = []
    for entry in project.policies:
        page = _guideline_page(project, entry, lang, s)
        org_name = project.organisations[entry.policy.organisation].name[lang]
        for change in entry.policy.changelog:
            items.append(
                _ChangeItem(
                    change,
                    entry.texts[lang].title,
                    entry.policy.organisation,
                    org_name,
                    page.src,
                    page.url,
                    f"urn:policy-site:{lang}:{entry.policy.organisation}:{entry.policy.id}:"
                    f"{change.version or change.date.isoformat()}",
                )
            )
    # Newest first; ties broken by address and version so the order never depends on the disk.
    items.sort(key=lambda item: (item.change.date, item.md_path, item.change.version or ""),
               reverse=True)  # fmt: skip
    return items


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template logic; end with one newline."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip("\n") + "\n"


__all__ = ["LANGUAGES", "Page", "nav", "render_chooser", "render_language"]
