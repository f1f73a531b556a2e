"""SPARQL text: the query form of a request, value binding, and the named query files.

Named queries live in ``.rq`` files, found by :func:`query_folder` (one rule, below).
Each starts with a header comment::

    # title: Acteurs d'un public
    # description: Who serves a given public, with their territory.
    # param: public  IRI of a sg:Public concept

A parameter is bound by replacing the placeholder ``VALUES ?public { UNDEF }`` that the
file places where the author wants it evaluated. Values are pyoxigraph terms serialised
in N-Triples syntax (which escapes every literal and rejects invalid IRIs), so user
input never reaches the query text unescaped. The unbound file stays a valid query,
which is what the example catalogue runs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .config import PACKAGE_DIR, shipped_root
from .errors import QueryError

Term = ox.NamedNode | ox.Literal | ox.BlankNode
BindingValue = Term | str | int | float | bool | Iterable[Term]

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_FORMS = (
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
)

# The prologue is BASE/PREFIX declarations, whitespace and comments; IRIs may contain '#'.
_PROLOGUE_TOKEN = re.compile(
    r"""\s+ | \#[^\n]* | BASE\s*<[^>]*> | PREFIX\s+[^\s:]*:\s*<[^>]*>""",
    re.IGNORECASE | re.VERBOSE,
)
_KEYWORD = re.compile(r"[A-Za-z]+")


def query_form(text: str) -> str:
    """The form of a SPARQL request: SELECT, ASK, CONSTRUCT, DESCRIBE or UPDATE.

    Raises QueryError when the text starts with neither a query nor an update keyword.
    """
    pos = 0
    while True:
        match = _PROLOGUE_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
    keyword = _KEYWORD.match(text, pos)
    word = keyword.group(0).upper() if keyword else ""
    if word in QUERY_FORMS:
        return word
    if word in UPDATE_FORMS:
        return "UPDATE"
    snippet = text[pos : pos + 30].strip() or "(empty)"
    raise QueryError(
        f"not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE at {snippet!r}"
    )


def to_term(value: BindingValue) -> Term:
    """Python values become typed literals; pyoxigraph terms pass through."""
    if isinstance(value, ox.NamedNode | ox.Literal | ox.BlankNode):
        return value
    if isinstance(value, bool | int | float | str):
        return ox.Literal(value)
    raise QueryError(f"cannot bind a {type(value).__name__}")


def _placeholders(names: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(r"VALUES\s+\?(" + alternatives + r")\s*\{\s*UNDEF\s*\}", re.IGNORECASE)


def bind(text: str, bindings: Mapping[str, BindingValue] | None) -> str:
    """Replace each ``VALUES ?name { UNDEF }`` placeholder by the serialised values.

    A list (or other iterable of terms) binds several values; an empty list binds none,
    so the query returns nothing for that parameter. Every binding must have its
    placeholder: a silently ignored filter would be a wrong answer. All placeholders are
    replaced in one pass over the query as written, so a bound value that contains the
    text of another placeholder stays inside its literal.
    """
    blocks: dict[str, str] = {}
    for name, value in (bindings or {}).items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryError(f"invalid parameter name {name!r}")
        if name.lower() in blocks:
            raise QueryError(f"parameter {name!r} is bound twice")
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            terms = [to_term(value)]
        else:
            terms = [to_term(v) for v in value]
        blocks[name.lower()] = "VALUES ?" + name + " { " + " ".join(str(t) for t in terms) + " }"
    if not blocks:
        return text
    pattern = _placeholders(blocks)
    found = {match.group(1).lower() for match in pattern.finditer(text)}
    for name in bindings or {}:
        if name.lower() not in found:
            raise QueryError(f"the query has no `VALUES ?{name} {{ UNDEF }}` placeholder")
    return pattern.sub(lambda match: blocks[match.group(1).lower()], text)


# --------------------------------------------------------------------- named queries


@dataclass(frozen=True)
class NamedQuery:
    name: str
    text: str
    title: str = ""
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @property
    def form(self) -> str:
        return query_form(self.text)


_HEADER = re.compile(r"^#\s*(title|description|param|question):\s*(.*)$")


def parse_named_query(name: str, text: str) -> NamedQuery:
    title, description, params = "", [], {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "title":
            title = value.strip()
        elif key in ("description", "question"):
            description.append(value.strip())
        else:
            pname, _, phelp = value.strip().partition(" ")
            params[pname.lstrip("?")] = phelp.strip()
    return NamedQuery(name, text, title, " ".join(description), params)


class QueryCatalogue:
    """The ``queries/*.rq`` files, loaded once, looked up by file stem."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._queries = {
            path.stem: parse_named_query(path.stem, path.read_text(encoding="utf-8"))
            for path in sorted(directory.glob("*.rq"))
        }

    def __getitem__(self, name: str) -> NamedQuery:
        try:
            return self._queries[name]
        except KeyError:
            raise QueryError(f"no named query {name!r} in {self.directory}") from None

    def __iter__(self) -> Iterator[NamedQuery]:
        return iter(self._queries.values())

    def __len__(self) -> int:
        return len(self._queries)


# --------------------------------------------------------------------- where they live
PUBLIC = "public"
INTERNAL = "internal"


def query_folder(kind: str) -> Path:
    """Where the named queries of a kind live: the one rule (README, "How it is built").

    * ``PUBLIC``: ``queries/`` at the top of the repository, the catalogue integrators see
      (``/sparql`` lists and runs it, ``santegraph query NAME``), which holds every query
      the professional pages run, so that what a page shows can be asked directly. It
      ships with the program like the ontology (the checkout, or the wheel's bundle):
      ``content_dir`` does not move it, since the pages need these names whatever the data.
    * ``INTERNAL``: ``rq/`` inside the package, the queries of the plumbing (loading,
      stewardship, Linked Data, the ontology page, stats), never listed.

    Benchmark inputs (``bench/queries/``) belong to ``bench/``, which is not shipped.
    """
    if kind == PUBLIC:
        return shipped_root() / "queries"
    if kind == INTERNAL:
        return PACKAGE_DIR / "rq"
    raise ValueError(f"no kind of named query {kind!r} (public or internal)")


@functools.cache
def catalogue(kind: str) -> QueryCatalogue:
    """The named queries of a kind, read once per process."""
    return QueryCatalogue(query_folder(kind))
