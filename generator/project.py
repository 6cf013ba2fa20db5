"""The validated project: what every later stage reads (rendering, PDFs, the manifest)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import Problem
from generator.fields import Localized
from generator.forms import ResolvedForm
from generator.rules import Catalogue
from generator.schema import Change, Organisation, Policy, PolicyText, Statement
from generator.textvars import RuleSet
from generator.translations import State
from generator.yamlload import Source


@dataclass(frozen=True)
class Document:
    """A file of the policy's folder, published beside its guideline."""

    path: Path
    title: Localized
    size: int
    """Bytes."""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def type(self) -> str:
        """PDF, DOCX, ODT or XLSX."""
        return self.path.suffix.lstrip(".").upper()


@dataclass(frozen=True)
class Link:
    """A page or file elsewhere that belongs to the policy."""

    url: str
    title: Localized


@dataclass(frozen=True)
class FormRef:
    """An attached form (resolved in FormInstance)."""

    form_id: str


AttachmentRef = Document | Link | FormRef


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
    rules: RuleSet | None = field(default=None, repr=False, compare=False)
    attachments: tuple[AttachmentRef, ...] = ()
    """What the policy attaches, in its order (forms that do not apply left out)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.policy.organisation, self.policy.id)

    @property
    def documents(self) -> list[Document]:
        return [a for a in self.attachments if isinstance(a, Document)]

    @property
    def latest_change(self) -> Change | None:
        return latest_change(self.policy.changelog)


def latest_change(changelog: list[Change]) -> Change | None:
    if not changelog:
        return None
    return max(changelog, key=lambda change: (change.date, change.version or ""))


def pinned_date(statement: Statement, policies: list[Policy]) -> dt.date:
    """The newest date the content states (see Project.build_date)."""
    dates = [statement.reviewed]
    for policy in policies:
        dates += [change.date for change in policy.changelog]
        if policy.approval and policy.approval.date:
            dates.append(policy.approval.date)
    return max(dates)


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
    catalogue: Catalogue
    policies: list[PolicyEntry] = field(default_factory=list)
    forms: list[FormInstance] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    """Things to look at that do not stop a build (errors under --strict)."""
    glossary: dict[str, Localized] = field(default_factory=dict)
    """Abbreviation -> what it stands for (content/glossary.yml)."""

    # The project is complete once made, so what is read from it many times is worked out
    # once: with hundreds of organisations, a scan per question made rendering quadratic.

    @functools.cached_property
    def build_date(self) -> dt.date:
        """The newest date the content states: the site's pinned build date, so the same
        content always builds to the same bytes (and no date is made up)."""
        return pinned_date(self.statement, [entry.policy for entry in self.policies])

    @functools.cached_property
    def _policies_by_org(self) -> dict[str, list[PolicyEntry]]:
        found: dict[str, list[PolicyEntry]] = {}
        for entry in self.policies:
            found.setdefault(entry.policy.organisation, []).append(entry)
        return found

    @functools.cached_property
    def _forms_by_org(self) -> dict[str, list[FormInstance]]:
        found: dict[str, list[FormInstance]] = {}
        for form in self.forms:
            found.setdefault(form.org, []).append(form)
        return found

    def policies_of(self, slug: str) -> list[PolicyEntry]:
        return list(self._policies_by_org.get(slug, []))

    def forms_of(self, slug: str, policy_id: str | None = None) -> list[FormInstance]:
        return [
            form
            for form in self._forms_by_org.get(slug, [])
            if policy_id is None or form.policy_id == policy_id
        ]
