"""The shapes compiled to SPARQL (what ``load`` and ``import`` run) give pySHACL's results.

Every example of tests/shapes/ (the conforming base, each conforming example, each
rejected one) is validated both ways over the same data graph (the example, the common
base, the ontology), and the results must be the same: source shape, path, focus node,
severity, value and constraint component, and the same French and English messages.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH

from santegraph.bulk import BulkValidator
from santegraph.shacl_sparql import Scope, SparqlValidator, compile_shapes, term_text
from santegraph.validation import Validator

from . import test_shapes as shapes_tests

EXAMPLES = [shapes_tests.COMMON, *shapes_tests.VALID, *shapes_tests.INVALID]


@pytest.fixture(scope="module", autouse=True)
def fast_sparql():
    with pytest.MonkeyPatch.context() as patch:
        klass, fast_query = shapes_tests.cached_sparql_query()
        patch.setattr(klass, "query", fast_query)
        yield


def _short(node) -> str:
    return shapes_tests.short(rdflib.URIRef(str(node)))


def _example_store(path) -> ox.Store:
    store = ox.Store()
    for name, graph in (("data", shapes_tests.example_graph(path)), ("onto", _ontology())):
        store.load(
            graph.serialize(format="nt").encode(),
            format=ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode(f"urn:example:{name}"),
        )
    return store


def _ontology() -> rdflib.Graph:
    return shapes_tests.ontology_graph()


def compiled_results(path) -> set[tuple]:
    validator = SparqlValidator(compile_shapes(shapes_tests.shapes_graph()))
    found = set()
    for f in validator.findings(_example_store(path), Scope()):
        check = f.check
        source = check.source_shape
        shape = _short(source) if isinstance(source, rdflib.URIRef) else "_:blank"
        path_node = f.path if f.path is not None else check.path
        if path_node is None:
            path_text = "-"
        elif isinstance(path_node, ox.NamedNode):
            path_text = _short(path_node.value)
        else:
            path_text = shapes_tests.path_string(shapes_tests.shapes_graph(), path_node)
        focus = _short(f.focus.value) if isinstance(f.focus, ox.NamedNode) else str(f.focus)
        component = check.component.rsplit("#", 1)[-1]
        found.add((shape, path_text, focus, check.severity, term_text(f.value), component))
    return found


def pyshacl_results(path) -> set[tuple]:
    _, report = shapes_tests.validate(path)
    found = set()
    for r in report.objects(None, SH.result):
        shape = report.value(r, SH.sourceShape)
        rpath = report.value(r, SH.resultPath)
        value = report.value(r, SH.value)
        found.add(
            (
                _short(shape) if isinstance(shape, rdflib.URIRef) else "_:blank",
                "-" if rpath is None else shapes_tests.path_string(report, rpath),
                _short(report.value(r, SH.focusNode)),
                str(report.value(r, SH.resultSeverity)).split("#")[-1],
                None
                if value is None
                else ("(nœud anonyme)" if isinstance(value, rdflib.BNode) else str(value)),
                str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            )
        )
    return found


def test_every_project_shape_compiles():
    """No project shape falls back to pySHACL (which would be slow at scale)."""
    compiled = compile_shapes(shapes_tests.shapes_graph())
    assert compiled.unsupported == {}
    assert len(compiled.shapes) > 40


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in EXAMPLES])
def test_compiled_shapes_find_what_pyshacl_finds(path):
    assert compiled_results(path) == pyshacl_results(path)


@pytest.mark.parametrize("path", shapes_tests.INVALID, ids=[p.stem for p in shapes_tests.INVALID])
def test_the_bulk_report_reads_like_the_submission_report(path):
    """Same severities, French and English messages (the shape's sh:message) and labels as
    santegraph's Validator (pySHACL) gives a steward for the same data."""
    data_graph = shapes_tests.example_graph(path)
    validator = Validator(shapes_tests.shapes_graph(), _ontology())
    data = list(ox.parse(data_graph.serialize(format="nt"), format=ox.RdfFormat.N_TRIPLES))
    expected = validator.validate(data)
    report = BulkValidator(validator, threads=1).validate(_example_store(path))

    def key(r):
        # pySHACL formats a SPARQL constraint's messages and drops their language, so
        # which one it shows first is arbitrary: those are compared by focus only
        sparql = r.constraint.endswith("SPARQLConstraintComponent")
        messages = () if sparql else (r.message, r.message_en)
        fields = (r.severity, r.focus_node, r.path, r.value, r.source_shape, *messages)
        return tuple(f or "" for f in fields)

    assert sorted(map(key, report.results)) == sorted(map(key, expected.results))
    assert report.conforms == expected.conforms
    labels = {r.focus_node: r.entry_label for r in expected.results if r.entry_label}
    for result in report.results:
        if result.focus_node in labels:
            assert result.entry_label == labels[result.focus_node]


SHAPES_PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <urn:ex:> .
"""


def test_a_nested_property_shape_without_a_path_is_left_to_pyshacl():
    """Listed as unsupported (pySHACL then checks it and says what is wrong), never
    compiled into a query that fails: with a list anywhere in the shapes graph (ex:B's
    sh:in), the missing path became "()", a SPARQL syntax error at load time."""
    shapes = """
        ex:A sh:targetClass ex:A ; sh:node [ sh:property [ sh:class ex:C ] ] .
        ex:B sh:targetClass ex:B ; sh:property [ sh:path ex:p ; sh:in ( ex:x ex:y ) ] .
    """
    compiled = compile_shapes(rdflib.Graph().parse(data=SHAPES_PREFIXES + shapes, format="turtle"))
    assert compiled.unsupported == {rdflib.URIRef("urn:ex:A"): "a property shape without sh:path"}
    assert [str(s.node) for s in compiled.shapes] == ["urn:ex:B"]
