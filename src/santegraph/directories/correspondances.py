"""The mapping tables of ``data/correspondances/``: source codes -> santegraph terms.

The tables are data, not code: CSV (``;``-separated, UTF-8, header on line 1), one row
per code of the source's nomenclature, read here once per import. Columns after ``code``
and ``libelle`` name what a code maps to, several values separated by ``|``:

- ``publics``, ``besoins``, ``roles``, ``secteurs``: concept identifiers of the
  vocabularies of ``data/vocabulaires/`` (``personnes-agees`` -> ``public/personnes-agees``);
- ``types``: local names of ontology classes (``CMP`` -> ``sg:CMP``), checked against the
  generated vocabulary, so a typo fails when the table is read;
- ``commentaire``: why a code maps to what it maps to, or to nothing.

A code whose row maps to nothing, or that has no row, is kept on the entry as the source's
own code (``sg:codeExterne``, typed with the nomenclature) and reported by the import:
never dropped silently. docs/directories.md lists the tables.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ..errors import ConfigError
from ..vocab import SG

CONCEPT_KINDS = {"publics": "public", "besoins": "besoin", "roles": "role", "secteurs": "secteur"}
TABLES = {
    "publics": "data-inclusion-publics.csv",
    "thematiques": "data-inclusion-thematiques.csv",
    "types_services": "data-inclusion-types-services.csv",
    "reseaux": "data-inclusion-reseaux-porteurs.csv",
    "finess": "finess-categories.csv",
}


@dataclass(frozen=True)
class Mapping:
    """What one code maps to: IRIs per column (publics, besoins, roles, secteurs, types)."""

    code: str
    label: str
    targets: dict[str, tuple[str, ...]]
    comment: str = ""

    def get(self, column: str) -> tuple[str, ...]:
        return self.targets.get(column, ())

    @property
    def empty(self) -> bool:
        return not any(self.targets.values())


@dataclass
class Table:
    name: str  # file name
    columns: tuple[str, ...]
    rows: dict[str, Mapping]

    def get(self, code: str) -> Mapping | None:
        return self.rows.get(code)


def read_table(path: Path, base_iri: str) -> Table:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"table de correspondance illisible : {path} ({exc.strerror})") from exc
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    columns = tuple(reader.fieldnames or ())
    if columns[:2] != ("code", "libelle"):
        raise ConfigError(f"{path}, ligne 1 : l'en-tête doit commencer par code;libelle")
    unknown = [c for c in columns[2:] if c not in (*CONCEPT_KINDS, "types", "commentaire")]
    if unknown:
        raise ConfigError(f"{path}, ligne 1 : colonne(s) inconnue(s) : {', '.join(unknown)}")
    rows: dict[str, Mapping] = {}
    for number, row in enumerate(reader, start=2):
        code = (row.get("code") or "").strip()
        if not code:
            raise ConfigError(f"{path}, ligne {number} : code vide")
        if code in rows:
            raise ConfigError(f"{path}, ligne {number} : code {code} déjà présent")
        targets = {}
        for column in columns[2:]:
            if column == "commentaire":
                continue
            values = [v.strip() for v in (row.get(column) or "").split("|") if v.strip()]
            targets[column] = tuple(_iri(column, v, base_iri, path, number) for v in values)
        rows[code] = Mapping(code, row["libelle"], targets, (row.get("commentaire") or "").strip())
    return Table(path.name, columns, rows)


def _iri(column: str, value: str, base_iri: str, path: Path, number: int) -> str:
    if column == "types":
        try:
            return str(getattr(SG, value))
        except AttributeError:
            raise ConfigError(
                f"{path}, ligne {number}, colonne types : classe inconnue de l'ontologie "
                f"« {value} »"
            ) from None
    return f"{base_iri}{CONCEPT_KINDS[column]}/{value}"


class Correspondances:
    """Every table, read from ``<content>/data/correspondances/``."""

    def __init__(self, folder: Path, base_iri: str):
        self.folder = folder
        self.tables = {name: read_table(folder / file, base_iri) for name, file in TABLES.items()}

    def __getattr__(self, name: str) -> Table:
        try:
            return cast(Table, self.__dict__["tables"][name])
        except KeyError:
            raise AttributeError(name) from None
