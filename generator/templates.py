"""The site's own templates and texts: strings.yml, checked, and the Jinja environments the
render and PDF stages draw their pages with."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import traceback
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
)
from jinja2.bccache import Bucket
from markupsafe import Markup

from generator import addresses
from generator.cache import read_framed, write_framed
from generator.errors import BuildError, ContentError, PolicySiteError, Problem, display_path
from generator.fields import LANGUAGES
from generator.kept import set_meanwhile
from generator.safety import markdown_text, url_part
from generator.wording import format_date, format_list
from generator.yamlload import Loc, Source, dotted, load_yaml


class _Compiled(BytecodeCache):
    """Compiled templates kept for the life of the process (a preview's rebuilds, a worker's
    jobs, the builds of one test run), found by template file and checked against its source.
    Compiling them took 0.35 s of a small build (2.1 s; 0.75 s without PDFs). Where a build
    names a folder (``keeping_compiled``), they are kept there too, for the next build's
    processes: each worker compiled the theme's templates again, 0.3 s of MkDocs each."""

    def __init__(self, kind: Hashable) -> None:
        self._code: dict[str, bytes] = {}
        self._name = hashlib.sha256(repr(kind).encode()).hexdigest()[:16]

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        folder = _folder.get()
        if code is None and folder is not None:
            code = read_framed(folder / f"{self._name}-{bucket.key}")  # None if damaged
        if code is not None:
            bucket.bytecode_from_string(code)  # a changed source is compiled again

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = self._code[bucket.key] = bucket.bytecode_to_string()
        folder = _folder.get()
        if folder is not None:
            with contextlib.suppress(OSError):  # a folder that cannot be written costs time only
                write_framed(folder / f"{self._name}-{bucket.key}", code)


_COMPILED: dict[Hashable, _Compiled] = {}
_folder: contextvars.ContextVar[Path | None] = contextvars.ContextVar("compiled", default=None)
"""Where ``keeping_compiled`` keeps them in this thread, if anywhere."""


def compiled(kind: Hashable) -> BytecodeCache:
    """The process's compiled templates for one kind of environment. Jinja's key names only
    the template, and its options (escaping, whitespace) shape the code: one cache per kind."""
    return _COMPILED.setdefault(kind, _Compiled(kind))


def keeping_compiled(folder: Path | None) -> contextlib.AbstractContextManager[None]:
    """Meanwhile (in this thread), keep this process's compiled templates in ``folder`` too
    (the build cache's, named for the code and library versions that compile them), and take
    them from there."""
    return set_meanwhile(_folder, folder)


class MissingText(BuildError):
    """A text the templates or the pipeline ask for is not in strings.yml."""


class Strings(dict[str, Any]):
    """One mapping of strings.yml; asking for a key it lacks names the file, the place and the
    key (a KeyError would show as a traceback, Jinja's undefined as 'dict object').

    Its own names start with an underscore: templates read keys as attributes.
    """

    def __init__(self, items: dict[str, Any], label: str, where: str, places: dict[str, str]):
        super().__init__(items)
        self._label = label
        """Its keys from the top ('nb.form'), for messages."""
        self._where = where
        """'file:line:col' of the mapping."""
        self._places = places
        """Key -> 'file:line:col' of its value."""

    def __missing__(self, key: str) -> Any:
        raise MissingText(f"{self._where}: {self._label}: missing text '{key}': add it")

    def _fill(self, key: str, **values: Any) -> str:
        """The text ``key`` with its {placeholders} filled in."""
        try:
            return str(self[key]).format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            given = ", ".join("{" + name + "}" for name in values)
            place = self._places.get(key, self._where)
            raise BuildError(
                f"{place}: {self._label}.{key}: cannot fill in {exc}: "
                f"the placeholders here are {given}"
            ) from exc


def load_strings(templates_dir: Path) -> Strings:
    """strings.yml, checked: every written form has the same keys; raises ContentError."""
    path = templates_dir / "strings.yml"
    source, problems = load_yaml(path)
    if source is None or problems:
        raise ContentError(problems)
    data = source.data
    if not isinstance(data, dict):
        wanted = ", ".join((*LANGUAGES, "chooser"))
        raise ContentError([source.problem((), f"expected a mapping with the keys {wanted}")])
    for key in (*LANGUAGES, "chooser"):
        if not isinstance(data.get(key), dict):
            what = f"{key}: expected" if key in data else f"missing key '{key}': expected"
            problems.append(
                source.problem((key,) if key in data else (), f"{what} a mapping of texts")
            )
    if not problems:
        first, *others = LANGUAGES
        for other in others:
            _same_keys(source, (first,), (other,), problems)
            _same_keys(source, (other,), (first,), problems)
    if problems:
        raise ContentError(problems)
    return _strings(data, (), source)


def _same_keys(source: Source, have: Loc, lack: Loc, problems: list[Problem]) -> None:
    """Report keys under ``have`` that ``lack`` does not have (recursively)."""
    mine, theirs = source.data, source.data
    for part in have:
        mine = mine[part]
    for part in lack:
        theirs = theirs[part]
    for key, value in mine.items():
        if key not in theirs:
            problems.append(
                source.problem(
                    lack,
                    f"{dotted(lack)}: missing text '{key}' ({dotted((*have, key))} has it): add it",
                )
            )
        elif isinstance(value, dict) and isinstance(theirs[key], dict):
            _same_keys(source, (*have, key), (*lack, key), problems)


def _strings(data: Any, loc: Loc, source: Source) -> Any:
    if not isinstance(data, dict):
        return data

    def where(at: Loc) -> str:
        return "{}:{}:{}".format(display_path(source.path), *source.position(at))

    return Strings(
        {str(key): _strings(value, (*loc, key), source) for key, value in data.items()},
        dotted(loc) or "strings.yml",
        where(loc),
        {str(key): where((*loc, key)) for key in data},
    )


def render_template(env: Environment, name: str, **context: Any) -> str:
    """A template of site_templates rendered; a failure names the template file and line."""
    try:
        return env.get_template(name).render(**context)
    except TemplateSyntaxError as exc:
        place = f"{display_path(Path(exc.filename or name))}:{exc.lineno}"
        raise BuildError(f"{place}: template error: {exc.message}") from exc
    except MissingText as exc:
        raise MissingText(f"{exc} (used by {template_place(exc, name)})") from exc
    except PolicySiteError:
        raise
    except Exception as exc:
        what = exc.message if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
        raise BuildError(f"{template_place(exc, name)}: template error: {what}") from exc


def template_place(exc: BaseException, name: str) -> str:
    """'file:line' of the innermost template in the traceback (Jinja puts its lines there),
    or ``name``."""
    place = name
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename.endswith((".j2", ".html")):
            place = f"{display_path(Path(filename))}:{line}"
    return place


def page_environment(templates_dir: Path, lang: str, *, autoescape: bool = False) -> Environment:
    """Jinja for the site's own templates: HTML (HTML-escaped) or Markdown pages.

    In Markdown pages every value is shown as plain text (``markdown_text``) unless a filter
    says otherwise: ``md`` for content that is Markdown on purpose (cleaned once converted, see
    ``generator.safety``), ``url`` for an address from content.
    """
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=autoescape,
        finalize=None if autoescape else _markdown_finalize,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=compiled(("pages", autoescape)),
    )
    env.filters["date"] = lambda value: format_date(value, lang)
    env.filters["join_list"] = lambda words: format_list(list(words), lang)
    env.filters["md"] = lambda text: Markup(str(text))
    env.filters["url"] = url_part
    env.globals["at"] = addresses
    return env


def _markdown_finalize(value: Any) -> Any:
    return value if isinstance(value, Markup) else markdown_text(value)
