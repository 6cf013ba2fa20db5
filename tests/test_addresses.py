"""Addresses: one module names every page, PDF and document; templates and code use it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator import addresses as at
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("src", "url", "output"),
    [
        (at.HOME, "", "index.html"),
        (at.organisation_src("kommune"), "kommune/", "kommune/index.html"),
        (
            at.guideline_src("kommune", "hjemmekontor"),
            "kommune/hjemmekontor/",
            "kommune/hjemmekontor/index.html",
        ),
        (
            at.form_src("kommune", "avtale"),
            "kommune/skjema/avtale/",
            "kommune/skjema/avtale/index.html",
        ),
        (at.changelog_src(), "endringslogg/", "endringslogg/index.html"),
    ],
)
def test_a_source_is_published_at_its_directory_address(src: str, url: str, output: str) -> None:
    assert at.url(src) == url
    assert at.output(src) == output


def test_links_between_pages_and_files_are_relative() -> None:
    page = at.url(at.guideline_src("kommune", "hjemmekontor"))
    assert at.href(page, at.form_pdf("kommune", "avtale")) == "../skjema/avtale.pdf"
    assert at.href(page, at.document_path("kommune", "hjemmekontor", "a.pdf")) == "a.pdf"
    assert at.md_link(at.organisation_src("kommune"), at.guideline_src("kommune", "x")) == "x.md"
    # The same page in the other written form: up past the language folder and down again.
    assert at.same_page_in("nn", page) == "../../../nn/kommune/hjemmekontor/"
    assert at.same_page_in("nn", "") == "../nn/"
    assert at.in_site("nb", at.guideline_pdf("kommune", "x")) == "nb/kommune/x.pdf"


def test_the_page_templates_write_no_address_of_their_own() -> None:
    """Markdown links and hrefs in the page templates come from ``at`` (or the context)."""
    literal = re.compile(r"\]\((?!\{\{)[^)#]+\)|href=\"(?!\{\{|#|mailto:\{\{)[^\"]+\"")
    found = []
    for template in sorted((ROOT / "site_templates" / "pages").glob("*.j2")):
        for number, line in enumerate(template.read_text("utf-8").splitlines(), 1):
            found += [
                f"{Path(template).name}:{number}: {m.group()}" for m in literal.finditer(line)
            ]
    assert not found, found
