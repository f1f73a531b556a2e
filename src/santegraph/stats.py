"""`santegraph stats`: what the store holds, from the internal queries of ``rq/``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeGuard

import pyoxigraph as ox

from .queries import INTERNAL, BindingValue, catalogue
from .store.base import GraphStore, Row

if TYPE_CHECKING:
    from .config import Settings
    from .directories.freshness import Freshness


@dataclass
class Stats:
    backend: str
    triples: int
    graphs: list[tuple[str, int]] = field(default_factory=list)
    classes: list[tuple[str, int]] = field(default_factory=list)
    sources: list[tuple[str, int]] = field(default_factory=list)
    territories: list[tuple[str, str, int]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    stale: list[Freshness] = field(default_factory=list)  # entries to verify (freshness.py)
    stale_after_days: int = 0


def _value(row: Row, name: str) -> str:
    term = row.get(name)
    return "" if term is None else term.value


def collect_stats(store: GraphStore, settings: Settings | None = None) -> Stats:
    """What the store holds; with ``settings``, also the entries to verify (freshness)."""
    queries = catalogue(INTERNAL)

    def rows(name: str, bindings: dict[str, BindingValue] | None = None) -> list[Row]:
        return store.select(queries[name].text, bindings)

    # santegraph's graphs only: a server's own (Virtuoso's system graphs, told apart by
    # remote_hidden_graphs) are neither listed nor counted
    graphs = store.graph_sizes()
    visible = [ox.NamedNode(g) for g, _ in graphs]
    return Stats(
        backend=store.describe_backend(),
        triples=sum(n for _, n in graphs),
        graphs=graphs,
        classes=[
            (_value(r, "class"), int(_value(r, "n"))) for r in rows("stats_classes", {"g": visible})
        ],
        sources=[(_value(r, "file"), int(_value(r, "n"))) for r in rows("stats_sources")],
        territories=[
            (_value(r, "territory"), _value(r, "name"), int(_value(r, "n")))
            for r in rows("stats_territories")
        ],
        notes=[
            {k: _value(r, k) for k in ("note", "g", "type", "about", "comment")}
            for r in rows("stats_notes")
            if store._visible(_value(r, "g"))
        ],
        stale=_stale(store, settings),
        stale_after_days=settings.stale_after_days if _has_freshness(settings) else 0,
    )


def _has_freshness(settings: Settings | None) -> TypeGuard[Settings]:
    from .directories.freshness import available

    return settings is not None and available(settings)


def _stale(store: GraphStore, settings: Settings | None) -> list[Freshness]:
    from .directories.freshness import available, stale_entries

    if settings is None or not available(settings):
        return []

    return stale_entries(store, settings, settings.stale_after_days)


def format_stats(stats: Stats) -> str:
    out = [f"backend: {stats.backend}", f"triples: {stats.triples}", "", "graphs:"]
    out += [f"  {n:>8}  {g}" for g, n in stats.graphs]
    out += ["", "resources per class:"]
    out += [f"  {n:>8}  {c}" for c, n in stats.classes]
    out += ["", "resources per source document:"]
    out += [f"  {n:>8}  {f}" for f, n in stats.sources] or ["  (none)"]
    out += ["", "actors per territory (top 20):"]
    out += [f"  {n:>8}  {name or t}" for t, name, n in stats.territories[:20]] or ["  (none)"]
    out += ["", f"quality notes ({len(stats.notes)}):"]
    for note in stats.notes:
        kind = note["type"].rsplit("/", 1)[-1]
        out.append(f"  - [{kind}] {note['about']}: {note['comment']}")
    if stats.stale_after_days:
        out += [
            "",
            f"entries to verify (« à vérifier », not dated within {stats.stale_after_days} days, "
            f"`santegraph stale` lists them): {len(stats.stale)}",
        ]
    return "\n".join(out)
