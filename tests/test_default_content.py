"""The project's own content: both sources in both written forms, with every rule and fact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

KOMMUNE = "kommune/hjemmekontor/index.html"
VESTLAND = "vestland-fylkeskommune/heimekontor/index.html"


def page(site: Path, lang: str, path: str) -> str:
    """Page HTML with runs of white space folded, as a reader sees the text."""
    return " ".join((site / lang / path).read_text(encoding="utf-8").split())


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_each_language_holds_both_guidelines(default_site: Path, lang: str) -> None:
    entries = json.loads((default_site / "manifest.json").read_text())["entries"]
    guidelines = {
        (e["org"], e["id"]) for e in entries if e["kind"] == "guideline" and e["lang"] == lang
    }
    assert guidelines == {("kommune", "hjemmekontor"), ("vestland-fylkeskommune", "heimekontor")}


@pytest.mark.parametrize(
    ("lang", "facts"),
    [
        ("nb", ["Vedtatt i MBM 24/8-21", "hver 6. måned", "to ganger i året",
                "minimum to til tre dager", "personalmappen i Websak",
                "kan avtalen sies opp med umiddelbar virkning", "Hva er endret i siste versjon?",
                "Ny prosedyre for hjemmekontor.", "§§ 2-2, 2-3, 2-10 og 2-11",
                "Hvordan er støyforholdene og mulighetene for å konsentrere seg?"]),
        ("nn", ["Vedteke i MBM 24/8-21", "kvar 6. månad", "to gonger i året",
                "minst to til tre dagar", "personalmappa i Websak",
                "kan avtalen seiast opp med straks verknad", "Kva er endra i siste versjon?",
                "Ny prosedyre for heimekontor.", "§§ 2-2, 2-3, 2-10 og 2-11",
                "Korleis er støyforholda og moglegheitene til å konsentrere seg?"]),
    ],
)  # fmt: skip
def test_municipality_procedure_keeps_its_facts(
    default_site: Path, lang: str, facts: list[str]
) -> None:
    text = page(default_site, lang, KOMMUNE)
    missing = [fact for fact in facts if fact not in text]
    assert not missing
    for heading in {"nb": ["Formål", "Omfang/virkeområde", "Ansvar", "Aktivitet/beskrivelse",
                           "Vedlegg", "Referanser"],
                    "nn": ["Føremål", "Omfang/verkeområde", "Ansvar", "Aktivitet/skildring",
                           "Vedlegg", "Referansar"]}[lang]:  # fmt: skip
        assert f'>{heading}<a class="headerlink"' in text, heading


@pytest.mark.parametrize(
    ("lang", "facts"),
    [
        ("nb", ["inntil 2 dager per uke", "flere enn 2 dager", "mindre enn 1 dag i uken",
                "kortere varighet enn én måned", "fram til juni 2022", "Leverandøren Waco",
                "PC, tastatur, mus, én skjerm", "og kontorstol", "hytte eller annet sted",
                "FOR-2002-07-05-715", "Originalteksten er skrevet på nynorsk"]),
        ("nn", ["inntil 2 dagar per veke", "fleire enn 2 dagar", "mindre enn 1 dag i veka",
                "kortare varigheit enn ein månad", "fram til juni 2022", "Leverandøren Waco",
                "PC, tastatur, mus, ein skjerm", "og kontorstol", "hytte eller annan stad",
                "FOR-2002-07-05-715"]),
    ],
)  # fmt: skip
def test_vestland_guideline_keeps_its_facts(
    default_site: Path, lang: str, facts: list[str]
) -> None:
    text = page(default_site, lang, VESTLAND)
    missing = [fact for fact in facts if fact not in text]
    assert not missing


def test_nav_is_by_organisation(default_site: Path) -> None:
    start = page(default_site, "nn", "index.html")
    assert 'href="oversikt/"' in start  # the organisation index, from the start page
    index = page(default_site, "nn", "oversikt/index.html")
    assert index.index("Kommunen") < index.index("Vestland fylkeskommune")
    assert 'href="../kommune/hjemmekontor/"' in index
    assert 'href="../vestland-fylkeskommune/heimekontor/"' in index


def _form_text(site: Path, lang: str, org: str, form: str) -> str:
    html = (site / lang / org / "skjema" / form / "index.html").read_text(encoding="utf-8")
    article = html[html.index("<article") : html.index("</article>")]
    return " ".join(article.split())


@pytest.mark.parametrize(
    ("lang", "lines"),
    [
        ("nb", {"checklist": "Sjekklisten for hjemmekontoret er fylt ut", "measures": "Avtalte tiltak",
                "photo": "bilde av hjemmekontoret", "archive": "personalmappen i Websak",
                "own_home": "Avtalen gjelder bare arbeid i eget hjem.",
                "benchmark": "arbeidsplassforskriften"}),
        ("nn", {"checklist": "Sjekklista for heimekontoret er fylt ut", "measures": "Avtalte tiltak",
                "photo": "bilete av heimekontoret", "archive": "personalmappa i Websak",
                "own_home": "Avtalen gjeld berre arbeid i eigen heim.",
                "benchmark": "arbeidsplassforskrifta"}),
    ],
)  # fmt: skip
def test_shared_forms_state_only_what_each_policy_says(
    default_site: Path, lang: str, lines: dict[str, str]
) -> None:
    kommune = _form_text(default_site, lang, "kommune", "avtale")
    vestland = _form_text(default_site, lang, "vestland-fylkeskommune", "avtale")
    # The municipality's procedure has the checklist basis, measures, the photo and Websak;
    # Vestland's guideline has none of them, but says home means the employee's own home.
    for key in ("checklist", "measures", "photo", "archive"):
        assert lines[key] in kommune, key
        assert lines[key] not in vestland, key
    assert lines["own_home"] in vestland
    assert lines["own_home"] not in kommune
    # The checklist names arbeidsplassforskriften as the employer's benchmark only where the
    # policy makes it one.
    assert lines["benchmark"] in _form_text(default_site, lang, "kommune", "sjekkliste")
    assert lines["benchmark"] not in _form_text(
        default_site, lang, "vestland-fylkeskommune", "sjekkliste"
    )
