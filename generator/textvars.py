"""Rules inside text: the Jinja environment that fills ``{{ rules.x }}`` into content text.

Content is written by maintainers, not programmers, and it is data: texts run in a sandbox that
allows only expressions (``{{ … }}``) and conditions (``{% if %}``), no loops, calls, includes or
assignments, with limits on numbers and sizes. A rule that is not declared in the catalogue, or
not set for the policy, is an error rather than an empty string; so is any failure at runtime.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import operator
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, Template, Undefined, nodes, pass_context
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing
from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_json

from generator import kept
from generator.rules import CATALOGUE_FILE, Catalogue, YearMonth, localize
from generator.wording import format_date, format_list, month_name, number_words

MAX_OUTPUT = 100_000
"""Characters one text may expand to."""
MAX_NUMBER = 10**15


@dataclass(frozen=True)
class RuleSet:
    """One policy's rules: the catalogue and the values the policy sets (and derives)."""

    catalogue: Catalogue
    values: dict[str, Any] = field(default_factory=dict)
    today: dt.date | None = None
    """The build's pinned date, for ``is past`` (None: nothing is past yet)."""

    def is_set(self, rule_id: str) -> bool:
        return self.values.get(rule_id) is not None

    @functools.cached_property
    def fingerprint(self) -> str:
        """Digest of everything a text filled with these rules may show: the declarations,
        each value with its type, the date."""
        digest = hashlib.sha256(self.catalogue.fingerprint.encode())
        for rule_id in sorted(self.values):
            value = self.values[rule_id]
            digest.update(f"{rule_id}\0{type(value).__qualname__}\0{_as_data(value)}\0".encode())
        digest.update(repr(self.today).encode())
        return digest.hexdigest()


def _as_data(value: Any) -> str:
    """A rule's value as text, every field of it: JSON as pydantic writes it (a tenth of the
    time ``repr`` takes for models, and hundreds of organisations fill their rules in), any
    other object as its type and ``repr``."""
    try:
        return to_json(value, fallback=_typed).decode()
    except (PydanticSerializationError, ValueError, TypeError):
        return repr(value)


def _typed(value: Any) -> str:
    return f"{type(value).__qualname__}:{value!r}"


@dataclass(frozen=True)
class OrgView:
    """The organisation as texts and conditions see it (``org.kind``, ``{{ org }}``)."""

    slug: str
    kind: str
    official_language: str
    name: str

    def __str__(self) -> str:
        return self.name


class RulesView:
    """The rules a text may use, by id, in one written form.

    In conditions (``lenient``) a declared rule the policy leaves out reads as None (false); in
    text it is an error, so a sentence never says "None".
    """

    def __init__(self, rules: RuleSet, lang: str, *, lenient: bool = False):
        self._rules = rules
        self._lang = lang
        self._lenient = lenient

    def __getattr__(self, name: str) -> Any:
        declaration = self._rules.catalogue.by_id.get(name)
        if name.startswith("_") or declaration is None:
            raise AttributeError(name)
        value = self._rules.values.get(name)
        if value is None:
            # False in {% if %}, an error when printed: a sentence never says "None".
            return None if self._lenient else _UnsetRule(obj=self, name=name)
        return localize(value, declaration, self._lang)


class TextError(Exception):
    """A text that cannot be filled in: ``line`` is 1-based inside the text, ``needle`` what to
    look for on that line to find the column."""

    def __init__(self, message: str, line: int = 1, needle: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.needle = needle


class TextVariableError(UndefinedError):
    """A text uses a name that has no value; ``name`` lets the caller find it in the text."""

    def __init__(self, message: str, name: str):
        super().__init__(message)
        self.name = name


class _RuleUndefined(StrictUndefined):
    """Fails with a message a maintainer can act on."""

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        raise TextVariableError(self._undefined_message, str(self._undefined_name))

    __str__ = __iter__ = __len__ = __eq__ = __ne__ = __bool__ = __hash__ = (
        _fail_with_undefined_error
    )
    __getattr__ = __getitem__ = __add__ = __call__ = _fail_with_undefined_error

    @property
    def _undefined_message(self) -> str:
        name, owner = str(self._undefined_name), self._undefined_obj
        if isinstance(owner, RulesView):
            rules = owner._rules
            if name in rules.catalogue.by_id:
                return f"rule '{name}' is used in the text but not set in the policy's rules"
            return _unknown_rule(name, rules.catalogue)
        if owner is not missing and not isinstance(owner, _RuleUndefined):
            return f"'{type(owner).__name__}' has no field '{name}'"
        return f"'{name}' is not defined (text may use 'rules' and 'org')"


class _UnsetRule(_RuleUndefined):
    """A declared rule the policy does not set: false in a condition, an error in text."""

    def __bool__(self) -> bool:  # type: ignore[override]  # unset is false; the rest fails
        return False


@pass_context
def _words(context: Any, number: Any, gender: str = "m") -> str:
    """``words`` or ``words("f")``/``words("n")``: the number word agrees with its noun."""
    return number_words(number, context["lang"], gender)


@pass_context
def _month_year(context: Any, value: Any) -> str:
    if isinstance(value, YearMonth):
        return str(value)
    parts = str(value).split("-")
    if len(parts) != 2 or not all(part.isdigit() for part in parts) or not 1 <= int(parts[1]) <= 12:
        raise ValueError("month_year needs a month: use it on a rule of type year-month")
    return f"{month_name(int(parts[1]), context['lang'])} {parts[0]}"


@pass_context
def _items(context: Any, items: Any) -> str:
    lang = context["lang"]
    if not isinstance(items, list | tuple) or not all(hasattr(item, "name") for item in items):
        raise ValueError("items needs a list of named things: use it on a list rule")
    return format_list([item.name[lang] for item in items], lang)


@pass_context
def _date(context: Any, value: Any) -> str:
    if not isinstance(value, dt.date):
        raise ValueError("date needs a date: use it on a rule of type date")
    return format_date(value, context["lang"])


def period_end(value: Any) -> dt.date:
    """The last day a date, a month (year-month) or a year refers to."""
    if isinstance(value, YearMonth):
        value = f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.date(value, 12, 31)
    year, month = (int(part) for part in str(value).split("-"))
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


@pass_context
def _past(context: Any, value: Any) -> bool:
    """``rules.x is past``: the date, month or year has ended by the build's date."""
    today = context.get("today")
    return value is not None and today is not None and period_end(value) < today


_STATEMENTS_ALLOWED = (nodes.Output, nodes.If)
"""Content text may hold expressions and conditions; nothing else runs."""

_SAFE_FILTERS = (
    "abs",
    "capitalize",
    "default",
    "d",
    "first",
    "last",
    "length",
    "count",
    "lower",
    "upper",
    "title",
    "trim",
    "round",
    "int",
    "float",
    "e",
    "escape",
)


class TextEnvironment(SandboxedEnvironment):
    """The sandbox texts and conditions run in; each distinct text is compiled once."""

    intercepted_binops = frozenset(["**", "*", "//", "/", "%"])

    def __init__(self) -> None:
        super().__init__(
            undefined=_RuleUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            finalize=_shown,
        )
        self.globals.clear()  # no range(), lipsum(), dict() …
        self.filters = {name: self.filters[name] for name in _SAFE_FILTERS}
        self.filters.update(words=_words, month_year=_month_year, items=_items, date=_date)
        self.tests.clear()
        self.tests["past"] = _past
        # Many organisations share the form definitions and much of their wording; texts that
        # differ only in their wording around the same expressions share one compiled shape.
        self._texts: dict[str, Text] = {}
        self._shapes: dict[tuple[str, tuple[int, ...]], Template] = {}
        self._conditions: dict[str, TemplateExpression] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # A text reads values: a method ("{{ org.kind.upper }}") or a model's internals would
        # print Python's description of it, with a memory address that differs every build.
        if (callable(value) and not isinstance(value, Undefined)) or attr.startswith("model_"):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        raise SecurityError("content text cannot call functions or methods")

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
        if op in ("**", "//", "/", "%") and not numbers:
            raise TypeError(
                f"'{op}' needs a number on each side (a filter such as | words makes text)"
            )
        if op == "**" and (not _small(left) or not _small(right) or abs(right) > 64):
            raise SecurityError("the number is too large")
        if op == "*" and any(isinstance(v, str | list | tuple) for v in (left, right)):
            sequence, count = (
                (left, right) if isinstance(left, str | list | tuple) else (right, left)
            )
            if not isinstance(count, int) or len(sequence) * count > MAX_OUTPUT:
                raise SecurityError("the text would be too long")
        result = {
            "**": operator.pow,
            "*": operator.mul,
            "//": operator.floordiv,
            "/": operator.truediv,
            "%": operator.mod,
        }[op](left, right)
        if isinstance(result, int | float) and not _small(result):
            raise SecurityError("the number is too large")
        return result

    def text(self, source: str) -> Text:
        if source not in self._texts:
            # Parsed once: the checked tree is the one compiled, its wording lifted out.
            tree, every = _checked_statements(self, source)
            wording = _lift_wording(self, every)
            shape = (repr(tree), tuple(node.lineno for node in every))
            if shape not in self._shapes:
                self._shapes[shape] = self.from_string(tree)
            self._texts[source] = Text(self._shapes[shape], wording)
        return self._texts[source]

    def condition(self, source: str) -> TemplateExpression:
        if source not in self._conditions:
            self._conditions[source] = self.compile_expression(source, undefined_to_none=False)
        return self._conditions[source]


def _shown(value: Any) -> Any:
    """What a text prints: text, a number or a date (filters make the rest text); a list, a
    yes/no or anything else would show as Python writes it."""
    if isinstance(value, str | int | float | dt.date | Undefined) and not isinstance(value, bool):
        return value
    if type(value).__module__.startswith("generator.") and not isinstance(value, BaseModel):
        return value  # the views texts are given, which print as words (``org``: its name)
    if isinstance(value, bool):
        raise SecurityError("a yes/no rule cannot be printed: use it in {% if %} … {% endif %}")
    if isinstance(value, list | tuple):
        raise SecurityError("a list cannot be printed as it is: write it with | items")
    raise SecurityError(f"a {type(value).__name__} cannot be printed in a text")


@dataclass(frozen=True)
class Text:
    """A content text ready to fill in: its compiled shape and its wording."""

    shape: Template
    wording: dict[str, str]
    """The text's literal parts, by the name its shape outputs them with."""

    def render(self, context: dict[str, Any]) -> str:
        return self.shape.render({**context, **self.wording})


_WORDING = "__wording_"
"""Names of a text's literal parts in its shape; a text that uses such a name itself is
compiled with its wording in place."""


def _lift_wording(env: TextEnvironment, every: list[nodes.Node]) -> dict[str, str]:
    """Put a name in place of each literal part of a text (``every`` node of its tree), so
    that texts differing only in wording compile to the same shape; the parts by name.
    Compiling costs about half a millisecond a text, and hundreds of organisations each write
    their own."""
    if any(isinstance(node, nodes.Name) and node.name.startswith(_WORDING) for node in every):
        return {}
    wording: dict[str, str] = {}
    for output in (node for node in every if isinstance(node, nodes.Output)):
        for index, node in enumerate(output.nodes):
            if isinstance(node, nodes.TemplateData):
                name = f"{_WORDING}{len(wording)}"
                wording[name] = node.data
                output.nodes[index] = nodes.Name(name, "load", lineno=node.lineno, environment=env)
    return wording


def _small(value: Any) -> bool:
    if not isinstance(value, int | float):
        return True  # not a number: the operation itself says what is wrong
    return abs(value) <= MAX_NUMBER


def _checked_statements(
    env: TextEnvironment, source: str
) -> tuple[nodes.Template, list[nodes.Node]]:
    """``source`` parsed, and every node of it (in order); raises TemplateSyntaxError for a
    statement content may not use."""
    tree = env.parse(source)
    every = list(tree.find_all(nodes.Node))
    for node in every:
        if isinstance(node, nodes.Stmt) and not isinstance(node, _STATEMENTS_ALLOWED):
            kind = type(node).__name__.lower()
            raise TemplateSyntaxError(
                f"'{{% {kind} %}}' cannot be used in content text: use {{{{ rules.x }}}} "
                "and {% if … %}…{% endif %} only",
                node.lineno,
            )
    return tree, every


@functools.cache
def text_environment() -> TextEnvironment:
    """The one shared environment (compiled texts are kept for the life of the process)."""
    return TextEnvironment()


def _context(rules: RuleSet, lang: str, org: OrgView | None, lenient: bool) -> dict[str, Any]:
    context: dict[str, Any] = {
        "rules": RulesView(rules, lang, lenient=lenient),
        "lang": lang,
        "today": rules.today,
    }
    if org is not None:
        context["org"] = org
    return context


def expand(
    env: TextEnvironment, text: str, rules: RuleSet, lang: str, org: OrgView | None = None
) -> str:
    """Fill the rules (and the organisation) into one text; raises TextError."""
    if "{" not in text:
        return text  # most texts use no rule: skip compiling them
    results, key = kept.current(), ""
    if results is not None:  # a text whose rules are unchanged, filled by an earlier build
        key = kept.digest("text", rules.fingerprint, lang, repr(org), text)
        if isinstance(earlier := results.get(key), str):
            return earlier
    result = _run(lambda: env.text(text).render(_context(rules, lang, org, False)))
    if len(result) > MAX_OUTPUT:
        raise TextError(f"the text expands to more than {MAX_OUTPUT} characters")
    if results is not None:
        results.put(key, result)
    return result


def holds(env: TextEnvironment, condition: str, rules: RuleSet, org: OrgView | None = None) -> bool:
    """Evaluate a ``when`` condition; unset rules are false. Raises TextError."""
    results, key = kept.current(), ""
    if results is not None:
        key = kept.digest("when", rules.fingerprint, repr(org), condition)
        if isinstance(earlier := results.get(key), bool):
            return earlier
    result = _run(lambda: bool(env.condition(condition)(**_context(rules, "nb", org, True))))
    if results is not None:
        results.put(key, result)
    return result


def rules_used(formula: str) -> tuple[str, ...]:
    """The rule ids a condition or formula reads (``rules.x``). Raises TextError."""
    return _rules_used(formula)


@functools.lru_cache(maxsize=1024)
def _rules_used(formula: str) -> tuple[str, ...]:
    # Every policy derives the same few formulas: each is parsed once (an error is not kept).
    try:
        tree = text_environment().parse(f"{{{{ {formula} }}}}")
    except TemplateSyntaxError as exc:
        raise TextError(f"template error: {_worded(exc.message)}") from None
    return tuple(
        node.attr
        for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == "rules"
    )


def unknown_rules(text: str, catalogue: Catalogue) -> list[TextError]:
    """The rules a text names that the catalogue does not declare, and a text that is not a
    template at all: what can be told of a text without the policy's rules (when they have
    problems of their own, so that every problem is found in one run)."""
    try:
        tree = text_environment().parse(text)
    except TemplateSyntaxError as exc:
        return [TextError(f"template error: {_worded(exc.message)}", exc.lineno or 1, "{")]
    found = []
    for node in tree.find_all(nodes.Getattr):
        if not isinstance(node.node, nodes.Name) or node.node.name != "rules":
            continue
        if node.attr not in catalogue.by_id:
            found.append(TextError(_unknown_rule(node.attr, catalogue), node.lineno, node.attr))
    return found


def _unknown_rule(name: str, catalogue: Catalogue) -> str:
    hint = difflib.get_close_matches(name, catalogue.ids, n=1)
    suffix = f"did you mean '{hint[0]}'? If not, " if hint else ""
    return f"unknown rule '{name}': {suffix}declare it in content/{CATALOGUE_FILE}"


def check_formula(formula: str, catalogue: Catalogue) -> None:
    """A derived rule's formula must compile and read only declared rules. Raises TextError."""
    for rule_id in rules_used(formula):
        if rule_id not in catalogue.by_id:
            hint = difflib.get_close_matches(rule_id, catalogue.ids, n=1)
            suffix = f": did you mean '{hint[0]}'?" if hint else ""
            raise TextError(f"unknown rule '{rule_id}'{suffix}")


def derive(formula: str, rules: RuleSet) -> Any:
    """A derived rule's value, or None when a rule it needs is not set. Raises TextError."""
    if any(not rules.is_set(rule_id) for rule_id in rules_used(formula)):
        return None
    view = RulesView(rules, "nb", lenient=True)
    return _run(lambda: text_environment().condition(formula)(rules=view))


def _worded(message: str | None) -> str:
    """Jinja's message, with the filters a text may use where it names one it does not know."""
    text = message or "invalid template"
    if text.startswith("No filter named"):
        filters = ", ".join(sorted(text_environment().filters))
        return f"{text.rstrip('.')}: a text may use {filters}"
    return text


def _run(work: Any) -> Any:
    """Run a compiled text; every way it can fail becomes a TextError with its line."""
    try:
        return work()
    except TemplateSyntaxError as exc:
        raise TextError(f"template error: {_worded(exc.message)}", exc.lineno or 1, "{") from None
    except TextVariableError as exc:
        raise TextError(str(exc), _template_line(exc), exc.name) from None
    except SecurityError as exc:
        raise TextError(f"not allowed in content text: {exc}", _template_line(exc), "{") from None
    except (
        ArithmeticError,
        TypeError,
        ValueError,
        LookupError,
        AttributeError,
        UndefinedError,
        RecursionError,
        MemoryError,
    ) as exc:
        message = str(exc) or type(exc).__name__
        raise TextError(
            f"the text cannot be filled in: {message}", _template_line(exc), "{"
        ) from None


def _template_line(exc: BaseException) -> int:
    """The line inside the text where a runtime error happened (Jinja marks its frames)."""
    line = 1
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


__all__ = [
    "OrgView",
    "RuleSet",
    "TextEnvironment",
    "TextError",
    "check_formula",
    "derive",
    "expand",
    "holds",
    "text_environment",
]
