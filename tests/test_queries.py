"""The competency questions: every ``queries/*.rq`` file, run on the whole of ``data/``.

Each file must have a complete header and answer on the repository's data (ontology plus
every data file in its named graph, default graph = union of the named graphs, no BASE and
no pre-declared PREFIX: exactly what santegraph runs). Each file must also have an entry in
``EXPECTED`` below, so a new file cannot be added untested. An entry lists runs of the query
(the first one with every parameter unbound) and, for each run, answer rows that must be
there and rows that must not be there.

Reading the table:

* a row pattern is a dict ``column -> expected value``; a row of the answer matches when
  every listed column has that value. Values are compared as strings, IRIs relative to the
  deployment base (``acteur/afeji``), ``sg:`` terms as ``sg:Name``, other IRIs in full,
  literals by their lexical form; ``None`` means unbound (or an empty concatenation); a
  value starting with ``~`` only has to be contained in the answer's value (for
  concatenated columns);
* ``params`` binds placeholders, written like the values (``sg:CLSM``, a relative IRI) or
  as pyoxigraph literals; every declared parameter is bound by at least one run, and a bound
  run must return fewer rows than the unbound one (the filter works);
* ``count`` is the exact number of rows, when the sources fix it;
* ``gap`` marks a question the data cannot answer yet (reason given): its non-empty check is
  an expected failure, strict, so the test says so as soon as the data arrives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest

from santegraph.queries import bind, parse_named_query, query_form

from .content.conftest import BASE, content, loaded_content  # noqa: F401  (the fixtures)

QUERIES = Path(__file__).resolve().parents[1] / "queries"
SG = "https://w3id.org/santegraph/def#"
GYEAR = ox.NamedNode("http://www.w3.org/2001/XMLSchema#gYear")
AUDIENCES = {"professional", "integrator", "steward"}
EXTERNAL = {
    "org:": "http://www.w3.org/ns/org#",
    "cpsv:": "http://purl.org/vocab/cpsv#",
}

Row = Mapping[str, str | None]


@dataclass(frozen=True)
class Run:
    """One execution of a query and what its answer must contain."""

    params: Mapping[str, str | ox.Literal] = field(default_factory=dict)
    rows: tuple[Row, ...] = ()
    absent: tuple[Row, ...] = ()
    count: int | None = None


@dataclass(frozen=True)
class Expected:
    runs: tuple[Run, ...]
    gap: str = ""


S002 = "002_017d9451b3d5fdac"
DUNKERQUE = "territoire/commune/59183"
CTS_MF = "acteur/cts-metropole-flandres"
ESAT = "service/esat-les-ateliers-de-la-lys/"

EXPECTED: dict[str, Expected] = {
    # ---------------------------------------------------------------- professional
    "acteurs-par-public-et-lieu": Expected(
        (
            Run(
                rows=(
                    {"acteur": "acteur/esat-les-ateliers-de-la-lys"},
                    {"acteur": "acteur/centre-hospitalier-de-denain", "territoires": "Denain"},
                )
            ),
            # « jeunes de moins de 25 ans » near Dunkerque: the CUD (étudiants en santé,
            # a narrower public) serves the EPCI that contains Dunkerque; the Cordées de la
            # réussite (jeunes, no territory) cannot be placed.
            Run(
                params={"public": "public/jeunes-moins-25", "lieu": "territoire/commune/59183"},
                rows=({"acteur": "acteur/communaute-urbaine-de-dunkerque"},),
                absent=({"acteur": "acteur/cordees-de-la-reussite"},),
                count=1,
            ),
            Run(
                params={"besoin": "besoin/sante-mentale"},
                rows=(
                    {"acteur": "acteur/pep-48"},
                    {"acteur": "acteur/epsm-de-l-agglomeration-lilloise"},
                    {"acteur": "acteur/ctsm-metropole-flandres"},
                ),
                absent=({"acteur": "acteur/communaute-urbaine-de-dunkerque"},),
            ),
        )
    ),
    "dispositifs-par-territoire": Expected(
        (
            Run(
                rows=(
                    {
                        "dispositif": "acteur/msp-de-dunkerque",
                        "territoireNom": "Dunkerque",
                        "relation": "situé à",
                    },
                    {"dispositif": CTS_MF, "territoire": "territoire/tds/metropole-flandres"},
                )
            ),
            # Dunkerque is the only commune the data places in the TAS Littoral Nord.
            Run(
                params={"lieu": "territoire/tas/littoral-nord"},
                rows=({"dispositif": "acteur/msp-de-dunkerque"},),
                absent=(
                    {"dispositif": "acteur/msp-de-steenvoorde"},
                    {"dispositif": "acteur/centre-de-sante-de-capinghem"},
                ),
            ),
            Run(
                params={"lieu": "territoire/epci/245900428"},
                rows=({"dispositif": "acteur/msp-de-dunkerque"},),
                absent=({"dispositif": "acteur/maison-de-sante-pluridisciplinaire-d-hautmont"},),
            ),
        )
    ),
    "offres-de-services": Expected(
        (
            Run(
                rows=(
                    {
                        "service": ESAT + "le-handicap-c-est-pas-sorcier",
                        "prestataire": "acteur/esat-les-ateliers-de-la-lys",
                    },
                    {
                        "service": ESAT + "formation-comprendre-les-handicaps",
                        "roles": "Formation",
                    },
                ),
                count=2,
            ),
            Run(
                params={"besoin": "besoin/droits-usagers"},
                rows=({"nom": "~Le handicap, c'est pas sorcier"},),
                count=1,
            ),
            # no service of the data is meant for young people
            Run(params={"public": "public/jeunes-moins-25"}, count=0),
        )
    ),
    "orientations-entre-acteurs": Expected(
        (Run(), Run(params={"acteur": "acteur/cpam-des-flandres"}, count=0)),
        gap="no source states who refers people to whom: no sg:orienteVers in data/",
    ),
    # recorded by stewards (their form, #15); tests/test_toile_build.py exercises it
    "orientations-du-parcours": Expected(
        (
            Run(),
            Run(params={"orienteur": "acteur/cpam-des-flandres"}, count=0),
            Run(params={"destinataire": "acteur/cpam-des-flandres"}, count=0),
            Run(params={"public": "public/adolescents"}, count=0),
        ),
        gap="no source states who refers people to whom: no sg:Orientation in data/",
    ),
    "structures-exercice-coordonne": Expected(
        (
            Run(
                rows=(
                    {
                        "structure": "acteur/cpts-sud-metropole-lilloise",
                        "type": "sg:CPTS",
                        "porte": "Centre de soins non programmés de la CPTS Sud Métropole Lilloise",
                    },
                    {
                        "structure": "acteur/maison-de-sante-pluridisciplinaire-d-hautmont",
                        "type": "sg:MSP",
                        "territoires": "Hautmont",
                        "documents": "~source/000_4a337a90df3403e9",
                    },
                    {
                        "structure": "acteur/centre-de-sante-de-capinghem",
                        "type": "sg:CentreDeSante",
                    },
                    # « à Denain où la CPTS est en train de travailler le sujet » (doc 002)
                    {"structure": "acteur/cpts-de-denain", "type": "sg:CPTS"},
                ),
                count=9,
            ),
            Run(
                params={"lieu": "territoire/departement/59"},
                rows=({"structure": "acteur/msp-de-steenvoorde"},),
                absent=({"structure": "acteur/cpts-sud-metropole-lilloise"},),
            ),
        )
    ),
    "dispositifs-sante-mentale": Expected(
        (
            Run(
                rows=(
                    {
                        "type": "sg:CLSM",
                        "ceQueDisentLesSources": "~généraliser les contrats locaux santé mentale",
                    },
                    {"type": "sg:DispositifSanteMentale", "instance": "acteur/pep-48"},
                    {"type": "sg:PRISME", "sections": "~commission-territoriale-de-sante-mentale"},
                    {"instance": "acteur/epsm-de-l-agglomeration-lilloise"},
                ),
            ),
        )
    ),
    "toiles-agur": Expected(
        (
            Run(
                rows=(
                    {
                        "toile": "toile/agur-jeunes-moins-25-delinquance-et-ase",
                        "statutNom": "En cours",
                    },
                    {
                        "toile": "toile/agur-jeunes-moins-25-handicap",
                        "auteurNom": "Agence d'urbanisme et de développement de la région "
                        "Flandre-Dunkerque",
                        "publics": "~Jeunes de moins de 25 ans en situation de handicap",
                    },
                ),
                count=5,
            ),
            Run(
                params={"public": "public/jeunes-moins-25-precarite"},
                rows=({"toile": "toile/agur-jeunes-moins-25-precarite", "angle": "précarité"},),
                count=1,
            ),
        )
    ),
    "dispositifs-portes-par-acteur": Expected(
        (
            Run(
                rows=(
                    {
                        "acteur": "acteur/cpts-sud-metropole-lilloise",
                        "dispositif": "acteur/csnp-de-la-cpts-sud-metropole-lilloise",
                        "types": "centre de soins non programmés",
                    },
                    {
                        "acteur": "acteur/assurance-maladie",
                        "dispositif": "acteur/dispositif-des-assistants-medicaux",
                    },
                ),
            ),
            Run(
                params={"acteur": "acteur/education-nationale"},
                rows=({"dispositif": "acteur/cordees-de-la-reussite"},),
                count=1,
            ),
        )
    ),
    "propositions-par-public": Expected(
        (
            Run(rows=({"element": "proposition/hainaut/1-1"},)),
            # narrower publics count: étudiants (somme 4-2) and étudiants en santé (hainaut 3-2)
            Run(
                params={"public": "public/jeunes-moins-25"},
                rows=(
                    {"element": "proposition/somme-littoral-sud/10-1"},
                    {"element": "proposition/somme-littoral-sud/4-2"},
                    {"element": "proposition/hainaut/3-2"},
                    {"element": "action/metropole-flandres/12", "nature": "action"},
                ),
                absent=({"element": "proposition/hainaut/1-1"},),
            ),
        )
    ),
    # ---------------------------------------------------------------- integrator
    "hierarchie-dispositifs": Expected(
        (
            Run(
                rows=(
                    {"type": "sg:CLSM", "parent": "sg:DispositifSanteMentale", "estActeur": "true"},
                    {"type": "sg:PTSM", "estActeur": "false"},
                    {"type": "sg:MSP", "parent": "sg:ExerciceCoordonne", "instances": "4"},
                ),
            ),
            Run(
                params={"racine": "sg:DispositifSanteMentale"},
                rows=({"type": "sg:PRISME"}, {"type": "sg:CTSM"}),
                absent=({"type": "sg:MSP"},),
                count=7,
            ),
        )
    ),
    "territoires-d-un-departement": Expected(
        (
            Run(
                rows=(
                    {"millesime": "2022", "departementNom": "Nord", "epciNom": "CU de Dunkerque"},
                    {"millesime": "2026", "epci": "territoire/epci/245900428"},
                ),
            ),
            # CC Flandre Lys spans the Nord and the Pas-de-Calais: listed under both
            Run(
                params={"departement": "territoire/departement/59"},
                rows=(
                    {"epci": "territoire/epci/245900428", "siren": "245900428"},
                    {"epci": "territoire/epci/245900758"},
                ),
                absent=({"millesime": "2022"},),
            ),
            Run(
                params={"millesime": ox.Literal("2022", datatype=GYEAR)},
                rows=({"epci": "territoire/cog-2022/epci/245900428"},),
                absent=({"millesime": "2026"},),
            ),
        )
    ),
    "communes-d-un-epci-2022-et-actuel": Expected(
        (
            Run(rows=({"siren": "245900428", "code": "59183", "statut": "inchangée"},)),
            # three communes of the CC des 7 Vallées merged into Hesdin-la-Forêt after 2022
            Run(
                params={"epci": "territoire/epci/200044030"},
                rows=(
                    {
                        "code": "62461",
                        "nom2022": "Huby-Saint-Leu",
                        "nomActuel": None,
                        "statut": "seulement en 2022",
                        "remplaceePar": "Hesdin-la-Forêt",
                    },
                ),
            ),
            # queried with the archived IRI: Les Hauts-Talican has a new code (60694)
            Run(
                params={"epci": "territoire/cog-2022/epci/246000582"},
                rows=(
                    {
                        "code": "60694",
                        "nomActuel": "Les Hauts-Talican",
                        "statut": "seulement aujourd'hui",
                    },
                ),
            ),
        )
    ),
    "concepts-par-schema": Expected(
        (
            Run(
                rows=(
                    {"concept": "public/adolescents", "parent": "public/jeunes-moins-25"},
                    {"concept": "besoin/prevention-suicide", "parent": "besoin/sante-mentale"},
                ),
            ),
            Run(
                params={"schema": "schema/publics"},
                rows=(
                    {
                        "concept": "public/jeunes-moins-25",
                        "codeExterne": "jeunes",
                        "nomenclature": "sg:CodeDataInclusionPublic",
                    },
                ),
                absent=({"schema": "schema/besoins"},),
            ),
        )
    ),
    "provenance-d-une-ressource": Expected(
        (
            Run(
                rows=(
                    {
                        "ressource": "concertation/hainaut",
                        "document": "source/000_4a337a90df3403e9",
                        "section": "source/000_4a337a90df3403e9/la-situation-du-territoire",
                    },
                ),
            ),
            Run(
                params={"ressource": "acteur/cpam-des-flandres"},
                rows=(
                    {
                        "graphe": f"graph/sources/{S002}",
                        "section": f"source/{S002}/titulaires-presents",
                    },
                    {"section": f"source/{S002}/feuille-de-route"},
                ),
            ),
            Run(
                params={"texte": ox.Literal("CLSM")},
                rows=(
                    {
                        "ressource": "sg:CLSM",
                        "section": "source/000_4a337a90df3403e9/solution-9",
                        "citations": "~généraliser les contrats locaux santé mentale",
                    },
                    {"ressource": "proposition/somme-littoral-sud/4-1"},
                ),
            ),
        )
    ),
    "effectifs-par-classe": Expected(
        (
            Run(
                rows=(
                    # the PV has 20 action headings (it speaks of « 19 actions »)
                    {"classe": "sg:Action", "directes": "20", "total": "20"},
                    {"classe": "sg:DefiRegional", "total": "8"},
                    {"classe": "sg:ThemeNational", "total": "4"},
                    {"classe": "sg:ConcertationTerritoriale", "total": "7"},
                    {"classe": "sg:Concertation", "directes": None, "total": "8"},
                    {"classe": "sg:DocumentSource", "total": "5"},
                ),
            ),
        )
    ),
    "correspondances-externes": Expected(
        (
            Run(
                rows=(
                    {"terme": "sg:ageMinimum", "valeur": "service.minimum_age"},
                    {
                        "terme": "public/personnes-handicap",
                        "valeur": "personnes-en-situation-de-handicap",
                    },
                    {
                        "terme": "public/tout-public",
                        "valeur": "07",
                        "referentiel": "https://mos.esante.gouv.fr/NOS/TRE_R239-PublicPrisEnCharge"
                        "/FHIR/TRE-R239-PublicPrisEnCharge",
                    },
                ),
            ),
            # what a ROR record coded TRE_R239 "01" (older people losing autonomy, and carers)
            # points to
            Run(
                params={
                    "nomenclature": "sg:CodeRORPublicPrisEnCharge",
                    "code": ox.Literal("01"),
                },
                rows=(
                    {"terme": "public/personnes-agees", "nom": "Personnes âgées"},
                    {"terme": "public/aidants"},
                ),
                count=2,
            ),
            Run(
                params={"nomenclature": "sg:ChampHSDS"},
                rows=({"terme": "sg:Service", "valeur": "service"},),
                absent=({"terme": "public/tout-public"},),
            ),
        )
    ),
    "instances-par-classe-externe": Expected(
        (
            Run(
                rows=(
                    {
                        "classe": EXTERNAL["org:"] + "OrganizationalUnit",
                        "classeSantegraph": "sg:College",
                        "instances": "26",  # 21 written + 1, 1d, 1f, 3, 4 read from codes
                    },
                ),
            ),
            Run(
                params={"classe": "cpsv:PublicService"},
                rows=({"classeSantegraph": "sg:Service", "instances": "2"},),
                count=1,
            ),
            Run(
                params={"classe": "org:Organization"},
                rows=(
                    {"classeSantegraph": "sg:CTS", "instances": "3"},
                    {"classeSantegraph": "sg:MSP", "instances": "4"},
                ),
                absent=({"classeSantegraph": "sg:Service"},),
            ),
        )
    ),
    "documents-sources": Expected(
        (
            Run(
                rows=(
                    {
                        "document": f"source/{S002}",
                        "graphe": f"graph/sources/{S002}",
                        "date": "2023-07-06",
                        "editeurNom": "Conseil territorial de santé Métropole-Flandres",
                    },
                    {
                        "document": "source/001_cf98c4f57362bdba",
                        "date": None,
                        "dateTexte": "29 novembre",
                    },
                ),
                count=5,
            ),
        )
    ),
    # ---------------------------------------------------------------- CNR Santé follow-up
    "propositions-par-defi": Expected(
        (
            Run(
                rows=(
                    {
                        "defi": "defi/2",
                        "proposition": "proposition/hainaut/9-3",
                        "origine": "concertation/hainaut",
                    },
                    # no paragraph, no proposition: the défi is still listed
                    {"defi": "defi/3", "proposition": None},
                ),
            ),
            Run(
                params={"defi": "defi/2", "concertation": "concertation/somme-littoral-sud"},
                rows=({"proposition": "proposition/somme-littoral-sud/4-1"},),
                absent=({"origine": "concertation/hainaut"}, {"defi": "defi/1"}),
            ),
        )
    ),
    "propositions-par-dispositif": Expected(
        (
            Run(rows=({"element": "action/metropole-flandres/7", "mobilise": "sg:PRISME"},)),
            Run(
                params={"dispositif": "sg:CLSM"},
                rows=(
                    {"element": "proposition/hainaut/9-3", "origine": "concertation/hainaut"},
                    {"element": "proposition/somme-littoral-sud/4-1"},
                    {"element": "solution/somme-littoral-sud/4", "nature": "solution"},
                    {"element": "solution/hainaut/9", "mobilise": "sg:CLSM"},
                ),
                # the elements that rely on a CLSM, with everything else they rely on
                absent=({"element": "proposition/hainaut/10-1"},),
            ),
            # a family of kinds: MSP and CPTS are exercice coordonné
            Run(
                params={"dispositif": "sg:ExerciceCoordonne"},
                rows=(
                    {"element": "proposition/somme-littoral-sud/6-14", "mobilise": "sg:MSP"},
                    {"element": "proposition/hainaut/3-9", "mobilise": "sg:ExerciceCoordonne"},
                ),
                absent=({"element": "proposition/hainaut/9-3"},),
            ),
            # an instance of a kind of the family
            Run(
                params={"dispositif": "sg:SoinsNonProgrammes"},
                rows=(
                    {
                        "element": "action/metropole-flandres/8",
                        "mobilise": "acteur/csnp-de-la-cpts-sud-metropole-lilloise",
                    },
                ),
            ),
        )
    ),
    "actions-par-porteur": Expected(
        (
            Run(
                rows=(
                    {"action": "action/metropole-flandres/7", "porteurs": "CHU de Lille"},
                    {"action": "action/metropole-flandres/6", "porteurs": None},
                ),
                count=20,
            ),
            # actions 3, 4, 5 and 11 are carried by the three CPAM together
            Run(
                params={"porteur": "acteur/cpam-des-flandres"},
                rows=({"action": "action/metropole-flandres/11", "statutNom": "À poursuivre"},),
                count=4,
            ),
            Run(
                params={"porteur": "acteur/assurance-maladie"},
                rows=({"action": "action/metropole-flandres/3"},),
                count=4,
            ),
        )
    ),
    "actions-par-theme-national": Expected(
        (
            Run(
                rows=(
                    {"numero": "1", "statutNom": "En cours", "actions": "3"},
                    {"numero": "2", "statutNom": "À lancer", "actions": "2"},
                ),
            ),
            Run(
                params={"theme": "theme-national/4"},
                rows=({"statutNom": "À poursuivre", "numerosActions": "17"},),
                absent=({"numero": "1"},),
            ),
        )
    ),
    "membres-instance-par-college": Expected(
        (
            Run(rows=({"membreNom": "LEFEBVRE Nicolas", "roles": "~Président"},)),
            Run(
                params={"college": f"{CTS_MF}/college/1b"},
                rows=(
                    {
                        "membreNom": "SPICHT Franck",
                        "organisation": "AFEJI",
                        "roles": "Titulaire",
                        "codeCollege": "1b",
                    },
                    {"membreNom": "LEMAIRE Hélène", "roles": "Suppléant"},
                ),
                count=5,
            ),
            Run(
                params={"instance": "acteur/ctsm-metropole-flandres"},
                rows=({"membreNom": "OUREIB Jean", "roles": "Président"},),
                count=1,
            ),
        )
    ),
    "excuses-a-une-seance": Expected(
        (
            Run(
                rows=(
                    {"nom": "OUREIB Jean"},
                    {
                        "nom": "HASNI Sonia",
                        "codeCollege": "4a",
                        "organisationNom": "Préfecture du Nord",
                    },
                ),
                absent=({"nom": "SPICHT Franck"},),
            ),
            # the minutes of 17 March 2023 are only mentioned: no attendance list
            Run(params={"seance": "seance/cts-metropole-flandres/2023-03-17"}, count=0),
        )
    ),
    "concertations": Expected(
        (
            Run(
                rows=(
                    {
                        "concertation": "concertation/hainaut",
                        "date": "2022-12-01",
                        "lieu": "Valenciennes – Cité des congrès",
                        "participantsAteliers": "100",
                        "participantsPleniere": "120",
                        "ateliers": "6",
                    },
                    {
                        "concertation": "concertation/journee-regionale-pessac",
                        "type": "sg:JourneeRegionale",
                        "communeNom": "Pessac",
                        "participantsAteliers": "160",
                        "participantsPleniere": None,
                    },
                    {
                        "concertation": "concertation/somme-littoral-sud",
                        "dateTexte": "Mardi 29 novembre",
                    },
                ),
                count=8,
            ),
            Run(
                params={"territoire": "territoire/tas/littoral-nord"},
                rows=({"communeNom": "Dunkerque", "date": "2022-12-15"},),
                count=1,
            ),
        )
    ),
    # ---------------------------------------------------------------- steward
    "notes-qualite-par-document": Expected(
        (
            Run(
                rows=(
                    {
                        "graphe": "graph/sources/003_e24160ded3cfc3a8",
                        "note": "note/003_e24160ded3cfc3a8/9",
                        "commentaire": "~DANS LES HAUTS-DE FRANCE",
                    },
                ),
            ),
            Run(
                params={"type": "type-probleme/annee-manquante"},
                rows=(
                    {"note": "note/003_e24160ded3cfc3a8/1"},
                    {"note": "note/001_cf98c4f57362bdba/1"},
                ),
                absent=({"typeNom": "Variante orthographique"},),
            ),
            Run(
                params={"graphe": "graph/territoires/tas"},
                rows=({"note": "note/tas/1", "typeNom": "Contradiction"},),
                count=2,
            ),
        )
    ),
    "acteurs-sans-contact": Expected(
        (
            Run(
                rows=({"acteur": "acteur/cpam-des-flandres"},),
                absent=({"acteur": "acteur/agur"},),
            ),
        )
    ),
    "acteurs-sans-territoire": Expected(
        (
            Run(
                rows=({"acteur": "acteur/afeji"}, {"acteur": "acteur/aides"}),
                absent=(
                    {"acteur": "acteur/commune-de-bailleul"},
                    {"acteur": "acteur/ars-hauts-de-france"},
                ),
            ),
        )
    ),
    "services-a-verifier": Expected(
        (
            Run(
                rows=(
                    {
                        "service": ESAT + "le-handicap-c-est-pas-sorcier",
                        "motif": "jamais vérifié",
                    },
                ),
                count=2,
            ),
        )
    ),
    # the date an entry was last updated, with its source (the pages' "mis à jour le …");
    # imported directory records are dated by their source (tests/directories/)
    "mises-a-jour-des-entrees": Expected(
        (
            Run(
                rows=(
                    {
                        "entree": "acteur/cpam-des-flandres",
                        "date": "2023-07-06",
                        "origine": "document",
                        "source": "~Procès-verbal de la séance plénière du 6 juillet 2023",
                    },
                ),
            ),
            Run(
                params={"entree": "acteur/cpam-des-flandres"},
                rows=({"nom": "CPAM des Flandres", "date": "2023-07-06"},),
                absent=({"entree": "acteur/ctu-metropole-flandres"},),
            ),
        )
    ),
    # tas.ttl's composition triples say nothing of their source (a gap of the data)
    "ressources-sans-provenance": Expected(
        (
            Run(
                rows=(
                    {"graphe": "graph/territoires/tas", "ressource": "territoire/commune/59183"},
                ),
                absent=({"ressource": "acteur/cpam-des-flandres"},),
            ),
        )
    ),
    # ---------------------------------------------------------------- pages ("qui fait quoi")
    # Entries for the queries behind web/pages.py, toile/build.py and search.py.
    "toile-acteurs": Expected(
        (
            Run(
                rows=(
                    {"acteur": "acteur/cordees-de-la-reussite", "public": "public/jeunes-moins-25"},
                )
            ),
            Run(
                params={"public": "public/etudiants-sante"},
                rows=({"acteur": "acteur/communaute-urbaine-de-dunkerque"},),
                count=1,
            ),
            # the entries of unknown territory: the Cordées, never the CUD (an EPCI)
            Run(
                params={"public": "public/jeunes-moins-25", "sansTerritoire": ox.Literal(True)},
                rows=({"acteur": "acteur/cordees-de-la-reussite"},),
                absent=({"acteur": "acteur/communaute-urbaine-de-dunkerque"},),
            ),
        )
    ),
    # the toile's filters, each a query of its own (toile/build.py intersects them)
    "toile-lieu": Expected(
        (
            Run(rows=({"acteur": "acteur/communaute-urbaine-de-dunkerque"},)),
            Run(
                params={"lieu": "territoire/commune/59183"},
                # located in Dunkerque, or serving the Nord, the région...
                rows=(
                    {"acteur": "acteur/communaute-urbaine-de-dunkerque"},
                    {"acteur": "acteur/msp-de-dunkerque"},
                    {"acteur": "acteur/conseil-departemental-du-nord"},
                    {"acteur": "acteur/ars-hauts-de-france"},
                ),
                absent=({"acteur": "acteur/msp-de-steenvoorde"},),
            ),
        )
    ),
    "toile-besoin": Expected(
        (
            Run(rows=({"acteur": "acteur/pep-48"},)),
            Run(params={"besoin": "besoin/sante-mentale"}, rows=({"acteur": "acteur/pep-48"},)),
        )
    ),
    "toile-role": Expected(
        (
            Run(rows=({"acteur": "acteur/les-papillons-blancs"},)),
            Run(
                params={"role": "role/accompagnement"},
                rows=({"acteur": "acteur/les-papillons-blancs"},),
            ),
        )
    ),
    # coverage (zones blanches): the kinds expected everywhere, what their instances cover,
    # those whose territory is unknown, the populations
    "types-attendus-partout": Expected(
        (Run(rows=({"type": "sg:CPTS", "sigle": "CPTS"}, {"type": "sg:MSP"}), count=5),)
    ),
    "couverture-des-communes": Expected(
        (
            Run(
                rows=(
                    {
                        "type": "sg:MSP",
                        "instance": "acteur/msp-de-dunkerque",
                        "commune": DUNKERQUE,
                    },
                ),
            ),
            # the CPTS BBH serves its territory, which holds the three communes its name gives
            Run(
                params={"type": "sg:CPTS"},
                rows=({"instance": "acteur/cpts-bergues-bourbourg-hondschoote"},),
            ),
            Run(
                params={"type": "sg:DAC"},
                rows=(
                    {
                        "instance": "acteur/dac-appui-sante-lille-agglo",
                        "commune": "territoire/commune/59350",
                    },
                ),
                count=1,
            ),
        )
    ),
    "instances-attendues-sans-territoire": Expected(
        (
            Run(
                rows=({"type": "sg:DAC", "instanceNom": "DAC Appui santé des Flandres"},),
                absent=(
                    {"instance": "acteur/msp-de-dunkerque"},
                    # its territory is stated (partly known: the communes its name gives)
                    {"instance": "acteur/cpts-bergues-bourbourg-hondschoote"},
                ),
            ),
        )
    ),
    "communes-population": Expected((Run(rows=({"commune": DUNKERQUE, "population": "86263"},)),)),
    # organisations only: the Cordées de la réussite are a programme
    "organisations": Expected(
        (
            Run(
                rows=({"acteur": "acteur/les-papillons-blancs"},),
                absent=({"acteur": "acteur/cordees-de-la-reussite"},),
            ),
        )
    ),
    "fiche-acteur": Expected(
        (
            Run(rows=({"acteur": "acteur/esat-les-ateliers-de-la-lys", "champ": "nom"},)),
            Run(
                params={"acteur": "acteur/esat-les-ateliers-de-la-lys"},
                rows=(
                    {"champ": "nom", "valeur": "ESAT les ateliers de la Lys"},
                    {"champ": "membreDe", "valeur": "acteur/afeji", "libelle": "AFEJI"},
                    {
                        "champ": "service",
                        "valeur": "Formation « comprendre les handicaps »",
                        "objet": ESAT + "formation-comprendre-les-handicaps",
                    },
                    {
                        "champ": "source",
                        "valeur": f"source/{S002}",
                        "libelle": "~Procès-verbal de la séance plénière du 6 juillet 2023",
                    },
                ),
                absent=({"champ": "telephone"},),
            ),
        )
    ),
    "acteurs-fiches": Expected(
        (
            Run(
                rows=(
                    {
                        "acteur": "acteur/communaute-urbaine-de-dunkerque",
                        "champ": "sigle",
                        "valeur": "CUD",
                    },
                )
            ),
            Run(
                params={"acteur": "acteur/communaute-urbaine-de-dunkerque"},
                rows=({"champ": "territoire", "valeur": "territoire/epci/245900428"},),
                count=7,
            ),
        )
    ),
    "secteurs": Expected(
        (Run(rows=({"secteur": "secteur/sanitaire", "couleur": "#1A85FF"},), count=12),)
    ),
    "types-dispositif": Expected(
        (Run(rows=({"type": "sg:CLSM", "parent": "sg:DispositifSanteMentale", "sigle": "CLSM"},)),)
    ),
    "types-dispositif-fiches": Expected(
        (
            Run(rows=({"type": "sg:MDA", "champ": "public", "valeur": "public/adolescents"},)),
            Run(
                params={"type": "sg:CLSM"},
                rows=(
                    {
                        "champ": "ditDansSource",
                        "valeur": "généraliser les contrats locaux santé mentale",
                    },
                ),
                count=6,
            ),
        )
    ),
    "types-dispositif-attendus": Expected(
        (
            Run(
                rows=(
                    {"type": "sg:CCAS", "champ": "public", "valeur": "public/personnes-precarite"},
                )
            ),
        )
    ),
    "types-presents-dans-lieu": Expected(
        (
            Run(rows=({"type": "sg:MSP"},)),
            Run(
                params={"type": "sg:MSP", "lieu": "territoire/commune/59183"},
                rows=({"type": "sg:MSP"},),
                count=1,
            ),
        )
    ),
    "territoires-noms": Expected(
        (
            Run(
                rows=(
                    {
                        "territoire": "territoire/commune/59183",
                        "nom": "Dunkerque",
                        "code": "59183",
                        "departementNom": "Nord",
                        "article": "0",
                    },
                    {"territoire": "territoire/departement/59", "nom": "Nord", "article": "2"},
                    {"territoire": "territoire/tas/hainaut", "nom": "Hainaut", "article": "2"},
                )
            ),
            Run(params={"classe": "sg:TerritoireAnimationSante"}, count=7),
        )
    ),
    "territoires-inclusions": Expected(
        (
            Run(
                rows=(
                    {"territoire": f"{DUNKERQUE}", "parent": "territoire/epci/245900428"},
                    {"territoire": f"{DUNKERQUE}", "parent": "territoire/tas/littoral-nord"},
                    {"territoire": "territoire/departement/59", "parent": "territoire/region/32"},
                )
            ),
        )
    ),
    "ressources-recherchables": Expected(
        (
            Run(
                rows=(
                    {"ressource": "sg:MDA", "categorie": "dispositif"},
                    {"ressource": "acteur/cpts-sud-metropole-lilloise", "categorie": "acteur"},
                    {"ressource": "public/adolescents", "categorie": "public"},
                )
            ),
        )
    ),
    "noms-recherchables": Expected(
        (
            Run(rows=({"ressource": "sg:MDA", "sorte": "sigle", "nom": "MDA"},)),
            Run(
                params={"ressource": "acteur/communaute-urbaine-de-dunkerque"},
                rows=({"sorte": "sigle", "nom": "CUD"},),
            ),
        )
    ),
    "publics-hierarchie": Expected(
        (Run(rows=({"public": "public/adolescents", "plusLarge": "public/jeunes-moins-25"},)),)
    ),
    "besoins-par-public": Expected(
        (
            Run(),
            Run(
                params={"public": "public/personnes-precarite"},
                rows=({"besoin": "besoin/prevention", "ressources": "7"},),
                count=6,
            ),
        )
    ),
    "vocabulaire-toile": Expected(
        (
            Run(
                rows=(
                    {"concept": "role/orientation", "classe": "sg:RoleParcours"},
                    {"concept": "besoin/prevention-suicide", "plusLarge": "besoin/sante-mentale"},
                )
            ),
        )
    ),
    "acteurs-d-un-lieu": Expected(
        (
            Run(),
            Run(
                params={"lieu": "territoire/commune/59183"},
                rows=(
                    {"acteur": "acteur/msp-de-dunkerque", "relation": "situé à"},
                    {"acteur": "acteur/ars-hauts-de-france", "relation": "dessert"},
                ),
                absent=({"acteur": "acteur/msp-de-steenvoorde"},),
            ),
        )
    ),
    "propositions-et-actions": Expected(
        (
            Run(
                rows=(
                    {
                        "element": "proposition/hainaut/9-3",
                        "champ": "mobilise",
                        "valeur": "sg:CLSM",
                    },
                    {"element": "proposition/hainaut/9-3", "champ": "repond", "valeur": "defi/2"},
                    {
                        "element": "action/metropole-flandres/5",
                        "champ": "public",
                        "valeur": "public/personnes-precarite",
                    },
                    {"type": "action", "champ": "porteur", "valeur": "acteur/cpam-des-flandres"},
                ),
            ),
            Run(params={"nature": ox.Literal("action")}, absent=({"type": "proposition"},)),
        )
    ),
    "propositions-origine": Expected(
        (
            Run(
                params={"origine": "concertation/hainaut"},
                rows=({"element": "proposition/hainaut/9-3"},),
                absent=({"element": "action/metropole-flandres/5"},),
            ),
        )
    ),
    "propositions-lieu": Expected(
        (
            Run(
                params={"lieu": "territoire/tas/littoral-nord"},
                absent=({"element": "proposition/hainaut/9-3"},),
            ),
            Run(
                params={"lieu": "territoire/commune/59183"},
                absent=({"element": "proposition/hainaut/9-3"},),
            ),
        )
    ),
    "chiffres": Expected(
        (
            Run(
                rows=(
                    {"quoi": "documents sources", "nombre": "5"},
                    {"quoi": "propositions", "nombre": "140"},
                ),
                count=6,
            ),
        )
    ),
}

FILES = sorted(QUERIES.glob("*.rq"))
NAMES = [path.stem for path in FILES]
RUNS = [
    pytest.param(name, i, id=f"{name}[{i}]")
    for name, expected in EXPECTED.items()
    for i in range(len(expected.runs))
]

_HEADER = re.compile(r"^#\s*([a-z]+):\s*(.*)$")
_PLACEHOLDER = re.compile(r"VALUES\s+\?(\w+)\s*\{\s*UNDEF\s*\}", re.IGNORECASE)


def header(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            fields.setdefault(match.group(1), []).append(match.group(2).strip())
    return fields


def term(value: str | ox.Literal) -> ox.NamedNode | ox.Literal:
    if isinstance(value, ox.Literal):
        return value
    if value.startswith("sg:"):
        return ox.NamedNode(SG + value[3:])
    for prefix, namespace in EXTERNAL.items():
        if value.startswith(prefix):
            return ox.NamedNode(namespace + value[len(prefix) :])
    return ox.NamedNode(BASE + value)


def show(value: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, ox.NamedNode):
        if value.value.startswith(SG):
            return "sg:" + value.value[len(SG) :]
        return value.value.removeprefix(BASE)
    return value.value


def answer(content, name: str, params: Mapping[str, str | ox.Literal]) -> list[dict]:  # noqa: F811
    text = bind(
        QUERIES.joinpath(f"{name}.rq").read_text(encoding="utf-8"),
        {key: term(value) for key, value in params.items()},
    )
    results = content.store.query(text, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [{n: show(row[n]) for n in names} for row in results]


def matches(row: Mapping[str, str | None], pattern: Row) -> bool:
    for column, expected in pattern.items():
        value = row.get(column)
        if expected is None:
            if value:  # an empty GROUP_CONCAT is "" or unbound depending on the store
                return False
        elif value is None:
            return False
        elif expected.startswith("~"):
            if expected[1:] not in value:
                return False
        elif value != expected:
            return False
    return True


# ------------------------------------------------------------------------ every file


@pytest.mark.parametrize("name", NAMES)
def test_query_file_has_a_complete_header_and_expectations(name):
    text = QUERIES.joinpath(f"{name}.rq").read_text(encoding="utf-8")
    fields = header(text)
    for key in ("title", "question", "description", "audience"):
        assert fields.get(key) and all(fields[key]), f"{name}.rq: no `# {key}:` line"
    assert fields["audience"][0] in AUDIENCES
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), "file names are kebab-case"
    assert query_form(text) == "SELECT"
    named = parse_named_query(name, text)
    assert named.title == fields["title"][0]
    declared = set(named.params)
    assert declared == set(_PLACEHOLDER.findall(text)), "every parameter has its placeholder"
    assert name in EXPECTED, f"{name}.rq has no entry in EXPECTED (tests/test_queries.py)"
    bound = {key for run in EXPECTED[name].runs for key in run.params}
    assert declared <= bound, f"parameters never bound by a test: {declared - bound}"
    assert not re.search(r"^\s*BASE\b", text, re.MULTILINE | re.IGNORECASE)


def test_every_expectation_has_its_query_file():
    assert sorted(EXPECTED) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_query_answers_on_the_data(content, name, request):  # noqa: F811
    expected = EXPECTED.get(name)
    if expected is not None and expected.gap:
        request.applymarker(pytest.mark.xfail(reason=expected.gap, strict=True))
    assert answer(content, name, {}), f"{name}.rq returns nothing on data/"


@pytest.mark.parametrize(("name", "index"), RUNS)
def test_query_answer_holds_known_facts(content, name, index):  # noqa: F811
    run = EXPECTED[name].runs[index]
    rows = answer(content, name, run.params)
    for pattern in run.rows:
        assert any(matches(row, pattern) for row in rows), f"no row like {pattern}"
    for pattern in run.absent:
        assert not any(matches(row, pattern) for row in rows), f"unexpected row like {pattern}"
    if run.count is not None:
        assert len(rows) == run.count
    if run.params:
        unbound = answer(content, name, {})
        assert len(rows) < len(unbound) or not unbound, "binding a parameter must filter"


@pytest.mark.parametrize("name", NAMES)
def test_labels_are_read_in_one_language(content, name):  # noqa: F811
    """Concepts have a French and an English skos:prefLabel (docs/modeling.md): a label join
    without a language filter would give each concept twice. Only a query that says it lists
    every language may answer an English label."""
    text = QUERIES.joinpath(f"{name}.rq").read_text(encoding="utf-8")
    if "every language" in " ".join(header(text).get("description", [])):
        return
    results = content.store.query(text, use_default_graph_as_union=True)
    english = {
        v.value
        for row in results
        for v in results.variables
        if isinstance(row[v], ox.Literal) and row[v].language == "en"
    }
    assert not english, f"{name}.rq answers English labels in {sorted(english)}"


def test_services_checked_more_than_two_years_ago_are_to_be_checked_again():
    store = ox.Store()
    store.load(
        input="""
        @prefix sg: <https://w3id.org/santegraph/def#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <https://example.org/vieux> a sg:Service ; skos:prefLabel "vieux"@fr ;
            sg:derniereVerification "2001-01-01"^^xsd:date .
        <https://example.org/jamais> a sg:Service ; skos:prefLabel "jamais"@fr .
        <https://example.org/recent> a sg:Service ; skos:prefLabel "récent"@fr ;
            sg:derniereVerification "2999-01-01"^^xsd:date .
        """.encode(),
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode("https://example.org/graph"),
    )
    text = QUERIES.joinpath("services-a-verifier.rq").read_text(encoding="utf-8")
    rows = {
        row["nom"].value: row["motif"].value
        for row in store.query(text, use_default_graph_as_union=True)
    }
    assert rows == {"vieux": "vérifié il y a plus de deux ans", "jamais": "jamais vérifié"}
