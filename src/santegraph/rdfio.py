"""Reading and writing RDF files: format by extension, errors with file, line and column."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from .bounds import (
    InflateLimits,
    check_document_depth,
    check_xml_entities,
    inflate,
    limit_triples,
)
from .config import Settings
from .errors import InputError

FORMATS_BY_SUFFIX = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
}

# The bracket syntax each format nests with (bounds.py); RDF/XML nests elements, which
# its parser handles without recursing.
NESTING_SYNTAX = {
    ox.RdfFormat.TURTLE: "turtle",
    ox.RdfFormat.TRIG: "turtle",
    ox.RdfFormat.N_TRIPLES: "turtle",
    ox.RdfFormat.N_QUADS: "turtle",
    ox.RdfFormat.N3: "turtle",
    ox.RdfFormat.JSON_LD: "json",
}
DEFAULT_MAX_NESTING = 100  # the max_nesting_depth setting's default
DEFAULT_MAX_EXPANSION = 16 * 1024 * 1024  # max_entity_expansion_bytes's default
DEFAULT_INFLATE = InflateLimits.from_settings(Settings())  # the settings' defaults

DUMP_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


def format_for(path: Path) -> ox.RdfFormat:
    suffixes = path.suffixes
    suffix = suffixes[-2] if suffixes[-1:] == [".gz"] and len(suffixes) > 1 else path.suffix
    try:
        return FORMATS_BY_SUFFIX[suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(FORMATS_BY_SUFFIX))
        raise InputError(
            f"unknown RDF file type {suffix!r} (known: {known})", source=str(path)
        ) from None


def read_file_bytes(path: Path, inflate_limits: InflateLimits = DEFAULT_INFLATE) -> bytes:
    """A file's bytes; a ``.gz`` file inflated as a stream, within ``inflate_limits`` (a
    1 MB gzip bomb would otherwise inflate to gigabytes)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read file", source=str(path)) from exc
    if path.suffix == ".gz":
        data = inflate(data, inflate_limits, source=str(path))
    return data


def parse_bytes(
    data: bytes,
    rdf_format: ox.RdfFormat,
    *,
    source: str,
    base_iri: str | None = None,
    graph: ox.NamedNode | None = None,
    max_depth: int = DEFAULT_MAX_NESTING,
    max_expansion: int = DEFAULT_MAX_EXPANSION,
    max_triples: int = 0,
) -> list[ox.Quad]:
    """Parse everything or raise InputError with the parser's line and column.

    Triples go to ``graph`` when given (quads formats keep their own graphs unless
    ``graph`` is given, in which case a quad in another named graph is an error).
    A text nested deeper than ``max_depth``, or XML whose entities would expand beyond
    ``max_expansion`` bytes, is refused before the parser sees it; parsing stops at the
    first triple past ``max_triples`` (0: no limit) with LimitExceeded (bounds.py).
    """
    if not data.strip():
        raise InputError("the file is empty", source=source)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (invalid byte at offset {exc.start})", source=source
        ) from exc
    if rdf_format in NESTING_SYNTAX:
        check_document_depth(data, NESTING_SYNTAX[rdf_format], max_depth, source=source)
    elif rdf_format == ox.RdfFormat.RDF_XML:
        check_xml_entities(data, max_expansion, source=source)
    try:
        parsed = ox.parse(data, format=rdf_format, base_iri=base_iri, without_named_graphs=False)
        quads = list(limit_triples(parsed, max_triples, source=source))
    except SyntaxError as exc:
        line, column = _position(exc)
        message = str(exc.args[0]) if exc.args else str(exc)
        raise InputError(message, source=source, line=line, column=column) from exc
    if graph is None:
        return quads
    out = []
    for quad in quads:
        if not isinstance(quad.graph_name, ox.DefaultGraph) and quad.graph_name != graph:
            raise InputError(
                f"the file holds a named graph {quad.graph_name} but the load targets {graph}",
                source=source,
            )
        out.append(ox.Quad(quad.subject, quad.predicate, quad.object, graph))
    return out


def _position(exc: SyntaxError) -> tuple[int | None, int | None]:
    if exc.lineno is not None:
        return exc.lineno, exc.offset
    if len(exc.args) > 1 and isinstance(exc.args[1], tuple) and len(exc.args[1]) >= 3:
        return exc.args[1][1], exc.args[1][2]
    return None, None


def parse_file(
    path: Path,
    *,
    base_iri: str | None = None,
    graph: ox.NamedNode | None = None,
    max_depth: int = DEFAULT_MAX_NESTING,
    max_expansion: int = DEFAULT_MAX_EXPANSION,
    inflate_limits: InflateLimits = DEFAULT_INFLATE,
) -> list[ox.Quad]:
    return parse_bytes(
        read_file_bytes(path, inflate_limits),
        format_for(path),
        source=str(path),
        base_iri=base_iri,
        graph=graph,
        max_depth=max_depth,
        max_expansion=max_expansion,
    )


def serialize_quads(
    quads: Iterable[ox.Quad], rdf_format: ox.RdfFormat, batch: int = 20000
) -> Iterator[bytes]:
    """Serialise in batches so a large export never sits whole in memory."""
    chunk: list[ox.Quad] = []
    for quad in quads:
        chunk.append(quad)
        if len(chunk) >= batch:
            yield _serialized(chunk, rdf_format)
            chunk = []
    if chunk:
        yield _serialized(chunk, rdf_format)


def _serialized(quads: list[ox.Quad], rdf_format: ox.RdfFormat) -> bytes:
    data = ox.serialize(quads, format=rdf_format)
    assert data is not None  # no output given: the bytes are returned
    return data


def ntriples_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """A term in N-Triples syntax (IRIs validated, literals escaped by pyoxigraph)."""
    return str(term)
