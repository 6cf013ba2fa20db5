"""Search as a reader uses it on the default site (Chromium, no mocks, Pagefind's real index):
every result names its organisation, words next to punctuation are found, the search keeps to
the reader's organisation until one key widens it, and a word of the other written form offers
that form's hits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from generator import addresses as at
from tests.conftest import serve
from tests.pages import (
    LANGS,
    RESULT_ITEM,
    RESULT_LINK,
    SEARCH_BOX,
    SEARCH_META,
    answered,
    search_strings,
    wait_for_search_ready,
)
from tests.test_accessibility import axe_source, axe_violations  # noqa: F401 (a fixture)
from tests.test_browser import search
from tests.test_build import search_pages

ORGS = {"kommune": "Kommunen", "vestland-fylkeskommune": "Vestland fylkeskommune"}
"""The default content's organisations: folder -> name (the same in both written forms)."""

OTHER_HITS = ".ps-other-form-hits a"
SCOPE = "[data-ps-scope]"


def page_results(page: Page) -> list[tuple[str, str]]:
    """(address path, title) of each result in the list."""
    found = page.locator(RESULT_ITEM).evaluate_all(
        f"""items => items.map(item => {{
            const link = item.querySelector("{RESULT_LINK}");
            const title = link && link.querySelector("h1");
            return [link ? link.href : "", title ? title.textContent : ""];
        }})"""
    )
    return [(urlsplit(href).path, title.strip()) for href, title in found]


def type_query(page: Page, query: str) -> str:
    """Replace the query in the open search box; wait for and return the result line."""
    page.locator(SEARCH_BOX).fill(query)
    expect(page.locator(SEARCH_META)).to_have_text(answered(search_strings(page)))
    return page.locator(SEARCH_META).inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_results_name_their_organisation_and_words_by_punctuation_are_found(
    page: Page, default_server: str, lang: str
) -> None:
    outcome = search(page, default_server, lang, "avtale")
    results = page_results(page)
    assert len(results) >= 2, outcome
    for path, title in results:
        folder = path.removeprefix(f"/{lang}/").split("/")[0]
        if folder in ORGS:
            # "Avtale om hjemmekontor (Kommunen)"; a guideline's own title names it already
            # ("Hjemmekontor – Kommunen"), as does the organisation's own page.
            assert ORGS[folder] in title, (path, title)
    agreement = {"nb": "Avtale om hjemmekontor", "nn": "Avtale om heimekontor"}[lang]
    titles = {title for _, title in results}
    # The two organisations' agreements no longer look alike.
    assert {f"{agreement} ({name})" for name in ORGS.values()} <= titles, titles

    # On the same page: an inflection no page uses finds the word through the Norwegian
    # stemmer ("avtalene" and "avtalane" are "avtal", like "avtale" and "avtalen").
    type_query(page, {"nb": "avtalene", "nn": "avtalane"}[lang])
    assert f"{agreement} (Kommunen)" in {title for _, title in page_results(page)}

    # Words written right after "(" or before "," are found.
    for word, where in (("pult", "kommune/"), ("headset", "vestland-fylkeskommune/")):
        meta = type_query(page, word)
        found = [path for path, _ in page_results(page)]
        assert any(path.startswith(f"/{lang}/{where}") for path in found), (word, meta, found)


def test_the_search_keeps_to_the_readers_organisation_until_widened_by_keyboard(
    page: Page,
    default_server: str,
    axe_source: str,  # noqa: F811
) -> None:
    page.goto(f"{default_server}/nb/kommune/hjemmekontor/")
    strings = wait_for_search_ready(page)
    scope = page.locator(SCOPE)
    page.locator(SEARCH_BOX).fill("avtale")
    expect(page.locator(SEARCH_META)).to_have_text(re.compile(r"^\d+ treff i Kommunen$"))
    own = page_results(page)
    assert own and all(path.startswith("/nb/kommune/") for path, _ in own), own
    expect(scope).to_have_text(strings["widen"])

    # One key from the search box to the switch, one to widen.
    page.locator(SEARCH_BOX).press("ArrowDown")
    expect(scope).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(SEARCH_META)).to_have_text(re.compile(r"^\d+ treff$"))
    everywhere = page_results(page)
    assert any(path.startswith("/nb/vestland-fylkeskommune/") for path, _ in everywhere)
    assert len(everywhere) > len(own)
    expect(scope).to_have_text("Søk bare i Kommunen")
    expect(scope).to_be_focused()
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    problems = axe_violations(page, axe_source, "nb/kommune/hjemmekontor/ searching, widened")
    assert not problems, "\n".join(problems)

    # The choice is remembered on the next page; Space narrows the search again.
    page.goto(f"{default_server}/nb/vestland-fylkeskommune/")
    page.keyboard.press("/")  # Material's key to the search box
    expect(page.locator(SEARCH_BOX)).to_be_focused()
    expect(scope).to_have_text("Søk bare i Vestland fylkeskommune")
    page.locator(SEARCH_BOX).fill("avtale")
    expect(page.locator(SEARCH_META)).to_have_text(re.compile(r"^\d+ treff$"))
    page.locator(SEARCH_BOX).press("ArrowDown")
    page.keyboard.press(" ")
    expect(page.locator(SEARCH_META)).to_have_text(
        re.compile(r"^\d+ treff i Vestland fylkeskommune$")
    )
    narrowed = page_results(page)
    assert narrowed and all(p.startswith("/nb/vestland-fylkeskommune/") for p, _ in narrowed)

    # Escape closes the search; its results leave the tab order.
    page.keyboard.press("Escape")
    assert page.evaluate("!document.getElementById('__search').checked")
    assert page.evaluate("document.querySelector('.md-search__output').inert")


def test_a_word_of_the_other_form_offers_its_hits(
    page: Page,
    default_server: str,
    axe_source: str,  # noqa: F811
) -> None:
    # Control: how many pages the Nynorsk search itself shows for the word.
    there = search(page, default_server, "nn", "heimekontor")
    shown = re.match(r"(\d+) ", there.meta)
    assert shown, there
    expected = int(shown.group(1))

    here = search(page, default_server, "nb", "heimekontor")
    assert not here.links, here
    link = page.locator(OTHER_HITS)
    expect(link).to_have_text(f"{expected} treff på nynorsk")
    assert link.get_attribute("hreflang") == "nn"
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    problems = axe_violations(page, axe_source, "nb search showing the Nynorsk hits")
    assert not problems, "\n".join(problems)

    # By keyboard: the down arrow from the search box reaches the link, Enter opens the
    # search in the other form, which shows the same hits.
    page.locator(SEARCH_BOX).focus()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("!!document.activeElement.closest('.ps-other-form-hits')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/nn/"
    expect(page.locator(SEARCH_BOX)).to_have_value("heimekontor")
    expect(page.locator(SEARCH_META)).to_have_text(there.meta)


def test_a_word_found_in_neither_form_offers_nothing(page: Page, default_server: str) -> None:
    outcome = search(page, default_server, "nb", "zyxwvu")
    assert not outcome.links
    assert outcome.meta == "Ingen treff"
    page.wait_for_timeout(500)  # the other index has had time to load and be counted
    assert page.locator(OTHER_HITS).count() == 0


@pytest.fixture(scope="module")
def parts_served(in_parts: dict[str, Path]) -> Iterator[dict[str, tuple[Path, str]]]:
    """The six organisations built whole and in three parts with two search indexes
    (conftest), served side by side."""
    servers, served = [], {}
    for name in ("whole", "parts"):
        server, url = serve(in_parts[name])
        servers.append(server)
        served[name] = (in_parts[name], url)
    yield served
    for server in servers:
        server.shutdown()


def test_a_site_in_parts_answers_as_the_site_built_whole(
    page: Page, parts_served: dict[str, tuple[Path, str]]
) -> None:
    (site, parts_url), whole_url = parts_served["parts"], parts_served["whole"][1]
    # An organisation of the third part, in the second search index, as that index says.
    [last, *_] = sorted(
        found["url"].split("/")[1] for found in search_pages(site, "nb", at.search_part(1))
    )

    # Every organisation's hits, from every part's index, counted as one index counts them.
    for query in ("avtale", "forsikring"):
        whole, parts = (search(page, url, "nb", query) for url in (whole_url, parts_url))
        assert parts.meta == whole.meta and re.match(r"\d+ treff$", parts.meta), (parts, whole)

    # On an organisation's page the search reads its own index and no other.
    requests: list[str] = []
    page.on("request", lambda request: requests.append(urlsplit(request.url).path))
    page.goto(f"{parts_url}/nb/{last}/")
    wait_for_search_ready(page)
    page.locator(SEARCH_BOX).fill("avtale")
    expect(page.locator(SEARCH_META)).to_have_text(re.compile(r"^\d+ treff i .+$"))
    found = page_results(page)
    assert found and all(path.startswith(f"/nb/{last}/") for path, _ in found), found
    read = [path for path in requests if f"/{at.SEARCH}/" in path]
    own = f"/nb/{at.organisation_search(last)}"
    assert read and all(path.startswith(own) for path in read), sorted(requests)

    # Widened, it reads them all and finds what the whole site finds.
    everywhere = search(page, whole_url, "nb", "avtale").meta
    page.goto(f"{parts_url}/nb/{last}/")
    wait_for_search_ready(page)
    page.locator(SEARCH_BOX).fill("avtale")
    expect(page.locator(SEARCH_META)).to_have_text(re.compile(r"^\d+ treff i .+$"))
    page.locator(SEARCH_BOX).press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator(SEARCH_META)).to_have_text(everywhere)

    # A word of the other written form is counted over all of that form's parts.
    there = search(page, parts_url, "nn", "heimekontor")
    here = search(page, parts_url, "nb", "heimekontor")
    assert not here.links, here
    expect(page.locator(OTHER_HITS)).to_have_text(f"{there.meta.split()[0]} treff på nynorsk")


@pytest.mark.parametrize(
    ("lang", "query", "found"),
    [
        # Pagefind, finding no word that begins so, answers with the longest beginning some
        # word has ("hjem", "for", "opp", "kor"): no hit to a reader.
        ("nn", "hjemmekontor", False),
        ("nn", "oppsigelse", False),
        ("nb", "forsikkring", False),
        ("nb", "korona", False),
        # Forms of a word and the beginning of one still find it.
        ("nn", "forsikringane", True),
        ("nb", "arbeidsgiveren", True),
        ("nb", "hjemmek", True),
        ("nn", "forsikring heimekontor", True),
    ],
)
def test_a_word_only_guessed_at_by_its_beginning_is_no_hit(
    page: Page, default_server: str, lang: str, query: str, found: bool
) -> None:
    outcome = search(page, default_server, lang, query)
    if found:
        assert outcome.links, outcome
        assert re.match(r"\d+ treff", outcome.meta), outcome
    else:
        assert not outcome.links, outcome
        assert outcome.meta == "Ingen treff", outcome


def test_a_bokmal_word_on_a_nynorsk_page_offers_the_bokmal_hits(
    page: Page, default_server: str
) -> None:
    """ "hjemmekontor" typed on the Nynorsk site: not the pages with "hjem", but a link to the
    Bokmål site's hits."""
    there = search(page, default_server, "nb", "hjemmekontor")
    shown = re.match(r"(\d+) ", there.meta)
    assert shown, there

    here = search(page, default_server, "nn", "hjemmekontor")
    assert not here.links, here
    expect(page.locator(OTHER_HITS)).to_have_text(f"{shown.group(1)} treff på bokmål")


def test_no_hit_in_the_readers_organisation_offers_the_others_by_keyboard(
    page: Page,
    default_server: str,
    axe_source: str,  # noqa: F811
) -> None:
    """ "Waco" is in Vestland's guideline only: searched from Kommunen's page, the answer says
    so and offers the hits of every organisation, read out with the count (one live region)
    and one key away."""
    page.goto(f"{default_server}/nb/vestland-fylkeskommune/")
    wait_for_search_ready(page)
    page.locator(SEARCH_BOX).fill("Waco")
    expect(page.locator(SEARCH_META)).to_have_text(
        re.compile(r"^\d+ treff i Vestland fylkeskommune$")
    )
    vestland = int(page.locator(SEARCH_META).inner_text().split()[0])

    page.goto(f"{default_server}/nb/kommune/hjemmekontor/")
    wait_for_search_ready(page)
    page.locator(SEARCH_BOX).fill("Waco")
    expect(page.locator(SEARCH_META)).to_have_text("0 treff i Kommunen")
    wider = page.locator(".ps-search-status .ps-wider-hits button")
    expect(wider).to_have_text(f"{vestland} treff i alle virksomheter")
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    problems = axe_violations(page, axe_source, "nb/kommune/hjemmekontor/ no hit in Kommunen")
    assert not problems, "\n".join(problems)

    wider.focus()
    page.keyboard.press("Enter")
    expect(page.locator(SEARCH_META)).to_have_text(f"{vestland} treff")
    assert page_results(page)
    expect(page.locator(SEARCH_BOX)).to_be_focused()
    page.evaluate("localStorage.clear()")


def test_a_result_leads_to_the_section_that_holds_the_word(page: Page, default_server: str) -> None:
    """ "oppsigelse" is in a section far down Kommunen's guideline: the result names that
    section and opens the page there, not at its top."""
    outcome = search(page, default_server, "nb", "oppsigelse")
    guideline = [link for link in outcome.links if "/nb/kommune/hjemmekontor/#" in link]
    assert guideline, outcome
    named = page.locator(f"{RESULT_ITEM} .ps-result-section").all_inner_texts()
    assert any("Oppsigelse" in text for text in named), named

    page.goto(guideline[0])
    anchor = urlsplit(guideline[0]).fragment
    heading = page.locator(f"[id='{anchor}']")
    expect(heading).to_contain_text("Oppsigelse")
    expect(heading).to_be_in_viewport()


@pytest.mark.parametrize(("lang", "section"), [("nb", "Arbeidsstol"), ("nn", "Arbeidsstol")])
def test_a_checklist_item_finds_its_form_at_its_section(
    page: Page, default_server: str, lang: str, section: str
) -> None:
    """A form's questions and checklist items are found ("fotstøtte" is only a checkbox's
    label): the result names the form's section and opens the form there."""
    outcome = search(page, default_server, lang, "fotstøtte")
    checklists = [link for link in outcome.links if "/skjema/sjekkliste/#" in link]
    assert len(checklists) == 2, outcome  # both organisations' checklists
    named = page.locator(f"{RESULT_ITEM} .ps-result-section").all_inner_texts()
    assert all(text.startswith(section) for text in named), named

    page.goto(checklists[0])
    heading = page.locator(f"[id='{urlsplit(checklists[0]).fragment}']")
    expect(heading).to_contain_text(section)
    expect(heading).to_be_in_viewport()
    # What the form says only while it is filled in is no hit: its error summary.
    type_query(page, "feil")  # "Det er feil i skjemaet"
    assert not [p for p, _ in page_results(page) if "/skjema/" in p], page_results(page)


def test_a_query_put_in_whole_is_searched_at_once_and_typing_waits_for_a_pause(
    page: Page, default_server: str
) -> None:
    """A pasted query needs no pause for further letters; a typed letter waits for one
    (120 ms), so that typing a word does not search for each of its beginnings. The page's
    timers are recorded: the pause is the one of 120 ms."""
    page.add_init_script(
        """window.pauses = [];
        const setTimer = window.setTimeout;
        window.setTimeout = function (callback, delay, ...rest) {
          if (delay === 120) window.pauses.push(document.getElementById("ps-search-query").value);
          return setTimer.call(window, callback, delay, ...rest);
        };"""
    )
    page.goto(f"{default_server}/nb/")
    strings = wait_for_search_ready(page)
    meta = page.locator(SEARCH_META)

    page.locator(SEARCH_BOX).fill("avtale")  # the whole word at once, as a paste puts it
    expect(meta).to_have_text(answered(strings))
    assert page_results(page)
    assert page.evaluate("window.pauses") == []

    page.locator(SEARCH_BOX).press("n")  # "avtalen": one letter typed
    expect(meta).to_have_text(answered(strings))
    assert page.evaluate("window.pauses") == ["avtalen"]
    page.locator(SEARCH_BOX).press("Backspace")
    expect(meta).to_have_text(answered(strings))
    assert page.evaluate("window.pauses") == ["avtalen", "avtale"]
