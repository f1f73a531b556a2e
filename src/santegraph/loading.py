"""Loading: files -> parsed quads -> SHACL gate -> one atomic write.

Nothing reaches the store before the whole batch has parsed and conformed. ``load``,
``import`` and the first load of the content build the store as it will be aside (a
staging store, filled in batches), validate it there with the shapes compiled to SPARQL,
and swap it in at the end (:mod:`.bulk`, docs/decisions/0008-bulk-loading.md); a rejected
or failed load leaves the store as it was. Submissions (``validate``, the steward
workflow) are checked with pySHACL in the context of the store (``check``).
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pyoxigraph as ox
from tqdm import tqdm

from .bounds import CsvLimits, InflateLimits
from .config import Settings
from .entailment import as_quads, inferences_after
from .errors import InputError, ValidationFailed
from .iris import graph_for_file, inferences_graph, is_steward_graph, slugify
from .queries import INTERNAL, catalogue
from .rdfio import DUMP_FORMATS, parse_bytes, parse_file
from .store.base import GraphStore, bound, triple_of
from .store.embedded import EmbeddedStore

if TYPE_CHECKING:  # pySHACL and rdflib load on first use: a restart that validates nothing
    from .bulk import BulkValidator
    from .validation import ValidationReport, ValidationResult, Validator

_T = TypeVar("_T")

CONTENT_FOLDERS = ("ontology", "shapes", "data")
RDF_SUFFIXES = (".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf")
SUBMISSION_SUFFIXES = (
    *RDF_SUFFIXES,
    ".csv",
)  # what `validate` accepts (CSV: steward/csv_templates.py)
SUBMISSION_FORMATS = {  # formats of a pasted or uploaded submission (web form)
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}
CONTEXT_BATCH = 500  # IRIs bound per context query


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
        self.queries = catalogue(INTERNAL)
        # pySHACL's parsed shapes are shared by every check: one validation at a time
        self._check_lock = threading.RLock()

    @cached_property
    def validator(self) -> Validator:
        from .validation import Validator

        return Validator.from_files(
            sorted((self.root / "shapes").glob("*.ttl")),
            sorted((self.root / "ontology").glob("*.ttl")),
            self.settings.base_iri,
        )

    def _bar(self, items: Sequence[_T], desc: str) -> tqdm[_T]:
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
                    max_expansion=self.settings.max_entity_expansion_bytes,
                    inflate_limits=InflateLimits.from_settings(self.settings),
                )
                text = path.read_text(encoding="utf-8", errors="replace")
                _add_quads(payload, quads, str(path), text)
            payload.validated = _top_folder(path, self.root) not in ("ontology", "shapes")
        for payload in payloads.values():
            # RDF graphs are sets: two files of one graph may state the same triple
            payload.quads = list(dict.fromkeys(payload.quads))
        return list(payloads.values())

    def read_bytes(self, data: bytes, name: str, fmt: str, graph: str | None = None) -> Payload:
        """One submitted text (upload or paste); ``fmt``: csv, turtle, ntriples or jsonld.

        A submission, so bounded like one: at most ``max_triples`` triples, and the CSV
        bounds (bounds.py)."""
        target = graph or f"{self.settings.base_iri}graph/local/{slugify(name.split('.')[0])}"
        payload = Payload(target)
        self._add_bytes(payload, data, name, fmt)
        payload.quads = list(dict.fromkeys(payload.quads))
        return payload

    def _add_bytes(self, payload: Payload, data: bytes, name: str, fmt: str) -> None:
        if fmt == "csv":
            from .steward.csv_templates import parse_csv

            mapping = parse_csv(
                data,
                source=name,
                base_iri=self.settings.base_iri,
                graph=ox.NamedNode(payload.graph),
                classes=self.entry_classes,
                limits=CsvLimits.from_settings(self.settings),
                max_triples=self.settings.max_triples,
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
            max_triples=self.settings.max_triples,
        )
        _add_quads(payload, quads, name, data.decode("utf-8", errors="replace"))

    @cached_property
    def entry_classes(self) -> set[str]:
        """Local names of the sg: classes a CSV ``type`` may name (kinds of acteur/dispositif)."""
        from rdflib.namespace import RDFS

        from .vocab import NAMESPACE, SG

        graph, found = self.validator.ontology, set()
        for top in (SG.Acteur, SG.Dispositif):
            for cls in graph.transitive_subjects(RDFS.subClassOf, top):
                if str(cls).startswith(NAMESPACE):
                    found.add(str(cls)[len(NAMESPACE) :])
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
            from .validation import ValidationReport

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
            from .steward.csv_templates import locate_result

            report.results = [
                locate_result(r, {r.focus_node: rows[r.focus_node][1]}, rows[r.focus_node][0])
                if r.focus_node in rows
                else r
                for r in report.results
            ]
        return _with_problems(report, problems)

    def _context(self, data: Sequence[ox.Quad], replaced: Sequence[str]) -> list[ox.Triple]:
        """What the rest of the store says about the submission: its subjects' descriptions
        in other graphs (so each entry is checked as the union will hold it: a second French
        label on an existing entry is a violation), then the IRIs both point to."""
        excluded = {*replaced, inferences_graph(self.settings.base_iri)}  # derived, not stated
        subjects = sorted(
            {q.subject for q in data if isinstance(q.subject, ox.NamedNode)},
            key=lambda n: n.value,
        )
        triples: list[ox.Triple] = []
        query = self.queries["subject_descriptions"].text
        for start in range(0, len(subjects), CONTEXT_BATCH):
            for row in self.store.select(query, {"node": subjects[start : start + CONTEXT_BATCH]}):
                if bound(row, "g").value not in excluded:
                    triples.append(triple_of(row))
        described = set(subjects)
        statements: list[ox.Quad | ox.Triple] = [*data, *triples]
        referenced = sorted(
            {
                t.object
                for t in statements
                if isinstance(t.object, ox.NamedNode) and t.object not in described
            },
            key=lambda n: n.value,
        )
        query = self.queries["submission_context"].text
        for start in range(0, len(referenced), CONTEXT_BATCH):
            for row in self.store.select(
                query, {"node": referenced[start : start + CONTEXT_BATCH]}
            ):
                if bound(row, "g").value not in excluded:
                    triples.append(triple_of(row, s="node"))
        return triples

    # ------------------------------------------------------------------ writing
    @cached_property
    def bulk(self) -> BulkValidator:
        from .bulk import BulkValidator

        return BulkValidator(self.validator)

    def load(self, payloads: Sequence[Payload], *, add: bool = False) -> LoadSummary:
        """Validate in the context of the store and write all payloads, all or nothing."""
        for payload in payloads:
            self.check_target_graph(payload.graph)

        def fill(staging: _Staging) -> None:
            for payload in payloads:
                staging.replace(payload.graph, payload.quads, keep=add, validated=payload.validated)
                staging.problems += payload.problems
                staging.sources.update(payload.sources)
                staging.rows.update(payload.rows)

        return self._staged(fill, focus=True, copy=True)

    def load_files(
        self, paths: Iterable[Path], *, graph: str | None = None, add: bool = False
    ) -> LoadSummary:
        """Load files (each to its graph, or all to ``graph``), streamed in batches."""
        paths = list(paths)
        targets = {p: graph or graph_for_file(p, self.root, self.settings.base_iri) for p in paths}
        for target in set(targets.values()):
            self.check_target_graph(target)

        def fill(staging: _Staging) -> None:
            for path in self._bar(paths, "lecture"):
                target = targets[path]
                validated = _top_folder(path, self.root) not in ("ontology", "shapes")
                if path.suffix.lower() == ".csv":
                    payload = Payload(target)
                    self._add_bytes(payload, _read(path), str(path), "csv")
                    staging.replace(target, payload.quads, keep=add, validated=validated)
                    staging.problems += payload.problems
                    staging.rows.update(payload.rows)
                else:
                    staging.replace(
                        target, self._file_quads(path, target), keep=add, validated=validated
                    )
                    staging.files.append(path)

        return self._staged(fill, focus=True, copy=True)

    def _file_quads(self, path: Path, target: str) -> Iterator[ox.Quad]:
        from .bulk import stream_quads

        graph = ox.NamedNode(target)
        for quad in stream_quads(
            path,
            base_iri=self.settings.base_iri,
            max_depth=self.settings.max_nesting_depth,
            max_inflation_ratio=self.settings.max_inflation_ratio,
        ):
            if not isinstance(quad.graph_name, ox.DefaultGraph) and quad.graph_name != graph:
                raise InputError(
                    f"the file holds a named graph {quad.graph_name} but the load targets {graph}",
                    source=str(path),
                )
            yield ox.Quad(quad.subject, quad.predicate, quad.object, graph)

    def load_content(self, *, replace_all: bool = False) -> LoadSummary:
        """Load ontology/, shapes/ and data/ (each file to its graph), validated as a whole.

        ``replace_all`` first empties the store, in the same atomic step (rebuild).
        Steward submissions and their journal survive a rebuild, and they must still
        conform with the new content: they are validated with it.
        """
        files = content_files(self.root)
        if not files:
            raise InputError(f"no RDF files under {self.root}/{{ontology,shapes,data}}")
        kept = [g for g in self.store.list_graphs() if is_steward_graph(g, self.settings.base_iri)]

        def fill(staging: _Staging) -> None:
            for path in self._bar(files, "lecture"):
                target = graph_for_file(path, self.root, self.settings.base_iri)
                validated = _top_folder(path, self.root) not in ("ontology", "shapes")
                staging.replace(target, self._file_quads(path, target), validated=validated)
                staging.files.append(path)
            staging.reported = list(staging.graphs)
            for graph in kept:  # as the store holds them, validated with the new content
                if replace_all:
                    staging.replace(graph, self.store.match(graph=ox.NamedNode(graph)))
                else:
                    staging.validated.add(graph)
                    staging.graphs.setdefault(graph, 0)

        # a rebuild starts from an empty store; a first load (empty store) from a copy
        try:
            return self._staged(fill, focus=False, copy=not replace_all, replace_all=replace_all)
        except ValidationFailed as failure:
            raise _submissions_blamed(failure.report, self._subjects_of(kept)) from None

    def _subjects_of(self, graphs: Sequence[str]) -> dict[str, list[str]]:
        """Subject IRI -> the graphs (steward submissions) that describe it."""
        described: dict[str, list[str]] = {}
        for graph in graphs:
            subjects = {
                q.subject.value
                for q in self.store.match(graph=ox.NamedNode(graph))
                if isinstance(q.subject, ox.NamedNode)
            }
            for subject in subjects:
                described.setdefault(subject, []).append(graph)
        return described

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
        """First run: load the project content if the store is empty; else do nothing.

        A restart on a loaded store only asks whether any graph holds a triple (no count
        and no validation: what is in the store was validated when it was written).
        """
        if not self.store.is_empty():
            return None
        return self.load_content()

    def import_dump(self, path: Path) -> LoadSummary:
        """Replace the whole dataset by a dump (N-Quads or TriG, maybe gzipped), validated
        first; the dump is parsed as it is read, never held whole in memory."""
        from .bulk import stream_quads

        fmt = {".nq": DUMP_FORMATS["nquads"], ".trig": DUMP_FORMATS["trig"]}.get(
            path.suffixes[-2] if path.suffix == ".gz" and len(path.suffixes) > 1 else path.suffix
        )
        if fmt is None:
            raise InputError("a dump must be .nq, .trig, .nq.gz or .trig.gz", source=str(path))

        derived = ox.NamedNode(inferences_graph(self.settings.base_iri))  # rebuilt after

        def quads() -> Iterator[ox.Quad]:
            for quad in stream_quads(
                path,
                fmt,
                max_depth=self.settings.max_nesting_depth,
                max_inflation_ratio=self.settings.max_inflation_ratio,
            ):
                if isinstance(quad.graph_name, ox.DefaultGraph):
                    raise InputError(
                        "the dump has triples in the default graph; santegraph keeps every "
                        "triple in a named graph",
                        source=str(path),
                    )
                if quad.graph_name != derived:
                    yield quad

        def fill(staging: _Staging) -> None:
            staging.add_dataset(quads())
            staging.dump = path

        return self._staged(fill, focus=False, copy=False, replace_all=True)

    # ------------------------------------------------------------------ staged writes
    def _staged(
        self,
        fill: Callable[[_Staging], None],
        *,
        focus: bool,
        copy: bool,
        replace_all: bool = False,
    ) -> LoadSummary:
        """Build the store as it will be, validate it, then make it the store.

        ``fill`` writes the new content into the staging store. ``focus``: only the
        subjects of the graphs written are focus nodes (the rest of the store is context);
        else every target is. ``copy``: the staging store starts as the current store.
        """
        with self._staging(copy=copy) as (store, commit):
            staging = _Staging(self, store)
            del store
            try:
                # graph/inferences is derived: never validated, rebuilt once the rest is
                staging.store.remove_graph(ox.NamedNode(inferences_graph(self.settings.base_iri)))
                fill(staging)
                staging.flush()
                report = self._validate_staging(staging, focus)
                if not report.conforms:
                    raise ValidationFailed(report)
                staging.finish()
                reported = (
                    staging.reported if staging.reported is not None else list(staging.graphs)
                )
                inferred = self._infer_into(staging, replace_all)
                self._stage(f"écriture de {len(staging.graphs)} graphes nommés…")
                commit(staging, replace_all)
            finally:
                # closed before its folder is swapped in or deleted
                staging.store = None  # type: ignore[assignment]
        triples = sum(staging.sizes.get(g, 0) for g in reported)
        summary = LoadSummary(reported, triples, report)
        summary.inferred = inferred
        return summary

    def _infer_into(self, staging: _Staging, replace_all: bool) -> int:
        """Write into the staging store what the ontology entails from the store as it will
        be (entailment.py): one more graph of the same swap or remote write. Returns its size.

        An embedded staging store holds the whole new store; a remote load's holds only the
        graphs it writes, the rest is read from the server."""
        target = inferences_graph(self.settings.base_iri)
        store = staging.store
        if isinstance(self.store, EmbeddedStore) or replace_all:
            everything = (q for q in store if not isinstance(q.graph_name, ox.DefaultGraph))
            inferred = inferences_after(self.store, self.settings.base_iri, everything=everything)
        else:
            written = {
                g: list(store.quads_for_pattern(None, None, None, ox.NamedNode(g)))
                for g in staging.graphs
                if g != target
            }
            inferred = inferences_after(self.store, self.settings.base_iri, replace=written)
        staging.replace(target, as_quads(inferred), validated=False)
        store.flush()
        return sum(len(t) for t in inferred.values())

    def check_staged(
        self, graphs: Mapping[str, Sequence[ox.Triple]], also: Sequence[str] = ()
    ) -> ValidationReport:
        """Validate the new content of ``graphs`` (empty: withdrawn) against the store as it
        will be, with the shapes compiled to SPARQL, and write nothing: a staging copy of
        the store gets the new graphs, their subjects and those of ``also`` (graphs whose
        entries point at removed ones) are the focus nodes, then the copy is dropped.

        For a large steward change (a directory import), where pySHACL over the payload
        would take hours; the results are pySHACL's (tests/test_shacl_sparql.py)."""
        with self._staging(copy=True) as (store, _commit):
            staging = _Staging(self, store)
            del store
            try:
                # graph/inferences is derived: not validated, not context (as in _staged)
                staging.store.remove_graph(ox.NamedNode(inferences_graph(self.settings.base_iri)))
                for graph, triples in graphs.items():
                    node = ox.NamedNode(graph)
                    quads = (ox.Quad(t.subject, t.predicate, t.object, node) for t in triples)
                    staging.replace(graph, quads, validated=bool(triples))
                for graph in also:
                    if graph not in staging.graphs:
                        staging.replace(graph, [], keep=True)
                staging.flush()
                return self._validate_staging(staging, focus=True)
            finally:
                # closed before the staging copy is dropped
                staging.store = None  # type: ignore[assignment]

    def write_staged(
        self,
        *,
        replace: Mapping[str, Sequence[ox.Triple]],
        drop: Sequence[str],
        add: Mapping[str, Sequence[ox.Triple]],
        guard: str | None = None,
    ) -> bool:
        """An embedded store's steward write as a new version: a staging copy gets the
        graphs replaced, dropped and added to (bulk writes in batches), then is swapped in
        in one step (ADR 0008); readers see the old version or the new one. ``guard`` (as
        ``GraphStore.write``'s) is asked of the current store under its write lock, which
        keeps every other write out until the swap: false, nothing is written (False).
        For large changes only (a directory import): ``GraphStore.write`` sends one SPARQL
        update text, which at France scale would be gigabytes."""
        if not isinstance(self.store, EmbeddedStore):
            raise TypeError("staged steward writes are for the embedded store")
        with self.store.staged(copy=True) as staged:
            if guard is not None and not self.store.ask(f"ASK {{ {guard} }}"):
                return False
            staging = _Staging(self, staged.store)
            try:
                for graph, triples in replace.items():
                    node = ox.NamedNode(graph)
                    staging.replace(
                        graph, (ox.Quad(t.subject, t.predicate, t.object, node) for t in triples)
                    )
                for graph in drop:
                    staging.replace(graph, [])
                for graph, triples in add.items():
                    node = ox.NamedNode(graph)
                    quads = (ox.Quad(t.subject, t.predicate, t.object, node) for t in triples)
                    staging.replace(graph, quads, keep=True, validated=False)
                staging.flush()
                staging.store.flush()
                staged.commit()
            finally:
                # closed before the staging copy is dropped
                staging.store = None  # type: ignore[assignment]
        return True

    @contextlib.contextmanager
    def _staging(
        self, *, copy: bool
    ) -> Iterator[tuple[ox.Store, Callable[[_Staging, bool], None]]]:
        if isinstance(self.store, EmbeddedStore):
            with self.store.staged(copy=copy) as staged:

                def commit(staging: _Staging, replace_all: bool) -> None:
                    staged.commit()

                yield staged.store, commit
            return
        # A remote store: the new graphs (and what the store says around them) are built
        # and validated in a local store, then written graph by graph.
        folder = tempfile.mkdtemp(prefix="santegraph-staging-")
        try:

            def commit(staging: _Staging, replace_all: bool) -> None:
                written = list(staging.graphs)
                drop = [g for g in self.store.list_graphs() if g not in staging.graphs]
                self.store.write_from(
                    staging.store,
                    written,
                    drop=drop if replace_all else [],
                    max_bytes=self.settings.remote_update_max_bytes,
                    batch=self.settings.load_batch_quads,
                )

            yield ox.Store(folder), commit
        finally:
            gc.collect()
            shutil.rmtree(folder, ignore_errors=True)

    def _validate_staging(self, staging: _Staging, focus: bool) -> ValidationReport:
        store = staging.store
        if focus and not isinstance(self.store, EmbeddedStore):
            staging.add_context_from(self.store)
        self._stage(f"validation SHACL de {staging.validated_count} triplets…")
        checked = staging.validated_count
        with staging.validation_graphs():
            focus_graphs = [g for g in staging.graphs if g in staging.validated]
            report = self.bulk.validate(
                store,
                focus_graphs=focus_graphs if focus else None,
                locate=staging.locate,
                checked_triples=checked,
            )
        if staging.rows:
            from .steward.csv_templates import locate_result

            rows = staging.rows
            report.results = [
                locate_result(r, {r.focus_node: rows[r.focus_node][1]}, rows[r.focus_node][0])
                if r.focus_node in rows
                else r
                for r in report.results
            ]
        return _with_problems(report, staging.problems)

    def validate_files(
        self, paths: Iterable[Path], *, graph: str | None = None
    ) -> ValidationReport:
        """Validate a submission in the context of the store, without writing."""
        return self.check(self.read_files(paths, graph), in_context=True)


def _submissions_blamed(
    report: ValidationReport, described: dict[str, list[str]]
) -> ValidationFailed:
    """The failure of a rebuild, naming the steward submissions that describe the entries in
    violation: the content files are not the only suspects, and the fix may be there."""
    report.results = [
        replace(r, graphs=tuple(sorted(described.get(r.focus_node, ())))) for r in report.results
    ]
    blamed = sorted({g for r in report.results if r.severity == "Violation" for g in r.graphs})
    if not blamed:
        return ValidationFailed(report)
    names = ", ".join(f"<{g}>" for g in blamed)
    return ValidationFailed(
        report,
        f"The entries in violation are also described by steward submission(s) {names}, "
        "validated with the content (nothing of the new content was written). Either "
        "correct or withdraw the submission (`santegraph correct GRAPH FILE --as NAME`, "
        "`santegraph withdraw GRAPH --as NAME`, or the submission's page on /steward/), "
        "or change the content files, then run `santegraph load --replace` again",
    )


def _with_problems(report: ValidationReport, problems: list[ValidationResult]) -> ValidationReport:
    """Add the CSV cells that could not be mapped, to the results and to the report graph."""
    if problems:
        from .steward.csv_templates import add_to_report_graph

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


class _Staging:
    """The new content being written into a staging store, graph by graph, in batches."""

    def __init__(self, loader: Loader, store: ox.Store):
        self.loader, self.store = loader, store
        self.batch_size = max(1, loader.settings.load_batch_quads)
        self.graphs: dict[str, int] = {}  # graph -> quads written
        self.validated: set[str] = set()  # graphs whose subjects are focus nodes
        self.aside: list[ox.Quad] = []  # shapes graphs: written after validation
        self.problems: list[ValidationResult] = []
        self.rows: dict[str, tuple[str, int]] = {}
        self.sources: dict[str, str] = {}
        self.files: list[Path] = []
        self.dump: Path | None = None
        self.reported: list[str] | None = None
        self.sizes: dict[str, int] = {}
        self._pending: list[ox.Quad] = []
        self._context = False

    def _is_shapes(self, graph: str) -> bool:
        return graph.startswith(self.loader.settings.base_iri + "graph/shapes/")

    def replace(
        self, graph: str, quads: Iterable[ox.Quad], *, keep: bool = False, validated: bool = True
    ) -> None:
        """Make ``graph`` hold ``quads`` (``keep``: add them to what it holds)."""
        node = ox.NamedNode(graph)
        if not keep and graph not in self.graphs:
            self.flush()
            self.store.remove_graph(node)
        self.graphs.setdefault(graph, 0)
        if validated:
            self.validated.add(graph)
        for quad in quads:
            self._add(ox.Quad(quad.subject, quad.predicate, quad.object, node), graph)
        self.flush()

    def add_dataset(self, quads: Iterable[ox.Quad]) -> None:
        """Quads of a dump, each to its own graph (ontology and shapes not validated)."""
        prefix = self.loader.settings.base_iri + "graph/"
        not_validated = (prefix + "ontology/", prefix + "shapes/")
        for quad in quads:
            assert not isinstance(quad.graph_name, ox.DefaultGraph)  # refused while read
            graph = quad.graph_name.value
            if graph not in self.graphs:
                self.graphs[graph] = 0
                if not graph.startswith(not_validated):
                    self.validated.add(graph)
            self._add(quad, graph)
        self.flush()

    def _add(self, quad: ox.Quad, graph: str) -> None:
        self.graphs[graph] += 1
        if self._is_shapes(graph):
            self.aside.append(quad)
            return
        self._pending.append(quad)
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            # bulk_extend: written straight to new files, not through a transaction (the
            # staging store is nobody's until it is swapped in)
            self.store.bulk_extend(self._pending)
            self._pending = []

    @property
    def validated_count(self) -> int:
        return sum(n for g, n in self.graphs.items() if g in self.validated)

    def add_context_from(self, source: GraphStore) -> None:
        """A remote load: what the store says about the IRIs the new graphs point to and
        about their subjects, from the graphs the load does not replace."""
        query = self.loader.queries["submission_context"].text
        # graph/inferences is derived from the rest: not context (its types and inverses
        # are not stated, and the closed shapes would see them)
        written = {*self.graphs, inferences_graph(self.loader.settings.base_iri)}
        nodes: set[ox.NamedNode] = set()
        for graph in self.validated:
            for quad in self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
                for term in (quad.subject, quad.object):
                    if isinstance(term, ox.NamedNode):
                        nodes.add(term)
        context = ox.NamedNode(CONTEXT_GRAPH)
        ordered = sorted(nodes, key=lambda n: n.value)
        for start in range(0, len(ordered), 500):
            rows = source.select(query, {"node": ordered[start : start + 500]})
            self._pending += [
                ox.Quad(t.subject, t.predicate, t.object, context)
                for t in (
                    triple_of(row, s="node") for row in rows if bound(row, "g").value not in written
                )
            ]
            if len(self._pending) >= self.batch_size:
                self.flush()
        self.flush()
        self._context = True

    @contextlib.contextmanager
    def validation_graphs(self) -> Iterator[None]:
        """The project's ontology beside the data while it is validated (class hierarchy,
        as pySHACL's ont_graph), removed afterwards with any store context."""
        from .bulk import ONTOLOGY_GRAPH

        graph = ox.NamedNode(ONTOLOGY_GRAPH)
        ontology = self.loader.validator.ontology.serialize(format="nt").encode()
        self.store.load(ontology, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
        try:
            yield
        finally:
            self.store.remove_graph(graph)

    def finish(self) -> None:
        """After validation: the shapes graphs in, the context out."""
        if self.aside:
            self.store.extend(self.aside)
        if self._context:
            self.store.remove_graph(ox.NamedNode(CONTEXT_GRAPH))
        self.store.flush()
        # triples written per graph (the files may state a triple twice: a graph is a set)
        counts = self.store.query(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        )
        assert isinstance(counts, ox.QuerySolutions)  # a SELECT's answer
        self.sizes = {}
        for row in counts:
            graph, n = row["g"], row["n"]
            assert graph is not None and n is not None  # grouped by ?g: both bound
            if graph.value in self.graphs:
                self.sizes[graph.value] = int(n.value)

    def locate(self, iris: list[str]) -> dict[str, str]:
        """Where each IRI is written in the files loaded (read again only now, when there
        are results to show)."""
        from .bulk import locate_in_dump

        if self.dump is not None:
            return locate_in_dump(self.dump, iris)
        sources = dict(self.sources)
        for path in self.files:
            if path.stat().st_size <= LOCATE_MAX_BYTES:
                sources[str(path)] = path.read_text(encoding="utf-8", errors="replace")
        base = self.loader.settings.base_iri
        from .validation import locate

        found = {iri: locate(iri, sources, base) for iri in iris}
        return {iri: where for iri, where in found.items() if where}


CONTEXT_GRAPH = "urn:santegraph:validation:context"
LOCATE_MAX_BYTES = 64 * 1024 * 1024  # larger files are not searched for report locations
