"""Broken content: every kind of mistake gives `file:line:col: message`, exit 1, and no change
to the site that is already there."""

from __future__ import annotations

import re
import subprocess
import sys
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pydantic import BaseModel, TypeAdapter, ValidationError

from generator.cli import main
from tests.conftest import ROOT, fixture_content, tree_digest

POLICY = "policies/heimekontor/policy.yml"
NB = "policies/heimekontor/nb.yml"
NN = "policies/heimekontor/nn.yml"
ORG = "organisations/testkommune.yml"
RULES = "rules.yml"


def replace(file: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(content: Path) -> None:
        path = content / file
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture no longer contains {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def write(file: str, text: str) -> Callable[[Path], None]:
    return lambda content: (content / file).write_text(text, encoding="utf-8")


def both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(content: Path) -> None:
        for each in edits:
            each(content)

    return edit


def delete(file: str) -> Callable[[Path], None]:
    return lambda content: (content / file).unlink()


def replace_bytes(file: str, old: bytes, new: bytes) -> Callable[[Path], None]:
    """For what no text editor would save: bytes that are not UTF-8."""

    def edit(content: Path) -> None:
        path = content / file
        data = path.read_bytes()
        assert old in data, f"fixture no longer contains {old!r}"
        path.write_bytes(data.replace(old, new, 1))

    return edit


SUMMARY = "summary: Hvordan ansatte i Testkommune kan jobbe hjemmefra."
LAUGHS = "\n".join(
    ["lol:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
)
"""A billion laughs: nine lines that would make 9**9 nodes, under a key no schema knows."""


# (case, edit, file, line, col, message) — the message is matched from its start.
CASES = [
    (
        "yaml syntax",
        replace(NB, "title: Hjemmekontor", "title: [Hjemmekontor"),
        NB,
        2,
        8,
        "YAML syntax error: expected ',' or ']', but got ':'",
    ),
    (
        "tab indentation",
        replace(NB, "    heading: Omfang", "\theading: Omfang"),
        NB,
        5,
        1,
        "YAML syntax error: a tab: YAML is indented with spaces only; replace the tab with spaces",
    ),
    (
        "colon inside a text",
        replace(NB, "heading: Omfang", "heading: Omfang: hvem og hvor"),
        NB,
        5,
        14,
        "YAML syntax error: the text holds ': ', which YAML reads as the start of another key: "
        'put the whole text in quotes ("Omfang: hvem og hvor")',
    ),
    (
        "key without its colon",
        replace(NB, "title: Hjemmekontor", "title Hjemmekontor"),
        NB,
        1,
        1,
        "YAML syntax error: this line has no ': ' after its key: write 'key: value'",
    ),
    (
        "no space after a list item's dash",
        replace(NB, "  - id: oppfolging", "  -id: oppfolging"),
        NB,
        8,
        3,
        "YAML syntax error: a list item needs a space after its '-': write '- ' and then the item",
    ),
    (
        "a key moved left",
        replace(POLICY, "  home_days_per_week_max: 2", "home_days_per_week_max: 2"),
        POLICY,
        27,
        3,
        "YAML syntax error: this line is indented further than line 26, which has its value "
        "already: indent the keys of one mapping alike",
    ),
    (
        "text line indented less than its text",
        replace(NB, "      Hjemmekontoret må være", "    Hjemmekontoret må være"),
        NB,
        15,
        5,
        "YAML syntax error: this line is read as a key, not as text: a text's lines must all be "
        "indented at least as far as its first line (see line 11)",
    ),
    (
        "a text's first line not indented past its key",
        replace(NB, "    body: |\n      Ansatte kan", "    body: |\n    Ansatte kan"),
        NB,
        7,
        5,
        "YAML syntax error: this line is read as a key, not as text: the lines of 'body' must be "
        "indented further than 'body:' on line 6",
    ),
    (
        "no space after a key's colon",
        replace(NB, "summary: Hvordan", "summary:Hvordan"),
        NB,
        2,
        1,
        "YAML syntax error: a key needs a space after its colon: write 'summary: …'",
    ),
    ("empty file", write(NB, ""), NB, 1, 1, "file is empty: expected a mapping of keys"),
    (
        "not a mapping",
        write(NB, "- title\n- summary\n"),
        NB,
        1,
        1,
        "expected a mapping of keys, got a list",
    ),
    (
        "duplicate key",
        replace(NB, "summary:", "title: Igjen\nsummary:"),
        NB,
        2,
        1,
        "duplicate key 'title'",
    ),
    (
        "missing key",
        replace(NB, "summary: Hvordan ansatte i Testkommune kan jobbe hjemmefra.\n", ""),
        NB,
        1,
        1,
        "top level: missing required key 'summary'",
    ),
    (
        "missing nested key",
        replace(POLICY, "    url: https://lovdata.no/lov/2005-06-17-62\n", ""),
        POLICY,
        29,
        5,
        "references[0]: missing required key 'url'",
    ),
    (
        "unknown key (typo)",
        replace(POLICY, "next_review:", "next_reveiw:"),
        POLICY,
        13,
        1,
        "unknown key 'next_reveiw' in top level: did you mean 'next_review'?",
    ),
    (
        "undeclared rule (typo)",
        replace(POLICY, "  home_days_per_week_max: 2", "  home_days_per_weak_max: 2"),
        POLICY,
        26,
        3,
        "unknown rule 'home_days_per_weak_max' in rules: did you mean "
        "'home_days_per_week_max'? If not, declare it in content/rules.yml",
    ),
    (
        "undeclared rule",
        replace(POLICY, "  home_days_per_week_max: 2", "  kilometre_allowance: 4"),
        POLICY,
        26,
        3,
        "unknown rule 'kilometre_allowance' in rules: declare it in content/rules.yml",
    ),
    (
        "wrong value type for a rule",
        replace(POLICY, "follow_up_interval_months: 6", "follow_up_interval_months: seks"),
        POLICY,
        27,
        30,
        "rules.follow_up_interval_months: expected a number of months (a whole number, like 6), got 'seks'",
    ),
    (
        "wrong value type for a boolean rule",
        replace(POLICY, "  home_days_per_week_max: 2", "  trust_based: kanskje"),
        POLICY,
        26,
        16,
        "rules.trust_based: expected true or false, got 'kanskje'",
    ),
    (
        "unknown rule type",
        replace(RULES, "  type: boolean", "  type: bool"),
        RULES,
        14,
        9,
        "[1].type: unknown rule type 'bool': did you mean 'boolean'? expected one of integer",
    ),
    (
        "rule declared twice",
        replace(RULES, "- id: trust_based", "- id: home_days_per_week_max"),
        RULES,
        43,
        7,
        "[7].id: rule 'home_days_per_week_max' is declared twice",
    ),
    ("missing rule catalogue", delete(RULES), RULES, 1, 1, "missing rule catalogue"),
    (
        "number where text is expected",
        replace(POLICY, 'version: "2.0"\nstatus', "version: 2.0\nstatus"),
        POLICY,
        4,
        10,
        'version: expected text, got the number 2.0: write it in quotes, as in "2.0", to keep it '
        "as text",
    ),
    (
        "value not allowed",
        replace(POLICY, "status: active", "status: aktiv"),
        POLICY,
        5,
        9,
        "status: expected one of 'draft', 'active' or 'retired', got 'aktiv'",
    ),
    (
        "impossible date",
        replace(POLICY, "effective: 2024-04-01", "effective: 2024-13-01"),
        POLICY,
        12,
        12,
        "effective: expected a date as YYYY-MM-DD, got '2024-13-01'",
    ),
    (
        "out of range",
        replace(POLICY, "home_days_per_week_max: 2", "home_days_per_week_max: 9"),
        POLICY,
        26,
        27,
        "rules.home_days_per_week_max: expected a number at most 7, got the number 9",
    ),
    (
        "bad address",
        replace(POLICY, "url: https://lovdata.no", "url: lovdata.no"),
        POLICY,
        34,
        10,
        "references[0].url: expected a web address starting with http:// or https://",
    ),
    (
        "version missing from change log",
        replace(POLICY, 'version: "2.0"\nstatus', 'version: "3.0"\nstatus'),
        POLICY,
        4,
        10,
        "version: the change log has no entry for the current version '3.0': add one under "
        "changelog (version: '3.0'), or correct version",
    ),
    (
        "unknown organisation",
        replace(POLICY, "organisation: testkommune", "organisation: tetskommune"),
        POLICY,
        2,
        15,
        "unknown organisation 'tetskommune' (known: testkommune)",
    ),
    (
        "slug of the site's own pages",
        replace(ORG, "slug: testkommune", "slug: uu"),
        ORG,
        1,
        7,
        "slug: 'uu' is the address of the site's own pages (uu/): choose another slug",
    ),
    (
        "policy id of the organisation's forms",
        replace(POLICY, "id: heimekontor", "id: skjema"),
        POLICY,
        1,
        5,
        "id: 'skjema' is the address of the organisation's own forms",
    ),
    (
        "policy id of the organisation's own page",
        replace(POLICY, "id: heimekontor", "id: index"),
        POLICY,
        1,
        5,
        "id: 'index' is the address of the organisation's own page",
    ),
    (
        "policy id of the organisation's search index",
        replace(POLICY, "id: heimekontor", "id: pagefind"),
        POLICY,
        1,
        5,
        "id: 'pagefind' is the address of the organisation's own search index",
    ),
    (
        "name of only spaces",
        replace(ORG, "  nn: Testkommune", '  nn: " "'),
        ORG,
        4,
        7,
        "name.nn: expected text, got only spaces",
    ),
    (
        "name in one written form only",
        replace(ORG, "name:\n  nb: Testkommune\n  nn: Testkommune\n", "name: Testkommune\n"),
        ORG,
        2,
        7,
        "name: expected the text in both written forms, as {nb: Testkommune, nn: …}",
    ),
    (
        "a day that does not exist",
        replace(POLICY, "effective: 2024-04-01", "effective: 2026-02-30"),
        POLICY,
        12,
        12,
        "effective: expected a date as YYYY-MM-DD, got '2026-02-30': there is no such day",
    ),
    (
        "slug differs from file name",
        replace(ORG, "slug: testkommune", "slug: test-kommune"),
        ORG,
        1,
        7,
        "slug 'test-kommune' differs from the file name 'testkommune.yml': set slug to "
        "'testkommune', or rename the file test-kommune.yml",
    ),
    (
        "policy folder without policy.yml",
        lambda content: (content / "policies" / "utkast").mkdir(),
        "policies/utkast/policy.yml",
        1,
        1,
        "missing policy.yml in policy folder: write it (with nb.yml and nn.yml beside it), or "
        "move the folder out of policies/",
    ),
    (
        "missing language file",
        delete(NN),
        POLICY,
        1,
        1,
        "missing Nynorsk text: expected nn.yml beside it",
    ),
    (
        "section ids differ",
        replace(NN, "id: oppfolging", "id: oppfylging"),
        NN,
        8,
        9,
        "sections[1].id: section 'oppfylging' is not in nb.yml",
    ),
    (
        "heading in one written form only",
        replace(NN, "    heading: Oppfølging og særlege høve\n", ""),
        NN,
        8,
        9,
        "section 'oppfolging' has no heading here but has one in nb.yml: add 'heading:' here "
        "too, or leave it out in both",
    ),
    (
        "heading lost to a comment",
        replace(NN, "heading: Oppfølging og særlege høve", "heading: #2 Oppfølging"),
        NN,
        9,
        14,
        "'heading' has no value: a '#' starts a comment in YAML, so what follows it is left "
        'out; put the text in quotes ("#2 Oppfølging")',
    ),
    (
        "a tag never closed takes the rest of the text",
        replace(NB, "Ansatte kan jobbe hjemme", "Se <title> for mer. Ansatte kan jobbe hjemme"),
        NB,
        7,
        10,
        "sections[0].body: '<title>' is HTML that pages never show, and is never closed: the "
        "page would leave out everything after it",
    ),
    (
        "quotes nested too deep",
        replace(
            NB,
            "      Lederen følger opp",
            "      " + ">" * 200 + " dypt\n\n      Lederen følger opp",
        ),
        NB,
        11,
        7,
        "sections[1].body: quotes nested more than 10 deep ('>' at the start of a line starts a "
        "quote): use one or two, or write the '>' as '&gt;'",
    ),
    (
        "duplicate section id",
        replace(NB, "id: oppfolging", "id: omfang"),
        NB,
        8,
        9,
        "sections[1].id: section id 'omfang' is used twice",
    ),
    (
        "unknown rule in text",
        replace(NB, "rules.home_days_per_week_max", "rules.home_days_per_wek_max"),
        NB,
        7,
        48,
        "sections[0].body: unknown rule 'home_days_per_wek_max': did you mean "
        "'home_days_per_week_max'? If not, declare it in content/rules.yml",
    ),
    (
        "rule not set for the policy",
        replace(NB, "egen bolig.", "egen bolig, {{ rules.insurance_provider }}."),
        NB,
        15,
        53,
        "sections[1].body: rule 'insurance_provider' is used in the text but not set",
    ),
    (
        "template syntax",
        replace(
            NB, "{{ rules.follow_up_interval_months }}", "{{ rules.follow_up_interval_months }"
        ),
        NB,
        11,
        31,
        "sections[1].body: template error: unexpected '}'",
    ),
    (
        "missing document",
        replace(
            POLICY,
            "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
            "attachments:\n  - avtale\n  - document: rutine.pdf\n    title: {nb: Rutine, nn: Rutine}",
        ),
        POLICY,
        37,
        15,
        "attachments[1].document: document 'rutine.pdf' is not in the policy's folder",
    ),
    (
        "document that is not what its name says",
        both(
            replace(
                POLICY,
                "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
                "attachments:\n  - avtale\n  - document: rutine.docx\n    title: {nb: R, nn: R}",
            ),
            write("policies/heimekontor/rutine.docx", "hei"),
        ),
        POLICY,
        37,
        15,
        "attachments[1].document: document 'rutine.docx' is not a DOCX file (its content is not "
        "what a .docx holds): save it again as DOCX, or name it after what it is",
    ),
    (
        "document of a type that cannot be attached",
        replace(
            POLICY,
            "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
            "attachments:\n  - document: rutine.exe\n    title: {nb: Rutine, nn: Rutine}",
        ),
        POLICY,
        36,
        15,
        "attachments[0].document: expected the file name of a PDF, DOCX, ODT or XLSX document",
    ),
    (
        "link without a title",
        replace(
            POLICY,
            "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
            "attachments:\n  - link: https://lovdata.no/",
        ),
        POLICY,
        36,
        5,
        "attachments[0]: a link needs a title in each written form",
    ),
    (
        "unknown section id in an adaptation",
        replace(
            POLICY,
            "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
            "attachments:\n  - form: avtale\n    leave_out: [underskrift]",
        ),
        POLICY,
        37,
        17,
        "attachments[0].leave_out[0]: form 'avtale' has no section or field 'underskrift': did you mean 'underskrifter'?",
    ),
    (
        "unknown section for an added field",
        replace(
            POLICY,
            "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
            "attachments:\n  - form: avtale\n    add_fields:\n      - {section: omfnag, name: merknad, type: text, label: {nb: Merknad, nn: Merknad}}",
        ),
        POLICY,
        38,
        19,
        "attachments[0].add_fields[0].section: form 'avtale' has no section 'omfnag': did you mean 'omfang'?",
    ),
    (
        "runtime error in a text",
        replace(
            NB,
            "{{ rules.follow_up_interval_months }}",
            "{{ rules.follow_up_interval_months // 0 }}",
        ),
        NB,
        11,
        31,
        "sections[1].body: the text cannot be filled in: integer division or modulo by zero",
    ),
    (
        "a loop in a text",
        replace(
            NB, "{{ rules.follow_up_interval_months }}", "{% for x in [1, 2] %}{{ x }}{% endfor %}"
        ),
        NB,
        11,
        31,
        "sections[1].body: template error: '{% for %}' cannot be used in content text",
    ),
    (
        "a huge number in a text",
        replace(NB, "{{ rules.follow_up_interval_months }}", "{{ 10 ** (10 ** 9) }}"),
        NB,
        11,
        31,
        "sections[1].body: not allowed in content text: the number is too large",
    ),
    (
        "a huge text in a text",
        replace(NB, "{{ rules.follow_up_interval_months }}", "{{ 'x' * 10 ** 10 }}"),
        NB,
        11,
        31,
        "sections[1].body: not allowed in content text: the text would be too long",
    ),
    (
        "not a slug",
        replace(POLICY, "id: heimekontor", "id: Heime kontor"),
        POLICY,
        1,
        5,
        "id: expected letters a-z without æ, ø and å, digits and hyphens (like 'home-office'), "
        "got 'Heime kontor'",
    ),
    (
        "checksum that is not one",
        replace(NB, "source_hash: fc3019b9494e0ca6", "source_hash: FC3019"),
        NB,
        18,
        16,
        "translation.source_hash: expected the fingerprint that `policy-site mark-translated` "
        "writes (run it again rather than editing it), got 'FC3019'",
    ),
    (
        "not a section id or field name",
        replace(
            POLICY,
            "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
            "attachments: [avtale, {form: sjekkliste, leave_out: [Stol]}, oppfolgingssamtale]",
        ),
        POLICY,
        35,
        54,
        "attachments[1].leave_out[0]: expected a section id or field name (letters a-z without "
        "æ, ø and å, digits, - and _), got 'Stol'",
    ),
    (
        "not an e-mail address",
        replace(ORG, "email: post@testkommune.example", "email: post at testkommune.example"),
        ORG,
        8,
        10,
        "contact.email: expected an e-mail address, like postmottak@kommune.no, got 'post at "
        "testkommune.example'",
    ),
    (
        "word where a number is expected",
        replace(
            POLICY,
            "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
            "attachments:\n  - form: avtale\n    add_fields:\n      - {section: omfang, name: merknad, type: textarea, rows: mange, label: {nb: Merknad, nn: Merknad}}",
        ),
        POLICY,
        38,
        64,
        "attachments[0].add_fields[0].rows: expected a whole number, got 'mange'",
    ),
    (
        "heading level in body",
        replace(NB, "### Andre vilkår", "## Andre vilkår"),
        NB,
        10,
        11,
        "sections[1].body: headings inside a body start at ###",
    ),
    # Files that are not sane YAML: each gives its place, nothing is built from them.
    (
        "NUL character",
        replace(NB, "Hvordan ansatte", "Hvordan\0 ansatte"),
        NB,
        2,
        17,
        "NUL (U+0000) is not allowed in YAML: remove it",
    ),
    (
        "control character",
        replace(NB, "egen bolig", "egen\x1b bolig"),
        NB,
        15,
        36,
        "escape (U+001B) is not allowed in YAML: remove it",
    ),
    (
        "NUL written as an escape",
        replace(NB, SUMMARY, 'summary: "Hvordan\\0 ansatte"'),
        NB,
        2,
        10,
        "the text holds a NUL (U+0000), written as an escape: remove it",
    ),
    (
        "line separator",
        replace(NB, "Hvordan ansatte", "Hvordan\u2028ansatte"),
        NB,
        2,
        17,
        "line separator (U+2028) is not allowed in YAML: use an ordinary line break",
    ),
    (
        "too many values",
        replace(NB, SUMMARY, "summary: [" + "1, " * 60_000 + "1]"),
        NB,
        2,
        149_996,
        "more than 50000 values in one file: split it",
    ),
    (
        "invalid UTF-8 after other letters",
        replace_bytes(NB, "særlige".encode(), "særlige".encode() + b"\xff"),
        NB,
        9,
        35,
        "file is not UTF-8 text (byte 0xff here): save it with the encoding UTF-8",
    ),
    (
        "Latin-1 file",
        replace_bytes(NB, "Oppfølging".encode(), "Oppfølging".encode("latin-1")),
        NB,
        9,
        18,
        "file is not UTF-8 text (byte 0xf8 here)",
    ),
    (
        "deep nesting",
        replace(NB, SUMMARY, "summary: " + "[" * 5000 + "]" * 5000),
        NB,
        2,
        109,
        "nested deeper than 100 levels: content needs only a few; flatten it",
    ),
    (
        "billion laughs under an unknown key",
        replace(NB, "translation:", LAUGHS + "\ntranslation:"),
        NB,
        18,
        10,
        "YAML aliases (*a) are not supported: write the value out in full",
    ),
    (
        "alias of a text",
        replace(NB, SUMMARY, "summary: &s Hvordan\nextra: *s"),
        NB,
        3,
        8,
        "YAML aliases (*s) are not supported: write the value out in full",
    ),
    (
        "merge key",
        replace(NB, "  - id: omfang\n", "  - <<: {id: omfang}\n"),
        NB,
        4,
        5,
        "merge keys (<<) are not supported: write the keys out",
    ),
    (
        "unclosed quote",
        replace(NB, "summary: Hvordan", 'summary: "Hvordan'),
        NB,
        2,
        10,
        'unclosed quote: the text that starts here with " has no closing "; add it',
    ),
    (
        "unclosed single quote",
        replace(NB, "heading: Omfang", "heading: 'Omfang"),
        NB,
        5,
        14,
        "unclosed quote: the text that starts here with ' has no closing '; add it",
    ),
    (
        "unclosed bracket",
        replace(NB, SUMMARY, "summary: [Hvordan"),
        NB,
        3,
        9,
        "YAML syntax error: expected ',' or ']', but got ':'",
    ),
    (
        "python tag",
        replace(NB, SUMMARY, "summary: !!python/object/apply:os.system [echo]"),
        NB,
        2,
        10,
        "the tag !!python/object/apply:os.system is not supported: remove it",
    ),
    (
        "file larger than 1 MB",
        replace(NB, SUMMARY, "summary: " + "Hvordan " * 140_000),
        NB,
        1,
        1,
        "file is larger than 1 MB: content files are short texts",
    ),
]


@pytest.fixture(scope="module")
def built(minimal_site: Path) -> tuple[Path, dict[str, str]]:
    """A site built from the good fixture, and its digest, to prove failures leave it alone.
    The run's shared build: a failed build that changed it would fail here, and elsewhere."""
    return minimal_site, tree_digest(minimal_site)


@pytest.mark.parametrize(
    ("case", "edit", "file", "line", "col", "message"), CASES, ids=[case[0] for case in CASES]
)
def test_broken_content_is_reported_with_its_place(
    tmp_path: Path,
    built: tuple[Path, dict[str, str]],
    case: str,
    edit: Callable[[Path], None],
    file: str,
    line: int,
    col: int,
    message: str,
) -> None:
    site, digest = built
    content = fixture_content("minimal", tmp_path)
    edit(content)
    args = ["--project", str(ROOT), "--content", str(content), "--site", str(site)]

    result = CliRunner().invoke(main, ["build", *args])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    expected = f"{content / file}:{line}:{col}: {message}"
    lines = result.output.splitlines()
    assert any(out.startswith(expected) for out in lines), (
        f"expected a line starting with\n  {expected}\ngot\n" + result.output
    )
    assert f"{site} was not changed" in result.output
    assert tree_digest(site) == digest, "a failed build changed the site"

    checked = CliRunner().invoke(main, ["check", *args])
    assert checked.exit_code == 1
    assert any(out.startswith(expected) for out in checked.output.splitlines())


def _leaf_types(model: type[BaseModel], seen: set[type]) -> Iterator[tuple[str, object]]:
    """Every field of ``model`` and the models inside it that holds a plain value, with the
    type it is checked against. Unions are left out: each member words its own problem."""
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) > 1:
                continue
            annotation = members[0]
        if typing.get_origin(annotation) is list:
            annotation = typing.get_args(annotation)[0]
        elif info.metadata:
            annotation = typing.Annotated[(annotation, *info.metadata)]
        inner = (
            typing.get_args(annotation)[0]
            if typing.get_origin(annotation) is typing.Annotated
            else annotation
        )
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _leaf_types(inner, seen)
        elif info.annotation is not typing.Any and "dict" not in str(info.annotation):
            yield f"{model.__name__}.{name}", annotation


def _kind_of_message(message: str) -> str:
    """A message's wording without the place, value and specifics ("expected one of")."""
    return re.split(r"['\d(^,]", message.split(": ", 1)[-1])[0].strip()


def test_every_kind_of_value_the_content_files_check_has_a_case() -> None:
    """A wrong value of each kind a content file holds (text, date, one of a list, web address,
    slug, ...) is worded differently; every such wording is proven above, at its place, by at
    least one case. A new kind of field without a case fails here."""
    from generator import schema
    from generator.messages import problems_from
    from generator.yamlload import Source

    source = Source(Path("x.yml"), None)
    kinds: dict[str, set[str]] = {}
    for model in (schema.Organisation, schema.Policy, schema.PolicyText):
        for field, annotation in _leaf_types(model, set()):
            for wrong in ([[]], "%%", ""):
                try:
                    TypeAdapter(annotation).validate_python(wrong)
                except ValidationError as exc:
                    for problem in problems_from(exc, source, model):
                        kinds.setdefault(_kind_of_message(problem.message), set()).add(field)
    covered = {_kind_of_message(case[-1]) for case in CASES}

    assert len(kinds) >= 6, kinds  # text, date, one of, web address, slug, mapping at least
    missing = {kind: fields for kind, fields in kinds.items() if kind not in covered}
    assert not missing, f"no case for these kinds of values (fields): {missing}"


def check(content: Path) -> Result:
    """`policy-site check` of ``content`` with the project's forms and templates."""
    return CliRunner().invoke(main, ["check", "--project", str(ROOT), "--content", str(content)])


def test_every_problem_is_listed_not_just_the_first(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    replace(POLICY, "status: active", "status: aktiv")(content)
    replace(NB, "summary: Hvordan ansatte i Testkommune kan jobbe hjemmefra.\n", "")(content)
    replace(ORG, "official_language: nn", "official_language: nynorsk")(content)

    result = check(content)

    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if re.match(r".+:\d+:\d+: ", line)]
    assert sorted(Path(line.split(":")[0]).name for line in problems) == [
        "nb.yml",
        "policy.yml",
        "testkommune.yml",
    ], result.output
    assert "3 problem(s) found." in result.output


def test_problems_that_hide_each_other_are_found_in_one_run(tmp_path: Path) -> None:
    """A policy with a problem of its own still has its rules and its texts' rule names
    checked: a maintainer who fixes what one run says meets no new problems in the next."""
    content = fixture_content("minimal", tmp_path)
    replace(POLICY, "status: active", "status: aktiv")(content)
    replace(POLICY, "follow_up_interval_months: 6", "follow_up_interval_months: mange")(content)
    replace(NB, "rules.home_days_per_week_max", "rules.home_dayz_per_week_max")(content)

    result = check(content)

    assert result.exit_code == 1
    for said in (
        "policy.yml:5:9: status: expected one of",
        "policy.yml:27:30: rules.follow_up_interval_months: expected a number of months",
        "nb.yml:7:48: sections[0].body: unknown rule 'home_dayz_per_week_max'",
    ):
        assert said in result.output, result.output
    assert "3 problem(s) found." in result.output


def test_the_real_command_prints_no_traceback(tmp_path: Path) -> None:
    """The installed console script, as a maintainer runs it."""
    content = fixture_content("minimal", tmp_path)
    replace(POLICY, "status: active", "status: aktiv")(content)
    script = Path(sys.executable).with_name("policy-site")

    run = subprocess.run(
        [str(script), "check", "--content", str(content)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.splitlines()[0].endswith(
        "policy.yml:5:9: status: expected one of 'draft', 'active' or 'retired', got 'aktiv'"
    )
    assert "Traceback" not in run.stderr


def test_clean_content_passes_check(tmp_path: Path) -> None:
    for content in (fixture_content("minimal", tmp_path), ROOT / "content"):
        result = CliRunner().invoke(main, ["check", "--content", str(content)])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1] == "Content is valid."


def test_schema_documents_every_field() -> None:
    """`policy-site schema` is the maintainers' reference: no field may go undocumented."""
    from generator import schema

    models = [
        value
        for value in vars(schema).values()
        if isinstance(value, type) and issubclass(value, schema.Model) and value is not schema.Model
    ]
    undocumented = [
        f"{model.__name__}.{name}"
        for model in models
        for name, info in model.model_fields.items()
        if not info.description
    ]
    assert not undocumented
    output = CliRunner().invoke(main, ["schema"]).output
    for model in models:
        assert re.search(rf"^{model.__name__}: ", output, re.MULTILINE), model.__name__
    assert "  follow_up_interval_months (" in output
    assert "Months between the leader's follow-up conversations." in output


def checked_warnings(content: Path, marked: str) -> list[str]:
    """`policy-site check`'s lines holding ``marked``, sorted; the check itself passes."""
    result = check(content)
    assert result.exit_code == 0, result.output
    return sorted(line for line in result.output.splitlines() if marked in line)


def test_text_a_page_would_leave_out_is_a_warning_at_its_place(tmp_path: Path) -> None:
    """HTML typed as words, or a link the pages do not allow, is named where it stands (the
    build would publish the page without it); an error under --strict."""
    content = fixture_content("minimal", tmp_path)
    replace(NB, "Hjemmekontoret må være i egen bolig.", "Søknaden går til <leder>.")(content)
    replace(POLICY, "nb: Første versjon.", "nb: Se [loven](javascript:alert(1)).")(content)
    replace(
        "accessibility.yml",
        "verktøyet axe-core",
        "verktøyet <a href='data:text/html,x'>axe-core</a>",
    )(content)
    args = ["--project", str(ROOT), "--content", str(content)]

    assert checked_warnings(content, ": warning: ") == sorted(
        [
            f"{content / NB}:15:24: warning: sections[1].body: '<leder>' reads as an HTML tag, "
            "which the page leaves out; texts are Markdown: to show the brackets as text, write "
            "'&lt;leder&gt;', or use other brackets",
            f"{content / POLICY}:18:22: warning: changelog[0].changes.nb: the link to "
            "'javascript:alert(1)' is left out of the page (its text stays, unlinked): link to "
            "an http://, https:// or mailto: address, or to a page of the site",
            f"{content / 'accessibility.yml'}:8:17: warning: tested[0].nb: the link to "
            "'data:text/html,x' is left out of the page (its text stays, unlinked): link to an "
            "http://, https:// or mailto: address, or to a page of the site",
        ]
    )
    strict = CliRunner().invoke(main, ["check", "--strict", *args])
    assert strict.exit_code == 1


def test_two_organisations_of_one_name_are_a_warning_at_each(tmp_path: Path) -> None:
    """Readers could not tell them apart in lists and search results."""
    content = fixture_content("minimal", tmp_path)
    twin = content / "organisations" / "testkommune-2.yml"
    twin.write_text(
        (content / ORG)
        .read_text(encoding="utf-8")
        .replace("slug: testkommune", "slug: testkommune-2")
        .replace("  nb: Testkommune", "  nb: Testkommune (Nordland)"),
        encoding="utf-8",
    )

    # Only the Nynorsk names are the same; each file is told which other has its name.
    assert checked_warnings(content, "is also the name of") == sorted(
        [
            f"{content / ORG}:4:7: warning: name.nn: 'Testkommune' is also the name of "
            "testkommune-2.yml: readers cannot tell them apart in lists and search results; add to "
            "the name what sets it apart (its county, say)",
            f"{twin}:4:7: warning: name.nn: 'Testkommune' is also the name of testkommune.yml: "
            "readers cannot tell them apart in lists and search results; add to the name what sets "
            "it apart (its county, say)",
        ]
    )
