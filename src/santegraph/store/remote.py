"""The remote backend: any SPARQL 1.1 endpoint, over the standard HTTP protocols.

Queries use the SPARQL 1.1 Protocol (POST, form-encoded), writes one SPARQL 1.1 Update
request each (atomic on the server), and single-graph replacement the Graph Store HTTP
Protocol (PUT) when a store URL is configured. The endpoint must present the union of
its named graphs as the default graph (see ``store/base.py``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, cast

import pyoxigraph as ox
import requests

from ..errors import QueryError, StoreError
from ..formats import check_media_type
from ..queries import query_form
from ..query_dataset import QueryDataset, query_dataset, without_dataset_clauses
from .base import GraphStore, Row, StreamedResult

JSON_RESULTS = "application/sparql-results+json"
# A named graph no store holds: Virtuoso reads every graph as named when the request names
# none, so an empty set of named graphs is asked for as this one.
NO_NAMED_GRAPH = "urn:x-santegraph:no-named-graph"
VIRTUOSO_TIMEOUT_STEP = 2.0  # seconds: when Virtuoso checks an "anytime" query's timeout


class RemoteStore(GraphStore):
    backend = "remote"

    def __init__(
        self,
        query_url: str,
        update_url: str = "",
        store_url: str = "",
        *,
        user: str = "",
        password: str = "",
        auth: str = "basic",
        timeout: float = 60.0,
        hidden_graphs: tuple[str, ...] = (),
        engine: str = "other",
    ):
        self.query_url, self.update_url, self.store_url = query_url, update_url, store_url
        self.engine = engine
        self.hidden_graph_prefixes = tuple(hidden_graphs)
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "santegraph"
        if user:
            self.session.auth = (
                requests.auth.HTTPDigestAuth(user, password)
                if auth == "digest"
                else requests.auth.HTTPBasicAuth(user, password)
            )

    def describe_backend(self) -> str:
        return f"remote ({self.query_url})"

    # ------------------------------------------------------------------ HTTP
    def _post(
        self,
        url: str,
        *,
        data: bytes | str | list[tuple[str, str]] | Mapping[str, str],
        headers: Mapping[str, str],
        stream: bool = False,
        what: str = "request",
    ) -> requests.Response:
        try:
            response = self.session.post(
                url, data=data, headers=dict(headers), timeout=self.timeout, stream=stream
            )
        except requests.Timeout as exc:
            raise QueryError(f"the endpoint {url} did not answer within {self.timeout} s") from exc
        except requests.RequestException as exc:
            raise StoreError(f"cannot reach the endpoint {url}: {exc}") from exc
        if response.status_code >= 400:
            message = response.text[:2000].strip()
            response.close()
            if response.status_code in (401, 403):
                raise StoreError(f"the endpoint {url} refused the credentials: {message}")
            # Servers answer a failed update with 4xx or 5xx (Oxigraph: 500 for "graph
            # already exists"); either way the update was refused and rolled back.
            if response.status_code < 500 or what == "update":
                raise QueryError(f"the endpoint rejected the {what}: {message}")
            raise StoreError(f"the endpoint {url} failed ({response.status_code}): {message}")
        if self.incomplete(response):  # never a partial answer read as a whole one
            response.close()
            raise StoreError(
                f"the endpoint {url} answered part of the result only (X-SQL-State: S1TAT, "
                f"{response.headers.get('X-SQL-Message', '')[:200]})"
            )
        return response

    def _query(
        self,
        query: str,
        accept: str,
        *,
        stream: bool = False,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> requests.Response:
        dataset = query_dataset(query, default_graph_uris, named_graph_uris)
        data = self.query_request(query, dataset)
        return self._post(self.query_url, data=data, headers={"Accept": accept}, stream=stream)

    def limit_fields(self, seconds: float | None, rows: int) -> list[tuple[str, str]]:
        """The form fields that pass a public query's limits to the engine, where it takes
        them per request: Virtuoso's ``timeout`` (milliseconds; it then stops and answers
        what it has, flagged by ``X-SQL-State: S1TAT``) and ``maxrows`` (it stops after
        that many rows: one more than the cap is enough to refuse the answer). Other
        engines are bounded by their own settings (docs/backends.md)."""
        if self.engine != "virtuoso":
            return []
        fields = []
        if seconds is not None:
            # Virtuoso 7.2 stops at the first multiple of 2 s past the time asked (asked
            # 0.5, 2.4, 5 s: stopped at 2.08, 4.06, 6.1 s): ask for the last multiple
            # before our own deadline, less a margin, so that its answer saying it stopped
            # arrives while we still wait (below 2 s it stops at 2 s, after our 503)
            usable = seconds - max(0.2 * seconds, 0.1)
            engine = VIRTUOSO_TIMEOUT_STEP * int(usable // VIRTUOSO_TIMEOUT_STEP) or usable
            fields.append(("timeout", str(max(1, int(engine * 1000)))))
        if rows > 0:
            fields.append(("maxrows", str(rows + 1)))
        return fields

    @staticmethod
    def incomplete(response: requests.Response) -> bool:
        """Whether Virtuoso says this 200 holds a partial answer (an "anytime" query
        stopped at its time limit; ``MaxQueryExecutionTime`` does the same)."""
        return bool(response.headers.get("X-SQL-State", "").upper() == "S1TAT")

    def query_request(self, query: str, dataset: QueryDataset) -> list[tuple[str, str]]:
        """The form fields of a query reading ``dataset``.

        A dataset other than the service's default is always sent as protocol parameters:
        they take precedence over the query's FROM (SPARQL 1.1 Protocol 2.1.4), whereas
        the endpoint's union default graph (``oxigraph serve --union-default-graph``)
        would replace it. Virtuoso adds the parameters to the query's clauses instead of
        replacing them, and reads every graph as named when none is named: it gets the
        query without its clauses and an explicitly empty set of named graphs.
        """
        if dataset.is_service_default:
            return [("query", query)]
        fields = [("default-graph-uri", g) for g in dataset.default or ()]
        fields += [("named-graph-uri", g) for g in dataset.named or ()]
        if self.engine == "virtuoso":
            query = without_dataset_clauses(query, dataset)
            if not dataset.named:
                fields.append(("named-graph-uri", NO_NAMED_GRAPH))
        return [("query", query), *fields]

    # ------------------------------------------------------------------ reading
    def _solutions(self, query: str) -> tuple[list[str], Iterator[Row]]:
        response = self._query(query, JSON_RESULTS)
        result = _parse_results(_fix_bnodes(response.content), ox.QueryResultsFormat.JSON)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        names = [v.value for v in result.variables]
        rows = [{name: solution[name] for name in names} for solution in result]
        return names, iter(rows)

    def _boolean(self, query: str) -> bool:
        response = self._query(query, JSON_RESULTS)
        result = _parse_results(response.content, ox.QueryResultsFormat.JSON)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    def _triples(self, query: str) -> Iterator[ox.Triple]:
        response = self._query(query, "application/n-triples")
        try:
            quads = ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
            return iter([ox.Triple(q.subject, q.predicate, q.object) for q in quads])
        except SyntaxError as exc:
            raise StoreError(f"the endpoint returned invalid N-Triples: {exc}") from exc

    def query_stream(
        self,
        query: str,
        media_type: str | None = None,
        *,
        default_graph_uris: Iterable[str] = (),
        named_graph_uris: Iterable[str] = (),
    ) -> StreamedResult:
        form = query_form(query)
        if form == "UPDATE":
            raise QueryError("updates are not queries")
        media_type = check_media_type(form, media_type)
        response = self._query(
            query,
            media_type,
            stream=True,
            default_graph_uris=default_graph_uris,
            named_graph_uris=named_graph_uris,
        )

        def chunks() -> Iterator[bytes]:
            with response:
                yield from response.iter_content(65536)

        return StreamedResult(media_type, chunks())

    # ------------------------------------------------------------------ writing
    def update(self, update: str) -> None:
        if not self.update_url:
            raise StoreError("this remote store has no update URL: it is read-only")
        self._post(
            self.update_url,
            data={"update": update},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            what="update",
        ).close()

    def _check_sizes(self, texts: Mapping[str, bytes], max_bytes: int) -> None:
        if not self.store_url:  # with a Graph Store endpoint any graph is one PUT
            super()._check_sizes(texts, max_bytes)

    def _write_graph(self, graph: str, text: bytes, max_bytes: int) -> None:
        # A PUT carries N-Triples, which no SPARQL compiler reads: Virtuoso's refuses
        # updates of a few thousand triples whatever their size in bytes.
        if self.store_url:
            self._put(graph, text)
        else:
            super()._write_graph(graph, text, max_bytes)

    def replace_graphs(self, graphs: Mapping[str, Iterable[ox.Quad | ox.Triple]]) -> None:
        # One graph: the Graph Store Protocol's PUT replaces it atomically and streams
        # plain N-Triples instead of an update text; several graphs need one update.
        if len(graphs) == 1 and self.store_url:
            ((graph, items),) = graphs.items()
            triples = [ox.Triple(t.subject, t.predicate, t.object) for t in items]
            self._put(graph, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
            return
        super().replace_graphs(graphs)

    def _put(self, graph: str, body: bytes) -> None:
        """Replace one graph by an N-Triples body (Graph Store Protocol PUT)."""
        try:
            response = self.session.put(
                self.store_url,
                params={"graph": graph},
                data=body,
                headers={"Content-Type": "application/n-triples"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise StoreError(f"cannot reach the graph store {self.store_url}: {exc}") from exc
        if response.status_code >= 400:
            raise StoreError(
                f"the graph store refused the PUT ({response.status_code}): {response.text[:500]}"
            )

    # ------------------------------------------------------------------ whole dataset
    def quads(self) -> Iterator[ox.Quad]:
        response = self._query(
            "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }", JSON_RESULTS, stream=True
        )
        # JSON, not TSV: Virtuoso 7 writes TSV headers as "s" instead of ?s.
        with response:
            # pyoxigraph only calls read() / readinto() (a whole IO[bytes] is not needed)
            stream = cast(IO[bytes], _BnodeFixingReader(response.iter_content(65536)))
            solutions = _parse_results(stream, ox.QueryResultsFormat.JSON)
            assert isinstance(solutions, ox.QuerySolutions)  # a SELECT's answer
            for solution in solutions:
                if self._visible(solution["g"].value):
                    yield ox.Quad(solution["s"], solution["p"], solution["o"], solution["g"])

    def close(self) -> None:
        self.session.close()


# Virtuoso writes blank nodes as {"type": "bnode", "value": "nodeID://b10006"}, which is
# not a valid blank node label; dropping the "nodeID://" scheme makes it one. Inside a
# JSON string a quote is escaped, so this byte pattern can only be a bnode value.
_VIRTUOSO_BNODE = re.compile(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")nodeID://')


def _fix_bnodes(data: bytes) -> bytes:
    return _VIRTUOSO_BNODE.sub(rb"\1", data)


class _BnodeFixingReader(io.RawIOBase):
    """A readable stream over response chunks, with :func:`_fix_bnodes` applied."""

    KEEP = 64  # longer than any match, so a match split across chunks is seen whole

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks, self.pending, self.done = chunks, b"", False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io passes a memoryview; the stub says any Buffer
        while not self.done and len(self.pending) < len(buffer) + self.KEEP:
            chunk = next(self.chunks, None)
            if chunk is None:
                self.done = True
            else:
                self.pending += chunk
        if self.done:
            fixed, self.pending = _fix_bnodes(self.pending), b""
        else:
            fixed = _fix_bnodes(self.pending[: -self.KEEP])
            self.pending = self.pending[-self.KEEP :]
        # what was fixed but does not fit waits at the front of pending (already fixed,
        # and fixing is idempotent)
        size = min(len(buffer), len(fixed))
        buffer[:size] = fixed[:size]
        self.pending = fixed[size:] + self.pending
        return size


def _parse_results(
    data: bytes | IO[bytes], fmt: ox.QueryResultsFormat
) -> ox.QuerySolutions | ox.QueryBoolean:
    try:
        return ox.parse_query_results(data, format=fmt)
    except SyntaxError as exc:
        raise StoreError(f"the endpoint returned malformed SPARQL results: {exc}") from exc
