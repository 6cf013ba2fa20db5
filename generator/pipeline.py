"""The pipeline, top to bottom: load and validate -> render Markdown -> plan the jobs -> run
them (MkDocs sites or their parts, search indexes, PDFs) -> place files -> manifest -> swap
-> tidy the cache.

Loading and rendering the Markdown happen in this process. The plan lists every job with its
inputs, cache key and manifest entry; the MkDocs builds and the PDFs then run side by side in
worker processes, the PDFs from the moment each is planned (``_Printing``). The site folder
is replaced only after every stage succeeded; a failed build leaves it as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno as _errno
import functools
import json
import math
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from generator import addresses as at
from generator.cache import (
    BuildCache,
    environment_key,
    files_key,
    read_framed,
    sums_key,
    tree_key,
    write_framed,
)
from generator.errors import (
    BuildError,
    BuildStopped,
    ContentError,
    PolicySiteError,
    Problem,
    describe_os_error,
    display_path,
)
from generator.fields import LANGUAGES
from generator.kept import Kept, keeping
from generator.manifest import Entry, write_manifest
from generator.pdf import FIELD_CHARACTERS, FieldFont, PrintSource, field_font, write_pdf
from generator.pdf import PdfJob as WritePdf
from generator.printing import GuidelinePrint
from generator.project import Project
from generator.render import Page, Rendered, render_chooser, render_language
from generator.render import nav as render_nav
from generator.search import index_each, index_site, take_unchanged
from generator.sitebuild import (
    build_language,
    join_sitemaps,
    language_url,
    site_config,
    take_sitemap,
)
from generator.sitelock import site_lock
from generator.spelling import check_spelling
from generator.templates import Strings, keeping_compiled, load_strings
from generator.translations import NotATranslation, fingerprint, write_record
from generator.trash import SPARE, STOPPED, TEMPORARY, Trash, left_behind, remove
from generator.validate import check_content, load_project, load_project_text
from generator.workers import Workers, fewer_collections, settle, stop_unfinished, warm_up
from generator.yamlload import ParsedFiles, remembering


@dataclass(frozen=True)
class Paths:
    """Where the pipeline reads and writes."""

    project: Path
    """Folder with mkdocs.yml and site_templates/."""
    content: Path
    """Content folder (organisations/, policies/)."""
    site: Path
    """Output folder, replaced as a whole by a successful build."""
    forms: Path
    """Form definitions (forms/*.yml)."""

    @classmethod
    def default(
        cls,
        project: Path | None = None,
        content: Path | None = None,
        site: Path | None = None,
        forms: Path | None = None,
    ) -> Paths:
        root = (project or Path.cwd()).resolve()
        return cls(
            root,
            (content or root / "content").resolve(),
            (site or root / "site").resolve(),
            (forms or root / "forms").resolve(),
        )

    @property
    def templates(self) -> Path:
        return self.project / "site_templates"

    @property
    def mkdocs_config(self) -> Path:
        return self.project / "mkdocs.yml"


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found."""

    problems: list[Problem]
    """Errors: the content cannot be built as it is."""
    warnings: list[Problem]
    """Stale or unmarked translations, forms that do not apply: errors only under ``--strict``."""
    translations: list[tuple[str, dict[str, str]]]
    """Per policy folder: each written form's state (original, current, stale, unmarked)."""


T = TypeVar("T")


def _os_errors_named(func: Callable[..., T]) -> Callable[..., T]:
    """A read-only or full disk (or a folder nobody may write to) ends ``func`` with a
    BuildError naming the file, instead of a traceback; whatever was half written is already
    removed on the way out."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            raise BuildError(describe_os_error(exc)) from exc

    return wrapper


@_os_errors_named
def check(paths: Paths, *, spelling: bool = False) -> CheckResult:
    """Validate all content (and, with ``spelling``, spell-check it)."""
    with memory_of_the_last_build(paths).used():
        project, problems = check_content(paths.content, paths.forms, paths.templates)
        if spelling:
            with spelling_memory(paths) as memo:
                spelled = check_spelling(paths.content, paths.forms, paths.templates, memo)
            problems = sorted(set(problems + spelled))
    if project is None:
        return CheckResult(problems, [], [])
    states = [
        (
            display_path(entry.folder),
            {lang: str(state) for lang, state in entry.translations.items()},
        )
        for entry in project.policies
    ]
    return CheckResult(problems, project.warnings, states)


@_os_errors_named
def mark_translated(paths: Paths, folder: Path, lang: str) -> str:
    """Record that ``lang``'s text in a policy folder matches the original as it is now."""
    project = load_project(paths.content, paths.forms, paths.templates)
    for entry in project.policies:
        if entry.folder.resolve() == folder.resolve():
            original = entry.policy.original_language
            if lang == original:
                raise NotATranslation(f"{lang}.yml is the original text of {display_path(folder)}")
            source = load_project_text(entry.folder / f"{original}.yml")
            write_record(entry.folder / f"{lang}.yml", original, fingerprint(source))
            return f"{display_path(entry.folder / f'{lang}.yml')} now matches {original}.yml."
    raise PolicySiteError(
        f"{display_path(folder)} is not a policy folder of {paths.content}: name a folder of "
        f"{paths.content / 'policies'}, or give its content folder with --content"
    )


Report = Callable[[str], None]
"""Receives one line per finished step."""
Progress = Callable[[str, int, int], None]
"""Receives (step, done, total) while a long step runs."""


@_os_errors_named
def build(
    paths: Paths,
    report: Report = lambda message: None,
    jobs: int | None = None,
    progress: Progress = lambda step, done, total: None,
    *,
    incremental: bool = True,
    pool: ProcessPoolExecutor | None = None,
    wait: bool = True,
    pdfs: bool = True,
    part_size: int | None = None,
    index_size: int | None = None,
    tidy_later: bool = False,
) -> BuildResult:
    """Check, render and build everything, then swap the new site into place; return the
    manifest's entries and the stages' timings.

    ``jobs`` is the number of processes building the MkDocs sites and writing PDFs (default:
    one per core); ``pool``, worker processes to use and leave running (the live preview's).
    With ``incremental``, MkDocs sites, pages and PDFs whose inputs did not change are taken
    from the build cache instead of being rendered again; the result is the same to the byte.
    One build at a time writes a site and its cache: with ``wait``, a build waits for another
    one to finish, else it raises BuildError. Without ``pdfs`` (a quick preview), no PDF is
    written: each is copied from the site being replaced where it has one, and a link to any
    other says it is not built. ``part_size`` and ``index_size``: organisations per MkDocs build
    and per search index (see ``layout``). With ``tidy_later``, what the build replaced (the
    old site, cache entries no longer used) is deleted by a process of its own that may
    outlive this one (``trash``); else before the build returns.
    """
    _apart(paths)
    try:
        paths.site.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create {paths.site.parent}: {exc.strerror or exc}") from exc
    with site_lock(paths.site, report, wait=wait), _stopped_by_sigterm(), fewer_collections():
        _remove_leftovers(paths.site, report)  # first: it may hold the only copy of the site
        return _build_locked(
            paths,
            report,
            jobs,
            progress,
            incremental,
            pool,
            pdfs,
            (part_size, index_size),
            tidy_later,
        )


def _apart(paths: Paths) -> None:
    """The site folder is replaced whole by each build: it must not hold, or be held by, what
    the build reads (a site built into content/ would be read as content next time; a site
    folder named as the content folder would replace it)."""
    site = paths.site
    for name, folder in (
        ("content", paths.content),
        ("forms", paths.forms),
        ("templates", paths.templates),
    ):
        if site == folder or site.is_relative_to(folder) or folder.is_relative_to(site):
            raise BuildError(
                f"the site folder {site} and the {name} folder {folder} overlap: a build "
                "replaces the site folder whole, so name one outside the others (--site)"
            )
    if paths.project.is_relative_to(site):
        raise BuildError(
            f"the site folder {site} holds the project: name a folder inside or beside it (--site)"
        )


def _build_locked(
    paths: Paths,
    report: Report,
    jobs: int | None,
    progress: Progress,
    incremental: bool,
    pool: ProcessPoolExecutor | None,
    pdfs: bool = True,
    sizes: tuple[int | None, int | None] = (None, None),
    tidy_later: bool = False,
) -> BuildResult:
    """``build``, once this process alone writes the site and its cache: the stages in order."""
    clock = _Clock()
    count = jobs or os.cpu_count() or 1
    if pool is None and count > 1:
        # The workers' imports (a second) on a core the loading leaves free, so that they are
        # ready when the first task is; a build that refuses the content ends it unused.
        warm_up(pdfs)
    cache = _open_cache(paths, incremental, report)
    cache.keep(cache.key(_SPELLED))  # written by the spelling check (``spelling_memory``)
    trash = Trash(cache.root, later=tidy_later)
    with clock("load and validate"):  # a ContentError here: nothing written yet
        read = _Snapshot.of(paths)  # the content as it is loaded (see _Inputs.sources)
        project, memory = _load(paths, cache)
    _report_content(project, report)
    staging, work = _staging(paths.site)
    cache.base = staging
    try:
        workers, counts = Workers(count, pool), _Counts()
        with clock("render Markdown"):
            strings = load_strings(paths.templates)
            loaded = memory.parsed.read  # each content file's digest as the load read it
            inputs = _Inputs(
                project, paths, strings, staging, work, cache, pdfs, read, *sizes, loaded
            )
            # The PDFs and the sites' parts are made meanwhile, each from when it is planned;
            # a worker done with one is given the next while the Markdown renders.
            printing, sites = _Printing(inputs, workers, counts), _Sites(inputs, workers)
            with keeping_compiled(inputs.compiled):
                for lang in LANGUAGES:
                    printing.plan(lang)
                for lang in LANGUAGES:
                    rendered = inputs.render(lang, workers.poll)
                    printing.plan(lang, rendered)
                    sites.plan(lang, rendered)
        with clock("plan"):
            plan = plan_jobs(inputs, sites.planned, sites.indexes, printing.planned)
        with clock("MkDocs sites and PDFs"):
            run_jobs(plan, inputs, workers, counts, printing, sites, report, progress)
        with clock("place files"), keeping_compiled(inputs.compiled):
            entries = place_outputs(plan, inputs, counts.sitemaps)
        with clock("manifest and swap"):
            write_manifest(staging, LANGUAGES, entries, cache.digest)
            marks = _marked(plan, inputs)
            _publish_modes(staging)
            _swap(staging, paths.site, trash)
    except OSError as exc:  # disk full, read-only: the site was not written, so say so plainly
        stop_unfinished()
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"the site could not be written: {_describe(exc)}") from exc
    except BaseException:
        stop_unfinished()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with contextlib.suppress(OSError):  # without it, the next build takes nothing from the site
        cache.write(cache.key(PUBLISHED_WITH), b"")
    if marks is not None:
        cache.write(cache.key(_PDFS_IN_PLACE), marks)
    else:  # the PDFs in place are the ones marked (``KeptPdf``: the same files)
        cache.keep(cache.key(_PDFS_IN_PLACE))
    with clock("tidy the cache"):  # what this build replaced (a part's old pages, its index)
        cache.prune(trash)
        trash.empty()
    if counts.rendered == 0:
        report("Nothing changed: no page and no PDF was rendered again.")
    report(f"Site written to {paths.site} ({len(entries)} pages and files).")
    return BuildResult(
        entries,
        clock.seconds,
        counts.worker_seconds,
        counts.rendered,
        counts.worker_memory_mb,
        project,
        memory,
    )


@dataclass(frozen=True)
class BuildResult:
    """What a build produced, and how long each stage took."""

    entries: list[Entry]
    """The manifest: every page and file of the site."""
    stages: dict[str, float]
    """Stage -> wall-clock seconds, in the order the stages ran."""
    worker_seconds: dict[str, float]
    """Kind of work ("MkDocs", "PDF") -> seconds the workers spent on it, added up."""
    rendered: int
    """MkDocs sites and PDFs rendered (not taken from the cache)."""
    worker_memory_mb: float = 0.0
    """Peak memory of the process that ran MkDocs or a PDF and needed the most (a worker's, or
    the build process's with one job); 0 when nothing was rendered."""
    project: Project | None = None
    """The content as built."""
    memory: Memory | None = None
    """What the build worked out from the content (``Memory``): a check of the same files
    after the build need not parse them again."""


class _Clock:
    """Times the stages of one build."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = time.perf_counter() - start
            settle()


def _report_content(project: Project, report: Report) -> None:
    report(
        f"Content is valid: {len(project.organisations)} organisation(s), "
        f"{len(project.policies)} polic{'y' if len(project.policies) == 1 else 'ies'}."
    )
    for warning in project.warnings:
        report(str(warning))


def _load(paths: Paths, cache: BuildCache) -> tuple[Project, Memory]:
    """The project, with what earlier builds worked out taken from the cache (as data), and
    what this one did."""
    keys = cache.key(_PARSED), cache.key(_KEPT)
    memory = Memory(ParsedFiles(cache.read(keys[0])), Kept(cache.read(keys[1])))
    try:
        with memory.used():
            return load_project(paths.content, paths.forms, paths.templates), memory
    finally:
        if sys.exc_info()[0] in (None, ContentError):
            if memory.parsed.changed:
                cache.write(keys[0], memory.parsed.dump())
            if memory.kept.changed:
                cache.write(keys[1], memory.kept.dump())


@dataclass(frozen=True)
class Memory:
    """What builds work out that the next can take as it is, kept in the cache as data: the
    content's files as parsed, its texts and forms with the rules filled in."""

    parsed: ParsedFiles
    kept: Kept

    @contextlib.contextmanager
    def used(self) -> Iterator[None]:
        """Content loaded meanwhile (in this thread) is taken from this and added to it."""
        with remembering(self.parsed), keeping(self.kept):
            yield


def _open_cache(paths: Paths, incremental: bool, report: Report) -> BuildCache:
    cache_dir = _cache_dir(paths)
    if not incremental:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return BuildCache(cache_dir, environment_key(), report)


def _cache_dir(paths: Paths) -> Path:
    return paths.site.with_name(f".{paths.site.name}.cache")


def memory_of_the_last_build(paths: Paths) -> Memory:
    """What the last build kept (from its cache, left untouched), for a check outside a
    build: an unchanged file need not be parsed again, nor a text filled in."""
    cache = BuildCache(_cache_dir(paths), environment_key())
    return Memory(ParsedFiles(cache.peek(cache.key(_PARSED))), Kept(cache.peek(cache.key(_KEPT))))


@contextlib.contextmanager
def spelling_memory(paths: Paths) -> Iterator[Kept]:
    """The unknown words of each content file as last found (``check_spelling``), kept in the
    build cache, which builds leave in place; what is found meanwhile is added to it. Only
    a whole file is ever read or written (two checks at once: the last one's is kept)."""
    cache = BuildCache(_cache_dir(paths), environment_key())
    where = cache.root / cache.key(_SPELLED)
    memo = Kept(read_framed(where))
    yield memo
    if memo.changed:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            cache.root.mkdir(exist_ok=True)  # beside the site (not a folder on the way to it)
            write_framed(where, memo.dump())


PUBLISHED_WITH = "published-with"
"""The cache key's name of a mark that the site in place was built with the cache's settings
(its code and renderers): written once the site is in place, absent after a change to them."""

_PARSED = "parsed-yaml"
"""The cache key's name of the parsed content files."""
_KEPT = "worked-out"
"""The cache key's name of the texts and forms with the rules filled in (``kept``)."""
_SPELLED = "spelled"
"""The cache key's name of the unknown words found in each content file (``spelling_memory``)."""
_PDFS_IN_PLACE = "pdfs-in-place"
"""The cache key's name of the marks of the PDFs in the site in place (``_marked``)."""
_COMPILED = "compiled-templates"
"""The cache key's name of the folder of compiled templates (``templates.keeping_compiled``)."""


def _staging(site: Path) -> tuple[Path, Path]:
    """A folder beside the site to build the new one in, and a private working folder."""
    for stale in left_behind(Path(tempfile.gettempdir()), TEMPORARY, STOPPED):
        remove(stale)
    try:
        work = Path(tempfile.mkdtemp(prefix=TEMPORARY))
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise BuildError(
            f"cannot make a working folder in the temporary folder{where}: "
            f"{exc.strerror or exc}; free some space there, or name a writable one in TMPDIR"
        ) from exc
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{site.name}.new-", dir=site.parent))
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise BuildError(f"cannot write beside {site}: {exc.strerror or exc}") from exc
    return staging, work


@dataclass
class _Inputs:
    """What every stage of one build reads: the project, the folders, the cache."""

    project: Project
    paths: Paths
    strings: Strings
    out: Path
    """The staging folder that becomes the site."""
    work: Path
    cache: BuildCache
    write_pdfs: bool
    """Write the PDFs; else keep the previous site's (see ``build``)."""
    read: _Snapshot
    """The content and form files as they were just before the project was loaded."""
    part_size: int | None = None
    """Organisations per MkDocs build; None: as ``layout`` decides."""
    index_size: int | None = None
    """Organisations per search index; None: as ``layout`` decides."""
    loaded: dict[Path, str] = field(default_factory=dict)
    """The content and form files the project was loaded from: the SHA-256 of each as read
    (``ParsedFiles.read``)."""

    site_urls: dict[str, str] = field(init=False)
    """Each written form's published address."""
    templates_key: str = field(init=False)
    """Digest of site_templates/ (templates, strings, styles)."""
    settings: bytes = field(init=False)
    """mkdocs.yml as it is, read once: part of every site's and PDF's cache key."""
    print_key: str = field(init=False)
    docs_in: dict[str, Path] = field(init=False, default_factory=dict)
    """Where each written form's Markdown was rendered."""
    indexes: list[list[tuple[str, ...]]] = field(init=False)
    """The organisations of each search index of a written form's site, and within it of each
    part (see ``layout``)."""
    same_settings: bool = field(init=False)
    """Whether the site in place was built with this build's code and renderers (what it
    holds is what this build would make of the same pages)."""
    compiled: Path | None = field(init=False)
    """Where the processes of this build keep compiled templates (``keeping_compiled``)."""

    def __post_init__(self) -> None:
        orgs = list(self.project.organisations)
        self.indexes = layout(orgs, self.part_size, self.index_size)
        self.same_settings = self.cache.has(self.cache.key(PUBLISHED_WITH))
        # Named for this code and these libraries: a template compiled by another is not read.
        # Checked (a few dozen small files): a damaged or half-written one is removed.
        compiled = self.cache.folder(self.cache.key(_COMPILED))
        self.compiled = compiled if self.cache.writable else None
        self.site_urls = {lang: language_url(self.paths.mkdocs_config, lang) for lang in LANGUAGES}
        self.templates_key = tree_key(self.paths.templates)
        self.settings = self.paths.mkdocs_config.read_bytes()
        # What the print HTML is made with: the templates and the Markdown settings.
        self.print_key = self.cache.key("print", self.templates_key, self.settings)

    @functools.cached_property
    def field_font(self) -> tuple[FieldFont, str]:
        """The form fields' font and its cache key; its subset is made in a worker, once, and
        kept in the cache."""
        font = field_font()
        key = self.cache.key("field-font", str(font), font.read_bytes(), repr(FIELD_CHARACTERS))
        return FieldFont(font, self.cache.file(key)), key

    def docs(self, lang: str) -> Path:
        """A written form's Markdown (once rendered)."""
        return self.docs_in[lang]

    @property
    def aside(self) -> Path:
        """Where the workers write PDFs; this process moves each into the site (it alone puts
        files there while the site's parts go in)."""
        return self.out / ".pdf"

    def pdf_built(self, lang: str, path: str) -> bool:
        """Whether the PDF at ``path`` (below the language root) will be on the new site."""
        return self.write_pdfs or (self.paths.site / at.in_site(lang, path)).is_file()

    def render(self, lang: str, meanwhile: Callable[[], object] = lambda: None) -> Rendered:
        """Render a written form's Markdown into the build cache, which keeps it, so that a
        build writes only the files that changed (``cache.Tree``); into the working folder
        when the cache cannot be written. ``meanwhile()``: called between organisations."""
        if self.cache.writable:
            try:
                return self._render(lang, self.cache.workspace("docs") / lang, meanwhile)
            except OSError as exc:
                self.cache.unwritable(exc)
        return self._render(lang, self.work / "docs" / lang, meanwhile)

    def _render(self, lang: str, docs: Path, meanwhile: Callable[[], object]) -> Rendered:
        self.docs_in[lang] = docs
        return render_language(
            self.project,
            lang,
            self.paths.templates,
            self.strings,
            docs,
            self.site_urls[lang],
            self.memo,
            functools.partial(self.pdf_built, lang),
            self.sources.get,
            meanwhile,
        )

    @functools.cached_property
    def sources(self) -> dict[str, str]:
        """Organisation -> digest of every file its pages are made from: its own content files
        (its file in organisations/, its policy folders), the content files every organisation
        shares (rules, glossary, statement and the like) and the forms. Of a policy's documents
        the pages show the name and size, so those stand for them (a document may be large).

        A file saved while the project was being loaded may have been read either way: an
        organisation with such a file is left out (rendered, not kept), so that no pages are
        kept under a digest of bytes they were not made from."""
        content = self.paths.content
        organisations, policies = content / "organisations", content / "policies"
        own: dict[str, list[Path]] = {
            slug: [organisations / f"{slug}.yml"] for slug in self.project.organisations
        }
        documents: dict[str, list[Path]] = {slug: [] for slug in self.project.organisations}
        for entry in self.project.policies:
            attached = {document.path for document in entry.documents}
            files = sorted(p for p in entry.folder.rglob("*") if p.is_file())
            own[entry.policy.organisation] += [p for p in files if p not in attached]
            documents[entry.policy.organisation] += sorted(attached)
        shared = [
            path
            for path in sorted(content.rglob("*"))
            if path.is_file() and not path.is_relative_to(policies) and path.parent != organisations
        ]
        forms = sorted(p for p in self.paths.forms.rglob("*") if p.is_file())
        common = files_key([*shared, *forms], content, known=self.loaded)
        if not self.read.unchanged([*shared, *forms]):
            return {}
        keys = {}
        for slug, paths in own.items():
            sizes = [f"{p.relative_to(content)}\0{p.stat().st_size}" for p in documents[slug]]
            key = files_key(paths, content, "\0".join([common, *sizes]), self.loaded)
            # Read after the snapshot: what was read is what was loaded if nothing changed.
            if self.read.unchanged([*paths, *documents[slug]]):
                keys[slug] = key
        return keys

    def memo(self, what: str, make: Callable[[], str]) -> str:
        """A rendered text from the cache, keyed by the templates and ``what`` it shows."""
        key = self.cache.key("text", self.templates_key, what)
        stored = self.cache.read(key)
        if stored is not None:
            return stored.decode("utf-8")
        text = make()
        self.cache.write(key, text.encode("utf-8"))
        return text


@dataclass(frozen=True)
class _Snapshot:
    """The content and form files' sizes, times and inodes at one moment: a file saved since
    has another modification time (cheap to take, where reading every document would not be)."""

    files: dict[Path, tuple[int, int, int]]

    @classmethod
    def of(cls, paths: Paths) -> _Snapshot:
        found = {}
        for folder in (paths.content, paths.forms):
            if folder.is_dir():
                for path in folder.rglob("*"):
                    if path.is_file():
                        found[path] = _stamp(path)
        return cls(found)

    def unchanged(self, paths: list[Path]) -> bool:
        """Whether ``paths`` are as they were (and were there) at the snapshot."""
        try:
            return all(self.files.get(path) == _stamp(path) for path in paths)
        except OSError:
            return False


def _stamp(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


@dataclass(frozen=True)
class SiteJob:
    """One written form's MkDocs site, or one part of it, built from its rendered Markdown."""

    lang: str
    index: int
    """The search index its pages are in."""
    name: str
    """How the build's messages name it."""
    key: str
    """Cache key: everything the built site depends on."""
    target: Path
    task: Callable[[], tuple[int, int]]
    """Builds the site; returns how many pages were rendered and how many reused."""
    entries: tuple[Entry, ...]
    pages: str
    """Its page cache's folder (``BuildCache.folder``), checked only when MkDocs runs."""


@dataclass(frozen=True)
class SearchJob:
    """One search index of a written form, made by Pagefind from its parts' pages once they
    are in the site."""

    lang: str
    index: int
    name: str
    key: str
    """Cache key: its parts' keys (their pages are what it indexes)."""
    pages: tuple[str, ...]
    """What it indexes: the pages' files below the written form's folder."""
    target: Path


@dataclass(frozen=True)
class PdfJob:
    """One PDF: a form's fillable twin or a guideline's printable text."""

    key: str
    """Cache key: everything its print HTML shows."""
    job: WritePdf
    entry: Entry


@dataclass(frozen=True)
class KeptPdf:
    """A build without PDFs: a PDF of the site being replaced, kept as it is."""

    previous: Path
    entry: Entry


@dataclass(frozen=True)
class DocumentJob:
    """A policy's document, copied beside its guideline page in a written form's site."""

    source: Path
    entry: Entry


@dataclass(frozen=True)
class Plan:
    """Everything one build writes, in manifest order."""

    chooser: Entry
    sites: tuple[SiteJob, ...]
    searches: tuple[SearchJob, ...]
    pdfs: tuple[PdfJob | KeptPdf, ...]
    documents: tuple[DocumentJob, ...]

    def entries(self) -> list[Entry]:
        return [
            self.chooser,
            *(e for site in self.sites for e in site.entries),
            *(pdf.entry for pdf in self.pdfs),
            *(doc.entry for doc in self.documents),
        ]


def plan_jobs(
    inputs: _Inputs,
    parts: dict[str, tuple[SiteJob, ...]],
    indexes: dict[str, tuple[SearchJob, ...]],
    pdfs: dict[str, list[PdfJob | KeptPdf]],
) -> Plan:
    """Every job of the build, each with its inputs, cache key and manifest entry; ``parts``,
    ``indexes`` and ``pdfs``, each written form's, as ``_site_jobs``, ``_search_jobs`` and
    ``plan_pdfs`` planned them."""
    chooser = Entry(
        "language-choice", None, None, None, inputs.strings["chooser"]["title"], at.CHOOSER
    )
    sites = tuple(job for lang in LANGUAGES for job in parts[lang])
    searches = tuple(job for lang in LANGUAGES for job in indexes[lang])
    documents = tuple(
        DocumentJob(
            document.path,
            Entry(
                "document",
                lang,
                entry.key[0],
                document.name,
                document.title[lang],
                at.in_site(lang, at.document_path(*entry.key, document.name)),
            ),
        )
        for lang in LANGUAGES
        for entry in inputs.project.policies
        for document in entry.documents
    )
    every_pdf = tuple(pdf for lang in LANGUAGES for pdf in pdfs[lang])
    return Plan(chooser, sites, searches, every_pdf, documents)


def plan_pdfs(
    inputs: _Inputs, lang: str, rendered: Rendered | None = None
) -> list[PdfJob | KeptPdf]:
    """A written form's PDFs, its forms' or, with its ``rendered`` Markdown (which they
    print), its guidelines'. In a build without PDFs, those of the site in place are kept."""
    font, font_key = inputs.field_font
    pdfs: list[PdfJob | KeptPdf] = []
    for entry, source, url, descriptions in _printed(inputs, lang, rendered, font):
        key = inputs.cache.key(entry.kind, inputs.print_key, font_key, url, source.shown())
        if inputs.write_pdfs:
            target = inputs.aside / entry.path
            job = WritePdf(source, target, entry.path, url, descriptions, inputs.compiled)
            pdfs.append(PdfJob(key, job, entry))
            continue
        inputs.cache.keep(key)  # for the next build with PDFs
        if (inputs.paths.site / entry.path).is_file():
            pdfs.append(KeptPdf(inputs.paths.site / entry.path, entry))
    return pdfs


class _Printing:
    """The build's PDFs as they are planned, each that the cache lacks handed to the workers
    at once: a form's as soon as the content is loaded, a guideline's once its written form's
    Markdown is rendered. They are made while this process renders and plans the rest, on a
    core that would otherwise wait for it, instead of after the sites' builds (at 370
    organisations a change's four PDFs took the build's last 0.7 s; on this 2-core machine,
    where a change keeps both cores busy, the gain is within the noise: README, "Benchmark").
    They go to the workers last, behind the sites' builds and search indexes
    (``Workers.submit``)."""

    def __init__(self, inputs: _Inputs, workers: Workers, counts: _Counts) -> None:
        self.inputs, self.workers, self.counts = inputs, workers, counts
        self.planned: dict[str, list[PdfJob | KeptPdf]] = {lang: [] for lang in LANGUAGES}
        self.started: set[str] = set()
        """The paths of the PDFs handed to the workers."""

    def plan(self, lang: str, rendered: Rendered | None = None) -> None:
        """Plan a written form's PDFs (see ``plan_pdfs``) and start those the cache lacks."""
        pdfs = plan_pdfs(self.inputs, lang, rendered)
        self.planned[lang] += pdfs
        for pdf in pdfs:
            if isinstance(pdf, PdfJob) and not self.inputs.cache.has(pdf.key):
                self.start(pdf)

    def start(self, pdf: PdfJob) -> None:
        """Have a worker make ``pdf``; once made, it is kept in the cache and put in the site."""
        self.started.add(pdf.entry.path)
        self.counts.pdfs_rendered += 1
        cache, out = self.inputs.cache, self.inputs.out

        def made(result: object) -> None:
            cache.store(pdf.key, pdf.job.target)
            target = out / pdf.entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            pdf.job.target.replace(target)

        self.workers.submit("PDF", f"PDF {pdf.job.name}", write_pdf, pdf.job, then=made, last=True)


class _Sites:
    """Each written form's MkDocs builds (its parts), planned once its Markdown is rendered,
    and those the cache lacks handed to the workers at once: a written form's parts are built
    while the next one renders, on a core that would otherwise wait for it (each written
    form's Markdown took 6 s of a build from scratch at 370 organisations). They go ahead of
    the PDFs (``Workers.submit``); what becomes of a part once made is ``run_jobs``' (``then``:
    the workers' results are taken in ``Workers.run``)."""

    def __init__(self, inputs: _Inputs, workers: Workers) -> None:
        self.inputs, self.workers = inputs, workers
        self.planned: dict[str, tuple[SiteJob, ...]] = {}
        self.indexes: dict[str, tuple[SearchJob, ...]] = {}
        """Each written form's search indexes over its parts."""
        self.started: set[str] = set()
        """The keys of the parts handed to the workers."""
        self.then: Callable[[SiteJob, tuple[int, int]], None] = lambda site, result: None

    def plan(self, lang: str, rendered: Rendered) -> None:
        """Plan a written form's parts (see ``_site_jobs``) and start those the cache lacks."""
        parts = self.planned[lang] = tuple(_site_jobs(self.inputs, lang, rendered))
        cache = self.inputs.cache
        # The search indexes they go into, announced now: until they come, a worker is given
        # only the task it runs, and an index does not wait behind a part given out before it.
        indexes = self.indexes[lang] = tuple(_search_jobs(self.inputs, parts))
        self.workers.expect("Search", sum(1 for index in indexes if not cache.has(index.key)))
        for site in parts:
            if not cache.has(site.key):
                self.start(site)

    def start(self, site: SiteJob) -> None:
        """Have a worker build ``site``; once built, ``then`` takes it."""
        self.started.add(site.key)
        self.inputs.cache.folder(site.pages)  # its damaged pages removed before MkDocs reads them
        what = f"MkDocs build for '{site.name}'"
        self.workers.submit("MkDocs", what, site.task, then=lambda result: self.then(site, result))


ORGANISATIONS_PER_BUILD = 16
"""Organisations per MkDocs build (a part of a written form's site). A change to one
organisation builds its part again, and MkDocs converts and writes every page of a part; a
build of one organisation costs ~0.3 s of MkDocs' own start, so parts much smaller than this
make a full build slower (README, "Benchmark")."""

ORGANISATIONS_PER_INDEX = 48
"""Up to this many organisations, a written form has one search index over every
organisation; beyond, an index holds this many, or more once there would be more than
``SEARCH_INDEXES`` (a whole number of parts either way)."""

SEARCH_INDEXES = 8
"""At most this many search indexes over every organisation per written form, each over the
pages of some parts. A search widened to every organisation reads every index (one chunk of
each per word): eight kept it within 300 KB at 370 organisations (README, "Benchmark"). A
change to one organisation indexes its index's pages again, so fewer, larger indexes make a
change slower."""


def layout(
    orgs: list[str], part_size: int | None = None, index_size: int | None = None
) -> list[list[tuple[str, ...]]]:
    """The organisations of each search index of a written form, in their order, and within
    each, of each part (one MkDocs build): ``part_size`` organisations to a part and
    ``index_size`` to an index, by default as ``ORGANISATIONS_PER_BUILD``,
    ``ORGANISATIONS_PER_INDEX`` and ``SEARCH_INDEXES`` say."""
    part_size = part_size or ORGANISATIONS_PER_BUILD
    if not index_size:
        wanted = max(ORGANISATIONS_PER_INDEX, math.ceil(len(orgs) / SEARCH_INDEXES))
        index_size = math.ceil(wanted / part_size) * part_size  # no index ends in a small part
    return [_slices(index, part_size) for index in _slices(tuple(orgs), index_size)] or [[()]]


def _slices(items: tuple[str, ...], size: int) -> list[tuple[str, ...]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _site_jobs(inputs: _Inputs, lang: str, rendered: Rendered) -> Iterator[SiteJob]:
    """A written form's MkDocs builds: one per part (see ``layout``)."""
    paths, project, cache = inputs.paths, inputs.project, inputs.cache
    s = inputs.strings[lang]
    parts = [(index, orgs) for index, group in enumerate(inputs.indexes) for orgs in group]
    count = len(parts)
    sums: dict[str, dict[str, bytes]] = {}  # the Markdown's files by their first folder
    for path, digest in rendered.sums.items():
        folder, below, _ = path.partition("/")
        sums.setdefault(folder if below else _TOP, {})[path] = digest
    for part, (index, in_order) in enumerate(parts):
        orgs = set(in_order)
        nav = render_nav(project, rendered.pages, s["home_nav"], orgs if count > 1 else None)
        shared = (inputs.templates_key, inputs.settings, str(project.build_date), repr(nav))
        exclude = _excluded(part, in_order) if count > 1 else ""
        pages = [p for p in rendered.pages if p.org in orgs or (part == 0 and p.org is None)]
        target = inputs.out / _PARTS / lang / str(part)
        page_folder = f"pages-{lang}-{part}"
        config = site_config(
            shared_config=paths.mkdocs_config,
            templates_dir=paths.templates,
            lang=lang,
            languages=LANGUAGES,
            strings=inputs.strings,
            nav=nav,
            docs_dir=inputs.docs(lang),
            site_dir=target,
            site_url=inputs.site_urls[lang],
            organisations={slug: project.organisations[slug].name[lang] for slug in in_order},
            searches=len(inputs.indexes),
            exclude=exclude,
        )
        task = functools.partial(
            build_language,
            config,
            templates_dir=paths.templates,
            lang=lang,
            docs_dir=inputs.docs(lang),
            site_dir=target,
            work_dir=inputs.work,
            build_date=project.build_date,
            sources=_sources(project, paths, pages),
            # Pages are kept even when MkDocs does not run.
            page_cache=(
                cache.folder(page_folder, check=False),
                cache.key("mkdocs-pages", lang, str(part), str(count), exclude, *shared),
            ),
            part=part,
            compiled=inputs.compiled,
            # Part 0 links to every organisation's page (the lists of them): it reads them all.
            left_out=frozenset(
                at.organisation_folder(org).removesuffix("/")
                for org in project.organisations
                if part and org not in orgs
            ),
        )
        entries = [
            Entry(p.kind, lang, p.org, p.id, p.title, at.in_site(lang, p.output)) for p in pages
        ]
        searches = tuple(
            (tuple(p.output for p in pages if p.org == org), at.organisation_search(org))
            for org in in_order
        )
        # Each organisation's own search index is made with its pages (see ``build_part``).
        published = paths.site / at.language_root(lang) if inputs.same_settings else None
        task = functools.partial(build_part, task, lang, target, searches, published)
        if part == 0:
            feed, not_found = at.in_site(lang, at.FEED), at.in_site(lang, at.NOT_FOUND)
            entries += [
                Entry("changelog-feed", lang, None, None, s["changelog_title"], feed),
                Entry("not-found", lang, None, None, "404", not_found),
            ]
        docs = sums_key(
            {
                path: digest
                for folder in (*in_order, *([_TOP] if part == 0 else []))
                for path, digest in sums.get(folder, {}).items()
            }
        )
        key = cache.key("mkdocs", lang, str(part), str(count), docs, exclude, *shared)
        name = lang if count == 1 else f"{lang} (part {part + 1} of {count})"
        yield SiteJob(lang, index, name, key, target, task, tuple(entries), page_folder)


def build_part(
    build: Callable[[], tuple[int, int]],
    lang: str,
    site_dir: Path,
    searches: tuple[tuple[tuple[str, ...], str], ...],
    published: Path | None,
) -> tuple[int, int]:
    """Build a part of a written form's site, then each of its organisations' own search
    index: ``(pages, folder)``, the organisation's pages and its index's folder, below the
    part's. An index that ``published`` (the published written form, made with the same
    build settings) holds as Pagefind would make it again is taken from there; a change to one
    organisation indexes its pages only. Returns what ``build`` does."""
    result = build()
    made = [
        (pages, site_dir / folder, None if published is None else published / folder)
        for pages, folder in searches
        if pages and (published is None or not take_unchanged(site_dir, published, pages, folder))
    ]
    index_each(site_dir, lang, made)
    return result


_TOP = "/"
"""Stands for the docs folder itself among its first folders: its own files are part 0's."""


def _search_jobs(inputs: _Inputs, sites: tuple[SiteJob, ...]) -> Iterator[SearchJob]:
    """Each written form's search indexes, over its parts' pages (see ``layout``)."""
    count = len(inputs.indexes)
    for lang in dict.fromkeys(site.lang for site in sites):  # in their order
        root = at.in_site(lang, "")
        for index in range(count):
            parts = [site for site in sites if site.lang == lang and site.index == index]
            pages = tuple(
                entry.path.removeprefix(root)
                for site in parts
                for entry in site.entries
                if entry.kind not in _NOT_SEARCHED
            )
            key = inputs.cache.key("search", lang, str(index), str(count), *(s.key for s in parts))
            name = lang if count == 1 else f"{lang} ({index + 1} of {count})"
            target = inputs.out / at.in_site(lang, at.search_part(index))
            yield SearchJob(lang, index, name, key, pages, target)


_NOT_SEARCHED = ("changelog-feed", "not-found")
"""Files of a part that are not pages of its search index."""


def _excluded(part: int, orgs: tuple[str, ...]) -> str:
    """MkDocs' ``exclude_docs`` for one part: every other organisation's folder and, but in
    part 0, the pages every organisation shares (top-level files)."""
    keep = [f"!/{at.ASSETS}/", *(f"!/{at.organisation_folder(org)}" for org in orgs)]
    if part == 0:
        keep += ["!/*.md", f"!/{at.FEED}"]
    return "\n".join(["/*", *keep])


def _printed(
    inputs: _Inputs, lang: str, rendered: Rendered | None, font: FieldFont
) -> Iterator[tuple[Entry, PrintSource, str, dict[str, str]]]:
    """Each PDF of a written form, its forms' or, with its ``rendered`` Markdown, its
    guidelines': its entry, its print source, its page's address and its fields'
    descriptions."""
    project, site_url = inputs.project, inputs.site_urls[lang]
    templates, settings = inputs.paths.templates, inputs.paths.mkdocs_config  # once: thousands

    def source(org: str, **shown: Any) -> PrintSource:
        return PrintSource(
            templates,
            settings,
            inputs.print_key,
            font,
            lang,
            project.organisations[org].name[lang],
            **shown,
        )

    if rendered is None:
        yield from _printed_forms(project, lang, site_url, source)
        return
    for policy_entry in project.policies:
        org, policy_id = policy_entry.key
        src = at.guideline_src(org, policy_id)
        title = policy_entry.texts[lang].title
        shown = GuidelinePrint(title, policy_entry.policy.version, src, rendered.printed[src])
        entry = Entry(
            "guideline-pdf",
            lang,
            org,
            policy_id,
            title,
            at.in_site(lang, at.guideline_pdf(org, policy_id)),
        )
        yield entry, source(org, guideline=shown), site_url + at.url(src), {}


def _printed_forms(
    project: Project, lang: str, site_url: str, source: Callable[..., PrintSource]
) -> Iterator[tuple[Entry, PrintSource, str, dict[str, str]]]:
    """``_printed`` for a written form's forms."""
    for instance in project.forms:
        f = instance.forms[lang]
        entry = Entry(
            "form-pdf",
            lang,
            instance.org,
            f.id,
            f.title,
            at.in_site(lang, at.form_pdf(instance.org, f.id)),
            tuple(dict.fromkeys(f.field_names)),
        )
        url = site_url + at.url(at.form_src(instance.org, f.id))
        yield entry, source(instance.org, form=f), url, f.descriptions


@dataclass
class _Counts:
    rendered: int = 0
    pdfs_rendered: int = 0
    pdfs_reused: int = 0
    worker_seconds: dict[str, float] = field(default_factory=dict)
    worker_memory_mb: float = 0.0
    sitemaps: dict[Path, str] = field(default_factory=dict)
    """A part's folder -> its sitemap, taken out when it went into the site (with more than one
    part per written form: ``place_outputs`` joins them)."""


def run_jobs(
    plan: Plan,
    inputs: _Inputs,
    workers: Workers,
    counts: _Counts,
    printing: _Printing,
    sites: _Sites,
    report: Report,
    progress: Progress,
) -> None:
    """Take each site part, search index and PDF from the cache, or have a worker make it
    (the parts and PDFs ``sites`` and ``printing`` handed to the workers already: made). A
    part goes into its written form's folder as soon as it is there; a search index is made
    once all its parts are in. What was made and how long it took is added to ``counts``."""
    cache = inputs.cache
    searches = {(search.lang, search.index): search for search in plan.searches}
    waiting = {group: 0 for group in searches}  # parts not yet in the site
    for site in plan.sites:
        waiting[site.lang, site.index] += 1
    joined = len(plan.sites) > len(LANGUAGES)  # a written form in parts: its sitemaps joined

    def pages(site: SiteJob) -> int:
        return sum(1 for e in site.entries if e.kind not in _NOT_SEARCHED)

    def built(site: SiteJob, result: tuple[int, int]) -> None:
        cache.store(site.key, site.target)
        counts.rendered += 1
        report(
            f"Built {site.name}: {pages(site)} pages ({result[0]} rendered, {result[1]} unchanged)."
        )
        place(site)

    sites.then = built

    def place(site: SiteJob) -> None:
        if joined:
            counts.sitemaps[site.target] = take_sitemap(site.target)
        _move_into(site.target, inputs.out / at.language_root(site.lang))
        waiting[site.lang, site.index] -= 1
        if waiting[site.lang, site.index] == 0:
            index(searches[site.lang, site.index])

    def index(search: SearchJob) -> None:
        # Its folders taken from the site the last build replaced, as a part's are.
        recycle = inputs.cache.root / SPARE / at.in_site(search.lang, at.search_part(search.index))
        if cache.fetch(search.key, search.target, recycle):
            return
        output = inputs.out / _PARTS / at.SEARCH / search.lang / str(search.index)

        def indexed(result: int) -> None:
            search.target.parent.mkdir(parents=True, exist_ok=True)
            output.rename(search.target)
            cache.store(search.key, search.target)
            counts.rendered += 1
            report(f"Indexed {search.name} for the search: {result} pages.")

        # First: the last step of its written form's site, and the longest of a small change.
        site_dir = inputs.out / at.language_root(search.lang)
        # The published index it replaces: most of its files are what Pagefind writes again.
        previous = inputs.paths.site / at.in_site(search.lang, at.search_part(search.index))
        args = (site_dir, search.lang, output, search.pages, previous)
        what = f"search index for '{search.name}'"
        workers.submit("Search", what, index_site, *args, then=indexed, first=True)

    def from_cache() -> Iterator[None]:
        """What the cache has, one item at a time, while the workers make the rest: first
        the parts whose search index waits for a part being made."""
        for site in sorted(sites_kept, key=lambda site: (site.lang, site.index) not in changed):
            # Its folders taken from the site the last build replaced, where they are there,
            # with the PDFs fetched next left in them.
            recycle = inputs.cache.root / SPARE / at.language_root(site.lang)
            if cache.fetch(site.key, site.target, recycle, pdf_places[site.lang]):
                report(f"{site.name}: {pages(site)} pages unchanged, MkDocs not run.")
                place(site)
            else:  # damaged: made after all
                sites.start(site)
            yield
        marks = _pdf_marks(cache) if any(pdf_places.values()) else {}
        for pdf in pdfs_kept:  # into their places: their parts' folders are there by now
            if isinstance(pdf, KeptPdf):
                counts.pdfs_reused += 1
                continue
            target = inputs.out / pdf.entry.path
            if cache.still_there(pdf.key, target, marks.get(pdf.entry.path)) or cache.fetch(
                pdf.key, target
            ):
                counts.pdfs_reused += 1
            else:
                printing.start(pdf)
            yield

    # What must be made went to the workers as it was planned, so that they work while the
    # rest is checked and linked in from the cache (thousands of files on a large site).
    sites_kept = [site for site in plan.sites if site.key not in sites.started]
    changed = {(site.lang, site.index) for site in plan.sites if site.key in sites.started}
    pdfs_kept = [pdf for pdf in plan.pdfs if pdf.entry.path not in printing.started]
    pdf_places = {  # each written form's, below its root
        lang: {
            pdf.entry.path.removeprefix(at.language_root(lang))
            for pdf in pdfs_kept
            if isinstance(pdf, PdfJob) and pdf.entry.lang == lang
        }
        for lang in LANGUAGES
    }
    workers.run(lambda done, total: progress("Rendering", done, total), from_cache())
    counts.rendered += counts.pdfs_rendered
    counts.worker_seconds = dict(workers.seconds)
    counts.worker_memory_mb = workers.peak_mb
    if inputs.write_pdfs:
        busy = (
            f" ({min(workers.count, counts.pdfs_rendered)} worker(s))"
            if counts.pdfs_rendered
            else ""
        )
        report(f"PDFs: {counts.pdfs_rendered} rendered{busy}, {counts.pdfs_reused} unchanged.")
    else:
        report(
            f"PDFs: none written (--no-pdfs); {counts.pdfs_reused} kept from the previous "
            "site, the others' links say they are not built."
        )


def _marked(plan: Plan, inputs: _Inputs) -> bytes | None:
    """Each PDF of the new site marked as the file its key gave (``BuildCache.mark``), for the
    next build to know it in place; None for a build that writes no PDF."""
    if not inputs.write_pdfs:
        return None
    marks = {
        pdf.entry.path: inputs.cache.mark(pdf.key, inputs.out / pdf.entry.path)
        for pdf in plan.pdfs
        if isinstance(pdf, PdfJob)
    }
    return json.dumps(marks, sort_keys=True, separators=(",", ":")).encode()


def _pdf_marks(cache: BuildCache) -> dict[str, Any]:
    """The PDFs the last build with PDFs marked in its site (``_marked``), by their paths."""
    stored = cache.read(cache.key(_PDFS_IN_PLACE))
    try:
        marks = json.loads(stored) if stored is not None else {}
    except ValueError:
        return {}
    return marks if isinstance(marks, dict) else {}


def place_outputs(plan: Plan, inputs: _Inputs, sitemaps: dict[Path, str]) -> list[Entry]:
    """Join the parts' sitemaps, put the documents and the PDFs kept from the previous site
    into the new one, write the language chooser; return the manifest's entries, each checked
    to be there."""
    out = inputs.out
    if sitemaps:
        for lang in LANGUAGES:
            texts = [sitemaps[site.target] for site in plan.sites if site.lang == lang]
            join_sitemaps(texts, out / at.language_root(lang), inputs.project.build_date)
    shutil.rmtree(out / _PARTS)
    for pdf in plan.pdfs:
        if isinstance(pdf, KeptPdf):
            target = out / pdf.entry.path
            target.parent.mkdir(parents=True, exist_ok=True)
            try:  # a second name of the published file (nothing writes into one)
                os.link(pdf.previous, target)
            except OSError:  # no hard links there
                shutil.copyfile(pdf.previous, target)
    shutil.rmtree(inputs.aside, ignore_errors=True)
    for document in plan.documents:
        target = out / document.entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(document.source, target)
    render_chooser(inputs.paths.templates, inputs.strings, out / plan.chooser.path)
    entries = plan.entries()
    missing = [entry.path for entry in entries if not (out / entry.path).is_file()]
    if missing:
        raise BuildError(f"expected pages were not produced: {', '.join(missing)}")
    return entries


_PARTS = ".parts"
"""In the staging folder: where each part of a written form's site is built (or fetched)
before the parts are put together."""


def _move_into(source: Path, target: Path) -> None:
    """Move everything below ``source`` into ``target``, folder by folder where ``target`` has
    one of that name already (the parts of a site hold different organisations)."""
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        there = target / entry.name
        if there.is_dir() and entry.is_dir() and not entry.is_symlink():
            _move_into(entry, there)
        elif there.exists():
            raise BuildError(f"two parts of the site both have {there}")
        else:
            entry.rename(there)


def _sources(project: Project, paths: Paths, pages: list[Page]) -> dict[str, Path]:
    """Generated Markdown file -> the content or form file its text comes from."""
    folders = {entry.key: entry.folder for entry in project.policies}
    sources = {}
    for page in pages:
        if page.kind == "guideline" and page.org and page.id:
            sources[page.src] = folders[page.org, page.id] / f"{page.lang}.yml"
        elif page.kind == "form":
            sources[page.src] = paths.forms / f"{page.id}.yml"
    return sources


def _swap(new: Path, site: Path, trash: Trash) -> None:
    """Put ``new`` where ``site`` is, keeping the old one until the new one is in place
    (then kept as the next build's spare: ``Trash.keep``).

    Where the system can exchange two names atomically (Linux), ``site`` is never absent.
    Elsewhere the old site is renamed aside first; a build killed between the two renames
    leaves it as ``.site.old-*``, which the next build puts back (``_remove_leftovers``).
    """
    if not site.exists():
        new.rename(site)
        return
    if _exchange(new, site):
        trash.keep(new)  # now the old site
        return
    old = site.with_name(f".{site.name}.old-{os.getpid()}")
    site.rename(old)
    try:
        new.rename(site)
    except OSError:
        old.rename(site)
        raise
    trash.keep(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (renameat2 with RENAME_EXCHANGE); False where the system or
    file system cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (_errno.ENOSYS, _errno.EINVAL, _errno.ENOTSUP, _errno.EPERM):
        return False
    raise OSError(errno, os.strerror(errno), str(b))


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library older than glibc 2.28
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _remove_leftovers(site: Path, report: Report = lambda message: None) -> None:
    """Clear what builds that were killed half-way left behind. A site renamed aside by a
    build killed during the swap is the only copy when ``site`` is missing: it is put back."""
    olds = sorted(site.parent.glob(f".{site.name}.old-*"), key=_mtime, reverse=True)
    if olds and not site.exists():
        olds[0].rename(site)
        report(f"Restored {site} from {olds.pop(0).name}, left by a build that was stopped.")
    for leftover in [*olds, *site.parent.glob(f".{site.name}.new-*")]:
        with contextlib.suppress(OSError):
            shutil.rmtree(leftover)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _publish_modes(folder: Path) -> None:
    """Give the tree the modes the user's umask asks for (0755 and 0644 under umask 022):
    staging comes from mkdtemp (0700), and cached files keep whatever mode they had."""
    mask = _umask()
    folder_mode, file_mode = 0o777 & ~mask, 0o666 & ~mask
    os.chmod(folder, folder_mode)
    pending = [str(folder)]
    while pending:  # tens of thousands of entries: no Path, no second stat for each
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                status = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISLNK(status):
                    continue
                is_folder = stat.S_ISDIR(status)
                if is_folder:
                    pending.append(entry.path)
                mode = folder_mode if is_folder else file_mode
                # Only where it differs: a chmod writes the inode even when the mode is the
                # same, thousands of metadata writes for a large site.
                if stat.S_IMODE(status) != mode:
                    os.chmod(entry.path, mode)


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (other threads
    may be creating files)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _describe(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


@contextlib.contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """Turn SIGTERM into BuildStopped while a build runs (in the main thread, where Python
    delivers signals), so that the workers are stopped and staging is removed on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise BuildStopped("the build was stopped (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
