"""The "qui fait quoi" pages on the real content (Flask test client, HTML read with
BeautifulSoup): the toile of a public around a place, its filters and gaps, the browse
pages, and escaping of hostile labels (a separate tiny store)."""

from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup

from santegraph.config import load_settings
from santegraph.store import EmbeddedStore
from santegraph.toile.pdf import unavailable_reason
from santegraph.web import create_app

from .conftest import BASE, ROOT


@pytest.fixture(scope="module")
def client(loaded_content):
    store, _ = loaded_content
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    return create_app(settings, store=store).test_client()


def page(client, url, status=200):
    response = client.get(url, headers={"Accept": "text/html"})
    assert response.status_code == status, url
    return BeautifulSoup(response.data, "html.parser")


def cards(soup, section="titre-acteurs"):
    """The names on the cards of one list of the toile page: the actors found for the
    place ("titre-acteurs"), the dispositifs and programmes ("titre-programmes"), those
    whose territory is unknown ("titre-non-places")."""
    found = soup.select(f"section[aria-labelledby={section}] article.carte")
    return [card.find(["h2", "h3"]).a.text for card in found]


def gaps(soup):
    return [li.a.text for li in soup.select("li.manque")]


def test_home_form_leads_to_the_toile(client):
    soup = page(client, "/")
    form = soup.find("form", action="/toile")
    assert form["method"] == "get"
    for name in ("public", "besoin", "lieu", "role"):
        field = form.find(attrs={"name": name})
        assert soup.find("label", attrs={"for": field["id"]}) is not None
    publics = [o["value"] for o in form.find("select", attrs={"name": "public"}).find_all("option")]
    assert "jeunes-moins-25" in publics and "adolescents" in publics
    datalist = soup.find("datalist", id=form.find("input", attrs={"name": "lieu"})["list"])
    assert "Métropole-Flandres" in [o["value"] for o in datalist.find_all("option")]
    links = {a["href"] for a in soup.find_all("a")}
    for path in ("/publics", "/territoires", "/dispositifs", "/defis", "/propositions", "/actions"):
        assert path in links
    assert soup.find("form", attrs={"role": "search"})["action"] == "/recherche"
    assert "propositions" in soup.find(id="titre-chiffres").parent.text
    response = client.get("/toile?public=jeunes-moins-25&lieu=Dunkerque&besoin=&role=")
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/publics/jeunes-moins-25"
    assert parse_qs(target.query) == {"lieu": ["Dunkerque"]}


@pytest.mark.parametrize("lieu", ["59183", "Dunkerque", "dunkerque", "commune/59183"])
def test_toile_of_young_people_around_dunkerque(client, lieu):
    soup = page(client, f"/publics/jeunes-moins-25?lieu={lieu}")
    # the CUD (étudiants en santé, a narrower public) serves the EPCI containing Dunkerque;
    # the Cordées de la réussite (jeunes) have no territory in the data: not placed here
    assert cards(soup) == ["Communauté urbaine de Dunkerque"]
    card = soup.select_one("article.carte")
    assert card.h3.a["href"] == "/acteurs/communaute-urbaine-de-dunkerque?public=jeunes-moins-25"
    assert "CU de Dunkerque" in card.text
    assert "CUD" in card.text
    assert "Dunkerque" in soup.h1.text
    # the MDA kind states the public "adolescents": expected, no instance recorded
    assert gaps(soup) == ["MDA"]
    assert "à renseigner" in soup.select_one("li.manque").text
    # and the page says where stewards fill the gap
    invite = soup.select_one("section.manques").find("a", string="espace référents")
    assert invite["href"] == "/steward/"
    # the URL holds the filters: the form shows them back
    assert soup.find("input", attrs={"name": "lieu"})["value"] == lieu


@pytest.mark.parametrize(
    ("lieu", "phrase"),
    [
        ("Dunkerque", "à Dunkerque"),
        ("59350", "à Lille"),
        ("Le Quesnoy", "au Quesnoy"),
        ("Nord", "dans le Nord"),
        ("Somme", "dans la Somme"),
        ("departement/60", "dans l'Oise"),
        ("tas/hainaut", "dans le Hainaut"),
        ("tas/metropole-flandres", "dans la Métropole-Flandres"),
        ("region/32", "dans les Hauts-de-France"),
        ("epci/245900428", "dans la CU de Dunkerque"),
    ],
)
def test_the_place_is_written_as_french_says_it(client, lieu, phrase):
    """« dans le Nord », never « à Nord »: the article comes from the COG's type de nom
    en clair (sg:codeArticle), a TAS's from tas.ttl, an EPCI's from its name."""
    soup = page(client, f"/publics/personnes-agees?lieu={lieu}")
    assert soup.h1.text == f"Qui s'occupe des personnes âgées {phrase} ?"


def test_toile_without_place_lists_every_actor_of_the_public(client):
    soup = page(client, "/publics/jeunes-moins-25")
    assert "Communauté urbaine de Dunkerque" in cards(soup)
    # a programme serves the public too: listed as such, not as an actor, and not drawn
    assert "Cordées de la réussite" not in cards(soup)
    assert "Cordées de la réussite" in cards(soup, "titre-programmes")
    drawn = {g["data-iri"] for g in soup.select("svg.toile g.acteur")}
    assert BASE + "acteur/cordees-de-la-reussite" not in drawn
    assert len(drawn) == len(cards(soup))


def test_a_place_keeps_the_actors_of_unknown_territory_apart(client):
    """Choosing Dunkerque does not drop the entries whose territory the graph does not
    know: they are listed in their own group, and the summary counts them apart."""
    soup = page(client, "/publics/jeunes-moins-25?lieu=Dunkerque")
    assert cards(soup) == ["Communauté urbaine de Dunkerque"]
    unknown = cards(soup, "titre-non-places")
    assert "Cordées de la réussite" in unknown
    assert "Communauté urbaine de Dunkerque" not in unknown
    summary = " ".join(soup.select_one("p.resume").text.split())
    assert summary.startswith("1 acteur pour le public « Jeunes de moins de 25 ans »")
    assert f"et {len(unknown)} dont le territoire n'est pas renseigné" in summary


def test_counts_agree_on_the_publics_page_and_every_toile(client):
    """/publics says, for each public, what its toile (no filter) says: the same
    organisations and dispositifs or programmes, in the same words."""
    listing = page(client, "/publics")
    for item in listing.select("ul.arbre > li"):
        said = " ".join(item.select_one("span.compte").text.split())
        toile = page(client, item.a["href"])
        summary = " ".join(toile.select_one("p.resume").text.split())
        assert summary.startswith(said + " pour le public"), (item.a["href"], said, summary)
        actors = len(cards(toile))
        programmes = len(cards(toile, "titre-programmes"))
        assert said.startswith(f"{actors} acteur"), (item.a["href"], said)
        assert (f"et {programmes} dispositif" in said) == (programmes > 0)


def test_widening_the_area_one_click_per_step(client):
    """A place with few answers offers each wider area (commune → EPCI → département →
    TAS → région) with its count, which is what the toile shows one click away."""
    soup = page(client, "/publics/jeunes-moins-25?lieu=Dunkerque")
    widen = soup.select_one("nav.elargir")
    assert "Peu de réponses à Dunkerque" in widen.h2.text
    steps = widen.select("li")
    names = [li.a.text for li in steps]
    assert names == [
        "Dans la CU de Dunkerque",
        "Dans le Nord",
        "Dans le Littoral Nord",
        "Dans les Hauts-de-France",
    ]
    for li in steps:
        count = int(li.text.rsplit(":", 1)[1].split()[0])
        there = page(client, li.a["href"])
        assert "lieu=" in li.a["href"] and "/publics/jeunes-moins-25" in li.a["href"]
        assert len(cards(there)) + len(cards(there, "titre-programmes")) == count, li.a.text
    # an actor serving an area inside the département is in the département
    nord = page(client, steps[1].a["href"])
    assert "Communauté urbaine de Dunkerque" in cards(nord)


def test_a_toile_says_honestly_what_is_missing(client):
    """ "À renseigner" lists what the graph expects for this public and place and does
    not find; where nothing is expected it says so, rather than "nothing is missing"."""
    soup = page(client, "/publics/personnes-agees?lieu=Dunkerque")
    section = " ".join(soup.select_one("section.manques").text.split())
    assert "aucun manque ne peut être établi" in section
    assert "ne manque" not in section
    assert not gaps(soup)
    # adolescents: the MDA kind states this public; none recorded at Dunkerque
    soup = page(client, "/publics/adolescents?lieu=Dunkerque")
    assert gaps(soup) == ["MDA"]
    assert "mais aucun n'est enregistré à Dunkerque" in soup.select_one("section.manques").text


def test_the_toile_of_a_public_links_the_agur_toiles_about_it(client):
    soup = page(client, "/publics/jeunes-moins-25-handicap")
    agur = soup.find(id="titre-agur").parent
    items = agur.select("li")
    assert items[0].a.text == "Toile de l'Agur « jeunes de moins de 25 ans » – angle handicap"
    assert items[0].a["href"].startswith("https://www.agur-dunkerque.org/")
    assert "angle handicap" in items[0].text and "état : réalisée" in items[0].text
    # a public no Agur toile covers gets no such section
    assert page(client, "/publics/personnes-agees").find(id="titre-agur") is None


def test_a_card_leads_to_the_fiche_and_its_kind_never_to_a_dead_link(client):
    """The toile's card links the actor's fiche (the toile's public kept), and a kind
    only when it has a page: "Association" is an actor class, not a dispositif."""
    soup = page(client, "/publics/personnes-handicap")
    card = next(c for c in soup.select("article.carte") if c.h3.a.text == "Les Papillons Blancs")
    assert card.h3.a["href"] == "/acteurs/les-papillons-blancs?public=personnes-handicap"
    kind = card.find("dt", string="Type").find_next("dd")
    assert kind.text == "Association" and kind.a is None
    for a in soup.select("article.carte dd a"):
        if a["href"].startswith("/"):
            page(client, a["href"])  # 200, never a 404


def test_the_fiche_of_an_actor_is_a_directory_entry(client):
    soup = page(client, "/acteurs/esat-les-ateliers-de-la-lys?public=personnes-handicap")
    assert soup.h1.text == "ESAT les ateliers de la Lys"
    assert "Établissement ou service médico-social" in soup.select_one(".fiche-nature").text
    # how fresh, and from which source (the document's title, not a file name)
    fresh = soup.select_one("p.fraicheur").text
    assert fresh.startswith("Mis à jour le 6 juillet 2023 · source : Conseil Territorial")
    sources = [li.text for li in soup.find(id="titre-sources").parent.select("li")]
    assert sources == [
        "Conseil Territorial de Santé de Métropole-Flandres – Procès-verbal de la séance "
        "plénière du 6 juillet 2023"
    ]
    # what it does: its services by name; the minutes' paragraph only as a quote, apart
    services = [h.text for h in soup.select("li.service h3")]
    assert "Formation « comprendre les handicaps »" in services
    quote = soup.select_one("details.extrait")
    assert quote.summary.text == "Ce qu'en dit la source"
    # contact and place say what is not known
    contact = soup.select_one(".fiche-contact").text
    assert "Téléphone" in contact and "non renseigné" in contact
    report = soup.find("a", class_="signaler")
    assert report["href"].startswith("/steward/signaler?entree=")
    assert soup.find("a", string="Données brutes (RDF) de cette fiche")["href"] == (
        "/id/acteur/esat-les-ateliers-de-la-lys"
    )
    assert soup.find("a", string="Retour à la toile « Personnes en situation de handicap »")
    page(client, "/acteurs/inconnu", 404)


def test_broader_public_and_place_containing_lille(client):
    # Les Papillons Blancs serve personnes handicapées (broader) in the whole region
    for lieu in ("Lille", "59350"):
        soup = page(client, f"/publics/jeunes-moins-25-handicap?lieu={lieu}")
        assert cards(soup) == ["Les Papillons Blancs"]
    assert cards(page(client, "/publics/jeunes-moins-25?lieu=Lille")) == []


def test_filters_reduce_the_toile_and_stay_in_the_url(client):
    everyone = set(cards(page(client, "/publics/personnes-handicap")))
    assert {"Les Papillons Blancs", "ESAT les ateliers de la Lys"} <= everyone
    soup = page(client, "/publics/personnes-handicap?role=accompagnement")
    assert cards(soup) == ["Les Papillons Blancs"]
    selected = soup.find("select", attrs={"name": "role"}).find("option", selected=True)
    assert selected["value"] == "accompagnement"
    soup = page(client, "/publics/personnes-handicap?besoin=insertion-professionnelle")
    assert cards(soup) == ["ESAT les ateliers de la Lys"]
    remove = soup.find("a", string="Retirer les filtres")
    assert remove["href"] == "/publics/personnes-handicap"


def test_ambiguous_and_unknown_places(client):
    soup = page(client, "/publics/jeunes-moins-25?lieu=Bailleul")
    choices = soup.select("ul.choix a")
    assert len(choices) == 2
    assert all(
        "lieu=commune" in a["href"] and "/publics/jeunes-moins-25" in a["href"] for a in choices
    )
    assert not soup.select("article.carte")
    soup = page(client, "/publics/jeunes-moins-25?lieu=Dunkerq")
    assert "introuvable" in soup.text
    assert "Dunkerque" in [a.text for a in soup.select("ul.choix a")]


def test_unknown_public_and_territory_are_404(client):
    page(client, "/publics/nope", 404)
    page(client, "/territoires/commune/00000", 404)
    page(client, "/dispositifs/Nope", 404)
    page(client, "/defis/99", 404)


def test_publics_page_shows_hierarchy_needs_and_counts(client):
    soup = page(client, "/publics")
    items = {li.a.text: li for li in soup.select("ul.arbre > li")}
    assert items["Adolescents"].find(class_="meta").text.startswith("(fait partie de")
    assert "acteur" in items["Jeunes de moins de 25 ans"].text
    assert items["Jeunes de moins de 25 ans"].a["href"] == "/publics/jeunes-moins-25"
    assert "Besoins évoqués" in items["Personnes en situation de précarité"].text


def test_territory_page_dunkerque(client):
    soup = page(client, "/territoires/commune/59183")
    assert soup.h1.text == "Dunkerque"
    actors = [a.text for a in soup.find(id="titre-acteurs").parent.find_all("a")]
    assert "MSP de Dunkerque" in actors
    assert "Communauté urbaine de Dunkerque" in actors
    assert "Agence régionale de santé Hauts-de-France" in actors  # serves the region
    assert soup.find(id="titre-actions").parent.select("ol.elements li")
    found = page(client, "/territoires?q=metropole flandres")
    assert "/territoires/tas/metropole-flandres" in [a["href"] for a in found.find_all("a")]


def test_dispositif_kind_page_clsm(client):
    soup = page(client, "/dispositifs/CLSM")
    assert "CLSM" in soup.h1.text
    props = soup.find(id="titre-propositions").parent.text
    assert "généraliser les contrats locaux santé mentale" in props
    assert "leviers d'animation" in soup.find(id="titre-sources").parent.text
    tree = page(client, "/dispositifs")
    assert "/dispositifs/CPTS" in [a["href"] for a in tree.find_all("a")]


def test_defis_propositions_and_actions(client):
    soup = page(client, "/defis")
    assert "/defis/2" in [a["href"] for a in soup.find_all("a")]
    defi = page(client, "/defis/2")
    assert "santé mentale" in defi.h1.text
    assert defi.select("ol.elements li")
    all_props = page(client, "/propositions")
    filtered = page(client, "/propositions?defi=defi/2")
    assert 0 < len(filtered.select("ol.elements li")) < len(all_props.select("ol.elements li"))
    actions = page(client, "/actions?porteur=cpam")
    items = actions.select("ol.elements li")
    assert len(items) == 4
    assert all("CPAM" in li.text for li in items)
    assert "CPAM des Flandres" in actions.find(class_="resume").text


def test_search_ranking(client):
    soup = page(client, "/recherche?q=cpts")
    actors = soup.find("section", attrs={"data-categorie": "acteur"})
    # a CPTS named "CPTS ..." first (the CPTS de Denain and the CPTS Sud Métropole Lilloise)
    assert actors.li.a.text in {"CPTS de Denain", "CPTS Sud Métropole Lilloise"}
    kinds = soup.find("section", attrs={"data-categorie": "dispositif"})
    assert kinds.li.a["href"] == "/dispositifs/CPTS"
    soup = page(client, "/recherche?q=maison des ados")
    kinds = soup.find("section", attrs={"data-categorie": "dispositif"})
    assert kinds.li.a["href"] == "/dispositifs/MDA"
    soup = page(client, "/recherche?q=metropole")
    assert "Métropole" in soup.find("section").li.a.text
    soup = page(client, "/recherche?q=DUNKERQUE")
    places = soup.find("section", attrs={"data-categorie": "territoire"})
    assert places.li.a.text == "Dunkerque"
    assert places.li.a["href"] == "/territoires/commune/59183"


HOSTILE = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <https://schema.org/> .
sg:Association rdfs:subClassOf sg:Acteur .
<public/jeunes> a sg:Public ; skos:prefLabel "Jeunes <b>gras</b>"@fr .
<acteur/x> a sg:Association ; skos:prefLabel "<script>alert(1)</script>"@fr ;
    sg:sigle "<img src=x onerror=alert(2)>"@fr ; sg:public <public/jeunes> ;
    schema:url "javascript:alert(3)" ; schema:email "a@b.fr\\"><script>" .
<javascript:alert(4)> a sg:Association ; skos:prefLabel "Acteur hostile"@fr ;
    sg:public <public/jeunes> .
"""


def test_hostile_labels_are_escaped():
    store = EmbeddedStore(":memory:")
    triples = ox.parse(HOSTILE.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    store.replace_graphs({BASE + "graph/local/hostile": list(triples)})
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    client = create_app(settings, store=store).test_client()
    for url in ("/publics/jeunes", "/recherche?q=script", "/publics", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        soup = BeautifulSoup(response.data, "html.parser")
        # only our own static scripts: no inline script came from the data
        assert all(tag.get("src", "").startswith("/static/") for tag in soup.find_all("script")), (
            url
        )
        assert soup.find("img") is None, url
        assert soup.find("b") is None, url
    soup = BeautifulSoup(client.get("/publics/jeunes").data, "html.parser")
    assert "<script>alert(1)</script>" in soup.select_one("article.carte").text
    assert "Acteur hostile" in soup.text  # listed, but its IRI is no link
    assert not any(a["href"].startswith("javascript:") for a in soup.find_all("a"))
    store.close()


def test_the_toile_page_offers_downloads_print_and_embed_with_its_filters(loaded_content):
    from bs4 import BeautifulSoup

    from santegraph.config import load_settings
    from santegraph.web import create_app

    from .conftest import BASE, ROOT

    store, _ = loaded_content
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    client = create_app(settings, store=store).test_client()
    page = BeautifulSoup(
        client.get("/publics/professionnels-sante?role=accompagnement").data, "html.parser"
    )
    links = {a["href"] for a in page.select(".toile-telechargements a")}
    assert "/publics/professionnels-sante/toile.svg?role=accompagnement" in links
    assert "/publics/professionnels-sante/toile.csv?role=accompagnement" in links
    pdf = "/publics/professionnels-sante/toile.pdf?papier=a3&role=accompagnement"
    assert (pdf in links) == (not unavailable_reason())  # only where cairo loads
    assert "iframe" in page.select_one("textarea.toile-iframe").text


SMALL = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
sg:Association rdfs:subClassOf sg:Acteur .
<public/jeunes> a sg:Public ; skos:prefLabel "Jeunes"@fr .
<secteur/social> a sg:Secteur ; skos:prefLabel "Social"@fr ; sg:couleur "#1A85FF" .
<acteur/a> a sg:Association ; skos:prefLabel "Mission locale"@fr ; sg:public <public/jeunes> ;
    sg:secteur <secteur/social> .
"""

LATER = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<public/aidants> a sg:Public ; skos:prefLabel "Aidants"@fr .
<secteur/insertion> a sg:Secteur ; skos:prefLabel "Insertion"@fr ; sg:couleur "#D35FB7" .
<besoin/repit> a sg:Besoin ; skos:prefLabel "Répit"@fr .
"""


def test_what_the_pages_keep_between_requests_follows_every_write():
    """Vocabulary, filter options and sectors are kept per store generation: a write
    (here a new graph, then its removal) shows on the next request."""
    store = EmbeddedStore(":memory:")

    def turtle(text):
        return list(ox.parse(text.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE))

    store.replace_graphs({BASE + "graph/local/small": turtle(SMALL)})
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    client = create_app(settings, store=store).test_client()

    def sectors(soup):
        return [li.text for li in soup.select("ul.secteurs li")]

    soup = page(client, "/publics/jeunes")
    assert cards(soup) == ["Mission locale"]
    assert sectors(soup) == ["Social"]
    assert [o["value"] for o in soup.select("#besoin option")] == [""]
    page(client, "/publics/aidants", status=404)
    page(client, "/publics/jeunes/toile.svg?besoin=repit")  # cached here too, filter unknown

    store.replace_graphs({BASE + "graph/local/later": turtle(LATER)})
    soup = page(client, "/publics/jeunes")
    assert sectors(soup) == ["Insertion", "Social"]
    assert [o["value"] for o in soup.select("#besoin option")] == ["", "repit"]
    assert "Aidants" in page(client, "/publics").text
    assert page(client, "/publics/aidants").h1.text.startswith("Qui s'occupe des aidants")

    store.drop_graph(BASE + "graph/local/later")
    soup = page(client, "/publics/jeunes")
    assert sectors(soup) == ["Social"]
    page(client, "/publics/aidants", status=404)
    store.close()


FILTERS = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<besoin/acces> a sg:Besoin ; skos:prefLabel "Accès aux soins"@fr .
<role/orientation> a sg:RoleParcours ; skos:prefLabel "Orientation"@fr .
"""

MORE = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
sg:Association rdfs:subClassOf sg:Acteur .
<besoin/repit> a sg:Besoin ; skos:prefLabel "Répit"@fr .
<role/coordination> a sg:RoleParcours ; skos:prefLabel "Coordination"@fr .
<acteur/b> a sg:Association ; skos:prefLabel "Maison des aidants"@fr ; sg:public <public/jeunes> .
"""


def _turtle(text):
    return list(ox.parse(text.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE))


def _small_client(*graphs):
    store = EmbeddedStore(":memory:")
    for name, text in graphs:
        store.replace_graphs({BASE + "graph/local/" + name: _turtle(text)})
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    return store, create_app(settings, store=store).test_client()


def options(soup, name):
    """(value, selected) of a filter's options."""
    return [
        (o["value"], o.has_attr("selected"))
        for o in soup.find("select", attrs={"name": name}).find_all("option")
    ]


def test_filter_options_show_the_chosen_values_and_follow_every_write():
    """The filters' options are rendered once per store generation and chosen value: the
    value of the URL is selected (an unknown one selects nothing), a write shows at once."""
    store, client = _small_client(("small", SMALL), ("filters", FILTERS))
    soup = page(client, "/publics/jeunes?besoin=acces&role=orientation")
    assert options(soup, "besoin") == [("", False), ("acces", True)]
    assert options(soup, "role") == [("", False), ("orientation", True)]
    soup = page(client, "/publics/jeunes?besoin=inconnu&role=")
    assert options(soup, "besoin") == [("", False), ("acces", False)]
    assert options(soup, "role") == [("", False), ("orientation", False)]
    assert cards(soup) == ["Mission locale"]

    store.replace_graphs({BASE + "graph/local/more": _turtle(MORE)})
    soup = page(client, "/publics/jeunes?besoin=repit")
    assert options(soup, "besoin") == [("", False), ("acces", False), ("repit", True)]
    assert [v for v, _ in options(soup, "role")] == ["", "coordination", "orientation"]
    soup = page(client, "/publics/jeunes")
    assert sorted(cards(soup)) == ["Maison des aidants", "Mission locale"]  # right after

    store.drop_graph(BASE + "graph/local/more")
    soup = page(client, "/publics/jeunes?besoin=repit")
    assert options(soup, "besoin") == [("", False), ("acces", False)]
    assert cards(soup) == ["Mission locale"]
    store.close()


HOSTILE_VOCABULARY = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<besoin/piege> a sg:Besoin ; skos:prefLabel "<script>alert(1)</script>"@fr .
<role/piege> a sg:RoleParcours ; skos:prefLabel "\\"><img src=x onerror=alert(2)>"@fr .
<secteur/piege> a sg:Secteur ; skos:prefLabel "<b>gras</b>"@fr ;
    sg:couleur "#fff\\"><script>alert(3)</script>" .
"""


def test_hostile_labels_in_the_kept_fragments_are_escaped():
    """Options, sector legend and site header are kept as HTML between requests: what
    comes from the graph in them is escaped, on the first request and on later ones."""
    store, client = _small_client(("small", SMALL), ("hostile", HOSTILE_VOCABULARY))
    first = client.get("/publics/jeunes?besoin=piege&role=piege").data
    assert client.get("/publics/jeunes?besoin=piege&role=piege").data == first
    soup = BeautifulSoup(first, "html.parser")
    assert all(tag.get("src", "").startswith("/static/") for tag in soup.find_all("script"))
    assert soup.find("img") is None and soup.find("b") is None
    chosen = soup.find("select", attrs={"name": "besoin"}).find("option", selected=True)
    assert chosen.text == "<script>alert(1)</script>"
    chosen = soup.find("select", attrs={"name": "role"}).find("option", selected=True)
    assert chosen.text == '"><img src=x onerror=alert(2)>'
    legend = soup.select("ul.secteurs li")
    assert "<b>gras</b>" in [li.text for li in legend]
    # a colour is an SVG fill attribute (no inline style): the hostile one stays its value
    fills = [li.find("rect")["fill"] for li in legend]
    assert '#fff"><script>alert(3)</script>' in fills
    store.close()


def test_fixed_links_follow_the_mount_point():
    """Header, form and card links are remembered per script root: an app mounted under
    a prefix links under it, the same app reached without the prefix does not."""
    store, client = _small_client(("small", SMALL))
    for root in ("/sante", "", "/sante"):
        soup = BeautifulSoup(
            client.get("/publics/jeunes", base_url="http://localhost" + root).data, "html.parser"
        )
        assert soup.find("a", class_="brand")["href"] == root + "/"
        assert soup.find("form", class_="filtres")["action"] == root + "/publics/jeunes"
        nav = [a["href"] for a in soup.select("header nav a")]
        assert root + "/publics" in nav and root + "/recherche" in nav
        tools = [a["href"] for a in soup.select(".toile-telechargements a")]
        assert root + "/publics/jeunes/toile.svg" in tools
        cards = [a["href"] for a in soup.select("article.carte h3 a")]
        assert cards and all(href.startswith(root + "/acteurs/") for href in cards)
    store.close()


def test_the_region_says_which_kinds_cover_it_and_which_are_missing(client, content):
    """The région's page: for each kind expected everywhere, who covers it, how many
    communes and people are left in zone blanche (COG populations), which are absent."""
    soup = page(client, "/territoires/region/32")
    rows = {tr.th.text: tr for tr in soup.select("table.couverture-table tbody tr")}
    assert list(rows) == ["CLS", "CLSM", "CPTS", "DAC", "MSP"]
    msp = rows["MSP"]
    covering = [a.text for a in msp.select("td")[0].find_all("a")]
    assert {"MSP de Dunkerque", "Maison de santé pluridisciplinaire d'Hautmont"} <= set(covering)
    assert "MSP du Kruysbellaert" in msp.text  # known, territory unknown: said, not counted
    (total,) = content.select(
        "SELECT (SUM(?p) AS ?n) WHERE { ?c a sg:Commune ; sg:population ?p ; "
        "sg:inclusDans+ <territoire/region/32> }"
    )
    covered = content.select(
        "SELECT (SUM(?p) AS ?n) WHERE { VALUES ?c { <territoire/commune/59183> "
        "<territoire/commune/59291> <territoire/commune/59580> } ?c sg:population ?p }"
    )[0]
    blank = int(total["n"]) - int(covered["n"])
    assert f"{blank:,}".replace(",", "\u202f") in msp.select("td")[2].text
    # the CPTS BBH serves its (partly known) territory, the CPTS de Denain its commune
    assert {
        "CPTS de Denain",
        "Communauté professionnelle territoriale de santé Bergues Bourbourg Hondschoote",
    } <= {a.text for a in rows["CPTS"].select("a")}
    assert "DAC Appui santé des Flandres" in rows["DAC"].text  # its territory is unknown
    absent = soup.find("strong", string=lambda t: t and t.startswith("Attendus et absents"))
    assert (
        absent.text == "Attendus et absents dans les Hauts-de-France selon le graphe : CLS, CLSM."
    )
    link = soup.find("a", string=lambda t: t and t.startswith("Les zones blanches"))
    assert link["href"] == "/territoires/region/32/couverture"


def test_the_zones_blanches_of_the_region_as_a_table_and_a_picture(client):
    soup = page(client, "/territoires/region/32/couverture")
    assert soup.h1.text == "Zones blanches dans les Hauts-de-France"
    picture = soup.select_one("figure.couverture-image svg[role=img]")
    assert picture.title.text.startswith("Population couverte dans les Hauts-de-France")
    assert "MSP : " in picture.desc.text and "habitants en zone blanche" in picture.desc.text
    # the zones blanches of each kind, by EPCI, the most populated first
    msp = soup.find("h2", string=lambda t: t and t.startswith("MSP :"))
    epcis = msp.find_next("table").select("tbody tr")
    populations = [int(tr.select("td")[1].text.replace("\u202f", "")) for tr in epcis]
    assert populations == sorted(populations, reverse=True)
    dunkerque = next(tr for tr in epcis if tr.th.text == "CU de Dunkerque")
    assert "sur" in dunkerque.select("td")[0].text  # Dunkerque has its MSP: partly covered
    page(client, "/territoires/region/99/couverture", 404)


def test_a_tas_says_its_perimeter_is_partial(client):
    soup = page(client, "/territoires/tas/hainaut")
    assert "n'est connu qu'en partie" in soup.find(id="titre-couverture").parent.text
