"""Translation freshness: a translation marked done stays "up to date" until its original
changes; then `check` warns (an error under --strict) and the page tells the reader."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from tests.conftest import ROOT, build_site, fixture_content
from tests.test_validate import replace

FOLDER = "policies/heimekontor"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_a_marked_translation_is_up_to_date(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    code, output = run("check", "--strict", "--content", str(content))
    assert code == 0, output
    assert f"{content / FOLDER}: nb up to date, nn original" in output
    assert "warning" not in output


def test_a_changed_original_makes_the_translation_stale(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(
        f"{FOLDER}/nn.yml",
        "Heimekontoret må vere i eigen bustad.",
        "Heimekontoret må vere i eigen bustad, ikkje på hytta.",
    )(content)

    code, output = run("check", "--content", str(content))
    assert code == 0, output  # a warning, not an error
    assert f"{content / FOLDER}: nb stale, nn original" in output
    assert f"{content / FOLDER / 'nb.yml'}:1:1: warning: the Bokmål translation is stale" in output

    code, output = run("check", "--strict", "--content", str(content))
    assert code == 1
    assert "1 problem(s) found." in output

    site = build_site(content, tmp_path / "site", pdfs=False)  # the pages say it
    nb = (site / "nb/testkommune/heimekontor/index.html").read_text(encoding="utf-8")
    assert "oversettelsen kan være utdatert" in nb
    nn = (site / "nn/testkommune/heimekontor/index.html").read_text(encoding="utf-8")
    assert "utdatert" not in nn


def test_marking_it_done_again_records_the_new_original(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(f"{FOLDER}/nn.yml", "Omfang", "Omfang og avgrensing")(content)
    before = (content / FOLDER / "nb.yml").read_text(encoding="utf-8")

    code, output = run("mark-translated", "--content", str(content), str(content / FOLDER), "nb")

    assert code == 0, output
    after = (content / FOLDER / "nb.yml").read_text(encoding="utf-8")
    kept = [
        line for line in before.splitlines() if not line.startswith(("translation:", "  source"))
    ]
    assert after.splitlines()[: len(kept)] == kept, "the rest of the file must stay as written"
    assert after.count("translation:") == 1
    code, output = run("check", "--strict", "--content", str(content))
    assert code == 0, output
    assert "nb up to date" in output


def test_the_original_cannot_be_marked_as_a_translation(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    code, output = run("mark-translated", "--content", str(content), str(content / FOLDER), "nn")
    assert code == 1
    assert "nn.yml is the original text" in output


def test_a_folder_of_another_content_folder_says_to_name_that_one(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    code, output = run("mark-translated", str(content / FOLDER), "nb")  # the project's content
    assert code == 1
    assert f"is not a policy folder of {ROOT / 'content'}: name a folder of " in output
    assert "or give its content folder with --content" in output


def test_a_changed_rule_does_not_make_translations_stale(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(f"{FOLDER}/policy.yml", "home_days_per_week_max: 2", "home_days_per_week_max: 3")(
        content
    )
    code, output = run("check", "--strict", "--content", str(content))
    assert code == 0, output


def test_the_project_translations_are_up_to_date() -> None:
    code, output = run("check", "--strict", "--content", str(ROOT / "content"))
    assert code == 0, output
    assert "stale" not in output and "not marked" not in output
