"""`policy-site check --spelling`: hunspell's official nb_NO and nn_NO dictionaries over every
text and label, unknown words reported at their place; names and terms in the word list pass."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.spelling import _words
from tests.conftest import ROOT, fixture_content
from tests.test_validate import replace

NB = "policies/heimekontor/nb.yml"
NN = "policies/heimekontor/nn.yml"


def spell(content: Path, forms: Path = ROOT / "forms") -> tuple[int, list[str]]:
    result = CliRunner().invoke(
        main, ["check", "--spelling", "--content", str(content), "--forms", str(forms)]
    )
    return result.exit_code, result.output.splitlines()


def test_the_project_content_and_forms_are_spelled_right() -> None:
    code, output = spell(ROOT / "content")
    assert code == 0, "\n".join(output)
    assert output[-1] == "Content is valid. Spelling is clean."


def test_a_misspelled_word_is_reported_where_it_stands(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(NB, "Lederen følger opp", "Lederen føljer opp")(content)
    replace(NN, "kan arbeide heime", "kan arbeide hjemme")(content)  # Bokmål in the nn text

    code, output = spell(content)

    assert code == 1
    assert f"{content / NB}:11:15: unknown word 'føljer' (nb)" in output
    assert f"{content / NN}:7:28: unknown word 'hjemme' (nn)" in output
    assert "2 problem(s) found." in output, output


def test_words_of_the_other_written_form_are_caught(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(NN, "Leiaren fylgjer opp kvar", "Lederen følger opp hver")(content)

    code, output = spell(content)

    assert code == 1
    assert any(line.endswith("unknown word 'Lederen' (nn)") for line in output), output


def test_rules_links_and_word_list_are_not_prose(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(
        NB,
        "egen bolig.",
        "egen bolig. Se [Websakk](https://example.org/xyzzy) og "
        "{{ rules.follow_up_interval_months }}.",
    )(content)
    with (content / "ordliste.txt").open("a", encoding="utf-8") as wordlist:
        wordlist.write("Websakk\n")

    code, output = spell(content)

    assert code == 0, "\n".join(output)


@pytest.mark.parametrize("run", ["A", "a.", "x@", "{{", "{%", "]("])
def test_a_very_long_word_does_not_hold_the_check_up(run: str) -> None:
    """A title of one 900,000-letter word (under the 1 MB a file may have) once kept `check
    --spelling`, `status` and the build's summary busy for hours: the parts that are not prose
    were looked for from every letter. A hang, not a speed, is what this guards against."""
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the words of one long word hung"))
    signal.alarm(60)
    try:
        words = _words(run * 450_000 + " hjemmekontor")
    finally:
        signal.alarm(0)
    assert words[-1] == "hjemmekontor"


def test_a_second_check_takes_unchanged_files_as_found_and_checks_changed_ones(
    tmp_path: Path,
) -> None:
    content = fixture_content("minimal", tmp_path)
    site = ["--site", str(tmp_path / "site")]
    runner = CliRunner()

    def check() -> list[str]:
        result = runner.invoke(main, ["check", "--spelling", "--content", str(content), *site])
        return [line for line in result.output.splitlines() if "unknown word" in line]

    replace(NB, "Lederen følger opp", "Lederen føljer opp")(content)
    first = check()
    assert first == [f"{content / NB}:11:15: unknown word 'føljer' (nb)"]
    assert any((tmp_path / ".site.cache").iterdir()), "the words found are kept beside the site"
    assert check() == first

    # A changed file is checked again; the others are as they were.
    replace(NB, "Lederen føljer opp", "Lederen følger oppp")(content)
    assert check() == [f"{content / NB}:11:22: unknown word 'oppp' (nb)"]

    # A word added to the word list is known in every file from then on.
    with (content / "ordliste.txt").open("a", encoding="utf-8") as wordlist:
        wordlist.write("oppp\n")
    assert check() == []

    # What is kept is only ever taken for the same text: a damaged store is checked anew.
    for stored in (tmp_path / ".site.cache").iterdir():
        stored.write_bytes(b"garbage")
    replace(NB, "Lederen følger oppp", "Lederen føljer opp")(content)
    assert check() == first
