"""The search index stage on its own (generator/search.py), with the real Pagefind binary: what it
indexes, that nothing outside the pipeline steers it, and that a failure is a clear BuildError."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from generator import BuildError
from generator import addresses as at
from generator.search import BEGIN, END, excerpt, index_site, take_unchanged
from tests.test_build import search_pages

FOLDER = at.search_part(0)

PAGE = """<!doctype html><html lang="{lang}"><head><title>t</title></head><body>
<nav>Navigasjon som ikke skal finnes</nav>
<div data-pagefind-body><h1>Hjemmekontor</h1><p>Utstyr (pult, headset) og forsikring.</p>
<div hidden data-pagefind-ignore><span data-pagefind-meta="title">Hjemmekontor (Kommunen)</span>
</div></div></body></html>"""


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
    # Nor does its runtime's: an empty thread count made it panic.
    monkeypatch.setenv("TOKIO_WORKER_THREADS", "")

    assert index_site(folder, "nb", folder / FOLDER) == 1
    assert not (folder / "elsewhere").exists()
    entry = json.loads((folder / FOLDER / "pagefind-entry.json").read_text())
    assert list(entry["languages"]) == ["nb"]
    [page] = search_pages(tmp_path / "site", "nb")
    assert page["url"] == "/kommune/hjemmekontor/"
    assert page["meta"]["title"] == "Hjemmekontor (Kommunen)"
    assert page["filters"] == {}
    assert "pult, headset" in page["content"] and "Navigasjon" not in page["content"]
    # Pagefind's ready-made interfaces are not shipped: the site has its own. Nor is its
    # WebAssembly for pages of no known language: the index has none.
    assert not list((folder / FOLDER).glob("pagefind-*ui*"))
    assert [p.name for p in (folder / FOLDER).glob("wasm.*")] == ["wasm.nb.pagefind"]

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
        (lambda tmp_path: (tmp_path / "empty").mkdir() or tmp_path / "empty", "indexed no page"),
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


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ("echo 'kan ikke starte' >&2; exit 3", "it ended before it answered\n  kan ikke starte"),
        ("printf 'ikke base64!,'; cat >/dev/null", "it answered what is not JSON"),
    ],
    ids=["ends at once", "answers garbage"],
)
def test_a_pagefind_that_fails_fails_the_build_with_its_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, said: str
) -> None:
    binary = tmp_path / "pagefind"
    binary.write_text(f"#!/bin/sh\n{script}\n")
    binary.chmod(0o755)
    monkeypatch.setattr("generator.search.executable", lambda: binary)
    folder = site(tmp_path)
    with pytest.raises(BuildError) as caught:
        index_site(folder, "nb", folder / FOLDER)
    assert str(caught.value).startswith("search index for 'nb': Pagefind failed: ")
    assert said in str(caught.value)


def test_pagefind_is_given_the_marked_part_of_a_page_and_makes_the_same_index(
    tmp_path: Path,
) -> None:
    head = '<!doctype html><html lang="nb" class="no-js"><head><title>t</title></head><body>'
    body = PAGE.split("<body>")[1].split("</body>")[0].replace("<nav>", "<nav>Meny ")
    marked = f"{head}<header>Topp</header>{BEGIN.decode()}{body}{END.decode()}<footer/></body>"
    assert (
        excerpt(marked.encode())
        == (
            f'<html lang="nb" class="no-js"><body>{BEGIN.decode()}{body}{END.decode()}</body></html>'
        ).encode()
    )
    # Marks that are not there once each, in order (content that wrote one): the whole page.
    for odd in (
        marked.replace(BEGIN.decode(), ""),
        marked.replace("<footer/>", f"{END.decode()}<footer/>"),
        f"{head}{END.decode()}{body}{BEGIN.decode()}</body></html>",
    ):
        assert excerpt(odd.encode()) == odd.encode()

    # The index is the one Pagefind makes of the whole page.
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    for folder, text in ((whole, head + body + "</body></html>"), (cut, marked)):
        (folder / "kommune").mkdir(parents=True)
        (folder / "kommune" / "index.html").write_text(text)
        index_site(folder, "nb", folder / FOLDER)
    assert _files(whole / FOLDER) == _files(cut / FOLDER)


def test_a_forms_labels_and_checklist_items_are_found(tmp_path: Path) -> None:
    """Pagefind leaves every <form> and <label> out of its index: a form page's fields and
    their labels are given to it as blocks of their own."""
    form = (
        '<form class="ps-form" id="ps-form" method="dialog" data-msg-fill="Fyll ut: {label}">'
        '<fieldset><legend><h2 id="s-stol">Stol</h2></legend>'
        '<input type="checkbox" id="f-fot" name="stol_fotstotte">'
        '<label for="f-fot">Jeg har fotstøtte hvis jeg trenger det</label>'
        '<p class="ps-hint">Spør leder om skjermbriller.</p></fieldset></FORM>'
    )
    body = PAGE.format(lang="nb").split("<body>")[1].split("</body>")[0]
    body = body.replace("</p>", f"</p>{form}", 1)
    page = f'<!doctype html><html lang="nb"><body>{BEGIN.decode()}{body}{END.decode()}</body>'
    folder = tmp_path / "site" / "nb"
    (folder / "kommune" / "skjema").mkdir(parents=True)
    (folder / "kommune" / "skjema" / "index.html").write_text(page)

    given = excerpt(page.encode()).decode()
    assert "<form" not in given.lower() and "<label" not in given
    assert '<div class="ps-form" id="ps-form" method="dialog"' in given
    assert '<div for="f-fot">Jeg har fotstøtte' in given
    assert given.count("</div>") == body.count("</div>") + 2

    index_site(folder, "nb", folder / FOLDER)
    [indexed] = search_pages(tmp_path / "site", "nb")
    assert "fotstøtte" in indexed["content"] and "skjermbriller" in indexed["content"]
    assert "Fyll ut" not in indexed["content"]  # attributes stay out
    assert "s-stol" in json.dumps(indexed["anchors"])  # the section a result leads to


def test_the_index_does_not_depend_on_the_order_the_file_system_lists_pages_in(
    tmp_path: Path,
) -> None:
    # In memory (tmpfs) a folder lists its entries in the order they were made in, or the
    # reverse; many disks list them by a hash of the name, seeded per file system.
    memory = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(dir=memory)) if memory.is_dir() else tmp_path
    try:
        names = [f"side-{n}" for n in range(12)]
        made, listed = [], []
        for folder, order in (("forward", names), ("backward", names[::-1])):
            root = base / folder
            for name in order:
                (root / name).mkdir(parents=True)
                text = PAGE.format(lang="nb").replace("Hjemmekontor", f"Hjemmekontor {name}")
                (root / name / "index.html").write_text(text)
            listed.append(os.listdir(root))
            index_site(root, "nb", tmp_path / folder)
            made.append(_files(tmp_path / folder))
    finally:
        if base != tmp_path:
            shutil.rmtree(base)
    if listed[0] == listed[1]:
        pytest.skip("this file system lists the pages in one order, whatever order they came in")
    assert made[0] == made[1]


def test_an_index_of_many_organisations_is_the_same_each_time(tmp_path: Path) -> None:
    """Pagefind writes its metadata files from its own tables: with several organisations'
    pages, any order that changes from run to run would show. (Pagefind 1.5 writes a filter's
    values in hash order, so the site has none: a search is scoped by an index of its own.)"""
    folder = tmp_path / "site" / "nb"
    for org in ("alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"):
        for page in ("hjemmekontor", "skjema"):
            text = PAGE.format(lang="nb").replace("(Kommunen)", f"({org})")
            (folder / org / page).mkdir(parents=True)
            (folder / org / page / "index.html").write_text(text.replace("Hjemmekontor", page))
    made = []
    for run in range(4):
        index_site(folder, "nb", tmp_path / f"index-{run}")
        made.append(_files(tmp_path / f"index-{run}"))
    assert all(files == made[0] for files in made[1:])
    fragments = [
        json.loads(gzip.decompress(data).removeprefix(b"pagefind_dcd"))
        for name, data in made[0].items()
        if name.parts[0] == "fragment"
    ]
    assert len({page["meta"]["title"] for page in fragments}) == 14


def _files(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_files_the_replaced_index_has_as_they_are_become_second_names_of_those(
    tmp_path: Path,
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


def test_an_index_is_taken_from_the_published_site_only_when_its_pages_are_what_it_indexed(
    tmp_path: Path,
) -> None:
    published = site(tmp_path)
    index_site(published, "nb", published / FOLDER)
    page = "kommune/hjemmekontor/index.html"
    new = tmp_path / "new" / "nb"
    (new / "kommune" / "hjemmekontor").mkdir(parents=True)
    same = (published / page).read_bytes()

    # The same page: the published index, as it is (second names of its files).
    (new / page).write_bytes(same)
    assert take_unchanged(new, published, [page], FOLDER)
    assert _files(new / FOLDER) == _files(published / FOLDER)
    entry = "pagefind-entry.json"
    assert (new / FOLDER / entry).stat().st_ino == (published / FOLDER / entry).stat().st_ino

    # Other words, or another number of pages: made again, nothing taken.
    for pages, text in (([page], same.replace(b"forsikring", b"erstatning")), ([], same)):
        shutil.rmtree(new / FOLDER, ignore_errors=True)
        (new / page).write_bytes(text)
        assert not take_unchanged(new, published, pages, FOLDER)
        assert not (new / FOLDER).exists()
    (new / "kommune" / "skjema").mkdir()
    (new / "kommune" / "skjema" / "index.html").write_bytes(same)
    assert not take_unchanged(new, published, [page, "kommune/skjema/index.html"], FOLDER)


def test_answers_are_read_whole_however_the_pipe_splits_them() -> None:
    """Pagefind's answers come in pieces of any size, several in one read or one over many
    (an index's files are a megabyte): each request gets its own answer, whole."""
    import base64
    import io
    import subprocess
    import threading

    from generator.search import _Service

    def said(number: int, text: str) -> bytes:
        answer = {"message_id": number, "payload": {"type": "Echo", "text": text}}
        return base64.b64encode(json.dumps(answer).encode()) + b","

    big = "x" * 3_000_000  # longer than a read
    stream = said(1, "first") + said(2, "second") + said(3, big)
    read, write = os.pipe()

    def dribble() -> None:
        for start in range(0, len(stream), 7_777):
            os.write(write, stream[start : start + 7_777])
        os.close(write)

    threading.Thread(target=dribble, daemon=True).start()
    process = subprocess.Popen.__new__(subprocess.Popen)
    process.stdin, process.stdout = io.BytesIO(), os.fdopen(read, "rb")
    service = _Service(process)
    service.sent = 1  # the first answer is to an earlier request: passed over
    assert service.ask({"type": "Ping"})["text"] == "second"
    assert service.ask({"type": "Ping"})["text"] == big
    assert not service.heard


def test_an_index_holds_what_the_search_fetches_and_none_of_pagefinds_ready_made_interfaces(
    tmp_path: Path,
) -> None:
    folder = site(tmp_path)
    index_site(folder, "nb", folder / FOLDER)
    top = sorted(p.name for p in (folder / FOLDER).iterdir() if p.is_file())
    assert [name.split(".")[0] for name in top] == [
        "pagefind-entry",
        "pagefind-worker",
        "pagefind",
        "pagefind",
        "wasm",
    ]
    assert "wasm.nb.pagefind" in top and any(name.endswith(".pf_meta") for name in top)
    assert not any("ui" in name or "highlight" in name for name in top)
