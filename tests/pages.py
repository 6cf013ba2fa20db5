"""What the browser tests know about the built pages: selectors, words, and typing answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

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
