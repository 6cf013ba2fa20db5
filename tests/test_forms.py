"""Broken form definitions and attachments: `file:line:col: message`, exit 1, like content."""

from __future__ import annotations

import contextlib
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import generator.forms
from generator.cli import main
from generator.kept import Kept, keeping
from generator.project import FormInstance
from generator.validate import check_content, load_project
from tests.conftest import ROOT, fixture_content
from tests.test_validate import replace

CHECKLIST = "sjekkliste.yml"
AGREEMENT = "avtale.yml"
FOLLOW_UP = "oppfolgingssamtale.yml"


def in_forms(edit: Callable[[Path], None]) -> Callable[[Path, Path], None]:
    return lambda forms, content: edit(forms)


def in_content(edit: Callable[[Path], None]) -> Callable[[Path, Path], None]:
    return lambda forms, content: edit(content)


def drop_lines(file: str, line: str) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / file
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        assert any(x.strip() == line for x in lines)
        path.write_text("".join(x for x in lines if x.strip() != line), encoding="utf-8")

    return edit


CASES = [
    (
        "unknown key",
        in_forms(
            replace(
                CHECKLIST,
                '    legend:\n      nb: "Arbeidsstol',
                '    legnd:\n      nb: "Arbeidsstol',
            )
        ),
        CHECKLIST,
        36,
        5,
        "unknown key 'legnd' in sections[1]: did you mean 'legend'?",
    ),
    (
        "unknown field type",
        in_forms(
            replace(
                CHECKLIST,
                "      - name: navn\n        type: text",
                "      - name: navn\n        type: tekst",
            )
        ),
        CHECKLIST,
        24,
        15,
        "sections[0].fields[0].type: expected one of 'text', 'textarea'",
    ),
    (
        "radio without options",
        in_forms(
            replace(
                CHECKLIST,
                "      - name: navn\n        type: text",
                "      - name: navn\n        type: radio",
            )
        ),
        CHECKLIST,
        23,
        9,
        "sections[0].fields[0]: a radio field needs at least two options",
    ),
    (
        "duplicate field name",
        in_forms(replace(CHECKLIST, "      - name: enhet", "      - name: navn")),
        CHECKLIST,
        27,
        15,
        "sections[0].fields[1].name: field name 'navn' is used twice in the form",
    ),
    (
        "unknown rule in a label",
        in_forms(
            replace(
                CHECKLIST,
                "label: {nb: Navn, nn: Namn}",
                "label: {nb: 'Navn {{ rules.nope }}', nn: Namn}",
            )
        ),
        CHECKLIST,
        25,
        36,
        "sections[0].fields[0].label.nb: unknown rule 'nope': declare it in content/rules.yml",
    ),
    (
        "condition with a typo",
        in_forms(
            replace(
                CHECKLIST,
                "        label: {nb: Navn, nn: Namn}",
                "        when: rules.equipmnt_on_loan\n        label: {nb: Navn, nn: Namn}",
            )
        ),
        CHECKLIST,
        25,
        15,
        "sections[0].fields[0].when: unknown rule 'equipmnt_on_loan': did you mean 'equipment_on_loan'? If not, declare it in content/rules.yml",
    ),
    (
        "comparing a rule with text in a condition",
        in_forms(
            replace(
                CHECKLIST,
                "        label: {nb: Navn, nn: Namn}",
                "        when: rules.home_days_per_week_max > 'fem'\n        label: {nb: Navn, nn: Namn}",
            )
        ),
        CHECKLIST,
        25,
        15,
        "sections[0].fields[0].when: the text cannot be filled in: '>' not supported between instances of 'int' and 'str'",
    ),
    (
        "a runtime error in a label",
        in_forms(
            replace(
                CHECKLIST,
                "label: {nb: Navn, nn: Namn}",
                "label: {nb: 'Navn {{ 1 // 0 }}', nn: Namn}",
            )
        ),
        CHECKLIST,
        25,
        27,
        "sections[0].fields[0].label.nb: the text cannot be filled in: integer division or modulo by zero",
    ),
    (
        "id differs from file name",
        in_forms(replace(CHECKLIST, "id: sjekkliste", "id: sjekklista")),
        CHECKLIST,
        1,
        5,
        "id: form id 'sjekklista' differs from the file name 'sjekkliste.yml'",
    ),
    (
        "rows on a text field",
        in_forms(
            replace(
                CHECKLIST,
                "      - name: navn\n        type: text",
                "      - name: navn\n        rows: 3\n        type: text",
            )
        ),
        CHECKLIST,
        23,
        9,
        "sections[0].fields[0]: rows applies to textarea fields only",
    ),
    (
        "yaml syntax",
        in_forms(
            replace(
                CHECKLIST,
                "  nb: Sjekkliste for hjemmekontoret",
                "  nb: [Sjekkliste for hjemmekontoret",
            )
        ),
        CHECKLIST,
        5,
        5,
        "YAML syntax error: expected ',' or ']', but got ':'",
    ),
    (
        "a § 2 point left uncovered",
        in_forms(drop_lines(AGREEMENT, "covers: [6]")),
        AGREEMENT,
        15,
        13,
        "must_cover: § 2 point 6 (eventuell prøveperiode) is not covered by any field for organisation 'testkommune'",
    ),
    (
        "unknown form attached",
        in_content(
            replace(
                "policies/heimekontor/policy.yml",
                "attachments: [avtale,",
                "attachments: [skjemaet, avtale,",
            )
        ),
        "policies/heimekontor/policy.yml",
        35,
        15,
        "attachments[0]: unknown form 'skjemaet' (known: avtale, oppfolgingssamtale, sjekkliste, utstyrslan)",
    ),
    (
        "show_if naming no earlier choice",
        in_forms(
            replace(
                AGREEMENT,
                "show_if: {field: proveperiode, value: ja}",
                "show_if: {field: proveperode, value: ja}",
            )
        ),
        AGREEMENT,
        324,
        26,
        "sections[7].fields[1].show_if.field: 'proveperode' is not a radio, select or checkbox field before 'proveperiode_slutt' in this form: name one",
    ),
    (
        "show_if with an answer the choice lacks",
        in_forms(
            replace(
                AGREEMENT,
                "show_if: {field: proveperiode, value: ja}",
                "show_if: {field: proveperiode, value: kanskje}",
            )
        ),
        AGREEMENT,
        324,
        47,
        "sections[7].fields[1].show_if.value: 'proveperiode' has no answer 'kanskje' (its answers: ja, nei)",
    ),
    (
        "a date after a field that is no date",
        in_forms(replace(AGREEMENT, "        after: startdato\n", "        after: varighet\n")),
        AGREEMENT,
        208,
        16,
        "sections[5].fields[2].after: 'varighet' is not a date field before 'sluttdato' in this form: name one",
    ),
    (
        "a limit that is no number",
        in_forms(
            replace(
                AGREEMENT,
                "        min: 0\n        # The policy's",
                "        min: fem\n        # The policy's",
            )
        ),
        AGREEMENT,
        89,
        14,
        "sections[2].fields[0].min: 'fem' is not a number once the rules are filled in",
    ),
    (
        "min on a text field",
        in_forms(
            replace(
                CHECKLIST,
                "      - name: navn\n        type: text",
                "      - name: navn\n        min: 1\n        type: text",
            )
        ),
        CHECKLIST,
        23,
        9,
        "sections[0].fields[0]: min and max apply to number fields only",
    ),
    (
        "required_if naming no number field",
        in_forms(
            replace(
                CHECKLIST,
                "      - name: enhet\n",
                "      - name: enhet\n        required_if: {field: navn, above: 2}\n",
            )
        ),
        CHECKLIST,
        28,
        30,
        "sections[0].fields[1].required_if.field: 'navn' is not a number field before 'enhet' in this form: name one",
    ),
    (
        "required_if on a checkbox",
        in_forms(
            replace(
                CHECKLIST,
                "      - name: navn\n        type: text",
                "      - name: navn\n        required_if: {field: x, above: 1}\n        type: checkbox",
            )
        ),
        CHECKLIST,
        23,
        9,
        "sections[0].fields[0]: required_if applies to fields one writes or chooses in, not to checkbox fields",
    ),
    (
        "months_after naming no earlier date",
        in_forms(
            replace(FOLLOW_UP, "months_after: {field: dato,", "months_after: {field: datoen,")
        ),
        FOLLOW_UP,
        113,
        31,
        "sections[4].fields[0].months_after.field: 'datoen' is not a date field before 'neste_oppfolging' in this form: name one",
    ),
    (
        "months_after of a number that is no whole month",
        in_forms(
            replace(
                FOLLOW_UP,
                'months: "{{ rules.follow_up_interval_months }}"',
                'months: "{{ rules.follow_up_interval_months }},5"',
            )
        ),
        FOLLOW_UP,
        113,
        45,
        "sections[4].fields[0].months_after.months: '6.5' is not a whole number of months (1-120)",
    ),
    (
        "calendar on a text field",
        in_forms(
            replace(
                CHECKLIST,
                "      - name: navn\n        type: text",
                "      - name: navn\n        calendar: {nb: Møte, nn: Møte}\n        type: text",
            )
        ),
        CHECKLIST,
        23,
        9,
        "sections[0].fields[0]: months_after and calendar apply to date fields only",
    ),
]


@pytest.mark.parametrize(
    ("case", "edit", "file", "line", "col", "message"), CASES, ids=[case[0] for case in CASES]
)
def test_broken_forms_are_reported_with_their_place(
    tmp_path: Path,
    case: str,
    edit: Callable[[Path, Path], None],
    file: str,
    line: int,
    col: int,
    message: str,
) -> None:
    content = fixture_content("minimal", tmp_path)
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    edit(forms, content)
    where = forms / file if file.endswith(".yml") and "/" not in file else content / file

    result = CliRunner().invoke(
        main, ["check", "--project", str(ROOT), "--content", str(content), "--forms", str(forms)]
    )

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    expected = f"{where}:{line}:{col}: {message}"
    assert any(out.startswith(expected) for out in result.output.splitlines()), (
        f"expected a line starting with\n  {expected}\ngot\n{result.output}"
    )


def test_the_project_forms_cover_every_point_for_every_organisation() -> None:
    result = CliRunner().invoke(main, ["check", "--project", str(ROOT)])
    assert result.exit_code == 0, result.output


# Forms resolved by an earlier build are kept as data (``generator.kept``) and taken as they
# are when the definition, the policy's changes, the rules and the words are unchanged.


def resolved_forms(
    content: Path, forms: Path, templates: Path, kept: Kept | None = None
) -> list[FormInstance]:
    with keeping(kept) if kept is not None else contextlib.nullcontext():
        return load_project(content, forms, templates).forms


@pytest.mark.parametrize("content", [ROOT / "content", ROOT / "tests/fixtures/new-orgs/content"])
def test_forms_kept_by_an_earlier_build_are_the_forms_resolved_afresh(
    content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = Kept()
    first = resolved_forms(content, ROOT / "forms", ROOT / "site_templates", earlier)
    assert first == resolved_forms(content, ROOT / "forms", ROOT / "site_templates")

    def not_again(self: object) -> None:
        raise AssertionError("resolved again")

    monkeypatch.setattr(generator.forms._Resolver, "resolve", not_again)
    again = resolved_forms(content, ROOT / "forms", ROOT / "site_templates", Kept(earlier.dump()))
    assert again == first  # the same types too: tuples stay tuples
    made_from = [[(form.made_from, form.shows) for form in i.forms.values()] for i in first]
    assert made_from == [[(form.made_from, form.shows) for form in i.forms.values()] for i in again]
    assert all(all(all(pair) for pair in row) for row in made_from)


def test_a_kept_form_makes_its_sections_only_when_they_are_used() -> None:
    content, forms, templates = ROOT / "content", ROOT / "forms", ROOT / "site_templates"
    earlier = Kept()
    first = resolved_forms(content, forms, templates, earlier)
    again = resolved_forms(content, forms, templates, Kept(earlier.dump()))
    fresh = {(i.org, i.form_id, lang): f for i in first for lang, f in i.forms.items()}
    for instance in again:
        for lang, form in instance.forms.items():
            made = fresh[instance.org, instance.form_id, lang]
            # What a build needs of every form (its PDF's fields) comes without its sections.
            assert form.field_names == made.field_names
            assert form.descriptions == made.descriptions
            assert "sections" not in vars(form)
            # A worker gets the whole form: a copy in another process has its sections.
            copy = pickle.loads(pickle.dumps(form))
            assert "sections" in vars(copy)
            assert not [name for name in vars(copy) if name.startswith("_")]
            assert copy == made
            assert form.sections == made.sections
            assert form.controls == made.controls


@pytest.mark.parametrize(
    ("case", "edit"), [case[:2] for case in CASES], ids=[case[0] for case in CASES]
)
def test_a_problem_is_found_again_where_the_forms_were_kept(
    tmp_path: Path, case: str, edit: Callable[[Path, Path], None]
) -> None:
    content = fixture_content("minimal", tmp_path)
    forms = tmp_path / "forms"
    shutil.copytree(ROOT / "forms", forms)
    edit(forms, content)
    earlier = Kept()
    with keeping(earlier):
        found = check_content(content, forms, ROOT / "site_templates")[1]
    assert found
    for _ in range(2):  # from what the first check kept, and from what the second one did
        kept = Kept(earlier.dump())
        with keeping(kept):
            assert check_content(content, forms, ROOT / "site_templates")[1] == found
        earlier = kept


FORM_CHANGES = {
    "the form's definition": ("forms/sjekkliste.yml", "Stolen er stabil", "Stolen står støtt"),
    "the policy's changes to it": (
        "content/policies/heimekontor/policy.yml",
        "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
        "attachments: [avtale, {form: sjekkliste, leave_out: [stol_stabil]}, oppfolgingssamtale]",
    ),
    "the words forms are put together with": (
        "site_templates/strings.yml",
        "name: navn med blokkbokstaver",
        "name: fullt navn",
    ),
}


@pytest.mark.parametrize("change", FORM_CHANGES)
def test_a_kept_form_is_resolved_again_when_what_it_is_made_from_changed(
    change: str, tmp_path: Path
) -> None:
    content = fixture_content("minimal", tmp_path)
    forms, templates = tmp_path / "forms", tmp_path / "site_templates"
    shutil.copytree(ROOT / "forms", forms)
    shutil.copytree(ROOT / "site_templates", templates, ignore=shutil.ignore_patterns("assets"))
    earlier = Kept()
    before = resolved_forms(content, forms, templates, earlier)
    file, old, new = FORM_CHANGES[change]
    edited = (content.parent if file.startswith("content/") else tmp_path) / file
    assert old in edited.read_text("utf-8")
    edited.write_text(edited.read_text("utf-8").replace(old, new), "utf-8")

    after = resolved_forms(content, forms, templates, Kept(earlier.dump()))

    assert after == resolved_forms(content, forms, templates) != before
    # A form's PDF is kept under what the form shows: a form that changed shows another, so
    # its PDF is written again; one that did not keeps it.
    earlier_forms = {(i.org, i.form_id, lang): f for i in before for lang, f in i.forms.items()}
    for instance in after:
        for lang, form in instance.forms.items():
            old_form = earlier_forms.get((instance.org, instance.form_id, lang))
            assert form.made_from and form.shows
            if old_form is not None:
                assert (form.shows == old_form.shows) == (form == old_form), (form.id, lang)
