"""Translation freshness: does each translated text still match the original it was made from?

A translator marks a text done with ``policy-site mark-translated``, which records a fingerprint
of the original's wording in the translation's file. When the original changes later, the
translation is *stale* until it is updated and marked again.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

from generator.errors import PolicySiteError
from generator.schema import PolicyText

State = Literal["original", "current", "stale", "unmarked"]


def fingerprint(text: PolicyText) -> str:
    """The wording of a text (title, summary, sections), not its translation record."""
    wording = {
        "title": text.title,
        "summary": text.summary,
        "sections": [[s.id, s.heading, s.body] for s in text.sections],
    }
    data = json.dumps(wording, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:16]


def state(text: PolicyText, lang: str, original_lang: str, original: PolicyText) -> State:
    if lang == original_lang:
        return "original"
    record = text.translation
    if record is None or record.source != original_lang:
        return "unmarked"
    return "current" if record.source_hash == fingerprint(original) else "stale"


_RECORD = re.compile(r"^translation:[^\n]*\n(?:[ \t]+[^\n]*\n|[ \t]*\n)*", re.MULTILINE)


def write_record(path: Path, source_lang: str, source_hash: str) -> None:
    """Put the translation record at the end of a text file, replacing an earlier one; the
    rest of the file is left exactly as the maintainer wrote it."""
    text = path.read_text(encoding="utf-8")
    text = _RECORD.sub("", text).rstrip("\n") + "\n"
    text += f"translation:\n  source: {source_lang}\n  source_hash: {source_hash}\n"
    path.write_text(text, encoding="utf-8")


class NotATranslation(PolicySiteError):
    """mark-translated was asked about the original text."""
