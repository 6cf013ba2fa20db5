"""Stage 6: ``site/manifest.json``, the list of every page the build produced."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Entry:
    """One produced page or feed."""

    kind: str
    lang: str | None
    org: str | None
    id: str | None
    title: str
    path: str
    """Relative to the site folder, with forward slashes."""
    fields: tuple[str, ...] | None = None
    """For form PDFs: the names of its fields."""


def write_manifest(
    site_dir: Path,
    languages: tuple[str, ...],
    entries: list[Entry],
    digest: Callable[[Path], str] = lambda file: hashlib.sha256(file.read_bytes()).hexdigest(),
) -> Path:
    """Write the manifest; ``digest`` gives a file's SHA-256 (the build's cache knows those of
    the files it stored or fetched)."""
    rows = []
    for entry in entries:
        file = site_dir / entry.path
        row: dict[str, object] = {
            "kind": entry.kind,
            "lang": entry.lang,
            "org": entry.org,
            "id": entry.id,
            "title": entry.title,
            "path": entry.path,
            "sha256": digest(file),
        }
        if entry.fields is not None:
            row["fields"] = list(entry.fields)
        rows.append(row)
    target = site_dir / "manifest.json"
    # An entry a line: json's indenting encoder is Python's own, a tenth of a second for the
    # thousands of entries of a large site, where one line each is encoded in C.
    lines = ",\n".join(f"    {json.dumps(row, ensure_ascii=False)}" for row in rows)
    listed = f"[\n{lines}\n  ]" if rows else "[]"
    text = f'{{\n  "languages": {json.dumps(list(languages))},\n  "entries": {listed}\n}}\n'
    target.write_text(text, encoding="utf-8")
    return target
