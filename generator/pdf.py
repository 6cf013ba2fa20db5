"""Stage 5: PDFs with WeasyPrint: fillable forms (PDF/UA-1) and printable guidelines.

WeasyPrint names each field after the input's ``name`` and describes it (/TU) with its label;
radio groups get the first button's label, so every /TU is set here from the definition.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import multiprocessing.util
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

from generator.cache import read_framed, write_framed
from generator.errors import BuildError
from generator.forms import ResolvedForm
from generator.printing import GuidelinePrint, printer
from generator.templates import keeping_compiled
from generator.trash import TEMPORARY


@dataclass(frozen=True)
class FieldFont:
    """The font form fields are typed in, and the file its subset's CSS is kept in."""

    path: Path
    stored: Path
    """In the build cache; written by whichever process needs the subset first."""

    def css(self) -> str:
        return _stored_font_css(self.path, self.stored)


@dataclass(frozen=True)
class PrintSource:
    """Everything one PDF's print HTML is made of: plain data, so that the PDF worker renders
    the HTML (and subsets the field font, when no earlier build did) instead of the build
    process."""

    templates_dir: Path
    mkdocs_config: Path
    """The site's settings, for the Markdown extensions a guideline's text is converted with."""
    templates_key: str
    """Digest of ``templates_dir`` and ``mkdocs_config``."""
    field_font: FieldFont
    lang: str
    org_name: str
    form: ResolvedForm | None = None
    """For a form's PDF."""
    guideline: GuidelinePrint | None = None
    """For a guideline's PDF."""

    def shown(self) -> str:
        """What the PDF shows besides the templates and the font, for its cache key: no
        folder names, so the key holds wherever the project and its cache are."""
        form = self.form.shows or repr(self.form) if self.form is not None else None
        return repr((self.lang, self.org_name, form, self.guideline))

    def render(self) -> tuple[str, str]:
        """The print HTML, and the styles every PDF of these templates is printed with (given
        to WeasyPrint beside the HTML, so that a process parses them once: ``_shared``)."""
        pages = printer(
            self.templates_dir, self.mkdocs_config, self.templates_key, self.field_font.css()
        )
        if self.form is not None:
            return pages.form(self.form, self.lang, self.org_name), pages.css
        if self.guideline is not None:
            return pages.guideline(self.guideline, self.lang, self.org_name), pages.css
        raise ValueError("a print source needs a form or a guideline")


@dataclass(frozen=True)
class PdfJob:
    """One PDF to write."""

    html: str | PrintSource
    """The document with all its styles, or what to render it from (in the worker)."""
    target: Path
    name: str
    """What the document is, for error messages (e.g. 'nb/kommune/skjema/avtale.pdf')."""
    base_url: str
    """Published address of the page the document belongs to: relative links resolve against
    it (never against the build folder, which differs between builds)."""
    descriptions: dict[str, str] = field(default_factory=dict)
    """Field name -> description (/TU); the visible label of the field or its group."""
    compiled: Path | None = None
    """Where compiled templates are kept from build to build (``keeping_compiled``)."""


FIELD_FONT = "DejaVu Sans"
FIELD_CHARACTERS = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x180),
    0x2013,
    0x2014,
    0x2018,
    0x2019,
    0x201C,
    0x201D,
    0x2026,
    0x20AC,
]
"""What a reader may type into a field: Latin-1 and Latin Extended-A (æ ø å, é, ü...)."""


def field_font() -> Path:
    """The font file form fields are typed in (DejaVu Sans, as fontconfig finds it)."""
    found = subprocess.run(
        ["fc-match", "-f", "%{file}", FIELD_FONT], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not found or not Path(found).is_file():
        raise BuildError(
            f"font '{FIELD_FONT}' not found (Debian: apt-get install fonts-dejavu-core)"
        )
    return Path(found)


def field_font_css(font: Path) -> str:
    """An @font-face for form fields: a subset of ``font`` with what a reader may type.

    WeasyPrint embeds a field's whole font so that any character can be typed later; the full
    DejaVu Sans makes every form PDF about 430 KB, this subset about 30 KB. Subsetting takes
    about half a second, so the build keeps the result in its cache.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.hinting = False
    options.drop_tables += ["FFTM"]
    loaded = TTFont(font, recalcTimestamp=False)  # the same bytes on every build
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=FIELD_CHARACTERS)
    subsetter.subset(loaded)
    data = io.BytesIO()
    loaded.save(data)
    encoded = base64.b64encode(data.getvalue()).decode("ascii")
    return (
        f'@font-face {{ font-family: "PS Field"; src: url(data:font/ttf;base64,{encoded}); }}\n'
        '.ps-input { font-family: "PS Field", "DejaVu Sans", sans-serif; }\n'
    )


@functools.lru_cache(maxsize=2)
def _stored_font_css(font: Path, stored: Path) -> str:
    data = read_framed(stored)  # None when missing or damaged: then it is made again
    if data is not None and data.isascii():
        return data.decode("ascii")
    css = field_font_css(font)
    # Two workers may both write it: the same bytes. A cache that cannot be written only
    # costs the next build the subsetting.
    with contextlib.suppress(OSError):
        write_framed(stored, css.encode("ascii"))
    return css


def _restricted_fetcher():  # WeasyPrint is imported late, so no annotation
    from weasyprint.urls import URLFetcher

    # Printed documents use inline styles, the field font (a data: URL) and system fonts only:
    # nothing else is ever fetched. A refused address is left out of the PDF, as a browser
    # leaves out an image it cannot load (the page cleaning already removed any from another
    # host); a fatal error would stop the build over a picture.
    return URLFetcher(allowed_protocols=("data",), fail_on_errors=False)


def write_pdf(job: PdfJob) -> None:
    """Render one job; raises BuildError naming the document."""
    with keeping_compiled(job.compiled):
        html, styles = _document(job)
        with _own_temporary_folder():
            _write_pdf(job, html, styles)


def _document(job: PdfJob) -> tuple[str, Styles]:
    """The job's HTML and the styles it shares with the other PDFs; raises BuildError."""
    if isinstance(job.html, str):
        return job.html, Styles(None, [])
    try:
        html, css = job.html.render()
        return html, _shared(css)
    except BuildError as exc:  # names the template and its line; add the document
        raise BuildError(f"PDF {job.name} could not be written: {exc}") from exc


@dataclass(frozen=True)
class Styles:
    """Styles given to WeasyPrint beside a document's HTML, and the fonts they declare."""

    fonts: Any
    """WeasyPrint's FontConfiguration holding those fonts (None: one of the document's own)."""
    sheets: list[Any]
    """WeasyPrint's parsed CSS."""


@functools.lru_cache(maxsize=2)
def _shared(css: str) -> Styles:
    """``css`` parsed once in this process, for every PDF it prints: parsing it (the field
    font is 40 KB of it) and loading the font it declares took a quarter of each PDF. Given
    as the user's styles, they lose to the document's own (its page footer) as they did
    inside it, and win over WeasyPrint's defaults. The same PDF comes out, to the byte,
    whatever the process printed before (``test_pdf``).

    The font file WeasyPrint writes for it lies in a folder of this process's, removed when
    the styles are dropped or the process ends (a killed one's: by a later build, see
    ``trash.left_behind``)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    folder = tempfile.mkdtemp(prefix=f"{TEMPORARY}pdf-")
    earlier, tempfile.tempdir = tempfile.tempdir, folder  # where WeasyPrint writes the font
    try:
        fonts = FontConfiguration()
        sheets = [CSS(string=css, font_config=fonts, url_fetcher=_restricted_fetcher())]
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        tempfile.tempdir = earlier
    multiprocessing.util.Finalize(fonts, shutil.rmtree, (folder, True), exitpriority=0)
    return Styles(fonts, sheets)


@contextlib.contextmanager
def _own_temporary_folder() -> Iterator[None]:
    """A temporary folder of the PDF's own, removed when it is written: WeasyPrint writes the
    fonts a document embeds into a folder it removes only once their configuration is garbage
    collected, which a worker may end before doing (a folder left behind per PDF)."""
    earlier = tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix=f"{TEMPORARY}pdf-") as folder:
        tempfile.tempdir = folder
        try:
            yield
        finally:
            tempfile.tempdir = earlier


def _write_pdf(job: PdfJob, html: str, styles: Styles) -> None:
    # Heavy: imported where a PDF is written (the workers' fork server has it already).
    from weasyprint import HTML

    try:
        document = HTML(string=html, base_url=job.base_url, url_fetcher=_restricted_fetcher())
        rendered = document.render(
            font_config=styles.fonts,
            stylesheets=styles.sheets,
            pdf_forms=True,
            pdf_variant="pdf/ua-1",
        )
        signatures = _signature_places(rendered)
        data = rendered.write_pdf(pdf_forms=True, pdf_variant="pdf/ua-1")
        job.target.parent.mkdir(parents=True, exist_ok=True)
        _finish(data, job, signatures)
    except (BuildError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        # WeasyPrint raises many kinds, FatalURLFetchingError even outside Exception: name the
        # document instead.
        raise BuildError(f"PDF {job.name} could not be written: {_pdf_failure(exc)}") from exc


def _pdf_failure(exc: BaseException) -> str:
    fetched = re.search(r'Error fetching "([^"]*)"', str(exc))
    if fetched:
        return (
            f"it would load {fetched.group(1)}, and a PDF loads nothing from elsewhere: "
            "remove that image or url() from the text"
        )
    return str(exc) or type(exc).__name__


@dataclass(frozen=True)
class SignaturePlace:
    """Where a signature block's line is drawn: an empty signature field goes there."""

    name: str
    label: str
    page: int
    rect: tuple[float, float, float, float]
    """In PDF points from the page's lower left corner."""


def _signature_places(document) -> list[SignaturePlace]:  # a rendered WeasyPrint document
    """The signature lines of a form (marked ``data-signature-field`` by the print template)."""
    places = []
    for number, page in enumerate(document.pages):
        height = page.height * 0.75  # CSS px to points
        seen = set()
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is None:
                continue
            name = element.get("data-signature-field")
            if not name or name in seen or box.element_tag != "div":
                continue
            seen.add(name)
            left, top = box.border_box_x() * 0.75, box.border_box_y() * 0.75
            right = left + box.border_width() * 0.75
            bottom = top + box.border_height() * 0.75
            label = element.get("data-signature-label") or name
            rect = (left, height - bottom, right, height - top)
            places.append(SignaturePlace(name, label, number, rect))
    return places


def _finish(data: bytes, job: PdfJob, signatures: Sequence[SignaturePlace] = ()) -> None:
    """Tidy the form fields, describe each, then save without anything that varies between runs."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        acroform = pdf.Root.get("/AcroForm")
        if acroform is not None:
            _radio_buttons_as_widgets(acroform)
            _viewer_ready(pdf, acroform)
            for place in signatures:
                _add_signature_field(pdf, acroform, place)
        missing = set(job.descriptions)
        for item in acroform.get("/Fields", []) if acroform is not None else []:
            name = str(item.get("/T", ""))
            if name in job.descriptions:
                item.TU = pikepdf.String(job.descriptions[name])
                missing.discard(name)
        if missing:
            raise BuildError(f"PDF {job.name} lacks the fields {', '.join(sorted(missing))}")
        pdf.save(job.target, deterministic_id=True)


def _radio_buttons_as_widgets(acroform: pikepdf.Object) -> None:
    """WeasyPrint gives each radio button its group's name too, which makes viewers see fields
    called "group.group". A button is only a widget of its group: drop its own name and keep
    the group alone in the field list."""
    fields = acroform.get("/Fields")
    if fields is None:
        return
    kept = pikepdf.Array()
    for item in fields:
        if "/Parent" in item:
            for key in ("/T", "/TU", "/FT"):
                if key in item:
                    del item[key]
            continue
        kept.append(item)
    acroform.Fields = kept


CHECK_FONT = pikepdf.Name("/ZaDb")
"""ZapfDingbats, one of the 14 fonts every viewer has: the tick ('4') and the dot ('l')."""


def _viewer_ready(pdf: pikepdf.Pdf, acroform: pikepdf.Object) -> None:
    """Make the fields show the same in poppler, PDFium and pdf.js.

    A viewer that draws a field itself reads its DA string: a button without a font in it shows
    empty in poppler ("Missing 'Tf' operator"). Radio buttons get the web form's
    values as their states (WeasyPrint names them /0, /1... with an /Opt list), each button an
    "Off" appearance, and multi-line text a font size of 0 so that long answers shrink to fit.
    """
    resources = acroform.get("/DR")
    if resources is None:
        resources = acroform.DR = pikepdf.Dictionary()
    fonts = resources.get("/Font")
    if fonts is None:
        fonts = resources.Font = pikepdf.Dictionary()
    if CHECK_FONT not in fonts:
        fonts[CHECK_FONT] = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name.ZapfDingbats,
            )
        )
    # poppler ignores stored appearances while NeedAppearances is set and draws radio buttons
    # empty; every button carries its own appearances, and readers draw text as it is typed.
    acroform.NeedAppearances = False
    # WeasyPrint writes rectangles top first; tools that fill the form (pdf-lib) then draw the
    # text below the box. Lower left, upper right, as the standard puts it.
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if "/Rect" in annot:
                x1, y1, x2, y2 = (float(v) for v in annot.Rect)
                annot.Rect = pikepdf.Array([min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])
    for item in acroform.get("/Fields", []):
        kind = item.get("/FT")
        flags = int(item.get("/Ff", 0))
        if kind == "/Tx" and flags & 4096 and "/DA" in item:
            item.DA = pikepdf.String(re.sub(r"(/\S+) [\d.]+ Tf", r"\1 0 Tf", str(item.DA)))
        elif kind == "/Btn":
            radio = bool(flags & 32768)
            options = [str(o) for o in item.get("/Opt", [])] if radio else []
            if options:
                del item["/Opt"]
                if str(item.get("/V", "/Off")).lstrip("/").isdigit():
                    item.V = pikepdf.Name("/" + options[int(str(item.V).lstrip("/"))])
            # poppler reads the DA of the field (the group, for radio buttons), not the widget.
            item.DA = pikepdf.String(f"{CHECK_FONT} 0 Tf 0 g")
            for widget in item.get("/Kids", [item]):
                _button_widget(pdf, widget, options, radio)


def _button_widget(
    pdf: pikepdf.Pdf, widget: pikepdf.Object, options: list[str], radio: bool
) -> None:
    widget.DA = pikepdf.String(f"{CHECK_FONT} 0 Tf 0 g")
    characteristics = widget.get("/MK")
    if characteristics is None:
        characteristics = widget.MK = pikepdf.Dictionary()
    characteristics.CA = pikepdf.String("l" if radio else "4")
    appearances = widget.get("/AP")
    if appearances is None:
        return
    normal = appearances.get("/N")
    if not isinstance(normal, pikepdf.Dictionary):
        return
    states = {}
    for state, stream in list(normal.items()):
        name = state.lstrip("/")
        if options and name.isdigit() and int(name) < len(options):
            name = options[int(name)]
        states[name] = stream
    if "Off" not in states:
        on = next(iter(states.values()), None)
        box = on.get("/BBox") if on is not None else None
        states["Off"] = pdf.make_stream(
            b"",
            BBox=box or pikepdf.Array([0, 0, 0, 0]),
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
        )
    appearances.N = pikepdf.Dictionary({"/" + name: stream for name, stream in states.items()})
    state = str(widget.get("/AS", "/Off")).lstrip("/")
    if options and state.isdigit() and int(state) < len(options):
        widget.AS = pikepdf.Name("/" + options[int(state)])


def _add_signature_field(pdf: pikepdf.Pdf, acroform: pikepdf.Object, place: SignaturePlace) -> None:
    """An empty signature field over a signature line, tagged as a form field for PDF/UA, so
    that a reader can sign the filled document there."""
    page = pdf.pages[place.page]
    left, bottom, right, top = place.rect
    empty = pdf.make_stream(
        b"",
        BBox=pikepdf.Array([0, 0, right - left, top - bottom]),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Form,
    )
    widget = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Sig,
            T=pikepdf.String(place.name),
            TU=pikepdf.String(place.label),
            F=4,
            Rect=pikepdf.Array([left, bottom, right, top]),
            P=page.obj,
            AP=pikepdf.Dictionary(N=empty),
        )
    )
    _tag_widget(pdf, page, widget)
    if "/Annots" not in page.obj:
        page.obj.Annots = pikepdf.Array()
    page.obj.Annots.append(widget)
    acroform.Fields.append(widget)


def _tag_widget(pdf: pikepdf.Pdf, page: pikepdf.Page, widget: pikepdf.Dictionary) -> None:
    """Put a new widget into the structure tree (a Form element) as PDF/UA asks of annotations."""
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None or "/ParentTree" not in tree:
        return
    document = tree.K[0] if isinstance(tree.K, pikepdf.Array) else tree.K
    parents = pikepdf.NumberTree(tree.ParentTree)
    key = (
        int(tree.get("/ParentTreeNextKey", 0))
        or max((int(k) for k, _ in parents.items()), default=-1) + 1
    )
    element = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem,
            S=pikepdf.Name.Form,
            P=document,
            K=pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=widget, Pg=page.obj),
            Alt=widget.TU,
        )
    )
    kids = document.get("/K")
    if isinstance(kids, pikepdf.Array):
        kids.append(element)
    else:
        document.K = pikepdf.Array([element] if kids is None else [kids, element])
    widget.StructParent = key
    parents[key] = element
    tree.ParentTreeNextKey = key + 1
