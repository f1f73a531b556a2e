"""graph/inferences: what the ontology entails, materialised so plain patterns work everywhere.

The reasoner itself (santegraph.entailment) on small axiom sets, then the graph as the
loader, the steward gate, the exports and the imports keep it, on every backend.
"""

from __future__ import annotations

import gzip

import pyoxigraph as ox
import pytest

from santegraph.entailment import Entailment, _region, inferences_after, inferences_delta
from santegraph.errors import InputError
from santegraph.loading import Loader
from santegraph.steward.credentials import Steward
from santegraph.steward.workflow import Stewardship

from .conftest import BASE, SUBMISSIONS, canonical

EX = "urn:ex:"
SG = "https://w3id.org/santegraph/def#"
INFERENCES = BASE + "graph/inferences"
PREFIXES = """
@prefix ex: <urn:ex:> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
"""


def triples(text: str) -> list[ox.Triple]:
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse((PREFIXES + text).encode(), format=ox.RdfFormat.TURTLE)
    ]


def inferred(axioms: str, data: str) -> set[tuple[str, str, str]]:
    found = Entailment(triples(axioms)).infer(triples(data))
    return {
        (t.subject.value.removeprefix(EX), t.predicate.value.removeprefix(EX), _short(t.object))
        for t in found
    }


def nquads(text: str) -> list[str]:
    return canonical(ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS))


def _short(term) -> str:
    return term.value.removeprefix(EX) if isinstance(term, ox.NamedNode) else term.value


TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


# ---------------------------------------------------------------- the reasoner


def test_types_go_up_the_class_hierarchy():
    axioms = """ex:CPTS rdfs:subClassOf ex:ExerciceCoordonne .
                ex:ExerciceCoordonne rdfs:subClassOf ex:Dispositif ."""
    assert inferred(axioms, "ex:a a ex:CPTS .") == {
        ("a", TYPE, "ExerciceCoordonne"),
        ("a", TYPE, "Dispositif"),
    }


def test_sub_properties_inverses_and_equivalences():
    axioms = """
        ex:porteur rdfs:subPropertyOf ex:implique .
        ex:offre owl:inverseOf ex:prestataire .
        ex:A owl:equivalentClass ex:B .
    """
    data = "ex:action ex:porteur ex:cpam . ex:esat ex:offre ex:service . ex:x a ex:A ."
    assert inferred(axioms, data) == {
        ("action", "implique", "cpam"),
        ("service", "prestataire", "esat"),
        ("x", TYPE, "B"),
    }


def test_transitive_properties_and_property_chains():
    axioms = """
        ex:inclusDans a owl:TransitiveProperty .
        ex:rubrique owl:propertyChainAxiom ( ex:partDe ex:rubrique ) .
    """
    data = """
        ex:lille ex:inclusDans ex:mel . ex:mel ex:inclusDans ex:nord .
        ex:nord ex:inclusDans ex:hdf .
        ex:proposition ex:partDe ex:solution . ex:solution ex:rubrique ex:theme1 .
    """
    assert inferred(axioms, data) == {
        ("lille", "inclusDans", "nord"),
        ("lille", "inclusDans", "hdf"),
        ("mel", "inclusDans", "hdf"),
        ("proposition", "rubrique", "theme1"),
    }


def test_sparql_rules_run_with_this_left_free_and_their_results_are_entailed_further():
    axioms = """
        ex:CLSM rdfs:subClassOf ex:DispositifSanteMentale .
        ex:mobiliseType rdfs:subPropertyOf ex:concerneType .
        ex:rule a sh:SPARQLRule ; sh:construct \"\"\"
            CONSTRUCT { $this <urn:ex:mobiliseType> ?k }
            WHERE { $this <urn:ex:mobilise> ?i . ?i a ?k }\"\"\" .
    """
    data = "ex:p ex:mobilise ex:clsm-lille . ex:clsm-lille a ex:CLSM ."
    assert inferred(axioms, data) == {
        ("clsm-lille", TYPE, "DispositifSanteMentale"),
        ("p", "mobiliseType", "CLSM"),
        ("p", "mobiliseType", "DispositifSanteMentale"),
        ("p", "concerneType", "CLSM"),
        ("p", "concerneType", "DispositifSanteMentale"),
    }


def test_domains_ranges_and_blank_nodes_give_nothing():
    """rdfs:domain/range are constraints here (the shapes check them), not type generators;
    a blank node of another update could not carry its inferences."""
    axioms = "ex:code rdfs:domain ex:Territoire . ex:C rdfs:subClassOf ex:D ."
    assert inferred(axioms, 'ex:dataset ex:code "2022" . [] a ex:C .') == set()


def test_a_chain_on_a_blank_node_is_ignored_not_a_crash():
    """A chain axiom on an anonymous property entails nothing: what it would entail needs
    the property as a predicate, which a blank node cannot be (the load failed on it)."""
    axioms = "[] owl:propertyChainAxiom ( ex:partDe ex:rubrique ) ."
    data = "ex:proposition ex:partDe ex:solution . ex:solution ex:rubrique ex:theme1 ."
    assert inferred(axioms, data) == set()


def test_stated_triples_are_not_repeated():
    axioms = "ex:C rdfs:subClassOf ex:D ."
    assert inferred(axioms, "ex:x a ex:C , ex:D .") == set()


# ---------------------------------------------------------------- the store


@pytest.fixture
def loader(store, settings):
    return Loader(store, settings, progress=False)


def types_of(store, iri: str) -> set[str]:
    rows = store.select(
        "SELECT DISTINCT ?t WHERE { VALUES ?x { UNDEF } ?x a ?t }", {"x": ox.NamedNode(iri)}
    )
    return {r["t"].value.removeprefix(SG) for r in rows}


def test_the_loader_writes_the_inferences_with_the_content(loader, store):
    summary = loader.ensure_content()
    assert summary.inferred == store.count_triples(INFERENCES) > 0
    # the plain pattern finds the CPTS as an acteur (mini ontology: sg:CPTS ⊑ sg:Acteur)
    assert types_of(store, BASE + "acteur/cpts-sud-metropole-lilloise") == {"CPTS", "Acteur"}
    assert store.ask(
        "ASK { VALUES ?g { UNDEF } GRAPH ?g { ?g a ?c } }", {"g": ox.NamedNode(INFERENCES)}
    ), "the graph says what it is (sg:GrapheInferences)"


def test_loading_a_file_updates_the_inferences_in_the_same_write(loader, store):
    loader.ensure_content()
    loader.load_files([SUBMISSIONS / "valid-msp.ttl"])
    assert types_of(store, BASE + "acteur/msp-du-port") == {"MSP", "Acteur"}
    loader.load_files([SUBMISSIONS / "valid-msp.ttl"], graph=BASE + "graph/local/valid-msp")
    loader.store.drop_graph(BASE + "graph/local/valid-msp")
    loader.load_content()  # a content reload recomputes from what the store holds
    assert types_of(store, BASE + "acteur/msp-du-port") == set()


def test_the_inferences_graph_is_not_loadable_by_hand(loader):
    loader.ensure_content()
    with pytest.raises(InputError, match="rebuilds it itself"):
        loader.load_files([SUBMISSIONS / "valid-msp.ttl"], graph=INFERENCES)


def test_a_steward_deposit_and_withdrawal_keep_the_inferences_in_step(store, settings):
    loader = Loader(store, settings, progress=False)
    loader.ensure_content()
    service = Stewardship(store, settings, loader)
    marie = Steward("Marie Fictive")
    data = loader.read_bytes((SUBMISSIONS / "valid-msp.ttl").read_bytes(), "msp.ttl", "turtle")
    proposal = service.propose_deposit(marie, data, channel="cli", source="msp.ttl")
    service.commit(proposal)
    assert types_of(store, BASE + "acteur/msp-du-port") == {"MSP", "Acteur"}
    graph = proposal.changes[0].graph
    service.commit(service.propose_withdrawal(marie, graph, channel="cli"))
    assert types_of(store, BASE + "acteur/msp-du-port") == set()
    # the delta writes kept the graph equal to a full recomputation
    fresh = Loader(store, settings, progress=False)
    before = sorted(str(q) for q in store.match(graph=ox.NamedNode(INFERENCES)))
    fresh.load_content()
    after = sorted(str(q) for q in store.match(graph=ox.NamedNode(INFERENCES)))
    assert before == after


def test_exports_leave_the_inferences_out_unless_asked(run):
    assert run("load")[0] == 0
    code, plain, _ = run("export")
    assert code == 0 and "graph/inferences" not in plain and "graph/ontology/mini" in plain
    code, full, _ = run("export", "--inferences")
    assert code == 0 and "graph/inferences" in full


def test_an_import_rebuilds_the_inferences_whatever_the_dump_says(run, tmp_path):
    run("load")
    dump = tmp_path / "dump.nq"
    code, full, _ = run("export", "--inferences")
    # a dump with a forged inference: the import drops the graph and recomputes it
    forged = f"<{BASE}acteur/x> <{SG}faux> <{BASE}acteur/y> <{INFERENCES}> .\n"
    dump.write_text(full + forged, encoding="utf-8")
    assert run("import", str(dump))[0] == 0
    code, after, _ = run("export", "--inferences")
    assert "faux" not in after
    assert nquads(after) == nquads(full)


def test_the_dump_download_leaves_the_inferences_out_unless_asked(client):
    plain = gzip.decompress(client.get("/dump.nq.gz").data).decode()
    full = gzip.decompress(client.get("/dump.nq.gz?inferences=1").data).decode()
    assert "graph/inferences" not in plain and "graph/inferences" in full
    assert set(plain.splitlines()) < set(full.splitlines())


# ------------------------------------------- a steward change recomputes what it can move
# inferences_delta recomputes only the nodes whose inferences depend on what changed (the
# subjects of changed triples, the objects of invertible ones, and whatever reaches them
# through a transitive property, a chain link, a rule's property or an inverse), over the
# triples of what they depend on. Applied to the stored graph, it must give exactly what a
# whole recomputation gives: on every backend (it reads the store through match_any).

DELTA_AXIOMS = """
    ex:CLSM rdfs:subClassOf ex:Dispositif .
    ex:inclusDans a owl:TransitiveProperty .
    ex:offre owl:inverseOf ex:prestataire .
    ex:porteur rdfs:subPropertyOf ex:implique .
    ex:rubrique owl:propertyChainAxiom ( ex:partDe ex:rubrique ) .
    ex:rule a sh:SPARQLRule ; sh:construct \"\"\"
        PREFIX ex: <urn:ex:>
        CONSTRUCT { $this ex:mobiliseType ?k }
        WHERE { $this ex:mobilise ?i . ?i a ?k }\"\"\" .
"""
DELTA_DATA = """
    ex:lille ex:inclusDans ex:mel . ex:mel ex:inclusDans ex:nord .
    ex:clsm ex:inclusDans ex:lille .
    ex:action ex:mobilise ex:clsm ; ex:porteur ex:cpam .
    ex:esat ex:offre ex:service .
    ex:proposition ex:partDe ex:solution . ex:solution ex:rubrique ex:theme1 .
"""
DELTA_CHANGES = {
    "a type that a rule reads": {"replace": "ex:clsm a ex:CLSM ."},
    "a territory moved up the chain": {
        "replace_data": ("ex:mel ex:inclusDans ex:nord .", "ex:mel ex:inclusDans ex:pdc .")
    },
    "an inverse withdrawn": {"replace_data": ("ex:esat ex:offre ex:service .", "")},
    "a chain's first link added": {"replace": "ex:p2 ex:partDe ex:solution ."},
    "a graph dropped": {"drop": True},
}


def _delta_store(store):
    axioms_graph, data_graph = BASE + "graph/ontology/x", BASE + "graph/sources/x"
    store.replace_graphs({axioms_graph: triples(DELTA_AXIOMS), data_graph: triples(DELTA_DATA)})
    store.replace_graphs(inferences_after(store, BASE))
    return data_graph


@pytest.mark.parametrize("change", DELTA_CHANGES)
def test_a_steward_change_moves_the_inferences_a_whole_recomputation_would(store, change):
    data_graph = _delta_store(store)
    steward_graph = BASE + "graph/steward/x"
    spec = DELTA_CHANGES[change]
    if "replace" in spec:
        arguments = {"replace": {steward_graph: triples(spec["replace"])}}
    elif "replace_data" in spec:
        old, new = spec["replace_data"]
        arguments = {"replace": {data_graph: triples(DELTA_DATA.replace(old, new))}}
    else:
        arguments = {"drop": [data_graph]}
    added, removed = inferences_delta(store, BASE, **arguments)
    assert added[INFERENCES] or removed[INFERENCES]  # each change moves something
    store.write(
        replace=arguments.get("replace", {}),
        drop=arguments.get("drop", []),
        add=added,
        remove=removed,
    )
    kept = {str(q.triple) for q in store.match(graph=ox.NamedNode(INFERENCES))}
    assert kept == {str(t) for t in inferences_after(store, BASE)[INFERENCES]}


def test_the_delta_reads_only_the_nodes_the_change_can_move(store):
    """A new CLSM depends on nothing of the data graph: none of its triples is read (the
    whole recomputation read the whole store on every steward commit: 15 s per deposit on
    the project content, docs/benchmarks.md)."""
    _delta_store(store)
    reads = []
    for name in ("match_any", "quads", "match"):
        original = getattr(store, name)

        def recording(*args, _original=original, **pattern):
            quads = list(_original(*args, **pattern))
            reads.extend(quads)
            return iter(quads)

        setattr(store, name, recording)
    inferences_delta(store, BASE, replace={BASE + "graph/steward/x": triples("ex:z a ex:CLSM .")})
    assert not {q for q in reads if q.graph_name.value == BASE + "graph/sources/x"}


def test_blank_nodes_carry_no_inferences_in_a_delta_either(store):
    """The closure reads no triple with a blank node (its inferences could not be attached
    to it in another update): a change through one moves nothing, as a recomputation says."""
    _delta_store(store)
    change = {BASE + "graph/steward/x": triples("ex:q ex:mobilise [ a ex:CLSM ] .")}
    added, removed = inferences_delta(store, BASE, replace=change)
    assert added[INFERENCES] == removed[INFERENCES] == []
    store.replace_graphs(change)
    assert not [t for t in inferences_after(store, BASE)[INFERENCES] if t.subject.value == EX + "q"]


def test_an_axiom_change_recomputes_everything(store):
    _delta_store(store)
    axioms = {
        BASE + "graph/ontology/x": triples(DELTA_AXIOMS + "ex:partDe rdfs:subPropertyOf ex:lie .")
    }
    assert _region(store, BASE, axioms, {}, []) is None
    added, _ = inferences_delta(store, BASE, replace=axioms)
    assert (EX + "proposition", EX + "lie", EX + "solution") in {
        (t.subject.value, t.predicate.value, t.object.value) for t in added[INFERENCES]
    }
