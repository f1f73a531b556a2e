"""`/ontology`: the vocabulary's documentation, generated from the ontology graph in the store.

Everything on the page comes from the named graph ``<base>graph/ontology/santegraph`` as the
store holds it, read by three queries of ``rq/`` (the header, every statement about the
``sg:`` terms, the titles of the source documents they cite) and grouped here in Python:
no query per term, nothing cached across requests, so a reload shows a reloaded ontology.

* ``/ontology``: HTML (French) by default; ``Accept`` negotiates Turtle, JSON-LD,
  N-Triples or RDF/XML, the ontology graph serialised by the store;
* ``/ontology.ttl`` (and ``.jsonld``, ``.nt``, ``.rdf``): one representation each;
* ``/def``, the path of the vocabulary namespace: 303 to the HTML page or to the RDF, so a
  term IRI such as ``https://w3id.org/santegraph/def#CPTS`` lands on ``/ontology#CPTS``.

Each term gets an HTML ``id`` equal to its local name. Values are escaped by Jinja's
autoescaping; links are only made to ``http(s)`` IRIs.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyoxigraph as ox
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ..errors import StoreError
from ..queries import INTERNAL, NamedQuery, bind, catalogue
from ..vocab import NAMESPACE as SG_NAMESPACE
from ..vocab import SG
from . import state

bp = Blueprint("ontology", __name__)

_T = TypeVar("_T")
ONTOLOGY_GRAPH = "graph/ontology/santegraph"  # after the base IRI, as the loader names it

# --------------------------------------------------------------------- vocabulary used here
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
VANN = "http://purl.org/vocab/vann/"
SCHEMA = "https://schema.org/"

# Prefixes for display only (CURIEs of external terms); the IRIs come from the store.
PREFIXES = {
    "sg": SG_NAMESPACE,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dct": DCT,
    "vann": VANN,
    "schema": SCHEMA,
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "igeo": "http://rdf.insee.fr/def/geo#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "dqv": "http://www.w3.org/ns/dqv#",
    "oa": "http://www.w3.org/ns/oa#",
}

# Sections of the page, in order: (key, title, types that put a term there).
SECTIONS = (
    ("classes", "Classes", (OWL + "Class", RDFS + "Class")),
    ("proprietes-objet", "Propriétés d'objet", (OWL + "ObjectProperty",)),
    ("proprietes-donnees", "Propriétés de données", (OWL + "DatatypeProperty",)),
    ("proprietes-annotation", "Propriétés d'annotation", (OWL + "AnnotationProperty",)),
    ("types-donnees", "Types de données", (RDFS + "Datatype",)),
    ("autres", "Autres termes", ()),
)
KIND_NAMES = {
    OWL + "Class": "classe",
    RDFS + "Class": "classe",
    OWL + "NamedIndividual": "individu",
    OWL + "ObjectProperty": "propriété d'objet",
    OWL + "DatatypeProperty": "propriété de données",
    OWL + "AnnotationProperty": "propriété d'annotation",
    RDFS + "Datatype": "type de données",
    OWL + "TransitiveProperty": "transitive",
    OWL + "SymmetricProperty": "symétrique",
    OWL + "FunctionalProperty": "fonctionnelle",
    OWL + "InverseFunctionalProperty": "fonctionnelle inverse",
}
NOTES = {
    SKOS + "note": "Note",
    SKOS + "scopeNote": "Note d'application",
    SKOS + "historyNote": "Historique",
    SKOS + "editorialNote": "Note éditoriale",
    SKOS + "changeNote": "Modification",
    SKOS + "example": "Exemple",
}
ALIGNMENTS = {
    SKOS + "exactMatch": "correspondance exacte (skos:exactMatch)",
    SKOS + "closeMatch": "correspondance proche (skos:closeMatch)",
    SKOS + "broadMatch": "correspondance plus large (skos:broadMatch)",
    SKOS + "narrowMatch": "correspondance plus étroite (skos:narrowMatch)",
    SKOS + "relatedMatch": "correspondance associée (skos:relatedMatch)",
    OWL + "equivalentClass": "classe équivalente (owl:equivalentClass)",
    OWL + "equivalentProperty": "propriété équivalente (owl:equivalentProperty)",
    OWL + "sameAs": "même ressource (owl:sameAs)",
}
SUPER = {RDFS + "subClassOf": "sous-classe de", RDFS + "subPropertyOf": "sous-propriété de"}
# Predicates shown in their own place; any other one goes to "Autres informations".
SHOWN = {
    RDF + "type",
    RDFS + "label",
    RDFS + "comment",
    RDFS + "seeAlso",
    RDFS + "isDefinedBy",
    RDFS + "domain",
    RDFS + "range",
    SCHEMA + "domainIncludes",
    SCHEMA + "rangeIncludes",
    SKOS + "definition",
    SKOS + "altLabel",
    str(SG.sigle),
    str(SG.termeSource),
    OWL + "inverseOf",
    DCT + "replaces",
    DCT + "isReplacedBy",
    *NOTES,
    *ALIGNMENTS,
    *SUPER,
}

# RDF representations: media type -> file extension of /ontology.<ext>.
RDF_MEDIA_TYPES = {
    "text/turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "application/rdf+xml": "rdf",
}
EXTENSIONS = {ext: media for media, ext in RDF_MEDIA_TYPES.items()}
HTML_TYPES = ("text/html", "application/xhtml+xml")


# --------------------------------------------------------------------- display values
@dataclass(frozen=True)
class Value:
    """One object shown on the page: a link (IRI) or a text (literal)."""

    text: str
    kind: str = "text"  # "term" (anchor on this page), "iri" (elsewhere), "text"
    href: str = ""
    iri: str = ""
    lang: str = ""
    datatype: str = ""
    detail: str = ""  # e.g. a document's file name

    @property
    def is_link(self) -> bool:
        return bool(self.href)


@dataclass
class TermDoc:
    iri: str
    local: str
    curie: str
    types: list[str]
    kinds: list[str] = field(default_factory=list)
    label: str = ""
    label_lang: str = ""
    labels_en: list[Value] = field(default_factory=list)
    other_labels: list[Value] = field(default_factory=list)
    sigles: list[Value] = field(default_factory=list)
    alt_labels: list[Value] = field(default_factory=list)
    definitions: list[Value] = field(default_factory=list)
    comments: list[Value] = field(default_factory=list)
    notes: list[tuple[str, Value]] = field(default_factory=list)
    parents: list[Value] = field(default_factory=list)
    chain: list[Value] = field(default_factory=list)
    children: list[Value] = field(default_factory=list)
    domain: list[Value] = field(default_factory=list)
    range: list[Value] = field(default_factory=list)
    domain_includes: list[Value] = field(default_factory=list)
    range_includes: list[Value] = field(default_factory=list)
    inverse: list[Value] = field(default_factory=list)
    alignments: list[tuple[str, Value]] = field(default_factory=list)
    source_terms: list[Value] = field(default_factory=list)
    see_also: list[Value] = field(default_factory=list)
    replaces: list[Value] = field(default_factory=list)
    replaced_by: list[Value] = field(default_factory=list)
    defined_by: list[Value] = field(default_factory=list)
    domain_of: list[Value] = field(default_factory=list)
    range_of: list[Value] = field(default_factory=list)
    others: list[tuple[Value, Value]] = field(default_factory=list)
    section: str = "autres"
    sort_key: str = ""


@dataclass
class TreeNode:
    term: TermDoc
    children: list[TreeNode] = field(default_factory=list)
    also: list[Value] = field(default_factory=list)  # sub-classes placed under another parent


def sort_key(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def curie(iri: str) -> str:
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def safe_href(iri: str) -> str:
    """Only web IRIs become links: a `javascript:` IRI in the data stays inert text."""
    return iri if iri.lower().startswith(("http://", "https://")) else ""


def _lang(term: ox.Literal) -> str:
    return term.language or ""


# --------------------------------------------------------------------- queries
def _query(name: str) -> NamedQuery:
    return catalogue(INTERNAL)[name]


def ontology_graph() -> str:
    return state().settings.base_iri + ONTOLOGY_GRAPH


def _select(name: str) -> list[dict[str, Any]]:
    try:
        return state().store.select(_query(name).text, {"graph": ox.NamedNode(ontology_graph())})
    except StoreError as exc:
        abort(503, description=f"Le graphe n'est pas joignable : {exc}")


# --------------------------------------------------------------------- the model
class Documentation:
    """The page's content, built from the rows of the three queries."""

    def __init__(
        self,
        header_rows: Iterable[dict[str, Any]],
        term_rows: Iterable[dict[str, Any]],
        doc_rows: Iterable[dict[str, Any]],
        *,
        graph: str = "",
    ):
        self.graph = graph
        self.docs = self._documents(doc_rows)
        self.terms: dict[str, TermDoc] = {}
        statements: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for row in term_rows:
            statements[row["term"].value][row["p"].value].append(row["o"])
        self.statements = {
            iri: {p: _dedup(objects) for p, objects in preds.items()}
            for iri, preds in statements.items()
        }
        self.terms = {iri: self._term(iri, preds) for iri, preds in self.statements.items()}
        for iri, term in self.terms.items():
            self._fill(term, self.statements[iri])
        self._relations()
        self.header = self._header(header_rows)
        self.sections = self._sections()
        self.class_tree = self._class_tree()

    @property
    def empty(self) -> bool:
        return not self.terms and not self.header

    # ------------------------------------------------------------ values
    def value(self, term: object) -> Value:
        if isinstance(term, ox.NamedNode):
            iri = term.value
            target = self.terms.get(iri)
            if target is not None:
                return Value(target.label, "term", "#" + target.local, iri)
            if iri in self.docs:
                title, file = self.docs[iri]
                return Value(title or curie(iri), "iri", safe_href(iri), iri, detail=file)
            return Value(curie(iri), "iri", safe_href(iri), iri)
        if isinstance(term, ox.Literal):
            datatype = term.datatype.value if term.datatype else ""
            if datatype in (XSD + "string", RDF + "langString"):
                datatype = ""
            return Value(term.value, lang=_lang(term), datatype=curie(datatype) if datatype else "")
        return Value("(nœud anonyme)")

    def values(self, objects: Iterable[object]) -> list[Value]:
        out = [self.value(o) for o in objects]
        return sorted(out, key=lambda v: (v.lang != "fr", sort_key(v.text), v.iri))

    def _documents(self, rows: Iterable[dict[str, Any]]) -> dict[str, tuple[str, str]]:
        docs: dict[str, tuple[str, str]] = {}
        for row in rows:
            doc = row["doc"].value
            title_term, file_term = row.get("title"), row.get("file")
            title, file = docs.get(doc, ("", ""))
            if title_term is not None and (not title or _lang(title_term) == "fr"):
                title = title_term.value
            if file_term is not None and not file:
                file = file_term.value
            docs[doc] = (title, file)
        return docs

    # ------------------------------------------------------------ terms
    def _term(self, iri: str, preds: dict[str, list[Any]]) -> TermDoc:
        local = iri[len(SG_NAMESPACE) :]
        types = sorted(t.value for t in preds.get(RDF + "type", []))
        term = TermDoc(iri, local, curie(iri), types)
        labels = [t for t in preds.get(RDFS + "label", []) if isinstance(t, ox.Literal)]
        french = [t for t in labels if _lang(t).lower().startswith("fr")]
        plain = [t for t in labels if not _lang(t)]
        candidates = french or plain
        chosen = candidates[0] if candidates else None
        term.label = chosen.value if chosen is not None else local
        term.label_lang = _lang(chosen) if chosen is not None else ""
        term.sort_key = sort_key(term.label) + " " + local
        for key, _, section_types in SECTIONS:
            if any(t in section_types for t in types):
                term.section = key
                break
        return term

    def _fill(self, term: TermDoc, preds: dict[str, list[Any]]) -> None:
        def get(predicate: str) -> list[Value]:
            return self.values(preds.get(predicate, []))

        term.kinds = [KIND_NAMES.get(t, curie(t)) for t in term.types]
        labels = get(RDFS + "label")
        term.labels_en = [v for v in labels if v.lang.lower().startswith("en")]
        term.other_labels = [
            v
            for v in labels
            if not v.lang.lower().startswith(("en", "fr")) and v.text != term.label
        ]
        term.sigles = get(str(SG.sigle))
        term.alt_labels = get(SKOS + "altLabel")
        term.definitions = get(SKOS + "definition")
        term.comments = get(RDFS + "comment")
        term.notes = [(name, v) for p, name in NOTES.items() for v in get(p)]
        for predicate, relation in SUPER.items():
            for v in get(predicate):
                if v.kind == "term":
                    term.parents.append(v)
                else:
                    term.alignments.append((relation + " (terme externe)", v))
        for predicate, relation in ALIGNMENTS.items():
            term.alignments.extend((relation, v) for v in get(predicate))
        term.domain = get(RDFS + "domain")
        term.range = get(RDFS + "range")
        term.domain_includes = get(SCHEMA + "domainIncludes")
        term.range_includes = get(SCHEMA + "rangeIncludes")
        term.inverse = get(OWL + "inverseOf")
        term.source_terms = get(str(SG.termeSource))
        term.see_also = get(RDFS + "seeAlso")
        term.replaces = get(DCT + "replaces")
        term.replaced_by = get(DCT + "isReplacedBy")
        term.defined_by = get(RDFS + "isDefinedBy")
        for predicate in sorted(set(preds) - SHOWN):
            label = self.value(ox.NamedNode(predicate))
            term.others.extend((label, v) for v in get(predicate))

    def _relations(self) -> None:
        """Reverse links: sub-terms, and the properties whose domain or range a class is."""
        for term in sorted(self.terms.values(), key=lambda t: t.sort_key):
            link = Value(term.label, "term", "#" + term.local, term.iri)
            for parent in term.parents:
                self.terms[parent.iri].children.append(link)
            for values, attribute in (
                (term.domain + term.domain_includes, "domain_of"),
                (term.range + term.range_includes, "range_of"),
            ):
                for v in values:
                    target = self.terms.get(v.iri) if v.kind == "term" else None
                    if target is not None and link not in getattr(target, attribute):
                        getattr(target, attribute).append(link)

    # ------------------------------------------------------------ class hierarchy
    def _class_tree(self) -> list[TreeNode]:
        """Each class under one parent (the deepest), so the hierarchy reads as a tree.

        A class with several parents in the vocabulary (sg:CPTS is an sg:ExerciceCoordonne
        and an sg:Acteur) is placed under its deepest parent and listed by name under the
        others. A subclass cycle cannot hide a class: what the roots do not reach becomes a
        root itself.
        """
        classes = {iri: t for iri, t in self.terms.items() if t.section == "classes"}
        parents = {
            iri: [p.iri for p in t.parents if p.iri in classes] for iri, t in classes.items()
        }
        depth: dict[str, int] = {}

        def depth_of(iri: str, seen: frozenset[str] = frozenset()) -> int:
            if iri not in depth:
                above = [p for p in parents[iri] if p not in seen and p != iri]
                depth[iri] = 1 + max((depth_of(p, seen | {iri}) for p in above), default=-1)
            return depth[iri]

        primary: dict[str, str | None] = {}
        for iri in classes:
            candidates = sorted(parents[iri], key=lambda p: classes[p].sort_key)
            candidates = [p for p in candidates if p != iri]
            primary[iri] = max(candidates, key=depth_of) if candidates else None
        by_parent: dict[str | None, list[str]] = defaultdict(list)
        for iri in sorted(classes, key=lambda i: classes[i].sort_key):
            by_parent[primary[iri]].append(iri)

        placed: set[str] = set()

        def build(iri: str) -> TreeNode:
            placed.add(iri)
            node = TreeNode(classes[iri])
            for child in by_parent.get(iri, []):
                if child not in placed:
                    node.children.append(build(child))
            node.also = [
                v for v in classes[iri].children if v.iri in classes and primary[v.iri] != iri
            ]
            return node

        roots = [build(iri) for iri in by_parent.get(None, []) if iri not in placed]
        for iri in sorted(classes, key=lambda i: classes[i].sort_key):
            if iri not in placed:  # only reachable through a cycle
                roots.append(build(iri))
        for iri, node_term in classes.items():
            chain, current, seen = [], primary[iri], {iri}
            while current is not None and current not in seen:
                seen.add(current)
                ancestor = classes[current]
                chain.append(Value(ancestor.label, "term", "#" + ancestor.local, ancestor.iri))
                current = primary[current]
            node_term.chain = list(reversed(chain))
        return roots

    def _sections(self) -> list[tuple[str, str, list[TermDoc]]]:
        out = []
        for key, title, _ in SECTIONS:
            terms = sorted(
                (t for t in self.terms.values() if t.section == key), key=lambda t: t.sort_key
            )
            if terms or key != "autres":
                out.append((key, title, terms))
        return out

    # ------------------------------------------------------------ header
    def _header(self, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
        by_ontology: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            by_ontology[row["ontology"].value][row["p"].value].append(row["o"])
        if not by_ontology:
            return {}
        preferred = SG_NAMESPACE.rstrip("#/")
        iri = preferred if preferred in by_ontology else sorted(by_ontology)[0]
        preds = {p: _dedup(objects) for p, objects in by_ontology[iri].items()}

        def get(predicate: str) -> list[Value]:
            return self.values(preds.get(predicate, []))

        def french(values: list[Value]) -> Value | None:
            return next((v for v in values if v.lang.startswith("fr")), None) or (
                values[0] if values else None
            )

        titles = get(DCT + "title") or get(RDFS + "label")
        descriptions = get(DCT + "description") or get(RDFS + "comment")
        title, description = french(titles), french(descriptions)
        references = []
        for v in get(DCT + "references"):
            prefix = next((p for p, ns in PREFIXES.items() if ns == v.iri), "")
            references.append((prefix, Value(v.iri, "iri", safe_href(v.iri), v.iri)))
        references.sort(key=lambda r: (r[0] or "~", r[1].iri))
        namespace = get(VANN + "preferredNamespaceUri")
        shown = {
            RDF + "type",
            DCT + "title",
            RDFS + "label",
            DCT + "description",
            RDFS + "comment",
            DCT + "references",
            VANN + "preferredNamespaceUri",
            VANN + "preferredNamespacePrefix",
            OWL + "versionInfo",
            OWL + "versionIRI",
            DCT + "license",
            DCT + "created",
            DCT + "modified",
            DCT + "creator",
            RDFS + "seeAlso",
        }
        return {
            "iri": iri,
            "title": title,
            "titles": [v for v in titles if v is not title],
            "description": description,
            "descriptions": [v for v in descriptions if v is not description],
            "version": get(OWL + "versionInfo"),
            "version_iri": get(OWL + "versionIRI"),
            "license": get(DCT + "license"),
            "namespace": namespace[0].text if namespace else SG_NAMESPACE,
            "prefix": get(VANN + "preferredNamespacePrefix"),
            "created": get(DCT + "created"),
            "modified": get(DCT + "modified"),
            "creator": get(DCT + "creator"),
            "references": references,
            "see_also": get(RDFS + "seeAlso"),
            "others": [
                (self.value(ox.NamedNode(p)), v) for p in sorted(set(preds) - shown) for v in get(p)
            ],
        }


def _dedup(objects: list[_T]) -> list[_T]:
    """Union default graphs and some servers repeat rows; a value is shown once."""
    seen, out = set(), []
    for o in objects:
        key = str(o)
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out


def build_documentation() -> Documentation:
    return Documentation(
        _select("ontology_header"),
        _select("ontology_terms"),
        _select("ontology_sources"),
        graph=ontology_graph(),
    )


# --------------------------------------------------------------------- views
def _rdf_response(media_type: str) -> Response:
    graph = ox.NamedNode(ontology_graph())
    store = state().store
    try:
        if not store.ask(f"ASK {{ GRAPH {graph} {{ ?s ?p ?o }} }}"):
            abort(404, description="L'ontologie n'est pas chargée dans le graphe.")
        result = store.query_stream(
            bind(_query("ontology_graph").text, {"graph": graph}), media_type
        )
    except StoreError as exc:
        abort(503, description=f"Le graphe n'est pas joignable : {exc}")
    response = Response(result.chunks, mimetype=media_type)
    response.mimetype_params["charset"] = "utf-8"  # response.charset: gone in Werkzeug 3
    response.headers["Vary"] = "Accept"
    return response


def _alternates() -> str:
    return ", ".join(
        f'<{url_for("ontology.download", ext=ext)}>; rel="alternate"; type="{media}"'
        for media, ext in RDF_MEDIA_TYPES.items()
    )


def _negotiated() -> str:
    offered = [*HTML_TYPES, *RDF_MEDIA_TYPES]
    return request.accept_mimetypes.best_match(offered, default="text/html") or "text/html"


@bp.get("/ontology")
def page() -> ResponseReturnValue:
    media_type = _negotiated()
    if media_type in RDF_MEDIA_TYPES:
        response = _rdf_response(media_type)
        response.headers["Content-Location"] = url_for(
            "ontology.download", ext=RDF_MEDIA_TYPES[media_type]
        )
        return response
    doc = build_documentation()
    html = render_template(
        "ontology.html",
        doc=doc,
        downloads=[(ext, media) for media, ext in RDF_MEDIA_TYPES.items()],
    )
    response = Response(html, status=404 if doc.empty else 200, mimetype="text/html")
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = _alternates()
    return response


@bp.get("/ontology.<any(ttl, jsonld, nt, rdf):ext>")
def download(ext: str) -> ResponseReturnValue:
    return _rdf_response(EXTENSIONS[ext])


@bp.get("/def")
def namespace() -> ResponseReturnValue:
    """The vocabulary namespace: 303 to the documentation, or to the RDF for RDF clients."""
    media_type = _negotiated()
    if media_type in RDF_MEDIA_TYPES:
        target = url_for("ontology.download", ext=RDF_MEDIA_TYPES[media_type])
    else:
        target = url_for("ontology.page")
    response = redirect(target, code=303)
    response.headers["Vary"] = "Accept"
    return response
