"""Deterministic synthetic France-scale graph for the santegraph benchmarks.

    python -m bench.synthetic --scale 1.0 --out bench/out/synthetic.nq [--bulk-load]

Everything this module mints is fictitious and lives under
https://w3id.org/santegraph/id/synthetic/ (resources) and
https://w3id.org/santegraph/id/graph/synthetic/<part> (named graphs). It uses the real
vocabulary: sg: classes and properties, and the SKOS concepts of data/vocabulaires/ by
their real IRIs (public/..., besoin/..., role/..., secteur/..., mode-accueil/...).

The same (scale, seed) always gives byte-identical N-Quads: every random draw comes from
random.Random instances seeded from the seed, in a fixed order; no time, no global random,
no set or hash ordering. Counts below are those at scale 1.0; at scale s each count is
round(count * s), at least 1 (so that a small scale still has every kind of actor).
"""

from __future__ import annotations

import argparse
import datetime
import math
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

DEFAULT_SEED = 20221201
MAX_SCALE = 1.0  # the territorial codes (101 départements, 5-character INSEE codes) cap it

# ----------------------------------------------------------------------------------------
# Sizes at scale 1.0 (orders of magnitude of France, not official statistics)
# ----------------------------------------------------------------------------------------

# Territories
N_REGIONS = 18
N_DEPARTEMENTS = 101
N_EPCI = 1_300
N_COMMUNES = 35_000
# Régions in order (13 metropolitan, then 5 overseas), their code, number of départements
# and telephone zone (01-05 metropolitan zones, 09 for overseas).
REGIONS = (
    ("11", 8, "1"), ("24", 6, "2"), ("27", 8, "3"), ("28", 5, "2"), ("32", 5, "3"),
    ("44", 10, "3"), ("52", 5, "2"), ("53", 4, "2"), ("75", 12, "5"), ("76", 13, "5"),
    ("84", 12, "4"), ("93", 6, "4"), ("94", 2, "4"),
    ("01", 1, "9"), ("02", 1, "9"), ("03", 1, "9"), ("04", 1, "9"), ("06", 1, "9"),
)  # fmt: skip
N_METRO_REGIONS = 13
METRO_DEPARTEMENT_CODES = (
    [f"{i:02d}" for i in range(1, 20)] + ["2A", "2B"] + [f"{i:02d}" for i in range(21, 96)]
)
OVERSEAS_DEPARTEMENT_CODES = ["971", "972", "973", "974", "976"]
# Relative number of communes of a département: metropolitan ones draw uniformly in this
# range, overseas ones have this fixed weight (about 30 communes at scale 1.0).
METRO_COMMUNE_WEIGHT = (0.4, 1.6)
OVERSEAS_COMMUNE_WEIGHT = 0.08
# Communes per EPCI inside a département follow Zipf weights 1 / rank ** exponent.
EPCI_ZIPF_EXPONENT = 0.9
# Commune population: log-normal (median exp(mu) ~ 450 inhabitants, long tail).
COMMUNE_POPULATION_MU = 6.1
COMMUNE_POPULATION_SIGMA = 1.6
EPCI_SIREN_PREFIX = "299"  # + 6 digits

# Coordination schemes
CPTS_COMMUNES = (10, 60)  # each CPTS serves 10 to 60 contiguous communes of one département
DAC_SECOND_SHARE = 0.09  # share of départements with a second DAC (about 110 DAC in all)
N_CLSM = 270  # each serves one EPCI
N_MSP = 2_500  # each located in (and serving) one commune

# Other actors (about 50,000 at scale 1.0), by kind: see PROFILES for what each kind is.
N_AUTRES_ACTEURS = {
    "ccas": 13_000,
    "association": 9_400,
    "ehpad": 7_500,
    "cmp": 3_000,
    "etablissement-sante": 2_900,
    "centre-de-sante": 2_500,
    "ssiad": 2_100,
    "protection-sociale": 1_500,
    "service-etat": 1_500,
    "esat": 1_400,
    "ime": 1_200,
    "esp": 1_000,
    "association-usagers": 1_000,
    "mutuelle": 500,
    "mission-locale": 450,
    "organisme-formation": 350,
    "cias": 300,
    "paej": 300,
    "mda": 100,
}

# Per actor
SERVICES_PAR_ACTEUR = (1, 3)  # services offered (sg:offre), at most the kind's templates
ORIENTATIONS_PAR_ACTEUR = (1, 4)  # sg:orienteVers links to actors of the same département
# (the first one also as a recorded referral, sg:Orientation, which a toile draws)
CONCEPTS_PAR_SERVICE = 3  # at most this many publics, needs and roles per service
VERIFICATION_DATES = (datetime.date(2024, 6, 1), datetime.date(2026, 10, 31))

# Fictitious contacts: .example is reserved (RFC 2606); the telephone prefixes are the
# ranges the ARCEP sets aside for fiction (zone digit, then the two reserved pairs).
EMAIL_DOMAIN = "synthetique.example"
FICTION_PHONE_PREFIXES = {
    "1": "01 99 00", "2": "02 61 91", "3": "03 53 01", "4": "04 65 71", "5": "05 36 49",
    "9": "09 77 40",
}  # fmt: skip

# ----------------------------------------------------------------------------------------
# IRIs
# ----------------------------------------------------------------------------------------

BASE = "https://w3id.org/santegraph/id/"
SYNTHETIC = BASE + "synthetic/"
GRAPH_BASE = BASE + "graph/synthetic/"
SG = "https://w3id.org/santegraph/def#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"

DATASET = ox.NamedNode(SYNTHETIC + "dataset")
GRAPHS = {
    part: ox.NamedNode(GRAPH_BASE + part)
    for part in ("dataset", "territoires", "acteurs", "services")
}


def sg(local: str) -> ox.NamedNode:
    return ox.NamedNode(SG + local)


PREF_LABEL = ox.NamedNode(SKOS + "prefLabel")
DERIVED = ox.NamedNode(PROV + "wasDerivedFrom")
XSD_INTEGER = ox.NamedNode(XSD + "integer")
XSD_DATE = ox.NamedNode(XSD + "date")


def fr(text: str) -> ox.Literal:
    return ox.Literal(text, language="fr")


def integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def concept(path: str) -> ox.NamedNode:
    """A concept of data/vocabulaires/ by its real IRI, e.g. concept('public/enfants')."""
    return ox.NamedNode(BASE + path)


# ----------------------------------------------------------------------------------------
# Actor profiles: class, names, sector, area served and the services each kind offers
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceTemplate:
    slug: str  # service/<acteur slug>/<slug>
    label: str
    publics: tuple[str, ...]  # public/<slug>
    besoins: tuple[str, ...]  # besoin/<slug>
    roles: tuple[str, ...]  # role/<slug>
    mode: str  # mode-accueil/<slug>
    ages: tuple[int | None, int | None]  # sg:ageMinimum, sg:ageMaximum


def S(slug, label, publics, besoins, roles, mode="inconditionnel", ages=(None, None)):
    """A service template; publics, besoins and roles are space-separated concept slugs."""
    return ServiceTemplate(
        slug, label, tuple(publics.split()), tuple(besoins.split()), tuple(roles.split()),
        mode, ages,
    )  # fmt: skip


@dataclass(frozen=True)
class Profile:
    classes: tuple[str, ...]  # sg: classes
    names: tuple[tuple[str, str | None], ...]  # (label template, sigle); {de} = "de <lieu>"
    secteurs: tuple[str, ...]  # secteur/<slug>
    scope: str  # where it is and what it serves: see SCOPES
    services: tuple[ServiceTemplate, ...]
    finess: bool = False


def P(classes, names, secteurs, scope, services, finess=False):
    """A profile; classes and secteurs are space-separated."""
    assert scope in SCOPES, scope
    return Profile(tuple(classes.split()), names, tuple(secteurs.split()), scope, services, finess)


# commune: a commune drawn by population; commune-distinct: the most populous communes,
# one actor each; epci / departement: an area drawn by population (epci-distinct and
# departement-distinct: without replacement), located in its most populous commune;
# cpts and dac: see plan_acteurs.
SCOPES = ("commune", "commune-distinct", "epci", "epci-distinct", "departement",
          "departement-distinct", "cpts", "dac")  # fmt: skip

MEDECINE_GENERALE = S(
    "medecine-generale", "Consultations de médecine générale", "habitants tout-public",
    "acces-aux-soins medecin-traitant", "prise-en-charge")  # fmt: skip
PREVENTION_DEPISTAGE = S(
    "prevention", "Actions de prévention et de dépistage",
    "habitants patients-maladie-chronique personnes-agees", "prevention depistage vaccination",
    "prevention information")  # fmt: skip
ACTION_SOCIALE = (
    S("acces-aux-droits", "Accès aux droits et aide administrative",
      "personnes-precarite personnes-agees habitants", "acces-aux-droits precarite",
      "information accompagnement orientation"),
    S("aide-sociale", "Aide sociale facultative", "personnes-precarite personnes-sans-domicile",
      "precarite logement", "financement accompagnement", "preferentiel"),
    S("domiciliation", "Domiciliation administrative", "personnes-sans-domicile",
      "acces-aux-droits logement", "accompagnement", "exclusif"),
    S("portage-repas", "Portage de repas à domicile", "personnes-agees personnes-handicap",
      "perte-autonomie nutrition-activite-physique", "accompagnement", "preferentiel"),
)  # fmt: skip

# One profile per kind of actor (the keys of N_AUTRES_ACTEURS, plus cpts, dac, clsm, msp).
PROFILES: dict[str, Profile] = {
    "cpts": P("CPTS", (("CPTS du pays {de}", "CPTS"),), "sanitaire", "cpts", (
        S("acces-medecin-traitant", "Accès à un médecin traitant",
          "patients-sans-medecin-traitant habitants", "medecin-traitant acces-aux-soins",
          "orientation coordination"),
        S("soins-non-programmes", "Soins non programmés", "habitants tout-public",
          "soins-non-programmes", "prise-en-charge orientation"),
        PREVENTION_DEPISTAGE,
        S("parcours", "Parcours pluriprofessionnels",
          "patients-maladie-chronique personnes-agees personnes-troubles-psychiques",
          "coordination-parcours maladies-chroniques sante-mentale", "coordination",
          "preferentiel"),
        S("attractivite", "Accueil des stagiaires et des jeunes professionnels",
          "etudiants-sante professionnels-sante",
          "attractivite-metiers installation-professionnels formation-professionnels",
          "formation accompagnement", "exclusif"),
    )),
    "dac": P("DAC", (("DAC {lieu}", "DAC"),), "sanitaire medico-social", "dac", (
        S("appui-parcours-complexes", "Appui aux parcours de santé complexes",
          "personnes-agees personnes-handicap patients-maladie-chronique aidants",
          "coordination-parcours perte-autonomie maladies-chroniques",
          "coordination accompagnement orientation"),
        S("information-professionnels", "Information et orientation des professionnels",
          "professionnels-sante", "coordination-parcours", "information orientation",
          "exclusif"),
        S("soutien-aidants", "Soutien aux aidants", "aidants", "perte-autonomie sante-mentale",
          "accompagnement information"),
    )),
    "clsm": P("CLSM", (("Conseil local de santé mentale {de}", "CLSM"),), "sanitaire",
              "epci-distinct", (
        S("coordination-sante-mentale", "Coordination des acteurs de la santé mentale",
          "personnes-troubles-psychiques elus professionnels-sante", "sante-mentale",
          "coordination pilotage"),
        S("cellule-cas-complexes", "Cellule de situations complexes en santé mentale",
          "personnes-troubles-psychiques", "sante-mentale logement precarite",
          "coordination orientation", "exclusif"),
        S("semaines-information", "Semaines d'information sur la santé mentale",
          "habitants tout-public", "sante-mentale prevention-suicide education-sante",
          "information prevention"),
    )),
    "msp": P("MSP", (("Maison de santé pluriprofessionnelle {de}", "MSP"),
                     ("Pôle de santé {de}", "MSP")), "sanitaire", "commune", (
        MEDECINE_GENERALE,
        S("education-therapeutique", "Éducation thérapeutique du patient",
          "patients-maladie-chronique", "maladies-chroniques education-sante",
          "prevention accompagnement", "exclusif"),
        S("soins-non-programmes", "Créneaux de soins non programmés", "habitants",
          "soins-non-programmes", "prise-en-charge"),
        S("sante-femmes", "Suivi gynécologique et de grossesse", "femmes femmes-enceintes",
          "sante-femmes perinatalite", "prise-en-charge prevention", "preferentiel"),
    )),
    "ccas": P("CCAS", (("Centre communal d'action sociale {de}", "CCAS"),), "social",
              "commune-distinct", ACTION_SOCIALE),
    "cias": P("CIAS", (("Centre intercommunal d'action sociale {de}", "CIAS"),), "social",
              "epci-distinct", ACTION_SOCIALE),
    "ehpad": P("EtablissementMedicoSocial", (("EHPAD {de}", "EHPAD"),
                                             ("EHPAD Les Tilleuls", "EHPAD"),
                                             ("Résidence Les Charmilles", "EHPAD")),
               "medico-social", "commune", (
        S("hebergement-permanent", "Hébergement permanent", "personnes-agees", "perte-autonomie",
          "hebergement prise-en-charge", "exclusif", (60, None)),
        S("accueil-de-jour", "Accueil de jour", "personnes-agees aidants",
          "perte-autonomie sante-mentale", "accompagnement", "exclusif", (60, None)),
        S("hebergement-temporaire", "Hébergement temporaire", "personnes-agees",
          "perte-autonomie fin-de-vie", "hebergement", "exclusif", (60, None)),
    ), finess=True),
    "ssiad": P("EtablissementMedicoSocial",
               (("Service de soins infirmiers à domicile {de}", "SSIAD"),), "medico-social",
               "epci", (
        S("soins-infirmiers-domicile", "Soins infirmiers à domicile",
          "personnes-agees personnes-handicap", "perte-autonomie handicap", "prise-en-charge",
          "exclusif"),
    ), finess=True),
    "ime": P("EtablissementMedicoSocial", (("Institut médico-éducatif {de}", "IME"),),
             "medico-social", "commune", (
        S("accompagnement-educatif", "Accompagnement éducatif et thérapeutique",
          "jeunes-moins-25-handicap enfants", "handicap", "accompagnement prise-en-charge",
          "exclusif", (3, 20)),
    ), finess=True),
    "esat": P("EtablissementMedicoSocial",
              (("Établissement et service d'aide par le travail {de}", "ESAT"),),
              "medico-social insertion-emploi", "commune", (
        S("travail-protege", "Travail protégé et soutien médico-social", "travailleurs-handicapes",
          "handicap insertion-professionnelle", "accompagnement", "exclusif", (18, None)),
    ), finess=True),
    "etablissement-sante": P("EtablissementSante", (("Centre hospitalier {de}", "CH"),
                                                    ("Polyclinique {de}", None),
                                                    ("Clinique du Parc", None)),
                             "sanitaire", "commune", (
        S("urgences", "Urgences", "tout-public", "soins-non-programmes acces-aux-soins",
          "prise-en-charge"),
        S("consultations-specialisees", "Consultations spécialisées",
          "patients-maladie-chronique usagers-systeme-sante",
          "acces-specialistes cancer maladies-chroniques", "prise-en-charge", "preferentiel"),
        S("psychiatrie", "Psychiatrie adulte", "personnes-troubles-psychiques",
          "sante-mentale prevention-suicide", "prise-en-charge coordination", "exclusif",
          (18, None)),
        S("maternite", "Maternité", "femmes-enceintes jeunes-enfants-parents",
          "perinatalite sante-femmes", "prise-en-charge prevention", "exclusif"),
    ), finess=True),
    "centre-de-sante": P("CentreDeSante", (("Centre de santé {de}", None),
                                           ("Centre de santé municipal {de}", None)),
                         "sanitaire", "commune", (
        MEDECINE_GENERALE,
        S("soins-dentaires", "Soins dentaires", "tout-public", "acces-aux-soins",
          "prise-en-charge"),
        S("vaccination-depistage", "Vaccination et dépistage", "tout-public jeunes-moins-25",
          "vaccination depistage", "prevention"),
    ), finess=True),
    "cmp": P("CMP", (("Centre médico-psychologique {de}", "CMP"),
                     ("Centre médico-psychologique pour enfants et adolescents {de}", "CMPEA")),
             "sanitaire", "epci", (
        S("consultations-adultes", "Consultations en santé mentale adulte",
          "personnes-troubles-psychiques", "sante-mentale", "prise-en-charge orientation",
          "exclusif", (18, None)),
        S("consultations-enfants", "Consultations pour enfants et adolescents",
          "enfants adolescents", "sante-mentale competences-psychosociales", "prise-en-charge",
          "exclusif", (0, 17)),
        S("visites-domicile", "Visites à domicile", "personnes-troubles-psychiques personnes-agees",
          "sante-mentale perte-autonomie", "accompagnement", "preferentiel"),
    ), finess=True),
    "esp": P("ESP", (("Équipe de soins primaires {de}", "ESP"),), "sanitaire", "commune",
             (MEDECINE_GENERALE, PREVENTION_DEPISTAGE)),
    "mda": P("MDA", (("Maison des adolescents {de}", "MDA"),), "sanitaire social",
             "departement-distinct", (
        S("accueil-ecoute", "Accueil et écoute des adolescents et de leurs familles",
          "adolescents jeunes-moins-25 aidants",
          "sante-mentale competences-psychosociales addictions",
          "reperage accompagnement orientation", "exclusif", (11, 25)),
        S("consultations-jeunes", "Consultations médicales et psychologiques", "adolescents",
          "sante-mentale acces-aux-soins", "prise-en-charge", "exclusif", (11, 25)),
    )),
    "paej": P("PAEJ", (("Point accueil écoute jeunes {de}", "PAEJ"),), "social", "epci", (
        S("ecoute-jeunes", "Accueil et écoute des jeunes",
          "jeunes-moins-25 jeunes-moins-25-precarite", "sante-mentale precarite addictions",
          "reperage accompagnement orientation", "exclusif", (12, 25)),
    )),
    "association": P("Association", (("Association Entraide {lieu}", None),
                                     ("Les Amis {de}", None),
                                     ("Groupe d'entraide mutuelle {de}", "GEM"),
                                     ("Comité de prévention {de}", None)),
                     "associatif", "commune", (
        S("groupe-entraide", "Groupe d'entraide", "personnes-troubles-psychiques",
          "sante-mentale", "accompagnement", "exclusif"),
        S("accompagnement-social", "Accompagnement social et hébergement",
          "personnes-precarite personnes-sans-domicile", "precarite logement",
          "accompagnement hebergement"),
        S("prevention-addictions", "Prévention des addictions",
          "jeunes-moins-25 personnes-addictions", "addictions prevention", "prevention reperage"),
        S("activite-physique", "Activité physique adaptée",
          "patients-maladie-chronique personnes-agees",
          "nutrition-activite-physique maladies-chroniques", "prevention", "preferentiel"),
        S("aide-alimentaire", "Aide alimentaire", "personnes-precarite",
          "precarite nutrition-activite-physique", "accompagnement"),
    )),
    "association-usagers": P("AssociationUsagers",
                             (("Association des usagers de la santé {de}", None),
                              ("Collectif des familles et usagers {de}", None)),
                             "democratie-sanitaire associatif", "departement", (
        S("representation", "Représentation des usagers", "usagers-systeme-sante",
          "droits-usagers", "representation"),
        S("soutien-familles", "Soutien et information des familles", "aidants",
          "sante-mentale handicap droits-usagers", "information accompagnement"),
    )),
    "mission-locale": P("Association", (("Mission locale {de}", None),), "insertion-emploi",
                        "epci-distinct", (
        S("accompagnement-emploi", "Accompagnement vers l'emploi et la formation",
          "jeunes-moins-25 jeunes-moins-25-precarite",
          "insertion-professionnelle mobilite-transport", "accompagnement orientation",
          "exclusif", (16, 25)),
        S("point-sante", "Point santé jeunes", "jeunes-moins-25",
          "acces-aux-droits acces-aux-soins sante-mentale", "information orientation reperage",
          "exclusif", (16, 25)),
    )),
    "protection-sociale": P("OrganismeProtectionSociale", (("Accueil CPAM {de}", "CPAM"),
                                                           ("Agence CAF {de}", "CAF"),
                                                           ("Agence MSA {de}", "MSA")),
                            "protection-sociale", "commune", (
        S("ouverture-droits", "Accueil et ouverture des droits",
          "tout-public personnes-precarite", "acces-aux-droits", "information financement"),
        S("examen-sante", "Examen de prévention en santé", "actifs personnes-precarite",
          "prevention depistage", "prevention"),
        S("mission-accompagnement", "Mission d'accompagnement santé",
          "personnes-precarite patients-sans-medecin-traitant",
          "acces-aux-soins acces-aux-droits medecin-traitant", "accompagnement orientation",
          "preferentiel"),
    )),
    "service-etat": P("ServiceEtat", (("Centre d'information et d'orientation {de}", "CIO"),
                                      ("Unité éducative de milieu ouvert {de}", "UEMO"),
                                      ("Service de santé scolaire {de}", None)),
                      "etat", "epci", (
        S("sante-scolaire", "Santé scolaire", "enfants adolescents",
          "education-sante competences-psychosociales depistage", "prevention reperage",
          "exclusif", (3, 18)),
        S("suivi-educatif", "Suivi éducatif en milieu ouvert", "adolescents jeunes-moins-25",
          "sante-mentale insertion-professionnelle", "accompagnement", "exclusif", (13, 21)),
        S("orientation-scolaire", "Information et orientation scolaire",
          "adolescents etudiants", "insertion-professionnelle", "information orientation",
          "preferentiel"),
    )),
    "mutuelle": P("Mutuelle", (("Mutuelle santé {de}", None),), "protection-sociale",
                  "departement", (
        S("ateliers-prevention", "Ateliers de prévention santé",
          "tout-public personnes-agees actifs", "prevention nutrition-activite-physique",
          "prevention information"),
    )),
    "organisme-formation": P("OrganismeFormation",
                             (("Institut de formation en soins infirmiers {de}", "IFSI"),),
                             "education", "departement", (
        S("formation-initiale", "Formation initiale en soins infirmiers", "etudiants-sante",
          "formation-professionnels attractivite-metiers", "formation", "exclusif"),
        S("formation-continue", "Formation continue des professionnels", "professionnels-sante",
          "formation-professionnels", "formation", "exclusif"),
    )),
}  # fmt: skip

# ----------------------------------------------------------------------------------------
# Names (fictitious, French-looking)
# ----------------------------------------------------------------------------------------

RIVIERES = ("Synthèse", "Aubrelle", "Vésine", "Ormance", "Lisonne", "Brévenne", "Caudrelle",
            "Morlette", "Sarnive", "Orvanne", "Velorge", "Alvèze", "Ternoise")  # fmt: skip
# {r}: a river name; {de}: "de-<river>" or "d'<river>"
DEPARTEMENT_PATTERNS = ("{r}", "Haute-{r}", "Basse-{r}", "Val-{de}", "{r}-Maritime",
                        "Côtes-{de}", "Monts-{de}", "Plaine-{de}")  # fmt: skip
REGION_PATTERNS = ("Hauts-{de}", "Grand-{r}", "Pays-{de}", "{r}-Atlantique")
COMMUNE_ARTICLES = ("", "", "", "", "", "", "Saint-", "Sainte-", "Le ", "La ", "Les ")
COMMUNE_ROOTS = ("Beau", "Mont", "Roche", "Fontaine", "Ville", "Bel", "Cour", "Mar", "Sau",
                 "Lan", "Char", "Bris", "Neuf", "Ros", "Val", "Ver", "Aube", "Bois", "Clair",
                 "Haut", "Pré", "Orme", "Saule", "Mou", "Ar")  # fmt: skip
COMMUNE_ENDINGS = ("ville", "court", "mont", "champ", "y", "ac", "ay", "ières", "heim", "ange",
                   "ois", "vaux", "fort", "lieu", "bourg", "moulin", "val", "ette")  # fmt: skip
COMMUNE_SUFFIXES = ("", "", "", "", "", "", "-sur-{r}", "-le-Château", "-les-Bains", "-en-Bois")
VOIES = ("rue de la Mairie", "avenue de la Gare", "place de l'Église", "rue du Moulin",
         "boulevard de la République", "rue des Écoles", "chemin des Prés")  # fmt: skip


def de(name: str) -> str:
    """'de Beauville', "d'Aubrelle", 'du Montval' (Le Montval), 'des Rosay' (Les Rosay)."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name.startswith("La "):
        return "de la " + name[3:]
    if name[0] in "AEIOUÉÈÊÂÎÔ":
        return "d'" + name
    return "de " + name


def commune_name(rng: random.Random) -> str:
    root = rng.choice(COMMUNE_ROOTS) + rng.choice(COMMUNE_ENDINGS)
    suffix = rng.choice(COMMUNE_SUFFIXES).format(r=rng.choice(RIVIERES))
    return rng.choice(COMMUNE_ARTICLES) + root + suffix


# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------


def scaled(count: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(count * scale))


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split `total` into integer parts proportional to `weights` (largest remainder),
    each part at least `minimum`; deterministic (ties go to the lower index)."""
    n = len(weights)
    rest = total - minimum * n
    if rest < 0:
        raise ValueError(f"cannot give {minimum} to each of {n} parts out of {total}")
    weight_sum = sum(weights)
    exact = [rest * w / weight_sum for w in weights]
    parts = [math.floor(x) for x in exact]
    for i in sorted(range(n), key=lambda i: (parts[i] - exact[i], i))[: rest - sum(parts)]:
        parts[i] += 1
    return [p + minimum for p in parts]


def weighted_sample(rng: random.Random, weights: Sequence[float], k: int) -> list[int]:
    """k distinct indices drawn with probability proportional to `weights`
    (Efraimidis-Spirakis keys), in increasing index order."""
    keys = [(rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)]
    return sorted(i for _, i in sorted(keys, reverse=True)[:k])


def child_rng(seed: int, part: str) -> random.Random:
    """One generator per phase (a str seed is hashed with SHA-512, not hash()), so that a
    change in one phase does not reshuffle the others."""
    return random.Random(f"{seed}:{part}")


# ----------------------------------------------------------------------------------------
# Territories
# ----------------------------------------------------------------------------------------


@dataclass
class Commune:
    code: str
    name: str
    population: int
    postal_code: str
    departement: int
    epci: int = -1

    @property
    def iri(self) -> str:
        return f"{SYNTHETIC}territoire/commune/{self.code}"


@dataclass
class Epci:
    siren: str
    name: str
    departement: int
    communes: list[int]
    population: int
    chef_lieu: int  # most populous commune

    @property
    def iri(self) -> str:
        return f"{SYNTHETIC}territoire/epci/{self.siren}"


@dataclass
class Departement:
    code: str
    name: str
    region: int
    communes: list[int]  # contiguous: neighbours in this list are neighbours on the ground
    epcis: list[int]
    population: int = 0
    chef_lieu: int = -1

    @property
    def iri(self) -> str:
        return f"{SYNTHETIC}territoire/departement/{self.code}"


@dataclass
class Region:
    code: str
    name: str
    phone_zone: str
    departements: list[int]
    population: int = 0

    @property
    def iri(self) -> str:
        return f"{SYNTHETIC}territoire/region/{self.code}"


@dataclass
class Territoires:
    regions: list[Region]
    departements: list[Departement]
    epcis: list[Epci]
    communes: list[Commune]


def build_territoires(rng: random.Random, scale: float) -> Territoires:
    n_regions = min(N_REGIONS, scaled(N_REGIONS, scale))
    n_departements = min(N_DEPARTEMENTS, max(n_regions, scaled(N_DEPARTEMENTS, scale)))
    region_specs = REGIONS[:n_regions]
    # one département each, the others in proportion (the real counts at scale 1.0)
    extra = apportion(n_departements - n_regions, [spec[1] - 1 for spec in region_specs])
    per_region = [1 + e for e in extra]

    def river_names(patterns: Sequence[str]) -> list[str]:
        return [p.format(r=r, de=de(r).replace(" ", "-")) for p in patterns for r in RIVIERES]

    names = river_names(REGION_PATTERNS)
    rng.shuffle(names)
    dept_names = river_names(DEPARTEMENT_PATTERNS)
    rng.shuffle(dept_names)
    metro_codes = iter(METRO_DEPARTEMENT_CODES)
    overseas_codes = iter(OVERSEAS_DEPARTEMENT_CODES)

    regions: list[Region] = []
    departements: list[Departement] = []
    for r, ((code, real_count, zone), count) in enumerate(
        zip(region_specs, per_region, strict=True)
    ):
        assert count <= real_count
        region = Region(code, names[r], zone, [])
        codes = metro_codes if r < N_METRO_REGIONS else overseas_codes
        for _ in range(count):
            region.departements.append(len(departements))
            departements.append(Departement(next(codes), dept_names[len(departements)], r, [], []))
        regions.append(region)

    # Communes per département, then EPCI per département, then communes per EPCI.
    weights = [
        OVERSEAS_COMMUNE_WEIGHT if len(d.code) == 3 else rng.uniform(*METRO_COMMUNE_WEIGHT)
        for d in departements
    ]
    n_communes = max(n_departements, scaled(N_COMMUNES, scale))
    communes_per_dept = apportion(n_communes, weights, minimum=1)
    n_epci = max(n_departements, scaled(N_EPCI, scale))
    epci_per_dept = apportion(n_epci, communes_per_dept, minimum=1)

    communes: list[Commune] = []
    epcis: list[Epci] = []
    for d, dept in enumerate(departements):
        n_c = communes_per_dept[d]
        overseas = len(dept.code) == 3
        if n_c > (99 if overseas else 999):
            raise ValueError(f"too many communes for département {dept.code}: lower the scale")
        postal_prefix = "20" if dept.code in ("2A", "2B") else dept.code
        for i in range(n_c):
            code = f"{dept.code}{i + 1:02d}" if overseas else f"{dept.code}{i + 1:03d}"
            postal = (
                f"{postal_prefix}{rng.randrange(10)}0"
                if overseas
                else f"{postal_prefix}{rng.randrange(100):02d}0"
            )
            population = 10 + int(
                rng.lognormvariate(COMMUNE_POPULATION_MU, COMMUNE_POPULATION_SIGMA)
            )
            dept.communes.append(len(communes))
            communes.append(Commune(code, commune_name(rng), population, postal, d))
        dept.population = sum(communes[c].population for c in dept.communes)
        dept.chef_lieu = max(dept.communes, key=lambda c: (communes[c].population, -c))

        n_e = min(epci_per_dept[d], n_c)
        zipf = [1.0 / (rank + 1) ** EPCI_ZIPF_EXPONENT for rank in range(n_e)]
        rng.shuffle(zipf)
        start = 0
        for size in apportion(n_c, zipf, minimum=1):
            members = dept.communes[start : start + size]
            start += size
            chef = max(members, key=lambda c: (communes[c].population, -c))
            population = sum(communes[c].population for c in members)
            if population >= 400_000:
                name = f"Métropole {de(communes[chef].name)}"
            elif population >= 50_000:
                name = f"CA {de(communes[chef].name)}"
            else:
                name = f"CC du Pays {de(communes[chef].name)}"
            siren = f"{EPCI_SIREN_PREFIX}{len(epcis) + 1:06d}"
            for c in members:
                communes[c].epci = len(epcis)
            dept.epcis.append(len(epcis))
            epcis.append(Epci(siren, name, d, members, population, chef))
    for region in regions:
        region.population = sum(departements[d].population for d in region.departements)
    return Territoires(regions, departements, epcis, communes)


def territoire_quads(t: Territoires) -> Iterator[ox.Quad]:
    g = GRAPHS["territoires"]
    code_insee, code_region = sg("codeInsee"), sg("codeRegion")
    population, inclus, siren, postal = (
        sg("population"), sg("inclusDans"), sg("siren"), sg("codePostal"))  # fmt: skip
    region_iris = [ox.NamedNode(r.iri) for r in t.regions]
    dept_iris = [ox.NamedNode(d.iri) for d in t.departements]
    epci_iris = [ox.NamedNode(e.iri) for e in t.epcis]

    for r, region in enumerate(t.regions):
        s = region_iris[r]
        yield ox.Quad(s, RDF_TYPE, sg("Region"), g)
        yield ox.Quad(s, PREF_LABEL, fr(region.name), g)
        yield ox.Quad(s, code_insee, ox.Literal(region.code), g)
        yield ox.Quad(s, code_region, ox.Literal(region.code), g)
        yield ox.Quad(s, population, integer(region.population), g)
        yield ox.Quad(s, DERIVED, DATASET, g)
    for d, dept in enumerate(t.departements):
        s = dept_iris[d]
        yield ox.Quad(s, RDF_TYPE, sg("Departement"), g)
        yield ox.Quad(s, PREF_LABEL, fr(dept.name), g)
        yield ox.Quad(s, code_insee, ox.Literal(dept.code), g)
        yield ox.Quad(s, code_region, ox.Literal(t.regions[dept.region].code), g)
        yield ox.Quad(s, population, integer(dept.population), g)
        yield ox.Quad(s, inclus, region_iris[dept.region], g)
        yield ox.Quad(s, DERIVED, DATASET, g)
    for e, epci in enumerate(t.epcis):
        s = epci_iris[e]
        dept = t.departements[epci.departement]
        yield ox.Quad(s, RDF_TYPE, sg("EPCI"), g)
        yield ox.Quad(s, PREF_LABEL, fr(epci.name), g)
        yield ox.Quad(s, siren, ox.Literal(epci.siren), g)
        yield ox.Quad(s, code_region, ox.Literal(t.regions[dept.region].code), g)
        yield ox.Quad(s, population, integer(epci.population), g)
        yield ox.Quad(s, inclus, dept_iris[epci.departement], g)
        yield ox.Quad(s, DERIVED, DATASET, g)
    for commune in t.communes:
        s = ox.NamedNode(commune.iri)
        dept = t.departements[commune.departement]
        yield ox.Quad(s, RDF_TYPE, sg("Commune"), g)
        yield ox.Quad(s, PREF_LABEL, fr(commune.name), g)
        yield ox.Quad(s, code_insee, ox.Literal(commune.code), g)
        yield ox.Quad(s, code_region, ox.Literal(t.regions[dept.region].code), g)
        yield ox.Quad(s, postal, ox.Literal(commune.postal_code), g)
        yield ox.Quad(s, population, integer(commune.population), g)
        yield ox.Quad(s, inclus, dept_iris[commune.departement], g)
        yield ox.Quad(s, inclus, epci_iris[commune.epci], g)
        yield ox.Quad(s, DERIVED, DATASET, g)


# ----------------------------------------------------------------------------------------
# Actors
# ----------------------------------------------------------------------------------------


@dataclass
class Acteur:
    kind: str  # key of PROFILES
    slug: str  # acteur/<slug>, e.g. cpts-00017
    label: str
    sigle: str | None
    departement: int
    commune: int  # sg:localisation
    served: list[str]  # sg:territoireDesservi IRIs

    @property
    def iri(self) -> str:
        return f"{SYNTHETIC}acteur/{self.slug}"


def plan_acteurs(rng: random.Random, t: Territoires, scale: float) -> list[Acteur]:
    """Every actor with its kind, name and territory (the quads are produced later, so that
    sg:orienteVers can point to actors of the same département created after it)."""
    acteurs: list[Acteur] = []
    numbers: dict[str, int] = {}

    def add(kind: str, lieu: str, dept: int, commune: int, served: list[str]) -> None:
        numbers[kind] = numbers.get(kind, 0) + 1
        label, sigle = rng.choice(PROFILES[kind].names)
        label = label.format(de=de(lieu), lieu=lieu)
        acteurs.append(
            Acteur(kind, f"{kind}-{numbers[kind]:05d}", label, sigle, dept, commune, served)
        )

    communes = t.communes
    # CPTS: contiguous runs of 10-60 communes of one département; a remainder of fewer than
    # 10 communes is left uncovered (a white zone), as happens on the ground.
    low, high = CPTS_COMMUNES
    for d, dept in enumerate(t.departements):
        start = 0
        while len(dept.communes) - start >= low:
            size = min(rng.randint(low, high), len(dept.communes) - start)
            members = dept.communes[start : start + size]
            start += size
            chef = max(members, key=lambda c: (communes[c].population, -c))
            add("cpts", communes[chef].name, d, chef, [communes[c].iri for c in members])
    # DAC: one per département, two in DAC_SECOND_SHARE of them, serving the département.
    for d, dept in enumerate(t.departements):
        second = rng.random() < DAC_SECOND_SHARE
        for suffix in (" Nord", " Sud") if second else ("",):
            add("dac", dept.name + suffix, d, dept.chef_lieu, [dept.iri])

    counts = {"clsm": N_CLSM, "msp": N_MSP, **N_AUTRES_ACTEURS}
    commune_weights = [c.population for c in communes]
    commune_cum = list(_accumulate(commune_weights))
    epci_weights = [e.population for e in t.epcis]
    epci_cum = list(_accumulate(epci_weights))
    dept_weights = [d.population for d in t.departements]
    dept_cum = list(_accumulate(dept_weights))
    for kind, count in counts.items():
        n = scaled(count, scale)
        scope = PROFILES[kind].scope
        if scope == "commune":
            picked = rng.choices(range(len(communes)), cum_weights=commune_cum, k=n)
        elif scope == "commune-distinct":
            by_size = sorted(range(len(communes)), key=lambda c: (-communes[c].population, c))
            picked = sorted(by_size[:n])
        elif scope == "epci":
            picked = rng.choices(range(len(t.epcis)), cum_weights=epci_cum, k=n)
        elif scope == "epci-distinct":
            picked = weighted_sample(rng, epci_weights, min(n, len(t.epcis)))
        elif scope == "departement":
            picked = rng.choices(range(len(t.departements)), cum_weights=dept_cum, k=n)
        elif scope == "departement-distinct":
            picked = weighted_sample(rng, dept_weights, min(n, len(t.departements)))
        else:
            raise ValueError(f"unknown scope {scope!r} for {kind}")
        for i in picked:
            if scope.startswith("commune"):
                c = communes[i]
                add(kind, c.name, c.departement, i, [c.iri])
            elif scope.startswith("epci"):
                e = t.epcis[i]
                add(kind, communes[e.chef_lieu].name, e.departement, e.chef_lieu, [e.iri])
            else:
                dept = t.departements[i]
                add(kind, dept.name, i, dept.chef_lieu, [dept.iri])
    return acteurs


def _accumulate(values: Iterable[int]) -> Iterator[int]:
    total = 0
    for v in values:
        total += v
        yield total


def acteur_quads(rng: random.Random, t: Territoires, acteurs: list[Acteur]) -> Iterator[ox.Quad]:
    ga, gs = GRAPHS["acteurs"], GRAPHS["services"]
    p = {
        name: sg(name)
        for name in ("sigle", "secteur", "localisation", "territoireDesservi", "codePostal",
                     "adresse", "finess", "orienteVers", "offre", "prestataire", "roleParcours",
                     "modeAccueil", "derniereVerification", "ageMinimum", "ageMaximum",
                     "Orientation", "orienteur", "destinataire", "public")
    }  # fmt: skip
    source = ox.NamedNode(DCT + "source")
    telephone, email = ox.NamedNode(SCHEMA + "telephone"), ox.NamedNode(SCHEMA + "email")
    audience, spatial = ox.NamedNode(DCT + "audience"), ox.NamedNode(DCT + "spatial")
    thematic = ox.NamedNode("http://data.europa.eu/m8g/thematicArea")
    service_class = sg("Service")
    first_day = VERIFICATION_DATES[0].toordinal()
    n_days = VERIFICATION_DATES[1].toordinal() - first_day + 1

    nodes = [ox.NamedNode(a.iri) for a in acteurs]
    by_dept: dict[int, list[int]] = {}
    for i, a in enumerate(acteurs):
        by_dept.setdefault(a.departement, []).append(i)
    finess_numbers: dict[str, int] = {}

    for i, a in enumerate(acteurs):
        profile = PROFILES[a.kind]
        s = nodes[i]
        commune = t.communes[a.commune]
        dept = t.departements[a.departement]
        for cls in profile.classes:
            yield ox.Quad(s, RDF_TYPE, sg(cls), ga)
        yield ox.Quad(s, PREF_LABEL, fr(a.label), ga)
        if a.sigle:
            yield ox.Quad(s, p["sigle"], fr(a.sigle), ga)
        for secteur in profile.secteurs:
            yield ox.Quad(s, p["secteur"], concept(f"secteur/{secteur}"), ga)
        yield ox.Quad(s, p["localisation"], ox.NamedNode(commune.iri), ga)
        for served in a.served:
            yield ox.Quad(s, p["territoireDesservi"], ox.NamedNode(served), ga)
        zone = t.regions[dept.region].phone_zone
        phone = f"{FICTION_PHONE_PREFIXES[zone]} {rng.randrange(100):02d} {rng.randrange(100):02d}"
        yield ox.Quad(s, telephone, ox.Literal(phone), ga)
        yield ox.Quad(s, email, ox.Literal(f"{a.slug}@{EMAIL_DOMAIN}"), ga)
        street = f"{rng.randint(1, 120)} {rng.choice(VOIES)}"
        address = f"{street}, {commune.postal_code} {commune.name}"
        yield ox.Quad(s, p["adresse"], ox.Literal(address), ga)
        yield ox.Quad(s, p["codePostal"], ox.Literal(commune.postal_code), ga)
        if profile.finess:
            prefix = dept.code if len(dept.code) == 3 else dept.code + "0"
            finess_numbers[prefix] = finess_numbers.get(prefix, 0) + 1
            finess = f"{prefix}{900000 + finess_numbers[prefix]:06d}"
            yield ox.Quad(s, p["finess"], ox.Literal(finess), ga)
        yield ox.Quad(s, DERIVED, DATASET, ga)

        peers = by_dept[a.departement]
        k = min(rng.randint(*ORIENTATIONS_PAR_ACTEUR), len(peers) - 1)
        if k > 0:
            targets = [j for j in rng.sample(peers, k + 1) if j != i][:k]
            for j in targets:
                yield ox.Quad(s, p["orienteVers"], nodes[j], ga)
            # the first link as a recorded referral (what a toile draws), for the first
            # public of the actor's first service; no draw from rng: the rest is unchanged
            referral = ox.NamedNode(f"{SYNTHETIC}orientation/{a.slug}")
            yield ox.Quad(referral, RDF_TYPE, p["Orientation"], ga)
            yield ox.Quad(referral, p["orienteur"], s, ga)
            yield ox.Quad(referral, p["destinataire"], nodes[targets[0]], ga)
            public = concept(f"public/{profile.services[0].publics[0]}")
            yield ox.Quad(referral, p["public"], public, ga)
            yield ox.Quad(referral, source, fr("Orientation synthétique"), ga)
            yield ox.Quad(referral, DERIVED, DATASET, ga)

        n_services = min(rng.randint(*SERVICES_PAR_ACTEUR), len(profile.services))
        for template in rng.sample(profile.services, n_services):
            svc = ox.NamedNode(f"{SYNTHETIC}service/{a.slug}/{template.slug}")
            yield ox.Quad(s, p["offre"], svc, ga)
            yield ox.Quad(svc, RDF_TYPE, service_class, gs)
            yield ox.Quad(svc, PREF_LABEL, fr(template.label), gs)
            yield ox.Quad(svc, p["prestataire"], s, gs)
            for path, pool, predicate in (
                ("public", template.publics, audience),
                ("besoin", template.besoins, thematic),
                ("role", template.roles, p["roleParcours"]),
            ):
                k = rng.randint(1, min(CONCEPTS_PAR_SERVICE, len(pool)))
                for slug in rng.sample(pool, k):
                    yield ox.Quad(svc, predicate, concept(f"{path}/{slug}"), gs)
            for served in a.served:
                yield ox.Quad(svc, spatial, ox.NamedNode(served), gs)
            yield ox.Quad(svc, p["modeAccueil"], concept(f"mode-accueil/{template.mode}"), gs)
            minimum, maximum = template.ages
            if minimum is not None:
                yield ox.Quad(svc, p["ageMinimum"], integer(minimum), gs)
            if maximum is not None:
                yield ox.Quad(svc, p["ageMaximum"], integer(maximum), gs)
            checked = datetime.date.fromordinal(first_day + rng.randrange(n_days))
            yield ox.Quad(
                svc,
                p["derniereVerification"],
                ox.Literal(checked.isoformat(), datatype=XSD_DATE),
                gs,
            )
            yield ox.Quad(svc, DERIVED, DATASET, gs)


# ----------------------------------------------------------------------------------------
# Dataset description, generation, writing, loading
# ----------------------------------------------------------------------------------------


def dataset_quads(scale: float, seed: int) -> Iterator[ox.Quad]:
    g = GRAPHS["dataset"]
    command = f"python -m bench.synthetic --scale {scale:g} --seed {seed}"
    activity = ox.BlankNode("generation")
    yield ox.Quad(DATASET, RDF_TYPE, ox.NamedNode("http://www.w3.org/ns/dcat#Dataset"), g)
    yield ox.Quad(
        DATASET,
        ox.NamedNode(DCT + "title"),
        fr(f"Jeu de données synthétique santegraph (échelle {scale:g}, graine {seed})"),
        g,
    )
    description = (
        "Données entièrement SYNTHÉTIQUES, générées par bench/synthetic.py pour les bancs "
        f"d'essai (échelle {scale:g}, graine {seed}) : territoires, acteurs, services et "
        "orientations fictifs, de la taille de la France à l'échelle 1. Aucun nom, code, "
        "numéro ni lien ne décrit une structure réelle ; seuls les concepts des vocabulaires "
        "de santegraph (publics, besoins, rôles, secteurs, modes d'accueil) sont réels."
    )
    yield ox.Quad(DATASET, ox.NamedNode(DCT + "description"), fr(description), g)
    yield ox.Quad(DATASET, ox.NamedNode(PROV + "wasGeneratedBy"), activity, g)
    yield ox.Quad(activity, RDF_TYPE, ox.NamedNode(PROV + "Activity"), g)
    yield ox.Quad(
        activity, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), ox.Literal(command), g
    )


def generate(scale: float = 1.0, seed: int = DEFAULT_SEED) -> Iterator[ox.Quad]:
    """The synthetic graph as a stream of quads (deterministic for a given scale and seed)."""
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"scale must be in (0, {MAX_SCALE}], not {scale}")
    territoires = build_territoires(child_rng(seed, "territoires"), scale)
    acteurs = plan_acteurs(child_rng(seed, "acteurs"), territoires, scale)
    yield from dataset_quads(scale, seed)
    yield from territoire_quads(territoires)
    yield from acteur_quads(child_rng(seed, "details"), territoires, acteurs)


class _Counted:
    def __init__(self, quads: Iterable[ox.Quad]):
        self._quads = quads
        self.count = 0

    def __iter__(self) -> Iterator[ox.Quad]:
        for quad in self._quads:
            self.count += 1
            yield quad


def write(path: str | Path, scale: float = 1.0, seed: int = DEFAULT_SEED) -> int:
    """Stream the graph to `path` as N-Quads (through `path`.part, renamed at the end);
    returns the number of quads written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    quads = _Counted(generate(scale, seed))
    with partial.open("wb") as out:
        ox.serialize(quads, out, ox.RdfFormat.N_QUADS)
    partial.replace(path)
    return quads.count


def bulk_load(path: str | Path, store_dir: str | Path | None = None) -> ox.Store:
    """Load an N-Quads file with Store.bulk_load (on disk at `store_dir`, else in memory)."""
    store = ox.Store(str(store_dir)) if store_dir is not None else ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    return store


def _directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.synthetic", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = France (default)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=Path("bench/out/synthetic.nq"))
    parser.add_argument(
        "--bulk-load",
        type=Path,
        metavar="STORE_DIR",
        help="then bulk-load the file into a new pyoxigraph store in this (absent or empty) "
        "directory and report the time",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    count = write(args.out, args.scale, args.seed)
    elapsed = time.perf_counter() - started
    size = args.out.stat().st_size
    print(
        f"{args.out}: {count:,} quads, {size / 1e6:,.1f} MB, generated in {elapsed:,.1f} s "
        f"(scale {args.scale:g}, seed {args.seed})"
    )
    if args.bulk_load is not None:
        if args.bulk_load.exists() and any(args.bulk_load.iterdir()):
            parser.error(f"{args.bulk_load} is not empty")
        started = time.perf_counter()
        store = bulk_load(args.out, args.bulk_load)
        elapsed = time.perf_counter() - started
        loaded = len(store)
        store.flush()
        del store
        print(
            f"{args.bulk_load}: {loaded:,} quads bulk-loaded in {elapsed:,.1f} s, "
            f"{_directory_size(args.bulk_load) / 1e6:,.1f} MB on disk"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
