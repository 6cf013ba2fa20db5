"""The benchmark script runs against the pipeline as it is and prints every figure it promises
(a small run: the figures themselves are for people, not for tests)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_benchmark_prints_its_table() -> None:
    run = subprocess.run(
        # Without PDFs (most of a build, tested on their own elsewhere), in one process.
        [sys.executable, "benchmarks/build.py", "--orgs", "2", "--no-pdfs", "--jobs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [
        "Machine speed (reference loop, before the builds)",
        "Full build (fresh site, 2 organisations)",
        "  load and validate",
        "  render Markdown",
        "  MkDocs sites and PDFs",
        "    MkDocs, worker time",
        "No-change rebuild",
        "One-organisation change rebuild",
        "Build without PDFs (--no-pdfs, fresh)",
        "No-change rebuild, --no-pdfs",
        "One-organisation change, --no-pdfs",
        "Largest page HTML",
        "Search 'pult' on /nb/",
        "Peak memory, build process",
        "Machine speed (reference loop, after the builds)",
    ]
    for row in rows:
        assert any(line.startswith(row) for line in run.stdout.splitlines()), (row, run.stdout)
    unchanged = next(line for line in run.stdout.splitlines() if line.startswith("  changed"))
    assert unchanged.split()[-1] == "0", run.stdout  # a rebuild without changes changes nothing
