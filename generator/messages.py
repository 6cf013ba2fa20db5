"""Turning pydantic's errors into messages a maintainer can act on, at the value's place.

Messages for the content's own types live with those types (a rule type's validator, a model's
validator, the rules model's ``unknown_key_hint``); this module words pydantic's built-in kinds.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from generator.errors import Problem
from generator.fields import Localized
from generator.yamlload import Loc, Source, load_yaml
from generator.yamlload import dotted as _dotted

M = TypeVar("M", bound=BaseModel)


def load_model(
    path: Path, model: type[M], problems: list[Problem]
) -> tuple[Source | None, M | None]:
    """Read one file and validate it as ``model``; problems go to ``problems``."""
    source, yaml_problems = load_yaml(path)
    problems.extend(yaml_problems)
    if source is None:
        return None, None
    if yaml_problems:
        return source, None
    if not isinstance(source.data, dict):
        problems.append(
            source.problem((), f"expected a mapping of keys, got {kind_of(source.data)}")
        )
        return source, None
    try:
        return source, model.model_validate(source.data)
    except ValidationError as exc:
        problems.extend(problems_from(exc, source, model))
        return source, None


def validate_at(
    data: Any, model: type[M], source: Source, loc: Loc, problems: list[Problem]
) -> M | None:
    """Validate part of a file (at ``loc``) as ``model``; None when it has problems."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from(exc, source, model, loc))
        return None


def validate_list_at(
    data: Any, model: type[M], source: Source, problems: list[Problem]
) -> list[M] | None:
    """Validate a whole file that is a list of ``model``."""
    if not isinstance(data, list):
        problems.append(source.problem((), f"expected a list of items, got {kind_of(data)}"))
        return None
    try:
        return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]
    except ValidationError as exc:
        problems.extend(problems_from(exc, source, model))
        return None


def problems_from(
    exc: ValidationError, source: Source, model: type[BaseModel], prefix: Loc = ()
) -> list[Problem]:
    return [_problem_from(source, model, error, prefix) for error in exc.errors(include_url=False)]


def _problem_from(source: Source, model: type[BaseModel], error: Any, prefix: Loc = ()) -> Problem:
    inner: Loc = tuple(part for part in error["loc"] if not _is_tag(part))
    loc: Loc = (*prefix, *inner)
    kind, given = error["type"], error.get("input")
    # Model-level validators report at the model; the message already names the key.
    path = _dotted(loc)
    if kind == "missing":
        return source.problem(
            loc[:-1], f"{_dotted(loc[:-1]) or 'top level'}: missing required key '{loc[-1]}'"
        )
    if kind == "extra_forbidden":
        owner = _model_at(model, inner[:-1])
        allowed = list(owner.model_fields) if owner else []
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suffix = f": did you mean '{hint[0]}'?" if hint else f" (allowed: {', '.join(allowed)})"
        fix = getattr(owner, "unknown_key_hint", None)
        if fix:  # e.g. rules: the fix is to declare the rule, not only to correct a typo
            suffix = f": did you mean '{hint[0]}'? If not, {fix}" if hint else f": {fix}"
        what = "rule" if fix else "key"
        return source.problem(
            loc,
            f"unknown {what} '{loc[-1]}' in {_dotted(loc[:-1]) or 'top level'}{suffix}",
            key=True,
        )
    message = _expectation(kind, error, given)
    if kind == "model_type" and isinstance(given, str) and _model_at(model, inner) is Localized:
        message = f"expected the text in both written forms, as {{nb: {given}, nn: …}}"
    if kind.startswith("date") and isinstance(given, str):
        message += _no_such_day(given)
    key, named, rest = message.partition(": ")
    if kind == "value_error" and not inner and named and key in model.model_fields:
        # A model's validator about one of its keys ("version: …"): at that key's line.
        return source.problem((*loc, key), f"{_dotted((*loc, key))}: {rest}")
    if kind == "string_type" and isinstance(given, bool | int | float | dt.date):
        # YAML read "2.10" as the number 2.1, "2024-03-15" as a date: quotes keep the text.
        written = _written_at(source, loc)
        if written:
            message += f': write it in quotes, as in "{written}", to keep it as text'
    return source.problem(loc, f"{path}: {message}" if path else message)


def _no_such_day(given: str) -> str:
    """Why a value written as YYYY-MM-DD is no date (2026-02-30), or ''."""
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", given.strip())
    if not match:
        return ""
    try:
        dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return ": there is no such day; check the day and the month"
    return ""


def _written_at(source: Source, loc: Loc) -> str:
    """A plain scalar as it stands in the file (up to a comment, or the end of its flow
    collection's item)."""
    line, col = source.position(loc)
    if not 1 <= line <= len(source.lines):
        return ""
    text = source.lines[line - 1][col - 1 :]
    return re.split(r"\s#|[,\]}]", text, maxsplit=1)[0].strip()


_PATTERN_WORDS: tuple[tuple[str | tuple[str, ...], str], ...] = (
    (
        "^[a-z0-9_-]",
        "expected a section id or field name (letters a-z without æ, ø and å, digits, - and _)",
    ),
    (
        "^[a-z0-9]",
        "expected letters a-z without æ, ø and å, digits and hyphens (like 'home-office')",
    ),
    (
        "^[a-z][a-z0-9_]",
        "expected letters a-z without æ, ø and å, digits and underscores, starting with a "
        "letter (like 'days_a_week')",
    ),
    (("^\\d{4}", "^[0-9]{4}"), "expected a month as YYYY-MM"),
    ("^[^@", "expected an e-mail address, like postmottak@kommune.no"),
    (
        "^[A-ZÆØÅ0-9]",
        "expected the abbreviation as the texts write it, starting with a capital letter or a "
        "digit (like 'MBM')",
    ),
    (
        "^[0-9a-f]{16}",
        "expected the fingerprint that `policy-site mark-translated` writes (run it again rather "
        "than editing it)",
    ),
    ("^https?", "expected a web address starting with http:// or https://"),
    ("^\\s*\\S", "expected text, got only spaces"),
)
"""A pattern a field's text must match (by how it starts; the first that fits), in words."""


def _expectation(kind: str, error: Any, given: Any) -> str:
    ctx = error.get("ctx") or {}
    got = f", got {kind_of(given)}"
    if kind == "string_type":
        return "expected text" + got
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "expected a whole number" + got
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false" + got
    if kind.startswith("date"):
        return "expected a date as YYYY-MM-DD" + got
    if kind == "list_type":
        return "expected a list" + got
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "expected a mapping of keys" + got
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}{got}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        said = next((words for start, words in _PATTERN_WORDS if pattern.startswith(start)), None)
        if said is not None:
            return said if said.endswith("only spaces") else said + got
        if pattern.endswith("(pdf|docx|odt|xlsx)$"):
            return (
                "expected the file name of a PDF, DOCX, ODT or XLSX document in the policy's "
                "folder (letters a-z without æ, ø and å, digits, '.', '-' and '_', ending in "
                ".pdf, .docx, .odt or .xlsx in small letters)"
            ) + got
        return f"expected text matching {pattern}" + got
    if kind == "string_too_short":
        return "expected text, got an empty value"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} item(s), got none"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        limit = next(iter(ctx.values()), "?")
        words = {
            "greater_than_equal": "at least",
            "less_than_equal": "at most",
            "greater_than": "more than",
            "less_than": "less than",
        }[kind]
        return f"expected a number {words} {limit}{got}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "rule_value":  # a rule type's own message (rules.py)
        return f"{error['msg']}{got}"
    if kind == "rule_type":
        return str(error["msg"])
    return f"{error['msg']}{got}"


def kind_of(value: Any) -> str:
    """What a value is, in words, for 'got …'."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"'{short}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return f"a date ({value.isoformat()})"
    return type(value).__name__


def _is_tag(part: Any) -> bool:
    # pydantic puts validator names (function-before[...]) into error locations.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model found at ``loc`` inside ``model`` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _inner_model(annotation: Any) -> Any:
    """The model class inside Optional[...] or list[...], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None
