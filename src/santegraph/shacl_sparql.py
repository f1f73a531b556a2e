"""SHACL Core shapes compiled to SPARQL, run by pyoxigraph over a whole store.

pySHACL checks one focus node at a time in Python over an rdflib graph: about 0.8 ms per
triple on santegraph's shapes, so a France-scale load (2.5 M quads) would take most of an
hour (docs/decisions/0008-bulk-loading.md). Here each constraint of each shape becomes
one SPARQL query that finds every violating (focus node, value) of the dataset at once,
evaluated by pyoxigraph over its indexes; results carry what pySHACL's carry (focus node,
path, value, source shape, constraint component, severity, the shape's messages), and
``tests/test_shacl_sparql.py`` checks that both give the same results on every example of
``tests/shapes/``.

What is compiled is the SHACL Core that the shapes use, plus SHACL-SPARQL constraints
(``sh:sparql`` with ``sh:select``). A shape with anything else is *not compiled*: its
node shape is listed in :attr:`CompiledShapes.unsupported` and the caller validates it
with pySHACL instead, so a new kind of constraint can never be skipped silently.

Queries never splice a value from the data: the only terms written into them come from
the shapes graph (classes, paths, patterns), serialised by pyoxigraph.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

Term = ox.NamedNode | ox.BlankNode | ox.Literal  # a term of a row (pyoxigraph)
RDF_LANGSTRING = RDF.langString
# XSD datatypes whose well-formedness a SPARQL cast checks (the cast fails on an ill-typed
# lexical form, as rdflib marks it ill_typed, which pySHACL reports).
CASTABLE = {XSD.integer, XSD.decimal, XSD.float, XSD.double, XSD.boolean, XSD.date}
CASTABLE |= {XSD.dateTime, XSD.time}
COMPONENT = "http://www.w3.org/ns/shacl#"
TARGET = "%TARGET%"  # where a check that groups by focus node wants the target pattern
CLASS = "%CLASS%"  # %CLASS%iri%CLASS%: replaced by the class and its subclasses when run
_CLASS_MARK = re.compile(re.escape(CLASS) + "(.*?)" + re.escape(CLASS))


class Unsupported(Exception):
    """A shape uses something this compiler does not translate (pySHACL checks it)."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape as a query: each row is one validation result."""

    node_shape: str  # the targeted shape whose focus nodes this checks
    source_shape: rdflib.term.Node  # sh:sourceShape (the property shape, or the node shape)
    component: str  # sh:sourceConstraintComponent
    severity: str  # Violation, Warning, Info
    path: rdflib.term.Node | None  # sh:resultPath (None: from the row's ?path, or none)
    messages: tuple[rdflib.Literal, ...]  # the shape's sh:message, as pySHACL reports them
    body: str = ""  # a standalone group pattern binding ?this (and ?value, ?path), or:
    test: str = ""  # an expression over ?this (and ?value) that is true when violated
    path_text: str | None = None  # the SPARQL path binding ?value for a per-value test
    per_value: bool = False  # the test is about each value of the path (else the focus)
    sparql_messages: tuple[rdflib.Literal, ...] = ()  # SPARQL constraints: formatted per row
    variables: tuple[str, ...] = ()  # SPARQL constraints: the projected variables
    prefixes: tuple[str, ...] = ()  # SPARQL constraints: PREFIX lines from sh:prefixes


@dataclass
class Target:
    """How a node shape finds its focus nodes."""

    classes: list[str] = field(default_factory=list)
    subjects_of: list[str] = field(default_factory=list)
    objects_of: list[str] = field(default_factory=list)
    nodes: list[rdflib.term.Node] = field(default_factory=list)


@dataclass
class CompiledShape:
    node: rdflib.term.Node
    target: Target
    checks: list[Check]


@dataclass
class CompiledShapes:
    shapes: list[CompiledShape]
    unsupported: dict[rdflib.term.Node, str]  # node shape -> why it is not compiled


@dataclass(frozen=True)
class Finding:
    """One validation result, as found by a query (terms are pyoxigraph terms)."""

    check: Check
    focus: ox.NamedNode | ox.BlankNode | ox.Literal
    value: ox.NamedNode | ox.BlankNode | ox.Literal | None
    path: ox.NamedNode | None  # sh:closed: the offending predicate
    message_values: tuple[
        tuple[str, Term | None], ...
    ] = ()  # SPARQL constraints: (name, term) of the projected row


# ---------------------------------------------------------------------- terms


def _n3(term: rdflib.term.Node) -> str:
    """A shapes-graph term in SPARQL syntax, escaped by pyoxigraph."""
    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        if term.datatype:
            return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype))))
        return str(ox.Literal(str(term)))
    raise Unsupported(f"a blank node where a constant is expected ({term})")


class _Names:
    """Fresh variable names for nested patterns."""

    def __init__(self) -> None:
        self.counter = itertools.count()

    def __call__(self, stem: str = "v") -> str:
        return f"?_{stem}{next(self.counter)}"


# ---------------------------------------------------------------------- compiler


class Compiler:
    def __init__(self, shapes: rdflib.Graph) -> None:
        self.g = shapes

    def _list(self, node: Node) -> list[Node]:
        return list(Collection(self.g, node))

    def _one(self, node: Node, predicate: Node) -> Node | None:
        values = list(self.g.objects(node, predicate))
        if len(values) > 1:
            raise Unsupported(f"several values of {predicate}")
        return values[0] if values else None

    # ------------------------------------------------------------ paths
    def path(self, node: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        if isinstance(node, rdflib.URIRef):
            return _n3(node)
        for kind, suffix in (
            (SH.zeroOrMorePath, "*"),
            (SH.oneOrMorePath, "+"),
            (SH.zeroOrOnePath, "?"),
        ):
            inner = self.g.value(node, kind)
            if inner is not None:
                return f"({self.path(inner)}){suffix}"
        inverse = self.g.value(node, SH.inversePath)
        if inverse is not None:
            return f"^({self.path(inverse)})"
        alternatives = self.g.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(p) for p in self._list(alternatives)) + ")"
        if (node, RDF.first, None) in self.g:
            return "(" + "/".join(self.path(p) for p in self._list(node)) + ")"
        raise Unsupported(f"unknown path {node}")

    # ------------------------------------------------------------ shapes
    def compile(self) -> CompiledShapes:
        targeted = set()
        for predicate in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode):
            targeted |= set(self.g.subjects(predicate, None))
        for cls in (RDFS.Class, rdflib.OWL.Class):
            implicit = set(self.g.subjects(RDF.type, cls)) & (
                set(self.g.subjects(RDF.type, SH.NodeShape))
                | set(self.g.subjects(RDF.type, SH.PropertyShape))
            )
            targeted |= implicit
        shapes, unsupported = [], {}
        for node in sorted(targeted, key=str):
            if self.g.value(node, SH.deactivated) == rdflib.Literal(True):
                continue
            try:
                shapes.append(self._node_shape(node))
            except Unsupported as exc:
                unsupported[node] = str(exc)
        return CompiledShapes(shapes, unsupported)

    def _target(self, node: Node) -> Target:
        target = Target()
        target.classes = [str(c) for c in self.g.objects(node, SH.targetClass)]
        for cls in (RDFS.Class, rdflib.OWL.Class):
            if (node, RDF.type, cls) in self.g:
                target.classes.append(str(node))
        target.subjects_of = [str(p) for p in self.g.objects(node, SH.targetSubjectsOf)]
        target.objects_of = [str(p) for p in self.g.objects(node, SH.targetObjectsOf)]
        target.nodes = list(self.g.objects(node, SH.targetNode))
        for values in (target.classes, target.subjects_of, target.objects_of):
            if any(v.startswith("_:") for v in values):
                raise Unsupported("a blank node target")
        return target

    def _severity(self, shape: Node) -> str:
        severity = self.g.value(shape, SH.severity)
        return str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation"

    def _messages(self, shape: Node) -> tuple[rdflib.Literal, ...]:
        return tuple(m for m in self.g.objects(shape, SH.message) if isinstance(m, rdflib.Literal))

    def _node_shape(self, node: Node) -> CompiledShape:
        target = self._target(node)
        name = str(node)
        checks: list[Check] = []
        if (node, SH.path, None) in self.g:  # a targeted property shape
            checks += self._property_checks(name, node, "?this")
        else:
            checks += self._value_checks(name, node, node, "?this", None)
            for prop in self.g.objects(node, SH.property):
                if self.g.value(prop, SH.deactivated) == rdflib.Literal(True):
                    continue
                checks += self._property_checks(name, prop, "?this")
        return CompiledShape(node, target, checks)

    def _property_checks(self, name: str, prop: Node, focus: str) -> list[Check]:
        path_node = self.g.value(prop, SH.path)
        if path_node is None:
            raise Unsupported("a property shape without sh:path")
        path = self.path(path_node)
        return self._value_checks(name, prop, prop, focus, (path, path_node))

    def _check(
        self, name: str, shape: Node, component: str, path_node: Node | None = None, **fields: Any
    ) -> Check:
        return Check(
            node_shape=name,
            source_shape=shape,
            component=COMPONENT + component,
            severity=self._severity(shape),
            path=path_node,
            messages=self._messages(shape),
            **fields,
        )

    def _value_checks(
        self, name: str, shape: Node, holder: Node, focus: str, path: tuple[str, Node] | None
    ) -> list[Check]:
        """The constraints of ``shape`` (a node shape: value node = focus; a property shape:
        the values of its path)."""
        g = self.g
        checks: list[Check] = []
        path_text, path_node = path if path else (None, None)
        names = _Names()

        def per_value(component: str, violated: str) -> Check:
            if path_text is None:  # a node shape's own constraint: the value node is ?this
                violated = violated.replace("?value", focus)
            return self._check(
                name, shape, component, path_node, test=violated, path_text=path_text,
                per_value=True,
            )  # fmt: skip

        def per_focus(component: str, violated: str) -> Check:
            return self._check(name, shape, component, path_node, test=violated)

        def query(component: str, body: str) -> Check:
            return self._check(name, shape, component, path_node, body=body)

        handled = {
            SH.path, SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group,
            SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf,
            SH.property, SH.deactivated, SH.ignoredProperties, SH.defaultValue,
            SH.qualifiedMinCount, SH.qualifiedMaxCount, SH.qualifiedValueShapesDisjoint,
            SH.declare, SH.prefixes, SH.flags,
        }  # fmt: skip
        for predicate, obj in g.predicate_objects(shape):
            if not str(predicate).startswith(str(SH)) or predicate in handled:
                continue
            if predicate in VALUE_TESTS:
                test = self.value_test(predicate, obj, "?value", shape, names)
                checks.append(per_value(VALUE_TESTS[predicate], f"!({test})"))
                continue
            if path_text is None and predicate not in (SH.closed, SH.sparql):
                raise Unsupported(f"{predicate} on a node shape")
            values = f"{focus} {path_text}"
            if predicate == SH.minCount:
                n = int(cast(rdflib.Literal, obj))
                if n == 1:
                    checks.append(
                        per_focus("MinCountConstraintComponent", f"NOT EXISTS {{ {values} ?_m }}")
                    )
                elif n > 1:
                    assert path_text is not None  # a property shape: see above
                    body = self._count(focus, path_text, f"?_n < {n}")
                    checks.append(query("MinCountConstraintComponent", body))
            elif predicate == SH.maxCount:
                n = int(cast(rdflib.Literal, obj))
                if n == 0:
                    test = f"EXISTS {{ {values} ?_m }}"
                    checks.append(per_focus("MaxCountConstraintComponent", test))
                elif n == 1:
                    test = f"EXISTS {{ {values} ?_m1, ?_m2 FILTER(!sameTerm(?_m1, ?_m2)) }}"
                    checks.append(per_focus("MaxCountConstraintComponent", test))
                else:
                    assert path_text is not None  # a property shape: see above
                    body = self._count(focus, path_text, f"?_n > {n}")
                    checks.append(query("MaxCountConstraintComponent", body))
            elif predicate == SH.uniqueLang:
                if obj != rdflib.Literal(True):
                    continue
                body = (
                    f"{{ SELECT DISTINCT {focus} ?_lang WHERE {{ {TARGET} {values} ?_a, ?_b "
                    "FILTER(!sameTerm(?_a, ?_b) && lang(?_a) != '' "
                    "&& lcase(lang(?_a)) = lcase(lang(?_b))) BIND(lcase(lang(?_a)) AS ?_lang) } }"
                )
                checks.append(query("UniqueLangConstraintComponent", body))
            elif predicate == SH.hasValue:
                test = f"NOT EXISTS {{ {values} {_n3(obj)} }}"
                checks.append(per_focus("HasValueConstraintComponent", test))
            elif predicate in PAIRS:
                if not isinstance(obj, rdflib.URIRef):
                    raise Unsupported(f"{predicate} with a non-IRI property")
                other = _n3(obj)
                component, operator = PAIRS[predicate]
                if operator:
                    test = (
                        f"EXISTS {{ {focus} {other} ?_o "
                        f"FILTER(!COALESCE(?value {operator} ?_o, false)) }}"
                    )
                    checks.append(per_value(component, test))
                elif predicate == SH.disjoint:
                    checks.append(per_value(component, f"EXISTS {{ {focus} {other} ?value }}"))
                else:
                    one = f"{{ {values} ?value FILTER NOT EXISTS {{ {focus} {other} ?value }} }}"
                    two = f"{{ {focus} {other} ?value FILTER NOT EXISTS {{ {values} ?value }} }}"
                    body = f"{one} UNION {two}"
                    checks.append(query(component, body))
            elif predicate == SH.closed:
                if obj != rdflib.Literal(True):
                    continue
                if path_text is not None:
                    raise Unsupported("sh:closed on a property shape")
                allowed: list[Node] = [
                    p
                    for prop in g.objects(shape, SH.property)
                    if isinstance(p := g.value(prop, SH.path), rdflib.URIRef)
                ]
                ignored = g.value(shape, SH.ignoredProperties)
                allowed += self._list(ignored) if ignored is not None else []
                listed = ", ".join(_n3(p) for p in sorted(set(allowed), key=str))
                test = f"FILTER(?path NOT IN ({listed}))" if listed else ""
                checks.append(query("ClosedConstraintComponent", f"{focus} ?path ?value . {test}"))
            elif predicate == SH.qualifiedValueShape:
                assert path_text is not None  # a property shape: see above
                checks += self._qualified(name, shape, obj, focus, path_text, path_node, names)
            elif predicate == SH.sparql:
                checks.append(self._sparql(name, shape, obj, focus, path_text, path_node))
            else:
                raise Unsupported(f"{predicate} is not compiled")
        return checks

    def _count(self, focus: str, path_text: str, condition: str) -> str:
        return (
            f"{{ SELECT {focus} (COUNT(DISTINCT ?_v) AS ?_n) WHERE {{ {TARGET} OPTIONAL {{ "
            f"{focus} {path_text} ?_v }} }} GROUP BY {focus} }} FILTER({condition})"
        )

    def _qualified(
        self,
        name: str,
        shape: Node,
        qshape: Node,
        focus: str,
        path_text: str,
        path_node: Node | None,
        names: _Names,
    ) -> list[Check]:
        if self.g.value(shape, SH.qualifiedValueShapesDisjoint) == rdflib.Literal(True):
            raise Unsupported("sh:qualifiedValueShapesDisjoint")
        low = _integer(self.g.value(shape, SH.qualifiedMinCount))
        high = _integer(self.g.value(shape, SH.qualifiedMaxCount))
        checks = []
        values = f"{focus} {path_text}"
        if low is not None and low > 0:
            component = "QualifiedMinCountConstraintComponent"
            if low == 1:
                conforming = self.conforms(qshape, "?_q", names)
                test = f"NOT EXISTS {{ {values} ?_q FILTER({conforming}) }}"
                checks.append(self._check(name, shape, component, path_node, test=test))
            else:
                body = self._qualified_count(qshape, focus, path_text, names, f"?_n < {low}")
                checks.append(self._check(name, shape, component, path_node, body=body))
        if high is not None:
            component = "QualifiedMaxCountConstraintComponent"
            if high in (0, 1):
                first = f"{self.conforms(qshape, '?_q1', names)}"
                if high == 0:
                    test = f"EXISTS {{ {values} ?_q1 FILTER({first}) }}"
                else:
                    second = self.conforms(qshape, "?_q2", names)
                    test = (
                        f"EXISTS {{ {values} ?_q1, ?_q2 FILTER(!sameTerm(?_q1, ?_q2) && {first} "
                        f"&& {second}) }}"
                    )
                checks.append(self._check(name, shape, component, path_node, test=test))
            else:
                body = self._qualified_count(qshape, focus, path_text, names, f"?_n > {high}")
                checks.append(self._check(name, shape, component, path_node, body=body))
        return checks

    def _qualified_count(
        self, qshape: Node, focus: str, path_text: str, names: _Names, condition: str
    ) -> str:
        test = self.conforms(qshape, "?_q", names)
        return (
            f"{{ SELECT {focus} (COUNT(DISTINCT ?_q) AS ?_n) WHERE {{ {TARGET} OPTIONAL {{ "
            f"{focus} {path_text} ?_q FILTER({test}) }} }} GROUP BY {focus} }} FILTER({condition})"
        )

    def _sparql(
        self,
        name: str,
        shape: Node,
        constraint: Node,
        focus: str,
        path_text: str | None,
        path_node: Node | None,
    ) -> Check:
        g = self.g
        if g.value(constraint, SH.deactivated) == rdflib.Literal(True):
            raise Unsupported("a deactivated SPARQL constraint")
        select = g.value(constraint, SH.select)
        if select is None:
            raise Unsupported("a SPARQL constraint without sh:select")
        text = str(select)
        if "$PATH" in text:
            if path_text is None:
                raise Unsupported("$PATH in a node shape's SPARQL constraint")
            text = text.replace("$PATH", path_text)
        if re.search(r"[$?](currentShape|shapesGraph)\b", text):
            raise Unsupported("$currentShape / $shapesGraph in a SPARQL constraint")
        prefixes = []
        for holder in g.objects(constraint, SH.prefixes):
            for declaration in g.objects(holder, SH.declare):
                prefix = g.value(declaration, SH.prefix)
                namespace = g.value(declaration, SH.namespace)
                prefixes.append(f"PREFIX {prefix}: {_n3(rdflib.URIRef(str(namespace)))}")
        header = re.match(r"\s*SELECT\s+(?:DISTINCT\s+)?(.*?)\s*WHERE\s*\{", text, re.S | re.I)
        if not header or "(" in header.group(1) or "*" in header.group(1):
            raise Unsupported("a SPARQL constraint whose SELECT is not a plain variable list")
        projected = tuple(v[1:] for v in header.group(1).split())
        if "this" not in projected:
            raise Unsupported("a SPARQL constraint that does not select $this")
        # Bound from outside like pySHACL's pre-binding: the constraint runs as a sub-select
        # joined on ?this with the shape's focus nodes.
        messages = tuple(
            m for m in g.objects(constraint, SH.message) if isinstance(m, rdflib.Literal)
        )
        return Check(
            node_shape=name,
            source_shape=shape,
            component=COMPONENT + "SPARQLConstraintComponent",
            severity=self._severity(shape),
            path=path_node,
            messages=self._messages(shape),
            body="{ " + text + " }",
            sparql_messages=messages,
            variables=projected,
            prefixes=tuple(prefixes),
        )

    # ------------------------------------------------------------ value tests
    def value_test(self, predicate: Node, obj: Node, var: str, shape: Node, names: _Names) -> str:
        """A SPARQL boolean expression: ``var`` satisfies this one constraint."""
        g = self.g
        if predicate == SH["class"]:
            # the class and its subclasses are listed when the query runs (faster than the
            # a/rdfs:subClassOf* path, which pyoxigraph walks again for every value)
            if not isinstance(obj, rdflib.URIRef):
                raise Unsupported("sh:class with a blank node")
            other = names("t")
            return f"EXISTS {{ {var} a {other} FILTER({other} IN ({CLASS}{obj}{CLASS})) }}"
        if predicate == SH.datatype:
            return _datatype_test(var, obj)
        if predicate == SH.nodeKind:
            kinds: dict[Node, str] = {
                SH.IRI: f"isIRI({var})",
                SH.BlankNode: f"isBlank({var})",
                SH.Literal: f"isLiteral({var})",
                SH.BlankNodeOrIRI: f"(isBlank({var}) || isIRI({var}))",
                SH.BlankNodeOrLiteral: f"(isBlank({var}) || isLiteral({var}))",
                SH.IRIOrLiteral: f"(isIRI({var}) || isLiteral({var}))",
            }
            if obj not in kinds:
                raise Unsupported(f"sh:nodeKind {obj}")
            return kinds[obj]
        if predicate == SH.pattern:
            flags = g.value(shape, SH.flags)
            args = f"{_n3(rdflib.Literal(str(obj)))}"
            if flags is not None:
                args += f", {_n3(rdflib.Literal(str(flags)))}"
            return f"(!isBlank({var}) && REGEX(STR({var}), {args}))"
        if predicate in (SH.minLength, SH.maxLength):
            op = ">=" if predicate == SH.minLength else "<="
            return f"(!isBlank({var}) && STRLEN(STR({var})) {op} {int(cast(rdflib.Literal, obj))})"
        if predicate == SH.languageIn:
            tags = [str(t) for t in self._list(obj)]
            tests = " || ".join(f"langMatches(lang({var}), {_n3(rdflib.Literal(t))})" for t in tags)
            return f"(isLiteral({var}) && ({tests or 'false'}))"
        if predicate in COMPARISONS:
            return f"COALESCE({var} {COMPARISONS[predicate]} {_n3(obj)}, false)"
        if predicate == SH["in"]:
            members = [_n3(m) for m in self._list(obj)]
            return "(" + (" || ".join(f"sameTerm({var}, {m})" for m in members) or "false") + ")"
        if predicate == SH.hasValue:
            return f"sameTerm({var}, {_n3(obj)})"
        if predicate == SH.node:
            return self.conforms(obj, var, names)
        if predicate == SH["not"]:
            return f"!({self.conforms(obj, var, names)})"
        if predicate == SH["and"]:
            parts = [self.conforms(s, var, names) for s in self._list(obj)]
            return "(" + (" && ".join(parts) or "true") + ")"
        if predicate == SH["or"]:
            parts = [self.conforms(s, var, names) for s in self._list(obj)]
            return "(" + (" || ".join(parts) or "false") + ")"
        if predicate == SH.xone:
            parts = [f"IF({self.conforms(s, var, names)}, 1, 0)" for s in self._list(obj)]
            return "(" + (" + ".join(parts) or "0") + ") = 1"
        raise Unsupported(f"{predicate} is not compiled")

    def conforms(self, shape: Node, var: str, names: _Names) -> str:
        """A SPARQL boolean expression: ``var`` conforms to ``shape`` (nested shapes)."""
        g = self.g
        if g.value(shape, SH.deactivated) == rdflib.Literal(True):
            return "true"
        tests = []
        path_node = g.value(shape, SH.path)
        if path_node is not None:  # a property shape used as a node's constraint
            return self._property_conforms(shape, var, self.path(path_node), names)
        for predicate, obj in g.predicate_objects(shape):
            if not str(predicate).startswith(str(SH)) or predicate in NESTED_IGNORED:
                continue
            if predicate in VALUE_TESTS:
                tests.append(self.value_test(predicate, obj, var, shape, names))
            elif predicate == SH.property:
                nested_path = g.value(obj, SH.path)
                if nested_path is None:  # path(None) made "()" of any list in the shapes graph
                    raise Unsupported("a property shape without sh:path")
                tests.append(self._property_conforms(obj, var, self.path(nested_path), names))
            else:
                raise Unsupported(f"{predicate} in a nested shape")
        return "(" + (" && ".join(tests) or "true") + ")"

    def _property_conforms(self, prop: Node, var: str, path: str, names: _Names) -> str:
        g = self.g
        tests = []
        for predicate, obj in g.predicate_objects(prop):
            if not str(predicate).startswith(str(SH)) or predicate in NESTED_IGNORED:
                continue
            if predicate == SH.path:
                continue
            value = names()
            if predicate == SH.hasValue:
                tests.append(f"EXISTS {{ {var} {path} {_n3(obj)} }}")
            elif predicate == SH.minCount:
                if int(cast(rdflib.Literal, obj)) > 1:
                    raise Unsupported("sh:minCount > 1 in a nested shape")
                if int(cast(rdflib.Literal, obj)) == 1:
                    tests.append(f"EXISTS {{ {var} {path} {value} }}")
            elif predicate == SH.maxCount:
                if int(cast(rdflib.Literal, obj)) == 0:
                    tests.append(f"NOT EXISTS {{ {var} {path} {value} }}")
                elif int(cast(rdflib.Literal, obj)) == 1:
                    other = names()
                    tests.append(
                        f"NOT EXISTS {{ {var} {path} {value}, {other} "
                        f"FILTER(!sameTerm({value}, {other})) }}"
                    )
                else:
                    raise Unsupported("sh:maxCount > 1 in a nested shape")
            elif predicate in VALUE_TESTS:
                test = self.value_test(predicate, obj, value, prop, names)
                tests.append(f"NOT EXISTS {{ {var} {path} {value} FILTER(!({test})) }}")
            else:
                raise Unsupported(f"{predicate} in a nested property shape")
        return "(" + (" && ".join(tests) or "true") + ")"


VALUE_TESTS: dict[rdflib.term.Node, str] = {
    SH["class"]: "ClassConstraintComponent",
    SH.datatype: "DatatypeConstraintComponent",
    SH.nodeKind: "NodeKindConstraintComponent",
    SH.pattern: "PatternConstraintComponent",
    SH.minLength: "MinLengthConstraintComponent",
    SH.maxLength: "MaxLengthConstraintComponent",
    SH.languageIn: "LanguageInConstraintComponent",
    SH.minInclusive: "MinInclusiveConstraintComponent",
    SH.maxInclusive: "MaxInclusiveConstraintComponent",
    SH.minExclusive: "MinExclusiveConstraintComponent",
    SH.maxExclusive: "MaxExclusiveConstraintComponent",
    SH["in"]: "InConstraintComponent",
    SH.node: "NodeConstraintComponent",
    SH["not"]: "NotConstraintComponent",
    SH["and"]: "AndConstraintComponent",
    SH["or"]: "OrConstraintComponent",
    SH.xone: "XoneConstraintComponent",
}
PAIRS: dict[rdflib.term.Node, tuple[str, str]] = {
    SH.lessThan: ("LessThanConstraintComponent", "<"),
    SH.lessThanOrEquals: ("LessThanOrEqualsConstraintComponent", "<="),
    SH.disjoint: ("DisjointConstraintComponent", ""),
    SH.equals: ("EqualsConstraintComponent", ""),
}
COMPARISONS: dict[Node, str] = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}
NESTED_IGNORED = {
    SH.message, SH.severity, SH.name, SH.description, SH.order, SH.group, SH.flags,
    SH.defaultValue, SH.deactivated,
}  # fmt: skip


def _integer(node: Node | None) -> int | None:
    """A count of the shapes graph (sh:qualifiedMinCount...), None when absent."""
    return None if node is None else int(cast(rdflib.Literal, node))


def _datatype_test(var: str, datatype: Node) -> str:
    if datatype == RDF_LANGSTRING:
        return f"(isLiteral({var}) && lang({var}) != '')"
    if datatype == RDFS.Literal:
        return f"isLiteral({var})"
    dt = _n3(datatype)
    test = f"(isLiteral({var}) && lang({var}) = '' && sameTerm(datatype({var}), {dt})"
    if datatype in CASTABLE:
        test += f" && COALESCE(isLiteral({dt}(STR({var}))), false)"
    return test + ")"


# ---------------------------------------------------------------------- running


RDF_TYPE = str(ox.NamedNode(str(RDF.type)))
SUBCLASSES = (
    f"SELECT DISTINCT ?c WHERE {{ VALUES ?top {{ UNDEF }} ?c {_n3(RDFS.subClassOf)}* ?top }}"
)


@dataclass
class Scope:
    """Which graphs of a store a validation reads, and whose subjects are focus nodes.

    ``data``: the graphs forming the data graph (None: every named graph);
    ``focus``: only subjects of these graphs are focus nodes (None: every target).
    """

    data: Sequence[str] | None = None
    focus: Sequence[str] | None = None

    def query(self, store: ox.Store, text: str) -> ox.QuerySolutions:
        kwargs: dict[str, Any] = {}
        if self.data is None:
            kwargs["use_default_graph_as_union"] = True
        else:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in self.data] or [ox.DefaultGraph()]
        if self.focus is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in self.focus]
        solutions = store.query(text, **kwargs)
        assert isinstance(solutions, ox.QuerySolutions)  # every check is a SELECT
        return solutions


class SparqlValidator:
    """Run compiled shapes over a pyoxigraph store; yields :class:`Finding`s."""

    def __init__(self, compiled: CompiledShapes):
        self.compiled = compiled

    def target_pattern(self, store: ox.Store, scope: Scope, target: Target) -> str | None:
        """A group pattern binding ?this to each focus node (repeats allowed), or None."""

        def scoped(triple: str) -> str:
            return f"GRAPH ?_fg {{ {triple} }}" if scope.focus is not None else triple

        parts = []
        for cls in target.classes:
            subs = self.subclasses(store, scope, cls)
            parts += [scoped(f"?this {RDF_TYPE} {ox.NamedNode(c)}") for c in subs]
        parts += [scoped(f"?this {ox.NamedNode(p)} ?_t") for p in target.subjects_of]
        parts += [scoped(f"?_t {ox.NamedNode(p)} ?this") for p in target.objects_of]
        if target.nodes:
            values = "VALUES ?this { " + " ".join(_n3(n) for n in target.nodes) + " }"
            if scope.focus is not None:
                values += " FILTER EXISTS { GRAPH ?_fg { ?this ?_p ?_o } }"
            parts.append(values)
        if not parts:
            return None
        return "{ " + " } UNION { ".join(parts) + " }"

    def target_test(self, store: ox.Store, scope: Scope, target: Target) -> str:
        """An expression: ?this (bound) is a focus node (a few index lookups)."""

        def scoped(triple: str) -> str:
            return f"GRAPH ?_fg {{ {triple} }}" if scope.focus is not None else triple

        tests = []
        classes = sorted({c for cls in target.classes for c in self.subclasses(store, scope, cls)})
        if classes:
            listed = ", ".join(str(ox.NamedNode(c)) for c in classes)
            tests.append(
                f"EXISTS {{ {scoped(f'?this {RDF_TYPE} ?_tt')} FILTER(?_tt IN ({listed})) }}"
            )
        for p in target.subjects_of:
            tests.append(f"EXISTS {{ {scoped(f'?this {ox.NamedNode(p)} ?_tt')} }}")
        for p in target.objects_of:
            tests.append(f"EXISTS {{ {scoped(f'?_tt {ox.NamedNode(p)} ?this')} }}")
        if target.nodes:
            same = " || ".join(f"sameTerm(?this, {_n3(n)})" for n in target.nodes)
            if scope.focus is not None:
                same = f"({same}) && EXISTS {{ GRAPH ?_fg {{ ?this ?_p ?_o }} }}"
            tests.append(f"({same})")
        return "(" + (" || ".join(tests) or "false") + ")"

    def subclasses(self, store: ox.Store, scope: Scope, cls: str) -> list[str]:
        from .queries import bind

        query = bind(SUBCLASSES, {"top": ox.NamedNode(cls)})
        return sorted({row["c"].value for row in scope.query(store, query)} | {cls})

    def queries(self, store: ox.Store, scope: Scope) -> Iterator[tuple[Sequence[Check], str]]:
        """(checks, query) pairs: a query's rows are the results of its checks.

        The tests of one shape are asked together, one query for those about the focus
        node and one per path for those about each value: a row carries a bit mask of the
        tests that fail (each focus node or value is read once, not once per constraint).
        """
        cache: dict[str, str] = {}

        def listed(match: re.Match[str]) -> str:
            cls = match.group(1)
            if cls not in cache:
                subs = self.subclasses(store, scope, cls)
                cache[cls] = ", ".join(str(ox.NamedNode(c)) for c in subs)
            return cache[cls]

        for shape in self.compiled.shapes:
            target = self.target_pattern(store, scope, shape.target)
            if target is None:
                continue
            is_focus = self.target_test(store, scope, shape.target)
            bundles: dict[str | None, list[Check]] = {}
            for check in shape.checks:
                if check.body:
                    yield [check], _CLASS_MARK.sub(listed, _query_text(check, target))
                else:
                    key = check.path_text if check.per_value else None
                    bundles.setdefault(key, []).append(check)
            for path_text, checks in bundles.items():
                text = _bundle_text(
                    checks, target, is_focus, path_text, few_focus=scope.focus is not None
                )
                yield checks, _CLASS_MARK.sub(listed, text)

    def findings(self, store: ox.Store, scope: Scope, threads: int = 1) -> Iterator[Finding]:
        """Every result; ``threads`` queries run at once (pyoxigraph evaluates without the
        GIL, so two threads use two cores)."""
        work = list(self.queries(store, scope))
        if threads <= 1:
            for checks, text in work:
                yield from self._run(store, scope, checks, text)
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads, thread_name_prefix="santegraph-shacl") as pool:
            runs = [
                pool.submit(lambda c, q: list(self._run(store, scope, c, q)), checks, text)
                for checks, text in work
            ]
            for run in runs:
                yield from run.result()

    def _run(
        self, store: ox.Store, scope: Scope, checks: Sequence[Check], text: str
    ) -> Iterator[Finding]:
        if len(checks) == 1 and checks[0].body:
            for row in scope.query(store, text):
                yield _finding(checks[0], row)
            return
        first, _, then = text.partition(_FOCUS_OF_BAD_VALUES)
        rows = list(scope.query(store, first))
        if rows and then:
            # the bad values were found once each: now the focus nodes that have them
            masks = {row["value"]: int(row["_mask"].value) for row in rows}
            from .queries import bind

            query = bind(then, {"value": list(masks)})
            rows = [
                {"this": row["this"], "value": row["value"], "_mask": masks[row["value"]]}
                for row in scope.query(store, query)
            ]
        for row in rows:
            mask = row["_mask"] if isinstance(row["_mask"], int) else int(row["_mask"].value)
            for i, check in enumerate(checks):
                if mask & (1 << i):
                    value = None
                    if check.per_value:
                        value = row["value"] if check.path_text else row["this"]
                    yield Finding(check, row["this"], value, None)


_FOCUS_OF_BAD_VALUES = "\n#focus-of-bad-values\n"


def _by_value(checks: Sequence[Check]) -> bool:
    """Per-value tests that look up other nodes but not the focus node: asked once per
    distinct value (many services point at the same few concepts)."""
    return (
        all(c.per_value and c.path_text for c in checks)
        and any("EXISTS" in c.test for c in checks)
        and not any("?this" in c.test for c in checks)
    )


def _bundle_text(
    checks: Sequence[Check],
    target: str,
    is_focus: str,
    path_text: str | None,
    *,
    few_focus: bool = False,
) -> str:
    """One query for several tests. ``few_focus``: the focus nodes are a part of the store
    (a load into some graphs): start from them, not from the path's triples."""
    mask = " + ".join(f"IF(COALESCE({c.test}, false), {1 << i}, 0)" for i, c in enumerate(checks))
    if few_focus:
        values = f"?this {path_text} ?value ." if path_text else ""
        return (
            f"SELECT DISTINCT ?this {'?value ' if path_text else ''}?_mask WHERE {{ "
            f"{{ SELECT DISTINCT ?this WHERE {{ {target} }} }} {values} "
            f"BIND(({mask}) AS ?_mask) FILTER(?_mask > 0) }}"
        )
    if _by_value(checks):
        # Each distinct value of the path is tested once (whoever holds it); the part after
        # the marker, with the bad values bound, finds the focus nodes holding them.
        return (
            f"SELECT ?value ?_mask WHERE {{ {{ SELECT DISTINCT ?value WHERE {{ ?_s {path_text} "
            f"?value }} }} BIND(({mask}) AS ?_mask) FILTER(?_mask > 0) }}"
            f"{_FOCUS_OF_BAD_VALUES}SELECT DISTINCT ?this ?value WHERE {{ "
            f"VALUES ?value {{ UNDEF }} ?this {path_text} ?value FILTER({is_focus}) }}"
        )
    if path_text:  # the path's triples first (often fewer than the focus nodes), then targets
        return (
            f"SELECT DISTINCT ?this ?value ?_mask WHERE {{ {{ ?this {path_text} ?value "
            f"FILTER({is_focus}) }} BIND(({mask}) AS ?_mask) FILTER(?_mask > 0) }}"
        )
    return (
        f"SELECT DISTINCT ?this ?_mask WHERE {{ {{ SELECT DISTINCT ?this WHERE {{ {target} }} }} "
        f"BIND(({mask}) AS ?_mask) FILTER(?_mask > 0) }}"
    )


def _query_text(check: Check, target: str) -> str:
    where = check.body.replace(TARGET, target) if TARGET in check.body else f"{target} {check.body}"
    if check.variables:
        projected = " ".join("?" + v for v in check.variables)
    else:
        projected = "?this ?value ?path"
    prefixes = "\n".join(check.prefixes)
    return f"{prefixes}\nSELECT DISTINCT {projected} WHERE {{ {where} }}"


def _finding(check: Check, row: ox.QuerySolution) -> Finding:
    def get(name: str) -> Term | None:
        try:
            term: Term | None = row[name]
            return term
        except (KeyError, IndexError):
            return None

    names = check.variables or ("this", "value", "path")
    path = get("path") if "path" in names else None
    values = tuple((n, get(n)) for n in check.variables) if check.variables else ()
    value = get("value") if "value" in names else None
    if value is None and check.variables and check.path is None:
        value = row["this"]  # SHACL-SPARQL: a node shape's result has $this as its value
    return Finding(
        check=check,
        focus=row["this"],
        value=value,
        path=path if isinstance(path, ox.NamedNode) else None,
        message_values=values,
    )


def compile_shapes(shapes: rdflib.Graph) -> CompiledShapes:
    return Compiler(shapes).compile()


def term_text(term: Term | rdflib.term.Node | None) -> str | None:
    """A term as santegraph's reports write it (validation._short)."""
    if term is None:
        return None
    if isinstance(term, ox.BlankNode | rdflib.BNode):
        return "(nœud anonyme)"
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)


def messages_of(finding: Finding) -> tuple[str, str]:
    """(French, English) message of a finding, as santegraph's reports give them."""
    check = finding.check
    if check.sparql_messages:
        bound = {"this": finding.focus, "value": finding.value}
        bound.update({k: v for k, v in finding.message_values if v is not None})

        def fill(text: str) -> str:
            for name, term in bound.items():
                if term is not None:
                    replacement = term_text(term)
                    assert replacement is not None  # a term has a text
                    pattern = r"\{[?$]" + name + r"\}"
                    text = re.sub(pattern, lambda _m: replacement, text)  # noqa: B023 - called in this iteration
            return text

        by_lang = {m.language: fill(str(m)) for m in check.sparql_messages}
        first = fill(str(check.sparql_messages[0]))
        return by_lang.get("fr", first), by_lang.get("en", first)
    by_lang = {m.language: str(m) for m in check.messages}
    first = str(check.messages[0]) if check.messages else ""
    return by_lang.get("fr", first), by_lang.get("en", first)
