"""The built site meets WCAG 2.1 A/AA and keeps the reader's data on the device.

What this file proves, in Debian's Chromium against the project's own content built and
served on 127.0.0.1 (no mocks, no CDN: axe-core comes from ``tests/js/node_modules``):

* axe-core (tags wcag2a, wcag2aa, wcag21a, wcag21aa) finds no violation on any HTML page of
  ``manifest.json`` (both written forms and the root language chooser), nor on a form showing
  its error summary and inline errors, nor on each written form's search showing results.
* Keyboard: on a form page, Tab alone goes from Material's skip link through the header's
  language switch and search box to every form control in DOM order (a radio group is one
  stop), then to "Kontroller svarene", the file and draft buttons and "Tøm skjemaet"; and every stop is on screen
  and looks different while focused (pixels of the focused element against the same spot of
  an untouched page), so no stop is invisible.
* Print: on every guideline and form page the header, navigation, search and footer are
  hidden and the content is shown; typed answers are printed; and the screenshots of the print
  view have no trace of Material's indigo header at the top.
* Every page of each written form links its accessibility statement in the footer, and the
  language chooser links both statements.
* Every Bokmål page says ``<html lang="nb">`` and every Nynorsk page ``<html lang="nn">``,
  and each page stores its written form for the chooser.
* No page, nor a search on it, loads anything from another host, and no same-host request
  fails.
* Privacy: reading every page and filling forms sets no cookie; the drafts are stored in
  localStorage under ``policy-site.form.<lang>.<org>.<form-id>`` and nowhere else (no
  sessionStorage, IndexedDB or Cache Storage); every form page says so in its privacy notice.

Pages are taken from ``manifest.json``, so new content is covered without editing this file.
Every page is opened once, in one browser context and page (``every_page``), for the checks
that look at each page: axe-core, the statement link, the language, what is stored and
requested, the privacy notice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageChops
from playwright.sync_api import Browser, Page, expect

from tests.pages import (
    CLEAR,
    CONFIRM,
    DRAFTS_BUTTON,
    DRAFTS_DIALOG,
    FORM,
    LANGS,
    QUERY,
    RECORD_STORED,
    RESULT_ITEM,
    REVIEW,
    SAVED,
    SEARCH_BOX,
    STATUS,
    STORAGE_KEY,
    SUBMIT,
    SUMMARY,
    Answers,
    Recorder,
    Traffic,
    answer,
    draft_answers,
    screenshot,
    search_on,
)
from tests.test_browser_forms import answer_every_required_question, required_questions

ROOT = Path(__file__).resolve().parents[1]
AXE_SCRIPT = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


KEYBOARD_FORM = "/nb/kommune/skjema/avtale/"
MAX_TABS = 250
"""Tab presses allowed to get from the top of the keyboard form to its clear button."""
FOCUS_PADDING = 6
"""CSS pixels around a focused element's box that may hold its focus ring (outline + offset)."""
MIN_CHANGED_PIXELS = 20
"""A focus indicator must change at least this many pixels around the focused element."""

CHROME = {
    "header": ".md-header",
    "navigation": ".md-sidebar",
    "tabs": ".md-tabs",
    "search": ".md-search",
    "footer": ".md-footer",
    "footer meta": ".md-footer-meta",
}
"""Site furniture that must not be printed."""
ON_SCREEN = ("header", "navigation", "search", "footer", "footer meta")
"""The part of ``CHROME`` this site shows on a desktop screen (``.md-tabs`` is not enabled)."""

HEADER_RGB = (63, 81, 181)
"""Material's indigo header (``--md-primary-fg-color``); matched within ``HEADER_TOLERANCE``."""
HEADER_TOLERANCE = 10
PRINT_TOP_ROWS = 60

STATEMENTS = {"nb": "Tilgjengelighetserklæring", "nn": "Tilgjengelegheitserklæring"}
STATEMENT_LINK = ".md-footer a.ps-statement-link"

LANG_KEY = "policy-site.lang"
PRIVACY_PHRASE = {"nb": "bare lagret i denne nettleseren", "nn": "berre lagra i denne nettlesaren"}


TYPED: dict[str, Answers] = {
    "/nb/kommune/skjema/avtale/": {
        "f-arbeidstaker-navn": "Ærlig Øystein Åsen",
        "f-arbeidstid": "Kl. 08.00\u201315.30, fleksitid.",
        "f-varighet-midlertidig": True,
    },
    "/nn/vestland-fylkeskommune/skjema/utstyrslan/": {
        "f-navn": "Åse Ødegård",
        "f-dato": "2099-03-14",
        "f-merknader": "Skjermen har ei ripe i hjørnet.",
        "f-utstyr-pc": True,
    },
}
"""Forms the tests fill in, and what they type."""

# --------------------------------------------------------------------------- helpers


def url_path(entry_path: str) -> str:
    """The address a reader uses for a manifest path: directory URLs for ``index.html``."""
    return "/" + entry_path.removesuffix("index.html")


def html_entries(
    manifest: dict[str, Any], *, lang: str | None = None, kinds: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Manifest entries of HTML pages, optionally only one language's or some kinds."""
    return [
        entry
        for entry in manifest["entries"]
        if entry["path"].endswith(".html")
        and (lang is None or entry["lang"] == lang)
        and (not kinds or entry["kind"] in kinds)
    ]


def open_entry(page: Page, base: str, entry: dict[str, Any]) -> str:
    """Open a manifest page and check the browser stayed there; returns its path.

    The language chooser gets ``?velg`` so that a written form remembered by an earlier page
    does not send the browser on to that form's start page.
    """
    path = url_path(entry["path"])
    query = "?velg" if entry["lang"] is None else ""
    response = page.goto(f"{base}{path}{query}")
    assert response is not None and response.ok, f"{path} answered {response}"
    landed = urlsplit(page.url).path
    assert landed == path, f"opening {path} ended on {landed}"
    return path


def storage_key(entry: dict[str, Any]) -> str:
    return f"policy-site.form.{entry['lang']}.{entry['org']}.{entry['id']}"


def visible(page: Page, selector: str) -> int:
    """How many elements matching ``selector`` are visible."""
    return sum(1 for element in page.locator(selector).all() if element.is_visible())


def heading(page: Page) -> str:
    """Text of the page's first ``h1`` without Material's permalink sign."""
    return page.locator("h1").first.evaluate(
        "h => Array.from(h.childNodes)"
        "  .filter(n => !(n.classList && n.classList.contains('headerlink')))"
        "  .map(n => n.textContent).join('').trim()"
    )


def changed_pixels(before: bytes, after: bytes) -> int:
    """Pixels that differ clearly (any channel by more than 16) between two same-size PNGs."""
    with Image.open(BytesIO(before)) as one, Image.open(BytesIO(after)) as two:
        assert one.size == two.size, f"screenshots differ in size: {one.size} != {two.size}"
        diff = ImageChops.difference(one.convert("RGB"), two.convert("RGB")).convert("L")
        return diff.point(lambda value: 255 if value > 16 else 0).histogram()[255]


def header_coloured_pixels(png: Path | bytes, rows: int = PRINT_TOP_ROWS) -> int:
    """Pixels in the top ``rows`` rows of a screenshot that have Material's header colour."""
    source = BytesIO(png) if isinstance(png, bytes) else png
    with Image.open(source) as image:
        rgb = image.convert("RGB")
        data = rgb.crop((0, 0, rgb.width, min(rows, rgb.height))).tobytes()
    red, green, blue = HEADER_RGB
    return sum(
        1
        for i in range(0, len(data), 3)
        if abs(data[i] - red) <= HEADER_TOLERANCE
        and abs(data[i + 1] - green) <= HEADER_TOLERANCE
        and abs(data[i + 2] - blue) <= HEADER_TOLERANCE
    )


# --------------------------------------------------------------------------- axe

AXE_RUN = """async tags => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return {
    rules: result.passes.length + result.violations.length + result.incomplete.length,
    violations: result.violations.map(v => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
    })),
  };
}"""


def axe_violations(page: Page, axe_source: str, where: str) -> list[str]:
    """Run axe-core on the page as it is now; one line per failing element."""
    # Evaluated through the browser's debugging protocol: the page's Content-Security-Policy
    # (rightly) refuses an added inline script.
    page.evaluate(axe_source)
    result = page.evaluate(AXE_RUN, AXE_TAGS)
    assert result["rules"] > 0, f"{where}: axe-core ran no rules (is axe.min.js intact?)"
    return [
        f"{violation['id']} ({violation['impact']}: {violation['help']}) on {where}\n"
        f"    target: {' '.join(node['target'])}\n"
        + "\n".join(f"    {line.strip()}" for line in node["summary"].splitlines())
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def manifest(default_site: Path) -> dict[str, Any]:
    return json.loads((default_site / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's script text, injected into pages (never fetched from the network)."""
    if not AXE_SCRIPT.is_file():
        pytest.fail(
            f"{AXE_SCRIPT} is missing: run `make tests/js/node_modules/axe-core/axe.min.js`"
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


def statement_problems(page: Page, entry: dict[str, Any], statements: dict[str, Any]) -> list[str]:
    """How the open page fails to link its accessibility statement (the chooser: both)."""
    path, problems = url_path(entry["path"]), []
    if entry["lang"] is None:  # the language chooser links both statements
        linked = page.locator("a[href]").evaluate_all(
            "links => links.filter(a => a.offsetParent).map(a => new URL(a.href).pathname)"
        )
        return [
            f"{path}: no visible link to the {lang} statement"
            for lang, statement in statements.items()
            if url_path(statement["path"]) not in linked
        ]
    links = page.locator(STATEMENT_LINK)
    if links.count() != 1:
        return [f"{path}: {links.count()} footer links {STATEMENT_LINK}"]
    target = urlsplit(links.first.evaluate("a => a.href")).path
    expected = url_path(statements[entry["lang"]]["path"])
    if target != expected:
        problems.append(f"{path}: statement link leads to {target}, expected {expected}")
    if not links.first.is_visible():
        problems.append(f"{path}: statement link is not visible")
    if links.first.inner_text().strip() != STATEMENTS[entry["lang"]]:
        problems.append(f"{path}: statement link reads {links.first.inner_text()!r}")
    return problems


def privacy_problems(page: Page, entry: dict[str, Any]) -> list[str]:
    """How the open form page fails to say that answers stay in this browser."""
    path = url_path(entry["path"])
    notice = page.locator(".ps-privacy")
    if notice.count() != 1 or not notice.is_visible():
        return [f"{path}: {notice.count()} privacy notices (.ps-privacy), not one shown"]
    problems = []
    if PRIVACY_PHRASE[entry["lang"]] not in notice.inner_text():
        problems.append(
            f"{path}: privacy notice does not say {PRIVACY_PHRASE[entry['lang']]!r}: "
            f"{notice.inner_text()!r}"
        )
    key = page.locator(FORM).get_attribute("data-storage-key")
    if key != storage_key(entry):
        problems.append(f"{path}: drafts stored under {key!r}, expected {storage_key(entry)!r}")
    return problems


@pytest.fixture(scope="module")
def every_page(
    browser: Browser, default_server: str, manifest: dict[str, Any], axe_source: str
) -> Iterator[dict[str, list[str]]]:
    """Every HTML page of the manifest opened once, in one browser context and page, in
    manifest order; the problems each check finds there, by check. What the page stores is
    read before axe-core runs in it. On the first page of each organisation (and of none) in
    each written form a search runs after axe-core, so the index's requests are checked too;
    each page's requests are checked once the network is quiet."""
    statements = {e["lang"]: e for e in manifest["entries"] if e["kind"] == "statement"}
    found: dict[str, list[str]] = {
        "axe": [],
        "statement": [],
        "storage": [],
        "privacy": [],
        "forms seen": [],
        "language": [],
        "network": [],
        "searched": [],
    }
    host = urlsplit(default_server).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_STORED)  # what each page stores itself
    page = context.new_page()
    recorder = Recorder(page, host)
    for entry in html_entries(manifest):
        traffic = recorder.next_page()
        path = open_entry(page, default_server, entry)
        found["storage"] += storage_problems(page.evaluate(STORAGE_JS), path)
        found["statement"] += statement_problems(page, entry, statements)
        found["language"] += language_problems(page, entry, path)
        if entry["kind"] == "form":
            found["forms seen"].append(path)
            found["privacy"] += privacy_problems(page, entry)
        found["axe"] += axe_violations(page, axe_source, path)
        scope = f"{entry['lang']}/{entry['org']}"
        if entry["lang"] and scope not in found["searched"] and page.locator(SEARCH_BOX).count():
            search_on(page, traffic)
            found["searched"].append(scope)
        recorder.quiet()
        found["network"] += network_problems(traffic, path, host)
        if traffic.searched and not any(
            url.endswith(".pf_fragment") and f"/{entry['lang']}/" in url and "/pagefind/" in url
            for url in traffic.requests
        ):
            found["network"].append(f"{path}: the search fetched no result from its index")
    yield found
    context.close()


def language_problems(page: Page, entry: dict[str, Any], path: str) -> list[str]:
    """``<html lang>`` is the page's written form, and the page stores it for the chooser."""
    if entry["lang"] is None:
        return []  # the chooser has no language of its own
    problems = []
    declared = page.locator("html").get_attribute("lang")
    if declared != entry["lang"]:
        problems.append(f"{path}: <html lang={declared!r}>, expected {entry['lang']}")
    stored = page.evaluate(f"window.__stored[{STORAGE_KEY!r}] ?? null")
    if stored != entry["lang"]:
        problems.append(f"{path}: stored {STORAGE_KEY}={stored!r}, expected {entry['lang']}")
    return problems


def network_problems(traffic: Traffic, path: str, host: str) -> list[str]:
    """Requests to another host, same-host requests that failed, and requests for a file
    that lists every page of the site (what a page loads must not grow with the site)."""
    if not traffic.requests:
        return [f"{path}: no requests recorded"]
    return (
        [f"{path} -> {url}" for url in traffic.requests if urlsplit(url).netloc != host]
        + [f"{path}: {error}" for error in traffic.errors]
        + [
            f"{path} fetched {url}, which lists every page of the site"
            for url in traffic.requests
            if urlsplit(url).path.endswith(("/sitemap.xml", "/sitemap.xml.gz"))
        ]
    )


# --------------------------------------------------------------------------- 1. axe-core


def test_axe_finds_no_wcag_violation_on_any_page(
    manifest: dict[str, Any], every_page: dict[str, list[str]]
) -> None:
    """Every HTML page of the manifest, in one browser context and page."""
    langs = {entry["lang"] for entry in html_entries(manifest)}
    assert langs == {None, *LANGS}, f"manifest lacks the chooser or a written form: {langs}"
    problems = every_page["axe"]
    assert not problems, f"axe-core found {len(problems)} violations:\n" + "\n".join(problems)


def test_every_page_declares_and_remembers_its_language(
    manifest: dict[str, Any], every_page: dict[str, list[str]]
) -> None:
    """``<html lang>`` matches the manifest (WCAG 3.1.1), and loading the page stores that
    written form, so the language chooser opens it next time."""
    assert len([e for e in html_entries(manifest) if e["lang"]]) >= 2 * len(LANGS)
    problems = every_page["language"]
    assert not problems, "\n".join(problems)


def test_no_page_loads_anything_from_another_host(
    manifest: dict[str, Any], every_page: dict[str, list[str]]
) -> None:
    """Nothing a page or its search asks for leaves the site, and nothing asked for fails."""
    scopes = {f"{e['lang']}/{e['org']}" for e in html_entries(manifest) if e["lang"]}
    assert set(every_page["searched"]) == scopes, "a search did not run everywhere"
    problems = every_page["network"]
    assert not problems, "requests to other hosts, or failed:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "path", ["/nb/kommune/skjema/avtale/", "/nn/vestland-fylkeskommune/skjema/utstyrslan/"]
)
def test_axe_finds_no_violation_on_a_form_showing_its_errors(
    page: Page, default_server: str, axe_source: str, path: str
) -> None:
    page.goto(default_server + path)
    page.locator(SUBMIT).click()
    expect(page.locator(SUMMARY)).to_be_visible()
    expect(page.locator(f"{SUMMARY} a").first).to_be_visible()
    assert visible(page, f"{FORM} .ps-error"), f"{path}: no inline error is showing"

    problems = axe_violations(page, axe_source, f"{path} (with errors showing)")
    shot = "-nb" if "/nb/" in path else "-nn"
    screenshot(page, f"error-summary{shot}.png", SUMMARY)

    # Complete: "check your answers", its heading focused.
    answer_every_required_question(page, required_questions(page))
    page.locator(SUBMIT).click()
    expect(page.locator(REVIEW)).to_be_visible()
    expect(page.locator("#ps-review-title")).to_be_focused()
    expect(page.locator(f"{REVIEW} .ps-summary-list__row").first).to_be_visible()
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    problems += axe_violations(page, axe_source, f"{path} (checking the answers)")
    screenshot(page, f"check-answers{shot}.png", REVIEW)

    # The drafts dialog with two drafts, and the dialog that asks before clearing.
    page.locator("[data-ps-review-back]").click()
    page.locator(DRAFTS_BUTTON).click()
    page.locator("#ps-draft-name").fill("Kari Nordmann")
    page.locator("[data-ps-draft-new]").click()
    page.locator(DRAFTS_BUTTON).click()
    expect(page.locator(DRAFTS_DIALOG)).to_be_visible()
    expect(page.locator(f"{DRAFTS_DIALOG} .ps-drafts__item")).to_have_count(2)
    problems += axe_violations(page, axe_source, f"{path} (drafts dialog)")
    screenshot(page, f"drafts{shot}.png", DRAFTS_DIALOG)
    page.keyboard.press("Escape")
    page.locator(CLEAR).click()
    expect(page.locator(CONFIRM)).to_be_visible()
    problems += axe_violations(page, axe_source, f"{path} (asking before clearing)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_no_violation_on_search_results(
    page: Page, default_server: str, axe_source: str, lang: str
) -> None:
    page.goto(f"{default_server}/{lang}/")
    page.locator(SEARCH_BOX).click()
    page.locator(SEARCH_BOX).press_sequentially(QUERY[lang])
    expect(page.locator(RESULT_ITEM).first).to_be_visible()
    # Results fade in: axe must judge their colours once the transitions have ended.
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")

    where = f"/{lang}/ searching {QUERY[lang]!r} ({page.locator(RESULT_ITEM).count()} results)"
    problems = axe_violations(page, axe_source, where)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- 2. keyboard

STOP_JS = """pad => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const form = el.closest("form[data-ps-form]");
  let key;
  if (el.matches("a.md-skip")) key = "skip";
  else if (el.matches("a.policy-lang-switch")) key = "lang-switch";
  else if (el.matches('input[data-md-component="search-query"]')) key = "search";
  else if (form && el.matches(".ps-submit")) key = "submit";
  else if (form && el.matches("[data-ps-download]")) key = "download";
  else if (form && el.matches("[data-ps-clear]")) key = "clear";
  else if (form && el.type === "radio") key = "radio:" + el.name;
  else if (form && el.id) key = "#" + el.id;
  else key = el.tagName.toLowerCase() + (el.className ? "." + el.className.trim()
    .split(/\\s+/).filter(c => c !== "focus-visible").join(".") : "");
  // A number per element, so that stops within one element (a date's parts) can be told apart.
  window.__psIds = window.__psIds || new WeakMap();
  if (!window.__psIds.has(el)) window.__psIds.set(el, (window.__psNext = (window.__psNext || 0) + 1));
  let radioStop = null;
  if (el.type === "radio") {
    const group = Array.from(form.querySelectorAll(
      `input[type=radio][name="${CSS.escape(el.name)}"]`));
    radioStop = (group.find(r => r.checked) || group[0]).id;
  }
  const r = el.getBoundingClientRect();
  const left = Math.max(0, Math.floor(r.left - pad)), top = Math.max(0, Math.floor(r.top - pad));
  const right = Math.min(innerWidth, Math.ceil(r.right + pad));
  const bottom = Math.min(innerHeight, Math.ceil(r.bottom + pad));
  const style = getComputedStyle(el);
  return {
    key,
    element: window.__psIds.get(el),
    id: el.id,
    radioStop,
    inHeader: !!el.closest(".md-header"),
    inForm: !!form,
    text: (el.getAttribute("aria-label") || (el.labels && el.labels.length ? el.labels[0].textContent
      : el.textContent) || "").trim().replace(/\\s+/g, " ").slice(0, 40),
    scroll: [scrollX, scrollY],
    clip: right - left >= 2 && bottom - top >= 2 && r.width > 0 && r.height > 0
      ? {x: left, y: top, width: right - left, height: bottom - top} : null,
    style: `outline: ${style.outlineStyle} ${style.outlineWidth}; box-shadow: ${style.boxShadow}`,
  };
}"""
"""Describe the focused element: a key for the order, and where on screen its ring would be."""

EXPECTED_STOPS_JS = """form => {
  const stops = [];
  for (const el of form.querySelectorAll("input, select, textarea, button")) {
    if (el.disabled || el.type === "hidden" || el.tabIndex < 0) continue;
    if (el.closest("[hidden]")) continue;  // a question that does not apply (yet)
    if (el.type === "radio") {
      if (!stops.includes("radio:" + el.name)) stops.push("radio:" + el.name);
    } else if (el.matches(".ps-submit")) stops.push("submit");
    else if (el.matches("[data-ps-download]")) stops.push("download");
    else if (el.matches("[data-ps-clear]")) stops.push("clear");
    else stops.push("#" + el.id);
  }
  return stops;
}"""
"""The form's tab stops in DOM order: one per control, one per radio group, then the buttons."""


@dataclass
class Stop:
    """Where one Tab press put the focus, and how that spot looked."""

    press: int
    info: dict[str, Any]
    focused: bytes | None

    @property
    def key(self) -> str:
        return self.info["key"]

    def describe(self) -> str:
        return f"Tab {self.press}: {self.key} {self.info['text']!r}"


def tab_until(page: Page, last: str, *, screenshots: bool = False) -> list[Stop]:
    """Press Tab until the stop with key ``last``; optionally screenshot each focused element."""
    stops: list[Stop] = []
    for press in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        info = page.evaluate(STOP_JS, FOCUS_PADDING)
        assert info is not None, (
            f"Tab {press} left nothing focused, after {[stop.key for stop in stops[-3:]]}"
        )
        shot = None
        if screenshots and info["clip"] is not None:
            shot = page.screenshot(clip=info["clip"], animations="disabled")
        stops.append(Stop(press, info, shot))
        if info["key"] == last:
            return stops
    order = " > ".join(stop.key for stop in stops)
    pytest.fail(f"{MAX_TABS} Tab presses did not reach {last}: {order}")


def collapse(stops: list[Stop]) -> list[Stop]:
    """One entry per element: Tab moves through a date input's day, month, year and picker."""
    return [
        stop
        for i, stop in enumerate(stops)
        if i == 0 or stops[i - 1].info["element"] != stop.info["element"]
    ]


def test_tab_order_of_a_form_page_reaches_every_control_in_order(
    page: Page, default_server: str
) -> None:
    page.goto(default_server + KEYBOARD_FORM)
    assert page.evaluate("document.activeElement === document.body && scrollY === 0")
    expected = page.locator(FORM).evaluate(EXPECTED_STOPS_JS)
    buttons = ["submit", "download", "#ps-save-file", "#ps-open", "#ps-drafts-button", "clear"]
    assert expected[-6:] == buttons and len(expected) > 10, expected

    stops = tab_until(page, "clear")
    keys = [stop.key for stop in collapse(stops)]
    order = "\n  ".join(stop.describe() for stop in collapse(stops))

    assert keys[0] == "skip", f"first Tab should reach the skip link (a.md-skip):\n  {order}"
    assert "lang-switch" in keys, f"Tab never reached the language switch:\n  {order}"
    switch = keys.index("lang-switch")
    before_switch = [stop for stop in collapse(stops)[1:switch] if not stop.info["inHeader"]]
    assert not before_switch, (
        f"only the header's own links may come between skip link and language switch:\n  {order}"
    )
    assert keys[switch + 1 : switch + 2] == ["search"], (
        f"the search box should follow the language switch:\n  {order}"
    )
    first_control = keys.index(expected[0]) if expected[0] in keys else len(keys)
    assert switch < first_control, f"the form comes before the header:\n  {order}"
    early = [stop.describe() for stop in collapse(stops)[:first_control] if stop.info["inForm"]]
    assert not early and keys[first_control:] == expected, (
        f"form controls not reached one by one in DOM order.\nexpected: {expected}\n"
        f"got:      {keys[first_control:]}\nfull order:\n  {order}"
    )
    wrong_radio = [
        f"{stop.describe()} focused #{stop.info['id']}, expected #{stop.info['radioStop']}"
        for stop in stops
        if stop.info["radioStop"] and stop.info["id"] != stop.info["radioStop"]
    ]
    assert not wrong_radio, "Tab should enter a radio group at its checked or first radio:\n" + (
        "\n".join(wrong_radio)
    )


def test_every_tab_stop_shows_a_visible_focus_indicator(page: Page, default_server: str) -> None:
    """Pixels around each focused element differ from the same spot of an untouched page."""
    page.goto(default_server + KEYBOARD_FORM)
    stops = tab_until(page, "clear", screenshots=True)

    untouched = page.context.new_page()
    untouched.goto(default_server + KEYBOARD_FORM)
    assert untouched.evaluate("document.activeElement === document.body")
    invisible: list[str] = []
    for stop in stops:
        if stop.focused is None:
            invisible.append(f"{stop.describe()}: focused element is not on screen")
            continue
        x, y = stop.info["scroll"]
        untouched.evaluate(
            "([x, y]) => window.scrollTo({left: x, top: y, behavior: 'instant'})", [x, y]
        )
        scrolled = untouched.evaluate("[scrollX, scrollY]")
        assert scrolled == [x, y], f"{stop.describe()}: could not scroll to {[x, y]} ({scrolled})"
        blurred = untouched.screenshot(clip=stop.info["clip"], animations="disabled")
        changed = changed_pixels(blurred, stop.focused)
        if changed < MIN_CHANGED_PIXELS:
            invisible.append(
                f"{stop.describe()}: only {changed} pixels change when focused "
                f"({stop.info['style']})"
            )
    untouched.close()
    assert not invisible, (
        f"{KEYBOARD_FORM}: {len(invisible)} of {len(stops)} Tab stops have no visible focus "
        "indicator:\n" + "\n".join(invisible)
    )


# --------------------------------------------------------------------------- 3. print


def chrome_shown(page: Page) -> list[str]:
    return [f"{what} ({selector})" for what, selector in CHROME.items() if visible(page, selector)]


def test_print_hides_the_site_around_guidelines_and_forms(
    page: Page, default_server: str, manifest: dict[str, Any], tmp_path: Path
) -> None:
    entries = html_entries(manifest, kinds=("guideline", "form"))
    for lang in LANGS:
        for kind in ("guideline", "form"):
            assert any(e["lang"] == lang and e["kind"] == kind for e in entries), (
                f"no {lang} {kind} in the manifest"
            )
    shots = tmp_path / "print"
    shots.mkdir()
    photographed: set[tuple[str, str]] = set()

    problems: list[str] = []
    for entry in entries:
        page.emulate_media(media="screen")
        path = open_entry(page, default_server, entry)
        # Control: on screen the site is there, so "hidden" below is the print stylesheet's doing.
        missing = [what for what in ON_SCREEN if not visible(page, CHROME[what])]
        assert not missing, f"{path}: on screen these are not visible: {missing}"

        page.emulate_media(media="print")
        if shown := chrome_shown(page):
            problems.append(f"{path}: printed with {', '.join(shown)}")
        content = [".md-content", "article.md-content__inner", "h1"]
        if entry["kind"] == "form":
            content.append(FORM)
        problems += [f"{path}: {sel} not printed" for sel in content if not visible(page, sel)]

        if (entry["lang"], entry["kind"]) not in photographed:
            photographed.add((entry["lang"], entry["kind"]))
            page.emulate_media(media="screen")
            screen = page.screenshot(clip={"x": 0, "y": 0, "width": 1280, "height": 60})
            assert header_coloured_pixels(screen) > 1000, (
                f"{path}: control failed, the screen header is not {HEADER_RGB}"
            )
            page.emulate_media(media="print")
            shot = shots / f"{entry['lang']}-{entry['kind']}-{entry['org']}-{entry['id']}.png"
            page.screenshot(path=shot, full_page=True)
            if coloured := header_coloured_pixels(shot):
                problems.append(
                    f"{path}: {coloured} header-coloured pixels in the top {PRINT_TOP_ROWS} px "
                    f"of the print view ({shot})"
                )
    assert len(list(shots.glob("*.png"))) == 2 * len(LANGS), sorted(shots.iterdir())
    assert not problems, "print view is not as it should be:\n" + "\n".join(problems)


def test_typed_answers_are_printed(page: Page, default_server: str, tmp_path: Path) -> None:
    path = "/nn/vestland-fylkeskommune/skjema/utstyrslan/"
    answers = TYPED[path]
    page.goto(default_server + path)
    answer(page, answers)
    expect(page.locator(STATUS)).to_have_text(SAVED["nn"])

    page.emulate_media(media="print")
    page.screenshot(path=tmp_path / "typed-print.png", full_page=True)
    assert not chrome_shown(page), f"{path}: printed with {chrome_shown(page)}"
    for element_id, value in answers.items():
        field = page.locator(f"#{element_id}")
        if field.get_attribute("type") == "date":  # printed as its dd.mm.yyyy copy
            year, month, day = str(value).split("-")
            copy = page.locator(f"#{element_id} + .ps-print-value")
            expect(copy, f"#{element_id} should be printed").to_have_text(f"{day}.{month}.{year}")
            box = copy.bounding_box()
            assert box and box["width"] > 50 and box["height"] > 10, f"#{element_id}: {box}"
            continue
        expect(field, f"#{element_id} should be printed").to_be_visible()
        if value is True:
            expect(field, f"#{element_id} should be printed ticked").to_be_checked()
        else:
            expect(field, f"#{element_id} should print {value!r}").to_have_value(value)
            box = field.bounding_box()
            assert box and box["width"] > 50 and box["height"] > 10, f"#{element_id}: {box}"


# --------------------------------------------------------------------------- 4. statement


def test_every_page_links_its_accessibility_statement(
    page: Page, default_server: str, manifest: dict[str, Any], every_page: dict[str, list[str]]
) -> None:
    statements = {e["lang"]: e for e in manifest["entries"] if e["kind"] == "statement"}
    assert sorted(statements) == sorted(LANGS), f"statements in manifest: {statements}"
    for lang, entry in statements.items():
        assert entry["path"] == f"{lang}/uu/index.html", f"{lang} statement at {entry['path']}"
        assert entry["title"] == STATEMENTS[lang], f"{lang} statement titled {entry['title']!r}"

    problems = every_page["statement"]
    assert not problems, "accessibility statement not linked as it should be:\n" + "\n".join(
        problems
    )

    for lang, entry in statements.items():
        open_entry(page, default_server, entry)
        assert page.locator("html").get_attribute("lang") == lang
        assert heading(page) == STATEMENTS[lang], f"{entry['path']}: h1 {heading(page)!r}"


# --------------------------------------------------------------------------- 5. privacy

STORAGE_JS = """async () => ({
  cookie: document.cookie,
  local: Object.fromEntries(Object.entries(localStorage)),
  session: Object.fromEntries(Object.entries(sessionStorage)),
  indexedDB: (await indexedDB.databases()).map(db => db.name),
  caches: await caches.keys(),
})"""


def storage_problems(found: dict[str, Any], where: str) -> list[str]:
    """What STORAGE_JS found that is not a form draft or the written form in localStorage."""
    problems = [f"{where}: document.cookie is {found['cookie']!r}"] if found["cookie"] else []
    return problems + [
        f"{where}: {store} holds {found[store]}"
        for store in ("session", "indexedDB", "caches")
        if found[store]
    ]


def test_no_cookies_and_drafts_only_in_their_localstorage_key(
    page: Page, default_server: str, manifest: dict[str, Any], every_page: dict[str, list[str]]
) -> None:
    problems: list[str] = list(every_page["storage"])  # after reading every page, in order

    def check_page(where: str) -> dict[str, Any]:
        found = page.evaluate(STORAGE_JS)
        problems.extend(storage_problems(found, where))
        return found

    drafts: dict[str, Answers] = {}
    for path, answers in TYPED.items():
        entry = next(
            e for e in html_entries(manifest, kinds=("form",)) if url_path(e["path"]) == path
        )
        page.goto(default_server + path)
        key = page.locator(FORM).get_attribute("data-storage-key")
        assert key == storage_key(entry), f"{path}: data-storage-key {key!r}"
        answer(page, answers)
        expect(page.locator(STATUS)).to_have_text(SAVED[entry["lang"]])
        drafts[key] = answers
        check_page(f"{path} after typing")
    page.goto(f"{default_server}/nb/")  # and the drafts are still only where they belong
    found = check_page("/nb/ after filling forms")

    assert page.context.cookies() == [], f"cookies were set: {page.context.cookies()}"
    assert not problems, "data kept outside the form drafts:\n" + "\n".join(problems)
    assert set(found["local"]) == {LANG_KEY, *drafts}, (
        f"localStorage keys {sorted(found['local'])}, expected {LANG_KEY} and {sorted(drafts)}"
    )
    for key, answers in drafts.items():
        draft = draft_answers(found["local"][key])
        for value in answers.values():
            if isinstance(value, str):
                assert value in draft.values(), f"{key} lacks {value!r}: {draft}"
                elsewhere = [k for k, v in found["local"].items() if k != key and value in v]
                assert not elsewhere, f"{value!r} also stored under {elsewhere}"


def test_every_form_page_says_answers_stay_in_this_browser(
    manifest: dict[str, Any], every_page: dict[str, list[str]]
) -> None:
    forms = html_entries(manifest, kinds=("form",))
    assert {entry["lang"] for entry in forms} == set(LANGS), "forms missing for a language"
    assert len(every_page["forms seen"]) == len(forms)
    problems = every_page["privacy"]
    assert not problems, "\n".join(problems)
