"""SHACL validation with pySHACL, returning data (not prints) that the CLI and web format.

The data graph handed to pySHACL is the submission plus its *context*: what the rest of
the store says about the submission's subjects (each entry is checked as the union will
hold it) and about the IRIs they point to (a commune's type, a porteur's type...), so a
link to an existing resource is checked against reality. When context is present, only
the submission's own subjects are focus nodes: the rest of the store's content was
validated when it was loaded and is not validated again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import rdflib
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import SH

SKOS_PREFLABEL = rdflib.URIRef("http://www.w3.org/2004/02/skos/core#prefLabel")
SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


def to_rdflib(triples: Iterable[ox.Quad | ox.Triple]) -> rdflib.Graph:
    """pyoxigraph triples (graph names dropped) as an rdflib Graph, via N-Triples."""
    plain = [ox.Triple(t.subject, t.predicate, t.object) for t in triples]
    graph = rdflib.Graph()
    if plain:
        graph.parse(data=ox.serialize(plain, format=ox.RdfFormat.N_TRIPLES), format="nt")
    return graph


@dataclass(frozen=True)
class ValidationResult:
    severity: str
    focus_node: str
    path: str | None
    value: str | None
    message: str
    message_en: str
    source_shape: str
    constraint: str
    location: str = ""  # where, for people: "file:line", or "file, ligne 2, colonne nom" (CSV)
    entry_label: str = ""  # skos:prefLabel of the focus node in the submission, when any
    file: str = ""
    line: int | None = None  # RDF files: line where the entry is first written
    row: int | None = None  # CSV files: row of the entry (row 1 = header)
    column: str | None = None  # CSV files: the column of the offending property
    graphs: tuple[str, ...] = ()  # steward graphs describing the focus node (load errors)

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "graphs": list(self.graphs)}


@dataclass
class ValidationReport:
    results: list[ValidationResult] = field(default_factory=list)
    graph: rdflib.Graph = field(default_factory=rdflib.Graph)
    checked_triples: int = 0
    # results counted but not described one by one (a bulk load stops describing after
    # bulk.MAX_DETAILED_RESULTS), by severity
    omitted: dict[str, int] = field(default_factory=dict)

    @property
    def violation_count(self) -> int:
        return sum(r.severity == "Violation" for r in self.results) + self.omitted.get(
            "Violation", 0
        )

    @property
    def warning_count(self) -> int:
        return sum(r.severity == "Warning" for r in self.results) + self.omitted.get("Warning", 0)

    @property
    def conforms(self) -> bool:
        """Violations block; Warnings and Infos are reported but do not."""
        return self.violation_count == 0

    def by_focus_node(self) -> dict[str, list[ValidationResult]]:
        grouped: dict[str, list[ValidationResult]] = {}
        for result in sorted(
            self.results, key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.focus_node)
        ):
            grouped.setdefault(result.focus_node, []).append(result)
        return grouped

    def as_json(self) -> dict[str, Any]:
        """The report for programs: counts, then one object per result (see as_dict)."""
        return {
            "conforms": self.conforms,
            "checked_triples": self.checked_triples,
            "violations": self.violation_count,
            "warnings": self.warning_count,
            "results": [r.as_dict() for results in self.by_focus_node().values() for r in results],
        }

    def text(self) -> str:
        """A report for people, grouped by entry, most severe first."""
        if not self.results:
            return f"Conforme : {self.checked_triples} triplets vérifiés, aucun problème."
        lines = [
            f"{self.violation_count} violation(s), {self.warning_count} avertissement(s) "
            f"sur {self.checked_triples} triplets vérifiés."
        ]
        for focus, results in self.by_focus_node().items():
            label = f" « {results[0].entry_label} »" if results[0].entry_label else ""
            csv = results[0].row is not None
            where = f"  ({results[0].location})" if results[0].location and not csv else ""
            lines.append(f"\n{focus or '(entrée sans IRI)'}{label}{where}")
            lines += [f"  décrite aussi par la soumission <{g}>" for g in results[0].graphs]
            for r in results:
                path = f" [{r.path}]" if r.path else ""
                value = f" valeur : {r.value}" if r.value else ""
                at = f" ({r.location})" if csv and r.location else ""
                lines.append(f"  {r.severity}{path} {r.message}{value}{at}")
        if self.omitted:
            more = ", ".join(f"{n} {severity}" for severity, n in sorted(self.omitted.items()))
            lines.append(f"\n… et d'autres résultats non détaillés : {more}.")
        return "\n".join(lines)


def _message(report: rdflib.Graph, node: rdflib.term.Node, lang: str) -> str:
    messages = list(report.objects(node, SH.resultMessage))
    for m in messages:
        if getattr(m, "language", None) == lang:
            return str(m)
    return str(messages[0]) if messages else ""


def _short(term: rdflib.term.Node | None) -> str | None:
    if term is None:
        return None
    if isinstance(term, rdflib.BNode):
        return "(nœud anonyme)"
    return str(term)


class Validator:
    """The shapes and ontology, parsed once, applied to submissions."""

    def __init__(self, shapes: rdflib.Graph, ontology: rdflib.Graph):
        self.shapes = shapes
        self.ontology = ontology

    @classmethod
    def from_files(
        cls, shape_files: Sequence[Path], ontology_files: Sequence[Path], base_iri: str
    ) -> Validator:
        """Shapes may name data resources (concept schemes) relative to the base, like data."""
        shapes, ontology = rdflib.Graph(), rdflib.Graph()
        for path in shape_files:
            shapes.parse(path, format="turtle", publicID=base_iri)
        for path in ontology_files:
            ontology.parse(path, format="turtle", publicID=base_iri)
        return cls(shapes, ontology)

    def validate(
        self,
        data: Sequence[ox.Quad | ox.Triple],
        *,
        context: Sequence[ox.Triple] = (),
        sources: dict[str, str] | None = None,
        subject_files: dict[str, str] | None = None,
        base_iri: str = "",
    ) -> ValidationReport:
        data_graph = to_rdflib(data)
        focus_nodes = None
        if context:
            focus_nodes = sorted({s for s in data_graph.subjects() if isinstance(s, rdflib.URIRef)})
            for triple in to_rdflib(context):
                data_graph.add(triple)
        ontology = rdflib.Graph()
        ontology += self.ontology
        kwargs: dict[str, Any] = {"focus_nodes": focus_nodes} if focus_nodes else {}
        # No allow_warnings/allow_infos: the published report keeps SHACL's sh:conforms
        # (false as soon as there is any result); that only Violations block is santegraph's
        # policy, applied by ValidationReport.conforms.
        _, report_graph, _ = pyshacl_validate(
            data_graph,
            shacl_graph=self.shapes,
            ont_graph=ontology,
            inference="none",
            **kwargs,
        )
        results = []
        # The report's own results only: a failed sh:node also types the nested results
        # that explain it (sh:detail) as sh:ValidationResult, and they are not violations
        # of their own.
        report_node = report_graph.value(predicate=rdflib.RDF.type, object=SH.ValidationReport)
        for node in report_graph.objects(report_node, SH.result):
            severity = report_graph.value(node, SH.resultSeverity)
            focus = _short(report_graph.value(node, SH.focusNode)) or ""
            where = locate(focus, sources or {}, base_iri, subject_files or {})
            file, _, line = where.rpartition(":")
            label = data_graph.value(rdflib.URIRef(focus), SKOS_PREFLABEL) if focus else None
            results.append(
                ValidationResult(
                    severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                    focus_node=focus,
                    path=_short(report_graph.value(node, SH.resultPath)),
                    value=_short(report_graph.value(node, SH.value)),
                    message=_message(report_graph, node, "fr"),
                    message_en=_message(report_graph, node, "en"),
                    source_shape=_short(report_graph.value(node, SH.sourceShape)) or "",
                    constraint=_short(report_graph.value(node, SH.sourceConstraintComponent)) or "",
                    location=where,
                    entry_label=str(label) if label is not None else "",
                    file=file,
                    line=int(line) if line.isdigit() else None,
                )
            )
        return ValidationReport(results, report_graph, checked_triples=len(data))


def locate(
    iri: str, sources: dict[str, str], base_iri: str, subject_files: dict[str, str] | None = None
) -> str:
    """Best effort "file:line" where a resource is first written in the submission texts.

    Searches the file where the resource is a subject first (``subject_files``), looking
    for the full IRI, its form relative to the base, then a prefixed name ending with its
    last path segment (``act:cpam-des-flandres``).
    """
    if not iri or not sources:
        return ""
    home = (subject_files or {}).get(iri)
    if home in sources:
        sources = {home: sources[home], **sources}
    exact = [f"<{iri}>", f'"{iri}"']  # Turtle / N-Triples, JSON-LD "@id"
    tail = ""
    if base_iri and iri.startswith(base_iri):
        relative = iri[len(base_iri) :]
        exact += [f"<{relative}>", f'"{relative}"']
        tail = relative.rsplit("/", 1)[-1]
    for name, text in sources.items():
        for candidate in exact:
            index = text.find(candidate)
            if index >= 0:
                return f"{name}:{text.count(chr(10), 0, index) + 1}"
        if tail:
            index = _find_prefixed(text, tail)
            if index >= 0:
                return f"{name}:{text.count(chr(10), 0, index) + 1}"
    return ""


def _find_prefixed(text: str, local: str) -> int:
    """Index of ``prefix:local`` as a whole token in Turtle text, or -1."""
    needle = ":" + local
    start = text.find(needle)
    while start >= 0:
        end = start + len(needle)
        after_ok = end == len(text) or not (text[end].isalnum() or text[end] in "-_")
        if after_ok:
            return start
        start = text.find(needle, end)
    return -1
