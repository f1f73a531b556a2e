"""Steward workflow on the web and for tools, on every backend.

People: sign in (name + token) -> submit -> preview (diff, report, dependants) -> confirm;
correct; withdraw; the public journal. Every form POST carries the session's CSRF token.
Tools: the Graph Store Protocol on /store and SPARQL Update on /update, with a Bearer or
Basic credential; refused writes leave the store exactly as it was.
"""

from __future__ import annotations

import base64
import html
import re
import threading

import pyoxigraph as ox
import pytest
import requests
from bs4 import BeautifulSoup
from SPARQLWrapper import POST, SPARQLWrapper

from santegraph.config import load_settings
from santegraph.loading import Loader
from santegraph.steward.credentials import credential_line
from santegraph.web import create_app

from .conftest import BASE, MINI, SUBMISSIONS, live_server, sorted_quads

TOKEN = "jeton-de-test-" + "x" * 24
OTHER_TOKEN = "autre-jeton-de-test-" + "y" * 20
PREFIXES = (
    "@prefix sg: <https://w3id.org/santegraph/def#> .\n"
    "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
)
MSP = PREFIXES + (
    '<acteur/msp-du-port> a sg:MSP ; skos:prefLabel "MSP du Port"@fr ;\n'
    '  sg:localisation <territoire/commune/59183> ; sg:telephone "03 53 73 00 00" .\n'
)
SUBMISSION_GRAPH = BASE + "graph/soumission/outil"


def steward_settings(**overrides):
    values = {
        "content_dir": str(MINI),
        "base_iri": BASE,
        "steward_tokens": ",".join(
            [credential_line("marie", TOKEN), credential_line("paul", OTHER_TOKEN)]
        ),
        "secret_key": "cle-de-session-de-test-" + "z" * 16,
        **overrides,
    }
    return load_settings(values, environ={})


@pytest.fixture
def app(store):
    settings = steward_settings()
    Loader(store, settings, progress=False).ensure_content()
    return create_app(settings, store=store)


@pytest.fixture
def web(app):
    return app.test_client()


def csrf(response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(web, name="marie", token=TOKEN) -> str:
    token_field = csrf(web.get("/steward/connexion"))
    response = web.post(
        "/steward/connexion", data={"nom": name, "jeton": token, "csrf_token": token_field}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf(web.get("/steward/soumettre"))


def submit(web, token_field, text=MSP, **fields):
    data = {"texte": text, "format": "turtle", "csrf_token": token_field, **fields}
    return web.post("/steward/soumettre", data=data)


def basic(name="marie", token=TOKEN) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{token}".encode()).decode()}


# ---------------------------------------------------------------------- signing in
def test_steward_pages_ask_to_sign_in_first(web):
    response = web.get("/steward/soumettre")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/steward/connexion?suivant=/steward/soumettre")


def test_wrong_credentials_are_refused_with_a_french_message(web, store):
    token_field = csrf(web.get("/steward/connexion"))
    for name, token in [("marie", OTHER_TOKEN), ("inconnu", TOKEN), ("marie", "court")]:
        response = web.post(
            "/steward/connexion", data={"nom": name, "jeton": token, "csrf_token": token_field}
        )
        assert response.status_code == 401
        assert "Nom ou jeton incorrect." in response.get_data(as_text=True)
    assert web.get("/steward/soumettre").status_code == 302


def test_sign_in_without_csrf_token_is_refused(web):
    web.get("/steward/connexion")
    response = web.post("/steward/connexion", data={"nom": "marie", "jeton": TOKEN})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_sign_in_never_redirects_off_site(web):
    token_field = csrf(web.get("/steward/connexion"))
    response = web.post(
        "/steward/connexion",
        data={
            "nom": "marie",
            "jeton": TOKEN,
            "csrf_token": token_field,
            "suivant": "//evil.example/",
        },
    )
    assert response.headers["Location"] == "/steward/"


def test_sign_out_ends_the_session(web):
    token_field = sign_in(web)
    assert web.post("/steward/deconnexion", data={"csrf_token": token_field}).status_code == 302
    assert web.get("/steward/").status_code == 302


def test_sign_out_ends_the_session_on_the_server_too(app, store):
    """A copy of the cookie taken before signing out no longer signs anyone in."""
    web = app.test_client()
    token_field = sign_in(web)
    stolen = web.get_cookie("session").value
    web.post("/steward/deconnexion", data={"csrf_token": token_field})

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = submit(replay, token_field)  # the CSRF token of the old session, too
    assert response.status_code == 401
    replay.set_cookie("session", stolen)
    assert replay.get("/steward/").status_code == 302  # to the sign-in page
    assert not [g for g in store.list_graphs() if "/soumission/" in g]


def test_failed_sign_ins_are_logged_and_limited_per_address(store, caplog):
    settings = steward_settings(signin_failure_limit=3, signin_failure_window=600)
    Loader(store, settings, progress=False).ensure_content()
    app = create_app(settings, store=store)
    now = [1000.0]
    app.extensions["santegraph"].signins.clock = lambda: now[0]
    web = app.test_client()
    token_field = csrf(web.get("/steward/connexion"))

    def attempt(token):
        data = {"nom": "marie", "jeton": token, "csrf_token": token_field}
        return web.post("/steward/connexion", data=data)

    with caplog.at_level("WARNING", logger="santegraph.audit"):
        assert [attempt(OTHER_TOKEN).status_code for _ in range(3)] == [401, 401, 401]
        locked = attempt(TOKEN)  # the right token, from a locked address
        assert locked.status_code == 429 and locked.headers["Retry-After"] == "600"
        text = BeautifulSoup(locked.get_data(as_text=True), "html.parser").get_text()
        assert "Trop d'essais de connexion infructueux" in text
        tool = web.put(
            f"/store?graph={SUBMISSION_GRAPH}",
            data=MSP,
            content_type="text/turtle",
            headers=basic(),
        )
        assert tool.status_code == 429  # the same count for tools
    failures = [
        r.getMessage() for r in caplog.records if "failed steward sign-in" in r.getMessage()
    ]
    assert len(failures) == 3
    assert "channel=web client=127.0.0.1 name='marie'" in failures[0]
    assert any("sign-ins locked: client=127.0.0.1" in r.getMessage() for r in caplog.records)

    now[0] += 600  # the window has passed
    assert attempt(TOKEN).status_code == 302


def test_wrong_tool_credentials_count_too(store, caplog):
    settings = steward_settings(signin_failure_limit=2)
    Loader(store, settings, progress=False).ensure_content()
    web = create_app(settings, store=store).test_client()
    url = f"/store?graph={SUBMISSION_GRAPH}"
    with caplog.at_level("WARNING", logger="santegraph.audit"):
        statuses = [
            web.put(url, data=MSP, content_type="text/turtle", headers=h).status_code
            for h in (basic("marie", OTHER_TOKEN), {"Authorization": "Bearer faux" * 5}, basic())
        ]
    assert statuses == [401, 401, 429]
    assert "channel=store client=127.0.0.1 name='marie'" in caplog.records[0].getMessage()
    assert web.get(url).status_code == 404  # reads stay public and are not counted


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"steward_tokens": ""}, 403, "Les écritures sont désactivées"),
        ({"secret_key": ""}, 503, "sessions des référents sont désactivées"),
    ],
)
def test_without_credentials_or_session_key_the_workflow_is_closed(
    store, overrides, status, message
):
    settings = steward_settings(**overrides)
    web = create_app(settings, store=store).test_client()
    response = web.get("/steward/connexion")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


# ---------------------------------------------------------------------- submit
def test_submit_previews_then_writes_on_confirmation(web, store):
    token_field = sign_in(web)
    response = submit(web, token_field, commentaire="nouvelle MSP")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert preview_url.startswith("/steward/apercu/")
    assert not [g for g in store.list_graphs() if "/soumission/" in g]  # nothing yet

    page = web.get(preview_url).get_data(as_text=True)
    assert "Dépôt" in page and "entrée ajoutée" in page
    assert "4 triplet(s) ajouté(s), 0 retiré(s)" in page
    assert "Conforme" in page and "Confirmer et enregistrer" in page

    response = web.post(preview_url, data={"csrf_token": token_field})
    assert response.status_code == 302
    (graph,) = [g for g in store.list_graphs() if "/soumission/" in g]
    assert store.count_triples(graph) == 4
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Enregistré." in page and "nouvelle MSP" in page and "marie" in page

    journal = web.get("/steward/journal").get_data(as_text=True)  # public
    assert "Dépôt" in journal and "nouvelle MSP" in journal


def test_a_preview_cannot_be_confirmed_twice(web, store):
    token_field = sign_in(web)
    preview_url = submit(web, token_field).headers["Location"]
    assert web.post(preview_url, data={"csrf_token": token_field}).status_code == 302
    again = web.post(preview_url, data={"csrf_token": token_field})
    assert again.status_code == 404
    assert len([g for g in store.list_graphs() if "/soumission/" in g]) == 1


def test_another_steward_cannot_confirm_my_preview(app, store):
    marie, paul = app.test_client(), app.test_client()
    preview_url = submit(marie, sign_in(marie)).headers["Location"]
    paul_field = sign_in(paul, "paul", OTHER_TOKEN)
    assert paul.post(preview_url, data={"csrf_token": paul_field}).status_code == 404
    assert not [g for g in store.list_graphs() if "/soumission/" in g]


def test_form_post_without_csrf_token_writes_nothing(web, store):
    token_field = sign_in(web)
    preview_url = submit(web, token_field).headers["Location"]
    before = sorted_quads(store)
    assert web.post(preview_url, data={}).status_code == 400
    assert web.post(preview_url, data={"csrf_token": "faux"}).status_code == 400
    assert submit(web, "faux").status_code == 400
    assert sorted_quads(store) == before


def test_violations_are_shown_and_block_the_confirmation(web, store):
    token_field = sign_in(web)
    text = (SUBMISSIONS / "unknown-commune.ttl").read_text()
    preview_url = submit(web, token_field, text=text).headers["Location"]
    page = web.get(preview_url).get_data(as_text=True)
    assert "Non conforme" in page and "Confirmer et enregistrer" not in page
    assert "doit être une commune connue." in page
    before = sorted_quads(store)
    response = web.post(preview_url, data={"csrf_token": token_field})
    assert response.status_code == 422
    assert sorted_quads(store) == before


def test_warnings_must_be_acknowledged_before_writing(web, store):
    token_field = sign_in(web)
    no_phone = PREFIXES + '<acteur/y> a sg:MSP ; skos:prefLabel "Y"@fr .'
    preview_url = submit(web, token_field, text=no_phone).headers["Location"]
    page = web.get(preview_url).get_data(as_text=True)
    assert "J'ai lu les 1 avertissement(s)" in page
    response = web.post(preview_url, data={"csrf_token": token_field})
    assert response.status_code == 400
    assert "avertissement(s) à lire et accepter" in response.get_data(as_text=True)
    assert not [g for g in store.list_graphs() if "/soumission/" in g]
    response = web.post(preview_url, data={"csrf_token": token_field, "avertissements": "lus"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ((SUBMISSIONS / "broken.ttl").read_text(), "ligne 6"),
        ("", "Choisissez un fichier ou collez un texte."),
    ],
)
def test_malformed_submissions_are_a_400_with_the_reason(web, store, text, expected):
    token_field = sign_in(web)
    before = sorted_quads(store)
    response = submit(web, token_field, text=text)
    assert response.status_code == 400
    assert expected in response.get_data(as_text=True)
    assert sorted_quads(store) == before


def test_too_large_submission_is_a_413(store):
    settings = steward_settings(max_upload_bytes=3000)
    Loader(store, settings, progress=False).ensure_content()
    web = create_app(settings, store=store).test_client()
    token_field = sign_in(web)
    response = submit(web, token_field, text=MSP + "#" * 5000)
    assert response.status_code == 413
    # the app's error answer: the checking form's own 413 page is for /steward/validate
    assert response.json["error"] == "Request Entity Too Large"


def test_hostile_values_are_escaped_in_the_preview(web):
    token_field = sign_in(web)
    hostile = MSP.replace('"MSP du Port"@fr', '"<script>alert(1)</script>"@fr')
    page = web.get(submit(web, token_field, text=hostile).headers["Location"]).get_data(
        as_text=True
    )
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ---------------------------------------------------------------------- correct, withdraw
def _deposit(web, token_field, text=MSP) -> str:
    preview_url = submit(web, token_field, text=text).headers["Location"]
    response = web.post(preview_url, data={"csrf_token": token_field, "avertissements": "lus"})
    return response.headers["Location"].split("?")[0]  # /steward/soumissions/<sid>


def test_sending_an_entry_again_offers_to_correct_its_submission(web, store):
    token_field = sign_in(web)
    page_url = _deposit(web, token_field)
    (graph,) = [g for g in store.list_graphs() if "/soumission/" in g]
    again = MSP.replace("03 53 73 00 00", "01 99 00 00 06")
    preview_url = submit(web, token_field, text=again).headers["Location"]
    page = BeautifulSoup(web.get(preview_url).get_data(as_text=True), "html.parser")
    section = page.select_one("section.doublons")
    assert section is not None and "même IRI" in section.get_text()
    offer = section.select_one("form[action$='/corriger']")
    assert offer.find("input", {"name": "graphe"})["value"] == graph
    assert page.find("input", {"name": "doublons"}).has_attr("required")

    # confirming without ticking "not a duplicate" writes nothing
    before = sorted_quads(store)
    refused = web.post(preview_url, data={"csrf_token": token_field})
    assert refused.status_code == 400 and "doublon" in refused.get_data(as_text=True)
    assert sorted_quads(store) == before

    # the offer: the same text as a correction of the existing submission
    response = web.post(offer["action"], data={"csrf_token": token_field, "graphe": graph})
    correction = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Correction" in correction and "entrée modifiée" in correction
    assert "Doublons possibles" not in correction
    assert (
        web.post(response.headers["Location"], data={"csrf_token": token_field}).status_code == 302
    )
    assert [g for g in store.list_graphs() if "/soumission/" in g] == [graph]
    phones = {q.object.value for q in store.match(graph=ox.NamedNode(graph))} & {
        "03 53 73 00 00",
        "01 99 00 00 06",
    }
    assert phones == {"01 99 00 00 06"}
    assert page_url.endswith(graph.rsplit("/", 1)[-1])


def test_a_duplicate_may_be_written_once_acknowledged(web, store):
    token_field = sign_in(web)
    _deposit(web, token_field)
    preview_url = submit(web, token_field).headers["Location"]
    response = web.post(preview_url, data={"csrf_token": token_field, "doublons": "vus"})
    assert response.status_code == 302
    assert len([g for g in store.list_graphs() if "/soumission/" in g]) == 2


def test_correction_keeps_the_previous_version_downloadable(web, store):
    token_field = sign_in(web)
    page_url = _deposit(web, token_field)
    corrected = MSP.replace('"MSP du Port"@fr', '"MSP du Port de Dunkerque"@fr')
    response = web.post(
        page_url + "/corriger",
        data={"texte": corrected, "format": "turtle", "csrf_token": token_field},
    )
    preview = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Correction" in preview and "entrée modifiée" in preview
    assert "1 triplet(s) ajouté(s), 1 retiré(s)" in preview
    web.post(response.headers["Location"], data={"csrf_token": token_field})

    page = web.get(page_url).get_data(as_text=True)
    assert "MSP du Port de Dunkerque" in page
    (previous,) = re.findall(r'href="(/steward/journal/[^"]+/avant\.nt)"', page)
    old = web.get(previous)
    assert old.mimetype == "application/n-triples"
    assert '"MSP du Port"@fr' in old.get_data(as_text=True)


def test_reporting_an_error_opens_a_prefilled_proposal(web, store):
    """« Signaler une erreur » on a fiche: the steward lands on a form holding the entry's
    description; for an entry of one submission it corrects that submission, for an entry
    of the content files it deposits a new one; the preview comes before any write."""
    entry = BASE + "acteur/msp-du-port"
    response = web.get("/steward/signaler", query_string={"entree": entry})
    assert response.status_code == 302  # sign in first, then come back here
    assert response.headers["Location"].startswith("/steward/connexion?suivant=/steward/signaler")
    token_field = sign_in(web)
    page_url = _deposit(web, token_field)
    form = web.get("/steward/signaler", query_string={"entree": entry}).get_data(as_text=True)
    assert f'action="{page_url}/corriger"' in form
    assert "MSP du Port" in form and "skos:prefLabel" in form
    assert "Signalement d&#39;une erreur sur la fiche « MSP du Port »" in form
    text = re.search(r'<textarea id="texte" name="texte"[^>]*>(.*?)</textarea>', form, re.S)
    corrected = html.unescape(text.group(1)).replace("MSP du Port", "MSP du Port Est")
    response = web.post(
        page_url + "/corriger",
        data={"texte": corrected, "format": "turtle", "csrf_token": token_field},
    )
    assert response.headers["Location"].startswith("/steward/apercu/")
    preview = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Correction" in preview and "MSP du Port Est" in preview
    # an entry of the content files: a new deposit
    form = web.get(
        "/steward/signaler", query_string={"entree": BASE + "acteur/cpts-sud-metropole-lilloise"}
    ).get_data(as_text=True)
    assert 'action="/steward/soumettre"' in form and "CPTS Sud Métropole Lilloise" in form
    assert web.get("/steward/signaler", query_string={"entree": BASE + "nope"}).status_code == 404


def test_withdraw_shows_dependants_and_refuses_to_break_them(web, store):
    token_field = sign_in(web)
    commune = PREFIXES + (
        '<territoire/commune/59999> a sg:Commune ; skos:prefLabel "Neuve"@fr ;'
        ' sg:codeInsee "59999" .'
    )
    commune_page = _deposit(web, token_field, commune)
    _deposit(web, token_field, MSP.replace("59183", "59999"))
    response = web.post(commune_page + "/retirer", data={"csrf_token": token_field})
    preview = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "pointent vers des entrées retirées" in preview
    assert BASE + "acteur/msp-du-port" in preview
    assert "Non conforme" in preview
    before = sorted_quads(store)
    assert (
        web.post(response.headers["Location"], data={"csrf_token": token_field}).status_code == 422
    )
    assert sorted_quads(store) == before


def test_withdraw_without_dependants_removes_the_graph(web, store):
    token_field = sign_in(web)
    page_url = _deposit(web, token_field)
    response = web.post(
        page_url + "/retirer", data={"csrf_token": token_field, "commentaire": "doublon"}
    )
    done = web.post(response.headers["Location"], data={"csrf_token": token_field})
    assert done.status_code == 302
    assert not [g for g in store.list_graphs() if "/soumission/" in g]
    journal = web.get(done.headers["Location"]).get_data(as_text=True)
    assert "Retrait" in journal and "doublon" in journal


def test_one_entry_of_a_submission_can_be_withdrawn(web, store):
    token_field = sign_in(web)
    other = '<acteur/autre> a sg:MSP ; skos:prefLabel "Autre"@fr ; sg:telephone "1" .\n'
    page_url = _deposit(web, token_field, MSP + other)
    page = BeautifulSoup(web.get(page_url).get_data(as_text=True), "html.parser")
    entries = {
        form.find("input", {"name": "entree"})["value"]: form
        for form in page.select("form[action$='/retirer-entree']")
    }
    assert set(entries) == {BASE + "acteur/autre", BASE + "acteur/msp-du-port"}

    response = web.post(
        page_url + "/retirer-entree",
        data={"csrf_token": token_field, "entree": BASE + "acteur/autre"},
    )
    preview = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "entrée retirée" in preview
    assert (
        web.post(response.headers["Location"], data={"csrf_token": token_field}).status_code == 302
    )
    (graph,) = [g for g in store.list_graphs() if "/soumission/" in g]
    subjects = {q.subject.value for q in store.match(graph=ox.NamedNode(graph))}
    assert subjects == {BASE + "acteur/msp-du-port"}


def test_another_steward_may_neither_correct_nor_withdraw_my_submission(app, store):
    marie, paul = app.test_client(), app.test_client()
    page_url = _deposit(marie, sign_in(marie))
    paul_field = sign_in(paul, "paul", OTHER_TOKEN)
    page = paul.get(page_url).get_data(as_text=True)
    assert "déposée par marie" in page
    assert "/corriger" not in page and "/retirer" not in page  # no form offered
    before = sorted_quads(store)
    for action, data in [
        ("/corriger", {"texte": MSP, "format": "turtle"}),
        ("/retirer", {}),
        ("/retirer-entree", {"entree": BASE + "acteur/msp-du-port"}),
    ]:
        response = paul.post(page_url + action, data={"csrf_token": paul_field, **data})
        assert response.status_code == 403, action
        assert "seuls son auteur" in response.get_data(as_text=True)
    assert sorted_quads(store) == before


def test_a_reviewer_may_correct_and_an_admin_withdraw_any_submission(store):
    settings = steward_settings(steward_roles="paul:reviewer")
    Loader(store, settings, progress=False).ensure_content()
    app = create_app(settings, store=store)
    marie, paul = app.test_client(), app.test_client()
    page_url = _deposit(marie, sign_in(marie))
    paul_field = sign_in(paul, "paul", OTHER_TOKEN)
    page = paul.get(page_url).get_data(as_text=True)
    assert "/corriger" in page and "/retirer" not in page
    fixed = MSP.replace("03 53 73 00 00", "01 99 00 00 03")
    response = paul.post(
        page_url + "/corriger", data={"texte": fixed, "format": "turtle", "csrf_token": paul_field}
    )
    assert response.status_code == 302
    assert paul.post(page_url + "/retirer", data={"csrf_token": paul_field}).status_code == 403

    admin = create_app(steward_settings(steward_roles="paul:admin"), store=store).test_client()
    admin_field = sign_in(admin, "paul", OTHER_TOKEN)
    response = admin.post(page_url + "/retirer", data={"csrf_token": admin_field})
    assert response.status_code == 302
    assert (
        admin.post(response.headers["Location"], data={"csrf_token": admin_field}).status_code
        == 302
    )
    assert not [g for g in store.list_graphs() if "/soumission/" in g]


def test_tools_are_told_of_the_duplicates_they_write(web):
    first = web.put(
        f"/store?graph={SUBMISSION_GRAPH}", data=MSP, content_type="text/turtle", headers=basic()
    )
    assert first.get_json()["duplicates"] == []
    second = web.put(
        f"/store?graph={SUBMISSION_GRAPH}-bis",
        data=MSP,
        content_type="text/turtle",
        headers=basic(),
    )
    assert second.status_code == 201  # tools have no preview: written, and said
    (duplicate,) = second.get_json()["duplicates"]
    assert (duplicate["reason"], duplicate["graph"]) == ("même IRI", SUBMISSION_GRAPH)


def test_a_graph_name_that_climbs_out_of_the_steward_space_is_refused(web, store):
    before = sorted_quads(store)
    graph = BASE + "graph/soumission/../journal"
    response = web.put(
        f"/store?graph={graph}", data=MSP, content_type="text/turtle", headers=basic()
    )
    assert response.status_code == 403
    assert "nom de soumission invalide" in response.get_json()["message"]
    assert sorted_quads(store) == before


def test_tools_are_held_to_the_same_roles(web, store):
    assert (
        web.put(
            f"/store?graph={SUBMISSION_GRAPH}",
            data=MSP,
            content_type="text/turtle",
            headers=basic(),
        ).status_code
        == 201
    )
    before = sorted_quads(store)
    other = basic("paul", OTHER_TOKEN)
    put = web.put(
        f"/store?graph={SUBMISSION_GRAPH}", data=MSP, content_type="text/turtle", headers=other
    )
    delete = web.delete(f"/store?graph={SUBMISSION_GRAPH}", headers=other)
    update = web.post(
        "/update",
        data=f"DELETE WHERE {{ GRAPH <{SUBMISSION_GRAPH}> {{ ?s ?p ?o }} }}",
        content_type="application/sparql-update",
        headers=other,
    )
    assert [r.status_code for r in (put, delete, update)] == [403, 403, 403]
    assert "déposée par marie" in delete.get_json()["message"]
    assert sorted_quads(store) == before


def test_the_journal_answers_on_the_public_sparql_endpoint(web):
    _deposit(web, sign_in(web))
    query = (
        "PREFIX sg: <https://w3id.org/santegraph/def#> "
        "PREFIX prov: <http://www.w3.org/ns/prov#> "
        "SELECT ?who WHERE { ?e a sg:Depot ; prov:wasAssociatedWith ?who }"
    )
    response = web.get(
        "/sparql",
        query_string={"query": query},
        headers={"Accept": "application/sparql-results+json"},
    )
    bindings = response.get_json()["results"]["bindings"]
    assert [b["who"]["value"] for b in bindings] == [BASE + "referent/marie"]


# ---------------------------------------------------------------------- tools: /store
def test_graph_store_writes_need_a_credential(web, store):
    before = sorted_quads(store)
    url = f"/store?graph={SUBMISSION_GRAPH}"
    anonymous = web.put(url, data=MSP, content_type="text/turtle")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    wrong = web.put(url, data=MSP, content_type="text/turtle", headers=basic("marie", OTHER_TOKEN))
    assert wrong.status_code == 401
    bearer_wrong = web.delete(url, headers={"Authorization": "Bearer " + "z" * 40})
    assert bearer_wrong.status_code == 401
    assert sorted_quads(store) == before


def test_graph_store_put_get_post_delete(web, store):
    url = f"/store?graph={SUBMISSION_GRAPH}"
    created = web.put(url, data=MSP, content_type="text/turtle", headers=basic())
    assert created.status_code == 201
    assert created.get_json()["graphs"][0] | {"graph": None} == {
        "graph": None,
        "operation": "Depot",
        "version": 1,
        "added": 4,
        "removed": 0,
    }
    read = web.get(url, headers={"Accept": "application/n-triples"})  # public read
    assert read.status_code == 200 and read.get_data(as_text=True).count("\n") == 4
    more = f'<{BASE}acteur/msp-du-port> <http://www.w3.org/2004/02/skos/core#altLabel> "Port"@fr .'
    merged = web.post(
        url,
        data=more,
        content_type="application/n-triples",
        headers={"Authorization": "Bearer " + TOKEN},
    )
    assert merged.status_code == 200 and merged.get_json()["graphs"][0]["operation"] == "Correction"
    assert store.count_triples(SUBMISSION_GRAPH) == 5
    deleted = web.delete(url, headers=basic())
    assert deleted.status_code == 200 and deleted.get_json()["graphs"][0]["operation"] == "Retrait"
    assert web.get(url).status_code == 404
    kinds = [e["kind"] for e in web.application.extensions["santegraph"].stewardship.history()]
    assert kinds == ["Retrait", "Correction", "Depot"]


@pytest.mark.parametrize(
    ("graph", "body", "content_type", "status"),
    [
        (SUBMISSION_GRAPH, (SUBMISSIONS / "unknown-commune.ttl").read_text(), "text/turtle", 422),
        (SUBMISSION_GRAPH, (SUBMISSIONS / "broken.ttl").read_text(), "text/turtle", 400),
        (SUBMISSION_GRAPH, MSP, "text/plain", 415),
        (BASE + "graph/acteurs/cpts", MSP, "text/turtle", 403),
        (BASE + "graph/journal", MSP, "text/turtle", 403),
        ("pas une IRI", MSP, "text/turtle", 400),
    ],
)
def test_graph_store_refusals_leave_the_store_unchanged(
    web, store, graph, body, content_type, status
):
    before = sorted_quads(store)
    response = web.put(
        "/store",
        query_string={"graph": graph},
        data=body,
        content_type=content_type,
        headers=basic(),
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["message"]
    if status == 422:
        assert response.get_json()["report"]["violations"] == 1
    assert sorted_quads(store) == before


def test_graph_store_refuses_writes_when_no_steward_is_configured(store):
    settings = steward_settings(steward_tokens="")
    web = create_app(settings, store=store).test_client()
    response = web.put(
        f"/store?graph={SUBMISSION_GRAPH}", data=MSP, content_type="text/turtle", headers=basic()
    )
    assert response.status_code == 403


# ---------------------------------------------------------------------- tools: /update
INSERT_MSP = f"""PREFIX sg: <https://w3id.org/santegraph/def#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
INSERT DATA {{ GRAPH <{SUBMISSION_GRAPH}> {{
  <{BASE}acteur/msp-du-port> a sg:MSP ; skos:prefLabel "MSP du Port"@fr ;
    sg:localisation <{BASE}territoire/commune/59183> ; sg:telephone "03" .
}} }}"""


def test_update_applies_through_the_gate_and_is_journaled(web, store):
    response = web.post(
        "/update", data=INSERT_MSP, content_type="application/sparql-update", headers=basic()
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert store.count_triples(SUBMISSION_GRAPH) == 4
    drop_label = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
WITH <{SUBMISSION_GRAPH}> DELETE {{ ?s skos:prefLabel ?l }} WHERE {{ ?s skos:prefLabel ?l }}"""
    before = sorted_quads(store)
    refused = web.post("/update", data={"update": drop_label}, headers=basic())
    assert refused.status_code == 422  # an actor without a name: a violation
    assert sorted_quads(store) == before  # nothing applied, nothing to roll back
    history = web.application.extensions["santegraph"].stewardship.history()
    assert [(e["kind"], e["channel"]) for e in history] == [("Depot", "sparql-update")]


@pytest.mark.parametrize(
    ("update", "status"),
    [
        (f"INSERT DATA {{ <{BASE}a> <{BASE}b> <{BASE}c> }}", 403),  # the default graph
        (f"CLEAR GRAPH <{BASE}graph/acteurs/cpts>", 403),  # a content graph
        ("LOAD <http://example.org/data.ttl>", 403),  # no fetching from the server
        ("LOAD SILENT <http://example.org/data.ttl>", 403),  # SILENT or not
        (f"DELETE DATA {{ GRAPH <{BASE}graph/soumission/x> {{ _:a <{BASE}b> 1 }} }}", 400),
        ("INSERT DATA {", 400),
        ("", 400),
    ],
)
def test_update_refusals(web, store, update, status):
    before = sorted_quads(store)
    response = web.post(
        "/update", data=update, content_type="application/sparql-update", headers=basic()
    )
    assert response.status_code == status, response.get_data(as_text=True)
    assert sorted_quads(store) == before


def test_update_needs_a_credential_and_sparql_stays_read_only(web, store):
    before = sorted_quads(store)
    assert web.post("/update", data={"update": INSERT_MSP}).status_code == 401
    assert web.post("/sparql", data={"update": INSERT_MSP}, headers=basic()).status_code == 403
    assert sorted_quads(store) == before


# ---------------------------------------------------------------------- real clients
@pytest.fixture
def live(store):
    settings = steward_settings()
    Loader(store, settings, progress=False).ensure_content()
    app = create_app(settings, store=store)
    with live_server(app) as base:
        yield base, app


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},  # a sandboxed frame, or a page with no-referrer
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost"},
    ],
)
def test_a_browser_form_from_another_site_cannot_write_with_basic_credentials(web, store, headers):
    """What a browser sends for a form another site posts to /update while it holds the
    steward's Basic credentials (the Chromium run is in test_cross_site_writes.py)."""
    before = sorted_quads(store)
    response = web.post(
        "/update",
        data={"update": INSERT_MSP},
        headers={**basic(), **headers},
    )
    assert response.status_code == 403
    assert "another site" in response.get_json()["message"]
    assert sorted_quads(store) == before


def test_tools_and_same_origin_pages_still_write(web, store):
    same_origin = ({}, {"Origin": "http://localhost"}, {"Sec-Fetch-Site": "same-origin"})
    for n, headers in enumerate(same_origin):
        graph = f"{SUBMISSION_GRAPH}-{n}"
        update = INSERT_MSP.replace(SUBMISSION_GRAPH, graph)
        response = web.post(
            "/update",
            data=update,
            content_type="application/sparql-update",
            headers={**basic(), **headers},
        )
        assert response.status_code == 200, response.get_data(as_text=True)


def test_sparqlwrapper_updates_with_basic_auth(live, store):
    base, app = live
    client = SPARQLWrapper(base + "/sparql", updateEndpoint=base + "/update")
    client.setCredentials("marie", TOKEN)
    client.setMethod(POST)
    client.setQuery(INSERT_MSP)
    client.query()
    assert store.count_triples(SUBMISSION_GRAPH) == 4
    anonymous = SPARQLWrapper(base + "/sparql", updateEndpoint=base + "/update")
    anonymous.setMethod(POST)
    anonymous.setQuery(INSERT_MSP.replace("outil", "autre"))
    with pytest.raises(Exception, match="401|Unauthorized"):
        anonymous.query()


def test_concurrent_graph_store_writes_both_land_while_readers_read(live, store):
    base, app = live
    errors: list = []

    def put(n):
        body = MSP.replace("msp-du-port", f"msp-{n}")
        response = requests.put(
            f"{base}/store",
            params={"graph": f"{SUBMISSION_GRAPH}-{n}"},
            data=body.encode(),
            headers={"Content-Type": "text/turtle", **basic()},
            timeout=60,
        )
        if response.status_code != 201:
            errors.append(response.text)

    def read():
        for _ in range(5):
            response = requests.get(
                f"{base}/sparql",
                params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                timeout=60,
            )
            if response.status_code != 200:
                errors.append(response.text)

    threads = [threading.Thread(target=put, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    versions = app.extensions["santegraph"].stewardship.versions(
        [f"{SUBMISSION_GRAPH}-{n}" for n in range(4)]
    )
    assert versions == {f"{SUBMISSION_GRAPH}-{n}": 1 for n in range(4)}


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie_is_httponly_samesite_and_secure_when_asked(store, secure):
    web = create_app(steward_settings(secure_cookies=secure), store=store).test_client()
    cookie = web.get("/steward/connexion").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert ("Secure" in cookie) is secure


def test_graph_store_body_over_the_limit_is_a_413(store):
    settings = steward_settings(max_upload_bytes=2000)
    web = create_app(settings, store=store).test_client()
    before = sorted_quads(store)
    response = web.put(
        f"/store?graph={SUBMISSION_GRAPH}",
        data=MSP + "#" * 5000,
        content_type="text/turtle",
        headers=basic(),
    )
    assert response.status_code == 413
    assert sorted_quads(store) == before
