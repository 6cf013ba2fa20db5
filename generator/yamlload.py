"""Stage 1: read YAML files into plain data, remembering where every key and value stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Problem

Loc = tuple[str | int, ...]


@dataclass
class Source:
    """One YAML document: its data and the 1-based line/column of each value and key."""

    path: Path
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    block_scalars: set[Loc] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)
    """The file's lines, to point at a column inside a multi-line value."""

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Where `loc` is, or the nearest enclosing place that exists (for missing keys)."""
        table = self.keys if key else self.values
        if loc in table:
            return table[loc]
        for depth in range(len(loc), -1, -1):
            prefix = loc[:depth]
            if prefix in self.values:
                return self.values[prefix]
        return (1, 1)

    def problem(self, loc: Loc, message: str, *, key: bool = False) -> Problem:
        line, col = self.position(loc, key=key)
        return Problem.at(self.path, line, col, message)

    def text_start(self, loc: Loc) -> int:
        """Line on which the text of a string value starts (block scalars start a line below)."""
        line, _ = self.position(loc)
        return line + 1 if loc in self.block_scalars else line


class _Constructor(yaml.SafeLoader):
    """SafeLoader, used only for its scalar resolution (dates, ints, booleans)."""


# libyaml composes about 15 times faster and gives the same line and column for every node.
_Fast: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", _Constructor)


def load_yaml(path: Path) -> tuple[Source | None, list[Problem]]:
    """Parse one file. Returns the source, or None and the problems that stopped it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem.at(path, 1, 1, f"file is not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return None, [Problem.at(path, 1, 1, f"cannot read file: {exc.strerror}")]
    node, loader, problem = _compose(text, path, _Fast)
    if problem and _Fast is not _Constructor:
        loader.dispose()
        # libyaml words its errors differently: PyYAML's parser says what maintainers expect.
        node, loader, problem = _compose(text, path, _Constructor)
    try:
        if problem:
            return None, [problem]
        if node is None:
            return None, [Problem.at(path, 1, 1, "file is empty: expected a mapping of keys")]
        source = Source(path=path, data=None, lines=text.splitlines())
        problems: list[Problem] = []
        source.data = _convert(node, (), source, loader, problems)
        return source, problems
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [Problem.at(path, line, col, f"invalid value: {exc.problem}")]
    finally:
        loader.dispose()


def _compose(
    text: str, path: Path, kind: type[yaml.SafeLoader]
) -> tuple[yaml.Node | None, yaml.SafeLoader, Problem | None]:
    """The document's node tree, or the syntax error that stopped it."""
    loader = kind(text)
    try:
        return loader.get_single_node(), loader, None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "invalid YAML"
        return None, loader, Problem.at(path, line, col, f"YAML syntax error: {what}")
    except yaml.YAMLError as exc:
        return None, loader, Problem.at(path, 1, 1, f"YAML syntax error: {exc}")


def _convert(node: yaml.Node, loc: Loc, source: Source, loader: yaml.SafeLoader, problems) -> Any:
    source.values[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int) or isinstance(key, bool):
                key = str(key)
            where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                # PyYAML keeps the last value silently; a repeated key is almost always a mistake.
                problems.append(Problem.at(source.path, *where, f"duplicate key '{key}'"))
                continue
            source.keys[(*loc, key)] = where
            result[key] = _convert(value_node, (*loc, key), source, loader, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*loc, index), source, loader, problems)
            for index, item in enumerate(node.value)
        ]
    if node.style in ("|", ">"):
        source.block_scalars.add(loc)
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        # Looks like a date but is none (2024-13-01): keep the text; validation names the type.
        return node.value


def dotted(loc: Loc) -> str:
    """('sections', 2, 'body') -> 'sections[2].body', the way problems name a place."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
