"""FINESS: the ministry's open-data extraction of health and social establishments.

Published on data.gouv.fr ("FINESS Extraction du Fichier des établissements", files
``etalab-cs1100507-stock-<date>-<time>.csv`` with positions, ``…cs1100502…`` without). One
``;``-separated file, no header: a first line ``finess;etalab;<n>;<extraction date>``, then
one ``structureet`` row per establishment (32 cells), then one ``geolocalisation`` row per
positioned establishment (6 cells). The text was long Windows-1252 and is now UTF-8: each
line is read as UTF-8, else Windows-1252. docs/directories.md lists the columns used.

The file is read twice, as a stream: first the positions (one small tuple per
establishment), then the establishments, each mapped as it is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from ..errors import InputError
from . import rdf
from .context import Context
from .geodesy import crs_of, to_wgs84
from .model import INFO, VIOLATION, WARNING, MatchKeys, Record
from .sources import SourceFile, csv_rows

DATASET_TITLE = "FINESS : établissements sanitaires, sociaux et médico-sociaux"
LANDING_PAGE = (
    "https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/"
)
STRUCTURE_COLUMNS = (
    "section nofinesset nofinessej rs rslongue complrs compldistrib numvoie typvoie voie "
    "compvoie lieuditbp commune departement libdepartement ligneacheminement telephone "
    "telecopie categetab libcategetab categagretab libcategagretab siret codeape codemft "
    "libmft codesph libsph dateouv dateautor maj numuai"
).split()
GEO_COLUMNS = "section nofinesset coordxet coordyet sourcecoordet datemaj".split()
# FINESS writes overseas départements as 9A..9F; their INSEE codes start with 97
OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}
FINESS_NUMBER = re.compile(r"^(?:[0-9]{2}[0-9AB]|2[AB][0-9])[0-9]{6}$")
SIRET = re.compile(r"^[0-9]{14}$")
FIELDS = {
    rdf.LABEL: "rslongue",
    rdf.ALT_LABEL: "rs",
    rdf.sg("finess"): "nofinesset",
    rdf.sg("siret"): "siret",
    rdf.sg("adresse"): "numvoie, typvoie, voie, compvoie, lieuditbp, ligneacheminement",
    rdf.sg("codePostal"): "ligneacheminement",
    rdf.sg("localisation"): "commune",
    rdf.TELEPHONE: "telephone",
    rdf.LAT: "coordyet",
    rdf.LONG: "coordxet",
    rdf.TYPE: "categetab",
    rdf.sg("secteur"): "categetab",
    rdf.sg("public"): "categetab",
    rdf.sg("besoin"): "categetab",
}


@dataclass
class Position:
    x: float
    y: float
    source: str
    line: int


def dataset_description(context: Context) -> list[ox.Triple]:
    title = f"{DATASET_TITLE} ({context.dataset})"
    return rdf.dataset_triples(context.dataset_node, title, LANDING_PAGE)


def read(files: Iterable[SourceFile], context: Context) -> Iterator[Record]:
    for source in files:
        positions = _positions(source)
        yield from _establishments(source, positions, context)


def _lines(source: SourceFile) -> Iterator[tuple[int, list[str]]]:
    rows = csv_rows(source, fallback="cp1252", delimiters=";")
    _, first = next(rows)
    if first[:2] != ["finess", "etalab"]:
        raise InputError(
            "ce n'est pas une extraction FINESS : la ligne 1 doit commencer par "
            "« finess;etalab; » (fichier etalab-cs1100507-stock-….csv de data.gouv.fr)",
            source=source.name,
            line=1,
        )
    yield from rows


def _positions(source: SourceFile) -> dict[str, Position]:
    positions = {}
    for line, cells in _lines(source):
        if cells[0] == "geolocalisation" and len(cells) >= 5:
            try:
                x, y = float(cells[2].replace(",", ".")), float(cells[3].replace(",", "."))
            except ValueError:
                continue  # reported with the establishment: no position
            positions[cells[1].strip()] = Position(x, y, cells[4], line)
    return positions


def insee_code(departement: str, commune: str) -> str:
    """The INSEE code of a FINESS (département, commune) pair.

    >>> insee_code("59", "183"), insee_code("9D", "411"), insee_code("2A", "004")
    ('59183', '97411', '2A004')
    """
    departement, commune = departement.strip().upper(), commune.strip()
    if not departement or not commune:
        return ""
    if departement in OVERSEAS:
        return "97" + commune.zfill(3)[-3:]
    return departement.zfill(2) + commune.zfill(3)[-3:]


def _date(value: str) -> str:
    value = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    found = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", value)  # older extractions
    return f"{found.group(3)}-{found.group(2)}-{found.group(1)}" if found else ""


def _establishments(
    source: SourceFile, positions: dict[str, Position], context: Context
) -> Iterator[Record]:
    for line, cells in _lines(source):
        if cells[0] != "structureet":
            if cells[0] != "geolocalisation":
                yield _unknown_row(source, line, cells, context)
            continue
        yield map_establishment(cells, source.name, line, positions, context)


def _unknown_row(source: SourceFile, line: int, cells: list[str], context: Context) -> Record:
    record = context.new_record(
        "etablissement", f"ligne-{line}", "", source.name, f"ligne {line}", "acteur"
    )
    record.problem(
        VIOLATION,
        f"ligne de type « {cells[0]} » inconnue (attendu structureet ou geolocalisation)",
        field="section",
    )
    return record


def map_establishment(
    cells: list[str], file: str, line: int, positions: dict[str, Position], context: Context
) -> Record:
    row = {
        name: (cells[i].strip() if i < len(cells) else "")
        for i, name in enumerate(STRUCTURE_COLUMNS)
    }
    ident = row["nofinesset"]
    name = row["rslongue"] or row["rs"]
    record = context.new_record(
        "etablissement", ident or f"ligne-{line}", name, file, f"ligne {line}", "acteur"
    )
    record.subject = rdf.node(f"{context.base}acteur/finess/{rdf.segment(record.ident)}")
    record.fields = FIELDS
    if len(cells) < len(STRUCTURE_COLUMNS) - 1:
        record.problem(
            VIOLATION,
            f"{len(cells)} cellules au lieu de {len(STRUCTURE_COLUMNS)} : ligne tronquée",
            field="section",
        )
        return record
    if not FINESS_NUMBER.match(ident):
        record.problem(
            VIOLATION, "numéro FINESS invalide (9 caractères)", field="nofinesset", value=ident
        )
    if not name:
        record.problem(VIOLATION, "raison sociale manquante", field="rs")
    if not record.valid:
        return record
    s, add = record.subject, record.triples.append
    add(ox.Triple(s, rdf.LABEL, rdf.fr(name)))
    if row["rs"] and row["rslongue"] and row["rs"] != row["rslongue"]:
        add(ox.Triple(s, rdf.ALT_LABEL, rdf.fr(row["rs"])))
    add(ox.Triple(s, rdf.sg("finess"), rdf.string(ident)))
    category = row["categetab"]
    mapping = context.tables.finess.get(category) if category else None
    if category:
        context.mapped(
            record, mapping, category, "CodeFinessCategorie", "categetab",
            {"types": rdf.TYPE, "secteurs": rdf.sg("secteur"),
             "publics": rdf.sg("public"), "besoins": rdf.sg("besoin")},
        )  # fmt: skip
    else:
        record.problem(WARNING, "catégorie d'établissement manquante", field="categetab")
    context.ensure_actor(record)
    if row["siret"]:
        if SIRET.match(row["siret"]):
            add(ox.Triple(s, rdf.sg("siret"), rdf.string(row["siret"])))
        else:
            record.problem(
                WARNING,
                "SIRET invalide (14 chiffres) : non repris",
                field="siret",
                value=row["siret"],
            )
    street = " ".join(
        p for p in (row["numvoie"], row["typvoie"], row["voie"], row["compvoie"]) if p
    )
    routing = row["ligneacheminement"]
    address = ", ".join(p for p in (street, row["lieuditbp"], routing) if p)
    if address:
        add(ox.Triple(s, rdf.sg("adresse"), rdf.string(address)))
    postcode = routing[:5] if re.match(r"^\d{5}\b", routing) else ""
    if postcode:
        add(ox.Triple(s, rdf.sg("codePostal"), rdf.string(postcode)))
    town = re.sub(r"\s+CEDEX.*$", "", routing[5:].strip()) if postcode else ""
    commune = context.place(
        record, insee_code(row["departement"], row["commune"]), postcode, town, "commune"
    )
    if row["telephone"]:
        number = rdf.phone(row["telephone"])
        if number:
            add(ox.Triple(s, rdf.TELEPHONE, rdf.string(number)))
        else:
            record.problem(
                WARNING,
                "numéro de téléphone non reconnu : non repris",
                field="telephone",
                value=row["telephone"],
            )
    _position(record, positions.get(ident))
    modified = _date(row["maj"])
    if row["maj"] and not modified:
        record.problem(
            WARNING, "date de mise à jour illisible : non reprise", field="maj", value=row["maj"]
        )
    context.fiche(record, modified)
    record.match = MatchKeys(
        siret=row["siret"] if SIRET.match(row["siret"]) else "",
        name=rdf.name_key(name),
        commune=commune,
        address=rdf.address_key(street),
    )
    return record


def _position(record: Record, position: Position | None) -> None:
    if position is None:
        return
    epsg = crs_of(position.source)
    lonlat = to_wgs84(position.x, position.y, epsg) if epsg else None
    if lonlat is None:
        record.problem(
            INFO,
            f"système de coordonnées non pris en charge (ligne {position.line}) : position "
            "non reprise",
            field="sourcecoordet",
            value=position.source,
            topic="lieu",
        )
        return
    lon, lat = lonlat
    record.triples.append(ox.Triple(record.subject, rdf.LAT, rdf.decimal(lat)))
    record.triples.append(ox.Triple(record.subject, rdf.LONG, rdf.decimal(lon)))
