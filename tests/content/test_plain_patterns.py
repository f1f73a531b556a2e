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


# ----------------------------------------------------------------- causes 1 and 3: figures


def test_cause_1_a_stated_figure_is_data_with_its_unit_and_nuance(content):
    rows = content.select(
        """SELECT ?v ?unit WHERE {
             ?q sg:quantiteDe <action/metropole-flandres/8> ;
                sg:grandeur/skos:notation "csnp-retenus" ; sg:valeur ?v ; sg:unite ?unit }"""
    )
    assert rows == [{"v": "8", "unit": "http://qudt.org/vocab/unit/NUM"}]
    # a range, a planned parameter of the common agenda: "entre 5 et 8 groupes"
    assert content.ask(
        """ASK { ?q sg:grandeur/skos:notation "groupes-ateliers" ; sg:valeurMin 5 ;
                    sg:valeurMax 8 ; sg:natureChiffre/skos:notation "prevu" }"""
    )
    # a negation as a typed fact: the PV says action 6 does not stem from the CNR
    assert values(content, "SELECT ?x WHERE { ?x sg:issueDuCNR false }") == {
        "action/metropole-flandres/6"
    }
    assert content.ask(
        "ASK { <feuille-de-route/metropole-flandres>"
        " sg:sansActionSur <besoin/qualite-vie-travail> }"
    )
    # "Aucun sénateur ni député" is a count of zero
    assert content.ask(
        """ASK { <concertation/hainaut> sg:quantite ?q .
                 ?q sg:grandeur/skos:notation "parlementaires-presents" ; sg:valeur 0 }"""
    )


def test_cause_3_participant_counts_have_one_meaning_and_one_place(content):
    rows = content.select(
        """SELECT ?c ?moment ?v WHERE {
             ?c a sg:Concertation ; sg:quantite ?q .
             ?q sg:grandeur/skos:notation "participants" ; sg:moment/skos:notation ?moment ;
                sg:valeur ?v .
             FILTER NOT EXISTS { ?q sg:portee ?partie } }"""
    )
    counts = {(r["c"].removeprefix(BASE), r["moment"]): r["v"] for r in rows}
    assert counts == {
        ("concertation/hainaut", "ateliers"): "100",
        ("concertation/hainaut", "pleniere"): "120",
        ("concertation/somme-littoral-sud", "ateliers"): "100",
        ("concertation/somme-littoral-sud", "pleniere"): "140",
        ("concertation/journee-regionale-pessac", "ateliers"): "160",
    }
    # no count left on an agenda item, no property with two meanings
    assert not content.ask("ASK { ?x sg:nombreParticipants ?n }")
