"""What every page sends and shows safely: security headers, and no Unicode bidi controls.

Headers (on every response that did not set its own policy): a Content-Security-Policy
without inline script or style (scripts, styles, fonts, images and fetches from this
server only; no plugin, no ``<base>``, forms posting here only, never framed),
``X-Frame-Options: DENY`` for older browsers, ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: same-origin`` (steward pages and previews never leak their address to
another site), ``Cross-Origin-Opener-Policy``, a ``Permissions-Policy`` turning off what
no page uses, and ``Strict-Transport-Security`` when the service runs behind TLS
(``secure_cookies``). Two views set their own policy: the toile's ``embed`` page, meant to
be framed by any site (:func:`csp` with ``frame_ancestors="*"``), and the standalone
``toile.svg``; the ``/sparql`` editor page adds the hashes of the two ``<style>`` elements
its vendored YASGUI script inserts (:func:`editor_style_hashes`).

Text: the right-to-left override and the other bidirectional controls (U+202A–U+202E,
U+2066–U+2069, and the marks U+200E, U+200F, U+061C) let a label display as something
else than it is (``"‮gnp.exe"``). Every value a template prints goes through the Jinja
``finalize`` hook, which replaces them by U+FFFD (visible), in every page at once.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from pathlib import Path

from flask import Flask, Response
from markupsafe import Markup

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_NEUTRALISED = dict.fromkeys(map(ord, BIDI_CONTROLS), "\ufffd")
PERMISSIONS = "camera=(), microphone=(), geolocation=()"
HSTS = "max-age=31536000"
STATIC = Path(__file__).parent / "static"


def csp(*, frame_ancestors: str = "'none'", style_hashes: tuple[str, ...] = ()) -> str:
    """The pages' Content-Security-Policy; ``frame_ancestors`` for the framed page,
    ``style_hashes`` for the ``<style>`` elements a vendored script adds (``/sparql``)."""
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        " ".join(["style-src 'self'", *(f"'{h}'" for h in style_hashes)]),
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ]
    return "; ".join(directives)


@functools.cache
def editor_style_hashes() -> tuple[str, ...]:
    """CSP hashes of the two ``<style>`` elements the YASGUI editor adds at run time (its
    table's column resizer): its grip rules, read from the vendored script so that an
    update of the script updates them, and the cursor rule it adds while a column is
    dragged. Nothing else inline is allowed on ``/sparql`` (its browser test checks)."""
    script = (STATIC / "vendor" / "yasgui" / "yasgui.min.js").read_text(encoding="utf-8")
    found = re.search(r"createStyle\(a,`(\s*\.grip-resizable[^`]*)`\)", script)
    styles = [found.group(1)] if found else []
    styles.append("*{cursor:col-resize!important}")  # the resizer's default dragCursor
    return tuple(
        "sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in styles
    )


def neutralise_bidi(value: object) -> object:
    """``value`` with its bidi controls replaced by U+FFFD (Markup stays Markup)."""
    if isinstance(value, Markup):
        return Markup(str(value).translate(_NEUTRALISED))
    if isinstance(value, str):
        return value.translate(_NEUTRALISED)
    return value


def init_app(app: Flask, *, tls: bool) -> None:
    """Install the ``finalize`` hook (before any template compiles) and the headers."""
    app.jinja_options = {**app.jinja_options, "finalize": neutralise_bidi}
    app.jinja_env.finalize = neutralise_bidi  # in case the environment already exists

    default_csp = csp()

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        if "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = default_csp
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", PERMISSIONS)
        if tls:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
