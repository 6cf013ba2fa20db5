"""Spelling: every text and form label checked with hunspell's official nb_NO/nn_NO dictionaries.

Words the dictionaries lack (names, terms, a few gaps in the dictionaries themselves) go in the
project word list, ``content/ordliste.txt``, one a line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import kept
from generator.errors import PolicySiteError, Problem, display_path
from generator.fields import LANGUAGES
from generator.kept import Kept
from generator.yamlload import Loc, Source, load_yaml, read_text

DICTIONARIES = {"nb": "nb_NO", "nn": "nn_NO"}
WORDLIST = "ordliste.txt"

# Template expressions, Markdown link targets, addresses and e-mail addresses are not prose.
# Each alternative starts only where a word starts and looks a bounded way ahead, so that the
# time grows with a text's length, not its square (a word of 200,000 letters took a minute).
_NOT_PROSE = re.compile(
    r"\{\{[^{}]{0,300}\}\}|\{%[^{}]{0,300}?%\}|\]\([^()\s]{0,2000}\)|https?://\S+"
    r"|(?<!\S)\S{1,300}@\S+|\{[a-z_]+\}"
    r"|(?<![\w.-])[\w.-]{1,300}\.(?:no|com|org|net)\b"
    r"|&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);",  # &lt; &nbsp; &#8239;: characters
    re.DOTALL,
)
_WORD = re.compile(r"[A-Za-zÆØÅæøåÉéÜüÖöÄä]+(?:-[A-Za-zÆØÅæøåÉéÜüÖöÄä]+)*")


class SpellingUnavailable(PolicySiteError):
    """hunspell or its Norwegian dictionaries are not installed."""


@dataclass(frozen=True)
class Text:
    """A piece of prose in one written form, and where it stands."""

    source: Source
    loc: Loc
    lang: str
    value: str


def check_spelling(
    content_dir: Path,
    forms_dir: Path,
    templates_dir: Path,
    memo: Kept | None = None,
    parsing: Callable[[int], contextlib.AbstractContextManager[object]] = (
        lambda files: contextlib.nullcontext()
    ),
) -> list[Problem]:
    """Every word the dictionaries and the word list do not know, at its place.

    With ``memo``, a file checked before with the same text, word list and dictionaries is
    not read again: its unknown words are taken from ``memo`` (where hundreds of organisations
    are checked after each build, only what changed is), and those of the others added; and a
    word hunspell was asked about before is not asked about again. The files that are read
    again are parsed within ``parsing(count)``, entered only when there are any."""
    problems: list[Problem] = []
    known = _wordlist(content_dir / WORDLIST, problems)
    setting = _setting(known) if memo is not None else ""
    found: dict[Path, list[list[Any]]] = {}  # each file's unknown words: line, column, message
    keys: dict[Path, str] = {}  # the files checked now: their keys in ``memo``
    unread: list[tuple[Path, Callable[[Loc], str | None]]] = []
    for path, kind, language_of in _files(content_dir, forms_dir, templates_dir):
        if memo is not None:
            written, _ = read_text(path)
            if written is None:
                continue  # `policy-site check` says why
            key = kept.digest("spelling", setting, kind, written)
            stored = memo.get(key)
            if _rows(stored):
                found[path] = stored
                continue
            keys[path] = key
        found[path] = []
        unread.append((path, language_of))
    texts: list[Text] = []
    if unread:
        with parsing(len(unread)):
            for path, language_of in unread:
                texts += _values(path, language_of)
    # Organisations that start from the same policy share most of its texts word for word.
    words_in: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        mine = [(text, _words_of(text.value, words_in)) for text in texts if text.lang == lang]
        asked = sorted({w for _, ws in mine for w in ws} - known)
        unknown = _unknown(DICTIONARIES[lang], asked, memo, setting)
        for text, words in mine:
            for word in words:
                if word in unknown:
                    line, col = _place(text, word)
                    message = f"unknown word '{word}' ({lang})"
                    found[text.source.path].append([line, col, message])
    if memo is not None:
        for path, key in keys.items():
            memo.put(key, found[path])
    for path, rows in found.items():
        where = display_path(path)
        problems += [Problem(where, line, col, message) for line, col, message in rows]
    return sorted(set(problems))


def _rows(stored: Any) -> bool:
    """Whether ``stored`` is what ``check_spelling`` keeps of a file: [line, column, message]
    for each unknown word (possibly none)."""
    return isinstance(stored, list) and all(
        isinstance(row, list)
        and len(row) == 3
        and all(isinstance(n, int) and not isinstance(n, bool) for n in row[:2])
        and isinstance(row[2], str)
        for row in stored
    )


def _setting(known: set[str]) -> str:
    """What a file's unknown words depend on besides its text: the word list, hunspell and
    the dictionaries it finds (a dictionary updated since: every file checked again)."""
    binary = shutil.which("hunspell") or ""
    folders = [
        *filter(None, os.environ.get("DICPATH", "").split(os.pathsep)),
        "/usr/share/hunspell",
        "/usr/share/myspell",
        "/usr/share/myspell/dicts",
    ]
    candidates = [binary] if binary else []
    candidates += [
        os.path.join(folder, name + ending)
        for name in DICTIONARIES.values()
        for folder in folders
        for ending in (".dic", ".aff")
    ]
    stamps = []
    for candidate in candidates:
        try:
            status = os.stat(candidate)
        except OSError:
            continue
        stamps.append(f"{candidate}\0{status.st_size}\0{status.st_mtime_ns}")
    return kept.digest(*sorted(known), "\0", binary, *stamps)


def _files(
    content_dir: Path, forms_dir: Path, templates_dir: Path
) -> Iterator[tuple[Path, str, Callable[[Loc], str | None]]]:
    """Each file with prose: its path, what kind of file it is, and which written form each of
    its values is in (by where it stands)."""
    for path in sorted(content_dir.glob("policies/*/*.yml")):
        if path.stem in LANGUAGES:
            yield path, f"text {path.stem}", _all_in(path.stem)
    localized = sorted(content_dir.glob("organisations/*.yml")) + sorted(forms_dir.glob("*.yml"))
    localized += [content_dir / "accessibility.yml", content_dir / "glossary.yml"]
    localized += sorted(content_dir.glob("policies/*/policy.yml"))
    for path in localized:
        if path.is_file():
            yield path, "localized", lambda loc: loc[-1] if loc and loc[-1] in LANGUAGES else None
    strings = templates_dir / "strings.yml"
    yield strings, "strings", lambda loc: loc[0] if loc and loc[0] in LANGUAGES else None


def _all_in(lang: str) -> Callable[[Loc], str | None]:
    return lambda loc: lang


def _values(path: Path, language_of: Callable[[Loc], str | None]) -> Iterator[Text]:
    """Every string value of a YAML file that ``language_of(loc)`` assigns a written form."""
    source, _ = load_yaml(path)
    if source is None:
        return  # `policy-site check` reports the file's syntax

    def walk(value: Any, loc: Loc) -> Iterator[Text]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in (
                    "id",
                    "name",
                    "slug",
                    "url",
                    "email",
                    "value",
                    "when",
                    "code",
                    "translation",
                ):
                    yield from walk(item, (*loc, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, (*loc, index))
        elif isinstance(value, str):
            lang = language_of(loc)
            if lang in LANGUAGES:
                yield Text(source, loc, lang, value)

    yield from walk(source.data, ())


def _words(text: str) -> list[str]:
    prose = _NOT_PROSE.sub(lambda m: " " * len(m.group()), text)
    # Abbreviations (PDF, MBM) are not words.
    return [word for word in _WORD.findall(prose) if len(word) > 1 and not word.isupper()]


def _words_of(value: str, seen: dict[str, list[str]]) -> list[str]:
    """The words of ``value``, each text worked out once (``seen``)."""
    words = seen.get(value)
    if words is None:
        words = seen[value] = _words(value)
    return words


def _place(text: Text, word: str) -> tuple[int, int]:
    """Line and column of the word in the file: the first match at or after the value."""
    line = text.source.text_start(text.loc)
    pattern = re.compile(rf"(?<![\wæøåÆØÅ]){re.escape(word)}(?![\wæøåÆØÅ])")
    for number in range(line, len(text.source.lines) + 1):
        found = pattern.search(text.source.lines[number - 1])
        if found:
            return number, found.start() + 1
    return text.source.position(text.loc)


def _wordlist(path: Path, problems: list[Problem]) -> set[str]:
    if not os.path.lexists(path):
        return set()
    text, unreadable = read_text(path)  # the same care as for content: no FIFO, no huge file
    problems += unreadable
    lines = (text or "").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def _unknown(dictionary: str, words: list[str], memo: Kept | None, setting: str) -> set[str]:
    """The ``words`` hunspell does not know with ``dictionary``; with ``memo``, only those it
    was not asked about before (with the same word list and dictionaries) are asked about:
    a changed file mostly has the words it had (starting hunspell with a dictionary takes a
    fifth of a second)."""
    if memo is None:
        return _hunspell(dictionary, words)
    key = kept.digest("spelling-words", setting, dictionary)
    stored = memo.get(key)
    verdicts: dict[str, bool] = stored if _verdicts(stored) else {}
    new = [word for word in words if word not in verdicts]
    if new:
        unknown = _hunspell(dictionary, new)
        verdicts = {**verdicts, **{word: word in unknown for word in new}}
        memo.put(key, verdicts)
    return {word for word in words if verdicts[word]}


def _verdicts(stored: Any) -> bool:
    """Whether ``stored`` is what ``_unknown`` keeps: for each word, whether it is unknown."""
    return isinstance(stored, dict) and all(
        isinstance(word, str) and isinstance(unknown, bool) for word, unknown in stored.items()
    )


def _hunspell(dictionary: str, words: list[str]) -> set[str]:
    """The words hunspell does not know (``-l`` lists them, one a line)."""
    if not words:
        return set()
    if shutil.which("hunspell") is None:
        raise SpellingUnavailable(
            "hunspell is not installed (Debian: apt-get install hunspell hunspell-no)"
        )
    run = subprocess.run(
        ["hunspell", "-d", dictionary, "-l", "-i", "utf-8"],
        input="\n".join(words),
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0 or "Can't open affix or dictionary" in run.stderr:
        raise SpellingUnavailable(
            f"hunspell cannot use the {dictionary} dictionary (Debian: apt-get install "
            f"hunspell-no): {run.stderr.strip()}"
        )
    return set(run.stdout.split())
