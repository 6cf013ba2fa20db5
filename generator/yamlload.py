"""Stage 1: read YAML files into plain data, remembering where every key and value stands."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import hashlib
import itertools
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.errors import Problem, display_path
from generator.kept import Kept, set_meanwhile

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
    unread: tuple[str, str] | None = field(default=None, repr=False, compare=False)
    """The three tables above as a kept file has them (``_encoded``) and the file's text, read
    when first needed: a file without a problem seldom needs them (a fifth of a second at 370
    organisations)."""

    def tables(self) -> Source:
        """This, with the positions read into its tables."""
        if self.unread is not None:
            (kept, text), self.unread = self.unread, None
            try:
                where = json.loads(kept)
                for table, (locs, lines, cols) in ((self.values, where[0]), (self.keys, where[1])):
                    table.update(zip(map(tuple, locs), zip(lines, cols, strict=True), strict=True))
                self.block_scalars.update(map(tuple, where[2]))
            except _GARBLED:  # not as ``_encoded`` wrote it: parsed again
                fresh = _load(text, self.path)[0] or Source(self.path, None)
                self.values, self.keys = fresh.values, fresh.keys
                self.block_scalars = fresh.block_scalars
        return self

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """Where `loc` is, or the nearest enclosing place that exists (for missing keys)."""
        self.tables()
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

    def find(self, loc: Loc, needle: str) -> tuple[int, int]:
        """Where ``needle`` first stands in the text of the value at ``loc`` (the value's own
        place when it is not written there, as when a rule's value brought it in)."""
        line, col = self.position(loc)
        start = self.text_start(loc)
        # From the value on: the first place it stands (a later value may hold it too).
        for number in range(start, len(self.lines) + 1):
            found = self.lines[number - 1].find(needle, col - 1 if number == line else 0)
            if found >= 0:
                return number, found + 1
        return line, col


class _Constructor(yaml.SafeLoader):
    """SafeLoader, used only for its scalar resolution (dates, ints, booleans)."""


# libyaml composes about 15 times faster and gives the same line and column for every node.
_Fast: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", _Constructor)


MAX_BYTES = 1_000_000
"""Largest file read: a content file is a few kilobytes; a huge one (or /dev/zero) is a mistake."""
MAX_DEPTH = 100
"""Deepest nesting of lists and mappings; content needs about five levels."""
MAX_NODES = 50_000
"""Most values and keys in one file; the largest form has about a thousand."""
MAX_REPORTED = 20
"""Problems reported per file before the rest are left out (a binary file has thousands)."""

_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
}
"""Explicit tags a maintainer may write to force a type (``!!str 2.0``); every other is refused."""
_YAML_TAG = "tag:yaml.org,2002:"
_MERGE = _YAML_TAG + "merge"

# What YAML refuses (its printable set), and the line breaks only YAML counts (U+0085,
# U+2028, U+2029: lines would be numbered unlike in an editor); found before parsing.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# Characters that show nothing but change what a text says: a name with a zero-width space is
# another name to every comparison, and direction controls turn the text after them around.
_INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_HIDDEN = re.compile(f"[{_INVISIBLE}]")
# Escapes ("\0", "\x1b", "\ud800") write the same into a value: no page or PDF can hold them.
_NOT_TEXT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff{_INVISIBLE}]")
_CONTROL_NAMES = {
    0x00: "NUL",
    0x08: "backspace",
    0x0B: "vertical tab",
    0x0C: "form feed",
    0x1B: "escape",
    0x7F: "delete",
    0x85: "next line",
    0x2028: "line separator",
    0x2029: "paragraph separator",
    0x061C: "Arabic letter mark",
    0x200B: "zero-width space",
    0x200C: "zero-width non-joiner",
    0x200D: "zero-width joiner",
    0x200E: "left-to-right mark",
    0x200F: "right-to-left mark",
    0x2060: "word joiner",
    0xFEFF: "zero-width no-break space",
    **{code: "text direction control" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))},
    **{code: "invisible operator" for code in range(0x2061, 0x2065)},
}


def load_yaml(path: Path) -> tuple[Source | None, list[Problem]]:
    """Parse one file. Returns the source, or None and the problems that stopped it."""
    text, problems = read_text(path)
    if text is None:
        return None, problems
    parsed = _parsed.get()
    if parsed is not None and (kept := parsed.get(text, path)) is not None:
        return kept, []
    problems = _printable(text, path)
    if problems:
        return None, problems
    try:
        source, problems = _load(text, path)
    except Exception as exc:  # a file must never stop the check with a traceback
        what = type(exc).__name__
        return None, [Problem.at(path, 1, 1, f"cannot read the file as YAML ({what})")]
    if parsed is not None and source is not None and not problems:
        parsed.put(text, source)
    return source, problems


class ParsedFiles:
    """Files parsed by earlier builds, kept as data (``kept.Kept``, by the digest of each
    file's text): a file whose text is unchanged is not parsed again (libyaml twice, for the
    checks and for the positions: a second of a build of hundreds of organisations). Only files
    parsed without a problem are kept, so every problem is found again; a kept file that does
    not read back is parsed."""

    def __init__(self, stored: bytes | None = None):
        self._kept = Kept(stored)
        self.read: dict[Path, str] = {}
        """Each file loaded meanwhile: the SHA-256 (hex) of its text, which is that of its
        bytes (UTF-8, read as it is)."""

    @property
    def changed(self) -> bool:
        """Whether ``dump`` would give other data than it was made with."""
        return self._kept.changed

    def get(self, text: str, path: Path) -> Source | None:
        digest = self.read[path] = _digest(text)
        data = self._kept.get(digest)  # read afresh each time: a build may change its data
        if data is None:
            return None
        try:
            return _decoded(data, path, text)
        except _GARBLED:
            self._kept.drop(digest)
            return None

    def put(self, text: str, source: Source) -> None:
        try:
            self._kept.put(_digest(text), _encoded(source))
        except _NotKept:
            return

    def dump(self) -> bytes:
        """The files parsed or used since this was made (a file removed is forgotten)."""
        return self._kept.dump()


_parsed: contextvars.ContextVar[ParsedFiles | None] = contextvars.ContextVar("parsed", default=None)


def remembering(parsed: ParsedFiles) -> contextlib.AbstractContextManager[None]:
    """Files loaded meanwhile (in this thread) are taken from ``parsed`` and added to it."""
    return set_meanwhile(_parsed, parsed)


_GARBLED = (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError)
"""What reading kept data that is not as it was written may raise."""


class _NotKept(Exception):
    """A value JSON cannot hold as it is (a mapping with a key that is not text)."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _encoded(source: Source) -> dict[str, Any]:
    """``source`` as JSON data: the data with its dates and times as ISO text (and where they
    are), the positions as lists, apart in a text of their own (read only when needed)."""
    source.tables()
    dates: list[list[str | int]] = []
    times: list[list[str | int]] = []

    def plain(value: Any, loc: Loc) -> Any:
        if isinstance(value, dict):
            if not all(isinstance(key, str) for key in value):
                raise _NotKept
            return {key: plain(item, (*loc, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item, (*loc, index)) for index, item in enumerate(value)]
        if isinstance(value, dt.datetime):
            times.append(list(loc))
            return value.isoformat()
        if isinstance(value, dt.date):
            dates.append(list(loc))
            return value.isoformat()
        if value is None or isinstance(value, str | int | float):
            return value
        raise _NotKept

    return {
        "data": plain(source.data, ()),
        "dates": dates,
        "times": times,
        "where": json.dumps(
            [
                _columns(source.values),
                _columns(source.keys),
                [list(loc) for loc in sorted(source.block_scalars, key=repr)],
            ],
            separators=(",", ":"),
        ),
    }


def _columns(table: dict[Loc, tuple[int, int]]) -> list[list[Any]]:
    """A table of positions as three lists (places, lines, columns): ``Source.tables`` reads
    them back without a loop in Python."""
    return [
        [list(loc) for loc in table],
        [at[0] for at in table.values()],
        [at[1] for at in table.values()],
    ]


def _decoded(data: dict[str, Any], path: Path, text: str) -> Source:
    """The source ``_encoded`` gave ``data`` for, read from ``path``."""
    tree = data["data"]
    for kind, parse in ((data["dates"], dt.date.fromisoformat), (data["times"], _datetime)):
        for loc in kind:
            if not loc:
                tree = parse(tree)
                continue
            parent = tree
            for part in loc[:-1]:
                parent = parent[part]
            parent[loc[-1]] = parse(parent[loc[-1]])
    where = data["where"]
    if not isinstance(where, str):
        raise TypeError("positions not kept as text")
    return Source(path=path, data=tree, lines=text.splitlines(), unread=(where, text))


def _datetime(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def read_text(path: Path, limit: int = MAX_BYTES) -> tuple[str | None, list[Problem]]:
    """A content file's text, or the problem that keeps it from being read.

    Only regular files inside the folder the file belongs to are opened (a FIFO would block,
    a device never ends, a link may point at a secret); at most ``limit`` bytes are read.
    """

    def fail(message: str, line: int = 1, col: int = 1) -> tuple[None, list[Problem]]:
        return None, [Problem.at(path, line, col, message)]

    try:
        info = os.stat(path)
    except OSError as exc:
        return fail(_unreadable(path, exc))
    if not stat.S_ISREG(info.st_mode):
        return fail(
            f"not a regular file ({_file_kind(info.st_mode)}): content must be plain text files"
        )
    root = content_root(path)
    if not _inside(path, root):
        # Nothing of the file is read: its text would end up in logs.
        return fail(
            f"symbolic link to a file outside {display_path(root)}: refused; "
            "copy the file into the folder instead"
        )
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open still returns.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return fail("not a regular file: content must be plain text files")
            data = handle.read(limit + 1)
    except OSError as exc:
        return fail(_unreadable(path, exc))
    if len(data) > limit:
        return fail(
            f"file is larger than {limit / 1_000_000:g} MB: content files are short "
            "texts; split it or remove what does not belong"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _place(data[: exc.start].decode("utf-8", errors="replace"))
        return fail(
            f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} here): "
            "save it with the encoding UTF-8",
            line,
            col,
        )
    return text, []


def _printable(text: str, path: Path) -> list[Problem]:
    """Characters YAML does not take raw, each at its place."""
    problems = []
    for match in itertools.islice(_NOT_PRINTABLE.finditer(text), MAX_REPORTED):
        code = ord(match.group())
        name = _CONTROL_NAMES.get(code, "control character")
        fix = "use an ordinary line break" if code in (0x85, 0x2028, 0x2029) else "remove it"
        message = f"{name} (U+{code:04X}) is not allowed in YAML: {fix}"
        problems.append(Problem.at(path, *_place(text[: match.start()]), message))
    for match in itertools.islice(_HIDDEN.finditer(text), MAX_REPORTED):
        if match.start() == 0 and match.group() == "\ufeff":
            continue  # a byte order mark, which some editors write first
        code = ord(match.group())
        message = (
            f"an invisible character, {_CONTROL_NAMES[code]} (U+{code:04X}), is in the text: "
            "remove it (it makes a word or name differ from how it looks)"
        )
        problems.append(Problem.at(path, *_place(text[: match.start()].lstrip("\ufeff")), message))
    return problems


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, below ``root``, leads to a file inside it: at once when no part of
    it below ``root`` is a link (a few ``lstat``, where resolving the whole path took a tenth
    of a second at 370 organisations), else as it resolves."""
    path = path.absolute()
    try:
        here = str(root)
        for part in path.relative_to(root).parts:
            here = os.path.join(here, part)
            if part == ".." or stat.S_ISLNK(os.lstat(here).st_mode):
                break
        else:
            return True
    except (OSError, ValueError):
        pass
    return path.resolve().is_relative_to(root.resolve())


def content_root(path: Path) -> Path:
    """The folder a file belongs to: a link inside it may not lead out of it.

    organisations/x.yml and policies/p/nb.yml belong to their content folder; any other file
    (accessibility.yml, forms/x.yml, strings.yml) to the folder it is in.
    """
    path = path.absolute()
    if path.parent.name == "organisations":
        return path.parent.parent
    if path.parent.parent.name == "policies":
        return path.parent.parent.parent
    return path.parent


def _unreadable(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (the link leads back to itself): point it at a file"
    if exc.errno == errno.ENOENT:
        if path.is_symlink():
            return "symbolic link to a file that does not exist: point it at a file"
        return "file not found"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: make the file readable"
    if exc.errno == errno.EISDIR:
        return "a folder, not a file"
    return f"cannot read file: {exc.strerror or exc}"


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _place(before: str) -> tuple[int, int]:
    """1-based line and column just after ``before`` (the text up to a spot)."""
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def _load(text: str, path: Path) -> tuple[Source | None, list[Problem]]:
    problems = _scan(text, path, _Fast)
    if problems is None and _Fast is not _Constructor:
        # libyaml words its errors differently: PyYAML's parser says what maintainers expect.
        problems = _scan(text, path, _Constructor)
    if problems is None:
        problems = [Problem.at(path, 1, 1, "YAML syntax error")]
    if problems:
        return None, problems
    node, loader, problem = _compose(text, path, _Fast)
    if problem and _Fast is not _Constructor:
        loader.dispose()
        node, loader, problem = _compose(text, path, _Constructor)
    try:
        if problem:
            return None, [problem]
        if node is None:
            return None, [Problem.at(path, 1, 1, "file is empty: expected a mapping of keys")]
        source = Source(path=path, data=None, lines=text.splitlines())
        problems = []
        source.data = _convert(node, (), source, loader, problems)
        return source, problems
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [Problem.at(path, line, col, f"invalid value: {exc.problem}")]
    finally:
        loader.dispose()


def _scan(text: str, path: Path, kind: type[yaml.SafeLoader]) -> list[Problem] | None:
    """Check the event stream before any node is built: no aliases (a few lines of them make
    billions of nodes), no merge keys, no unknown tags, no deep nesting (the composer
    recurses). Returns the problems found, or None on a syntax error ``kind`` words badly."""
    loader = kind(text)
    problems: list[Problem] = []

    def at(event: yaml.Event, message: str) -> None:
        mark = event.start_mark
        line, column = (mark.line, mark.column) if mark is not None else (0, 0)
        problems.append(Problem.at(path, line + 1, column + 1, message))

    # One entry per open collection: [is a mapping, nodes in it so far].
    stack: list[list[Any]] = []
    aliases: set[str] = set()
    nodes = 0
    try:
        while loader.check_event() and len(problems) < MAX_REPORTED:
            event = loader.get_event()
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                if stack:
                    stack[-1][1] += 1
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            nodes += 1
            if nodes > MAX_NODES:
                at(event, f"more than {MAX_NODES} values in one file: split it")
                break
            is_key = bool(stack) and stack[-1][0] and stack[-1][1] % 2 == 0
            tag = getattr(event, "tag", None)
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in aliases:  # once per anchor: a file may have thousands
                    at(
                        event,
                        f"YAML aliases (*{event.anchor}) are not supported: "
                        "write the value out in full (a text that starts with '*' goes in "
                        "quotes)",
                    )
                aliases.add(str(event.anchor))
            elif is_key and _is_merge_key(event):
                at(event, "merge keys (<<) are not supported: write the keys out")
            elif tag is not None and tag != "!" and _expand_tag(tag) not in _TAGS:
                at(event, f"the tag {tag.replace(_YAML_TAG, '!!')} is not supported: remove it")
            if isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    at(
                        event,
                        f"nested deeper than {MAX_DEPTH} levels: "
                        "content needs only a few; flatten it",
                    )
                    break
                stack.append([isinstance(event, yaml.MappingStartEvent), 0])
            elif stack:
                stack[-1][1] += 1
    except yaml.MarkedYAMLError as exc:
        if kind is _Fast and _Fast is not _Constructor:
            return None
        return [*problems, _syntax_problem(exc, text, path)]
    except yaml.YAMLError as exc:
        if kind is _Fast and _Fast is not _Constructor:
            return None
        return [*problems, Problem.at(path, 1, 1, f"YAML syntax error: {exc}")]
    finally:
        loader.dispose()
    return problems


def _is_merge_key(event: yaml.Event) -> bool:
    if not isinstance(event, yaml.ScalarEvent):
        return False
    return event.tag == _MERGE or (event.tag is None and event.value == "<<" and not event.style)


def _expand_tag(tag: str) -> str:
    return _YAML_TAG + tag[2:] if tag.startswith("!!") else tag


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, path: Path) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "invalid YAML"
    opened = exc.context_mark
    if opened is not None and (
        "end of stream" in what or "document separator" in what or "<stream end>" in what
    ):
        # Something opened far above is never closed: point where it opens, not at the end.
        mark = opened
        if exc.context and "quoted scalar" in exc.context:
            quote = text[opened.index] if opened.index < len(text) else '"'
            return Problem.at(
                path,
                mark.line + 1,
                mark.column + 1,
                f"unclosed quote: the text that starts here with {quote} has no "
                f"closing {quote}; add it",
            )
        what = f"{exc.context} that starts here is not closed ({what})"
    if exc.context == "while scanning a simple key" and opened is not None:
        # A line read as a key that has no ": ": say which line, and the likely fix.
        mark, what = opened, _not_a_key(text.splitlines(), opened.line)
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if "'\\t'" in what or "\t" in what:
        what = "a tab: YAML is indented with spaces only; replace the tab with spaces"
    elif what == "mapping values are not allowed here" and mark is not None:
        line, col, what = _colon_where_none_fits(text.splitlines(), mark.line, mark.column)
    elif mark is not None and (dash := re.match(r"(\s*)-[^\s\d-]", _line(text, mark.line))):
        col, what = len(dash.group(1)) + 1, _NO_SPACE_AFTER_DASH
    return Problem.at(path, line, col, f"YAML syntax error: {what}")


_NO_SPACE_AFTER_DASH = "a list item needs a space after its '-': write '- ' and then the item"


def _line(text: str, index: int) -> str:
    lines = text.splitlines()
    return lines[index] if index < len(lines) else ""


def _colon_where_none_fits(lines: list[str], index: int, column: int) -> tuple[int, int, str]:
    """Line, column and what to do where YAML found a ': ' it cannot read as a key's (line
    ``index``, 0-based): the usual slips behind it."""
    line = lines[index] if index < len(lines) else ""
    above = next((i for i in range(index - 1, -1, -1) if lines[i].strip()), None)
    for at in (index, above):
        dash = re.match(r"(\s*)-[^\s-]", lines[at]) if at is not None and at < len(lines) else None
        if at is not None and dash:
            return (
                at + 1,
                len(dash.group(1)) + 1,
                _NO_SPACE_AFTER_DASH,
            )
    written = above is not None and lines[above].split("#")[0].strip()
    if above is not None and written and ":" not in written and not written.startswith("-"):
        return (
            above + 1,
            len(lines[above]) - len(lines[above].lstrip()) + 1,
            "this line has no ': ' after its key: write 'key: value'",
        )
    key = re.match(r"\s*(?:- )?[\w-]+:\s+", line)
    if key and column >= key.end():
        text = line[key.end() :].strip().replace('"', "'")
        return (
            index + 1,
            key.end() + 1,
            f"the text holds ': ', which YAML reads as the start of another key: put the whole "
            f'text in quotes ("{text}")',
        )
    indent = len(line) - len(line.lstrip())
    if above is not None and indent > len(lines[above]) - len(lines[above].lstrip()):
        return (
            index + 1,
            indent + 1,
            f"this line is indented further than line {above + 1}, which has its value already: "
            "indent the keys of one mapping alike",
        )
    return index + 1, column + 1, "mapping values are not allowed here"


def _not_a_key(lines: list[str], index: int) -> str:
    """What to do with line ``index`` (0-based), which YAML reads as a key without ": "."""
    line = lines[index] if index < len(lines) else ""
    glued = re.match(r"\s*(?:- )?([A-Za-z_][\w-]*):(?=\S)", line)
    if glued:
        return (
            f"a key needs a space after its colon: write '{glued.group(1)}: …' "
            "(this line is read as a key without ': ')"
        )
    indent = len(line) - len(line.lstrip())
    for above in range(index - 1, -1, -1):
        text = lines[above]
        if not text.strip():
            continue
        if len(text) - len(text.lstrip()) > indent:
            continue  # a line of a text, indented further ("### …" too): look on for its key
        block = re.search(r"(\w[\w-]*):\s*[|>][-+0-9]*\s*(#.*)?$", text)
        if block and above == index - 1:
            return (
                f"this line is read as a key, not as text: the lines of '{block.group(1)}' must "
                f"be indented further than '{block.group(1)}:' on line {above + 1}"
            )
        if block or above < index - 1:
            return (
                f"this line is read as a key, not as text: a text's lines must all be indented "
                f"at least as far as its first line (see line {above + 2})"
            )
        break
    return (
        "this line is read as a key, but has no ': ' after it: indent it as far as the line "
        "above if it continues a text, or write 'key: value'"
    )


def _compose(
    text: str, path: Path, kind: type[yaml.SafeLoader]
) -> tuple[yaml.Node | None, yaml.SafeLoader, Problem | None]:
    """The document's node tree, or the syntax error that stopped it."""
    loader = kind(text)
    try:
        return loader.get_single_node(), loader, None
    except yaml.MarkedYAMLError as exc:
        return None, loader, _syntax_problem(exc, text, path)
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
                first = source.keys[(*loc, key)][0]
                message = f"duplicate key '{key}' (first on line {first}): keep one of them"
                problems.append(Problem.at(source.path, *where, message))
                continue
            source.keys[(*loc, key)] = where
            result[key] = _convert(value_node, (*loc, key), source, loader, problems)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*loc, index), source, loader, problems)
            for index, item in enumerate(node.value)
        ]
    if getattr(node, "style", None) in ("|", ">"):
        source.block_scalars.add(loc)
    try:
        value = loader.construct_object(node, deep=True)
    except ValueError:
        # Looks like a date but is none (2024-13-01): keep the text; validation names the type.
        return node.value
    if value is None and loc:
        problems.append(_no_value(loc, source))
    if isinstance(value, str) and (bad := _NOT_TEXT.search(value)):
        line, col = source.values[loc]
        code = ord(bad.group())
        name = _CONTROL_NAMES.get(code, "surrogate" if 0xD800 <= code < 0xE000 else "character")
        problems.append(
            Problem.at(
                source.path,
                line,
                col,
                f"the text holds a {name} (U+{code:04X}), written as an escape: remove it",
            )
        )
    return value


def _no_value(loc: Loc, source: Source) -> Problem:
    """A key written without a value (or an empty list item). No content key is meant to be
    empty: a field with nothing to say is left out, so this is a slip, most often a text
    starting with '#', which YAML reads as a comment (``heading: #1 Formål``)."""
    key = loc[-1]
    line, col = source.keys.get(loc) or source.values[loc]
    written = source.lines[line - 1] if line <= len(source.lines) else ""
    what = f"'{key}' has no value" if isinstance(key, str) else f"item {key + 1} is empty"
    if "#" in written[col - 1 :]:
        start = written.index("#", col - 1)
        return Problem.at(
            source.path,
            line,
            start + 1,
            f"{what}: a '#' starts a comment in YAML, so what follows it is left out; put the "
            f'text in quotes ("{written[start:].strip()}")',
        )
    fix = "write one, or leave the key out" if isinstance(key, str) else "remove the '-' line"
    return Problem.at(source.path, line, col, f"{what}: {fix}")


def dotted(loc: Loc) -> str:
    """('sections', 2, 'body') -> 'sections[2].body', the way problems name a place."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
