"""`policy-site status`: one report for maintainers, each item at the file and line to change."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from generator.kept import Kept
from generator.pipeline import BuildResult, Memory, Paths
from generator.spelling import check_spelling
from generator.status import spelling_meanwhile
from generator.status import status as report_of
from generator.validate import load_project
from generator.yamlload import ParsedFiles
from tests.conftest import ROOT, fixture_content

COMMAND = str(Path(sys.executable).with_name("policy-site"))
VESTLAND = "content/policies/vestland-fylkeskommune-heimekontor/policy.yml"
KOMMUNE_ORG = "content/organisations/kommune.yml"


def status(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, "status", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "true"},
        check=False,
    )


def line_of(path: Path, pattern: str) -> int:
    """1-based number of the first line of ``path`` matching ``pattern``."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.search(pattern, text):
            return number
    raise AssertionError(f"{pattern} not in {path}")


def test_default_content_report_names_every_place_to_change() -> None:
    run = status("--today", "2026-12-01")
    assert run.returncode == 0, run.stderr  # a report, not a failure
    out = run.stdout
    policy = ROOT / VESTLAND
    # Vestland's passed time references: three dated statements and the recommended end month.
    for pattern in (r"section: arbeidsstad", r"section: tilrettelegging", r"section: erfaringar"):
        line = line_of(policy, pattern)
        assert re.search(
            rf"^    {VESTLAND}:{line}:\d+: time-bound statement passed", out, re.MULTILINE
        ), pattern
    line = line_of(policy, r"agreement_recommended_until:")
    assert re.search(
        rf"^    {VESTLAND}:{line}:\d+: time-bound rule passed 2022-06-30", out, re.MULTILINE
    )
    # The municipality: a placeholder name in both written forms, and no contact.
    org = ROOT / KOMMUNE_ORG
    for lang in ("nb", "nn"):
        line = line_of(org, rf"^\s+{lang}: Kommunen$")
        assert f"{KOMMUNE_ORG}:{line}:7: name.{lang} 'Kommunen' is only a generic word" in out
    assert re.search(rf"{KOMMUNE_ORG}:\d+:1: no contact", out)
    # The site address.
    line = line_of(ROOT / "mkdocs.yml", r"^site_url:")
    assert f"mkdocs.yml:{line}:11: site_url is http://localhost:8000/, a local address" in out
    # Grouped by organisation and policy, summed up at the end.
    assert out.index("Kommunen (kommune)") < out.index("Vestland fylkeskommune (vestland")
    assert out.rstrip().splitlines()[-1].startswith("Status: 8 thing(s) need action")


def test_strict_fails_when_something_needs_action() -> None:
    assert status("--strict", "--no-spelling").returncode == 1


def test_json_report() -> None:
    run = status("--json", "--today", "2026-12-01")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["today"] == "2026-12-01" and report["build_date"] == "2026-11-22"
    kinds = {}
    for item in report["items"]:
        assert item["place"] == f"{item['file']}:{item['line']}:{item['col']}"
        kinds.setdefault(item["kind"], []).append(item)
    assert {i["org"] for i in kinds["placeholder-name"]} == {"kommune"}
    assert [i["org"] for i in kinds["no-contact"]] == ["kommune"]
    assert [i["file"] for i in kinds["site-url"]] == ["mkdocs.yml"]
    dated = kinds["dated"]
    assert len(dated) == 4
    assert {(i["org"], i["policy"], i["file"]) for i in dated} == {
        ("vestland-fylkeskommune", "heimekontor", VESTLAND)
    }
    assert report["needs_action"] == sum(1 for i in report["items"] if i["action"])


def test_before_the_dates_pass_nothing_is_dated() -> None:
    report = json.loads(status("--json", "--no-spelling", "--today", "2021-06-01").stdout)
    assert not [i for i in report["items"] if i["kind"] == "dated"]


def test_review_translation_form_and_spelling_items(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    folder = content / "policies" / "heimekontor"
    # The original (Nynorsk) changes after its translation was marked, with a typo and a word
    # in angle brackets (read as an HTML tag); a form that needs equipment on loan is attached
    # to a policy that lends none.
    nn = folder / "nn.yml"
    nn.write_text(
        nn.read_text(encoding="utf-8")
        .replace("title: ", "title: Heimekontorr og ", 1)
        .replace("summary: ", "summary: Spør <leiar>. ", 1),
        encoding="utf-8",
    )
    policy = folder / "policy.yml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            "attachments: [avtale, sjekkliste, oppfolgingssamtale]",
            "attachments: [avtale, sjekkliste, oppfolgingssamtale, utstyrslan]",
        ),
        encoding="utf-8",
    )
    project = _project_copy(tmp_path, "https://retningsliner.example.no/")
    run = status(
        "--json", "--project", str(project), "--content", str(content), "--today", "2026-12-01"
    )
    assert run.returncode == 0, run.stderr
    items = json.loads(run.stdout)["items"]
    kinds = {i["kind"] for i in items}
    # next_review 2025-04-01 has passed; the edited Bokmål text is a stale translation.
    review = [i for i in items if i["kind"] == "review-overdue"]
    assert review and review[0]["line"] == line_of(folder / "policy.yml", r"^next_review:")
    stale = [i for i in items if i["kind"] == "translation"]
    assert (
        stale and stale[0]["file"].endswith("heimekontor/nb.yml") and "stale" in stale[0]["message"]
    )
    assert [i["policy"] for i in stale] == ["heimekontor"]
    form = [i for i in items if i["kind"] == "form"]
    assert form and form[0]["line"] == line_of(policy, r"^attachments:")
    assert "utstyrslan" in form[0]["message"]
    assert any(i["kind"] == "spelling" and "Heimekontorr" in i["message"] for i in items)
    markup = [i for i in items if i["kind"] == "markup"]
    assert [(i["policy"], i["line"]) for i in markup] == [("heimekontor", line_of(nn, "^summary:"))]
    assert "'<leiar>' reads as an HTML tag" in markup[0]["message"]
    # A published address is ready.
    assert "site-url" not in kinds


def _project_copy(tmp_path: Path, site_url: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "site_templates", project / "site_templates")
    shutil.copytree(ROOT / "forms", project / "forms")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"^site_url:.*$", f"site_url: {site_url}", config, flags=re.MULTILINE)
    (project / "mkdocs.yml").write_text(config, encoding="utf-8")
    return project


def test_unset_site_url_is_reported(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "")
    config = project / "mkdocs.yml"
    config.write_text(
        re.sub(r"^site_url:.*\n", "", config.read_text(encoding="utf-8"), flags=re.MULTILINE),
        encoding="utf-8",
    )
    run = status(
        "--json", "--no-spelling", "--project", str(project), "--content", str(ROOT / "content")
    )
    items = [i for i in json.loads(run.stdout)["items"] if i["kind"] == "site-url"]
    assert len(items) == 1 and "not set" in items[0]["message"]


def test_broken_content_is_not_a_report(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    policy = content / "policies" / "heimekontor" / "policy.yml"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("status: active", "status: x"), encoding="utf-8"
    )
    run = status("--content", str(content))
    assert run.returncode == 1
    assert re.search(r"policy\.yml:\d+:\d+: ", run.stderr)


def test_build_prints_the_summary(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    run = subprocess.run(
        # The summary is about the content: the PDFs are left out, as in a quick preview.
        [
            COMMAND,
            "build",
            "--no-pdfs",
            "--jobs",
            "1",
            "--content",
            str(content),
            "--site",
            str(tmp_path / "site"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "true"},
        check=False,
    )
    assert run.returncode == 0, run.stderr
    summary = [line for line in run.stdout.splitlines() if line.startswith("Status: ")]
    assert len(summary) == 1
    assert "review overdue" in summary[0] and "site address" in summary[0]


def misspelt(tmp_path: Path) -> Paths:
    """The minimal content with an unknown word in a policy's text and in the site's own
    accessibility statement."""
    content = fixture_content("minimal", tmp_path)
    for path, old, new in [
        (content / "policies" / "heimekontor" / "nn.yml", "title: ", "title: Heimekontorr "),
        (content / "accessibility.yml", "Alle sidene", "Alle sidenne"),
    ]:
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return Paths.default(ROOT, content, tmp_path / "site")


def test_each_item_is_its_policys_and_a_build_is_not_loaded_again(tmp_path: Path) -> None:
    paths = misspelt(tmp_path)
    fresh = report_of(paths)

    words = {
        i.message.split("'")[1]: (i.org, i.policy) for i in fresh.items if i.kind == "spelling"
    }
    assert words["Heimekontorr"] == ("testkommune", "heimekontor")
    assert words["sidenne"] == (None, None)  # the site's own statement
    # After a build, the content as built is reported on: the same items.
    project = load_project(paths.content, paths.forms, paths.templates)
    built = BuildResult([], {}, {}, 0, 0.0, project, Memory(ParsedFiles(), Kept()))
    assert report_of(paths, built=built).items == fresh.items


def test_spelling_looked_at_meanwhile_gives_the_same_words_and_its_process_ends(
    tmp_path: Path,
) -> None:
    paths = misspelt(tmp_path)
    with spelling_meanwhile(paths) as spelled:
        assert spelled is not None
        assert spelled() == check_spelling(paths.content, paths.forms, paths.templates)
        assert any("Heimekontorr" in problem.message for problem in spelled())
    with spelling_meanwhile(paths):  # left unasked, as when the build fails
        pass
    assert multiprocessing.active_children() == []


def test_items_of_a_linked_policy_folder_are_that_policys(tmp_path: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    real = content / "kept" / "heimekontor"
    real.parent.mkdir()
    (content / "policies" / "heimekontor").rename(real)
    (content / "policies" / "heimekontor").symlink_to(real, target_is_directory=True)
    nn = real / "nn.yml"  # the original changes after the translation was marked: stale
    nn.write_text(
        nn.read_text(encoding="utf-8").replace("title: ", "title: Heimekontorr og ", 1),
        encoding="utf-8",
    )

    run = status("--json", "--content", str(content), "--today", "2026-12-01")

    assert run.returncode == 0, run.stderr
    items = json.loads(run.stdout)["items"]
    stale = [i for i in items if i["kind"] == "translation"]
    spelling = [i for i in items if "Heimekontorr" in i["message"]]
    assert stale and spelling, items
    assert {(i["org"], i["policy"]) for i in stale + spelling} == {("testkommune", "heimekontor")}
