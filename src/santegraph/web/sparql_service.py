"""What `/sparql` says about itself: the SPARQL 1.1 Service Description, the prefixes
pre-declared in the editor and the example catalogue (``queries/*.rq``).

The service description is built from pyoxigraph terms and serialised by pyoxigraph:
the request URL and graph names reach it only as escaped IRIs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..errors import QueryError
from ..formats import RESULT_MEDIA_TYPES, result_kind
from ..queries import PUBLIC, catalogue
from . import state
from .ontology import PREFIXES as KNOWN_PREFIXES

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"

# Prefixes pre-declared in the editor and used to shorten IRIs in result tables.
EDITOR_PREFIXES = {
    name: KNOWN_PREFIXES[name]
    for name in (
        "sg",
        "skos",
        "dct",
        "prov",
        "org",
        "schema",
        "cv",
        "rdfs",
        "rdf",
        "xsd",
        "foaf",
        "dcat",
    )
}

# W3C format IRIs (https://www.w3.org/ns/formats/) of every media type /sparql serves.
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF_XML",
    "application/ld+json": "JSON-LD",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
}

# RDF media types the service description can be served as.
DESCRIPTION_MEDIA_TYPES = RESULT_MEDIA_TYPES["graph"]

DEFAULT_QUERY_BODY = """\
# Les acteurs et dispositifs, avec leur nom
SELECT ?acteur ?nom WHERE {
  ?acteur a/rdfs:subClassOf* sg:Acteur ;
          skos:prefLabel ?nom .
}
ORDER BY ?nom
LIMIT 50
"""


def prologue() -> str:
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in EDITOR_PREFIXES.items())


def default_query() -> str:
    return prologue() + "\n" + DEFAULT_QUERY_BODY


# --------------------------------------------------------------------- service description
def sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)


def service_description(endpoint_url: str) -> list[ox.Triple]:
    """An ``sd:Service`` for the endpoint at ``endpoint_url`` (absolute), with its dataset."""
    store = state().store
    service = ox.NamedNode(endpoint_url)
    triples = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, ox.NamedNode(DCT + "title"), ox.Literal("santegraph", language="fr")),
        ox.Triple(
            service,
            ox.NamedNode(DCT + "description"),
            ox.Literal(
                "Point d'accès SPARQL 1.1 en lecture seule ; le graphe par défaut est "
                "l'union des graphes nommés.",
                language="fr",
            ),
        ),
    ]
    for local in FORMAT_IRIS.values():
        triples.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS + local)))
    # Fixed blank node labels: the same store gives the same bytes (HEAD, caches).
    dataset, default_graph = ox.BlankNode("dataset"), ox.BlankNode("default")
    triples += [
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, sd("Graph")),
    ]
    total = 0
    for i, (graph, size) in enumerate(store.graph_sizes(), start=1):
        named, description = ox.BlankNode(f"named{i}"), ox.BlankNode(f"graph{i}")
        total += size
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, sd("NamedGraph")),
            ox.Triple(named, sd("name"), ox.NamedNode(graph)),
            ox.Triple(named, sd("graph"), description),
            ox.Triple(description, RDF_TYPE, sd("Graph")),
            ox.Triple(description, ox.NamedNode(VOID + "triples"), ox.Literal(size)),
        ]
    # The union keeps duplicates across graphs: the sum of the named graphs' sizes.
    triples.append(ox.Triple(default_graph, ox.NamedNode(VOID + "triples"), ox.Literal(total)))
    return triples


def serialize_description(triples: list[ox.Triple], media_type: str) -> bytes:
    prefixes = {"sd": SD, "void": VOID, "dct": DCT, "formats": FORMATS}
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        data = ox.serialize(triples, format=fmt, prefixes=prefixes)
    else:
        data = ox.serialize(triples, format=fmt)
    assert data is not None  # no output given: the bytes are returned
    return data


# --------------------------------------------------------------------- example catalogue
@dataclass(frozen=True)
class Example:
    name: str
    title: str
    description: str
    form: str
    text: str

    @property
    def kind(self) -> str:
        return result_kind(self.form)


def examples() -> list[Example]:
    """The public named queries (``queries/*.rq``), in file order; unreadable forms are
    skipped."""
    out = []
    for query in catalogue(PUBLIC):
        try:
            form = query.form
        except QueryError:
            continue
        out.append(
            Example(query.name, query.title or query.name, query.description, form, query.text)
        )
    return out
