"""The store interface, on both backends: every test here runs embedded and remote."""

import json

import pyoxigraph as ox
import pytest

from santegraph.errors import QueryError

from .conftest import canonical_quads, sorted_quads

EX = "http://example.org/"
G1, G2 = EX + "graph/1", EX + "graph/2"


def triple(s: str, p: str, o) -> ox.Triple:
    obj = o if isinstance(o, ox.Literal | ox.NamedNode) else ox.Literal(o)
    return ox.Triple(ox.NamedNode(EX + s), ox.NamedNode(EX + p), obj)


def test_a_new_store_is_empty(store):
    assert store.count_triples() == 0
    assert store.list_graphs() == []


def test_replace_graphs_writes_each_graph(store):
    store.replace_graphs({G1: [triple("a", "name", "A")], G2: [triple("b", "name", "B")]})
    assert store.list_graphs() == [G1, G2]
    assert store.count_triples() == 2
    assert store.count_triples(G1) == 1


def test_replacing_a_graph_removes_its_old_triples_and_keeps_the_others(store):
    store.replace_graphs({G1: [triple("a", "name", "old")], G2: [triple("b", "name", "B")]})
    store.replace_graphs({G1: [triple("a", "name", "new")]})
    rows = store.select(
        "SELECT ?n WHERE { GRAPH ?g { ?s <http://example.org/name> ?n } } ORDER BY ?n"
    )
    assert [r["n"].value for r in rows] == ["B", "new"]


def test_add_to_graphs_keeps_existing_triples(store):
    store.replace_graphs({G1: [triple("a", "name", "A")]})
    store.add_to_graphs({G1: [triple("b", "name", "B")]})
    assert store.count_triples(G1) == 2


def test_default_graph_is_the_union_of_named_graphs(store):
    store.replace_graphs(
        {G1: [triple("a", "knows", ox.NamedNode(EX + "b"))], G2: [triple("b", "name", "B")]}
    )
    rows = store.select(
        "SELECT ?n WHERE { <http://example.org/a> <http://example.org/knows> ?x . "
        "?x <http://example.org/name> ?n }"
    )
    assert [r["n"].value for r in rows] == ["B"]


@pytest.mark.virtuoso_difference(
    "Virtuoso's default graph also holds its own system graphs (virtrdf#, DAV...)"
)
def test_the_default_graph_holds_nothing_but_the_named_graphs(store):
    store.replace_graphs({G1: [triple("a", "name", "A")]})
    assert store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].value == "1"


def test_drop_graph(store):
    store.replace_graphs({G1: [triple("a", "name", "A")], G2: [triple("b", "name", "B")]})
    store.drop_graph(G1)
    assert store.list_graphs() == [G2]


def test_a_failing_update_leaves_the_store_exactly_as_it_was(store):
    store.replace_graphs({G1: [triple("a", "name", "A")]})
    before = sorted_quads(store)
    with pytest.raises(QueryError):
        # The INSERT would succeed on its own; CREATE of an existing graph fails after it.
        store.update(
            f"DROP GRAPH <{G1}> ; INSERT DATA {{ GRAPH <{G2}> {{ <{EX}x> <{EX}p> 1 }} }} ;"
            f" CREATE GRAPH <{G2}>"
        )
    assert sorted_quads(store) == before


def test_literals_are_escaped_in_writes(store):
    hostile = 'quote " brace } newline \n and ; DROP ALL'
    store.replace_graphs({G1: [triple("a", "name", hostile)]})
    rows = store.select("SELECT ?n WHERE { ?s <http://example.org/name> ?n }")
    assert rows[0]["n"].value == hostile


def test_bound_values_cannot_change_the_query(store):
    store.replace_graphs({G1: [triple("a", "name", "A"), triple("b", "name", "B")]})
    query = "SELECT ?s WHERE { VALUES ?n { UNDEF } ?s <http://example.org/name> ?n }"
    assert len(store.select(query, {"n": "A"})) == 1
    assert store.select(query, {"n": 'A" } ?s ?p ?o . { "'}) == []
    assert len(store.select(query, {"n": [ox.Literal("A"), ox.Literal("B")]})) == 2


def test_a_bound_value_holding_another_placeholder_stays_a_value(store):
    """Placeholders are filled in one pass: the text of ``?m``'s placeholder inside the
    value bound to ``?n`` is not filled in turn (it would close ``?n``'s literal and let
    ``?m``'s value run as SPARQL: here, a pattern that returned a hidden triple)."""
    store.replace_graphs({G1: [triple("a", "name", "A")], G2: [triple("secret", "name", "hidden")]})
    query = (
        "SELECT ?s ?n ?m WHERE { VALUES ?n { UNDEF } VALUES ?m { UNDEF } "
        "OPTIONAL { ?s <http://example.org/name> ?n } }"
    )
    n, m = "VALUES ?m { UNDEF }", "UNDEF } ?s ?p ?o . VALUES ?z {"
    rows = store.select(query, {"n": n, "m": m})
    assert [(row["s"], row["n"].value, row["m"].value) for row in rows] == [(None, n, m)]


def test_ask_and_construct(store):
    store.replace_graphs({G1: [triple("a", "name", "A")]})
    assert store.ask("ASK { ?s <http://example.org/name> 'A' }") is True
    assert store.ask("ASK { ?s <http://example.org/name> 'Z' }") is False
    triples = store.construct(
        "CONSTRUCT { ?s <http://example.org/label> ?n } WHERE { ?s <http://example.org/name> ?n }"
    )
    assert triples == [triple("a", "label", "A")]


def test_a_malformed_query_is_a_query_error(store):
    with pytest.raises(QueryError):
        store.select("SELECT ?s WHERE { ?s ?p }")


@pytest.mark.parametrize(
    "media_type",
    [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ],
)
def test_select_streams_in_every_results_format(store, media_type):
    store.replace_graphs({G1: [triple("a", "name", "Ä")]})
    result = store.query_stream("SELECT ?n WHERE { ?s <http://example.org/name> ?n }", media_type)
    body = result.read().decode("utf-8")
    assert result.media_type == media_type
    if media_type.endswith("json"):
        assert json.loads(body)["results"]["bindings"][0]["n"]["value"] == "Ä"
    else:
        assert "Ä" in body


@pytest.mark.parametrize(
    "media_type,rdf_format",
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/rdf+xml", ox.RdfFormat.RDF_XML),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_construct_streams_in_every_graph_format(store, media_type, rdf_format):
    store.replace_graphs({G1: [triple("a", "name", "A")]})
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"
    result = store.query_stream(query, media_type)
    parsed = list(ox.parse(result.read(), format=rdf_format))
    assert [(q.subject, q.predicate, q.object) for q in parsed] == [
        (ox.NamedNode(EX + "a"), ox.NamedNode(EX + "name"), ox.Literal("A"))
    ]


def test_a_large_result_arrives_in_several_chunks(store):
    store.replace_graphs({G1: [triple(f"s{i}", "name", f"value number {i}") for i in range(20000)]})
    chunks = list(
        store.query_stream(f"SELECT * WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}", "text/csv").chunks
    )
    assert len(chunks) > 1
    assert b"".join(chunks).count(b"\n") == 20001


def test_export_then_restore_round_trips_every_quad(store):
    store.replace_graphs(
        {
            G1: [triple("a", "name", ox.Literal("A", language="fr")), triple("a", "n", 3)],
            G2: [ox.Triple(ox.BlankNode("b1"), ox.NamedNode(EX + "p"), ox.Literal("x"))],
        }
    )
    before = canonical_quads(store)
    dump = b"".join(store.export("nquads"))
    store.replace_graphs({G1: [triple("z", "name", "other")]})
    store.restore(ox.parse(dump, format=ox.RdfFormat.N_QUADS))
    assert canonical_quads(store) == before
    assert len(before) == 3


def test_trig_export_parses_back(store):
    store.replace_graphs({G1: [triple("a", "name", "A")], G2: [triple("b", "name", "B")]})
    quads = list(ox.parse(b"".join(store.export("trig")), format=ox.RdfFormat.TRIG))
    assert sorted(q.graph_name.value for q in quads) == [G1, G2]


def test_stats_count_only_the_graphs_santegraph_sees(store):
    """`santegraph stats` listed Virtuoso's system graphs (and counted their classes) though
    remote_hidden_graphs names them; on every backend it shows santegraph's graphs only."""
    from santegraph.stats import collect_stats, format_stats

    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    store.replace_graphs(
        {G1: [ox.Triple(ox.NamedNode(EX + "a"), rdf_type, ox.NamedNode(EX + "Thing"))]}
    )
    stats = collect_stats(store)
    assert stats.graphs == [(G1, 1)]
    assert stats.triples == 1
    assert stats.classes == [(EX + "Thing", 1)]
    assert "openlinksw" not in format_stats(stats)
