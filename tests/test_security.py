"""Content is data, never code on the page.

A copy of the minimal fixture (and of the project's forms) holds every kind of injection the
issue lists, in every text a reader sees: titles, organisation names, form titles and labels,
summaries, bodies, headings, change-log entries, form intros, references, the accessibility
statement and a contact address. It is built for real, then:

* every HTML file is read back: no script, style, frame, object, form or event handler from
  content, no ``javascript:``/``data:`` address, no image or style from another host, and a
  Content-Security-Policy ``<meta>`` first in every ``<head>``;
* every page of the manifest is opened in Chromium: no dialog opens, no request leaves the
  local server, the policy blocks nothing the site itself needs, and the injected titles
  are shown as the text they are;
* search, the language switch and a form work under the policy;
* an organisation name that closes the print style sheet is printed as text in the PDFs.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import io
import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pypdf
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from generator import Paths, build
from generator.pdf import PdfJob, write_pdf
from generator.printing import css_string
from tests.conftest import ROOT, fixture_content, serve
from tests.pages import FORM, SEARCH_BOX, SUBMIT, SUMMARY, SWITCH, side_by_side

OTHER = "other.example"
"""A host the site must never ask for anything."""


def attack(tag: str) -> str:
    """A text holding one script per trick; ``tag`` tells which field it sits in."""
    return (
        f'<script>alert("{tag}")</script>'
        f"<img src=x onerror=alert('{tag}-img')>"
        f"[{tag}-link](javascript:alert('{tag}-md')) *{tag}* {{: onclick=alert('{tag}-attr') }}"
    )


TITLE = {"nb": '<script>alert("title")</script>Hjemmekontor', "nn": "Heimekontor </title><b>"}
ORG = {"nb": 'Testkommune <script>alert("org")</script>', "nn": "Testkommune </a><i>x</i>"}
FORM_TITLE = '<script>alert("form")</script>Avtale'

BODY = f"""
<script>alert("body")</script>
<a href="javascript:alert('href')">lenke</a> [md](javascript:alert('md')) [data](data:text/html,x)
<a href=" JaVaScRiPt:alert('spaced')">spaced</a> <a href="vbscript:msgbox(1)">vb</a>

<details open ontoggle="alert('details')"><summary>Mer</summary>Innhold</details>

Avsnitt med egenskaper.
{{: onclick="alert('attr')" style="background:url(http://{OTHER}/attr.png)" onmouseover="alert(2)" }}

<iframe src="http://{OTHER}/frame"></iframe>
<img src="http://{OTHER}/pixel.png" alt="piksel"> <img src="//{OTHER}/relative.png" alt="r">
![bilde](https://{OTHER}/markdown.png)
<p style="background-image: url(http://{OTHER}/style.png)">stil</p>
<style>body {{ background: url(http://{OTHER}/sheet.png) }}</style>
<link rel="stylesheet" href="http://{OTHER}/sheet.css">
<object data="http://{OTHER}/object"></object><embed src="http://{OTHER}/embed">
<form action="http://{OTHER}/steal"><input name="x"><button>Send</button></form>
<svg onload="alert('svg')"><circle r="1"/></svg>
<meta http-equiv="refresh" content="0;url=http://{OTHER}/">
<base href="http://{OTHER}/">

<div markdown="1" onclick="alert('md-in-html')">**inne i div**</div>

Avsnitt som vil ta elementet til temaet.
{{: id="__config" }}
"""


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def set_line(path: Path, start: str, value: str) -> None:
    """Give the first line that starts with ``start`` a new value (after its key)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    found = [i for i, line in enumerate(lines) if line.startswith(start)]
    assert found, f"{path.name} no longer has a line starting {start!r}"
    key = lines[found[0]].split(": ", 1)[0]
    lines[found[0]] = f"{key}: {yaml_text(value)}\n"
    path.write_text("".join(lines), encoding="utf-8")


def yaml_text(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def inject(content: Path, forms: Path) -> None:
    """Edit text values only, so that the edits follow the fixture's schema as it changes."""
    org = content / "organisations" / "testkommune.yml"
    policy = content / "policies" / "heimekontor" / "policy.yml"
    replace(org, "  nb: Testkommune", f"  nb: {yaml_text(ORG['nb'])}")
    replace(org, "  nn: Testkommune", f"  nn: {yaml_text(ORG['nn'])}")
    replace(
        org,
        "  email: post@testkommune.example",
        '  email: post@testkommune.example\n  url: "https://x.example/\\"onmouseover=\\"alert(1)"',
    )
    for lang, old in (("nb", "Hjemmekontor i Testkommune"), ("nn", "Heimekontor i Testkommune")):
        text = content / "policies" / "heimekontor" / f"{lang}.yml"
        replace(text, f"title: {old}", f"title: {yaml_text(TITLE[lang])}")
        set_line(text, "summary: ", attack("summary") + " Hjemmekontor.")
        replace(text, "heading: Omfang", f"heading: {yaml_text(attack('heading'))}")
        replace(
            text,
            "    body: |\n",
            "    body: |\n"
            + "".join(f"      {line}\n" if line else "\n" for line in BODY.strip().splitlines())
            + "\n",
        )
        replace(
            text,
            "### Andre vilkår",
            "### Andre <script>alert('h3')</script><img src=x onerror=alert('h3')>"
            " {: onclick=x data-toc-label=\"<img src=y onerror=alert('toc')>\" }",
        )
    replace(policy, "nb: Første versjon.", f"nb: {yaml_text(attack('change'))}")
    replace(policy, "nn: Færre dagar på heimekontor.", f"nn: {yaml_text(attack('latest'))}")
    set_line(policy, "    nb: Vedtatt i kommunestyret", attack("approval"))
    replace(policy, "nb: Arbeidsmiljøloven", f"nb: {yaml_text(attack('reference'))}")
    replace(
        policy,
        "url: https://lovdata.no/lov/2005-06-17-62",
        'url: "https://lovdata.no/lov/)<script>alert(\\"url\\")</script>"',
    )
    statement = content / "accessibility.yml"
    replace(
        statement,
        "tested:\n",
        f"tested:\n  - nb: {yaml_text(attack('statement'))}\n"
        f"    nn: {yaml_text(attack('statement'))}\n",
    )
    set_line(statement, "standard: ", attack("standard"))
    avtale = forms / "avtale.yml"
    replace(avtale, "  nb: Avtale om hjemmekontor", f"  nb: {yaml_text(FORM_TITLE)}")
    replace(avtale, "intro:\n  nb: >-\n", f"intro:\n  nb: >-\n    {attack('intro')}\n")
    replace(avtale, "arbeidstakers hjem.\n  nn:", 'arbeidstakers hjem. {: id="ps-form" }\n  nn:')
    replace(avtale, "legend: {nb: Parter,", f"legend: {{nb: {yaml_text(attack('legend'))},")
    replace(avtale, "label: {nb: Stilling,", f"label: {{nb: {yaml_text(attack('label'))},")


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("injected")
    content = fixture_content("minimal", base)
    forms = base / "forms"
    shutil.copytree(ROOT / "forms", forms)
    inject(content, forms)
    site = base / "site"
    build(Paths(ROOT, content, site, forms), jobs=1)
    return site


@pytest.fixture(scope="module")
def injected_server(injected: Path) -> Iterator[str]:
    server, url = serve(injected)
    yield url
    server.shutdown()


def manifest_pages(site: Path) -> list[dict[str, str]]:
    entries = json.loads((site / "manifest.json").read_text(encoding="utf-8"))["entries"]
    return [entry for entry in entries if entry["path"].endswith(".html")]


# --------------------------------------------------------------------------- the built files

DANGEROUS_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "frame",
    "svg",
    "math",
    "base",
    "meta",
    "link",
    "form",
    "input",
    "button",
    "select",
    "textarea",
}
SCHEMES = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)


class Elements(html.parser.HTMLParser):
    """Every start tag of a document, with its attributes, and whether it is in the article."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str], bool]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "md-content__inner" in attributes.get("class", "") or self.depth:
            self.depth += tag not in {"img", "br", "hr", "input", "wbr", "meta", "link", "col"}
        self.tags.append((tag, attributes, bool(self.depth)))

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in {"img", "br", "hr", "input", "wbr", "meta", "link", "col"}:
            self.depth -= 1


def test_no_markup_from_content_reaches_a_page(injected: Path) -> None:
    files = sorted(injected.rglob("*.html"))
    assert len(files) >= 10
    pages_with_form = 0
    for file in files:
        text = file.read_text(encoding="utf-8")
        name = str(file.relative_to(injected))
        parser = Elements()
        parser.feed(text)
        for tag, attributes, in_article in parser.tags:
            for attribute, value in attributes.items():
                assert not attribute.startswith("on"), f"{name}: <{tag} {attribute}>"
                assert not SCHEMES.match(value) or (tag, attribute) == ("meta", "content"), (
                    f"{name}: <{tag} {attribute}={value!r}>"
                )
                assert OTHER not in value, f"{name}: <{tag} {attribute}={value!r}>"
            if in_article:
                assert "style" not in attributes, f"{name}: <{tag} style> in the article"
                own_form = tag in {"form", "input", "button", "select", "textarea"} and (
                    "ps-" in attributes.get("class", "") or tag == "form"
                )
                if tag == "form":
                    assert attributes.get("id") == "ps-form", f"{name}: a form from content"
                    pages_with_form += 1
                if not own_form:
                    assert tag not in DANGEROUS_TAGS, f"{name}: <{tag}> in the article"
        ids = [attributes.get("id") for _, attributes, _ in parser.tags]
        for reserved in ("__config", "ps-form"):
            assert ids.count(reserved) <= 1, f"{name}: two elements #{reserved}"
        # Scripts: only the site's own (Material's, the form script, the written-form memory).
        for body in re.findall(r"<script\b[^>]*>(.*?)</script>", text, flags=re.DOTALL):
            assert "alert" not in body, f"{name}: a script from content"
        assert OTHER not in text.replace("&#", ""), f"{name} names {OTHER}"
    forms = [entry for entry in manifest_pages(injected) if entry["kind"] == "form"]
    assert pages_with_form == len(forms) >= 2, "a web form lost the site's own markup"


def test_every_html_page_has_a_content_security_policy_before_anything_it_governs(
    injected: Path,
) -> None:
    files = sorted(injected.rglob("*.html"))
    assert {"index.html", "nb/404.html", "nn/404.html"} <= {
        str(file.relative_to(injected)) for file in files
    }
    for file in files:
        text = file.read_text(encoding="utf-8")
        meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', text)
        assert meta, f"{file}: no policy"
        first = re.search(r"<(script|link|style|img|iframe)\b", text)
        assert first is None or first.start() > meta.start(), f"{file}: policy comes too late"
        policy = {part.split()[0]: part.split()[1:] for part in meta.group(1).split(";")}
        assert policy["default-src"] == ["'self'"], file
        scripts = [s for s in policy["script-src"] if s != "'wasm-unsafe-eval'"]
        assert all(s == "'self'" or s.startswith("'sha256-") for s in scripts), file
        # WebAssembly (the search's Pagefind) only where the search box is: not the chooser.
        wasm = "'wasm-unsafe-eval'" in policy["script-src"]
        assert wasm == (file.parent != injected), file
        assert all(s == "'self'" or s.startswith("'sha256-") for s in policy["style-src"]), file
        assert policy["object-src"] == ["'none'"], file
        for directive in ("img-src", "font-src", "connect-src"):
            assert set(policy[directive]) <= {"'self'", "data:"}, (file, directive)


def test_the_policy_stops_a_script_that_got_into_a_page_anyway(
    browser: Browser, injected: Path, tmp_path: Path
) -> None:
    """Should any escaping fail, the page's policy still runs and loads nothing. The same page
    without its policy shows that the watch sees what the policy stops."""
    smuggled = (
        '<script>alert("nav")</script><img src=x onerror="alert(\'img\')">'
        f'<img src="http://{OTHER}/p.png"><link rel=stylesheet href="http://{OTHER}/s.css">'
        f'<iframe src="http://{OTHER}/f"></iframe><div style="background:url(http://{OTHER}/b.png)">x</div>'
    )
    results = {}
    for with_policy in (True, False):
        site = tmp_path / f"site-{with_policy}"
        shutil.copytree(injected, site)
        page_file = site / "nb" / "index.html"
        text = page_file.read_text(encoding="utf-8")
        assert "<nav" in text
        text = text.replace("<nav", smuggled + "<nav", 1)
        if not with_policy:
            text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
        page_file.write_text(text, encoding="utf-8")
        server, base = serve(site)
        try:
            context = browser.new_context()
            results[with_policy] = open_watched(context.new_page(), f"{base}/nb/", base)
            context.close()
        finally:
            server.shutdown()
    kept = results[True]
    assert kept.dialogs == [] and kept.outside == [], kept
    assert kept.blocked, "the policy reported nothing it blocked"
    bare = results[False]
    assert sorted(bare.dialogs) == ["img", "nav"], bare.dialogs
    assert len(bare.outside) >= 3, bare.outside


def test_css_strings_cannot_end_the_style_sheet() -> None:
    for text in ["</style><p>x", 'a"b', "a\\b", "}</style>", "<!--", "a\nb"]:
        quoted = str(css_string(text))
        assert quoted.startswith('"') and quoted.endswith('"')
        inner = quoted[1:-1]
        assert not set(inner) & set("<>\"'{};\n"), quoted
    assert str(css_string("Vestland fylkeskommune")) == '"Vestland fylkeskommune"'


# --------------------------------------------------------------------------- in the browser


POINT_AT_EVERYTHING = """() => {
  for (const element of document.body.querySelectorAll("*")) {
    for (const type of ["mouseover", "mouseenter", "mousemove", "focusin"]) {
      element.dispatchEvent(new MouseEvent(type, { bubbles: type !== "mouseenter" }));
    }
    element.dispatchEvent(new FocusEvent("focus"));
  }
}"""


@dataclass
class Watched:
    """What a page did that content must never make it do."""

    dialogs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    """Requests to another host that the browser really sent (the policy did not stop them)."""
    blocked: list[str] = field(default_factory=list)
    """What the Content-Security-Policy reported blocking."""


def watch(page: Page, base: str) -> Watched:
    """Watch ``page`` for dialogs, requests to another host and the policy's reports."""
    seen = Watched()
    host = urlsplit(base).netloc

    def dialog(d: object) -> None:
        seen.dialogs.append(d.message)  # type: ignore[attr-defined]
        d.dismiss()  # type: ignore[attr-defined]

    def leaves(route: Route) -> None:
        # Reached only by requests the browser really sends (not those the policy blocked).
        seen.outside.append(route.request.url)
        route.abort()

    page.on("dialog", dialog)
    page.route(lambda address: urlsplit(address).netloc not in ("", host), leaves)
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and seen.blocked.append(m.text)
    )
    return seen


def stir(page: Page) -> None:
    """Once the page has loaded (and ``onload``/``onerror`` had their chance): point at and
    focus every element, the events a reader's mouse and keyboard send, dispatched in one go."""
    page.mouse.move(300, 300)
    page.evaluate(POINT_AT_EVERYTHING)
    page.wait_for_timeout(150)


def open_watched(page: Page, url: str, base: str) -> Watched:
    seen = watch(page, base)
    page.goto(url, wait_until="networkidle")
    stir(page)
    return seen


def test_no_page_runs_or_loads_anything_from_content(
    browser: Browser, injected: Path, injected_server: str
) -> None:
    pages = manifest_pages(injected)
    assert len(pages) >= 12 and {"nb/404.html", "nn/404.html"} <= {e["path"] for e in pages}
    urls = {
        f"{injected_server}/{entry['path'].removesuffix('index.html')}": entry["path"]
        for entry in pages
    }
    context = browser.new_context()
    try:
        spy = functools.partial(watch, base=injected_server)
        for url, page, seen in side_by_side(context, list(urls), spy):
            stir(page)
            path = urls[url]
            assert seen.dialogs == [], f"{path}: a dialog opened: {seen.dialogs}"
            assert seen.outside == [], f"{path}: requested {seen.outside}"
            assert seen.blocked == [], f"{path}: the policy blocked the site's own: {seen.blocked}"
    finally:
        context.close()


def test_injected_titles_are_shown_as_text(
    page: Page, injected: Path, injected_server: str
) -> None:
    guideline = next(
        e for e in manifest_pages(injected) if e["kind"] == "guideline" and e["lang"] == "nb"
    )
    page.goto(f"{injected_server}/{guideline['path'].removesuffix('index.html')}")
    # The heading names the organisation after the title: both shown as text.
    expect(page.locator("article h1")).to_have_text(f"{TITLE['nb']} – {ORG['nb']}¶")
    assert page.title().startswith(TITLE["nb"])
    nav = page.locator(".md-nav--primary")
    expect(nav.get_by_text(TITLE["nb"], exact=True).first).to_be_attached()
    expect(nav.get_by_text(ORG["nb"], exact=True).first).to_be_attached()
    expect(nav.get_by_text(FORM_TITLE, exact=True).first).to_be_attached()
    article = page.locator("article")
    expect(article.get_by_text('<script>alert("body")</script>')).to_have_count(0)
    expect(article.locator("h2").first).to_contain_text(attack("heading").split("[")[0])
    expect(page.locator("table.policy-meta td").first).to_have_text(ORG["nb"])

    nn = next(e for e in manifest_pages(injected) if e["kind"] == "guideline" and e["lang"] == "nn")
    page.goto(f"{injected_server}/{nn['path'].removesuffix('index.html')}")
    assert page.title().startswith(TITLE["nn"]), page.title()
    expect(page.locator("article h1")).to_have_text(f"{TITLE['nn']} – {ORG['nn']}¶")

    form = next(
        e
        for e in manifest_pages(injected)
        if e["kind"] == "form" and e["lang"] == "nb" and e["id"] == "avtale"
    )
    page.goto(f"{injected_server}/{form['path'].removesuffix('index.html')}")
    expect(page.locator("article h1")).to_have_text(FORM_TITLE + "¶")
    # The intro is plain text, on the page as in the PDF: every character of it is shown.
    expect(article.get_by_text(attack("intro"))).to_have_count(1)
    expect(page.locator("form legend").first).to_contain_text('<script>alert("legend")</script>')
    expect(page.locator("label", has_text='<script>alert("label")</script>')).to_have_count(1)


def test_search_language_switch_and_forms_work_under_the_policy(
    page: Page, injected: Path, injected_server: str
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    guideline = next(
        e for e in manifest_pages(injected) if e["kind"] == "guideline" and e["lang"] == "nb"
    )
    page.goto(f"{injected_server}/{guideline['path'].removesuffix('index.html')}")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator(SEARCH_BOX).press_sequentially("Hjemmekontor")
    results = page.locator("a.md-search-result__link")
    expect(results.first).to_be_visible(timeout=10000)
    expect(page.locator(".md-search-result").get_by_text(TITLE["nb"]).first).to_be_attached()

    page.goto(f"{injected_server}/nb/uu/")
    page.locator(SWITCH).click()
    page.wait_for_url(re.compile(r"/nn/uu/$"))
    expect(page.locator("html")).to_have_attribute("lang", "nn")

    form = next(
        e
        for e in manifest_pages(injected)
        if e["kind"] == "form" and e["lang"] == "nb" and e["id"] == "avtale"
    )
    page.goto(f"{injected_server}/{form['path'].removesuffix('index.html')}")
    page.locator(f"{FORM} {SUBMIT}").click()
    expect(page.locator(SUMMARY)).to_be_visible()
    expect(page.locator(f"{SUMMARY} li").first).to_be_visible()
    assert dialogs == []


# --------------------------------------------------------------------------- PDFs


@pytest.fixture(scope="module")
def style_breaking_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("style-org")
    content = fixture_content("minimal", base)
    org = content / "organisations" / "testkommune.yml"
    replace(org, "  nb: Testkommune", '  nb: "Test </style><p>x \\"} kommune"')
    site = base / "site"
    build(Paths.default(ROOT, content, site), jobs=1)
    return site


def pdf_text(pdf: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages]


def test_an_organisation_name_is_printed_as_text_in_every_pdf(style_breaking_org: Path) -> None:
    pdfs = sorted((style_breaking_org / "nb").rglob("*.pdf"))
    assert len(pdfs) >= 2
    for pdf in pdfs:
        pages = pdf_text(pdf)
        for number, text in enumerate(pages, start=1):
            footer = text.strip().splitlines()
            assert any('Test </style><p>x "} kommune – ' in line for line in footer), (pdf, text)
            # Markup leaking out of the style sheet shows up as its text.
            assert "@bottom" not in text and "counter(page" not in text, (pdf, number)
            assert "font-size" not in text, (pdf, number)


def test_pdfs_fetch_nothing_and_leave_refused_resources_out(tmp_path: Path) -> None:
    requests: list[str] = []

    class Count(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_error(404)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Count)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    there = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        target = tmp_path / "x.pdf"
        html = (
            f"<html lang='nb'><head><title>T</title><link rel=stylesheet href='{there}/a.css'>"
            f"<style>p {{ background: url({there}/b.png) }} @import url({there}/c.css);</style>"
            f"</head><body><p>Tekst</p><img src='{there}/d.png' alt='d'><img src='e.png' alt='e'>"
            f"<img src='file:///etc/hostname' alt='f'></body></html>"
        )
        write_pdf(PdfJob(html, target, "x.pdf", f"{there}/nb/side/"))
        assert "Tekst" in pdf_text(target)[0]
    finally:
        server.shutdown()
    assert requests == []
