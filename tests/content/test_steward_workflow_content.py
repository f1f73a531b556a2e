"""The steward workflow against the real content and the real shapes (not the mini ones):
a CSV-template CPTS is deposited, corrected and withdrawn; each journal event passes the
project's journal shape (sgsh:EvenementJournalShape) in the same gate as the data."""

import pyoxigraph as ox
import pytest

from santegraph.config import load_settings
from santegraph.steward.credentials import Steward
from santegraph.steward.workflow import Stewardship
from santegraph.store import EmbeddedStore

from .conftest import BASE, ROOT
from .test_steward_validate_content import DUNKERQUE, HEADER

MARIE = Steward("Marie Fictive")


@pytest.fixture
def service(loaded_content):
    """A private copy of the loaded content (the session store stays untouched)."""
    store, _ = loaded_content
    copy = EmbeddedStore(":memory:")
    copy.pyoxigraph_store.extend(store.quads())
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    return Stewardship(copy, settings)


def test_a_csv_cpts_goes_through_deposit_correction_and_withdrawal(service):
    loader = service.loader
    first = loader.read_bytes(f"{HEADER}\n{DUNKERQUE}\n".encode(), "cpts.csv", "csv")
    proposal = service.propose_deposit(MARIE, first, channel="web", source="cpts.csv")
    assert proposal.conforms, proposal.report.text()
    service.commit(proposal)
    graph = proposal.changes[0].graph

    fixed = DUNKERQUE.replace("03 53 73 00 00", "03 53 73 11 11")
    second = loader.read_bytes(f"{HEADER}\n{fixed}\n".encode(), "cpts.csv", "csv")
    correction = service.propose_correction(MARIE, graph, second, channel="web", source="cpts.csv")
    assert correction.conforms, correction.report.text()
    assert [t.object.value for t in correction.changes[0].added] == ["03 53 73 11 11"]
    service.commit(correction)

    withdrawal = service.propose_withdrawal(MARIE, graph, channel="cli")
    assert withdrawal.dependants == [] and withdrawal.conforms
    service.commit(withdrawal)

    kinds = [e["kind"] for e in service.history(graph=graph)]
    assert kinds == ["Retrait", "Correction", "Depot"]
    assert graph not in service.store.list_graphs()


def test_a_malformed_journal_event_would_be_refused_by_the_real_shapes(service):
    """The gate really checks journal events: one without its steward does not conform."""
    event = ox.NamedNode(BASE + "journal/essai")
    sg = "https://w3id.org/santegraph/def#"
    journal = [
        ox.Triple(
            event,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(sg + "Depot"),
        ),
        ox.Triple(event, ox.NamedNode(sg + "canal"), ox.Literal("web")),
    ]
    report = service._validate([], [], None, journal)
    assert not report.conforms
    assert {r.focus_node for r in report.results} == {event.value}


def test_a_second_french_name_for_the_chu_de_lille_is_refused(service):
    """The campaign's case: the shapes say exactly one French name; the submission alone
    conforms, but the gate checks the entry as the graph would hold it."""
    text = (
        b"@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        b'<acteur/chu-de-lille> skos:prefLabel "CHU de Lille (bis)"@fr .\n'
    )
    data = service.loader.read_bytes(text, "chu.ttl", "turtle")
    proposal = service.propose_deposit(MARIE, data, channel="web", source="chu.ttl")
    violations = [r for r in proposal.report.results if r.severity == "Violation"]
    assert violations and {r.focus_node for r in violations} == {BASE + "acteur/chu-de-lille"}
    assert {r.path for r in violations} == {"http://www.w3.org/2004/02/skos/core#prefLabel"}
    assert {r.location for r in violations} == {"chu.ttl:2"}
