"""The toile's downloads and its embeddable page (blueprint ``toile``).

* ``/publics/<slug>/toile.svg``: the drawing alone (``image/svg+xml``);
* ``/publics/<slug>/toile.pdf?papier=a4|a3``: the drawing on one landscape page, with its
  title and filters (``santegraph.toile.pdf``, CairoSVG); 503 where libcairo2 is missing,
  and the toile page then offers no PDF link;
* ``/publics/<slug>/toile.csv``: the list, one row per actor (``santegraph.toile.table``);
* ``/publics/<slug>/embed``: a minimal page (drawing + list, no navigation) that any site
  may show in an ``<iframe>``; only this page sends ``frame-ancestors *``.

All three take the toile page's filters in the query string (``besoin``, ``lieu``,
``role``) and get the toile from the app's ``ProfessionalService`` (``make_toile``). The toile page
itself shows these links and the ``<iframe>`` code through the Jinja macro
``toile_tools`` of ``templates/toile/_tools.html``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from ..errors import StoreError
from ..store.base import GraphStore
from ..toile import pdf
from ..toile.model import Toile, ToileActor
from ..toile.svg import OTHERS, render_svg, sector_color
from ..toile.table import to_csv
from . import state
from .links import page_href, remembered, url_memo
from .security import csp

bp = Blueprint("toile", __name__)

FILTERS = ("besoin", "lieu", "role")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_FILTER_LENGTH = 200
# The drawing carries no script; this keeps it so even if opened on its own.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"


def _builder() -> Callable[..., Toile | None]:
    """The function that builds a toile from a public's slug; a seam the tests replace."""
    return toile_from_graph


def toile_from_graph(
    store: GraphStore, slug: str, *, besoin: str | None, lieu: str | None, role: str | None
) -> Toile | None:
    """The toile the page ``/publics/<slug>`` shows for the same filters (None: no such public).

    Filters are resolved as the page resolves them (``ProfessionalService.toile_request``):
    an unknown need or role is not applied; a place must name exactly one territory, else
    400 (the page then offers choices, a download cannot).
    """
    professional = state().professional
    asked = professional.toile_request(slug, besoin=besoin or "", lieu=lieu or "", role=role or "")
    if asked is None:
        return None
    if not asked.ready:
        abort(400, description="Lieu inconnu ou ambigu : choisissez-le sur la page de la toile.")
    return professional.toile(asked)


def filters() -> dict[str, str]:
    """The non-empty filters of the query string, in a fixed order."""
    out = {}
    for name in FILTERS:
        value = request.args.get(name, "").strip()
        if len(value) > MAX_FILTER_LENGTH:
            abort(400, description=f"Filtre « {name} » trop long.")
        if value:
            out[name] = value
    return out


def load_toile(slug: str) -> Toile:
    if not SLUG.match(slug):
        abort(404)
    args = filters()
    try:
        toile = _builder()(
            state().store,
            slug,
            besoin=args.get("besoin"),
            lieu=args.get("lieu"),
            role=args.get("role"),
        )
    except LookupError:
        toile = None
    except ValueError as exc:
        abort(400, description=str(exc))
    except StoreError as exc:
        abort(503, description=f"Le graphe n'est pas joignable : {exc}")
    if toile is None:
        abort(404, description="Ce public n'existe pas.")
    return toile


def _file_name(slug: str, args: dict[str, str], ext: str) -> str:
    parts = [slug] + [re.sub(r"[^a-z0-9]+", "-", v.lower()).strip("-") for v in args.values()]
    return "toile-" + "-".join(p for p in parts if p)[:120] + "." + ext


def _download(body: str | bytes, mimetype: str, name: str, disposition: str = "inline") -> Response:
    """A toile file: its name (filters included), never sniffed as another type."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def sector_groups(toile: Toile) -> list[tuple[str, str, list[ToileActor]]]:
    """(sector label, colour, actors) in the drawing's order, "Autres" last."""
    known = {s.iri: s for s in toile.sectors}
    groups: dict[str, list[ToileActor]] = {}
    for actor in toile.actors:
        key = actor.sector.iri if actor.sector and actor.sector.iri in known else ""
        groups.setdefault(key, []).append(actor)
    out = [(s.label, sector_color(s), groups[s.iri]) for s in toile.sectors if s.iri in groups]
    if "" in groups:
        out.append((OTHERS.label, OTHERS.color, groups[""]))
    return out


@bp.get("/publics/<slug>/toile.svg")
def svg(slug: str) -> ResponseReturnValue:
    toile = load_toile(slug)
    response = _download(
        render_svg(toile, title_id="toile"), "image/svg+xml", _file_name(slug, filters(), "svg")
    )
    response.headers["Content-Security-Policy"] = SVG_CSP
    return response


@bp.app_template_global()
def toile_links(slug: str, filters: Mapping[str, str]) -> dict[str, str]:
    """The download, print and embed URLs of a toile with these filters, and the static
    files of the macro ``toile_tools``, as ``url_for`` gives them: the paths are built once
    per mount point and public (kept with ``links.fixed_url``'s), the query string of the
    filters is encoded once per call."""
    paths = remembered(
        url_memo(),
        ("toile-tools", request.script_root, slug),
        lambda: {
            "css": url_for("static", filename="toile.css"),
            "js": url_for("static", filename="toile.js"),
            "svg": url_for("toile.svg", slug=slug),
            "csv": url_for("toile.csv", slug=slug),
            "pdf": url_for("toile.pdf_download", slug=slug),
            "embed": url_for("toile.embed", slug=slug),
        },
    )
    query = url_for("toile.embed", slug=slug, _external=True, **filters).partition("?")
    tail = "?" + query[2] if query[2] else ""
    a3 = "?papier=a3" + ("&" + query[2] if query[2] else "")
    return {
        "css": paths["css"],
        "js": paths["js"],
        "svg": paths["svg"] + tail,
        "csv": paths["csv"] + tail,
        "pdf_a4": paths["pdf"] + tail,
        "pdf_a3": paths["pdf"] + a3,
        "embed": query[0] + tail,  # absolute: pasted in another site
        "embed_a3": paths["embed"] + a3,
    }


@bp.app_template_global()
def toile_pdf_available() -> bool:
    """Whether this server can make PDFs (CairoSVG and libcairo2 load)."""
    return not pdf.unavailable_reason()


@bp.get("/publics/<slug>/toile.pdf")
def pdf_download(slug: str) -> ResponseReturnValue:
    reason = pdf.unavailable_reason()
    if reason:
        abort(
            503,
            description="Le PDF n'est pas disponible sur ce serveur (bibliothèque cairo "
            "absente) : téléchargez l'image SVG ou imprimez la page.",
        )
    paper = request.args.get("papier", "a4").strip().lower() or "a4"
    if paper not in pdf.PAPERS:
        abort(400, description="Papier inconnu : choisissez a4 ou a3.")
    toile = load_toile(slug)
    args = filters()
    source = url_for("pages.toile", slug=slug, _external=True, **args)
    footer = f"Toile en ligne : {source} · santegraph, données sous Licence Ouverte"
    body = pdf.render_pdf(toile, paper=paper, footer=footer)
    name = _file_name(slug, args | ({"papier": paper} if paper != "a4" else {}), "pdf")
    return _download(body, "application/pdf", name)


@bp.get("/publics/<slug>/toile.csv")
def csv(slug: str) -> ResponseReturnValue:
    toile = load_toile(slug)
    body = to_csv(toile).encode("utf-8")
    name = _file_name(slug, filters(), "csv")
    return _download(body, "text/csv", name, "attachment")  # Flask adds charset=utf-8


@bp.get("/publics/<slug>/embed")
def embed(slug: str) -> ResponseReturnValue:
    toile = load_toile(slug)
    paper = "a3" if request.args.get("papier") == "a3" else "a4"
    html = render_template(
        "toile/embed.html",
        toile=toile,
        slug=slug,
        filters=filters(),
        svg=Markup(render_svg(toile, title_id="toile")),  # every text escaped by render_svg
        # printed instead: every name whole (the print stylesheet swaps them)
        paper_svg=Markup(render_svg(toile, title_id="toile-papier", paper=True))
        if toile.actors
        else "",
        groups=sector_groups(toile),
        href=page_href,
        paper=paper,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = csp(frame_ancestors="*")  # any site frames it
    return response
