"""santegraph's own CSV templates (``steward/csv_templates.py``, docs/csv-templates.md) as a source.

The same file a steward sends to ``santegraph submit`` can be imported as a directory: the
rows are mapped by :func:`santegraph.steward.csv_templates.parse_csv` (one source of truth for the
columns), then each row becomes a record with its directory record, its place resolved
through the COG (an outdated commune code is replaced, reported) and its graph, so a
re-import is a synchronisation like any other source.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from ..errors import InputError
from ..steward.csv_templates import ACTEURS, parse_csv
from ..validation import ValidationResult
from . import rdf
from .context import Context
from .model import INFO, VIOLATION, WARNING, MatchKeys, Record
from .sources import MAX_RECORD_BYTES, SourceFile

MAX_TEMPLATE_BYTES = 64 * MAX_RECORD_BYTES  # a steward's table, read whole by parse_csv


def dataset_description(context: Context) -> list[ox.Triple]:
    title = f"Saisies de référents ({context.dataset})"
    return rdf.dataset_triples(context.dataset_node, title)


def read(files: Iterable[SourceFile], context: Context, classes: set[str]) -> Iterator[Record]:
    for source in files:
        with source.open() as stream:
            data = stream.read(MAX_TEMPLATE_BYTES + 1) or b""  # None: only if non-blocking
            while stream.read(1 << 16):  # to the end, for the checksum
                pass
        if len(data) > MAX_TEMPLATE_BYTES:
            raise InputError("modèle CSV de plus de 64 Mio", source=source.name)
        mapping = parse_csv(
            data,
            source=source.name,
            base_iri=context.base,
            graph=ox.NamedNode(context.base + "graph/local/modele"),
            classes=classes,
        )
        by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
        for quad in mapping.quads:
            if isinstance(quad.subject, ox.Triple):
                continue  # a template's rows have IRIs as subjects
            by_subject[quad.subject.value].append(
                ox.Triple(quad.subject, quad.predicate, quad.object)
            )
        orphans = [p for p in mapping.problems if not p.focus_node]
        for problem in orphans:  # rows refused before they had an IRI
            record = context.new_record(
                "acteur", f"ligne-{problem.row}", "", source.name, f"ligne {problem.row}", "acteur"
            )
            record.problem(
                VIOLATION, problem.message, field=problem.column or "", value=problem.value or ""
            )
            yield record
        for iri, row in sorted(mapping.rows.items(), key=lambda item: item[1]):
            yield _record(iri, row, by_subject[iri], mapping.problems, source.name, context)


def _record(
    iri: str,
    row: int,
    triples: list[ox.Triple],
    problems: list[ValidationResult],
    file: str,
    context: Context,
) -> Record:
    labels = (t.object for t in triples if t.predicate == rdf.LABEL)
    label = next((o.value for o in labels if isinstance(o, ox.Literal)), "")
    slug = iri.rsplit("/", 1)[1]
    record = context.new_record("acteur", slug, label, file, f"ligne {row}", "acteur")
    record.subject = rdf.node(iri)
    record.fields = {rdf.node(c.property): c.name for c in ACTEURS.columns}
    for problem in problems:
        if problem.focus_node == iri:
            record.problem(
                VIOLATION, problem.message, field=problem.column or "", value=problem.value or ""
            )
    commune = ""
    for triple in triples:
        if triple.predicate == rdf.sg("localisation") and isinstance(triple.object, ox.NamedNode):
            code = triple.object.value.rsplit("/", 1)[1]
            placed = context.places.resolve(code)
            if placed.commune:
                commune = placed.commune
                record.shard = placed.departement or "hors-cog"
                if placed.message:
                    record.problem(
                        INFO, placed.message, field="localisation", value=code, topic="lieu"
                    )
                triple = ox.Triple(triple.subject, triple.predicate, rdf.node(placed.commune))
            else:
                record.problem(
                    WARNING, placed.message, field="localisation", value=code, topic="lieu"
                )
                continue
        record.triples.append(triple)
    context.fiche(record)
    record.match = MatchKeys(name=rdf.name_key(label), commune=commune)
    return record
