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

from pydantic import BeforeValidator, Field, field_validator, model_validator

from generator import addresses as at
from generator.fields import FieldName, Lang, Localized, Model, Slug, Text
from generator.formschema import FORM_MODELS, FormField, FormSection
from generator.rules import DayRange, ListItem, RuleDeclaration
from generator.rules import Option as RuleOption

DOCUMENT_TYPES = ("pdf", "docx", "odt", "xlsx")
"""File types a policy may attach as documents."""
DOCUMENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*\.(pdf|docx|odt|xlsx)$"


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
    models = (
        Organisation,
        Contact,
        Statement,
        Policy,
        Approval,
        Change,
        Reference,
        Dated,
        Attachment,
        FieldChange,
        AddedSection,
        AddedField,
        PolicyText,
        Section,
        Translation,
        Abbreviation,
        Localized,
        *FORM_MODELS,
    )
    for model in (*models, RuleDeclaration, RuleOption, ListItem, DayRange):
        lines += ["", f"{model.__name__}: {(model.__doc__ or '').strip().splitlines()[0]}"]
        for name, info in model.model_fields.items():
            required = "required" if info.is_required() else "optional"
            lines.append(
                f"  {name} ({describe_type(info.annotation)}, {required}): {info.description}"
            )
    return "\n".join(lines).lstrip("\n")


class Contact(Model):
    """Where readers reach an organisation, e.g. to report an accessibility problem."""

    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    """E-mail address."""
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    """Web address (http or https)."""


class Organisation(Model):
    """An organisation that owns policies (``content/organisations/<slug>.yml``)."""

    slug: Slug
    """Short name used in addresses (lowercase letters, digits, hyphens); equals the file name."""
    name: Localized
    """The organisation's name in each written form."""
    kind: Literal["public-body", "other"]
    """public-body (offentlig virksomhet: bound by the universal design regulation) or other."""
    official_language: Literal["nb", "nn", "neutral"]
    """The organisation's official written form (målform): nb, nn or neutral."""
    contact: Contact | None = None
    """Where to report a problem with the site or the forms (shown in the statement)."""

    @field_validator("slug")
    @classmethod
    def _not_the_sites_own(cls, slug: str) -> str:
        # The organisation's pages live in <lang>/<slug>/, beside the site's own folders.
        if slug in at.SITE_FOLDERS:
            raise ValueError(
                f"'{slug}' is the address of the site's own pages ({slug}/): choose another "
                "slug, and name the file after it"
            )
        return slug


class Approval(Model):
    """Who approved the policy, and when: give what the source states, leave out the rest."""

    body: Text | Localized | None = None
    """The body that decided (e.g. Formannskapet, MBM); {nb: …, nn: …} if the forms differ."""
    reference: Localized | None = None
    """The decision as written in the source, e.g. "Vedtatt i MBM 24/8-21"."""
    date: dt.date | None = None
    """Date of the decision."""

    def body_in(self, lang: str) -> str | None:
        """The body's name in a written form."""
        return self.body[lang] if isinstance(self.body, Localized) else self.body

    @model_validator(mode="after")
    def _something(self) -> Approval:
        if self.body is None and self.reference is None and self.date is None:
            raise ValueError("approval is empty: give body, reference or date, or leave it out")
        return self


class Change(Model):
    """One entry of the change log ("Hva er endret i siste versjon?")."""

    version: Text | None = None
    """The version this entry describes, when the source numbers its versions."""
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


class FieldChange(Model):
    """A policy's own wording of one field of an attached form."""

    label: Localized | None = None
    """The field's label for this policy. May use rules."""
    hint: Localized | None = None
    """The field's hint for this policy. May use rules."""
    required: bool | None = None
    """Whether the reader must fill it in, for this policy."""


class AddedSection(FormSection):
    """A section of the policy's own, added to an attached form."""

    after: Slug | None = None
    """The form's section it follows; leave out to add it at the end."""


class AddedField(FormField):
    """A field of the policy's own, added to a section of an attached form."""

    section: Slug
    """The section it goes into."""
    after: FieldName | None = None
    """The field it follows; leave out to add it at the end of the section."""


def _form_id_alone(value: Any) -> Any:
    # `- avtale` is short for `- form: avtale`.
    return {"form": value} if isinstance(value, str) else value


class Attachment(Model):
    """Something that belongs to a policy: a form (its id, optionally adapted), a document in the
    policy's folder, or a link. A form may be written as its id alone."""

    form: Slug | None = None
    """Id of a form in forms/ (its file name without .yml)."""
    document: Annotated[str, Field(pattern=DOCUMENT_NAME)] | None = None
    """File name of a document in the policy's folder (PDF, DOCX, ODT or XLSX)."""
    link: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    """Web address of a page or file elsewhere (http or https)."""
    title: Localized | None = None
    """The document's or link's title in each written form (forms have their own)."""
    leave_out: list[Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]] = []
    """Form sections (by id) or fields (by name) this policy does not use."""
    change: dict[FieldName, FieldChange] = {}
    """Field name -> this policy's own label, hint or required."""
    add_sections: list[AddedSection] = []
    """Sections of this policy's own (same keys as a form's sections, plus after)."""
    add_fields: list[AddedField] = []
    """Fields of this policy's own (same keys as a form's fields, plus section and after)."""

    @model_validator(mode="after")
    def _one_kind(self) -> Attachment:
        kinds = [k for k in ("form", "document", "link") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("an attachment is one of form, document or link: give exactly one")
        if kinds[0] == "form":
            if self.title is not None:
                raise ValueError("a form has its own title: leave out title")
        else:
            if self.title is None:
                raise ValueError(
                    f"a {kinds[0]} needs a title in each written form: title: {{nb: …, nn: …}}"
                )
            if self.leave_out or self.change or self.add_sections or self.add_fields:
                raise ValueError("leave_out, change, add_sections and add_fields adapt forms only")
        return self

    @property
    def kind(self) -> str:
        return "form" if self.form else "document" if self.document else "link"


PeriodValue = int | dt.date | Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
"""A year (2021), a month ("2022-06") or a date (2022-06-30)."""


class Dated(Model):
    """A statement of a policy's text that was true when it was written and may not be now
    ("for tida", "frå neste sommar", "vi arbeider med …"). The source is not rewritten: the
    page tells its readers which statements are dated once their time has passed."""

    section: Slug
    """Id of the section the statement stands in (its heading is linked from the notice)."""
    until: PeriodValue | None = None
    """When the statement stops being current: a year, "YYYY-MM" or a date; leave out to
    use the end of the policy's as_of."""
    note: Localized
    """What the statement says, in a few words, in each written form (shown in the notice)."""


class Policy(Model):
    """A policy: metadata, rules and references (``policies/<folder>/policy.yml``)."""

    id: Slug
    """Identifier, unique within the organisation; part of the page address."""
    organisation: Slug
    """Slug of the owning organisation."""
    original_language: Lang
    """The written form the policy was adopted in; the other text is a translation."""
    version: Text | None = None
    """Current version as the source gives it, e.g. "1.0" (quote it); leave out if none."""
    status: Literal["draft", "active", "retired"]
    """draft, active or retired."""
    approval: Approval | None = None
    """The decision that adopted the policy, when the source states it."""
    effective: dt.date | None = None
    """Date from which the policy applies, when known."""
    next_review: dt.date | None = None
    """Date of the next planned review, when set."""
    as_of: PeriodValue | None = None
    """When the text was written, as far as the source shows it (a year, "YYYY-MM" or a
    date): the time its "now", "this year" and "next summer" speak from."""
    dated: list[Dated] = []
    """Statements of the text that are bound to a time (see Dated)."""
    changelog: list[Change] = []
    """The changes the source lists, any order; the newest date is shown as the latest."""
    rules: dict[str, Any] = {}
    """The policy's rules as data: rule id -> value, as declared in content/rules.yml."""
    references: list[Reference] = []
    """Laws and regulations referred to."""
    attachments: list[Annotated[Attachment, BeforeValidator(_form_id_alone)]] = []
    """Forms (their id), documents and links that belong to the policy, in the order shown."""

    @field_validator("id")
    @classmethod
    def _not_the_organisations_own(cls, policy_id: str) -> str:
        # A guideline's page is <org>/<id>/, beside the organisation's own page and forms.
        if policy_id in at.ORGANISATION_FOLDERS:
            own = {"index": "page", at.FORMS: "forms"}.get(policy_id, "search index")
            raise ValueError(
                f"'{policy_id}' is the address of the organisation's own {own} "
                f"(<organisation>/{policy_id}/): choose another id"
            )
        return policy_id

    @model_validator(mode="after")
    def _dated_has_time(self) -> Policy:
        if self.as_of is None and any(item.until is None for item in self.dated):
            raise ValueError(
                "a dated statement without until needs the policy's as_of: add as_of (the "
                "date the text speaks from), or give the statement its until"
            )
        return self

    @model_validator(mode="after")
    def _current_version_logged(self) -> Policy:
        versions = [change.version for change in self.changelog if change.version]
        if self.version and versions and self.version not in versions:
            raise ValueError(
                f"version: the change log has no entry for the current version "
                f"'{self.version}': add one under changelog (version: '{self.version}'), or "
                "correct version"
            )
        return self


class Section(Model):
    """A section of a policy text."""

    id: Slug
    """Identifier shared by the nb and nn texts of the policy."""
    heading: Text | None = None
    """Section heading; leave out for a section without one."""
    body: Text
    """Markdown; may use rules (``{{ rules.x }}``) and the organisation; subheadings use ###."""

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


class Abbreviation(Model):
    """An abbreviation the texts use, explained on the pages (an item of
    ``content/glossary.yml``)."""

    term: Annotated[str, Field(pattern=r"^[A-ZÆØÅ0-9][A-Za-zÆØÅæøå0-9.&-]*$")]
    """The abbreviation as the texts write it, e.g. MBM."""
    meaning: Localized
    """What it stands for, in each written form (shown as the abbreviation's title)."""


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
