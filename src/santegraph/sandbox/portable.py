"""What a check worker sends back: a job's result or error, pickled, RDF terms included.

pyoxigraph's terms do not pickle, and term by term would be slow: a list of quads or
triples travels as one N-Quads / N-Triples block (pyoxigraph's own writer and parser, which
keep blank node labels, so a diff made in the worker still matches the store), a single
term by its constructor's arguments, an rdflib graph (a SHACL report) as N-Triples.

The server unpickles with an allow-list (:class:`Unpickler`): nothing but the builders
below, which only restore santegraph's own data classes and errors (no ``__init__`` or
other code of theirs runs) and parse RDF. A worker that parsed hostile input therefore
cannot make the server run arbitrary code by what it sends: the isolation is about
crashes and runaway work, and this keeps the channel from undoing it.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import pickle
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

if TYPE_CHECKING:
    import rdflib

PROTOCOL = 5


# ------------------------------------------------------------------ blocks of terms
def _quads(block: bytes) -> list[ox.Quad]:
    return list(ox.parse(block, format=ox.RdfFormat.N_QUADS))


def _triples(block: bytes) -> list[ox.Triple]:
    return [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(block, format=ox.RdfFormat.N_TRIPLES)
    ]


def _pack(value: Any) -> Any:
    """Lists of quads or of triples (also inside lists, tuples and dicts) become blocks."""
    if isinstance(value, list):
        if value and all(isinstance(v, ox.Quad) for v in value):
            return _Block(_serialized(value, ox.RdfFormat.N_QUADS), quads=True)
        if value and all(isinstance(v, ox.Triple) for v in value):
            return _Block(_serialized(value, ox.RdfFormat.N_TRIPLES), quads=False)
        return [_pack(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_pack(v) for v in value)
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    return value


def _serialized(value: list[Any], rdf_format: ox.RdfFormat) -> bytes:
    data = ox.serialize(value, format=rdf_format)
    assert data is not None  # no output given: the bytes are returned
    return data


@dataclasses.dataclass
class _Block:
    data: bytes
    quads: bool


# ------------------------------------------------------------------ builders (allowed)
def _literal(value: str, datatype: str, language: str | None, direction: str | None) -> ox.Literal:
    if language:
        if direction:
            return ox.Literal(value, language=language, direction=ox.BaseDirection(direction))
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def _object(
    module: str, name: str, state: dict[str, Any], args: tuple[Any, ...] | None = None
) -> Any:
    """An instance of an allowed santegraph class, its attributes restored as they were."""
    cls: Any = _allowed_class(module, name)
    obj = cls.__new__(cls)
    if args is not None:
        obj.args = args
    obj.__dict__.update(state)
    return obj


def _rdflib_graph(data: bytes) -> rdflib.Graph:
    import rdflib

    graph = rdflib.Graph()
    if data:
        graph.parse(data=data, format="nt")
    return graph


def _block(data: bytes, quads: bool) -> list[ox.Quad] | list[ox.Triple]:
    return _quads(data) if quads else _triples(data)


BUILDERS = {
    "_block": _block,
    "_literal": _literal,
    "_object": _object,
    "_rdflib_graph": _rdflib_graph,
    "NamedNode": ox.NamedNode,
    "BlankNode": ox.BlankNode,
    "Triple": ox.Triple,
    "Quad": ox.Quad,
    "DefaultGraph": ox.DefaultGraph,
}


def _allowed_class(module: str, name: str) -> type:
    """santegraph's own data classes and errors, nothing else."""
    from ..errors import SantegraphError

    if not module.startswith("santegraph.") or "." in name:
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed from a worker")
    cls = getattr(importlib.import_module(module), name, None)
    if not isinstance(cls, type) or not (
        dataclasses.is_dataclass(cls) or issubclass(cls, SantegraphError)
    ):
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed from a worker")
    return cls


# ------------------------------------------------------------------ pickling
class _Pickler(pickle.Pickler):
    """Builders are pickled by reference (``pyoxigraph.NamedNode``, this module's
    ``_literal``...): the only names :class:`Unpickler` resolves."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _Block):
            return _block, (obj.data, obj.quads)
        if isinstance(obj, ox.NamedNode | ox.BlankNode):
            return type(obj), (obj.value,)
        if isinstance(obj, ox.Literal):
            direction = obj.direction
            return _literal, (
                obj.value,
                obj.datatype.value,
                obj.language,
                direction.value if direction is not None else None,
            )
        if isinstance(obj, ox.Triple):
            return ox.Triple, (obj.subject, obj.predicate, obj.object)
        if isinstance(obj, ox.Quad):
            return ox.Quad, (obj.subject, obj.predicate, obj.object, obj.graph_name)
        if isinstance(obj, ox.DefaultGraph):
            return ox.DefaultGraph, ()
        cls = type(obj)
        if cls.__module__ == "rdflib.graph" and cls.__name__ == "Graph":
            data = obj.serialize(format="nt", encoding="utf-8") if len(obj) else b""
            return _rdflib_graph, (data,)
        if cls.__module__.startswith("santegraph."):
            state = {k: _pack(v) for k, v in vars(obj).items()}
            args = _pack(obj.args) if isinstance(obj, BaseException) else None
            return _object, (cls.__module__, cls.__qualname__, state, args)
        return NotImplemented


def dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=PROTOCOL).dump(_pack(value))
    return buffer.getvalue()


class Unpickler(pickle.Unpickler):
    """Only the builders of this module: no other class or function can be named."""

    def find_class(self, module: str, name: str) -> Any:
        if module in (__name__, "pyoxigraph") and name in BUILDERS:
            return BUILDERS[name]
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed from a worker")


def loads(data: bytes) -> Any:
    return Unpickler(io.BytesIO(data)).load()
