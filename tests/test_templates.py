"""The site's Jinja environments: compiled templates are reused within a process, never stale."""

from __future__ import annotations

from pathlib import Path

from generator.templates import page_environment


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
