"""The site's Jinja environments: compiled templates are reused within a process and, kept in a
build's folder, by the next build's processes; never stale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment

import generator.templates
from generator.templates import keeping_compiled, page_environment


def test_a_changed_template_is_compiled_again_and_escaping_is_kept_apart(tmp_path: Path) -> None:
    template = tmp_path / "page.j2"
    template.write_text("<b>{{ text }}</b> one\n", encoding="utf-8")
    text = "<i>x</i>"

    html = page_environment(tmp_path, "nb", autoescape=True).get_template("page.j2")
    assert html.render(text=text) == "<b>&lt;i&gt;x&lt;/i&gt;</b> one\n"

    # The same file in a Markdown environment: its own code, not the HTML one's.
    markdown = page_environment(tmp_path, "nb").get_template("page.j2")
    assert "&lt;i&gt;" not in markdown.render(text=text)

    # A new build (a new environment) after an edit: the edit shows, in both kinds.
    template.write_text("<b>{{ text }}</b> two\n", encoding="utf-8")
    again = page_environment(tmp_path, "nb", autoescape=True).get_template("page.j2")
    assert again.render(text=text) == "<b>&lt;i&gt;x&lt;/i&gt;</b> two\n"
    assert (
        page_environment(tmp_path, "nn").get_template("page.j2").render(text="y").endswith("two\n")
    )


def test_templates_compiled_in_a_folder_are_taken_from_it_by_a_new_process_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates, kept = tmp_path / "templates", tmp_path / "compiled"
    templates.mkdir()
    (templates / "page.j2").write_text("{% for i in items %}<{{ i }}>{% endfor %} one\n", "utf-8")
    compiles: list[str] = []
    compile_ = Environment.compile

    def counted(self: Environment, source: Any, name: str | None = None, *args: Any) -> Any:
        compiles.append(str(name))
        return compile_(self, source, name, *args)

    monkeypatch.setattr(Environment, "compile", counted)

    def render() -> str:
        # A new process: nothing compiled in memory.
        monkeypatch.setattr(generator.templates, "_COMPILED", {})
        with keeping_compiled(kept):
            env = page_environment(templates, "nb", autoescape=True)
            return env.get_template("page.j2").render(items=["a", "<b>"])

    assert render() == "<a><&lt;b&gt;> one\n"
    assert compiles == ["page.j2"] and len(list(kept.iterdir())) == 1
    assert render() == "<a><&lt;b&gt;> one\n"
    assert compiles == ["page.j2"]  # taken from the folder

    # Damaged on disk: compiled again, the same page.
    stored = next(kept.iterdir())
    stored.write_bytes(stored.read_bytes()[:-20] + b"\0" * 20)
    assert render() == "<a><&lt;b&gt;> one\n"
    assert compiles == ["page.j2"] * 2
    # Edited: compiled again, the edit shows.
    (templates / "page.j2").write_text("{% for i in items %}[{{ i }}]{% endfor %} two\n", "utf-8")
    assert render() == "[a][&lt;b&gt;] two\n"
    assert compiles == ["page.j2"] * 3
    # Outside ``keeping_compiled``, nothing is written anywhere.
    monkeypatch.setattr(generator.templates, "_COMPILED", {})
    page_environment(templates, "nn").get_template("page.j2").render(items=[])
    assert len(list(kept.iterdir())) == 1
