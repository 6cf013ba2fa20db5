"""Benchmark of the policy-site build on synthetic content.

Run it from the project folder::

    .venv/bin/python benchmarks/build.py [--orgs N] [--jobs-compare] [--no-pdfs]

What it does
------------
1. Writes synthetic content for N organisations (default 20) into a temporary folder: one
   organisation file and one policy (policy.yml, nb.yml, nn.yml) each. Every file is a copy of
   one of the project's own content files with the slug, names and rule values varied, so the
   content follows the schema as it evolves. Each policy attaches the standard forms; the rules
   are varied so that some organisations lend equipment, some hold follow-up conversations and
   some do both. content/accessibility.yml and content/rules.yml are copied as they are. A
   one-organisation warm-up build checks that the content is valid; a second one, with one
   worker and the PDFs left out, loads MkDocs, Material and the templates into this process, as
   the bare MkDocs builds have them, so the first measured one-worker build is not charged for
   those imports.
2. Builds it with ``generator.build`` and measures:

   - a full build into a fresh site folder (from scratch: ``incremental=False`` where the
     pipeline has a build cache), stage by stage. Loading and rendering the Markdown run in
     the build process and are timed by wrapping the functions the pipeline calls
     (``load_project``, ``render.render_language``); the package itself is unchanged. The
     MkDocs builds and the PDFs run side by side in worker processes: the table gives the
     wall-clock time of that phase, and, for each kind, the time its tasks took inside the
     workers (added up over the workers, so more than the phase with two workers). "other"
     is the rest: HTML for the PDFs, cache look-ups, the language chooser, the manifest, the
     swap;
   - a rebuild with nothing changed, and a rebuild after one organisation's rule value changed
     (same site folder, the pipeline's default, so whatever it reuses between builds counts),
     each as a percentage of the full build. "changed outputs" counts the manifest entries
     whose checksum differs: the least an incremental build has to write;
   - with ``--jobs-compare``: the full build's PDFs written again on their own, the way the
     pipeline writes them, with one worker and with one per core (``os.cpu_count()``);
   - peak memory after the full build: ``ru_maxrss`` of this process (about what a
     ``policy-site build`` process needs) and of its largest child. On Linux a child's
     ``ru_maxrss`` includes this process's size when the child was forked, so it is an upper
     bound; "worker (VmHWM)" is each worker's own peak, read from /proc while it runs;
   - the size of every form PDF and guideline PDF (KB = 1024 bytes);
   - "everything but PDFs": a full build from scratch in which each PDF is an empty file,
     against a bare MkDocs build of the same generated Markdown with the same per-language
     config the pipeline writes, nb then nn, as ``mkdocs build`` would be run by hand. The
     pipeline builds the two languages side by side when it has two workers, so it is timed
     with one worker per core and with a single worker (the languages one after another).

3. Prints what a reader downloads after the full build: the largest and the median page HTML,
   the whole site's size and each written form's search index on disk (Pagefind's chunks; a
   search fetches a few: see benchmarks/search.py), and the time of a build from scratch as
   ``policy-site build --no-pdfs``.
   With ``--no-pdfs`` every measured build leaves the PDFs out, for hundreds of organisations.

How to read it
--------------
The table prints each figure next to its target (from the project's issue) and MET / NOT MET.
Times are wall-clock seconds of a single run, so they move with machine load; compare runs on
the same machine; a figure near its target can land on either side from run to run. Without
incremental builds a rebuild costs about as much as a full build, and the rebuild targets are
NOT MET.

Progress goes to stderr and the table to stdout. The temporary folder is always removed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import inspect
import json
import os
import pkgutil
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar
from unittest import mock

import yaml
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from generator import Paths, PolicySiteError, build, load_project, render
from generator.fields import LANGUAGES
from generator.manifest import Entry
from generator.pdf import PdfJob, write_pdf
from generator.sitebuild import build_language, language_url
from generator.workers import Workers

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FORMS = ["avtale", "sjekkliste", "oppfolgingssamtale", "utstyrslan"]
"""The standard forms every synthetic policy attaches."""

KB = 1024

# Stage name -> the function the pipeline calls for it in this process (patched where the
# pipeline looks it up). MkDocs and the PDFs run in worker processes: see RecordingWorkers.
STAGES: dict[str, str] = {
    "load + validate": "generator.pipeline.load_project",
    "render Markdown": "generator.render.render_language",
}

# Invented place names; an organisation is "<place> kommune".
PLACES = [
    "Fjordvik", "Bjørkedal", "Solberg", "Havøy", "Nordmo", "Steinvik", "Elvedal", "Furuvoll",
    "Myrhaug", "Sjøholt", "Lyngnes", "Åsbakken", "Kvernes", "Tindfjell", "Grønlia", "Storøy",
    "Breidablikk", "Vindheim", "Eikeland", "Mosvik", "Rognan", "Lauvås", "Skjærvik", "Fossheim",
]  # fmt: skip


# --- synthetic content ------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """YAML like a maintainer writes it: multi-line text as literal blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


def _slugify(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@dataclass(frozen=True)
class Template:
    """One of the project's own policies, with its organisation and texts."""

    organisation: dict[str, Any]
    policy: dict[str, Any]
    texts: dict[str, dict[str, Any]]


def load_templates(content: Path) -> list[Template]:
    """The project's policies as starting points for synthetic ones."""
    templates = []
    for folder in sorted(p for p in (content / "policies").iterdir() if p.is_dir()):
        policy = _read_yaml(folder / "policy.yml")
        organisation = _read_yaml(content / "organisations" / f"{policy['organisation']}.yml")
        texts = {lang: _read_yaml(folder / f"{lang}.yml") for lang in LANGUAGES}
        templates.append(Template(organisation, policy, texts))
    if not templates:
        raise SystemExit(f"no policies in {content / 'policies'} to base the content on")
    return templates


def _vary_rules(rules: dict[str, Any], index: int, donors: list[Template]) -> dict[str, Any]:
    """Rule values that differ between organisations; every other pass adds the equipment loan
    and the follow-up interval where the template lacks them, for a mix of forms."""
    rules = copy.deepcopy(rules)
    if "home_days_per_week_max" in rules:
        rules["home_days_per_week_max"] = 2 + index % 2
    if "follow_up_interval_months" in rules:
        rules["follow_up_interval_months"] = (3, 4, 6)[index % 3]
    if "office_days_per_week_recommended" in rules:
        rules["office_days_per_week_recommended"] = ({"min": 2, "max": 3}, {"min": 3, "max": 4})[
            index % 2
        ]
    if "archive_system" in rules:
        rules["archive_system"] = ("Websak", "Elements", "P360", "Acos WebSak")[index % 4]
    if "insurance_provider" in rules:
        rules["insurance_provider"] = ("Waco", "KLP", "Gjensidige")[index % 3]
    if (index // len(donors)) % 2 == 1:
        rules.setdefault("follow_up_interval_months", 6)
        equipment = [d.policy.get("rules", {}).get("equipment_on_loan") for d in donors]
        lent = [item for item in equipment if item]
        if lent:
            rules.setdefault("equipment_on_loan", copy.deepcopy(lent[0][: 3 + index % 5]))
    return rules


SUMMARY_SECTION = {
    "nb": {
        "heading": "Reglene i korte trekk",
        "intro": (
            "Her er de viktigste reglene samlet. Ved tvil gjelder teksten over, og nærmeste\n"
            "leder kan svare på spørsmål om hvordan reglene brukes i egen enhet.\n"
        ),
        "home_days_per_week_max": (
            "- Hjemmekontor kan avtales inntil {{ rules.home_days_per_week_max }} dager per uke."
        ),
        "follow_up_interval_months": (
            "- Leder følger opp hver {{ rules.follow_up_interval_months }}. måned, det vil si\n"
            "  {{ rules.follow_ups_per_year | words }} ganger i året."
        ),
        "equipment_on_loan": "- Arbeidsgiver låner ut {{ rules.equipment_on_loan | items }}.",
    },
    "nn": {
        "heading": "Reglane i korte trekk",
        "intro": (
            "Her er dei viktigaste reglane samla. Ved tvil gjeld teksten over, og næraste\n"
            "leiar kan svare på spørsmål om korleis reglane blir brukte i eiga eining.\n"
        ),
        "home_days_per_week_max": (
            "- Heimekontor kan avtalast inntil {{ rules.home_days_per_week_max }} dagar per veke."
        ),
        "follow_up_interval_months": (
            "- Leiaren følgjer opp kvar {{ rules.follow_up_interval_months }}. månad, det vil\n"
            "  seie {{ rules.follow_ups_per_year | words }} gonger i året."
        ),
        "equipment_on_loan": "- Arbeidsgivaren lånar ut {{ rules.equipment_on_loan | items }}.",
    },
}
"""An extra section per text that states the varied rules, so a rule change shows in the text."""


def _vary_text(
    text: dict[str, Any], lang: str, old_name: str, new_name: str, rules: dict[str, Any]
) -> dict[str, Any]:
    """A copy of a policy text under the new organisation's name, plus a summary of its rules."""
    text = copy.deepcopy(text)
    text["summary"] = text["summary"].replace(old_name, new_name)
    for section in text["sections"]:
        section["body"] = section["body"].replace(old_name, new_name)
    words = SUMMARY_SECTION[lang]
    points = [words[rule] for rule in words if rule in rules]
    body = words["intro"] + ("\n" + "\n".join(points) + "\n" if points else "")
    text["sections"].append(
        {"id": "regler-i-korte-trekk", "heading": words["heading"], "body": body}
    )
    return text


def write_content(target: Path, orgs: int) -> list[Path]:
    """Synthetic content for ``orgs`` organisations; returns each policy.yml written."""
    source = PROJECT_ROOT / "content"
    templates = load_templates(source)
    target.mkdir(parents=True)
    shutil.copy(source / "accessibility.yml", target / "accessibility.yml")
    shutil.copy(source / "rules.yml", target / "rules.yml")
    policy_files = []
    for index in range(orgs):
        template = templates[index % len(templates)]
        place = PLACES[index % len(PLACES)]
        if index >= len(PLACES):
            place += f" {index // len(PLACES) + 1}"
        name = f"{place} kommune"
        slug = _slugify(name)

        organisation = copy.deepcopy(template.organisation)
        organisation.update(
            slug=slug,
            name={"nb": name, "nn": name},
            official_language=("nb", "nn", "neutral")[index % 3],
            contact={"url": f"https://www.{slug}.no/"},
        )
        _write_yaml(target / "organisations" / f"{slug}.yml", organisation)

        policy = copy.deepcopy(template.policy)
        policy["organisation"] = slug
        policy["rules"] = _vary_rules(policy.get("rules", {}), index, templates)
        policy["attachments"] = list(FORMS)
        folder = target / "policies" / f"{slug}-{policy['id']}"
        _write_yaml(folder / "policy.yml", policy)
        policy_files.append(folder / "policy.yml")
        for lang in LANGUAGES:
            old_name = template.organisation["name"][lang]
            text = _vary_text(template.texts[lang], lang, old_name, name, policy["rules"])
            _write_yaml(folder / f"{lang}.yml", text)
    return policy_files


def change_one_rule(policy_file: Path) -> str:
    """Edit one rule value that the texts and forms use; returns what changed."""
    policy = _read_yaml(policy_file)
    rules = policy["rules"]
    for rule, values in (
        ("home_days_per_week_max", (1, 2)),
        ("follow_up_interval_months", (4, 6)),
        ("no_agreement_below_months", (2, 3)),
    ):
        if rule in rules:
            old = rules[rule]
            rules[rule] = values[0] if old != values[0] else values[1]
            _write_yaml(policy_file, policy)
            return f"{policy['organisation']}: rules.{rule} {old} -> {rules[rule]}"
    raise SystemExit(f"{policy_file} sets none of the rules this benchmark changes")


# --- timing -----------------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(f"[benchmark] {message}", file=sys.stderr, flush=True)


def _timed(
    function: Callable[..., Any], stage: str, totals: dict[str, float]
) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[stage] += time.perf_counter() - start

    return wrapper


@contextlib.contextmanager
def stage_timers() -> Iterator[dict[str, float]]:
    """Seconds spent in each stage while the context is open (summed over both languages)."""
    totals: dict[str, float] = defaultdict(float)
    with contextlib.ExitStack() as stack:
        for stage, target in STAGES.items():
            original = pkgutil.resolve_name(target)
            stack.enter_context(mock.patch(target, new=_timed(original, stage, totals)))
        yield totals


class RecordingWorkers(Workers):
    """The pipeline's ``Workers``, noting how long ``run`` took and which PDFs it was given."""

    runs: ClassVar[list[RecordingWorkers]] = []

    def __init__(self, count: int, pool: ProcessPoolExecutor | None = None) -> None:
        super().__init__(count, pool)
        self.pdf_jobs: list[PdfJob] = []
        self.wall = 0.0
        RecordingWorkers.runs.append(self)

    def submit(self, kind: str, name: str, function: Callable[..., Any], *args: Any,
               **kwargs: Any) -> None:  # fmt: skip
        if kind == "PDF":
            self.pdf_jobs.append(args[0])
        super().submit(kind, name, function, *args, **kwargs)

    def run(self, *args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        try:
            super().run(*args, **kwargs)
        finally:
            self.wall += time.perf_counter() - start


@dataclass(frozen=True)
class BuildTiming:
    total: float
    stages: dict[str, float]
    """Wall-clock seconds of the stages that run in the build process."""
    parallel: float
    """Wall-clock seconds while the MkDocs builds and the PDFs ran in the workers."""
    worker_seconds: dict[str, float]
    """Seconds each kind of task ("MkDocs", "PDF") took inside the workers, added up."""
    pdf_jobs: list[PdfJob]
    entries: list[Entry]
    worker_peak_mb: float | None
    """Highest peak memory of a worker process (None: no workers, or no /proc)."""

    @property
    def other(self) -> float:
        return self.total - sum(self.stages.values()) - self.parallel


def _from_scratch() -> dict[str, Any]:
    """``build`` arguments for a build that reuses nothing, where the pipeline has a cache."""
    return {"incremental": False} if "incremental" in inspect.signature(build).parameters else {}


def timed_build(paths: Paths, jobs: int, *, fresh: bool = False, pdfs: bool = True) -> BuildTiming:
    """One ``generator.build`` with its stages timed; ``fresh``: from scratch; without ``pdfs``:
    as ``policy-site build --no-pdfs``."""
    RecordingWorkers.runs.clear()
    with (
        stage_timers() as totals,
        ChildPeakMemory() as children,
        mock.patch("generator.pipeline.Workers", RecordingWorkers),
    ):
        start = time.perf_counter()
        extra = {**(_from_scratch() if fresh else {}), **({} if pdfs else {"pdfs": False})}
        entries = build(paths, jobs=jobs, **extra)
        total = time.perf_counter() - start
    worker_seconds: dict[str, float] = defaultdict(float)
    for workers in RecordingWorkers.runs:
        for kind, seconds in workers.seconds.items():
            worker_seconds[kind] += seconds
    return BuildTiming(
        total=total,
        stages={stage: totals[stage] for stage in STAGES},
        parallel=sum(workers.wall for workers in RecordingWorkers.runs),
        worker_seconds=dict(worker_seconds),
        pdf_jobs=[job for workers in RecordingWorkers.runs for job in workers.pdf_jobs],
        entries=entries,
        worker_peak_mb=children.peak_mb,
    )


def pdf_stage_seconds(jobs: list[PdfJob], workers: int, target: Path) -> float:
    """Write the same PDFs again, alone, with ``workers`` processes, as the pipeline does."""
    pool = Workers(workers)
    for job in jobs:
        pool.submit("PDF", job.name, write_pdf, replace(job, target=target / job.name))
    start = time.perf_counter()
    pool.run()
    seconds = time.perf_counter() - start
    shutil.rmtree(target)
    return seconds


def placeholder_pdf(job: PdfJob) -> None:
    """Stands in for ``write_pdf`` when the PDFs are left out: an empty file where it would be."""
    job.target.parent.mkdir(parents=True, exist_ok=True)
    job.target.write_bytes(b"")


def without_pdfs_seconds(paths: Paths, jobs: int) -> float:
    """A build from scratch with every PDF replaced by an empty file (module-level, so the
    spawned workers find it)."""
    with mock.patch("generator.pipeline.write_pdf", placeholder_pdf):
        start = time.perf_counter()
        build(paths, jobs=jobs, **_from_scratch())
        return time.perf_counter() - start


@dataclass
class Weight:
    """What a reader downloads: page HTML, the whole site, each search index."""

    largest_page: tuple[int, str]
    median_page: float
    pages: int
    site_bytes: int
    search_index: dict[str, int]
    """Language -> bytes of its Pagefind index (pagefind/) on disk; a search fetches only a
    few of its chunks (benchmarks/search.py measures how many bytes)."""


def site_weight(site: Path) -> Weight:
    pages = {str(p.relative_to(site)): p.stat().st_size for p in site.rglob("*.html")}
    largest = max(pages, key=pages.__getitem__)
    return Weight(
        largest_page=(pages[largest], largest),
        median_page=statistics.median(pages.values()),
        pages=len(pages),
        site_bytes=sum(p.stat().st_size for p in site.rglob("*") if p.is_file()),
        search_index={lang: sum(p.stat().st_size for p in (site / lang / "pagefind").rglob("*")
                                if p.is_file())
                      for lang in LANGUAGES},
    )  # fmt: skip


def _checksums(site: Path) -> dict[str, str]:
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    return {row["path"]: row["sha256"] for row in manifest["entries"]}


def changed_outputs(before: dict[str, str], after: dict[str, str]) -> int:
    """Manifest entries added, removed or with different content."""
    return sum(before.get(path) != after.get(path) for path in before.keys() | after.keys())


def bare_mkdocs_seconds(paths: Paths, work: Path) -> float:
    """``mkdocs build`` alone, both languages, on the Markdown and config the pipeline makes.

    The Markdown comes from ``render.render_language``; the config from ``build_language`` itself
    with MkDocs' build switched off, so it is written exactly as in a real build.
    """
    project = load_project(paths.content, paths.forms)
    strings = render.load_strings(paths.templates)
    build_date = project.build_date
    seconds = 0.0
    for lang in LANGUAGES:
        docs = work / "docs" / lang
        site_url = language_url(paths.mkdocs_config, lang)
        pages = render.render_language(project, lang, paths.templates, strings, docs, site_url)
        with (
            mock.patch("generator.sitebuild.load_config", wraps=load_config) as loaded,
            mock.patch("generator.sitebuild.mkdocs_build"),
            mock.patch("generator.sitebuild.index_site"),  # nothing built to index
        ):
            build_language(
                shared_config=paths.mkdocs_config,
                templates_dir=paths.templates,
                lang=lang,
                languages=LANGUAGES,
                strings=strings,
                nav=render.nav(project, pages, strings[lang]["home_nav"]),
                docs_dir=docs,
                site_dir=work / "site" / lang,
                work_dir=work,
                build_date=build_date,
                sources={},
            )
        config_file = loaded.call_args.kwargs["config_file"]
        start = time.perf_counter()
        mkdocs_build(load_config(config_file=config_file))
        seconds += time.perf_counter() - start
    return seconds


def peak_memory_mb() -> tuple[float, float]:
    """Peak resident memory (ru_maxrss) of this process and of its largest finished child, in MB.

    On Linux a child's ru_maxrss starts from the parent's size when it was forked, so the
    children's figure is at least this process's size at that moment.
    """
    unit = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit
    return own / 2**20, child / 2**20


def _child_pids() -> list[int]:
    """This process's children, from /proc (Linux)."""
    me, pids = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # After the command name in parentheses: state, then the parent's id.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == me:
                pids.append(int(stat.parent.name))
    return pids


class ChildPeakMemory:
    """The highest peak resident memory (VmHWM) of any child process, polled while open.

    This is each worker's own peak; None where /proc is not available.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ChildPeakMemory:
        if Path("/proc/self/status").is_file():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _poll(self) -> None:
        while not self._stop.wait(self.interval):
            for pid in _child_pids():
                with contextlib.suppress(OSError, ValueError):
                    status = Path(f"/proc/{pid}/status").read_text()
                    match = re.search(r"^VmHWM:\s+(\d+) kB", status, flags=re.MULTILINE)
                    if match:
                        peak = int(match.group(1)) / 1024
                        self.peak_mb = max(self.peak_mb or 0.0, peak)


def pdf_sizes_kb(site: Path, entries: list[Entry], kind: str) -> list[float]:
    return [(site / e.path).stat().st_size / KB for e in entries if e.kind == kind]


# --- report -----------------------------------------------------------------------------------


Row = tuple[str, str, str, str]
"""Measurement, figure, target, MET / NOT MET (empty where there is no target)."""


def _status(met: bool) -> str:
    return "MET" if met else "NOT MET"


def _share(part: float, whole: float) -> str:
    return f"{part:7.1f} s  {100 * part / whole:5.1f} %"


def _sizes(sizes: list[float]) -> str:
    if not sizes:
        return "none"
    return f"{min(sizes):.0f} / {statistics.median(sizes):.0f} / {max(sizes):.0f} KB"


def print_table(rows: list[Row]) -> None:
    header: Row = ("Measurement", "Figure", "Target", "Result")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]

    def line(row: Row) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))

    print(line(header).rstrip())
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line(row).rstrip())


@dataclass
class Results:
    orgs: int
    cores: int
    full: BuildTiming
    unchanged: BuildTiming
    changed: BuildTiming
    change: str
    unchanged_outputs: int
    changed_outputs: int
    pdf_stage: dict[int, float]
    """Workers -> seconds to write the full build's PDFs alone (with --jobs-compare)."""
    without_pdfs: dict[int, float]
    """Workers -> seconds of a full build with the PDFs left out."""
    bare_mkdocs: float
    form_sizes: list[float]
    guideline_sizes: list[float]
    memory: tuple[float, float]
    """ru_maxrss of this process and of the largest child, taken right after the full build."""
    weight: Weight
    no_pdfs: float
    """Seconds of a build from scratch as ``policy-site build --no-pdfs``."""
    pdfs: bool = True
    """False: every measured build left the PDFs out (--no-pdfs)."""


def rows_of(r: Results) -> list[Row]:
    full = r.full.total
    outputs = len(r.full.entries)
    work = r.full.worker_seconds
    busy = sum(work.values())
    w = r.weight
    size, largest = w.largest_page
    rows: list[Row] = [
        ("Largest page HTML", f"{size / KB:7.1f} KB", "", largest),
        (f"Median page HTML ({w.pages} pages)", f"{w.median_page / KB:7.1f} KB", "", ""),
        ("Site size", f"{w.site_bytes / KB / KB:7.1f} MB", "", ""),
        *((f"Search index ({lang}) on disk, all chunks", f"{n / KB:7.1f} KB", "", "")
          for lang, n in w.search_index.items()),
        ("Build from scratch, --no-pdfs", f"{r.no_pdfs:7.1f} s", "< 60 s at 370",
         _status(r.no_pdfs < 60)),
    ]  # fmt: skip
    kind = "" if r.pdfs else ", no PDFs"
    rows += [(f"Full build (fresh site, {r.cores} workers{kind})", f"{full:7.1f} s", "", "")]
    rows += [
        (f"  {stage}", _share(seconds, full), "", "") for stage, seconds in r.full.stages.items()
    ]
    rows += [
        ("  MkDocs builds and PDFs, in the workers", _share(r.full.parallel, full), "", ""),
        *((f"    {kind}, worker time (share of all work)", _share(seconds, busy), "", "")
          for kind, seconds in sorted(work.items())),
        ("  other (print HTML, cache, manifest, swap)", _share(r.full.other, full), "", ""),
    ]  # fmt: skip

    for label, timing, changed, target in (
        ("No-change rebuild", r.unchanged, r.unchanged_outputs, 5),
        ("One-organisation change rebuild", r.changed, r.changed_outputs, 20),
    ):
        percent = 100 * timing.total / full
        rows.append(
            (label, _share(timing.total, full), f"< {target} % of full", _status(percent < target))
        )
        rows.append((f"  changed outputs (of {outputs})", f"{changed:7d}", "", ""))

    target = ">= 1.7x with 2 workers"
    if not r.pdf_stage:
        rows.append(("PDF stage, 1 worker vs all cores", "not measured", target,
                     "use --jobs-compare"))  # fmt: skip
    elif r.cores < 2:
        rows.append(("PDF stage, 1 worker vs all cores", "1 core only", target, "n/a"))
    else:
        one, many = r.pdf_stage[1], r.pdf_stage[r.cores]
        speedup = one / many
        note = "" if r.cores == 2 else f" ({r.cores} workers)"
        rows += [
            (f"PDF stage alone ({len(r.full.pdf_jobs)} PDFs), 1 worker", f"{one:7.1f} s", "", ""),
            (f"PDF stage alone, {r.cores} workers", f"{many:7.1f} s", "", ""),
            ("  speed-up", f"{speedup:7.2f}x", target, _status(speedup >= 1.7) + note),
        ]  # fmt: skip

    rows.append(("Bare mkdocs build (nb, then nn)", f"{r.bare_mkdocs:7.1f} s", "", ""))
    for workers, seconds in sorted(r.without_pdfs.items(), reverse=True):
        ratio = seconds / r.bare_mkdocs
        how = "nb and nn side by side" if workers > 1 else "nb, then nn"
        rows += [
            (f"Everything but PDFs, {workers} worker(s) ({how})", f"{seconds:7.1f} s", "", ""),
            ("  / bare mkdocs", f"{ratio:7.2f}x", "<= 1.3x", _status(ratio <= 1.3)),
        ]

    form_ok = bool(r.form_sizes) and max(r.form_sizes) < 150
    over = sum(size >= 150 for size in r.form_sizes)
    if r.pdfs:
        rows += [
            (f"Form PDFs ({len(r.form_sizes)}), min / median / max", _sizes(r.form_sizes),
             "< 150 KB each", _status(form_ok) + (f" ({over} over)" if over else "")),
            (f"Guideline PDFs ({len(r.guideline_sizes)}), min / median / max",
             _sizes(r.guideline_sizes), "", ""),
        ]  # fmt: skip

    own, child = r.memory
    worker = "n/a" if r.full.worker_peak_mb is None else f"{r.full.worker_peak_mb:7.0f} MB"
    rows += [
        ("Peak memory, build process (ru_maxrss)", f"{own:7.0f} MB", "", ""),
        ("Peak memory, largest child (ru_maxrss)", f"{child:7.0f} MB", "", ""),
        ("Peak memory, worker (VmHWM)", worker, "", ""),
    ]
    return rows


# --- main -------------------------------------------------------------------------------------


def run(orgs: int, jobs_compare: bool, tmp: Path, pdfs: bool = True) -> Results:
    cores = os.cpu_count() or 1

    _progress("warm-up: 1 organisation (checks the content, loads MkDocs and templates)")
    write_content(tmp / "warmup" / "content", 1)
    # PDFs in worker processes, as in the measured builds: WeasyPrint stays out of this process,
    # so the one-worker build pays for importing it, as `policy-site build --jobs 1` does.
    warmup = Paths.default(PROJECT_ROOT, tmp / "warmup" / "content", tmp / "warmup" / "site")
    build(warmup, jobs=max(cores, 2))
    without_pdfs_seconds(warmup, 1)
    shutil.rmtree(tmp / "warmup")

    content = tmp / "content"
    policy_files = write_content(content, orgs)
    paths = Paths.default(PROJECT_ROOT, content, tmp / "site")

    _progress(f"full build: {orgs} organisations, {cores} workers{'' if pdfs else ', no PDFs'}")
    full = timed_build(paths, jobs=cores, fresh=True, pdfs=pdfs)
    first = _checksums(paths.site)
    weight = site_weight(paths.site)
    memory = peak_memory_mb()  # before a one-worker build runs WeasyPrint in this process
    form_sizes = pdf_sizes_kb(paths.site, full.entries, "form-pdf")
    guideline_sizes = pdf_sizes_kb(paths.site, full.entries, "guideline-pdf")

    pdf_stage: dict[int, float] = {}
    if jobs_compare and pdfs:
        for workers in sorted({1, cores}):
            _progress(f"the full build's PDFs alone, {workers} worker(s)")
            pdf_stage[workers] = pdf_stage_seconds(full.pdf_jobs, workers, tmp / "pdf-stage")

    _progress("build from scratch with --no-pdfs")
    no_pdfs_paths = Paths.default(PROJECT_ROOT, content, tmp / "site-no-pdfs")
    no_pdfs = timed_build(no_pdfs_paths, jobs=cores, fresh=True, pdfs=False).total
    shutil.rmtree(no_pdfs_paths.site)

    without_pdfs: dict[int, float] = {}
    for workers in sorted({1, cores}) if pdfs else ():
        _progress(f"full build with the PDFs left out, {workers} worker(s)")
        bare_paths = Paths.default(PROJECT_ROOT, content, tmp / f"site-without-pdfs-{workers}")
        without_pdfs[workers] = without_pdfs_seconds(bare_paths, workers)

    _progress("rebuild, nothing changed")
    unchanged = timed_build(paths, jobs=cores, pdfs=pdfs)
    second = _checksums(paths.site)

    change = change_one_rule(policy_files[len(policy_files) // 2])
    _progress(f"rebuild after one change ({change})")
    changed = timed_build(paths, jobs=cores, pdfs=pdfs)
    third = _checksums(paths.site)

    _progress("bare mkdocs build of the same Markdown")
    bare = bare_mkdocs_seconds(paths, tmp / "bare")

    return Results(
        orgs=orgs,
        cores=cores,
        full=full,
        unchanged=unchanged,
        changed=changed,
        change=change,
        unchanged_outputs=changed_outputs(first, second),
        changed_outputs=changed_outputs(second, third),
        pdf_stage=pdf_stage,
        without_pdfs=without_pdfs,
        bare_mkdocs=bare,
        form_sizes=form_sizes,
        guideline_sizes=guideline_sizes,
        memory=memory,
        weight=weight,
        no_pdfs=no_pdfs,
        pdfs=pdfs,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks/build.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--orgs", type=int, default=20, metavar="N", help="organisations to generate (default 20)"
    )
    parser.add_argument(
        "--jobs-compare",
        action="store_true",
        help="also write the PDFs alone with 1 worker and with one per core, to compare",
    )
    parser.add_argument(
        "--no-pdfs",
        action="store_true",
        help="leave the PDFs out of every measured build (for hundreds of organisations)",
    )
    args = parser.parse_args(argv)
    if args.orgs < 1:
        parser.error("--orgs must be at least 1")

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="policy-site-bench-") as folder:
            results = run(args.orgs, args.jobs_compare, Path(folder), pdfs=not args.no_pdfs)
    except PolicySiteError as exc:
        print(f"benchmark failed: the build stopped:\n{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("benchmark interrupted", file=sys.stderr)
        return 130

    full = results.full
    pdfs = len(results.form_sizes) + len(results.guideline_sizes)
    print(
        f"policy-site build benchmark: {results.orgs} organisations, {len(full.entries)} pages "
        f"and files, {pdfs} PDFs, {results.cores} CPU cores"
    )
    print()
    print_table(rows_of(results))
    print()
    print(f"One-organisation change: {results.change}.")
    print(
        "Load average (1 min) at start / end: "
        f"{load_before:.1f} / {os.getloadavg()[0]:.1f} on {results.cores} cores; "
        "times are single runs and grow when the machine is busy."
    )
    print(f"Benchmark run time: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
