"""The five scenarios of issue #15, walked in Debian's headless Chromium as a professional
would, from the home page to the answer in at most four actions (a choice in a list,
typed text, a click), asserting that the answer is on screen: the actor, how to reach
them, where, when the entry was last updated and its source.

The content has no contact details yet: the directory imports (#14) bring them. Until
they are on this branch, a small directory of obviously fictitious entries (ARCEP fiction
numbers, example.org) is added to a copy of the content: ``ANNUAIRE_FICTIF`` below. The
fifth scenario (PRISME) is answered by the content alone.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from santegraph.config import load_settings
from santegraph.store import EmbeddedStore
from santegraph.web import create_app

from ..conftest import live_server
from .conftest import BASE, ROOT
from .test_browser import CHROMIUM, browser, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)"
)

ANNUAIRE_FICTIF = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <https://schema.org/> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<source/annuaire-fictif> a sg:DocumentSource ;
    dct:title "Annuaire fictif de test"@fr ; dct:date "2026-11-02"^^xsd:date .

<acteur/sessad-fictif-du-littoral> a sg:Association ;
    skos:prefLabel "SESSAD Fictif du Littoral"@fr ;
    sg:public <public/jeunes-moins-25-handicap> ; sg:secteur <secteur/medico-social> ;
    sg:localisation <territoire/commune/59183> ;
    sg:adresse "1 rue des Dunes Fictives, 59140 Dunkerque" ;
    schema:telephone "01 99 00 10 01" ; schema:email "sessad@example.org" ;
    prov:wasDerivedFrom <source/annuaire-fictif> .

<acteur/clic-fictif-du-hainaut> a sg:Association ;
    skos:prefLabel "Point d'information fictif des aînés du Hainaut"@fr ;
    sg:public <public/personnes-agees> ; sg:secteur <secteur/social> ;
    sg:territoireDesservi <territoire/tas/hainaut> ;
    sg:adresse "2 place Fictive, 59300 Valenciennes" ;
    schema:telephone "01 99 00 10 02" ; schema:email "aines@example.org" ;
    prov:wasDerivedFrom <source/annuaire-fictif> .

<acteur/maison-fictive-des-ados-abbeville> a sg:Association ;
    skos:prefLabel "Maison fictive des ados d'Abbeville"@fr ;
    sg:public <public/adolescents> ; sg:besoin <besoin/sante-mentale> ;
    sg:secteur <secteur/sanitaire> ; sg:localisation <territoire/commune/80001> ;
    sg:adresse "3 rue Fictive, 80100 Abbeville" ;
    schema:telephone "01 99 00 10 03" ; schema:email "ados@example.org" ;
    prov:wasDerivedFrom <source/annuaire-fictif> .

<acteur/cpts-fictive-des-remparts> a sg:CPTS ;
    skos:prefLabel "CPTS Fictive des Remparts"@fr ;
    sg:secteur <secteur/sanitaire> ; sg:territoireDesservi <territoire/commune/59067> ;
    sg:adresse "4 rue Fictive, 59380 Bergues" ;
    schema:telephone "01 99 00 10 04" ; schema:email "cpts@example.org" ;
    prov:wasDerivedFrom <source/annuaire-fictif> .
"""


@pytest.fixture(scope="module")
def site(loaded_content):
    """The app on a copy of the content plus the fictitious directory, served by waitress."""
    store, _ = loaded_content
    copy = EmbeddedStore(":memory:")
    copy.pyoxigraph_store.extend(store.quads())
    graph = ox.NamedNode(BASE + "graph/test/annuaire-fictif")
    copy.pyoxigraph_store.extend(
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(ANNUAIRE_FICTIF.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    )
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    with live_server(create_app(settings, store=copy)) as url:
        yield url


class Walk:
    """A professional's walk: each choice, typed text or click counts as one action."""

    def __init__(self, browser_page, url: str):
        self.page, self.url, self.actions = browser_page, url, 0
        browser_page.goto(url + "/")

    def choose(self, selector: str, label: str) -> None:
        self.page.select_option(selector, label=label)
        self.actions += 1

    def type(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)
        self.actions += 1

    def click(self, locator) -> None:
        with self.page.expect_navigation():
            locator.click()
        self.actions += 1

    def card(self, name: str) -> str:
        """The text of the toile's card of ``name``, whitespace made single."""
        card = self.page.locator("article.carte", has=self.page.get_by_role("link", name=name))
        assert card.count() >= 1, f"no card for {name} on {self.page.url}"
        return " ".join(card.first.inner_text().split())


def _public_option(browser_page, label: str) -> str:
    """The public's option label as the home page writes it (indented by its depth)."""
    for option in browser_page.locator("#public option").all_inner_texts():
        if option.strip() == label:
            return option
    raise AssertionError(f"no public « {label} » on the home page")


def test_1_school_nurse_young_disabled_adult_in_dunkerque(site, page):  # noqa: F811
    """« un jeune de 19 ans en situation de handicap à Dunkerque, qui l'accompagne ? »"""
    walk = Walk(page, site)
    walk.choose(
        "#public", _public_option(page, "Jeunes de moins de 25 ans en situation de handicap")
    )
    walk.type("#lieu", "Dunkerque")
    walk.click(page.get_by_role("button", name="Voir la toile"))
    assert walk.actions <= 4
    assert "à Dunkerque" in page.locator("h1").inner_text()
    card = walk.card("SESSAD Fictif du Littoral")
    assert "01 99 00 10 01" in card and "sessad@example.org" in card
    assert "Dunkerque" in card  # where
    assert "2 novembre 2026" in card and "Annuaire fictif de test" in card  # when, source
    card = page.locator("article.carte", has=page.get_by_role("link", name="SESSAD Fictif"))
    tel = card.locator('a[href^="tel:"]', has_text="01 99 00 10 01")
    assert tel.count() == 1, "the phone number is click-to-call"
    assert card.locator('a[href="mailto:sessad@example.org"]').count() == 1


def test_2_social_worker_isolated_elderly_person_in_the_hainaut(site, page):  # noqa: F811
    """« une personne âgée isolée dans le Hainaut, quel dispositif ? »"""
    walk = Walk(page, site)
    walk.choose("#public", _public_option(page, "Personnes âgées"))
    walk.type("#lieu", "Hainaut")
    walk.click(page.get_by_role("button", name="Voir la toile"))
    assert walk.actions <= 4
    assert "dans le Hainaut" in page.locator("h1").inner_text()
    card = walk.card("Point d'information fictif des aînés du Hainaut")
    assert "01 99 00 10 02" in card and "aines@example.org" in card
    assert "Hainaut" in card
    assert "2 novembre 2026" in card and "Annuaire fictif de test" in card


def test_3_gp_teenager_mental_health_in_abbeville(site, page):  # noqa: F811
    """« santé mentale d'un adolescent à Abbeville »"""
    walk = Walk(page, site)
    walk.choose("#public", _public_option(page, "Adolescents"))
    walk.choose(
        "#besoin", page.locator("#besoin option", has_text="Santé mentale").first.inner_text()
    )
    walk.type("#lieu", "Abbeville")
    walk.click(page.get_by_role("button", name="Voir la toile"))
    assert walk.actions <= 4
    assert "à Abbeville" in page.locator("h1").inner_text()
    card = walk.card("Maison fictive des ados d'Abbeville")
    assert "01 99 00 10 03" in card and "ados@example.org" in card
    assert "Abbeville" in card
    assert "2 novembre 2026" in card and "Annuaire fictif de test" in card


def test_4_gp_settling_in_bergues_looks_for_the_cpts(site, page):  # noqa: F811
    """« je cherche la CPTS de mon secteur » (a GP settling in Bergues): the territory's
    page says which CPTS covers it; its fiche gives the contact."""
    walk = Walk(page, site)
    walk.type("#q", "Bergues")
    walk.click(page.get_by_role("button", name="Rechercher"))
    walk.click(page.get_by_role("link", name="Bergues", exact=True))
    assert "Bergues" in page.locator("h1").inner_text()
    coverage = " ".join(page.locator("table.couverture-table").first.inner_text().split())
    assert "CPTS Fictive des Remparts" in coverage
    walk.click(page.get_by_role("link", name="CPTS Fictive des Remparts").first)
    assert walk.actions <= 4
    fiche = " ".join(page.locator("main").inner_text().split())
    assert "CPTS Fictive des Remparts" in page.locator("h1").inner_text()
    assert "01 99 00 10 04" in fiche and "cpts@example.org" in fiche
    assert "Bergues" in fiche
    assert "2 novembre 2026" in fiche and "Annuaire fictif de test" in fiche


def test_5_cpts_coordinator_who_carries_the_prisme_action(site, page):  # noqa: F811
    """« qui porte l'action PRISME de la feuille de route ? » (the content answers it: the
    PRISME page lists the actions that mobilise it, with who carries each)."""
    walk = Walk(page, site)
    walk.type("#q", "PRISME")
    walk.click(page.get_by_role("button", name="Rechercher"))
    walk.click(page.locator("main a", has_text="Plateforme de recours intégré").first)
    assert walk.actions <= 4
    text = " ".join(page.locator("main").inner_text().split())
    action = text[text.index("Actions qui le mobilisent") :]
    assert "Mettre en œuvre le dispositif PRISME" in action
    assert "Feuille de route Métropole-Flandres" in action  # where it is written
    assert "portée par : CHU de Lille" in action  # the answer
