"""Search as a reader uses it on the default site (Chromium, no mocks): every result names its
organisation, words next to punctuation are found, and a word of the other written form offers
that form's hits."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.pages import LANGS, RESULT_ITEM, RESULT_LINK, SEARCH_META
from tests.test_accessibility import axe_source, axe_violations  # noqa: F401 (a fixture)
from tests.test_browser import search

ORGS = {"kommune": "Kommunen", "vestland-fylkeskommune": "Vestland fylkeskommune"}
"""The default content's organisations: folder -> name (the same in both written forms)."""

OTHER_HITS = ".ps-other-form-hits a"


def page_results(page: Page) -> list[tuple[str, str]]:
    """(address path, title) of each page in the result list (its first link; not its sections)."""
    found = page.locator(RESULT_ITEM).evaluate_all(
        f"""items => items.map(item => {{
            const link = item.querySelector("{RESULT_LINK}");
            const title = link && link.querySelector("h1");
            return [link ? link.href : "", title ? title.textContent : ""];
        }})"""
    )
    return [(urlsplit(href).path, title.strip()) for href, title in found]


@pytest.mark.parametrize("lang", LANGS)
def test_every_result_names_its_organisation(page: Page, default_server: str, lang: str) -> None:
    outcome = search(page, default_server, lang, "avtale")
    results = page_results(page)
    assert len(results) >= 2, outcome
    for path, title in results:
        folder = path.removeprefix(f"/{lang}/").split("/")[0]
        if folder in ORGS and path.strip("/") != f"{lang}/{folder}":
            # "Avtale om hjemmekontor (Kommunen)"; a guideline's own title names it already
            # ("Hjemmekontor – Kommunen").
            name = ORGS[folder]
            assert title.strip().endswith((f"({name})", f" – {name}")), (path, title)
    titles = {title.strip() for _, title in results}
    agreement = {"nb": "Avtale om hjemmekontor", "nn": "Avtale om heimekontor"}[lang]
    # The two organisations' agreements no longer look alike.
    assert {f"{agreement} ({name})" for name in ORGS.values()} <= titles, titles


@pytest.mark.parametrize(
    ("lang", "word", "where"),
    [
        (lang, word, where)
        for lang in LANGS
        for word, where in (("pult", "kommune/"), ("headset", "vestland-fylkeskommune/"))
    ],
)
def test_a_word_in_parentheses_is_found(
    page: Page, default_server: str, lang: str, word: str, where: str
) -> None:
    outcome = search(page, default_server, lang, word)
    found = [urlsplit(link).path for link in outcome.links]
    assert any(path.startswith(f"/{lang}/{where}") for path in found), (word, outcome.meta, found)


def test_a_word_of_the_other_form_offers_its_hits(
    page: Page,
    default_server: str,
    axe_source: str,  # noqa: F811
) -> None:
    # Control: how many pages the Nynorsk search itself shows for the word.
    there = search(page, default_server, "nn", "heimekontor")
    shown = re.match(r"(\d+) ", there.meta)  # Material lists the first ten and counts them all
    assert shown, there
    expected = int(shown.group(1))

    here = search(page, default_server, "nb", "heimekontor")
    assert not here.links, here
    link = page.locator(OTHER_HITS)
    expect(link).to_have_text(f"{expected} treff på nynorsk")
    assert link.get_attribute("hreflang") == "nn"
    problems = axe_violations(page, axe_source, "nb search showing the Nynorsk hits")
    assert not problems, "\n".join(problems)

    # By keyboard, as through Material's own results: the down arrow from the search box
    # reaches the link, Enter opens the search in the other form.
    page.locator("input[data-md-component=search-query]").focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("!!document.activeElement.closest('.ps-other-form-hits')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/nn/"
    expect(page.locator(SEARCH_META)).to_have_text(there.meta)


def test_a_word_found_in_neither_form_offers_nothing(page: Page, default_server: str) -> None:
    outcome = search(page, default_server, "nb", "zyxwvu")
    assert not outcome.links
    page.wait_for_timeout(500)  # the other index has had time to load and be counted
    assert page.locator(OTHER_HITS).count() == 0
