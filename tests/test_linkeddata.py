"""Linked Data: `/id/...` dereferencing, `/.well-known/void`, `/dump.nq.gz`, `/context.jsonld`.

On every backend, with a small real sample: the ontology and the feuille de route of
document 002, parsed against the configured base IRI into their named graphs.
"""

from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare
from bs4 import BeautifulSoup
from rdflib.namespace import RDF, SKOS, VOID

from santegraph.config import load_settings
from santegraph.web import create_app

from .conftest import BASE, MINI, ROOT, live_server

ONTOLOGY = ROOT / "ontology" / "santegraph.ttl"
FEUILLE = ROOT / "data" / "sources" / "002_017d9451b3d5fdac" / "feuille-de-route.ttl"
SG = "https://w3id.org/santegraph/def#"
CPAM = "acteur/cpam-de-lille-douai"
ACTION_3 = "action/metropole-flandres/3"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HOSTILE = "<script>alert(1)</script>"


def load_sample(store, base: str = BASE) -> None:
    """One replacement per graph: single-graph writes go through the Graph Store Protocol."""
    for path, graph in (
        (ONTOLOGY, "graph/ontology/santegraph"),
        (FEUILLE, "graph/sources/002_017d9451b3d5fdac"),
    ):
        quads = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=base)
        store.replace_graphs(
            {base + graph: [ox.Triple(q.subject, q.predicate, q.object) for q in quads]}
        )


def make_client(store, base: str = BASE):
    settings = load_settings({"content_dir": str(MINI), "base_iri": base}, environ={})
    return create_app(settings, store=store).test_client()


@pytest.fixture
def client(store):
    load_sample(store)
    return make_client(store)


def soup_of(response) -> BeautifulSoup:
    assert response.mimetype == "text/html", response.get_data(as_text=True)[:300]
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def section_links(section) -> dict[str, list[str]]:
    """href -> texts of the links of a <dl> section, per <dt> property text."""
    out: dict[str, list[str]] = {}
    current = ""
    for item in section.find("dl").find_all(["dt", "dd"], recursive=False):
        if item.name == "dt":
            current = item.get_text(" ", strip=True)
        else:
            for a in item.find_all("a"):
                out.setdefault(current, []).append(a["href"])
    return out


def parse(data: bytes, fmt: str) -> rdflib.Graph:
    """The triples of an RDF answer (quad syntaxes read by pyoxigraph, graphs dropped)."""
    if fmt in ("nquads", "trig"):
        syntax = ox.RdfFormat.N_QUADS if fmt == "nquads" else ox.RdfFormat.TRIG
        quads = ox.parse(data, format=syntax)
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
        data, fmt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), "nt"
    return rdflib.Graph().parse(data=data, format=fmt)


def inline_context(client, data: bytes) -> bytes:
    """A JSON-LD document with its context URL replaced by the context this app publishes
    (rdflib would fetch the URL over the network)."""
    document = json.loads(data)
    assert document["@context"] == "http://localhost/context.jsonld"
    document["@context"] = json.loads(client.get("/context.jsonld").data)["@context"]
    return json.dumps(document).encode()


# --------------------------------------------------------------------- HTML page
def test_actor_page_shows_label_type_properties_incoming_links_and_sources(client):
    response = client.get("/id/" + CPAM, headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["Vary"] == "Accept"
    soup = soup_of(response)
    assert soup.find("h1").get_text(strip=True) == "CPAM de Lille-Douai"
    assert soup.find("code", class_="iri").get_text() == BASE + CPAM
    type_link = soup.find(class_="types").find("a")
    assert type_link["href"] == "/ontology#OrganismeProtectionSociale"
    assert type_link.get_text(strip=True) == "organisme de protection sociale"

    properties = section_links(soup.find(id="proprietes"))
    # the property is named by its ontology label and links to the ontology page
    membre = soup.find(id="proprietes").find("a", href="/ontology#membreDe")
    assert membre.get_text(strip=True) == "membre de"
    assert properties["membre de"] == ["/id/acteur/assurance-maladie"]
    literal = soup.find(id="proprietes").find("span", lang="fr", string="CPAM de Lille-Douai")
    assert literal is not None

    incoming = section_links(soup.find(id="liens-entrants"))
    assert "/id/" + ACTION_3 in incoming["porteur"]
    assert incoming["partenaire"] == ["/id/feuille-de-route/metropole-flandres"]
    action = soup.find(id="liens-entrants").find("a", href="/id/" + ACTION_3)
    assert action.get_text(strip=True).startswith("Favoriser, par des actions adaptées")

    sources = soup.find(id="sources")
    hrefs = [a["href"] for a in sources.find_all("a")]
    assert "/id/source/002_017d9451b3d5fdac/feuille-de-route" in hrefs
    assert "/id/source/002_017d9451b3d5fdac" in hrefs  # the document the section belongs to
    assert "/id/graph/sources/002_017d9451b3d5fdac" in hrefs  # the named graph
    alternates = [a["href"] for a in soup.find(class_="formats").find_all("a")]
    assert alternates == [
        "/id/" + CPAM + ext for ext in (".ttl", ".jsonld", ".nt", ".nq", ".trig", ".rdf")
    ]


def test_every_link_of_a_page_dereferences(client):
    soup = soup_of(client.get("/id/" + ACTION_3, headers={"Accept": BROWSER}))
    local = {a["href"] for a in soup.find("main").find_all("a") if a["href"].startswith("/id/")}
    assert len(local) > 10
    for href in sorted(local):
        assert client.get(href).status_code == 200, href


def test_hostile_label_is_escaped(store):
    load_sample(store)
    node = ox.NamedNode(BASE + "acteur/hostile")
    store.replace_graphs(
        {
            BASE + "graph/local/hostile": [
                ox.Triple(node, ox.NamedNode(SKOS.prefLabel), ox.Literal(HOSTILE, language="fr")),
                ox.Triple(node, ox.NamedNode(SG + "citation"), ox.Literal(HOSTILE + "&")),
                ox.Triple(
                    node, ox.NamedNode(SG + "membreDe"), ox.NamedNode(BASE + "acteur/" + "x%22y")
                ),
            ]
        }
    )
    response = make_client(store).get("/id/acteur/hostile", headers={"Accept": BROWSER})
    html = response.get_data(as_text=True)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    soup = soup_of(response)
    assert soup.find("h1").get_text(strip=True) == HOSTILE
    assert soup.find("script") is None


def test_blank_nodes_are_closed_over(store):
    load_sample(store)
    node = ox.NamedNode(BASE + "territoire/import")
    activity = ox.BlankNode()
    store.replace_graphs(
        {
            BASE + "graph/local/bnodes": [
                ox.Triple(node, ox.NamedNode(RDFS_LABEL), ox.Literal("Import", language="fr")),
                ox.Triple(node, ox.NamedNode(PROV_GENERATED), activity),
                ox.Triple(activity, ox.NamedNode(str(RDF.type)), ox.NamedNode(PROV_ACTIVITY)),
                ox.Triple(activity, ox.NamedNode(RDFS_LABEL), ox.Literal("santegraph import")),
            ]
        }
    )
    client = make_client(store)
    graph = parse(client.get("/id/territoire/import.ttl").data, "turtle")
    (blank,) = graph.objects(rdflib.URIRef(node.value), rdflib.URIRef(PROV_GENERATED))
    assert isinstance(blank, rdflib.BNode)
    assert (blank, RDF.type, rdflib.URIRef(PROV_ACTIVITY)) in graph
    soup = soup_of(client.get("/id/territoire/import", headers={"Accept": BROWSER}))
    nested = soup.find(id="proprietes").find("dl", class_="noeud-anonyme")
    assert nested is not None
    assert "santegraph import" in nested.get_text()


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV_GENERATED = "http://www.w3.org/ns/prov#wasGeneratedBy"
PROV_ACTIVITY = "http://www.w3.org/ns/prov#Activity"


# --------------------------------------------------------------------- RDF representations
FORMATS = [  # every RDF syntax pyoxigraph writes
    ("text/turtle", ".ttl", "turtle"),
    ("application/ld+json", ".jsonld", "json-ld"),
    ("application/n-triples", ".nt", "nt"),
    ("application/n-quads", ".nq", "nquads"),
    ("application/trig", ".trig", "trig"),
    ("application/rdf+xml", ".rdf", "xml"),
]


@pytest.mark.parametrize("media_type,ext,fmt", FORMATS)
def test_rdf_by_accept_and_by_extension(client, media_type, ext, fmt):
    cpam = rdflib.URIRef(BASE + CPAM)
    by_accept = client.get("/id/" + CPAM, headers={"Accept": media_type})
    by_extension = client.get("/id/" + CPAM + ext)
    for response in (by_accept, by_extension):
        assert response.status_code == 200
        assert response.mimetype == media_type
        assert response.mimetype_params["charset"] == "utf-8"  # JSON-LD too: labels in French
    assert by_accept.headers["Content-Location"] == "/id/" + CPAM + ext
    assert by_accept.headers["Vary"] == "Accept"
    graphs = [
        parse(inline_context(client, r.data) if ext == ".jsonld" else r.data, fmt)
        for r in (by_accept, by_extension)
    ]
    assert rdflib.compare.isomorphic(graphs[0], graphs[1])
    graph = graphs[0]
    assert (cpam, SKOS.prefLabel, rdflib.Literal("CPAM de Lille-Douai", lang="fr")) in graph
    assert (cpam, RDF.type, rdflib.URIRef(SG + "OrganismeProtectionSociale")) in graph
    assert (
        cpam,
        rdflib.URIRef(SG + "membreDe"),
        rdflib.URIRef(BASE + "acteur/assurance-maladie"),
    ) in graph
    # incoming links are part of the description
    assert (rdflib.URIRef(BASE + ACTION_3), rdflib.URIRef(SG + "porteur"), cpam) in graph


def test_quads_keep_the_named_graph_of_each_statement(client):
    """N-Quads and TriG say which graph holds each statement (the HTML page's sources)."""
    response = client.get("/id/" + CPAM, headers={"Accept": "application/n-quads"})
    quads = list(ox.parse(response.data, format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads if q.subject == ox.NamedNode(BASE + CPAM)}
    assert graphs == {BASE + "graph/sources/002_017d9451b3d5fdac"}


@pytest.mark.parametrize("accept", [None, "*/*", "text/*;q=0.1, */*"])
def test_any_type_gets_turtle(client, accept):
    """curl, requests, wget send */* (or nothing): they get data, Turtle, not the HTML page."""
    headers = {"Accept": accept} if accept else {}
    response = client.get("/id/" + CPAM, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    assert response.headers["Vary"] == "Accept"
    assert (rdflib.URIRef(BASE + CPAM), RDF.type, None) in parse(response.data, "turtle")


@pytest.mark.parametrize(
    "accept, media_type",
    [
        (BROWSER, "text/html"),
        ("text/plain, */*;q=0.1", "application/n-triples"),  # rdflib's format="nt"
        ("application/rdf+xml, */*;q=0.1", "application/rdf+xml"),  # rdflib's format="xml"
        ("application/json", "application/ld+json"),
        ("application/x-turtle", "text/turtle"),
        ("application/trig;q=0.9, application/n-quads", "application/n-quads"),
        ("text/turtle;charset=utf-8", "text/turtle"),
    ],
)
def test_accept_chooses_among_every_syntax(client, accept, media_type):
    response = client.get("/id/" + CPAM, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Vary"] == "Accept"


def test_a_type_nothing_matches_is_a_406(client):
    response = client.get("/id/" + CPAM, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.headers["Vary"] == "Accept"
    text = response.get_data(as_text=True)
    assert "text/html" in text and "application/n-quads" in text


def test_head_has_the_headers_of_get(client):
    for accept in ("text/turtle", "application/ld+json", BROWSER):
        get = client.get("/id/" + CPAM, headers={"Accept": accept})
        head = client.head("/id/" + CPAM, headers={"Accept": accept})
        assert head.status_code == 200 and head.data == b""
        for name in ("Content-Type", "Content-Length", "Vary", "Content-Location", "Link"):
            assert head.headers.get(name) == get.headers.get(name), name


def test_jsonld_profiles(client):
    """JSON-LD 1.1, 9.1: the profile parameter of Accept asks for a document form."""
    expanded_profile = 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"'
    expanded = client.get("/id/" + CPAM, headers={"Accept": expanded_profile})
    assert expanded.mimetype == "application/ld+json"
    nodes = {node["@id"]: node for node in json.loads(expanded.data)}  # no context
    assert nodes[BASE + CPAM][str(SKOS.prefLabel)] == [
        {"@value": "CPAM de Lille-Douai", "@language": "fr"}
    ]
    assert "Content-Location" not in expanded.headers  # the .jsonld URL is compacted
    for profile in ("compacted", "flattened"):
        accept = f'application/ld+json;profile="http://www.w3.org/ns/json-ld#{profile}"'
        document = json.loads(client.get("/id/" + CPAM, headers={"Accept": accept}).data)
        assert document["@context"] == "http://localhost/context.jsonld"
        assert {node["id"] for node in document["@graph"]} >= {BASE + CPAM}
    graphs = [
        parse(expanded.data, "json-ld"),
        parse(inline_context(client, client.get("/id/" + CPAM + ".jsonld").data), "json-ld"),
    ]
    assert rdflib.compare.isomorphic(*graphs)


@pytest.mark.parametrize("fmt", ["nt", "xml", "turtle", "json-ld", "trig", None])
def test_rdflib_reads_a_resource_from_a_live_server(store, fmt):
    """rdflib's Graph().parse(url, format=...) sends the Accept of that format (text/plain
    for nt, RDF/XML for xml) and reads the answer as that format: it got the HTML page.
    Without a format it asks for every syntax it reads and goes by Content-Type."""
    load_sample(store)
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    app = create_app(settings, store=store)
    with live_server(app) as base:
        if fmt == "trig":  # statements in their named graphs: read into a Dataset
            graph = rdflib.Graph()
            for s, p, o, _ in rdflib.Dataset().parse(base + "/id/" + CPAM, format=fmt).quads():
                graph.add((s, p, o))
        else:
            graph = rdflib.Graph().parse(base + "/id/" + CPAM, format=fmt)
    cpam = rdflib.URIRef(BASE + CPAM)
    assert (cpam, SKOS.prefLabel, rdflib.Literal("CPAM de Lille-Douai", lang="fr")) in graph
    assert (rdflib.URIRef(BASE + ACTION_3), rdflib.URIRef(SG + "porteur"), cpam) in graph
    app.extensions["santegraph"].query_runner.close()


def test_jsonld_is_compacted_with_the_published_context(client):
    document = json.loads(client.get("/id/" + CPAM + ".jsonld").data)
    assert document["@context"] == "http://localhost/context.jsonld"
    nodes = {node["id"]: node for node in document["@graph"]}
    cpam = nodes[BASE + CPAM]
    assert cpam["nom"] == "CPAM de Lille-Douai"
    assert cpam["type"] == "OrganismeProtectionSociale"
    assert cpam["membreDe"] == BASE + "acteur/assurance-maladie"
    assert nodes[BASE + ACTION_3]["porteur"] == BASE + CPAM


def test_unknown_and_invalid_iris(client):
    response = client.get("/id/acteur/personne", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert "Aucune ressource" in soup_of(response).find("main").get_text()
    assert client.get("/id/acteur/personne.ttl").status_code == 404
    assert client.get("/id/acteur/a%20b").status_code == 400


def test_graph_and_dataset_iris_dereference(client, store):
    graph = BASE + "graph/sources/002_017d9451b3d5fdac"
    description = parse(client.get("/id/graph/sources/002_017d9451b3d5fdac.ttl").data, "turtle")
    assert description.value(rdflib.URIRef(graph), VOID.triples).toPython() == store.count_triples(
        graph
    )
    response = client.get("/id/dataset")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/.well-known/void")


def test_another_base_iri_resolves_on_this_server(store):
    base = "http://localhost:5000/id/"
    load_sample(store, base)
    client = make_client(store, base)
    soup = soup_of(client.get("/id/" + CPAM, headers={"Accept": BROWSER}))
    assert soup.find("h1").get_text(strip=True) == "CPAM de Lille-Douai"
    incoming = section_links(soup.find(id="liens-entrants"))
    assert "/id/" + ACTION_3 in incoming["porteur"]
    graph = parse(client.get("/id/" + CPAM + ".nt").data, "nt")
    assert (rdflib.URIRef(base + CPAM), SKOS.prefLabel, None) in graph
    assert client.get("/id/" + CPAM.replace("lille", "paris")).status_code == 404


# --------------------------------------------------------------------- VoID, dump, context
def test_void_describes_the_dataset(client, store):
    response = client.get("/.well-known/void")
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    as_jsonld = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert as_jsonld.mimetype_params["charset"] == "utf-8"
    graph = parse(response.data, "turtle")
    dataset = rdflib.URIRef(BASE + "dataset")
    assert (dataset, RDF.type, VOID.Dataset) in graph
    assert graph.value(dataset, VOID.triples).toPython() == store.count_triples()
    assert str(graph.value(dataset, VOID.sparqlEndpoint)) == "http://localhost/sparql"
    assert str(graph.value(dataset, VOID.dataDump)) == "http://localhost/dump.nq.gz"
    assert str(graph.value(dataset, VOID.uriSpace)) == BASE
    subsets = {
        str(s): graph.value(s, VOID.triples).toPython() for s in graph.objects(dataset, VOID.subset)
    }
    assert subsets == dict(store.graph_sizes())
    assert rdflib.URIRef(SG) in set(graph.objects(dataset, VOID.vocabulary))
    assert str(graph.value(dataset, rdflib.URIRef("http://purl.org/dc/terms/license"))).startswith(
        "https://www.etalab.gouv.fr/licence-ouverte"
    )
    as_jsonld = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert as_jsonld.mimetype == "application/ld+json"
    assert rdflib.compare.isomorphic(parse(as_jsonld.data, "json-ld"), graph)


def test_void_lists_the_source_documents(store):
    load_sample(store)
    doc = ox.NamedNode(BASE + "source/002_017d9451b3d5fdac")
    store.replace_graphs(
        {
            BASE + "graph/local/doc": [
                ox.Triple(doc, ox.NamedNode(str(RDF.type)), ox.NamedNode(SG + "DocumentSource")),
                ox.Triple(
                    doc,
                    ox.NamedNode("http://purl.org/dc/terms/title"),
                    ox.Literal("Procès-verbal", language="fr"),
                ),
            ]
        }
    )
    graph = parse(make_client(store).get("/.well-known/void").data, "turtle")
    sources = list(
        graph.objects(
            rdflib.URIRef(BASE + "dataset"), rdflib.URIRef("http://purl.org/dc/terms/source")
        )
    )
    assert sources == [rdflib.URIRef(doc.value)]


def test_dump_is_gzip_nquads_of_the_whole_store(client, store):
    response = client.get("/dump.nq.gz")
    assert response.status_code == 200
    assert response.mimetype == "application/gzip"
    assert "Content-Encoding" not in response.headers
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.is_streamed
    quads = list(ox.parse(gzip.decompress(response.data), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == store.count_triples() > 1000
    assert {q.graph_name.value for q in quads} == set(store.list_graphs())


def test_context_maps_readable_keys(client):
    response = client.get("/context.jsonld")
    assert response.mimetype == "application/ld+json"
    assert response.mimetype_params["charset"] == "utf-8"
    context = json.loads(response.data)["@context"]
    assert context["nom"] == {"@id": str(SKOS.prefLabel)}
    assert context["territoireDesservi"] == {"@id": "sg:territoireDesservi", "@type": "@id"}
    assert context["porteur"]["@type"] == "@id"
    assert context["Action"] == "sg:Action"
    assert context["sg"] == SG
    # the keys it claims expand to the IRIs they name (rdflib's JSON-LD processor)
    document = {
        "@context": context,
        "id": BASE + "x",
        "type": "Action",
        "nom": "Une action",
        "porteur": BASE + "y",
    }
    graph = rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
    x = rdflib.URIRef(BASE + "x")
    assert (x, RDF.type, rdflib.URIRef(SG + "Action")) in graph
    assert (x, SKOS.prefLabel, rdflib.Literal("Une action", lang="fr")) in graph
    assert (x, rdflib.URIRef(SG + "porteur"), rdflib.URIRef(BASE + "y")) in graph
