"""The ``policy-site`` command: parses arguments and calls the pipeline, nothing more."""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import click

from generator.errors import BuildStopped, ContentError, PolicySiteError, describe_os_error
from generator.fields import LANGUAGES
from generator.pipeline import BuildResult, Paths, build, check, mark_translated
from generator.rules import CATALOGUE_FILE, catalogue_text, types_text
from generator.schema import schema_text
from generator.validate import load_catalogue

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's banner about MkDocs 2.0

_path = click.Path(file_okay=False, path_type=Path)


def _paths_options(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option(
        "--project",
        type=_path,
        default=None,
        help="Folder with mkdocs.yml and site_templates/ [default: current folder].",
    )
    @click.option(
        "--content", type=_path, default=None, help="Content folder [default: PROJECT/content]."
    )
    @click.option("--site", type=_path, default=None, help="Output folder [default: PROJECT/site].")
    @click.option(
        "--forms", type=_path, default=None, help="Form definitions [default: PROJECT/forms]."
    )
    @functools.wraps(func)
    def wrapper(
        project: Path | None, content: Path | None, site: Path | None, forms: Path | None, **kw: Any
    ) -> Any:
        paths = Paths.default(project, content, site, forms)
        if not paths.templates.is_dir():
            where = "this folder" if project is None else str(paths.project)
            click.echo(
                f"error: {where} is not a policy-site project (it has no site_templates/): run "
                "the command in the project folder, or name it with --project",
                err=True,
            )
            sys.exit(1)
        return func(paths, **kw)

    return wrapper


@click.group()
@click.version_option(package_name="policy-site")
def main() -> None:
    """Build the bilingual policy guideline site from YAML content."""


@main.command("check")
@_paths_options
@click.option(
    "--spelling",
    is_flag=True,
    help="Also spell-check every text and label (hunspell nb_NO/nn_NO, content/ordliste.txt).",
)
@click.option("--strict", is_flag=True, help="Treat stale or unmarked translations as errors.")
def check_command(paths: Paths, spelling: bool, strict: bool) -> None:
    """Validate all content; print every problem as file:line:col: message."""
    try:
        result = check(paths, spelling=spelling)
    except PolicySiteError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    for problem in result.problems + result.warnings:
        click.echo(str(problem), err=True)
    for folder, states in result.translations:
        described = ", ".join(f"{lang} {STATE_WORDS[state]}" for lang, state in states.items())
        click.echo(f"{folder}: {described}")
    failed = result.problems + (result.warnings if strict else [])
    if failed:
        click.echo(f"{len(failed)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo("Content is valid." + (" Spelling is clean." if spelling else ""))


STATE_WORDS = {
    "original": "original",
    "current": "up to date",
    "stale": "stale",
    "unmarked": "not marked",
}


@main.command("status")
@_paths_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when something needs action.")
@click.option("--no-spelling", is_flag=True, help="Leave out the spelling check (hunspell).")
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Look at the content as on this date (YYYY-MM-DD) [default: today].",
)
def status_command(
    paths: Paths, as_json: bool, strict: bool, no_spelling: bool, today: dt.datetime | None
) -> None:
    """Report what maintainers should look at, per organisation and policy, each with the file
    and line to change: reviews due or overdue, dated statements passed, stale or unmarked
    translations, missing contacts, placeholder names, forms that do not apply, unknown words,
    and a site_url not ready for publishing. Exit 0 (a report); with --strict, 1 when
    something needs action."""
    from generator.status import status

    try:
        report = status(paths, today.date() if today else None, spelling=not no_spelling)
    except ContentError as exc:
        _fail_with(exc, f"{len(exc.problems)} problem(s) found: fix them first.")
    except PolicySiteError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:  # a content folder nobody may read, a file gone meanwhile
        click.echo(f"error: {describe_os_error(exc)}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(report.text())
    if strict and report.actions:
        sys.exit(1)


@main.command("mark-translated")
@_paths_options
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("lang", type=click.Choice(LANGUAGES))
def mark_translated_command(paths: Paths, folder: Path, lang: str) -> None:
    """Record that LANG's text in the policy FOLDER matches the original as it is now."""
    try:
        click.echo(mark_translated(paths, folder, lang))
    except ContentError as exc:
        _fail_with(exc)
    except PolicySiteError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


_jobs = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes building the MkDocs sites and writing PDFs [default: one per core].",
)
_no_pdfs = click.option(
    "--no-pdfs",
    is_flag=True,
    help="Quick preview: write no PDFs; keep the previous site's, mark the others not built.",
)


@main.command("build")
@_paths_options
@_jobs
@click.option("--full", is_flag=True, help="Render everything again, ignoring the build cache.")
@click.option(
    "--no-wait",
    is_flag=True,
    help="Fail at once if another build of the same site is running, instead of waiting.",
)
@_no_pdfs
def build_command(paths: Paths, jobs: int | None, full: bool, no_wait: bool, no_pdfs: bool) -> None:
    """Check, render and build the site; replace the site folder only on success.

    Only what changed is rendered again: unchanged MkDocs sites, pages and PDFs come from the
    build cache beside the site folder (.site.cache), byte for byte what a full build would
    write; a damaged cache entry is noticed, reported and rendered again. The MkDocs builds
    and the PDFs run side by side in --jobs processes. One build at a time writes a site
    (the lock file .site.lock beside it): a second one waits for the first.
    """
    _run_build(paths, jobs, incremental=not full, wait=not no_wait, pdfs=not no_pdfs)


@main.command("serve")
@_paths_options
@_jobs
@_no_pdfs
@click.option("--port", default=8000, show_default=True, help="Port on 127.0.0.1.")
def serve_command(paths: Paths, jobs: int | None, no_pdfs: bool, port: int) -> None:
    """Build, serve on http://127.0.0.1:PORT/ and rebuild on every change.

    Changes under content/, forms/ and site_templates/ rebuild the site (only what changed) and
    reload the browser. A content error shows in the page and here; the server keeps running.
    """
    from generator.serve import Preview, make_server

    preview = Preview(paths, click.echo, jobs, pdfs=not no_pdfs)
    try:
        preview.rebuild()
    except BuildStopped as exc:
        preview.close()
        click.echo(f"error: {exc}; {paths.site} was not changed.", err=True)
        sys.exit(1)
    observer = preview.watch()
    signal.signal(signal.SIGTERM, _interrupt)  # stop as on Ctrl+C: the workers end with us
    with make_server(preview, port) as server:
        click.echo(f"Preview on http://127.0.0.1:{port}/ (Ctrl+C stops).")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    observer.stop()
    preview.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@main.command("schema")
@_paths_options
def schema_command(paths: Paths) -> None:
    """Print the content schema: every file's keys, their types and meaning, the rule types and
    the rules declared in the content's catalogue (rules.yml)."""
    click.echo(schema_text())
    click.echo(f"\nRule types (the type of a rule in {CATALOGUE_FILE}):\n{types_text()}")
    catalogue = load_catalogue(paths.content)
    if catalogue is not None:
        click.echo(f"\nRules declared in {paths.content / CATALOGUE_FILE}:")
        click.echo(catalogue_text(catalogue))


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on a terminal; plain lines elsewhere (CI logs, pipes)."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        yield lambda step, done, total: click.echo(f"{step} {done}/{total}")
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bars: dict[str, Any] = {}
    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:

        def update(step: str, done: int, total: int) -> None:
            if step not in bars:
                bars[step] = bar.add_task(step, total=total)
            bar.update(bars[step], completed=done, total=total)  # guideline PDFs join late

        yield update


def _fail_with(exc: ContentError, summary: str | None = None) -> NoReturn:
    """Every problem as file:line:col: message, then the summary; exit 1."""
    for problem in exc.problems:
        click.echo(str(problem), err=True)
    if summary:
        click.echo(summary, err=True)
    sys.exit(1)


def _run_build(
    paths: Paths,
    jobs: int | None = None,
    *,
    incremental: bool = True,
    wait: bool = True,
    pdfs: bool = True,
) -> None:
    from generator.status import spelling_meanwhile, status

    # The status summary's spelling check runs beside the build, in a process forked now
    # (before the progress display starts a thread); with one job, after it.
    meanwhile = spelling_meanwhile(paths) if jobs != 1 else contextlib.nullcontext()
    with meanwhile as spelled:
        built = _built(paths, jobs, incremental=incremental, wait=wait, pdfs=pdfs)
        with contextlib.suppress(PolicySiteError, OSError):  # the site is built; a courtesy
            click.echo(status(paths, built=built, spelled=spelled).summary())


def _built(
    paths: Paths, jobs: int | None, *, incremental: bool, wait: bool, pdfs: bool
) -> BuildResult:
    """The build, or its failure said plainly (exit 1)."""
    try:
        with _progress() as progress:
            return build(
                paths,
                report=click.echo,
                jobs=jobs,
                progress=progress,
                incremental=incremental,
                wait=wait,
                pdfs=pdfs,
                tidy_later=True,  # the command ends once the new site is in place
            )
    except BuildStopped as exc:
        click.echo(f"error: {exc}; {paths.site} was not changed.", err=True)
        sys.exit(1)
    except ContentError as exc:
        _fail_with(exc, f"{len(exc.problems)} problem(s) found; {paths.site} was not changed.")
    except PolicySiteError as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo(f"The build failed; {paths.site} was not changed.", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"error: {describe_os_error(exc)}", err=True)
        click.echo(f"The build failed; {paths.site} was not changed.", err=True)
        sys.exit(1)
    except Exception as exc:  # a maintainer gets a sentence to report, not a traceback
        click.echo(f"error: the build failed unexpectedly: {type(exc).__name__}: {exc}", err=True)
        click.echo("The build failed.", err=True)
        sys.exit(1)


def run() -> NoReturn:
    """The ``policy-site`` console script: ``main``, then out of the process at once. At
    interpreter exit Python frees every object one by one, a third of a second after a build
    of hundreds of organisations that nobody needs: by then every file is written and closed,
    and the build's processes have ended or end with this one. What Python's exit does besides
    is done first (``atexit``): multiprocessing removes the fork server's socket folder there."""
    try:
        main()
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            raise  # a message to print: Python's own exit does that
        # A wrong option or argument is bad input like any other: exit 1, not click's 2.
        code = 1 if exc.code == 2 else exc.code or 0
    else:
        code = 0
    with contextlib.suppress(OSError, ValueError):  # a reader that went away: nothing to say
        sys.stdout.flush()
        sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)
