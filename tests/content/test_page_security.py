"""Every kind of page works under its Content-Security-Policy, in a real headless Chromium
on the real content: no inline script or style is refused (the browser reports each
refusal as a ``securitypolicyviolation`` event, collected here), the YASGUI editor of
/sparql runs a query, and only the toile's embed page may be framed by another site.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .test_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    browser,
    collect_errors,
    server,
    sync_api,
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)"
)
COLLECT = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') +
                           ' ' + (e.sourceFile || '') + ':' + (e.lineNumber || ''));
});
"""


@pytest.fixture
def strict_page(browser):  # noqa: F811 - the fixture imported above
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.add_init_script(COLLECT)
    page = context.new_page()
    errors = collect_errors(page)
    yield page, errors
    context.close()


def _first(store, query: str) -> str:
    return store.select(query)[0]["x"].value


def test_every_kind_of_page_runs_under_its_policy(server, strict_page):  # noqa: F811
    url, app, store = server
    page, errors = strict_page
    public = _first(
        store,
        "PREFIX sg: <https://w3id.org/santegraph/def#> "
        "SELECT ?x WHERE { ?x a sg:Public } ORDER BY ?x LIMIT 1",
    )
    actor = _first(
        store,
        "PREFIX sg: <https://w3id.org/santegraph/def#> "
        "SELECT ?x WHERE { ?x a sg:CPTS } ORDER BY ?x LIMIT 1",
    )
    slug = public.rsplit("/", 1)[-1]
    paths = [
        "/",
        "/publics",
        f"/publics/{slug}",
        f"/publics/{slug}/embed",
        "/dispositifs",
        "/territoires",
        "/recherche?q=sant%C3%A9",
        "/ontology",
        "/id/" + quote(actor.split("/id/", 1)[1]),
        "/steward/validate",
        "/steward/journal",
    ]
    seen = {}
    for path in paths:
        response = page.goto(url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("load")
        seen[path] = page.evaluate("window.__violations")
    assert seen == {path: [] for path in paths}
    assert errors == []


def test_the_sparql_editor_runs_a_query_under_the_policy(server, strict_page):  # noqa: F811
    url, _, _ = server
    page, errors = strict_page
    page.goto(url + "/sparql")
    editor = page.locator("#yasgui")
    editor.wait_for(state="visible")  # sparql.js replaced the plain form by YASGUI
    assert page.locator("#sparql-form").is_hidden()
    with page.expect_response(
        lambda r: r.url.startswith(url + "/sparql") and r.request.method == "POST"
    ):
        page.locator(".yasqe_queryButton").click()
    page.locator(".yasr table, .yasr .dataTable").first.wait_for(state="visible")
    # widening a column makes the resizer add its cursor <style> while dragging
    grip = page.locator(".grip-handle .grip-resizable").first
    grip.wait_for(state="attached")
    box = grip.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 5, steps=5)
    page.wait_for_function("document.querySelectorAll('head style').length >= 2")
    # a <style> element the policy refuses stays in the page without a style sheet
    refused = "[...document.querySelectorAll('style')].filter(s => !s.sheet).length"
    assert page.evaluate(refused) == 0
    page.mouse.up()
    assert page.evaluate("window.__violations") == []
    assert errors == []
