"""A directory rots: when each entry was last updated or checked, and which ones to verify.

The date of an entry is the latest of: the update date of the directory records it comes
from (``date_maj`` of data·inclusion, ``maj`` of FINESS), a check a steward stated
(``sg:derniereVerification``), a steward's operation on a graph that describes it, the date
of the source document it is derived from (query ``mises-a-jour-des-entrees``). An entry
older than the ``stale_after_days`` setting, or never dated, is "à vérifier".
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..queries import PUBLIC, BindingValue, catalogue

if TYPE_CHECKING:
    from ..config import Settings
    from ..store.base import GraphStore, Row


@dataclass
class Freshness:
    entry: str
    label: str
    checked: str = ""  # YYYY-MM-DD, "" when never dated
    source: str = ""  # the dataset's or document's title, or "saisie de …"
    origin: str = ""  # annuaire | vérification | référent | document

    def older_than(self, limit: datetime.date) -> bool:
        return not self.checked or self.checked < limit.isoformat()


QUERY = "mises-a-jour-des-entrees"  # in the content's queries/: integrators run it too


def available(settings: Settings) -> bool:
    """Whether the query ships (the public catalogue, whatever the content)."""
    return any(q.name == QUERY for q in catalogue(PUBLIC))


def freshness(
    store: GraphStore, settings: Settings, entries: Iterable[str] | None = None
) -> dict[str, Freshness]:
    query = catalogue(PUBLIC)[QUERY].text
    bindings: dict[str, BindingValue] | None = None
    if entries is not None:
        nodes = [ox.NamedNode(e) for e in entries]
        if not nodes:
            return {}
        bindings = {"entree": nodes}
    found: dict[str, Freshness] = {}
    for row in store.select(query, bindings):
        entry = _value(row, "entree")
        item = found.setdefault(entry, Freshness(entry, _value(row, "nom")))
        date = _value(row, "date")[:10]
        if date and date >= item.checked:
            item.checked, item.source, item.origin = (
                date,
                _value(row, "source"),
                _value(row, "origine"),
            )
    return found


def stale_entries(
    store: GraphStore, settings: Settings, days: int, today: datetime.date | None = None
) -> list[Freshness]:
    """Every actor, dispositif and service not dated within ``days`` days, oldest first."""
    limit = (today or datetime.date.today()) - datetime.timedelta(days=days)
    stale = [f for f in freshness(store, settings).values() if f.older_than(limit)]
    return sorted(stale, key=lambda f: (f.checked, f.label))


def _value(row: Row, name: str) -> str:
    term = row.get(name)
    return term.value if term is not None else ""
