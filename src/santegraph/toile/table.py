"""The toile's entries as a spreadsheet: one row per entry, French column names; the
first column says its group as the page lists it (acteur, dispositif ou programme,
territoire non renseigné).

Format chosen for the people who open it (a GP's or a social worker's office, French
Excel or LibreOffice): UTF-8 **with a byte-order mark** (without it Excel reads UTF-8 as
Windows-1252 and mangles accents), **``;``** as separator (French Excel's list separator,
since ``,`` is the decimal mark), CRLF line ends, every field quoted only when needed
(RFC 4180 quoting). Several values in one cell are joined by `` | ``.

A cell that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) gets a leading apostrophe, the usual defence against CSV
formula injection; spreadsheets display the rest as text. This also keeps a phone number
written ``+33 ...`` from being read as a formula.
"""

from __future__ import annotations

import csv
import io

from .model import Toile, ToileActor

COLUMNS = (
    "groupe",
    "nom",
    "sigle",
    "type",
    "secteur",
    "rôles",
    "ce qu'il fait",
    "territoires",
    "téléphone",
    "courriel",
    "site",
    "adresse",
    "mis à jour",
    "sources",
)
# The groups of entries, as the toile page lists them.
GROUPS = (
    ("actors", "acteur"),
    ("programmes", "dispositif ou programme"),
    ("unplaced", "territoire non renseigné"),
)
SEPARATOR = ";"
JOIN = " | "
BOM = "\ufeff"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    value = " ".join(value.split()) if "\n" not in value else value.strip()
    return "'" + value if value.startswith(_FORMULA_START) else value


def row(actor: ToileActor, group: str = "acteur") -> list[str]:
    values = (
        group,
        actor.label,
        actor.acronym,
        JOIN.join(actor.kinds),
        actor.sector.label if actor.sector else "Autres",
        JOIN.join(actor.roles),
        actor.what,
        JOIN.join(actor.territories),
        actor.phone,
        actor.email,
        actor.url,
        actor.address,
        actor.updated,
        JOIN.join(actor.sources),
    )
    return [_cell(v) for v in values]


def to_csv(toile: Toile) -> str:
    """The CSV text, BOM included: encode it as UTF-8 to serve or save it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for attribute, group in GROUPS:
        for actor in getattr(toile, attribute):
            writer.writerow(row(actor, group))
    return BOM + buffer.getvalue()
