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


# ----------------------------------------------------------------- cause 4: attendance


def test_cause_4_who_took_part_in_which_role_and_office_is_one_pattern(content):
    rows = content.select(
        """SELECT ?who ?office WHERE {
             <concertation/somme-littoral-sud> prov:qualifiedAssociation ?p .
             ?p prov:agent ?who ; prov:hadRole/skos:notation "ouverture" ;
                sg:qualite/skos:notation ?office }"""
    )
    assert {(r["who"].removeprefix(BASE), r["office"]) for r in rows} == {
        ("acteur/cts-somme", "president"),
        ("acteur/ctu-pas-de-calais", "president"),
        ("acteur/delegation-departementale-de-la-somme-de-l-ars-hauts-de-france", "directeur"),
        ("acteur/delegation-departementale-du-pas-de-calais-de-l-ars-hauts-de-france", "directeur"),
    }
    # an unnamed participant keeps its kind, never an instance link to a class
    assert content.ask(
        """ASK { <concertation/hainaut> prov:qualifiedAssociation ?p .
                 ?p sg:typeAgent sg:CollectiviteTerritoriale ;
                    sg:qualite/skos:notation "directeur-general-des-services" }"""
    )
    assert not content.ask(f"ASK {{ ?p prov:agent ?k . ?k a {OWL_CLASS} }}")


def test_cause_4_sub_colleges_roll_up_and_excused_members_keep_a_mandate_role(content):
    college = "<acteur/cts-metropole-flandres/college/1>"
    members = content.select(
        f"SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {{ ?m sg:dansCollege {college} }}"
    )
    # the 32 mandates of collège 1 are spread over its sub-collèges 1a-1 ... 1h
    assert members[0]["n"] == "32"
    assert not content.ask(f"ASK {{ ?m sg:college {college} }}")
    # every excused member has a mandate role, "non précisé" when the PV does not give it
    assert not content.ask(
        """ASK { ?p sg:statutPresence <statut-presence/excuse> ; sg:personne ?who ;
                    sg:seance ?s . ?s sg:instance ?i .
                 FILTER NOT EXISTS { ?m org:member ?who ; org:organization ?i ;
                                        sg:roleMandat ?r } }"""
    )
    assert content.ask('ASK { ?m sg:roleMandat/skos:notation "non-precise" }')


# ----------------------------------------------------------------- cause 5: territories


def test_cause_5_partial_and_informal_territories_have_members_and_certainty(content):
    # the Somme-Littoral Sud TAS: the Somme in part, without the Haute Somme, and the
    # Montreuillois, each an entity with its boundary status
    tas = "<territoire/tas/somme-littoral-sud>"
    assert values(content, f"SELECT ?x WHERE {{ ?x sg:inclusEnPartieDans {tas} }}") == {
        "territoire/departement/80"
    }
    assert values(content, f"SELECT ?x WHERE {{ {tas} sg:exclutTerritoire ?x }}") == {
        "territoire/autre/haute-somme"
    }
    assert "territoire/autre/montreuillois" in values(
        content, f"SELECT ?x WHERE {{ ?x sg:inclusDans {tas} }}"
    )
    assert content.ask(
        """ASK { <territoire/autre/montreuillois> sg:inclusDans <territoire/departement/62> ;
                   sg:statutPerimetre <statut-perimetre/inconnu> }"""
    )
    # stated and read members are one pattern; the read ones can be told apart
    zonage = "<territoire/autre/zonage-medecins-generalistes>"
    # « l'ensemble des communes de la CUD »: the CUD and, through it, each of its communes
    cud_communes = values(
        content, "SELECT ?x WHERE { ?x sg:inclusDans <territoire/epci/245900428> }"
    )
    assert len(cud_communes) > 10
    assert (
        values(content, f"SELECT ?x WHERE {{ ?x sg:inclusDans {zonage} }}")
        == {"territoire/epci/245900428"} | cud_communes
    )
    assert values(content, f"SELECT ?x WHERE {{ ?x sg:inclusEnPartieDans {zonage} }}") == {
        "territoire/epci/200040954"
    }
    tds = "<territoire/tds/metropole-flandres>"
    members = values(content, f"SELECT ?x WHERE {{ ?x sg:inclusDans {tds} }}")
    assert {"territoire/commune/59350", "territoire/commune/59183"} <= members
    assert values(content, f"SELECT ?x WHERE {{ ?x sg:inclusDansDeduit {tds} }}") >= {
        "territoire/commune/59350",
        "territoire/commune/59183",
    }
    # the CTS serves its own territory, not the homonymous TAS
    assert values(
        content, "SELECT ?x WHERE { <acteur/cts-metropole-flandres> sg:territoireDesservi ?x }"
    ) == {"territoire/tds/metropole-flandres"}


def test_cause_5_establishments_are_located_and_found_by_place(content):
    located = values(
        content,
        """SELECT ?x WHERE { ?x sg:localisation ?c .
                              ?c sg:inclusDans <territoire/departement/59> }""",
    )
    assert {
        "acteur/chu-de-lille",
        "acteur/groupement-hospitalier-de-loos-haubourdin",
        "acteur/centre-hospitalier-de-dunkerque",
    } <= located
    # the Dunkerque hospital's commune is read, not written
    assert content.ask("ASK { <acteur/centre-hospitalier-de-dunkerque> sg:localisationDeduite ?c }")


# ----------------------------------------------------------------- cause 6: entities


def test_cause_6_an_organisation_is_linked_the_same_way_in_every_document(content):
    # Parcoursup is named by proposals of the Hainaut (doc 000) and Somme (doc 001) days
    rows = content.select(
        "SELECT DISTINCT ?x ?doc WHERE { ?x sg:implique <acteur/parcoursup> ;"
        " prov:wasDerivedFrom/dct:isPartOf ?doc }"
    )
    assert {r["doc"].removeprefix(BASE) for r in rows} == {
        "source/000_4a337a90df3403e9",
        "source/001_cf98c4f57362bdba",
    }
    # the Éducation nationale, in docs 001 and 004; a category named in a list is a kind
    involving = values(content, "SELECT ?x WHERE { ?x sg:implique <acteur/education-nationale> }")
    assert {"proposition/somme-littoral-sud/9-2", "proposition/journee-regionale-pessac/6"} <= (
        involving
    )
    assert content.ask("ASK { <proposition/journee-regionale-pessac/1> sg:impliqueType sg:URPS }")
    # every organisation kind asked for, instances and kinds alike, in one pattern
    cpam = values(content, "SELECT ?x WHERE { ?x sg:impliqueType sg:OrganismeProtectionSociale }")
    assert {
        "action/metropole-flandres/3",  # the three CPAM carry it (instances)
        "proposition/somme-littoral-sud/11-3",  # « CPAM ; assistantes sociales » (kind)
        "proposition/journee-regionale-pessac/1",  # « les CPAM »
    } <= cpam
