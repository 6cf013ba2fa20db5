"""Reading YAML: values keep their line and column, and a file that is not sane YAML gives every
problem at its place, saying what to do, without building anything from it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pytest

from generator.yamlload import ParsedFiles, content_root, dotted, load_yaml, remembering


def load(tmp_path: Path, text: str | bytes, name: str = "nb.yml"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return load_yaml(path)


def places(problems: list) -> list[tuple[int, int, str]]:
    return [(p.line, p.col, p.message) for p in problems]


def test_values_and_keys_keep_their_place(tmp_path: Path) -> None:
    source, problems = load(
        tmp_path,
        "title: Heimekontor\nsections:\n  - id: omfang\n    body: |\n      Tekst\n"
        "effective: 2024-04-01\nversion: '2.0'\n",
    )
    assert problems == []
    assert source.data == {
        "title": "Heimekontor",
        "sections": [{"id": "omfang", "body": "Tekst\n"}],
        "effective": dt.date(2024, 4, 1),
        "version": "2.0",
    }
    assert source.position(("sections", 0, "id")) == (3, 9)
    assert source.position(("sections", 0, "id"), key=True) == (3, 5)
    assert source.position(("effective",)) == (6, 12)
    # A block scalar's text starts on the line below its key.
    assert source.text_start(("sections", 0, "body")) == 5
    # A key that is not there is placed at the nearest enclosing value.
    assert source.position(("sections", 0, "heading")) == (3, 5)
    assert source.problem(("title",), "x").message == "x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: [2\nc: 3\n", [(3, 2, "YAML syntax error: expected ',' or ']', but got ':'")]),
        (
            "a: 1\na: 2\nb: 3\nb: 4\n",
            [
                (2, 1, "duplicate key 'a' (first on line 1): keep one of them"),
                (4, 1, "duplicate key 'b' (first on line 3): keep one of them"),
            ],
        ),
        ("", [(1, 1, "file is empty: expected a mapping of keys")]),
        (
            "a: &x 1\nb: *x\nc: *x\n",
            [
                (
                    2,
                    4,
                    "YAML aliases (*x) are not supported: write the value out in full (a text "
                    "that starts with '*' goes in quotes)",
                )
            ],
        ),
        (
            "a: !!python/name:os.system x\n",
            [(1, 4, "the tag !!python/name:os.system is not supported: remove it")],
        ),
        ("a:\n  <<: {b: 1}\n", [(2, 3, "merge keys (<<) are not supported: write the keys out")]),
        (
            'a: "open\nb: 1\n',
            [(1, 4, 'unclosed quote: the text that starts here with " has no closing "; add it')],
        ),
        (
            "a: x\x08y\nb: \x1bz\n",
            [
                (1, 5, "backspace (U+0008) is not allowed in YAML: remove it"),
                (2, 4, "escape (U+001B) is not allowed in YAML: remove it"),
            ],
        ),
        (
            'a: "x\\u0000"\n',
            [(1, 4, "the text holds a NUL (U+0000), written as an escape: remove it")],
        ),
        (
            "a: " + "[" * 150 + "]" * 150 + "\n",
            [(1, 103, "nested deeper than 100 levels: content needs only a few; flatten it")],
        ),
        (
            "heading: #1 Formål\nbody:\nlist:\n  - x\n  -\n",
            [
                (
                    1,
                    10,
                    "'heading' has no value: a '#' starts a comment in YAML, so what follows "
                    'it is left out; put the text in quotes ("#1 Formål")',
                ),
                (2, 1, "'body' has no value: write one, or leave the key out"),
                (5, 4, "item 2 is empty: remove the '-' line"),
            ],
        ),
        (
            "\ufeffname: Kom\u200bmunen\ntitle: Heime\u202ekontor\n",
            [
                (
                    1,
                    10,
                    "an invisible character, zero-width space (U+200B), is in the text: remove "
                    "it (it makes a word or name differ from how it looks)",
                ),
                (
                    2,
                    13,
                    "an invisible character, text direction control (U+202E), is in the text: "
                    "remove it (it makes a word or name differ from how it looks)",
                ),
            ],
        ),
    ],
    ids=[
        "syntax",
        "duplicates",
        "empty",
        "alias",
        "python tag",
        "merge key",
        "unclosed quote",
        "control characters",
        "escaped NUL",
        "deep nesting",
        "no value",
        "invisible characters",
    ],
)
def test_bad_yaml_gives_every_problem_at_its_place(
    tmp_path: Path, text: str, expected: list[tuple[int, int, str]]
) -> None:
    _, problems = load(tmp_path, text)
    assert places(problems) == expected
    assert all(p.file.endswith("nb.yml") for p in problems)


def test_a_syntax_error_stops_the_file_from_being_used(tmp_path: Path) -> None:
    source, problems = load(tmp_path, "a: [1\n")
    assert source is None and problems


def test_a_file_that_is_not_utf8_is_placed_at_the_first_bad_byte(tmp_path: Path) -> None:
    source, problems = load(tmp_path, "a: ok\nb: Oppf\xf8lging\n".encode("latin-1"))
    assert source is None
    assert places(problems) == [
        (2, 8, "file is not UTF-8 text (byte 0xf8 here): save it with the encoding UTF-8")
    ]


def test_a_large_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    source, problems = load(tmp_path, "a: " + "x" * 1_000_001)
    assert source is None
    assert problems[0].message.startswith("file is larger than 1 MB")


def test_a_link_out_of_the_content_folder_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password: hunter2\n")
    policy = tmp_path / "content" / "policies" / "p"
    policy.mkdir(parents=True)
    (policy / "nb.yml").symlink_to(secret)

    source, problems = load_yaml(policy / "nb.yml")

    assert source is None
    assert [p.message for p in problems] == [
        f"symbolic link to a file outside {tmp_path / 'content'}: refused; copy the file into "
        "the folder instead"
    ]
    assert "hunter2" not in str(problems)


def test_a_link_inside_the_content_folder_is_read(tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "organisations").mkdir(parents=True)
    (content / "shared.yml").write_text("a: 1\n")
    (content / "organisations" / "x.yml").symlink_to(content / "shared.yml")
    source, problems = load_yaml(content / "organisations" / "x.yml")
    assert problems == [] and source.data == {"a": 1}


@pytest.mark.parametrize("inside", [True, False])
def test_a_linked_folder_on_the_way_is_followed_to_where_it_leads(
    tmp_path: Path, inside: bool
) -> None:
    content = tmp_path / "content"
    (content / "policies").mkdir(parents=True)
    real = (content / "kept" if inside else tmp_path / "elsewhere") / "p"
    real.mkdir(parents=True)
    (real / "nb.yml").write_text("a: 1\n")
    (content / "policies" / "p").symlink_to(real, target_is_directory=True)

    source, problems = load_yaml(content / "policies" / "p" / "nb.yml")

    if inside:
        assert problems == [] and source is not None and source.data == {"a": 1}
    else:
        assert source is None
        assert problems[0].message.startswith(f"symbolic link to a file outside {content}:")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: os.mkfifo(p),
            "not a regular file (a named pipe): content must be plain text files",
        ),
        (lambda p: p.mkdir(), "not a regular file (a folder): content must be plain text files"),
        (
            lambda p: p.symlink_to(p),
            "symbolic link loop (the link leads back to itself): point it at a file",
        ),
        (
            lambda p: p.symlink_to(p.with_name("gone.yml")),
            "symbolic link to a file that does not exist: point it at a file",
        ),
        (lambda p: None, "file not found"),
    ],
    ids=["fifo", "folder", "link loop", "dangling link", "missing"],
)
def test_what_is_not_a_readable_file_is_named(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "nb.yml"
    make(path)  # type: ignore[operator]
    source, problems = load_yaml(path)  # a FIFO would block here if it were opened
    assert source is None
    assert places(problems) == [(1, 1, message)]


def test_content_files_belong_to_their_content_folder(tmp_path: Path) -> None:
    content = tmp_path / "content"
    assert content_root(content / "organisations" / "x.yml") == content
    assert content_root(content / "policies" / "p" / "nb.yml") == content
    assert content_root(content / "rules.yml") == content


def test_places_are_named_as_maintainers_read_them() -> None:
    assert dotted(("sections", 2, "body")) == "sections[2].body"
    assert dotted((0, "id")) == "[0].id"
    assert dotted(()) == ""


KEPT = """\
title: "Heimekontor: avtale\\u2028med skilje"
sections:
  - id: omfang
    body: |
      Tekst over
      to linjer
  - id: tal
    values: [1, 2.5, -0.0, .inf, true]
effective: 2024-04-01
signed: 2024-04-01 12:30:00+02:00
version: '2.0'
dates: [2023-01-01, 2023-02-01]
"""


def _loaded_twice(tmp_path: Path, text: str, name: str = "nb.yml"):
    """The file loaded while kept files are remembered, then again with what was kept."""
    first = ParsedFiles()
    with remembering(first):
        parsed = load(tmp_path, text, name)
    again = ParsedFiles(first.dump())
    with remembering(again):
        kept = load(tmp_path, text, name)
    return parsed, kept, first, again


def test_a_file_kept_between_builds_reads_back_as_parsed(tmp_path: Path) -> None:
    (parsed, no_problems), (kept, problems), first, again = _loaded_twice(tmp_path, KEPT)

    assert no_problems == problems == []
    assert kept.values == {}  # the places are read only when asked for
    assert kept.tables() == parsed  # data, every key's and value's place, block scalars, lines
    assert type(kept.data["effective"]) is dt.date
    assert kept.data["signed"] == dt.datetime(
        2024, 4, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )
    assert [type(d) for d in kept.data["dates"]] == [dt.date, dt.date]
    assert list(kept.data) == list(parsed.data)  # the content's order
    assert kept.position(("sections", 0, "body")) == (4, 11)
    assert first.changed and not again.changed
    # What a build changes in the data it was given is not kept.
    kept.data["title"] = "endret"
    with remembering(again):
        assert load(tmp_path, KEPT)[0].data["title"] == "Heimekontor: avtale\u2028med skilje"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ('a: "\\x1b"\n', "escape (U+001B)"),
    ],
    ids=["duplicate key", "escape in a value"],
)
def test_a_file_with_a_problem_is_not_kept_and_the_problem_is_found_again(
    tmp_path: Path, text: str, message: str
) -> None:
    (_, first_problems), (_, problems), first, _ = _loaded_twice(tmp_path, text)

    assert any(message in p.message for p in first_problems)
    assert any(message in p.message for p in problems)
    assert not first.changed


def test_a_mapping_with_numbers_for_keys_is_parsed_each_time(tmp_path: Path) -> None:
    (parsed, _), (kept, _), first, _ = _loaded_twice(tmp_path, "2023: a\n2024: b\n")

    assert kept.data == parsed.data == {2023: "a", 2024: "b"}
    assert not first.changed


@pytest.mark.parametrize(
    "stored",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"x": 1}',
        b"\xff\xfe",
        b"\n\n \n",
        b"DIGEST " + b"[" * 100_000,
    ],
    ids=["empty", "not JSON", "a list", "unknown entry", "not text", "blank lines", "deep"],
)
def test_kept_data_that_is_not_what_was_written_is_ignored(tmp_path: Path, stored: bytes) -> None:
    # "DIGEST" stands for the digest of KEPT's text: the line is looked at, and refused.
    parsed = ParsedFiles(
        stored.replace(b"DIGEST", hashlib.sha256(KEPT.encode()).hexdigest().encode())
    )
    with remembering(parsed):
        source, problems = load(tmp_path, KEPT)
    assert problems == [] and source.data["version"] == "2.0"


@pytest.mark.parametrize(
    "where", [None, "garbled", "[[[], [1], []], [], []]", "[1, 2, 3]", '{"a": 1}'], ids=repr
)
def test_a_garbled_kept_file_is_parsed_again(tmp_path: Path, where: str | None) -> None:
    _, _, first, _ = _loaded_twice(tmp_path, KEPT)
    digest, data = first.dump().decode().split(" ", 1)
    garbled = {**json.loads(data), "where": where}
    parsed = ParsedFiles(f"{digest} {json.dumps(garbled)}\n".encode())
    with remembering(parsed):
        source, problems = load(tmp_path, KEPT)
    assert problems == [] and source.position(("version",)) == (11, 10)
    assert source.position(("sections", 0, "body")) == (4, 11)
    assert source.text_start(("sections", 0, "body")) == 5  # a block scalar


def test_files_no_longer_loaded_are_forgotten(tmp_path: Path) -> None:
    first = ParsedFiles()
    with remembering(first):
        load(tmp_path, KEPT, "a.yml")
        load(tmp_path, "b: 1\n", "b.yml")
    again = ParsedFiles(first.dump())
    with remembering(again):
        load(tmp_path, KEPT, "a.yml")
    assert again.changed
    assert len(again.dump().splitlines()) == 1
