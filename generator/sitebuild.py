"""Stage 4: MkDocs + Material builds of each written form's site, whole or in parts."""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import mergedeep  # type: ignore[import-untyped]
import yaml
from jinja2 import TemplateError
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import MkDocsException
from mkdocs.utils.yaml import get_yaml_loader, yaml_load

from generator import addresses as at
from generator.errors import BuildError, ContentError, Problem, display_path
from generator.pagecache import PageCache
from generator.safety import ContentSafety
from generator.templates import keeping_compiled, template_place

VENDORED = ("vendor/pdf-lib.min.js", "vendor/fontkit.min.js")
"""Under the assets: fill a form's PDF in the browser, in its embedded font (see the
Makefile)."""


def site_config(
    *,
    shared_config: Path,
    templates_dir: Path,
    lang: str,
    languages: tuple[str, ...],
    strings: dict[str, Any],
    nav: list[Any],
    docs_dir: Path,
    site_dir: Path,
    site_url: str,
    organisations: dict[str, str],
    searches: int = 1,
    exclude: str = "",
) -> dict[str, Any]:
    """MkDocs' settings for one written form's site, or one part of it, over ``mkdocs.yml``.

    A written form may be built in parts, each over some organisations' pages (``exclude``:
    MkDocs' ``exclude_docs``, the others'); the first part also holds the pages every
    organisation shares, the 404 page and the assets. A written form has ``searches`` search
    indexes over every organisation (``addresses.search_part``), each over the pages of some
    parts, and each organisation its own (``addresses.organisation_search``), which a search
    scoped to the reader's organisation reads. ``site_url`` is the written form's address
    (``language_url``); ``organisations`` (folder -> name) are this part's, whose names each
    search result shows. Made before any build starts, so that a text missing from
    strings.yml is named in the written forms' order.
    """
    config = {
        "INHERIT": str(shared_config.resolve()),
        "site_name": strings[lang]["site_name"],
        "site_url": site_url,
        "docs_dir": str(docs_dir.resolve()),
        "site_dir": str(site_dir.resolve()),
        "nav": nav,
        "exclude_docs": exclude or None,
        "theme": {
            "language": lang,
            # Paths in an inherited file resolve against this one, so make it absolute.
            "custom_dir": str((templates_dir / "overrides").resolve()),
        },
        "extra": {
            "alternate": [
                {
                    "name": strings[other]["written_form"],
                    "lang": other,
                    "link": at.same_page_in(other, ""),
                    "title": strings[lang]["switch_title"],
                }
                for other in languages
            ],
            "policy_site": {
                "lang": lang,
                "storage_key": at.STORAGE_KEY,
                "feed_path": at.FEED,
                "not_found_title": strings[lang]["not_found_title"],
                "statement_title": strings[lang]["statement_title"],
                "statement_path": at.url(at.statement_src()),
                "not_found_text": strings[lang]["not_found_text"],
                "feed_title": f"{strings[lang]['site_name']}: {strings[lang]['changelog_title']}",
                "search": dict(strings[lang]["search"]),
                "organisations": organisations,  # each search result names its own
                # The reader's organisation's own index, and those over every organisation.
                "organisation_search": {org: at.organisation_search(org) for org in organisations},
                "search_parts": [at.search_part(other) for other in range(searches)],
                # Where a search with no hits looks in the other written form(s).
                "other_forms": [
                    {
                        "lang": other,
                        "link": at.same_page_in(other, ""),
                        "text": strings[lang]._fill(
                            "other_form_hits",
                            count="{count}",
                            form=strings[lang]["language_names"][other],
                        ),
                    }
                    for other in languages
                    if other != lang
                ],
            },
        },
    }
    # Filled once here, so a wrong placeholder is named with its place in strings.yml.
    strings[lang]["search"]._fill("title", title="", name="")
    return config


def build_language(
    config: dict[str, Any],
    *,
    templates_dir: Path,
    lang: str,
    docs_dir: Path,
    site_dir: Path,
    work_dir: Path,
    build_date: dt.date,
    sources: dict[str, Path],
    page_cache: tuple[Path, str] | None = None,
    part: int = 0,
    compiled: Path | None = None,
    left_out: frozenset[str] = frozenset(),
) -> tuple[int, int]:
    """Build ``docs_dir`` into ``site_dir`` with MkDocs and ``config`` (see ``site_config``);
    any warning fails the build. Its search index is made once its pages are in the site
    (``search.index_site``).

    With ``page_cache`` (a folder and the digest of what all pages share), pages whose inputs
    are unchanged are taken from the folder (see ``pagecache``). Returns how many pages were
    rendered and how many reused. ``compiled``: a folder where the theme's compiled templates
    are kept from build to build (``templates.keeping_compiled``). ``left_out``: folders of
    ``docs_dir`` (other parts' organisations) that this build neither builds nor links to.
    """
    assets = templates_dir / at.ASSETS
    for vendored in (assets / name for name in VENDORED):
        if not vendored.is_file():
            raise BuildError(
                f"{display_path(vendored)}: missing; run `make site`, which installs "
                "pdf-lib and fontkit (tools/pdf-lib) with npm ci and copies them there"
            )
    if left_out:
        # MkDocs lists and matches every file of its folder against the exclusions, those of
        # every organisation at each part (a fifth of a second a part at 370 organisations):
        # it is given a folder of links to the rest instead.
        docs_dir = _linked(docs_dir, left_out, work_dir / f"docs.{lang}.{part}")
        config = {**config, "docs_dir": str(docs_dir)}
    # Named as if written there (MkDocs resolves relative paths against it): the settings go
    # to MkDocs as data, not written out as YAML for its pure-Python loader to read back.
    config_path = work_dir / f"mkdocs.{lang}.{part}.yml"

    with _captured_log() as records, _build_epoch(build_date), keeping_compiled(compiled):
        try:
            settings = _over_shared(config)
            mkdocs_config = load_config(
                io.StringIO("{}"), config_file_path=str(config_path), **settings
            )
            if part:
                _without_theme_files(mkdocs_config)
            pages = PageCache()
            folder, key = page_cache or (None, "")
            pages.load_config({"folder": folder and str(folder), "key": key})
            # Registered here, not in mkdocs.yml: they are part of the pipeline, not settings.
            # Safety first: the page cache stores (and reuses) cleaned pages with their policy.
            mkdocs_config.plugins["policy-site-safety"] = ContentSafety()
            mkdocs_config.plugins["policy-site-pages"] = pages
            mkdocs_build(mkdocs_config)
        except (MkDocsException, OSError) as exc:
            details = _explain(records, sources) or f"  {exc}"
            raise BuildError(f"MkDocs build for '{lang}' failed:\n{details}") from exc
        except Exception as exc:  # mostly the theme overrides in site_templates/overrides
            what = exc.message if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
            where = template_place(exc, "")
            what = f"{where}: template error: {what}" if where else what
            raise BuildError(f"MkDocs build for '{lang}' failed:\n  {what}") from exc
    if records:
        raise BuildError(
            f"MkDocs build for '{lang}' logged warnings:\n{_explain(records, sources)}"
        )
    pages.keep_conversions()  # only now: a conversion that warned is made (and warns) again
    if part:  # part 0 has them
        (site_dir / at.NOT_FOUND).unlink(missing_ok=True)
        shutil.rmtree(site_dir / at.ASSETS, ignore_errors=True)
    return pages.rendered, pages.reused


def _linked(docs_dir: Path, left_out: frozenset[str], folder: Path) -> Path:
    """A new ``folder`` of links to what ``docs_dir`` holds at its top but ``left_out``."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for entry in sorted(os.listdir(docs_dir)):
        if entry not in left_out:
            (folder / entry).symlink_to(docs_dir / entry)
    return folder


def _without_theme_files(config: MkDocsConfig) -> None:
    """Have MkDocs leave the theme's files out of a part other than the first: they are its
    assets, which only the first part keeps, and MkDocs lists every file of the theme to find
    them (14,000 with Material's icons, matched against a dozen patterns each: a tenth of a
    second a part). Only that listing asks the environment for its templates."""
    theme = config.theme
    make_env = theme.get_env

    def get_env() -> jinja2.Environment:
        env = make_env()
        env.list_templates = lambda *args, **kwargs: []  # type: ignore[method-assign]
        return env

    theme.get_env = get_env  # type: ignore[method-assign]


def take_sitemap(part: Path) -> str:
    """A part's ``sitemap.xml``, removed with its gzipped twin (``join_sitemaps`` writes the
    written form's)."""
    text = (part / at.SITEMAP).read_text("utf-8")
    for name in (at.SITEMAP, f"{at.SITEMAP}.gz"):
        (part / name).unlink()
    return text


def join_sitemaps(texts: list[str], folder: Path, build_date: dt.date) -> None:
    """Write ``sitemap.xml`` (and its gzipped twin) into ``folder``, listing the pages of the
    parts' sitemaps ``texts`` in their order, as MkDocs writes it for a whole site."""
    text = texts[0]
    urls = [url for part in texts for url in _SITEMAP_URL.findall(part)]
    opening = text.index(">", text.index("<urlset")) + 1
    data = (text[:opening] + "".join(f"\n    {url}" for url in urls) + "\n</urlset>").encode()
    (folder / at.SITEMAP).write_bytes(data)
    epoch = _epoch(build_date)  # as MkDocs dates the gzip header
    with (
        (folder / f"{at.SITEMAP}.gz").open("wb") as handle,
        gzip.GzipFile(fileobj=handle, filename=at.SITEMAP, mode="wb", mtime=epoch) as zipped,
    ):
        zipped.write(data)


_SITEMAP_URL = re.compile(r"<url>.*?</url>", re.DOTALL)


def _explain(records: list[str], sources: dict[str, Path]) -> str:
    """MkDocs names the generated Markdown file; name the content file it came from, and the
    line and column of the link a warning is about."""
    lines = []
    for record in records:
        for src, origin in sources.items():
            if f"'{src}'" in record:
                place = _link_place(origin, record)
                if place is not None:
                    record = f"{display_path(origin)}:{place[0]}:{place[1]}: {record}"
                else:
                    record += f" (the page is generated from {display_path(origin)})"
                break
        lines.append(f"  {record}")
    return "\n".join(lines)


def _link_place(origin: Path, record: str) -> tuple[int, int] | None:
    """Line and column in ``origin`` of the link ``record`` names, if it is written there."""
    match = re.search(r"link '([^']+)'", record)
    if match is None:
        return None
    target = match.group(1)
    try:
        lines = origin.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    # A Markdown link first ([text](target)), then the target anywhere (an HTML href).
    for needle, skip in ((f"]({target}", 2), (target, 0)):
        for number, line in enumerate(lines, start=1):
            found = line.find(needle)
            if found >= 0:
                return number, found + skip + 1
    return None


def _over_shared(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` (``site_config``) merged over the settings of the file it inherits, as
    MkDocs merges an inherited file (nested mappings merged, the rest replaced)."""
    own = {key: value for key, value in config.items() if key != "INHERIT"}
    return mergedeep.merge(read_settings(Path(config["INHERIT"])), own)


def language_url(shared_config: Path, lang: str) -> str:
    """Published address of one language's site: the shared site_url plus the language folder."""
    shared = read_settings(shared_config)
    return str(shared.get("site_url") or "http://localhost:8000/").rstrip("/") + f"/{lang}/"


def read_settings(shared_config: Path) -> dict[str, Any]:
    """mkdocs.yml as MkDocs reads it (with its Python tags); a file that cannot be read is a
    ContentError at its place, as the content's are (maintainers edit its site_url)."""
    try:
        with shared_config.open(encoding="utf-8") as handle:
            settings = yaml.load(handle, Loader=get_yaml_loader())
    except FileNotFoundError:
        problem = "not found: the project folder needs the site's settings (mkdocs.yml)"
        raise ContentError([Problem.at(shared_config, 1, 1, problem)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"cannot be read: {getattr(exc, 'strerror', None) or exc}"
        raise ContentError([Problem.at(shared_config, 1, 1, problem)]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problem = f"YAML syntax error: {what}"
        raise ContentError([Problem.at(shared_config, line, col, problem)]) from exc
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        problem = "expected the site's settings as a mapping of keys (site_name: …, site_url: …)"
        raise ContentError([Problem.at(shared_config, 1, 1, problem)])
    if "INHERIT" in settings:  # MkDocs merges the file it names in
        with shared_config.open(encoding="utf-8") as handle:
            return yaml_load(handle)
    return settings


@contextlib.contextmanager
def _captured_log() -> Iterator[list[str]]:
    """Collect MkDocs' warnings and errors instead of printing its INFO chatter."""
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(f"{record.levelname}: {record.getMessage()}")

    logger = logging.getLogger("mkdocs")
    handler = Collect(level=logging.WARNING)
    saved = (logger.level, logger.propagate, logger.handlers[:])
    logger.handlers = [handler]
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield records
    finally:
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        logger.handlers = saved[2]


@contextlib.contextmanager
def _build_epoch(build_date: dt.date) -> Iterator[None]:
    """Pin MkDocs' build date (sitemap, gzip header) to the content's, for identical output."""
    epoch = _epoch(build_date)
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def _epoch(build_date: dt.date) -> int:
    return int(
        dt.datetime(build_date.year, build_date.month, build_date.day, tzinfo=dt.UTC).timestamp()
    )
