"""How numbers, dates and lists are written in Norwegian running text (both written forms).

The words themselves (month names, number words by gender, "og") are in the ``wording`` part of
each written form in ``site_templates/strings.yml``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import unicodedata
from pathlib import Path
from typing import Any

import yaml

STRINGS = Path(__file__).resolve().parent.parent / "site_templates" / "strings.yml"
"""The interface strings this package ships with; the words below are read from them."""

GENDERS = ("m", "f", "n")
"""Grammatical gender a number word agrees with: masculine, feminine, neuter."""


@functools.cache
def _wording(lang: str) -> dict[str, Any]:
    with STRINGS.open(encoding="utf-8") as handle:
        # libyaml where it is there: the pure-Python reader took a fifth of a second here.
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))[lang][
            "wording"
        ]


def month_name(month: int, lang: str = "nb") -> str:
    return _wording(lang)["months"][month - 1]


def format_date(value: dt.date, lang: str = "nb") -> str:
    """A date as Norwegian text: 24. august 2021."""
    return f"{value.day}. {month_name(value.month, lang)} {value.year}"


def format_list(words: list[str], lang: str) -> str:
    """'a, b og c' (no comma before 'og', as Norwegian writes it)."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {_wording(lang)['and']} {words[-1]}"


_LAST_LETTERS = str.maketrans({"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}", "ü": "y"})
"""Æ, Ø and Å after Z, in that order, as Norwegian sorts them (Ä with Æ, Ö with Ø, Ü as Y)."""


def alphabetical(name: str) -> str:
    """A key that sorts names as a Norwegian list does: Ålesund after Zebra, é as e."""
    folded = unicodedata.normalize("NFC", name).casefold().translate(_LAST_LETTERS)
    plain = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in plain if not unicodedata.combining(char))


def initial(name: str) -> str:
    """The letter a name is listed under: its first letter as ``alphabetical`` sorts it (É
    under E, Ä under Æ)."""
    first = alphabetical(name)[:1]
    return {"{": "Æ", "|": "Ø", "}": "Å"}.get(first, first.upper())


def format_number(value: decimal.Decimal | int, *, money: bool = False) -> str:
    """12 000 and 2,5: a space between thousands and a decimal comma. Amounts of money with
    øre keep two decimals (1 234,50)."""
    number = decimal.Decimal(value)
    if number == number.to_integral_value():
        text = f"{number:,.0f}"
    elif money:
        text = f"{number:,.2f}"
    else:
        text = f"{number.normalize():,f}"
    return text.replace(",", " ").replace(".", ",")


def number_words(number: object, lang: str, gender: str = "m") -> str:
    """Numbers up to twelve as words (Språkrådet's advice for running text), agreeing with the
    noun's gender where the word changes ("én dag", "ett år"; "ein dag", "ei veke", "eitt år");
    other values as they print."""
    if gender not in GENDERS:
        raise ValueError(f"unknown gender '{gender}': use m, f or n (masculine, feminine, neuter)")
    wording = _wording(lang)
    words = wording["numbers"]
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < len(words):
        if number == 1:
            return wording["one"][gender]
        return words[number]
    return str(number)
