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
    assert start.index("Kommunen") < start.index("Vestland fylkeskommune")
    assert 'href="kommune/hjemmekontor/"' in start
    assert 'href="vestland-fylkeskommune/heimekontor/"' in start
