"""santegraph's validation against the W3C SHACL Core test suite (``data-shapes/tests/core``).

Every ``sht:Validate`` case of the suite's manifests is run through ``Validator`` exactly as
a submission is (pyoxigraph triples in, pySHACL with santegraph's options, results read
back), and its report is compared with the expected one: the same ``sh:conforms``, and the
same results, each compared as a graph up to blank-node renaming once what SHACL leaves
optional is set aside (``sh:resultMessage``, ``sh:detail``). A complex ``sh:resultPath``
is compared with its list structure; a blank-node ``sh:sourceShape`` or ``sh:value`` only
as a node.

The report graph (what ``santegraph validate --report`` and the steward pages publish)
states ``sh:conforms`` as SHACL defines it; santegraph's own ``ValidationReport.conforms``
is looser on purpose: only Violations block a load (docs/stewards.md).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, SH

from santegraph.validation import Validator

from .external import W3C_SUITES

CORE = (W3C_SUITES.path or Path()) / "data-shapes" / "tests" / "core"
# where the suite's relative IRIs resolve (w3c-tests/README.md, "Base IRIs")
PUBLISHED = "https://w3c.github.io/data-shapes/data-shapes-test-suite/tests/"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")


def _iri(path: Path) -> str:
    return PUBLISHED + path.relative_to(CORE.parent).as_posix()


def _path(iri) -> Path:
    return CORE.parent / str(iri)[len(PUBLISHED) :]


def _parse(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle", publicID=_iri(path))


def _cases() -> list:
    """One param per sht:Validate entry, found by following mf:include from the root."""
    if W3C_SUITES.path is None:
        return [W3C_SUITES.skipped_case()]
    root = CORE / "manifest.ttl"
    cases, todo, seen = [], [root], set()
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        graph = _parse(path)
        todo += [_path(i) for i in graph.objects(rdflib.URIRef(_iri(path)), MF.include)]
        for entries in graph.objects(rdflib.URIRef(_iri(path)), MF.entries):
            for entry in rdflib.collection.Collection(graph, entries):
                assert (entry, RDF.type, SHT.Validate) in graph, entry
                name = str(entry)[len(PUBLISHED) + len("core/") :]
                cases.append(pytest.param((graph, entry), id=name))
    return cases


CASES = _cases()

# What pySHACL (the validator santegraph uses) does differently from the suite; strict:
# a pySHACL release that fixes one is noticed here.
KNOWN_DIFFERENCES = {
    "property/uniqueLang-002": 'pySHACL reads sh:uniqueLang "1"^^xsd:boolean as true; SHACL '
    "activates the constraint only for the literal true (santegraph's shapes write true)",
}
# What a report may carry or not (SHACL 1.0, 3.6.2): free-text messages, and sh:detail
# (pySHACL explains a failed sh:node with the nested results; the suite does not list them).
OPTIONAL = {SH.resultMessage, SH.detail}


def _conforms(graph: rdflib.Graph, report) -> bool:
    return graph.value(report, SH.conforms).toPython()


def _results(graph: rdflib.Graph, report) -> list[str]:
    """Each result as a canonical graph (sorted N-Triples), its OPTIONAL parts set aside
    and its complex path copied with its list structure; sorted, to compare as multisets.

    Results are compared one by one: whether two results share one blank path node is not
    part of what the suite checks."""
    results = []
    for result in graph.objects(report, SH.result):
        one = rdflib.Graph()

        def copy_path(node, one=one):  # a path expression: blank nodes all the way down
            for p, o in graph.predicate_objects(node):
                one.add((node, p, o))
                if isinstance(o, rdflib.BNode):
                    copy_path(o)

        for p, o in graph.predicate_objects(result):
            if p in OPTIONAL:
                continue
            one.add((result, p, o))
            if p == SH.resultPath and isinstance(o, rdflib.BNode):
                copy_path(o)
        canonical = to_canonical_graph(one).serialize(format="nt")
        results.append("\n".join(sorted(canonical.strip().splitlines())))
    return sorted(results)


@pytest.mark.parametrize("case", CASES)
def test_shacl_core_case(case, request):
    manifest, entry = case
    if request.node.callspec.id in KNOWN_DIFFERENCES:
        request.applymarker(
            pytest.mark.xfail(reason=KNOWN_DIFFERENCES[request.node.callspec.id], strict=True)
        )
    action = manifest.value(entry, MF.action)
    data_path = _path(manifest.value(action, SHT.dataGraph))
    shapes_path = _path(manifest.value(action, SHT.shapesGraph))

    validator = Validator(_parse(shapes_path), rdflib.Graph())
    data = list(ox.parse(path=str(data_path), format=ox.RdfFormat.TURTLE, base_iri=_iri(data_path)))
    report = validator.validate(data)

    expected_report = manifest.value(entry, MF.result)
    (actual_report,) = report.graph.subjects(RDF.type, SH.ValidationReport)
    assert _conforms(report.graph, actual_report) == _conforms(manifest, expected_report)
    assert _results(report.graph, actual_report) == _results(manifest, expected_report)
    # santegraph's reading of the report keeps every result, with its severity
    expected_severities = sorted(
        str(manifest.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        for r in manifest.objects(manifest.value(entry, MF.result), SH.result)
    )
    assert sorted(r.severity for r in report.results) == expected_severities
