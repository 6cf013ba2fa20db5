"""What the browser tests know about the built pages: selectors, words, and typing answers."""

from __future__ import annotations

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
