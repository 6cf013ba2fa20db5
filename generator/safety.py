"""Content is data, never code on the page: escaping, sanitising and the Content-Security-Policy.

Three layers, each enough on its own for what it covers:

1. **Plain texts** (titles, organisation names, headings, versions, form titles) are escaped
   where the templates place them (``markdown_text``): every character that could start HTML or
   Markdown syntax becomes a numeric character reference, which reads the same in Markdown,
   inside raw HTML and in attributes. Addresses from content are percent-encoded (``url_part``).
   Navigation titles are escaped the same way, since Material prints them as HTML.
2. **Markdown texts** (bodies, summaries, change-log entries, statement points) are
   Markdown on purpose, so their HTML is only known after conversion. The ``ContentSafety``
   plugin cleans every page's converted HTML (``on_page_content``) with an allowlist (nh3,
   ``allowlist``; ``check`` warns of each piece of a text it would leave out): no
   scripts, styles, frames, objects, forms or event handlers, links only to http(s), mailto and
   relative addresses, images only from relative addresses (the project's own files). Every
   element and attribute the page templates themselves write into the Markdown is on that list,
   so the cleaning leaves them as they are. The one piece of the site's own markup the list
   does not admit, a form page's web form, never passes through Markdown: the page template
   puts it into the page's front matter (``OWN_HTML``), which content cannot write, and the
   plugin appends it after cleaning. The form is made from escaped values (Jinja autoescape).
3. **A Content-Security-Policy** in every HTML page (``<meta http-equiv>``): own origin only, and
   inline scripts only by the SHA-256 of those the site itself writes. For the MkDocs pages
   these are computed from the theme's script templates (``OWN_SCRIPTS``), rendered for the
   page being built, never from the page itself: a script that got into a page by any other
   way (a title, a menu, the content) is not allowed, and does not run. A mistake elsewhere
   still cannot load or run anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import urllib.parse
from typing import Any

import nh3
from jinja2 import Environment
from markupsafe import Markup
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from generator.allowlist import ATTRIBUTES, DROPPED_WITH_CONTENT, TAGS, URL_SCHEMES, attribute_kept

OWN_HTML = "policy_site_own_html"
"""Front-matter key of HTML the site itself made, appended to the page after cleaning."""

_MARKUP_CHARACTERS = re.compile(r"""[\\`*_{}\[\]()<>#!|&"']""")
"""Characters that start HTML (tags, entities, attribute quotes) or Markdown syntax (emphasis,
code, links, images, attribute lists, tables, headings, escapes)."""


def markdown_text(value: object) -> Markup:
    """A plain text for a Markdown or HTML template: shown exactly as written, never as markup.

    Whitespace runs (line breaks included) become one space, so a text cannot end a heading,
    table row or list item and start a block of its own.
    """
    text = " ".join(str(value).split())
    return Markup(_MARKUP_CHARACTERS.sub(lambda match: f"&#{ord(match.group())};", text))


def url_part(value: object) -> Markup:
    """An address for a Markdown link or an HTML attribute: characters that could end either
    are percent-encoded; a scheme the cleaning does not allow is removed later."""
    return Markup(urllib.parse.quote(str(value), safe="/:?#@!$&+,;=%~-._*"))


def _attribute(element: str, attribute: str, value: str) -> str | None:
    return value if attribute_kept(element, attribute, value) else None


def sanitise(html: str) -> str:
    """Content HTML with only what the allowlist admits (see the module's docstring)."""
    return nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ATTRIBUTES,
        attribute_filter=_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


_INLINE = re.compile(r"<(script|style)\b([^>]*)>(.*?)</\1\s*>", re.DOTALL | re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')


OWN_SCRIPTS = (
    "partials/javascripts/base.html",
    "partials/javascripts/palette.html",
    "partials/javascripts/content.html",
    "partials/javascripts/announce.html",
    "partials/javascripts/outdated.html",
    "partials/javascripts/consent.html",
    "partials/javascripts/policy-site.html",
)
"""Templates holding every inline script of the site's pages: Material's and our own."""
POLICY_VARIABLE = "policy_site_csp"
"""Template variable with the page's policy; main.html writes it into the ``<head>``."""


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def policy(own_html: str, *, wasm: bool = False) -> str:
    """The Content-Security-Policy that allows the inline scripts and styles of ``own_html``
    (markup the site itself wrote) by hash, nothing else inline, nothing from another origin.
    With ``wasm``, the page may also compile WebAssembly (the search's, Pagefind's, from this
    origin like every script); JavaScript's eval stays forbidden."""
    scripts: list[str] = []
    styles: list[str] = []
    for tag, attributes, body in _INLINE.findall(own_html):
        if "src=" in attributes.lower():
            continue
        target = scripts if tag.lower() == "script" else styles
        if (hashed := _digest(body)) not in target:
            target.append(hashed)
    return "; ".join([
        "default-src 'self'",
        " ".join(["script-src 'self'", *scripts, *(["'wasm-unsafe-eval'"] if wasm else [])]),
        " ".join(["style-src 'self'", *styles]),
        "img-src 'self' data:",  # Material's icons are data: URLs in its stylesheet
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])  # fmt: skip


def policy_meta(content: str) -> str:
    return f'<meta http-equiv="Content-Security-Policy" content="{content}">'


def with_policy(html: str) -> str:
    """``html``, a page the site writes whole (no content in it), with its policy first in
    ``<head>``."""
    head = _HEAD.search(html)
    if head is None or _CSP_META.search(html):
        return html
    return html[: head.end()] + policy_meta(policy(html)) + html[head.end() :]


def allow_script(html: str, script: str) -> str:
    """``html`` whose policy also allows the inline script ``script`` (the live preview's)."""
    match = _CSP_META.search(html)
    if match is None:
        return html
    content = match.group(1).replace("script-src 'self'", f"script-src 'self' {_digest(script)}")
    return html[: match.start(1)] + content + html[match.end(1) :]


class ContentSafety(BasePlugin):
    """MkDocs plugin: cleans each page's content and gives every page its policy."""

    def __init__(self) -> None:
        self.env: Environment | None = None

    def on_env(self, env: Environment, /, *, config: MkDocsConfig, files: Files) -> Environment:
        self.env = env
        return env

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        return sanitise(html) + str(page.meta.get(OWN_HTML, ""))

    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        context[POLICY_VARIABLE] = self._policy(context)  # type: ignore[literal-required]
        return context

    def on_template_context(
        self, context: TemplateContext, /, *, template_name: str, config: MkDocsConfig
    ) -> TemplateContext:
        context[POLICY_VARIABLE] = self._policy(context)  # type: ignore[literal-required]
        return context

    def _policy(self, context: Any) -> str:
        """The page's policy: its own scripts are the script templates rendered for it; every
        MkDocs page has the search box (assets/search.js runs Pagefind's WebAssembly)."""
        if self.env is None:
            raise RuntimeError("the theme environment is not known yet")
        own = "".join(self.env.get_template(name).render(**context) for name in OWN_SCRIPTS)
        return policy(own, wasm=True)


def own_html_front_matter(html: str) -> str:
    """Front matter carrying the site's own ``html`` for a page (see ``OWN_HTML``).

    A JSON string is a YAML double-quoted scalar, and json writes it in C: PyYAML's own
    emitter took seconds per thousand form pages. What YAML may not carry as it is (C1
    controls, line and paragraph separators, surrogates, non-characters) is escaped."""
    quoted = _NOT_YAML_PRINTABLE.sub(
        lambda match: f"\\u{ord(match.group()):04x}", json.dumps(html, ensure_ascii=False)
    )
    return f"---\n{json.dumps(OWN_HTML)}: {quoted}\n---\n\n"


_NOT_YAML_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
