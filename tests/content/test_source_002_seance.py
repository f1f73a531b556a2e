"""Doc 002, part 1: the CTS Métropole-Flandres plenary session of 6 July 2023.

Procès-verbal of the Conseil territorial de santé Métropole-Flandres, lines 1-161: the
header, the members tables (titulaires, suppléants, excusés, présents hors membres), item 1/
(label « droits des usagers » awarded to the AFEJI) and item 2/ (approval of the previous
minutes, reports of the CTU and of the CTSM with the Agur toiles). Each test checks that the
quoted passage is in the source text and that the graph states the fact.
"""

import re

import pytest

from ..external import SourceText

STEM = "002_017d9451b3d5fdac"
GRAPH = f"<graph/sources/{STEM}>"
CTS = "<acteur/cts-metropole-flandres>"
SEANCE = "<seance/cts-metropole-flandres/2023-07-06>"
COLLEGE = "acteur/cts-metropole-flandres/college"
CTSM_SECTION = f"<source/{STEM}/commission-territoriale-de-sante-mentale>"


def assert_in_source(passage: str) -> None:
    source = SourceText(STEM, lambda text: re.sub(r"\s+", " ", text))
    assert source.says(passage), f"not in {STEM}.txt: {passage!r}"


def notes_about(content, resource: str, problem: str) -> list[str]:
    rows = content.select(
        f"""SELECT ?comment WHERE {{ GRAPH {GRAPH} {{
              ?n a sg:NoteQualite ; sg:concerne {resource} ;
                 sg:typeProbleme <type-probleme/{problem}> ; rdfs:comment ?comment . }} }}"""
    )
    return [r["comment"] for r in rows]


# --- The document and the session ---------------------------------------------------------


def test_the_document_is_the_minutes_of_the_plenary_session_of_6_july_2023(content):
    assert_in_source("Conseil Territorial de Santé de Métropole-Flandres")
    assert_in_source("Procès-verbal de la séance plénière du 6 juillet 2023")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <source/{STEM}> a sg:DocumentSource ;
                  dct:date "2023-07-06"^^xsd:date ; dct:publisher {CTS} ;
                  dct:type "procès-verbal"@fr ; sg:nomFichier "{STEM}.txt" .
              {SEANCE} a sg:Seance ; sg:instance {CTS} ; dct:date "2023-07-06"^^xsd:date .
              {CTS} a sg:CTS ;
                  skos:prefLabel "Conseil territorial de santé Métropole-Flandres"@fr ;
                  sg:territoireDesservi <territoire/tds/metropole-flandres> . }} }}"""
    )


def test_sections_of_part_1_come_in_document_order(content):
    rows = content.select(
        f"""SELECT ?label WHERE {{ GRAPH {GRAPH} {{
              ?s a sg:SectionDocument ; dct:isPartOf <source/{STEM}> ;
                 rdfs:label ?label ; schema:position ?pos .
              FILTER(?pos < 162) }} }} ORDER BY ?pos"""
    )
    labels = [r["label"] for r in rows]
    assert labels[:5] == [
        "Procès-verbal de la séance plénière du 6 juillet 2023",
        "Titulaires présents",
        "Suppléants présents",
        "Excusés",
        "Présents hors membres CTS",
    ]
    assert labels[6] == "2/ Accueil du président et approbation du PV du 17/03/23"
    headings = SourceText(STEM, lambda text: re.sub(r"\s+", " ", text).replace("*", ""))
    for label in labels:  # the headings drop the italics
        assert headings.says(label), label


def test_the_session_is_hosted_by_the_sauvegarde_du_nord_and_reaches_quorum(content):
    assert_in_source(
        "Il remercie la Sauvegarde du Nord de nous accueillir dans ses locaux ainsi que l'ARS "
        "pour son accompagnement. Il annonce que le quorum est atteint."
    )
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              {SEANCE} sg:quorumAtteint true ; sg:lieu "Locaux de la Sauvegarde du Nord"@fr .
              <acteur/la-sauvegarde-du-nord> a sg:Association . }} }}"""
    )


# --- Members tables -------------------------------------------------------------------------


def test_attendance_counts_per_table(content):
    for heading in ("Titulaires présents", "Suppléants présents", "Excusés"):
        assert_in_source(heading)
    assert_in_source("Présents hors membres CTS")
    rows = content.select(
        f"""SELECT ?statut (COUNT(?p) AS ?n) WHERE {{ GRAPH {GRAPH} {{
              ?p a sg:Presence ; sg:seance {SEANCE} ; sg:statutPresence ?statut . }} }}
            GROUP BY ?statut"""
    )
    counts = {r["statut"].rsplit("/", 1)[1]: int(r["n"]) for r in rows}
    assert counts == {"present": 29, "excuse": 38, "present-hors-membre": 8}
    rows = content.select(
        f"""SELECT ?role (COUNT(?m) AS ?n) WHERE {{ GRAPH {GRAPH} {{
              ?m a org:Membership ; org:organization {CTS} ; sg:roleMandat ?role ;
                 org:member ?person .
              ?pr sg:personne ?person ; sg:statutPresence <statut-presence/present> . }} }}
            GROUP BY ?role"""
    )
    roles = {r["role"].rsplit("/", 1)[1]: int(r["n"]) for r in rows}
    assert roles["titulaire"] == 20 and roles["suppleant"] == 9


def test_nicolas_lefebvre_sits_for_unafam_in_college_2a_and_opens_the_session(content):
    assert_in_source("| LEFEBVRE Nicolas | UNAFAM | Collège 2a |")
    assert_in_source("Nicolas LEFEBVRE ouvre la séance")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <mandat/cts-metropole-flandres/lefebvre-nicolas> a org:Membership ;
                  org:member <personne/lefebvre-nicolas> ; org:organization {CTS} ;
                  sg:roleMandat <role-mandat/titulaire>, <role-mandat/president> ;
                  sg:college <{COLLEGE}/2a> ;
                  sg:representeOrganisation <acteur/unafam> .
              <acteur/unafam> a sg:AssociationUsagers ; sg:sigle "UNAFAM"@fr .
              <seance/cts-metropole-flandres/2023-07-06/lefebvre-nicolas>
                  sg:personne <personne/lefebvre-nicolas> ;
                  sg:statutPresence <statut-presence/present> . }} }}"""
    )
    # the presidency is inferred from the heading: recorded as such
    assert notes_about(
        content, "<mandat/cts-metropole-flandres/lefebvre-nicolas>", "information-manquante"
    )


@pytest.mark.parametrize(
    ("person", "fonction"),
    [
        ("bocquet-eric", "Sénateur du Nord"),
        ("greaume-michelle", "Sénatrice du Nord"),
        ("decodts-christine", "Députée de la 13ème circonscription du Nord"),
        ("lermytte-marie", "Maire de Brouckerque"),
    ],
)
def test_elected_officials_are_excused_with_their_function(content, person, fonction):
    assert_in_source(fonction.replace("13ème", "13 ^{ème}"))
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <mandat/cts-metropole-flandres/{person}> org:member <personne/{person}> ;
                  sg:fonction "{fonction}"@fr .
              <seance/cts-metropole-flandres/2023-07-06/{person}>
                  sg:statutPresence <statut-presence/excuse> . }} }}"""
    )


def test_every_represented_organisation_is_typed_and_named_once(content):
    rows = content.select(
        f"""SELECT ?org (COUNT(DISTINCT ?type) AS ?types) (COUNT(DISTINCT ?label) AS ?labels)
            WHERE {{
              GRAPH {GRAPH} {{ ?m a org:Membership ; sg:representeOrganisation ?org . }}
              OPTIONAL {{ ?org a ?type }}
              OPTIONAL {{ ?org skos:prefLabel ?label . FILTER(LANG(?label) = "fr") }}
            }} GROUP BY ?org"""
    )
    assert len(rows) == 53  # 67 members, 53 distinct organisations (parliamentarians: none)
    for r in rows:
        assert int(r["types"]) >= 1, r["org"]
        assert int(r["labels"]) == 1, r["org"]


# --- Collèges: spelling variants and typos --------------------------------------------------


@pytest.mark.parametrize(
    ("row", "person", "college"),
    [
        (
            "| MOTA Gabriel | Clinique Les peupliers – Villeneuve d'Ascq | Collège 1a2 |",
            "mota-gabriel",
            "1a-2",
        ),
        (
            "| BRIEDEN Virginie | DAC Appui santé Lille agglo | Collège 1f1 |",
            "brieden-virginie",
            "1f-1",
        ),
        ("| HACOT Christophe | URPS biologistes | Collège 1d2 |", "hacot-christophe", "1d-2"),
        ("| DEHAENE Jean-Luc | CRCDC Hauts-de-France | Collège 1c) |", "dehaene-jean-luc", "1c"),
    ],
)
def test_college_code_variants_are_one_college_with_a_quality_note(content, row, person, college):
    assert_in_source(row)
    written = row.rsplit("Collège ", 1)[1].rstrip(" |")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <mandat/cts-metropole-flandres/{person}> sg:college <{COLLEGE}/{college}> ;
                  sg:citation "{row}"@fr .
              <{COLLEGE}/{college}> a sg:College ; org:unitOf {CTS} ;
                  sg:codeCollege "{college}" ; skos:altLabel "Collège {written}"@fr . }} }}"""
    )
    problem = "code-errone" if written == "1c)" else "variante-orthographique"
    comments = notes_about(content, f"<{COLLEGE}/{college}>", problem)
    assert any(f"« Collège {written} »" in c for c in comments), comments


def test_gerard_lambert_has_no_organisation_and_an_incomplete_college(content):
    assert_in_source("| LAMBERT Gérard | | Collège 2 |")
    assert not content.ask(
        """ASK { <mandat/cts-metropole-flandres/lambert-gerard> sg:representeOrganisation ?o }"""
    )
    mandate = "<mandat/cts-metropole-flandres/lambert-gerard>"
    assert len(notes_about(content, mandate, "information-manquante")) == 2


def test_hauts_de_flandres_is_recorded_against_the_official_epci_name(content):
    assert_in_source("| PORREYE Stéphanie | Communauté de communes des Hauts de Flandres |")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <acteur/communaute-de-communes-des-hauts-de-flandre> a sg:Intercommunalite ;
                  skos:prefLabel "Communauté de communes des Hauts de Flandre"@fr ;
                  skos:altLabel "Communauté de communes des Hauts de Flandres"@fr ;
                  sg:territoireDesservi <territoire/epci/200040954> . }} }}"""
    )
    assert notes_about(
        content, "<acteur/communaute-de-communes-des-hauts-de-flandre>", "variante-orthographique"
    )


# --- 1/ Label « droits des usagers » --------------------------------------------------------


def test_dauptin_and_dauptain_are_one_person_with_a_quality_note(content):
    assert_in_source("| DAUPTIN Olivier | CRSA Vice-président de la CSDU |")
    assert_in_source("par Olivier Dauptain – vice-président de la CSDU de la CRSA")
    rows = content.select(
        f"""SELECT ?p WHERE {{ GRAPH {GRAPH} {{
              ?p a sg:Personne ; skos:altLabel "Olivier Dauptain"@fr ;
                 skos:prefLabel "DAUPTIN Olivier"@fr . }} }}"""
    )
    assert [r["p"].rsplit("/", 1)[1] for r in rows] == ["dauptin-olivier"]
    comments = notes_about(content, "<personne/dauptin-olivier>", "variante-orthographique")
    assert any("Dauptain" in c and "DAUPTIN" in c for c in comments)
    assert content.ask(
        """ASK { <mandat/csdu-crsa-hauts-de-france/dauptin-olivier>
                   org:organization <acteur/csdu-crsa-hauts-de-france> ;
                   sg:roleMandat <role-mandat/vice-president> . }"""
    )


def test_the_afeji_receives_the_label_and_a_1500_euro_cheque(content):
    assert_in_source(
        "L'Afeji a reçu ce prix du jury pour son projet « Le handicap, c'est pas sorcier ! »"
    )
    assert_in_source("le chèque de 1500 euros qui l'accompagne")
    rows = content.select(
        f"""SELECT ?montant ?alt WHERE {{ GRAPH {GRAPH} {{
              ?a a sg:AttributionLabel ;
                 sg:labelAttribue <label/droits-des-usagers-de-la-sante> ;
                 sg:laureat <acteur/afeji> ;
                 sg:remisPar <personne/dauptin-olivier>, <personne/queverue-aline> ;
                 dct:isPartOf {SEANCE} ;
                 sg:objetLabellise ?projet .
              ?projet sg:prestataire <acteur/esat-les-ateliers-de-la-lys> .
              ?q sg:quantiteDe ?a ; sg:grandeur <grandeur/montant-prix> ; sg:valeur ?montant ;
                 sg:unite <http://qudt.org/vocab/unit/CCY_EUR> .
              <acteur/afeji> skos:altLabel ?alt . }} }} ORDER BY ?alt"""
    )
    assert {float(r["montant"]) for r in rows} == {1500.0}
    assert [r["alt"] for r in rows] == ["AFEJI Dunkerque", "Afeji"]
    assert notes_about(content, "<acteur/afeji>", "variante-orthographique")


def test_the_label_is_awarded_by_the_ars_after_advice_of_the_csdu(content):
    assert_in_source(
        "Le label «Droits des usagers de la santé», attribué par l'ARS après avis de la CSDU "
        "de la CRSA, valorise chaque année des expériences exemplaires"
    )
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <label/droits-des-usagers-de-la-sante> a sg:Label ;
                  sg:attribuePar <acteur/ars-hauts-de-france> ;
                  sg:surAvisDe <acteur/csdu-crsa-hauts-de-france> ;
                  cv:thematicArea <besoin/droits-usagers> .
              <acteur/csdu-crsa-hauts-de-france> sg:sigle "CSDU"@fr ;
                  sg:membreDe <acteur/crsa-hauts-de-france> . }} }}"""
    )


def test_the_awarded_project_is_six_video_capsules_made_by_esat_workers(content):
    assert_in_source("Pour ce faire, 6 capsules vidéo de 4 minutes ont été réalisées.")
    assert_in_source("https://video.irtshdf.fr/channel/video/3-Un-ESAT-c039est-quoi-/")
    rows = content.select(
        f"""SELECT ?desc ?url WHERE {{ GRAPH {GRAPH} {{
              <service/esat-les-ateliers-de-la-lys/le-handicap-c-est-pas-sorcier> a sg:Service ;
                  dct:description ?desc ; schema:url ?url ;
                  cv:thematicArea <besoin/handicap> . }} }}"""
    )
    assert len(rows) == 1
    assert "Mélanie PAPA et Olivier CARTON" in rows[0]["desc"]
    assert rows[0]["url"].startswith("https://video.irtshdf.fr/")


# --- 2/ Accueil, PV, commissions ------------------------------------------------------------


def test_the_minutes_of_17_march_2023_in_armentieres_are_adopted(content):
    assert_in_source(
        "Le PV de l'assemblée plénière du 17 mars 2023, qui s'est tenue à Armentières, "
        "n'appelle aucune remarque. Il est adopté à l'unanimité."
    )
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <seance/cts-metropole-flandres/2023-03-17> a sg:Seance ; sg:instance {CTS} ;
                  dct:date "2023-03-17"^^xsd:date ; sg:commune <territoire/commune/59017> ;
                  sg:citation ?c .
              FILTER(CONTAINS(?c, "adopté à l'unanimité")) }} }}"""
    )


def test_the_cts_territory_spans_two_cnr_concertations(content):
    assert_in_source("se sont tenues les 6 et 15 décembre 2022 à Lille et Dunkerque")
    comments = notes_about(content, CTS, "contradiction")
    assert any("Littoral Nord" in c for c in comments)


def test_the_ctu_presided_by_josseran_floch_reports_on_the_radu(content):
    assert_in_source(
        "La commission territoriale des usagers (CTU) : son président, Josseran FLOCH, "
        "présente ce point."
    )
    assert_in_source(
        "rapport annuel relatif au respect des droits des usagers du système de santé (RADU)"
    )
    rows = content.select(
        f"""SELECT ?desc WHERE {{ GRAPH {GRAPH} {{
              <mandat/ctu-metropole-flandres/floch-josseran>
                  org:member <personne/floch-josseran> ;
                  org:organization <acteur/ctu-metropole-flandres> ;
                  sg:roleMandat <role-mandat/president> .
              <acteur/ctu-metropole-flandres> a sg:CTU ; sg:membreDe {CTS} .
              ?cr a sg:CompteRenduCommission ; sg:commission <acteur/ctu-metropole-flandres> ;
                  sg:presentePar <personne/floch-josseran> ; dct:description ?desc . }} }}"""
    )
    assert len(rows) == 1 and "(RADU)" in rows[0]["desc"]


def test_the_ctsm_report_is_given_by_laurent_lourme_as_its_president_is_excused(content):
    assert_in_source(
        "La commission territoriale de santé mentale (CTSM) : son président, Jean OUREIB, "
        "étant excusé ce jour, Laurent LOURME présente ce point."
    )
    assert_in_source("| OUREIB Jean | EPSM agglomération lilloise | Collège 1a-2 |")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <mandat/ctsm-metropole-flandres/oureib-jean>
                  org:organization <acteur/ctsm-metropole-flandres> ;
                  sg:roleMandat <role-mandat/president> .
              <seance/cts-metropole-flandres/2023-07-06/oureib-jean>
                  sg:statutPresence <statut-presence/excuse> .
              ?cr sg:commission <acteur/ctsm-metropole-flandres> ;
                  sg:presentePar <personne/lourme-laurent> . }} }}"""
    )


def test_agur_toiles_one_per_angle_for_the_under_25s(content):
    assert_in_source(
        "Les publics concernés sont les jeunes de moins de 25 ans, sous les angles suivants"
    )
    assert_in_source("*délinquance et ASE en cours de construction*")
    rows = content.select(
        f"""SELECT ?angle ?statut WHERE {{ GRAPH {GRAPH} {{
              ?t a sg:Toile ; sg:angle ?angle ; sg:statut ?statut ;
                 dct:audience <public/jeunes-moins-25> ; sg:realisePar <acteur/agur> ;
                 schema:url ?url ; dct:description ?d .
              FILTER(STRSTARTS(STR(?url), "https://www.agur-dunkerque.org/blog/"))
              FILTER(CONTAINS(?d, "qui fait quoi")) }} }} ORDER BY ?angle"""
    )
    assert [(r["angle"], r["statut"].rsplit("/", 1)[1]) for r in rows] == [
        ("délinquance et ASE", "en-cours"),
        ("handicap", "realisee"),
        ("insertion professionnelle", "realisee"),
        ("précarité", "realisee"),
        ("santé", "realisee"),
    ]
    assert content.ask(
        """ASK { <toile/agur-jeunes-moins-25-handicap> cv:thematicArea <besoin/handicap> ;
                     dct:audience <public/jeunes-moins-25-handicap> .
                 <acteur/agur> a sg:AgenceUrbanisme ; sg:sigle "Agur"@fr . }"""
    )


def test_prisme_is_described_as_under_development(content):
    assert_in_source(
        "PRISME (Plateforme de Recours Intégré et de Support Médico-psycho-social), en cours de "
        "développement"
    )
    rows = content.select(
        f"""SELECT ?said WHERE {{ GRAPH {GRAPH} {{
              sg:PRISME sg:mentionDansSource {CTSM_SECTION} ; sg:ditDansSource ?said .
              FILTER(CONTAINS(?said, "répondants-régulateurs")) }} }}"""
    )
    assert len(rows) == 1
    assert rows[0]["said"].startswith("PRISME (Plateforme de Recours Intégré")


# --- Provenance ------------------------------------------------------------------------------


def test_every_resource_typed_in_this_part_says_where_it_comes_from(content):
    rows = content.select(
        f"""SELECT DISTINCT ?s WHERE {{ GRAPH {GRAPH} {{
              ?s a ?type .
              FILTER(?type != sg:DocumentSource)
              FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom ?section }} }} }}"""
    )
    assert rows == []
    # and every provenance target is a declared section (or the document itself)
    rows = content.select(
        f"""SELECT DISTINCT ?section WHERE {{ GRAPH {GRAPH} {{
              ?s prov:wasDerivedFrom ?section .
              FILTER NOT EXISTS {{ ?section a sg:SectionDocument }}
              FILTER NOT EXISTS {{ ?section a sg:DocumentSource }} }} }}"""
    )
    assert rows == []
