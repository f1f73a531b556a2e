"""What every page sends and shows safely (web/security.py): security headers, a
Content-Security-Policy without inline script or style, and no raw Unicode bidi control.
The pages running under that policy in Chromium: tests/content/test_page_security.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup

from santegraph.web.security import BIDI_CONTROLS, csp

from .conftest import BASE

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "santegraph" / "web" / "templates"
RLO = "\u202e"


@pytest.mark.parametrize("path", ["/", "/publics", "/recherche?q=cpts", "/steward/validate"])
def test_pages_send_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    assert policy == csp()
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # only behind TLS (secure_cookies)


def test_behind_tls_pages_ask_for_https_only(store):
    from santegraph.config import load_settings
    from santegraph.web import create_app

    settings = load_settings({"secure_cookies": True, "base_iri": BASE}, environ={})
    response = create_app(settings, store=store).test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_sparql_editor_allows_only_the_styles_its_script_adds(client):
    policy = client.get("/sparql", headers={"Accept": "text/html"}).headers[
        "Content-Security-Policy"
    ]
    style = next(d for d in policy.split("; ") if d.startswith("style-src"))
    hashes = re.findall(r"'sha256-[A-Za-z0-9+/=]+'", style)
    assert style == "style-src 'self' " + " ".join(hashes) and len(hashes) == 2


def test_no_template_holds_inline_script_or_style():
    """The policy refuses them: scripts are files under static/, styles are in the CSS
    (a colour from the data is an SVG fill, a depth a class). Configuration a script
    reads may sit in a <script type="application/json"> (data, never run)."""
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        # a <textarea>'s content is text (the toile's <iframe> code to copy), not markup
        text = re.sub(
            r"<textarea\b.*?</textarea>", "", path.read_text(encoding="utf-8"), flags=re.S
        )
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attributes = match.group(1)
            if "src=" not in attributes and 'type="application/json"' not in attributes:
                found.append(f"{path.name}: inline <script>")
        if re.search(r"<style\b", text):
            found.append(f"{path.name}: <style>")
        if re.search(r"""\sstyle=["']""", text):
            found.append(f"{path.name}: style attribute")
        if re.search(r"\son[a-z]+=", text):
            found.append(f"{path.name}: event handler attribute")
    assert found == []


def test_bidi_controls_are_neutralised_in_what_a_page_echoes(client):
    response = client.get("/recherche", query_string={"q": f"cpts{RLO}exe.gnp"})
    text = response.get_data(as_text=True)
    assert not set(BIDI_CONTROLS) & set(text)
    assert "cpts\ufffdexe.gnp" in text


def test_bidi_controls_are_neutralised_in_data_labels(client, store):
    actor = BASE + "acteur/cpts-sud-metropole-lilloise"
    graph = ox.NamedNode(BASE + "graph/acteurs/cpts")
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
    store.add_to_graphs(
        {
            graph.value: [
                ox.Quad(
                    ox.NamedNode(actor), label, ox.Literal(f"{RLO}fdp.exe", language="fr"), graph
                )
            ]
        }
    )
    response = client.get("/id/acteur/cpts-sud-metropole-lilloise", headers={"Accept": "text/html"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not set(BIDI_CONTROLS) & set(html)
    assert "\ufffdfdp.exe" in BeautifulSoup(html, "html.parser").get_text()
