"""Loading: files -> parsed quads -> SHACL gate -> one atomic write.

Nothing reaches the store before the whole batch has parsed and conformed; the write
itself is one SPARQL Update, so a rejected or failed load leaves the store as it was.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from tqdm import tqdm

from .config import Settings
from .errors import InputError, ValidationFailed
from .iris import graph_for_file
from .queries import QueryCatalogue
from .rdfio import DUMP_FORMATS, parse_bytes, parse_file
from .store.base import GraphStore
from .validation import ValidationReport, Validator

INTERNAL_QUERIES = Path(__file__).parent / "rq"
CONTENT_FOLDERS = ("ontology", "shapes", "data")
RDF_SUFFIXES = (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf")


@dataclass
class Payload:
    """What one named graph will hold after the load, and where it came from."""

    graph: str
    quads: list[ox.Quad] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # file name -> text (for locating)
    subject_files: dict[str, str] = field(default_factory=dict)  # subject IRI -> file name
    validated: bool = True  # ontology and shapes are loaded as data but not validated


@dataclass
class LoadSummary:
    graphs: list[str]
    triples: int
    report: ValidationReport | None = None


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
            quads = parse_file(path, base_iri=self.settings.base_iri, graph=ox.NamedNode(target))
            payload = payloads.setdefault(target, Payload(target))
            payload.quads += quads
            payload.sources[str(path)] = path.read_text(encoding="utf-8", errors="replace")
            for quad in quads:
                if isinstance(quad.subject, ox.NamedNode):
                    payload.subject_files.setdefault(quad.subject.value, str(path))
        for payload in payloads.values():
            # RDF graphs are sets: two files of one graph may state the same triple
            payload.quads = list(dict.fromkeys(payload.quads))
            top = _top_folder(path, self.root)
            payload.validated = top not in ("ontology", "shapes")
        return list(payloads.values())

    # ------------------------------------------------------------------ the gate
    def check(self, payloads: Sequence[Payload], *, in_context: bool) -> ValidationReport:
        """Validate the payloads; with ``in_context``, against what the store holds."""
        data = [q for p in payloads if p.validated for q in p.quads]
        if not data:
            return ValidationReport()
        self._stage(f"validation SHACL de {len(data)} triplets…")
        context: list[ox.Triple] = []
        if in_context:
            context = self._context(data, [p.graph for p in payloads])
        sources = {name: text for p in payloads for name, text in p.sources.items()}
        subject_files = {iri: name for p in payloads for iri, name in p.subject_files.items()}
        return self.validator.validate(
            data,
            context=context,
            sources=sources,
            subject_files=subject_files,
            base_iri=self.settings.base_iri,
        )

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
        excluded = set(replaced)
        triples: list[ox.Triple] = []
        for start in range(0, len(referenced), 500):
            for row in self.store.select(query, {"node": referenced[start : start + 500]}):
                if row["g"].value not in excluded:
                    triples.append(ox.Triple(row["node"], row["p"], row["o"]))
        return triples

    # ------------------------------------------------------------------ writing
    def load(self, payloads: Sequence[Payload], *, add: bool = False) -> LoadSummary:
        """Validate in context, then write all payloads in one atomic update."""
        report = self.check(payloads, in_context=True)
        if not report.conforms:
            raise ValidationFailed(report)
        graphs = {p.graph: p.quads for p in payloads}
        if add:
            self.store.add_to_graphs(graphs)
        else:
            self.store.replace_graphs(graphs)
        return LoadSummary(list(graphs), sum(len(p.quads) for p in payloads), report)

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
        report = self.check(payloads, in_context=False)
        if not report.conforms:
            raise ValidationFailed(report)
        self._stage(f"écriture de {len(payloads)} graphes nommés…")
        if replace_all:
            self.store.restore(q for p in payloads for q in p.quads)
        else:
            self.store.replace_graphs({p.graph: p.quads for p in payloads})
        return LoadSummary([p.graph for p in payloads], sum(len(p.quads) for p in payloads), report)

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
        quads = parse_bytes(raw, fmt, source=str(path))
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
        self.store.restore(quads)
        return LoadSummary(sorted(payloads), len(quads), report)

    def validate_files(
        self, paths: Iterable[Path], *, graph: str | None = None
    ) -> ValidationReport:
        """Validate a submission in the context of the store, without writing."""
        return self.check(self.read_files(paths, graph), in_context=True)


def _top_folder(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).parts[0]
    except (ValueError, IndexError):
        return ""
