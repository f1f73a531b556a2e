"""Serialising public query answers with pyoxigraph's own writers, under a result cap.

pyoxigraph serialises a whole ``QuerySolutions`` / ``QueryTriples`` and has no "stop after
N rows", so the cap is enforced on its output where rows can be counted exactly: its
SPARQL TSV and N-Triples writers put one row (one triple) per line and escape line breaks
inside terms. The writing is stopped by the sink at the first byte past the allowed
lines, which also stops the evaluation behind it (both are lazy).

- SELECT, no cap: the requested format, written directly.
- SELECT under a cap: TSV, counted and cut; then, unless TSV was asked for, parsed back and
  written in the requested format by pyoxigraph (the round trip is exact:
  ``tests/test_sandbox.py``).
- CONSTRUCT / DESCRIBE under a cap: N-Triples (and N-Quads, one triple a line as well)
  counted and cut the same way. Turtle is counted as N-Triples too (every N-Triples
  document is a Turtle document): up to ``TURTLE_REGROUP`` bytes it is then parsed back and
  written as grouped Turtle, above that the N-Triples text is sent as it is, which saves
  pulling every triple through Python (a fifth of the CPU of a 239,158-triple CONSTRUCT,
  docs/benchmarks.md). Other syntaxes get at most ``limit`` triples through
  ``itertools.islice`` into ``pyoxigraph.serialize``.
- ASK is never capped.

Each writer writes into a binary file-like object and returns an :class:`Outcome`. An
answer that reached the cap (``truncated``) is not a complete answer: the runner refuses
it (``ResultTooLarge``, never a 200), so a writer that knows it was cut stops there
instead of writing the rest in the requested format.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

import pyoxigraph as ox

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
N_TRIPLES = "application/n-triples"
N_QUADS = "application/n-quads"  # a CONSTRUCT's triples: N-Triples lines, default graph
SOLUTION_TYPES = (JSON, XML, CSV, TSV)
TURTLE = "text/turtle"
# the counted lines of a capped answer (TSV, N-Triples) kept in memory up to this size
# before they spill to disk
SPOOL_MEMORY = 4 * 1024 * 1024
# a capped Turtle answer up to this size (as N-Triples) is regrouped by subject
TURTLE_REGROUP = 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What a writer wrote: rows (or triples) and whether it stopped at the cap.

    ``count`` is None where nothing had to be counted (no cap, or triples under it).
    """

    count: int | None
    truncated: bool


class _Cut(Exception):
    """Raised by the sink to stop pyoxigraph's writer (and the evaluation) at the cap."""


class _LineCap:
    """A binary sink passing on the first ``lines`` lines; any byte past them stops it."""

    def __init__(self, out: IO[bytes], lines: int):
        self.out, self.left, self.lines, self.cut = out, lines, 0, False

    def write(self, data: bytes) -> int:
        size = len(data)
        if self.left <= 0:
            if size:
                self.cut = True
                raise _Cut
            return 0
        newlines = data.count(b"\n")
        if newlines < self.left:
            self.left -= newlines
            self.lines += newlines
            self.out.write(data)
            return size
        end = -1
        for _ in range(self.left):  # the last allowed line ends in this chunk
            end = data.index(b"\n", end + 1)
        self.lines += self.left
        self.left = 0
        self.out.write(data[: end + 1])
        if end + 1 < size:
            self.cut = True
            raise _Cut
        return size

    def flush(self) -> None:
        pass


# a pyoxigraph ``serialize`` method: (output, format)
_Serialize = Callable[[Any, Any], object]


def _serialize_until_cut(serialize: _Serialize, sink: _LineCap, fmt: object) -> None:
    try:
        serialize(sink, fmt)
    except Exception:
        if not sink.cut:  # a real error, not the cap
            raise


def _write_lines(out: IO[bytes], serialize: _Serialize, fmt: object, lines: int) -> _LineCap:
    """Write a line-per-row serialisation into ``out``, stopped after ``lines`` lines."""
    sink = _LineCap(out, lines)
    _serialize_until_cut(serialize, sink, fmt)
    return sink


def _spool(kind: str) -> tempfile.SpooledTemporaryFile[bytes]:
    """Where counted lines wait before they are written in the requested format."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, prefix=f"santegraph-{kind}-")


def write_solutions(
    out: BinaryIO, media_type: str, solutions: ox.QuerySolutions, limit: int = 0
) -> Outcome:
    """SELECT results in ``media_type``, at most ``limit`` rows (0: no cap)."""
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    if limit <= 0:
        solutions.serialize(out, fmt)
        return Outcome(None, False)
    # the header line, then one line per row
    if media_type == TSV:  # counted and cut on the way out
        sink = _write_lines(out, solutions.serialize, fmt, limit + 1)
        return Outcome(sink.lines - 1, sink.cut)
    with _spool("tsv") as tsv:
        sink = _write_lines(tsv, solutions.serialize, ox.QueryResultsFormat.TSV, limit + 1)
        if sink.cut:  # refused whole: not worth writing in the requested format
            return Outcome(sink.lines - 1, True)
        tsv.seek(0)
        parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        parsed.serialize(out, fmt)
    return Outcome(sink.lines - 1, False)


def write_triples(
    out: BinaryIO, media_type: str, triples: Iterable[ox.Triple], limit: int = 0
) -> Outcome:
    """CONSTRUCT / DESCRIBE triples in an RDF syntax, at most ``limit`` of them (0: no cap)."""
    fmt = ox.RdfFormat.from_media_type(media_type)
    native = triples if isinstance(triples, ox.QueryTriples) else None
    if limit <= 0:
        native.serialize(out, fmt) if native else ox.serialize(triples, out, fmt)
        return Outcome(None, False)
    if native and media_type in (N_TRIPLES, N_QUADS):
        sink = _write_lines(out, native.serialize, fmt, limit)
        return Outcome(sink.lines, sink.cut)
    if native and media_type == TURTLE:
        with _spool("nt") as nt:
            sink = _write_lines(nt, native.serialize, ox.RdfFormat.N_TRIPLES, limit)
            if sink.cut:  # refused whole
                return Outcome(sink.lines, True)
            size = nt.tell()
            nt.seek(0)
            if size <= TURTLE_REGROUP:
                ox.serialize(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES), out, fmt)
            else:
                shutil.copyfileobj(nt, out)
        return Outcome(sink.lines, sink.cut)
    items = iter(triples)
    ox.serialize(itertools.islice(items, limit), out, fmt)
    if next(items, None) is not None:
        return Outcome(limit, True)
    return Outcome(None, False)


def write_result(
    out: BinaryIO,
    media_type: str,
    result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples,
    limit: int = 0,
) -> Outcome:
    """Any pyoxigraph query result; ASK is never capped."""
    if isinstance(result, ox.QueryBoolean):
        result.serialize(out, ox.QueryResultsFormat.from_media_type(media_type))
        return Outcome(None, False)
    if isinstance(result, ox.QueryTriples):
        return write_triples(out, media_type, result, limit)
    return write_solutions(out, media_type, result, limit)
