"""Issue 17: every question the sources answer is one plain SPARQL pattern.

One test per cause the issue lists, on the real content as santegraph loads it (its named
graphs, graph/inferences included, the default graph their union). Each query is what an
integrator who read docs/modeling.md writes: no `rdfs:subClassOf*`, no UNION of
properties, no REGEX or CONTAINS over free text. Each fails on the model before issue 17
(the property did not exist, or the pattern missed or mixed answers).
"""

from __future__ import annotations

from .conftest import BASE

OWL_CLASS = "<http://www.w3.org/2002/07/owl#Class>"


def values(content, query: str, var: str = "x") -> set[str]:
    return {row[var].removeprefix(BASE) for row in content.select(query) if row[var]}


# ----------------------------------------------------------------- cause 8: entailment


def test_cause_8_a_class_pattern_finds_the_instances_of_every_subclass(content):
    concertations = values(content, "SELECT DISTINCT ?x WHERE { ?x a sg:Concertation }")
    assert {"concertation/hainaut", "concertation/journee-regionale-pessac"} <= concertations
    assert len(concertations) == 8  # the 7 territorial days of doc 003 and the Pessac day
    # a commune is in its région without a property path
    assert content.ask("ASK { <territoire/commune/59183> sg:inclusDans <territoire/region/32> }")


# ----------------------------------------------------------------- cause 7: no punning


def test_cause_7_one_pattern_answers_which_dispositifs_an_action_relies_on(content):
    # action 8 names a given CSNP (an instance) and the kinds SAS and CPTS
    kinds = values(
        content,
        "SELECT ?x WHERE { <action/metropole-flandres/8> sg:mobiliseType ?x }",
    )
    sg = "https://w3id.org/santegraph/def#"
    assert {sg + k for k in ("CSNP", "SAS", "CPTS", "SoinsNonProgrammes")} <= kinds
    # and one pattern finds everything relying on a mental-health scheme, whatever was named
    relying = values(
        content, "SELECT DISTINCT ?x WHERE { ?x sg:mobiliseType sg:DispositifSanteMentale }"
    )
    assert {"proposition/hainaut/9-3", "action/metropole-flandres/7"} <= relying
    # instance links hold instances only, kind links kinds only
    for link in ("sg:mobilise", "sg:implique"):
        assert not content.ask(f"ASK {{ ?x {link} ?k . ?k a {OWL_CLASS} }}"), link


# ----------------------------------------------------------------- cause 2: repondA split


def test_cause_2_document_structure_and_thematic_link_are_two_relations(content):
    # filed under exactly one heading; the thematic links are another relation
    assert values(
        content, "SELECT ?x WHERE { <solution/somme-littoral-sud/3> sg:rubrique ?x }"
    ) == {"theme-national/1"}
    assert values(
        content, "SELECT ?x WHERE { <solution/somme-littoral-sud/3> sg:lienThematique ?x }"
    ) == {"theme-national/1", "theme-national/4", "defi/1"}
    # a proposition is filed where its solution is (graph/inferences: dct:isPartOf chain)
    assert content.ask("ASK { <proposition/hainaut/9-3> sg:rubrique <theme-national/4> }")
    # one pattern lists what relates to a défi, and only elements of its région: the Pessac
    # day (Nouvelle-Aquitaine) is not linked to the Hauts-de-France défis
    defi_1 = values(content, "SELECT DISTINCT ?x WHERE { ?x sg:lienThematique <defi/1> }")
    assert "solution/somme-littoral-sud/1" in defi_1
    assert not any("journee-regionale-pessac" in x for x in defi_1)
    # the défi read from a misplaced "Constats" block is gone (note 7 of doc 001)
    assert not content.ask("ASK { <solution/somme-littoral-sud/10> sg:lienThematique <defi/2> }")
