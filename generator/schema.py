"""The content schema: every field typed and documented; unknown keys are errors.

Content lives under ``content/``:

- ``organisations/<slug>.yml``: an :class:`Organisation`;
- ``policies/<folder>/policy.yml``: a :class:`Policy` (metadata and rules);
- ``policies/<folder>/nb.yml`` and ``nn.yml``: a :class:`PolicyText` per written form.

``policy-site schema`` prints this documentation.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGUAGES: tuple[str, ...] = ("nb", "nn")
"""The written forms every page and form is produced in, in site order."""

Lang = Literal["nb", "nn"]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
YearMonth = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Text = Annotated[str, Field(min_length=1)]


def describe_type(annotation: Any) -> str:
    """A field's type in words, for ``policy-site schema``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "one of " + ", ".join(str(arg) for arg in args)
    if origin is Annotated:
        return describe_type(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe_type(arg) for arg in args if arg is not type(None))
    if origin is list:
        return f"list of {describe_type(args[0])}"
    names = {str: "text", int: "whole number", bool: "true/false", dt.date: "date (YYYY-MM-DD)"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def schema_text() -> str:
    """Every model of the schema with its fields, types and meaning."""
    lines: list[str] = []
    models = (Organisation, Contact, Statement, Policy, Approval, Change, Reference, Rules,
              DayRange, Equipment, PolicyText, Section, Translation, Localized)  # fmt: skip
    for model in models:
        lines += ["", f"{model.__name__}: {(model.__doc__ or '').strip().splitlines()[0]}"]
        for name, info in model.model_fields.items():
            required = "required" if info.is_required() else "optional"
            lines.append(
                f"  {name} ({describe_type(info.annotation)}, {required}): {info.description}"
            )
    return "\n".join(lines).lstrip("\n")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Localized(Model):
    """The same text in both written forms."""

    nb: Text
    """Bokmål."""
    nn: Text
    """Nynorsk."""

    def __getitem__(self, lang: str) -> str:
        return getattr(self, lang)


class Contact(Model):
    """Where readers reach an organisation, e.g. to report an accessibility problem."""

    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    """E-mail address."""
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    """Web address (http or https)."""


class Organisation(Model):
    """A public body that owns policies (``content/organisations/<slug>.yml``)."""

    slug: Slug
    """Short name used in addresses (lowercase letters, digits, hyphens); equals the file name."""
    name: Localized
    """The organisation's name in each written form."""
    official_language: Literal["nb", "nn", "neutral"]
    """The organisation's official written form (målform): nb, nn or neutral."""
    contact: Contact | None = None
    """Where to report a problem with the site or the forms (shown in the statement)."""


class DayRange(Model):
    """A range of days, both ends included."""

    min: int = Field(ge=0, le=7)
    """Fewest days."""
    max: int = Field(ge=0, le=7)
    """Most days."""

    @model_validator(mode="after")
    def _ordered(self) -> DayRange:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is less than min ({self.min})")
        return self


class Equipment(Model):
    """One kind of equipment the employer lends for the home office."""

    id: Slug
    """Stable identifier (also the form field name on the loan receipt)."""
    name: Localized
    """How the item reads in a list, in each written form."""


class Rules(Model):
    """Policy rules as data: the guideline text and the forms read them from here.

    Every rule is optional: leave out what the policy does not say.
    """

    home_days_per_week_max: int | None = Field(None, ge=0, le=7)
    """Most days a week that may be agreed at home."""
    home_days_more_by_exception: bool | None = None
    """More home days than the maximum may be agreed in exceptional cases."""
    office_days_per_week_recommended: DayRange | None = None
    """Recommended days a week at the workplace."""
    office_days_apply_to_part_time: bool | None = None
    """The office-day recommendation applies to part-time staff too."""
    meetings_override_home_days: bool | None = None
    """The employee must attend scheduled meetings in person, even on agreed home days."""
    employer_needs_override_agreement: bool | None = None
    """The employer's need for presence (e.g. emergency readiness) comes before the agreement."""
    leaders_assess_own_home_office: bool | None = None
    """Leaders must judge strictly whether a home office suits their own role."""
    trust_based: bool | None = None
    """The arrangement is based on trust."""
    no_agreement_below_days_per_week: int | None = Field(None, ge=0, le=7)
    """Below this average of home days a week, no written agreement is needed."""
    no_agreement_below_months: int | None = Field(None, ge=0)
    """Home work shorter than this many months needs no written agreement."""
    agreement_recommended_until: YearMonth | None = None
    """Month (YYYY-MM) until which agreements are recommended to run."""
    agreement_end_date: dt.date | None = None
    """Date on which every agreement ends."""
    follow_up_interval_months: int | None = Field(None, ge=1, le=12)
    """Months between the leader's follow-up conversations."""
    follow_up_more_often_on_change: bool | None = None
    """Changes in health, home situation or tasks call for more frequent follow-up."""
    employee_provides_workplace: bool | None = None
    """The employee provides a sound workplace at home (arbeidsplassforskriften)."""
    photo_documentation_required: bool | None = None
    """The employee documents the home office with a photo to the leader."""
    archive_system: Text | None = None
    """Case and archive system where the agreement is filed (e.g. Websak)."""
    home_must_be_own_home: bool | None = None
    """Home work means the employee's own home."""
    other_places_need_separate_agreement: bool | None = None
    """Work from a cabin or any other place needs a separate agreement."""
    equipment_on_loan: list[Equipment] | None = None
    """Equipment the employer lends for the home office."""
    insurance_applies_at_home: bool | None = None
    """The employees' insurances also cover work at home."""
    insurance_provider: Text | None = None
    """Name of the insurance provider."""
    leader_may_terminate_immediately: bool | None = None
    """The leader may end the agreement with immediate effect."""

    @property
    def follow_ups_per_year(self) -> int | None:
        """Follow-up conversations a year, derived from the interval."""
        if self.follow_up_interval_months is None:
            return None
        return 12 // self.follow_up_interval_months

    @field_validator("equipment_on_loan")
    @classmethod
    def _unique_equipment(cls, items: list[Equipment] | None) -> list[Equipment] | None:
        seen: set[str] = set()
        for item in items or []:
            if item.id in seen:
                raise ValueError(f"equipment id '{item.id}' is listed twice")
            seen.add(item.id)
        return items


class Approval(Model):
    """Who approved the policy, and when."""

    date: dt.date
    """Date of the decision."""
    body: Text
    """The body that decided (e.g. MBM)."""
    reference: Localized
    """The decision as written in the source, e.g. "Vedtatt i MBM 24/8-21"."""


class Change(Model):
    """One entry of the change log ("Hva er endret i siste versjon?")."""

    version: Text
    """The version this entry describes."""
    date: dt.date
    """Date of the change."""
    changes: Localized
    """What changed, in each written form (Markdown)."""


class Reference(Model):
    """A law or regulation the policy refers to."""

    name: Localized
    """Its name in each written form."""
    code: Text | None = None
    """Official identifier, e.g. FOR-2011-12-06-1356."""
    sections: list[Text] = []
    """The sections (paragraphs) referred to, e.g. ["2-2", "2-3"]."""
    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    """Address of the text (http or https)."""


class Policy(Model):
    """A policy: metadata, rules and references (``policies/<folder>/policy.yml``)."""

    id: Slug
    """Identifier, unique within the organisation; part of the page address."""
    organisation: Slug
    """Slug of the owning organisation."""
    original_language: Lang
    """The written form the policy was adopted in; the other text is a translation."""
    version: Text
    """Current version, e.g. "1.0" (quote it, or YAML reads a number)."""
    status: Literal["draft", "active", "retired"]
    """draft, active or retired."""
    approval: Approval | None = None
    """The decision that adopted the policy, when the source states it."""
    effective: dt.date | None = None
    """Date from which the policy applies, when known."""
    next_review: dt.date | None = None
    """Date of the next planned review, when set."""
    changelog: list[Change] = Field(min_length=1)
    """Every version's changes, any order; the newest date is shown as the latest."""
    rules: Rules = Rules()
    """The policy's rules as data."""
    references: list[Reference] = []
    """Laws and regulations referred to."""
    attachments: list[Slug] = []
    """Ids of the forms that belong to the policy."""

    @model_validator(mode="after")
    def _current_version_logged(self) -> Policy:
        if not any(change.version == self.version for change in self.changelog):
            raise ValueError(
                f"the change log has no entry for the current version '{self.version}'"
            )
        return self


class Section(Model):
    """A section of a policy text."""

    id: Slug
    """Identifier shared by the nb and nn texts of the policy."""
    heading: Text | None = None
    """Section heading; leave out for a section without one."""
    body: Text
    """Markdown; may use rules (``{{ rules.home_days_per_week_max }}``); subheadings use ###."""

    @field_validator("body")
    @classmethod
    def _no_top_headings(cls, body: str) -> str:
        # The page title is the h1 and section headings are h2: a body starts at h3.
        if re.search(r"^ {0,3}#{1,2}(\s|$)", body, flags=re.MULTILINE):
            raise ValueError("headings inside a body start at ### (# and ## are the page's own)")
        return body


class Statement(Model):
    """The accessibility statement (``content/accessibility.yml``), shown in both written forms."""

    reviewed: dt.date
    """When the statement was last reviewed."""
    standard: Text
    """The standard the site is measured against, e.g. WCAG 2.1 nivå A og AA."""
    tested: list[Localized] = Field(min_length=1)
    """What is tested and how, one point each."""
    limits: list[Localized] = []
    """Known limits, one point each."""


class Translation(Model):
    """Which version of the original text a translation matches (written by
    ``policy-site mark-translated``; not edited by hand)."""

    source: Lang
    """The written form translated from."""
    source_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    """Fingerprint of the original text when the translation was finished."""


class PolicyText(Model):
    """One written form of a policy (``policies/<folder>/nb.yml`` or ``nn.yml``)."""

    title: Text
    """Page title."""
    summary: Text
    """One or two sentences shown under the title and on the overview pages."""
    sections: list[Section] = Field(min_length=1)
    """The sections, in reading order; ids unique and the same in nb and nn."""
    translation: Translation | None = None
    """In a translated text: the version of the original it matches."""
