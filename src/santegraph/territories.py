"""Import the official territory reference data (INSEE COG) of one region into Turtle.

The source is the npm package ``@etalab/decoupage-administratif`` (Licence Ouverte), one
version per COG vintage, pinned in the repository's ``package.json`` under npm aliases
(``cog-2022``, ``cog-2026``) and installed by ``npm ci`` into ``node_modules/``.  This module
reads the package's JSON files from a directory given as argument (no network access) and
writes one Turtle file per vintage, ``data/territoires/cog-<year>.ttl``.

Output conventions (docs/modeling.md): relative IRIs, no ``@base``; one subject block per
territory; everything sorted so that re-running the import produces a byte-identical file.

What is imported for the chosen region:

* the région, its départements, every commune of type ``commune-actuelle`` (the package's
  name for the COG type ``COM``) whose ``region`` is the chosen one;
* every EPCI à fiscalité propre with at least one member commune in the region;
* ``dct:isReplacedBy`` from each former commune code listed in a commune's ``anciensCodes``.

Communes déléguées / associées and arrondissements municipaux are not imported as
territories (their codes often equal their chef-lieu's code, which would collide with the
code-based commune IRI); see data/territoires/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .vocab import NAMESPACE as SG_NAMESPACE
from .vocab import SG

LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
COG_PAGE = "https://www.insee.fr/fr/information/2560452"
PACKAGE_NAME = "@etalab/decoupage-administratif"
COMMUNE_TYPE = "commune-actuelle"
DEFAULT_OUT_DIR = Path("data/territoires")

PREFIXES = (
    ("dcat", "http://www.w3.org/ns/dcat#"),
    ("dct", "http://purl.org/dc/terms/"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("sg", SG_NAMESPACE),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
)


class CogError(ValueError):
    """The package directory does not hold usable COG data for the request."""


@dataclass(frozen=True)
class CogPackage:
    """The JSON files of one version of the package."""

    version: str
    communes: list[dict[str, Any]]
    epci: list[dict[str, Any]]
    departements: list[dict[str, Any]]
    regions: list[dict[str, Any]]


def load_package(package_dir: Path) -> CogPackage:
    """Read ``package.json`` and ``data/*.json`` of an installed package version."""
    package_dir = Path(package_dir)

    def read(rel: str) -> Any:
        path = package_dir / rel
        try:
            with path.open(encoding="utf-8") as fh:
                return json.load(fh)
        except FileNotFoundError as exc:
            raise CogError(f"{path}: missing (is this a {PACKAGE_NAME} directory?)") from exc
        except json.JSONDecodeError as exc:
            raise CogError(f"{path}: invalid JSON: {exc}") from exc

    meta = read("package.json")
    return CogPackage(
        version=str(meta.get("version", "unknown")),
        communes=read("data/communes.json"),
        epci=read("data/epci.json"),
        departements=read("data/departements.json"),
        regions=read("data/regions.json"),
    )


# --- Turtle writing helpers -------------------------------------------------------------


def _lit(text: str) -> str:
    """A Turtle string literal (double-quoted, escaped)."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _fr(text: str) -> str:
    return _lit(text) + "@fr"


def _block(subject: str, rdf_type: str | None, pairs: list[tuple[str, list[str]]]) -> str:
    """One subject block; ``pairs`` are (predicate, objects) in output order."""
    for curie in [rdf_type or "", *(p for p, _ in pairs)]:
        if curie.startswith("sg:"):
            getattr(SG, curie[3:])  # a term the ontology does not define fails here
    lines = [subject + (f" a {rdf_type}" if rdf_type else "")]
    body = [(p, objs) for p, objs in pairs if objs]
    if not rdf_type:
        first_p, first_objs = body.pop(0)
        lines[0] += f" {first_p} {', '.join(first_objs)}"
    for p, objs in body:
        lines[-1] += " ;"
        lines.append(f"    {p} {', '.join(objs)}")
    return "\n".join(lines) + " .\n"


def _article(entry: dict[str, Any]) -> list[str]:
    """The COG's type de nom en clair (the package's ``typeLiaison``) as sg:codeArticle:
    how French says "in" this place (« dans le Nord », « à Dunkerque »)."""
    code = entry.get("typeLiaison")
    return [_lit(str(code))] if code is not None else []


def _iri(kind: str, code: str, vintage: str = "") -> str:
    return f"<territoire/{vintage}{kind}/{code}>"


def _dept_list(codes: list[str]) -> str:
    return " et ".join([", ".join(codes[:-1]), codes[-1]]) if len(codes) > 1 else codes[0]


# --- the import -------------------------------------------------------------------------


def import_cog(
    package_dir: Path, year: int, region_code: str = "32", *, archive: bool = False
) -> str:
    """Turtle text describing region ``region_code`` in the COG vintage of ``package_dir``.

    ``year`` is the COG vintage the package version ships (the caller knows it from the
    package's README table; it is not stored in the data files).
    """

    def iri(kind: str, code: str) -> str:
        # The newest vintage owns the stable code-based IRIs that the rest of the data
        # links to; an archived vintage gets its own IRI space, so the two never mix in
        # the union default graph (a renamed commune keeps one prefLabel per IRI).
        return _iri(kind, code, f"cog-{year}/" if archive else "")

    pkg = load_package(package_dir)
    region_code = str(region_code)
    regions = {r["code"]: r for r in pkg.regions}
    if region_code not in regions:
        raise CogError(f"region {region_code!r} not in {package_dir}/data/regions.json")
    region = regions[region_code]
    depts = sorted(
        (d for d in pkg.departements if d.get("region") == region_code), key=lambda d: d["code"]
    )
    all_communes = {c["code"]: c for c in pkg.communes if c.get("type") == COMMUNE_TYPE}
    communes = {c: v for c, v in all_communes.items() if v.get("region") == region_code}
    epcis = sorted(
        (e for e in pkg.epci if any(m["code"] in communes for m in e.get("membres", []))),
        key=lambda e: e["code"],
    )

    dataset = f"<dataset/cog-{year}>"
    gyear = f'"{year}"^^xsd:gYear'
    common = [("sg:millesimeCOG", [gyear]), ("prov:wasDerivedFrom", [dataset])]
    archive_flag = " --archive" if archive else ""

    out: list[str] = []
    out.append(
        f"# Generated by `santegraph territories import --year {year}{archive_flag}` from npm "
        f"{PACKAGE_NAME} {pkg.version}.\n"
        "# Do not edit by hand: re-run the import (see data/territoires/README.md).\n"
    )
    out.append("".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES))

    region_name = region["nom"]
    out.append(
        _block(
            dataset,
            "dcat:Dataset",
            [
                (
                    "dct:title",
                    [
                        _fr(
                            f"Code officiel géographique {year} : "
                            f"région {region_name} ({region_code})"
                        )
                    ],
                ),
                (
                    "dct:description",
                    [
                        _fr(
                            f"Région, départements, EPCI à fiscalité propre et communes de la "
                            f"région {region_name} au 1er janvier {year}, importés du paquet npm "
                            f"{PACKAGE_NAME} {pkg.version} (COG de l'INSEE, périmètres des EPCI "
                            "de la DGCL, populations légales, codes postaux de La Poste)."
                        )
                    ],
                ),
                ("dct:license", [f"<{LICENCE}>"]),
                ("dct:source", [_lit(f"npm {PACKAGE_NAME} {pkg.version}")]),
                ("rdfs:seeAlso", [f"<{COG_PAGE}>"]),
                ("sg:millesimeCOG", [gyear]),
                (
                    "dct:temporal",
                    [f'[ a dct:PeriodOfTime ; dcat:startDate "{year}-01-01"^^xsd:date ]'],
                ),
                (
                    "prov:wasGeneratedBy",
                    [
                        "[ a prov:Activity ; rdfs:label "
                        + _lit(
                            f"santegraph territories import --year {year} --region {region_code}"
                            + archive_flag
                        )
                        + " ]"
                    ],
                ),
            ],
        )
    )

    out.append("# Région\n")
    out.append(
        _block(
            iri("region", region_code),
            "sg:Region",
            [
                ("skos:prefLabel", [_fr(region_name)]),
                ("sg:codeArticle", _article(region)),
                ("sg:codeInsee", [_lit(region_code)]),
                ("sg:codeRegion", [_lit(region_code)]),
                *common,
            ],
        )
    )

    out.append("# Départements\n")
    for d in depts:
        out.append(
            _block(
                iri("departement", d["code"]),
                "sg:Departement",
                [
                    ("skos:prefLabel", [_fr(d["nom"])]),
                    ("sg:codeArticle", _article(d)),
                    ("sg:codeInsee", [_lit(d["code"])]),
                    ("sg:codeRegion", [_lit(region_code)]),
                    ("sg:inclusDans", [iri("region", region_code)]),
                    *common,
                ],
            )
        )

    out.append("# EPCI à fiscalité propre ayant au moins une commune membre dans la région\n")
    epci_of: dict[str, list[str]] = {}
    for e in epcis:
        members = e.get("membres", [])
        for m in members:
            if m["code"] in communes:
                epci_of.setdefault(m["code"], []).append(e["code"])
        member_depts = sorted(
            {all_communes.get(m["code"], {}).get("departement") or m["code"][:2] for m in members}
        )
        member_regions = sorted(
            {all_communes.get(m["code"], {}).get("region", "?") for m in members}
        )
        outside = [m for m in members if m["code"] not in communes]
        notes = []
        if outside:
            outside_depts = sorted(
                {all_communes.get(m["code"], {}).get("departement") or "?" for m in outside}
            )
            notes.append(
                f"EPCI interrégional : {len(outside)} de ses {len(members)} communes membres "
                f"sont hors de la région {region_code} (département(s) "
                f"{_dept_list(outside_depts)}) ; seules ses communes de la région sont "
                "décrites dans ce jeu de données."
            )
            parents: list[str] = []
        elif len(member_depts) == 1:
            parents = [iri("departement", member_depts[0])]
        else:
            notes.append(
                f"EPCI à cheval sur les départements {_dept_list(member_depts)} : "
                f"rattaché directement à la région."
            )
            parents = [iri("region", region_code)]
        population = e.get("populationMunicipale")
        out.append(
            _block(
                iri("epci", e["code"]),
                "sg:EPCI",
                [
                    ("skos:prefLabel", [_fr(e["nom"])]),
                    ("sg:siren", [_lit(e["code"])]),
                    ("sg:codeRegion", [_lit(r) for r in member_regions]),
                    ("sg:population", [str(int(population))] if population is not None else []),
                    ("sg:inclusDans", parents),
                    ("skos:note", [_fr(n) for n in notes]),
                    *common,
                ],
            )
        )

    out.append("# Communes (type COG « COM », commune-actuelle dans le paquet)\n")
    replaced: dict[str, str] = {}
    for code in sorted(communes):
        c = communes[code]
        parents = [iri("departement", c["departement"])] + [
            iri("epci", s) for s in sorted(epci_of.get(code, []))
        ]
        for old in c.get("anciensCodes", []):
            if old != code and old not in communes:
                replaced[old] = code
        population = c.get("population")
        out.append(
            _block(
                iri("commune", code),
                "sg:Commune",
                [
                    ("skos:prefLabel", [_fr(c["nom"])]),
                    ("sg:codeArticle", _article(c)),
                    ("sg:codeInsee", [_lit(code)]),
                    ("sg:siren", [_lit(c["siren"])] if c.get("siren") else []),
                    ("sg:codeRegion", [_lit(c["region"])]),
                    ("sg:codePostal", [_lit(p) for p in sorted(set(c.get("codesPostaux", [])))]),
                    ("sg:population", [str(int(population))] if population is not None else []),
                    ("sg:inclusDans", parents),
                    *common,
                ],
            )
        )

    if replaced:
        out.append(
            "# Anciens codes de communes (champ anciensCodes) : commune remplaçante au "
            f"1er janvier {year}\n"
        )
        for old in sorted(replaced):
            out.append(
                _block(
                    iri("commune", old),
                    None,
                    [("dct:isReplacedBy", [iri("commune", replaced[old])])],
                )
            )

    return "\n".join(out)


def write_cog(
    package_dir: Path,
    year: int,
    region_code: str = "32",
    out_dir: Path = DEFAULT_OUT_DIR,
    *,
    archive: bool = False,
) -> Path:
    """Write ``<out_dir>/cog-<year>.ttl``; returns its path."""
    text = import_cog(package_dir, year, region_code, archive=archive)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"cog-{year}.ttl"
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def summary(turtle: str) -> dict[str, int]:
    """Count territories by class in a generated file (used by the CLI report)."""
    counts: Counter[str] = Counter()
    for line in turtle.splitlines():
        if line.startswith("<territoire/") and " a sg:" in line:
            counts[line.split(" a sg:")[1].split()[0]] += 1
    return dict(sorted(counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="santegraph territories import",
        description=f"Import one COG vintage from an installed {PACKAGE_NAME} package.",
    )
    parser.add_argument(
        "--package-dir", required=True, type=Path, help="e.g. node_modules/cog-2022"
    )
    parser.add_argument("--year", required=True, type=int, help="COG vintage of that package")
    parser.add_argument("--region", default="32", help="INSEE region code (default 32)")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    parser.add_argument(
        "--archive",
        action="store_true",
        help="an older vintage: mint territoire/cog-<year>/... IRIs instead of the stable "
        "territoire/... ones, which belong to the newest vintage",
    )
    args = parser.parse_args(argv[1:] if argv and argv[0] == "import" else argv)
    try:
        path = write_cog(
            args.package_dir, args.year, args.region, args.out_dir, archive=args.archive
        )
    except CogError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = summary(path.read_text(encoding="utf-8"))
    detail = ", ".join(f"{n} {k}" for k, n in counts.items())
    print(f"wrote {path} ({path.stat().st_size} bytes): {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
