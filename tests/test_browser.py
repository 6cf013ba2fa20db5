"""The built site behaves as a bilingual site in a real browser (Debian's Chromium, no mocks).

What this file proves, against the project's own content built and served on 127.0.0.1:

* Search stays inside one written form: the Bokmål search finds only Bokmål pages and
  titles, the Nynorsk search only Nynorsk ones, and a word found only in the other written
  form finds nothing from that form.
* The language switch in the header leads to the same page in the other written form
  (same path, ``<html lang>`` and title of that form), on every page of both forms.
* The language chooser remembers the reader's choice, and ``?velg`` lets them choose again,
  and reading a page makes the chooser open its written form.

Pages are taken from ``manifest.json``, so new content is covered without editing this file.
What every page declares, stores and requests on a first visit is checked in the one pass
over every page in ``test_accessibility``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from tests.pages import (
    LABELS,
    LANGS,
    QUERY,
    RESULT_ITEM,
    RESULT_LINK,
    SEARCH_BOX,
    SEARCH_META,
    STORAGE_KEY,
    SWITCH,
    answered,
    other,
    wait_for_search_ready,
)

GUIDELINE_TITLES = {
    "nb": (
        "Hjemmekontor \u2013 Kommunen",
        "Videre bruk av hjemmekontor \u2013 økt fleksibilitet \u2013 Vestland fylkeskommune",
    ),
    "nn": (
        "Heimekontor \u2013 Kommunen",
        "Vidare bruk av heimekontor \u2013 auka fleksibilitet \u2013 Vestland fylkeskommune",
    ),
}
"""Titles the ``QUERY`` search must find in each written form (a guideline's title names its
organisation)."""
GUIDELINE_ORGS = ("Kommunen", "Vestland fylkeskommune")
"""The organisations of those guidelines (their names are the same in both forms)."""

OTHER_FORM_ONLY = {"nb": ("heimekontor", "leiarar"), "nn": ("hjemmekontor", "ledere")}
"""Words of the *other* written form, absent from this form's pages."""

# --------------------------------------------------------------------------- helpers


def url_path(entry_path: str) -> str:
    """The address a reader uses for a manifest path: directory URLs for ``index.html``."""
    return "/" + entry_path.removesuffix("index.html")


def mirrored(path: str, lang: str) -> str:
    """``path`` (starting with ``/lang/``) moved to the other written form."""
    assert path.startswith(f"/{lang}/"), f"{path} is not in /{lang}/"
    return f"/{other(lang)}/" + path.removeprefix(f"/{lang}/")


def html_entries(manifest: dict[str, Any], lang: str | None = None) -> list[dict[str, Any]]:
    """Manifest entries of HTML pages, optionally only one language's."""
    return [
        entry
        for entry in manifest["entries"]
        if entry["path"].endswith(".html") and (lang is None or entry["lang"] == lang)
    ]


def counterpart(manifest: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The manifest entry for the same page in the other written form."""
    matches = [
        candidate
        for candidate in manifest["entries"]
        if candidate["lang"] == other(entry["lang"])
        and (candidate["kind"], candidate["org"], candidate["id"])
        == (entry["kind"], entry["org"], entry["id"])
    ]
    assert len(matches) == 1, f"{entry['path']}: expected one counterpart, found {matches}"
    return matches[0]


def heading(page: Page) -> str:
    """Text of the page's first ``h1`` without Material's permalink sign."""
    return page.locator("h1").first.evaluate(
        "h => Array.from(h.childNodes)"
        "  .filter(n => !(n.classList && n.classList.contains('headerlink')))"
        "  .map(n => n.textContent).join('').trim()"
    )


@dataclass
class SearchOutcome:
    query: str
    meta: str
    links: list[str]
    """Absolute addresses of every result link (pages and their sections)."""
    titles: list[str]
    """Page titles (``h1``) and section titles (``h2``) shown in the results."""


def search(page: Page, base: str, lang: str, query: str) -> SearchOutcome:
    """Type ``query`` into the search box of ``lang``'s start page; wait for the answer."""
    page.goto(f"{base}/{lang}/")
    strings = wait_for_search_ready(page)
    box = page.locator(SEARCH_BOX)
    box.fill(query)
    expect(page.locator(SEARCH_META)).to_have_text(answered(strings))
    return SearchOutcome(
        query=query,
        meta=page.locator(SEARCH_META).inner_text(),
        links=page.locator(f"{RESULT_ITEM} {RESULT_LINK}").evaluate_all(
            "links => links.map(a => a.href)"
        ),
        titles=[
            text.strip()
            for text in page.locator(f"{RESULT_ITEM} h1, {RESULT_ITEM} h2").all_inner_texts()
        ],
    )


def links_outside(outcome: SearchOutcome, base: str, lang: str) -> list[str]:
    """Result links that do not point into ``lang``'s folder on the test server."""
    host = urlsplit(base).netloc
    return [
        link
        for link in outcome.links
        if urlsplit(link).netloc != host or not urlsplit(link).path.startswith(f"/{lang}/")
    ]


def html_lang(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


def click_switch(page: Page) -> Response | None:
    """Click the header's language switch and return the response of the page it opens."""
    with page.expect_navigation() as navigation:
        page.locator(SWITCH).click()
    return navigation.value


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def manifest(default_site: Path) -> dict[str, Any]:
    return json.loads((default_site / "manifest.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("lang", LANGS)
def test_search_finds_only_pages_of_its_own_written_form(
    page: Page, default_server: str, manifest: dict[str, Any], lang: str
) -> None:
    outcome = search(page, default_server, lang, QUERY[lang])

    assert outcome.links, f"{lang}: searching {outcome.query!r} found nothing ({outcome.meta!r})"
    outside = links_outside(outcome, default_server, lang)
    assert not outside, f"{lang}: search results point outside /{lang}/: {outside}"

    manifest_titles = {entry["title"] for entry in html_entries(manifest, lang)}
    for title, org in zip(GUIDELINE_TITLES[lang], GUIDELINE_ORGS, strict=True):
        assert title in manifest_titles, f"{title!r} is not a {lang} page title in the manifest"
        # Every result names its organisation: a guideline's own title does already.
        shown = title if org in title else f"{title} ({org})"
        assert shown in outcome.titles, (
            f"{lang}: searching {outcome.query!r} did not list {shown!r}; got {outcome.titles}"
        )

    foreign_titles = {entry["title"] for entry in html_entries(manifest, other(lang))}
    foreign_only = foreign_titles - manifest_titles  # titles such as "Kommunen" are shared
    assert foreign_only >= set(GUIDELINE_TITLES[other(lang)])
    bare = {re.sub(r" \([^()]*\)$", "", title) for title in outcome.titles}
    leaked = sorted(foreign_only & (bare | set(outcome.titles)))
    assert not leaked, f"{lang}: search results show {other(lang)} titles: {leaked}"


@pytest.mark.parametrize(
    ("lang", "word"), [(lang, word) for lang in LANGS for word in OTHER_FORM_ONLY[lang]]
)
def test_search_for_a_word_of_the_other_form_finds_nothing_from_it(
    page: Page, default_server: str, lang: str, word: str
) -> None:

    # Control: the word is findable where it belongs, so an empty answer below means something.
    home = search(page, default_server, other(lang), word)
    assert home.links, f"{other(lang)}: {word!r} should find its own pages; got {home.meta!r}"

    outcome = search(page, default_server, lang, word)
    leaked = [link for link in outcome.links if f"/{other(lang)}/" in urlsplit(link).path]
    assert not leaked, f"{lang}: searching {word!r} found {other(lang)} pages: {leaked}"
    outside = links_outside(outcome, default_server, lang)
    assert not outside, f"{lang}: search results point outside /{lang}/: {outside}"


# --------------------------------------------------------------------------- language switch


def test_language_switch_on_guidelines_opens_the_same_guideline_in_the_other_form(
    page: Page, default_server: str, manifest: dict[str, Any]
) -> None:
    guidelines = [entry for entry in html_entries(manifest) if entry["kind"] == "guideline"]
    assert {entry["lang"] for entry in guidelines} == set(LANGS), "no guidelines in manifest"

    for entry in guidelines:
        lang, target = entry["lang"], counterpart(manifest, entry)
        start = url_path(entry["path"])
        expected = mirrored(start, lang)
        assert url_path(target["path"]) == expected, (
            f"{target['path']} is not at the same path as {entry['path']}"
        )

        page.goto(default_server + start)
        expect(page.locator(SWITCH)).to_have_text(LABELS[other(lang)])
        response = click_switch(page)

        landed = urlsplit(page.url).path
        assert landed == expected, f"switch on {start} opened {landed}, expected {expected}"
        assert response is not None and response.ok, f"{landed} answered {response}"
        assert html_lang(page) == other(lang), f"{landed}: <html lang={html_lang(page)!r}>"
        assert heading(page) == target["title"], (
            f"{landed}: h1 is {heading(page)!r}, expected {target['title']!r}"
        )
        expect(page.locator(SWITCH)).to_have_text(LABELS[lang])


def test_language_switch_on_every_other_page_opens_that_page_in_the_other_form(
    page: Page, default_server: str, manifest: dict[str, Any]
) -> None:
    """Start pages, organisation pages, change logs and the 404 page."""
    pages = [
        entry
        for entry in html_entries(manifest)
        if entry["lang"] in LANGS and entry["kind"] != "guideline"
    ]
    wrong = []
    for entry in pages:
        lang = entry["lang"]
        start = url_path(entry["path"])
        expected = {mirrored(start, lang)}
        if entry["kind"] == "not-found":  # no "same page" here: the other form's start page
            expected.add(f"/{other(lang)}/")

        page.goto(default_server + start)
        href = page.locator(SWITCH).get_attribute("href")
        response = click_switch(page)
        landed = urlsplit(page.url).path
        status = response.status if response is not None else None
        if landed not in expected or status != 200 or html_lang(page) != other(lang):
            wrong.append(
                f"{start}: switch href={href!r} opened {landed} (HTTP {status}, "
                f"lang={html_lang(page)!r}), expected one of {sorted(expected)}"
            )
    assert not wrong, "language switch broken on:\n" + "\n".join(wrong)


# --------------------------------------------------------------------------- chooser


def test_chooser_remembers_the_choice_until_asked_to_choose_again(
    page: Page, default_server: str
) -> None:
    chooser = f"{default_server}/index.html"

    page.goto(chooser)
    expect(page.locator("a[data-lang]")).to_have_count(2)
    expect(page.locator('a[data-lang="nn"]')).to_have_text("Nynorsk")
    page.locator('a[data-lang="nn"]').click()
    expect(page).to_have_url(f"{default_server}/nn/")
    assert page.evaluate(f"localStorage.getItem({STORAGE_KEY!r})") == "nn"

    page.goto(chooser)
    expect(page).to_have_url(f"{default_server}/nn/")
    assert html_lang(page) == "nn"

    page.goto(f"{chooser}?velg")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{chooser}?velg", f"?velg should keep the chooser, got {page.url}"
    expect(page.locator("a[data-lang]")).to_have_count(2)
    expect(page.locator('a[data-lang="nb"]')).to_have_text("Bokmål")


@pytest.mark.parametrize("lang", LANGS)
def test_reading_a_page_makes_the_chooser_open_its_form(
    page: Page, default_server: str, lang: str
) -> None:
    """Every page stores its written form, so a later visit to the chooser goes there."""
    page.goto(f"{default_server}/{other(lang)}/")
    page.goto(f"{default_server}/{lang}/kommune/hjemmekontor/")
    assert page.evaluate(f"localStorage.getItem({STORAGE_KEY!r})") == lang

    page.goto(f"{default_server}/index.html")
    expect(page).to_have_url(f"{default_server}/{lang}/")
