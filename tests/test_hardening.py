"""Files and faults a content check never sees: special files, links out of the project, a
broken strings.yml, a read-only or full disk, PDFs that would load something. Each gives a
message with its place, exit 1, no traceback, no hang, and leaves the site as it was."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from generator import Paths, build
from generator.cli import main
from generator.errors import BuildError
from generator.pdf import PdfJob, write_pdf
from generator.workers import Workers
from tests.conftest import ROOT, build_site, copy_site, fixture_content, tree_digest

ORGS = "organisations"
NB = "policies/heimekontor/nb.yml"
SECRET = "SECRET-3f9a1c"
"""Text of a file outside the project: it must never appear in a message."""
SCRIPT = Path(sys.executable).with_name("policy-site")


@pytest.fixture(scope="module")
def built(
    minimal_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """A copy of the run's build of the minimal fixture and its digest: failures leave the
    site alone, but a build checks its words meanwhile and keeps them in the cache beside it,
    which the shared build's other readers must not find changed."""
    site = copy_site(minimal_site, tmp_path_factory.mktemp("hardening") / "site")
    return site, tree_digest(site)


def _fifo(content: Path, tmp: Path, file: str) -> None:
    (content / file).unlink(missing_ok=True)
    os.mkfifo(content / file)


def _loop(content: Path, tmp: Path, file: str) -> None:
    (content / file).unlink(missing_ok=True)
    os.symlink(Path(file).name, content / file)


def _dev_zero(content: Path, tmp: Path, file: str) -> None:
    (content / file).unlink(missing_ok=True)
    os.symlink("/dev/zero", content / file)


def _outside(content: Path, tmp: Path, file: str) -> None:
    secret = tmp / "secret.yml"
    secret.write_text(f"name: {SECRET}\nslug: x\n{SECRET}\n", encoding="utf-8")
    (content / file).unlink(missing_ok=True)
    os.symlink(secret, content / file)


def _outside_relative(content: Path, tmp: Path, file: str) -> None:
    secret = tmp / "secret.yml"
    secret.write_text(f"title: {SECRET}\n", encoding="utf-8")
    (content / file).unlink(missing_ok=True)
    os.symlink(os.path.relpath(secret, (content / file).parent), content / file)


# (case, make, file, message): the special file is made at `file`; the message is at 1:1 there.
SPECIAL = [
    (
        "FIFO as an organisation",
        _fifo,
        f"{ORGS}/x.yml",
        "not a regular file (a named pipe): content must be plain text files",
    ),
    (
        "symbolic link loop",
        _loop,
        f"{ORGS}/loop.yml",
        "symbolic link loop (the link leads back to itself): point it at a file",
    ),
    (
        "link to /dev/zero",
        _dev_zero,
        f"{ORGS}/zero.yml",
        "not a regular file (a device): content must be plain text files",
    ),
    (
        "link to a file outside the project",
        _outside,
        f"{ORGS}/secret.yml",
        "symbolic link to a file outside ",
    ),
    ("text linked to a file outside", _outside_relative, NB, "symbolic link to a file outside "),
]


def _run(*args: str, timeout: float = 300, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The installed command, as a maintainer runs it; a hang fails the test."""
    return subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.parametrize(
    ("case", "make", "file", "message"), SPECIAL, ids=[case[0] for case in SPECIAL]
)
def test_special_files_are_refused_by_name_without_hanging(
    tmp_path: Path,
    built: tuple[Path, dict[str, str]],
    case: str,
    make: Callable[[Path, Path, str], None],
    file: str,
    message: str,
) -> None:
    site, digest = built
    content = fixture_content("minimal", tmp_path)
    make(content, tmp_path, file)
    args = ["--project", str(ROOT), "--content", str(content)]

    for run in (_run("build", *args, "--site", str(site)), _run("check", *args, timeout=60)):
        output = run.stdout + run.stderr
        assert run.returncode == 1, output
        assert "Traceback" not in output
        assert f"{content / file}:1:1: {message}" in output, output
        assert SECRET not in output
    assert tree_digest(site) == digest


def test_a_fifo_in_place_of_a_text_does_not_hang(
    tmp_path: Path, built: tuple[Path, dict[str, str]]
) -> None:
    site, digest = built
    content = fixture_content("minimal", tmp_path)
    _fifo(content, tmp_path, NB)

    run = _run("build", "--project", str(ROOT), "--content", str(content), "--site", str(site))

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "nb.yml" in run.stderr
    assert tree_digest(site) == digest


def test_a_broken_link_is_named_at_its_line_in_the_content_file(
    tmp_path: Path, built: tuple[Path, dict[str, str]]
) -> None:
    site, digest = built
    content = fixture_content("minimal", tmp_path)
    text = (content / NB).read_text(encoding="utf-8")
    (content / NB).write_text(
        text.replace("egen bolig.", "egen bolig, se [reglene](mangler.md)."), encoding="utf-8"
    )
    args = ["--project", str(ROOT), "--content", str(content), "--site", str(site)]

    result = CliRunner().invoke(main, ["build", *args])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = (content / NB).read_text(encoding="utf-8").splitlines()
    line = next(n for n, written in enumerate(lines, start=1) if "mangler.md" in written)
    col = lines[line - 1].index("mangler.md") + 1
    assert f"{content / NB}:{line}:{col}: " in result.output, result.output
    assert "'mangler.md'" in result.output
    assert tree_digest(site) == digest


# --- site_templates/strings.yml ------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the project (templates, forms, minimal content) and a site built from it."""
    base = tmp_path_factory.mktemp("strings")
    for name in ("mkdocs.yml", "site_templates", "forms"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, base / name)
    fixture_content("minimal", base)
    # Without PDFs: the broken builds below fail before theirs, and only the site's sameness counts.
    site = build_site(base / "minimal" / "content", base / "site", pdfs=False)
    return base, site, tree_digest(site)


STRINGS = "site_templates/strings.yml"


def _delete_line(start: str, count: int = 2) -> Callable[[str], str]:
    """Drop the first ``count`` lines starting with ``start`` (2: in nb and in nn)."""

    def edit(text: str) -> str:
        lines = text.splitlines(keepends=True)
        for _ in range(count):
            lines.pop(next(i for i, line in enumerate(lines) if line.startswith(start)))
        return "".join(lines)

    return edit


def _place(pattern: str, col: int, below: int = 0) -> str:
    """'line:col' of the first line of strings.yml matching ``pattern``, or ``below`` lines
    under it (a mapping's place is its first key): the file grows, the places move."""
    lines = (ROOT / STRINGS).read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if re.match(pattern, text))
    while below:  # comment lines are no place
        line += 1
        below -= not lines[line - 1].lstrip().startswith("#")
    return f"{line}:{col}"


AT_NB = _place(r"nb:", 3, below=1)
AT_HOME = _place(r"  home_title: ", 13, below=1)  # the parser stops on the next line
AT_FORM = _place(r"  form:", 5, below=1)

# (case, edit of strings.yml or None to delete it, expected start of the message line)
STRING_CASES = [
    ("missing strings.yml", None, f"{STRINGS}:1:1: file not found"),
    (
        "syntax error",
        lambda text: text.replace(
            "  home_title: Retningslinjer", "  home_title: [Retningslinjer", 1
        ),
        f"{STRINGS}:{AT_HOME}: YAML syntax error: expected ',' or ']', but got ':'",
    ),
    (
        "text in one written form only",
        _delete_line("  whats_changed:", 1),
        f"{STRINGS}:{AT_NB}: nb: missing text 'whats_changed' (nn.whats_changed has it): add it",
    ),
    (
        "text a page template uses",
        _delete_line("  whats_changed:"),
        f"error: {STRINGS}:{AT_NB}: nb: missing text 'whats_changed': add it "
        "(used by site_templates/pages/guideline.md.j2:",
    ),
    (
        "text a form template uses",
        _delete_line("    signature:"),
        f"error: {STRINGS}:{AT_FORM}: nb.form: missing text 'signature': add it "
        "(used by site_templates/forms/macros.html.j2:",
    ),
    (
        "text the site configuration uses",
        _delete_line("  not_found_title:"),
        f"error: {STRINGS}:{AT_NB}: nb: missing text 'not_found_title': add it",
    ),
    (
        "unknown placeholder",
        lambda text: text.replace("{org}", "{organisation}"),
        # Whichever PDF is first; each names itself, the text and its place.
        re.compile(
            rf"error: PDF n[bn]/testkommune/\S+\.pdf could not be written: {STRINGS}:\d+:13: "
            r"n[bn]\.form\.footer: cannot fill in 'organisation': "
            r"the placeholders here are \{org\}, \{title\}, \{version\}"
        ),
    ),
    (
        "not a mapping",
        lambda text: "- nb\n- nn\n",
        f"{STRINGS}:1:1: expected a mapping with the keys nb, nn, chooser",
    ),
]


@pytest.mark.parametrize(
    ("case", "edit", "expected"), STRING_CASES, ids=[case[0] for case in STRING_CASES]
)
def test_a_broken_strings_file_is_named_with_its_place(
    tmp_path: Path,
    project: tuple[Path, Path, dict[str, str]],
    case: str,
    edit: Callable[[str], str] | None,
    expected: str | re.Pattern[str],
) -> None:
    base, site, digest = project
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("mkdocs.yml", "site_templates", "forms"):
        clone = shutil.copytree if (base / name).is_dir() else shutil.copy
        clone(base / name, copy / name)
    strings = copy / STRINGS
    if edit is None:
        strings.unlink()
    else:
        strings.write_text(edit(strings.read_text(encoding="utf-8")), encoding="utf-8")
    args = [
        "--project",
        str(copy),
        "--content",
        str(base / "minimal" / "content"),
        "--site",
        str(site),
        "-j",
        "2",
    ]

    run = _run("build", *args, cwd=copy)

    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    if isinstance(expected, re.Pattern):
        assert expected.search(run.stderr), run.stderr
    else:
        assert expected in run.stderr, run.stderr
    assert tree_digest(site) == digest


def _settings_place(prefix: str) -> str:
    """'line:col' of the colon on the line after the one starting with ``prefix``."""
    lines = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    number = next(number for number, line in enumerate(lines, 1) if line.startswith(prefix))
    return f"{number + 1}:{lines[number].index(':') + 1}"


# (case, edit of mkdocs.yml or None to delete it, expected message line)
SETTINGS_CASES = [
    ("missing mkdocs.yml", None, "mkdocs.yml:1:1: not found: the project folder needs"),
    (
        "syntax error",
        lambda text: text.replace("site_url: ", "site_url: [", 1),
        # The parser stops on the line after, at its colon.
        f"mkdocs.yml:{_settings_place('site_url:')}: YAML syntax error: expected ',' or ']', "
        "but got ':'",
    ),
    (
        "not a mapping",
        lambda text: "- site_name\n- site_url\n",
        "mkdocs.yml:1:1: expected the site's settings as a mapping of keys",
    ),
]


@pytest.mark.parametrize(
    ("case", "edit", "expected"), SETTINGS_CASES, ids=[case[0] for case in SETTINGS_CASES]
)
def test_broken_site_settings_are_named_with_their_place(
    tmp_path: Path,
    project: tuple[Path, Path, dict[str, str]],
    case: str,
    edit: Callable[[str], str] | None,
    expected: str,
) -> None:
    """A maintainer edits mkdocs.yml (its site_url): a mistake there is a place, not a
    traceback, and the site stays."""
    base, site, digest = project
    copy = tmp_path / "project"
    shutil.copytree(base / "site_templates", copy / "site_templates")
    shutil.copytree(base / "forms", copy / "forms")
    settings = copy / "mkdocs.yml"
    if edit is not None:
        settings.write_text(edit((base / "mkdocs.yml").read_text(encoding="utf-8")), "utf-8")
    content = str(base / "minimal" / "content")

    run = _run("build", "--project", str(copy), "--content", content, "--site", str(site))

    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "unexpectedly" not in run.stderr, run.stderr
    assert any(
        line.startswith(f"{settings.parent}/{expected}") for line in run.stderr.splitlines()
    ), run.stderr
    assert tree_digest(site) == digest


def test_a_broken_theme_template_is_named_with_its_line(
    tmp_path: Path, project: tuple[Path, Path, dict[str, str]]
) -> None:
    base, site, digest = project
    copy = tmp_path / "project"
    shutil.copytree(base / "site_templates", copy / "site_templates")
    shutil.copy(base / "mkdocs.yml", copy / "mkdocs.yml")
    main_html = copy / "site_templates/overrides/main.html"
    text = main_html.read_text(encoding="utf-8")
    main_html.write_text(
        text.replace("{{ ps.feed_title }}", "{{ ps.feed_title + 1 }}", 1), encoding="utf-8"
    )
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "{{ ps.feed_title }}" in row)
    args = [
        "--project",
        str(copy),
        "--content",
        str(base / "minimal" / "content"),
        "--forms",
        str(base / "forms"),
        "--site",
        str(site),
    ]

    run = _run("build", *args, cwd=copy)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert (
        f"  site_templates/overrides/main.html:{line}: template error: TypeError: "
        'can only concatenate str (not "int") to str'
    ) in run.stderr, run.stderr
    assert tree_digest(site) == digest


# --- the disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts a tmpfs with the given options (root only; skipped elsewhere)."""
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        point = tmp_path / f"disk{len(mounted)}"
        point.mkdir()
        run = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            pytest.skip(f"cannot mount a file system here: {run.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_read_only_target_is_a_clear_error(
    tmp_path: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("size=16m,ro")
    content = fixture_content("minimal", tmp_path)

    run = _run("build", "--content", str(content), "--site", str(disk / "site"))

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "the file system is read-only: build into a writable folder (--site)" in run.stderr
    assert run.stderr.startswith("error: ")


def test_a_full_disk_is_a_clear_error_and_keeps_the_site(
    tmp_path: Path, small_disk: Callable[[str], Path], minimal_site: Path
) -> None:
    disk = small_disk("size=48m")
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, disk / "site")  # a build of ``content``, with its cache
    digest = tree_digest(site)
    with (disk / "filler").open("wb", buffering=0) as filler:  # everything that is left
        try:
            while True:
                filler.write(b"\0" * 65536)
        except OSError:
            pass
    nb = content / NB
    nb.write_text(nb.read_text(encoding="utf-8").replace("egen bolig", "egen bustad"), "utf-8")

    # Incremental: a --full build would first free the cache's space.
    run = _run("build", "--content", str(content), "--site", str(site))

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "the disk is full" in run.stderr or "No space left on device" in run.stderr
    assert "error: " in run.stderr
    assert tree_digest(site) == digest


def test_a_temporary_folder_that_cannot_be_written_is_named_with_what_to_do(
    tmp_path: Path, small_disk: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = small_disk("size=1m,ro")
    content = fixture_content("minimal", tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(disk))

    with pytest.raises(BuildError) as raised:
        build(Paths.default(ROOT, content, tmp_path / "site"), pdfs=False, jobs=1)

    assert str(raised.value).startswith(
        f"cannot make a working folder in the temporary folder ({disk}/policy-site-"
    )
    assert str(raised.value).endswith(
        "Read-only file system; free some space there, or name a writable one in TMPDIR"
    )
    assert not (tmp_path / "site").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site.new-")] == []


_BUILD = [str(SCRIPT), "build", "--no-pdfs"]


def test_a_temporary_folder_too_deep_for_the_workers_socket_is_named_with_what_to_do(
    tmp_path: Path,
) -> None:
    deep = tmp_path / ("t" * 100)
    deep.mkdir()
    content = fixture_content("minimal", tmp_path)

    run = subprocess.run(
        [*_BUILD, "--content", str(content), "--site", str(tmp_path / "site"), "--jobs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(deep)},
        timeout=300,
        check=False,
    )

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert f"error: the temporary folder's path ({deep}) is too long for the worker " in run.stderr
    assert "name a shorter one in TMPDIR" in run.stderr
    assert not (tmp_path / "site").exists()


# --- PDFs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        '<p>Tekst <img src="http://example.invalid/x.png" alt="x"></p>',
        '<p style="background: url(http://example.invalid/x.png)">Tekst</p>',
        "<style>@import url(http://example.invalid/x.css);</style><p>Tekst</p>",
    ],
    ids=["image", "css url", "css import"],
)
def test_a_pdf_leaves_out_what_it_would_load_from_elsewhere(tmp_path: Path, html: str) -> None:
    """A PDF never fetches from another host; what it would load is left out, as a browser
    leaves out an image it cannot load, in-process and in a worker process alike."""
    job = PdfJob(
        f"<html lang='nb'><body>{html}</body></html>",
        tmp_path / "x.pdf",
        "nb/testkommune/x.pdf",
        "https://example.org/nb/testkommune/x/",
    )
    write_pdf(job)
    assert "Tekst" in PdfReader(job.target).pages[0].extract_text()

    job.target.unlink()
    workers = Workers(2)
    workers.submit("PDF", f"PDF {job.name}", write_pdf, job)
    workers.run()
    assert job.target.is_file()


def _not_an_exception() -> None:
    from weasyprint.urls import FatalURLFetchingError

    raise FatalURLFetchingError("stopped")


@pytest.mark.parametrize("count", [1, 2], ids=["in this process", "in a worker"])
def test_a_task_failing_outside_exception_names_the_task(count: int) -> None:
    workers = Workers(count)
    workers.submit("PDF", "PDF nb/a.pdf", _not_an_exception)
    with pytest.raises(BuildError, match=r"^PDF nb/a\.pdf failed: stopped$"):
        workers.run()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: os.mkfifo(path), "1:1: not a regular file (a named pipe)"),
        (
            lambda path: path.write_bytes("Testkommune\nbl\xe5\n".encode("latin-1")),
            "2:3: file is not UTF-8 text (byte 0xe5 here)",
        ),
    ],
    ids=["FIFO", "Latin-1"],
)
def test_a_word_list_that_cannot_be_read_is_named(
    tmp_path: Path, make: Callable[[Path], None], message: str
) -> None:
    content = fixture_content("minimal", tmp_path)
    words = content / "ordliste.txt"
    words.unlink()
    make(words)

    run = _run("check", "--spelling", "--content", str(content), timeout=120)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert f"{words}:{message}" in run.stderr
