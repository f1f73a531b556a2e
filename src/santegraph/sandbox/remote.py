"""Public queries on the remote backend: the deadline on the HTTP exchange.

No worker here: the deadline bounds the whole HTTP exchange (each socket read waits at
most for the time left) and the connection is closed when it is reached. The answer is
asked as SPARQL JSON or N-Triples and re-serialised by the capped writers of
``results.py``, so that the cap applies.

Closing the connection does not stop the server's evaluation, so the engine is told the
limits where it takes them per request (``RemoteStore.limit_fields``: Virtuoso's
``timeout`` and ``maxrows``); elsewhere its own setting bounds it (``oxigraph serve
--timeout-s``, Fuseki's ``arq:queryTimeout``; docs/backends.md). An engine that stops a
query at its limit answers in its own way, each read as this query's timeout: Virtuoso
a 200 with ``X-SQL-State: S1TAT`` and a partial answer, Oxigraph a 200 whose body ends
in "The SPARQL operation has been cancelled".
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, BinaryIO, cast

import pyoxigraph as ox

from .. import results
from ..errors import QueryError, StoreError
from ..query_dataset import query_dataset
from .answer import CHUNK, Spool, SpooledAnswer
from .runner import QueryRunner, ResultTooLarge, time_left, unsupported

# What oxigraph serve writes into the body of a 200 when its --timeout-s stops a query.
CANCELLED = b"The SPARQL operation has been cancelled"

if TYPE_CHECKING:
    import requests

    from ..store import RemoteStore


class RemoteRunner(QueryRunner):
    """The deadline on the HTTP exchange; the cap while re-serialising the answer."""

    def __init__(self, store: RemoteStore, *, timeout: float, limit: int):
        super().__init__(timeout, limit)
        self.store = store

    def run(
        self,
        query: str,
        media_type: str | None = None,
        *,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> SpooledAnswer:
        form, media_type = self._form_and_type(query, media_type)
        deadline = self._deadline()
        import requests

        from ..store.remote import _BnodeFixingReader

        graph = form in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples" if graph else results.JSON
        dataset = query_dataset(query, default_graph_uris, named_graph_uris)
        fields = self.store.query_request(query, dataset)
        rows = 0 if form == "ASK" else self.limit
        fields += self.store.limit_fields(time_left(deadline), rows)
        response = self._post(fields, accept, deadline)
        chunks = _DeadlineChunks(response, deadline)
        # Virtuoso's JSON blank nodes fixed (a pattern N-Triples cannot hold unescaped)
        # pyoxigraph reads with read() / readinto() only; results' writers call write() only
        reader = cast(IO[bytes], _BnodeFixingReader(iter(chunks)))
        spool = Spool()
        sink = cast(BinaryIO, spool)
        try:
            with response:
                if graph:
                    triples = (
                        ox.Triple(q.subject, q.predicate, q.object)
                        for q in ox.parse(reader, format=ox.RdfFormat.N_TRIPLES)
                    )
                    outcome = results.write_triples(sink, media_type, triples, self.limit)
                else:
                    parsed = ox.parse_query_results(reader, format=ox.QueryResultsFormat.JSON)
                    outcome = results.write_result(sink, media_type, parsed, self.limit)
        except BaseException as exc:
            spool.close()
            if chunks.timed_out:
                raise self._timeout_error() from exc
            if CANCELLED in chunks.tail:  # the engine stopped it at its own time limit
                raise self._timeout_error(by_engine=True) from exc
            if isinstance(exc, SyntaxError):
                raise StoreError(f"the endpoint returned malformed results: {exc}") from exc
            if isinstance(exc, (OSError, requests.RequestException)):
                raise StoreError(f"reading the endpoint's answer failed: {exc}") from exc
            raise
        if outcome.truncated:  # over the cap: refused whole, never cut
            spool.close()
            raise ResultTooLarge(self.limit, form)
        return SpooledAnswer(media_type, spool, count=outcome.count)

    def _post(
        self, data: list[tuple[str, str]], accept: str, deadline: float | None
    ) -> requests.Response:
        import requests

        remaining = time_left(deadline)
        url = self.store.query_url
        try:
            response = self.store.session.post(
                url,
                data=data,
                headers={"Accept": accept},
                timeout=self.store.timeout if remaining is None else (remaining, remaining),
                stream=True,
            )
        except requests.Timeout as exc:
            raise self._timeout_error() from exc
        except requests.RequestException as exc:
            raise StoreError(f"cannot reach the endpoint {url}: {exc}") from exc
        if response.status_code >= 400:
            message = response.text[:2000].strip()
            response.close()
            unknown = unsupported(message)  # oxigraph serve and Virtuoso answer it with 500
            if unknown is not None:
                raise unknown
            if response.status_code < 500:
                raise QueryError(f"the endpoint rejected the query: {message}")
            raise StoreError(f"the endpoint {url} failed ({response.status_code}): {message}")
        if self.store.incomplete(response):  # stopped at the limit the engine was given
            response.close()
            raise self._timeout_error(by_engine=True)
        return response


class _DeadlineChunks:
    """The response body in chunks; no read waits past the deadline (total time)."""

    def __init__(self, response: requests.Response, deadline: float | None):
        self.response, self.deadline = response, deadline
        self.timed_out = False
        self.tail = b""  # the last bytes read: an engine's message after a partial answer

    def __iter__(self) -> Iterator[bytes]:
        raw = self.response.raw
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        while True:
            remaining = time_left(self.deadline)
            if remaining is not None:
                if remaining <= 0:
                    self._stop()
                    raise TimeoutError("deadline reached")
                if isinstance(sock, socket.socket):
                    sock.settimeout(remaining)  # this read, at most until the deadline
            try:
                chunk = raw.read(CHUNK, decode_content=True)
            except Exception:
                if self.deadline is not None and time_left(self.deadline) <= 0.05:
                    self._stop()
                raise
            if not chunk:
                return
            self.tail = (self.tail + chunk)[-256:]
            yield chunk

    def _stop(self) -> None:
        self.timed_out = True
        self.response.close()  # the connection is dropped, not returned to the pool
