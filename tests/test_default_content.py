"""The project's own content: both sources in both written forms, with every rule and fact."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
KOMMUNE = "kommune/hjemmekontor/index.html"
VESTLAND = "vestland-fylkeskommune/heimekontor/index.html"


def page(site: Path, lang: str, path: str) -> str:
    """Page HTML with runs of white space folded and inline markup (links, abbreviations)
    around words taken out, as a reader sees the text."""
    html = (site / lang / path).read_text(encoding="utf-8")
    html = re.sub(r"</?abbr\b[^>]*>", "", html)
    html = re.sub(r'<a href="#[^"]*">(.*?)</a>', r"\1", html, flags=re.S)
    return " ".join(html.split())


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
        (
            "nb",
            [
                "Vedtatt i MBM 24/8-21",
                "hver 6. måned",
                "to ganger i året",
                "minimum to til tre dager",
                "personalmappen i Websak",
                "kan avtalen sies opp med umiddelbar virkning",
                "Hva er endret i siste versjon?",
                "Ny prosedyre for hjemmekontor.",
                "§§ 2-2, 2-3, 2-10 og 2-11",
                "Hvordan er støyforholdene og mulighetene for å konsentrere seg?",
            ],
        ),
        (
            "nn",
            [
                "Vedteke i MBM 24/8-21",
                "kvar 6. månad",
                "to gonger i året",
                "minst to til tre dagar",
                "personalmappa i Websak",
                "kan avtalen seiast opp med straks verknad",
                "Kva er endra i siste versjon?",
                "Ny prosedyre for heimekontor.",
                "§§ 2-2, 2-3, 2-10 og 2-11",
                "Korleis er støyforholda og moglegheitene til å konsentrere seg?",
            ],
        ),
    ],
)
def test_municipality_procedure_keeps_its_facts(
    default_site: Path, lang: str, facts: list[str]
) -> None:
    text = page(default_site, lang, KOMMUNE)
    missing = [fact for fact in facts if fact not in text]
    assert not missing
    for heading in {
        "nb": [
            "Formål",
            "Omfang/virkeområde",
            "Ansvar",
            "Aktivitet/beskrivelse",
            "Vedlegg",
            "Referanser",
        ],
        "nn": [
            "Føremål",
            "Omfang/verkeområde",
            "Ansvar",
            "Aktivitet/skildring",
            "Vedlegg",
            "Referansar",
        ],
    }[lang]:
        assert f'>{heading}<a class="headerlink"' in text, heading


@pytest.mark.parametrize(
    ("lang", "facts"),
    [
        (
            "nb",
            [
                "inntil to dager per uke",
                "flere enn to dager",
                "mindre enn én dag i uken",
                "kortere varighet enn én måned",
                "fram til juni 2022",
                "Leverandøren Waco",
                "PC, tastatur, mus, én skjerm",
                "og kontorstol",
                "hytte eller annet sted",
                "FOR-2002-07-05-715",
                "Originalteksten er skrevet på nynorsk",
            ],
        ),
        (
            "nn",
            [
                "inntil to dagar per veke",
                "fleire enn to dagar",
                "mindre enn ein dag i veka",
                "kortare varigheit enn ein månad",
                "fram til juni 2022",
                "Leverandøren Waco",
                "PC, tastatur, mus, ein skjerm",
                "og kontorstol",
                "hytte eller annan stad",
                "FOR-2002-07-05-715",
            ],
        ),
    ],
)
def test_vestland_guideline_keeps_its_facts(
    default_site: Path, lang: str, facts: list[str]
) -> None:
    text = page(default_site, lang, VESTLAND)
    missing = [fact for fact in facts if fact not in text]
    assert not missing


def _article(site: Path, lang: str, path: str) -> str:
    html = page(site, lang, path)
    return html[html.index("<article") : html.index("</article>")]


def test_nynorsk_corrections_hold() -> None:
    vestland = (ROOT / "content/policies/vestland-fylkeskommune-heimekontor/nn.yml").read_text(
        encoding="utf-8"
    )
    folded = " ".join(vestland.split())
    assert "eiga heim" not in folded and "eigen heim" in folded
    assert "særskilt avtale" not in folded and "særskild avtale" in folded
    kommune = " ".join(
        (ROOT / "content/policies/kommune-hjemmekontor/nn.yml").read_text(encoding="utf-8").split()
    )
    assert "Tiltaka vert dokumenterte i avtalen" in kommune
    assert "(pult, stol og belysning)" in kommune
    assert "delta fysisk på planlagde møte" in kommune
    assert not re.search(r"\bpc\b", kommune)


def test_nynorsk_site_says_vert_not_blir(default_site: Path) -> None:
    # One choice for the whole Nynorsk site: the policies' own "vert".
    pages = [
        "index.html",
        "uu/index.html",
        "endringslogg/index.html",
        KOMMUNE,
        VESTLAND,
        "kommune/skjema/avtale/index.html",
        "vestland-fylkeskommune/skjema/avtale/index.html",
    ]
    for path in pages:
        article = _article(default_site, "nn", path)
        assert not re.search(r"\bblir\b", article), path
    assert "vert berre lagra" in _article(default_site, "nn", "kommune/skjema/avtale/index.html")


@pytest.mark.parametrize(
    ("lang", "path", "heading"),
    [
        ("nb", KOMMUNE, "Hjemmekontor – Kommunen"),
        ("nn", KOMMUNE, "Heimekontor – Kommunen"),
        (
            "nb",
            VESTLAND,
            "Videre bruk av hjemmekontor – økt fleksibilitet – Vestland fylkeskommune",
        ),
        (
            "nn",
            VESTLAND,
            "Vidare bruk av heimekontor – auka fleksibilitet – Vestland fylkeskommune",
        ),
    ],
)
def test_guideline_heading_and_title_name_the_organisation(
    default_site: Path, lang: str, path: str, heading: str
) -> None:
    html = page(default_site, lang, path)
    assert re.search(rf"<h1 [^>]*>{re.escape(heading)}", html)
    assert re.search(rf"<title>{re.escape(heading)} - ", html)


@pytest.mark.parametrize(
    ("lang", "see", "mbm", "pdf"),
    [
        ("nb", "se vedlegg", "medbestemmelsesmøte", "Avtale om hjemmekontor, utfyllbar PDF"),
        ("nn", "sjå vedlegg", "medbestemmingsmøte", "Avtale om heimekontor, utfyllbar PDF"),
    ],
)
def test_guideline_links_and_abbreviations(
    default_site: Path, lang: str, see: str, mbm: str, pdf: str
) -> None:
    html = " ".join((default_site / lang / KOMMUNE).read_text(encoding="utf-8").split())
    assert f'<a href="#vedlegg">{see}</a>' in html
    assert '<h2 id="vedlegg">' in html
    assert f'<abbr title="{mbm}">MBM</abbr>' in html
    assert re.search(rf'<a href="[^"]*avtale\.pdf" type="application/pdf">{pdf}</a>', html)
    vestland = " ".join((default_site / lang / VESTLAND).read_text(encoding="utf-8").split())
    assert '<abbr title="Vestland fylkeskommune">VLFK</abbr>' in vestland


def test_vestland_closing_paragraphs_have_their_own_heading(default_site: Path) -> None:
    html = _article(default_site, "nn", VESTLAND)
    headings = re.findall(r"<h2 [^>]*>([^<]*)", html)
    assert headings[:6] == [
        "Kor mange dagar på heimekontor",
        "Fleksibilitet og tillit",
        "Kvar arbeidet skjer",
        "Tilrettelegging av arbeid i arbeidstakars heim/heimekontor",
        "Heimekontor og yrkesskadeforsikring",
        "Erfaringar og vidare arbeid",
    ]
    closing = html.index("Vi tek med oss gode erfaringar")
    assert html.rindex("<h2", 0, closing) == html.index('<h2 id="erfaringar-og-vidare-arbeid"')


def test_vestland_tells_readers_what_is_dated(default_site: Path) -> None:
    for lang, intro in (
        ("nb", "Denne retningslinjen er fra 2021 og er ikke gjennomgått siden."),
        ("nn", "Denne retningslina er frå 2021 og er ikkje gjennomgått sidan."),
    ):
        html = _article(default_site, lang, VESTLAND)
        notice = html[html.index('class="admonition warning ps-dated"') :]
        notice = notice[: notice.index("</div>")]
        assert intro in notice
        assert notice.count("<li data-ps-until") == 4 and "hidden" not in notice


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
        (
            "nb",
            {
                "checklist": "Sjekklisten for hjemmekontoret er fylt ut",
                "measures": "Avtalte tiltak",
                "photo": "bilde av hjemmekontoret",
                "archive": "personalmappen i Websak",
                "own_home": "Avtalen gjelder bare arbeid i eget hjem.",
                "benchmark": "arbeidsplassforskriften",
            },
        ),
        (
            "nn",
            {
                "checklist": "Sjekklista for heimekontoret er fylt ut",
                "measures": "Avtalte tiltak",
                "photo": "bilete av heimekontoret",
                "archive": "personalmappa i Websak",
                "own_home": "Avtalen gjeld berre arbeid i eigen heim.",
                "benchmark": "arbeidsplassforskrifta",
            },
        ),
    ],
)
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


class _Links(HTMLParser):
    """Every address a page links to or loads (href, src), with the tag that names it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append((tag, value))


def test_every_address_within_the_site_leads_to_a_file(default_site: Path) -> None:
    """A reader never meets a link into the site that gives "not found": each relative href
    and src of every page (raw HTML in the templates too, which MkDocs does not check)."""
    broken = []
    for html in sorted(default_site.rglob("*.html")):
        links = _Links()
        links.feed(html.read_text(encoding="utf-8"))
        for tag, value in links.found:
            address = urlsplit(value)
            if address.scheme or address.netloc or not address.path:
                continue  # another host, mailto:, or this page's own anchor
            # The "not found" pages use addresses from the site's root: served at any address.
            base = default_site if address.path.startswith("/") else html.parent
            target = (base / unquote(address.path).lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{html.relative_to(default_site)}: <{tag}> {value}")
    assert not broken, "\n".join(broken[:20])
