"""Linked Data: every IRI the data mints dereferences; dataset description; dump; context.

* ``/id/<rest>`` describes ``<base_iri><rest>``, whatever ``base_iri`` is configured: with
  ``http://host/id/`` the IRIs resolve on this server directly; with the default
  ``https://w3id.org/santegraph/id/`` a redirect service points here. Browsers get a
  French HTML page (label, types, every property, incoming links, source documents);
  ``Accept`` negotiates every RDF syntax pyoxigraph writes (``formats.RDF_SYNTAXES``:
  Turtle, JSON-LD compacted with ``/context.jsonld`` or expanded by its ``profile``,
  N-Triples, N-Quads and TriG with each statement's named graph, RDF/XML); ``*/*`` or no
  ``Accept`` gets Turtle, a type nothing matches a 406; the extensions (``.ttl``,
  ``.jsonld``, ``.nt``, ``.nq``, ``.trig``, ``.rdf``, ``.html``) force one. The description
  is the resource's triples as subject (closed over the blank nodes they reach, two
  levels deep) plus the triples pointing to it (at most :data:`INCOMING_LIMIT`). An IRI
  the store holds neither as subject, object nor named graph is a 404. A named graph IRI
  is described by its VoID statistics; ``<base>dataset`` redirects to the VoID document.
* ``/.well-known/void``: VoID + DCAT description of the dataset, computed from the store
  (sizes per named graph, source documents, vocabularies); Turtle by default.
* ``/dump.nq.gz``: every named graph as N-Quads, gzip-compressed while streaming.
* ``/context.jsonld``: JSON-LD context generated from the ontology graph of the store.

IRIs are built with :class:`pyoxigraph.NamedNode` (which rejects invalid IRIs) and bound
into the ``rq/resource_*.rq`` / ``rq/dataset_*.rq`` queries with
:func:`santegraph.queries.bind`. Every displayed value is escaped by Jinja; only ``http(s)``
IRIs become links.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pyoxigraph as ox
import rdflib
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..errors import StoreError
from ..formats import JSONLD_PROFILES, RDF_MEDIA_TYPE_ALIASES, RDF_SYNTAXES
from ..iris import inferences_graph
from ..queries import INTERNAL, BindingValue, catalogue
from ..store.base import Term
from ..vocab import NAMESPACE as SG_NAMESPACE
from . import state
from .negotiation import Choice, accepts_anything, negotiate
from .ontology import ONTOLOGY_GRAPH, PREFIXES, curie, safe_href, sort_key

if TYPE_CHECKING:
    from ..directories.freshness import Freshness

bp = Blueprint("linkeddata", __name__)

_Subject = ox.NamedNode | ox.BlankNode
# the statements of the blank nodes of a description, by blank node
_Blanks = dict[_Subject, list[tuple[ox.NamedNode, Term]]]
INCOMING_LIMIT = 1000  # incoming triples shown / serialised per resource
DATASET = "dataset"  # <base>dataset: the IRI of the whole dataset in the VoID description

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
FOAF = "http://xmlns.com/foaf/0.1/"
LICENCE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
IANA = "http://www.iana.org/assignments/media-types/"

# media type -> (extension, pyoxigraph format): the one table (formats.py)
RDF_FORMATS = RDF_SYNTAXES
QUAD_SYNTAXES = ("application/n-quads", "application/trig")  # statements keep their graph
HTML_TYPES = ("text/html", "application/xhtml+xml")
EXTENSIONS = {ext: media for media, (ext, _) in RDF_FORMATS.items()} | {"html": "text/html"}
JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"


# --------------------------------------------------------------------- queries
def _select(name: str, bindings: Mapping[str, BindingValue] | None = None) -> list[dict[str, Any]]:
    try:
        return state().store.select(catalogue(INTERNAL)[name].text, bindings)
    except StoreError as exc:
        abort(503, description=f"Le graphe n'est pas joignable : {exc}")


def _ask(name: str, bindings: Mapping[str, BindingValue]) -> bool:
    try:
        return state().store.ask(catalogue(INTERNAL)[name].text, bindings)
    except StoreError as exc:
        abort(503, description=f"Le graphe n'est pas joignable : {exc}")


def _base() -> str:
    return state().settings.base_iri


# --------------------------------------------------------------------- the description
@dataclass
class Description:
    """What the store says about one IRI, as rows of the two description queries."""

    node: ox.NamedNode
    outgoing: list[tuple[ox.NamedNode, _Subject, ox.NamedNode, Term]]  # g, s, p, o
    incoming: list[tuple[ox.NamedNode, _Subject, ox.NamedNode]]  # g, s, p
    truncated: bool
    graph_size: int  # > 0 when the IRI names a graph of the store

    def quads(self) -> list[ox.Quad]:
        """The description with each statement in the named graph that holds it (the
        graph statistics in the default graph): for N-Quads and TriG."""
        seen: dict[str, ox.Quad] = {}
        for g, s, p, o in self.outgoing:
            quad = ox.Quad(s, p, o, g)
            seen.setdefault(str(quad), quad)
        for g, s, p in self.incoming:
            quad = ox.Quad(s, p, self.node, g)
            seen.setdefault(str(quad), quad)
        if self.graph_size:
            for t in _graph_triples(self.node, self.graph_size):
                quad = ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                seen.setdefault(str(quad), quad)
        return list(seen.values())

    def triples(self) -> list[ox.Triple]:
        """The description as RDF: outgoing (with blank nodes), incoming, graph statistics."""
        seen: dict[str, ox.Triple] = {}
        for _, s, p, o in self.outgoing:
            triple = ox.Triple(s, p, o)
            seen.setdefault(str(triple), triple)
        for _, s, p in self.incoming:
            triple = ox.Triple(s, p, self.node)
            seen.setdefault(str(triple), triple)
        if self.graph_size:
            for triple in _graph_triples(self.node, self.graph_size):
                seen.setdefault(str(triple), triple)
        return list(seen.values())


def _graph_triples(graph: ox.NamedNode, size: int) -> list[ox.Triple]:
    dataset = ox.NamedNode(_base() + DATASET)
    return [
        ox.Triple(graph, ox.NamedNode(RDF + "type"), ox.NamedNode(VOID + "Dataset")),
        ox.Triple(graph, ox.NamedNode(VOID + "triples"), ox.Literal(size)),
        ox.Triple(dataset, ox.NamedNode(VOID + "subset"), graph),
    ]


def describe(node: ox.NamedNode) -> Description | None:
    bindings = {"r": node}
    if not _ask("resource_exists", bindings):
        return None
    outgoing = [
        (row["g"], row["s"], row["p"], row["o"])
        for row in _select("resource_outgoing", bindings)
        if row["g"] is not None and state().store._visible(row["g"].value)
    ]
    incoming_rows = _select("resource_incoming", bindings)
    incoming = [
        (row["g"], row["s"], row["p"])
        for row in incoming_rows[:INCOMING_LIMIT]
        if state().store._visible(row["g"].value)
    ]
    try:
        size = state().store.count_triples(node.value)
    except StoreError as exc:
        abort(503, description=f"Le graphe n'est pas joignable : {exc}")
    return Description(node, outgoing, incoming, len(incoming_rows) > INCOMING_LIMIT, size)


# --------------------------------------------------------------------- HTML model
@dataclass
class Value:
    """One thing shown on the page: a link, a literal, or a blank node with its statements."""

    text: str
    href: str = ""
    iri: str = ""
    lang: str = ""
    datatype: str = ""
    statements: list[tuple[Value, list[Value]]] = field(default_factory=list)  # blank node
    blank: bool = False
    detail: str = ""  # e.g. the file name of a source document


@dataclass
class Page:
    iri: str
    label: str
    label_lang: str
    types: list[Value]
    properties: list[tuple[Value, list[Value]]]
    incoming: list[tuple[Value, list[Value]]]
    truncated: bool
    sections: list[tuple[Value, Value | None]]  # (section, its source document)
    graphs: list[tuple[Value, int]]  # named graphs the statements come from, with counts
    graph_size: int


def _lang_rank(term: object) -> int:
    lang = (getattr(term, "language", None) or "").lower()
    return 0 if lang.startswith("fr") else 1 if not lang else 2


def _labels(iris: Iterable[str]) -> dict[str, ox.Literal]:
    """Best display label of each IRI: prefLabel > rdfs:label > dct:title, French first."""
    wanted = sorted(set(iris))
    best: dict[str, tuple[tuple[int, int, str], ox.Literal]] = {}
    for start in range(0, len(wanted), 500):
        nodes = [ox.NamedNode(iri) for iri in wanted[start : start + 500]]
        for row in _select("resource_labels", {"x": nodes}):
            literal = row["label"]
            rank = (int(row["kind"].value), _lang_rank(literal), literal.value)
            iri = row["x"].value
            if iri not in best or rank < best[iri][0]:
                best[iri] = (rank, literal)
    return {iri: literal for iri, (_, literal) in best.items()}


class PageBuilder:
    def __init__(self, description: Description):
        self.d = description
        self.base = _base()
        iris = {description.node.value}
        for g, s, p, o in description.outgoing:
            iris.update(t.value for t in (g, s, p, o) if isinstance(t, ox.NamedNode))
        for g, s, p in description.incoming:
            iris.update(t.value for t in (g, s, p) if isinstance(t, ox.NamedNode))
        self.labels = _labels(iris)

    def href(self, iri: str) -> str:
        if iri.startswith(self.base) and len(iri) > len(self.base):
            return url_for("linkeddata.resource", rest=iri[len(self.base) :])
        if iri.startswith(SG_NAMESPACE) and len(iri) > len(SG_NAMESPACE):
            return url_for("ontology.page") + "#" + iri[len(SG_NAMESPACE) :]
        return safe_href(iri)

    def value(
        self,
        term: Term,
        blanks: _Blanks | None = None,
        seen: frozenset[Term] = frozenset(),
    ) -> Value:
        if isinstance(term, ox.NamedNode):
            label = self.labels.get(term.value)
            if label is not None:
                text, lang = label.value, label.language or ""
            elif term.value.startswith(self.base) and len(term.value) > len(self.base):
                text, lang = term.value[len(self.base) :], ""
            else:
                text, lang = curie(term.value), ""
            return Value(text, self.href(term.value), term.value, lang)
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value if term.datatype else ""
            if datatype in (XSD + "string", RDF + "langString"):
                datatype = ""
            return Value(
                term.value, lang=term.language or "", datatype=curie(datatype) if datatype else ""
            )
        value = Value("(nœud anonyme)", blank=True)
        if blanks is not None and term not in seen:
            value.statements = self.group(blanks.get(term, []), blanks, seen | {term})
        return value

    def group(
        self,
        pairs: Iterable[tuple[ox.NamedNode, Term]],
        blanks: _Blanks | None = None,
        seen: frozenset[Term] = frozenset(),
    ) -> list[tuple[Value, list[Value]]]:
        by_predicate: dict[ox.NamedNode, list[Term]] = defaultdict(list)
        for p, o in pairs:
            if o not in by_predicate[p]:
                by_predicate[p].append(o)
        out = []
        for p, objects in by_predicate.items():
            values = [self.value(o, blanks, seen) for o in objects]
            values.sort(key=lambda v: (v.blank, v.lang not in ("fr", ""), sort_key(v.text), v.iri))
            out.append((self.value(p), values))
        out.sort(key=lambda item: (item[0].iri != RDFS + "label", sort_key(item[0].text)))
        return out

    def sources(self) -> list[tuple[Value, Value | None]]:
        """Each section the resource is derived from, with the document it belongs to.

        Among a section's ancestors (dct:isPartOf+), the document is the one with a title
        or a file name (a sg:DocumentSource), else the first; a section with a file name of
        its own is the document itself.
        """
        rows = _select("resource_sources", {"r": self.d.node})
        self.labels.update(_labels(row["doc"].value for row in rows if row.get("doc") is not None))
        sections: dict[str, Value] = {}
        docs: dict[str, dict[str, tuple[int, Value]]] = defaultdict(dict)
        for row in rows:
            section = sections.setdefault(row["section"].value, self.value(row["section"]))
            if row.get("sectionFile") is not None:
                section.detail = row["sectionFile"].value
            if row.get("doc") is None:
                continue
            doc = self.value(row["doc"])
            if row.get("file") is not None:
                doc.detail = row["file"].value
            score = 2 * (doc.iri in self.labels) + bool(doc.detail)
            if score >= docs[section.iri].get(doc.iri, (0, None))[0]:
                docs[section.iri][doc.iri] = (score, doc)
        out = []
        for iri, section in sections.items():
            candidates = sorted(docs[iri].values(), key=lambda c: (-c[0], c[1].iri))
            out.append((section, candidates[0][1] if candidates else None))
        return sorted(
            out, key=lambda e: (sort_key(e[1].text) if e[1] else "~", sort_key(e[0].text))
        )

    def build(self) -> Page:
        node = self.d.node
        own: list[tuple[ox.NamedNode, Term]] = []
        blanks: _Blanks = defaultdict(list)
        graphs: dict[str, int] = defaultdict(int)
        types: list[Value] = []
        for g, s, p, o in self.d.outgoing:
            graphs[g.value] += 1
            if s == node:
                if p.value == RDF + "type" and isinstance(o, ox.NamedNode):
                    if o.value not in [t.iri for t in types]:
                        types.append(self.value(o))
                else:
                    own.append((p, o))
            elif (p, o) not in blanks[s]:
                blanks[s].append((p, o))
        for g, _, _ in self.d.incoming:
            graphs[g.value] += 1
        label = self.labels.get(node.value)
        local = node.value[len(self.base) :] if node.value.startswith(self.base) else node.value
        sections = self.sources()
        return Page(
            iri=node.value,
            label=label.value if label is not None else local,
            label_lang=(label.language or "") if label is not None else "",
            types=sorted(types, key=lambda v: sort_key(v.text)),
            properties=self.group(own, blanks),
            incoming=self.group([(p, s) for _, s, p in self.d.incoming]),
            truncated=self.d.truncated,
            sections=sections,
            graphs=[(self.value(ox.NamedNode(g)), n) for g, n in sorted(graphs.items())],
            graph_size=self.d.graph_size,
        )


# --------------------------------------------------------------------- JSON-LD context
REUSED_TERMS = {
    "id": "@id",
    "type": "@type",
    "nom": {"@id": SKOS + "prefLabel"},
    "autreNom": {"@id": SKOS + "altLabel"},
    "definition": {"@id": SKOS + "definition"},
    "libelle": {"@id": RDFS + "label"},
    "commentaire": {"@id": RDFS + "comment"},
    "voirAussi": {"@id": RDFS + "seeAlso", "@type": "@id"},
    "titre": {"@id": DCT + "title"},
    "description": {"@id": DCT + "description"},
    "date": {"@id": DCT + "date"},
    "dateAcceptation": {"@id": DCT + "dateAccepted"},
    "partieDe": {"@id": DCT + "isPartOf", "@type": "@id"},
    "public": {"@id": DCT + "audience", "@type": "@id"},
    "territoire": {"@id": DCT + "spatial", "@type": "@id"},
    "editeur": {"@id": DCT + "publisher", "@type": "@id"},
    "licence": {"@id": DCT + "license", "@type": "@id"},
    "source": {"@id": PROV + "wasDerivedFrom", "@type": "@id"},
    "thematique": {"@id": "http://data.europa.eu/m8g/thematicArea", "@type": "@id"},
    "position": {"@id": "https://schema.org/position"},
    "plusLarge": {"@id": SKOS + "broader", "@type": "@id"},
    "concept": {"@id": SKOS + "inScheme", "@type": "@id"},
}
# Ranges written as native JSON values (numbers, booleans): no type coercion for them.
NATIVE_RANGES = {XSD + "integer", XSD + "decimal", XSD + "double", XSD + "boolean"}


def build_context() -> dict[str, Any]:
    """The JSON-LD context: prefixes, reused terms, then every sg: term of the ontology."""
    graph = ox.NamedNode(_base() + ONTOLOGY_GRAPH)
    terms: dict[str, object] = {"@language": "fr"}
    terms.update(PREFIXES)
    terms.update(REUSED_TERMS)
    kinds: dict[str, set[str]] = defaultdict(set)
    ranges: dict[str, set[str]] = defaultdict(set)
    for row in _select("dataset_context_terms", {"graph": graph}):
        iri = row["term"].value
        kinds[iri].add(row["kind"].value.rsplit("#", 1)[-1])
        if row.get("range") is not None:
            ranges[iri].add(row["range"].value)
    for iri in sorted(kinds):
        local = iri[len(SG_NAMESPACE) :] if iri.startswith(SG_NAMESPACE) else ""
        if not local or local in terms or not local.replace("_", "").isalnum():
            continue  # external terms keep their CURIE; reused keys win on a collision
        kind = kinds[iri]
        if "ObjectProperty" in kind:
            terms[local] = {"@id": "sg:" + local, "@type": "@id"}
        elif "DatatypeProperty" in kind and len(ranges[iri]) == 1:
            (rng,) = ranges[iri]
            if rng == XSD + "string":
                terms[local] = {"@id": "sg:" + local, "@language": None}
            elif rng.startswith(XSD) and rng not in NATIVE_RANGES:
                terms[local] = {"@id": "sg:" + local, "@type": "xsd:" + rng[len(XSD) :]}
            else:
                terms[local] = "sg:" + local
        else:
            terms[local] = "sg:" + local
    return {"@context": terms}


def compact_jsonld(triples: list[ox.Triple], context: dict[str, Any], context_url: str) -> bytes:
    """JSON-LD compacted with the published context, which is referenced by URL."""
    graph = rdflib.Graph()
    if triples:
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    text = graph.serialize(format="json-ld", context=context["@context"], auto_compact=True)
    document = json.loads(text)
    if isinstance(document, dict):
        document["@context"] = context_url
    else:
        document = {"@context": context_url, "@graph": document}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def expanded_jsonld(triples: list[ox.Triple]) -> bytes:
    """JSON-LD in expanded (and flattened) form: full IRIs, no context."""
    graph = rdflib.Graph()
    if triples:
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    document = json.loads(graph.serialize(format="json-ld"))
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def jsonld_form(params: dict[str, str]) -> str:
    """``expanded`` when Accept's profile asks for it, else ``compacted`` (which is also
    flattened: rdflib never embeds a node in another)."""
    forms = {JSONLD_PROFILES.get(p) for p in params.get("profile", "").split()}
    return "expanded" if "expanded" in forms else "compacted"


# --------------------------------------------------------------------- responses
def _serialize(
    triples: list[ox.Triple] | list[ox.Quad], media_type: str, jsonld: str = "compacted"
) -> bytes:
    """Triples (or quads, for N-Quads and TriG) in an RDF syntax of RDF_SYNTAXES."""
    if media_type == "application/ld+json":
        triples = cast(list[ox.Triple], triples)  # JSON-LD is not a quad syntax
        if jsonld == "expanded":
            return expanded_jsonld(triples)
        context_url = url_for("linkeddata.context", _external=True)
        return compact_jsonld(triples, build_context(), context_url)
    rdf_format = RDF_FORMATS[media_type][1]
    with_prefixes = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.RDF_XML)
    prefixes = PREFIXES if rdf_format in with_prefixes else None
    data = ox.serialize(triples, format=rdf_format, prefixes=prefixes)
    assert data is not None  # no output given: the bytes are returned
    return data


def not_acceptable(offered: Iterable[str]) -> Response:
    """406 listing what this resource can be served as."""
    response = Response(
        "None of the media types in Accept can be served here. Available: "
        + ", ".join(offered)
        + ".\n",
        status=406,
        mimetype="text/plain",
    )
    response.headers["Vary"] = "Accept"
    return response


def negotiate_rdf(extra: Iterable[str] = ()) -> Choice | None:
    """The negotiated RDF syntax (Choice) of a resource also offered as ``extra`` (HTML
    first); Turtle for */* or no Accept; None (a 406) when nothing fits."""
    offered = [*extra, *RDF_FORMATS]
    if accepts_anything():
        return negotiate(list(RDF_FORMATS), header="*/*")
    return negotiate(offered, RDF_MEDIA_TYPE_ALIASES)


def _split_extension(rest: str) -> tuple[str, str | None]:
    stem, dot, ext = rest.rpartition(".")
    if dot and stem and ext in EXTENSIONS:
        return stem, EXTENSIONS[ext]
    return rest, None


def _node(rest: str) -> ox.NamedNode:
    try:
        return ox.NamedNode(_base() + rest)
    except ValueError:
        abort(400, description="Ce chemin ne forme pas une IRI valide.")


@bp.get("/id/<path:rest>")
def resource(rest: str) -> ResponseReturnValue:
    stem, forced = _split_extension(rest)
    description = describe(_node(stem)) if forced else None
    if description is None:  # no extension, or an IRI that really ends in ".ttl"
        forced = None
        description = describe(_node(rest))
        stem = rest
    if description is None:
        if stem == DATASET:
            return redirect(url_for("linkeddata.void"), code=303)
        abort(404, description="Aucune ressource ne porte cette IRI dans le graphe.")
    jsonld = "compacted"
    if forced:
        media_type = forced
    else:
        choice = negotiate_rdf(HTML_TYPES)
        if choice is None:
            return not_acceptable([*HTML_TYPES, *RDF_FORMATS])
        media_type = choice.media_type
        if media_type == "application/ld+json":
            jsonld = jsonld_form(choice.params)
    if media_type in RDF_FORMATS:
        statements = description.quads() if media_type in QUAD_SYNTAXES else description.triples()
        body = _serialize(statements, media_type, jsonld)
        response = Response(body, mimetype=media_type)
        response.mimetype_params["charset"] = "utf-8"  # response.charset: gone in Werkzeug 3
        if not forced and jsonld == "compacted":  # the extension URL serves the same bytes
            response.headers["Content-Location"] = url_for(
                "linkeddata.resource", rest=f"{stem}.{RDF_FORMATS[media_type][0]}"
            )
    else:
        page = PageBuilder(description).build()
        fresh, stale = _freshness(description)
        downloads = [
            (ext, media, url_for("linkeddata.resource", rest=f"{stem}.{ext}"))
            for media, (ext, _) in RDF_FORMATS.items()
        ]
        response = Response(
            render_template(
                "resource.html", page=page, downloads=downloads, fresh=fresh, stale=stale
            ),
            mimetype="text/html",
        )
        response.headers["Link"] = ", ".join(
            f'<{href}>; rel="alternate"; type="{media}"' for _, media, href in downloads
        )
    if not forced:
        response.headers["Vary"] = "Accept"
    return response


def _freshness(description: Description) -> tuple[Freshness | None, bool]:
    """When an actor, dispositif or service was last updated or checked, and whether that
    is older than ``stale_after_days`` (directories/freshness.py); (None, False) for any
    other resource."""
    import datetime

    from ..directories.freshness import available, freshness

    settings = state().settings
    if not available(settings):
        return None, False
    fresh = freshness(state().store, settings, [description.node.value]).get(description.node.value)
    if fresh is None:
        return None, False
    limit = datetime.date.today() - datetime.timedelta(days=settings.stale_after_days)
    return fresh, fresh.older_than(limit)


# --------------------------------------------------------------------- VoID / DCAT
def void_triples() -> list[ox.Triple]:
    base = _base()
    store = state().store
    try:
        sizes = store.graph_sizes()
    except StoreError as exc:
        abort(503, description=f"Le graphe n'est pas joignable : {exc}")
    dataset = ox.NamedNode(base + DATASET)
    a = ox.NamedNode(RDF + "type")

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    out = [
        ox.Triple(dataset, a, n(VOID + "Dataset")),
        ox.Triple(dataset, a, n(DCAT + "Dataset")),
        ox.Triple(
            dataset,
            n(DCT + "title"),
            ox.Literal("santegraph : qui fait quoi en santé, ici ?", language="fr"),
        ),
        ox.Triple(
            dataset,
            n(DCT + "title"),
            ox.Literal("santegraph: who does what in health care, here?", language="en"),
        ),
        ox.Triple(
            dataset,
            n(DCT + "description"),
            ox.Literal(
                "Graphe de connaissances de la coordination territoriale en santé en "
                "Hauts-de-France : acteurs, dispositifs, territoires, publics, défis, "
                "propositions et actions issus des concertations du CNR Santé, chaque fait "
                "relié à son document source.",
                language="fr",
            ),
        ),
        ox.Triple(
            dataset,
            n(DCT + "description"),
            ox.Literal(
                "Knowledge graph of territorial health coordination in Hauts-de-France: "
                "actors, schemes, territories, publics, challenges, proposals and actions "
                "from the CNR Santé consultations, each fact linked to its source document.",
                language="en",
            ),
        ),
        ox.Triple(dataset, n(DCT + "license"), n(LICENCE)),
        ox.Triple(n(LICENCE), n(RDFS + "label"), ox.Literal("Licence Ouverte 2.0", language="fr")),
        ox.Triple(dataset, n(FOAF + "homepage"), n(url_for("pages.home", _external=True))),
        ox.Triple(dataset, n(DCAT + "landingPage"), n(url_for("pages.home", _external=True))),
        ox.Triple(dataset, n(VOID + "uriSpace"), ox.Literal(base)),
        ox.Triple(dataset, n(VOID + "triples"), ox.Literal(sum(size for _, size in sizes))),
    ]
    sparql = n(url_for("sparql.endpoint", _external=True))
    dump = n(url_for("linkeddata.dump", _external=True))
    out += [
        ox.Triple(dataset, n(VOID + "sparqlEndpoint"), sparql),
        ox.Triple(dataset, n(VOID + "dataDump"), dump),
        ox.Triple(dataset, n(VOID + "rootResource"), dataset),
    ]
    service, distribution = ox.BlankNode(), ox.BlankNode()
    out += [
        ox.Triple(dataset, n(DCAT + "distribution"), distribution),
        ox.Triple(distribution, a, n(DCAT + "Distribution")),
        ox.Triple(distribution, n(DCAT + "downloadURL"), dump),
        ox.Triple(distribution, n(DCAT + "mediaType"), n(IANA + "application/n-quads")),
        ox.Triple(distribution, n(DCAT + "compressFormat"), n(IANA + "application/gzip")),
        ox.Triple(distribution, n(DCT + "license"), n(LICENCE)),
        ox.Triple(distribution, n(DCAT + "accessService"), service),
        ox.Triple(service, a, n(DCAT + "DataService")),
        ox.Triple(service, n(DCAT + "endpointURL"), sparql),
        ox.Triple(service, n(DCAT + "servesDataset"), dataset),
        ox.Triple(
            service,
            n(DCT + "conformsTo"),
            n("https://www.w3.org/TR/sparql11-protocol/"),
        ),
    ]
    for row in _select("dataset_sources"):
        doc = row["doc"]
        out.append(ox.Triple(dataset, n(DCT + "source"), doc))
        if row.get("title") is not None:
            out.append(ox.Triple(doc, n(DCT + "title"), row["title"]))
    namespaces = set()
    for row in _select("dataset_vocabularies"):
        namespaces.add(_namespace(row["term"].value))
    for namespace in sorted(filter(None, namespaces)):
        out.append(ox.Triple(dataset, n(VOID + "vocabulary"), n(namespace)))
    for graph, size in sizes:
        out += _graph_triples(n(graph), size)
    seen: dict[str, ox.Triple] = {}
    for triple in out:
        seen.setdefault(str(triple), triple)
    return list(seen.values())


def _namespace(iri: str) -> str:
    known = [ns for ns in PREFIXES.values() if iri.startswith(ns)]
    if known:
        return max(known, key=len)
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > len("https://") else ""


@bp.get("/.well-known/void")
def void() -> ResponseReturnValue:
    choice = negotiate_rdf()
    if choice is None:
        return not_acceptable(RDF_FORMATS)
    media_type = choice.media_type
    if media_type == "application/ld+json":
        body = ox.serialize(void_triples(), format=ox.RdfFormat.JSON_LD, prefixes=PREFIXES)
    else:
        body = _serialize(void_triples(), media_type)
    response = Response(body, mimetype=media_type)
    response.mimetype_params["charset"] = "utf-8"  # response.charset: gone in Werkzeug 3
    response.headers["Vary"] = "Accept"
    return response


# --------------------------------------------------------------------- dump
def gzip_stream(chunks: Iterable[bytes], level: int = 6) -> Iterator[bytes]:
    """Compress a byte stream into one gzip member, chunk by chunk (never whole)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


@bp.get("/dump.nq.gz")
def dump() -> ResponseReturnValue:
    """The whole dataset, gzip N-Quads: a file download, so ``application/gzip``.

    Not ``Content-Encoding: gzip``: the resource *is* the compressed file (a client
    must not transparently decompress it), and its media type is the one of a ``.gz``.
    """
    store = state().store
    # graph/inferences is derived (docs/modeling.md, "Entailment"): on request only
    derived = () if request.args.get("inferences") == "1" else (inferences_graph(_base()),)
    chunks = store.export("nquads", leave_out=derived)
    response = Response(gzip_stream(chunks), mimetype="application/gzip")
    response.headers["Content-Disposition"] = 'attachment; filename="santegraph.nq.gz"'
    return response


# --------------------------------------------------------------------- context
@bp.get("/context.jsonld")
def context() -> ResponseReturnValue:
    body = json.dumps(build_context(), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/ld+json")
    response.mimetype_params["charset"] = "utf-8"  # response.charset: gone in Werkzeug 3
    return response
