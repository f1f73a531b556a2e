"""Steward validation in the context of the real content (communes of the COG, vocabularies)."""

import io

from bs4 import BeautifulSoup

from santegraph.config import load_settings
from santegraph.loading import Loader
from santegraph.web import create_app

from .conftest import BASE, ROOT

HEADER = "nom;type;localisation;territoires_desservis;publics;besoins;roles;telephone;referent"
DUNKERQUE = (
    "CPTS Essai Dunkerque;CPTS;59183;59183|59155;personnes-agees;acces-aux-soins;"
    "coordination;03 53 73 00 00;Marie Fictive"
)
NOWHERE = "CPTS Essai Nulle Part;CPTS;99999;59183;;;;03 53 73 00 00;Marie Fictive"


def _loader(store):
    settings = load_settings({"content_dir": str(ROOT), "base_iri": BASE}, environ={})
    return Loader(store, settings, progress=False), settings


def _check(store, text: str):
    loader, _ = _loader(store)
    return loader.check([loader.read_bytes(text.encode(), "essai.csv", "csv")], in_context=True)


def test_a_cpts_in_dunkerque_serving_two_communes_conforms(loaded_content):
    store, _ = loaded_content
    report = _check(store, f"{HEADER}\n{DUNKERQUE}\n")
    assert report.conforms, report.text()
    assert report.results == []  # contact and territory given: not even a warning


def test_an_unknown_commune_is_a_violation_at_row_2_column_localisation(loaded_content):
    store, _ = loaded_content
    report = _check(store, f"{HEADER}\n{NOWHERE}\n")
    assert not report.conforms
    (violation,) = [r for r in report.results if r.severity == "Violation"]
    assert (violation.row, violation.column) == (2, "localisation")
    assert violation.value == BASE + "territoire/commune/99999"
    assert violation.message.startswith("sg:localisation doit pointer vers un territoire")


def test_the_web_page_validates_in_context_and_writes_nothing(loaded_content):
    store, _ = loaded_content
    _, settings = _loader(store)
    before = sorted(str(q) for q in store.quads())
    client = create_app(settings, store=store).test_client()
    body = f"{HEADER}\n{DUNKERQUE}\n{NOWHERE}\n".encode()
    response = client.post(
        "/steward/validate",
        data={"fichier": (io.BytesIO(body), "essai.csv"), "format": "csv"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    text = BeautifulSoup(response.data, "html.parser").get_text()
    assert "ligne 3, colonne localisation" in text
    assert "CPTS Essai Dunkerque" not in text  # the valid entry has nothing to report
    assert sorted(str(q) for q in store.quads()) == before
