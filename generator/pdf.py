"""Stage 5: PDFs with WeasyPrint: fillable forms (PDF/UA-1) and printable guidelines.

WeasyPrint names each field after the input's ``name`` and describes it (/TU) with its label;
radio groups get the first button's label, so every /TU is set here from the definition.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from generator.cache import read_framed, write_framed
from generator.errors import BuildError
from generator.forms import ResolvedForm
from generator.render import GuidelinePrint, printer


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
    templates_key: str
    """Digest of ``templates_dir``."""
    field_font: FieldFont
    lang: str
    org_name: str
    form: ResolvedForm | None = None
    """For a form's PDF."""
    guideline: GuidelinePrint | None = None
    """For a guideline's PDF."""

    def render(self) -> str:
        pages = printer(self.templates_dir, self.templates_key, self.field_font.css())
        if self.form is not None:
            return pages.form(self.form, self.lang, self.org_name)
        if self.guideline is not None:
            return pages.guideline(self.guideline, self.lang, self.org_name)
        raise ValueError("a print source needs a form or a guideline")


@dataclass(frozen=True)
class PdfJob:
    """One PDF to write."""

    html: str | PrintSource
    """The document, or what to render it from (in the worker)."""
    target: Path
    name: str
    """What the document is, for error messages (e.g. 'nb/kommune/skjema/avtale.pdf')."""
    base_url: str
    """Published address of the page the document belongs to: relative links resolve against
    it (never against the build folder, which differs between builds)."""
    descriptions: dict[str, str] = field(default_factory=dict)
    """Field name -> description (/TU); the visible label of the field or its group."""


FIELD_FONT = "DejaVu Sans"
FIELD_CHARACTERS = [*range(0x20, 0x7F), *range(0xA0, 0x180), 0x2013, 0x2014, 0x2018, 0x2019,
                    0x201C, 0x201D, 0x2026, 0x20AC]  # fmt: skip
"""What a reader may type into a field: Latin-1 and Latin Extended-A (æ ø å, é, ü...)."""


def field_font() -> Path:
    """The font file form fields are typed in (DejaVu Sans, as fontconfig finds it)."""
    found = subprocess.run(["fc-match", "-f", "%{file}", FIELD_FONT], capture_output=True,
                           text=True, check=False).stdout.strip()  # fmt: skip
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
    from weasyprint import HTML  # heavy import, and only safe after any fork

    try:
        try:
            html = job.html if isinstance(job.html, str) else job.html.render()
        except BuildError as exc:  # names the template and its line; add the document
            raise BuildError(f"PDF {job.name} could not be written: {exc}") from exc
        document = HTML(string=html, base_url=job.base_url, url_fetcher=_restricted_fetcher())
        data = document.write_pdf(pdf_forms=True, pdf_variant="pdf/ua-1")
        job.target.parent.mkdir(parents=True, exist_ok=True)
        _finish(data, job)
    except (BuildError, KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        # WeasyPrint raises many kinds, FatalURLFetchingError even outside Exception: name the
        # document instead.
        raise BuildError(f"PDF {job.name} could not be written: {_pdf_failure(exc)}") from exc


def _pdf_failure(exc: BaseException) -> str:
    fetched = re.search(r'Error fetching "([^"]*)"', str(exc))
    if fetched:
        return (f"it would load {fetched.group(1)}, and a PDF loads nothing from elsewhere: "
                "remove that image or url() from the text")  # fmt: skip
    return str(exc) or type(exc).__name__


def _finish(data: bytes, job: PdfJob) -> None:
    """Tidy the form fields, describe each, then save without anything that varies between runs."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        acroform = pdf.Root.get("/AcroForm")
        if acroform is not None:
            _radio_buttons_as_widgets(acroform)
        missing = set(job.descriptions)
        for item in acroform.get("/Fields", []) if acroform is not None else []:
            name = str(item.get("/T", ""))
            if name in job.descriptions:
                item.TU = pikepdf.String(job.descriptions[name])
                missing.discard(name)
        if missing:
            raise BuildError(f"PDF {job.name} lacks the fields {', '.join(sorted(missing))}")
        pdf.save(job.target, deterministic_id=True)


def _radio_buttons_as_widgets(acroform: pikepdf.Dictionary) -> None:
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
