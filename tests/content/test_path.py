"""The path (« A oriente vers B pour ce public »): a steward records a referral with its
source through the form; the toile then draws that arrow (and no other), says it in words
under the drawing, and the fiches of both actors name it. On a private copy of the real
content, through the Flask test client."""

from __future__ import annotations

import html
import re

import pytest
from bs4 import BeautifulSoup

from santegraph.config import load_settings
from santegraph.steward.credentials import credential_line
from santegraph.store import EmbeddedStore
from santegraph.web import create_app

from .conftest import BASE, ROOT

TOKEN = "jeton-de-test-" + "x" * 24
ESAT = BASE + "acteur/esat-les-ateliers-de-la-lys"
PAPILLONS = BASE + "acteur/les-papillons-blancs"


@pytest.fixture
def web(loaded_content):
    store, _ = loaded_content
    copy = EmbeddedStore(":memory:")
    copy.pyoxigraph_store.extend(store.quads())
    settings = load_settings(
        {
            "content_dir": str(ROOT),
            "base_iri": BASE,
            "steward_tokens": credential_line("marie", TOKEN),
            "secret_key": "cle-de-session-de-test-" + "z" * 16,
        },
        environ={},
    )
    client = create_app(settings, store=copy).test_client()
    yield client
    copy.close()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def sign_in(web) -> str:
    field = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/steward/connexion").text)
    web.post("/steward/connexion", data={"nom": "marie", "jeton": TOKEN, "csrf_token": field[1]})
    page = web.get("/steward/orientation").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def record(web, token, **fields):
    data = {"csrf_token": token, "public": "personnes-handicap", **fields}
    return web.post("/steward/orientation", data=data)


def test_a_recorded_referral_becomes_the_arrow_and_the_words_of_the_toile(web):
    # no arrow before: nothing says who refers to whom
    before = soup(web.get("/publics/personnes-handicap"))
    assert not before.select("svg.toile path.lien")
    token = sign_in(web)
    # the form, pre-filled from the fiche's link
    form = soup(web.get(f"/steward/orientation?orienteur={ESAT}&public=personnes-handicap"))
    assert form.find("input", attrs={"name": "orienteur"})["value"] == "ESAT les ateliers de la Lys"
    chosen = form.find("select", attrs={"name": "public"}).find("option", selected=True)
    assert chosen["value"] == "personnes-handicap"

    response = record(
        web,
        token,
        orienteur="ESAT les ateliers de la Lys",
        destinataire="/acteurs/les-papillons-blancs",  # the fiche's address works too
        source="Convention fictive ESAT – Papillons Blancs du 3 mars 2025",
    )
    assert response.status_code == 302, html.unescape(response.text)
    preview = web.get(response.headers["Location"])
    assert "Conforme" in preview.text and "sg:Orientation" in preview.text
    web.post(response.headers["Location"], data={"csrf_token": token})

    toile = soup(web.get("/publics/personnes-handicap"))
    (arrow,) = toile.select(".toile-dessin svg.toile path.lien")
    (printed,) = toile.select(".toile-papier svg.toile path.lien")  # and on paper
    assert printed.title.text == arrow.title.text
    assert arrow.title.text == "ESAT les ateliers de la Lys oriente vers Les Papillons Blancs"
    (step,) = toile.select("ol.parcours li")
    said = " ".join(step.text.split())
    assert said.startswith("ESAT les ateliers de la Lys oriente vers Les Papillons Blancs")
    assert "pour les personnes en situation de handicap" in said
    assert "source : Convention fictive ESAT – Papillons Blancs du 3 mars 2025" in said
    # the fiches of both ends say it
    esat = soup(web.get("/acteurs/esat-les-ateliers-de-la-lys"))
    assert "Oriente vers Les Papillons Blancs" in esat.find(id="titre-parcours").parent.text
    papillons = soup(web.get("/acteurs/les-papillons-blancs"))
    assert "ESAT les ateliers de la Lys oriente vers lui" in " ".join(
        papillons.find(id="titre-parcours").parent.text.split()
    )
    # for another public the referral says nothing: no arrow on a toile of the précarité
    other = soup(web.get("/publics/personnes-precarite"))
    assert not other.select("svg.toile path.lien")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"orienteur": "Personne", "destinataire": "Les Papillons Blancs"}, "aucun acteur"),
        ({"orienteur": "Les Papillons Blancs", "destinataire": "Les Papillons Blancs"}, "lui-même"),
        ({"orienteur": "ESAT les ateliers de la Lys", "destinataire": "Les Papillons Blancs",
          "source": " "}, "Indiquez la source"),
        ({"orienteur": "ESAT les ateliers de la Lys", "destinataire": "Les Papillons Blancs",
          "public": "inconnu"}, "Choisissez le public"),
    ],
)  # fmt: skip
def test_a_referral_that_does_not_say_who_whom_or_why_is_refused(web, fields, message):
    token = sign_in(web)
    response = record(web, token, **({"source": "Convention fictive"} | fields))
    assert response.status_code == 400
    assert message in soup(response).select_one("div.alerte").text
    assert not soup(web.get("/publics/personnes-handicap")).select("svg.toile path.lien")
