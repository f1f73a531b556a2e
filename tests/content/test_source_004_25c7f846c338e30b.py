"""What source 004 (synthèse des ateliers, regional day in Pessac) says, checked in the graph.

Each test quotes the passage of the document it relies on (asserted to be in the text)
and checks that the fact is in the knowledge graph, in this document's named graph.
"""

from ..external import SourceText
from .conftest import fr_literal, quote_checker

STEM = "004_25c7f846c338e30b"
GRAPH = f"<graph/sources/{STEM}>"
TEXT = SourceText(STEM)
DAY = "<concertation/journee-regionale-pessac>"
PROP = "proposition/journee-regionale-pessac"


quoted = quote_checker(STEM)
fr = fr_literal


def test_a_regional_day_in_pessac_on_16_december_2022(content):
    quoted("Journée régionale de concertation 16 décembre 2022 – Pessac")
    rows = content.select(f"""
        SELECT ?date ?place ?commune WHERE {{ GRAPH {GRAPH} {{
            {DAY} a sg:JourneeRegionale ; schema:startDate ?date ; sg:lieu ?place ;
                sg:commune ?commune .
        }} }}""")
    assert rows == [
        {
            "date": "2022-12-16",
            "place": "Pessac",
            "commune": "https://w3id.org/santegraph/id/territoire/commune/33318",
        }
    ]


def test_the_text_places_itself_in_nouvelle_aquitaine_and_the_contradiction_is_recorded(
    content,
):
    quoted("Le groupe considère que l'on dispose en région Nouvelle-Aquitaine")
    assert TEXT.lacks("Hauts-de-France")
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <source/{STEM}> dct:spatial <territoire/region/75> .
            <territoire/region/75> skos:prefLabel "Nouvelle-Aquitaine"@fr .
            ?note a sg:NoteQualite ; sg:concerne <source/{STEM}> , {DAY} ;
                sg:typeProbleme <type-probleme/contradiction> ; rdfs:comment ?c .
            FILTER (CONTAINS(?c, "Nouvelle-Aquitaine") && CONTAINS(?c, "Hauts-de-France")
                    && CONTAINS(?c, "Pessac"))
        }} }}""")


def test_six_ateliers_and_the_participant_counts_that_do_not_add_up(content):
    quoted("6 ateliers ont été organisés en deuxième partie de journée")
    quoted("Thème : Accès aux soins (55 participants divisés en 2 ateliers)")
    quoted("Au total, 160 personnes ont participé aux ateliers.")
    rows = content.select(f"""
        SELECT ?theme ?n WHERE {{ GRAPH {GRAPH} {{
            ?theme a sg:ThemeConcertation ; dct:isPartOf {DAY} ; schema:position ?pos .
            ?q sg:quantiteDe {DAY} ; sg:portee ?theme ; sg:grandeur <grandeur/participants> ;
                sg:valeur ?n .
        }} }} ORDER BY ?pos""")
    assert [int(r["n"]) for r in rows] == [55, 44, 50]
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            ?a sg:quantiteDe {DAY} ; sg:grandeur <grandeur/ateliers> ; sg:valeur 6 .
            ?p sg:quantiteDe {DAY} ; sg:grandeur <grandeur/participants> ; sg:valeur 160 ;
                sg:moment <moment/ateliers> .
            ?note sg:concerne {DAY} ; sg:typeProbleme <type-probleme/incoherence-chiffres> ;
                rdfs:comment ?c .
            FILTER (CONTAINS(?c, "149") && CONTAINS(?c, "160"))
        }} }}""")
    ateliers = content.select(f"""
        SELECT (COUNT(?a) AS ?n) WHERE {{ GRAPH {GRAPH} {{
            ?a a sg:Atelier ; dct:isPartOf {DAY} }} }}""")
    assert ateliers == [{"n": "6"}]


def test_six_propositions_two_per_theme(content):
    quoted("Les 6 propositions étaient rattachées à 3 thèmes (2 propositions par thème)")
    rows = content.select(f"""
        SELECT ?themeLabel (COUNT(?p) AS ?n) WHERE {{ GRAPH {GRAPH} {{
            ?p a sg:Proposition ; sg:issueDe {DAY} ; sg:rubrique ?theme .
            ?theme skos:prefLabel ?themeLabel .
        }} }} GROUP BY ?themeLabel ORDER BY ?themeLabel""")
    assert rows == [
        {"themeLabel": "Accès aux soins", "n": "2"},
        {"themeLabel": "Attractivité des métiers et des territoires", "n": "2"},
        {"themeLabel": "Prévention", "n": "2"},
    ]


def test_permanence_des_soins_constat_and_national_expectation(content):
    label = "Revoir l'organisation de la permanence des soins avec les acteurs des territoires"
    constat = "Une garde obligatoire pour les médecins hospitaliers... mais pas pour les libéraux."
    quoted(f"Proposition débattue : {label}")
    quoted(constat)
    quoted("Une base juridique/réglementaire qui redéfinisse les conditions de rémunération")
    quoted("- les établissements de santé publics et privés")
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <{PROP}/2> skos:prefLabel {fr(label)} ; sg:constat {fr(constat)} ;
                sg:attentesNational ?national ;
                sg:lienThematiqueDeduit <theme-national/2> ;
                cv:thematicArea <besoin/soins-non-programmes> ;
                sg:impliqueType sg:CPTS ; sg:acteursImpliques ?who .
            FILTER (STRSTARTS(?national, "Une base juridique/réglementaire"))
            FILTER (CONTAINS(?who, "les établissements de santé publics et privés"))
        }} }}""")


def test_installation_centre_ressource_for_professionals_and_users(content):
    quoted("« **Développement d'un Centre ressource** »")
    quoted("Les bénéficiaires : Les professionnels de santé & les usagers.")
    rows = content.select(f"""
        SELECT ?idea ?beneficiaires ?audience WHERE {{ GRAPH {GRAPH} {{
            <{PROP}/1> sg:nomIdee ?idea ; sg:beneficiaires ?beneficiaires ; dct:audience ?audience .
        }} }} ORDER BY ?audience""")
    assert [r["audience"].rsplit("/", 1)[1] for r in rows] == [
        "professionnels-sante",
        "usagers-systeme-sante",
    ]
    assert rows[0]["idea"] == "Développement d'un Centre ressource"
    assert rows[0]["beneficiaires"] == "Les professionnels de santé & les usagers."


def test_installation_expectations_were_written_by_francom_and_this_is_recorded(content):
    quoted(
        "les points suivants n'ont pas été développés lors de la restitution "
        "(rédaction proposée par FRANCOM)"
    )
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <acteur/francom> skos:prefLabel "FRANCOM"@fr .
            <{PROP}/1> sg:attentesNational "Soutenir la démarche."@fr .
            ?note sg:concerne <{PROP}/1> ; sg:typeProbleme <type-probleme/information-manquante> ;
                rdfs:comment ?c .
            FILTER (CONTAINS(?c, "FRANCOM"))
        }} }}""")


def test_exercice_coordonne_mobilises_cpts_distinct_from_dac_and_pta(content):
    quoted(
        "bien différencier ce dispositif (CPTS) au milieu des autres dispositifs tels que les "
        "DAC, PTA et autres solutions déjà mises en place"
    )
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <{PROP}/4> skos:prefLabel "Favoriser l'exercice coordonné"@fr ;
                sg:mobiliseType sg:CPTS ; sg:lienThematiqueDeduit <theme-national/3> ;
                dct:audience <public/usagers-systeme-sante> .
            sg:CPTS sg:mentionDansSource <source/{STEM}/exercice-coordonne> .
            sg:DAC sg:mentionDansSource <source/{STEM}/exercice-coordonne> .
            sg:PTA sg:mentionDansSource <source/{STEM}/exercice-coordonne> .
        }} }}""")
    # this proposition has no national expectations in the text: recorded, not invented
    quoted("Ce que l'on attend des acteurs du territoire :\n\nMettre en place une cartographie")
    assert not content.ask(f"ASK {{ <{PROP}/4> sg:attentesNational ?x }}")
    assert content.ask(f"ASK {{ ?n sg:concerne <{PROP}/4> ; a sg:NoteQualite }}")


def test_quality_of_life_conciergerie_and_local_authorities(content):
    local = (
        "Centraliser les services de conciergerie à l'échelle locale par les collectivités "
        "territoriales."
    )
    national = "Sécuriser l'encadrement des stagiaires scolaires."
    quoted(local)
    quoted(national)
    quoted("- les collectivités territoriales\n- les services déconcentrés de l'Etat")
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <{PROP}/3> sg:lienThematiqueDeduit <theme-national/3> ; sg:acteursImpliques ?who ;
                sg:attentesTerritoire {fr(local)} ; sg:attentesNational {fr(national)} .
            FILTER (CONTAINS(?who, "les collectivités territoriales"))
        }} }}""")
    for field in ("attentesTerritoire", "attentesNational"):
        rows = content.select(f"SELECT (COUNT(?x) AS ?n) WHERE {{ <{PROP}/3> sg:{field} ?x }}")
        assert rows == [{"n": "5"}], field  # five bullet points each


def test_school_prevention_targets_children_0_to_18_and_their_families(content):
    beneficiaires = "Tout enfant scolarisé de 0 à 18 ans ainsi que leurs familles"
    quoted(f"Bénéficiaires : {beneficiaires}")
    quoted("La création d'un carnet de santé digital qui permettrait d'être en lien avec")
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <{PROP}/6> sg:beneficiaires {fr(beneficiaires)} ;
                dct:audience <public/enfants> , <public/jeunes-enfants-parents> ;
                cv:thematicArea <besoin/depistage> ; sg:lienThematiqueDeduit <theme-national/4> ;
                sg:impliqueType sg:MSP ; sg:attentesNational ?n .
            FILTER (CONTAINS(?n, "Mon espace santé"))
        }} }}""")


def test_last_proposition_orchestrates_outreach_to_people_in_precarity(content):
    idea = "orchestrer le repérage, la médiation et la coordination territoriale des personnes"
    last = (
        "Et enfin capter, capitaliser sur l'ensemble des expériences qui pourraient être "
        "développées."
    )
    quoted(f"« **{idea} en difficulté** »")
    quoted(last)
    rows = content.select(f"""
        SELECT ?idea ?audience (COUNT(DISTINCT ?c) AS ?constats) WHERE {{ GRAPH {GRAPH} {{
            <{PROP}/5> sg:nomIdee ?idea ; dct:audience ?audience ; sg:constat ?c ;
                sg:attentesNational {fr(last)} ;
                prov:wasDerivedFrom <source/{STEM}/aller-vers-precarite> .
        }} }} GROUP BY ?idea ?audience""")
    assert rows == [
        {
            "idea": f"{idea} en difficulté",
            "audience": "https://w3id.org/santegraph/id/public/personnes-precarite",
            "constats": "5",
        }
    ]


def test_unexplained_acronym_ccs_is_kept_as_written_and_recorded(content):
    quoted("- les CCS,")
    assert content.ask(f"""
        ASK {{ GRAPH {GRAPH} {{
            <{PROP}/5> sg:acteursImpliques ?a .
            FILTER (CONTAINS(?a, "les CCS"))
            ?note sg:concerne <{PROP}/5> ; rdfs:comment ?c . FILTER (CONTAINS(?c, "CCS"))
        }} }}""")


def test_every_resource_of_this_document_has_provenance(content):
    rows = content.select(f"""
        SELECT DISTINCT ?r WHERE {{ GRAPH {GRAPH} {{
            ?r a ?type .
            FILTER (?type NOT IN (sg:DocumentSource, sg:SectionDocument))
            FILTER NOT EXISTS {{ ?r prov:wasDerivedFrom ?s }}
        }} }}""")
    assert rows == []
    n = content.select(f"SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{ GRAPH {GRAPH} {{ ?r a ?t }} }}")
    assert int(n[0]["n"]) > 30
