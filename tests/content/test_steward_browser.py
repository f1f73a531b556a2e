"""The steward workflow in a real headless Chromium on the real content: sign in, paste a
CSV-template entry, read the preview, confirm. Screenshot: steward-apercu.png
(``--update-screenshots`` writes it to docs/screenshots/).
"""

from __future__ import annotations

import pytest

from santegraph.config import load_settings
from santegraph.steward.credentials import credential_line
from santegraph.store import EmbeddedStore
from santegraph.web import create_app

from ..conftest import live_server
from .conftest import BASE, ROOT
from .test_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    _screenshot,
    browser,
    page,  # noqa: F811 - the fixtures imported above
    screenshots,  # noqa: F811
)
from .test_steward_validate_content import DUNKERQUE, HEADER

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)"
)
TOKEN = "jeton-navigateur-de-test-" + "n" * 20


@pytest.fixture
def steward_server(loaded_content):
    store, _ = loaded_content
    copy = EmbeddedStore(":memory:")  # the session store stays untouched
    copy.pyoxigraph_store.extend(store.quads())
    settings = load_settings(
        {
            "content_dir": str(ROOT),
            "base_iri": BASE,
            "steward_tokens": credential_line("Marie Fictive", TOKEN),
            "secret_key": "cle-navigateur-" + "k" * 24,
        },
        environ={},
    )
    with live_server(create_app(settings, store=copy)) as url:
        yield url, copy


def test_a_steward_signs_in_previews_and_confirms_a_cpts(
    steward_server,
    page,  # noqa: F811 - the fixtures imported above
    screenshots,  # noqa: F811
):
    url, store = steward_server
    page.goto(url + "/steward/soumettre")
    assert "/steward/connexion" in page.url  # sign in first
    page.fill("#nom", "Marie Fictive")
    page.fill("#jeton", TOKEN)
    # A click that submits a form returns before the next page has loaded: wait for it, so
    # what follows reads the new page, not the old one or a half-parsed one.
    with page.expect_navigation(url="**/steward/soumettre"):
        page.click("button[type=submit]")
    assert page.url.endswith("/steward/soumettre")

    page.fill("#texte", f"{HEADER}\n{DUNKERQUE}\n")
    page.select_option("#format", "csv")
    page.fill("#commentaire", "CPTS signalée par la coordination")
    with page.expect_navigation(url="**/steward/apercu/*"):
        page.click("text=Vérifier et voir l'aperçu")
    assert "/steward/apercu/" in page.url
    assert page.locator("text=Conforme").count() >= 1
    assert page.locator("text=entrée ajoutée").count() >= 1
    _screenshot(page, screenshots / "steward-apercu.png")

    with page.expect_navigation(url="**/steward/soumissions/**"):
        page.click("text=Confirmer et enregistrer")
    assert "/steward/soumissions/" in page.url
    assert page.locator("text=Enregistré.").count() == 1
    graphs = [g for g in store.list_graphs() if "/soumission/" in g]
    assert len(graphs) == 1
