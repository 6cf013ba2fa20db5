"""Rules inside text: the Jinja environment that fills ``{{ rules.x }}`` into content text.

Content is written by maintainers, so it runs in Jinja's sandbox, and a rule that does not
exist (or is not set for the policy) is an error rather than an empty string.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
from typing import Any

from jinja2 import StrictUndefined, Template, pass_context
from jinja2.environment import TemplateExpression
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from generator.schema import Equipment, Rules

MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)  # fmt: skip
"""Month names; identical in Bokmål and Nynorsk."""

_TWO_TO_TWELVE = ("to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv")
NUMBER_WORDS = {"nb": ("null", "én", *_TWO_TO_TWELVE), "nn": ("null", "ein", *_TWO_TO_TWELVE)}
"""Numbers up to twelve are written as words in running text (Språkrådet's advice)."""

AND = {"nb": "og", "nn": "og"}

RULE_NAMES: tuple[str, ...] = (*Rules.model_fields, "follow_ups_per_year")


class RulesView:
    """The rules a text may use: the ones the policy sets, by name.

    In conditions (``lenient``) a rule the policy leaves out reads as None (false); in text it
    is an error, so a sentence never says "None".
    """

    def __init__(self, rules: Rules, *, lenient: bool = False):
        self._rules = rules
        self._lenient = lenient

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in RULE_NAMES:
            raise AttributeError(name)
        value = getattr(self._rules, name)
        if value is None and not self._lenient:
            raise AttributeError(name)
        return value


class TextVariableError(UndefinedError):
    """A text uses a name that has no value; ``name`` lets the caller find it in the text."""

    def __init__(self, message: str, name: str):
        super().__init__(message)
        self.name = name


class _RuleUndefined(StrictUndefined):
    """Fails with a message a maintainer can act on."""

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        raise TextVariableError(self._undefined_message, str(self._undefined_name))

    __str__ = __iter__ = __len__ = __eq__ = __ne__ = __bool__ = __hash__ = (  # type: ignore[assignment]
        _fail_with_undefined_error
    )
    __getattr__ = __getitem__ = __add__ = __call__ = _fail_with_undefined_error  # type: ignore[assignment]

    @property
    def _undefined_message(self) -> str:
        name, owner = self._undefined_name, self._undefined_obj
        if isinstance(owner, RulesView):
            if name in RULE_NAMES:
                return f"rule '{name}' is used in the text but not set in the policy's rules"
            hint = difflib.get_close_matches(str(name), RULE_NAMES, n=1)
            suffix = f" (did you mean '{hint[0]}'?)" if hint else ""
            return f"unknown rule '{name}'{suffix}"
        if owner is not missing and not isinstance(owner, _RuleUndefined):
            return f"'{type(owner).__name__}' has no field '{name}'"
        return f"'{name}' is not defined (text may use 'rules')"


def format_date(value: dt.date, lang: str) -> str:
    """A date as Norwegian text: 24. august 2021."""
    del lang  # the same in both written forms
    return f"{value.day}. {MONTHS[value.month - 1]} {value.year}"


def format_list(words: list[str], lang: str) -> str:
    """'a, b og c' (no comma before 'og', as Norwegian writes it)."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {AND[lang]} {words[-1]}"


@pass_context
def _words(context: Any, number: int) -> str:
    words = NUMBER_WORDS[context["lang"]]
    return words[number] if isinstance(number, int) and 0 <= number < len(words) else str(number)


@pass_context
def _month_year(context: Any, value: str) -> str:
    year, month = str(value).split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


@pass_context
def _items(context: Any, items: list[Equipment]) -> str:
    lang = context["lang"]
    return format_list([item.name[lang] for item in items], lang)


@pass_context
def _date(context: Any, value: dt.date) -> str:
    return format_date(value, context["lang"])


class TextEnvironment(SandboxedEnvironment):
    """The sandbox texts and conditions run in; each distinct text is compiled once."""

    def __init__(self) -> None:
        super().__init__(undefined=_RuleUndefined, autoescape=False, keep_trailing_newline=True)
        self.filters.update(words=_words, month_year=_month_year, items=_items, date=_date)
        # Many organisations share the form definitions and much of their wording.
        self._templates: dict[str, Template] = {}
        self._conditions: dict[str, TemplateExpression] = {}

    def text(self, source: str) -> Template:
        if source not in self._templates:
            self._templates[source] = self.from_string(source)
        return self._templates[source]

    def condition(self, source: str) -> TemplateExpression:
        if source not in self._conditions:
            self._conditions[source] = self.compile_expression(source, undefined_to_none=False)
        return self._conditions[source]


@functools.cache
def text_environment() -> TextEnvironment:
    """The one shared environment (compiled texts are kept for the life of the process)."""
    return TextEnvironment()


def expand(env: TextEnvironment, text: str, rules: Rules, lang: str, org: str | None = None) -> str:
    """Fill the rules (and the organisation's name) into one text.

    Raises TemplateSyntaxError or TextVariableError.
    """
    if "{" not in text:
        return text  # most texts use no rule: skip compiling them
    context: dict[str, Any] = {"rules": RulesView(rules), "lang": lang}
    if org is not None:
        context["org"] = org
    return env.text(text).render(context)


def holds(env: TextEnvironment, condition: str, rules: Rules) -> bool:
    """Evaluate a ``when`` condition; unset rules are false. Raises like :func:`expand`."""
    return bool(env.condition(condition)(rules=RulesView(rules, lenient=True)))


__all__ = [
    "TextEnvironment",
    "TextVariableError",
    "expand",
    "format_date",
    "format_list",
    "holds",
    "text_environment",
]
