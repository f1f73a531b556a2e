"""The toile as a one-page PDF, A4 or A3 landscape, drawn by CairoSVG from the toile's SVG.

CairoSVG (Kozea) loads the system library libcairo2 when it is imported; where cairo is
missing, :func:`unavailable_reason` says why and the web app offers no PDF (the SVG and
the print stylesheet still work). The drawing is fitted, centred, inside a page with
margins, under a title line (public and filters) and above a footer (where it comes
from): printed alone, the page still says what it shows.
"""

from __future__ import annotations

import functools
from typing import NoReturn

from .model import Toile
from .svg import FONTS, INK, _num, _subtitle, _text, _wrap, render_svg

PAPERS = {"a4": (297.0, 210.0), "a3": (420.0, 297.0)}  # millimetres, landscape
MARGIN_MM = 10.0
PX_PER_MM = 96 / 25.4  # CairoSVG's user unit is the CSS pixel (96 dpi)
FOOTER_PX = 20.0  # room for the footer line under the drawing


@functools.cache
def unavailable_reason() -> str:
    """Why no PDF can be made here ("" when CairoSVG and libcairo2 load)."""
    try:
        import cairosvg  # noqa: F401  (imports cairocffi, which loads libcairo2)
    except (ImportError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


def page_size_points(paper: str) -> tuple[float, float]:
    """(width, height) of the landscape page in PostScript points."""
    width, height = PAPERS[paper]
    return width * 72 / 25.4, height * 72 / 25.4


def _refuse_urls(url: str, resource_type: str) -> NoReturn:
    # the drawing is self-contained: never let a renderer fetch anything
    raise ValueError(f"external resource refused: {url}")


def _header(toile: Toile, width: float) -> list[tuple[str, int, bool]]:
    """(text, font size, bold) lines above the drawing: the public, then the filters."""
    public = f"Toile des acteurs pour le public « {toile.public_label} »"
    lines = [(line, 17, True) for line in _wrap(public, int(width / (17 * 0.62)), 2)]
    filters = _subtitle(toile)
    filters = filters[:1].upper() + filters[1:]
    if filters:
        lines += [(line, 13, False) for line in _wrap(filters, int(width / (13 * 0.55)), 2)]
    return lines


def page_svg(toile: Toile, *, paper: str = "a4", footer: str = "") -> str:
    """The printed page as one SVG: title lines, the toile's drawing fitted, footer."""
    if paper not in PAPERS:
        raise ValueError(f"papier inconnu : {paper!r} (a4 ou a3)")
    width, height = (mm * PX_PER_MM for mm in PAPERS[paper])
    margin = MARGIN_MM * PX_PER_MM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" '
        f'height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'font-family="{FONTS}">'
    ]
    y = margin
    for text, size, bold in _header(toile, width - 2 * margin):
        y += size * 1.25
        weight = ' font-weight="700"' if bold else ""
        parts.append(
            f'<text x="{_num(margin)}" y="{_num(y)}" font-size="{size}"{weight} '
            f'fill="{INK}">{_text(text)}</text>'
        )
    top = y + 12
    bottom = height - margin - (FOOTER_PX if footer else 0)
    parts.append(
        render_svg(toile, title_id="toile", box=(margin, top, width - 2 * margin, bottom - top))
    )
    if footer:
        parts.append(
            f'<text x="{_num(margin)}" y="{_num(height - margin)}" font-size="11" '
            f'fill="{INK}">{_text(footer)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def render_pdf(toile: Toile, *, paper: str = "a4", footer: str = "") -> bytes:
    """One landscape page (``paper``: "a4" or "a3"); raises RuntimeError without cairo."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(f"PDF unavailable: {reason}")
    from cairosvg.surface import PDFSurface

    pdf: bytes = PDFSurface.convert(
        bytestring=page_svg(toile, paper=paper, footer=footer).encode("utf-8"),
        url_fetcher=_refuse_urls,
    )
    return pdf
