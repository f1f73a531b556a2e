"""Pages for professionals ("qui fait quoi"): whom to call for this public, here.

Server-rendered French pages that work without JavaScript. The views read the request
and render; the data comes from the app's :class:`~santegraph.professional.service.
ProfessionalService` (``state().professional``). Filters live in the URL
(``/publics/<slug>?besoin=...&lieu=...&role=...``) so that a toile can be shared.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from ..professional import ProfessionalService
from ..professional.fiches import tel
from ..toile.model import Toile, ToileActor
from . import state
from .links import page_href, remembered, url_memo
from .ontology import safe_href

bp = Blueprint("pages", __name__)


def service() -> ProfessionalService:
    return state().professional


def fragment(key: Hashable, template: str, context: Callable[[], dict[str, Any]]) -> Markup:
    """A template rendered once per store generation and ``key``, as HTML to insert.

    Only for what depends on the store alone (labels, colours, known slugs): ``key`` must
    hold values from the graph or the code, never text of the request, so that the
    variants stay bounded by the vocabulary. ``context`` is called when rendering, so
    that the values come from the generation the result is kept for. The template sees
    no request (no ``url_for``); Jinja escapes every label as in any page.
    """

    def compute() -> Markup:
        rendered = current_app.jinja_env.get_template(template).render(**context())
        return Markup(rendered)  # autoescaped by Jinja (an .html template)

    return service().per_generation(("fragment", template, key), compute)


def select_options(name: str, chosen: str) -> Markup:
    """The ``<option>`` tags of the filter ``name`` ("besoins" or "roles"), the one whose
    slug is ``chosen`` (from the URL) selected: one fragment per known slug."""
    options = service().filter_options()
    known = next((o["slug"] for o in options[name] if o["slug"] == chosen), None)
    return fragment(
        (name, known),
        "pages/_options.html",
        lambda: {
            "options": service().filter_options()[name],
            "chosen": known,
            "indent": name != "roles",
        },
    )


def sector_legend() -> Markup:
    """The list of sectors and their colours under a toile."""
    return fragment(
        "sectors",
        "pages/_secteurs.html",
        lambda: {"sectors": service().toile_reference().sectors},
    )


# --------------------------------------------------------------------- home


@bp.get("/")
def home() -> ResponseReturnValue:
    professional = service()
    return render_template(
        "index.html",
        triples=state().store.count_triples(),
        figures=professional.figures(),
        places=professional.home_places(),
        **professional.filter_options(),
    )


@bp.get("/toile")
def toile_form() -> ResponseReturnValue:
    """The home form's target: the toile page of the chosen public, filters kept."""
    slug = request.args.get("public", "").strip()
    if not slug:
        return redirect(url_for("pages.publics"))
    args: dict[str, Any] = {
        k: request.args[k] for k in ("besoin", "lieu", "role") if request.args.get(k)
    }
    return redirect(url_for("pages.toile", slug=slug, **args))


# --------------------------------------------------------------------- place suggestions


@bp.get("/lieux/suggestions")
def lieux_suggestions() -> ResponseReturnValue:
    """Places for a partly typed "lieu" field, as JSON (``lieux.js`` shows them), from
    the in-memory place index (no query per keystroke)."""
    items = service().place_suggestions(request.args.get("q", "")[:100])
    response = jsonify({"items": items})  # the query is not echoed back
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# --------------------------------------------------------------------- publics


@bp.get("/publics")
def publics() -> ResponseReturnValue:
    return render_template("pages/publics.html", items=service().publics())


@bp.get("/publics/<slug>")
def toile(slug: str) -> ResponseReturnValue:
    professional = service()
    filters = {k: request.args.get(k, "").strip() for k in ("besoin", "lieu", "role")}
    asked = professional.toile_request(slug, **filters)
    if asked is None:
        abort(404, description="Ce public n'existe pas dans le graphe.")
    suggestions = []
    if asked.lieu and asked.place is None and not asked.choices:
        suggestions = professional.indexes().places.suggest(asked.lieu)

    result = None
    svg = paper_svg = ""
    if asked.ready:
        result = professional.toile(asked)
        svg = _svg(result)
        paper_svg = _svg(result, paper=True)  # printed instead (print stylesheet)

    active = {k: val for k, val in filters.items() if val}

    def with_filters(**changes: str | None) -> str:
        args = active | changes
        kept: dict[str, Any] = {k: x for k, x in args.items() if x}
        return url_for("pages.toile", slug=slug, **kept)

    return render_template(
        "pages/toile.html",
        slug=slug,
        public=asked.public,
        public_label=asked.public_label,
        links=toile_page_links(slug),
        filters=filters,
        active_filters=active,
        besoin_options=select_options("besoins", filters["besoin"]),
        role_options=select_options("roles", filters["role"]),
        sector_legend=sector_legend,
        place=asked.place,
        choices=asked.choices,
        suggestions=suggestions,
        problems=asked.problems,
        toile=result,
        cards=_cards(result.actors, slug) if result else [],
        programme_cards=_cards(result.programmes, slug) if result else [],
        unplaced_cards=_cards(result.unplaced, slug) if result else [],
        names={a.iri: a.label for a in result.actors} if result else {},
        svg=svg,
        paper_svg=paper_svg,
        page_url=url_for("pages.toile", slug=slug, _external=True, **active),
        with_filters=with_filters,
    )


class ToilePageLinks(NamedTuple):
    """The links of a toile page that depend on the public and the mount point only."""

    publics: str
    page: str  # the form's target, and the page without filters
    suggestions: str
    lieux_js: str


def toile_page_links(slug: str) -> ToilePageLinks:
    """Built once per mount point and public (``slug`` is a known public's)."""
    return remembered(
        url_memo(),
        ("toile-page", request.script_root, slug),
        lambda: ToilePageLinks(
            url_for("pages.publics"),
            url_for("pages.toile", slug=slug),
            url_for("pages.lieux_suggestions"),
            url_for("static", filename="lieux.js"),
        ),
    )


class Card(NamedTuple):
    """An entry of the toile as its card shows it (a directory entry in brief), made in
    Python: the template prints these texts (escaping them) and nothing else. A filter
    or a function called from Jinja costs more than the Python it runs, once per card
    and field."""

    href: str  # the entry's fiche, the toile's public kept
    label: str
    acronym: str  # empty when it is the label
    kinds: tuple[tuple[str, str, str], ...]  # (separator, label, page of the kind or "")
    sector_color: str  # the card's border, empty without a sector
    sector_label: str
    what: str
    roles: str
    territories: str
    address: str
    phone: str
    tel: str  # the phone as a tel: target
    email: str
    url: str  # "#" for a URL that is not http(s): never a javascript: link
    sources: str
    updated: str  # « Mis à jour le … · source : … », "" never dated


def _cards(actors: list[ToileActor], slug: str) -> list[Card]:
    # The links of graph resources, remembered like fixed_url's (same memo, same bound):
    # the memo and the mount point are looked up once for all the cards.
    memo, root = url_memo(), request.script_root
    kind_pages = service().kind_page_names()

    def fiche(iri: str) -> str:
        return remembered(memo, ("page", root, iri), lambda: page_href(iri))

    def kind_page(iri: str) -> str:
        if iri not in kind_pages:
            return ""  # an actor class (association...) has no page: no dead link
        return remembered(memo, ("page", root, iri), lambda: page_href(iri))

    suffix = "?public=" + slug
    cards = []
    for a in actors:
        kinds = tuple(
            ("" if k == 0 else ", ", label, kind_page(iri))
            for k, (label, iri) in enumerate(zip(a.kinds, a.kind_iris, strict=True))
        )
        sector = a.sector
        cards.append(
            Card(
                fiche(a.iri) + suffix,
                a.label,
                a.acronym if a.acronym != a.label else "",
                kinds,
                sector.color if sector else "",
                sector.label if sector else "non renseigné",
                a.what,
                ", ".join(a.roles),
                ", ".join(a.territories) or "non renseigné",
                a.address,
                a.phone,
                tel(a.phone),
                a.email,
                (safe_href(a.url) or "#") if a.url else "",
                # the sources the date line does not already name
                ", ".join(source for source in a.sources if source not in a.updated),
                a.updated[:1].upper() + a.updated[1:],
            )
        )
    return cards


def _svg(toile: Toile, *, paper: bool = False) -> str:
    """The drawing of the toile, when the renderer exists (it escapes what it draws);
    ``paper``: with whole names, for print."""
    if not toile.actors:
        return ""
    try:
        from ..toile.svg import render_svg
    except ImportError:
        return ""
    try:
        if paper:
            return render_svg(toile, title_id="toile-papier", paper=True)
        return render_svg(toile, title_id="toile-dessin")
    except Exception:  # the list below says everything the drawing says
        current_app.logger.exception("toile drawing failed")
        return ""


# --------------------------------------------------------------------- actors


@bp.get("/acteurs/<path:chemin>")
def acteur(chemin: str) -> ResponseReturnValue:
    """An actor as a directory entry; ``?public=`` (the toile the reader came from)
    puts its services for that public first."""
    page = service().fiche(chemin, request.args.get("public", "").strip())
    if page is None:
        abort(404, description="Cet acteur n'existe pas dans le graphe.")
    return render_template("pages/acteur.html", **page)


# --------------------------------------------------------------------- territories


@bp.get("/territoires")
def territoires() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    places = service().indexes().places
    found = places.search(q) if q else []
    main = [p for p in places.places if p.kind in ("region", "tas", "departement")]
    return render_template("pages/territoires.html", q=q, found=found, main=main)


@bp.get("/territoires/<kind>/<code>")
def territoire(kind: str, code: str) -> ResponseReturnValue:
    page = service().territory(kind, code)
    if page is None:
        abort(404, description="Ce territoire n'existe pas dans le graphe.")
    return render_template("pages/territoire.html", **page)


@bp.get("/territoires/<kind>/<code>/couverture")
def couverture(kind: str, code: str) -> ResponseReturnValue:
    """The zones blanches of a territory (the regional view on a région's page): per kind
    expected everywhere, the communes and people no instance covers, table and picture."""
    page = service().territory_coverage(kind, code)
    if page is None:
        abort(404, description="Ce territoire n'existe pas dans le graphe.")
    # the picture: every text escaped by coverage_svg
    page["picture"] = Markup(page["picture"])
    return render_template("pages/couverture.html", **page)


# --------------------------------------------------------------------- dispositifs


@bp.get("/dispositifs")
def dispositifs() -> ResponseReturnValue:
    return render_template("pages/dispositifs.html", tree=service().kind_tree())


@bp.get("/dispositifs/<name>")
def dispositif(name: str) -> ResponseReturnValue:
    page = service().kind(name)
    if page is None:
        abort(404, description="Ce type de dispositif n'existe pas dans l'ontologie.")
    return render_template("pages/dispositif.html", **page)


# --------------------------------------------------------------------- défis, propositions, actions


@bp.get("/defis")
def defis() -> ResponseReturnValue:
    return render_template("pages/defis.html", **service().defis())


@bp.get("/defis/<number>")
def defi(number: str) -> ResponseReturnValue:
    if not number.isdigit():
        abort(404)
    page = service().defi(number)
    if page is None:
        abort(404, description="Ce défi n'existe pas dans le graphe.")
    return render_template("pages/defi.html", **page)


@bp.get("/propositions")
def propositions() -> ResponseReturnValue:
    chosen = {k: request.args.get(k, "").strip() for k in ("concertation", "defi", "public")}
    return render_template("pages/propositions.html", **service().propositions(chosen))


@bp.get("/actions")
def actions() -> ResponseReturnValue:
    porteur = request.args.get("porteur", "").strip()
    return render_template("pages/actions.html", porteur=porteur, **service().actions(porteur))


# --------------------------------------------------------------------- search


@bp.get("/recherche")
def recherche() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()[:200]
    groups = service().search(q) if q else []
    return render_template("pages/recherche.html", q=q, groups=groups)


__all__ = ["bp"]
