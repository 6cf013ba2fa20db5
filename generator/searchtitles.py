"""MkDocs plugin for stage 4: every search result names its organisation.

Material's search shows a page's title; two organisations' "Avtale om hjemmekontor" would look
the same. After the search plugin has written its index, each entry of a page that belongs to
an organisation (its address starts with the organisation's folder) gets the organisation's
name in its title, so the result list says whose page it is and a search for the name finds it.
The pages themselves keep their titles.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin


class SearchTitlesConfig(base.Config):
    organisations = c.Type(dict, default={})
    """Folder (slug) -> the organisation's name in this written form."""
    title = c.Type(str, default="{title} ({name})")
    """How a title names its organisation (strings.yml: search_title)."""


class SearchTitles(BasePlugin[SearchTitlesConfig]):
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        index = Path(config.site_dir) / "search" / "search_index.json"
        if not index.is_file():
            return
        data = json.loads(index.read_text("utf-8"))
        names = self.config.organisations
        for doc in data.get("docs", []):
            location = str(doc.get("location", ""))
            name = names.get(location.split("/", 1)[0])
            # The page's own entry heads its group of results; its sections stay as they are.
            title = doc.get("title")
            if name and "#" not in location and title and name not in title:
                doc["title"] = self.config.title.format(title=doc["title"], name=name)
        # Written as the search plugin writes it: compact, one line.
        index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")
