"""What of a Markdown text its page would leave out: named before the build, and exactly what
the real conversion and cleaning drop."""

from __future__ import annotations

import html.parser

import markdown
import pytest
import yaml

from generator.allowlist import DROPPED_WITH_CONTENT, left_out
from generator.safety import sanitise
from tests.conftest import ROOT

LEFT_OUT = [
    # (text, the piece named, words of the message)
    ("Søknaden sendes til <leder> på e-post.", "<leder>", "&lt;leder&gt;"),
    ("Skriv <navn på leder> her.", "<navn på leder>", "reads as an HTML tag"),
    ("Skriv <leder/> her.", "<leder/>", "reads as an HTML tag"),
    ("Tekst <script>alert(1)</script> slutt.", "<script>", "everything up to its end tag"),
    ("Tekst <Style>p{}</Style>.", "<Style>", "never show"),
    ("Escaped is not: \\<leder> stays a tag.", "<leder>", "reads as an HTML tag"),
    ("Se [Arbeidstilsynet](javascript:alert(1)).", "javascript:alert(1)", "link to an http"),
    ("Se [filen](file:///etc/passwd).", "file:///etc/passwd", "left out of the page"),
    ("Se <ftp://filer.example/>.", "<ftp://filer.example/>", "link to"),
    ("![logo](https://evil.example/x.png)", "https://evil.example/x.png", "image"),
    ('<img src="/etc/passwd" alt="x">', '<img src="/etc/passwd" alt="x">', "image"),
    ('<p style="color:red">rød</p>', '<p style="color:red">', "attribute 'style'"),
    ('<b onclick="steal()">fet</b>', '<b onclick="steal()">', "attribute 'onclick'"),
    ('<a href="javascript:x">lenke</a>', '<a href="javascript:x">', "'javascript:x'"),
    ('<a href="jav&#x09;ascript:x">l</a>', '<a href="jav&#x09;ascript:x">', "link to"),
    ("Se [her](jav&#x09;ascript:x).", "jav&#x09;ascript:x", "link to"),
    ("Avsnitt\n{: #ps-form }", "{: #ps-form }", "the site's own"),
    ("### Overskrift {: onclick=x }", "{: onclick=x }", "attribute 'onclick'"),
    ("*fet*{: style=x} tekst", "{: style=x}", "attribute 'style'"),
    ("[ref]: javascript:alert(1)\n\nSe [her][ref].", "javascript:alert(1)", "link to"),
]

KEPT = [
    "Inntil 2 < 3 dager, og <3 er ikke en tag; 3 > 2.",
    "Se <https://www.arbeidstilsynet.no/> eller skriv til <hr@kommune.no>.",
    "Skriv til [HR](mailto:hr@kommune.no) eller les [mer](../skjema/avtale/#omfang).",
    "Linjeskift<br>og <sup>2</sup>, <strong>fet</strong> og <abbr title='x'>MBM</abbr>.",
    "Linjeskift<br/>og<br />igjen.",
    "Koden `<leder>` og\n\n```\n<leder>\n```\n",
    "Entiteter: &lt;leder&gt; og a&nbsp;b.",
    "En kommentar <!-- skjult --> her.",
    "Regler: {{ rules.home_days_per_week_max | words }} {% if rules.x %}ja{% endif %} {ukjent}",
    "Tekst {: #ps-form } midt i en linje er bare tekst.",
    '<div markdown="1">\n**Viktig**\n</div>',
]

EXTENSIONS = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.Loader)["markdown_extensions"]


class _Seen(html.parser.HTMLParser):
    """The visible text, and each element with its attributes, of some HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.elements: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, tuple(sorted((k, v or "") for k, v in attrs))))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def seen(html_text: str) -> tuple[str, list[tuple[str, tuple[tuple[str, str], ...]]]]:
    parser = _Seen()
    parser.feed(html_text)
    return " ".join("".join(parser.text).split()), parser.elements


def converted(text: str) -> str:
    """The text as a page has it before cleaning: Python-Markdown with the site's extensions."""
    names, configs = [], {}
    for item in EXTENSIONS:
        name = next(iter(item)) if isinstance(item, dict) else item
        names.append(name)
        if isinstance(item, dict) and name != "toc":
            configs[name] = item[name]
    return markdown.markdown(text, extensions=names, extension_configs=configs)


@pytest.mark.parametrize(("text", "written", "said"), LEFT_OUT)
def test_each_piece_a_page_would_leave_out_is_named(text: str, written: str, said: str) -> None:
    pieces = left_out(text)
    assert [piece.written for piece in pieces] == [written]
    assert said in pieces[0].message
    # And the page does leave it out: cleaning changes what the converted text shows.
    html_text = converted(text)
    assert seen(sanitise(html_text)) != seen(html_text)


@pytest.mark.parametrize("text", KEPT)
def test_text_a_page_shows_whole_is_not_named(text: str) -> None:
    assert left_out(text) == []
    html_text = converted(text)
    assert seen(sanitise(html_text)) == seen(html_text)


def test_several_pieces_are_named_in_the_order_they_stand() -> None:
    text = "Til <leder>.\n\nSe [x](javascript:y) og <script>z</script>."
    assert [piece.written for piece in left_out(text)] == ["<leder>", "javascript:y", "<script>"]


@pytest.mark.parametrize("element", [*sorted(DROPPED_WITH_CONTENT), "leder"])
def test_a_tag_that_takes_the_rest_of_the_text_with_it_is_told_apart(element: str) -> None:
    """An element pages drop with its content, never closed, may take every later paragraph
    of the text with it (an error, where other pieces are warnings): told as the site's real
    Markdown and cleaning read it."""
    text = f"Se <{element}> for mer.\n\nNeste avsnitt.\n\n### Ansvar\n\nLederen."
    [piece] = left_out(text)
    shown = seen(sanitise(converted(text)))[0]
    assert piece.loses_rest is ("Neste avsnitt" not in shown)
    closed = f"Se <{element}>x</{element}> for mer.\n\nNeste avsnitt."
    assert not any(piece.loses_rest for piece in left_out(closed))
