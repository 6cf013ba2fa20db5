"""`site/manifest.json`: every page and file of the site, one entry a line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from generator.manifest import Entry, write_manifest


def test_each_entry_is_a_line_of_json_with_the_file_checksum(tmp_path: Path) -> None:
    (tmp_path / "nb").mkdir()
    (tmp_path / "nb" / "index.html").write_text("<p>Hjem</p>")
    entries = [
        Entry("home", "nb", None, None, "Retningslinjer «hjem»\n", "nb/index.html"),
        Entry("form-pdf", "nb", "a", "avtale", "Avtale", "nb/index.html", ("navn", "dato")),
    ]

    text = write_manifest(tmp_path, ("nb", "nn"), entries).read_text(encoding="utf-8")

    manifest = json.loads(text)
    digest = hashlib.sha256(b"<p>Hjem</p>").hexdigest()
    assert manifest["languages"] == ["nb", "nn"]
    assert [row["title"] for row in manifest["entries"]] == ["Retningslinjer «hjem»\n", "Avtale"]
    assert {row["sha256"] for row in manifest["entries"]} == {digest}
    assert manifest["entries"][1]["fields"] == ["navn", "dato"]
    assert "fields" not in manifest["entries"][0]
    lines = text.splitlines()
    assert [json.loads(line.strip().rstrip(",")) for line in lines[3:5]] == manifest["entries"]


def test_a_site_without_entries_lists_none(tmp_path: Path) -> None:
    text = write_manifest(tmp_path, ("nb", "nn"), []).read_text(encoding="utf-8")
    assert json.loads(text) == {"languages": ["nb", "nn"], "entries": []}
