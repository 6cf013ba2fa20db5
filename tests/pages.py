"""What the browser tests know about the built pages: selectors, words, and typing answers."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Request, expect

T = TypeVar("T")

LANGS = ("nb", "nn")
LABELS = {"nb": "Bokmål", "nn": "Nynorsk"}
STORAGE_KEY = "policy-site.lang"

SEARCH_BOX = 'input[data-md-component="search-query"]'
SEARCH_META = ".md-search-result__meta"
RESULT_ITEM = ".md-search-result__item"
RESULT_LINK = "a.md-search-result__link"
SWITCH = "a.policy-lang-switch"

QUERY = {"nb": "hjemmekontor", "nn": "heimekontor"}
"""The word for 'home office' in each written form."""

FORM = "form[data-ps-form]"
SUMMARY = "#ps-error-summary"
SUBMIT = ".ps-submit"
CLEAR = "[data-ps-clear]"
STATUS = ".ps-status"
SAVED = {"nb": "Lagret i denne nettleseren.", "nn": "Lagra i denne nettlesaren."}

CONFIRM = "#ps-confirm"
CONFIRM_YES = "[data-ps-confirm-yes]"
REVIEW = "#ps-review"
DRAFTS_BUTTON = "[data-ps-drafts]"
DRAFTS_DIALOG = "#ps-drafts"
IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
"""Screenshots of the form's states for the README, written by the browser tests."""

Answers = dict[str, str | bool]
"""Element id -> text to type, or True to tick or choose."""


def search_strings(page: Page) -> dict[str, str]:
    """The search box's interface strings (strings.yml ``search``), as the page carries them."""
    return json.loads(page.locator("#ps-search").get_attribute("data-strings") or "{}")


def wait_for_search_ready(page: Page) -> dict[str, str]:
    """Focus the search box and wait until it invites a query."""
    strings = search_strings(page)
    page.locator(SEARCH_BOX).click()
    expect(page.locator(SEARCH_META)).to_have_text(strings["ready"])
    return strings


def answered(strings: dict[str, str]) -> re.Pattern[str]:
    """What the result line says once a search has its answer (a count, or no hits)."""
    count = re.escape(strings["count"]).replace(r"\{count\}", r"\d+")
    count_in = (
        re.escape(strings["count_in"]).replace(r"\{count\}", r"\d+").replace(r"\{name\}", ".+")
    )
    return re.compile(f"^({re.escape(strings['none'])}|{count}|{count_in})$")


@dataclass
class Traffic:
    """Everything one page asked the network for."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Same-host responses with status >= 400, and requests that failed outright."""
    searched: bool = False
    """Whether a search ran on the page (and so loaded the index)."""


class Recorder:
    """What a tab that opens one page after another asks the network for, page by page."""

    def __init__(self, page: Page, host: str) -> None:
        self.page = page
        self.now = Traffic()
        self.pending: set[Request] = set()
        self.last = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._ended)
        page.on("requestfailed", self._failed)
        page.on(
            "response",
            lambda response: (
                self.now.errors.append(f"HTTP {response.status} {response.url}")
                if response.status >= 400 and urlsplit(response.url).netloc == host
                else None
            ),
        )

    def _started(self, request: Request) -> None:
        self.now.requests.append(request.url)
        self.pending.add(request)
        self.last = time.monotonic()

    def _ended(self, request: Request) -> None:
        self.pending.discard(request)
        self.last = time.monotonic()

    def _failed(self, request: Request) -> None:
        self.now.errors.append(f"failed ({request.failure}) {request.url}")
        self._ended(request)

    def next_page(self) -> Traffic:
        """Start recording for the page about to be opened."""
        self.now = Traffic()
        return self.now

    def quiet(self, seconds: float = 0.2) -> None:
        """Wait until no request is open and none has started or ended for ``seconds``:
        Playwright's "networkidle" waits half a second after the load, every page."""
        while self.pending or time.monotonic() - self.last < seconds:
            self.page.wait_for_timeout(50)


def search_on(page: Page, traffic: Traffic) -> None:
    """Search on the loaded page: that loads Pagefind (its script, WebAssembly, index chunks
    and fragments), and the requests join the page's ``traffic``."""
    strings = wait_for_search_ready(page)
    page.locator(SEARCH_BOX).fill(QUERY[page.locator("html").get_attribute("lang") or "nb"])
    expect(page.locator(SEARCH_META)).to_have_text(answered(strings))
    expect(page.locator(RESULT_ITEM).first).to_be_visible()
    traffic.searched = True


RECORD_STORED = """(() => {
  const setItem = Storage.prototype.setItem;
  window.__stored = {};
  Storage.prototype.setItem = function (key, value) {
    if (this === window.localStorage) window.__stored[key] = String(value);
    return setItem.call(this, key, value);
  };
})();"""
"""An init script: each page keeps what *it* put into localStorage in ``window.__stored``, so
the pages read before it in the same context do not answer for it."""


def side_by_side(
    context: BrowserContext, urls: list[str], watch: Callable[[Page], T], *, tabs: int = 10
) -> Iterator[tuple[str, Page, T]]:
    """Open ``urls`` in tabs of ``context``, ``tabs`` at a time, with ``watch(page)`` attached
    before each loads; yield each tab once its network is quiet, and close the tabs after.
    Side by side, the half-second waits for a quiet network overlap."""
    for start in range(0, len(urls), tabs):
        batch = urls[start : start + tabs]
        pages = [context.new_page() for _ in batch]
        try:
            watched = [watch(page) for page in pages]
            for page, url in zip(pages, batch, strict=True):
                page.goto(url, wait_until="commit")
            for url, page, seen in zip(batch, pages, watched, strict=True):
                page.wait_for_load_state("networkidle")
                yield url, page, seen
        finally:
            for page in pages:
                page.close()


def other(lang: str) -> str:
    return "nn" if lang == "nb" else "nb"


def answer(page: Page, answers: Answers) -> None:
    """Type, tick and choose as a reader would (key by key; date and number fields filled)."""
    for element_id, value in answers.items():
        field = page.locator(f"#{element_id}")
        if value is True:
            field.check()
        elif field.get_attribute("type") in ("date", "number"):
            field.fill(str(value))
        else:
            field.press_sequentially(str(value))


def draft_answers(stored: str | None) -> dict[str, Any]:
    """The answers of the draft on screen, from a form's localStorage entry."""
    state = json.loads(stored or "null") or {"drafts": []}
    active = [draft for draft in state["drafts"] if draft["id"] == state.get("active")]
    return active[0]["answers"] if active else {}


def clear_form(page: Page) -> None:
    """ "Tøm skjemaet", and yes in the dialog that asks first."""
    page.locator(CLEAR).click()
    page.locator(CONFIRM_YES).click()


def screenshot(page: Page, name: str, selector: str | None = None) -> None:
    """A small PNG of the page (or one element) for the README, 800 px wide at most."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    target = IMAGES / name
    if selector:
        # Without the sticky header and "back to top", which would cover the element's top.
        hide = "v => document.querySelectorAll('.md-header, .md-top').forEach(e => e.style.visibility = v)"
        page.evaluate(hide, "hidden")
        page.locator(selector).screenshot(path=target, animations="disabled")
        page.evaluate(hide, "")
    else:
        page.screenshot(path=target, animations="disabled")

    shrink(target)


def shrink(target: Path, height: int = 900) -> None:
    """At most 800 px wide and ``height`` high (the top kept), in 64 colours: small to commit."""
    from PIL import Image

    with Image.open(target) as image:
        image.load()
    if image.width > 800:
        image = image.resize((800, round(image.height * 800 / image.width)))
    image = image.crop((0, 0, image.width, min(image.height, height)))
    image.convert("RGB").quantize(colors=64).save(target, optimize=True)
