"""Checks on untrusted text before a native parser sees it.

pyoxigraph's parsers (JSON-LD, Turtle, SPARQL) recurse on nesting: a document or query
nested a few thousand levels deep overflows the stack and kills the whole process
(a segmentation fault, not an exception). So every untrusted text is scanned first, by
regular expressions that never recurse, and refused when it nests deeper than the
``max_nesting_depth`` setting.

The same scan finds the ``SERVICE`` clauses of a SPARQL query: a public query must not
make the server fetch URLs (loopback services, a port scan, a chain back into our own
``/sparql``), so ``SERVICE`` is refused unless its endpoint is allow-listed.

The scan is lexical: strings, comments and IRIs are skipped, brackets are counted. It may
overcount (a bracket inside a malformed string), never undercount, so it errs on the side
of refusing.

The other bounds of untrusted input, each a setting, each refused with
:class:`~santegraph.errors.LimitExceeded` (HTTP 413) naming it:

* **triples** (``max_triples``): :func:`limit_triples` counts what a parser yields and
  stops at the first triple past the limit (Turtle collections and blank-node lists
  expand: bytes alone do not bound them);
* **CSV** (``max_csv_rows``, ``max_csv_columns``, ``max_csv_cell_chars``):
  :func:`bounded_csv_rows` passes ``(line, cells)`` pairs through, header first;
* **gzip** (``max_inflated_bytes``, ``max_inflation_ratio``): :func:`open_gzip` inflates
  as a stream and stops at the first chunk past either bound; :func:`inflate` for bytes.

These helpers are the API other readers of untrusted files call (steward CSV templates,
RDF files, directory imports): ``CsvLimits.from_settings(settings)`` and
``InflateLimits.from_settings(settings)`` give their bounds.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from .errors import InputError, LimitExceeded, QueryError

if TYPE_CHECKING:
    from .config import Settings

# Possessive quantifiers (*+): a string that is never closed is scanned once, not
# re-tried from every position, so the scan stays linear on hostile input.
_STRING = r"""
      \"\"\"(?:[^"\\]|\\.|"(?!""))*+\"\"\"
    | '''(?:[^'\\]|\\.|'(?!''))*+'''
    | "(?:[^"\\\n\r]|\\.)*+"
    | '(?:[^'\\\n\r]|\\.)*+'
"""
_IRI = r"""<[^<>"{}|^`\\\x00-\x20]*+>"""

# Turtle, TriG, N-Triples, N-Quads and SPARQL: ( [ { and RDF 1.2's << open a level.
_TURTLE_LIKE = re.compile(
    rf"""
    (?P<skip> {_STRING} | \#[^\n\r]*+ | {_IRI} )
    | (?P<open> << | [\[({{] )
    | (?P<close> >> | [\])}}] )
    """,
    re.VERBOSE,
)
_JSON = re.compile(
    r"""
    (?P<skip> "(?:[^"\\]|\\.)*+" )
    | (?P<open> [\[{] )
    | (?P<close> [\]}] )
    """,
    re.VERBOSE,
)
SYNTAXES = {"turtle": _TURTLE_LIKE, "sparql": _TURTLE_LIKE, "json": _JSON}

# SERVICE as a keyword: not part of a name, a variable or a prefixed name. Strings and
# comments are blanked and IRIs replaced by a numbered marker before this runs.
_SERVICE = re.compile(
    r"(?<![\w?$:\-])SERVICE(?![\w:\-])\s*+(?:SILENT(?![\w:\-])\s*+)?(?P<target>\S{0,200})",
    re.IGNORECASE,
)
_IRI_MARKER = re.compile(r"\x00(\d+)\x00")
_ABSOLUTE_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def nesting_depth(text: str, syntax: str) -> int:
    """The deepest level of brackets outside strings, comments and IRIs."""
    pattern = SYNTAXES[syntax]
    depth = deepest = 0
    for match in pattern.finditer(text):
        kind = match.lastgroup
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(depth - 1, 0)
    return deepest


def check_document_depth(data: bytes | str, syntax: str, limit: int, *, source: str) -> None:
    """InputError when an RDF document nests deeper than ``limit`` (0: no limit)."""
    if limit <= 0:
        return
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    depth = nesting_depth(text, syntax)
    if depth > limit:
        raise InputError(
            f"document nested {depth} levels deep: the limit is {limit} "
            "(setting max_nesting_depth)",
            source=source,
        )


class QueryTooDeep(QueryError):
    """A query nested deeper than the parser may safely recurse (a 400)."""


class ServiceRefused(QueryError):
    """A query calling a SERVICE endpoint that is not allow-listed (a 403)."""


@dataclass(frozen=True)
class ServiceClause:
    target: str  # what follows SERVICE [SILENT]: an IRI, a prefixed name or a variable
    iri: str | None  # the endpoint, when the target is an absolute IRI


def service_clauses(query: str) -> Iterator[ServiceClause]:
    """Every SERVICE clause of a SPARQL text (outside strings, comments and IRIs)."""
    iris: list[str] = []
    pieces: list[str] = []
    last = 0
    for match in _TURTLE_LIKE.finditer(query):
        if match.lastgroup != "skip":
            continue
        token = match.group(0)
        pieces.append(query[last : match.start()])
        if token.startswith("<"):
            pieces.append(f"\x00{len(iris)}\x00")
            iris.append(token[1:-1])
        else:
            pieces.append(" ")  # a string or a comment separates tokens
        last = match.end()
    pieces.append(query[last:])
    for match in _SERVICE.finditer("".join(pieces)):
        target = match.group("target")
        marker = _IRI_MARKER.match(target)
        if marker:
            iri = iris[int(marker.group(1))]
            yield ServiceClause(f"<{iri}>", iri if _ABSOLUTE_IRI.match(iri) else None)
        else:
            yield ServiceClause(target, None)


def check_query_depth(query: str, max_depth: int) -> None:
    """QueryTooDeep for a SPARQL query or update nested deeper than ``max_depth``."""
    if max_depth > 0:
        depth = nesting_depth(query, "sparql")
        if depth > max_depth:
            raise QueryTooDeep(
                f"query nested {depth} levels deep: this endpoint accepts at most "
                f"{max_depth} (setting max_nesting_depth)"
            )


def check_public_query(query: str, *, max_depth: int, service_allowlist: Iterable[str]) -> None:
    """QueryTooDeep, or ServiceRefused for a SERVICE whose endpoint is not allow-listed."""
    check_query_depth(query, max_depth)
    allowed = {iri for iri in service_allowlist if iri}
    for clause in service_clauses(query):
        iri = clause.iri
        if not allowed:
            raise ServiceRefused(
                "SERVICE (federated query) is disabled on this endpoint: it would make the "
                "server fetch URLs (setting sparql_service_allowlist)"
            )
        if iri is None:
            raise ServiceRefused(
                "SERVICE needs an absolute IRI here (<https://...>), not a variable, a "
                f"prefixed name or a relative IRI ({clause.target[:60]!r}), so that it can "
                "be checked against the allow-list (setting sparql_service_allowlist)"
            )
        if iri not in allowed:
            raise ServiceRefused(
                f"SERVICE <{iri}> is not allow-listed on this endpoint "
                "(setting sparql_service_allowlist)"
            )


# ------------------------------------------------------------------ XML entities
# RDF/XML may declare entities in its DOCTYPE (OWL files do, for namespace IRIs), and
# pyoxigraph expands them: an 815-byte "billion laughs" document grows to gigabytes.
# The expansion is computed from the declarations before the parser runs.
_DOCTYPE = re.compile(r"<!DOCTYPE[^\[>]*+\[(?P<subset>.*?)\]\s*+>", re.DOTALL)
_ENTITY = re.compile(
    r"""<!ENTITY\s++(?P<parameter>%\s++)?(?P<name>[^\s"'>]++)\s++"""
    r"""(?:(?P<external>SYSTEM|PUBLIC)\b[^>]*+|"(?P<dq>[^"]*+)"|'(?P<sq>[^']*+)')\s*+>"""
)
_REFERENCE = re.compile(r"&(?P<name>[A-Za-z_:][\w.:\-]*+);")
_PREDEFINED = {"amp", "lt", "gt", "apos", "quot"}


def check_xml_entities(data: bytes | str, limit: int, *, source: str) -> None:
    """InputError when an XML document's entities would expand beyond ``limit`` bytes, or
    when it declares external or parameter entities (never fetched, never expanded)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    doctype = _DOCTYPE.search(text)
    if doctype is None:
        return
    values: dict[str, str] = {}
    for match in _ENTITY.finditer(doctype.group("subset")):
        if match.group("parameter") or match.group("external"):
            raise InputError(
                f"the DOCTYPE declares an external or parameter entity "
                f"({match.group('name')!r}): not accepted",
                source=source,
            )
        values[match.group("name")] = match.group("dq") or match.group("sq") or ""
    sizes: dict[str, int] = {}

    def expanded(name: str, seen: tuple[str, ...] = ()) -> int:
        if name in sizes:
            return sizes[name]
        if name in seen:
            raise InputError(f"entity {name!r} refers to itself", source=source)
        value = values.get(name, "")
        size = len(_REFERENCE.sub("", value))
        for ref in _REFERENCE.finditer(value):
            if ref.group("name") not in _PREDEFINED:
                size += expanded(ref.group("name"), (*seen, name))
            if size > limit > 0:
                break
        sizes[name] = size
        return size

    body = text[doctype.end() :]
    total = 0
    for ref in _REFERENCE.finditer(body):
        if ref.group("name") in values:
            total += expanded(ref.group("name"))
            if total > limit > 0:
                raise InputError(
                    f"entity expansion would produce more than {limit} bytes "
                    "(setting max_entity_expansion_bytes)",
                    source=source,
                )


# ------------------------------------------------------------------ triples
T = TypeVar("T")


def limit_triples(items: Iterable[T], limit: int, *, source: str) -> Iterator[T]:
    """``items`` (a parser's quads or triples) passed through, one at a time; LimitExceeded
    at the first one past ``limit`` (0: no limit), before any more is parsed."""
    count = 0
    for item in items:
        count += 1
        if count > limit > 0:
            raise too_many_triples(limit, source=source)
        yield item


def too_many_triples(limit: int, *, source: str) -> LimitExceeded:
    return LimitExceeded(
        f"more than {limit} triples in one submission (setting max_triples): split it",
        setting="max_triples",
        limit=limit,
        french=f"plus de {limit} triplets dans un même envoi (réglage max_triples) : "
        "découpez le fichier en plusieurs envois",
        source=source,
    )


# ------------------------------------------------------------------ CSV
@dataclass(frozen=True)
class CsvLimits:
    """The bounds of an untrusted CSV file (0: no limit)."""

    rows: int  # data rows, after the header
    columns: int  # cells in one row
    cell_chars: int  # characters in one cell

    @classmethod
    def from_settings(cls, settings: Settings) -> CsvLimits:
        return cls(settings.max_csv_rows, settings.max_csv_columns, settings.max_csv_cell_chars)


NO_CSV_LIMITS = CsvLimits(0, 0, 0)


def bounded_csv_rows(
    rows: Iterable[tuple[int, Sequence[str]]], limits: CsvLimits, *, source: str
) -> Iterator[tuple[int, Sequence[str]]]:
    """``(line, cells)`` pairs of a CSV file, the header first, passed through one at a
    time; LimitExceeded (in French: these files are stewards') at the first row, row length
    or cell beyond ``limits``. A ``csv.Error`` of the reader becomes an InputError: a cell
    over the csv module's own field limit is a LimitExceeded as well."""
    index = 0
    iterator = iter(rows)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise _csv_limit(
                    "max_csv_cell_chars",
                    limits.cell_chars or csv.field_size_limit(),
                    "caractères dans une cellule",
                    source,
                ) from exc
            raise InputError(f"CSV illisible : {exc}", source=source) from exc
        line, cells = item
        if index > limits.rows > 0:
            raise _csv_limit("max_csv_rows", limits.rows, "lignes de données", source, line)
        if len(cells) > limits.columns > 0:
            raise _csv_limit(
                "max_csv_columns", limits.columns, "cellules dans une ligne", source, line
            )
        if limits.cell_chars > 0:
            for cell in cells:
                if len(cell) > limits.cell_chars:
                    raise _csv_limit(
                        "max_csv_cell_chars",
                        limits.cell_chars,
                        "caractères dans une cellule",
                        source,
                        line,
                    )
        index += 1
        yield line, cells


def _csv_limit(
    setting: str, limit: int, what: str, source: str, line: int | None = None
) -> LimitExceeded:
    return LimitExceeded(
        f"plus de {limit} {what} (réglage {setting})",
        setting=setting,
        limit=limit,
        source=source,
        line=line,
    )


# ------------------------------------------------------------------ gzip
RATIO_FLOOR = 16 * 1024 * 1024  # inflated bytes below which any ratio is accepted


@dataclass(frozen=True)
class InflateLimits:
    """The bounds of a gzip input (0: no limit)."""

    max_bytes: int
    max_ratio: int

    @classmethod
    def from_settings(cls, settings: Settings) -> InflateLimits:
        return cls(settings.max_inflated_bytes, settings.max_inflation_ratio)


class _Counting(io.RawIOBase):
    """The compressed stream, counting the bytes the inflater has read from it."""

    def __init__(self, raw: BinaryIO):
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io passes a memoryview; the stub says any Buffer
        data = self.raw.read(len(buffer))
        self.count += len(data)
        buffer[: len(data)] = data
        return len(data)


class _BoundedInflate(io.RawIOBase):
    def __init__(self, raw: BinaryIO, limits: InflateLimits, source: str):
        self.counted = _Counting(raw)
        self.inner = gzip.GzipFile(fileobj=self.counted, mode="rb")
        self.limits, self.source, self.out = limits, source, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io passes a memoryview; the stub says any Buffer
        try:
            size = self.inner.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"not a valid gzip file: {exc}", source=self.source) from exc
        self.out += size
        limits = self.limits
        if self.out > limits.max_bytes > 0:
            raise LimitExceeded(
                f"inflates to more than {limits.max_bytes} bytes (setting max_inflated_bytes)",
                setting="max_inflated_bytes",
                limit=limits.max_bytes,
                french=f"se décompresse en plus de {limits.max_bytes} octets "
                "(réglage max_inflated_bytes)",
                source=self.source,
            )
        if limits.max_ratio > 0 and self.out > RATIO_FLOOR:
            if self.out > limits.max_ratio * max(self.counted.count, 1):
                raise LimitExceeded(
                    f"inflates more than {limits.max_ratio} times its compressed size "
                    "(setting max_inflation_ratio): a gzip bomb?",
                    setting="max_inflation_ratio",
                    limit=limits.max_ratio,
                    french=f"se décompresse en plus de {limits.max_ratio} fois sa taille "
                    "(réglage max_inflation_ratio)",
                    source=self.source,
                )
        return size

    def close(self) -> None:
        self.inner.close()
        self.counted.raw.close()
        super().close()


def open_gzip(raw: BinaryIO, limits: InflateLimits, *, source: str) -> BinaryIO:
    """A binary stream of the inflated content of the gzip stream ``raw`` (every member),
    read chunk by chunk: LimitExceeded as soon as it goes beyond ``limits``, InputError
    for a file that is not gzip. Closing it closes ``raw``."""
    return io.BufferedReader(_BoundedInflate(raw, limits, source), 64 * 1024)


def inflate(data: bytes, limits: InflateLimits, *, source: str) -> bytes:
    """The inflated content of gzip ``data``, within ``limits``."""
    out = bytearray()
    with open_gzip(io.BytesIO(data), limits, source=source) as stream:
        while chunk := stream.read(64 * 1024):
            out += chunk
    return bytes(out)
