"""The default content builds to the same bytes as the recorded manifest says.

A change that alters any page, PDF or file of the default site fails here; when the change is
meant, record the new checksums with `make record-manifest` and commit them with it.
"""

from __future__ import annotations

import json
from pathlib import Path

RECORDED = Path(__file__).parent / "fixtures" / "default-manifest.json"


def checksums(manifest: Path) -> dict[str, str]:
    entries = json.loads(manifest.read_text(encoding="utf-8"))["entries"]
    return {entry["path"]: entry["sha256"] for entry in entries}


def test_default_site_matches_the_recorded_checksums(default_site: Path) -> None:
    built = checksums(default_site / "manifest.json")
    recorded = checksums(RECORDED)
    assert sorted(built) == sorted(recorded), "pages added or gone: see `make record-manifest`"
    changed = sorted(path for path in built if built[path] != recorded[path])
    assert not changed, f"outputs changed: {changed}; if meant, run `make record-manifest`"
