"""What in a policy is bound to a time: its review date, its dated statements and its
time-bound rules. The guideline's notice and ``policy-site status`` both read this."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from generator.fields import LANGUAGES
from generator.project import PolicyEntry
from generator.rules import localize
from generator.textvars import period_end
from generator.yamlload import Loc


@dataclass(frozen=True)
class DatedItem:
    """One statement that stops being current on a day."""

    until: dt.date
    """The last day it is current."""
    note: dict[str, str]
    """Written form -> what it says, in a few words."""
    section: str | None
    """The section it stands in, where known."""
    loc: Loc
    """Where it is set in policy.yml."""


def period_start(value: object) -> dt.date:
    """The first day a year, a month ("YYYY-MM") or a date refers to."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int):
        return dt.date(value, 1, 1)
    year, month = (int(part) for part in str(value).split("-"))
    return dt.date(year, month, 1)


def dated_items(entry: PolicyEntry) -> list[DatedItem]:
    """The policy's dated statements and time-bound rules, soonest first."""
    policy = entry.policy
    items: list[DatedItem] = []
    for index, item in enumerate(policy.dated):
        until = item.until if item.until is not None else policy.as_of
        note = {lang: item.note[lang] for lang in LANGUAGES}
        items.append(DatedItem(period_end(until), note, item.section, ("dated", index)))
    rules = entry.rules
    if rules is not None:
        for declaration in rules.catalogue.rules:
            value = rules.values.get(declaration.id)
            if not declaration.time_bound or value is None:
                continue
            note = {}
            section = None
            for lang in LANGUAGES:
                printed = str(localize(value, declaration, lang))
                note[lang] = f"{declaration.label[lang]} {printed}."
                if section is None:
                    section = next(
                        (s.id for s in entry.texts[lang].sections if printed in s.body), None
                    )
            items.append(DatedItem(period_end(value), note, section, ("rules", declaration.id)))
    return sorted(items, key=lambda item: (item.until, item.loc))


def written(entry: PolicyEntry) -> dt.date | None:
    """When the text was written, as far as the content says: its as_of, else the newest of
    its change log, approval and effective dates."""
    policy = entry.policy
    if policy.as_of is not None:
        return period_start(policy.as_of)
    dates = [change.date for change in policy.changelog]
    if policy.approval and policy.approval.date:
        dates.append(policy.approval.date)
    if policy.effective:
        dates.append(policy.effective)
    return max(dates, default=None)


def review_passed(entry: PolicyEntry, today: dt.date) -> bool:
    review = entry.policy.next_review
    return review is not None and review < today


def passed(entry: PolicyEntry, today: dt.date) -> list[DatedItem]:
    return [item for item in dated_items(entry) if item.until < today]
