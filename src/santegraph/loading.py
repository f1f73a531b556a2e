"""Loading: files -> parsed quads -> SHACL gate -> one atomic write.

Nothing reaches the store before the whole batch has parsed and conformed; the write
itself is one SPARQL Update, so a rejected or failed load leaves the store as it was.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from tqdm import tqdm

from .config import Settings
from .entailment import as_quads, inferences_after
from .errors import InputError, ValidationFailed
from .iris import graph_for_file, inferences_graph, is_steward_graph, slugify
from .queries import QueryCatalogue
from .rdfio import DUMP_FORMATS, parse_bytes, parse_file
from .store.base import GraphStore
from .validation import ValidationReport, ValidationResult, Validator

INTERNAL_QUERIES = Path(__file__).parent / "rq"
CONTENT_FOLDERS = ("ontology", "shapes", "data")
RDF_SUFFIXES = (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf")
SUBMISSION_SUFFIXES = (*RDF_SUFFIXES, ".csv")  # what `validate` accepts (CSV: csvtemplates)
SUBMISSION_FORMATS = {  # formats of a pasted or uploaded submission (web form)
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
SG_NS = "https://w3id.org/santegraph/def#"


@dataclass
class Payload:
    """What one named graph will hold after the load, and where it came from."""

    graph: str
    quads: list[ox.Quad] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # file name -> text (for locating)
    subject_files: dict[str, str] = field(default_factory=dict)  # subject IRI -> file name
    validated: bool = True  # ontology and shapes are loaded as data but not validated
    rows: dict[str, tuple[str, int]] = field(default_factory=dict)  # CSV: IRI -> (file, row)
    problems: list[ValidationResult] = field(default_factory=list)  # CSV cells not mapped


@dataclass
class LoadSummary:
    graphs: list[str]
    triples: int
    report: ValidationReport | None = None
    inferred: int = 0  # triples graph/inferences holds after the load (entailment.py)


def content_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for folder in CONTENT_FOLDERS:
        files += sorted(
            p for p in (root / folder).rglob("*") if p.is_file() and p.suffix in RDF_SUFFIXES
        )
    return files


class Loader:
    def __init__(self, store: GraphStore, settings: Settings, *, progress: bool | None = None):
        self.store = store
        self.settings = settings
        self.root = settings.content_path
        self.progress = sys.stderr.isatty() if progress is None else progress
        self.queries = QueryCatalogue(INTERNAL_QUERIES)
        # pySHACL's parsed shapes are shared by every check: one validation at a time
        self._check_lock = threading.RLock()

    @cached_property
    def validator(self) -> Validator:
        return Validator.from_files(
            sorted((self.root / "shapes").glob("*.ttl")),
            sorted((self.root / "ontology").glob("*.ttl")),
            self.settings.base_iri,
        )

    def _bar(self, items: Sequence, desc: str):
        return tqdm(items, desc=desc, unit="file", disable=not self.progress, leave=False)

    def _stage(self, message: str) -> None:
        """One line per long stage, on a terminal only (piped output stays clean)."""
        if self.progress:
            print(message, file=sys.stderr, flush=True)

    # ------------------------------------------------------------------ parsing
    def read_files(self, paths: Iterable[Path], graph: str | None = None) -> list[Payload]:
        """Parse files into payloads, grouped by target graph. InputError on bad input."""
        payloads: dict[str, Payload] = {}
        paths = list(paths)
        for path in self._bar(paths, "lecture"):
            target = graph or graph_for_file(path, self.root, self.settings.base_iri)
            payload = payloads.setdefault(target, Payload(target))
            if path.suffix.lower() == ".csv":
                self._add_bytes(payload, _read(path), str(path), "csv")
            else:
                quads = parse_file(
                    path,
                    base_iri=self.settings.base_iri,
                    graph=ox.NamedNode(target),
                    max_depth=self.settings.max_nesting_depth,
                )
                text = path.read_text(encoding="utf-8", errors="replace")
                _add_quads(payload, quads, str(path), text)
            payload.validated = _top_folder(path, self.root) not in ("ontology", "shapes")
        for payload in payloads.values():
            # RDF graphs are sets: two files of one graph may state the same triple
            payload.quads = list(dict.fromkeys(payload.quads))
        return list(payloads.values())

    def read_bytes(self, data: bytes, name: str, fmt: str, graph: str | None = None) -> Payload:
        """One submitted text (upload or paste); ``fmt``: csv, turtle, ntriples or jsonld."""
        target = graph or f"{self.settings.base_iri}graph/local/{slugify(name.split('.')[0])}"
        payload = Payload(target)
        self._add_bytes(payload, data, name, fmt)
        payload.quads = list(dict.fromkeys(payload.quads))
        return payload

    def _add_bytes(self, payload: Payload, data: bytes, name: str, fmt: str) -> None:
        if fmt == "csv":
            from .csvtemplates import parse_csv

            mapping = parse_csv(
                data,
                source=name,
                base_iri=self.settings.base_iri,
                graph=ox.NamedNode(payload.graph),
                classes=self.entry_classes,
            )
            payload.quads += mapping.quads
            payload.problems += mapping.problems
            payload.rows.update({iri: (name, row) for iri, row in mapping.rows.items()})
            return
        if fmt not in SUBMISSION_FORMATS:
            raise InputError(
                f"unknown format {fmt!r} (known: csv, {', '.join(SUBMISSION_FORMATS)})"
            )
        quads = parse_bytes(
            data,
            SUBMISSION_FORMATS[fmt],
            source=name,
            base_iri=self.settings.base_iri,
            graph=ox.NamedNode(payload.graph),
            max_depth=self.settings.max_nesting_depth,
        )
        _add_quads(payload, quads, name, data.decode("utf-8", errors="replace"))

    @cached_property
    def entry_classes(self) -> set[str]:
        """Local names of the sg: classes a CSV ``type`` may name (kinds of acteur/dispositif)."""
        from rdflib import URIRef
        from rdflib.namespace import RDFS

        graph, found = self.validator.ontology, set()
        for top in ("Acteur", "Dispositif"):
            for cls in graph.transitive_subjects(RDFS.subClassOf, URIRef(SG_NS + top)):
                if str(cls).startswith(SG_NS):
                    found.add(str(cls)[len(SG_NS) :])
        return found

    # ------------------------------------------------------------------ the gate
    def check(
        self,
        payloads: Sequence[Payload],
        *,
        in_context: bool,
        excluded_graphs: Sequence[str] | None = None,
    ) -> ValidationReport:
        """Validate the payloads; with ``in_context``, against what the store holds.

        The context leaves out the graphs the payloads replace (``excluded_graphs``, by
        default the payloads' own graphs).
        """
        data = [q for p in payloads if p.validated for q in p.quads]
        problems = [r for p in payloads for r in p.problems]
        if not data:
            return _with_problems(ValidationReport(), problems)
        self._stage(f"validation SHACL de {len(data)} triplets…")
        context: list[ox.Triple] = []
        if in_context:
            excluded = [p.graph for p in payloads] if excluded_graphs is None else excluded_graphs
            context = self._context(data, excluded)
        sources = {name: text for p in payloads for name, text in p.sources.items()}
        subject_files = {iri: name for p in payloads for iri, name in p.subject_files.items()}
        with self._check_lock:
            report = self.validator.validate(
                data,
                context=context,
                sources=sources,
                subject_files=subject_files,
                base_iri=self.settings.base_iri,
            )
        rows = {iri: where for p in payloads for iri, where in p.rows.items()}
        if rows:
            from .csvtemplates import locate_result

            report.results = [
                locate_result(r, {r.focus_node: rows[r.focus_node][1]}, rows[r.focus_node][0])
                if r.focus_node in rows
                else r
                for r in report.results
            ]
        return _with_problems(report, problems)

    def _context(self, data: Sequence[ox.Quad], replaced: Sequence[str]) -> list[ox.Triple]:
        """What the store says about the IRIs the submission refers to but does not define."""
        subjects = {q.subject for q in data}
        referenced = sorted(
            {q.object for q in data if isinstance(q.object, ox.NamedNode)} - subjects,
            key=lambda n: n.value,
        )
        if not referenced:
            return []
        query = self.queries["submission_context"].text
        excluded = {*replaced, inferences_graph(self.settings.base_iri)}  # derived, not stated
        triples: list[ox.Triple] = []
        for start in range(0, len(referenced), 500):
            for row in self.store.select(query, {"node": referenced[start : start + 500]}):
                if row["g"].value not in excluded:
                    triples.append(ox.Triple(row["node"], row["p"], row["o"]))
        return triples

    # ------------------------------------------------------------------ writing
    def load(self, payloads: Sequence[Payload], *, add: bool = False) -> LoadSummary:
        """Validate in context, then write all payloads in one atomic update."""
        for payload in payloads:
            self.check_target_graph(payload.graph)
        report = self.check(payloads, in_context=True)
        if not report.conforms:
            raise ValidationFailed(report)
        graphs = {p.graph: p.quads for p in payloads}
        change = {"add": graphs} if add else {"replace": graphs}
        inferred = inferences_after(self.store, self.settings.base_iri, **change)
        if add:
            self.store.write(add=graphs, replace=inferred)
        else:
            self.store.replace_graphs({**graphs, **inferred})
        summary = LoadSummary(list(graphs), sum(len(p.quads) for p in payloads), report)
        summary.inferred = sum(len(t) for t in inferred.values())
        return summary

    def load_files(
        self, paths: Iterable[Path], *, graph: str | None = None, add: bool = False
    ) -> LoadSummary:
        return self.load(self.read_files(paths, graph), add=add)

    def load_content(self, *, replace_all: bool = False) -> LoadSummary:
        """Load ontology/, shapes/ and data/ (each file to its graph), validated as a whole.

        ``replace_all`` first empties the store, in the same atomic update (rebuild).
        """
        payloads = self.read_files(content_files(self.root))
        if not payloads:
            raise InputError(f"no RDF files under {self.root}/{{ontology,shapes,data}}")
        # Steward submissions and their journal survive a rebuild, and the submissions
        # must still conform with the new content: they are validated with it.
        kept = self._steward_payloads()
        report = self.check(payloads + kept, in_context=False)
        if not report.conforms:
            raise ValidationFailed(report)
        self._stage(f"écriture de {len(payloads)} graphes nommés…")
        base = self.settings.base_iri
        if replace_all:
            quads = [q for p in payloads + kept for q in p.quads]
            inferred = inferences_after(self.store, base, everything=quads)
            self.store.restore(quads + as_quads(inferred))
        else:
            graphs = {p.graph: p.quads for p in payloads}
            inferred = inferences_after(self.store, base, replace=graphs)
            self.store.replace_graphs({**graphs, **inferred})
        triples = sum(len(p.quads) for p in payloads)
        summary = LoadSummary([p.graph for p in payloads], triples, report)
        summary.inferred = sum(len(t) for t in inferred.values())
        return summary

    def _steward_payloads(self) -> list[Payload]:
        base = self.settings.base_iri
        payloads = []
        for graph in self.store.list_graphs():
            if is_steward_graph(graph, base):
                quads = list(self.store.match(graph=ox.NamedNode(graph)))
                payloads.append(Payload(graph, quads))
        return payloads

    def check_target_graph(self, graph: str) -> None:
        """``load --graph`` writes content graphs; steward graphs go through ``submit``."""
        if graph == inferences_graph(self.settings.base_iri):
            raise InputError(
                f"<{graph}> holds what the ontology entails: santegraph rebuilds it itself"
            )
        if is_steward_graph(graph, self.settings.base_iri):
            raise InputError(
                f"<{graph}> belongs to the steward workflow (journaled): use "
                "`santegraph submit`, `correct` or `withdraw` instead of `load`"
            )

    def ensure_content(self) -> LoadSummary | None:
        """First run: load the project content if the store is empty; else do nothing."""
        if self.store.count_triples() > 0:
            return None
        return self.load_content()

    def import_dump(self, path: Path) -> LoadSummary:
        """Replace the whole dataset by a dump (N-Quads or TriG), validated first."""
        fmt = {".nq": DUMP_FORMATS["nquads"], ".trig": DUMP_FORMATS["trig"]}.get(
            path.suffixes[0] if path.suffix == ".gz" else path.suffix
        )
        if fmt is None:
            raise InputError("a dump must be .nq, .trig, .nq.gz or .trig.gz", source=str(path))
        raw = path.read_bytes()
        if path.suffix == ".gz":
            import gzip

            raw = gzip.decompress(raw)
        quads = parse_bytes(raw, fmt, source=str(path), max_depth=self.settings.max_nesting_depth)
        derived = ox.NamedNode(inferences_graph(self.settings.base_iri))  # rebuilt below
        quads = [q for q in quads if q.graph_name != derived]
        prefix = self.settings.base_iri + "graph/"
        not_validated = (prefix + "ontology/", prefix + "shapes/")
        payloads: dict[str, Payload] = {}
        for quad in quads:
            if isinstance(quad.graph_name, ox.DefaultGraph):
                raise InputError(
                    "the dump has triples in the default graph; santegraph keeps every "
                    "triple in a named graph",
                    source=str(path),
                )
            name = quad.graph_name.value
            payload = payloads.setdefault(
                name, Payload(name, validated=not name.startswith(not_validated))
            )
            payload.quads.append(quad)
        report = self.check(list(payloads.values()), in_context=False)
        if not report.conforms:
            raise ValidationFailed(report)
        inferred = inferences_after(self.store, self.settings.base_iri, everything=quads)
        self.store.restore(quads + as_quads(inferred))
        return LoadSummary(sorted(payloads), len(quads), report)

    def validate_files(
        self, paths: Iterable[Path], *, graph: str | None = None
    ) -> ValidationReport:
        """Validate a submission in the context of the store, without writing."""
        return self.check(self.read_files(paths, graph), in_context=True)


def _with_problems(report: ValidationReport, problems: list[ValidationResult]) -> ValidationReport:
    """Add the CSV cells that could not be mapped, to the results and to the report graph."""
    if problems:
        from .csvtemplates import add_to_report_graph

        report.results = problems + report.results
        add_to_report_graph(report.graph, problems)
    return report


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read file", source=str(path)) from exc


def _add_quads(payload: Payload, quads: list[ox.Quad], name: str, text: str) -> None:
    payload.quads += quads
    payload.sources[name] = text
    for quad in quads:
        if isinstance(quad.subject, ox.NamedNode):
            payload.subject_files.setdefault(quad.subject.value, name)


def _top_folder(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).parts[0]
    except (ValueError, IndexError):
        return ""
