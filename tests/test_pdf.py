"""The PDFs, read back as a viewer would: fields that match their definition and are described
by their labels, PDF/UA-1 with language and title, filled values that survive a save, and a
ticked box that shows when poppler renders it."""

from __future__ import annotations

import concurrent.futures
import json
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import BooleanObject, NameObject

from generator import load_project
from generator.forms import ResolvedForm
from tests.conftest import ROOT, build_site, copy_site, fixture_content, tree_digest
from tests.test_validate import POLICY, replace

APPLICABLE = {
    "kommune": ["avtale", "sjekkliste", "oppfolgingssamtale"],
    "vestland-fylkeskommune": ["avtale", "sjekkliste", "utstyrslan"],
}
"""Forms per organisation: the follow-up form needs a follow-up interval and the loan receipt
equipment on loan, which only one organisation each has in its rules."""

A4 = (595.28, 841.89)
TEXT, MULTILINE, RADIO = 4096, 4096, 32768


def entries(site: Path, kind: str) -> list[dict]:
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    return [entry for entry in manifest["entries"] if entry["kind"] == kind]


@pytest.fixture(scope="module")
def resolved() -> dict[tuple[str, str, str], ResolvedForm]:
    """(lang, org, form id) -> the form as its definition and the organisation's rules make it."""
    project = load_project(ROOT / "content", ROOT / "forms")
    return {
        (lang, instance.org, instance.form_id): form
        for instance in project.forms
        for lang, form in instance.forms.items()
    }


def test_every_organisation_has_each_applicable_form_in_both_languages(default_site: Path) -> None:
    for kind in ("form", "form-pdf"):
        found = {(e["lang"], e["org"], e["id"]) for e in entries(default_site, kind)}
        expected = {
            (lang, org, form)
            for lang in ("nb", "nn")
            for org, forms in APPLICABLE.items()
            for form in forms
        }
        assert found == expected, kind
    for entry in entries(default_site, "form-pdf"):
        assert (default_site / entry["path"]).stat().st_size > 0


def test_pdf_fields_match_the_definition_and_are_described_by_their_labels(
    default_site: Path, resolved: dict[tuple[str, str, str], ResolvedForm]
) -> None:
    for entry in entries(default_site, "form-pdf"):
        form = resolved[entry["lang"], entry["org"], entry["id"]]
        pdf = pikepdf.open(default_site / entry["path"])  # open while its objects are read
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields if f.FT != "/Sig"}
        assert list(fields) == entry["fields"] == form.field_names, entry["path"]
        for control in form.controls:
            field = fields[control.name]
            assert str(field.TU) == control.label, f"{entry['path']}: {control.name}"
            flags = int(field.get("/Ff", 0))
            if control.type in ("text", "date", "number", "textarea"):
                assert field.FT == "/Tx"
                assert bool(flags & MULTILINE) == (control.type == "textarea"), control.name
            elif control.type == "checkbox":
                assert field.FT == "/Btn" and not flags & RADIO
            elif control.type == "radio":
                assert field.FT == "/Btn" and flags & RADIO
                # Each button's "on" state is the web form's value, not an index into /Opt.
                assert "/Opt" not in field
                states = [next(str(s) for s in kid.AP.N if s != "/Off") for kid in field.Kids]
                assert states == [f"/{value}" for value, _ in control.options], control.name
            elif control.type == "select":
                assert field.FT == "/Ch"
        pdf.close()


@pytest.mark.parametrize("kind", ["form-pdf", "guideline-pdf"])
def test_pdfs_are_tagged_pdf_ua_with_language_and_title(default_site: Path, kind: str) -> None:
    found = entries(default_site, kind)
    assert found
    for entry in found:
        with pikepdf.open(default_site / entry["path"]) as pdf:
            assert str(pdf.Root.Lang) == entry["lang"], entry["path"]
            assert "/StructTreeRoot" in pdf.Root
            assert bool(pdf.Root.MarkInfo.Marked)
            assert str(pdf.docinfo.Title) == entry["title"]
            meta = pdf.open_metadata()
            assert meta.get("pdfuaid:part") == "1", entry["path"]
            assert meta.get("dc:title") == entry["title"]
            for page in pdf.pages:
                width, height = (float(v) for v in page.MediaBox[2:])
                assert (round(width, 1), round(height, 1)) == (round(A4[0], 1), round(A4[1], 1))


def test_pdf_footer_names_organisation_form_version_and_page(default_site: Path) -> None:
    reader = PdfReader(default_site / "nn" / "vestland-fylkeskommune" / "skjema" / "avtale.pdf")
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert "Vestland fylkeskommune – Avtale om heimekontor, versjon 1.0" in text
        assert f"Side {number} av {len(pages)}" in text
    assert "Underskrift" in pages[-1]


def _render(pdf: Path, page: int, target: Path) -> Image.Image:
    assert shutil.which("pdftoppm"), "poppler-utils is not installed"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "72",
            "-f",
            str(page),
            "-l",
            str(page),
            "-png",
            "-singlefile",
            str(pdf),
            str(target),
        ],
        check=True,
    )
    return Image.open(f"{target}.png").convert("L")


def _dark_pixels(image: Image.Image, rect: list[float]) -> int:
    """Dark pixels inside a widget's rectangle (PDF points, origin bottom left; 72 dpi)."""
    left, right = sorted((rect[0], rect[2]))
    bottom, top = sorted((rect[1], rect[3]))
    box = (
        round(left) + 2,
        round(image.height - top) + 2,
        round(right) - 2,
        round(image.height - bottom) - 2,
    )
    return sum(1 for value in image.crop(box).get_flattened_data() if value < 128)


def test_typed_values_and_a_ticked_box_survive_saving_and_show(
    default_site: Path, tmp_path: Path
) -> None:
    source = default_site / "nb" / "kommune" / "skjema" / "avtale.pdf"
    writer = PdfWriter(clone_from=PdfReader(source))
    values = {"arbeidstaker_navn": "Ærlig Øystein Åsen", "sjekkliste_utfylt": "/on"}
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    # Viewers draw their own appearance while NeedAppearances is true; poppler then draws a
    # ticked box as empty. Filled and saved, the stored appearance of "on" must show.
    writer._root_object["/AcroForm"][NameObject("/NeedAppearances")] = BooleanObject(False)
    filled = tmp_path / "filled.pdf"
    writer.write(filled)

    fields = PdfReader(filled).get_fields()
    assert fields["arbeidstaker_navn"]["/V"] == "Ærlig Øystein Åsen"
    assert fields["sjekkliste_utfylt"]["/V"] == "/on"

    reader = PdfReader(filled)
    for number, page in enumerate(reader.pages, start=1):
        for annot in page.get("/Annots", []):
            widget = annot.get_object()
            if widget.get("/T") == "sjekkliste_utfylt":
                rect = [float(v) for v in widget["/Rect"]]
                before = _dark_pixels(_render(source, number, tmp_path / "before"), rect)
                after = _dark_pixels(_render(filled, number, tmp_path / "after"), rect)
                assert after > before + 10, f"tick not visible: {before} -> {after} dark pixels"
                return
    pytest.fail("checkbox sjekkliste_utfylt not found")


def test_norwegian_letters_in_labels_are_real_text(default_site: Path) -> None:
    text = " ".join(
        PdfReader(default_site / "nn" / "kommune" / "skjema" / "avtale.pdf")
        .pages[0]
        .extract_text()
        .split()
    )
    assert "Namnet til arbeidstakaren" in text
    assert "Næraste leiar" in text


def test_guideline_pdf_holds_the_guideline(default_site: Path) -> None:
    reader = PdfReader(default_site / "nb" / "vestland-fylkeskommune" / "heimekontor.pdf")
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Videre bruk av hjemmekontor – økt fleksibilitet" in text
    assert "Leverandøren Waco" in text
    # The guideline gives no version, so its footer names none.
    footer = "Vestland fylkeskommune – Videre bruk av hjemmekontor – økt fleksibilitet Side"
    assert footer in text
    assert "fleksibilitet, versjon" not in text


def test_a_changed_rule_reaches_the_agreement_page_and_pdf(
    tmp_path: Path, minimal_site: Path
) -> None:
    content = fixture_content("minimal", tmp_path)
    # The reason field (and its hint with the maximum) is there where more days may be agreed.
    replace(
        POLICY,
        "home_days_per_week_max: 2",
        "home_days_per_week_max: 4\n  home_days_more_by_exception: true",
    )(content)
    # Over a copy of the unchanged build: what the rule reaches is rendered again.
    site = build_site(content, copy_site(minimal_site, tmp_path / "site"))

    for lang, phrase in {
        "nb": "inntil fire dager per uke",
        "nn": "inntil fire dagar per veke",
    }.items():
        page = " ".join((site / lang / "testkommune/skjema/avtale/index.html").read_text().split())
        assert phrase in page
        reader = PdfReader(site / lang / "testkommune/skjema/avtale.pdf")
        pdf_text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        assert phrase in pdf_text
        assert phrase.replace("fire", "to") not in pdf_text


def test_the_loan_receipt_follows_the_equipment_rule(tmp_path: Path, minimal_site: Path) -> None:
    content = fixture_content("minimal", tmp_path)
    policy = content / "policies" / "heimekontor" / "policy.yml"
    policy.write_text(
        policy.read_text()
        .replace(
            "rules:\n",
            "rules:\n  equipment_on_loan:\n"
            "    - {id: pc, name: {nb: bærbar PC, nn: berbar PC}}\n"
            "    - {id: stol, name: {nb: kontorstol, nn: kontorstol}}\n",
        )
        .replace("attachments: [avtale,", "attachments: [utstyrslan, avtale,")
    )
    site = build_site(content, copy_site(minimal_site, tmp_path / "site"))

    receipts = [e for e in entries(site, "form-pdf") if e["id"] == "utstyrslan"]
    assert {e["lang"] for e in receipts} == {"nb", "nn"}
    for receipt in receipts:
        assert {"utstyr_pc", "utstyr_stol"} <= set(receipt["fields"])
    page = (site / "nn/testkommune/skjema/utstyrslan/index.html").read_text()
    assert "Berbar PC" in page and "Kontorstol" in page


def test_a_failing_pdf_worker_names_the_document(tmp_path: Path) -> None:
    from generator import BuildError
    from generator.pdf import PdfJob, write_pdf
    from generator.workers import Workers

    good = PdfJob(
        "<!doctype html><html lang=nb><title>A</title><p>A</p>",
        tmp_path / "a.pdf",
        "nb/a.pdf",
        "http://localhost:8000/nb/",
    )
    blocked = tmp_path / "b.pdf"
    blocked.mkdir()  # a folder where the PDF should go: writing it fails inside the worker
    bad = PdfJob(
        "<!doctype html><html lang=nb><title>B</title><p>B</p>",
        blocked,
        "nb/b.pdf",
        "http://localhost:8000/nb/",
    )

    workers = Workers(2)
    for job in (good, bad):
        workers.submit("PDF", f"PDF {job.name}", write_pdf, job)
    with pytest.raises(BuildError, match=r"PDF nb/b\.pdf could not be written"):
        workers.run()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_pdf_that_fails_in_a_build_is_named_and_the_site_stays(
    tmp_path: Path, jobs: int, minimal_site: Path
) -> None:
    """A maintainer breaks the print template: the pages build, the PDFs cannot."""
    from generator import BuildError, Paths, build

    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(ROOT / "site_templates", project / "site_templates")
    content = fixture_content("minimal", tmp_path)
    site = copy_site(minimal_site, tmp_path / "site")  # a full build of ``content``
    paths = Paths.default(project, content, site, ROOT / "forms")
    before = tree_digest(site)
    template = project / "site_templates/print/form.html.j2"
    template.write_text(template.read_text().replace("{{ org }}", "{{ org.no_such_thing }}", 1))

    with pytest.raises(
        BuildError,
        match=r"^PDF n[bn]/testkommune/skjema/\w+\.pdf could not be written: .*no_such_thing",
    ):
        build(paths, jobs=jobs)

    assert tree_digest(site) == before
    assert not list(tmp_path.glob(".site.new-*")) + list(tmp_path.glob(".site.old-*"))


def test_pdfs_are_identical_whatever_the_number_of_workers(
    minimal_site: Path, minimal_two_workers: Path
) -> None:
    """The one shared build ran in its own process (one job), the other in two workers."""
    sites = [
        {p.relative_to(s): p.read_bytes() for p in s.rglob("*.pdf")}
        for s in (minimal_site, minimal_two_workers / "site")
    ]
    assert sites[0] and sites[0] == sites[1]


def test_text_fields_are_typed_in_the_field_font(default_site: Path) -> None:
    """The styles every PDF shares, given to WeasyPrint beside each form's HTML, reach every
    form: its text fields type in the field font's subset (declared there), not in a whole
    system font."""
    for entry in entries(default_site, "form-pdf"):
        with pikepdf.open(default_site / entry["path"]) as pdf:
            acroform = pdf.Root.AcroForm
            fonts = {str(name): str(font.BaseFont) for name, font in acroform.DR.Font.items()}
            typed = [field for field in acroform.Fields if field.get("/FT") == "/Tx"]
            assert typed, entry["path"]
            for field in typed:
                name = str(field.DA).split()[-3]  # "... /F1 10 Tf"
                assert fonts[name].endswith("+PS-Field"), (entry["path"], str(field.T))


def _widgets(pdf: Path) -> dict[str, list[tuple[int, list[float]]]]:
    """Field name -> (page number, rectangle) of each of its widgets."""
    found: dict[str, list[tuple[int, list[float]]]] = {}
    for number, page in enumerate(PdfReader(pdf).pages, start=1):
        for annot in page.get("/Annots", []):
            widget = annot.get_object()
            name = widget.get("/T") or widget["/Parent"].get_object()["/T"]
            found.setdefault(str(name), []).append((number, [float(v) for v in widget["/Rect"]]))
    return found


def test_buttons_can_be_drawn_by_any_viewer(default_site: Path) -> None:
    for entry in entries(default_site, "form-pdf"):
        with pikepdf.open(default_site / entry["path"]) as pdf:
            acroform = pdf.Root.AcroForm
            fonts = acroform.DR.Font
            for field in acroform.Fields:
                if field.FT == "/Btn":
                    for widget in [field, *field.get("/Kids", [])]:
                        # A viewer that draws the button itself needs a font in the DA string.
                        font = str(widget.DA).split()[0]
                        assert "Tf" in str(widget.DA) and font in fonts, entry["path"]
                    for widget in field.get("/Kids", [field]):
                        assert "/Off" in widget.AP.N and len(widget.AP.N.keys()) == 2
                elif field.FT == "/Tx" and int(field.get("/Ff", 0)) & MULTILINE:
                    # Size 0: long answers shrink to fit the box instead of being cut.
                    assert " 0 Tf" in str(field.DA), f"{entry['path']}: {field.T}"


def test_filled_radio_button_and_box_show_with_the_web_forms_values(
    default_site: Path, tmp_path: Path
) -> None:
    source = default_site / "nn" / "kommune" / "skjema" / "avtale.pdf"
    writer = PdfWriter(clone_from=PdfReader(source))
    values = {
        "varighet": "/midlertidig",
        "leder_sier_opp": "/on",
        "taushetsplikt": "\n".join(f"Linje {n} om teieplikt" for n in range(1, 13)),
    }
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    filled = tmp_path / "filled.pdf"
    writer.write(filled)

    fields = PdfReader(filled).get_fields()
    for name, value in values.items():
        assert fields[name]["/V"] == value
    widgets = _widgets(filled)
    for name, index in (("varighet", 1), ("leder_sier_opp", 0)):
        number, rect = widgets[name][index]
        before = _dark_pixels(_render(source, number, tmp_path / f"{name}-before"), rect)
        after = _dark_pixels(_render(filled, number, tmp_path / f"{name}-after"), rect)
        assert after > before + 10, f"{name}: {before} -> {after} dark pixels"
    # The unchosen button stays empty.
    number, rect = widgets["varighet"][0]
    assert _dark_pixels(_render(filled, number, tmp_path / "other"), rect) == _dark_pixels(
        _render(source, number, tmp_path / "other-before"), rect
    )


def test_each_signature_block_has_an_empty_signature_field(default_site: Path) -> None:
    source = default_site / "nb" / "kommune" / "skjema" / "avtale.pdf"
    with pikepdf.open(source) as pdf:
        signatures = [f for f in pdf.Root.AcroForm.Fields if f.FT == "/Sig"]
        names = {str(f.T) for f in signatures}
        assert names == {"underskrift_arbeidstaker_signatur", "underskrift_leder_signatur"}
        for field in signatures:
            assert "/V" not in field
            assert str(field.TU).endswith(": Underskrift")
            assert "/StructParent" in field  # tagged, as PDF/UA asks of every annotation
            left, bottom, right, top = (float(v) for v in field.Rect)
            assert right - left > 200 and top - bottom > 30
    # Over the signature line, above the signer's name field of the same block.
    widgets = _widgets(source)
    for who in ("arbeidstaker", "leder"):
        sig_page, sig = widgets[f"underskrift_{who}_signatur"][0]
        name_page, name = widgets[f"underskrift_{who}_navn"][0]
        assert sig_page == name_page and sig[1] > name[3]


def _self_signed() -> tuple[object, object]:
    """A throwaway certificate and key, as asn1crypto objects for pyHanko."""
    import datetime

    from asn1crypto import keys, x509
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "Kari Nordmann")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(cx509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            cx509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (
        x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(der_key),
    )


def sign(unsigned: Path, signed: Path, field_name: str) -> None:
    # pyHanko runs an event loop of its own: never in a thread that already has one (Playwright).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(_sign, unsigned, signed, field_name).result()


def _sign(unsigned: Path, signed: Path, field_name: str) -> None:
    """Sign ``field_name`` with a throwaway certificate (pyHanko), then check the signature is
    intact, valid and trusted (against that certificate) and the only one."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import signers
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert, key = _self_signed()
    signer = signers.SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert])
    )
    with unsigned.open("rb") as inp, signed.open("wb") as out:
        signers.sign_pdf(
            IncrementalPdfFileWriter(inp),
            signers.PdfSignatureMetadata(field_name=field_name),
            signer=signer,
            output=out,
        )
    with signed.open("rb") as inp:
        (signature,) = PdfFileReader(inp).embedded_signatures
        assert signature.field_name == field_name
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[cert]))
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()


def test_a_filled_agreement_can_be_signed_in_its_signature_field(
    default_site: Path, tmp_path: Path
) -> None:
    source = default_site / "nb" / "kommune" / "skjema" / "avtale.pdf"
    writer = PdfWriter(clone_from=PdfReader(source))
    values = {"arbeidstaker_navn": "Åse Ødegård", "varighet": "/fast"}
    for page in writer.pages:
        writer.update_page_form_field_values(page, values, auto_regenerate=False)
    filled = tmp_path / "filled.pdf"
    writer.write(filled)

    signed = tmp_path / "signed.pdf"
    sign(filled, signed, "underskrift_arbeidstaker_signatur")
    fields = PdfReader(signed).get_fields()
    assert fields["arbeidstaker_navn"]["/V"] == "Åse Ødegård"
    assert fields["varighet"]["/V"] == "/fast"
    assert "/V" not in fields["underskrift_leder_signatur"]  # the other signer's field is free
