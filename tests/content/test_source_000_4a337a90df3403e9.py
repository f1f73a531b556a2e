"""What the CNR Santé du Hainaut synthesis (000_4a337a90df3403e9.txt) says, as the graph has it.

Each test quotes the document (the passage must really be in the source text) and checks
that the fact is in the knowledge graph, in this document's named graph.
"""

import re

import pytest

from ..external import SourceText

STEM = "000_4a337a90df3403e9"
G = f"<graph/sources/{STEM}>"
DOC = f"<source/{STEM}>"


def _normalise(text: str) -> str:
    """Drop Markdown emphasis / HTML superscripts and collapse whitespace."""
    text = text.replace("**", "").replace("<sup>er</sup>", "er")
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def text() -> SourceText:
    return SourceText(STEM, _normalise)


def says(text: SourceText, passage: str) -> bool:
    return text.says(passage)


# --- The document itself -------------------------------------------------------------


def test_document_is_the_ars_synthesis_of_1_december_2022_on_the_hainaut(content, text):
    assert says(text, "SYNTHESE DE RESTITUTION ARS Hauts-de-France CNR Santé du HAINAUT")
    assert says(text, "Jeudi 1er décembre 2022")
    rows = content.select(f"""
        SELECT ?date ?file WHERE {{ GRAPH {G} {{
            {DOC} a sg:DocumentSource ; dct:date ?date ; sg:nomFichier ?file ;
                dct:publisher <acteur/ars-hauts-de-france> ;
                dct:spatial <territoire/tas/hainaut> .
        }} }}""")
    assert rows == [{"date": "2022-12-01", "file": f"{STEM}.txt"}]


def test_sections_follow_the_document_order(content, text):
    assert says(text, "I – Eléments de contexte")
    assert says(text, "5 – Thématique(s) supplémentaire(s) au choix des parties prenantes")
    rows = content.select(f"""
        SELECT ?label WHERE {{ GRAPH {G} {{
            ?s a sg:SectionDocument ; dct:isPartOf {DOC} ; rdfs:label ?label ;
               schema:position ?pos .
        }} }} ORDER BY ?pos""")
    labels = [r["label"] for r in rows]
    assert len(labels) == 22
    assert labels[1] == "I – Eléments de contexte"
    assert labels[-1].startswith("Solution #12: Créer du lien")
    for label in labels:
        assert says(text, label), label


# --- I – Eléments de contexte ----------------------------------------------------------


def test_morning_gathered_about_100_people_in_6_ateliers(content, text):
    assert says(text, "La matinée a accueilli environ 100 personnes, réparties en 6 ateliers")
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            <concertation/hainaut> schema:startDate "2022-12-01"^^xsd:date ;
                prov:wasDerivedFrom <source/{STEM}/les-reunions-de-co-construction> .
            ?p sg:quantiteDe <concertation/hainaut> ; sg:grandeur <grandeur/participants> ;
                sg:moment <moment/ateliers> ; sg:valeur 100 ;
                sg:qualificatif <qualificatif/environ> .
            ?a sg:quantiteDe <concertation/hainaut> ; sg:grandeur <grandeur/ateliers> ;
                sg:valeur 6 .
        }} }}""")


def test_afternoon_plenary_gathered_about_120_people(content, text):
    assert says(text, "Environ 120 personnes ont assisté à la session plénière de l'après-midi.")
    # a quantity of the concertation, its moment explicit (not a count on the agenda item)
    rows = content.select(f"""
        SELECT ?v ?q WHERE {{ GRAPH {G} {{
            ?q sg:quantiteDe <concertation/hainaut> ; sg:grandeur <grandeur/participants> ;
               sg:moment <moment/pleniere> ; sg:valeur ?v ; sg:citation ?c .
            FILTER(STRSTARTS(?c, "Environ 120 personnes ont assisté à la session plénière"))
        }} }}""")
    assert [r["v"] for r in rows] == ["120"]


def test_diagnosis_general_practitioner_density_is_below_france_and_region(content, text):
    passage = "La densité de médecins généralistes libéraux, soit 76,4 pour 100 000 habitants"
    assert says(text, passage)
    rows = content.select(f"""
        SELECT ?c WHERE {{ GRAPH {G} {{
            <concertation/hainaut> sg:constat ?c .
            FILTER(CONTAINS(?c, "76,4 pour 100 000 habitants"))
        }} }}""")
    assert len(rows) == 1
    assert "83,9 et 81,8" in rows[0]["c"]


def test_diagnosis_fertility_index_in_percent_is_flagged(content, text):
    assert says(text, "l'indice conjoncturel de fécondité est le plus élevé des TAS")
    assert says(text, "soit 14,6 %")
    # kept as written in the data...
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{ <concertation/hainaut> sg:constat ?c .
                            FILTER(CONTAINS(?c, "soit 14,6 %")) }} }}""")
    # ...and flagged for a data steward
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            ?n a sg:NoteQualite ; sg:concerne <concertation/hainaut> ;
               sg:typeProbleme <type-probleme/incoherence-chiffres> ; rdfs:comment ?c .
            FILTER(CONTAINS(?c, "14,6 %"))
        }} }}""")


# --- Les réunions de co-construction: agenda, défis ----------------------------------------


def test_agenda_has_nine_items_from_welcome_to_closing(content, text):
    assert says(text, "9h : accueil des participants")
    assert says(text, "9h45 - 10h45 : présentation du diagnostic du territoire")
    assert says(text, "16h30 - 17h : clôture")
    rows = content.select(f"""
        SELECT ?label ?start WHERE {{ GRAPH {G} {{
            <concertation/hainaut> sg:etape ?e .
            ?e a sg:EtapeProgramme ; skos:prefLabel ?label ; schema:position ?pos ;
               sg:heureDebut ?start .
        }} }} ORDER BY ?pos""")
    assert len(rows) == 9
    assert rows[0] == {"label": "accueil des participants", "start": "09:00:00"}
    assert rows[2]["label"].startswith("présentation du diagnostic du territoire")
    assert rows[2]["start"] == "09:45:00"
    assert rows[-1] == {"label": "clôture", "start": "16:30:00"}


def test_opening_by_the_president_of_the_cts_du_hainaut(content, text):
    assert says(text, "ouverture par le président du CTS du Hainaut")
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            ?e a sg:EtapeProgramme ; sg:heureDebut "09:30:00"^^xsd:time .
            <concertation/hainaut> sg:etape ?e ; prov:qualifiedAssociation ?p1 , ?p2 .
            ?p1 prov:agent <acteur/cts-hainaut> ; prov:hadRole <role-participation/ouverture> ;
                sg:qualite <fonction/president> .
            ?p2 prov:hadRole <role-participation/ouverture> ; sg:qualite <fonction/directeur> ;
                prov:agent/sg:membreDe <acteur/ars-hauts-de-france> .
            <acteur/cts-hainaut> a sg:CTS ; skos:altLabel "CTS du Hainaut"@fr .
        }} }}""")


def test_belles_histoires_ch_denain_maternity_and_msp_hautmont(content, text):
    assert says(text, "CH Denain : une maternité engagée dans la lutte contre le tabagisme")
    assert says(text, "maison de santé pluridisciplinaire d'Hautmont engagée dans la lutte")
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            <acteur/centre-hospitalier-de-denain> a sg:EtablissementSante ;
                skos:altLabel "CH Denain"@fr ;
                sg:localisation <territoire/commune/59172> ;
                sg:public <public/femmes-enceintes> ; sg:besoin <besoin/addictions> .
            <acteur/maison-de-sante-pluridisciplinaire-d-hautmont> a sg:MSP ;
                sg:localisation <territoire/commune/59291> ;
                sg:besoin <besoin/nutrition-activite-physique> .
            <concertation/hainaut> prov:qualifiedAssociation
                [ prov:agent <acteur/centre-hospitalier-de-denain> ;
                  prov:hadRole <role-participation/presentation> ] ,
                [ prov:agent <acteur/maison-de-sante-pluridisciplinaire-d-hautmont> ;
                  prov:hadRole <role-participation/presentation> ] .
        }} }}""")
    # the communes are the INSEE ones of the territory import
    rows = content.select("""
        SELECT ?name WHERE { <territoire/commune/59172> skos:prefLabel ?name }""")
    assert {r["name"] for r in rows} == {"Denain"}


def test_each_atelier_chose_two_defis_unlike_the_three_planned(content, text):
    passage = "invités à se positionner sur les 2 défis qui leur paraissaient les plus importants"
    assert says(text, passage)
    assert says(
        SourceText("003_e24160ded3cfc3a8", _normalise),
        "Chaque atelier sera invité à se focaliser sur 3 grands défis",
    )
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            ?e a sg:EtapeProgramme ; dct:description ?d .
            FILTER(CONTAINS(?d, "se positionner sur les 2 défis"))
            ?n a sg:NoteQualite ; sg:concerne ?e ;
               sg:typeProbleme <type-probleme/contradiction> .
        }} }}""")


def test_defi_wordings_that_differ_from_the_ars_note_are_alt_labels(content, text):
    assert says(text, "Défi 8 : garantir un accès de tous aux professionnels de santé")
    assert says(
        text,
        "Défi 1 : mieux coordonner l'ensemble des parties prenantes au service de la santé de tous",
    )
    for n, label in [
        (1, "mieux coordonner l'ensemble des parties prenantes au service de la santé de tous"),
        (8, "garantir un accès de tous aux professionnels de santé"),
    ]:
        assert content.ask(f"""
            ASK {{ GRAPH {G} {{
                <defi/{n}> skos:altLabel "{label}"@fr .
                ?note sg:concerne <defi/{n}> ;
                      sg:typeProbleme <type-probleme/variante-orthographique> .
            }} }}""")


# --- II – Solutions et propositions -------------------------------------------------------


def test_twelve_solutions_with_constats_and_59_propositions(content, text):
    for n in range(1, 13):
        assert text.matches(rf"Solution #{n}\s?:"), n
    rows = content.select(f"""
        SELECT ?pos (COUNT(DISTINCT ?c) AS ?constats) (COUNT(DISTINCT ?p) AS ?props)
        WHERE {{ GRAPH {G} {{
            ?s a sg:Solution ; schema:position ?pos ; sg:issueDe <concertation/hainaut> ;
               sg:constat ?c ; sg:rubrique ?target .
            ?p a sg:Proposition ; dct:isPartOf ?s .
        }} }} GROUP BY ?pos ORDER BY ?pos""")
    assert [int(r["pos"]) for r in rows] == list(range(1, 13))
    props = [int(r["props"]) for r in rows]
    assert props == [4, 1, 12, 3, 2, 5, 7, 6, 7, 4, 3, 5]
    assert sum(props) == 59
    assert all(int(r["constats"]) >= 1 for r in rows)


def test_solution_1_drops_sick_notes_from_the_medecin_traitant(content, text):
    passage = "supprimer le recours au médecin traitant pour la totalité des arrêts de travail"
    assert says(text, passage)
    assert says(text, "1 – Donner à tous un accès à un médecin traitant ou à une équipe traitante")
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            ?p a sg:Proposition ; skos:prefLabel ?l ; dct:isPartOf <solution/hainaut/1> ;
               cv:thematicArea <besoin/medecin-traitant> .
            FILTER(STRSTARTS(?l, "{passage}"))
            <solution/hainaut/1> sg:rubrique <theme-national/1> .
        }} }}""")


def test_solution_5_night_care_at_home_for_elderly_and_disabled(content, text):
    assert says(text, "2 – Garantir la continuité des soins")
    constat = "absence de solutions la nuit quand on maintient une personne à domicile"
    assert says(text, constat)
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            <solution/hainaut/5> sg:rubrique <theme-national/2> ; sg:lienThematiqueDeduit <defi/7> ;
                dct:audience <public/personnes-agees> , <public/personnes-handicap> ;
                sg:constat "{constat}"@fr .
        }} }}""")


def test_solution_8_terres_du_hainaut_terreau_de_formations(content, text):
    assert says(text, "« Terres du Hainaut, terreau de formations »")
    assert says(text, "mobiliser les élus")
    rows = content.select(f"""
        SELECT ?l WHERE {{ GRAPH {G} {{
            <solution/hainaut/8> skos:prefLabel ?l ; sg:rubrique <theme-national/3> .
            <proposition/hainaut/8-3> dct:isPartOf <solution/hainaut/8> ;
                dct:audience <public/elus> .
        }} }}""")
    title = "Se former sur le territoire du Hainaut : « Terres du Hainaut, terreau de formations »"
    assert rows == [{"l": title}]


def test_solution_9_mobilises_clsm_and_the_kind_records_what_is_said(content, text):
    assert says(text, "généraliser les contrats locaux santé mentale")
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            <proposition/hainaut/9-3> sg:mobiliseType sg:CLSM ;
                dct:isPartOf <solution/hainaut/9> .
            <solution/hainaut/9> sg:lienThematiqueDeduit <defi/2> ;
                cv:thematicArea <besoin/sante-mentale> .
            sg:CLSM sg:mentionDansSource <source/{STEM}/solution-9> ;
                sg:ditDansSource "généraliser les contrats locaux santé mentale"@fr .
            ?n sg:concerne <proposition/hainaut/9-3> ; a sg:NoteQualite .
        }} }}""")


def test_solution_10_climsp_piloted_by_the_ccas(content, text):
    assert says(text, "piloté par les CCAS qui connaissent bien les familles et les personnes")
    assert says(text, "(comme TousantiCONVID)")
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            <solution/hainaut/10> sg:sigle "CLIMSP"@fr ; sg:mobiliseType sg:CCAS .
            <proposition/hainaut/10-1> sg:mobiliseType sg:CCAS ;
                dct:audience <public/personnes-precarite> .
            sg:CCAS sg:roleParcours <role/reperage> .
            ?n sg:concerne <proposition/hainaut/10-4> ;
               sg:typeProbleme <type-probleme/variante-orthographique> ;
               rdfs:comment ?c .
            FILTER(CONTAINS(?c, "TousantiCONVID"))
        }} }}""")


def test_solution_12_last_one_is_a_free_theme_on_keeping_people_at_home(content, text):
    assert says(text, "favoriser la colocation.")
    assert says(text, "retarder au maximum le recours à un EHPAD.")
    assert content.ask(f"""
        ASK {{ GRAPH {G} {{
            <proposition/hainaut/12-5> skos:prefLabel "favoriser la colocation."@fr ;
                dct:isPartOf <solution/hainaut/12> ; schema:position 5 .
            <solution/hainaut/12> sg:lienThematiqueDeduit <defi/7> ;
                sg:rubrique <theme-libre/hainaut> ;
                sg:constat "retarder au maximum le recours à un EHPAD."@fr .
        }} }}""")
    # filed under "5 – Thématique(s) supplémentaire(s)": no national theme
    assert not content.ask("""
        ASK { <solution/hainaut/12> sg:lienThematique ?t . ?t a sg:ThemeNational }""")


# --- Whole-graph checks -----------------------------------------------------------------


def test_every_solution_and_proposition_has_public_need_and_target(content):
    rows = content.select(f"""
        SELECT ?x WHERE {{ GRAPH {G} {{
            ?x a ?type . VALUES ?type {{ sg:Solution sg:Proposition }}
            FILTER NOT EXISTS {{ ?x cv:thematicArea ?b . ?x sg:lienThematiqueDeduit ?d . }}
        }} }}""")
    assert rows == []
    rows = content.select(f"""
        SELECT ?x WHERE {{ GRAPH {G} {{
            ?x a sg:Proposition .
            FILTER NOT EXISTS {{ ?x dct:audience ?p }}
        }} }}""")
    # only "obliger les bénéficiaires des allocations chômage...": no public concept fits
    assert [r["x"].rsplit("/", 1)[-1] for r in rows] == ["3-11"]


def test_every_quality_note_is_complete(content):
    rows = content.select(f"""
        SELECT ?n WHERE {{ GRAPH {G} {{
            ?n a sg:NoteQualite .
            FILTER NOT EXISTS {{
                ?n sg:concerne ?r ; sg:typeProbleme ?t ; rdfs:comment ?c ;
                   prov:wasDerivedFrom ?s .
            }}
        }} }}""")
    assert rows == []
    count = content.select(f"""
        SELECT (COUNT(?n) AS ?k) WHERE {{ GRAPH {G} {{ ?n a sg:NoteQualite }} }}""")
    assert int(count[0]["k"]) == 15


def test_every_typed_resource_has_provenance(content):
    """Everything typed in this graph is derived from a section (the document and its
    sections being themselves the provenance)."""
    typed = content.select(f"""
        SELECT (COUNT(DISTINCT ?x) AS ?k) WHERE {{ GRAPH {G} {{ ?x a ?t }} }}""")
    assert int(typed[0]["k"]) > 100
    rows = content.select(f"""
        SELECT DISTINCT ?x WHERE {{ GRAPH {G} {{
            ?x a ?t .
            FILTER(?t NOT IN (sg:DocumentSource, sg:SectionDocument))
            FILTER NOT EXISTS {{ ?x prov:wasDerivedFrom ?s . ?s a sg:SectionDocument . }}
        }} }}""")
    assert rows == []
