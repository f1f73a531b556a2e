"""Tests of the synthetic benchmark graph (bench/synthetic.py): it conforms to the shapes,
it is deterministic, its counts scale as documented, it stays in the synthetic IRI space
and its territorial containment answers SPARQL property paths."""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.namespace import SH

from bench import synthetic

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/santegraph/id/"
SG = "https://w3id.org/santegraph/def#"
DCT = "http://purl.org/dc/terms/"
SMALL = 0.002  # 70 communes, about 110 actors: enough for every kind, quick to validate


@functools.cache
def quads(scale: float, seed: int = synthetic.DEFAULT_SEED) -> tuple[ox.Quad, ...]:
    return tuple(synthetic.generate(scale, seed))


def nquads(scale: float, seed: int = synthetic.DEFAULT_SEED) -> bytes:
    return ox.serialize(synthetic.generate(scale, seed), format=ox.RdfFormat.N_QUADS)


def store(scale: float) -> ox.Store:
    s = ox.Store()
    s.bulk_extend(quads(scale))
    return s


def select(s: ox.Store, query: str) -> list[tuple]:
    prefixed = f"PREFIX sg: <{SG}>\n{query}"
    return [
        tuple(row[i] for i in range(len(row)))
        for row in s.query(prefixed, use_default_graph_as_union=True)
    ]


def type_counts(scale: float) -> Counter:
    rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    return Counter(
        q.object.value.removeprefix(SG) for q in quads(scale) if q.predicate.value == rdf_type
    )


def parse_all(paths) -> rdflib.Graph:
    g = rdflib.Graph()
    for path in paths:
        g.parse(path, format="turtle", publicID=BASE)
    return g


def test_every_concept_of_the_profiles_is_in_the_vocabularies():
    vocabulary = parse_all(sorted((ROOT / "data/vocabulaires").glob("*.ttl")))
    concepts = {str(s) for s in vocabulary.subjects() if isinstance(s, rdflib.URIRef)}
    used = set()
    for profile in synthetic.PROFILES.values():
        used |= {f"secteur/{s}" for s in profile.secteurs}
        for t in profile.services:
            used |= {f"public/{s}" for s in t.publics} | {f"besoin/{s}" for s in t.besoins}
            used |= {f"role/{s}" for s in t.roles} | {f"mode-accueil/{t.mode}"}
    assert sorted(c for c in used if BASE + c not in concepts) == []


def test_small_scale_conforms_to_the_shapes():
    # Data: the synthetic graph plus the real concept schemes it points to (pyshacl copies
    # only the RDFS/OWL axioms of ont_graph into the data, not the SKOS concepts).
    data = parse_all(sorted((ROOT / "data/vocabulaires").glob("*.ttl")))
    triples = [ox.Triple(q.subject, q.predicate, q.object) for q in quads(SMALL)]
    data.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    shapes = parse_all(sorted((ROOT / "shapes").glob("*.ttl")))
    ontology = parse_all(sorted((ROOT / "ontology").glob("*.ttl")))
    _, report, text = pyshacl.validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=False
    )
    violations = list(report.subjects(SH.resultSeverity, SH.Violation))
    assert not violations, text
    # No warning either: every actor has a territory and a contact, every service a date.
    assert not list(report.subjects(SH.resultSeverity, SH.Warning)), text


def test_every_code_and_contact_at_scale_one_matches_the_shapes_patterns():
    """The SHACL run above covers one département: check the formats of the whole France
    (Corsica's 2A/2B, overseas 97x codes, every telephone zone) against the shapes' own
    sh:pattern, without running pyshacl on 2.4 million quads."""
    shapes = parse_all(sorted((ROOT / "shapes").glob("*.ttl")))
    sgsh = "https://w3id.org/santegraph/shapes#"

    def pattern(shape: str) -> re.Pattern:
        return re.compile(str(shapes.value(rdflib.URIRef(sgsh + shape), SH.pattern)))

    by_kind = {
        "commune": pattern("Commune-codeInsee"),
        "departement": pattern("Departement-codeInsee"),
        "region": pattern("Region-code"),
    }
    by_predicate = {
        SG + "codeRegion": pattern("Region-code"),
        SG + "codePostal": pattern("codePostal"),
        SG + "siren": pattern("siren"),
        SG + "finess": pattern("finess"),
        "https://schema.org/telephone": pattern("telephone"),
        "https://schema.org/email": pattern("email"),
    }
    territoire = synthetic.SYNTHETIC + "territoire/"
    seen = Counter()
    for q in synthetic.generate(1.0):
        predicate = q.predicate.value
        if predicate == SG + "codeInsee":
            kind = q.subject.value.removeprefix(territoire).split("/")[0]
            regex = by_kind[kind]
        elif predicate in by_predicate:
            regex = by_predicate[predicate]
        else:
            continue
        seen[predicate] += 1
        assert regex.search(q.object.value), q
    assert len(seen) == 7
    assert seen[SG + "finess"] > 10_000


def test_same_seed_and_scale_give_identical_bytes():
    first = nquads(0.005)
    assert first == nquads(0.005)
    assert first != nquads(0.005, seed=1)


def test_write_streams_the_same_bytes_to_a_file(tmp_path):
    path = tmp_path / "out" / "synthetic.nq"
    count = synthetic.write(path, 0.005)
    assert path.read_bytes() == nquads(0.005)
    assert count == len(quads(0.005))
    assert not list(path.parent.glob("*.part"))


def test_counts_scale_as_documented():
    counts = type_counts(0.01)
    assert counts["Commune"] == 350  # round(35,000 * 0.01)
    assert counts["EPCI"] == 13
    assert counts["Departement"] == counts["Region"] == 1  # at least one of each
    assert 5 <= counts["CPTS"] <= 20  # 10-60 communes each, about communes / 35
    assert 1 <= counts["DAC"] <= 2
    assert counts["CLSM"] == 3
    assert counts["MSP"] == 25
    assert counts["Service"] > counts["Commune"]


def test_scale_one_has_france_sized_territories():
    territoires = synthetic.build_territoires(synthetic.child_rng(1, "territoires"), 1.0)
    assert len(territoires.regions) == 18
    assert len(territoires.departements) == 101
    assert len(territoires.epcis) == 1_300
    assert len(territoires.communes) == 35_000
    assert len({c.code for c in territoires.communes}) == 35_000
    sizes = [len(e.communes) for e in territoires.epcis]
    assert max(sizes) > 3 * min(sizes)  # Zipf-ish, not uniform


def test_every_minted_iri_is_synthetic():
    vocabulary = parse_all(sorted((ROOT / "data/vocabulaires").glob("*.ttl")))
    concepts = {str(s) for s in vocabulary.subjects() if isinstance(s, rdflib.URIRef)}
    for q in quads(SMALL):
        assert q.graph_name.value.startswith(BASE + "graph/synthetic/"), q
        if isinstance(q.subject, ox.NamedNode):
            assert q.subject.value.startswith(synthetic.SYNTHETIC), q
        if isinstance(q.object, ox.NamedNode) and q.object.value.startswith(BASE):
            assert q.object.value.startswith(synthetic.SYNTHETIC) or q.object.value in concepts, q


def test_every_resource_derives_from_the_synthetic_dataset():
    s = store(SMALL)
    missing = select(
        s,
        f"""SELECT ?r WHERE {{
            ?r a ?type . FILTER (isIRI(?r) && ?r != <{synthetic.DATASET.value}>)
            FILTER NOT EXISTS {{ ?r <http://www.w3.org/ns/prov#wasDerivedFrom>
                                    <{synthetic.DATASET.value}> }}
        }}""",
    )
    assert not missing
    [(description,)] = select(
        s,
        f"SELECT ?d WHERE {{ <{synthetic.DATASET.value}> <{DCT}description> ?d }}",
    )
    assert "SYNTHÉTIQUES" in description.value and str(synthetic.DEFAULT_SEED) in description.value


def test_every_commune_reaches_its_region_by_inclus_dans_plus():
    s = store(0.01)
    rows = select(
        s,
        """SELECT ?c (COUNT(DISTINCT ?r) AS ?n) WHERE {
            ?c a sg:Commune .
            OPTIONAL { ?c sg:inclusDans+ ?r . ?r a sg:Region }
        } GROUP BY ?c""",
    )
    assert len(rows) == 350
    assert {int(n.value) for _, n in rows} == {1}
    # and through both parents: its EPCI and its département lie in the same région
    [(count,)] = select(
        s,
        """SELECT (COUNT(*) AS ?n) WHERE {
            ?c a sg:Commune ; sg:inclusDans ?e, ?d .
            ?e a sg:EPCI ; sg:inclusDans ?d . ?d a sg:Departement
        }""",
    )
    assert int(count.value) == 350


def test_cpts_serve_contiguous_communes_of_one_departement():
    s = store(0.01)
    rows = select(
        s,
        """SELECT ?cpts (COUNT(DISTINCT ?c) AS ?n) (COUNT(DISTINCT ?d) AS ?nd) WHERE {
            ?cpts a sg:CPTS ; sg:territoireDesservi ?c . ?c sg:inclusDans ?d .
            ?d a sg:Departement
        } GROUP BY ?cpts""",
    )
    assert rows
    for _, n, nd in rows:
        assert 10 <= int(n.value) <= 60 and int(nd.value) == 1


def test_scale_out_of_range_is_refused():
    with pytest.raises(ValueError):
        next(synthetic.generate(0))
    with pytest.raises(ValueError):
        next(synthetic.generate(synthetic.MAX_SCALE * 2))
