"""The filled PDF, made in the reader's browser (Debian's Chromium) from the form's own fillable
PDF with pdf-lib: every answer of every form in both written forms is in it under the web form's
values, poppler draws the typed text, ticks and chosen buttons, it stays fillable, and it can be
signed in its signature field."""

from __future__ import annotations

import base64
import datetime
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.conftest import ROOT
from tests.pages import FORM, IMAGES, STATUS, clear_form, shrink
from tests.test_browser_forms import form_entries, form_values, url_path
from tests.test_pdf import _dark_pixels, _render, _widgets, sign


def _render_pdfium(pdf: Path, page: int, target: Path) -> Image.Image:
    """The page as Chromium's own PDF engine (PDFium) draws it, forms included, at 72 dpi."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        document.init_forms()
        bitmap = document[page - 1].render(scale=1, may_draw_forms=True)
        return bitmap.to_pil().convert("L")
    finally:
        document.close()


PDFJS = ROOT / "tests" / "js" / "node_modules" / "pdfjs-dist" / "build"

_PDFJS_DRAW = """async ({data, number}) => {
  const pdfjs = await import("/__pdfjs/pdf.mjs");
  pdfjs.GlobalWorkerOptions.workerSrc = "/__pdfjs/pdf.worker.mjs";
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const doc = await pdfjs.getDocument({data: bytes}).promise;
  const page = await doc.getPage(number);
  const viewport = page.getViewport({scale: 1});
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(viewport.width);
  canvas.height = Math.round(viewport.height);
  // ENABLE: widgets drawn from their appearance streams, as a viewer shows a finished form.
  await page.render({canvas, viewport, annotationMode: pdfjs.AnnotationMode.ENABLE}).promise;
  return canvas.toDataURL("image/png").split(",")[1];
}"""


def pdfjs_renderer(page: Page, base: str) -> Any:
    """Draws a PDF's page with pdf.js (Firefox's viewer), at 72 dpi, in a tab of ``page``'s
    browser; pdf.js is served from the test tools (tests/js), never from the site."""
    viewer = page.context.new_page()

    def serve(route: Any) -> None:
        name = route.request.url.rsplit("/", 1)[1]
        if name == "view.html":
            route.fulfill(body="<!doctype html><title>pdf.js</title>", content_type="text/html")
        else:
            route.fulfill(path=str(PDFJS / name), content_type="text/javascript")

    viewer.route(f"{base}/__pdfjs/*", serve)
    viewer.goto(f"{base}/__pdfjs/view.html")

    def render(pdf: Path, number: int, target: Path) -> Image.Image:
        data = base64.b64encode(pdf.read_bytes()).decode("ascii")
        png = viewer.evaluate(_PDFJS_DRAW, {"data": data, "number": number})
        return Image.open(io.BytesIO(base64.b64decode(png))).convert("L")

    return render


DOWNLOAD = "[data-ps-download]"
LONG = "\n".join(f"Linje {n}: Ærlig Øystein Åsen svarer kl. 08.00–15.30" for n in range(1, 13))
"""Twelve lines with Norwegian letters and en dashes."""


@pytest.fixture(scope="module")
def manifest(default_site: Path) -> dict[str, Any]:
    return json.loads((default_site / "manifest.json").read_text(encoding="utf-8"))


ANSWER_EVERYTHING = """long => {
  const expected = {};
  const fields = document.querySelectorAll("form[data-ps-form] :is(input[name], textarea, select)");
  fields.forEach((field, index) => {
    const kind = field.hasAttribute("data-number") ? "number"
      : field.getAttribute("type") || field.tagName.toLowerCase();
    // Asked in order: an answer above may have shown or hidden this question.
    if (!field.checkVisibility()) {  // a question that does not apply stays empty in the PDF
      expected[field.name] = kind === "checkbox" || kind === "radio" ? "/Off" : "";
      return;
    }
    const answer = value => {  // as typing or choosing does: the value, then its events
      field.value = value;
      field.dispatchEvent(new Event("input", { bubbles: true }));
      field.dispatchEvent(new Event("change", { bubbles: true }));
    };
    if (kind === "checkbox") {
      if (index % 2 === 0 && !field.checked) field.click();
      expected[field.name] = index % 2 === 0 ? "/on" : "/Off";
    } else if (kind === "radio") {
      field.click();  // the last button of each group stays chosen
      expected[field.name] = "/" + field.value;
    } else if (kind === "date") {
      answer("2099-03-14");
      expected[field.name] = "14.03.2099";
    } else if (kind === "number") {
      answer("2,5");
      expected[field.name] = "2,5";
    } else if (kind === "textarea") {
      answer(long);
      expected[field.name] = long;
    } else if (kind === "select") {
      answer(field.options[1].value);
      expected[field.name] = field.value;
    } else {
      answer(`Åse Ødegård – ${index}`);
      expected[field.name] = field.value;
    }
  });
  return expected;
}"""


def fill_everything(page: Page) -> dict[str, str]:
    """Answer every question on the form page; field name -> value as the PDF must hold it.
    In one call in the page (other tests type key by key): 16 forms, about 30 questions each."""
    return page.evaluate(ANSWER_EVERYTHING, LONG)


def download_filled(page: Page, target: Path) -> tuple[Path, str]:
    with page.expect_download() as info:
        page.locator(DOWNLOAD).click()
    download = info.value
    path = target / "filled.pdf"
    download.save_as(path)
    return path, download.suggested_filename


@pytest.mark.parametrize("index", range(12))
def test_every_answer_of_every_form_is_in_the_downloaded_pdf(
    page: Page, default_server: str, manifest: dict[str, Any], index: int, tmp_path: Path
) -> None:
    entries = sorted(form_entries(manifest), key=lambda e: e["path"])
    assert len(entries) == 12, "forms changed: adjust the range"
    entry = entries[index]
    page.goto(default_server + url_path(entry["path"]))
    expected = fill_everything(page)
    filled, name = download_filled(page, tmp_path)

    title = page.locator("form[data-ps-form]").get_attribute("data-title")
    first = page.locator("form[data-ps-form] input[type=text]").first.input_value()
    day = datetime.date.today().strftime("%d.%m.%Y")
    assert name == f"{title} – {first} – {day}.pdf"
    expect(page.locator(".ps-status")).to_have_text(
        {"nb": "PDF-en med svarene er lastet ned.", "nn": "PDF-en med svara er lasta ned."}[
            entry["lang"]
        ]
    )

    fields = PdfReader(filled).get_fields()
    for field_name, value in expected.items():
        assert str(fields[field_name].get("/V", "/Off")) == value, field_name
    # Still fillable: the same fields as the blank PDF, signature fields free.
    assert set(fields) == set(PdfReader(default_server_file(page, entry)).get_fields())


def _fonts_of_typed_answers(reader: PdfReader) -> set[str]:
    """For the font of each text field's appearance: "embedded", or the name of one the file
    does not hold (a viewer draws it with a font of its own)."""
    found = set()
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            widget = annotation.get_object()
            if widget.get("/FT") != "/Tx" or "/AP" not in widget or not widget.get("/V"):
                continue
            appearance = widget["/AP"]["/N"].get_object()
            for font in appearance["/Resources"]["/Font"].values():
                font = font.get_object()
                described = font
                if "/DescendantFonts" in font:
                    described = font["/DescendantFonts"][0].get_object()
                descriptor = described.get("/FontDescriptor")
                held = descriptor is not None and any(
                    key in descriptor.get_object()
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                found.add("embedded" if held else str(font.get("/BaseFont")))
    return found


def default_server_file(page: Page, entry: dict[str, Any]) -> Any:
    import io
    import urllib.request

    href = page.locator(".ps-pdf a[type='application/pdf']").evaluate("a => a.href")
    with urllib.request.urlopen(href) as response:
        return io.BytesIO(response.read())


@pytest.mark.parametrize("lang", ["nb", "nn"])
def test_the_downloaded_agreement_shows_text_ticks_and_choices_in_three_viewers(
    page: Page, default_server: str, default_site: Path, lang: str, tmp_path: Path
) -> None:
    page.goto(f"{default_server}/{lang}/kommune/skjema/avtale/")
    fill_everything(page)
    filled, _ = download_filled(page, tmp_path)
    blank = default_site / lang / "kommune" / "skjema" / "avtale.pdf"

    reader = PdfReader(filled)
    # Every answer carries its own appearance: no viewer has to draw one.
    need = reader.trailer["/Root"]["/AcroForm"].get("/NeedAppearances")
    assert need is None or need.value is False
    # ... drawn in a font the file holds (the form's own), not one a viewer must stand in for.
    assert _fonts_of_typed_answers(reader) == {"embedded"}
    widgets = _widgets(filled)
    # A text field, a long answer, a ticked box and the chosen button of a group.
    shown = [
        ("arbeidstaker_navn", 0),
        ("taushetsplikt", 0),
        ("sjekkliste_utfylt", 0),
        ("varighet", 1),
    ]
    renderers = {
        "poppler": _render,  # Evince, Okular
        "PDFium": _render_pdfium,  # Chromium, Edge
        "pdf.js": pdfjs_renderer(page, default_server),  # Firefox
    }
    for engine, render in renderers.items():
        for field_name, which in shown:
            number, rect = widgets[field_name][which]
            before = _dark_pixels(render(blank, number, tmp_path / f"{field_name}-b"), rect)
            after = _dark_pixels(render(filled, number, tmp_path / f"{field_name}-a"), rect)
            assert after > before + 10, f"{engine}: {field_name}: {before} -> {after} dark pixels"
        # The box left empty and the other button stay empty.
        for field_name, which in (("varighet", 0), ("forsvarlig_arbeidsplass", 0)):
            number, rect = widgets[field_name][which]
            before = _dark_pixels(render(blank, number, tmp_path / f"{field_name}-b"), rect)
            after = _dark_pixels(render(filled, number, tmp_path / f"{field_name}-a"), rect)
            assert abs(after - before) <= 2, f"{engine}: {field_name}"
    # The README shows the first page as poppler draws it.
    number, _ = widgets["arbeidstaker_navn"][0]
    render = tmp_path / "readme"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "100",
            "-f",
            str(number),
            "-l",
            str(number),
            "-png",
            "-singlefile",
            str(filled),
            str(render),
        ],
        check=True,
    )
    IMAGES.mkdir(parents=True, exist_ok=True)
    shutil.copy(f"{render}.png", IMAGES / f"filled-pdf-{lang}.png")
    shrink(IMAGES / f"filled-pdf-{lang}.png", height=700)
    # The long answer is there whole in its appearance (shrunk to fit, not cut).
    field = next(
        a.get_object()
        for p in reader.pages
        for a in p.get("/Annots", [])
        if a.get_object().get("/T") == "taushetsplikt"
    )
    drawn = field["/AP"]["/N"].get_data().decode("latin-1")
    assert len(re.findall(r"\bTj\b", drawn)) >= 12


def test_a_downloaded_agreement_can_be_signed(
    page: Page, default_server: str, tmp_path: Path
) -> None:
    page.goto(f"{default_server}/nn/kommune/skjema/avtale/")
    expected = fill_everything(page)
    filled, _ = download_filled(page, tmp_path)
    signed = tmp_path / "signed.pdf"
    sign(filled, signed, "underskrift_leder_signatur")
    fields = PdfReader(signed).get_fields()
    for field_name, value in expected.items():
        assert str(fields[field_name].get("/V", "/Off")) == value, field_name


def open_file(page: Page, path: Path) -> None:
    """ "Åpne utfylt PDF eller lagrede svar", choosing ``path`` in the file chooser."""
    with page.expect_file_chooser() as chooser:
        page.locator("[data-ps-open]").click()
    chooser.value.set_files(path)


@pytest.mark.parametrize(
    ("path", "foreign_form"),
    [
        ("/nb/kommune/skjema/avtale/", "sjekkliste"),
        ("/nn/vestland-fylkeskommune/skjema/utstyrslan/", "avtale"),
    ],
    ids=["nb-agreement", "nn-equipment"],
)
def test_a_downloaded_pdf_or_answers_file_opens_back_into_the_form(
    page: Page,
    default_server: str,
    default_site: Path,
    tmp_path: Path,
    path: str,
    foreign_form: str,
) -> None:
    """Every field type back from the filled PDF and from the answers file, into an empty form
    after a reload; a PDF or file of anything else is refused with a message."""
    lang = path.split("/")[1]
    page.goto(default_server + path)
    fill_everything(page)
    answers = form_values(page)
    filled, _ = download_filled(page, tmp_path)
    with page.expect_download() as info:
        page.locator("[data-ps-save-file]").click()
    saved = tmp_path / "answers.json"
    info.value.save_as(saved)
    assert info.value.suggested_filename.endswith(".json")
    data = json.loads(saved.read_text(encoding="utf-8"))
    form = page.locator(FORM)
    assert (data["form"], data["version"]) == (
        form.get_attribute("data-form-id"),
        form.get_attribute("data-form-version"),
    )
    assert data["answers"] == answers

    opened = {
        "nb": "Svarene fra «{}» er lagt inn i skjemaet.",
        "nn": "Svara frå «{}» er lagde inn i skjemaet.",
    }[lang]
    for source in (filled, saved):
        clear_form(page)
        page.reload()
        assert form_values(page) == {}, "the form is not empty after clearing"
        open_file(page, source)
        expect(page.locator(STATUS)).to_have_text(opened.format(source.name))
        assert form_values(page) == answers, f"answers from {source.name} differ"
        # Kept as the draft: still there after a reload.
        page.reload()
        assert form_values(page) == answers, f"answers from {source.name} not kept as a draft"

    # Into a form that holds answers, a file opens as a draft of its own, the other one kept.
    opened_again = form_values(page)
    open_file(page, saved)
    key = form.get_attribute("data-storage-key")
    # The file is read in the background: wait until its draft is stored.
    page.wait_for_function(
        "k => (JSON.parse(localStorage.getItem(k) || '{}').drafts || []).length === 2", arg=key
    )
    drafts = json.loads(page.evaluate("k => localStorage.getItem(k)", key))
    assert len(drafts["drafts"]) == 2 and form_values(page) == opened_again

    # Anything else: the blank PDF of another form, a guideline PDF, a text file.
    other_pdf = next((default_site / lang).glob(f"*/skjema/{foreign_form}.pdf"))
    guideline = next(p for p in (default_site / lang).glob("*/*.pdf"))
    text = tmp_path / "notat.json"
    text.write_text('{"format": "policy-site-answers", "form": "noe annet", "answers": {}}')
    refused = {"nb": "«{}» kan ikke åpnes her", "nn": "«{}» kan ikkje opnast her"}[lang]
    before = form_values(page)
    for foreign in (other_pdf, guideline, text):
        open_file(page, foreign)
        expect(page.locator(STATUS)).to_contain_text(refused.format(foreign.name))
        assert form_values(page) == before, f"{foreign.name} changed the answers"


def test_the_next_follow_up_is_offered_as_a_calendar_file(
    page: Page, default_server: str, tmp_path: Path
) -> None:
    """The follow-up form proposes the conversation's date plus the organisation's interval
    (six months for the municipality) and makes an RFC 5545 file of it in the browser."""
    page.goto(f"{default_server}/nn/kommune/skjema/oppfolgingssamtale/")
    next_date = page.locator("#f-neste-oppfolging")
    assert next_date.get_attribute("data-months") == "6"
    page.locator("#f-dato").fill("2099-08-31")
    expect(next_date).to_have_value("2100-02-28")  # no 31 February: the month's last day
    page.locator("#f-dato").fill("2099-03-14")
    expect(next_date).to_have_value("2099-09-14")
    next_date.fill("2099-10-01")  # the reader's own date stays
    page.locator("#f-dato").fill("2099-03-15")
    expect(next_date).to_have_value("2099-10-01")
    page.locator("#f-arbeidstaker-navn").fill("Åse Ødegård, Bergen; avd. 2")

    with page.expect_download() as info:
        page.locator("[data-ps-calendar]").click()
    assert info.value.suggested_filename.endswith(".ics")
    target = tmp_path / "neste.ics"
    info.value.save_as(target)
    raw = target.read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.decode("utf-8").split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    unfolded = raw.decode("utf-8").replace("\r\n ", "").split("\r\n")
    props = dict(line.split(":", 1) for line in unfolded if ":" in line)
    assert props["VERSION"] == "2.0" and props["PRODID"]
    assert props["UID"] and re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"])
    assert props["DTSTART;VALUE=DATE"] == "20991001"
    assert props["DTEND;VALUE=DATE"] == "20991002"
    assert props["SUMMARY"] == (
        "Oppfølgingssamtale om heimekontor – Åse Ødegård\\, Bergen\\; avd. 2"
    )
    expect(page.locator(".ps-status")).to_have_text(
        "Kalenderfila er lasta ned. Opne ho for å leggje datoen i kalenderen."
    )
