"""Stage 2 for forms: adapt a form to one policy and resolve it in one written form.

Adapting applies the policy's own changes to a shared definition (sections and fields left out,
added or reworded). Resolving applies the ``when`` conditions to the policy's rules and the
organisation, fills rules into the text and expands compound fields (checkboxes, signature,
equipment) into the plain fields that the HTML form and the PDF both show, with one unique name
each. Every part remembers the file and place it was written, so problems point there.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, TypeVar

from generator import kept
from generator.errors import Problem
from generator.fields import LANGUAGES, Localized
from generator.fill import problem_in_text
from generator.formschema import FormDefinition, FormField, FormSection
from generator.rules import LocalList
from generator.schema import Attachment
from generator.textvars import OrgView, RuleSet, TextError, expand, holds, text_environment
from generator.yamlload import Loc, Source
from generator.yamlload import dotted as _dotted

T = TypeVar("T")


@dataclass(frozen=True)
class FormWords:
    """The words forms are put together with (strings.yml: form.parts, form.regulation_points)."""

    parts: dict[str, dict[str, str]]
    """Language -> part of a compound field (name, date, serial) -> its label."""
    points: dict[int, str]
    """§ 2 point -> what it covers, in Bokmål (for the messages)."""


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
    minimum: float | None = None
    """For a number: the smallest answer (the definition's min, with the rules filled in)."""
    maximum: float | None = None
    after: str | None = None
    """For a date: the name of the date control it must come after."""
    show_if: tuple[str, str] | None = None
    """(control name, value): asked only while that control has that answer."""
    required_if: tuple[str, float] | None = None
    """(number control name, limit): required while that answer is above the limit."""
    months_after: tuple[str, int] | None = None
    """(date control name, months): filled in as that date plus the months."""
    calendar: str | None = None
    """Title of the calendar event the date can be saved as (.ics)."""


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
    made_from: str = field(default="", compare=False, repr=False)
    """Digest of everything the form was resolved from, where the build keeps its forms
    (``kept``). Empty elsewhere."""
    shows: str = field(default="", compare=False, repr=False)
    """Digest of the form as resolved (all it shows), where the build keeps its forms: it
    stands for the form in its PDF's cache key (writing out 2,600 forms in full for their keys
    took a third of a second), so that a rule the form does not show leaves its PDF as it is.
    Empty elsewhere."""

    @property
    def controls(self) -> list[Control]:
        return [c for section in self.sections for item in section.items for c in item.controls]

    @property
    def field_names(self) -> list[str]:
        """PDF field names, in order."""
        return [name for name, _ in self._labels()]

    @property
    def descriptions(self) -> dict[str, str]:
        """PDF field name -> its visible label (for a radio group, the question)."""
        return dict(self._labels())

    def _labels(self) -> list[tuple[str, str]]:
        kept_labels: list[tuple[str, str]] | None = self.__dict__.get("_kept_labels")
        if kept_labels is not None:
            return kept_labels
        return [(control.name, control.label) for control in self.controls]

    @classmethod
    def kept(
        cls,
        head: Sequence[str],
        sections: Callable[[], tuple[ResolvedSection, ...]],
        labels: list[tuple[str, str]],
        made_from: str,
        shows: str,
    ) -> ResolvedForm:
        """A form a build kept (``resolve_form``) whose sections are made only when they are
        first used: a build needs those of the organisations that changed, and of every form
        only its fields' names and labels (70,000 controls at 370 organisations). ``head``:
        its fields before the sections, in order."""
        form = object.__new__(cls)
        for name, value in zip(_head_fields(), head, strict=True):
            object.__setattr__(form, name, value)
        object.__setattr__(form, "made_from", made_from)
        object.__setattr__(form, "shows", shows)
        form.__dict__["_kept_sections"] = sections
        form.__dict__["_kept_labels"] = labels
        return form

    if not TYPE_CHECKING:  # to the type checker, ``sections`` is a field like any other

        def __getattr__(self, name: str) -> Any:
            """A kept form's sections, made when first asked for (see ``kept``)."""
            make = self.__dict__.get("_kept_sections")
            if name != "sections" or make is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            sections = make()
            object.__setattr__(self, "sections", sections)
            del self.__dict__["_kept_sections"]
            return sections

    def __getstate__(self) -> dict[str, Any]:
        """A copy (another process's) holds the form made: what is kept stays here."""
        self.sections  # noqa: B018 (made now, where it is not yet)
        return {name: value for name, value in self.__dict__.items() if name[0] != "_"}


@functools.cache
def _head_fields() -> tuple[str, ...]:
    """The names of a resolved form's fields before its sections (``ResolvedForm.kept``)."""
    names = [f.name for f in fields(ResolvedForm)]
    return tuple(names[: names.index("sections")])


@dataclass
class FormSource:
    """A validated definition with the YAML positions to report problems at."""

    definition: FormDefinition
    source: Source

    @functools.cached_property
    def digest(self) -> str:
        """Digest of the whole definition (forms kept with the rules filled in name it)."""
        return hashlib.sha256(self.definition.model_dump_json().encode()).hexdigest()

    @functools.cached_property
    def placed(self) -> tuple[PlacedSection, ...]:
        """The definition's sections and fields, each where it was written: the same for
        every policy that attaches the form (hundreds of organisations: made once)."""
        return tuple(
            PlacedSection(
                self.source,
                ("sections", s),
                section,
                tuple(
                    PlacedField(self.source, ("sections", s, "fields", f), fld)
                    for f, fld in enumerate(section.fields)
                ),
            )
            for s, section in enumerate(self.definition.sections)
        )


@dataclass(frozen=True)
class Placed:
    """A part of an adapted form and where it was written."""

    source: Source
    loc: Loc


@dataclass(frozen=True)
class PlacedField(Placed):
    field: FormField


@dataclass(frozen=True)
class PlacedSection(Placed):
    section: FormSection
    fields: tuple[PlacedField, ...]


@dataclass(frozen=True)
class AdaptedForm:
    """A form as one policy uses it: the shared definition with the policy's own changes."""

    form: FormSource
    sections: tuple[PlacedSection, ...]
    changes: str = ""
    """The policy's changes to the definition, all of them (as JSON)."""


def adapt(
    form: FormSource, attachment: Attachment, policy: Source, loc: Loc, problems: list[Problem]
) -> AdaptedForm:
    """Apply a policy's ``leave_out``, ``change``, ``add_sections`` and ``add_fields``."""
    d = form.definition
    sections = list(form.placed)

    def unknown(kind: str, name: str, known: list[str], where: Loc) -> None:
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f": did you mean '{hint[0]}'?" if hint else f" (known: {', '.join(known)})"
        problems.append(
            policy.problem(
                where, f"{_dotted(where)}: form '{d.id}' has no {kind} '{name}'{suggestion}"
            )
        )

    def field_names() -> list[str]:
        return [p.field.name for s in sections for p in s.fields]

    for index, new in enumerate(attachment.add_sections):
        where = (*loc, "add_sections", index)
        ids = [s.section.id for s in sections]
        placed = PlacedSection(
            policy,
            where,
            new,
            tuple(
                PlacedField(policy, (*where, "fields", f), fld) for f, fld in enumerate(new.fields)
            ),
        )
        if new.id in ids:
            problems.append(
                policy.problem(
                    (*where, "id"),
                    f"{_dotted((*where, 'id'))}: form '{d.id}' already has a section '{new.id}'",
                )
            )
        elif new.after is None:
            sections.append(placed)
        elif new.after in ids:
            sections.insert(ids.index(new.after) + 1, placed)
        else:
            unknown("section", new.after, ids, (*where, "after"))

    for index, added in enumerate(attachment.add_fields):
        where = (*loc, "add_fields", index)
        ids = [s.section.id for s in sections]
        if added.section not in ids:
            unknown("section", added.section, ids, (*where, "section"))
            continue
        target = sections[ids.index(added.section)]
        names = [p.field.name for p in target.fields]
        plain = FormField.model_validate(added.model_dump(exclude={"section", "after"}))
        item = PlacedField(policy, where, plain)
        if added.after is None:
            position = len(names)
        elif added.after in names:
            position = names.index(added.after) + 1
        else:
            unknown("field", added.after, names, (*where, "after"))
            continue
        fields = list(target.fields)
        fields.insert(position, item)
        sections[ids.index(added.section)] = replace(target, fields=tuple(fields))

    for index, name in enumerate(attachment.leave_out):
        where = (*loc, "leave_out", index)
        ids = [s.section.id for s in sections]
        if name in ids:
            del sections[ids.index(name)]
        elif name in field_names():
            sections = [
                replace(s, fields=tuple(p for p in s.fields if p.field.name != name))
                for s in sections
            ]
        else:
            unknown("section or field", name, ids + field_names(), where)

    for name, change in attachment.change.items():
        where = (*loc, "change", name)
        if name not in field_names():
            unknown("field", name, field_names(), where)
            continue
        # The changed field is reported at the policy's lines: its new wording is written there.
        update = change.model_dump(exclude_none=True)
        update = {key: getattr(change, key) for key in update}
        sections = [
            replace(
                s,
                fields=tuple(
                    PlacedField(policy, where, p.field.model_copy(update=update))
                    if p.field.name == name
                    else p
                    for p in s.fields
                ),
            )
            for s in sections
        ]
    changes = attachment.model_dump_json()
    return AdaptedForm(form, tuple(s for s in sections if s.fields), changes)


@dataclass
class _Resolver:
    form: AdaptedForm
    rules: RuleSet
    lang: str
    org: OrgView
    problems: list[Problem]
    words: FormWords
    covered: set[int] = field(default_factory=set)

    def applies(self, condition: str | None, source: Source, loc: Loc) -> bool:
        if condition is None:
            return True
        try:
            return holds(text_environment(), condition, self.rules, self.org)
        except TextError as exc:
            self.problems.append(source.problem(loc, f"{_dotted(loc)}: {exc.message}"))
            return False

    def text(self, value: Localized | None, source: Source, loc: Loc) -> str | None:
        if value is None:
            return None
        try:
            return expand(text_environment(), value[self.lang], self.rules, self.lang, self.org)
        except TextError as exc:
            where = (*loc, self.lang)
            self.problems.append(problem_in_text(source, where, value[self.lang], exc))
            return value[self.lang]

    def resolve(self) -> ResolvedForm:
        d = self.form.form.definition
        source = self.form.form.source
        sections = []
        for placed in self.form.sections:
            section, loc = placed.section, placed.loc
            if not self.applies(section.when, placed.source, (*loc, "when")):
                continue
            items = tuple(
                self.item(p.field, p.source, p.loc)
                for p in placed.fields
                if self.applies(p.field.when, p.source, (*p.loc, "when"))
            )
            if not items:
                continue
            self.covered.update(section.covers)
            sections.append(
                ResolvedSection(
                    section.id,
                    self.text(section.legend, placed.source, (*loc, "legend")) or "",
                    (self.text(section.intro, placed.source, (*loc, "intro")) or "").strip()
                    or None,
                    items,
                )
            )
        return ResolvedForm(
            d.id,
            d.version,
            self.lang,
            d.title[self.lang],
            self.text(d.intro, source, ("intro",)) or "",
            tuple(sections),
        )

    def item(self, f: FormField, source: Source, loc: Loc) -> Item:
        self.covered.update(f.covers)
        label = self.text(f.label, source, (*loc, "label")) or ""
        # A hint may exist only under a condition ({% if rules.x %}…{% endif %}).
        hint = (self.text(f.hint, source, (*loc, "hint")) or "").strip() or None
        lang = self.lang
        if f.type == "checkboxes":
            controls = tuple(
                Control(f"{f.name}_{o.value}", "checkbox", o.label[lang]) for o in f.options
            )
        elif f.type == "signature":
            # The signer is part of each label: "Arbeidstaker: dato" reads right out of context.
            controls = (
                Control(
                    f"{f.name}_navn",
                    "text",
                    f"{label}: {self.words.parts[lang]['name']}",
                    required=f.required,
                ),
                Control(
                    f"{f.name}_dato",
                    "date",
                    f"{label}: {self.words.parts[lang]['date']}",
                    required=f.required,
                ),
            )
        elif f.type == "equipment":
            controls = self.equipment(f, source, loc)
        else:
            options = tuple((o.value, o.label[lang]) for o in f.options)
            show_if = (f.show_if.field, f.show_if.value) if f.show_if else None
            controls = (
                Control(
                    f.name,
                    f.type,
                    label,
                    hint,
                    f.required,
                    options,
                    f.rows,
                    self.number(f.min, source, (*loc, "min")),
                    self.number(f.max, source, (*loc, "max")),
                    f.after,
                    show_if,
                    self.required_if(f, source, loc),
                    self.months_after(f, source, loc),
                    self.text(f.calendar, source, (*loc, "calendar")),
                ),
            )
        return Item(f.name, label, hint, f.type, controls, f.required)

    def required_if(self, f: FormField, source: Source, loc: Loc) -> tuple[str, float] | None:
        if f.required_if is None:
            return None
        limit = self.number(f.required_if.above, source, (*loc, "required_if", "above"))
        return None if limit is None else (f.required_if.field, limit)

    def months_after(self, f: FormField, source: Source, loc: Loc) -> tuple[str, int] | None:
        if f.months_after is None:
            return None
        where = (*loc, "months_after", "months")
        months = self.number(f.months_after.months, source, where)
        if months is None:
            return None
        if months != int(months) or not 1 <= months <= 120:
            message = f"{_dotted(where)}: '{months:g}' is not a whole number of months (1-120)"
            self.problems.append(source.problem(where, message))
            return None
        return (f.months_after.field, int(months))

    def number(self, value: float | str | None, source: Source, loc: Loc) -> float | None:
        """A limit: a number, or a text whose rules give one."""
        if value is None or isinstance(value, float | int):
            return value
        try:
            text = expand(text_environment(), value, self.rules, self.lang, self.org).strip()
        except TextError as exc:
            self.problems.append(problem_in_text(source, loc, value, exc))
            return None
        try:
            return float(text.replace(",", "."))
        except ValueError:
            self.problems.append(
                source.problem(
                    loc, f"{_dotted(loc)}: '{text}' is not a number once the rules are filled in"
                )
            )
            return None

    def equipment(self, f: FormField, source: Source, loc: Loc) -> tuple[Control, ...]:
        """One box and one serial-number field per item of the field's list rule."""
        lang, rule = self.lang, str(f.items)
        declaration = self.rules.catalogue.by_id.get(rule)
        items = self.rules.values.get(rule) if declaration is not None else None
        if declaration is None or declaration.type != "list":
            self.problems.append(
                source.problem(
                    (*loc, "items"),
                    f"{_dotted((*loc, 'items'))}: '{rule}' is not a list rule of the catalogue",
                )
            )
            return ()
        if not items:
            self.problems.append(
                source.problem(
                    loc,
                    f"{_dotted(loc)}: the policy does not set rules.{rule}; give the field (or its "
                    f"section) when: rules.{rule}",
                )
            )
            return ()
        controls: list[Control] = []
        for thing in LocalList(items, lang):
            label = _capital((thing.label or thing.name)[lang])
            controls.append(Control(f"{f.name}_{thing.id}", "checkbox", label))
            serial = f"{self.words.parts[self.lang]['serial']}: {label}"
            controls.append(Control(f"{f.name}_{thing.id}_serienr", "text", serial))
        return tuple(controls)


def resolve_form(
    form: AdaptedForm,
    rules: RuleSet,
    lang: str,
    org: OrgView,
    problems: list[Problem],
    words: FormWords,
) -> tuple[ResolvedForm, set[int]]:
    """The form as one organisation's policy makes it, and the § 2 points it covers."""
    results, key = kept.current(), ""
    if results is not None:  # the same form, changes, rules and words as an earlier build's
        parts = repr(sorted(words.parts[lang].items()))
        key = kept.digest(
            "form", form.form.digest, form.changes, rules.fingerprint, lang, repr(org), parts
        )
        earlier = _resolved_from(results.get(key), results.later(key + _SECTIONS), key)
        if earlier is not None:
            return earlier
    count = len(problems)
    resolver = _Resolver(form, rules, lang, org, problems, words)
    resolved = resolver.resolve()
    if results is not None and len(problems) == count:
        *head, sections, _, _ = astuple(resolved)
        labels = resolved._labels()
        shows = kept.digest("shows", repr(resolved))
        results.put(key, [head, labels, sorted(resolver.covered), shows])
        results.put(key + _SECTIONS, sections)
        resolved = replace(resolved, made_from=key, shows=shows)
    return resolved, resolver.covered


_SECTIONS = ":sections"
"""What a kept form's sections are kept under: its key and this."""


def _resolved_from(
    data: Any, sections: Callable[[], Any] | None, key: str
) -> tuple[ResolvedForm, set[int]] | None:
    """A resolved form as ``resolve_form`` keeps it (under ``key``), or None: its fields but
    the sections, its controls' names and labels and the points it covers; apart, its
    sections, each a list of its fields in order (JSON has lists for tuples), decoded once
    they are used."""
    if data is None or sections is None:
        return None
    try:
        head, labels, covers, shows = data
        return ResolvedForm.kept(
            head,
            lambda: tuple(map(_section, sections())),
            labels,  # pairs as JSON has them: lists of two texts
            key,
            shows,
        ), {int(point) for point in covers}
    except (TypeError, ValueError):
        return None


def _section(row: list[Any]) -> ResolvedSection:
    return _made(ResolvedSection, row[:3], tuple(map(_item, row[3])))


def _item(row: list[Any]) -> Item:
    return _made(Item, row[:4], tuple(map(_control, row[4])), *row[5:])


def _made(kind: Callable[..., T], *parts: Any) -> T:
    """``kind`` from its fields in order: the first part a list of the first fields."""
    first, *rest = parts
    return kind(*first, *rest)


_FIELDS = [f.name for f in fields(Control)]
_OPTIONS = _FIELDS.index("options")
_PAIRS = [_FIELDS.index(name) for name in ("show_if", "required_if", "months_after")]


def _control(row: list[Any]) -> Control:
    row = list(row)
    row[_OPTIONS] = tuple(map(tuple, row[_OPTIONS]))
    for index in _PAIRS:
        if row[index] is not None:
            row[index] = tuple(row[index])
    return Control(*row)


def failed_condition(
    form: FormSource, rules: RuleSet, org: OrgView, problems: list[Problem], words: FormWords
) -> str | None:
    """The form's own ``when`` when it does not hold for the organisation, else None."""
    condition = form.definition.when
    resolver = _Resolver(AdaptedForm(form, ()), rules, LANGUAGES[0], org, problems, words)
    if resolver.applies(condition, form.source, ("when",)):
        return None
    return condition


def check_resolved(
    form: AdaptedForm,
    resolved: ResolvedForm,
    covered: set[int],
    org_slug: str,
    problems: list[Problem],
    words: FormWords,
) -> None:
    """Unique field names, and every § 2 point the form must cover."""
    # A kept form found right once is right again: what it is made from is in its key.
    results = kept.current() if resolved.made_from else None
    key = kept.digest("checked", resolved.made_from, org_slug)
    if results is not None and results.get(key) is not None:
        return
    count = len(problems)
    seen: dict[str, str] = {}
    for control in resolved.controls:
        if control.name in seen:
            source, loc = _field_place(form, control.name)
            problems.append(
                source.problem(
                    loc,
                    f"{_dotted(loc)}: field name '{control.name}' is used twice in the form "
                    "(each name becomes a PDF field and must be unique)",
                )
            )
        seen[control.name] = control.label
    _check_references(form, resolved, problems)
    definition = form.form.definition
    for point in definition.must_cover:
        if point not in covered:
            problems.append(
                form.form.source.problem(
                    ("must_cover",),
                    f"must_cover: § 2 point {point} ({words.points.get(point, '?')}) "
                    f"is not covered by any field for organisation '{org_slug}': add covers: "
                    f"[{point}] to a field or section that applies to it",
                )
            )
    if results is not None and len(problems) == count:
        results.put(key, True)


def _check_references(form: AdaptedForm, resolved: ResolvedForm, problems: list[Problem]) -> None:
    """``after`` names an earlier date field, ``show_if`` an earlier field and one of its answers,
    as the organisation's form has them (a ``when`` may leave a field out)."""

    def report(control: Control, keys: tuple[str, ...], message: str) -> None:
        # Looked up only for a problem: every form of every organisation is checked.
        source, loc = _field_place(form, control.name)
        where = (*(loc[:-1] if loc and loc[-1] == "name" else loc), *keys)
        problems.append(source.problem(where, f"{_dotted(where)}: {message}"))

    earlier: dict[str, Control] = {}
    for control in resolved.controls:
        if control.after is not None:
            other = earlier.get(control.after)
            if other is None or other.type != "date":
                report(
                    control,
                    ("after",),
                    f"'{control.after}' is not a date field before '{control.name}' in this "
                    "form: name one",
                )
        if control.show_if is not None:
            name, value = control.show_if
            other = earlier.get(name)
            answers = (
                ["on"]
                if other is not None and other.type == "checkbox"
                else [option for option, _ in (other.options if other is not None else ())]
            )
            if other is None or other.type not in ("radio", "select", "checkbox"):
                report(
                    control,
                    ("show_if", "field"),
                    f"'{name}' is not a radio, select or checkbox field before "
                    f"'{control.name}' in this form: name one",
                )
            elif value not in answers:
                report(
                    control,
                    ("show_if", "value"),
                    f"'{name}' has no answer '{value}' (its answers: {', '.join(answers)})",
                )
        for key, wanted, (name, _) in (
            ("required_if", ("number",), control.required_if or ("", 0)),
            ("months_after", ("date",), control.months_after or ("", 0)),
        ):
            other = earlier.get(name)
            if name and (other is None or other.type not in wanted):
                report(
                    control,
                    (key, "field"),
                    f"'{name}' is not a {wanted[0]} field before '{control.name}' in this "
                    "form: name one",
                )
        earlier[control.name] = control


def _field_place(form: AdaptedForm, name: str) -> tuple[Source, Loc]:
    """Where the last field that produces control ``name`` is defined: for a repeated name,
    the repetition."""
    found: tuple[Source, Loc] = (form.form.source, ())
    for section in form.sections:
        for placed in section.fields:
            if name == placed.field.name or name.startswith(f"{placed.field.name}_"):
                found = (placed.source, (*placed.loc, "name"))
    return found


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


__all__ = [
    "AdaptedForm",
    "Control",
    "FormSource",
    "Item",
    "ResolvedForm",
    "ResolvedSection",
    "adapt",
    "resolve_form",
]
