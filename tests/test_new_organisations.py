"""Two organisations written only as YAML (tests/fixtures/new-orgs): a Nynorsk municipality
whose routine names its approving body but no date or version, with documents and a link; and a
voluntary organisation (not a public body) with a rule of its own, in kroner, used in its texts
and in a section it adds to the agreement. The site shows exactly what the YAML holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import FIXTURES, ROOT, build_site, fixture_content

MONTHS = "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember"
FJORDVIK = "fjordvik-kommune/heimekontor"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("new-orgs")
    return build_site(fixture_content("new-orgs", base), base / "site")


def manifest(site: Path) -> list[dict]:
    return json.loads((site / "manifest.json").read_text("utf-8"))["entries"]


def page_text(path: Path) -> str:
    html = path.read_text("utf-8")
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def article(path: Path) -> str:
    html = path.read_text("utf-8")
    found = re.search(r"<article[^>]*>(.*?)</article>", html, flags=re.DOTALL)
    assert found is not None
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def content_dates() -> set[str]:
    """Every date the fixture's YAML and the form definitions hold, as ISO text."""
    found: set[str] = set()
    for path in [*(FIXTURES / "new-orgs").rglob("*.yml"), *(ROOT / "forms").glob("*.yml")]:
        found |= set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", path.read_text("utf-8")))
    return found


def test_nothing_is_made_up_for_a_policy_without_date_or_version(site: Path) -> None:
    for lang, owner_words in (
        ("nb", ("Ikke oppgitt", "dato ikke oppgitt")),
        ("nn", ("Ikkje oppgitt", "dato ikkje oppgitt")),
    ):
        text = article(site / lang / FJORDVIK / "index.html")
        version = re.search(r"Versjon (\S+ \S+)", text)
        assert version is not None and version.group(1) == owner_words[0], text
        assert f"Formannskapet ({owner_words[1]})" in text
        # No change log, so no "what's changed" box and no change-log entry or feed entry.
        assert "endra i siste versjon" not in text and "endret i siste versjon" not in text
        feed = (site / lang / "feed.xml").read_text("utf-8")
        assert "fjordvik-kommune:heimekontor" not in feed
        changelog = article(site / lang / "endringslogg" / "index.html")
        assert "Fjordvik" not in changelog


def test_an_approving_body_named_in_each_written_form_reads_so(site: Path) -> None:
    for lang, body in (("nb", "Daglig leder"), ("nn", "Dagleg leiar")):
        text = article(site / lang / "frivillighjelpa" / "hjemmekontor" / "index.html")
        assert f"{body}, " in text, text


def test_no_date_appears_that_the_content_does_not_hold(site: Path) -> None:
    allowed = content_dates()
    written = {
        f"{int(d)}. {m} {y}"
        for y, mo, d in (a.split("-") for a in allowed)
        for m in [MONTHS.split("|")[int(mo) - 1]]
    }
    texts = {}
    for entry in manifest(site):
        path = site / entry["path"]
        if path.suffix in (".html", ".xml"):
            texts[entry["path"]] = path.read_text("utf-8")
        elif entry["kind"] in ("form-pdf", "guideline-pdf"):
            texts[entry["path"]] = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    texts["sitemap"] = (site / "nb" / "sitemap.xml").read_text("utf-8")
    # A page's date there would be the newest any content file states, not its own.
    assert "<lastmod>" not in texts["sitemap"]
    for name, text in texts.items():
        for iso in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", text):
            assert iso in allowed, f"{name} shows the date {iso}, which no content file holds"
        for day in re.findall(rf"\b\d{{1,2}}\. (?:{MONTHS}) \d{{4}}", text):
            assert day in written, f"{name} shows the date {day}, which no content file holds"
        for version in re.findall(r"[Vv]ersjon (\d[\w.]*)", text):
            assert version in ("2.1", "1.0"), f"{name} shows version {version}"  # policy, forms


def test_documents_and_links_are_listed_in_order_and_published(site: Path) -> None:
    folder = FIXTURES / "new-orgs" / "content" / "policies" / "fjordvik-heimekontor"
    documents = [e for e in manifest(site) if e["kind"] == "document"]
    assert sorted(e["path"] for e in documents) == sorted(
        f"{lang}/{FJORDVIK}/{name}"
        for lang in ("nb", "nn")
        for name in ("rutine-heimekontor.pdf", "rettleiar-it-tryggleik.odt")
    )
    for entry in documents:
        name = entry["path"].rsplit("/", 1)[1]
        assert (site / entry["path"]).read_bytes() == (folder / name).read_bytes()
        assert entry["org"] == "fjordvik-kommune"
    titles = {e["lang"]: e["title"] for e in documents if e["path"].endswith(".odt")}
    assert titles == {"nb": "Veileder for IT-sikkerhet", "nn": "Rettleiar for IT-tryggleik"}

    html = (site / "nn" / FJORDVIK / "index.html").read_text("utf-8")
    listing = html[html.index('id="vedlegg"') :]
    items = re.findall(r"<li>(.*?)</li>", listing, flags=re.DOTALL)[:4]
    shown = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip() for item in items]
    assert shown == [
        "Rutine for heimekontor (PDF, 1 kB)",
        "Avtale om heimekontor (Avtale om heimekontor, utfyllbar PDF)",
        "Rettleiar for IT-tryggleik (ODT, 2 kB)",
        "Arbeidstilsynet om heimekontor (nettside)",
    ]
    assert 'href="rutine-heimekontor.pdf"' in listing
    assert 'href="https://www.arbeidstilsynet.no/arbeidsforhold/hjemmekontor/"' in listing
    # One list: the forms are not listed a second time under a heading of their own.
    assert html.count("Avtale om heimekontor</a>") == 1


def test_a_new_money_rule_reads_in_kroner_in_texts_forms_and_pdfs(site: Path) -> None:
    for lang, words in (
        ("nb", "400 kroner i måneden til strøm"),
        ("nn", "400 kroner i månaden til straum"),
    ):
        assert words in article(site / lang / "frivillighjelpa" / "hjemmekontor" / "index.html")
        form = page_text(site / lang / "frivillighjelpa" / "skjema" / "avtale" / "index.html")
        assert "får 400 kroner i " in form
        assert "Heimekontortillegg" in form if lang == "nn" else "Hjemmekontortillegg" in form
        # The policy left out the insurance section and reworded the address hint.
        assert "forsikring" not in form.lower()
        reader = PdfReader(site / lang / "frivillighjelpa" / "skjema" / "avtale.pdf")
        fields = reader.get_fields() or {}
        assert "tillegg_mottatt" in fields
        assert "400 kroner" in str(fields["tillegg_mottatt"].get("/TU"))
    entry = next(
        e
        for e in manifest(site)
        if e["kind"] == "form-pdf" and e["org"] == "frivillighjelpa" and e["lang"] == "nb"
    )
    fields = entry["fields"]
    assert fields.index("tillegg_mottatt") > fields.index("utstyr")  # after the equipment section


def test_the_statement_states_the_duty_only_for_public_bodies(site: Path) -> None:
    nb = article(site / "nb" / "uu" / "index.html")
    assert "Offentlige virksomheter skal ha nettsteder" in nb
    assert "For Frivillighjelpa er erklæringen frivillig" in nb
    nn = article(site / "nn" / "uu" / "index.html")
    assert "For Frivillighjelpa er erklæringa frivillig" in nn


def test_a_site_of_organisations_that_are_not_public_bodies(tmp_path: Path) -> None:
    content = fixture_content("new-orgs", tmp_path)
    org = content / "organisations" / "fjordvik-kommune.yml"
    org.write_text(org.read_text("utf-8").replace("kind: public-body", "kind: other"), "utf-8")
    site = build_site(content, tmp_path / "site", pdfs=False)  # the statement page only
    text = article(site / "nb" / "uu" / "index.html")
    assert "Denne erklæringen er frivillig" in text
    assert "Offentlige virksomheter skal ha" not in text
    assert "uutilsynet" not in text


def test_no_rule_id_is_named_in_the_generator() -> None:
    """The code knows rule types; which rules exist is content (content/rules.yml)."""
    declared = [rule["id"] for rule in yaml.safe_load((ROOT / "content/rules.yml").read_text())]
    assert len(declared) > 20
    code = "\n".join(path.read_text("utf-8") for path in (ROOT / "generator").rglob("*.py"))
    named = [rule for rule in declared if re.search(rf"\b{re.escape(rule)}\b", code)]
    assert named == []
