"""The rule catalogue (``content/rules.yml``): the code knows rule *types*, the content knows rules.

Each declaration names a rule, its type and what it means. The catalogue turns into a pydantic
model for the ``rules:`` of every ``policy.yml``, so a value of the wrong type or an undeclared
rule is reported at its line. Values then reach texts as objects that print the way Norwegian
text writes them (``400 kroner``, ``24. august 2021``, ``PC, tastatur og mus``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from generator.fields import Localized, Model, Text
from generator.wording import format_date, format_list, format_number, month_name

RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]

CATALOGUE_FILE = "rules.yml"
"""The catalogue's file name inside the content folder."""


def _fail(message: str, value: Any) -> PydanticCustomError:
    # The message is complete; messages.py adds what was given.
    return PydanticCustomError("rule_value", message, {"given": value})


# ---------------------------------------------------------------------------------------------
# Values as texts show them. Each type keeps its Python behaviour (numbers compare and count in
# `when:`), and prints as Norwegian text.


class Money(decimal.Decimal):
    """An amount in Norwegian kroner: prints "400 kroner", "12 000 kroner", "1 234,50 kroner"."""

    def __str__(self) -> str:
        return f"{format_number(self, money=True)} kroner"


class Number(decimal.Decimal):
    """A decimal number: prints with a decimal comma ("2,5")."""

    def __str__(self) -> str:
        return format_number(self)


class Day(dt.date):
    """A date: prints "24. august 2021"."""

    def __str__(self) -> str:
        return format_date(self)


class YearMonth:
    """A month of a year: prints "juni 2022"; compares by time."""

    def __init__(self, year: int, month: int):
        self.year, self.month = year, month

    def __str__(self) -> str:
        return f"{month_name(self.month)} {self.year}"

    def __repr__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, YearMonth) and (self.year, self.month) == (other.year, other.month)

    def __lt__(self, other: YearMonth) -> bool:
        return (self.year, self.month) < (other.year, other.month)

    def __hash__(self) -> int:
        return hash((self.year, self.month))


class DayRange(Model):
    """A range of days a week, both ends included: prints "2–3"."""

    min: int = Field(ge=0, le=7)
    """Fewest days."""
    max: int = Field(ge=0, le=7)
    """Most days."""

    @model_validator(mode="after")
    def _ordered(self) -> DayRange:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is less than min ({self.min})")
        return self

    def __str__(self) -> str:
        return f"{self.min}–{self.max}"


class ListItem(Model):
    """One item of a list rule, e.g. one kind of equipment on loan."""

    id: RuleId
    """Stable identifier (also part of form field names, e.g. on a loan receipt)."""
    name: Localized
    """How the item reads in running text, in each written form."""
    label: Localized | None = None
    """A short label for forms (e.g. "Skjerm"); the name is used when left out."""


class LocalList(list[Any]):
    """A list rule in one written form: prints "PC, tastatur og mus"."""

    def __init__(self, items: list[ListItem], lang: str):
        super().__init__(items)
        self.lang = lang

    def __str__(self) -> str:
        return format_list([item.name[self.lang] for item in self], self.lang)


class Choice(str):
    """One of a rule's options: compares as its value, prints as its label."""

    label: str

    def __new__(cls, value: str, label: str) -> Choice:
        choice = super().__new__(cls, value)
        choice.label = label
        return choice

    def __str__(self) -> str:
        return self.label


# ---------------------------------------------------------------------------------------------
# Validation of values, one function per type; each owns its message.


def _integer(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail("expected a whole number, like 2", value)
    return value


def _number(value: Any, message: str) -> decimal.Decimal:
    """A number as written in YAML (2.5, or "2,5" and "12 000" in quotes)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(message, value)
    try:
        number = decimal.Decimal(str(value).replace(",", ".").replace(" ", ""))
    except decimal.InvalidOperation:
        raise _fail(message, value) from None
    if not number.is_finite():
        raise _fail(message, value)
    return number


def _decimal(value: Any) -> Any:
    return Number(_number(value, "expected a number, like 2.5"))


def _money(value: Any) -> Any:
    amount = _number(value, "expected an amount in kroner, like 400 or 12000")
    if amount != round(amount, 2):
        raise _fail("expected an amount in kroner with at most two decimals, like 400", value)
    return Money(amount)


def _boolean(value: Any) -> Any:
    if not isinstance(value, bool):
        raise _fail("expected true or false", value)
    return value


def _text(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        return Localized(nb=value, nn=value)
    if isinstance(value, dict):
        return value  # checked as {nb, nn} by the model
    raise _fail("expected text, or the text in each written form under nb: and nn:", value)


def _date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return Day(value.year, value.month, value.day)
    raise _fail("expected a date as YYYY-MM-DD, like 2024-08-24", value)


def _day(value: dt.date) -> Day:
    return Day(value.year, value.month, value.day)


def _year_month(value: Any) -> Any:
    text = str(value) if isinstance(value, str) else ""
    parts = text.split("-")
    if len(parts) == 2 and len(parts[0]) == 4 and parts[0].isdigit() and parts[1].isdigit():
        year, month = int(parts[0]), int(parts[1])
        if 1 <= month <= 12 and len(parts[1]) == 2:
            return YearMonth(year, month)
    raise _fail('expected a month as "YYYY-MM" in quotes, like "2022-06"', value)


def _months(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail("expected a number of months (a whole number, like 6)", value)
    return value


def _unique_items(items: list[ListItem]) -> list[ListItem]:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"item id '{item.id}' is listed twice")
        seen.add(item.id)
    return items


@dataclass(frozen=True)
class RuleType:
    """A kind of value a rule can hold."""

    name: str
    description: str
    annotation: Callable[[RuleDeclaration], Any]
    """The pydantic type of a value, given the declaration (its min, max and options)."""
    bounds: bool = False
    """min and max apply."""


def _bounded(
    check: Callable[[Any], Any], base: Any, wrap: Callable[[Any], Any] | None = None
) -> Callable[[RuleDeclaration], Any]:
    def annotation(rule: RuleDeclaration) -> Any:
        bounded = Annotated[base, BeforeValidator(check), Field(ge=rule.min, le=rule.max)]
        # pydantic hands back plain numbers; the wrapper makes them print as Norwegian text.
        return Annotated[bounded, AfterValidator(wrap)] if wrap else bounded

    return annotation


def _choice(rule: RuleDeclaration) -> Any:
    values = [option.value for option in rule.options]

    def check(value: Any) -> Any:
        if value not in values:
            raise _fail(f"expected one of {', '.join(values)}", value)
        return value

    return Annotated[str, BeforeValidator(check)]


TYPES: dict[str, RuleType] = {
    t.name: t
    for t in (
        RuleType(
            "integer", "a whole number (min and max apply)", _bounded(_integer, int), bounds=True
        ),
        RuleType(
            "decimal",
            "a number that may have decimals, e.g. 2.5 (min and max apply)",
            _bounded(_decimal, decimal.Decimal, Number),
            bounds=True,
        ),
        RuleType(
            "money",
            'an amount in Norwegian kroner; text shows "12 000 kroner"',
            _bounded(_money, decimal.Decimal, Money),
            bounds=True,
        ),
        RuleType(
            "boolean",
            "true or false; a condition (when:) on it holds when true",
            lambda rule: Annotated[bool, BeforeValidator(_boolean)],
        ),
        RuleType(
            "text",
            "text, the same in both written forms or as {nb: …, nn: …}",
            lambda rule: Annotated[Localized, BeforeValidator(_text)],
        ),
        RuleType(
            "date",
            'a date, YYYY-MM-DD; text shows "24. august 2021"',
            lambda rule: Annotated[dt.date, BeforeValidator(_date), AfterValidator(_day)],
        ),
        RuleType(
            "year-month",
            'a month, "YYYY-MM" in quotes; text shows "juni 2022"',
            lambda rule: Annotated[Any, BeforeValidator(_year_month)],
        ),
        RuleType(
            "months", "a number of months (min and max apply)", _bounded(_months, int), bounds=True
        ),
        RuleType(
            "day-range",
            "days a week as {min: 2, max: 3}; text shows rules.x.min, .max",
            lambda rule: DayRange,
        ),
        RuleType(
            "list",
            'items with an id and a name {nb, nn}; text shows "a, b og c"',
            lambda rule: Annotated[
                list[ListItem], Field(min_length=1), BeforeValidator(_list_check)
            ],
        ),
        RuleType("choice", "one of the declared options (their values)", _choice),
    )
}
"""Every rule type, by the name used in ``content/rules.yml``."""


def _list_check(value: Any) -> Any:
    if not isinstance(value, list):
        raise _fail("expected a list of items, each with an id and a name (nb: and nn:)", value)
    ids = [item.get("id") for item in value if isinstance(item, dict)]
    repeated = sorted({i for i in ids if ids.count(i) > 1 and isinstance(i, str)})
    if repeated:
        raise _fail(f"item id '{repeated[0]}' is listed twice", value)
    return value


class Option(Model):
    """One allowed value of a choice rule."""

    value: RuleId
    """The value written in policy.yml and compared in conditions."""
    label: Localized
    """How the value reads in text, in each written form."""


class RuleDeclaration(Model):
    """One rule of the catalogue (an item of ``content/rules.yml``)."""

    id: RuleId
    """Name used in policy.yml (``rules: {id: value}``) and in texts (``{{ rules.id }}``)."""
    type: str
    """The kind of value: see the list of rule types."""
    label: Localized
    """A short name of the rule, in each written form (shown to maintainers)."""
    description: Text
    """What the rule means, in a sentence."""
    unit: Localized | None = None
    """Unit of a number, in each written form (e.g. dager/dagar)."""
    min: int | float | None = None
    """Smallest allowed value (integer, decimal, money, months)."""
    max: int | float | None = None
    """Largest allowed value (integer, decimal, money, months)."""
    options: list[Option] = []
    """The allowed values of a choice rule."""
    formula: Text | None = None
    """Derive the value from other rules instead of setting it, e.g. 12 // rules.interval."""
    time_bound: bool = False
    """A date or year-month rule whose value stops being current once it has passed (the
    guideline then says so, and status lists it)."""

    @field_validator("type")
    @classmethod
    def _known_type(cls, name: str) -> str:
        if name not in TYPES:
            hint = difflib.get_close_matches(name, TYPES, n=1)
            suggestion = f"did you mean '{hint[0]}'? " if hint else ""
            raise PydanticCustomError(
                "rule_type",
                "unknown rule type '{type}': {suggestion}expected one of {known}",
                {"type": name, "suggestion": suggestion, "known": ", ".join(TYPES)},
            )
        return name

    @model_validator(mode="after")
    def _fits_type(self) -> RuleDeclaration:
        kind = TYPES[self.type]
        if self.time_bound and self.type not in ("date", "year-month"):
            raise ValueError(f"time_bound applies to date and year-month rules, not {self.type}")
        if not kind.bounds and (self.min is not None or self.max is not None):
            raise ValueError(f"min and max do not apply to a {self.type} rule")
        if (self.type == "choice") != bool(self.options):
            raise ValueError("options are required for a choice rule, and only there")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max:g}) is less than min ({self.min:g})")
        return self


class Catalogue(Model):
    """The rule catalogue (``content/rules.yml``): every rule a policy may set."""

    rules: list[RuleDeclaration]
    """The rules, each with its id, type, label and description (ids unique)."""

    @functools.cached_property
    def by_id(self) -> dict[str, RuleDeclaration]:
        """Each rule by its id (asked for every rule a text fills in: made once)."""
        return {rule.id: rule for rule in self.rules}

    @property
    def ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    @functools.cached_property
    def fingerprint(self) -> str:
        """Digest of every declaration, all of each (texts filled in are kept under it)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def model(self) -> type[BaseModel]:
        """The pydantic model of a policy's ``rules:`` (every rule optional; unknown ones are
        errors that say where to declare them). Made once per catalogue: every policy uses it."""
        return self._model

    @functools.cached_property
    def _model(self) -> type[BaseModel]:
        fields: dict[str, Any] = {
            rule.id: (
                TYPES[rule.type].annotation(rule) | None,
                Field(None, description=rule.description),
            )
            for rule in self.rules
            if rule.formula is None
        }
        model = create_model(
            "Rules",
            __config__=ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True),
            __doc__="The policy's rules, as declared in content/rules.yml.",
            **fields,
        )
        model.unknown_key_hint = f"declare it in content/{CATALOGUE_FILE}"  # type: ignore[attr-defined]
        return model


def types_text() -> str:
    """The rule types, for ``policy-site schema``."""
    return "\n".join(f"  {t.name}: {t.description}" for t in TYPES.values())


def catalogue_text(catalogue: Catalogue) -> str:
    """The declared rules, for ``policy-site schema``."""
    lines = []
    for rule in catalogue.rules:
        derived = f", derived: {rule.formula}" if rule.formula else ""
        lines.append(f"  {rule.id} ({rule.type}{derived}): {rule.description}")
    return "\n".join(lines)


def localize(value: Any, rule: RuleDeclaration, lang: str) -> Any:
    """A rule's value as texts and conditions in one written form see it."""
    if isinstance(value, Localized):
        return value[lang]
    if isinstance(value, list):
        return LocalList(value, lang)
    if rule.type == "choice" and isinstance(value, str):
        labels = {option.value: option.label[lang] for option in rule.options}
        return Choice(value, labels.get(value, value))
    return value


__all__ = ["TYPES", "Catalogue", "ListItem", "Money", "RuleDeclaration", "localize"]
