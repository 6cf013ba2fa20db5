"""Stage 2 for forms: validate ``forms/*.yml`` and resolve each form for one policy and language.

Resolving applies the ``when`` conditions to the policy's rules, fills rules into the text and
expands compound fields (checkboxes, signature, equipment) into the plain fields that the HTML
form and the PDF both show, with one unique name each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import TemplateSyntaxError

from generator.errors import Problem
from generator.formschema import REGULATION_POINTS, FormDefinition, FormField, FormSection
from generator.schema import LANGUAGES, Localized, Rules
from generator.textvars import (
    TextEnvironment,
    TextVariableError,
    expand,
    holds,
    text_environment,
)
from generator.yamlload import Loc, Source
from generator.yamlload import dotted as _dotted

# Labels of the parts a compound field expands into.
PART_LABELS = {
    "date": Localized(nb="dato", nn="dato"),
    "name": Localized(nb="navn med blokkbokstaver", nn="namn med blokkbokstavar"),
    "signature": Localized(nb="Underskrift", nn="Underskrift"),
    "serial": Localized(nb="Serienummer", nn="Serienummer"),
}


@dataclass(frozen=True)
class Control:
    """One input as both the HTML form and the PDF show it."""

    name: str
    """Unique in the form: the HTML name and the PDF field name."""
    type: str
    """text, textarea, date, number, checkbox, radio or select."""
    label: str
    hint: str | None = None
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    """(value, label) for radio and select."""
    rows: int | None = None


@dataclass(frozen=True)
class Item:
    """A field of the definition, resolved: a single control or a labelled group of them."""

    name: str
    """The definition's field name (the group's name for compound fields)."""
    label: str
    hint: str | None
    kind: str
    """The definition's type (text, checkboxes, signature, equipment...)."""
    controls: tuple[Control, ...]
    required: bool = False

    @property
    def grouped(self) -> bool:
        """Shown as a fieldset with the label as legend (several controls, or radio)."""
        return len(self.controls) > 1 or self.kind in ("radio", "checkboxes", "signature")


@dataclass(frozen=True)
class ResolvedSection:
    id: str
    legend: str
    intro: str | None
    items: tuple[Item, ...]


@dataclass(frozen=True)
class ResolvedForm:
    """One form for one organisation's policy, in one written form."""

    id: str
    version: str
    lang: str
    title: str
    intro: str
    sections: tuple[ResolvedSection, ...]

    @property
    def controls(self) -> list[Control]:
        return [c for section in self.sections for item in section.items for c in item.controls]

    @property
    def field_names(self) -> list[str]:
        """PDF field names, in order."""
        return [control.name for control in self.controls]

    @property
    def descriptions(self) -> dict[str, str]:
        """PDF field name -> its visible label (for a radio group, the question)."""
        return {control.name: control.label for control in self.controls}


@dataclass
class FormSource:
    """A validated definition with the YAML positions to report problems at."""

    definition: FormDefinition
    source: Source


@dataclass
class _Resolver:
    form: FormSource
    rules: Rules
    lang: str
    org: str
    problems: list[Problem]
    env: TextEnvironment = field(default_factory=text_environment)
    covered: set[int] = field(default_factory=set)

    def applies(self, condition: str | None, loc: Loc) -> bool:
        if condition is None:
            return True
        try:
            return holds(self.env, condition, self.rules)
        except (TemplateSyntaxError, TextVariableError) as exc:
            message = exc.message if isinstance(exc, TemplateSyntaxError) else str(exc)
            self.problems.append(self.form.source.problem(loc, f"{_dotted(loc)}: {message}"))
            return False

    def text(self, value: Localized | None, loc: Loc) -> str | None:
        if value is None:
            return None
        try:
            return expand(self.env, value[self.lang], self.rules, self.lang, self.org)
        except (TemplateSyntaxError, TextVariableError) as exc:
            message = exc.message if isinstance(exc, TemplateSyntaxError) else str(exc)
            where = (*loc, self.lang)
            self.problems.append(self.form.source.problem(where, f"{_dotted(where)}: {message}"))
            return value[self.lang]

    def resolve(self) -> ResolvedForm:
        d = self.form.definition
        sections = []
        for s_index, section in enumerate(d.sections):
            loc: Loc = ("sections", s_index)
            if not self.applies(section.when, (*loc, "when")):
                continue
            items = tuple(self.item(f, (*loc, "fields", i)) for i, f in enumerate(section.fields)
                          if self.applies(f.when, (*loc, "fields", i, "when")))  # fmt: skip
            if not items:
                continue
            self.covered.update(section.covers)
            sections.append(ResolvedSection(
                section.id, self.text(section.legend, (*loc, "legend")) or "",
                self.text(section.intro, (*loc, "intro")), items,
            ))  # fmt: skip
        return ResolvedForm(d.id, d.version, self.lang, d.title[self.lang],
                            self.text(d.intro, ("intro",)) or "", tuple(sections))  # fmt: skip

    def item(self, f: FormField, loc: Loc) -> Item:
        self.covered.update(f.covers)
        label = self.text(f.label, (*loc, "label")) or ""
        hint = self.text(f.hint, (*loc, "hint"))
        lang = self.lang
        if f.type == "checkboxes":
            controls = tuple(Control(f"{f.name}_{o.value}", "checkbox", o.label[lang])
                             for o in f.options)  # fmt: skip
        elif f.type == "signature":
            # The signer is part of each label: "Arbeidstaker: dato" reads right out of context.
            controls = (
                Control(f"{f.name}_navn", "text", f"{label}: {PART_LABELS['name'][lang]}",
                        required=f.required),
                Control(f"{f.name}_dato", "date", f"{label}: {PART_LABELS['date'][lang]}",
                        required=f.required),
            )  # fmt: skip
        elif f.type == "equipment":
            items = self.rules.equipment_on_loan or []
            controls = tuple(
                control
                for thing in items
                for control in (
                    Control(f"{f.name}_{thing.id}", "checkbox", _capital(thing.name[lang])),
                    Control(f"{f.name}_{thing.id}_serienr", "text",
                            f"{PART_LABELS['serial'][lang]}: {thing.name[lang]}"),
                )
            )  # fmt: skip
            if not items:
                self.problems.append(self.form.source.problem(
                    loc, f"{_dotted(loc)}: an equipment field needs rules.equipment_on_loan; "
                    "give it (or its section) when: rules.equipment_on_loan"))  # fmt: skip
        else:
            options = tuple((o.value, o.label[lang]) for o in f.options)
            controls = (Control(f.name, f.type, label, hint, f.required, options, f.rows),)
        return Item(f.name, label, hint, f.type, controls, f.required)


def resolve_form(
    form: FormSource, rules: Rules, lang: str, org: str, problems: list[Problem]
) -> tuple[ResolvedForm, set[int]]:
    """The form as one organisation's policy makes it, and the § 2 points it covers."""
    resolver = _Resolver(form, rules, lang, org, problems)
    return resolver.resolve(), resolver.covered


def form_applies(form: FormSource, rules: Rules, problems: list[Problem]) -> bool:
    resolver = _Resolver(form, rules, LANGUAGES[0], "", problems)
    return resolver.applies(form.definition.when, ("when",))


def check_resolved(form: FormSource, resolved: ResolvedForm, covered: set[int], org_slug: str,
                   problems: list[Problem]) -> None:  # fmt: skip
    """Unique field names, and every § 2 point the form must cover."""
    seen: dict[str, str] = {}
    for control in resolved.controls:
        if control.name in seen:
            loc = _field_loc(form.definition, control.name)
            problems.append(form.source.problem(
                loc, f"{_dotted(loc)}: field name '{control.name}' is used twice in the form "
                "(each name becomes a PDF field and must be unique)"))  # fmt: skip
        seen[control.name] = control.label
    for point in form.definition.must_cover:
        if point not in covered:
            problems.append(form.source.problem(
                ("must_cover",), f"must_cover: § 2 point {point} ({REGULATION_POINTS[point].nb}) "
                f"is not covered by any field for organisation '{org_slug}': add covers: "
                f"[{point}] to a field or section that applies to it"))  # fmt: skip


def _field_loc(definition: FormDefinition, name: str) -> Loc:
    """Where the last field that produces control ``name`` is defined: for a repeated name,
    the repetition."""
    found: Loc = ()
    for s_index, section in enumerate(definition.sections):
        for f_index, f in enumerate(section.fields):
            if name == f.name or name.startswith(f"{f.name}_"):
                found = ("sections", s_index, "fields", f_index, "name")
    return found


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def form_path(forms_dir: Path, form_id: str) -> Path:
    return forms_dir / f"{form_id}.yml"


__all__ = ["Control", "FormSection", "Item", "ResolvedForm", "ResolvedSection", "resolve_form"]
