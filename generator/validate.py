"""Stage 2: read the content and form files, validate them into typed models and put them
together (organisations, rules, policies, their texts and attachments), collecting every problem
with its place. Messages for pydantic's errors come from messages.py; rules are filled into text
by fill.py.
"""

from __future__ import annotations

import os
import re
import typing
from dataclasses import replace
from pathlib import Path
from typing import Any

from generator.allowlist import left_out, too_deep
from generator.errors import ContentError, Problem, display_path
from generator.fields import LANGUAGE_NAMES, LANGUAGES, SLUG_PATTERN, Localized
from generator.fill import fill, problem_in_text
from generator.forms import (
    AdaptedForm,
    FormSource,
    FormWords,
    ResolvedForm,
    adapt,
    check_resolved,
    failed_condition,
    resolve_form,
)
from generator.formschema import FormDefinition
from generator.messages import load_model, validate_at, validate_list_at
from generator.project import (
    AttachmentRef,
    Document,
    FormInstance,
    FormRef,
    Link,
    PolicyEntry,
    Project,
    pinned_date,
)
from generator.rules import CATALOGUE_FILE, Catalogue, RuleDeclaration
from generator.schema import Abbreviation, Organisation, Policy, PolicyText, Statement
from generator.templates import Strings, load_strings
from generator.textvars import (
    OrgView,
    RuleSet,
    TextError,
    check_formula,
    derive,
    unknown_rules,
)
from generator.translations import state as translation_state
from generator.yamlload import Loc, Source, dotted, load_yaml

TEMPLATES = Path(__file__).resolve().parent.parent / "site_templates"
"""The site's own templates and strings.yml, where a caller names no other."""


def load_project(
    content_dir: Path, forms_dir: Path | None = None, templates_dir: Path | None = None
) -> Project:
    """Read and validate content and forms; raise ContentError listing every problem.

    Forms are put together with words from ``templates_dir``'s strings.yml."""
    project, problems = _collect(content_dir, forms_dir, templates_dir or TEMPLATES)
    if problems or project is None:
        raise ContentError(problems)
    return project


def check_content(
    content_dir: Path, forms_dir: Path | None = None, templates_dir: Path | None = None
) -> tuple[Project | None, list[Problem]]:
    """The validated project (None when invalid) and every problem (empty when clean)."""
    project, problems = _collect(content_dir, forms_dir, templates_dir or TEMPLATES)
    return project, sorted(set(problems))


def load_project_text(path: Path) -> PolicyText:
    """One language file as written (rules not filled in)."""
    problems: list[Problem] = []
    text = load_model(path, PolicyText, problems)[1]
    if text is None:
        raise ContentError(problems)
    return text


def _collect(
    content_dir: Path, forms_dir: Path | None, templates_dir: Path
) -> tuple[Project | None, list[Problem]]:
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if not content_dir.is_dir():
        return None, [Problem.at(content_dir, 1, 1, "content folder not found")]
    try:
        words = form_words(load_strings(templates_dir))
    except ContentError as exc:
        return None, exc.problems

    catalogue = _load_catalogue(content_dir / CATALOGUE_FILE, problems)
    organisations = _load_organisations(content_dir / "organisations", problems, warnings)
    statement = _load_statement(content_dir / "accessibility.yml", problems, warnings)
    glossary = _load_glossary(content_dir / GLOSSARY, problems)
    definitions = _load_forms(forms_dir, problems)

    policies: list[PolicyEntry] = []
    instances: list[FormInstance] = []
    seen: dict[tuple[str, str], Path] = {}
    policy_dir = content_dir / "policies"
    folders = sorted(p for p in policy_dir.iterdir() if p.is_dir()) if policy_dir.is_dir() else []
    if not folders:
        problems.append(Problem.at(policy_dir, 1, 1, "no policies: expected policies/*/policy.yml"))
    loaded: list[PolicyEntry] = []
    for folder in folders:
        entry = _load_policy(folder, organisations, catalogue, problems, warnings)
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
        loaded.append(entry)
    # Forms read the build's pinned date (``is past``), which every policy's dates make up.
    today = pinned_date(statement, [e.policy for e in loaded]) if statement else None
    for entry in loaded:
        org = organisations[entry.policy.organisation]
        assert entry.rules is not None
        entry = replace(entry, rules=replace(entry.rules, today=today))
        # Forms keep the order the policy attaches them in (pages, navigation, manifest).
        entry, forms = _attach(entry, org, definitions, forms_dir, problems, warnings, words)
        policies.append(entry)
        instances += forms

    if problems or statement is None or catalogue is None:
        return None, problems
    policies.sort(key=lambda entry: entry.key)
    order = {entry.key: index for index, entry in enumerate(policies)}
    instances.sort(key=lambda form: order[form.org, form.policy_id])
    warnings += _translation_warnings(policies)
    organisations = dict(sorted(organisations.items()))
    project = Project(
        content_dir,
        organisations,
        statement,
        catalogue,
        policies,
        instances,
        sorted(set(warnings)),
        glossary,
    )
    return project, problems


def _load_catalogue(path: Path, problems: list[Problem]) -> Catalogue | None:
    if not os.path.lexists(path):
        problems.append(
            Problem.at(
                path,
                1,
                1,
                f"missing rule catalogue: expected "
                f"{CATALOGUE_FILE} in the content folder (a list of rules, "
                "see `policy-site schema`)",
            )
        )
        return None
    source, yaml_problems = load_yaml(path)
    problems.extend(yaml_problems)
    if source is None or yaml_problems:
        return None
    declarations = validate_list_at(source.data, RuleDeclaration, source, problems)
    if declarations is None:
        return None
    unique: dict[str, RuleDeclaration] = {}
    for index, rule in enumerate(declarations):
        if rule.id in unique:
            problems.append(
                source.problem((index, "id"), f"[{index}].id: rule '{rule.id}' is declared twice")
            )
        unique.setdefault(rule.id, rule)
    catalogue = Catalogue(rules=list(unique.values()))
    for index, rule in enumerate(declarations):
        if rule.formula is not None:
            try:
                check_formula(rule.formula, catalogue)
            except TextError as exc:
                problems.append(
                    source.problem((index, "formula"), f"[{index}].formula: {exc.message}")
                )
    return catalogue


def load_catalogue(content_dir: Path) -> Catalogue | None:
    """The content's rule catalogue, or None when it is missing or has problems."""
    return _load_catalogue(content_dir / CATALOGUE_FILE, [])


def _load_organisations(
    org_dir: Path, problems: list[Problem], warnings: list[Problem]
) -> dict[str, Organisation]:
    organisations: dict[str, Organisation] = {}
    sources: dict[str, Source] = {}
    org_files = sorted(org_dir.glob("*.yml")) if org_dir.is_dir() else []
    if not org_files:
        problems.append(Problem.at(org_dir, 1, 1, "no organisations: expected organisations/*.yml"))
    for path in org_files:
        source, org = load_model(path, Organisation, problems)
        if source is None or org is None:
            continue
        if org.slug != path.stem:
            message = (
                f"slug '{org.slug}' differs from the file name '{path.name}': "
                + _named_after("slug", org.slug, path, "organisation")
            )
            problems.append(source.problem(("slug",), message))
            continue
        organisations[org.slug] = org
        sources[org.slug] = source
    warnings += _same_names(organisations, sources)
    return organisations


def _same_names(
    organisations: dict[str, Organisation], sources: dict[str, Source]
) -> list[Problem]:
    """A warning at each organisation whose name another one has too (some municipalities
    share a name): lists, headings and search results would not tell them apart."""
    warnings = []
    for lang in LANGUAGES:
        named: dict[str, list[str]] = {}
        for slug, org in organisations.items():
            named.setdefault(" ".join(org.name[lang].casefold().split()), []).append(slug)
        for slugs in (slugs for slugs in named.values() if len(slugs) > 1):
            for slug in slugs:
                others = ", ".join(f"{other}.yml" for other in slugs if other != slug)
                said = (
                    f"warning: name.{lang}: '{organisations[slug].name[lang]}' is also the name "
                    f"of {others}: readers cannot tell them apart in lists and search results; "
                    "add to the name what sets it apart (its county, say)"
                )
                problem = sources[slug].problem(("name", lang), said)
                warnings.append(replace(problem, kind="name"))
    return warnings


def _named_after(key: str, value: str, path: Path, what: str) -> str:
    """What to do when a file is not named after its slug or id (a copy, a typo)."""
    wanted = path.with_name(f"{value}.yml")
    if wanted.exists():  # a copy of another's file
        return (
            f"{wanted.name} is another {what}'s; give this one a {key} of its own and name the "
            "file after it"
        )
    if re.fullmatch(SLUG_PATTERN, path.stem):
        return f"set {key} to '{path.stem}', or rename the file {wanted.name}"
    return f"rename the file {wanted.name}"


GLOSSARY = "glossary.yml"
"""Abbreviations the texts use (optional)."""


def _load_glossary(path: Path, problems: list[Problem]) -> dict[str, Localized]:
    if not os.path.lexists(path):
        return {}
    source, yaml_problems = load_yaml(path)
    problems.extend(yaml_problems)
    if source is None:
        return {}
    items = validate_list_at(source.data, Abbreviation, source, problems) or []
    glossary: dict[str, Localized] = {}
    for index, item in enumerate(items):
        if item.term in glossary:
            problems.append(
                source.problem((index, "term"), f"[{index}].term: '{item.term}' is explained twice")
            )
        glossary[item.term] = item.meaning
    return glossary


def _load_statement(
    path: Path, problems: list[Problem], warnings: list[Problem]
) -> Statement | None:
    if not os.path.lexists(path):
        problems.append(
            Problem.at(
                path,
                1,
                1,
                "missing accessibility statement: expected accessibility.yml in the content folder",
            )
        )
        return None
    source, statement = load_model(path, Statement, problems)
    if source is not None and statement is not None:
        for key in ("tested", "limits"):
            for index, point in enumerate(getattr(statement, key)):
                for lang in LANGUAGES:
                    warnings += _markup_warnings(source, (key, index, lang), point[lang], problems)
    return statement


def _load_forms(forms_dir: Path | None, problems: list[Problem]) -> dict[str, FormSource]:
    forms: dict[str, FormSource] = {}
    if forms_dir is None or not forms_dir.is_dir():
        return forms
    for path in sorted(forms_dir.glob("*.yml")):
        source, definition = load_model(path, FormDefinition, problems)
        if source is None or definition is None:
            continue
        if definition.id != path.stem:
            message = (
                f"id: form id '{definition.id}' differs from the file name '{path.name}': "
                + _named_after("id", definition.id, path, "form")
            )
            problems.append(source.problem(("id",), message))
            continue
        forms[definition.id] = FormSource(definition, source)
    return forms


def form_words(strings: Strings) -> FormWords:
    """The words forms are put together with, from strings.yml."""
    points = strings[LANGUAGES[0]]["form"]["regulation_points"]
    return FormWords(
        {lang: dict(strings[lang]["form"]["parts"]) for lang in LANGUAGES},
        {int(point): str(text) for point, text in points.items()},
    )


def org_view(org: Organisation, lang: str) -> OrgView:
    return OrgView(org.slug, org.kind, org.official_language, org.name[lang])


def _attach(
    entry: PolicyEntry,
    org: Organisation,
    definitions: dict[str, FormSource],
    forms_dir: Path | None,
    problems: list[Problem],
    warnings: list[Problem],
    words: FormWords,
) -> tuple[PolicyEntry, list[FormInstance]]:
    """The policy's attachments in order: forms resolved with its rules, documents checked."""
    policy, source, rules = entry.policy, entry.source, entry.rules
    assert rules is not None
    refs: list[AttachmentRef] = []
    instances: list[FormInstance] = []
    attached: set[str] = set()
    for index, attachment in enumerate(policy.attachments):
        loc = ("attachments", index)
        if attachment.document is not None and attachment.title is not None:
            document = _document(entry.folder, attachment.document, source, loc, problems)
            if document is not None:
                refs.append(Document(document, attachment.title, document.stat().st_size))
            continue
        if attachment.link is not None and attachment.title is not None:
            refs.append(Link(attachment.link, attachment.title))
            continue
        form_id = str(attachment.form)
        form = definitions.get(form_id)
        if form is None and forms_dir is not None and (forms_dir / f"{form_id}.yml").is_file():
            continue  # the form's own file has problems, reported there
        if form is None:
            known = ", ".join(sorted(definitions)) or "none"
            problems.append(
                source.problem(
                    (*loc, "form"), f"{dotted(loc)}: unknown form '{form_id}' (known: {known})"
                )
            )
            continue
        if form_id in attached:
            problems.append(
                source.problem(loc, f"{dotted(loc)}: form '{form_id}' is attached twice")
            )
            continue
        attached.add(form_id)
        failed = failed_condition(form, rules, org_view(org, "nb"), problems, words)
        if failed is not None:
            said = (
                f"warning: {dotted(loc)}: form '{form_id}' does not apply to '{org.slug}': its "
                f"condition `when: {failed}` does not hold for this policy's rules; remove the "
                "attachment or set the rule"
            )
            warnings.append(replace(source.problem(loc, said), kind="form"))
            continue
        adapted = adapt(form, attachment, source, loc, problems)
        resolved = _resolve(adapted, rules, org, problems, words)
        if resolved is not None:
            instances.append(FormInstance(org.slug, policy.id, form_id, resolved))
            refs.append(FormRef(form_id))
    return replace(entry, attachments=tuple(refs)), instances


def _resolve(
    adapted: AdaptedForm,
    rules: RuleSet,
    org: Organisation,
    problems: list[Problem],
    words: FormWords,
) -> dict[str, ResolvedForm] | None:
    count = len(problems)
    resolved: dict[str, ResolvedForm] = {}
    for lang in LANGUAGES:
        resolved[lang], covered = resolve_form(
            adapted, rules, lang, org_view(org, lang), problems, words
        )
        if lang == LANGUAGES[0]:
            check_resolved(adapted, resolved[lang], covered, org.slug, problems, words)
    return resolved if len(problems) == count else None


def _document(
    folder: Path, name: str, source: Source, loc: tuple[Any, ...], problems: list[Problem]
) -> Path | None:
    path = folder / name
    where = (*loc, "document")
    wrong = _not_a_document(path)
    if wrong:
        problems.append(source.problem(where, f"{dotted(where)}: document '{name}' {wrong}"))
        return None
    return path


_ZIP = b"PK\x03\x04"
_DOCUMENT_STARTS = {".pdf": b"%PDF-", ".docx": _ZIP, ".odt": _ZIP, ".xlsx": _ZIP}
"""How each kind of document a policy attaches begins (DOCX, ODT and XLSX are ZIP files)."""


def _not_a_document(path: Path) -> str:
    """What is wrong with an attached document's file, or ''."""
    folder = display_path(path.parent)
    if not os.path.lexists(path):
        return f"is not in the policy's folder: put the file in {folder}/ or correct the name"
    if path.is_symlink():
        return f"is a link: put the file itself in {folder}/"
    if not path.is_file():
        return "is not a file (a folder, or a device): put the document itself there"
    start = _DOCUMENT_STARTS.get(path.suffix.lower())
    with open(path, "rb") as handle:
        head = handle.read(8)
    if start is not None and not head.startswith(start):
        kind = path.suffix.lstrip(".").upper()
        return (
            f"is not a {kind} file (its content is not what a .{kind.lower()} holds): save it "
            f"again as {kind}, or name it after what it is"
        )
    return ""


def _load_policy(
    folder: Path,
    organisations: dict[str, Organisation],
    catalogue: Catalogue | None,
    problems: list[Problem],
    warnings: list[Problem],
) -> PolicyEntry | None:
    policy_path = folder / "policy.yml"
    if not os.path.lexists(policy_path):
        message = (
            "missing policy.yml in policy folder: write it (with nb.yml and nn.yml beside it), "
            "or move the folder out of policies/"
        )
        problems.append(Problem.at(policy_path, 1, 1, message))
        return None
    source, policy = load_model(policy_path, Policy, problems)
    if source is not None and policy is not None and policy.organisation not in organisations:
        known = ", ".join(sorted(organisations)) or "none"
        problems.append(
            source.problem(
                ("organisation",), f"unknown organisation '{policy.organisation}' (known: {known})"
            )
        )
        policy = None
    rules = None
    if source is not None and policy is not None and catalogue is not None:
        rules = _rules(policy, source, catalogue, problems)
    elif source is not None and catalogue is not None and isinstance(source.data, dict):
        # The policy has problems of its own; its rules' are found in the same run.
        given = source.data.get("rules")
        if isinstance(given, dict):
            validate_at(given, catalogue.model(), source, ("rules",), problems)

    texts: dict[str, tuple[Source, PolicyText]] = {}
    for lang in LANGUAGES:
        path = folder / f"{lang}.yml"
        if not os.path.lexists(path):
            problems.append(
                Problem.at(
                    policy_path,
                    1,
                    1,
                    f"missing {LANGUAGE_NAMES[lang]} text: expected {path.name} beside it",
                )
            )
            continue
        text_source, text = load_model(path, PolicyText, problems)
        if text_source is not None and text is not None:
            texts[lang] = (text_source, text)
            _check_section_ids(text_source, text, problems)

    if len(texts) == len(LANGUAGES):
        _compare_sections(texts, problems)
    if source is not None and policy is not None and texts:
        ids = [section.id for section in next(iter(texts.values()))[1].sections]
        for index, item in enumerate(policy.dated):
            if item.section not in ids:
                known = ", ".join(ids)
                problems.append(
                    source.problem(
                        ("dated", index, "section"),
                        f"dated[{index}]: no "
                        f"section '{item.section}' in the texts (sections: {known})",
                    )
                )
    if policy is None or rules is None or len(texts) != len(LANGUAGES):
        if catalogue is not None:  # what the texts get wrong on their own, found now too
            for text_source, text in texts.values():
                _check_rule_names(text_source, text, catalogue, problems)
        return None
    assert source is not None  # a policy only validates when its file loaded
    org = organisations[policy.organisation]
    expanded = {
        lang: _expand(src, text, rules, lang, org_view(org, lang), problems)
        for lang, (src, text) in texts.items()
    }
    if any(text is None for text in expanded.values()):
        return None
    for lang, (src, _) in texts.items():
        filled = expanded[lang]
        assert filled is not None
        warnings += _markup_warnings(src, ("summary",), filled.summary, problems)
        for index, section in enumerate(filled.sections):
            warnings += _markup_warnings(src, ("sections", index, "body"), section.body, problems)
    for index, change in enumerate(policy.changelog):
        for lang in LANGUAGES:
            loc = ("changelog", index, "changes", lang)
            warnings += _markup_warnings(source, loc, change.changes[lang], problems)
    original = texts[policy.original_language][1]
    states = {
        lang: translation_state(text, lang, policy.original_language, original)
        for lang, (_, text) in texts.items()
    }
    return PolicyEntry(
        folder, policy, typing.cast(dict[str, PolicyText], expanded), source, states, rules
    )


def _rules(
    policy: Policy, source: Source, catalogue: Catalogue, problems: list[Problem]
) -> RuleSet | None:
    """The policy's rules, checked against the catalogue, with derived rules worked out."""
    model = catalogue.model()
    validated = validate_at(policy.rules, model, source, ("rules",), problems)
    if validated is None:
        return None
    values = {key: value for key, value in validated if value is not None}
    rules = RuleSet(catalogue, values)
    for rule in catalogue.rules:
        if rule.formula is None:
            continue
        try:
            value = derive(rule.formula, rules)
        except TextError as exc:
            problems.append(
                source.problem(
                    ("rules",),
                    f"rules: the derived rule '{rule.id}' cannot be worked out: {exc.message}",
                )
            )
            return None
        if value is not None:
            rules = RuleSet(catalogue, {**rules.values, rule.id: value})
    return rules


def _check_rule_names(
    source: Source, text: PolicyText, catalogue: Catalogue, problems: list[Problem]
) -> None:
    """Unknown rules and broken templates in a text that cannot be filled in (its policy's
    rules have problems): reported with those, not after they are fixed."""
    places: list[tuple[Loc, str]] = [(("summary",), text.summary)]
    places += [(("sections", i, "body"), s.body) for i, s in enumerate(text.sections)]
    for loc, value in places:
        for error in unknown_rules(value, catalogue):
            problems.append(problem_in_text(source, loc, value, error))


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
                    f"sections are in another order than in "
                    f"{first}.yml: expected {', '.join(first_ids)}",
                )
            )
        _compare_headings((first, first_src, first_text), (lang, src, text), problems)


def _compare_headings(
    a: tuple[str, Source, PolicyText], b: tuple[str, Source, PolicyText], problems: list[Problem]
) -> None:
    """A section has a heading in both written forms or in neither: a reader of one would
    otherwise miss it (and the page's table of contents)."""
    headed = {
        lang: {s.id: s.heading is not None for s in text.sections} for lang, _, text in (a, b)
    }
    for (_, source, text), (other, _, _) in ((a, b), (b, a)):
        for index, section in enumerate(text.sections):
            if section.heading is None and headed[other].get(section.id):
                problems.append(
                    source.problem(
                        ("sections", index, "id"),
                        f"section '{section.id}' has no heading here but has one in "
                        f"{other}.yml: add 'heading:' here too, or leave it out in both",
                    )
                )


def _report_missing(
    source: Source, ids: list[str], other_ids: list[str], other: str, problems: list[Problem]
) -> None:
    """Sections of one text that the other written form (``other``) lacks."""
    for index, section_id in enumerate(ids):
        if section_id not in other_ids:
            message = (
                f"sections[{index}].id: section '{section_id}' is not in {other}.yml "
                f"(expected the same section ids as {other}.yml)"
            )
            problems.append(source.problem(("sections", index, "id"), message))


def _expand(
    source: Source,
    text: PolicyText,
    rules: RuleSet,
    lang: str,
    org: OrgView,
    problems: list[Problem],
) -> PolicyText | None:
    """Fill rules into summary and section bodies, reporting each failure where it stands."""
    count = len(problems)
    summary = fill(source, ("summary",), text.summary, rules, lang, problems, org)
    sections = [
        section.model_copy(
            update={
                "body": fill(
                    source, ("sections", index, "body"), section.body, rules, lang, problems, org
                )
            }
        )
        for index, section in enumerate(text.sections)
    ]
    if len(problems) > count:
        return None
    return text.model_copy(update={"summary": summary, "sections": sections})


def _markup_warnings(
    source: Source, loc: Loc, markdown: str, problems: list[Problem]
) -> list[Problem]:
    """A warning for each piece of a Markdown text that its page would leave out (an HTML tag
    typed as words, a link to a scheme pages do not allow), where it stands in the file; an
    error (into ``problems``) for one that takes the rest of the text with it."""
    where = dotted(loc)
    warnings = []
    deep = too_deep(markdown)
    for piece in [*left_out(markdown), *([deep] if deep else [])]:
        place = source.find(loc, piece.written)
        if piece.loses_rest:
            problems.append(Problem.at(source.path, *place, f"{where}: {piece.message}"))
        else:
            warnings.append(
                Problem.at(source.path, *place, f"warning: {where}: {piece.message}", kind="markup")
            )
    return warnings


def _translation_warnings(policies: list[PolicyEntry]) -> list[Problem]:
    """A warning for each translation that is stale or was never marked as done."""
    warnings = []
    for entry in policies:
        original = entry.policy.original_language
        for lang, state in entry.translations.items():
            path = entry.folder / f"{lang}.yml"
            command = f"policy-site mark-translated {display_path(entry.folder)} {lang}"
            if state == "stale":
                warnings.append(
                    Problem.at(
                        path,
                        1,
                        1,
                        f"warning: the {LANGUAGE_NAMES[lang]} translation is stale: "
                        f"{original}.yml changed since it was marked done; update it, then run "
                        f"`{command}`",
                        kind="translation",
                    )
                )
            elif state == "unmarked":
                warnings.append(
                    Problem.at(
                        path,
                        1,
                        1,
                        f"warning: the {LANGUAGE_NAMES[lang]} translation is not marked as "
                        f"matching {original}.yml; when it does, run `{command}`",
                        kind="translation",
                    )
                )
    return warnings


__all__ = ["FormInstance", "PolicyEntry", "Project", "check_content", "load_project"]
