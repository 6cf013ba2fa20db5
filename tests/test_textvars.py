"""The sandbox that fills rules into content text: it prints rules as Norwegian text, refuses
calls, loops, attribute tricks and huge values with a message and a line, and never prints
"None" for a rule the policy does not set."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from generator.fields import Localized
from generator.kept import Kept, keeping
from generator.rules import Catalogue, RuleDeclaration
from generator.textvars import (
    OrgView,
    RuleSet,
    RulesView,
    TextEnvironment,
    TextError,
    check_formula,
    derive,
    expand,
    holds,
    period_end,
    rules_used,
    text_environment,
)

LABEL = Localized(nb="Regel", nn="Regel")
CATALOGUE = Catalogue(
    rules=[
        RuleDeclaration(id="days", type="integer", label=LABEL, description="Days."),
        RuleDeclaration(id="months", type="months", label=LABEL, description="Months."),
        RuleDeclaration(id="until", type="year-month", label=LABEL, description="Until."),
        RuleDeclaration(id="unset", type="boolean", label=LABEL, description="Left out."),
    ]
)
ORG = OrgView(slug="testkommune", kind="kommune", official_language="nn", name="Testkommune")


def rules(today: dt.date | None = None, **values: object) -> RuleSet:
    given = {"days": 2, "months": 6, "until": "2022-06", **values}
    return RuleSet(CATALOGUE, dict(CATALOGUE.model().model_validate(given)), today)


def fill(text: str, lang: str = "nb", ruleset: RuleSet | None = None) -> str:
    return expand(text_environment(), text, ruleset or rules(), lang, ORG)


def refused(text: str) -> TextError:
    with pytest.raises(TextError) as caught:
        fill(text)
    return caught.value


def test_rules_and_the_organisation_fill_in_each_written_form() -> None:
    text = "{{ org }}: inntil {{ rules.days | words }} dagar, til {{ rules.until }}."
    assert fill(text, "nn") == "Testkommune: inntil to dagar, til juni 2022."
    assert fill("{{ rules.days | words('n') }}", "nb") == "to"
    assert fill("{% if org.kind == 'kommune' %}K{% else %}F{% endif %}") == "K"


def test_text_without_braces_is_returned_as_it_is() -> None:
    assert fill("Ingen regler her: 100 % sikkert.") == "Ingen regler her: 100 % sikkert."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ rules.days.__class__ }}", "'int' has no field '__class__'"),
        ("{{ rules.__init__ }}", "unknown rule '__init__'"),
        (
            "{{ org.name.upper() }}",
            "not allowed in content text: content text cannot call functions or methods",
        ),
        ("{{ range(3) }}", "not allowed in content text: content text cannot call functions"),
        ("{{ cycler }}", "'cycler' is not defined (text may use 'rules' and 'org')"),
        (
            "{% for x in [1] %}{{ x }}{% endfor %}",
            "template error: '{% for %}' cannot be used in content text",
        ),
        ("{% macro m() %}{% endmacro %}", "template error: '{% macro %}' cannot be used"),
        (
            "{% if true %}{% set x = 1 %}{% endif %}",
            "template error: '{% assign %}' cannot be used",
        ),
        ("{% import 'x' as y %}", "template error: '{% import %}' cannot be used"),
        ("{{ 9 ** 99 }}", "not allowed in content text: the number is too large"),
        ("{{ 10 ** 10 * 10 ** 10 }}", "not allowed in content text: the number is too large"),
        ("{{ 'ab' * 100000 }}", "not allowed in content text: the text would be too long"),
        ("{{ [1] * 10 ** 9 }}", "not allowed in content text: the text would be too long"),
        ("{{ rules.days / 0 }}", "the text cannot be filled in: division by zero"),
        ("{{ rules.unset }}", "rule 'unset' is used in the text but not set in the policy's rules"),
        (
            "{{ rules.dayz }}",
            "unknown rule 'dayz': did you mean 'days'? If not, declare it in content/rules.yml",
        ),
        ("{{ org.budget }}", "'OrgView' has no field 'budget'"),
        (
            "{{ rules.days | format('x') }}",
            "template error: No filter named 'format': a text may use abs, ",
        ),
        ("{{ org.name.upper }}", "'str' has no field 'upper'"),
        ("{{ org.model_fields }}", "'OrgView' has no field 'model_fields'"),
        ("{{ [1, 2] }}", "not allowed in content text: a list cannot be printed as it is"),
        ("{{ 2 ** 200 | words }}", "the text cannot be filled in: '**' needs a number on each"),
        ("{{ rules.months | month_year }}", "the text cannot be filled in: month_year needs a"),
        ("{{ 'x' | date }}", "the text cannot be filled in: date needs a date"),
        ("{{ rules.days | items }}", "the text cannot be filled in: items needs a list"),
        ("{{ 1 == 1 }}", "not allowed in content text: a yes/no rule cannot be printed"),
        ("{{ rules.days", "template error: unexpected end of template"),
    ],
)
def test_what_content_text_may_not_do_is_refused_with_a_message(text: str, message: str) -> None:
    assert str(refused(text)).startswith(message)


def test_an_error_names_its_line_inside_the_text() -> None:
    error = refused("Første linje.\nAndre linje.\nTredje: {{ rules.dayz }}")
    assert (error.line, error.needle) == (3, "dayz")


def test_an_unset_rule_is_false_in_a_condition() -> None:
    env = text_environment()
    assert fill("a{% if rules.unset %}b{% endif %}c") == "ac"
    assert holds(env, "not rules.unset and rules.days == 2", rules())
    assert not holds(env, "rules.days > 2", rules())
    assert holds(env, "org.official_language == 'nn'", rules(), ORG)


def test_is_past_compares_with_the_build_date_and_nothing_is_past_without_one() -> None:
    text = "{% if rules.until is past %}gått ut{% else %}gjelder{% endif %}"
    assert fill(text, ruleset=rules(dt.date(2022, 6, 30))) == "gjelder"
    assert fill(text, ruleset=rules(dt.date(2022, 7, 1))) == "gått ut"
    assert fill(text, ruleset=rules(None)) == "gjelder"


@pytest.mark.parametrize(
    ("value", "end"),
    [
        (dt.date(2024, 3, 5), dt.date(2024, 3, 5)),
        ("2024-02", dt.date(2024, 2, 29)),
        ("2023-12", dt.date(2023, 12, 31)),
        (2025, dt.date(2025, 12, 31)),
    ],
)
def test_a_period_ends_on_its_last_day(value: object, end: dt.date) -> None:
    assert period_end(value) == end


def test_formulas_name_the_rules_they_read_and_derive_only_when_all_are_set() -> None:
    assert rules_used("rules.days * 2 + rules.months") == ("days", "months")
    assert derive("rules.days * rules.months", rules()) == 12
    assert derive("rules.days + (rules.unset or 0)", rules()) is None
    check_formula("rules.days + 1", CATALOGUE)
    with pytest.raises(TextError, match=r"^unknown rule 'monts': did you mean 'months'\?$"):
        check_formula("rules.monts + 1", CATALOGUE)
    with pytest.raises(TextError, match=r"^template error: "):
        rules_used("rules.days +")


WORDED = [
    "Inntil {{ rules.days | words }} dagar { ikkje ein regel }.\n",
    "A {% if rules.days > 1 %}fleire: {{ rules.days }}{% else %}éin{% endif %} Z",
    "Linje 1\nlinje 2 {{ org }}\n\nlinje 4 {{ rules.until }}",
    "{% raw %}{{ rules.days }}{% endraw %} og {{ rules.months }}",
    "Før  {{- rules.days -}}  etter",
    "{{ rules.days }}{{ rules.months }}",
    "Berre {-tekst-} med { og }",
]


@pytest.mark.parametrize("text", WORDED)
def test_a_text_fills_in_as_jinja_writes_it(text: str) -> None:
    # Texts share a compiled shape, their wording given apart: the same words as Jinja's own.
    env = text_environment()
    context = {"rules": RulesView(rules(), "nn"), "lang": "nn", "today": None, "org": ORG}
    assert fill(text, "nn") == env.from_string(text).render(context)


def test_texts_that_differ_only_in_wording_are_compiled_once() -> None:
    env = TextEnvironment()
    shapes = env._shapes
    first = env.text("Heimekontor inntil {{ rules.days }} dagar.")
    second = env.text("Hjemmekontor opptil {{ rules.days }} dager i uken.")
    assert first.shape is second.shape and len(shapes) == 1
    env.text("Heimekontor inntil {{ rules.months }} dagar.")  # another rule: another shape
    assert len(shapes) == 2


def test_an_error_is_at_its_own_line_in_a_text_of_a_shared_shape() -> None:
    assert refused("Første linje {{ rules.unset }}").line == 1
    assert refused("Første linje\nandre\n{{ rules.unset }}").line == 3


def test_a_text_using_the_wordings_names_itself_fails_as_any_unknown_name() -> None:
    assert "'__wording_0' is not defined" in refused("A {{ __wording_0 }} B").message


# Texts filled in by an earlier build are kept as data (``kept``) and taken as they are
# when everything they were made from is unchanged.

KEPT = "{{ org }}: {{ rules.days }} dagar{% if rules.unset %}, unset{% endif %}, til {{ rules.until }}."
CHOICE = Catalogue(
    rules=[
        *CATALOGUE.rules,
        RuleDeclaration(
            id="place",
            type="choice",
            label=LABEL,
            description="Where.",
            options=[{"value": "home", "label": {"nb": "hjemme", "nn": "heime"}}],
        ),
    ]
)


def kept_across_builds(
    first: Callable[[], object], again: Callable[[], object], monkeypatch: pytest.MonkeyPatch
) -> tuple[object, object, int]:
    """``first`` run with nothing kept, then ``again`` with what it kept, as a new build
    (from the dump): both results, and how many texts and conditions ``again`` worked out."""
    earlier = Kept()
    with keeping(earlier):
        before = first()
    worked: list[str] = []
    compile_text, compile_condition = TextEnvironment.text, TextEnvironment.condition

    def text(self: TextEnvironment, source: str) -> object:
        worked.append(source)
        return compile_text(self, source)

    def condition(self: TextEnvironment, source: str) -> object:
        worked.append(source)
        return compile_condition(self, source)

    monkeypatch.setattr(TextEnvironment, "text", text)
    monkeypatch.setattr(TextEnvironment, "condition", condition)
    with keeping(Kept(earlier.dump())):
        after = again()
    return before, after, len(worked)


def test_a_text_kept_by_an_earlier_build_is_taken_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    def both() -> tuple[str, bool, bool]:
        return (
            fill(KEPT, "nn"),
            holds(text_environment(), "rules.days > 1", rules(), ORG),
            holds(text_environment(), "rules.unset", rules(), ORG),
        )

    before, after, worked = kept_across_builds(both, both, monkeypatch)
    assert before == after == ("Testkommune: 2 dagar, til juni 2022.", True, False)
    assert worked == 0


ORG_RENAMED = OrgView(slug="testkommune", kind="kommune", official_language="nn", name="Nykommune")
CHANGES = {
    "a value": lambda: expand(text_environment(), KEPT, rules(days=3), "nn", ORG),
    "a value of another type": lambda: expand(
        text_environment(), KEPT, rules(until="2023-01"), "nn", ORG
    ),
    "a rule set that was not": lambda: expand(
        text_environment(), KEPT, rules(unset=True), "nn", ORG
    ),
    "the written form": lambda: expand(text_environment(), KEPT, rules(), "nb", ORG),
    "the organisation": lambda: expand(text_environment(), KEPT, rules(), "nn", ORG_RENAMED),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_text_is_filled_again_when_what_it_shows_changed(
    change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = CHANGES[change]()  # filled with nothing kept
    _, after, worked = kept_across_builds(lambda: fill(KEPT, "nn"), CHANGES[change], monkeypatch)
    assert (after, worked) == (fresh, 1)


def test_a_changed_declaration_or_build_date_fills_the_text_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def placed(label: str, today: dt.date | None = None) -> RuleSet:
        data = CHOICE.model_dump()
        data["rules"][-1]["options"][0]["label"]["nn"] = label
        catalogue = Catalogue.model_validate(data)
        given = catalogue.model().model_validate({"days": 2, "place": "home"})
        return RuleSet(catalogue, dict(given), today)

    text = "{{ rules.place }}{% if rules.days is past %} (før){% endif %}"
    before, after, worked = kept_across_builds(
        lambda: fill(text, "nn", placed("heime")),
        lambda: fill(text, "nn", placed("heima")),
        monkeypatch,
    )
    assert (before, after, worked) == ("heime", "heima", 1)
    before, after, worked = kept_across_builds(
        lambda: fill(text, "nn", placed("heime", dt.date(1, 1, 1))),
        lambda: fill(text, "nn", placed("heime", dt.date(3000, 1, 1))),
        monkeypatch,
    )
    assert (before, after, worked) == ("heime", "heime (før)", 1)


def test_a_text_that_fails_is_not_kept_and_fails_again(monkeypatch: pytest.MonkeyPatch) -> None:
    earlier = Kept()
    with keeping(earlier), pytest.raises(TextError):
        fill("{{ rules.unset }}")
    assert earlier.dump() == b""
    assert not earlier.changed


@pytest.mark.parametrize("line", [b"{}", b'"not" "json"', b"[1]", b"no-space", b"\xff\xfe"])
def test_a_kept_line_that_is_not_a_filled_text_is_filled_again(
    line: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = Kept()
    with keeping(earlier):
        fill(KEPT)
    key = earlier.dump().split(b" ")[0]
    damaged = Kept(key + b" " + line + b"\n")
    with keeping(damaged):
        assert fill(KEPT) == "Testkommune: 2 dagar, til juni 2022."
    assert damaged.changed


def test_a_condition_is_worked_out_again_for_other_rules_or_another_organisation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    condition = "rules.days > 2 or org.name == 'Nykommune'"

    def asked(ruleset: RuleSet, org: OrgView = ORG) -> Callable[[], bool]:
        return lambda: holds(text_environment(), condition, ruleset, org)

    assert kept_across_builds(asked(rules()), asked(rules(days=3)), monkeypatch) == (
        False,
        True,
        1,
    )
    assert kept_across_builds(asked(rules()), asked(rules(), ORG_RENAMED), monkeypatch) == (
        False,
        True,
        1,
    )


def test_a_rule_set_s_fingerprint_tells_every_value_and_type_apart() -> None:
    # The fingerprint keys every text and form a build keeps: two rule sets a text could
    # show differently must never share one.
    same = rules()
    assert same.fingerprint == rules().fingerprint
    others = [
        rules(days=3),
        rules(months=7),
        rules(until="2022-07"),
        rules(unset=False),
        rules(unset=True),
        rules(today=dt.date(2024, 1, 1)),
        RuleSet(CATALOGUE, {**same.values, "days": 2.0}),
        RuleSet(CATALOGUE, {**same.values, "days": "2"}),
        RuleSet(CATALOGUE, {**same.values, "days": True}),
        RuleSet(CATALOGUE, {**same.values, "days": [2]}),
        RuleSet(CATALOGUE, {**same.values, "days": LABEL}),
        RuleSet(CATALOGUE, {**same.values, "days": Localized(nb="Regel", nn="Regle")}),
    ]
    prints = {same.fingerprint, *(other.fingerprint for other in others)}
    assert len(prints) == len(others) + 1
