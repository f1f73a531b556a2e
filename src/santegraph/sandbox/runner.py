"""The interface of a query runner, its errors, and the choice of runner per backend.

A runner evaluates one untrusted query to completion within a time limit and a result
cap, and returns a :class:`~santegraph.sandbox.answer.SpooledAnswer`.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, overload

from ..errors import QueryError, SantegraphError

if TYPE_CHECKING:
    from ..config import Settings
    from ..store import GraphStore
    from .answer import SpooledAnswer


class QueryTimeout(SantegraphError):
    """The query did not finish within the time limit; it was stopped."""


class QueryUnsupported(QueryError):
    """A valid query calling a function the engine does not implement (an extension
    function: each engine has its own). Not the client's syntax error: a 501."""


# How engines say they do not know a function: Oxigraph (embedded, oxigraph serve) and
# Virtuoso (which looks it up as an SQL procedure).
_UNKNOWN_FUNCTION = re.compile(
    r"The custom function (?P<oxigraph><[^>]*>) is not supported"
    r"|Undefined procedure DB\.DBA\.(?P<virtuoso>\S+?)\.?(?:\s|$)"
)


def unsupported(message: str) -> QueryUnsupported | None:
    """A QueryUnsupported for an engine's message about an unknown function, else None."""
    match = _UNKNOWN_FUNCTION.search(message)
    if match is None:
        return None
    function = match.group("oxigraph") or f"<{match.group('virtuoso')}>"
    return QueryUnsupported(
        f"the query is valid SPARQL, but this endpoint's engine does not implement the "
        f"function {function}: extension functions are each engine's own (the engine "
        f"said: {message.strip().splitlines()[0][:300]})"
    )


class QueryBusy(SantegraphError):
    """Every query worker stayed busy until the deadline; the query never started."""


class ResultTooLarge(SantegraphError):
    """The answer holds more rows (or triples) than the result cap: refused whole, never
    cut, so that a 200 is always a complete answer."""

    def __init__(self, limit: int, form: str):
        self.limit = limit
        what = "triples" if form in ("CONSTRUCT", "DESCRIBE") else "rows"
        page = (
            "ORDER BY plus LIMIT and OFFSET"
            if what == "rows"
            else "a SELECT with ORDER BY, LIMIT and OFFSET"
        )
        super().__init__(
            f"the answer holds more than {limit:,} {what}, the most this endpoint sends in "
            f"one answer (setting result_limit); nothing was sent. Ask for at most {limit:,} "
            f"{what} with LIMIT, and page through the rest with {page} "
            f"(LIMIT {limit} OFFSET 0, then OFFSET {limit}, ...)."
        )


class QueryRunner(ABC):
    """Runs one untrusted query to completion within ``timeout`` s, at most ``limit`` rows."""

    def __init__(self, timeout: float, limit: int):
        self.timeout, self.limit = timeout, limit

    @abstractmethod
    def run(
        self,
        query: str,
        media_type: str | None = None,
        *,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> SpooledAnswer:
        """Raise QueryError (bad query), QueryTimeout, QueryBusy or StoreError."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Stop workers, delete snapshots."""

    @staticmethod
    def _form_and_type(query: str, media_type: str | None) -> tuple[str, str]:
        from ..formats import check_media_type
        from ..queries import query_form

        form = query_form(query)
        if form == "UPDATE":
            raise QueryError("updates are not queries")
        return form, check_media_type(form, media_type)

    def _deadline(self) -> float | None:
        return time.monotonic() + self.timeout if self.timeout > 0 else None

    def _timeout_error(self, *, by_engine: bool = False) -> QueryTimeout:
        message = f"query exceeded the time limit of {self.timeout:g} s"
        if by_engine:  # the remote engine stopped it itself: its CPU is free
            message += " (the endpoint stopped it at its own limit)"
        return QueryTimeout(message)


def make_runner(settings: Settings, store: GraphStore) -> QueryRunner:
    """The runner for the configured backend (nothing starts before the first query)."""
    from ..store import EmbeddedStore, RemoteStore
    from .embedded import EmbeddedRunner
    from .remote import RemoteRunner

    if isinstance(store, EmbeddedStore):
        return EmbeddedRunner(
            store,
            timeout=settings.query_timeout,
            limit=settings.result_limit,
            workers=settings.query_workers,
            threads=settings.query_threads,
        )
    if isinstance(store, RemoteStore):
        return RemoteRunner(store, timeout=settings.query_timeout, limit=settings.result_limit)
    raise TypeError(f"no query runner for {type(store).__name__}")


@overload
def time_left(deadline: float) -> float: ...
@overload
def time_left(deadline: None) -> None: ...
@overload
def time_left(deadline: float | None) -> float | None: ...


def time_left(deadline: float | None) -> float | None:
    """Seconds left until ``deadline`` (a ``time.monotonic`` value); None: no deadline."""
    return None if deadline is None else deadline - time.monotonic()
