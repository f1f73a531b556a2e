"""Doc 002, part 2: the CTS Métropole-Flandres feuille de route « innovons en santé ».

Procès-verbal of the CTS Métropole-Flandres plenary session of 6 July 2023, item 3/ (from
the « Proposition de feuille de route » heading to the end of the document). Each test
checks that the quoted passage is in the source text and that the graph states the fact.
"""

import re

import pytest

from ..external import SourceText

STEM = "002_017d9451b3d5fdac"
GRAPH = f"<graph/sources/{STEM}>"
FDR = "<feuille-de-route/metropole-flandres>"


def assert_in_source(passage: str) -> None:
    source = SourceText(STEM, lambda text: re.sub(r"\s+", " ", text))
    assert source.says(passage), f"not in {STEM}.txt: {passage!r}"


def action_with_label(content, label_start: str) -> str:
    rows = content.select(
        f"""SELECT ?a WHERE {{ GRAPH {GRAPH} {{
              ?a a sg:Action ; dct:isPartOf {FDR} ; skos:prefLabel ?l .
              FILTER(STRSTARTS(STR(?l), "{label_start}")) }} }}"""
    )
    assert len(rows) == 1, f"expected one action starting with {label_start!r}: {rows}"
    return "<" + rows[0]["a"] + ">"


def test_the_cts_approves_its_feuille_de_route_unanimously(content):
    assert_in_source("3/ Proposition de feuille de route Métropole-Flandres « innovons en santé »")
    assert_in_source("Les membres du CTS, à l'unanimité, approuvent la feuille de route présentée")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              {FDR} a sg:FeuilleDeRoute ;
                  sg:porteur <acteur/cts-metropole-flandres> ;
                  dct:dateAccepted "2023-07-06"^^xsd:date ;
                  prov:wasDerivedFrom <source/{STEM}/feuille-de-route> .
              <source/{STEM}/feuille-de-route> a sg:SectionDocument ;
                  dct:isPartOf <source/{STEM}> . }} }}"""
    )


def test_carole_grard_speaks_for_the_three_cpam_of_the_territory(content):
    assert_in_source(
        "Elle représente ici les trois CPAM du territoire de Métropole-Flandres, à savoir "
        "celle de Lille-Douai, dont elle est la directrice, celles de Roubaix-Tourcoing et "
        "des Flandres."
    )
    rows = content.select(
        f"""SELECT ?label WHERE {{ GRAPH {GRAPH} {{
              {FDR} sg:partenaire ?cpam .
              ?cpam a sg:OrganismeProtectionSociale ; skos:prefLabel ?label ;
                  sg:membreDe <acteur/assurance-maladie> . }} }} ORDER BY ?label"""
    )
    assert [r["label"] for r in rows] == [
        "CPAM de Lille-Douai",
        "CPAM de Roubaix-Tourcoing",
        "CPAM des Flandres",
    ]


@pytest.mark.parametrize(
    ("n", "heading"),
    [
        (1, "DEFI 1 : Donner à tous un accès à un médecin traitant ou à une équipe traitante"),
        (2, "DEFI 2 : Garantir la continuité des soins et la réponse aux besoins de soins"),
        (3, "DEFI 3 : Mobiliser les leviers territoriaux d'attractivité pour les métiers"),
        (4, "DEFI 4 : Créer une nouvelle alliance entre les acteurs locaux pour que la"),
    ],
)
def test_defi_headings_are_the_national_priorities_not_regional_defis(content, n, heading):
    assert_in_source(heading)
    section = f"<source/{STEM}/defi-{n}>"
    # every action under the heading answers national theme n, none claims a regional défi
    rows = content.select(
        f"""SELECT ?a ?theme WHERE {{ GRAPH {GRAPH} {{
              ?a a sg:Action ; prov:wasDerivedFrom {section} ; sg:rubrique ?theme . }} }}"""
    )
    assert rows and {r["theme"].rsplit("/id/", 1)[1] for r in rows} == {f"theme-national/{n}"}
    assert not content.ask(
        f"ASK {{ ?a dct:isPartOf {FDR} ; sg:lienThematique ?d . ?d a sg:DefiRegional }}"
    )
    # and the naming discrepancy is recorded
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              ?note a sg:NoteQualite ; sg:concerne {section} ;
                  sg:typeProbleme <type-probleme/contradiction> ; rdfs:comment ?c .
              FILTER(CONTAINS(?c, "4 priorités")) }} }}"""
    )


def test_observatory_of_medical_demography_is_to_be_built_and_uses_data_ps(content):
    assert_in_source("Action à construire.")
    assert_in_source("l'assurance maladie a publié un nouvel outil qui s'appelle DATA PS")
    action = action_with_label(content, "Développer un outil d'observation de la démographie")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              {action} schema:position 1 ; sg:statut <statut-action/a-lancer> ;
                  sg:mobiliseType sg:DATAPS, sg:DAM ; sg:citation "Action à construire."@fr .
              sg:DATAPS sg:mentionDansSource <source/{STEM}/defi-1> ; sg:ditDansSource ?d .
              FILTER(CONTAINS(?d, "vision claire de la démographie")) }} }}"""
    )


def test_esl_carries_the_attractiveness_strategy_of_the_cud_and_the_cchf(content):
    assert_in_source("l'ESL est légitime comme porteur de l'action")
    assert_in_source("du territoire de la CUD et de la CCHF")
    action = action_with_label(content, "Développer à l'échelle d'un territoire une stratégie")
    rows = content.select(
        f"""SELECT ?porteur ?epci WHERE {{ GRAPH {GRAPH} {{
              {action} sg:porteur ?p ; sg:territoireConcerne ?t .
              ?p sg:sigle ?porteur .
              ?t ^sg:territoireDesservi ?org . ?org a sg:Intercommunalite ; sg:sigle ?epci .
              }} }} ORDER BY ?epci"""
    )
    assert [(r["porteur"], r["epci"]) for r in rows] == [("ESL", "CCHF"), ("ESL", "CUD")]
    # the EPCI territories are the COG ones, by SIREN
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{ {action} sg:territoireConcerne
              <territoire/epci/245900428>, <territoire/epci/200040954> . }} }}"""
    )


def test_cpam_carry_the_zero_ald_patient_without_gp_plan(content):
    assert_in_source("Cette action est portée par la CPAM dans le cadre de son plan")
    assert_in_source("dans le Nord, 96,5 % des assurés en ALD disposent d'un médecin traitant")
    action = action_with_label(content, "Favoriser, par des actions adaptées auprès des médecins")
    rows = content.select(
        f"""SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ GRAPH {GRAPH} {{
              {action} sg:porteur ?p . ?p a sg:OrganismeProtectionSociale .
              {action} dct:audience <public/patients-sans-medecin-traitant> ;
                  cv:thematicArea <besoin/medecin-traitant> ;
                  sg:territoireConcerne <territoire/departement/59> . }} }}"""
    )
    assert rows[0]["n"] == "3"


def test_prisme_is_carried_by_the_chu_de_lille_with_sas_3114_and_vigilans(content):
    assert_in_source("Projet porté par le CHU de Lille, à travailler.")
    assert_in_source("en lien avec le SAS, 113-114 et vigilans")
    action = action_with_label(content, "Mettre en œuvre le dispositif PRISME")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              {action} sg:porteur ?chu ; sg:impliqueType sg:PTSM ;
                  sg:mobiliseType sg:PRISME, sg:SAS, sg:LigneEcoute, sg:VIGILANS ;
                  cv:thematicArea <besoin/sante-mentale> .
              ?chu a sg:EtablissementSante ; skos:prefLabel "CHU de Lille"@fr .
              sg:PRISME sg:mentionDansSource <source/{STEM}/defi-2> . }} }}"""
    )
    # « 113-114 » is how the PV writes the national suicide prevention line, the 3114
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              ?n a sg:NoteQualite ; sg:concerne {action} ;
                  sg:typeProbleme <type-probleme/code-errone> ; rdfs:comment ?c .
              FILTER(CONTAINS(?c, "113-114") && CONTAINS(?c, "3114")) }} }}"""
    )


def test_the_cpts_sud_metropole_lilloise_runs_one_of_the_eight_csnp(content):
    assert_in_source("8 CSNP retenus en région dans le cadre de l'AMI de l'ARS")
    action = action_with_label(content, "Expérimenter des centres de soins non programmés")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <acteur/cpts-sud-metropole-lilloise> a sg:CPTS ; sg:porte ?csnp .
              ?csnp a sg:CSNP .
              {action} sg:mobilise ?csnp ; sg:mobiliseType sg:SAS ;
                  sg:statut <statut-action/en-cours> . }} }}"""
    )


def test_participative_health_centres_of_dunkerque_and_capinghem(content):
    assert_in_source("Pour le territoire : MSP de Dunkerque, Centre de santé de Capinghem")
    assert_in_source("Evaluation prévisionnelle : fin 2023.")
    action = action_with_label(content, "Achever l'expérimentation des centres et maisons")
    rows = content.select(
        f"""SELECT ?insee WHERE {{ GRAPH {GRAPH} {{
              {action} sg:implique ?s ; sg:echeance "fin 2023"@fr .
              ?s sg:localisation ?c . }}
              BIND(STRAFTER(STR(?c), "territoire/commune/") AS ?insee) }} ORDER BY ?insee"""
    )
    assert [r["insee"] for r in rows] == ["59128", "59183"]  # Capinghem, Dunkerque


def test_msp_du_kruysbellaert_welcomes_everyone_and_does_prevention(content):
    assert_in_source(
        "la MSP du Kruysbellaert accueille des publics de tous horizons, mixtes, favorisant "
        "les liens interculturels et intergénérationnels"
    )
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              ?msp a sg:MSP ; skos:prefLabel "MSP du Kruysbellaert"@fr ;
                  sg:public <public/tout-public> ; sg:roleParcours <role/prevention> ;
                  sg:besoin <besoin/prevention> . }} }}"""
    )


def test_cordees_de_la_reussite_are_an_education_nationale_programme(content):
    assert_in_source("Dispositif de l'éducation nationale.")
    action = action_with_label(content, "Développer les cordées de la réussite")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              {action} sg:porteur <acteur/education-nationale> ; sg:mobilise ?c ;
                  sg:rubrique <theme-national/3> .
              <acteur/education-nationale> a sg:ServiceEtat ; sg:porte ?c .
              ?c a sg:Programme . }} }}"""
    )


def test_cud_grants_bursaries_for_the_first_year_of_medicine(content):
    assert_in_source(
        "l'attribution par la CUD de bourses pour la première année d'études de médecine, "
        "de 2 à 13 000 euros en fonction des revenus"
    )
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <acteur/communaute-urbaine-de-dunkerque> a sg:Intercommunalite ;
                  sg:siren "245900428" ; sg:public <public/etudiants-sante> ;
                  sg:roleParcours <role/financement> . }} }}"""
    )


def test_epop_peer_support_is_developed_by_the_papillons_blancs(content):
    assert_in_source(
        "Franck SPICHT indique que cette action est développée par les papillons blancs "
        "dans la région Hauts-de-France."
    )
    action = action_with_label(content, "Achever l'expérimentation EPOP")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              {action} sg:porteur ?pb ; dct:audience <public/personnes-handicap> ;
                  sg:rubrique <theme-national/4> .
              ?pb a sg:Association ; skos:altLabel "papillons blancs"@fr . }} }}"""
    )


def test_the_last_action_is_pep_48_and_the_pv_counts_19_actions_for_20_headings(content):
    assert_in_source(
        "Mettre en œuvre le dispositif de détection précoce de pathologies chroniques en "
        "santé mentale PEP 48"
    )
    assert_in_source("modalités de suivi des 19 actions qui composent la feuille de route")
    rows = content.select(
        f"""SELECT ?pos ?l WHERE {{ GRAPH {GRAPH} {{
              ?a a sg:Action ; dct:isPartOf {FDR} ; schema:position ?pos ;
                  skos:prefLabel ?l . }} }} ORDER BY DESC(xsd:integer(?pos))"""
    )
    assert len(rows) == 20
    assert sorted(int(r["pos"]) for r in rows) == list(range(1, 21))
    assert rows[0]["l"].endswith("PEP 48")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              ?n a sg:NoteQualite ; sg:concerne {FDR} ;
                  sg:typeProbleme <type-probleme/incoherence-chiffres> ; rdfs:comment ?c .
              FILTER(CONTAINS(?c, "19 actions")) }} }}"""
    )


def test_speaker_name_variants_are_recorded(content):
    assert_in_source("Nicolas MILEVILLE demande s'il existe une réflexion")
    assert_in_source("| MILLEVILLE Nicolas |")
    assert_in_source("Françoise VANRECHEM confirme l'intérêt")
    assert_in_source("| VAN RECHEM Françoise |")
    for person, variant in [
        ("milleville-nicolas", "MILEVILLE Nicolas"),
        ("van-rechem-francoise", "VANRECHEM Françoise"),
    ]:
        assert content.ask(
            f"""ASK {{ GRAPH {GRAPH} {{
                  <personne/{person}> skos:altLabel "{variant}"@fr .
                  ?n a sg:NoteQualite ; sg:concerne <personne/{person}> ;
                      sg:typeProbleme <type-probleme/variante-orthographique> ;
                      rdfs:comment ?c .
                  FILTER(CONTAINS(?c, "{variant.split()[0]}")) }} }}"""
        ), person


def test_the_cts_opinion_on_the_prs_is_due_on_a_date_without_year(content):
    assert_in_source("L'avis du CTS doit être rendu pour le 10 septembre.")
    assert content.ask(
        f"""ASK {{ GRAPH {GRAPH} {{
              <source/{STEM}/information> a sg:SectionDocument ; rdfs:label "Information"@fr ;
                  sg:echeance "10 septembre"@fr .
              ?n a sg:NoteQualite ; sg:concerne <source/{STEM}/information> ;
                  sg:typeProbleme <type-probleme/annee-manquante> . }} }}"""
    )


def test_every_action_is_fully_linked(content):
    rows = content.select(
        f"""SELECT ?a WHERE {{ GRAPH {GRAPH} {{ ?a a sg:Action ; dct:isPartOf {FDR} .
              FILTER NOT EXISTS {{
                ?a sg:rubrique ?t ; sg:statut ?s ; dct:audience ?p ; cv:thematicArea ?b ;
                   prov:wasDerivedFrom ?sec . ?sec a sg:SectionDocument . }} }} }}"""
    )
    assert rows == []


def test_every_resource_typed_in_the_graph_has_a_provenance(content):
    rows = content.select(
        f"""SELECT DISTINCT ?s WHERE {{ GRAPH {GRAPH} {{
              ?s a ?type .
              FILTER(?type != sg:DocumentSource)
              FILTER NOT EXISTS {{ ?s prov:wasDerivedFrom ?src }} }} }}"""
    )
    assert rows == []
