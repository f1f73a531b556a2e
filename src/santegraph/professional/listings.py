"""How query rows become what the professional pages list (no store, no request here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..toile.build import Hierarchy


def v(row: dict[str, Any], key: str) -> str:
    """The lexical value of a column of a row, "" when unbound."""
    term = row.get(key)
    return term.value if term is not None else ""


def tree_order(
    parents: Mapping[str, Iterable[str]], label: Callable[[str], Any]
) -> list[tuple[str, int]]:
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

    def walk(node: str, depth: int) -> None:
        out.append((node, depth))
        for child in sorted(children[node], key=label):
            walk(child, depth + 1)

    for root in sorted(roots, key=label):
        walk(root, 0)
    return out


def options(hierarchy: Hierarchy, slug_of: Callable[[str], str]) -> list[dict[str, Any]]:
    """Concepts of a hierarchy as indented select options, tree order (``slug_of``: the
    concept's slug in the URL)."""
    return [
        {
            "iri": concept,
            "slug": slug_of(concept),
            "label": hierarchy.labels.get(concept, concept),
            "depth": depth,
        }
        for concept, depth in tree_order(hierarchy.broader, lambda c: hierarchy.labels.get(c, c))
    ]


FIELDS = ("origine", "repond", "public", "besoin", "porteur", "partenaire", "statut", "mobilise")


def elements(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of propositions-et-actions grouped per proposition / action."""
    items: dict[str, dict[str, Any]] = {}
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
        # the IRI last: the same order whatever order the engine gave the rows in
        key=lambda i: (
            i["type"],
            sorted(o[1] for o in i["origine"]),
            i["position"] or 0,
            i["nom"],
            i["iri"],
        ),
    )


def split(elements: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``propositions`` and ``actions`` of a list of elements, for a page's two lists."""
    return {
        "propositions": [e for e in elements if e["type"] == "proposition"],
        "actions": [e for e in elements if e["type"] == "action"],
    }


def answers(elements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Défis and national themes answered, with their label and how many elements."""
    found: dict[str, dict[str, Any]] = {}
    for e in elements:
        for iri, label in e["repond"]:
            item = found.setdefault(
                iri, {"iri": iri, "label": label, "propositions": 0, "actions": 0}
            )
            item["propositions" if e["type"] == "proposition" else "actions"] += 1
    return found


def kinds(rows: Iterable[dict[str, Any]], namespace: str) -> dict[str, dict[str, Any]]:
    """Rows of types-dispositif as one entry per kind, with its parents."""
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        iri = v(row, "type")
        item = found.setdefault(
            iri,
            {
                "iri": iri,
                "name": iri[len(namespace) :],
                "label": v(row, "nom"),
                "acronym": v(row, "sigle"),
                "definition": v(row, "definition"),
                "count": int(v(row, "instances") or 0),
                "parents": [],
            },
        )
        if v(row, "parent") and v(row, "parent") not in item["parents"]:
            item["parents"].append(v(row, "parent"))
    return found


def is_under(iri: str, ancestor: str, kinds: dict[str, dict[str, Any]]) -> bool:
    """Whether the kind ``iri`` is ``ancestor`` or one of its subkinds."""
    todo, seen = [iri], set()
    while todo:
        current = todo.pop()
        if current == ancestor:
            return True
        if current not in seen and current in kinds:
            seen.add(current)
            todo += kinds[current]["parents"]
    return False
