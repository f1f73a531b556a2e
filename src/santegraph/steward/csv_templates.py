"""CSV templates for stewards: the columns are defined once, in ``ACTEURS``.

From that one list come the downloadable template (header + example row,
:func:`template_csv`), the column documentation (``docs/csv-templates.md``,
:func:`columns_markdown`, checked by a test) and the CSV → RDF mapping
(:func:`parse_csv`). CSV row 1 is the header; the first entry is row 2.

Structural problems (encoding, empty file, wrong header) raise :class:`InputError`
(the file is unreadable, exit code 2). A problem in one cell (unknown kind, malformed
code) becomes a Violation naming its row and column, reported with the SHACL results.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..bounds import NO_CSV_LIMITS, CsvLimits, bounded_csv_rows, too_many_triples
from ..errors import InputError
from ..iris import slugify
from ..validation import ValidationResult
from ..vocab import NAMESPACE as SG_NAMESPACE
from ..vocab import SG

if TYPE_CHECKING:
    import rdflib

SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD_STRING = ox.NamedNode("http://www.w3.org/2001/XMLSchema#string")
MULTI = "|"  # separator of several values in one cell
# The template's example row starts its name with this: a row that does is refused with a
# clear message, so a template filled in around its example never loads the example.
EXAMPLE_MARK = "EXEMPLE"


@dataclass(frozen=True)
class Column:
    name: str
    property: str  # full IRI of the RDF property the column fills
    kind: str  # how a cell becomes RDF terms: see _terms()
    required: bool
    help_fr: str
    example: str = ""


@dataclass(frozen=True)
class Template:
    name: str
    title_fr: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column_for(self, prop: str) -> str | None:
        return next((c.name for c in self.columns if c.property == prop), None)


ACTEURS = Template(
    "acteurs",
    "Acteurs et dispositifs",
    (
        Column(
            "nom",
            SKOS + "prefLabel",
            "label",
            True,
            "Nom complet, en français. Il fixe l'IRI de l'entrée : `acteur/<nom en slug>`. "
            "Une ligne dont le nom commence par `EXEMPLE` est la ligne d'exemple du modèle : "
            "elle est refusée, jamais chargée.",
            f"{EXAMPLE_MARK} CPTS Fictive du Littoral (ligne à supprimer)",
        ),
        Column(
            "type",
            RDF_TYPE,
            "class",
            True,
            "Sorte d'acteur ou de dispositif : nom local d'une classe de l'ontologie "
            "(`CPTS`, `MSP`, `CCAS`, `DAC`, `CLSM`, `Association`…), sous-classe de "
            "`sg:Acteur` ou de `sg:Dispositif`.",
            "CPTS",
        ),
        Column("sigle", str(SG.sigle), "label", False, "Sigle usuel.", "CPTS FL"),
        Column(
            "localisation",
            str(SG.localisation),
            "commune",
            False,
            "Code INSEE (5 caractères) de la commune où se trouve l'acteur.",
            "59183",
        ),
        Column(
            "territoires_desservis",
            str(SG.territoireDesservi),
            "territoires",
            False,
            "Territoires desservis, séparés par `|` : code INSEE de commune (5 caractères), "
            "code de département (2 ou 3 caractères : `59`, `2A`, `971`) ou SIREN d'EPCI "
            "(9 chiffres).",
            "59183|59155",
        ),
        Column(
            "publics",
            str(SG.public),
            "concepts:public",
            False,
            "Publics, séparés par `|` : identifiants du vocabulaire des publics "
            "(`public/<identifiant>`), ex. `personnes-agees`.",
            "tout-public|personnes-agees",
        ),
        Column(
            "besoins",
            str(SG.besoin),
            "concepts:besoin",
            False,
            "Besoins, séparés par `|` : identifiants du vocabulaire des besoins, "
            "ex. `acces-aux-soins`.",
            "acces-aux-soins|coordination-parcours",
        ),
        Column(
            "roles",
            str(SG.roleParcours),
            "concepts:role",
            False,
            "Rôles dans le parcours, séparés par `|` : identifiants du vocabulaire des "
            "rôles, ex. `orientation`.",
            "coordination|orientation",
        ),
        Column(
            "secteur",
            str(SG.secteur),
            "concepts:secteur",
            False,
            "Secteur(s), séparés par `|` : identifiants du vocabulaire des secteurs, "
            "ex. `sanitaire`.",
            "sanitaire",
        ),
        Column(
            "telephone",
            SCHEMA + "telephone",
            "string",
            False,
            "Téléphone au format français, ex. `01 99 00 00 00`.",
            "01 99 00 00 00",
        ),
        Column(
            "email",
            SCHEMA + "email",
            "string",
            False,
            "Adresse électronique, sans `mailto:`.",
            "contact@cpts-fictive.example.org",
        ),
        Column(
            "site_web",
            SCHEMA + "url",
            "string",
            False,
            "Site web, commençant par `http://` ou `https://`.",
            "https://cpts-fictive.example.org",
        ),
        Column(
            "referent",
            PROV + "wasAttributedTo",
            "agent",
            True,
            "Référent qui saisit l'entrée (provenance) : son identifiant, ex. son nom "
            "ou son adresse ; devient `referent/<slug>`.",
            "Marie Fictive",
        ),
    ),
)

TEMPLATES = {ACTEURS.name: ACTEURS}


# ---------------------------------------------------------------- template and docs
def template_csv(template: Template = ACTEURS) -> str:
    """The downloadable template: header and one example row (``;``-separated, UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(template.names)
    writer.writerow([c.example for c in template.columns])
    return out.getvalue()


def columns_markdown(template: Template = ACTEURS) -> str:
    """``docs/csv-templates.md``, generated from the column definitions."""
    lines = [
        "# Modèles CSV pour les référents",
        "",
        "GÉNÉRÉ par `santegraph.steward.csv_templates.columns_markdown()` : "
        "ne pas modifier à la main (un test vérifie que ce fichier est à jour).",
        "",
        f"## `{template.name}.csv` — {template.title_fr}",
        "",
        f"Téléchargement : `/steward/templates/{template.name}.csv` (en-tête + une ligne "
        f"d'exemple, dont le nom commence par `{EXAMPLE_MARK}` : remplacez-la par vos "
        "entrées, elle est refusée si elle reste). Encodage UTF-8 (avec ou sans BOM), "
        "séparateur `;` ou `,`. La ligne 1 est l'en-tête ; la première entrée est la "
        "ligne 2. Plusieurs valeurs dans une cellule : séparées par `|`. Les colonnes "
        "facultatives peuvent être absentes ; une colonne inconnue est refusée.",
        "",
        "Vérifier sans rien écrire : `santegraph validate fichier.csv` ou la page "
        "`/steward/validate`.",
        "",
        "Formules : chaque cellule est lue comme du texte, jamais comme une formule (une "
        "valeur commençant par `=`, `+`, `-` ou `@` est enregistrée telle quelle). Mais les "
        "réponses CSV de `/sparql` (`format=csv`, norme SPARQL 1.1) rendent les valeurs "
        "telles quelles : un tableur peut exécuter comme formule une valeur saisie par "
        "quelqu'un d'autre. Ouvrez-les par « Importer » en texte, pas par un double-clic. "
        "Les exports CSV de la toile (`toile.csv`) neutralisent ces valeurs (préfixe `'`).",
        "",
        "| colonne | obligatoire | propriété | contenu | exemple |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in template.columns:
        cell_help, cell_example = (t.replace("|", "\\|") for t in (c.help_fr, c.example))
        lines.append(
            f"| `{c.name}` | {'oui' if c.required else 'non'} | `{_curie(c.property)}` | "
            f"{cell_help} | `{cell_example}` |"
        )
    return "\n".join(lines) + "\n"


def _curie(iri: str) -> str:
    for prefix, ns in (("sg", SG_NAMESPACE), ("skos", SKOS), ("schema", SCHEMA), ("prov", PROV)):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return "rdf:type" if iri == RDF_TYPE else iri


# ---------------------------------------------------------------- CSV -> RDF
@dataclass
class CsvMapping:
    quads: list[ox.Quad] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # entry IRI -> CSV row
    problems: list[ValidationResult] = field(default_factory=list)


def decode_csv(data: bytes, source: str) -> str:
    if not data.strip():
        raise InputError("le fichier est vide", source=source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"le fichier n'est pas en UTF-8 (octet invalide à la position {exc.start}) : "
            "enregistrez-le au format « CSV UTF-8 »",
            source=source,
        ) from exc
    if not text.strip():
        raise InputError("le fichier est vide", source=source)
    return text


def parse_csv(
    data: bytes,
    *,
    source: str,
    base_iri: str,
    graph: ox.NamedNode,
    template: Template = ACTEURS,
    classes: Iterable[str] | None = None,
    limits: CsvLimits = NO_CSV_LIMITS,
    max_triples: int = 0,
) -> CsvMapping:
    """Map a steward CSV to quads in ``graph``; row numbers kept for the report.

    ``classes``: the class local names accepted in ``type`` (sub-classes of sg:Acteur
    and sg:Dispositif in the ontology); without it, any class of ``santegraph.vocab``.
    Rows, cells and triples beyond ``limits`` and ``max_triples`` (0: none) are refused
    with LimitExceeded as soon as they are read.
    """
    text = decode_csv(data, source)
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = bounded_csv_rows(enumerate(reader, start=1), limits, source=source)
    header = [h.strip().lower() for h in next(rows)[1]]
    expected = template.names
    unknown = [h for h in header if h not in expected]
    missing = [c.name for c in template.columns if c.required and c.name not in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if unknown or missing or duplicated:
        parts = []
        if missing:
            parts.append("colonne(s) manquante(s) : " + ", ".join(missing))
        if unknown:
            parts.append("colonne(s) inconnue(s) : " + ", ".join(h or "(vide)" for h in unknown))
        if duplicated:
            parts.append("colonne(s) en double : " + ", ".join(duplicated))
        raise InputError(
            "en-tête CSV non conforme (ligne 1) — "
            + " ; ".join(parts)
            + ". Colonnes attendues : "
            + ", ".join(expected),
            source=source,
            line=1,
        )
    accepted = set(classes) if classes is not None else None
    mapping = CsvMapping()
    columns = {c.name: c for c in template.columns}
    for row_number, cells in rows:
        if len(mapping.quads) > max_triples > 0:
            raise too_many_triples(max_triples, source=source)
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            mapping.problems.append(
                _problem(
                    "",
                    row_number,
                    None,
                    None,
                    f"la ligne a {len(cells)} cellules pour {len(header)} colonnes "
                    "(séparateur dans une valeur non protégée par des guillemets ?)",
                    source,
                )
            )
            continue
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        _map_row(row, row_number, columns, base_iri, graph, accepted, source, mapping)
    if len(mapping.quads) > max_triples > 0:
        raise too_many_triples(max_triples, source=source)
    if not mapping.rows and not mapping.problems:
        raise InputError("le fichier ne contient que l'en-tête : aucune entrée", source=source)
    return mapping


def _map_row(
    row: dict[str, str],
    row_number: int,
    columns: dict[str, Column],
    base_iri: str,
    graph: ox.NamedNode,
    accepted: set[str] | None,
    source: str,
    mapping: CsvMapping,
) -> None:
    name = row.get("nom", "")
    if name.upper().startswith(EXAMPLE_MARK):
        mapping.problems.append(
            _problem(
                "",
                row_number,
                "nom",
                name,
                "ligne d'exemple du modèle (son nom commence par « EXEMPLE ») : remplacez-la "
                "par vos entrées ou supprimez-la ; elle n'est jamais chargée",
                source,
            )
        )
        return
    if not slugify(name):
        mapping.problems.append(
            _problem(
                "",
                row_number,
                "nom",
                name or None,
                "nom manquant : il fixe l'IRI de l'entrée",
                source,
            )
        )
        return
    subject = ox.NamedNode(f"{base_iri}acteur/{slugify(name)}")
    if subject.value in mapping.rows:
        mapping.problems.append(
            _problem(
                subject.value,
                row_number,
                "nom",
                name,
                f"même nom (donc même IRI) qu'à la ligne {mapping.rows[subject.value]}",
                source,
            )
        )
        return
    mapping.rows[subject.value] = row_number
    for column_name, value in row.items():
        column = columns[column_name]
        if not value:
            if column.required:
                mapping.problems.append(
                    _problem(
                        subject.value,
                        row_number,
                        column.name,
                        None,
                        f"la colonne « {column.name} » est obligatoire",
                        source,
                    )
                )
            continue
        predicate = ox.NamedNode(column.property)
        for item in (
            (v.strip() for v in value.split(MULTI))
            if column.kind not in ("label", "string")
            else [value]
        ):
            if not item:
                continue
            term, error = _term(column.kind, item, base_iri, accepted)
            if error:
                mapping.problems.append(
                    _problem(subject.value, row_number, column.name, item, error, source)
                )
                if column.kind == "class":  # still check the rest of the row as an acteur
                    mapping.quads.append(
                        ox.Quad(subject, predicate, ox.NamedNode(SG.Acteur), graph)
                    )
                continue
            assert term is not None  # no error: a term
            mapping.quads.append(ox.Quad(subject, predicate, term, graph))


INSEE = re.compile(r"^(?:[0-9]{2}|2[AB])[0-9]{3}$|^97[1-6][0-9]{2}$", re.IGNORECASE)
DEPARTEMENT = re.compile(r"^(?:0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$", re.IGNORECASE)
SIREN = re.compile(r"^[0-9]{9}$")


def _term(
    kind: str, value: str, base_iri: str, accepted: set[str] | None
) -> tuple[ox.NamedNode | ox.Literal, None] | tuple[None, str]:
    """(RDF term, None) or (None, French error message)."""
    if kind == "label":
        return ox.Literal(value, language="fr"), None
    if kind == "string":
        return ox.Literal(value, datatype=XSD_STRING), None
    if kind == "class":
        local = value.removeprefix("sg:")
        if accepted is not None:
            ok = local in accepted
        else:
            try:
                getattr(SG, local)
                ok = True
            except AttributeError:
                ok = False
        if not ok:
            return None, (
                f"type inconnu « {value} » : attendu le nom d'une classe d'acteur ou de "
                "dispositif de l'ontologie (ex. CPTS, MSP, CCAS, DAC, Association)"
            )
        return ox.NamedNode(SG_NAMESPACE + local), None  # a checked local name
    if kind == "commune":
        if not INSEE.match(value):
            return None, f"code INSEE de commune invalide « {value} » : 5 caractères, ex. 59183"
        return ox.NamedNode(f"{base_iri}territoire/commune/{value.upper()}"), None
    if kind == "territoires":
        if INSEE.match(value):
            return ox.NamedNode(f"{base_iri}territoire/commune/{value.upper()}"), None
        if DEPARTEMENT.match(value):
            return ox.NamedNode(f"{base_iri}territoire/departement/{value.upper()}"), None
        if SIREN.match(value):
            return ox.NamedNode(f"{base_iri}territoire/epci/{value}"), None
        return None, (
            f"code de territoire invalide « {value} » : commune (INSEE, 5 caractères), "
            "département (2 ou 3 caractères) ou EPCI (SIREN, 9 chiffres)"
        )
    if kind.startswith("concepts:"):
        slug = value.rsplit("/", 1)[-1]
        if slug != slugify(slug):
            return None, f"identifiant de concept invalide « {value} » (ex. personnes-agees)"
        return ox.NamedNode(f"{base_iri}{kind.split(':', 1)[1]}/{slug}"), None
    if kind == "agent":
        if not slugify(value):
            return None, "référent invalide"
        return ox.NamedNode(f"{base_iri}referent/{slugify(value)}"), None
    raise ValueError(kind)


def _problem(
    focus: str, row: int, column: str | None, value: str | None, message: str, source: str
) -> ValidationResult:
    return ValidationResult(
        severity="Violation",
        focus_node=focus,
        path=None,
        value=value,
        message=message,
        message_en="",
        source_shape="",
        constraint="csv",
        location=_csv_location(source, row, column),
        file=source,
        row=row,
        column=column,
    )


def _csv_location(source: str, row: int, column: str | None) -> str:
    where = f"{source}, ligne {row}"
    return where + (f", colonne {column}" if column else "")


def locate_result(
    result: ValidationResult, rows: dict[str, int], source: str, template: Template = ACTEURS
) -> ValidationResult:
    """Give a SHACL result on a CSV entry its row (focus node) and column (path)."""
    from dataclasses import replace

    row = rows.get(result.focus_node)
    if row is None:
        return result
    column = template.column_for(result.path) if result.path else None
    return replace(
        result, row=row, column=column, file=source, location=_csv_location(source, row, column)
    )


def add_to_report_graph(graph: rdflib.Graph, problems: list[ValidationResult]) -> None:
    """Record mapping problems in the rdflib ``sh:ValidationReport`` (conforms becomes false)."""
    import rdflib
    from rdflib.namespace import RDF, SH

    report = next(graph.subjects(RDF.type, SH.ValidationReport), None)
    if report is None:
        report = rdflib.BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
    graph.set((report, SH.conforms, rdflib.Literal(False)))
    for problem in problems:
        node = rdflib.BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.resultSeverity, SH.Violation))
        graph.add((node, SH.resultMessage, rdflib.Literal(problem.message, lang="fr")))
        if problem.focus_node:
            graph.add((node, SH.focusNode, rdflib.URIRef(problem.focus_node)))
        if problem.value is not None:
            graph.add((node, SH.value, rdflib.Literal(problem.value)))
        if problem.column:
            path = next(c.property for c in ACTEURS.columns if c.name == problem.column)
            graph.add((node, SH.resultPath, rdflib.URIRef(path)))
