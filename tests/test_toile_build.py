"""The toile's queries and model on every backend (embedded, oxigraph serve, Virtuoso),
on a tiny dataset written here: publics, needs and roles with a hierarchy, territories
with sg:inclusDans, actors stated on themselves, on a service and on their kind."""

import pyoxigraph as ox

from santegraph.loading import Loader
from santegraph.queries import PUBLIC
from santegraph.queries import catalogue as named_queries
from santegraph.store import EmbeddedStore
from santegraph.toile.build import KindFacts, build_toile, expected_kinds, load_vocabulary

from .conftest import BASE

SG = "https://w3id.org/santegraph/def#"
GRAPH = BASE + "graph/local/toile"

TINY = """
@prefix sg: <https://w3id.org/santegraph/def#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix cv: <http://data.europa.eu/m8g/> .
@prefix schema: <https://schema.org/> .

sg:DispositifJeunesse rdfs:subClassOf sg:Dispositif ; rdfs:label "dispositif jeunesse"@fr .
sg:MDA rdfs:subClassOf sg:DispositifJeunesse, sg:Acteur ; rdfs:label "maison des adolescents"@fr ;
    sg:sigle "MDA"@fr ; sg:public <public/adolescents> ; sg:besoin <besoin/prevention> .
sg:PAEJ rdfs:subClassOf sg:DispositifJeunesse, sg:Acteur ;
    rdfs:label "point accueil écoute jeunes"@fr ;
    sg:sigle "PAEJ"@fr ; sg:public <public/jeunes> .
sg:CCAS rdfs:subClassOf sg:Dispositif, sg:Acteur ;
    rdfs:label "centre communal d'action sociale"@fr ;
    sg:public <public/precarite> .
sg:Association rdfs:subClassOf sg:Acteur ; rdfs:label "association"@fr .

<public/jeunes> a sg:Public ; skos:prefLabel "Jeunes"@fr .
<public/adolescents> a sg:Public ; skos:prefLabel "Adolescents"@fr ; skos:broader <public/jeunes> .
<public/handicap> a sg:Public ; skos:prefLabel "Handicap"@fr .
<public/jeunes-handicap> a sg:Public ; skos:prefLabel "Jeunes handicapés"@fr ;
    skos:broader <public/jeunes>, <public/handicap> .
<public/precarite> a sg:Public ; skos:prefLabel "Précarité"@fr .
<besoin/prevention> a sg:Besoin ; skos:prefLabel "Prévention"@fr .
<besoin/depistage> a sg:Besoin ; skos:prefLabel "Dépistage"@fr ; skos:broader <besoin/prevention> .
<besoin/logement> a sg:Besoin ; skos:prefLabel "Logement"@fr .
<role/orientation> a sg:RoleParcours ; skos:prefLabel "Orientation"@fr .
<role/accompagnement> a sg:RoleParcours ; skos:prefLabel "Accompagnement"@fr .
<secteur/sanitaire> a sg:Secteur ; skos:prefLabel "Sanitaire"@fr ; sg:couleur "#1A85FF" .
<secteur/social> a sg:Secteur ; skos:prefLabel "Social"@fr ; sg:couleur "#D35FB7" .

<territoire/departement/59> a sg:Departement ; skos:prefLabel "Nord" ; sg:codeInsee "59" .
<territoire/epci/1> a sg:EPCI ; skos:prefLabel "CU de Dunkerque" ;
    sg:inclusDans <territoire/departement/59> .
<territoire/commune/59183> a sg:Commune ; skos:prefLabel "Dunkerque" ; sg:codeInsee "59183" ;
    sg:inclusDans <territoire/epci/1> .
<territoire/commune/59350> a sg:Commune ; skos:prefLabel "Lille" ; sg:codeInsee "59350" ;
    sg:inclusDans <territoire/departement/59> .

# stated on the actor, serves the département (contains Dunkerque and Lille)
<acteur/ado-nord> a sg:Association ; skos:prefLabel "Ados du Nord"@fr ;
    sg:public <public/adolescents> ; sg:besoin <besoin/depistage> ;
    sg:roleParcours <role/orientation> ; sg:secteur <secteur/sanitaire> ;
    sg:territoireDesservi <territoire/departement/59> ; schema:telephone "03 53 73 99 99" ;
    sg:orienteVers <acteur/mda-dunkerque> .
# an instance of a kind that states the public, located in Dunkerque
<acteur/mda-dunkerque> a sg:MDA ; skos:prefLabel "Maison des ados de Dunkerque"@fr ;
    sg:localisation <territoire/commune/59183> ; sg:secteur <secteur/social> .
# through a service, located in Lille
<acteur/espace-lille> a sg:Association ; skos:prefLabel "Espace jeunes Lille"@fr ;
    sg:localisation <territoire/commune/59350> ; sg:offre <service/espace-lille/ecoute> .
<service/espace-lille/ecoute> dct:audience <public/jeunes-handicap> ;
    cv:thematicArea <besoin/logement> ; sg:roleParcours <role/accompagnement> ;
    dct:description "Écoute et accompagnement"@fr .
# another public entirely
<acteur/aide-precarite> a sg:Association ; skos:prefLabel "Aide précarité"@fr ;
    sg:public <public/precarite> ; sg:territoireDesservi <territoire/departement/59> .

# the path: a referral for adolescents (the MDA), one for young people with a need
# (logement), one for another public, and a plain link that says for whom nothing
<orientation/1> a sg:Orientation ; sg:orienteur <acteur/ado-nord> ;
    sg:destinataire <acteur/mda-dunkerque> ; sg:public <public/adolescents> ;
    dct:source "Convention fictive n° 1"@fr .
<orientation/2> a sg:Orientation ; sg:orienteur <acteur/mda-dunkerque> ;
    sg:destinataire <acteur/espace-lille> ; sg:public <public/jeunes> ;
    sg:besoin <besoin/logement> ; dct:source <https://protocole.example.org/2> .
<orientation/3> a sg:Orientation ; sg:orienteur <acteur/espace-lille> ;
    sg:destinataire <acteur/ado-nord> ; sg:public <public/precarite> ;
    dct:source "Convention fictive n° 3"@fr .
<acteur/espace-lille> sg:orienteVers <acteur/mda-dunkerque> .
"""


def load(store):
    triples = list(ox.parse(TINY.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE))
    store.replace_graphs({GRAPH: triples})


def labels(toile):
    return sorted(a.label for a in toile.actors)


def test_toile_on_every_backend(store):
    load(store)
    catalogue = named_queries(PUBLIC)
    vocab = load_vocabulary(store, catalogue)
    jeunes = BASE + "public/jeunes"

    everywhere = build_toile(store, catalogue, public=jeunes, vocabulary=vocab)
    # narrower publics (adolescents, jeunes handicapés) and the kind's public (MDA) count
    assert labels(everywhere) == [
        "Ados du Nord",
        "Espace jeunes Lille",
        "Maison des ados de Dunkerque",
    ]
    assert everywhere.public_label == "Jeunes"
    assert [s.label for s in everywhere.sectors] == ["Sanitaire", "Social"]
    # arrows come from recorded referrals only, for this public (or a narrower or
    # broader one): not from the plain sg:orienteVers, not from the précarité referral
    assert [(lk.source, lk.target) for lk in everywhere.links] == [
        (BASE + "acteur/ado-nord", BASE + "acteur/mda-dunkerque"),
        (BASE + "acteur/mda-dunkerque", BASE + "acteur/espace-lille"),
    ]
    first, second = everywhere.links
    assert (first.public, first.need) == ("Adolescents", "")
    assert first.origin == "Convention fictive n° 1"
    assert (second.need, second.origin) == ("Logement", "https://protocole.example.org/2")
    # PAEJ is expected for jeunes and has no instance: a gap; MDA has one
    assert [g.kind_iri for g in everywhere.gaps] == [SG + "PAEJ"]

    dunkerque = build_toile(
        store,
        catalogue,
        public=jeunes,
        vocabulary=vocab,
        places=[BASE + "territoire/commune/59183"],
        place_label="Dunkerque",
    )
    # serves the département that contains Dunkerque, or is located in Dunkerque
    assert labels(dunkerque) == ["Ados du Nord", "Maison des ados de Dunkerque"]
    card = next(a for a in dunkerque.actors if a.label == "Ados du Nord")
    assert card.phone == "03 53 73 99 99"
    assert card.roles == ("Orientation",)
    assert card.sector.color == "#1A85FF"
    assert card.territories == ("Nord",)
    mda = next(a for a in dunkerque.actors if a.label.startswith("Maison"))
    assert mda.kind_iris == (SG + "MDA",)
    assert mda.kinds == ("maison des adolescents".capitalize(),)

    # the département: actors located inside it, or serving an area containing it
    nord = build_toile(
        store,
        catalogue,
        public=jeunes,
        vocabulary=vocab,
        places=[BASE + "territoire/departement/59"],
    )
    assert labels(nord) == labels(everywhere)

    # need: prévention keeps dépistage (narrower) and the MDA (kind states prévention)
    prevention = build_toile(
        store, catalogue, public=jeunes, vocabulary=vocab, besoin=BASE + "besoin/prevention"
    )
    assert labels(prevention) == ["Ados du Nord", "Maison des ados de Dunkerque"]
    # a referral that names another need is not drawn for this one
    assert [(lk.source, lk.target) for lk in prevention.links] == [
        (BASE + "acteur/ado-nord", BASE + "acteur/mda-dunkerque")
    ]
    # role, on a service
    accompagnement = build_toile(
        store, catalogue, public=jeunes, vocabulary=vocab, role=BASE + "role/accompagnement"
    )
    assert labels(accompagnement) == ["Espace jeunes Lille"]
    assert accompagnement.actors[0].what == "Écoute et accompagnement"

    # a broader public: the handicap actor list includes the jeunes handicapés service
    handicap = build_toile(store, catalogue, public=BASE + "public/handicap", vocabulary=vocab)
    assert labels(handicap) == ["Espace jeunes Lille"]
    # Lille: the MDA of Dunkerque is not there, so the MDA kind is a gap for adolescents
    ados_lille = build_toile(
        store,
        catalogue,
        public=BASE + "public/adolescents",
        vocabulary=vocab,
        places=[BASE + "territoire/commune/59350"],
    )
    assert labels(ados_lille) == ["Ados du Nord"]
    assert {g.kind_iri for g in ados_lille.gaps} == {SG + "MDA", SG + "PAEJ"}


def test_expected_kinds_rules():
    facts = {
        "mda": KindFacts({"ado"}, {"prev"}, {"acc"}),
        "clsm": KindFacts(set(), {"mental"}, set()),
        "paej": KindFacts({"ado"}, set(), set()),
    }
    assert expected_kinds(facts, {"ado"}, None, None) == ["mda", "paej"]
    # a need: the kind's need must match, or the kind states none
    assert expected_kinds(facts, {"ado"}, {"prev"}, None) == ["mda", "paej"]
    assert expected_kinds(facts, {"ado"}, {"mental"}, None) == ["clsm", "paej"]
    # a role the kind does not state
    assert expected_kinds(facts, {"ado"}, None, "orient") == ["paej"]
    assert expected_kinds(facts, {"autre"}, None, None) == []


def test_pages_and_indexes_on_every_backend(store):
    """The page queries that run unbound (indexes, counts, lists) on every backend."""
    from bs4 import BeautifulSoup

    from santegraph.config import load_settings
    from santegraph.search import build_indexes
    from santegraph.web import create_app

    from .conftest import ROOT

    load(store)
    indexes = build_indexes(store, named_queries(PUBLIC), BASE)
    assert [p.key for p in indexes.places.resolve("dunkerque")] == ["commune/59183"]
    hits = indexes.search.search("maison des ados")
    assert hits[0].entry.label == "Maison des ados de Dunkerque"  # start of the name
    assert [h.entry.iri for h in hits if h.entry.category == "dispositif"][0] == SG + "MDA"
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    client = create_app(settings, store=store).test_client()
    for url in ("/", "/publics", "/dispositifs", "/recherche?q=ados"):
        assert client.get(url).status_code == 200, url
    soup = BeautifulSoup(
        client.get("/publics/jeunes?lieu=Dunkerque&besoin=prevention").data, "html.parser"
    )
    names = [card.h3.a.text for card in soup.select("article.carte")]
    assert names == ["Ados du Nord", "Maison des ados de Dunkerque"]
    # the filter's options: kept per generation here, rendered per request on a remote store
    chosen = soup.find("select", attrs={"name": "besoin"}).find("option", selected=True)
    assert chosen["value"] == "prevention"


def test_pages_listing_propositions_on_every_backend(store):
    """With its seven optional filters in one query, propositions-et-actions exhausted
    Virtuoso 7's memory pool even here: these pages answered 500 on Virtuoso."""
    from santegraph.config import load_settings
    from santegraph.web import create_app

    from .conftest import ROOT

    load(store)
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    client = create_app(settings, store=store).test_client()
    for url in ("/dispositifs/MDA", "/territoires/commune/59183", "/propositions"):
        assert client.get(url).status_code == 200, url


def test_catalogue_query_actors_by_public_need_and_place_on_every_backend(store, settings):
    """queries/acteurs-par-public-et-lieu.rq (each facet joined to the set matching the
    bound values): narrower and broader publics and needs, places that contain or lie in
    the place; the listed publics, needs and territories are those that matched."""
    # A store that held other data first: Virtuoso 7 answered a `+` path of this query
    # wrongly only then (its plan depends on what the database has seen).
    Loader(store, settings, progress=False).ensure_content()
    for graph in store.list_graphs():
        store.drop_graph(graph)
    load(store)
    query = named_queries(PUBLIC)["acteurs-par-public-et-lieu"].text

    def run(store=store, **params):
        bindings = {
            k: [ox.NamedNode(BASE + v) for v in (vs if isinstance(vs, list) else [vs])]
            for k, vs in params.items()
        }
        out = []
        for row in store.select(query, bindings):

            def split(key, row=row):
                value = row.get(key)
                return frozenset(value.value.split(" ; ")) - {""} if value is not None else set()

            out.append(
                (
                    row["acteur"].value[len(BASE + "acteur/") :],
                    split("publics"),
                    split("besoins"),
                    split("territoires"),
                    split("selon"),
                )
            )
        return out

    everything = run()
    assert [a for a, *_ in everything] == [
        "ado-nord",
        "aide-precarite",
        "espace-lille",
        "mda-dunkerque",
    ]
    assert everything[3][1:] == (
        {"Adolescents"},
        {"Prévention"},
        {"Dunkerque"},
        {"type de dispositif"},
    )
    # a public: itself, narrower (adolescents, jeunes handicapés) and broader ones
    assert run(public="public/jeunes") == [
        ("ado-nord", {"Adolescents"}, {"Dépistage"}, {"Nord"}, {"acteur"}),
        ("espace-lille", {"Jeunes handicapés"}, {"Logement"}, {"Lille"}, {"service"}),
        ("mda-dunkerque", {"Adolescents"}, {"Prévention"}, {"Dunkerque"}, {"type de dispositif"}),
    ]
    assert [a for a, *_ in run(public="public/jeunes-handicap")] == ["espace-lille"]
    assert [a for a, *_ in run(public="public/precarite")] == ["aide-precarite"]
    assert [a for a, *_ in run(public=["public/handicap", "public/precarite"])] == [
        "aide-precarite",
        "espace-lille",
    ]
    assert run(public="public/inconnu") == []
    # a need: narrower (dépistage under prévention) and broader
    assert [a for a, *_ in run(besoin="besoin/prevention")] == ["ado-nord", "mda-dunkerque"]
    assert [a for a, *_ in run(besoin="besoin/depistage")] == ["ado-nord", "mda-dunkerque"]
    # a place: territories containing it (département, EPCI) or inside it; only those listed
    assert run(lieu="territoire/commune/59183") == [
        ("ado-nord", {"Adolescents"}, {"Dépistage"}, {"Nord"}, {"acteur"}),
        ("aide-precarite", {"Précarité"}, set(), {"Nord"}, {"acteur"}),
        ("mda-dunkerque", {"Adolescents"}, {"Prévention"}, {"Dunkerque"}, {"type de dispositif"}),
    ]
    assert [a for a, *_ in run(lieu="territoire/epci/1")] == [
        "ado-nord",
        "aide-precarite",
        "mda-dunkerque",
    ]
    assert len(run(lieu="territoire/departement/59")) == 4
    assert run(
        public="public/jeunes", besoin="besoin/logement", lieu="territoire/commune/59350"
    ) == [("espace-lille", {"Jeunes handicapés"}, {"Logement"}, {"Lille"}, {"service"})]
    assert [a for a, *_ in run(public="public/precarite", lieu="territoire/commune/59350")] == [
        "aide-precarite"
    ]
    assert run(public="public/precarite", besoin="besoin/logement") == []
    # Virtuoso 7 once lost, with a place bound, the actors whose territory is the place
    # itself or one step from it: those combinations, two values at once and nothing bound
    dept, lille, dunkerque = (
        "territoire/departement/59",
        "territoire/commune/59350",
        "territoire/commune/59183",
    )
    assert run(public="public/jeunes", lieu=dept) == [
        ("ado-nord", {"Adolescents"}, {"Dépistage"}, {"Nord"}, {"acteur"}),
        ("espace-lille", {"Jeunes handicapés"}, {"Logement"}, {"Lille"}, {"service"}),
        ("mda-dunkerque", {"Adolescents"}, {"Prévention"}, {"Dunkerque"}, {"type de dispositif"}),
    ]
    assert run(public="public/jeunes", lieu=lille) == [
        ("ado-nord", {"Adolescents"}, {"Dépistage"}, {"Nord"}, {"acteur"}),
        ("espace-lille", {"Jeunes handicapés"}, {"Logement"}, {"Lille"}, {"service"}),
    ]
    assert run(besoin="besoin/logement", lieu=lille) == [
        ("espace-lille", {"Jeunes handicapés"}, {"Logement"}, {"Lille"}, {"service"}),
    ]
    assert [a for a, *_ in run(besoin="besoin/prevention", lieu=dept)] == [
        "ado-nord",
        "mda-dunkerque",
    ]
    assert [a for a, *_ in run(public=["public/handicap", "public/precarite"], lieu=lille)] == [
        "aide-precarite",
        "espace-lille",
    ]
    assert run(public="public/jeunes", lieu=[dunkerque, lille]) == [
        ("ado-nord", {"Adolescents"}, {"Dépistage"}, {"Nord"}, {"acteur"}),
        ("espace-lille", {"Jeunes handicapés"}, {"Logement"}, {"Lille"}, {"service"}),
        ("mda-dunkerque", {"Adolescents"}, {"Prévention"}, {"Dunkerque"}, {"type de dispositif"}),
    ]
    assert run(public="public/jeunes", lieu=[dunkerque, lille], besoin="besoin/logement") == [
        ("espace-lille", {"Jeunes handicapés"}, {"Logement"}, {"Lille"}, {"service"}),
    ]
    # every server gives the embedded store's answers (all columns) on a grid of values
    if isinstance(store, EmbeddedStore):
        return  # it is the reference
    reference = EmbeddedStore(":memory:")
    load(reference)
    for public in (None, "public/jeunes", ["public/handicap", "public/precarite"]):
        for besoin in (None, "besoin/prevention", "besoin/logement"):
            for lieu in (None, dunkerque, lille, "territoire/epci/1", dept, [dunkerque, lille]):
                params = {
                    k: v
                    for k, v in (("public", public), ("besoin", besoin), ("lieu", lieu))
                    if v is not None
                }
                assert run(**params) == run(reference, **params), params
