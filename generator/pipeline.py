"""The pipeline, top to bottom: load -> validate -> render -> MkDocs per language -> manifest.

The site folder is replaced only after every stage succeeded; a failed build leaves it as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator import render
from generator.cache import BuildCache, environment_key, tree_key
from generator.errors import BuildError, PolicySiteError, Problem, display_path
from generator.manifest import Entry, write_manifest
from generator.pdf import PdfJob, write_all
from generator.schema import LANGUAGES
from generator.sitebuild import build_language, language_url
from generator.spelling import check_spelling
from generator.translations import NotATranslation, fingerprint, write_record
from generator.validate import Project, check_content, load_project, load_project_text


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
    """Stale or unmarked translations: errors only under ``--strict``."""
    translations: list[tuple[str, dict[str, str]]]
    """Per policy folder: each written form's state (original, current, stale, unmarked)."""


def check(paths: Paths, *, spelling: bool = False) -> CheckResult:
    """Validate all content (and, with ``spelling``, spell-check it)."""
    project, problems = check_content(paths.content, paths.forms)
    if spelling:
        problems = sorted(set(problems + check_spelling(paths.content, paths.forms,
                                                        paths.templates)))  # fmt: skip
    if project is None:
        return CheckResult(problems, [], [])
    states = [(display_path(entry.folder), dict(entry.translations)) for entry in project.policies]
    return CheckResult(problems, project.translation_warnings(), states)


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


def build(
    paths: Paths,
    report: Report = lambda message: None,
    jobs: int | None = None,
    progress: Progress = lambda step, done, total: None,
    *,
    incremental: bool = True,
) -> list[Entry]:
    """Check, render and build everything, then swap the new site into place.

    ``jobs`` is the number of processes writing PDFs (default: one per core). With
    ``incremental``, MkDocs sites and PDFs whose inputs did not change are taken from the build
    cache instead of being rendered again; the result is the same to the byte.
    """
    # Raises ContentError before anything is written.
    project = load_project(paths.content, paths.forms)
    report(
        f"Content is valid: {len(project.organisations)} organisation(s), "
        f"{len(project.policies)} polic{'y' if len(project.policies) == 1 else 'ies'}."
    )
    paths.site.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(paths.site)
    cache_dir = paths.site.with_name(f".{paths.site.name}.cache")
    if not incremental:
        shutil.rmtree(cache_dir, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{paths.site.name}.new-", dir=paths.site.parent))
    work = Path(tempfile.mkdtemp(prefix="policy-site-"))
    try:
        run = _Build(project, paths, staging, work, report, progress, jobs or os.cpu_count() or 1,
                     BuildCache(cache_dir, environment_key()))  # fmt: skip
        entries = run.everything()
        write_manifest(staging, LANGUAGES, entries)
        _swap(staging, paths.site)
        run.cache.prune()
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if run.rendered == 0:
        report("Nothing changed: no page and no PDF was rendered again.")
    report(f"Site written to {paths.site} ({len(entries)} pages and files).")
    return entries


@dataclass
class _Build:
    """One build into a staging folder, stage by stage."""

    project: Project
    paths: Paths
    out: Path
    work: Path
    report: Report
    progress: Progress
    jobs: int
    cache: BuildCache
    rendered: int = 0
    """MkDocs sites and PDFs rendered (not taken from the cache)."""

    def everything(self) -> list[Entry]:
        strings = render.load_strings(self.paths.templates)
        build_date = max(
            render.latest_change(entry.policy.changelog).date for entry in self.project.policies
        )
        site_urls = {lang: language_url(self.paths.mkdocs_config, lang) for lang in LANGUAGES}
        entries: list[Entry] = []
        for lang in LANGUAGES:
            pages = self.language(lang, strings, site_urls[lang], build_date)
            entries += [Entry(p.kind, lang, p.org, p.id, p.title, f"{lang}/{p.output}")
                        for p in pages]  # fmt: skip
            entries.append(Entry("changelog-feed", lang, None, None,
                                 strings[lang]["changelog_title"], f"{lang}/feed.xml"))  # fmt: skip
            entries.append(Entry("not-found", lang, None, None, "404", f"{lang}/404.html"))
        entries += self.pdfs(site_urls, render.Printer(self.paths.templates, strings))
        render.render_chooser(self.paths.templates, strings, self.out / "index.html")
        title = strings["chooser"]["title"]
        entries.insert(0, Entry("language-choice", None, None, None, title, "index.html"))
        missing = [entry.path for entry in entries if not (self.out / entry.path).is_file()]
        if missing:
            raise BuildError(f"expected pages were not produced: {', '.join(missing)}")
        return entries

    def language(
        self, lang: str, strings: dict, site_url: str, build_date: dt.date
    ) -> list[render.Page]:
        """Render one language's Markdown, then build it with MkDocs unless nothing changed."""
        paths = self.paths
        docs = self.work / "docs" / lang
        pages = render.render_language(self.project, lang, paths.templates, strings, docs,
                                       site_url)  # fmt: skip
        nav = render.nav(self.project, pages, strings[lang]["home_nav"])
        inputs = (tree_key(docs), tree_key(paths.templates), paths.mkdocs_config.read_bytes())
        key = self.cache.key("mkdocs", lang, str(build_date), repr(nav), *inputs)
        site_dir = self.out / lang
        if self.cache.fetch(key, site_dir):
            self.report(f"{lang}: {len(pages)} pages unchanged, MkDocs not run.")
            return pages
        try:
            build_language(
                shared_config=paths.mkdocs_config, templates_dir=paths.templates, lang=lang,
                languages=LANGUAGES, strings=strings, nav=nav, docs_dir=docs,
                site_dir=site_dir, work_dir=self.work, build_date=build_date,
                sources=_sources(self.project, paths, pages),
            )  # fmt: skip
        except BuildError:
            raise
        except Exception as exc:  # a theme or plugin bug: still no traceback for maintainers
            raise BuildError(f"MkDocs build for '{lang}' failed: {exc}") from exc
        self.cache.store(key, site_dir)
        self.rendered += 1
        self.report(f"Built {lang}: {len(pages)} pages.")
        return pages

    def pdfs(self, site_urls: dict[str, str], printer: render.Printer) -> list[Entry]:
        """Every form's fillable PDF and every guideline's printable PDF, in each language."""
        project, out = self.project, self.out
        jobs: list[PdfJob] = []
        entries: list[Entry] = []
        for lang in LANGUAGES:
            site_url = site_urls[lang]
            for instance in project.forms:
                f = instance.forms[lang]
                org_name = project.organisations[instance.org].name[lang]
                path = f"{lang}/{render.form_pdf(instance.org, f.id)}"
                html = printer.form(instance, lang, org_name)
                page_url = site_url + render.form_src(instance.org, f.id).removesuffix(".md") + "/"
                jobs.append(PdfJob(html, out / path, path, page_url, f.descriptions))
                entries.append(Entry("form-pdf", lang, instance.org, f.id, f.title, path,
                                     tuple(dict.fromkeys(f.field_names))))  # fmt: skip
            for entry in project.policies:
                policy = entry.policy
                org_name = project.organisations[policy.organisation].name[lang]
                page = out / lang / policy.organisation / policy.id / "index.html"
                path = f"{lang}/{render.guideline_pdf(policy.organisation, policy.id)}"
                html = printer.guideline(entry, lang, org_name, page.read_text("utf-8"))
                page_url = f"{site_url}{policy.organisation}/{policy.id}/"
                jobs.append(PdfJob(html, out / path, path, page_url))
                entries.append(Entry("guideline-pdf", lang, policy.organisation, policy.id,
                                     entry.texts[lang].title, path))  # fmt: skip

        keys = {job.name: self.cache.key("pdf", job.html, job.base_url, repr(job.descriptions))
                for job in jobs}  # fmt: skip
        todo = [job for job in jobs if not self.cache.fetch(keys[job.name], job.target)]
        finished = 0

        def done(job: PdfJob) -> None:
            nonlocal finished
            finished += 1
            self.cache.store(keys[job.name], job.target)
            self.progress("PDF", finished, len(todo))

        write_all(todo, workers=self.jobs, done=done)
        self.rendered += len(todo)
        reused = len(jobs) - len(todo)
        workers = min(self.jobs, len(todo)) or 1
        self.report(f"PDFs: {len(todo)} rendered ({workers} worker(s)), {reused} unchanged.")
        return entries


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
    """Put ``new`` where ``site`` is, keeping the old one until the new one is in place."""
    if not site.exists():
        new.rename(site)
        return
    old = site.with_name(f".{site.name}.old-{os.getpid()}")
    site.rename(old)
    try:
        new.rename(site)
    except OSError:
        old.rename(site)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(site: Path) -> None:
    """Staging folders of builds that were killed half-way."""
    for pattern in (f".{site.name}.new-*", f".{site.name}.old-*"):
        for leftover in site.parent.glob(pattern):
            with contextlib.suppress(OSError):
                shutil.rmtree(leftover)
