"""The pipeline, top to bottom: load -> validate -> render -> MkDocs per language -> manifest.

The site folder is replaced only after every stage succeeded; a failed build leaves it as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator import render
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
) -> list[Entry]:
    """Check, render and build everything, then swap the new site into place.

    ``jobs`` is the number of processes writing PDFs (default: one per core).
    """
    project = load_project(
        paths.content, paths.forms
    )  # raises ContentError before anything is written
    report(
        f"Content is valid: {len(project.organisations)} organisation(s), "
        f"{len(project.policies)} polic{'y' if len(project.policies) == 1 else 'ies'}."
    )
    paths.site.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(paths.site)
    staging = Path(tempfile.mkdtemp(prefix=f".{paths.site.name}.new-", dir=paths.site.parent))
    work = Path(tempfile.mkdtemp(prefix="policy-site-"))
    try:
        workers = jobs or os.cpu_count() or 1
        entries = _build_into(project, paths, staging, work, report, progress, workers)
        write_manifest(staging, LANGUAGES, entries)
        _swap(staging, paths.site)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(f"Site written to {paths.site} ({len(entries)} pages and files).")
    return entries


def _build_into(
    project: Project, paths: Paths, out: Path, work: Path, report: Report, progress: Progress,
    jobs: int,
) -> list[Entry]:  # fmt: skip
    strings = render.load_strings(paths.templates)
    build_date = max(
        render.latest_change(entry.policy.changelog).date for entry in project.policies
    )
    site_urls = {lang: language_url(paths.mkdocs_config, lang) for lang in LANGUAGES}
    printer = render.Printer(paths.templates, strings)
    entries: list[Entry] = []
    for lang in LANGUAGES:
        docs = work / "docs" / lang
        site_url = site_urls[lang]
        pages = render.render_language(project, lang, paths.templates, strings, docs, site_url)
        try:
            build_language(
                shared_config=paths.mkdocs_config,
                templates_dir=paths.templates,
                lang=lang,
                languages=LANGUAGES,
                strings=strings,
                nav=render.nav(project, pages, strings[lang]["home_nav"]),
                docs_dir=docs,
                site_dir=out / lang,
                work_dir=work,
                build_date=build_date,
                sources=_sources(project, paths, pages),
            )
        except BuildError:
            raise
        except Exception as exc:  # a theme or plugin bug: still no traceback for maintainers
            raise BuildError(f"MkDocs build for '{lang}' failed: {exc}") from exc
        entries += [Entry(p.kind, lang, p.org, p.id, p.title, f"{lang}/{p.output}") for p in pages]
        entries.append(
            Entry(
                "changelog-feed",
                lang,
                None,
                None,
                strings[lang]["changelog_title"],
                f"{lang}/feed.xml",
            )
        )
        entries.append(Entry("not-found", lang, None, None, "404", f"{lang}/404.html"))
        report(f"Built {lang}: {len(pages)} pages.")
    entries += _write_pdfs(project, out, site_urls, printer, report, progress, jobs)
    render.render_chooser(paths.templates, strings, out / "index.html")
    entries.insert(
        0, Entry("language-choice", None, None, None, strings["chooser"]["title"], "index.html")
    )
    missing = [entry.path for entry in entries if not (out / entry.path).is_file()]
    if missing:
        raise BuildError(f"expected pages were not produced: {', '.join(missing)}")
    return entries


def _write_pdfs(
    project: Project, out: Path, site_urls: dict[str, str], printer: render.Printer,
    report: Report, progress: Progress, jobs: int,
) -> list[Entry]:  # fmt: skip
    """Every form's fillable PDF and every guideline's printable PDF, in each language."""
    pdf_jobs: list[PdfJob] = []
    entries: list[Entry] = []
    for lang in LANGUAGES:
        site_url = site_urls[lang]
        for instance in project.forms:
            f = instance.forms[lang]
            org_name = project.organisations[instance.org].name[lang]
            path = f"{lang}/{render.form_pdf(instance.org, f.id)}"
            html = printer.form(instance, lang, org_name)
            page_url = site_url + render.form_src(instance.org, f.id).removesuffix(".md") + "/"
            pdf_jobs.append(PdfJob(html, out / path, path, page_url, f.descriptions))
            entries.append(Entry("form-pdf", lang, instance.org, f.id, f.title, path,
                                 tuple(dict.fromkeys(f.field_names))))  # fmt: skip
        for entry in project.policies:
            policy = entry.policy
            org_name = project.organisations[policy.organisation].name[lang]
            page = (out / lang / policy.organisation / policy.id / "index.html").read_text("utf-8")
            path = f"{lang}/{render.guideline_pdf(policy.organisation, policy.id)}"
            html = printer.guideline(entry, lang, org_name, page)
            page_url = f"{site_url}{policy.organisation}/{policy.id}/"
            pdf_jobs.append(PdfJob(html, out / path, path, page_url))
            entries.append(Entry("guideline-pdf", lang, policy.organisation, policy.id,
                                 entry.texts[lang].title, path))  # fmt: skip
    finished = 0

    def done(job: PdfJob) -> None:
        nonlocal finished
        finished += 1
        progress("PDF", finished, len(pdf_jobs))

    write_all(pdf_jobs, workers=jobs, done=done)
    report(f"Wrote {len(pdf_jobs)} PDFs ({min(jobs, len(pdf_jobs))} worker(s)).")
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
