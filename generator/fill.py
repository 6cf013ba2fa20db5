"""Filling rules into content text, reporting each failure at its file, line and column."""

from __future__ import annotations

import re

from generator.errors import Problem
from generator.textvars import OrgView, RuleSet, TextError, expand, text_environment
from generator.yamlload import Loc, Source
from generator.yamlload import dotted as _dotted


def fill(
    source: Source,
    loc: Loc,
    text: str,
    rules: RuleSet,
    lang: str,
    problems: list[Problem],
    org: OrgView | None = None,
) -> str:
    """``text`` (the value at ``loc`` in ``source``) with its rules filled in; on failure the
    text as written, and a problem."""
    try:
        return expand(text_environment(), text, rules, lang, org)
    except TextError as exc:
        problems.append(problem_in_text(source, loc, text, exc))
        return text


def problem_in_text(source: Source, loc: Loc, text: str, exc: TextError) -> Problem:
    """Where inside a (possibly multi-line) value a text error is, as a file position."""
    inner = exc.line
    if exc.needle and exc.needle != "{":
        inner = _line_using(text, exc.needle, exc.line)
    line = source.text_start(loc) + inner - 1
    if line == source.position(loc)[0]:
        # A value on the key's line: search from the value's column.
        start = source.position(loc)[1]
        column = _column(source, line, exc.needle or "{", start)
    else:
        column = _column(source, line, exc.needle or "{")
    return Problem.at(source.path, line, column, f"{_dotted(loc)}: {exc.message}")


def _line_using(text: str, name: str, default: int) -> int:
    """1-based line of the first template expression in ``text`` that mentions ``name``."""
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line) and ("{{" in line or "{%" in line or "." in line):
            return number
    return default


def _column(source: Source, line: int, needle: str, start: int = 1) -> int:
    """1-based column of ``needle`` on a file line (``start`` when it cannot be found)."""
    if 1 <= line <= len(source.lines):
        found = source.lines[line - 1].find(needle, max(start - 1, 0))
        if found >= 0:
            return found + 1
    return start
