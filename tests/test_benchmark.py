"""The benchmark script runs against the pipeline as it is and prints every figure it promises
(a small run: the figures themselves are for people, not for tests)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_the_benchmark_prints_its_table() -> None:
    run = subprocess.run(
        [sys.executable, "benchmarks/build.py", "--orgs", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [
        "Full build (fresh site,",
        "  load + validate",
        "  render Markdown",
        "  MkDocs builds and PDFs, in the workers",
        "    MkDocs, worker time",
        "    PDF, worker time",
        "No-change rebuild",
        "One-organisation change rebuild",
        "PDF stage, 1 worker vs all cores",
        "Bare mkdocs build (nb, then nn)",
        "Everything but PDFs, 1 worker(s)",
        "Form PDFs (",
        "Peak memory, worker (VmHWM)",
    ]
    for row in rows:
        assert any(line.startswith(row) for line in run.stdout.splitlines()), (row, run.stdout)
    unchanged = next(line for line in run.stdout.splitlines() if line.startswith("  changed"))
    assert unchanged.split()[-1] == "0", run.stdout  # a rebuild without changes changes nothing
