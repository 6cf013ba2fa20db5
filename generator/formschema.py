"""The form schema: one definition per form (``forms/<id>.yml``) drives its HTML page and its PDF.

Labels, hints, legends and intros may use the organisation's rules (``{{ rules.x }}``);
``when`` conditions (``rules.x``, ``org.kind == "public-body"``) include a form, section or
field only where the organisation's rules say it applies.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field as PydanticField
from pydantic import model_validator

from generator.fields import FieldName, Localized, Model, Slug

Condition = Annotated[str, PydanticField(min_length=1)]
Point = Annotated[int, PydanticField(ge=1, le=8)]

FieldType = Literal[
    "text",
    "textarea",
    "date",
    "number",
    "checkbox",
    "checkboxes",
    "radio",
    "select",
    "signature",
    "equipment",
]


class Option(Model):
    """One choice of a radio, select or checkboxes field."""

    value: FieldName
    """Stored value; for checkboxes also the end of each box's field name."""
    label: Localized
    """What the reader sees."""


class ShowIf(Model):
    """Another field's answer that makes a field apply (the field is shown only then)."""

    field: FieldName
    """Name of a radio, select or checkbox field earlier in the form."""
    value: FieldName
    """The option value (``on`` for a checkbox) that shows the field."""


class RequiredIf(Model):
    """Another field's answer that makes a field required (checked in the browser)."""

    field: FieldName
    """Name of a number field earlier in the form."""
    above: float | str
    """Required while that number is above this: a number, or text using rules that gives one."""


class MonthsAfter(Model):
    """A date offered as another date plus some months (the reader may change it)."""

    field: FieldName
    """Name of a date field earlier in the form."""
    months: int | str
    """How many months later: a whole number, or text using rules that gives one."""


class FormField(Model):
    """One field. Its ``name`` is unique in the form and becomes the PDF field name."""

    name: FieldName
    """Unique name (lowercase letters, digits, _); the PDF field name."""
    type: FieldType
    """text, textarea, date, number, checkbox, checkboxes, radio, select, signature, equipment."""
    label: Localized
    """Label (for groups: the question shown as legend). May use rules."""
    hint: Localized | None = None
    """Help text under the label. May use rules."""
    required: bool = False
    """The reader must fill it in (checked in the browser)."""
    options: list[Option] = []
    """Choices, for radio, select and checkboxes."""
    rows: int | None = PydanticField(None, ge=2, le=20)
    """Height of a textarea in lines."""
    items: FieldName | None = None
    """For an equipment field: the list rule whose items it shows (one box and serial each)."""
    when: Condition | None = None
    """Include the field only where this condition on the rules holds."""
    covers: list[Point] = []
    """Points of the regulation's § 2 (1-8) this field covers."""
    min: float | str | None = None
    """For a number field: the smallest answer; a number, or text using rules that gives one."""
    max: float | str | None = None
    """For a number field: the largest answer; a number, or text using rules that gives one."""
    after: FieldName | None = None
    """For a date field: the date field (earlier in the form) whose date it must come after."""
    show_if: ShowIf | None = None
    """Ask the question only while another field has this answer (checked in the browser)."""
    required_if: RequiredIf | None = None
    """Required only while another number field's answer is above a limit (in the browser)."""
    months_after: MonthsAfter | None = None
    """For a date field: filled in as another date field's date plus some months."""
    calendar: Localized | None = None
    """For a date field: offer the date as a calendar file (.ics) with this title. May use rules."""

    @model_validator(mode="after")
    def _options_fit_type(self) -> FormField:
        grouped = self.type in ("radio", "select", "checkboxes")
        if grouped and len(self.options) < 2:
            raise ValueError(f"a {self.type} field needs at least two options")
        if not grouped and self.options:
            raise ValueError(f"a {self.type} field takes no options")
        if self.rows is not None and self.type != "textarea":
            raise ValueError("rows applies to textarea fields only")
        if (self.type == "equipment") != (self.items is not None):
            raise ValueError(
                "an equipment field names its list rule (items: <rule id>), "
                "and only an equipment field takes items"
            )
        if (self.min is not None or self.max is not None) and self.type != "number":
            raise ValueError("min and max apply to number fields only")
        if self.after is not None and self.type != "date":
            raise ValueError("after applies to date fields only")
        if (self.months_after is not None or self.calendar is not None) and self.type != "date":
            raise ValueError("months_after and calendar apply to date fields only")
        if self.required_if is not None and self.type not in (
            "text",
            "textarea",
            "date",
            "number",
            "select",
        ):
            raise ValueError(
                f"required_if applies to fields one writes or chooses in, not to {self.type} fields"
            )
        values = [option.value for option in self.options]
        if len(values) != len(set(values)):
            raise ValueError("option values must be unique")
        return self


class FormSection(Model):
    """A group of fields, shown as a fieldset with a legend."""

    id: Slug
    """Identifier, unique in the form."""
    legend: Localized
    """The section heading (fieldset legend). May use rules."""
    intro: Localized | None = None
    """Text above the fields (Markdown-free plain text). May use rules."""
    when: Condition | None = None
    """Include the section only where this condition on the rules holds."""
    covers: list[Point] = []
    """Points of the regulation's § 2 this section covers as a whole."""
    fields: list[FormField] = PydanticField(min_length=1)
    """The fields, in order."""


class FormDefinition(Model):
    """A form or checklist (``forms/<id>.yml``)."""

    id: Slug
    """Identifier; equals the file name; part of the page and PDF address."""
    version: str = PydanticField(min_length=1)
    """Version of the form, shown in the PDF footer (quote it: "1.0")."""
    title: Localized
    """Title in each written form."""
    intro: Localized
    """Text under the title. May use rules."""
    when: Condition | None = None
    """The form exists only for organisations whose rules make this true."""
    must_cover: list[Point] = []
    """Points of the regulation's § 2 the form must cover (the agreement: 1 to 8)."""
    sections: list[FormSection] = PydanticField(min_length=1)
    """The sections, in order."""


FORM_MODELS = (FormDefinition, FormSection, FormField, Option, ShowIf, RequiredIf, MonthsAfter)
"""The form models, in the order ``policy-site schema`` prints them."""
