"""`/ontology`, `/ontology.ttl` and `/def`: the documentation generated from the store.

The real ontology file is loaded into its named graph on every backend; the expected terms
are read from the Turtle file independently (rdflib), so the page cannot drop a term
without a test failing.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from bs4 import BeautifulSoup
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from santegraph.config import load_settings
from santegraph.web import create_app

from .conftest import BASE, MINI, ROOT

ONTOLOGY = ROOT / "ontology" / "santegraph.ttl"
GRAPH = BASE + "graph/ontology/santegraph"
SG = "https://w3id.org/santegraph/def#"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


def load_ontology(store, path=ONTOLOGY, data: bytes | None = None) -> None:
    if data is None:
        quads = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
    else:
        quads = ox.parse(data, format=ox.RdfFormat.TURTLE)
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads]
    store.replace_graphs({GRAPH: triples})


def make_client(store):
    settings = load_settings({"content_dir": str(MINI), "base_iri": BASE}, environ={})
    return create_app(settings, store=store).test_client()


@pytest.fixture(scope="module")
def turtle_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def expected_terms(turtle_graph) -> dict[str, tuple[str, str]]:
    """local name -> (French label, English label) of every sg: class and property."""
    terms = {}
    for kind in KINDS:
        for term in turtle_graph.subjects(RDF.type, kind):
            if not str(term).startswith(SG):
                continue
            labels = {lit.language: str(lit) for lit in turtle_graph.objects(term, RDFS.label)}
            terms[str(term)[len(SG) :]] = (labels["fr"], labels["en"])
    return terms


@pytest.fixture
def client(store):
    load_ontology(store)
    return make_client(store)


@pytest.fixture
def soup(client) -> BeautifulSoup:
    response = client.get("/ontology", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def article(soup: BeautifulSoup, local: str):
    found = soup.find(id=local)
    assert found is not None, f"no element with id {local!r}"
    return found


def hrefs(element) -> list[str]:
    return [a["href"] for a in element.find_all("a")]


# ------------------------------------------------------------------ the HTML page


def test_every_class_and_property_has_its_anchor_and_labels(soup, expected_terms):
    assert len(expected_terms) > 150  # the extraction itself is not vacuous
    missing = [local for local in expected_terms if soup.find(id=local) is None]
    assert missing == []
    for local, (french, english) in expected_terms.items():
        element = article(soup, local)
        assert element.h3.span.get_text(strip=True) == french, local
        assert element.h3.span["lang"] == "fr"
        assert english in element.find(class_="libelle-en").get_text(), local
        assert element.find(class_="definition").get_text(strip=True), local
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids)), "an anchor id is used twice"


def test_terms_are_in_their_sections(soup, turtle_graph):
    sections = {
        "section-classes": OWL.Class,
        "section-proprietes-objet": OWL.ObjectProperty,
        "section-proprietes-donnees": OWL.DatatypeProperty,
        "section-proprietes-annotation": OWL.AnnotationProperty,
    }
    for section_id, kind in sections.items():
        section = soup.find(id=section_id).find_parent("section")
        shown = {a["id"] for a in section.find_all("article")}
        expected = {
            str(t)[len(SG) :]
            for t in turtle_graph.subjects(RDF.type, kind)
            if str(t).startswith(SG)
        }
        assert shown == expected, section_id


def test_header(soup):
    header = soup.find("div", class_="ontologie").header
    text = header.get_text(" ", strip=True)
    assert header.h1.get_text(strip=True).startswith("santegraph : vocabulaire")
    assert "coordination territoriale en santé" in text
    assert "0.1.0" in text
    assert "https://w3id.org/santegraph/def#" in text
    assert "Préfixe préféré sg" in text
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" in hrefs(header)
    vocabularies = header.find("ul", class_="vocabulaires")
    assert "http://www.w3.org/ns/org#" in hrefs(vocabularies)
    assert "org:" in vocabularies.get_text()


def test_cpts_sits_in_the_dispositif_tree_with_its_ancestors_linked(soup):
    cpts = article(soup, "CPTS")
    assert hrefs(cpts.find(class_="ascendance")) == ["#Dispositif", "#ExerciceCoordonne"]
    assert set(hrefs(cpts.find(class_="parents"))) == {"#ExerciceCoordonne", "#Acteur"}
    # nested: CPTS's list item is inside ExerciceCoordonne's, itself inside Dispositif's
    enclosing = [li.find("article")["id"] for li in cpts.find_parent("li").find_parents("li")]
    assert enclosing == ["ExerciceCoordonne", "Dispositif"]
    # and named, without a second anchor, under its other parent
    acteur_item = article(soup, "Acteur").find_parent("li")
    also = acteur_item.find("p", class_="muted", recursive=False)
    assert "#CPTS" in hrefs(also)
    assert len(soup.find_all(id="CPTS")) == 1


def test_definitions_domains_alignments_and_source_terms(soup):
    porte = article(soup, "porte")
    text = porte.get_text(" ", strip=True)
    assert "Domaine attendu" in text and "#Acteur" in hrefs(porte)
    assert "Codomaine" in text and "#Dispositif" in hrefs(porte)

    acteur = article(soup, "Acteur")
    alignments = acteur.find("ul", class_="alignements")
    assert "https://schema.org/Organization" in hrefs(alignments)
    assert "http://www.w3.org/ns/org#Organization" in alignments.get_text()  # the IRI, shown

    territoire_desservi = article(soup, "territoireDesservi")
    assert "#Territoire" in hrefs(territoire_desservi)
    assert "http://purl.org/dc/terms/spatial" in hrefs(territoire_desservi)

    cpts = article(soup, "CPTS")
    assert cpts.find(class_="terme-source").get_text(" ", strip=True) == "« CPTS »"
    assert BASE + "source/002_017d9451b3d5fdac" in hrefs(cpts.find("ul", class_="documents"))

    deduit = article(soup, "lienThematiqueDeduit")
    assert "#lienThematique" in hrefs(deduit)  # super-property linked to its anchor


def test_source_documents_get_their_titles_when_the_store_describes_them(store):
    load_ontology(store)
    doc = ox.NamedNode(BASE + "source/002_017d9451b3d5fdac")
    store.add_to_graphs(
        {
            BASE + "graph/sources/002": [
                ox.Triple(
                    doc,
                    ox.NamedNode("http://purl.org/dc/terms/title"),
                    ox.Literal("Compte rendu du CTS", language="fr"),
                ),
                ox.Triple(doc, ox.NamedNode(SG + "nomFichier"), ox.Literal("002.txt")),
            ]
        }
    )
    page = BeautifulSoup(make_client(store).get("/ontology").data, "html.parser")
    documents = article(page, "CPTS").find("ul", class_="documents").get_text(" ", strip=True)
    assert "Compte rendu du CTS" in documents and "002.txt" in documents


def test_the_page_uses_a_few_queries_not_one_per_term(store, monkeypatch):
    load_ontology(store)
    client = make_client(store)
    calls = []
    solutions = store._solutions

    def counting(query):
        calls.append(query)
        return solutions(query)

    monkeypatch.setattr(store, "_solutions", counting)
    assert client.get("/ontology").status_code == 200
    assert 0 < len(calls) <= 4


def test_a_reload_of_the_ontology_shows_at_once(store):
    load_ontology(store)
    client = make_client(store)
    assert "communauté professionnelle territoriale de santé" in client.get("/ontology").text
    changed = ONTOLOGY.read_bytes().replace(
        b'"communaut\xc3\xa9 professionnelle territoriale de sant\xc3\xa9"@fr',
        b'"CPTS renomm\xc3\xa9e"@fr',
    )
    load_ontology(store, data=changed)
    page = BeautifulSoup(client.get("/ontology").data, "html.parser")
    assert article(page, "CPTS").h3.span.get_text(strip=True) == "CPTS renommée"


HOSTILE = b"""
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/santegraph/def> a owl:Ontology ;
    rdfs:label "<img src=x onerror=alert(2)>"@fr .
sg:Piege a owl:Class ;
    rdfs:label "<script>alert(1)</script>"@fr, "trap\\" onmouseover=\\"alert(3)"@en ;
    skos:definition "</dd><script>alert(4)</script>"@fr ;
    rdfs:seeAlso <javascript:alert(5)> .
"""


def test_hostile_labels_are_escaped_and_script_iris_are_not_links(store):
    load_ontology(store, data=HOSTILE)
    response = make_client(store).get("/ontology")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html.lower()
    page = BeautifulSoup(html, "html.parser")
    assert page.find("script") is None and page.find("img") is None
    piege = article(page, "Piege")
    assert piege.h3.span.get_text(strip=True) == "<script>alert(1)</script>"
    assert not any(tag.has_attr("onmouseover") for tag in page.find_all(True))


def test_without_the_ontology_graph_the_page_says_so(store):
    client = make_client(store)
    response = client.get("/ontology")
    assert response.status_code == 404
    assert "pas chargée" in response.get_data(as_text=True)
    assert client.get("/ontology.ttl").status_code == 404


# ------------------------------------------------------------------ RDF and negotiation


def test_ontology_ttl_is_the_ontology_graph(client, store, turtle_graph):
    response = client.get("/ontology.ttl")
    assert response.status_code == 200
    assert response.mimetype == "text/turtle"
    served = rdflib.Graph().parse(data=response.data, format="turtle")
    stored = rdflib.Graph().parse(
        data=ox.serialize(
            [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in store.quads()
                if q.graph_name == ox.NamedNode(GRAPH)
            ],
            format=ox.RdfFormat.N_TRIPLES,
        ),
        format="nt",
    )
    assert len(served) == len(stored) == len(turtle_graph)
    assert isomorphic(served, stored)
    assert isomorphic(served, turtle_graph)


@pytest.mark.parametrize(
    "accept,media_type,rdf_format",
    [
        ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
        (
            "application/ld+json;q=0.5, text/turtle;q=0.9, text/html;q=0.1",
            "text/turtle",
            ox.RdfFormat.TURTLE,
        ),
    ],
)
def test_content_negotiation_serves_rdf(client, turtle_graph, accept, media_type, rdf_format):
    response = client.get("/ontology", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.mimetype_params["charset"] == "utf-8"  # the labels are French
    assert "Accept" in response.headers["Vary"]
    triples = list(ox.parse(response.data, format=rdf_format))
    assert len(triples) == len(turtle_graph)
    cpts = ox.NamedNode(SG + "CPTS")
    assert any(t.subject == cpts for t in triples)


@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, None, "*/*", "image/png"])
def test_content_negotiation_defaults_to_html(client, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/ontology", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]
    assert 'rel="alternate"; type="text/turtle"' in response.headers["Link"]


@pytest.mark.parametrize(
    "accept,location",
    [
        (BROWSER_ACCEPT, "/ontology"),
        (None, "/ontology"),
        ("text/turtle", "/ontology.ttl"),
        ("application/ld+json", "/ontology.jsonld"),
    ],
)
def test_the_namespace_path_redirects_with_303(client, accept, location):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/def", headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(location)
    assert "Accept" in response.headers["Vary"]
    followed = client.get(response.headers["Location"], headers=headers)
    assert followed.status_code == 200
