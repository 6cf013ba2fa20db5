"""Every address and output path of the site, in one place.

The Markdown sources are named after the addresses MkDocs gives them (directory URLs:
``kommune/hjemmekontor.md`` is published as ``kommune/hjemmekontor/``). Paths below are relative
to a language's root (``nb/``, ``nn/``) unless they say otherwise; ``in_site`` adds the
language folder. The page templates reach these names as ``at``.
"""

from __future__ import annotations

import posixpath

HOME = "index.md"
"""The start page of a written form."""

CHANGELOG = "endringslogg"
"""The change-log page; the word is the same in Bokmål and Nynorsk."""

STATEMENT = "uu"
"""The accessibility statement ("universell utforming"), the same in both forms."""

FORMS = "skjema"
"""The forms pages, and the anchor of an organisation's forms; the same in both forms."""

ORGANISATIONS = "oversikt"
"""The organisation index, the same in both forms."""

ASSETS = "assets"
"""The site's scripts and styles (site_templates/assets), in each language's docs and site."""

SEARCH = "pagefind"
"""The search index's folder in each language's site (Pagefind's own default name)."""

SITEMAP = "sitemap.xml"
"""MkDocs' list of every page (and beside it, gzipped, ``sitemap.xml.gz``)."""

FEED = "feed.xml"
"""The change log's Atom feed."""

NOT_FOUND = "404.html"
"""The page a server shows for a missing address (MkDocs writes it)."""

CHOOSER = "index.html"
"""The site's root page where a reader picks a written form (relative to the site)."""

MANIFEST = "manifest.json"
"""The list of every page and file the build produced (relative to the site)."""

STORAGE_KEY = "policy-site.lang"
"""localStorage key holding the reader's chosen written form."""


SITE_FOLDERS = (ASSETS, SEARCH, STATEMENT, FORMS, ORGANISATIONS, CHANGELOG)
"""Top-level folders of a language's site that are the site's own: no organisation's."""

ORGANISATION_FOLDERS = ("index", FORMS, SEARCH)
"""Names in an organisation's folder that are its own page's, its forms' and its search
index's: no policy's."""


def changelog_src() -> str:
    return f"{CHANGELOG}.md"


def statement_src() -> str:
    return f"{STATEMENT}.md"


def forms_src() -> str:
    return f"{FORMS}.md"


def organisations_src() -> str:
    return f"{ORGANISATIONS}.md"


def organisation_src(org: str) -> str:
    """An organisation's own page."""
    return f"{org}/index.md"


def guideline_src(org: str, policy_id: str) -> str:
    """A guideline's page."""
    return f"{org}/{policy_id}.md"


def form_src(org: str, form_id: str) -> str:
    """A form's web page."""
    return f"{org}/{FORMS}/{form_id}.md"


def form_pdf(org: str, form_id: str) -> str:
    """A form's fillable PDF."""
    return f"{org}/{FORMS}/{form_id}.pdf"


def guideline_pdf(org: str, policy_id: str) -> str:
    """A guideline's PDF."""
    return f"{org}/{policy_id}.pdf"


def document_path(org: str, policy_id: str, name: str) -> str:
    """A policy's document: beside its guideline page."""
    return f"{org}/{policy_id}/{name}"


def search_part(part: int) -> str:
    """A search index's folder below a written form's: its indexes are searched together when
    the reader widens the search to every organisation; index 0 also holds the pages every
    organisation shares."""
    return f"{SEARCH}/{part}/"


def organisation_search(org: str) -> str:
    """An organisation's own search index below a written form's folder, in the
    organisation's: what a search scoped to the reader's organisation reads. (In the
    organisation's folder, a large site's builds keep it with the organisation's pages.)"""
    return f"{organisation_folder(org)}{SEARCH}/"


def organisation_folder(org: str) -> str:
    """An organisation's folder (pages, PDFs, documents) below a language root."""
    return f"{org}/"


def url(src: str) -> str:
    """The address of a Markdown source, relative to the language root (directory URLs, as
    MkDocs writes them; the start page is '')."""
    if src == HOME:
        return ""
    return src.removesuffix(".md").removesuffix("/index") + "/"


def output(src: str) -> str:
    """The HTML file MkDocs writes for a Markdown source."""
    return f"{url(src)}index.html"


def language_root(lang: str) -> str:
    """A written form's folder in the site, and its address from the site's root."""
    return f"{lang}/"


def in_site(lang: str, path: str) -> str:
    """A path below a language root, relative to the site folder."""
    return f"{language_root(lang)}{path}"


def same_page_in(lang: str, from_url: str) -> str:
    """Link from a page (its address below its language root) to the same page in another
    written form: every language root sits beside the others."""
    return "../" * (from_url.count("/") + 1) + language_root(lang) + from_url


def href(from_url: str, to_path: str) -> str:
    """Relative link from a page's address (directory URL) to a file of the same site."""
    return posixpath.relpath(to_path, from_url or ".")


def md_link(from_src: str, to_src: str) -> str:
    """Relative Markdown link between two sources (MkDocs checks and rewrites it)."""
    return posixpath.relpath(to_src, posixpath.dirname(from_src) or ".")


def storage_key(lang: str, org: str, form_id: str) -> str:
    """localStorage key of a form's drafts: one per organisation, form and written form."""
    return f"policy-site.form.{lang}.{org}.{form_id}"
