"""A page of another site cannot write through /update with the steward's Basic
credentials, in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

The attack the campaign showed: a steward's browser holds Basic credentials for the
server (it answered a 401 challenge once); any site the steward visits posts a form to
``/update``, and the browser sends the credentials with it. The server refuses writes
that the browser says come from another site (``Origin``, ``Sec-Fetch-Site``).
"""

from __future__ import annotations

import http.server
import threading

import pytest

from santegraph.loading import Loader
from santegraph.web import create_app

from .conftest import live_server, sorted_quads
from .content.test_browser import ARGS, CHROMIUM, sync_api
from .test_steward_web import INSERT_MSP, SUBMISSION_GRAPH, TOKEN, steward_settings

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium absent (apt-get install chromium)"
)


def attacker_page(target: str) -> bytes:
    """A page that posts a SPARQL Update to ``target`` as soon as it loads."""
    from html import escape

    return (
        "<!doctype html><title>Un site quelconque</title>"
        f'<form method="post" action="{escape(target)}">'
        f'<input type="hidden" name="update" value="{escape(INSERT_MSP)}"></form>'
        "<script>document.forms[0].submit()</script>"
    ).encode()


@pytest.fixture
def attacker_site():
    """Another site: ``http://localhost:PORT`` (the server is ``http://127.0.0.1:...``,
    a different site for the browser)."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}", pages
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_cross_site_form_cannot_write_with_the_browsers_basic_credentials(
    embedded_store, attacker_site
):
    settings = steward_settings()
    Loader(embedded_store, settings, progress=False).ensure_content()
    base, pages = attacker_site
    with live_server(create_app(settings, store=embedded_store)) as url:
        pages["/"] = attacker_page(url + "/update")
        before = sorted_quads(embedded_store)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                # the browser answers the server's Basic challenge with the steward's token
                context = browser.new_context(
                    http_credentials={"username": "marie", "password": TOKEN}
                )
                page = context.new_page()
                with page.expect_response(url + "/update") as answer:
                    page.goto(base + "/")
                response = answer.value
                status, body = response.status, response.text()
                sent = response.request.all_headers()
                context.close()
            finally:
                browser.close()
    # what Chromium said about the form: the headers the server reads (refused at once, the
    # form never gets the 401 challenge the browser would answer with the credentials)
    assert (sent["origin"], sent["sec-fetch-site"]) == (base, "cross-site")
    assert status == 403, body
    assert "another site" in body
    assert sorted_quads(embedded_store) == before
    assert SUBMISSION_GRAPH not in embedded_store.list_graphs()
