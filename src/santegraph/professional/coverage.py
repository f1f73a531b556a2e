"""Coverage by the dispositif kinds expected everywhere (``sg:couvertureAttendue``: CPTS,
DAC, CLSM, MSP, CLS), and the zones blanches they leave, with the population concerned.

A commune is covered by a kind when an instance serves a territory that contains it, is
located in it, or one of its services covers it (``couverture-des-communes``); the
communes of an area no instance covers are its zones blanches for that kind, « selon le
graphe »: an instance whose territory is unknown covers nothing, and the pages say how
many there are (``instances-attendues-sans-territoire``). No store and no request here:
:class:`~santegraph.professional.service.ProfessionalService` hands over the rows and the
places, and draws nothing either: :func:`coverage_svg` makes the picture of a table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..toile.svg import FONTS, INK, _attr, _num, _text

Link = tuple[str, str]  # (IRI, label)
COVERED_COLOR = "#1A6B3A"  # green, 6.4:1 on white (text in it is white: 6.4:1)
BLANK_COLOR = "#B00020"  # red, 6.5:1 on white


def nombre(n: int) -> str:
    """« 1 234 567 »: thousands separated by a narrow no-break space, as French writes."""
    return f"{n:,}".replace(",", "\u202f")


def percent(part: int, whole: int) -> str:
    """« 62 % » (rounded; « moins de 1 % » for a small non-zero share)."""
    if not whole:
        return "0\u00a0%"
    share = 100 * part / whole
    if 0 < share < 1:
        return "moins de 1\u00a0%"
    return f"{round(share)}\u00a0%"


@dataclass
class Covering:
    """What the graph says of one kind's instances: the communes each one covers."""

    kind: str
    instances: dict[str, tuple[str, set[str]]] = field(
        default_factory=dict
    )  # iri: (name, communes)
    unplaced: list[Link] = field(default_factory=list)  # territory unknown: covers nothing

    def covered(self) -> set[str]:
        found: set[str] = set()
        for _, communes in self.instances.values():
            found |= communes
        return found


def coverings(
    rows: Iterable[dict[str, Any]], unplaced_rows: Iterable[dict[str, Any]], kinds: Iterable[str]
) -> dict[str, Covering]:
    """``couverture-des-communes`` and ``instances-attendues-sans-territoire`` rows by kind
    (every kind of ``kinds``, even one no instance covers)."""
    found = {kind: Covering(kind) for kind in kinds}
    for row in rows:
        kind, instance, name, commune = (
            row[k].value if row.get(k) is not None else ""
            for k in ("type", "instance", "instanceNom", "commune")
        )
        covering = found.setdefault(kind, Covering(kind))
        covering.instances.setdefault(instance, (name or instance, set()))[1].add(commune)
    for row in unplaced_rows:
        kind = row["type"].value
        name = row["instanceNom"].value if row.get("instanceNom") is not None else ""
        found.setdefault(kind, Covering(kind)).unplaced.append(
            (row["instance"].value, name or row["instance"].value)
        )
    return found


@dataclass
class BlankArea:
    """Part of an area in zone blanche: an EPCI (or a commune outside any EPCI), how many
    of its communes and inhabitants no instance covers."""

    iri: str
    label: str
    communes: int  # uncovered communes of the area inside it
    of: int  # communes of the area inside it
    population: int  # inhabitants of its uncovered communes

    @property
    def whole(self) -> bool:
        return self.communes == self.of


@dataclass
class KindCoverage:
    """One kind expected everywhere, over one area."""

    kind: str
    label: str  # "CPTS"
    name: str  # the kind's page (/dispositifs/<name>)
    communes: int
    covered: int
    population: int
    blank_population: int
    instances: list[Link] = field(default_factory=list)  # covering part of the area
    unplaced: list[Link] = field(default_factory=list)  # known, territory unknown
    blanks: list[BlankArea] = field(default_factory=list)  # biggest population first

    @property
    def covered_population(self) -> int:
        return self.population - self.blank_population

    @property
    def missing(self) -> bool:
        """No instance covers any commune of the area: expected, and absent."""
        return not self.instances


def area_coverage(
    communes: Mapping[str, int],
    coverings_by_kind: Mapping[str, Covering],
    *,
    labels: Mapping[str, str],
    names: Mapping[str, str],
    group_of: Mapping[str, Link],
) -> list[KindCoverage]:
    """The coverage of an area (``communes``: its communes and their population) by each
    kind, in the order of ``labels``; ``group_of`` puts each commune in the part of the
    area its zones blanches are listed by (its EPCI, or itself)."""
    total = sum(communes.values())
    found = []
    for kind, label in labels.items():
        covering = coverings_by_kind.get(kind, Covering(kind))
        covered = covering.covered() & communes.keys()
        blank = [c for c in communes if c not in covered]
        groups: dict[str, list[str]] = defaultdict(list)
        sizes: dict[str, int] = defaultdict(int)
        for commune in communes:
            group = group_of.get(commune, (commune, commune))[0]
            sizes[group] += 1
            if commune not in covered:
                groups[group].append(commune)
        group_labels = dict(group_of.values())
        blanks = [
            BlankArea(
                group,
                group_labels.get(group, group),
                len(members),
                sizes[group],
                sum(communes[c] for c in members),
            )
            for group, members in groups.items()
        ]
        blanks.sort(key=lambda b: (-b.population, b.label))
        found.append(
            KindCoverage(
                kind,
                label,
                names.get(kind, ""),
                len(communes),
                len(covered),
                total,
                sum(communes[c] for c in blank),
                sorted(
                    (
                        (iri, name)
                        for iri, (name, reached) in covering.instances.items()
                        if reached & communes.keys()
                    ),
                    key=lambda link: link[1].lower(),
                ),
                sorted(covering.unplaced, key=lambda link: link[1].lower()),
                blanks,
            )
        )
    return found


def coverage_svg(items: list[KindCoverage], *, title: str, title_id: str = "couverture") -> str:
    """The coverage as a picture: one bar per kind, the population covered (green) and
    in zone blanche (red), each part named and counted in words (colour never alone);
    the table beside it says the same."""
    width, left, bar_w, row_h = 760.0, 90.0, 520.0, 56.0
    height = 70 + row_h * len(items) + 30
    desc = " ; ".join(
        f"{i.label} : {percent(i.covered_population, i.population)} de la population "
        f"couverte, {nombre(i.blank_population)} habitants en zone blanche"
        for i in items
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="couverture" role="img" '
        f'viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" '
        f'height="{_num(height)}" aria-labelledby={_attr(title_id + "-titre")} '
        f'aria-describedby={_attr(title_id + "-desc")} font-family="{FONTS}">',
        f"<title id={_attr(title_id + '-titre')}>{_text(title)}</title>",
        f"<desc id={_attr(title_id + '-desc')}>{_text(desc)}.</desc>",
        f'<rect width="{_num(width)}" height="{_num(height)}" fill="#FFFFFF"/>',
        f'<text x="0" y="22" font-size="17" font-weight="700" fill="{INK}">'
        "Population couverte et en zone blanche, par type</text>",
        f'<rect x="{_num(left)}" y="36" width="14" height="14" fill="{COVERED_COLOR}"/>'
        f'<text x="{_num(left + 20)}" y="48" font-size="13" fill="{INK}">population couverte</text>'
        f'<rect x="{_num(left + 180)}" y="36" width="14" height="14" fill="{BLANK_COLOR}"/>'
        f'<text x="{_num(left + 200)}" y="48" font-size="13" fill="{INK}">'
        "population en zone blanche</text>",
    ]
    for k, item in enumerate(items):
        y = 70 + k * row_h
        covered = bar_w * item.covered_population / item.population if item.population else 0
        out.append(
            f'<text x="{_num(left - 10)}" y="{_num(y + 17)}" text-anchor="end" font-size="15" '
            f'font-weight="700" fill="{INK}">{_text(item.label)}</text>'
        )
        if covered:
            out.append(
                f'<rect x="{_num(left)}" y="{_num(y)}" width="{_num(covered)}" height="24" '
                f'fill="{COVERED_COLOR}"/>'
            )
        if bar_w - covered > 0.005:
            out.append(
                f'<rect x="{_num(left + covered)}" y="{_num(y)}" width="{_num(bar_w - covered)}" '
                f'height="24" fill="{BLANK_COLOR}"/>'
            )
        blank = item.communes - item.covered
        words = (
            f"{percent(item.covered_population, item.population)} couverte · "
            f"{nombre(item.blank_population)} habitants en zone blanche "
            f"({nombre(blank)} commune{'s' if blank > 1 else ''})"
        )
        out.append(
            f'<text x="{_num(left)}" y="{_num(y + 42)}" font-size="13" fill="{INK}">'
            f"{_text(words)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
