"""The toile on paper: an A4 or A3 landscape poster, then the list of its entries with
their contacts, as one PDF drawn by CairoSVG.

Page 1, the poster: the question as the page asks it (« Qui s'occupe des personnes âgées
dans le Hainaut ? »), the filters, the date it was made and how many entries it has, the
drawing with every name written whole (wrapped, never cut: ``render_svg(paper=True)``),
and where it comes from (the page's address, the sources' titles). A toile with no
organisation to draw prints an explanation instead of an empty circle: what was asked,
the wider areas with their counts, the entries of unknown territory, what is missing.

The following pages: every entry (organisations by sector, then dispositifs and
programmes, then those of unknown territory) with its kind, territory, phone, e-mail,
site, address, what it does and when it was last updated; then the path in words, what
is missing and the sources. Each page is an SVG (the same text the browser prints, see
``static/toile.css``), the pages one PDF.

CairoSVG (Kozea) loads the system library libcairo2 when it is imported; where cairo is
missing, :func:`unavailable_reason` says why and the web app offers no PDF (the SVG and
the print stylesheet still work).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any, NoReturn

from .model import Toile, ToileActor, count_text
from .svg import FONTS, INK, OTHERS, _num, _text, render_svg, sector_color

PAPERS = {"a4": (297.0, 210.0), "a3": (420.0, 297.0)}  # millimetres, landscape
COLUMNS = {"a4": 2, "a3": 3}  # columns of the list pages
MARGIN_MM = 10.0
PX_PER_MM = 96 / 25.4  # CairoSVG's user unit is the CSS pixel (96 dpi)
CHAR_EM = 0.58  # average width of a character, in em, for wrapping (sans-serif, generous)
MUTED = "#4A5263"  # 7.8:1 on white


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


# ----------------------------------------------------------------------------- words
def question(toile: Toile) -> str:
    """The toile's question, as its page asks it."""
    place = f" {toile.place_dans}" if toile.place_dans else ""
    return f"Qui s'occupe des {toile.public_label.lower()}{place} ?"


def filters_text(toile: Toile) -> str:
    return "Filtres : " + " ; ".join([f"public : {toile.public_label}", *toile.filter_words()])


def summary(toile: Toile) -> str:
    """« Édité le 3 mars 2026 · 3 acteurs … » (the date of the model: same model, same
    pages)."""
    text = count_text(len(toile.actors), len(toile.programmes))
    if toile.unplaced:
        text += f", et {len(toile.unplaced)} dont le territoire n'est pas renseigné"
    return f"Édité le {toile.edited} · {text}" if toile.edited else text


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` in lines of at most ``width`` pixels at ``size`` px (estimated), never
    cutting a word (a longer word keeps its own line)."""
    chars = max(int(width / (size * CHAR_EM)), 8)
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= chars:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


@dataclass(frozen=True)
class Line:
    text: str
    size: float = 11.0
    bold: bool = False
    color: str = INK
    dot: str = ""  # a sector's colour, drawn before the text

    @property
    def height(self) -> float:
        return self.size * 1.35


def _text_line(x: float, y: float, line: Line) -> str:
    weight = ' font-weight="700"' if line.bold else ""
    out = ""
    if line.dot:
        out += (
            f'<circle cx="{_num(x + 6)}" cy="{_num(y - line.size * 0.35)}" r="6" '
            f'fill="{line.dot}" stroke="{INK}" stroke-width="0.8"/>'
        )
        x += 18
    return out + (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(line.size)}"{weight} '
        f'fill="{line.color}">{_text(line.text)}</text>'
    )


def _page(width: float, height: float, body: list[str]) -> str:
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}" '
            f'height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}" '
            f'font-family="{FONTS}">',
            f'<rect width="{_num(width)}" height="{_num(height)}" fill="#FFFFFF"/>',
            *body,
            "</svg>",
        ]
    )


def _footer(footer: str, toile: Toile, width: float) -> list[Line]:
    lines = [Line(t, 10, color=MUTED) for t in wrap(footer, width, 10)] if footer else []
    if toile.sources:
        sources = "D'après : " + " ; ".join(toile.sources)
        lines += [Line(t, 10, color=MUTED) for t in wrap(sources, width, 10)[:3]]
    return lines


# ----------------------------------------------------------------------------- poster
def page_svg(toile: Toile, *, paper: str = "a4", footer: str = "") -> str:
    """The poster as one SVG page: the question, filters, date and counts, the drawing
    with whole names (or, with no organisation to draw, what to do instead), the
    footer."""
    if paper not in PAPERS:
        raise ValueError(f"papier inconnu : {paper!r} (a4 ou a3)")
    width, height = (mm * PX_PER_MM for mm in PAPERS[paper])
    margin = MARGIN_MM * PX_PER_MM
    inner = width - 2 * margin
    head = [Line(t, 22, bold=True) for t in wrap(question(toile), inner, 22)]
    head += [Line(t, 13) for t in wrap(filters_text(toile), inner, 13)]
    head += [Line(t, 13, bold=True) for t in wrap(summary(toile), inner, 13)]
    foot = _footer(footer, toile, inner)
    body: list[str] = []
    y = margin
    for line in head:
        y += line.height
        body.append(_text_line(margin, y, line))
    top = y + 12
    bottom = height - margin - sum(line.height for line in foot) - 6
    if toile.actors:
        body.append(
            render_svg(toile, title_id="toile", box=(margin, top, inner, bottom - top), paper=True)
        )
    else:
        y = top
        for line in empty_explanation(toile, inner):
            y += line.height
            if y > bottom:
                break
            body.append(_text_line(margin, y, line))
    y = height - margin - sum(line.height for line in foot)
    for line in foot:
        y += line.height
        body.append(_text_line(margin, y, line))
    return _page(width, height, body)


def empty_explanation(toile: Toile, width: float) -> list[Line]:
    """What a toile with no organisation to draw says on paper, instead of a circle."""
    lines: list[Line] = []

    def say(text: str, size: float = 14, bold: bool = False) -> None:
        lines.extend(Line(t, size, bold) for t in wrap(text, width, size))

    where = f" {toile.place_dans}" if toile.place_dans else ""
    say(f"Aucune organisation n'est enregistrée pour ce public{where}.", 18, True)
    lines.append(Line("", 8))
    if toile.programmes:
        names = ", ".join(a.label for a in toile.programmes)
        say(f"Dispositifs ou programmes pour ce public (pages suivantes) : {names}.")
    if toile.widen:
        say("Élargir la zone :", 14, True)
        for step in toile.widen:
            n = step.count
            say(f"– {step.dans} ({step.kind_label}) : {n} réponse{'s' if n > 1 else ''}")
    if toile.unplaced:
        names = ", ".join(a.label for a in toile.unplaced)
        say(
            f"{len(toile.unplaced)} s'occupent de ce public sans que leur territoire soit "
            f"renseigné (pages suivantes) : {names}."
        )
    if toile.gaps:
        say(
            "Attendus pour ce public et non trouvés : "
            + ", ".join(g.kind_label for g in toile.gaps)
        )
    say(
        "Vous connaissez une structure qui joue ce rôle ? Les référents des données de "
        "santegraph peuvent l'ajouter."
    )
    return lines


# ----------------------------------------------------------------------------- the list
def entry_lines(actor: ToileActor, width: float, dot: str = "") -> list[Line]:
    """One entry of the list, whole: name, kind and territory, contacts, what it does,
    when it was updated."""
    name = actor.label + (
        f" ({actor.acronym})" if actor.acronym and actor.acronym != actor.label else ""
    )
    lines = [
        Line(t, 12, True, dot=dot if k == 0 else "")
        for k, t in enumerate(wrap(name, width - 18, 12))
    ]
    details = []
    if actor.kinds:
        details.append(", ".join(actor.kinds))
    details.append("territoire : " + (", ".join(actor.territories) or "non renseigné"))
    contact = [p for p in (actor.phone and f"Tél. {actor.phone}", actor.email, actor.url) if p]
    texts = [" · ".join(details), " · ".join(contact) if contact else "Contact : non renseigné"]
    if actor.address:
        texts.append("Adresse : " + actor.address)
    if actor.what:
        texts.append("Ce qu'il fait : " + actor.what)
    for text in texts:
        lines += [Line(t, 11) for t in wrap(text, width, 11)]
    updated = actor.updated[:1].upper() + actor.updated[1:] if actor.updated else "Jamais daté"
    lines += [Line(t, 10, color=MUTED) for t in wrap(updated, width, 10)]
    return lines


def list_blocks(toile: Toile, width: float) -> list[list[Line]]:
    """The list pages' blocks (kept together in a column): headings and entries."""
    blocks: list[list[Line]] = []
    known = {s.iri: s for s in toile.sectors}
    groups: dict[str, list[ToileActor]] = {}
    for actor in toile.actors:
        key = actor.sector.iri if actor.sector and actor.sector.iri in known else ""
        groups.setdefault(key, []).append(actor)
    order = [s for s in toile.sectors if s.iri in groups]
    if "" in groups:
        order.append(OTHERS)
    for sector in order:
        members = groups[sector.iri]
        color = sector_color(sector)
        heading = Line(f"{sector.label} ({len(members)})", 15, True)
        for k, actor in enumerate(members):
            block = entry_lines(actor, width, dot=color)
            blocks.append(([heading] if k == 0 else []) + block)
    for title, entries in (
        ("Dispositifs et programmes", toile.programmes),
        ("Territoire non renseigné : ils peuvent intervenir ici, ou non", toile.unplaced),
    ):
        for k, actor in enumerate(entries):
            headings = [Line(f"{title} ({len(entries)})", 15, True)] if k == 0 else []
            blocks.append(headings + entry_lines(actor, width))
    names = {a.iri: a.label for a in toile.actors}
    if toile.links:
        blocks.append([Line("Le parcours : qui oriente vers qui", 15, True)])
        for link in toile.links:
            text = f"{names.get(link.source, link.source)} oriente vers "
            text += names.get(link.target, link.target)
            if link.public:
                text += f" pour les {link.public.lower()}"
            if link.need:
                text += f" (besoin : {link.need.lower()})"
            if link.origin:
                text += f" — source : {link.origin}"
            blocks.append([Line(t, 11) for t in wrap(text, width, 11)])
    if toile.gaps:
        text = "Attendus pour ce public et non trouvés : " + ", ".join(
            g.kind_label for g in toile.gaps
        )
        blocks.append(
            [Line("À renseigner", 15, True)] + [Line(t, 11) for t in wrap(text, width, 11)]
        )
    return blocks


def list_pages(toile: Toile, *, paper: str = "a4", footer: str = "") -> list[str]:
    """The pages after the poster: every entry with its contacts, in columns."""
    width, height = (mm * PX_PER_MM for mm in PAPERS[paper])
    margin = MARGIN_MM * PX_PER_MM
    columns = COLUMNS[paper]
    gap = 8 * PX_PER_MM
    column_w = (width - 2 * margin - (columns - 1) * gap) / columns
    foot = _footer(footer, toile, width - 2 * margin)
    head_h = 30.0
    top = margin + head_h + 10
    bottom = height - margin - sum(line.height for line in foot) - 8
    pages: list[list[tuple[float, float, Line]]] = []
    column, y = columns, bottom  # start on a new page

    def next_column() -> float:
        """Go to the top of the next column (of a new page after the last one): its x."""
        nonlocal column, y
        column, y = column + 1, top
        if column >= columns:
            pages.append([])
            column = 0
        return margin + column * (column_w + gap)

    for block in list_blocks(toile, column_w):
        block_h = sum(line.height for line in block) + 8
        x = next_column() if y + block_h > bottom else margin + column * (column_w + gap)
        for line in block:
            if y + line.height > bottom:  # a block longer than a column
                x = next_column()
            y += line.height
            pages[-1].append((x, y, line))
        y += 8
    out = []
    for number, placed in enumerate(pages, start=2):
        title = Line(f"{question(toile)} — la liste, page {number} sur {len(pages) + 1}", 15, True)
        body = [_text_line(margin, margin + title.height, title)]
        body += [_text_line(x, y, line) for x, y, line in placed]
        y = height - margin - sum(line.height for line in foot)
        for line in foot:
            y += line.height
            body.append(_text_line(margin, y, line))
        out.append(_page(width, height, body))
    return out


# ----------------------------------------------------------------------------- the PDF
def pages_svg(toile: Toile, *, paper: str = "a4", footer: str = "") -> list[str]:
    """Every page of the printed toile, as SVG: the poster, then the list."""
    return [page_svg(toile, paper=paper, footer=footer)] + list_pages(
        toile, paper=paper, footer=footer
    )


def render_pdf(toile: Toile, *, paper: str = "a4", footer: str = "") -> bytes:
    """The poster and the list pages, landscape (``paper``: "a4" or "a3"); raises
    RuntimeError without cairo."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(f"PDF unavailable: {reason}")
    import cairocffi
    from cairosvg.parser import Tree
    from cairosvg.surface import PDFSurface

    output = io.BytesIO()
    shared: list[Any] = []  # the cairocffi surface (cairocffi ships no types)

    class Page(PDFSurface):  # type: ignore[misc]  # CairoSVG ships no types: Any
        """A CairoSVG surface drawing on one shared PDF, a page each."""

        def _create_surface(self, width: float, height: float) -> tuple[Any, float, float]:
            if not shared:
                shared.append(cairocffi.PDFSurface(output, width, height))
            else:
                shared[0].set_size(width, height)
            return shared[0], width, height

    for svg in pages_svg(toile, paper=paper, footer=footer):
        Page(Tree(bytestring=svg.encode("utf-8"), url_fetcher=_refuse_urls), None, 96)
        shared[0].show_page()
    shared[0].finish()
    return output.getvalue()


def render_png(toile: Toile, *, paper: str = "a4", footer: str = "", page: int = 0) -> bytes:
    """A page of the printed toile as a PNG (its picture in docs/screenshots/)."""
    from cairosvg.surface import PNGSurface

    svg = pages_svg(toile, paper=paper, footer=footer)[page]
    png: bytes = PNGSurface.convert(bytestring=svg.encode("utf-8"), url_fetcher=_refuse_urls)
    return png
