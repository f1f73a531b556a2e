"""The steward workflow's core (santegraph.stewardship), on every backend.

A change is proposed (diff, dependants, validation in context), then committed with its
journal events in one atomic update; a refused change leaves the store as it was.
"""

from __future__ import annotations

import dataclasses
import threading
from types import SimpleNamespace

import pyoxigraph as ox
import pytest

import santegraph.steward.workflow as stewardship
from santegraph.errors import ValidationFailed
from santegraph.loading import Loader
from santegraph.steward.credentials import Steward
from santegraph.steward.workflow import (
    Conflict,
    Forbidden,
    NotFound,
    Stewardship,
    WarningsNotAcknowledged,
)

from .conftest import BASE, SUBMISSIONS, sorted_quads

SG = "https://w3id.org/santegraph/def#"
PREFIXES = (
    "@prefix sg: <https://w3id.org/santegraph/def#> .\n"
    "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
)
MARIE = Steward("Marie Martin")
PAUL = Steward("Paul Durand")


def make_service(store, settings) -> Stewardship:
    loader = Loader(store, settings, progress=False)
    loader.ensure_content()
    return Stewardship(store, settings, loader)


@pytest.fixture
def service(store, settings):
    return make_service(store, settings)


def payload(service, text: str, name: str = "saisie.ttl"):
    return service.loader.read_bytes((PREFIXES + text).encode(), name, "turtle")


def deposit(service, text: str, steward=MARIE, **kwargs) -> str:
    proposal = service.propose_deposit(
        steward, payload(service, text), channel="cli", source="saisie.ttl", **kwargs
    )
    service.commit(proposal, acknowledge_warnings=True)
    return proposal.changes[0].graph


MSP = (
    '<acteur/msp-du-port> a sg:MSP ; skos:prefLabel "MSP du Port"@fr ;\n'
    '  sg:localisation <territoire/commune/59183> ; sg:telephone "03 28 00 00 00" .\n'
)


def test_a_deposit_lands_in_its_own_graph_with_its_journal_event(service, store):
    data = service.loader.read_bytes(
        (SUBMISSIONS / "valid-msp.ttl").read_bytes(), "valid-msp.ttl", "turtle"
    )
    proposal = service.propose_deposit(
        MARIE, data, channel="web", source="valid-msp.ttl", comment="nouvelle MSP"
    )
    (change,) = proposal.changes
    assert change.kind == "Depot" and change.version == 0
    assert change.graph.startswith(BASE + "graph/soumission/")
    assert change.entries() == [(BASE + "acteur/msp-du-port", "ajoutée")]
    assert len(change.added) == 4 and change.removed == []
    assert proposal.conforms and not proposal.needs_acknowledgement
    assert store.count_triples(change.graph) == 0  # a proposal writes nothing

    (event,) = service.commit(proposal)

    assert store.count_triples(change.graph) == 4
    (entry,) = service.history()
    assert entry["event"] == event
    assert entry | {"event": None, "time": None} == {
        "event": None,
        "time": None,
        "kind": "Depot",
        "graph": change.graph,
        "version": 1,
        "steward": BASE + "referent/marie-martin",
        "steward_name": "Marie Martin",
        "added": 4,
        "removed": 0,
        "channel": "web",
        "source": "valid-msp.ttl",
        "comment": "nouvelle MSP",
        "has_previous": False,
    }


def test_the_journal_is_prov_o_queryable_on_the_union_default_graph(service, store):
    graph = deposit(service, MSP)
    rows = store.select(
        "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
        "PREFIX sg: <https://w3id.org/santegraph/def#>\n"
        "SELECT ?who ?when WHERE { ?e a sg:Depot ; prov:generated ?g ;"
        " prov:wasAssociatedWith ?who ; prov:endedAtTime ?when . VALUES ?g { UNDEF } }",
        {"g": ox.NamedNode(graph)},
    )
    assert [r["who"].value for r in rows] == [BASE + "referent/marie-martin"]
    assert rows[0]["when"].datatype.value.endswith("#dateTime")


def test_violations_block_and_leave_the_store_unchanged(service, store):
    before = sorted_quads(store)
    proposal = service.propose_deposit(
        MARIE,
        payload(service, "<acteur/x> a sg:MSP ; sg:localisation <territoire/commune/99999> ."),
        channel="cli",
        source="x.ttl",
    )
    assert not proposal.conforms
    assert {r.focus_node for r in proposal.report.results} == {BASE + "acteur/x"}
    with pytest.raises(ValidationFailed):
        service.commit(proposal, acknowledge_warnings=True)
    assert sorted_quads(store) == before


def test_warnings_must_be_acknowledged(service, store):
    no_phone = '<acteur/y> a sg:MSP ; skos:prefLabel "Y"@fr .'
    proposal = service.propose_deposit(
        MARIE, payload(service, no_phone), channel="cli", source="y.ttl"
    )
    assert proposal.conforms and proposal.needs_acknowledgement
    before = sorted_quads(store)
    with pytest.raises(WarningsNotAcknowledged):
        service.commit(proposal)
    assert sorted_quads(store) == before
    service.commit(proposal, acknowledge_warnings=True)
    assert store.count_triples(proposal.changes[0].graph) == 2


def test_a_correction_replaces_the_entry_and_keeps_the_previous_version(service, store):
    other = '<acteur/autre> a sg:MSP ; skos:prefLabel "Autre"@fr ; sg:telephone "1" .\n'
    graph = deposit(service, MSP + other)
    new = (
        '<acteur/msp-du-port> a sg:MSP ; skos:prefLabel "MSP du Port de Dunkerque"@fr ;\n'
        '  sg:localisation <territoire/commune/59183> ; sg:telephone "03 28 00 00 00" .\n'
    )
    proposal = service.propose_correction(
        PAUL, graph, payload(service, new), channel="web", source="c.ttl"
    )
    (change,) = proposal.changes
    assert change.kind == "Correction" and change.version == 1
    assert change.entries() == [(BASE + "acteur/msp-du-port", "modifiée")]
    assert [t.object.value for t in change.added] == ["MSP du Port de Dunkerque"]
    assert [t.object.value for t in change.removed] == ["MSP du Port"]
    service.commit(proposal)

    labels = {
        r["l"].value
        for r in store.select(
            "SELECT ?l WHERE { GRAPH ?g { ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }"
            " VALUES ?g { UNDEF } }",
            {"g": ox.NamedNode(graph)},
        )
    }
    assert labels == {"MSP du Port de Dunkerque", "Autre"}  # the other entry is kept
    latest, first = service.history(graph=graph)
    assert (latest["kind"], latest["version"], latest["steward_name"]) == (
        "Correction",
        2,
        "Paul Durand",
    )
    previous = ox.parse(
        service.previous_content(latest["event"]).encode(), format=ox.RdfFormat.N_TRIPLES
    )
    assert '"MSP du Port"@fr' in {str(t.object) for t in previous}
    assert first["version"] == 1 and not first["has_previous"]


def two_corrections(graph, mine, theirs):
    """Marie (through ``mine``) and Paul (through ``theirs``) each preview a correction of
    the same version of ``graph``, naming the MSP "A" and "B"."""
    correction = '<acteur/msp-du-port> a sg:MSP ; skos:prefLabel "A"@fr ; sg:telephone "1" .'
    first = mine.propose_correction(
        MARIE, graph, payload(mine, correction), channel="web", source="a.ttl"
    )
    second = theirs.propose_correction(
        PAUL,
        graph,
        payload(theirs, correction.replace('"A"', '"B"')),
        channel="web",
        source="b.ttl",
    )
    return first, second


def test_a_stale_preview_is_a_conflict_and_changes_nothing(service, store):
    graph = deposit(service, MSP)
    first, second = two_corrections(graph, service, service)
    service.commit(first)
    after_first = sorted_quads(store)
    with pytest.raises(Conflict, match="version 1 vue, 2 maintenant"):
        service.commit(second)
    assert sorted_quads(store) == after_first


def test_withdrawal_is_refused_while_another_graph_depends_on_it(service, store):
    commune = (
        '<territoire/commune/59999> a sg:Commune ; skos:prefLabel "Neuve"@fr ;'
        ' sg:codeInsee "59999" .'
    )
    base_graph = deposit(service, commune)
    deposit(
        service,
        '<acteur/msp-neuve> a sg:MSP ; skos:prefLabel "MSP Neuve"@fr ;'
        ' sg:localisation <territoire/commune/59999> ; sg:telephone "1" .',
        steward=PAUL,
    )
    proposal = service.propose_withdrawal(MARIE, base_graph, channel="web")
    assert [(d.entry, d.property, d.target) for d in proposal.dependants] == [
        (BASE + "acteur/msp-neuve", SG + "localisation", BASE + "territoire/commune/59999")
    ]
    assert not proposal.conforms  # the dependant would point at an unknown commune
    assert {r.focus_node for r in proposal.report.results} == {BASE + "acteur/msp-neuve"}
    before = sorted_quads(store)
    with pytest.raises(ValidationFailed):
        service.commit(proposal)
    assert sorted_quads(store) == before


def test_withdrawal_without_dependants_keeps_the_content_in_the_journal(service, store):
    graph = deposit(service, MSP)
    proposal = service.propose_withdrawal(MARIE, graph, channel="cli", comment="doublon")
    assert proposal.dependants == [] and proposal.conforms
    service.commit(proposal)
    assert graph not in store.list_graphs()
    latest = service.history(graph=graph)[0]
    assert (latest["kind"], latest["removed"], latest["comment"]) == ("Retrait", 4, "doublon")
    assert "MSP du Port" in service.previous_content(latest["event"])
    assert service.submissions() == []
    with pytest.raises(NotFound):
        service.propose_withdrawal(MARIE, graph, channel="cli")


@pytest.mark.parametrize(
    "graph",
    [BASE + "graph/acteurs/cpts", BASE + "graph/journal", BASE + "graph/soumission/"],
)
def test_content_graphs_and_the_journal_are_not_writable(service, graph):
    with pytest.raises(Forbidden):
        service.propose(MARIE, {graph: []}, channel="cli")


def test_two_stewards_submitting_at_once_both_land(service, store):
    errors = []

    def submit(steward, n):
        try:
            text = (
                f'<acteur/msp-{n}> a sg:MSP ; skos:prefLabel "MSP {n}"@fr ;'
                f' sg:localisation <territoire/commune/59183> ; sg:telephone "{n}" .'
            )
            service.apply(steward, _contents(service, text), channel="graph-store")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(s, n)) for n, s in enumerate([MARIE, PAUL])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(service.submissions()) == 2
    assert sorted(e["steward_name"] for e in service.history()) == ["Marie Martin", "Paul Durand"]


def test_readers_never_see_half_a_submission(service, store):
    """Every submission graph a reader sees has all its triples and its journal event."""
    size = 60
    if store.backend == "remote" and store.hidden_graph_prefixes:
        pytest.skip(
            "Virtuoso 7 does not isolate readers from a running update: a reader can see "
            "part of a submission (docs/backends.md)"
        )
    query = (
        "PREFIX sg: <https://w3id.org/santegraph/def#>\n"
        "SELECT ?g ?n ?e WHERE {\n"
        "  { SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o }\n"
        f'      FILTER(STRSTARTS(STR(?g), "{service.submission_prefix}")) }} GROUP BY ?g }}\n'
        f"  OPTIONAL {{ GRAPH <{service.journal_graph}> {{ ?e sg:grapheConcerne ?g }} }}\n}}"
    )
    done = threading.Event()
    seen: list[tuple[int, bool]] = []

    def read():
        while not done.is_set():
            seen.extend((int(r["n"].value), r["e"] is not None) for r in store.select(query))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(5):
            text = "".join(
                f'<acteur/lot{n}-{i}> a sg:MSP ; skos:prefLabel "L{i}"@fr ; sg:telephone "{i}" .\n'
                for i in range(size // 3)
            )
            service.apply(MARIE, _contents(service, text), channel="cli")
    finally:
        done.set()
        reader.join()
    assert seen, "the reader ran no query"
    assert set(seen) == {(size, True)}


def _contents(service, text: str) -> dict:
    data = payload(service, text)
    return {service.new_graph_name("lot"): data.quads}


def test_a_commit_from_another_process_in_the_race_window_is_a_conflict(
    service, store, settings, monkeypatch
):
    """Two santegraph processes on one store: their locks do not see each other. The write
    itself is conditional on the journal (compare-and-swap), so the loser writes nothing."""
    graph = deposit(service, MSP)
    other_process = Stewardship(store, settings, service.loader)
    mine, theirs = two_corrections(graph, service, other_process)
    other_process.commit(theirs)
    after_theirs = sorted_quads(store)
    # this process checked the version just before the other one wrote: it still sees 1
    monkeypatch.setattr(service, "versions", lambda graphs: dict.fromkeys(graphs, 1))
    with pytest.raises(Conflict, match="un autre processus"):
        service.commit(mine)
    assert sorted_quads(store) == after_theirs


# ---------------------------------------------------------------------- previews (web)
# The previews live in the process, not in the store: one backend is enough.
@pytest.fixture
def previews(embedded_store, settings):
    service = make_service(embedded_store, settings)
    proposal = service.propose_deposit(
        MARIE, payload(service, MSP), channel="web", source="saisie.ttl"
    )
    return service, proposal


def test_a_preview_waits_for_its_own_steward_only(previews):
    service, proposal = previews
    key = service.remember(proposal)

    assert service.pending(key, MARIE) is proposal
    with pytest.raises(NotFound, match="aperçu inconnu ou expiré"):
        service.pending(key, PAUL)
    with pytest.raises(NotFound):
        service.pending("pas-un-aperçu", MARIE)


def test_a_preview_is_forgotten_after_its_time(previews, monkeypatch):
    service, proposal = previews
    key = service.remember(proposal)
    later = proposal.created + stewardship.PENDING_TTL_S + 1
    monkeypatch.setattr(stewardship, "time", SimpleNamespace(monotonic=lambda: later))

    # Forgotten when asked for, even if no other preview has been made since.
    with pytest.raises(NotFound, match="expiré"):
        service.pending(key, MARIE)


def test_the_oldest_preview_goes_first_beyond_the_limit(previews, monkeypatch):
    service, proposal = previews
    monkeypatch.setattr(stewardship, "PENDING_MAX", 2)
    keys = [service.remember(dataclasses.replace(proposal, id=f"apercu-{n}")) for n in range(3)]

    with pytest.raises(NotFound):
        service.pending(keys[0], MARIE)
    assert [service.pending(k, MARIE).id for k in keys[1:]] == keys[1:]
