"""Norwegian running text: numbers with a space between thousands and a decimal comma, dates
and lists as each written form writes them, number words that agree with their noun."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from generator.wording import format_date, format_list, format_number, month_name, number_words


@pytest.mark.parametrize(
    ("value", "money", "text"),
    [
        (0, False, "0"),
        (400, True, "400"),
        (12000, True, "12 000"),
        (1234567, False, "1 234 567"),
        (decimal.Decimal("2.5"), False, "2,5"),
        (decimal.Decimal("2.50"), False, "2,5"),
        (decimal.Decimal("1234.5"), True, "1 234,50"),
        (decimal.Decimal("12000.00"), True, "12 000"),
        (decimal.Decimal("-1500.25"), True, "-1 500,25"),
    ],
)
def test_numbers_have_spaces_between_thousands_and_a_decimal_comma(
    value: decimal.Decimal | int, money: bool, text: str
) -> None:
    assert format_number(value, money=money) == text


def test_dates_are_written_out_in_each_written_form() -> None:
    assert format_date(dt.date(2021, 8, 24), "nb") == "24. august 2021"
    assert format_date(dt.date(2024, 1, 1), "nn") == "1. januar 2024"
    assert [month_name(m) for m in (1, 12)] == ["januar", "desember"]


@pytest.mark.parametrize(
    ("words", "text"),
    [
        ([], ""),
        (["PC"], "PC"),
        (["PC", "mus"], "PC og mus"),
        (["PC", "skjerm", "mus"], "PC, skjerm og mus"),  # no comma before "og"
    ],
)
def test_lists_end_with_og_without_a_comma(words: list[str], text: str) -> None:
    assert format_list(words, "nb") == text
    assert format_list(words, "nn") == text


@pytest.mark.parametrize(
    ("number", "lang", "gender", "text"),
    [
        (1, "nb", "m", "én"),
        (1, "nb", "n", "ett"),
        (1, "nn", "f", "ei"),
        (1, "nn", "n", "eitt"),
        (2, "nn", "f", "to"),
        (7, "nb", "m", "sju"),
        (12, "nb", "m", "tolv"),
        (13, "nb", "m", "13"),  # above twelve: digits, as Språkrådet advises
        (-1, "nb", "m", "-1"),
        (True, "nb", "m", "True"),  # a yes/no is no number
        (decimal.Decimal("2.5"), "nb", "m", "2.5"),
    ],
)
def test_small_numbers_become_words_that_agree_with_the_noun(
    number: object, lang: str, gender: str, text: str
) -> None:
    assert number_words(number, lang, gender) == text


def test_an_unknown_gender_is_refused_saying_which_exist() -> None:
    with pytest.raises(ValueError, match=r"unknown gender 'x': use m, f or n"):
        number_words(2, "nb", "x")
