"""What content HTML a page keeps, and what of a Markdown text it would leave out.

The pages' cleaning (``safety.sanitise``) keeps only the elements, attributes and addresses
listed here. It is silent by nature: ``<leader>`` typed into a text, meant as words, is read
as an HTML tag and disappears, and so does a link to ``javascript:``. ``left_out`` finds those
pieces in the Markdown a maintainer wrote, so that ``check`` can say where they are and what to
write instead.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from dataclasses import dataclass

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
}  # fmt: skip
"""Elements a page keeps."""

ATTRIBUTES = {
    # hidden and the data-* markers the site's scripts read: the dated-text notice (dated.js),
    # the no-script note and the print footer of a form page (forms.js). Harmless in content.
    "*": {
        "class",
        "id",
        "title",
        "lang",
        "dir",
        "hidden",
        "data-ps-dated",
        "data-ps-dated-lead",
        "data-ps-dated-list",
        "data-ps-until",
        "data-ps-review",
        "data-ps-nojs",
        "data-print-footer",
        "data-print-page",
        "data-print-of",
    },
    "a": {"href", "hreflang", "type", "download"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "details": {"open"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
"""Attributes a page keeps, by element ("*": on every element)."""

DROPPED_WITH_CONTENT = {
    "script", "style", "template", "noscript", "iframe", "object", "embed", "applet", "frame",
    "frameset", "noembed", "noframes", "svg", "math", "textarea", "select", "title", "xmp",
}  # fmt: skip
"""Elements removed with everything inside them; other elements a page does not keep leave
their text."""

ENDS_AT_ONCE = {"embed", "frame", "frameset", "math", "svg"}
"""Of those, the elements that take nothing after them when never closed (void, or ending with
their paragraph), as the site's cleaning reads them (tests/test_allowlist.py)."""

URL_SCHEMES = {"http", "https", "mailto"}
"""Schemes a link may have; an address without one is the site's own."""

RESERVED_IDS = ("__", "ps-")
"""Id prefixes of the theme's and the site's own elements (``__config``, ``ps-form``): content
taking one would hand the page's scripts its element instead."""


def attribute_kept(element: str, attribute: str, value: str) -> bool:
    """Whether a page keeps an allowed attribute with this value (the addresses and ids the
    lists above cannot say)."""
    if attribute == "id" and value.startswith(RESERVED_IDS):
        return False
    if element == "img" and attribute == "src":
        # Images only from the project's own files: a relative address without a scheme or host.
        parsed = urllib.parse.urlsplit(value.strip())
        return not (parsed.scheme or parsed.netloc or value.strip().startswith(("/", "\\")))
    if attribute in ("href", "cite"):
        scheme = urllib.parse.urlsplit(value.strip()).scheme
        return not scheme or scheme.lower() in URL_SCHEMES
    return True


@dataclass(frozen=True)
class LeftOut:
    """A piece of a Markdown text that its page would not show as written."""

    written: str
    """The piece as it stands in the text (its first line, for finding it in the file)."""
    message: str
    """What happens to it, and what to write instead."""
    loses_rest: bool = False
    """It takes the rest of the text with it (an element pages drop with its content, never
    closed): an error, not a warning."""


MAX_QUOTE_DEPTH = 10
"""Quotes inside quotes a text may have; far more (">" 200 times) exhaust the PDF renderer's
recursion, and no policy needs more than two."""

_QUOTES = re.compile(r"^[ \t]*((?:>[ \t]*)+)", re.MULTILINE)


def too_deep(markdown: str) -> LeftOut | None:
    """The first line that nests quotes deeper than ``MAX_QUOTE_DEPTH``, as a problem."""
    for match in _QUOTES.finditer(markdown):
        if match.group(1).count(">") > MAX_QUOTE_DEPTH:
            return LeftOut(
                _first_line(match.group(0)),
                f"quotes nested more than {MAX_QUOTE_DEPTH} deep ('>' at the start of a line "
                "starts a quote): use one or two, or write the '>' as '&gt;'",
                loses_rest=True,
            )
    return None


def left_out(markdown: str) -> list[LeftOut]:
    """The HTML tags, attributes, links and images of ``markdown`` that a page would leave out,
    in the order they stand. Code (in backticks or fenced) and backslash escapes are text;
    ``<https://…>`` and ``<name@host>`` are links; comments are meant to be hidden."""
    if not any(sign in markdown for sign in "<]{"):
        return []  # most texts: no tag, link or attribute list
    text = _masked(markdown)
    found: list[tuple[int, LeftOut]] = []
    if "<" in text:
        for match in _AUTOLINK.finditer(text):
            address = match.group(1)
            if not _address_kept(address):
                found.append((match.start(), _link(match.group(0), address)))
        text = _blank(text, _AUTOLINK)
        reported: set[str] = set()  # an end tag of an element already named is not named again
        for match in _TAG.finditer(text):
            found += [(match.start(), piece) for piece in _tag(match, reported)]
    if "](" in text:
        for match in _LINK.finditer(text):
            image, address = bool(match.group(1)), match.group(2)
            written = markdown[match.start(2) : match.end(2)]
            if image and not attribute_kept("img", "src", address):
                found.append((match.start(2), _image(written)))
            elif not image and not _address_kept(address):
                found.append((match.start(2), _link(written, address)))
    if "]:" in text:
        for match in _REFERENCE.finditer(text):
            if not _address_kept(match.group(1)):
                found.append((match.start(1), _link(match.group(1), match.group(1))))
    if "{" in text:
        for match in _ATTRIBUTE_LIST.finditer(text):
            if _applies(text, match):
                found += [(match.start(), piece) for piece in _attribute_list(match)]
    return [piece for _, piece in sorted(found, key=lambda item: item[0])]


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?(?:^ {0,3}\1[ \t]*$|\Z)", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(?<![\\`])(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_ESCAPE = re.compile(r"\\[\\`*_{}\[\]()>#+\-.!]")  # not "\\<": Python-Markdown keeps both
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# Python-Markdown's inline patterns: an autolink or an e-mail address in angle brackets, then
# raw HTML (a letter after "<", no "@" or space in the name: "<3 dager" stays text).
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^<>]*|[^<> !]+@[^@<> ]+)>", re.IGNORECASE)
_TAG = re.compile(r"<(/?)([a-zA-Z][^<>@ \n/]*)((?:\s[^<>]*)?)/?>")
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_LINK = re.compile(r"(!?)\[[^\]\n]*\]\(\s*<?([^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?([^\s>]+)", re.MULTILINE)
# attr_list: "{: #id .class key=value }" after a block or inline element.
_TOKEN = r"""(?:[#.][^\s{}=]+|[^\s{}=#.]+=(?:"[^"]*"|'[^']*'|[^\s{}]*))"""
_ATTRIBUTE_LIST = re.compile(rf"\{{:?[ \t]*({_TOKEN}(?:[ \t]+{_TOKEN})*)[ \t]*\}}")


def _masked(markdown: str) -> str:
    """``markdown`` with what is never HTML or a link (code, escapes, comments) blanked out,
    each character kept in place."""
    text = markdown
    for sign, pattern in (("`", _FENCE), ("~~~", _FENCE), ("`", _CODE_SPAN), ("\\", _ESCAPE)):
        if sign in text:
            text = _blank(text, pattern)
    return _blank(text, _COMMENT) if "<!--" in text else text


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), text)


def _address_kept(address: str) -> bool:
    if "@" in address and "://" not in address and ":" not in address:
        return True  # <name@host>: Markdown makes it a mailto: link
    return attribute_kept("a", "href", html.unescape(address))


def _tag(match: re.Match[str], reported: set[str]) -> list[LeftOut]:
    closing, name, attributes = match.group(1), match.group(2), match.group(3)
    written = _first_line(match.group(0))
    element = name.lower()
    if element not in TAGS:
        if closing and element in reported:
            return []
        reported.add(element)
        shown = written.replace("<", "&lt;").replace(">", "&gt;")
        rest = False
        if element in DROPPED_WITH_CONTENT:
            closed = re.search(rf"</{element}\b", match.string[match.end() :], re.IGNORECASE)
            rest = not closing and closed is None and element not in ENDS_AT_ONCE
            what = (
                "is HTML that pages never show, and is never closed: the page would leave out "
                "everything after it"
                if rest
                else "is HTML that pages never show: it is left out with everything up to its "
                "end tag"
            )
        else:
            what = "reads as an HTML tag, which the page leaves out"
        return [
            LeftOut(
                written,
                f"'{written}' {what}; texts are Markdown: to show the brackets as text, write "
                f"'{shown}', or use other brackets",
                rest,
            )
        ]
    pieces = []
    for attribute in _ATTRIBUTE.finditer(attributes):
        key = attribute.group(1).lower()
        # As the browser reads it: "jav&#x09;ascript:" is a javascript: link.
        value = html.unescape(next((v for v in attribute.group(2, 3, 4) if v is not None), ""))
        if key == "markdown" or key == "/":  # md_in_html's switch; "<br />"
            continue
        allowed = ATTRIBUTES["*"] | ATTRIBUTES.get(element, set())
        if key not in allowed:
            pieces.append(
                LeftOut(
                    written,
                    f"'{written}': the page leaves out its attribute '{key}'; texts are "
                    "Markdown, and a page's look is the site's",
                )
            )
        elif not attribute_kept(element, key, value):
            pieces.append(_attribute_value(written, element, key, value))
    return pieces


def _applies(text: str, match: re.Match[str]) -> bool:
    """Whether Markdown reads ``match`` as an attribute list: on a line of its own (the block
    above), at the end of a heading, or right after an inline element."""
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    before = text[start : match.start()]
    after = text[match.end() : end if end >= 0 else len(text)]
    if after.strip():
        return bool(before) and before[-1] in "*_`)]"
    return not before.strip() or before.lstrip().startswith("#") or before[-1] in "*_`)]"


def _attribute_list(match: re.Match[str]) -> list[LeftOut]:
    written = match.group(0)
    pieces = []
    for token in match.group(1).split():
        key, _, value = token.partition("=")
        value = value.strip("\"'")
        if token.startswith("#"):
            key, value = "id", token[1:]
        elif token.startswith("."):
            continue
        if key.lower() not in ATTRIBUTES["*"]:
            pieces.append(
                LeftOut(
                    written,
                    f"'{written}': the page leaves out the attribute '{key}'; texts are "
                    "Markdown, and a page's look is the site's",
                )
            )
        elif not attribute_kept("", key.lower(), value):
            pieces.append(_attribute_value(written, "", key.lower(), value))
    return pieces


def _attribute_value(written: str, element: str, key: str, value: str) -> LeftOut:
    if key == "id":
        return LeftOut(
            written,
            f"'{written}': the id '{value}' is left out, since ids starting with "
            f"{' or '.join(RESERVED_IDS)} are the site's own: choose another",
        )
    if element == "img":
        return _image(written)
    return _link(written, value)


def _link(written: str, address: str) -> LeftOut:
    return LeftOut(
        _first_line(written),
        f"the link to '{address}' is left out of the page (its text stays, unlinked): link to "
        "an http://, https:// or mailto: address, or to a page of the site",
    )


def _image(written: str) -> LeftOut:
    return LeftOut(
        _first_line(written),
        f"the image '{written}' is left out of the page: pages show images only from the "
        "project's own files, by a relative address",
    )


def _first_line(text: str) -> str:
    return text.split("\n", 1)[0]
