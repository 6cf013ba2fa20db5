"""Many organisations: a page's weight does not grow with their number, and a preview build
without PDFs keeps the links honest."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from benchmarks.content import write_content
from generator import Paths, build
from tests.conftest import ROOT, copy_site, fixture_content


def _pages(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_size for p in site.rglob("*.html")}


def _nav_links(page: Path) -> list[str]:
    text = page.read_text("utf-8")
    nav = text[text.index("md-nav--primary") :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    built = {}
    for orgs in (3, 30):
        base = tmp_path_factory.mktemp(f"orgs{orgs}")
        write_content(base / "content", orgs)
        site = base / "site"
        build(Paths.default(ROOT, base / "content", site), pdfs=False, jobs=1)
        built[orgs] = site
    return built


def test_the_largest_page_does_not_grow_with_the_organisations(sites: dict[int, Path]) -> None:
    small, large = _pages(sites[3]), _pages(sites[30])
    assert len(large) > 5 * len(small) // 2  # the 30 organisations were really built
    assert max(large.values()) <= 1.10 * max(small.values()), (
        max(large, key=large.__getitem__),
        max(large.values()),
        max(small.values()),
    )


def test_a_page_shows_its_own_organisation_and_the_way_to_the_others(
    sites: dict[int, Path],
) -> None:
    site = sites[30] / "nb"
    orgs = sorted(p.parents[2].name for p in site.glob("*/skjema/avtale/index.html"))
    assert len(orgs) == 30
    own, other = orgs[0], orgs[1]
    links = _nav_links(site / own / "skjema" / "avtale" / "index.html")
    # Its own guideline and forms, the organisation index; nothing of another organisation.
    assert "../sjekkliste/" in links and "../../../oversikt/" in links, links
    assert not [link for link in links if f"/{other}/" in link], links
    index = (site / "oversikt" / "index.html").read_text("utf-8")
    for org in orgs:  # the index reaches every organisation
        assert f'href="../{org}/"' in index, org


def test_a_preview_without_pdfs_keeps_built_pdfs_and_marks_the_others(
    tmp_path: Path, minimal_site: Path
) -> None:
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")  # a full build of ``content``
    pdfs = sorted(p.relative_to(site) for p in site.rglob("*.pdf"))
    assert pdfs
    kept, gone = pdfs[0], pdfs[1:]
    old = (site / kept).read_bytes()
    for path in gone:  # as if they had never been built
        (site / path).unlink()
    build(Paths.default(ROOT, content, site), pdfs=False, jobs=1)

    assert sorted(p.relative_to(site) for p in site.rglob("*.pdf")) == [kept]
    assert (site / kept).read_bytes() == old
    # Every PDF link on every page leads to a file; the missing ones are named as not built.
    not_built = 0
    for page in site.rglob("*.html"):
        text = page.read_text("utf-8")
        for target in re.findall(r'href="([^"#]+\.pdf)"', text):
            assert (page.parent / target).resolve().is_file(), (page, target)
        not_built += text.count("PDF ikke bygget") + text.count("PDF ikkje bygd")
    assert not_built >= len(gone)
    manifest = (site / "manifest.json").read_text("utf-8")
    assert str(kept) in manifest and not [p for p in gone if str(p) in manifest]

    shutil.rmtree(site)  # from nothing: no PDF, no PDF link
    build(Paths.default(ROOT, content, site), pdfs=False, jobs=1)
    assert not list(site.rglob("*.pdf"))
    assert not [p for p in site.rglob("*.html") if ".pdf" in p.read_text("utf-8")]
