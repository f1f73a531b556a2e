"""Links of the pages: a resource's page, its "qui fait quoi" page, URLs remembered.

Template globals of every page (``init_app``): ``resource_href``, ``page_href``,
``fixed_url``, ``site_header`` and ``safe_href`` (only http(s) IRIs become links), and the
filters ``tel`` (a phone number as a ``tel:`` target) and ``initiale``, and the French
numbers ``nombre`` and ``pourcent``. URLs built from
the code or the graph (never from request text) are remembered per app and mount point:
a page of a few hundred links would otherwise call ``url_for`` a few hundred times.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from urllib.parse import quote

from flask import Flask, current_app, request, url_for
from markupsafe import Markup

from ..professional.coverage import nombre, percent
from ..professional.fiches import tel
from ..vocab import NAMESPACE as SG_NAMESPACE
from . import state
from .ontology import safe_href

URLS_KEY = "santegraph.pages.urls"
_T = TypeVar("_T")
# Links remembered per app (fixed_url, cards' links) are forgotten beyond this: only a
# toile of thousands of actors reaches it, and there the memo saves nothing anyway.
MAX_URLS = 10_000


def init_app(app: Flask) -> None:
    for function in (resource_href, page_href, fixed_url, site_header, safe_href):
        app.add_template_global(function)
    app.add_template_filter(tel, "tel")
    app.add_template_filter(initial, "initiale")
    app.add_template_global(nombre, "nombre")
    app.add_template_global(percent, "pourcent")


def initial(text: str) -> str:
    """The text with its first letter in capitals, the rest as it is (Jinja's
    ``capitalize`` lowers the rest: « Conseil territorial de santé de métropole-flandres »)."""
    return text[:1].upper() + text[1:]


def rel(iri: str) -> str:
    """The path of an IRI under the base IRI ("" for any other IRI)."""
    prefix = state().settings.base_iri
    return iri[len(prefix) :] if iri.startswith(prefix) else ""


def resource_href(iri: str) -> str:
    """The page of a resource: ``/id/<path>`` under the base, the ontology page for sg:
    (under the mount point); another web IRI as it is, any other (``javascript:``...) no
    link."""
    if iri.startswith(SG_NAMESPACE):
        return request.script_root + "/ontology#" + quote(iri[len(SG_NAMESPACE) :])
    path = rel(iri)
    return request.script_root + "/id/" + quote(path) if path else safe_href(iri)


def fixed_url(endpoint: str, **values: Any) -> str:
    """``url_for`` (relative URL) remembered per mount point, for links whose values come
    from the code or the graph: the navigation, static files, pages of graph resources.

    A relative URL depends on the endpoint, its values and the script root only (no
    subdomain or host rules here), so the memo holds; request text never goes in (it
    would only grow the memo, bounded anyway by ``MAX_URLS``).
    """
    key = (request.script_root, endpoint, *sorted(values.items()))
    return remembered(url_memo(), key, lambda: url_for(endpoint, **values))


def url_memo() -> dict[Hashable, Any]:
    """The app's memo of URLs and fragments that depend on the mount point only."""
    memo = current_app.extensions.get(URLS_KEY)
    if memo is None:
        memo = current_app.extensions.setdefault(URLS_KEY, {})
    memo_: dict[Hashable, Any] = memo
    return memo_


def remembered(memo: dict[Hashable, Any], key: Hashable, compute: Callable[[], _T]) -> _T:
    """``memo[key]``, computed once; the memo is emptied when it reaches ``MAX_URLS``."""
    value: _T | None = memo.get(key)
    if value is None:
        value = compute()
        if len(memo) >= MAX_URLS:
            memo.clear()
        memo[key] = value
    return value


def site_header() -> Markup:
    """The header and navigation of every page, rendered once per mount point (it holds
    fixed URLs only)."""
    return remembered(
        url_memo(),
        ("header", request.script_root),
        lambda: Markup(current_app.jinja_env.get_template("_entete.html").render()),
    )


def page_href(iri: str, category: str = "") -> str:
    """The "qui fait quoi" page of a resource when there is one (an actor's fiche, a
    public's toile, a territory, a défi, a dispositif kind), else its resource page."""
    if iri.startswith(SG_NAMESPACE) and category in ("dispositif", ""):
        return fixed_url("pages.dispositif", name=iri[len(SG_NAMESPACE) :])
    path = rel(iri)
    if path.startswith("acteur/"):
        return fixed_url("pages.acteur", chemin=path[len("acteur/") :])
    if path.startswith("public/"):
        return fixed_url("pages.toile", slug=path.split("/", 1)[1])
    if path.startswith("territoire/") and path.count("/") == 2:
        _, kind, code = path.split("/")
        return fixed_url("pages.territoire", kind=kind, code=code)
    if path.startswith("defi/"):
        return fixed_url("pages.defi", number=path.split("/", 1)[1])
    return resource_href(iri)
