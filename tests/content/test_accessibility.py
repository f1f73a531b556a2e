"""Every family of pages passes axe-core with no critical or serious violation, in Debian's
headless Chromium, on the real content: the professionals' pages, the integrators'
(/sparql with its YASGUI editor, /ontology, the triple view), the error page and the
stewards' pages signed in.

axe-core is the npm package pinned in package.json / package-lock.json (``npm ci`` puts it
in node_modules/; ``.ci/run`` runs it): the test injects that file, nothing is downloaded
at run time, and without it the tests are skipped with the reason. The browser context
bypasses the pages' Content-Security-Policy only so that the injected script may run.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from .conftest import ROOT
from .test_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    _busiest_public,
    browser,
    server,
)
from .test_steward_browser import TOKEN, steward_server  # noqa: F401 - fixture

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        not AXE.exists(), reason="node_modules/axe-core absent: run `npm ci` (package-lock.json)"
    ),
]

# What the audit fails on: axe's two highest impacts.
BLOCKING = ("critical", "serious")


def _first_link(client, page: str, prefix: str) -> str:
    """The first link of an index page leading under ``prefix`` (a page of that family)."""
    html = client.get(page, headers={"Accept": "text/html"}).get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    for a in soup.select("main a[href], a.executer[href]"):  # /sparql: its examples
        parts = urlsplit(a["href"])
        path = parts.path + ("?" + parts.query if parts.query else "")
        if path.startswith(prefix) and path != prefix.rstrip("/"):
            return path
    raise AssertionError(f"no link under {prefix} on {page}")


def public_pages(app, store) -> dict[str, str]:
    """One page of each family a visitor reaches, found by following the site's links."""
    client = app.test_client()
    toile = "/publics/" + _busiest_public(app, store)
    return {
        "accueil": "/",
        "publics": "/publics",
        "toile": toile,
        "toile-lieu": toile + "?lieu=59183",
        "toile-integree": toile + "/embed",
        "fiche": _first_link(client, toile, "/acteurs/"),
        "recherche": "/recherche?q=sant%C3%A9",
        "territoires": "/territoires",
        "territoire": "/territoires/departement/59",
        "couverture": "/territoires/region/32/couverture",
        "dispositifs": "/dispositifs",
        "dispositif": _first_link(client, "/dispositifs", "/dispositifs/"),
        "defis": "/defis",
        "defi": _first_link(client, "/defis", "/defis/"),
        "propositions": "/propositions",
        "actions": "/actions",
        "ontologie": "/ontology",
        "sparql": "/sparql",
        "sparql-resultat": _first_link(client, "/sparql", "/sparql?example=") + "#yasgui",
        "introuvable": "/publics/public-qui-n-existe-pas",
        "verification": "/steward/validate",
        "connexion": "/steward/connexion",
        "journal": "/steward/journal",
    }


def triple_view(app, fiche: str) -> str:
    """The integrators' view of an actor (its fiche's « données » link)."""
    return _first_link(app.test_client(), fiche, "/id/")


@pytest.fixture
def audit(browser):  # noqa: F811 - the fixture imported above
    """audit(url) -> the critical and serious violations axe-core finds on that page."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR", bypass_csp=True
    )
    page = context.new_page()
    source = AXE.read_text(encoding="utf-8")

    def run(url: str, ready: str = "main") -> list[str]:
        response = page.goto(url)
        assert response is not None
        page.wait_for_selector(ready)
        page.add_script_tag(content=source)
        result = page.evaluate("async () => JSON.stringify(await axe.run(document))")
        result = json.loads(result)
        assert result["passes"], f"axe-core checked nothing on {url}"
        found = []
        for v in result["violations"]:
            if v["impact"] in BLOCKING:
                targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:3]]
                found.append(f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}: {targets})")
        return found

    run.page = page
    yield run
    context.close()


def test_every_public_page_family_passes_axe(server, audit):  # noqa: F811
    url, app, store = server
    pages = public_pages(app, store)
    pages["donnees"] = triple_view(app, pages["fiche"])
    failures = {}
    for family, path in pages.items():
        # /sparql: wait for the editor YASGUI draws (and the example's results it runs)
        ready = {"sparql": "#yasgui .CodeMirror", "sparql-resultat": "#yasgui .yasr table"}
        found = audit(url + path, ready=ready.get(family, "main"))
        if found:
            failures[family + " " + path] = found
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)


def test_the_stewards_pages_pass_axe_signed_in(steward_server, audit):  # noqa: F811
    url, _ = steward_server
    page = audit.page
    page.goto(url + "/steward/connexion")
    page.fill("#nom", "Marie Fictive")
    page.fill("#jeton", TOKEN)
    with page.expect_navigation(url="**/steward/"):
        page.click("button[type=submit]")
    failures = {}
    for path in ("/steward/", "/steward/soumettre", "/steward/orientation"):
        found = audit(url + path)
        if found:
            failures[path] = found
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)
