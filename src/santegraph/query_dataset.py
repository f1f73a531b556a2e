"""The RDF dataset a public query reads (SPARQL 1.1 Protocol 2.1.4, Query 13.2).

In order: the protocol's ``default-graph-uri`` / ``named-graph-uri`` parameters; else the
query's own ``FROM`` / ``FROM NAMED`` clauses; else the service's default, the union of
the named graphs as default graph with every named graph. With a ``FROM`` and no ``FROM
NAMED`` there is no named graph; with ``FROM NAMED`` only, the default graph is empty.

pyoxigraph's ``use_default_graph_as_union`` and ``oxigraph serve --union-default-graph``
replace a query's own ``FROM``, so the engine must be told the dataset: the embedded
store evaluates the query without the union when it names its dataset; a remote
endpoint gets the dataset as protocol parameters, which take precedence over the query
(``--union-default-graph`` included). The clauses are read here lexically (strings,
comments and IRIs skipped, as in ``bounds.py``): ``FROM`` is a keyword nowhere else in
SPARQL, and a prefixed name or relative IRI is resolved against the query's own
``PREFIX`` and ``BASE`` declarations (RFC 3986 section 5.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .errors import QueryError

# Possessive quantifiers: an unclosed string is scanned once (linear on hostile input).
_TOKEN = re.compile(
    r"""
      (?P<skip> \"\"\"(?:[^"\\]|\\.|"(?!""))*+\"\"\"
              | '''(?:[^'\\]|\\.|'(?!''))*+'''
              | "(?:[^"\\\n\r]|\\.)*+"
              | '(?:[^'\\\n\r]|\\.)*+'
              | \#[^\n\r]*+ )
    | (?P<iri> <[^<>"{}|^`\\\x00-\x20]*+> )
    | (?P<word> (?:\\.|[^\s<>"'{}()\[\];,#\\])++ )
    | (?P<other> \S )
    """,
    re.VERBOSE,
)
_PNAME = re.compile(r"(?P<prefix>[^:]*):(?P<local>.*)", re.DOTALL)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_LOCAL_ESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class QueryDataset:
    """A query's dataset. ``None`` is the service's default: the union of the named
    graphs as default graph (``default``), every named graph (``named``)."""

    default: tuple[str, ...] | None = None
    named: tuple[str, ...] | None = None
    from_query: bool = False  # the query's own FROM / FROM NAMED (not protocol parameters)
    # where the query's dataset clauses are, (start, end) in its text
    clause_spans: tuple[tuple[int, int], ...] = ()

    @property
    def is_service_default(self) -> bool:
        return self.default is None and self.named is None


@dataclass(frozen=True)
class DatasetClause:
    named: bool
    iri: str
    span: tuple[int, int]


def query_dataset(
    query: str, default_graph_uris: Iterable[str] = (), named_graph_uris: Iterable[str] = ()
) -> QueryDataset:
    """The dataset ``query`` reads when sent with these protocol parameters."""
    default, named = _unique(default_graph_uris), _unique(named_graph_uris)
    clauses = list(dataset_clauses(query))
    spans = tuple(c.span for c in clauses)
    if default or named:  # the protocol's dataset wins over the query's
        return QueryDataset(default, named, clause_spans=spans)
    if clauses:
        return QueryDataset(
            _unique(c.iri for c in clauses if not c.named),
            _unique(c.iri for c in clauses if c.named),
            from_query=True,
            clause_spans=spans,
        )
    return QueryDataset()


def without_dataset_clauses(query: str, dataset: QueryDataset) -> str:
    """The query with its FROM / FROM NAMED clauses blanked out (same length, so parser
    positions in error messages stay true), for an engine that adds the protocol's dataset
    to the query's instead of replacing it (Virtuoso)."""
    if not dataset.clause_spans:
        return query
    text = list(query)
    for start, end in dataset.clause_spans:
        text[start:end] = " " * (end - start)
    return "".join(text)


def dataset_clauses(query: str) -> Iterator[DatasetClause]:
    """Every FROM / FROM NAMED clause of a query, its graph IRI absolute."""
    base: str | None = None
    prefixes: dict[str, str] = {}
    tokens = [m for m in _TOKEN.finditer(query) if m.lastgroup != "skip"]
    prologue = True
    i = 0
    while i < len(tokens):
        token = tokens[i]
        word = token.group(0).upper() if token.lastgroup == "word" else ""
        if prologue and word == "BASE" and _kind(tokens, i + 1) == "iri":
            base = _resolve(_iri(tokens[i + 1]), base)
            i += 2
            continue
        if prologue and word == "PREFIX" and i + 2 < len(tokens):
            name, value = tokens[i + 1], tokens[i + 2]
            declared = name.lastgroup == "word" and name.group(0).endswith(":")
            if declared and value.lastgroup == "iri":
                prefixes[name.group(0)[:-1]] = _resolve(_iri(value), base)
                i += 3
                continue
        if word in ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK"):
            prologue = False
        if word == "FROM":
            start = token.start()
            i += 1
            named = _kind(tokens, i) == "word" and tokens[i].group(0).upper() == "NAMED"
            if named:
                i += 1
            if i >= len(tokens):
                raise QueryError("SPARQL syntax error: FROM without a graph IRI")
            target = tokens[i]
            if target.lastgroup == "iri":
                iri = _iri(target)
            elif target.lastgroup == "word" and _PNAME.fullmatch(target.group(0)):
                iri = _expand(target.group(0), prefixes)
            else:
                raise QueryError(
                    f"SPARQL syntax error: FROM expects a graph IRI, not {target.group(0)[:40]!r}"
                )
            yield DatasetClause(named, _absolute(iri, base), (start, target.end()))
        i += 1


def _kind(tokens: Sequence[re.Match[str]], i: int) -> str | None:
    return tokens[i].lastgroup if i < len(tokens) else None


def _iri(token: re.Match[str]) -> str:
    return _unescape_iri(token.group(0)[1:-1])


def _unescape_iri(text: str) -> str:
    # IRIREF allows \uXXXX and \UXXXXXXXX escapes
    return re.sub(
        r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})",
        lambda m: chr(int(m.group(1) or m.group(2), 16)),
        text,
    )


def _expand(pname: str, prefixes: dict[str, str]) -> str:
    match = _PNAME.fullmatch(pname)
    assert match is not None  # the tokenizer matched it as a prefixed name
    prefix, local = match.group("prefix"), match.group("local")
    if prefix not in prefixes:
        raise QueryError(f"SPARQL syntax error: the prefix {prefix}: is not declared")
    return prefixes[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)


def _absolute(iri: str, base: str | None) -> str:
    resolved = _resolve(iri, base)
    if not _SCHEME.match(resolved):
        raise QueryError(f"FROM <{iri}>: a relative IRI and no BASE to resolve it against")
    return resolved


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --------------------------------------------------------------------- RFC 3986 5.2
_PARTS = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.S)


def _resolve(reference: str, base: str | None) -> str:
    """``reference`` resolved against ``base`` (RFC 3986 section 5.2.2, strict)."""
    if base is None:
        return reference
    r_scheme, r_auth, r_path, r_query, r_frag = _split(reference)
    b_scheme, b_auth, b_path, b_query, _ = _split(base)
    scheme: str | None
    if r_scheme is not None:
        scheme, auth, path, query = r_scheme, r_auth, _remove_dots(r_path), r_query
    elif r_auth is not None:
        scheme, auth, path, query = b_scheme, r_auth, _remove_dots(r_path), r_query
    elif r_path == "":
        scheme, auth, path = b_scheme, b_auth, b_path
        query = r_query if r_query is not None else b_query
    else:
        scheme, auth, query = b_scheme, b_auth, r_query
        if r_path.startswith("/"):
            path = _remove_dots(r_path)
        elif b_auth is not None and b_path == "":
            path = _remove_dots("/" + r_path)
        else:
            path = _remove_dots(b_path[: b_path.rfind("/") + 1] + r_path)
    out = f"{scheme}:" if scheme is not None else ""
    if auth is not None:
        out += "//" + auth
    out += path
    if query is not None:
        out += "?" + query
    if r_frag is not None:
        out += "#" + r_frag
    return out


def _split(iri: str) -> tuple[str | None, str | None, str, str | None, str | None]:
    """(scheme, authority, path, query, fragment); only the path is always there."""
    match = _PARTS.match(iri)
    assert match is not None  # every part is optional: any text matches
    scheme, authority, path, query, fragment = match.groups()
    return scheme, authority, path or "", query, fragment


def _remove_dots(path: str) -> str:
    output: list[str] = []
    while path:
        if path.startswith("../"):
            path = path[3:]
        elif path.startswith("./"):
            path = path[2:]
        elif path.startswith("/./"):
            path = path[2:]
        elif path == "/.":
            path = "/"
        elif path.startswith("/../"):
            path = path[3:]
            if output:
                output.pop()
        elif path == "/..":
            path = "/"
            if output:
                output.pop()
        elif path in (".", ".."):
            path = ""
        else:
            start = 1 if path.startswith("/") else 0
            cut = path.find("/", start)
            cut = len(path) if cut < 0 else cut
            output.append(path[:cut])
            path = path[cut:]
    return "".join(output)
