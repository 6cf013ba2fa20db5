"""Render and print stages without MkDocs: the Markdown each page gets, and what a guideline's
PDF prints (fast: no build)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import addresses as at
from generator.fields import LANGUAGES
from generator.printing import GuidelinePrint, Printer
from generator.project import Project
from generator.render import Page, Rendered, _Made, nav, render_language
from generator.templates import load_strings
from generator.validate import load_project
from tests.conftest import FIXTURES, ROOT

TEMPLATES = ROOT / "site_templates"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Rendered], Path]:
    project = load_project(FIXTURES / "minimal" / "content", ROOT / "forms")
    strings = load_strings(TEMPLATES)
    docs = tmp_path_factory.mktemp("docs")
    out = {
        lang: render_language(
            project, lang, TEMPLATES, strings, docs / lang, f"https://example.org/{lang}/"
        )
        for lang in LANGUAGES
    }
    return out, docs


def test_every_page_is_written_where_its_address_says(rendered) -> None:
    out, docs = rendered
    for lang, result in out.items():
        kinds = {page.kind for page in result.pages}
        assert {"home", "organisation", "guideline", "form", "changelog", "statement"} <= kinds
        for page in result.pages:
            assert (docs / lang / page.src).is_file(), page.src
        assert (docs / lang / at.FEED).is_file()


def test_a_guideline_prints_without_its_own_pdf_link(rendered) -> None:
    out, docs = rendered
    result = out["nb"]
    guideline = next(page for page in result.pages if page.kind == "guideline")
    web = (docs / "nb" / guideline.src).read_text("utf-8")
    printed = result.printed[guideline.src]
    assert 'class="ps-guideline-pdf"' in web
    assert 'class="ps-guideline-pdf"' not in printed
    # Everything else is the same text.
    assert [line for line in web.splitlines() if "ps-guideline-pdf" not in line] == [
        line for line in printed.splitlines()
    ]


def test_the_navigation_names_each_organisation_with_its_pages(rendered) -> None:
    out, _docs = rendered
    project = load_project(FIXTURES / "minimal" / "content", ROOT / "forms")
    items = nav(project, out["nn"].pages, "Framside")
    sources = repr(items)
    assert at.HOME in sources and at.organisations_src() in sources
    for slug in project.organisations:
        assert at.organisation_src(slug) in sources


def test_the_printed_guideline_links_pages_by_address_and_keeps_no_script(rendered) -> None:
    printer = Printer(TEMPLATES, ROOT / "mkdocs.yml", load_strings(TEMPLATES), "")
    markdown = (
        "---\ntitle: T\n---\n\n# Tittel\n\nSe [skjemaet](skjema/avtale.md#del) og "
        "[lova](https://lovdata.no/).\n\n<script>alert(1)</script>\n\n## Del { #del }\n"
    )
    html = printer.article(GuidelinePrint("T", None, at.guideline_src("org", "x"), markdown))
    assert 'href="../skjema/avtale/#del"' in html
    assert 'href="https://lovdata.no/"' in html
    assert "<script" not in html and "title: T" not in html
    assert 'id="del"' in html and "headerlink" not in html


def test_an_organisations_pages_read_back_from_the_cache_as_they_were_rendered() -> None:
    # The texts follow a line of JSON by their lengths: any character may be in them.
    awkward = 'Linje 1\nlinje 2\r\n\u2028«æøå» 😀 \\ " \x00 {} [] 12'
    made = _Made()
    made.add(Page("form", "nb", "a/b.md", f"Tittel\n{awkward}", org="a", id="b"), awkward * 3)
    made.add(Page("guideline", "nb", "a/c.md", "C", org="a", nav_title="\n"), "")
    made.add(Page("organisation", "nb", "a/index.md", "A"), "\n" + awkward)
    made.printed["a/c.md"] = awkward + "\n"
    made.printed["a/d.md"] = ""

    again = _Made.loads(made.dumps())

    assert again == made
    assert _Made.loads(_Made().dumps()) == _Made()


@pytest.mark.parametrize("status", ["draft", "active", "retired"])
def test_a_draft_or_retired_guideline_says_so_first_on_its_page_and_pdf(
    tmp_path: Path, status: str
) -> None:
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal" / "content", content)
    policy = content / "policies" / "heimekontor" / "policy.yml"
    policy.write_text(policy.read_text("utf-8").replace("status: active", f"status: {status}"))
    project = load_project(content, ROOT / "forms")
    strings = load_strings(TEMPLATES)
    for lang in LANGUAGES:
        result = render_language(
            project, lang, TEMPLATES, strings, tmp_path / lang, f"https://example.org/{lang}/"
        )
        guideline = next(page for page in result.pages if page.kind == "guideline")
        web = (tmp_path / lang / guideline.src).read_text("utf-8")
        # The organisation's list of guidelines names the status of one not in force.
        overview = next(page for page in result.pages if page.kind == "organisation")
        marked = f"({strings[lang]['statuses'][status].lower()})" in (
            tmp_path / lang / overview.src
        ).read_text("utf-8")
        assert marked == (status != "active")
        notices = strings[lang]["status_notice"]
        for text in (web, result.printed[guideline.src]):
            shown = [kind for kind, notice in notices.items() if notice in text]
            assert shown == ([status] if status in notices else [])
            if shown:  # right under the heading, before the summary
                head = text.split("\n## ")[0]
                summary = project.policies[0].texts[lang].summary
                assert head.index(notices[status]) < head.index(summary)


def with_organisations(tmp_path: Path, names: dict[str, str]) -> tuple[Project, Path]:
    """The minimal content and more organisations (slug -> name), loaded; their pages in nb
    are rendered under the folder returned."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "minimal" / "content", content)
    for slug, name in names.items():
        (content / "organisations" / f"{slug}.yml").write_text(
            f"slug: {slug}\nname: {{nb: {name}, nn: {name}}}\nkind: other\nofficial_language: nb\n",
            encoding="utf-8",
        )
    return load_project(content, ROOT / "forms"), tmp_path / "nb"


def page_text(result: Rendered, docs: Path, kind: str) -> str:
    page = next(page for page in result.pages if page.kind == kind)
    return (docs / page.src).read_text("utf-8")


def test_lists_of_organisations_go_by_name_in_norwegian_order(tmp_path: Path) -> None:
    """Ålesund after Zebra, Ø before Å: readers look up their organisation by its name."""
    names = {"alesund": "Ålesund kommune", "oygarden": "Øygarden kommune", "zebra": "Zebra AS"}
    project, docs = with_organisations(tmp_path, names)
    strings = load_strings(TEMPLATES)
    result = render_language(project, "nb", TEMPLATES, strings, docs, "https://example.org/nb/")
    text = page_text(result, docs, "organisations")
    shown = ["Testkommune", "Zebra AS", "Øygarden kommune", "Ålesund kommune"]
    assert sorted(shown, key=text.index) == shown
    text = page_text(result, docs, "statement")
    voluntary, contacts = text.split(f"## {strings['nb']['statement_report']}")
    assert sorted(shown, key=contacts.index) == shown  # where to report a problem, per body
    assert sorted(shown[1:], key=voluntary.index) == shown[1:]  # not public bodies


def test_a_long_list_of_organisations_goes_under_initial_letters(tmp_path: Path) -> None:
    initials = ["B", "É", "Ø", "Å", "Ä"] * 7  # É is listed under E, Ä under Æ
    names = {f"org-{n}": f"{letter}vik {n} kommune" for n, letter in enumerate(initials)}
    project, docs = with_organisations(tmp_path, names)
    strings = load_strings(TEMPLATES)
    result = render_language(project, "nb", TEMPLATES, strings, docs, "https://example.org/nb/")
    text = page_text(result, docs, "organisations")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    letters = ["B", "E", "T", "Æ", "Ø", "Å"]
    assert headings == [f"## {x} {{ #letter-{n} }}" for n, x in enumerate(letters, 1)]
    jump = next(line for line in text.splitlines() if line.startswith('<p class="ps-letters">'))
    assert jump.count('<a href="#letter-') == len(letters)
    # Under its letter, an organisation's line names its guidelines after a colon and a space.
    under_t = text.split("## T ")[1].split("## Æ")[0]
    assert "[Testkommune](testkommune/index.md): [" in under_t
    assert "[Ävik 4 kommune]" in text.split("## Æ")[1].split("## Ø")[0]
