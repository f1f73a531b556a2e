"""Draw a :class:`~santegraph.toile.model.Toile` as a standalone, accessible SVG.

Layout (docs/decisions/0006-toile-layout.md): the public at the centre; one angular wedge
per sector present, in ``toile.sectors`` order, "Autres" last; inside a wedge the actors sit
on concentric rings, innermost first, never closer than ``SPACING`` (centre to centre) to
any other node, which also keeps every label (centred under its circle, at most
``LABEL_LINES`` lines of ``LABEL_CHARS`` characters) clear of every other circle and label.
While more than ``MAX_DRAWN`` nodes would be drawn, the biggest wedge holding more than
``FOLD_THRESHOLD`` actors is folded into one group node "N acteurs" that lists them in its
``<title>`` and ``<desc>``. Orientation links are curved arrows between the drawn nodes.

The output depends on the model only (no clock, no randomness, no dict-order surprises):
the same model gives the same bytes. Every text comes from the model and is escaped.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .model import Sector, Toile, ToileActor

FOLD_THRESHOLD = 12  # a wedge with more actors than this may be folded into one group node
MAX_DRAWN = 48  # ... and is, biggest first, while more nodes than this would be drawn
SPACING = 100.0  # minimum distance between two node centres (arc and ring spacing)
NODE_R = 16.0  # actor node radius
GROUP_R = 34.0  # folded group node radius
CENTRE_R = 80.0  # the public's node radius
FIRST_RING = 190.0  # minimum radius of the innermost ring
LABEL_CHARS = 12  # longest label line drawn under a node (then "…", full name in <title>)
LABEL_LINES = 2
LABEL_SIZE = 12
MARGIN = 190.0  # least room outside the outer ring (radial sector names)
OTHERS = Sector(iri="", label="Autres", color="#767676")
INK = "#1d2433"
DARK_ON_FILL = "#111111"  # darker than INK: text on mid-tone fills such as #1A85FF
LINK_COLOR = "#3b4252"
FONTS = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


# ----------------------------------------------------------------------------- helpers
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTR_ESCAPES = (*_ESCAPES, ("\n", "&#10;"), ("\r", "&#13;"), ("\t", "&#9;"))


def _replace(value: str, pairs: tuple[tuple[str, str], ...]) -> str:
    # What xml.sax.saxutils does, minus the work for characters absent (most labels).
    if _XML_INVALID.search(value):
        value = _XML_INVALID.sub("", value)
    for char, entity in pairs:
        if char in value:
            value = value.replace(char, entity)
    return value


def _text(value: str) -> str:
    """Escape text content; drop characters XML 1.0 cannot carry."""
    return _replace(value, _ESCAPES)


def _attr(value: str) -> str:
    """A quoted, escaped attribute value (newlines and tabs kept as character references);
    quotes chosen as ``xml.sax.saxutils.quoteattr`` does."""
    value = _replace(value, _ATTR_ESCAPES)
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'


def _num(value: float) -> str:
    """A coordinate with two decimals, no negative zero: stable bytes across platforms."""
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def sector_color(sector: Sector) -> str:
    return sector.color.upper() if _COLOR.match(sector.color or "") else OTHERS.color


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of ``#RRGGBB``."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@functools.lru_cache(maxsize=256)  # a few sector colours, asked at every drawing
def text_color_on(fill: str) -> str:
    """Near-black or white, whichever contrasts more with ``fill``."""
    dark = DARK_ON_FILL
    return dark if contrast_ratio(dark, fill) >= contrast_ratio("#FFFFFF", fill) else "#FFFFFF"


def short_label(actor: ToileActor) -> list[str]:
    """The lines drawn under a node (at most LABEL_LINES of LABEL_CHARS characters): the
    name; if it does not fit, its acronym; else its beginning and its end ("Maison de…" /
    "d'Hautmont"), the end being what tells two "Maison de santé ..." apart."""
    return list(_short_label(actor.label, actor.acronym, actor.iri))


@functools.lru_cache(maxsize=4096)  # a pure function of three strings, drawn again and again
def _short_label(label: str, acronym: str, iri: str) -> tuple[str, ...]:
    label = " ".join(label.split()) or iri.rstrip("/").rsplit("/", 1)[-1]
    acronym = " ".join(acronym.split())
    lines = _wrap(label, LABEL_CHARS, LABEL_LINES)
    if " ".join(lines) == label:
        return tuple(lines)
    if acronym:
        return tuple(_wrap(acronym, LABEL_CHARS, LABEL_LINES))
    words = label.split()
    if lines and words[-1].startswith(lines[-1].rstrip("…").split()[-1]):
        return tuple(lines)  # only the last word is cut: the beginning tells enough
    tail = words[-1]
    for word in reversed(words[:-1]):
        if len(word) + 1 + len(tail) > LABEL_CHARS:
            break
        tail = word + " " + tail
    if len(tail) > LABEL_CHARS:
        tail = "…" + tail[-(LABEL_CHARS - 1) :]
    head = _wrap(label, LABEL_CHARS - 1, 1)[0].rstrip("…").rstrip()
    return (head + "…", tail)


def full_name(actor: ToileActor) -> str:
    name = " ".join(actor.label.split())
    acronym = " ".join(actor.acronym.split())
    return f"{name} ({acronym})" if acronym and acronym != name else name


PAPER_CHARS = 16  # characters per line of a label on paper (a longer word keeps its length)


def whole_name(label: str, width: int = PAPER_CHARS) -> list[str]:
    """A name wrapped over as many lines as it needs, never cut (a word longer than a
    line keeps its own line): the labels of a printed toile."""
    out: list[str] = []
    for word in label.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    return out or [""]


@dataclass(frozen=True)
class Labels:
    """How the nodes are named. On screen (``whole`` False): at most LABEL_LINES lines of
    LABEL_CHARS characters, else the acronym or a cut name (the whole one is in the
    node's title and in the list). On paper: the whole name on ``lines`` lines of at
    most ``chars`` characters, the nodes set apart accordingly."""

    whole: bool = False
    chars: int = LABEL_CHARS
    lines: int = LABEL_LINES

    @property
    def spacing(self) -> float:
        """Distance between node centres: the screen's, or enough for two whole labels
        side by side (about 0.62 em a character) and one above the next circle."""
        if not self.whole:
            return SPACING
        across = self.chars * LABEL_SIZE * 0.62 + 14
        down = 2 * NODE_R + LABEL_SIZE + 2 + (self.lines - 1) * LABEL_SIZE * 1.15 + 14
        return max(SPACING, across, down)

    def lines_of(self, actor: ToileActor) -> Sequence[str]:
        if self.whole:
            return whole_name(" ".join(actor.label.split()) or actor.iri, PAPER_CHARS)
        return _short_label(actor.label, actor.acronym, actor.iri)


SCREEN = Labels()


def paper_labels(toile: Toile) -> Labels:
    """Labels that write every actor's whole name (the printed toile, the PDF)."""
    wrapped = [whole_name(" ".join(a.label.split()), PAPER_CHARS) for a in toile.actors]
    return Labels(
        whole=True,
        chars=max([PAPER_CHARS] + [len(line) for lines in wrapped for line in lines]),
        lines=max([1] + [len(lines) for lines in wrapped]),
    )


def _wrap(text: str, width: int, lines: int) -> list[str]:
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: width - 1].rstrip() + "…"
    return [line if len(line) <= width else line[: width - 1] + "…" for line in out]


# ----------------------------------------------------------------------------- layout
@dataclass
class Node:
    id: str
    x: float
    y: float
    r: float
    sector: Sector
    actors: list[ToileActor]  # one actor, or the members of a folded group

    @property
    def folded(self) -> bool:
        return len(self.actors) > 1 or self.r == GROUP_R


@dataclass
class Wedge:
    sector: Sector
    actors: list[ToileActor]
    start: float = 0.0  # angles in radians, clockwise from 12 o'clock
    end: float = 0.0
    nodes: list[Node] = field(default_factory=list)

    folded: bool = False

    @property
    def slots(self) -> int:
        """Slots of SPACING the wedge needs on the innermost ring (a group node fits one)."""
        return 1

    @property
    def weight(self) -> int:
        return 1 if self.folded else len(self.actors)


@dataclass
class Layout:
    wedges: list[Wedge]
    radius: float  # outer radius of the rings
    size: float  # side of the square drawing area
    text_scale: float = 1.0  # factor of the sector names' size
    spacing: float = SPACING  # distance between node centres (larger for whole names)

    @property
    def nodes(self) -> list[Node]:
        return [n for w in self.wedges for n in w.nodes]


def _wedges(toile: Toile) -> list[Wedge]:
    known = {s.iri: s for s in toile.sectors}
    order = [s.iri for s in toile.sectors]
    by_sector: dict[str, list[ToileActor]] = {}
    for actor in toile.actors:
        key = actor.sector.iri if actor.sector and actor.sector.iri in known else ""
        by_sector.setdefault(key, []).append(actor)
    wedges = [Wedge(known[iri], by_sector[iri]) for iri in order if iri in by_sector]
    if "" in by_sector:
        wedges.append(Wedge(OTHERS, by_sector[""]))
    # Fold the biggest crowded wedges (ties: display order) until the drawing is readable.
    drawn = sum(len(w.actors) for w in wedges)
    ranked = sorted(range(len(wedges)), key=lambda i: (-len(wedges[i].actors), i))
    for i in ranked:
        if drawn <= MAX_DRAWN or len(wedges[i].actors) <= FOLD_THRESHOLD:
            break
        wedges[i].folded = True
        drawn -= len(wedges[i].actors) - 1
    return wedges


def layout(toile: Toile, title_id: str = "toile", labels: Labels | None = None) -> Layout:
    """Place every node. Pure function of the model (and of the labels' size: on paper,
    names are written whole, so the nodes are set further apart)."""
    labels = labels or SCREEN
    spacing = labels.spacing
    wedges = _wedges(toile)
    if not wedges:
        return Layout([], FIRST_RING, 2 * (FIRST_RING + MARGIN))
    # Innermost ring: big enough to give every wedge its minimum slots.
    r0 = max(FIRST_RING, sum(w.slots for w in wedges) * spacing / (2 * math.pi) + 1)
    total = 2 * math.pi
    minimum = [w.slots * spacing / r0 for w in wedges]
    spare = total - sum(minimum)
    weights = [w.weight for w in wedges]
    angle = 0.0 if len(wedges) > 1 else -math.pi  # a lone wedge: the full circle
    outer = r0
    for i, wedge in enumerate(wedges):
        share = minimum[i] + spare * weights[i] / sum(weights)
        wedge.start, wedge.end = angle, angle + share
        angle += share
        if wedge.folded:
            continue  # placed below, once the number of rings is known
        remaining = list(wedge.actors)
        ring = 0
        while remaining:
            radius = r0 + ring * spacing
            span = share * radius
            # A lone wedge is a full circle: no boundary, n nodes need n slots.
            capacity = max(int(span // spacing), 0)
            if capacity == 0:
                ring += 1
                continue
            placed, remaining = remaining[:capacity], remaining[capacity:]
            step = share / len(placed)
            for k, actor in enumerate(placed):
                theta = wedge.start + (k + 0.5) * step
                n = len(wedge.nodes)
                wedge.nodes.append(
                    _node(f"{title_id}-s{i}-{n}", radius, theta, NODE_R, wedge.sector, [actor])
                )
            outer = max(outer, radius)
            ring += 1
    # A group node sits in the middle ring of its wedge (the wedge is wider there).
    middle = r0 + spacing * int((outer - r0) / spacing / 2)
    for i, wedge in enumerate(wedges):
        if wedge.folded:
            mid = (wedge.start + wedge.end) / 2
            wedge.nodes.append(
                _node(f"{title_id}-g{i}", middle, mid, GROUP_R, wedge.sector, wedge.actors)
            )
    # Room outside the rings for the longest radial sector name (bold 15 px ≈ 9.5 px/char).
    # Big drawings get bigger sector names, as they are scaled down to fit a page.
    text_scale = max(1.0, (outer + MARGIN) / 700)
    longest = max(len(f"{w.sector.label} ({len(w.actors)})") for w in wedges)
    margin = max(MARGIN, spacing / 2 + 10 + longest * 9.5 * text_scale + 20)
    return Layout(wedges, outer, 2 * (outer + margin), text_scale, spacing)


def _node(
    node_id: str,
    radius: float,
    theta: float,
    r: float,
    sector: Sector,
    actors: list[ToileActor],
) -> Node:
    return Node(node_id, radius * math.sin(theta), -radius * math.cos(theta), r, sector, actors)


# ----------------------------------------------------------------------------- drawing
def toile_title(toile: Toile) -> str:
    """ "Toile des acteurs pour le public « … »" and its filters in words."""
    title = f"Toile des acteurs pour le public « {toile.public_label} »"
    subtitle = " ; ".join(toile.filter_words())
    return f"{title} ({subtitle})" if subtitle else title


def _actor_title(actor: ToileActor, sector: Sector) -> str:
    lines = [full_name(actor), f"Secteur : {sector.label}"]
    if actor.kinds:
        lines.append("Type : " + ", ".join(actor.kinds))
    if actor.roles:
        lines.append("Rôle : " + ", ".join(actor.roles))
    if actor.territories:
        lines.append("Territoire : " + ", ".join(actor.territories))
    return "\n".join(lines)


def _arc_path(cx: float, r_in: float, r_out: float, a0: float, a1: float) -> str:
    def pt(r: float, a: float) -> str:
        return f"{_num(r * math.sin(a))},{_num(-r * math.cos(a))}"

    large = 1 if a1 - a0 > math.pi else 0
    if a1 - a0 >= 2 * math.pi - 1e-9:  # full ring: two half arcs
        mid = a0 + math.pi
        return (
            f"M{pt(r_out, a0)}A{_num(r_out)},{_num(r_out)} 0 0 1 {pt(r_out, mid)}"
            f"A{_num(r_out)},{_num(r_out)} 0 0 1 {pt(r_out, a0)}"
            f"M{pt(r_in, a0)}A{_num(r_in)},{_num(r_in)} 0 0 0 {pt(r_in, mid)}"
            f"A{_num(r_in)},{_num(r_in)} 0 0 0 {pt(r_in, a0)}Z"
        )
    return (
        f"M{pt(r_in, a0)}L{pt(r_out, a0)}"
        f"A{_num(r_out)},{_num(r_out)} 0 {large} 1 {pt(r_out, a1)}"
        f"L{pt(r_in, a1)}A{_num(r_in)},{_num(r_in)} 0 {large} 0 {pt(r_in, a0)}Z"
    )


def _link_path(a: Node, b: Node) -> str:
    """A quadratic curve from a's edge to b's edge that keeps clear of the public's disc.

    The curve's midpoint is pushed away from the centre (to at least ``CENTRE_R + 50``)
    and a little to the left of a→b, so that a→b and b→a stay two distinct arrows.
    """
    dx, dy = b.x - a.x, b.y - a.y
    dist = math.hypot(dx, dy) or 1.0
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    left_x, left_y = dy / dist, -dx / dist  # unit normal, left of a→b (y axis points down)
    mx, my = mx + left_x * dist * 0.12, my + left_y * dist * 0.12
    m = math.hypot(mx, my)
    if m < CENTRE_R + 50:
        ux, uy = (mx / m, my / m) if m > 1e-6 else (left_x, left_y)
        mx, my = ux * (CENTRE_R + 50), uy * (CENTRE_R + 50)
    # A quadratic's point at t=1/2 is (a + 2c + b) / 4: choose c to pass through (mx, my).
    cx, cy = 2 * mx - (a.x + b.x) / 2, 2 * my - (a.y + b.y) / 2

    def toward(node: Node, px: float, py: float, gap: float) -> tuple[float, float]:
        vx, vy = px - node.x, py - node.y
        d = math.hypot(vx, vy) or 1.0
        return node.x + vx / d * (node.r + gap), node.y + vy / d * (node.r + gap)

    sx, sy = toward(a, cx, cy, 2)
    ex, ey = toward(b, cx, cy, 3)  # the arrow head (marker) covers the last pixels
    return f"M{_num(sx)},{_num(sy)}Q{_num(cx)},{_num(cy)} {_num(ex)},{_num(ey)}"


LEGEND_LINK_TEXT = "A → B : A oriente la personne vers B (une étape de son parcours)."
LEGEND_LINE_W = 96 + len(LEGEND_LINK_TEXT) * 14 * 0.6 + 24  # px at the legend's 14 px


def render_svg(
    toile: Toile,
    *,
    title_id: str = "toile",
    box: tuple[float, float, float, float] | None = None,
    paper: bool = False,
) -> str:
    """The toile as an SVG document (UTF-8 text, no XML declaration needed).

    ``box`` (x, y, width, height) places the drawing inside an enclosing SVG (the PDF
    page): the drawing is fitted and centred there; by default it has its natural size.
    ``paper``: every name written whole (wrapped, never cut), the nodes set apart for it.
    """
    labels = paper_labels(toile) if paper else SCREEN
    lay = layout(toile, title_id, labels)
    nodes = lay.nodes
    node_of: dict[str, Node] = {}
    for node in nodes:
        for actor in node.actors:
            node_of.setdefault(actor.iri, node)

    # Links between drawn nodes; folded members map to their group; loops and repeats dropped.
    links: list[tuple[Node, Node]] = []
    seen: set[tuple[str, str]] = set()
    for link in toile.links:
        a, b = node_of.get(link.source), node_of.get(link.target)
        if a is None or b is None or a is b or (a.id, b.id) in seen:
            continue
        seen.add((a.id, b.id))
        links.append((a, b))

    n_actors = len(toile.actors)
    title = toile_title(toile)
    sector_counts = ", ".join(f"{w.sector.label} : {len(w.actors)}" for w in lay.wedges)
    desc = (
        f"{n_actors} acteur{'s' if n_actors > 1 else ''} autour du public, "
        f"groupés en {len(lay.wedges)} secteur{'s' if len(lay.wedges) > 1 else ''}"
        + (f" ({sector_counts})" if sector_counts else "")
        + f". {len(links)} flèche{'s' if len(links) > 1 else ''} d'orientation "
        "(« oriente vers ») dessinent le parcours de la personne. "
        "La liste complète des acteurs accompagne l'image."
    )

    # The drawing's box: the rings and the (estimated) extent of the radial sector names,
    # so that no empty margin is left where no name is written.
    r_out = lay.radius + lay.spacing / 2
    x0, y0, x1, y1 = -r_out, -r_out, r_out, r_out
    for wedge in lay.wedges:
        mid = (wedge.start + wedge.end) / 2 if len(lay.wedges) > 1 else 0.0
        length = len(f"{wedge.sector.label} ({len(wedge.actors)})") * 9.5 * lay.text_scale
        reach = r_out + 10 + length
        pad = 12 * lay.text_scale
        ex, ey = reach * math.sin(mid), -reach * math.cos(mid)
        x0, y0, x1, y1 = min(x0, ex - pad), min(y0, ey - pad), max(x1, ex + pad), max(y1, ey + pad)
    x0, y0, x1, y1 = x0 - 20, y0 - 20, x1 + 20, y1 + 10
    # A small drawing is still as wide as the legend's longest line (the arrow's meaning),
    # which was cut at the right edge.
    pad = (LEGEND_LINE_W - (x1 - x0)) / 2
    if pad > 0:
        x0, x1 = x0 - pad, x1 + pad
    width = x1 - x0

    # Legend geometry (below the circle): 3 columns of sectors, then the link sample; its
    # text grows with the drawing so that it keeps the same size as the nodes' labels
    # once the whole SVG is scaled to a page.
    legend_items = [(w.sector, len(w.actors)) for w in lay.wedges]
    columns = 3
    scale = max(1.0, width / 1200)
    col_w = width / scale / columns
    rows = max(math.ceil(len(legend_items) / columns), 1)
    legend_top = y1
    legend_h = (40 + rows * 28 + 64) * scale
    height = y1 - y0 + legend_h

    if box is None:
        size = f'width="{_num(width)}" height="{_num(height)}"'
    else:
        size = 'x="{}" y="{}" width="{}" height="{}"'.format(*map(_num, box))
    out: list[str] = []
    w = out.append
    w(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="toile" role="img" '
        f'viewBox="{_num(x0)} {_num(y0)} {_num(width)} {_num(height)}" {size} '
        f"aria-labelledby={_attr(title_id + '-title')} "
        f"aria-describedby={_attr(title_id + '-desc')} "
        f'font-family="{FONTS}">'
    )
    w(f"<title id={_attr(title_id + '-title')}>{_text(title)}</title>")
    w(f"<desc id={_attr(title_id + '-desc')}>{_text(desc)}</desc>")
    marker = f"{title_id}-fleche"
    w(
        f'<defs><marker id={_attr(marker)} viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0L10,5L0,10z" fill="{LINK_COLOR}"/></marker></defs>'
    )
    w(
        f'<rect class="fond" x="{_num(x0)}" y="{_num(y0)}" width="{_num(width)}" '
        f'height="{_num(height)}" fill="#FFFFFF"/>'
    )

    # Wedges: a light tint of the sector colour and the sector's name, radial, outside.
    r_in = CENTRE_R + 18
    w('<g class="secteurs">')
    for wedge in lay.wedges:
        color = sector_color(wedge.sector)
        w(
            f'<path class="secteur" d="{_arc_path(0, r_in, r_out, wedge.start, wedge.end)}" '
            f'fill="{color}" fill-opacity="0.09" stroke="#FFFFFF" stroke-width="3"/>'
        )
        mid = (wedge.start + wedge.end) / 2 if len(lay.wedges) > 1 else 0.0
        deg = math.degrees(mid) - 90  # text along the radius, reading outwards
        lx, ly = (r_out + 10) * math.sin(mid), -(r_out + 10) * math.cos(mid)
        anchor = "start"
        if math.sin(mid) < -1e-9:  # left half: turn the text to keep it upright
            deg += 180
            anchor = "end"
        w(
            f'<text class="nom-secteur" x="{_num(lx)}" y="{_num(ly)}" '
            f'transform="rotate({_num(deg)} {_num(lx)} {_num(ly)})" text-anchor="{anchor}" '
            f'dominant-baseline="middle" font-size="{_num(15 * lay.text_scale)}" '
            f'font-weight="700" fill="{INK}">'
            f"{_text(wedge.sector.label)} ({len(wedge.actors)})</text>"
        )
    w("</g>")

    # Links under the nodes.
    w('<g class="liens" fill="none">')
    for a, b in links:
        w(
            f'<path class="lien" data-source="{a.id}" data-target="{b.id}" '
            f'd="{_link_path(a, b)}" stroke="{LINK_COLOR}" stroke-width="1.8" '
            f'marker-end="url(#{marker})"><title>{_text(_link_title(a, b))}</title></path>'
        )
    w("</g>")

    # The public, at the centre.
    w('<g class="public">')
    w(f'<circle cx="0" cy="0" r="{_num(CENTRE_R)}" fill="{INK}"/>')
    lines = _wrap(toile.public_label, 16, 4)
    fg = text_color_on(INK)
    first = -(len(lines) - 1) * 9
    for k, line in enumerate(lines):
        w(
            f'<text x="0" y="{_num(first + k * 18)}" text-anchor="middle" '
            f'dominant-baseline="middle" font-size="15" font-weight="700" fill="{fg}">'
            f"{_text(line)}</text>"
        )
    w(f"<title>{_text('Public : ' + toile.public_label)}</title>")
    w("</g>")

    # Actor nodes and folded groups.
    w('<g class="acteurs">')
    colors = {id(wedge.sector): sector_color(wedge.sector) for wedge in lay.wedges}
    for node in nodes:
        color = colors[id(node.sector)]
        if node.folded:
            n = len(node.actors)
            names = "\n".join(full_name(a) for a in node.actors)
            fg = text_color_on(color)
            w(
                f'<g class="groupe" id="{node.id}" data-count="{n}" '
                f"data-secteur={_attr(node.sector.label)}>"
            )
            w(
                f"<title>{_text(f'{n} acteurs du secteur {node.sector.label} :')}\n"
                f"{_text(names)}</title>"
            )
            w(f"<desc>{_text(names)}</desc>")
            w(
                f'<circle cx="{_num(node.x)}" cy="{_num(node.y)}" r="{_num(node.r)}" '
                f'fill="{color}" stroke="#FFFFFF" stroke-width="3"/>'
            )
            w(
                f'<text x="{_num(node.x)}" y="{_num(node.y)}" text-anchor="middle" '
                f'dominant-baseline="middle" font-size="18" font-weight="700" '
                f'fill="{fg}">{n}</text>'
            )
            w(_label(node, [f"{n} acteurs"]))
            w("</g>")
            continue
        actor = node.actors[0]
        w(
            f'<g class="acteur" id="{node.id}" data-iri={_attr(actor.iri)} '
            f"data-secteur={_attr(node.sector.label)}>"
        )
        w(f"<title>{_text(_actor_title(actor, node.sector))}</title>")
        w(
            f'<circle cx="{_num(node.x)}" cy="{_num(node.y)}" r="{_num(node.r)}" '
            f'fill="{color}" stroke="#FFFFFF" stroke-width="2"/>'
        )
        w(_label(node, labels.lines_of(actor)))
        w("</g>")
    w("</g>")

    # Legend: sector names with their colour (colour never alone), then the arrow.
    w(
        f'<g class="legende" '
        f'transform="translate({_num(x0)} {_num(legend_top)}) scale({_num(scale)})">'
    )
    w(f'<text x="24" y="22" font-size="16" font-weight="700" fill="{INK}">Légende</text>')
    for k, (sector, count) in enumerate(legend_items):
        x = 24 + (k % columns) * col_w
        y = 50 + (k // columns) * 28
        w(
            f'<circle cx="{_num(x + 8)}" cy="{_num(y)}" r="8" fill="{colors[id(sector)]}"/>'
            f'<text x="{_num(x + 24)}" y="{_num(y)}" dominant-baseline="middle" font-size="14" '
            f'fill="{INK}">{_text(sector.label)} ({count})</text>'
        )
    y = 50 + rows * 28 + 4
    w(
        f'<path d="M24,{_num(y)}L84,{_num(y)}" stroke="{LINK_COLOR}" stroke-width="1.8" '
        f'marker-end="url(#{marker})"/>'
        f'<text x="96" y="{_num(y)}" dominant-baseline="middle" font-size="14" fill="{INK}">'
        f"{_text(LEGEND_LINK_TEXT)}</text>"
    )
    if any(wedge.folded for wedge in lay.wedges):
        w(
            f'<text x="24" y="{_num(y + 28)}" dominant-baseline="middle" font-size="14" '
            f'fill="{INK}">Un disque chiffré regroupe les acteurs d\'un secteur trop nombreux '
            "pour être dessinés un à un ; la liste les nomme tous.</text>"
        )
    w("</g>")
    w("</svg>")
    return "\n".join(out) + "\n"


_LINE_STEP = _num(LABEL_SIZE * 1.15)


def _label(node: Node, lines: Sequence[str]) -> str:
    """The node's label, centred under its circle, with a white halo over links and tints.

    The halo is a white-stroked copy drawn first, not ``paint-order="stroke"``: renderers
    without paint-order (CairoSVG for the PDF, some editors) would stroke over the glyphs.
    """
    x = _num(node.x)
    spans = "".join(
        f'<tspan x="{x}" dy="{"0" if k == 0 else _LINE_STEP}">{_text(line)}</tspan>'
        for k, line in enumerate(lines)
    )
    position = (
        f'x="{x}" y="{_num(node.y + node.r + LABEL_SIZE + 2)}" text-anchor="middle" '
        f'font-size="{LABEL_SIZE}"'
    )
    return (
        f'<text class="halo" aria-hidden="true" {position} fill="none" stroke="#FFFFFF" '
        f'stroke-width="3" stroke-linejoin="round">{spans}</text>'
        f'<text class="etiquette" {position} fill="{INK}">{spans}</text>'
    )


def _link_title(a: Node, b: Node) -> str:
    def name(node: Node) -> str:
        if node.folded:
            return f"{len(node.actors)} acteurs ({node.sector.label})"
        return full_name(node.actors[0])

    return f"{name(a)} oriente vers {name(b)}"
