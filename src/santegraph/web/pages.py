"""Pages for professionals ("qui fait quoi"): whom to call for this public, here.

Server-rendered French pages that work without JavaScript. Every fact comes from a named
query of ``queries/`` run through ``state().store`` with bound values (never text spliced
into SPARQL); names, acronyms and places are looked up in the in-memory indexes of
:mod:`santegraph.search`. Filters live in the URL (``/publics/<slug>?besoin=...&lieu=...
&role=...``) so that a toile can be shared.
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

import pyoxigraph as ox
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
from markupsafe import Markup

from ..queries import QueryCatalogue
from ..search import CATEGORIES, IndexCache, Indexes, project_queries
from ..toile.build import (
    SG,
    KindFacts,
    Vocabulary,
    build_toile,
    kind_facts,
    load_sectors,
    load_vocabulary,
)
from ..toile.model import Sector, Toile
from . import state
from .ontology import safe_href

bp = Blueprint("pages", __name__)
CACHE_KEY = "santegraph.pages.indexes"
GENERATION_KEY = "santegraph.pages.per-generation"
NAMES_KEY = "santegraph.pages.kind-names"
URLS_KEY = "santegraph.pages.urls"
# Links remembered per app (fixed_url, cards' links) are forgotten beyond this: only a
# toile of thousands of actors reaches it, and there the memo saves nothing anyway.
MAX_URLS = 10_000
MAX_HITS = 25


# --------------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=4)
def _catalogue_at(path: str) -> QueryCatalogue:
    return QueryCatalogue(Path(path))


@functools.cache
def _queries_folder() -> str:
    return str(project_queries())


def catalogue() -> QueryCatalogue:
    return _catalogue_at(_queries_folder())


def base() -> str:
    return state().settings.base_iri


def indexes() -> Indexes:
    cache = current_app.extensions.get(CACHE_KEY)
    if cache is None:
        cache = current_app.extensions.setdefault(CACHE_KEY, IndexCache(catalogue, base()))
    return cache.get(state().store)


class PerGeneration:
    """Values derived from the store, computed once per store generation.

    The embedded store bumps ``generation`` after every write and is its data's only
    writer (one opener per directory), so what was derived at one generation holds until
    the next. A store without a generation (remote: other clients may write) gets its
    values computed on every call.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._store: object = None
        self._generation: int | None = None
        self._values: dict[str, Any] = {}

    def get(self, store, name: Hashable, compute: Callable[[], Any]) -> Any:
        generation = getattr(store, "generation", None)
        if generation is None:
            return compute()
        with self._lock:
            if store is not self._store or generation != self._generation:
                self._store, self._generation, self._values = store, generation, {}
            if name in self._values:
                return self._values[name]
        # read before computing: a write during the computation bumps the generation
        # after it, so a value that may mix both states is never kept for the new one
        value = compute()
        with self._lock:
            if store is self._store and generation == self._generation:
                self._values[name] = value
        return value


def per_generation(name: Hashable, compute: Callable[[], Any]) -> Any:
    cache = current_app.extensions.get(GENERATION_KEY)
    if cache is None:
        cache = current_app.extensions.setdefault(GENERATION_KEY, PerGeneration())
    return cache.get(state().store, name, compute)


def vocabulary() -> Vocabulary:
    """Publics, needs and roles (two queries), once per store generation."""
    return per_generation("vocabulary", lambda: load_vocabulary(state().store, catalogue()))


def filter_options() -> dict[str, list[dict]]:
    """The select options of the publics, needs and roles, once per store generation."""

    def compute() -> dict[str, list[dict]]:
        vocab = vocabulary()
        return {
            "publics": _options(vocab.publics, "public/"),
            "besoins": _options(vocab.besoins, "besoin/"),
            "roles": _options(vocab.roles, "role/"),
        }

    return per_generation("filter-options", compute)


def fragment(key: Hashable, template: str, context: Callable[[], dict]) -> Markup:
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

    return per_generation(("fragment", template, key), compute)


def select_options(name: str, chosen: str) -> Markup:
    """The ``<option>`` tags of the filter ``name`` ("besoins" or "roles"), the one whose
    slug is ``chosen`` (from the URL) selected: one fragment per known slug."""
    known = next((o["slug"] for o in filter_options()[name] if o["slug"] == chosen), None)
    return fragment(
        (name, known),
        "pages/_options.html",
        lambda: {"options": filter_options()[name], "chosen": known, "indent": name != "roles"},
    )


def sector_legend() -> Markup:
    """The list of sectors and their colours under a toile."""
    return fragment(
        "sectors", "pages/_secteurs.html", lambda: {"sectors": toile_reference().sectors}
    )


@dataclass(frozen=True)
class ToileReference:
    """What every toile of a store shares: sectors and what kinds state (gaps)."""

    sectors: tuple[Sector, ...]
    kinds: dict[str, KindFacts]


def toile_reference() -> ToileReference:
    def compute() -> ToileReference:
        store, cat = state().store, catalogue()
        return ToileReference(tuple(load_sectors(store, cat)), kind_facts(store, cat))

    return per_generation("toile-reference", compute)


def kind_names() -> tuple[dict[str, str], dict[str, str]]:
    """(labels of dispositif kinds, acronyms) from the search index, once per index."""
    idx = indexes()
    cached = current_app.extensions.get(NAMES_KEY)
    if cached is None or cached[0] is not idx:
        labels = {e.iri: e.label for e in idx.search.entries if e.category == "dispositif"}
        acronyms = {e.iri: e.acronym for e in idx.search.entries if e.acronym}
        cached = current_app.extensions[NAMES_KEY] = (idx, labels, acronyms)
    return cached[1], cached[2]


def make_toile(public: str, *, besoin: str | None, role: str | None, place=None) -> Toile:
    """The toile of a public (IRI) for the resolved filters (``place``: a search Place)."""
    ref = toile_reference()
    labels, acronyms = kind_names()
    return build_toile(
        state().store,
        catalogue(),
        public=public,
        vocabulary=vocabulary(),
        besoin=besoin,
        role=role,
        places=[place.iri] if place else None,
        place_label=place.label if place else "",
        labels=labels,
        acronyms=acronyms,
        sectors=list(ref.sectors),
        kinds=ref.kinds,
    )


def select(name: str, bindings: dict | None = None) -> list[dict]:
    return state().store.select(catalogue()[name].text, bindings)


def v(row: dict, key: str) -> str:
    term = row.get(key)
    return term.value if term is not None else ""


def node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def rel(iri: str) -> str:
    prefix = base()
    return iri[len(prefix) :] if iri.startswith(prefix) else ""


@bp.app_template_global()
def resource_href(iri: str) -> str:
    """The page of a resource: ``/id/<path>`` under the base, the ontology page for sg:
    (under the mount point); another web IRI as it is, any other (``javascript:``...) no
    link."""
    if iri.startswith(SG):
        return request.script_root + "/ontology#" + quote(iri[len(SG) :])
    path = rel(iri)
    return request.script_root + "/id/" + quote(path) if path else safe_href(iri)


@bp.app_template_global()
def fixed_url(endpoint: str, **values: str) -> str:
    """``url_for`` (relative URL) remembered per mount point, for links whose values come
    from the code or the graph: the navigation, static files, pages of graph resources.

    A relative URL depends on the endpoint, its values and the script root only (no
    subdomain or host rules here), so the memo holds; request text never goes in (it
    would only grow the memo, bounded anyway by ``MAX_URLS``).
    """
    key = (request.script_root, endpoint, *sorted(values.items()))
    return remembered(url_memo(), key, lambda: url_for(endpoint, **values))


def url_memo() -> dict:
    """The app's memo of URLs and fragments that depend on the mount point only."""
    memo = current_app.extensions.get(URLS_KEY)
    if memo is None:
        memo = current_app.extensions.setdefault(URLS_KEY, {})
    return memo


def remembered(memo: dict, key: Hashable, compute: Callable[[], Any]) -> Any:
    """``memo[key]``, computed once; the memo is emptied when it reaches ``MAX_URLS``."""
    value = memo.get(key)
    if value is None:
        value = compute()
        if len(memo) >= MAX_URLS:
            memo.clear()
        memo[key] = value
    return value


@bp.app_template_global()
def site_header() -> Markup:
    """The header and navigation of every page, rendered once per mount point (it holds
    fixed URLs only)."""
    return remembered(
        url_memo(),
        ("header", request.script_root),
        lambda: Markup(current_app.jinja_env.get_template("_entete.html").render()),
    )


@bp.app_template_global()
def page_href(iri: str, category: str = "") -> str:
    """The "qui fait quoi" page of a resource when there is one, else its resource page."""
    if iri.startswith(SG) and category in ("dispositif", ""):
        return fixed_url("pages.dispositif", name=iri[len(SG) :])
    path = rel(iri)
    if path.startswith("public/"):
        return fixed_url("pages.toile", slug=path.split("/", 1)[1])
    if path.startswith("territoire/") and path.count("/") == 2:
        _, kind, code = path.split("/")
        return fixed_url("pages.territoire", kind=kind, code=code)
    if path.startswith("defi/"):
        return fixed_url("pages.defi", number=path.split("/", 1)[1])
    return resource_href(iri)


def slug_of(iri: str, prefix: str) -> str:
    path = rel(iri)
    return path[len(prefix) :] if path.startswith(prefix) else ""


def tree_order(parents: dict[str, list[str]], label) -> list[tuple[str, int]]:
    """(node, depth) in depth-first order, siblings sorted by ``label(node)``; a node
    without parents is a root. Shared by the concept and kind trees."""
    children: dict[str, list[str]] = defaultdict(list)
    roots = []
    for node, ups in parents.items():
        for parent in ups:
            children[parent].append(node)
        if not ups:
            roots.append(node)
    out: list[tuple[str, int]] = []

    def walk(node: str, depth: int):
        out.append((node, depth))
        for child in sorted(children[node], key=label):
            walk(child, depth + 1)

    for root in sorted(roots, key=label):
        walk(root, 0)
    return out


def _options(hierarchy, prefix: str) -> list[dict]:
    """Concepts of a hierarchy as indented select options, tree order."""
    return [
        {
            "iri": concept,
            "slug": slug_of(concept, prefix),
            "label": hierarchy.labels.get(concept, concept),
            "depth": depth,
        }
        for concept, depth in tree_order(hierarchy.broader, lambda c: hierarchy.labels.get(c, c))
    ]


def _elements(rows: Iterable[dict]) -> list[dict]:
    """Rows of propositions-et-actions grouped per proposition / action."""
    items: dict[str, dict] = {}
    for row in rows:
        iri = v(row, "element")
        item = items.setdefault(
            iri,
            {"iri": iri, "type": v(row, "type"), "nom": v(row, "nom"), "position": None}
            | {k: [] for k in FIELDS},
        )
        field = v(row, "champ")
        if field == "position":
            try:
                item["position"] = int(v(row, "valeur"))
            except ValueError:
                pass
        elif field in FIELDS:
            pair = (v(row, "valeur"), v(row, "libelle") or v(row, "valeur"))
            if pair not in item[field]:
                item[field].append(pair)
    return sorted(
        items.values(),
        key=lambda i: (i["type"], [o[1] for o in i["origine"]], i["position"] or 0, i["nom"]),
    )


FIELDS = ("origine", "repond", "public", "besoin", "porteur", "partenaire", "statut", "mobilise")


def _figures() -> dict[str, int]:
    return {v(r, "quoi"): int(v(r, "nombre")) for r in select("chiffres")}


# --------------------------------------------------------------------- home


@bp.get("/")
def home():
    places = [p for p in indexes().places.places if p.kind in ("tas", "departement", "epci")]
    return render_template(
        "index.html",
        triples=state().store.count_triples(),
        figures=_figures(),
        places=places,
        **filter_options(),
    )


@bp.get("/toile")
def toile_form():
    """The home form's target: the toile page of the chosen public, filters kept."""
    slug = request.args.get("public", "").strip()
    if not slug:
        return redirect(url_for("pages.publics"))
    args = {k: request.args[k] for k in ("besoin", "lieu", "role") if request.args.get(k)}
    return redirect(url_for("pages.toile", slug=slug, **args))


# --------------------------------------------------------------------- place suggestions

SUGGESTIONS = 10  # at most, per answer
SUGGESTION_KINDS = {
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "region": "région",
    "tas": "TAS",
}


def _form_value(places, place) -> str:
    """The text of the "lieu" field that leads to this place alone: its name when no other
    place bears it, else name and code ("Lille 59350"), else its key ("tas/oise")."""
    if places.resolve(place.label) == [place]:
        return place.label
    if place.code and places.resolve(f"{place.label} {place.code}") == [place]:
        return f"{place.label} {place.code}"
    return place.key


@bp.get("/lieux/suggestions")
def lieux_suggestions():
    """Places for a partly typed "lieu" field, as JSON (``lieux.js`` shows them): at most
    ``SUGGESTIONS`` items, from the in-memory place index (no query per keystroke)."""
    text = request.args.get("q", "")[:100]
    places = indexes().places
    items = [
        {
            "label": p.label,
            "kind": SUGGESTION_KINDS.get(p.kind, p.kind),
            "code": p.code,
            "departement": p.departement,
            "key": p.key,
            "value": _form_value(places, p),
        }
        for p in places.complete(text, limit=SUGGESTIONS)
    ]
    response = jsonify({"items": items})  # the query is not echoed back
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


# --------------------------------------------------------------------- publics


@bp.get("/publics")
def publics():
    vocab = vocabulary()
    served: dict[str, set[str]] = defaultdict(set)
    for row in select("toile-acteurs"):
        served[v(row, "public")].add(v(row, "acteur"))
    needs: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for row in select("besoins-par-public"):
        needs[v(row, "public")].append(
            (v(row, "besoin"), v(row, "besoinNom"), int(v(row, "ressources")))
        )
    items = []
    for option in filter_options()["publics"]:
        concept = option["iri"]
        actors = set()
        for p in vocab.publics.narrower_or_self(concept):
            actors |= served.get(p, set())
        items.append(
            option
            | {
                "actors": len(actors),
                "needs": needs.get(concept, [])[:8],
                "broader": sorted(
                    vocab.publics.labels.get(b, b) for b in vocab.publics.broader[concept]
                ),
            }
        )
    return render_template("pages/publics.html", items=items)


def _choice(slug: str, prefix: str, hierarchy) -> str | None:
    if not slug:
        return None
    iri = base() + prefix + slug
    if iri not in hierarchy.labels:
        return None
    return iri


@bp.get("/publics/<slug>")
def toile(slug: str):
    vocab = vocabulary()
    public = _choice(slug, "public/", vocab.publics)
    if public is None:
        abort(404, description="Ce public n'existe pas dans le graphe.")
    filters = {k: request.args.get(k, "").strip() for k in ("besoin", "lieu", "role")}
    besoin = _choice(filters["besoin"], "besoin/", vocab.besoins)
    role = _choice(filters["role"], "role/", vocab.roles)
    problems = []
    if filters["besoin"] and besoin is None:
        problems.append("Ce besoin n'est pas connu : il n'est pas appliqué.")
    if filters["role"] and role is None:
        problems.append("Ce rôle n'est pas connu : il n'est pas appliqué.")

    idx = indexes()
    place, choices, suggestions = None, [], []
    if filters["lieu"]:
        found = idx.places.resolve(filters["lieu"])
        if len(found) == 1:
            place = found[0]
        elif found:
            choices = found
        else:
            suggestions = idx.places.suggest(filters["lieu"])

    result = None
    svg = ""
    if not filters["lieu"] or place is not None:
        result = make_toile(public, besoin=besoin, role=role, place=place)
        svg = _svg(result)

    active = {k: val for k, val in filters.items() if val}

    def with_filters(**changes):
        args = active | changes
        return url_for("pages.toile", slug=slug, **{k: x for k, x in args.items() if x})

    return render_template(
        "pages/toile.html",
        slug=slug,
        public=public,
        public_label=vocab.publics.labels[public],
        links=toile_page_links(slug),
        filters=filters,
        active_filters=active,
        besoin_options=select_options("besoins", filters["besoin"]),
        role_options=select_options("roles", filters["role"]),
        sector_legend=sector_legend,
        place=place,
        choices=choices,
        suggestions=suggestions,
        problems=problems,
        toile=result,
        cards=_cards(result) if result else [],
        svg=svg,
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
    """An actor of the toile as its card shows it, made in Python: the template prints
    these texts (escaping them) and nothing else. A filter or a function called from
    Jinja costs more than the Python it runs, once per card and field."""

    href: str  # the actor's resource page
    label: str
    acronym: str  # empty when it is the label
    kinds: tuple[tuple[str, str, str], ...]  # (separator, label, page of the kind)
    sector_color: str  # the card's border, empty without a sector
    sector_label: str
    what: str
    roles: str
    territories: str
    phone: str
    tel: str  # the phone as a tel: target
    email: str
    url: str  # "#" for a URL that is not http(s): never a javascript: link
    sources: str


def _cards(toile: Toile) -> list[Card]:
    # The links of graph resources, remembered like fixed_url's (same memo, same bound):
    # the memo and the mount point are looked up once for all the cards.
    memo, root = url_memo(), request.script_root

    def page(iri: str) -> str:
        return remembered(memo, ("page", root, iri), lambda: page_href(iri))

    def resource(iri: str) -> str:
        return remembered(memo, ("resource", root, iri), lambda: resource_href(iri))

    cards = []
    for a in toile.actors:
        kinds = tuple(
            ("" if k == 0 else ", ", label, page(iri))
            for k, (label, iri) in enumerate(zip(a.kinds, a.kind_iris, strict=True))
        )
        sector = a.sector
        cards.append(
            Card(
                resource(a.iri),
                a.label,
                a.acronym if a.acronym != a.label else "",
                kinds,
                sector.color if sector else "",
                sector.label if sector else "non renseigné",
                a.what,
                ", ".join(a.roles),
                ", ".join(a.territories) or "non renseigné",
                a.phone,
                a.phone.replace(" ", ""),
                a.email,
                (safe_href(a.url) or "#") if a.url else "",
                ", ".join(a.sources),
            )
        )
    return cards


def _svg(toile) -> str:
    """The drawing of the toile, when the renderer exists (it escapes what it draws)."""
    if not toile.actors:
        return ""
    try:
        from ..toile.svg import render_svg
    except ImportError:
        return ""
    try:
        return render_svg(toile, title_id="toile-dessin")
    except Exception:  # the list below says everything the drawing says
        current_app.logger.exception("toile drawing failed")
        return ""


# --------------------------------------------------------------------- territories


@bp.get("/territoires")
def territoires():
    q = request.args.get("q", "").strip()
    idx = indexes()
    found = idx.places.search(q) if q else []
    main = [p for p in idx.places.places if p.kind in ("region", "tas", "departement")]
    return render_template("pages/territoires.html", q=q, found=found, main=main)


@bp.get("/territoires/<kind>/<code>")
def territoire(kind: str, code: str):
    place = indexes().places.by_key.get(f"{kind}/{code}")
    if place is None:
        abort(404, description="Ce territoire n'existe pas dans le graphe.")
    actors: dict[str, dict] = {}
    for row in select("acteurs-d-un-lieu", {"lieu": node(place.iri)}):
        item = actors.setdefault(
            v(row, "acteur"), {"iri": v(row, "acteur"), "nom": v(row, "nom"), "how": []}
        )
        how = (v(row, "relation"), v(row, "territoireNom") or v(row, "territoire"))
        if how not in item["how"]:
            item["how"].append(how)
    elements = _elements(select("propositions-et-actions", {"lieu": node(place.iri)}))
    return render_template(
        "pages/territoire.html",
        place=place,
        actors=sorted(actors.values(), key=lambda a: a["nom"].lower()),
        propositions=[e for e in elements if e["type"] == "proposition"],
        actions=[e for e in elements if e["type"] == "action"],
    )


# --------------------------------------------------------------------- dispositifs


def _kinds() -> dict[str, dict]:
    kinds = {}
    for row in select("types-dispositif"):
        iri = v(row, "type")
        item = kinds.setdefault(
            iri,
            {
                "iri": iri,
                "name": iri[len(SG) :],
                "label": v(row, "nom"),
                "acronym": v(row, "sigle"),
                "definition": v(row, "definition"),
                "count": int(v(row, "instances") or 0),
                "parents": [],
            },
        )
        if v(row, "parent") and v(row, "parent") not in item["parents"]:
            item["parents"].append(v(row, "parent"))
    return kinds


@bp.get("/dispositifs")
def dispositifs():
    kinds = _kinds()
    parents = {iri: [p for p in item["parents"] if p in kinds] for iri, item in kinds.items()}
    tree = [
        kinds[iri] | {"depth": depth}
        for iri, depth in tree_order(parents, lambda c: kinds[c]["label"])
    ]
    return render_template("pages/dispositifs.html", tree=tree)


@bp.get("/dispositifs/<name>")
def dispositif(name: str):
    kinds = _kinds()
    kind = kinds.get(SG + name)
    if kind is None:
        abort(404, description="Ce type de dispositif n'existe pas dans l'ontologie.")
    facts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in select("types-dispositif-fiches", {"type": node(kind["iri"])}):
        pair = (v(row, "valeur"), v(row, "libelle") or v(row, "valeur"))
        if pair not in facts[v(row, "champ")]:
            facts[v(row, "champ")].append(pair)
    # sg:mobiliseType <kind> holds for its subkinds and instances too (graph/inferences)
    elements = _elements(select("propositions-et-actions", {"dispositif": node(kind["iri"])}))
    return render_template(
        "pages/dispositif.html",
        kind=kind,
        parents=[kinds[p] for p in kind["parents"] if p in kinds],
        children=sorted(
            (k for k in kinds.values() if kind["iri"] in k["parents"]), key=lambda k: k["label"]
        ),
        facts=facts,
        propositions=[e for e in elements if e["type"] == "proposition"],
        actions=[e for e in elements if e["type"] == "action"],
    )


# --------------------------------------------------------------------- défis, propositions, actions


def _answers(elements: list[dict]) -> dict[str, dict]:
    """Défis and national themes answered, with their label and how many elements."""
    found: dict[str, dict] = {}
    for e in elements:
        for iri, label in e["repond"]:
            item = found.setdefault(
                iri, {"iri": iri, "label": label, "propositions": 0, "actions": 0}
            )
            item["propositions" if e["type"] == "proposition" else "actions"] += 1
    return found


def _number(iri: str, prefix: str) -> int:
    try:
        return int(slug_of(iri, prefix))
    except ValueError:
        return 0


@bp.get("/defis")
def defis():
    answers = _answers(_elements(select("propositions-et-actions")))
    defis_ = sorted(
        (a | {"n": _number(i, "defi/")} for i, a in answers.items() if slug_of(i, "defi/")),
        key=lambda a: a["n"],
    )
    themes = sorted(
        (
            a | {"n": _number(i, "theme-national/")}
            for i, a in answers.items()
            if slug_of(i, "theme-national/")
        ),
        key=lambda a: a["n"],
    )
    return render_template("pages/defis.html", defis=defis_, themes=themes)


@bp.get("/defis/<number>")
def defi(number: str):
    if not number.isdigit():
        abort(404)
    iri = base() + "defi/" + number
    elements = _elements(select("propositions-et-actions", {"theme": node(iri)}))
    label = next((lab for e in elements for i, lab in e["repond"] if i == iri), "")
    if not label:
        rows = state().store.select(
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            "SELECT ?nom WHERE { VALUES ?defi { UNDEF } ?defi skos:prefLabel ?nom }",
            {"defi": node(iri)},
        )
        if not rows:
            abort(404, description="Ce défi n'existe pas dans le graphe.")
        label = v(rows[0], "nom")
    return render_template(
        "pages/defi.html",
        number=number,
        iri=iri,
        label=label,
        propositions=[e for e in elements if e["type"] == "proposition"],
        actions=[e for e in elements if e["type"] == "action"],
    )


@bp.get("/propositions")
def propositions():
    everything = _elements(select("propositions-et-actions", {"nature": "proposition"}))
    origins = sorted({o for e in everything for o in e["origine"]}, key=lambda o: o[1])
    answers = sorted(
        _answers(everything).values(),
        key=lambda a: (a["iri"].split("/")[-2], _number(a["iri"], "defi/")),
    )
    publics_ = sorted({p for e in everything for p in e["public"]}, key=lambda p: p[1])
    chosen = {k: request.args.get(k, "").strip() for k in ("concertation", "defi", "public")}
    bindings: dict = {"nature": "proposition"}
    keys = {
        "concertation": ("origine", {rel(i) for i, _ in origins}),
        "defi": ("theme", {rel(a["iri"]) for a in answers}),
        "public": ("public", {rel(i) for i, _ in publics_}),
    }
    for key, (param, allowed) in keys.items():
        if chosen[key] and chosen[key] in allowed:
            bindings[param] = node(base() + chosen[key])
        else:
            chosen[key] = ""
    items = (
        everything if len(bindings) == 1 else _elements(select("propositions-et-actions", bindings))
    )
    return render_template(
        "pages/propositions.html",
        items=items,
        total=len(everything),
        origins=origins,
        answers=answers,
        publics=publics_,
        chosen=chosen,
    )


@bp.get("/actions")
def actions():
    porteur = request.args.get("porteur", "").strip()
    everything = _elements(select("propositions-et-actions", {"nature": "action"}))
    porteurs = sorted({p for e in everything for p in e["porteur"]}, key=lambda p: p[1])
    matched: list[tuple[str, str]] = []
    if porteur:
        known = dict(porteurs)
        if porteur.startswith("acteur/") and base() + porteur in known:
            matched = [(base() + porteur, known[base() + porteur])]
        else:
            hits = indexes().search.search(porteur, categories=["acteur"])
            matched = [(h.entry.iri, h.entry.label) for h in hits if h.tier <= 3]
        iris = [i for i, _ in matched]
        items = (
            _elements(select("propositions-et-actions", {"nature": "action", "porteur": _n(iris)}))
            if iris
            else []
        )
    else:
        items = everything
    return render_template(
        "pages/actions.html",
        items=items,
        total=len(everything),
        porteur=porteur,
        porteurs=porteurs,
        matched=matched,
    )


def _n(iris: Iterable[str]) -> list[ox.NamedNode]:
    return [node(i) for i in iris]


# --------------------------------------------------------------------- search


@bp.get("/recherche")
def recherche():
    q = request.args.get("q", "").strip()[:200]
    groups = []
    if q:
        hits = indexes().search.search(q)
        by_category: dict[str, list] = defaultdict(list)
        for hit in hits:
            by_category[hit.entry.category].append(hit)
        for category, title in CATEGORIES.items():
            if by_category.get(category):
                groups.append(
                    {
                        "category": category,
                        "title": title,
                        "hits": by_category[category][:MAX_HITS],
                        "total": len(by_category[category]),
                    }
                )
    return render_template("pages/recherche.html", q=q, groups=groups)


__all__ = ["bp"]
