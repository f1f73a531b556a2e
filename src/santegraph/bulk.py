"""Validation and writing at scale: streamed parsing, the shapes as SPARQL, staged writes.

``load``, ``import`` and the first load of the content build the store *as it will be* in
a staging store (docs/decisions/0008-bulk-loading.md), parsed in batches of
``load_batch_quads``; the shapes, compiled to SPARQL (:mod:`.shacl_sparql`), check it
there; then it is swapped in (embedded store) or written graph by graph (remote store).
Nothing the readers see changes before the data has conformed.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, SH

from .bounds import InflateLimits, check_document_depth, open_gzip
from .errors import InputError
from .rdfio import format_for, parse_bytes
from .shacl_sparql import (
    Finding,
    Scope,
    SparqlValidator,
    compile_shapes,
    messages_of,
    term_text,
)
from .validation import SKOS_PREFLABEL, ValidationReport, ValidationResult, Validator

# Graphs that live in a staging store only while it is validated
ONTOLOGY_GRAPH = "urn:santegraph:validation:ontology"
MAX_DETAILED_RESULTS = 1000  # results described one by one; beyond, only counted
LINE_BASED = (ox.RdfFormat.N_QUADS, ox.RdfFormat.N_TRIPLES)


class BulkValidator:
    """The project's shapes over a whole pyoxigraph store (see :mod:`.shacl_sparql`).

    Shapes that do not compile are checked by pySHACL over the same data, so that no
    shape is ever skipped (slow at scale: the project's own shapes all compile, which
    tests/test_shacl_sparql.py checks).
    """

    def __init__(self, validator: Validator, threads: int | None = None):
        self.validator = validator
        self.compiled = compile_shapes(validator.shapes)
        self.engine = SparqlValidator(self.compiled)
        self.threads = threads or min(2, os.cpu_count() or 1)

    def validate(
        self,
        store: ox.Store,
        *,
        focus_graphs: Sequence[str] | None = None,
        locate: Callable[[list[str]], dict[str, str]] | None = None,
        checked_triples: int = 0,
    ) -> ValidationReport:
        """Validate ``store`` (every named graph forms the data graph).

        ``focus_graphs``: only subjects of these graphs are focus nodes (a load into some
        graphs, checked against the rest of the store); None: every target.
        ``locate``: IRIs -> "file:line" where each is written, for the results shown.
        """
        scope = Scope(focus=focus_graphs)
        findings: dict[tuple[Any, ...], Finding] = {}
        omitted: dict[str, int] = {}
        for finding in self.engine.findings(store, scope, threads=self.threads):
            key = (
                finding.check.node_shape,
                str(finding.check.source_shape),
                finding.check.component,
                finding.focus,
                finding.value,
                finding.path,
                finding.message_values,
            )
            if key in findings:
                continue
            if len(findings) >= MAX_DETAILED_RESULTS:
                omitted[finding.check.severity] = omitted.get(finding.check.severity, 0) + 1
                continue
            findings[key] = finding
        results = [self._result(store, f) for f in findings.values()]
        if self.compiled.unsupported:
            results += self._fallback(store, focus_graphs)
        if locate and results:
            where = locate(sorted({r.focus_node for r in results if r.focus_node}))
            results = [_located(r, where.get(r.focus_node, "")) for r in results]
        report = ValidationReport(results, _report_graph(results), checked_triples)
        report.omitted = omitted
        return report

    def _result(self, store: ox.Store, finding: Finding) -> ValidationResult:
        check = finding.check
        path = finding.path if finding.path is not None else check.path
        message, message_en = messages_of(finding)
        label = ""
        if isinstance(finding.focus, ox.NamedNode):
            labels = [
                q.object
                for q in store.quads_for_pattern(finding.focus, ox.NamedNode(SKOS_PREFLABEL), None)
            ]
            french = [t for t in labels if getattr(t, "language", None) == "fr"]
            first = (french or labels or [ox.Literal("")])[0]
            label = "" if isinstance(first, ox.Triple) else first.value
        return ValidationResult(
            severity=check.severity,
            focus_node=term_text(finding.focus) or "",
            path=term_text(path),
            value=term_text(finding.value),
            message=message,
            message_en=message_en,
            source_shape=term_text(check.source_shape) or "",
            constraint=check.component,
            entry_label=label,
        )

    def _fallback(
        self, store: ox.Store, focus_graphs: Sequence[str] | None
    ) -> list[ValidationResult]:
        """pySHACL over the whole data for the shapes that did not compile."""
        shapes = rdflib.Graph()
        todo = list(self.compiled.unsupported)
        seen = set()
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            for p, o in self.validator.shapes.predicate_objects(node):
                shapes.add((node, p, o))
                if isinstance(o, rdflib.BNode | rdflib.URIRef) and p != RDF.type:
                    todo.append(o)
        quads = [q for q in store.quads_for_pattern(None, None, None) if q.graph_name]
        subset = Validator(shapes, self.validator.ontology)
        report = subset.validate(quads)
        if focus_graphs is None:
            return report.results
        focus = {
            q.subject.value
            for g in focus_graphs
            for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
            if isinstance(q.subject, ox.NamedNode)
        }
        return [r for r in report.results if r.focus_node in focus]


def _located(result: ValidationResult, where: str) -> ValidationResult:
    file, _, line = where.rpartition(":")
    return ValidationResult(
        **{
            **result.__dict__,
            "location": where,
            "file": file,
            "line": int(line) if line.isdigit() else None,
        }
    )


def _report_graph(results: Sequence[ValidationResult]) -> rdflib.Graph:
    """An sh:ValidationReport with the results (what ``validate --report`` writes)."""
    graph = rdflib.Graph()
    report = rdflib.BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, rdflib.Literal(not results)))
    for r in results:
        node = rdflib.BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.resultSeverity, SH[r.severity]))
        graph.add((node, SH.sourceConstraintComponent, rdflib.URIRef(r.constraint)))
        if r.focus_node and not r.focus_node.startswith("("):
            graph.add((node, SH.focusNode, rdflib.URIRef(r.focus_node)))
        if r.path and not r.path.startswith("("):
            graph.add((node, SH.resultPath, rdflib.URIRef(r.path)))
        if r.source_shape and not r.source_shape.startswith("("):
            graph.add((node, SH.sourceShape, rdflib.URIRef(r.source_shape)))
        if r.value is not None:
            graph.add((node, SH.value, rdflib.Literal(r.value)))
        for text, lang in ((r.message, "fr"), (r.message_en, "en")):
            if text:
                graph.add((node, SH.resultMessage, rdflib.Literal(text, lang=lang)))
    return graph


# ---------------------------------------------------------------------- streamed input


class _DepthCheckedReader(io.RawIOBase):
    """A line-based RDF stream (N-Quads, N-Triples) checked for nesting as it is read.

    Each statement is one line, so checking whole lines chunk by chunk sees every
    statement whole (bounds.py: pyoxigraph's parsers recurse on ``<<``)."""

    def __init__(self, raw: BinaryIO, limit: int, source: str):
        self.raw, self.limit, self.source = raw, limit, source
        self.pending = b""
        self.offset = 0
        self.utf8 = codecs.getincrementaldecoder("utf-8")()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io passes a memoryview; the stub says any Buffer
        while not self.pending:
            chunk = self.raw.read(1 << 20)
            if not chunk:
                if self.offset == 0:
                    raise InputError("the file is empty", source=self.source)
                return 0
            try:
                self.utf8.decode(chunk)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not UTF-8 text (invalid byte at offset {self.offset + exc.start})",
                    source=self.source,
                ) from exc
            self.offset += len(chunk)
            if b"<<" in chunk:  # only RDF 1.2 triple terms nest in these formats
                while not chunk.endswith(b"\n"):
                    more = self.raw.read(1 << 16)
                    if not more:
                        break
                    chunk += more
                check_document_depth(chunk, "turtle", self.limit, source=self.source)
            self.pending = chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def open_rdf(path: Path, max_inflation_ratio: int = 0) -> BinaryIO:
    """The bytes of a file, inflated as they are read if it is gzip. Read as a stream, so
    no bound on the inflated size; a gzip bomb is still stopped by its ratio."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read file", source=str(path)) from exc
    if path.suffix != ".gz":
        return raw
    return open_gzip(raw, InflateLimits(0, max_inflation_ratio), source=str(path))


def stream_quads(
    path: Path,
    rdf_format: ox.RdfFormat | None = None,
    *,
    base_iri: str | None = None,
    max_depth: int = 100,
    max_inflation_ratio: int = 0,
) -> Iterator[ox.Quad]:
    """The quads of a file, parsed as they are read (InputError with line and column)."""
    from .rdfio import _position

    rdf_format = rdf_format or format_for(path)
    with open_rdf(path, max_inflation_ratio) as handle:
        if rdf_format in LINE_BASED:
            reader = io.BufferedReader(_DepthCheckedReader(handle, max_depth, str(path)))
        else:  # nested syntaxes: the whole text is checked first (as for a submission)
            yield from parse_bytes(
                handle.read(), rdf_format, source=str(path), base_iri=base_iri, max_depth=max_depth
            )
            return
        try:
            yield from ox.parse(reader, format=rdf_format, base_iri=base_iri)
        except SyntaxError as exc:
            line, column = _position(exc)
            message = str(exc.args[0]) if exc.args else str(exc)
            raise InputError(message, source=str(path), line=line, column=column) from exc
        except (OSError, EOFError) as exc:
            raise InputError(f"cannot read: {exc}", source=str(path)) from exc


def locate_in_dump(path: Path, iris: Sequence[str]) -> dict[str, str]:
    """``file:line`` of the first statement whose subject is each IRI, reading the dump
    once line by line (a dump is not kept in memory)."""
    wanted = {f"<{iri}>": iri for iri in iris}
    found: dict[str, str] = {}
    with open_rdf(path) as handle, io.TextIOWrapper(handle, encoding="utf-8") as text:
        for number, line in enumerate(text, 1):
            subject = line.split(" ", 1)[0]
            iri = wanted.get(subject)
            if iri is not None and iri not in found:
                found[iri] = f"{path}:{number}"
                if len(found) == len(wanted):
                    break
    return found
