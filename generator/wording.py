"""How numbers, dates and lists are written in Norwegian running text (both written forms)."""

from __future__ import annotations

import datetime as dt
import decimal

MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip
"""Month names; identical in Bokmål and Nynorsk."""

_TWO_TO_TWELVE = ("to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv")
NUMBER_WORDS = {"nb": ("null", "én", *_TWO_TO_TWELVE), "nn": ("null", "ein", *_TWO_TO_TWELVE)}
"""Numbers up to twelve are written as words in running text (Språkrådet's advice)."""

AND = {"nb": "og", "nn": "og"}


def month_name(month: int) -> str:
    return MONTHS[month - 1]


def format_date(value: dt.date, lang: str = "nb") -> str:
    """A date as Norwegian text: 24. august 2021 (the same in both written forms)."""
    del lang
    return f"{value.day}. {month_name(value.month)} {value.year}"


def format_list(words: list[str], lang: str) -> str:
    """'a, b og c' (no comma before 'og', as Norwegian writes it)."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {AND[lang]} {words[-1]}"


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


def number_words(number: object, lang: str) -> str:
    """Numbers up to twelve as words ("to", "én"/"ein"); other values as they print."""
    words = NUMBER_WORDS[lang]
    if isinstance(number, int) and not isinstance(number, bool) and 0 <= number < len(words):
        return words[number]
    return str(number)
