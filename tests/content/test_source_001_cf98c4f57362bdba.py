"""What source 001 says: the synthèse de restitution of the CNR Santé Somme-Littoral Sud.

Each test quotes the passage of the document it relies on (and checks that the
passage really is in the text), then asks the graph for the fact, mostly inside
the document's own named graph so that "which document says this" holds too.
"""

import re
from pathlib import Path

from ..external import SourceText
from .conftest import source_text

STEM = "001_cf98c4f57362bdba"
DOC_GRAPH = "<graph/sources/001_cf98c4f57362bdba>"
MODELING = Path(__file__).resolve().parents[2] / "docs" / "modeling.md"


def normalised(text: str) -> str:
    """Whitespace collapsed and Markdown bold markers removed, as in the transcription."""
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def assert_in_source(passage: str) -> None:
    assert SourceText(STEM, normalised).says(passage), passage


def fr(text: str) -> str:
    """A French SPARQL literal for a Python string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"@fr'


def in_doc(pattern: str) -> str:
    """An ASK over this document's named graph only."""
    return "ASK { GRAPH " + DOC_GRAPH + " { " + pattern + " } }"


# --- The document and its header ------------------------------------------------


def test_document_is_an_ars_synthesis_dated_29_novembre_without_a_year(content):
    assert_in_source("SYNTHESE DE RESTITUTION\nARS Hauts-de-France\nCNR Santé Somme-Littoral Sud")
    assert_in_source("CNR Santé Somme-Littoral Sud\n29 novembre\n")
    assert content.ask(
        in_doc(
            """<source/001_cf98c4f57362bdba> a sg:DocumentSource ;
                dct:publisher <acteur/ars-hauts-de-france> ;
                sg:nomFichier "001_cf98c4f57362bdba.txt" ;
                dct:spatial <territoire/tas/somme-littoral-sud> ;
                sg:dateTexte "29 novembre"@fr .
            ?note a sg:NoteQualite ;
                sg:concerne <source/001_cf98c4f57362bdba> ;
                sg:typeProbleme <type-probleme/annee-manquante> ."""
        )
    )
    # No year is invented: the document carries no dct:date.
    assert not content.ask("ASK { <source/001_cf98c4f57362bdba> dct:date ?d }")


def test_territory_name_spelling_variants_are_recorded(content):
    for variant in ("Somme-Littoral Sud", "Somme-Littoral sud", "Somme Littoral Sud"):
        assert_in_source(variant)
    # This document adds the two spellings that differ from the canonical name.
    rows = content.select(
        "SELECT ?alt WHERE { GRAPH " + DOC_GRAPH + " {"
        " <territoire/tas/somme-littoral-sud> skos:altLabel ?alt } }"
    )
    assert {r["alt"] for r in rows} == {"Somme-Littoral sud", "Somme Littoral Sud"}
    assert content.ask(
        'ASK { <territoire/tas/somme-littoral-sud> skos:prefLabel "Somme-Littoral Sud"@fr }'
    )
    assert content.ask(
        in_doc(
            """?n sg:concerne <territoire/tas/somme-littoral-sud> ;
                  sg:typeProbleme <type-probleme/variante-orthographique> ."""
        )
    )


# --- I – Eléments de contexte ----------------------------------------------------


def test_diagnosis_second_least_dense_health_territory(content):
    assert_in_source(
        "Le territoire Somme-Littoral sud est le **second territoire de santé le moins dense**"
    )
    rows = content.select(
        "SELECT ?c WHERE { GRAPH " + DOC_GRAPH + " {"
        " <concertation/somme-littoral-sud> sg:constat ?c ."
        ' FILTER(CONTAINS(?c, "second territoire de santé le moins dense")) } }'
    )
    assert len(rows) == 1
    # The "ECPI" typo is kept in the constat and flagged.
    assert "les ECPI plus au Sud" in rows[0]["c"]
    assert content.ask(
        in_doc(
            """?n sg:concerne <concertation/somme-littoral-sud> ;
                  sg:typeProbleme <type-probleme/variante-orthographique> ;
                  rdfs:comment ?c . FILTER(CONTAINS(?c, "ECPI"))"""
        )
    )


def test_diagnosis_unfavourable_mortality_including_suicide(content):
    passage = (
        "Une **mortalité particulièrement défavorable** est observée, pour le suicide, "
        "le cancer des voies aérodigestives supérieures"
    )
    assert_in_source(passage)
    assert content.ask(
        in_doc(
            "<concertation/somme-littoral-sud> sg:constat ?c ."
            " FILTER(STRSTARTS(?c, " + fr(normalised(passage)) + "))"
        )
    )


def test_territory_groups_the_somme_without_haute_somme_and_the_montreuillois(content):
    passage = (
        "Le CNR Somme Littoral Sud regroupe le département de la Somme (sans la Haute Somme) "
        "et le Montreuillois (62)."
    )
    assert_in_source(passage)
    assert content.ask(
        in_doc('<territoire/tas/somme-littoral-sud> skos:note "' + passage + '"@fr .')
    )


def test_ten_workshops_and_about_140_participants_in_plenary(content):
    assert_in_source("réparties en 10 ateliers composés de 10 personnes")
    assert_in_source("Environ 140 personnes ont assisté à la session plénière de l'après-midi.")
    rows = content.select(
        "SELECT ?g ?m ?v WHERE { GRAPH " + DOC_GRAPH + " {"
        " ?q sg:quantiteDe <concertation/somme-littoral-sud> ; sg:grandeur ?g ; sg:valeur ?v ."
        " OPTIONAL { ?q sg:moment ?m } } }"
    )
    counts = {(r["g"].rsplit("/", 1)[1], (r["m"] or "").rsplit("/", 1)[-1]): r["v"] for r in rows}
    assert counts[("ateliers", "ateliers")] == "10"
    assert counts[("participants", "pleniere")] == "140"
    assert counts[("participants", "ateliers")] == "100"  # « une centaine »


def test_day_opened_by_cts_80_and_ctu62_presidents_and_two_ars_delegations(content):
    assert_in_source(
        "ouverte par le président CTS 80, le président CTU62, les directeurs des délégations "
        "de la Somme et du Pas-de-Calais"
    )
    rows = content.select(
        "SELECT ?kind ?alt WHERE { GRAPH " + DOC_GRAPH + " {"
        " <concertation/somme-littoral-sud> prov:qualifiedAssociation ?p ."
        " ?p prov:agent ?a ; prov:hadRole <role-participation/ouverture> ;"
        "    sg:qualite <fonction/president> ."
        " ?a a ?kind ; skos:altLabel ?alt ."
        ' FILTER(?alt IN ("CTS 80"@fr, "CTU62"@fr)) } }'
    )
    kinds = {(r["alt"], r["kind"].rsplit("#", 1)[-1]) for r in rows}
    assert kinds == {("CTS 80", "CTS"), ("CTU62", "CTU"), ("CTU62", "Commission")}
    delegations = content.select(
        "SELECT ?d WHERE { GRAPH " + DOC_GRAPH + " {"
        " <concertation/somme-littoral-sud> prov:qualifiedAssociation ?p ."
        " ?p prov:agent ?d ; prov:hadRole <role-participation/ouverture> ;"
        "    sg:qualite <fonction/directeur> ."
        " ?d sg:membreDe <acteur/ars-hauts-de-france> } }"
    )
    assert len(delegations) == 2


def test_mood_notes_before_and_after_are_empty_and_flagged(content):
    assert_in_source("voici ce qui est ressorti :\n\nAvant :\n\nAprès :")
    assert content.ask(
        in_doc(
            """?n sg:typeProbleme <type-probleme/information-manquante> ;
                  rdfs:comment ?c . FILTER(CONTAINS(?c, "billet d'humeur"))"""
        )
    )


# --- II – Solutions et propositions ----------------------------------------------


def test_eleven_solutions_under_the_four_national_themes_and_a_free_theme(content):
    assert_in_source("5 – Thématique(s) supplémentaire(s) au choix des parties prenantes :")
    rows = content.select(
        "SELECT ?n ?t WHERE { GRAPH " + DOC_GRAPH + " {"
        " ?s a sg:Solution ; schema:position ?n ; sg:issueDe <concertation/somme-littoral-sud> ;"
        " sg:rubrique ?t } }"
    )
    themes: dict[int, set[str]] = {}
    for r in rows:
        themes.setdefault(int(r["n"]), set()).add(r["t"].split("/id/", 1)[1])
    assert themes == {
        1: {"theme-national/1"},
        2: {"theme-national/1"},
        3: {"theme-national/1"},  # and a stated link to theme 4, see below
        4: {"theme-national/2"},
        5: {"theme-national/3"},
        6: {"theme-national/3"},
        7: {"theme-national/3"},
        8: {"theme-national/3"},
        9: {"theme-national/4"},
        10: {"theme-national/4"},
        11: {"theme-libre/somme-littoral-sud"},
    }
    assert content.ask(in_doc("<theme-libre/somme-littoral-sud> a sg:ThemeLibre, skos:Concept ."))


def test_solution_3_is_also_linked_to_the_prevention_theme(content):
    assert_in_source("(en lien avec la thématique 4 sur la prévention)")
    assert content.ask(
        in_doc(
            """<solution/somme-littoral-sud/3> sg:rubrique <theme-national/1> ;
                sg:lienThematiqueEnonce <theme-national/4> ;
                sg:citation "(en lien avec la thématique 4 sur la prévention)"@fr ."""
        )
    )


def test_solution_1_proposes_a_territorial_coordination_body_for_professionals(content):
    assert_in_source(
        "Créer une instance des coordinateurs en local -> « instance territoriale de coordination »"
    )
    assert content.ask(
        in_doc(
            """<proposition/somme-littoral-sud/1-1> dct:isPartOf <solution/somme-littoral-sud/1> ;
                dct:audience <public/professionnels-sante> ;
                cv:thematicArea <besoin/coordination-parcours> ;
                skos:prefLabel ?l .
            FILTER(CONTAINS(?l, "« instance territoriale de coordination »"))"""
        )
    )
    # The theme's constats are carried by the solutions that answer them.
    assert_in_source("Des coordinations existent mais par filière.")
    assert content.ask(
        in_doc(
            "<solution/somme-littoral-sud/1> sg:constat "
            + fr("Des coordinations existent mais par filière.")
        )
    )


def test_solution_4_relies_on_cls_clsm_and_pssm_vigilans_trainings(content):
    assert_in_source(
        "S'appuyer sur les CLS et les CLSM, comme leviers d'animation en santé / santé mentale"
    )
    assert_in_source(
        "Intégrer les formations Premiers secours en santé mentale (PSSM) et la formation VIGILANS"
    )
    rows = content.select(
        "SELECT ?p ?k WHERE { GRAPH " + DOC_GRAPH + " {"
        " ?p dct:isPartOf <solution/somme-littoral-sud/4> ; sg:mobiliseType ?k } }"
    )
    mobilised = {(r["p"].rsplit("/", 1)[1], r["k"].rsplit("#", 1)[1]) for r in rows}
    assert {("4-1", "CLS"), ("4-1", "CLSM"), ("4-2", "PSSM"), ("4-2", "VIGILANS")} <= mobilised
    # What this source says of the CLSM kind is stated on the kind itself.
    assert content.ask(
        in_doc(
            """sg:CLSM sg:mentionDansSource <source/001_cf98c4f57362bdba/solution-4> ;
                sg:besoin <besoin/sante-mentale> ; sg:ditDansSource ?d ."""
        )
    )


def test_theme_2_heading_on_unscheduled_care_holds_mental_health_content(content):
    assert_in_source(
        "2 – Garantir la continuité des soins et la réponse aux besoins de soins non programmés"
    )
    constat = "Manque de professionnels : psychiatre, pédopsychiatre et psychologue."
    assert_in_source(constat)
    assert content.ask(
        in_doc(
            "<solution/somme-littoral-sud/4> sg:rubrique <theme-national/2> ;"
            " sg:lienThematiqueDeduit <defi/2> ;"
            " sg:constat " + fr(constat) + " ."
            """ ?n sg:concerne <solution/somme-littoral-sud/4> ;
               sg:typeProbleme <type-probleme/contradiction> ."""
        )
    )


def test_parcoursup_is_spelled_two_ways(content):
    assert_in_source("Arrêter Parcours Sup et rétablir l'accès aux études pour tous.")
    assert_in_source("Parcoursup a bloqué des accès aux formations en santé")
    assert content.ask(
        in_doc(
            """<acteur/parcoursup> skos:prefLabel "Parcoursup"@fr ;
                skos:altLabel "Parcours Sup"@fr .
            <proposition/somme-littoral-sud/5-1> sg:implique <acteur/parcoursup> .
            ?n sg:concerne <acteur/parcoursup> ;
               sg:typeProbleme <type-probleme/variante-orthographique> ."""
        )
    )


def test_solution_8_ends_doctors_freedom_of_installation_relying_on_cls(content):
    title = (
        "Mettre un terme à la liberté d'installation des médecins pendant une durée "
        "limitée (a minima 5 ans)"
    )
    assert_in_source("Solution #8 : " + title)
    assert content.ask(
        in_doc(
            "<solution/somme-littoral-sud/8> sg:rubrique <theme-national/3> ;"
            " skos:prefLabel " + fr(title) + " ."
            """ <proposition/somme-littoral-sud/8-3> dct:isPartOf <solution/somme-littoral-sud/8> ;
                sg:mobiliseType sg:CLS ."""
        )
    )


def test_solution_9_prevention_desks_with_ccas_and_education_nationale(content):
    assert_in_source("en lien avec les contacts locaux de confiance : CCAS, éducation nationale")
    assert content.ask(
        in_doc(
            """<proposition/somme-littoral-sud/9-2> sg:mobiliseType sg:CCAS ;
                sg:implique <acteur/education-nationale> ;
                cv:thematicArea <besoin/prevention> .
            <acteur/education-nationale> a sg:ServiceEtat ; sg:secteur <secteur/education> ."""
        )
    )


def test_solution_10_constats_maisons_des_adolescents_are_little_known(content):
    passage = (
        "Méconnaissance des dispositifs existants d'aide et de prévention (Ex les maisons des "
        "adolescents) par les parents/jeunes et par les professionnels eux-mêmes."
    )
    assert_in_source(passage)
    assert content.ask(
        in_doc(
            "<solution/somme-littoral-sud/10> sg:constat " + fr(passage) + " ;"
            """ dct:audience <public/jeunes-moins-25> ; sg:mobiliseType sg:MDA .
            sg:MDA sg:public <public/adolescents> ; sg:roleParcours <role/prevention> ."""
        )
    )


def test_solution_11_free_theme_supports_carers_and_develops_the_sas(content):
    assert_in_source("Développer le SAS (service d'accès aux soins).")
    last = (
        "Accompagner des initiatives personnelles de famille sur les solutions trouvées afin "
        "d'aider leurs proches âgés/handicapés."
    )
    assert_in_source(last)
    rows = content.select(
        "SELECT ?p ?n WHERE { GRAPH " + DOC_GRAPH + " {"
        " ?p dct:isPartOf <solution/somme-littoral-sud/11> ; schema:position ?n } }"
    )
    assert sorted(int(r["n"]) for r in rows) == list(range(1, 15))
    assert content.ask(
        in_doc(
            """<proposition/somme-littoral-sud/11-2> sg:mobiliseType sg:SAS .
            <solution/somme-littoral-sud/11>
                sg:rubrique <theme-libre/somme-littoral-sud> ; sg:lienThematiqueDeduit <defi/7> .
            <proposition/somme-littoral-sud/11-14> schema:position 14 ;
                dct:audience <public/aidants> ; skos:prefLabel """
            + fr(last)
        )
    )


# --- Whole-graph checks ----------------------------------------------------------


def test_every_resource_typed_in_this_document_has_a_provenance(content):
    missing = content.select(
        "SELECT DISTINCT ?s WHERE { GRAPH " + DOC_GRAPH + " { ?s a ?t ."
        " FILTER(?t NOT IN (sg:DocumentSource, sg:SectionDocument))"
        " FILTER NOT EXISTS { ?s prov:wasDerivedFrom ?section } } }"
    )
    assert missing == []
    # and the provenance points at a section of this document (or the document itself)
    wrong = content.select(
        "SELECT DISTINCT ?s ?d WHERE { GRAPH " + DOC_GRAPH + " { ?s prov:wasDerivedFrom ?d ."
        " FILTER NOT EXISTS { ?d dct:isPartOf <source/001_cf98c4f57362bdba> }"
        " FILTER(?d != <source/001_cf98c4f57362bdba>) } }"
    )
    assert wrong == []


def test_every_proposition_is_placed_and_linked_to_publics_needs_and_themes(content):
    rows = content.select("SELECT ?p WHERE { GRAPH " + DOC_GRAPH + " { ?p a sg:Proposition } }")
    assert len(rows) == 75
    incomplete = content.select(
        "SELECT ?p WHERE { GRAPH " + DOC_GRAPH + " { ?p a sg:Proposition ."
        " FILTER NOT EXISTS { ?p dct:isPartOf ?s . ?s a sg:Solution ;"
        "   sg:issueDe <concertation/somme-littoral-sud> . ?p schema:position ?n ;"
        "   dct:audience ?a ; cv:thematicArea ?b ; skos:prefLabel ?l } } }"
    )
    assert incomplete == []


def test_quality_notes_are_complete(content):
    rows = content.select("SELECT ?n WHERE { GRAPH " + DOC_GRAPH + " { ?n a sg:NoteQualite } }")
    assert len(rows) >= 10
    incomplete = content.select(
        "SELECT ?n WHERE { GRAPH " + DOC_GRAPH + " { ?n a sg:NoteQualite ."
        " FILTER NOT EXISTS { ?n sg:concerne ?r ; sg:typeProbleme ?t ; rdfs:comment ?c ;"
        "   prov:wasDerivedFrom ?d . FILTER(LANG(?c) = 'fr') } } }"
    )
    assert incomplete == []


def test_verbatim_passages_are_really_in_the_source(content):
    rows = content.select(
        "SELECT ?s ?v WHERE { GRAPH " + DOC_GRAPH + " {"
        " { ?s sg:constat|sg:citation|sg:ditDansSource|rdfs:label ?v }"
        " UNION { ?s a ?k ; skos:prefLabel ?v . VALUES ?k { sg:Solution sg:Proposition } } } }"
    )
    assert len(rows) > 150
    text = normalised(source_text(STEM))
    not_found = [(r["s"], r["v"]) for r in rows if normalised(r["v"]) not in text]
    assert not_found == []


def test_only_documented_concepts_are_used(content):
    documented = set(
        re.findall(
            r"`((?:public|besoin|role|secteur|type-probleme)/[a-z0-9-]+)`",
            MODELING.read_text(encoding="utf-8"),
        )
    )
    rows = content.select(
        "SELECT DISTINCT ?c WHERE { GRAPH " + DOC_GRAPH + " {"
        " ?s dct:audience|cv:thematicArea|sg:public|sg:besoin|sg:roleParcours|sg:secteur"
        "|sg:typeProbleme ?c } }"
    )
    used = {r["c"].split("/id/", 1)[1] for r in rows}
    assert len(used) > 30
    assert used - documented == set()
