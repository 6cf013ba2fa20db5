"""Stage 3: render each language's Markdown pages, Atom feed and the language chooser."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import functools
import hashlib
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from pymdownx.slugs import slugify

from generator import addresses as at
from generator.cache import Tree
from generator.fields import LANGUAGES
from generator.project import Document, FormInstance, FormRef, Link, PolicyEntry, Project
from generator.safety import markdown_text, own_html_front_matter, with_policy
from generator.schema import Change, Organisation
from generator.templates import page_environment, render_template
from generator.timebound import dated_items, review_passed, written
from generator.wording import alphabetical, format_number, initial

LETTERS_FROM = 30
"""From this many organisations on, the index lists them under their initial letters, with a
line of links to the letters at the top."""

CHANGELOG_NEWEST = 30
"""How many changes the site-wide change log and feed show: every organisation's own page
lists all of its changes, so no page grows with the number of organisations."""


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
        """Address relative to the language root."""
        return at.url(self.src)

    @property
    def output(self) -> str:
        """The HTML file MkDocs writes, relative to the language root."""
        return at.output(self.src)


Memo = Callable[[str, Callable[[], str]], str]
"""``memo(what, make)``: the text ``make()`` returns, where ``what`` names everything it depends
on besides the templates. The pipeline keeps such texts in its build cache."""


@dataclass(frozen=True)
class Rendered:
    """One language's Markdown, written to its docs folder."""

    pages: list[Page]
    printed: dict[str, str] = field(default_factory=dict)
    """A guideline's source -> its Markdown as its PDF shows it (without the link to itself)."""
    sums: dict[str, bytes] = field(default_factory=dict)
    """Every file of the docs folder (its path below it) and its SHA-256."""


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
    sources: Callable[[str], str | None] = lambda org: None,
    meanwhile: Callable[[], object] = lambda: None,
) -> Rendered:
    """Write one language's Markdown tree into ``docs_dir``; return its pages and what the
    guidelines' PDFs print. The site's assets (``site_templates/assets``) are copied beside
    them. Only files whose text changed are written, and files of an earlier build that are no
    longer pages are removed (the folder may be kept between builds).

    ``strings`` are the interface texts (strings.yml); ``site_url`` is the language site's
    published address, for the feed's absolute links. Form HTML, the slowest part, goes
    through ``memo``. ``pdf_built`` says whether a PDF (its path below the language root) will
    be on the site; a link to one that will not is replaced by a note saying so.

    ``sources(org)``, where given, is a digest of every file an organisation's pages are made
    from (its own content files and the shared ones, the forms); with it, an organisation's
    pages go through ``memo`` whole, so that a build renders only the organisations that
    changed. ``meanwhile()`` is called before each organisation: the caller's own work while
    this renders (for seconds, at hundreds of organisations).
    """

    def pdf_href(page: Page, path: str) -> str | None:
        return linked(page, path) if pdf_built(path) else None

    def linked(page: Page, path: str) -> str | None:
        return at.href(page.url, path)

    def pdfs(slug: str) -> list[str]:
        """The organisation's PDFs, below the language root."""
        return [at.form_pdf(slug, i.form_id) for i in project.forms_of(slug)] + [
            at.guideline_pdf(slug, e.policy.id) for e in by_org[slug]
        ]

    s = strings[lang]
    env = page_environment(templates_dir, lang)
    env.filters["abbr"] = abbr
    html_env = page_environment(templates_dir, lang, autoescape=True)
    pages: list[Page] = []
    printed: dict[str, str] = {}

    docs = Tree(docs_dir)

    def text(template: str, own_html: str = "", **context: Any) -> str:
        made = _tidy(render_template(env, template, s=s, lang=lang, **context))
        return own_html_front_matter(own_html) + made if own_html else made

    def write(page: Page, template: str, own_html: str = "", **context: Any) -> None:
        docs.put_text(page.src, text(template, own_html, **context))
        pages.append(page)

    by_org = {slug: project.policies_of(slug) for slug in project.organisations}
    # Lists readers look an organisation up in go by its name, in Norwegian order.
    by_name = sorted(
        project.organisations.values(), key=lambda org: (alphabetical(org.name[lang]), org.slug)
    )
    write(Page("home", lang, at.HOME, s["home_title"]), "pages/home.md.j2")
    letters: dict[str, list[Organisation]] = {}
    if len(by_name) > LETTERS_FROM:
        for org in by_name:
            letters.setdefault(initial(org.name[lang]), []).append(org)
    write(
        Page("organisations", lang, at.organisations_src(), s["organisations_title"]),
        "pages/organisations.md.j2",
        organisations=by_name,
        letters=list(letters.items()),
        policies_by_org=by_org,
    )

    changes = _changes(project, lang, s)

    def organisation_pages(slug: str) -> _Made:
        """An organisation's own page, its guidelines' and its forms' pages."""
        org = project.organisations[slug]
        made = _Made()
        org_page = Page("organisation", lang, at.organisation_src(slug), org.name[lang], org=slug)
        made.add(
            org_page,
            text(
                "pages/organisation.md.j2",
                org=org,
                policies=by_org[slug],
                forms=[_form_link(i, lang, org_page, pdf_href) for i in project.forms_of(slug)],
                changes=[item for item in changes if item.org == slug],
            ),
        )
        for entry in by_org[slug]:
            page = _guideline_page(project, entry, lang, s)
            context = _guideline_context(project, entry, lang, s, pdf_href)
            made.add(page, text("pages/guideline.md.j2", for_print=False, **context))
            # The PDF's text links its forms' PDFs as a build that writes them all does, in a
            # preview that lacks one too: its cache key is that build's, which keeps it.
            if not all(pdf_built(path) for path in pdfs(slug)):
                context = _guideline_context(project, entry, lang, s, linked)
            made.printed[page.src] = _tidy(
                render_template(
                    env, "pages/guideline.md.j2", s=s, lang=lang, for_print=True, **context
                )
            )
        for instance in project.forms_of(slug):
            f = instance.forms[lang]
            page = Page("form", lang, at.form_src(slug, f.id), f.title, org=slug, id=f.id)
            key = at.storage_key(lang, slug, f.id)
            form_html = memo(
                f"form-page\0{lang}\0{key}\0{f!r}",
                functools.partial(
                    render_template,
                    html_env,
                    "forms/page.html.j2",
                    f=f,
                    t=s["form"],
                    key=key,
                    print_mode=False,
                ),
            )
            own_html = "\n".join(line for line in form_html.splitlines() if line.strip())
            made.add(
                page,
                text(
                    "pages/form.md.j2",
                    own_html,
                    f=f,
                    org=org,
                    storage_key=key,
                    pdf_href=pdf_href(page, at.form_pdf(slug, f.id)),
                ),
            )
        return made

    for slug in project.organisations:
        meanwhile()
        digest = sources(slug)
        if digest is None:
            made = organisation_pages(slug)
        else:
            # What else the pages show: the build's date (notices), the address, which PDFs
            # are there to link to.
            built = "".join("1" if pdf_built(path) else "0" for path in pdfs(slug))
            what = f"org-pages\0{lang}\0{site_url}\0{project.build_date}\0{built}\0{digest}"
            whole = _Whole(memo, what, functools.partial(organisation_pages, slug))
            # Its pages' list, their digests and what its PDFs print, kept apart: where the
            # docs folder still holds its pages as the last build left them, their texts
            # (a hundred KB an organisation, tens of MB at hundreds) are not read at all.
            listed = _Listed.loads(memo(f"org-listed\0{what}", whole.listed))
            if not whole.made and docs.keep(listed.sums):
                pages += listed.pages
                printed.update(listed.printed)
                continue
            made = whole()
        for page, page_text in made.pages:
            docs.put_text(page.src, page_text)
            pages.append(page)
        printed.update(made.printed)

    forms_page = Page("forms", lang, at.forms_src(), s["forms_title"])
    write(
        forms_page,
        "pages/forms.md.j2",
        forms_by_org=[
            (org, len(project.forms_of(org.slug))) for org in by_name if project.forms_of(org.slug)
        ],
    )

    write(
        Page("statement", lang, at.statement_src(), s["statement_title"]),
        "pages/statement.md.j2",
        statement=project.statement,
        organisations=by_name,
        public_bodies=[o for o in by_name if o.kind == "public-body"],
        others=[o.name[lang] for o in by_name if o.kind != "public-body"],
    )

    newest = changes[:CHANGELOG_NEWEST]
    write(
        Page("changelog", lang, at.changelog_src(), s["changelog_title"]),
        "pages/changelog.md.j2",
        changes=newest,
    )
    feed = render_template(
        env,
        "pages/feed.xml.j2",
        s=s,
        lang=lang,
        changes=newest,
        base=site_url,
        feed_id=f"{site_url}{at.FEED}",
        updated=f"{max((i.change.date for i in changes), default=project.build_date)}T00:00:00Z",
    )
    docs.put_text(at.FEED, feed)
    # Once here, not by each MkDocs build: a written form's parts are built side by side.
    docs.put_folder(templates_dir / at.ASSETS, at.ASSETS)
    docs.prune()
    return Rendered(pages, printed, dict(docs.put_here))


def render_chooser(templates_dir: Path, strings: dict[str, Any], target: Path) -> None:
    """The root page where a reader picks Bokmål or Nynorsk (remembered in the browser)."""
    env = page_environment(templates_dir, "nb", autoescape=True)
    html = render_template(
        env,
        "pages/chooser.html.j2",
        c=strings["chooser"],
        s=strings,
        languages=LANGUAGES,
        storage_key=at.STORAGE_KEY,
    )
    target.write_text(with_policy(html), encoding="utf-8")


def nav(
    project: Project, pages: list[Page], home_label: str, orgs: Collection[str] | None = None
) -> list[Any]:
    """MkDocs navigation: start page, the organisation index, one section per organisation (its
    guidelines and forms; a page shows only its own organisation's, see overrides/partials/
    nav.html), the forms overview, the change log. Titles are escaped: Material prints them as
    HTML. With ``orgs``, only those organisations' sections (a part of the site built alone)."""

    def label(title: str) -> str:
        return str(markdown_text(title))

    by_src = {page.src: page for page in pages}
    lang = pages[0].lang
    index = at.organisations_src()
    items: list[Any] = [{label(home_label): at.HOME}, {label(by_src[index].title): index}]
    for slug, org in project.organisations.items():
        if orgs is not None and slug not in orgs:
            continue
        children: list[Any] = [at.organisation_src(slug)]
        children += [
            {label(by_src[src].nav_title or by_src[src].title): src}
            for src in (
                at.guideline_src(slug, entry.policy.id) for entry in project.policies_of(slug)
            )
        ]
        forms = [at.form_src(slug, instance.form_id) for instance in project.forms_of(slug)]
        if forms:
            children.append(
                {label(by_src[at.forms_src()].title): [{label(by_src[f].title): f} for f in forms]}
            )
        items.append({label(org.name[lang]): children})
    items.append({label(by_src[at.forms_src()].title): at.forms_src()})
    items.append({label(by_src[at.changelog_src()].title): at.changelog_src()})
    items.append({label(by_src[at.statement_src()].title): at.statement_src()})
    return items


@dataclass
class _Made:
    """One organisation's rendered pages, and what its guidelines' PDFs print."""

    pages: list[tuple[Page, str]] = field(default_factory=list)
    printed: dict[str, str] = field(default_factory=dict)

    def add(self, page: Page, text: str) -> None:
        self.pages.append((page, text))

    def dumps(self) -> str:
        """The pages and the printed texts with their lengths, then the texts (``_joined``)."""
        head = {
            "pages": [[dataclasses.asdict(page), len(text)] for page, text in self.pages],
            "printed": [[src, len(text)] for src, text in self.printed.items()],
        }
        return _joined(head, [text for _, text in self.pages] + list(self.printed.values()))

    @classmethod
    def loads(cls, data: str) -> _Made:
        head, text = _parted(data)
        pages = [(Page(**page), text(length)) for page, length in head["pages"]]
        return cls(pages, {src: text(length) for src, length in head["printed"]})

    def listed(self) -> _Listed:
        """The pages without their texts, each with the digest ``Tree.put`` gives it."""
        sums = {page.src: hashlib.sha256(text.encode()).hexdigest() for page, text in self.pages}
        return _Listed([page for page, _ in self.pages], sums, self.printed)


class _Whole:
    """An organisation's ``_Made`` from ``memo`` (or made), read at most once."""

    def __init__(self, memo: Memo, what: str, make: Callable[[], _Made]) -> None:
        self.memo, self.what, self.make = memo, what, make
        self.made: _Made | None = None

    def __call__(self) -> _Made:
        if self.made is None:
            text = self.memo(self.what, lambda: self.make().dumps())
            self.made = _Made.loads(text)
        return self.made

    def listed(self) -> str:
        """``_Listed.dumps`` of the organisation's pages."""
        return self().listed().dumps()


@dataclass
class _Listed:
    """An organisation's pages without their texts: each page's SHA-256 (hex) by its source,
    and what its guidelines' PDFs print."""

    pages: list[Page]
    sums: dict[str, str]
    printed: dict[str, str]

    def dumps(self) -> str:
        """The pages, their digests and the printed texts' lengths, then those texts."""
        head = {
            "pages": [dataclasses.asdict(page) for page in self.pages],
            "sums": self.sums,
            "printed": [[src, len(text)] for src, text in self.printed.items()],
        }
        return _joined(head, list(self.printed.values()))

    @classmethod
    def loads(cls, data: str) -> _Listed:
        head, text = _parted(data)
        printed = {src: text(length) for src, length in head["printed"]}
        return cls([Page(**page) for page in head["pages"]], head["sums"], printed)


def _joined(head: dict[str, Any], texts: list[str]) -> str:
    """``head`` as a line of JSON (with each text's length), then the texts one after the
    other: JSON's escapes in the texts made reading them back a quarter of a second of a
    build of hundreds of organisations."""
    return json.dumps(head, ensure_ascii=False) + "\n" + "".join(texts)


def _parted(data: str) -> tuple[Any, Callable[[int], str]]:
    """What ``_joined`` gave: its head, and a function giving the texts in their order, each
    by its length."""
    line, _, texts = data.partition("\n")
    start = 0

    def text(length: int) -> str:
        nonlocal start
        start += length
        return texts[start - length : start]

    return json.loads(line), text


@dataclass(frozen=True)
class _FormLink:
    title: str
    md_path: str
    """Markdown link from the linking page's source (MkDocs checks it)."""
    pdf_href: str | None
    """Link from the linking page's address to the PDF; None when it is not built."""


def _form_link(
    instance: FormInstance, lang: str, page: Page, pdf_href: Callable[[Page, str], str | None]
) -> _FormLink:
    """A link to a form and its PDF, from ``page``."""
    src = at.form_src(instance.org, instance.form_id)
    return _FormLink(
        instance.forms[lang].title,
        at.md_link(page.src, src),
        pdf_href(page, at.form_pdf(instance.org, instance.form_id)),
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
        at.guideline_src(policy.organisation, policy.id),
        title if named else s["page_title"].format(title=title, org=org),
        org=policy.organisation,
        id=policy.id,
        nav_title=title,
    )


def _guideline_context(
    project: Project,
    entry: PolicyEntry,
    lang: str,
    s: dict[str, Any],
    pdf_href: Callable[[Page, str], str | None],
) -> dict[str, Any]:
    policy = entry.policy
    page = _guideline_page(project, entry, lang, s)
    forms = {i.form_id: i for i in project.forms_of(policy.organisation, policy.id)}
    attachments: list[_Attachment] = []
    for ref in entry.attachments:
        if isinstance(ref, FormRef):
            link = _form_link(forms[ref.form_id], lang, page, pdf_href)
            attachments.append(_Attachment("form", link.title, link.md_path, link.pdf_href))
        elif isinstance(ref, Document):
            where = at.href(page.url, at.document_path(policy.organisation, policy.id, ref.name))
            info = f"{ref.type}, {file_size(ref.size)}"
            attachments.append(_Attachment("document", ref.title[lang], where, info=info))
        elif isinstance(ref, Link):
            attachments.append(_Attachment("link", ref.title[lang], ref.url, info=s["web_page"]))
    org = project.organisations[policy.organisation]
    text = entry.texts[lang]
    heading = page.title
    sections = [
        (section, _link_attachments(section.body, s, bool(attachments)))
        for section in text.sections
    ]
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
        "original_href": at.same_page_in(policy.original_language, page.url),
        "pdf_href": pdf_href(page, at.guideline_pdf(policy.organisation, policy.id)),
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
        words += [
            approval.body_in(lang) or "",
            approval.reference[lang] if approval.reference else "",
        ]
    page = "\n".join(words)
    return [
        (term, meaning[lang])
        for term, meaning in project.glossary.items()
        if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", page)
    ]


def abbr(text: str, abbreviations: list[tuple[str, str]]) -> Markup:
    """Text as HTML, its abbreviations explained (<abbr title>)."""
    html = str(escape(text))
    for term, meaning in abbreviations:
        html = re.sub(
            rf"(?<!\w){re.escape(str(escape(term)))}(?!\w)",
            f'<abbr title="{escape(meaning)}">{escape(term)}</abbr>',
            html,
        )
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
        _DatedLine(
            item.until.isoformat(),
            item.until < today,
            item.note[lang],
            _anchor(headings.get(item.section or "")),
        )
        for item in items
    ]
    since = written(entry)
    intro = s["dated_intro"].format(year=since.year) if since else s["dated_intro_unknown"]
    due = review_passed(entry, today)
    return _Notice(due or any(line.passed for line in lines), intro, review, due, lines)


def _anchor(heading: str | None) -> str | None:
    return _slug(heading) if heading else None


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
    items.sort(
        key=lambda item: (item.change.date, item.md_path, item.change.version or ""), reverse=True
    )
    return items


def _tidy(text: str) -> str:
    """Collapse runs of blank lines left by template logic; end with one newline."""
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip("\n") + "\n"


__all__ = ["Page", "Rendered", "nav", "render_chooser", "render_language"]
