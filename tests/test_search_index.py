"""The search index stage on its own (generator/search.py), with the real Pagefind binary: what it
indexes, that nothing outside the pipeline steers it, and that a failure is a clear BuildError."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from generator import BuildError
from generator import addresses as at
from generator.search import index_site
from tests.test_build import search_pages

FOLDER = at.search_part(0)

PAGE = """<!doctype html><html lang="{lang}"><head><title>t</title></head><body>
<nav>Navigasjon som ikke skal finnes</nav>
<div data-pagefind-body><h1>Hjemmekontor</h1><p>Utstyr (pult, headset) og forsikring.</p>
<div hidden data-pagefind-ignore><span data-pagefind-meta="title">Hjemmekontor (Kommunen)</span>
<span data-pagefind-filter="org">kommune</span></div></div></body></html>"""


def site(tmp_path: Path, lang: str = "nb") -> Path:
    folder = tmp_path / "site" / lang
    (folder / "kommune" / "hjemmekontor").mkdir(parents=True)
    (folder / "kommune" / "hjemmekontor" / "index.html").write_text(PAGE.format(lang=lang))
    return folder


def test_a_page_is_indexed_with_its_organisation_and_title_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = site(tmp_path)
    # Settings from outside the pipeline do not steer it: a config file in the working folder
    # and Pagefind's environment variables.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pagefind.yml").write_text("output_subdir: elsewhere\nroot_selector: nav\n")
    monkeypatch.setenv("PAGEFIND_OUTPUT_SUBDIR", "elsewhere")
    monkeypatch.setenv("PAGEFIND_ROOT_SELECTOR", "nav")

    assert index_site(folder, "nb", folder / FOLDER) == 1
    assert not (folder / "elsewhere").exists()
    entry = json.loads((folder / FOLDER / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["nb"]
    [page] = search_pages(tmp_path / "site", "nb")
    assert page["url"] == "/kommune/hjemmekontor/"
    assert page["meta"]["title"] == "Hjemmekontor (Kommunen)"
    assert page["filters"] == {"org": ["kommune"]}
    assert "pult, headset" in page["content"] and "Navigasjon" not in page["content"]
    # Pagefind's ready-made interfaces are not shipped: the site has its own.
    assert not list((folder / FOLDER).glob("pagefind-*ui*"))

    # Indexing again gives the same bytes.
    before = {p: p.read_bytes() for p in (folder / FOLDER).rglob("*") if p.is_file()}
    index_site(folder, "nb", folder / FOLDER)
    after = {p: p.read_bytes() for p in (folder / FOLDER).rglob("*") if p.is_file()}
    assert before == after


def test_an_index_over_some_pages_holds_those_and_no_other(tmp_path: Path) -> None:
    folder = site(tmp_path)
    # A name with the glob's own characters is a name, not a pattern.
    for name in ("andre", "rar[1],{x}*"):
        (folder / name).mkdir()
        (folder / name / "index.html").write_text(PAGE.format(lang="nb"))
    chosen = ["kommune/hjemmekontor/index.html", "rar[1],{x}*/index.html"]

    assert index_site(folder, "nb", folder / FOLDER, chosen) == 2
    urls = sorted(page["url"] for page in search_pages(tmp_path / "site", "nb"))
    assert urls == ["/kommune/hjemmekontor/", "/rar[1],{x}*/"]


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda tmp_path: (tmp_path / "empty").mkdir() or tmp_path / "empty", "Pagefind failed"),
        (lambda tmp_path: site(tmp_path, "en"), "indexed no page in 'nb'"),
    ],
    ids=["no pages", "pages in another language"],
)
def test_an_index_without_the_languages_pages_fails_the_build_clearly(
    tmp_path: Path, make: object, said: str
) -> None:
    folder = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(BuildError, match=said) as caught:
        index_site(folder, "nb", folder / FOLDER)
    assert str(caught.value).startswith("search index for 'nb': ")


def test_files_the_replaced_index_has_as_they_are_become_second_names_of_those(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = site(tmp_path)
    previous = tmp_path / "published"
    index_site(folder, "nb", previous)
    (folder / "kommune" / "ny").mkdir()
    (folder / "kommune" / "ny" / "index.html").write_text(
        PAGE.format(lang="nb").replace("Hjemmekontor", "Reiseregning")
    )
    tampered = next(previous.glob("fragment/*"))
    tampered.write_bytes(tampered.read_bytes()[::-1])  # the same name, other bytes

    index_site(folder, "nb", folder / FOLDER, previous=previous)
    fresh = tmp_path / "fresh"
    index_site(folder, "nb", fresh)

    made = {p.relative_to(folder / FOLDER): p for p in (folder / FOLDER).rglob("*") if p.is_file()}
    assert {k: v.read_bytes() for k, v in made.items()} == {
        p.relative_to(fresh): p.read_bytes() for p in fresh.rglob("*") if p.is_file()
    }
    shared = {k for k, v in made.items() if (previous / k).exists() and v.samefile(previous / k)}
    assert shared  # the unchanged chunks and the first page's other files
    assert tampered.relative_to(previous) not in shared
    assert all((previous / k).read_bytes() == made[k].read_bytes() for k in shared)
    # Without a folder in memory, the index is written in place, the same bytes.
    monkeypatch.setattr("generator.search._MEMORY", str(tmp_path / "no-memory-here"))
    index_site(folder, "nb", folder / FOLDER, previous=previous)
    again = {p.relative_to(folder / FOLDER): p for p in (folder / FOLDER).rglob("*") if p.is_file()}
    assert {k: v.read_bytes() for k, v in again.items()} == {
        k: v.read_bytes() for k, v in made.items()
    }
    assert not any(v.samefile(previous / k) for k, v in again.items() if (previous / k).exists())


def test_what_a_stopped_index_left_in_memory_is_removed_and_a_recent_one_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = tmp_path / "memory"
    (memory / "policy-site-index-stopped" / "index").mkdir(parents=True)
    (memory / "policy-site-index-at-work" / "index").mkdir(parents=True)
    (memory / "someone-elses").mkdir()
    long_ago = time.time() - 2 * 3600
    for name in ("policy-site-index-stopped", "someone-elses"):
        os.utime(memory / name, (long_ago, long_ago))
    monkeypatch.setattr("generator.search._MEMORY", str(memory))
    monkeypatch.setattr("generator.search._ROOM", 0)
    folder = site(tmp_path)

    assert index_site(folder, "nb", folder / FOLDER) == 1

    assert sorted(p.name for p in memory.iterdir()) == [
        "policy-site-index-at-work",
        "someone-elses",
    ]
