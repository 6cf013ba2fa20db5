"""Real builds of the minimal fixture: the exact pages produced, per-language sites and search
indexes, rules flowing into text, reproducible output, and a site that is never half-built."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generator import BuildError, Paths, build
from generator import addresses as at
from tests.conftest import ROOT, build_site, copy_site, fixture_content, tree_digest
from tests.test_validate import POLICY, replace

GUIDE = "testkommune/heimekontor/index.html"
ATOM = "{http://www.w3.org/2005/Atom}"


def html(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def manifest(site: Path) -> dict:
    return json.loads((site / "manifest.json").read_text(encoding="utf-8"))


def search_pages(site: Path, lang: str, index: str = f"{at.SEARCH}/*/") -> list[dict]:
    """What Pagefind stored for each page of ``lang``'s indexes over every organisation (or
    of the one in ``index``, a folder below the written form's): address, text, filters,
    title. Its fragments are gzip, a ``pagefind_dcd`` signature, then JSON."""
    pages = []
    for fragment in sorted((site / lang).glob(f"{index}fragment/*.pf_fragment")):
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(b"pagefind_dcd"), fragment
        pages.append(json.loads(data.removeprefix(b"pagefind_dcd")))
    return pages


def test_manifest_lists_exactly_the_pages_produced(minimal_site: Path) -> None:
    data = manifest(minimal_site)
    assert data["languages"] == ["nb", "nn"]
    rows = {(e["kind"], e["lang"], e["org"], e["id"], e["path"]) for e in data["entries"]}
    expected = {("language-choice", None, None, None, "index.html")}
    for lang in ("nb", "nn"):
        expected |= {
            ("home", lang, None, None, f"{lang}/index.html"),
            ("organisations", lang, None, None, f"{lang}/oversikt/index.html"),
            ("organisation", lang, "testkommune", None, f"{lang}/testkommune/index.html"),
            ("guideline", lang, "testkommune", "heimekontor", f"{lang}/{GUIDE}"),
            ("changelog", lang, None, None, f"{lang}/endringslogg/index.html"),
            ("changelog-feed", lang, None, None, f"{lang}/feed.xml"),
            ("not-found", lang, None, None, f"{lang}/404.html"),
            ("forms", lang, None, None, f"{lang}/skjema/index.html"),
            ("statement", lang, None, None, f"{lang}/uu/index.html"),
            (
                "guideline-pdf",
                lang,
                "testkommune",
                "heimekontor",
                f"{lang}/testkommune/heimekontor.pdf",
            ),
        }
        # The fixture lends no equipment, so it gets no loan receipt (utstyrslan).
        for form in ("avtale", "sjekkliste", "oppfolgingssamtale"):
            expected |= {
                ("form", lang, "testkommune", form, f"{lang}/testkommune/skjema/{form}/index.html"),
                ("form-pdf", lang, "testkommune", form, f"{lang}/testkommune/skjema/{form}.pdf"),
            }
    assert rows == expected
    for entry in data["entries"]:
        digest = hashlib.sha256((minimal_site / entry["path"]).read_bytes()).hexdigest()
        assert entry["sha256"] == digest, entry["path"]
    titles = {(e["lang"], e["kind"]): e["title"] for e in data["entries"]}
    assert titles["nb", "guideline"] == "Hjemmekontor i Testkommune"
    assert all(e["fields"] for e in data["entries"] if e["kind"] == "form-pdf")
    assert not [e for e in data["entries"] if e["kind"] != "form-pdf" and "fields" in e]
    assert titles["nn", "guideline"] == "Heimekontor i Testkommune"


def test_every_html_page_of_the_site_is_in_the_manifest(minimal_site: Path) -> None:
    listed = {entry["path"] for entry in manifest(minimal_site)["entries"]}
    produced = {str(p.relative_to(minimal_site)) for p in minimal_site.rglob("*.html")}
    assert produced == {path for path in listed if path.endswith(".html")}


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_each_language_is_its_own_site(minimal_site: Path, lang: str) -> None:
    for entry in manifest(minimal_site)["entries"]:
        if entry["lang"] == lang and entry["path"].endswith(".html"):
            assert f'<html lang="{lang}"' in html(minimal_site, entry["path"]), entry["path"]
    entry = json.loads(html(minimal_site, f"{lang}/{at.search_part(0)}pagefind-entry.json"))
    assert list(entry["languages"]) == [lang]  # Pagefind's Norwegian stemmer for nb and nn
    indexed = search_pages(minimal_site, lang)
    pages = {
        e["path"]
        for e in manifest(minimal_site)["entries"]
        if e["lang"] == lang and e["path"].endswith(".html") and e["kind"] != "not-found"
    }
    expected = {"/" + path.removeprefix(f"{lang}/").removesuffix("index.html") for path in pages}
    assert {page["url"] for page in indexed} == expected
    # What a reader is shown of each page: its text, its title and its sections' names (not
    # its elements' ids: a form's are its fields' names, "f-dager-per-uke").
    shown = [(p["content"], p["meta"], [a["text"] for a in p["anchors"]]) for p in indexed]
    text = json.dumps(shown, ensure_ascii=False)
    own, other = {
        "nb": ("Hjemmekontor i", "Heimekontor i"),
        "nn": ("Heimekontor i", "Hjemmekontor i"),
    }[lang]
    assert own in text
    assert other not in text, f"the {lang} search index holds a page of the other written form"
    other_words = {"nb": ["dagar", "veka", "Leiaren"], "nn": ["dager", "uken", "Lederen"]}[lang]
    assert not [word for word in other_words if re.search(rf"\b{word}\b", text)]
    # Only the article is indexed: the navigation, header and footer are not words of a page.
    statement = {"nb": "Tilgjengelighetserklæring", "nn": "Tilgjengelegheitserklæring"}[lang]
    home = next(page for page in indexed if page["url"] == "/")
    assert statement not in home["content"] and "¶" not in home["content"], home["content"]
    # Each organisation page's result title names its organisation, and the organisation's own
    # index (the scoped search's) has its pages and no other; the site-wide pages are in none.
    for page in indexed:
        if page["url"].startswith("/testkommune/"):
            assert "Testkommune" in page["meta"]["title"], page["meta"]
    own_index = search_pages(minimal_site, lang, at.organisation_search("testkommune"))
    assert {page["url"] for page in own_index} == {
        url for url in expected if url.startswith("/testkommune/")
    }


def test_language_switch_points_to_the_same_page(minimal_site: Path) -> None:
    page = html(minimal_site, f"nb/{GUIDE}")
    switch = re.search(r'<a class="policy-lang-switch" href="([^"]+)"', page)
    assert switch is not None
    target = (minimal_site / "nb" / "testkommune" / "heimekontor" / switch.group(1)).resolve()
    assert target == (minimal_site / "nn" / "testkommune" / "heimekontor").resolve()


def test_heading_anchors_keep_norwegian_letters(minimal_site: Path) -> None:
    assert 'id="oppfølging-og-særlige-tilfeller"' in html(minimal_site, f"nb/{GUIDE}")
    assert 'id="oppfølging-og-særlege-høve"' in html(minimal_site, f"nn/{GUIDE}")
    assert 'id="andre-vilkår"' in html(minimal_site, f"nn/{GUIDE}")


def test_guideline_page_shows_its_metadata(minimal_site: Path) -> None:
    nb = html(minimal_site, f"nb/{GUIDE}")
    for expected in [
        '<th scope="row">Versjon</th><td>2.0</td>',
        "<td>Gjeldende</td>",
        '<th scope="row">Vedtatt</th><td>Kommunestyret, 1. mars 2024</td>',
        "<li>Vedtatt i kommunestyret 1. mars 2024</li>",
        '<th scope="row">Gjelder fra</th><td>1. april 2024</td>',
        '<th scope="row">Neste revisjon</th><td>1. april 2025</td>',
        "Hva er endret i siste versjon?",
        "Færre dager på hjemmekontor.",
        'href="https://lovdata.no/lov/2005-06-17-62"',
        "Arbeidsmiljøloven §§ 14-5 og 14-6",
        "Originalteksten er skrevet på nynorsk",
    ]:
        assert expected in nb, expected
    assert 'href="../../../nn/testkommune/heimekontor/"' in nb
    nn = html(minimal_site, f"nn/{GUIDE}")
    assert "Kva er endra i siste versjon?" in nn
    assert "Færre dagar på heimekontor." in nn
    assert "Arbeidsmiljølova §§ 14-5 og 14-6" in nn
    assert "Originalteksten er skriven" not in nn  # nn is the original here


def test_changelog_and_feed_list_changes_newest_first(minimal_site: Path) -> None:
    page = html(minimal_site, "nb/endringslogg/index.html")
    assert page.index("Færre dager på hjemmekontor.") < page.index("Første versjon.")
    feed = ET.parse(minimal_site / "nb" / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}updated") == "2024-03-01T00:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}updated")[:10] for e in entries] == ["2024-03-01", "2023-01-15"]
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link == "http://localhost:8000/nb/testkommune/heimekontor/"  # site_url in mkdocs.yml
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 2
    nn_feed = ET.parse(minimal_site / "nn" / "feed.xml").getroot()
    assert "Færre dagar på heimekontor." in nn_feed.find(f"{ATOM}entry").findtext(f"{ATOM}summary")


def test_pages_load_nothing_from_other_hosts(minimal_site: Path) -> None:
    for page in minimal_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", text):
            if 'rel="canonical"' in tag:
                continue  # an address, never fetched
            assert not re.search(r'(?:src|href)="(?:https?:)?//', tag), f"{page}: {tag}"
        assert "fonts.googleapis" not in text


def test_a_preview_keeps_the_last_built_pdfs_and_links_to_them(
    tmp_path: Path, minimal_site: Path
) -> None:
    site = copy_site(minimal_site, tmp_path / "site")
    before = {path.relative_to(site): path.read_bytes() for path in site.rglob("*.pdf")}
    assert before

    build(Paths.default(ROOT, fixture_content("minimal", tmp_path), site), pdfs=False, jobs=1)

    assert {path.relative_to(site): path.read_bytes() for path in site.rglob("*.pdf")} == before
    guideline = (site / "nb" / "testkommune" / "heimekontor" / "index.html").read_text("utf-8")
    assert "PDF ikke bygget" not in guideline and ".pdf" in guideline


def test_a_changed_rule_reaches_every_page_that_shows_it(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(POLICY, "home_days_per_week_max: 2", "home_days_per_week_max: 4")(content)
    site = build_site(content, tmp_path / "site", pdfs=False)  # pages only

    expected = {"nb": "inntil 4 dager i uken", "nn": "inntil 4 dagar i veka"}
    for lang, phrase in expected.items():
        page = html(site, f"{lang}/{GUIDE}")
        assert phrase in page
        assert phrase.replace("4", "2") not in page
        assert any(phrase in page["content"] for page in search_pages(site, lang))


def test_two_builds_are_byte_identical(tmp_path: Path, minimal_site: Path) -> None:
    again = build_site(fixture_content("minimal", tmp_path), tmp_path / "again")
    assert tree_digest(again) == tree_digest(minimal_site)


def test_a_successful_build_replaces_the_whole_site(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    (site / "stale.html").write_text("old")
    build_site(content, site, pdfs=False)
    assert not (site / "stale.html").exists()
    assert (site / "manifest.json").is_file()
    assert not list(tmp_path.glob(".site.new-*")) + list(tmp_path.glob(".site.old-*")), (
        "staging folders were left behind"
    )


def test_a_failing_mkdocs_stage_leaves_the_site_as_it_was(
    tmp_path: Path, minimal_site: Path
) -> None:
    """A broken link is a MkDocs warning; warnings fail the build before the swap."""
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")  # what building ``content`` gives
    before = tree_digest(site)
    nb = content / "policies" / "heimekontor" / "nb.yml"
    nb.write_text(nb.read_text().replace("egen bolig.", "egen bolig. Se [skjema](mangler.md)."))

    with pytest.raises(
        BuildError, match=r"(?s)MkDocs build for 'nb' failed:\n  \S+/nb\.yml:15:56: .*'mangler\.md'"
    ):
        build(Paths.default(ROOT, content, site), jobs=1)

    assert tree_digest(site) == before
    assert not list(tmp_path.glob(".site.new-*"))
