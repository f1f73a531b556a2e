"""Tests of the SHACL shapes (shapes/*.ttl) against the examples of tests/shapes/.

Examples:
- tests/shapes/common.ttl: a small, fully conforming base (concept schemes, the 8 défis,
  territories, a source document, the ARS). It is merged into every example unless the
  example says `# standalone`.
- tests/shapes/valid/*.ttl: must produce NO validation result at all (not even a warning).
- tests/shapes/invalid/*.ttl: declare every result they must produce, one per line:
      # expect: <sourceShape> | <resultPath> | <focusNode> | <Violation|Warning|Info>
  e.g. `# expect: sgsh:finess | sg:finess | <acteur/x> | Violation`. Paths use the SPARQL
  notation (`(sg:a|^sg:b)`, `-` when the result has no path); IRIs are prefixed names or
  relative IRIs (resolved against the default public base). The report must contain
  exactly these results.
- The token %TODAY% in an example is replaced by today's date (for the "checked more than
  2 years ago" rule).

Every named shape must have a conforming example that exercises it and an invalid example
that it rejects (see test_every_shape_has_valid_and_invalid_examples).

Run `python tests/test_shapes.py FILE.ttl` to print the results of an example in the
`# expect:` format.
"""

from __future__ import annotations

import datetime
import functools
import re
import sys
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from santegraph.validation import Validator

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/santegraph/id/"
SHAPES_DIR = ROOT / "shapes"
EXAMPLES = ROOT / "tests" / "shapes"
COMMON = EXAMPLES / "common.ttl"
STUB_ONTOLOGY = EXAMPLES / "ontology-stub.ttl"
ONTOLOGY_DIR = ROOT / "ontology"

SGSH = Namespace("https://w3id.org/santegraph/shapes#")
PREFIXES = {
    "sgsh": str(SGSH),
    "sg": "https://w3id.org/santegraph/def#",
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "cv": "http://data.europa.eu/m8g/",
    "dcat": "http://www.w3.org/ns/dcat#",
}
SEVERITIES = {"Violation": SH.Violation, "Warning": SH.Warning, "Info": SH.Info}
EXPECT_PREFIX = "# expect:"

VALID = sorted((EXAMPLES / "valid").glob("*.ttl"))
INVALID = sorted((EXAMPLES / "invalid").glob("*.ttl"))


# ---------------------------------------------------------------- loading


def cached_sparql_query():
    """rdflib's SPARQLProcessor.query, translating each distinct query text only once.

    pyshacl sends the same SPARQL constraint text once per focus node (only the bindings
    change) and rdflib re-parses it every time, which dominates validation time. A
    translated rdflib Query is meant to be re-evaluated with new bindings, so caching it
    changes nothing but speed.
    """
    from rdflib.plugins.sparql import processor

    @functools.cache
    def translate(text, base, namespaces):
        return processor.translateQuery(processor.parseQuery(text), base, dict(namespaces))

    original = processor.SPARQLProcessor.query

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):
        if isinstance(strOrQuery, str):
            strOrQuery = translate(strOrQuery, base, tuple(sorted((initNs or {}).items())))
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    return processor.SPARQLProcessor, query


@pytest.fixture(scope="module", autouse=True)
def fast_sparql():
    with pytest.MonkeyPatch.context() as patch:
        klass, fast_query = cached_sparql_query()
        patch.setattr(klass, "query", fast_query)
        yield


def parse_turtle(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle", publicID=BASE)


@functools.cache
def shapes_graph() -> Graph:
    g = Graph()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        g.parse(path, format="turtle", publicID=BASE)
    return g


def ontology_paths() -> list[Path]:
    real = sorted(ONTOLOGY_DIR.glob("*.ttl"))
    return real or [STUB_ONTOLOGY]


@functools.cache
def ontology_graph() -> Graph:
    g = Graph()
    for path in ontology_paths():
        g.parse(path, format="turtle", publicID=BASE)
    return g


def example_text(path: Path) -> str:
    return path.read_text(encoding="utf-8").replace("%TODAY%", datetime.date.today().isoformat())


@functools.cache
def example_graph(path: Path) -> Graph:
    """The example's data graph: the example, plus the common base unless standalone."""
    text = example_text(path)
    g = parse_turtle(text)
    if path != COMMON and "# standalone" not in text:
        g += parse_turtle(example_text(COMMON))
    return g


# ---------------------------------------------------------------- results


def expand(term: str) -> URIRef:
    term = term.strip()
    if term.startswith("<") and term.endswith(">"):
        return URIRef(BASE + term[1:-1]) if "://" not in term else URIRef(term[1:-1])
    prefix, _, local = term.partition(":")
    return URIRef(PREFIXES[prefix] + local)


def short(node) -> str:
    text = str(node)
    if text.startswith(BASE):
        return f"<{text[len(BASE) :]}>"
    for prefix, ns in PREFIXES.items():
        if text.startswith(ns) and re.fullmatch(r"[A-Za-z0-9_.-]*", text[len(ns) :]):
            return f"{prefix}:{text[len(ns) :]}"
    return f"<{text}>"


def path_string(g: Graph, path, iri=short) -> str:
    """A SHACL property path in SPARQL notation."""
    if isinstance(path, URIRef):
        return iri(path)
    for kind, suffix in (
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    ):
        inner = g.value(path, kind)
        if inner is not None:
            return f"({path_string(g, inner, iri)}){suffix}"
    inverse = g.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + path_string(g, inverse, iri)
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_string(g, p, iri) for p in Collection(g, alternatives)) + ")"
    return "(" + "/".join(path_string(g, p, iri) for p in Collection(g, path)) + ")"


@functools.cache
def validate(path: Path) -> tuple[bool, Graph]:
    conforms, report, _ = pyshacl.validate(
        example_graph(path),
        shacl_graph=shapes_graph(),
        ont_graph=ontology_graph(),
        inference="none",
        allow_warnings=False,
        advanced=False,
    )
    return conforms, report


def results(path: Path) -> set[tuple[str, str, str, str]]:
    """(sourceShape, resultPath, focusNode, severity) of every result, in the expect: notation."""
    _, report = validate(path)
    found = set()
    # Top-level results only (not the nested sh:detail ones).
    for result in report.objects(None, SH.result):
        shape = report.value(result, SH.sourceShape)
        rpath = report.value(result, SH.resultPath)
        found.add(
            (
                short(shape) if isinstance(shape, URIRef) else "_:blank",
                "-" if rpath is None else path_string(report, rpath),
                short(report.value(result, SH.focusNode)),
                str(report.value(result, SH.resultSeverity)).split("#")[-1],
            )
        )
    return found


def expectations(path: Path) -> set[tuple[str, str, str, str]]:
    expected = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(EXPECT_PREFIX):
            # Fields are separated by " | "; a path's own alternatives use "|" without spaces.
            shape, rpath, focus, severity = (
                f.strip() for f in line[len(EXPECT_PREFIX) :].split(" | ")
            )
            assert severity in SEVERITIES, f"{path.name}: unknown severity {severity}"
            expected.add((short(expand(shape)), rpath, short(expand(focus)), severity))
    return expected


# ---------------------------------------------------------------- the shapes themselves


def test_shapes_and_examples_parse_with_pyoxigraph():
    files = [*SHAPES_DIR.glob("*.ttl"), COMMON, STUB_ONTOLOGY, *VALID, *INVALID]
    for path in files:
        quads = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE))
        assert quads, path


def test_shapes_pass_meta_shacl():
    conforms, _, text = pyshacl.validate(
        Graph(), shacl_graph=shapes_graph(), meta_shacl=True, inference="none"
    )
    assert conforms, text


def named_shapes() -> set[URIRef]:
    g = shapes_graph()
    shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    shapes |= set(g.subjects(SH.path, None)) | set(g.objects(None, SH.property))
    return {s for s in shapes if isinstance(s, URIRef)}


def test_there_are_shapes_for_every_class_of_the_contract():
    g = shapes_graph()
    targets = {short(c) for c in g.objects(None, SH.targetClass)}
    wanted = (
        "sg:Acteur sg:Dispositif sg:Personne sg:Service sg:Territoire sg:Commune "
        "sg:Departement sg:EPCI sg:Region skos:Concept sg:Public sg:Besoin sg:RoleParcours "
        "sg:Secteur sg:StatutAction sg:ModeAccueil sg:RoleMandat sg:TypeProbleme "
        "sg:ThemeNational sg:DefiRegional sg:DocumentSource sg:SectionDocument "
        "sg:Concertation sg:Atelier sg:EtapeProgramme sg:Solution sg:Proposition "
        "sg:FeuilleDeRoute sg:Action org:Membership sg:College sg:Seance sg:Presence "
        "sg:Toile sg:NoteQualite"
    ).split()
    assert not set(wanted) - targets


def test_steward_shapes_are_closed():
    g = shapes_graph()
    for name in ("ActeurShape", "ServiceShape", "ActionShape"):
        assert g.value(SGSH[name], SH.closed) == Literal(True), name


def test_every_shape_has_a_message_in_french_and_english():
    g = shapes_graph()
    holders = named_shapes() | set(g.objects(None, SH.sparql))
    assert len(holders) > 100
    for shape in holders:
        languages = {m.language for m in g.objects(shape, SH.message) if isinstance(m, Literal)}
        assert {"fr", "en"} <= languages, f"{short(shape)} lacks a fr or en sh:message"


def test_every_severity_is_used():
    g = shapes_graph()
    assert set(g.objects(None, SH.severity)) == {SH.Warning, SH.Info}


# ---------------------------------------------------------------- examples


def test_common_base_conforms():
    assert results(COMMON) == set()


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_example_conforms(path):
    assert results(path) == set()
    assert validate(path)[0]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_example_is_rejected_for_exactly_the_declared_reasons(path):
    expected = expectations(path)
    assert expected, f"{path.name} declares no '# expect:' line"
    found = results(path)
    assert found == expected, (
        f"\nmissing: {sorted(expected - found)}\nunexpected: {sorted(found - expected)}"
    )


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_only_violations_block_a_load(path):
    """santegraph's Validator (what a load and a submission run): only sh:Violation makes the
    data non-conforming, and it reads each result of the report once, not the nested
    results that explain a failed sh:node (sh:detail)."""
    blocking = any(severity == "Violation" for *_, severity in expectations(path))
    data = ox.parse(example_graph(path).serialize(format="nt"), format=ox.RdfFormat.N_TRIPLES)
    report = Validator(shapes_graph(), ontology_graph()).validate(list(data))
    assert report.conforms is not blocking
    _, pyshacl_report = validate(path)
    top_level = [
        pyshacl_report.value(r, SH.resultSeverity) for r in pyshacl_report.objects(None, SH.result)
    ]
    assert sorted(r.severity for r in report.results) == sorted(
        str(s).split("#")[-1] for s in top_level
    )


# ---------------------------------------------------------------- coverage


def focus_nodes(data: Graph, shapes: Graph, node_shape) -> set:
    focus = set(shapes.objects(node_shape, SH.targetNode))
    for cls in shapes.objects(node_shape, SH.targetClass):
        focus |= {
            row[0]
            for row in data.query(
                "SELECT DISTINCT ?x WHERE { ?x a/rdfs:subClassOf* ?c }",
                initBindings={"c": cls},
                initNs={"rdfs": RDFS},
            )
        }
    for prop in shapes.objects(node_shape, SH.targetSubjectsOf):
        focus |= set(data.subjects(prop, None))
    for prop in shapes.objects(node_shape, SH.targetObjectsOf):
        focus |= set(data.objects(None, prop))
    return focus


def exercised_shapes(path: Path) -> set[URIRef]:
    """Named shapes that have at least one focus node (node shapes) or value (property shapes)."""
    data = example_graph(path) + ontology_graph()
    shapes = shapes_graph()
    exercised = set()
    targeted = set()
    for target in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode):
        targeted |= set(shapes.subjects(target, None))
    for node_shape in targeted:
        focus = focus_nodes(data, shapes, node_shape)
        if not focus:
            continue
        exercised.add(node_shape)
        for prop_shape in shapes.objects(node_shape, SH.property):
            sparql_path = path_string(shapes, shapes.value(prop_shape, SH.path), lambda i: i.n3())
            values = "VALUES ?x { " + " ".join(f.n3() for f in focus if not isinstance(f, BNode))
            query = f"ASK {{ {values} }} ?x {sparql_path} ?v }}"
            if data.query(query):
                exercised.add(prop_shape)
    return {s for s in exercised if isinstance(s, URIRef)}


def test_every_shape_has_valid_and_invalid_examples():
    shapes = shapes_graph()
    valid_covered = set()
    for path in [COMMON, *VALID]:
        valid_covered |= exercised_shapes(path)
    invalid_covered = set()
    for path in INVALID:
        for shape, *_ in expectations(path):
            source = expand(shape)
            invalid_covered.add(source)
            invalid_covered |= set(shapes.subjects(SH.property, source))
    missing_valid = sorted(short(s) for s in named_shapes() - valid_covered)
    missing_invalid = sorted(short(s) for s in named_shapes() - invalid_covered)
    assert not missing_valid, f"shapes without a conforming example: {missing_valid}"
    assert not missing_invalid, f"shapes without a violating example: {missing_invalid}"


def test_provenance_rule_covers_every_class_of_the_ontology():
    """Every sg: class is either exempt from the provenance rule or targeted by it."""
    shapes, onto = shapes_graph(), ontology_graph()
    targeted = set(shapes.objects(SGSH.ProvenanceShape, SH.targetClass))
    exempt = {expand(t) for t in "skos:Concept sg:Territoire sg:Personne".split()}
    exempt |= {expand(t) for t in "sg:DocumentSource sg:SectionDocument".split()}
    # the steward journal is provenance itself (who, when, which graph): ADR 0007
    exempt |= {expand(t) for t in "sg:Referent sg:Soumission sg:EvenementJournal".split()}
    # graph/inferences is derived from the rest (ADR 0011), never validated
    exempt.add(expand("sg:GrapheInferences"))
    # a referral cites its own source (dct:source, required by sgsh:Orientation-source)
    exempt.add(expand("sg:Orientation"))
    uncovered = []
    for cls in set(onto.subjects(RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class"))):
        if not str(cls).startswith(PREFIXES["sg"]):
            continue
        ancestors = set(onto.transitive_objects(cls, RDFS.subClassOf))
        if not ancestors & (targeted | exempt):
            uncovered.append(short(cls))
    assert not uncovered, f"add to sgsh:ProvenanceShape or exempt: {sorted(uncovered)}"


def test_stub_ontology_agrees_with_the_real_ontology():
    """The stub used before ontology/ existed must not say more than the real ontology."""
    if not list(ONTOLOGY_DIR.glob("*.ttl")):
        pytest.skip("ontology/ not written yet")
    stub = Graph().parse(STUB_ONTOLOGY, format="turtle")
    real = ontology_graph()
    for sub, sup in stub.subject_objects(RDFS.subClassOf):
        assert real.query(
            "ASK { ?a rdfs:subClassOf+ ?b }",
            initBindings={"a": sub, "b": sup},
            initNs={"rdfs": RDFS},
        ), f"{short(sub)} ⊑ {short(sup)} is in docs/modeling.md but not in the ontology"


if __name__ == "__main__":
    klass, fast_query = cached_sparql_query()
    klass.query = fast_query
    for arg in sys.argv[1:]:
        example = Path(arg).resolve()
        for shape, rpath, focus, severity in sorted(results(example)):
            print(f"# expect: {shape} | {rpath} | {focus} | {severity}")
