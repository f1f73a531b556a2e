"""The steward workflow: every change to the graph after the content load goes through here.

A change names the new content of one or more *steward graphs* (``graph/soumission/...``;
the graphs loaded from ``ontology/``, ``shapes/`` and ``data/`` belong to the files and
are never written here). It is first **proposed**: santegraph computes the diff against
the store, finds the entries of other graphs that point to entries the change removes
(dependants), and validates the new content *and those dependants* against the shapes in
the context of the rest of the store. Then it is **committed**: under a lock, the graphs'
versions are checked against the ones the proposal saw (else :class:`Conflict`), the
validation is run again on the store as it is now, and the new content plus one journal
event per graph are written in **one** SPARQL Update (atomic on every backend).

The journal (``graph/journal``) is the audit log: PROV-O activities (``sg:Depot``,
``sg:Correction``, ``sg:Retrait``) with the steward, the time, the graph and its new version
number, counts, channel, source and comment, and the N-Triples text of the graph's
previous content, so that no version is ever lost. It is an ordinary named graph:
queryable on ``/sparql`` like the rest. See ADR 0007.
"""

from __future__ import annotations

import datetime
import secrets
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pyoxigraph as ox

from ..config import Settings
from ..entailment import inferences_after, inferences_delta
from ..errors import SantegraphError, ValidationFailed
from ..iris import (
    inferences_graph,
    journal_graph,
    slugify,
    submission_name_problem,
    submission_prefix,
)
from ..loading import Loader, Payload
from ..queries import INTERNAL, catalogue
from ..store.base import GraphStore, bound, text
from ..store.embedded import EmbeddedStore
from ..validation import ValidationReport
from ..vocab import NAMESPACE as SG_NAMESPACE
from ..vocab import SG
from .credentials import Steward
from .duplicates import Duplicate, find_duplicates

PROV = "http://www.w3.org/ns/prov#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
DCT_SOURCE = ox.NamedNode("http://purl.org/dc/terms/source")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
KINDS = ("Depot", "Correction", "Retrait")
CHANNELS = ("web", "cli", "graph-store", "sparql-update", "import")
PENDING_TTL_S = 3600  # a preview not confirmed within an hour is forgotten
PENDING_MAX = 200


class StewardError(SantegraphError):
    """A steward change that cannot be applied as asked (the store is unchanged)."""


class Forbidden(StewardError):
    """The change touches a graph stewards may not write (content files, the journal)."""


class Conflict(StewardError):
    """Another change landed on the same graph since the proposal was made."""


class NotFound(StewardError):
    """No such steward graph or journal event."""


class WarningsNotAcknowledged(StewardError):
    """Warnings must be acknowledged before committing."""


class DuplicatesNotAcknowledged(StewardError):
    """The change adds entries the store already has (duplicates.py): correct the existing
    submission instead, or acknowledge them."""


@dataclass
class GraphChange:
    graph: str
    before: list[ox.Triple]
    after: list[ox.Triple]  # empty: the graph is withdrawn
    version: int  # the journal's version of the graph when the change was proposed (0: new)

    @property
    def kind(self) -> str:
        if not self.after:
            return "Retrait"
        return "Depot" if self.version == 0 and not self.before else "Correction"

    @property
    def changes_anything(self) -> bool:
        """False for a graph given its own content again (or an absent graph withdrawn):
        nothing to write, no new version in the journal."""
        return bool(self.added or self.removed)

    @cached_property
    def added(self) -> list[ox.Triple]:
        old = set(self.before)
        return [t for t in self.after if t not in old]

    @cached_property
    def removed(self) -> list[ox.Triple]:
        new = set(self.after)
        return [t for t in self.before if t not in new]

    def entries(self) -> list[tuple[str, str]]:
        """(entry IRI, "ajoutée" | "modifiée" | "retirée") for every entry the change touches."""
        before = {t.subject.value for t in self.before if isinstance(t.subject, ox.NamedNode)}
        after = {t.subject.value for t in self.after if isinstance(t.subject, ox.NamedNode)}
        touched = {
            t.subject.value
            for t in [*self.added, *self.removed]
            if isinstance(t.subject, ox.NamedNode)
        }
        status = {}
        for iri in sorted(touched | (before ^ after)):
            if iri not in before:
                status[iri] = "ajoutée"
            elif iri not in after:
                status[iri] = "retirée"
            else:
                status[iri] = "modifiée"
        return sorted(status.items())


@dataclass(frozen=True)
class Dependant:
    """A triple of another graph pointing at an entry the change removes."""

    entry: str
    property: str
    target: str
    graph: str


@dataclass
class Proposal:
    id: str
    steward: Steward
    changes: list[GraphChange]
    report: ValidationReport
    dependants: list[Dependant]
    channel: str
    source: str = ""
    comment: str = ""
    payload: Payload | None = None  # the parsed submission, kept for locating problems
    created: float = field(default_factory=time.monotonic)
    events: list[str] = field(default_factory=list)  # made at commit time (journal=True)
    journal: list[ox.Triple] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)  # entries the store has
    # A directory import (directories/): the run, described in the journal with the
    # events it produced (each event prov:wasInformedBy it); its end time is the commit's.
    run: str = ""
    run_triples: list[ox.Triple] = field(default_factory=list)
    # graph -> its content as the imported file alone would make it, when the import kept
    # steward corrections instead (journaled as sg:contenuSource: the next import's base)
    source_contents: dict[str, list[ox.Triple]] = field(default_factory=dict)
    # the embedded store's write count when the proposal read it: unchanged at commit, the
    # diff and the validation still hold (no other writer can exist: one opener per store)
    generation: int | None = None
    # validated with the shapes compiled to SPARQL over a staging copy of the store
    # (Loader.check_staged) instead of pySHACL: large changes, directory imports
    compiled: bool = False

    @property
    def conforms(self) -> bool:
        return self.report.conforms

    @property
    def needs_acknowledgement(self) -> bool:
        return self.report.warning_count > 0

    @property
    def contents(self) -> dict[str, list[ox.Triple]]:
        return {c.graph: c.after for c in self.changes}


class Stewardship:
    """Propose, commit and look up steward changes on one store (one per app/process)."""

    def __init__(self, store: GraphStore, settings: Settings, loader: Loader | None = None):
        self.store = store
        self.settings = settings
        self.loader = loader or Loader(store, settings, progress=False)
        self.queries = catalogue(INTERNAL)
        # One commit at a time in this process: check versions, validate, write. Readers
        # are never blocked (the write itself is one atomic update).
        self._lock = threading.RLock()
        self._pending: dict[str, Proposal] = {}

    # ------------------------------------------------------------------ graph names
    @property
    def journal_graph(self) -> str:
        return journal_graph(self.settings.base_iri)

    @property
    def submission_prefix(self) -> str:
        return submission_prefix(self.settings.base_iri)

    def new_graph_name(self, hint: str = "") -> str:
        day = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d")
        slug = slugify(hint.rsplit(".", 1)[0])[:40] or "soumission"
        return f"{self.submission_prefix}{day}-{slug}-{secrets.token_hex(3)}"

    def check_writable(self, graph: str) -> None:
        if not graph.startswith(self.submission_prefix) or graph == self.submission_prefix:
            raise Forbidden(
                f"le graphe <{graph}> n'est pas un graphe de référent : seuls les graphes "
                f"<{self.submission_prefix}…> s'écrivent ici (les graphes du contenu se "
                "modifient dans les fichiers de data/, le journal par santegraph seul)"
            )

    # ------------------------------------------------------------------ proposing
    def propose(
        self,
        steward: Steward,
        contents: Mapping[str, Iterable[ox.Triple | ox.Quad]],
        *,
        channel: str,
        source: str = "",
        comment: str = "",
        payload: Payload | None = None,
        journal: bool = False,
        run: str = "",
        run_triples: Sequence[ox.Triple] = (),
        source_contents: Mapping[str, Sequence[ox.Triple]] | None = None,
        compiled: bool = False,
    ) -> Proposal:
        """Diff, dependants and validation of the new content of some steward graphs.

        ``contents`` maps each graph to its complete new content (empty: withdraw it).
        Nothing is written. With ``journal``, the journal events are made now and
        validated with the rest (``proposal.journal``): what ``commit`` writes. ``run``
        and ``run_triples``: the directory import this change belongs to (journaled).
        """
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        generation = getattr(self.store, "generation", None)
        for graph in contents:
            self.check_writable(graph)
        versions = self.versions(list(contents))
        changes = []
        for graph, items in contents.items():
            after = list(dict.fromkeys(_triple(t) for t in items))
            before = [_triple(q) for q in self.store.match(graph=ox.NamedNode(graph))]
            changes.append(GraphChange(graph, before, after, versions.get(graph, 0)))
        for change in changes:  # a new graph needs a strict name; existing ones keep theirs
            new = not change.before and not change.version
            problem = new and submission_name_problem(change.graph, self.settings.base_iri)
            if problem:
                raise Forbidden(problem)
        self._check_rights(steward, changes)
        proposal = Proposal(
            secrets.token_urlsafe(16),
            steward,
            changes,
            ValidationReport(),
            self._dependants(changes),
            channel,
            source,
            comment,
            payload,
            run=run,
            run_triples=list(run_triples),
            source_contents={g: list(t) for g, t in (source_contents or {}).items()},
            generation=generation,
            compiled=compiled,
        )
        if journal:
            proposal.events, proposal.journal = self._journal_entries(proposal)
        proposal.report = self._validate(
            changes, proposal.dependants, payload, proposal.journal, compiled=compiled
        )
        proposal.duplicates = self._duplicates(changes)
        return proposal

    def propose_deposit(
        self, steward: Steward, payload: Payload, *, channel: str, source: str, comment: str = ""
    ) -> Proposal:
        """A new submission: its own new graph (``payload.graph`` is replaced by a fresh name)."""
        triples = [_triple(q) for q in payload.quads]
        return self._propose_payload(
            steward, self.new_graph_name(source), triples, payload, channel, source, comment
        )

    def propose_correction(
        self,
        steward: Steward,
        graph: str,
        payload: Payload,
        *,
        channel: str,
        source: str,
        comment: str = "",
    ) -> Proposal:
        """Replace, in an existing steward graph, the description of every entry the payload
        describes (its IRI subjects, with the blank nodes hanging off them); other entries
        of the graph stay as they are."""
        self.check_writable(graph)
        current = [_triple(q) for q in self.store.match(graph=ox.NamedNode(graph))]
        if not current:
            raise NotFound(f"aucun graphe de référent <{graph}> dans le graphe (déjà retiré ?)")
        new = [_triple(q) for q in payload.quads]
        replaced = {t.subject for t in new if isinstance(t.subject, ox.NamedNode)}
        kept = _without_descriptions(current, replaced)
        return self._propose_payload(steward, graph, kept + new, payload, channel, source, comment)

    def _propose_payload(
        self,
        steward: Steward,
        graph: str,
        triples: list[ox.Triple],
        payload: Payload,
        channel: str,
        source: str,
        comment: str,
    ) -> Proposal:
        """Propose ``triples`` as the content of ``graph``; the payload (moved to that
        graph) keeps the file texts and CSV rows that locate problems in the report."""
        name = ox.NamedNode(graph)
        payload.quads = [ox.Quad(t.subject, t.predicate, t.object, name) for t in triples]
        payload.graph = graph
        return self.propose(
            steward,
            {graph: payload.quads},
            channel=channel,
            source=source,
            comment=comment,
            payload=payload,
        )

    def propose_withdrawal(
        self, steward: Steward, graph: str, *, channel: str, comment: str = ""
    ) -> Proposal:
        self.require_graph(graph)
        return self.propose(steward, {graph: []}, channel=channel, comment=comment)

    def propose_entry_withdrawal(
        self, steward: Steward, graph: str, entry: str, *, channel: str, comment: str = ""
    ) -> Proposal:
        """Withdraw one entry of a submission (its description and the blank nodes it
        reaches); the other entries stay. The last entry withdraws the submission."""
        self.check_writable(graph)
        current = [_triple(q) for q in self.store.match(graph=ox.NamedNode(graph))]
        node = ox.NamedNode(entry)
        if not any(t.subject == node for t in current):
            raise NotFound(f"aucune entrée <{entry}> dans la soumission <{graph}>")
        kept = _without_descriptions(current, {node})
        return self.propose(steward, {graph: kept}, channel=channel, comment=comment)

    def require_graph(self, graph: str) -> None:
        """Forbidden unless a steward graph; NotFound unless the store holds it."""
        self.check_writable(graph)
        if not self.store.ask(
            "ASK { VALUES ?g { UNDEF } GRAPH ?g { ?s ?p ?o } }", {"g": ox.NamedNode(graph)}
        ):
            raise NotFound(f"aucun graphe de référent <{graph}> dans le graphe (déjà retiré ?)")

    # ------------------------------------------------------------------ roles
    def owners(self, graphs: Sequence[str]) -> dict[str, tuple[str, str]]:
        """graph -> (steward IRI, name) of the steward who deposited it (the journal's)."""
        if not graphs:
            return {}
        rows = self.store.select(
            self.queries["submission_owners"].text,
            {
                "graph": [ox.NamedNode(g) for g in graphs],
                "journal": ox.NamedNode(self.journal_graph),
            },
        )
        return {bound(r, "graph").value: (bound(r, "steward").value, text(r, "name")) for r in rows}

    def rights(self, steward: Steward, graph: str) -> set[str]:
        """What ``steward`` may do to an existing submission: ``correct``, ``withdraw``."""
        owner = self.owners([graph]).get(graph, ("", ""))[0]
        mine = owner == steward.iri(self.settings.base_iri)
        return {a for a in ("correct", "withdraw") if steward.may(a, owner=mine)}

    def _check_rights(self, steward: Steward, changes: Sequence[GraphChange]) -> None:
        """A deposit is anyone's; changing an existing submission is its owner's, a
        reviewer's (corrections) or an admin's (anything). Removing an entry, or the whole
        submission, is a withdrawal."""
        existing = [c for c in changes if c.before or c.version]
        owners = self.owners([c.graph for c in existing])
        me = steward.iri(self.settings.base_iri)
        for change in existing:
            owner, name = owners.get(change.graph, ("", ""))
            removes = not change.after or any(s == "retirée" for _, s in change.entries())
            action = "withdraw" if removes else "correct"
            if steward.may(action, owner=owner == me):
                continue
            whose = f"déposée par {name}" if name else "sans auteur connu"
            allowed = (
                "son auteur ou un administrateur"
                if action == "withdraw"
                else "son auteur, un relecteur ou un administrateur"
            )
            verb = "en retirer des entrées ou la retirer" if removes else "la corriger"
            raise Forbidden(
                f"la soumission <{change.graph}> est {whose} : seuls {allowed} peuvent "
                f"{verb} (rôles : réglage steward_roles)"
            )

    # ------------------------------------------------------------------ committing
    def commit(
        self,
        proposal: Proposal,
        *,
        acknowledge_warnings: bool = False,
        acknowledge_duplicates: bool = False,
    ) -> list[str]:
        """Apply a proposal atomically with its journal events; return the event IRIs.

        Raises Conflict if a graph changed since the proposal, ValidationFailed if the
        change no longer conforms (the store may have changed), WarningsNotAcknowledged,
        DuplicatesNotAcknowledged. A graph whose new content is its current content is
        left alone: no write, no journal event (``[]`` when nothing changes at all).
        """
        with self._lock:
            current = self.versions([c.graph for c in proposal.changes])
            for change in proposal.changes:
                if current.get(change.graph, 0) != change.version:
                    raise Conflict(
                        f"le graphe <{change.graph}> a changé depuis l'aperçu (version "
                        f"{change.version} vue, {current.get(change.graph, 0)} maintenant) : "
                        "refaites l'aperçu pour voir la version actuelle"
                    )
            if proposal.generation is not None and proposal.generation == getattr(
                self.store, "generation", None
            ):
                # nothing was written since the proposal read the store: its diff and its
                # report hold; only the journal events, made now, are checked
                fresh = proposal
                fresh.events, fresh.journal = self._journal_entries(proposal)
                journal_report = self._validate([], [], None, fresh.journal)
                if not journal_report.conforms:
                    raise ValidationFailed(journal_report)
            else:
                fresh = self.propose(
                    proposal.steward,
                    proposal.contents,
                    channel=proposal.channel,
                    source=proposal.source,
                    comment=proposal.comment,
                    payload=proposal.payload,
                    journal=True,  # the journal events pass the shapes too
                    run=proposal.run,
                    run_triples=proposal.run_triples,
                    source_contents=proposal.source_contents,
                    compiled=proposal.compiled,
                )
            if not fresh.conforms:
                raise ValidationFailed(fresh.report)
            if fresh.needs_acknowledgement and not acknowledge_warnings:
                raise WarningsNotAcknowledged(
                    f"{fresh.report.warning_count} avertissement(s) à lire et accepter avant "
                    "l'enregistrement"
                )
            if fresh.duplicates and not acknowledge_duplicates:
                raise DuplicatesNotAcknowledged(
                    f"{len(fresh.duplicates)} doublon(s) possible(s) d'entrées déjà présentes : "
                    "corrigez plutôt la soumission existante, ou confirmez que ce ne sont pas "
                    "des doublons"
                )
            changed = [c for c in fresh.changes if c.changes_anything]
            if not changed:
                self._pending.pop(proposal.id, None)
                return []
            replace = {c.graph: c.after for c in changed if c.after}
            drop = [c.graph for c in changed if not c.after]
            journal = {self.journal_graph: fresh.journal}
            guard = self._unchanged_since(changed)
            if fresh.compiled and isinstance(self.store, EmbeddedStore):
                # a large change (a directory import): a new version of the store built
                # in bulk and swapped in, not one SPARQL update text of gigabytes; its
                # graph/inferences is rebuilt whole, as a bulk load's is
                inferred = inferences_after(
                    self.store, self.settings.base_iri, replace=replace, add=journal, drop=drop
                )
                self.loader.write_staged(
                    replace={**replace, **inferred}, drop=drop, add=journal, guard=guard
                )
            else:
                inferred, outdated = inferences_delta(
                    self.store, self.settings.base_iri, replace=replace, add=journal, drop=drop
                )
                self.store.write(
                    replace=replace,
                    drop=drop,
                    add={**journal, **inferred},
                    remove=outdated,
                    guard=guard,
                )
            # The lock covers this process only; another santegraph process on the same
            # remote store may have committed since the version check: then the guard
            # made the update a no-op, and the journal does not hold our event.
            if not self.store.ask(
                "ASK { VALUES ?g { UNDEF } VALUES ?e { UNDEF } GRAPH ?g { ?e ?p ?o } }",
                {"g": ox.NamedNode(self.journal_graph), "e": ox.NamedNode(fresh.events[0])},
            ):
                raise Conflict(
                    "un autre processus a modifié le même graphe au même moment : rien n'a "
                    "été enregistré, refaites l'aperçu"
                )
            self._pending.pop(proposal.id, None)
            return fresh.events

    def apply(
        self,
        steward: Steward,
        contents: Mapping[str, Iterable[ox.Triple | ox.Quad]],
        *,
        channel: str,
        source: str = "",
        comment: str = "",
        acknowledge_warnings: bool = True,
    ) -> Proposal:
        """Propose and commit in one step (tools: Graph Store Protocol, SPARQL Update).

        Tools have no preview screen, so warnings and duplicates are reported, not asked
        about.
        """
        with self._lock:
            proposal = self.propose(
                steward, contents, channel=channel, source=source, comment=comment
            )
            if not proposal.conforms:
                raise ValidationFailed(proposal.report)
            self.commit(
                proposal, acknowledge_warnings=acknowledge_warnings, acknowledge_duplicates=True
            )
            return proposal

    # ------------------------------------------------------------------ previews (web)
    def remember(self, proposal: Proposal) -> str:
        """Keep a proposal between the preview page and the confirmation: at most
        ``PENDING_MAX`` of them (the oldest goes first), each for ``PENDING_TTL_S``."""
        with self._lock:  # the server's threads share these previews
            self._forget_expired()
            while len(self._pending) >= PENDING_MAX:
                del self._pending[next(iter(self._pending))]
            self._pending[proposal.id] = proposal
        return proposal.id

    def pending(self, proposal_id: str, steward: Steward) -> Proposal:
        """The steward's own proposal still waiting for its confirmation."""
        with self._lock:
            self._forget_expired()
            proposal = self._pending.get(proposal_id)
        if proposal is None or proposal.steward != steward:
            raise NotFound("aperçu inconnu ou expiré : recommencez l'envoi")
        return proposal

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, p in self._pending.items() if now - p.created > PENDING_TTL_S]:
            del self._pending[key]

    # ------------------------------------------------------------------ reading
    def versions(self, graphs: Sequence[str]) -> dict[str, int]:
        if not graphs:
            return {}
        rows = self.store.select(
            self.queries["journal_versions"].text,
            {
                "graph": [ox.NamedNode(g) for g in graphs],
                "journal": ox.NamedNode(self.journal_graph),
            },
        )
        return {
            bound(r, "graph").value: int(bound(r, "current").value) for r in rows if r["current"]
        }

    def history(
        self, *, graph: str | None = None, event: str | None = None
    ) -> list[dict[str, Any]]:
        rows = self.store.select(
            self.queries["journal_events"].text, {"journal": ox.NamedNode(self.journal_graph)}
        )
        rows = [
            r
            for r in rows
            if (graph is None or bound(r, "graph").value == graph)
            and (event is None or bound(r, "event").value == event)
        ]
        return [
            {
                "event": bound(r, "event").value,
                "kind": bound(r, "kind").value.removeprefix(SG_NAMESPACE),
                "graph": bound(r, "graph").value,
                "version": int(bound(r, "version").value),
                "time": bound(r, "time").value,
                "steward": bound(r, "steward").value,
                "steward_name": text(r, "stewardName"),
                "added": int(bound(r, "added").value),
                "removed": int(bound(r, "removed").value),
                "channel": bound(r, "channel").value,
                "source": text(r, "source"),
                "comment": text(r, "comment"),
                # Virtuoso 7 writes booleans as 1/0
                "has_previous": bound(r, "hasPrevious").value in ("true", "1"),
            }
            for r in rows
        ]

    def previous_content(self, event: str) -> str:
        rows = self.store.select(
            self.queries["journal_previous_content"].text,
            {"journal": ox.NamedNode(self.journal_graph), "event": ox.NamedNode(event)},
        )
        if not rows:
            raise NotFound(f"pas de version précédente enregistrée pour <{event}>")
        return bound(rows[0], "content").value

    def submissions(self) -> list[dict[str, Any]]:
        """The steward graphs the store holds now, with their latest journal event."""
        sizes = {  # one scan of the store: graph_sizes() is a GROUP BY over every quad
            g: n for g, n in self.store.graph_sizes() if g.startswith(self.submission_prefix)
        }
        live = set(sizes)
        latest: dict[str, dict[str, Any]] = {}
        for row in self.history():
            if row["graph"] in live:
                latest.setdefault(row["graph"], row)
        return [
            {**latest.get(g, {"graph": g}), "graph": g, "triples": sizes.get(g, 0)}
            for g in sorted(live)
        ]

    # ------------------------------------------------------------------ internals
    def _unchanged_since(self, changes: Sequence[GraphChange]) -> str:
        """A SPARQL pattern true only while the journal holds no version of any of the
        graphs after the one the change was made from (versions go 1, 2, 3...: a newer
        state means version N+1 exists). Built from IRIs and integers only."""
        journal = ox.NamedNode(self.journal_graph)
        concerne, version = ox.NamedNode(SG.grapheConcerne), ox.NamedNode(SG.version)
        # A COUNT sub-select: Virtuoso 7 gets FILTER NOT EXISTS and OPTIONAL + !BOUND
        # wrong in this position (measured by the race test)
        return "\n".join(
            f"{{ SELECT (COUNT(?guardEvent{i}) AS ?newer{i}) WHERE {{ GRAPH {journal} {{"
            f" ?guardEvent{i} {concerne} {ox.NamedNode(c.graph)} ;"
            f" {version} {ox.Literal(str(int(c.version) + 1), datatype=XSD_INTEGER)} }} }} }}\n"
            f"FILTER(?newer{i} = 0)"
            for i, c in enumerate(changes)
        )

    def _dependants(self, changes: Sequence[GraphChange]) -> list[Dependant]:
        """Links from other graphs to entries that the change leaves without a type."""
        changed = {c.graph for c in changes}
        disappearing: set[ox.NamedNode] = set()
        for change in changes:
            typed_after = {t.subject for t in change.after if t.predicate == RDF_TYPE}
            disappearing |= {
                t.subject
                for t in change.before
                if t.predicate == RDF_TYPE
                and isinstance(t.subject, ox.NamedNode)
                and t.subject not in typed_after
            }
        if not disappearing:
            return []
        targets = sorted(disappearing, key=lambda n: n.value)
        derived = inferences_graph(self.settings.base_iri)  # types it holds are not stated
        still_typed = {
            bound(row, "node").value
            for row in self.store.select(self.queries["typed_in_graphs"].text, {"node": targets})
            if bound(row, "g").value not in changed | {derived}
        }
        outside = changed | {self.journal_graph, derived}
        found = set()
        for row in self.store.select(self.queries["references_to"].text, {"target": targets}):
            graph, target = bound(row, "g").value, bound(row, "target").value
            if graph in outside or target in still_typed or not self.store._visible(graph):
                continue
            found.add(Dependant(_text(row["entry"]), bound(row, "p").value, target, graph))
        return sorted(found, key=lambda d: (d.graph, d.entry, d.property))

    def _duplicates(self, changes: Sequence[GraphChange]) -> list[Duplicate]:
        """Entries the change adds to a graph that the rest of the store already has."""
        added: dict[str, list[ox.Triple]] = {}
        for change in changes:
            new = {iri for iri, status in change.entries() if status == "ajoutée"}
            for t in change.after:
                if isinstance(t.subject, ox.NamedNode) and t.subject.value in new:
                    added.setdefault(t.subject.value, []).append(t)
        return find_duplicates(
            self.store,
            self.queries,
            added,
            ignored_graphs=[c.graph for c in changes] + [self.journal_graph],
            submission_prefix=self.submission_prefix,
        )

    def _validate(
        self,
        changes: Sequence[GraphChange],
        dependants: Sequence[Dependant],
        payload: Payload | None,
        journal: Sequence[ox.Triple] = (),
        *,
        compiled: bool = False,
    ) -> ValidationReport:
        if compiled and changes:
            report = self.loader.check_staged(
                {c.graph: c.after for c in changes}, also=sorted({d.graph for d in dependants})
            )
            if journal:  # the journal events, small: pySHACL, in context
                report = _merged(report, self._validate([], [], None, journal))
            return report
        payloads = []
        if journal:
            graph = ox.NamedNode(self.journal_graph)
            quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in journal]
            payloads.append(Payload(self.journal_graph, quads))
        for change in changes:
            if not change.after:
                continue
            graph = ox.NamedNode(change.graph)
            quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in change.after]
            if payload is not None and payload.graph == change.graph:
                payloads.append(
                    Payload(
                        change.graph,
                        quads,
                        payload.sources,
                        payload.subject_files,
                        rows=payload.rows,
                        problems=payload.problems,
                    )
                )
            else:
                payloads.append(Payload(change.graph, quads))
        # The entries that point at removed ones are re-validated as they would stand.
        for entry, holder in sorted({(d.entry, d.graph) for d in dependants}):
            node = ox.NamedNode(entry)
            quads = list(self.store.match(subject=node, graph=ox.NamedNode(holder)))
            payloads.append(Payload(f"{holder}#dependant", quads))
        return self.loader.check(
            payloads, in_context=True, excluded_graphs=[c.graph for c in changes]
        )

    def _journal_entries(self, proposal: Proposal) -> tuple[list[str], list[ox.Triple]]:
        base = self.settings.base_iri
        now = datetime.datetime.now(datetime.UTC)
        stamp = now.isoformat(timespec="microseconds").replace("+00:00", "Z")
        steward = ox.NamedNode(proposal.steward.iri(base))
        triples = [
            ox.Triple(steward, RDF_TYPE, ox.NamedNode(SG.Referent)),
            ox.Triple(steward, RDFS_LABEL, ox.Literal(proposal.steward.name)),
        ]
        events = []
        run = ox.NamedNode(proposal.run) if proposal.run else None
        if run is not None:
            triples += proposal.run_triples
            triples.append(ox.Triple(run, ox.NamedNode(PROV + "wasAssociatedWith"), steward))
            triples.append(
                ox.Triple(
                    run,
                    ox.NamedNode(PROV + "endedAtTime"),
                    ox.Literal(stamp, datatype=XSD_DATETIME),
                )
            )
        for change in proposal.changes:
            if not change.changes_anything:
                continue  # nothing written to this graph: no new version
            event = ox.NamedNode(
                f"{base}journal/{now.strftime('%Y%m%dT%H%M%S%fZ')}-{secrets.token_hex(3)}"
            )
            graph = ox.NamedNode(change.graph)
            events.append(event.value)
            kind = change.kind

            def fact(p: str, o: ox.NamedNode | ox.Literal, event: ox.NamedNode = event) -> None:
                triples.append(ox.Triple(event, ox.NamedNode(p), o))

            fact(str(RDF_TYPE.value), ox.NamedNode(SG[kind]))
            fact(PROV + "wasAssociatedWith", steward)
            fact(PROV + "endedAtTime", ox.Literal(stamp, datatype=XSD_DATETIME))
            fact(SG.grapheConcerne, graph)
            fact(SG.version, ox.Literal(str(change.version + 1), datatype=XSD_INTEGER))
            fact(SG.triplesAjoutes, ox.Literal(str(len(change.added)), datatype=XSD_INTEGER))
            fact(SG.triplesRetires, ox.Literal(str(len(change.removed)), datatype=XSD_INTEGER))
            fact(SG.canal, ox.Literal(proposal.channel))
            fact(PROV + ("invalidated" if kind == "Retrait" else "generated"), graph)
            if run is not None:
                fact(PROV + "wasInformedBy", run)
            if proposal.source:
                fact(DCT_SOURCE.value, ox.Literal(proposal.source))
            if proposal.comment:
                fact(RDFS_COMMENT.value, ox.Literal(proposal.comment, language="fr"))
            if change.before:
                text = ox.serialize(change.before, format=ox.RdfFormat.N_TRIPLES) or b""
                fact(SG.contenuPrecedent, ox.Literal(text.decode("utf-8")))
            if change.graph in proposal.source_contents:
                source = proposal.source_contents[change.graph]
                text = ox.serialize(source, format=ox.RdfFormat.N_TRIPLES) or b""
                fact(SG.contenuSource, ox.Literal(text.decode("utf-8")))
            if kind == "Depot":
                triples.append(ox.Triple(graph, RDF_TYPE, ox.NamedNode(SG.Soumission)))
                triples.append(ox.Triple(graph, ox.NamedNode(PROV + "wasAttributedTo"), steward))
                triples.append(
                    ox.Triple(
                        graph,
                        ox.NamedNode(PROV + "generatedAtTime"),
                        ox.Literal(stamp, datatype=XSD_DATETIME),
                    )
                )
        return events, triples


def _merged(first: ValidationReport, second: ValidationReport) -> ValidationReport:
    graph = first.graph
    graph += second.graph
    return ValidationReport(
        first.results + second.results, graph, first.checked_triples + second.checked_triples
    )


def _triple(item: ox.Triple | ox.Quad) -> ox.Triple:
    return ox.Triple(item.subject, item.predicate, item.object)


def _text(term: object) -> str:
    return term.value if hasattr(term, "value") else str(term)


def _without_descriptions(triples: list[ox.Triple], subjects: set[ox.NamedNode]) -> list[ox.Triple]:
    """The triples minus those about ``subjects`` and the blank nodes reachable from them."""
    dropped: set[ox.NamedNode | ox.BlankNode] = set(subjects)
    frontier: list[ox.NamedNode | ox.BlankNode] = list(subjects)
    by_subject: dict[object, list[ox.Triple]] = {}
    for t in triples:
        by_subject.setdefault(t.subject, []).append(t)
    while frontier:
        node = frontier.pop()
        for t in by_subject.get(node, ()):
            if isinstance(t.object, ox.BlankNode) and t.object not in dropped:
                dropped.add(t.object)
                frontier.append(t.object)
    return [t for t in triples if t.subject not in dropped]
