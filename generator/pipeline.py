"""The pipeline, top to bottom: load -> validate -> render -> MkDocs per language -> PDFs ->
manifest.

Loading and rendering the Markdown happen in this process; the MkDocs builds and the PDFs run
side by side in worker processes (a guideline's PDF as soon as its language's site is built).
The site folder is replaced only after every stage succeeded; a failed build leaves it as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno as _errno
import functools
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from generator import render
from generator.cache import BuildCache, environment_key, tree_key
from generator.errors import (
    BuildError,
    BuildStopped,
    PolicySiteError,
    Problem,
    describe_os_error,
    display_path,
)
from generator.fields import LANGUAGES
from generator.forms import ResolvedForm
from generator.manifest import Entry, write_manifest
from generator.pdf import FIELD_CHARACTERS, FieldFont, PdfJob, PrintSource, field_font, write_pdf
from generator.sitebuild import build_language, language_url
from generator.sitelock import site_lock
from generator.spelling import check_spelling
from generator.translations import NotATranslation, fingerprint, write_record
from generator.validate import (
    FormInstance,
    PolicyEntry,
    Project,
    check_content,
    load_project,
    load_project_text,
)
from generator.workers import Workers, stop_unfinished


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


def check(paths: Paths, *, spelling: bool = False) -> CheckResult:
    """Validate all content (and, with ``spelling``, spell-check it)."""
    project, problems = check_content(paths.content, paths.forms)
    if spelling:
        problems = sorted(set(problems + check_spelling(paths.content, paths.forms,
                                                        paths.templates)))  # fmt: skip
    if project is None:
        return CheckResult(problems, [], [])
    states = [(display_path(entry.folder), dict(entry.translations)) for entry in project.policies]
    return CheckResult(problems, project.warnings, states)


@_os_errors_named
def mark_translated(paths: Paths, folder: Path, lang: str) -> str:
    """Record that ``lang``'s text in a policy folder matches the original as it is now."""
    project = load_project(paths.content, paths.forms)
    for entry in project.policies:
        if entry.folder.resolve() == folder.resolve():
            original = entry.policy.original_language
            if lang == original:
                raise NotATranslation(f"{lang}.yml is the original text of {display_path(folder)}")
            source = load_project_text(entry.folder / f"{original}.yml")
            write_record(entry.folder / f"{lang}.yml", original, fingerprint(source))
            return f"{display_path(entry.folder / f'{lang}.yml')} now matches {original}.yml."
    raise PolicySiteError(f"{display_path(folder)} is not a policy folder of {paths.content}")


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
) -> list[Entry]:
    """Check, render and build everything, then swap the new site into place.

    ``jobs`` is the number of processes building the MkDocs sites and writing PDFs (default:
    one per core); ``pool``, worker processes to use and leave running (the live preview's).
    With ``incremental``, MkDocs sites, pages and PDFs whose inputs did not change are taken
    from the build cache instead of being rendered again; the result is the same to the byte.
    One build at a time writes a site and its cache: with ``wait``, a build waits for another
    one to finish, else it raises BuildError. Without ``pdfs`` (a quick preview), no PDF is
    written: each is copied from the site being replaced where it has one, and a link to any
    other says it is not built.
    """
    try:
        paths.site.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create {paths.site.parent}: {exc.strerror or exc}") from exc
    with site_lock(paths.site, report, wait=wait), _stopped_by_sigterm():
        _remove_leftovers(paths.site, report)  # first: it may hold the only copy of the site
        return _build_locked(paths, report, jobs, progress, incremental, pool, pdfs)


def _build_locked(
    paths: Paths, report: Report, jobs: int | None, progress: Progress, incremental: bool,
    pool: ProcessPoolExecutor | None, pdfs: bool = True,
) -> list[Entry]:  # fmt: skip
    """``build``, once this process alone writes the site and its cache."""
    # Raises ContentError before anything is written.
    project = load_project(paths.content, paths.forms)
    report(
        f"Content is valid: {len(project.organisations)} organisation(s), "
        f"{len(project.policies)} polic{'y' if len(project.policies) == 1 else 'ies'}."
    )
    for warning in project.warnings:
        report(str(warning))
    cache_dir = paths.site.with_name(f".{paths.site.name}.cache")
    if not incremental:
        shutil.rmtree(cache_dir, ignore_errors=True)
    cache = BuildCache(cache_dir, environment_key(), report)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{paths.site.name}.new-", dir=paths.site.parent))
        work = Path(tempfile.mkdtemp(prefix="policy-site-"))
    except OSError as exc:
        raise BuildError(f"cannot write beside {paths.site}: {exc.strerror or exc}") from exc
    cache.base = staging
    try:
        run = _Build(project, paths, staging, work, report, progress, jobs or os.cpu_count() or 1,
                     cache, pool, write_pdfs=pdfs)  # fmt: skip
        entries = run.everything()
        write_manifest(staging, LANGUAGES, entries)
        _publish_modes(staging)
        _swap(staging, paths.site)
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
    cache.prune()
    if run.rendered == 0:
        report("Nothing changed: no page and no PDF was rendered again.")
    report(f"Site written to {paths.site} ({len(entries)} pages and files).")
    return entries


@dataclass
class _PdfCount:
    rendered: int = 0
    reused: int = 0


@dataclass
class _Build:
    """One build into a staging folder: Markdown here, MkDocs sites and PDFs in workers."""

    project: Project
    paths: Paths
    out: Path
    work: Path
    report: Report
    progress: Progress
    jobs: int
    cache: BuildCache
    pool: ProcessPoolExecutor | None = None
    """Worker processes lent by the caller, or None to start them for this build."""
    write_pdfs: bool = True
    """Write the PDFs; else keep the previous site's (see ``build``)."""
    rendered: int = 0
    """MkDocs sites and PDFs rendered (not taken from the cache)."""
    pdfs: _PdfCount = field(default_factory=_PdfCount)
    """PDFs rendered and taken from the cache."""
    templates_key: str = ""
    """Digest of site_templates/ (templates, strings, styles)."""
    font: FieldFont | None = None
    """The form fields' font; its subset is made in a worker, once, and kept in the cache."""
    font_key: str = ""
    """Cache key of that subset: the font file and the characters it keeps."""

    @property
    def pdf_dir(self) -> Path:
        """Where PDFs are written while the MkDocs builds run."""
        return self.out / ".pdf"

    def everything(self) -> list[Entry]:
        strings = render.load_strings(self.paths.templates)
        build_date = self.project.build_date
        site_urls = {lang: language_url(self.paths.mkdocs_config, lang) for lang in LANGUAGES}
        self.templates_key = tree_key(self.paths.templates)
        self._prepare_field_font()
        workers = Workers(self.jobs, self.pool)
        entries: list[Entry] = []
        for lang in LANGUAGES:
            pdf_built = functools.partial(self._pdf_built, lang)
            pages = render.render_language(self.project, lang, self.paths.templates, strings,
                                           self.work / "docs" / lang, site_urls[lang],
                                           self._memo, pdf_built)  # fmt: skip
            entries += [Entry(p.kind, lang, p.org, p.id, p.title, f"{lang}/{p.output}")
                        for p in pages]  # fmt: skip
            entries.append(Entry("changelog-feed", lang, None, None,
                                 strings[lang]["changelog_title"], f"{lang}/feed.xml"))  # fmt: skip
            entries.append(Entry("not-found", lang, None, None, "404", f"{lang}/404.html"))
            guideline_pdfs = functools.partial(self._guideline_pdfs, workers, lang,
                                               site_urls[lang])  # fmt: skip
            self._site(workers, lang, strings, build_date, pages,
                       then=guideline_pdfs if self.write_pdfs else lambda site: None)  # fmt: skip
        for lang in LANGUAGES:
            if self.write_pdfs:
                self._form_pdfs(workers, lang, site_urls[lang])
            else:
                self._previous_pdfs(lang, site_urls[lang])
        workers.run(lambda done, total: self.progress("Rendering", done, total))
        self.rendered += self.pdfs.rendered
        busy = f" ({min(self.jobs, self.pdfs.rendered)} worker(s))" if self.pdfs.rendered else ""
        if self.write_pdfs:
            self.report(f"PDFs: {self.pdfs.rendered} rendered{busy}, "
                        f"{self.pdfs.reused} unchanged.")  # fmt: skip
        else:
            self.report(f"PDFs: none written (--no-pdfs); {self.pdfs.reused} kept from the "
                        "previous site, the others' links say they are not built.")  # fmt: skip

        entries += self._place_pdfs(site_urls)
        entries += self._documents()
        render.render_chooser(self.paths.templates, strings, self.out / "index.html")
        title = strings["chooser"]["title"]
        entries.insert(0, Entry("language-choice", None, None, None, title, "index.html"))
        missing = [entry.path for entry in entries if not (self.out / entry.path).is_file()]
        if missing:
            raise BuildError(f"expected pages were not produced: {', '.join(missing)}")
        return entries

    def _pdf_built(self, lang: str, path: str) -> bool:
        """Whether the PDF at ``path`` (below the language root) will be on the new site."""
        return self.write_pdfs or (self.paths.site / lang / path).is_file()

    def _previous_pdfs(self, lang: str, site_url: str) -> None:
        """A build without PDFs: the previous site's PDFs, where it has them, as they are."""
        for doc in (*self._form_documents(lang, site_url),
                    *self._guideline_documents(lang, site_url)):  # fmt: skip
            old = self.paths.site / doc.entry.path
            if old.is_file():
                target = self.pdf_dir / doc.entry.path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(old, target)
                self.pdfs.reused += 1

    def _prepare_field_font(self) -> None:
        """Name the form fields' font subset in the cache; a worker makes it when first needed."""
        font = field_font()
        self.font_key = self.cache.key("field-font", str(font), font.read_bytes(),
                                       repr(FIELD_CHARACTERS))  # fmt: skip
        self.font = FieldFont(font, self.cache.file(self.font_key))

    def _form_pdfs(self, workers: Workers, lang: str, site_url: str) -> None:
        for doc in self._form_documents(lang, site_url):
            assert doc.instance is not None
            f = doc.instance.forms[lang]
            # Keyed by what the print HTML shows: an unchanged form is not rendered at all.
            key = self.cache.key("form-pdf", self.templates_key, self.font_key, lang,
                                 doc.org_name, repr(f), doc.page_url)  # fmt: skip
            self._pdf(workers, key, doc, form=f)

    def _guideline_pdfs(self, workers: Workers, lang: str, site_url: str, site: object) -> None:
        """Once ``lang``'s site is built (or taken from the cache): its guidelines' PDFs."""
        for doc in self._guideline_documents(lang, site_url):
            assert doc.policy is not None
            page = self.out / lang / str(doc.entry.org) / str(doc.entry.id) / "index.html"
            shown = render.GuidelinePrint(doc.policy.texts[lang].title, doc.policy.policy.version,
                                          page.read_text("utf-8"))  # fmt: skip
            key = self.cache.key("guideline-pdf", self.templates_key, self.font_key, lang,
                                 doc.org_name, repr(shown), doc.page_url)  # fmt: skip
            self._pdf(workers, key, doc, guideline=shown)

    def _place_pdfs(self, site_urls: dict[str, str]) -> list[Entry]:
        """Move the PDFs into the language folders; MkDocs empties a folder when it builds it,
        so they waited aside until every build was done."""
        entries = []
        for lang in LANGUAGES:
            for doc in (*self._form_documents(lang, site_urls[lang]),
                        *self._guideline_documents(lang, site_urls[lang])):  # fmt: skip
                written = self.pdf_dir / doc.entry.path
                if written.is_file():
                    (self.out / doc.entry.path).parent.mkdir(parents=True, exist_ok=True)
                    written.replace(self.out / doc.entry.path)
                elif not self.write_pdfs:
                    continue  # not built; its links say so
                entries.append(doc.entry)
        shutil.rmtree(self.pdf_dir, ignore_errors=True)
        return entries

    def _documents(self) -> list[Entry]:
        """The policies' documents, which MkDocs copied into both language sites."""
        return [
            Entry("document", lang, entry.key[0], document.name, document.title[lang],
                  f"{lang}/{render.document_path(*entry.key, document.name)}")
            for lang in LANGUAGES
            for entry in self.project.policies
            for document in entry.documents
        ]  # fmt: skip

    def _memo(self, what: str, make: Callable[[], str]) -> str:
        """A rendered text from the cache, keyed by the templates and ``what`` it shows."""
        key = self.cache.key("text", self.templates_key, what)
        stored = self.cache.read(key)
        if stored is not None:
            return stored.decode("utf-8")
        text = make()
        self.cache.write(key, text.encode("utf-8"))
        return text

    def _site(
        self, workers: Workers, lang: str, strings: dict, build_date: dt.date,
        pages: list[render.Page], then: Callable[[object], None],
    ) -> None:  # fmt: skip
        """Build one language's Markdown with MkDocs, unless nothing it depends on changed."""
        paths = self.paths
        docs = self.work / "docs" / lang
        nav = render.nav(self.project, pages, strings[lang]["home_nav"])
        shared = (self.templates_key, paths.mkdocs_config.read_bytes())
        key = self.cache.key("mkdocs", lang, str(build_date), repr(nav), tree_key(docs), *shared)
        site_dir = self.out / lang
        pages_folder = self.cache.folder(f"pages-{lang}")  # kept even when MkDocs does not run
        if self.cache.fetch(key, site_dir):
            self.report(f"{lang}: {len(pages)} pages unchanged, MkDocs not run.")
            then(None)
            return
        page_key = self.cache.key("mkdocs-pages", lang, str(build_date), repr(nav), *shared)
        task = functools.partial(
            build_language,
            shared_config=paths.mkdocs_config, templates_dir=paths.templates, lang=lang,
            languages=LANGUAGES, strings=strings, nav=nav, docs_dir=docs,
            site_dir=site_dir, work_dir=self.work, build_date=build_date,
            sources=_sources(self.project, paths, pages),
            page_cache=(pages_folder, page_key),
            organisations={slug: o.name[lang] for slug, o in self.project.organisations.items()},
        )  # fmt: skip

        def built(counts: tuple[int, int]) -> None:
            self.cache.store(key, site_dir)
            self.rendered += 1
            rendered, reused = counts
            self.report(f"Built {lang}: {len(pages)} pages "
                        f"({rendered} rendered, {reused} unchanged).")  # fmt: skip
            then(counts)

        workers.submit("MkDocs", f"MkDocs build for '{lang}'", task, then=built)

    def _pdf(
        self, workers: Workers, key: str, doc: _Document, *,
        form: ResolvedForm | None = None, guideline: render.GuidelinePrint | None = None,
    ) -> None:  # fmt: skip
        """Take a PDF from the cache, or have a worker render its HTML and write it."""
        target = self.pdf_dir / doc.entry.path
        if self.cache.fetch(key, target):
            self.pdfs.reused += 1
            return
        self.pdfs.rendered += 1
        assert self.font is not None
        source = PrintSource(self.paths.templates, self.templates_key, self.font,
                             str(doc.entry.lang), doc.org_name, form, guideline)  # fmt: skip
        job = PdfJob(source, target, doc.entry.path, doc.page_url, doc.descriptions)
        workers.submit("PDF", f"PDF {job.name}", write_pdf, job,
                       then=lambda result: self.cache.store(key, target))  # fmt: skip

    def _form_documents(self, lang: str, site_url: str) -> Iterator[_Document]:
        """Each form's fillable PDF."""
        project = self.project
        for instance in project.forms:
            f = instance.forms[lang]
            path = f"{lang}/{render.form_pdf(instance.org, f.id)}"
            yield _Document(
                entry=Entry("form-pdf", lang, instance.org, f.id, f.title, path,
                            tuple(dict.fromkeys(f.field_names))),
                page_url=site_url + render.form_src(instance.org, f.id).removesuffix(".md") + "/",
                org_name=project.organisations[instance.org].name[lang],
                descriptions=f.descriptions, instance=instance,
            )  # fmt: skip

    def _guideline_documents(self, lang: str, site_url: str) -> Iterator[_Document]:
        """Each guideline's printable PDF, made from its built page."""
        project = self.project
        for policy_entry in project.policies:
            policy = policy_entry.policy
            path = f"{lang}/{render.guideline_pdf(policy.organisation, policy.id)}"
            yield _Document(
                entry=Entry("guideline-pdf", lang, policy.organisation, policy.id,
                            policy_entry.texts[lang].title, path),
                page_url=f"{site_url}{policy.organisation}/{policy.id}/",
                org_name=project.organisations[policy.organisation].name[lang],
                policy=policy_entry,
            )  # fmt: skip


@dataclass(frozen=True)
class _Document:
    """A PDF the site offers: its manifest entry and what its print HTML needs."""

    entry: Entry
    page_url: str
    """Address of the page the PDF belongs to."""
    org_name: str
    descriptions: dict[str, str] = field(default_factory=dict)
    instance: FormInstance | None = None
    """The form, for a form's PDF."""
    policy: PolicyEntry | None = None
    """The policy, for a guideline's PDF."""


def _sources(project: Project, paths: Paths, pages: list[render.Page]) -> dict[str, Path]:
    """Generated Markdown file -> the content or form file its text comes from."""
    folders = {entry.key: entry.folder for entry in project.policies}
    sources = {}
    for page in pages:
        if page.kind == "guideline":
            sources[page.src] = folders[page.org, page.id] / f"{page.lang}.yml"
        elif page.kind == "form":
            sources[page.src] = paths.forms / f"{page.id}.yml"
    return sources


def _swap(new: Path, site: Path) -> None:
    """Put ``new`` where ``site`` is, keeping the old one until the new one is in place.

    Where the system can exchange two names atomically (Linux), ``site`` is never absent.
    Elsewhere the old site is renamed aside first; a build killed between the two renames
    leaves it as ``.site.old-*``, which the next build puts back (``_remove_leftovers``).
    """
    if not site.exists():
        new.rename(site)
        return
    if _exchange(new, site):
        shutil.rmtree(new, ignore_errors=True)  # now the old site
        return
    old = site.with_name(f".{site.name}.old-{os.getpid()}")
    site.rename(old)
    try:
        new.rename(site)
    except OSError:
        old.rename(site)
        raise
    shutil.rmtree(old, ignore_errors=True)


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
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]  # fmt: skip
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


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
    os.chmod(folder, 0o777 & ~mask)
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o777 & ~mask)
        for name in files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o666 & ~mask)


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
