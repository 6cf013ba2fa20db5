"""``policy-site status``: what maintainers should look at, per organisation and policy.

One report of everything that makes the site less true or less ready than it looks: reviews due
or overdue, dated statements whose time has passed, stale or unmarked translations, missing
contacts, placeholder names, attached forms that do not apply, unknown words, and site-wide
settings not ready for publishing. Each item names the file and line to change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import re
import signal
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from generator.errors import Problem, display_path, real_folder, real_place
from generator.fields import LANGUAGES
from generator.pipeline import BuildResult, Paths, memory_of_the_last_build, spelling_memory
from generator.project import PolicyEntry, Project
from generator.spelling import SpellingUnavailable, check_spelling
from generator.templates import load_strings
from generator.timebound import dated_items
from generator.validate import load_project
from generator.workers import die_with_parent, fewer_collections
from generator.yamlload import load_yaml

REVIEW_SOON = dt.timedelta(days=60)
"""A review this close is reported as due (not yet as something to act on)."""

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0")

KINDS = {
    "site-url": "site address not ready for publishing",
    "placeholder-name": "placeholder name",
    "no-contact": "missing contact",
    "review-overdue": "review overdue",
    "review-due": "review due",
    "review-unset": "no review date",
    "dated": "dated statement passed",
    "translation": "translation stale or unmarked",
    "form": "attached form does not apply",
    "markup": "text a page leaves out",
    "name": "organisation name shared",
    "spelling": "unknown word",
    "spelling-unchecked": "spelling not checked",
}
"""Every kind of item, as the report's summary names it."""


@dataclass(frozen=True, order=True)
class Item:
    """One thing to look at, at the place to change it."""

    file: str
    line: int
    col: int
    kind: str
    message: str
    org: str | None = None
    policy: str | None = None
    action: bool = True
    """Needs a maintainer's action (``--strict`` fails); otherwise for information."""

    @property
    def place(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass
class Report:
    today: dt.date
    build_date: dt.date
    project: Project
    items: list[Item] = field(default_factory=list)

    @property
    def actions(self) -> list[Item]:
        return [item for item in self.items if item.action]

    def summary(self) -> str:
        """One line: how many things need action, by kind."""
        counts = Counter(item.kind for item in self.actions)
        if not counts:
            return "Status: nothing needs action."
        kinds = ", ".join(f"{n} {KINDS[kind]}" for kind, n in sorted(counts.items()))
        return (
            f"Status: {len(self.actions)} thing(s) need action ({kinds}); "
            "run `policy-site status` for where."
        )

    def text(self) -> str:
        """The report for a terminal: site-wide first, then each organisation and policy."""
        lines = [
            f"Status on {self.today.isoformat()} (the site's pinned date is "
            f"{self.build_date.isoformat()})."
        ]
        placed: dict[tuple[str | None, str | None], list[Item]] = {}  # one pass, not one a place
        for item in self.items:
            placed.setdefault((item.org, item.policy), []).append(item)
        site = [item for item in self.items if item.org is None]
        if site:
            lines += ["", "Site", *(_line(item, 2) for item in site)]
        for slug, org in self.project.organisations.items():
            lines += ["", f"{org.name['nb']} ({slug})"]
            lines += [_line(item, 2) for item in placed.get((slug, None), [])]
            for entry in self.project.policies_of(slug):
                lines.append(f"  {entry.texts['nb'].title} ({display_path(entry.folder)})")
                mine = placed.get((slug, entry.policy.id), [])
                lines += [_line(item, 4) for item in mine] or ["    nothing to do"]
        lines += ["", self.summary()]
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "build_date": self.build_date.isoformat(),
            "needs_action": len(self.actions),
            "summary": self.summary(),
            "items": [{**asdict(item), "place": item.place} for item in self.items],
        }


def _line(item: Item, indent: int) -> str:
    mark = "" if item.action else "(info) "
    return f"{' ' * indent}{item.place}: {mark}{item.message}"


def status(
    paths: Paths,
    today: dt.date | None = None,
    *,
    spelling: bool = True,
    built: BuildResult | None = None,
    spelled: Callable[[], list[Problem]] | None = None,
) -> Report:
    """Look at everything; raises ContentError when the content does not load. After a build,
    ``built`` gives the content as it was built, and its files as parsed; ``spelled`` gives
    the unknown words when they were looked for meanwhile (``spelling_meanwhile``)."""
    memory = built.memory if built and built.memory else memory_of_the_last_build(paths)
    # Thousands of items beside a large project: collect less.
    with fewer_collections(), memory.used():
        return _status(paths, today, spelling, built, spelled)


@contextlib.contextmanager
def spelling_meanwhile(paths: Paths) -> Iterator[Callable[[], list[Problem]] | None]:
    """Look for unknown words in a process of its own while the caller goes on (a build,
    whose load and render stages leave a core free); the callable waits for the answer. The
    process ends when the caller leaves, answered or not. None where no process can be
    started (the words are then looked for by ``status`` itself)."""
    try:
        pool = multiprocessing.get_context("fork").Pool(1, initializer=_aside)
    except (OSError, ImportError):  # no semaphores (no /dev/shm), no processes left
        pool = None
    if pool is None:
        yield None
        return
    try:
        answer = pool.apply_async(_spelling, (paths,))
        yield answer.get
    finally:
        pool.terminate()
        pool.join()


PARSED_ANEW = 200
"""Up to this many content files to parse again, the spelling check beside a build parses
them itself (0.6 ms each at 370 organisations); more, and it reads what the last build parsed
instead (0.15 s there)."""


def _spelling(paths: Paths) -> list[Problem]:
    """``check_spelling``, with the files the last build parsed taken as it left them (the
    build running meanwhile parses only what changed, and so does this); what it left is read
    only where many files must be parsed again (``PARSED_ANEW``)."""

    def parsing(files: int) -> contextlib.AbstractContextManager[None]:
        if files <= PARSED_ANEW:
            return contextlib.nullcontext()
        return memory_of_the_last_build(paths).used()

    with spelling_memory(paths) as memo:
        return check_spelling(paths.content, paths.forms, paths.templates, memo, parsing)


def _aside() -> None:
    """A process working beside the caller: Ctrl+C is the caller's to handle (it ends this
    one), and it ends with the caller even when that is killed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    # The build it runs beside comes first; the words are needed only when it is done.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)


def _status(
    paths: Paths,
    today: dt.date | None,
    spelling: bool,
    built: BuildResult | None,
    spelled: Callable[[], list[Problem]] | None,
) -> Report:
    if built is not None and built.project is not None:
        project = built.project
    else:
        project = load_project(paths.content, paths.forms, paths.templates)
    today = today or dt.date.today()
    report = Report(today, project.build_date, project)
    items = report.items
    items += _site_url(paths.mkdocs_config)
    names = load_strings(paths.templates).get("placeholder_names", [])
    for slug, org in project.organisations.items():
        items += _organisation(paths.content / "organisations" / f"{slug}.yml", org, names)
    for entry in project.policies:
        items += _policy(entry, today)
    owners = _Owners(project)
    items += [owners.item(warning, warning.kind or "form") for warning in project.warnings]
    if spelling:
        try:
            if spelled is not None:
                problems = spelled()
            else:
                with spelling_memory(paths) as memo:
                    problems = check_spelling(paths.content, paths.forms, paths.templates, memo)
        except SpellingUnavailable as exc:
            items.append(
                Item(
                    display_path(paths.content),
                    1,
                    1,
                    "spelling-unchecked",
                    f"spelling was not checked: {exc}",
                    action=False,
                )
            )
        else:
            items += [owners.item(problem, "spelling") for problem in problems]
    report.items = sorted(set(items), key=_order)
    return report


def _order(item: Item) -> tuple[Any, ...]:
    return (item.org or "", item.policy or "", item.file, item.line, item.col, item.message)


def _site_url(config: Path) -> list[Item]:
    """site_url must be the published address: PDFs, feeds, sitemaps and canonical links use
    it. mkdocs.yml has Python tags, so the key is found by its line."""
    where = display_path(config)
    if not config.is_file():
        return [Item(where, 1, 1, "site-url", "mkdocs.yml not found")]
    for number, text in enumerate(config.read_text(encoding="utf-8").splitlines(), 1):
        match = re.match(r"^site_url:\s*(.*?)\s*(#.*)?$", text)
        if match is None:
            continue
        url = match.group(1).strip("\"'")
        host = (urlsplit(url).hostname or "") if url else ""
        col = match.start(1) + 1
        if not url:
            return [
                Item(
                    where,
                    number,
                    col,
                    "site-url",
                    "site_url is empty: set it to the address the site is published at",
                )
            ]
        if host in LOCAL_HOSTS or host.endswith((".local", ".localhost")) or not host:
            message = (
                f"site_url is {url}, a local address: links in every PDF, the feeds, "
                "the sitemaps and the canonical links point to it; set it to the address "
                "the site is published at"
            )
            return [Item(where, number, col, "site-url", message)]
        return []
    return [
        Item(
            where,
            1,
            1,
            "site-url",
            "site_url is not set: add `site_url:` with the address the site is published at",
        )
    ]


def _organisation(path: Path, org: Any, placeholders: list[str]) -> list[Item]:
    generic = {name.casefold() for name in placeholders}
    placeholder = [lang for lang in LANGUAGES if org.name[lang].strip().casefold() in generic]
    contact = org.contact is not None and not (
        org.contact.email is None and org.contact.url is None
    )
    if not placeholder and contact:
        return []  # most of hundreds: their files need not be read again
    source, _ = load_yaml(path)
    where = display_path(path)
    items = []
    for lang in placeholder:
        line, col = source.position(("name", lang)) if source else (1, 1)
        items.append(
            Item(
                where,
                line,
                col,
                "placeholder-name",
                f"name.{lang} '{org.name[lang]}' is "
                "only a generic word, not the organisation's name: write its real "
                "name",
                org.slug,
            )
        )
    if not contact:
        line = len(source.lines) + 1 if source and source.lines else 1
        items.append(
            Item(
                where,
                line,
                1,
                "no-contact",
                "no contact: readers cannot report "
                "problems (the accessibility statement says so); add "
                "`contact: {email: …, url: …}`",
                org.slug,
            )
        )
    return items


def _policy(entry: PolicyEntry, today: dt.date) -> list[Item]:
    policy, source = entry.policy, entry.source
    where = display_path(source.path)
    org, pid = policy.organisation, policy.id
    items = []
    if policy.next_review is None:
        items.append(
            Item(
                where,
                1,
                1,
                "review-unset",
                "no next_review: add "
                "`next_review: YYYY-MM-DD` so readers and maintainers know when it is "
                "looked at again",
                org,
                pid,
                action=False,
            )
        )
    else:
        line, col = source.position(("next_review",))
        review = policy.next_review.isoformat()
        if policy.next_review < today:
            items.append(
                Item(
                    where,
                    line,
                    col,
                    "review-overdue",
                    f"the review was due "
                    f"{review}: review the policy, then set next_review to the next "
                    "date",
                    org,
                    pid,
                )
            )
        elif policy.next_review - today <= REVIEW_SOON:
            items.append(
                Item(
                    where,
                    line,
                    col,
                    "review-due",
                    f"the review is due {review}",
                    org,
                    pid,
                    action=False,
                )
            )
    for item in dated_items(entry):
        if item.until >= today:
            continue
        line, col = source.position(item.loc)
        what = "rule" if item.loc[0] == "rules" else "statement"
        items.append(
            Item(
                where,
                line,
                col,
                "dated",
                f"time-bound {what} passed "
                f"{item.until.isoformat()} (as of {today.isoformat()}): "
                f'"{item.note["nb"]}"; the page tells readers it may be out of date. '
                "Update the policy and this entry when the organisation has decided",
                org,
                pid,
            )
        )
    return items


class _Owners:
    """Whose a file is: a policy's (a file in its folder) or an organisation's (its file).
    Looked up by path, not searched: hundreds of organisations have thousands of unknown
    words."""

    def __init__(self, project: Project) -> None:
        self.policies = {real_folder(entry.folder): entry.key for entry in project.policies}
        folder = project.content_dir / "organisations"
        self.organisations = {
            real_place(folder / f"{slug}.yml"): slug for slug in project.organisations
        }
        self.seen: dict[str, tuple[str | None, str | None]] = {}

    def owner(self, file: str) -> tuple[str | None, str | None]:
        if file not in self.seen:
            path = real_place(file)
            found = next((self.policies[p] for p in path.parents if p in self.policies), None)
            org, policy = found or (self.organisations.get(path), None)
            self.seen[file] = org, policy
        return self.seen[file]

    def item(self, problem: Problem, kind: str) -> Item:
        """A problem of check (a warning, an unknown word) as an item of its policy or
        organisation."""
        org, policy = self.owner(problem.file)
        message = problem.message.removeprefix("warning: ")
        return Item(problem.file, problem.line, problem.col, kind, message, org, policy)


__all__ = ["KINDS", "Item", "Report", "status"]
