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
from santegraph.steward.duplicates import Duplicate
from santegraph.steward.workflow import (
    Conflict,
    DuplicatesNotAcknowledged,
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
MARIE = Steward("Marie Fictive")
PAUL = Steward("Paul Durand")
PAUL_REVIEWER = Steward("Paul Durand", "reviewer")  # may correct others' submissions


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
    '  sg:localisation <territoire/commune/59183> ; sg:telephone "03 53 73 00 00" .\n'
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
        "steward": BASE + "referent/marie-fictive",
        "steward_name": "Marie Fictive",
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
    assert [r["who"].value for r in rows] == [BASE + "referent/marie-fictive"]
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


def test_an_entry_is_checked_as_the_union_of_the_graph_will_hold_it(service, store):
    """The shapes say one French name per actor: a submission giving an entry of the store
    a second one is refused, although the submission alone would conform."""
    second_name = '<acteur/cpts-sud-metropole-lilloise> skos:prefLabel "CPTS Sud"@fr .'
    before = sorted_quads(store)
    proposal = service.propose_deposit(
        MARIE, payload(service, second_name), channel="cli", source="nom.ttl"
    )
    assert not proposal.conforms
    (result,) = [r for r in proposal.report.results if r.severity == "Violation"]
    assert result.focus_node == BASE + "acteur/cpts-sud-metropole-lilloise"
    assert result.path == "http://www.w3.org/2004/02/skos/core#prefLabel"
    assert "exactement un nom" in result.message
    assert result.location == "saisie.ttl:3"  # the line of the submission
    with pytest.raises(ValidationFailed):
        service.commit(proposal, acknowledge_warnings=True)
    assert sorted_quads(store) == before

    # what the entry lacks is still welcome: a second phone number conforms
    phone = '<acteur/cpts-sud-metropole-lilloise> sg:telephone "01 99 00 00 01" .'
    addition = service.propose_deposit(
        MARIE, payload(service, phone), channel="cli", source="tel.ttl"
    )
    assert addition.conforms, addition.report.text()


def test_an_entry_of_another_submission_is_checked_with_that_submission(service, store):
    graph = deposit(service, MSP)
    renamed = '<acteur/msp-du-port> skos:prefLabel "Maison de santé du Port"@fr .'
    proposal = service.propose_deposit(
        PAUL, payload(service, renamed), channel="cli", source="nom.ttl"
    )
    assert [r.focus_node for r in proposal.report.results] == [BASE + "acteur/msp-du-port"]
    # corrected in its own graph, the entry has one name again
    correction = service.propose_correction(
        MARIE,
        graph,
        payload(service, MSP.replace("MSP du Port", "Maison de santé du Port")),
        channel="cli",
        source="nom.ttl",
    )
    assert correction.conforms, correction.report.text()


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
        '  sg:localisation <territoire/commune/59183> ; sg:telephone "03 53 73 00 00" .\n'
    )
    proposal = service.propose_correction(
        PAUL_REVIEWER, graph, payload(service, new), channel="web", source="c.ttl"
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


# ---------------------------------------------------------------------- roles
ADMIN = Steward("Claire Admin", "admin")


def test_only_the_owner_a_reviewer_or_an_admin_may_correct_a_submission(service, store):
    graph = deposit(service, MSP)  # Marie's
    fixed = MSP.replace("03 53 73 00 00", "01 99 00 00 02")
    before = sorted_quads(store)
    with pytest.raises(Forbidden, match="déposée par Marie Fictive : seuls son auteur, un relec"):
        service.propose_correction(PAUL, graph, payload(service, fixed), channel="web", source="c")
    assert sorted_quads(store) == before
    for steward in (MARIE, PAUL_REVIEWER, ADMIN):
        proposal = service.propose_correction(
            steward, graph, payload(service, fixed), channel="web", source="c"
        )
        assert proposal.conforms
    assert service.rights(PAUL, graph) == set()
    assert service.rights(PAUL_REVIEWER, graph) == {"correct"}
    assert service.rights(MARIE, graph) == service.rights(ADMIN, graph) == {"correct", "withdraw"}


def test_only_the_owner_or_an_admin_may_withdraw_a_submission_or_an_entry(service, store):
    other = '<acteur/autre> a sg:MSP ; skos:prefLabel "Autre"@fr ; sg:telephone "1" .\n'
    graph = deposit(service, MSP + other)
    only_msp = {graph: payload(service, MSP).quads}  # the other entry removed
    for steward in (PAUL, PAUL_REVIEWER):
        with pytest.raises(Forbidden, match="seuls son auteur ou un administrateur"):
            service.propose_withdrawal(steward, graph, channel="cli")
        with pytest.raises(Forbidden, match="en retirer des entrées"):
            service.propose(steward, only_msp, channel="sparql-update")
    assert service.propose_withdrawal(ADMIN, graph, channel="cli").conforms
    assert service.propose_withdrawal(MARIE, graph, channel="cli").conforms


# ---------------------------------------------------------------------- duplicates
def test_sending_an_entry_again_is_a_duplicate_to_acknowledge(service, store):
    """Re-submitting instead of correcting would give the MSP two phone numbers."""
    graph = deposit(service, MSP)
    again = MSP.replace("03 53 73 00 00", "01 99 00 00 04")
    proposal = service.propose_deposit(MARIE, payload(service, again), channel="web", source="s")
    assert proposal.conforms  # nothing in the shapes forbids two phone numbers
    assert proposal.duplicates == [
        Duplicate(
            BASE + "acteur/msp-du-port",
            BASE + "acteur/msp-du-port",
            graph,
            "même IRI",
            in_submission=True,
        )
    ]
    before = sorted_quads(store)
    with pytest.raises(DuplicatesNotAcknowledged, match="corrigez plutôt la soumission"):
        service.commit(proposal, acknowledge_warnings=True)
    assert sorted_quads(store) == before
    service.commit(proposal, acknowledge_warnings=True, acknowledge_duplicates=True)
    assert len(service.submissions()) == 2


@pytest.mark.parametrize(
    ("text", "existing", "reason", "in_submission"),
    [
        (  # the same name, written otherwise, in the same commune as a submitted MSP
            '<acteur/maison-du-port> a sg:MSP ; skos:prefLabel "MSP du port"@fr ;'
            " sg:localisation <territoire/commune/59183> .",
            "acteur/msp-du-port",
            "même nom et même commune",
            True,
        ),
        (  # ... as an entry of the content files
            '<acteur/cpts-sml> a sg:CPTS ; skos:prefLabel "CPTS Sud-Métropole lilloise"@fr ;'
            " sg:localisation <territoire/commune/59350> .",
            "acteur/cpts-sud-metropole-lilloise",
            "même nom et même commune",
            False,
        ),
        (
            '<acteur/autre-nom> a sg:MSP ; skos:prefLabel "Autre nom"@fr ;'
            ' sg:siret "99999999900011" .',
            "acteur/msp-du-port",
            "même SIRET",
            True,
        ),
        (
            '<acteur/autre-nom> a sg:MSP ; skos:prefLabel "Autre nom"@fr ; sg:finess "999000011" .',
            "acteur/msp-du-port",
            "même FINESS",
            True,
        ),
    ],
)
def test_the_same_name_in_the_same_commune_or_the_same_number_is_a_duplicate(
    service, text, existing, reason, in_submission
):
    numbers = '<acteur/msp-du-port> sg:siret "99999999900011" ; sg:finess "999000011" .\n'
    graph = deposit(service, MSP + numbers)
    proposal = service.propose_deposit(PAUL, payload(service, text), channel="web", source="s")
    (duplicate,) = proposal.duplicates
    assert (duplicate.existing, duplicate.reason, duplicate.in_submission) == (
        BASE + existing,
        reason,
        in_submission,
    )
    assert duplicate.graph == (graph if in_submission else BASE + "graph/acteurs/cpts")


def test_a_correction_of_the_entry_in_its_own_submission_is_no_duplicate(service):
    graph = deposit(service, MSP)
    fixed = MSP.replace("03 53 73 00 00", "01 99 00 00 05")
    proposal = service.propose_correction(
        MARIE, graph, payload(service, fixed), channel="web", source="c"
    )
    assert proposal.duplicates == []


def two_corrections(graph, mine, theirs):
    """Marie (through ``mine``) and Paul, a reviewer (through ``theirs``), each preview a
    correction of the same version of ``graph``, naming the MSP "A" and "B"."""
    correction = '<acteur/msp-du-port> a sg:MSP ; skos:prefLabel "A"@fr ; sg:telephone "1" .'
    first = mine.propose_correction(
        MARIE, graph, payload(mine, correction), channel="web", source="a.ttl"
    )
    second = theirs.propose_correction(
        PAUL_REVIEWER,
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


@pytest.mark.parametrize(
    "name",
    ["../journal", "a/../../journal", "%2e%2e/journal", "x/y", ".cache", "a?b", "a#b", "é", "-a"],
)
def test_a_new_submission_graph_needs_a_plain_name(service, store, name):
    """A graph named soumission/../journal reads as the journal once a client resolves it."""
    before = sorted_quads(store)
    with pytest.raises(Forbidden, match="nom de soumission invalide"):
        service.propose(
            MARIE, {service.submission_prefix + name: payload(service, MSP).quads}, channel="cli"
        )
    assert sorted_quads(store) == before


def test_minted_and_tool_chosen_names_are_plain(service):
    assert service.propose(
        MARIE,
        {service.new_graph_name("Mon fichier.ttl"): payload(service, MSP).quads},
        channel="web",
    ).conforms
    assert service.propose(
        MARIE,
        {service.submission_prefix + "CPTS_flandre-2": payload(service, MSP).quads},
        channel="graph-store",
    ).conforms


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
    assert sorted(e["steward_name"] for e in service.history()) == ["Marie Fictive", "Paul Durand"]


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
