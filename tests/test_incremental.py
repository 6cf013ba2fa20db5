"""Incremental builds: a rebuild renders only what changed, and its output is byte for byte
what a full build from scratch writes."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment

import generator.pipeline
import generator.search
import generator.spelling
import generator.status
import generator.templates
import generator.yamlload
from generator import ContentError, Paths, build
from generator.cache import BuildCache, environment_key
from generator.spelling import check_spelling
from generator.workers import Workers
from tests.conftest import ROOT, copy_site, fixture_content, tree_digest

VESTLAND = "policies/vestland-fylkeskommune-heimekontor/policy.yml"


def run(content: Path, site: Path, *, incremental: bool = True) -> list[str]:
    lines: list[str] = []
    build(Paths.default(ROOT, content, site), report=lines.append, incremental=incremental, jobs=1)
    return lines


def pages_rendered(lines: list[str], lang: str) -> tuple[int, int, int]:
    """(pages, rendered, unchanged) from "Built nb: 30 pages (4 rendered, 26 unchanged)."."""
    line = next(line for line in lines if line.startswith(f"Built {lang}: "))
    match = re.fullmatch(r"Built \w+: (\d+) pages \((\d+) rendered, (\d+) unchanged\)\.", line)
    assert match, line
    pages, rendered, unchanged = map(int, match.groups())
    assert rendered + unchanged == pages
    return pages, rendered, unchanged


def rendered_pdfs(lines: list[str]) -> int:
    line = next(line for line in lines if line.startswith("PDFs: "))
    return int(line.split()[1])


def pdf_count(site: Path) -> int:
    entries = json.loads((site / "manifest.json").read_text(encoding="utf-8"))["entries"]
    return sum(entry["path"].endswith(".pdf") for entry in entries)


def rebuilding(tmp_path: Path, content: Path, built: Path) -> tuple[Path, Path]:
    """A copy of ``content`` and of the site ``built`` from it (the first build, with its
    cache), to build again."""
    copy = tmp_path / "content"
    shutil.copytree(content, copy)
    return copy, copy_site(built, tmp_path / "site")


def test_a_rebuild_without_changes_renders_nothing(tmp_path: Path, minimal_site: Path) -> None:
    content, site = rebuilding(tmp_path, ROOT / "tests/fixtures/minimal/content", minimal_site)
    before = tree_digest(site)

    again = run(content, site)

    assert "Nothing changed: no page and no PDF was rendered again." in again
    assert f"PDFs: 0 rendered, {pdf_count(site)} unchanged." in again
    assert pdf_count(site) > 0
    assert not any(line.startswith("Built ") for line in again), again
    assert tree_digest(site) == before


def test_changing_one_organisation_renders_only_its_pdfs_and_matches_a_full_build(
    tmp_path: Path, default_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content, site = rebuilding(tmp_path, ROOT / "content", default_site)
    total = pdf_count(site)
    policy = content / VESTLAND
    policy.write_text(
        policy.read_text().replace("home_days_per_week_max: 2", "home_days_per_week_max: 3")
    )

    indexed: Counter[tuple[str, str]] = Counter()  # pages given to Pagefind (one worker)
    real = generator.search._run_pagefind

    def counted(binary: Path, site_dir: Path, lang: str, indexes: list[list[str]]) -> object:
        indexed.update((lang, page) for pages in indexes for page in pages)
        return real(binary, site_dir, lang, indexes)

    monkeypatch.setattr(generator.search, "_run_pagefind", counted)

    changed = run(content, site)

    # The index over every organisation is made again, and of the organisations' own only the
    # changed one's: the other's is taken from the site in place.
    for (lang, page), times in indexed.items():
        org = page.split("/")[0]
        expected = {"vestland-fylkeskommune": 2, "kommune": 1}.get(org, 1)
        assert times == expected, (lang, page, times)
    assert {page.split("/")[0] for _, page in indexed} >= {"kommune", "vestland-fylkeskommune"}
    vestland_pdfs = 2 * (3 + 1)  # per language: agreement, checklist, loan receipt, guideline
    assert 0 < rendered_pdfs(changed) <= vestland_pdfs < total, changed
    for lang in ("nb", "nn"):
        # MkDocs runs, but renders again only Vestland's pages that show the rule.
        _, rendered, unchanged = pages_rendered(changed, lang)
        assert 0 < rendered <= 5 and unchanged > 0, changed
    fresh = tmp_path / "fresh" / "site"
    run(content, fresh, incremental=False)
    assert tree_digest(site) == tree_digest(fresh)
    page = (site / "nb/vestland-fylkeskommune/heimekontor/index.html").read_text()
    assert "inntil tre dager" in " ".join(page.split())


def test_a_build_with_other_settings_takes_no_search_index_from_the_site_in_place(
    tmp_path: Path, minimal_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pagefind's settings are code: after a change to the code or the renderers, even a
    page that is the same gets indexed again."""
    content, site = rebuilding(tmp_path, ROOT / "tests/fixtures/minimal/content", minimal_site)
    indexed: Counter[tuple[str, str]] = Counter()
    real = generator.search._run_pagefind

    def counted(binary: Path, site_dir: Path, lang: str, indexes: list[list[str]]) -> object:
        indexed.update((lang, page) for pages in indexes for page in pages)
        return real(binary, site_dir, lang, indexes)

    monkeypatch.setattr(generator.search, "_run_pagefind", counted)
    monkeypatch.setattr(generator.pipeline, "environment_key", lambda: "other settings")

    run(content, site)

    own = {key: times for key, times in indexed.items() if key[1].startswith("testkommune/")}
    assert own and set(own.values()) == {2}, own  # its own index and the one over all


def test_a_preview_without_pdfs_leaves_the_stored_pdfs_to_the_next_build_with_pdfs(
    tmp_path: Path, minimal_site: Path
) -> None:
    content, site = rebuilding(tmp_path, ROOT / "tests/fixtures/minimal/content", minimal_site)
    build(Paths.default(ROOT, content, site), pdfs=False, jobs=1)

    again = run(content, site)

    assert f"PDFs: 0 rendered, {pdf_count(site)} unchanged." in again
    assert pdf_count(site) > 0


def test_a_preview_of_a_site_that_lacks_a_pdf_keeps_the_others_for_the_next_build(
    tmp_path: Path, minimal_site: Path
) -> None:
    """The guideline's PDF lists its forms' PDFs: in a preview that lacks one (a form's PDF
    deleted by hand, say), it is still the text the next build prints, stored as it is."""
    content, site = rebuilding(tmp_path, ROOT / "tests/fixtures/minimal/content", minimal_site)
    (site / "nb/testkommune/skjema/sjekkliste.pdf").unlink()
    build(Paths.default(ROOT, content, site), pdfs=False, jobs=1)

    again = run(content, site)

    assert f"PDFs: 0 rendered, {pdf_count(site)} unchanged." in again


def test_a_full_build_ignores_the_cache(tmp_path: Path, minimal_site: Path) -> None:
    content, site = rebuilding(tmp_path, ROOT / "tests/fixtures/minimal/content", minimal_site)
    full = run(content, site, incremental=False)
    assert rendered_pdfs(full) == pdf_count(site) > 0


def test_a_new_organisation_name_renders_every_page_again(
    tmp_path: Path, minimal_site: Path
) -> None:
    """The name is in every page's navigation: no page may keep the old one."""
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")  # the first build, with its cache
    org = content / "organisations/testkommune.yml"
    org.write_text(org.read_text().replace("nb: Testkommune", "nb: Prøvekommune"))

    changed = run(content, site)

    pages, rendered, _ = pages_rendered(changed, "nb")
    assert rendered == pages
    assert not any(line.startswith("Built nn: ") for line in changed), "nn did not change"
    fresh = tmp_path / "fresh" / "site"
    run(content, fresh, incremental=False)
    assert tree_digest(site) == tree_digest(fresh)
    assert "Prøvekommune" in (site / "nb/testkommune/heimekontor/index.html").read_text()


def test_a_changed_form_template_renders_every_pdf_again(
    tmp_path: Path, minimal_site: Path
) -> None:
    """Form HTML and PDFs are cached by what they show; the templates are part of that."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(ROOT / "site_templates", project / "site_templates")
    content = tmp_path / "content"
    shutil.copytree(ROOT / "tests/fixtures/minimal/content", content)
    site = copy_site(minimal_site, tmp_path / "site")  # the same templates, built with its cache
    paths = Paths.default(project, content, site, ROOT / "forms")
    unchanged: list[str] = []
    build(paths, report=unchanged.append, jobs=1)
    assert rendered_pdfs(unchanged) == 0, unchanged  # the copied templates are the same
    macros = project / "site_templates/forms/macros.html.j2"
    macros.write_text(macros.read_text().replace('class="ps-hint"', 'class="ps-hint ps-note"'))

    changed: list[str] = []
    build(paths, report=changed.append, jobs=1)

    assert rendered_pdfs(changed) == pdf_count(site) > 0
    page = (site / "nb/testkommune/skjema/avtale/index.html").read_text()
    assert 'class="ps-hint ps-note"' in page
    fresh = tmp_path / "fresh" / "site"
    build(Paths.default(project, content, fresh, ROOT / "forms"), incremental=False, jobs=1)
    assert tree_digest(site) == tree_digest(fresh)


def test_a_change_to_what_every_organisation_shares_reaches_every_organisation(
    tmp_path: Path, default_site: Path
) -> None:
    """An organisation's pages are rendered again only when a file they are made from changed:
    its own, or one every organisation shares (here the glossary)."""
    content, site = rebuilding(tmp_path, ROOT / "content", default_site)
    glossary = content / "glossary.yml"
    glossary.write_text(
        glossary.read_text()
        .replace("nb: medbestemmelsesmøte", "nb: drøftingsmøte")
        .replace("nb: Vestland fylkeskommune", "nb: fylkeskommunen i Vestland")
    )

    run(content, site)

    for page, meaning in (
        ("nb/kommune/hjemmekontor/index.html", "drøftingsmøte"),
        ("nb/vestland-fylkeskommune/heimekontor/index.html", "fylkeskommunen i Vestland"),
    ):
        assert f'title="{meaning}"' in (site / page).read_text(), page


def test_a_document_that_changed_size_reaches_its_page(tmp_path: Path) -> None:
    """A guideline's page shows each document's size: a rebuild after the document changed
    is what a build from scratch writes (both without PDFs)."""
    content = fixture_content("new-orgs", tmp_path)
    site = tmp_path / "site"
    paths = Paths.default(ROOT, content, site)
    build(paths, pdfs=False, jobs=1)
    document = content / "policies/fjordvik-heimekontor/rettleiar-it-tryggleik.odt"
    document.write_bytes(document.read_bytes() + bytes(200_000))

    build(paths, pdfs=False, jobs=1)

    fresh = tmp_path / "fresh"
    build(Paths.default(ROOT, content, fresh), pdfs=False, jobs=1, incremental=False)
    assert tree_digest(site) == tree_digest(fresh)


def test_a_file_saved_while_the_content_loads_leaves_nothing_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live preview rebuilds while a maintainer types: a text saved after the build read
    it must not leave the old pages kept under the new text's digest."""
    content = fixture_content("minimal", tmp_path)
    text = content / "policies/heimekontor/nb.yml"
    paths = Paths.default(ROOT, content, tmp_path / "site")
    loaded = generator.pipeline.load_project

    def load_then_save(*args: object, **kwargs: object) -> object:
        project = loaded(*args, **kwargs)  # type: ignore[arg-type]
        text.write_text(text.read_text().replace("jobbe hjemmefra.", "jobbe hjemme."))
        return project

    monkeypatch.setattr(generator.pipeline, "load_project", load_then_save)
    build(paths, pdfs=False, jobs=1)  # made from the text as it was read
    monkeypatch.undo()
    build(paths, pdfs=False, jobs=1)  # the saved text

    fresh = tmp_path / "fresh"
    build(Paths.default(ROOT, content, fresh), pdfs=False, jobs=1, incremental=False)
    assert tree_digest(paths.site) == tree_digest(fresh)
    assert "jobbe hjemme." in (fresh / "nb/testkommune/heimekontor/index.html").read_text()


def test_a_file_broken_after_a_build_is_named_at_its_line_and_the_site_is_kept(
    tmp_path: Path, minimal_site: Path
) -> None:
    """The build keeps what it parsed; a file saved since is parsed again, every problem found."""
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")
    before = tree_digest(site)
    policy = next(content.glob("policies/*/policy.yml"))
    text = policy.read_text("utf-8")
    policy.write_text(text.replace("status: active\n", "status: active\nstatus: draft\n"), "utf-8")

    with pytest.raises(ContentError) as caught:
        run(content, site)

    line = text.splitlines().index("status: active") + 2
    assert f"{policy}:{line}:1: duplicate key 'status'" in str(caught.value)
    assert tree_digest(site) == before
    policy.write_text(text, "utf-8")  # as it was: taken from what the first build kept
    assert "Nothing changed: no page and no PDF was rendered again." in run(content, site)


def parsed_files(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the YAML loader parses from now on (not those taken from a build's memory)."""
    parsed: list[Path] = []
    parse = generator.yamlload._load

    def counted(text: str, path: Path) -> object:
        parsed.append(path)
        return parse(text, path)

    monkeypatch.setattr(generator.yamlload, "_load", counted)
    return parsed


def test_a_check_takes_what_the_last_build_parsed_and_leaves_its_cache_alone(
    tmp_path: Path, minimal_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")
    run(content, site)  # this content's files parsed, whatever builds over the shared site kept
    cache = site.with_name(".site.cache")
    paths = Paths.default(ROOT, content, site)
    parsed = parsed_files(monkeypatch)
    before, expected = tree_digest(cache), generator.pipeline.check(paths)
    assert [path for path in parsed if content in path.parents] == []
    # A kept entry that is not what was stored is not used, and left for the next build.
    kept = cache / BuildCache(cache, environment_key()).key("parsed-yaml")
    kept.write_bytes(kept.read_bytes().replace(b"active", b"draft!"))
    damaged = tree_digest(cache)
    assert generator.pipeline.check(paths) == expected
    assert tree_digest(cache) == damaged != before
    assert [path for path in parsed if content in path.parents]  # parsed afresh


def test_a_rule_change_writes_again_only_the_pdfs_that_show_the_rule(
    tmp_path: Path, minimal_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")
    before = {path: digest for path, digest in tree_digest(site).items() if path.endswith(".pdf")}
    policy = content / "policies/heimekontor/policy.yml"
    text = policy.read_text("utf-8")
    assert "follow_up_interval_months: 6\n" in text
    policy.write_text(
        text.replace("follow_up_interval_months: 6\n", "follow_up_interval_months: 3\n"), "utf-8"
    )
    written: list[str] = []
    write = generator.pipeline.write_pdf

    def recorded(job: generator.pipeline.WritePdf) -> None:
        written.append(job.name)
        write(job)

    monkeypatch.setattr(generator.pipeline, "write_pdf", recorded)
    run(content, site)

    after = {path: digest for path, digest in tree_digest(site).items() if path.endswith(".pdf")}
    assert after.keys() == before.keys()
    changed = sorted(path for path in after if after[path] != before[path])
    # The guideline and the follow-up form show the interval; the agreement and the
    # checklist do not, and are not written again.
    assert (
        sorted(written)
        == changed
        == [
            f"{lang}/testkommune/{page}"
            for lang in ("nb", "nn")
            for page in ("heimekontor.pdf", "skjema/oppfolgingssamtale.pdf")
        ]
    )


def test_a_written_forms_parts_are_built_while_the_next_one_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each written form's MkDocs builds go to the workers once its Markdown is rendered,
    before the next written form's Markdown is: they are built meanwhile."""
    content = fixture_content("minimal", tmp_path)
    events: list[str] = []
    render, submit = generator.pipeline._Inputs.render, Workers.submit

    def rendering(self: Any, lang: str, *args: Any) -> Any:
        events.append(f"render {lang}")
        return render(self, lang, *args)

    def submitting(self: Workers, kind: str, name: str, *args: Any, **kwargs: Any) -> None:
        events.append(name)
        submit(self, kind, name, *args, **kwargs)

    monkeypatch.setattr(generator.pipeline._Inputs, "render", rendering)
    monkeypatch.setattr(Workers, "submit", submitting)
    build(Paths.default(ROOT, content, tmp_path / "site"), pdfs=False, jobs=2)

    assert events[:4] == [
        "render nb",
        "MkDocs build for 'nb'",
        "render nn",
        "MkDocs build for 'nn'",
    ]
    assert sorted(events[4:]) == ["search index for 'nb'", "search index for 'nn'"]


def test_a_build_keeps_its_compiled_templates_for_the_next_builds_processes(
    tmp_path: Path, minimal_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")
    text = content / "policies/heimekontor/nb.yml"
    compiles: list[str] = []
    compile_ = Environment.compile

    def counted(
        self: Environment, source: object, name: str | None = None, *args: object
    ) -> object:
        compiles.append(str(name))
        return compile_(self, source, name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Environment, "compile", counted)
    for old, new in (("jobbe hjemme", "arbeide hjemme"), ("arbeide hjemme", "jobbe hjemme")):
        # Each build as a new process would run it: nothing compiled in memory.
        monkeypatch.setattr(generator.templates, "_COMPILED", {})
        text.write_text(text.read_text("utf-8").replace(old, new), "utf-8")
        compiles.clear()
        lines = run(content, site)
        assert pages_rendered(lines, "nb")[1] > 0  # MkDocs ran
    assert compiles == []  # the second build compiled nothing: theme, pages, print
    cache = site.with_name(".site.cache")
    kept = cache / BuildCache(cache, environment_key()).key("compiled-templates")
    assert len(list(kept.iterdir())) > 10


def test_the_spelling_beside_a_build_takes_what_the_last_build_parsed(
    tmp_path: Path, minimal_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")
    paths = Paths.default(ROOT, content, site)
    cache = BuildCache(site.with_name(".site.cache"), environment_key())
    # No word checked before: every file is to be checked (and parsed, or taken as parsed).
    (cache.root / cache.key("spelled")).unlink(missing_ok=True)
    expected = check_spelling(paths.content, paths.forms, paths.templates)
    run(content, site)
    parsed = parsed_files(monkeypatch)
    # As at hundreds of organisations: every file to check, more than the check parses alone.
    monkeypatch.setattr(generator.status, "PARSED_ANEW", 2)
    # What the process forked beside the next build runs (``spelling_meanwhile``).
    assert generator.status._spelling(paths) == expected
    assert [path for path in parsed if content in path.parents] == []

    # One file changed: parsed alone, and hunspell asked only about the word it did not know.
    asked: list[list[str]] = []
    hunspell = generator.spelling._hunspell

    def counted(dictionary: str, words: list[str]) -> set[str]:
        asked.append(words)
        return hunspell(dictionary, words)

    monkeypatch.setattr(generator.spelling, "_hunspell", counted)
    monkeypatch.setattr(generator.status, "memory_of_the_last_build", None)  # not read
    policy = next(content.glob("policies/*/nb.yml"))
    policy.write_text(
        policy.read_text("utf-8").replace("jobbe hjemme inntil", "jobbe hjemmme inntil"), "utf-8"
    )
    found = generator.status._spelling(paths)
    assert [path for path in parsed if content in path.parents] == [policy]
    assert any("'hjemmme'" in problem.message for problem in found)
    assert asked == [["hjemmme"]]


def test_a_build_takes_its_folders_from_the_site_it_replaced_and_nothing_stale_with_them(
    tmp_path: Path, minimal_site: Path
) -> None:
    """The site a build replaces is kept in its cache as the next build's spare; whatever is
    in it, the next site is the one the content makes, folder for folder."""
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")
    run(content, site)
    expected = tree_digest(site), sorted(p.relative_to(site) for p in site.rglob("*"))
    spare = tmp_path / ".site.cache" / ".spare"
    org = spare / "nb" / "testkommune"
    assert (org / "heimekontor" / "index.html").is_file()
    page = org / "heimekontor" / "index.html"
    page.unlink()
    page.write_text("gammal side")  # another file where a page was
    (org / "utgått.html").write_text("ei side som ikkje finst lenger")
    (org / "tom" / "mappe").mkdir(parents=True)
    (org / "lenkje").symlink_to(tmp_path)  # a link to a folder elsewhere: gone, not followed
    (org / "index.html").unlink()
    (org / "index.html").symlink_to(page)  # a link where a page was
    # Another file where a PDF was (the PDFs stay in a folder taken, to be found in place).
    stale = tmp_path / "stale.pdf"
    stale.write_bytes(b"%PDF-1.7 another")
    (org / "heimekontor.pdf").unlink()
    os.link(stale, org / "heimekontor.pdf")
    (org / "skjema" / "avtale.pdf").unlink()
    taken = (org / "skjema").stat().st_ino

    again = run(content, site)

    assert "Nothing changed: no page and no PDF was rendered again." in again
    assert (tree_digest(site), sorted(p.relative_to(site) for p in site.rglob("*"))) == expected
    assert (site / "nb" / "testkommune" / "skjema").stat().st_ino == taken
    assert spare.is_dir()  # the site just replaced
    assert stale.read_bytes() == b"%PDF-1.7 another"  # replaced, not written into

    # A preview keeps the published PDFs, whatever the folders taken held at their places.
    published = (site / "nb" / "testkommune" / "heimekontor.pdf").read_bytes()
    (org / "heimekontor.pdf").unlink()
    os.link(stale, org / "heimekontor.pdf")
    build(Paths.default(ROOT, content, site), pdfs=False, jobs=1)
    assert (site / "nb" / "testkommune" / "heimekontor.pdf").read_bytes() == published
    assert stale.read_bytes() == b"%PDF-1.7 another"
