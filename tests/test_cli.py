"""The `policy-site build` command as maintainers and CI run it: a progress bar on a terminal,
plain lines in a log, and what the build did in words."""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, fixture_content

COMMAND = str(Path(sys.executable).with_name("policy-site"))


def build_command(content: Path, site: Path, jobs: int = 1) -> list[str]:
    return [COMMAND, "build", "--content", str(content), "--site", str(site), "--jobs", str(jobs)]


def test_in_ci_the_build_logs_plain_progress_lines_and_no_warnings(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    # Short: the fork server's socket goes in it, and a socket's path has at most 107 bytes.
    temporary = Path(tempfile.mkdtemp(prefix="ps-test-", dir="/tmp"))
    run = subprocess.run(
        build_command(content, tmp_path / "site", jobs=2),
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "true", "TMPDIR": str(temporary)},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    # Nothing left behind in the temporary folder (a server that builds every night would
    # fill it): not the PDFs' fonts, not the worker processes' sockets.
    left = sorted(p.name for p in temporary.iterdir())
    shutil.rmtree(temporary, ignore_errors=True)
    assert left == []
    steps = re.findall(r"^Rendering (\d+)/(\d+)$", run.stdout, flags=re.MULTILINE)
    # Two MkDocs sites, their search indexes and eight PDFs (three forms and a guideline, in
    # each written form).
    assert [(int(done), int(total)) for done, total in steps] == [(n, 12) for n in range(1, 13)]
    assert "\x1b[" not in run.stdout + run.stderr  # no terminal control codes in a log
    assert "Built nb: 10 pages (10 rendered, 0 unchanged)." in run.stdout
    assert "PDFs: 8 rendered (2 worker(s)), 0 unchanged." in run.stdout
    log = run.stdout.replace(str(tmp_path), "")
    assert not re.search(r"\bwarn(ing)?s?\b", log, re.IGNORECASE), log
    assert run.stderr == ""
    assert "Site written to" in run.stdout


def test_on_a_terminal_the_build_shows_a_progress_bar(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"TERM": "xterm", "COLUMNS": "100"}
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*build_command(content, tmp_path / "site"), "--no-pdfs"],  # the bar is what counts
        cwd=ROOT,
        env=env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closes when the build ends
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    assert process.wait(timeout=300) == 0, output.decode(errors="replace")
    text = output.decode(errors="replace")
    assert "━" in text and "Rendering" in text, text  # rich's bar, redrawn in place
    assert not re.search(r"^Rendering \d+/\d+\r?$", text, flags=re.MULTILINE)
    assert "Site written to" in text


def test_build_no_pdfs_is_a_preview_without_pdfs(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    site = tmp_path / "site"
    run = subprocess.run(
        [*build_command(content, site), "--no-pdfs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "true"},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "PDFs: none written (--no-pdfs)" in run.stdout, run.stdout
    assert not list(site.rglob("*.pdf"))
    guideline = (site / "nb" / "testkommune" / "heimekontor" / "index.html").read_text("utf-8")
    assert "PDF ikke bygget i denne forhåndsvisningen" in guideline
    assert ".pdf" not in guideline


def _unreadable(path: Path) -> None:
    raise PermissionError(13, "Permission denied", str(path))


@pytest.mark.parametrize("command", ["check", "status"])
def test_content_nobody_may_read_is_named_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """A policy folder the user may not read (chmod 000, another owner): which file, what to
    do, exit 1. Run as root, the tests cannot make a file unreadable, so reading one fails."""
    from click.testing import CliRunner

    import generator.validate
    from generator.cli import main

    content = fixture_content("minimal", tmp_path)
    blocked = content / "policies" / "heimekontor" / "policy.yml"
    real = generator.validate._load_policy

    def load_policy(folder: Path, *args: object) -> object:
        if folder == blocked.parent:
            _unreadable(blocked)
        return real(folder, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(generator.validate, "_load_policy", load_policy)
    result = CliRunner().invoke(main, [command, "--project", str(ROOT), "--content", str(content)])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "policy.yml: permission denied: check who may read and write it" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["check"],  # run in another folder, no --project
        ["build", "--site", "{file}"],  # a site that is a file: bad input, exit 1 (not 2)
    ],
)
def test_a_command_run_from_the_wrong_place_says_what_to_do(
    tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "file").write_text("x")
    given = [arg.format(file=tmp_path / "file") for arg in args]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("policy-site")), *given],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    if args == ["check"]:
        assert "is not a policy-site project" in result.stderr
        assert "--project" in result.stderr


@pytest.mark.parametrize("site", ["content", "content/site", ".", "forms/site"])
def test_a_site_folder_that_overlaps_what_the_build_reads_is_refused(
    tmp_path: Path, site: str
) -> None:
    """A build replaces its site folder whole: named as the content folder (or the project),
    it would replace the policies with pages."""
    from click.testing import CliRunner

    from generator.cli import main

    project = tmp_path / "project"
    shutil.copytree(ROOT / "site_templates", project / "site_templates")
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(fixture_content("minimal", tmp_path), project / "content")
    shutil.copytree(ROOT / "forms", project / "forms")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))

    result = CliRunner().invoke(
        main, ["build", "--project", str(project), "--site", str(project / site)]
    )

    assert result.exit_code == 1, result.output
    assert "overlap" in result.output or "holds the project" in result.output
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
