"""Stage 2: validate loaded YAML into typed models, collecting every problem with its place."""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError
from pydantic import BaseModel, ValidationError

from generator.errors import ContentError, Problem, display_path
from generator.forms import FormSource, ResolvedForm, check_resolved, form_applies, resolve_form
from generator.formschema import FormDefinition
from generator.schema import LANGUAGES, Organisation, Policy, PolicyText, Section, Statement
from generator.textvars import TextVariableError, expand, text_environment
from generator.translations import State
from generator.translations import state as translation_state
from generator.yamlload import Loc, Source, load_yaml
from generator.yamlload import dotted as _dotted

LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk"}


@dataclass(frozen=True)
class PolicyEntry:
    """A validated policy with its texts, rules already filled in."""

    folder: Path
    policy: Policy
    texts: dict[str, PolicyText]
    source: Source = field(repr=False, compare=False)
    """policy.yml with its positions, to report later problems at the right line."""
    translations: dict[str, State] = field(default_factory=dict)
    """Per written form: original, current, stale or unmarked (see translations.py)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.policy.organisation, self.policy.id)


@dataclass(frozen=True)
class FormInstance:
    """A form as one organisation's policy makes it, in every written form."""

    org: str
    policy_id: str
    form_id: str
    forms: dict[str, ResolvedForm]


@dataclass(frozen=True)
class Project:
    """Everything the content and form folders say, validated."""

    content_dir: Path
    organisations: dict[str, Organisation]
    statement: Statement
    policies: list[PolicyEntry] = field(default_factory=list)
    forms: list[FormInstance] = field(default_factory=list)

    def translation_warnings(self) -> list[Problem]:
        """A warning for each translation that is stale or was never marked as done."""
        warnings = []
        for entry in self.policies:
            original = entry.policy.original_language
            for lang, state in entry.translations.items():
                path = entry.folder / f"{lang}.yml"
                command = f"policy-site mark-translated {display_path(entry.folder)} {lang}"
                if state == "stale":
                    warnings.append(Problem.at(path, 1, 1,
                        f"warning: the {LANGUAGE_NAMES[lang]} translation is stale: "
                        f"{original}.yml changed since it was marked done; update it, then run "
                        f"`{command}`"))  # fmt: skip
                elif state == "unmarked":
                    warnings.append(Problem.at(path, 1, 1,
                        f"warning: the {LANGUAGE_NAMES[lang]} translation is not marked as "
                        f"matching {original}.yml; when it does, run `{command}`"))  # fmt: skip
        return sorted(warnings)

    def policies_of(self, slug: str) -> list[PolicyEntry]:
        return [entry for entry in self.policies if entry.policy.organisation == slug]

    def forms_of(self, slug: str, policy_id: str | None = None) -> list[FormInstance]:
        return [
            form
            for form in self.forms
            if form.org == slug and (policy_id is None or form.policy_id == policy_id)
        ]


def load_project(content_dir: Path, forms_dir: Path | None = None) -> Project:
    """Read and validate content and forms; raise ContentError listing every problem."""
    project, problems = _collect(content_dir, forms_dir)
    if problems or project is None:
        raise ContentError(problems)
    return project


def check_content(
    content_dir: Path, forms_dir: Path | None = None
) -> tuple[Project | None, list[Problem]]:
    """The validated project (None when invalid) and every problem (empty when clean)."""
    project, problems = _collect(content_dir, forms_dir)
    return project, sorted(set(problems))


def load_project_text(path: Path) -> PolicyText:
    """One language file as written (rules not filled in)."""
    problems: list[Problem] = []
    text = _load_model(path, PolicyText, problems)[1]
    if text is None:
        raise ContentError(problems)
    return text


def _collect(content_dir: Path, forms_dir: Path | None) -> tuple[Project | None, list[Problem]]:
    problems: list[Problem] = []
    if not content_dir.is_dir():
        return None, [Problem.at(content_dir, 1, 1, "content folder not found")]

    organisations: dict[str, Organisation] = {}
    org_dir = content_dir / "organisations"
    org_files = sorted(org_dir.glob("*.yml")) if org_dir.is_dir() else []
    if not org_files:
        problems.append(Problem.at(org_dir, 1, 1, "no organisations: expected organisations/*.yml"))
    for path in org_files:
        source, org = _load_model(path, Organisation, problems)
        if source is None or org is None:
            continue
        if org.slug != path.stem:
            problems.append(
                source.problem(
                    ("slug",),
                    f"slug '{org.slug}' differs from the file name "
                    f"'{path.name}': expected '{path.stem}'",
                )
            )
            continue
        organisations[org.slug] = org

    policies: list[PolicyEntry] = []
    seen: dict[tuple[str, str], Path] = {}
    policy_dir = content_dir / "policies"
    folders = sorted(p for p in policy_dir.iterdir() if p.is_dir()) if policy_dir.is_dir() else []
    if not folders:
        problems.append(Problem.at(policy_dir, 1, 1, "no policies: expected policies/*/policy.yml"))
    for folder in folders:
        entry = _load_policy(folder, organisations, problems)
        if entry is None:
            continue
        if entry.key in seen:
            problems.append(
                Problem.at(
                    folder / "policy.yml",
                    1,
                    1,
                    f"policy '{entry.policy.id}' of '{entry.policy.organisation}' is "
                    f"already defined in {seen[entry.key] / 'policy.yml'}",
                )
            )
            continue
        seen[entry.key] = folder
        policies.append(entry)

    statement_path = content_dir / "accessibility.yml"
    statement = None
    if statement_path.is_file():
        statement = _load_model(statement_path, Statement, problems)[1]
    else:
        problems.append(Problem.at(statement_path, 1, 1, "missing accessibility statement: "
                                   "expected accessibility.yml in the content folder"))  # fmt: skip

    policies.sort(key=lambda entry: entry.key)
    definitions = _load_forms(forms_dir, problems)
    # Forms keep the order the policy attaches them in (pages, navigation, manifest).
    instances = _resolve_forms(policies, organisations, definitions, forms_dir, problems)
    if problems or statement is None:
        return None, problems
    organisations = dict(sorted(organisations.items()))
    return Project(content_dir, organisations, statement, policies, instances), problems


def _load_forms(forms_dir: Path | None, problems: list[Problem]) -> dict[str, FormSource]:
    forms: dict[str, FormSource] = {}
    if forms_dir is None or not forms_dir.is_dir():
        return forms
    for path in sorted(forms_dir.glob("*.yml")):
        source, definition = _load_model(path, FormDefinition, problems)
        if source is None or definition is None:
            continue
        if definition.id != path.stem:
            problems.append(source.problem(
                ("id",), f"id: form id '{definition.id}' differs from the file name "
                f"'{path.name}': expected '{path.stem}'"))  # fmt: skip
            continue
        forms[definition.id] = FormSource(definition, source)
    return forms


def _resolve_forms(
    policies: list[PolicyEntry], organisations: dict[str, Organisation],
    definitions: dict[str, FormSource], forms_dir: Path | None, problems: list[Problem],
) -> list[FormInstance]:  # fmt: skip
    """Each policy's attached forms, resolved with its rules; attachments must name forms."""
    instances: list[FormInstance] = []
    attached: dict[tuple[str, str], str] = {}
    for entry in policies:
        policy = entry.policy
        source = entry.source
        for index, form_id in enumerate(policy.attachments):
            form = definitions.get(form_id)
            if form is None and forms_dir is not None and (forms_dir / f"{form_id}.yml").is_file():
                continue  # the form's own file has problems, reported there
            if form is None:
                known = ", ".join(sorted(definitions)) or "none"
                message = f"attachments[{index}]: unknown form '{form_id}' (known: {known})"
                problems.append(source.problem(("attachments", index), message))
                continue
            key = (policy.organisation, form_id)
            if key in attached:
                problems.append(source.problem(("attachments", index),
                    f"attachments[{index}]: form '{form_id}' is already attached to policy "
                    f"'{attached[key]}' of '{policy.organisation}'"))  # fmt: skip
                continue
            attached[key] = policy.id
            if not form_applies(form, policy.rules, problems):
                continue
            org = organisations[policy.organisation]
            resolved: dict[str, ResolvedForm] = {}
            for lang in LANGUAGES:
                resolved[lang], covered = resolve_form(form, policy.rules, lang, org.name[lang],
                                                       problems)  # fmt: skip
                if lang == LANGUAGES[0]:
                    check_resolved(form, resolved[lang], covered, org.slug, problems)
            instances.append(FormInstance(org.slug, policy.id, form_id, resolved))
    return instances


def _load_policy(
    folder: Path, organisations: dict[str, Organisation], problems: list[Problem]
) -> PolicyEntry | None:
    policy_path = folder / "policy.yml"
    if not policy_path.is_file():
        problems.append(Problem.at(policy_path, 1, 1, "missing policy.yml in policy folder"))
        return None
    source, policy = _load_model(policy_path, Policy, problems)
    if source is not None and policy is not None and policy.organisation not in organisations:
        known = ", ".join(sorted(organisations)) or "none"
        problems.append(
            source.problem(
                ("organisation",), f"unknown organisation '{policy.organisation}' (known: {known})"
            )
        )
        policy = None

    texts: dict[str, tuple[Source, PolicyText]] = {}
    for lang in LANGUAGES:
        path = folder / f"{lang}.yml"
        if not path.is_file():
            problems.append(
                Problem.at(
                    policy_path,
                    1,
                    1,
                    f"missing {LANGUAGE_NAMES[lang]} text: expected {path.name} beside it",
                )
            )
            continue
        text_source, text = _load_model(path, PolicyText, problems)
        if text_source is not None and text is not None:
            texts[lang] = (text_source, text)
            _check_section_ids(text_source, text, problems)

    if len(texts) == len(LANGUAGES):
        _compare_sections(texts, problems)
    if policy is None or len(texts) != len(LANGUAGES):
        return None
    expanded = {
        lang: _expand(src, text, policy, lang, problems) for lang, (src, text) in texts.items()
    }
    if any(text is None for text in expanded.values()):
        return None
    assert source is not None  # a policy only validates when its file loaded
    original = texts[policy.original_language][1]
    states = {
        lang: translation_state(text, lang, policy.original_language, original)
        for lang, (_, text) in texts.items()
    }
    return PolicyEntry(folder, policy, typing.cast(dict[str, PolicyText], expanded), source, states)


def _check_section_ids(source: Source, text: PolicyText, problems: list[Problem]) -> None:
    seen: set[str] = set()
    for index, section in enumerate(text.sections):
        if section.id in seen:
            problems.append(
                source.problem(
                    ("sections", index, "id"),
                    f"sections[{index}].id: section id '{section.id}' is used twice",
                )
            )
        seen.add(section.id)


def _compare_sections(texts: dict[str, tuple[Source, PolicyText]], problems: list[Problem]) -> None:
    """The written forms of one policy must have the same sections in the same order."""
    (first, (first_src, first_text)), *others = texts.items()
    first_ids = [s.id for s in first_text.sections]
    for lang, (src, text) in others:
        ids = [s.id for s in text.sections]
        _report_missing(src, ids, first_ids, first, problems)
        _report_missing(first_src, first_ids, ids, lang, problems)
        if set(ids) == set(first_ids) and ids != first_ids:
            problems.append(
                src.problem(
                    ("sections",),
                    f"sections are in another order than in {first}.yml: "
                    f"expected {', '.join(first_ids)}",
                )
            )


def _report_missing(
    source: Source, ids: list[str], other_ids: list[str], other: str, problems: list[Problem]
) -> None:
    """Sections of one text that the other written form (``other``) lacks."""
    for index, section_id in enumerate(ids):
        if section_id not in other_ids:
            message = (f"sections[{index}].id: section '{section_id}' is not in {other}.yml "
                       f"(expected the same section ids as {other}.yml)")  # fmt: skip
            problems.append(source.problem(("sections", index, "id"), message))


def _expand(
    source: Source, text: PolicyText, policy: Policy, lang: str, problems: list[Problem]
) -> PolicyText | None:
    """Fill rules into summary and section bodies, reporting each failure where it stands."""
    env = text_environment()
    count = len(problems)

    def fill(value: str, loc: Loc) -> str:
        try:
            return expand(env, value, policy.rules, lang)
        except TemplateSyntaxError as exc:
            line = source.text_start(loc) + (exc.lineno or 1) - 1
            problems.append(
                Problem.at(
                    source.path,
                    line,
                    _column(source, line, "{"),
                    f"{_dotted(loc)}: template error: {exc.message}",
                )
            )
        except TextVariableError as exc:
            line = source.text_start(loc) + _line_using(value, exc.name) - 1
            problems.append(
                Problem.at(
                    source.path,
                    line,
                    _column(source, line, exc.name),
                    f"{_dotted(loc)}: {exc.message}",
                )
            )
        return value

    summary = fill(text.summary, ("summary",))
    sections = [
        section.model_copy(update={"body": fill(section.body, ("sections", index, "body"))})
        for index, section in enumerate(text.sections)
    ]
    if len(problems) > count:
        return None
    return text.model_copy(update={"summary": summary, "sections": sections})


def _line_using(text: str, name: str) -> int:
    """1-based line of the first template expression in ``text`` that mentions ``name``."""
    pattern = re.compile(rf"\b{re.escape(name)}\b")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line) and ("{{" in line or "{%" in line or "." in line):
            return number
    return 1


def _column(source: Source, line: int, needle: str) -> int:
    """1-based column of ``needle`` on a file line (1 when it cannot be found)."""
    if 1 <= line <= len(source.lines):
        found = source.lines[line - 1].find(needle)
        if found >= 0:
            return found + 1
    return 1


def _load_model(path: Path, model: type[BaseModel], problems: list[Problem]):
    source, yaml_problems = load_yaml(path)
    problems.extend(yaml_problems)
    if source is None:
        return None, None
    if yaml_problems:
        return source, None
    if not isinstance(source.data, dict):
        problems.append(source.problem((), f"expected a mapping of keys, got {_kind(source.data)}"))
        return source, None
    try:
        return source, model.model_validate(source.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            problems.append(_problem_from(source, model, error))
        return source, None


def _problem_from(source: Source, model: type[BaseModel], error: Any) -> Problem:
    loc: Loc = tuple(error["loc"])
    kind, given = error["type"], error.get("input")
    # Model-level validators report at the model; the message already names the key.
    path = _dotted(loc)
    if kind == "missing":
        return source.problem(
            loc[:-1], f"{_dotted(loc[:-1]) or 'top level'}: missing required key '{loc[-1]}'"
        )
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suffix = f": did you mean '{hint[0]}'?" if hint else f" (allowed: {', '.join(allowed)})"
        return source.problem(
            loc, f"unknown key '{loc[-1]}' in {_dotted(loc[:-1]) or 'top level'}{suffix}", key=True
        )
    message = _expectation(kind, error, given)
    return source.problem(loc, f"{path}: {message}" if path else message)


def _expectation(kind: str, error: Any, given: Any) -> str:
    ctx = error.get("ctx") or {}
    got = f", got {_kind(given)}"
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
        if pattern.startswith("^[a-z0-9]"):
            return "expected lowercase letters, digits and hyphens (like 'home-office')" + got
        if pattern.startswith("^\\d{4}"):
            return "expected a month as YYYY-MM" + got
        if pattern.startswith("^https?"):
            return "expected a web address starting with http:// or https://" + got
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
    return f"{error['msg']}{got}"


def _kind(value: Any) -> str:
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
    return type(value).__name__


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the model found at ``loc`` inside ``model`` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


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


__all__ = ["PolicyEntry", "Project", "Section", "check_content", "load_project"]
