"""Place suggestions as one types (issue 6): the JSON endpoint ``/lieux/suggestions`` on the
real content (in-memory place index, no SPARQL per keystroke), and ``lieux.js`` in a real
Chromium: typing "dunk" in the toile page's "lieu" field offers Dunkerque, chosen with the
keyboard (ARIA combobox)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from santegraph.config import load_settings
from santegraph.web import create_app

from .conftest import BASE, ROOT


@pytest.fixture(scope="module")
def app(loaded_content):
    store, _ = loaded_content
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    return create_app(settings, store=store)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


def suggest(client, q):
    response = client.get("/lieux/suggestions", query_string={"q": q})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return response.get_json()["items"]


def test_name_start_comes_first(client):
    items = suggest(client, "dunk")
    assert items[0] == {
        "label": "Dunkerque",
        "kind": "commune",
        "code": "59183",
        "departement": "Nord",
        "key": "commune/59183",
        "value": "Dunkerque",
    }
    # the urban community, named "CU de Dunkerque", follows (a word of its name)
    assert "CU de Dunkerque" in [i["label"] for i in items]


def test_official_code(client):
    items = suggest(client, "59350")
    assert (items[0]["label"], items[0]["kind"], items[0]["key"]) == (
        "Lille",
        "commune",
        "commune/59350",
    )


def test_accent_insensitive(client):
    labels = [i["label"] for i in suggest(client, "metropole")]
    assert "Métropole-Flandres" in labels and "Métropole Européenne de Lille" in labels
    # the TAS (a bigger territory) before the EPCI, both starting with the query
    assert labels.index("Métropole-Flandres") < labels.index("Métropole Européenne de Lille")
    kinds = {i["label"]: i["kind"] for i in suggest(client, "MÉTROPOLE flandres")}
    assert kinds == {"Métropole-Flandres": "TAS"}


def test_at_most_ten(client):
    assert len(suggest(client, "sa")) == 10
    assert len(suggest(client, "59")) == 10


@pytest.mark.parametrize("q", ["", "d", " ", "  l  ", "-"])
def test_too_short_gives_nothing(client, q):
    assert suggest(client, q) == []


def test_the_value_leads_the_form_to_that_place_alone(client):
    for q in ("dunk", "lille", "metropole", "oise", "59350", "nord"):
        for item in suggest(client, q):
            soup = BeautifulSoup(
                client.get("/publics/adolescents", query_string={"lieu": item["value"]}).data,
                "html.parser",
            )
            assert soup.h1.text.endswith(f"{item['label']} ?"), (q, item)


def test_hostile_input_is_data(client):
    hostile = '<script>alert(1)</script>" } UNION { ?s ?p ?o } #'
    response = client.get("/lieux/suggestions", query_string={"q": hostile})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"items": []}
    assert b"script" not in response.data  # not echoed back
    assert suggest(client, "x" * 10_000) == []


def test_pages_carry_the_attribute_and_script(client):
    for url in ("/", "/publics/adolescents"):
        soup = BeautifulSoup(client.get(url).data, "html.parser")
        field = soup.find("input", attrs={"name": "lieu"})
        assert field["data-suggestions"] == "/lieux/suggestions"
        assert soup.find("script", src="/static/lieux.js") is not None


# --------------------------------------------------------------------- in Chromium

try:
    from .test_browser import CHROMIUM, browser, page, server  # noqa: F401 (fixtures)
except pytest.skip.Exception:  # chromium or playwright absent: the browser test is skipped
    CHROMIUM = None


@pytest.mark.skipif(CHROMIUM is None or not CHROMIUM.exists(), reason="no Chromium/Playwright")
def test_typing_dunk_offers_dunkerque_chosen_with_the_keyboard(server, page):
    url, _, _ = server
    page.goto(f"{url}/publics/adolescents")
    field = page.locator("input#lieu")
    assert field.get_attribute("role") == "combobox"
    assert field.get_attribute("aria-expanded") == "false"
    field.click()
    field.press_sequentially("dunk", delay=40)
    listbox = page.get_by_role("listbox", name="Lieux proposés")
    # On a slow machine a pause between keys can show the places for "du" first: wait for
    # the ones answering "dunk", after which nothing redraws the list.
    answering_dunk = page.locator("[role=listbox][data-query=dunk]")
    answering_dunk.wait_for(state="visible")
    assert field.get_attribute("aria-expanded") == "true"
    assert field.get_attribute("aria-controls") == listbox.get_attribute("id")
    options = listbox.get_by_role("option")
    assert options.first.text_content().startswith("Dunkerque")
    assert listbox.get_by_role("option", name="Dunkerque").count() >= 1

    field.press("ArrowDown")
    active = field.get_attribute("aria-activedescendant")
    assert active == options.first.get_attribute("id")
    assert options.first.get_attribute("aria-selected") == "true"
    field.press("Enter")  # chooses, does not submit
    assert field.input_value() == "Dunkerque"
    assert field.get_attribute("aria-expanded") == "false"
    assert listbox.is_hidden()
    assert page.url.endswith("/publics/adolescents")

    # Escape closes a reopened list; Enter then submits the plain form
    field.fill("")
    field.press_sequentially("dunk", delay=40)
    answering_dunk.wait_for(state="visible")
    field.press("Escape")
    assert listbox.is_hidden()
    field.fill("Dunkerque")
    with page.expect_navigation():
        field.press("Enter")
    assert "lieu=Dunkerque" in page.url
    assert "à Dunkerque" in page.locator("h1").text_content()
