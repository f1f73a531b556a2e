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
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .errors import InputError, QueryError

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
