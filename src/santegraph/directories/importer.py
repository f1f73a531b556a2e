"""``import-directory``: read -> map -> place -> deduplicate -> synchronise -> steward gate.

:meth:`DirectoryImporter.prepare` does everything but write: it reads the files as
streams, validates each record (``data-inclusion-schema`` for data·inclusion, the FINESS
layout, the CSV template's columns), maps it through the tables of
``data/correspondances/``, puts it on its COG commune, merges it with the same
organisation from another source, computes the synchronisation plan (records added,
changed, removed, conflicts) and proposes the changed graphs through the steward
workflow (:class:`~santegraph.steward.workflow.Stewardship`): validation against the shapes in
the context of the store (compiled to SPARQL and run over a staging copy of the store as it
will be: ``Loader.check_staged``), dependants of removed entries, the journal. The
:class:`Preview` it returns says all of it in French, record by record (file, row, field).

:meth:`DirectoryImporter.commit` then writes the proposal in one atomic update with one
journal event per graph and the import run (who, when, which files and their checksums).

A record the schema or the shapes refuse is reported; the run is then refused and nothing
is written, unless ``skip_invalid`` is asked for explicitly: the refused records (and the
services of a refused structure) are left out and the rest is written.
"""

from __future__ import annotations

import datetime
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from tqdm import tqdm

from ..errors import InputError
from ..steward.credentials import Steward
from ..steward.workflow import PENDING_MAX, PENDING_TTL_S, NotFound, Proposal, Stewardship
from ..validation import ValidationReport
from . import datainclusion, finess, rdf, templates
from .context import Context
from .correspondances import Correspondances
from .dedup import Deduplicator, Merge
from .model import VIOLATION, Problem, Record
from .places import Places
from .sources import SourceFile
from .sync import SyncPlan, plan

FORMATS = {
    "data-inclusion": "data·inclusion (structures et services : JSON, JSON Lines, CSV)",
    "finess": "FINESS (extraction etalab-cs1100507 de data.gouv.fr)",
    "csv": "modèle CSV santegraph des référents (docs/csv-templates.md)",
}
DEFAULT_SOURCES = {"data-inclusion": "data-inclusion", "finess": "finess", "csv": "saisies"}
MAX_ROUNDS = 3  # with skip_invalid: refuse, leave out, validate again


@dataclass
class Preview:
    """Everything an import would do, for the steward to read before confirming."""

    format: str
    dataset: str
    files: list[SourceFile]
    steward: Steward
    run: str
    id: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    created: float = field(default_factory=time.monotonic)
    records: list[Record] = field(default_factory=list)  # accepted
    rejected: list[Record] = field(default_factory=list)
    skip_invalid: bool = False
    problems: list[Problem] = field(default_factory=list)  # every record's, then the rest
    unplaced_results: list[Problem] = field(default_factory=list)  # SHACL, on no record
    merges: list[Merge] = field(default_factory=list)
    plan: SyncPlan | None = None
    proposal: Proposal | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (bench/)

    @property
    def report(self) -> ValidationReport:
        return self.proposal.report if self.proposal else ValidationReport()

    @property
    def refused(self) -> bool:
        """Invalid records and no --skip-invalid, or the shapes refuse the result."""
        if self.rejected and not self.skip_invalid:
            return True
        return self.proposal is not None and not self.proposal.conforms

    @property
    def nothing_to_do(self) -> bool:
        return self.plan is not None and self.plan.empty

    def counts(self) -> Counter[str]:
        return Counter(c.status for c in (self.plan.changes if self.plan else []))

    def read_counts(self) -> Counter[str]:
        return Counter(r.kind for r in self.records + self.rejected)


class DirectoryImporter:
    def __init__(self, stewardship: Stewardship, *, progress: bool = False):
        self.stewardship = stewardship
        self.store = stewardship.store
        self.settings = stewardship.settings
        self.base = self.settings.base_iri
        self.progress = progress
        # previews waiting for a steward's confirmation on the web (as the workflow's own)
        self._pending: dict[str, Preview] = {}
        self._lock = threading.Lock()

    def remember(self, preview: Preview) -> str:
        with self._lock:
            self._forget_expired()
            while len(self._pending) >= PENDING_MAX:
                del self._pending[next(iter(self._pending))]
            self._pending[preview.id] = preview
        return preview.id

    def pending(self, preview_id: str, steward: Steward) -> Preview:
        with self._lock:
            self._forget_expired()
            preview = self._pending.get(preview_id)
        if preview is None or preview.steward != steward:
            raise NotFound("aperçu d'import inconnu ou expiré : recommencez l'envoi")
        return preview

    def forget(self, preview: Preview) -> None:
        with self._lock:
            self._pending.pop(preview.id, None)

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, p in self._pending.items() if now - p.created > PENDING_TTL_S]:
            del self._pending[key]

    # ------------------------------------------------------------------ preview
    def prepare(
        self,
        fmt: str,
        files: Sequence[SourceFile],
        steward: Steward,
        *,
        source: str = "",
        skip_invalid: bool = False,
        origin: str = "cli",
    ) -> Preview:
        if fmt not in FORMATS:
            raise InputError(f"format inconnu « {fmt} » (formats : {', '.join(FORMATS)})")
        if not files:
            raise InputError("aucun fichier à importer")
        dataset = rdf.slugify_dataset(source or DEFAULT_SOURCES[fmt])
        stamp = datetime.datetime.now(datetime.UTC)
        run = f"{self.base}import/{stamp.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(3)}"
        preview = Preview(fmt, dataset, list(files), steward, run, skip_invalid=skip_invalid)
        context = Context(
            self.base,
            dataset,
            Places.load(self.store, self.base),
            Correspondances(self.settings.content_path / "data" / "correspondances", self.base),
            self.settings.max_nesting_depth,
            self._actor_classes(),
        )
        clock = time.perf_counter()
        records = self._read(fmt, files, context)
        self._link_services(records)
        valid = [r for r in records if r.valid]
        clock = _lap(preview, "lecture", clock)
        preview.merges = Deduplicator(
            self.store, self.base, rdf.dataset_graphs_prefix(self.base, dataset)
        ).run(valid, dataset)
        clock = _lap(preview, "doublons", clock)
        preview.records = valid
        preview.rejected = [r for r in records if not r.valid]
        description = _DESCRIPTIONS[fmt](context)
        current, bases = self._current(dataset)
        clock = _lap(preview, "etat", clock)
        for _ in range(MAX_ROUNDS):
            preview.plan = plan(
                preview.records,
                description,
                current,
                bases,
                base=self.base,
                graph_of=lambda shard: rdf.import_graph(self.base, dataset, shard),
                run=ox.NamedNode(run),
            )
            clock = _lap(preview, "synchronisation", clock)
            if preview.plan.empty:
                preview.proposal = None
                break
            preview.proposal = self.stewardship.propose(
                steward,
                preview.plan.contents,
                channel="import",
                source=", ".join(f.name for f in files),
                comment=f"import-directory {fmt} ({dataset}, {origin})",
                run=run,
                run_triples=self._run_triples(preview, stamp, origin),
                source_contents=preview.plan.source_views,
                # the store as it will be, with the shapes compiled to SPARQL: pySHACL over
                # a France-scale dump would take hours (docs/benchmarks.md)
                compiled=True,
            )
            clock = _lap(preview, "validation", clock)
            refused = self._locate(preview)
            if not refused or not skip_invalid:
                break
            # leave the refused records (and their services) out, and check again
            preview.records = [r for r in preview.records if r.key not in refused]
            preview.rejected += [r for r in records if r.key in refused]
            self._link_services(preview.records, preview.rejected)
            moved = [r for r in preview.records if not r.valid]
            preview.records = [r for r in preview.records if r.valid]
            preview.rejected += moved
        preview.problems = [p for r in records for p in r.problems]
        preview.problems += preview.unplaced_results
        return preview

    def _actor_classes(self) -> frozenset[str]:
        from rdflib import URIRef
        from rdflib.namespace import RDFS

        ontology = self.stewardship.loader.validator.ontology
        top = URIRef(rdf.sg("Acteur").value)
        return frozenset(str(c) for c in ontology.transitive_subjects(RDFS.subClassOf, top))

    def _read(self, fmt: str, files: Sequence[SourceFile], context: Context) -> list[Record]:
        if fmt == "data-inclusion":
            stream: Iterable[Record] = datainclusion.read(files, context)
        elif fmt == "finess":
            stream = finess.read(files, context)
        else:
            stream = templates.read(files, context, self.stewardship.loader.entry_classes)
        records: list[Record] = []
        seen: dict[str, Record] = {}
        bar = tqdm(stream, desc="lecture", unit=" enregistrements", disable=not self.progress)
        for record in bar:
            if record.key in seen:
                first = seen[record.key]
                record.problem(
                    VIOLATION,
                    f"identifiant déjà présent ({first.file}, {first.where}) : un seul "
                    "enregistrement par identifiant",
                    field="id",
                    value=record.ident,
                )
            else:
                seen[record.key] = record
            records.append(record)
        return records

    def _link_services(self, records: list[Record], rejected: Sequence[Record] = ()) -> None:
        """A service lands in its structure's graph; without a valid structure it is refused."""
        structures = {r.key: r for r in records if r.kind == "structure" and r.valid}
        gone = {r.key for r in rejected} | {r.key for r in records if not r.valid}
        for record in records:
            if record.kind != "service" or not record.valid:
                continue
            parent = structures.get(record.parent)
            if parent is not None:
                record.shard = parent.shard
                continue
            ident = record.parent.split(":", 1)[1]
            why = "refusée" if record.parent in gone else "absente des fichiers importés"
            record.problem(
                VIOLATION,
                f"structure « {ident} » {why} : le service ne peut pas être rattaché",
                field="structure_id",
                value=ident,
            )

    def _current(
        self, dataset: str
    ) -> tuple[dict[str, list[ox.Triple]], dict[str, list[ox.Triple]]]:
        """The dataset's graphs as the store holds them, and as the last import left the
        ones a steward edited since (read back from the journal)."""
        prefix = rdf.dataset_graphs_prefix(self.base, dataset)
        graphs = [g for g in self.store.list_graphs() if g.startswith(prefix)]
        current = {
            g: [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in self.store.match(graph=ox.NamedNode(g))
            ]
            for g in graphs
        }
        bases: dict[str, list[ox.Triple]] = {}
        events = [e for e in self.stewardship.history() if e["graph"].startswith(prefix)]
        by_graph: dict[str, list[dict[str, Any]]] = {}
        for event in events:
            by_graph.setdefault(event["graph"], []).append(event)
        for graph, history in by_graph.items():
            history.sort(key=lambda e: e["version"])
            imports = [e for e in history if e["channel"] == "import"]
            if graph not in current or not imports:
                continue
            # the source's view at the last import: what it kept aside, else what it wrote
            text = self._source_content(imports[-1]["event"])
            if text is None:
                if history[-1]["channel"] == "import":
                    continue  # nothing edited since: the graph is the source's view
                after = next(e for e in history if e["version"] == imports[-1]["version"] + 1)
                text = self.stewardship.previous_content(after["event"])
            bases[graph] = [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(text.encode(), format=ox.RdfFormat.N_TRIPLES)
            ]
        return current, bases

    def _source_content(self, event: str) -> str | None:
        rows = self.store.select(
            self.stewardship.queries["journal_source_content"].text,
            {
                "journal": ox.NamedNode(self.stewardship.journal_graph),
                "event": ox.NamedNode(event),
            },
        )
        return rows[0]["content"].value if rows and rows[0]["content"] is not None else None

    def _run_triples(
        self, preview: Preview, stamp: datetime.datetime, origin: str
    ) -> list[ox.Triple]:
        run = ox.NamedNode(preview.run)
        started = stamp.isoformat(timespec="microseconds").replace("+00:00", "Z")
        label = f"import-directory {preview.format} ({preview.dataset}, {origin})"
        triples = [
            ox.Triple(run, rdf.TYPE, rdf.sg("ImportAnnuaire")),
            ox.Triple(run, rdf.RDFS_LABEL, ox.Literal(label)),
            ox.Triple(run, rdf.STARTED, ox.Literal(started, datatype=rdf.XSD_DATETIME)),
        ]
        for number, source in enumerate(preview.files, start=1):
            node = ox.NamedNode(f"{preview.run}/fichier/{number}")
            checksum = ox.Literal(f"sha256:{source.checksum()}")
            triples += [
                ox.Triple(run, rdf.USED, node),
                ox.Triple(node, rdf.TITLE, ox.Literal(source.name)),
                ox.Triple(node, rdf.sg("sommeControle"), checksum),
            ]
        return triples

    def _locate(self, preview: Preview) -> set[str]:
        """SHACL results as problems of their records; the keys of refused records."""
        owners: dict[str, Record] = {}
        record: Record | None
        for record in preview.records:  # each record's own entry and directory record first
            owners.setdefault(record.fiche.value, record)
            owners.setdefault(record.subject.value, record)
        for record in preview.records:  # then the other nodes it describes (notes)
            for t in record.triples:
                if not isinstance(t.subject, ox.Triple):
                    owners.setdefault(t.subject.value, record)
        refused: set[str] = set()
        preview.unplaced_results = []
        assert preview.proposal is not None  # the round that calls this has one
        for result in preview.proposal.report.results:
            record = owners.get(result.focus_node)
            if record is None:
                preview.unplaced_results.append(
                    Problem(
                        result.severity, result.message, record=result.focus_node, topic="shacl"
                    )
                )
                continue
            prop = rdf.node(result.path) if result.path and result.path.startswith("http") else None
            record.problem(
                result.severity,
                result.message,
                field=record.fields.get(prop, "") if prop is not None else "",
                value=result.value or "",
                topic="shacl",
            )
            if result.severity == VIOLATION:
                refused.add(record.key)
        return refused

    # ------------------------------------------------------------------ writing
    def commit(self, preview: Preview) -> list[str]:
        """Write the previewed import (one atomic update, journaled); [] when nothing
        changes. Raises ValidationFailed / Conflict like any steward commit."""
        if preview.refused:
            raise InputError(
                "import refusé : des enregistrements ne sont pas valides (voir le rapport) ; "
                "corrigez-les ou relancez avec --skip-invalid pour les écarter"
            )
        if preview.proposal is None:
            return []
        clock = time.perf_counter()
        # the import's own deduplication (dedup.py) decided about entries already present:
        # merged on purpose, or noted for a steward
        events = self.stewardship.commit(
            preview.proposal, acknowledge_warnings=True, acknowledge_duplicates=True
        )
        _lap(preview, "ecriture", clock)
        return events


_DESCRIPTIONS: dict[str, Callable[[Context], list[ox.Triple]]] = {
    "data-inclusion": datainclusion.dataset_description,
    "finess": finess.dataset_description,
    "csv": templates.dataset_description,
}


def _lap(preview: Preview, phase: str, since: float) -> float:
    now = time.perf_counter()
    preview.timings[phase] = preview.timings.get(phase, 0.0) + now - since
    return now
