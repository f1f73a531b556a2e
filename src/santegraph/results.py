"""Streaming writers of SPARQL results that count and cap what they write.

pyoxigraph serialises a whole ``QuerySolutions`` or ``QueryTriples`` object and cannot
stop after N rows, so the public endpoint writes SELECT results itself (SPARQL 1.1
Query Results JSON, XML, CSV and TSV, with RDF 1.2 triple terms and directional language
tags written as pyoxigraph writes them) and caps CONSTRUCT / DESCRIBE triples before
handing them to ``pyoxigraph.serialize``. ASK is never capped.

A writer writes into any binary file-like object, row by row, and returns an
:class:`Outcome`. Whether a result was truncated is known only at its end, so for SPARQL
JSON the writers leave out the opening brace: :func:`prelude` gives the bytes to send
first, which carry ``"santegraph": {"truncated": true, "limit": N}`` when rows were cut
(a member placed before ``head``, where SPARQL JSON readers, pyoxigraph's included,
accept it; after ``results`` pyoxigraph refuses any member).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import pyoxigraph as ox

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
SOLUTION_TYPES = (JSON, XML, CSV, TSV)

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class Outcome:
    """What a writer wrote: how many rows (or triples) and whether it stopped at the cap."""

    count: int
    truncated: bool


def capped(items: Iterable, limit: int) -> tuple[Iterator, list[bool]]:
    """``items`` cut after ``limit`` (0: no cap); the flag list holds True once cut.

    The iterator stops as soon as it has seen item ``limit + 1``, so the query behind it is
    never evaluated further than needed to know that there is more.
    """
    flag = [False]
    if limit <= 0:
        return iter(items), flag

    def run() -> Iterator:
        iterator = iter(items)
        yield from itertools.islice(iterator, limit)
        if next(iterator, None) is not None:
            flag[0] = True

    return run(), flag


def prelude(media_type: str, outcome: Outcome | None, limit: int) -> bytes:
    """The bytes that go before a SELECT body written by :func:`write_solutions`."""
    if media_type != JSON:
        return b""
    if outcome is not None and outcome.truncated:
        note = json.dumps({"truncated": True, "limit": limit}, separators=(",", ":"))
        return b'{"santegraph":' + note.encode() + b","
    return b"{"


def write_solutions(
    out: BinaryIO,
    media_type: str,
    variables: Sequence[str],
    rows: Iterable[ox.QuerySolution | dict],
    limit: int = 0,
) -> Outcome:
    """Write SELECT results (JSON without its opening brace: see :func:`prelude`)."""
    writer = _WRITERS[media_type](out, list(variables))
    rows, cut = capped(rows, limit)
    count = 0
    writer.start()
    for row in rows:
        writer.row([row[name] for name in writer.variables])
        count += 1
    writer.end()
    return Outcome(count, cut[0])


def write_triples(
    out: BinaryIO, media_type: str, triples: Iterable[ox.Triple], limit: int = 0
) -> Outcome:
    """Write CONSTRUCT / DESCRIBE triples in an RDF syntax, at most ``limit`` of them."""
    items, cut = capped(triples, limit)
    counter = _Counter(items)
    ox.serialize(counter, out, ox.RdfFormat.from_media_type(media_type))
    return Outcome(counter.count, cut[0])


class _Counter:
    def __init__(self, items: Iterator):
        self.items, self.count = items, 0

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self.items)
        self.count += 1
        return item


# ---------------------------------------------------------------------- the formats
class _Writer:
    def __init__(self, out: BinaryIO, variables: list[str]):
        self.out, self.variables = out, variables

    def write(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))

    def start(self) -> None: ...

    def row(self, values: list[Term | None]) -> None: ...

    def end(self) -> None: ...


class _JsonWriter(_Writer):
    def start(self) -> None:
        head = json.dumps({"vars": self.variables}, ensure_ascii=False, separators=(",", ":"))
        self.write('"head":' + head + ',"results":{"bindings":[')
        self.first = True

    def row(self, values: list[Term | None]) -> None:
        binding = {
            name: _json_term(value)
            for name, value in zip(self.variables, values, strict=True)
            if value is not None
        }
        text = json.dumps(binding, ensure_ascii=False, separators=(",", ":"))
        self.write(text if self.first else "," + text)
        self.first = False

    def end(self) -> None:
        self.write("]}}")


def _json_term(term: Term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction is not None:
                out["its:dir"] = _direction(term)
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def _direction(literal: ox.Literal) -> str:
    return "rtl" if "rtl" in repr(literal.direction).lower() else "ltr"


_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTRIBUTE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
    | {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


def escape(text: str) -> str:
    # a lone \r in element content would be read back as \n
    return text.translate(_XML_TEXT).replace("\r", "&#13;")


def quoteattr(text: str) -> str:
    return '"' + text.translate(_XML_ATTRIBUTE) + '"'


class _XmlWriter(_Writer):
    def start(self) -> None:
        head = "".join(f"<variable name={quoteattr(v)}/>" for v in self.variables)
        self.write(
            '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head>{head}</head><results>"
        )

    def row(self, values: list[Term | None]) -> None:
        bindings = "".join(
            f"<binding name={quoteattr(name)}>{_xml_term(value)}</binding>"
            for name, value in zip(self.variables, values, strict=True)
            if value is not None
        )
        self.write(f"<result>{bindings}</result>")

    def end(self) -> None:
        self.write("</results></sparql>")


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        attributes = ""
        if term.language:
            attributes = f" xml:lang={quoteattr(term.language)}"
            if term.direction is not None:
                attributes += (
                    f' its:dir="{_direction(term)}" xmlns:its="http://www.w3.org/2005/11/its"'
                    ' its:version="2.0"'
                )
        elif term.datatype.value != XSD_STRING:
            attributes = f" datatype={quoteattr(term.datatype.value)}"
        return f"<literal{attributes}>{escape(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"not an RDF term: {term!r}")


class _CsvWriter(_Writer):
    """SPARQL 1.1 CSV: plain values, CRLF line ends, fields quoted when needed."""

    def start(self) -> None:
        self.write(",".join(_csv_field(v) for v in self.variables) + "\r\n")

    def row(self, values: list[Term | None]) -> None:
        self.write(",".join(_csv_field(_csv_value(v)) for v in values) + "\r\n")


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, ox.Triple):
        return " ".join(_csv_value(t) for t in (term.subject, term.predicate, term.object))
    return term.value


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


class _TsvWriter(_Writer):
    """SPARQL 1.1 TSV: ``?var`` headers, terms in Turtle syntax, LF line ends."""

    def start(self) -> None:
        self.write("\t".join("?" + v for v in self.variables) + "\n")

    def row(self, values: list[Term | None]) -> None:
        self.write("\t".join(_tsv_value(v) for v in values) + "\n")


def _tsv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        parts = " ".join(_tsv_value(t) for t in (term.subject, term.predicate, term.object))
        return f"<<( {parts} )>>"
    # N-Triples syntax escapes quotes and line breaks; a tab may only occur inside a
    # literal's lexical form, where `\t` is a valid escape.
    return str(term).replace("\t", "\\t")


_WRITERS = {JSON: _JsonWriter, XML: _XmlWriter, CSV: _CsvWriter, TSV: _TsvWriter}
