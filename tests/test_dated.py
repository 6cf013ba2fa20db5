"""Time-aware pages: a guideline whose review date has passed, or whose dated statements are now
in the past, tells its readers so in their written form, at build time and later in the browser;
forms never offer a date in the past."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from generator.validate import load_project
from tests.conftest import ROOT, build_site, fixture_content, serve
from tests.pages import SUBMIT, SUMMARY

POLICY = "policies/heimekontor/policy.yml"
PAGE = "testkommune/heimekontor/index.html"

DATED = """\
dated:
  - section: omfang
    until: 2024-06
    note:
      nb: Prøveordningen med to dager gjaldt til juni 2024.
      nn: Prøveordninga med to dagar galdt til juni 2024.
  - section: oppfolging
    until: 2099-12-31
    note:
      nb: Oppfølgingen gjelder til utgangen av 2099.
      nn: Oppfølginga gjeld til utgangen av 2099.
"""


def dated_content(base: Path, recommended_until: str) -> Path:
    """The minimal fixture with a passed review (2025-04-01, built on 2026-11-22), two dated
    statements (one passed, one far ahead) and a time-bound recommended end month."""
    content = fixture_content("minimal", base)
    policy = content / POLICY
    text = policy.read_text(encoding="utf-8")
    text = text.replace(
        "rules:\n", f'rules:\n  agreement_recommended_until: "{recommended_until}"\n'
    )
    policy.write_text(text + DATED, encoding="utf-8")
    rules = content / "rules.yml"
    declaration = "- id: agreement_recommended_until\n  type: year-month\n"
    catalogue = rules.read_text(encoding="utf-8")
    assert declaration in catalogue
    rules.write_text(
        catalogue.replace(declaration, declaration + "  time_bound: true\n"), encoding="utf-8"
    )
    return content


@pytest.fixture(scope="module")
def dated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("dated")
    return build_site(dated_content(base, "2099-06"), base / "site", pdfs=False)  # pages only


def notice(site: Path, lang: str) -> str:
    html = (site / lang / PAGE).read_text(encoding="utf-8")
    match = re.search(r'<div class="admonition warning ps-dated"[^>]*>.*?</div>', html, re.S)
    assert match, "no dated notice on the page"
    return " ".join(match.group(0).split())


@pytest.mark.parametrize(
    ("lang", "intro", "review", "passed", "ahead"),
    [
        (
            "nb",
            "Denne retningslinjen er fra 2024 og er ikke gjennomgått siden.",
            "Den skulle vært gjennomgått innen 1. april 2025.",
            "Prøveordningen med to dager gjaldt til juni 2024.",
            ["Oppfølgingen gjelder til utgangen av 2099.", "Avtaler anbefales fram til juni 2099."],
        ),
        (
            "nn",
            "Denne retningslina er frå 2024 og er ikkje gjennomgått sidan.",
            "Ho skulle ha vore gjennomgått innan 1. april 2025.",
            "Prøveordninga med to dagar galdt til juni 2024.",
            ["Oppfølginga gjeld til utgangen av 2099.", "Avtalar er tilrådde fram til juni 2099."],
        ),
    ],
)
def test_notice_in_the_readers_written_form(
    dated_site: Path, lang: str, intro: str, review: str, passed: str, ahead: list[str]
) -> None:
    text = notice(dated_site, lang)
    opening = text[: text.index(">") + 1]
    assert "hidden" not in opening, "the notice is due at the build's date"
    assert intro in text
    assert re.search(rf"<span data-ps-review=\"2025-04-01\">{re.escape(review)}</span>", text)
    # The passed statement is shown and links to its section; those still ahead are hidden.
    assert re.search(rf'<li data-ps-until="2024-06-30"><a href="#omfang">{passed}</a></li>', text)
    for note in ahead:
        item = re.search(rf"<li [^>]*>(<a [^>]*>)?{re.escape(note)}", text)
        assert item and " hidden" in item.group(0), note


def test_no_notice_while_nothing_is_due(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    policy = content / POLICY
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("2025-04-01", "2099-01-01"), encoding="utf-8"
    )
    site = build_site(content, tmp_path / "site", pdfs=False)  # the notice is on the pages
    for lang in ("nb", "nn"):
        opening = notice(site, lang).split(">")[0]
        assert " hidden" in opening  # present for the browser, not shown


def test_browser_shows_what_passed_after_the_build(dated_site: Path, page: object) -> None:
    server, url = serve(dated_site)
    try:
        page.clock.set_fixed_time(dt.datetime(2100, 1, 2, 12))  # type: ignore[attr-defined]
        page.goto(f"{url}/nn/{PAGE}")  # type: ignore[attr-defined]
        shown = page.locator(".ps-dated li:visible").all_inner_texts()  # type: ignore[attr-defined]
        assert "Oppfølginga gjeld til utgangen av 2099." in shown
        assert "Avtalar er tilrådde fram til juni 2099." in shown
        page.goto(f"{url}/nn/testkommune/skjema/avtale/")  # type: ignore[attr-defined]
        mins = page.locator('input[type="date"]').evaluate_all("els => els.map(e => e.min)")  # type: ignore[attr-defined]
        assert mins and set(mins) == {"2100-01-02"}
    finally:
        server.shutdown()


def test_date_fields_start_today(dated_site: Path, page: object) -> None:
    server, url = serve(dated_site)
    try:
        page.goto(f"{url}/nb/testkommune/skjema/avtale/")  # type: ignore[attr-defined]
        today = page.evaluate(  # type: ignore[attr-defined]
            "() => { const d = new Date(); return [d.getFullYear(), d.getMonth() + 1, d.getDate()]; }"
        )
        expected = dt.date(*today).isoformat()
        mins = page.locator('input[type="date"]').evaluate_all("els => els.map(e => e.min)")  # type: ignore[attr-defined]
        assert mins and set(mins) == {expected}
        # A day before today typed in is refused: by the browser's validity and the summary.
        field = page.locator('input[name="startdato"]')  # type: ignore[attr-defined]
        field.fill("2020-01-01")
        assert field.evaluate("e => e.validity.rangeUnderflow")
        page.locator(SUBMIT).click()  # type: ignore[attr-defined]
        summary = page.locator(SUMMARY).inner_text()  # type: ignore[attr-defined]
        assert "Velg en dato fra i dag eller senere: Avtalen gjelder fra" in summary
    finally:
        server.shutdown()


def _end_date_hints(content: Path) -> dict[str, str]:
    project = load_project(content, ROOT / "forms")
    hints = {}
    for instance in project.forms:
        if instance.form_id == "avtale":
            for lang, form in instance.forms.items():
                for section in form.sections:
                    for item in section.items:
                        if item.name == "sluttdato_anbefalt":
                            hints[lang] = item.hint or ""
    return hints


@pytest.mark.parametrize("month", ["2022-06", "2026-10", "1999-12"])
def test_end_date_hint_never_offers_a_past_month(tmp_path: Path, month: str) -> None:
    hints = _end_date_hints(dated_content(tmp_path, month))
    year = month.split("-")[0]
    assert set(hints) == {"nb", "nn"}
    for lang, hint in hints.items():
        assert year not in hint, (lang, hint)
    assert "er passert" in hints["nb"] and "er passert" in hints["nn"]


def test_end_date_hint_recommends_a_month_ahead(tmp_path: Path) -> None:
    # The build's date is 2026-11-22: November 2026 has not ended yet.
    hints = _end_date_hints(dated_content(tmp_path, "2026-11"))
    assert "fram til november 2026" in hints["nb"]
    assert "fram til november 2026" in hints["nn"]


def test_default_agreement_page_offers_no_past_end_date(default_site: Path) -> None:
    for lang in ("nb", "nn"):
        html = (default_site / lang / "vestland-fylkeskommune/skjema/avtale/index.html").read_text(
            encoding="utf-8"
        )
        article = html[html.index("<article") : html.index("</article>")]
        assert "2022" not in article
