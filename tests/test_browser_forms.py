"""The form pages work as forms in a real browser (Debian's Chromium, no mocks).

What this file proves, against the project's own content built and served on 127.0.0.1:

* Drafts survive a reload and a fresh visit, and each is kept under its own key: a draft of
  one form never shows up in the same form of the other written form, in another form of
  the same organisation, or in the same form of another organisation.
* "Tøm skjemaet" asks first in a dialog (cancelling keeps everything), then empties the form,
  deletes the draft and says so in the status region.
* Submitting with required answers missing shows a focused error summary with one link per
  required question; each link focuses its field, which is marked invalid and described by a
  visible inline error. With every required answer given, the summary goes, every answer is
  shown by section for a last look (each "Endre" link back to its question), and only from
  there is the browser's print dialog asked for.
* On every form page of both written forms, every field has a non-empty ``label[for]``, names
  are unique (radio groups apart), every ``aria-describedby`` id exists, and the fields are
  exactly those of the fillable PDF built from the same definition.
* The print stylesheet leaves only the filled form: no header, sidebars, footer, buttons,
  notice or status.
* Nothing typed leaves the device: filling, checking, printing and clearing a form sends no
  request with a body and none to another host.

Form pages are taken from ``manifest.json``, so new forms are covered without editing this file.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, Request, expect
from pypdf import PdfReader

from tests.pages import (
    CLEAR,
    CONFIRM,
    CONFIRM_YES,
    DRAFTS_BUTTON,
    DRAFTS_DIALOG,
    FORM,
    REVIEW,
    SAVED,
    STATUS,
    SUBMIT,
    SUMMARY,
    Answers,
    answer,
    clear_form,
    draft_answers,
)

SUMMARY_LINKS = "#ps-error-summary a"

CLEARED = {"nb": "Skjemaet er tømt.", "nn": "Skjemaet er tømt."}

PRINT_STUB = "window.__printCalls = 0; window.print = () => { window.__printCalls += 1; };"
"""Replaces the print dialog (which would block headless Chromium) with a counter."""

NB_AGREEMENT = "/nb/kommune/skjema/avtale/"
NN_LOAN = "/nn/vestland-fylkeskommune/skjema/utstyrslan/"

WORKING_HOURS = "Kl. 08.00\u201315.30, fleksitid.\nKjernetid 09.00\u201314.00."
"""Several lines with en dashes, as the hint suggests."""


NB_ANSWERS: Answers = {
    "f-arbeidstaker-navn": "Ærlig Øystein Åsen",
    "f-forsvarlig-arbeidsplass": True,
    "f-varighet-midlertidig": True,
    "f-arbeidstid": WORKING_HOURS,
}
NB_DRAFT = {
    "arbeidstaker_navn": "Ærlig Øystein Åsen",
    "forsvarlig_arbeidsplass": True,
    "varighet": "midlertidig",
    "arbeidstid": WORKING_HOURS,
}
"""``NB_ANSWERS`` as the form holds them, by field name (see ``form_values``)."""

NN_ANSWERS: Answers = {
    "f-navn": "Åse Ødegård",
    "f-utstyr-pc": True,
    "f-dato": "2099-03-14",
    "f-merknader": "Skjermen har ei ripe i hjørnet.\nLaderen manglar.",
}
NN_DRAFT = {
    "navn": "Åse Ødegård",
    "utstyr_pc": True,
    "dato": "2099-03-14",
    "merknader": "Skjermen har ei ripe i hjørnet.\nLaderen manglar.",
}

# --------------------------------------------------------------------------- helpers


def url_path(entry_path: str) -> str:
    """The address a reader uses for a manifest path: directory URLs for ``index.html``."""
    return "/" + entry_path.removesuffix("index.html")


def form_entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry for entry in manifest["entries"] if entry["kind"] == "form"]


def entry_at(manifest: dict[str, Any], path: str) -> dict[str, Any]:
    """The form entry served at ``path``."""
    matches = [entry for entry in form_entries(manifest) if url_path(entry["path"]) == path]
    assert len(matches) == 1, f"expected one form at {path} in the manifest, found {matches}"
    return matches[0]


def pdf_of(manifest: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The fillable PDF built from the same definition as the form page ``entry``."""
    matches = [
        candidate
        for candidate in manifest["entries"]
        if candidate["kind"] == "form-pdf"
        and (candidate["lang"], candidate["org"], candidate["id"])
        == (entry["lang"], entry["org"], entry["id"])
    ]
    assert len(matches) == 1, f"{entry['path']}: expected one form-pdf entry, found {matches}"
    return matches[0]


def storage_key(entry: dict[str, Any]) -> str:
    return f"policy-site.form.{entry['lang']}.{entry['org']}.{entry['id']}"


def stored(page: Page, key: str) -> str | None:
    return page.evaluate("key => localStorage.getItem(key)", key)


def form_values(page: Page) -> dict[str, str | bool]:
    """Every answered field of the page's form by name: text, ``True`` if ticked, radio value."""
    return page.locator(FORM).evaluate(
        """form => {
          const values = {};
          for (const el of form.querySelectorAll("input[name], textarea[name], select[name]")) {
            if (el.type === "checkbox") { if (el.checked) values[el.name] = true; }
            else if (el.type === "radio") { if (el.checked) values[el.name] = el.value; }
            else if (el.value !== "") values[el.name] = el.value;
          }
          return values;
        }"""
    )


def expect_answers(page: Page, answers: Answers, where: str) -> None:
    for element_id, value in answers.items():
        field = page.locator(f"#{element_id}")
        if value is True:
            expect(field, f"{where}: #{element_id} should be ticked").to_be_checked()
        else:
            expect(field, f"{where}: #{element_id} should hold {value!r}").to_have_value(value)


def open_form(page: Page, base: str, path: str) -> None:
    page.goto(base + path)
    expect(page.locator(FORM)).to_have_count(1)


REQUIRED_QUESTIONS_JS = """form => {
  const text = node => {
    if (!node) return "";
    const clone = node.cloneNode(true);
    clone.querySelectorAll(".ps-required").forEach(marker => marker.remove());
    return clone.textContent.trim();
  };
  const seen = new Set();
  const questions = [];
  const candidates = form.querySelectorAll(
    "input[required], textarea[required], select[required], " +
    "[data-required-one] input[type=checkbox]"
  );
  for (const el of candidates) {
    const group = el.type === "radio" ? el.closest("fieldset")
      : el.type === "checkbox" ? el.closest("[data-required-one]") : null;
    const key = group ? group.id : el.id;
    if (seen.has(key)) continue;
    seen.add(key);
    const field = group ? group.dataset.field : el.name;
    questions.push({
      id: el.id,
      type: el.hasAttribute("data-number") ? "number" : el.type,
      field: field,
      label: group ? text(group.querySelector("legend"))
                   : text(document.querySelector(`label[for="${CSS.escape(el.id)}"]`)),
      describedBy: ((group || el).getAttribute("aria-describedby") || "").split(/\\s+/),
      members: group ? Array.from(group.querySelectorAll("input")).map(input => input.id)
                     : [el.id],
    });
  }
  return questions;
}"""
"""Required questions in page order: one per required field, radio group or must-tick group."""


def required_questions(page: Page) -> list[dict[str, Any]]:
    return page.locator(FORM).evaluate(REQUIRED_QUESTIONS_JS)


def answer_every_required_question(page: Page, questions: list[dict[str, Any]]) -> None:
    for question in questions:
        field = page.locator(f"#{question['id']}")
        if question["type"] in ("radio", "checkbox"):
            field.check()
        elif question["type"] == "date":
            field.fill("2099-03-14")  # forms refuse a day before today
        elif question["type"] == "number":
            field.fill("3")
        elif question["type"].startswith("select"):
            field.select_option(index=1)
        else:
            field.fill(f"Svar på {question['label']}")


def error_id(field_name: str) -> str:
    return "f-" + field_name.replace("_", "-") + "-error"


def active_id(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.id : ''")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def manifest(default_site: Path) -> dict[str, Any]:
    return json.loads((default_site / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture
def printing_page(page: Page) -> Iterator[Page]:
    """``page`` with ``window.print`` replaced by a counter on every document it loads."""
    page.add_init_script(PRINT_STUB)
    yield page


# --------------------------------------------------------------------------- drafts


def test_drafts_survive_a_reload_under_a_key_of_their_own(
    page: Page, default_server: str, manifest: dict[str, Any]
) -> None:
    drafts = {NB_AGREEMENT: (NB_ANSWERS, NB_DRAFT), NN_LOAN: (NN_ANSWERS, NN_DRAFT)}

    for path, (answers, _) in drafts.items():
        entry = entry_at(manifest, path)
        lang = entry["lang"]
        open_form(page, default_server, path)
        key = page.locator(FORM).get_attribute("data-storage-key")
        assert key == storage_key(entry), f"{path}: storage key {key!r}"
        assert form_values(page) == {}, f"{path}: form not empty on first visit"

        answer(page, answers)
        expect(page.locator(STATUS)).to_have_text(SAVED[lang])
        draft = stored(page, storage_key(entry))
        assert draft is not None, f"{path}: nothing stored under {storage_key(entry)}"
        first_text = next(value for value in answers.values() if isinstance(value, str))
        assert first_text in draft_answers(draft).values(), f"{path}: draft lacks {first_text!r}"

        page.reload()
        expect_answers(page, answers, f"{path} after reload")

        # A new tab is a fresh navigation: no browser form restoration, only the draft.
        tab = page.context.new_page()
        open_form(tab, default_server, path)
        expect_answers(tab, answers, f"{path} in a new tab")
        tab.close()

    leaks = []
    for entry in form_entries(manifest):
        path = url_path(entry["path"])
        open_form(page, default_server, path)
        expected = drafts[path][1] if path in drafts else {}
        found = form_values(page)
        if found != expected:
            leaks.append(f"{path}: holds {found}, expected {expected}")
        if path not in drafts and stored(page, storage_key(entry)) is not None:
            leaks.append(f"{path}: a draft is stored under {storage_key(entry)}")
    assert not leaks, "drafts leak between forms:\n" + "\n".join(leaks)


@pytest.mark.parametrize(
    ("path", "answers"), [(NB_AGREEMENT, NB_ANSWERS), (NN_LOAN, NN_ANSWERS)], ids=["nb", "nn"]
)
def test_clear_button_empties_the_form_and_deletes_only_its_draft(
    page: Page, default_server: str, manifest: dict[str, Any], path: str, answers: Answers
) -> None:
    entry = entry_at(manifest, path)
    key, lang = storage_key(entry), entry["lang"]
    # Another form's draft, which clearing this form must leave alone.
    bystander = next(
        other for other in form_entries(manifest) if other["lang"] == lang and other != entry
    )
    page.goto(default_server + url_path(bystander["path"]))
    bystander_draft = json.dumps({"some_field": "unrelated draft"})
    page.evaluate(
        "([k, v]) => localStorage.setItem(k, v)", [storage_key(bystander), bystander_draft]
    )

    open_form(page, default_server, path)
    answer(page, answers)
    expect(page.locator(STATUS)).to_have_text(SAVED[lang])
    assert stored(page, key) is not None, f"{path}: typing stored nothing under {key}"

    # A second employee's draft: started empty under a typed name, kept beside the first; opening
    # the first brings its answers back; deleting the second asks first.
    first_name = next(value for value in answers.values() if isinstance(value, str))
    page.locator(DRAFTS_BUTTON).click()
    expect(page.locator(DRAFTS_DIALOG)).to_be_visible()
    items = page.locator(f"{DRAFTS_DIALOG} .ps-drafts__item")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(first_name)
    page.locator("#ps-draft-name").fill("Kari Nordmann")
    page.locator("[data-ps-draft-new]").click()
    expect(page.locator(DRAFTS_DIALOG)).to_be_hidden()
    assert form_values(page) == {}, f"{path}: a new draft is not empty"
    page.locator(DRAFTS_BUTTON).click()
    expect(items).to_have_count(2)
    items.filter(has_text=first_name).locator("button").first.click()
    expect_answers(page, answers, f"{path} after switching back")
    page.locator(DRAFTS_BUTTON).click()
    items.filter(has_text="Kari Nordmann").locator("button").last.click()
    expect(page.locator(CONFIRM)).to_be_visible()
    page.locator(CONFIRM_YES).click()
    expect(items).to_have_count(1)
    page.keyboard.press("Escape")
    expect(page.locator(DRAFTS_BUTTON)).to_be_focused()
    assert len(json.loads(stored(page, key) or "{}")["drafts"]) == 1

    # It asks first, in a dialog that starts on "Cancel"; cancelling keeps everything.
    page.locator(CLEAR).click()
    expect(page.locator(CONFIRM)).to_be_visible()
    expect(page.locator("[data-ps-confirm-no]")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator(CONFIRM)).to_be_hidden()
    expect(page.locator(CLEAR)).to_be_focused()
    expect_answers(page, answers, f"{path} after cancelling")
    assert stored(page, key) is not None, f"{path}: cancelling deleted the draft"

    clear_form(page)
    expect(page.locator(STATUS)).to_have_text(CLEARED[lang])
    assert form_values(page) == {}, f"{path}: after clearing the form holds {form_values(page)}"
    assert stored(page, key) is None, f"{path}: draft still stored under {key}: {stored(page, key)}"
    assert stored(page, storage_key(bystander)) == bystander_draft, (
        f"{path}: clearing also removed the draft of {bystander['path']}"
    )

    page.reload()
    assert form_values(page) == {}, f"{path}: after clear and reload it holds {form_values(page)}"
    assert stored(page, key) is None, f"{path}: a draft came back under {key} after reload"


# --------------------------------------------------------------------------- checking


def test_error_summary_links_every_missing_answer_and_print_follows_when_complete(
    printing_page: Page, default_server: str
) -> None:
    page = printing_page
    open_form(page, default_server, NB_AGREEMENT)
    questions = required_questions(page)
    assert len(questions) >= 5, f"{NB_AGREEMENT}: only {len(questions)} required questions found"
    summary = page.locator(SUMMARY)
    expect(summary).to_be_hidden()

    page.locator(SUBMIT).click()

    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert active_id(page) == "ps-error-summary", f"focus is on #{active_id(page)}"
    assert page.evaluate("window.__printCalls") == 0, "print was called with answers missing"
    links = page.locator(SUMMARY_LINKS)
    expect(links).to_have_count(len(questions))
    first_text = links.first.inner_text().strip()
    first_label = questions[0]["label"]
    assert first_label and first_label in first_text and first_text != first_label, (
        f"first summary link {first_text!r} should ask for {first_label!r}"
    )

    invalid = page.locator(f"{FORM} [aria-invalid=true]").evaluate_all("els => els.map(e => e.id)")
    expected_invalid = [member for q in questions for member in q["members"]]
    assert sorted(invalid) == sorted(expected_invalid), (
        f"aria-invalid on {invalid}, expected on the required fields {expected_invalid}"
    )

    wrong = []
    for index, question in enumerate(questions):
        link = links.nth(index)
        text = link.inner_text().strip()
        if question["label"] not in text:
            wrong.append(f"link {index} {text!r} does not name {question['label']!r}")
        link.click()
        if active_id(page) != question["id"]:
            wrong.append(f"link {text!r} focused #{active_id(page)}, expected #{question['id']}")
        field = page.locator(f"#{question['id']}")
        if field.get_attribute("aria-invalid") != "true":
            wrong.append(f"#{question['id']} lacks aria-invalid=true")
        error = error_id(question["field"])
        if error not in question["describedBy"]:
            wrong.append(
                f"#{question['id']}: aria-describedby {question['describedBy']} lacks {error}"
            )
        message = page.locator(f"#{error}")
        if not message.is_visible() or question["label"] not in message.inner_text():
            wrong.append(f"#{error} should be visible and name {question['label']!r}")
    assert not wrong, f"{NB_AGREEMENT}: error summary broken:\n" + "\n".join(wrong)

    answer_every_required_question(page, questions)
    page.locator(SUBMIT).click()

    expect(summary).to_be_hidden()
    expect(page.locator(f"{FORM} [aria-invalid=true]")).to_have_count(0)
    expect(page.locator(f"{FORM} .ps-error:visible")).to_have_count(0)
    # Complete: every answer to look over first, by section, its heading focused.
    review = page.locator(REVIEW)
    expect(review).to_be_visible()
    expect(page.locator("#ps-review-title")).to_be_focused()
    expect(page.locator(f"{FORM} #{questions[0]['id']}")).to_be_hidden()
    sections = page.locator(f"{FORM} .ps-section__legend").all_inner_texts()
    headings = review.locator("h3").all_inner_texts()
    assert headings and set(headings) <= {text.strip() for text in sections}, headings
    rows = review.locator(".ps-summary-list__row")
    keys = [text.strip() for text in review.locator(".ps-summary-list__key").all_inner_texts()]
    for question in questions:
        assert question["label"] in keys, f"{question['label']!r} missing from the review"
    first = rows.filter(has=page.locator("dt", has_text=questions[0]["label"])).first
    expect(first.locator(".ps-summary-list__value")).to_have_text(
        f"Svar på {questions[0]['label']}"
    )
    assert page.evaluate("window.__printCalls") == 0, "printed before the answers were looked over"
    # "Endre" goes back to the question itself.
    first.locator("a").click()
    expect(review).to_be_hidden()
    assert active_id(page) == questions[0]["id"], f"Endre focused #{active_id(page)}"
    page.locator(SUBMIT).click()
    page.locator("[data-ps-review-print]").click()
    assert page.evaluate("window.__printCalls") == 1, (
        "print was not called once the form was complete"
    )
    # What prints is the form itself (the archive's copy), not the list of answers.
    page.emulate_media(media="print")
    expect(review).to_be_hidden()
    expect(page.locator(f"#{questions[0]['id']}")).to_be_visible()
    page.emulate_media(media="screen")
    expect(review).to_be_visible()


# --------------------------------------------------------------------------- structure

FIELDS_JS = """form => Array.from(form.querySelectorAll("input[name], textarea[name], select[name]"))
  .map(el => ({
    name: el.name,
    type: el.type,
    id: el.id,
    sameId: el.id ? document.querySelectorAll(`[id="${CSS.escape(el.id)}"]`).length : 0,
    labels: el.id ? Array.from(document.querySelectorAll(`label[for="${CSS.escape(el.id)}"]`))
      .map(label => label.textContent.trim()) : [],
  }))"""

MISSING_DESCRIPTIONS_JS = """() => Array.from(document.querySelectorAll("[aria-describedby]"))
  .flatMap(el => el.getAttribute("aria-describedby").split(/\\s+/).filter(Boolean)
    .filter(id => !document.getElementById(id))
    .map(id => `${el.id || el.tagName}: aria-describedby names missing #${id}`))"""


def test_every_form_is_labelled_and_matches_its_pdf(
    page: Page, default_server: str, manifest: dict[str, Any]
) -> None:
    entries = form_entries(manifest)
    assert {entry["lang"] for entry in entries} == {"nb", "nn"}, "forms missing for a language"
    pdfs = [entry for entry in manifest["entries"] if entry["kind"] == "form-pdf"]
    assert len(pdfs) == len(entries), f"{len(entries)} form pages but {len(pdfs)} form PDFs"

    problems: list[str] = []
    for entry in entries:
        path = url_path(entry["path"])
        open_form(page, default_server, path)
        fields = page.locator(FORM).evaluate(FIELDS_JS)
        if not fields:
            problems.append(f"{path}: form has no fields")
        for field in fields:
            where = f"{path} [name={field['name']}]"
            if not field["id"]:
                problems.append(f"{where}: no id, so no label can point to it")
            elif field["sameId"] != 1:
                problems.append(f"{where}: id {field['id']!r} used {field['sameId']} times")
            if not any(field["labels"]):
                problems.append(f"{where}: no label[for] with text (found {field['labels']})")
        names = [field["name"] for field in fields if field["type"] != "radio"]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            problems.append(f"{path}: names used more than once: {repeated}")
        radio_names = {field["name"] for field in fields if field["type"] == "radio"}
        if clash := sorted(radio_names & set(names)):
            problems.append(f"{path}: radio group names also used by other fields: {clash}")
        problems += [f"{path}: {problem}" for problem in page.evaluate(MISSING_DESCRIPTIONS_JS)]

        html_names = {field["name"] for field in fields}
        pdf_names = set(pdf_of(manifest, entry)["fields"])
        if html_names != pdf_names:
            problems.append(
                f"{path}: fields differ from the PDF's: only on the page "
                f"{sorted(html_names - pdf_names)}, only in the PDF {sorted(pdf_names - html_names)}"
            )
    assert not problems, "form pages are not as they should be:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- print

SCREEN_ONLY = {
    "header": ".md-header",
    "sidebars": ".md-sidebar",
    "footer": ".md-footer",
    "buttons": ".ps-actions",
    "notice": ".ps-notice",
    "status": ".ps-status",
}


def visible_count(page: Page, selector: str) -> int:
    return sum(1 for element in page.locator(selector).all() if element.is_visible())


def test_print_shows_the_filled_form_without_the_site_around_it(
    page: Page, default_server: str, tmp_path: Path
) -> None:
    open_form(page, default_server, NB_AGREEMENT)
    answer(page, NB_ANSWERS)
    expect(page.locator(STATUS)).to_have_text(SAVED["nb"])

    # Control: on screen all of it is there, so "hidden" below is the print stylesheet's doing.
    for what, selector in SCREEN_ONLY.items():
        assert visible_count(page, selector), f"on screen the {what} ({selector}) is not visible"

    page.emulate_media(media="print")
    shown = [
        f"{what} ({selector})"
        for what, selector in SCREEN_ONLY.items()
        if visible_count(page, selector)
    ]
    name = page.locator("#f-arbeidstaker-navn")
    expect(page.locator(FORM)).to_be_visible()
    expect(name).to_be_visible()
    expect(name).to_have_value(str(NB_ANSWERS["f-arbeidstaker-navn"]))
    expect(page.locator("#f-arbeidstid")).to_be_visible()
    expect(page.locator("#f-varighet-midlertidig")).to_be_checked()

    screenshot = tmp_path / "avtale-print.png"
    page.screenshot(path=screenshot, full_page=True)
    assert screenshot.stat().st_size > 0
    assert not shown, f"{NB_AGREEMENT}: still visible in print ({screenshot}): {shown}"


# --------------------------------------------------------------------------- privacy


def test_nothing_typed_leaves_the_device(printing_page: Page, default_server: str) -> None:
    page = printing_page
    host = urlsplit(default_server).netloc
    requests: list[Request] = []
    sockets: list[str] = []
    page.context.on("request", lambda request: requests.append(request))
    page.on("websocket", lambda socket: sockets.append(socket.url))

    open_form(page, default_server, NB_AGREEMENT)
    page.locator(SUBMIT).click()  # with answers missing
    expect(page.locator(SUMMARY)).to_be_visible()
    answer(page, NB_ANSWERS)
    answer_every_required_question(page, required_questions(page))
    page.locator(SUBMIT).click()
    expect(page.locator(SUMMARY)).to_be_hidden()
    page.locator("[data-ps-review-print]").click()
    assert page.evaluate("window.__printCalls") == 1, "the complete form was not printed"
    page.locator("[data-ps-review-back]").click()
    page.locator("[data-ps-save-file]").click()
    clear_form(page)
    page.wait_for_load_state("networkidle")

    assert any(request.url.startswith(default_server) for request in requests), "none recorded"
    typed = [value for value in NB_ANSWERS.values() if isinstance(value, str)]
    pattern = re.compile("|".join(re.escape(quote(text)) for text in typed), re.IGNORECASE)
    outgoing = [
        f"{request.method} {request.url}"
        for request in requests
        if urlsplit(request.url).netloc != host
        or request.method not in ("GET", "HEAD")
        or request.post_data_buffer is not None
        or any(text in request.url for text in typed)
        or pattern.search(request.url)
    ]
    assert not outgoing, "requests that could carry answers:\n" + "\n".join(outgoing)
    assert not sockets, f"web sockets opened: {sockets}"


# --------------------------------------------------------------------------- without JavaScript


NO_SCRIPT_NOTE = {
    "nb": "Uten JavaScript blir svarene verken lagret eller kontrollert her.",
    "nn": "Utan JavaScript vert svara verken lagra eller kontrollerte her.",
}


FILL_EVERY_FIELD = """fields => fields.flatMap((field, index) => {
  if (field.type === "checkbox" || field.type === "radio") { field.checked = true; return []; }
  field.value = { date: "2099-03-14", number: "3" }[field.type] ?? `Hemmelig${index}x`;
  return field.type === "date" || field.type === "number" ? [] : [field.value];
})"""
"""Answers every field; returns the texts typed, which no request may carry."""


@pytest.mark.parametrize("scripts", ["disabled", "not loaded"])
def test_without_javascript_no_control_sends_the_answers(
    browser: Any, default_server: str, manifest: dict[str, Any], scripts: str
) -> None:
    """JavaScript off, or forms.js not (yet) loaded: Enter in a field of every kind and every
    button of every form page leave the page where it is and send nothing typed."""
    context = browser.new_context(java_script_enabled=scripts != "disabled")
    if scripts == "not loaded":
        context.route("**/forms.js", lambda route: route.abort())
    requests: list[Request] = []
    context.on("request", lambda request: requests.append(request))
    page = context.new_page()
    typed: list[str] = []
    try:
        for entry in form_entries(manifest):
            url = default_server + url_path(entry["path"])
            page.goto(url)
            expect(page.locator(".ps-nojs")).to_contain_text(NO_SCRIPT_NOTE[entry["lang"]])
            expect(page.locator(".ps-actions")).to_be_hidden()
            answers = page.locator(f"{FORM} input:not([type=file]), {FORM} textarea")
            # What Playwright's fill and check do (set the value, tick), for every field at once.
            typed += answers.evaluate_all(FILL_EVERY_FIELD)
            kinds = answers.evaluate_all("fields => fields.map(field => field.type)")
            fields = answers.all()
            # Enter submits a form the same way from any field of a kind: once per kind.
            for kind in sorted(set(kinds) - {"checkbox", "radio", "textarea"}):
                fields[kinds.index(kind)].press("Enter")
            buttons = page.locator(f"{FORM} button")
            assert buttons.count() >= 2
            for index in range(buttons.count()):
                buttons.nth(index).dispatch_event("click")
            page.wait_for_timeout(200)
            assert page.url == url, f"the page went to {page.url}"
    finally:
        context.close()
    assert typed and requests
    outgoing = [
        f"{r.method} {r.url}"
        for r in requests
        if r.method not in ("GET", "HEAD")
        or r.post_data_buffer is not None
        or "?" in r.url
        or any(text in r.url for text in typed)
    ]
    assert not outgoing, "requests that could carry answers:\n" + "\n".join(outgoing)


def test_with_javascript_the_buttons_show_and_the_note_goes(
    page: Page, default_server: str
) -> None:
    open_form(page, default_server, NB_AGREEMENT)
    expect(page.locator(".ps-actions")).to_be_visible()
    expect(page.locator(".ps-nojs")).to_be_hidden()


# --------------------------------------------------------------------------- print whole

LONG_ANSWER = [
    f"Linje {n}: saker om helse og personvern tas aldri med hjem – nr. {n}." for n in range(1, 13)
]
HINTS = {
    "nb": "Skriv når arbeidsdagen begynner og slutter",
    "nn": "Skriv når arbeidsdagen byrjar og sluttar",
}
FOOTERS = {
    "nb": "Kommunen – Avtale om hjemmekontor, versjon 1.0",
    "nn": "Kommunen – Avtale om heimekontor, versjon 1.0",
}


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_printing_gives_every_answer_whole_with_footer_and_norwegian_dates(
    page: Page, default_server: str, lang: str, tmp_path: Path
) -> None:
    open_form(page, default_server, f"/{lang}/kommune/skjema/avtale/")
    page.locator("#f-taushetsplikt").fill("\n".join(LONG_ANSWER))
    page.locator("#f-startdato").fill("2099-03-14")
    page.locator("#f-arbeidstaker-navn").fill("Åse Ødegård")
    target = tmp_path / "print.pdf"
    page.pdf(path=target, prefer_css_page_size=True)

    reader = PdfReader(target)
    for number, sheet in enumerate(reader.pages):
        width, height = (float(v) for v in sheet.mediabox[2:])
        assert (round(width), round(height)) == (595, 842), f"page {number + 1} is not A4"
    text = subprocess.run(
        ["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    for line in LONG_ANSWER:
        assert line in flat, f"cut from the print: {line}"
    assert "14.03.2099" in flat and "2099-03-14" not in flat and "03/14/2099" not in flat
    assert HINTS[lang] not in flat
    assert "fylles ut" not in flat and "fyllast ut" not in flat
    pages = text.split("\f")[: len(reader.pages)]
    for number, sheet in enumerate(pages, start=1):
        sheet_text = " ".join(sheet.split())
        assert FOOTERS[lang] in sheet_text, f"page {number} has no footer"
        assert f"Side {number} av {len(pages)}" in sheet_text


# --------------------------------------------------------------------------- rules


def summary_texts(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(SUMMARY_LINKS).all_inner_texts()]


def check(page: Page) -> None:
    page.locator(SUBMIT).click()


@pytest.mark.parametrize(
    ("lang", "org", "most"),
    [("nb", "kommune", 7), ("nn", "kommune", 7), ("nb", "vestland-fylkeskommune", 7)],
)
def test_numbers_take_a_decimal_comma_and_stay_within_the_limits(
    printing_page: Page, default_server: str, lang: str, org: str, most: int
) -> None:
    page = printing_page
    open_form(page, default_server, f"/{lang}/{org}/skjema/avtale/")
    days = page.locator("#f-dager-per-uke")
    label = {"nb": "Dager på hjemmekontor per uke", "nn": "Dagar på heimekontor per veke"}[lang]
    too_many = {
        "nb": f"{label} kan ikke være mer enn {most}.",
        "nn": f"{label} kan ikkje vere meir enn {most}.",
    }[lang]
    not_number = {
        "nb": f"Skriv et tall, for eksempel 2 eller 2,5: {label}",
        "nn": f"Skriv eit tal, til dømes 2 eller 2,5: {label}",
    }[lang]
    for typed, message in (("9", too_many), ("to", not_number), ("-1", None), ("2,5", None)):
        days.fill(typed)
        check(page)
        texts = summary_texts(page)
        if message:
            assert message in texts, (typed, texts)
            expect(page.locator("#f-dager-per-uke-error")).to_have_text(message)
        elif typed == "-1":
            assert any(label in text and "0" in text for text in texts), texts
        else:
            about_days = [t for t in texts if t.startswith(label) or t.endswith(f": {label}")]
            assert not about_days, (typed, texts)
    if org != "vestland-fylkeskommune":
        expect(page.locator("#f-flere-dager-grunn")).to_have_count(0)
        return
    # Above the policy's maximum of two days, the exception needs its reason.
    reason = {
        "nb": "Fyll ut «Særlige grunner til flere dager» når «Dager på hjemmekontor per "
        "uke» er mer enn 2."
    }[lang]
    assert reason in summary_texts(page)
    expect(page.locator("#f-flere-dager-grunn")).to_have_attribute("aria-required", "true")
    page.locator("#f-flere-dager-grunn").fill("Lang reisevei i en periode.")
    check(page)
    assert reason not in summary_texts(page)
    page.locator("#f-flere-dager-grunn").fill("")
    days.fill("2")
    check(page)
    assert not any("Særlige grunner" in text for text in summary_texts(page))


def test_the_organisations_maximum_is_the_limit_unless_it_allows_exceptions(
    printing_page: Page, tmp_path: Path
) -> None:
    import shutil

    from tests.conftest import ROOT, build_site

    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content)
    policy = content / "policies" / "vestland-fylkeskommune-heimekontor" / "policy.yml"
    text = policy.read_text(encoding="utf-8")
    assert "home_days_per_week_max: 2" in text and "home_days_more_by_exception: true" in text
    policy.write_text(
        text.replace("home_days_more_by_exception: true", "home_days_more_by_exception: false"),
        encoding="utf-8",
    )
    site = build_site(content, tmp_path / "site", pdfs=False)  # the form pages are what is read
    for lang in ("nb", "nn"):
        html = site / lang / "vestland-fylkeskommune" / "skjema" / "avtale" / "index.html"
        days = re.search(r'<input[^>]*id="f-dager-per-uke"[^>]*>', html.read_text("utf-8"))
        assert days is not None
        assert 'data-max="2"' in days.group(0) and 'data-min="0"' in days.group(0)
    # In the browser: three days are refused, and there is no exception to give a reason for.
    from tests.conftest import serve

    server, base = serve(site)
    try:
        page = printing_page
        open_form(page, base, "/nn/vestland-fylkeskommune/skjema/avtale/")
        page.locator("#f-dager-per-uke").fill("3")
        check(page)
        assert "Dagar på heimekontor per veke kan ikkje vere meir enn 2." in summary_texts(page)
        expect(page.locator("#f-flere-dager-grunn")).to_have_count(0)
    finally:
        server.shutdown()


def test_end_dates_come_after_the_start_and_show_only_when_they_apply(
    printing_page: Page, default_server: str
) -> None:
    page = printing_page
    open_form(page, default_server, NB_AGREEMENT)
    end, trial_end = page.locator("#f-sluttdato"), page.locator("#f-proveperiode-slutt")
    expect(end).to_be_hidden()
    expect(trial_end).to_be_hidden()
    page.locator("#f-varighet-midlertidig").check()
    expect(end).to_be_visible()
    page.locator("#f-proveperiode-ja").check()
    expect(trial_end).to_be_visible()
    page.locator("#f-proveperiode-nei").check()
    expect(trial_end).to_be_hidden()
    page.locator("#f-proveperiode-ja").check()

    page.locator("#f-startdato").fill("2099-03-14")
    end.fill("2099-03-01")
    trial_end.fill("2099-03-14")
    check(page)
    texts = summary_texts(page)
    assert "Sluttdato må være en senere dato enn «Avtalen gjelder fra»." in texts
    assert "Prøveperioden varer til må være en senere dato enn «Avtalen gjelder fra»." in texts
    end.fill("2099-12-31")
    check(page)
    assert not any("senere dato" in text and "Sluttdato" in text for text in summary_texts(page))
    # A question that no longer applies is neither checked nor printed.
    page.locator("#f-varighet-fast").check()
    expect(end).to_be_hidden()
    check(page)
    assert not any("Sluttdato" in text for text in summary_texts(page))
