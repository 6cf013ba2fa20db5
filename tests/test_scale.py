"""Many organisations: a page's weight does not grow with their number, and a preview build
without PDFs keeps the links honest."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest

import generator.pipeline
from benchmarks.content import change_one_rule, write_content
from generator import Paths, build
from generator import addresses as at
from tests.conftest import INDEX_SIZE, PART_SIZE, ROOT, copy_site, fixture_content
from tests.test_build import search_pages


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


def _outside_search(site: Path) -> list[str]:
    """Every file of a site but its search index."""
    return sorted(
        str(p.relative_to(site))
        for p in site.rglob("*")
        if p.is_file() and at.SEARCH not in p.parts
    )


def _article(page: Path) -> str:
    text = page.read_text("utf-8")
    return text[text.index("<article") : text.index("</article>")]


def test_a_site_built_in_parts_has_every_page_of_the_site_built_whole(
    in_parts: dict[str, Path],
) -> None:
    whole, parts = in_parts["whole"], in_parts["parts"]
    assert _outside_search(parts) == _outside_search(whole)
    for lang in ("nb", "nn"):
        # The parts' indexes hold every page once, as the whole site's one index does.
        ours, theirs = (
            sorted((page["url"], page["content"]) for page in search_pages(site, lang))
            for site in (parts, whole)
        )
        assert ours == theirs
        assert sorted(p.name for p in (parts / lang / at.SEARCH).iterdir()) == ["0", "1"]
        # Each organisation's own index is the same whichever part built it.
        own = [
            {
                p.relative_to(site): p.read_bytes()
                for p in (site / lang).glob(f"*/{at.SEARCH}/**/*")
                if p.is_file()
            }
            for site in (parts, whole)
        ]
        assert own[0] == own[1] and len({p.parts[1] for p in own[0]}) == 6
        # One sitemap lists every page, and its gzipped twin says the same.
        listed = [
            sorted(re.findall(r"<loc>(.*?)</loc>", (site / lang / at.SITEMAP).read_text()))
            for site in (parts, whole)
        ]
        assert listed[0] == listed[1] and len(listed[0]) > 6 * 5
        sitemap = (parts / lang / at.SITEMAP).read_bytes()
        assert gzip.decompress((parts / lang / f"{at.SITEMAP}.gz").read_bytes()) == sitemap
    for page in whole.rglob("*.html"):
        if "<article" in page.read_text("utf-8"):
            assert _article(parts / page.relative_to(whole)) == _article(page), page


def test_a_change_to_one_organisation_builds_its_part_only(
    tmp_path: Path, in_parts: dict[str, Path]
) -> None:
    site = copy_site(in_parts["parts"], tmp_path / "site")
    content = tmp_path / "content"
    shutil.copytree(in_parts["content"], content)
    change_one_rule(sorted(content.glob("policies/*/policy.yml"))[-1])
    lines: list[str] = []
    paths = Paths.default(ROOT, content, site)
    build(paths, lines.append, pdfs=False, jobs=1, part_size=PART_SIZE, index_size=INDEX_SIZE)

    built = sorted(line.split(":")[0] for line in lines if line.startswith("Built "))
    kept = [line for line in lines if "unchanged, MkDocs not run" in line]
    indexed = sorted(line.split(":")[0] for line in lines if line.startswith("Indexed "))
    assert built == ["Built nb (part 3 of 3)", "Built nn (part 3 of 3)"], lines
    assert len(kept) == 4, lines
    # Only the search index of the changed part's pages is made again.
    assert indexed == ["Indexed nb (2 of 2) for the search", "Indexed nn (2 of 2) for the search"]


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


def test_the_parts_of_a_written_form_only_read_the_markdown_they_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts are built side by side from one Markdown folder: a part that wrote there (the
    assets, say) would race the others."""
    write_content(tmp_path / "content", 4)
    real = generator.pipeline.build_language

    def reading_only(*args: object, docs_dir: Path, **kwargs: object) -> tuple[int, int]:
        before = _stamps(docs_dir)
        result = real(*args, docs_dir=docs_dir, **kwargs)  # type: ignore[arg-type]
        assert _stamps(docs_dir) == before, "a part's MkDocs build changed the Markdown folder"
        return result

    monkeypatch.setattr(generator.pipeline, "build_language", reading_only)
    paths = Paths.default(ROOT, tmp_path / "content", tmp_path / "site")
    build(paths, pdfs=False, jobs=1, part_size=2)

    assert (tmp_path / "site" / "nb" / "assets").is_dir()


def _stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
    }
