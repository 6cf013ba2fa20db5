"""The rule catalogue and rule types: values check by type and print as Norwegian text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.fields import Localized
from generator.rules import Catalogue, RuleDeclaration
from generator.textvars import OrgView, RuleSet, TextError, expand, holds, text_environment
from tests.conftest import ROOT, fixture_content
from tests.test_validate import POLICY, RULES, replace

LABEL = Localized(nb="Regel", nn="Regel")


def catalogue(*rules: dict) -> Catalogue:
    return Catalogue(
        rules=[RuleDeclaration(label=LABEL, description="A rule.", **r) for r in rules]
    )


def filled(text: str, rule: dict, value: object, lang: str = "nb") -> str:
    cat = catalogue({"id": "x", **rule})
    values = cat.model().model_validate({"x": value})
    return expand(text_environment(), text, RuleSet(cat, dict(values)), lang)


@pytest.mark.parametrize(
    ("rule", "value", "nb", "nn"),
    [
        ({"type": "money"}, 400, "400 kroner", "400 kroner"),
        ({"type": "money"}, 12000, "12 000 kroner", "12 000 kroner"),
        ({"type": "money"}, 1234.5, "1 234,50 kroner", "1 234,50 kroner"),
        ({"type": "decimal"}, 2.5, "2,5", "2,5"),
        ({"type": "integer"}, 3, "3", "3"),
        ({"type": "months"}, 6, "6", "6"),
        ({"type": "date"}, dt.date(2021, 8, 24), "24. august 2021", "24. august 2021"),
        ({"type": "year-month"}, "2022-06", "juni 2022", "juni 2022"),
        ({"type": "text"}, "Websak", "Websak", "Websak"),
        (
            {"type": "text"},
            {"nb": "personalmappen", "nn": "personalmappa"},
            "personalmappen",
            "personalmappa",
        ),
        (
            {"type": "list"},
            [
                {"id": "pc", "name": {"nb": "PC", "nn": "PC"}},
                {"id": "mus", "name": {"nb": "mus", "nn": "mus"}},
            ],
            "PC og mus",
            "PC og mus",
        ),
        (
            {
                "type": "choice",
                "options": [
                    {"value": "ja", "label": {"nb": "alltid", "nn": "alltid"}},
                    {"value": "nei", "label": {"nb": "aldri", "nn": "aldri"}},
                ],
            },
            "nei",
            "aldri",
            "aldri",
        ),
    ],
)
def test_each_type_prints_as_norwegian_text(rule: dict, value: object, nb: str, nn: str) -> None:
    assert filled("{{ rules.x }}", rule, value, "nb") == nb
    assert filled("{{ rules.x }}", rule, value, "nn") == nn


def test_numbers_still_count_and_compare_in_conditions() -> None:
    cat = catalogue({"id": "amount", "type": "money"}, {"id": "days", "type": "integer"})
    values = dict(cat.model().model_validate({"amount": 400, "days": 2}))
    rules = RuleSet(cat, values)
    env = text_environment()
    assert holds(env, "rules.amount > 300 and rules.days == 2", rules)
    assert not holds(env, "rules.amount > 500", rules)
    assert expand(env, "{{ rules.days | words }}", rules, "nn") == "to"


def test_an_unset_rule_is_false_in_a_condition_and_an_error_in_text() -> None:
    cat = catalogue({"id": "flag", "type": "boolean"})
    rules = RuleSet(cat, {})
    env = text_environment()
    assert expand(env, "a{% if rules.flag %}b{% endif %}c", rules, "nb") == "ac"
    with pytest.raises(TextError, match="'flag' is used in the text but not set"):
        expand(env, "{{ rules.flag }}", rules, "nb")


def test_conditions_can_test_the_organisation() -> None:
    rules = RuleSet(catalogue({"id": "flag", "type": "boolean"}), {})
    public = OrgView("a", "public-body", "nb", "A kommune")
    other = OrgView("b", "other", "nb", "B")
    env = text_environment()
    assert holds(env, "org.kind == 'public-body'", rules, public)
    assert not holds(env, "org.kind == 'public-body'", rules, other)
    assert expand(env, "{{ org }} sier", rules, "nb", other) == "B sier"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{% for i in [1] %}x{% endfor %}", "'{% for %}' cannot be used in content text"),
        ("{% set y = 1 %}", "'{% assign %}' cannot be used in content text"),
        ("{% include 'x' %}", "'{% include %}' cannot be used in content text"),
        ("{{ 10 ** 10 ** 9 }}", "the number is too large"),
        ("{{ 'x' * 10 ** 8 }}", "the text would be too long"),
        ("{{ range(10) }}", "cannot call functions"),
        ("{{ ''.join(['a']) }}", "cannot call functions"),
        ("{{ 1 / 0 }}", "division by zero"),
        ("{{ 'a' | format('b') }}", "No filter named 'format'"),
    ],
)
def test_content_text_runs_in_a_narrow_sandbox(text: str, message: str) -> None:
    with pytest.raises(TextError, match=message.replace("(", r"\(").replace("{", r"\{")):
        expand(text_environment(), text, RuleSet(catalogue(), {}), "nb")


def test_a_new_rule_needs_only_content(tmp_path: Path) -> None:
    """Declared in rules.yml and set in policy.yml, a rule reaches texts at once."""
    content = fixture_content("minimal", tmp_path)
    with (content / RULES).open("a", encoding="utf-8") as rules:
        rules.write(
            "\n- id: allowance\n  type: money\n  label: {nb: Tillegg, nn: Tillegg}\n"
            "  description: A monthly allowance.\n"
        )
    replace(POLICY, "rules:\n", "rules:\n  allowance: 12000\n")(content)

    result = CliRunner().invoke(main, ["check", "--content", str(content)])
    assert result.exit_code == 0, result.output

    result = CliRunner().invoke(main, ["schema", "--content", str(content)])
    assert "  allowance (money): A monthly allowance." in result.output
    assert "  money: an amount in Norwegian kroner" in result.output


def test_a_form_that_does_not_apply_is_a_warning_and_an_error_under_strict(
    tmp_path: Path,
) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(POLICY, "attachments: [avtale,", "attachments: [utstyrslan, avtale,")(content)
    args = ["check", "--project", str(ROOT), "--content", str(content)]

    relaxed = CliRunner().invoke(main, args)
    strict = CliRunner().invoke(main, [*args, "--strict"])

    expected = (
        f"{content / POLICY}:35:15: warning: attachments[0]: form 'utstyrslan' does not "
        "apply to 'testkommune': its condition `when: rules.equipment_on_loan` does not "
        "hold"
    )
    assert relaxed.exit_code == 0
    assert any(line.startswith(expected) for line in relaxed.output.splitlines()), relaxed.output
    assert strict.exit_code == 1


@pytest.mark.parametrize(
    ("gender", "nb", "nn"),
    [(None, "én", "ein"), ("m", "én", "ein"), ("f", "én", "ei"), ("n", "ett", "eitt")],
)
def test_words_agree_with_the_nouns_gender(gender: str | None, nb: str, nn: str) -> None:
    catalogue = Catalogue(
        rules=[
            RuleDeclaration.model_validate(
                {
                    "id": "days",
                    "type": "integer",
                    "label": {"nb": "d", "nn": "d"},
                    "description": "d",
                }
            )
        ]
    )
    rules = RuleSet(catalogue, {"days": 1})
    call = f'words("{gender}")' if gender else "words"
    env = text_environment()
    assert expand(env, f"{{{{ rules.days | {call} }}}}", rules, "nb") == nb
    assert expand(env, f"{{{{ rules.days | {call} }}}}", rules, "nn") == nn
    assert (
        expand(env, "{{ rules.days | words('n') }} år", RuleSet(catalogue, {"days": 2}), "nn")
        == "to år"
    )


def test_words_with_an_unknown_gender_is_a_text_error() -> None:
    catalogue = Catalogue(
        rules=[
            RuleDeclaration.model_validate(
                {
                    "id": "days",
                    "type": "integer",
                    "label": {"nb": "d", "nn": "d"},
                    "description": "d",
                }
            )
        ]
    )
    with pytest.raises(TextError, match="unknown gender 'x'"):
        expand(
            text_environment(),
            '{{ rules.days | words("x") }}',
            RuleSet(catalogue, {"days": 1}),
            "nb",
        )
