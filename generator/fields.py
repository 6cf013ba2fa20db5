"""The building blocks every content model shares: the written forms, slugs, localized text."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

LANGUAGES: tuple[str, ...] = ("nb", "nn")
"""The written forms every page and form is produced in, in site order."""

LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk"}
"""The written forms' names in the maintainers' messages (the pages take theirs from
strings.yml)."""

Lang = Literal["nb", "nn"]
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
"""Lowercase letters, digits and single hyphens: an address's part."""
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
Text = Annotated[str, Field(min_length=1, pattern=r"^\s*\S")]
"""Text with at least one character that is not a space (a blank label is no label)."""
FieldName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


class Model(BaseModel):
    """A content model: documented fields, unknown keys are errors, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Localized(Model):
    """The same text in both written forms."""

    nb: Text
    """Bokmål."""
    nn: Text
    """Nynorsk."""

    def __getitem__(self, lang: str) -> str:
        return getattr(self, lang)
