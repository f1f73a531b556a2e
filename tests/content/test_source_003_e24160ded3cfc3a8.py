"""What source 003 (ARS note organising the CNR Santé in the 7 TAS) says, checked in the graph.

Each test quotes the passage of the document it relies on (asserted to be in the text)
and checks that the fact is in the knowledge graph, in this document's named graph.
"""

import pytest

from .conftest import fr_literal, quote_checker

STEM = "003_e24160ded3cfc3a8"
GRAPH = f"<graph/sources/{STEM}>"


quoted = quote_checker(STEM)
fr = fr_literal


def test_the_document_is_an_ars_note_about_hauts_de_france(content):
    quoted("DANS LES HAUTS-DE FRANCE")
    quoted("les travaux de révision du PRS que l'agence souhaite aborder")
    rows = content.select(f"""
        SELECT ?publisher ?type ?file WHERE {{ GRAPH {GRAPH} {{
            <source/{STEM}> a sg:DocumentSource ; dct:publisher ?publisher ; dct:type ?type ;
                sg:nomFichier ?file ; dct:spatial <territoire/region/32> .
        }} }}""")
    assert rows == [
        {
            "publisher": "https://w3id.org/santegraph/id/acteur/ars-hauts-de-france",
            "type": "note",
            "file": f"{STEM}.txt",
        }
    ]


def test_the_title_misspells_hauts_de_france_and_this_is_recorded(content):
    quoted("DANS LES HAUTS-DE FRANCE")
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            ?note a sg:NoteQualite ; sg:concerne <source/{STEM}> ;
                sg:typeProbleme <type-probleme/variante-orthographique> ; rdfs:comment ?c .
            FILTER (CONTAINS(?c, "HAUTS-DE FRANCE"))
        }} }}""")


def test_the_ars_co_animates_with_the_cts_presidents(content):
    quoted(
        "co-animées par les délégations départementales de l'ARS et les présidents des "
        "Conseils territoriaux de santé (CTS)"
    )
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <acteur/ars-hauts-de-france> a sg:AgenceRegionaleSante ;
                skos:prefLabel "Agence régionale de santé Hauts-de-France"@fr ;
                sg:sigle "ARS"@fr ; sg:roleParcours <role/pilotage> .
            sg:CTS sg:mentionDansSource <source/{STEM}/organisation> ; sg:ditDansSource ?said .
            FILTER (CONTAINS(?said, "co-animent"))
        }} }}""")


def test_seven_territorial_concertations_in_the_seven_tas(content):
    quoted("les 7 TAS des Hauts-de-France")
    rows = content.select(f"""
        SELECT ?tas WHERE {{ GRAPH {GRAPH} {{
            ?c a sg:ConcertationTerritoriale ; sg:territoireAnimation ?tas ;
                sg:organisateur <acteur/ars-hauts-de-france> .
            ?tas a sg:TerritoireAnimationSante ; sg:inclusDans <territoire/region/32> .
        }} }} ORDER BY ?tas""")
    assert [r["tas"].rsplit("/", 1)[1] for r in rows] == [
        "aisne-haute-somme",
        "artois-douaisis",
        "hainaut",
        "littoral-nord",
        "metropole-flandres",
        "oise",
        "somme-littoral-sud",
    ]


@pytest.mark.parametrize(
    ("row", "slug", "date", "date_text", "place", "insee"),
    [
        (
            "ARTOIS-DOUAISIS\tJeudi 17 novembre\tDouai - Gayant Expo",
            "artois-douaisis",
            "2022-11-17",
            "Jeudi 17 novembre",
            "Douai - Gayant Expo",
            "59178",
        ),
        (
            "HAINAUT\tJeudi 1er décembre\tValenciennes – Cité des congrès",
            "hainaut",
            "2022-12-01",
            "Jeudi 1er décembre",
            "Valenciennes – Cité des congrès",
            "59606",
        ),
        (
            "AISNE HAUTE-SOMME\tJeudi 8 décembre.\tGuise – Familistère",
            "aisne-haute-somme",
            "2022-12-08",
            "Jeudi 8 décembre.",
            "Guise – Familistère",
            "02361",
        ),
        (
            "LITTORAL NORD\tJeudi 15 décembre\tDunkerque – Kursaal",
            "littoral-nord",
            "2022-12-15",
            "Jeudi 15 décembre",
            "Dunkerque – Kursaal",
            "59183",
        ),
    ],
)
def test_concertation_date_and_place(content, row, slug, date, date_text, place, insee):
    quoted(row)
    rows = content.select(f"""
        SELECT ?date ?text ?place ?commune WHERE {{ GRAPH {GRAPH} {{
            <concertation/{slug}> schema:startDate ?date ; sg:dateTexte ?text ;
                sg:lieu ?place ; sg:commune ?commune .
        }} }}""")
    assert rows == [
        {
            "date": date,
            "text": date_text,
            "place": place,
            "commune": f"https://w3id.org/santegraph/id/territoire/commune/{insee}",
        }
    ]


def test_every_table_date_lacks_its_year_and_is_recorded(content):
    quoted("DES CONCERTATIONS MENÉES ENTRE MI-NOVEMBRE ET MI-DÉCEMBRE 2022")
    quoted("OISE\tVendredi 25 novembre\tChantilly")
    rows = content.select(f"""
        SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH {GRAPH} {{
            ?note a sg:NoteQualite ; sg:concerne ?c ;
                sg:typeProbleme <type-probleme/annee-manquante> .
            ?c a sg:ConcertationTerritoriale ; sg:dateTexte ?text .
            FILTER (!CONTAINS(?text, "2022"))
        }} }}""")
    assert rows[0]["n"] == "7"


def test_the_common_agenda_is_shared_by_the_seven_days(content):
    quoted("CHACUNE DES RÉUNIONS S'APPUIERA SUR UN DÉROULÉ COMMUN")
    quoted("10h45 – 13h : ateliers : répartition des participants (entre 5 et 8 groupes)")
    rows = content.select(f"""
        SELECT ?start ?end (COUNT(DISTINCT ?c) AS ?days) WHERE {{ GRAPH {GRAPH} {{
            ?c a sg:ConcertationTerritoriale ; sg:etape ?e .
            ?e a sg:EtapeProgramme ; schema:position 4 ; skos:prefLabel ?label ;
                sg:heureDebut ?start ; sg:heureFin ?end .
            FILTER (CONTAINS(?label, "entre 5 et 8 groupes"))
        }} }} GROUP BY ?start ?end""")
    assert rows == [{"start": "10:45:00", "end": "13:00:00", "days": "7"}]


def test_the_day_closes_with_the_prefect_or_a_minister(content):
    quoted("16h30 – 17h : clôture par le préfet/un ministre/une autre personnalité à déterminer.")
    rows = content.select(f"""
        SELECT ?start ?end WHERE {{ GRAPH {GRAPH} {{
            <concertation/hainaut> sg:etape ?e .
            ?e schema:position 8 ; sg:heureDebut ?start ; sg:heureFin ?end ; skos:prefLabel ?l .
            FILTER (CONTAINS(?l, "Clôture par le préfet"))
        }} }}""")
    assert rows == [{"start": "16:30:00", "end": "17:00:00"}]


def test_four_national_priorities_with_their_short_names(content):
    quoted("Garantir la continuité des soins et la réponse aux besoins de soins non programmés.")
    quoted("la permanence et l'accès aux soins")
    rows = content.select(f"""
        SELECT ?pos ?alt WHERE {{ GRAPH {GRAPH} {{
            ?t a sg:ThemeNational ; skos:inScheme <schema/themes-nationaux> ;
                schema:position ?pos ; skos:altLabel ?alt .
        }} }} ORDER BY ?pos""")
    assert [r["alt"] for r in rows] == [
        "le rôle et l'accès au médecin traitant",
        "la permanence et l'accès aux soins",
        "l'attractivité des métiers de la santé",
        "les politiques de prévention",
    ]
    label = "Garantir la continuité des soins et la réponse aux besoins de soins non programmés"
    assert content.ask(f"ASK {{ <theme-national/2> skos:prefLabel {fr(label)} }}")


def test_mental_health_defi_targets_young_and_old_people(content):
    quoted(
        "améliorer la prévention, le repérage et la prise en charge de la santé mentale en "
        "particulier chez les jeunes et les personnes âgées sur l'ensemble du TAS."
    )
    label = "Améliorer la prévention, le repérage et la prise en charge de la santé mentale"
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <defi/2> a sg:DefiRegional ; schema:position 2 ;
                skos:inScheme <schema/defis-regionaux> ; skos:prefLabel {fr(label)} ;
                skos:definition ?d ; cv:thematicArea <besoin/sante-mentale> ;
                dct:audience <public/jeunes-moins-25> , <public/personnes-agees> .
            FILTER (CONTAINS(?d, "en particulier chez les jeunes et les personnes âgées"))
        }} }}""")


def test_womens_health_defi_has_no_paragraph_and_this_is_recorded(content):
    quoted(
        "MOBILISER LES PARTIES PRENANTES AUTOUR DE LA SANTÉ DES FEMMES\n\n"
        "DÉVELOPPER UNE APPROCHE « ONE HEALTH »"
    )
    assert not content.ask("ASK { <defi/3> skos:definition ?d }")
    label = "Mobiliser les parties prenantes autour de la santé des femmes"
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <defi/3> skos:prefLabel {fr(label)} .
            ?note sg:concerne <defi/3> ; sg:typeProbleme <type-probleme/information-manquante> .
        }} }}""")


def test_last_defi_access_to_health_professionals(content):
    quoted("GARANTIR UN ACCÈS POUR TOUS AUX PROFESSIONNELS DE SANTÉ")
    quoted(
        "valoriser les compétences de chaque professionnel "
        "(ex : sages-femmes et suivi gynécologique)"
    )
    rows = content.select(f"""
        SELECT ?label ?section WHERE {{ GRAPH {GRAPH} {{
            <defi/8> schema:position 8 ; skos:prefLabel ?label ; skos:definition ?d ;
                prov:wasDerivedFrom ?s . ?s rdfs:label ?section .
            FILTER (CONTAINS(?d, "sages-femmes et suivi gynécologique")
                    && CONTAINS(?d, "développer la télémédecine"))
        }} }}""")
    assert rows == [
        {
            "label": "Garantir un accès pour tous aux professionnels de santé",
            "section": "GARANTIR UN ACCÈS POUR TOUS AUX PROFESSIONNELS DE SANTÉ",
        }
    ]


def test_eight_defis_in_document_order(content):
    quoted("8 DÉFIS POUR LA SANTÉ EN RÉGION, QUI GUIDERONT LE TRAVAIL EN ATELIERS")
    quoted("PRÉVENIR, DÉPISTER ET PRENDRE EN CHARGE LES CANCERS")
    rows = content.select(f"""
        SELECT ?d ?pos WHERE {{ GRAPH {GRAPH} {{
            ?d a sg:DefiRegional ; schema:position ?pos .
        }} }} ORDER BY ?pos""")
    assert [(r["d"].rsplit("/", 1)[1], r["pos"]) for r in rows] == [
        (str(n), str(n)) for n in range(1, 9)
    ]
    assert content.ask(
        'ASK { <defi/6> skos:prefLabel "Prévenir, dépister et prendre en charge les cancers"@fr ; '
        "cv:thematicArea <besoin/cancer> }"
    )


def test_every_resource_of_this_document_has_provenance(content):
    rows = content.select(f"""
        SELECT DISTINCT ?r WHERE {{ GRAPH {GRAPH} {{
            ?r a ?type .
            FILTER (?type NOT IN (sg:DocumentSource, sg:SectionDocument))
            FILTER NOT EXISTS {{ ?r prov:wasDerivedFrom ?s }}
        }} }}""")
    assert rows == []
    # and the graph does describe many resources (the check above is not vacuous)
    n = content.select(f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ GRAPH {GRAPH} {{ ?r a ?t }} }}")
    assert int(n[0]["n"]) > 50
