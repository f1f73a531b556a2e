"""Formats: the media types each query form is answered in, the short names people give
them (``santegraph query --format NAME``, ``/sparql?format=NAME``), and the RDF syntaxes
santegraph writes wherever it serves RDF (graph answers, Linked Data descriptions, the
Graph Store, the service description, the dataset description).

The command line and the SPARQL endpoint read the same names here, so a name means the
same thing in both (``tests/test_formats.py``). A name may mean another media type for
graph results (CONSTRUCT, DESCRIBE) than for solutions (SELECT, ASK): ``xml`` is SPARQL
XML results for a SELECT and RDF/XML for a CONSTRUCT, as SPARQLWrapper means it.
"""

from __future__ import annotations

import pyoxigraph as ox

# The RDF syntaxes pyoxigraph writes, as served over HTTP: media type -> (file extension
# of a URL that forces it, pyoxigraph format). The first is the default.
RDF_SYNTAXES = {
    "text/turtle": ("ttl", ox.RdfFormat.TURTLE),
    "application/ld+json": ("jsonld", ox.RdfFormat.JSON_LD),
    "application/n-triples": ("nt", ox.RdfFormat.N_TRIPLES),
    "application/n-quads": ("nq", ox.RdfFormat.N_QUADS),
    "application/trig": ("trig", ox.RdfFormat.TRIG),
    "application/rdf+xml": ("rdf", ox.RdfFormat.RDF_XML),
}
# Other media types clients send for these syntaxes (rdflib asks N-Triples as text/plain,
# JSON clients JSON-LD as application/json): the answer carries the syntax's own type.
RDF_MEDIA_TYPE_ALIASES = {
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json": "application/ld+json",
    "application/json+ld": "application/ld+json",
}
# JSON-LD document forms a client may ask for with Accept's profile parameter (JSON-LD 1.1
# section 9.1); a description is compacted with the published context unless asked.
JSONLD_PROFILES = {
    "http://www.w3.org/ns/json-ld#compacted": "compacted",
    "http://www.w3.org/ns/json-ld#expanded": "expanded",
    "http://www.w3.org/ns/json-ld#flattened": "flattened",
}

# Media types of query results, per kind of result; the first is the default.
RESULT_MEDIA_TYPES = {
    "solutions": (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ),
    "graph": (
        "text/turtle",
        "application/n-triples",
        "application/rdf+xml",
        "application/ld+json",
        "application/n-quads",  # triples of a CONSTRUCT are in the default graph
        "application/trig",
    ),
}

# Short names of the media types; the first name of a media type is the one links show.
FORMAT_NAMES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "xmlrdf": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "nq": "application/n-quads",
    "nquads": "application/n-quads",
    "trig": "application/trig",
}
# Names that mean another media type for graph results (CONSTRUCT, DESCRIBE), looked up
# first for them: SPARQLWrapper sends format=xml / json / rdf+xml / json-ld / n3.
GRAPH_FORMAT_NAMES = {
    "xml": "application/rdf+xml",
    "rdf": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "json": "application/ld+json",
    "json-ld": "application/ld+json",
    "n3": "text/turtle",
    "n-triples": "application/n-triples",
}
# Other media types clients send for the same formats.
MEDIA_TYPE_ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json+ld": "application/ld+json",
}


def aliases_for(kind: str) -> dict[str, str]:
    """Other media types clients send for the types of ``kind`` results -> the type."""
    table = RDF_MEDIA_TYPE_ALIASES if kind == "graph" else MEDIA_TYPE_ALIASES
    return {a: t for a, t in table.items() if t in RESULT_MEDIA_TYPES[kind]}


def result_kind(form: str) -> str:
    """``graph`` for CONSTRUCT and DESCRIBE, ``solutions`` for SELECT and ASK."""
    return "graph" if form in ("CONSTRUCT", "DESCRIBE") else "solutions"


def all_names() -> list[str]:
    """Every short name, sorted."""
    return sorted(FORMAT_NAMES.keys() | GRAPH_FORMAT_NAMES.keys())


def media_type_for(name: str, form: str) -> str | None:
    """The media type ``name`` (a short name, or a media type or its alias) stands for in
    the answer to a ``form`` query; None when it names none of that form's types."""
    wanted = name.strip().lower()
    graph = result_kind(form) == "graph"
    media_type = (GRAPH_FORMAT_NAMES.get(wanted) if graph else None) or FORMAT_NAMES.get(
        wanted, wanted
    )
    media_type = MEDIA_TYPE_ALIASES.get(media_type, media_type)
    return media_type if media_type in RESULT_MEDIA_TYPES[result_kind(form)] else None


def is_known(name: str) -> bool:
    """Whether ``name`` names a format of some kind of results (a short name, a media type
    or an alias)."""
    wanted = name.strip().lower()
    return any(media_type_for(wanted, form) for form in ("SELECT", "CONSTRUCT"))


def names_for(form: str) -> list[str]:
    """The short names that give a media type in the answer to a ``form`` query."""
    return [name for name in all_names() if media_type_for(name, form)]


def format_name(media_type: str) -> str:
    """The short name shown for a media type (in links, e.g. the editor's downloads)."""
    return next(k for k, v in FORMAT_NAMES.items() if v == media_type)


def check_media_type(form: str, media_type: str | None) -> str:
    """The media type to produce for a query form, or ValueError if it cannot be."""
    allowed = RESULT_MEDIA_TYPES[result_kind(form)]
    if media_type is None:
        return allowed[0]
    if media_type not in allowed:
        raise ValueError(f"{form} results cannot be serialised as {media_type}")
    return media_type
