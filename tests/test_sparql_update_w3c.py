"""`/update` against the W3C SPARQL 1.1 Update test suite, beside a plain `oxigraph serve`.

The update manifest (ADD, basic updates, CLEAR, COPY, DELETE DATA, DELETE/INSERT, DELETE
WHERE, DELETE, DROP, MOVE, the two syntax manifests, SILENT) is read as written and each
case runs on two targets in the same run:

* ``reference``: a plain `oxigraph serve` (conftest), its dataset set through the Graph
  Store Protocol, the update POSTed to its endpoint, the dataset after it compared with the
  expected one (up to blank node renaming);
* ``santegraph``: the app's ``/update`` with a steward credential, over an embedded store
  holding the case's graphs (its default graph as one more graph: santegraph's default
  graph is the union of its named graphs).

santegraph's writes go through the steward gate (docs/integrators.md, "Writing"): only
steward graphs (``…/graph/soumission/<name>``) may change, and the default graph (the
union) is never written. The suite's graphs are none of these, so a case that writes is
refused whole (403, the store unchanged): it is listed by name in ``GATE_CASES``. Every
other case must pass on santegraph as on the reference: an update that changes nothing (a
``SILENT`` operation on a graph that is not there) answers 2xx and writes nothing; a syntax
case parses, or is refused as malformed (400 naming the syntax error), as the suite says.
Both lists are checked by the run (a case listed that passes, or not listed that is
refused, fails), and the conformance record in docs/backends.md is made from them
(tests/test_conformance_record.py).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from santegraph.config import load_settings
from santegraph.steward.credentials import credential_line
from santegraph.store import EmbeddedStore
from santegraph.web import create_app

from .conftest import BASE, MINI, ReferenceEngine, canonical
from .external import W3C_SUITES

SPARQL11 = (W3C_SUITES.path or Path()) / "rdf-tests" / "sparql" / "sparql11"
PUBLISHED = "https://w3c.github.io/rdf-tests/sparql/sparql11/"
MANIFEST = "manifest-sparql11-update.ttl"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
EVALUATION = MF.UpdateEvaluationTest
SYNTAX = {MF.PositiveUpdateSyntaxTest11: True, MF.NegativeUpdateSyntaxTest11: False}
# santegraph has no default graph of its own to hold a case's default graph: it goes into
# a graph of its own, which the union default graph then reads
HELD_DEFAULT = PUBLISHED + "santegraph-test-default-graph"
TOKEN = "jeton-de-la-suite-w3c-" + "u" * 24
SYNTAX_ERROR = "SPARQL update syntax error"

# Where the reference, a plain `oxigraph serve`, answers otherwise than the suite.
REFERENCE_DIFFERENCES = {
    "syntax-update-1/test_54": "a blank node label used again in a later operation of the "
    "request (INSERT DATA { _:b1 :p :o } ; INSERT DATA { _:b1 :p :o }): Oxigraph accepts it",
}

# Cases santegraph refuses whole (403, nothing written) because they write a graph that is
# not a steward graph, or the default graph; each passes on the reference.
GATE_CASES = set(
    """
    add/add01 add/add02 add/add03 add/add04 add/add05 add/add07 basic-update/insert-05a
    basic-update/insert-data-same-bnode basic-update/insert-data-spo-named1
    basic-update/insert-data-spo-named2 basic-update/insert-data-spo-named3
    basic-update/insert-data-spo1 basic-update/insert-using-01 basic-update/insert-where-01
    basic-update/insert-where-02 basic-update/insert-where-03 basic-update/insert-where-04
    basic-update/insert-where-same-bnode basic-update/insert-where-same-bnode2
    clear/dawg-clear-all-01 clear/dawg-clear-default-01 clear/dawg-clear-graph-01
    clear/dawg-clear-named-01 copy/copy01 copy/copy02 copy/copy03 copy/copy04 copy/copy06
    delete-data/dawg-delete-data-01 delete-data/dawg-delete-data-02
    delete-data/dawg-delete-data-03 delete-data/dawg-delete-data-05
    delete-data/dawg-delete-data-06 delete-insert/dawg-delete-insert-01
    delete-insert/dawg-delete-insert-01b delete-insert/dawg-delete-insert-01c
    delete-insert/dawg-delete-insert-02 delete-insert/dawg-delete-insert-04
    delete-insert/dawg-delete-insert-04b delete-insert/dawg-delete-insert-05b
    delete-insert/dawg-delete-insert-06b delete-insert/delete-insert-halloween-problem
    delete-where/dawg-delete-where-01 delete-where/dawg-delete-where-02
    delete-where/dawg-delete-where-03 delete-where/dawg-delete-where-05
    delete-where/dawg-delete-where-06 delete/dawg-delete-01 delete/dawg-delete-02
    delete/dawg-delete-03 delete/dawg-delete-05 delete/dawg-delete-06 delete/dawg-delete-07
    delete/dawg-delete-using-01 delete/dawg-delete-using-02a delete/dawg-delete-using-03
    delete/dawg-delete-using-04 delete/dawg-delete-using-05 delete/dawg-delete-with-01
    delete/dawg-delete-with-02 delete/dawg-delete-with-05 delete/dawg-delete-with-06
    drop/dawg-drop-all-01 drop/dawg-drop-default-01 drop/dawg-drop-graph-01
    drop/dawg-drop-named-01 move/move01 move/move02 move/move03 move/move04 move/move06
    update-silent/add-to-default-silent update-silent/clear-default-silent
    update-silent/copy-to-default-silent update-silent/drop-default-silent
    update-silent/load-into-silent update-silent/load-silent
    update-silent/move-to-default-silent
    """.split()
)

# Where santegraph answers otherwise than the suite, for another reason than the gate.
SANTEGRAPH_DIFFERENCES: dict[str, str] = {}


def _iri(path: Path) -> str:
    return PUBLISHED + path.relative_to(SPARQL11).as_posix()


def _path(iri) -> Path:
    return SPARQL11 / str(iri)[len(PUBLISHED) :]


def _cases() -> list:
    if W3C_SUITES.path is None:
        return [W3C_SUITES.skipped_case()]
    top = rdflib.Graph().parse(SPARQL11 / MANIFEST, publicID=_iri(SPARQL11 / MANIFEST))
    cases = []
    for included in top.objects(None, MF.include):
        for item in rdflib.collection.Collection(top, included):
            path = _path(item)
            graph = rdflib.Graph().parse(path, publicID=_iri(path))
            for entries in graph.objects(rdflib.URIRef(_iri(path)), MF.entries):
                for entry in rdflib.collection.Collection(graph, entries):
                    kind = graph.value(entry, rdflib.RDF.type)
                    if kind == EVALUATION or kind in SYNTAX:
                        test_id = f"{path.parent.name}/{str(entry).rsplit('#', 1)[-1]}"
                        cases.append(pytest.param((test_id, graph, entry), id=test_id))
    return cases


CASES = _cases()
CASE_IDS = [c.id for c in CASES if c.id]


def _triples(path: Path) -> list[ox.Triple]:
    fmt = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}[path.suffix]
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(path=str(path), format=fmt, base_iri=_iri(path))
    ]


def _dataset(manifest, node) -> list[ox.Quad]:
    """The dataset a manifest node describes (ut:data, ut:graphData), as quads."""
    if node is None:
        return []
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
        for data in manifest.objects(node, UT.data)
        for t in _triples(_path(data))
    ]
    for graph_data in manifest.objects(node, UT.graphData):
        name = ox.NamedNode(str(manifest.value(graph_data, rdflib.RDFS.label)))
        for t in _triples(_path(manifest.value(graph_data, UT.graph))):
            quads.append(ox.Quad(t.subject, t.predicate, t.object, name))
    return quads


@pytest.fixture(scope="module", params=["reference", "santegraph"])
def target(request):
    if request.param == "reference":
        engine = ReferenceEngine(request.getfixturevalue("plain_oxigraph_server"))
        yield request.param, engine, engine
        engine.close()
        return
    store = EmbeddedStore(":memory:")
    settings = load_settings(
        {
            "content_dir": str(MINI),
            "base_iri": BASE,
            "steward_tokens": credential_line("suite-w3c", TOKEN),
        },
        environ={},
    )
    app = create_app(settings, store=store)
    yield request.param, store, app.test_client()
    app.extensions["santegraph"].query_runner.close()
    store.close()


def _held(quads: list[ox.Quad]) -> list[ox.Quad]:
    """The quads as santegraph holds them: the default graph in a named graph."""
    default = ox.NamedNode(HELD_DEFAULT)
    return [
        ox.Quad(q.subject, q.predicate, q.object, default)
        if isinstance(q.graph_name, ox.DefaultGraph)
        else q
        for q in quads
    ]


def _send(name: str, client, update: str):
    headers = {"Content-Type": "application/sparql-update"}
    if name == "santegraph":
        headers["Authorization"] = f"Bearer {TOKEN}"
    return client.post("/update", data=update.encode("utf-8"), headers=headers)


def _outcome(name, store, client, manifest, entry) -> str:
    """``pass``, ``gate`` (santegraph refused it whole, nothing written) or ``fail: why``."""
    kind = manifest.value(entry, rdflib.RDF.type)
    action = manifest.value(entry, MF.action)
    request_path = _path(manifest.value(action, UT.request) if kind == EVALUATION else action)
    update = f"BASE <{_iri(request_path)}>\n" + request_path.read_text(encoding="utf-8")
    initial = [] if kind in SYNTAX else _dataset(manifest, action)
    loaded = initial if name == "reference" else _held(initial)
    store.restore(loaded)
    before = canonical(store.quads())
    response = _send(name, client, update)
    body = response.get_data(as_text=True)
    after = canonical(store.quads())
    if kind in SYNTAX:
        malformed = response.status_code == 400 and (
            name == "reference" or body.find(SYNTAX_ERROR) >= 0
        )
        if name == "reference" and malformed:  # oxigraph's 400 for a failed evaluation
            malformed = "rror" in body and "expected" in body.lower()
        if name == "santegraph" and response.status_code >= 500:  # the reference's 500s:
            return f"fail: {response.status_code} {body}"  # its LOADs, DROPs evaluated
        if malformed is SYNTAX[kind]:  # a positive case refused, a negative one accepted
            return f"fail: {'refused' if malformed else 'accepted'}: {response.status_code} {body}"
        return "pass"  # parsed (what it then does is not a syntax case's concern)
    expected = _dataset(manifest, manifest.value(entry, MF.result))
    if name == "santegraph":
        if response.status_code == 403 and before == after:
            return "gate"
        expected_held = canonical(_held(expected))
        if response.status_code < 300 and before == after == expected_held:
            return "pass"
        return f"fail: {response.status_code} {body[:500]}; changed: {before != after}"
    if response.status_code >= 300:
        return f"fail: {response.status_code} {body[:500]}"
    if after != canonical(expected):
        return f"fail: the dataset after the update differs:\n{after}\nexpected:\n{expected}"
    return "pass"


@pytest.mark.parametrize("case", CASES)
def test_w3c_sparql11_update(target, case, request):
    test_id, manifest, entry = case
    name, store, client = target
    if name == "reference":
        expected, differences = "pass", REFERENCE_DIFFERENCES
    else:
        expected = "gate" if test_id in GATE_CASES else "pass"
        differences = SANTEGRAPH_DIFFERENCES
    if test_id in differences:
        request.applymarker(pytest.mark.xfail(reason=differences[test_id], strict=True))
    assert _outcome(name, store, client, manifest, entry) == expected
