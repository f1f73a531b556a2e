"""The real class hierarchy answers "all coordination structures" from plain SPARQL, on
every backend (no reasoner: `rdf:type/rdfs:subClassOf*` over the ontology graph)."""

from santegraph.rdfio import parse_file

from .conftest import BASE, ROOT

PREFIXES = """PREFIX sg: <https://w3id.org/santegraph/def#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX org: <http://www.w3.org/ns/org#>
"""


def load(store):
    import pyoxigraph as ox

    ontology = BASE + "graph/ontology/santegraph"
    source = BASE + "graph/sources/002_017d9451b3d5fdac"
    store.replace_graphs(
        {
            ontology: parse_file(
                ROOT / "ontology" / "santegraph.ttl", graph=ox.NamedNode(ontology)
            ),
            source: parse_file(
                ROOT / "data/sources/002_017d9451b3d5fdac/feuille-de-route.ttl",
                base_iri=BASE,
                graph=ox.NamedNode(source),
            ),
        }
    )


def test_all_coordination_structures_in_one_query(store):
    load(store)
    rows = store.select(
        PREFIXES + "SELECT DISTINCT ?x WHERE { ?x a/rdfs:subClassOf* sg:ExerciceCoordonne }"
    )
    found = {r["x"].value.removeprefix(BASE) for r in rows}
    # a CPTS, an MSP and a centre de santé named in the feuille de route
    assert "acteur/cpts-sud-metropole-lilloise" in found
    assert "acteur/msp-du-kruysbellaert" in found
    assert "acteur/centre-de-sante-de-capinghem" in found


def test_integrators_can_query_with_w3c_org_terms(store):
    load(store)
    rows = store.select(
        PREFIXES + "SELECT DISTINCT ?x WHERE { ?x a/rdfs:subClassOf* org:Organization }"
    )
    found = {r["x"].value.removeprefix(BASE) for r in rows}
    assert {"acteur/cpts-sud-metropole-lilloise", "acteur/cpam-de-lille-douai"} <= found
